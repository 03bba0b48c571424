//! Every text that reaches SQL is valid for both databases before it is sent (PostgreSQL refuses a NUL
//! character, a time before 4713 BC and a lexeme over 2,047 bytes where SQLite takes them): the same
//! clean `BAD_USER_INPUT` on both, or the same success, never an `INTERNAL_SERVER_ERROR`.

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::catalog::create_product;
use crate::harness::{Store, TestApp};
use crate::on_both_backends;
use crate::orders::{line, place_ok};

on_both_backends!(
    every_text_input_refuses_a_nul,
    forged_cursors_are_refused_before_sql,
    long_folded_words_are_stored_and_searched,
);

const SCHEMA: &str = "{ __schema { queryType { name } mutationType { name }
  types { name kind
    fields { name args { name type { ...T } defaultValue } type { ...T } }
    inputFields { name type { ...T } defaultValue }
    enumValues { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// The schema's types by name, as introspection answers them.
struct Types(HashMap<String, Value>);

/// A type reference's kind and name, through NON_NULL and LIST wrappers: (required, list, name).
fn unwrap(reference: &Value) -> (bool, bool, String) {
    let mut reference = reference;
    let required = reference["kind"] == "NON_NULL";
    if required {
        reference = &reference["ofType"];
    }
    let list = reference["kind"] == "LIST";
    while !reference["ofType"].is_null() {
        reference = &reference["ofType"];
    }
    (
        required,
        list,
        reference["name"].as_str().unwrap().to_owned(),
    )
}

/// The type reference as GraphQL writes it (`[OrderLineInput!]!`).
fn written(reference: &Value) -> String {
    match reference["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", written(&reference["ofType"])),
        "LIST" => format!("[{}]", written(&reference["ofType"])),
        _ => reference["name"].as_str().unwrap().to_owned(),
    }
}

impl Types {
    async fn of(app: &TestApp) -> Self {
        let answer = app.gql().send(SCHEMA, json!({})).await;
        let types = answer.data()["__schema"]["types"]
            .as_array()
            .unwrap()
            .clone();
        Self(
            types
                .into_iter()
                .map(|t| (t["name"].as_str().unwrap().to_owned(), t))
                .collect(),
        )
    }

    /// A valid value of the named type; with `nul_at` (a path below it), a text there holds a NUL.
    /// Every path to a text that the type holds is pushed to `texts`.
    fn value(
        &self,
        name: &str,
        list: bool,
        nul_at: Option<&[String]>,
        texts: &mut Vec<Vec<String>>,
    ) -> Value {
        if !list {
            return self.single(name, nul_at, texts);
        }
        let mut inner = Vec::new();
        let item = self.single(name, nul_at.map(|at| &at[1..]), &mut inner);
        texts.extend(inner.into_iter().map(|mut text| {
            text.insert(0, "0".to_owned());
            text
        }));
        json!([item])
    }

    fn single(&self, name: &str, nul_at: Option<&[String]>, texts: &mut Vec<Vec<String>>) -> Value {
        let kind = self.0[name]["kind"].as_str().unwrap();
        match (kind, name) {
            ("SCALAR", "String" | "ID") => {
                texts.push(Vec::new());
                if nul_at.is_some_and(<[String]>::is_empty) {
                    json!("a\u{0}b")
                } else {
                    json!(if name == "ID" { "1" } else { "x" })
                }
            }
            ("SCALAR", "Int") => json!(1),
            ("SCALAR", "Float") => json!(1.0),
            ("SCALAR", "Boolean") => json!(true),
            ("SCALAR", "Decimal") => json!("1.00"),
            ("SCALAR", "DateTime") => json!("2026-01-01T00:00:00Z"),
            ("ENUM", _) => self.0[name]["enumValues"][0]["name"].clone(),
            ("INPUT_OBJECT", _) => {
                let mut object = Map::new();
                for field in self.0[name]["inputFields"].as_array().unwrap() {
                    let field_name = field["name"].as_str().unwrap();
                    let (required, list, type_name) = unwrap(&field["type"]);
                    let below = nul_at
                        .filter(|at| at.first().is_some_and(|head| head == field_name))
                        .map(|at| &at[1..]);
                    let mut inner = Vec::new();
                    let value = self.value(&type_name, list, below, &mut inner);
                    texts.extend(inner.into_iter().map(|mut t| {
                        t.insert(0, field_name.to_owned());
                        t
                    }));
                    if (required && field["defaultValue"].is_null()) || below.is_some() {
                        object.insert(field_name.to_owned(), value);
                    }
                }
                Value::Object(object)
            }
            other => panic!("no value for {other:?}"),
        }
    }

    /// A selection for a field of the named type: `{ __typename }` for an object, nothing otherwise.
    fn selection(&self, name: &str) -> &'static str {
        match self.0[name]["kind"].as_str().unwrap() {
            "OBJECT" | "INTERFACE" | "UNION" => " { __typename }",
            _ => "",
        }
    }
}

/// For every query and mutation, for every text its arguments can carry (a `String` or an `ID`, at any
/// depth of an input), the operation with a NUL there is refused with `BAD_USER_INPUT` naming where it
/// is, on both databases, and nothing runs.
async fn every_text_input_refuses_a_nul(app: TestApp) {
    let store = app.store("vendor1").await;
    let types = Types::of(&app).await;
    let mut checked = 0;
    for (root, keyword) in [("Query", "query"), ("Mutation", "mutation")] {
        for field in types.0[root]["fields"].as_array().unwrap() {
            let field_name = field["name"].as_str().unwrap();
            let selection = types.selection(&unwrap(&field["type"]).2);
            for arg in field["args"].as_array().unwrap() {
                let arg_name = arg["name"].as_str().unwrap();
                let (_, list, type_name) = unwrap(&arg["type"]);
                let mut texts = Vec::new();
                types.value(&type_name, list, None, &mut texts);
                for text in texts {
                    let mut variables = Map::new();
                    let mut declared = Vec::new();
                    let mut passed = Vec::new();
                    for other in field["args"].as_array().unwrap() {
                        let other_name = other["name"].as_str().unwrap();
                        let (required, other_list, other_type) = unwrap(&other["type"]);
                        let target = other_name == arg_name;
                        if !target && (!required || !other["defaultValue"].is_null()) {
                            continue;
                        }
                        let nul_at = target.then_some(text.as_slice());
                        let value = types.value(&other_type, other_list, nul_at, &mut Vec::new());
                        variables.insert(other_name.to_owned(), value);
                        declared.push(format!("${other_name}: {}", written(&other["type"])));
                        passed.push(format!("{other_name}: ${other_name}"));
                    }
                    let document = format!(
                        "{keyword}({}) {{ {field_name}({}){selection} }}",
                        declared.join(", "),
                        passed.join(", ")
                    );
                    let answer = app
                        .as_user(&store, &store.owner)
                        .send(&document, Value::Object(variables))
                        .await;
                    let path = std::iter::once(arg_name.to_owned())
                        .chain(text.iter().cloned())
                        .collect::<Vec<_>>()
                        .join(".");
                    assert_eq!(answer.status, 200, "{document}: {:#}", answer.body);
                    assert_eq!(
                        (answer.code(), answer.field()),
                        ("BAD_USER_INPUT", path.as_str()),
                        "{document}: {:#}",
                        answer.body
                    );
                    assert!(
                        answer.body["data"].is_null(),
                        "nothing ran: {:#}",
                        answer.body
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 60, "only {checked} text inputs were found");

    // In the document's own literals too, and over a WebSocket.
    let literal = app
        .as_user(&store, &store.owner)
        .send(
            r#"mutation { createProduct(input: { name: "a\u0000b", price: "1.00", stock: 1 }) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        (literal.code(), literal.field()),
        ("BAD_USER_INPUT", "input.name")
    );
    let mut socket = crate::subscriptions::socket_as(&app, &store, &store.owner).await;
    socket
        .subscribe(
            "s",
            "subscription($after: ID) { orderEvents(after: $after) { id } }",
            json!({ "after": "1\u{0}" }),
        )
        .await;
    match socket.next("s").await {
        crate::harness::ws::Heard::Next(payload) => {
            assert_eq!(
                payload["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{payload}"
            );
            assert_eq!(
                payload["errors"][0]["extensions"]["field"], "after",
                "{payload}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let products = app
        .as_user(&store, &store.owner)
        .send("{ products { totalCount } }", json!({}))
        .await;
    assert_eq!(
        products.data()["products"]["totalCount"],
        0,
        "nothing was written"
    );
}

/// A cursor of `listing` with its last part (the sort's value) replaced by `value`.
fn forged(cursor: &str, value: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let text = String::from_utf8(engine.decode(cursor).unwrap()).unwrap();
    let (head, _) = text.rsplit_once('\u{1f}').unwrap();
    engine.encode(format!("{head}\u{1f}{value}"))
}

async fn products_page(
    app: &TestApp,
    store: &Store,
    sort: &str,
    after: Option<&str>,
) -> crate::harness::Gql {
    app.gql()
        .tenant(&store.domain)
        .send(
            "query($s: ProductSortKey, $a: String) { products(first: 1, sortKey: $s, after: $a) { edges { cursor } } }",
            json!({ "s": sort, "a": after }),
        )
        .await
}

/// Cursors forged with values no row can have (a time before 4713 BC or after 9999, a NUL or an
/// endless name) are `BAD_USER_INPUT` on `after` on both databases; the real cursor still works.
async fn forged_cursors_are_refused_before_sql(app: TestApp) {
    let store = app.store("vendor1").await;
    create_product(&app, &store, "Watch", json!("5.00"), 3).await;
    create_product(&app, &store, "Wallet", json!("7.00"), 3).await;
    // Microseconds since 1970 of a time in 5000 BC, and of one in the year 10000.
    let before_4713_bc = (-6_970_i64 * 31_556_952 * 1_000_000).to_string();
    let after_9999 = (8_030_i64 * 31_556_952 * 1_000_000).to_string();
    let long_name = "n".repeat(5_000);
    for (sort, value) in [
        ("CREATED_AT", before_4713_bc.as_str()),
        ("UPDATED_AT", before_4713_bc.as_str()),
        ("CREATED_AT", after_9999.as_str()),
        ("NAME", "wa\u{0}tch"),
        ("NAME", long_name.as_str()),
        ("PRICE", "99999999999999999999999"),
    ] {
        let first = products_page(&app, &store, sort, None).await;
        let cursor = first.data()["products"]["edges"][0]["cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            products_page(&app, &store, sort, Some(&cursor))
                .await
                .data()["products"]["edges"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let refused = products_page(&app, &store, sort, Some(&forged(&cursor, value))).await;
        assert_eq!(
            (refused.code(), refused.field()),
            ("BAD_USER_INPUT", "after"),
            "{sort} {:#}",
            refused.body
        );
    }
    // The other listings' cursors are row ids: any text that is not one is refused alike.
    let bolt = create_product(&app, &store, "Bolt", json!("1.00"), 5).await;
    let order = place_ok(&app, &store, &store.customer, json!([line(&bolt, 1)])).await;
    assert!(order["id"].is_string());
    for (query, who) in [
        (
            "query($a: String) { orders(after: $a) { totalCount } }",
            &store.owner,
        ),
        (
            "query($a: String) { myOrders(after: $a) { totalCount } }",
            &store.customer,
        ),
        (
            "query($a: String) { customers(after: $a) { totalCount } }",
            &store.owner,
        ),
        (
            "query($a: String) { staff(after: $a) { totalCount } }",
            &store.owner,
        ),
    ] {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for after in [
            engine.encode("id:\u{0}1"),
            engine.encode("id:-99999999999999999999"),
            "\u{1}".repeat(3),
        ] {
            let refused = app
                .as_user(&store, who)
                .send(query, json!({ "a": after }))
                .await;
            assert_eq!(
                (refused.code(), refused.field()),
                ("BAD_USER_INPUT", "after"),
                "{query}"
            );
        }
    }
}

/// A product whose name folds to a word longer than PostgreSQL's lexemes (255 Hangul syllables with
/// a final consonant: 2,295 bytes) is made, listed and found; an anonymous search of such a word answers
/// cleanly, and finds it.
async fn long_folded_words_are_stored_and_searched(app: TestApp) {
    let store = app.store("vendor1").await;
    let hangul = "각".repeat(255);
    let endless = format!("see {}", "z".repeat(5_000));
    let made = app
        .as_user(&store, &store.owner)
        .send(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": { "name": hangul, "description": endless, "price": "1.00", "stock": 1 } }),
        )
        .await;
    let id = made.data()["createProduct"]["id"].clone();
    for search in [hangul.clone(), "각".repeat(200), "z".repeat(255)] {
        let found = app
            .gql()
            .tenant(&store.domain)
            .send(
                "query($s: String) { products(search: $s, first: 5) { nodes { id } } }",
                json!({ "s": search }),
            )
            .await;
        let nodes = found.data()["products"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(nodes, [json!({ "id": id })], "{:#}", found.body);
    }
}
