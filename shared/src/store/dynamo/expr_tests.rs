//! Unit tests of [`super::Expr`]: the strings and placeholder maps it renders.
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::*;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
fn names(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
    Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}
fn values(pairs: &[(&str, AttributeValue)]) -> Option<HashMap<String, AttributeValue>> {
    Some(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

#[test]
fn an_update_with_a_condition_names_each_attribute_once() {
    let mut e = Expr::new();
    let active = e.eq("status", s("active"));
    let seen = e.eq("expires_at", s("2026"));
    e.condition(active.and(seen));
    e.set("status", s("expired"));
    let zero = e.if_not_exists("version", n(0));
    let one = e.value(n(1));
    e.set_expr("version", zero.plus(one));
    e.remove("active_pk");
    let r = e.render();
    assert_eq!(r.condition.as_deref(), Some("#n0 = :v0 AND #n1 = :v1"));
    assert_eq!(r.update.as_deref(), Some("SET #n0 = :v2, #n2 = if_not_exists(#n2, :v3) + :v4 REMOVE #n3"));
    assert_eq!(r.names, names(&[("#n0", "status"), ("#n1", "expires_at"), ("#n2", "version"), ("#n3", "active_pk")]));
    assert_eq!(
        r.values,
        values(&[(":v0", s("active")), (":v1", s("2026")), (":v2", s("expired")), (":v3", n(0)), (":v4", n(1))])
    );
    assert_eq!((r.key, r.filter), (None, None));
}

#[test]
fn a_query_renders_key_and_filter_and_add_clauses_render_too() {
    let mut e = Expr::new();
    let pk = e.eq("active_pk", s("active#0"));
    let range = e.between("expiry_key", s("a"), s("b"));
    e.key(pk.and(range));
    let unset = e.not_exists("reminded_days");
    let looser = e.gt("reminded_days", n(7));
    e.filter(unset.or(looser));
    let r = e.render();
    assert_eq!(r.key.as_deref(), Some("#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2"));
    assert_eq!(r.filter.as_deref(), Some("attribute_not_exists(#n2) OR #n2 > :v3"));
    assert_eq!(r.names.map(|n| n.len()), Some(3));

    let mut e = Expr::new();
    e.add("n", n(-1));
    assert_eq!(e.render().update.as_deref(), Some("ADD #n0 :v0"));
}

#[test]
fn or_is_bracketed_inside_and_and_not_wraps() {
    let mut e = Expr::new();
    let a = e.exists("id");
    let b = e.le("purge_at", n(5));
    let c = e.ne("status", s("revoked"));
    let d = e.size_lt("renewal_history", n(10));
    let either = a.or(b);
    let cond = Cond::all([c, either, d.not()]).unwrap();
    e.condition(cond);
    let x = e.is_in("version", [n(3), n(7)]);
    let y = e.lt("version", n(1));
    e.condition(Cond::any([x, y]).unwrap());
    assert_eq!(
        e.render().condition.as_deref(),
        Some(
            "#n2 <> :v1 AND (attribute_exists(#n0) OR #n1 <= :v0) AND NOT (size(#n3) < :v2) \
             AND (#n4 IN (:v3, :v4) OR #n4 < :v5)"
        )
    );
    assert_eq!(Cond::all([]), None);
}

#[test]
fn unused_placeholders_are_not_sent_and_empty_maps_are_none() {
    let mut e = Expr::new();
    let _dropped = e.eq("status", s("x"));
    for i in 0..11 {
        let _unused = e.value(n(i));
    }
    let ten = e.exists("a1");
    for i in 2..11 {
        let _unused = e.path(&format!("a{i}"));
    }
    let last = e.eq("a10", n(10));
    e.condition(ten.and(last));
    let r = e.render();
    // `#n1` must not be taken for a prefix of `#n10`.
    assert_eq!(r.condition.as_deref(), Some("attribute_exists(#n1) AND #n10 = :v12"));
    assert_eq!(r.names, names(&[("#n1", "a1"), ("#n10", "a10")]));
    assert_eq!(r.values, values(&[(":v12", n(10))]));

    let r = Expr::new().render();
    assert_eq!(r, Rendered::default());
}

#[test]
fn a_request_without_a_field_for_a_part_is_refused() {
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_dynamodb::config::Region::new("x"))
            .build(),
    );
    let mut e = Expr::new();
    e.set("status", s("active"));
    assert!(client.query().with_expr(&e).is_err(), "a query has no update expression");
    assert!(client.update_item().with_expr(&e).is_ok());
    let mut e = Expr::new();
    let c = e.exists("id");
    e.condition(c);
    let put = aws_sdk_dynamodb::types::Put::builder().with_expr(&e).unwrap();
    assert_eq!(put.get_condition_expression().as_deref(), Some("attribute_exists(#n0)"));
}
