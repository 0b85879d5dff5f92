//! The candidates of the home page's figures and lists: issued invoices
//! with something still owed, with their latest email to the customer and
//! their first person-open. Which of them are overdue, unopened or due soon
//! is `invoice::chase`'s rule, applied to what this reads.

use invoice::chase::{ChaseFilter, OpenInvoice};
use invoice::dates::Date;
use invoice::organisation::OrganisationId;
use invoice::status::amount_owed;
use invoice::{Currency, Money};
use sqlx::Row;

use super::invoices::{currency, email, optional_date, EMAIL_COLUMNS};
use super::Db;
use crate::error::ServerError;

/// Whose open invoices to read: the organisation's, narrowed to a store, a
/// currency or a customer when given.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    pub store_id: Option<i64>,
    pub currency: Option<Currency>,
    pub customer_id: Option<i64>,
}

/// The organisation's issued invoices with something owed, in `scope`.
pub async fn open_invoices(
    db: &Db,
    organisation: OrganisationId,
    scope: Scope,
) -> Result<Vec<OpenInvoice>, ServerError> {
    let mut conditions = vec![
        "i.organisation_id = $1".to_owned(),
        "i.lifecycle = 'issued'".to_owned(),
        "i.kind = 'invoice'".to_owned(),
        "i.paid_minor + i.credited_minor < i.total_minor".to_owned(),
    ];
    let mut next = 2;
    let mut placeholder = || {
        let name = format!("${next}");
        next += 1;
        name
    };
    if scope.store_id.is_some() {
        conditions.push(format!("i.store_id = {}", placeholder()));
    }
    if scope.currency.is_some() {
        conditions.push(format!("i.currency = {}", placeholder()));
    }
    if scope.customer_id.is_some() {
        conditions.push(format!("i.customer_id = {}", placeholder()));
    }
    let sql = format!(
        "SELECT i.id, i.store_id, i.customer_id, i.number, i.customer_name, i.issue_date, i.due_date,
                i.currency, i.total_minor, i.paid_minor, i.credited_minor, s.time_zone, {EMAIL_COLUMNS},
                (SELECT o.to_address FROM outbox o WHERE o.invoice_id = i.id AND o.audience = 'customer' AND o.status <> 'cancelled' ORDER BY o.id DESC LIMIT 1) AS email_address
         FROM invoices i
         JOIN stores s ON s.id = i.store_id AND s.organisation_id = i.organisation_id
         WHERE {}
         ORDER BY i.id",
        conditions.join(" AND ")
    );
    let mut query = sqlx::query(&sql).bind(organisation.0);
    if let Some(store_id) = scope.store_id {
        query = query.bind(store_id);
    }
    if let Some(currency) = scope.currency {
        query = query.bind(currency.code());
    }
    if let Some(customer_id) = scope.customer_id {
        query = query.bind(customer_id);
    }
    let rows = query.fetch_all(&db.pool).await?;
    let mut open = Vec::with_capacity(rows.len());
    for row in &rows {
        let currency = currency(row)?;
        let total_minor: i64 = row.try_get("total_minor")?;
        let owed = amount_owed(
            total_minor,
            row.try_get("paid_minor")?,
            row.try_get("credited_minor")?,
        );
        if owed == 0 {
            continue;
        }
        open.push(OpenInvoice {
            id: row.try_get("id")?,
            store_id: row.try_get("store_id")?,
            customer_id: row.try_get("customer_id")?,
            number: row
                .try_get::<Option<String>, _>("number")?
                .unwrap_or_default(),
            customer_name: row.try_get("customer_name")?,
            issue_date: optional_date(row, "issue_date")?
                .ok_or_else(|| ServerError::Corrupt("an issued invoice without a date".into()))?,
            due_date: optional_date(row, "due_date")?,
            total: Money::new(total_minor, currency),
            amount_due: Money::new(owed, currency),
            email: email(row)?,
            email_address: row.try_get("email_address")?,
            first_opened_ms: row.try_get("first_opened")?,
            time_zone: super::stores::time_zone(&row.try_get::<String, _>("time_zone")?)?,
        });
    }
    Ok(open)
}

/// The ids of the open invoices in `scope` that `filter` picks: what the
/// invoice list shows when it is filtered by a chase rule.
pub async fn matching_ids(
    db: &Db,
    organisation: OrganisationId,
    scope: Scope,
    filter: ChaseFilter,
    today: Date,
    now_ms: i64,
) -> Result<Vec<i64>, ServerError> {
    Ok(open_invoices(db, organisation, scope)
        .await?
        .into_iter()
        .filter(|invoice| filter.matches(invoice, today, now_ms))
        .map(|invoice| invoice.id)
        .collect())
}
