//! Telling the merchant when it matters (`invoice::notifications` decides
//! what deserves a notice): after each batch of the edge's events is stored,
//! the first time a person opened, or downloaded, each invoice of the batch
//! becomes a notice for the invoice's owners and issuer; each hears of it as
//! they chose: an email at once, a line in tomorrow's digest, or not by
//! email, and live in their open admin pages (`crate::live`).
//!
//! At most once per invoice, kind and user: the notice's unique key is
//! taken in the transaction that queues its email, so a batch ingested
//! twice, or by two server instances at once, emails once. A stranger with a
//! link can therefore make at most two emails per user per invoice (opened,
//! downloaded), and one digest a day.

use std::sync::Arc;
use std::time::Duration;

use invoice::dates::Date;
use invoice::events::EdgeEvent;
use invoice::notifications::{
    audience, digest_email, first_notices, notice_email, EmailChoice, Notice,
};

use crate::db::notifications::{self as db, InvoiceVisits};
use crate::db::{now_ms, outbox};
use crate::error::ServerError;
use crate::services::Services;

/// How often the digest scheduler looks for digests due.
const DIGEST_POLL: Duration = Duration::from_secs(60);

impl Services {
    fn invoice_url(&self, invoice_id: i64) -> String {
        format!("{}/invoices/{invoice_id}", self.config.admin_url)
    }

    fn notification_settings_url(&self) -> String {
        format!("{}{}", self.config.admin_url, app::api::ACCOUNT_PATH)
    }

    /// Makes the notices of one invoice's first opens and downloads that
    /// were not made yet, queueing the emails of those who want them at
    /// once; returns how many notices it made.
    async fn notify_firsts(&self, invoice: &InvoiceVisits, now: i64) -> Result<usize, ServerError> {
        let mut firsts = first_notices(invoice.entries.iter().map(|(event, at)| (event, *at)), now);
        if firsts.is_empty() {
            return Ok(0);
        }
        // A customer who keeps coming back costs a read, not a write: the
        // write transaction is taken only for a first not yet told (the
        // unique key still decides between server instances).
        let told = db::kinds_told(&self.db, invoice.invoice_id).await?;
        firsts.retain(|(kind, _)| !told.contains(kind));
        if firsts.is_empty() {
            return Ok(0);
        }
        let mut tx = self.db.begin_write().await?;
        let people =
            db::invoice_audience(&mut tx, invoice.organisation, invoice.invoice_id).await?;
        let hearing = audience(&people.owners, people.issuer);
        let mut made = 0;
        for (kind, at_ms) in firsts {
            for listener in people
                .listeners
                .iter()
                .filter(|listener| hearing.contains(&listener.user_id))
            {
                let new = db::record(
                    &mut tx,
                    invoice.organisation,
                    invoice.invoice_id,
                    listener.user_id,
                    kind,
                    at_ms,
                    listener.settings,
                    now,
                )
                .await?;
                if !new {
                    continue;
                }
                made += 1;
                if listener.settings.email != EmailChoice::Immediately {
                    continue;
                }
                let notice = Notice {
                    kind,
                    invoice_id: invoice.invoice_id,
                    number: people.number.clone(),
                    customer: people.customer.clone(),
                    at_ms,
                    time_zone: people.time_zone,
                };
                let content = notice_email(
                    listener.language,
                    &notice,
                    &self.invoice_url(invoice.invoice_id),
                    &self.notification_settings_url(),
                );
                outbox::queue_notification(
                    &mut tx,
                    invoice.organisation,
                    invoice.invoice_id,
                    &listener.email,
                    &content,
                    now,
                )
                .await?;
            }
        }
        if made > 0 {
            // The live feed reads new notices when the counter moves.
            db::organisation_changed(&mut tx, invoice.organisation).await?;
        }
        tx.commit().await?;
        Ok(made)
    }

    /// Queues each digest due on the UTC day of `now`: one per user who has
    /// notices made before that day and not yet listed, at most one per user
    /// per day (the day's key is taken in the transaction that queues it, so
    /// several server instances send it once). After a pause of several days
    /// one digest lists them all. Returns how many were queued.
    pub async fn send_digests(&self, now: i64) -> Result<usize, ServerError> {
        let today = Date::from_unix_millis(now);
        let day_start = today.days_since_epoch() * 86_400_000;
        let mut queued = 0;
        for user_id in db::digest_users(&self.db, day_start).await? {
            let mut tx = self.db.begin_write().await?;
            if !db::claim_digest(&mut tx, user_id, today, now).await? {
                continue;
            }
            let Some((reader, notices)) =
                db::take_digest(&mut tx, user_id, today, day_start).await?
            else {
                tx.commit().await?;
                continue;
            };
            let Some(first) = notices.first() else {
                tx.commit().await?;
                continue;
            };
            let content = digest_email(
                reader.language,
                &notices,
                |invoice_id| self.invoice_url(invoice_id),
                &self.notification_settings_url(),
            );
            outbox::queue_notification(
                &mut tx,
                reader.organisation,
                first.invoice_id,
                &reader.email,
                &content,
                now,
            )
            .await?;
            tx.commit().await?;
            queued += 1;
        }
        if queued > 0 {
            self.outbox_wake.notify_waiters();
        }
        Ok(queued)
    }
}

/// Called once a batch of the edge's events is stored (again or for the
/// first time): makes the notices of the first opens and downloads of the
/// batch's invoices. An error is the caller's to answer with 503, so the
/// edge sends the batch again and this runs again; what was made is not
/// made twice.
pub async fn after_ingest(services: &Services, events: &[EdgeEvent]) -> Result<usize, ServerError> {
    let mut link_ids: Vec<String> = events.iter().map(|event| event.link_id.clone()).collect();
    link_ids.sort_unstable();
    link_ids.dedup();
    let now = now_ms();
    let mut made = 0;
    for invoice in db::visits(&services.db, &link_ids).await? {
        made += services.notify_firsts(&invoice, now).await?;
    }
    if made > 0 {
        services.outbox_wake.notify_waiters();
    }
    Ok(made)
}

/// Runs for the life of the process: queues the day's digests each minute.
pub async fn run_digests(services: Arc<Services>) {
    loop {
        if let Err(error) = services.send_digests(now_ms()).await {
            tracing::error!(%error, "queueing notification digests failed; trying again next round");
        }
        tokio::time::sleep(DIGEST_POLL).await;
    }
}
