//! Sending invoices by email: the send dialog, the automatic send on issue,
//! reminders, revoking links, and the dispatcher that delivers the outbox.
//!
//! Every send is written (request, links, emails, history) in one
//! transaction keyed by an idempotency key; the dispatcher publishes the
//! links to the edge and delivers the emails afterwards, with retries, so a
//! send survives an SMTP server or an edge that is down, and a restart.

use std::sync::Arc;
use std::time::Duration;

use app::api::{
    CurrentUser, LinkRow, OrganisationId, RecipientState, RecipientToConfirm, SendForm,
};
use base64::Engine;
use invoice::dates::Date;
use invoice::document::{DocumentLayout, EmailAddress};
use invoice::email::{
    compose, failure_notice, prefill, send_refusal, EmailPurpose, FailureNotice, Outgoing,
    SendInput,
};
use invoice::events::{
    fresh_link_allowed, Publication, PublishedLink, Recipient, StatePublication,
    MAX_FRESH_LINKS_PER_LINK,
};
use invoice::link::LinkId;
use invoice::problem::Problem;
use invoice::recipients::{
    confirmation_email, normalise, resend_refusal, utc_day_start, ConfirmationRequest,
    CONFIRMATION_VALID_MS, RESEND_WAIT_MINUTES,
};
use invoice::status::amount_due;
use invoice::store::StoreSettings;
use invoice::{Money, PublicDocument};

use crate::auth::{new_session_token, token_hash};
use crate::db::events::append;
use crate::db::outbox::{self, Admission, ClaimedEmail, NewEmail, NewNotice, NewSend};
use crate::db::{customers, edge_state, invoices, links, now_ms, random_id, stores};
use crate::email::{retry_delay_ms, Delivery, ServiceEmail, MAX_ATTEMPTS};
use crate::error::ServerError;
use crate::services::{invalid, refused, today, Services};
use invoice::history::{Audience, HistoryEvent};

/// Emails delivered at once, each worker on its own pooled SMTP connection
/// (lettre's pool keeps up to 10). One connection is latency-bound: lettre
/// writes the end-of-data marker apart from the message, so each email waits
/// out the server's delayed ACK (~40 ms on Linux); throughput comes from
/// connections side by side (`make bench` measures it).
/// How long an email's outcome waits for an unreachable database: well
/// within the 5-minute lease (`db::outbox`), so no other dispatcher has taken
/// the email over meanwhile.
const OUTCOME_PATIENCE: Duration = Duration::from_secs(120);

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

pub const DISPATCH_WORKERS: usize = 8;
/// Stands for the link's token in a stored email (see `with_link_token`).
const LINK_TOKEN_SLOT: &str = "{invio-link-token}";
/// How often an idle worker looks for retries that became due.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// A revoked link gets at most one fresh link per this window.
const FRESH_LINK_WINDOW_MS: i64 = 3_600_000;
/// How often changed invoice states are looked for.
const EDGE_SYNC_POLL: Duration = Duration::from_secs(1);
/// How often the reminder schedule is checked.
const REMINDER_POLL: Duration = Duration::from_secs(60);

/// One message of a send, before its link exists.
struct Recipients<'a> {
    to: &'a [EmailAddress],
    subject: &'a str,
    message: &'a str,
    /// Whether the store's "copies to" get their copies of this send.
    with_copies: bool,
}

impl Services {
    /// The send dialog for an invoice, prefilled from its store's templates
    /// in the customer's language.
    pub async fn send_form(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        purpose: EmailPurpose,
    ) -> Result<SendForm, ServerError> {
        let organisation = user.organisation;
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        let due_minor = amount_due(invoice.total_minor, invoice.paid_minor);
        let refusal = send_refusal(invoice.lifecycle, purpose, invoice.due_date, due_minor);
        let Some(document) = invoice.document.clone() else {
            return Err(refused("invoice", Problem::InvoiceIsDraft));
        };
        let store = stores::get(&self.db, organisation, invoice.store_id).await?;
        let customer = customers::get(&self.db, organisation, invoice.customer_id).await?;
        let (store_subject, store_message) = store.templates(purpose);
        let (subject, message) = prefill(
            purpose,
            store_subject,
            store_message,
            &document,
            Money::new(due_minor, invoice.currency),
            today(),
        );
        let (sent_today, daily_limit) = outbox::sending_today(
            &self.db,
            organisation,
            self.config.daily_email_quota,
            now_ms(),
        )
        .await?;
        Ok(SendForm {
            invoice_id,
            purpose,
            store_id: invoice.store_id,
            store_name: store.name.clone(),
            sending_enabled: store.email_enabled,
            refusal,
            to: customer
                .email
                .map(|address| address.as_str().to_owned())
                .unwrap_or_default(),
            subject,
            message,
            copies_to: store
                .copies_to
                .iter()
                .map(|address| address.as_str().to_owned())
                .collect(),
            reply_to: store.reply_to.map(|address| address.as_str().to_owned()),
            idempotency_key: random_id(),
            document,
            preview_link: format!("{}/i/…", self.config.edge_url),
            sent_today,
            daily_limit,
        })
    }

    /// Queues the send the merchant typed: one email (and link) per address
    /// in To, one copy per address in the store's "copies to".
    pub async fn send_email(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        purpose: EmailPurpose,
        input: SendInput,
        idempotency_key: &str,
    ) -> Result<(), ServerError> {
        let organisation = user.organisation;
        if outbox::key_used(&self.db, organisation, idempotency_key).await? {
            return Ok(());
        }
        self.require_confirmed_owner(organisation).await?;
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        let due_minor = amount_due(invoice.total_minor, invoice.paid_minor);
        if let Some(problem) = send_refusal(invoice.lifecycle, purpose, invoice.due_date, due_minor)
        {
            return Err(refused("to", problem));
        }
        let mut store = stores::get(&self.db, organisation, invoice.store_id).await?;
        if !store.email_enabled {
            return Err(refused("to", Problem::SendingDisabled));
        }
        self.keep_confirmed(organisation, &mut store.copies_to)
            .await?;
        let valid = input.validate().map_err(invalid)?;
        let document = invoice
            .document
            .ok_or_else(|| refused("to", Problem::InvoiceIsDraft))?;
        let emails = self.emails_for(
            &document,
            &store,
            &Recipients {
                to: &valid.to,
                subject: &valid.subject,
                message: &valid.message,
                with_copies: true,
            },
        );
        let send = NewSend {
            invoice_id,
            idempotency_key,
            purpose,
            reminder_step: None,
            requested_by: Some(user.id),
        };
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        match self
            .admit(&mut tx, organisation, idempotency_key, emails.len(), now)
            .await?
        {
            Admission::Admitted => {}
            Admission::Duplicate => return Ok(()),
            Admission::OverQuota { limit, left } => {
                return Err(refused("to", Problem::DailySendingLimit { limit, left }))
            }
        }
        outbox::write_send(&mut tx, organisation, &send, &emails, now).await?;
        tx.commit().await?;
        self.outbox_wake.notify_waiters();
        Ok(())
    }

    /// Whether a send of `emails` emails may be written in `tx`: see
    /// [`outbox::admit`].
    async fn admit(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        organisation: app::api::OrganisationId,
        idempotency_key: &str,
        emails: usize,
        now: i64,
    ) -> Result<Admission, ServerError> {
        outbox::admit(
            tx,
            self.db.engine,
            organisation,
            idempotency_key,
            emails,
            self.config.daily_email_quota,
            now,
        )
        .await
    }

    /// The emails of one send, each with a new link: earlier links keep
    /// working until the merchant revokes them.
    fn emails_for(
        &self,
        document: &PublicDocument,
        store: &StoreSettings,
        recipients: &Recipients<'_>,
    ) -> Vec<NewEmail> {
        let customers = recipients
            .to
            .iter()
            .map(|address| (Audience::Customer, address));
        let copies = store
            .copies_to
            .iter()
            .filter(|_| recipients.with_copies)
            .map(|address| (Audience::Copy, address));
        customers
            .chain(copies)
            .map(|(audience, address)| {
                let link_id = LinkId(rand::random());
                let link_url = format!("{}/i/{LINK_TOKEN_SLOT}", self.config.edge_url);
                let content = compose(&Outgoing {
                    document,
                    subject: recipients.subject,
                    message: recipients.message,
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

    /// Issues a draft and, when its store sends by email and its customer
    /// asked for it, queues the invoice in the same transaction: an issued
    /// invoice is never left unsent by a crash.
    pub async fn issue(
        &self,
        user: &CurrentUser,
        id: i64,
        version: i64,
    ) -> Result<(), ServerError> {
        let organisation = user.organisation;
        // An unconfirmed owner's store that sends on issue: the invoice stays a draft.
        let confirmed = self.require_confirmed_owner(organisation).await;
        let now = now_ms();
        let mut issued =
            invoices::issue(&self.db, organisation, user.id, id, version, today(), now).await?;
        let automatic = issued.store.sends_on_issue(issued.customer.email_invoices);
        if automatic && issued.customer.email.is_some() {
            confirmed?;
        }
        match (&issued.customer.email, automatic) {
            (_, false) => {}
            (Some(address), true) => {
                self.keep_confirmed(organisation, &mut issued.store.copies_to)
                    .await?;
                let (store_subject, store_message) = issued.store.templates(EmailPurpose::Invoice);
                let (subject, message) = prefill(
                    EmailPurpose::Invoice,
                    store_subject,
                    store_message,
                    &issued.document,
                    issued.document.totals.total,
                    today(),
                );
                let emails = self.emails_for(
                    &issued.document,
                    &issued.store,
                    &Recipients {
                        to: std::slice::from_ref(address),
                        subject: &subject,
                        message: &message,
                        with_copies: true,
                    },
                );
                let key = format!("issue-{id}");
                let send = NewSend {
                    invoice_id: id,
                    idempotency_key: &key,
                    purpose: EmailPurpose::Invoice,
                    reminder_step: None,
                    requested_by: Some(user.id),
                };
                // Over the day's quota the invoice is still issued; its
                // history says why it was not emailed.
                match self
                    .admit(&mut issued.tx, organisation, &key, emails.len(), now)
                    .await?
                {
                    Admission::OverQuota { .. } => {
                        append(
                            &mut issued.tx,
                            organisation,
                            id,
                            &HistoryEvent::AutomaticSendOverQuota,
                            None,
                            now,
                        )
                        .await?;
                    }
                    Admission::Admitted | Admission::Duplicate => {
                        outbox::write_send(&mut issued.tx, organisation, &send, &emails, now)
                            .await?;
                    }
                }
            }
            (None, true) => {
                append(
                    &mut issued.tx,
                    organisation,
                    id,
                    &HistoryEvent::AutomaticSendSkipped,
                    None,
                    now,
                )
                .await?;
            }
        }
        issued.tx.commit().await?;
        if automatic {
            self.outbox_wake.notify_waiters();
        }
        Ok(())
    }

    /// Queues the reminders that the stores' schedules make due on `today`.
    /// Each step's idempotency key names the invoice and the step, so a step
    /// is sent once even when several server instances run this at once.
    pub async fn queue_due_reminders(&self, today: Date) -> Result<usize, ServerError> {
        let mut queued = 0;
        for candidate in outbox::reminder_candidates(&self.db, today).await? {
            let mut store = candidate.store.clone();
            self.keep_confirmed(candidate.organisation, &mut store.copies_to)
                .await?;
            let store = &store;
            let Some(address) = candidate.customer_email.as_ref() else {
                continue;
            };
            if !store.email_enabled {
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
            let (store_subject, store_message) = store.templates(EmailPurpose::Reminder);
            let (subject, message) = prefill(
                EmailPurpose::Reminder,
                store_subject,
                store_message,
                &candidate.document,
                candidate.amount_due,
                today,
            );
            let emails = self.emails_for(
                &candidate.document,
                store,
                &Recipients {
                    to: std::slice::from_ref(address),
                    subject: &subject,
                    message: &message,
                    with_copies: true,
                },
            );
            let send = NewSend {
                invoice_id: candidate.invoice_id,
                idempotency_key: &format!("reminder-{}-step-{step}", candidate.invoice_id),
                purpose: EmailPurpose::Reminder,
                reminder_step: Some(step),
                requested_by: None,
            };
            let now = now_ms();
            let mut tx = self.db.begin_write().await?;
            match self
                .admit(
                    &mut tx,
                    candidate.organisation,
                    send.idempotency_key,
                    emails.len(),
                    now,
                )
                .await?
            {
                Admission::Admitted => {}
                Admission::Duplicate => continue,
                Admission::OverQuota { .. } => {
                    // Tried again each round: it goes when the next day starts.
                    tracing::info!(
                        invoice_id = candidate.invoice_id,
                        "a reminder waits: its organisation reached today's sending limit"
                    );
                    continue;
                }
            }
            let written =
                outbox::write_send(&mut tx, candidate.organisation, &send, &emails, now).await?;
            tx.commit().await?;
            queued += usize::from(written);
        }
        if queued > 0 {
            self.outbox_wake.notify_waiters();
        }
        Ok(queued)
    }

    /// A customer asked, on a revoked link's page, for a fresh link. It goes
    /// to the customer's address on file (never one typed on the page), at
    /// most once an hour per revoked link and [`MAX_FRESH_LINKS_PER_LINK`]
    /// times in all, without copies, and only for an invoice still to pay
    /// (`invoice::events::fresh_link_allowed`). A live link, a paid or
    /// voided invoice, a store that stopped sending or a customer without an
    /// address gets nothing; the page says the same either way. False for a
    /// link the server does not know.
    pub async fn send_fresh_link(&self, link_id: &str) -> Result<bool, ServerError> {
        let Some(source) = links::fresh_link_source(&self.db, link_id).await? else {
            return Ok(false);
        };
        let (organisation, invoice_id) = (source.organisation, source.invoice_id);
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        if !fresh_link_allowed(
            source.revoked,
            invoice.lifecycle,
            amount_due(invoice.total_minor, invoice.paid_minor),
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
        let (Some(document), Some(address), true) = (
            invoice.document.as_ref(),
            customer.email.as_ref(),
            store.email_enabled,
        ) else {
            return Ok(true);
        };
        let (store_subject, store_message) = store.templates(EmailPurpose::Invoice);
        let (subject, message) = prefill(
            EmailPurpose::Invoice,
            store_subject,
            store_message,
            document,
            Money::new(
                amount_due(invoice.total_minor, invoice.paid_minor),
                invoice.currency,
            ),
            today(),
        );
        let emails = self.emails_for(
            document,
            &store,
            &Recipients {
                to: std::slice::from_ref(address),
                subject: &subject,
                message: &message,
                with_copies: false,
            },
        );
        let now = now_ms();
        let send = NewSend {
            invoice_id,
            idempotency_key: &format!("fresh-{link_id}-{}", now / FRESH_LINK_WINDOW_MS),
            purpose: EmailPurpose::Invoice,
            reminder_step: None,
            requested_by: None,
        };
        let mut tx = self.db.begin_write().await?;
        // A fresh link is an email like any other: past the organisation's
        // quota for the day it is not sent (the customer may ask again).
        if let Admission::OverQuota { .. } = self
            .admit(
                &mut tx,
                organisation,
                send.idempotency_key,
                emails.len(),
                now,
            )
            .await?
        {
            tx.rollback().await?;
            tracing::info!(
                invoice_id,
                "a fresh link waits: today's sending limit is reached"
            );
            return Ok(true);
        }
        if !links::count_fresh_link(&mut tx, link_id, MAX_FRESH_LINKS_PER_LINK).await? {
            tx.rollback().await?;
            return Ok(true);
        }
        if !outbox::write_send(&mut tx, organisation, &send, &emails, now).await? {
            // Already sent within the hour: not counted again.
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

    /// Revokes a link (again, harmlessly, if it already is) and tells the edge.
    pub async fn revoke_link(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        link_id: &str,
    ) -> Result<(), ServerError> {
        let organisation = user.organisation;
        // Another organisation's invoice is not found, not merely linkless.
        invoices::get(&self.db, organisation, invoice_id).await?;
        let known = links::for_invoice(&self.db, organisation, invoice_id)
            .await?
            .iter()
            .any(|link| link.id == link_id);
        if !known {
            return Err(refused("link", Problem::LinkUnknown));
        }
        links::revoke(
            &self.db,
            organisation,
            user.id,
            invoice_id,
            link_id,
            now_ms(),
        )
        .await?;
        self.publish_now(organisation, invoice_id).await;
        Ok(())
    }

    /// Tells the edge at once, when it answers; otherwise the publisher
    /// catches up, and the merchant's change stands either way.
    async fn publish_now(&self, organisation: app::api::OrganisationId, invoice_id: i64) {
        if let Err(error) = self.publish_state(organisation, invoice_id).await {
            tracing::warn!(invoice_id, %error, "the edge will hear of this change later");
            self.edge_wake.notify_one();
        }
    }

    /// Open links of the customer's invoices sent to an address that is no
    /// longer theirs.
    pub async fn customer_old_links(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<Vec<LinkRow>, ServerError> {
        let customer = customers::get(&self.db, user.organisation, customer_id).await?;
        links::to_other_addresses(
            &self.db,
            user.organisation,
            customer_id,
            customer.email.as_ref().map(EmailAddress::as_str),
        )
        .await
    }

    pub async fn revoke_old_links(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<(), ServerError> {
        let old = self.customer_old_links(user, customer_id).await?;
        let mut invoices_touched: Vec<i64> = Vec::new();
        for link in &old {
            links::revoke(
                &self.db,
                user.organisation,
                user.id,
                link.invoice_id,
                &link.id,
                now_ms(),
            )
            .await?;
            if !invoices_touched.contains(&link.invoice_id) {
                invoices_touched.push(link.invoice_id);
            }
        }
        for invoice_id in invoices_touched {
            self.publish_now(user.organisation, invoice_id).await;
        }
        Ok(())
    }

    /// Hands the edge the invoice's frozen document, its PDF and every link
    /// it was sent with (revoked ones marked), replacing what it had.
    pub async fn publish_invoice(
        &self,
        organisation: app::api::OrganisationId,
        invoice_id: i64,
    ) -> Result<(), ServerError> {
        let publication = self.publication(organisation, invoice_id).await?;
        self.edge.publish(&publication.publication).await?;
        self.published(invoice_id, &publication).await
    }

    /// What the edge asks for when a link is not in its KV (lost, or never
    /// published because the edge was down): the publication of the link's
    /// invoice, or None for a link the server does not know.
    pub async fn publication_for_link(
        &self,
        link_id: &str,
    ) -> Result<Option<Publication>, ServerError> {
        let Some((organisation, invoice_id)) = links::invoice_of(&self.db, link_id).await? else {
            return Ok(None);
        };
        let publication = self.publication(organisation, invoice_id).await?;
        self.published(invoice_id, &publication).await?;
        Ok(Some(publication.publication))
    }

    async fn publication(
        &self,
        organisation: app::api::OrganisationId,
        invoice_id: i64,
    ) -> Result<PublicationRead, ServerError> {
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        let document = invoice.document.clone().ok_or(ServerError::NotFound)?;
        let links = links::for_invoice(&self.db, organisation, invoice_id).await?;
        let (state, state_version) = edge_state::read(&self.db, organisation, invoice_id).await?;
        let pdf = self
            .render_pdf(document.clone(), invoice.paid_minor, DocumentLayout::A4)
            .await?;
        Ok(PublicationRead {
            publication: Publication {
                invoice_key: invoice.edge_key.clone(),
                document,
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
                links: published_links(&links),
                state,
            },
            paid_minor: invoice.paid_minor,
            state_version,
        })
    }

    /// Records what the edge now has.
    async fn published(
        &self,
        invoice_id: i64,
        publication: &PublicationRead,
    ) -> Result<(), ServerError> {
        let ids: Vec<String> = publication
            .publication
            .links
            .iter()
            .map(|link| link.link_id.clone())
            .collect();
        links::mark_published(&self.db, invoice_id, &ids, now_ms()).await?;
        edge_state::mark_pdf_published(&self.db, invoice_id, publication.paid_minor).await?;
        edge_state::mark_published(&self.db, invoice_id, publication.state_version).await
    }

    /// Hands the edge an invoice's changed state: status, payments, the
    /// customer's history, revoked links.
    async fn publish_state(
        &self,
        organisation: app::api::OrganisationId,
        invoice_id: i64,
    ) -> Result<(), ServerError> {
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        if edge_state::pdf_paid_minor(&self.db, invoice_id).await? != Some(invoice.paid_minor) {
            // The PDF shows what is paid: after a payment it is rendered again.
            return self.publish_invoice(organisation, invoice_id).await;
        }
        let links = links::for_invoice(&self.db, organisation, invoice_id).await?;
        let (state, version) = edge_state::read(&self.db, organisation, invoice_id).await?;
        self.edge
            .publish_state(&StatePublication {
                invoice_key: invoice.edge_key,
                links: published_links(&links),
                state,
            })
            .await?;
        edge_state::mark_published(&self.db, invoice_id, version).await
    }

    /// Publishes every state that changed since the edge last had it;
    /// returns how many were published. An invoice whose publication fails,
    /// whatever the reason (the edge down, or refusing this one), backs off
    /// on its own (`edge_state::mark_failed`) and the round goes on with the
    /// others, so one invoice never holds back another organisation's
    /// payments, voids and revocations. The reason is logged once per
    /// failure streak; the state is read afresh at the next try.
    pub async fn publish_changed_states(&self) -> Result<usize, ServerError> {
        self.publish_changed_states_at(now_ms()).await
    }

    /// [`Self::publish_changed_states`] as if the clock read `now_ms`:
    /// invoices whose backoff ends by then are tried again.
    pub async fn publish_changed_states_at(&self, now_ms: i64) -> Result<usize, ServerError> {
        let mut published = 0;
        for (organisation, invoice_id) in edge_state::changed(&self.db, now_ms, 100).await? {
            match self.publish_state(organisation, invoice_id).await {
                Ok(()) => published += 1,
                Err(error) => {
                    let failures = edge_state::mark_failed(&self.db, invoice_id, now_ms).await?;
                    if failures == 1 {
                        tracing::warn!(
                            invoice_id,
                            %error,
                            "publishing an invoice's state failed; it backs off while the others go on"
                        );
                    } else {
                        tracing::debug!(invoice_id, failures, "an invoice's state failed again");
                    }
                }
            }
        }
        Ok(published)
    }

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
            amount_due(invoice.total_minor, invoice.paid_minor),
        ))
    }

    /// One delivery attempt: the link is published first, and the PDF
    /// rendered when the store attaches it. An edge that is down does not
    /// hold the email: it asks the server for the link when the customer
    /// opens it.
    async fn attempt(&self, email: &ClaimedEmail) -> Result<Delivery, ServerError> {
        if let Some(link_id) = &email.link_id {
            if !links::is_published(&self.db, link_id).await? {
                if let Err(error) = self
                    .publish_invoice(email.organisation, email.invoice_id)
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
        if email.audience == Audience::Notice {
            return Ok(Vec::new());
        }
        let mut audience = outbox::failure_audience(&self.db, email).await?;
        self.keep_confirmed(email.organisation, &mut audience.store.failure_notify)
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

/// Addresses on a merchant's behalf: only confirmed ones receive anything.
impl Services {
    /// Keeps the addresses whose owners confirmed them to this organisation.
    async fn keep_confirmed(
        &self,
        organisation: OrganisationId,
        addresses: &mut Vec<EmailAddress>,
    ) -> Result<(), ServerError> {
        if addresses.is_empty() {
            return Ok(());
        }
        let confirmed = stores::confirmed_addresses(&self.db, organisation).await?;
        addresses.retain(|address| confirmed.contains(&normalise(address.as_str())));
        Ok(())
    }

    /// Sends a confirmation request to each address of a saved store's
    /// copies and failure list that the organisation never had, as many as
    /// the day's requests allow; the others wait, shown as such, for "send
    /// again".
    pub async fn request_confirmations(
        &self,
        user: &CurrentUser,
        settings: &StoreSettings,
    ) -> Result<(), ServerError> {
        let organisation = user.organisation;
        let mut known: Vec<String> = stores::recipients(&self.db, organisation)
            .await?
            .into_iter()
            .map(|row| row.address)
            .collect();
        known.extend(stores::confirmed_addresses(&self.db, organisation).await?);
        let mut new: Vec<String> = Vec::new();
        for address in settings.copies_to.iter().chain(&settings.failure_notify) {
            let address = normalise(address.as_str());
            if !known.contains(&address) && !new.contains(&address) {
                new.push(address);
            }
        }
        for address in new {
            let now = now_ms();
            let within_day =
                stores::confirmations_sent_since(&self.db, organisation, utc_day_start(now))
                    .await?
                    < MAX_CONFIRMATIONS_PER_DAY;
            let token = within_day.then(new_session_token);
            let added = stores::add_recipient(
                &self.db,
                organisation,
                &address,
                token.as_ref().map(|(_, hash)| hash.as_str()),
                now,
            )
            .await?;
            if let (true, Some((token, _))) = (added, token) {
                self.mail_confirmation(user, &address, &token).await;
            }
        }
        Ok(())
    }

    /// The addresses of a store's copies and failure list, each confirmed or waiting.
    pub async fn recipient_states(
        &self,
        user: &CurrentUser,
        store_id: i64,
    ) -> Result<Vec<RecipientState>, ServerError> {
        let store = stores::get(&self.db, user.organisation, store_id).await?;
        let confirmed_addresses = stores::confirmed_addresses(&self.db, user.organisation).await?;
        let mut states: Vec<RecipientState> = Vec::new();
        for address in store.copies_to.iter().chain(&store.failure_notify) {
            let address = normalise(address.as_str());
            if states.iter().any(|state| state.address == address) {
                continue;
            }
            let confirmed = confirmed_addresses.contains(&address);
            states.push(RecipientState { address, confirmed });
        }
        Ok(states)
    }

    /// "Send again" for a waiting address of the store: at most once an
    /// hour, a few times in all, within the organisation's requests per day.
    pub async fn resend_recipient_confirmation(
        &self,
        user: &CurrentUser,
        store_id: i64,
        address: &str,
    ) -> Result<(), ServerError> {
        let organisation = user.organisation;
        let address = normalise(address);
        let store = stores::get(&self.db, organisation, store_id).await?;
        let in_store = store
            .copies_to
            .iter()
            .chain(&store.failure_notify)
            .any(|known| normalise(known.as_str()) == address);
        let row = stores::recipients(&self.db, organisation)
            .await?
            .into_iter()
            .find(|row| row.address == address);
        if !in_store {
            return Err(refused("address", Problem::UnknownRecipient));
        }
        let Some(row) = row.filter(|row| !row.confirmed) else {
            // Confirmed already, or one of the organisation's own users.
            return Ok(());
        };
        let now = now_ms();
        if let Some(problem) = resend_refusal(row.mails_sent, row.requested_at, now) {
            return Err(refused("address", problem));
        }
        if stores::confirmations_sent_since(&self.db, organisation, utc_day_start(now)).await?
            >= MAX_CONFIRMATIONS_PER_DAY
        {
            return Err(refused("address", Problem::ConfirmationsUsedToday));
        }
        let (token, hash) = new_session_token();
        if stores::renew_recipient(&self.db, organisation, &address, row.mails_sent, &hash, now)
            .await?
        {
            self.mail_confirmation(user, &address, &token).await;
            Ok(())
        } else {
            // Another request went meanwhile (a double click).
            Err(refused(
                "address",
                Problem::ConfirmationRecentlySent {
                    minutes: RESEND_WAIT_MINUTES,
                },
            ))
        }
    }

    /// Sends the request at once; a failure is logged and the address
    /// stays waiting, for "send again".
    async fn mail_confirmation(&self, user: &CurrentUser, address: &str, token: &str) {
        let confirm_url = format!("{}/confirm-recipient/{token}", self.config.admin_url);
        let content = confirmation_email(&ConfirmationRequest {
            language: user.language,
            business: &user.organisation_name,
            address,
            confirm_url: &confirm_url,
        });
        let email = ServiceEmail {
            to: address.to_owned(),
            subject: content.subject,
            body_text: content.text,
            body_html: content.html,
        };
        if let Err(error) = self.mailer.send_service_email(&email).await {
            tracing::warn!(%error, "a recipient confirmation request could not be sent");
        }
    }

    /// What the confirmation page shows for a live token.
    pub async fn recipient_confirmation(
        &self,
        token: &str,
    ) -> Result<RecipientToConfirm, ServerError> {
        let earliest = now_ms() - CONFIRMATION_VALID_MS;
        match stores::pending_recipient(&self.db, &token_hash(token), earliest).await? {
            Some((address, business, confirmed)) => Ok(RecipientToConfirm {
                address,
                business,
                confirmed,
            }),
            None => Err(refused("token", Problem::ConfirmationLinkInvalid)),
        }
    }

    pub async fn confirm_recipient(&self, token: &str) -> Result<(), ServerError> {
        let now = now_ms();
        if stores::confirm_recipient(
            &self.db,
            &token_hash(token),
            now - CONFIRMATION_VALID_MS,
            now,
        )
        .await?
        {
            Ok(())
        } else {
            Err(refused("token", Problem::ConfirmationLinkInvalid))
        }
    }
}

/// Confirmation requests one organisation may send per UTC day: a merchant
/// adds a handful of addresses, a spammer would add thousands.
pub const MAX_CONFIRMATIONS_PER_DAY: i64 = 20;

/// A publication and what it was read at, to record once the edge has it.
struct PublicationRead {
    publication: Publication,
    paid_minor: i64,
    state_version: i64,
}

/// The links as the edge keeps them.
fn published_links(links: &[LinkRow]) -> Vec<PublishedLink> {
    links
        .iter()
        .map(|link| PublishedLink {
            link_id: link.id.clone(),
            recipient: Recipient::parse(&link.recipient).unwrap_or(Recipient::Customer),
            revoked: link.revoked_at_ms.is_some(),
        })
        .collect()
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

/// Runs for the life of the process: publishes changed invoice states to the
/// edge as soon as they change, and at least every second.
pub async fn run_edge_sync(services: Arc<Services>) {
    loop {
        if let Err(error) = services.publish_changed_states().await {
            tracing::error!(%error, "publishing invoice states failed; trying again shortly");
        }
        tokio::select! {
            () = services.edge_wake.notified() => {}
            () = tokio::time::sleep(EDGE_SYNC_POLL) => {}
        }
    }
}

/// Runs for the life of the process: queues scheduled reminders each minute.
pub async fn run_reminders(services: Arc<Services>) {
    loop {
        if let Err(error) = services.queue_due_reminders(today()).await {
            tracing::error!(%error, "queueing reminders failed; trying again next round");
        }
        tokio::time::sleep(REMINDER_POLL).await;
    }
}
