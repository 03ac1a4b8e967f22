//! `status_reason` through [`plan`] and [`Transition::between`]: set by every suspension and
//! revocation, removed by every other status a write sets, left alone otherwise.
use super::*;
use crate::domain::clock::{Clock, FixedClock};
use crate::domain::{Certification, CertificationPatch, Status};

use super::tests::{AHEAD, NOW, PASSED};

/// [`super::tests::stored`] with a stored reason.
fn stored(status: Status, expires: &str, reason: Option<&str>) -> Certification {
    Certification { status_reason: reason.map(str::to_owned), ..super::tests::stored(status, expires) }
}

fn patch(status: Option<Status>, reason: Option<&str>, expires: Option<&str>) -> CertificationPatch {
    CertificationPatch {
        status,
        status_reason: reason.map(str::to_owned),
        expires_at: expires.map(|e| FixedClock::at(e).now()),
        ..Default::default()
    }
}

/// What a plan does to the stored reason: `None` leaves it, `Some(None)` removes it.
type ReasonChange = Result<Option<Option<String>>, DomainError>;
/// The stored status, `expires_at` and reason.
type Before<'a> = (Status, &'a str, Option<&'a str>);

fn reason_change(from: Before<'_>, p: &CertificationPatch) -> ReasonChange {
    let old = stored(from.0, from.1, from.2);
    let now = FixedClock::at(NOW).now();
    plan(Stored::Found(&old), Change::Update { id: "cert-a", patch: p, now }).map(|t| t.fields.status_reason)
}

#[test]
fn every_path_that_sets_a_status_sets_or_removes_the_reason() {
    use Status::*;
    let set = |r: &str| Ok(Some(Some(r.to_owned())));
    let removed = Ok(Some(None));
    let cases: Vec<(&str, Before<'_>, CertificationPatch, ReasonChange)> = vec![
        ("suspend with a reason", (Active, AHEAD, None), patch(Some(Suspended), Some("audit"), None), set("audit")),
        ("suspend without one", (Active, AHEAD, None), patch(Some(Suspended), None, None), removed.clone()),
        (
            "revoke a suspended: the new reason",
            (Suspended, AHEAD, Some("audit")),
            patch(Some(Revoked), Some("fraud"), None),
            set("fraud"),
        ),
        (
            "revoke without one drops the old",
            (Suspended, AHEAD, Some("audit")),
            patch(Some(Revoked), None, None),
            removed.clone(),
        ),
        ("suspend again: replaced", (Suspended, AHEAD, Some("a")), patch(Some(Suspended), Some("b"), None), set("b")),
        ("suspend past expiry", (Active, PASSED, None), patch(Some(Suspended), Some("late"), None), set("late")),
        ("reactivate", (Suspended, AHEAD, Some("audit")), patch(Some(Active), None, None), removed.clone()),
        (
            "reactivate with a renewal",
            (Suspended, PASSED, Some("audit")),
            patch(Some(Active), None, Some(AHEAD)),
            removed.clone(),
        ),
        ("a renewal reviving an expired", (Expired, PASSED, None), patch(None, None, Some(AHEAD)), removed.clone()),
        (
            "a renewal of a suspended keeps it",
            (Suspended, AHEAD, Some("audit")),
            patch(None, None, Some("2028-01-01T00:00:00Z")),
            Ok(None),
        ),
        (
            "a rename keeps it",
            (Suspended, AHEAD, Some("audit")),
            CertificationPatch { mentor_name: Some(Some("Ada".into())), ..Default::default() },
            Ok(None),
        ),
        (
            "a write that stores an overdue active expired",
            (Active, PASSED, None),
            CertificationPatch { cert_type: Some("x".into()), ..Default::default() },
            removed.clone(),
        ),
        (
            "revoked is final",
            (Revoked, AHEAD, Some("fraud")),
            patch(Some(Suspended), Some("x"), None),
            Err(DomainError::Revoked),
        ),
    ];
    for (case, from, p, expected) in cases {
        assert_eq!(reason_change(from, &p), expected, "{case}");
    }
}

#[test]
fn a_create_and_the_scan_never_store_a_reason() {
    let mut c = stored(Status::Active, AHEAD, None);
    assert_eq!(plan(Stored::Unread, Change::Create(&c)).unwrap().fields.status_reason, None);
    c.expires_at = FixedClock::at(PASSED).now();
    let now = FixedClock::at(NOW).now();
    let flip = plan(Stored::Found(&c), Change::Expire { now }).unwrap();
    assert_eq!(flip.fields.status_reason, None, "only `active` is flipped, and it has none");
}

#[test]
fn two_images_name_the_reason_that_changed() {
    let before = stored(Status::Active, AHEAD, None);
    let after = stored(Status::Suspended, AHEAD, Some("audit"));
    let t = Transition::between(Some(&before), Some(&after)).unwrap();
    assert_eq!((t.fields.status, t.fields.status_reason), (Some(Status::Suspended), Some(Some("audit".into()))));
    let back = Transition::between(Some(&after), Some(&before)).unwrap();
    assert_eq!(back.fields.status_reason, Some(None));
    assert_eq!(Transition::between(Some(&after), Some(&after)).unwrap().fields.status_reason, None);
}
