//! No text with a NUL character reaches a resolver. PostgreSQL cannot store one in `text` ("invalid
//! byte sequence for encoding UTF8: 0x00") while SQLite stores it, so every text input of the schema,
//! present and to come, is refused here once, before validation: in the variables and in the document's
//! own literals. The walk reads each value once (fragments once, not per spread); the depth is bounded
//! by the parser's and the JSON reader's nesting limits.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Value as ConstValue, Variables};

/// Where a NUL character is in the variables: a variable's path (`input.name`, `items.0.address`).
pub fn in_variables(variables: &Variables) -> Option<String> {
    variables
        .iter()
        .find_map(|(name, value)| in_const(value).map(|at| joined(name.as_str(), &at)))
}

/// Where a NUL character is in the document's literals: an argument's path (`input.name`) or a
/// variable's default value.
pub fn in_document(document: &ExecutableDocument) -> Option<String> {
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        for definition in &operation.variable_definitions {
            let definition = &definition.node;
            if let Some(at) = definition
                .default_value
                .as_ref()
                .and_then(|v| in_const(&v.node))
            {
                return Some(joined(definition.name.node.as_str(), &at));
            }
        }
        if let Some(at) = in_directives(&operation.directives) {
            return Some(at);
        }
        if let Some(at) = in_selections(&operation.selection_set.node) {
            return Some(at);
        }
    }
    document
        .fragments
        .values()
        .find_map(|fragment| in_selections(&fragment.node.selection_set.node))
}

fn joined(head: &str, tail: &str) -> String {
    if tail.is_empty() {
        head.to_owned()
    } else {
        format!("{head}.{tail}")
    }
}

/// Where a NUL is among arguments (a field's or a directive's): the argument's path. A literal may
/// name variables, which are checked apart: here they read as null.
macro_rules! in_arguments {
    ($arguments:expr) => {
        $arguments.iter().find_map(|(name, value)| {
            let literal = value
                .node
                .clone()
                .into_const_with(|_| Ok::<_, std::convert::Infallible>(ConstValue::Null))
                .unwrap_or(ConstValue::Null);
            in_const(&literal).map(|at| joined(name.node.as_str(), &at))
        })
    };
}

fn in_selections(set: &SelectionSet) -> Option<String> {
    set.items
        .iter()
        .find_map(|selection| match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                in_arguments!(field.arguments)
                    .or_else(|| in_directives(&field.directives))
                    .or_else(|| in_selections(&field.selection_set.node))
            }
            Selection::FragmentSpread(spread) => in_directives(&spread.node.directives),
            Selection::InlineFragment(inline) => in_directives(&inline.node.directives)
                .or_else(|| in_selections(&inline.node.selection_set.node)),
        })
}

fn in_directives(
    directives: &[async_graphql::Positioned<async_graphql::parser::types::Directive>],
) -> Option<String> {
    directives
        .iter()
        .find_map(|directive| in_arguments!(directive.node.arguments))
}

fn in_const(value: &ConstValue) -> Option<String> {
    match value {
        ConstValue::String(text) => text.contains('\0').then(String::new),
        ConstValue::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| in_const(item).map(|at| joined(&index.to_string(), &at))),
        ConstValue::Object(fields) => fields.iter().find_map(|(name, field)| {
            if name.contains('\0') {
                return Some(String::new());
            }
            in_const(field).map(|at| joined(name.as_str(), &at))
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(query: &str, variables: serde_json::Value) -> Option<String> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        in_variables(&Variables::from_json(variables)).or_else(|| in_document(&document))
    }

    #[test]
    fn a_nul_is_found_wherever_text_goes_in() {
        let clean =
            "query($a: String = \"x\") { f(a: \"b\", o: {c: [\"d\"]}) @include(if: true) { g } }";
        assert_eq!(found(clean, serde_json::json!({ "a": "fine" })), None);
        assert_eq!(
            found(
                "{ f }",
                serde_json::json!({ "input": { "items": [{}, { "address": "a\u{0}" }] } })
            ),
            Some("input.items.1.address".into())
        );
        assert_eq!(
            found(
                "{ f(o: {c: [\"x\", \"a\\u0000\"]}) }",
                serde_json::json!({})
            ),
            Some("o.c.1".into())
        );
        assert_eq!(
            found(
                "query($a: String = \"\\u0000\") { f }",
                serde_json::json!({})
            ),
            Some("a".into())
        );
        assert_eq!(
            found(
                "{ ...F } fragment F on Q { g { h(x: \"\\u0000\") } }",
                serde_json::json!({})
            ),
            Some("x".into())
        );
        assert_eq!(
            found(
                "{ f @skip(if: false) @d(x: \"\\u0000\") }",
                serde_json::json!({})
            ),
            Some("x".into())
        );
        assert_eq!(
            found("{ f }", serde_json::json!({ "t": "\u{0}" })),
            Some("t".into())
        );
    }
}
