//! Transport (CONTRACT.md section 1): the endpoint, health, batches, limits, request ids.

use serde_json::{Value, json};

use crate::harness::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(health_and_readiness_answer_ok);

async fn health_and_readiness_answer_ok(app: TestApp) {
    for path in ["/healthz", "/readyz"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({ "status": "ok" }), "{path}");
    }
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_unreachable() {
    let config = multistore::Config::new(
        multistore::config::DatabaseUrl::Postgres("postgres://nobody@127.0.0.1:1/none".into()),
        crate::harness::JWT_SECRET.as_bytes().to_vec(),
    )
    .unwrap();
    let db = multistore::db::Db::connect(&config).unwrap();
    let state = multistore::AppState::new(config, db).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(multistore::serve(listener, state, std::future::pending()));

    let ready = reqwest::get(format!("{url}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn graphiql_is_served_and_can_be_turned_off() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let page = app.get("/graphql").await;
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(html.to_lowercase().contains("graphiql"));
    // Everything it loads is the service's own: no other origin in the page or its policy.
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("//unpkg"));
    assert!(
        !policy.contains("http") && !policy.contains("unpkg"),
        "{policy}"
    );
    for (asset, media) in [
        ("graphiql.min.js", "text/javascript"),
        ("graphiql.min.css", "text/css"),
        ("react.production.min.js", "text/javascript"),
        ("react-dom.production.min.js", "text/javascript"),
        ("start.js", "text/javascript"),
    ] {
        let response = app.get(&format!("/graphql/assets/{asset}")).await;
        assert_eq!(response.status(), 200, "{asset}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.starts_with(media), "{asset}: {content_type}");
    }
    for missing in [
        "/graphql/assets/Cargo.toml",
        "/graphql/assets/..%2FCargo.toml",
    ] {
        assert_eq!(app.get(missing).await.status(), 404, "{missing}");
    }

    let closed = TestApp::spawn_with(Backend::Sqlite, |config| config.graphiql = false).await;
    assert_eq!(closed.get("/graphql").await.status(), 404);
    assert_eq!(closed.get("/graphql/assets/start.js").await.status(), 404);
}

/// GraphQL over HTTP's GET (urql's default for queries): queries run from the URL with the same headers
/// and answers as POST; a mutation must be POSTed.
#[tokio::test]
async fn queries_can_be_sent_with_get() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let store = app.store("shop").await;
    let client = reqwest::Client::new();
    let get = |params: Vec<(&'static str, String)>| {
        client
            .get(format!("{}/graphql", app.url))
            .query(&params)
            .header("X-Tenant-Domain", &store.domain)
            .header("Authorization", format!("Bearer {}", store.owner.token))
            .send()
    };
    let answer = get(vec![
        (
            "query",
            "query Me($n: Int) { me { username } products(first: $n) { totalCount } }".into(),
        ),
        ("variables", json!({ "n": 5 }).to_string()),
        ("operationName", "Me".into()),
    ])
    .await
    .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "data": { "me": { "username": store.owner.username }, "products": { "totalCount": 0 } } })
    );

    let mutation = "mutation { logout(refreshToken: \"x\") }";
    let refused = get(vec![("query", mutation.into())]).await.unwrap();
    assert_eq!(refused.status(), 405);
    assert_eq!(refused.headers()["allow"], "GET, POST");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let named = format!("query A {{ me {{ id }} }} {mutation}");
    let refused = get(vec![
        ("query", named.replace("mutation {", "mutation B {")),
        ("operationName", "B".into()),
    ])
    .await
    .unwrap();
    assert_eq!(refused.status(), 405);

    let broken = get(vec![("variables", "{".into())]).await.unwrap();
    assert_eq!(broken.status(), 400);
    let bad_document = get(vec![("query", "{ nope }".into())]).await.unwrap();
    let body: Value = bad_document.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}

on_both_backends!(
    batches_of_up_to_ten_operations_run,
    bodies_over_256_kib_are_refused,
    broken_json_is_a_bad_request,
    graphql_errors_always_carry_a_contract_code,
    request_ids_are_made_or_echoed,
);

async fn batches_of_up_to_ten_operations_run(app: TestApp) {
    let one = json!({ "query": "{ __typename }" });
    let ten = Value::Array(vec![one.clone(); 10]);
    let response = app.gql().send_body(ten.to_string()).await;
    assert_eq!(response.status, 200);
    let answers = response
        .body
        .as_array()
        .expect("a batch answers with a list");
    assert_eq!(answers.len(), 10);
    assert_eq!(answers[9]["data"]["__typename"], "Query");

    let eleven = Value::Array(vec![one; 11]);
    app.gql()
        .send_body(eleven.to_string())
        .await
        .assert_error(400, "BAD_USER_INPUT");
    app.gql()
        .send_body("[]")
        .await
        .assert_error(400, "BAD_USER_INPUT");
    // A list that is not of operations (serde could read it as one operation's fields) is refused.
    app.gql()
        .send_body(r#"["{ __typename }"]"#)
        .await
        .assert_error(400, "BAD_USER_INPUT");
}

async fn bodies_over_256_kib_are_refused(app: TestApp) {
    let padding = " ".repeat(256 * 1024);
    let body = json!({ "query": format!("{{ __typename {padding} }}") }).to_string();
    let response = app.gql().send_body(body).await;
    assert_eq!(response.status, 413, "{:#}", response.body);
    assert_eq!(response.body["data"], Value::Null);

    // Just under the limit is fine.
    let padding = " ".repeat(200 * 1024);
    let body = json!({ "query": format!("{{ __typename {padding} }}") }).to_string();
    app.gql().send_body(body).await.data();
}

async fn broken_json_is_a_bad_request(app: TestApp) {
    for body in ["{", "not json", "{\"query\": 5}", ""] {
        let response = app.gql().send_body(body).await;
        response.assert_error(400, "BAD_USER_INPUT");
        assert_eq!(response.body["data"], Value::Null);
    }
}

async fn graphql_errors_always_carry_a_contract_code(app: TestApp) {
    for (query, code) in [
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ vendor ", "GRAPHQL_PARSE_FAILED"),
        (
            "query { me { password_hash } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "{ products(first: \"x\") { totalCount } }",
            "BAD_USER_INPUT",
        ),
    ] {
        let response = app.gql().send(query, json!({})).await;
        assert_eq!(response.status, 200, "{query}");
        assert_eq!(response.code(), code, "{query}: {:#}", response.body);
    }
}

async fn request_ids_are_made_or_echoed(app: TestApp) {
    let made = app.gql().send("{ __typename }", json!({})).await;
    let id = made
        .headers
        .get("x-request-id")
        .expect("a request id")
        .to_str()
        .unwrap();
    assert!(!id.is_empty());

    let echoed = app
        .gql()
        .header("X-Request-Id", "trace-me-42")
        .send("{ __typename }", json!({}))
        .await;
    assert_eq!(echoed.headers.get("x-request-id").unwrap(), "trace-me-42");

    // Too long, or not visible ASCII: replaced by a new id.
    for unfit in [
        "x".repeat(129),
        "has space".to_owned(),
        "tab\there".to_owned(),
    ] {
        let answer = app
            .gql()
            .header("X-Request-Id", &unfit)
            .send("{ __typename }", json!({}))
            .await;
        let id = answer
            .headers
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap();
        assert_ne!(id, unfit);
        assert!((1..=128).contains(&id.len()));
    }
    let longest = "y".repeat(128);
    let answer = app
        .gql()
        .header("X-Request-Id", &longest)
        .send("{ __typename }", json!({}))
        .await;
    assert_eq!(
        answer.headers.get("x-request-id").unwrap(),
        longest.as_str()
    );
}

/// `Accept: application/graphql-response+json` (as Apollo Client 4 sends it): 200 once execution
/// started, 400 without `data` for a request refused before, and the rejections before GraphQL keep
/// their statuses, all in that media type with `extensions.code`. Without it, `application/json` and
/// 200 for every GraphQL error, as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_follow_the_accept_header() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let store = app.store("vendor1").await;
    const APOLLO: &str = "application/graphql-response+json, application/json;q=0.9";
    let apollo = || app.gql().header("Accept", APOLLO).tenant(&store.domain);
    let media =
        |answer: &crate::harness::Gql| answer.headers["content-type"].to_str().unwrap().to_owned();

    let ran = apollo().send("{ vendor { id } }", json!({})).await;
    assert_eq!(ran.status, 200);
    assert_eq!(media(&ran), "application/graphql-response+json");
    // Execution started: an error inside it is still 200, with data.
    let inside = apollo().send("{ me { id } }", json!({})).await;
    assert_eq!(inside.status, 200, "{:#}", inside.body);
    assert_eq!(inside.code(), "UNAUTHENTICATED");
    for (query, code) in [
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ vendor ", "GRAPHQL_PARSE_FAILED"),
        (
            "{ products(first: \"x\") { totalCount } }",
            "BAD_USER_INPUT",
        ),
    ] {
        let refused = apollo().send(query, json!({})).await;
        assert_eq!(refused.status, 400, "{query}: {:#}", refused.body);
        assert_eq!(refused.code(), code, "{query}");
        assert!(refused.body.get("data").is_none(), "{:#}", refused.body);
        assert_eq!(media(&refused), "application/graphql-response+json");
    }
    let broken = apollo().send_body("{").await;
    assert_eq!(broken.status, 400);
    assert!(broken.body.get("data").is_none());
    // Rejections before GraphQL keep their statuses, readable by their code.
    let unknown = app
        .gql()
        .header("Accept", APOLLO)
        .tenant("nobody.example.com")
        .send("{ vendor { id } }", json!({}))
        .await;
    unknown.assert_error(404, "TENANT_NOT_FOUND");
    assert_eq!(media(&unknown), "application/graphql-response+json");
    let bad_token = apollo()
        .token("nope")
        .send("{ vendor { id } }", json!({}))
        .await;
    bad_token.assert_error(401, "UNAUTHENTICATED");

    // Without asking: application/json, 200.
    for accept in [None, Some("application/json"), Some("*/*")] {
        let mut request = app.gql().tenant(&store.domain);
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        let refused = request.send("{ nope }", json!({})).await;
        assert_eq!(refused.status, 200, "{accept:?}");
        assert_eq!(media(&refused), "application/json");
        assert_eq!(refused.code(), "GRAPHQL_VALIDATION_FAILED");
    }
}
