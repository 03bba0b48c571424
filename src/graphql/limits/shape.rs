//! What the limits need to know of the schema: for every object type, each field's type, whether it is a
//! list and whether it is a page (takes `first`/`last`); and how large the schema's own introspection
//! lists are. Read once from the schema's SDL plus the introspection types of the specification.

use std::collections::HashMap;

use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};

/// The introspection types (GraphQL specification, section 4.5), which `Schema::sdl` leaves out.
const INTROSPECTION_SDL: &str = r#"
type __Schema { description: String types: [__Type!]! queryType: __Type! mutationType: __Type
  subscriptionType: __Type directives: [__Directive!]! }
type __Type { kind: __TypeKind! name: String description: String specifiedByURL: String
  fields(includeDeprecated: Boolean = false): [__Field!] interfaces: [__Type!] possibleTypes: [__Type!]
  enumValues(includeDeprecated: Boolean = false): [__EnumValue!]
  inputFields(includeDeprecated: Boolean = false): [__InputValue!] ofType: __Type isOneOf: Boolean }
type __Field { name: String! description: String args(includeDeprecated: Boolean = false): [__InputValue!]!
  type: __Type! isDeprecated: Boolean! deprecationReason: String }
type __InputValue { name: String! description: String type: __Type! defaultValue: String
  isDeprecated: Boolean! deprecationReason: String }
type __EnumValue { name: String! description: String isDeprecated: Boolean! deprecationReason: String }
type __Directive { name: String! description: String locations: [__DirectiveLocation!]!
  args(includeDeprecated: Boolean = false): [__InputValue!]! isRepeatable: Boolean! }
enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }
enum __DirectiveLocation { QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD
  INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE
  UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION }
directive @deprecated(reason: String) on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
directive @specifiedBy(url: String!) on SCALAR
directive @oneOf on INPUT_OBJECT
scalar String scalar Int scalar Float scalar Boolean scalar ID
"#;

/// A value's weight is about its largest size in units of 32 bytes, so that the cost limit bounds the
/// answer's size in bytes: numbers, ids, flags, enums, dates and amounts weigh 1; a string weighs 8
/// (names hold up to 255 characters), and the longer texts weigh more: a description holds up to 10,000
/// characters, an address 500.
const STRING_WEIGHT: u64 = 8;
const HEAVY_FIELDS: [(&str, &str, u64); 2] =
    [("Product", "description", 313), ("Order", "address", 16)];
/// Lists that hold fewer than `MAX_LIST` by a rule of the domain: a store has at most 20 domains
/// (`vendors::service::MAX_DOMAINS`), so a page of 100 stores with their domains costs what it is.
const SHORT_LISTS: [(&str, &str, u64); 1] = [("Vendor", "domains", 20)];

#[derive(Debug)]
pub struct FieldShape {
    /// The named type under any list and non-null wrappers.
    pub ty: String,
    pub list: bool,
    /// Takes `first` or `last`: its lists hold that many, not the most a list may hold.
    pub page: bool,
    /// `first`'s default in the schema.
    pub default_first: Option<u64>,
    pub weight: u64,
    /// The most a list holds when a rule bounds it below the most any list may (`SHORT_LISTS`).
    pub most: Option<u64>,
}

/// Sizes of the schema's introspection lists: totals over the whole schema (what `types { fields }`
/// returns, each field once) and the most one element holds (what `type { fields }` may return).
#[derive(Debug, Default)]
pub struct IntrospectionSizes {
    pub types: u64,
    pub fields_total: u64,
    pub fields_max: u64,
    pub field_args_total: u64,
    pub field_args_max: u64,
    pub input_fields_total: u64,
    pub input_fields_max: u64,
    pub enum_values_total: u64,
    pub enum_values_max: u64,
    /// Interfaces of objects, members of unions and implementations of interfaces (one bound for both
    /// `interfaces` and `possibleTypes`).
    pub type_refs_total: u64,
    pub type_refs_max: u64,
    pub directives: u64,
    pub directive_args_total: u64,
    pub directive_args_max: u64,
    pub locations_max: u64,
}

#[derive(Debug, Default)]
pub struct SchemaShape {
    pub types: HashMap<String, HashMap<String, FieldShape>>,
    pub query: String,
    pub mutation: String,
    pub subscription: String,
    pub sizes: IntrospectionSizes,
}

impl SchemaShape {
    /// The shape of the schema written as `sdl`.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut shape = SchemaShape {
            query: "Query".into(),
            mutation: "Mutation".into(),
            subscription: "Subscription".into(),
            ..Default::default()
        };
        let mut members: HashMap<String, u64> = HashMap::new();
        for text in [sdl, INTROSPECTION_SDL] {
            let document = async_graphql::parser::parse_schema(text)
                .expect("the schema's SDL and the introspection types parse");
            for definition in document.definitions {
                shape.add(definition, &mut members);
            }
        }
        let sizes = &mut shape.sizes;
        sizes.type_refs_total += members.values().sum::<u64>();
        sizes.type_refs_max = sizes
            .type_refs_max
            .max(members.values().copied().max().unwrap_or(0));
        shape
    }

    fn add(&mut self, definition: TypeSystemDefinition, members: &mut HashMap<String, u64>) {
        let sizes = &mut self.sizes;
        match definition {
            TypeSystemDefinition::Schema(schema) => {
                let schema = schema.node;
                let name = |n: Option<async_graphql::Positioned<async_graphql::Name>>| {
                    n.map(|n| n.node.to_string())
                };
                if let Some(query) = name(schema.query) {
                    self.query = query;
                }
                if let Some(mutation) = name(schema.mutation) {
                    self.mutation = mutation;
                }
                if let Some(subscription) = name(schema.subscription) {
                    self.subscription = subscription;
                }
            }
            TypeSystemDefinition::Directive(directive) => {
                let args = directive.node.arguments.len() as u64;
                sizes.directives += 1;
                sizes.directive_args_total += args;
                sizes.directive_args_max = sizes.directive_args_max.max(args);
                sizes.locations_max = 19;
            }
            TypeSystemDefinition::Type(ty) => {
                let ty = ty.node;
                sizes.types += 1;
                let type_name = ty.name.node.to_string();
                let (fields, implements) = match ty.kind {
                    TypeKind::Object(object) => (object.fields, object.implements),
                    TypeKind::Interface(interface) => (interface.fields, interface.implements),
                    TypeKind::Union(union) => {
                        *members.entry(type_name).or_default() += union.members.len() as u64;
                        return;
                    }
                    TypeKind::Enum(values) => {
                        let count = values.values.len() as u64;
                        sizes.enum_values_total += count;
                        sizes.enum_values_max = sizes.enum_values_max.max(count);
                        return;
                    }
                    TypeKind::InputObject(input) => {
                        let count = input.fields.len() as u64;
                        sizes.input_fields_total += count;
                        sizes.input_fields_max = sizes.input_fields_max.max(count);
                        return;
                    }
                    TypeKind::Scalar => return,
                };
                // An object's interfaces, and each interface's implementations.
                *members.entry(format!("{type_name}:")).or_default() += implements.len() as u64;
                for interface in &implements {
                    *members.entry(interface.node.to_string()).or_default() += 1;
                }
                let count = fields.len() as u64;
                sizes.fields_total += count;
                sizes.fields_max = sizes.fields_max.max(count);
                let mut shapes = HashMap::new();
                for field in fields {
                    let field = field.node;
                    let args = field.arguments.len() as u64;
                    sizes.field_args_total += args;
                    sizes.field_args_max = sizes.field_args_max.max(args);
                    let name = field.name.node.to_string();
                    let page = field
                        .arguments
                        .iter()
                        .any(|arg| matches!(arg.node.name.node.as_str(), "first" | "last"));
                    let default_first = field
                        .arguments
                        .iter()
                        .find(|arg| arg.node.name.node == "first")
                        .and_then(|arg| arg.node.default_value.as_ref())
                        .and_then(|value| match &value.node {
                            async_graphql::Value::Number(n) => n.as_u64(),
                            _ => None,
                        });
                    let mut base = &field.ty.node.base;
                    let mut list = false;
                    while let BaseType::List(inner) = base {
                        list = true;
                        base = &inner.base;
                    }
                    let BaseType::Named(ty) = base else {
                        unreachable!("a type under its lists is named")
                    };
                    let weight = HEAVY_FIELDS
                        .iter()
                        .find(|(t, f, _)| *t == type_name && *f == name)
                        .map(|(_, _, weight)| *weight)
                        .unwrap_or(if ty.as_str() == "String" {
                            STRING_WEIGHT
                        } else {
                            1
                        });
                    let most = SHORT_LISTS
                        .iter()
                        .find(|(t, f, _)| *t == type_name && *f == name)
                        .map(|(_, _, most)| *most);
                    shapes.insert(
                        name,
                        FieldShape {
                            ty: ty.to_string(),
                            list,
                            page,
                            default_first,
                            weight,
                            most,
                        },
                    );
                }
                self.types.insert(type_name, shapes);
            }
        }
    }

    pub fn field(&self, ty: &str, name: &str) -> Option<&FieldShape> {
        self.types.get(ty)?.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::SchemaShape;

    #[test]
    fn fields_lists_pages_and_introspection_sizes_are_read() {
        let shape = SchemaShape::from_sdl(
            "type Query { products(first: Int = 20, after: String): Conn! me: User }
             type Conn { nodes: [User!]! totalCount: Int! }
             type User { id: ID! tags: [String!]! }
             enum Role { A B C }",
        );
        let products = shape.field("Query", "products").unwrap();
        assert!(products.page && !products.list);
        assert_eq!(products.default_first, Some(20));
        assert_eq!(products.ty, "Conn");
        let nodes = shape.field("Conn", "nodes").unwrap();
        assert!(nodes.list && !nodes.page);
        assert!(shape.field("__Type", "fields").unwrap().list);
        // Query, Conn, User, Role, 8 introspection types and 5 built-in scalars.
        assert_eq!(shape.sizes.types, 4 + 8 + 5);
        assert!(shape.sizes.enum_values_max >= 19);
    }
}
