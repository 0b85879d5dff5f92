//! Scheduled reminders: each minute, the steps of the stores' schedules that
//! fell due are queued, as any send is ([`Services::queue_send`]).

use std::sync::Arc;
use std::time::Duration;

use invoice::dates::Date;
use invoice::email::{send_refusal, EmailPurpose};
use invoice::status::Lifecycle;

use super::{Queued, SendOrder, Words};
use crate::db::{now_ms, outbox};
use crate::error::ServerError;
use crate::services::{today, Services};

/// How often the reminder schedule is checked.
const REMINDER_POLL: Duration = Duration::from_secs(60);

/// Runs for the life of the process: queues scheduled reminders each minute.
pub async fn run_reminders(services: Arc<Services>) {
    loop {
        if let Err(error) = services.queue_due_reminders(today()).await {
            tracing::error!(%error, "queueing reminders failed; trying again next round");
        }
        tokio::time::sleep(REMINDER_POLL).await;
    }
}

impl Services {
    /// Queues the reminders that the stores' schedules make due on `today`.
    /// Each step's idempotency key names the invoice and the step, so a step
    /// is sent once even when several server instances run this at once.
    pub async fn queue_due_reminders(&self, today: Date) -> Result<usize, ServerError> {
        let mut queued = 0;
        for candidate in outbox::reminder_candidates(&self.db, today).await? {
            let store = &candidate.store;
            let Some(address) = candidate.customer_email.as_ref() else {
                continue;
            };
            // The send dialog's rule; the candidates are issued invoices.
            let refusal = send_refusal(
                Lifecycle::Issued,
                EmailPurpose::Reminder,
                Some(candidate.due_date),
                candidate.amount_due.minor,
            );
            if refusal.is_some() || !store.email_enabled {
                continue;
            }
            let Some(step) = invoice::reminders::due_step(
                &store.reminder_schedule,
                candidate.first_sent,
                candidate.due_date,
                today,
                candidate.last_step,
            ) else {
                continue;
            };
            let key = format!("reminder-{}-step-{step}", candidate.invoice_id);
            let order = SendOrder {
                organisation: candidate.organisation,
                invoice_id: candidate.invoice_id,
                purpose: EmailPurpose::Reminder,
                idempotency_key: &key,
                reminder_step: Some(step),
                requested_by: None,
                document: &candidate.document,
                store,
                to: std::slice::from_ref(address),
                words: Words::Prefilled {
                    amount_due: candidate.amount_due,
                    today,
                },
                with_copies: true,
            };
            let now = now_ms();
            let mut tx = self.db.begin_write().await?;
            match self.queue_send(&mut tx, &order, now).await? {
                Queued::Written => {
                    tx.commit().await?;
                    queued += 1;
                }
                Queued::Duplicate => {}
                Queued::OverQuota { .. } => {
                    // Tried again each round: it goes when the next day starts.
                    tracing::info!(
                        invoice_id = candidate.invoice_id,
                        "a reminder waits: its organisation reached today's sending limit"
                    );
                }
            }
        }
        if queued > 0 {
            self.outbox_wake.notify_waiters();
        }
        Ok(queued)
    }
}
