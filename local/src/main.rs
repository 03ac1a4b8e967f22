//! `cargo run -p local-api`: the API on http://127.0.0.1:3000, data in `.local/certifications.db`.
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use local_api::server::{serve, ServeArgs};
use local_api::storage::StorageArgs;

/// The certification API, locally: the seven Lambda handlers on an embedded DynamoDB.
#[derive(Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Without a subcommand: serve.
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    storage: StorageArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve(ServeArgs),
    /// Run the expiry scan once on the local data, print its summary and exit.
    Scan(local_api::expiry::ScanCommandArgs),
    /// Serve only the DynamoDB engine (with the table) on a loopback port, for the
    /// Lambda binaries run by `cargo lambda watch` or `sam local`; the first line names it.
    Engine(local_api::engine::EngineArgs),
    /// One-off, after upgrading from the single-partition indexes: give every certification
    /// the index attributes this version lists by, then recount. Idempotent. Prints a report.
    /// On AWS: --endpoint https://dynamodb.REGION.amazonaws.com --table NAME [--region REGION],
    /// with AWS_PROFILE (SSO through the AWS CLI), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
    Migrate,
    /// Rebuild every count item from the certifications; prints the drift it corrected.
    /// On AWS: as for migrate.
    Recount,
}

fn report(
    r: Result<serde_json::Value, local_api::maintenance::MaintenanceError>,
) -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", r?);
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    // JSON lines as the Lambdas write them; the embedded engine's own per-request lines (a WARN
    // for every conditional-check failure) stay below the server's one line per request.
    shared::telemetry::init_tracing("dynoxide=error");
    let cli = Cli::parse();
    let result: Result<(), Box<dyn std::error::Error>> = match cli.command {
        None => serve(&cli.serve, &cli.storage).await.map_err(Into::into),
        Some(Command::Serve(args)) => serve(&args, &cli.storage).await.map_err(Into::into),
        Some(Command::Scan(args)) => local_api::expiry::scan_command(&args, &cli.storage).await.map_err(Into::into),
        Some(Command::Engine(args)) => local_api::engine::engine(&args, &cli.storage).await.map_err(Into::into),
        Some(Command::Migrate) => report(local_api::maintenance::migrate(&cli.storage).await),
        Some(Command::Recount) => report(local_api::maintenance::recount(&cli.storage).await),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "local-api failed: {e}");
            ExitCode::FAILURE
        }
    }
}
