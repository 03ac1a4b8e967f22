//! `GET /api/v1/certifications`: filtered by `mentor_id`, `cert_type` and effective
//! `status`, newest first, one page plus the total.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::views::{CertificationView, PageBody, Pagination};
use shared::http::{json, page_request, query, respond};
use shared::store::ListFilter;
use shared::validation::{is_cert_type, is_mentor_id, CERT_TYPE_RULE, MENTOR_ID_RULE};
use shared::{ApiError, App};

const PARAMS: &[&str] = &["mentor_id", "cert_type", "status", "page", "limit"];

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(list(app, &req).await)
}

async fn list(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut q = query(req, PARAMS);
    let filter = ListFilter {
        mentor_id: q.string("mentor_id", is_mentor_id, MENTOR_ID_RULE),
        cert_type: q.string("cert_type", is_cert_type, CERT_TYPE_RULE),
        status: q.status("status"),
    };
    let page = page_request(&mut q);
    q.finish()?;
    let now = app.clock.now();
    let found = app.store.list(&filter, now, page).await?;
    let body = PageBody {
        data: found.items.into_iter().map(|c| CertificationView::list_item(c, now)).collect(),
        pagination: Pagination { page: page.page, limit: page.limit, total: found.total },
    };
    Ok(json(StatusCode::OK, &body))
}
