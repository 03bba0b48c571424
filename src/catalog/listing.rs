//! How a product listing is sorted, filtered and paged: the sort, the filter, a keyset position in the
//! sort (the sort's value and the id, which breaks ties), and its opaque cursor.
//!
//! A cursor names its sort: the sort key, `reverse`, and a fingerprint of the search and the filter.
//! One from another listing, or one that does not read back, is refused (`BAD_USER_INPUT`); a forged
//! one that reads back is only another position in the caller's own store (every query is the store's).

use base64::Engine as _;
use chrono::NaiveDateTime;

use crate::catalog::ProductRow;
use crate::crypto::sha256_hex;
use crate::values::{Money, Search, search_words};

/// What a listing is ordered by; ties go by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Name,
    Price,
    CreatedAt,
    UpdatedAt,
    /// With a search: the best matches first (a name match before a description match).
    Relevance,
}

impl SortKey {
    fn code(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Name => "name",
            Self::Price => "price",
            Self::CreatedAt => "created",
            Self::UpdatedAt => "updated",
            Self::Relevance => "relevance",
        }
    }
}

/// Which of the store's live products a listing shows.
#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    /// Words the name or description must have (the last as a prefix), without case or accents.
    pub search: Option<Search>,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    /// `Some(true)`: in stock only; `Some(false)`: out of stock only.
    pub in_stock: Option<bool>,
}

impl ProductFilter {
    /// Whether anything but the store's whole catalog is asked for.
    pub fn is_everything(&self) -> bool {
        self.search.is_none() && self.searches_only()
    }

    /// Whether nothing but a search (or nothing at all) is asked for: no price or stock condition.
    pub fn searches_only(&self) -> bool {
        self.min_price.is_none() && self.max_price.is_none() && self.in_stock.is_none()
    }

    /// A short fingerprint of the search and filter, for the cursors of this listing.
    fn fingerprint(&self) -> String {
        let text = format!(
            "{:?}|{:?}|{:?}|{:?}",
            self.search.as_deref(),
            self.min_price.map(Money::cents),
            self.max_price.map(Money::cents),
            self.in_stock
        );
        sha256_hex(&text)[..16].to_owned()
    }
}

/// A listing's order: the key, ascending unless `reverse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub reverse: bool,
}

/// A product's place in a sort: the sort's value and the id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    Id(i64),
    /// The tier (0: the search matches in the name; 1: only with the description), then the id.
    Relevance(i64, i64),
    Name(String, i64),
    Price(i64, i64),
    CreatedAt(NaiveDateTime, i64),
    UpdatedAt(NaiveDateTime, i64),
}

impl Position {
    /// `row`'s place in the sort by `key`, for a search of `words`.
    pub fn of(row: &ProductRow, key: SortKey, words: &[String]) -> Self {
        match key {
            SortKey::Id => Self::Id(row.id),
            SortKey::Relevance => Self::Relevance(name_tier(&row.name, words), row.id),
            SortKey::Name => Self::Name(row.name_key.clone(), row.id),
            SortKey::Price => Self::Price(row.price_cents, row.id),
            SortKey::CreatedAt => Self::CreatedAt(row.created_at, row.id),
            SortKey::UpdatedAt => Self::UpdatedAt(row.updated_at, row.id),
        }
    }

    pub fn id(&self) -> i64 {
        match self {
            Self::Id(id)
            | Self::Relevance(_, id)
            | Self::Name(_, id)
            | Self::Price(_, id)
            | Self::CreatedAt(_, id)
            | Self::UpdatedAt(_, id) => *id,
        }
    }

    /// The same value with another id (to turn "after this one" into "from this one").
    pub fn with_id(&self, id: i64) -> Self {
        match self {
            Self::Id(_) => Self::Id(id),
            Self::Relevance(v, _) => Self::Relevance(*v, id),
            Self::Name(v, _) => Self::Name(v.clone(), id),
            Self::Price(v, _) => Self::Price(*v, id),
            Self::CreatedAt(v, _) => Self::CreatedAt(*v, id),
            Self::UpdatedAt(v, _) => Self::UpdatedAt(*v, id),
        }
    }

    fn value_text(&self) -> String {
        match self {
            Self::Id(_) => String::new(),
            Self::Name(v, _) => v.clone(),
            Self::Price(v, _) | Self::Relevance(v, _) => v.to_string(),
            Self::CreatedAt(v, _) | Self::UpdatedAt(v, _) => {
                v.and_utc().timestamp_micros().to_string()
            }
        }
    }

    /// A cursor's value, if it is one a row could have: a time within the years 1 to 9999 (what both
    /// databases hold; PostgreSQL refuses one before 4713 BC), a name key without NUL and no longer
    /// than a name's key can be. A forged cursor is refused here, never sent to SQL.
    fn read(key: SortKey, id: i64, value: &str) -> Option<Self> {
        use chrono::Datelike as _;
        let time = || {
            let micros: i64 = value.parse().ok()?;
            chrono::DateTime::from_timestamp_micros(micros)
                .map(|t| t.naive_utc())
                .filter(|t| (1..=9999).contains(&t.year()))
        };
        let name = || {
            (value.len() <= MAX_NAME_KEY_BYTES && !value.contains('\0')).then(|| value.to_owned())
        };
        Some(match key {
            SortKey::Id => value.is_empty().then_some(Self::Id(id))?,
            SortKey::Relevance => {
                Self::Relevance(value.parse().ok().filter(|t| matches!(t, 0 | 1))?, id)
            }
            SortKey::Name => Self::Name(name()?, id),
            SortKey::Price => Self::Price(value.parse().ok()?, id),
            SortKey::CreatedAt => Self::CreatedAt(time()?, id),
            SortKey::UpdatedAt => Self::UpdatedAt(time()?, id),
        })
    }
}

/// The longest a product's name key can be: 255 characters, each at most 4 bytes, and lower case
/// can double a character (`İ` -> `i̇`).
const MAX_NAME_KEY_BYTES: usize = 255 * 4 * 2;

const CURSOR_VERSION: &str = "p1";
/// Parts of a cursor's text are joined with a character no sort value holds (a unit separator).
const SEPARATOR: char = '\u{1f}';

/// RELEVANCE's tier of a product named `name` for a search of `words`: 0 when every word is a word of
/// the name (the last as a prefix), as the search indexes match; else 1.
pub fn name_tier(name: &str, words: &[String]) -> i64 {
    let folded = search_words(name);
    let name_words: Vec<&str> = folded.split(' ').collect();
    let Some((last, rest)) = words.split_last() else {
        return 1;
    };
    let matches = rest.iter().all(|w| name_words.contains(&w.as_str()))
        && name_words.iter().any(|n| n.starts_with(last.as_str()));
    if matches { 0 } else { 1 }
}

/// The cursors of one listing (its sort, search and filter).
pub struct Cursors {
    sort: Sort,
    fingerprint: String,
    /// The search's words (for RELEVANCE's tiers).
    words: Vec<String>,
}

impl Cursors {
    pub fn new(sort: Sort, filter: &ProductFilter) -> Self {
        Self {
            sort,
            fingerprint: filter.fingerprint(),
            words: filter
                .search
                .as_ref()
                .map(Search::words)
                .unwrap_or_default(),
        }
    }

    /// The opaque cursor of `row` in this listing.
    pub fn cursor_of(&self, row: &ProductRow) -> String {
        let position = Position::of(row, self.sort.key, &self.words);
        let text = [
            CURSOR_VERSION,
            self.sort.key.code(),
            if self.sort.reverse { "1" } else { "0" },
            &self.fingerprint,
            &position.id().to_string(),
            &position.value_text(),
        ]
        .join(&SEPARATOR.to_string());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }

    /// Reads a cursor of this listing back; `None` when it is not one.
    pub fn read(&self, cursor: &str) -> Option<Position> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.splitn(6, SEPARATOR);
        let mut next = || parts.next();
        let ours = next()? == CURSOR_VERSION
            && next()? == self.sort.key.code()
            && next()? == if self.sort.reverse { "1" } else { "0" }
            && next()? == self.fingerprint;
        if !ours {
            return None;
        }
        let id: i64 = next()?.parse().ok().filter(|id| *id > 0)?;
        Position::read(self.sort.key, id, next()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ProductRow {
        let at = chrono::DateTime::from_timestamp_micros(1_764_620_000_123_456)
            .unwrap()
            .naive_utc();
        ProductRow {
            id: 42,
            vendor_id: 1,
            name: "Montre | Été".into(),
            name_key: "montre | été".into(),
            description: String::new(),
            price_cents: 4999,
            stock: 3,
            deleted_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn a_cursor_reads_back_only_in_its_own_listing() {
        let filter = ProductFilter::default();
        for key in [
            SortKey::Id,
            SortKey::Name,
            SortKey::Price,
            SortKey::CreatedAt,
            SortKey::UpdatedAt,
        ] {
            let sort = Sort {
                key,
                reverse: false,
            };
            let cursors = Cursors::new(sort, &filter);
            let cursor = cursors.cursor_of(&row());
            assert_eq!(cursors.read(&cursor), Some(Position::of(&row(), key, &[])));
            let reversed = Cursors::new(Sort { key, reverse: true }, &filter);
            assert_eq!(reversed.read(&cursor), None);
            let filtered = ProductFilter {
                in_stock: Some(true),
                ..ProductFilter::default()
            };
            assert_eq!(Cursors::new(sort, &filtered).read(&cursor), None);
        }
        let by_price = Cursors::new(
            Sort {
                key: SortKey::Price,
                reverse: false,
            },
            &filter,
        );
        for junk in ["", "abc", "%%%", "cDE", "aWQ6NDI"] {
            assert_eq!(by_price.read(junk), None, "{junk}");
        }
    }
}
