//! Configuration, read once from the environment at start.

use invoice::link::{KeyRing, KeyRingError};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("LINK_SIGNING_KEYS: {0}")]
    LinkKeys(#[from] KeyRingError),
    #[error("EDGE_SHARED_SECRET must be at least 32 characters")]
    WeakEdgeSecret,
    #[error("DAILY_EMAIL_QUOTA must be a whole number of emails, at least 1")]
    DailyEmailQuota,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://data/invio.db` (default) or `postgres://…`.
    pub database_url: String,
    /// `smtp://127.0.0.1:1025` in development, `smtps://user:pass@relay:465` in production.
    pub smtp_url: String,
    /// The service's sender address; the store's name is shown as its display name.
    pub mail_from_address: String,
    /// Public base URL of the edge worker: links are `{edge_url}/i/{token}`.
    pub edge_url: String,
    /// Public base URL of the admin; over `https://` its cookies are `Secure`.
    pub admin_url: String,
    pub link_keys: KeyRing,
    /// Shared between the server and the edge to sign the calls between them.
    pub edge_secret: Vec<u8>,
    /// Emails an organisation may queue per UTC day, unless the operator set
    /// its own (`organisations.daily_email_quota`).
    pub daily_email_quota: u32,
}

/// A day of a busy small business (50 invoices, each with a few copies and
/// reminders) fits; an account that was opened to spam stops at a volume a
/// relay's reputation survives.
pub const DEFAULT_DAILY_EMAIL_QUOTA: u32 = 200;

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| var(name).ok_or(ConfigError::Missing(name));
        let edge_secret = required("EDGE_SHARED_SECRET")?.into_bytes();
        if edge_secret.len() < 32 {
            return Err(ConfigError::WeakEdgeSecret);
        }
        Ok(Self {
            database_url: var("DATABASE_URL").unwrap_or_else(|| "sqlite://data/invio.db".into()),
            smtp_url: var("SMTP_URL").unwrap_or_else(|| "smtp://127.0.0.1:1025".into()),
            mail_from_address: var("MAIL_FROM")
                .unwrap_or_else(|| "invoices@invio.localhost".into()),
            edge_url: var("EDGE_URL")
                .unwrap_or_else(|| "http://127.0.0.1:8787".into())
                .trim_end_matches('/')
                .to_owned(),
            admin_url: var("ADMIN_URL")
                .unwrap_or_else(|| "http://127.0.0.1:3000".into())
                .trim_end_matches('/')
                .to_owned(),
            link_keys: KeyRing::parse(&required("LINK_SIGNING_KEYS")?)?,
            edge_secret,
            daily_email_quota: match var("DAILY_EMAIL_QUOTA") {
                None => DEFAULT_DAILY_EMAIL_QUOTA,
                Some(quota) => quota
                    .trim()
                    .parse()
                    .ok()
                    .filter(|quota| *quota > 0)
                    .ok_or(ConfigError::DailyEmailQuota)?,
            },
        })
    }
}
