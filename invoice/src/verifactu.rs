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
mod huella;
mod rules;
mod xml;

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::document::{DocumentKind, PublicDocument};

pub use answer::{
    parse_response, what_to_fix, AnswerError, AnswerLine, Duplicate, DuplicateState, Fault,
    Operation, RecordState, Response, SubmissionAnswer, SubmissionState, MAX_ANSWER_BYTES,
};
pub use chain::{parse_record, verify_chain, BreakReason, ChainBreak, RecordKind, StoredRecord};
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
    /// simplified (no recipient); a credit note is R1, or R5 when the
    /// invoice it corrects was simplified.
    pub fn for_document(document: &PublicDocument, simplified: bool) -> Self {
        match (document.kind(), simplified) {
            (DocumentKind::Invoice, false) => InvoiceType::F1,
            (DocumentKind::Invoice, true) => InvoiceType::F2,
            (DocumentKind::CreditNote, false) => InvoiceType::R1,
            (DocumentKind::CreditNote, true) => InvoiceType::R5,
        }
    }
}

/// The store that issues (`ObligadoEmision`, `IDEmisorFactura`,
/// `NombreRazonEmisor`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    /// The store's NIF, already validated (nine characters).
    pub nif: String,
    /// Its legal name (nombre o razón social), at most 120 characters.
    pub name: String,
}

/// The customer a full invoice names (`IDDestinatario`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recipient {
    /// Identified by a Spanish NIF, already validated.
    Spanish { nif: String, name: String },
    /// Identified otherwise (`IDOtro`): the country (ISO 3166-1 alpha-2),
    /// the kind of id (`IDType` 02…07: NIF-IVA, passport, id in the country
    /// of residence, residence certificate, other document, not registered)
    /// and the id itself (at most 20 characters).
    Foreign {
        name: String,
        country: String,
        kind: String,
        id: String,
    },
}

impl Recipient {
    pub fn name(&self) -> &str {
        match self {
            Recipient::Spanish { name, .. } | Recipient::Foreign { name, .. } => name,
        }
    }
}

/// The billing system that makes the records (`SistemaInformatico`): the
/// producer's name and NIF are the operator's configuration; the
/// installation number is one per organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SistemaInformatico {
    /// The producer's name (`NombreRazon`), at most 120 characters.
    pub producer_name: String,
    /// The producer's NIF, nine characters.
    pub producer_nif: String,
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
        let fields: [(&'static str, &str, usize); 6] = [
            ("NombreRazon", &self.producer_name, 120),
            ("NIF", &self.producer_nif, 9),
            ("NombreSistemaInformatico", &self.system_name, 30),
            ("IdSistemaInformatico", &self.system_id, 2),
            ("Version", &self.version, 50),
            ("NumeroInstalacion", &self.installation_number, 100),
        ];
        fields
            .into_iter()
            .filter(|(element, value, max)| {
                let chars = value.trim().chars().count();
                chars == 0 || chars > *max || (*element == "NIF" && chars != 9)
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

/// One rate of the VAT breakdown (`DetalleDesglose`): IVA (01), regime 01,
/// subject and not exempt (S1); amounts as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// `TipoImpositivo`, e.g. `21.00`.
    pub rate: String,
    /// `BaseImponibleOimporteNoSujeto`.
    pub base: String,
    /// `CuotaRepercutida`.
    pub tax: String,
}

/// What a [`RegistroAlta`] is built from.
#[derive(Debug, Clone, Copy)]
pub struct AltaInput<'a> {
    /// The issued invoice or credit note, frozen.
    pub document: &'a PublicDocument,
    pub invoice_type: InvoiceType,
    pub issuer: &'a Issuer,
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
    pub issuer_nif: &'a str,
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
        // A credit note's amounts are positive on the document (its kind
        // says it gives back); the record corrects by differences, so they
        // are written negative.
        let sign = if input.invoice_type.is_corrective() {
            -1
        } else {
            1
        };
        let issuer_nif = input.issuer.nif.trim().to_owned();
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
        let details = document
            .totals
            .taxes
            .iter()
            .map(|tax| Detail {
                rate: rate_text(tax.rate_bp),
                base: amount_text(sign * tax.base.minor),
                tax: amount_text(sign * tax.tax.minor),
            })
            .collect();
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
            issuer_name: input.issuer.name.trim().to_owned(),
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
            issuer_nif: input.issuer_nif.trim().to_owned(),
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
