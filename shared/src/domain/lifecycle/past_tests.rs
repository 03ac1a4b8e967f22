//! Nothing is stored `active` past its `expires_at` by a request: a create already past is
//! stored `expired`, and so is a record a PUT leaves past it (announced once, by that write).
use super::tests::{put, standing, stored, t, AHEAD, NOW, PASSED};
use super::*;
use crate::domain::{CertificationPatch, Status};

#[test]
fn a_create_already_past_is_stored_expired() {
    let mut c = stored(Status::Active, PASSED);
    c.created_at = t(NOW);
    let tr = plan(Stored::Unread, Change::Create(&c)).unwrap();
    assert_eq!(tr.fields.status, Some(Status::Expired));
    assert_eq!(tr.tally(), vec![(standing(Status::Expired, "peer"), 1)]);
    // At the instant itself it has passed too; a moment later it is active.
    c.expires_at = t(NOW);
    assert_eq!(plan(Stored::Unread, Change::Create(&c)).unwrap().fields.status, Some(Status::Expired));
    c.expires_at = t(AHEAD);
    assert_eq!(plan(Stored::Unread, Change::Create(&c)).unwrap().fields.status, None);
}

#[test]
fn a_put_to_a_past_expires_at_never_leaves_a_record_active() {
    let past = CertificationPatch { expires_at: Some(t("2026-03-20T00:00:00Z")), ..Default::default() };
    // Unread, it needs the stored status: active becomes expired, and counts move.
    assert_eq!(plan(Stored::Unread, put(&past)), Err(DomainError::ReadFirst));
    let active = stored(Status::Active, PASSED);
    let tr = plan(Stored::Found(&active), put(&past)).unwrap();
    assert_eq!(tr.status_change(), Some((Some(Status::Active), Some(Status::Expired))));
    assert!(tr.renewal.is_some(), "later than the stored expires_at: still a renewal, recorded");
    // A stored `expired` renewed to a date already past stays expired: no second expiry.
    let expired = stored(Status::Expired, PASSED);
    let tr = plan(Stored::Found(&expired), put(&past)).unwrap();
    assert_eq!((tr.fields.status, tr.status_change()), (None, None));
    // Suspended stays suspended.
    let suspended = stored(Status::Suspended, PASSED);
    assert_eq!(plan(Stored::Found(&suspended), put(&past)).unwrap().status_change(), None);
    // Any write to a stored `active` already past its expires_at stores it `expired`.
    let rename = CertificationPatch { mentor_name: Some(Some("Ada".into())), ..Default::default() };
    let tr = plan(Stored::Found(&active), put(&rename)).unwrap();
    assert_eq!(tr.fields.status, Some(Status::Expired));
}
