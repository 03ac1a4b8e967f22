//! Handler tests: requests as API Gateway delivers them, and assertions on what they answer.
/// A request as API Gateway (HTTP API, payload 2.0) hands it to a Lambda: the event is
/// written as JSON and converted by `lambda_http::request::from_str`, the same path the
/// `events/` samples and the Lambda runtime take.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    method: String,
    route: String,
    id: Option<String>,
    query: String,
    headers: serde_json::Map<String, serde_json::Value>,
    body: Option<String>,
    stage: String,
    claims: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ApiRequest {
    /// `route` in API Gateway syntax, e.g. `/api/v1/certifications/{id}`.
    pub fn new(method: &str, route: &str) -> Self {
        let headers = serde_json::Map::from_iter([("accept".to_string(), "application/json".into())]);
        Self {
            method: method.into(),
            route: route.into(),
            id: None,
            query: String::new(),
            headers,
            body: None,
            stage: "$default".into(),
            claims: None,
        }
    }

    /// The API Gateway stage (`requestContext.stage`); `$default` unless set.
    pub fn stage(mut self, stage: &str) -> Self {
        self.stage = stage.into();
        self
    }

    /// The JWT authorizer's claims (`requestContext.authorizer.jwt.claims`), as API Gateway
    /// passes a valid token's claims, e.g. `[("sub", "user-1"), ("client_id", "app-1")]`.
    pub fn claims(mut self, claims: &[(&str, &str)]) -> Self {
        self.claims = Some(claims.iter().map(|(k, v)| ((*k).to_owned(), (*v).into())).collect());
        self
    }

    /// The `{id}` path parameter; `rawPath` carries it percent-encoded.
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The raw query string, without `?`, parsed as API Gateway's `rawQueryString`.
    pub fn query(mut self, raw: &str) -> Self {
        self.query = raw.into();
        self
    }

    /// Adds or replaces a header; names are lower-cased, as API Gateway delivers them.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_ascii_lowercase(), value.into());
        self
    }

    /// `body` sent as `application/json`.
    pub fn json(self, body: &serde_json::Value) -> Self {
        self.header("content-type", "application/json").body(body.to_string())
    }

    /// A raw body; no content type is added.
    pub fn body(mut self, text: impl Into<String>) -> Self {
        self.body = Some(text.into());
        self
    }

    /// The request a handler receives, converted from the API Gateway event; panics on a bad one.
    pub fn build(self) -> lambda_http::Request {
        let raw_path = match &self.id {
            Some(id) => self.route.replace("{id}", &percent_encode(id)),
            None => self.route.clone(),
        };
        let route_key = format!("{} {}", self.method, self.route);
        let mut event = serde_json::json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": raw_path,
            "rawQueryString": self.query,
            "headers": self.headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "test",
                "domainName": "localhost",
                "domainPrefix": "test",
                "http": {"method": self.method, "path": raw_path, "protocol": "HTTP/1.1",
                         "sourceIp": "127.0.0.1", "userAgent": "handler-test"},
                "requestId": "handler-test",
                "routeKey": route_key,
                "stage": self.stage,
                "time": "26/Mar/2026:10:00:00 +0000",
                "timeEpoch": 1774519200000_i64
            },
            "isBase64Encoded": false
        });
        if let Some(claims) = self.claims {
            event["requestContext"]["authorizer"] = serde_json::json!({ "jwt": { "claims": claims, "scopes": null } });
        }
        if let Some(id) = self.id {
            event["pathParameters"] = serde_json::json!({ "id": id });
        }
        if let Some(body) = self.body {
            event["body"] = body.into();
        }
        lambda_http::request::from_str(&event.to_string()).expect("a well-formed API Gateway event")
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, as `rawPath` carries it and
/// as a client sends a query value.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn body_text(r: &lambda_http::Response<lambda_http::Body>) -> String {
    String::from_utf8_lossy(r.body().as_ref()).into_owned()
}

fn content_type(r: &lambda_http::Response<lambda_http::Body>) -> &str {
    r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Asserts a JSON (non-problem) response with `status`; returns its body.
pub fn assert_json(r: &lambda_http::Response<lambda_http::Body>, status: u16) -> serde_json::Value {
    assert_eq!(r.status().as_u16(), status, "body: {}", body_text(r));
    assert_eq!(content_type(r), "application/json");
    serde_json::from_slice(r.body().as_ref()).expect("a JSON body")
}

/// Asserts an RFC 9457 problem with `status` and its four members; returns its body.
pub fn assert_problem(r: &lambda_http::Response<lambda_http::Body>, status: u16) -> serde_json::Value {
    assert_eq!(r.status().as_u16(), status, "body: {}", body_text(r));
    assert_eq!(content_type(r), crate::http::PROBLEM_JSON);
    let problem: serde_json::Value = serde_json::from_slice(r.body().as_ref()).expect("a JSON problem body");
    assert_eq!(problem["status"], status);
    for member in ["type", "title", "detail"] {
        assert!(problem[member].as_str().is_some_and(|s| !s.is_empty()), "{member} in {problem}");
    }
    problem
}

/// Asserts the answer a client gets while DynamoDB is unreachable or throttled: a 503
/// problem with `Retry-After`.
pub fn assert_unavailable(r: &lambda_http::Response<lambda_http::Body>) {
    assert_eq!(assert_problem(r, 503)["type"], "/problems/service-unavailable");
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
}

/// The `field` of each entry of a validation problem's `errors`, in order.
pub fn error_fields(problem: &serde_json::Value) -> Vec<String> {
    let errors = problem["errors"].as_array().unwrap_or_else(|| panic!("no errors array in {problem}"));
    errors.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect()
}

/// Asserts that a sample event (from `events/`) is addressed to `function`'s route in
/// [`crate::http::routes::ROUTES`]: route key, method and a raw path matching the route.
pub fn assert_event_route(req: &lambda_http::Request, function: &str) {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let route = crate::http::routes::ROUTES.iter().find(|r| r.function == function).expect("a route for the function");
    let route_key = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone(),
        _ => None,
    };
    assert_eq!(route_key, Some(format!("{} {}", route.method, route.path)));
    assert_eq!(req.method().as_str(), route.method);
    let id = req.path_parameters().first("id").map(percent_encode);
    assert_eq!(id.is_some(), route.path.contains("{id}"), "pathParameters.id");
    assert_eq!(req.raw_http_path(), route.path.replace("{id}", &id.unwrap_or_default()));
}
