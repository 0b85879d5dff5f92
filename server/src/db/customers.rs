//! Customers. Every query names the organisation.

use invoice::customer::CustomerDetails;
use invoice::document::EmailAddress;
use invoice::italy::{CodiceDestinatario, CodiceFiscale, SdiRecipient};
use invoice::organisation::OrganisationId;
use invoice::views::{CustomerPage, CustomerRow, CUSTOMER_PAGE_SIZE};
use invoice::Language;
use sqlx::Row;

use super::Db;
use crate::error::ServerError;

fn row_to_customer(row: &sqlx::any::AnyRow) -> Result<CustomerRow, ServerError> {
    Ok(CustomerRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        language: Language::parse(&row.try_get::<String, _>("language")?).unwrap_or_default(),
        email_invoices: row.try_get::<i64, _>("email_invoices")? != 0,
    })
}

/// Customers whose name or email contains `query`, by name, one page at a
/// time; `after` is the cursor the previous page returned.
pub async fn search(
    db: &Db,
    organisation: OrganisationId,
    query: &str,
    after: Option<&str>,
) -> Result<CustomerPage, ServerError> {
    let pattern = format!("%{}%", escape_like(&query.trim().to_lowercase()));
    let (after_name, after_id) = after
        .and_then(|cursor| cursor.rsplit_once('\u{1f}'))
        .and_then(|(name, id)| Some((name.to_owned(), id.parse::<i64>().ok()?)))
        .unwrap_or_default();
    let rows = sqlx::query(
        "SELECT id, name, email, language, email_invoices, search_name FROM customers
         WHERE organisation_id = $1
           AND (search_name LIKE $2 ESCAPE '\\' OR LOWER(COALESCE(email, '')) LIKE $2 ESCAPE '\\')
           AND (search_name > $3 OR (search_name = $3 AND id > $4))
         ORDER BY search_name, id
         LIMIT $5",
    )
    .bind(organisation.0)
    .bind(pattern)
    .bind(after_name)
    .bind(after_id)
    .bind(CUSTOMER_PAGE_SIZE as i64 + 1)
    .fetch_all(&db.pool)
    .await?;
    let more = rows.len() > CUSTOMER_PAGE_SIZE;
    let next = if more {
        rows.get(CUSTOMER_PAGE_SIZE - 1)
            .map(|row| -> Result<String, ServerError> {
                Ok(format!(
                    "{}\u{1f}{}",
                    row.try_get::<String, _>("search_name")?,
                    row.try_get::<i64, _>("id")?
                ))
            })
            .transpose()?
    } else {
        None
    };
    let rows = rows
        .iter()
        .take(CUSTOMER_PAGE_SIZE)
        .map(row_to_customer)
        .collect::<Result<_, _>>()?;
    Ok(CustomerPage { rows, next })
}

/// Every customer, by name: the choices of the invoice editor.
pub async fn all(db: &Db, organisation: OrganisationId) -> Result<Vec<CustomerRow>, ServerError> {
    sqlx::query(
        "SELECT id, name, email, language, email_invoices FROM customers
         WHERE organisation_id = $1 ORDER BY search_name, id",
    )
    .bind(organisation.0)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(row_to_customer)
    .collect()
}

pub async fn get(
    db: &Db,
    organisation: OrganisationId,
    id: i64,
) -> Result<CustomerDetails, ServerError> {
    let row = sqlx::query(
        "SELECT name, email, language, tax_id, address, email_invoices, codice_fiscale, codice_destinatario, pec
         FROM customers WHERE organisation_id = $1 AND id = $2",
    )
    .bind(organisation.0)
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(ServerError::NotFound)?;
    let email: Option<String> = row.try_get("email")?;
    Ok(CustomerDetails {
        name: row.try_get("name")?,
        email: email
            .map(|email| EmailAddress::parse(&email))
            .transpose()
            .map_err(|_| ServerError::Corrupt("stored customer email".into()))?,
        language: Language::parse(&row.try_get::<String, _>("language")?).unwrap_or_default(),
        tax_id: row.try_get("tax_id")?,
        address: row
            .try_get::<String, _>("address")?
            .lines()
            .map(str::to_owned)
            .collect(),
        email_invoices: row.try_get::<i64, _>("email_invoices")? != 0,
        sdi: SdiRecipient {
            codice_fiscale: row
                .try_get::<Option<String>, _>("codice_fiscale")?
                .map(|code| CodiceFiscale::parse(&code))
                .transpose()
                .map_err(|_| ServerError::Corrupt("stored codice fiscale".into()))?,
            codice_destinatario: row
                .try_get::<Option<String>, _>("codice_destinatario")?
                .map(|code| CodiceDestinatario::parse(&code))
                .transpose()
                .map_err(|_| ServerError::Corrupt("stored codice destinatario".into()))?,
            pec: row.try_get("pec")?,
        },
    })
}

pub async fn save(
    db: &Db,
    organisation: OrganisationId,
    id: Option<i64>,
    customer: &CustomerDetails,
    now_ms: i64,
) -> Result<i64, ServerError> {
    let email = customer
        .email
        .as_ref()
        .map(|email| email.as_str().to_owned());
    let address = customer.address.join("\n");
    let codice_fiscale = customer
        .sdi
        .codice_fiscale
        .as_ref()
        .map(|code| code.as_str().to_owned());
    let codice_destinatario = customer
        .sdi
        .codice_destinatario
        .as_ref()
        .map(|code| code.as_str().to_owned());
    match id {
        None => Ok(sqlx::query(
            "INSERT INTO customers (organisation_id, name, search_name, email, language, tax_id, address, email_invoices, created_at, updated_at,
                                    codice_fiscale, codice_destinatario, pec)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12) RETURNING id",
        )
        .bind(organisation.0)
        .bind(&customer.name)
        .bind(customer.name.to_lowercase())
        .bind(email)
        .bind(customer.language.code())
        .bind(customer.tax_id.clone())
        .bind(address)
        .bind(i64::from(customer.email_invoices))
        .bind(now_ms)
        .bind(codice_fiscale.clone())
        .bind(codice_destinatario.clone())
        .bind(customer.sdi.pec.clone())
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?),
        Some(id) => {
            let mut tx = db.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE customers SET name = $1, search_name = $2, email = $3, language = $4, tax_id = $5, address = $6, email_invoices = $7, updated_at = $8,
                                      codice_fiscale = $11, codice_destinatario = $12, pec = $13
                 WHERE organisation_id = $9 AND id = $10",
            )
            .bind(&customer.name)
            .bind(customer.name.to_lowercase())
            .bind(email)
            .bind(customer.language.code())
            .bind(customer.tax_id.clone())
            .bind(address)
            .bind(i64::from(customer.email_invoices))
            .bind(now_ms)
            .bind(organisation.0)
            .bind(id)
            .bind(codice_fiscale)
            .bind(codice_destinatario)
            .bind(customer.sdi.pec.clone())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(ServerError::NotFound);
            }
            // Drafts follow the customer; issued invoices keep the name they were issued to.
            sqlx::query(
                "UPDATE invoices SET customer_name = $1, search_text = $2
                 WHERE organisation_id = $3 AND customer_id = $4 AND lifecycle = 'draft'",
            )
            .bind(&customer.name)
            .bind(customer.name.to_lowercase())
            .bind(organisation.0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(id)
        }
    }
}

/// Escapes `%`, `_` and `\` so a search for them finds them literally.
pub fn escape_like(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            other => vec![other],
        })
        .collect()
}
