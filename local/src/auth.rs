//! `--auth`: the rules of the deployed JWT authorizer (template.yaml, `AuthIssuerUrl`),
//! enforced locally with a key generated at start-up, so clients and tests can exercise them
//! without AWS:
//!
//! - `POST`, `PUT`, `DELETE` need `Authorization: Bearer <token>` whose `scope` (space
//!   separated) or `scp` (list) holds the write scope (default `certifications/write`);
//! - `GET`s are public unless `--read-scope` is given, then they need that scope;
//! - no token, or an invalid one (signature, `iss`, `aud`, `exp`) is a 401; a valid token
//!   without the scope a 403. Both are problem+json through `shared`'s `ApiError`, where API
//!   Gateway would answer its own `{"message": "Unauthorized"}`: the status codes are what
//!   matters to a client.
//!
//! Routes are matched first, as API Gateway does: an unknown route stays a 404 and a method
//! the path does not have a 405, with or without a token.
//!
//! Tokens are HS256 with issuer [`LOCAL_ISSUER`] and audience [`LOCAL_AUDIENCE`]; the server
//! prints a write token and a read token at start-up.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use shared::http::ApiError;

pub const LOCAL_ISSUER: &str = "https://local-api.invalid/";
pub const LOCAL_AUDIENCE: &str = "certifications-local";
pub const DEFAULT_WRITE_SCOPE: &str = "certifications/write";
/// The `client_id` of the tokens printed at start-up.
pub const LOCAL_CLIENT_ID: &str = "local-api";
/// How long the tokens printed at start-up stay valid.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

#[derive(Debug, Clone, clap::Args)]
pub struct AuthArgs {
    /// Enforce the JWT authorizer's rules (as deployed with `AuthIssuerUrl`) with a key
    /// generated at start-up; the start-up log prints tokens to use. LOCAL_API_AUTH takes
    /// 1/true/yes/on or 0/false/no/off (any case).
    #[arg(long, env = "LOCAL_API_AUTH", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub auth: bool,
    /// Scope POST, PUT and DELETE need (with --auth).
    #[arg(long, value_name = "SCOPE", default_value = DEFAULT_WRITE_SCOPE)]
    pub write_scope: String,
    /// Scope the GET routes need (with --auth); without it reads stay public.
    #[arg(long, value_name = "SCOPE")]
    pub read_scope: Option<String>,
}

impl AuthArgs {
    /// The rules with a fresh random key, or `None` without `--auth`.
    pub fn rules(&self) -> Option<AuthRules> {
        self.auth.then(|| AuthRules::new(&random_secret(), &self.write_scope, self.read_scope.as_deref()))
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    /// The OAuth client the token was issued to (Cognito's access-token claim); with `sub` it
    /// names the caller an `Idempotency-Key` belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<Vec<String>>,
}

impl Claims {
    /// A token's claims for `scopes`, expiring `lifetime` from now (the past for a negative one).
    pub fn new(scopes: &[&str], expires_at: SystemTime) -> Self {
        Self {
            iss: LOCAL_ISSUER.into(),
            aud: LOCAL_AUDIENCE.into(),
            sub: "local-user".into(),
            client_id: Some(LOCAL_CLIENT_ID.into()),
            exp: expires_at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            scope: Some(scopes.join(" ")),
            scp: None,
        }
    }

    fn has_scope(&self, wanted: &str) -> bool {
        let in_scope = self.scope.as_deref().is_some_and(|s| s.split(' ').any(|s| s == wanted));
        in_scope || self.scp.as_ref().is_some_and(|l| l.iter().any(|s| s == wanted))
    }
}

pub struct AuthRules {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    write_scope: String,
    read_scope: Option<String>,
}

impl AuthRules {
    pub fn new(secret: &[u8], write_scope: &str, read_scope: Option<&str>) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[LOCAL_ISSUER]);
        validation.set_audience(&[LOCAL_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            write_scope: write_scope.to_owned(),
            read_scope: read_scope.map(str::to_owned),
        }
    }

    /// A signed token for `claims` (the start-up tokens; tests mint their own).
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    /// The scope `method` needs, if any.
    pub fn scope_for(&self, method: &str) -> Option<&str> {
        match method {
            "POST" | "PUT" | "DELETE" => Some(&self.write_scope),
            _ => self.read_scope.as_deref(),
        }
    }

    /// Whether a request with this method and `Authorization` header may reach its route, and
    /// the token's claims when one was checked (none on a public route).
    pub fn check(&self, method: &str, authorization: Option<&[u8]>) -> Result<Option<Claims>, ApiError> {
        let Some(scope) = self.scope_for(method) else { return Ok(None) };
        let header = authorization.and_then(|h| std::str::from_utf8(h).ok()).unwrap_or("");
        let token = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Unauthorized("this route needs an Authorization: Bearer token".into()))?;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| ApiError::Unauthorized(format!("the bearer token is not valid: {e}")))?
            .claims;
        if claims.has_scope(scope) {
            Ok(Some(claims))
        } else {
            Err(ApiError::Forbidden(format!("the token lacks the scope '{scope}'")))
        }
    }

    /// Logs tokens to call the API with, valid for [`TOKEN_LIFETIME`].
    pub fn announce(&self) {
        let until = SystemTime::now() + TOKEN_LIFETIME;
        let mut scopes = vec![self.write_scope.as_str()];
        scopes.extend(self.read_scope.as_deref());
        let all = self.sign(&Claims::new(&scopes, until));
        let read = self.read_scope.as_deref().map(|r| self.sign(&Claims::new(&[r], until)));
        match (all, read.transpose()) {
            (Ok(token), Ok(read_token)) => tracing::info!(
                write_scope = %self.write_scope,
                read_scope = self.read_scope.as_deref().unwrap_or("(reads public)"),
                %token,
                read_token = read_token.as_deref().unwrap_or("(not needed)"),
                "auth on: send `Authorization: Bearer <token>` (valid 12 h; the key changes at every start)"
            ),
            (Err(e), _) | (_, Err(e)) => tracing::error!(error = %e, "could not sign the start-up tokens"),
        }
    }
}

/// The authorizer's step for a request that matched a route with `method`: without `--auth`
/// (`rules` is `None`) every request passes; otherwise [`AuthRules::check`] on its
/// `Authorization` header. `Ok` holds the claims of the token checked, which API Gateway's
/// JWT authorizer hands the function in `requestContext.authorizer.jwt.claims`.
pub fn authorize(
    rules: Option<&AuthRules>,
    method: &str,
    headers: &axum::http::HeaderMap,
) -> Result<Option<Claims>, ApiError> {
    match rules {
        None => Ok(None),
        Some(rules) => rules.check(method, headers.get(axum::http::header::AUTHORIZATION).map(|v| v.as_bytes())),
    }
}

impl Claims {
    /// The claims as API Gateway's JWT authorizer passes them to the function: strings, a
    /// list as `[a b]`.
    pub fn for_request(&self) -> std::collections::HashMap<String, String> {
        let mut m = std::collections::HashMap::from([
            ("iss".to_owned(), self.iss.clone()),
            ("aud".to_owned(), self.aud.clone()),
            ("sub".to_owned(), self.sub.clone()),
            ("exp".to_owned(), self.exp.to_string()),
        ]);
        m.extend(self.client_id.clone().map(|c| ("client_id".to_owned(), c)));
        m.extend(self.scope.clone().map(|s| ("scope".to_owned(), s)));
        m.extend(self.scp.as_ref().map(|l| ("scp".to_owned(), format!("[{}]", l.join(" ")))));
        m
    }
}

/// 320 random bits from four ULIDs' random parts (80 bits each, from the OS-seeded
/// generator `ulid` uses): a local test key, never a production one.
fn random_secret() -> Vec<u8> {
    (0..4).flat_map(|_| ulid::Ulid::new().random().to_be_bytes()[6..].to_vec()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(read: Option<&str>) -> AuthRules {
        AuthRules::new(b"test-secret", DEFAULT_WRITE_SCOPE, read)
    }

    fn bearer(r: &AuthRules, claims: &Claims) -> Vec<u8> {
        format!("Bearer {}", r.sign(claims).unwrap()).into_bytes()
    }

    fn later() -> SystemTime {
        SystemTime::now() + Duration::from_secs(3600)
    }

    #[test]
    fn scopes_come_from_scope_or_scp() {
        let r = rules(None);
        let mut c = Claims::new(&["other", DEFAULT_WRITE_SCOPE], later());
        assert!(r.check("PUT", Some(&bearer(&r, &c))).is_ok());
        c.scope = None;
        c.scp = Some(vec![DEFAULT_WRITE_SCOPE.into()]);
        assert!(r.check("DELETE", Some(&bearer(&r, &c))).is_ok());
        // A prefix is not the scope.
        let c = Claims::new(&["certifications/writer"], later());
        assert!(matches!(r.check("POST", Some(&bearer(&r, &c))), Err(ApiError::Forbidden(_))));
    }

    #[test]
    fn bad_tokens_are_401() {
        let r = rules(None);
        let good = Claims::new(&[DEFAULT_WRITE_SCOPE], later());
        let expired = Claims::new(&[DEFAULT_WRITE_SCOPE], SystemTime::now() - Duration::from_secs(3600));
        let other_key = AuthRules::new(b"another-secret", DEFAULT_WRITE_SCOPE, None);
        let mut wrong_aud = Claims::new(&[DEFAULT_WRITE_SCOPE], later());
        wrong_aud.aud = "someone-else".into();
        let mut wrong_iss = Claims::new(&[DEFAULT_WRITE_SCOPE], later());
        wrong_iss.iss = "https://evil.example/".into();
        let token = r.sign(&good).unwrap();
        for header in [
            None,
            Some(b"".to_vec()),
            Some(format!("Basic {token}").into_bytes()),
            Some(b"Bearer ".to_vec()),
            Some(b"Bearer not.a.jwt".to_vec()),
            Some(bearer(&r, &expired)),
            Some(bearer(&other_key, &good)),
            Some(bearer(&r, &wrong_aud)),
            Some(bearer(&r, &wrong_iss)),
        ] {
            let got = r.check("POST", header.as_deref());
            assert!(matches!(got, Err(ApiError::Unauthorized(_))), "{:?}: {got:?}", header.map(String::from_utf8));
        }
        assert!(r.check("POST", Some(format!("bearer {token}").as_bytes())).is_ok(), "the scheme is case-insensitive");
    }

    #[test]
    fn reads_are_public_unless_a_read_scope_is_set() {
        assert!(rules(None).check("GET", None).is_ok());
        let r = rules(Some("certifications/read"));
        assert!(matches!(r.check("GET", None), Err(ApiError::Unauthorized(_))));
        let writer = Claims::new(&[DEFAULT_WRITE_SCOPE], later());
        assert!(matches!(r.check("GET", Some(&bearer(&r, &writer))), Err(ApiError::Forbidden(_))));
        let reader = Claims::new(&["certifications/read"], later());
        assert!(r.check("GET", Some(&bearer(&r, &reader))).is_ok());
        assert!(matches!(r.check("PUT", Some(&bearer(&r, &reader))), Err(ApiError::Forbidden(_))));
    }

    /// `--auth`, or `LOCAL_API_AUTH` with any of the usual yes/no spellings; anything else is
    /// refused at start-up rather than silently ignored.
    #[test]
    fn auth_is_a_flag_or_a_boolish_environment_variable() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            auth: AuthArgs,
        }
        let parse = |args: &[&str]| Cli::try_parse_from(std::iter::once("local-api").chain(args.iter().copied()));
        // The only test that reads LOCAL_API_AUTH, so setting it here races with nothing.
        std::env::remove_var("LOCAL_API_AUTH");
        assert!(!parse(&[]).unwrap().auth.auth);
        assert!(parse(&["--auth"]).unwrap().auth.auth);
        for (value, on) in [
            ("1", true),
            ("true", true),
            ("TRUE", true),
            ("yes", true),
            ("on", true),
            ("0", false),
            ("false", false),
            ("no", false),
            ("off", false),
        ] {
            std::env::set_var("LOCAL_API_AUTH", value);
            assert_eq!(parse(&[]).map(|c| c.auth.auth).ok(), Some(on), "LOCAL_API_AUTH={value}");
            assert!(parse(&["--auth"]).unwrap().auth.auth, "the flag wins over LOCAL_API_AUTH={value}");
        }
        std::env::set_var("LOCAL_API_AUTH", "maybe");
        assert!(parse(&[]).is_err(), "LOCAL_API_AUTH=maybe was accepted");
        std::env::remove_var("LOCAL_API_AUTH");
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(random_secret(), random_secret());
        assert_eq!(random_secret().len(), 40);
    }
}
