//! `--auth` through the whole local router: the JWT authorizer's rules (writes need the
//! write scope, reads are public unless a read scope is set; 401 without a valid token, 403
//! without the scope), answered as problem+json, after routing as API Gateway does.
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use local_api::auth::{AuthRules, Claims, DEFAULT_WRITE_SCOPE};
use local_api::routes::api_router;
use serde_json::{json, Value};
use shared::testing::TestDb;
use tower::ServiceExt;

const API: &str = "/api/v1/certifications";
const READ: &str = "certifications/read";

struct Local {
    _db: TestDb,
    app: axum::Router,
    rules: Arc<AuthRules>,
}

impl Local {
    async fn start(read_scope: Option<&str>) -> Self {
        let db = TestDb::start().await;
        let rules = Arc::new(AuthRules::new(b"local-test-key", DEFAULT_WRITE_SCOPE, read_scope));
        let app = api_router(db.app_at("2026-03-26T10:00:00Z"), Some(rules.clone())).unwrap();
        Self { _db: db, app, rules }
    }

    fn token(&self, scopes: &[&str]) -> String {
        self.rules.sign(&Claims::new(scopes, SystemTime::now() + Duration::from_secs(600))).unwrap()
    }

    async fn send(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value, Option<String>) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match body {
            Some(b) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                axum::body::Body::from(b.to_string())
            }
            None => axum::body::Body::empty(),
        };
        let r = self.app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        let status = r.status();
        let challenge = r.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
        if status.is_client_error() {
            assert_eq!(r.headers()[header::CONTENT_TYPE], "application/problem+json", "{method} {uri}");
        }
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), challenge)
    }
}

fn new_cert() -> Value {
    json!({"mentor_id": "mentor-42", "cert_type": "peer_mentor_level_2",
           "issued_at": "2025-09-01T00:00:00Z", "expires_at": "2026-09-01T00:00:00Z"})
}

#[tokio::test]
async fn writes_need_the_write_scope_and_reads_stay_public() {
    let local = Local::start(None).await;

    let (status, problem, challenge) = local.send("POST", API, None, Some(new_cert())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!((problem["type"].as_str(), problem["status"].as_u64()), (Some("/problems/unauthorized"), Some(401)));
    assert_eq!(challenge.as_deref(), Some("Bearer"));
    let (status, _, _) = local.send("POST", API, Some("forged.token.here"), Some(new_cert())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let reader = local.token(&[READ]);
    let (status, problem, challenge) = local.send("POST", API, Some(&reader), Some(new_cert())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["type"], "/problems/forbidden");
    assert_eq!(problem["detail"], "the token lacks the scope 'certifications/write'");
    assert_eq!(challenge.as_deref(), Some(r#"Bearer error="insufficient_scope""#));

    let writer = local.token(&[DEFAULT_WRITE_SCOPE]);
    let (status, created, _) = local.send("POST", API, Some(&writer), Some(new_cert())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let one = format!("{API}/{}", created["id"].as_str().unwrap());

    // Reads need nothing.
    for uri in [API.to_owned(), format!("{API}/expiring"), one.clone(), format!("{one}/status")] {
        assert_eq!(local.send("GET", &uri, None, None).await.0, StatusCode::OK, "{uri}");
    }
    // PUT and DELETE as POST; nothing changed by the refused ones.
    let renew = json!({"expires_at": "2027-09-01T00:00:00Z"});
    assert_eq!(local.send("PUT", &one, None, Some(renew.clone())).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(local.send("DELETE", &one, Some(&reader), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(local.send("GET", &one, None, None).await.1["expires_at"], "2026-09-01T00:00:00Z");
    assert_eq!(local.send("PUT", &one, Some(&writer), Some(renew)).await.0, StatusCode::OK);
    assert_eq!(local.send("DELETE", &one, Some(&writer), None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn routing_comes_before_auth() {
    let local = Local::start(Some(READ)).await;
    // No route: 404; a method the path lacks: 405; neither asks for a token.
    assert_eq!(local.send("POST", "/api/v1/nothing", None, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(local.send("PATCH", API, None, None).await.0, StatusCode::METHOD_NOT_ALLOWED);
    // PUT on the literal `/expiring` is `PUT /{id}` (as API Gateway routes it): a write route.
    assert_eq!(local.send("PUT", &format!("{API}/expiring"), None, None).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_read_scope_makes_reads_need_it() {
    let local = Local::start(Some(READ)).await;
    assert_eq!(local.send("GET", API, None, None).await.0, StatusCode::UNAUTHORIZED);
    let writer = local.token(&[DEFAULT_WRITE_SCOPE]);
    assert_eq!(local.send("GET", API, Some(&writer), None).await.0, StatusCode::FORBIDDEN);
    let reader = local.token(&[READ]);
    assert_eq!(local.send("GET", API, Some(&reader), None).await.0, StatusCode::OK);
    let both = local.token(&[READ, DEFAULT_WRITE_SCOPE]);
    let (status, created, _) = local.send("POST", API, Some(&both), Some(new_cert())).await;
    assert_eq!(status, StatusCode::CREATED);
    let status_uri = format!("{API}/{}/status", created["id"].as_str().unwrap());
    assert_eq!(local.send("GET", &status_uri, None, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(local.send("GET", &status_uri, Some(&reader), None).await.0, StatusCode::OK);
}

/// `--auth` protects the local admin routes (`/_local/*`) as it protects writes (issue 18):
/// `POST /_local/expiry-scan` needs the write scope; another method is still a 405 first.
#[tokio::test]
async fn the_local_admin_routes_need_the_write_scope() {
    use local_api::expiry::{LocalScan, ReminderDays, ScanArgs, SCAN_ROUTE};
    let mut local = Local::start(None).await;
    let dir = std::env::temp_dir().join(format!("auth-scan-{}", ulid::Ulid::new()));
    let args = ScanArgs { events: dir.join("events.jsonl"), reminder_days: ReminderDays(vec![30]) };
    let scan = LocalScan::new(&local._db.app_at("2026-03-26T10:00:00Z"), &args);
    local.app = local.app.clone().merge(scan.routes(Some(local.rules.clone())));

    assert_eq!(local.send("GET", SCAN_ROUTE, None, None).await.0, StatusCode::METHOD_NOT_ALLOWED);
    let (status, problem, _) = local.send("POST", SCAN_ROUTE, None, None).await;
    assert_eq!((status, problem["type"].as_str()), (StatusCode::UNAUTHORIZED, Some("/problems/unauthorized")));
    assert_eq!(local.send("POST", SCAN_ROUTE, Some("forged.token.here"), None).await.0, StatusCode::UNAUTHORIZED);
    let reader = local.token(&[READ]);
    assert_eq!(local.send("POST", SCAN_ROUTE, Some(&reader), None).await.0, StatusCode::FORBIDDEN);
    let writer = local.token(&[DEFAULT_WRITE_SCOPE]);
    let (status, summary, _) = local.send("POST", SCAN_ROUTE, Some(&writer), None).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let _ = std::fs::remove_dir_all(dir);
}

/// With `--auth` the token's claims reach the function as API Gateway passes them, so an
/// `Idempotency-Key` is the caller's own (issue 18): two callers, one key, two bodies: two
/// certifications; each caller's retry replays its own.
#[tokio::test]
async fn an_idempotency_key_belongs_to_the_token_holder() {
    let local = Local::start(None).await;
    let token = |sub: &str| {
        let mut c = Claims::new(&[DEFAULT_WRITE_SCOPE], SystemTime::now() + Duration::from_secs(600));
        c.sub = sub.into();
        local.rules.sign(&c).unwrap()
    };
    let post = |token: String, mentor: &'static str| {
        let body = json!({"mentor_id": mentor, "cert_type": "peer_mentor_level_2",
                          "issued_at": "2025-09-01T00:00:00Z", "expires_at": "2026-09-01T00:00:00Z"});
        let req = Request::post(API)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "order-1")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        let app = local.app.clone();
        async move {
            let r = app.oneshot(req).await.unwrap();
            let replayed = r.headers().contains_key("idempotent-replayed");
            let status = r.status();
            let bytes = r.into_body().collect().await.unwrap().to_bytes();
            (status, replayed, serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null))
        }
    };
    let (ada, bob) = (token("user-ada"), token("user-bob"));
    let (s1, r1, first) = post(ada.clone(), "mentor-ada").await;
    let (s2, r2, second) = post(bob.clone(), "mentor-bob").await;
    assert_eq!((s1, r1, s2, r2), (StatusCode::CREATED, false, StatusCode::CREATED, false), "{first} {second}");
    assert_ne!(first["id"], second["id"]);
    let (s, replayed, again) = post(ada, "mentor-ada").await;
    assert_eq!((s, replayed, &again["id"]), (StatusCode::CREATED, true, &first["id"]));
    let (s, _, _) = post(bob, "mentor-other").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
