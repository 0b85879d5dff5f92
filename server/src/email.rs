//! Email: the SMTP mailer ([`mailer`]) and the dispatcher that delivers the
//! outbox ([`dispatcher`]). The outbox itself (what a send writes, claims,
//! outcomes) is a repository, `crate::db::outbox`; what a send writes is
//! decided in `crate::sending`.

pub mod dispatcher;
pub mod mailer;

pub use mailer::{retry_delay_ms, Delivery, Mailer, MailerError, ServiceEmail, MAX_ATTEMPTS};
