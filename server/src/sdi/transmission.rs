//! Sending a FatturaPA file to SdI from the store's PEC mailbox, through the
//! outbox: the caller's transaction writes the transmission and its outbox
//! row together; the dispatcher sends it with the outbox's retries and
//! lease, so it is never lost, and a file name is transmitted once.

use std::sync::OnceLock;
use std::time::Duration;

use invoice::organisation::OrganisationId;
use invoice::pec::DEFAULT_SDI_PEC_ADDRESS;
use invoice::sdi::InvoiceFileName;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::{Any, Transaction};

use super::SdiError;
use crate::db::sdi::{self, Outgoing};
use crate::email::Delivery;

/// The outbox purpose of a transmission to SdI.
pub const SDI_PURPOSE: &str = "sdi";

/// SdI's PEC address: `SDI_PEC_ADDRESS`, else the address for a
/// transmitter's first file. SdI answers the first file from the address
/// the transmitter must use afterwards; an operator sets it here.
pub fn sdi_pec_address() -> &'static str {
    static ADDRESS: OnceLock<String> = OnceLock::new();
    ADDRESS.get_or_init(|| {
        std::env::var("SDI_PEC_ADDRESS")
            .ok()
            .map(|address| address.trim().to_owned())
            .filter(|address| !address.is_empty())
            .unwrap_or_else(|| DEFAULT_SDI_PEC_ADDRESS.to_owned())
    })
}

/// Queues the FatturaPA file `xml`, named `file_name`
/// (`IT{id}_{progressive}.xml`), of an invoice of the store, to leave from
/// the store's PEC mailbox for SdI, in the caller's transaction. Queuing the
/// same file name for the same invoice again writes nothing and returns the
/// same transmission. Returns the transmission's id.
pub async fn queue_transmission(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    store_id: i64,
    invoice_id: i64,
    file_name: &str,
    xml: &str,
    now_ms: i64,
) -> Result<i64, SdiError> {
    let file = InvoiceFileName::parse(file_name).map_err(SdiError::Receipt)?;
    let invoice_in_store: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM invoices WHERE id = $1 AND organisation_id = $2 AND store_id = $3",
    )
    .bind(invoice_id)
    .bind(organisation.0)
    .bind(store_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(crate::error::ServerError::from)?;
    if invoice_in_store.is_none() {
        return Err(SdiError::Server(crate::error::ServerError::NotFound));
    }
    let mailbox = sdi::account_of_store(&mut **tx, organisation, store_id)
        .await?
        .ok_or(SdiError::NoMailbox)?;
    let (transmission_id, new) =
        sdi::insert_transmission(tx, organisation, store_id, invoice_id, &file, xml, now_ms)
            .await?
            .ok_or(SdiError::FileNameTaken)?;
    if new {
        sqlx::query(
            "INSERT INTO outbox (organisation_id, invoice_id, audience, purpose, to_address, reply_to,
                                 subject, body_text, body_html, status, attempts, next_attempt_at, created_at, sdi_transmission_id)
             VALUES ($1, $2, 'notice', $3, $4, $5, $6, '', '', 'pending', 0, $7, $7, $8)",
        )
        .bind(organisation.0)
        .bind(invoice_id)
        .bind(SDI_PURPOSE)
        .bind(sdi_pec_address())
        .bind(&mailbox.pec_address)
        .bind(file.to_string())
        .bind(now_ms)
        .bind(transmission_id)
        .execute(&mut **tx)
        .await
        .map_err(crate::error::ServerError::from)?;
    }
    Ok(transmission_id)
}

/// The message to SdI: from the store's PEC address, the file attached
/// under its own name, as SdI's PEC channel asks (one file per message).
/// The Message-ID is the outbox row's, so a retry keeps its identity.
fn message(outgoing: &Outgoing, outbox_id: i64) -> Result<Message, String> {
    let from: Mailbox = outgoing
        .account
        .pec_address
        .parse()
        .map_err(|_| format!("invalid PEC address {}", outgoing.account.pec_address))?;
    let to: Mailbox = sdi_pec_address()
        .parse()
        .map_err(|_| format!("invalid SDI_PEC_ADDRESS {}", sdi_pec_address()))?;
    let domain = outgoing
        .account
        .pec_address
        .rsplit_once('@')
        .map_or("invio.localhost", |(_, domain)| domain);
    let xml = ContentType::parse("application/xml").map_err(|error| error.to_string())?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(outgoing.file_name.clone())
        .message_id(Some(format!("<invio-sdi-{outbox_id}@{domain}>")))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(format!(
                    "Fattura elettronica {}\r\n",
                    outgoing.file_name
                )))
                .singlepart(
                    Attachment::new(outgoing.file_name.clone()).body(outgoing.xml.clone(), xml),
                ),
        )
        .map_err(|error| error.to_string())
}

/// The store's PEC SMTP server. Its credentials go only over TLS: plain
/// text is allowed to a loopback test server alone, which gets none.
fn transport(outgoing: &Outgoing) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let url = &outgoing.account.smtp_url;
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|error| format!("the PEC SMTP URL is not valid: {error}"))?
        .timeout(Some(Duration::from_secs(30)));
    let encrypted = url.starts_with("smtps://") || url.contains("tls=required");
    let builder = if encrypted {
        builder.credentials(Credentials::new(
            outgoing.account.username.clone(),
            outgoing.account.password.clone(),
        ))
    } else {
        builder
    };
    Ok(builder.build())
}

/// One attempt to send a transmission; the outcome is the outbox's.
pub async fn deliver(outgoing: &Outgoing, outbox_id: i64) -> Delivery {
    let message = match message(outgoing, outbox_id) {
        Ok(message) => message,
        Err(reason) => return Delivery::Failed(reason),
    };
    let transport = match transport(outgoing) {
        Ok(transport) => transport,
        Err(reason) => return Delivery::Failed(reason),
    };
    match transport.send(message).await {
        Ok(response) => Delivery::Sent(format!(
            "{} {}",
            response.code(),
            response.message().collect::<Vec<_>>().join(" ")
        )),
        Err(error) if error.is_permanent() => Delivery::Failed(error.to_string()),
        Err(error) => Delivery::Retry(error.to_string()),
    }
}
