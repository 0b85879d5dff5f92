//! Fresh links: a customer asks, on a revoked link's page, for a new link,
//! which is queued as any send is ([`Services::queue_send`]).

use invoice::email::{send_refusal, EmailPurpose};
use invoice::events::{fresh_link_allowed, MAX_FRESH_LINKS_PER_LINK};
use invoice::Money;

use super::{Queued, SendOrder, Words};
use crate::db::events::append;
use crate::db::{customers, invoices, links, now_ms, stores};
use crate::error::ServerError;
use crate::services::{today, Services};
use invoice::history::HistoryEvent;

/// A revoked link gets at most one fresh link per this window.
const FRESH_LINK_WINDOW_MS: i64 = 3_600_000;

impl Services {
    /// A customer asked, on a revoked link's page, for a fresh link. It goes
    /// to the customer's address on file (never one typed on the page), at
    /// most once an hour per revoked link and [`MAX_FRESH_LINKS_PER_LINK`]
    /// times in all, without copies, and only for an invoice still to pay
    /// (`invoice::events::fresh_link_allowed`) that the send dialog could
    /// send (`invoice::email::send_refusal`). A live link, a paid or
    /// voided invoice, a store that stopped sending or a customer without an
    /// address gets nothing; the page says the same either way. False for a
    /// link the server does not know.
    pub async fn send_fresh_link(&self, link_id: &str) -> Result<bool, ServerError> {
        let Some(source) = links::fresh_link_source(&self.db, link_id).await? else {
            return Ok(false);
        };
        let (organisation, invoice_id) = (source.organisation, source.invoice_id);
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        let due_minor = invoice.amount_due();
        if !fresh_link_allowed(
            source.revoked,
            invoice.lifecycle,
            due_minor,
            source.fresh_links_sent,
        ) {
            tracing::info!(
                invoice_id,
                "a fresh-link request was not answered with a link"
            );
            return Ok(true);
        }
        let store = stores::get(&self.db, organisation, invoice.store_id).await?;
        let customer = customers::get(&self.db, organisation, invoice.customer_id).await?;
        let sendable = send_refusal(
            invoice.lifecycle,
            EmailPurpose::Invoice,
            invoice.due_date,
            due_minor,
        )
        .is_none()
            && store.email_enabled;
        let (Some(document), Some(address), true) =
            (invoice.document.as_ref(), customer.email.as_ref(), sendable)
        else {
            return Ok(true);
        };
        let now = now_ms();
        let key = format!("fresh-{link_id}-{}", now / FRESH_LINK_WINDOW_MS);
        let order = SendOrder {
            organisation,
            invoice_id,
            purpose: EmailPurpose::Invoice,
            idempotency_key: &key,
            reminder_step: None,
            requested_by: None,
            document,
            store: &store,
            to: std::slice::from_ref(address),
            words: Words::Prefilled {
                amount_due: Money::new(due_minor, invoice.currency),
                today: today(),
            },
            with_copies: false,
        };
        let mut tx = self.db.begin_write().await?;
        match self.queue_send(&mut tx, &order, now).await? {
            Queued::Written => {}
            // A fresh link is an email like any other: past the organisation's
            // quota for the day it is not sent (the customer may ask again).
            Queued::OverQuota { .. } => {
                tx.rollback().await?;
                tracing::info!(
                    invoice_id,
                    "a fresh link waits: today's sending limit is reached"
                );
                return Ok(true);
            }
            // Already sent within the hour: not counted again.
            Queued::Duplicate => {
                tx.rollback().await?;
                return Ok(true);
            }
        }
        if !links::count_fresh_link(&mut tx, link_id, MAX_FRESH_LINKS_PER_LINK).await? {
            tx.rollback().await?;
            return Ok(true);
        }
        append(
            &mut tx,
            organisation,
            invoice_id,
            &HistoryEvent::FreshLinkRequested,
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        self.outbox_wake.notify_waiters();
        Ok(true)
    }
}
