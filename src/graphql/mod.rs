//! The GraphQL schema: the domains' query and mutation roots merged into one, with its limits.

pub mod documents;
pub mod limits;
pub mod loaders;
pub mod pagination;
pub mod parse_cache;
pub mod scalars;

use std::sync::Arc;

use async_graphql::{Context, MergedObject, MergedSubscription, Schema};

use crate::error::{AppError, AppResult, Code};
use crate::graphql::loaders::Loaders;
use crate::identity::RequestContext;
use crate::state::AppState;

#[derive(MergedObject, Default)]
pub struct Query(
    crate::users::graphql::UsersQuery,
    crate::vendors::graphql::VendorsQuery,
    crate::catalog::graphql::CatalogQuery,
    crate::orders::graphql::OrdersQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    crate::auth::graphql::AuthMutation,
    crate::vendors::graphql::VendorsMutation,
    crate::catalog::graphql::CatalogMutation,
    crate::orders::graphql::OrdersMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(crate::orders::subscriptions::OrdersSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema serving requests with `state` in its data. Depth and cost are bounded before the schema
/// sees a document (`documents`, `limits`). With introspection off (production), field suggestions are
/// off too: neither may map the schema for a stranger.
pub fn build_schema(state: AppState) -> AppSchema {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_directives(16);
    if !state.config.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.data(state).finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish()
    .sdl()
}

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

/// Typed access to what every resolver needs from the context.
pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn request(&self) -> &RequestContext;
    /// The request's loaders; present whenever the request has a tenant.
    fn loaders(&self) -> AppResult<&Loaders>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }

    fn request(&self) -> &RequestContext {
        self.data_unchecked::<RequestContext>()
    }

    fn loaders(&self) -> AppResult<&Loaders> {
        self.data::<Arc<Loaders>>()
            .map(|loaders| &**loaders)
            .map_err(|_| AppError::TenantRequired)
    }
}
