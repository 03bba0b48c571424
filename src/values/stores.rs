//! The values of a store: its name and its domain.

use super::{Invalid, Parsed, required_text, text_value};

const MAX_STORE_NAME_LEN: usize = 255;
const MAX_DOMAIN_LEN: usize = 253;

text_value!(
    /// A store's name: 1 to 255 characters once surrounding blanks are removed.
    StoreName
);

impl StoreName {
    pub fn parse(field: &str, value: &str) -> Parsed<Self> {
        required_text(field, value, MAX_STORE_NAME_LEN).map(Self)
    }
}

text_value!(
    /// A registrable host name (labels of letters, digits and hyphens joined by dots, at most 253
    /// characters), in lower case as it is stored and matched: at least two labels, and a last label
    /// (the top-level domain) that begins with a letter and is not `localhost`. So never an IP address
    /// in any form a resolver accepts (`127.0.0.1`, `127.1`, `2130706433`, `0x7f.1`; an IPv6 literal
    /// has colons), never `localhost` or a name under it, never a single label: a store that claimed
    /// one would own requests sent to the platform by its address.
    Domain
);

impl Domain {
    pub fn parse(field: &str, value: &str) -> Parsed<Self> {
        let value = value.trim().to_ascii_lowercase();
        let label_ok = |label: &str| {
            (1..=63).contains(&label.len())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if value.is_empty() || value.len() > MAX_DOMAIN_LEN || !value.split('.').all(label_ok) {
            return Err(Invalid::new(
                field,
                "a domain is a hostname: letters, digits and hyphens in labels joined by dots",
            ));
        }
        let top = value.rsplit('.').next().unwrap_or_default();
        let registrable = value.contains('.')
            && top.starts_with(|c: char| c.is_ascii_alphabetic())
            && top != "localhost";
        if !registrable {
            return Err(Invalid::new(
                field,
                "a domain is a registrable host name such as shop.example.com: \
                 not an IP address, localhost or a single label",
            ));
        }
        Ok(Self(value))
    }
}

/// The host named by an `X-Tenant-Domain` value: case-insensitive, blanks around and a `:port` suffix
/// ignored. `None` when nothing is left. (Not a `Domain`: an unknown host is looked up and not found,
/// never refused as input.)
pub fn normalize_host(value: &str) -> Option<String> {
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

    #[test]
    fn domains() {
        assert_eq!(
            &*Domain::parse("d", " Shop-1.Example.COM ").unwrap(),
            "shop-1.example.com"
        );
        for bad in [
            "localhost",
            "shop.localhost",
            "shop",
            "127.0.0.1",
            "127.1",
            "2130706433",
            "0x7f.1",
            "0x7f000001",
            "0177.0.0.1",
            "1.2.3.4",
            "::1",
            "[::1]",
            "fe80::1",
            "shop.example.com.",
            "",
            "a..b",
            "-a.com",
            "a-.com",
            "a_b.com",
            "a b.com",
            "a.com:80",
            &"a".repeat(64),
        ] {
            assert!(Domain::parse("d", bad).is_err(), "{bad}");
        }
        let long = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        assert_eq!(long.len(), 253);
        assert!(Domain::parse("d", &long).is_ok());
        assert!(Domain::parse("d", &format!("{long}e")).is_err());
    }

    #[test]
    fn hosts_ignore_case_blanks_and_port() {
        assert_eq!(
            normalize_host(" Vendor1.Example.com:8080 ").as_deref(),
            Some("vendor1.example.com")
        );
        assert_eq!(
            normalize_host("vendor1.example.com").as_deref(),
            Some("vendor1.example.com")
        );
        assert_eq!(normalize_host("   "), None);
    }

    #[test]
    fn store_names() {
        assert_eq!(&*StoreName::parse("s", "  My Store ").unwrap(), "My Store");
        assert!(StoreName::parse("s", "   ").is_err());
        assert!(StoreName::parse("s", &"x".repeat(256)).is_err());
    }
}
