//! List cursors: opaque to clients, bound to the list they came from.
//!
//! A cursor is URL-safe base64 of `v1|<page>|<sort key>|<check>`, where `<check>` is FNV-1a
//! (64 bit) over the list's *scope* (route, every filter, `limit`) and the rest. A cursor used
//! with other filters or another limit, or edited, fails the check and is a 400 naming
//! `cursor`. This is tamper-evidence, not secrecy: a cursor only positions a list the caller
//! may read anyway, so no per-deployment secret (HMAC) is needed; the check is hand-written
//! because it is ten lines and a crate for FNV would add nothing.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::store::{Page, PageRequest};

const VERSION: &str = "v1";
/// Longer input is not a cursor this service issued (a sort key is ~90 characters).
pub const MAX_CURSOR_LEN: usize = 512;

/// What a cursor says: the page it opens and the sort key its page starts after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The page number the cursor opens (2 or more: page 1 needs no cursor).
    pub page: u32,
    /// The index sort key of the previous page's last item (non-empty).
    pub after: String,
}

fn check(scope: &str, page: u32, after: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in scope.bytes().chain([0]).chain(page.to_string().bytes()).chain([0]).chain(after.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The cursor for page `page` of the list `scope`, starting after sort key `after`.
pub fn encode(scope: &str, page: u32, after: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{VERSION}|{page}|{after}|{}", check(scope, page, after)))
}

/// The cursor `raw` for the list `scope`, or why it is not one.
pub fn decode(scope: &str, raw: &str) -> Result<Cursor, &'static str> {
    const MALFORMED: &str = "is not a cursor this list issued; use pagination.next_cursor as given";
    if raw.is_empty() || raw.len() > MAX_CURSOR_LEN {
        return Err(MALFORMED);
    }
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| MALFORMED)?;
    let text = String::from_utf8(bytes).map_err(|_| MALFORMED)?;
    let mut parts = text.split('|');
    let (Some(VERSION), Some(page), Some(after), Some(sum), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(MALFORMED);
    };
    let page: u32 = page.parse().map_err(|_| MALFORMED)?;
    if page < 2 || after.is_empty() {
        return Err(MALFORMED);
    }
    if sum != check(scope, page, after) {
        return Err("belongs to another list (other filters or limit) or was altered; \
                    repeat the request with the filters and limit it was issued for");
    }
    Ok(Cursor { page, after: after.to_owned() })
}

/// Where a list's next page is: what the `Link` header and `next_cursor` are made of.
#[derive(Debug, Clone)]
pub struct NextLink<'a> {
    /// The path the client called (under a named stage, with its prefix).
    pub path: String,
    /// The cursor's scope: the route, every filter and the limit (see [`decode`]).
    pub scope: String,
    /// The request's filters and limit, to which the `Link` adds the cursor.
    pub params: Vec<(&'a str, String)>,
}

/// The list response: `{data, pagination}` with `next_cursor`, and the `Link` header for the
/// next page of `request` when `found` says more items follow.
pub fn page_response<T: serde::Serialize>(
    mut link: NextLink<'_>,
    request: &PageRequest,
    found: Page<T>,
) -> lambda_http::Response<lambda_http::Body> {
    let (page, limit) = (request.page, request.limit);
    // Saturating: a cursor's page is at most u32::MAX, and a page past it stays there.
    let next_cursor = found.next.map(|after| encode(&link.scope, page.saturating_add(1), &after));
    let header = next_cursor.as_ref().map(|c| {
        link.params.push(("cursor", c.clone()));
        next_link(&link.path, &link.params)
    });
    let pagination = super::views::Pagination { page, limit, total: found.total, next_cursor };
    let body = super::views::PageBody { data: found.items, pagination };
    let mut response = super::response::json(lambda_http::http::StatusCode::OK, &body);
    if let Some(value) = header.and_then(|l| lambda_http::http::HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(lambda_http::http::header::LINK, value);
    }
    response
}

/// A `Link: <…>; rel="next"` header value for `path` with `params` (already URL-safe: the
/// filters' rules allow only unreserved characters and `:`, cursors are base64url).
pub fn next_link(path: &str, params: &[(&str, String)]) -> String {
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("<{path}?{}>; rel=\"next\"", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_only_within_its_scope() {
        let c = encode("list|limit=10", 3, "2026-01-01T00:00:00Z#cert-a");
        assert_eq!(decode("list|limit=10", &c), Ok(Cursor { page: 3, after: "2026-01-01T00:00:00Z#cert-a".into() }));
        assert!(decode("list|limit=20", &c).unwrap_err().contains("another list"));
        assert!(decode("list|limit=10", "not base64!").unwrap_err().contains("not a cursor"));
        // One changed character anywhere: refused.
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(&c).unwrap()).unwrap();
        let edited = URL_SAFE_NO_PAD.encode(text.replace("cert-a", "cert-b"));
        assert!(decode("list|limit=10", &edited).is_err());
        let edited = URL_SAFE_NO_PAD.encode(text.replacen("|3|", "|4|", 1));
        assert!(decode("list|limit=10", &edited).is_err());
        assert!(decode("list|limit=10", &"A".repeat(600)).is_err());
    }

    #[test]
    fn the_next_link_carries_every_parameter() {
        let link = next_link("/api/v1/certifications", &[("status", "active".into()), ("cursor", "abc".into())]);
        assert_eq!(link, "</api/v1/certifications?status=active&cursor=abc>; rel=\"next\"");
    }
}
