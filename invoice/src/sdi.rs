//! The Sistema di Interscambio's messages about a transmitted FatturaPA
//! file: what SdI answers (delivered, not delivered, rejected with its error
//! codes, a public body's outcome, terms elapsed), read from the XML file it
//! sends back, matched to the transmission by the invoice's file name and
//! SdI's identifier, and told to the merchant and the customer.
//!
//! The messages follow SdI's official schema (`invoice/sdi/MessaggiTypes_v1.1.xsd`,
//! namespace `http://www.fatturapa.gov.it/sdi/messaggi/v1.0`; every official
//! example in `invoice/sdi/examples/` is read by the tests) and, for invoices
//! between private parties of SdI's first voluntary flow, the Agenzia's
//! schema in the namespace
//! `http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fattura/messaggi/v1.0`,
//! which names the rejection `RicevutaScarto` and the failed delivery
//! `RicevutaImpossibilitaRecapito`. The root's children are unqualified in
//! both, so they are read by their local names. What this reads, and only
//! that, is required: a file without the invoice's name or SdI's identifier
//! is not a receipt, whatever else it holds. See `invoice/sdi/README.md` for
//! what is official and `invoice/sdi/SOURCES.md` for where it comes from.

use serde::{Deserialize, Serialize};

use crate::i18n::Language;

/// The namespaces an SdI message's root may be in.
pub const NAMESPACES: [&str; 2] = [
    "http://www.fatturapa.gov.it/sdi/messaggi/v1.0",
    "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fattura/messaggi/v1.0",
];

/// The largest message accepted: SdI's receipts are a few KiB, a rejection
/// with the schema's 200 errors of 1000 + 2000 characters about 600 KiB.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// Bounds the parser's work on a hostile file within [`MAX_MESSAGE_BYTES`].
const MAX_XML_NODES: u32 = 20_000;
/// The schema's bound on the errors of one rejection.
const MAX_ERRORS: usize = 200;

/// Which of SdI's messages to the transmitter a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageKind {
    /// RC, ricevuta di consegna: delivered to the customer.
    Delivered,
    /// MC, notifica di mancata consegna: SdI could not deliver it; the
    /// invoice is issued all the same and waits in the customer's area.
    NotDelivered,
    /// NS, notifica di scarto: rejected, the invoice is not issued.
    Rejected,
    /// NE, notifica esito: a public body accepted (EC01) or refused (EC02) it.
    Outcome,
    /// DT, notifica di decorrenza termini: a public body said nothing in 15 days.
    TermsElapsed,
    /// AT, attestazione di avvenuta trasmissione con impossibilità di
    /// recapito: to a public body that could not be reached.
    TransmissionAttested,
}

impl MessageKind {
    pub const ALL: [MessageKind; 6] = [
        MessageKind::Delivered,
        MessageKind::NotDelivered,
        MessageKind::Rejected,
        MessageKind::Outcome,
        MessageKind::TermsElapsed,
        MessageKind::TransmissionAttested,
    ];

    /// The message's two letters, as its file name carries them.
    pub fn code(self) -> &'static str {
        match self {
            MessageKind::Delivered => "RC",
            MessageKind::NotDelivered => "MC",
            MessageKind::Rejected => "NS",
            MessageKind::Outcome => "NE",
            MessageKind::TermsElapsed => "DT",
            MessageKind::TransmissionAttested => "AT",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

    fn from_root(name: &str) -> Option<Self> {
        Some(match name {
            "RicevutaConsegna" => MessageKind::Delivered,
            "NotificaMancataConsegna" | "RicevutaImpossibilitaRecapito" => {
                MessageKind::NotDelivered
            }
            "NotificaScarto" | "RicevutaScarto" => MessageKind::Rejected,
            "NotificaEsito" => MessageKind::Outcome,
            "NotificaDecorrenzaTermini" => MessageKind::TermsElapsed,
            "AttestazioneTrasmissioneFattura" => MessageKind::TransmissionAttested,
            _ => return None,
        })
    }
}

/// A transmitted invoice's file name, `IT01234567890_11111.xml`: the
/// transmitter's country and identifier, the file's progressive (1 to 5
/// letters or digits, unique per transmitter), `.xml` or, signed, `.xml.p7m`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InvoiceFileName {
    /// `IT01234567890_11111`: what receipts are matched by, signed or not.
    base: String,
    signed: bool,
}

impl InvoiceFileName {
    pub fn parse(name: &str) -> Result<Self, SdiParseError> {
        let invalid = || SdiParseError::InvalidFileName(name.chars().take(100).collect());
        let (base, signed) = if let Some(base) = strip_suffix_ignore_case(name, ".xml.p7m") {
            (base, true)
        } else if let Some(base) = strip_suffix_ignore_case(name, ".xml") {
            (base, false)
        } else {
            return Err(invalid());
        };
        let (transmitter, progressive) = base.split_once('_').ok_or_else(invalid)?;
        if !valid_transmitter(transmitter) || !valid_progressive(progressive) {
            return Err(invalid());
        }
        Ok(Self {
            base: base.to_owned(),
            signed,
        })
    }

    /// The name without its extension: the key a receipt is matched by.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The transmitter's part, `IT01234567890`.
    pub fn transmitter(&self) -> &str {
        self.base
            .split_once('_')
            .map_or("", |(transmitter, _)| transmitter)
    }

    /// The file's progressive, `11111`.
    pub fn progressive(&self) -> &str {
        self.base
            .split_once('_')
            .map_or("", |(_, progressive)| progressive)
    }

    pub fn signed(&self) -> bool {
        self.signed
    }
}

impl std::fmt::Display for InvoiceFileName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let extension = if self.signed { ".xml.p7m" } else { ".xml" };
        write!(f, "{}{extension}", self.base)
    }
}

fn strip_suffix_ignore_case<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = name.len().checked_sub(suffix.len())?;
    (name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(suffix)).then(|| &name[..cut])
}

/// Two letters of the country, then its identifier of the transmitter (a
/// codice fiscale or partita IVA in Italy, up to 28 characters abroad).
fn valid_transmitter(transmitter: &str) -> bool {
    let bytes = transmitter.as_bytes();
    (4..=30).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..].iter().all(u8::is_ascii_alphanumeric)
}

fn valid_progressive(progressive: &str) -> bool {
    (1..=5).contains(&progressive.len())
        && progressive.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

/// A message's own file name, `IT01234567890_11111_RC_001.xml`: the
/// invoice's name without its extension, the message's two letters, and a
/// progressive of three letters or digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFileName {
    pub invoice_base: String,
    pub kind: MessageKind,
    pub progressive: String,
}

impl MessageFileName {
    pub fn parse(name: &str) -> Result<Self, SdiParseError> {
        let invalid = || SdiParseError::InvalidFileName(name.chars().take(100).collect());
        let stem = strip_suffix_ignore_case(name, ".xml").ok_or_else(invalid)?;
        let mut parts = stem.rsplitn(3, '_');
        let progressive = parts.next().ok_or_else(invalid)?;
        let kind = parts
            .next()
            .and_then(MessageKind::parse)
            .ok_or_else(invalid)?;
        let invoice_base = parts.next().ok_or_else(invalid)?;
        let (transmitter, invoice_progressive) =
            invoice_base.split_once('_').ok_or_else(invalid)?;
        let progressive_ok =
            progressive.len() == 3 && progressive.bytes().all(|byte| byte.is_ascii_alphanumeric());
        if !progressive_ok
            || !valid_transmitter(transmitter)
            || !valid_progressive(invoice_progressive)
        {
            return Err(invalid());
        }
        Ok(Self {
            invoice_base: invoice_base.to_owned(),
            kind,
            progressive: progressive.to_owned(),
        })
    }
}

/// One error of a rejection: SdI's check code, its description, and its
/// suggestion when it gives one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdiError {
    pub code: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// What SdI says of the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// RC: in the customer's hands since `delivered_at`, as SdI wrote it.
    Delivered { delivered_at: String },
    /// MC: not delivered (the customer's channel did not answer); SdI's
    /// description of why, when it gives one.
    NotDelivered { description: Option<String> },
    /// NS: rejected for these errors (at least one).
    Rejected { errors: Vec<SdiError> },
    /// NE: a public body's answer; `accepted` for EC01, refused for EC02.
    PublicBody {
        accepted: bool,
        description: Option<String>,
    },
    /// DT: a public body let 15 days pass without answering.
    TermsElapsed,
    /// AT: transmitted to a public body that could not be reached.
    TransmissionAttested,
}

impl Outcome {
    pub fn kind(&self) -> MessageKind {
        match self {
            Outcome::Delivered { .. } => MessageKind::Delivered,
            Outcome::NotDelivered { .. } => MessageKind::NotDelivered,
            Outcome::Rejected { .. } => MessageKind::Rejected,
            Outcome::PublicBody { .. } => MessageKind::Outcome,
            Outcome::TermsElapsed => MessageKind::TermsElapsed,
            Outcome::TransmissionAttested => MessageKind::TransmissionAttested,
        }
    }
}

/// One of SdI's messages about a transmitted invoice, as read from its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdiReceipt {
    /// IdentificativoSdI: SdI's number for the transmitted file.
    pub sdi_id: String,
    /// NomeFile: the transmitted invoice's file name.
    pub invoice_file: InvoiceFileName,
    /// DataOraRicezione: when SdI received the file, as SdI wrote it; the
    /// outcome of a public body carries none.
    pub received_at: Option<String>,
    /// MessageId: SdI's number for this message.
    pub message_id: Option<String>,
    pub outcome: Outcome,
}

impl SdiReceipt {
    pub fn kind(&self) -> MessageKind {
        self.outcome.kind()
    }

    /// What one receipt is, for recording it once: SdI's file and the message.
    pub fn identity(&self) -> String {
        format!(
            "{}:{}:{}",
            self.sdi_id,
            self.kind().code(),
            self.message_id.as_deref().unwrap_or_default()
        )
    }
}

/// Why a file is not a message SdI sends about an invoice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdiParseError {
    #[error("the file is larger than an SdI message can be")]
    TooLarge,
    #[error("the file is not well-formed XML: {0}")]
    NotXml(String),
    #[error("the XML is not one of SdI's messages (its root is {0})")]
    NotAnSdiMessage(String),
    #[error("the SdI message has no {0}")]
    Missing(&'static str),
    #[error("the SdI message's {field} is not valid: {value}")]
    Invalid { field: &'static str, value: String },
    #[error("{0} is not the name of an SdI invoice or message file")]
    InvalidFileName(String),
}

impl SdiParseError {
    /// The reason in the merchant's language, for an upload refused.
    pub fn message(&self, language: Language) -> String {
        match (self, language) {
            (SdiParseError::TooLarge, Language::It) => {
                "Il file è più grande di qualsiasi messaggio dello SdI.".into()
            }
            (SdiParseError::TooLarge, Language::Es) => {
                "El archivo es más grande que cualquier mensaje del SdI.".into()
            }
            (SdiParseError::TooLarge, Language::En) => {
                "The file is larger than any SdI message.".into()
            }
            (SdiParseError::NotXml(_), Language::It) => {
                "Il file non è XML valido: non è una ricevuta dello SdI.".into()
            }
            (SdiParseError::NotXml(_), Language::Es) => {
                "El archivo no es XML válido: no es un recibo del SdI.".into()
            }
            (SdiParseError::NotXml(_), Language::En) => {
                "The file is not valid XML: it is not an SdI receipt.".into()
            }
            (SdiParseError::NotAnSdiMessage(root), Language::It) => {
                format!("Il file XML non è una ricevuta o notifica dello SdI (contiene {root}).")
            }
            (SdiParseError::NotAnSdiMessage(root), Language::Es) => format!(
                "El archivo XML no es un recibo ni una notificación del SdI (contiene {root})."
            ),
            (SdiParseError::NotAnSdiMessage(root), Language::En) => {
                format!("The XML file is not an SdI receipt or notice (it holds {root}).")
            }
            (SdiParseError::Missing(field), Language::It) => {
                format!("La ricevuta dello SdI è incompleta: manca {field}.")
            }
            (SdiParseError::Missing(field), Language::Es) => {
                format!("El recibo del SdI está incompleto: falta {field}.")
            }
            (SdiParseError::Missing(field), Language::En) => {
                format!("The SdI receipt is incomplete: it has no {field}.")
            }
            (SdiParseError::Invalid { field, value }, Language::It) => {
                format!("Nella ricevuta dello SdI {field} non è valido: {value}")
            }
            (SdiParseError::Invalid { field, value }, Language::Es) => {
                format!("En el recibo del SdI, {field} no es válido: {value}")
            }
            (SdiParseError::Invalid { field, value }, Language::En) => {
                format!("In the SdI receipt, {field} is not valid: {value}")
            }
            (SdiParseError::InvalidFileName(name), Language::It) => {
                format!("{name} non è il nome di un file dello SdI.")
            }
            (SdiParseError::InvalidFileName(name), Language::Es) => {
                format!("{name} no es el nombre de un archivo del SdI.")
            }
            (SdiParseError::InvalidFileName(name), Language::En) => {
                format!("{name} is not the name of an SdI file.")
            }
        }
    }
}

/// Reads one of SdI's messages. A signature (`ds:Signature`), a stylesheet
/// instruction and elements this does not use are allowed and ignored; a
/// DTD is refused, so no entity is ever expanded.
pub fn parse_receipt(bytes: &[u8]) -> Result<SdiReceipt, SdiParseError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(SdiParseError::TooLarge);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| SdiParseError::NotXml("not UTF-8".into()))?
        .trim_start_matches('\u{feff}');
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(text, options)
        .map_err(|error| SdiParseError::NotXml(error.to_string()))?;
    let root = document.root_element();
    let root_name = root.tag_name().name();
    let in_namespace = root
        .tag_name()
        .namespace()
        .is_some_and(|namespace| NAMESPACES.contains(&namespace));
    let kind = MessageKind::from_root(root_name)
        .filter(|_| in_namespace)
        .ok_or_else(|| SdiParseError::NotAnSdiMessage(root_name.chars().take(60).collect()))?;

    let sdi_id = required(root, "IdentificativoSdI")?;
    if !(1..=36).contains(&sdi_id.len()) || !sdi_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid("IdentificativoSdI", &sdi_id));
    }
    let invoice_file = InvoiceFileName::parse(&required(root, "NomeFile")?)?;
    let received_at = optional(root, "DataOraRicezione");
    if let Some(received_at) = &received_at {
        check_date_time("DataOraRicezione", received_at)?;
    }
    let message_id = optional(root, "MessageId");

    let outcome = match kind {
        MessageKind::Delivered => {
            let delivered_at = required(root, "DataOraConsegna")?;
            check_date_time("DataOraConsegna", &delivered_at)?;
            Outcome::Delivered { delivered_at }
        }
        MessageKind::NotDelivered => Outcome::NotDelivered {
            description: optional(root, "Descrizione"),
        },
        MessageKind::Rejected => Outcome::Rejected {
            errors: errors(root)?,
        },
        MessageKind::Outcome => {
            let answer = child(root, "EsitoCommittente")
                .ok_or(SdiParseError::Missing("EsitoCommittente"))?;
            let accepted = match required(answer, "Esito")?.as_str() {
                "EC01" => true,
                "EC02" => false,
                other => return Err(invalid("Esito", other)),
            };
            Outcome::PublicBody {
                accepted,
                description: optional(answer, "Descrizione"),
            }
        }
        MessageKind::TermsElapsed => Outcome::TermsElapsed,
        MessageKind::TransmissionAttested => Outcome::TransmissionAttested,
    };
    if received_at.is_none()
        && matches!(
            kind,
            MessageKind::Delivered
                | MessageKind::NotDelivered
                | MessageKind::Rejected
                | MessageKind::TransmissionAttested
        )
    {
        return Err(SdiParseError::Missing("DataOraRicezione"));
    }
    Ok(SdiReceipt {
        sdi_id,
        invoice_file,
        received_at,
        message_id,
        outcome,
    })
}

fn child<'a, 'input>(
    parent: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    parent
        .children()
        .find(|node| node.is_element() && node.tag_name().name() == name)
}

fn optional(parent: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    let text: String = child(parent, name)?
        .descendants()
        .filter(|node| node.is_text())
        .filter_map(|node| node.text())
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn required(parent: roxmltree::Node<'_, '_>, name: &'static str) -> Result<String, SdiParseError> {
    optional(parent, name).ok_or(SdiParseError::Missing(name))
}

fn invalid(field: &'static str, value: &str) -> SdiParseError {
    SdiParseError::Invalid {
        field,
        value: value.chars().take(100).collect(),
    }
}

/// `xs:dateTime` as SdI writes it: `2014-04-01T12:00:00`, maybe with
/// fractions of a second and a zone (`+02:00`, `Z`).
fn check_date_time(field: &'static str, value: &str) -> Result<(), SdiParseError> {
    let bytes = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    let shape = bytes.len() >= 19
        && digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && bytes[10] == b'T'
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19)
        && value[19..]
            .bytes()
            .all(|byte| byte.is_ascii_digit() || b".:+-Z".contains(&byte));
    if shape {
        Ok(())
    } else {
        Err(invalid(field, value))
    }
}

fn errors(root: roxmltree::Node<'_, '_>) -> Result<Vec<SdiError>, SdiParseError> {
    let list = child(root, "ListaErrori").ok_or(SdiParseError::Missing("ListaErrori"))?;
    let mut errors = Vec::new();
    for error in list
        .children()
        .filter(|node| node.is_element() && node.tag_name().name() == "Errore")
    {
        if errors.len() == MAX_ERRORS {
            return Err(invalid("ListaErrori", "more than 200 errors"));
        }
        let code = required(error, "Codice")?;
        if code.len() != 5 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(invalid("Codice", &code));
        }
        errors.push(SdiError {
            code,
            description: required(error, "Descrizione")?,
            suggestion: optional(error, "Suggerimento"),
        });
    }
    if errors.is_empty() {
        return Err(SdiParseError::Missing("Errore"));
    }
    Ok(errors)
}

/// What the merchant can do about a rejection's error, for the codes small
/// businesses meet most (SdI's checks, "Elenco dei controlli" of the
/// technical specifications); for the others SdI's own description and
/// suggestion say it.
pub fn what_to_do(code: &str, language: Language) -> Option<&'static str> {
    use Language::{En, Es, It};
    Some(match (code, language) {
        ("00404", It) => "Una fattura con lo stesso numero, anno e tipo è già stata accettata dallo SdI. Non reinviarla: se questa è un'altra fattura, emettila con un nuovo numero.",
        ("00404", Es) => "El SdI ya aceptó una factura con el mismo número, año y tipo. No la reenvíe: si es otra factura, emítala con un número nuevo.",
        ("00404", En) => "SdI already accepted an invoice with the same number, year and type. Do not send it again: if this is another invoice, issue it with a new number.",
        ("00400", It) => "Una riga con IVA allo 0 % non ha la Natura: indica perché l'IVA non si applica (N1…N7) e invia una nuova fattura.",
        ("00400", Es) => "Una línea con IVA al 0 % no tiene Natura: indique por qué no se aplica el IVA (N1…N7) y envíe una factura nueva.",
        ("00400", En) => "A line at 0 % VAT has no Natura: state why VAT does not apply (N1…N7) and send a new invoice.",
        ("00401", It) => "Una riga con IVA diversa da zero ha una Natura: toglila, la Natura è solo per le righe senza IVA, e invia una nuova fattura.",
        ("00401", Es) => "Una línea con IVA distinto de cero tiene Natura: quítela, la Natura es solo para líneas sin IVA, y envíe una factura nueva.",
        ("00401", En) => "A line with VAT above zero has a Natura: remove it, Natura is only for lines without VAT, and send a new invoice.",
        ("00403", It) => "La data della fattura è successiva al giorno in cui lo SdI l'ha ricevuta: emetti la fattura con la data di oggi o precedente.",
        ("00403", Es) => "La fecha de la factura es posterior al día en que el SdI la recibió: emita la factura con la fecha de hoy o anterior.",
        ("00403", En) => "The invoice is dated after the day SdI received it: issue it dated today or earlier.",
        ("00417", It) => "Il cliente non ha né Partita IVA né Codice Fiscale: aggiungine uno nella sua scheda e invia una nuova fattura.",
        ("00417", Es) => "El cliente no tiene ni Partita IVA ni Codice Fiscale: añada uno en su ficha y envíe una factura nueva.",
        ("00417", En) => "The customer has neither a Partita IVA nor a Codice Fiscale: add one to the customer and send a new invoice.",
        ("00418", It) => "La nota di credito ha una data precedente a quella della fattura che corregge: emettila con una data uguale o successiva.",
        ("00418", Es) => "La nota de crédito tiene una fecha anterior a la de la factura que corrige: emítala con una fecha igual o posterior.",
        ("00418", En) => "The credit note is dated before the invoice it corrects: issue it on or after that date.",
        ("00305", It) => "La Partita IVA del cliente non esiste nell'Anagrafe Tributaria: verificala con il cliente, correggila e invia una nuova fattura.",
        ("00305", Es) => "La Partita IVA del cliente no existe en el registro tributario italiano: verifíquela con el cliente, corríjala y envíe una factura nueva.",
        ("00305", En) => "The customer's Partita IVA does not exist in the tax register: check it with the customer, correct it and send a new invoice.",
        ("00311", It) => "Il Codice Destinatario del cliente non è registrato presso lo SdI: chiedi al cliente il codice giusto (o usa 0000000 con la sua PEC) e invia una nuova fattura.",
        ("00311", Es) => "El Codice Destinatario del cliente no está registrado en el SdI: pida al cliente el código correcto (o use 0000000 con su PEC) y envíe una factura nueva.",
        ("00311", En) => "The customer's Codice Destinatario is not registered with SdI: ask the customer for the right code (or use 0000000 with their PEC) and send a new invoice.",
        ("00423", It) => "Il totale di una riga non è quantità × prezzo: correggi la riga e invia una nuova fattura.",
        ("00423", Es) => "El total de una línea no es cantidad × precio: corrija la línea y envíe una factura nueva.",
        ("00423", En) => "A line's total is not quantity × price: correct the line and send a new invoice.",
        _ => return None,
    })
}

/// What the SdI channel did with an invoice, as its history tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SdiEvent {
    /// The file left by the store's PEC mailbox for SdI's address.
    Transmitted { file_name: String, reply: String },
    /// The PEC server would not take the file (after the outbox's retries,
    /// or refused for good): SdI never received it.
    TransmissionFailed { file_name: String, reply: String },
    /// One of SdI's messages about the file.
    Receipt(SdiReceipt),
}

impl SdiEvent {
    /// The stored kind of the entry (never rename one).
    pub fn kind(&self) -> &'static str {
        match self {
            SdiEvent::Transmitted { .. } => "sdi_transmitted",
            SdiEvent::TransmissionFailed { .. } => "sdi_transmission_failed",
            SdiEvent::Receipt(receipt) => match receipt.kind() {
                MessageKind::Delivered => "sdi_delivered",
                MessageKind::NotDelivered => "sdi_not_delivered",
                MessageKind::Rejected => "sdi_rejected",
                MessageKind::Outcome => "sdi_public_body_outcome",
                MessageKind::TermsElapsed => "sdi_terms_elapsed",
                MessageKind::TransmissionAttested => "sdi_transmission_attested",
            },
        }
    }

    pub const KINDS: [&'static str; 8] = [
        "sdi_transmitted",
        "sdi_transmission_failed",
        "sdi_delivered",
        "sdi_not_delivered",
        "sdi_rejected",
        "sdi_public_body_outcome",
        "sdi_terms_elapsed",
        "sdi_transmission_attested",
    ];

    /// Whether the customer's history shows the entry: the electronic
    /// invoice delivered, or waiting in their area on the Agenzia's site.
    /// A rejection or a failed transmission is the merchant's alone.
    pub fn customer_sees(&self) -> bool {
        matches!(
            self,
            SdiEvent::Receipt(SdiReceipt {
                outcome: Outcome::Delivered { .. } | Outcome::NotDelivered { .. },
                ..
            })
        )
    }

    /// The entry in the merchant's words: what happened and, for a
    /// rejection, each error with what to do.
    pub fn merchant_text(&self, language: Language) -> String {
        use Language::{En, Es, It};
        match (self, language) {
            (SdiEvent::Transmitted { file_name, .. }, It) => {
                format!("Fattura elettronica {file_name} inviata allo SdI via PEC")
            }
            (SdiEvent::Transmitted { file_name, .. }, Es) => {
                format!("Factura electrónica {file_name} enviada al SdI por PEC")
            }
            (SdiEvent::Transmitted { file_name, .. }, En) => {
                format!("Electronic invoice {file_name} sent to SdI by PEC")
            }
            (SdiEvent::TransmissionFailed { file_name, reply }, It) => format!(
                "Invio di {file_name} allo SdI non riuscito: {reply}. Controlla la casella PEC del negozio e invia di nuovo."
            ),
            (SdiEvent::TransmissionFailed { file_name, reply }, Es) => format!(
                "No se pudo enviar {file_name} al SdI: {reply}. Revise el buzón PEC de la tienda y envíela de nuevo."
            ),
            (SdiEvent::TransmissionFailed { file_name, reply }, En) => format!(
                "Sending {file_name} to SdI failed: {reply}. Check the store's PEC mailbox and send it again."
            ),
            (SdiEvent::Receipt(receipt), _) => receipt_text(receipt, language),
        }
    }
}

fn receipt_text(receipt: &SdiReceipt, language: Language) -> String {
    use Language::{En, Es, It};
    let id = &receipt.sdi_id;
    match (&receipt.outcome, language) {
        (Outcome::Delivered { delivered_at }, It) => {
            format!("Consegnata tramite SdI il {delivered_at} (identificativo SdI {id})")
        }
        (Outcome::Delivered { delivered_at }, Es) => {
            format!("Entregada a través del SdI el {delivered_at} (identificador SdI {id})")
        }
        (Outcome::Delivered { delivered_at }, En) => {
            format!("Delivered through SdI on {delivered_at} (SdI identifier {id})")
        }
        (Outcome::NotDelivered { .. }, It) => format!(
            "Non consegnata dallo SdI (identificativo {id}): la fattura è comunque emessa. Il cliente la trova nella sua area riservata \"Fatture e Corrispettivi\" sul sito dell'Agenzia delle Entrate; avvisalo e mandagli la copia di cortesia."
        ),
        (Outcome::NotDelivered { .. }, Es) => format!(
            "El SdI no pudo entregarla (identificador {id}): la factura está emitida de todos modos. El cliente la encuentra en su área reservada \"Fatture e Corrispettivi\" del sitio de la Agenzia delle Entrate; avísele y envíele la copia de cortesía."
        ),
        (Outcome::NotDelivered { .. }, En) => format!(
            "Not delivered by SdI (identifier {id}): the invoice is issued all the same. The customer finds it in their reserved area \"Fatture e Corrispettivi\" on the Agenzia delle Entrate's site; tell them and send them the courtesy copy."
        ),
        (Outcome::Rejected { errors }, _) => {
            let heading = match language {
                It => "Scartata dallo SdI: la fattura non è emessa.",
                Es => "Rechazada por el SdI: la factura no está emitida.",
                En => "Rejected by SdI: the invoice is not issued.",
            };
            let lines: Vec<String> = errors
                .iter()
                .map(|error| {
                    let advice = what_to_do(&error.code, language)
                        .map(str::to_owned)
                        .or_else(|| error.suggestion.clone());
                    match advice {
                        Some(advice) => {
                            format!("{} {} — {advice}", error.code, error.description)
                        }
                        None => format!("{} {}", error.code, error.description),
                    }
                })
                .collect();
            format!("{heading} {}", lines.join("; "))
        }
        (Outcome::PublicBody { accepted: true, .. }, It) => {
            "Accettata dalla pubblica amministrazione (esito EC01)".into()
        }
        (Outcome::PublicBody { accepted: true, .. }, Es) => {
            "Aceptada por la administración pública (resultado EC01)".into()
        }
        (Outcome::PublicBody { accepted: true, .. }, En) => {
            "Accepted by the public body (outcome EC01)".into()
        }
        (Outcome::PublicBody { accepted: false, description }, _) => {
            let refused = match language {
                It => "Rifiutata dalla pubblica amministrazione (esito EC02)",
                Es => "Rechazada por la administración pública (resultado EC02)",
                En => "Refused by the public body (outcome EC02)",
            };
            match description {
                Some(description) => format!("{refused}: {description}"),
                None => refused.to_owned(),
            }
        }
        (Outcome::TermsElapsed, It) => {
            "Decorsi i termini: la pubblica amministrazione non ha risposto entro 15 giorni".into()
        }
        (Outcome::TermsElapsed, Es) => {
            "Plazo vencido: la administración pública no respondió en 15 días".into()
        }
        (Outcome::TermsElapsed, En) => {
            "Terms elapsed: the public body did not answer within 15 days".into()
        }
        (Outcome::TransmissionAttested, It) => format!(
            "Trasmessa, ma non recapitabile alla pubblica amministrazione: lo SdI ne attesta l'invio (identificativo {id})"
        ),
        (Outcome::TransmissionAttested, Es) => format!(
            "Transmitida, pero no entregable a la administración pública: el SdI certifica el envío (identificador {id})"
        ),
        (Outcome::TransmissionAttested, En) => format!(
            "Transmitted, but the public body could not be reached: SdI attests the transmission (identifier {id})"
        ),
    }
}

/// Whether SdI's last word on an invoice is a rejection: of its
/// transmissions and SdI's messages about them, in the order they happened,
/// the latest is a notifica di scarto. A later message (a delivery of the
/// file sent again) or the file sent again ends it; a transmission the PEC
/// server refused does not, since SdI never received it and its rejection
/// still stands.
pub fn rejected_last<'a>(events: impl IntoIterator<Item = &'a SdiEvent>) -> bool {
    events
        .into_iter()
        .filter(|event| !matches!(event, SdiEvent::TransmissionFailed { .. }))
        .last()
        .is_some_and(|event| {
            matches!(
                event,
                SdiEvent::Receipt(SdiReceipt {
                    outcome: Outcome::Rejected { .. },
                    ..
                })
            )
        })
}

/// The customer's line for an entry they see ([`SdiEvent::customer_sees`]).
pub fn customer_text(delivered: bool, language: Language) -> &'static str {
    match (delivered, language) {
        (true, Language::It) => "Fattura elettronica consegnata tramite SdI",
        (true, Language::Es) => "Factura electrónica entregada a través del SdI",
        (true, Language::En) => "Electronic invoice delivered through SdI",
        (false, Language::It) => "Fattura elettronica disponibile nella tua area riservata sul sito dell'Agenzia delle Entrate",
        (false, Language::Es) => "Factura electrónica disponible en su área reservada del sitio de la Agenzia delle Entrate",
        (false, Language::En) => "Electronic invoice available in your reserved area on the Agenzia delle Entrate's site",
    }
}

/// SdI's own example messages (`invoice/sdi/examples/`, as the Agenzia
/// publishes them: every one about `IT01234567890_11111.xml.p7m`, SdI's
/// identifier `111`), and the same messages told about another file, for
/// tests here and in the server. Only the invoice's name, SdI's identifier
/// and what a test varies (a rejection's errors, a public body's outcome)
/// change; everything else, the signature included, is the official file's,
/// so a sample is valid for the official schema whenever its values are
/// (SdI's identifier is up to 12 digits there). The signature no longer
/// matches a changed message; nothing here verifies it.
pub mod samples {
    pub const DELIVERED: &str = include_str!("../sdi/examples/IT01234567890_11111_RC_001.xml");
    pub const NOT_DELIVERED: &str = include_str!("../sdi/examples/IT01234567890_11111_MC_001.xml");
    pub const REJECTED: &str = include_str!("../sdi/examples/IT01234567890_11111_NS_001.xml");
    pub const PUBLIC_BODY_OUTCOME: &str =
        include_str!("../sdi/examples/IT01234567890_11111_NE_001.xml");
    pub const TERMS_ELAPSED: &str = include_str!("../sdi/examples/IT01234567890_11111_DT_001.xml");
    pub const TRANSMISSION_ATTESTED: &str =
        include_str!("../sdi/examples/IT01234567890_11111_AT_001.xml");

    /// What every official example is about.
    pub const EXAMPLE_FILE: &str = "IT01234567890_11111.xml.p7m";
    pub const EXAMPLE_SDI_ID: &str = "111";

    /// The official example told about `file` and `sdi_id`. The examples
    /// end their lines with CR LF, as SdI's files do.
    fn about(example: &str, file: &str, sdi_id: &str) -> String {
        example
            .replace(
                &format!("<IdentificativoSdI>{EXAMPLE_SDI_ID}</IdentificativoSdI>"),
                &format!("<IdentificativoSdI>{}</IdentificativoSdI>", escape(sdi_id)),
            )
            .replace(
                &format!("<NomeFile>{EXAMPLE_FILE}</NomeFile>"),
                &format!("<NomeFile>{}</NomeFile>", escape(file)),
            )
    }

    fn escape(text: &str) -> String {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }

    /// RC, ricevuta di consegna.
    pub fn delivered(file: &str, sdi_id: &str) -> String {
        about(DELIVERED, file, sdi_id)
    }

    /// MC, notifica di mancata consegna.
    pub fn not_delivered(file: &str, sdi_id: &str) -> String {
        about(NOT_DELIVERED, file, sdi_id)
    }

    /// NS, notifica di scarto, with SdI's errors `(code, description)` in
    /// place of the example's one (00100, "Certificato di firma scaduto").
    pub fn rejected(file: &str, sdi_id: &str, errors: &[(&str, &str)]) -> String {
        let example = about(REJECTED, file, sdi_id);
        let (before, rest) = example
            .split_once("<ListaErrori>")
            .expect("the official NS example has a ListaErrori");
        let (_, after) = rest
            .split_once("</ListaErrori>")
            .expect("the official NS example closes its ListaErrori");
        let errors: String = errors
            .iter()
            .map(|(code, description)| {
                format!(
                    "\r\n    <Errore>\r\n      <Codice>{}</Codice>\r\n      <Descrizione>{}</Descrizione>\r\n    </Errore>",
                    escape(code),
                    escape(description)
                )
            })
            .collect();
        format!("{before}<ListaErrori>{errors}\r\n  </ListaErrori>{after}")
    }

    /// NS as the Agenzia's schema for invoices between private parties
    /// (`MessaggiFatturaTypes_v1.0.xsd`) names it, `RicevutaScarto`, with
    /// the file's hash and a suggestion for each error. No official example
    /// of it is kept (see `invoice/sdi/SOURCES.md`); this one is written
    /// from that schema's elements.
    pub fn rejected_between_private_parties(file: &str, sdi_id: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ns3:RicevutaScarto xmlns:ns3=\"http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fattura/messaggi/v1.0\" xmlns:ns2=\"http://www.w3.org/2000/09/xmldsig#\" versione=\"1.0\">\n    <IdentificativoSdI>{}</IdentificativoSdI>\n    <NomeFile>{}</NomeFile>\n    <Hash>2c1f3a240a056d9537a8608fed310812ef7b1b7a410d0152f5c9c9e93486ae44</Hash>\n    <DataOraRicezione>2024-03-01T10:15:30.000+01:00</DataOraRicezione>\n    <ListaErrori>\n        <Errore>\n            <Codice>00311</Codice>\n            <Descrizione>1.1.4 &lt;CodiceDestinatario&gt; non valido</Descrizione>\n            <Suggerimento>Verificare il codice destinatario</Suggerimento>\n        </Errore>\n    </ListaErrori>\n    <MessageId>123459</MessageId>\n</ns3:RicevutaScarto>\n",
            escape(sdi_id),
            escape(file)
        )
    }

    /// NE, notifica esito: `EC01` accepted, `EC02` refused, in place of the
    /// example's `EC01`.
    pub fn public_body_outcome(file: &str, sdi_id: &str, esito: &str) -> String {
        about(PUBLIC_BODY_OUTCOME, file, sdi_id).replace(
            "<Esito>EC01</Esito>",
            &format!("<Esito>{}</Esito>", escape(esito)),
        )
    }

    /// DT, notifica di decorrenza termini.
    pub fn terms_elapsed(file: &str, sdi_id: &str) -> String {
        about(TERMS_ELAPSED, file, sdi_id)
    }

    /// AT, attestazione di avvenuta trasmissione con impossibilità di recapito.
    pub fn transmission_attested(file: &str, sdi_id: &str) -> String {
        about(TRANSMISSION_ATTESTED, file, sdi_id)
    }

    /// The message's own file name: `IT01234567890_11111_RC_001.xml`.
    pub fn message_file_name(invoice_file: &str, code: &str, progressive: &str) -> String {
        let base = invoice_file
            .trim_end_matches(".p7m")
            .trim_end_matches(".xml");
        format!("{base}_{code}_{progressive}.xml")
    }
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;

    const FILE: &str = "IT01234567890_11111.xml.p7m";

    fn parse(xml: &str) -> Result<SdiReceipt, SdiParseError> {
        parse_receipt(xml.as_bytes())
    }

    #[test]
    fn a_delivery_receipt_reads_as_delivered_with_its_identifier_and_file() {
        let receipt = parse(&delivered(FILE, "111")).expect("RC");
        assert_eq!(receipt.sdi_id, "111");
        assert_eq!(receipt.invoice_file.base(), "IT01234567890_11111");
        assert!(receipt.invoice_file.signed());
        assert_eq!(receipt.received_at.as_deref(), Some("2013-06-06T12:00:00Z"));
        assert_eq!(receipt.message_id.as_deref(), Some("123456"));
        assert_eq!(
            receipt.outcome,
            Outcome::Delivered {
                delivered_at: "2013-06-06T12:01:00Z".into()
            }
        );
    }

    #[test]
    fn every_message_reads_as_its_kind() {
        let cases = [
            (delivered(FILE, "1"), MessageKind::Delivered),
            (not_delivered(FILE, "1"), MessageKind::NotDelivered),
            (
                rejected(FILE, "1", &[("00404", "Fattura duplicata")]),
                MessageKind::Rejected,
            ),
            (
                rejected_between_private_parties(FILE, "1"),
                MessageKind::Rejected,
            ),
            (public_body_outcome(FILE, "1", "EC01"), MessageKind::Outcome),
            (terms_elapsed(FILE, "1"), MessageKind::TermsElapsed),
            (
                transmission_attested(FILE, "1"),
                MessageKind::TransmissionAttested,
            ),
        ];
        for (xml, kind) in cases {
            assert_eq!(parse(&xml).expect("a message").kind(), kind, "{xml}");
        }
    }

    #[test]
    fn a_rejection_keeps_every_error_with_its_code_description_and_suggestion() {
        let receipt = parse(&rejected(
            FILE,
            "222",
            &[
                ("00404", "Fattura duplicata"),
                ("00423", "2.2.1.11 PrezzoTotale non calcolato correttamente"),
            ],
        ))
        .expect("NS");
        let Outcome::Rejected { errors } = receipt.outcome else {
            panic!("not a rejection");
        };
        assert_eq!(
            errors,
            vec![
                SdiError {
                    code: "00404".into(),
                    description: "Fattura duplicata".into(),
                    suggestion: None
                },
                SdiError {
                    code: "00423".into(),
                    description: "2.2.1.11 PrezzoTotale non calcolato correttamente".into(),
                    suggestion: None
                },
            ]
        );
        let private = parse(&rejected_between_private_parties(FILE, "223")).expect("NS");
        assert_eq!(
            private.outcome,
            Outcome::Rejected {
                errors: vec![SdiError {
                    code: "00311".into(),
                    description: "1.1.4 <CodiceDestinatario> non valido".into(),
                    suggestion: Some("Verificare il codice destinatario".into()),
                }]
            }
        );
    }

    #[test]
    fn a_public_bodys_outcome_is_accepted_for_ec01_and_refused_for_ec02() {
        let accepted = parse(&public_body_outcome(FILE, "3", "EC01")).expect("NE");
        assert!(matches!(
            accepted.outcome,
            Outcome::PublicBody { accepted: true, .. }
        ));
        let refused = parse(&public_body_outcome(FILE, "3", "EC02")).expect("NE");
        assert_eq!(
            refused.outcome,
            Outcome::PublicBody {
                accepted: false,
                description: Some("Notifica di esempio".into())
            }
        );
        assert_eq!(
            parse(&public_body_outcome(FILE, "3", "EC03")),
            Err(SdiParseError::Invalid {
                field: "Esito",
                value: "EC03".into()
            })
        );
    }

    #[test]
    fn garbage_is_refused_with_its_reason() {
        assert!(matches!(
            parse("not xml at all"),
            Err(SdiParseError::NotXml(_))
        ));
        assert_eq!(
            parse("<FatturaElettronica/>"),
            Err(SdiParseError::NotAnSdiMessage("FatturaElettronica".into()))
        );
        // The right root name outside SdI's namespaces is not SdI's.
        assert_eq!(
            parse("<RicevutaConsegna><IdentificativoSdI>1</IdentificativoSdI></RicevutaConsegna>"),
            Err(SdiParseError::NotAnSdiMessage("RicevutaConsegna".into()))
        );
        let without_file =
            delivered(FILE, "1").replace("<NomeFile>IT01234567890_11111.xml.p7m</NomeFile>", "");
        assert_eq!(
            parse(&without_file),
            Err(SdiParseError::Missing("NomeFile"))
        );
        let bad_name = delivered("invoice.pdf", "1");
        assert_eq!(
            parse(&bad_name),
            Err(SdiParseError::InvalidFileName("invoice.pdf".into()))
        );
        let bad_id = delivered(FILE, "1; DROP");
        assert!(matches!(
            parse(&bad_id),
            Err(SdiParseError::Invalid {
                field: "IdentificativoSdI",
                ..
            })
        ));
        let no_errors = rejected(FILE, "1", &[]);
        assert_eq!(parse(&no_errors), Err(SdiParseError::Missing("Errore")));
        let bad_code = rejected(FILE, "1", &[("404", "Fattura duplicata")]);
        assert!(matches!(
            parse(&bad_code),
            Err(SdiParseError::Invalid {
                field: "Codice",
                ..
            })
        ));
        let bad_date = delivered(FILE, "1").replace(
            "<DataOraConsegna>2013-06-06T12:01:00Z",
            "<DataOraConsegna>yesterday",
        );
        assert!(matches!(
            parse(&bad_date),
            Err(SdiParseError::Invalid {
                field: "DataOraConsegna",
                ..
            })
        ));
        assert_eq!(
            parse_receipt(&vec![b' '; MAX_MESSAGE_BYTES + 1]),
            Err(SdiParseError::TooLarge)
        );
    }

    #[test]
    fn a_dtd_is_refused_so_no_entity_is_ever_expanded() {
        let xml = format!(
            "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{}",
            delivered(FILE, "1").replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "")
        );
        assert!(matches!(parse(&xml), Err(SdiParseError::NotXml(_))));
    }

    #[test]
    fn invoice_file_names_follow_sdis_rule() {
        let signed = InvoiceFileName::parse("IT01234567890_11111.xml.p7m").expect("signed");
        let plain = InvoiceFileName::parse("IT01234567890_11111.xml").expect("plain");
        assert_eq!(signed.base(), plain.base());
        assert_eq!(plain.transmitter(), "IT01234567890");
        assert_eq!(plain.progressive(), "11111");
        assert_eq!(signed.to_string(), "IT01234567890_11111.xml.p7m");
        assert!(InvoiceFileName::parse("IT01234567890_A1.xml").is_ok());
        for bad in [
            "IT01234567890_111111.xml",
            "IT01234567890.xml",
            "it01234567890_11111.xml",
            "IT01234567890_11111.pdf",
            "IT01234567890_1-111.xml",
            "IT_11111.xml",
            "",
        ] {
            assert!(InvoiceFileName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn message_file_names_name_the_invoice_the_kind_and_a_progressive() {
        let name = MessageFileName::parse("IT01234567890_11111_RC_001.xml").expect("RC");
        assert_eq!(
            name,
            MessageFileName {
                invoice_base: "IT01234567890_11111".into(),
                kind: MessageKind::Delivered,
                progressive: "001".into()
            }
        );
        assert_eq!(
            MessageFileName::parse("IT01234567890_11111_NS_A01.xml")
                .expect("NS")
                .kind,
            MessageKind::Rejected
        );
        assert_eq!(
            message_file_name(FILE, "MC", "002"),
            "IT01234567890_11111_MC_002.xml"
        );
        for bad in [
            "IT01234567890_11111.xml",
            "IT01234567890_11111_XX_001.xml",
            "IT01234567890_11111_RC_1.xml",
            "IT01234567890_11111_RC_001.p7m",
            "_RC_001.xml",
        ] {
            assert!(MessageFileName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_receipt_is_identified_by_sdis_file_its_kind_and_message() {
        let first = parse(&delivered(FILE, "77")).expect("RC");
        let again = parse(&delivered(FILE, "77")).expect("RC");
        let other = parse(&not_delivered(FILE, "77")).expect("MC");
        assert_eq!(first.identity(), again.identity());
        assert_ne!(first.identity(), other.identity());
    }

    #[test]
    fn common_rejections_say_what_to_do_in_every_language() {
        for code in [
            "00404", "00400", "00401", "00403", "00417", "00418", "00305", "00311", "00423",
        ] {
            for language in Language::ALL {
                assert!(what_to_do(code, language).is_some(), "{code} {language:?}");
            }
        }
        assert_eq!(what_to_do("00200", Language::En), None);
    }

    #[test]
    fn a_rejection_reads_with_its_codes_and_advice_or_sdis_own_words() {
        let receipt = parse(&rejected(
            FILE,
            "9",
            &[
                ("00404", "Fattura duplicata"),
                ("00200", "File non conforme al formato"),
            ],
        ))
        .expect("NS");
        let text = SdiEvent::Receipt(receipt).merchant_text(Language::En);
        assert!(text.starts_with("Rejected by SdI: the invoice is not issued. 00404 Fattura duplicata — SdI already accepted"), "{text}");
        assert!(
            text.ends_with("; 00200 File non conforme al formato"),
            "{text}"
        );
        let private = parse(&rejected_between_private_parties(FILE, "9")).expect("NS");
        let text = SdiEvent::Receipt(private).merchant_text(Language::It);
        assert!(
            text.contains("00311 1.1.4 <CodiceDestinatario> non valido — Il Codice Destinatario"),
            "{text}"
        );
    }

    #[test]
    fn the_customer_sees_a_delivery_and_a_failed_delivery_never_a_rejection() {
        let seen = |xml: String| SdiEvent::Receipt(parse(&xml).expect("message")).customer_sees();
        assert!(seen(delivered(FILE, "1")));
        assert!(seen(not_delivered(FILE, "1")));
        assert!(!seen(rejected(
            FILE,
            "1",
            &[("00404", "Fattura duplicata")]
        )));
        assert!(!seen(terms_elapsed(FILE, "1")));
        assert!(!SdiEvent::Transmitted {
            file_name: FILE.into(),
            reply: "250 OK".into()
        }
        .customer_sees());
        assert_eq!(
            customer_text(true, Language::En),
            "Electronic invoice delivered through SdI"
        );
    }

    #[test]
    fn a_rejection_stands_until_the_file_is_sent_again_or_sdi_says_something_later() {
        let receipt = |xml: String| SdiEvent::Receipt(parse(&xml).expect("message"));
        let sent = |file: &str| SdiEvent::Transmitted {
            file_name: file.into(),
            reply: "250 OK".into(),
        };
        let refused = SdiEvent::TransmissionFailed {
            file_name: "IT01234567890_11112.xml".into(),
            reply: "554 refused".into(),
        };
        let rejection = receipt(rejected(FILE, "1", &[("00404", "Fattura duplicata")]));
        assert!(!rejected_last(&[]));
        assert!(!rejected_last(&[sent(FILE)]));
        assert!(rejected_last(&[sent(FILE), rejection.clone()]));
        assert!(
            rejected_last(&[sent(FILE), rejection.clone(), refused.clone()]),
            "a file SdI never received changes nothing"
        );
        assert!(!rejected_last(&[
            sent(FILE),
            rejection.clone(),
            sent("IT01234567890_11112.xml")
        ]));
        assert!(!rejected_last(&[
            sent(FILE),
            rejection.clone(),
            sent("IT01234567890_11112.xml"),
            receipt(delivered("IT01234567890_11112.xml", "2")),
        ]));
        assert!(!rejected_last(&[sent(FILE), receipt(delivered(FILE, "1"))]));
    }

    #[test]
    fn a_failed_delivery_tells_the_merchant_the_invoice_is_issued_and_where_the_customer_finds_it()
    {
        let receipt = parse(&not_delivered(FILE, "5")).expect("MC");
        let text = SdiEvent::Receipt(receipt).merchant_text(Language::En);
        assert!(
            text.contains("the invoice is issued all the same"),
            "{text}"
        );
        assert!(text.contains("Agenzia delle Entrate"), "{text}");
    }
}
