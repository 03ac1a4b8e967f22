//! Record versions: every write adds one to `version`, the `ETag` is derived from it, and an
//! `If-Match` becomes part of the write's own condition (never read-then-write), so of two
//! writers holding the same tag exactly one succeeds.
use aws_sdk_dynamodb::types::AttributeValue;

use super::error::StoreError;
use super::item::n;
use super::table::attr;

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
/// attribute), and the value it needs under the placeholder `:<key>`.
pub(crate) fn is_exactly(seen: u64, key: &str) -> (String, Option<(String, AttributeValue)>) {
    match seen {
        0 => (format!("attribute_not_exists({VERSION_NAME})"), None),
        v => (format!("{VERSION_NAME} = :{key}"), Some((format!(":{key}"), n(v)))),
    }
}

/// The placeholder every version expression uses for the attribute.
pub(crate) const VERSION_NAME: &str = "#ver";

/// The SET clause that adds one to `version` (an item written before versions existed
/// counts from 0), and its placeholders.
pub(crate) fn bump() -> (&'static str, [(&'static str, AttributeValue); 2]) {
    ("#ver = if_not_exists(#ver, :ver_zero) + :ver_one", [(":ver_zero", n(0)), (":ver_one", n(1))])
}

/// The condition that the stored version is one `m` names, and its value placeholders
/// (`None` for `*`, whose only requirement, existence, every write already checks). Version
/// 0 is an item without the attribute.
pub(crate) fn condition(m: &IfMatch) -> Option<(String, Vec<(String, AttributeValue)>)> {
    let IfMatch::Versions(versions) = m else { return None };
    let mut alternatives = Vec::new();
    let mut values = Vec::new();
    if versions.contains(&0) {
        alternatives.push(format!("attribute_not_exists({VERSION_NAME})"));
    }
    let listed: Vec<String> = versions
        .iter()
        .filter(|v| **v > 0)
        .enumerate()
        .map(|(i, v)| {
            let key = format!(":im{i}");
            values.push((key.clone(), n(v)));
            key
        })
        .collect();
    if !listed.is_empty() {
        alternatives.push(format!("{VERSION_NAME} IN ({})", listed.join(", ")));
    }
    if alternatives.is_empty() {
        // No tag of ours: a version that never exists.
        values.push((":im_none".into(), n(-1)));
        alternatives.push(format!("{VERSION_NAME} = :im_none"));
    }
    Some((format!("({})", alternatives.join(" OR ")), values))
}

/// The attribute name behind [`VERSION_NAME`].
pub(crate) fn name() -> (&'static str, &'static str) {
    (VERSION_NAME, attr::VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_name_exactly_the_listed_versions() {
        assert_eq!(condition(&IfMatch::Any), None);
        let (c, v) = condition(&IfMatch::Versions(vec![3, 7])).unwrap();
        assert_eq!(c, "(#ver IN (:im0, :im1))");
        assert_eq!(v, vec![(":im0".to_string(), n(3)), (":im1".to_string(), n(7))]);
        let (c, _) = condition(&IfMatch::Versions(vec![0])).unwrap();
        assert_eq!(c, "(attribute_not_exists(#ver))");
        let (c, v) = condition(&IfMatch::Versions(vec![])).unwrap();
        assert_eq!(c, "(#ver = :im_none)");
        assert_eq!(v.len(), 1);
        assert!(IfMatch::Any.matches(9) && !IfMatch::Versions(vec![1]).matches(2));
    }

    #[test]
    fn exactly_one_version_and_the_precondition_on_a_read_record() {
        assert_eq!(is_exactly(0, "seen"), ("attribute_not_exists(#ver)".to_string(), None));
        assert_eq!(is_exactly(4, "seen"), ("#ver = :seen".to_string(), Some((":seen".to_string(), n(4)))));
        assert!(precondition(None, "cert-a", 3).is_ok());
        assert!(precondition(Some(&IfMatch::Any), "cert-a", 3).is_ok());
        assert!(precondition(Some(&IfMatch::Versions(vec![2, 3])), "cert-a", 3).is_ok());
        let stale = precondition(Some(&IfMatch::Versions(vec![2])), "cert-a", 3);
        assert!(matches!(stale, Err(StoreError::PreconditionFailed(id)) if id == "cert-a"));
    }
}
