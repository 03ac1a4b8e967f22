//! `local-api serve`: bind, announce, serve until Ctrl-C or SIGTERM, then shut down in the
//! order that loses nothing: stop accepting, finish in-flight requests, stop the embedded
//! engine, close the database.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::access_log::with_request_log;
use crate::routes::{api_router, RouteError};
use crate::storage::{Storage, StorageArgs, StorageError};

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
/// How long in-flight requests may run on after Ctrl-C or SIGTERM.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the start-up line shows which).
    #[arg(long, value_name = "HOST:PORT", env = "LOCAL_API_ADDR", default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// The expiry scan: `--scan-every`, `--events`, `--reminder-days` (see [`crate::expiry`]).
    #[command(flatten)]
    pub scan: crate::expiry::ServeScanArgs,
    /// `--auth`, `--write-scope`, `--read-scope` (see [`crate::auth`]).
    #[command(flatten)]
    pub auth: crate::auth::AuthArgs,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Route(#[from] RouteError),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Scan(#[from] crate::expiry::ScanCommandError),
}

pub async fn serve(args: &ServeArgs, storage_args: &StorageArgs) -> Result<(), ServeError> {
    let storage = Storage::open(storage_args).await?;
    let scan = crate::expiry::LocalScan::new(&storage.app, &args.scan.scan);
    let auth = args.auth.rules().map(Arc::new);
    let app = with_request_log(
        api_router(storage.app.clone(), auth.clone())?.merge(scan.routes(auth.clone())).merge(crate::openapi::routes()),
    );
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(l) => l,
        Err(e) => {
            storage.close().await;
            return Err(ServeError::Bind(args.addr, e));
        }
    };
    let addr = listener.local_addr().map_err(|e| ServeError::Bind(args.addr, e))?;
    let url = format!("http://{addr}");
    let data = storage.backend.to_string();
    let table = &storage_args.table;
    let table_note = if storage.created_table { "created" } else { "existing" };
    tracing::info!(%url, %data, %table, "listening on {url} (data: {data}; table {table}, {table_note}); Ctrl-C stops");
    // Every write's event, from the table's stream, polled in a task of its own.
    let feed = crate::events::EventFeed::open_or_warn(&storage, &args.scan.scan.events)
        .await
        .map(|f| f.spawn(crate::events::poll_interval(&storage.backend)));
    if let Some(rules) = &auth {
        rules.announce();
    }

    let scans = args.scan.scan_every.map(|secs| scan.every(Duration::from_secs(secs)));
    let signalled = Arc::new(Notify::new());
    let notify = Arc::clone(&signalled);
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(
        async move {
            shutdown_signal().await;
            notify.notify_one();
        },
    );
    // A client that never finishes its request must not hold the shutdown forever; a request
    // cut off here was never acknowledged, and SQLite applies each write whole or not at all.
    let grace = async {
        signalled.notified().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let served = tokio::select! {
        served = server => served,
        () = grace => {
            tracing::warn!("requests still running {} s after the signal; stopping anyway", SHUTDOWN_GRACE.as_secs());
            Ok(())
        }
    };
    // Every accepted request has finished by now, so every acknowledged write is in the table.
    if let Some(scans) = scans {
        scans.abort();
    }
    // After the last write: its events reach the file before the engine stops.
    if let Some(feed) = feed {
        feed.stop().await;
    }
    storage.close().await;
    served.map_err(ServeError::Serve)?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
