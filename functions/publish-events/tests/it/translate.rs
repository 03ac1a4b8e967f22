//! The translation, every detail-type, from certification values (no stream needed).
use publish_events::{events_of, StreamChange};
use serde_json::{json, Value};
use shared::domain::RenewalEntry;
use shared::Status;

use crate::support::*;

fn without_common(detail: &Value) -> Value {
    let mut d = detail.clone();
    for k in
        ["event_id", "certification_id", "version", "occurred_at", "mentor_id", "cert_type", "status", "expires_at"]
    {
        d.as_object_mut().unwrap().remove(k);
    }
    d
}

#[test]
fn an_insert_is_created_with_every_common_field() {
    let c = cert(ID);
    let e = one(&change(None, Some(&c)));
    assert_eq!(e.detail_type, "certification.created");
    assert_eq!(e.time, t(AT));
    assert_eq!(
        e.detail,
        json!({"event_id": "evt-1", "certification_id": ID, "version": 1, "occurred_at": AT,
               "mentor_id": "mentor-42", "cert_type": "peer_mentor_level_2", "status": "active",
               "expires_at": "2027-03-01T00:00:00Z", "issued_at": "2026-03-01T00:00:00Z"})
    );
    assert_eq!(
        e.envelope(),
        json!({"source": "certifications", "detail-type": "certification.created", "time": AT, "detail": e.detail})
    );
}

#[test]
fn mentor_name_only_with_the_opt_in_and_null_where_unknown() {
    let mut c = cert(ID);
    let named = events(&change(None, Some(&c)), true);
    assert_eq!(named[0].detail["mentor_name"], "Lars Eriksen");
    c.mentor_name = None;
    let unknown = events(&change(None, Some(&c)), true);
    assert_eq!(unknown[0].detail["mentor_name"], Value::Null);
    assert!(events(&change(None, Some(&c)), false)[0].detail.get("mentor_name").is_none());
}

#[test]
fn an_insert_already_past_is_announced_once_as_expired() {
    let mut c = cert(ID);
    c.expires_at = t("2026-01-01T00:00:00Z");
    c.issued_at = t("2025-01-01T00:00:00Z");
    c.status = Status::Expired;
    let e = one(&change(None, Some(&c)));
    assert_eq!(e.detail_type, "certification.expired");
    assert_eq!(without_common(&e.detail), json!({"previous_status": null}));
}

#[test]
fn a_renewal_carries_both_expiries_and_the_count_and_drops_the_reminder_silently() {
    let old = cert(ID);
    let new = next(&old, |n| {
        n.expires_at = t("2028-03-01T00:00:00Z");
        n.renewal_count = 1;
        n.renewal_history.push(RenewalEntry { renewed_at: t(AT), expires_at: n.expires_at });
    });
    let c = change_with(Some(image(&old, Some(30))), Some(image(&new, None)), "evt-1");
    let e = one(&c);
    assert_eq!(e.detail_type, "certification.renewed");
    assert_eq!(e.detail["version"], 2);
    assert_eq!(e.detail["expires_at"], "2028-03-01T00:00:00Z");
    assert_eq!(
        without_common(&e.detail),
        json!({"previous_expires_at": "2027-03-01T00:00:00Z", "renewal_count": 1,
               "changed_fields": ["expires_at", "renewal_count", "renewal_history"]})
    );

    // Several things at once: still one event, the rest in changed_fields.
    let renamed = next(&new, |n| n.mentor_name = Some("Lars E.".into()));
    let both = next(&old, |n| {
        n.expires_at = renamed.expires_at;
        n.renewal_count = 1;
        n.renewal_history = renamed.renewal_history.clone();
        n.mentor_name = renamed.mentor_name.clone();
    });
    let e = one(&change(Some(&old), Some(&both)));
    assert_eq!(e.detail_type, "certification.renewed");
    assert_eq!(e.detail["changed_fields"], json!(["expires_at", "mentor_name", "renewal_count", "renewal_history"]));
}

#[test]
fn a_renewal_of_a_stored_expired_revives_it_and_is_renewed_unless_still_past() {
    let mut old = cert(ID);
    old.status = Status::Expired;
    let revived = next(&old, |n| {
        n.status = Status::Active;
        n.expires_at = t("2028-01-01T00:00:00Z");
        n.renewal_count = 1;
    });
    let e = one(&change(Some(&old), Some(&revived)));
    assert_eq!((e.detail_type.as_str(), &e.detail["status"]), ("certification.renewed", &json!("active")));

    let still_past = next(&old, |n| {
        n.expires_at = t("2027-06-01T00:00:00Z");
        n.renewal_count = 1;
    });
    let e = one(&change(Some(&old), Some(&still_past)));
    assert_eq!(e.detail_type, "certification.expired");
    assert_eq!(e.detail["previous_status"], "expired");
}

#[test]
fn status_changes_suspend_revoke_reactivate_with_the_reason() {
    let active = cert(ID);
    let suspended = next(&active, |n| {
        n.status = Status::Suspended;
        n.status_reason = Some("Certificate of conduct lapsed".into());
    });
    let e = one(&change(Some(&active), Some(&suspended)));
    assert_eq!(e.detail_type, "certification.suspended");
    assert_eq!(
        without_common(&e.detail),
        json!({"previous_status": "active", "status_reason": "Certificate of conduct lapsed",
               "changed_fields": ["status", "status_reason"]})
    );

    let reactivated = next(&suspended, |n| {
        n.status = Status::Active;
        n.status_reason = None;
    });
    let e = one(&change(Some(&suspended), Some(&reactivated)));
    assert_eq!(e.detail_type, "certification.reactivated");
    assert_eq!(
        without_common(&e.detail),
        json!({"previous_status": "suspended", "changed_fields": ["status", "status_reason"]})
    );

    let revoked = next(&active, |n| n.status = Status::Revoked);
    let e = one(&change(Some(&active), Some(&revoked)));
    assert_eq!(e.detail_type, "certification.revoked");
    assert_eq!(e.detail["status_reason"], Value::Null, "no reason given: null");
}

#[test]
fn the_scan_s_flip_and_a_put_to_a_past_expiry_are_expired() {
    let active = cert(ID);
    let flipped = next(&active, |n| n.status = Status::Expired);
    let e = one(&change(Some(&active), Some(&flipped)));
    assert_eq!(e.detail_type, "certification.expired");
    assert_eq!(without_common(&e.detail), json!({"previous_status": "active", "changed_fields": ["status"]}));

    let shortened = next(&active, |n| {
        n.expires_at = t("2026-03-20T00:00:00Z");
        n.status = Status::Expired;
    });
    let e = one(&change(Some(&active), Some(&shortened)));
    assert_eq!(e.detail_type, "certification.expired");
    assert_eq!(e.detail["changed_fields"], json!(["expires_at", "status"]));
}

#[test]
fn a_recorded_reminder_is_expiring_with_its_threshold_once_per_record() {
    let mut c = cert(ID);
    c.expires_at = t("2026-04-02T00:00:00Z");
    let first = change_with(Some(image(&c, None)), Some(image(&c, Some(30))), "evt-1");
    let e = one(&first);
    assert_eq!(e.detail_type, "certification.expiring");
    assert_eq!(without_common(&e.detail), json!({"threshold_days": 30, "days_until_expiry": 7, "changed_fields": []}));
    let tighter = change_with(Some(image(&c, Some(30))), Some(image(&c, Some(7))), "evt-2");
    assert_eq!(one(&tighter).detail["threshold_days"], 7);
    // Removing the record alone (nothing a client sees) announces nothing.
    let removed = change_with(Some(image(&c, Some(7))), Some(image(&c, None)), "evt-3");
    assert!(events(&removed, false).is_empty());
}

#[test]
fn other_field_changes_are_updated_with_their_names() {
    let old = cert(ID);
    let retyped = next(&old, |n| n.cert_type = "first_aid".into());
    let e = one(&change(Some(&old), Some(&retyped)));
    assert_eq!((e.detail_type.as_str(), &e.detail["cert_type"]), ("certification.updated", &json!("first_aid")));
    assert_eq!(e.detail["changed_fields"], json!(["cert_type"]));
    let renamed = next(&old, |n| {
        n.mentor_name = None;
        n.issued_at = t("2026-02-01T00:00:00Z");
    });
    let e = one(&change(Some(&old), Some(&renamed)));
    assert_eq!(e.detail["changed_fields"], json!(["issued_at", "mentor_name"]));
}

#[test]
fn a_remove_is_deleted_one_version_past_the_last() {
    let mut c = cert(ID);
    c.version = 4;
    c.status = Status::Suspended;
    let e = one(&change(Some(&c), None));
    assert_eq!(e.detail_type, "certification.deleted");
    assert_eq!((&e.detail["version"], &e.detail["status"]), (&json!(5), &json!("suspended")));
    assert_eq!(without_common(&e.detail), json!({}));
}

#[test]
fn a_write_that_changes_nothing_a_client_sees_announces_nothing() {
    let c = cert(ID);
    // migrate: index attributes set on an item that had none.
    let mut bare = image(&c, None);
    bare.retain(|k, _| !k.ends_with("_pk") && !k.ends_with("_key"));
    assert!(events(&change_with(Some(bare), Some(image(&c, None)), "evt-1"), false).is_empty());
    // Only the bookkeeping of a write (version, updated_at).
    assert!(events(&change(Some(&c), Some(&next(&c, |_| {}))), false).is_empty());
}

#[test]
fn count_items_and_idempotency_records_are_not_certifications() {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    let count = Image::from([("id".to_owned(), S("count#m=*#t=*#s=active#0".into())), ("n".to_owned(), N("3".into()))]);
    let key = Image::from([
        ("id".to_owned(), S("idempotency#abc".into())),
        ("purge_at".to_owned(), N("1774500000".into())),
        ("certification_id".to_owned(), S(ID.into())),
    ]);
    for (old, new) in [(None, Some(&count)), (Some(&count), Some(&count)), (Some(&key), None), (None, Some(&key))] {
        let c = StreamChange::from_images("evt-x", "1", t(AT), old, new).unwrap();
        assert_eq!((c.old.is_none(), c.new.is_none()), (true, true));
        assert!(events_of(&c, true).is_empty());
    }
    assert!(!publish_events::is_certification(&count));
    assert!(publish_events::decode_image("evt-x", &key).unwrap().is_none());
}

#[test]
fn a_certification_that_does_not_decode_is_an_error_naming_it() {
    let mut item = image(&cert(ID), None);
    item.insert("status".into(), aws_sdk_dynamodb::types::AttributeValue::S("paused".into()));
    let err = StreamChange::from_images("evt-9", "9", t(AT), None, Some(&item)).unwrap_err();
    assert!(err.to_string().contains(ID) && err.to_string().contains("evt-9"), "{err}");
}

#[test]
fn a_lambda_record_decodes_to_the_same_change_and_event_id_every_time() {
    let old = cert(ID);
    let new = next(&old, |n| n.status = Status::Suspended);
    let rec = record(7, Some(&image(&old, None)), Some(&image(&new, Some(7))));
    let a = StreamChange::from_lambda_record(&rec).unwrap();
    let b = StreamChange::from_lambda_record(&rec.clone()).unwrap();
    assert_eq!(a, b);
    assert_eq!((a.event_id.as_str(), a.sequence_number.as_str(), a.at), ("evt-0007", "7", t(AT)));
    assert_eq!((a.old.as_ref(), a.new.as_ref(), a.new_reminded_days), (Some(&old), Some(&new), Some(7)));
    assert_eq!(one(&a).event_id(), "evt-0007");
}
