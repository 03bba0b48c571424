//! Who may call what (CONTRACT.md section 4), from one table: every operation of the schema, for each
//! role of the store, for each role of another store, and for the platform admin (who may only list,
//! suspend and reactivate stores, and reads nothing of a store: not even its catalog). A new
//! operation without a row fails the test.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::catalog::create_product;
use crate::harness::fixtures::PASSWORD;
use crate::harness::{Account, Store, TestApp};
use crate::on_both_backends;

const OK: &str = "ok";
const UNAUTH: &str = "UNAUTHENTICATED";
const FORBID: &str = "FORBIDDEN";

/// Callers, in the order of the expectation columns.
#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    Customer,
    Staff,
    Owner,
    Admin,
}

const EVERYONE: [Who; 5] = [
    Who::Anonymous,
    Who::Customer,
    Who::Staff,
    Who::Owner,
    Who::Admin,
];
const ADMIN: &str = "operator";

/// Operation, document, and the expected outcome for anonymous, customer, staff, owner and platform
/// admin (who sends the store's header too).
const TABLE: &[(&str, &str, [&str; 5])] = &[
    ("me", "{ me { id } }", [UNAUTH, OK, OK, OK, FORBID]),
    ("vendor", "{ vendor { id } }", [OK, OK, OK, OK, FORBID]),
    (
        "products",
        "{ products { totalCount } }",
        [OK, OK, OK, OK, FORBID],
    ),
    (
        "product",
        "query($id: ID!) { product(id: $id) { id } }",
        [OK, OK, OK, OK, FORBID],
    ),
    (
        "orders",
        "{ orders { totalCount } }",
        [UNAUTH, FORBID, OK, OK, FORBID],
    ),
    (
        "myOrders",
        "{ myOrders { totalCount } }",
        [UNAUTH, OK, FORBID, FORBID, FORBID],
    ),
    (
        "order",
        "query($id: ID!) { order(id: $id) { id } }",
        [UNAUTH, OK, OK, OK, FORBID],
    ),
    (
        "staff",
        "{ staff { totalCount } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "customers",
        "{ customers { totalCount } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "registerVendor",
        "mutation($input: RegisterVendorInput!) { registerVendor(input: $input) { accessToken } }",
        [OK, OK, OK, OK, FORBID],
    ),
    (
        "register",
        "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
        [OK, OK, OK, OK, FORBID],
    ),
    (
        "login",
        "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
        [OK, OK, OK, OK, FORBID],
    ),
    (
        "refreshToken",
        "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
        [OK, OK, OK, OK, FORBID],
    ),
    (
        "logout",
        "mutation($t: String!) { logout(refreshToken: $t) }",
        [OK, OK, OK, OK, FORBID],
    ),
    (
        "createStaff",
        "mutation($input: CreateStaffInput!) { createStaff(input: $input) { id } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "deactivateStaff",
        "mutation($id: ID!) { deactivateStaff(id: $id) { id } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "updateVendor",
        "mutation { updateVendor(input: { storeName: \"Renamed\" }) { id } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "changePassword",
        "mutation($p: String!) { changePassword(currentPassword: $p, newPassword: $p) }",
        [UNAUTH, OK, OK, OK, FORBID],
    ),
    (
        "createProduct",
        "mutation { createProduct(input: { name: \"X\", price: \"1.00\", stock: 1 }) { id } }",
        [UNAUTH, FORBID, OK, OK, FORBID],
    ),
    (
        "updateProduct",
        "mutation($id: ID!) { updateProduct(id: $id, input: { stock: 2 }) { id } }",
        [UNAUTH, FORBID, OK, OK, FORBID],
    ),
    (
        "deleteProduct",
        "mutation($id: ID!) { deleteProduct(id: $id) }",
        [UNAUTH, FORBID, OK, OK, FORBID],
    ),
    (
        "placeOrder",
        "mutation($id: ID!) { placeOrder(input: { items: [{ productId: $id, quantity: 1 }], address: \"A\" }) { id } }",
        [UNAUTH, OK, FORBID, FORBID, FORBID],
    ),
    (
        "updateOrderStatus",
        "mutation($id: ID!) { updateOrderStatus(id: $id, status: PROCESSING) { id } }",
        [UNAUTH, FORBID, OK, OK, FORBID],
    ),
    (
        "assignStaff",
        "mutation($id: ID!, $staff: ID!) { assignStaff(orderId: $id, staffId: $staff) { id } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "cancelOrder",
        "mutation($id: ID!) { cancelOrder(id: $id) { id } }",
        [UNAUTH, OK, FORBID, OK, FORBID],
    ),
    (
        "webhooks",
        "{ webhooks { id } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "webhookDeliveries",
        "query($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "createWebhook",
        "mutation { createWebhook(input: { url: \"https://hooks.example.com/in\", events: [ORDER_PLACED] }) { secret } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "deleteWebhook",
        "mutation($id: ID!) { deleteWebhook(id: $id) }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "redeliverWebhook",
        "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "addStoreDomain",
        "mutation($d: String!) { addStoreDomain(domain: $d) { domains { domain } } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "removeStoreDomain",
        "mutation($d: String!) { removeStoreDomain(domain: $d) { domains { domain } } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "setPrimaryDomain",
        "mutation($d: String!) { setPrimaryDomain(domain: $d) { domain } }",
        [UNAUTH, FORBID, FORBID, OK, FORBID],
    ),
    (
        "adminLogin",
        "mutation($input: LoginInput!) { adminLogin(input: $input) { accessToken } }",
        [OK, OK, OK, OK, OK],
    ),
    (
        "stores",
        "{ stores { totalCount nodes { id status domains { domain primary } } } }",
        [UNAUTH, FORBID, FORBID, FORBID, OK],
    ),
    (
        "suspendStore",
        "mutation($id: ID!) { suspendStore(id: $id, reason: \"Unpaid invoices\") { status } }",
        [UNAUTH, FORBID, FORBID, FORBID, OK],
    ),
    (
        "reactivateStore",
        "mutation($id: ID!) { reactivateStore(id: $id) { status } }",
        [UNAUTH, FORBID, FORBID, FORBID, OK],
    ),
];

/// The subscriptions, over a socket, for the same callers. An allowed subscription is proven live by
/// an event it must hear; a refused one answers its error first.
const SUBSCRIPTIONS: &[(&str, &str, [&str; 5])] = &[
    (
        "orderUpdated",
        "subscription { orderUpdated { id } }",
        [UNAUTH, OK, OK, OK, FORBID],
    ),
    (
        "orderUpdated(id)",
        "subscription($id: ID) { orderUpdated(id: $id) { id } }",
        [UNAUTH, OK, OK, OK, FORBID],
    ),
    (
        "orderPlaced",
        "subscription { orderPlaced { id } }",
        [UNAUTH, FORBID, OK, OK, FORBID],
    ),
    (
        "orderEvents",
        "subscription($after: ID) { orderEvents(after: $after) { id } }",
        [UNAUTH, OK, OK, OK, FORBID],
    ),
];

on_both_backends!(
    every_operation_follows_the_role_table,
    the_table_covers_every_operation,
    every_subscription_follows_the_role_table,
);

fn account(store: &Store, who: Who) -> Option<&Account> {
    match who {
        Who::Anonymous => None,
        Who::Customer => Some(&store.customer),
        Who::Staff => Some(&store.staff),
        Who::Owner => Some(&store.owner),
        Who::Admin => None,
    }
}

/// Fresh objects for one call of `operation`, so no call depends on what another one did.
async fn variables(app: &TestApp, store: &Store, operation: &str, who: Who, n: usize) -> Value {
    let item_name = format!("Item {n}");
    let product = || create_product(app, store, &item_name, json!("1.00"), 10);
    let order = || async {
        let product = create_product(app, store, &format!("Ordered {n}"), json!("1.00"), 10).await;
        let placed = app
            .as_user(store, &store.customer)
            .send(
                "mutation($id: ID!) { placeOrder(input: { items: [{ productId: $id, quantity: 1 }], address: \"A\" }) { id } }",
                json!({ "id": product["id"] }),
            )
            .await;
        let id = placed.data()["placeOrder"]["id"].clone();
        app.as_user(store, &store.owner)
            .send(
                "mutation($id: ID!, $staff: ID!) { assignStaff(orderId: $id, staffId: $staff) { id } }",
                json!({ "id": id, "staff": store.staff.id }),
            )
            .await
            .data();
        id
    };
    let webhook = || async {
        let created = app
            .as_user(store, &store.owner)
            .send(
                "mutation { createWebhook(input: { url: \"https://hooks.example.com/in\", events: [ORDER_PLACED] }) { webhook { id } } }",
                json!({}),
            )
            .await;
        created.data()["createWebhook"]["webhook"]["id"].clone()
    };
    // A delivery of a fresh endpoint (made from the log soon after the order).
    let delivery = || async {
        let id = webhook().await;
        order().await;
        for _ in 0..200 {
            let page = app
                .as_user(store, &store.owner)
                .send(
                    "query($id: ID!) { webhookDeliveries(webhookId: $id) { nodes { id } } }",
                    json!({ "id": id }),
                )
                .await;
            let first = page.data()["webhookDeliveries"]["nodes"][0]["id"].clone();
            if !first.is_null() {
                return first;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("no delivery was made");
    };
    let username = format!("fresh{n}");
    let person = json!({ "username": username, "email": format!("{username}@mail.example.org"), "password": PASSWORD });
    // Refresh tokens of their own, from a fresh sign-in (anonymous callers use a customer's).
    let refresh_token = || async {
        let name = match who {
            Who::Anonymous | Who::Customer | Who::Admin => "vendor1_customer",
            Who::Staff => "vendor1_staff",
            Who::Owner => "vendor1_owner",
        };
        app.login(&store.domain, name, PASSWORD).await.refresh_token
    };
    match operation {
        "product" | "updateProduct" | "deleteProduct" | "placeOrder" => {
            json!({ "id": product().await["id"] })
        }
        "order" | "updateOrderStatus" | "cancelOrder" => json!({ "id": order().await }),
        "assignStaff" => json!({ "id": order().await, "staff": store.staff.id }),
        "registerVendor" => {
            let mut input = person.clone();
            input["storeName"] = json!("Fresh");
            input["domain"] = json!(format!("fresh{n}.example.com"));
            json!({ "input": input })
        }
        "register" | "createStaff" => json!({ "input": person }),
        "login" => json!({ "input": { "username": "vendor1_customer", "password": PASSWORD } }),
        "refreshToken" | "logout" => json!({ "t": refresh_token().await }),
        "deactivateStaff" => {
            let staff = app.add_staff(&store.domain, &store.owner, &username).await;
            json!({ "id": staff.id })
        }
        "changePassword" => json!({ "p": PASSWORD }),
        "webhookDeliveries" | "deleteWebhook" => json!({ "id": webhook().await }),
        "redeliverWebhook" => json!({ "id": delivery().await }),
        "addStoreDomain" => json!({ "d": format!("extra{n}.example.com") }),
        "removeStoreDomain" => {
            let domain = format!("extra{n}.example.com");
            app.as_user(store, &store.owner)
                .send(
                    "mutation($d: String!) { addStoreDomain(domain: $d) { id } }",
                    json!({ "d": domain }),
                )
                .await
                .data();
            json!({ "d": domain })
        }
        "setPrimaryDomain" => json!({ "d": store.domain }),
        "adminLogin" => json!({ "input": { "username": ADMIN, "password": PASSWORD } }),
        // A store of its own for each call (the suspended one is another store than the table's).
        "suspendStore" | "reactivateStore" => {
            let (id, _) = app.register_vendor(&format!("ward{n}.example.com")).await;
            json!({ "id": id })
        }
        _ => json!({}),
    }
}

/// Whether an operation's variables name an object of the store by id (an order, a product, a staff
/// member, a webhook, a delivery).
fn names_an_object(variables: &Value) -> bool {
    ["id", "staff"]
        .iter()
        .any(|key| variables.get(*key).is_some_and(Value::is_string))
}

/// What an answer shows of an object named from another store: `None` when it shows none (an error
/// saying it does not exist or may not be reached, or no object at all), else the answer.
fn found_elsewhere(response: &crate::harness::Gql) -> Option<String> {
    if response.body.get("errors").is_some() {
        return match response.code() {
            "NOT_FOUND" | "FORBIDDEN" | "UNAUTHENTICATED" => None,
            _ => Some(format!("{:#}", response.body)),
        };
    }
    // A query answers null for an object that does not exist in the store.
    let data = response.body["data"].as_object()?;
    data.values()
        .all(Value::is_null)
        .then_some(())
        .map_or_else(|| Some(format!("{:#}", response.body)), |()| None)
}

async fn every_operation_follows_the_role_table(app: TestApp) {
    let store = app.store("vendor1").await;
    let other = app.store("vendor2").await;
    let admin = app.platform_admin(ADMIN).await;
    let mut n = 0;
    let mut mismatches = Vec::new();
    for (operation, document, expected) in TABLE {
        for (who, expected) in EVERYONE.iter().zip(expected) {
            n += 1;
            let variables = variables(&app, &store, operation, *who, n).await;
            let request = match (account(&store, *who), who) {
                (Some(account), _) => app.as_user(&store, account),
                (None, Who::Admin) => app.gql().tenant(&store.domain).token(&admin),
                (None, _) => app.gql().tenant(&store.domain),
            };
            let response = request.send(document, variables.clone()).await;
            let outcome = match response.body.get("errors") {
                None => OK.to_owned(),
                Some(_) => response.code().to_owned(),
            };
            if outcome != *expected {
                mismatches.push(format!(
                    "{operation} as {who:?}: expected {expected}, got {:#}",
                    response.body
                ));
            }

            // The same role of another store, at its own store, naming this store's objects: they
            // do not exist there.
            if names_an_object(&variables) && !matches!(who, Who::Admin) {
                let request = match account(&other, *who) {
                    Some(outsider) => app.as_user(&other, outsider),
                    None => app.gql().tenant(&other.domain),
                };
                let response = request.send(document, variables.clone()).await;
                if let Some(found) = found_elsewhere(&response) {
                    mismatches.push(format!(
                        "{operation} as {who:?} of another store, naming this store's object: {found}"
                    ));
                }
            }

            // The same role of another store, with this store's header: refused before anything runs.
            if let Some(outsider) = account(&other, *who) {
                let response = app
                    .gql()
                    .tenant(&store.domain)
                    .token(&outsider.token)
                    .send(document, variables)
                    .await;
                if (response.status, response.code()) != (403, FORBID) {
                    mismatches.push(format!(
                        "{operation} as {who:?} of another store: {:#}",
                        response.body
                    ));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

async fn the_table_covers_every_operation(app: TestApp) {
    let response = app
        .gql()
        .send(
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let schema = &response.data()["__schema"];
    let mut operations = BTreeSet::new();
    for root in ["queryType", "mutationType"] {
        for field in schema[root]["fields"].as_array().unwrap() {
            operations.insert(field["name"].as_str().unwrap().to_owned());
        }
    }
    let covered: BTreeSet<String> = TABLE
        .iter()
        .map(|(name, _, _)| (*name).to_owned())
        .collect();
    assert_eq!(
        covered, operations,
        "every operation has a row in the authorization table"
    );
}

/// Every subscription for every caller: refused with the table's code, or live. A live one hears the
/// change made after all were taken (the order, placed by the customer and assigned to the staff
/// member, moves on; a new order is placed). Staff may follow `orderPlaced`, but no order is theirs
/// when placed: theirs is proven live by completing it, which the server confirms (a refused one was
/// answered with its error long before: its socket heard its other subscriptions' events first).
async fn every_subscription_follows_the_role_table(app: TestApp) {
    use crate::harness::ws::{Heard, Socket};
    let store = app.store("vendor1").await;
    let admin = app.platform_admin(ADMIN).await;
    let product = create_product(&app, &store, "Watch", json!("1.00"), 10).await;
    let order = crate::orders::place_ok(
        &app,
        &store,
        &store.customer,
        json!([crate::orders::line(&product, 1)]),
    )
    .await;
    crate::orders::assign(&app, &store, &store.owner, &order, &store.staff.id)
        .await
        .data();
    let events = app
        .as_user(&store, &store.owner)
        .send(
            "query($id: ID!) { order(id: $id) { events { id } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    let variables =
        json!({ "id": order["id"], "after": events.data()["order"]["events"][1]["id"] });

    let mut sockets = Vec::new();
    for who in EVERYONE {
        let init = match (account(&store, who), who) {
            (Some(account), _) => crate::subscriptions::init_payload(&store, account),
            (None, Who::Admin) => {
                json!({ "Authorization": format!("Bearer {admin}"), "X-Tenant-Domain": store.domain })
            }
            (None, _) => json!({ "X-Tenant-Domain": store.domain }),
        };
        let mut socket = Socket::connect(&app.url, init).await.expect("acknowledged");
        for (name, document, _) in SUBSCRIPTIONS {
            socket.subscribe(name, document, variables.clone()).await;
        }
        sockets.push((who, socket));
    }
    crate::orders::set_status(&app, &store, &store.owner, &order, "PROCESSING")
        .await
        .data();
    crate::orders::place_ok(
        &app,
        &store,
        &store.customer,
        json!([crate::orders::line(&product, 1)]),
    )
    .await;

    let mut mismatches = Vec::new();
    for (column, (who, socket)) in sockets.iter_mut().enumerate() {
        for (name, _, expected) in SUBSCRIPTIONS {
            let expected = expected[column];
            let quiet_but_allowed = matches!(who, Who::Staff) && *name == "orderPlaced";
            let outcome = if quiet_but_allowed {
                socket.send(json!({ "id": name, "type": "complete" })).await;
                match socket.next(name).await {
                    Heard::Complete => OK.to_owned(),
                    Heard::Next(payload) => payload["errors"][0]["extensions"]["code"]
                        .as_str()
                        .unwrap_or("data")
                        .to_owned(),
                    other => format!("{other:?}"),
                }
            } else {
                match socket.next(name).await {
                    Heard::Next(payload) => {
                        match payload["errors"][0]["extensions"]["code"].as_str() {
                            Some(code) => code.to_owned(),
                            None => OK.to_owned(),
                        }
                    }
                    other => format!("{other:?}"),
                }
            };
            if outcome != expected {
                mismatches.push(format!(
                    "{name} as {who:?}: expected {expected}, got {outcome}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
