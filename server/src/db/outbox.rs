//! The outbox: one row per email to send, written in the same transaction as
//! the request that asked for it, delivered later by the dispatcher.

use app::api::OrganisationId;
use sqlx::Row;

use super::{Db, Engine};
use crate::error::ServerError;

/// An email ready to be written into the outbox.
pub struct NewEmail<'a> {
    pub invoice_id: i64,
    pub link_id: &'a str,
    pub recipient: &'a str,
    pub to_address: &'a str,
    pub reply_to: Option<&'a str>,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
}

/// Writes the link and its email in one transaction. Returns false, writing
/// nothing, when the idempotency key was already used: a double-click or a
/// retried request sends once.
pub async fn enqueue(
    db: &Db,
    organisation: OrganisationId,
    idempotency_key: &str,
    email: NewEmail<'_>,
    now_ms: i64,
) -> Result<bool, ServerError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO links (id, organisation_id, invoice_id, recipient, email, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(email.link_id)
    .bind(organisation.0)
    .bind(email.invoice_id)
    .bind(email.recipient)
    .bind(email.to_address)
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO outbox (organisation_id, invoice_id, link_id, idempotency_key, to_address, reply_to, subject, body_text, body_html, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $10)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(organisation.0)
    .bind(email.invoice_id)
    .bind(email.link_id)
    .bind(format!("{}:{idempotency_key}", organisation.0))
    .bind(email.to_address)
    .bind(email.reply_to)
    .bind(email.subject)
    .bind(email.body_text)
    .bind(email.body_html)
    .bind(now_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        tx.rollback().await?;
        return Ok(false);
    }
    super::events::record_server_event(
        &mut tx,
        organisation,
        email.invoice_id,
        "email_queued",
        Some(email.to_address),
        None,
        now_ms,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// An email claimed for delivery by one dispatcher.
#[derive(Debug, Clone)]
pub struct ClaimedEmail {
    pub id: i64,
    pub organisation: OrganisationId,
    pub invoice_id: i64,
    pub to_address: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i64,
    pub sender_name: String,
}

/// How long a claim holds before another dispatcher may take the email over.
pub const LEASE_MS: i64 = 60_000;

/// Claims the next due email. On Postgres, `SKIP LOCKED` lets several server
/// instances claim different rows; on SQLite the single writer serialises
/// claims, and the lease protects against a dispatcher that died mid-send.
pub async fn claim_next(db: &Db, now_ms: i64) -> Result<Option<ClaimedEmail>, ServerError> {
    let lock = match db.engine {
        Engine::Postgres => "FOR UPDATE SKIP LOCKED",
        Engine::Sqlite => "",
    };
    let claimed = sqlx::query(&format!(
        "UPDATE outbox SET lease_until = $1, attempts = attempts + 1
         WHERE id = (
             SELECT id FROM outbox
             WHERE status = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2)
             ORDER BY next_attempt_at, id LIMIT 1 {lock}
         )
         RETURNING id, organisation_id, invoice_id, to_address, reply_to, subject, body_text, body_html, attempts"
    ))
    .bind(now_ms + LEASE_MS)
    .bind(now_ms)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = claimed else {
        return Ok(None);
    };
    let invoice_id: i64 = row.try_get("invoice_id")?;
    let sender_name: String = sqlx::query(
        "SELECT s.name FROM invoices i JOIN stores s ON s.id = i.store_id WHERE i.id = $1",
    )
    .bind(invoice_id)
    .fetch_one(&db.pool)
    .await?
    .try_get(0)?;
    Ok(Some(ClaimedEmail {
        id: row.try_get("id")?,
        organisation: OrganisationId(row.try_get("organisation_id")?),
        invoice_id,
        to_address: row.try_get("to_address")?,
        reply_to: row.try_get("reply_to")?,
        subject: row.try_get("subject")?,
        body_text: row.try_get("body_text")?,
        body_html: row.try_get("body_html")?,
        attempts: row.try_get("attempts")?,
        sender_name,
    }))
}

pub async fn mark_sent(
    db: &Db,
    email: &ClaimedEmail,
    reply: &str,
    now_ms: i64,
) -> Result<(), ServerError> {
    finish(db, email, "sent", Some(now_ms), reply, now_ms).await
}

pub async fn mark_failed(
    db: &Db,
    email: &ClaimedEmail,
    reply: &str,
    now_ms: i64,
) -> Result<(), ServerError> {
    finish(db, email, "failed", None, reply, now_ms).await
}

/// Closes an email for good, recording `email_{status}` in its invoice's
/// history in the same transaction.
async fn finish(
    db: &Db,
    email: &ClaimedEmail,
    status: &str,
    sent_at: Option<i64>,
    reply: &str,
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE outbox SET status = $1, sent_at = $2, lease_until = NULL, last_reply = $3 WHERE id = $4")
        .bind(status)
        .bind(sent_at)
        .bind(reply)
        .bind(email.id)
        .execute(&mut *tx)
        .await?;
    let event = format!("email_{status}");
    super::events::record_server_event(
        &mut tx,
        email.organisation,
        email.invoice_id,
        &event,
        Some(reply),
        None,
        now_ms,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn schedule_retry(
    db: &Db,
    email: &ClaimedEmail,
    reply: &str,
    next_attempt_ms: i64,
) -> Result<(), ServerError> {
    sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_reply = $2 WHERE id = $3",
    )
    .bind(next_attempt_ms)
    .bind(reply)
    .bind(email.id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Whether this organisation already used an idempotency key.
pub async fn key_used(
    db: &Db,
    organisation: OrganisationId,
    idempotency_key: &str,
) -> Result<bool, ServerError> {
    Ok(
        sqlx::query("SELECT 1 FROM outbox WHERE idempotency_key = $1")
            .bind(format!("{}:{idempotency_key}", organisation.0))
            .fetch_optional(&db.pool)
            .await?
            .is_some(),
    )
}
