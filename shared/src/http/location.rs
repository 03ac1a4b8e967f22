//! `Location` of a created record. Under a named API Gateway stage the public URL starts
//! with `/<stage>` (lambda_http strips it from the path the handler sees, see
//! `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` in `template.yaml`), so it is put back here; the
//! `$default` stage has no prefix.
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// `path` as a client reaches it: prefixed with the stage when it is not `$default`.
pub fn public_path(req: &Request, path: &str) -> String {
    #[allow(irrefutable_let_patterns)] // one variant with this crate's lambda_http features
    let stage = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.stage.as_deref(),
        _ => None,
    };
    match stage {
        Some(s) if !s.is_empty() && s != "$default" => format!("/{s}{path}"),
        _ => path.to_owned(),
    }
}
