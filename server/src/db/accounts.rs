//! Organisations, their users, sessions and the login attempts the rate
//! limit counts.

use app::api::{CurrentUser, OrganisationId, Role, UserRow};
use invoice::Language;
use sqlx::Row;

use super::Db;
use crate::error::ServerError;

/// A user as the sign-in check needs it.
pub struct Credentials {
    pub user_id: i64,
    pub password_hash: String,
    pub language: Language,
}

/// Creates an organisation with its owner. Returns the owner's id, or None
/// when the email already has an account.
pub async fn create_organisation(
    db: &Db,
    business_name: &str,
    owner_name: &str,
    email: &str,
    password_hash: &str,
    language: Language,
    now_ms: i64,
) -> Result<Option<(OrganisationId, i64)>, ServerError> {
    let mut tx = db.begin_write().await?;
    let organisation: i64 =
        sqlx::query("INSERT INTO organisations (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(business_name)
            .bind(now_ms)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
    let user = insert_user(
        &mut tx,
        organisation,
        owner_name,
        email,
        password_hash,
        Role::Owner,
        language,
        now_ms,
    )
    .await?;
    match user {
        Some(user) => {
            tx.commit().await?;
            Ok(Some((OrganisationId(organisation), user)))
        }
        None => Ok(None),
    }
}

/// Adds a user to an organisation; None when the email is taken.
pub async fn add_user(
    db: &Db,
    organisation: OrganisationId,
    name: &str,
    email: &str,
    password_hash: &str,
    language: Language,
    now_ms: i64,
) -> Result<Option<i64>, ServerError> {
    let mut tx = db.begin_write().await?;
    let user = insert_user(
        &mut tx,
        organisation.0,
        name,
        email,
        password_hash,
        Role::Staff,
        language,
        now_ms,
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

#[allow(clippy::too_many_arguments)]
async fn insert_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    organisation: i64,
    name: &str,
    email: &str,
    password_hash: &str,
    role: Role,
    language: Language,
    now_ms: i64,
) -> Result<Option<i64>, ServerError> {
    // ON CONFLICT keeps a taken email from aborting the transaction on Postgres.
    let row = sqlx::query(
        "INSERT INTO users (organisation_id, name, email, password_hash, role, language, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(organisation)
    .bind(name)
    .bind(email)
    .bind(password_hash)
    .bind(role.code())
    .bind(language.code())
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| row.try_get(0))
        .transpose()
        .map_err(Into::into)
}

pub async fn credentials(db: &Db, email: &str) -> Result<Option<Credentials>, ServerError> {
    let row = sqlx::query("SELECT id, password_hash, language FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|row| {
        Ok(Credentials {
            user_id: row.try_get("id")?,
            password_hash: row.try_get("password_hash")?,
            language: Language::parse(&row.try_get::<String, _>("language")?).unwrap_or_default(),
        })
    })
    .transpose()
}

pub async fn create_session(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<(), ServerError> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now_ms)
    .bind(expires_at_ms)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), ServerError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The user a live session belongs to.
pub async fn session_user(
    db: &Db,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<CurrentUser>, ServerError> {
    let row = sqlx::query(
        "SELECT u.id, u.organisation_id, o.name AS organisation_name, u.name, u.email, u.role, u.language
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         JOIN organisations o ON o.id = u.organisation_id
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(CurrentUser {
            id: row.try_get("id")?,
            organisation: OrganisationId(row.try_get("organisation_id")?),
            organisation_name: row.try_get("organisation_name")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            role: Role::parse(&row.try_get::<String, _>("role")?)
                .ok_or_else(|| ServerError::Corrupt("unknown role".into()))?,
            language: Language::parse(&row.try_get::<String, _>("language")?).unwrap_or_default(),
        })
    })
    .transpose()
}

pub async fn set_language(
    db: &Db,
    user: &CurrentUser,
    language: Language,
) -> Result<(), ServerError> {
    sqlx::query("UPDATE users SET language = $1 WHERE id = $2 AND organisation_id = $3")
        .bind(language.code())
        .bind(user.id)
        .bind(user.organisation.0)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn list_users(
    db: &Db,
    organisation: OrganisationId,
) -> Result<Vec<UserRow>, ServerError> {
    sqlx::query("SELECT id, name, email, role FROM users WHERE organisation_id = $1 ORDER BY id")
        .bind(organisation.0)
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(|row| {
            Ok(UserRow {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                email: row.try_get("email")?,
                role: Role::parse(&row.try_get::<String, _>("role")?)
                    .ok_or_else(|| ServerError::Corrupt("unknown role".into()))?,
            })
        })
        .collect()
}

/// Records a failed sign-in, for the rate limit.
pub async fn record_failed_login(
    db: &Db,
    email: &str,
    ip: &str,
    now_ms: i64,
) -> Result<(), ServerError> {
    sqlx::query("INSERT INTO login_attempts (email, ip, at) VALUES ($1, $2, $3)")
        .bind(email)
        .bind(ip)
        .bind(now_ms)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Failed sign-ins since `since_ms`, for this account and from this address.
pub async fn failed_logins(
    db: &Db,
    email: &str,
    ip: &str,
    since_ms: i64,
) -> Result<(i64, i64), ServerError> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM login_attempts WHERE email = $1 AND at > $3) AS by_email,
                (SELECT COUNT(*) FROM login_attempts WHERE ip = $2 AND at > $3) AS by_ip",
    )
    .bind(email)
    .bind(ip)
    .bind(since_ms)
    .fetch_one(&db.pool)
    .await?;
    Ok((row.try_get("by_email")?, row.try_get("by_ip")?))
}

/// A successful sign-in forgives the account's earlier failures.
pub async fn clear_failed_logins(db: &Db, email: &str) -> Result<(), ServerError> {
    sqlx::query("DELETE FROM login_attempts WHERE email = $1")
        .bind(email)
        .execute(&db.pool)
        .await?;
    Ok(())
}
