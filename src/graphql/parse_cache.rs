//! Parsed documents, kept by their text. Storefronts and back offices send the same few documents over
//! and over with other variables; parsing each again costs more than cloning the parsed form.
//! Validation still runs for every request (its cost checks depend on the variables).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Variables};

/// Documents kept before the cache starts over.
const ENTRIES: usize = 1_000;
/// Longer documents are parsed every time (and cannot fill memory).
const MAX_DOCUMENT_BYTES: usize = 16 * 1024;

#[derive(Clone, Default)]
pub struct ParseCache {
    documents: Arc<Mutex<HashMap<String, ExecutableDocument>>>,
}

impl ExtensionFactory for ParseCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Extension for ParseCache {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(document) = self.lock().get(query) {
            return Ok(document.clone());
        }
        let document = next.run(ctx, query, variables).await?;
        if query.len() <= MAX_DOCUMENT_BYTES {
            let mut documents = self.lock();
            if documents.len() >= ENTRIES {
                documents.clear();
            }
            documents.insert(query.to_owned(), document.clone());
        }
        Ok(document)
    }
}

impl ParseCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ExecutableDocument>> {
        self.documents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
