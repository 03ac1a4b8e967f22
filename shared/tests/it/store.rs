//! The DynamoDB store against a real DynamoDB API: embedded dynoxide by default, or the
//! endpoint in `AWS_ENDPOINT_URL_DYNAMODB` (see the README for moto).
use chrono::{DateTime, TimeDelta, Utc};
use shared::domain::ids::new_certification_id;
use shared::domain::{Certification, RenewalEntry, Status};
use shared::domain::{CertificationPatch, NewCertification};
use shared::domain::{Clock, FixedClock};
use shared::store::{ListFilter, PageRequest, StoreError};
use shared::testing::StoreExt;
use shared::testing::TestDb;

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
    let page = db
        .store()
        .expiring(t("2027-09-15T00:00:00Z"), 30, &PageRequest { page: 1, limit: 20, after: None, numbered: true })
        .await
        .unwrap();
    assert_eq!(page.items.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [c.id.as_str()]);

    let suspend = CertificationPatch { status: Some(Status::Suspended), ..Default::default() };
    db.store().update(&c.id, &suspend, after_expiry).await.unwrap();
    let renewed = db.store().update(&c.id, &renew_to("2028-10-01T00:00:00Z"), after_expiry).await.unwrap();
    assert_eq!((renewed.status, renewed.renewal_count), (Status::Suspended, 2));
    // Suspended items are not in the active index.
    let page = db
        .store()
        .expiring(t("2028-09-15T00:00:00Z"), 30, &PageRequest { page: 1, limit: 20, after: None, numbered: true })
        .await
        .unwrap();
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
        Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "issued_at"),
        other => panic!("{other:?}"),
    }
    match db.store().update(&c.id, &renew_to("2025-08-01T00:00:00Z"), t(NOW)).await {
        Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "expires_at"),
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
    // moto applies racing conditional writes without a lock (see TestDb::atomic_conditions):
    // there only "count equals history" can hold.
    if db.atomic_conditions() {
        assert_eq!(got.renewal_count, 1);
    }
    assert_eq!(got.renewal_history.len(), got.renewal_count as usize);
    assert!(got.renewal_count >= 1);
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

fn page(page: u32, limit: u32) -> PageRequest {
    PageRequest { page, limit, after: None, numbered: true }
}

fn ids(items: &[Certification]) -> Vec<&str> {
    items.iter().map(|c| c.id.as_str()).collect()
}

/// Twelve certifications with fixed ids, created one minute apart (`c00` oldest), two
/// mentors, two types; `c03` suspended, `c04` revoked, `c05` already past expiry.
async fn seed_list(db: &TestDb) -> Vec<Certification> {
    let base = t("2026-01-01T00:00:00Z");
    let mut out = Vec::new();
    for i in 0..12i64 {
        let mentor = if i % 2 == 0 { "mentor-a" } else { "mentor-b" };
        let cert_type = if i % 3 == 0 { "level_1" } else { "level_2" };
        let expires = if i == 5 { "2026-02-01T00:00:00Z" } else { "2027-01-01T00:00:00Z" };
        let n = new_cert(mentor, cert_type, "2025-12-01T00:00:00Z", expires);
        let c = Certification::new(format!("cert-c{i:02}"), n, base + TimeDelta::minutes(i));
        db.store().create(&c).await.unwrap();
        out.push(c);
    }
    let now = t(NOW);
    for (i, st) in [(3, Status::Suspended), (4, Status::Revoked)] {
        let p = CertificationPatch { status: Some(st), ..Default::default() };
        out[i] = db.store().update(&out[i].id, &p, now).await.unwrap();
    }
    out
}

#[tokio::test]
async fn list_is_newest_first_with_page_limit_and_total() {
    let db = TestDb::start().await;
    seed_list(&db).await;
    let now = t(NOW);
    let all = ListFilter::default();
    let p1 = db.store().list(&all, now, &page(1, 5)).await.unwrap();
    assert_eq!(ids(&p1.items), ["cert-c11", "cert-c10", "cert-c09", "cert-c08", "cert-c07"]);
    assert_eq!(p1.total, 12);
    let p2 = db.store().list(&all, now, &page(2, 5)).await.unwrap();
    assert_eq!(ids(&p2.items), ["cert-c06", "cert-c05", "cert-c04", "cert-c03", "cert-c02"]);
    let p3 = db.store().list(&all, now, &page(3, 5)).await.unwrap();
    assert_eq!((ids(&p3.items), p3.total), (vec!["cert-c01", "cert-c00"], 12));
    let past = db.store().list(&all, now, &page(4, 5)).await.unwrap();
    assert_eq!((past.items.len(), past.total), (0, 12));
    let whole = db.store().list(&all, now, &page(1, 100)).await.unwrap();
    assert_eq!(whole.items.len(), 12);
}

#[tokio::test]
async fn list_filters_by_mentor_type_and_effective_status() {
    let db = TestDb::start().await;
    seed_list(&db).await;
    let now = t(NOW);
    let list = |f: ListFilter| {
        let store = db.store();
        async move { store.list(&f, now, &page(1, 100)).await.unwrap() }
    };

    let a = list(ListFilter { mentor_id: Some("mentor-a".into()), ..Default::default() }).await;
    assert_eq!(ids(&a.items), ["cert-c10", "cert-c08", "cert-c06", "cert-c04", "cert-c02", "cert-c00"]);
    assert_eq!(a.total, 6);

    let l1 = list(ListFilter { cert_type: Some("level_1".into()), ..Default::default() }).await;
    assert_eq!(ids(&l1.items), ["cert-c09", "cert-c06", "cert-c03", "cert-c00"]);

    let b_l2 = list(ListFilter {
        mentor_id: Some("mentor-b".into()),
        cert_type: Some("level_2".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&b_l2.items), ["cert-c11", "cert-c07", "cert-c05", "cert-c01"]);

    // c05 is stored active but past its expiry: it is reported, filtered and counted as expired.
    let expired = list(ListFilter { status: Some(Status::Expired), ..Default::default() }).await;
    assert_eq!((ids(&expired.items), expired.total), (vec!["cert-c05"], 1));
    let active = list(ListFilter { status: Some(Status::Active), ..Default::default() }).await;
    assert_eq!(active.total, 9);
    assert!(!ids(&active.items).iter().any(|id| ["cert-c03", "cert-c04", "cert-c05"].contains(id)));
    let suspended = list(ListFilter { status: Some(Status::Suspended), ..Default::default() }).await;
    assert_eq!(ids(&suspended.items), ["cert-c03"]);
    let revoked =
        list(ListFilter { status: Some(Status::Revoked), mentor_id: Some("mentor-a".into()), ..Default::default() })
            .await;
    assert_eq!(ids(&revoked.items), ["cert-c04"]);
    let none =
        list(ListFilter { status: Some(Status::Revoked), mentor_id: Some("mentor-b".into()), ..Default::default() })
            .await;
    assert_eq!((none.items.len(), none.total), (0, 0));

    // Filtered pages: page 2 of the active ones, size 4.
    let p2 = db
        .store()
        .list(&ListFilter { status: Some(Status::Active), ..Default::default() }, now, &page(2, 4))
        .await
        .unwrap();
    assert_eq!((ids(&p2.items), p2.total), (vec!["cert-c07", "cert-c06", "cert-c02", "cert-c01"], 9));
}

#[tokio::test]
async fn ties_on_the_sort_key_are_ordered_by_id_across_page_boundaries() {
    let db = TestDb::start().await;
    // Seven certifications created in the same second, and one expiring at the same instant.
    for i in [3, 0, 6, 1, 5, 2, 4] {
        let n = new_cert("mentor-t", "level_1", "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z");
        let c = Certification::new(format!("cert-t{i}"), n, t(NOW));
        db.store().create(&c).await.unwrap();
    }
    let f = ListFilter::default();
    let mut seen = Vec::new();
    for p in 1..=3 {
        let got = db.store().list(&f, t(NOW), &page(p, 3)).await.unwrap();
        assert_eq!(got.total, 7);
        seen.extend(got.items.into_iter().map(|c| c.id));
    }
    assert_eq!(seen, ["cert-t6", "cert-t5", "cert-t4", "cert-t3", "cert-t2", "cert-t1", "cert-t0"]);
    let mut seen = Vec::new();
    for p in 1..=3 {
        let got = db.store().expiring(t(NOW), 30, &page(p, 3)).await.unwrap();
        assert_eq!(got.total, 7);
        seen.extend(got.items.into_iter().map(|c| c.id));
    }
    assert_eq!(seen, ["cert-t0", "cert-t1", "cert-t2", "cert-t3", "cert-t4", "cert-t5", "cert-t6"]);
}

#[tokio::test]
async fn expiring_window_boundaries_are_now_exclusive_and_now_plus_days_inclusive() {
    let db = TestDb::start().await;
    let now = "2026-03-26T10:00:00Z";
    let cases = [
        ("cert-at-now", "2026-03-26T10:00:00Z", false),
        ("cert-one-second-after-now", "2026-03-26T10:00:01Z", true),
        ("cert-at-window-end", "2026-04-25T10:00:00Z", true),
        ("cert-one-second-after-end", "2026-04-25T10:00:01Z", false),
        ("cert-already-expired", "2026-03-01T00:00:00Z", false),
        ("cert-mid-window", "2026-04-10T00:00:00Z", true),
    ];
    for (id, expires, _) in cases {
        let n = new_cert("mentor-w", "level_1", "2025-01-01T00:00:00Z", expires);
        db.store().create(&Certification::new(id.into(), n, t(now))).await.unwrap();
    }
    // A suspended one inside the window is not listed.
    let n = new_cert("mentor-w", "level_1", "2025-01-01T00:00:00Z", "2026-04-01T00:00:00Z");
    db.store().create(&Certification::new("cert-suspended".into(), n, t(now))).await.unwrap();
    let p = CertificationPatch { status: Some(Status::Suspended), ..Default::default() };
    db.store().update("cert-suspended", &p, t(now)).await.unwrap();

    let got = db.store().expiring(t(now), 30, &page(1, 100)).await.unwrap();
    assert_eq!(ids(&got.items), ["cert-one-second-after-now", "cert-mid-window", "cert-at-window-end"]);
    assert_eq!(got.total, 3);
    let listed: Vec<_> = cases.iter().filter(|c| c.2).map(|c| c.0).collect();
    assert!(listed.iter().all(|id| ids(&got.items).contains(id)));
    // One day: only the item one second after now.
    let got = db.store().expiring(t(now), 1, &page(1, 100)).await.unwrap();
    assert_eq!(ids(&got.items), ["cert-one-second-after-now"]);
}

#[tokio::test]
async fn single_item_operations_make_a_constant_few_requests() {
    let db = TestDb::start().await;
    let store = db.store();
    let c = Certification::new(
        new_certification_id(),
        new_cert("mentor-42", "level_1", "2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        t(NOW),
    );
    let (r, n) = db.counter.measure(store.create(&c)).await;
    r.unwrap();
    // The Put and its count updates: one transaction.
    assert_eq!((n.total(), n.of("TransactWriteItems")), (1, 1));
    let (r, n) = db.counter.measure(store.get(&c.id)).await;
    r.unwrap();
    assert_eq!((n.total(), n.of("GetItem")), (1, 1));
    let (r, n) = db.counter.measure(store.update(&c.id, &renew_to("2028-01-01T00:00:00Z"), t(NOW))).await;
    r.unwrap();
    // Was (1 UpdateItem): a renewal of an `active` record now moves its expiry counts (issue
    // 18, `/expiring`'s total), which depend on the stored expires_at: read, one transaction
    // (the record and its day/month/year buckets), read back. Still a constant.
    assert_eq!((n.total(), n.of("GetItem"), n.of("TransactWriteItems")), (3, 2, 1));
    let plain = CertificationPatch { mentor_name: Some(Some("Ada".into())), ..Default::default() };
    let (r, n) = db.counter.measure(store.update(&c.id, &plain, t(NOW))).await;
    r.unwrap();
    assert_eq!((n.total(), n.of("UpdateItem")), (1, 1));
    // A type change moves counts: read, one transaction, read back.
    let moved = CertificationPatch { cert_type: Some("level_2".into()), ..Default::default() };
    let (r, n) = db.counter.measure(store.update(&c.id, &moved, t(NOW))).await;
    assert_eq!(r.unwrap().cert_type, "level_2");
    assert_eq!((n.total(), n.of("GetItem"), n.of("TransactWriteItems")), (3, 2, 1));
    let (r, n) = db.counter.measure(store.delete(&c.id)).await;
    r.unwrap();
    assert_eq!((n.total(), n.of("GetItem"), n.of("TransactWriteItems")), (2, 1, 1));
}

#[tokio::test]
async fn the_expiring_query_reads_only_its_window() {
    let db = TestDb::start().await;
    let store = db.store();
    let now = t(NOW);
    // 40 far in the future, 10 already expired, 6 in the 30-day window.
    for i in 0..56i64 {
        let expires = match i {
            0..=39 => now + TimeDelta::days(400 + i),
            40..=49 => now - TimeDelta::days(i),
            _ => now + TimeDelta::days(i - 45),
        };
        let n = NewCertification { expires_at: expires, ..new_cert("m", "level_1", "2020-01-01T00:00:00Z", NOW) };
        store.create(&Certification::new(format!("cert-e{i:02}"), n, now)).await.unwrap();
    }
    // The whole window fits one page: one Query per shard, reading the six items only.
    let (r, n) = db.counter.measure(store.expiring(now, 30, &page(1, 20))).await;
    let got = r.unwrap();
    assert_eq!((got.items.len(), got.total), (6, 6));
    assert_eq!((n.total(), n.of("Query"), n.query_scanned), (4, 4, 6));
    // A page inside a larger window: the page read (a share of it per shard, refilled at
    // most once) plus a COUNT of the window per shard.
    let (r, n) = db.counter.measure(store.expiring(now, 30, &page(1, 2))).await;
    let got = r.unwrap();
    assert_eq!((ids(&got.items), got.total), (vec!["cert-e50", "cert-e51"], 6));
    assert!((8..=12).contains(&n.of("Query")), "{n:?}");
    assert!(n.query_scanned <= 6 + 6, "read {} items", n.query_scanned);
}

#[tokio::test]
async fn the_expiry_scan_query_returns_stored_active_items_due_now() {
    let db = TestDb::start().await;
    let store = db.store();
    let now = t(NOW);
    for (id, expires) in
        [("cert-due-1", "2026-03-01T00:00:00Z"), ("cert-due-2", NOW), ("cert-later", "2026-03-26T10:00:01Z")]
    {
        let n = new_cert("m", "level_1", "2020-01-01T00:00:00Z", expires);
        // Created before they fell due (one created already past is stored `expired`).
        store.create(&Certification::new(id.into(), n, t("2026-01-01T00:00:00Z"))).await.unwrap();
    }
    let (due, pages) = due_all(&store, now, 100).await;
    assert_eq!(ids(&due), ["cert-due-1", "cert-due-2"]);
    // One page per shard of the index.
    assert_eq!(pages, 4);
    // Paged one at a time: no page holds more, nothing is lost.
    let (one_by_one, pages) = due_all(&store, now, 1).await;
    assert_eq!(ids(&one_by_one), ["cert-due-1", "cert-due-2"]);
    // (At least one page per shard; DynamoDB also ends a full page with a LastEvaluatedKey
    // when nothing follows, moto does not.)
    assert!(pages >= 4, "{pages} pages");
    // Once flipped it leaves the index; a stale read (wrong expires_at) does not flip.
    assert!(store.mark_expired(&due[0], now).await.unwrap());
    let mut stale = due[1].clone();
    stale.expires_at = t("2026-01-01T00:00:00Z");
    assert!(!store.mark_expired(&stale, now).await.unwrap());
    let (due, _) = due_all(&store, now, 100).await;
    assert_eq!(ids(&due), ["cert-due-2"]);
    let flipped = store.get("cert-due-1").await.unwrap().unwrap();
    assert_eq!((flipped.status, flipped.updated_at), (Status::Expired, now));
}

/// Every page of the expiry scan's due query (across the index's shards), by id, and how
/// many pages that took.
async fn due_all(store: &shared::Store, now: DateTime<Utc>, page_size: i32) -> (Vec<Certification>, usize) {
    let pages = shared::testing::every_page(|start| store.due_for_expiry(now, page_size, start)).await;
    assert!(pages.iter().all(|p| p.len() <= page_size as usize));
    let count = pages.len();
    let mut out: Vec<Certification> = pages.into_iter().flatten().collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    (out, count)
}

#[tokio::test]
async fn a_malformed_item_is_an_error_not_a_panic() {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    let db = TestDb::start().await;
    let item = [
        ("id", V::S("cert-bad".into())),
        ("all_pk", V::S(format!("all#{}", shared::store::table::list_shard("cert-bad")))),
        ("created_key", V::S("2026-01-01T00:00:00Z#cert-bad".into())),
        ("mentor_id", V::S("m".into())),
        ("created_at", V::S("not a date".into())),
        ("status", V::S("dormant".into())),
        ("renewal_count", V::S("many".into())),
    ];
    let mut put = db.client.put_item().table_name(&db.table);
    for (k, v) in item {
        put = put.item(k, v);
    }
    put.send().await.unwrap();
    assert!(matches!(db.store().get("cert-bad").await, Err(StoreError::Corrupt(_))));

    // The expiry scan's query skips it (and logs it) instead of stalling on it.
    let due = seed_one(&db).await;
    db.client
        .update_item()
        .table_name(&db.table)
        .key("id", V::S("cert-bad".into()))
        .update_expression("SET active_pk = :a, expires_at = :e, expiry_key = :e")
        .expression_attribute_values(":a", V::S(format!("active#{}", shared::store::table::list_shard("cert-bad"))))
        .expression_attribute_values(":e", V::S("2026-01-01T00:00:00Z".into()))
        .send()
        .await
        .unwrap();
    let (items, _) = due_all(&db.store(), t("2026-12-01T00:00:00Z"), 100).await;
    assert_eq!(ids(&items), [due.id.as_str()]);
    assert!(matches!(db.store().list(&ListFilter::default(), t(NOW), &page(1, 20)).await, Err(StoreError::Corrupt(_))));
    let renewal = db.store().update("cert-bad", &renew_to("2030-01-01T00:00:00Z"), t(NOW)).await;
    assert!(matches!(renewal, Err(StoreError::Corrupt(_))), "{renewal:?}");
    assert!(matches!(db.store().delete("cert-bad").await, Err(StoreError::Corrupt(_))));
}

#[tokio::test]
async fn migrate_writes_nothing_to_items_already_current() {
    let db = TestDb::start().await;
    let store = db.store();
    let active = seed_one(&db).await;
    let suspended =
        create(&db, new_cert("mentor-9", "level_1", "2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z"), NOW).await;
    let patch = CertificationPatch { status: Some(Status::Suspended), ..Default::default() };
    store.update(&suspended.id, &patch, t(NOW)).await.unwrap();
    let before = (store.get(&active.id).await.unwrap(), store.get(&suspended.id).await.unwrap());

    for _ in 0..2 {
        let (report, sent) = db.counter.measure(store.migrate()).await;
        let report = report.unwrap();
        assert_eq!((report.certifications, report.current, report.updated, report.raced), (2, 2, 0, 0));
        // Only the Scan: no UpdateItem (nor anything else) for an item already current.
        assert_eq!(sent.of("UpdateItem"), 0, "{sent:?}");
        assert_eq!(sent.total(), sent.of("Scan"), "{sent:?}");
    }
    assert_eq!((store.get(&active.id).await.unwrap(), store.get(&suspended.id).await.unwrap()), before);
}
