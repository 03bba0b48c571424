//! Hostile requests: depth, cost, introspection and suggestions in production, and errors that must not
//! show internals.

use serde_json::json;

use crate::catalog::create_product;
use crate::harness::{Backend, TestApp};

use crate::on_both_backends;

on_both_backends!(
    deep_queries_are_refused,
    expensive_queries_are_refused,
    order_lines_count_in_the_cost,
    one_password_field_per_request,
    database_errors_show_no_internals,
);

/// graphql-js's `getIntrospectionQuery()` with every option on, as GraphiQL and codegen send it.
pub const STANDARD_INTROSPECTION: &str = "query IntrospectionQuery { __schema { description \
    queryType { name kind } mutationType { name kind } subscriptionType { name kind } \
    types { ...FullType } directives { name description isRepeatable locations \
    args(includeDeprecated: true) { ...InputValue } } } } \
    fragment FullType on __Type { kind name description specifiedByURL isOneOf \
    fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } \
    type { ...TypeRef } isDeprecated deprecationReason } inputFields(includeDeprecated: true) { ...InputValue } \
    interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated \
    deprecationReason } possibleTypes { ...TypeRef } } \
    fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue \
    isDeprecated deprecationReason } \
    fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name \
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name \
    ofType { kind name } } } } } } } } } }";

async fn deep_queries_are_refused(app: TestApp) {
    // 13 levels of selection, refused for their depth before validation looks at the fields.
    let deep = format!("{{ {}id{} }}", "a { ".repeat(12), " }".repeat(12));
    let response = app.gql().send(&deep, json!({})).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED", "{:#}", response.body);
    assert!(response.message().contains("too deep"));
    // Introspection is bounded by what it answers, not by depth: the standard query is answered.
    let schema = app.gql().send(STANDARD_INTROSPECTION, json!({})).await;
    let types = schema.data()["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Product"));
    // Walking types through their fields' types again and again is refused.
    let walk = format!(
        "{{ __schema {{ types {{ {}name{} }} }} }}",
        "fields { type { ".repeat(5),
        " } }".repeat(5)
    );
    let response = app.gql().send(&walk, json!({})).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED", "{:#}", response.body);
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

    // The same page twice over through aliases is more than one request may ask for.
    let aliased: String = (0..2).map(|i| format!("p{i}: {page} ")).collect();
    let response = app
        .gql()
        .tenant(&store.domain)
        .send(&format!("{{ {aliased} }}"), json!({}))
        .await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED");
    assert!(response.message().contains("complex"));
    // And so is a batch of such pages: the budget is the request's.
    let batch: Vec<_> = (0..2)
        .map(|_| json!({ "query": format!("{{ {page} }}") }))
        .collect();
    let response = app
        .gql()
        .tenant(&store.domain)
        .send_body(serde_json::to_string(&batch).unwrap())
        .await;
    assert_eq!(
        response.body[0]["errors"][0]["extensions"]["code"],
        "LIMIT_EXCEEDED"
    );

    let orders = "orders(first: 20) { nodes { id status total items { quantity product { name } } customer { username email } } }";
    app.as_user(&store, &store.owner)
        .send(&format!("{{ {orders} }}"), json!({}))
        .await
        .data();
    let aliased: String = (0..5).map(|i| format!("o{i}: {orders} ")).collect();
    let response = app
        .as_user(&store, &store.owner)
        .send(&format!("{{ {aliased} }}"), json!({}))
        .await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED");
}

/// An order's lines are priced by the most an order may hold (100), for the owner's orders and a
/// customer's own alike.
async fn order_lines_count_in_the_cost(app: TestApp) {
    let store = app.store("vendor1").await;
    let lines = "items { productName product { name description } }";
    for (account, field) in [(&store.owner, "orders"), (&store.customer, "myOrders")] {
        let big = format!("{{ {field}(first: 100) {{ nodes {{ {lines} }} }} }}");
        let response = app.as_user(&store, account).send(&big, json!({})).await;
        assert_eq!(response.code(), "LIMIT_EXCEEDED", "{field}");
        let small = format!("{{ {field}(first: 1) {{ nodes {{ {lines} }} }} }}");
        app.as_user(&store, account)
            .send(&small, json!({}))
            .await
            .data();
    }
}

/// One password-hashing field per request: aliases or a batch cannot make one request hash many.
async fn one_password_field_per_request(app: TestApp) {
    let store = app.store("vendor1").await;
    let register = |name: &str| {
        format!(
            "{name}: register(input: {{ username: \"{name}\", email: \"{name}@x.org\", password: \"password123\" }}) {{ accessToken }}"
        )
    };
    let two = format!("mutation {{ {} {} }}", register("one"), register("two"));
    let response = app.gql().tenant(&store.domain).send(&two, json!({})).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED", "{:#}", response.body);
    let batch = json!([
        { "query": format!("mutation {{ {} }}", register("three")) },
        { "query": format!("mutation {{ {} }}", register("four")) },
    ]);
    let response = app
        .gql()
        .tenant(&store.domain)
        .send_body(batch.to_string())
        .await;
    let answers = response.body.as_array().unwrap();
    assert_eq!(answers.len(), 2, "{:#}", response.body);
    for answer in answers {
        assert_eq!(answer["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
    }
    // Nothing ran: none of them can sign in.
    for name in ["one", "two", "three", "four"] {
        let login = app
            .gql()
            .tenant(&store.domain)
            .send(
                "mutation($u: String!) { login(input: { username: $u, password: \"password123\" }) { accessToken } }",
                json!({ "u": name }),
            )
            .await;
        assert_eq!(login.code(), "UNAUTHENTICATED", "{name}");
    }
    // One is fine.
    let one = format!("mutation {{ {} }}", register("five"));
    app.gql()
        .tenant(&store.domain)
        .send(&one, json!({}))
        .await
        .data();
}

/// A kilobyte of fragments that spread each other twice stands for 2^24 fields: refused for what it
/// would expand to, without doing it, while a normal client is answered beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_bombs_are_refused_before_the_work() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let bomb = |levels: usize| {
        let mut query = String::from("query { ...F0 }\n");
        for level in 0..levels {
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{n} ...F{n} }}\n",
                n = level + 1
            ));
        }
        query.push_str(&format!(
            "fragment F{levels} on Query {{ vendor {{ id }} }}\n"
        ));
        query
    };
    let bombs: Vec<_> = [24, 30, 31]
        .into_iter()
        .map(|levels| {
            let client = app.gql();
            let query = bomb(levels);
            async move { client.send(&query, json!({})).await }
        })
        .collect();
    let normal = async {
        let mut answered = 0;
        for _ in 0..20 {
            app.gql().send("{ __typename }", json!({})).await.data();
            answered += 1;
        }
        answered
    };
    let (refused, answered) = tokio::join!(futures_util::future::join_all(bombs), normal);
    assert_eq!(answered, 20);
    for response in refused {
        assert_eq!(response.code(), "LIMIT_EXCEEDED", "{:#}", response.body);
        assert!(
            response.message().contains("expanded"),
            "{}",
            response.message()
        );
    }
    // A chain of spreads deeper than the limit, and a cycle.
    let mut chain = String::from("query { ...C0 }\n");
    for level in 0..40 {
        chain.push_str(&format!(
            "fragment C{level} on Query {{ ...C{} }}\n",
            level + 1
        ));
    }
    chain.push_str("fragment C40 on Query { __typename }\n");
    let response = app.gql().send(&chain, json!({})).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED");
    // 100,000 one-letter fields would cost a worker a fifth of a second to parse: refused by their
    // count of tokens first.
    let wide = format!("{{ {} }}", "a ".repeat(100_000));
    let response = app.gql().send(&wide, json!({})).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED");
    assert!(
        response.message().contains("tokens"),
        "{}",
        response.message()
    );
    let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
    let response = app.gql().send(cycle, json!({})).await;
    assert_eq!(response.code(), "GRAPHQL_VALIDATION_FAILED");
}

/// Documents that do not validate are never kept: a flood of distinct junk leaves the parse cache as it
/// was; a document that validates is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_documents_are_not_kept() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let cache_bytes = || async {
        let text = app.get("/metrics").await.text().await.unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix("multistore_parse_cache_bytes "))
            .expect("the parse cache gauge")
            .parse::<u64>()
            .unwrap()
    };
    let before = cache_bytes().await;
    let filler = "x".repeat(16 * 1024);
    for i in 0..30 {
        let unknown_field = format!("{{ junk{i} # {filler}\n }}");
        let response = app.gql().send(&unknown_field, json!({})).await;
        assert_eq!(response.code(), "GRAPHQL_VALIDATION_FAILED");
        let broken = format!("{{ junk{i} # {filler}\n ");
        let response = app.gql().send(&broken, json!({})).await;
        assert_eq!(response.code(), "GRAPHQL_PARSE_FAILED");
        assert!(!response.message().contains('\n'), "{}", response.message());
        assert!(response.error()["locations"].is_array());
    }
    assert_eq!(cache_bytes().await, before);
    app.gql().send("{ __typename }", json!({})).await.data();
    assert!(cache_bytes().await > before);
}

/// Sign-ups are throttled per client address: each costs a password hash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_are_throttled_per_address() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.signups_per_address = 3).await;
    let domain = "throttled.example.com";
    app.register_vendor(domain).await;
    app.register_customer(domain, "cust1").await;
    app.register_customer(domain, "cust2").await;
    let response = app
        .gql()
        .tenant(domain)
        .send(
            "mutation { register(input: { username: \"cust3\", email: \"cust3@x.org\", password: \"password123\" }) { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(response.code(), "RATE_LIMITED", "{:#}", response.body);
    assert!(
        response.error()["extensions"]["retryAfter"]
            .as_u64()
            .unwrap()
            > 0
    );
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

/// Over WebSocket: a message over 256 KiB closes the socket with 1009; at most 100 operations run at
/// once on one socket, and one more is refused with LIMIT_EXCEEDED until one completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_messages_and_subscriptions_are_bounded() {
    use crate::harness::ws::{Heard, Socket};
    let app = TestApp::spawn(Backend::Sqlite).await;
    let store = app.store("vendor1").await;
    let init = json!({ "Authorization": format!("Bearer {}", store.owner.token) });

    let mut socket = Socket::connect(&app.url, init.clone()).await.unwrap();
    let huge = format!("{{ __typename # {} }}", "x".repeat(300 * 1024));
    socket
        .send(json!({ "id": "huge", "type": "subscribe", "payload": { "query": huge } }))
        .await;
    match socket.next("huge").await {
        Heard::Closed(code, _) => assert_eq!(code, 1009),
        other => panic!("expected a 1009 close, got {other:?}"),
    }

    let mut socket = Socket::connect(&app.url, init).await.unwrap();
    let subscribe = |id: String| json!({ "id": id, "type": "subscribe", "payload": { "query": "subscription { orderUpdated { id } }" } });
    for i in 0..100 {
        socket.send(subscribe(format!("s{i}"))).await;
    }
    socket.send(subscribe("one-more".into())).await;
    match socket.next("one-more").await {
        Heard::Next(payload) => {
            assert_eq!(payload["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED")
        }
        other => panic!("expected LIMIT_EXCEEDED, got {other:?}"),
    }
    // Completing one makes room for another.
    socket.send(json!({ "id": "s0", "type": "complete" })).await;
    socket
        .subscribe("again", "subscription { orderUpdated { id } }", json!({}))
        .await;
    // It runs: it hears the next change (and was not refused).
    let product = crate::catalog::create_product(&app, &store, "Watch", json!("1.00"), 5).await;
    let order = crate::orders::place_ok(
        &app,
        &store,
        &store.customer,
        json!([crate::orders::line(&product, 1)]),
    )
    .await;
    crate::orders::set_status(&app, &store, &store.owner, &order, "PROCESSING")
        .await
        .data();
    match socket.next("again").await {
        Heard::Next(payload) => assert_eq!(
            payload["data"]["orderUpdated"]["id"], order["id"],
            "{payload}"
        ),
        other => panic!("expected the change, got {other:?}"),
    }
}
