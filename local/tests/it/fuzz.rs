//! Forged input is a 400, never a 5xx (issue 18): a property test over every query parameter
//! and header of the seven routes (known names, unknown ones, repeats; edge numbers, long and
//! non-ASCII text, forged cursors with a recomputed check, entity tags, idempotency keys),
//! driving the real handlers with API Gateway's requests (`shared::testing::ApiRequest`) on
//! one seeded table. A bounded number of cases, so it runs in seconds; a failure prints the
//! shrunk request.
//!
//! Not fuzzed: `Host` and `X-Forwarded-Proto`. lambda_http builds the request's URI from them
//! with `Url::parse(..).unwrap()` while converting the event, before any handler runs (a `Host`
//! of `a:b` panics there); API Gateway sets both itself, and the local server builds its
//! events without that unwrap (`local/src/apigw_event.rs`).
use lambda_http::{Body, Response};
use local_api::handlers::handler;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use shared::http::cursor::encode;
use shared::http::routes::{Route, ROUTES};
use shared::testing::requests::percent_encode;
use shared::testing::{certification, ApiRequest, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";
/// Cases per run: ~2 s in a debug build.
const CASES: u32 = 512;
const KNOWN_ID: &str = "cert-fuzz-1";

/// One generated request.
#[derive(Debug, Clone)]
struct Input {
    route: usize,
    id: String,
    query: Vec<(String, String)>,
    /// A cursor (page, sort key) whose check is recomputed for the request's own filters and
    /// limit, as a forger would: it passes the check and meets the validation behind it.
    cursor: Option<(u32, String)>,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

/// Text that mixes what validation meets: ASCII, separators, percent signs, non-ASCII.
fn text(max: usize) -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        6 => prop::char::range('a', 'z'),
        2 => prop::char::range('0', '9'),
        2 => prop::sample::select(vec!['-', '_', '#', '|', '"', ',', '*', '+', ' ', '%', '&', '=', '/', '.', ':', 'W']),
        1 => any::<char>(),
    ];
    prop::collection::vec(chars, 0..max).prop_map(|c| c.into_iter().collect())
}

/// Header-safe text: printable ASCII and tab (what API Gateway delivers as a header value).
fn header_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::char::range(' ', '~'), 0..max).prop_map(|c| c.into_iter().collect())
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0",
            "1",
            "2",
            "20",
            "100",
            "101",
            "3650",
            "3651",
            "1000000",
            "1000001",
            "4294967295",
            "4294967296",
            "-1",
            "+1",
            "01",
            " 1",
            "1e3",
            "0x10",
            "",
            "9999999999999999999999",
        ])
        .prop_map(str::to_owned),
        any::<u32>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

/// A sort key: well-formed, or almost.
fn sort_key() -> impl Strategy<Value = String> {
    let time = prop_oneof![
        prop::sample::select(vec![
            "2026-03-26T10:00:00Z",
            "2026-04-10T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "2036-03-24T10:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-03-26T10:00:60Z",
            "2026-03-26",
            "",
        ])
        .prop_map(str::to_owned),
        (0i64..=253_402_300_799).prop_map(|s| {
            chrono::DateTime::from_timestamp(s, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default()
        }),
    ];
    let id = prop_oneof![3 => Just(KNOWN_ID.to_owned()), 3 => Just("cert-zzz".to_owned()), 1 => text(70)];
    let sep = prop_oneof![6 => Just("#"), 1 => Just("$"), 1 => Just(""), 1 => Just("##")];
    (time, sep, id).prop_map(|(t, sep, id)| format!("{t}{sep}{id}"))
}

/// A cursor's page: in range, at its edges and beyond.
fn page() -> impl Strategy<Value = u32> {
    prop_oneof![
        1 => Just(0u32),
        1 => Just(1),
        4 => Just(2),
        1 => Just(u32::MAX),
        1 => Just(i32::MAX as u32),
        1 => Just(i32::MAX as u32 + 1),
        1 => any::<u32>(),
    ]
}

/// A cursor with a recomputed check, for one of the scopes the list routes use.
fn forged_cursor() -> impl Strategy<Value = String> {
    let scope = prop::sample::select(vec![
        "/api/v1/certifications||limit=20",
        "/api/v1/certifications||limit=10",
        "/api/v1/certifications|mentor_id=mentor-42|limit=20",
        "/api/v1/certifications|status=active|limit=20",
        "/api/v1/certifications/expiring|days=30|limit=20",
        "/api/v1/certifications/expiring|days=3650|limit=20",
        "/api/v1/certifications/expiring|days=1|limit=10",
    ]);
    let page = page();
    (scope, page, sort_key()).prop_map(|(scope, page, key)| encode(scope, page, &key))
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => number(),
        2 => prop::sample::select(vec![
            "active", "expired", "suspended", "revoked", "ACTIVE", "mentor-42", "peer_mentor_level_2", "x:y", "",
        ])
        .prop_map(str::to_owned),
        3 => forged_cursor(),
        2 => text(40),
        1 => text(600),
    ]
}

/// A value for parameter `name`: valid-leaning for the known ones, anything besides.
fn value_for(name: &str) -> impl Strategy<Value = String> {
    let valid: Vec<&'static str> = match name {
        "mentor_id" => vec!["mentor-42", "mentor-x"],
        "cert_type" => vec!["peer_mentor_level_2", "first_aid"],
        "status" => vec!["active", "expired", "suspended", "revoked"],
        "days" => vec!["1", "30", "3650"],
        "limit" => vec!["1", "2", "20", "100"],
        "page" => vec!["1", "2", "500"],
        _ => vec![""],
    };
    prop_oneof![2 => prop::sample::select(valid).prop_map(str::to_owned), 3 => value()]
}

fn param_name(route: &Route) -> impl Strategy<Value = String> {
    let known: Vec<&'static str> = match route.function {
        "list-certifications" => vec!["mentor_id", "cert_type", "status", "page", "limit", "cursor"],
        "list-expiring-certifications" => vec!["days", "page", "limit", "cursor"],
        _ => vec!["page", "id"],
    };
    prop_oneof![12 => prop::sample::select(known).prop_map(str::to_owned), 1 => text(12)]
}

fn header() -> impl Strategy<Value = (String, String)> {
    let tag = prop_oneof![
        Just("\"v1\"".to_owned()),
        Just("*".to_owned()),
        Just("\"v+1\"".to_owned()),
        Just("W/\"v1\"".to_owned()),
        number().prop_map(|n| format!("\"v{n}\"")),
        header_text(40),
    ];
    let tags = prop::collection::vec(tag, 0..25).prop_map(|t| t.join(", "));
    prop_oneof![
        3 => tags.prop_map(|v| ("if-match".to_owned(), v)),
        3 => prop_oneof![header_text(20), header_text(300)].prop_map(|v| ("idempotency-key".to_owned(), v)),
        2 => prop_oneof![Just("application/json".to_owned()), Just("application/json; charset=utf-8".to_owned()), header_text(30)]
            .prop_map(|v| ("content-type".to_owned(), v)),
        1 => header_text(30).prop_map(|v| ("accept".to_owned(), v)),
        1 => header_text(60).prop_map(|v| ("authorization".to_owned(), v)),
        1 => (prop::sample::select(vec!["x-forwarded-for", "x-amzn-trace-id", "range", "if-none-match"]), header_text(60))
            .prop_map(|(n, v)| (n.to_owned(), v)),
    ]
}

fn body() -> impl Strategy<Value = Option<String>> {
    let field = prop::sample::select(vec![
        "mentor_id",
        "cert_type",
        "issued_at",
        "expires_at",
        "status",
        "mentor_name",
        "id",
        "version",
    ]);
    let json_value = prop_oneof![
        text(30).prop_map(|s| serde_json::Value::String(s).to_string()),
        sort_key()
            .prop_map(|s| serde_json::Value::String(s.split(['#', '$']).next().unwrap_or("").to_owned()).to_string()),
        number(),
        Just("null".to_owned()),
        Just("[]".to_owned()),
    ];
    let object = prop::collection::vec((field, json_value), 0..7).prop_map(|fields| {
        let parts: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", parts.join(","))
    });
    let valid = Just(Some(
        r#"{"mentor_id":"mentor-42","cert_type":"first_aid","issued_at":"2026-01-01T00:00:00Z","expires_at":"2027-01-01T00:00:00Z"}"#
            .to_owned(),
    ));
    let renew = Just(Some(r#"{"expires_at":"2028-01-01T00:00:00Z"}"#.to_owned()));
    prop_oneof![1 => Just(None), 4 => object.prop_map(Some), 1 => text(80).prop_map(Some), 2 => valid, 2 => renew]
}

fn input() -> impl Strategy<Value = Input> {
    (0..ROUTES.len()).prop_flat_map(|route| {
        let id = prop_oneof![
            3 => Just(KNOWN_ID.to_owned()),
            1 => Just("cert-unknown".to_owned()),
            1 => Just("expiring".to_owned()),
            1 => text(80),
        ];
        let query = prop::collection::vec(
            param_name(&ROUTES[route]).prop_flat_map(|name| {
                let v = value_for(&name).boxed();
                (Just(name), v)
            }),
            0..4,
        );
        let headers = prop::collection::vec(header(), 0..4);
        let cursor = prop::option::weighted(0.5, (page(), sort_key()));
        (Just(route), id, query, cursor, headers, body()).prop_map(|(route, id, query, cursor, headers, body)| Input {
            route,
            id,
            query,
            cursor,
            headers,
            body,
        })
    })
}

/// The scope a list route binds its cursors to, from the request's own parameters, as the
/// handlers make it (`functions/list-*/src/lib.rs`); `None` for the other routes.
fn scope(route: &Route, query: &[(String, String)]) -> Option<String> {
    let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let limit = get("limit").unwrap_or("20");
    match route.function {
        "list-certifications" => {
            let filters: Vec<String> = ["mentor_id", "cert_type", "status"]
                .iter()
                .filter_map(|k| get(k).map(|v| format!("{k}={v}")))
                .collect();
            Some(format!("{}|{}|limit={limit}", route.path, filters.join("|")))
        }
        "list-expiring-certifications" => {
            Some(format!("{}|days={}|limit={limit}", route.path, get("days").unwrap_or("30")))
        }
        _ => None,
    }
}

fn request(input: &Input) -> lambda_http::Request {
    let route = &ROUTES[input.route];
    let mut r = ApiRequest::new(route.method, route.path);
    if route.path.contains("{id}") {
        r = r.id(&input.id);
    }
    let mut pairs = input.query.clone();
    if let (Some((page, key)), Some(scope)) = (&input.cursor, scope(route, &input.query)) {
        pairs.retain(|(k, _)| k != "cursor");
        pairs.push(("cursor".to_owned(), encode(&scope, *page, key)));
    }
    let query: Vec<String> =
        pairs.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
    r = r.query(&query.join("&"));
    for (name, value) in &input.headers {
        r = r.header(name, value);
    }
    if matches!(route.method, "POST" | "PUT") {
        r = r.header("content-type", "application/json");
    }
    if let Some(b) = &input.body {
        r = r.body(b.clone());
    }
    r.build()
}

fn problem_fields(r: &Response<Body>) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(r.body().as_ref()).unwrap_or_default();
    v["errors"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect()
}

#[test]
fn no_query_parameter_or_header_of_any_route_gets_a_5xx() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let db = rt.block_on(async {
        let db = TestDb::start().await;
        for (i, expires) in ["2026-04-10T00:00:00Z", "2026-03-01T00:00:00Z", "2030-01-01T00:00:00Z"].iter().enumerate()
        {
            let id = if i == 0 { KNOWN_ID.to_owned() } else { format!("cert-fuzz-{}", i + 1) };
            db.store().create(&certification(&id, expires)).await.unwrap();
        }
        db
    });
    let app = db.app_at(NOW);
    let mut runner = TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() });
    let statuses = std::cell::RefCell::new(std::collections::BTreeMap::<u16, u32>::new());
    let result = runner.run(&input(), |input| {
        let route = &ROUTES[input.route];
        let Some(handle) = handler(route.function) else {
            return Err(TestCaseError::fail(format!("no handler for {}", route.function)));
        };
        let (r, sent) = rt.block_on(db.counter.measure(handle(&app, request(&input))));
        let status = r.status().as_u16();
        *statuses.borrow_mut().entry(status).or_default() += 1;
        prop_assert!(
            status < 500,
            "{} {}: {status} {}",
            route.method,
            route.path,
            String::from_utf8_lossy(r.body().as_ref())
        );
        if status == 400 && problem_fields(&r).iter().any(|f| f == "cursor") {
            prop_assert_eq!(sent.total(), 0, "a refused cursor sent requests: {:?}", sent);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The generator reaches past validation too, not only 400s.
    let statuses = statuses.into_inner();
    eprintln!("statuses: {statuses:?}");
    assert!(statuses.keys().any(|s| *s < 300), "{statuses:?}");
    assert!(statuses.contains_key(&400), "{statuses:?}");
}
