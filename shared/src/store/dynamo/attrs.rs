//! Attribute values: the constructors every request uses (`s`, `n`, `ts`, `status`) and the
//! one way to read an attribute back out of an item.
use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use crate::domain::{timestamp, Status};
use crate::store::dynamo::error::StoreError;

/// An item (or key) as the SDK holds it: attribute name to value.
pub type Item = HashMap<String, AttributeValue>;

/// A string attribute value.
pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A timestamp attribute value, in the one stored format.
pub(crate) fn ts(t: DateTime<Utc>) -> AttributeValue {
    AttributeValue::S(timestamp::format(&t))
}

/// A number attribute value.
pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A status attribute value.
pub(crate) fn status(st: Status) -> AttributeValue {
    s(st.as_str())
}

/// The string attribute `name` of `item`; `None` when absent or not a string.
pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

/// The number attribute `name` of `item` as a `T`; `None` when absent, not a number, or out
/// of `T`'s range.
pub(crate) fn get_n<T: FromStr>(item: &Item, name: &str) -> Option<T> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().ok(),
        _ => None,
    }
}

/// [`get_n`] for callers where a missing attribute means `absent` and anything else that
/// does not read as a `T` is [`StoreError::Corrupt`] (`what` names the item).
pub(crate) fn get_n_or<T: FromStr>(item: &Item, name: &str, absent: T, what: &str) -> Result<T, StoreError> {
    match item.get(name) {
        None => Ok(absent),
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| StoreError::Corrupt(format!("{what} holds {name} = {v}"))),
        Some(other) => Err(StoreError::Corrupt(format!("{what} holds {name} = {other:?}"))),
    }
}

/// [`get_s`], required: absent or not a string is [`StoreError::Corrupt`] (`what` names the
/// item).
pub(crate) fn require_s<'a>(item: &'a Item, name: &str, what: &str) -> Result<&'a str, StoreError> {
    get_s(item, name).ok_or_else(|| StoreError::Corrupt(format!("{what} without {name}")))
}
