//! VERI*FACTU (Spain): the records of a Spanish store's invoices that the
//! AEAT can verify, built from the frozen document, chained by their huella,
//! sent as the `RegFactuSistemaFacturacion` SOAP request, and the AEAT's
//! answer read back.
//!
//! Everything follows the AEAT's own material in `invoice/verifactu/`
//! (REPORT.md quotes the rules; the schemas are in `xsd/`):
//! - a record is a [`RegistroAlta`] (an issued invoice or credit note) or a
//!   [`RegistroAnulacion`] (a voided invoice), with the fields of
//!   `SuministroInformacion.xsd` that Invio fills;
//! - its huella is SHA-256 over the fields the AEAT's hash specification
//!   lists, computed from the very strings written in the XML (`huella`);
//! - each record's XML is built once and stored as built: the request
//!   ([`request_xml`]) embeds the stored strings, and [`verify_chain`]
//!   re-reads them to prove nothing changed;
//! - what the AEAT would refuse and a schema cannot say is refused before
//!   anything is built ([`AeatRule`], named by the AEAT's error codes).

mod answer;
mod chain;
mod correction;
mod event;
mod huella;
mod rules;
#[doc(hidden)]
pub mod samples;
mod xml;

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::document::{DocumentKind, PublicDocument};
use crate::money::Money;
use crate::qr::{verification_url, AeatEnvironment, TaxAgencyCheck};
use crate::spain::{CorrectionGround, Nif, RecipientId, SpanishSeller, TaxTreatment};

pub use answer::{
    parse_response, what_to_fix, AnswerError, AnswerLine, Duplicate, DuplicateState, Fault,
    Operation, RecordState, Response, SubmissionAnswer, SubmissionState, MAX_ANSWER_BYTES,
};
pub use chain::{parse_record, verify_chain, BreakReason, ChainBreak, RecordKind, StoredRecord};
pub use correction::{
    corrected_recipient, read_alta, AeatStanding, AltaOperation, AnulacionOperation,
    CorrectionRefusal, RecipientInput,
};
pub use event::VerifactuEvent;
pub use huella::{
    alta_huella, amount_text, anulacion_huella, fecha, fecha_hora_huso, huella, AltaHashFields,
    AnulacionHashFields,
};
pub use rules::AeatRule;
pub use xml::{request_xml, RequestError, MAX_RECORDS_PER_REQUEST};

/// `SuministroInformacion.xsd`'s namespace: every record element is in it.
pub const SF_NAMESPACE: &str = "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/es/aeat/tike/cont/ws/SuministroInformacion.xsd";
/// `SuministroLR.xsd`'s namespace: the request and its `Cabecera`.
pub const LR_NAMESPACE: &str = "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/es/aeat/tike/cont/ws/SuministroLR.xsd";
/// `RespuestaSuministro.xsd`'s namespace: the AEAT's answer.
pub const RESPONSE_NAMESPACE: &str = "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/es/aeat/tike/cont/ws/RespuestaSuministro.xsd";
/// SOAP 1.1's envelope: the WSDL binds the service with
/// `http://schemas.xmlsoap.org/wsdl/soap/`, which is SOAP 1.1.
pub const SOAP_NAMESPACE: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// The first day a VERI*FACTU record may be dated (AEAT error 1152: «La
/// fecha de expedición no puede ser inferior al 28 de octubre de 2024»).
pub const FIRST_ISSUE_DATE: Date = Date {
    year: 2024,
    month: 10,
    day: 28,
};

/// `TipoFactura` (list L2 of the Orden's annex) for the records Invio makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvoiceType {
    /// A full invoice (art. 6, 7.2, 7.3 RD 1619/2012): names its recipient.
    F1,
    /// A simplified invoice or one without the recipient's identity.
    F2,
    /// Corrective, art. 80.1 and 80.2 LIVA (returns, discounts, cancelled
    /// operations) and errors founded in law: a credit note of an F1.
    R1,
    /// Corrective, art. 80.3 (the customer's insolvency proceedings).
    R2,
    /// Corrective, art. 80.4 (debts not collected).
    R3,
    /// Corrective, any other reason.
    R4,
    /// Corrective of a simplified invoice: a credit note of an F2.
    R5,
}

impl InvoiceType {
    pub const ALL: [InvoiceType; 7] = [
        InvoiceType::F1,
        InvoiceType::F2,
        InvoiceType::R1,
        InvoiceType::R2,
        InvoiceType::R3,
        InvoiceType::R4,
        InvoiceType::R5,
    ];

    /// The code written in `TipoFactura` and hashed in the huella.
    pub fn code(self) -> &'static str {
        match self {
            InvoiceType::F1 => "F1",
            InvoiceType::F2 => "F2",
            InvoiceType::R1 => "R1",
            InvoiceType::R2 => "R2",
            InvoiceType::R3 => "R3",
            InvoiceType::R4 => "R4",
            InvoiceType::R5 => "R5",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// Whether it corrects an earlier invoice (R1…R5).
    pub fn is_corrective(self) -> bool {
        !matches!(self, InvoiceType::F1 | InvoiceType::F2)
    }

    /// Whether the record must name its recipient (AEAT 1189: F1, R1…R4)
    /// or must not (1190: F2, R5).
    pub fn needs_recipient(self) -> bool {
        !matches!(self, InvoiceType::F2 | InvoiceType::R5)
    }

    /// The type Invio gives a document: an invoice is F1, or F2 when it is
    /// simplified (no recipient); a credit note is the legal ground the
    /// merchant chose (R1 unless said otherwise), or R5 when the invoice it
    /// corrects was simplified.
    pub fn for_document(document: &PublicDocument, simplified: bool) -> Self {
        match (document.kind(), simplified) {
            (DocumentKind::Invoice, false) => InvoiceType::F1,
            (DocumentKind::Invoice, true) => InvoiceType::F2,
            (DocumentKind::CreditNote, false) => {
                let ground = document
                    .corrects
                    .as_ref()
                    .and_then(|correction| correction.ground)
                    .unwrap_or_default();
                InvoiceType::for_ground(ground)
            }
            (DocumentKind::CreditNote, true) => InvoiceType::R5,
        }
    }

    /// The corrective type of a legal ground.
    pub fn for_ground(ground: CorrectionGround) -> Self {
        match ground {
            CorrectionGround::R1 => InvoiceType::R1,
            CorrectionGround::R2 => InvoiceType::R2,
            CorrectionGround::R3 => InvoiceType::R3,
            CorrectionGround::R4 => InvoiceType::R4,
        }
    }
}

/// The sign a record gives a document's amounts: a credit note's are
/// positive on the document (its kind says it gives back), and its record
/// corrects by differences, so they are written negative.
fn record_sign(document: &PublicDocument) -> i64 {
    match document.kind() {
        DocumentKind::Invoice => 1,
        DocumentKind::CreditNote => -1,
    }
}

/// The AEAT's verification URL of a document, for its QR code: the amount
/// is its record's `ImporteTotal`, signed as the record writes it.
pub fn tax_agency_check(
    environment: AeatEnvironment,
    issuer: &Nif,
    document: &PublicDocument,
) -> TaxAgencyCheck {
    let total = document.totals.total;
    TaxAgencyCheck {
        url: verification_url(
            environment,
            issuer.as_str(),
            &document.number,
            document.issue_date,
            Money::new(record_sign(document) * total.minor, total.currency),
        ),
    }
}

/// The customer a full invoice names (`IDDestinatario`): their name and
/// their Spanish NIF or foreign id (`IDOtro`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Nombre o razón social, at most 120 characters.
    pub name: String,
    pub id: RecipientId,
}

/// The billing system that makes the records (`SistemaInformatico`): the
/// producer's name and NIF are the operator's configuration; the
/// installation number is one per organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SistemaInformatico {
    /// The producer's name (`NombreRazon`), at most 120 characters.
    pub producer_name: String,
    /// The producer's NIF.
    pub producer_nif: Nif,
    /// `NombreSistemaInformatico`, at most 30 characters.
    pub system_name: String,
    /// `IdSistemaInformatico`, at most 2 characters.
    pub system_id: String,
    /// `Version`, at most 50 characters.
    pub version: String,
    /// `NumeroInstalacion`, at most 100 characters.
    pub installation_number: String,
    /// `TipoUsoPosibleSoloVerifactu`: the system only works as VERI*FACTU.
    pub only_verifactu: bool,
    /// `TipoUsoPosibleMultiOT`: it can serve several taxpayers.
    pub multiple_taxpayers_possible: bool,
    /// `IndicadorMultiplesOT`: it serves several taxpayers now.
    pub multiple_taxpayers: bool,
}

impl SistemaInformatico {
    /// Each field that is empty or longer than the schema allows, by its
    /// element name.
    pub fn problems(&self) -> Vec<AeatRule> {
        let fields: [(&'static str, &str, usize); 5] = [
            ("NombreRazon", &self.producer_name, 120),
            ("NombreSistemaInformatico", &self.system_name, 30),
            ("IdSistemaInformatico", &self.system_id, 2),
            ("Version", &self.version, 50),
            ("NumeroInstalacion", &self.installation_number, 100),
        ];
        fields
            .into_iter()
            .filter(|(_, value, max)| {
                let chars = value.trim().chars().count();
                chars == 0 || chars > *max
            })
            .map(|(element, _, _)| AeatRule::SistemaInformatico {
                element: element.to_owned(),
            })
            .collect()
    }
}

/// What identifies an invoice to the AEAT (`IDFactura`), as written in the
/// records: issuer NIF, series and number, issue date `DD-MM-YYYY`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceId {
    pub issuer_nif: String,
    pub number: String,
    pub issue_date: String,
}

/// What the next record's `RegistroAnterior` says of this one: the
/// invoice it is about and its huella. The server keeps it beside each
/// stored record and passes the last one to the next record it builds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    pub issuer_nif: String,
    pub number: String,
    /// `DD-MM-YYYY`, as written in the record.
    pub issue_date: String,
    pub huella: String,
}

/// A record ready to store and send: its element exactly as it goes into
/// the request, its huella, and the link the next record chains to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: RecordKind,
    /// The `sf:RegistroAlta` / `sf:RegistroAnulacion` element, with its own
    /// namespace declaration. Stored as built and never rebuilt.
    pub xml: String,
    pub huella: String,
    pub link: ChainLink,
    /// `FechaHoraHusoGenRegistro` as written.
    pub generated_at: String,
}

/// One group of the VAT breakdown (`DetalleDesglose`): the lines of one
/// treatment, and for subject lines of one rate; amounts as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// S1 (`CalificacionOperacion` with its rate and tax), E1…E6
    /// (`OperacionExenta`) or N1, N2 (`CalificacionOperacion` alone).
    pub treatment: TaxTreatment,
    /// `TipoImpositivo`, e.g. `21.00`; only for S1 (AEAT 1237, 1238).
    pub rate: Option<String>,
    /// `BaseImponibleOimporteNoSujeto`.
    pub base: String,
    /// `CuotaRepercutida`; only for S1.
    pub tax: Option<String>,
}

impl Detail {
    /// `ClaveRegimen`: 01 (general), except for exports and the operations
    /// treated as exports (E2, E3), which the general regime cannot carry
    /// (AEAT 1199) and which go under 02, the regime that carries only
    /// exempt operations (AEAT 1286).
    pub fn regime(&self) -> &'static str {
        match self.treatment {
            TaxTreatment::E2 | TaxTreatment::E3 => "02",
            _ => "01",
        }
    }
}

/// The breakdown of a document: one detail per rate of its subject lines
/// (the tax lines of its totals), and its 0 % lines split by treatment,
/// each group's base summed from its lines; `sign` writes a credit note's
/// amounts negative. A line without a treatment is subject (S1).
fn details(document: &PublicDocument, sign: i64) -> Vec<Detail> {
    let subject = |rate_bp: i64, base: i64, tax: i64| Detail {
        treatment: TaxTreatment::S1,
        rate: Some(rate_text(rate_bp)),
        base: amount_text(sign * base),
        tax: Some(amount_text(sign * tax)),
    };
    let mut details = Vec::new();
    for tax in &document.totals.taxes {
        if tax.rate_bp != 0 {
            details.push(subject(tax.rate_bp, tax.base.minor, tax.tax.minor));
            continue;
        }
        for treatment in TaxTreatment::ALL {
            let mut lines = document.lines.iter().filter(|line| {
                line.tax_rate_bp == 0 && line.treatment.unwrap_or(TaxTreatment::S1) == treatment
            });
            let Some(first) = lines.next() else {
                continue;
            };
            let base = lines.fold(first.net_minor(), |sum, line| {
                sum.saturating_add(line.net_minor())
            });
            details.push(match treatment {
                TaxTreatment::S1 => subject(0, base, 0),
                _ => Detail {
                    treatment,
                    rate: None,
                    base: amount_text(sign * base),
                    tax: None,
                },
            });
        }
    }
    details
}

/// What a [`RegistroAlta`] is built from.
#[derive(Debug, Clone, Copy)]
pub struct AltaInput<'a> {
    /// The issued invoice or credit note, frozen.
    pub document: &'a PublicDocument,
    pub invoice_type: InvoiceType,
    /// The store that issues: `IDEmisorFactura`, `NombreRazonEmisor`.
    pub issuer: &'a SpanishSeller,
    /// `None` for F2 and R5, required otherwise.
    pub recipient: Option<&'a Recipient>,
    /// The last record of the chain; `None` for the very first.
    pub previous: Option<&'a ChainLink>,
    pub system: &'a SistemaInformatico,
    /// When the record is made (UTC milliseconds): its
    /// `FechaHoraHusoGenRegistro`, in Madrid's offset at that instant.
    pub generated_at_ms: i64,
}

/// The registro de alta of an issued invoice or credit note. Every value
/// that is hashed is formatted once, here, and the XML and the huella both
/// read that one string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistroAlta {
    pub id: InvoiceId,
    pub issuer_name: String,
    /// The first alta of the invoice, or a correction of it
    /// (`Subsanacion`, `RechazoPrevio`).
    pub operation: AltaOperation,
    pub invoice_type: InvoiceType,
    /// For R types, the invoice corrected by differences (`TipoRectificativa` I).
    pub corrected: Option<InvoiceId>,
    /// `DescripcionOperacion`.
    pub description: String,
    pub recipient: Option<Recipient>,
    pub details: Vec<Detail>,
    /// `CuotaTotal`.
    pub tax_total: String,
    /// `ImporteTotal`.
    pub total: String,
    pub previous: Option<ChainLink>,
    pub system: SistemaInformatico,
    /// `FechaHoraHusoGenRegistro`.
    pub generated_at: String,
    pub huella: String,
}

/// What a [`RegistroAnulacion`] is built from: the voided invoice as its
/// own registro de alta named it.
#[derive(Debug, Clone, Copy)]
pub struct AnulacionInput<'a> {
    pub issuer_nif: &'a Nif,
    pub number: &'a str,
    pub issue_date: Date,
    pub previous: Option<&'a ChainLink>,
    pub system: &'a SistemaInformatico,
    pub generated_at_ms: i64,
}

/// The registro de anulación of a voided invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistroAnulacion {
    /// The voided invoice (`IDEmisorFacturaAnulada`, …).
    pub id: InvoiceId,
    /// `SinRegistroPrevio` and `RechazoPrevio`.
    pub operation: AnulacionOperation,
    pub previous: Option<ChainLink>,
    pub system: SistemaInformatico,
    pub generated_at: String,
    pub huella: String,
}

/// The longest `DescripcionOperacion` (TextMax500Type).
const MAX_DESCRIPTION_CHARS: usize = 500;

impl RegistroAlta {
    /// The record of `input`, or every rule the AEAT would refuse it by.
    pub fn build(input: &AltaInput<'_>) -> Result<Self, Vec<AeatRule>> {
        let document = input.document;
        let problems = rules::alta_problems(input);
        if !problems.is_empty() {
            return Err(problems);
        }
        let sign = record_sign(document);
        let issuer_nif = input.issuer.nif.as_str().to_owned();
        let id = InvoiceId {
            issuer_nif: issuer_nif.clone(),
            number: document.number.trim().to_owned(),
            issue_date: fecha(document.issue_date),
        };
        let corrected = document
            .corrected_invoice()
            .filter(|_| input.invoice_type.is_corrective())
            .map(|(number, date)| InvoiceId {
                issuer_nif: issuer_nif.clone(),
                number: number.trim().to_owned(),
                issue_date: fecha(date),
            });
        let details = details(document, sign);
        let tax_minor: i64 = document.totals.taxes.iter().map(|tax| tax.tax.minor).sum();
        let tax_total = amount_text(sign * tax_minor);
        let total = amount_text(sign * document.totals.total.minor);
        let generated_at = fecha_hora_huso(input.generated_at_ms);
        let previous = input.previous.cloned();
        let huella = alta_huella(&AltaHashFields {
            issuer_nif: &id.issuer_nif,
            number: &id.number,
            issue_date: &id.issue_date,
            invoice_type: input.invoice_type.code(),
            tax_total: &tax_total,
            total: &total,
            previous_huella: previous.as_ref().map_or("", |link| link.huella.as_str()),
            generated_at: &generated_at,
        });
        Ok(Self {
            id,
            issuer_name: input.issuer.legal_name.trim().to_owned(),
            operation: AltaOperation::Initial,
            invoice_type: input.invoice_type,
            corrected,
            description: operation_description(document),
            recipient: input.recipient.cloned(),
            details,
            tax_total,
            total,
            previous,
            system: input.system.clone(),
            generated_at,
            huella,
        })
    }

    /// The `sf:RegistroAlta` element, to store as it is.
    pub fn to_xml(&self) -> String {
        xml::registro_alta(self)
    }

    /// What the next record chains to.
    pub fn link(&self) -> ChainLink {
        ChainLink {
            issuer_nif: self.id.issuer_nif.clone(),
            number: self.id.number.clone(),
            issue_date: self.id.issue_date.clone(),
            huella: self.huella.clone(),
        }
    }

    /// The record to store: XML, huella, link.
    pub fn record(&self) -> Record {
        Record {
            kind: RecordKind::Alta,
            xml: self.to_xml(),
            huella: self.huella.clone(),
            link: self.link(),
            generated_at: self.generated_at.clone(),
        }
    }
}

impl RegistroAnulacion {
    /// The record of `input`, or every rule the AEAT would refuse it by.
    pub fn build(input: &AnulacionInput<'_>) -> Result<Self, Vec<AeatRule>> {
        let problems = rules::anulacion_problems(input);
        if !problems.is_empty() {
            return Err(problems);
        }
        let id = InvoiceId {
            issuer_nif: input.issuer_nif.as_str().to_owned(),
            number: input.number.trim().to_owned(),
            issue_date: fecha(input.issue_date),
        };
        let generated_at = fecha_hora_huso(input.generated_at_ms);
        let previous = input.previous.cloned();
        let huella = anulacion_huella(&AnulacionHashFields {
            issuer_nif: &id.issuer_nif,
            number: &id.number,
            issue_date: &id.issue_date,
            previous_huella: previous.as_ref().map_or("", |link| link.huella.as_str()),
            generated_at: &generated_at,
        });
        Ok(Self {
            id,
            operation: AnulacionOperation::default(),
            previous,
            system: input.system.clone(),
            generated_at,
            huella,
        })
    }

    /// The `sf:RegistroAnulacion` element, to store as it is.
    pub fn to_xml(&self) -> String {
        xml::registro_anulacion(self)
    }

    /// What the next record chains to: the voided invoice and this huella.
    pub fn link(&self) -> ChainLink {
        ChainLink {
            issuer_nif: self.id.issuer_nif.clone(),
            number: self.id.number.clone(),
            issue_date: self.id.issue_date.clone(),
            huella: self.huella.clone(),
        }
    }

    pub fn record(&self) -> Record {
        Record {
            kind: RecordKind::Anulacion,
            xml: self.to_xml(),
            huella: self.huella.clone(),
            link: self.link(),
            generated_at: self.generated_at.clone(),
        }
    }
}

/// `DescripcionOperacion`: a credit note's reason, else the lines'
/// descriptions, within the schema's 500 characters.
fn operation_description(document: &PublicDocument) -> String {
    let reason = document
        .corrects
        .as_ref()
        .map(|correction| correction.reason.trim())
        .filter(|reason| !reason.is_empty());
    let text = match reason {
        Some(reason) => reason.to_owned(),
        None => document
            .lines
            .iter()
            .map(|line| line.description.trim())
            .collect::<Vec<_>>()
            .join("; "),
    };
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_DESCRIPTION_CHARS)
        .collect();
    match text.trim() {
        "" => document.title().to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

/// `TipoImpositivo` (`Tipo2.2Type`): basis points as a percentage with two
/// decimals, 2100 → `21.00`.
fn rate_text(rate_bp: i64) -> String {
    format!("{}.{:02}", rate_bp / 100, rate_bp % 100)
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;
    use crate::problem::Problem;
    use crate::spain::RecipientId;

    fn day() -> Date {
        date(2026, 12, 2)
    }

    fn build(
        document: &PublicDocument,
        invoice_type: InvoiceType,
        recipient: Option<&Recipient>,
    ) -> Result<RegistroAlta, Vec<AeatRule>> {
        RegistroAlta::build(&AltaInput {
            document,
            invoice_type,
            issuer: &issuer(),
            recipient,
            previous: None,
            system: &system(),
            generated_at_ms: utc_ms(day(), 10, 0),
        })
    }

    fn invoice() -> PublicDocument {
        document(
            "2026-0001",
            day(),
            vec![
                line("Silla de roble", 4_000, 5_000, 2_100),
                line("Libro de cocina", 1_000, 2_500, 400),
            ],
        )
    }

    #[test]
    fn a_full_invoice_states_each_rate_and_totals_as_written_in_its_record() {
        let alta = build(&invoice(), InvoiceType::F1, Some(&spanish_customer())).expect("valid");
        // 4 × 50 € at 21 % and 25 € at 4 %.
        assert_eq!(
            alta.details,
            [
                Detail {
                    treatment: TaxTreatment::S1,
                    rate: Some("21.00".into()),
                    base: "200.00".into(),
                    tax: Some("42.00".into())
                },
                Detail {
                    treatment: TaxTreatment::S1,
                    rate: Some("4.00".into()),
                    base: "25.00".into(),
                    tax: Some("1.00".into())
                },
            ]
        );
        assert_eq!(
            (alta.tax_total.as_str(), alta.total.as_str()),
            ("43.00", "268.00")
        );
        assert_eq!(alta.id.issue_date, "02-12-2026");
        assert_eq!(alta.generated_at, "2026-12-02T11:00:00+01:00");
        assert_eq!(alta.description, "Silla de roble; Libro de cocina");
        assert_eq!(
            alta.huella,
            alta_huella(&AltaHashFields {
                issuer_nif: "89890001K",
                number: "2026-0001",
                issue_date: "02-12-2026",
                invoice_type: "F1",
                tax_total: "43.00",
                total: "268.00",
                previous_huella: "",
                generated_at: "2026-12-02T11:00:00+01:00",
            })
        );
        let xml = alta.to_xml();
        for written in [
            "<sf:CuotaTotal>43.00</sf:CuotaTotal>",
            "<sf:ImporteTotal>268.00</sf:ImporteTotal>",
            "<sf:PrimerRegistro>S</sf:PrimerRegistro>",
            "<sf:NombreRazonEmisor>Tienda &amp; Café &lt;Pérez&gt; S.L.</sf:NombreRazonEmisor>",
            &format!("<sf:Huella>{}</sf:Huella>", alta.huella),
        ] {
            assert!(xml.contains(written), "{written} in {xml}");
        }
    }

    #[test]
    fn exempt_and_not_subject_lines_are_grouped_by_treatment_without_rate_or_tax() {
        let document = document(
            "2026-0002",
            day(),
            vec![
                line("Silla de roble", 1_000, 10_000, 2_100),
                line_without_vat("Consulta médica", 1_000, 6_000, "E1"),
                line_without_vat("Análisis", 1_000, 4_000, "e1"),
                line_without_vat("Servicio en Andorra", 1_000, 3_000, "N2"),
                line_without_vat("Exportación", 1_000, 2_000, "E2"),
            ],
        );
        let alta = build(&document, InvoiceType::F1, Some(&spanish_customer())).expect("valid");
        type Row<'a> = (&'a str, Option<&'a str>, &'a str, Option<&'a str>, &'a str);
        let summary: Vec<Row> = alta
            .details
            .iter()
            .map(|detail| {
                (
                    detail.treatment.code(),
                    detail.rate.as_deref(),
                    detail.base.as_str(),
                    detail.tax.as_deref(),
                    detail.regime(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("S1", Some("21.00"), "100.00", Some("21.00"), "01"),
                ("E1", None, "100.00", None, "01"),
                ("E2", None, "20.00", None, "02"),
                ("N2", None, "30.00", None, "01"),
            ]
        );
        assert_eq!(
            (alta.tax_total.as_str(), alta.total.as_str()),
            ("21.00", "271.00")
        );
        let xml = alta.to_xml();
        for written in [
            "<sf:DetalleDesglose><sf:Impuesto>01</sf:Impuesto><sf:ClaveRegimen>01</sf:ClaveRegimen><sf:OperacionExenta>E1</sf:OperacionExenta><sf:BaseImponibleOimporteNoSujeto>100.00</sf:BaseImponibleOimporteNoSujeto></sf:DetalleDesglose>",
            "<sf:ClaveRegimen>02</sf:ClaveRegimen><sf:OperacionExenta>E2</sf:OperacionExenta><sf:BaseImponibleOimporteNoSujeto>20.00</sf:BaseImponibleOimporteNoSujeto></sf:DetalleDesglose>",
            "<sf:CalificacionOperacion>N2</sf:CalificacionOperacion><sf:BaseImponibleOimporteNoSujeto>30.00</sf:BaseImponibleOimporteNoSujeto></sf:DetalleDesglose>",
            "<sf:CalificacionOperacion>S1</sf:CalificacionOperacion><sf:TipoImpositivo>21.00</sf:TipoImpositivo>",
        ] {
            assert!(xml.contains(written), "{written} in {xml}");
        }
    }

    #[test]
    fn an_intra_community_exempt_supply_names_its_customer_by_an_eu_vat_number() {
        let document = document(
            "2026-0003",
            day(),
            vec![line_without_vat("Sillas a Francia", 1_000, 50_000, "E5")],
        );
        assert_eq!(
            build(&document, InvoiceType::F1, Some(&spanish_customer())),
            Err(vec![AeatRule::IntraCommunityWithoutVatNumber])
        );
        let french = foreign(
            "FR",
            crate::spain::ForeignIdKind::VatNumber,
            "FR12345678901",
        );
        assert!(build(&document, InvoiceType::F1, Some(&french)).is_ok());
    }

    #[test]
    fn a_credit_note_is_typed_by_the_legal_ground_the_merchant_chose() {
        let mut refund = credit_note(
            "NC-2026-0002",
            day(),
            &invoice(),
            vec![line("Silla de roble", 1_000, 5_000, 2_100)],
        );
        for (ground, expected) in [
            (CorrectionGround::R1, InvoiceType::R1),
            (CorrectionGround::R2, InvoiceType::R2),
            (CorrectionGround::R3, InvoiceType::R3),
            (CorrectionGround::R4, InvoiceType::R4),
        ] {
            if let Some(correction) = refund.corrects.as_mut() {
                correction.ground = Some(ground);
            }
            assert_eq!(InvoiceType::for_document(&refund, false), expected);
            // A simplified invoice's correction is R5 whatever the ground.
            assert_eq!(InvoiceType::for_document(&refund, true), InvoiceType::R5);
        }
        let alta = build(&refund, InvoiceType::R3, Some(&spanish_customer())).expect("valid");
        assert!(alta
            .to_xml()
            .contains("<sf:TipoFactura>R3</sf:TipoFactura>"));
    }

    #[test]
    fn a_credit_note_corrects_its_invoice_by_differences_with_negative_amounts() {
        let refund = credit_note(
            "NC-2026-0001",
            day(),
            &invoice(),
            vec![line("Silla de roble", 1_000, 5_000, 2_100)],
        );
        assert_eq!(InvoiceType::for_document(&refund, false), InvoiceType::R1);
        assert_eq!(InvoiceType::for_document(&refund, true), InvoiceType::R5);
        let alta = build(&refund, InvoiceType::R1, Some(&spanish_customer())).expect("valid");
        assert_eq!(
            (alta.tax_total.as_str(), alta.total.as_str()),
            ("-10.50", "-60.50")
        );
        assert_eq!(alta.details[0].base, "-50.00");
        assert_eq!(
            alta.corrected,
            Some(InvoiceId {
                issuer_nif: "89890001K".into(),
                number: "2026-0001".into(),
                issue_date: "02-12-2026".into(),
            })
        );
        assert_eq!(alta.description, "Devolución de una silla");
        let xml = alta.to_xml();
        assert!(xml.contains("<sf:TipoRectificativa>I</sf:TipoRectificativa><sf:FacturasRectificadas><sf:IDFacturaRectificada><sf:IDEmisorFactura>89890001K</sf:IDEmisorFactura><sf:NumSerieFactura>2026-0001</sf:NumSerieFactura>"));
        assert!(!xml.contains("ImporteRectificacion"));
    }

    #[test]
    fn the_chain_links_each_record_to_the_one_before() {
        let records = chain();
        assert!(records[0]
            .xml
            .contains("<sf:PrimerRegistro>S</sf:PrimerRegistro>"));
        for pair in records.windows(2) {
            let link = &pair[0].link;
            assert!(pair[1].xml.contains(&format!(
                "<sf:RegistroAnterior><sf:IDEmisorFactura>{}</sf:IDEmisorFactura><sf:NumSerieFactura>{}</sf:NumSerieFactura><sf:FechaExpedicionFactura>{}</sf:FechaExpedicionFactura><sf:Huella>{}</sf:Huella></sf:RegistroAnterior>",
                link.issuer_nif, link.number, link.issue_date, link.huella
            )));
        }
        let voided = &records[4];
        assert_eq!(voided.kind, RecordKind::Anulacion);
        assert_eq!(voided.link.number, "2026-0002");
        assert_eq!(
            verify_chain(&records.iter().map(|r| r.xml.as_str()).collect::<Vec<_>>()),
            Ok(5)
        );
    }

    #[test]
    fn invoice_numbers_the_aeat_refuses_are_refused_before_building() {
        for number in [
            "",
            "F\"2026",
            "F'1",
            "A<B",
            "A>B",
            "A=B",
            "Nº 1",
            "F\t1",
            &"9".repeat(61),
        ] {
            let mut bad = invoice();
            bad.number = number.into();
            assert_eq!(
                build(&bad, InvoiceType::F1, Some(&spanish_customer())),
                Err(vec![AeatRule::NumberCharacters { corrected: false }]),
                "{number:?}"
            );
        }
        let mut fine = invoice();
        fine.number = "12345678 / G33-#&(x)".into();
        assert!(build(&fine, InvoiceType::F1, Some(&spanish_customer())).is_ok());
        fine.number = "9".repeat(60);
        assert!(build(&fine, InvoiceType::F1, Some(&spanish_customer())).is_ok());
    }

    #[test]
    fn a_date_after_the_record_is_made_or_before_verifactu_began_is_refused() {
        let mut tomorrow = invoice();
        tomorrow.issue_date = date(2026, 12, 3);
        assert_eq!(
            build(&tomorrow, InvoiceType::F1, Some(&spanish_customer())),
            Err(vec![AeatRule::DatedAfterGeneration])
        );
        let mut early = invoice();
        early.issue_date = date(2024, 10, 27);
        assert_eq!(
            build(&early, InvoiceType::F1, Some(&spanish_customer())),
            Err(vec![AeatRule::DatedBeforeVerifactu])
        );
        early.issue_date = FIRST_ISSUE_DATE;
        assert!(build(&early, InvoiceType::F1, Some(&spanish_customer())).is_ok());
        // 23:30 UTC on 2 December is already 3 December in Madrid.
        let late = RegistroAlta::build(&AltaInput {
            document: &tomorrow,
            invoice_type: InvoiceType::F1,
            issuer: &issuer(),
            recipient: Some(&spanish_customer()),
            previous: None,
            system: &system(),
            generated_at_ms: utc_ms(day(), 23, 30),
        });
        assert!(late.is_ok());
    }

    #[test]
    fn who_the_invoice_names_follows_its_type() {
        assert_eq!(
            build(&invoice(), InvoiceType::F1, None),
            Err(vec![AeatRule::RecipientRequired])
        );
        assert_eq!(
            build(&invoice(), InvoiceType::F2, Some(&spanish_customer())),
            Err(vec![AeatRule::RecipientNotAllowed])
        );
        assert!(build(&invoice(), InvoiceType::F2, None).is_ok());
        let myself = Recipient {
            name: "Yo".into(),
            id: RecipientId::Nif(nif("89890001K")),
        };
        assert_eq!(
            build(&invoice(), InvoiceType::F1, Some(&myself)),
            Err(vec![AeatRule::RecipientIsIssuer])
        );
        assert_eq!(
            build(&invoice(), InvoiceType::R1, Some(&spanish_customer())),
            Err(vec![AeatRule::TypeDoesNotMatchDocument])
        );
    }

    #[test]
    fn foreign_ids_whose_country_and_kind_do_not_go_together_are_refused() {
        use crate::spain::ForeignIdKind::{
            NotRegistered, OfficialId, Other, Passport, ResidenceCertificate, VatNumber,
        };
        for (country, kind, id) in [
            ("FR", VatNumber, "FR12345678901"),
            ("GR", VatNumber, "EL123456789"),
            ("ES", Passport, "PAS123"),
            ("ES", NotRegistered, "12345678Z"),
            ("US", OfficialId, "123-45-6789"),
            ("MA", ResidenceCertificate, "RC-99"),
            ("MA", Other, "X1"),
        ] {
            assert!(
                build(
                    &invoice(),
                    InvoiceType::F1,
                    Some(&foreign(country, kind, id))
                )
                .is_ok(),
                "{country} {kind:?}"
            );
        }
        for (country, kind, id) in [
            ("ES", VatNumber, "ES12345678"),
            ("ES", OfficialId, "12345678Z"),
            ("FR", NotRegistered, "123"),
            ("FR", VatNumber, "DE123456789"),
            ("fr", Passport, "123"),
            ("FRA", Passport, "123"),
            ("US", OfficialId, &"1".repeat(21)),
            ("US", OfficialId, " "),
        ] {
            assert_eq!(
                build(
                    &invoice(),
                    InvoiceType::F1,
                    Some(&foreign(country, kind, id))
                ),
                Err(vec![AeatRule::ForeignId]),
                "{country} {kind:?} {id}"
            );
        }
    }

    #[test]
    fn corrections_for_unpaid_debts_or_insolvency_take_only_the_ids_the_aeat_allows() {
        use crate::spain::ForeignIdKind::{NotRegistered, Passport};
        let refund = credit_note(
            "NC-2026-0001",
            day(),
            &invoice(),
            vec![line("Silla", 1_000, 5_000, 2_100)],
        );
        let vat_number = foreign_customer();
        let unregistered = foreign("ES", NotRegistered, "12345678Z");
        let passport = foreign("ES", Passport, "PAS123");
        // 1191: R3 only with a NIF or 07; 1192: R2 with a NIF, 02 or 07.
        assert_eq!(
            build(&refund, InvoiceType::R3, Some(&vat_number)),
            Err(vec![AeatRule::ForeignId])
        );
        assert!(build(&refund, InvoiceType::R3, Some(&unregistered)).is_ok());
        assert!(build(&refund, InvoiceType::R3, Some(&spanish_customer())).is_ok());
        assert!(build(&refund, InvoiceType::R2, Some(&vat_number)).is_ok());
        assert_eq!(
            build(&refund, InvoiceType::R2, Some(&passport)),
            Err(vec![AeatRule::ForeignId])
        );
        assert!(build(&refund, InvoiceType::R4, Some(&passport)).is_ok());
    }

    #[test]
    fn a_simplified_invoice_over_3000_euro_is_refused() {
        let big = document(
            "2026-0009",
            day(),
            vec![line("Sofá", 1_000, 248_000, 2_100)],
        );
        assert_eq!(
            build(&big, InvoiceType::F2, None),
            Err(vec![AeatRule::SimplifiedOverLimit])
        );
        let exactly = document("2026-0009", day(), vec![line("Sofá", 1_000, 300_000, 0)]);
        assert!(build(&exactly, InvoiceType::F2, None).is_ok());
    }

    #[test]
    fn amounts_beyond_twelve_digits_other_currencies_and_too_many_rates_are_refused() {
        let huge = document(
            "2026-0010",
            day(),
            vec![line("Edificio", 1_000, 1_000_000_000_000, 2_100); 100],
        );
        assert_eq!(
            build(&huge, InvoiceType::F1, Some(&spanish_customer())),
            Err(vec![AeatRule::AmountTooLarge])
        );
        let mut dollars = invoice();
        dollars.currency = crate::Currency::Usd;
        assert_eq!(
            build(&dollars, InvoiceType::F1, Some(&spanish_customer())),
            Err(vec![AeatRule::NotEuro])
        );
        let rates = document(
            "2026-0011",
            day(),
            (0..13)
                .map(|rate| line("Cosa", 1_000, 100, rate * 100))
                .collect(),
        );
        assert_eq!(
            build(&rates, InvoiceType::F1, Some(&spanish_customer())),
            Err(vec![AeatRule::TooManyRates])
        );
    }

    #[test]
    fn a_broken_system_configuration_names_the_element() {
        let mut broken = system();
        broken.system_id = "IVO".into();
        broken.version = String::new();
        assert_eq!(
            broken.problems(),
            [
                AeatRule::SistemaInformatico {
                    element: "IdSistemaInformatico".into()
                },
                AeatRule::SistemaInformatico {
                    element: "Version".into()
                },
            ]
        );
        assert!(system().problems().is_empty());
    }

    #[test]
    fn every_rule_tells_the_merchant_in_their_language_beside_its_field() {
        let rules = [
            AeatRule::NumberCharacters { corrected: false },
            AeatRule::DatedAfterGeneration,
            AeatRule::DatedBeforeVerifactu,
            AeatRule::AmountTooLarge,
            AeatRule::NotEuro,
            AeatRule::RecipientRequired,
            AeatRule::RecipientNotAllowed,
            AeatRule::RecipientIsIssuer,
            AeatRule::ForeignId,
            AeatRule::SimplifiedOverLimit,
            AeatRule::TooManyRates,
            AeatRule::NameLength { max: 120 },
            AeatRule::TypeDoesNotMatchDocument,
            AeatRule::SistemaInformatico {
                element: "Version".into(),
            },
        ];
        for rule in rules {
            let error = rule.field_error();
            assert_eq!(error.problem, Problem::Verifactu(rule.clone()));
            let texts: Vec<String> = crate::Language::ALL
                .iter()
                .map(|language| error.message(*language))
                .collect();
            assert!(texts.iter().all(|text| !text.is_empty()), "{rule:?}");
            assert!(
                texts[0] != texts[1] && texts[1] != texts[2],
                "{rule:?}: {texts:?}"
            );
        }
    }

    #[test]
    fn a_cancellation_names_the_voided_invoice_and_chains() {
        let records = chain();
        let voided = &records[4].xml;
        assert!(voided.starts_with("<sf:RegistroAnulacion xmlns:sf=\""));
        assert!(voided.contains("<sf:IDFactura><sf:IDEmisorFacturaAnulada>89890001K</sf:IDEmisorFacturaAnulada><sf:NumSerieFacturaAnulada>2026-0002</sf:NumSerieFacturaAnulada><sf:FechaExpedicionFacturaAnulada>02-12-2026</sf:FechaExpedicionFacturaAnulada></sf:IDFactura>"));
        let mut bad = AnulacionInput {
            issuer_nif: &nif("89890001K"),
            number: "A=B",
            issue_date: day(),
            previous: None,
            system: &system(),
            generated_at_ms: utc_ms(day(), 10, 0),
        };
        assert_eq!(
            RegistroAnulacion::build(&bad),
            Err(vec![AeatRule::NumberCharacters { corrected: false }])
        );
        bad.number = "2026-0002";
        assert!(RegistroAnulacion::build(&bad).is_ok());
    }
}
