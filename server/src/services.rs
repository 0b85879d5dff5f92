//! The services every part of the server shares: the database, the
//! configuration, the mailer, the edge client and the wake-ups of the
//! background workers. What each part does with them is in its own module:
//! `admin` (the merchant admin's operations), `accounts`, `recipients`,
//! `sending`, `email::dispatcher`, `edge_sync::publisher`, `pdf`.

use std::sync::Arc;

use invoice::dates::Date;
use tokio::sync::Notify;

use crate::auth::PasswordHashing;
use crate::config::Config;
use crate::db::{now_ms, Db};
use crate::edge_sync::publisher::PublishGate;
use crate::edge_sync::EdgeClient;
use crate::email::Mailer;
use crate::pdf::PdfCache;

pub struct Services {
    pub db: Db,
    pub config: Config,
    pub mailer: Mailer,
    pub edge: EdgeClient,
    /// Wakes the outbox dispatcher when an email is queued.
    pub outbox_wake: Arc<Notify>,
    /// Wakes the edge publisher when an invoice's state changed.
    pub edge_wake: Arc<Notify>,
    /// The admin's change feeds: one watcher per organisation.
    pub live: crate::live::Hub,
    /// Caps the argon2 hashes computed at once.
    pub hashing: PasswordHashing,
    /// The PDFs rendered last: a send renders its PDF once.
    pub pdfs: PdfCache,
    /// One publication of an invoice at a time: a send publishes it once.
    pub publishing: PublishGate,
}

pub(crate) fn today() -> Date {
    Date::from_unix_millis(now_ms())
}

impl Services {
    /// The services of a server that publishes to `config.edge_url` and
    /// sends through `config.smtp_url`.
    pub fn new(db: Db, config: Config) -> Result<Self, crate::email::MailerError> {
        Ok(Self {
            mailer: Mailer::new(&config.smtp_url, &config.mail_from_address)?,
            edge: EdgeClient::new(&config.edge_url, config.edge_secret.clone()),
            hashing: PasswordHashing::new(config.hashing_concurrency),
            db,
            config,
            outbox_wake: Arc::new(Notify::new()),
            edge_wake: Arc::new(Notify::new()),
            live: crate::live::Hub::default(),
            pdfs: PdfCache::default(),
            publishing: PublishGate::default(),
        })
    }
}
