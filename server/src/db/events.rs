//! The append-only history of each invoice. Every event has a unique id, so
//! a batch delivered twice is recorded once.

use app::api::OrganisationId;
use invoice::events::{is_customer_visible, EdgeEvent};
use sqlx::{Any, Row, Transaction};

use super::{random_id, Db};
use crate::error::ServerError;

/// Records something the server did, and the user who asked for it if any.
pub async fn record_server_event(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
    kind: &str,
    detail: Option<&str>,
    user_id: Option<i64>,
    at_ms: i64,
) -> Result<(), ServerError> {
    insert_server_event(
        tx,
        organisation,
        invoice_id,
        kind,
        None,
        detail,
        user_id,
        at_ms,
    )
    .await
}

/// Records what happened to an email, with who it was for (`customer`,
/// `copy`, or `notice` for the merchant's failure notices).
pub async fn record_email_event(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
    kind: &str,
    recipient: &str,
    detail: Option<&str>,
    at_ms: i64,
) -> Result<(), ServerError> {
    insert_server_event(
        tx,
        organisation,
        invoice_id,
        kind,
        Some(recipient),
        detail,
        None,
        at_ms,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert_server_event(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
    kind: &str,
    recipient: Option<&str>,
    detail: Option<&str>,
    user_id: Option<i64>,
    at_ms: i64,
) -> Result<(), ServerError> {
    sqlx::query(
        "INSERT INTO events (id, organisation_id, invoice_id, kind, automated, recipient, detail, user_id, at) VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8)",
    )
    .bind(random_id())
    .bind(organisation.0)
    .bind(invoice_id)
    .bind(kind)
    .bind(recipient)
    .bind(detail)
    .bind(user_id)
    .bind(at_ms)
    .execute(&mut **tx)
    .await?;
    invoice_changed(
        tx,
        organisation,
        invoice_id,
        is_customer_visible(kind, recipient, false),
    )
    .await
}

/// Tells the organisation's open admin pages that an invoice changed, and
/// marks its customer-visible state for publishing to the edge when the
/// change is one the customer sees.
async fn invoice_changed(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
    customer_visible: bool,
) -> Result<(), ServerError> {
    if customer_visible {
        // Only invoices sent at least once have a state at the edge; the
        // others would only crowd the publisher's index.
        sqlx::query(
            "UPDATE invoices SET state_version = state_version + 1
             WHERE id = $1 AND EXISTS (SELECT 1 FROM links l WHERE l.invoice_id = $1)",
        )
        .bind(invoice_id)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("UPDATE organisations SET change_version = change_version + 1 WHERE id = $1")
        .bind(organisation.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The organisation's change counter (see [`invoice_changed`]).
pub async fn change_version(db: &Db, organisation: OrganisationId) -> Result<i64, ServerError> {
    Ok(
        sqlx::query("SELECT change_version FROM organisations WHERE id = $1")
            .bind(organisation.0)
            .fetch_one(&db.pool)
            .await?
            .try_get(0)?,
    )
}

/// Records events forwarded by the edge; returns how many were new. Events
/// of links the server does not know are dropped (and logged): they cannot
/// belong to any organisation.
pub async fn ingest(db: &Db, events: &[EdgeEvent]) -> Result<usize, ServerError> {
    let mut tx = db.pool.begin().await?;
    let mut recorded = 0;
    for event in events {
        let Some(link) =
            sqlx::query("SELECT organisation_id, invoice_id, recipient FROM links WHERE id = $1")
                .bind(&event.link_id)
                .fetch_optional(&mut *tx)
                .await?
        else {
            tracing::warn!(link = %event.link_id, "event for an unknown link dropped");
            continue;
        };
        let device = serde_json::to_value(event.device)?;
        let result = sqlx::query(
            "INSERT INTO events (id, organisation_id, invoice_id, link_id, kind, automated, recipient, device, browser, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&event.id)
        .bind(link.try_get::<i64, _>("organisation_id")?)
        .bind(link.try_get::<i64, _>("invoice_id")?)
        .bind(&event.link_id)
        .bind(event.kind.as_str())
        .bind(i64::from(event.automated))
        .bind(link.try_get::<String, _>("recipient")?)
        .bind(device.as_str().unwrap_or("unknown"))
        .bind(&event.browser)
        .bind(event.at_ms)
        .execute(&mut *tx)
        .await?;
        if result.rows_affected() > 0 {
            recorded += 1;
            let recipient: String = link.try_get("recipient")?;
            let customer_visible =
                is_customer_visible(event.kind.as_str(), Some(&recipient), event.automated);
            invoice_changed(
                &mut tx,
                OrganisationId(link.try_get("organisation_id")?),
                link.try_get("invoice_id")?,
                customer_visible,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(recorded)
}
