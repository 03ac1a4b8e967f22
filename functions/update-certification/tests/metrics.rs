//! The EMF lines `update-certification` prints per request: the request metrics with their
//! status class, the cold start once, and the renewed/suspended/revoked counts. Its own test
//! binary, one test: the metrics recorder is process-global.
use serde_json::json;
use shared::metrics::emf::{documents, metric};
use shared::metrics::Metrics;
use shared::testing::{certification, ApiRequest, TestDb};
use update_certification::handle;

const NOW: &str = "2026-03-26T10:05:00Z";
const ROUTE: &str = "/api/v1/certifications/{id}";

#[tokio::test]
async fn each_request_prints_its_metrics_and_its_changes() {
    let metrics = Metrics::install("CertsTest", "update-certification").expect("the only recorder in this binary");
    let db = TestDb::start().await;
    db.store().create(&certification("cert-a", "2026-09-01T00:00:00Z")).await.unwrap();
    let app = db.app_at(NOW);
    let put = |id: &str, body: serde_json::Value| ApiRequest::new("PUT", ROUTE).id(id).json(&body).build();

    // A renewal: 200, first invocation of this "environment".
    let mut out = Vec::new();
    let r = metrics
        .observe_into(handle(&app, put("cert-a", json!({"expires_at": "2027-09-01T00:00:00Z"}))), &mut out)
        .await;
    assert_eq!(r.status(), 200);
    let docs = documents(&out);
    let requests = metric(&docs, "Requests").expect("Requests");
    assert_eq!(requests.namespace, "CertsTest");
    assert_eq!(requests.dimensions, ["Operation", "StatusClass"]);
    assert_eq!(
        (requests.doc["Operation"].as_str(), requests.doc["StatusClass"].as_str()),
        (Some("update-certification"), Some("2xx"))
    );
    assert_eq!((requests.value, requests.unit), (&json!(1), Some("Count")));
    let duration = metric(&docs, "Duration").expect("Duration");
    assert_eq!(duration.unit, Some("Milliseconds"));
    assert_eq!(duration.dimensions, ["Operation", "StatusClass"]);
    let ms = duration.value.as_array().expect("a histogram is a list of values");
    assert!(ms.len() == 1 && ms[0].as_f64().is_some_and(|v| v >= 0.0), "{ms:?}");
    let cold = metric(&docs, "ColdStart").expect("the first invocation is a cold start");
    assert_eq!((cold.value, cold.dimensions.as_slice()), (&json!(1), ["Operation"].as_slice()));
    let renewed = metric(&docs, "CertificationsRenewed").expect("a renewal is counted");
    assert_eq!((renewed.value, renewed.dimensions.as_slice()), (&json!(1), ["Operation"].as_slice()));
    assert_eq!(renewed.doc["Operation"], "update-certification");
    assert!(metric(&docs, "CertificationsSuspended").is_none());

    // A plain update, then a suspension, then a revocation: warm, one count each.
    let mut out = Vec::new();
    let r =
        metrics.observe_into(handle(&app, put("cert-a", json!({"cert_type": "peer_mentor_level_3"}))), &mut out).await;
    assert_eq!(r.status(), 200);
    let docs = documents(&out);
    assert!(metric(&docs, "ColdStart").is_none(), "only the first invocation is cold");
    assert!(metric(&docs, "CertificationsRenewed").is_none(), "a plain update is no renewal: {docs:?}");
    assert_eq!(metric(&docs, "Requests").unwrap().value, &json!(1), "counts reset after each flush");

    for (status, name) in [("suspended", "CertificationsSuspended"), ("revoked", "CertificationsRevoked")] {
        let mut out = Vec::new();
        let r = metrics.observe_into(handle(&app, put("cert-a", json!({"status": status}))), &mut out).await;
        assert_eq!(r.status(), 200, "{status}");
        let docs = documents(&out);
        assert_eq!(metric(&docs, name).map(|m| m.value), Some(&json!(1)), "{status}: {docs:?}");
    }

    // Refused (revocation is final) and unknown: 4xx, nothing changed, nothing counted.
    for (id, expected) in [("cert-a", 409), ("cert-nope", 404)] {
        let mut out = Vec::new();
        let r = metrics.observe_into(handle(&app, put(id, json!({"status": "suspended"}))), &mut out).await;
        assert_eq!(r.status(), expected);
        let docs = documents(&out);
        let requests = metric(&docs, "Requests").unwrap();
        assert_eq!(requests.doc["StatusClass"], "4xx");
        assert!(metric(&docs, "CertificationsSuspended").is_none(), "{docs:?}");
    }

    // Store unreachable: 503 is a 5xx.
    let down = shared::testing::unreachable_app(NOW).await;
    let mut out = Vec::new();
    let r = metrics.observe_into(handle(&down, put("cert-a", json!({"status": "suspended"}))), &mut out).await;
    assert_eq!(r.status(), 503);
    assert_eq!(metric(&documents(&out), "Requests").unwrap().doc["StatusClass"], "5xx");
}
