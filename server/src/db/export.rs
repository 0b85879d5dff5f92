//! The accountant's export, read a page at a time in the order of the file
//! (by date, then id), each page after the last row of the one before, so a
//! year of a busy organisation never sits in memory whole.

use invoice::dates::Date;
use invoice::export::{HistoryLine, InvoiceLine, PaymentLine, Period};
use invoice::organisation::OrganisationId;
use invoice::payment::PaymentMethod;
use invoice::{Currency, Money};
use sqlx::Row;

use super::invoices::{record, RECORD_COLUMNS};
use super::Db;
use crate::error::ServerError;

/// Rows read at a time.
pub const PAGE_ROWS: i64 = 500;

/// Where the next page starts: after this date (or instant) and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    Start,
    Day { date: String, id: i64 },
    Instant { at_ms: i64, id: String },
}

/// What an export reads: an organisation's period, of one store or all.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub organisation: OrganisationId,
    /// 0 for every store.
    pub store_id: i64,
    pub period: Period,
}

/// Issued invoices and credit notes dated in the period (drafts have no
/// date on paper and are left out; void ones stay, marked void).
pub async fn invoices(
    db: &Db,
    scope: Scope,
    after: &After,
    today: Date,
) -> Result<(Vec<InvoiceLine>, Option<After>), ServerError> {
    let (after_date, after_id) = match after {
        After::Day { date, id } => (date.clone(), *id),
        _ => (String::new(), 0),
    };
    let columns: Vec<String> = RECORD_COLUMNS
        .split(", ")
        .map(|column| format!("i.{column}"))
        .collect();
    let rows = sqlx::query(&format!(
        "SELECT {}, s.name AS store_name FROM invoices i JOIN stores s ON s.id = i.store_id
         WHERE i.organisation_id = $1 AND s.organisation_id = $1 AND i.number IS NOT NULL
           AND i.issue_date >= $2 AND i.issue_date <= $3 AND ($4 = 0 OR i.store_id = $4)
           AND (i.issue_date > $5 OR (i.issue_date = $5 AND i.id > $6))
         ORDER BY i.issue_date, i.id LIMIT $7",
        columns.join(", ")
    ))
    .bind(scope.organisation.0)
    .bind(scope.period.from.to_string())
    .bind(scope.period.to.to_string())
    .bind(scope.store_id)
    .bind(after_date)
    .bind(after_id)
    .bind(PAGE_ROWS)
    .fetch_all(&db.pool)
    .await?;
    let mut lines = Vec::with_capacity(rows.len());
    let mut next = After::Start;
    for row in &rows {
        let invoice = record(row)?;
        let currency = invoice.currency;
        let money = |minor| Money::new(minor, currency);
        let (net, tax, tax_id) = match &invoice.document {
            Some(document) => (
                document.totals.subtotal,
                money(
                    document
                        .totals
                        .taxes
                        .iter()
                        .map(|line| line.tax.minor)
                        .sum(),
                ),
                document.customer.tax_id.clone().unwrap_or_default(),
            ),
            None => (money(invoice.total_minor), money(0), String::new()),
        };
        if let Some(date) = invoice.issue_date {
            next = After::Day {
                date: date.to_string(),
                id: invoice.id,
            };
        }
        lines.push(InvoiceLine {
            number: invoice.number.clone().unwrap_or_default(),
            kind: invoice.kind,
            issue_date: invoice.issue_date,
            due_date: invoice.due_date,
            store: row.try_get("store_name")?,
            customer: invoice.customer_name.clone(),
            customer_tax_id: tax_id,
            status: invoice.status(today),
            net,
            tax,
            total: money(invoice.total_minor),
            paid: money(invoice.paid_minor),
            due: money(invoice.amount_due()),
        });
    }
    Ok((lines, last_page_or(rows.len(), next)))
}

/// Payments made in the period (by the date paid), deleted ones left out.
pub async fn payments(
    db: &Db,
    scope: Scope,
    after: &After,
) -> Result<(Vec<PaymentLine>, Option<After>), ServerError> {
    let (after_date, after_id) = match after {
        After::Day { date, id } => (date.clone(), *id),
        _ => (String::new(), 0),
    };
    let rows = sqlx::query(
        "SELECT p.id, p.amount_minor, p.paid_on, p.method, p.reference, i.number, i.customer_name, i.currency, s.name AS store_name
         FROM payments p JOIN invoices i ON i.id = p.invoice_id JOIN stores s ON s.id = i.store_id
         WHERE p.organisation_id = $1 AND i.organisation_id = $1 AND p.deleted_at IS NULL
           AND p.paid_on >= $2 AND p.paid_on <= $3 AND ($4 = 0 OR i.store_id = $4)
           AND (p.paid_on > $5 OR (p.paid_on = $5 AND p.id > $6))
         ORDER BY p.paid_on, p.id LIMIT $7",
    )
    .bind(scope.organisation.0)
    .bind(scope.period.from.to_string())
    .bind(scope.period.to.to_string())
    .bind(scope.store_id)
    .bind(after_date)
    .bind(after_id)
    .bind(PAGE_ROWS)
    .fetch_all(&db.pool)
    .await?;
    let mut lines = Vec::with_capacity(rows.len());
    let mut next = After::Start;
    for row in &rows {
        let paid_on: String = row.try_get("paid_on")?;
        let date = Date::parse(&paid_on).map_err(|error| ServerError::Corrupt(error.0))?;
        let currency = Currency::parse(row.try_get("currency")?)
            .map_err(|error| ServerError::Corrupt(error.to_string()))?;
        let method = PaymentMethod::parse(row.try_get("method")?)
            .ok_or_else(|| ServerError::Corrupt("unknown payment method".into()))?;
        next = After::Day {
            date: paid_on,
            id: row.try_get("id")?,
        };
        lines.push(PaymentLine {
            date,
            invoice_number: row
                .try_get::<Option<String>, _>("number")?
                .unwrap_or_default(),
            store: row.try_get("store_name")?,
            customer: row.try_get("customer_name")?,
            method,
            reference: row.try_get("reference")?,
            amount: Money::new(row.try_get("amount_minor")?, currency),
        });
    }
    Ok((lines, last_page_or(rows.len(), next)))
}

/// The history entries of the period, of every invoice (a draft's have no
/// number).
pub async fn history(
    db: &Db,
    scope: Scope,
    after: &After,
) -> Result<(Vec<HistoryLine>, Option<After>), ServerError> {
    let (after_at, after_id) = match after {
        After::Instant { at_ms, id } => (*at_ms, id.clone()),
        _ => (i64::MIN, String::new()),
    };
    let (start_ms, end_ms) = scope.period.instants();
    let rows = sqlx::query(
        "SELECT e.id, e.at, e.kind, e.recipient, e.automated, i.number, i.customer_name, s.name AS store_name
         FROM events e JOIN invoices i ON i.id = e.invoice_id JOIN stores s ON s.id = i.store_id
         WHERE e.organisation_id = $1 AND i.organisation_id = $1
           AND e.at >= $2 AND e.at < $3 AND ($4 = 0 OR i.store_id = $4)
           AND (e.at > $5 OR (e.at = $5 AND e.id > $6))
         ORDER BY e.at, e.id LIMIT $7",
    )
    .bind(scope.organisation.0)
    .bind(start_ms)
    .bind(end_ms)
    .bind(scope.store_id)
    .bind(after_at)
    .bind(after_id)
    .bind(PAGE_ROWS)
    .fetch_all(&db.pool)
    .await?;
    let mut lines = Vec::with_capacity(rows.len());
    let mut next = After::Start;
    for row in &rows {
        let at_ms: i64 = row.try_get("at")?;
        next = After::Instant {
            at_ms,
            id: row.try_get("id")?,
        };
        lines.push(HistoryLine {
            at_ms,
            invoice_number: row
                .try_get::<Option<String>, _>("number")?
                .unwrap_or_default(),
            store: row.try_get("store_name")?,
            customer: row.try_get("customer_name")?,
            event: row.try_get("kind")?,
            recipient: row
                .try_get::<Option<String>, _>("recipient")?
                .unwrap_or_default(),
            automated: row.try_get::<i64, _>("automated")? != 0,
        });
    }
    Ok((lines, last_page_or(rows.len(), next)))
}

/// Where the page after this one starts; none after a page shorter than
/// [`PAGE_ROWS`], the last.
fn last_page_or(rows: usize, next: After) -> Option<After> {
    ((rows as i64) == PAGE_ROWS).then_some(next)
}
