//! Parsed documents that validated, kept by their text. Storefronts and back offices send the same few
//! documents over and over with other variables; parsing each again costs more than cloning the parsed
//! form. Only documents that passed the limits and validation are kept, so junk cannot fill it; it is
//! bounded by bytes and evicts the least used first (moka's TinyLFU), so a flood of one-off documents
//! cannot push out the ones in daily use.
//!
//! The endpoint hands the parsed document to the request (`Request::set_parsed_query`) rather than
//! hooking the schema's parse step with an extension: with any extension installed, async-graphql routes
//! every field of every answer through the extension chain, which costs more than parsing saves.

use async_graphql::parser::types::ExecutableDocument;
use moka::sync::Cache;

/// Bytes of documents kept, counted as a multiple of their text (the parsed form is larger).
const CAPACITY_BYTES: u64 = 32 * 1024 * 1024;
/// How much larger the parsed form is than the text, roughly; plus a fixed overhead per entry.
const PARSED_PER_TEXT_BYTE: u64 = 8;
const ENTRY_OVERHEAD: u64 = 512;

pub struct ParseCache {
    documents: Cache<String, ExecutableDocument>,
}

impl Default for ParseCache {
    fn default() -> Self {
        Self::with_capacity(CAPACITY_BYTES)
    }
}

impl ParseCache {
    pub fn with_capacity(bytes: u64) -> Self {
        Self {
            documents: Cache::builder()
                .max_capacity(bytes)
                .weigher(|text: &String, _| {
                    let weight = text.len() as u64 * PARSED_PER_TEXT_BYTE + ENTRY_OVERHEAD;
                    u32::try_from(weight).unwrap_or(u32::MAX)
                })
                .build(),
        }
    }

    /// The parsed document of `text`, when it was kept.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        self.documents.get(text)
    }

    /// Keeps a document that validated.
    pub fn keep(&self, text: String, document: ExecutableDocument) {
        self.documents.insert(text, document);
    }

    /// Bytes kept (as weighed), after pending evictions are applied.
    pub fn weight(&self) -> u64 {
        self.documents.run_pending_tasks();
        self.documents.weighted_size()
    }
}

#[cfg(test)]
mod tests {
    use super::ParseCache;

    #[test]
    fn kept_documents_are_found_and_the_cache_stays_within_its_bytes() {
        let cache = ParseCache::with_capacity(64 * 1024);
        let parse = |text: &str| async_graphql::parser::parse_query(text).unwrap();
        cache.keep("{ a b }".into(), parse("{ a b }"));
        assert!(cache.get("{ a b }").is_some());
        assert!(cache.get("{ a }").is_none());
        for i in 0..1_000 {
            let text = format!("{{ a{i} {} }}", "b ".repeat(100));
            cache.keep(text.clone(), parse(&text));
        }
        assert!(cache.weight() <= 64 * 1024, "{}", cache.weight());
    }
}
