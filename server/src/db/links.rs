//! Links: one per recipient per send, published to the edge, revocable.

use invoice::organisation::OrganisationId;
use invoice::views::LinkRow;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::events::append;
use super::Db;
use crate::error::ServerError;
use invoice::transitions;

const LINK_COLUMNS: &str =
    "l.id, l.invoice_id, i.number, l.recipient, l.email, l.created_at, l.revoked_at";

fn link_row(row: &AnyRow) -> Result<LinkRow, ServerError> {
    Ok(LinkRow {
        id: row.try_get("id")?,
        invoice_id: row.try_get("invoice_id")?,
        invoice_number: row.try_get("number")?,
        recipient: row.try_get("recipient")?,
        email: row.try_get("email")?,
        created_at_ms: row.try_get("created_at")?,
        revoked_at_ms: row.try_get("revoked_at")?,
    })
}

/// The organisation and invoice a link belongs to. Only the edge asks this,
/// for a link whose signed token it verified.
pub async fn invoice_of(
    db: &Db,
    link_id: &str,
) -> Result<Option<(OrganisationId, i64)>, ServerError> {
    sqlx::query("SELECT organisation_id, invoice_id FROM links WHERE id = $1")
        .bind(link_id)
        .fetch_optional(&db.pool)
        .await?
        .map(|row| {
            Ok((
                OrganisationId(row.try_get("organisation_id")?),
                row.try_get("invoice_id")?,
            ))
        })
        .transpose()
}

/// What a request for a fresh link in place of `link_id` depends on: the
/// link's organisation and invoice, whether it is revoked, and how many
/// fresh links it brought so far. Only the edge asks this, for a link whose
/// signed token it verified.
pub struct FreshLinkSource {
    pub organisation: OrganisationId,
    pub invoice_id: i64,
    pub revoked: bool,
    pub fresh_links_sent: i64,
}

pub async fn fresh_link_source(
    db: &Db,
    link_id: &str,
) -> Result<Option<FreshLinkSource>, ServerError> {
    sqlx::query(
        "SELECT organisation_id, invoice_id, revoked_at, fresh_links_sent FROM links WHERE id = $1",
    )
    .bind(link_id)
    .fetch_optional(&db.pool)
    .await?
    .map(|row| {
        Ok(FreshLinkSource {
            organisation: OrganisationId(row.try_get("organisation_id")?),
            invoice_id: row.try_get("invoice_id")?,
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            fresh_links_sent: row.try_get("fresh_links_sent")?,
        })
    })
    .transpose()
}

/// Counts a fresh link sent in place of a revoked link, unless it already
/// brought `at_most`; false then, and nothing is counted. In the send's
/// transaction, so two requests at once cannot both pass the limit.
pub async fn count_fresh_link(
    tx: &mut Transaction<'_, Any>,
    link_id: &str,
    at_most: i64,
) -> Result<bool, ServerError> {
    Ok(sqlx::query(
        "UPDATE links SET fresh_links_sent = fresh_links_sent + 1
         WHERE id = $1 AND revoked_at IS NOT NULL AND fresh_links_sent < $2
         RETURNING id",
    )
    .bind(link_id)
    .bind(at_most)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}

/// Every link of an invoice, oldest first.
pub async fn for_invoice(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<Vec<LinkRow>, ServerError> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM links l JOIN invoices i ON i.id = l.invoice_id
         WHERE l.organisation_id = $1 AND l.invoice_id = $2 ORDER BY l.created_at, l.id"
    ))
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(link_row)
    .collect()
}

/// Open links of a customer's invoices that were sent to the customer at an
/// address other than `current_email` (copies are the store's own).
pub async fn to_other_addresses(
    db: &Db,
    organisation: OrganisationId,
    customer_id: i64,
    current_email: Option<&str>,
) -> Result<Vec<LinkRow>, ServerError> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM links l JOIN invoices i ON i.id = l.invoice_id
         WHERE l.organisation_id = $1 AND i.customer_id = $2 AND l.recipient = 'customer'
           AND l.revoked_at IS NULL AND LOWER(l.email) <> LOWER($3)
         ORDER BY l.created_at, l.id"
    ))
    .bind(organisation.0)
    .bind(customer_id)
    .bind(current_email.unwrap_or_default())
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(link_row)
    .collect()
}

/// Revokes one open link of an invoice; false when there is no such open link.
pub async fn revoke(
    db: &Db,
    organisation: OrganisationId,
    user_id: i64,
    invoice_id: i64,
    link_id: &str,
    now_ms: i64,
) -> Result<bool, ServerError> {
    let lock = db.engine.row_lock();
    let mut tx = db.begin_write().await?;
    let link = sqlx::query(&format!(
        "SELECT email, revoked_at FROM links WHERE organisation_id = $1 AND invoice_id = $2 AND id = $3 {lock}"
    ))
    .bind(organisation.0)
    .bind(invoice_id)
    .bind(link_id)
    .fetch_optional(&mut *tx)
    .await?;
    let events = match link {
        Some(link) => transitions::revoke_link(
            link.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            link.try_get("email")?,
        ),
        None => None,
    };
    let Some(events) = events else {
        tx.rollback().await?;
        return Ok(false);
    };
    sqlx::query("UPDATE links SET revoked_at = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(link_id)
        .execute(&mut *tx)
        .await?;
    for event in &events {
        append(
            &mut tx,
            organisation,
            invoice_id,
            event,
            Some(user_id),
            now_ms,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Whether the edge already has this link.
pub async fn is_published(db: &Db, link_id: &str) -> Result<bool, ServerError> {
    Ok(sqlx::query("SELECT published_at FROM links WHERE id = $1")
        .bind(link_id)
        .fetch_optional(&db.pool)
        .await?
        .map(|row| row.try_get::<Option<i64>, _>(0))
        .transpose()?
        .flatten()
        .is_some())
}

/// Records that the edge holds these links of an invoice, as published.
pub async fn mark_published(
    db: &Db,
    invoice_id: i64,
    link_ids: &[String],
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    for link_id in link_ids {
        sqlx::query(
            "UPDATE links SET published_at = $1 WHERE invoice_id = $2 AND id = $3 AND published_at IS NULL",
        )
        .bind(now_ms)
        .bind(invoice_id)
        .bind(link_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
