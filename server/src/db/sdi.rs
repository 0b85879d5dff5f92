//! The SdI channel's storage: each store's PEC mailbox, the FatturaPA files
//! transmitted, and SdI's receipts (matched to a transmission, or kept for
//! the owner when they match none). What a receipt means is
//! `invoice::sdi`'s; this only stores it.

use invoice::history::HistoryEvent;
use invoice::organisation::OrganisationId;
use invoice::pec::PecMailbox;
use invoice::sdi::{InvoiceFileName, MessageKind, Outcome, SdiEvent, SdiReceipt};
use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};

use super::events::append;
use super::Db;
use crate::error::ServerError;

pub use invoice::pec::{PecMailboxView as MailboxView, UnmatchedReceipt};

/// A mailbox as the reader and the transmitter use it.
#[derive(Debug, Clone)]
pub struct MailboxAccount {
    pub store_id: i64,
    pub organisation: OrganisationId,
    pub pec_address: String,
    pub smtp_url: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub username: String,
    pub password: String,
    pub failures: i64,
}

/// Saves a store's mailbox; an absent password keeps the stored one. A
/// saved mailbox is read again at once, its failures forgotten.
pub async fn save_mailbox(
    db: &Db,
    organisation: OrganisationId,
    store_id: i64,
    mailbox: &PecMailbox,
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    super::stores::in_organisation(&mut tx, organisation, store_id).await?;
    sqlx::query(
        "INSERT INTO pec_mailboxes (store_id, organisation_id, pec_address, smtp_url, imap_host, imap_port, username, password, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, ''), $9)
         ON CONFLICT (store_id) DO UPDATE SET
             pec_address = excluded.pec_address, smtp_url = excluded.smtp_url, imap_host = excluded.imap_host,
             imap_port = excluded.imap_port, username = excluded.username,
             password = COALESCE($8, pec_mailboxes.password), updated_at = excluded.updated_at,
             next_read_at = 0, failures = 0, failing_since = NULL, last_error = NULL",
    )
    .bind(store_id)
    .bind(organisation.0)
    .bind(mailbox.pec_address.as_str())
    .bind(&mailbox.smtp_url)
    .bind(&mailbox.imap_host)
    .bind(i64::from(mailbox.imap_port))
    .bind(&mailbox.username)
    .bind(mailbox.password.as_deref())
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The store's mailbox, if it has one; another organisation's store is not found.
pub async fn mailbox_view(
    db: &Db,
    organisation: OrganisationId,
    store_id: i64,
) -> Result<Option<MailboxView>, ServerError> {
    let row = sqlx::query(
        "SELECT pec_address, smtp_url, imap_host, imap_port, username, password,
                last_read_at, last_error, failing_since
         FROM pec_mailboxes WHERE store_id = $1 AND organisation_id = $2",
    )
    .bind(store_id)
    .bind(organisation.0)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(MailboxView {
            pec_address: row.try_get("pec_address")?,
            smtp_url: row.try_get("smtp_url")?,
            imap_host: row.try_get("imap_host")?,
            imap_port: port(row.try_get("imap_port")?)?,
            username: row.try_get("username")?,
            has_password: !row.try_get::<String, _>("password")?.is_empty(),
            last_read_at: row.try_get("last_read_at")?,
            last_error: row.try_get("last_error")?,
            failing_since: row.try_get("failing_since")?,
        })
    })
    .transpose()
}

fn port(value: i64) -> Result<u16, ServerError> {
    u16::try_from(value).map_err(|_| ServerError::Corrupt("a mailbox's port".into()))
}

const ACCOUNT_COLUMNS: &str =
    "store_id, organisation_id, pec_address, smtp_url, imap_host, imap_port, username, password, failures";

fn account(row: &sqlx::any::AnyRow) -> Result<MailboxAccount, ServerError> {
    Ok(MailboxAccount {
        store_id: row.try_get("store_id")?,
        organisation: OrganisationId(row.try_get("organisation_id")?),
        pec_address: row.try_get("pec_address")?,
        smtp_url: row.try_get("smtp_url")?,
        imap_host: row.try_get("imap_host")?,
        imap_port: port(row.try_get("imap_port")?)?,
        username: row.try_get("username")?,
        password: row.try_get("password")?,
        failures: row.try_get("failures")?,
    })
}

/// Every mailbox due to be read at `now_ms`, those of every organisation.
pub async fn due_mailboxes(db: &Db, now_ms: i64) -> Result<Vec<MailboxAccount>, ServerError> {
    let rows = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM pec_mailboxes WHERE next_read_at <= $1 ORDER BY next_read_at, store_id"
    ))
    .bind(now_ms)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(account).collect()
}

/// Takes a mailbox for one read: false when another reader (another server
/// instance) took it first.
pub async fn claim_mailbox(
    db: &Db,
    store_id: i64,
    now_ms: i64,
    lease_until: i64,
) -> Result<bool, ServerError> {
    Ok(sqlx::query(
        "UPDATE pec_mailboxes SET next_read_at = $1 WHERE store_id = $2 AND next_read_at <= $3",
    )
    .bind(lease_until)
    .bind(store_id)
    .bind(now_ms)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

/// A mailbox was read: its failures are over, the next read is at `next_ms`.
pub async fn mailbox_read(
    db: &Db,
    store_id: i64,
    now_ms: i64,
    next_ms: i64,
) -> Result<(), ServerError> {
    sqlx::query(
        "UPDATE pec_mailboxes SET last_read_at = $1, next_read_at = $2, failures = 0, failing_since = NULL, last_error = NULL
         WHERE store_id = $3",
    )
    .bind(now_ms)
    .bind(next_ms)
    .bind(store_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A mailbox could not be read: why, since when (the first failure of the
/// streak), and when to try again.
pub async fn mailbox_failed(
    db: &Db,
    store_id: i64,
    error: &str,
    now_ms: i64,
    next_ms: i64,
) -> Result<(), ServerError> {
    sqlx::query(
        "UPDATE pec_mailboxes SET last_error = $1, failing_since = COALESCE(failing_since, $2), failures = failures + 1,
                next_read_at = $3
         WHERE store_id = $4",
    )
    .bind(error)
    .bind(now_ms)
    .bind(next_ms)
    .bind(store_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The store's mailbox for transmitting, within the organisation.
pub async fn account_of_store<'e, E>(
    executor: E,
    organisation: OrganisationId,
    store_id: i64,
) -> Result<Option<MailboxAccount>, ServerError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM pec_mailboxes WHERE store_id = $1 AND organisation_id = $2"
    ))
    .bind(store_id)
    .bind(organisation.0)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(account).transpose()
}

/// One transmitted file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transmission {
    pub id: i64,
    pub invoice_id: i64,
    pub store_id: i64,
    pub file_name: String,
    pub progressive: String,
    pub state: String,
    pub sdi_id: Option<String>,
}

/// Writes a transmission in the caller's transaction; returns its id and
/// whether it is new (the same file name for the same invoice is the same
/// transmission: SdI would refuse the name twice), or None when another
/// invoice of the organisation was transmitted under that name.
pub async fn insert_transmission(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    store_id: i64,
    invoice_id: i64,
    file_name: &InvoiceFileName,
    xml: &str,
    now_ms: i64,
) -> Result<Option<(i64, bool)>, ServerError> {
    let inserted: Option<i64> = sqlx::query(
        "INSERT INTO sdi_transmissions (organisation_id, store_id, invoice_id, file_name, file_base, progressive, xml, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8)
         ON CONFLICT (organisation_id, file_base) DO NOTHING
         RETURNING id",
    )
    .bind(organisation.0)
    .bind(store_id)
    .bind(invoice_id)
    .bind(file_name.to_string())
    .bind(file_name.base())
    .bind(file_name.progressive())
    .bind(xml)
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| row.try_get(0))
    .transpose()?;
    if let Some(id) = inserted {
        return Ok(Some((id, true)));
    }
    let existing: Option<i64> = sqlx::query(
        "SELECT id FROM sdi_transmissions WHERE organisation_id = $1 AND file_base = $2 AND invoice_id = $3",
    )
    .bind(organisation.0)
    .bind(file_name.base())
    .bind(invoice_id)
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| row.try_get(0))
    .transpose()?;
    Ok(existing.map(|id| (id, false)))
}

/// The transmissions of an invoice, oldest first.
pub async fn transmissions(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<Vec<Transmission>, ServerError> {
    let rows = sqlx::query(
        "SELECT id, invoice_id, store_id, file_name, progressive, state, sdi_id FROM sdi_transmissions
         WHERE organisation_id = $1 AND invoice_id = $2 ORDER BY id",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Transmission {
                id: row.try_get("id")?,
                invoice_id: row.try_get("invoice_id")?,
                store_id: row.try_get("store_id")?,
                file_name: row.try_get("file_name")?,
                progressive: row.try_get("progressive")?,
                state: row.try_get("state")?,
                sdi_id: row.try_get("sdi_id")?,
            })
        })
        .collect()
}

/// What the dispatcher needs to send a transmission.
pub struct Outgoing {
    pub file_name: String,
    pub xml: String,
    pub account: MailboxAccount,
}

pub async fn outgoing(db: &Db, transmission_id: i64) -> Result<Outgoing, ServerError> {
    let row = sqlx::query(
        "SELECT t.file_name, t.xml, m.store_id, m.organisation_id, m.pec_address, m.smtp_url, m.imap_host, m.imap_port,
                m.username, m.password, m.failures
         FROM sdi_transmissions t JOIN pec_mailboxes m ON m.store_id = t.store_id AND m.organisation_id = t.organisation_id
         WHERE t.id = $1",
    )
    .bind(transmission_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(ServerError::NotFound)?;
    Ok(Outgoing {
        file_name: row.try_get("file_name")?,
        xml: row.try_get("xml")?,
        account: account(&row)?,
    })
}

/// The file name of a transmission, for its history entries.
pub async fn file_name(
    tx: &mut Transaction<'_, Any>,
    transmission_id: i64,
) -> Result<String, ServerError> {
    Ok(
        sqlx::query("SELECT file_name FROM sdi_transmissions WHERE id = $1")
            .bind(transmission_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?,
    )
}

pub async fn set_state(
    tx: &mut Transaction<'_, Any>,
    transmission_id: i64,
    state: &str,
    now_ms: i64,
) -> Result<(), ServerError> {
    sqlx::query("UPDATE sdi_transmissions SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(state)
        .bind(now_ms)
        .bind(transmission_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The transmission's state after a receipt of SdI.
fn state_after(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Delivered { .. } => "delivered",
        Outcome::NotDelivered { .. } => "not_delivered",
        Outcome::Rejected { .. } => "rejected",
        Outcome::PublicBody { accepted: true, .. } => "accepted",
        Outcome::PublicBody {
            accepted: false, ..
        } => "refused",
        Outcome::TermsElapsed => "terms_elapsed",
        Outcome::TransmissionAttested => "attested",
    }
}

/// Where a receipt came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptSource {
    /// Read from a store's PEC mailbox.
    Mailbox { store_id: i64 },
    /// Uploaded by hand.
    Upload,
}

/// What recording a receipt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Matched: in the invoice's history.
    Matched { invoice_id: i64 },
    /// Matched nothing: kept for the owner.
    Unmatched { receipt_id: i64 },
    /// Already recorded: nothing done.
    Again,
}

/// Records one receipt in the caller's transaction, once: matched to the
/// organisation's transmission of the same file (by its name without the
/// extension, and SdI's identifier once the transmission has one), its
/// history entry appended and its state updated; else kept unmatched.
pub async fn record_receipt(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    source: ReceiptSource,
    receipt: &SdiReceipt,
    message_file: Option<&str>,
    xml: &str,
    now_ms: i64,
) -> Result<Recorded, ServerError> {
    let candidate = sqlx::query(
        "SELECT id, invoice_id, sdi_id FROM sdi_transmissions WHERE organisation_id = $1 AND file_base = $2",
    )
    .bind(organisation.0)
    .bind(receipt.invoice_file.base())
    .fetch_optional(&mut **tx)
    .await?;
    let matched = match candidate {
        Some(row) => {
            let known: Option<String> = row.try_get("sdi_id")?;
            let same_file = known.as_deref().is_none_or(|known| known == receipt.sdi_id);
            same_file
                .then(|| {
                    Ok::<_, ServerError>((
                        row.try_get::<i64, _>("id")?,
                        row.try_get::<i64, _>("invoice_id")?,
                    ))
                })
                .transpose()?
        }
        None => None,
    };
    let (source_code, store_id) = match source {
        ReceiptSource::Mailbox { store_id } => ("mailbox", Some(store_id)),
        ReceiptSource::Upload => ("upload", None),
    };
    let inserted: Option<i64> = sqlx::query(
        "INSERT INTO sdi_receipts (organisation_id, store_id, identity, transmission_id, kind, sdi_id, invoice_file, message_file,
                                   source, receipt, xml, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (organisation_id, identity) DO NOTHING
         RETURNING id",
    )
    .bind(organisation.0)
    .bind(store_id)
    .bind(receipt.identity())
    .bind(matched.map(|(transmission, _)| transmission))
    .bind(receipt.kind().code())
    .bind(&receipt.sdi_id)
    .bind(receipt.invoice_file.to_string())
    .bind(message_file)
    .bind(source_code)
    .bind(serde_json::to_string(receipt)?)
    .bind(xml)
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| row.try_get(0))
    .transpose()?;
    let Some(receipt_id) = inserted else {
        return Ok(Recorded::Again);
    };
    let Some((transmission_id, invoice_id)) = matched else {
        return Ok(Recorded::Unmatched { receipt_id });
    };
    sqlx::query(
        "UPDATE sdi_transmissions SET sdi_id = $1, state = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(&receipt.sdi_id)
    .bind(state_after(&receipt.outcome))
    .bind(now_ms)
    .bind(transmission_id)
    .execute(&mut **tx)
    .await?;
    append(
        tx,
        organisation,
        invoice_id,
        &HistoryEvent::Sdi(SdiEvent::Receipt(receipt.clone())),
        None,
        now_ms,
    )
    .await?;
    Ok(Recorded::Matched { invoice_id })
}

/// The organisation's receipts that match nothing and were not assigned.
pub async fn unmatched(
    db: &Db,
    organisation: OrganisationId,
) -> Result<Vec<UnmatchedReceipt>, ServerError> {
    let rows = sqlx::query(
        "SELECT id, kind, sdi_id, invoice_file, message_file, source, received_at FROM sdi_receipts
         WHERE organisation_id = $1 AND transmission_id IS NULL AND assigned_invoice_id IS NULL
         ORDER BY received_at DESC, id DESC LIMIT 200",
    )
    .bind(organisation.0)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(UnmatchedReceipt {
                id: row.try_get("id")?,
                kind: MessageKind::parse(&row.try_get::<String, _>("kind")?)
                    .ok_or_else(|| ServerError::Corrupt("a receipt's kind".into()))?,
                sdi_id: row.try_get("sdi_id")?,
                invoice_file: row.try_get("invoice_file")?,
                message_file: row.try_get("message_file")?,
                source: row.try_get("source")?,
                received_at: row.try_get("received_at")?,
            })
        })
        .collect()
}

/// The organisation's issued invoice with this number.
pub async fn invoice_by_number(
    db: &Db,
    organisation: OrganisationId,
    number: &str,
) -> Result<Option<i64>, ServerError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM invoices WHERE organisation_id = $1 AND number = $2")
            .bind(organisation.0)
            .bind(number)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Puts an unmatched receipt in an invoice's history, both the
/// organisation's; another organisation's receipt or invoice is not found.
pub async fn assign(
    db: &Db,
    organisation: OrganisationId,
    receipt_id: i64,
    invoice_id: i64,
    user_id: i64,
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    let receipt: String = sqlx::query(
        "SELECT receipt FROM sdi_receipts
         WHERE id = $1 AND organisation_id = $2 AND transmission_id IS NULL AND assigned_invoice_id IS NULL",
    )
    .bind(receipt_id)
    .bind(organisation.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ServerError::NotFound)?
    .try_get(0)?;
    sqlx::query("SELECT 1 FROM invoices WHERE id = $1 AND organisation_id = $2")
        .bind(invoice_id)
        .bind(organisation.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ServerError::NotFound)?;
    let receipt: SdiReceipt = serde_json::from_str(&receipt)?;
    sqlx::query("UPDATE sdi_receipts SET assigned_invoice_id = $1 WHERE id = $2")
        .bind(invoice_id)
        .bind(receipt_id)
        .execute(&mut *tx)
        .await?;
    append(
        &mut tx,
        organisation,
        invoice_id,
        &HistoryEvent::Sdi(SdiEvent::Receipt(receipt)),
        Some(user_id),
        now_ms,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
