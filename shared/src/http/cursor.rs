//! List cursors: opaque to clients, bound to the list they came from.
//!
//! A cursor is URL-safe base64 of `v1|<page>|<sort key>|<check>`, where `<check>` is FNV-1a
//! (64 bit) over the list's *scope* (route, every filter, `limit`) and the rest. A cursor used
//! with other filters or another limit, or damaged in transit, fails the check and is a 400
//! naming `cursor`.
//!
//! **The check is not tamper-evidence.** FNV-1a is unkeyed: anyone can decode a cursor, edit
//! it and recompute the check. So a decoded cursor is input like any other and is validated
//! before any request is sent ([`decode`] and [`check_window`]): its page is 2 to
//! [`MAX_CURSOR_PAGE`], its sort key is `<YYYY-MM-DDTHH:MM:SSZ>#<id>` (the time as the store
//! writes it, the id by the path-id rule), and the key's time lies in the range the list can
//! have issued (for `/expiring`, inside the requested window). A forged cursor that passes all
//! that positions a list the caller may read anyway, at the cost of an ordinary page; it is
//! what following `next_cursor` far enough would give.
//!
//! Why not HMAC-SHA256 with a per-deployment secret: it would protect nothing the validation
//! does not (a cursor grants no access, reveals nothing, and the page it opens costs what any
//! page costs), and it would add a secret to provision (a template parameter or Secrets
//! Manager resolved at deploy time), to configure locally, and to rotate (a rotation
//! invalidates every outstanding cursor). The check stays because it catches the real
//! mistake: a cursor reused with other filters or another limit. It is hand-written because it
//! is ten lines and a crate for FNV would add nothing.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

use crate::domain::timestamp;
use crate::store::{Page, PageRequest};
use crate::validation::{is_valid_path_id, Query};

const VERSION: &str = "v1";
/// Longer input is not a cursor this service issued (a sort key is ~90 characters).
pub const MAX_CURSOR_LEN: usize = 512;
/// The largest page a cursor may open: `i32::MAX`, so a page number fits every client's
/// integer, and `page + 1` never overflows (a list would need two billion items at `limit=1`
/// to get there; the next cursor after it keeps this page number).
pub const MAX_CURSOR_PAGE: u32 = i32::MAX as u32;
/// How far past the server's clock a `created_at` in a cursor may lie: clocks of two Lambdas
/// differ by milliseconds, and the key is only compared (`created_key < key`), never a bound
/// of a range, so the margin is generous.
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// What a cursor says: the page it opens and the sort key its page starts after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The page number the cursor opens (2 to [`MAX_CURSOR_PAGE`]: page 1 needs no cursor).
    pub page: u32,
    /// The index sort key of the previous page's last item: `<YYYY-MM-DDTHH:MM:SSZ>#<id>`.
    pub after: String,
}

fn check(scope: &str, page: u32, after: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in scope.bytes().chain([0]).chain(page.to_string().bytes()).chain([0]).chain(after.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The time of a sort key `<YYYY-MM-DDTHH:MM:SSZ>#<id>` as the store writes it (the time in
/// exactly [`timestamp::format`]'s form, the id by the path-id rule), or `None`.
pub fn key_time(key: &str) -> Option<DateTime<Utc>> {
    let (time, id) = key.split_once('#')?;
    let t = DateTime::parse_from_rfc3339(time).ok()?.with_timezone(&Utc);
    (is_valid_path_id(id) && timestamp::format(&t) == time).then_some(t)
}

/// The cursor for page `page` of the list `scope`, starting after sort key `after`.
pub fn encode(scope: &str, page: u32, after: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{VERSION}|{page}|{after}|{}", check(scope, page, after)))
}

/// The cursor `raw` for the list `scope`, or why it is not one: the check, the page range and
/// the sort key's shape. The key's time range depends on the route: see [`check_window`].
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
    if !(2..=MAX_CURSOR_PAGE).contains(&page) || key_time(after).is_none() {
        return Err(MALFORMED);
    }
    if sum != check(scope, page, after) {
        return Err("belongs to another list (other filters or limit) or was altered; \
                    repeat the request with the filters and limit it was issued for");
    }
    Ok(Cursor { page, after: after.to_owned() })
}

/// Rejects `page`'s cursor (on `q`, naming `cursor`) when its key's time is outside
/// `earliest..=latest`, the times the route's list can have issued it for. Nothing to do
/// without a cursor.
pub fn check_window(q: &mut Query, page: &PageRequest, earliest: DateTime<Utc>, latest: DateTime<Utc>) {
    let Some(after) = page.after.as_deref() else { return };
    if key_time(after).is_none_or(|t| t < earliest || t > latest) {
        q.reject(
            "cursor",
            format!(
                "points outside the times this list can reach ({} to {}); start again from the first page",
                timestamp::format(&earliest),
                timestamp::format(&latest)
            ),
        );
    }
}

/// [`check_window`] for a newest-first list by `created_at`: a key no later than `now` (plus
/// [`CLOCK_SKEW`]) and not before the Unix epoch (no record is created before it).
pub fn check_created(q: &mut Query, page: &PageRequest, now: DateTime<Utc>) {
    check_window(q, page, DateTime::UNIX_EPOCH, now + CLOCK_SKEW);
}

/// [`check_window`] for `/expiring?days=<days>` at `now`: the key's `expires_at` is at most the
/// window's end (`now + days`, whole seconds, as the store bounds its `BETWEEN`), and at least
/// one window length before `now`. A cursor issued within the last `days` days always passes
/// (its key was inside the window then); an item that expired since only moves the page's
/// start to the window's start, which the store does by itself.
pub fn check_expiring(q: &mut Query, page: &PageRequest, now: DateTime<Utc>, days: u32) {
    let now = now.trunc_subsecs(0);
    let span = TimeDelta::days(i64::from(days));
    check_window(q, page, now - span, now + span);
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
    // A cursor's page is at most MAX_CURSOR_PAGE (far below u32::MAX); a page past it stays there.
    let next = page.saturating_add(1).min(MAX_CURSOR_PAGE);
    let next_cursor = found.next.map(|after| encode(&link.scope, next, &after));
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

    /// An edited cursor with its check recomputed (FNV-1a is unkeyed) is still validated.
    #[test]
    fn a_recomputed_check_does_not_make_a_cursor_valid() {
        let forge = |page: &str, after: &str| {
            let page_n: u32 = page.parse().unwrap_or(0);
            URL_SAFE_NO_PAD.encode(format!("v1|{page}|{after}|{}", check("s", page_n, after)))
        };
        let key = "2026-01-01T00:00:00Z#cert-a";
        assert_eq!(decode("s", &forge("2", key)), Ok(Cursor { page: 2, after: key.into() }));
        assert_eq!(decode("s", &forge(&MAX_CURSOR_PAGE.to_string(), key)).map(|c| c.page), Ok(MAX_CURSOR_PAGE));
        for (page, after) in [
            ("4294967295", key),
            ("2147483648", key),
            ("1", key),
            ("0", key),
            ("2", "2026-01-01T00:00:00Z"),
            ("2", "2026-01-01T00:00:00Z#"),
            ("2", "2026-01-01T00:00:00Z#cert a"),
            ("2", "2026-01-01T00:00:00Z#cert#a"),
            ("2", "2026-01-01T00:00:00.5Z#cert-a"),
            ("2", "2026-01-01T00:00:00+00:00#cert-a"),
            ("2", "2026-1-01T00:00:00Z#cert-a"),
            ("2", "9999-99-99T00:00:00Z#cert-a"),
            ("2", "~#cert-a"),
            ("2", &format!("2026-01-01T00:00:00Z#{}", "a".repeat(65))),
        ] {
            assert!(decode("s", &forge(page, after)).unwrap_err().contains("not a cursor"), "{page} {after}");
        }
        assert_eq!(key_time(key), Some(chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().into()));
    }

    #[test]
    fn a_cursor_outside_the_window_is_refused() {
        let t = |s: &str| -> DateTime<Utc> { DateTime::parse_from_rfc3339(s).unwrap().into() };
        let (lo, hi) = (t("2026-01-01T00:00:00Z"), t("2026-02-01T00:00:00Z"));
        for (key, ok) in [
            (None, true),
            (Some("2026-01-01T00:00:00Z#a"), true),
            (Some("2026-02-01T00:00:00Z#a"), true),
            (Some("2026-02-01T00:00:01Z#a"), false),
            (Some("2025-12-31T23:59:59Z#a"), false),
            (Some("9999-12-31T23:59:59Z#a"), false),
            (Some("0000-01-01T00:00:00Z#a"), false),
        ] {
            let mut q = Query::new([], &[]);
            let page = PageRequest { page: 2, limit: 10, after: key.map(str::to_owned), numbered: false };
            check_window(&mut q, &page, lo, hi);
            assert_eq!(q.finish().is_ok(), ok, "{key:?}");
        }
    }

    #[test]
    fn the_next_link_carries_every_parameter() {
        let link = next_link("/api/v1/certifications", &[("status", "active".into()), ("cursor", "abc".into())]);
        assert_eq!(link, "</api/v1/certifications?status=active&cursor=abc>; rel=\"next\"");
    }
}
