//! The one way a request gets its expressions. Key conditions, filters, write conditions and
//! update clauses are built through [`Expr`], which makes every placeholder: an attribute name
//! gets one `#nK` per request, every value a fresh `:vK`, and only the placeholders the final
//! expressions use are sent (`None` when there are none: DynamoDB rejects unused ones and
//! empty maps). No placeholder is ever typed by hand.
//!
//! ```ignore
//! let mut e = Expr::new();
//! let same = e.eq(attr::STATUS, status(Status::Active)).and(e.eq(attr::EXPIRES_AT, ts(seen)));
//! e.condition(same); // bind a Cond first: `e.condition(e.eq(..))` borrows `e` twice
//! e.set(attr::UPDATED_AT, ts(now));
//! e.remove(attr::ACTIVE_PK);
//! version::bump(&mut e);
//! client.update_item().table_name(t).key(attr::ID, s(id)).with_expr(&e)?.send().await
//! ```
//!
//! Hand-written and small because no well-kept crate fits aws-sdk-dynamodb 1.x: crates.io's one
//! candidate, `dynamodb-expression`, is a pre-release (0.2.0-beta.11, checked with `cargo info`).
use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::builders::{ConditionCheckBuilder, DeleteBuilder, PutBuilder, UpdateBuilder};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::store::dynamo::error::StoreError;

/// A condition (key condition, filter or write condition) whose placeholders came from one
/// [`Expr`]. `and` binds tighter than `or` (as in DynamoDB); `or` is bracketed inside `and`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Cond {
    text: String,
    or: bool,
}

impl Cond {
    fn atom(text: String) -> Self {
        Self { text, or: false }
    }
    fn bracketed(&self) -> String {
        if self.or {
            format!("({})", self.text)
        } else {
            self.text.clone()
        }
    }
    pub fn and(self, other: Cond) -> Cond {
        Cond::atom(format!("{} AND {}", self.bracketed(), other.bracketed()))
    }
    pub fn or(self, other: Cond) -> Cond {
        Cond { text: format!("{} OR {}", self.text, other.text), or: true }
    }

    // `not` on a condition, not `!` on a value; no request negates yet (the tests do).
    #[allow(clippy::should_implement_trait, dead_code)]
    pub fn not(self) -> Cond {
        Cond::atom(format!("NOT ({})", self.text))
    }

    /// Every condition, ANDed; `None` for none.
    pub fn all(conds: impl IntoIterator<Item = Cond>) -> Option<Cond> {
        conds.into_iter().reduce(Cond::and)
    }

    /// Any of the conditions, ORed; `None` for none.
    pub fn any(conds: impl IntoIterator<Item = Cond>) -> Option<Cond> {
        conds.into_iter().reduce(Cond::or)
    }
}

/// An operand of an update clause: a path, a value, or a function of them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Operand(String);

impl Operand {
    /// `self + other` (numbers).
    pub fn plus(self, other: Operand) -> Operand {
        Operand(format!("{} + {}", self.0, other.0))
    }
}

/// `attr <op> value` conditions, one method each.
macro_rules! comparisons {
    ($($name:ident $op:literal),*) => {$(
        #[doc = concat!("`attr ", $op, " v`.")]
        pub fn $name(&mut self, attr: &str, v: AttributeValue) -> Cond {
            self.compare(attr, $op, v)
        }
    )*};
}

/// The expressions of one request and their placeholders.
#[derive(Debug, Clone, Default)]
pub struct Expr {
    names: Vec<String>,
    values: Vec<AttributeValue>,
    key: Vec<Cond>,
    condition: Vec<Cond>,
    filter: Vec<Cond>,
    set: Vec<String>,
    add: Vec<String>,
    remove: Vec<String>,
}

impl Expr {
    pub fn new() -> Self {
        Self::default()
    }
    /// The name placeholder of `attr`: the same one each time within this request.
    pub fn path(&mut self, attr: &str) -> Operand {
        let i = self.names.iter().position(|n| n == attr).unwrap_or_else(|| {
            self.names.push(attr.to_owned());
            self.names.len() - 1
        });
        Operand(format!("#n{i}"))
    }
    /// A fresh value placeholder for `v`.
    pub fn value(&mut self, v: AttributeValue) -> Operand {
        self.values.push(v);
        Operand(format!(":v{}", self.values.len() - 1))
    }
    fn compare(&mut self, attr: &str, op: &str, v: AttributeValue) -> Cond {
        let (p, v) = (self.path(attr), self.value(v));
        Cond::atom(format!("{} {op} {}", p.0, v.0))
    }
    comparisons! { eq "=", ne "<>", lt "<", le "<=", gt ">", ge ">=" }
    pub fn between(&mut self, attr: &str, lo: AttributeValue, hi: AttributeValue) -> Cond {
        let (p, lo, hi) = (self.path(attr), self.value(lo), self.value(hi));
        Cond::atom(format!("{} BETWEEN {} AND {}", p.0, lo.0, hi.0))
    }
    pub fn exists(&mut self, attr: &str) -> Cond {
        Cond::atom(format!("attribute_exists({})", self.path(attr).0))
    }
    pub fn not_exists(&mut self, attr: &str) -> Cond {
        Cond::atom(format!("attribute_not_exists({})", self.path(attr).0))
    }
    /// `size(attr) < v`.
    pub fn size_lt(&mut self, attr: &str, v: AttributeValue) -> Cond {
        let (p, v) = (self.path(attr), self.value(v));
        Cond::atom(format!("size({}) < {}", p.0, v.0))
    }
    /// `attr IN (v, ...)`; DynamoDB needs at least one value (the caller's to ensure).
    pub fn is_in(&mut self, attr: &str, vs: impl IntoIterator<Item = AttributeValue>) -> Cond {
        let p = self.path(attr);
        let vs: Vec<String> = vs.into_iter().map(|v| self.value(v).0).collect();
        Cond::atom(format!("{} IN ({})", p.0, vs.join(", ")))
    }
    /// `if_not_exists(attr, default)`.
    pub fn if_not_exists(&mut self, attr: &str, default: AttributeValue) -> Operand {
        let (p, d) = (self.path(attr), self.value(default));
        Operand(format!("if_not_exists({}, {})", p.0, d.0))
    }
    /// `list_append(a, b)`.
    pub fn list_append(&mut self, a: Operand, b: Operand) -> Operand {
        Operand(format!("list_append({}, {})", a.0, b.0))
    }

    /// Adds `c` to the key condition, the write's condition or the filter (each ANDed).
    pub fn key(&mut self, c: Cond) {
        self.key.push(c);
    }
    pub fn condition(&mut self, c: Cond) {
        self.condition.push(c);
    }
    pub fn filter(&mut self, c: Cond) {
        self.filter.push(c);
    }

    /// `SET attr = v`.
    pub fn set(&mut self, attr: &str, v: AttributeValue) {
        let v = self.value(v);
        self.set_expr(attr, v);
    }
    /// `SET attr = <operand>`.
    pub fn set_expr(&mut self, attr: &str, to: Operand) {
        let p = self.path(attr);
        self.set.push(format!("{} = {}", p.0, to.0));
    }
    /// `ADD attr v` (numbers and sets).
    pub fn add(&mut self, attr: &str, v: AttributeValue) {
        let (p, v) = (self.path(attr), self.value(v));
        self.add.push(format!("{} {}", p.0, v.0));
    }
    /// `REMOVE attr`.
    pub fn remove(&mut self, attr: &str) {
        let p = self.path(attr);
        self.remove.push(p.0);
    }

    /// The expressions and the placeholders they use.
    pub fn render(&self) -> Rendered {
        let joined = |cs: &[Cond]| Cond::all(cs.iter().cloned()).map(|c| c.text);
        let mut update = Vec::new();
        for (verb, clauses) in [("SET", &self.set), ("ADD", &self.add), ("REMOVE", &self.remove)] {
            if !clauses.is_empty() {
                update.push(format!("{verb} {}", clauses.join(", ")));
            }
        }
        let mut r = Rendered {
            key: joined(&self.key),
            condition: joined(&self.condition),
            filter: joined(&self.filter),
            update: (!update.is_empty()).then(|| update.join(" ")),
            ..Rendered::default()
        };
        let used = r.placeholders();
        r.names = only_used("#n", &self.names, &used);
        r.values = only_used(":v", &self.values, &used);
        r
    }
}

/// The placeholders `<prefix><index>` of `items` that `used` names; `None` for none.
fn only_used<T: Clone>(prefix: &str, items: &[T], used: &BTreeSet<String>) -> Option<HashMap<String, T>> {
    let map: HashMap<_, _> = (items.iter().enumerate())
        .map(|(i, v)| (format!("{prefix}{i}"), v.clone()))
        .filter(|(k, _)| used.contains(k))
        .collect();
    (!map.is_empty()).then_some(map)
}

/// An [`Expr`] as the SDK takes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub key: Option<String>,
    pub condition: Option<String>,
    pub filter: Option<String>,
    pub update: Option<String>,
    pub names: Option<HashMap<String, String>>,
    pub values: Option<HashMap<String, AttributeValue>>,
}

impl Rendered {
    /// Every `#nK` and `:vK` token in the expressions.
    fn placeholders(&self) -> BTreeSet<String> {
        let texts = [&self.key, &self.condition, &self.filter, &self.update];
        let mut out = BTreeSet::new();
        for text in texts.into_iter().flatten() {
            let b = text.as_bytes();
            for (i, w) in b.windows(2).enumerate() {
                if matches!(w, b"#n" | b":v") {
                    let end = (i + 2..b.len()).find(|&j| !b[j].is_ascii_digit()).unwrap_or(b.len());
                    out.insert(text[i..end].to_owned());
                }
            }
        }
        out
    }

    /// An error naming what `target` cannot take (a bug: the request would silently lose it).
    fn leftover(&self, target: &str) -> Result<(), StoreError> {
        let parts = [("key condition", &self.key), ("condition", &self.condition), ("filter", &self.filter)];
        match parts.into_iter().chain([("update", &self.update)]).find(|(_, p)| p.is_some()) {
            Some((what, _)) => Err(StoreError::Internal(format!("{target} takes no {what} expression"))),
            None => Ok(()),
        }
    }
}

/// An SDK request or transaction part that takes expressions.
pub trait WithExpr: Sized {
    /// Sets the expressions and placeholders of `e`; an expression kind this request has no
    /// field for is [`StoreError::Internal`] rather than dropped.
    fn with_expr(self, e: &Expr) -> Result<Self, StoreError>;
}

macro_rules! with_expr {
    ($($ty:ty { $($part:ident => $setter:ident),+ })*) => {$(
        impl WithExpr for $ty {
            fn with_expr(self, e: &Expr) -> Result<Self, StoreError> {
                let mut r = e.render();
                let b = self
                    $(.$setter(r.$part.take()))+
                    .set_expression_attribute_names(r.names.take())
                    .set_expression_attribute_values(r.values.take());
                r.leftover(stringify!($ty)).map(|()| b)
            }
        }
    )*};
}

with_expr! {
    QueryFluentBuilder { key => set_key_condition_expression, filter => set_filter_expression }
    UpdateItemFluentBuilder { update => set_update_expression, condition => set_condition_expression }
    UpdateBuilder { update => set_update_expression, condition => set_condition_expression }
    PutBuilder { condition => set_condition_expression }
    DeleteBuilder { condition => set_condition_expression }
    ConditionCheckBuilder { condition => set_condition_expression }
}

#[cfg(test)]
#[path = "expr_tests.rs"]
mod tests;
