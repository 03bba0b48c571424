//! Tenant isolation below the application: the database itself refuses rows that point across tenants,
//! even when written directly, bypassing every check of the API.

use multistore::db::TenantId;
use multistore::orders::model::NewOrderItem;
use serde_json::json;

use crate::catalog::create_product;
use crate::harness::TestApp;
use crate::on_both_backends;

on_both_backends!(composite_keys_refuse_rows_that_cross_tenants);

async fn composite_keys_refuse_rows_that_cross_tenants(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    let mine = create_product(&app, &one, "Mine", json!("1.00"), 10).await;
    let theirs = create_product(&app, &two, "Theirs", json!("1.00"), 10).await;
    let placed = app
        .as_user(&one, &one.customer)
        .send(
            "mutation($id: ID!) { placeOrder(input: { items: [{ productId: $id, quantity: 1 }], address: \"A\" }) { id } }",
            json!({ "id": mine["id"] }),
        )
        .await;
    let id = |value: &serde_json::Value| -> i64 { value.as_str().unwrap().parse().unwrap() };
    let order_id = id(&placed.data()["placeOrder"]["id"]);
    let tenant_one = TenantId(one.id.parse().unwrap());
    let tenant_two = TenantId(two.id.parse().unwrap());

    let mut pooled = app.state.db.get().await.unwrap();
    let conn = &mut pooled.conn();
    let line = |vendor_id: i64, product_id: i64| NewOrderItem {
        vendor_id,
        order_id,
        product_id,
        product_name: "forged",
        unit_price_cents: 1,
        quantity: 1,
    };
    // A line of store 1's order naming store 2's product.
    let forged =
        multistore::orders::store::insert_item(conn, &line(tenant_one.0, id(&theirs["id"]))).await;
    assert!(
        forged.is_err(),
        "a line pointing at another store's product"
    );
    // A line filed under store 2 pointing at store 1's order.
    let forged =
        multistore::orders::store::insert_item(conn, &line(tenant_two.0, id(&theirs["id"]))).await;
    assert!(forged.is_err(), "a line of another store's order");
    // Store 1's order assigned to store 2's staff.
    let forged = multistore::orders::store::assign(
        conn,
        tenant_one,
        order_id,
        two.staff.id.parse().unwrap(),
    )
    .await;
    assert!(forged.is_err(), "an assignment to another store's staff");
    // The same writes inside the tenant are accepted, so the refusals above are about the tenant.
    multistore::orders::store::assign(conn, tenant_one, order_id, one.staff.id.parse().unwrap())
        .await
        .unwrap();

    let order = app
        .as_user(&one, &one.owner)
        .send(
            "query($id: ID!) { order(id: $id) { items { productName } assignedStaff { id } } }",
            json!({ "id": order_id.to_string() }),
        )
        .await;
    assert_eq!(
        order.data()["order"]["items"],
        json!([{ "productName": "Mine" }])
    );
    assert_eq!(
        order.data()["order"]["assignedStaff"]["id"],
        one.staff.id.as_str()
    );
}
