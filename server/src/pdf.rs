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
use tokio::sync::{OnceCell, Semaphore};

use crate::db::invoices;
use crate::error::ServerError;
use crate::services::Services;

/// PDFs kept: a few sends in flight, each in a layout or two.
const KEPT_PDFS: usize = 32;

/// The PDFs rendered last. A PDF is a pure function of the frozen
/// document, the amount paid and the layout, so one kept for the same three
/// is the one a new rendering would give. Callers asking at once for the
/// same PDF wait for one rendering.
pub struct PdfCache {
    recent: Mutex<VecDeque<Arc<Kept>>>,
    renders: AtomicUsize,
    /// Renderings (and ZIPs) at once: one per core, so a loop of requests
    /// for PDFs, statements or ZIPs queues rather than takes every core
    /// from the sends and pages of everyone else.
    at_once: Semaphore,
}

impl Default for PdfCache {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_renders_at_once(cores)
    }
}

struct Kept {
    document: PublicDocument,
    settled: Settlement,
    layout: DocumentLayout,
    pdf: OnceCell<Vec<u8>>,
}

impl PdfCache {
    pub fn with_renders_at_once(renders: usize) -> Self {
        Self {
            recent: Mutex::default(),
            renders: AtomicUsize::default(),
            at_once: Semaphore::new(renders.max(1)),
        }
    }

    /// Runs `work` (a rendering, a ZIP) off the async threads once one of
    /// the renderings allowed at once is free.
    pub async fn off_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServerError> {
        let _turn = self
            .at_once
            .acquire()
            .await
            .map_err(|closed| ServerError::Pdf(closed.to_string()))?;
        Ok(tokio::task::spawn_blocking(work).await?)
    }

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
                self.off_thread(move || invoice::pdf::render(&document, settled, layout))
                    .await
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn renderings_past_the_ones_allowed_at_once_wait_their_turn() {
        let cache = PdfCache::with_renders_at_once(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let work = (0..6).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            cache.off_thread(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
            })
        });
        let done = futures::future::join_all(work).await;
        assert!(done.iter().all(Result::is_ok));
        let most = most.load(Ordering::SeqCst);
        assert!((1..=2).contains(&most), "{most} at once");
    }
}
