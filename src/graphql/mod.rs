//! The GraphQL toolkit the domains build on: typed context access, error codes, pagination, scalars,
//! and the way in for documents (parse cache and limits). It imports no domain; the schema is merged
//! from the domains' roots at the top of the house (`src/schema.rs`).

pub mod documents;
pub mod limits;
mod nul;
pub mod pagination;
pub mod parse_cache;
pub mod runner;
pub mod scalars;

use async_graphql::Context;

use crate::error::Code;
use crate::identity::RequestContext;

/// Gives every error a contract code. Errors of our resolvers have one; an answer refused before
/// execution comes from validating the document or its variables against the schema
/// (`GRAPHQL_VALIDATION_FAILED`); the rest are input values that async-graphql could not read for a
/// resolver (`BAD_USER_INPUT`).
///
/// Among the refusals before execution, a value that does not fit its argument's type (written in the
/// document or given as a variable) is the client's input, `BAD_USER_INPUT` with the input's path in
/// `extensions.field`, as Apollo Server names variable coercion errors.
pub fn with_codes(response: &mut async_graphql::Response) {
    let before_execution = documents::failed_before_execution(response);
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_some() {
            continue;
        }
        let input = before_execution
            .then(|| bad_input_path(&error.message))
            .flatten();
        let code = match (&input, before_execution) {
            (Some(field), _) => {
                if !field.is_empty() {
                    extensions.set("field", field.as_str());
                }
                Code::BadUserInput
            }
            (None, true) => Code::GraphqlValidationFailed,
            (None, false) => Code::BadUserInput,
        };
        extensions.set("code", code.as_str());
    }
}

/// The input path of a validation message about a value (`Invalid value for argument "input.role", …`,
/// `Variable "$id" of required type "ID!" was not provided.`); `None` for other messages.
fn bad_input_path(message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("Invalid value for argument \"") {
        return Some(rest.split('"').next().unwrap_or_default().to_owned());
    }
    let rest = message.strip_prefix("Variable \"$")?;
    message
        .ends_with("was not provided.")
        .then(|| rest.split('"').next().unwrap_or_default().to_owned())
}

/// Typed access to what every resolver needs from the context: the request's identity, and the
/// domain services the schema was built with (each resolver asks for its own domain's).
pub trait ContextExt<'a> {
    fn request(&self) -> &'a RequestContext;
    fn service<T: std::any::Any + Send + Sync>(&self) -> &'a T;
}

impl<'a> ContextExt<'a> for Context<'a> {
    fn request(&self) -> &'a RequestContext {
        self.data_unchecked::<RequestContext>()
    }

    fn service<T: std::any::Any + Send + Sync>(&self) -> &'a T {
        self.data_unchecked::<T>()
    }
}
