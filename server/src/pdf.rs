//! Invoice PDFs: rendered off the async threads, in the layout asked for,
//! and kept a while, so that a send renders its PDF once: every email of
//! the send that attaches it and the publication of the invoice to the edge
//! take the same bytes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use invoice::document::DocumentLayout;
use invoice::organisation::OrganisationId;
use invoice::pdf::Settlement;
use invoice::PublicDocument;
use tokio::sync::OnceCell;

use crate::db::invoices;
use crate::error::ServerError;
use crate::services::Services;

/// PDFs kept: a few sends in flight, each in a layout or two.
const KEPT_PDFS: usize = 32;

/// The PDFs rendered last. A PDF is a pure function of the frozen
/// document, the amount paid and the layout, so one kept for the same three
/// is the one a new rendering would give. Callers asking at once for the
/// same PDF wait for one rendering.
#[derive(Default)]
pub struct PdfCache {
    recent: Mutex<VecDeque<Arc<Kept>>>,
    renders: AtomicUsize,
}

struct Kept {
    document: PublicDocument,
    settled: Settlement,
    layout: DocumentLayout,
    pdf: OnceCell<Vec<u8>>,
}

impl PdfCache {
    /// PDFs rendered so far (not those taken from the cache).
    pub fn renders(&self) -> usize {
        self.renders.load(Ordering::Relaxed)
    }

    /// The PDF of `document` with what is `settled`, in `layout`: the one
    /// kept, or rendered off the async threads (a 100-line invoice takes a
    /// while) and kept.
    pub async fn render(
        &self,
        document: PublicDocument,
        settled: Settlement,
        layout: DocumentLayout,
    ) -> Result<Vec<u8>, ServerError> {
        let kept = {
            let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
            let found = recent.iter().position(|kept| {
                kept.settled == settled && kept.layout == layout && kept.document == document
            });
            match found {
                Some(at) => {
                    let kept = recent.remove(at).expect("found above");
                    recent.push_front(kept.clone());
                    kept
                }
                None => {
                    let kept = Arc::new(Kept {
                        document,
                        settled,
                        layout,
                        pdf: OnceCell::new(),
                    });
                    recent.push_front(kept.clone());
                    recent.truncate(KEPT_PDFS);
                    kept
                }
            }
        };
        let pdf = kept
            .pdf
            .get_or_try_init(|| async {
                self.renders.fetch_add(1, Ordering::Relaxed);
                let (document, settled, layout) =
                    (kept.document.clone(), kept.settled, kept.layout);
                tokio::task::spawn_blocking(move || {
                    invoice::pdf::render(&document, settled, layout)
                })
                .await
                .map_err(|error| ServerError::Pdf(error.to_string()))
            })
            .await?;
        Ok(pdf.clone())
    }
}

impl Services {
    /// The PDF of a document with what is `settled`, in `layout`; rendered
    /// once while it is kept (see [`PdfCache`]).
    pub async fn render_pdf(
        &self,
        document: PublicDocument,
        settled: Settlement,
        layout: DocumentLayout,
    ) -> Result<Vec<u8>, ServerError> {
        self.pdfs.render(document, settled, layout).await
    }

    /// The PDF of an issued (or void) invoice, in the layout asked for.
    pub async fn invoice_pdf(
        &self,
        organisation: OrganisationId,
        invoice_id: i64,
        layout: DocumentLayout,
    ) -> Result<(String, Vec<u8>), ServerError> {
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        let settled = invoice.settlement();
        let document = invoice.document.ok_or(ServerError::NotFound)?;
        let name = document.pdf_file_name();
        let pdf = self.render_pdf(document, settled, layout).await?;
        Ok((name, pdf))
    }
}

#[cfg(test)]
mod tests {
    use invoice::dates::Date;
    use invoice::document::{totals, DocumentLine, Party};
    use invoice::{Currency, Language};

    use super::*;

    fn paid(paid_minor: i64) -> Settlement {
        Settlement {
            paid_minor,
            credited_minor: 0,
        }
    }

    fn document(number: &str) -> PublicDocument {
        let lines = vec![DocumentLine {
            description: "Consulenza".into(),
            quantity_milli: 1_000,
            unit_price_minor: 10_000,
            tax_rate_bp: 2_200,
            natura: None,
            treatment: None,
        }];
        PublicDocument {
            language: Language::En,
            number: number.into(),
            issue_date: Date {
                year: 2026,
                month: 11,
                day: 22,
            },
            due_date: None,
            currency: Currency::Eur,
            seller: Party {
                name: "Bottega Rossi".into(),
                ..Party::default()
            },
            customer: Party {
                name: "Maria Pérez".into(),
                ..Party::default()
            },
            totals: totals(&lines, Currency::Eur).expect("small totals"),
            lines,
            notes: String::new(),
            legal_channel: None,
            corrects: None,
            tax_agency_check: None,
            simplified: false,
        }
    }

    #[tokio::test]
    async fn the_same_pdf_asked_for_again_is_rendered_once() {
        let cache = PdfCache::default();
        let first = cache
            .render(document("1"), paid(0), DocumentLayout::A4)
            .await
            .expect("pdf");
        let again = cache
            .render(document("1"), paid(0), DocumentLayout::A4)
            .await
            .expect("pdf");
        assert_eq!(first, again);
        assert_eq!(cache.renders(), 1);
    }

    #[tokio::test]
    async fn emails_of_one_send_asking_at_once_wait_for_one_rendering() {
        let cache = PdfCache::default();
        let asks = (0..4).map(|_| cache.render(document("1"), paid(0), DocumentLayout::A4));
        let pdfs = futures::future::join_all(asks).await;
        assert!(pdfs.iter().all(Result::is_ok));
        assert_eq!(cache.renders(), 1);
    }

    #[tokio::test]
    async fn another_amount_paid_layout_or_document_is_rendered_anew() {
        let cache = PdfCache::default();
        for (number, amount, layout) in [
            ("1", 0, DocumentLayout::A4),
            ("1", 500, DocumentLayout::A4),
            ("1", 0, DocumentLayout::Receipt80mm),
            ("2", 0, DocumentLayout::A4),
        ] {
            cache
                .render(document(number), paid(amount), layout)
                .await
                .expect("pdf");
        }
        assert_eq!(cache.renders(), 4);
    }
}
