//! What a customer's page in the admin shows beyond their invoices: the
//! payments recorded against them and what they did at their links.

use invoice::dates::Date;
use invoice::events::{EdgeEventKind, Recipient};
use invoice::history::{HistoryEvent, LinkEvent, StoredEvent};
use invoice::organisation::OrganisationId;
use invoice::payment::PaymentMethod;
use invoice::Money;
use sqlx::Row;

use super::invoices::currency;
use super::Db;
use crate::error::ServerError;

pub use app::api::{CustomerActivity, CustomerPayment};

/// How many of each a customer's page shows: the latest.
pub const LATEST: i64 = 30;

/// The latest payments on the customer's invoices, deleted ones left out.
pub async fn payments(
    db: &Db,
    organisation: OrganisationId,
    customer_id: i64,
) -> Result<Vec<CustomerPayment>, ServerError> {
    let rows = sqlx::query(
        "SELECT p.amount_minor, p.paid_on, p.method, p.reference, i.id AS invoice_id, i.number, i.currency
         FROM payments p
         JOIN invoices i ON i.id = p.invoice_id AND i.organisation_id = p.organisation_id
         WHERE p.organisation_id = $1 AND i.customer_id = $2 AND p.deleted_at IS NULL
         ORDER BY p.paid_on DESC, p.id DESC
         LIMIT $3",
    )
    .bind(organisation.0)
    .bind(customer_id)
    .bind(LATEST)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(CustomerPayment {
                invoice_id: row.try_get("invoice_id")?,
                number: row
                    .try_get::<Option<String>, _>("number")?
                    .unwrap_or_default(),
                amount: Money::new(row.try_get("amount_minor")?, currency(row)?),
                date: Date::parse(&row.try_get::<String, _>("paid_on")?)
                    .map_err(|_| ServerError::Corrupt("payment date".into()))?,
                method: PaymentMethod::parse(&row.try_get::<String, _>("method")?)
                    .ok_or_else(|| ServerError::Corrupt("unknown payment method".into()))?,
                reference: row.try_get("reference")?,
            })
        })
        .collect()
}

/// The latest opens, downloads and prints by the customer in person: the
/// events ingest did not judge automated, at links sent to the customer
/// (a copy's never count as theirs).
pub async fn activity(
    db: &Db,
    organisation: OrganisationId,
    customer_id: i64,
) -> Result<Vec<CustomerActivity>, ServerError> {
    let rows = sqlx::query(
        "SELECT e.kind, e.detail, e.automated, e.counts_as_open, e.recipient, e.device, e.browser, e.at,
                i.id AS invoice_id, i.number, s.time_zone
         FROM events e
         JOIN invoices i ON i.id = e.invoice_id AND i.organisation_id = e.organisation_id
         JOIN stores s ON s.id = i.store_id AND s.organisation_id = i.organisation_id
         WHERE e.organisation_id = $1 AND i.customer_id = $2 AND e.link_id IS NOT NULL AND e.automated = 0
         ORDER BY e.at DESC, e.id DESC
         LIMIT $3",
    )
    .bind(organisation.0)
    .bind(customer_id)
    .bind(LATEST)
    .fetch_all(&db.pool)
    .await?;
    let mut activity = Vec::with_capacity(rows.len());
    for row in &rows {
        let stored = StoredEvent {
            kind: row.try_get("kind")?,
            detail: row.try_get("detail")?,
            recipient: row.try_get("recipient")?,
            automated: row.try_get::<i64, _>("automated")? != 0,
            counts_as_open: row.try_get::<i64, _>("counts_as_open")? != 0,
            device: row.try_get("device")?,
            browser: row.try_get("browser")?,
        };
        let Ok(HistoryEvent::Link(LinkEvent {
            kind,
            recipient: Recipient::Customer,
            automated: false,
            device,
            browser,
            ..
        })) = HistoryEvent::from_stored(&stored)
        else {
            continue;
        };
        if kind == EdgeEventKind::LinkFetched {
            continue;
        }
        activity.push(CustomerActivity {
            invoice_id: row.try_get("invoice_id")?,
            number: row
                .try_get::<Option<String>, _>("number")?
                .unwrap_or_default(),
            at_ms: row.try_get("at")?,
            kind,
            device,
            browser,
            time_zone: super::stores::time_zone(&row.try_get::<String, _>("time_zone")?)?,
        });
    }
    Ok(activity)
}
