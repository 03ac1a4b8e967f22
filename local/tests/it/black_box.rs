//! The local server from the outside: the built binary on a free port with its own data
//! file, driven over real HTTP through one realistic scenario, a volley of malformed
//! requests, a SIGTERM with writes in flight, and a restart on the same data.
//!
//! The server runs on the system clock, so dates are relative to now. With
//! `AWS_ENDPOINT_URL_DYNAMODB` set, the server uses that endpoint (a table of its own,
//! deleted at the end) instead of a data file.
//!
//! The same scenario and volley also run against the real Lambda binaries behind
//! `cargo lambda watch` (API Gateway payload 2.0 → `lambda_http` → handler → DynamoDB, as
//! deployed): [`the_lambda_binaries_end_to_end`], ignored by `cargo test` because it needs
//! that server; `.ci/run` starts it and runs the test.
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_local-api");
const API: &str = "/api/v1/certifications";

/// Where the server keeps its data across restarts.
#[derive(Clone)]
enum Data {
    File(PathBuf),
    External { endpoint: String, table: String },
}

struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<Vec<String>>>,
    started_in: Duration,
}

impl Server {
    /// Starts the binary on port 0 and waits (bounded) for its start-up line, which names
    /// the port it bound.
    fn start(data: &Data) -> Server {
        let started = Instant::now();
        let mut cmd = Command::new(BIN);
        // Every write is an event line; not into the crate directory (tests/it/events.rs reads them).
        cmd.args(["--addr", "127.0.0.1:0", "--events", "/dev/null"])
            .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
            .env_remove("TABLE_NAME")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        match data {
            Data::File(path) => cmd.arg("--data").arg(path),
            Data::External { endpoint, table } => {
                cmd.args(["--endpoint", endpoint, "--table", table, "--create-table"])
            }
        };
        let mut child = cmd.spawn().expect("start the local-api binary");
        let stdout = child.stdout.take().expect("piped stdout");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = Arc::clone(&log);
        // Drain stdout for the server's whole life so its log never blocks it.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let url = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|v| v["fields"]["url"].as_str().map(String::from));
                sink.lock().unwrap().push(line);
                if let Some(url) = url {
                    let _ = tx.send(url);
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("no start-up line within 60 s; log: {:#?}", log.lock().unwrap());
            }
        };
        Server { child, url, log, started_in: started.elapsed() }
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("run kill");
        assert!(status.success());
    }

    /// Waits (bounded) for the process to exit.
    fn wait(mut self) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the server") {
                // The drain thread ends with the pipe; give it a moment to flush the last lines.
                let log = (0..50)
                    .find_map(|_| {
                        let log = self.log();
                        if log.iter().any(|l| l.contains("\"stopped\"")) {
                            Some(log)
                        } else {
                            std::thread::sleep(Duration::from_millis(10));
                            None
                        }
                    })
                    .unwrap_or_else(|| self.log());
                return (status, log);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not stop within 30 s of SIGTERM; log: {:#?}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Api {
    http: Client,
    base: String,
}

struct Reply {
    status: StatusCode,
    content_type: String,
    allow: Option<String>,
    location: Option<String>,
    body: Value,
}

impl Api {
    fn new(server: &Server) -> Api {
        Api { http: Client::new(), base: server.url.clone() }
    }

    async fn send(&self, method: Method, path: &str, content_type: Option<&str>, body: Option<Vec<u8>>) -> Reply {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from);
        let (status, content_type, allow, location) =
            (res.status(), header("content-type").unwrap_or_default(), header("allow"), header("location"));
        let bytes = res.bytes().await.expect("read the response body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, content_type, allow, location, body }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, None).await
    }

    async fn json(&self, method: Method, path: &str, body: &Value) -> Reply {
        self.send(method, path, Some("application/json"), Some(body.to_string().into_bytes())).await
    }

    /// `GET` that must answer 200 JSON; returns the body.
    async fn ok(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        assert_eq!(r.content_type, "application/json");
        r.body
    }

    async fn create(&self, body: Value) -> Value {
        let r = self.json(Method::POST, API, &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "create {body}: {}", r.body);
        let id = r.body["id"].as_str().expect("an id");
        assert_eq!(r.location.as_deref(), Some(format!("{API}/{id}").as_str()));
        r.body
    }

    async fn put(&self, id: &str, body: Value) -> Reply {
        self.json(Method::PUT, &format!("{API}/{id}"), &body).await
    }

    /// Everything the API can show about the data: every list item and every full record.
    async fn everything(&self) -> (Value, Vec<Value>) {
        let list = self.ok(&format!("{API}?limit=100")).await;
        let mut records = Vec::new();
        for item in list["data"].as_array().unwrap() {
            records.push(self.ok(&format!("{API}/{}", item["id"].as_str().unwrap())).await);
        }
        (list, records)
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_server_end_to_end() {
    let data = match std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
        Ok(endpoint) if !endpoint.is_empty() => {
            let table = format!("certifications-blackbox-{}", ulid::Ulid::new().to_string().to_ascii_lowercase());
            Data::External { endpoint, table }
        }
        _ => {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("local-api-{}", ulid::Ulid::new().to_string().to_ascii_lowercase()));
            Data::File(dir.join("nested").join("certifications.db"))
        }
    };

    let server = Server::start(&data);
    eprintln!("start-up (process start to start-up line): {:?}", server.started_in);
    let api = Api::new(&server);
    scenario(&api).await;
    // moto's conditional writes are not atomic under concurrency (shared::testing::is_moto):
    // there the retries and the tagged PUTs go one after another.
    let concurrent = match &data {
        Data::External { endpoint, .. } => !shared::testing::is_moto(endpoint),
        Data::File(_) => true,
    };
    retries_and_races(&api, concurrent).await;
    let before = api.everything().await;
    malformed_volley(&api, Front::LocalServer).await;
    assert_eq!(api.everything().await, before, "the malformed requests changed the data");

    // One log line per request, with method, path, status and milliseconds.
    let log = server.log();
    // Before them, as README.md shows: where it listens, then where the events go.
    let at = |text: &str| log.iter().position(|l| l.contains(text));
    let (listening, events) = (at("\"listening on http://"), at("from the table's stream) are appended to"));
    assert!(listening.is_some() && events.is_some() && listening < events, "{log:#?}");
    let line = log.iter().find(|l| l.contains("\"status\":405")).expect("a logged 405");
    let line: Value = serde_json::from_str(line).unwrap();
    assert!(line["fields"]["ms"].is_number() && line["fields"]["method"].is_string(), "{line}");
    assert!(line["span"]["request_id"].is_string(), "{line}");

    // SIGTERM while creates are in flight: every create that was acknowledged survives.
    let acknowledged = creates_across_sigterm(&api, &server).await;
    let (status, log) = server.wait();
    assert!(status.success(), "exit status {status}; log: {log:#?}");
    assert!(log.iter().any(|l| l.contains("\"stopped\"")), "no clean stop in {log:#?}");

    let server = Server::start(&data);
    assert!(server.log().iter().any(|l| l.contains("existing")), "the table was re-created: {:#?}", server.log());
    let api = Api::new(&server);
    let (list, records) = api.everything().await;
    for id in &acknowledged {
        assert!(ids(&list).contains(id), "acknowledged create {id} lost in the restart");
    }
    // Apart from those creates, the data is exactly what it was.
    let keep = |l: &Value| -> Vec<Value> {
        l["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| !acknowledged.contains(&c["id"].as_str().unwrap().to_owned()))
            .cloned()
            .collect()
    };
    assert_eq!(keep(&list), keep(&before.0));
    let kept_records: Vec<&Value> =
        records.iter().filter(|c| !acknowledged.contains(&c["id"].as_str().unwrap().to_owned())).collect();
    assert_eq!(kept_records, before.1.iter().collect::<Vec<_>>());
    server.terminate();
    let (status, _) = server.wait();
    assert!(status.success());

    match data {
        Data::File(path) => {
            let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
        }
        Data::External { endpoint, table } => {
            let client = shared::testing::client_for(&endpoint, &Default::default()).await;
            let _ = client.delete_table().table_name(table).send().await;
        }
    }
}

/// The real Lambda binaries (built from `functions/*`) behind `cargo lambda watch`, routed by
/// `[workspace.metadata.lambda.watch.router]`, on the embedded engine (`local-api engine`).
/// `.ci/run` starts both and sets `LAMBDA_API_URL`. Each request reaches the binary as an API
/// Gateway payload 2.0 event through the Lambda runtime API, and its answer goes back through
/// `lambda_http`'s API Gateway response, exactly as deployed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Lambda binaries behind `cargo lambda watch` (LAMBDA_API_URL); .ci/run starts them"]
async fn the_lambda_binaries_end_to_end() {
    let base = std::env::var("LAMBDA_API_URL")
        .expect("LAMBDA_API_URL: the address of `cargo lambda watch` (.ci/run sets it; see the README)");
    let api = Api { http: Client::new(), base };
    let started = Instant::now();
    scenario(&api).await;
    let before = api.everything().await;
    malformed_volley(&api, Front::CargoLambda).await;
    assert_eq!(api.everything().await, before, "the malformed requests changed the data");

    // Where cargo lambda watch routes differently from API Gateway. API Gateway picks the
    // literal `GET /expiring` route only for GET, so `PUT .../expiring` reaches
    // `PUT .../{id}` with id `expiring` and the function answers its 404 problem (the local
    // server's router test checks that). cargo lambda watch's router matches the literal path
    // first, finds no PUT there and answers its own 404 without calling a function. Both are
    // 404; only the body differs, so that is what is checked here.
    let r = api.json(Method::PUT, &format!("{API}/expiring"), &json!({"mentor_name": "X"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    eprintln!("scenario and volley through the Lambda binaries: {:?}", started.elapsed());
}

/// What stands in front of the handlers: it decides what a request with no route gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Front {
    /// The local server: a 404 problem for an unknown path, a 405 problem with `Allow` for a
    /// known path with another method.
    LocalServer,
    /// cargo lambda watch, standing in for API Gateway. API Gateway answers a method and path
    /// with no route itself, without calling a function: 404 `{"message":"Not Found"}` (not a
    /// problem, and no 405). cargo lambda watch also answers those 404 itself, with its own
    /// body (`{"title":"Default function disabled",…}`), so the status is checked.
    CargoLambda,
}

/// Whether API Gateway has a route for this method and path (a `{param}` matches one segment).
fn has_route(method: &Method, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    shared::http::routes::ROUTES.iter().any(|r| {
        let pattern: Vec<&str> = r.path.split('/').collect();
        r.method == method.as_str()
            && pattern.len() == segments.len()
            && pattern.iter().zip(&segments).all(|(p, s)| p == s || (p.starts_with('{') && !s.is_empty()))
    })
}

/// One request with extra headers; the status, the response headers and the JSON body.
async fn exchange(
    api: &Api,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = api.http.request(method, format!("{}{path}", api.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    let res = req.send().await.expect("a response");
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.bytes().await.expect("the body");
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Idempotency-Key retries (20 at once), If-Match races, and the inputs a review found.
async fn retries_and_races(api: &Api, concurrent: bool) {
    let total = || async { api.ok(API).await["pagination"]["total"].as_u64().unwrap() };
    let before = total().await;
    let body = json!({"mentor_id": "mentor-retry", "cert_type": "first_aid",
                      "issued_at": "2026-01-01T00:00:00Z", "expires_at": "2099-01-01T00:00:00Z"});
    let key = [("Idempotency-Key", "black-box-7781")];
    let answers = if concurrent {
        futures::future::join_all((0..20).map(|_| exchange(api, Method::POST, API, &key, Some(&body)))).await
    } else {
        let mut answers = Vec::new();
        for _ in 0..20 {
            answers.push(exchange(api, Method::POST, API, &key, Some(&body)).await);
        }
        answers
    };
    let id = answers[0].2["id"].as_str().expect("an id").to_owned();
    for (status, headers, b) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{b}");
        assert_eq!(b["id"], id.as_str());
        assert_eq!(headers["location"], format!("{API}/{id}").as_str());
        assert_eq!(headers["etag"], "\"v1\"");
    }
    let replayed = answers.iter().filter(|(_, h, _)| h.get("idempotent-replayed").is_some()).count();
    assert_eq!(replayed, 19);
    assert_eq!(total().await, before + 1, "20 retries of one POST made one certification");
    let mut other = body.clone();
    other["cert_type"] = json!("other");
    let (status, _, problem) = exchange(api, Method::POST, API, &key, Some(&other)).await;
    assert_eq!((status.as_u16(), problem["type"].as_str()), (422, Some("/problems/idempotency-key-reused")));

    // Five PUTs holding the same ETag: one wins, four are 412.
    let one = format!("{API}/{id}");
    let (_, headers, _) = exchange(api, Method::GET, &one, &[], None).await;
    let tag = headers["etag"].to_str().unwrap().to_owned();
    let puts = (0..5).map(|i| {
        let change = json!({"mentor_name": format!("Editor {i}")});
        let tag = tag.clone();
        let one = one.clone();
        async move { exchange(api, Method::PUT, &one, &[("If-Match", &tag)], Some(&change)).await.0 }
    });
    let statuses = if concurrent {
        futures::future::join_all(puts).await
    } else {
        let mut statuses = Vec::new();
        for put in puts {
            statuses.push(put.await);
        }
        statuses
    };
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::PRECONDITION_FAILED).count(), 4, "{statuses:?}");
    let (status, _, _) = exchange(api, Method::DELETE, &one, &[("If-Match", &tag)], None).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);

    // An 8 KB query string of one unknown key: one problem listed, a small body.
    let query = vec!["x"; 4000].join("&");
    let (status, _, problem) = exchange(api, Method::GET, &format!("{API}?{query}"), &[], None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 1);
    assert!(problem.to_string().len() < 1000, "{problem}");
    assert_eq!(total().await, before + 1);
}

/// Create several, get, renew, status, expiring, filter, page, revoke, delete.
async fn scenario(api: &Api) {
    let now = Utc::now();
    assert_eq!(api.ok(API).await["pagination"]["total"], 0, "a fresh data file starts empty");

    let a = api
        .create(json!({"mentor_id": "mentor-alpha", "mentor_name": "Ada Lovelace", "cert_type": "peer_mentor_level_2",
                       "issued_at": ts(now - TimeDelta::days(355)), "expires_at": ts(now + TimeDelta::days(10))}))
        .await;
    let b = api
        .create(json!({"mentor_id": "mentor-alpha", "cert_type": "first_aid",
                       "issued_at": ts(now - TimeDelta::days(30)), "expires_at": ts(now + TimeDelta::days(200))}))
        .await;
    // An offset on input is stored and returned in UTC.
    let c_expires = (now - TimeDelta::days(5)).with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap());
    let c = api
        .create(json!({"mentor_id": "mentor-beta", "cert_type": "peer_mentor_level_2",
                       "issued_at": ts(now - TimeDelta::days(370)), "expires_at": c_expires.to_rfc3339_opts(SecondsFormat::Secs, false)}))
        .await;
    let d = api
        .create(json!({"mentor_id": "mentor-beta", "mentor_name": "Lars Eriksen", "cert_type": "safeguarding",
                       "issued_at": ts(now - TimeDelta::days(10)), "expires_at": ts(now + TimeDelta::days(20))}))
        .await;
    let e = api
        .create(json!({"mentor_id": "mentor-gamma", "cert_type": "peer_mentor_level_1",
                       "issued_at": ts(now), "expires_at": ts(now + TimeDelta::days(700))}))
        .await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let (a_id, b_id, c_id, d_id, e_id) = (id(&a), id(&b), id(&c), id(&d), id(&e));
    assert_eq!((a["status"].as_str(), a["renewal_count"].as_i64()), (Some("active"), Some(0)));
    assert_eq!(a["renewal_history"], json!([]));
    assert_eq!(c["status"], "expired", "an expiry in the past is effectively expired at once");
    assert_eq!(c["expires_at"], ts(now - TimeDelta::days(5)));

    // Get: the whole record, as created.
    assert_eq!(api.ok(&format!("{API}/{a_id}")).await, a);

    // Expiring within 30 days: D (20 days) and A (10 days), soonest first; C has expired.
    let expiring = api.ok(&format!("{API}/expiring?days=30")).await;
    assert_eq!(ids(&expiring), [a_id.clone(), d_id.clone()]);
    assert_eq!(expiring["data"][1]["mentor_name"], "Lars Eriksen");
    assert_eq!(expiring["pagination"], json!({"page": 1, "limit": 20, "total": 2, "next_cursor": null}));

    // Renew A: a later expiry counts once and leaves the expiring list.
    let renewed_to = ts(now + TimeDelta::days(375));
    let r = api.put(&a_id, json!({"expires_at": renewed_to})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["renewal_count"], 1);
    assert_eq!(r.body["renewal_history"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["renewal_history"][0]["expires_at"], renewed_to);
    assert_eq!(r.body["expires_at"], renewed_to);
    assert_eq!(ids(&api.ok(&format!("{API}/expiring?days=30")).await), [d_id.as_str()]);
    // A plain update leaves the renewal fields alone.
    let r = api.put(&a_id, json!({"mentor_name": "Ada King"})).await;
    assert_eq!(
        (r.status, &r.body["renewal_count"], &r.body["mentor_name"]),
        (StatusCode::OK, &json!(1), &json!("Ada King"))
    );

    // Status.
    let status = api.ok(&format!("{API}/{d_id}/status")).await;
    assert_eq!(status["status"], "active");
    assert_eq!(status["days_until_expiry"], 20);
    assert_eq!(status["is_expiring_soon"], true);
    assert_eq!(status["mentor_id"], "mentor-beta");
    let status = api.ok(&format!("{API}/{c_id}/status")).await;
    assert_eq!((status["status"].as_str(), status["is_expiring_soon"].as_bool()), (Some("expired"), Some(false)));
    assert_eq!(status["days_until_expiry"], -5);

    // Filters (newest first).
    assert_eq!(ids(&api.ok(&format!("{API}?mentor_id=mentor-alpha")).await), [b_id.clone(), a_id.clone()]);
    assert_eq!(ids(&api.ok(&format!("{API}?cert_type=peer_mentor_level_2")).await), [c_id.clone(), a_id.clone()]);
    assert_eq!(ids(&api.ok(&format!("{API}?status=expired")).await), [c_id.as_str()]);
    assert_eq!(ids(&api.ok(&format!("{API}?mentor_id=mentor-beta&status=active")).await), [d_id.as_str()]);

    // Renewing the expired C brings it back to active.
    let r = api.put(&c_id, json!({"expires_at": ts(now + TimeDelta::days(15))})).await;
    assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("active")));
    assert_eq!(ids(&api.ok(&format!("{API}?status=expired")).await), Vec::<String>::new());
    assert_eq!(ids(&api.ok(&format!("{API}/expiring")).await), [c_id.clone(), d_id.clone()]);

    // Pages of two over all five, newest first; past the end is empty.
    let all = [e_id.clone(), d_id.clone(), c_id.clone(), b_id.clone(), a_id.clone()];
    let mut paged = Vec::new();
    for page in 1..=3 {
        let p = api.ok(&format!("{API}?limit=2&page={page}")).await;
        let mut p = p;
        let next = p["pagination"].as_object_mut().unwrap().remove("next_cursor").unwrap();
        assert_eq!(next.is_string(), page < 3, "next_cursor on page {page}: {next}");
        assert_eq!(p["pagination"], json!({"page": page, "limit": 2, "total": 5}));
        paged.extend(ids(&p));
    }
    assert_eq!(paged, all);
    assert_eq!(api.ok(&format!("{API}?limit=2&page=4")).await["data"], json!([]));

    // Revoke B; revoked is final.
    let r = api.put(&b_id, json!({"status": "revoked"})).await;
    assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("revoked")));
    let r = api.put(&b_id, json!({"status": "active"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(ids(&api.ok(&format!("{API}?status=revoked")).await), [b_id.as_str()]);

    // Delete E.
    let r = api.send(Method::DELETE, &format!("{API}/{e_id}"), None, None).await;
    assert_eq!((r.status, r.body), (StatusCode::OK, json!({"deleted": true, "id": e_id})));
    assert_eq!(api.get(&format!("{API}/{e_id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.ok(API).await["pagination"]["total"], 4);
}

/// method, path, content type, body, the status expected.
type Case<'a> = (Method, String, Option<&'a str>, Option<String>, u16);

/// Malformed requests of every kind: each is a 4xx problem and none is a 5xx.
async fn malformed_volley(api: &Api, front: Front) {
    let list = api.ok(API).await;
    let active = list["data"].as_array().unwrap().iter().find(|c| c["status"] == "active").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = list["data"].as_array().unwrap().iter().find(|c| c["status"] == "revoked").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = format!("{API}/{active}");
    let good = json!({"mentor_id": "mentor-zeta", "cert_type": "first_aid",
                      "issued_at": "2026-01-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z"});
    let with = |field: &str, value: Value| {
        let mut v = good.clone();
        v[field] = value;
        v.to_string()
    };
    let huge = with("mentor_name", json!("x".repeat(64 * 1024)));
    let json_ct = Some("application/json");

    #[rustfmt::skip]
    let cases: Vec<Case<'_>> = vec![
        (Method::POST, API.into(), json_ct, Some(r#"{"mentor_id": "#.into()), 400),
        (Method::POST, API.into(), json_ct, Some("[1, 2]".into()), 400),
        (Method::POST, API.into(), json_ct, Some("null".into()), 400),
        (Method::POST, API.into(), json_ct, Some("{}".into()), 400),
        (Method::POST, API.into(), json_ct, Some(with("mentor_id", json!(42))), 400),
        (Method::POST, API.into(), json_ct, Some(with("expires_at", json!(true))), 400),
        (Method::POST, API.into(), json_ct, Some(with("colour", json!("blue"))), 400),
        (Method::POST, API.into(), json_ct, Some(with("renewal_count", json!(3))), 400),
        (Method::POST, API.into(), json_ct, Some(with("issued_at", json!("yesterday"))), 400),
        (Method::POST, API.into(), json_ct, Some(with("expires_at", json!("2027-02-30T00:00:00Z"))), 400),
        (Method::POST, API.into(), json_ct, Some(with("expires_at", json!("2025-01-01T00:00:00Z"))), 400),
        (Method::POST, API.into(), json_ct, Some(with("cert_type", json!("Peer Mentor"))), 400),
        (Method::POST, API.into(), json_ct, Some(with("mentor_id", json!("m".repeat(129)))), 400),
        (Method::POST, API.into(), json_ct, Some(with("issued_at", json!("2026-03-01T12:34:60Z"))), 400),
        (Method::POST, API.into(), json_ct, Some(with("mentor_name", json!("Lars \u{202E}nesrikE"))), 400),
        (Method::POST, API.into(), json_ct, Some(r#"{"mentor_id":"m","mentor_id":"n"}"#.into()), 400),
        (Method::PUT, one.clone(), json_ct, Some(r#"{"cert_type":"a","cert_type":"b"}"#.into()), 400),
        (Method::POST, API.into(), Some("text/plain"), Some(good.to_string()), 415),
        (Method::POST, API.into(), None, Some(good.to_string()), 415),
        (Method::POST, API.into(), json_ct, Some(huge.clone()), 413),
        (Method::PUT, one.clone(), json_ct, Some("{}".into()), 400),
        (Method::PUT, one.clone(), json_ct, Some(r#"{"status": "expired"}"#.into()), 400),
        (Method::PUT, one.clone(), json_ct, Some(r#"{"mentor_id": "someone-else"}"#.into()), 400),
        (Method::PUT, one.clone(), json_ct, Some(r#"{"expires_at": "2000-01-01T00:00:00Z"}"#.into()), 400),
        (Method::PUT, one.clone(), json_ct, Some(r#"{"expires_at": 2030}"#.into()), 400),
        (Method::PUT, one.clone(), json_ct, Some("{'single': 'quotes'}".into()), 400),
        (Method::PUT, one.clone(), Some("application/x-www-form-urlencoded"), Some("status=revoked".into()), 415),
        (Method::PUT, one.clone(), json_ct, Some(huge), 413),
        (Method::PUT, format!("{API}/{revoked}"), json_ct, Some(r#"{"mentor_name": "Late"}"#.into()), 409),
        (Method::GET, format!("{API}?limit=0"), None, None, 400),
        (Method::GET, format!("{API}?limit=101"), None, None, 400),
        (Method::GET, format!("{API}?page=abc"), None, None, 400),
        (Method::GET, format!("{API}?page=0"), None, None, 400),
        (Method::GET, format!("{API}?status=sleeping"), None, None, 400),
        (Method::GET, format!("{API}?cert_type=BAD%20TYPE"), None, None, 400),
        (Method::GET, format!("{API}?colour=red"), None, None, 400),
        (Method::GET, format!("{API}?page=1&page=2"), None, None, 400),
        (Method::GET, format!("{API}/expiring?days=0"), None, None, 400),
        (Method::GET, format!("{API}/expiring?days=3651"), None, None, 400),
        (Method::GET, format!("{API}/expiring?mentor_id=mentor-alpha"), None, None, 400),
        (Method::GET, format!("{API}/expiring?days=7&days=8"), None, None, 400),
        (Method::GET, format!("{API}/bad!id"), None, None, 404),
        (Method::GET, format!("{API}/{}", "a".repeat(65)), None, None, 404),
        (Method::GET, format!("{API}/cert-00000000000000000000000000"), None, None, 404),
        (Method::GET, format!("{API}/cert-00000000000000000000000000/status"), None, None, 404),
        (Method::PUT, format!("{API}/cert-00000000000000000000000000"), json_ct, Some(r#"{"mentor_name": "X"}"#.into()), 404),
        (Method::DELETE, format!("{API}/cert-00000000000000000000000000"), None, None, 404),
        (Method::PATCH, one.clone(), json_ct, Some("{}".into()), 405),
        (Method::DELETE, API.into(), None, None, 405),
        (Method::POST, format!("{API}/expiring"), json_ct, Some(good.to_string()), 405),
        (Method::GET, "/api/v2/certifications".into(), None, None, 404),
        (Method::GET, format!("{one}/status/extra"), None, None, 404),
        (Method::GET, "/".into(), None, None, 404),
    ];
    assert!(cases.len() >= 25);
    let mut unrouted = 0;
    for (method, path, content_type, body, expected) in cases {
        let what = format!("{method} {path} ({content_type:?})");
        let routed = has_route(&method, &path);
        // A 405 is the local server's answer to a method the path lacks: never a route.
        assert!(!(routed && expected == 405), "{what}: has_route disagrees with the expectation");
        unrouted += usize::from(!routed);
        let r = api.send(method, &path, content_type, body.map(String::into_bytes)).await;
        if front == Front::CargoLambda && !routed {
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{what}: no route, as API Gateway answers: {}", r.body);
            assert_ne!(r.content_type, "application/problem+json", "{what}: answered by a function");
            continue;
        }
        assert_eq!(r.status.as_u16(), expected, "{what}: {}", r.body);
        assert_eq!(r.content_type, "application/problem+json", "{what}");
        assert_eq!(r.body["status"], expected, "{what}: {}", r.body);
        for field in ["type", "title", "detail"] {
            assert!(r.body[field].is_string(), "{what}: no {field} in {}", r.body);
        }
        if expected == 405 {
            assert!(r.allow.is_some(), "{what}: no Allow header");
        }
    }
    // Three wrong methods and three unknown paths.
    assert_eq!(unrouted, 6);
}

/// Sends creates concurrently, SIGTERMs the server as soon as the first is acknowledged, and
/// returns the ids of every create that was acknowledged (201).
async fn creates_across_sigterm(api: &Api, server: &Server) -> Vec<String> {
    let now = Utc::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let (http, url) = (api.http.clone(), format!("{}{API}", api.base));
        let body = json!({"mentor_id": format!("mentor-late-{i}"), "cert_type": "first_aid",
                          "issued_at": ts(now), "expires_at": ts(now + TimeDelta::days(90))});
        tasks.spawn(async move {
            let res = http.post(url).json(&body).send().await.ok()?;
            if res.status() != StatusCode::CREATED {
                return None;
            }
            let v: Value = res.json().await.ok()?;
            v["id"].as_str().map(String::from)
        });
    }
    let mut acknowledged = Vec::new();
    let mut signalled = false;
    while let Some(done) = tasks.join_next().await {
        if let Some(id) = done.expect("a create task") {
            acknowledged.push(id);
        }
        if !signalled && !acknowledged.is_empty() {
            server.terminate();
            signalled = true;
        }
    }
    assert!(signalled, "no create was acknowledged before the shutdown");
    acknowledged
}
