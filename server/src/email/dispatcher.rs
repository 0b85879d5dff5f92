//! The dispatcher: workers that deliver the outbox's due emails, each
//! attempt's outcome recorded (sent, retried with backoff, failed with
//! notices to the merchant, or cancelled when no longer due).
//!
//! Every send is written (request, links, emails, history) in one
//! transaction by `crate::sending`; the dispatcher publishes the links to
//! the edge and delivers the emails afterwards, with retries, so a send
//! survives an SMTP server or an edge that is down, and a restart.

use std::sync::Arc;
use std::time::Duration;

use invoice::email::{failure_notice, send_refusal, FailureNotice};
use invoice::link::LinkId;
use invoice::problem::Problem;

use super::mailer::{retry_delay_ms, Delivery, MAX_ATTEMPTS};
use crate::db::outbox::{self, ClaimedEmail, NewNotice};
use crate::db::{invoices, links, now_ms};
use crate::error::ServerError;
use crate::recipients::keep_confirmed;
use crate::services::Services;
use invoice::history::Audience;

/// Emails delivered at once, each worker on its own pooled SMTP connection
/// (lettre's pool keeps up to 10). One connection is latency-bound: lettre
/// writes the end-of-data marker apart from the message, so each email waits
/// out the server's delayed ACK (~40 ms on Linux); throughput comes from
/// connections side by side (`make bench` measures it).
pub const DISPATCH_WORKERS: usize = 8;
/// How long an email's outcome waits for an unreachable database: well
/// within the 5-minute lease (`db::outbox`), so no other dispatcher has taken
/// the email over meanwhile.
const OUTCOME_PATIENCE: Duration = Duration::from_secs(120);
/// Stands for the link's token in a stored email (see `with_link_token`).
pub(crate) const LINK_TOKEN_SLOT: &str = "{invio-link-token}";
/// How often an idle worker looks for retries that became due.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Runs a step of a claimed email's delivery, its outcome's record above all,
/// again while the database is briefly away (a restart, a failover). Giving
/// up at once would leave the email claimed; a sent one would be sent again
/// when its lease ran out.
async fn patiently<T, F, Fut>(mut write: F) -> Result<T, ServerError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ServerError>>,
{
    let deadline = tokio::time::Instant::now() + OUTCOME_PATIENCE;
    let mut wait = Duration::from_millis(100);
    loop {
        match write().await {
            Err(error)
                if error.is_database_unreachable() && tokio::time::Instant::now() < deadline =>
            {
                tracing::warn!(%error, "the database is unreachable; recording the email's outcome again shortly");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            outcome => return outcome,
        }
    }
}

/// Runs for the life of the process: [`DISPATCH_WORKERS`] workers deliver
/// due emails, then wait for a new one or for the next poll.
pub async fn run_dispatcher(services: Arc<Services>) {
    let mut workers = Vec::with_capacity(DISPATCH_WORKERS);
    for _ in 0..DISPATCH_WORKERS {
        let services = services.clone();
        workers.push(tokio::spawn(async move {
            loop {
                match services.deliver_due(&now_ms).await {
                    Ok(_) => {
                        tokio::select! {
                            () = services.outbox_wake.notified() => {}
                            () = tokio::time::sleep(IDLE_POLL) => {}
                        }
                    }
                    Err(error) => {
                        tracing::error!(%error, "the outbox dispatcher hit an error; retrying shortly");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            }
        }));
    }
    for worker in workers {
        if let Err(error) = worker.await {
            tracing::error!(%error, "an outbox worker stopped");
        }
    }
}

impl Services {
    /// Delivers every email due at `now()`; returns how many were attempted.
    /// Several workers (and server instances) may run this at once: each
    /// email is claimed by one.
    pub async fn deliver_due(&self, now: &(dyn Fn() -> i64 + Sync)) -> Result<usize, ServerError> {
        let mut attempted = 0;
        while let Some(email) = outbox::claim_next(&self.db, now()).await? {
            attempted += 1;
            // Once claimed, an email is seen through to an outcome even if the
            // database is briefly away: a claim left behind waits out its lease.
            if let Some(problem) = patiently(|| self.no_longer_due(&email)).await? {
                let reason = format!("not sent: {}", problem.message(invoice::Language::En));
                patiently(|| outbox::mark_cancelled(&self.db, &email, &reason, now())).await?;
                continue;
            }
            // An internal error counts as a failed attempt, so the email still
            // ends (sent or failed, with notices) instead of coming back forever.
            let delivery = match self.attempt(&email).await {
                Ok(delivery) => delivery,
                Err(error) => {
                    tracing::error!(email = email.id, %error, "preparing an email failed");
                    Delivery::Retry("Invio could not prepare this email; it will try again".into())
                }
            };
            match delivery {
                Delivery::Sent(reply) => {
                    patiently(|| outbox::mark_sent(&self.db, &email, &reply, now())).await?
                }
                Delivery::Retry(reply) if email.attempts < MAX_ATTEMPTS => {
                    tracing::warn!(email = email.id, attempts = email.attempts, %reply, "email will be retried");
                    let next = now() + retry_delay_ms(email.attempts);
                    patiently(|| outbox::schedule_retry(&self.db, &email, &reply, next, now()))
                        .await?
                }
                Delivery::Retry(reply) | Delivery::Failed(reply) => {
                    tracing::warn!(email = email.id, %reply, "email failed");
                    let notices = patiently(|| self.failure_notices(&email, &reply)).await?;
                    patiently(|| outbox::mark_failed(&self.db, &email, &reply, &notices, now()))
                        .await?;
                }
            }
        }
        Ok(attempted)
    }

    /// Why an email that waited in the outbox (SMTP down, retries) must not
    /// go any more: the invoice was voided meanwhile, or paid for a reminder.
    /// Failure notices always go.
    async fn no_longer_due(&self, email: &ClaimedEmail) -> Result<Option<Problem>, ServerError> {
        if email.audience == Audience::Notice {
            return Ok(None);
        }
        let invoice = invoices::get(&self.db, email.organisation, email.invoice_id).await?;
        Ok(send_refusal(
            invoice.lifecycle,
            email.purpose,
            invoice.due_date,
            invoice.amount_due(),
        ))
    }

    /// One delivery attempt: the link is published first (once for all the
    /// emails of its send), and the PDF attached when the store attaches it
    /// (rendered once for them all, see `crate::pdf`). An edge that is down does not
    /// hold the email: it asks the server for the link when the customer
    /// opens it.
    async fn attempt(&self, email: &ClaimedEmail) -> Result<Delivery, ServerError> {
        if let Some(transmission) = email.sdi_transmission {
            let outgoing = crate::db::sdi::outgoing(&self.db, transmission).await?;
            return Ok(crate::sdi::transmission::deliver(&outgoing, email.id).await);
        }
        if let Some(link_id) = &email.link_id {
            if !links::is_published(&self.db, link_id).await? {
                if let Err(error) = self
                    .publish_for_link(email.organisation, email.invoice_id, link_id)
                    .await
                {
                    tracing::warn!(email = email.id, %error, "the link goes without being published; the edge will ask for it");
                }
            }
        }
        let attachment = match email.attach_layout {
            None => None,
            Some(layout) => Some(
                self.invoice_pdf(email.organisation, email.invoice_id, layout)
                    .await?,
            ),
        };
        Ok(self
            .mailer
            .deliver(&self.with_link_token(email), attachment)
            .await)
    }

    /// The email as it leaves: its link's token signed into it now. The
    /// outbox keeps only the link's id, so a leaked backup opens no invoice.
    fn with_link_token(&self, email: &ClaimedEmail) -> ClaimedEmail {
        let mut email = email.clone();
        if let Some(link_id) = email.link_id.as_deref().and_then(LinkId::from_hex) {
            let token = self.config.link_keys.sign(link_id);
            email.body_text = email.body_text.replace(LINK_TOKEN_SLOT, &token);
            email.body_html = email.body_html.replace(LINK_TOKEN_SLOT, &token);
        }
        email
    }

    /// The notices a failed email sends: to the user who issued the invoice
    /// and to the store's failure list, each once. Notices about notices
    /// are never sent.
    async fn failure_notices(
        &self,
        email: &ClaimedEmail,
        reason: &str,
    ) -> Result<Vec<NewNotice>, ServerError> {
        // A transmission to SdI that failed is told like a failed email.
        if email.audience == Audience::Notice && email.sdi_transmission.is_none() {
            return Ok(Vec::new());
        }
        let mut audience = outbox::failure_audience(&self.db, email).await?;
        keep_confirmed(
            &self.db.pool,
            email.organisation,
            &mut audience.store.failure_notify,
        )
        .await?;
        let store_language = audience.store.language;
        let mut recipients: Vec<(String, invoice::Language)> = Vec::new();
        let candidates = audience.issuer.into_iter().chain(
            audience
                .store
                .failure_notify
                .iter()
                .map(|address| (address.as_str().to_owned(), store_language)),
        );
        for (address, language) in candidates {
            if !recipients
                .iter()
                .any(|(known, _)| known.eq_ignore_ascii_case(&address))
            {
                recipients.push((address, language));
            }
        }
        let invoice_url = format!("{}/invoices/{}", self.config.admin_url, email.invoice_id);
        Ok(recipients
            .into_iter()
            .map(|(to_address, language)| NewNotice {
                content: failure_notice(&FailureNotice {
                    language,
                    number: &audience.number,
                    customer: &audience.customer_name,
                    address: &email.to_address,
                    reason,
                    invoice_url: &invoice_url,
                }),
                to_address,
            })
            .collect())
    }
}
