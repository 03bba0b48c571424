//! Input rules of the domain (CONTRACT.md section 7). Each check names the input's field, so the client
//! gets `BAD_USER_INPUT` with `extensions.field`, and returns the value as it is stored.

use crate::error::{AppError, AppResult};

const USERNAME_CHARS: &str = "@.+-_";
const MAX_EMAIL_LEN: usize = 254;
const MAX_PERSON_NAME_LEN: usize = 150;
const MAX_STORE_NAME_LEN: usize = 255;
const MAX_DOMAIN_LEN: usize = 253;

/// 3 to 150 characters: ASCII letters, digits and `@ . + - _`.
pub fn username(field: &str, value: &str) -> AppResult<String> {
    let len = value.chars().count();
    if !(3..=150).contains(&len) {
        return Err(AppError::bad_input(
            field,
            "a username has 3 to 150 characters",
        ));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || USERNAME_CHARS.contains(c))
    {
        return Err(AppError::bad_input(
            field,
            "a username may contain only letters, digits and @ . + - _",
        ));
    }
    Ok(value.to_owned())
}

/// Something that looks like an address: one `@`, a non-empty local part, a dotted domain, no blanks.
pub fn email(field: &str, value: &str) -> AppResult<String> {
    let value = value.trim();
    let invalid = || AppError::bad_input(field, "this is not a valid email address");
    if value.len() > MAX_EMAIL_LEN || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && domain.split('.').all(|label| !label.is_empty());
    if local.is_empty() || !domain_ok {
        return Err(invalid());
    }
    Ok(value.to_owned())
}

/// 8 to 72 bytes: bcrypt ignores anything past 72, so a longer password would be silently cut.
pub fn password(field: &str, value: &str) -> AppResult<()> {
    if !(8..=72).contains(&value.len()) {
        return Err(AppError::bad_input(field, "a password has 8 to 72 bytes"));
    }
    Ok(())
}

/// A hostname (labels of letters, digits and hyphens joined by dots, at most 253 characters), returned in
/// lower case as it is stored and matched.
pub fn domain(field: &str, value: &str) -> AppResult<String> {
    let value = value.trim().to_ascii_lowercase();
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if value.is_empty() || value.len() > MAX_DOMAIN_LEN || !value.split('.').all(label_ok) {
        return Err(AppError::bad_input(
            field,
            "a domain is a hostname: letters, digits and hyphens in labels joined by dots",
        ));
    }
    Ok(value)
}

/// A store's name: 1 to 255 characters once surrounding blanks are removed.
pub fn store_name(field: &str, value: &str) -> AppResult<String> {
    required_text(field, value, MAX_STORE_NAME_LEN)
}

/// A first or last name: optional, at most 150 characters, stored trimmed.
pub fn person_name(field: &str, value: Option<&str>) -> AppResult<String> {
    let value = value.unwrap_or_default().trim();
    if value.chars().count() > MAX_PERSON_NAME_LEN {
        return Err(AppError::bad_input(
            field,
            "a name has at most 150 characters",
        ));
    }
    Ok(value.to_owned())
}

/// Text that must not be blank and has at most `max` characters; returned trimmed.
pub fn required_text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    let len = value.chars().count();
    if len == 0 {
        return Err(AppError::bad_input(field, "must not be empty"));
    }
    if len > max {
        return Err(AppError::bad_input(
            field,
            format!("must have at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// The tenant named by an `X-Tenant-Domain` value: case-insensitive, blanks around and a `:port` suffix
/// ignored. `None` when nothing is left.
pub fn normalize_tenant_header(value: &str) -> Option<String> {
    let mut host = value.trim();
    if let Some((name, port)) = host.rsplit_once(':')
        && !port.is_empty()
        && port.chars().all(|c| c.is_ascii_digit())
    {
        host = name.trim_end();
    }
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: AppResult<impl Sized>) -> String {
        match result {
            Err(AppError::BadInput { field, .. }) => field,
            _ => panic!("expected BAD_USER_INPUT"),
        }
    }

    #[test]
    fn usernames() {
        assert_eq!(username("u", "a.b+c-d_e@f").unwrap(), "a.b+c-d_e@f");
        assert_eq!(field_of(username("input.username", "ab")), "input.username");
        assert!(username("u", &"a".repeat(150)).is_ok());
        assert!(username("u", &"a".repeat(151)).is_err());
        assert!(username("u", "with space").is_err());
        assert!(username("u", "naïve").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(email("e", " a@b.co ").unwrap(), "a@b.co");
        for bad in [
            "", "a", "a@b", "@b.co", "a@@b.co", "a b@c.co", "a@b..co", "a@.co",
        ] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_counted_in_bytes() {
        assert!(password("p", "1234567").is_err());
        assert!(password("p", "12345678").is_ok());
        assert!(password("p", &"x".repeat(72)).is_ok());
        assert!(password("p", &"x".repeat(73)).is_err());
        // 24 three-byte characters are 72 bytes; 25 are 75.
        assert!(password("p", &"€".repeat(24)).is_ok());
        assert!(password("p", &"€".repeat(25)).is_err());
    }

    #[test]
    fn domains() {
        assert_eq!(
            domain("d", " Shop-1.Example.COM ").unwrap(),
            "shop-1.example.com"
        );
        assert_eq!(domain("d", "localhost").unwrap(), "localhost");
        for bad in [
            "",
            "a..b",
            "-a.com",
            "a-.com",
            "a_b.com",
            "a b.com",
            "a.com:80",
            &"a".repeat(64),
        ] {
            assert!(domain("d", bad).is_err(), "{bad}");
        }
        let long = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        assert_eq!(long.len(), 253);
        assert!(domain("d", &long).is_ok());
        assert!(domain("d", &format!("{long}e")).is_err());
    }

    #[test]
    fn tenant_headers_ignore_case_blanks_and_port() {
        assert_eq!(
            normalize_tenant_header(" Vendor1.Example.com:8080 ").as_deref(),
            Some("vendor1.example.com")
        );
        assert_eq!(
            normalize_tenant_header("vendor1.example.com").as_deref(),
            Some("vendor1.example.com")
        );
        assert_eq!(normalize_tenant_header("   "), None);
    }

    #[test]
    fn texts() {
        assert_eq!(store_name("s", "  My Store ").unwrap(), "My Store");
        assert!(store_name("s", "   ").is_err());
        assert!(store_name("s", &"x".repeat(256)).is_err());
        assert_eq!(person_name("f", None).unwrap(), "");
        assert!(person_name("f", Some(&"x".repeat(151))).is_err());
    }
}
