//! The seven function crates' handlers, by the function names [`shared::http::routes::ROUTES`]
//! gives them: the same `handle` each Lambda binary runs.
use lambda_http::{Body, Response};
use shared::App;

/// A function crate's handler, boxed so the seven can share one table.
pub type Handler = for<'a> fn(&'a App, lambda_http::Request) -> BoxFuture<'a>;
pub type BoxFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Response<Body>> + Send + 'a>>;

/// Every function the server can run, by its name in [`shared::http::routes::ROUTES`].
pub const HANDLERS: [(&str, Handler); 7] = [
    ("list-certifications", |app, req| Box::pin(list_certifications::handle(app, req))),
    ("create-certification", |app, req| Box::pin(create_certification::handle(app, req))),
    ("get-certification", |app, req| Box::pin(get_certification::handle(app, req))),
    ("update-certification", |app, req| Box::pin(update_certification::handle(app, req))),
    ("delete-certification", |app, req| Box::pin(delete_certification::handle(app, req))),
    ("get-certification-status", |app, req| Box::pin(get_certification_status::handle(app, req))),
    ("list-expiring-certifications", |app, req| Box::pin(list_expiring_certifications::handle(app, req))),
];

/// The handler linked for `function`, if any.
pub fn handler(function: &str) -> Option<Handler> {
    HANDLERS.iter().find(|(name, _)| *name == function).map(|(_, h)| *h)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use shared::http::routes::ROUTES;

    use super::*;

    #[test]
    fn the_handler_table_covers_exactly_the_routes() {
        let routed: BTreeSet<&str> = ROUTES.iter().map(|r| r.function).collect();
        let linked: BTreeSet<&str> = HANDLERS.iter().map(|(name, _)| *name).collect();
        assert_eq!(linked.len(), HANDLERS.len(), "a function is linked twice");
        assert_eq!(routed, linked);
    }
}
