//! The bounds on what one request may ask for, checked on the parsed document before it is validated or
//! run (CONTRACT.md section 7).
//!
//! Written here rather than with async-graphql's `limit_depth`/`limit_complexity`: those are computed
//! inside validation by expanding every fragment at every spread, so a kilobyte of fragments that spread
//! each other twice costs minutes before it is refused; and they cannot weigh a list by the most it can
//! return, price a page by a variable, span a whole batch or count password-hashing fields. Here each
//! fragment is walked once per place it is spread at (`figures`), and only a document within every bound
//! goes on to async-graphql's validation, whose work is then bounded too.

mod figures;
mod shape;
pub mod tokens;

use async_graphql::Variables;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};

use figures::{Figures, Refusal, Walk};
use shape::SchemaShape;

pub use figures::{MAX_LIST, MAX_SPREAD_NESTING};

/// Deepest nesting of fields, introspection aside.
pub const MAX_DEPTH: u32 = 12;
/// Most one request (an operation, or a whole batch) may answer outside introspection, in units of
/// about 32 bytes (a number weighs 1, a name 8, a description 313; see `shape`): about 1.6 MB of plain
/// text at most, or four times that in characters of four bytes.
pub const MAX_COST: u64 = 50_000;
/// Most values one request may answer from introspection (the standard introspection query of this
/// schema is a few thousand).
pub const MAX_INTROSPECTION: u64 = 50_000;
/// Most selections one request's documents may hold once their fragments are expanded: what validating
/// them costs.
pub const MAX_SELECTIONS: u64 = 20_000;
/// Password-hashing fields one request may hold.
pub const MAX_PASSWORD_FIELDS: u64 = 1;

/// Why a document was refused before validation.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// A bound is exceeded (`LIMIT_EXCEEDED`).
    Limit(String),
    /// The document cannot be valid (`GRAPHQL_VALIDATION_FAILED`).
    Invalid(String),
}

/// What the requests of one HTTP request (or one WebSocket operation) have used so far.
#[derive(Debug, Default)]
pub struct Budget {
    cost: u64,
    introspection: u64,
    selections: u64,
    password_fields: u64,
}

/// The limits, with what they need to know of the schema.
pub struct DocumentLimits {
    shape: SchemaShape,
}

impl DocumentLimits {
    /// Limits for the schema written as `sdl`.
    pub fn new(sdl: &str) -> Self {
        Self {
            shape: SchemaShape::from_sdl(sdl),
        }
    }

    /// Checks one operation's document against the bounds, charging `budget` with what it asks for.
    /// Reads the document once; fragments are priced once per place, never expanded.
    pub fn check(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
        budget: &mut Budget,
    ) -> Result<(), Refused> {
        let mut walk = Walk::new(&self.shape, document, variables);
        let mut selections = 0u64;
        let mut run: Option<Figures> = None;
        let selected = |name: Option<&str>| match (&document.operations, operation_name) {
            (DocumentOperations::Single(_), _) => true,
            (DocumentOperations::Multiple(_), Some(wanted)) => name == Some(wanted),
            // Several operations and no name fails validation; price the dearest meanwhile.
            (DocumentOperations::Multiple(_), None) => true,
        };
        for (name, operation) in document.operations.iter() {
            let root = match operation.node.ty {
                OperationType::Query => &self.shape.query,
                OperationType::Mutation => &self.shape.mutation,
                OperationType::Subscription => &self.shape.subscription,
            };
            let figures = walk
                .operation(root, &operation.node.selection_set)
                .map_err(refusal)?;
            selections = selections.saturating_add(figures.selections);
            if selected(name.map(|name| name.as_str())) {
                run = Some(match run {
                    Some(before) if before.cost.at(1) >= figures.cost.at(1) => before,
                    _ => figures,
                });
            }
        }
        for name in document.fragments.keys() {
            let figures = walk.fragment(name).map_err(refusal)?;
            selections = selections.saturating_add(figures.selections);
        }
        let figures = run.unwrap_or_default();
        if figures.depth > MAX_DEPTH {
            return Err(Refused::Limit(format!(
                "the query is nested too deep: {} levels, at most {MAX_DEPTH}",
                figures.depth
            )));
        }
        budget.selections = budget.selections.saturating_add(selections);
        budget.cost = budget.cost.saturating_add(figures.cost.at(1));
        budget.introspection = budget.introspection.saturating_add(figures.introspection);
        budget.password_fields = budget
            .password_fields
            .saturating_add(figures.password_fields);
        if budget.selections > MAX_SELECTIONS {
            return Err(Refused::Limit(format!(
                "the document is too large once its fragments are expanded: {} selections, at \
                 most {MAX_SELECTIONS} per request",
                budget.selections
            )));
        }
        if budget.cost > MAX_COST {
            return Err(Refused::Limit(format!(
                "the query is too complex: its cost is {} (lists counted at their largest: a page by \
                 first or last, other lists by {MAX_LIST}), at most {MAX_COST} per request",
                budget.cost
            )));
        }
        if budget.introspection > MAX_INTROSPECTION {
            return Err(Refused::Limit(format!(
                "the introspection query is too complex: it may answer {} values, at most \
                 {MAX_INTROSPECTION} per request",
                budget.introspection
            )));
        }
        if budget.password_fields > MAX_PASSWORD_FIELDS {
            return Err(Refused::Limit(
                "a request may hold one field that checks or sets a password (login, register, \
                 registerVendor, createStaff, changePassword, adminLogin); send the others \
                 separately"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}

fn refusal(refusal: Refusal) -> Refused {
    match refusal {
        Refusal::Cycle(name) => {
            Refused::Invalid(format!("Cannot spread fragment \"{name}\" within itself"))
        }
        Refusal::SpreadsTooDeep => Refused::Limit(format!(
            "fragments are spread inside one another more than {MAX_SPREAD_NESTING} deep"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = "
        type Query { products(first: Int = 20, after: String): ProductConnection! me: User
                     orders(first: Int = 20): OrderConnection!
                     stores(first: Int = 20): VendorConnection! }
        type VendorConnection { nodes: [Vendor!]! }
        type Vendor { domains: [StoreDomain!]! }
        type StoreDomain { domain: String! }
        type Mutation { login(u: String): Int register(u: String): Int logout: Boolean }
        type ProductConnection { nodes: [Product!]! totalCount: Int! }
        type OrderConnection { nodes: [Order!]! }
        type Order { id: ID! items: [Item!]! }
        type Item { quantity: Int! product: Product }
        type Product { id: ID! name: String! description: String! }
        type User { id: ID! me: User }
        schema { query: Query mutation: Mutation }";

    fn check(query: &str, variables: serde_json::Value) -> Result<Budget, Refused> {
        let limits = DocumentLimits::new(SDL);
        let document = async_graphql::parser::parse_query(query).unwrap();
        let mut budget = Budget::default();
        limits.check(
            &document,
            None,
            &Variables::from_json(variables),
            &mut budget,
        )?;
        Ok(budget)
    }

    fn cost(query: &str) -> u64 {
        check(query, serde_json::json!({})).unwrap().cost
    }

    #[test]
    fn lists_count_by_the_most_they_can_return() {
        // products 1 + nodes 1 + 5 x (id 1 + name 8).
        assert_eq!(
            cost("{ products(first: 5) { nodes { id name } } }"),
            2 + 5 * 9
        );
        // The schema's default page, 20.
        assert_eq!(
            cost("{ products { nodes { id } totalCount } }"),
            1 + 1 + 20 + 1
        );
        // A description weighs 313.
        assert_eq!(
            cost("{ products(first: 1) { nodes { description } } }"),
            2 + 313
        );
        // A long alias weighs too: it is repeated for each element.
        let alias = "a".repeat(64);
        assert_eq!(
            cost(&format!(
                "{{ products(first: 5) {{ nodes {{ {alias}: id }} }} }}"
            )),
            2 + 5 * 3
        );
        // A store's domains count by 20: 1 + 1 + 10 x (1 + 20 x 8).
        assert_eq!(
            cost("{ stores(first: 10) { nodes { domains { domain } } } }"),
            2 + 10 * 161
        );
        // An order's lines count by 100: 1 + 1 + 10 x (1 + 100 x 1).
        assert_eq!(
            cost("{ orders(first: 10) { nodes { items { quantity } } } }"),
            2 + 10 * 101
        );
        // The page comes from a variable.
        let budget = check(
            "query($n: Int) { products(first: $n) { nodes { id } } }",
            serde_json::json!({ "n": 100 }),
        )
        .unwrap();
        assert_eq!(budget.cost, 102);
        // A fragment on the connection is priced for the page it is spread in.
        assert_eq!(
            cost(
                "{ a: products(first: 2) { ...P } b: products(first: 3) { ...P } }
                 fragment P on ProductConnection { nodes { id } }"
            ),
            (2 + 2) + (2 + 3)
        );
    }

    #[test]
    fn fragments_that_spread_each_other_are_priced_without_expanding_them() {
        let mut query = String::from("query { ...F0 }\n");
        for level in 0..40 {
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{n} ...F{n} }}\n",
                n = level + 1
            ));
        }
        query.push_str("fragment F40 on Query { me { id } }\n");
        // 41 fragments in a chain deeper than the spread limit.
        assert!(matches!(
            check(&query, serde_json::json!({})),
            Err(Refused::Limit(message)) if message.contains("spread")
        ));
        let mut query = String::from("query { ...F0 }\n");
        for level in 0..24 {
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{n} ...F{n} }}\n",
                n = level + 1
            ));
        }
        query.push_str("fragment F24 on Query { me { id } }\n");
        // 2^24 copies of `me { id }`: refused for what it would expand to.
        assert!(matches!(
            check(&query, serde_json::json!({})),
            Err(Refused::Limit(message)) if message.contains("expanded")
        ));
    }

    #[test]
    fn cycles_depth_and_password_fields_are_refused() {
        assert!(matches!(
            check(
                "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
                serde_json::json!({})
            ),
            Err(Refused::Invalid(_))
        ));
        let deep = format!("{{ {}id{} }}", "me { ".repeat(12), " }".repeat(12));
        assert!(matches!(
            check(&deep, serde_json::json!({})),
            Err(Refused::Limit(message)) if message.contains("deep")
        ));
        let twelve = format!("{{ {}id{} }}", "me { ".repeat(11), " }".repeat(11));
        check(&twelve, serde_json::json!({})).unwrap();
        check("mutation { login logout }", serde_json::json!({})).unwrap();
        assert!(matches!(
            check(
                "mutation { a: login ...M } fragment M on Mutation { register }",
                serde_json::json!({})
            ),
            Err(Refused::Limit(message)) if message.contains("password")
        ));
    }

    #[test]
    fn introspection_is_bounded_by_what_it_answers_not_by_depth() {
        let standard = "{ __schema { types { name fields { name args { name type { kind name \
            ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { \
            kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } } } \
            type { name } } } } }";
        let budget = check(standard, serde_json::json!({})).unwrap();
        assert!(budget.introspection > 0 && budget.cost == 0);
        // Following types through their fields' types again and again multiplies the answer.
        let walk = format!(
            "{{ __schema {{ types {{ {}name{} }} }} }}",
            "fields { type { ".repeat(6),
            " } }".repeat(6)
        );
        assert!(matches!(
            check(&walk, serde_json::json!({})),
            Err(Refused::Limit(message)) if message.contains("introspection")
        ));
    }
}
