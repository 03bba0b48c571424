//! The values of the catalog and of orders.

use super::{Invalid, Parsed, required_text, text_value};

const MAX_PRODUCT_NAME: usize = 255;
const MAX_DESCRIPTION: usize = 10_000;
const MAX_STOCK: i32 = 1_000_000_000;
const MAX_SEARCH: usize = 255;
const MAX_ADDRESS: usize = 500;
const MAX_IDEMPOTENCY_KEY: usize = 255;

text_value!(
    /// A product's name: 1 to 255 characters, trimmed.
    ProductName
);

impl ProductName {
    pub fn parse(field: &str, value: &str) -> Parsed<Self> {
        required_text(field, value, MAX_PRODUCT_NAME).map(Self)
    }
}

text_value!(
    /// A product's description: at most 10,000 characters, kept as written (it may be empty).
    Description
);

impl Description {
    pub fn parse(field: &str, value: Option<&str>) -> Parsed<Self> {
        let value = value.unwrap_or_default();
        if value.chars().count() > MAX_DESCRIPTION {
            return Err(Invalid::new(
                field,
                format!("a description has at most {MAX_DESCRIPTION} characters"),
            ));
        }
        Ok(Self(value.to_owned()))
    }
}

/// Units in stock: 0 to 1,000,000,000.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stock(i32);

impl Stock {
    pub fn parse(field: &str, value: i32) -> Parsed<Self> {
        if !(0..=MAX_STOCK).contains(&value) {
            return Err(Invalid::new(field, "stock is between 0 and 1000000000"));
        }
        Ok(Self(value))
    }

    pub fn units(self) -> i32 {
        self.0
    }
}

/// Units of one order line: 1 to 10,000.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i32);

impl Quantity {
    pub const MAX: i32 = 10_000;

    pub fn parse(field: &str, value: i32) -> Parsed<Self> {
        if !(1..=Self::MAX).contains(&value) {
            return Err(Invalid::new(
                field,
                format!("a quantity is between 1 and {}", Self::MAX),
            ));
        }
        Ok(Self(value))
    }

    /// Two quantities of one product as one line, while within the same bound.
    pub fn plus(self, other: Self) -> Option<Self> {
        let sum = self.0 + other.0;
        (sum <= Self::MAX).then_some(Self(sum))
    }

    pub fn units(self) -> i32 {
        self.0
    }
}

text_value!(
    /// A delivery address: 1 to 500 characters, trimmed.
    Address
);

impl Address {
    pub fn parse(field: &str, value: &str) -> Parsed<Self> {
        required_text(field, value, MAX_ADDRESS).map(Self)
    }
}

text_value!(
    /// A client's idempotency key: 1 to 255 characters, trimmed.
    IdempotencyKey
);

impl IdempotencyKey {
    pub fn parse(field: &str, value: &str) -> Parsed<Self> {
        required_text(field, value, MAX_IDEMPOTENCY_KEY).map(Self)
    }
}

text_value!(
    /// A catalog search: at most 255 characters, trimmed.
    Search
);

impl Search {
    /// A search term; blank, absent or without a letter or digit (`"%"`) means no search.
    pub fn parse(field: &str, value: Option<&str>) -> Parsed<Option<Self>> {
        let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
            return Ok(None);
        };
        if value.chars().count() > MAX_SEARCH {
            return Err(Invalid::new(
                field,
                format!("a search has at most {MAX_SEARCH} characters"),
            ));
        }
        if search_words(value).is_empty() {
            return Ok(None);
        }
        Ok(Some(Self(value.to_owned())))
    }

    /// The search's words as the search indexes hold words (`search_words`), at most
    /// `MAX_SEARCH_WORDS`; at least one.
    pub fn words(&self) -> Vec<String> {
        search_words(&self.0)
            .split(' ')
            .filter(|word| !word.is_empty())
            .take(MAX_SEARCH_WORDS)
            .map(str::to_owned)
            .collect()
    }
}

/// Words of a search beyond these are left out.
pub const MAX_SEARCH_WORDS: usize = 16;

/// The longest word the search indexes hold, in bytes; a longer one is cut to it (at a character's
/// edge), in the products' words and in a search's alike, so the two still meet. PostgreSQL refuses a
/// lexeme over 2,047 bytes ("word is too long"), and an index word is `<store>:<word>`, up to 20 bytes
/// longer. Folding can grow a word: 255 Hangul syllables decompose into a 2,295-byte run of letters.
pub const MAX_WORD_BYTES: usize = 2_000;

/// Text as the search indexes hold it, the same on both backends: its words (runs of letters and
/// digits), in lower case and without accents ("Crème Brûlée!" -> "creme brulee"), each at most
/// `MAX_WORD_BYTES`, joined by single spaces. Neither database's own tokenizer is used, so both find
/// the same products.
pub fn search_words(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    use unicode_normalization::char::is_combining_mark;
    let folded: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut end = word.len().min(MAX_WORD_BYTES);
            while !word.is_char_boundary(end) {
                end -= 1;
            }
            &word[..end]
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_fold_case_and_accents() {
        assert_eq!(
            search_words("Crème  Brûlée! 100%-Cotton"),
            "creme brulee 100 cotton"
        );
        assert_eq!(search_words("  ¿?  "), "");
        assert_eq!(search_words("Ärger über Öl"), "arger uber ol");
        let search = Search::parse("s", Some("Wat")).unwrap().unwrap();
        assert_eq!(search.words(), ["wat"]);
        assert_eq!(Search::parse("s", Some("% _ !")), Ok(None));
        // 255 Hangul syllables fold to one word of 2,295 bytes: cut to the bound, whole characters.
        let long = search_words(&"각".repeat(255));
        assert!(long.len() <= MAX_WORD_BYTES && long.len() > MAX_WORD_BYTES - 4);
        assert!(!long.contains(' '));
        assert_eq!(search_words(&"a".repeat(3000)).len(), MAX_WORD_BYTES);
    }

    #[test]
    fn bounds() {
        assert!(Stock::parse("stock", -1).is_err());
        assert!(Stock::parse("stock", MAX_STOCK).is_ok());
        assert!(Stock::parse("stock", MAX_STOCK + 1).is_err());
        assert!(Quantity::parse("q", 0).is_err());
        assert!(Quantity::parse("q", 10_001).is_err());
        let half = Quantity::parse("q", 5_000).unwrap();
        assert_eq!(half.plus(half).map(Quantity::units), Some(10_000));
        assert_eq!(half.plus(Quantity::parse("q", 5_001).unwrap()), None);
        assert!(Description::parse("d", Some(&"x".repeat(10_001))).is_err());
        assert_eq!(&*Description::parse("d", None).unwrap(), "");
        assert_eq!(Search::parse("s", Some("   ")), Ok(None));
        assert!(Search::parse("s", Some(&"x".repeat(256))).is_err());
        assert!(Address::parse("address", &"x".repeat(501)).is_err());
    }
}
