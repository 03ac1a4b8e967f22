//! `Idempotency-Key` scoped to its caller (issue 18): behind the JWT authorizer a key
//! belongs to the token's `sub` and `client_id`. Two callers using one key with different
//! bodies both get a 201 and their own record; each caller's replay gets its own first
//! response; without claims (auth off) a key is shared, as before.
use create_certification::handle;
use serde_json::{json, Value};
use shared::store::idempotency::KEY_RECORD_PREFIX;
use shared::testing::{assert_json, assert_problem, ApiRequest, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";
const ROUTE: &str = "/api/v1/certifications";

fn body(mentor: &str) -> Value {
    json!({"mentor_id": mentor, "cert_type": "peer_mentor_level_2",
           "issued_at": "2026-03-01T00:00:00Z", "expires_at": "2027-03-01T00:00:00Z"})
}

fn post(claims: Option<&[(&str, &str)]>, key: &str, body: &Value) -> lambda_http::Request {
    let r = ApiRequest::new("POST", ROUTE).header("Idempotency-Key", key).json(body);
    match claims {
        Some(c) => r.claims(c).build(),
        None => r.build(),
    }
}

fn replayed(r: &lambda_http::Response<lambda_http::Body>) -> bool {
    r.headers().get("idempotent-replayed").is_some()
}

/// The ids of every stored key record.
async fn key_records(db: &TestDb) -> Vec<String> {
    let out = db.client.scan().table_name(&db.table).send().await.unwrap();
    let mut ids: Vec<String> = out
        .items()
        .iter()
        .filter_map(|i| i.get("id")?.as_s().ok().cloned())
        .filter(|id| id.starts_with(KEY_RECORD_PREFIX))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn callers_with_one_key_never_collide() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let ada: &[(&str, &str)] = &[("sub", "user-ada"), ("client_id", "app-1")];
    let bob: &[(&str, &str)] = &[("sub", "user-bob"), ("client_id", "app-1")];
    // Same sub, another client: another caller too. And a sub/client split that concatenates
    // to the same text: still another caller.
    let ada_cli: &[(&str, &str)] = &[("sub", "user-ada"), ("client_id", "cli")];
    let split: &[(&str, &str)] = &[("sub", "user-adaapp"), ("client_id", "-1")];

    let mut firsts = Vec::new();
    for (i, caller) in [ada, bob, ada_cli, split].into_iter().enumerate() {
        let b = body(&format!("mentor-{i}"));
        let r = handle(&app, post(Some(caller), "order-1", &b)).await;
        let created = assert_json(&r, 201);
        assert!(!replayed(&r), "caller {i} got another caller's response");
        assert_eq!(created["mentor_id"], format!("mentor-{i}"));
        firsts.push((caller, b, r.body().as_ref().to_vec()));
    }
    assert_eq!(key_records(&db).await.len(), 4, "one record per caller");
    assert!(key_records(&db).await.iter().all(|id| !id.contains("user-")), "claims are hashed, not stored");

    // Each caller's replay: its own first response; another body from it: 422.
    for (caller, b, first) in &firsts {
        let again = handle(&app, post(Some(caller), "order-1", b)).await;
        assert_eq!(again.status(), 201);
        assert!(replayed(&again));
        assert_eq!(again.body().as_ref(), first.as_slice());
        assert_problem(&handle(&app, post(Some(caller), "order-1", &body("mentor-x"))).await, 422);
    }

    // Without claims (auth off) the key is shared, as before: one record for everyone.
    let r = handle(&app, post(None, "order-2", &body("mentor-a"))).await;
    assert_json(&r, 201);
    let again = handle(&app, post(None, "order-2", &body("mentor-a"))).await;
    assert!(replayed(&again));
    assert_problem(&handle(&app, post(None, "order-2", &body("mentor-b"))).await, 422);
    let ids = key_records(&db).await;
    assert_eq!(ids.len(), 5);
    assert!(ids.contains(&format!("{KEY_RECORD_PREFIX}order-2")), "{ids:?}");
}
