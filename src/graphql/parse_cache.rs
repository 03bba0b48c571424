//! Parsed documents, kept by their text. Storefronts and back offices send the same few documents over
//! and over with other variables; parsing each again costs more than cloning the parsed form.
//! Validation still runs for every request (its cost checks depend on the variables).
//!
//! The endpoint hands the parsed document to the request (`Request::set_parsed_query`) rather than
//! hooking the schema's parse step with an extension: with any extension installed, async-graphql routes
//! every field of every answer through the extension chain, which costs more than parsing saves.

use std::collections::HashMap;
use std::sync::Mutex;

use async_graphql::parser::types::ExecutableDocument;

/// Documents kept before the cache starts over.
const ENTRIES: usize = 1_000;
/// Longer documents are parsed every time (and cannot fill memory).
const MAX_DOCUMENT_BYTES: usize = 16 * 1024;

#[derive(Default)]
pub struct ParseCache {
    documents: Mutex<HashMap<String, ExecutableDocument>>,
}

impl ParseCache {
    /// Gives `request` its parsed document, from the cache or parsed now (and kept). A document that
    /// does not parse is left to the schema, which answers with the syntax error.
    pub fn prepare(&self, request: &mut async_graphql::Request) {
        if let Some(document) = self.lock().get(&request.query) {
            request.set_parsed_query(document.clone());
            return;
        }
        if request.query.len() > MAX_DOCUMENT_BYTES {
            return;
        }
        let Ok(document) = request.parsed_query().cloned() else {
            return;
        };
        let mut documents = self.lock();
        if documents.len() >= ENTRIES {
            documents.clear();
        }
        documents.insert(request.query.clone(), document);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ExecutableDocument>> {
        self.documents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::ParseCache;

    #[test]
    fn documents_are_parsed_once_and_broken_ones_left_to_the_schema() {
        let cache = ParseCache::default();
        let mut first = async_graphql::Request::new("{ a b }");
        cache.prepare(&mut first);
        assert_eq!(cache.lock().len(), 1);
        let mut again = async_graphql::Request::new("{ a b }");
        cache.prepare(&mut again);
        assert!(again.parsed_query().is_ok());
        assert_eq!(cache.lock().len(), 1);
        let mut broken = async_graphql::Request::new("{ a");
        cache.prepare(&mut broken);
        assert_eq!(cache.lock().len(), 1);
    }
}
