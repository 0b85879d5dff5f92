//! The selections submitted for a bulk send, under their keys: who works on
//! one is decided by `INSERT … ON CONFLICT DO NOTHING`, and the outcome is
//! kept for a second click of the same form to find.

use invoice::bulk::{BulkAction, BulkReport, MAX_SELECTIONS_PER_HOUR, SELECTION_KEPT_DAYS};
use invoice::organisation::OrganisationId;
use invoice::problem::Problem;
use sqlx::Row;

use super::Db;
use crate::error::{refused, ServerError};

/// How long a selection may stay without an outcome before it counts as
/// stopped (its process restarted, or its request was dropped mid-way) and
/// the next submission or reload of its outcome takes it over. A hundred
/// sends take seconds; a takeover of one still running only finds its
/// invoices' sends already queued under their keys.
pub const STOPPED_AFTER_MS: i64 = 2 * 60 * 1000;

/// Claims `key` for this request: true when it is the first, or when the
/// first stopped before keeping an outcome; false when the selection was
/// submitted before (its outcome is, or will be, kept).
pub async fn claim(
    db: &Db,
    organisation: OrganisationId,
    key: &str,
    action: BulkAction,
    requested_by: i64,
    invoice_ids: &[i64],
    now_ms: i64,
) -> Result<bool, ServerError> {
    let known =
        sqlx::query("SELECT 1 FROM bulk_actions WHERE organisation_id = $1 AND selection_key = $2")
            .bind(organisation.0)
            .bind(key)
            .fetch_optional(&db.pool)
            .await?
            .is_some();
    if !known {
        make_room(db, organisation, now_ms).await?;
    }
    let inserted = sqlx::query(
        "INSERT INTO bulk_actions (organisation_id, selection_key, action, requested_by, invoice_ids, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (organisation_id, selection_key) DO NOTHING",
    )
    .bind(organisation.0)
    .bind(key)
    .bind(action.code())
    .bind(requested_by)
    .bind(serde_json::to_string(invoice_ids)?)
    .bind(now_ms)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(inserted == 1
        || take_over_stopped(db, organisation, key, now_ms)
            .await?
            .is_some())
}

/// Forgets the organisation's selections older than
/// [`SELECTION_KEPT_DAYS`], and refuses a new one past
/// [`MAX_SELECTIONS_PER_HOUR`].
async fn make_room(db: &Db, organisation: OrganisationId, now_ms: i64) -> Result<(), ServerError> {
    const HOUR_MS: i64 = 60 * 60 * 1000;
    sqlx::query("DELETE FROM bulk_actions WHERE organisation_id = $1 AND created_at < $2")
        .bind(organisation.0)
        .bind(now_ms - SELECTION_KEPT_DAYS * 24 * HOUR_MS)
        .execute(&db.pool)
        .await?;
    let last_hour: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM bulk_actions WHERE organisation_id = $1 AND created_at >= $2",
    )
    .bind(organisation.0)
    .bind(now_ms - HOUR_MS)
    .fetch_one(&db.pool)
    .await?;
    if last_hour >= i64::from(MAX_SELECTIONS_PER_HOUR) {
        return Err(refused(
            "invoice",
            Problem::TooManySelections {
                per_hour: MAX_SELECTIONS_PER_HOUR,
            },
        ));
    }
    Ok(())
}

/// Takes over a selection whose first request stopped before keeping its
/// outcome: its action and invoices, or None when it has an outcome, is
/// still within [`STOPPED_AFTER_MS`], or predates the kept invoice ids. The
/// update decides who takes it over, as the insert decides who claims it.
pub async fn take_over_stopped(
    db: &Db,
    organisation: OrganisationId,
    key: &str,
    now_ms: i64,
) -> Result<Option<(BulkAction, Vec<i64>)>, ServerError> {
    let taken = sqlx::query(
        "UPDATE bulk_actions SET created_at = $1
         WHERE organisation_id = $2 AND selection_key = $3
           AND outcome IS NULL AND invoice_ids IS NOT NULL AND created_at < $4",
    )
    .bind(now_ms)
    .bind(organisation.0)
    .bind(key)
    .bind(now_ms - STOPPED_AFTER_MS)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if taken != 1 {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT action, invoice_ids FROM bulk_actions WHERE organisation_id = $1 AND selection_key = $2",
    )
    .bind(organisation.0)
    .bind(key)
    .fetch_one(&db.pool)
    .await?;
    let action: String = row.try_get("action")?;
    let invoice_ids: String = row.try_get("invoice_ids")?;
    let action = BulkAction::parse(&action)
        .ok_or_else(|| ServerError::Corrupt(format!("bulk action {action:?}")))?;
    Ok(Some((action, serde_json::from_str(&invoice_ids)?)))
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
