//! The expiry scan at fixed clocks against a real DynamoDB API (embedded dynoxide, or the
//! endpoint in `AWS_ENDPOINT_URL_DYNAMODB`). Events go to the real JSON-lines sink in a
//! temporary file, or, where the PutEvents contract matters (request shape, partial
//! failures), through the EventBridge sink to an SDK client answered by aws-smithy-mocks.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_sdk_eventbridge::operation::put_events::{PutEventsError, PutEventsInput, PutEventsOutput};
use aws_sdk_eventbridge::types::error::InternalException;
use aws_sdk_eventbridge::types::PutEventsResultEntry;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use chrono::{DateTime, TimeDelta, Utc};
use expiry_scan::notice::Notice;
use expiry_scan::sink::Rejected;
use expiry_scan::{
    Deadline, EventBridgeSink, EventSink, JsonLinesSink, NoDeadline, ScanOptions, Scanner, Summary, WallDeadline,
    DEADLINE_MARGIN,
};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};
use shared::domain::CertificationPatch;
use shared::domain::{Clock, FixedClock};
use shared::testing::StoreExt;
use shared::testing::TestDb;
use shared::{Certification, Status, Store};

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
    // No waiting between publish attempts in tests.
    ScanOptions { retry_backoff: Duration::ZERO, ..ScanOptions::new(DEFAULT_DAYS.to_vec()) }
}

/// `(detail-type, certification_id, threshold_days)` of an event or an EventBridge entry.
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

/// A table plus a JSON-lines event file, read incrementally.
struct Env {
    db: TestDb,
    events: PathBuf,
    read: usize,
}

impl Env {
    async fn start() -> Self {
        let name = format!("expiry-scan-test-{}.jsonl", ulid::Ulid::new().to_string().to_ascii_lowercase());
        Self { db: TestDb::start().await, events: std::env::temp_dir().join(name), read: 0 }
    }

    fn store(&self) -> Store {
        self.db.store()
    }

    fn scanner_with(&self, now: &str, options: ScanOptions) -> Scanner<JsonLinesSink> {
        let sink = JsonLinesSink::new(&self.events);
        Scanner::new(self.store(), sink, Arc::new(FixedClock::at(now)), options)
    }

    async fn scan(&self, now: &str) -> Summary {
        self.scanner_with(now, options()).run(&NoDeadline).await.expect("scan")
    }

    async fn seed(&self, id: &str, expires: &str, status: Status) -> Certification {
        let c = cert(id, expires, status);
        self.store().create(&c).await.expect("seed");
        c
    }

    async fn get(&self, id: &str) -> Certification {
        self.store().get(id).await.expect("get").expect("exists")
    }

    /// The whole events written since the last call.
    fn new_events(&mut self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.events).unwrap_or_default();
        let lines: Vec<Value> =
            text.lines().skip(self.read).map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
        self.read += lines.len();
        lines
    }

    /// Briefs of the events written since the last call, sorted.
    fn new_briefs(&mut self) -> Vec<Brief> {
        sorted(
            self.new_events()
                .iter()
                .map(|e| brief(e["detail-type"].as_str().unwrap_or_default(), &e["detail"]))
                .collect(),
        )
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.events);
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
    let events = env.new_events();
    let due_now_event = events.iter().find(|e| e["detail"]["certification_id"] == "cert-due-now").unwrap();
    assert_eq!(
        *due_now_event,
        json!({
            "version": "0", "id": due_now_event["id"], "detail-type": "certification.expired",
            "source": "certifications", "time": NOW, "resources": [],
            "detail": {"certification_id": "cert-due-now", "mentor_id": "mentor-of-cert-due-now",
                       "cert_type": "peer_mentor_level_2",
                       "expires_at": NOW, "days_until_expiry": 0}
        })
    );
    let briefs = sorted(events.iter().map(|e| brief(e["detail-type"].as_str().unwrap(), &e["detail"])).collect());
    assert_eq!(
        briefs,
        sorted(vec![expired("cert-due-past"), expired("cert-due-now"), expiring("cert-next-second", 7)])
    );
}

/// The real sink, plus a renewal landing while the scan publishes: after the scan read the
/// item and before it records anything, exactly where a concurrent PUT can land.
struct RenewWhilePublishing {
    inner: JsonLinesSink,
    store: Store,
    id: String,
    new_expiry: DateTime<Utc>,
    at: DateTime<Utc>,
    done: AtomicBool,
}

impl EventSink for RenewWhilePublishing {
    async fn publish(&self, notices: &[Notice]) -> Vec<Result<(), Rejected>> {
        if !self.done.swap(true, Ordering::SeqCst) {
            let patch = CertificationPatch { expires_at: Some(self.new_expiry), ..Default::default() };
            self.store.update(&self.id, &patch, self.at).await.expect("the racing renewal");
        }
        self.inner.publish(notices).await
    }
}

#[tokio::test]
async fn a_renewal_racing_the_scan_wins() {
    let mut env = Env::start().await;
    env.seed("cert-racing", "2026-03-20T00:00:00Z", Status::Active).await;
    env.seed("cert-reminded", "2026-03-30T00:00:00Z", Status::Active).await;
    let sink = RenewWhilePublishing {
        inner: JsonLinesSink::new(&env.events),
        store: env.store(),
        id: "cert-racing".into(),
        new_expiry: t("2027-03-20T00:00:00Z"),
        at: t(NOW),
        done: AtomicBool::new(false),
    };
    let scanner = Scanner::new(env.store(), sink, Arc::new(FixedClock::at(NOW)), options());
    let s = scanner.run(&NoDeadline).await.unwrap();
    assert_eq!((s.expired, s.reminders, s.remaining), (0, 1, 0));

    let renewed = env.get("cert-racing").await;
    assert_eq!(renewed.status, Status::Active, "the renewal is not overwritten by the scan");
    assert_eq!((renewed.expires_at, renewed.renewal_count), (t("2027-03-20T00:00:00Z"), 1));
    // The notice went out for the cycle the scan saw, and names it.
    let events = env.new_events();
    let notice = events.iter().find(|e| e["detail"]["certification_id"] == "cert-racing").unwrap();
    assert_eq!(
        (notice["detail-type"].as_str(), notice["detail"]["expires_at"].as_str()),
        (Some("certification.expired"), Some("2026-03-20T00:00:00Z"))
    );

    // The renewed cycle is not due; the next run has nothing to do.
    assert_eq!(env.scan(NOW).await, summary(0, 0, 20, 0, true));
    assert!(env.new_events().is_empty());
}

#[tokio::test]
async fn the_json_lines_file_appears_with_the_first_event_and_a_failed_write_is_left_for_the_next_run() {
    let mut env = Env::start().await;
    env.scan(NOW).await;
    assert!(!env.events.exists(), "a run with nothing to announce writes no file");

    env.seed("cert-due", "2026-03-01T00:00:00Z", Status::Active).await;
    // The path is a directory: every write fails, so nothing is recorded.
    std::fs::create_dir_all(&env.events).unwrap();
    assert_eq!(env.scan(NOW).await, Summary { publish_failures: 1, ..summary(0, 0, 20, 1, true) });
    assert_eq!(env.get("cert-due").await.status, Status::Active);
    std::fs::remove_dir(&env.events).unwrap();
    assert_eq!(env.scan(NOW).await, summary(1, 0, 20, 0, true));
    assert_eq!(env.new_briefs(), [expired("cert-due")]);
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
        env.new_briefs(),
        sorted(vec![expiring("cert-walk", 90), expiring("cert-late-7", 7), expiring("cert-late-30", 30)])
    );
    // Immediately again, and the next day: nothing new.
    for now in [days_before(exp, 86), days_before(exp, 85)] {
        assert_eq!(env.scan(&now).await.reminders, 0);
        assert!(env.new_briefs().is_empty());
    }

    let mut walk = Vec::new();
    for n in [61, 60, 60, 31, 30, 30, 8, 7, 7, 3, 0] {
        let s = env.scan(&days_before(exp, n)).await;
        let events = env.new_briefs();
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
    assert_eq!(env.new_briefs(), [expired("cert-walk")]);
    assert_eq!(env.scan("2026-06-21T10:00:00Z").await, summary(0, 0, 20, 0, true));
    assert!(env.new_briefs().is_empty());
}

#[tokio::test]
async fn after_a_renewal_the_reminders_start_again() {
    let mut env = Env::start().await;
    env.seed("cert-renewed", "2026-04-01T00:00:00Z", Status::Active).await;
    env.seed("cert-lapsed", "2026-03-20T00:00:00Z", Status::Active).await;
    env.scan(NOW).await;
    assert_eq!(env.new_briefs(), sorted(vec![expiring("cert-renewed", 7), expired("cert-lapsed")]));

    let renew = |exp: &str| CertificationPatch { expires_at: Some(t(exp)), ..Default::default() };
    env.store().update("cert-renewed", &renew("2027-04-01T00:00:00Z"), t("2026-03-27T09:00:00Z")).await.unwrap();
    // Renewing an expired certification makes it active again, in a new cycle.
    let back =
        env.store().update("cert-lapsed", &renew("2026-05-01T00:00:00Z"), t("2026-03-27T09:00:00Z")).await.unwrap();
    assert_eq!(back.status, Status::Active);

    env.scan("2026-03-27T10:00:00Z").await;
    assert_eq!(env.new_briefs(), [expiring("cert-lapsed", 60)], "35 days left: the 60-day threshold");
    env.scan(&days_before("2027-04-01T00:00:00Z", 89)).await;
    assert_eq!(env.new_briefs(), sorted(vec![expired("cert-lapsed"), expiring("cert-renewed", 90)]));
    env.scan(&days_before("2027-04-01T00:00:00Z", 5)).await;
    let briefs = env.new_briefs();
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
    assert!(env.new_events().is_empty());

    // Stopped after two deadline checks past the start: part of the due items done, the
    // rest left (how many depends on how the ids spread over the index's shards).
    let stop = StopAfter { allowed: 3, calls: AtomicUsize::new(0) };
    let s = env.scanner_with(NOW, opts.clone()).run(&stop).await.unwrap();
    assert!(!s.complete && s.expired > 0 && s.expired < 25, "{s:?}");
    let first = env.new_briefs();
    assert_eq!(first.len() as u64, s.expired);

    let done = s.expired;
    let s = env.scanner_with(NOW, opts.clone()).run(&NoDeadline).await.unwrap();
    assert_eq!((s.expired, s.reminders, s.remaining, s.complete), (25 - done, 3, 0, true));
    let mut all = first;
    all.extend(env.new_briefs());
    let mut want: Vec<Brief> = (0..25).map(|i| expired(&format!("cert-due-{i:02}"))).collect();
    want.extend((0..3).map(|i| expiring(&format!("cert-soon-{i}"), 7)));
    assert_eq!(sorted(all), sorted(want), "every notice exactly once across the two runs");
    for i in 0..25 {
        assert_eq!(env.get(&format!("cert-due-{i:02}")).await.status, Status::Expired);
    }
}

fn scheduled_event() -> LambdaEvent<Value> {
    let payload: Value = serde_json::from_str(include_str!("../../../../events/expiry-scan.json")).unwrap();
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
               "publish_failures": 0, "skipped": 0, "failed": 0})
    );
    assert_eq!(env.new_briefs(), sorted(vec![expired("cert-due"), expiring("cert-soon", 30)]));

    let second = scanner.handle(scheduled_event()).await.unwrap();
    assert_eq!(second, summary(0, 0, 20, 0, true));
    assert!(env.new_briefs().is_empty());
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
    let briefs = env.new_briefs();
    for i in 0..15 {
        assert!(briefs.contains(&expired(&format!("cert-due-{i:02}"))));
        assert!(briefs.contains(&expiring(&format!("cert-soon-{i:02}"), 7)));
        assert_eq!(env.get(&format!("cert-due-{i:02}")).await.status, Status::Expired);
    }
    assert_eq!(env.scan(NOW).await, summary(0, 0, 20, 0, true));
}

// ---- EventBridge PutEvents ---------------------------------------------------------------------

/// An EventBridge client answered by aws-smithy-mocks: records every PutEvents input and
/// answers per entry, failing the ones `fail(certification_id, attempt)` names.
struct MockBus {
    rule: Rule,
    requests: Arc<Mutex<Vec<PutEventsInput>>>,
    delivered: Arc<Mutex<Vec<Brief>>>,
}

fn entry_brief(e: &aws_sdk_eventbridge::types::PutEventsRequestEntry) -> Brief {
    let detail: Value = serde_json::from_str(e.detail().unwrap_or("null")).expect("detail is JSON");
    brief(e.detail_type().unwrap_or_default(), &detail)
}

fn mock_bus(fail: impl Fn(&str, usize) -> Option<&'static str> + Send + Sync + 'static) -> MockBus {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let attempts: Mutex<HashMap<Brief, usize>> = Mutex::new(HashMap::new());
    let (req, del) = (requests.clone(), delivered.clone());
    let rule = mock!(aws_sdk_eventbridge::Client::put_events).then_compute_output(move |input: &PutEventsInput| {
        req.lock().unwrap().push(input.clone());
        let mut failed = 0;
        let results = input
            .entries()
            .iter()
            .map(|e| {
                let b = entry_brief(e);
                let n = {
                    let mut a = attempts.lock().unwrap();
                    let n = a.entry(b.clone()).or_default();
                    *n += 1;
                    *n
                };
                match fail(&b.1, n) {
                    Some(code) => {
                        failed += 1;
                        PutEventsResultEntry::builder().error_code(code).error_message("injected").build()
                    }
                    None => {
                        del.lock().unwrap().push(b);
                        PutEventsResultEntry::builder().event_id(format!("evt-{}", ulid::Ulid::new())).build()
                    }
                }
            })
            .collect();
        PutEventsOutput::builder().failed_entry_count(failed).set_entries(Some(results)).build()
    });
    MockBus { rule, requests, delivered }
}

fn eventbridge_scanner(db: &TestDb, rule: &Rule, now: &str) -> Scanner<EventBridgeSink> {
    let client = mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [rule]);
    let sink = EventBridgeSink::new(client, "certifications-bus");
    Scanner::new(db.store(), sink, Arc::new(FixedClock::at(now)), options())
}

#[tokio::test]
async fn put_events_requests_have_the_documented_shape() {
    let env = Env::start().await;
    for i in 0..23 {
        env.seed(&format!("cert-due-{i:02}"), "2026-03-01T00:00:00Z", Status::Active).await;
    }
    env.seed("cert-soon", "2026-03-30T00:00:00Z", Status::Active).await;
    let bus = mock_bus(|_, _| None);
    let s = eventbridge_scanner(&env.db, &bus.rule, NOW).run(&NoDeadline).await.unwrap();
    assert_eq!(s, summary(23, 1, 20, 0, true));

    let requests = bus.requests.lock().unwrap().clone();
    let sizes: Vec<usize> = requests.iter().map(|r| r.entries().len()).collect();
    // Batches of at most ten (a page per index shard, so their sizes follow the shards).
    assert!(sizes.iter().all(|&n| (1..=10).contains(&n)), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 24);
    let entries: Vec<_> = requests.iter().flat_map(|r| r.entries().to_vec()).collect();
    for e in &entries {
        assert_eq!(e.event_bus_name(), Some("certifications-bus"));
        assert_eq!(e.source(), Some("certifications"));
        assert_eq!(e.time(), Some(&aws_smithy_types::DateTime::from_secs(t(NOW).timestamp())));
        assert!(e.resources().is_empty());
    }
    let expired_entry = entries.iter().find(|e| e.detail().is_some_and(|d| d.contains("cert-due-07"))).unwrap();
    assert_eq!(expired_entry.detail_type(), Some("certification.expired"));
    let detail: Value = serde_json::from_str(expired_entry.detail().unwrap()).unwrap();
    assert_eq!(
        detail,
        json!({"certification_id": "cert-due-07", "mentor_id": "mentor-of-cert-due-07",
               "cert_type": "peer_mentor_level_2", "expires_at": "2026-03-01T00:00:00Z", "days_until_expiry": -25})
    );
    let reminder = entries.last().unwrap();
    assert_eq!(reminder.detail_type(), Some("certification.expiring"));
    let detail: Value = serde_json::from_str(reminder.detail().unwrap()).unwrap();
    assert_eq!(
        detail,
        json!({"certification_id": "cert-soon", "mentor_id": "mentor-of-cert-soon",
               "cert_type": "peer_mentor_level_2", "expires_at": "2026-03-30T00:00:00Z", "days_until_expiry": 4,
               "threshold_days": 7})
    );
}

#[tokio::test]
async fn failed_entries_are_retried_and_what_still_fails_is_left_for_the_next_run() {
    let env = Env::start().await;
    for id in ["cert-a", "cert-b", "cert-c"] {
        env.seed(id, "2026-03-01T00:00:00Z", Status::Active).await;
    }
    env.seed("cert-soon", "2026-03-30T00:00:00Z", Status::Active).await;
    // cert-b is throttled once; cert-c and the reminder fail on every attempt.
    let flaky = mock_bus(|id, attempt| match (id, attempt) {
        ("cert-b", 1) => Some("ThrottlingException"),
        ("cert-c" | "cert-soon", _) => Some("InternalFailure"),
        _ => None,
    });
    let s = eventbridge_scanner(&env.db, &flaky.rule, NOW).run(&NoDeadline).await.unwrap();
    assert_eq!(s, Summary { publish_failures: 2, ..summary(2, 0, 20, 2, true) });
    let sent: Vec<Vec<String>> =
        flaky.requests.lock().unwrap().iter().map(|r| r.entries().iter().map(|e| entry_brief(e).1).collect()).collect();
    // Pages follow the index's shards, so which entries share a request varies; what
    // matters: only failed entries are resent, three attempts in all.
    let mut attempts = std::collections::BTreeMap::<String, usize>::new();
    for id in sent.iter().flatten() {
        *attempts.entry(id.clone()).or_default() += 1;
    }
    let attempts: Vec<(&str, usize)> = attempts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(attempts, [("cert-a", 1), ("cert-b", 2), ("cert-c", 3), ("cert-soon", 3)]);
    assert_eq!(env.get("cert-c").await.status, Status::Active, "not announced, so not recorded");
    assert_eq!(env.get("cert-b").await.status, Status::Expired);

    // The next run, with EventBridge healthy again, delivers exactly what was left.
    let healthy = mock_bus(|_, _| None);
    let s = eventbridge_scanner(&env.db, &healthy.rule, NOW).run(&NoDeadline).await.unwrap();
    assert_eq!(s, summary(1, 1, 20, 0, true));
    let mut all = flaky.delivered.lock().unwrap().clone();
    all.extend(healthy.delivered.lock().unwrap().clone());
    assert_eq!(
        sorted(all),
        sorted(vec![expired("cert-a"), expired("cert-b"), expired("cert-c"), expiring("cert-soon", 7)]),
        "every notice delivered once, none lost"
    );
}

#[tokio::test]
async fn a_failed_put_events_request_records_nothing() {
    let env = Env::start().await;
    env.seed("cert-a", "2026-03-01T00:00:00Z", Status::Active).await;
    let down = mock!(aws_sdk_eventbridge::Client::put_events)
        .then_error(|| PutEventsError::InternalException(InternalException::builder().message("down").build()));
    let s = eventbridge_scanner(&env.db, &down, NOW).run(&NoDeadline).await.unwrap();
    assert_eq!(s, Summary { publish_failures: 1, ..summary(0, 0, 20, 1, true) });
    assert_eq!(down.num_calls(), 3);
    assert_eq!(env.get("cert-a").await.status, Status::Active);

    let healthy = mock_bus(|_, _| None);
    let s = eventbridge_scanner(&env.db, &healthy.rule, NOW).run(&NoDeadline).await.unwrap();
    assert_eq!((s.expired, s.remaining), (1, 0));
    assert_eq!(*healthy.delivered.lock().unwrap(), [expired("cert-a")]);
}
