//! Work on many invoices at once, from the list's selection: send them or
//! send reminders, each through the one path of every send
//! ([`Services::queue_send`]: the dialog's rules, the outbox in the same
//! transaction, the day's quota), each invoice in its own transaction so one
//! refusal never stops another; or take their PDFs, the ones the merchant
//! downloads one by one, as one ZIP.
//!
//! A selection is done once: its key (`invoice::bulk::selection_key`) is
//! claimed before anything is sent, each invoice's send carries a key made
//! from it, and a second click of the same form finds the first outcome.

use std::io::{Cursor, Write};

use invoice::bulk::{zip_entry_names, BulkAction, BulkItem, BulkReport, ItemOutcome};
use invoice::document::DocumentLayout;
use invoice::email::{send_refusal, EmailPurpose};
use invoice::organisation::{CurrentUser, OrganisationId};
use invoice::problem::Problem;
use invoice::Money;
use zip::write::SimpleFileOptions;

use app::api::AdminError;

use crate::db::{bulk, customers, invoices, now_ms, random_id, stores};
use crate::error::{refused, InvalidInput, ServerError};
use crate::sending::{Queued, SendOrder, Words};
use crate::services::{today, Services};

impl Services {
    /// Sends the selected invoices, or reminders for them, under the
    /// selection's key and keeps the outcome of each; a selection submitted
    /// before sends nothing. The owner's address must be confirmed, as for
    /// any send.
    pub async fn bulk_send(
        &self,
        user: &CurrentUser,
        selection_key: &str,
        purpose: EmailPurpose,
        ids: &[i64],
    ) -> Result<(), ServerError> {
        let action = match purpose {
            EmailPurpose::Invoice => BulkAction::Send,
            EmailPurpose::Reminder => BulkAction::Remind,
        };
        self.require_confirmed_owner(user.organisation).await?;
        if !bulk::claim(
            &self.db,
            user.organisation,
            selection_key,
            action,
            user.id,
            now_ms(),
        )
        .await?
        {
            return Ok(());
        }
        let mut items = Vec::with_capacity(ids.len());
        for &invoice_id in ids {
            let key = format!("bulk-{selection_key}-{invoice_id}");
            items.push(self.bulk_item(user, invoice_id, purpose, &key).await);
        }
        if items.iter().any(|item| item.outcome.succeeded()) {
            self.outbox_wake.notify_waiters();
        }
        let report = BulkReport { action, items };
        bulk::finish(&self.db, user.organisation, selection_key, &report).await
    }

    /// What became of one invoice of the selection.
    async fn bulk_item(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        purpose: EmailPurpose,
        key: &str,
    ) -> BulkItem {
        let invoice = invoices::get(&self.db, user.organisation, invoice_id).await;
        let (number, customer_name) = match &invoice {
            Ok(invoice) => (invoice.number.clone(), invoice.customer_name.clone()),
            Err(_) => (None, String::new()),
        };
        let outcome = match invoice {
            Ok(invoice) => match self.send_one(user, invoice, purpose, key).await {
                Ok(outcome) => outcome,
                Err(ServerError::NotFound) => ItemOutcome::NotFound,
                Err(ServerError::Invalid(InvalidInput(fields))) => match fields.first() {
                    Some(field) => ItemOutcome::Skipped {
                        reason: field.problem.clone(),
                    },
                    None => ItemOutcome::Failed,
                },
                Err(error) => {
                    tracing::error!(%error, invoice_id, "a bulk send of one invoice failed");
                    ItemOutcome::Failed
                }
            },
            Err(ServerError::NotFound) => ItemOutcome::NotFound,
            Err(error) => {
                tracing::error!(%error, invoice_id, "reading an invoice of a bulk send failed");
                ItemOutcome::Failed
            }
        };
        BulkItem {
            invoice_id,
            number,
            customer_name,
            outcome,
        }
    }

    /// One invoice sent as the dialog would with the store's words for the
    /// purpose, to the customer's address on file.
    async fn send_one(
        &self,
        user: &CurrentUser,
        invoice: invoices::InvoiceRecord,
        purpose: EmailPurpose,
        key: &str,
    ) -> Result<ItemOutcome, ServerError> {
        let organisation = user.organisation;
        let due_minor = invoice.amount_due();
        let skipped = |reason| Ok(ItemOutcome::Skipped { reason });
        if let Some(problem) = send_refusal(invoice.lifecycle, purpose, invoice.due_date, due_minor)
        {
            return skipped(problem);
        }
        let Some(document) = invoice.document.as_ref() else {
            return skipped(Problem::InvoiceIsDraft);
        };
        let store = stores::get(&self.db, organisation, invoice.store_id).await?;
        if !store.email_enabled {
            return skipped(Problem::SendingDisabled);
        }
        let customer = customers::get(&self.db, organisation, invoice.customer_id).await?;
        let Some(address) = customer.email else {
            return skipped(Problem::CustomerHasNoEmail);
        };
        let order = SendOrder {
            organisation,
            invoice_id: invoice.id,
            purpose,
            idempotency_key: key,
            reminder_step: None,
            requested_by: Some(user.id),
            document,
            store: &store,
            to: std::slice::from_ref(&address),
            words: Words::Prefilled {
                amount_due: Money::new(due_minor, invoice.currency),
                today: today(),
            },
            with_copies: true,
        };
        let mut tx = self.db.begin_write().await?;
        match self.queue_send(&mut tx, &order, now_ms()).await? {
            Queued::Written => tx.commit().await?,
            Queued::Duplicate => {}
            Queued::OverQuota { limit, .. } => return Ok(ItemOutcome::OverLimit { limit }),
        }
        Ok(match purpose {
            EmailPurpose::Invoice => ItemOutcome::Sent,
            EmailPurpose::Reminder => ItemOutcome::Reminded,
        })
    }

    /// The outcome kept for a selection the organisation submitted: None
    /// while it is still being sent.
    pub async fn bulk_report(
        &self,
        organisation: OrganisationId,
        selection_key: &str,
    ) -> Result<Option<BulkReport>, ServerError> {
        bulk::outcome(&self.db, organisation, selection_key).await
    }

    /// The A4 PDFs of the selected issued invoices as one ZIP, each named
    /// `<number>.pdf`; drafts and invoices of other organisations are left
    /// out. Held in memory: at most `invoice::bulk::MAX_SELECTED` PDFs.
    pub async fn bulk_pdfs(
        &self,
        organisation: OrganisationId,
        ids: &[i64],
    ) -> Result<Vec<u8>, ServerError> {
        let mut numbers = Vec::new();
        let mut pdfs = Vec::new();
        for &invoice_id in ids {
            let invoice = match invoices::get(&self.db, organisation, invoice_id).await {
                Ok(invoice) => invoice,
                Err(ServerError::NotFound) => continue,
                Err(error) => return Err(error),
            };
            let (Some(number), Some(document)) = (invoice.number.clone(), invoice.document.clone())
            else {
                continue;
            };
            let pdf = self
                .render_pdf(document, invoice.settlement(), DocumentLayout::A4)
                .await?;
            numbers.push(number);
            pdfs.push(pdf);
        }
        if pdfs.is_empty() {
            return Err(refused("invoice", Problem::NoPdfInSelection));
        }
        let names = zip_entry_names(numbers.iter().map(String::as_str));
        tokio::task::spawn_blocking(move || write_zip(names.into_iter().zip(pdfs)))
            .await
            .map_err(|error| ServerError::Pdf(error.to_string()))?
    }
}

/// The files, deflated, as one ZIP archive.
fn write_zip(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Result<Vec<u8>, ServerError> {
    let failed = |error: zip::result::ZipError| ServerError::Pdf(format!("zip: {error}"));
    let mut archive = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, pdf) in files {
        archive.start_file(name, options).map_err(failed)?;
        archive
            .write_all(&pdf)
            .map_err(|error| ServerError::Pdf(format!("zip: {error}")))?;
    }
    Ok(archive.finish().map_err(failed)?.into_inner())
}

#[async_trait::async_trait]
impl app::routes::bulk::ssr::BulkBackend for Services {
    async fn report(
        &self,
        user: &CurrentUser,
        key: &str,
    ) -> Result<Option<BulkReport>, AdminError> {
        Ok(self.bulk_report(user.organisation, key).await?)
    }

    async fn new_key(&self, _user: &CurrentUser) -> Result<String, AdminError> {
        Ok(random_id())
    }
}
