//! Stores and their settings. Every query names the organisation.

use app::api::{OrganisationId, StoreRow};
use invoice::store::StoreSettings;
use sqlx::Row;

use super::Db;
use crate::error::ServerError;

pub async fn list(db: &Db, organisation: OrganisationId) -> Result<Vec<StoreRow>, ServerError> {
    sqlx::query(
        "SELECT id, name, currency FROM stores WHERE organisation_id = $1 ORDER BY name, id",
    )
    .bind(organisation.0)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|row| {
        Ok(StoreRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            currency: row.try_get("currency")?,
        })
    })
    .collect()
}

pub async fn get(
    db: &Db,
    organisation: OrganisationId,
    id: i64,
) -> Result<StoreSettings, ServerError> {
    let row = sqlx::query("SELECT settings FROM stores WHERE organisation_id = $1 AND id = $2")
        .bind(organisation.0)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(ServerError::NotFound)?;
    Ok(serde_json::from_str(
        &row.try_get::<String, _>("settings")?,
    )?)
}

pub async fn insert(
    db: &Db,
    organisation: OrganisationId,
    settings: &StoreSettings,
    now_ms: i64,
) -> Result<i64, ServerError> {
    Ok(sqlx::query(
        "INSERT INTO stores (organisation_id, name, currency, settings, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(organisation.0)
    .bind(&settings.name)
    .bind(settings.currency.code())
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
    let updated = sqlx::query(
        "UPDATE stores SET name = $1, currency = $2, settings = $3, updated_at = $4
         WHERE organisation_id = $5 AND id = $6",
    )
    .bind(&settings.name)
    .bind(settings.currency.code())
    .bind(serde_json::to_string(settings)?)
    .bind(now_ms)
    .bind(organisation.0)
    .bind(id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(ServerError::NotFound);
    }
    Ok(())
}
