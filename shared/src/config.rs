//! Configuration from the environment and the AWS SDK configuration every client is built
//! from, once per cold start.
use aws_config::BehaviorVersion;
use aws_runtime::env_config::EnvConfigValue;
use aws_types::os_shim_internal::Env;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};

use crate::store::Store;

/// `EXPIRING_SOON_DAYS` when unset: the contract's window for `is_expiring_soon`.
pub const DEFAULT_EXPIRING_SOON_DAYS: i64 = 30;

/// The HTTP functions' settings, read once per cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `TABLE_NAME`: required.
    pub table_name: String,
    /// `EXPIRING_SOON_DAYS`: 0 to 3650, default 30.
    pub expiring_soon_days: i64,
    /// `IDEMPOTENCY_TTL_HOURS`: how long an `Idempotency-Key` is remembered, 1 to 720
    /// (30 days), default 24 (as Stripe).
    pub idempotency_ttl_hours: i64,
}

/// `IDEMPOTENCY_TTL_HOURS` when unset.
pub const DEFAULT_IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// A setting the function cannot start with (the message names the variable and the rule).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// `TABLE_NAME` unset or empty.
    #[error("TABLE_NAME is not set")]
    MissingTableName,
    /// `EXPIRING_SOON_DAYS` is not a whole number from 0 to 3650 (the value given).
    #[error("EXPIRING_SOON_DAYS must be a whole number from 0 to 3650, got {0:?}")]
    BadExpiringSoonDays(String),
    /// `IDEMPOTENCY_TTL_HOURS` is not a whole number from 1 to 720 (the value given).
    #[error("IDEMPOTENCY_TTL_HOURS must be a whole number from 1 to 720, got {0:?}")]
    BadIdempotencyTtlHours(String),
}

impl Config {
    /// Reads the process environment (see [`Config::from_lookup`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table_name = lookup("TABLE_NAME").filter(|t| !t.is_empty()).ok_or(ConfigError::MissingTableName)?;
        let expiring_soon_days = match lookup("EXPIRING_SOON_DAYS") {
            None => DEFAULT_EXPIRING_SOON_DAYS,
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(n) if (0..=3650).contains(&n) => n,
                _ => return Err(ConfigError::BadExpiringSoonDays(raw)),
            },
        };
        let idempotency_ttl_hours = match lookup("IDEMPOTENCY_TTL_HOURS") {
            None => DEFAULT_IDEMPOTENCY_TTL_HOURS,
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(n) if (1..=720).contains(&n) => n,
                _ => return Err(ConfigError::BadIdempotencyTtlHours(raw)),
            },
        };
        Ok(Self { table_name, expiring_soon_days, idempotency_ttl_hours })
    }
}

/// The AWS configuration of a Lambda function, once per cold start, from its environment
/// alone: the region from `AWS_REGION` (else `AWS_DEFAULT_REGION`), the credentials from
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` (Lambda sets them all),
/// and the endpoint overrides `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL` (see
/// [`EnvEndpoints`]), with the explicit trust store of [`sdk_config`]. Everything else is the
/// SDK clients' default for the latest behavior version (standard retries, 3.1 s connect
/// timeout, lazy identity cache, tokio sleep, system clock), which is what aws-config's loader
/// gives too when neither the environment nor a profile changes it.
///
/// Not [`sdk_config`]: its default chain (profiles, SSO, web identity, STS, ECS, IMDS) is code
/// a Lambda never runs, and building the config without it lets fat LTO drop that code
/// (aws-config's loader and the profile parser, 202 KiB of `.text`, and aws-sdk-sts, 110 KiB;
/// README, "Package size").
pub async fn lambda_sdk_config() -> aws_config::SdkConfig {
    use aws_config::environment::{EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider};
    use aws_config::meta::region::ProvideRegion;
    use aws_sdk_dynamodb::config::SharedCredentialsProvider;

    let region = EnvironmentVariableRegionProvider::new().region().await;
    let mut config = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()))
        .service_config(EnvEndpoints(Env::real()));
    if let Some(http) = explicit_trust_store() {
        config = config.http_client(http);
    }
    config.build()
}

/// The AWS configuration the local server's admin commands use against AWS: the SDK's default
/// chain (credentials, region, and `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL` endpoint
/// overrides, as aws-config reads them: environment, profiles with keys or an assumed role, web
/// identity, container and instance roles), with an explicit trust store. The Lambdas use
/// [`lambda_sdk_config`].
///
/// The trust store is always the bundled AWS roots; a custom endpoint (DynamoDB Local
/// behind TLS, a proxy) adds the system roots, but only when the system has any. The SDK's
/// default store asserts that native roots exist and panicked during init in a minimal
/// container without CA certificates, even for an `http://` endpoint that needs no TLS.
/// Now such a function starts; a request that really needs TLS it cannot verify fails to
/// connect, which the store reports as unavailable (503).
pub async fn sdk_config() -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(http) = explicit_trust_store() {
        loader = loader.http_client(http);
    }
    loader.load().await
}

/// [`trust_store_client`] for this environment (the system roots only with a custom
/// endpoint), or `None`, after a warning, for the SDK's default client.
fn explicit_trust_store() -> Option<aws_smithy_runtime_api::client::http::SharedHttpClient> {
    let native_roots = has_custom_endpoint(std::env::vars()) && has_native_roots();
    trust_store_client(native_roots)
        .inspect_err(|e| tracing::warn!(error = %e, "explicit trust store unavailable; using the SDK default"))
        .ok()
}

/// The endpoint overrides of [`lambda_sdk_config`], read from the environment only (no profile
/// file) by aws-runtime's own rules, as aws-config's loader reads them: `AWS_ENDPOINT_URL_<SERVICE>`
/// (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_EVENTBRIDGE`), else `AWS_ENDPOINT_URL`; none
/// when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`.
#[derive(Debug)]
struct EnvEndpoints(Env);

impl LoadServiceConfig for EnvEndpoints {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        let ignore = self.0.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
        if ignore {
            return None;
        }
        let (value, _source) = EnvConfigValue::new()
            .env(key.env())
            .profile(key.profile())
            .service_id(key.service_id())
            .load(&self.0, None)?;
        Some(value.into_owned())
    }
}

/// Whether the system offers any root certificate (`SSL_CERT_FILE`/`SSL_CERT_DIR` or the
/// platform store, as the SDK itself would load them).
fn has_native_roots() -> bool {
    let found = rustls_native_certs::load_native_certs();
    if found.certs.is_empty() {
        tracing::warn!(errors = ?found.errors, "no system root certificates; trusting only the bundled AWS roots");
    }
    !found.certs.is_empty()
}

/// The Lambdas' DynamoDB client, from [`lambda_sdk_config`].
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&lambda_sdk_config().await)
}

/// The root CAs every AWS endpoint chains to (Amazon Root CA 1-4 and Starfield Services
/// Root G2, which cross-signs them).
const AWS_ROOT_CAS: &str = include_str!("../certs/aws-roots.pem");

/// An HTTP(S) client that trusts [`AWS_ROOT_CAS`], plus the system roots when
/// `native_roots`. The SDK's default scans the system store (`/etc/ssl/certs`, ~150 files),
/// which is most of the client's share of a cold start, so real AWS endpoints skip it.
fn trust_store_client(native_roots: bool) -> Result<aws_smithy_runtime_api::client::http::SharedHttpClient, String> {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider, TlsContext, TrustStore};
    let trust = TrustStore::empty().with_native_roots(native_roots).with_pem_certificate(AWS_ROOT_CAS.as_bytes());
    let context = TlsContext::builder().with_trust_store(trust).build().map_err(|e| e.to_string())?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

/// Any `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_<SERVICE>` with a value.
fn has_custom_endpoint(vars: impl IntoIterator<Item = (String, String)>) -> bool {
    vars.into_iter().any(|(k, v)| k.starts_with("AWS_ENDPOINT_URL") && !v.is_empty())
}

/// Inside Lambda, one cheap request during init (DescribeTable: no read capacity) opens
/// the TLS connection while init still runs, so the first invocation does not pay the
/// handshake (published at ~750 ms on a 128 MB function). Failure only costs that latency.
pub async fn warm_up(store: &Store) {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        return;
    }
    let call = store.client().describe_table().table_name(store.table_name()).send();
    match tokio::time::timeout(std::time::Duration::from_secs(2), call).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), "warm-up request failed")
        }
        Err(_) => tracing::warn!("warm-up request timed out"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn custom_endpoints_keep_the_system_trust_store() {
        let vars =
            |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        assert!(!has_custom_endpoint(vars(&[("AWS_REGION", "eu-west-1")])));
        assert!(!has_custom_endpoint(vars(&[("AWS_ENDPOINT_URL_DYNAMODB", "")])));
        assert!(has_custom_endpoint(vars(&[("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")])));
        assert!(has_custom_endpoint(vars(&[("AWS_ENDPOINT_URL_EVENTBRIDGE", "http://127.0.0.1:4010")])));
        assert!(has_custom_endpoint(vars(&[("AWS_ENDPOINT_URL", "https://proxy.internal")])));
    }

    #[test]
    fn endpoint_overrides_come_from_the_environment_as_aws_config_reads_them() {
        // As the generated clients ask (aws-sdk-dynamodb's and aws-sdk-eventbridge's config.rs).
        let endpoint = |vars: &[(&str, &str)], service: &str| {
            let key = ServiceConfigKey::builder()
                .service_id(service)
                .env("AWS_ENDPOINT_URL")
                .profile("endpoint_url")
                .build()
                .unwrap();
            EnvEndpoints(Env::from_slice(vars)).load_config(key)
        };
        let dynamo = "http://127.0.0.1:8000";
        assert_eq!(endpoint(&[], "DynamoDB"), None);
        assert_eq!(endpoint(&[("AWS_ENDPOINT_URL_DYNAMODB", dynamo)], "DynamoDB").as_deref(), Some(dynamo));
        assert_eq!(endpoint(&[("AWS_ENDPOINT_URL_DYNAMODB", dynamo)], "EventBridge"), None);
        let events = [("AWS_ENDPOINT_URL_EVENTBRIDGE", "http://127.0.0.1:4010")];
        assert_eq!(endpoint(&events, "EventBridge").as_deref(), Some("http://127.0.0.1:4010"));
        // The service's own variable wins over the global one, which applies to every service.
        let both = [("AWS_ENDPOINT_URL", "https://proxy.internal"), ("AWS_ENDPOINT_URL_DYNAMODB", dynamo)];
        assert_eq!(endpoint(&both, "DynamoDB").as_deref(), Some(dynamo));
        assert_eq!(endpoint(&both, "EventBridge").as_deref(), Some("https://proxy.internal"));
        let ignored = [("AWS_ENDPOINT_URL_DYNAMODB", dynamo), ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")];
        assert_eq!(endpoint(&ignored, "DynamoDB"), None);
    }

    #[test]
    fn the_bundled_roots_build_a_client() {
        assert_eq!(AWS_ROOT_CAS.matches("BEGIN CERTIFICATE").count(), 5);
        assert!(trust_store_client(false).is_ok());
    }

    #[test]
    fn config_defaults_and_errors() {
        assert_eq!(
            Config::from_lookup(lookup(&[("TABLE_NAME", "certs")])),
            Ok(Config { table_name: "certs".into(), expiring_soon_days: 30, idempotency_ttl_hours: 24 })
        );
        assert_eq!(
            Config::from_lookup(lookup(&[("TABLE_NAME", "certs"), ("EXPIRING_SOON_DAYS", "7")]))
                .unwrap()
                .expiring_soon_days,
            7
        );
        assert_eq!(Config::from_lookup(lookup(&[])), Err(ConfigError::MissingTableName));
        assert_eq!(Config::from_lookup(lookup(&[("TABLE_NAME", "")])), Err(ConfigError::MissingTableName));
        assert_eq!(
            Config::from_lookup(lookup(&[("TABLE_NAME", "t"), ("IDEMPOTENCY_TTL_HOURS", "48")]))
                .unwrap()
                .idempotency_ttl_hours,
            48
        );
        for bad in ["0", "721", "x"] {
            assert_eq!(
                Config::from_lookup(lookup(&[("TABLE_NAME", "t"), ("IDEMPOTENCY_TTL_HOURS", bad)])),
                Err(ConfigError::BadIdempotencyTtlHours(bad.into()))
            );
        }
        for bad in ["-1", "x", "3651"] {
            assert!(matches!(
                Config::from_lookup(lookup(&[("TABLE_NAME", "t"), ("EXPIRING_SOON_DAYS", bad)])),
                Err(ConfigError::BadExpiringSoonDays(_))
            ));
        }
    }
}
