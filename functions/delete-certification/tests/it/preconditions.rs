//! `DELETE` with `If-Match`: checked by the delete's own condition.
use delete_certification::handle;
use shared::testing::{assert_json, assert_problem, certification, ApiRequest, TestDb};

const NOW: &str = "2026-03-26T10:05:00Z";

fn delete(id: &str, if_match: &str) -> lambda_http::Request {
    ApiRequest::new("DELETE", "/api/v1/certifications/{id}").id(id).header("If-Match", if_match).build()
}

#[tokio::test]
async fn a_stale_tag_is_412_and_keeps_the_record_the_current_one_deletes() {
    let db = TestDb::start().await;
    db.store().create(&certification("cert-d", "2027-01-01T00:00:00Z")).await.unwrap();
    let app = db.app_at(NOW);
    let p = assert_problem(&handle(&app, delete("cert-d", "\"v7\"")).await, 412);
    assert_eq!(p["type"], "/problems/precondition-failed");
    assert!(db.store().get("cert-d").await.unwrap().is_some());
    assert_eq!(assert_json(&handle(&app, delete("cert-d", "\"v1\"")).await, 200)["deleted"], true);
    assert_problem(&handle(&app, delete("cert-d", "*")).await, 404);
    assert_problem(&handle(&app, delete("cert-d", "\"v1\"")).await, 404);
}
