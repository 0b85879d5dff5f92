//! SMTP with lettre: building each message and reading the server's reply.
//!
//! The transport is pooled: the dispatcher's concurrent workers reuse open
//! connections. Transient failures (no connection, 4xx) are retried with
//! exponential backoff by the dispatcher (`super::dispatcher`); a permanent
//! refusal (5xx) marks the email failed.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::db::outbox::ClaimedEmail;

/// Attempts before an email is marked failed.
pub const MAX_ATTEMPTS: i64 = 8;

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

    /// The message as sent: text + HTML alternatives, and the PDF when the
    /// store attaches it. The Message-ID is the outbox row's, so a retried
    /// email keeps its identity.
    fn message(
        &self,
        email: &ClaimedEmail,
        attachment: Option<(String, Vec<u8>)>,
    ) -> Result<Message, String> {
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
        let body =
            MultiPart::alternative_plain_html(email.body_text.clone(), email.body_html.clone());
        let body = match attachment {
            None => body,
            Some((file_name, pdf)) => {
                MultiPart::mixed()
                    .multipart(body)
                    .singlepart(Attachment::new(file_name).body(
                        pdf,
                        ContentType::parse("application/pdf").map_err(|e| e.to_string())?,
                    ))
            }
        };
        builder.multipart(body).map_err(|error| error.to_string())
    }

    pub async fn deliver(
        &self,
        email: &ClaimedEmail,
        attachment: Option<(String, Vec<u8>)>,
    ) -> Delivery {
        let message = match self.message(email, attachment) {
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

/// An email from Invio itself rather than from a store: an address to
/// confirm, a password to reset. Sent at once, not through the outbox: the
/// person is waiting for it, and a failure is told to them as it happens.
pub struct ServiceEmail {
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

impl Mailer {
    /// Sends a [`ServiceEmail`] from "Invio" at the service's address; the
    /// error is the SMTP server's reply or why the message could not be built.
    pub async fn send_service_email(&self, email: &ServiceEmail) -> Result<(), String> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|_| format!("invalid recipient {}", email.to))?;
        let message = Message::builder()
            .from(Mailbox::new(
                Some("Invio".to_owned()),
                self.from_address.clone(),
            ))
            .to(to)
            .subject(email.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                email.body_text.clone(),
                email.body_html.clone(),
            ))
            .map_err(|error| error.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|error| error.to_string())
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
