//! Which expiry-count moves each change makes ([`Transition::expiry_tally`]): a record
//! entering or leaving stored `active`, or an `active` record's `expires_at` or `cert_type`
//! changing. The stored records here are of type `peer`.
use super::tests::{put, stored, t, AHEAD, NOW, PASSED};
use super::*;
use chrono::{DateTime, Utc};

use crate::domain::{Certification, CertificationPatch, Status};

const LATER: &str = "2028-01-01T00:00:00Z";

/// Moves of type `peer` (the stored records' type).
fn peer(moves: Vec<(&str, i64)>) -> Vec<(DateTime<Utc>, String, i64)> {
    moves.into_iter().map(|(at, by)| (t(at), "peer".to_owned(), by)).collect()
}

/// A stored status and `expires_at`, a PUT, and the expiry-count moves expected.
type Case = (Status, &'static str, CertificationPatch, Vec<(&'static str, i64)>);

#[test]
fn every_change_says_which_expiry_counts_move() {
    let patch = |status: Option<Status>, expires: Option<&str>| CertificationPatch {
        status,
        expires_at: expires.map(t),
        ..Default::default()
    };
    // (stored status, stored expires_at, patch, expected tally of type `peer`)
    let cases: Vec<Case> = vec![
        // A renewal of an active record moves it from the old day to the new one.
        (Status::Active, AHEAD, patch(None, Some(LATER)), vec![(AHEAD, -1), (LATER, 1)]),
        // An earlier (still future) expires_at moves it too.
        (Status::Active, LATER, patch(None, Some(AHEAD)), vec![(LATER, -1), (AHEAD, 1)]),
        // A passed expires_at stores it expired: it leaves.
        (Status::Active, AHEAD, patch(None, Some("2026-03-01T00:00:00Z")), vec![(AHEAD, -1)]),
        (Status::Active, AHEAD, patch(Some(Status::Suspended), None), vec![(AHEAD, -1)]),
        (Status::Active, AHEAD, patch(Some(Status::Revoked), None), vec![(AHEAD, -1)]),
        (Status::Suspended, AHEAD, patch(Some(Status::Active), None), vec![(AHEAD, 1)]),
        (Status::Suspended, AHEAD, patch(Some(Status::Active), Some(LATER)), vec![(LATER, 1)]),
        // A renewal revives an expired record: it enters at the new expires_at.
        (Status::Expired, PASSED, patch(None, Some(LATER)), vec![(LATER, 1)]),
        // Not active before or after: nothing moves.
        (Status::Suspended, AHEAD, patch(None, Some(LATER)), vec![]),
        (Status::Active, AHEAD, patch(Some(Status::Active), None), vec![]),
        (
            Status::Active,
            AHEAD,
            CertificationPatch { mentor_name: Some(Some("Ada".into())), ..Default::default() },
            vec![],
        ),
    ];
    for (st, expires, patch, want) in cases {
        let old = stored(st, expires);
        let tr = plan(Stored::Found(&old), put(&patch)).unwrap();
        let want = peer(want);
        assert_eq!(tr.expiry_tally(), want, "{st:?} {expires} {patch:?}");
        // Whatever moves is guarded on the stored expires_at it moves from.
        assert_eq!(tr.guards.contains(&Guard::ExpiresAt(t(expires))), !want.is_empty(), "{st:?} {patch:?}");
    }
}

#[test]
fn creates_deletes_and_flips_enter_and_leave_the_expiry_counts() {
    let active = stored(Status::Active, AHEAD);
    let new = Certification { created_at: t(NOW), ..active.clone() };
    assert_eq!(plan(Stored::Unread, Change::Create(&new)).unwrap().expiry_tally(), peer(vec![(AHEAD, 1)]));
    // Created already past: stored expired, never counted.
    let past = Certification { expires_at: t(PASSED), created_at: t(NOW), ..active.clone() };
    assert_eq!(plan(Stored::Unread, Change::Create(&past)).unwrap().expiry_tally(), vec![]);
    let suspended = Certification { status: Status::Suspended, ..new };
    assert_eq!(plan(Stored::Unread, Change::Create(&suspended)).unwrap().expiry_tally(), vec![]);

    assert_eq!(plan(Stored::Found(&active), Change::Delete).unwrap().expiry_tally(), peer(vec![(AHEAD, -1)]));
    let expired = stored(Status::Expired, PASSED);
    assert_eq!(plan(Stored::Found(&expired), Change::Delete).unwrap().expiry_tally(), vec![]);

    let due = stored(Status::Active, PASSED);
    let flip = plan(Stored::Found(&due), Change::Expire { now: t(NOW) }).unwrap();
    assert_eq!(flip.expiry_tally(), peer(vec![(PASSED, -1)]));

    // The stream's two images say the same.
    let mut renewed = active.clone();
    renewed.expires_at = t(LATER);
    let tr = Transition::between(Some(&active), Some(&renewed)).unwrap();
    assert_eq!(tr.expiry_tally(), peer(vec![(AHEAD, -1), (LATER, 1)]));
    assert_eq!(Transition::between(None, Some(&active)).unwrap().expiry_tally(), peer(vec![(AHEAD, 1)]));
}

#[test]
fn a_type_change_moves_only_the_typed_expiry_counts() {
    let retype = |cert_type: &str, expires: Option<&str>| CertificationPatch {
        cert_type: Some(cert_type.into()),
        expires_at: expires.map(t),
        ..Default::default()
    };
    let lead = |at: &str, by: i64| (t(at), "lead".to_owned(), by);
    // An active record changing type: the same day (the global buckets net to nothing), out
    // of `peer`'s typed buckets and into `lead`'s.
    let active = stored(Status::Active, AHEAD);
    let tr = plan(Stored::Found(&active), put(&retype("lead", None))).unwrap();
    let mut want = peer(vec![(AHEAD, -1)]);
    want.push(lead(AHEAD, 1));
    assert_eq!(tr.expiry_tally(), want);
    // The global buckets' net: nothing moves.
    let net: i64 = tr.expiry_tally().iter().filter(|(at, _, _)| *at == t(AHEAD)).map(|m| m.2).sum();
    assert_eq!(net, 0);
    assert!(tr.guards.contains(&Guard::ExpiresAt(t(AHEAD))) && tr.guards.contains(&Guard::TypeIs("peer".into())));
    // A type change and a renewal at once: from (AHEAD, peer) to (LATER, lead).
    let tr = plan(Stored::Found(&active), put(&retype("lead", Some(LATER)))).unwrap();
    let mut want = peer(vec![(AHEAD, -1)]);
    want.push(lead(LATER, 1));
    assert_eq!(tr.expiry_tally(), want);
    // Not stored active: its type is counted in no expiry bucket.
    let suspended = stored(Status::Suspended, AHEAD);
    assert_eq!(plan(Stored::Found(&suspended), put(&retype("lead", None))).unwrap().expiry_tally(), vec![]);
    // Reactivated with a new type: enters under the new type.
    let back = CertificationPatch { status: Some(Status::Active), ..retype("lead", None) };
    assert_eq!(plan(Stored::Found(&suspended), put(&back)).unwrap().expiry_tally(), vec![lead(AHEAD, 1)]);
    // The scan's flip takes it off its own type; the stream's images say what the plan said.
    let mut retyped = active.clone();
    retyped.cert_type = "lead".into();
    let tr = Transition::between(Some(&active), Some(&retyped)).unwrap();
    let mut want = peer(vec![(AHEAD, -1)]);
    want.push(lead(AHEAD, 1));
    assert_eq!(tr.expiry_tally(), want);
    let due = Certification { cert_type: "lead".into(), ..stored(Status::Active, PASSED) };
    let flip = plan(Stored::Found(&due), Change::Expire { now: t(NOW) }).unwrap();
    assert_eq!(flip.expiry_tally(), vec![lead(PASSED, -1)]);
}
