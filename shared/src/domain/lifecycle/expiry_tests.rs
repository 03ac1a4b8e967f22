//! Which expiry-count moves each change makes ([`Transition::expiry_tally`]): a record
//! entering or leaving stored `active`, or an `active` record's `expires_at` changing.
use super::tests::{put, stored, t, AHEAD, NOW, PASSED};
use super::*;
use crate::domain::{Certification, CertificationPatch, Status};

const LATER: &str = "2028-01-01T00:00:00Z";

/// A stored status and `expires_at`, a PUT, and the expiry-count moves expected.
type Case = (Status, &'static str, CertificationPatch, Vec<(&'static str, i64)>);

#[test]
fn every_change_says_which_expiry_counts_move() {
    let patch = |status: Option<Status>, expires: Option<&str>| CertificationPatch {
        status,
        expires_at: expires.map(t),
        ..Default::default()
    };
    // (stored status, stored expires_at, patch, expected tally)
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
        let want: Vec<_> = want.into_iter().map(|(at, by)| (t(at), by)).collect();
        assert_eq!(tr.expiry_tally(), want, "{st:?} {expires} {patch:?}");
        // Whatever moves is guarded on the stored expires_at it moves from.
        assert_eq!(tr.guards.contains(&Guard::ExpiresAt(t(expires))), !want.is_empty(), "{st:?} {patch:?}");
    }
}

#[test]
fn creates_deletes_and_flips_enter_and_leave_the_expiry_counts() {
    let active = stored(Status::Active, AHEAD);
    let new = Certification { created_at: t(NOW), ..active.clone() };
    assert_eq!(plan(Stored::Unread, Change::Create(&new)).unwrap().expiry_tally(), vec![(t(AHEAD), 1)]);
    // Created already past: stored expired, never counted.
    let past = Certification { expires_at: t(PASSED), created_at: t(NOW), ..active.clone() };
    assert_eq!(plan(Stored::Unread, Change::Create(&past)).unwrap().expiry_tally(), vec![]);
    let suspended = Certification { status: Status::Suspended, ..new };
    assert_eq!(plan(Stored::Unread, Change::Create(&suspended)).unwrap().expiry_tally(), vec![]);

    assert_eq!(plan(Stored::Found(&active), Change::Delete).unwrap().expiry_tally(), vec![(t(AHEAD), -1)]);
    let expired = stored(Status::Expired, PASSED);
    assert_eq!(plan(Stored::Found(&expired), Change::Delete).unwrap().expiry_tally(), vec![]);

    let due = stored(Status::Active, PASSED);
    let flip = plan(Stored::Found(&due), Change::Expire { now: t(NOW) }).unwrap();
    assert_eq!(flip.expiry_tally(), vec![(t(PASSED), -1)]);

    // The stream's two images say the same.
    let mut renewed = active.clone();
    renewed.expires_at = t(LATER);
    let tr = Transition::between(Some(&active), Some(&renewed)).unwrap();
    assert_eq!(tr.expiry_tally(), vec![(t(AHEAD), -1), (t(LATER), 1)]);
    assert_eq!(Transition::between(None, Some(&active)).unwrap().expiry_tally(), vec![(t(AHEAD), 1)]);
}
