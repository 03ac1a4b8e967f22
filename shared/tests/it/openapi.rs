//! `openapi.yaml` against the code: its paths and methods are exactly `shared::http::routes::ROUTES`,
//! every `$ref` resolves, and the limits and patterns it states are the validators' (the
//! patterns are run against the validator functions on boundary samples). CI also checks it
//! with openapi-spec-validator and runs schemathesis against the local server with it.
use std::collections::BTreeSet;
use std::path::Path;

use serde_yaml_ng::Value;
use shared::http::cursor::MAX_CURSOR_LEN;
use shared::http::routes::ROUTES;
use shared::http::{DEFAULT_LIMIT, MAX_LIMIT, MAX_PAGE};
use shared::store::MAX_OFFSET;
use shared::validation::{
    is_cert_type, is_mentor_id, is_valid_path_id, parse_create, parse_timestamp, parse_update, CERT_TYPE_RULE,
    MAX_BODY_BYTES,
};
use shared::Status;

/// A validator of one string rule, as `shared::validation` has them.
type Validator = fn(&str) -> bool;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn spec() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml_ng::from_str(&text).expect("openapi.yaml parses as YAML")
}

/// The value a local `$ref` (`#/components/...`) points at.
fn resolve<'a>(spec: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference.strip_prefix("#/").unwrap_or_else(|| panic!("{reference}: only local refs are used"));
    pointer.split('/').fold(spec, |node, key| node.get(key).unwrap_or_else(|| panic!("{reference} does not resolve")))
}

/// Follows `$ref`s until a value that is not one.
fn deref<'a>(spec: &'a Value, mut node: &'a Value) -> &'a Value {
    while let Some(r) = node.get("$ref").and_then(Value::as_str) {
        node = resolve(spec, r);
    }
    node
}

fn schema<'a>(spec: &'a Value, name: &str) -> &'a Value {
    &spec["components"]["schemas"][name]
}

fn pattern_of(schema: &Value) -> regex_lite::Regex {
    let p = schema["pattern"].as_str().expect("a pattern");
    regex_lite::Regex::new(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn pattern(spec: &Value, name: &str) -> regex_lite::Regex {
    let p = schema(spec, name)["pattern"].as_str().unwrap_or_else(|| panic!("{name} has a pattern"));
    regex_lite::Regex::new(p).unwrap_or_else(|e| panic!("{name}: {p}: {e}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence().expect("a list").iter().map(|s| s.as_str().expect("a string").to_owned()).collect()
}

fn int(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("{v:?} is not an integer"))
}

#[test]
fn paths_and_methods_are_exactly_the_routes() {
    let spec = spec();
    assert_eq!(spec["openapi"].as_str(), Some("3.1.0"));
    let mut documented = BTreeSet::new();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        let path = path.as_str().expect("a path");
        for (method, op) in item.as_mapping().expect("a path item") {
            let method = method.as_str().expect("a key");
            if METHODS.contains(&method) {
                documented.insert((method.to_ascii_uppercase(), path.to_owned()));
                let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: operationId"));
                assert!(operation_ids.insert(id.to_owned()), "operationId {id} twice");
            }
        }
    }
    let routes: BTreeSet<(String, String)> = ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    assert_eq!(documented, routes);
}

#[test]
fn every_ref_resolves_and_every_operation_documents_its_errors() {
    fn walk(spec: &Value, node: &Value, refs: &mut usize) {
        match node {
            Value::Mapping(m) => {
                for (k, v) in m {
                    if k.as_str() == Some("$ref") {
                        resolve(spec, v.as_str().expect("a $ref is a string"));
                        *refs += 1;
                    }
                    walk(spec, v, refs);
                }
            }
            Value::Sequence(s) => s.iter().for_each(|v| walk(spec, v, refs)),
            _ => {}
        }
    }
    let spec = spec();
    let mut refs = 0;
    walk(&spec, &spec, &mut refs);
    assert!(refs > 50, "{refs} refs");

    for route in &ROUTES {
        let op = &spec["paths"][route.path][route.method.to_ascii_lowercase().as_str()];
        let responses = op["responses"].as_mapping().expect("responses");
        let codes: BTreeSet<&str> = responses.keys().map(|k| k.as_str().expect("a status as text")).collect();
        // Every route can answer a bad query (400), a fault (500) and a busy table (503).
        for code in ["400", "500", "503"] {
            assert!(codes.contains(code), "{} {}: no {code}", route.method, route.path);
        }
        let has_body = matches!(route.method, "POST" | "PUT");
        for code in ["413", "415"] {
            assert_eq!(codes.contains(code), has_body, "{} {}: {code}", route.method, route.path);
        }
        assert_eq!(codes.contains("404"), route.path.contains("{id}"), "{} {}: 404", route.method, route.path);
        for (code, response) in responses {
            let response = deref(&spec, response);
            let content = response["content"].as_mapping().expect("content");
            let types: Vec<&str> = content.keys().map(|k| k.as_str().expect("a media type")).collect();
            let expected = if code.as_str().is_some_and(|c| c.starts_with('2')) {
                "application/json"
            } else {
                "application/problem+json"
            };
            assert_eq!(types, [expected], "{} {} {code:?}", route.method, route.path);
        }
        let created = &responses.get("201").map(|r| &r["headers"]["Location"]);
        assert_eq!(created.is_some(), route.method == "POST", "{} {}: Location", route.method, route.path);
    }
    let unavailable = &spec["components"]["responses"]["Unavailable"]["headers"]["Retry-After"];
    assert!(deref(&spec, unavailable)["required"].as_bool().unwrap_or(false));
    let not_allowed = &spec["components"]["responses"]["MethodNotAllowed"]["headers"]["Allow"];
    assert!(deref(&spec, not_allowed)["required"].as_bool().unwrap_or(false));
}

#[test]
fn numeric_limits_and_enums_are_the_codes() {
    let spec = spec();
    let params = &spec["components"]["parameters"];
    assert_eq!(int(&params["page"]["schema"]["minimum"]), 1);
    assert_eq!(int(&params["page"]["schema"]["maximum"]), u64::from(MAX_PAGE));
    assert_eq!(int(&params["page"]["schema"]["default"]), 1);
    assert_eq!(int(&params["limit"]["schema"]["minimum"]), 1);
    assert_eq!(int(&params["limit"]["schema"]["maximum"]), u64::from(MAX_LIMIT));
    assert_eq!(int(&params["limit"]["schema"]["default"]), u64::from(DEFAULT_LIMIT));
    let pagination = &schema(&spec, "Pagination")["properties"];
    assert_eq!(int(&pagination["limit"]["maximum"]), u64::from(MAX_LIMIT));
    // A cursor walk numbers pages past `page`'s own maximum (limit 1, a million items).
    assert!(pagination["page"].get("maximum").is_none());
    let window = format!("below {},{:03}", MAX_OFFSET / 1000, MAX_OFFSET % 1000);
    assert!(params["page"]["description"].as_str().unwrap().contains(&window), "{window}");
    // The example's cursor is one the service issues for that list (no filter, limit 20).
    let example = &spec["paths"]["/api/v1/certifications"]["get"]["responses"]["200"]["content"]["application/json"]
        ["example"]["pagination"]["next_cursor"];
    let decoded = shared::http::cursor::decode("/api/v1/certifications||limit=20", example.as_str().unwrap());
    assert_eq!(decoded.map(|c| c.page), Ok(2));
    assert_eq!(int(&params["cursor"]["schema"]["maxLength"]), MAX_CURSOR_LEN as u64);
    let cursor = pattern_of(&params["cursor"]["schema"]);
    let issued = shared::http::cursor::encode("/api/v1/certifications||limit=20", 2, "2025-09-01T08:14:00Z#cert-x");
    assert!(cursor.is_match(&issued), "{issued}");

    let too_large = spec["components"]["responses"]["PayloadTooLarge"]["description"].as_str().unwrap();
    assert!(too_large.contains(&format!("({MAX_BODY_BYTES} bytes)")), "{too_large}");

    let all: Vec<String> = Status::ALL.iter().map(|s| s.as_str().to_owned()).collect();
    assert_eq!(strings(&schema(&spec, "Status")["enum"]), all);
    // The settable ones are exactly those a PUT accepts.
    let settable = strings(&schema(&spec, "SettableStatus")["enum"]);
    for s in &all {
        let accepted = parse_update(format!(r#"{{"status":"{s}"}}"#).as_bytes()).is_ok();
        assert_eq!(settable.contains(s), accepted, "status {s}");
    }
    // The cert_type rule clients read in error messages quotes the same pattern.
    let cert_type = schema(&spec, "CertType")["pattern"].as_str().unwrap();
    assert_eq!(CERT_TYPE_RULE, format!("must match {cert_type}"));
}

#[test]
fn patterns_agree_with_the_validators() {
    let spec = spec();
    let long = |c: &str, n: usize| c.repeat(n);
    let samples: Vec<String> = [
        "",
        "a",
        "A",
        "0",
        "_",
        "-",
        ".",
        ":",
        "cert-01",
        "cert_01",
        "a b",
        "a/b",
        "a%2F",
        "é",
        "ü",
        "a\n",
        "Z.z:9-_",
        "0abc",
        "_abc",
        "abc_",
        "Abc",
        "ab-c",
        "x!",
        "peer_mentor_level_2",
        "expiring",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([63, 64, 65, 127, 128, 129].iter().flat_map(|&n| [long("a", n), format!("0{}", long("_", n - 1))]))
    .collect();
    let checks: [(&str, Validator); 3] =
        [("PathId", is_valid_path_id), ("MentorId", is_mentor_id), ("CertType", is_cert_type)];
    for (name, valid) in checks {
        let re = pattern(&spec, name);
        for s in &samples {
            assert_eq!(re.is_match(s), valid(s), "{name} on {s:?}");
        }
    }

    // mentor_name: length in characters, and no control characters (Unicode Cc).
    let name = schema(&spec, "MentorName");
    let (min, max) = (int(&name["minLength"]) as usize, int(&name["maxLength"]) as usize);
    let re = pattern(&spec, "MentorName");
    let create = |name: &str| {
        let body = serde_json::json!({"mentor_id": "m", "cert_type": "t", "issued_at": "2026-01-01T00:00:00Z",
                                      "expires_at": "2027-01-01T00:00:00Z", "mentor_name": name});
        parse_create(body.to_string().as_bytes()).is_ok()
    };
    for s in [
        "",
        "Lars",
        "tab\there",
        "nul\0",
        "del\u{7f}",
        "c1\u{85}",
        "nbsp\u{a0}",
        "zwj\u{200d}",
        "line\u{2028}",
        "rlo\u{202e}",
        "lri\u{2066}",
        "alm\u{61c}",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([199, 200, 201].iter().map(|&n| long("é", n)))
    {
        let n = s.chars().count();
        assert_eq!((min..=max).contains(&n) && re.is_match(&s), create(&s), "mentor_name {s:?}");
    }

    // status_reason: the same character rules, its own length, beside `status: suspended`.
    let reason = schema(&spec, "StatusReason");
    let (min, max) = (int(&reason["minLength"]) as usize, int(&reason["maxLength"]) as usize);
    let re = pattern(&spec, "StatusReason");
    assert_eq!(reason["pattern"], name["pattern"], "the same character rules as mentor_name");
    let suspend = |reason: &str| {
        let body = serde_json::json!({"status": "suspended", "status_reason": reason});
        parse_update(body.to_string().as_bytes()).is_ok()
    };
    for s in ["", "Audit", "tab\there", "line\u{2028}", "rlo\u{202e}"]
        .iter()
        .map(|s| s.to_string())
        .chain([499, 500, 501].iter().map(|&n| long("é", n)))
    {
        let n = s.chars().count();
        assert_eq!((min..=max).contains(&n) && re.is_match(&s), suspend(&s), "status_reason {s:?}");
    }

    // Timestamps: the year pattern is the UTC range wherever the offset does not cross it.
    let re = pattern(&spec, "InputTimestamp");
    for t in [
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z",
        "2026-03-01T00:00:00+02:00",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "2026-03-01T00:00:00.999999Z",
        "2026-03-01T12:34:60Z",
        "2026-03-01T12:34:59Z",
    ] {
        assert_eq!(re.is_match(t), parse_timestamp(t).is_ok(), "{t}");
    }
    // ... and the documented exception.
    assert!(re.is_match("1970-01-01T00:30:00+01:00") && parse_timestamp("1970-01-01T00:30:00+01:00").is_err());
}

#[test]
fn the_request_examples_are_accepted() {
    let spec = spec();
    let bodies = &spec["components"]["requestBodies"];
    let example = |name: &str| {
        let v = &bodies[name]["content"]["application/json"]["example"];
        serde_json::to_vec(v).expect("an example as JSON")
    };
    parse_create(&example("NewCertification")).expect("the POST example is valid");
    parse_update(&example("CertificationPatch")).expect("the PUT example is valid");
}
