//! The customer-visible state of invoices, as published to the edge.

use invoice::events::{fold_views, published_history, PublicState};
use invoice::history::{customer_history, PaymentFact};
use invoice::organisation::OrganisationId;
use invoice::pdf::Settlement;
use invoice::status::Lifecycle;
use invoice::Currency;
use sqlx::Row;

use super::Db;
use crate::error::ServerError;

/// The state of an invoice and the version it was read at.
pub async fn read(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<(PublicState, i64), ServerError> {
    let invoice = sqlx::query(
        "SELECT i.lifecycle, i.currency, i.paid_minor, i.credited_minor, i.state_version, s.time_zone
         FROM invoices i JOIN stores s ON s.id = i.store_id
         WHERE i.organisation_id = $1 AND i.id = $2",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(ServerError::NotFound)?;
    let lifecycle: String = invoice.try_get("lifecycle")?;
    let currency: String = invoice.try_get("currency")?;
    let currency = Currency::parse(&currency)
        .map_err(|_| ServerError::Corrupt(format!("currency {currency}")))?;
    let history = super::invoices::history(db, organisation, invoice_id).await?;
    let payments: Vec<PaymentFact> =
        super::invoices::payments(db, organisation, invoice_id, currency)
            .await?
            .into_iter()
            .filter(|payment| !payment.deleted)
            .map(|payment| PaymentFact {
                recorded_at_ms: payment.recorded_at_ms,
                amount_minor: payment.amount.minor,
                date: payment.date,
            })
            .collect();
    let version: i64 = invoice.try_get("state_version")?;
    let (history, earlier_entries) =
        published_history(fold_views(customer_history(&history, &payments)));
    let time_zone: String = invoice.try_get("time_zone")?;
    Ok((
        PublicState {
            version,
            lifecycle: Lifecycle::parse(&lifecycle)
                .ok_or_else(|| ServerError::Corrupt(format!("lifecycle {lifecycle}")))?,
            paid_minor: invoice.try_get("paid_minor")?,
            credited_minor: invoice.try_get("credited_minor")?,
            history,
            earlier_entries,
            time_zone: super::stores::time_zone(&time_zone)?,
        },
        version,
    ))
}

/// Invoices whose state changed since it was last published, among those
/// the edge already has, leaving out those backing off after a failure
/// until `now_ms`.
pub async fn changed(
    db: &Db,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<(OrganisationId, i64)>, ServerError> {
    sqlx::query(
        "SELECT i.organisation_id, i.id FROM invoices i
         WHERE i.state_version > i.published_state_version
           AND i.publish_retry_at <= $1
           AND EXISTS (SELECT 1 FROM links l WHERE l.invoice_id = i.id AND l.published_at IS NOT NULL)
         ORDER BY i.publish_retry_at, i.id LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|row| {
        Ok((
            OrganisationId(row.try_get("organisation_id")?),
            row.try_get("id")?,
        ))
    })
    .collect()
}

/// Records that the state read at `version` is at the edge, and ends the
/// invoice's failure streak. A change made meanwhile keeps a higher
/// version, so it is published next round.
pub async fn mark_published(db: &Db, invoice_id: i64, version: i64) -> Result<(), ServerError> {
    sqlx::query(
        "UPDATE invoices SET published_state_version = $1 WHERE id = $2 AND published_state_version < $1",
    )
    .bind(version)
    .bind(invoice_id)
    .execute(&db.pool)
    .await?;
    sqlx::query(
        "UPDATE invoices SET publish_failures = 0, publish_retry_at = 0 WHERE id = $1 AND publish_failures > 0",
    )
    .bind(invoice_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The first wait of an invoice whose publication failed; it doubles with
/// each failure in a row, up to [`MAX_PUBLISH_BACKOFF_MS`].
const FIRST_PUBLISH_BACKOFF_MS: i64 = 2_000;
const MAX_PUBLISH_BACKOFF_MS: i64 = 5 * 60 * 1000;

/// How long an invoice waits after `failures` failed publications in a row.
pub fn publish_backoff_ms(failures: i64) -> i64 {
    let doublings = u32::try_from(failures.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    FIRST_PUBLISH_BACKOFF_MS
        .saturating_mul(1_i64 << doublings)
        .min(MAX_PUBLISH_BACKOFF_MS)
}

/// Records a failed publication of one invoice: it waits on its own, longer
/// after each failure in a row, while the others go on being published.
/// Returns how many failures in a row it has now.
pub async fn mark_failed(db: &Db, invoice_id: i64, now_ms: i64) -> Result<i64, ServerError> {
    let failures: i64 = sqlx::query(
        "UPDATE invoices SET publish_failures = publish_failures + 1 WHERE id = $1
         RETURNING publish_failures",
    )
    .bind(invoice_id)
    .fetch_one(&db.pool)
    .await?
    .try_get(0)?;
    sqlx::query("UPDATE invoices SET publish_retry_at = $1 WHERE id = $2")
        .bind(now_ms + publish_backoff_ms(failures))
        .bind(invoice_id)
        .execute(&db.pool)
        .await?;
    Ok(failures)
}

/// What the PDF at the edge shows as paid and credited; None before any.
pub async fn pdf_settlement(db: &Db, invoice_id: i64) -> Result<Option<Settlement>, ServerError> {
    let row = sqlx::query(
        "SELECT published_paid_minor, published_credited_minor FROM invoices WHERE id = $1",
    )
    .bind(invoice_id)
    .fetch_one(&db.pool)
    .await?;
    let credited_minor: i64 = row.try_get("published_credited_minor")?;
    Ok(row
        .try_get::<Option<i64>, _>("published_paid_minor")?
        .map(|paid_minor| Settlement {
            paid_minor,
            credited_minor,
        }))
}

pub async fn mark_pdf_published(
    db: &Db,
    invoice_id: i64,
    settled: Settlement,
) -> Result<(), ServerError> {
    sqlx::query(
        "UPDATE invoices SET published_paid_minor = $1, published_credited_minor = $2 WHERE id = $3",
    )
        .bind(settled.paid_minor)
        .bind(settled.credited_minor)
        .bind(invoice_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_invoice_waits_longer_after_each_failure_up_to_five_minutes() {
        assert_eq!(publish_backoff_ms(1), 2_000);
        assert_eq!(publish_backoff_ms(2), 4_000);
        assert_eq!(publish_backoff_ms(5), 32_000);
        assert_eq!(publish_backoff_ms(8), 256_000);
        assert_eq!(publish_backoff_ms(9), MAX_PUBLISH_BACKOFF_MS);
        assert_eq!(publish_backoff_ms(i64::MAX), MAX_PUBLISH_BACKOFF_MS);
    }
}
