//! Stores and their settings. Every query names the organisation.

use invoice::organisation::OrganisationId;
use invoice::store::StoreSettings;
use invoice::time_zone::TimeZone;
use invoice::views::StoreRow;
use sqlx::{Any, Row, Transaction};

use super::Db;
use crate::error::ServerError;

/// Whether the store is the organisation's, inside a write that must not
/// touch another organisation's store (404 otherwise).
pub(crate) async fn in_organisation(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    store_id: i64,
) -> Result<(), ServerError> {
    sqlx::query("SELECT 1 FROM stores WHERE id = $1 AND organisation_id = $2")
        .bind(store_id)
        .bind(organisation.0)
        .fetch_optional(&mut **tx)
        .await?
        .map(|_| ())
        .ok_or(ServerError::NotFound)
}

pub async fn list(db: &Db, organisation: OrganisationId) -> Result<Vec<StoreRow>, ServerError> {
    sqlx::query(
        "SELECT id, name, currency, settings FROM stores WHERE organisation_id = $1 ORDER BY name, id",
    )
    .bind(organisation.0)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|row| {
        let settings: StoreSettings = serde_json::from_str(row.try_get("settings")?)?;
        Ok(StoreRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            currency: row.try_get("currency")?,
            e_invoicing: settings.italy.is_some(),
            verifactu: settings.spain.is_some(),
            default_tax_rate_bp: settings.new_line_tax_rate_bp(),
        })
    })
    .collect()
}

pub async fn get(
    db: &Db,
    organisation: OrganisationId,
    id: i64,
) -> Result<StoreSettings, ServerError> {
    let row = sqlx::query(
        "SELECT settings, time_zone FROM stores WHERE organisation_id = $1 AND id = $2",
    )
    .bind(organisation.0)
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(ServerError::NotFound)?;
    let mut settings: StoreSettings = serde_json::from_str(&row.try_get::<String, _>("settings")?)?;
    // The column is the zone's record: a release from before zones wrote
    // settings without one.
    settings.time_zone = time_zone(&row.try_get::<String, _>("time_zone")?)?;
    Ok(settings)
}

/// A zone as stored: one of those offered, or the database is not ours.
pub fn time_zone(name: &str) -> Result<TimeZone, ServerError> {
    TimeZone::parse(name).ok_or_else(|| ServerError::Corrupt(format!("time zone {name}")))
}

pub async fn insert(
    db: &Db,
    organisation: OrganisationId,
    settings: &StoreSettings,
    now_ms: i64,
) -> Result<i64, ServerError> {
    Ok(sqlx::query(
        "INSERT INTO stores (organisation_id, name, currency, time_zone, settings, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(organisation.0)
    .bind(&settings.name)
    .bind(settings.currency.code())
    .bind(settings.time_zone.name())
    .bind(serde_json::to_string(settings)?)
    .bind(now_ms)
    .fetch_one(&db.pool)
    .await?
    .try_get(0)?)
}

pub async fn update(
    db: &Db,
    organisation: OrganisationId,
    id: i64,
    settings: &StoreSettings,
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    // The customer's page shows times in the store's zone: a new zone is a
    // change of what the customer sees, published like any other, for the
    // invoices already at the edge.
    sqlx::query(
        "UPDATE invoices SET state_version = state_version + 1
         WHERE organisation_id = $1 AND store_id = $2
           AND EXISTS (SELECT 1 FROM stores s WHERE s.id = $2 AND s.time_zone <> $3)
           AND EXISTS (SELECT 1 FROM links l WHERE l.invoice_id = invoices.id)",
    )
    .bind(organisation.0)
    .bind(id)
    .bind(settings.time_zone.name())
    .execute(&mut *tx)
    .await?;
    let updated = sqlx::query(
        "UPDATE stores SET name = $1, currency = $2, time_zone = $3, settings = $4, updated_at = $5
         WHERE organisation_id = $6 AND id = $7",
    )
    .bind(&settings.name)
    .bind(settings.currency.code())
    .bind(settings.time_zone.name())
    .bind(serde_json::to_string(settings)?)
    .bind(now_ms)
    .bind(organisation.0)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(ServerError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// An address of a store's copies or failure list, as its confirmation stands.
pub struct RecipientRow {
    pub address: String,
    pub confirmed: bool,
    pub requested_at: i64,
    pub mails_sent: i64,
}

/// The organisation's addresses that confirmed they want its mail, in lower
/// case: its users' own (their accounts) and those confirmed by link.
/// Reads through `executor`: the pool, or the transaction of a send.
pub async fn confirmed_addresses<'e, E>(
    executor: E,
    organisation: OrganisationId,
) -> Result<Vec<String>, ServerError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "SELECT address FROM recipient_confirmations WHERE organisation_id = $1 AND confirmed_at IS NOT NULL
         UNION SELECT LOWER(email) FROM users WHERE organisation_id = $1",
    )
    .bind(organisation.0)
    .fetch_all(executor)
    .await?
    .iter()
    .map(|row| Ok(row.try_get("address")?))
    .collect()
}

pub async fn recipients(
    db: &Db,
    organisation: OrganisationId,
) -> Result<Vec<RecipientRow>, ServerError> {
    sqlx::query(
        "SELECT address, confirmed_at, requested_at, mails_sent FROM recipient_confirmations WHERE organisation_id = $1",
    )
    .bind(organisation.0)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|row| {
        Ok(RecipientRow {
            address: row.try_get("address")?,
            confirmed: row.try_get::<Option<i64>, _>("confirmed_at")?.is_some(),
            requested_at: row.try_get("requested_at")?,
            mails_sent: row.try_get("mails_sent")?,
        })
    })
    .collect()
}

/// Confirmation emails the organisation sent since `since_ms`.
pub async fn confirmations_sent_since(
    db: &Db,
    organisation: OrganisationId,
    since_ms: i64,
) -> Result<i64, ServerError> {
    Ok(sqlx::query(
        "SELECT COUNT(*) FROM recipient_confirmations WHERE organisation_id = $1 AND requested_at >= $2 AND mails_sent > 0",
    )
    .bind(organisation.0)
    .bind(since_ms)
    .fetch_one(&db.pool)
    .await?
    .try_get(0)?)
}

/// Records an address the organisation has not seen before as waiting for
/// confirmation; false when it is known (waiting or confirmed). `token_hash`
/// is None when no request is sent now (the day's requests are used up).
pub async fn add_recipient(
    db: &Db,
    organisation: OrganisationId,
    address: &str,
    token_hash: Option<&str>,
    now_ms: i64,
) -> Result<bool, ServerError> {
    Ok(sqlx::query(
        "INSERT INTO recipient_confirmations (organisation_id, address, token_hash, requested_at, mails_sent)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (organisation_id, address) DO NOTHING",
    )
    .bind(organisation.0)
    .bind(address)
    .bind(token_hash)
    .bind(now_ms)
    .bind(i64::from(token_hash.is_some()))
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

/// Gives a waiting address a new token for one more request, provided no
/// other request went since it was read (`mails_sent`); false otherwise.
pub async fn renew_recipient(
    db: &Db,
    organisation: OrganisationId,
    address: &str,
    mails_sent: i64,
    token_hash: &str,
    now_ms: i64,
) -> Result<bool, ServerError> {
    Ok(sqlx::query(
        "UPDATE recipient_confirmations SET token_hash = $1, requested_at = $2, mails_sent = mails_sent + 1
         WHERE organisation_id = $3 AND address = $4 AND confirmed_at IS NULL AND mails_sent = $5",
    )
    .bind(token_hash)
    .bind(now_ms)
    .bind(organisation.0)
    .bind(address)
    .bind(mails_sent)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

/// The address and business a live confirmation token is for, and whether
/// it is confirmed already (the page shows so after a plain form post).
pub async fn pending_recipient(
    db: &Db,
    token_hash: &str,
    requested_after_ms: i64,
) -> Result<Option<(String, String, bool)>, ServerError> {
    sqlx::query(
        "SELECT r.address, o.name, r.confirmed_at FROM recipient_confirmations r JOIN organisations o ON o.id = r.organisation_id
         WHERE r.token_hash = $1 AND r.requested_at >= $2",
    )
    .bind(token_hash)
    .bind(requested_after_ms)
    .fetch_optional(&db.pool)
    .await?
    .map(|row| {
        Ok((
            row.try_get("address")?,
            row.try_get("name")?,
            row.try_get::<Option<i64>, _>("confirmed_at")?.is_some(),
        ))
    })
    .transpose()
}

/// Confirms the address of a live token (again, harmlessly, if it is);
/// false for an unknown or expired token.
pub async fn confirm_recipient(
    db: &Db,
    token_hash: &str,
    requested_after_ms: i64,
    now_ms: i64,
) -> Result<bool, ServerError> {
    Ok(sqlx::query(
        "UPDATE recipient_confirmations SET confirmed_at = COALESCE(confirmed_at, $1)
         WHERE token_hash = $2 AND requested_at >= $3",
    )
    .bind(now_ms)
    .bind(token_hash)
    .bind(requested_after_ms)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}
