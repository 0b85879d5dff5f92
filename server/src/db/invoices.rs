//! Invoices, their customers and their numbers. Every query names the organisation.

use app::api::{EmailState, InvoiceRow, OrganisationId};
use invoice::dates::Date;
use invoice::document::{totals, Party, PublicDocument, ValidDraft};
use invoice::{Currency, Language};
use sqlx::Row;

use super::{now_ms, random_id, Db};
use crate::error::ServerError;

/// The organisation used until accounts exist: created on first start with one store.
pub async fn ensure_default_organisation(db: &Db) -> Result<OrganisationId, ServerError> {
    if let Some(row) = sqlx::query("SELECT id FROM organisations ORDER BY id LIMIT 1")
        .fetch_optional(&db.pool)
        .await?
    {
        return Ok(OrganisationId(row.try_get(0)?));
    }
    let mut tx = db.pool.begin().await?;
    let now = now_ms();
    let organisation: i64 =
        sqlx::query("INSERT INTO organisations (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind("My business")
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
    sqlx::query(
        "INSERT INTO stores (organisation_id, name, address, tax_id, currency, language, reply_to, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
    )
    .bind(organisation)
    .bind("My store")
    .bind("Via Roma 1\n20121 Milano")
    .bind("IT01234567890")
    .bind("EUR")
    .bind("en")
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(OrganisationId(organisation))
}

/// An issued invoice as the send path needs it.
pub struct IssuedInvoice {
    pub id: i64,
    pub edge_key: String,
    pub customer_email: String,
    pub reply_to: Option<String>,
    pub document: PublicDocument,
}

/// Creates the customer if new, assigns the store's next number for the year
/// and stores the frozen document, all in one transaction.
pub async fn create_issued(
    db: &Db,
    organisation: OrganisationId,
    draft: ValidDraft,
) -> Result<i64, ServerError> {
    let now = now_ms();
    let issue_date = Date::from_unix_millis(now);
    let mut tx = db.pool.begin().await?;
    let store = sqlx::query(
        "SELECT id, name, address, tax_id FROM stores WHERE organisation_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(organisation.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ServerError::NotFound)?;
    let store_id: i64 = store.try_get("id")?;
    let seller = Party {
        name: store.try_get("name")?,
        address: store
            .try_get::<String, _>("address")?
            .lines()
            .map(str::to_owned)
            .collect(),
        tax_id: store.try_get("tax_id")?,
    };

    let existing =
        sqlx::query("SELECT id FROM customers WHERE organisation_id = $1 AND email = $2")
            .bind(organisation.0)
            .bind(draft.customer_email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    let customer_id: i64 = match existing {
        Some(row) => {
            let id: i64 = row.try_get(0)?;
            sqlx::query("UPDATE customers SET name = $1, language = $2 WHERE id = $3 AND organisation_id = $4")
                .bind(&draft.customer_name)
                .bind(draft.customer_language.code())
                .bind(id)
                .bind(organisation.0)
                .execute(&mut *tx)
                .await?;
            id
        }
        None => sqlx::query(
            "INSERT INTO customers (organisation_id, name, email, language, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(organisation.0)
        .bind(&draft.customer_name)
        .bind(draft.customer_email.as_str())
        .bind(draft.customer_language.code())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?,
    };

    // One statement both engines run atomically: the series row is locked by
    // the update, so concurrent issuers get consecutive numbers.
    let sequence: i64 = sqlx::query(
        "INSERT INTO number_series (store_id, year, last_number) VALUES ($1, $2, 1)
         ON CONFLICT (store_id, year) DO UPDATE SET last_number = number_series.last_number + 1
         RETURNING last_number",
    )
    .bind(store_id)
    .bind(i64::from(issue_date.year))
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let number = format!("{}-{sequence:04}", issue_date.year);

    let document = PublicDocument {
        language: draft.customer_language,
        number: number.clone(),
        issue_date,
        due_date: None,
        currency: draft.currency,
        seller,
        customer: Party {
            name: draft.customer_name.clone(),
            ..Party::default()
        },
        totals: totals(&draft.lines, draft.currency)
            .map_err(|e| ServerError::Corrupt(e.to_string()))?,
        lines: draft.lines,
        notes: String::new(),
    };
    let id: i64 = sqlx::query(
        "INSERT INTO invoices (organisation_id, store_id, customer_id, status, number, issue_date, currency, total_minor, document, edge_key, created_at)
         VALUES ($1, $2, $3, 'issued', $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(organisation.0)
    .bind(store_id)
    .bind(customer_id)
    .bind(&number)
    .bind(issue_date.to_string())
    .bind(document.currency.code())
    .bind(document.totals.total.minor)
    .bind(serde_json::to_string(&document)?)
    .bind(random_id())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    super::events::record_server_event(&mut tx, organisation, id, "issued", None, now).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn find_issued(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<IssuedInvoice, ServerError> {
    let row = sqlx::query(
        "SELECT i.id, i.edge_key, i.document, c.email, s.reply_to
         FROM invoices i
         JOIN customers c ON c.id = i.customer_id AND c.organisation_id = i.organisation_id
         JOIN stores s ON s.id = i.store_id AND s.organisation_id = i.organisation_id
         WHERE i.organisation_id = $1 AND i.id = $2",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(ServerError::NotFound)?;
    Ok(IssuedInvoice {
        id: row.try_get("id")?,
        edge_key: row.try_get("edge_key")?,
        customer_email: row.try_get("email")?,
        reply_to: row.try_get("reply_to")?,
        document: serde_json::from_str(&row.try_get::<String, _>("document")?)?,
    })
}

/// The invoice list, newest first, with each invoice's latest email to the
/// customer and the customer's real opens (never a copy's, never a machine's).
pub async fn list(db: &Db, organisation: OrganisationId) -> Result<Vec<InvoiceRow>, ServerError> {
    let rows = sqlx::query(
        "SELECT i.id, i.number, i.issue_date, i.currency, i.total_minor, i.status,
                c.name AS customer_name, c.email AS customer_email,
                (SELECT o.status FROM outbox o WHERE o.invoice_id = i.id ORDER BY o.id DESC LIMIT 1) AS email_status,
                (SELECT o.sent_at FROM outbox o WHERE o.invoice_id = i.id ORDER BY o.id DESC LIMIT 1) AS email_sent_at,
                (SELECT o.last_reply FROM outbox o WHERE o.invoice_id = i.id ORDER BY o.id DESC LIMIT 1) AS email_reply,
                (SELECT COUNT(*) FROM outbox o WHERE o.invoice_id = i.id) AS sends,
                (SELECT MIN(e.at) FROM events e WHERE e.invoice_id = i.id AND e.kind = 'opened' AND e.automated = 0 AND e.recipient = 'customer') AS first_opened,
                (SELECT COUNT(*) FROM events e WHERE e.invoice_id = i.id AND e.kind = 'opened' AND e.automated = 0 AND e.recipient = 'customer') AS open_count
         FROM invoices i
         JOIN customers c ON c.id = i.customer_id AND c.organisation_id = i.organisation_id
         WHERE i.organisation_id = $1
         ORDER BY i.id DESC
         LIMIT 100",
    )
    .bind(organisation.0)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let currency = Currency::parse(&row.try_get::<String, _>("currency")?)
                .map_err(|e| ServerError::Corrupt(e.to_string()))?;
            let email = match row.try_get::<Option<String>, _>("email_status")?.as_deref() {
                None => EmailState::NotSent,
                Some("sent") => EmailState::Sent {
                    at_ms: row
                        .try_get::<Option<i64>, _>("email_sent_at")?
                        .unwrap_or_default(),
                },
                Some("failed") => EmailState::Failed {
                    reason: row
                        .try_get::<Option<String>, _>("email_reply")?
                        .unwrap_or_default(),
                },
                Some(_) => EmailState::Queued,
            };
            Ok(InvoiceRow {
                id: row.try_get("id")?,
                number: row.try_get("number")?,
                issue_date: Date::parse(&row.try_get::<String, _>("issue_date")?)
                    .map(|date| date.format(Language::En))
                    .map_err(|e| ServerError::Corrupt(e.to_string()))?,
                customer_name: row.try_get("customer_name")?,
                customer_email: row.try_get("customer_email")?,
                total: invoice::Money::new(row.try_get("total_minor")?, currency)
                    .format(Language::En),
                status: capitalised_status(&row.try_get::<String, _>("status")?),
                email,
                first_opened_ms: row.try_get("first_opened")?,
                open_count: row.try_get("open_count")?,
                sends: row.try_get("sends")?,
            })
        })
        .collect()
}

fn capitalised_status(status: &str) -> String {
    let mut chars = status.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
