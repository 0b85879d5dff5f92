//! The server's side of the merchant admin: what each server function does.

use std::sync::Arc;

use app::api::{AdminBackend, AdminError, InvoiceRow, OrganisationId};
use base64::Engine;
use invoice::events::{Publication, PublishedLink, Recipient};
use invoice::link::LinkId;
use invoice::InvoiceDraft;
use tokio::sync::Notify;

use crate::config::Config;
use crate::db::outbox::{self, NewEmail};
use crate::db::{invoices, now_ms, Db};
use crate::edge_sync::EdgeClient;
use crate::email::Mailer;
use crate::error::{InvalidInput, ServerError};

pub struct Services {
    pub db: Db,
    pub config: Config,
    pub mailer: Mailer,
    pub edge: EdgeClient,
    /// Wakes the outbox dispatcher when an email is queued.
    pub outbox_wake: Arc<Notify>,
}

impl Services {
    /// Publishes the invoice with a new link for the customer, then queues the
    /// email. Publishing comes first so no email ever carries a dead link.
    pub async fn send(
        &self,
        organisation: OrganisationId,
        invoice_id: i64,
        idempotency_key: &str,
    ) -> Result<(), ServerError> {
        if outbox::key_used(&self.db, organisation, idempotency_key).await? {
            return Ok(());
        }
        let invoice = invoices::find_issued(&self.db, organisation, invoice_id).await?;
        let link_id = LinkId(rand::random());
        let token = self.config.link_keys.sign(link_id);
        let document = invoice.document.clone();
        let pdf = tokio::task::spawn_blocking(move || invoice::pdf::render(&document))
            .await
            .map_err(|error| ServerError::Pdf(error.to_string()))?;
        self.edge
            .publish(&Publication {
                invoice_key: invoice.edge_key.clone(),
                document: invoice.document.clone(),
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
                links: vec![PublishedLink {
                    link_id: link_id.to_hex(),
                    recipient: Recipient::Customer,
                }],
            })
            .await?;
        let content = invoice::email::invoice_email(
            &invoice.document,
            &format!("{}/i/{token}", self.config.edge_url),
        );
        let link_id = link_id.to_hex();
        outbox::enqueue(
            &self.db,
            organisation,
            idempotency_key,
            NewEmail {
                invoice_id: invoice.id,
                link_id: &link_id,
                recipient: "customer",
                to_address: &invoice.customer_email,
                reply_to: invoice.reply_to.as_deref(),
                subject: &content.subject,
                body_text: &content.text,
                body_html: &content.html,
            },
            now_ms(),
        )
        .await?;
        self.outbox_wake.notify_one();
        Ok(())
    }
}

#[async_trait::async_trait]
impl AdminBackend for Services {
    async fn list_invoices(
        &self,
        organisation: OrganisationId,
    ) -> Result<Vec<InvoiceRow>, AdminError> {
        Ok(invoices::list(&self.db, organisation).await?)
    }

    async fn create_invoice(
        &self,
        organisation: OrganisationId,
        draft: InvoiceDraft,
    ) -> Result<i64, AdminError> {
        let valid = draft
            .validate()
            .map_err(|fields| ServerError::from(InvalidInput(fields)))?;
        Ok(invoices::create_issued(&self.db, organisation, valid).await?)
    }

    async fn send_invoice(
        &self,
        organisation: OrganisationId,
        invoice_id: i64,
        idempotency_key: String,
    ) -> Result<(), AdminError> {
        Ok(self
            .send(organisation, invoice_id, &idempotency_key)
            .await?)
    }
}
