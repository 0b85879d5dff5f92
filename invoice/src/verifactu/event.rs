//! What VERI*FACTU did with an invoice, as its history tells it: the record
//! kept when it was issued or voided, then (added by the sending side) what
//! the AEAT answered.

use serde::{Deserialize, Serialize};

use super::{AltaOperation, InvoiceType, RecordKind};
use crate::history::HistoryTopic;
use crate::Language;

/// An entry of an invoice's history about its VERI*FACTU records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum VerifactuEvent {
    /// A record was written to the store's chain, in the same transaction
    /// as the invoice's number (alta) or its voiding (anulación).
    RecordKept {
        kind: RecordKind,
        /// The alta's `TipoFactura`; `None` for an anulación.
        invoice_type: Option<InvoiceType>,
        /// Its place in the chain, from 1.
        sequence: i64,
    },
    /// An alta correcting a rejected or erroneous one was written to the
    /// chain, for the sender to take to the AEAT in the chain's order.
    CorrectionKept {
        operation: AltaOperation,
        /// The recipient it names now, as the merchant gave it.
        recipient: String,
        sequence: i64,
    },
}

impl VerifactuEvent {
    /// The stored kind of the entry (never rename one).
    pub fn kind(&self) -> &'static str {
        match self {
            VerifactuEvent::RecordKept { .. } => "verifactu_record_kept",
            VerifactuEvent::CorrectionKept { .. } => "verifactu_correction_kept",
        }
    }

    /// Every stored kind, to read entries back by.
    pub const KINDS: [&'static str; 2] = ["verifactu_record_kept", "verifactu_correction_kept"];

    /// What the merchant's history filter sorts the entry under: a record
    /// is part of the document's own story.
    pub fn topic(&self) -> HistoryTopic {
        match self {
            VerifactuEvent::RecordKept { .. } | VerifactuEvent::CorrectionKept { .. } => {
                HistoryTopic::Document
            }
        }
    }

    /// Whether the customer's history shows the entry: a record kept is
    /// the merchant's bookkeeping.
    pub fn customer_sees(&self) -> bool {
        match self {
            VerifactuEvent::RecordKept { .. } | VerifactuEvent::CorrectionKept { .. } => false,
        }
    }

    /// The entry in the merchant's words.
    pub fn merchant_text(&self, language: Language) -> String {
        use Language::{En, Es, It};
        match self {
            VerifactuEvent::RecordKept {
                kind,
                invoice_type,
                sequence,
            } => {
                let record = match (kind, invoice_type, language) {
                    (RecordKind::Alta, Some(kind), It) => format!("emissione, {}", kind.code()),
                    (RecordKind::Alta, Some(kind), Es) => format!("alta, {}", kind.code()),
                    (RecordKind::Alta, Some(kind), En) => {
                        format!("registration, {}", kind.code())
                    }
                    (RecordKind::Alta, None, It) => "emissione".into(),
                    (RecordKind::Alta, None, Es) => "alta".into(),
                    (RecordKind::Alta, None, En) => "registration".into(),
                    (RecordKind::Anulacion, _, It) => "annullamento".into(),
                    (RecordKind::Anulacion, _, Es) => "anulación".into(),
                    (RecordKind::Anulacion, _, En) => "cancellation".into(),
                };
                match language {
                    It => format!(
                        "Registro VERI*FACTU conservato ({record}), n. {sequence} della catena"
                    ),
                    Es => format!(
                        "Registro VERI*FACTU conservado ({record}), n.º {sequence} de la cadena"
                    ),
                    En => format!("VERI*FACTU record kept ({record}), no. {sequence} in the chain"),
                }
            }
            VerifactuEvent::CorrectionKept {
                recipient,
                sequence,
                ..
            } => match language {
                It => format!(
                    "Correzione inviata all'AEAT: cliente {recipient} (registro n. {sequence} della catena)"
                ),
                Es => format!(
                    "Subsanación enviada a la AEAT: cliente {recipient} (registro n.º {sequence} de la cadena)"
                ),
                En => format!(
                    "Correction sent to the AEAT: customer {recipient} (record no. {sequence} in the chain)"
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_kept_says_which_record_and_where_in_the_chain_in_each_language() {
        let alta = VerifactuEvent::RecordKept {
            kind: RecordKind::Alta,
            invoice_type: Some(InvoiceType::F2),
            sequence: 3,
        };
        assert_eq!(
            alta.merchant_text(Language::Es),
            "Registro VERI*FACTU conservado (alta, F2), n.º 3 de la cadena"
        );
        assert_eq!(
            alta.merchant_text(Language::En),
            "VERI*FACTU record kept (registration, F2), no. 3 in the chain"
        );
        let anulacion = VerifactuEvent::RecordKept {
            kind: RecordKind::Anulacion,
            invoice_type: None,
            sequence: 4,
        };
        assert_eq!(
            anulacion.merchant_text(Language::It),
            "Registro VERI*FACTU conservato (annullamento), n. 4 della catena"
        );
        assert!(!alta.customer_sees());
        assert_eq!(alta.topic(), HistoryTopic::Document);
        assert!(VerifactuEvent::KINDS.contains(&alta.kind()));
    }

    #[test]
    fn a_correction_sent_names_the_recipient_it_gives_in_each_language() {
        let correction = VerifactuEvent::CorrectionKept {
            operation: AltaOperation::AfterRejection,
            recipient: "García S.A. (12345678Z)".into(),
            sequence: 5,
        };
        assert_eq!(
            correction.merchant_text(Language::En),
            "Correction sent to the AEAT: customer García S.A. (12345678Z) (record no. 5 in the chain)"
        );
        assert!(correction
            .merchant_text(Language::Es)
            .starts_with("Subsanación enviada a la AEAT"));
        assert!(correction
            .merchant_text(Language::It)
            .starts_with("Correzione inviata all'AEAT"));
        assert!(!correction.customer_sees());
        assert!(VerifactuEvent::KINDS.contains(&correction.kind()));
    }
}
