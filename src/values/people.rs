//! The values of a person's account.

use super::{Invalid, Parsed, text_value};

const USERNAME_CHARS: &str = "@.+-_";
const MAX_EMAIL_LEN: usize = 254;
const MAX_PERSON_NAME_LEN: usize = 150;

text_value!(
    /// 3 to 150 characters: ASCII letters, digits and `@ . + - _`. Unique in its store without case.
    Username
);

impl Username {
    pub fn parse(field: &str, value: &str) -> Parsed<Self> {
        let len = value.chars().count();
        if !(3..=150).contains(&len) {
            return Err(Invalid::new(field, "a username has 3 to 150 characters"));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || USERNAME_CHARS.contains(c))
        {
            return Err(Invalid::new(
                field,
                "a username may contain only letters, digits and @ . + - _",
            ));
        }
        Ok(Self(value.to_owned()))
    }
}

text_value!(
    /// Something that looks like an address: one `@`, a non-empty local part, a dotted domain, no
    /// blanks; stored trimmed.
    Email
);

impl Email {
    pub fn parse(field: &str, value: &str) -> Parsed<Self> {
        let value = value.trim();
        let invalid = || Invalid::new(field, "this is not a valid email address");
        if value.len() > MAX_EMAIL_LEN || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && domain.split('.').all(|label| !label.is_empty());
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(value.to_owned()))
    }

    /// An optional email: blank or absent is none.
    pub fn parse_optional(field: &str, value: Option<&str>) -> Parsed<Option<Self>> {
        value
            .filter(|value| !value.trim().is_empty())
            .map(|value| Self::parse(field, value))
            .transpose()
    }
}

text_value!(
    /// A new password, in clear until it is hashed: 8 to 72 bytes (bcrypt ignores anything past 72, so a
    /// longer password would be silently cut).
    Password
);

impl Password {
    pub fn parse(field: &str, value: &str) -> Parsed<Self> {
        if !(8..=72).contains(&value.len()) {
            return Err(Invalid::new(field, "a password has 8 to 72 bytes"));
        }
        Ok(Self(value.to_owned()))
    }
}

text_value!(
    /// A first or last name: optional (empty), at most 150 characters, stored trimmed.
    PersonName
);

impl PersonName {
    pub fn parse(field: &str, value: Option<&str>) -> Parsed<Self> {
        let value = value.unwrap_or_default().trim();
        if value.chars().count() > MAX_PERSON_NAME_LEN {
            return Err(Invalid::new(field, "a name has at most 150 characters"));
        }
        Ok(Self(value.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(
            &*Username::parse("u", "a.b+c-d_e@f").unwrap(),
            "a.b+c-d_e@f"
        );
        assert_eq!(
            Username::parse("input.username", "ab").unwrap_err().field,
            "input.username"
        );
        assert!(Username::parse("u", &"a".repeat(150)).is_ok());
        assert!(Username::parse("u", &"a".repeat(151)).is_err());
        assert!(Username::parse("u", "with space").is_err());
        assert!(Username::parse("u", "naïve").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(&*Email::parse("e", " a@b.co ").unwrap(), "a@b.co");
        for bad in [
            "", "a", "a@b", "@b.co", "a@@b.co", "a b@c.co", "a@b..co", "a@.co",
        ] {
            assert!(Email::parse("e", bad).is_err(), "{bad}");
        }
        assert_eq!(Email::parse_optional("e", Some("  ")), Ok(None));
    }

    #[test]
    fn passwords_are_counted_in_bytes() {
        assert!(Password::parse("p", "1234567").is_err());
        assert!(Password::parse("p", "12345678").is_ok());
        assert!(Password::parse("p", &"x".repeat(72)).is_ok());
        assert!(Password::parse("p", &"x".repeat(73)).is_err());
        // 24 three-byte characters are 72 bytes; 25 are 75.
        assert!(Password::parse("p", &"€".repeat(24)).is_ok());
        assert!(Password::parse("p", &"€".repeat(25)).is_err());
    }

    #[test]
    fn person_names() {
        assert_eq!(&*PersonName::parse("f", None).unwrap(), "");
        assert_eq!(&*PersonName::parse("f", Some(" Ada ")).unwrap(), "Ada");
        assert!(PersonName::parse("f", Some(&"x".repeat(151))).is_err());
    }
}
