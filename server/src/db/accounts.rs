//! Organisations, their users, sessions and the login attempts the rate
//! limit counts.

use invoice::organisation::{CurrentUser, OrganisationId, Role};
use invoice::views::UserRow;
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

/// Who an account email is addressed to.
pub struct Addressee {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub language: Language,
}

/// What an emailed account link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    ConfirmEmail,
    ResetPassword,
}

impl TokenPurpose {
    fn code(self) -> &'static str {
        match self {
            TokenPurpose::ConfirmEmail => "confirm_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }
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
    let row = sqlx::query(
        "SELECT id, password_hash, language FROM users WHERE email = $1 AND removed_at IS NULL",
    )
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
        "SELECT u.id, u.organisation_id, o.name AS organisation_name, u.name, u.email, u.role, u.language,
                (SELECT COUNT(*) FROM users ou
                 WHERE ou.organisation_id = u.organisation_id AND ou.role = 'owner'
                   AND ou.email_confirmed_at IS NULL) AS unconfirmed_owners
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         JOIN organisations o ON o.id = u.organisation_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.removed_at IS NULL",
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
            owner_confirmed: row.try_get::<i64, _>("unconfirmed_owners")? == 0,
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
    sqlx::query(
        "SELECT id, name, email, role FROM users
         WHERE organisation_id = $1 AND removed_at IS NULL ORDER BY id",
    )
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

/// Counts one attempt against the counter `name` (fixed windows that start
/// at their first attempt), atomically: one upsert, which Postgres runs
/// under the row's lock and SQLite under its write lock, so parallel
/// attempts each get their own number. Returns the attempts in the window,
/// this one included.
async fn count_attempt(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    name: &str,
    now_ms: i64,
    window_start_after: i64,
) -> Result<i64, ServerError> {
    Ok(sqlx::query(
        "INSERT INTO attempt_counters (name, window_start, attempts) VALUES ($1, $2, 1)
         ON CONFLICT (name) DO UPDATE SET
             attempts = CASE WHEN attempt_counters.window_start > $3
                             THEN attempt_counters.attempts + 1 ELSE 1 END,
             window_start = CASE WHEN attempt_counters.window_start > $3
                                 THEN attempt_counters.window_start ELSE $2 END
         RETURNING attempts",
    )
    .bind(name)
    .bind(now_ms)
    .bind(window_start_after)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?)
}

fn account_counter(email: &str) -> String {
    format!("account:{email}")
}

fn network_counter(network: &str) -> String {
    format!("network:{network}")
}

/// Counts a sign-in attempt for the account and the client's network before
/// its password is checked; returns both counts, this attempt included.
/// Counters whose window ended are removed on the way.
pub async fn count_sign_in(
    db: &Db,
    email: &str,
    network: &str,
    now_ms: i64,
    window_ms: i64,
) -> Result<(i64, i64), ServerError> {
    let since = now_ms - window_ms;
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM attempt_counters WHERE window_start <= $1")
        .bind(since)
        .execute(&mut *tx)
        .await?;
    let by_account = count_attempt(&mut tx, &account_counter(email), now_ms, since).await?;
    let by_network = count_attempt(&mut tx, &network_counter(network), now_ms, since).await?;
    tx.commit().await?;
    Ok((by_account, by_network))
}

/// A successful sign-in forgives the account's earlier failures, and its
/// own attempt is taken off the network's count.
pub async fn forgive_sign_in(db: &Db, email: &str, network: &str) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM attempt_counters WHERE name = $1")
        .bind(account_counter(email))
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE attempt_counters SET attempts = attempts - 1 WHERE name = $1 AND attempts > 0",
    )
    .bind(network_counter(network))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Counts one account email to `email`; returns the count in the window,
/// this one included.
pub async fn count_account_email(
    db: &Db,
    email: &str,
    now_ms: i64,
    window_ms: i64,
) -> Result<i64, ServerError> {
    let mut tx = db.begin_write().await?;
    let count = count_attempt(
        &mut tx,
        &format!("mail:{email}"),
        now_ms,
        now_ms - window_ms,
    )
    .await?;
    tx.commit().await?;
    Ok(count)
}

const ADDRESSEE: &str = "SELECT id, name, email, language FROM users";

/// The live (not removed) user of an address.
pub async fn addressee(db: &Db, email: &str) -> Result<Option<Addressee>, ServerError> {
    let row = sqlx::query(&format!(
        "{ADDRESSEE} WHERE email = $1 AND removed_at IS NULL"
    ))
    .bind(email)
    .fetch_optional(&db.pool)
    .await?;
    row.map(addressee_of).transpose()
}

pub async fn addressee_by_id(db: &Db, user_id: i64) -> Result<Option<Addressee>, ServerError> {
    let row = sqlx::query(&format!("{ADDRESSEE} WHERE id = $1 AND removed_at IS NULL"))
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(addressee_of).transpose()
}

fn addressee_of(row: sqlx::any::AnyRow) -> Result<Addressee, ServerError> {
    Ok(Addressee {
        user_id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        language: Language::parse(&row.try_get::<String, _>("language")?).unwrap_or_default(),
    })
}

/// Whether the organisation's owner has confirmed their address.
pub async fn owner_confirmed(db: &Db, organisation: OrganisationId) -> Result<bool, ServerError> {
    let unconfirmed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users
         WHERE organisation_id = $1 AND role = 'owner' AND email_confirmed_at IS NULL",
    )
    .bind(organisation.0)
    .fetch_one(&db.pool)
    .await?;
    Ok(unconfirmed == 0)
}

pub async fn create_token(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    purpose: TokenPurpose,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<(), ServerError> {
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(purpose.code())
    .bind(now_ms)
    .bind(expires_at_ms)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Marks a live token used, in one statement so it is used once; its user.
async fn use_token(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    token_hash: &str,
    purpose: TokenPurpose,
    now_ms: i64,
) -> Result<Option<i64>, ServerError> {
    let row = sqlx::query(
        "UPDATE account_tokens SET used_at = $3
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
         RETURNING user_id",
    )
    .bind(token_hash)
    .bind(purpose.code())
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| row.try_get(0))
        .transpose()
        .map_err(Into::into)
}

/// Confirms the address a live confirmation token was sent to; false when
/// the token is unknown, used or expired.
pub async fn confirm_email(db: &Db, token_hash: &str, now_ms: i64) -> Result<bool, ServerError> {
    let mut tx = db.begin_write().await?;
    let Some(user_id) = use_token(&mut tx, token_hash, TokenPurpose::ConfirmEmail, now_ms).await?
    else {
        return Ok(false);
    };
    sqlx::query(
        "UPDATE users SET email_confirmed_at = $2 WHERE id = $1 AND email_confirmed_at IS NULL",
    )
    .bind(user_id)
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Sets the password of a live reset token's user and ends all their
/// sessions; false when the token is unknown, used or expired.
pub async fn reset_password(
    db: &Db,
    token_hash: &str,
    password_hash: &str,
    now_ms: i64,
) -> Result<bool, ServerError> {
    let mut tx = db.begin_write().await?;
    let Some(user_id) = use_token(&mut tx, token_hash, TokenPurpose::ResetPassword, now_ms).await?
    else {
        return Ok(false);
    };
    set_password_in(&mut tx, user_id, password_hash).await?;
    // Whoever could read the mailbox could reset it: the link also proves
    // the address is theirs.
    sqlx::query(
        "UPDATE users SET email_confirmed_at = $2 WHERE id = $1 AND email_confirmed_at IS NULL",
    )
    .bind(user_id)
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    end_sessions_in(&mut tx, user_id, None).await?;
    tx.commit().await?;
    Ok(true)
}

async fn set_password_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
    password_hash: &str,
) -> Result<(), ServerError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes the user's sessions, but for `keep` (a token hash) when given.
async fn end_sessions_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
    keep: Option<&str>,
) -> Result<(), ServerError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or_default())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The signed-in user's password hash, to check the current password.
pub async fn password_hash(db: &Db, user: &CurrentUser) -> Result<String, ServerError> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1 AND organisation_id = $2")
        .bind(user.id)
        .bind(user.organisation.0)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(ServerError::NotFound)
}

/// Sets the user's password and ends their sessions but `keep`'s.
pub async fn change_password(
    db: &Db,
    user: &CurrentUser,
    password_hash: &str,
    keep: &str,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    set_password_in(&mut tx, user.id, password_hash).await?;
    end_sessions_in(&mut tx, user.id, Some(keep)).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of the user, this one included.
pub async fn end_all_sessions(db: &Db, user: &CurrentUser) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    end_sessions_in(&mut tx, user.id, None).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a staff member of the organisation: they can no longer sign in,
/// their sessions and emailed links end now. Their row stays for the
/// history. False when no such staff member is there.
pub async fn remove_staff(
    db: &Db,
    organisation: OrganisationId,
    user_id: i64,
    now_ms: i64,
) -> Result<bool, ServerError> {
    let mut tx = db.begin_write().await?;
    let removed = sqlx::query(
        "UPDATE users SET removed_at = $3
         WHERE id = $1 AND organisation_id = $2 AND role = 'staff' AND removed_at IS NULL",
    )
    .bind(user_id)
    .bind(organisation.0)
    .bind(now_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if removed {
        end_sessions_in(&mut tx, user_id, None).await?;
        sqlx::query("DELETE FROM account_tokens WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(removed)
}
