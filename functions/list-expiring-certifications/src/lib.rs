//! `GET /api/v1/certifications/expiring`: effectively active certifications with
//! `now < expires_at <= now + days`, soonest first, one page plus the total.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::views::{CertificationView, PageBody, Pagination};
use shared::http::{json, page_request, query, respond};
use shared::{ApiError, App};

const PARAMS: &[&str] = &["days", "page", "limit"];
const DEFAULT_DAYS: u32 = 30;
const MAX_DAYS: u32 = 3650;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(expiring(app, &req).await)
}

async fn expiring(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut q = query(req, PARAMS);
    let days = q.int("days", 1..=MAX_DAYS, DEFAULT_DAYS);
    let page = page_request(&mut q);
    q.finish()?;
    let now = app.clock.now();
    let found = app.store.expiring(now, days, page).await?;
    let body = PageBody {
        data: found.items.into_iter().map(|c| CertificationView::expiring_item(c, now)).collect(),
        pagination: Pagination { page: page.page, limit: page.limit, total: found.total },
    };
    Ok(json(StatusCode::OK, &body))
}
