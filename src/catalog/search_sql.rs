//! A search's SQL, in the two forms a listing needs.
//!
//! - **Row by row**, for a walk down a sort's index: on PostgreSQL the row's `search_vector` against
//!   the tsquery; on SQLite each word `LIKE` against the product's folded words (`search_name`,
//!   `search_description`: lower case, no accents, single spaces, written by the service). RELEVANCE's
//!   name tier is `LIKE` against the folded name on both. Cheap per row, and what lets a common word's
//!   page come straight off the sort's index.
//! - **From the search index**: PostgreSQL's GIN index of `search_vector` (through the function
//!   `catalog_search`, see migration 10), SQLite's FTS5 table. For a rare word, where walking the sort
//!   would read the whole store to fill a page. A planner cannot tell the two cases apart (PostgreSQL
//!   guesses any word at 0.5% of the rows), so the listing decides (`listing_store`), and the indexed
//!   form is fenced: the matches are read first (`ARRAY(SELECT catalog_search(…))`, `IN (SELECT rowid
//!   FROM products_fts …)`), and the listing orders that form by an expression, so neither planner
//!   walks the sort's index instead.
//!
//! Both forms say the same thing: every word of the search is a word of the name or the description,
//! the last one as a prefix. Words are letters and digits only (`values::search_words`), so they
//! cannot hold `LIKE`'s `%` or `_`, nor break the quotes of a tsquery or an FTS5 phrase.

use crate::db::{Conn, Predicate, TenantId};

/// The products a search keeps, or a part of them (RELEVANCE reads name matches first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every word in the name or the description.
    Anywhere,
    /// Every word in the name (RELEVANCE's first tier).
    InName,
    /// The rest: matched, but not by the name alone (RELEVANCE's second tier).
    NotInName,
}

impl Scope {
    /// RELEVANCE's tier of the products in this scope (0 first).
    pub fn tier(self) -> i64 {
        match self {
            Self::InName => 0,
            Self::Anywhere | Self::NotInName => 1,
        }
    }
}

/// A search of one or more words as SQL of the backend at hand.
#[derive(Clone)]
pub struct SearchSql {
    in_words: Predicate,
    in_name: Predicate,
    indexed: Predicate,
}

impl SearchSql {
    /// `None` for a search of no words (which keeps everything, and is refused before).
    pub fn new(conn: &Conn<'_>, tenant: TenantId, words: &[String]) -> Option<Self> {
        let (last, rest) = words.split_last()?;
        let like = |column: &str| {
            let mut predicate = Predicate::default();
            for (i, word) in words.iter().enumerate() {
                let pattern = if i + 1 == words.len() {
                    format!("% {word}%")
                } else {
                    format!("% {word} %")
                };
                if i > 0 {
                    predicate = predicate.sql(" AND ");
                }
                predicate = predicate.sql(format!("{column} LIKE ")).text(pattern);
            }
            predicate
        };
        let in_name = like("(' ' || products.search_name || ' ')");
        let (in_words, indexed) = match conn {
            Conn::Pg(..) => {
                // A tsquery of the store's lexemes (migration 10): '7:one' & '7:two':*. Row by row
                // against the row's stored tsvector (a binary search of its words, cheaper than LIKE
                // over a long description); from the index through `catalog_search` (the GIN index
                // cannot serve `@@` under the service's policy).
                let store = tenant.0;
                let mut terms: Vec<String> =
                    rest.iter().map(|w| format!("'{store}:{w}'")).collect();
                terms.push(format!("'{store}:{last}':*"));
                let query = terms.join(" & ");
                let in_words = Predicate::default()
                    .sql("products.search_vector @@ CAST(")
                    .text(query.clone())
                    .sql(" AS tsquery)");
                let indexed = Predicate::default()
                    .sql("products.id = ANY(ARRAY(SELECT found FROM catalog_search(CAST(")
                    .text(query)
                    .sql(" AS tsquery)) AS found))");
                (in_words, indexed)
            }
            Conn::Sqlite(_) => {
                // FTS5: "one" "two"* (every phrase must match).
                let mut phrases: Vec<String> = rest.iter().map(|w| format!("\"{w}\"")).collect();
                phrases.push(format!("\"{last}\"*"));
                let in_words = like(
                    "(' ' || products.search_name || ' ' || products.search_description || ' ')",
                );
                let indexed = Predicate::default()
                    .sql(
                        "products.id IN (SELECT rowid FROM products_fts \
                         WHERE products_fts MATCH ",
                    )
                    .text(phrases.join(" "))
                    .sql(")");
                (in_words, indexed)
            }
        };
        Some(Self {
            in_words,
            in_name,
            indexed,
        })
    }

    /// The scope checked on each row (for a walk down a sort's index).
    pub fn row_by_row(&self, scope: Scope) -> Predicate {
        self.narrowed(self.in_words.clone(), scope)
    }

    /// The scope read from the search index first (for a rare word, and for counting).
    pub fn indexed(&self, scope: Scope) -> Predicate {
        self.narrowed(self.indexed.clone(), scope)
    }

    fn narrowed(&self, matches: Predicate, scope: Scope) -> Predicate {
        match scope {
            Scope::Anywhere => matches,
            Scope::InName => matches.sql(" AND (").then(&self.in_name).sql(")"),
            Scope::NotInName => matches.sql(" AND NOT (").then(&self.in_name).sql(")"),
        }
    }
}
