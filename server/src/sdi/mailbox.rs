//! Reading SdI's receipts from each store's PEC mailbox over IMAP (TLS; plain
//! text only to a loopback test server). Each message not yet looked at is
//! fetched without marking it read; its receipts are recorded in one
//! transaction, and only after the commit is it marked read: a crash in
//! between reads it again, and recording it again changes nothing.
//!
//! A mailbox that cannot be read (the server down, a wrong password) backs
//! off alone, 30 s doubling to an hour, and says why and since when on the
//! store's page; the other stores' mailboxes are read meanwhile, each with
//! its own time limit.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_imap::Client;
use futures::TryStreamExt;
use invoice::pec::{is_loopback, IMAPS_PORT};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use super::envelope;
use crate::db::sdi::{self, MailboxAccount, ReceiptSource, Recorded};
use crate::db::{now_ms, Db};
use crate::error::ServerError;
use crate::services::Services;

/// How often a mailbox that reads fine is read again.
pub const READ_INTERVAL_MS: i64 = 60_000;
/// How long one mailbox may take: connecting, signing in and reading.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a reader holds a mailbox: other server instances skip it meanwhile.
const READ_LEASE_MS: i64 = 120_000;
/// Messages looked at per mailbox per round; the rest wait for the next.
const MESSAGES_PER_ROUND: usize = 50;
/// The keyword set on every message looked at, receipt or not, so a message
/// that is not SdI's is not fetched again and the merchant's own mail keeps
/// its read state.
const LOOKED_AT: &str = "$InvioRead";
/// How often the reader looks for mailboxes due.
const POLL: Duration = Duration::from_secs(10);

/// Backoff after `failures` failed reads in a row: 30 s, 60 s … one hour.
pub fn retry_delay_ms(failures: i64) -> i64 {
    let exponent = failures.clamp(1, 8) - 1;
    (30_000_i64 << exponent).min(3_600_000)
}

/// What one mailbox's read did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxRead {
    pub matched: usize,
    pub unmatched: usize,
    pub again: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error("cannot connect to {0}")]
    Connect(String),
    #[error("TLS with {0} failed")]
    Tls(String),
    #[error("the server refused the user name or password: {0}")]
    Login(String),
    #[error("IMAP: {0}")]
    Imap(#[from] async_imap::error::Error),
    #[error("no answer within {} s", READ_TIMEOUT.as_secs())]
    TimedOut,
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl MailboxError {
    /// What the store's page says: the mailbox server's own answer, never
    /// Invio's internals (those are logged).
    fn shown(&self) -> String {
        match self {
            MailboxError::Server(_) => {
                "Invio could not record what it read; it will read the mailbox again".to_owned()
            }
            other => other.to_string(),
        }
    }
}

/// Runs for the life of the process: reads every due mailbox, then waits.
pub async fn run_mailboxes(services: Arc<Services>) {
    loop {
        if let Err(error) = services.read_mailboxes(now_ms()).await {
            tracing::error!(%error, "reading the PEC mailboxes failed; trying again shortly");
        }
        tokio::time::sleep(POLL).await;
    }
}

impl Services {
    /// Reads every mailbox due at `now`, side by side; one that fails or
    /// hangs is recorded and backed off, and stops none of the others.
    /// Returns each mailbox's outcome by store.
    pub async fn read_mailboxes(
        &self,
        now: i64,
    ) -> Result<Vec<(i64, Result<MailboxRead, String>)>, ServerError> {
        let mut reads = JoinSet::new();
        for account in sdi::due_mailboxes(&self.db, now).await? {
            if !sdi::claim_mailbox(&self.db, account.store_id, now, now + READ_LEASE_MS).await? {
                continue;
            }
            let db = self.db.clone();
            reads.spawn(async move {
                let outcome = match tokio::time::timeout(READ_TIMEOUT, read(&db, &account)).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(MailboxError::TimedOut),
                };
                let recorded = match &outcome {
                    Ok(_) => sdi::mailbox_read(&db, account.store_id, now, now + READ_INTERVAL_MS).await,
                    Err(error) => {
                        tracing::warn!(store = account.store_id, %error, "a PEC mailbox could not be read");
                        let next = now + retry_delay_ms(account.failures + 1);
                        sdi::mailbox_failed(&db, account.store_id, &error.shown(), now, next).await
                    }
                };
                if let Err(error) = recorded {
                    tracing::error!(store = account.store_id, %error, "recording a mailbox's read failed");
                }
                (account.store_id, outcome.map_err(|error| error.shown()))
            });
        }
        let mut outcomes = Vec::new();
        while let Some(joined) = reads.join_next().await {
            match joined {
                Ok(outcome) => outcomes.push(outcome),
                Err(error) => tracing::error!(%error, "a mailbox reader stopped"),
            }
        }
        outcomes.sort_by_key(|(store, _)| *store);
        Ok(outcomes)
    }
}

/// Connects (TLS unless the server is this machine on a port other than
/// IMAPS) and reads the mailbox.
async fn read(db: &Db, account: &MailboxAccount) -> Result<MailboxRead, MailboxError> {
    let address = format!("{}:{}", account.imap_host, account.imap_port);
    let tcp = TcpStream::connect((account.imap_host.as_str(), account.imap_port))
        .await
        .map_err(|error| MailboxError::Connect(format!("{address} ({error})")))?;
    if is_loopback(&account.imap_host) && account.imap_port != IMAPS_PORT {
        return read_over(db, account, tcp).await;
    }
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|_| MailboxError::Tls(address.clone()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from(account.imap_host.clone())
        .map_err(|_| MailboxError::Tls(address.clone()))?;
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|error| MailboxError::Tls(format!("{address} ({error})")))?;
    read_over(db, account, tls).await
}

async fn read_over<T>(
    db: &Db,
    account: &MailboxAccount,
    stream: T,
) -> Result<MailboxRead, MailboxError>
where
    T: AsyncRead + AsyncWrite + Unpin + Debug + Send,
{
    let mut client = Client::new(stream);
    client
        .read_response()
        .await
        .map_err(|error| MailboxError::Connect(error.to_string()))?
        .ok_or_else(|| MailboxError::Connect("the server closed the connection".into()))?;
    let mut session = client
        .login(&account.username, &account.password)
        .await
        .map_err(|(error, _)| MailboxError::Login(error.to_string()))?;
    session.select("INBOX").await?;
    let mut uids: Vec<u32> = session
        .uid_search(format!("UNKEYWORD {LOOKED_AT}"))
        .await?
        .into_iter()
        .collect();
    uids.sort_unstable();
    uids.truncate(MESSAGES_PER_ROUND);
    let mut read = MailboxRead::default();
    for uid in uids {
        let fetched: Vec<_> = session
            .uid_fetch(uid.to_string(), "BODY.PEEK[]")
            .await?
            .try_collect()
            .await?;
        let Some(body) = fetched.iter().find_map(|fetch| fetch.body()) else {
            continue;
        };
        let contents = envelope::receipts(body);
        for (file, error) in &contents.unreadable {
            tracing::info!(store = account.store_id, file = ?file, %error, "an XML attachment that is not an SdI receipt");
        }
        let flags = if contents.receipts.is_empty() {
            format!("+FLAGS ({LOOKED_AT})")
        } else {
            let mut tx = db.begin_write().await?;
            for found in &contents.receipts {
                let recorded = sdi::record_receipt(
                    &mut tx,
                    account.organisation,
                    ReceiptSource::Mailbox {
                        store_id: account.store_id,
                    },
                    &found.receipt,
                    found.message_file.as_deref(),
                    &found.xml,
                    now_ms(),
                )
                .await?;
                match recorded {
                    Recorded::Matched { .. } => read.matched += 1,
                    Recorded::Unmatched { .. } => read.unmatched += 1,
                    Recorded::Again => read.again += 1,
                }
            }
            tx.commit().await.map_err(ServerError::from)?;
            format!("+FLAGS (\\Seen {LOOKED_AT})")
        };
        let _: Vec<_> = session
            .uid_store(uid.to_string(), flags)
            .await?
            .try_collect()
            .await?;
    }
    session.logout().await?;
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_mailbox_backs_off_from_30_seconds_to_an_hour() {
        assert_eq!(retry_delay_ms(1), 30_000);
        assert_eq!(retry_delay_ms(2), 60_000);
        assert_eq!(retry_delay_ms(50), 3_600_000);
    }
}
