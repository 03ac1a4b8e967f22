//! `local-api migrate` and `local-api recount`: the one-off maintenance of
//! `shared::store::maintenance`, on the local data or, with `--endpoint
//! https://dynamodb.<region>.amazonaws.com --table <name>`, on a deployed table, signed with
//! the AWS SDK's default chains or the AWS CLI's credentials (see [`crate::remote`]). A table
//! that is not there is an error: only the embedded engine creates one. Each prints its report
//! as one JSON line.
use serde_json::json;

use crate::storage::{Storage, StorageArgs, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Store(#[from] shared::StoreError),
}

/// Gives every certification the current index attributes, then recounts.
pub async fn migrate(storage: &StorageArgs) -> Result<serde_json::Value, MaintenanceError> {
    let storage = Storage::open(storage).await?;
    let result = async {
        let migrated = storage.app.store.migrate().await?;
        let recounted = storage.app.store.recount().await?;
        Ok::<_, shared::StoreError>(json!({
            "migrated": {
                "certifications": migrated.certifications,
                "current": migrated.current,
                "updated": migrated.updated,
                "raced": migrated.raced,
            },
            "recount": recount_json(&recounted),
        }))
    }
    .await;
    storage.close().await;
    Ok(result?)
}

/// Rebuilds every count from the certifications and reports the drift it corrected.
pub async fn recount(storage: &StorageArgs) -> Result<serde_json::Value, MaintenanceError> {
    let storage = Storage::open(storage).await?;
    let result = storage.app.store.recount().await;
    storage.close().await;
    Ok(json!({ "recount": recount_json(&result?) }))
}

fn recount_json(r: &shared::store::maintenance::RecountReport) -> serde_json::Value {
    let corrected: Vec<_> = r
        .corrected
        .iter()
        .map(|d| json!({"count": d.key.item_id(0).trim_end_matches("#00"), "stored": d.stored, "actual": d.actual}))
        .collect();
    let expiry: Vec<_> = r
        .expiry_corrected
        .iter()
        .map(|d| json!({"count": d.key.item_id(0).trim_end_matches("#00"), "stored": d.stored, "actual": d.actual}))
        .collect();
    json!({
        "certifications": r.certifications, "keys": r.keys, "corrected": corrected,
        "expiry_buckets": r.buckets, "expiry_corrected": expiry,
    })
}
