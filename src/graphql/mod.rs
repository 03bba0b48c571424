//! The GraphQL schema: the domains' query and mutation roots merged into one, with its limits.

pub mod loaders;
pub mod pagination;
pub mod parse_cache;
pub mod scalars;

use std::sync::Arc;

use async_graphql::{Context, MergedObject, MergedSubscription, Schema};

use crate::error::{AppError, AppResult, Code};
use crate::graphql::loaders::Loaders;
use crate::http::context::RequestContext;
use crate::state::AppState;

/// Deepest selection a query may have (CONTRACT.md section 7).
pub const MAX_DEPTH: usize = 12;

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

/// Most work one operation may ask for. A field costs 1, a connection `first` times its selection: a page
/// of 100 orders with every field, lines, products and people is about 4,000.
pub const MAX_COMPLEXITY: usize = 5_000;

/// The cost of a connection field: `first` (1 to 100, default 20) times what each node selects.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first
        .unwrap_or(pagination::DEFAULT_PAGE)
        .clamp(1, pagination::MAX_PAGE);
    first as usize * child_complexity.max(1)
}

/// The schema serving requests with `state` in its data. With introspection off (production), field
/// suggestions are off too: neither may map the schema for a stranger.
pub fn build_schema(state: AppState) -> AppSchema {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
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

/// Gives every error a contract code. Errors of our resolvers have one; the others come from parsing and
/// validating the document or its variables (syntax, unknown fields, wrong types, depth), which are the
/// client's input.
pub fn with_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Code::BadUserInput.as_str());
        }
    }
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
