//! The expiry scan at fixed clocks against a real DynamoDB API (embedded dynoxide, or the
//! endpoint in `AWS_ENDPOINT_URL_DYNAMODB`). The scan only writes; what it announces is read
//! from the table's stream through the publisher's translation ([`crate::announced`]).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeDelta, Utc};
use expiry_scan::{Deadline, NoDeadline, ScanOptions, Scanner, Summary, WallDeadline, DEADLINE_MARGIN};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};
use shared::domain::CertificationPatch;
use shared::domain::{Clock, FixedClock};
use shared::testing::StoreExt;
use shared::testing::TestDb;
use shared::{Certification, Status, Store};

use crate::announced::Announced;

const NOW: &str = "2026-03-26T10:00:00Z";
const DEFAULT_DAYS: [u32; 4] = [90, 60, 30, 7];

fn t(s: &str) -> DateTime<Utc> {
    FixedClock::at(s).now()
}

fn cert(id: &str, expires: &str, status: Status) -> Certification {
    let mut c = shared::testing::certification(id, expires);
    c.mentor_id = format!("mentor-of-{id}");
    c.mentor_name = Some("Ada Lovelace".into());
    c.status = status;
    c
}

fn options() -> ScanOptions {
    ScanOptions::new(DEFAULT_DAYS.to_vec())
}

/// `(detail-type, certification_id, threshold_days)` of an event.
type Brief = (String, String, Option<u64>);

fn brief(detail_type: &str, detail: &Value) -> Brief {
    let id = detail["certification_id"].as_str().unwrap_or_default().to_owned();
    (detail_type.to_owned(), id, detail["threshold_days"].as_u64())
}

fn expired(id: &str) -> Brief {
    ("certification.expired".into(), id.into(), None)
}

fn expiring(id: &str, days: u64) -> Brief {
    ("certification.expiring".into(), id.into(), Some(days))
}

fn sorted(mut v: Vec<Brief>) -> Vec<Brief> {
    v.sort();
    v
}

/// A table plus what its stream announced, read incrementally.
struct Env {
    db: TestDb,
    announced: Announced,
}

impl Env {
    async fn start() -> Self {
        let db = TestDb::start().await;
        let announced = Announced::of(&db).await;
        Self { db, announced }
    }

    fn store(&self) -> Store {
        self.db.store()
    }

    fn scanner_with(&self, now: &str, options: ScanOptions) -> Scanner {
        Scanner::new(self.store(), Arc::new(FixedClock::at(now)), options)
    }

    async fn scan(&self, now: &str) -> Summary {
        self.scanner_with(now, options()).run(&NoDeadline).await.expect("scan")
    }

    /// Creates `id`; its `certification.created` is read and dropped.
    async fn seed(&mut self, id: &str, expires: &str, status: Status) -> Certification {
        let c = cert(id, expires, status);
        self.store().create(&c).await.expect("seed");
        self.announced.new_events().await;
        c
    }

    async fn get(&self, id: &str) -> Certification {
        self.store().get(id).await.expect("get").expect("exists")
    }

    /// The whole events announced since the last call, in stream order.
    async fn new_events(&mut self) -> Vec<Value> {
        self.announced.new_events().await
    }

    /// Briefs of the scan's events (expired, expiring) since the last call, sorted.
    async fn new_briefs(&mut self) -> Vec<Brief> {
        sorted(
            self.announced
                .new_scan_events()
                .await
                .iter()
                .map(|e| brief(e["detail-type"].as_str().unwrap_or_default(), &e["detail"]))
                .collect(),
        )
    }
}

/// `pages` counts one per pass and shard of `active-by-expiry` (4 shards: 5 passes read 20
/// pages when each shard's slice fits one page).
fn summary(expired: u64, reminders: u64, pages: u64, remaining: u64, complete: bool) -> Summary {
    Summary { expired, reminders, pages, remaining, complete, ..Summary::default() }
}

// ---- Expiry -------------------------------------------------------------------------------

#[tokio::test]
async fn expiry_flips_exactly_the_due_items_and_announces_them() {
    let mut env = Env::start().await;
    let due_past = env.seed("cert-due-past", "2026-03-01T00:00:00Z", Status::Active).await;
    let due_now = env.seed("cert-due-now", NOW, Status::Active).await;
    let untouched = [
        env.seed("cert-next-second", "2026-03-26T10:00:01Z", Status::Active).await,
        env.seed("cert-far", "2027-01-01T00:00:00Z", Status::Active).await,
        env.seed("cert-suspended", "2026-03-01T00:00:00Z", Status::Suspended).await,
        env.seed("cert-revoked", "2026-03-01T00:00:00Z", Status::Revoked).await,
        env.seed("cert-expired", "2026-03-01T00:00:00Z", Status::Expired).await,
    ];

    // One expiry page, one page per reminder band.
    assert_eq!(env.scan(NOW).await, summary(2, 1, 20, 0, true));

    for c in [due_past, due_now] {
        let got = env.get(&c.id).await;
        assert_eq!(got, Certification { status: Status::Expired, updated_at: t(NOW), version: c.version + 1, ..c });
    }
    for c in untouched {
        assert_eq!(env.get(&c.id).await, c, "{} must not change", c.id);
    }
    let events = env.new_events().await;
    let due_now_event = events.iter().find(|e| e["detail"]["certification_id"] == "cert-due-now").unwrap();
    // The flip as written: the detail names the record after it (stored `expired`, version +1).
    assert_eq!(
        (&due_now_event["source"], &due_now_event["detail-type"], &due_now_event["detail"]["mentor_id"]),
        (&json!("certifications"), &json!("certification.expired"), &json!("mentor-of-cert-due-now"))
    );
    assert_eq!(
        (
            &due_now_event["detail"]["expires_at"],
            &due_now_event["detail"]["status"],
            &due_now_event["detail"]["version"]
        ),
        (&json!(NOW), &json!("expired"), &json!(2))
    );
    let briefs = sorted(events.iter().map(|e| brief(e["detail-type"].as_str().unwrap(), &e["detail"])).collect());
    assert_eq!(
        briefs,
        sorted(vec![expired("cert-due-past"), expired("cert-due-now"), expiring("cert-next-second", 7)])
    );
}

/// A renewal landing after the scan read the item and before it writes: the deadline is
/// checked right there (before each batch), so the check runs it. The page check before it
/// comes first; the renewal runs at the first batch check.
struct RenewBeforeTheFirstBatch {
    store: Store,
    id: String,
    new_expiry: DateTime<Utc>,
    at: DateTime<Utc>,
    calls: AtomicUsize,
    batch_call: usize,
}

impl Deadline for RenewBeforeTheFirstBatch {
    fn reached(&self) -> bool {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.batch_call {
            let patch = CertificationPatch { expires_at: Some(self.new_expiry), ..Default::default() };
            // `reached` is synchronous; the multi-threaded test runtime lets it wait here.
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(self.store.update(&self.id, &patch, self.at))
            })
            .expect("the racing renewal");
        }
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_racing_the_scan_wins() {
    let mut env = Env::start().await;
    env.seed("cert-racing", "2026-03-20T00:00:00Z", Status::Active).await;
    env.seed("cert-reminded", "2026-03-30T00:00:00Z", Status::Active).await;
    // The expiry pass reads the index's shards one page each; the one shard holding
    // cert-racing is the first with a batch, so the batch check follows its page check.
    let racing = RenewBeforeTheFirstBatch {
        store: env.store(),
        id: "cert-racing".into(),
        new_expiry: t("2027-03-20T00:00:00Z"),
        at: t(NOW),
        calls: AtomicUsize::new(0),
        batch_call: 2 + shard_pages_before("cert-racing"),
    };
    let scanner = Scanner::new(env.store(), Arc::new(FixedClock::at(NOW)), options());
    let s = scanner.run(&racing).await.unwrap();
    assert_eq!((s.expired, s.reminders, s.remaining, s.skipped), (0, 1, 0, 1));

    let renewed = env.get("cert-racing").await;
    assert_eq!(renewed.status, Status::Active, "the renewal is not overwritten by the scan");
    assert_eq!((renewed.expires_at, renewed.renewal_count), (t("2027-03-20T00:00:00Z"), 1));
    // Nothing was written for the cycle the scan saw, so nothing announces it: the stream
    // has the renewal, then the other item's reminder.
    let events: Vec<(String, String)> = env
        .new_events()
        .await
        .iter()
        .map(|e| {
            (
                e["detail-type"].as_str().unwrap().to_owned(),
                e["detail"]["certification_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("certification.renewed".into(), "cert-racing".into()),
            ("certification.expiring".into(), "cert-reminded".into())
        ]
    );

    // The renewed cycle is not due; the next run has nothing to do.
    assert_eq!(env.scan(NOW).await, summary(0, 0, 20, 0, true));
    assert!(env.new_events().await.is_empty());
}

/// How many of the expiry pass's shard pages come before the one holding `id` (each is read
/// with a deadline check; an empty page has no batch, so no batch check).
fn shard_pages_before(id: &str) -> usize {
    shared::store::table::list_shard(id) as usize
}

// ---- Reminders ----------------------------------------------------------------------------

/// `n` days before `expires` at 10:00 UTC.
fn days_before(expires: &str, n: i64) -> String {
    let day = t(expires).date_naive() - TimeDelta::days(n);
    shared::domain::timestamp::format(&day.and_hms_opt(10, 0, 0).unwrap().and_utc())
}

#[tokio::test]
async fn each_threshold_fires_once_and_a_rerun_emits_nothing() {
    let mut env = Env::start().await;
    let exp = "2026-06-20T12:00:00Z";
    env.seed("cert-walk", exp, Status::Active).await;
    // First seen inside several thresholds: only the tightest.
    env.seed("cert-late-7", "2026-03-31T00:00:00Z", Status::Active).await;
    env.seed("cert-late-30", "2026-04-20T00:00:00Z", Status::Active).await;

    let s = env.scan(&days_before(exp, 86)).await;
    assert_eq!((s.reminders, s.expired, s.remaining, s.complete), (3, 0, 0, true));
    assert_eq!(
        env.new_briefs().await,
        sorted(vec![expiring("cert-walk", 90), expiring("cert-late-7", 7), expiring("cert-late-30", 30)])
    );
    // Immediately again, and the next day: nothing new.
    for now in [days_before(exp, 86), days_before(exp, 85)] {
        assert_eq!(env.scan(&now).await.reminders, 0);
        assert!(env.new_briefs().await.is_empty());
    }

    let mut walk = Vec::new();
    for n in [61, 60, 60, 31, 30, 30, 8, 7, 7, 3, 0] {
        let s = env.scan(&days_before(exp, n)).await;
        let events = env.new_briefs().await;
        assert_eq!(s.reminders as usize, events.iter().filter(|b| b.1 == "cert-walk").count());
        walk.extend(events.into_iter().filter(|b| b.1 == "cert-walk").map(|b| (n, b.2)));
    }
    assert_eq!(walk, [(60, Some(60)), (30, Some(30)), (7, Some(7))]);
    assert_eq!(env.get("cert-walk").await.status, Status::Active);
    for late in ["cert-late-7", "cert-late-30"] {
        assert_eq!(env.get(late).await.status, Status::Expired, "{late} expired during the walk");
    }

    // At the expiry instant: the expiry notice, once.
    assert_eq!(env.scan(exp).await, summary(1, 0, 20, 0, true));
    assert_eq!(env.new_briefs().await, [expired("cert-walk")]);
    assert_eq!(env.scan("2026-06-21T10:00:00Z").await, summary(0, 0, 20, 0, true));
    assert!(env.new_briefs().await.is_empty());
}

#[tokio::test]
async fn after_a_renewal_the_reminders_start_again() {
    let mut env = Env::start().await;
    env.seed("cert-renewed", "2026-04-01T00:00:00Z", Status::Active).await;
    env.seed("cert-lapsed", "2026-03-20T00:00:00Z", Status::Active).await;
    env.scan(NOW).await;
    assert_eq!(env.new_briefs().await, sorted(vec![expiring("cert-renewed", 7), expired("cert-lapsed")]));

    let renew = |exp: &str| CertificationPatch { expires_at: Some(t(exp)), ..Default::default() };
    env.store().update("cert-renewed", &renew("2027-04-01T00:00:00Z"), t("2026-03-27T09:00:00Z")).await.unwrap();
    // Renewing an expired certification makes it active again, in a new cycle.
    let back =
        env.store().update("cert-lapsed", &renew("2026-05-01T00:00:00Z"), t("2026-03-27T09:00:00Z")).await.unwrap();
    assert_eq!(back.status, Status::Active);

    env.scan("2026-03-27T10:00:00Z").await;
    assert_eq!(env.new_briefs().await, [expiring("cert-lapsed", 60)], "35 days left: the 60-day threshold");
    env.scan(&days_before("2027-04-01T00:00:00Z", 89)).await;
    assert_eq!(env.new_briefs().await, sorted(vec![expired("cert-lapsed"), expiring("cert-renewed", 90)]));
    env.scan(&days_before("2027-04-01T00:00:00Z", 5)).await;
    let briefs = env.new_briefs().await;
    assert!(briefs.contains(&expiring("cert-renewed", 7)), "{briefs:?}");
    assert!(!briefs.iter().any(|b| b.1 == "cert-renewed" && b.2 != Some(7)), "only the tightest: {briefs:?}");
}

// ---- Deadline, duplicates --------------------------------------------------------------------

/// A deadline reached after `allowed` checks: stops a run at a chosen point without waiting.
struct StopAfter {
    allowed: usize,
    calls: AtomicUsize,
}

impl Deadline for StopAfter {
    fn reached(&self) -> bool {
        self.calls.fetch_add(1, Ordering::SeqCst) >= self.allowed
    }
}

#[tokio::test]
async fn a_run_stops_at_the_deadline_and_the_next_one_resumes() {
    let mut env = Env::start().await;
    for i in 0..25 {
        env.seed(&format!("cert-due-{i:02}"), "2026-03-01T00:00:00Z", Status::Active).await;
    }
    for i in 0..3 {
        env.seed(&format!("cert-soon-{i}"), "2026-03-30T00:00:00Z", Status::Active).await;
    }
    let opts = ScanOptions { page_size: 25, ..options() };

    // Already past the deadline (less its margin): nothing is read or written.
    let at_deadline = WallDeadline::before(SystemTime::now(), DEADLINE_MARGIN);
    assert!(at_deadline.reached());
    assert!(!WallDeadline::before(SystemTime::now() + Duration::from_secs(900), DEADLINE_MARGIN).reached());
    let s = env.scanner_with(NOW, opts.clone()).run(&at_deadline).await.unwrap();
    assert_eq!(s, summary(0, 0, 0, 0, false));
    assert!(env.new_events().await.is_empty());

    // Stopped after two deadline checks past the start: part of the due items done, the
    // rest left (how many depends on how the ids spread over the index's shards).
    let stop = StopAfter { allowed: 3, calls: AtomicUsize::new(0) };
    let s = env.scanner_with(NOW, opts.clone()).run(&stop).await.unwrap();
    assert!(!s.complete && s.expired > 0 && s.expired < 25, "{s:?}");
    let first = env.new_briefs().await;
    assert_eq!(first.len() as u64, s.expired);

    let done = s.expired;
    let s = env.scanner_with(NOW, opts.clone()).run(&NoDeadline).await.unwrap();
    assert_eq!((s.expired, s.reminders, s.remaining, s.complete), (25 - done, 3, 0, true));
    let mut all = first;
    all.extend(env.new_briefs().await);
    let mut want: Vec<Brief> = (0..25).map(|i| expired(&format!("cert-due-{i:02}"))).collect();
    want.extend((0..3).map(|i| expiring(&format!("cert-soon-{i}"), 7)));
    assert_eq!(sorted(all), sorted(want), "every notice exactly once across the two runs");
    for i in 0..25 {
        assert_eq!(env.get(&format!("cert-due-{i:02}")).await.status, Status::Expired);
    }
}

fn scheduled_event() -> LambdaEvent<Value> {
    event(include_str!("../../../../events/expiry-scan.json"))
}

/// What the frequent schedule sends (its `Input` in template.yaml; the template test keeps
/// the two equal).
fn expire_only_event() -> LambdaEvent<Value> {
    event(include_str!("../../../../events/expiry-scan.expire.json"))
}

fn event(json: &str) -> LambdaEvent<Value> {
    let payload: Value = serde_json::from_str(json).unwrap();
    let mut ctx = Context::default();
    ctx.request_id = "scheduled-test".into();
    let in_15_min = SystemTime::now() + Duration::from_secs(900);
    ctx.deadline = in_15_min.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as u64;
    LambdaEvent::new(payload, ctx)
}

#[tokio::test]
async fn the_same_scheduled_event_delivered_twice_gives_no_duplicates() {
    let mut env = Env::start().await;
    env.seed("cert-due", "2026-03-01T00:00:00Z", Status::Active).await;
    env.seed("cert-soon", "2026-04-10T00:00:00Z", Status::Active).await;
    let scanner = env.scanner_with(NOW, options());

    let first = scanner.handle(scheduled_event()).await.unwrap();
    assert_eq!(first, summary(1, 1, 20, 0, true));
    assert_eq!(
        serde_json::to_value(first).unwrap(),
        json!({"expired": 1, "reminders": 1, "pages": 20, "remaining": 0, "complete": true,
               "skipped": 0, "failed": 0})
    );
    assert_eq!(env.new_briefs().await, sorted(vec![expired("cert-due"), expiring("cert-soon", 30)]));

    let second = scanner.handle(scheduled_event()).await.unwrap();
    assert_eq!(second, summary(0, 0, 20, 0, true));
    assert!(env.new_briefs().await.is_empty());
}

#[tokio::test]
async fn the_frequent_schedule_flips_and_leaves_the_reminders_to_the_daily_run() {
    let mut env = Env::start().await;
    env.seed("cert-due", "2026-03-01T00:00:00Z", Status::Active).await;
    env.seed("cert-soon", "2026-04-10T00:00:00Z", Status::Active).await;
    let scanner = env.scanner_with(NOW, options());

    // The expiry pass alone: its four shards, one page each.
    let frequent = scanner.handle(expire_only_event()).await.unwrap();
    assert_eq!(frequent, summary(1, 0, 4, 0, true));
    assert_eq!(env.new_briefs().await, vec![expired("cert-due")]);
    assert_eq!(env.get("cert-due").await.status, Status::Expired);

    let daily = scanner.handle(scheduled_event()).await.unwrap();
    assert_eq!(daily, summary(0, 1, 20, 0, true));
    assert_eq!(env.new_briefs().await, vec![expiring("cert-soon", 30)]);
}

#[tokio::test]
async fn a_payload_naming_an_unknown_pass_runs_nothing() {
    let mut env = Env::start().await;
    env.seed("cert-due", "2026-03-01T00:00:00Z", Status::Active).await;
    let scanner = env.scanner_with(NOW, options());
    for payload in [r#"{"passes": ["expire", "remnd"]}"#, r#"{"passes": []}"#, r#"{"passes": "expire"}"#] {
        let err = scanner.handle(event(payload)).await.unwrap_err();
        assert!(err.to_string().contains("passes must be"), "{payload}: {err}");
    }
    assert_eq!(env.get("cert-due").await.status, Status::Active, "nothing ran");
    // Without `passes` (a manual `aws lambda invoke` with `{}`): both passes.
    assert_eq!(scanner.handle(event("{}")).await.unwrap().expired, 1);
}

#[tokio::test]
async fn two_scans_at_once_change_each_item_once() {
    let mut env = Env::start().await;
    for i in 0..15 {
        env.seed(&format!("cert-due-{i:02}"), "2026-03-01T00:00:00Z", Status::Active).await;
        env.seed(&format!("cert-soon-{i:02}"), "2026-03-30T00:00:00Z", Status::Active).await;
    }
    let (a, b) = (env.scanner_with(NOW, options()), env.scanner_with(NOW, options()));
    let (sa, sb) = tokio::join!(a.run(&NoDeadline), b.run(&NoDeadline));
    let (sa, sb) = (sa.unwrap(), sb.unwrap());
    // Each flip and each reminder record happens once between them (conditional writes);
    // a notice may go out twice (at-least-once), never zero times. Where the endpoint's
    // conditions are not atomic under races (moto), only "at least once" and the final state
    // below can hold.
    let counts = (sa.expired + sb.expired, sa.reminders + sb.reminders);
    if env.db.atomic_conditions() {
        assert_eq!(counts, (15, 15));
    } else {
        assert!(counts.0 >= 15 && counts.1 >= 15, "{counts:?}");
    }
    let briefs = env.new_briefs().await;
    for i in 0..15 {
        assert!(briefs.contains(&expired(&format!("cert-due-{i:02}"))));
        assert!(briefs.contains(&expiring(&format!("cert-soon-{i:02}"), 7)));
        assert_eq!(env.get(&format!("cert-due-{i:02}")).await.status, Status::Expired);
    }
    assert_eq!(env.scan(NOW).await, summary(0, 0, 20, 0, true));
}
