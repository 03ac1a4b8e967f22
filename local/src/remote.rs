//! An external DynamoDB endpoint (AWS, DynamoDB Local, moto): its client, signed as the AWS
//! CLI would sign, and the rule that its table must already exist.
use aws_sdk_dynamodb::config::{Credentials, ProvideCredentials, Region, SharedCredentialsProvider};
use aws_sdk_dynamodb::Client;
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::aws_cli::AwsCli;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(
        "table {table} does not exist at {endpoint} (region {region}); local-api creates a table only in its \
         embedded engine: check --table (or TABLE_NAME) and --region, or pass --create-table to create it there"
    )]
    NoSuchTable { table: String, endpoint: String, region: String },
    #[error("cannot describe table {0} at {1}: {2}")]
    Describe(String, String, String),
    #[error("no region for {0}: pass --region, or set AWS_REGION or a region in your AWS profile (AWS_PROFILE)")]
    NoRegion(String),
    #[error(
        "no AWS credentials for {endpoint}: {error}. Sign in (e.g. `aws sso login --profile NAME` and \
         AWS_PROFILE=NAME) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    Credentials { endpoint: String, error: String },
}

/// A client for an external endpoint, with the Lambdas' trust store but the SDK's full chains
/// ([`shared::config::sdk_config`]: the default credential and region chains:
/// environment keys, `AWS_PROFILE` with keys or an assumed role, web identity, container or
/// instance roles), with `region` (`--region`) first. What that chain cannot resolve in this
/// build (an IAM Identity Center profile after `aws sso login`, `credential_process`) comes
/// from the AWS CLI ([`AwsCli`]). A loopback endpoint (DynamoDB Local, moto) gets us-east-1
/// and dummy keys when the chain finds nothing; any other endpoint is then an error.
/// Also answers the credentials it signs with, for the Streams client of the same endpoint.
pub async fn external_client(
    url: &str,
    region: Option<&str>,
) -> Result<(Client, SharedCredentialsProvider), RemoteError> {
    let sdk = shared::config::sdk_config().await;
    let loopback = is_loopback(url);
    let chosen = choose_region(region, sdk.region().map(|r| r.as_ref()), loopback)
        .ok_or_else(|| RemoteError::NoRegion(url.to_owned()))?;
    let mut builder =
        aws_sdk_dynamodb::config::Builder::from(&sdk).endpoint_url(url).region(Region::new(chosen.clone()));
    let found = match sdk.credentials_provider() {
        Some(chain) => chain.provide_credentials().await.map(|_| chain.clone()).map_err(|e| causes(&e)),
        None => Err("no credential provider".into()),
    };
    let credentials = match found {
        Ok(chain) => chain,
        Err(error) if loopback => {
            tracing::info!(endpoint = %url, %error, "no AWS credentials found; signing with dummy keys for the loopback endpoint");
            let dummy =
                SharedCredentialsProvider::new(Credentials::new("local", "local", None, None, "local-api-loopback"));
            builder = builder.credentials_provider(dummy.clone());
            dummy
        }
        Err(sdk_error) => {
            let cli = AwsCli::default();
            let probe = cli.clone();
            match tokio::task::spawn_blocking(move || probe.export()).await {
                Ok(Ok(_)) => {
                    tracing::info!(endpoint = %url, "credentials from the AWS CLI (`aws configure export-credentials`)");
                    let cli = SharedCredentialsProvider::new(cli);
                    builder = builder.credentials_provider(cli.clone());
                    cli
                }
                Ok(Err(cli_error)) => {
                    let error = format!("{sdk_error}; and from the AWS CLI: {cli_error}");
                    return Err(RemoteError::Credentials { endpoint: url.to_owned(), error });
                }
                Err(e) => return Err(RemoteError::Credentials { endpoint: url.to_owned(), error: e.to_string() }),
            }
        }
    };
    tracing::debug!(endpoint = %url, region = %chosen, "external DynamoDB client");
    Ok((Client::from_conf(builder.build()), credentials))
}

/// The table must exist on an external endpoint: a missing one is [`RemoteError::NoSuchTable`].
pub async fn require_table(client: &Client, table: &str, endpoint: &str) -> Result<(), RemoteError> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => {
            Err(RemoteError::NoSuchTable {
                table: table.to_owned(),
                endpoint: endpoint.to_owned(),
                region: client.config().region().map_or_else(|| "unset".into(), |r| r.to_string()),
            })
        }
        Err(e) => {
            Err(RemoteError::Describe(table.to_owned(), endpoint.to_owned(), DisplayErrorContext(&e).to_string()))
        }
    }
}

/// An error and its causes, `: `-separated (without the SDK's debug dump).
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.ends_with(&next) {
            text = format!("{text}: {next}");
        }
        source = e.source();
    }
    text
}

/// `--region`, else the SDK's region chain, else us-east-1 for a loopback endpoint.
fn choose_region(flag: Option<&str>, chain: Option<&str>, loopback: bool) -> Option<String> {
    let given = |r: Option<&str>| r.filter(|r| !r.trim().is_empty()).map(str::to_owned);
    given(flag).or_else(|| given(chain)).or_else(|| loopback.then(|| "us-east-1".to_owned()))
}

/// Whether `url` names this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub(crate) fn is_loopback(url: &str) -> bool {
    let Ok(uri) = url.parse::<axum::http::Uri>() else { return false };
    let Some(host) = uri.host() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_is_the_flag_then_the_chain_then_us_east_1_on_loopback() {
        assert_eq!(choose_region(Some("eu-west-1"), Some("us-west-2"), false).as_deref(), Some("eu-west-1"));
        assert_eq!(choose_region(None, Some("us-west-2"), false).as_deref(), Some("us-west-2"));
        assert_eq!(choose_region(None, None, true).as_deref(), Some("us-east-1"));
        assert_eq!(choose_region(Some(" "), None, false), None);
        assert_eq!(choose_region(None, None, false), None);
    }

    #[test]
    fn loopback_endpoints_are_recognised() {
        for url in ["http://127.0.0.1:8000", "http://localhost:5000", "http://[::1]:8000", "http://127.1.2.3"] {
            assert!(is_loopback(url), "{url}");
        }
        for url in ["https://dynamodb.eu-west-1.amazonaws.com", "http://10.0.0.5:8000", "not a url", ""] {
            assert!(!is_loopback(url), "{url}");
        }
    }
}
