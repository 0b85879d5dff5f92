//! Delivering the outbox over SMTP with lettre.
//!
//! The dispatcher claims one due email at a time, sends it through a pooled
//! transport and records the server's reply. Transient failures (no
//! connection, 4xx) are retried with exponential backoff; a permanent refusal
//! (5xx) or the last retry marks the email failed.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;

use crate::db::outbox::{self, ClaimedEmail};
use crate::db::{now_ms, Db};
use crate::error::ServerError;

/// Attempts before an email is marked failed.
pub const MAX_ATTEMPTS: i64 = 8;
/// How often an idle dispatcher looks for retries that became due.
const IDLE_POLL: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("SMTP_URL is not a valid SMTP URL: {0}")]
    Url(String),
    #[error("MAIL_FROM is not an email address: {0}")]
    From(String),
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from_address: Address,
}

/// What happened to one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent(String),
    Retry(String),
    Failed(String),
}

impl Mailer {
    pub fn new(smtp_url: &str, from_address: &str) -> Result<Self, MailerError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|error| MailerError::Url(error.to_string()))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from_address = from_address
            .parse()
            .map_err(|_| MailerError::From(from_address.to_owned()))?;
        Ok(Self {
            transport,
            from_address,
        })
    }

    fn message(&self, email: &ClaimedEmail) -> Result<Message, String> {
        let from = Mailbox::new(Some(email.sender_name.clone()), self.from_address.clone());
        let to: Mailbox = email
            .to_address
            .parse()
            .map_err(|_| format!("invalid recipient {}", email.to_address))?;
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(format!(
                "<invio-outbox-{}@{}>",
                email.id,
                self.from_address.domain()
            )));
        if let Some(reply_to) = email.reply_to.as_deref() {
            builder = builder.reply_to(
                reply_to
                    .parse()
                    .map_err(|_| format!("invalid reply-to {reply_to}"))?,
            );
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                email.body_text.clone(),
                email.body_html.clone(),
            ))
            .map_err(|error| error.to_string())
    }

    pub async fn deliver(&self, email: &ClaimedEmail) -> Delivery {
        let message = match self.message(email) {
            Ok(message) => message,
            Err(reason) => return Delivery::Failed(reason),
        };
        match self.transport.send(message).await {
            Ok(response) => Delivery::Sent(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Err(error) => classify(&error),
        }
    }
}

fn classify(error: &SmtpError) -> Delivery {
    let reason = error.to_string();
    if error.is_permanent() {
        Delivery::Failed(reason)
    } else {
        Delivery::Retry(reason)
    }
}

/// Backoff before attempt `attempts + 1`: 10 s, 20 s, 40 s … capped at one hour.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let exponent = attempts.clamp(1, 12) - 1;
    (10_000_i64 << exponent).min(3_600_000)
}

/// Delivers every email that is due now; returns how many were attempted.
pub async fn deliver_due(db: &Db, mailer: &Mailer) -> Result<usize, ServerError> {
    let mut attempted = 0;
    while let Some(email) = outbox::claim_next(db, now_ms()).await? {
        attempted += 1;
        match mailer.deliver(&email).await {
            Delivery::Sent(reply) => outbox::mark_sent(db, &email, &reply, now_ms()).await?,
            Delivery::Retry(reply) if email.attempts < MAX_ATTEMPTS => {
                tracing::warn!(email = email.id, attempts = email.attempts, %reply, "email will be retried");
                outbox::schedule_retry(
                    db,
                    &email,
                    &reply,
                    now_ms() + retry_delay_ms(email.attempts),
                )
                .await?
            }
            Delivery::Retry(reply) | Delivery::Failed(reply) => {
                tracing::warn!(email = email.id, %reply, "email failed");
                outbox::mark_failed(db, &email, &reply, now_ms()).await?
            }
        }
    }
    Ok(attempted)
}

/// Runs for the life of the process: delivers due emails, then waits for a
/// new one or for the next poll.
pub async fn run_dispatcher(db: Db, mailer: Mailer, wake: Arc<Notify>) {
    loop {
        match deliver_due(&db, &mailer).await {
            Ok(_) => {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(IDLE_POLL) => {}
                }
            }
            Err(error) => {
                tracing::error!(%error, "the outbox dispatcher hit an error; retrying shortly");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(retry_delay_ms(1), 10_000);
        assert_eq!(retry_delay_ms(2), 20_000);
        assert_eq!(retry_delay_ms(4), 80_000);
        assert_eq!(retry_delay_ms(30), 3_600_000);
    }
}
