//! Every rule of [`plan`] and every stored × requested status pair, without a database.
use super::*;
use crate::domain::clock::{Clock, FixedClock};
use crate::domain::MAX_RENEWAL_HISTORY;
use crate::domain::{Certification, CertificationPatch, RenewalEntry, Status};
use chrono::{DateTime, Utc};

pub(super) const NOW: &str = "2026-03-26T10:00:00Z";

pub(super) fn t(s: &str) -> DateTime<Utc> {
    FixedClock::at(s).now()
}

/// A record of `mentor-1`, type `peer`, issued 2025-01-01, expiring at `expires`.
pub(super) fn stored(status: Status, expires: &str) -> Certification {
    Certification {
        id: "cert-a".into(),
        mentor_id: "mentor-1".into(),
        mentor_name: None,
        cert_type: "peer".into(),
        status,
        status_reason: None,
        issued_at: t("2025-01-01T00:00:00Z"),
        expires_at: t(expires),
        renewal_count: 0,
        renewal_history: Vec::new(),
        created_at: t("2025-01-01T00:00:00Z"),
        updated_at: t("2025-01-01T00:00:00Z"),
        version: 7,
    }
}

pub(super) fn standing(status: Status, cert_type: &str) -> Standing {
    Standing { mentor_id: "mentor-1".into(), cert_type: cert_type.into(), status }
}

pub(super) fn put(patch: &CertificationPatch) -> Change<'_> {
    Change::Update { id: "cert-a", patch, now: t(NOW) }
}

fn with_status(status: Option<Status>) -> CertificationPatch {
    CertificationPatch { status, ..Default::default() }
}

pub(super) const AHEAD: &str = "2027-01-01T00:00:00Z";
pub(super) const PASSED: &str = "2026-03-01T00:00:00Z";

#[test]
fn every_stored_and_requested_status_pair() {
    use Status::*;
    // (stored status, its expires_at, the status asked for, the stored status after or the rule broken)
    type Case = (Status, &'static str, Option<Status>, Result<Status, DomainError>);
    let cases: Vec<Case> = vec![
        (Active, AHEAD, None, Ok(Active)),
        (Active, AHEAD, Some(Active), Ok(Active)),
        (Active, AHEAD, Some(Suspended), Ok(Suspended)),
        (Active, AHEAD, Some(Revoked), Ok(Revoked)),
        (Active, PASSED, None, Ok(Expired)),
        (Active, PASSED, Some(Active), Err(DomainError::PastExpiry)),
        (Active, PASSED, Some(Suspended), Ok(Suspended)),
        (Suspended, AHEAD, None, Ok(Suspended)),
        (Suspended, AHEAD, Some(Active), Ok(Active)),
        (Suspended, AHEAD, Some(Suspended), Ok(Suspended)),
        (Suspended, AHEAD, Some(Revoked), Ok(Revoked)),
        (Suspended, PASSED, Some(Active), Err(DomainError::PastExpiry)),
        (Expired, PASSED, None, Ok(Expired)),
        (Expired, PASSED, Some(Active), Err(DomainError::PastExpiry)),
        (Expired, PASSED, Some(Suspended), Ok(Suspended)),
        (Expired, PASSED, Some(Revoked), Ok(Revoked)),
        (Revoked, AHEAD, None, Err(DomainError::Revoked)),
        (Revoked, AHEAD, Some(Active), Err(DomainError::Revoked)),
        (Revoked, AHEAD, Some(Suspended), Err(DomainError::Revoked)),
        (Revoked, AHEAD, Some(Revoked), Err(DomainError::Revoked)),
    ];
    for (from, expires, requested, expected) in cases {
        let old = stored(from, expires);
        let patch = with_status(requested);
        let got = plan(Stored::Found(&old), put(&patch));
        let case = format!("{from:?} ({expires}) ← {requested:?}");
        match (got, expected) {
            (Ok(tr), Ok(to)) => {
                let flipped = requested.is_none() && to != from;
                assert_eq!(tr.fields.status, if flipped { Some(to) } else { requested }, "{case}");
                let moved = (from != to).then_some((Some(from), Some(to)));
                assert_eq!(tr.status_change(), moved, "{case}");
                // The counts move from exactly what was read, and the write holds only while
                // it still is.
                assert!(tr.guards.contains(&Guard::StatusIs(from)), "{case}");
                assert!(tr.guards.contains(&Guard::TypeIs("peer".into())), "{case}");
                let tally =
                    if from == to { vec![] } else { vec![(standing(from, "peer"), -1), (standing(to, "peer"), 1)] };
                assert_eq!(tr.tally(), tally, "{case}");
                assert_eq!(tr.renewal, None, "{case}");
            }
            (got, expected) => assert_eq!(got.map(|_| ()), expected.map(|_| ()), "{case}"),
        }
    }
}

#[test]
fn a_status_or_type_change_needs_the_stored_record_and_a_missing_one_is_not_found() {
    for patch in
        [with_status(Some(Status::Suspended)), CertificationPatch { cert_type: Some("x".into()), ..Default::default() }]
    {
        assert_eq!(plan(Stored::Unread, put(&patch)), Err(DomainError::ReadFirst));
        assert_eq!(plan(Stored::Absent, put(&patch)), Err(DomainError::NotFound));
    }
    assert_eq!(plan(Stored::Unread, Change::Delete), Err(DomainError::ReadFirst));
    assert_eq!(plan(Stored::Absent, Change::Delete), Err(DomainError::NotFound));
}

#[test]
fn setting_active_with_a_past_expires_at_is_refused_before_anything_is_read() {
    let patch = CertificationPatch { status: Some(Status::Active), expires_at: Some(t(PASSED)), ..Default::default() };
    assert_eq!(plan(Stored::Unread, put(&patch)), Err(DomainError::PastExpiry));
    // The instant itself has passed too.
    let patch = CertificationPatch { status: Some(Status::Active), expires_at: Some(t(NOW)), ..Default::default() };
    assert_eq!(plan(Stored::Unread, put(&patch)), Err(DomainError::PastExpiry));
}

#[test]
fn reactivation_is_guarded_on_expires_at_still_ahead() {
    let old = stored(Status::Suspended, AHEAD);
    let tr = plan(Stored::Found(&old), put(&with_status(Some(Status::Active)))).unwrap();
    assert!(tr.guards.contains(&Guard::ExpiresAfter(t(NOW))));
}

#[test]
fn a_later_expires_at_is_a_renewal_and_any_other_a_plain_update() {
    let old = stored(Status::Active, AHEAD);
    let later = CertificationPatch { expires_at: Some(t("2028-01-01T00:00:00Z")), ..Default::default() };
    let tr = plan(Stored::Found(&old), put(&later)).unwrap();
    let r = tr.renewal.clone().expect("a renewal");
    assert_eq!(r.previous, Some(t(AHEAD)));
    assert_eq!(r.entry, RenewalEntry { renewed_at: t(NOW), expires_at: t("2028-01-01T00:00:00Z") });
    assert_eq!(r.history, History::Append);
    assert!(tr.guards.contains(&Guard::ExpiresBefore(t("2028-01-01T00:00:00Z"))));
    assert!(tr.guards.contains(&Guard::HistoryHasRoom));
    assert!(tr.guards.contains(&Guard::IssuedBefore(t("2028-01-01T00:00:00Z"))));
    assert_eq!(tr.moves, Moves::Unchanged);

    for same_or_earlier in [AHEAD, "2026-12-01T00:00:00Z"] {
        let patch = CertificationPatch { expires_at: Some(t(same_or_earlier)), ..Default::default() };
        let tr = plan(Stored::Found(&old), put(&patch)).unwrap();
        assert_eq!(tr.renewal, None, "{same_or_earlier}");
        assert!(tr.guards.contains(&Guard::ExpiresNotBefore(t(same_or_earlier))));
        assert_eq!(tr.fields.expires_at, Some(t(same_or_earlier)));
    }
}

#[test]
fn unread_a_put_with_expires_at_reads_the_stored_record_first() {
    // The expiry counts of a stored `active` move from its stored `expires_at`: unknown unread.
    let later = CertificationPatch { expires_at: Some(t("2028-01-01T00:00:00Z")), ..Default::default() };
    assert_eq!(plan(Stored::Unread, put(&later)), Err(DomainError::ReadFirst));
}

#[test]
fn renewing_an_expired_record_makes_it_active_and_moves_its_counts() {
    let old = stored(Status::Expired, PASSED);
    let later = CertificationPatch { expires_at: Some(t("2028-01-01T00:00:00Z")), ..Default::default() };
    let tr = plan(Stored::Found(&old), put(&later)).unwrap();
    assert_eq!(tr.fields.status, Some(Status::Active));
    assert!(tr.guards.contains(&Guard::StatusIs(Status::Expired)));
    assert_eq!(tr.tally(), vec![(standing(Status::Expired, "peer"), -1), (standing(Status::Active, "peer"), 1)]);
    // A renewal with an explicit status keeps that status.
    let suspended = CertificationPatch { status: Some(Status::Suspended), ..later };
    let tr = plan(Stored::Found(&old), put(&suspended)).unwrap();
    assert_eq!(tr.status_change(), Some((Some(Status::Expired), Some(Status::Suspended))));
}

#[test]
fn a_full_history_is_trimmed_to_the_newest_on_the_version_read() {
    let mut old = stored(Status::Active, AHEAD);
    old.renewal_history = (0..MAX_RENEWAL_HISTORY)
        .map(|i| RenewalEntry { renewed_at: t(NOW), expires_at: t(AHEAD) + chrono::TimeDelta::seconds(i as i64) })
        .collect();
    let later = CertificationPatch { expires_at: Some(t("2028-01-01T00:00:00Z")), ..Default::default() };
    let tr = plan(Stored::Found(&old), put(&later)).unwrap();
    let Some(Renewal { history: History::Replace(kept), .. }) = tr.renewal else { panic!("a trimmed history") };
    assert_eq!(kept.len(), MAX_RENEWAL_HISTORY);
    assert_eq!(kept[0], old.renewal_history[1], "the oldest is dropped");
    assert_eq!(kept.last().map(|e| e.expires_at), Some(t("2028-01-01T00:00:00Z")));
    assert!(tr.guards.contains(&Guard::VersionIs(7)));
    assert!(!tr.guards.contains(&Guard::HistoryHasRoom));
}

#[test]
fn expires_at_stays_after_issued_at() {
    let old = stored(Status::Active, AHEAD);
    let cases = [
        (CertificationPatch { expires_at: Some(t("2024-06-01T00:00:00Z")), ..Default::default() }, "expires_at"),
        (CertificationPatch { issued_at: Some(t("2027-06-01T00:00:00Z")), ..Default::default() }, "issued_at"),
        (CertificationPatch { issued_at: Some(t(AHEAD)), ..Default::default() }, "issued_at"),
    ];
    for (patch, field) in cases {
        match plan(Stored::Found(&old), put(&patch)) {
            Err(DomainError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    // Unread, the same rule is a guard on the stored value.
    let patch = CertificationPatch { issued_at: Some(t("2025-06-01T00:00:00Z")), ..Default::default() };
    let tr = plan(Stored::Unread, put(&patch)).unwrap();
    assert!(tr.guards.contains(&Guard::ExpiresAfter(t("2025-06-01T00:00:00Z"))));
}

#[test]
fn a_type_change_moves_the_counts_of_both_types() {
    let old = stored(Status::Active, AHEAD);
    let patch = CertificationPatch { cert_type: Some("lead".into()), ..Default::default() };
    let tr = plan(Stored::Found(&old), put(&patch)).unwrap();
    assert_eq!(tr.type_change(), Some(("peer", "lead")));
    assert_eq!(tr.status_change(), None);
    assert_eq!(tr.tally(), vec![(standing(Status::Active, "peer"), -1), (standing(Status::Active, "lead"), 1)]);
}

#[test]
fn create_and_delete_move_one_record_in_and_out() {
    let c = stored(Status::Active, AHEAD);
    let tr = plan(Stored::Unread, Change::Create(&c)).unwrap();
    assert_eq!((tr.guards.clone(), tr.tally()), (vec![Guard::Absent], vec![(standing(Status::Active, "peer"), 1)]));
    assert_eq!(plan(Stored::Found(&c), Change::Create(&c)), Err(DomainError::AlreadyExists));
    let tr = plan(Stored::Found(&c), Change::Delete).unwrap();
    assert_eq!(tr.guards, vec![Guard::Exists, Guard::VersionIs(7)]);
    assert_eq!(tr.tally(), vec![(standing(Status::Active, "peer"), -1)]);
    assert_eq!(tr.status_change(), Some((Some(Status::Active), None)));
}

#[test]
fn only_a_stored_active_record_past_expiry_is_flipped() {
    for st in Status::ALL {
        for (expires, due) in [(PASSED, true), (NOW, true), (AHEAD, false)] {
            let c = stored(st, expires);
            let got = plan(Stored::Found(&c), Change::Expire { now: t(NOW) });
            if st == Status::Active && due {
                let tr = got.unwrap();
                assert_eq!(tr.fields.status, Some(Status::Expired));
                assert_eq!(tr.status_change(), Some((Some(Status::Active), Some(Status::Expired))));
                assert!(tr.guards.contains(&Guard::ExpiresAt(t(expires))));
            } else {
                assert_eq!(got, Err(DomainError::NotDue), "{st:?} {expires}");
            }
        }
    }
}

#[test]
fn two_images_describe_the_change_between_them() {
    let old = stored(Status::Active, AHEAD);
    let mut new = old.clone();
    new.expires_at = t("2028-01-01T00:00:00Z");
    new.renewal_history.push(RenewalEntry { renewed_at: t(NOW), expires_at: new.expires_at });
    new.mentor_name = Some("Ada".into());
    let tr = Transition::between(Some(&old), Some(&new)).unwrap();
    assert_eq!(tr.renewal.as_ref().map(|r| (r.previous, r.entry.expires_at)), Some((Some(t(AHEAD)), new.expires_at)));
    assert_eq!(tr.fields.mentor_name, Some(Some("Ada".into())));
    assert_eq!((tr.fields.status, tr.status_change()), (None, None));

    let created = Transition::between(None, Some(&old)).unwrap();
    assert_eq!(created.status_change(), Some((None, Some(Status::Active))));
    let deleted = Transition::between(Some(&old), None).unwrap();
    assert_eq!(deleted.tally(), vec![(standing(Status::Active, "peer"), -1)]);
    assert_eq!(Transition::between(None, None), None);
}
