//! Correcting a record the AEAT rejected or accepted with errors, and
//! cancelling an invoice the AEAT never registered, as the AEAT's
//! «ANEXO: OPERATIVAS DE ALTA Y ANULACIÓN ADMISIBLES» (Validaciones v1.2.2
//! §6; quoted in `invoice/verifactu/REPORT.md` §6) allows:
//!
//! - a rejected alta (not in the AEAT): «ALTA POR RECHAZO», a new alta of
//!   the same invoice with `Subsanacion` S and `RechazoPrevio` X;
//! - an alta the AEAT registered with errors: «ALTA DE SUBSANACIÓN»,
//!   `Subsanacion` S without `RechazoPrevio` (N); once such a subsanación
//!   was itself rejected, «ALTA POR RECHAZO DE SUBSANACIÓN», `RechazoPrevio` S;
//! - a cancellation of an invoice the AEAT does not have: «ANULACIÓN SIN
//!   REGISTRO PREVIO», `SinRegistroPrevio` S; after a rejected cancellation,
//!   `RechazoPrevio` S as well.
//!
//! A correction is a new record chained like any other: the rejected one
//! stays as it was. It corrects only what the record carries and the
//! invoice does not decide — the recipient's identity, the usual reason
//! for a rejection (1193); an invoice that is itself wrong is corrected by
//! a credit note («cuando no se exige la emisión de una factura
//! rectificativa»).

use serde::{Deserialize, Serialize};

use super::{AltaInput, RegistroAlta};
use crate::aeat::{AeatEvent, RecordOperation};
use crate::verifactu::AeatRule;

/// Which alta a record is (Validaciones §6.1), by the flags it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AltaOperation {
    /// «ALTA»: the invoice's first record; no `Subsanacion`, no `RechazoPrevio`.
    Initial,
    /// «ALTA POR RECHAZO»: the earlier alta was rejected, so the AEAT has
    /// none: `Subsanacion` S, `RechazoPrevio` X.
    AfterRejection,
    /// «ALTA DE SUBSANACIÓN»: the AEAT has the record: `Subsanacion` S,
    /// `RechazoPrevio` N.
    Subsanacion,
    /// «ALTA POR RECHAZO DE SUBSANACIÓN»: the AEAT has the record and a
    /// subsanación of it was rejected: `Subsanacion` S, `RechazoPrevio` S.
    SubsanacionAfterRejection,
}

impl AltaOperation {
    /// `Subsanacion` and `RechazoPrevio` as the record writes them; the
    /// initial alta writes neither.
    pub fn flags(self) -> Option<(&'static str, &'static str)> {
        match self {
            AltaOperation::Initial => None,
            AltaOperation::AfterRejection => Some(("S", "X")),
            AltaOperation::Subsanacion => Some(("S", "N")),
            AltaOperation::SubsanacionAfterRejection => Some(("S", "S")),
        }
    }

    /// The operation the flags of a record say (`Subsanacion`,
    /// `RechazoPrevio`, as written; absent is N). None for a combination
    /// the AEAT refuses (1153, 1161).
    pub fn from_flags(subsanacion: Option<&str>, rechazo_previo: Option<&str>) -> Option<Self> {
        let subsanacion = subsanacion.unwrap_or("N");
        let rechazo_previo = rechazo_previo.unwrap_or("N");
        match (subsanacion, rechazo_previo) {
            ("N", "N") => Some(AltaOperation::Initial),
            ("S", "X") => Some(AltaOperation::AfterRejection),
            ("S", "N") => Some(AltaOperation::Subsanacion),
            ("S", "S") => Some(AltaOperation::SubsanacionAfterRejection),
            _ => None,
        }
    }
}

/// The flags of a registro de anulación (Validaciones §6.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnulacionOperation {
    /// `SinRegistroPrevio` S: the AEAT has no record of the invoice.
    pub without_prior_record: bool,
    /// `RechazoPrevio` S: an earlier cancellation was rejected.
    pub after_rejection: bool,
}

/// The AEAT's last word on a record of the invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Registered,
    AcceptedWithErrors,
    Rejected,
}

/// Where the AEAT stands on one invoice, read from the answers in its
/// history, oldest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AeatStanding {
    /// The AEAT registered an alta of it (correct or with errors).
    registered: bool,
    /// Its last answer about an alta (first or correction).
    last_alta: Option<Last>,
    /// Its last answer about a cancellation.
    last_cancellation: Option<Last>,
}

impl AeatStanding {
    /// Reads the AEAT's answers about an invoice (its history's
    /// [`AeatEvent`]s, oldest first). A send that never reached the AEAT
    /// says nothing about where it stands.
    pub fn from_answers<'a>(answers: impl IntoIterator<Item = &'a AeatEvent>) -> Self {
        let mut standing = Self::default();
        for answer in answers {
            let (operation, last) = match answer {
                AeatEvent::Registered { operation, .. } => (operation, Last::Registered),
                AeatEvent::AcceptedWithErrors { operation, .. } => {
                    (operation, Last::AcceptedWithErrors)
                }
                AeatEvent::Rejected { operation, .. } => (operation, Last::Rejected),
                AeatEvent::Unreachable { .. } => continue,
            };
            match operation {
                RecordOperation::Registration | RecordOperation::Correction => {
                    standing.registered |= last != Last::Rejected;
                    standing.last_alta = Some(last);
                }
                RecordOperation::Cancellation => standing.last_cancellation = Some(last),
            }
        }
        standing
    }

    /// The AEAT's last answer about the invoice's alta is a rejection: the
    /// merchant must correct it (or the invoice is not registered).
    pub fn rejected(&self) -> bool {
        self.last_alta == Some(Last::Rejected)
    }

    /// The AEAT's last answer registered it with errors to correct.
    pub fn accepted_with_errors(&self) -> bool {
        self.last_alta == Some(Last::AcceptedWithErrors)
    }

    /// The alta that corrects the invoice's record now; None when the
    /// AEAT's last answer asks for no correction.
    pub fn correction(&self) -> Option<AltaOperation> {
        match (self.last_alta?, self.registered) {
            (Last::Rejected, false) => Some(AltaOperation::AfterRejection),
            (Last::Rejected, true) => Some(AltaOperation::SubsanacionAfterRejection),
            (Last::AcceptedWithErrors, _) => Some(AltaOperation::Subsanacion),
            (Last::Registered, _) => None,
        }
    }

    /// The flags of the invoice's registro de anulación: without a prior
    /// record when the AEAT rejected every alta of it, after a rejection
    /// when its last cancellation was rejected. An alta not answered yet
    /// goes first in the chain and is taken as registered.
    pub fn cancellation(&self) -> AnulacionOperation {
        AnulacionOperation {
            without_prior_record: !self.registered && self.last_alta == Some(Last::Rejected),
            after_rejection: self.last_cancellation == Some(Last::Rejected),
        }
    }
}

/// The recipient a correction is given, as the merchant typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientInput {
    /// Nombre o razón social.
    pub name: String,
    /// A Spanish NIF, or another EU country's VAT number.
    pub tax_id: String,
}

/// Why a correction cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorrectionRefusal {
    /// The AEAT's last answer asks for no correction.
    NothingToCorrect,
    /// The recipient breaks these rules, each beside its field.
    Rules(Vec<AeatRule>),
    /// The tax id is neither a Spanish NIF nor an EU VAT number.
    TaxId(crate::spain::SpanishProblem),
}

impl RegistroAlta {
    /// The alta that corrects the invoice's record: the same invoice (the
    /// document is frozen; `input` is what its first alta was built from,
    /// with the corrected recipient and the chain's end), flagged as
    /// `standing` requires.
    pub fn correction(
        input: &AltaInput<'_>,
        standing: &AeatStanding,
    ) -> Result<Self, CorrectionRefusal> {
        let operation = standing
            .correction()
            .ok_or(CorrectionRefusal::NothingToCorrect)?;
        let mut alta = Self::build(input).map_err(CorrectionRefusal::Rules)?;
        alta.operation = operation;
        Ok(alta)
    }
}

/// Reads a correction's recipient: a name and a Spanish NIF or EU VAT number.
pub fn corrected_recipient(input: &RecipientInput) -> Result<super::Recipient, CorrectionRefusal> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(CorrectionRefusal::Rules(vec![AeatRule::NameLength {
            max: 120,
        }]));
    }
    match crate::spain::recipient_id(Some(&input.tax_id)) {
        Ok(Some(id)) => Ok(super::Recipient {
            name: name.to_owned(),
            id,
        }),
        Ok(None) => Err(CorrectionRefusal::Rules(vec![AeatRule::RecipientRequired])),
        Err(problem) => Err(CorrectionRefusal::TaxId(problem)),
    }
}

/// The operation a stored alta's XML says it is, and the recipient it
/// names (`IDDestinatario`: name, and NIF or `IDOtro/ID`).
pub fn read_alta(xml: &str) -> Option<(AltaOperation, Option<RecipientInput>)> {
    let document = roxmltree::Document::parse(xml).ok()?;
    let root = document.root_element();
    if root.tag_name().name() != "RegistroAlta" {
        return None;
    }
    let text = |parent: roxmltree::Node<'_, '_>, name: &str| {
        parent
            .children()
            .find(|node| node.is_element() && node.tag_name().name() == name)
            .and_then(|node| node.text())
            .map(str::trim)
            .map(str::to_owned)
    };
    let operation = AltaOperation::from_flags(
        text(root, "Subsanacion").as_deref(),
        text(root, "RechazoPrevio").as_deref(),
    )?;
    let recipient = root
        .descendants()
        .find(|node| node.is_element() && node.tag_name().name() == "IDDestinatario")
        .map(|recipient| {
            let foreign = recipient
                .children()
                .find(|node| node.is_element() && node.tag_name().name() == "IDOtro");
            RecipientInput {
                name: text(recipient, "NombreRazon").unwrap_or_default(),
                tax_id: match foreign {
                    Some(other) => text(other, "ID").unwrap_or_default(),
                    None => text(recipient, "NIF").unwrap_or_default(),
                },
            }
        });
    Some((operation, recipient))
}

#[cfg(test)]
mod tests {
    use super::super::samples::*;
    use super::super::{AnulacionInput, InvoiceType, RegistroAnulacion};
    use super::*;
    use crate::spain::RecipientId;

    fn registered() -> AeatEvent {
        AeatEvent::Registered {
            operation: RecordOperation::Registration,
            csv: Some("A-1".into()),
            duplicate: false,
        }
    }

    fn rejected(operation: RecordOperation) -> AeatEvent {
        AeatEvent::Rejected {
            operation,
            code: 1193,
            description: "NIF no identificado".into(),
        }
    }

    fn with_errors(operation: RecordOperation) -> AeatEvent {
        AeatEvent::AcceptedWithErrors {
            operation,
            csv: None,
            code: 2001,
            description: "NIF no censado".into(),
        }
    }

    fn unreachable() -> AeatEvent {
        AeatEvent::Unreachable {
            operation: RecordOperation::Registration,
            reason: "down".into(),
        }
    }

    fn standing(answers: &[AeatEvent]) -> AeatStanding {
        AeatStanding::from_answers(answers)
    }

    #[test]
    fn a_rejected_alta_is_corrected_by_an_alta_after_rejection_with_rechazo_previo_x() {
        let rejected_once = standing(&[unreachable(), rejected(RecordOperation::Registration)]);
        assert!(rejected_once.rejected());
        assert_eq!(
            rejected_once.correction(),
            Some(AltaOperation::AfterRejection)
        );
        // A correction rejected too: the AEAT still has nothing.
        let rejected_twice = standing(&[
            rejected(RecordOperation::Registration),
            rejected(RecordOperation::Correction),
        ]);
        assert_eq!(
            rejected_twice.correction(),
            Some(AltaOperation::AfterRejection)
        );
        assert_eq!(AltaOperation::AfterRejection.flags(), Some(("S", "X")));
    }

    #[test]
    fn a_record_accepted_with_errors_is_corrected_by_a_subsanacion() {
        let erroneous = standing(&[with_errors(RecordOperation::Registration)]);
        assert!(erroneous.accepted_with_errors());
        assert!(!erroneous.rejected());
        assert_eq!(erroneous.correction(), Some(AltaOperation::Subsanacion));
        assert_eq!(AltaOperation::Subsanacion.flags(), Some(("S", "N")));
        // Its subsanación rejected: the AEAT has the record, the correction
        // says a subsanación was rejected.
        let subsanacion_rejected = standing(&[
            with_errors(RecordOperation::Registration),
            rejected(RecordOperation::Correction),
        ]);
        assert_eq!(
            subsanacion_rejected.correction(),
            Some(AltaOperation::SubsanacionAfterRejection)
        );
        assert_eq!(
            AltaOperation::SubsanacionAfterRejection.flags(),
            Some(("S", "S"))
        );
    }

    #[test]
    fn a_registered_or_unanswered_record_has_nothing_to_correct() {
        for answers in [
            vec![],
            vec![unreachable()],
            vec![registered()],
            vec![
                rejected(RecordOperation::Registration),
                AeatEvent::Registered {
                    operation: RecordOperation::Correction,
                    csv: None,
                    duplicate: false,
                },
            ],
        ] {
            let read = standing(&answers);
            assert_eq!(read.correction(), None, "{answers:?}");
            assert!(!read.rejected() && !read.accepted_with_errors());
        }
    }

    #[test]
    fn cancelling_an_invoice_the_aeat_never_registered_says_sin_registro_previo() {
        assert_eq!(
            standing(&[rejected(RecordOperation::Registration)]).cancellation(),
            AnulacionOperation {
                without_prior_record: true,
                after_rejection: false
            }
        );
        assert_eq!(
            standing(&[
                rejected(RecordOperation::Registration),
                rejected(RecordOperation::Cancellation)
            ])
            .cancellation(),
            AnulacionOperation {
                without_prior_record: true,
                after_rejection: true
            }
        );
        for registered_first in [
            vec![registered()],
            vec![with_errors(RecordOperation::Registration)],
            vec![],
        ] {
            assert_eq!(
                standing(&registered_first).cancellation(),
                AnulacionOperation::default()
            );
        }
        assert_eq!(
            standing(&[registered(), rejected(RecordOperation::Cancellation)]).cancellation(),
            AnulacionOperation {
                without_prior_record: false,
                after_rejection: true
            }
        );
    }

    fn input<'a>(
        document: &'a crate::document::PublicDocument,
        recipient: &'a super::super::Recipient,
        issuer: &'a crate::spain::SpanishSeller,
        system: &'a super::super::SistemaInformatico,
        previous: &'a super::super::ChainLink,
    ) -> AltaInput<'a> {
        AltaInput {
            document,
            invoice_type: InvoiceType::F1,
            issuer,
            recipient: Some(recipient),
            previous: Some(previous),
            system,
            generated_at_ms: utc_ms(date(2026, 12, 2), 12, 0),
        }
    }

    #[test]
    fn a_correction_is_a_new_alta_of_the_same_invoice_chained_after_the_rejected_one() {
        let records = chain();
        let first = &records[0];
        let document = document(
            "2026-0001",
            date(2026, 12, 2),
            vec![line("Silla de roble", 4_000, 5_000, 2_100)],
        );
        let corrected = corrected_recipient(&RecipientInput {
            name: " Construcciones García S.A. ".into(),
            tax_id: "12345678z".into(),
        })
        .expect("a valid NIF");
        assert_eq!(corrected.name, "Construcciones García S.A.");
        assert!(matches!(&corrected.id, RecipientId::Nif(nif) if nif.as_str() == "12345678Z"));
        let last = &records[records.len() - 1].link;
        let alta = RegistroAlta::correction(
            &input(&document, &corrected, &issuer(), &system(), last),
            &standing(&[rejected(RecordOperation::Registration)]),
        )
        .expect("the correction");
        let xml = alta.to_xml();
        assert!(xml.contains("</sf:NombreRazonEmisor><sf:Subsanacion>S</sf:Subsanacion><sf:RechazoPrevio>X</sf:RechazoPrevio><sf:TipoFactura>F1</sf:TipoFactura>"), "{xml}");
        assert!(xml.contains("<sf:NIF>12345678Z</sf:NIF>"));
        assert_eq!(alta.id.number, first.link.number);
        assert_eq!(alta.previous.as_ref(), Some(last), "chained at the end");
        let (operation, recipient) = read_alta(&xml).expect("readable");
        assert_eq!(operation, AltaOperation::AfterRejection);
        assert_eq!(recipient.expect("named").tax_id, "12345678Z");
        assert_eq!(
            read_alta(&first.xml).map(|(operation, _)| operation),
            Some(AltaOperation::Initial)
        );
        let mut all: Vec<String> = records.iter().map(|record| record.xml.clone()).collect();
        all.push(xml);
        assert_eq!(super::super::verify_chain(&all), Ok(records.len() + 1));
    }

    #[test]
    fn a_correction_is_refused_when_nothing_asks_for_one_or_its_recipient_breaks_a_rule() {
        let records = chain();
        let document = document(
            "2026-0001",
            date(2026, 12, 2),
            vec![line("Silla de roble", 4_000, 5_000, 2_100)],
        );
        let fine = corrected_recipient(&RecipientInput {
            name: "García".into(),
            tax_id: "12345678Z".into(),
        })
        .expect("valid");
        let last = &records[0].link;
        assert_eq!(
            RegistroAlta::correction(
                &input(&document, &fine, &issuer(), &system(), last),
                &standing(&[registered()]),
            ),
            Err(CorrectionRefusal::NothingToCorrect)
        );
        let myself = corrected_recipient(&RecipientInput {
            name: "Yo".into(),
            tax_id: "89890001K".into(),
        })
        .expect("a valid NIF");
        assert_eq!(
            RegistroAlta::correction(
                &input(&document, &myself, &issuer(), &system(), last),
                &standing(&[rejected(RecordOperation::Registration)]),
            ),
            Err(CorrectionRefusal::Rules(vec![AeatRule::RecipientIsIssuer]))
        );
        assert_eq!(
            corrected_recipient(&RecipientInput {
                name: "García".into(),
                tax_id: "12345678A".into(),
            }),
            Err(CorrectionRefusal::TaxId(
                crate::spain::SpanishProblem::NifCheckLetter
            ))
        );
        assert_eq!(
            corrected_recipient(&RecipientInput {
                name: "García".into(),
                tax_id: " ".into(),
            }),
            Err(CorrectionRefusal::Rules(vec![AeatRule::RecipientRequired]))
        );
        assert_eq!(
            corrected_recipient(&RecipientInput {
                name: "".into(),
                tax_id: "12345678Z".into(),
            }),
            Err(CorrectionRefusal::Rules(vec![AeatRule::NameLength {
                max: 120
            }]))
        );
    }

    #[test]
    fn a_cancellation_of_an_unregistered_invoice_writes_its_flags_in_schema_order() {
        let mut anulacion = RegistroAnulacion::build(&AnulacionInput {
            issuer_nif: &nif("89890001K"),
            number: "2026-0002",
            issue_date: date(2026, 12, 2),
            previous: None,
            system: &system(),
            generated_at_ms: utc_ms(date(2026, 12, 2), 10, 0),
        })
        .expect("valid");
        assert!(!anulacion.to_xml().contains("SinRegistroPrevio"));
        anulacion.operation = AnulacionOperation {
            without_prior_record: true,
            after_rejection: true,
        };
        assert!(anulacion.to_xml().contains("</sf:IDFactura><sf:SinRegistroPrevio>S</sf:SinRegistroPrevio><sf:RechazoPrevio>S</sf:RechazoPrevio><sf:Encadenamiento>"));
    }
}
