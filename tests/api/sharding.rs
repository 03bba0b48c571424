//! The schema stays ready to be distributed by store (Citus: every tenant table distributed by
//! `vendor_id` and co-located, `vendors` a reference table), for every table present or to come: read
//! from PostgreSQL's own catalog after all migrations.

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};

use crate::harness::{Backend, TestApp};

/// Tables that belong to no store: copied to every node (reference tables), or diesel's own.
/// `webhook_fanout` is the one place of the webhook fan-out in the log, shared by the instances (on
/// a distributed database it would be one per node of the log, see docs/scaling.md).
/// `store_domains` names a store (`vendor_id`) but is the platform's: a domain is unique across
/// stores, which only a table on every node can enforce. `platform_admins` belong to no store, nor do
/// the platform's one-off tasks (`maintenance_done`).
const REFERENCE_TABLES: &[&str] = &[
    "vendors",
    "__diesel_schema_migrations",
    "webhook_fanout",
    "store_domains",
    "platform_admins",
    "maintenance_done",
];

#[derive(QueryableByName, Debug)]
struct Table {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    tenant: bool,
    #[diesel(sql_type = Bool)]
    row_security: bool,
}

#[derive(QueryableByName, Debug)]
struct UniqueKey {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    index_name: String,
    #[diesel(sql_type = Bool)]
    primary: bool,
    #[diesel(sql_type = Text)]
    first_column: String,
}

#[derive(QueryableByName, Debug)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    referenced: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Text)]
    referenced_columns: String,
}

#[derive(QueryableByName, Debug)]
struct Trigger {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
}

/// Rows of a catalog query on the test's database, as its owner.
async fn load<T>(app: &TestApp, sql: &str) -> Vec<T>
where
    T: QueryableByName<diesel::pg::Pg> + Send + 'static,
{
    let url = &app.database();
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    diesel::sql_query(sql).load::<T>(&mut conn).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tenant_table_is_keyed_by_its_store() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let tables: Vec<Table> = load(
        &app,
        "SELECT c.relname::text AS name,
                EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                        AND a.attname = 'vendor_id' AND NOT a.attisdropped) AS tenant,
                (c.relrowsecurity AND c.relforcerowsecurity) AS row_security
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')",
    )
    .await;
    let tenant: Vec<&str> = tables
        .iter()
        .filter(|t| t.tenant && !REFERENCE_TABLES.contains(&t.name.as_str()))
        .map(|t| t.name.as_str())
        .collect();
    assert!(
        tenant.contains(&"orders") && tenant.contains(&"users"),
        "{tables:?}"
    );
    for table in &tables {
        assert!(
            table.tenant || REFERENCE_TABLES.contains(&table.name.as_str()),
            "{} has no vendor_id: a table belongs to a store (add vendor_id) or is a reference table",
            table.name
        );
        if table.tenant {
            assert!(
                table.row_security,
                "{}: row-level security is not enabled and forced",
                table.name
            );
        }
    }

    let keys: Vec<UniqueKey> = load(
        &app,
        "SELECT c.relname::text AS table_name, i.relname::text AS index_name,
                x.indisprimary AS primary, COALESCE(a.attname::text, '') AS first_column
         FROM pg_index x
         JOIN pg_class c ON c.oid = x.indrelid
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]
         WHERE n.nspname = 'public' AND (x.indisunique OR x.indisprimary)",
    )
    .await;
    for table in &tenant {
        assert!(
            keys.iter().any(|k| k.table_name == *table && k.primary),
            "{table} has no primary key"
        );
    }
    for key in keys
        .iter()
        .filter(|k| tenant.contains(&k.table_name.as_str()))
    {
        assert_eq!(
            key.first_column, "vendor_id",
            "{} on {}: a primary key or unique constraint of a tenant table begins with vendor_id",
            key.index_name, key.table_name
        );
    }

    let foreign: Vec<ForeignKey> = load(
        &app,
        "SELECT con.conname::text AS name, src.relname::text AS table_name,
                dst.relname::text AS referenced,
                (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
                 FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
                (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
                 FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum)
                  AS referenced_columns
         FROM pg_constraint con
         JOIN pg_class src ON src.oid = con.conrelid
         JOIN pg_class dst ON dst.oid = con.confrelid
         JOIN pg_namespace n ON n.oid = src.relnamespace
         WHERE con.contype = 'f' AND n.nspname = 'public'",
    )
    .await;
    assert!(!foreign.is_empty());
    for key in &foreign {
        let between_tenants =
            tenant.contains(&key.table_name.as_str()) && tenant.contains(&key.referenced.as_str());
        if between_tenants {
            assert!(
                key.columns.starts_with("vendor_id,")
                    && key.referenced_columns.starts_with("vendor_id,"),
                "{} ({} -> {}): a foreign key between tenant tables begins with vendor_id on both sides",
                key.name,
                key.table_name,
                key.referenced
            );
        } else {
            assert!(
                REFERENCE_TABLES.contains(&key.referenced.as_str()),
                "{}: a tenant table refers only to tenant tables and reference tables",
                key.name
            );
        }
    }

    // docs/scaling.md places every table: the tenant tables distributed, the others reference tables.
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scaling.md")).unwrap();
    let placed = |function: &str| -> Vec<String> {
        doc.split(&format!("{function}('"))
            .skip(1)
            .filter_map(|rest| rest.split_once('\'').map(|(name, _)| name.to_owned()))
            .collect()
    };
    let (distributed, reference) = (
        placed("create_distributed_table"),
        placed("create_reference_table"),
    );
    for table in &tables {
        let name = &table.name;
        if name == "__diesel_schema_migrations" {
            continue;
        }
        let (wanted, listed) = if tenant.contains(&name.as_str()) {
            ("create_distributed_table", &distributed)
        } else {
            ("create_reference_table", &reference)
        };
        assert!(
            listed.contains(name),
            "docs/scaling.md does not place {name}: add `SELECT {wanted}('{name}', ...)` to its steps"
        );
    }
    for name in distributed.iter().chain(&reference) {
        assert!(
            tables.iter().any(|table| &table.name == name),
            "docs/scaling.md places {name}, which the schema does not have"
        );
    }

    let triggers: Vec<Trigger> = load(
        &app,
        "SELECT c.relname::text AS table_name, t.tgname::text AS name
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND NOT t.tgisinternal",
    )
    .await;
    if let Some(trigger) = <[Trigger]>::first(&triggers) {
        panic!(
            "trigger {} on {}: a trigger runs on the node that holds the row, not where the service \
             runs; do the work in the service's transaction instead",
            trigger.name, trigger.table_name
        );
    }
}
