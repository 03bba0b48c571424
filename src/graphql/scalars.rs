//! The contract's scalars: `DateTime` (RFC 3339, UTC) and `Decimal` (exact money).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDateTime, SecondsFormat};

use crate::values::{Money, Parsed};

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
        Value::String(rfc3339(self.0))
    }
}

/// How the API writes an instant (in `DateTime`, and in webhook payloads).
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl From<NaiveDateTime> for DateTime {
    fn from(t: NaiveDateTime) -> Self {
        Self(t)
    }
}

/// Money: a string with exactly two decimals on output (`"49.99"`). Inputs accept `"49.99"` or `49.99`.
///
/// Parsing only keeps the text: the amount is parsed into a [`Money`] by [`Decimal::to_money`] in the
/// resolver, which knows the input's field, so a bad amount is `BAD_USER_INPUT` with `extensions.field`
/// like every other input error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decimal {
    /// An amount (output).
    Amount(Money),
    /// The text of an input, not yet parsed.
    Input(String),
}

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
            Self::Amount(money) => Value::String(money.to_string()),
            Self::Input(text) => Value::String(text.clone()),
        }
    }
}

impl Decimal {
    /// The amount, if it is a plain decimal with at most 2 decimals between 0 and 1,000,000,000.
    pub fn to_money(&self, field: &str) -> Parsed<Money> {
        match self {
            Self::Amount(money) => Ok(*money),
            Self::Input(text) => Money::parse(field, text),
        }
    }
}

impl From<Money> for Decimal {
    fn from(money: Money) -> Self {
        Self::Amount(money)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_keep_their_decimal_text() {
        let n: serde_json::Number = serde_json::from_str("49.99").unwrap();
        let value = Decimal::parse(Value::Number(n)).unwrap();
        assert_eq!(value.to_money("price").unwrap().cents(), 4999);
        assert_eq!(
            Decimal::from(Money::from_cents(5)).to_value(),
            Value::String("0.05".into())
        );
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
