//! Where an invoice stands. Only draft, issued and void are stored; paid,
//! partially paid, overdue and credited follow from the payments, the credit
//! notes and the due date, so they can never disagree with them.

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::history::HistoryEvent;
use crate::Language;

/// The stored part of an invoice's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lifecycle {
    Draft,
    Issued,
    Void,
}

impl Lifecycle {
    pub fn code(self) -> &'static str {
        match self {
            Lifecycle::Draft => "draft",
            Lifecycle::Issued => "issued",
            Lifecycle::Void => "void",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Lifecycle::Draft, Lifecycle::Issued, Lifecycle::Void]
            .into_iter()
            .find(|lifecycle| lifecycle.code() == code)
    }
}

/// What the merchant sees in the Status column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvoiceStatus {
    Draft,
    Issued,
    PartiallyPaid,
    Paid,
    Overdue,
    Void,
    /// Its credit notes add up to its total.
    Credited,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 7] = [
        InvoiceStatus::Draft,
        InvoiceStatus::Issued,
        InvoiceStatus::PartiallyPaid,
        InvoiceStatus::Paid,
        InvoiceStatus::Overdue,
        InvoiceStatus::Void,
        InvoiceStatus::Credited,
    ];

    pub fn code(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Overdue => "overdue",
            InvoiceStatus::Void => "void",
            InvoiceStatus::Credited => "credited",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }

    /// The lifecycle behind a status: paid, overdue and the rest are issued.
    pub fn lifecycle(self) -> Lifecycle {
        match self {
            InvoiceStatus::Draft => Lifecycle::Draft,
            InvoiceStatus::Void => Lifecycle::Void,
            InvoiceStatus::Issued
            | InvoiceStatus::PartiallyPaid
            | InvoiceStatus::Paid
            | InvoiceStatus::Overdue
            | InvoiceStatus::Credited => Lifecycle::Issued,
        }
    }

    pub fn label(self, language: Language) -> &'static str {
        use InvoiceStatus::*;
        match (language, self) {
            (Language::En, Draft) => "Draft",
            (Language::En, Issued) => "Issued",
            (Language::En, PartiallyPaid) => "Partially paid",
            (Language::En, Paid) => "Paid",
            (Language::En, Overdue) => "Overdue",
            (Language::En, Void) => "Void",
            (Language::En, Credited) => "Credited",
            (Language::It, Credited) => "Stornata",
            (Language::Es, Credited) => "Rectificada",
            (Language::It, Draft) => "Bozza",
            (Language::It, Issued) => "Emessa",
            (Language::It, PartiallyPaid) => "Parzialmente pagata",
            (Language::It, Paid) => "Pagata",
            (Language::It, Overdue) => "Scaduta",
            (Language::It, Void) => "Annullata",
            (Language::Es, Draft) => "Borrador",
            (Language::Es, Issued) => "Emitida",
            (Language::Es, PartiallyPaid) => "Pagada parcialmente",
            (Language::Es, Paid) => "Pagada",
            (Language::Es, Overdue) => "Vencida",
            (Language::Es, Void) => "Anulada",
        }
    }
}

/// The status the merchant reads on the invoice's page and in the list:
/// its status, or what a tax authority's last word on it asks of them —
/// "Rejected by SdI" while SdI's last word is a rejection
/// ([`crate::sdi::rejected_last`]): the legal invoice does not exist until
/// it is sent again; "Rejected by the AEAT" or "Accepted with errors" while
/// the AEAT's last answer about its record is one
/// ([`crate::verifactu::AeatStanding`]): the record must be corrected. A
/// void or wholly credited invoice reads as such, it has been dealt with.
/// The customer's page shows the [`InvoiceStatus`], never this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MerchantStatus {
    Status(InvoiceStatus),
    RejectedBySdi,
    RejectedByAeat,
    AcceptedWithErrorsByAeat,
}

impl MerchantStatus {
    /// From the invoice's status and its history, oldest first.
    pub fn of<'a>(
        status: InvoiceStatus,
        history: impl IntoIterator<Item = &'a HistoryEvent>,
    ) -> Self {
        let history: Vec<&HistoryEvent> = history.into_iter().collect();
        let rejected_by_sdi =
            crate::sdi::rejected_last(history.iter().filter_map(|event| match event {
                HistoryEvent::Sdi(event) => Some(event),
                _ => None,
            }));
        let aeat =
            crate::verifactu::AeatStanding::from_answers(history.iter().filter_map(|event| {
                match event {
                    HistoryEvent::Aeat(answer) => Some(answer),
                    _ => None,
                }
            }));
        match status {
            InvoiceStatus::Issued
            | InvoiceStatus::PartiallyPaid
            | InvoiceStatus::Paid
            | InvoiceStatus::Overdue => {
                if rejected_by_sdi {
                    MerchantStatus::RejectedBySdi
                } else if aeat.rejected() {
                    MerchantStatus::RejectedByAeat
                } else if aeat.accepted_with_errors() {
                    MerchantStatus::AcceptedWithErrorsByAeat
                } else {
                    MerchantStatus::Status(status)
                }
            }
            status => MerchantStatus::Status(status),
        }
    }

    /// The pill's class: the status's code, or the authority's verdict.
    pub fn code(self) -> &'static str {
        match self {
            MerchantStatus::Status(status) => status.code(),
            MerchantStatus::RejectedBySdi => "sdi_rejected",
            MerchantStatus::RejectedByAeat => "aeat_rejected",
            MerchantStatus::AcceptedWithErrorsByAeat => "aeat_with_errors",
        }
    }

    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (MerchantStatus::Status(status), _) => status.label(language),
            (MerchantStatus::RejectedBySdi, Language::It) => "Scartata dallo SdI",
            (MerchantStatus::RejectedBySdi, Language::Es) => "Rechazada por el SdI",
            (MerchantStatus::RejectedBySdi, Language::En) => "Rejected by SdI",
            (MerchantStatus::RejectedByAeat, Language::It) => "Rifiutata dall'AEAT",
            (MerchantStatus::RejectedByAeat, Language::Es) => "Rechazada por la AEAT",
            (MerchantStatus::RejectedByAeat, Language::En) => "Rejected by the AEAT",
            (MerchantStatus::AcceptedWithErrorsByAeat, Language::It) => "Accettata con errori",
            (MerchantStatus::AcceptedWithErrorsByAeat, Language::Es) => "Aceptada con errores",
            (MerchantStatus::AcceptedWithErrorsByAeat, Language::En) => "Accepted with errors",
        }
    }
}

/// What is left to pay; never negative.
pub fn amount_due(total_minor: i64, paid_minor: i64) -> i64 {
    total_minor.saturating_sub(paid_minor).max(0)
}

/// What is left to pay once payments and credit notes are taken off the
/// total; never negative (a paid invoice credited afterwards owes nothing).
pub fn amount_owed(total_minor: i64, paid_minor: i64, credited_minor: i64) -> i64 {
    amount_due(total_minor.saturating_sub(credited_minor), paid_minor)
}

/// The status shown for an invoice. Credited wins (its credit notes took the
/// whole total back, whatever was paid); overdue wins over partially paid:
/// money is still owed after the due date, which is what the merchant must see.
pub fn derive_status(
    lifecycle: Lifecycle,
    total_minor: i64,
    paid_minor: i64,
    credited_minor: i64,
    due_date: Option<Date>,
    today: Date,
) -> InvoiceStatus {
    match lifecycle {
        Lifecycle::Draft => InvoiceStatus::Draft,
        Lifecycle::Void => InvoiceStatus::Void,
        Lifecycle::Issued if credited_minor > 0 && credited_minor >= total_minor => {
            InvoiceStatus::Credited
        }
        Lifecycle::Issued if amount_owed(total_minor, paid_minor, credited_minor) == 0 => {
            InvoiceStatus::Paid
        }
        Lifecycle::Issued if due_date.is_some_and(|due| due < today) => InvoiceStatus::Overdue,
        Lifecycle::Issued if paid_minor > 0 => InvoiceStatus::PartiallyPaid,
        Lifecycle::Issued => InvoiceStatus::Issued,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(text: &str) -> Date {
        Date::parse(text).expect("date")
    }

    fn sdi_rejection() -> HistoryEvent {
        let receipt = crate::sdi::parse_receipt(crate::sdi::samples::REJECTED.as_bytes())
            .expect("SdI's sample rejection");
        HistoryEvent::Sdi(crate::sdi::SdiEvent::Receipt(receipt))
    }

    fn aeat(event: crate::aeat::AeatEvent) -> HistoryEvent {
        HistoryEvent::Aeat(event)
    }

    #[test]
    fn a_tax_authoritys_rejection_is_what_the_merchant_reads_until_the_invoice_is_void_or_credited()
    {
        use crate::aeat::{AeatEvent, RecordOperation};
        let rejected = aeat(AeatEvent::Rejected {
            operation: RecordOperation::Registration,
            code: 1193,
            description: "NIF".into(),
        });
        let with_errors = aeat(AeatEvent::AcceptedWithErrors {
            operation: RecordOperation::Registration,
            csv: None,
            code: 2001,
            description: "NIF".into(),
        });
        let corrected = aeat(AeatEvent::Registered {
            operation: RecordOperation::Correction,
            csv: None,
            duplicate: false,
        });
        for status in [
            InvoiceStatus::Issued,
            InvoiceStatus::PartiallyPaid,
            InvoiceStatus::Paid,
            InvoiceStatus::Overdue,
        ] {
            assert_eq!(
                MerchantStatus::of(status, &[sdi_rejection()]),
                MerchantStatus::RejectedBySdi
            );
            assert_eq!(
                MerchantStatus::of(status, std::slice::from_ref(&rejected)),
                MerchantStatus::RejectedByAeat
            );
            assert_eq!(
                MerchantStatus::of(status, std::slice::from_ref(&with_errors)),
                MerchantStatus::AcceptedWithErrorsByAeat
            );
            assert_eq!(
                MerchantStatus::of(status, &[rejected.clone(), corrected.clone()]),
                MerchantStatus::Status(status),
                "corrected and registered"
            );
            assert_eq!(
                MerchantStatus::of(status, &[]),
                MerchantStatus::Status(status)
            );
        }
        for status in [
            InvoiceStatus::Draft,
            InvoiceStatus::Void,
            InvoiceStatus::Credited,
        ] {
            assert_eq!(
                MerchantStatus::of(status, &[sdi_rejection(), rejected.clone()]),
                MerchantStatus::Status(status)
            );
        }
        for (verdict, code, en, it, es) in [
            (
                MerchantStatus::RejectedBySdi,
                "sdi_rejected",
                "Rejected by SdI",
                "Scartata dallo SdI",
                "Rechazada por el SdI",
            ),
            (
                MerchantStatus::RejectedByAeat,
                "aeat_rejected",
                "Rejected by the AEAT",
                "Rifiutata dall'AEAT",
                "Rechazada por la AEAT",
            ),
            (
                MerchantStatus::AcceptedWithErrorsByAeat,
                "aeat_with_errors",
                "Accepted with errors",
                "Accettata con errori",
                "Aceptada con errores",
            ),
        ] {
            assert_eq!(verdict.code(), code);
            assert_eq!(verdict.label(Language::En), en);
            assert_eq!(verdict.label(Language::It), it);
            assert_eq!(verdict.label(Language::Es), es);
            assert!(InvoiceStatus::ALL
                .iter()
                .all(|status| status.code() != code));
        }
    }

    #[test]
    fn payments_move_an_issued_invoice_to_partially_paid_then_paid() {
        let today = date("2026-11-22");
        let status = |paid| derive_status(Lifecycle::Issued, 10_000, paid, 0, None, today);
        assert_eq!(status(0), InvoiceStatus::Issued);
        assert_eq!(status(2_500), InvoiceStatus::PartiallyPaid);
        assert_eq!(status(10_000), InvoiceStatus::Paid);
    }

    #[test]
    fn an_unpaid_invoice_is_overdue_only_after_its_due_date() {
        let due = Some(date("2026-11-22"));
        let on = derive_status(Lifecycle::Issued, 100, 50, 0, due, date("2026-11-22"));
        let after = derive_status(Lifecycle::Issued, 100, 50, 0, due, date("2026-11-23"));
        let paid_late = derive_status(Lifecycle::Issued, 100, 100, 0, due, date("2026-12-31"));
        assert_eq!(on, InvoiceStatus::PartiallyPaid);
        assert_eq!(after, InvoiceStatus::Overdue);
        assert_eq!(paid_late, InvoiceStatus::Paid);
    }

    #[test]
    fn drafts_and_void_invoices_keep_their_status_whatever_is_paid() {
        let today = date("2026-11-22");
        let past = Some(date("2020-01-01"));
        assert_eq!(
            derive_status(Lifecycle::Draft, 100, 0, 0, past, today),
            InvoiceStatus::Draft
        );
        assert_eq!(
            derive_status(Lifecycle::Void, 100, 0, 0, past, today),
            InvoiceStatus::Void
        );
        assert_eq!(
            derive_status(Lifecycle::Issued, 0, 0, 0, past, today),
            InvoiceStatus::Paid
        );
    }

    #[test]
    fn credit_notes_lower_what_is_owed_and_a_fully_credited_invoice_reads_credited() {
        let today = date("2026-11-22");
        let past = Some(date("2026-11-01"));
        let status =
            |paid, credited| derive_status(Lifecycle::Issued, 10_000, paid, credited, past, today);
        assert_eq!(amount_owed(10_000, 0, 4_000), 6_000);
        assert_eq!(status(0, 4_000), InvoiceStatus::Overdue);
        assert_eq!(status(6_000, 4_000), InvoiceStatus::Paid);
        assert_eq!(status(0, 10_000), InvoiceStatus::Credited, "not overdue");
        assert_eq!(status(10_000, 10_000), InvoiceStatus::Credited);
        assert_eq!(amount_owed(10_000, 10_000, 3_000), 0, "never negative");
        assert_eq!(InvoiceStatus::Credited.label(Language::It), "Stornata");
    }

    #[test]
    fn statuses_round_trip_through_their_codes_and_have_labels() {
        for status in InvoiceStatus::ALL {
            assert_eq!(InvoiceStatus::parse(status.code()), Some(status));
            assert!(!status.label(Language::It).is_empty());
        }
        assert_eq!(InvoiceStatus::Overdue.label(Language::Es), "Vencida");
    }

    proptest! {
        #[test]
        fn the_amount_due_is_never_negative_and_zero_means_paid(total in 0..i64::MAX / 2, paid in 0..i64::MAX / 2) {
            let due = amount_due(total, paid);
            prop_assert!(due >= 0);
            let status = derive_status(Lifecycle::Issued, total, paid, 0, None, Date::parse("2026-01-01").expect("date"));
            prop_assert_eq!(due == 0, status == InvoiceStatus::Paid);
        }
    }
}
