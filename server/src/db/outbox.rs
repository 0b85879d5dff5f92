//! The outbox: one row per email to send, written in the same transaction as
//! the request that asked for it, delivered later by the dispatcher.

use invoice::document::DocumentLayout;
use invoice::email::{EmailContent, EmailPurpose};
use invoice::history::{Audience, EmailEvent, EmailKind, EmailStep, HistoryEvent};
use invoice::organisation::OrganisationId;
use invoice::problem::Problem;
use invoice::recipients::{quota_refusal, utc_day_start};
use invoice::sdi::SdiEvent;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::events::append;
use super::{Db, Engine};
use crate::error::ServerError;

/// One send: the dialog's Send, an automatic send on issue, or a reminder.
pub struct NewSend<'a> {
    pub invoice_id: i64,
    pub idempotency_key: &'a str,
    pub purpose: EmailPurpose,
    pub reminder_step: Option<i32>,
    pub requested_by: Option<i64>,
}

/// One email of a send, to a customer address or a copy address, with the
/// link made for it.
pub struct NewEmail {
    pub audience: Audience,
    pub link_id: String,
    pub to_address: String,
    pub reply_to: Option<String>,
    pub content: EmailContent,
    pub attach_layout: Option<DocumentLayout>,
}

fn scoped_key(organisation: OrganisationId, key: &str) -> String {
    format!("{}:{key}", organisation.0)
}

/// Writes a send, its links and its emails in the caller's transaction (the
/// history entries of the send are the caller's: `invoice::transitions::send`).
/// Returns false, writing nothing, when the idempotency key was already used:
/// a double-click, a retried request or a second server instance sends once.
pub async fn write_send(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    send: &NewSend<'_>,
    emails: &[NewEmail],
    now_ms: i64,
) -> Result<bool, ServerError> {
    let request_id: Option<i64> = sqlx::query(
        "INSERT INTO send_requests (organisation_id, invoice_id, idempotency_key, purpose, reminder_step, requested_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING id",
    )
    .bind(organisation.0)
    .bind(send.invoice_id)
    .bind(scoped_key(organisation, send.idempotency_key))
    .bind(send.purpose.code())
    .bind(send.reminder_step.map(i64::from))
    .bind(send.requested_by)
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| row.try_get(0))
    .transpose()?;
    let Some(request_id) = request_id else {
        return Ok(false);
    };
    for email in emails {
        sqlx::query(
            "INSERT INTO links (id, organisation_id, invoice_id, recipient, email, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&email.link_id)
        .bind(organisation.0)
        .bind(send.invoice_id)
        .bind(email.audience.code())
        .bind(&email.to_address)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox (organisation_id, invoice_id, request_id, audience, purpose, link_id, to_address, reply_to,
                                 subject, body_text, body_html, attach_layout, status, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', 0, $13, $13)",
        )
        .bind(organisation.0)
        .bind(send.invoice_id)
        .bind(request_id)
        .bind(email.audience.code())
        .bind(send.purpose.code())
        .bind(&email.link_id)
        .bind(&email.to_address)
        .bind(email.reply_to.as_deref())
        .bind(&email.content.subject)
        .bind(&email.content.text)
        .bind(&email.content.html)
        .bind(email.attach_layout.map(DocumentLayout::code))
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}

/// Whether a send may be written, decided in the transaction that writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The idempotency key was already used: the send was written before.
    Duplicate,
    /// The send would take the organisation past its quota for the day.
    OverQuota {
        limit: i64,
        left: i64,
    },
}

/// Decides, in the caller's write transaction and before anything of the
/// send is written, whether `emails` more emails fit the organisation's
/// quota for the UTC day. The organisation's row is locked (Postgres; a
/// SQLite write transaction holds the database's write lock already), so
/// sends in parallel are counted one after the other and never overshoot.
/// Failure notices are neither counted nor refused: they go to the
/// merchant's own confirmed addresses, at most one round per failed email.
pub async fn admit(
    tx: &mut Transaction<'_, Any>,
    engine: Engine,
    organisation: OrganisationId,
    idempotency_key: &str,
    emails: usize,
    default_quota: u32,
    now_ms: i64,
) -> Result<Admission, ServerError> {
    let lock = engine.row_lock();
    let own_quota: Option<i64> = sqlx::query(&format!(
        "SELECT daily_email_quota FROM organisations WHERE id = $1 {lock}"
    ))
    .bind(organisation.0)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    let duplicate = sqlx::query("SELECT 1 FROM send_requests WHERE idempotency_key = $1")
        .bind(scoped_key(organisation, idempotency_key))
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
    if duplicate {
        return Ok(Admission::Duplicate);
    }
    let limit = own_quota.unwrap_or_else(|| i64::from(default_quota));
    let queued_today = queued_since(&mut **tx, organisation, utc_day_start(now_ms)).await?;
    let needed = i64::try_from(emails).unwrap_or(i64::MAX);
    Ok(match quota_refusal(limit, queued_today, needed) {
        Some(Problem::DailySendingLimit { limit, left }) => Admission::OverQuota { limit, left },
        _ => Admission::Admitted,
    })
}

/// Emails the organisation queued since `since_ms`, failure notices aside.
async fn queued_since<'e, E>(
    executor: E,
    organisation: OrganisationId,
    since_ms: i64,
) -> Result<i64, ServerError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    Ok(sqlx::query(
        "SELECT COUNT(*) FROM outbox WHERE organisation_id = $1 AND created_at >= $2 AND audience <> 'notice'",
    )
    .bind(organisation.0)
    .bind(since_ms)
    .fetch_one(executor)
    .await?
    .try_get(0)?)
}

/// The organisation's emails of the UTC day of `now_ms`, and its quota.
pub async fn sending_today(
    db: &Db,
    organisation: OrganisationId,
    default_quota: u32,
    now_ms: i64,
) -> Result<(i64, i64), ServerError> {
    let own_quota: Option<i64> =
        sqlx::query("SELECT daily_email_quota FROM organisations WHERE id = $1")
            .bind(organisation.0)
            .fetch_one(&db.pool)
            .await?
            .try_get(0)?;
    let queued = queued_since(&db.pool, organisation, utc_day_start(now_ms)).await?;
    Ok((
        queued,
        own_quota.unwrap_or_else(|| i64::from(default_quota)),
    ))
}

/// Whether this organisation already used an idempotency key.
pub async fn key_used(
    db: &Db,
    organisation: OrganisationId,
    idempotency_key: &str,
) -> Result<bool, ServerError> {
    Ok(
        sqlx::query("SELECT 1 FROM send_requests WHERE idempotency_key = $1")
            .bind(scoped_key(organisation, idempotency_key))
            .fetch_optional(&db.pool)
            .await?
            .is_some(),
    )
}

/// An email claimed for delivery by one dispatcher.
#[derive(Debug, Clone)]
pub struct ClaimedEmail {
    pub id: i64,
    pub organisation: OrganisationId,
    pub invoice_id: i64,
    pub audience: Audience,
    pub purpose: EmailPurpose,
    pub link_id: Option<String>,
    pub to_address: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attach_layout: Option<DocumentLayout>,
    pub attempts: i64,
    pub sender_name: String,
    /// The claim's lease: only the dispatcher that holds it may finish the email.
    pub lease_until: i64,
    /// A notice that a customer opened or downloaded an invoice
    /// ([`queue_notification`]): it goes whatever became of the invoice, and
    /// what becomes of it is not the invoice's history.
    pub notification: bool,
    /// A FatturaPA file to SdI (`crate::sdi::transmission`): the
    /// transmission it carries, sent from the store's PEC mailbox.
    pub sdi_transmission: Option<i64>,
}

impl ClaimedEmail {
    /// The history entry of what happened to this email.
    fn history_event(&self, step: EmailStep, reply: &str) -> HistoryEvent {
        if self.sdi_transmission.is_some() {
            // The subject of a transmission is its file's name.
            let file_name = self.subject.clone();
            let reply = reply.to_owned();
            return HistoryEvent::Sdi(match step {
                EmailStep::Sent => SdiEvent::Transmitted { file_name, reply },
                EmailStep::Queued
                | EmailStep::Retrying
                | EmailStep::Failed
                | EmailStep::Cancelled => SdiEvent::TransmissionFailed { file_name, reply },
            });
        }
        HistoryEvent::Email(EmailEvent {
            email: EmailKind::new(self.audience, self.purpose),
            step,
            address: self.to_address.clone(),
            reply: Some(reply.to_owned()),
        })
    }
}

/// How long a claim holds before another dispatcher may take the email over:
/// longer than the slowest attempt (publishing, rendering, SMTP timeouts).
pub const LEASE_MS: i64 = 300_000;

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
         RETURNING id, organisation_id, invoice_id, audience, purpose, link_id, to_address, reply_to,
                   subject, body_text, body_html, attach_layout, attempts, lease_until, sdi_transmission_id,
                   (SELECT s.name FROM invoices i JOIN stores s ON s.id = i.store_id
                    WHERE i.id = outbox.invoice_id) AS sender_name"
    ))
    .bind(now_ms + LEASE_MS)
    .bind(now_ms)
    .fetch_optional(&db.pool)
    .await?;
    // One statement: a claim whose details were lost (the database went away
    // between two queries) would sit unattended until its lease ran out.
    claimed.as_ref().map(claimed_email).transpose()
}

fn claimed_email(row: &AnyRow) -> Result<ClaimedEmail, ServerError> {
    let purpose: String = row.try_get("purpose")?;
    let attach_layout: Option<String> = row.try_get("attach_layout")?;
    Ok(ClaimedEmail {
        id: row.try_get("id")?,
        organisation: OrganisationId(row.try_get("organisation_id")?),
        invoice_id: row.try_get("invoice_id")?,
        audience: Audience::parse(&row.try_get::<String, _>("audience")?)
            .ok_or_else(|| ServerError::Corrupt("an outbox email's audience".into()))?,
        // Notices are about an email; their own purpose is not an EmailPurpose.
        purpose: EmailPurpose::parse(&purpose).unwrap_or_default(),
        notification: purpose == NOTIFICATION_PURPOSE,
        link_id: row.try_get("link_id")?,
        to_address: row.try_get("to_address")?,
        reply_to: row.try_get("reply_to")?,
        subject: row.try_get("subject")?,
        body_text: row.try_get("body_text")?,
        body_html: row.try_get("body_html")?,
        attach_layout: attach_layout.as_deref().and_then(DocumentLayout::parse),
        attempts: row.try_get("attempts")?,
        sender_name: row.try_get("sender_name")?,
        lease_until: row.try_get("lease_until")?,
        sdi_transmission: row.try_get("sdi_transmission_id")?,
    })
}

pub async fn mark_sent(
    db: &Db,
    email: &ClaimedEmail,
    reply: &str,
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    finish(&mut tx, email, Ending::Sent, reply, now_ms).await?;
    tx.commit().await?;
    Ok(())
}

/// Closes a reminder that no longer applies (the invoice was paid or voided
/// while it waited) without sending it.
pub async fn mark_cancelled(
    db: &Db,
    email: &ClaimedEmail,
    reason: &str,
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    finish(&mut tx, email, Ending::Cancelled, reason, now_ms).await?;
    tx.commit().await?;
    Ok(())
}

/// A failure notice to write with the failure it reports.
pub struct NewNotice {
    pub to_address: String,
    pub content: EmailContent,
}

/// Marks an email failed for good and queues its failure notices, in one
/// transaction: a failure is never left without its notices.
pub async fn mark_failed(
    db: &Db,
    email: &ClaimedEmail,
    reply: &str,
    notices: &[NewNotice],
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    let notices = if finish(&mut tx, email, Ending::Failed, reply, now_ms).await? {
        notices
    } else {
        &[]
    };
    for notice in notices {
        sqlx::query(
            "INSERT INTO outbox (organisation_id, invoice_id, audience, purpose, notice_for, to_address,
                                 subject, body_text, body_html, status, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, 'notice', 'notice', $3, $4, $5, $6, $7, 'pending', 0, $8, $8)",
        )
        .bind(email.organisation.0)
        .bind(email.invoice_id)
        .bind(email.id)
        .bind(&notice.to_address)
        .bind(&notice.content.subject)
        .bind(&notice.content.text)
        .bind(&notice.content.html)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The outbox purpose of a notice to a merchant's user that a customer first
/// opened or downloaded an invoice (its audience is `notice`: it counts
/// against no quota and never makes a failure notice of its own).
pub const NOTIFICATION_PURPOSE: &str = "notification";

/// Queues a notice to one of the merchant's users in the caller's
/// transaction, delivered with the outbox's retries. A digest lists several
/// invoices: it names the first, whose store's name it is sent under.
pub async fn queue_notification(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
    to_address: &str,
    content: &EmailContent,
    now_ms: i64,
) -> Result<(), ServerError> {
    sqlx::query(
        "INSERT INTO outbox (organisation_id, invoice_id, audience, purpose, to_address,
                             subject, body_text, body_html, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, 'notice', $3, $4, $5, $6, $7, 'pending', 0, $8, $8)",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .bind(NOTIFICATION_PURPOSE)
    .bind(to_address)
    .bind(&content.subject)
    .bind(&content.text)
    .bind(&content.html)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How an email leaves the outbox for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Sent,
    Failed,
    Cancelled,
}

impl Ending {
    fn status(self) -> &'static str {
        match self {
            Ending::Sent => "sent",
            Ending::Failed => "failed",
            Ending::Cancelled => "cancelled",
        }
    }

    fn step(self) -> EmailStep {
        match self {
            Ending::Sent => EmailStep::Sent,
            Ending::Failed => EmailStep::Failed,
            Ending::Cancelled => EmailStep::Cancelled,
        }
    }
}

/// Closes an email for good, recording it in its invoice's history (a
/// notification aside: see [`ClaimedEmail::notification`]); false
/// when this dispatcher no longer held it.
async fn finish(
    tx: &mut Transaction<'_, Any>,
    email: &ClaimedEmail,
    ending: Ending,
    reply: &str,
    now_ms: i64,
) -> Result<bool, ServerError> {
    let finished = sqlx::query(
        "UPDATE outbox SET status = $1, sent_at = $2, lease_until = NULL, last_reply = $3
         WHERE id = $4 AND status = 'pending' AND lease_until = $5",
    )
    .bind(ending.status())
    .bind((ending == Ending::Sent).then_some(now_ms))
    .bind(reply)
    .bind(email.id)
    .bind(email.lease_until)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if finished == 0 {
        // The lease ran out and another dispatcher took the email over: its
        // outcome is the one recorded.
        tracing::warn!(
            email = email.id,
            "an email's lease ran out before it was finished"
        );
        return Ok(false);
    }
    if email.notification {
        return Ok(true);
    }
    if let Some(transmission) = email.sdi_transmission {
        let state = match ending {
            Ending::Sent => "transmitted",
            Ending::Failed | Ending::Cancelled => "failed",
        };
        crate::db::sdi::set_state(tx, transmission, state, now_ms).await?;
    }
    append(
        tx,
        email.organisation,
        email.invoice_id,
        &email.history_event(ending.step(), reply),
        None,
        now_ms,
    )
    .await?;
    Ok(true)
}

/// Puts an email back in the queue for a later attempt; its invoice's
/// history shows the reason.
pub async fn schedule_retry(
    db: &Db,
    email: &ClaimedEmail,
    reply: &str,
    next_attempt_ms: i64,
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    let rescheduled = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_reply = $2
         WHERE id = $3 AND status = 'pending' AND lease_until = $4",
    )
    .bind(next_attempt_ms)
    .bind(reply)
    .bind(email.id)
    .bind(email.lease_until)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if rescheduled == 0 {
        tracing::warn!(
            email = email.id,
            "an email's lease ran out before it was rescheduled"
        );
        return Ok(());
    }
    // A transmission's history tells only its outcome: SdI received it or
    // never will; its retries are the outbox's (`last_reply`).
    if !email.notification && email.sdi_transmission.is_none() {
        append(
            &mut tx,
            email.organisation,
            email.invoice_id,
            &email.history_event(EmailStep::Retrying, reply),
            None,
            now_ms,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Who hears about a failed email: the user who issued the invoice (with
/// their language), and the store's settings (its failure list and language).
pub struct FailureAudience {
    pub issuer: Option<(String, invoice::Language)>,
    pub store: invoice::store::StoreSettings,
    pub number: String,
    pub customer_name: String,
}

pub async fn failure_audience(
    db: &Db,
    email: &ClaimedEmail,
) -> Result<FailureAudience, ServerError> {
    let row = sqlx::query(
        "SELECT u.email AS issuer_email, u.language AS issuer_language, s.settings, i.number, i.customer_name
         FROM invoices i JOIN stores s ON s.id = i.store_id LEFT JOIN users u ON u.id = i.issued_by
         WHERE i.id = $1 AND i.organisation_id = $2",
    )
    .bind(email.invoice_id)
    .bind(email.organisation.0)
    .fetch_one(&db.pool)
    .await?;
    let issuer_email: Option<String> = row.try_get("issuer_email")?;
    let issuer_language: Option<String> = row.try_get("issuer_language")?;
    Ok(FailureAudience {
        issuer: issuer_email.map(|address| {
            (
                address,
                issuer_language
                    .as_deref()
                    .and_then(invoice::Language::parse)
                    .unwrap_or_default(),
            )
        }),
        store: serde_json::from_str(&row.try_get::<String, _>("settings")?)?,
        number: row
            .try_get::<Option<String>, _>("number")?
            .unwrap_or_default(),
        customer_name: row.try_get("customer_name")?,
    })
}

/// An issued, unpaid invoice with a due date, as the reminder schedule sees it.
pub struct ReminderCandidate {
    pub organisation: OrganisationId,
    pub invoice_id: i64,
    pub document: invoice::PublicDocument,
    pub due_date: invoice::dates::Date,
    pub amount_due: invoice::Money,
    pub store: invoice::store::StoreSettings,
    pub customer_email: Option<invoice::document::EmailAddress>,
    /// The day the invoice was first emailed.
    pub first_sent: invoice::dates::Date,
    /// The latest schedule step already sent.
    pub last_step: Option<i32>,
}

/// Invoices of every organisation that a schedule step could be due for on
/// `today`: issued, unpaid, dated, and already emailed to the customer (an
/// invoice handed over on paper is not chased by email). Steps reach at most
/// as far before the due date as `REMINDER_DAYS` allows.
pub async fn reminder_candidates(
    db: &Db,
    today: invoice::dates::Date,
) -> Result<Vec<ReminderCandidate>, ServerError> {
    let rows = sqlx::query(
        "SELECT i.id, i.organisation_id, i.due_date, i.total_minor, i.paid_minor, i.credited_minor, i.document, s.settings,
                c.email,
                (SELECT MAX(r.reminder_step) FROM send_requests r WHERE r.invoice_id = i.id) AS last_step,
                (SELECT MIN(r.created_at) FROM send_requests r WHERE r.invoice_id = i.id AND r.purpose = 'invoice') AS first_sent
         FROM invoices i JOIN stores s ON s.id = i.store_id JOIN customers c ON c.id = i.customer_id
         WHERE i.lifecycle = 'issued' AND i.due_date IS NOT NULL AND i.due_date <= $1
           AND i.paid_minor + i.credited_minor < i.total_minor
           AND EXISTS (SELECT 1 FROM send_requests r WHERE r.invoice_id = i.id AND r.purpose = 'invoice')
         ORDER BY i.id",
    )
    .bind(
        today
            .add_days(-i64::from(*invoice::store::REMINDER_DAYS.start()))
            .to_string(),
    )
    .fetch_all(&db.pool)
    .await?;
    let mut candidates = Vec::with_capacity(rows.len());
    for row in rows {
        let document: invoice::PublicDocument = serde_json::from_str(
            &row.try_get::<Option<String>, _>("document")?
                .unwrap_or_default(),
        )?;
        let due_date = document
            .due_date
            .ok_or_else(|| ServerError::Corrupt("issued invoice without its due date".into()))?;
        let total: i64 = row.try_get("total_minor")?;
        let paid: i64 = row.try_get("paid_minor")?;
        let credited: i64 = row.try_get("credited_minor")?;
        let email: Option<String> = row.try_get("email")?;
        candidates.push(ReminderCandidate {
            organisation: OrganisationId(row.try_get("organisation_id")?),
            invoice_id: row.try_get("id")?,
            due_date,
            amount_due: invoice::Money::new(
                invoice::status::amount_owed(total, paid, credited),
                document.currency,
            ),
            document,
            store: serde_json::from_str(&row.try_get::<String, _>("settings")?)?,
            customer_email: email
                .as_deref()
                .and_then(|email| invoice::document::EmailAddress::parse(email).ok()),
            first_sent: invoice::dates::Date::from_unix_millis(row.try_get("first_sent")?),
            last_step: row
                .try_get::<Option<i64>, _>("last_step")?
                .and_then(|step| i32::try_from(step).ok()),
        });
    }
    Ok(candidates)
}
