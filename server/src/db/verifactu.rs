//! VERI*FACTU records: the chained, unalterable records of a Spanish store's
//! invoices, built in `invoice::verifactu` from the frozen document and kept
//! here as they were built, in the same transaction as the number (or the
//! voiding) they record. The database refuses to change or delete them
//! (migration 0015's triggers); the sender reads them in chain order.
//!
//! A chain is one per organisation and issuer NIF: each organisation is its
//! own installation of the billing system, so another organisation claiming
//! a merchant's NIF keeps a chain of its own. Writers of one chain take its
//! row's lock first, so each record chains to the one committed before it.
//! Callers keep a record before writing any history entry in the same
//! transaction: an entry locks the organisation's change counter, and one
//! order of the two locks everywhere is what keeps writers from deadlocking.

use invoice::aeat::AeatEvent;
use invoice::customer::CustomerDetails;
use invoice::dates::Date;
use invoice::document::PublicDocument;
use invoice::history::HistoryEvent;
use invoice::history::StoredEvent;
use invoice::organisation::OrganisationId;
use invoice::problem::Problem;
use invoice::qr::TaxAgencyCheck;
use invoice::spain::{recipient_id, Nif, SpanishSeller};
use invoice::verifactu::{
    corrected_recipient, parse_record, AeatRule, AeatStanding, AltaInput, AltaOperation,
    AnulacionInput, ChainLink, CorrectionRefusal, InvoiceType, Recipient, RecipientInput, Record,
    RecordKind, RegistroAlta, RegistroAnulacion, SistemaInformatico, VerifactuEvent,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::events::append;
use super::{Db, Engine};
use crate::config::VerifactuSettings;
use crate::error::{invalid, refused, ServerError};

/// A chain of records: an organisation's records for one issuer NIF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub id: i64,
    pub organisation: OrganisationId,
    pub issuer_nif: String,
}

/// A record as kept: the XML element is the record, the other fields find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRecord {
    pub id: i64,
    pub organisation: OrganisationId,
    pub store_id: i64,
    /// The invoice, or the credit note, the record is about.
    pub invoice_id: i64,
    pub chain_id: i64,
    /// Its place in the chain, from 1.
    pub sequence: i64,
    pub kind: RecordKind,
    /// The alta's `TipoFactura`; `None` for an anulación.
    pub invoice_type: Option<InvoiceType>,
    /// The invoice's number as the record registers it.
    pub number: String,
    pub issue_date: Date,
    pub huella: String,
    /// The `RegistroAlta` / `RegistroAnulacion` element as it was built.
    pub xml: String,
    pub generated_at_ms: i64,
}

/// The registro de alta to keep for an invoice or credit note just numbered.
pub struct AltaOf<'a> {
    pub organisation: OrganisationId,
    pub store_id: i64,
    pub invoice_id: i64,
    /// The frozen document; a credit note's cites the invoice it corrects.
    pub document: &'a PublicDocument,
    /// For a credit note, the invoice it corrects (whose own record says
    /// whether it was simplified).
    pub corrects_invoice_id: Option<i64>,
    pub seller: &'a SpanishSeller,
    pub customer: &'a CustomerDetails,
}

/// The AEAT's verification URL of a Spanish store's document, for its QR
/// code (`invoice::verifactu::tax_agency_check`), in the configured
/// environment.
pub fn tax_agency_check(
    settings: &VerifactuSettings,
    seller: &SpanishSeller,
    document: &PublicDocument,
) -> TaxAgencyCheck {
    invoice::verifactu::tax_agency_check(settings.environment, &seller.nif, document)
}

/// Builds and keeps the registro de alta of a document just numbered, at
/// the end of its store's chain, in the caller's transaction. An invoice to
/// a customer with a Spanish NIF or an EU VAT number is a full one (F1),
/// to a customer without a tax id a simplified one (F2); a credit note is
/// R1, or R5 when the invoice it corrects was simplified. A record the AEAT
/// would refuse is refused with each problem beside its field: the caller
/// must then roll back, which gives the number back.
pub async fn keep_alta(
    tx: &mut Transaction<'static, Any>,
    engine: Engine,
    settings: &VerifactuSettings,
    of: AltaOf<'_>,
    now_ms: i64,
) -> Result<KeptRecord, ServerError> {
    let (invoice_type, recipient) = match of.corrects_invoice_id {
        None => {
            let recipient = recipient(of.customer)?;
            let simplified = recipient.is_none();
            (
                InvoiceType::for_document(of.document, simplified),
                recipient,
            )
        }
        Some(corrected) => {
            let simplified =
                corrects_simplified(tx, of.organisation, corrected, of.customer).await?;
            let invoice_type = InvoiceType::for_document(of.document, simplified);
            let recipient = if invoice_type.needs_recipient() {
                recipient(of.customer)?
            } else {
                None
            };
            (invoice_type, recipient)
        }
    };
    let system = system(tx, settings, of.organisation, &of.seller.nif).await?;
    let chain = lock_chain(tx, engine, of.organisation, &of.seller.nif, now_ms).await?;
    let end = chain_end(tx, chain.id, now_ms).await?;
    let alta = RegistroAlta::build(&AltaInput {
        document: of.document,
        invoice_type,
        issuer: of.seller,
        recipient: recipient.as_ref(),
        previous: end.previous.as_ref(),
        system: &system,
        generated_at_ms: end.generated_at_ms,
    })
    .map_err(refusal)?;
    insert(
        tx,
        Kept {
            organisation: of.organisation,
            store_id: of.store_id,
            invoice_id: of.invoice_id,
            chain: &chain,
            sequence: end.sequence,
            generated_at_ms: end.generated_at_ms,
            invoice_type: Some(invoice_type),
            issue_date: of.document.issue_date,
            record: alta.record(),
            correction: None,
        },
        now_ms,
    )
    .await
}

/// Keeps the registro de anulación of an invoice being voided, in the
/// chain of its registro de alta, in the caller's transaction, flagged as
/// where the AEAT stands on the invoice requires: None when
/// the invoice has no alta (issued before its store kept records), which
/// the AEAT never heard of and so has nothing to cancel.
pub async fn keep_anulacion(
    tx: &mut Transaction<'static, Any>,
    engine: Engine,
    settings: &VerifactuSettings,
    organisation: OrganisationId,
    invoice_id: i64,
    now_ms: i64,
) -> Result<Option<KeptRecord>, ServerError> {
    let Some(alta) = alta_of(tx, organisation, invoice_id).await? else {
        return Ok(None);
    };
    let standing = standing(tx, organisation, invoice_id).await?;
    let system = system(tx, settings, organisation, &alta.issuer_nif).await?;
    let chain = lock_chain(tx, engine, organisation, &alta.issuer_nif, now_ms).await?;
    let end = chain_end(tx, chain.id, now_ms).await?;
    let mut anulacion = RegistroAnulacion::build(&AnulacionInput {
        issuer_nif: &alta.issuer_nif,
        number: &alta.number,
        issue_date: alta.issue_date,
        previous: end.previous.as_ref(),
        system: &system,
        generated_at_ms: end.generated_at_ms,
    })
    .map_err(refusal)?;
    // An invoice whose every alta the AEAT rejected is not in the AEAT: its
    // cancellation says so (Validaciones §6.2, «ANULACIÓN SIN REGISTRO
    // PREVIO»), or the AEAT would answer that it has nothing to cancel.
    anulacion.operation = standing.cancellation();
    insert(
        tx,
        Kept {
            organisation,
            store_id: alta.store_id,
            invoice_id,
            chain: &chain,
            sequence: end.sequence,
            generated_at_ms: end.generated_at_ms,
            invoice_type: None,
            issue_date: alta.issue_date,
            record: anulacion.record(),
            correction: None,
        },
        now_ms,
    )
    .await
    .map(Some)
}

/// Keeps the alta that corrects an invoice's record the AEAT rejected or
/// accepted with errors, at the end of its chain, in the caller's
/// transaction: the same frozen document and issuer, naming the recipient
/// the merchant gives now, flagged as where the AEAT stands requires
/// (`invoice::verifactu::AeatStanding::correction`). The sender takes it
/// to the AEAT in the chain's order. Another organisation's invoice is not
/// found; one with nothing to correct is refused.
pub async fn keep_correction(
    tx: &mut Transaction<'static, Any>,
    engine: Engine,
    settings: &VerifactuSettings,
    organisation: OrganisationId,
    invoice_id: i64,
    input: &RecipientInput,
    now_ms: i64,
) -> Result<KeptRecord, ServerError> {
    let row = sqlx::query(
        "SELECT lifecycle, document FROM invoices WHERE organisation_id = $1 AND id = $2",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(ServerError::NotFound)?;
    let nothing_to_correct = || refused("invoice", Problem::AeatNothingToCorrect);
    let issued = row.try_get::<String, _>("lifecycle")? == "issued";
    let document: Option<String> = row.try_get("document")?;
    let (Some(alta), Some(document), true) = (
        alta_of(tx, organisation, invoice_id).await?,
        document,
        issued,
    ) else {
        return Err(nothing_to_correct());
    };
    let standing = standing(tx, organisation, invoice_id).await?;
    if standing.correction().is_none() || !alta.invoice_type.needs_recipient() {
        return Err(nothing_to_correct());
    }
    let document: PublicDocument = serde_json::from_str(&document).map_err(|error| {
        ServerError::Corrupt(format!("invoice {invoice_id}'s document: {error}"))
    })?;
    let recipient = corrected_recipient(input).map_err(correction_refusal)?;
    let seller = SpanishSeller {
        nif: alta.issuer_nif.clone(),
        legal_name: alta.issuer_name.clone(),
    };
    let system = system(tx, settings, organisation, &alta.issuer_nif).await?;
    let chain = lock_chain(tx, engine, organisation, &alta.issuer_nif, now_ms).await?;
    let end = chain_end(tx, chain.id, now_ms).await?;
    let correction = RegistroAlta::correction(
        &AltaInput {
            document: &document,
            invoice_type: alta.invoice_type,
            issuer: &seller,
            recipient: Some(&recipient),
            previous: end.previous.as_ref(),
            system: &system,
            generated_at_ms: end.generated_at_ms,
        },
        &standing,
    )
    .map_err(correction_refusal)?;
    let named = format!("{} ({})", recipient.name, input.tax_id.trim());
    insert(
        tx,
        Kept {
            organisation,
            store_id: alta.store_id,
            invoice_id,
            chain: &chain,
            sequence: end.sequence,
            generated_at_ms: end.generated_at_ms,
            invoice_type: Some(alta.invoice_type),
            issue_date: alta.issue_date,
            record: correction.record(),
            correction: Some((correction.operation, named)),
        },
        now_ms,
    )
    .await
}

/// A correction's refusal, beside the correction form's fields: the
/// recipient's `name` and `tax_id`, or the whole `invoice`.
fn correction_refusal(refusal: CorrectionRefusal) -> ServerError {
    match refusal {
        CorrectionRefusal::NothingToCorrect => refused("invoice", Problem::AeatNothingToCorrect),
        CorrectionRefusal::TaxId(problem) => refused("tax_id", Problem::Spanish(problem)),
        CorrectionRefusal::Rules(rules) => invalid(
            rules
                .into_iter()
                .map(|rule| {
                    let field = match rule {
                        AeatRule::NameLength { .. } => "name",
                        _ => "tax_id",
                    };
                    invoice::document::FieldError::new(field, Problem::Verifactu(rule))
                })
                .collect(),
        ),
    }
}

/// Where the AEAT stands on an invoice, from the answers in its history.
pub async fn standing(
    tx: &mut Transaction<'static, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<AeatStanding, ServerError> {
    let kinds = AeatEvent::KINDS
        .iter()
        .map(|kind| format!("'{kind}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT kind, detail FROM events WHERE organisation_id = $1 AND invoice_id = $2 AND kind IN ({kinds})
         ORDER BY at, id"
    ))
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut answers = Vec::with_capacity(rows.len());
    for row in &rows {
        let stored = StoredEvent {
            kind: row.try_get("kind")?,
            detail: row.try_get("detail")?,
            recipient: None,
            automated: false,
            counts_as_open: false,
            device: None,
            browser: None,
        };
        if let Ok(HistoryEvent::Aeat(answer)) = HistoryEvent::from_stored(&stored) {
            answers.push(answer);
        }
    }
    Ok(AeatStanding::from_answers(&answers))
}

/// The AEAT's rules a record would break, each beside its field.
fn refusal(rules: Vec<AeatRule>) -> ServerError {
    invalid(rules.iter().map(AeatRule::field_error).collect())
}

/// The customer as a full invoice's record names them: None without a tax
/// id (a simplified invoice); a tax id that is neither a Spanish NIF nor an
/// EU VAT number is refused beside the customer.
fn recipient(customer: &CustomerDetails) -> Result<Option<Recipient>, ServerError> {
    let id = recipient_id(customer.tax_id.as_deref())
        .map_err(|problem| refused("customer_id", Problem::Spanish(problem)))?;
    Ok(id.map(|id| Recipient {
        name: customer.name.clone(),
        id,
    }))
}

/// The billing system that makes the organisation's records for
/// `issuer_nif`; without a producer's NIF configured, every record is
/// refused (the merchant is asked to tell whoever runs Invio).
async fn system(
    tx: &mut Transaction<'static, Any>,
    settings: &VerifactuSettings,
    organisation: OrganisationId,
    issuer_nif: &Nif,
) -> Result<SistemaInformatico, ServerError> {
    let multiple_taxpayers = serves_other_taxpayers(tx, organisation, issuer_nif).await?;
    settings
        .system(organisation, multiple_taxpayers)
        .ok_or_else(|| {
            refusal(vec![AeatRule::SistemaInformatico {
                element: "NIF".into(),
            }])
        })
}

/// Whether the invoice a credit note corrects was simplified: as its own
/// record says (F2), or, when it has none (issued before its store kept
/// records), as its customer would make it now.
async fn corrects_simplified(
    tx: &mut Transaction<'static, Any>,
    organisation: OrganisationId,
    corrected: i64,
    customer: &CustomerDetails,
) -> Result<bool, ServerError> {
    match alta_of(tx, organisation, corrected).await? {
        Some(alta) => Ok(alta.invoice_type == InvoiceType::F2),
        None => Ok(recipient(customer)?.is_none()),
    }
}

/// What an invoice's registro de alta says of it.
struct Alta {
    store_id: i64,
    issuer_nif: Nif,
    /// `NombreRazonEmisor` as the alta wrote it.
    issuer_name: String,
    number: String,
    issue_date: Date,
    invoice_type: InvoiceType,
}

async fn alta_of(
    tx: &mut Transaction<'static, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<Option<Alta>, ServerError> {
    let row = sqlx::query(
        "SELECT r.store_id, c.issuer_nif, r.number, r.issue_date, r.invoice_type, r.xml
         FROM verifactu_records r JOIN verifactu_chains c ON c.id = r.chain_id
         WHERE r.organisation_id = $1 AND r.invoice_id = $2 AND r.kind = 'alta'
         ORDER BY r.sequence DESC LIMIT 1",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| {
        Ok(Alta {
            store_id: row.try_get("store_id")?,
            issuer_nif: Nif::parse(&row.try_get::<String, _>("issuer_nif")?)
                .map_err(|problem| ServerError::Corrupt(format!("a chain's NIF: {problem:?}")))?,
            issuer_name: invoice::aeat::issuer_name(&row.try_get::<String, _>("xml")?)
                .unwrap_or_default(),
            number: row.try_get("number")?,
            issue_date: date(&row)?,
            invoice_type: invoice_type(&row)?
                .ok_or_else(|| ServerError::Corrupt("an alta without its type".into()))?,
        })
    })
    .transpose()
}

/// The organisation's chain for `issuer_nif`, created when it is the first
/// record, and locked until the caller's transaction ends: whoever appends
/// to the chain next waits, then reads this record as the last one.
/// (SQLite's write transaction holds the whole database already.)
async fn lock_chain(
    tx: &mut Transaction<'static, Any>,
    engine: Engine,
    organisation: OrganisationId,
    issuer_nif: &Nif,
    now_ms: i64,
) -> Result<Chain, ServerError> {
    let issuer_nif = issuer_nif.as_str();
    sqlx::query(
        "INSERT INTO verifactu_chains (organisation_id, issuer_nif, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (organisation_id, issuer_nif) DO NOTHING",
    )
    .bind(organisation.0)
    .bind(issuer_nif)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    let lock = engine.row_lock();
    let id: i64 = sqlx::query_scalar(&format!(
        "SELECT id FROM verifactu_chains WHERE organisation_id = $1 AND issuer_nif = $2 {lock}"
    ))
    .bind(organisation.0)
    .bind(issuer_nif)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Chain {
        id,
        organisation,
        issuer_nif: issuer_nif.to_owned(),
    })
}

/// Where a locked chain ends: what its next record is.
struct ChainEnd {
    sequence: i64,
    /// The last record as its stored XML says; None for the first.
    previous: Option<ChainLink>,
    /// When the next record is generated: now, or the last record's time
    /// if that is later (a writer that read the clock before waiting for
    /// the lock), so generation times never go back along the chain.
    generated_at_ms: i64,
}

async fn chain_end(
    tx: &mut Transaction<'static, Any>,
    chain_id: i64,
    now_ms: i64,
) -> Result<ChainEnd, ServerError> {
    let last = sqlx::query(
        "SELECT sequence, xml, generated_at FROM verifactu_records WHERE chain_id = $1
         ORDER BY sequence DESC LIMIT 1",
    )
    .bind(chain_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = last else {
        return Ok(ChainEnd {
            sequence: 1,
            previous: None,
            generated_at_ms: now_ms,
        });
    };
    let sequence: i64 = row.try_get("sequence")?;
    let stored = parse_record(&row.try_get::<String, _>("xml")?).map_err(|why| {
        ServerError::Corrupt(format!(
            "VERI*FACTU chain {chain_id}, record {sequence}: {why:?}"
        ))
    })?;
    Ok(ChainEnd {
        sequence: sequence + 1,
        previous: Some(stored.link()),
        generated_at_ms: now_ms.max(row.try_get("generated_at")?),
    })
}

/// Whether the organisation keeps records for another NIF besides this one
/// (`IndicadorMultiplesOT`).
async fn serves_other_taxpayers(
    tx: &mut Transaction<'static, Any>,
    organisation: OrganisationId,
    issuer_nif: &Nif,
) -> Result<bool, ServerError> {
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM verifactu_chains WHERE organisation_id = $1 AND issuer_nif <> $2",
    )
    .bind(organisation.0)
    .bind(issuer_nif.as_str())
    .fetch_one(&mut **tx)
    .await?;
    Ok(others > 0)
}

/// A record built, with where it goes.
struct Kept<'a> {
    organisation: OrganisationId,
    store_id: i64,
    invoice_id: i64,
    chain: &'a Chain,
    sequence: i64,
    generated_at_ms: i64,
    invoice_type: Option<InvoiceType>,
    issue_date: Date,
    record: Record,
    /// For a correction: what it is and the recipient it names, for the
    /// history.
    correction: Option<(AltaOperation, String)>,
}

/// Appends the record to its chain and tells the invoice's history. The
/// chain's (chain, sequence) is unique: were the lock ever missed, the
/// second writer fails here rather than fork the chain.
async fn insert(
    tx: &mut Transaction<'static, Any>,
    kept: Kept<'_>,
    now_ms: i64,
) -> Result<KeptRecord, ServerError> {
    let Kept {
        organisation,
        store_id,
        invoice_id,
        chain,
        sequence,
        generated_at_ms,
        invoice_type,
        issue_date,
        record,
        correction,
    } = kept;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO verifactu_records
            (organisation_id, store_id, invoice_id, chain_id, sequence, kind, invoice_type,
             number, issue_date, huella, xml, generated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING id",
    )
    .bind(organisation.0)
    .bind(store_id)
    .bind(invoice_id)
    .bind(chain.id)
    .bind(sequence)
    .bind(kind_code(record.kind))
    .bind(invoice_type.map(InvoiceType::code))
    .bind(&record.link.number)
    .bind(issue_date.to_string())
    .bind(&record.huella)
    .bind(&record.xml)
    .bind(generated_at_ms)
    .fetch_one(&mut **tx)
    .await?;
    let event = HistoryEvent::Verifactu(match correction {
        None => VerifactuEvent::RecordKept {
            kind: record.kind,
            invoice_type,
            sequence,
        },
        Some((operation, recipient)) => VerifactuEvent::CorrectionKept {
            operation,
            recipient,
            sequence,
        },
    });
    append(tx, organisation, invoice_id, &event, None, now_ms).await?;
    Ok(KeptRecord {
        id,
        organisation,
        store_id,
        invoice_id,
        chain_id: chain.id,
        sequence,
        kind: record.kind,
        invoice_type,
        number: record.link.number,
        issue_date,
        huella: record.huella,
        xml: record.xml,
        generated_at_ms,
    })
}

fn kind_code(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Alta => "alta",
        RecordKind::Anulacion => "anulacion",
    }
}

fn kind(row: &AnyRow) -> Result<RecordKind, ServerError> {
    match row.try_get::<String, _>("kind")?.as_str() {
        "alta" => Ok(RecordKind::Alta),
        "anulacion" => Ok(RecordKind::Anulacion),
        other => Err(ServerError::Corrupt(format!("record kind {other}"))),
    }
}

fn invoice_type(row: &AnyRow) -> Result<Option<InvoiceType>, ServerError> {
    row.try_get::<Option<String>, _>("invoice_type")?
        .map(|code| {
            InvoiceType::parse(&code)
                .ok_or_else(|| ServerError::Corrupt(format!("invoice type {code}")))
        })
        .transpose()
}

fn date(row: &AnyRow) -> Result<Date, ServerError> {
    let text: String = row.try_get("issue_date")?;
    Date::parse(&text).map_err(|error| ServerError::Corrupt(format!("issue_date: {}", error.0)))
}

const RECORD_COLUMNS: &str = "id, organisation_id, store_id, invoice_id, chain_id, sequence, kind, invoice_type, number, issue_date, huella, xml, generated_at";

fn kept_record(row: &AnyRow) -> Result<KeptRecord, ServerError> {
    Ok(KeptRecord {
        id: row.try_get("id")?,
        organisation: OrganisationId(row.try_get("organisation_id")?),
        store_id: row.try_get("store_id")?,
        invoice_id: row.try_get("invoice_id")?,
        chain_id: row.try_get("chain_id")?,
        sequence: row.try_get("sequence")?,
        kind: kind(row)?,
        invoice_type: invoice_type(row)?,
        number: row.try_get("number")?,
        issue_date: date(row)?,
        huella: row.try_get("huella")?,
        xml: row.try_get("xml")?,
        generated_at_ms: row.try_get("generated_at")?,
    })
}

/// Every chain, or one organisation's, by organisation then age.
pub async fn chains(
    db: &Db,
    organisation: Option<OrganisationId>,
) -> Result<Vec<Chain>, ServerError> {
    let rows = match organisation {
        Some(organisation) => {
            sqlx::query(
                "SELECT id, organisation_id, issuer_nif FROM verifactu_chains
                 WHERE organisation_id = $1 ORDER BY id",
            )
            .bind(organisation.0)
            .fetch_all(&db.pool)
            .await?
        }
        None => {
            sqlx::query(
                "SELECT id, organisation_id, issuer_nif FROM verifactu_chains
                 ORDER BY organisation_id, id",
            )
            .fetch_all(&db.pool)
            .await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok(Chain {
                id: row.try_get("id")?,
                organisation: OrganisationId(row.try_get("organisation_id")?),
                issuer_nif: row.try_get("issuer_nif")?,
            })
        })
        .collect()
}

/// Up to `limit` records of a chain after `after_sequence` (0: from the
/// first), in chain order: the order they are verified and sent in.
pub async fn records_after(
    db: &Db,
    chain_id: i64,
    after_sequence: i64,
    limit: i64,
) -> Result<Vec<KeptRecord>, ServerError> {
    sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM verifactu_records
         WHERE chain_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3"
    ))
    .bind(chain_id)
    .bind(after_sequence)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(kept_record)
    .collect()
}

/// An invoice's records (its alta, and its anulación once voided), oldest
/// first; none for another organisation's invoice.
pub async fn for_invoice(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<Vec<KeptRecord>, ServerError> {
    sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM verifactu_records
         WHERE organisation_id = $1 AND invoice_id = $2 ORDER BY chain_id, sequence"
    ))
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(kept_record)
    .collect()
}
