//! `/expiring`'s total (issue 18, point 3): exact, from the expiry counts (whole days,
//! months and years) and COUNTs over only the window's two partial edge days, so it costs
//! the same for `days=3650` as for `days=30`, whatever the table holds.
use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;
use shared::domain::{Certification, CertificationPatch, NewCertification, Status};
use shared::store::expiry_counts::{Bucket, ExpiryKey};
use shared::store::{PageRequest, Store};
use shared::testing::{at, Counts, StoreExt, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";

fn new_at(i: usize, expires: DateTime<Utc>) -> Certification {
    let n = NewCertification {
        mentor_id: format!("mentor-{}", i % 50),
        mentor_name: None,
        cert_type: ["level_1", "level_2"][i % 2].into(),
        issued_at: at("2020-01-01T00:00:00Z"),
        expires_at: expires,
    };
    Certification::new(format!("cert-x{i:05}"), n, at(NOW))
}

async fn create_all(store: &Store, certs: &[Certification]) {
    let results: Vec<_> = futures::stream::iter(certs).map(|c| store.create(c)).buffer_unordered(16).collect().await;
    assert!(results.iter().all(Result::is_ok));
}

/// Stored `active` with `now < expires_at <= now + days`, from the records themselves.
async fn brute_force(store: &Store, ids: &[String], now: DateTime<Utc>, days: i64) -> u64 {
    let mut n = 0;
    for id in ids {
        if let Some(c) = store.get(id).await.unwrap() {
            n += u64::from(
                c.status == Status::Active && c.expires_at > now && c.expires_at <= now + TimeDelta::days(days),
            );
        }
    }
    n
}

/// The window's total and what reading one page of it sent.
async fn expiring(db: &TestDb, now: DateTime<Utc>, days: u32) -> (u64, Counts) {
    let page = PageRequest { page: 1, limit: 20, after: None, numbered: true };
    let store = db.store();
    let (r, n) = db.counter.measure(store.expiring(now, days, &page)).await;
    (r.unwrap().total, n)
}

/// The bound on one `/expiring` page with its total, whatever `days` (up to 3650) and the
/// table: the page's Queries (one per index shard, refilled at most once: 8), the COUNTs of
/// the two edge days (one per shard each: 8) and the BatchGetItems of at most 92 buckets × 16
/// shards (1,472 keys: 15). Items read: the page's (at most 2 × 20 per shard), the two edge
/// days' expiries, and the bucket items that exist (at most 1,472).
const MAX_REQUESTS: usize = 8 + 8 + 15;

async fn seed(db: &TestDb, certs: &[Certification]) {
    db.put_stored(certs).await.unwrap();
}

#[tokio::test]
async fn the_total_costs_the_same_for_30_and_3650_days_and_does_not_grow_with_the_data() {
    let db = TestDb::start().await;
    let now = at(NOW);
    // 2,500 records spread evenly over ten years, then 2,500 more between them: 5,000 over ten
    // years, and the cost at half the data (seeding 10,000 made this test ~85 s in debug).
    let spread = |i: usize, offset: i64| now + TimeDelta::seconds(1 + offset + (i as i64) * 3650 * 86_400 / 2500);
    let mut all: Vec<_> = (0..2500).map(|i| new_at(i, spread(i, 0))).collect();
    seed(&db, &all).await;
    let mut seen = Vec::new();
    for round in [2500, 5000] {
        if round == 5000 {
            let second: Vec<_> = (0..2500).map(|i| new_at(2500 + i, spread(i, 3 * 3600))).collect();
            seed(&db, &second).await;
            all.extend(second);
        }
        for days in [30u32, 3650] {
            let (got, n) = expiring(&db, now, days).await;
            let end = now + TimeDelta::days(i64::from(days));
            let want = all.iter().filter(|c| c.expires_at > now && c.expires_at <= end).count() as u64;
            assert_eq!(got, want, "days={days}");
            assert!(n.total() <= MAX_REQUESTS, "days={days}: {n:?}");
            seen.push((days, round, got, n.total(), n.items_read(), n.query_scanned, n.batch_got));
        }
    }
    eprintln!("(days, records, total, requests, items read, query scanned, bucket items) {seen:#?}");
    for (days, records, _, requests, items, scanned, _) in &seen {
        // The page (≤ 2 × 20 per shard: 160), the edge days (≤ 2 × the densest day: 3 here)
        // and the bucket items (≤ 1,472).
        assert!(*items <= 160 + 2 * 3 + 1472, "days={days} records={records}: {items}");
        assert!(*scanned <= 160 + 2 * 3, "days={days} records={records}: {scanned}");
        assert!(*requests <= MAX_REQUESTS);
    }
    // Doubling the data adds no request, for either window.
    assert_eq!(seen[0].3, seen[2].3);
    assert_eq!(seen[1].3, seen[3].3);
}

#[tokio::test]
async fn the_total_stays_exact_through_renewals_flips_status_changes_and_deletes() {
    let db = TestDb::start().await;
    let store = db.store();
    let now = at(NOW);
    // 120 records over three years, 10 of them due within two days.
    let certs: Vec<_> = (0..120)
        .map(|i| {
            let expires =
                if i < 10 { now + TimeDelta::hours(1 + i as i64 * 4) } else { now + TimeDelta::hours(i as i64 * 220) };
            new_at(i, expires)
        })
        .collect();
    create_all(&store, &certs).await;
    let ids: Vec<String> = certs.iter().map(|c| c.id.clone()).collect();
    let check = |now: DateTime<Utc>, label: &'static str| {
        let (db, store, ids) = (&db, &store, &ids);
        async move {
            for days in [1u32, 2, 30, 365, 1000, 3650] {
                let want = brute_force(store, ids, now, i64::from(days)).await;
                // A page of one: the total comes from the counts, not from a page that read it all.
                let one = PageRequest { page: 1, limit: 1, after: None, numbered: true };
                assert_eq!(db.store().expiring(now, days, &one).await.unwrap().total, want, "{label}: days={days}");
            }
        }
    };
    check(now, "created").await;
    let renew = |to: DateTime<Utc>| CertificationPatch { expires_at: Some(to), ..Default::default() };
    for (k, id) in ids.iter().enumerate().skip(10).step_by(7) {
        // Later (a renewal) or earlier (a plain update), across days, months and years.
        let to = if k % 2 == 0 { now + TimeDelta::days(400 + k as i64) } else { now + TimeDelta::days(3 + k as i64) };
        store.update(id, &renew(to), now).await.unwrap();
    }
    check(now, "renewed").await;
    for id in ids.iter().skip(11).step_by(9) {
        let suspend = CertificationPatch { status: Some(Status::Suspended), ..Default::default() };
        store.update(id, &suspend, now).await.unwrap();
    }
    check(now, "suspended").await;
    for id in ids.iter().skip(11).step_by(18) {
        // Reactivated, one of them with a new expires_at in the same request.
        let back = CertificationPatch { status: Some(Status::Active), ..Default::default() };
        store.update(id, &back, now).await.unwrap();
    }
    let both = CertificationPatch {
        status: Some(Status::Active),
        expires_at: Some(now + TimeDelta::days(77)),
        ..Default::default()
    };
    store.update(&ids[20], &both, now).await.unwrap();
    check(now, "reactivated").await;
    // Cut to a passed expires_at: stored expired at once, out of every window.
    store.update(&ids[12], &renew(now - TimeDelta::days(1)), now).await.unwrap();
    for id in ids.iter().skip(13).step_by(13) {
        store.delete(id).await.unwrap();
    }
    check(now, "deleted").await;
    // Two days later the scan flips the ten due records (and the ones cut short).
    let later = now + TimeDelta::days(2);
    let mut flipped = 0;
    for id in &ids {
        if let Some(c) = store.get(id).await.unwrap() {
            if c.status == Status::Active && c.expires_at <= later {
                flipped += u32::from(store.mark_expired(&c, later).await.unwrap());
            }
        }
    }
    assert_eq!(flipped, 10);
    check(later, "flipped").await;
    // recount finds every expiry count exact.
    let report = store.recount().await.unwrap();
    assert!(report.expiry_corrected.is_empty() && report.corrected.is_empty(), "{report:?}");
}

#[tokio::test]
async fn recount_rebuilds_the_expiry_counts() {
    let db = TestDb::start().await;
    let store = db.store();
    let now = at(NOW);
    let certs: Vec<_> = (0..3).map(|i| new_at(i, now + TimeDelta::days(100 + 40 * i as i64))).collect();
    create_all(&store, &certs).await;
    // One written around the store: counted nowhere until recount.
    let stray = new_at(9, now + TimeDelta::days(500));
    let item = shared::store::stored_item(&stray).unwrap();
    db.client.put_item().table_name(&db.table).set_item(Some(item)).send().await.unwrap();
    // A page of one, so the total comes from the counts (a page reading the whole window
    // counts what it read).
    let one = PageRequest { page: 1, limit: 1, after: None, numbered: true };
    assert_eq!(store.expiring(now, 3650, &one).await.unwrap().total, 3);
    let report = store.recount().await.unwrap();
    // Its day, month and year, global, of its type, of its mentor and of its mentor's type.
    assert_eq!(report.expiry_corrected.len(), 12, "{report:?}");
    assert!(report.expiry_corrected.iter().all(|d| d.actual == d.stored + 1));
    let (m, t) = (Some(stray.mentor_id.as_str()), Some(stray.cert_type.as_str()));
    for kind in [(None, None), (None, t), (m, None), (m, t)] {
        let of_kind = report
            .expiry_corrected
            .iter()
            .filter(|d| (d.key.mentor_id.as_deref(), d.key.cert_type.as_deref()) == kind)
            .count();
        assert_eq!(of_kind, 3, "{kind:?}: {report:?}");
    }
    assert_eq!(store.expiring(now, 3650, &one).await.unwrap().total, 4);
    assert!(store.recount().await.unwrap().expiry_corrected.is_empty(), "a second run finds nothing");
}

/// Every expiry count of `buckets` (global, of each of `types`, of each of `mentors` and of
/// each mentor's type) against the stored-`active` records of `ids` expiring in it.
async fn check_expiry_counts(
    store: &Store,
    ids: &[&str],
    mentors: &[&str],
    types: &[&str],
    buckets: &[Bucket],
    label: &str,
) {
    let mut records = Vec::new();
    for id in ids {
        records.extend(store.get(id).await.unwrap().filter(|c| c.status == Status::Active));
    }
    for m in std::iter::once(None).chain(mentors.iter().copied().map(Some)) {
        for t in std::iter::once(None).chain(types.iter().copied().map(Some)) {
            let of = |c: &&Certification| m.is_none_or(|m| c.mentor_id == m) && t.is_none_or(|t| c.cert_type == t);
            for b in buckets {
                let want = records.iter().filter(of).filter(|c| Bucket::of(c.expires_at).contains(b)).count() as i64;
                let got = store.expiry_counts_sum(m, t, &[*b]).await.unwrap();
                assert_eq!(got, want, "{label}: {m:?} {t:?} {b:?}");
            }
            // Several buckets at once sum them.
            let want = records.iter().filter(of).count() as i64;
            let years = [Bucket::Year(2026), Bucket::Year(2027)];
            assert_eq!(store.expiry_counts_sum(m, t, &years).await.unwrap(), want, "{label}: {m:?} {t:?} years");
        }
    }
}

#[tokio::test]
async fn typed_and_mentor_expiry_counts_follow_every_write_of_an_active_record() {
    let db = TestDb::start().await;
    let store = db.store();
    let now = at(NOW);
    let cert = |id: &str, mentor_id: &str, cert_type: &str, expires: &str| {
        let n = NewCertification {
            mentor_id: mentor_id.into(),
            mentor_name: None,
            cert_type: cert_type.into(),
            issued_at: at("2020-01-01T00:00:00Z"),
            expires_at: at(expires),
        };
        Certification::new(id.into(), n, now)
    };
    let (a, b) = ("level_1", "level_2");
    let (m1, m2) = ("mentor-1", "mentor-2");
    let ids = ["cert-t1", "cert-t2", "cert-t3", "cert-t4", "cert-t5"];
    // Every day, month and year any of them is stored active at, and some no record is.
    let days = ["2026-04-10", "2026-06-15", "2026-06-20", "2026-07-05", "2027-02-01", "2026-06-16"];
    let mut buckets: Vec<Bucket> = days.iter().flat_map(|d| Bucket::of(at(&format!("{d}T12:00:00Z")))).collect();
    buckets.sort();
    buckets.dedup();
    let check = |label: &'static str| {
        let (store, buckets) = (&store, &buckets);
        async move { check_expiry_counts(store, &ids, &[m1, m2, "mentor-x"], &[a, b, "other"], buckets, label).await }
    };
    store.create(&cert("cert-t1", m1, a, "2026-06-15T12:00:00Z")).await.unwrap();
    check("created a").await;
    store.create(&cert("cert-t2", m2, b, "2026-06-20T12:00:00Z")).await.unwrap();
    store.create(&cert("cert-t3", m1, a, "2026-04-10T08:00:00Z")).await.unwrap();
    store.create(&cert("cert-t4", m2, b, "2027-02-01T00:00:00Z")).await.unwrap();
    // The other mentor, on cert-t1's day and type: the mentors' counts of one bucket stay apart.
    store.create(&cert("cert-t5", m2, a, "2026-06-15T18:00:00Z")).await.unwrap();
    check("created b").await;
    // A type change alone: the global and mentor's buckets stay, the typed ones move a -> b.
    let to_b = CertificationPatch { cert_type: Some(b.into()), ..Default::default() };
    let (r, n) = db.counter.measure(store.update("cert-t1", &to_b, now)).await;
    assert_eq!(r.unwrap().cert_type, b);
    assert_eq!(n.of("TransactWriteItems"), 1, "{n:?}");
    check("type a -> b").await;
    // A renewal across a month, with a type change at once (b -> a).
    let renew = CertificationPatch {
        expires_at: Some(at("2026-07-05T12:00:00Z")),
        cert_type: Some(a.into()),
        ..Default::default()
    };
    assert_eq!(store.update("cert-t2", &renew, now).await.unwrap().renewal_count, 1);
    check("renewed").await;
    // A renewal into another year with a type change: the largest write (29 items).
    let far = CertificationPatch {
        expires_at: Some(at("2027-02-01T12:00:00Z")),
        cert_type: Some(a.into()),
        ..Default::default()
    };
    assert_eq!(store.update("cert-t3", &far, now).await.unwrap().renewal_count, 1);
    check("renewed into 2027").await;
    let suspend = CertificationPatch { status: Some(Status::Suspended), ..Default::default() };
    store.update("cert-t1", &suspend, now).await.unwrap();
    check("suspended").await;
    // A suspended record's type change moves nothing; reactivated, it enters under its new type.
    let to_a = CertificationPatch { cert_type: Some(a.into()), ..Default::default() };
    store.update("cert-t1", &to_a, now).await.unwrap();
    check("suspended, retyped").await;
    let back = CertificationPatch { status: Some(Status::Active), ..Default::default() };
    store.update("cert-t1", &back, now).await.unwrap();
    check("reactivated").await;
    // The scan's flip takes cert-t5 out of m2's and a's buckets.
    let later = at("2026-06-16T00:00:00Z");
    let due = store.get("cert-t5").await.unwrap().unwrap();
    assert!(store.mark_expired(&due, later).await.unwrap());
    check("flipped").await;
    store.delete("cert-t4").await.unwrap();
    check("deleted").await;
    let report = store.recount().await.unwrap();
    assert!(report.expiry_corrected.is_empty() && report.corrected.is_empty(), "{report:?}");
    // What is left: cert-t1 (m1, a, 2026-06-15), cert-t2 (m2, a, 2026-07-05) and cert-t3
    // (m1, a, 2027-02-01), nothing of b.
    let year = [Bucket::Year(2026)];
    assert_eq!(store.expiry_counts_sum(None, Some(a), &year).await.unwrap(), 2);
    assert_eq!(store.expiry_counts_sum(None, Some(b), &year).await.unwrap(), 0);
    assert_eq!(
        store.expiry_counts_sum(None, None, &[Bucket::Month(2026, 6), Bucket::Month(2026, 7)]).await.unwrap(),
        2
    );
    let both = [Bucket::Year(2026), Bucket::Year(2027)];
    assert_eq!(store.expiry_counts_sum(Some(m1), None, &both).await.unwrap(), 2);
    assert_eq!(store.expiry_counts_sum(Some(m1), Some(a), &[Bucket::Year(2027)]).await.unwrap(), 1);
    assert_eq!(store.expiry_counts_sum(Some(m2), Some(a), &year).await.unwrap(), 1);
    assert_eq!(store.expiry_counts_sum(Some(m2), Some(b), &both).await.unwrap(), 0);
    // A mentor's expiry counts are one item each (shard 00), never sharded.
    let items = db.client.scan().table_name(&db.table).send().await.unwrap().items.unwrap_or_default();
    let keys: Vec<_> = items
        .iter()
        .filter_map(|i| i.get("id").and_then(|v| v.as_s().ok()).and_then(|id| ExpiryKey::parse(id)))
        .filter(|(k, _)| k.mentor_id.is_some())
        .collect();
    // 2 mentors × (day, month, year) × (every type and each), for every day either stood in.
    assert!(keys.len() >= 2 * 3 * 2, "{keys:?}");
    assert!(keys.iter().all(|(k, shard)| *shard == 0 && k.shards() == 1), "{keys:?}");
}
