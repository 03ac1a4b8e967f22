//! Record versions: every write adds one to `version`, the `ETag` is derived from it, and an
//! `If-Match` becomes part of the write's own condition (never read-then-write), so of two
//! writers holding the same tag exactly one succeeds.
use crate::store::dynamo::attrs::n;
use crate::store::dynamo::error::StoreError;
use crate::store::dynamo::expr::{Cond, Expr};
use crate::store::schema::table::attr;

/// What an `If-Match` header asks of the stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current version (the record must exist).
    Any,
    /// One of these versions. Tags that are not ours (or weak) never match, so they are
    /// dropped; an empty list matches nothing.
    Versions(Vec<u64>),
}

impl IfMatch {
    /// Whether a record at `version` satisfies this `If-Match`.
    pub fn matches(&self, version: u64) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Versions(vs) => vs.contains(&version),
        }
    }
}

/// A record just read (strongly consistent) against `if_match`: a tag naming none of its
/// version is [`StoreError::PreconditionFailed`]. The write that follows is conditional on
/// what was read, so the answer holds at the write.
pub(crate) fn precondition(if_match: Option<&IfMatch>, id: &str, version: u64) -> Result<(), StoreError> {
    match if_match {
        Some(m) if !m.matches(version) => Err(StoreError::PreconditionFailed(id.to_owned())),
        _ => Ok(()),
    }
}

/// The condition that the stored version is exactly `seen` (version 0: an item without the
/// attribute).
pub(crate) fn is_exactly(e: &mut Expr, seen: u64) -> Cond {
    match seen {
        0 => e.not_exists(attr::VERSION),
        v => e.eq(attr::VERSION, n(v)),
    }
}

/// Adds the SET clause that adds one to `version` (an item written before versions existed
/// counts from 0).
pub(crate) fn bump(e: &mut Expr) {
    let from = e.if_not_exists(attr::VERSION, n(0));
    let one = e.value(n(1));
    e.set_expr(attr::VERSION, from.plus(one));
}

/// The condition that the stored version is one `m` names (`None` for `*`, whose only
/// requirement, existence, every write already checks). Version 0 is an item without the
/// attribute.
pub(crate) fn matches(e: &mut Expr, m: &IfMatch) -> Option<Cond> {
    let IfMatch::Versions(versions) = m else { return None };
    let mut alternatives = Vec::new();
    if versions.contains(&0) {
        alternatives.push(e.not_exists(attr::VERSION));
    }
    let listed: Vec<_> = versions.iter().filter(|v| **v > 0).map(n).collect();
    if !listed.is_empty() {
        alternatives.push(e.is_in(attr::VERSION, listed));
    }
    // No tag of ours: a version that never exists.
    Cond::any(alternatives).or_else(|| Some(e.eq(attr::VERSION, n(-1))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(f: impl FnOnce(&mut Expr) -> Option<Cond>) -> Option<(String, usize, usize)> {
        let mut e = Expr::new();
        let c = f(&mut e)?;
        e.condition(c);
        let r = e.render();
        Some((r.condition?, r.names.map_or(0, |m| m.len()), r.values.map_or(0, |m| m.len())))
    }

    #[test]
    fn conditions_name_exactly_the_listed_versions() {
        assert_eq!(rendered(|e| matches(e, &IfMatch::Any)), None);
        let mut e = Expr::new();
        let c = matches(&mut e, &IfMatch::Versions(vec![3, 7])).unwrap();
        e.condition(c);
        let r = e.render();
        assert_eq!(r.condition.as_deref(), Some("#n0 IN (:v0, :v1)"));
        assert_eq!(r.names, Some([("#n0".to_string(), attr::VERSION.to_string())].into()));
        assert_eq!(r.values, Some([(":v0".to_string(), n(3)), (":v1".to_string(), n(7))].into()));
        let zero = rendered(|e| matches(e, &IfMatch::Versions(vec![0])));
        assert_eq!(zero, Some(("attribute_not_exists(#n0)".to_string(), 1, 0)));
        let both = rendered(|e| matches(e, &IfMatch::Versions(vec![0, 2])));
        assert_eq!(both, Some(("attribute_not_exists(#n0) OR #n0 IN (:v0)".to_string(), 1, 1)));
        let mut e = Expr::new();
        let c = matches(&mut e, &IfMatch::Versions(vec![])).unwrap();
        e.condition(c);
        let r = e.render();
        assert_eq!(r.condition.as_deref(), Some("#n0 = :v0"));
        assert_eq!(r.values, Some([(":v0".to_string(), n(-1))].into()));
        assert!(IfMatch::Any.matches(9) && !IfMatch::Versions(vec![1]).matches(2));
    }

    #[test]
    fn exactly_one_version_and_the_precondition_on_a_read_record() {
        assert_eq!(rendered(|e| Some(is_exactly(e, 0))), Some(("attribute_not_exists(#n0)".to_string(), 1, 0)));
        let mut e = Expr::new();
        let c = is_exactly(&mut e, 4);
        e.condition(c);
        let r = e.render();
        assert_eq!(r.condition.as_deref(), Some("#n0 = :v0"));
        assert_eq!(r.values, Some([(":v0".to_string(), n(4))].into()));
        assert!(precondition(None, "cert-a", 3).is_ok());
        assert!(precondition(Some(&IfMatch::Any), "cert-a", 3).is_ok());
        assert!(precondition(Some(&IfMatch::Versions(vec![2, 3])), "cert-a", 3).is_ok());
        let stale = precondition(Some(&IfMatch::Versions(vec![2])), "cert-a", 3);
        assert!(matches!(stale, Err(StoreError::PreconditionFailed(id)) if id == "cert-a"));
    }

    #[test]
    fn the_bump_counts_from_zero() {
        let mut e = Expr::new();
        bump(&mut e);
        let r = e.render();
        assert_eq!(r.update.as_deref(), Some("SET #n0 = if_not_exists(#n0, :v0) + :v1"));
        assert_eq!(r.values, Some([(":v0".to_string(), n(0)), (":v1".to_string(), n(1))].into()));
    }
}
