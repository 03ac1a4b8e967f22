//! `migrate`, `recount` and `serve` on an external endpoint, offline: a missing table is an
//! error naming it and nothing is created (only `--create-table` or the embedded engine
//! creates one); the client signs with the SDK's default chains (an SSO profile is tried, not
//! refused), and without credentials or region a remote endpoint is refused with a clear error.
//!
//! The "external" endpoint is a plain embedded engine started here without any table: to the
//! binary it is just a DynamoDB API on a loopback port, like DynamoDB Local or moto.
use std::path::Path;
use std::process::{Command, Output};

use shared::embedded::{open_memory, Engine};

const BIN: &str = env!("CARGO_BIN_EXE_local-api");

/// The binary with no AWS settings from the caller's environment or home: no keys, no
/// profile, no region, no instance metadata.
fn local_api(home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    for var in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "TABLE_NAME",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(var);
    }
    // PATH holds only `home/bin`: no AWS CLI unless a test puts one there.
    cmd.env("HOME", home)
        .env("PATH", home.join("bin"))
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("RUST_LOG", "info");
    cmd
}

fn run(cmd: &mut Command) -> (bool, String) {
    let Output { status, stdout, stderr } = cmd.output().expect("run local-api");
    (status.success(), format!("{}{}", String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr)))
}

fn scratch() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("local-api-aws-{}", ulid::Ulid::new().to_string().to_ascii_lowercase()));
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    dir
}

async fn tables(engine: &Engine) -> Vec<String> {
    let client = shared::testing::client_for(engine.url(), &Default::default()).await;
    client.list_tables().send().await.unwrap().table_names().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_on_an_external_endpoint_is_an_error_and_nothing_is_created() {
    let home = scratch();
    let engine = Engine::start(open_memory().unwrap()).await.unwrap();
    let url = engine.url().to_owned();

    let events = home.join("events.jsonl");
    let events = events.to_str().unwrap();
    for command in [
        &["migrate"][..],
        &["recount"],
        &["serve", "--addr", "127.0.0.1:0", "--events", events],
        &["scan", "--events", events],
    ] {
        let (ok, out) = run(local_api(&home).args(command).args(["--endpoint", &url, "--table", "certificatoins"]));
        assert!(!ok, "{command:?} succeeded: {out}");
        assert!(
            out.contains(&format!("table certificatoins does not exist at {url} (region us-east-1)")),
            "{command:?}: {out}"
        );
        assert!(out.contains("--create-table"), "{command:?}: {out}");
    }
    assert_eq!(tables(&engine).await, Vec::<String>::new(), "a table was created");

    // Asked for, the table is created; afterwards it is found without being asked.
    let (ok, out) = run(local_api(&home).args(["recount", "--endpoint", &url, "--table", "certs", "--create-table"]));
    assert!(ok, "{out}");
    assert!(out.contains("signing with dummy keys for the loopback endpoint"), "{out}");
    assert_eq!(tables(&engine).await, ["certs"]);
    let (ok, out) = run(local_api(&home).args(["migrate", "--endpoint", &url, "--table", "certs"]));
    assert!(ok, "{out}");
    let report: serde_json::Value = out
        .lines()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok().filter(|v| v.get("migrated").is_some()))
        .expect("a report line");
    assert_eq!(report["migrated"]["certifications"], 0, "{report}");
    assert_eq!(tables(&engine).await, ["certs"]);

    engine.stop().await;
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn a_remote_endpoint_needs_a_region_and_credentials() {
    let home = scratch();
    let remote = ["recount", "--endpoint", "https://dynamodb.eu-west-1.amazonaws.com", "--table", "certifications"];
    let (ok, out) = run(local_api(&home).args(remote));
    assert!(!ok, "{out}");
    assert!(out.contains("no region for https://dynamodb.eu-west-1.amazonaws.com: pass --region"), "{out}");

    let (ok, out) = run(local_api(&home).args(remote).args(["--region", "eu-west-1"]));
    assert!(!ok, "{out}");
    assert!(out.contains("no AWS credentials for https://dynamodb.eu-west-1.amazonaws.com"), "{out}");
    let _ = std::fs::remove_dir_all(home);
}

const SSO_PROFILE: &str = "[profile dev]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n\
                           sso_account_id = 123456789012\nsso_role_name = Admin\nregion = eu-north-1\n";

/// A profile that signs in with IAM Identity Center (`aws sso login`), without the AWS CLI:
/// the region comes from the profile, and the error says what was tried and what to do.
#[test]
fn an_sso_profile_without_the_aws_cli_is_a_clear_error() {
    let home = scratch();
    std::fs::write(home.join("config"), SSO_PROFILE).unwrap();
    let (ok, out) = run(local_api(&home).env("AWS_PROFILE", "dev").args([
        "recount",
        "--endpoint",
        "https://dynamodb.eu-north-1.amazonaws.com",
        "--table",
        "certifications",
    ]));
    assert!(!ok, "{out}");
    assert!(out.contains("no AWS credentials for https://dynamodb.eu-north-1.amazonaws.com"), "{out}");
    assert!(out.contains("from the AWS CLI: cannot run `aws configure export-credentials --format process`"), "{out}");
    assert!(out.contains("aws sso login"), "{out}");
    let _ = std::fs::remove_dir_all(home);
}

/// The same profile with the AWS CLI on PATH (a stand-in here that prints credentials in the
/// `credential_process` format, as `aws configure export-credentials` does after `aws sso
/// login`): its credentials sign the requests. The endpoint is this machine under a
/// non-loopback name (`0.0.0.0`, Linux), so nothing falls back to dummy keys.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sso_profile_signs_with_the_aws_cli_s_credentials() {
    use std::os::unix::fs::PermissionsExt;
    let home = scratch();
    std::fs::write(home.join("config"), SSO_PROFILE).unwrap();
    let calls = home.join("aws-calls");
    let aws = home.join("bin").join("aws");
    std::fs::write(
        &aws,
        format!(
            "#!/bin/sh\necho \"$AWS_PROFILE: $*\" >> '{}'\n\
             echo '{{\"Version\":1,\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\",\"Expiration\":\"2099-01-01T00:00:00Z\"}}'\n",
            calls.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o755)).unwrap();
    let engine = Engine::start(open_memory().unwrap()).await.unwrap();
    let port = engine.url().rsplit(':').next().unwrap().to_owned();
    let url = format!("http://0.0.0.0:{port}");

    let (ok, out) = run(local_api(&home).env("AWS_PROFILE", "dev").args([
        "recount",
        "--endpoint",
        &url,
        "--table",
        "certifications",
    ]));
    assert!(!ok, "{out}");
    assert!(out.contains("credentials from the AWS CLI"), "{out}");
    // It reached the endpoint, signed for the profile's region, and found no table.
    assert!(out.contains(&format!("table certifications does not exist at {url} (region eu-north-1)")), "{out}");
    let calls = std::fs::read_to_string(&calls).unwrap();
    assert!(calls.lines().all(|l| l == "dev: configure export-credentials --format process"), "{calls}");
    assert_eq!(tables(&engine).await, Vec::<String>::new());
    engine.stop().await;
    let _ = std::fs::remove_dir_all(home);
}

/// A database file the previous version wrote (its table has six of the nine indexes): the next
/// start adds the three `mentor-…` ones, one `UpdateTable` each, and `migrate` fills them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_file_of_the_previous_version_gets_the_new_indexes() {
    use shared::store::table::{create_table_with, INDEXES};
    let home = scratch();
    let data = home.join("old.db");
    let engine = Engine::start(shared::embedded::open_file(&data).unwrap()).await.unwrap();
    let client = shared::testing::client_for(engine.url(), &Default::default()).await;
    create_table_with(&client, "certifications", &INDEXES[..6]).await.unwrap();
    engine.stop().await;

    let (ok, out) = run(local_api(&home).args(["migrate", "--data", data.to_str().unwrap()]));
    assert!(ok, "{out}");
    assert!(out.contains("added the indexes this version needs"), "{out}");
    assert!(out.contains("mentor-type-status-by-created"), "{out}");
    // The next start finds nothing to add.
    let (ok, out) = run(local_api(&home).args(["migrate", "--data", data.to_str().unwrap()]));
    assert!(ok, "{out}");
    assert!(!out.contains("added the indexes"), "{out}");

    let engine = Engine::start(shared::embedded::open_file(&data).unwrap()).await.unwrap();
    let client = shared::testing::client_for(engine.url(), &Default::default()).await;
    let table = client.describe_table().table_name("certifications").send().await.unwrap().table.unwrap();
    let mut names: Vec<&str> = table.global_secondary_indexes().iter().filter_map(|i| i.index_name()).collect();
    names.sort_unstable();
    let mut want: Vec<&str> = INDEXES.iter().map(|i| i.name).collect();
    want.sort_unstable();
    assert_eq!(names, want);
    engine.stop().await;
    let _ = std::fs::remove_dir_all(home);
}
