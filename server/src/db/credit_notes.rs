//! Credit notes: rows of `invoices` of kind `credit_note` that correct an
//! issued invoice, numbered in their own series. Every query names the
//! organisation.

use invoice::credit_note::{self, CreditNoteInput, LineCredit};
use invoice::dates::Date;
use invoice::document::{Correction, DocumentKind, LegalChannel, PublicDocument};
use invoice::organisation::OrganisationId;
use invoice::problem::Problem;
use invoice::spain::SpanishProblem;
use invoice::transitions::{self, CreditNote};
use invoice::views::CreditNoteRow;
use invoice::Money;
use sqlx::{Any, Row};

use super::events::append;
use super::fatturapa::{self, FileOf};
use super::invoices::{self, apply, currency, locked_state, next_in_series, Series};
use super::verifactu::{self, AltaOf};
use super::{customers, random_id, stores, Db};
use crate::config::VerifactuSettings;
use crate::error::{invalid, refused, ServerError};

/// What the invoice's credit notes credited of each of its lines so far.
async fn credited_lines<'e, E>(
    executor: E,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<Vec<LineCredit>, ServerError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT credits FROM invoices
         WHERE organisation_id = $1 AND corrects_invoice_id = $2 AND kind = 'credit_note'",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_all(executor)
    .await?;
    let mut credited = Vec::new();
    for row in &rows {
        if let Some(json) = row.try_get::<Option<String>, _>("credits")? {
            credited.extend(serde_json::from_str::<Vec<LineCredit>>(&json)?);
        }
    }
    Ok(credited)
}

/// The invoice's frozen document and the credits its credit notes made: what
/// the credit note form offers. Another organisation's invoice is not found.
pub async fn creditable(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<(invoices::InvoiceRecord, Vec<LineCredit>), ServerError> {
    let invoice = invoices::get(db, organisation, invoice_id).await?;
    let credited = credited_lines(&db.pool, organisation, invoice_id).await?;
    Ok((invoice, credited))
}

/// Issues a credit note for `invoice_id` and returns its id. The invoice's
/// state is locked, its earlier credit notes read again and the form judged
/// again under the lock, the credit note numbered in its store's series and
/// both histories written, all in one transaction: concurrent credit notes
/// are judged one after the other, so together they never credit more than
/// the invoice, and a refused one gives its number back (no gaps). A
/// Spanish store's credit note gets its VERI*FACTU record (the legal ground
/// chosen, R1…R4, or R5 for a simplified invoice's) and the AEAT's QR code.
#[allow(clippy::too_many_arguments)]
pub async fn issue(
    db: &Db,
    verifactu: &VerifactuSettings,
    organisation: OrganisationId,
    user_id: i64,
    invoice_id: i64,
    input: &CreditNoteInput,
    today: Date,
    now_ms: i64,
) -> Result<i64, ServerError> {
    let invoice = invoices::get(db, organisation, invoice_id).await?;
    let Some(document) = invoice.document.clone() else {
        return Err(refused("invoice", Problem::InvoiceIsDraft));
    };
    if invoice.kind == DocumentKind::CreditNote {
        return Err(refused("invoice", Problem::CreditNoteOfCreditNote));
    }
    let store = stores::get(db, organisation, invoice.store_id).await?;
    let customer = customers::get(db, organisation, invoice.customer_id).await?;

    let mut tx = db.begin_write().await?;
    let state = locked_state(&mut tx, db.engine, organisation, invoice_id).await?;
    let credited = credited_lines(&mut *tx, organisation, invoice_id).await?;
    let valid = match input.validate(&document.lines, &credited, invoice.currency) {
        Ok(valid) => valid,
        Err(problems) => {
            tx.rollback().await?;
            return Err(invalid(problems));
        }
    };
    // A Spanish store's credit note of a full invoice states its legal
    // ground (R1 unless chosen); a simplified invoice's is R5 whatever it
    // is; another store's states none.
    let ground = match (&store.spain, valid.ground) {
        (None, Some(_)) => {
            tx.rollback().await?;
            return Err(refused(
                "ground",
                Problem::Spanish(SpanishProblem::CorrectionGroundOutsideSpain),
            ));
        }
        (None, None) => None,
        (Some(_), _) if document.simplified => None,
        (Some(_), chosen) => Some(chosen.unwrap_or_default()),
    };
    let sequence = next_in_series(
        &mut tx,
        Series::CreditNotes,
        invoice.store_id,
        &store.number_format,
        today.year,
    )
    .await?;
    let number = credit_note::number(&store.number_format, today.year, sequence);
    let mut note = PublicDocument {
        language: document.language,
        number: number.clone(),
        issue_date: today,
        due_date: None,
        currency: invoice.currency,
        seller: store.seller(),
        customer: customer.party(),
        lines: valid.lines.clone(),
        totals: valid.totals.clone(),
        notes: String::new(),
        legal_channel: store.italy.as_ref().map(|_| LegalChannel::Sdi),
        corrects: Some(Correction {
            number: document.number.clone(),
            issue_date: document.issue_date,
            reason: valid.reason.clone(),
            ground,
        }),
        tax_agency_check: None,
        simplified: false,
    };
    if let Some(seller) = &store.spain {
        note.tax_agency_check = Some(verifactu::tax_agency_check(verifactu, seller, &note));
    }
    let note_id: i64 = sqlx::query(
        "INSERT INTO invoices (organisation_id, store_id, customer_id, lifecycle, number, issue_date, sort_date, currency,
                total_minor, lines, notes, document, search_text, customer_name, edge_key, version, created_by, issued_by,
                created_at, updated_at, kind, corrects_invoice_id, credits)
         VALUES ($1, $2, $3, 'issued', $4, $5, $5, $6, $7, $8, '', $9, $10, $11, $12, 1, $13, $13, $14, $14, 'credit_note', $15, $16)
         RETURNING id",
    )
    .bind(organisation.0)
    .bind(invoice.store_id)
    .bind(invoice.customer_id)
    .bind(&number)
    .bind(today.to_string())
    .bind(invoice.currency.code())
    .bind(valid.totals.total.minor)
    .bind(serde_json::to_string(&valid.lines)?)
    .bind(serde_json::to_string(&note)?)
    .bind(format!(
        "{} {} {}",
        customer.name.to_lowercase(),
        number.to_lowercase(),
        document.number.to_lowercase()
    ))
    .bind(&customer.name)
    .bind(random_id())
    .bind(user_id)
    .bind(now_ms)
    .bind(invoice_id)
    .bind(serde_json::to_string(&valid.credits)?)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let credit = match transitions::credit(
        state,
        CreditNote {
            id: note_id,
            number,
            total: valid.totals.total,
            invoice_id,
            invoice_number: document.number.clone(),
        },
    ) {
        Ok(credit) => credit,
        Err(refusal) => {
            tx.rollback().await?;
            return Err(refusal.into());
        }
    };
    // A Spanish store's record, before any history entry: the chain's lock
    // comes before the history's (see `verifactu`).
    if let Some(seller) = &store.spain {
        let of = AltaOf {
            organisation,
            store_id: invoice.store_id,
            invoice_id: note_id,
            document: &note,
            corrects_invoice_id: Some(invoice_id),
            seller,
            customer: &customer,
        };
        if let Err(refusal) = verifactu::keep_alta(&mut tx, db.engine, verifactu, of, now_ms).await
        {
            tx.rollback().await?;
            return Err(refusal);
        }
    }
    apply(
        &mut tx,
        organisation,
        invoice_id,
        &credit.invoice,
        Some(user_id),
        now_ms,
    )
    .await?;
    for event in &credit.credit_note_events {
        append(&mut tx, organisation, note_id, event, Some(user_id), now_ms).await?;
    }
    // An Italian store's credit note is a FatturaPA file too (TD04).
    if let Some(seller) = &store.italy {
        let of = FileOf {
            organisation,
            store_id: invoice.store_id,
            invoice_id: note_id,
            document: &note,
            store_name: &store.name,
            seller,
            customer: &customer,
        };
        if let Err(refusal) = fatturapa::build_in(&mut tx, of, now_ms).await {
            tx.rollback().await?;
            return Err(refusal);
        }
    }
    tx.commit().await?;
    Ok(note_id)
}

/// The credit notes that correct an invoice, oldest first.
pub async fn for_invoice(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<Vec<CreditNoteRow>, ServerError> {
    sqlx::query(
        "SELECT id, number, issue_date, total_minor, currency FROM invoices
         WHERE organisation_id = $1 AND corrects_invoice_id = $2 AND kind = 'credit_note'
         ORDER BY id",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|row| {
        Ok(CreditNoteRow {
            id: row.try_get("id")?,
            number: row.try_get("number")?,
            issue_date: invoices::optional_date(row, "issue_date")?
                .ok_or_else(|| ServerError::Corrupt("credit note without a date".into()))?,
            total: Money::new(row.try_get("total_minor")?, currency(row)?),
        })
    })
    .collect()
}

/// The invoice a credit note corrects, for its page: the invoice's id and
/// number; None for an invoice.
pub async fn corrected(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<Option<(i64, String)>, ServerError> {
    let row = sqlx::query(
        "SELECT c.id, c.number FROM invoices n JOIN invoices c ON c.id = n.corrects_invoice_id
         WHERE n.organisation_id = $1 AND n.id = $2 AND c.organisation_id = $1",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| Ok((row.try_get("id")?, row.try_get("number")?)))
        .transpose()
}
