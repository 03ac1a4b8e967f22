//! `GET /api/v1/certifications`: filtered by `mentor_id`, `cert_type` and effective
//! `status`, newest first, one page plus the total and the next page's cursor.
use lambda_http::{Body, Request, Response};
use shared::http::cursor::{check_created, page_response, NextLink};
use shared::http::location::public_path;
use shared::http::views::CertificationView;
use shared::http::{page_request, query, respond};
use shared::store::{ListFilter, Page};
use shared::validation::{is_cert_type, is_mentor_id, CERT_TYPE_RULE, MENTOR_ID_RULE};
use shared::{ApiError, App, ReadOnly};

const PATH: &str = "/api/v1/certifications";
const PARAMS: &[&str] = &["mentor_id", "cert_type", "status", "page", "limit", "cursor"];

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(list(app.read_only(), &req).await)
}

async fn list(app: ReadOnly<'_>, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut q = query(req, PARAMS);
    let filter = ListFilter {
        mentor_id: q.string("mentor_id", is_mentor_id, MENTOR_ID_RULE),
        cert_type: q.string("cert_type", is_cert_type, CERT_TYPE_RULE),
        status: q.status("status"),
    };
    let mut params: Vec<(&str, String)> = Vec::new();
    params.extend(filter.mentor_id.clone().map(|v| ("mentor_id", v)));
    params.extend(filter.cert_type.clone().map(|v| ("cert_type", v)));
    params.extend(filter.status.map(|v| ("status", v.as_str().to_owned())));
    // A cursor is bound to these filters and the limit.
    let filters: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let scope = |limit: u32| format!("{PATH}|{}|limit={limit}", filters.join("|"));
    let page = page_request(&mut q, scope);
    let now = app.clock.now();
    // A cursor is input: its key must be one this list can have issued by now.
    check_created(&mut q, &page, now);
    q.finish()?;
    let found = app.list(&filter, now, &page).await?;
    let items = found.items.into_iter().map(|c| CertificationView::list_item(c, now)).collect();
    params.push(("limit", page.limit.to_string()));
    // The Link is what the client calls: under a named stage, with its prefix.
    let link = NextLink { path: public_path(req, PATH), scope: scope(page.limit), params };
    Ok(page_response(link, &page, Page { items, total: found.total, next: found.next }))
}
