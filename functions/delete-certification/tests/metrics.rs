//! `delete-certification`'s EMF lines: a delete counts one `CertificationsDeleted`, an
//! unknown id none. Its own test binary, one test: the metrics recorder is process-global.
use delete_certification::handle;
use serde_json::json;
use shared::metrics::emf::{documents, metric};
use shared::metrics::Metrics;
use shared::testing::{certification, ApiRequest, TestDb};

#[tokio::test]
async fn a_delete_is_counted_once() {
    let metrics = Metrics::install("Certifications", "delete-certification").expect("the only recorder here");
    let db = TestDb::start().await;
    db.store().create(&certification("cert-a", "2026-09-01T00:00:00Z")).await.unwrap();
    let app = db.app_at("2026-03-26T10:00:00Z");
    let delete = |id: &str| ApiRequest::new("DELETE", "/api/v1/certifications/{id}").id(id).build();

    let mut out = Vec::new();
    assert_eq!(metrics.observe_into(handle(&app, delete("cert-a")), &mut out).await.status(), 200);
    let docs = documents(&out);
    assert_eq!(metric(&docs, "CertificationsDeleted").map(|m| m.value), Some(&json!(1)));
    let mut out = Vec::new();
    assert_eq!(metrics.observe_into(handle(&app, delete("cert-a")), &mut out).await.status(), 404);
    let docs = documents(&out);
    assert!(metric(&docs, "CertificationsDeleted").is_none(), "{docs:?}");
    assert_eq!(metric(&docs, "Requests").unwrap().doc["StatusClass"], "4xx");
}
