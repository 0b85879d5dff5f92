//! The selections submitted for a bulk send, under their keys: who works on
//! one is decided by `INSERT … ON CONFLICT DO NOTHING`, and the outcome is
//! kept for a second click of the same form to find.

use invoice::bulk::{BulkAction, BulkReport};
use invoice::organisation::OrganisationId;
use sqlx::Row;

use super::Db;
use crate::error::ServerError;

/// Claims `key` for this request: true when it is the first, false when the
/// selection was submitted before (its outcome is, or will be, kept).
pub async fn claim(
    db: &Db,
    organisation: OrganisationId,
    key: &str,
    action: BulkAction,
    requested_by: i64,
    now_ms: i64,
) -> Result<bool, ServerError> {
    let inserted = sqlx::query(
        "INSERT INTO bulk_actions (organisation_id, selection_key, action, requested_by, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (organisation_id, selection_key) DO NOTHING",
    )
    .bind(organisation.0)
    .bind(key)
    .bind(action.code())
    .bind(requested_by)
    .bind(now_ms)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Keeps the outcome of the selection the caller claimed.
pub async fn finish(
    db: &Db,
    organisation: OrganisationId,
    key: &str,
    report: &BulkReport,
) -> Result<(), ServerError> {
    sqlx::query(
        "UPDATE bulk_actions SET outcome = $1 WHERE organisation_id = $2 AND selection_key = $3",
    )
    .bind(serde_json::to_string(report)?)
    .bind(organisation.0)
    .bind(key)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The outcome kept under `key`: None while the first request still works,
/// not found when the organisation submitted no such selection.
pub async fn outcome(
    db: &Db,
    organisation: OrganisationId,
    key: &str,
) -> Result<Option<BulkReport>, ServerError> {
    let row = sqlx::query(
        "SELECT outcome FROM bulk_actions WHERE organisation_id = $1 AND selection_key = $2",
    )
    .bind(organisation.0)
    .bind(key)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(ServerError::NotFound)?;
    let outcome: Option<String> = row.try_get("outcome")?;
    Ok(outcome
        .map(|json| serde_json::from_str(&json))
        .transpose()?)
}
