//! The catalog: products with exact money, pages, search, roles and tenant isolation.

use serde_json::{Value, json};

use crate::harness::{Gql, Request, Store, TestApp};
use crate::on_both_backends;

pub const PRODUCT_FIELDS: &str = "id name description price stock createdAt updatedAt";

on_both_backends!(
    owners_and_staff_create_products_with_exact_prices,
    bad_product_input_is_refused_and_changes_nothing,
    only_owners_and_staff_write_the_catalog,
    anyone_in_the_store_reads_the_catalog,
    pages_follow_ids_across_inserts,
    page_arguments_are_checked,
    search_matches_words_without_case_or_accents,
    updates_change_only_the_fields_given,
    deleted_products_leave_the_catalog,
    another_stores_product_does_not_exist_here,
);

pub async fn create_product(
    app: &TestApp,
    store: &Store,
    name: &str,
    price: Value,
    stock: i64,
) -> Value {
    let response = app
        .as_user(store, &store.owner)
        .send(
            &format!("mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ {PRODUCT_FIELDS} }} }}"),
            json!({ "input": { "name": name, "price": price, "stock": stock } }),
        )
        .await;
    response.data()["createProduct"].clone()
}

/// A product as the storefront of `domain` sees it (anonymous).
async fn fetch_product(app: &TestApp, domain: &str, id: &Value) -> Gql {
    app.gql()
        .tenant(domain)
        .send(
            &format!("query($id: ID!) {{ product(id: $id) {{ {PRODUCT_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await
}

async fn create_with(request: Request<'_>, input: Value) -> Gql {
    request
        .send(
            &format!("mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ {PRODUCT_FIELDS} }} }}"),
            json!({ "input": input }),
        )
        .await
}

async fn list(request: Request<'_>, args: &str) -> Value {
    let response = request
        .send(
            &format!(
                "{{ products{args} {{ totalCount edges {{ cursor node {{ id name }} }} nodes {{ id }} \
                 pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
            ),
            json!({}),
        )
        .await;
    response.data()["products"].clone()
}

fn names(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn owners_and_staff_create_products_with_exact_prices(app: TestApp) {
    let store = app.store("vendor1").await;
    let cases = [
        (json!("49.99"), "49.99"),
        (json!(49.99), "49.99"),
        (json!("10"), "10.00"),
        (json!(0.1), "0.10"),
        (json!("0"), "0.00"),
        (json!("1000000000.00"), "1000000000.00"),
        (json!(19.9), "19.90"),
    ];
    for (price, shown) in cases {
        let product = create_product(&app, &store, "Watch", price.clone(), 10).await;
        assert_eq!(product["price"], shown, "{price}");
    }
    let response = create_with(
        app.as_user(&store, &store.staff),
        json!({ "name": "  Strap ", "description": "Leather", "price": "5.5", "stock": 0 }),
    )
    .await;
    let product = &response.data()["createProduct"];
    assert_eq!(product["name"], "Strap");
    assert_eq!(product["description"], "Leather");
    assert_eq!(product["price"], "5.50");
    assert_eq!(product["stock"], 0);
    assert_eq!(product["createdAt"], product["updatedAt"]);

    let fetched = fetch_product(&app, &store.domain, &product["id"]).await;
    assert_eq!(&fetched.data()["product"], product);
}

async fn bad_product_input_is_refused_and_changes_nothing(app: TestApp) {
    let store = app.store("vendor1").await;
    let valid = json!({ "name": "Watch", "description": "", "price": "49.99", "stock": 10 });
    let cases = [
        ("price", json!("49.999")),
        ("price", json!(49.999)),
        ("price", json!("-1")),
        ("price", json!(-0.01)),
        ("price", json!("1000000000.01")),
        ("price", json!("abc")),
        ("price", json!("1e3")),
        ("stock", json!(-1)),
        ("stock", json!(1_000_000_001)),
        ("name", json!("")),
        ("name", json!("   ")),
        ("name", json!("x".repeat(256))),
        ("description", json!("x".repeat(10_001))),
    ];
    for (field, value) in cases {
        let mut input = valid.clone();
        input[field] = value.clone();
        let response = create_with(app.as_user(&store, &store.owner), input).await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{field}={value}");
        assert_eq!(response.field(), field, "{field}={value}");
    }
    // A value of the wrong type never reaches the resolver, and is still the client's input error.
    for (field, value) in [
        ("price", json!(true)),
        ("stock", json!("ten")),
        ("stock", json!(1.5)),
    ] {
        let mut input = valid.clone();
        input[field] = value;
        let response = create_with(app.as_user(&store, &store.owner), input).await;
        assert_eq!(response.code(), "BAD_USER_INPUT");
    }
    let listing = list(app.gql().tenant(&store.domain), "").await;
    assert_eq!(listing["totalCount"], 0);

    let product = create_product(&app, &store, "Watch", json!("49.99"), 10).await;
    for (field, value) in [
        ("price", json!("1.001")),
        ("stock", json!(-5)),
        ("name", json!("")),
    ] {
        let response = app
            .as_user(&store, &store.owner)
            .send(
                "mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }",
                json!({ "id": product["id"], "input": { field: value } }),
            )
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT");
        assert_eq!(response.field(), field);
    }
    let fetched = fetch_product(&app, &store.domain, &product["id"]).await;
    assert_eq!(fetched.data()["product"], product);
}

async fn only_owners_and_staff_write_the_catalog(app: TestApp) {
    let store = app.store("vendor1").await;
    let product = create_product(&app, &store, "Watch", json!("49.99"), 10).await;
    let id = product["id"].clone();
    let operations = [
        (
            "mutation { createProduct(input: { name: \"X\", price: \"1.00\", stock: 1 }) { id } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { updateProduct(id: $id, input: { name: \"X\" }) { id } }",
            json!({ "id": id }),
        ),
        (
            "mutation($id: ID!) { deleteProduct(id: $id) }",
            json!({ "id": id }),
        ),
    ];
    for (query, variables) in &operations {
        let customer = app
            .as_user(&store, &store.customer)
            .send(query, variables.clone())
            .await;
        assert_eq!(customer.code(), "FORBIDDEN", "{query}");
        let anonymous = app
            .gql()
            .tenant(&store.domain)
            .send(query, variables.clone())
            .await;
        assert_eq!(anonymous.code(), "UNAUTHENTICATED", "{query}");
    }
    let fetched = fetch_product(&app, &store.domain, &id).await;
    assert_eq!(
        fetched.data()["product"],
        product,
        "refused writes changed nothing"
    );

    let staff = app
        .as_user(&store, &store.staff)
        .send(
            "mutation($id: ID!) { updateProduct(id: $id, input: { stock: 3 }) { stock } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(staff.data()["updateProduct"]["stock"], 3);
    let staff = app
        .as_user(&store, &store.staff)
        .send(
            "mutation($id: ID!) { deleteProduct(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(staff.data()["deleteProduct"], true);
}

async fn anyone_in_the_store_reads_the_catalog(app: TestApp) {
    let store = app.store("vendor1").await;
    create_product(&app, &store, "Watch", json!("49.99"), 10).await;
    for request in [
        app.gql().tenant(&store.domain),
        app.as_user(&store, &store.customer),
        app.as_user(&store, &store.staff),
        app.gql().token(&store.owner.token),
    ] {
        let listing = list(request, "").await;
        assert_eq!(names(&listing), ["Watch"]);
    }
    let response = app
        .gql()
        .send("{ products { totalCount } }", json!({}))
        .await;
    assert_eq!(response.code(), "TENANT_REQUIRED");
}

async fn pages_follow_ids_across_inserts(app: TestApp) {
    let store = app.store("vendor1").await;
    for i in 0..25 {
        create_product(&app, &store, &format!("P{i:02}"), json!("1.00"), 1).await;
    }
    let anonymous = || app.gql().tenant(&store.domain);
    let first = list(anonymous(), "(first: 10)").await;
    assert_eq!(
        names(&first),
        (0..10).map(|i| format!("P{i:02}")).collect::<Vec<_>>()
    );
    assert_eq!(first["totalCount"], 25);
    assert_eq!(first["nodes"].as_array().unwrap().len(), 10);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(
        first["pageInfo"]["startCursor"],
        first["edges"][0]["cursor"]
    );
    assert_eq!(first["pageInfo"]["endCursor"], first["edges"][9]["cursor"]);

    // Products added between two pages come at the end, without shifting what was already seen.
    create_product(&app, &store, "P25", json!("1.00"), 1).await;
    let cursor = first["pageInfo"]["endCursor"].as_str().unwrap();
    let second = list(anonymous(), &format!("(first: 10, after: \"{cursor}\")")).await;
    assert_eq!(
        names(&second),
        (10..20).map(|i| format!("P{i:02}")).collect::<Vec<_>>()
    );
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);

    create_product(&app, &store, "P26", json!("1.00"), 1).await;
    let cursor = second["pageInfo"]["endCursor"].as_str().unwrap();
    let third = list(anonymous(), &format!("(first: 10, after: \"{cursor}\")")).await;
    assert_eq!(
        names(&third),
        (20..27).map(|i| format!("P{i:02}")).collect::<Vec<_>>()
    );
    assert_eq!(third["pageInfo"]["hasNextPage"], false);
    assert_eq!(third["totalCount"], 27);

    let default_page = list(anonymous(), "").await;
    assert_eq!(names(&default_page).len(), 20, "first defaults to 20");
    let everything = list(anonymous(), "(first: 100)").await;
    assert_eq!(names(&everything).len(), 27);
    assert_eq!(everything["pageInfo"]["hasNextPage"], false);
}

async fn page_arguments_are_checked(app: TestApp) {
    let store = app.store("vendor1").await;
    for (args, field) in [
        ("(first: 0)", "first"),
        ("(first: -1)", "first"),
        ("(first: 101)", "first"),
        ("(after: \"not-a-cursor\")", "after"),
        (&format!("(search: \"{}\")", "x".repeat(256)), "search"),
    ] {
        let response = app
            .gql()
            .tenant(&store.domain)
            .send(&format!("{{ products{args} {{ totalCount }} }}"), json!({}))
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{args}");
        assert_eq!(response.field(), field, "{args}");
    }
}

async fn search_matches_words_without_case_or_accents(app: TestApp) {
    let store = app.store("vendor1").await;
    for (name, description) in [
        ("Blue Watch", "For divers"),
        ("WATCHBAND", ""),
        ("Red Shoe", ""),
        ("100% Cotton", ""),
        ("snake_case", ""),
        ("Plain", "goes with a blue watch"),
        ("Crème Brûlée Kit", "Caramélisez !"),
    ] {
        app.as_user(&store, &store.owner)
            .send(
                "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }",
                json!({ "input": { "name": name, "description": description, "price": "1.00", "stock": 1 } }),
            )
            .await
            .data();
    }
    let anonymous = || app.gql().tenant(&store.domain);
    let found = |args: &'static str| async move { names(&list(anonymous(), args).await) };
    // The last word may be the start of a word; every word must match, in the name or description.
    assert_eq!(
        found("(search: \"watch\")").await,
        ["Blue Watch", "WATCHBAND", "Plain"]
    );
    assert_eq!(
        found("(search: \"WAT\")").await,
        ["Blue Watch", "WATCHBAND", "Plain"]
    );
    assert_eq!(
        found("(search: \"blue watch\")").await,
        ["Blue Watch", "Plain"]
    );
    assert_eq!(
        found("(search: \"watch blue\")").await,
        ["Blue Watch", "Plain"]
    );
    assert_eq!(
        found("(search: \"blu wat\")").await,
        Vec::<String>::new(),
        "only the last is a prefix"
    );
    assert_eq!(
        found("(search: \"atch\")").await,
        Vec::<String>::new(),
        "words, not substrings"
    );
    assert_eq!(found("(search: \"divers\")").await, ["Blue Watch"]);
    assert_eq!(found("(search: \"snake\")").await, ["snake_case"]);
    assert_eq!(found("(search: \"cotton 100\")").await, ["100% Cotton"]);
    // Without case or accents, either way.
    assert_eq!(
        found("(search: \"creme brulee\")").await,
        ["Crème Brûlée Kit"]
    );
    assert_eq!(found("(search: \"BRÛLÉE\")").await, ["Crème Brûlée Kit"]);
    assert_eq!(
        found("(search: \"caramelisez\")").await,
        ["Crème Brûlée Kit"]
    );
    assert_eq!(found("(search: \"nothing\")").await, Vec::<String>::new());
    let counted = list(anonymous(), "(search: \"watch\")").await;
    assert_eq!(counted["totalCount"], 3);
    for blank in ["(search: \"  \")", "(search: \"%\")", "(search: \"_ - !\")"] {
        assert_eq!(
            list(anonymous(), blank).await["totalCount"],
            7,
            "{blank}: no words, no search"
        );
    }

    // RELEVANCE: matches in the name before matches in the description, then by id; paged both ways.
    let ranked = found("(search: \"blue watch\", sortKey: RELEVANCE)").await;
    assert_eq!(ranked, ["Blue Watch", "Plain"]);
    let ranked = found("(search: \"watch\", sortKey: RELEVANCE, reverse: true)").await;
    assert_eq!(ranked, ["Plain", "WATCHBAND", "Blue Watch"]);
    let first = list(
        anonymous(),
        "(search: \"watch\", sortKey: RELEVANCE, first: 2)",
    )
    .await;
    assert_eq!(names(&first), ["Blue Watch", "WATCHBAND"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let cursor = first["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let rest = list(
        anonymous(),
        &format!("(search: \"watch\", sortKey: RELEVANCE, first: 2, after: \"{cursor}\")"),
    )
    .await;
    assert_eq!(names(&rest), ["Plain"]);
    assert_eq!(
        (
            &rest["pageInfo"]["hasNextPage"],
            &rest["pageInfo"]["hasPreviousPage"]
        ),
        (&json!(false), &json!(true))
    );
    let last = list(
        anonymous(),
        "(search: \"watch\", sortKey: RELEVANCE, last: 2)",
    )
    .await;
    assert_eq!(names(&last), ["WATCHBAND", "Plain"]);
}

async fn updates_change_only_the_fields_given(app: TestApp) {
    let store = app.store("vendor1").await;
    let product = create_product(&app, &store, "Watch", json!("49.99"), 10).await;
    let update = |input: Value| {
        let request = app.as_user(&store, &store.owner);
        let id = product["id"].clone();
        async move {
            request
                .send(
                    &format!(
                        "mutation($id: ID!, $input: UpdateProductInput!) {{ updateProduct(id: $id, input: $input) {{ {PRODUCT_FIELDS} }} }}"
                    ),
                    json!({ "id": id, "input": input }),
                )
                .await
        }
    };
    let response = update(json!({ "price": 59.5 })).await;
    let updated = &response.data()["updateProduct"];
    assert_eq!(updated["price"], "59.50");
    assert_eq!(updated["name"], "Watch");
    assert_eq!(updated["stock"], 10);
    assert_eq!(updated["createdAt"], product["createdAt"]);
    assert_ne!(updated["updatedAt"], product["updatedAt"]);

    let response = update(json!({ "name": "Diver", "description": "Deep", "stock": 0 })).await;
    let updated = &response.data()["updateProduct"];
    assert_eq!(
        (updated["name"].as_str(), updated["description"].as_str()),
        (Some("Diver"), Some("Deep"))
    );
    assert_eq!(
        (updated["price"].as_str(), updated["stock"].as_i64()),
        (Some("59.50"), Some(0))
    );

    let response = update(json!({})).await;
    assert_eq!(
        &response.data()["updateProduct"],
        updated,
        "an empty update changes nothing"
    );
}

async fn deleted_products_leave_the_catalog(app: TestApp) {
    let store = app.store("vendor1").await;
    let keep = create_product(&app, &store, "Keep", json!("1.00"), 1).await;
    let gone = create_product(&app, &store, "Gone", json!("1.00"), 1).await;
    let owner = || app.as_user(&store, &store.owner);
    let delete = owner()
        .send(
            "mutation($id: ID!) { deleteProduct(id: $id) }",
            json!({ "id": gone["id"] }),
        )
        .await;
    assert_eq!(delete.data()["deleteProduct"], true);

    let listing = list(app.gql().tenant(&store.domain), "").await;
    assert_eq!(names(&listing), ["Keep"]);
    assert_eq!(listing["totalCount"], 1);
    let fetched = owner()
        .send(
            "query($id: ID!) { product(id: $id) { id } }",
            json!({ "id": gone["id"] }),
        )
        .await;
    assert_eq!(fetched.data()["product"], Value::Null);

    let again = owner()
        .send(
            "mutation($id: ID!) { deleteProduct(id: $id) }",
            json!({ "id": gone["id"] }),
        )
        .await;
    assert_eq!(again.code(), "NOT_FOUND");
    let update = owner()
        .send(
            "mutation($id: ID!) { updateProduct(id: $id, input: { stock: 5 }) { id } }",
            json!({ "id": gone["id"] }),
        )
        .await;
    assert_eq!(update.code(), "NOT_FOUND");
    assert_eq!(keep["name"], "Keep");
}

async fn another_stores_product_does_not_exist_here(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    let theirs = create_product(&app, &two, "Theirs", json!("9.99"), 5).await;
    let id = theirs["id"].clone();

    for request in [
        app.as_user(&one, &one.owner),
        app.gql().tenant(&one.domain),
        app.as_user(&one, &one.customer),
    ] {
        let response = request
            .send(
                "query($id: ID!) { product(id: $id) { id name } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(response.data()["product"], Value::Null);
    }
    for (account, query) in [
        (
            &one.owner,
            "mutation($id: ID!) { updateProduct(id: $id, input: { price: \"0.01\", stock: 0 }) { id } }",
        ),
        (&one.staff, "mutation($id: ID!) { deleteProduct(id: $id) }"),
    ] {
        let response = app
            .as_user(&one, account)
            .send(query, json!({ "id": id }))
            .await;
        assert_eq!(response.code(), "NOT_FOUND", "{query}");
        assert_eq!(response.body["data"], Value::Null);
    }
    for unknown in ["999999", "abc", "-1", "0", ""] {
        let response = app
            .as_user(&one, &one.owner)
            .send(
                "query($id: ID!) { product(id: $id) { id } }",
                json!({ "id": unknown }),
            )
            .await;
        assert_eq!(response.data()["product"], Value::Null, "{unknown}");
    }
    assert_eq!(
        list(app.gql().tenant(&one.domain), "").await["totalCount"],
        0
    );

    // Untouched at home.
    let home = fetch_product(&app, &two.domain, &id).await;
    assert_eq!(home.data()["product"], theirs);
}
