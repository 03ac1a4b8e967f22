//! Credentials from the AWS CLI: `aws configure export-credentials --format process`, which
//! resolves whatever the CLI can (IAM Identity Center after `aws sso login`, `credential_process`,
//! `aws login`, assumed roles) for `AWS_PROFILE`.
//!
//! The workspace builds aws-config without its SSO and credential_process features, so that the
//! Lambdas stay small; enabling them here would not stay here, because `sam build` runs
//! `cargo lambda build --bin <function>` at the workspace root, and that resolves features for
//! the whole workspace, `local` included. So when the SDK's own chain finds no credentials for a
//! remote endpoint, the `remote` module asks the CLI, as a `credential_process` would.
use std::path::PathBuf;
use std::process::Command;
use std::time::SystemTime;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials};
use aws_sdk_dynamodb::config::Credentials;
use serde::Deserialize;

/// The AWS CLI as a credentials provider; run again whenever the credentials near expiry.
#[derive(Debug, Clone)]
pub struct AwsCli {
    program: PathBuf,
}

impl Default for AwsCli {
    /// `aws` from `PATH`.
    fn default() -> Self {
        Self { program: "aws".into() }
    }
}

/// The CLI's output, the `credential_process` format.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Exported {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiration: Option<String>,
}

impl AwsCli {
    pub fn at(program: impl Into<PathBuf>) -> Self {
        Self { program: program.into() }
    }

    /// Runs `aws configure export-credentials --format process` once (blocking).
    pub fn export(&self) -> Result<Credentials, String> {
        let command = "aws configure export-credentials --format process";
        let out = Command::new(&self.program)
            .args(["configure", "export-credentials", "--format", "process"])
            .output()
            .map_err(|e| format!("cannot run `{command}`: {e}"))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(format!("`{command}` failed ({}): {}", out.status, stderr.trim()));
        }
        parse(&out.stdout).map_err(|e| format!("`{command}` printed no credentials: {e}"))
    }
}

fn parse(stdout: &[u8]) -> Result<Credentials, String> {
    let e: Exported = serde_json::from_slice(stdout).map_err(|e| e.to_string())?;
    let expiry = match e.expiration.as_deref() {
        None => None,
        Some(t) => Some(SystemTime::from(chrono::DateTime::parse_from_rfc3339(t).map_err(|e| format!("{t}: {e}"))?)),
    };
    Ok(Credentials::new(e.access_key_id, e.secret_access_key, e.session_token, expiry, "aws-cli"))
}

impl ProvideCredentials for AwsCli {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let cli = self.clone();
        future::ProvideCredentials::new(async move {
            match tokio::task::spawn_blocking(move || cli.export()).await {
                Ok(Ok(credentials)) => Ok(credentials),
                Ok(Err(e)) => Err(CredentialsError::provider_error(e)),
                Err(e) => Err(CredentialsError::provider_error(e.to_string())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_format_is_read() {
        let full = br#"{"Version":1,"AccessKeyId":"AKIDEXAMPLE","SecretAccessKey":"secret","SessionToken":"token","Expiration":"2026-11-27T18:00:00+00:00"}"#;
        let c = parse(full).unwrap();
        assert_eq!(
            (c.access_key_id(), c.secret_access_key(), c.session_token()),
            ("AKIDEXAMPLE", "secret", Some("token"))
        );
        let expected = chrono::DateTime::parse_from_rfc3339("2026-11-27T18:00:00Z").unwrap();
        assert_eq!(c.expiry(), Some(SystemTime::from(expected)));
        let long_lived = parse(br#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s"}"#).unwrap();
        assert_eq!((long_lived.session_token(), long_lived.expiry()), (None, None));
        assert!(parse(b"").is_err());
        assert!(parse(br#"{"Version":1,"AccessKeyId":"AKID"}"#).is_err());
        assert!(parse(br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"soon"}"#).is_err());
    }

    #[test]
    fn a_missing_cli_is_an_error_not_a_panic() {
        let err = AwsCli::at("/nonexistent/aws").export().unwrap_err();
        assert!(err.starts_with("cannot run `aws configure export-credentials --format process`"), "{err}");
    }
}
