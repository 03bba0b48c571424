//! The GraphQL schema: the domains' query, mutation and subscription roots merged into one. It sits at
//! the top of the house: it imports the domains, and nothing below imports it.

use async_graphql::{MergedObject, MergedSubscription, Schema};

use crate::state::AppState;

#[derive(MergedObject, Default)]
pub struct Query(
    crate::users::graphql::UsersQuery,
    crate::vendors::graphql::VendorsQuery,
    crate::catalog::graphql::CatalogQuery,
    crate::orders::graphql::OrdersQuery,
    crate::webhooks::graphql::WebhooksQuery,
    crate::platform::graphql::PlatformQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    crate::auth::graphql::AuthMutation,
    crate::vendors::graphql::VendorsMutation,
    crate::catalog::graphql::CatalogMutation,
    crate::orders::graphql::OrdersMutation,
    crate::webhooks::graphql::WebhooksMutation,
    crate::platform::graphql::PlatformMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(crate::orders::subscriptions::OrdersSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema serving requests with each domain's service in its data (resolvers ask for their own
/// domain's with `ctx.service::<T>()`). Depth and cost are bounded before the schema
/// sees a document (`documents`, `limits`). With introspection off (production), field suggestions are
/// off too: neither may map the schema for a stranger.
pub fn build_schema(state: &AppState) -> AppSchema {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_directives(16);
    if !state.config.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder
        .data(state.accounts.clone())
        .data(state.catalog.clone())
        .data(state.people.clone())
        .data(state.stores.clone())
        .data(state.orders.clone())
        .data(state.webhooks.clone())
        .data(state.platform.clone())
        .finish()
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
