//! Hostile requests: depth, cost, introspection and suggestions in production, and errors that must not
//! show internals.

use serde_json::json;

use crate::catalog::create_product;
use crate::harness::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    deep_queries_are_refused,
    expensive_queries_are_refused,
    database_errors_show_no_internals,
);

async fn deep_queries_are_refused(app: TestApp) {
    // 13 levels of selection.
    let deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }";
    let response = app.gql().send(deep, json!({})).await;
    assert_eq!(response.code(), "BAD_USER_INPUT");
    assert!(response.message().to_lowercase().contains("too deep"));
    // 12 levels are fine.
    let twelve = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }";
    app.gql().send(twelve, json!({})).await.data();
}

async fn expensive_queries_are_refused(app: TestApp) {
    let store = app.store("vendor1").await;
    create_product(&app, &store, "Watch", json!("1.00"), 1).await;
    let page =
        "products(first: 100) { nodes { id name description price stock createdAt updatedAt } }";
    app.gql()
        .tenant(&store.domain)
        .send(&format!("{{ {page} }}"), json!({}))
        .await
        .data();

    // The same page ten times over through aliases is more than one request may ask for.
    let aliased: String = (0..10).map(|i| format!("p{i}: {page} ")).collect();
    let response = app
        .gql()
        .tenant(&store.domain)
        .send(&format!("{{ {aliased} }}"), json!({}))
        .await;
    assert_eq!(response.code(), "BAD_USER_INPUT");
    assert!(response.message().to_lowercase().contains("complex"));

    let orders = "orders(first: 100) { nodes { id status total items { quantity product { name } } customer { username email } } }";
    app.as_user(&store, &store.owner)
        .send(&format!("{{ {orders} }}"), json!({}))
        .await
        .data();
    let aliased: String = (0..5).map(|i| format!("o{i}: {orders} ")).collect();
    let response = app
        .as_user(&store, &store.owner)
        .send(&format!("{{ {aliased} }}"), json!({}))
        .await;
    assert_eq!(response.code(), "BAD_USER_INPUT");
}

/// A database error reaches the client as INTERNAL_SERVER_ERROR with a fixed message: no SQL, no table
/// names, no driver text.
async fn database_errors_show_no_internals(app: TestApp) {
    use diesel_async::SimpleAsyncConnection as _;
    let store = app.store("vendor1").await;
    create_product(&app, &store, "Watch", json!("1.00"), 1).await;
    {
        let mut pooled = app.admin.unscoped().await.unwrap();
        multistore::with_conn!(pooled.conn(), |c| c
            .batch_execute("ALTER TABLE products RENAME TO products_gone")
            .await)
        .unwrap();
    }
    let queries = [
        "{ products { nodes { id } } }",
        "mutation { createProduct(input: { name: \"X\", price: \"1.00\", stock: 1 }) { id } }",
    ];
    for query in queries {
        let response = app
            .as_user(&store, &store.owner)
            .send(query, json!({}))
            .await;
        assert_eq!(response.code(), "INTERNAL_SERVER_ERROR", "{query}");
        assert_eq!(response.error()["message"], "internal server error");
        let error = response.error();
        let text = format!("{} {}", error["message"], error["extensions"]).to_lowercase();
        for leak in [
            "products", "select", "insert", "relation", "table", "sql", "diesel",
        ] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
    }
}

#[tokio::test]
async fn production_hides_the_schema() {
    let open = TestApp::spawn(Backend::Sqlite).await;
    let typo = "{ vendr { id } }";
    let response = open.gql().send(typo, json!({})).await;
    assert!(
        response.message().contains("Did you mean"),
        "{:#}",
        response.body
    );
    open.gql()
        .send("{ __schema { queryType { name } } }", json!({}))
        .await
        .data();

    let closed = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.introspection = false;
        config.graphiql = false;
    })
    .await;
    // Introspection answers nothing.
    let response = closed
        .gql()
        .send("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(
        response.body["data"]["__schema"],
        serde_json::Value::Null,
        "{:#}",
        response.body
    );
    let response = closed
        .gql()
        .send("{ __type(name: \"Order\") { name } }", json!({}))
        .await;
    assert_eq!(
        response.body["data"]["__type"],
        serde_json::Value::Null,
        "{:#}",
        response.body
    );
    let response = closed.gql().send(typo, json!({})).await;
    assert!(!response.message().contains("Did you mean"));
    assert_eq!(closed.get("/graphql").await.status(), 404);
}
