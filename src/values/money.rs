//! Money: an integer number of cents inside, a decimal text with two decimals outside.

use std::fmt;

use super::{Invalid, Parsed};

/// An amount of 0 to 1,000,000,000.00, in cents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(i64);

impl Money {
    /// The largest amount the contract allows: 1,000,000,000.00.
    pub const MAX_CENTS: i64 = 100_000_000_000;

    /// A plain decimal with at most 2 decimals between 0 and 1,000,000,000 (`"49.99"`, `"49"`).
    pub fn parse(field: &str, text: &str) -> Parsed<Self> {
        parse_cents(text)
            .map(Self)
            .map_err(|message| Invalid::new(field, message))
    }

    /// An amount as stored (a price, a total): the database keeps only amounts that were parsed.
    pub fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    pub fn cents(self) -> i64 {
        self.0
    }
}

/// `4999` -> `49.99`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

fn parse_cents(text: &str) -> Result<i64, &'static str> {
    const FORMAT: &str = "an amount is a decimal number with at most 2 decimals, like \"49.99\"";
    const TOO_LARGE: &str = "an amount is at most 1000000000.00";
    if text.trim() != text {
        return Err("an amount has no blanks around it");
    }
    if text.starts_with('-') {
        return Err("an amount must not be negative");
    }
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(frac)
        || (text.contains('.') && frac.is_empty())
    {
        return Err(FORMAT);
    }
    if frac.len() > 2 {
        return Err("an amount has at most 2 decimals");
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > 10 {
        return Err(TOO_LARGE);
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| FORMAT)?
    };
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| FORMAT)?;
    let cents = whole * 100 + frac;
    if cents > Money::MAX_CENTS {
        return Err(TOO_LARGE);
    }
    Ok(cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_cents("49.99"), Ok(4999));
        assert_eq!(parse_cents("49.9"), Ok(4990));
        assert_eq!(parse_cents("49"), Ok(4900));
        assert_eq!(parse_cents("0.01"), Ok(1));
        assert_eq!(parse_cents("0"), Ok(0));
        assert_eq!(parse_cents("000012.30"), Ok(1230));
        assert_eq!(parse_cents("1000000000.00"), Ok(Money::MAX_CENTS));
        assert_eq!(parse_cents("0.1"), Ok(10));
        for bad in [
            "49.999",
            "-1",
            "-0.01",
            "1000000000.01",
            "99999999999",
            "1e3",
            "",
            ".5",
            "5.",
            "abc",
            "1,5",
            "NaN",
            " 1",
        ] {
            assert!(parse_cents(bad).is_err(), "{bad}");
        }
        assert_eq!(Money::parse("price", "x").unwrap_err().field, "price");
    }

    #[test]
    fn amounts_format_with_two_decimals() {
        assert_eq!(Money(4999).to_string(), "49.99");
        assert_eq!(Money(5).to_string(), "0.05");
        assert_eq!(Money(100).to_string(), "1.00");
        assert_eq!(Money(Money::MAX_CENTS).to_string(), "1000000000.00");
    }
}
