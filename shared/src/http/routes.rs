//! The API's routes, once. The local server routes from this table, and a test checks
//! `template.yaml`, the `events/` samples and the cargo-lambda router against it.

/// One route of the API and the function serving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The HTTP method, upper case: `GET`, `POST`, `PUT`, `DELETE`.
    pub method: &'static str,
    /// API Gateway syntax: `{id}` is a path parameter.
    pub path: &'static str,
    /// The function crate, its binary and its `events/` prefix.
    pub function: &'static str,
}

/// Every route of the API, once each; what the local server routes by and the tests check.
pub const ROUTES: [Route; 7] = [
    Route { method: "GET", path: "/api/v1/certifications", function: "list-certifications" },
    Route { method: "POST", path: "/api/v1/certifications", function: "create-certification" },
    // The literal `/expiring` wins over `/{id}` (API Gateway prefers the most specific route).
    Route { method: "GET", path: "/api/v1/certifications/expiring", function: "list-expiring-certifications" },
    Route { method: "GET", path: "/api/v1/certifications/{id}", function: "get-certification" },
    Route { method: "PUT", path: "/api/v1/certifications/{id}", function: "update-certification" },
    Route { method: "DELETE", path: "/api/v1/certifications/{id}", function: "delete-certification" },
    Route { method: "GET", path: "/api/v1/certifications/{id}/status", function: "get-certification-status" },
];
