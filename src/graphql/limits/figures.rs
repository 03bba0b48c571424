//! The figures of a document, computed without expanding it: each fragment is walked once per place it
//! is spread at (its type, or its introspection position), and its figures are reused at every spread.
//! A kilobyte of fragments that spread each other twice stands for billions of fields; here it costs
//! one pass over the kilobyte.

use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, Field, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Positioned, Value, Variables};
/// A value as written in the document (it may be a variable).
use async_graphql_value::Value as Written;

use super::shape::{FieldShape, IntrospectionSizes, SchemaShape};

/// The most a list other than a page may hold (an order's lines: 1 to 100), and the largest page.
pub const MAX_LIST: u64 = 100;
/// A page's size when `first` is not given and the schema gives no default.
const DEFAULT_PAGE: u64 = 20;
/// Fragments spread inside one another at most this deep (beyond, validating them would recurse deeper
/// than a worker's stack should).
pub const MAX_SPREAD_NESTING: u32 = 32;
/// Fields that hash a password (bcrypt: tens of milliseconds each, by design).
const PASSWORD_FIELDS: [&str; 6] = [
    "login",
    "adminLogin",
    "register",
    "registerVendor",
    "createStaff",
    "changePassword",
];

/// What a selection set asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Values the answer may hold, outside introspection, when the enclosing page holds one element;
    /// `cost + per_page * page` is the cost (see `Linear`).
    pub cost: Linear,
    /// The same for introspection (answered from memory, bounded on its own).
    pub introspection: u64,
    /// Selections once fragments are expanded: the work validating it takes.
    pub selections: u64,
    /// Deepest nesting of fields, introspection aside.
    pub depth: u32,
    /// Deepest nesting of fragment spreads.
    pub spreads: u32,
    /// Password-hashing fields of the mutation root.
    pub password_fields: u64,
}

/// A cost that depends on the size of the page it is spread in: `fixed + per_page * page`. A fragment on
/// a connection type is walked once and priced for any page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Linear {
    pub fixed: u64,
    pub per_page: u64,
}

impl Linear {
    pub fn at(self, page: u64) -> u64 {
        self.fixed
            .saturating_add(self.per_page.saturating_mul(page))
    }
}

impl Figures {
    fn add(&mut self, other: Figures) {
        self.cost.fixed = self.cost.fixed.saturating_add(other.cost.fixed);
        self.cost.per_page = self.cost.per_page.saturating_add(other.cost.per_page);
        self.introspection = self.introspection.saturating_add(other.introspection);
        self.selections = self.selections.saturating_add(other.selections);
        self.depth = self.depth.max(other.depth);
        self.spreads = self.spreads.max(other.spreads);
        self.password_fields = self.password_fields.saturating_add(other.password_fields);
    }
}

/// Where in the answer a selection set stands, as far as its size is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Place<'a> {
    /// An object of this type (the page it is in is a parameter of the figures, see `Linear`).
    Object(&'a str),
    /// Inside introspection.
    Introspection(Intro),
}

/// Positions inside introspection. `All…` positions stand for the complete set (every type, every field
/// of every type): a tree walk over the schema returns each element once. The others stand for one
/// element reached by following a reference (`type`, `ofType`), which may list all of its members again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Intro {
    Schema,
    AllTypes,
    AllFields,
    AllFieldArgs,
    AllInputFields,
    AllEnumValues,
    AllDirectives,
    AllDirectiveArgs,
    Type,
    Field,
    InputValue,
    EnumValue,
    Directive,
}

impl Intro {
    /// How many elements the position stands for.
    fn count(self, sizes: &IntrospectionSizes) -> u64 {
        match self {
            Self::AllTypes => sizes.types,
            Self::AllFields => sizes.fields_total,
            Self::AllFieldArgs => sizes.field_args_total,
            Self::AllInputFields => sizes.input_fields_total,
            Self::AllEnumValues => sizes.enum_values_total,
            Self::AllDirectives => sizes.directives,
            Self::AllDirectiveArgs => sizes.directive_args_total,
            _ => 1,
        }
    }

    /// The position a field leads to and how many elements it stands for per element of this one
    /// (`None`: a leaf).
    fn child(self, field: &str, sizes: &IntrospectionSizes) -> Option<(u64, Intro)> {
        use Intro::*;
        let count = self.count(sizes);
        Some(match (self, field) {
            (Schema, "types") => (1, AllTypes),
            (Schema, "directives") => (1, AllDirectives),
            (Schema, "queryType" | "mutationType" | "subscriptionType") => (1, Type),
            (AllTypes, "fields") => (1, AllFields),
            (AllTypes, "inputFields") => (1, AllInputFields),
            (AllTypes, "enumValues") => (1, AllEnumValues),
            (AllTypes, "interfaces" | "possibleTypes") => (sizes.type_refs_total, Type),
            (AllTypes, "ofType") => (count, Type),
            (AllFields, "args") => (1, AllFieldArgs),
            (AllDirectives, "args") => (1, AllDirectiveArgs),
            (AllFields | AllFieldArgs | AllInputFields | AllDirectiveArgs, "type") => (count, Type),
            (Type, "fields") => (sizes.fields_max, Field),
            (Type, "inputFields") => (sizes.input_fields_max, InputValue),
            (Type, "enumValues") => (sizes.enum_values_max, EnumValue),
            (Type, "interfaces" | "possibleTypes") => (sizes.type_refs_max, Type),
            (Type, "ofType") | (Field | InputValue, "type") => (1, Type),
            (Field, "args") => (sizes.field_args_max, InputValue),
            (Directive, "args") => (sizes.directive_args_max, InputValue),
            _ => return None,
        })
    }

    /// The position a fragment on `ty` spread here takes (the same, when its type is this one's).
    fn on_type(self, ty: &str) -> Intro {
        use Intro::*;
        match (self, ty) {
            (AllTypes | Type, "__Type")
            | (AllFields | Field, "__Field")
            | (AllFieldArgs | AllInputFields | AllDirectiveArgs | InputValue, "__InputValue")
            | (AllEnumValues | EnumValue, "__EnumValue")
            | (AllDirectives | Directive, "__Directive")
            | (Schema, "__Schema") => self,
            (_, "__Schema") => Schema,
            (_, "__Field") => Field,
            (_, "__InputValue") => InputValue,
            (_, "__EnumValue") => EnumValue,
            (_, "__Directive") => Directive,
            _ => Type,
        }
    }
}

/// Why a document's figures could not be made.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A fragment spreads itself, directly or through others (a validation error).
    Cycle(String),
    /// Fragments spread inside one another deeper than `MAX_SPREAD_NESTING`.
    SpreadsTooDeep,
}

/// Walks one document, remembering each fragment's figures per place.
pub struct Walk<'a> {
    shape: &'a SchemaShape,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Defaults of the document's variables, from every operation that declares them.
    defaults: HashMap<&'a str, &'a Value>,
    known: HashMap<(&'a str, Place<'a>), Figures>,
    /// Fragments being walked now, innermost last.
    open: Vec<&'a str>,
}

impl<'a> Walk<'a> {
    pub fn new(
        shape: &'a SchemaShape,
        document: &'a ExecutableDocument,
        variables: &'a Variables,
    ) -> Self {
        let mut defaults = HashMap::new();
        for (_, operation) in document.operations.iter() {
            for variable in &operation.node.variable_definitions {
                if let Some(value) = &variable.node.default_value {
                    defaults.insert(variable.node.name.node.as_str(), &value.node);
                }
            }
        }
        Self {
            shape,
            document,
            variables,
            defaults,
            known: HashMap::new(),
            open: Vec::new(),
        }
    }

    /// The figures of an operation whose root is `root` (a query, mutation or subscription type).
    pub fn operation(
        &mut self,
        root: &'a str,
        selection_set: &'a Positioned<SelectionSet>,
    ) -> Result<Figures, Refusal> {
        self.selection_set(Place::Object(root), selection_set)
    }

    /// The figures of a fragment definition standing alone (validation walks each once by itself).
    pub fn fragment(&mut self, name: &'a str) -> Result<Figures, Refusal> {
        let Some(fragment) = self.document.fragments.get(name) else {
            return Ok(Figures::default());
        };
        let on = fragment.node.type_condition.node.on.node.as_str();
        let place = if on.starts_with("__") {
            Place::Introspection(Intro::Type.on_type(on))
        } else {
            Place::Object(on)
        };
        self.spread(name, &fragment.node, place)
    }

    fn selection_set(
        &mut self,
        place: Place<'a>,
        selection_set: &'a Positioned<SelectionSet>,
    ) -> Result<Figures, Refusal> {
        let mut figures = Figures::default();
        for selection in &selection_set.node.items {
            figures.selections = figures.selections.saturating_add(1);
            let item = match &selection.node {
                Selection::Field(field) => self.field(place, &field.node)?,
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    let place = match &inline.type_condition {
                        Some(condition) => retype(place, condition.node.on.node.as_str()),
                        None => place,
                    };
                    self.selection_set(place, &inline.selection_set)?
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue; // unknown: validation says so
                    };
                    let on = fragment.node.type_condition.node.on.node.as_str();
                    self.spread(name, &fragment.node, retype(place, on))?
                }
            };
            figures.add(item);
        }
        Ok(figures)
    }

    fn spread(
        &mut self,
        name: &'a str,
        fragment: &'a FragmentDefinition,
        place: Place<'a>,
    ) -> Result<Figures, Refusal> {
        if let Some(known) = self.known.get(&(name, place)) {
            return Ok(*known);
        }
        if self.open.contains(&name) {
            return Err(Refusal::Cycle(name.to_owned()));
        }
        if self.open.len() as u32 >= MAX_SPREAD_NESTING {
            return Err(Refusal::SpreadsTooDeep);
        }
        self.open.push(name);
        let walked = self.selection_set(place, &fragment.selection_set);
        self.open.pop();
        let mut figures = walked?;
        figures.spreads += 1;
        if figures.spreads > MAX_SPREAD_NESTING {
            return Err(Refusal::SpreadsTooDeep);
        }
        self.known.insert((name, place), figures);
        Ok(figures)
    }

    fn field(&mut self, place: Place<'a>, field: &'a Field) -> Result<Figures, Refusal> {
        let name = field.name.node.as_str();
        match place {
            Place::Introspection(intro) => self.introspection_field(intro, field),
            Place::Object(_) if name == "__schema" || name == "__type" => {
                let start = if name == "__schema" {
                    Intro::Schema
                } else {
                    Intro::Type
                };
                let children =
                    self.selection_set(Place::Introspection(start), &field.selection_set)?;
                Ok(Figures {
                    introspection: children.introspection.saturating_add(1),
                    selections: children.selections,
                    depth: 1,
                    spreads: children.spreads,
                    ..Figures::default()
                })
            }
            Place::Object(ty) => {
                let schema: &'a SchemaShape = self.shape;
                let shape = schema.field(ty, name);
                // A long alias is repeated in the answer for every element of the lists around it.
                let key = field.response_key().node.len() as u64 / 32;
                let mut figures = Figures {
                    cost: Linear {
                        fixed: shape.map_or(1, |shape| shape.weight) + key,
                        per_page: 0,
                    },
                    ..Figures::default()
                };
                if ty == self.shape.mutation && PASSWORD_FIELDS.contains(&name) {
                    figures.password_fields = 1;
                }
                let child_ty = shape.map_or("", |shape| shape.ty.as_str());
                let children = self.selection_set(Place::Object(child_ty), &field.selection_set)?;
                // A page's lists hold `first` (or `last`) elements; other lists the most a list may.
                let page = match shape {
                    Some(shape) if shape.page => self.page_size(field, shape.default_first),
                    _ => MAX_LIST,
                };
                let children_cost = children.cost.at(page);
                match shape {
                    // A short list holds at most its own bound, whatever page it is in.
                    Some(FieldShape {
                        list: true,
                        most: Some(most),
                        ..
                    }) => {
                        figures.cost.fixed = figures
                            .cost
                            .fixed
                            .saturating_add(children_cost.max(1).saturating_mul(*most));
                    }
                    Some(shape) if shape.list => figures.cost.per_page = children_cost.max(1),
                    _ => figures.cost.fixed = figures.cost.fixed.saturating_add(children_cost),
                }
                figures.introspection = children.introspection;
                figures.selections = children.selections;
                figures.depth = children.depth + 1;
                figures.spreads = children.spreads;
                figures.password_fields += children.password_fields;
                Ok(figures)
            }
        }
    }

    /// A field of an introspection object at `intro`.
    fn introspection_field(&mut self, intro: Intro, field: &'a Field) -> Result<Figures, Refusal> {
        let schema: &'a SchemaShape = self.shape;
        let sizes = &schema.sizes;
        let count = intro.count(sizes);
        let name = field.name.node.as_str();
        let mut figures = Figures {
            introspection: count,
            ..Figures::default()
        };
        let child = intro.child(name, sizes);
        if let Some((times, child)) = child {
            let children = self.selection_set(Place::Introspection(child), &field.selection_set)?;
            figures.introspection = figures
                .introspection
                .saturating_add(times.saturating_mul(children.introspection));
            figures.selections = children.selections;
            figures.spreads = children.spreads;
        } else if name == "locations" {
            figures.introspection = count.saturating_mul(sizes.locations_max);
        }
        Ok(figures)
    }

    /// The page a field asks for: its `first` or `last` (literal, variable, variable default or the
    /// schema's default), within 1 to `MAX_LIST`.
    fn page_size(&self, field: &Field, default_first: Option<u64>) -> u64 {
        let mut asked = None;
        for (name, value) in &field.arguments {
            if !matches!(name.node.as_str(), "first" | "last") {
                continue;
            }
            let number = match &value.node {
                Written::Variable(variable) => self
                    .variables
                    .get(variable)
                    .and_then(|value| match value {
                        Value::Number(n) => n.as_u64(),
                        _ => None,
                    })
                    .or_else(|| match self.defaults.get(variable.as_str()) {
                        Some(Value::Number(n)) => n.as_u64(),
                        _ => None,
                    }),
                Written::Number(n) => n.as_u64(),
                _ => None,
            };
            // A value that is no page size (negative, a string) fails in the resolver; price the most.
            let number = number.unwrap_or(MAX_LIST);
            asked = Some(asked.map_or(number, |before: u64| before.max(number)));
        }
        asked
            .or(default_first)
            .unwrap_or(DEFAULT_PAGE)
            .clamp(1, MAX_LIST)
    }
}

/// The place a fragment with type condition `on` takes when spread at `place`.
fn retype<'a>(place: Place<'a>, on: &'a str) -> Place<'a> {
    match place {
        Place::Introspection(intro) => Place::Introspection(intro.on_type(on)),
        Place::Object(_) if on.starts_with("__") => Place::Introspection(Intro::Type.on_type(on)),
        Place::Object(_) => Place::Object(on),
    }
}
