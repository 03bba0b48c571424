//! The way in for every document, over HTTP and WebSocket alike: parsed once (or taken from the parse
//! cache), checked against the limits before anything else looks at it, and kept in the cache only once
//! async-graphql has validated it.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{ErrorExtensionValues, Pos, ServerError};

use crate::error::Code;
use crate::graphql::limits::{Budget, DocumentLimits, Refused, tokens};
use crate::graphql::nul;
use crate::graphql::parse_cache::ParseCache;

pub struct Documents {
    cache: ParseCache,
    limits: DocumentLimits,
}

/// A request let through: what to keep once its answer shows it validated.
#[derive(Default)]
pub struct Admitted {
    /// A document parsed now, with its text: kept once it validated.
    fresh: Option<(String, ExecutableDocument)>,
    /// The name of the operation that runs, as the document spells it.
    operation: Option<String>,
    /// Its type (`None` when the document does not say which operation runs: it fails validation).
    kind: Option<OperationType>,
}

impl Admitted {
    /// Whether the operation that runs is a query: it only reads.
    pub fn is_query(&self) -> bool {
        self.kind.is_none_or(|kind| kind == OperationType::Query)
    }
}

impl Documents {
    /// The way in for the schema written as `sdl`.
    pub fn new(sdl: &str) -> Self {
        Self {
            cache: ParseCache::default(),
            limits: DocumentLimits::new(sdl),
        }
    }

    /// Gives `request` its parsed document and checks it against the limits, charging `budget`. The
    /// error is the answer: `GRAPHQL_PARSE_FAILED`, `LIMIT_EXCEEDED` or `GRAPHQL_VALIDATION_FAILED`.
    pub fn admit(
        &self,
        request: &mut async_graphql::Request,
        budget: &mut Budget,
    ) -> Result<Admitted, ServerError> {
        let (document, fresh) = match self.cache.get(&request.query) {
            Some(document) => (document, false),
            None if !tokens::within(&request.query, tokens::MAX_TOKENS) => {
                let message = format!(
                    "the document has more than {} tokens; send a smaller one",
                    tokens::MAX_TOKENS
                );
                return Err(coded(message, None, Code::LimitExceeded));
            }
            None => (
                async_graphql::parser::parse_query(&request.query).map_err(parse_error)?,
                true,
            ),
        };
        self.limits
            .check(
                &document,
                request.operation_name.as_deref(),
                &request.variables,
                budget,
            )
            .map_err(|refused| match refused {
                Refused::Limit(message) => coded(message, None, Code::LimitExceeded),
                Refused::Invalid(message) => coded(message, None, Code::GraphqlValidationFailed),
            })?;
        // A document from the cache was checked when it came in.
        let nul = nul::in_variables(&request.variables)
            .or_else(|| fresh.then(|| nul::in_document(&document)).flatten());
        if let Some(field) = nul {
            let mut refusal = coded(
                format!("{field}: text may not contain a NUL character"),
                None,
                Code::BadUserInput,
            );
            if let Some(extensions) = refusal.extensions.as_mut() {
                extensions.set("field", field);
            }
            return Err(refusal);
        }
        let (operation, kind) = selected(&document, request.operation_name.as_deref());
        let fresh = fresh.then(|| (request.query.clone(), document.clone()));
        request.set_parsed_query(document);
        Ok(Admitted {
            fresh,
            operation,
            kind,
        })
    }

    /// Bytes of parsed documents kept.
    pub fn cache_bytes(&self) -> u64 {
        self.cache.weight()
    }

    /// Takes note of the answer to an admitted request: a document that validated is kept for next
    /// time. Returns the operation's name for metrics (`None` for an anonymous operation or one that
    /// did not validate, whose name no one should see as a label).
    pub fn answered(
        &self,
        admitted: Admitted,
        response: &async_graphql::Response,
    ) -> Option<String> {
        if failed_before_execution(response) {
            return None;
        }
        if let Some((text, document)) = admitted.fresh {
            self.cache.keep(text, document);
        }
        admitted.operation
    }
}

/// Whether the answer is a refusal before execution (validation, variables, an unknown operation): no
/// data, and errors at no path.
pub fn failed_before_execution(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// The name (when it has one) and the type of the operation of `document` that runs.
fn selected(
    document: &ExecutableDocument,
    wanted: Option<&str>,
) -> (Option<String>, Option<OperationType>) {
    match &document.operations {
        DocumentOperations::Single(operation) => (None, Some(operation.node.ty)),
        DocumentOperations::Multiple(operations) => {
            let found = match wanted {
                Some(wanted) => operations.iter().find(|(name, _)| name.as_str() == wanted),
                None if operations.len() == 1 => operations.iter().next(),
                None => None,
            };
            match found {
                Some((name, operation)) => (Some(name.to_string()), Some(operation.node.ty)),
                None => (None, None),
            }
        }
    }
}

fn coded(message: String, at: Option<Pos>, code: Code) -> ServerError {
    let mut error = ServerError::new(message, at);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    error
}

/// A parse error in one line for people, with where it is: `Syntax error: expected a selection set at
/// line 1, column 2` (the parser's own text is several lines of ASCII art).
fn parse_error(err: async_graphql::parser::Error) -> ServerError {
    use async_graphql::parser::Error;
    let at = err.positions().next();
    match &err {
        Error::Syntax { message, start, .. } => {
            let expected = message
                .lines()
                .rev()
                .find_map(|line| line.trim().strip_prefix("= "))
                .map(|what| what.replace('_', " ").replace("EOI", "end of input"))
                .unwrap_or_else(|| "unexpected input".to_owned());
            coded(
                format!(
                    "Syntax error: {expected} at line {}, column {}",
                    start.line, start.column
                ),
                Some(*start),
                Code::GraphqlParseFailed,
            )
        }
        Error::RecursionLimitExceeded => coded(
            "the document nests selections or values too deep".to_owned(),
            None,
            Code::LimitExceeded,
        ),
        other => coded(other.to_string(), at, Code::GraphqlParseFailed),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_error;

    #[test]
    fn syntax_errors_are_one_line_with_where() {
        let err = async_graphql::parser::parse_query("{").unwrap_err();
        let error = parse_error(err);
        assert!(!error.message.contains('\n'), "{}", error.message);
        assert!(
            error.message.starts_with("Syntax error: "),
            "{}",
            error.message
        );
        assert!(
            error.message.ends_with("at line 1, column 2"),
            "{}",
            error.message
        );
        assert_eq!(error.locations.len(), 1);
    }
}
