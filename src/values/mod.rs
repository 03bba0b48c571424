//! The domain's values, parsed once at the edge (CONTRACT.md section 7): a `Username`, an `Email`, a
//! `Money` amount exist only once their rules held, so a service that takes one never checks it again
//! (parse, don't validate). Each parse names the input's field, so the client gets `BAD_USER_INPUT` with
//! `extensions.field`, and keeps the value as it is stored (trimmed, lower-cased where the rule says).
//!
//! This is a leaf: it imports nothing of the crate. `Invalid` becomes an API error in the `error` module above it.

mod commerce;
mod money;
mod people;
mod stores;

pub use commerce::{
    Address, Description, IdempotencyKey, ProductName, Quantity, Search, Stock, search_words,
};
pub use money::Money;
pub use people::{Email, Password, PersonName, Username};
pub use stores::{Domain, StoreName, normalize_host};

/// An input that broke its rule: which field, and what the rule is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub type Parsed<T> = Result<T, Invalid>;

/// Text that must not be blank and has at most `max` characters; returned trimmed.
fn required_text(field: &str, value: &str, max: usize) -> Parsed<String> {
    let value = value.trim();
    let len = value.chars().count();
    if len == 0 {
        return Err(Invalid::new(field, "must not be empty"));
    }
    if len > max {
        return Err(Invalid::new(
            field,
            format!("must have at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A text value: a newtype over `String` that reads as a `&str` and is made only by `parse`.
macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(String);

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}
pub(crate) use text_value;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_texts_are_trimmed_and_bounded() {
        assert_eq!(required_text("s", "  My Store ", 9).unwrap(), "My Store");
        assert_eq!(required_text("s", "   ", 9).unwrap_err().field, "s");
        assert!(required_text("s", &"é".repeat(9), 9).is_ok());
        assert!(required_text("s", &"é".repeat(10), 9).is_err());
    }
}
