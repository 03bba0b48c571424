//! The committed `schema.graphql` is what the server serves: clients generate code from it.

#[test]
fn committed_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let current = multistore::schema::sdl();
    assert!(
        committed == current,
        "schema.graphql is stale: run `cargo run -- print-schema schema.graphql` and commit it"
    );
}
