//! FatturaPA files: the legal form of an Italian store's invoices, built in
//! `invoice::fatturapa` from the frozen document when it is issued, and kept
//! as they were built.

use invoice::customer::CustomerDetails;
use invoice::dates::Date;
use invoice::document::PublicDocument;
use invoice::fatturapa::{self, Buyer, FatturaPa, Seller};
use invoice::italy::ItalianSeller;
use invoice::organisation::OrganisationId;
use invoice::problem::Problem;
use sqlx::{Any, Row, Transaction};

use super::Db;
use crate::error::{invalid, refused, ServerError};
use crate::sdi::{queue_transmission, SdiError};

/// A file as stored: what is downloaded and what SdI receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub invoice_id: i64,
    pub progressive: String,
    pub file_name: String,
    pub xml: String,
}

/// What the file is of, besides the document.
pub struct FileOf<'a> {
    pub organisation: OrganisationId,
    pub store_id: i64,
    pub invoice_id: i64,
    /// An invoice's, or a credit note's (TD04, citing the invoice it corrects).
    pub document: &'a PublicDocument,
    pub store_name: &'a str,
    pub seller: &'a ItalianSeller,
    pub customer: &'a CustomerDetails,
}

/// Builds and keeps the document's file in the issuing transaction, with
/// the sender's next progressive, and queues it for SdI when the store has
/// a PEC mailbox (`server::sdi`), so an issued invoice is never left
/// untransmitted by a crash. A file SdI would reject is refused with each
/// problem beside its field, and the caller's transaction must then be
/// rolled back (its number and progressive are given back).
pub async fn build_in(
    tx: &mut Transaction<'static, Any>,
    of: FileOf<'_>,
    now_ms: i64,
) -> Result<StoredFile, ServerError> {
    if let Some(rule) = fatturapa::dated_after_sending(of.document, Date::from_unix_millis(now_ms))
    {
        return Err(invalid(vec![rule.field_error()]));
    }
    let buyer = Buyer::of_customer(of.customer)
        .map_err(|problem| refused("customer_id", Problem::Fiscal(problem)))?;
    let partita_iva = of.seller.partita_iva.as_str();
    let sequence: i64 = sqlx::query(
        "INSERT INTO fatturapa_progressives (partita_iva, last_number) VALUES ($1, 1)
         ON CONFLICT (partita_iva) DO UPDATE
         SET last_number = fatturapa_progressives.last_number + 1
         RETURNING last_number",
    )
    .bind(partita_iva)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    let progressive = fatturapa::progressive(sequence);
    let file = FatturaPa {
        document: of.document,
        seller: Seller::of_store(of.store_name, of.seller),
        buyer,
        legal_reference: of.seller.legal_reference(),
        progressive: progressive.clone(),
    };
    let xml = file
        .to_xml()
        .map_err(|rules| invalid(rules.iter().map(fatturapa::SdiRule::field_error).collect()))?;
    let file_name = fatturapa::file_name(&of.seller.partita_iva, &progressive);
    sqlx::query(
        "INSERT INTO fatturapa_files
            (organisation_id, invoice_id, partita_iva, progressive, file_name, xml, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(of.organisation.0)
    .bind(of.invoice_id)
    .bind(partita_iva)
    .bind(&progressive)
    .bind(&file_name)
    .bind(&xml)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    let queued = queue_transmission(
        tx,
        of.organisation,
        of.store_id,
        of.invoice_id,
        &file_name,
        &xml,
        now_ms,
    )
    .await;
    match queued {
        // A store without a PEC mailbox sends it later, by hand.
        Ok(_) | Err(SdiError::NoMailbox) => {}
        Err(SdiError::Server(error)) => return Err(error),
        // The progressive is new: a refusal here means the stored
        // progressives are wrong.
        Err(other) => return Err(ServerError::Corrupt(other.to_string())),
    }
    Ok(StoredFile {
        invoice_id: of.invoice_id,
        progressive,
        file_name,
        xml,
    })
}

/// The name of the invoice's file, when it has one, without reading the file.
pub async fn file_name(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<Option<String>, ServerError> {
    Ok(sqlx::query_scalar(
        "SELECT file_name FROM fatturapa_files WHERE organisation_id = $1 AND invoice_id = $2",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// The invoice's file, when it has one (an Italian store's issued invoice).
pub async fn get(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<Option<StoredFile>, ServerError> {
    let row = sqlx::query(
        "SELECT invoice_id, progressive, file_name, xml FROM fatturapa_files
         WHERE organisation_id = $1 AND invoice_id = $2",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(StoredFile {
            invoice_id: row.try_get(0)?,
            progressive: row.try_get(1)?,
            file_name: row.try_get(2)?,
            xml: row.try_get(3)?,
        })
    })
    .transpose()
}
