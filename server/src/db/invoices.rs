//! Invoices from draft to issued or void, their numbers and their payments.
//! Every query names the organisation.

use invoice::customer::CustomerDetails;
use invoice::dates::Date;
use invoice::document::{
    line_treatment_problems, DocumentKind, DocumentLine, FieldError, LegalChannel, PublicDocument,
    ValidDraft,
};
use invoice::history::{HistoryEntry, HistoryEvent, PaymentEvent, StoredEvent};
use invoice::organisation::OrganisationId;
use invoice::payment::{PaymentMethod, ValidPayment};
use invoice::problem::Problem;
use invoice::status::{amount_owed, derive_status, InvoiceStatus, Lifecycle, MerchantStatus};
use invoice::store::{NumberFormat, StoreSettings};
use invoice::transitions::{self, InvoiceState, Issue, Transition};
use invoice::views::{
    EmailState, InvoiceFilter, InvoicePage, InvoiceRow, InvoiceSort, PaymentRow, INVOICE_PAGE_SIZE,
};
use invoice::{Currency, Money};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::events::append;
use super::fatturapa::{self, FileOf};
use super::verifactu::{self, AltaOf};
use super::{customers, random_id, stores, Db, Engine};
use crate::config::VerifactuSettings;
use crate::error::{invalid, refused, InvalidInput, ServerError};

/// An invoice row as stored, drafts and issued alike.
pub struct InvoiceRecord {
    pub id: i64,
    pub store_id: i64,
    pub customer_id: i64,
    pub lifecycle: Lifecycle,
    pub number: Option<String>,
    pub issue_date: Option<Date>,
    pub due_date: Option<Date>,
    pub currency: Currency,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub lines: Vec<DocumentLine>,
    pub notes: String,
    pub document: Option<PublicDocument>,
    pub customer_name: String,
    pub edge_key: String,
    pub version: i64,
    pub kind: DocumentKind,
    /// On an invoice, the sum of its credit notes.
    pub credited_minor: i64,
    /// On a credit note, the invoice it corrects.
    pub corrects_invoice_id: Option<i64>,
}

impl InvoiceRecord {
    pub fn status(&self, today: Date) -> InvoiceStatus {
        derive_status(
            self.lifecycle,
            self.total_minor,
            self.paid_minor,
            self.credited_minor,
            self.due_date,
            today,
        )
    }

    /// What its PDF shows as paid and credited.
    pub fn settlement(&self) -> invoice::pdf::Settlement {
        invoice::pdf::Settlement {
            paid_minor: self.paid_minor,
            credited_minor: self.credited_minor,
        }
    }

    /// What is left to pay once payments and credit notes are taken off;
    /// nothing on a credit note, which gives back rather than asks.
    pub fn amount_due(&self) -> i64 {
        match self.kind {
            DocumentKind::Invoice => {
                amount_owed(self.total_minor, self.paid_minor, self.credited_minor)
            }
            DocumentKind::CreditNote => 0,
        }
    }
}

/// The invoice's state, read in the caller's write transaction and kept from
/// other writers until it ends (Postgres locks the row; SQLite's write
/// transaction holds the whole database already).
pub async fn locked_state(
    tx: &mut Transaction<'_, Any>,
    engine: Engine,
    organisation: OrganisationId,
    id: i64,
) -> Result<InvoiceState, ServerError> {
    let lock = engine.row_lock();
    let row = sqlx::query(&format!(
        "SELECT lifecycle, version, total_minor, paid_minor, kind, credited_minor FROM invoices
         WHERE organisation_id = $1 AND id = $2 {lock}"
    ))
    .bind(organisation.0)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(ServerError::NotFound)?;
    Ok(InvoiceState {
        lifecycle: lifecycle(&row)?,
        version: row.try_get("version")?,
        total_minor: row.try_get("total_minor")?,
        paid_minor: row.try_get("paid_minor")?,
        kind: kind(&row)?,
        credited_minor: row.try_get("credited_minor")?,
    })
}

/// Persists what a transition decided: the invoice's new state and its
/// history entries.
pub(super) async fn apply(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    id: i64,
    transition: &Transition,
    user_id: Option<i64>,
    now_ms: i64,
) -> Result<(), ServerError> {
    let state = transition.state;
    sqlx::query(
        "UPDATE invoices SET lifecycle = $1, version = $2, total_minor = $3, paid_minor = $4, updated_at = $5,
                credited_minor = $8
         WHERE organisation_id = $6 AND id = $7",
    )
    .bind(state.lifecycle.code())
    .bind(state.version)
    .bind(state.total_minor)
    .bind(state.paid_minor)
    .bind(now_ms)
    .bind(organisation.0)
    .bind(id)
    .bind(state.credited_minor)
    .execute(&mut **tx)
    .await?;
    for event in &transition.events {
        append(tx, organisation, id, event, user_id, now_ms).await?;
    }
    Ok(())
}

fn corrupt(what: &str) -> impl Fn(invoice::dates::DateError) -> ServerError + '_ {
    move |error| ServerError::Corrupt(format!("{what}: {}", error.0))
}

pub(super) fn optional_date(row: &AnyRow, column: &str) -> Result<Option<Date>, ServerError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| Date::parse(&text).map_err(corrupt(column)))
        .transpose()
}

pub(super) fn kind(row: &AnyRow) -> Result<DocumentKind, ServerError> {
    DocumentKind::parse(&row.try_get::<String, _>("kind")?)
        .ok_or_else(|| ServerError::Corrupt("unknown document kind".into()))
}

pub(super) fn currency(row: &AnyRow) -> Result<Currency, ServerError> {
    Currency::parse(&row.try_get::<String, _>("currency")?)
        .map_err(|error| ServerError::Corrupt(error.to_string()))
}

fn lifecycle(row: &AnyRow) -> Result<Lifecycle, ServerError> {
    Lifecycle::parse(&row.try_get::<String, _>("lifecycle")?)
        .ok_or_else(|| ServerError::Corrupt("unknown lifecycle".into()))
}

pub(super) const RECORD_COLUMNS: &str = "id, store_id, customer_id, lifecycle, number, issue_date, due_date, currency, total_minor, paid_minor, lines, notes, document, customer_name, edge_key, version, kind, credited_minor, corrects_invoice_id";

pub(super) fn record(row: &AnyRow) -> Result<InvoiceRecord, ServerError> {
    Ok(InvoiceRecord {
        id: row.try_get("id")?,
        store_id: row.try_get("store_id")?,
        customer_id: row.try_get("customer_id")?,
        lifecycle: lifecycle(row)?,
        number: row.try_get("number")?,
        issue_date: optional_date(row, "issue_date")?,
        due_date: optional_date(row, "due_date")?,
        currency: currency(row)?,
        total_minor: row.try_get("total_minor")?,
        paid_minor: row.try_get("paid_minor")?,
        lines: serde_json::from_str(&row.try_get::<String, _>("lines")?)?,
        notes: row.try_get("notes")?,
        document: row
            .try_get::<Option<String>, _>("document")?
            .map(|json| serde_json::from_str(&json))
            .transpose()?,
        customer_name: row.try_get("customer_name")?,
        edge_key: row.try_get("edge_key")?,
        version: row.try_get("version")?,
        kind: kind(row)?,
        credited_minor: row.try_get("credited_minor")?,
        corrects_invoice_id: row.try_get("corrects_invoice_id")?,
    })
}

pub async fn get(
    db: &Db,
    organisation: OrganisationId,
    id: i64,
) -> Result<InvoiceRecord, ServerError> {
    let row = sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM invoices WHERE organisation_id = $1 AND id = $2"
    ))
    .bind(organisation.0)
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(ServerError::NotFound)?;
    record(&row)
}

/// The store's currency and the customer's name, refusing either when it is
/// not this organisation's.
async fn draft_parties(
    db: &Db,
    organisation: OrganisationId,
    store_id: i64,
    customer_id: i64,
) -> Result<(Currency, String), ServerError> {
    let store = stores::get(db, organisation, store_id).await;
    let customer = customers::get(db, organisation, customer_id).await;
    let mut problems = Vec::new();
    if matches!(store, Err(ServerError::NotFound)) {
        problems.push(FieldError::new("store_id", Problem::UnknownStore));
    }
    if matches!(customer, Err(ServerError::NotFound)) {
        problems.push(FieldError::new("customer_id", Problem::UnknownCustomer));
    }
    if !problems.is_empty() {
        return Err(ServerError::Invalid(InvalidInput(problems)));
    }
    Ok((store?.currency, customer?.name))
}

/// The currency a draft is written in: its store's.
/// The store a draft names, which sets its currency and whether its lines
/// say how they are taxed in Spain; refused beside `store_id` when it is
/// not the organisation's.
pub async fn draft_store(
    db: &Db,
    organisation: OrganisationId,
    store_id: i64,
) -> Result<StoreSettings, ServerError> {
    match stores::get(db, organisation, store_id).await {
        Ok(store) => Ok(store),
        Err(ServerError::NotFound) => Err(refused("store_id", Problem::UnknownStore)),
        Err(other) => Err(other),
    }
}

pub async fn insert_draft(
    db: &Db,
    organisation: OrganisationId,
    user_id: i64,
    draft: &ValidDraft,
    today: Date,
    now_ms: i64,
) -> Result<i64, ServerError> {
    let (currency, customer_name) =
        draft_parties(db, organisation, draft.store_id, draft.customer_id).await?;
    let created = transitions::create_draft(draft.totals.total.minor);
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO invoices (organisation_id, store_id, customer_id, lifecycle, issue_date, due_date, sort_date, currency, total_minor, lines, notes, search_text, customer_name, edge_key, version, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id",
    )
    .bind(organisation.0)
    .bind(draft.store_id)
    .bind(draft.customer_id)
    .bind(created.state.lifecycle.code())
    .bind(draft.issue_date.map(|date| date.to_string()))
    .bind(draft.due_date.map(|date| date.to_string()))
    .bind(draft.issue_date.unwrap_or(today).to_string())
    .bind(currency.code())
    .bind(created.state.total_minor)
    .bind(serde_json::to_string(&draft.lines)?)
    .bind(&draft.notes)
    .bind(customer_name.to_lowercase())
    .bind(&customer_name)
    .bind(random_id())
    .bind(created.state.version)
    .bind(user_id)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    apply(&mut tx, organisation, id, &created, Some(user_id), now_ms).await?;
    tx.commit().await?;
    Ok(id)
}

/// Saves a draft the merchant opened at `version`. A save based on an older
/// version is refused rather than overwriting someone else's changes.
pub async fn update_draft(
    db: &Db,
    organisation: OrganisationId,
    id: i64,
    version: i64,
    draft: &ValidDraft,
    today: Date,
    now_ms: i64,
) -> Result<(), ServerError> {
    let (currency, customer_name) =
        draft_parties(db, organisation, draft.store_id, draft.customer_id).await?;
    let mut tx = db.begin_write().await?;
    let state = locked_state(&mut tx, db.engine, organisation, id).await?;
    let edited = transitions::edit_draft(state, version, draft.totals.total.minor)?;
    sqlx::query(
        "UPDATE invoices SET store_id = $1, customer_id = $2, issue_date = $3, due_date = $4, sort_date = $5, currency = $6,
                lines = $7, notes = $8, search_text = $9, customer_name = $10
         WHERE organisation_id = $11 AND id = $12",
    )
    .bind(draft.store_id)
    .bind(draft.customer_id)
    .bind(draft.issue_date.map(|date| date.to_string()))
    .bind(draft.due_date.map(|date| date.to_string()))
    .bind(draft.issue_date.unwrap_or(today).to_string())
    .bind(currency.code())
    .bind(serde_json::to_string(&draft.lines)?)
    .bind(&draft.notes)
    .bind(customer_name.to_lowercase())
    .bind(&customer_name)
    .bind(organisation.0)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    apply(&mut tx, organisation, id, &edited, None, now_ms).await?;
    tx.commit().await?;
    Ok(())
}

/// A draft just issued, its transaction still open: the caller adds what
/// must happen with the issue (the automatic send) and commits.
pub struct Issued {
    pub tx: Transaction<'static, Any>,
    pub document: PublicDocument,
    pub store: StoreSettings,
    pub customer: CustomerDetails,
}

/// A store's numbering series: its invoices', or its credit notes' own.
#[derive(Debug, Clone, Copy)]
pub enum Series {
    Invoices,
    CreditNotes,
}

/// The next sequence of a store's series for `year`, in the caller's
/// transaction. One statement both engines run atomically: the series row
/// stays locked until commit, so concurrent issuers get consecutive
/// numbers, and a rolled-back issue gives its number back (no gaps).
pub async fn next_in_series(
    tx: &mut Transaction<'static, Any>,
    series: Series,
    store_id: i64,
    format: &NumberFormat,
    year: i32,
) -> Result<i64, ServerError> {
    // A pattern without the year never restarts: its series lives under year 0.
    let series_year = if format.restarts_each_year() {
        i64::from(year)
    } else {
        0
    };
    let table = match series {
        Series::Invoices => "number_series",
        Series::CreditNotes => "credit_note_series",
    };
    Ok(sqlx::query(&format!(
        "INSERT INTO {table} (store_id, year, last_number) VALUES ($1, $2, 1)
         ON CONFLICT (store_id, year) DO UPDATE SET last_number = {table}.last_number + 1
         RETURNING last_number"
    ))
    .bind(store_id)
    .bind(series_year)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?)
}

/// Issues a draft: assigns the store's next number and freezes the document.
/// Everything is read before the transaction begins, so concurrent issuers
/// never hold a connection while waiting for another. An Italian store's
/// invoice gets its FatturaPA file, a Spanish store's its VERI*FACTU record
/// and the AEAT's QR code, in the same transaction.
#[allow(clippy::too_many_arguments)]
pub async fn issue(
    db: &Db,
    verifactu: &VerifactuSettings,
    organisation: OrganisationId,
    user_id: i64,
    id: i64,
    version: i64,
    today: Date,
    now_ms: i64,
) -> Result<Issued, ServerError> {
    // A draft read here at another version than `version` is refused below,
    // where the version is read again under the transaction's lock.
    let draft = get(db, organisation, id).await?;
    let store = stores::get(db, organisation, draft.store_id).await?;
    let customer = customers::get(db, organisation, draft.customer_id).await?;
    let issue_date = draft.issue_date.unwrap_or(today);
    let totals = invoice::document::totals(&draft.lines, draft.currency)
        .map_err(|_| refused("lines", Problem::TotalTooLarge))?;
    // The store may have started or stopped keeping VERI*FACTU records
    // since the draft was saved.
    let treatment_problems = line_treatment_problems(&draft.lines, store.spain.is_some());
    if !treatment_problems.is_empty() {
        return Err(invalid(treatment_problems));
    }
    let mut tx = db.begin_write().await?;
    let state = locked_state(&mut tx, db.engine, organisation, id).await?;

    let sequence = next_in_series(
        &mut tx,
        Series::Invoices,
        draft.store_id,
        &store.number_format,
        issue_date.year,
    )
    .await?;
    let number = store.number_format.format(issue_date.year, sequence);
    let issued = match transitions::issue(
        state,
        version,
        Issue {
            number: number.clone(),
            issue_date,
            due_date: draft.due_date,
            total_minor: totals.total.minor,
        },
    ) {
        Ok(issued) => issued,
        Err(refusal) => {
            tx.rollback().await?;
            return Err(refusal.into());
        }
    };
    let mut document = PublicDocument {
        language: customer.language,
        number: number.clone(),
        issue_date,
        due_date: draft.due_date,
        currency: draft.currency,
        seller: store.seller(),
        customer: customer.party(),
        lines: draft.lines,
        totals,
        notes: draft.notes,
        legal_channel: store.italy.as_ref().map(|_| LegalChannel::Sdi),
        corrects: None,
        tax_agency_check: None,
        simplified: false,
    };
    if let Some(seller) = &store.italy {
        let built = fatturapa::build_in(
            &mut tx,
            FileOf {
                organisation,
                store_id: draft.store_id,
                invoice_id: id,
                document: &document,
                store_name: &store.name,
                seller,
                customer: &customer,
            },
            now_ms,
        )
        .await;
        if let Err(refusal) = built {
            tx.rollback().await?;
            return Err(refusal);
        }
    }
    if let Some(seller) = &store.spain {
        // A customer without a tax id gets a simplified invoice (F2), titled
        // so; a tax id that is not one is refused with the record below.
        document.simplified = matches!(
            invoice::spain::recipient_id(customer.tax_id.as_deref()),
            Ok(None)
        );
        document.tax_agency_check = Some(verifactu::tax_agency_check(verifactu, seller, &document));
        let kept = verifactu::keep_alta(
            &mut tx,
            db.engine,
            verifactu,
            AltaOf {
                organisation,
                store_id: draft.store_id,
                invoice_id: id,
                document: &document,
                corrects_invoice_id: None,
                seller,
                customer: &customer,
            },
            now_ms,
        )
        .await;
        if let Err(refusal) = kept {
            tx.rollback().await?;
            return Err(refusal);
        }
    }
    sqlx::query(
        "UPDATE invoices SET number = $1, issue_date = $2, sort_date = $2, document = $3,
                search_text = $4, customer_name = $5, issued_by = $6
         WHERE organisation_id = $7 AND id = $8",
    )
    .bind(&number)
    .bind(issue_date.to_string())
    .bind(serde_json::to_string(&document)?)
    .bind(format!(
        "{} {}",
        customer.name.to_lowercase(),
        number.to_lowercase()
    ))
    .bind(&customer.name)
    .bind(user_id)
    .bind(organisation.0)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    apply(&mut tx, organisation, id, &issued, Some(user_id), now_ms).await?;
    Ok(Issued {
        tx,
        document,
        store,
        customer,
    })
}

/// Whether a tax authority's channel carried the invoice (for now SdI: a
/// transmission was queued for it): the one place that decides it, so
/// voiding asks here. A transmitted invoice is corrected by a credit note.
async fn transmitted(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    id: i64,
) -> Result<bool, ServerError> {
    let transmissions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sdi_transmissions WHERE organisation_id = $1 AND invoice_id = $2",
    )
    .bind(organisation.0)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(transmissions > 0)
}

/// Voids an issued invoice. One that has a VERI*FACTU record gets its
/// registro de anulación in the same transaction.
pub async fn void(
    db: &Db,
    verifactu: &VerifactuSettings,
    organisation: OrganisationId,
    user_id: i64,
    id: i64,
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    let state = locked_state(&mut tx, db.engine, organisation, id).await?;
    let transmitted = transmitted(&mut tx, organisation, id).await?;
    let voided = transitions::void(state, transmitted)?;
    // The chain's lock comes before the history's (see `verifactu`).
    let kept =
        verifactu::keep_anulacion(&mut tx, db.engine, verifactu, organisation, id, now_ms).await;
    if let Err(refusal) = kept {
        tx.rollback().await?;
        return Err(refusal);
    }
    apply(&mut tx, organisation, id, &voided, Some(user_id), now_ms).await?;
    tx.commit().await?;
    Ok(())
}

/// A new draft with the same store, customer, lines and notes; dates are
/// left for the merchant to set.
pub async fn duplicate(
    db: &Db,
    organisation: OrganisationId,
    user_id: i64,
    id: i64,
    today: Date,
    now_ms: i64,
) -> Result<i64, ServerError> {
    let source = get(db, organisation, id).await?;
    let totals = invoice::document::totals(&source.lines, source.currency)
        .map_err(|_| refused("lines", Problem::TotalTooLarge))?;
    let draft = ValidDraft {
        customer_id: source.customer_id,
        store_id: source.store_id,
        issue_date: None,
        due_date: None,
        notes: source.notes,
        lines: source.lines,
        totals,
    };
    insert_draft(db, organisation, user_id, &draft, today, now_ms).await
}

/// Records a payment against an issued invoice, never beyond what is due:
/// the invoice's state is read under the transaction's lock, so concurrent
/// payments are judged one after the other.
pub async fn record_payment(
    db: &Db,
    organisation: OrganisationId,
    user_id: i64,
    invoice_id: i64,
    payment: &ValidPayment,
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    let state = locked_state(&mut tx, db.engine, organisation, invoice_id).await?;
    let recorded = transitions::record_payment(
        state,
        PaymentEvent {
            amount: payment.amount,
            method: payment.method,
        },
    )?;
    sqlx::query(
        "INSERT INTO payments (organisation_id, invoice_id, amount_minor, paid_on, method, reference, recorded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .bind(payment.amount.minor)
    .bind(payment.date.to_string())
    .bind(payment.method.code())
    .bind(&payment.reference)
    .bind(user_id)
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    apply(
        &mut tx,
        organisation,
        invoice_id,
        &recorded,
        Some(user_id),
        now_ms,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks a payment deleted (it stays in the history) and takes it off the
/// amount paid, in one transaction.
pub async fn delete_payment(
    db: &Db,
    organisation: OrganisationId,
    user_id: i64,
    invoice_id: i64,
    payment_id: i64,
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    let state = locked_state(&mut tx, db.engine, organisation, invoice_id).await?;
    let row = sqlx::query(
        "UPDATE payments SET deleted_at = $1, deleted_by = $2
         WHERE organisation_id = $3 AND invoice_id = $4 AND id = $5 AND deleted_at IS NULL
         RETURNING amount_minor, method",
    )
    .bind(now_ms)
    .bind(user_id)
    .bind(organisation.0)
    .bind(invoice_id)
    .bind(payment_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ServerError::NotFound)?;
    let method = PaymentMethod::parse(&row.try_get::<String, _>("method")?)
        .ok_or_else(|| ServerError::Corrupt("unknown payment method".into()))?;
    let currency = get_currency(&mut tx, organisation, invoice_id).await?;
    let deleted = transitions::delete_payment(
        state,
        PaymentEvent {
            amount: Money::new(row.try_get("amount_minor")?, currency),
            method,
        },
    );
    apply(
        &mut tx,
        organisation,
        invoice_id,
        &deleted,
        Some(user_id),
        now_ms,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn get_currency(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<Currency, ServerError> {
    let row = sqlx::query("SELECT currency FROM invoices WHERE organisation_id = $1 AND id = $2")
        .bind(organisation.0)
        .bind(invoice_id)
        .fetch_one(&mut **tx)
        .await?;
    currency(&row)
}

pub async fn payments(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
    currency: Currency,
) -> Result<Vec<PaymentRow>, ServerError> {
    sqlx::query(
        "SELECT id, amount_minor, paid_on, method, reference, deleted_at, created_at FROM payments
         WHERE organisation_id = $1 AND invoice_id = $2 ORDER BY paid_on, id",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|row| {
        Ok(PaymentRow {
            id: row.try_get("id")?,
            amount: Money::new(row.try_get("amount_minor")?, currency),
            date: Date::parse(&row.try_get::<String, _>("paid_on")?).map_err(corrupt("paid_on"))?,
            method: PaymentMethod::parse(&row.try_get::<String, _>("method")?)
                .ok_or_else(|| ServerError::Corrupt("unknown payment method".into()))?,
            reference: row.try_get("reference")?,
            deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
            recorded_at_ms: row.try_get("created_at")?,
        })
    })
    .collect()
}

/// The invoice's history, oldest first. An entry this release cannot read
/// (written by hand, or by a newer release rolled back) is left out and
/// logged: one unreadable entry must not take the invoice's page, or what the
/// customer sees of it, down with it.
pub async fn history(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<Vec<HistoryEntry>, ServerError> {
    let rows = sqlx::query(
        "SELECT kind, detail, automated, counts_as_open, recipient, device, browser, at, last_at, repeat_count FROM events
         WHERE organisation_id = $1 AND invoice_id = $2 ORDER BY at, id",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_all(&db.pool)
    .await?;
    let mut entries = Vec::with_capacity(rows.len());
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
        match HistoryEvent::from_stored(&stored) {
            Ok(event) => entries.push(HistoryEntry {
                at_ms: row.try_get("at")?,
                event,
                count: row.try_get("repeat_count")?,
                last_at_ms: row.try_get("last_at")?,
            }),
            Err(unreadable) => {
                tracing::warn!(invoice = invoice_id, %unreadable, "history entry left out")
            }
        }
    }
    Ok(entries)
}

/// Where the invoice's latest email to the customer stands, and how many
/// sends were asked for.
pub async fn email_state(
    db: &Db,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<(EmailState, i64), ServerError> {
    let row = sqlx::query(&format!(
        "SELECT {EMAIL_COLUMNS} FROM invoices i WHERE i.organisation_id = $1 AND i.id = $2"
    ))
    .bind(organisation.0)
    .bind(invoice_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(ServerError::NotFound)?;
    Ok((email(&row)?, row.try_get("sends")?))
}

/// The columns of an invoice's email and open state, per row of `invoices i`.
pub(super) const EMAIL_COLUMNS: &str = "
    (SELECT o.status FROM outbox o WHERE o.invoice_id = i.id AND o.audience = 'customer' AND o.status <> 'cancelled' ORDER BY o.id DESC LIMIT 1) AS email_status,
    (SELECT o.sent_at FROM outbox o WHERE o.invoice_id = i.id AND o.audience = 'customer' AND o.status <> 'cancelled' ORDER BY o.id DESC LIMIT 1) AS email_sent_at,
    (SELECT o.last_reply FROM outbox o WHERE o.invoice_id = i.id AND o.audience = 'customer' AND o.status <> 'cancelled' ORDER BY o.id DESC LIMIT 1) AS email_reply,
    (SELECT COUNT(*) FROM send_requests r WHERE r.invoice_id = i.id) AS sends,
    (SELECT MIN(e.at) FROM events e WHERE e.invoice_id = i.id AND e.counts_as_open = 1) AS first_opened,
    (SELECT COUNT(*) FROM events e WHERE e.invoice_id = i.id AND e.counts_as_open = 1) AS open_count";

pub(super) fn email(row: &AnyRow) -> Result<EmailState, ServerError> {
    Ok(
        match row.try_get::<Option<String>, _>("email_status")?.as_deref() {
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
            // Pending with a reply from the mail server: an attempt failed.
            Some(_) => match row.try_get::<Option<String>, _>("email_reply")? {
                Some(reason) => EmailState::Retrying { reason },
                None => EmailState::Queued,
            },
        },
    )
}

/// Positional parameters for a query assembled from optional parts; each
/// part names its parameter by the number `push` returns.
#[derive(Default, Clone)]
struct Params(Vec<Param>);

#[derive(Clone)]
enum Param {
    Int(i64),
    Text(String),
}

impl Params {
    fn push(&mut self, param: Param) -> String {
        self.0.push(param);
        format!("${}", self.0.len())
    }

    fn bind<'q>(
        self,
        mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
        for param in self.0 {
            query = match param {
                Param::Int(value) => query.bind(value),
                Param::Text(value) => query.bind(value),
            };
        }
        query
    }
}

/// The condition of a status filter. Paid, partially paid, overdue and
/// credited are derived the way `invoice::status::derive_status` derives them.
fn status_condition(status: &str, today: &str) -> Option<String> {
    let overdue = format!("(i.due_date IS NOT NULL AND i.due_date < '{today}')");
    let issued = "i.lifecycle = 'issued'";
    let credited = "(i.credited_minor > 0 AND i.credited_minor >= i.total_minor)";
    let unpaid = "i.paid_minor + i.credited_minor < i.total_minor";
    Some(match InvoiceStatus::parse(status) {
        Some(InvoiceStatus::Draft) => "i.lifecycle = 'draft'".into(),
        Some(InvoiceStatus::Void) => "i.lifecycle = 'void'".into(),
        Some(InvoiceStatus::Credited) => format!("{issued} AND {credited}"),
        Some(InvoiceStatus::Paid) => {
            format!(
                "{issued} AND NOT {credited} AND i.paid_minor + i.credited_minor >= i.total_minor"
            )
        }
        Some(InvoiceStatus::Overdue) => format!("{issued} AND {unpaid} AND {overdue}"),
        Some(InvoiceStatus::PartiallyPaid) => {
            format!("{issued} AND {unpaid} AND i.paid_minor > 0 AND NOT {overdue}")
        }
        Some(InvoiceStatus::Issued) => {
            format!("{issued} AND {unpaid} AND i.paid_minor = 0 AND NOT {overdue}")
        }
        None if status == "unpaid" => format!("{issued} AND {unpaid} AND i.kind = 'invoice'"),
        None => return None,
    })
}

/// One page of the invoice list, filtered and sorted, with keyset
/// pagination: the cursor is the sort value and id of the last row shown.
pub async fn list(
    db: &Db,
    organisation: OrganisationId,
    filter: &InvoiceFilter,
    today: Date,
    now_ms: i64,
) -> Result<InvoicePage, ServerError> {
    let today_text = today.to_string();
    let mut params = Params::default();
    let mut conditions = vec![format!(
        "i.organisation_id = {}",
        params.push(Param::Int(organisation.0))
    )];
    // `today` is a Date we formatted, never input, so it is safe inline.
    if let Some(condition) = status_condition(&filter.status, &today_text) {
        conditions.push(condition);
    }
    if let Some(kind) = DocumentKind::parse(&filter.kind) {
        conditions.push(format!("i.kind = '{}'", kind.code()));
    }
    let text = filter.text.trim().to_lowercase();
    if !text.is_empty() {
        let pattern = params.push(Param::Text(format!("%{}%", customers::escape_like(&text))));
        conditions.push(format!("i.search_text LIKE {pattern} ESCAPE '\\'"));
    }
    if let Some(store_id) = filter.store {
        conditions.push(format!(
            "i.store_id = {}",
            params.push(Param::Int(store_id))
        ));
    }
    if let Some(customer_id) = filter.customer {
        conditions.push(format!(
            "i.customer_id = {}",
            params.push(Param::Int(customer_id))
        ));
    }
    let currency = Currency::parse(&filter.currency).ok();
    if let Some(currency) = currency {
        conditions.push(format!(
            "i.currency = {}",
            params.push(Param::Text(currency.code().to_owned()))
        ));
    }
    // A chase rule is `invoice::chase`'s: the open invoices it picks are
    // found by it, and the list keeps those ids.
    let chase = filter.chase();
    if !chase.is_empty() {
        let scope = super::chase::Scope {
            store_id: filter.store,
            currency,
            customer_id: filter.customer,
        };
        let ids = super::chase::matching_ids(db, organisation, scope, chase, today, now_ms).await?;
        conditions.push(if ids.is_empty() {
            "1 = 0".to_owned()
        } else {
            // Integers read from the database, never input: safe inline,
            // and not bounded by either engine's number of parameters.
            format!(
                "i.id IN ({})",
                ids.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
    }
    let count_sql = format!(
        "SELECT COUNT(*) FROM invoices i
         JOIN customers c ON c.id = i.customer_id AND c.organisation_id = i.organisation_id
         WHERE {}",
        conditions.join(" AND ")
    );
    let count: i64 = params
        .clone()
        .bind(sqlx::query(&count_sql))
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    let column = match filter.sort {
        InvoiceSort::Date => "i.sort_date",
        InvoiceSort::Customer => "i.customer_name",
        InvoiceSort::Total => "i.total_minor",
    };
    let (order, beyond) = if filter.ascending {
        ("ASC", ">")
    } else {
        ("DESC", "<")
    };
    if let Some((value, id)) = filter
        .after
        .as_deref()
        .and_then(|cursor| cursor.rsplit_once('\u{1f}'))
        .and_then(|(value, id)| Some((value, id.parse::<i64>().ok()?)))
    {
        let value = match filter.sort {
            InvoiceSort::Total => params.push(Param::Int(value.parse().unwrap_or_default())),
            _ => params.push(Param::Text(value.to_owned())),
        };
        let id = params.push(Param::Int(id));
        conditions.push(format!(
            "({column} {beyond} {value} OR ({column} = {value} AND i.id {beyond} {id}))"
        ));
    }
    let limit = params.push(Param::Int(INVOICE_PAGE_SIZE as i64 + 1));
    let sql = format!(
        "SELECT i.id, i.customer_id, i.lifecycle, i.number, i.issue_date, i.due_date, i.sort_date, i.currency, i.total_minor, i.paid_minor,
                i.kind, i.credited_minor, i.customer_name, c.email AS customer_email, s.time_zone, {EMAIL_COLUMNS},
                (SELECT COUNT(*) FROM fatturapa_files f WHERE f.invoice_id = i.id) AS fatturapa_files
         FROM invoices i
         JOIN customers c ON c.id = i.customer_id AND c.organisation_id = i.organisation_id
         JOIN stores s ON s.id = i.store_id
         WHERE {}
         ORDER BY {column} {order}, i.id {order}
         LIMIT {limit}",
        conditions.join(" AND ")
    );
    let rows = params.bind(sqlx::query(&sql)).fetch_all(&db.pool).await?;
    let next = if rows.len() > INVOICE_PAGE_SIZE {
        rows.get(INVOICE_PAGE_SIZE - 1)
            .map(|row| -> Result<String, ServerError> {
                let value = match filter.sort {
                    InvoiceSort::Date => row.try_get::<String, _>("sort_date")?,
                    InvoiceSort::Customer => row.try_get::<String, _>("customer_name")?,
                    InvoiceSort::Total => row.try_get::<i64, _>("total_minor")?.to_string(),
                };
                Ok(format!("{value}\u{1f}{}", row.try_get::<i64, _>("id")?))
            })
            .transpose()?
    } else {
        None
    };
    let mut rows: Vec<InvoiceRow> = rows
        .iter()
        .take(INVOICE_PAGE_SIZE)
        .map(|row| invoice_row(row, today))
        .collect::<Result<_, _>>()?;
    let mut verdicts = authority_events(db, organisation, &rows).await?;
    for row in &mut rows {
        let events = verdicts.remove(&row.id).unwrap_or_default();
        row.merchant_status = MerchantStatus::of(row.status, &events);
    }
    Ok(InvoicePage { rows, next, count })
}

/// The tax authorities' entries (SdI's, the AEAT's) in the histories of
/// the listed invoices, oldest first, by invoice: what their pills read
/// beside their status.
async fn authority_events(
    db: &Db,
    organisation: OrganisationId,
    rows: &[InvoiceRow],
) -> Result<std::collections::HashMap<i64, Vec<HistoryEvent>>, ServerError> {
    let mut events: std::collections::HashMap<i64, Vec<HistoryEvent>> = Default::default();
    if rows.is_empty() {
        return Ok(events);
    }
    // Ids and kinds are ours (integers read from the database, constants).
    let ids = rows
        .iter()
        .map(|row| row.id.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let kinds = invoice::sdi::SdiEvent::KINDS
        .iter()
        .chain(invoice::aeat::AeatEvent::KINDS.iter())
        .map(|kind| format!("'{kind}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let stored = sqlx::query(&format!(
        "SELECT invoice_id, kind, detail FROM events
         WHERE organisation_id = $1 AND invoice_id IN ({ids}) AND kind IN ({kinds})
         ORDER BY at, id"
    ))
    .bind(organisation.0)
    .fetch_all(&db.pool)
    .await?;
    for row in &stored {
        let event = StoredEvent {
            kind: row.try_get("kind")?,
            detail: row.try_get("detail")?,
            recipient: None,
            automated: false,
            counts_as_open: false,
            device: None,
            browser: None,
        };
        if let Ok(event) = HistoryEvent::from_stored(&event) {
            events
                .entry(row.try_get("invoice_id")?)
                .or_default()
                .push(event);
        }
    }
    Ok(events)
}

fn invoice_row(row: &AnyRow, today: Date) -> Result<InvoiceRow, ServerError> {
    let currency = currency(row)?;
    let total_minor: i64 = row.try_get("total_minor")?;
    let paid_minor: i64 = row.try_get("paid_minor")?;
    let credited_minor: i64 = row.try_get("credited_minor")?;
    let kind = kind(row)?;
    let due_date = optional_date(row, "due_date")?;
    let status = derive_status(
        lifecycle(row)?,
        total_minor,
        paid_minor,
        credited_minor,
        due_date,
        today,
    );
    Ok(InvoiceRow {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        issue_date: optional_date(row, "issue_date")?,
        due_date,
        customer_id: row.try_get("customer_id")?,
        customer_name: row.try_get("customer_name")?,
        customer_email: row.try_get("customer_email")?,
        total: Money::new(total_minor, currency),
        amount_due: Money::new(
            match kind {
                DocumentKind::Invoice => amount_owed(total_minor, paid_minor, credited_minor),
                DocumentKind::CreditNote => 0,
            },
            currency,
        ),
        status,
        merchant_status: MerchantStatus::Status(status),
        kind,
        email: email(row)?,
        first_opened_ms: row.try_get("first_opened")?,
        open_count: row.try_get("open_count")?,
        sends: row.try_get("sends")?,
        time_zone: super::stores::time_zone(&row.try_get::<String, _>("time_zone")?)?,
        has_fatturapa: row.try_get::<i64, _>("fatturapa_files")? > 0,
    })
}
