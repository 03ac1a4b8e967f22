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
use shared::store::table::{key_attributes, KeySpec, BILLING_MODE, INDEXES, TABLE_KEY};

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
            // Not an API function: the scheduled scan receives an EventBridge event.
            None => {
                assert_eq!(json["source"], "aws.events", "events/{name}: source");
                assert_eq!(json["detail-type"], "Scheduled Event", "events/{name}: detail-type");
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
    Other(String),
}

fn target(table: &str, v: &Value) -> Target {
    match tagged(v) {
        Some((tag, arg)) if tag == "GetAtt" && arg.as_str() == Some(&format!("{table}.Arn")) => Target::Table,
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
