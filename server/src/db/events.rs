//! The append-only history of each invoice. Every event has a unique id, so
//! a batch delivered twice is recorded once.

use app::api::OrganisationId;
use invoice::events::{is_customer_visible, EdgeEvent};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sqlx::{Any, Row, Transaction};

use super::{random_id, values_placeholders, Db};
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

/// The owner of a link, as an event of that link is recorded.
struct LinkOwner {
    organisation: i64,
    invoice: i64,
    recipient: String,
}

/// Records events forwarded by the edge; returns how many were new. Events
/// of links the server does not know are dropped (and logged): they cannot
/// belong to any organisation.
///
/// A batch costs a fixed number of statements, whatever its size: one lookup
/// of its links, one multi-row insert that skips ids already recorded, and
/// one change mark per invoice that gained events.
pub async fn ingest(db: &Db, events: &[EdgeEvent]) -> Result<usize, ServerError> {
    if events.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin_write().await?;
    let owners = link_owners(&mut tx, events).await?;
    let known: Vec<(&EdgeEvent, &LinkOwner)> = events
        .iter()
        .filter_map(|event| match owners.get(&event.link_id) {
            Some(owner) => Some((event, owner)),
            None => {
                tracing::warn!(link = %event.link_id, "event for an unknown link dropped");
                None
            }
        })
        .collect();
    if known.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }

    let rows = values_placeholders(known.len(), 10);
    let sql = format!(
        "INSERT INTO events (id, organisation_id, invoice_id, link_id, kind, automated, recipient, device, browser, at)
         VALUES {rows}
         ON CONFLICT (id) DO NOTHING
         RETURNING id"
    );
    let mut insert = sqlx::query(&sql);
    for (event, owner) in &known {
        let device = serde_json::to_value(event.device)?;
        insert = insert
            .bind(event.id.clone())
            .bind(owner.organisation)
            .bind(owner.invoice)
            .bind(event.link_id.clone())
            .bind(event.kind.as_str())
            .bind(i64::from(event.automated))
            .bind(owner.recipient.clone())
            .bind(device.as_str().unwrap_or("unknown").to_owned())
            .bind(event.browser.clone())
            .bind(event.at_ms);
    }
    let recorded: HashSet<String> = insert
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;

    // Per invoice that gained events: whether the customer sees any of them.
    let mut changed: BTreeMap<(i64, i64), bool> = BTreeMap::new();
    for (event, owner) in &known {
        if recorded.contains(&event.id) {
            let visible =
                is_customer_visible(event.kind.as_str(), Some(&owner.recipient), event.automated);
            *changed
                .entry((owner.organisation, owner.invoice))
                .or_default() |= visible;
        }
    }
    for ((organisation, invoice), customer_visible) in changed {
        invoice_changed(
            &mut tx,
            OrganisationId(organisation),
            invoice,
            customer_visible,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(recorded.len())
}

/// The owners of the links a batch's events came through, by link id.
async fn link_owners(
    tx: &mut Transaction<'_, Any>,
    events: &[EdgeEvent],
) -> Result<HashMap<String, LinkOwner>, ServerError> {
    let link_ids: BTreeSet<&str> = events.iter().map(|event| event.link_id.as_str()).collect();
    let placeholders: Vec<String> = (1..=link_ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT id, organisation_id, invoice_id, recipient FROM links WHERE id IN ({})",
        placeholders.join(", ")
    );
    let mut lookup = sqlx::query(&sql);
    for link_id in link_ids {
        lookup = lookup.bind(link_id.to_owned());
    }
    lookup
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                LinkOwner {
                    organisation: row.try_get("organisation_id")?,
                    invoice: row.try_get("invoice_id")?,
                    recipient: row.try_get("recipient")?,
                },
            ))
        })
        .collect()
}
