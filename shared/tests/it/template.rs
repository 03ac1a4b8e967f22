//! `template.yaml` against the code: the routes (shared::http::routes::ROUTES, the `events/`
//! samples and the cargo-lambda router in the root Cargo.toml), the binaries each function
//! deploys (functions/*/Cargo.toml), the table (shared::store::table) and each function's
//! DynamoDB permissions. CloudFormation tags (`!Ref`, `!GetAtt`, `!Sub`) parse as tagged
//! values, so nothing is stripped before parsing.
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;
use shared::http::routes::ROUTES;
use shared::store::table::{key_attributes, KeySpec, BILLING_MODE, INDEXES, TABLE_KEY, TTL_ATTRIBUTE};

const FUNCTION: &str = "AWS::Serverless::Function";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("shared/ sits in the workspace root").to_path_buf()
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn template() -> Value {
    serde_yaml_ng::from_str(&read("template.yaml")).expect("template.yaml parses as YAML")
}

/// (method, path, function) triples, the shape every route source is compared in.
type RouteSet = BTreeSet<(String, String, String)>;

fn shared_routes() -> RouteSet {
    ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned(), r.function.to_owned())).collect()
}

fn resources(t: &Value) -> impl Iterator<Item = (&str, &Value)> {
    t["Resources"].as_mapping().expect("Resources is a mapping").iter().map(|(k, v)| (k.as_str().expect("name"), v))
}

fn resources_of<'a>(t: &'a Value, ty: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> {
    resources(t).filter(move |(_, r)| r["Type"].as_str() == Some(ty))
}

/// The name and value of a CloudFormation short-form function (`!Ref X` gives ("Ref", X)).
fn tagged(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((t.tag.to_string().trim_start_matches('!').to_owned(), &t.value)),
        _ => None,
    }
}

fn binary(function: &Value) -> &str {
    function["Metadata"]["BuildProperties"]["Binary"].as_str().expect("Metadata.BuildProperties.Binary")
}

/// Every function resource by its binary.
fn functions(t: &Value) -> BTreeMap<&str, &Value> {
    let mut out = BTreeMap::new();
    for (name, f) in resources_of(t, FUNCTION) {
        assert_eq!(f["Metadata"]["BuildMethod"].as_str(), Some("rust-cargolambda"), "{name}: BuildMethod");
        assert_eq!(f["Properties"]["CodeUri"].as_str(), Some("./"), "{name}: CodeUri shares the workspace");
        assert!(out.insert(binary(f), f).is_none(), "{name}: binary {} deployed twice", binary(f));
    }
    out
}

fn http_routes(t: &Value) -> RouteSet {
    let apis: BTreeSet<&str> = resources_of(t, "AWS::Serverless::HttpApi").map(|(n, _)| n).collect();
    let mut out = RouteSet::new();
    for (bin, f) in functions(t) {
        let Some(events) = f["Properties"]["Events"].as_mapping() else { continue };
        for event in events.values().filter(|e| e["Type"].as_str() == Some("HttpApi")) {
            let p = &event["Properties"];
            match tagged(&p["ApiId"]) {
                Some((tag, api)) if tag == "Ref" && api.as_str().is_some_and(|a| apis.contains(a)) => {}
                other => panic!("{bin}: HttpApi event must `!Ref` the template's HttpApi, got {other:?}"),
            }
            let method = p["Method"].as_str().expect("Method");
            let path = p["Path"].as_str().expect("Path");
            assert!(out.insert((method.to_owned(), path.to_owned(), bin.to_owned())), "duplicate {method} {path}");
        }
    }
    out
}

#[test]
fn template_routes_are_the_shared_routes() {
    assert_eq!(http_routes(&template()), shared_routes());
}

#[test]
fn cargo_lambda_router_is_the_shared_routes() {
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml parses");
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .expect("[workspace.metadata.lambda.watch.router]");
    let mut routes = RouteSet::new();
    for (path, target) in router {
        // Each path maps to `[{ method, function }, ...]`; a bare function name would take
        // every method, which the API does not.
        let entries = target.as_array().unwrap_or_else(|| panic!("{path}: list its methods"));
        for e in entries {
            let method = e["method"].as_str().expect("method");
            let function = e["function"].as_str().expect("function");
            assert!(routes.insert((method.to_owned(), path.clone(), function.to_owned())));
        }
    }
    assert_eq!(routes, shared_routes());
}

/// Does a concrete path match an API Gateway path template (`{name}` = one segment)?
fn matches_template(path: &str, template: &str) -> bool {
    let segment = |(seg, tpl): (&str, &str)| if tpl.starts_with('{') { !seg.is_empty() } else { seg == tpl };
    path.split('/').count() == template.split('/').count() && path.split('/').zip(template.split('/')).all(segment)
}

#[test]
fn events_samples_match_their_routes() {
    let t = template();
    let deployed = functions(&t);
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(root().join("events")).expect("events/") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().and_then(|n| n.to_str()).expect("utf-8 name").to_owned();
            let json: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(&path).expect("read")).expect("valid JSON");
            files.insert(name, json);
        }
    }
    // Every route has its success sample `<function>.json`.
    for r in ROUTES {
        assert!(files.contains_key(&format!("{}.json", r.function)), "events/{}.json is missing", r.function);
    }
    // Every sample (`<function>.json`, `<function>.<case>.json`) belongs to a deployed
    // function and is the event that function receives.
    for (name, json) in &files {
        let function = name.split('.').next().expect("file stem");
        assert!(deployed.contains_key(function), "events/{name}: no function {function} in template.yaml");
        match ROUTES.iter().find(|r| r.function == function) {
            Some(r) => {
                let key = format!("{} {}", r.method, r.path);
                assert_eq!(json["routeKey"], key.as_str(), "events/{name}: routeKey");
                assert_eq!(json["requestContext"]["routeKey"], key.as_str(), "events/{name}: requestContext.routeKey");
                assert_eq!(json["requestContext"]["http"]["method"], r.method, "events/{name}: method");
                let raw = json["rawPath"].as_str().unwrap_or_else(|| panic!("events/{name}: rawPath"));
                assert!(matches_template(raw, r.path), "events/{name}: rawPath {raw} is not {}", r.path);
            }
            // The event publisher receives DynamoDB stream records of the table.
            None if json["Records"].is_array() => {
                for r in json["Records"].as_array().into_iter().flatten() {
                    assert_eq!(r["eventSource"], "aws:dynamodb", "events/{name}: eventSource");
                    assert!(r["dynamodb"]["SequenceNumber"].is_string(), "events/{name}: SequenceNumber");
                    assert_eq!(r["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES", "events/{name}");
                }
            }
            // Not an API function: the scheduled scan receives an EventBridge scheduled event,
            // or a schedule's `Input` in its place.
            None if json.get("source").is_some() => {
                assert_eq!(json["source"], "aws.events", "events/{name}: source");
                assert_eq!(json["detail-type"], "Scheduled Event", "events/{name}: detail-type");
            }
            None => {
                let inputs: Vec<serde_json::Value> = deployed[function]["Properties"]["Events"]
                    .as_mapping()
                    .into_iter()
                    .flat_map(|events| events.values())
                    .filter_map(|e| e["Properties"]["Input"].as_str())
                    .map(|input| serde_json::from_str(input).expect("a schedule's Input is JSON"))
                    .collect();
                assert!(inputs.contains(json), "events/{name} is no schedule's Input of {function}: {inputs:?}");
            }
        }
    }
}

/// The binaries of one package: its `[[bin]]` targets, or the package itself for `src/main.rs`,
/// plus `src/bin/*.rs`.
fn package_binaries(dir: &Path) -> Vec<String> {
    let manifest: toml::Table =
        fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml").parse().expect("Cargo.toml parses");
    let mut bins: Vec<String> = manifest
        .get("bin")
        .and_then(|b| b.as_array())
        .map(|bins| bins.iter().filter_map(|b| b["name"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if bins.is_empty() && dir.join("src/main.rs").exists() {
        bins.push(manifest["package"]["name"].as_str().expect("package.name").to_owned());
    }
    if let Ok(extra) = fs::read_dir(dir.join("src/bin")) {
        bins.extend(extra.filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "rs").then(|| p.file_stem()?.to_str().map(str::to_owned))?
        }));
    }
    bins
}

#[test]
fn every_function_deploys_a_workspace_binary_and_every_binary_is_deployed() {
    let mut workspace_bins = BTreeSet::new();
    for entry in fs::read_dir(root().join("functions")).expect("functions/") {
        let dir = entry.expect("dir entry").path();
        if dir.join("Cargo.toml").exists() {
            workspace_bins.extend(package_binaries(&dir));
        }
    }
    let t = template();
    let deployed: BTreeSet<String> = functions(&t).keys().map(|b| b.to_string()).collect();
    let unknown: Vec<_> = deployed.difference(&workspace_bins).collect();
    assert!(unknown.is_empty(), "template.yaml builds binaries no crate in functions/ defines: {unknown:?}");
    let undeployed: Vec<_> = workspace_bins.difference(&deployed).collect();
    assert!(undeployed.is_empty(), "functions/ binaries template.yaml does not deploy: {undeployed:?}");
}

fn key_schema(v: &Value) -> KeySpec {
    let elements = v.as_sequence().expect("KeySchema is a list");
    let find = |kind: &str| {
        let mut names = elements.iter().filter(|e| e["KeyType"].as_str() == Some(kind));
        let name = names.next().map(|e| e["AttributeName"].as_str().expect("AttributeName"));
        assert!(names.next().is_none(), "two {kind} keys");
        name
    };
    let to_static = |name: &str| -> &'static str {
        key_attributes().into_iter().find(|a| *a == name).unwrap_or_else(|| panic!("{name} is no key attribute"))
    };
    KeySpec { partition: to_static(find("HASH").expect("a HASH key")), sort: find("RANGE").map(to_static) }
}

/// The stream: in the template, and on the table `shared::store::table::create_table` makes
/// (the local engine's, which the local server reads events from).
#[tokio::test]
async fn the_table_has_a_new_and_old_images_stream_like_create_table_s() {
    let t = template();
    let (_, table) = resources_of(&t, "AWS::DynamoDB::Table").next().expect("a table");
    let view = table["Properties"]["StreamSpecification"]["StreamViewType"].as_str();
    assert_eq!(view, Some("NEW_AND_OLD_IMAGES"), "template.yaml: the table's stream");
    let db = shared::testing::TestDb::start().await;
    let store = db.store();
    let described = store.client().describe_table().table_name(store.table_name()).send().await.expect("table");
    let spec = described.table().and_then(|t| t.stream_specification()).expect("create_table sets a stream");
    assert!(spec.stream_enabled());
    assert_eq!(spec.stream_view_type().map(|v| v.as_str()), view);
}

#[test]
fn table_is_the_shared_table_definition() {
    let t = template();
    let tables: Vec<_> = resources_of(&t, "AWS::DynamoDB::Table").collect();
    assert_eq!(tables.len(), 1, "one table");
    let (_, table) = tables[0];
    let p = &table["Properties"];

    assert_eq!(p["BillingMode"].as_str(), Some(BILLING_MODE));
    assert_eq!(key_schema(&p["KeySchema"]), TABLE_KEY);

    let mut attributes: Vec<&str> = p["AttributeDefinitions"]
        .as_sequence()
        .expect("AttributeDefinitions")
        .iter()
        .map(|a| {
            assert_eq!(a["AttributeType"].as_str(), Some("S"), "{:?}: key attributes are strings", a["AttributeName"]);
            a["AttributeName"].as_str().expect("AttributeName")
        })
        .collect();
    attributes.sort_unstable();
    assert_eq!(attributes, key_attributes());

    let indexes: BTreeMap<&str, KeySpec> = p["GlobalSecondaryIndexes"]
        .as_sequence()
        .expect("GlobalSecondaryIndexes")
        .iter()
        .map(|i| {
            let name = i["IndexName"].as_str().expect("IndexName");
            assert_eq!(i["Projection"]["ProjectionType"].as_str(), Some("ALL"), "{name}: projects ALL");
            (name, key_schema(&i["KeySchema"]))
        })
        .collect();
    let expected: BTreeMap<&str, KeySpec> = INDEXES.iter().map(|i| (i.name, i.key)).collect();
    assert_eq!(indexes, expected);

    // Idempotency-Key records expire through the one TTL attribute the store writes.
    assert_eq!(p["TimeToLiveSpecification"]["AttributeName"].as_str(), Some(TTL_ATTRIBUTE));
    assert_eq!(p["TimeToLiveSpecification"]["Enabled"].as_bool(), Some(true));

    // The data survives mistakes: kept on stack deletion/replacement, recoverable, encrypted.
    assert_eq!(table["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(table["UpdateReplacePolicy"].as_str(), Some("Retain"));
    assert_eq!(p["DeletionProtectionEnabled"].as_bool(), Some(true));
    assert_eq!(p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(), Some(true));
    assert_eq!(p["SSESpecification"]["SSEEnabled"].as_bool(), Some(true));
}

/// What one policy statement's resource names: the table, one of its indexes, or something else.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Table,
    Index(String),
    /// The table's stream (`!GetAtt <table>.StreamArn`).
    Stream,
    Other(String),
}

fn target(table: &str, v: &Value) -> Target {
    match tagged(v) {
        Some((tag, arg)) if tag == "GetAtt" && arg.as_str() == Some(&format!("{table}.Arn")) => Target::Table,
        Some((tag, arg)) if tag == "GetAtt" && arg.as_str() == Some(&format!("{table}.StreamArn")) => Target::Stream,
        Some((tag, arg)) if tag == "Sub" => {
            let s = arg.as_str().expect("!Sub string");
            match s.strip_prefix(&format!("${{{table}.Arn}}/index/")) {
                Some(index) => Target::Index(index.to_owned()),
                None => Target::Other(s.to_owned()),
            }
        }
        _ => Target::Other(format!("{v:?}")),
    }
}

fn one_or_many(v: &Value) -> Vec<&Value> {
    match v.as_sequence() {
        Some(items) => items.iter().collect(),
        None => vec![v],
    }
}

/// Each function's DynamoDB grants as (action, target) pairs. Only inline statements are
/// allowed: a SAM policy template (DynamoDBCrudPolicy, ...) grants more than any function uses.
fn dynamodb_grants(table: &str, f: &Value) -> BTreeSet<(String, Target)> {
    let mut grants = BTreeSet::new();
    for policy in f["Properties"]["Policies"].as_sequence().map(|p| p.as_slice()).unwrap_or_default() {
        let statements = policy["Statement"].as_sequence().expect("inline policy statements only");
        for s in statements {
            assert_eq!(s["Effect"].as_str(), Some("Allow"));
            for action in one_or_many(&s["Action"]) {
                let action = action.as_str().expect("action");
                assert!(!action.contains('*'), "wildcard action {action}");
                if action.starts_with("dynamodb:") {
                    for r in one_or_many(&s["Resource"]) {
                        grants.insert((action.to_owned(), target(table, r)));
                    }
                }
            }
        }
    }
    grants
}

#[test]
fn functions_get_only_the_dynamodb_access_they_use() {
    let t = template();
    let (table, _) = resources_of(&t, "AWS::DynamoDB::Table").next().expect("a table");
    let index_names: BTreeSet<&str> = INDEXES.iter().map(|i| i.name).collect();
    let reads = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable"];
    for (bin, f) in functions(&t) {
        let grants = dynamodb_grants(table, f);
        assert!(!grants.is_empty(), "{bin}: no DynamoDB access");
        for (action, target) in &grants {
            assert_ne!(action, "dynamodb:Scan", "{bin}: no request path scans the table");
            match target {
                Target::Table => assert_ne!(action, "dynamodb:Query", "{bin}: queries go to an index"),
                Target::Index(i) => {
                    assert!(index_names.contains(i.as_str()), "{bin}: unknown index {i}");
                    assert_eq!(action, "dynamodb:Query", "{bin}: indexes are only queried");
                }
                // Only the event publisher's mapping reads the stream, and only reads it.
                Target::Stream => {
                    assert_eq!(bin, "publish-events", "{bin}: only the event publisher reads the stream");
                    let stream_reads = [
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                        "dynamodb:ListStreams",
                    ];
                    assert!(stream_reads.contains(&action.as_str()), "{bin}: {action} on the stream");
                }
                Target::Other(r) => panic!("{bin}: {action} on {r}, not this stack's table"),
            }
        }
        // Every API function builds its App with `App::from_env`, whose warm-up DescribeTables.
        if ROUTES.iter().any(|r| r.function == bin) {
            let warm_up = ("dynamodb:DescribeTable".to_owned(), Target::Table);
            assert!(grants.contains(&warm_up), "{bin}: shared::config::warm_up needs DescribeTable on the table");
        }
        // A GET route only reads.
        if ROUTES.iter().any(|r| r.function == bin && r.method == "GET") {
            let writes: Vec<_> = grants.iter().filter(|(a, _)| !reads.contains(&a.as_str())).collect();
            assert!(writes.is_empty(), "{bin} serves a GET but may write: {writes:?}");
        }
    }
}

#[test]
fn every_function_gets_the_table_name_and_its_own_log_group() {
    let t = template();
    let (table, _) = resources_of(&t, "AWS::DynamoDB::Table").next().expect("a table");
    let env = &t["Globals"]["Function"]["Environment"]["Variables"];
    match tagged(&env["TABLE_NAME"]) {
        Some((tag, v)) => assert!(tag == "Ref" && v.as_str() == Some(table), "TABLE_NAME must !Ref {table}"),
        None => panic!("Globals: TABLE_NAME must !Ref the table"),
    }
    let log_groups: BTreeMap<&str, &Value> = resources_of(&t, "AWS::Logs::LogGroup").collect();
    for (bin, f) in functions(&t) {
        let group = match tagged(&f["Properties"]["LoggingConfig"]["LogGroup"]) {
            Some((tag, v)) if tag == "Ref" => v.as_str().expect("log group name"),
            other => panic!("{bin}: LoggingConfig.LogGroup must !Ref a log group, got {other:?}"),
        };
        let lg = log_groups.get(group).unwrap_or_else(|| panic!("{bin}: no log group {group}"));
        assert!(!lg["Properties"]["RetentionInDays"].is_null(), "{bin}: log group {group} keeps logs forever");
    }
}

// ---- operations: the optional authorizer, alarms and their runbook, limits, metrics ------

/// Parameter values: the template's defaults, overridden by `overrides`, as
/// `sam deploy --parameter-overrides` would set them.
fn parameters(t: &Value, overrides: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, p) in t["Parameters"].as_mapping().expect("Parameters") {
        let default = match &p["Default"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => panic!("parameter {name:?}: default {other:?}"),
        };
        out.insert(name.as_str().expect("name").to_owned(), default);
    }
    for (k, v) in overrides {
        assert!(out.insert((*k).to_owned(), (*v).to_owned()).is_some(), "no parameter {k}");
    }
    out
}

/// Renders `v` as CloudFormation would for these parameters: `!If` picks its branch,
/// `!Ref` to a parameter becomes its value, `!Ref AWS::NoValue` drops the key or item. Other
/// functions (`!Sub`, `!GetAtt`, `!Split`, `!Ref` to a resource) stay as they are.
fn render(t: &Value, params: &BTreeMap<String, String>, v: &Value) -> Option<Value> {
    if let Some((tag, arg)) = tagged(v) {
        return match tag.as_str() {
            "If" => {
                let [cond, yes, no] = arg.as_sequence().expect("!If [cond, then, else]").as_slice() else {
                    panic!("!If takes three items: {arg:?}")
                };
                let branch = if condition(t, params, cond.as_str().expect("condition name")) { yes } else { no };
                render(t, params, branch)
            }
            "Ref" if arg.as_str() == Some("AWS::NoValue") => None,
            "Ref" => match params.get(arg.as_str().expect("!Ref name")) {
                Some(p) => Some(Value::String(p.clone())),
                None => Some(v.clone()),
            },
            _ => Some(v.clone()),
        };
    }
    Some(match v {
        Value::Mapping(m) => {
            Value::Mapping(m.iter().filter_map(|(k, v)| render(t, params, v).map(|v| (k.clone(), v))).collect())
        }
        Value::Sequence(s) => Value::Sequence(s.iter().filter_map(|v| render(t, params, v)).collect()),
        other => other.clone(),
    })
}

/// A condition of the template's `Conditions`, evaluated (`!Equals`, `!Not`, `!And`, `!Or`,
/// `!Condition`, parameter `!Ref`s).
fn condition(t: &Value, params: &BTreeMap<String, String>, name: &str) -> bool {
    fn eval(t: &Value, params: &BTreeMap<String, String>, v: &Value) -> bool {
        let (tag, arg) = tagged(v).unwrap_or_else(|| panic!("not a condition function: {v:?}"));
        let items = || arg.as_sequence().expect("a list").iter();
        let scalar = |v: &Value| -> String {
            match render(t, params, v) {
                Some(Value::String(s)) => s,
                Some(Value::Number(n)) => n.to_string(),
                other => panic!("not a scalar: {other:?}"),
            }
        };
        match tag.as_str() {
            "Equals" => {
                let [a, b] = arg.as_sequence().expect("!Equals [a, b]").as_slice() else { panic!("!Equals") };
                scalar(a) == scalar(b)
            }
            "Not" => !eval(t, params, &arg[0]),
            "And" => items().all(|c| eval(t, params, c)),
            "Or" => items().any(|c| eval(t, params, c)),
            "Condition" => condition(t, params, arg.as_str().expect("name")),
            other => panic!("condition function {other}"),
        }
    }
    let def = &t["Conditions"][name];
    assert!(!def.is_null(), "no condition {name}");
    eval(t, params, def)
}

const WRITE_METHODS: [&str; 3] = ["POST", "PUT", "DELETE"];

/// `(method, path) -> scopes` (empty: public).
type RouteScopes = BTreeMap<(String, String), Vec<String>>;

/// The scopes of every route of the rendered API definition, and the JWT scheme if any.
fn api_security(t: &Value, overrides: &[(&str, &str)]) -> (RouteScopes, Option<Value>) {
    let params = parameters(t, overrides);
    let (_, api) = resources_of(t, "AWS::Serverless::HttpApi").next().expect("the HTTP API");
    let body = render(t, &params, &api["Properties"]["DefinitionBody"]).expect("a DefinitionBody");
    let mut routes = BTreeMap::new();
    for (path, methods) in body["paths"].as_mapping().expect("paths") {
        for (method, op) in methods.as_mapping().expect("methods") {
            let security = op["security"].as_sequence().unwrap_or_else(|| panic!("{path:?} {method:?}: no security"));
            let scopes: Vec<String> = security
                .iter()
                .flat_map(|req| req["jwt"].as_sequence().expect("the `jwt` scheme").iter())
                .map(|s| s.as_str().expect("scope").to_owned())
                .collect();
            let key = (method.as_str().unwrap().to_uppercase(), path.as_str().unwrap().to_owned());
            routes.insert(key, scopes);
        }
    }
    let scheme = body.get("components").map(|c| c["securitySchemes"]["jwt"].clone());
    (routes, scheme)
}

#[test]
fn the_api_definition_lists_exactly_the_routes() {
    let t = template();
    let (routes, _) = api_security(&t, &[]);
    let defined: BTreeSet<(String, String)> = routes.into_keys().collect();
    let events: BTreeSet<(String, String)> = http_routes(&t).into_iter().map(|(m, p, _)| (m, p)).collect();
    // A route only in the events would be added by SAM without security: public even with auth on.
    assert_eq!(defined, events);
}

#[test]
fn without_an_issuer_every_route_is_public() {
    let t = template();
    let (routes, scheme) = api_security(&t, &[]);
    assert!(routes.values().all(Vec::is_empty), "{routes:?}");
    assert!(scheme.is_none(), "no authorizer without an issuer");
    // Even a read scope alone turns nothing on.
    let (routes, scheme) = api_security(&t, &[("AuthReadScope", "certifications/read")]);
    assert!(routes.values().all(Vec::is_empty) && scheme.is_none());
}

#[test]
fn with_an_issuer_writes_need_the_write_scope_and_reads_a_read_scope_only_if_set() {
    let t = template();
    let on = [("AuthIssuerUrl", "https://id.example.org/"), ("AuthAudience", "api-a,api-b")];
    let (routes, scheme) = api_security(&t, &on);
    for ((method, path), scopes) in &routes {
        let expected: &[&str] = if WRITE_METHODS.contains(&method.as_str()) { &["certifications/write"] } else { &[] };
        assert_eq!(scopes, expected, "{method} {path}");
    }
    let scheme = scheme.expect("the JWT scheme");
    let authorizer = &scheme["x-amazon-apigateway-authorizer"];
    assert_eq!(authorizer["type"], "jwt");
    assert_eq!(authorizer["identitySource"], "$request.header.Authorization");
    assert_eq!(authorizer["jwtConfiguration"]["issuer"], "https://id.example.org/");
    assert_eq!(tagged(&authorizer["jwtConfiguration"]["audience"]).map(|(tag, _)| tag).as_deref(), Some("Split"));

    let mut with_read = on.to_vec();
    with_read.extend([("AuthReadScope", "certifications/read"), ("AuthWriteScope", "certs/admin")]);
    let (routes, _) = api_security(&t, &with_read);
    for ((method, path), scopes) in &routes {
        let expected = if WRITE_METHODS.contains(&method.as_str()) { "certs/admin" } else { "certifications/read" };
        assert_eq!(scopes, &[expected], "{method} {path}");
    }
    // CloudFormation refuses an issuer without an audience before it changes anything.
    let rule = &t["Rules"]["AudienceGoesWithIssuer"];
    assert!(!rule["Assertions"][0]["Assert"].is_null(), "the audience rule");
}

fn runbook() -> String {
    read("docs/runbook.md")
}

/// GitHub's heading anchors: lower case, punctuation but `-` dropped, spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// `anchor -> section text` for every `##` heading of the runbook.
fn runbook_sections() -> BTreeMap<String, String> {
    let text = runbook();
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            out.extend(current.take());
            current = Some((slug(h), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out.extend(current);
    out
}

fn refs(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| s.iter().filter_map(|x| tagged(x).map(|(_, n)| n.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default()
}

#[test]
fn every_alarm_notifies_the_topic_and_has_a_runbook_section_naming_it() {
    let t = template();
    let sections = runbook_sections();
    let alarms: Vec<(&str, &Value)> = resources_of(&t, "AWS::CloudWatch::Alarm").collect();
    assert!(alarms.len() >= 5, "alarms: {}", alarms.len());
    for (name, alarm) in alarms {
        let p = &alarm["Properties"];
        assert_eq!(refs(&p["AlarmActions"]), ["AlarmTopic"], "{name}: AlarmActions");
        assert_eq!(refs(&p["OKActions"]), ["AlarmTopic"], "{name}: OKActions");
        let missing = p["TreatMissingData"].as_str().unwrap_or_else(|| panic!("{name}: TreatMissingData chosen"));
        assert!(["breaching", "notBreaching", "ignore", "missing"].contains(&missing), "{name}");
        let description = p["AlarmDescription"].as_str().unwrap_or_else(|| panic!("{name}: AlarmDescription"));
        let anchor = description
            .split("docs/runbook.md#")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("{name}: the description names no runbook section: {description}"));
        let section = sections.get(anchor).unwrap_or_else(|| panic!("{name}: no runbook section #{anchor}"));
        assert!(section.contains(name), "{name}: runbook section #{anchor} does not name the alarm");
        assert!(section.contains("What to do"), "{name}: #{anchor} says what to do");
    }
    // The topic's e-mail subscription exists only when an address is given.
    let (sub_name, sub) = resources_of(&t, "AWS::SNS::Subscription").next().expect("the e-mail subscription");
    let cond = sub["Condition"].as_str().unwrap_or_else(|| panic!("{sub_name}: a Condition"));
    assert!(!condition(&t, &parameters(&t, &[]), cond), "off by default");
    assert!(condition(&t, &parameters(&t, &[("AlarmEmail", "oncall@example.org")]), cond));
}

/// The alarm on `namespace`/`metric` whose dimension `dim` refers to `target`.
fn alarm_on<'a>(t: &'a Value, namespace: &str, metric: &str, dim: &str, target: &str) -> Option<&'a str> {
    resources_of(t, "AWS::CloudWatch::Alarm").map(|(n, a)| (n, &a["Properties"])).find_map(|(n, p)| {
        let ns_ok = p["Namespace"].as_str() == Some(namespace) || tagged(&p["Namespace"]).is_some();
        let dim_ok = p["Dimensions"].as_sequence().into_iter().flatten().any(|d| {
            d["Name"].as_str() == Some(dim)
                && (d["Value"].as_str() == Some(target)
                    || tagged(&d["Value"]).is_some_and(|(_, v)| v.as_str().is_some_and(|v| v.starts_with(target))))
        });
        (ns_ok && p["MetricName"].as_str() == Some(metric) && dim_ok).then_some(n)
    })
}

#[test]
fn the_issue_s_alarms_all_exist() {
    let t = template();
    for (name, _) in resources_of(&t, FUNCTION) {
        for metric in ["Errors", "Throttles"] {
            assert!(alarm_on(&t, "AWS/Lambda", metric, "FunctionName", name).is_some(), "{name}: {metric} alarm");
        }
    }
    assert!(alarm_on(&t, "AWS/ApiGateway", "5xx", "ApiId", "Api").is_some(), "API 5xx");
    assert!(
        alarm_on(&t, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "ExpiryScanDeadLetterQueue")
            .is_some(),
        "scan DLQ"
    );
    let scan = alarm_on(&t, "", shared::metrics::SCAN_COMPLETED, shared::metrics::OPERATION, "expiry-scan")
        .expect("an alarm on the scan's own ScanCompleted metric");
    let p = &t["Resources"][scan]["Properties"];
    assert_eq!(
        tagged(&p["Namespace"]).map(|(_, v)| v.as_str().unwrap_or_default().to_owned()).as_deref(),
        Some("MetricsNamespace")
    );
    // The table alarms sum the per-operation metrics DynamoDB publishes.
    for metric in ["ThrottledRequests", "SystemErrors"] {
        let found = resources_of(&t, "AWS::CloudWatch::Alarm").any(|(_, a)| {
            a["Properties"]["Metrics"]
                .as_sequence()
                .is_some_and(|ms| ms.iter().any(|m| m["MetricStat"]["Metric"]["MetricName"].as_str() == Some(metric)))
        });
        assert!(found, "table {metric} alarm");
    }
}

#[test]
fn metrics_namespace_reaches_every_function() {
    let t = template();
    let env = &t["Globals"]["Function"]["Environment"]["Variables"];
    let ns = tagged(&env[shared::metrics::NAMESPACE_ENV]).map(|(_, v)| v.as_str().unwrap_or_default().to_owned());
    assert_eq!(ns.as_deref(), Some("MetricsNamespace"));
    assert_eq!(parameters(&t, &[])["MetricsNamespace"], shared::metrics::DEFAULT_NAMESPACE);
}

#[test]
fn reserved_concurrency_is_off_by_default_and_set_per_function_when_given() {
    let t = template();
    let defaults = parameters(&t, &[]);
    let on = parameters(
        &t,
        &[("ReadsReservedConcurrency", "5"), ("WritesReservedConcurrency", "3"), ("ScanReservedConcurrency", "1")],
    );
    for (bin, f) in functions(&t) {
        let rc = &f["Properties"]["ReservedConcurrentExecutions"];
        if bin == "publish-events" {
            // Its concurrency is the stream's shard count (one batch per shard at a time);
            // a throttle only delays it, which its IteratorAge alarm reports.
            assert!(rc.is_null(), "{bin}: no reserved concurrency");
            continue;
        }
        assert!(render(&t, &defaults, rc).is_none(), "{bin}: none reserved by default");
        let expected = match bin {
            "expiry-scan" => "1",
            "create-certification" | "update-certification" | "delete-certification" => "3",
            _ => "5",
        };
        assert_eq!(render(&t, &on, rc), Some(Value::String(expected.into())), "{bin}");
    }
}

/// Every header `openapi.yaml` documents: (request header parameters, response headers),
/// lower-cased.
fn openapi_headers() -> (BTreeSet<String>, BTreeSet<String>) {
    fn walk(v: &Value, request: &mut BTreeSet<String>, response: &mut BTreeSet<String>) {
        match v {
            Value::Mapping(m) => {
                if m.get("in").and_then(Value::as_str) == Some("header") {
                    request.extend(m.get("name").and_then(Value::as_str).map(str::to_lowercase));
                }
                // A response's `headers` (components/headers holds their schemas by name too).
                if let Some(Value::Mapping(h)) = m.get("headers") {
                    if m.contains_key("description") {
                        response.extend(h.keys().filter_map(Value::as_str).map(str::to_lowercase));
                    }
                }
                m.values().for_each(|v| walk(v, request, response));
            }
            Value::Sequence(s) => s.iter().for_each(|v| walk(v, request, response)),
            _ => {}
        }
    }
    let spec: Value = serde_yaml_ng::from_str(&read("openapi.yaml")).expect("openapi.yaml parses");
    let (mut request, mut response) = (BTreeSet::new(), BTreeSet::new());
    walk(&spec["paths"], &mut request, &mut response);
    walk(&spec["components"]["parameters"], &mut request, &mut response);
    walk(&spec["components"]["responses"], &mut request, &mut response);
    (request, response)
}

#[test]
fn cors_allows_and_exposes_every_header_the_api_documents() {
    let t = template();
    let params = parameters(&t, &[("AllowedOrigins", "https://app.example")]);
    let (_, api) = resources_of(&t, "AWS::Serverless::HttpApi").next().expect("the HTTP API");
    let cors = render(&t, &params, &api["Properties"]["CorsConfiguration"]).expect("CORS with origins set");
    let list = |key: &str| -> BTreeSet<String> {
        cors[key].as_sequence().expect(key).iter().map(|v| v.as_str().expect("a header").to_owned()).collect()
    };
    let (request, response) = openapi_headers();
    assert!(request.contains("idempotency-key") && response.contains("link"), "{request:?} {response:?}");
    // Content-Type is CORS-safelisted in responses; Allow goes with a 405 only.
    let response: BTreeSet<String> = response.into_iter().filter(|h| h != "allow").collect();
    let allowed = list("AllowHeaders");
    assert!(request.is_subset(&allowed), "AllowHeaders {allowed:?} lacks some of {request:?}");
    let exposed = list("ExposeHeaders");
    assert!(response.is_subset(&exposed), "ExposeHeaders {exposed:?} lacks some of {response:?}");
}

/// `samconfig.toml`'s `parameter_overrides`, name to value (quotes and escapes removed).
fn samconfig_parameters() -> BTreeMap<String, String> {
    let sam = read("samconfig.toml");
    let list = sam.split("parameter_overrides = [").nth(1).expect("samconfig.toml: parameter_overrides");
    let list = list.split(']').next().unwrap_or_default();
    list.lines()
        .filter_map(|l| l.trim().strip_prefix('"')?.trim_end_matches(',').strip_suffix('"')?.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("\\\"", "")))
        .collect()
}

#[test]
fn every_parameter_is_in_samconfig_with_its_default_and_in_the_readme_table() {
    let defaults = parameters(&template(), &[]);
    assert_eq!(samconfig_parameters(), defaults, "samconfig.toml spells out every parameter at its default");
    let readme = read("README.md");
    let table = readme.split("| parameter | |").nth(1).expect("README: the parameter table");
    let table = table.split("\n\n").next().unwrap_or_default();
    for name in defaults.keys() {
        assert!(table.contains(&format!("`{name}`")), "README's parameter table lacks {name}");
    }
}
