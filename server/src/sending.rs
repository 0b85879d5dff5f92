//! Sending invoices by email. Every send (the dialog's Send, the automatic
//! send on issue, a scheduled reminder, a fresh link a customer asked for)
//! goes through one path, [`Services::queue_send`]: the store's templates
//! prefilled (or the merchant's own words), one email and one new link per
//! recipient, the organisation's daily quota, and the send written in the
//! caller's transaction under its idempotency key. Whether an invoice may be
//! emailed at all is the send dialog's rule, `invoice::email::send_refusal`,
//! whoever asks. The caller commits and wakes the dispatcher
//! (`crate::email::dispatcher`), which publishes the links and delivers.

pub mod fresh_links;
pub mod reminders;

use invoice::dates::Date;
use invoice::document::EmailAddress;
use invoice::email::{compose, prefill, EmailPurpose, Outgoing};
use invoice::link::LinkId;
use invoice::organisation::OrganisationId;
use invoice::store::StoreSettings;
use invoice::{Money, PublicDocument};
use sqlx::{Any, Transaction};

use crate::db::events::append;
use crate::db::invoices;
use crate::db::outbox::{self, Admission, NewEmail, NewSend};
use crate::email::dispatcher::LINK_TOKEN_SLOT;
use crate::error::ServerError;
use crate::recipients::keep_confirmed;
use crate::services::Services;
use invoice::history::Audience;
use invoice::transitions;

/// What a send's emails say.
pub(crate) enum Words<'a> {
    /// The subject and message the merchant typed in the send dialog.
    Typed { subject: &'a str, message: &'a str },
    /// The store's templates for the send's purpose, prefilled in the
    /// document's language with the amount due on `today`.
    Prefilled { amount_due: Money, today: Date },
}

/// One send of an invoice: why, to whom, and under which idempotency key.
pub(crate) struct SendOrder<'a> {
    pub organisation: OrganisationId,
    pub invoice_id: i64,
    pub purpose: EmailPurpose,
    pub idempotency_key: &'a str,
    pub reminder_step: Option<i32>,
    /// The user who asked; None for what the server sends by itself.
    pub requested_by: Option<i64>,
    pub document: &'a PublicDocument,
    pub store: &'a StoreSettings,
    /// One email (and link) each.
    pub to: &'a [EmailAddress],
    pub words: Words<'a>,
    /// Whether the store's confirmed "copies to" get their copies.
    pub with_copies: bool,
}

/// What became of a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Queued {
    Written,
    /// Its idempotency key was used before: nothing was written again.
    Duplicate,
    /// It would take the organisation past its quota for the day: nothing
    /// was written.
    OverQuota {
        limit: i64,
        left: i64,
    },
}

impl Services {
    /// The one path of every send: templates → prefill → recipients (the
    /// copies only once their owners confirmed them) → the day's quota
    /// ([`outbox::admit`]) → the send, its links and emails and their
    /// history written in `tx` ([`outbox::write_send`]). The caller commits
    /// `tx`, then wakes the dispatcher.
    pub(crate) async fn queue_send(
        &self,
        tx: &mut Transaction<'static, Any>,
        order: &SendOrder<'_>,
        now: i64,
    ) -> Result<Queued, ServerError> {
        let mut copies = if order.with_copies {
            order.store.copies_to.clone()
        } else {
            Vec::new()
        };
        keep_confirmed(&mut **tx, order.organisation, &mut copies).await?;
        let prefilled;
        let (subject, message) = match order.words {
            Words::Typed { subject, message } => (subject, message),
            Words::Prefilled { amount_due, today } => {
                let (store_subject, store_message) = order.store.templates(order.purpose);
                prefilled = prefill(
                    order.purpose,
                    store_subject,
                    store_message,
                    order.document,
                    amount_due,
                    today,
                );
                (prefilled.0.as_str(), prefilled.1.as_str())
            }
        };
        let emails = self.emails_for(order, &copies, subject, message);
        // Whether the invoice may be emailed is decided on its state under
        // the transaction's lock: voided or paid since the dialog was opened,
        // it is not sent.
        let state =
            invoices::locked_state(tx, self.db.engine, order.organisation, order.invoice_id)
                .await?;
        let recipients: Vec<(Audience, String)> = emails
            .iter()
            .map(|email| (email.audience, email.to_address.clone()))
            .collect();
        let queued = transitions::send(state, order.purpose, order.document.due_date, &recipients)?;
        match outbox::admit(
            tx,
            self.db.engine,
            order.organisation,
            order.idempotency_key,
            emails.len(),
            self.config.daily_email_quota,
            now,
        )
        .await?
        {
            Admission::Admitted => {}
            Admission::Duplicate => return Ok(Queued::Duplicate),
            Admission::OverQuota { limit, left } => return Ok(Queued::OverQuota { limit, left }),
        }
        let send = NewSend {
            invoice_id: order.invoice_id,
            idempotency_key: order.idempotency_key,
            purpose: order.purpose,
            reminder_step: order.reminder_step,
            requested_by: order.requested_by,
        };
        if !outbox::write_send(tx, order.organisation, &send, &emails, now).await? {
            return Ok(Queued::Duplicate);
        }
        for event in &queued {
            append(tx, order.organisation, order.invoice_id, event, None, now).await?;
        }
        Ok(Queued::Written)
    }

    /// The emails of one send, each with a new link: earlier links keep
    /// working until the merchant revokes them.
    fn emails_for(
        &self,
        order: &SendOrder<'_>,
        copies: &[EmailAddress],
        subject: &str,
        message: &str,
    ) -> Vec<NewEmail> {
        let store = order.store;
        let customers = order.to.iter().map(|address| (Audience::Customer, address));
        let copies = copies.iter().map(|address| (Audience::Copy, address));
        customers
            .chain(copies)
            .map(|(audience, address)| {
                let link_id = LinkId(rand::random());
                let link_url = format!("{}/i/{LINK_TOKEN_SLOT}", self.config.edge_url);
                let content = compose(&Outgoing {
                    document: order.document,
                    subject,
                    message,
                    link_url: &link_url,
                    copy_note_in: (audience == Audience::Copy).then_some(store.language),
                });
                NewEmail {
                    audience,
                    link_id: link_id.to_hex(),
                    to_address: address.as_str().to_owned(),
                    reply_to: store
                        .reply_to
                        .as_ref()
                        .map(|address| address.as_str().to_owned()),
                    content,
                    attach_layout: store.attach_pdf.then_some(store.email_template),
                }
            })
            .collect()
    }
}
