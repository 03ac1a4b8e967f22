//! Fault injection for what emulators never do: a DynamoDB error answered instead of
//! sending the request (so nothing is written), for requests of one operation whose body
//! contains a marker. The client is the real SDK client with this HTTP client underneath.
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;

/// One fault: the next `times` requests of `operation` whose body contains `marker` are
/// answered with `status` and `body` instead of reaching the server.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The DynamoDB operation, as in `x-amz-target`: `TransactWriteItems`, `UpdateItem`, ...
    pub operation: &'static str,
    /// Text the request body must contain, such as a certification id.
    pub marker: String,
    /// Requests still to answer with the fault; each injection takes one.
    pub times: usize,
    /// The HTTP status answered, e.g. 400.
    pub status: u16,
    /// The JSON error body answered, with DynamoDB's `__type`.
    pub body: String,
    /// With `Some(prefix)`, only every other request of each *subject* meets the fault (the
    /// 1st, 3rd, ... attempts): the subject is the text from `prefix` to the next `"` in the
    /// body, such as a certification id. Half of all attempts fail, and every write still goes
    /// through on its second attempt (see [`Fault::every_other_attempt_of`]).
    pub alternate_by: Option<&'static str>,
    /// Requests seen per subject (with `alternate_by`).
    seen: std::collections::HashMap<String, usize>,
}

impl Fault {
    fn answer(operation: &'static str, marker: String, times: usize, status: u16, body: String) -> Self {
        Self { operation, marker, times, status, body, alternate_by: None, seen: Default::default() }
    }

    /// This fault on the 1st, 3rd, 5th, ... request of each subject only (the text from
    /// `prefix` to the next `"`, e.g. `"cert-` for the certification a transaction puts):
    /// 50% of attempts, and no write needs more than two.
    pub fn every_other_attempt_of(self, prefix: &'static str) -> Self {
        Self { alternate_by: Some(prefix), ..self }
    }

    /// Whether this fault answers `body` (already matched by operation and marker), counting it.
    fn hits(&mut self, body: &[u8]) -> bool {
        let Some(prefix) = self.alternate_by else { return true };
        let text = String::from_utf8_lossy(body);
        let Some(start) = text.find(prefix) else { return false };
        let subject = text[start..].split('"').find(|s| !s.is_empty()).unwrap_or_default().to_owned();
        let n = self.seen.entry(subject).or_default();
        *n += 1;
        *n % 2 == 1
    }

    /// A `TransactionCanceledException` with reason `TransactionConflict` for each of
    /// `parts` parts, as DynamoDB answers when another transaction holds an item.
    pub fn transaction_conflict(marker: impl Into<String>, parts: usize, times: usize) -> Self {
        Self::transaction_cancelled(marker, &vec!["TransactionConflict"; parts], times)
    }

    /// A `TransactionCanceledException` with these reason codes, one per part (`"None"` for
    /// a part that was fine), e.g. `ThrottlingError` on a hot item.
    pub fn transaction_cancelled(marker: impl Into<String>, codes: &[&str], times: usize) -> Self {
        let reasons: Vec<serde_json::Value> =
            codes.iter().map(|code| serde_json::json!({"Code": code, "Message": "injected"})).collect();
        let body = serde_json::json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": format!("Transaction cancelled, please refer cancellation reasons for specific reasons {codes:?}"),
            "CancellationReasons": reasons,
        });
        Self::answer("TransactWriteItems", marker.into(), times, 400, body.to_string())
    }

    /// A `ValidationException` (not retryable, not "unavailable"), such as DynamoDB answers
    /// when an update would take an item past 400 KB.
    pub fn validation(operation: &'static str, marker: impl Into<String>, times: usize) -> Self {
        let body = serde_json::json!({
            "__type": "com.amazon.coral.validate#ValidationException",
            "message": "Item size to update has exceeded the maximum allowed size",
        });
        Self::answer(operation, marker.into(), times, 400, body.to_string())
    }
}

/// The faults still to inject and how many were injected.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<(Vec<Fault>, usize)>>,
}

impl Faults {
    /// These faults, none injected yet; a request meets the first that matches it with `times` left.
    pub fn new(faults: Vec<Fault>) -> Self {
        Self { inner: Arc::new(Mutex::new((faults, 0))) }
    }

    /// Requests answered by a fault so far.
    pub fn injected(&self) -> usize {
        self.inner.lock().map(|g| g.1).unwrap_or(0)
    }

    fn take(&self, request: &HttpRequest) -> Option<Fault> {
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let body = request.body().bytes().unwrap_or_default();
        let mut guard = self.inner.lock().ok()?;
        let (faults, injected) = &mut *guard;
        let at = faults.iter_mut().position(|f| {
            f.times > 0
                && target.ends_with(&format!(".{}", f.operation))
                && body.windows(f.marker.len()).any(|w| w == f.marker.as_bytes())
                && f.hits(body)
        })?;
        let fault = &mut faults[at];
        fault.times -= 1;
        *injected += 1;
        Some(fault.clone())
    }

    /// `client` with these faults in front of its requests.
    pub fn client(&self, client: &Client) -> Client {
        let real = aws_smithy_http_client::Builder::new().build_http();
        let faults = self.clone();
        let http: SharedHttpClient = http_client_fn(move |settings, components| {
            SharedHttpConnector::new(FaultConnector {
                faults: faults.clone(),
                real: real.http_connector(settings, components),
            })
        });
        Client::from_conf(client.config().to_builder().http_client(http).build())
    }
}

#[derive(Debug)]
struct FaultConnector {
    faults: Faults,
    real: SharedHttpConnector,
}

impl HttpConnector for FaultConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        match self.faults.take(&request) {
            Some(fault) => {
                let status = StatusCode::try_from(fault.status).unwrap_or(StatusCode::try_from(500).expect("500"));
                let mut response = Response::new(status, SdkBody::from(fault.body));
                response.headers_mut().insert("content-type", "application/x-amz-json-1.0");
                HttpConnectorFuture::ready(Ok(response))
            }
            None => self.real.call(request),
        }
    }
}
