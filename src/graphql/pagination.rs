//! Relay connections with keyset pagination: a cursor is an opaque form of a row id, and a page is the
//! rows after it in the listing's order. No OFFSET, so a page costs the same at the end of a large table.

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{ObjectType, OutputType};
use base64::Engine as _;

use crate::error::{AppError, AppResult};

/// Largest `first` (CONTRACT.md section 7).
pub const MAX_PAGE: i32 = 100;
pub const DEFAULT_PAGE: i32 = 20;

const CURSOR_PREFIX: &str = "id:";

/// A position in a listing: the id of the row it stands at.
pub struct IdCursor(pub i64);

impl CursorType for IdCursor {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| "invalid cursor")?;
        let text = std::str::from_utf8(&bytes).map_err(|_| "invalid cursor")?;
        let id = text.strip_prefix(CURSOR_PREFIX).ok_or("invalid cursor")?;
        id.parse().map(IdCursor).map_err(|_| "invalid cursor")
    }

    fn encode_cursor(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{CURSOR_PREFIX}{}", self.0))
    }
}

/// The page a client asked for: `first` rows after the cursor `after`.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub first: i64,
    pub after: Option<i64>,
}

/// A page size asked for in the argument `field` (`first` or `last`): 1 to 100, else `BAD_USER_INPUT`.
pub fn page_size(field: &str, size: i32) -> AppResult<i64> {
    if !(1..=MAX_PAGE).contains(&size) {
        return Err(AppError::bad_input(
            field,
            format!("{field} must be between 1 and {MAX_PAGE}"),
        ));
    }
    Ok(i64::from(size))
}

impl Page {
    /// Checks `first` (1 to 100) and decodes `after`; either wrong is `BAD_USER_INPUT` on that argument.
    pub fn new(first: i32, after: Option<&str>) -> AppResult<Self> {
        let first = page_size("first", first)?;
        let after = after
            .map(|cursor| {
                IdCursor::decode_cursor(cursor).map(|c| c.0).map_err(|_| {
                    AppError::bad_input("after", "this is not a cursor of this listing")
                })
            })
            .transpose()?;
        Ok(Self { first, after })
    }

    /// Rows to fetch: one more than the page, to learn whether a next page exists.
    pub fn fetch_limit(&self) -> i64 {
        self.first + 1
    }

    /// Turns the fetched rows (at most `fetch_limit`) into a connection.
    pub fn into_connection<Row, Node, Fields>(
        self,
        mut rows: Vec<Row>,
        id_of: impl Fn(&Row) -> i64,
        node: impl Fn(Row) -> Node,
        fields: Fields,
    ) -> Connection<IdCursor, Node, Fields>
    where
        Node: OutputType,
        Fields: ObjectType,
    {
        let has_next = rows.len() as i64 > self.first;
        rows.truncate(self.first as usize);
        let mut connection =
            Connection::with_additional_fields(self.after.is_some(), has_next, fields);
        connection.edges = rows
            .into_iter()
            .map(|row| Edge::new(IdCursor(id_of(&row)), node(row)))
            .collect();
        connection
    }
}

/// Reads a client's `ID` as a row id. An id that cannot be one names no object: callers treat `None`
/// exactly as an id that does not exist.
pub fn parse_id(id: &async_graphql::ID) -> Option<i64> {
    id.parse::<i64>().ok().filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let encoded = IdCursor(42).encode_cursor();
        assert_eq!(IdCursor::decode_cursor(&encoded).unwrap().0, 42);
        assert!(IdCursor::decode_cursor("42").is_err());
        assert!(IdCursor::decode_cursor("!!!").is_err());
        assert!(Page::new(20, Some("nope")).is_err());
        assert_eq!(Page::new(20, Some(&encoded)).unwrap().after, Some(42));
    }

    #[test]
    fn first_is_bounded() {
        assert!(Page::new(0, None).is_err());
        assert!(Page::new(-1, None).is_err());
        assert!(Page::new(101, None).is_err());
        assert_eq!(Page::new(100, None).unwrap().fetch_limit(), 101);
    }
}
