//! `GET /api/v1/certifications/expiring`: effectively active certifications with
//! `now < expires_at <= now + days`, soonest first, one page plus the total and the next
//! page's cursor.
use lambda_http::{Body, Request, Response};
use shared::http::cursor::page_response;
use shared::http::location::public_path;
use shared::http::views::CertificationView;
use shared::http::{page_request, query, respond};
use shared::{ApiError, App};

const PATH: &str = "/api/v1/certifications/expiring";
const PARAMS: &[&str] = &["days", "page", "limit", "cursor"];
const DEFAULT_DAYS: u32 = 30;
const MAX_DAYS: u32 = 3650;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(expiring(app, &req).await)
}

async fn expiring(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut q = query(req, PARAMS);
    let days = q.int("days", 1..=MAX_DAYS, DEFAULT_DAYS);
    // A cursor is bound to `days` and the limit.
    let scope = |limit: u32| format!("{PATH}|days={days}|limit={limit}");
    let page = page_request(&mut q, scope);
    q.finish()?;
    let now = app.clock.now();
    let found = app.store.expiring(now, days, &page).await?;
    let data = found.items.into_iter().map(|c| CertificationView::expiring_item(c, now)).collect();
    let params = vec![("days", days.to_string()), ("limit", page.limit.to_string())];
    // The Link is what the client calls: under a named stage, with its prefix.
    Ok(page_response(
        &public_path(req, PATH),
        &scope(page.limit),
        params,
        data,
        (page.page, page.limit, found.total),
        found.next,
    ))
}
