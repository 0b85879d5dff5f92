//! Invio's domain, shared by the server, the merchant admin and the edge worker.
//!
//! Everything here is plain data and pure functions: no database, HTTP, SMTP or
//! clock. Callers pass in the time and the keys; that is what lets the same
//! rules run natively on the server and as wasm at the edge.

pub mod account;
pub mod aeat;
pub mod bulk;
pub mod chase;
pub mod credit_note;
pub mod customer;
pub mod customer_page;
pub mod dates;
pub mod document;
pub mod email;
pub mod events;
pub mod export;
pub mod fatturapa;
pub mod history;
pub mod i18n;
pub mod italy;
pub mod link;
pub mod money;
pub mod networks;
pub mod notifications;
pub mod organisation;
pub mod page_view;
pub mod payment;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod pec;
pub mod problem;
pub mod qr;
pub mod recipients;
pub mod reminders;
pub mod repeats;
pub mod sdi;
pub mod signing;
pub mod spain;
pub mod status;
pub mod store;
pub mod time_zone;
pub mod tracking;
pub mod transitions;
pub mod verifactu;
pub mod views;

pub use document::{DocumentLine, DraftInput, LineInput, PublicDocument, Totals};
pub use i18n::Language;
pub use money::{Currency, Money};

#[cfg(test)]
pub(crate) mod test_support {
    use crate::dates::Date;
    use crate::document::{totals, DocumentLine, Party, PublicDocument};
    use crate::{Currency, Language};

    pub fn sample_document() -> PublicDocument {
        let lines = vec![DocumentLine {
            description: "Consulenza — giugno".into(),
            quantity_milli: 2_000,
            unit_price_minor: 10_000,
            tax_rate_bp: 2_200,
            natura: None,
            treatment: None,
        }];
        PublicDocument {
            language: Language::En,
            number: "2026-0001".into(),
            issue_date: Date {
                year: 2026,
                month: 11,
                day: 22,
            },
            due_date: None,
            currency: Currency::Eur,
            seller: Party {
                name: "Bottega <Rossi>".into(),
                address: vec!["Via Roma 1".into(), "20121 Milano".into()],
                tax_id: Some("IT01234567890".into()),
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
}
