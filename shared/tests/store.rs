//! The DynamoDB store against a real DynamoDB API: embedded dynoxide by default, or the
//! endpoint in `AWS_ENDPOINT_URL_DYNAMODB` (see the README for moto).
use chrono::{DateTime, TimeDelta, Utc};
use shared::clock::{Clock, FixedClock};
use shared::ids::new_certification_id;
use shared::model::{Certification, RenewalEntry, Status};
use shared::store::{ListFilter, PageRequest, StoreError};
use shared::testing::TestDb;
use shared::validation::{CertificationPatch, NewCertification};

fn t(s: &str) -> DateTime<Utc> {
    FixedClock::at(s).now()
}

const NOW: &str = "2026-03-26T10:00:00Z";

fn new_cert(mentor: &str, cert_type: &str, issued: &str, expires: &str) -> NewCertification {
    NewCertification {
        mentor_id: mentor.into(),
        mentor_name: None,
        cert_type: cert_type.into(),
        issued_at: t(issued),
        expires_at: t(expires),
    }
}

async fn create(db: &TestDb, n: NewCertification, created: &str) -> Certification {
    let c = Certification::new(new_certification_id(), n, t(created));
    db.store().create(&c).await.unwrap();
    c
}

async fn seed_one(db: &TestDb) -> Certification {
    create(db, new_cert("mentor-42", "peer_mentor_level_2", "2025-09-01T00:00:00Z", "2026-09-01T00:00:00Z"), NOW).await
}

fn renew_to(expires: &str) -> CertificationPatch {
    CertificationPatch { expires_at: Some(t(expires)), ..Default::default() }
}

#[tokio::test]
async fn create_get_round_trip_with_every_field() {
    let db = TestDb::start().await;
    let mut n = new_cert("mentor-42", "peer_mentor_level_2", "2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z");
    n.mentor_name = Some("Lars Eriksen — Ålesund".into());
    let c = Certification::new("cert-roundtrip".into(), n, t(NOW));
    db.store().create(&c).await.unwrap();
    let got = db.store().get("cert-roundtrip").await.unwrap().unwrap();
    assert_eq!(got, c);
    assert_eq!(got.status, Status::Active);
    assert_eq!(got.renewal_count, 0);
    assert!(got.renewal_history.is_empty());
    assert_eq!(got.created_at, t(NOW));
    assert_eq!(got.updated_at, t(NOW));
    assert!(db.store().get("cert-missing").await.unwrap().is_none());
}

#[tokio::test]
async fn a_duplicate_create_is_refused_and_the_original_kept() {
    let db = TestDb::start().await;
    let c = seed_one(&db).await;
    let mut dup = c.clone();
    dup.mentor_id = "someone-else".into();
    assert!(matches!(db.store().create(&dup).await, Err(StoreError::Conflict(_))));
    assert_eq!(db.store().get(&c.id).await.unwrap().unwrap().mentor_id, "mentor-42");
}

#[tokio::test]
async fn a_renewal_counts_and_a_plain_update_does_not() {
    let db = TestDb::start().await;
    let c = seed_one(&db).await;
    let later = t("2026-03-27T09:00:00Z");

    let renewed = db.store().update(&c.id, &renew_to("2027-09-01T00:00:00Z"), later).await.unwrap();
    assert_eq!(renewed.renewal_count, 1);
    assert_eq!(renewed.renewal_history, [RenewalEntry { renewed_at: later, expires_at: t("2027-09-01T00:00:00Z") }]);
    assert_eq!(renewed.expires_at, t("2027-09-01T00:00:00Z"));
    assert_eq!(renewed.updated_at, later);
    assert_eq!(renewed.created_at, c.created_at);

    // Same expiry again, an earlier expiry, or other fields: plain updates.
    let same = db.store().update(&c.id, &renew_to("2027-09-01T00:00:00Z"), later).await.unwrap();
    assert_eq!(same.renewal_count, 1);
    let earlier = db.store().update(&c.id, &renew_to("2027-06-01T00:00:00Z"), later).await.unwrap();
    assert_eq!((earlier.renewal_count, earlier.expires_at), (1, t("2027-06-01T00:00:00Z")));
    let patch = CertificationPatch {
        cert_type: Some("peer_mentor_level_3".into()),
        mentor_name: Some(Some("Lars".into())),
        issued_at: Some(t("2025-10-01T00:00:00Z")),
        ..Default::default()
    };
    let plain = db.store().update(&c.id, &patch, later).await.unwrap();
    assert_eq!(plain.renewal_count, 1);
    assert_eq!(plain.renewal_history.len(), 1);
    assert_eq!(plain.cert_type, "peer_mentor_level_3");
    assert_eq!(plain.mentor_name.as_deref(), Some("Lars"));
    assert_eq!(plain.issued_at, t("2025-10-01T00:00:00Z"));

    let cleared = db
        .store()
        .update(&c.id, &CertificationPatch { mentor_name: Some(None), ..Default::default() }, later)
        .await
        .unwrap();
    assert_eq!(cleared.mentor_name, None);
    assert_eq!(db.store().get(&c.id).await.unwrap().unwrap(), cleared);
}

#[tokio::test]
async fn a_renewal_turns_expired_back_to_active_but_keeps_a_suspension() {
    let db = TestDb::start().await;
    let c = seed_one(&db).await;
    let after_expiry = t("2026-10-01T00:00:00Z");
    assert!(db.store().mark_expired(&c, after_expiry).await.unwrap());
    assert_eq!(db.store().get(&c.id).await.unwrap().unwrap().status, Status::Expired);

    let renewed = db.store().update(&c.id, &renew_to("2027-10-01T00:00:00Z"), after_expiry).await.unwrap();
    assert_eq!(renewed.status, Status::Active);
    assert_eq!(renewed.renewal_count, 1);
    // Back in the expiring index: it shows up in a window that covers its new expiry.
    let page = db.store().expiring(t("2027-09-15T00:00:00Z"), 30, PageRequest { page: 1, limit: 20 }).await.unwrap();
    assert_eq!(page.items.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [c.id.as_str()]);

    let suspend = CertificationPatch { status: Some(Status::Suspended), ..Default::default() };
    db.store().update(&c.id, &suspend, after_expiry).await.unwrap();
    let renewed = db.store().update(&c.id, &renew_to("2028-10-01T00:00:00Z"), after_expiry).await.unwrap();
    assert_eq!((renewed.status, renewed.renewal_count), (Status::Suspended, 2));
    // Suspended items are not in the active index.
    let page = db.store().expiring(t("2028-09-15T00:00:00Z"), 30, PageRequest { page: 1, limit: 20 }).await.unwrap();
    assert!(page.items.is_empty());
}

#[tokio::test]
async fn revoked_is_final() {
    let db = TestDb::start().await;
    let c = seed_one(&db).await;
    let revoke = CertificationPatch { status: Some(Status::Revoked), ..Default::default() };
    let revoked = db.store().update(&c.id, &revoke, t(NOW)).await.unwrap();
    assert_eq!(revoked.status, Status::Revoked);
    for patch in [
        renew_to("2030-01-01T00:00:00Z"),
        CertificationPatch { status: Some(Status::Active), ..Default::default() },
        CertificationPatch { cert_type: Some("x".into()), ..Default::default() },
    ] {
        assert!(matches!(db.store().update(&c.id, &patch, t(NOW)).await, Err(StoreError::Conflict(_))));
    }
    assert_eq!(db.store().get(&c.id).await.unwrap().unwrap(), revoked);
}

#[tokio::test]
async fn updates_keep_expiry_after_issue_against_the_stored_values() {
    let db = TestDb::start().await;
    let c = seed_one(&db).await; // issued 2025-09-01, expires 2026-09-01
    let bad_issue = CertificationPatch { issued_at: Some(t("2026-09-01T00:00:00Z")), ..Default::default() };
    match db.store().update(&c.id, &bad_issue, t(NOW)).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e[0].field, "issued_at"),
        other => panic!("{other:?}"),
    }
    match db.store().update(&c.id, &renew_to("2025-08-01T00:00:00Z"), t(NOW)).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e[0].field, "expires_at"),
        other => panic!("{other:?}"),
    }
    assert_eq!(db.store().get(&c.id).await.unwrap().unwrap(), c);
    assert!(matches!(
        db.store().update("cert-nope", &renew_to("2030-01-01T00:00:00Z"), t(NOW)).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_identical_renewals_count_once() {
    let db = TestDb::start().await;
    let c = seed_one(&db).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = db.store();
            let id = c.id.clone();
            tokio::spawn(async move {
                store.update(&id, &renew_to("2027-09-01T00:00:00Z"), t("2026-03-27T00:00:00Z")).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let got = db.store().get(&c.id).await.unwrap().unwrap();
    assert_eq!(got.renewal_count, 1);
    assert_eq!(got.renewal_history.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_distinct_renewals_keep_count_equal_to_history() {
    let db = TestDb::start().await;
    let c = seed_one(&db).await;
    let base = t("2027-01-01T00:00:00Z");
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let store = db.store();
            let id = c.id.clone();
            let patch = CertificationPatch { expires_at: Some(base + TimeDelta::days(i)), ..Default::default() };
            tokio::spawn(async move { store.update(&id, &patch, t("2026-03-27T00:00:00Z")).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let got = db.store().get(&c.id).await.unwrap().unwrap();
    assert!(got.renewal_count >= 1);
    assert_eq!(got.renewal_count as usize, got.renewal_history.len());
    // Every recorded renewal is one of the thirty requested expiries; a PUT whose expiry was
    // not later than the stored one at that moment was a plain update and recorded nothing.
    let requested: Vec<_> = (0..30).map(|i| base + TimeDelta::days(i)).collect();
    assert!(got.renewal_history.iter().all(|r| requested.contains(&r.expires_at)));
    assert!(requested.contains(&got.expires_at));
}

#[tokio::test]
async fn delete_returns_the_record_and_unknown_ids_are_not_found() {
    let db = TestDb::start().await;
    let c = seed_one(&db).await;
    assert_eq!(db.store().delete(&c.id).await.unwrap(), c);
    assert!(db.store().get(&c.id).await.unwrap().is_none());
    assert!(matches!(db.store().delete(&c.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(db.store().delete("cert-never").await, Err(StoreError::NotFound(_))));
}
