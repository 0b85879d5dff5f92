//! The FatturaPA file (format FPR12, schema 1.2.3) of an Italian store's
//! issued invoice or credit note: the legal invoice that goes through SdI,
//! built from the frozen document and the parties' fiscal data.
//!
//! The schema is `invoice/fatturapa/Schema_VFPR12_v1.2.3.xsd` (see its
//! README); `invoice/tests/fatturapa_xsd.rs` validates what this builds
//! against it with a real validator. What an XSD cannot say — every 0 %
//! line needs a natura, the summary must add up, the tax must be the rate of
//! the base — is checked here before anything is built ([`SdiRule`], named
//! by SdI's own check codes), so a file SdI would reject is never sent.

use crate::customer::CustomerDetails;
use crate::dates::Date;
use crate::document::{DocumentKind, DocumentLine, PublicDocument};
use crate::email::escape_html;
pub use crate::italy::Address;
use crate::italy::{
    CodiceDestinatario, CodiceFiscale, FiscalProblem, Iban, ItalianSeller, Natura, PartitaIva,
    RegimeFiscale,
};
use crate::problem::{FieldError, Problem};
use crate::Currency;

/// The schema's namespace.
const NAMESPACE: &str = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2";
/// The stamp duty (imposta di bollo) on invoices without VAT over the
/// threshold: €2, paid virtually (DPR 642/1972, tariff art. 13; DM 17/6/2014).
pub const BOLLO_MINOR: i64 = 200;
/// Invoices of VAT-free operations above €77.47 carry the stamp duty.
pub const BOLLO_THRESHOLD_MINOR: i64 = 7_747;

/// The schema's `TipoDocumento` of a document: TD01 for an invoice, TD04
/// for a credit note (which refers to the invoice it corrects).
fn tipo_documento(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Invoice => "TD01",
        DocumentKind::CreditNote => "TD04",
    }
}

/// The store that issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    pub partita_iva: PartitaIva,
    pub codice_fiscale: Option<CodiceFiscale>,
    pub name: String,
    pub regime: RegimeFiscale,
    pub address: Address,
    /// Where the customer pays, stated in the payment details.
    pub iban: Option<Iban>,
}

/// Who the customer is to the tax authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuyerName {
    /// A company or a professional's business name.
    Company(String),
    /// A person, named as the schema wants it: first and last name apart.
    Person { first: String, last: String },
}

/// The customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    pub partita_iva: Option<PartitaIva>,
    pub codice_fiscale: Option<CodiceFiscale>,
    pub name: BuyerName,
    pub address: Address,
    /// Where SdI delivers: a code, `0000000` with or without a PEC address.
    pub destinatario: CodiceDestinatario,
    pub pec: Option<String>,
}

/// Everything a FatturaPA file says.
#[derive(Debug, Clone, PartialEq, Eq)]
/// Whether it is an invoice or a credit note, and which invoice a credit
/// note corrects, the file takes from the document.
pub struct FatturaPa<'a> {
    pub document: &'a PublicDocument,
    pub seller: Seller,
    pub buyer: Buyer,
    /// For a natura, the law that makes the operation VAT-free, as the
    /// invoice must cite it ("Art. 10 DPR 633/72").
    pub legal_reference: Option<String>,
    /// The file's progressive: unique per sender, five characters of
    /// `[A-Za-z0-9]` (SdI's file naming rule).
    pub progressive: String,
}

/// A rule SdI applies that the schema cannot express, by SdI's check code
/// (Specifiche tecniche, "Elenco controlli").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdiRule {
    /// 00400: a 0 % line without a natura (the line's number from 1).
    NaturaMissing { line: usize },
    /// 00401: a natura on a line with VAT.
    NaturaWithVat { line: usize },
    /// The document is not in euro: FatturaPA amounts are euro here.
    NotEuro,
    /// 00404-like: the progressive is not five letters or digits.
    Progressive,
    /// 00418: the credit note is dated before the invoice it corrects.
    CorrectsLater,
    /// 00403: the document is dated after the day SdI receives it.
    DatedAfterSending,
    /// 00417: a customer in Italy needs a partita IVA or a codice fiscale.
    BuyerUnidentified,
    /// 00421 / 00422: the summary of a rate does not add up (document
    /// totals that were not computed by `document::totals`).
    Summary { rate_bp: i64 },
    /// 00426: a PEC address with a code other than `0000000`.
    PecWithCode,
}

impl SdiRule {
    /// The form field the rule is about and what the merchant is told, for
    /// refusing to issue an invoice whose file SdI would reject.
    pub fn field_error(&self) -> FieldError {
        let fiscal = |field: String, problem| FieldError::new(field, Problem::Fiscal(problem));
        match self {
            SdiRule::NaturaMissing { line } => fiscal(
                format!("lines[{}].natura", line.saturating_sub(1)),
                FiscalProblem::NaturaMissing,
            ),
            SdiRule::NaturaWithVat { line } => fiscal(
                format!("lines[{}].natura", line.saturating_sub(1)),
                FiscalProblem::NaturaWithVat,
            ),
            SdiRule::NotEuro | SdiRule::Progressive => {
                fiscal("store_id".into(), FiscalProblem::NotEuro)
            }
            SdiRule::CorrectsLater => FieldError::new("issue_date", Problem::DueBeforeIssue),
            SdiRule::DatedAfterSending => fiscal("issue_date".into(), FiscalProblem::DatedInFuture),
            SdiRule::BuyerUnidentified => {
                fiscal("customer_id".into(), FiscalProblem::RecipientUnidentified)
            }
            SdiRule::Summary { .. } => fiscal("lines".into(), FiscalProblem::SummaryMismatch),
            SdiRule::PecWithCode => fiscal("customer_id".into(), FiscalProblem::PecWithCode),
        }
    }
}

/// SdI's check 00403 for a file made and sent on `today`: a document
/// dated later is refused, so it is not issued until its day.
pub fn dated_after_sending(document: &PublicDocument, today: Date) -> Option<SdiRule> {
    (document.issue_date > today).then_some(SdiRule::DatedAfterSending)
}

impl Seller {
    /// The store as its electronic invoices name it.
    pub fn of_store(name: &str, italy: &ItalianSeller) -> Self {
        Self {
            partita_iva: italy.partita_iva.clone(),
            codice_fiscale: italy.codice_fiscale.clone(),
            name: name.to_owned(),
            regime: italy.regime,
            address: italy.sede.clone(),
            iban: italy.iban.clone(),
        }
    }
}

impl Buyer {
    /// The customer as SdI knows them: their partita IVA (the tax id, when
    /// it is one) or codice fiscale, where SdI delivers, and their address
    /// in Italy.
    pub fn of_customer(customer: &CustomerDetails) -> Result<Self, FiscalProblem> {
        let address = Address::parse_italian(&customer.address)
            .map_err(|_| FiscalProblem::CustomerAddress)?;
        Ok(Self {
            partita_iva: customer
                .tax_id
                .as_deref()
                .and_then(|tax_id| PartitaIva::parse(tax_id).ok()),
            codice_fiscale: customer.sdi.codice_fiscale.clone(),
            name: BuyerName::Company(customer.name.clone()),
            address,
            destinatario: customer.sdi.destinatario(),
            pec: customer.sdi.pec.clone(),
        })
    }
}

/// The file's progressive for the `sequence`-th file of a sender: five
/// characters of `[0-9A-Z]`, in base 36 (60 million files before it wraps).
pub fn progressive(sequence: i64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut value = sequence.rem_euclid(36_i64.pow(5));
    let mut text = [b'0'; 5];
    for place in text.iter_mut().rev() {
        *place = DIGITS[(value % 36) as usize];
        value /= 36;
    }
    text.iter().map(|&digit| char::from(digit)).collect()
}

/// The file's name: `IT{partita IVA}_{progressive}.xml`.
pub fn file_name(seller: &PartitaIva, progressive: &str) -> String {
    format!("IT{}_{progressive}.xml", seller.as_str())
}

/// Whether the stamp duty applies: VAT-free amounts over €77.47. Exports
/// (N3.1) and reverse-charge operations (N6.x) are exempt from it.
pub fn needs_bollo(lines: &[DocumentLine]) -> bool {
    let vat_free: i64 = lines
        .iter()
        .filter(|line| {
            line.natura.is_some_and(|natura| {
                let code = natura.code();
                code != "N3.1" && !code.starts_with("N6")
            })
        })
        .map(DocumentLine::net_minor)
        .sum();
    vat_free > BOLLO_THRESHOLD_MINOR
}

impl FatturaPa<'_> {
    /// Every SdI rule the file would break; empty when it may be sent.
    pub fn problems(&self) -> Vec<SdiRule> {
        let mut problems = Vec::new();
        let document = self.document;
        if document.currency != Currency::Eur {
            problems.push(SdiRule::NotEuro);
        }
        if self.progressive.len() != 5
            || !self.progressive.chars().all(|c| c.is_ascii_alphanumeric())
        {
            problems.push(SdiRule::Progressive);
        }
        for (index, line) in document.lines.iter().enumerate() {
            match (line.tax_rate_bp == 0, line.natura) {
                (true, None) => problems.push(SdiRule::NaturaMissing { line: index + 1 }),
                (false, Some(_)) => problems.push(SdiRule::NaturaWithVat { line: index + 1 }),
                _ => {}
            }
        }
        if document
            .corrected_invoice()
            .is_some_and(|(_, date)| date > document.issue_date)
        {
            problems.push(SdiRule::CorrectsLater);
        }
        if self.buyer.address.country == "IT"
            && self.buyer.partita_iva.is_none()
            && self.buyer.codice_fiscale.is_none()
        {
            problems.push(SdiRule::BuyerUnidentified);
        }
        if self.buyer.pec.is_some() && !self.buyer.destinatario.is_none() {
            problems.push(SdiRule::PecWithCode);
        }
        for summary in self.summaries() {
            let tax = div_round(summary.base_minor * summary.rate_bp, 10_000);
            if (tax - summary.tax_minor).abs() > 1 {
                problems.push(SdiRule::Summary {
                    rate_bp: summary.rate_bp,
                });
            }
        }
        problems
    }

    /// One summary per rate and natura, from the document's totals.
    fn summaries(&self) -> Vec<Summary> {
        let mut summaries: Vec<Summary> = Vec::new();
        for line in &self.document.lines {
            let natura = line.natura.map(Natura::code);
            match summaries
                .iter_mut()
                .find(|summary| summary.rate_bp == line.tax_rate_bp && summary.natura == natura)
            {
                Some(summary) => summary.base_minor += line.net_minor(),
                None => summaries.push(Summary {
                    rate_bp: line.tax_rate_bp,
                    natura,
                    base_minor: line.net_minor(),
                    tax_minor: 0,
                }),
            }
        }
        for summary in &mut summaries {
            summary.tax_minor = self
                .document
                .totals
                .taxes
                .iter()
                .find(|tax| tax.rate_bp == summary.rate_bp)
                .map_or(0, |tax| tax.tax.minor);
        }
        summaries
    }

    /// The file, when no SdI rule is broken.
    pub fn to_xml(&self) -> Result<String, Vec<SdiRule>> {
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        let document = self.document;
        let mut xml = Xml::default();
        xml.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml.raw(&format!(
            "<p:FatturaElettronica xmlns:p=\"{NAMESPACE}\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" versione=\"FPR12\">\n"
        ));
        xml.open("FatturaElettronicaHeader");
        xml.open("DatiTrasmissione");
        xml.open("IdTrasmittente");
        xml.text("IdPaese", "IT");
        xml.text("IdCodice", self.seller.partita_iva.as_str());
        xml.close("IdTrasmittente");
        xml.text("ProgressivoInvio", &self.progressive);
        xml.text("FormatoTrasmissione", "FPR12");
        xml.text("CodiceDestinatario", self.buyer.destinatario.as_str());
        if let Some(pec) = &self.buyer.pec {
            xml.text("PECDestinatario", pec);
        }
        xml.close("DatiTrasmissione");

        xml.open("CedentePrestatore");
        xml.open("DatiAnagrafici");
        xml.open("IdFiscaleIVA");
        xml.text("IdPaese", "IT");
        xml.text("IdCodice", self.seller.partita_iva.as_str());
        xml.close("IdFiscaleIVA");
        if let Some(codice) = &self.seller.codice_fiscale {
            xml.text("CodiceFiscale", codice.as_str());
        }
        xml.open("Anagrafica");
        xml.latin("Denominazione", &self.seller.name, 80);
        xml.close("Anagrafica");
        xml.text("RegimeFiscale", &self.seller.regime.code());
        xml.close("DatiAnagrafici");
        xml.address("Sede", &self.seller.address);
        xml.close("CedentePrestatore");

        xml.open("CessionarioCommittente");
        xml.open("DatiAnagrafici");
        if let Some(partita_iva) = &self.buyer.partita_iva {
            xml.open("IdFiscaleIVA");
            xml.text("IdPaese", "IT");
            xml.text("IdCodice", partita_iva.as_str());
            xml.close("IdFiscaleIVA");
        }
        if let Some(codice) = &self.buyer.codice_fiscale {
            xml.text("CodiceFiscale", codice.as_str());
        }
        xml.open("Anagrafica");
        match &self.buyer.name {
            BuyerName::Company(name) => xml.latin("Denominazione", name, 80),
            BuyerName::Person { first, last } => {
                xml.latin("Nome", first, 60);
                xml.latin("Cognome", last, 60);
            }
        }
        xml.close("Anagrafica");
        xml.close("DatiAnagrafici");
        xml.address("Sede", &self.buyer.address);
        xml.close("CessionarioCommittente");
        xml.close("FatturaElettronicaHeader");

        xml.open("FatturaElettronicaBody");
        xml.open("DatiGenerali");
        xml.open("DatiGeneraliDocumento");
        xml.text("TipoDocumento", tipo_documento(document.kind()));
        xml.text("Divisa", "EUR");
        xml.text("Data", &document.issue_date.to_string());
        xml.basic("Numero", &document.number, 20);
        let bollo = needs_bollo(&document.lines);
        if bollo {
            xml.open("DatiBollo");
            xml.text("BolloVirtuale", "SI");
            xml.text("ImportoBollo", &amount(BOLLO_MINOR));
            xml.close("DatiBollo");
        }
        xml.text(
            "ImportoTotaleDocumento",
            &amount(document.totals.total.minor),
        );
        if !document.notes.trim().is_empty() {
            xml.latin("Causale", document.notes.trim(), 200);
        }
        xml.close("DatiGeneraliDocumento");
        if let Some((number, date)) = document.corrected_invoice() {
            xml.open("DatiFattureCollegate");
            xml.basic("IdDocumento", number, 20);
            xml.text("Data", &date.to_string());
            xml.close("DatiFattureCollegate");
        }
        xml.close("DatiGenerali");

        xml.open("DatiBeniServizi");
        for (index, line) in document.lines.iter().enumerate() {
            xml.open("DettaglioLinee");
            xml.text("NumeroLinea", &(index + 1).to_string());
            xml.latin("Descrizione", &line.description, 1000);
            xml.text("Quantita", &quantity(line.quantity_milli));
            xml.text("PrezzoUnitario", &amount(line.unit_price_minor));
            xml.text("PrezzoTotale", &amount(line.net_minor()));
            xml.text("AliquotaIVA", &rate(line.tax_rate_bp));
            if let Some(natura) = line.natura {
                xml.text("Natura", natura.code());
            }
            xml.close("DettaglioLinee");
        }
        for summary in self.summaries() {
            xml.open("DatiRiepilogo");
            xml.text("AliquotaIVA", &rate(summary.rate_bp));
            if let Some(natura) = summary.natura {
                xml.text("Natura", natura);
            }
            xml.text("ImponibileImporto", &amount(summary.base_minor));
            xml.text("Imposta", &amount(summary.tax_minor));
            if summary.natura.is_none() {
                // Immediate: the VAT is due when the invoice is issued.
                xml.text("EsigibilitaIVA", "I");
            } else if let Some(reference) = &self.legal_reference {
                xml.latin("RiferimentoNormativo", reference, 100);
            }
            xml.close("DatiRiepilogo");
        }
        xml.close("DatiBeniServizi");

        if document.kind() == DocumentKind::Invoice {
            xml.open("DatiPagamento");
            // TP02: paid in full at once.
            xml.text("CondizioniPagamento", "TP02");
            xml.open("DettaglioPagamento");
            // MP05: bank transfer; MP01 (cash) when no account is given.
            xml.text(
                "ModalitaPagamento",
                if self.seller.iban.is_some() {
                    "MP05"
                } else {
                    "MP01"
                },
            );
            if let Some(due) = document.due_date {
                xml.text("DataScadenzaPagamento", &due.to_string());
            }
            xml.text("ImportoPagamento", &amount(document.totals.total.minor));
            if let Some(iban) = &self.seller.iban {
                xml.text("IBAN", iban.as_str());
            }
            xml.close("DettaglioPagamento");
            xml.close("DatiPagamento");
        }
        xml.close("FatturaElettronicaBody");
        xml.raw("</p:FatturaElettronica>\n");
        Ok(xml.0)
    }
}

struct Summary {
    rate_bp: i64,
    natura: Option<&'static str>,
    base_minor: i64,
    tax_minor: i64,
}

fn div_round(value: i64, divisor: i64) -> i64 {
    let half = divisor / 2;
    if value >= 0 {
        (value + half) / divisor
    } else {
        (value - half) / divisor
    }
}

/// Euro cents as the schema's `Amount2DecimalType`: `1234.50`.
fn amount(minor: i64) -> String {
    format!(
        "{}{}.{:02}",
        if minor < 0 { "-" } else { "" },
        minor.unsigned_abs() / 100,
        minor.unsigned_abs() % 100
    )
}

/// Thousandths as `QuantitaType`: `2.50`, `1.125`.
fn quantity(milli: i64) -> String {
    let whole = milli.unsigned_abs() / 1000;
    let fraction = milli.unsigned_abs() % 1000;
    if fraction.is_multiple_of(10) {
        format!("{whole}.{:02}", fraction / 10)
    } else {
        format!("{whole}.{fraction:03}")
    }
}

/// Basis points as `RateType`: `22.00`.
fn rate(basis_points: i64) -> String {
    format!("{}.{:02}", basis_points / 100, basis_points % 100)
}

/// Characters the schema's Latin types cannot hold, as their nearest Latin-1
/// spelling: what a keyboard's autocorrect puts into a description.
fn to_latin1(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => out.push('"'),
            '\u{2013}' | '\u{2014}' | '\u{2212}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{20AC}' => out.push_str("EUR"),
            '\u{00A0}' | '\u{2007}' | '\u{202F}' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c if u32::from(c) <= 0xFF => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// The document being written, element by element.
#[derive(Default)]
struct Xml(String);

impl Xml {
    fn raw(&mut self, text: &str) {
        self.0.push_str(text);
    }

    fn open(&mut self, name: &str) {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push_str(">\n");
    }

    fn close(&mut self, name: &str) {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push_str(">\n");
    }

    /// An element whose value is already in the schema's alphabet.
    fn text(&mut self, name: &str, value: &str) {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        // The same five characters as HTML, escaped the same way.
        self.0.push_str(&escape_html(value));
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push_str(">\n");
    }

    /// Free text in a Latin-1 type, shortened to the schema's length.
    fn latin(&mut self, name: &str, value: &str, max_chars: usize) {
        let value: String = to_latin1(value.trim()).chars().take(max_chars).collect();
        self.text(name, value.trim_end());
    }

    /// Free text in a Basic Latin type (`Numero`, `IdDocumento`).
    fn basic(&mut self, name: &str, value: &str, max_chars: usize) {
        let value: String = to_latin1(value.trim())
            .chars()
            .map(|c| if c.is_ascii() { c } else { '-' })
            .take(max_chars)
            .collect();
        self.text(name, &value);
    }

    fn address(&mut self, name: &str, address: &Address) {
        self.open(name);
        self.latin("Indirizzo", &address.street, 60);
        if let Some(number) = address.number.as_deref().filter(|n| !n.trim().is_empty()) {
            self.basic("NumeroCivico", number, 8);
        }
        self.text("CAP", &address.cap);
        self.latin("Comune", &address.comune, 60);
        if let Some(provincia) = &address.provincia {
            self.text("Provincia", &provincia.to_uppercase());
        }
        self.text("Nazione", &address.country);
        self.close(name);
    }
}

/// Sample documents and parties, for these tests and the XSD validation in
/// `invoice/tests/fatturapa_xsd.rs`.
#[doc(hidden)]
pub mod samples {
    use super::*;
    use crate::document::{totals, Party};
    use crate::Language;

    pub fn line(
        description: &str,
        quantity_milli: i64,
        unit_price_minor: i64,
        tax_rate_bp: i64,
    ) -> DocumentLine {
        DocumentLine {
            description: description.into(),
            quantity_milli,
            unit_price_minor,
            tax_rate_bp,
            natura: None,
            treatment: None,
        }
    }

    /// A line without VAT, for the reason `natura` gives.
    pub fn vat_free_line(
        description: &str,
        quantity_milli: i64,
        unit_price_minor: i64,
        natura: &str,
    ) -> DocumentLine {
        DocumentLine {
            natura: Natura::parse(natura).ok(),
            ..line(description, quantity_milli, unit_price_minor, 0)
        }
    }

    pub fn document(number: &str, lines: Vec<DocumentLine>) -> PublicDocument {
        PublicDocument {
            language: Language::It,
            number: number.into(),
            issue_date: Date {
                year: 2026,
                month: 12,
                day: 2,
            },
            due_date: Some(Date {
                year: 2027,
                month: 1,
                day: 1,
            }),
            currency: Currency::Eur,
            seller: Party::default(),
            customer: Party::default(),
            totals: totals(&lines, Currency::Eur).expect("totals"),
            lines,
            notes: "Grazie — a presto".into(),
            legal_channel: None,
            corrects: None,
            tax_agency_check: None,
            simplified: false,
        }
    }

    fn address(street: &str, cap: &str, comune: &str, provincia: &str) -> Address {
        Address {
            street: street.into(),
            number: Some("12/B".into()),
            cap: cap.into(),
            comune: comune.into(),
            provincia: Some(provincia.into()),
            country: "IT".into(),
        }
    }

    pub fn seller() -> Seller {
        Seller {
            partita_iva: PartitaIva::parse("06363391001").expect("partita IVA"),
            codice_fiscale: CodiceFiscale::parse("06363391001").ok(),
            name: "Bottega Rossi S.r.l.".into(),
            regime: RegimeFiscale::ORDINARIO,
            address: address("Via Roma", "00184", "Roma", "RM"),
            iban: Iban::parse("IT60X0542811101000000123456").ok(),
        }
    }

    /// A company reached by its codice destinatario.
    pub fn company() -> Buyer {
        Buyer {
            partita_iva: PartitaIva::parse("01234567897").ok(),
            codice_fiscale: None,
            name: BuyerName::Company("Officina Bianchi & Figli S.n.c.".into()),
            address: address("Corso Italia", "20122", "Milano", "MI"),
            destinatario: CodiceDestinatario::parse("M5UXCR1").expect("code"),
            pec: None,
        }
    }

    /// A consumer: codice fiscale, no code.
    pub fn consumer() -> Buyer {
        Buyer {
            partita_iva: None,
            codice_fiscale: CodiceFiscale::parse("RSSMRA80A01H501U").ok(),
            name: BuyerName::Person {
                first: "Mario".into(),
                last: "Rossi".into(),
            },
            address: address("Via dei Mille", "80121", "Napoli", "NA"),
            destinatario: CodiceDestinatario::parse(CodiceDestinatario::NONE).expect("code"),
            pec: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;
    use crate::document::Correction;

    fn invoice(document: &PublicDocument, buyer: Buyer) -> FatturaPa<'_> {
        FatturaPa {
            document,
            seller: seller(),
            buyer,
            legal_reference: None,
            progressive: "00001".into(),
        }
    }

    #[test]
    fn numbers_are_written_as_the_schema_wants_them() {
        assert_eq!(amount(123_450), "1234.50");
        assert_eq!(amount(-5), "-0.05");
        assert_eq!(quantity(2_500), "2.50");
        assert_eq!(quantity(1_125), "1.125");
        assert_eq!(rate(2_200), "22.00");
        assert_eq!(rate(550), "5.50");
        assert_eq!(
            file_name(&seller().partita_iva, "0000A"),
            "IT06363391001_0000A.xml"
        );
    }

    #[test]
    fn text_outside_latin_1_is_spelt_with_latin_1() {
        assert_eq!(
            to_latin1("Retta d’iscrizione “gennaio” — € 180…"),
            "Retta d'iscrizione \"gennaio\" - EUR 180..."
        );
        assert_eq!(to_latin1("Caffè 1° piano"), "Caffè 1° piano");
        assert_eq!(to_latin1("Łódź"), "?ód?");
    }

    #[test]
    fn every_zero_rate_line_needs_a_natura_and_no_other_line_has_one() {
        let document = document(
            "2026-0001",
            vec![
                line("Consulenza", 1_000, 10_000, 2_200),
                line("Bollo", 1_000, 200, 0),
            ],
        );
        assert_eq!(
            invoice(&document, company()).problems(),
            [SdiRule::NaturaMissing { line: 2 }]
        );
        let mut both = document.clone();
        let n1 = Natura::parse("N1").ok();
        both.lines.iter_mut().for_each(|line| line.natura = n1);
        assert_eq!(
            invoice(&both, company()).problems(),
            [SdiRule::NaturaWithVat { line: 1 }]
        );
        let mut right = document.clone();
        right.lines[1].natura = n1;
        assert_eq!(invoice(&right, company()).problems(), []);
    }

    #[test]
    fn a_credit_note_names_an_earlier_invoice_and_a_consumer_is_identified() {
        let mut document = document("NC-1", vec![line("Reso", 1_000, 5_000, 2_200)]);
        let corrects = |day| Correction {
            number: "2026-0009".into(),
            issue_date: Date {
                year: 2026,
                month: 12,
                day,
            },
            reason: String::new(),
            ground: None,
        };
        document.corrects = Some(corrects(3));
        assert_eq!(
            invoice(&document, consumer()).problems(),
            [SdiRule::CorrectsLater]
        );
        document.corrects = Some(corrects(1));
        let mut note = invoice(&document, consumer());
        assert_eq!(note.problems(), []);
        let xml = note.to_xml().expect("xml");
        assert!(xml.contains("<TipoDocumento>TD04</TipoDocumento>"));
        assert!(xml.contains("<IdDocumento>2026-0009</IdDocumento>"));
        assert!(!xml.contains("DatiPagamento"));
        note.buyer.codice_fiscale = None;
        assert_eq!(note.problems(), [SdiRule::BuyerUnidentified]);
    }

    #[test]
    fn a_pec_goes_with_the_empty_code_and_the_progressive_has_five_characters() {
        let document = document("1", vec![line("Consulenza", 1_000, 10_000, 2_200)]);
        let mut file = invoice(&document, company());
        file.buyer.pec = Some("amministrazione@pec.bianchi.it".into());
        file.progressive = "1".into();
        assert_eq!(
            file.problems(),
            [SdiRule::Progressive, SdiRule::PecWithCode]
        );
    }

    #[test]
    fn a_summary_that_does_not_add_up_is_refused_before_any_file_is_made() {
        let mut document = document("1", vec![line("Consulenza", 1_000, 10_000, 2_200)]);
        document.totals.taxes[0].tax.minor += 5;
        let file = invoice(&document, company());
        assert_eq!(file.problems(), [SdiRule::Summary { rate_bp: 2_200 }]);
        assert!(file.to_xml().is_err());
    }

    #[test]
    fn the_stamp_duty_applies_to_vat_free_amounts_over_the_threshold_but_not_exports() {
        let lines = vec![vat_free_line("Corso", 1_000, 7_748, "N4")];
        assert!(needs_bollo(&lines));
        assert!(!needs_bollo(&[vat_free_line(
            "Corso", 1_000, 7_748, "N3.1"
        )]));
        assert!(!needs_bollo(&[vat_free_line("Corso", 1_000, 7_747, "N4")]));
        let document = document("1", lines.clone());
        let xml = invoice(&document, consumer()).to_xml().expect("xml");
        assert!(
            xml.contains("<BolloVirtuale>SI</BolloVirtuale>\n<ImportoBollo>2.00</ImportoBollo>")
        );
    }

    #[test]
    fn progressives_are_five_characters_of_base_36() {
        assert_eq!(progressive(1), "00001");
        assert_eq!(progressive(35), "0000Z");
        assert_eq!(progressive(36), "00010");
        assert_eq!(progressive(36_i64.pow(5) - 1), "ZZZZZ");
    }

    #[test]
    fn a_customer_becomes_a_buyer_with_a_code_or_a_pec_and_an_italian_address() {
        let customer = crate::customer::CustomerInput {
            name: "Officina Bianchi".into(),
            language: "it".into(),
            tax_id: "IT01234567897".into(),
            address: "Corso Italia 3\n20122 Milano MI".into(),
            codice_destinatario: "M5UXCR1".into(),
            ..Default::default()
        }
        .validate()
        .expect("customer");
        let buyer = Buyer::of_customer(&customer).expect("buyer");
        assert_eq!(
            buyer.partita_iva.as_ref().map(PartitaIva::as_str),
            Some("01234567897")
        );
        assert_eq!(buyer.destinatario.as_str(), "M5UXCR1");
        assert_eq!(buyer.address.comune, "Milano");
        let abroad = CustomerDetails {
            address: vec!["10 Downing Street".into(), "London".into()],
            ..customer
        };
        assert_eq!(
            Buyer::of_customer(&abroad),
            Err(FiscalProblem::CustomerAddress)
        );
    }

    #[test]
    fn a_document_dated_after_the_day_it_is_sent_is_refused() {
        let document = document("1", vec![line("Consulenza", 1_000, 10_000, 2_200)]);
        let day = |day| Date {
            year: 2026,
            month: 12,
            day,
        };
        assert_eq!(dated_after_sending(&document, day(2)), None);
        assert_eq!(dated_after_sending(&document, day(3)), None);
        assert_eq!(
            dated_after_sending(&document, day(1)),
            Some(SdiRule::DatedAfterSending)
        );
    }
}
