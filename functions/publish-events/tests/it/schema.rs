//! `docs/events.schema.json`: every detail-type the translation produces validates against
//! it (the other tests check each event they produce, through `support::checked`), and the
//! branches tell the types apart.
use publish_events::DETAIL_TYPES;
use serde_json::json;
use shared::Status;

use crate::support::*;

#[test]
fn the_schema_is_2020_12_and_has_one_branch_per_detail_type() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../../docs/events.schema.json")).expect("JSON");
    assert_eq!(doc["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let branches: Vec<&str> = doc["oneOf"].as_array().unwrap().iter().map(|b| b["$ref"].as_str().unwrap()).collect();
    let expected: Vec<String> = DETAIL_TYPES.iter().map(|dt| format!("#/$defs/{dt}")).collect();
    assert_eq!(branches, expected);
    assert_eq!(schema().by_type.len(), DETAIL_TYPES.len());
}

#[test]
fn every_detail_type_is_produced_and_validates_with_and_without_the_name() {
    let c = cert(ID);
    let suspended = next(&c, |n| n.status = Status::Suspended);
    let mut past = c.clone();
    past.status = Status::Expired;
    let changes = [
        change(None, Some(&c)),
        change(
            Some(&c),
            Some(&next(&c, |n| {
                n.expires_at = t("2028-01-01T00:00:00Z");
                n.renewal_count = 1;
            })),
        ),
        change(Some(&c), Some(&suspended)),
        change(Some(&c), Some(&next(&c, |n| n.status = Status::Revoked))),
        change(Some(&suspended), Some(&next(&suspended, |n| n.status = Status::Active))),
        change(None, Some(&past)),
        change_with(Some(image(&c, None)), Some(image(&c, Some(90))), "evt-1"),
        change(Some(&c), Some(&next(&c, |n| n.cert_type = "first_aid".into()))),
        change(Some(&c), None),
    ];
    let mut seen = Vec::new();
    for named in [false, true] {
        for ch in &changes {
            for e in events(ch, named) {
                seen.push(e.detail_type);
            }
        }
    }
    seen.sort();
    seen.dedup();
    let mut all: Vec<String> = DETAIL_TYPES.iter().map(|s| s.to_string()).collect();
    all.sort();
    assert_eq!(seen, all);
}

#[test]
fn the_schema_rejects_what_no_event_looks_like() {
    let e = one(&change(None, Some(&cert(ID))));
    let s = schema();
    assert!(s.whole.is_valid(&e.detail));
    let mut extra = e.detail.clone();
    extra["days_until_expiry"] = json!(3);
    assert!(!s.whole.is_valid(&extra), "an unknown field for the type");
    let mut bad_time = e.detail.clone();
    bad_time["occurred_at"] = json!("2026-03-26T06:00:00.123Z");
    assert!(!s.whole.is_valid(&bad_time), "whole seconds");
    let mut no_id = e.detail.clone();
    no_id.as_object_mut().unwrap().remove("event_id");
    assert!(!s.whole.is_valid(&no_id));
}

/// Every JSON example of `docs/events.md` that is a detail validates against its detail-type's
/// branch (the example's detail-type is named in the line before its block).
#[test]
fn the_examples_in_events_md_validate() {
    let doc = include_str!("../../../../docs/events.md");
    let mut checked = 0;
    let mut lines = doc.lines().peekable();
    let mut last_named: Option<&str> = None;
    while let Some(line) = lines.next() {
        if let Some(dt) = DETAIL_TYPES.iter().find(|dt| line.starts_with(&format!("`{dt}`"))) {
            last_named = Some(dt);
        }
        if line == "```json" {
            let block: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            let value: serde_json::Value = serde_json::from_str(&block.join("\n")).expect("example is JSON");
            if value.get("event_id").is_some() {
                let dt = last_named.expect("an example names its detail-type first");
                validate(dt, &value);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, DETAIL_TYPES.len(), "one example per detail-type");
}
