//! The problem mapping: status, type, title, and no internal cause in any body.
use super::*;

fn body_json(r: &Response<Body>) -> serde_json::Value {
    serde_json::from_slice(r.body().as_ref()).unwrap()
}

#[test]
fn validation_problem_lists_every_field() {
    let r = ApiError::Validation(vec![
        FieldError::new("mentor_id", "is required"),
        FieldError::new("cert_type", "must match ^[a-z0-9][a-z0-9_]{0,63}$"),
    ])
    .into_response();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], PROBLEM_JSON);
    let b = body_json(&r);
    assert_eq!(b["status"], 400);
    assert_eq!(b["type"], "/problems/validation-error");
    assert_eq!(b["errors"].as_array().unwrap().len(), 2);
    assert_eq!(b["errors"][0]["field"], "mentor_id");
}

#[test]
fn unavailable_sets_retry_after_and_405_sets_allow() {
    let r = ApiError::Unavailable.into_response();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    let r = ApiError::MethodNotAllowed { allow: "GET, PUT".into() }.into_response();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, PUT");
}

#[test]
fn repeated_problems_are_listed_once_and_at_most_twenty() {
    let mut errors: Vec<FieldError> = (0..5000).map(|_| FieldError::new("x", "is not a known parameter")).collect();
    errors.extend((0..30).map(|i| FieldError::new(format!("k{i}"), "is not a known parameter")));
    errors.push(FieldError::new("y".repeat(8000), "is not a known parameter"));
    let r = ApiError::Validation(errors).into_response();
    let b = body_json(&r);
    assert_eq!(b["errors"].as_array().unwrap().len(), MAX_LISTED_ERRORS);
    assert_eq!(b["errors"][0]["field"], "x");
    assert_eq!(b["errors"][1]["field"], "k0");
    assert_eq!(b["more_errors"], 12);
    assert_eq!(b["detail"], "32 problems; the first 20 are listed, 12 more are not");
    assert!(r.body().len() < 3000, "{}", r.body().len());
    let one = ApiError::Validation(vec![FieldError::new("z".repeat(100), "bad"); 3]).into_response();
    let b = body_json(&one);
    assert_eq!(b["errors"].as_array().unwrap().len(), 1);
    assert!(b.get("more_errors").is_none());
    assert_eq!(b["errors"][0]["field"].as_str().unwrap().chars().count(), 65);
}

#[test]
fn internal_causes_never_reach_the_body() {
    let r = ApiError::from(StoreError::Internal("secret connection string xyz".into())).into_response();
    assert_eq!(r.status(), 500);
    let text = std::str::from_utf8(r.body().as_ref()).unwrap().to_owned();
    assert!(!text.contains("secret"), "{text}");
    assert_eq!(body_json(&r)["detail"], "an unexpected error occurred");
}
