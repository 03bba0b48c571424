//! A client generated from `schema.graphql` (graphql_client), as storefronts generate theirs: the typed
//! operations compile only while the schema still serves them, and they work against the real server.

use graphql_client::{GraphQLQuery, Response};
use serde_json::json;

use crate::catalog::create_product;
use crate::harness::{Gql, Request, TestApp};
use crate::on_both_backends;

/// The schema's custom scalars as the generated code sees them (money travels as text).
type Decimal = String;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "schema.graphql",
    query_path = "tests/api/operations/storefront.graphql",
    response_derives = "Debug"
)]
pub struct StorefrontProducts;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "schema.graphql",
    query_path = "tests/api/operations/storefront.graphql",
    response_derives = "Debug"
)]
pub struct StorefrontPlaceOrder;

on_both_backends!(a_generated_client_browses_and_orders);

/// Sends a typed operation and reads its typed answer.
async fn typed<Q: GraphQLQuery>(request: Request<'_>, variables: Q::Variables) -> Q::ResponseData {
    let body = Q::build_query(variables);
    let answer: Gql = request
        .send_body(serde_json::to_string(&body).unwrap())
        .await;
    let response: Response<Q::ResponseData> = serde_json::from_value(answer.body.clone()).unwrap();
    assert!(response.errors.is_none(), "{:#}", answer.body);
    response.data.expect("data")
}

async fn a_generated_client_browses_and_orders(app: TestApp) {
    let store = app.store("vendor1").await;
    let watch = create_product(&app, &store, "Watch", json!("49.99"), 5).await;
    create_product(&app, &store, "Strap", json!("5.00"), 5).await;

    let browse = storefront_products::Variables {
        first: Some(10),
        search: Some("wat".into()),
    };
    let page = typed::<StorefrontProducts>(app.gql().tenant(&store.domain), browse)
        .await
        .products;
    assert_eq!(page.total_count, 1);
    assert_eq!(page.nodes[0].name, "Watch");
    assert_eq!(page.nodes[0].price, "49.99");
    assert!(!page.page_info.has_next_page);

    let order = storefront_place_order::Variables {
        input: storefront_place_order::PlaceOrderInput {
            items: vec![storefront_place_order::OrderLineInput {
                product_id: watch["id"].as_str().unwrap().to_owned(),
                quantity: 2,
            }],
            address: "1 Main Street".into(),
            idempotency_key: None,
        },
    };
    let placed = typed::<StorefrontPlaceOrder>(app.as_user(&store, &store.customer), order)
        .await
        .place_order;
    assert!(matches!(
        placed.status,
        storefront_place_order::OrderStatus::PENDING
    ));
    assert_eq!(placed.total, "99.98");
    assert_eq!(placed.items[0].line_total, "99.98");
}
