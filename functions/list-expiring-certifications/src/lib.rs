//! `GET /api/v1/certifications/expiring`: effectively active certifications with
//! `now < expires_at <= now + days`, soonest first, one page plus the total and the next
//! page's cursor.
use lambda_http::{Body, Request, Response};
use shared::http::cursor::{check_expiring, page_response, NextLink};
use shared::http::location::public_path;
use shared::http::views::CertificationView;
use shared::http::{page_request, query, respond};
use shared::store::Page;
use shared::{ApiError, App, ReadOnly};

const PATH: &str = "/api/v1/certifications/expiring";
const PARAMS: &[&str] = &["days", "page", "limit", "cursor"];
const DEFAULT_DAYS: u32 = 30;
const MAX_DAYS: u32 = 3650;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(expiring(app.read_only(), &req).await)
}

async fn expiring(app: ReadOnly<'_>, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut q = query(req, PARAMS);
    let days = q.int("days", 1..=MAX_DAYS, DEFAULT_DAYS);
    // A cursor is bound to `days` and the limit.
    let scope = |limit: u32| format!("{PATH}|days={days}|limit={limit}");
    let page = page_request(&mut q, scope);
    let now = app.clock.now();
    // A cursor is input: its key must lie in the window (a key past the window's end would
    // make the store's BETWEEN empty-ranged, which DynamoDB refuses).
    check_expiring(&mut q, &page, now, days);
    q.finish()?;
    let found = app.expiring(now, days, &page).await?;
    let items = found.items.into_iter().map(|c| CertificationView::expiring_item(c, now)).collect();
    let params = vec![("days", days.to_string()), ("limit", page.limit.to_string())];
    // The Link is what the client calls: under a named stage, with its prefix.
    let link = NextLink { path: public_path(req, PATH), scope: scope(page.limit), params };
    Ok(page_response(link, &page, Page { items, total: found.total, next: found.next }))
}
