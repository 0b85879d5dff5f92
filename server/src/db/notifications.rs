//! Notices to the merchant (`crate::notifications`): each user's choice, the
//! notices made (one per invoice, kind and user, by a unique key), what the
//! admin's live feed and the daily digest read of them.

use invoice::dates::Date;
use invoice::history::{HistoryEvent, StoredEvent};
use invoice::notifications::{EmailChoice, Notice, NoticeKind, NotifySettings};
use invoice::organisation::OrganisationId;
use invoice::time_zone::TimeZone;
use invoice::Language;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::Db;
use crate::error::ServerError;

/// The user's choice; the domain's default until they make one.
pub async fn settings(db: &Db, user_id: i64) -> Result<NotifySettings, ServerError> {
    let row = sqlx::query("SELECT notify_email, notify_live FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await?;
    settings_of(&row)
}

fn settings_of(row: &AnyRow) -> Result<NotifySettings, ServerError> {
    let default = NotifySettings::default();
    let email: Option<String> = row.try_get("notify_email")?;
    let live: Option<i64> = row.try_get("notify_live")?;
    Ok(NotifySettings {
        email: email
            .as_deref()
            .and_then(EmailChoice::parse)
            .unwrap_or(default.email),
        live: live.map_or(default.live, |live| live != 0),
    })
}

pub async fn save_settings(
    db: &Db,
    organisation: OrganisationId,
    user_id: i64,
    settings: NotifySettings,
) -> Result<(), ServerError> {
    sqlx::query(
        "UPDATE users SET notify_email = $1, notify_live = $2 WHERE id = $3 AND organisation_id = $4",
    )
    .bind(settings.email.code())
    .bind(i64::from(settings.live))
    .bind(user_id)
    .bind(organisation.0)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// An invoice that links of an ingested batch belong to, with what people
/// did at its links (machines' entries are not read).
pub struct InvoiceVisits {
    pub organisation: OrganisationId,
    pub invoice_id: i64,
    pub entries: Vec<(HistoryEvent, i64)>,
}

/// The persons' entries at any link of the invoices these links belong to:
/// an invoice sent twice may have been opened first through its older link.
pub async fn visits(db: &Db, link_ids: &[String]) -> Result<Vec<InvoiceVisits>, ServerError> {
    if link_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=link_ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT organisation_id, invoice_id, kind, recipient, automated, counts_as_open, device, browser, at
         FROM events
         WHERE invoice_id IN (SELECT invoice_id FROM links WHERE id IN ({}))
           AND link_id IS NOT NULL AND automated = 0
         ORDER BY invoice_id, at",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for link_id in link_ids {
        query = query.bind(link_id.clone());
    }
    let mut invoices: Vec<InvoiceVisits> = Vec::new();
    for row in query.fetch_all(&db.pool).await? {
        let stored = StoredEvent {
            kind: row.try_get("kind")?,
            recipient: row.try_get("recipient")?,
            automated: row.try_get::<i64, _>("automated")? != 0,
            counts_as_open: row.try_get::<i64, _>("counts_as_open")? != 0,
            device: row.try_get("device")?,
            browser: row.try_get("browser")?,
            ..StoredEvent::default()
        };
        // An entry this release cannot read tells nothing; the history
        // leaves it out too.
        let Ok(event) = HistoryEvent::from_stored(&stored) else {
            continue;
        };
        let invoice_id: i64 = row.try_get("invoice_id")?;
        let at: i64 = row.try_get("at")?;
        match invoices.last_mut() {
            Some(last) if last.invoice_id == invoice_id => last.entries.push((event, at)),
            _ => invoices.push(InvoiceVisits {
                organisation: OrganisationId(row.try_get("organisation_id")?),
                invoice_id,
                entries: vec![(event, at)],
            }),
        }
    }
    Ok(invoices)
}

/// A user who may hear of an invoice's notices, as they chose to.
pub struct Listener {
    pub user_id: i64,
    pub email: String,
    pub language: Language,
    pub settings: NotifySettings,
}

/// What the notices of one invoice need: its number and customer, its
/// owners and issuer (removed users hear nothing).
pub struct InvoiceAudience {
    pub number: String,
    pub customer: String,
    /// The invoice's store's time zone, in which its notices tell the time.
    pub time_zone: TimeZone,
    pub owners: Vec<i64>,
    pub issuer: Option<i64>,
    pub listeners: Vec<Listener>,
}

pub async fn invoice_audience(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
) -> Result<InvoiceAudience, ServerError> {
    let invoice = sqlx::query(
        "SELECT i.number, i.customer_name, i.issued_by, s.time_zone
         FROM invoices i JOIN stores s ON s.id = i.store_id
         WHERE i.id = $1 AND i.organisation_id = $2",
    )
    .bind(invoice_id)
    .bind(organisation.0)
    .fetch_one(&mut **tx)
    .await?;
    let issued_by: Option<i64> = invoice.try_get("issued_by")?;
    let users = sqlx::query(
        "SELECT id, email, language, role, notify_email, notify_live FROM users
         WHERE organisation_id = $1 AND removed_at IS NULL AND (role = 'owner' OR id = $2)
         ORDER BY id",
    )
    .bind(organisation.0)
    .bind(issued_by)
    .fetch_all(&mut **tx)
    .await?;
    let mut owners = Vec::new();
    let mut listeners = Vec::with_capacity(users.len());
    for row in &users {
        let user_id: i64 = row.try_get("id")?;
        if row.try_get::<String, _>("role")? == "owner" {
            owners.push(user_id);
        }
        listeners.push(Listener {
            user_id,
            email: row.try_get("email")?,
            language: Language::parse(&row.try_get::<String, _>("language")?).unwrap_or_default(),
            settings: settings_of(row)?,
        });
    }
    Ok(InvoiceAudience {
        number: invoice
            .try_get::<Option<String>, _>("number")?
            .unwrap_or_default(),
        customer: invoice.try_get("customer_name")?,
        time_zone: super::stores::time_zone(&invoice.try_get::<String, _>("time_zone")?)?,
        owners,
        issuer: issued_by.filter(|id| listeners.iter().any(|user| user.user_id == *id)),
        listeners,
    })
}

/// The kinds of notice already made for an invoice: all of a kind's notices
/// are made in one transaction, so a kind found here was handled whole.
pub async fn kinds_told(db: &Db, invoice_id: i64) -> Result<Vec<NoticeKind>, ServerError> {
    sqlx::query("SELECT DISTINCT kind FROM notifications WHERE invoice_id = $1")
        .bind(invoice_id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|row| {
            NoticeKind::parse(&row.try_get::<String, _>(0)?)
                .ok_or_else(|| ServerError::Corrupt("a notification's kind".into()))
        })
        .collect()
}

/// Makes the notice of `kind` for one user, unless it was made before: true
/// when this call made it. The unique key (invoice, user, kind) decides, so
/// a batch ingested twice, or by two server instances at once, makes it once.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
    user_id: i64,
    kind: NoticeKind,
    happened_at: i64,
    settings: NotifySettings,
    now_ms: i64,
) -> Result<bool, ServerError> {
    Ok(sqlx::query(
        "INSERT INTO notifications (organisation_id, invoice_id, user_id, kind, happened_at, email, live, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (invoice_id, user_id, kind) DO NOTHING
         RETURNING id",
    )
    .bind(organisation.0)
    .bind(invoice_id)
    .bind(user_id)
    .bind(kind.code())
    .bind(happened_at)
    .bind(settings.email.code())
    .bind(i64::from(settings.live))
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}

/// Tells the organisation's open pages that something changed, as every
/// change to an invoice does: the live feed reads new notices on a change.
pub async fn organisation_changed(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
) -> Result<(), ServerError> {
    sqlx::query("UPDATE organisations SET change_version = change_version + 1 WHERE id = $1")
        .bind(organisation.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A notice for the live feed: to whom, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveNotice {
    pub id: i64,
    pub user_id: i64,
    pub notice: Notice,
}

/// The organisation's newest notice id (0 without any): a feed tells only
/// notices newer than when it started.
pub async fn latest_id(db: &Db, organisation: OrganisationId) -> Result<i64, ServerError> {
    Ok(sqlx::query(
        "SELECT COALESCE(MAX(id), 0) AS latest FROM notifications WHERE organisation_id = $1",
    )
    .bind(organisation.0)
    .fetch_one(&db.pool)
    .await?
    .try_get("latest")?)
}

/// The organisation's notices after `after_id` that their users want live:
/// the newest `limit` of them, oldest first.
pub async fn live_since(
    db: &Db,
    organisation: OrganisationId,
    after_id: i64,
    limit: i64,
) -> Result<Vec<LiveNotice>, ServerError> {
    let rows = sqlx::query(
        "SELECT n.id, n.user_id, n.kind, n.invoice_id, n.happened_at, i.number, i.customer_name, s.time_zone
         FROM notifications n JOIN invoices i ON i.id = n.invoice_id JOIN stores s ON s.id = i.store_id
         WHERE n.organisation_id = $1 AND n.id > $2 AND n.live = 1
         ORDER BY n.id DESC LIMIT $3",
    )
    .bind(organisation.0)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .rev()
        .map(|row| {
            Ok(LiveNotice {
                id: row.try_get("id")?,
                user_id: row.try_get("user_id")?,
                notice: notice_of(row)?,
            })
        })
        .collect()
}

fn notice_of(row: &AnyRow) -> Result<Notice, ServerError> {
    Ok(Notice {
        kind: NoticeKind::parse(&row.try_get::<String, _>("kind")?)
            .ok_or_else(|| ServerError::Corrupt("a notification's kind".into()))?,
        invoice_id: row.try_get("invoice_id")?,
        number: row
            .try_get::<Option<String>, _>("number")?
            .unwrap_or_default(),
        customer: row.try_get("customer_name")?,
        at_ms: row.try_get("happened_at")?,
        time_zone: super::stores::time_zone(&row.try_get::<String, _>("time_zone")?)?,
    })
}

/// Users (not removed) with notices for a digest made before `before_ms`
/// and not listed in one yet.
pub async fn digest_users(db: &Db, before_ms: i64) -> Result<Vec<i64>, ServerError> {
    sqlx::query(
        "SELECT DISTINCT n.user_id FROM notifications n JOIN users u ON u.id = n.user_id
         WHERE n.email = $1 AND n.digested_on IS NULL AND n.created_at < $2 AND u.removed_at IS NULL
         ORDER BY n.user_id",
    )
    .bind(EmailChoice::DailyDigest.code())
    .bind(before_ms)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|row| Ok(row.try_get(0)?))
    .collect()
}

/// Takes the user's digest of `day` for this transaction: false when it was
/// taken before (sent already, or by another server instance).
pub async fn claim_digest(
    tx: &mut Transaction<'_, Any>,
    user_id: i64,
    day: Date,
    now_ms: i64,
) -> Result<bool, ServerError> {
    Ok(sqlx::query(
        "INSERT INTO notification_digests (user_id, day, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, day) DO NOTHING RETURNING user_id",
    )
    .bind(user_id)
    .bind(day.to_string())
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}

/// Who a digest goes to.
pub struct DigestReader {
    pub organisation: OrganisationId,
    pub email: String,
    pub language: Language,
}

/// The user's notices for the digest of `day` (made before `before_ms`, not
/// listed yet), oldest first, marked as listed in it; None for a removed user.
pub async fn take_digest(
    tx: &mut Transaction<'_, Any>,
    user_id: i64,
    day: Date,
    before_ms: i64,
) -> Result<Option<(DigestReader, Vec<Notice>)>, ServerError> {
    let Some(user) = sqlx::query(
        "SELECT organisation_id, email, language FROM users WHERE id = $1 AND removed_at IS NULL",
    )
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    let rows = sqlx::query(
        "SELECT n.kind, n.invoice_id, n.happened_at, i.number, i.customer_name, s.time_zone
         FROM notifications n JOIN invoices i ON i.id = n.invoice_id JOIN stores s ON s.id = i.store_id
         WHERE n.user_id = $1 AND n.email = $2 AND n.digested_on IS NULL AND n.created_at < $3
         ORDER BY n.happened_at, n.id",
    )
    .bind(user_id)
    .bind(EmailChoice::DailyDigest.code())
    .bind(before_ms)
    .fetch_all(&mut **tx)
    .await?;
    let notices = rows.iter().map(notice_of).collect::<Result<Vec<_>, _>>()?;
    sqlx::query(
        "UPDATE notifications SET digested_on = $1
         WHERE user_id = $2 AND email = $3 AND digested_on IS NULL AND created_at < $4",
    )
    .bind(day.to_string())
    .bind(user_id)
    .bind(EmailChoice::DailyDigest.code())
    .bind(before_ms)
    .execute(&mut **tx)
    .await?;
    Ok(Some((
        DigestReader {
            organisation: OrganisationId(user.try_get("organisation_id")?),
            email: user.try_get("email")?,
            language: Language::parse(&user.try_get::<String, _>("language")?).unwrap_or_default(),
        },
        notices,
    )))
}
