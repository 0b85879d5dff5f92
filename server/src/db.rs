//! The database: one schema on two engines, reached through sqlx's `Any`
//! driver so every repository has one code path. SQLite is the embedded
//! default; Postgres is what several server instances share.

pub mod accounts;
pub mod bulk;
pub mod chase;
pub mod credit_notes;
pub mod customer_facts;
pub mod customers;
pub mod edge_state;
pub mod events;
pub mod export;
pub mod fatturapa;
pub mod invoices;
pub mod links;
pub mod notifications;
pub mod outbox;
pub mod sdi;
pub mod stores;
pub mod verifactu;
pub mod verifactu_sending;

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::error::ServerError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// What a SELECT adds to keep the rows it read from other writers until
    /// the transaction ends. Postgres: `FOR NO KEY UPDATE`, which still lets
    /// other transactions insert rows that refer to these (a send's links and
    /// outbox rows refer to its invoice and organisation), so two writers
    /// taking the same rows in another order never deadlock. SQLite: nothing,
    /// its write transaction holds the whole database already.
    pub fn row_lock(self) -> &'static str {
        match self {
            Engine::Postgres => "FOR NO KEY UPDATE",
            Engine::Sqlite => "",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
}

impl Db {
    /// Connects, creating the SQLite file and its folder when needed, and runs
    /// the migrations of the engine.
    pub async fn connect(url: &str) -> Result<Self, ServerError> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        };
        let url = match engine {
            Engine::Sqlite => prepare_sqlite_url(url)?,
            Engine::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => 4,
                Engine::Postgres => 16,
            })
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // WAL lets readers work while the outbox writes; the busy
                        // timeout queues concurrent writers instead of failing them.
                        connection
                            .execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let db = Db { pool, engine };
        match engine {
            Engine::Sqlite => sqlx::migrate!("migrations/sqlite").run(&db.pool).await?,
            Engine::Postgres => sqlx::migrate!("migrations/postgres").run(&db.pool).await?,
        }
        Ok(db)
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock
    /// when it begins (`BEGIN IMMEDIATE`): a deferred transaction that reads
    /// first and writes later cannot wait for another writer (SQLite answers
    /// 517 at once, which `busy_timeout` does not cover), whereas a
    /// transaction that asks for the lock up front is queued by it.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, ServerError> {
        Ok(match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.pool.begin().await?,
        })
    }
}

/// Adds `mode=rwc` so the file is created, and creates its folder.
fn prepare_sqlite_url(url: &str) -> Result<String, ServerError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path != ":memory:" && !path.is_empty() {
        if let Some(folder) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(|error| {
                ServerError::Corrupt(format!("cannot create {}: {error}", folder.display()))
            })?;
        }
    }
    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// The `VALUES` list of a multi-row insert: `($1, $2), ($3, $4)` for two
/// rows of two columns.
/// `$first, $first+1, …`: the placeholders of a list of `count` values, for
/// `IN (…)`.
pub fn list_placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn values_placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let first = row * columns + 1;
            let placeholders: Vec<String> =
                (first..first + columns).map(|n| format!("${n}")).collect();
            format!("({})", placeholders.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A random 128-bit id as 32 hex characters.
pub fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0_u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
