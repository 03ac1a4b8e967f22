//! Store tests for writes that are safe to retry and to race: Idempotency-Key records,
//! versions and If-Match, the bounded renewal history, no reactivation past expiry. On
//! embedded dynoxide, or the endpoint in `AWS_ENDPOINT_URL_DYNAMODB` (moto).
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::TimeDelta;
use shared::domain::{CertificationPatch, RenewalEntry, MAX_RENEWAL_HISTORY};
use shared::store::idempotency::{KeyRecord, KeyedCreate, StoredResponse, KEY_RECORD_PREFIX};
use shared::store::table::{attr, TTL_ATTRIBUTE};
use shared::store::{stored_item, IfMatch, ListFilter, PageRequest};
use shared::testing::StoreExt;
use shared::testing::{at, certification, Fault, Faults, TestDb};
use shared::{Certification, Status, StoreError};

const NOW: &str = "2026-03-26T10:00:00Z";

fn record(id: &str, fingerprint: &str, purge_at: i64) -> KeyRecord {
    KeyRecord {
        fingerprint: fingerprint.into(),
        certification_id: id.into(),
        response: StoredResponse {
            status: 201,
            body: format!("{{\"id\":\"{id}\"}}"),
            location: Some(format!("/api/v1/certifications/{id}")),
            etag: Some("\"v1\"".into()),
        },
        purge_at,
    }
}

fn cert(id: &str) -> Certification {
    certification(id, "2027-01-01T00:00:00Z")
}

async fn total(db: &TestDb) -> u64 {
    let page = PageRequest { page: 1, limit: 100, after: None, numbered: true };
    db.store().list(&ListFilter::default(), at(NOW), &page).await.unwrap().total
}

#[tokio::test]
async fn a_keyed_create_writes_both_items_and_the_key_record_is_in_no_list_or_scan() {
    let db = TestDb::start().await;
    let store = db.store();
    let now = at(NOW);
    let purge = (now + TimeDelta::hours(24)).timestamp();
    let r = record("cert-a", "f1", purge);
    assert_eq!(store.create_keyed(&cert("cert-a"), "key-1", &r, now).await.unwrap(), KeyedCreate::Created);
    assert_eq!(store.key_record("key-1", now).await.unwrap(), Some(r.clone()));
    assert!(store.get("cert-a").await.unwrap().is_some());

    // The raw key record carries no index attribute, so no index (list, count, expiring,
    // scan) can ever read it.
    let raw = db
        .client
        .get_item()
        .table_name(&db.table)
        .key(attr::ID, AttributeValue::S(format!("{KEY_RECORD_PREFIX}key-1")))
        .send()
        .await
        .unwrap()
        .item
        .expect("the key record");
    // No index key attribute (every index's keys), so no index holds it.
    for a in shared::store::table::key_attributes().into_iter().filter(|a| *a != attr::ID) {
        assert!(!raw.contains_key(a), "{a} on the key record");
    }
    assert_eq!(raw[TTL_ATTRIBUTE], AttributeValue::N(purge.to_string()));
    assert_eq!(total(&db).await, 1);
    let later = at("2030-01-01T00:00:00Z");
    let due = shared::testing::every_page(|start| store.due_for_expiry(later, 100, start)).await;
    let due: Vec<String> = due.into_iter().flatten().map(|c| c.id).collect();
    assert_eq!(due, ["cert-a"]);

    // A second first request with the key writes nothing at all.
    let other = record("cert-b", "f2", purge);
    assert_eq!(store.create_keyed(&cert("cert-b"), "key-1", &other, now).await.unwrap(), KeyedCreate::KeyTaken);
    assert_eq!(store.get("cert-b").await.unwrap(), None);
    assert_eq!(store.key_record("key-1", now).await.unwrap(), Some(r));
    assert_eq!(total(&db).await, 1);
}

#[tokio::test]
async fn a_record_past_purge_at_is_ignored_and_may_be_replaced() {
    let db = TestDb::start().await;
    let store = db.store();
    let now = at(NOW);
    let r = record("cert-a", "f1", now.timestamp() + 60);
    store.create_keyed(&cert("cert-a"), "k", &r, now).await.unwrap();
    let after = now + TimeDelta::seconds(60);
    assert_eq!(store.key_record("k", now + TimeDelta::seconds(59)).await.unwrap(), Some(r));
    // DynamoDB's TTL deletes late; from purge_at on the record no longer counts.
    assert_eq!(store.key_record("k", after).await.unwrap(), None);
    let fresh = record("cert-b", "f2", after.timestamp() + 3600);
    assert_eq!(store.create_keyed(&cert("cert-b"), "k", &fresh, after).await.unwrap(), KeyedCreate::Created);
    assert_eq!(store.key_record("k", after).await.unwrap(), Some(fresh));
    assert_eq!(total(&db).await, 2);
}

#[tokio::test]
async fn the_table_expires_key_records_by_ttl() {
    let db = TestDb::start().await;
    let ttl = db.client.describe_time_to_live().table_name(&db.table).send().await.unwrap();
    let d = ttl.time_to_live_description().expect("a TTL description");
    assert_eq!(d.attribute_name(), Some(TTL_ATTRIBUTE));
}

#[tokio::test]
async fn transaction_conflicts_are_retried_a_bounded_number_of_times_then_unavailable() {
    let db = TestDb::start().await;
    let now = at(NOW);
    let purge = (now + TimeDelta::hours(24)).timestamp();

    // Two conflicts, then the transaction goes through.
    let faults = Faults::new(vec![Fault::transaction_conflict("key-c", 2, 2)]);
    let store = db.store_with(&faults);
    let r = record("cert-c", "f", purge);
    assert_eq!(store.create_keyed(&cert("cert-c"), "key-c", &r, now).await.unwrap(), KeyedCreate::Created);
    assert_eq!(faults.injected(), 2);

    // Conflicting every time: unavailable (503 at the edge), nothing written.
    let faults = Faults::new(vec![Fault::transaction_conflict("key-d", 2, 100)]);
    let store = db.store_with(&faults);
    let err = store.create_keyed(&cert("cert-d"), "key-d", &record("cert-d", "f", purge), now).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert_eq!(faults.injected(), shared::store::transact::MAX_TRANSACTION_ATTEMPTS);
    assert_eq!(db.store().get("cert-d").await.unwrap(), None);
    assert_eq!(db.store().key_record("key-d", now).await.unwrap(), None);
}

#[tokio::test]
async fn every_write_bumps_the_version_and_if_match_is_part_of_the_condition() {
    let db = TestDb::start().await;
    let store = db.store();
    let now = at(NOW);
    store.create(&cert("cert-a")).await.unwrap();
    assert_eq!(store.get("cert-a").await.unwrap().unwrap().version, 1);
    let rename = CertificationPatch { cert_type: Some("renamed".into()), ..Default::default() };
    assert_eq!(store.update("cert-a", &rename, now).await.unwrap().version, 2);

    // A stale tag: 412, nothing written.
    let suspend = CertificationPatch { status: Some(Status::Suspended), ..Default::default() };
    let stale = IfMatch::Versions(vec![1]);
    let err = store.update_if("cert-a", &suspend, now, Some(&stale)).await.unwrap_err();
    assert!(matches!(err, StoreError::PreconditionFailed(_)), "{err:?}");
    let stored = store.get("cert-a").await.unwrap().unwrap();
    assert_eq!((stored.status, stored.version), (Status::Active, 2));
    // Tags that are not ours match nothing.
    let foreign = IfMatch::Versions(vec![]);
    assert!(matches!(
        store.update_if("cert-a", &suspend, now, Some(&foreign)).await,
        Err(StoreError::PreconditionFailed(_))
    ));
    // The current tag (in a list) and `*` pass.
    let current = IfMatch::Versions(vec![9, 2]);
    assert_eq!(store.update_if("cert-a", &suspend, now, Some(&current)).await.unwrap().version, 3);
    assert_eq!(store.update_if("cert-a", &rename, now, Some(&IfMatch::Any)).await.unwrap().version, 4);
    // A renewal goes through the same condition.
    let renew = CertificationPatch { expires_at: Some(at("2028-01-01T00:00:00Z")), ..Default::default() };
    assert!(matches!(
        store.update_if("cert-a", &renew, now, Some(&stale)).await,
        Err(StoreError::PreconditionFailed(_))
    ));
    assert_eq!(store.get("cert-a").await.unwrap().unwrap().renewal_count, 0);
    // Missing record: 404 whatever the tag.
    assert!(matches!(store.update_if("cert-x", &rename, now, Some(&stale)).await, Err(StoreError::NotFound(_))));

    // The expiry scan's flip is a write too.
    // Created (2026-01-01) before it fell due, so stored `active` until the flip.
    store.create(&certification("cert-e", "2026-02-01T00:00:00Z")).await.unwrap();
    let e = store.get("cert-e").await.unwrap().unwrap();
    assert!(store.mark_expired(&e, now).await.unwrap());
    assert_eq!(store.get("cert-e").await.unwrap().unwrap().version, 2);

    // DELETE: stale tag 412 (record kept), current tag deletes, missing 404.
    let err = store.delete_if("cert-a", Some(&stale)).await.unwrap_err();
    assert!(matches!(err, StoreError::PreconditionFailed(_)), "{err:?}");
    assert!(store.get("cert-a").await.unwrap().is_some());
    assert_eq!(store.delete_if("cert-a", Some(&IfMatch::Versions(vec![4]))).await.unwrap().id, "cert-a");
    assert!(matches!(store.delete_if("cert-a", Some(&IfMatch::Any)).await, Err(StoreError::NotFound(_))));
}

#[tokio::test]
async fn renewal_history_keeps_the_newest_entries_and_the_count_counts_all() {
    let db = TestDb::start().await;
    let store = db.store();
    let mut c = cert("cert-h");
    // Start just below the bound (seeding 99 renewals directly saves 99 round trips).
    let base = at("2027-01-01T00:00:00Z");
    c.renewal_history = (1..MAX_RENEWAL_HISTORY as i64)
        .map(|i| RenewalEntry { renewed_at: at(NOW), expires_at: base + TimeDelta::days(i) })
        .collect();
    c.renewal_count = c.renewal_history.len() as u32;
    c.expires_at = c.renewal_history.last().unwrap().expires_at;
    store.create(&c).await.unwrap();
    let extra = 6;
    let mut last = c.expires_at;
    for i in 1..=(1 + extra) {
        last = c.expires_at + TimeDelta::days(i);
        let renew = CertificationPatch { expires_at: Some(last), ..Default::default() };
        store.update(&c.id, &renew, at(NOW)).await.unwrap();
    }
    let got = store.get(&c.id).await.unwrap().unwrap();
    assert_eq!(got.renewal_count as usize, MAX_RENEWAL_HISTORY + extra as usize);
    assert_eq!(got.renewal_history.len(), MAX_RENEWAL_HISTORY);
    assert_eq!(got.renewal_history.last().unwrap().expires_at, last);
    // The oldest `extra` entries went: the first kept one is the seventh ever.
    assert_eq!(got.renewal_history[0].expires_at, base + TimeDelta::days(1 + extra));
    assert!(got.renewal_history.windows(2).all(|w| w[0].expires_at < w[1].expires_at));
}

/// DynamoDB's item size: attribute names plus values (strings in UTF-8 bytes, numbers at
/// most 21 bytes, lists and maps 3 bytes plus 1 per element plus their contents).
fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(_) => 21,
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(items) => 3 + items.iter().map(|i| 1 + value_size(i)).sum::<usize>(),
        AttributeValue::M(m) => 3 + m.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum::<usize>(),
        other => panic!("unexpected attribute type {other:?}"),
    }
}

#[tokio::test]
async fn the_largest_possible_item_stays_far_below_400_kb() {
    // Every field at its limit (shared/src/validation/rules.rs): mentor_id 128 ASCII
    // characters, mentor_name 200 characters of 4 UTF-8 bytes, cert_type 64, the longest
    // status with a status_reason of 500 characters of 4 bytes, the full history, the largest
    // counters.
    let mut c = cert("cert-01hzzzzzzzzzzzzzzzzzzzzzzz");
    c.mentor_id = "m".repeat(128);
    c.mentor_name = Some("😀".repeat(200));
    c.cert_type = "c".repeat(64);
    c.status = Status::Suspended;
    c.status_reason = Some("😀".repeat(500));
    c.renewal_count = u32::MAX;
    c.version = u64::MAX;
    c.renewal_history = (0..MAX_RENEWAL_HISTORY)
        .map(|_| RenewalEntry { renewed_at: at(NOW), expires_at: at("9999-12-31T23:59:59Z") })
        .collect();
    let mut item = stored_item(&c).unwrap();
    item.insert(attr::REMINDED_DAYS.into(), AttributeValue::N("3650".into()));
    let size: usize = item.iter().map(|(k, v)| k.len() + value_size(v)).sum();
    // Measured: 10,819 bytes (10,234 before the three mentor index attributes, 8,221 before
    // status_reason, 7,919 before the list index attributes), 2.6% of DynamoDB's 400 KB
    // (409,600 bytes).
    assert!(size < 12_000, "{size} bytes");
    assert_eq!(size, 10_819);
    db_accepts(&c).await;
}

async fn db_accepts(c: &Certification) {
    let db = TestDb::start().await;
    db.store().create(c).await.unwrap();
    assert_eq!(db.store().get(&c.id).await.unwrap().as_ref(), Some(c));
}

#[tokio::test]
async fn setting_active_after_expires_at_is_a_conflict_and_writes_nothing() {
    let db = TestDb::start().await;
    let store = db.store();
    let now = at(NOW);
    let activate = CertificationPatch { status: Some(Status::Active), ..Default::default() };
    // Stored expired by the scan, and stored active but past expiry (scan not yet run),
    // and suspended past expiry: all 409.
    let mut expired = certification("cert-x", "2026-01-01T00:00:00Z");
    expired.status = Status::Expired;
    let lapsed = certification("cert-l", "2026-03-26T10:00:00Z");
    let mut suspended = certification("cert-s", "2026-02-01T00:00:00Z");
    suspended.status = Status::Suspended;
    for c in [&expired, &lapsed, &suspended] {
        store.create(c).await.unwrap();
        let err = store.update(&c.id, &activate, now).await.unwrap_err();
        assert!(matches!(&err, StoreError::Conflict(m) if m.contains("renew")), "{}: {err:?}", c.id);
        assert_eq!(store.get(&c.id).await.unwrap().as_ref(), Some(c));
    }
    // With an expires_at that has passed too.
    let past = CertificationPatch { expires_at: Some(at("2026-03-01T00:00:00Z")), ..activate.clone() };
    assert!(matches!(store.update("cert-s", &past, now).await, Err(StoreError::Conflict(_))));
    // A renewal to a later expires_at is the way back, and so is `active` before expiry.
    let renew = CertificationPatch { expires_at: Some(at("2027-03-01T00:00:00Z")), ..activate.clone() };
    assert_eq!(store.update("cert-s", &renew, now).await.unwrap().status, Status::Active);
    let mut future = certification("cert-f", "2027-01-01T00:00:00Z");
    future.status = Status::Suspended;
    store.create(&future).await.unwrap();
    assert_eq!(store.update("cert-f", &activate, now).await.unwrap().status, Status::Active);
}
