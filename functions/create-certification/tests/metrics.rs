//! `create-certification`'s EMF lines: a 201 counts one `CertificationsCreated`, a 400
//! none. Its own test binary, one test: the metrics recorder is process-global.
use create_certification::handle;
use serde_json::json;
use shared::metrics::emf::{documents, metric};
use shared::metrics::Metrics;
use shared::testing::{ApiRequest, TestDb};

#[tokio::test]
async fn a_created_certification_is_counted_and_a_rejected_one_is_not() {
    let metrics = Metrics::install("Certifications", "create-certification").expect("the only recorder here");
    let db = TestDb::start().await;
    let app = db.app_at("2026-03-26T10:00:00Z");
    let post = |body: serde_json::Value| ApiRequest::new("POST", "/api/v1/certifications").json(&body).build();

    let mut out = Vec::new();
    let good = json!({"mentor_id": "mentor-42", "cert_type": "peer_mentor_level_2",
                      "issued_at": "2025-09-01T00:00:00Z", "expires_at": "2026-09-01T00:00:00Z"});
    assert_eq!(metrics.observe_into(handle(&app, post(good)), &mut out).await.status(), 201);
    let docs = documents(&out);
    let created = metric(&docs, "CertificationsCreated").expect("counted");
    assert_eq!((created.value, created.namespace, created.unit), (&json!(1), "Certifications", Some("Count")));
    assert_eq!(created.doc["Operation"], "create-certification");
    assert_eq!(metric(&docs, "Requests").unwrap().doc["StatusClass"], "2xx");
    // Only the three documented dimension names ever appear.
    for d in &docs {
        for dim in d["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0].as_array().unwrap() {
            assert!(["Operation", "StatusClass"].contains(&dim.as_str().unwrap()), "{d}");
        }
    }

    let mut out = Vec::new();
    assert_eq!(metrics.observe_into(handle(&app, post(json!({"mentor_id": ""}))), &mut out).await.status(), 400);
    let docs = documents(&out);
    assert!(metric(&docs, "CertificationsCreated").is_none(), "{docs:?}");
    assert!(metric(&docs, "ColdStart").is_none());
    assert_eq!(metric(&docs, "Requests").unwrap().doc["StatusClass"], "4xx");
}
