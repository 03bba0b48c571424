//! The contract's scalars: `DateTime` (RFC 3339, UTC) and `Decimal` (exact money).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDateTime, SecondsFormat};

use crate::error::{AppError, AppResult};

/// A UTC instant, written as RFC 3339 with microseconds and `Z`: `2026-11-27T06:22:55.123456Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime(pub NaiveDateTime);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| Self(t.naive_utc()))
                .map_err(|_| InputValueError::custom("expected an RFC 3339 date and time")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(
            self.0
                .and_utc()
                .to_rfc3339_opts(SecondsFormat::Micros, true),
        )
    }
}

impl From<NaiveDateTime> for DateTime {
    fn from(t: NaiveDateTime) -> Self {
        Self(t)
    }
}

/// Money: a string with exactly two decimals on output (`"49.99"`). Inputs accept `"49.99"` or `49.99`.
///
/// Parsing only keeps the text: the amount is checked by [`Decimal::to_cents`] in the resolver, which
/// knows the input's field, so a bad amount is `BAD_USER_INPUT` with `extensions.field` like every other
/// input error. Inside, money is always an integer number of cents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decimal {
    /// An amount in minor units, as stored (output).
    Cents(i64),
    /// The text of an input, not yet checked.
    Input(String),
}

/// The largest price the contract allows: 1,000,000,000.00.
pub const MAX_CENTS: i64 = 100_000_000_000;

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(Self::Input(s)),
            Value::Number(n) => Ok(Self::Input(n.to_string())),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Self::Cents(cents) => Value::String(format_cents(*cents)),
            Self::Input(text) => Value::String(text.clone()),
        }
    }
}

impl Decimal {
    /// The amount in cents, if it is a plain decimal with at most 2 decimals between 0 and 1,000,000,000.
    pub fn to_cents(&self, field: &str) -> AppResult<i64> {
        match self {
            Self::Cents(cents) => Ok(*cents),
            Self::Input(text) => parse_cents(text).map_err(|msg| AppError::bad_input(field, msg)),
        }
    }
}

fn parse_cents(text: &str) -> Result<i64, &'static str> {
    const FORMAT: &str = "an amount is a decimal number with at most 2 decimals, like \"49.99\"";
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
        return Err("an amount is at most 1000000000.00");
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| FORMAT)?
    };
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| FORMAT)?;
    let cents = whole * 100 + frac;
    if cents > MAX_CENTS {
        return Err("an amount is at most 1000000000.00");
    }
    Ok(cents)
}

/// `4999` -> `"49.99"`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
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
        assert_eq!(parse_cents("1000000000.00"), Ok(MAX_CENTS));
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
        ] {
            assert!(parse_cents(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_numbers_keep_their_decimal_text() {
        let n: serde_json::Number = serde_json::from_str("49.99").unwrap();
        let value = Decimal::parse(Value::Number(n)).unwrap();
        assert_eq!(value.to_cents("price").unwrap(), 4999);
    }

    #[test]
    fn amounts_format_with_two_decimals() {
        assert_eq!(format_cents(4999), "49.99");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(100), "1.00");
        assert_eq!(format_cents(MAX_CENTS), "1000000000.00");
    }

    #[test]
    fn datetimes_are_utc_with_z() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-27T06:22:55.123456Z")
            .unwrap()
            .naive_utc();
        assert_eq!(
            DateTime(t).to_value(),
            Value::String("2026-11-27T06:22:55.123456Z".into())
        );
    }
}
