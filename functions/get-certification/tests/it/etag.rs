//! `GET /{id}` answers with the record's `ETag`, which changes with every write.
use get_certification::handle;
use shared::domain::CertificationPatch;
use shared::testing::StoreExt;
use shared::testing::{assert_json, at, certification, ApiRequest, TestDb};

#[tokio::test]
async fn the_etag_follows_the_record_version() {
    let db = TestDb::start().await;
    db.store().create(&certification("cert-g", "2027-01-01T00:00:00Z")).await.unwrap();
    let app = db.app_at("2026-03-26T10:00:00Z");
    let get = || handle(&app, ApiRequest::new("GET", "/api/v1/certifications/{id}").id("cert-g").build());
    let r = get().await;
    assert_json(&r, 200);
    assert_eq!(r.headers()["etag"], "\"v1\"");
    let patch = CertificationPatch { cert_type: Some("level_9".into()), ..Default::default() };
    db.store().update("cert-g", &patch, at("2026-03-26T10:00:00Z")).await.unwrap();
    assert_eq!(get().await.headers()["etag"], "\"v2\"");
}
