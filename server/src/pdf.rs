//! Invoice PDFs: rendered off the async threads, in the layout asked for.

use invoice::document::DocumentLayout;
use invoice::organisation::OrganisationId;

use crate::db::invoices;
use crate::error::ServerError;
use crate::services::Services;

impl Services {
    /// Renders off the async threads: a 100-line invoice takes a while.
    pub async fn render_pdf(
        &self,
        document: invoice::PublicDocument,
        paid_minor: i64,
        layout: DocumentLayout,
    ) -> Result<Vec<u8>, ServerError> {
        tokio::task::spawn_blocking(move || invoice::pdf::render(&document, paid_minor, layout))
            .await
            .map_err(|error| ServerError::Pdf(error.to_string()))
    }

    /// The PDF of an issued (or void) invoice, in the layout asked for.
    pub async fn invoice_pdf(
        &self,
        organisation: OrganisationId,
        invoice_id: i64,
        layout: DocumentLayout,
    ) -> Result<(String, Vec<u8>), ServerError> {
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        let document = invoice.document.ok_or(ServerError::NotFound)?;
        let name = document.pdf_file_name();
        let pdf = self
            .render_pdf(document, invoice.paid_minor, layout)
            .await?;
        Ok((name, pdf))
    }
}
