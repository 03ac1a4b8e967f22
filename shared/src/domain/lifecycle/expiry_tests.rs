//! Which expiry-count moves each change makes ([`Transition::expiry_tally`]): a record
//! entering or leaving stored `active`, or an `active` record's `expires_at` or `cert_type`
//! changing, each carrying the record's mentor. The stored records here are `mentor-1`'s, of
//! type `peer`.
use super::tests::{put, stored, t, AHEAD, NOW, PASSED};
use super::*;
use crate::domain::{Certification, CertificationPatch, Status};

const LATER: &str = "2028-01-01T00:00:00Z";

/// One move at `at` of `mentor_id`'s record of type `cert_type`.
fn mv(at: &str, cert_type: &str, mentor_id: &str, by: i64) -> (ExpiryStanding, i64) {
    (ExpiryStanding { expires_at: t(at), cert_type: cert_type.into(), mentor_id: mentor_id.into() }, by)
}

/// Moves of `mentor-1`'s records of type `peer` (the stored records').
fn peer(moves: Vec<(&str, i64)>) -> Vec<(ExpiryStanding, i64)> {
    moves.into_iter().map(|(at, by)| mv(at, "peer", "mentor-1", by)).collect()
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
    let lead = |at: &str, by: i64| mv(at, "lead", "mentor-1", by);
    // An active record changing type: the same day (the global buckets net to nothing), out
    // of `peer`'s typed buckets and into `lead`'s.
    let active = stored(Status::Active, AHEAD);
    let tr = plan(Stored::Found(&active), put(&retype("lead", None))).unwrap();
    let mut want = peer(vec![(AHEAD, -1)]);
    want.push(lead(AHEAD, 1));
    assert_eq!(tr.expiry_tally(), want);
    // The global buckets' net: nothing moves.
    let net: i64 = tr.expiry_tally().iter().filter(|(e, _)| e.expires_at == t(AHEAD)).map(|m| m.1).sum();
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

#[test]
fn every_move_carries_the_record_s_own_mentor() {
    // Two mentors' records of one type and expiry: each moves only its own mentor's buckets.
    let one = stored(Status::Active, AHEAD);
    let two = Certification { id: "cert-b".into(), mentor_id: "mentor-2".into(), ..one.clone() };
    let of = |c: &Certification, at: &str, ct: &str, by: i64| mv(at, ct, &c.mentor_id, by);
    for c in [&one, &two] {
        let new = Certification { created_at: t(NOW), ..c.clone() };
        assert_eq!(plan(Stored::Unread, Change::Create(&new)).unwrap().expiry_tally(), vec![of(c, AHEAD, "peer", 1)]);
        assert_eq!(plan(Stored::Found(c), Change::Delete).unwrap().expiry_tally(), vec![of(c, AHEAD, "peer", -1)]);
        // A renewal with a type change: out of and into the same mentor's buckets.
        let patch =
            CertificationPatch { expires_at: Some(t(LATER)), cert_type: Some("lead".into()), ..Default::default() };
        let change = Change::Update { id: &c.id, patch: &patch, now: t(NOW) };
        let want = vec![of(c, AHEAD, "peer", -1), of(c, LATER, "lead", 1)];
        assert_eq!(plan(Stored::Found(c), change).unwrap().expiry_tally(), want);
        let due = Certification { expires_at: t(PASSED), ..c.clone() };
        let flip = plan(Stored::Found(&due), Change::Expire { now: t(NOW) }).unwrap();
        assert_eq!(flip.expiry_tally(), vec![of(c, PASSED, "peer", -1)]);
        // The stream's images say the same.
        let suspended = Certification { status: Status::Suspended, ..c.clone() };
        let tr = Transition::between(Some(&suspended), Some(c)).unwrap();
        assert_eq!(tr.expiry_tally(), vec![of(c, AHEAD, "peer", 1)]);
    }
}
