//! The AEAT's answer to a `RegFactuSistemaFacturacion` request: either a
//! `RespuestaRegFactuSistemaFacturacion` (`RespuestaSuministro.xsd`) in a
//! SOAP envelope, or a SOAP Fault when the whole message was refused
//! (SWeb §3: «Si el mensaje no supera alguna de las validaciones a nivel de
//! formato XML, se devolverá un mensaje de tipo «SoapFault»»).
//!
//! The bytes come from the network: reading them is bounded in size and
//! never panics; anything unexpected is an [`AnswerError`].

use roxmltree::{Document, Node};

use super::{InvoiceId, RESPONSE_NAMESPACE, SOAP_NAMESPACE};
use crate::Language;

/// The largest answer read: 1,000 lines with 1,500-character descriptions
/// and a duplicate block each stay well under it.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;
/// SOAP 1.2's envelope, accepted for a fault from a proxy in between.
const SOAP12_NAMESPACE: &str = "http://www.w3.org/2003/05/soap-envelope";
/// Longest text kept from any one element of the answer.
const MAX_TEXT_CHARS: usize = 2000;

/// What the AEAT answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmissionAnswer {
    /// The request was read; each record has its verdict.
    Response(Response),
    /// The whole request was refused (schema, header, certificate).
    Fault(Fault),
}

/// A SOAP Fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: String,
    pub message: String,
    /// The AEAT's error code found in the message (4102…4141, 3500…), when
    /// there is one.
    pub aeat_code: Option<u32>,
}

/// `EstadoEnvio` (list L18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionState {
    Correcto,
    ParcialmenteCorrecto,
    Incorrecto,
}

/// `EstadoRegistro` (list L19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordState {
    /// Registered.
    Correcto,
    /// Registered, with errors to correct later (codes 2000…).
    AceptadoConErrores,
    /// Refused: not registered.
    Incorrecto,
}

/// `Operacion/TipoOperacion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Alta,
    Anulacion,
}

/// `EstadoRegistroDuplicado` (list L21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateState {
    Correcta,
    AceptadaConErrores,
    Anulada,
}

/// `RegistroDuplicado`: the record the AEAT already has for that invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub request_id: String,
    pub state: DuplicateState,
    pub error_code: Option<u32>,
    pub error_description: Option<String>,
}

/// One `RespuestaLinea`: the verdict on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerLine {
    pub invoice: InvoiceId,
    pub operation: Operation,
    pub state: RecordState,
    pub error_code: Option<u32>,
    pub error_description: Option<String>,
    pub duplicate: Option<Duplicate>,
}

/// AEAT 3000: «Registro de facturación duplicado.»
pub const DUPLICATE_RECORD: u32 = 3000;
/// AEAT 3001: «El registro de facturación ya ha sido dado de baja.»
pub const ALREADY_CANCELLED: u32 = 3001;

impl AnswerLine {
    /// Whether the AEAT has this record: registered now (with or without
    /// errors), or already registered by an earlier sending of the same
    /// record — an alta answered 3000 (duplicate) or an anulación answered
    /// 3001 (already cancelled). Sending again after a lost answer is how
    /// those arise, so the caller treats them as delivered.
    pub fn is_delivered(&self) -> bool {
        match self.state {
            RecordState::Correcto | RecordState::AceptadoConErrores => true,
            RecordState::Incorrecto => matches!(
                (self.operation, self.error_code),
                (Operation::Alta, Some(DUPLICATE_RECORD))
                    | (Operation::Anulacion, Some(ALREADY_CANCELLED))
            ),
        }
    }

    /// Whether this answer says the record was already there.
    pub fn is_duplicate(&self) -> bool {
        self.state == RecordState::Incorrecto && self.is_delivered()
    }

    /// What the merchant is told about an error on this record: Invio's
    /// advice for the common codes, else the AEAT's own description.
    pub fn guidance(&self, language: Language) -> Option<String> {
        let code = self.error_code?;
        Some(match what_to_fix(code, language) {
            Some(advice) => advice.to_owned(),
            None => format!(
                "AEAT {code}: {}",
                self.error_description.as_deref().unwrap_or_default()
            ),
        })
    }
}

/// A `RespuestaRegFactuSistemaFacturacion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The CSV the AEAT gives an accepted sending; it can never be asked
    /// for again, so it is kept.
    pub csv: Option<String>,
    /// `TiempoEsperaEnvio`: seconds to wait before the next sending.
    pub wait_seconds: u32,
    pub state: SubmissionState,
    pub lines: Vec<AnswerLine>,
}

/// Why an answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    #[error("the answer is not XML: {0}")]
    NotXml(String),
    #[error("the answer is not a SOAP envelope with a body")]
    NotSoap,
    #[error("the answer's body holds neither RespuestaRegFactuSistemaFacturacion nor a Fault")]
    UnknownBody,
    /// A required element is missing or holds a value the schema does not allow.
    #[error("the answer's {0} is missing or not valid")]
    Invalid(&'static str),
}

/// Reads the AEAT's answer.
pub fn parse_response(xml: &str) -> Result<SubmissionAnswer, AnswerError> {
    if xml.len() > MAX_ANSWER_BYTES {
        return Err(AnswerError::TooLarge);
    }
    let document = Document::parse(xml).map_err(|error| AnswerError::NotXml(error.to_string()))?;
    let envelope = document.root_element();
    let soap = envelope.tag_name().namespace();
    if envelope.tag_name().name() != "Envelope"
        || !matches!(soap, Some(SOAP_NAMESPACE) | Some(SOAP12_NAMESPACE))
    {
        return Err(AnswerError::NotSoap);
    }
    let body = envelope
        .children()
        .find(|node| node.is_element() && node.tag_name().name() == "Body")
        .ok_or(AnswerError::NotSoap)?;
    let content = body
        .children()
        .find(Node::is_element)
        .ok_or(AnswerError::UnknownBody)?;
    match (content.tag_name().namespace(), content.tag_name().name()) {
        (namespace, "Fault") if namespace == soap => Ok(SubmissionAnswer::Fault(fault(content))),
        (Some(RESPONSE_NAMESPACE), "RespuestaRegFactuSistemaFacturacion") => {
            response(content).map(SubmissionAnswer::Response)
        }
        _ => Err(AnswerError::UnknownBody),
    }
}

/// The first child element called `name`, whatever its namespace (the
/// schemas split the answer over three).
fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children()
        .find(|child| child.is_element() && child.tag_name().name() == name)
}

/// The trimmed text of a child element, bounded.
fn text(node: Node<'_, '_>, name: &str) -> Option<String> {
    let node = child(node, name)?;
    let text: String = node
        .text()
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_TEXT_CHARS)
        .collect();
    Some(text)
}

fn required(node: Node<'_, '_>, name: &'static str) -> Result<String, AnswerError> {
    text(node, name).ok_or(AnswerError::Invalid(name))
}

/// An `ErrorDetalleType` (xs:integer): absent is `None`, anything but a
/// small number is refused.
fn code(node: Node<'_, '_>, name: &'static str) -> Result<Option<u32>, AnswerError> {
    text(node, name)
        .map(|text| text.parse().map_err(|_| AnswerError::Invalid(name)))
        .transpose()
}

/// The SOAP 1.1 fault's `faultcode`/`faultstring`, or SOAP 1.2's
/// `Code/Value` and `Reason/Text`.
fn fault(node: Node<'_, '_>) -> Fault {
    let code = text(node, "faultcode")
        .or_else(|| child(node, "Code").and_then(|code| text(code, "Value")))
        .unwrap_or_default();
    let message = text(node, "faultstring")
        .or_else(|| child(node, "Reason").and_then(|reason| text(reason, "Text")))
        .unwrap_or_default();
    let aeat_code = first_code(&message).or_else(|| first_code(&code));
    Fault {
        code,
        message,
        aeat_code,
    }
}

/// The first run of exactly four digits, not starting with 0, in `text`:
/// how the AEAT's codes (1000…4999) appear in a fault's message
/// ("Codigo[4102].El XML no cumple…").
fn first_code(text: &str) -> Option<u32> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 4 && !run.starts_with('0'))
        .and_then(|run| run.parse().ok())
}

fn response(node: Node<'_, '_>) -> Result<Response, AnswerError> {
    let wait = required(node, "TiempoEsperaEnvio")?;
    // Tipo6Type: `\d{0,4}`; empty means no wait asked.
    if wait.len() > 4 || !wait.chars().all(|c| c.is_ascii_digit()) {
        return Err(AnswerError::Invalid("TiempoEsperaEnvio"));
    }
    let wait_seconds = if wait.is_empty() {
        0
    } else {
        wait.parse()
            .map_err(|_| AnswerError::Invalid("TiempoEsperaEnvio"))?
    };
    let state = match required(node, "EstadoEnvio")?.as_str() {
        "Correcto" => SubmissionState::Correcto,
        "ParcialmenteCorrecto" => SubmissionState::ParcialmenteCorrecto,
        "Incorrecto" => SubmissionState::Incorrecto,
        _ => return Err(AnswerError::Invalid("EstadoEnvio")),
    };
    let lines = node
        .children()
        .filter(|child| child.is_element() && child.tag_name().name() == "RespuestaLinea")
        .take(super::MAX_RECORDS_PER_REQUEST + 1)
        .map(line)
        .collect::<Result<Vec<_>, _>>()?;
    if lines.len() > super::MAX_RECORDS_PER_REQUEST {
        return Err(AnswerError::Invalid("RespuestaLinea"));
    }
    Ok(Response {
        csv: text(node, "CSV").filter(|csv| !csv.is_empty()),
        wait_seconds,
        state,
        lines,
    })
}

fn line(node: Node<'_, '_>) -> Result<AnswerLine, AnswerError> {
    let id = child(node, "IDFactura").ok_or(AnswerError::Invalid("IDFactura"))?;
    let invoice = InvoiceId {
        issuer_nif: required(id, "IDEmisorFactura")?,
        number: required(id, "NumSerieFactura")?,
        issue_date: required(id, "FechaExpedicionFactura")?,
    };
    let operation = child(node, "Operacion").ok_or(AnswerError::Invalid("Operacion"))?;
    let operation = match required(operation, "TipoOperacion")?.as_str() {
        "Alta" => Operation::Alta,
        "Anulacion" => Operation::Anulacion,
        _ => return Err(AnswerError::Invalid("TipoOperacion")),
    };
    let state = match required(node, "EstadoRegistro")?.as_str() {
        "Correcto" => RecordState::Correcto,
        "AceptadoConErrores" => RecordState::AceptadoConErrores,
        "Incorrecto" => RecordState::Incorrecto,
        _ => return Err(AnswerError::Invalid("EstadoRegistro")),
    };
    let duplicate = child(node, "RegistroDuplicado")
        .map(|duplicate| -> Result<Duplicate, AnswerError> {
            Ok(Duplicate {
                request_id: required(duplicate, "IdPeticionRegistroDuplicado")?,
                state: match required(duplicate, "EstadoRegistroDuplicado")?.as_str() {
                    "Correcta" => DuplicateState::Correcta,
                    "AceptadaConErrores" => DuplicateState::AceptadaConErrores,
                    "Anulada" => DuplicateState::Anulada,
                    _ => return Err(AnswerError::Invalid("EstadoRegistroDuplicado")),
                },
                error_code: code(duplicate, "CodigoErrorRegistro")?,
                error_description: text(duplicate, "DescripcionErrorRegistro"),
            })
        })
        .transpose()?;
    Ok(AnswerLine {
        invoice,
        operation,
        state,
        error_code: code(node, "CodigoErrorRegistro")?,
        error_description: text(node, "DescripcionErrorRegistro"),
        duplicate,
    })
}

/// What the merchant should do about the AEAT's common rejection codes
/// (`xsd/errores.properties`), in their language; `None` for a code
/// without advice, where the AEAT's own description is shown instead.
pub fn what_to_fix(code: u32, language: Language) -> Option<&'static str> {
    use Language::{En, Es, It};
    Some(match (code, language) {
        // «El NIF no está identificado en el censo de la AEAT.»
        (4107 | 1109 | 1110 | 4104 | 1217, It) => "L'AEAT non trova il NIF del negozio nel suo censimento: controlla il NIF e la ragione sociale nelle impostazioni del negozio, esattamente come li ha registrati l'AEAT.",
        (4107 | 1109 | 1110 | 4104 | 1217, Es) => "La AEAT no encuentra el NIF de la tienda en su censo: comprueba el NIF y la razón social en los ajustes de la tienda, tal como constan en la AEAT.",
        (4107 | 1109 | 1110 | 4104 | 1217, En) => "The AEAT cannot find the store's NIF in its census: check the NIF and legal name in the store's settings, exactly as the AEAT has them.",
        // «El formato del NIF es incorrecto.»
        (4109 | 4115 | 4116 | 1123, It) => "Il NIF del negozio non ha un formato valido: correggilo nelle impostazioni del negozio.",
        (4109 | 4115 | 4116 | 1123, Es) => "El NIF de la tienda no tiene un formato válido: corrígelo en los ajustes de la tienda.",
        (4109 | 4115 | 4116 | 1123, En) => "The store's NIF is not in a valid format: correct it in the store's settings.",
        // The recipient's NIF or id is unknown to the AEAT.
        (1121 | 2001 | 1193 | 1290, It) => "L'AEAT non riconosce il NIF del cliente: controllalo nella scheda del cliente (o usa il documento estero se non ha un NIF spagnolo).",
        (1121 | 2001 | 1193 | 1290, Es) => "La AEAT no reconoce el NIF del cliente: compruébalo en su ficha (o usa un documento extranjero si no tiene NIF español).",
        (1121 | 2001 | 1193 | 1290, En) => "The AEAT does not recognise the customer's NIF: check it on the customer's record (or use a foreign id if they have no Spanish NIF).",
        // The foreign id's country or kind.
        (1101 | 1102 | 1103 | 1111 | 1122 | 1126 | 1191 | 1192, It) => "Il documento estero del cliente non va bene per l'AEAT: controlla paese, tipo e numero nella scheda del cliente.",
        (1101 | 1102 | 1103 | 1111 | 1122 | 1126 | 1191 | 1192, Es) => "El documento extranjero del cliente no es válido para la AEAT: revisa país, tipo y número en su ficha.",
        (1101 | 1102 | 1103 | 1111 | 1122 | 1126 | 1191 | 1192, En) => "The customer's foreign id will not do for the AEAT: check its country, kind and number on the customer's record.",
        // The invoice number's characters.
        (1104 | 1130 | 1287, It) => "Il numero della fattura contiene caratteri che l'AEAT non accetta: cambia lo schema di numerazione del negozio (niente \" ' < > =).",
        (1104 | 1130 | 1287, Es) => "El número de factura tiene caracteres que la AEAT no admite: cambia la numeración de la tienda (sin \" ' < > =).",
        (1104 | 1130 | 1287, En) => "The invoice number has characters the AEAT refuses: change the store's numbering (no \" ' < > =).",
        // Dates.
        (1112 | 1105, It) => "La data della fattura è nel futuro per l'AEAT: controlla l'orologio del server e la data di emissione.",
        (1112 | 1105, Es) => "La fecha de la factura es futura para la AEAT: comprueba la fecha de expedición y el reloj del servidor.",
        (1112 | 1105, En) => "The invoice's date is in the future for the AEAT: check the issue date and the server's clock.",
        (1152, It) => "L'AEAT non accetta fatture datate prima del 28/10/2024.",
        (1152, Es) => "La AEAT no admite facturas con fecha anterior al 28/10/2024.",
        (1152, En) => "The AEAT does not accept invoices dated before 28 Oct 2024.",
        // Recipient presence.
        (1189, It) => "Una fattura completa deve indicare il NIF del cliente: aggiungilo al cliente ed emetti una nota di credito e una nuova fattura.",
        (1189, Es) => "Una factura completa debe identificar al cliente con su NIF: añádelo y emite una rectificativa y una factura nueva.",
        (1189, En) => "A full invoice must name the customer's NIF: add it, then issue a credit note and a new invoice.",
        (1150, It) => "Una fattura semplificata supera 3.000 €: emetti una fattura completa con il NIF del cliente.",
        (1150, Es) => "La factura simplificada supera 3.000 €: expide una factura completa con el NIF del cliente.",
        (1150, En) => "A simplified invoice over €3,000: issue a full invoice with the customer's NIF.",
        // Amounts that do not add up.
        (1142 | 1210 | 1216 | 2005 | 2006, It) => "Gli importi IVA della fattura non tornano per l'AEAT: segnala la fattura a chi gestisce Invio.",
        (1142 | 1210 | 1216 | 2005 | 2006, Es) => "Los importes de IVA no cuadran para la AEAT: comunica la factura a quien gestiona Invio.",
        (1142 | 1210 | 1216 | 2005 | 2006, En) => "The AEAT finds the VAT amounts do not add up: report the invoice to whoever runs Invio.",
        (1124, It) => "L'AEAT non accetta questa aliquota IVA: usa un'aliquota spagnola in vigore (21, 10, 4 %…).",
        (1124, Es) => "La AEAT no admite este tipo de IVA: usa un tipo vigente en España (21, 10, 4 %…).",
        (1124, En) => "The AEAT does not accept this VAT rate: use a Spanish rate in force (21, 10, 4 %…).",
        // The chain and the clock.
        (2000 | 2002 | 2003 | 2007 | 2008 | 1180 | 1269, It) => "L'AEAT segnala un problema nella catena dei registri: segnalalo a chi gestisce Invio, che deve correggerlo.",
        (2000 | 2002 | 2003 | 2007 | 2008 | 1180 | 1269, Es) => "La AEAT señala un problema en el encadenamiento de los registros: comunícalo a quien gestiona Invio para que lo subsane.",
        (2000 | 2002 | 2003 | 2007 | 2008 | 1180 | 1269, En) => "The AEAT reports a problem in the chain of records: tell whoever runs Invio, who must correct it.",
        (2004, It) => "L'ora del registro non coincide con quella dell'AEAT: l'orologio del server va controllato.",
        (2004, Es) => "La hora del registro no coincide con la de la AEAT: hay que revisar el reloj del servidor.",
        (2004, En) => "The record's time does not match the AEAT's clock: the server's clock needs checking.",
        // Certificate and access.
        (4112 | 4108 | 4110, It) => "Il certificato usato non è del negozio né di un suo rappresentante autorizzato: carica il certificato giusto nelle impostazioni VERI*FACTU.",
        (4112 | 4108 | 4110, Es) => "El certificado no es del titular ni de un apoderado: sube el certificado correcto en los ajustes VERI*FACTU.",
        (4112 | 4108 | 4110, En) => "The certificate is not the store's nor an authorised representative's: upload the right certificate in the VERI*FACTU settings.",
        (4141, It) => "L'AEAT ha sospeso temporaneamente l'accesso a VERI*FACTU: scrivi a verifactu@correo.aeat.es.",
        (4141, Es) => "La AEAT ha suspendido temporalmente el acceso a VERI*FACTU: escribe a verifactu@correo.aeat.es.",
        (4141, En) => "The AEAT has temporarily suspended access to VERI*FACTU: write to verifactu@correo.aeat.es.",
        (3002, It) => "L'AEAT non ha la fattura da annullare: risulta non ancora registrata.",
        (3002, Es) => "La AEAT no tiene la factura que se anula: no consta registrada.",
        (3002, En) => "The AEAT does not have the invoice being voided: it is not registered there.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><env:Envelope xmlns:env=\"{SOAP_NAMESPACE}\"><env:Header/><env:Body>{body}</env:Body></env:Envelope>"
        )
    }

    fn answer(state: &str, lines: &str) -> String {
        envelope(&format!(
            r#"<tikR:RespuestaRegFactuSistemaFacturacion xmlns:tikR="{RESPONSE_NAMESPACE}" xmlns:tik="{sf}">
<tikR:CSV>A-XYZ123</tikR:CSV>
<tikR:DatosPresentacion><tik:NIFPresentador>89890001K</tik:NIFPresentador><tik:TimestampPresentacion>2026-12-02T10:00:00+01:00</tik:TimestampPresentacion></tikR:DatosPresentacion>
<tikR:Cabecera><tik:ObligadoEmision><tik:NombreRazon>Tienda</tik:NombreRazon><tik:NIF>89890001K</tik:NIF></tik:ObligadoEmision></tikR:Cabecera>
<tikR:TiempoEsperaEnvio>60</tikR:TiempoEsperaEnvio>
<tikR:EstadoEnvio>{state}</tikR:EstadoEnvio>{lines}
</tikR:RespuestaRegFactuSistemaFacturacion>"#,
            sf = super::super::SF_NAMESPACE
        ))
    }

    fn line(number: &str, operation: &str, state: &str, error: &str) -> String {
        format!(
            r#"<tikR:RespuestaLinea><tikR:IDFactura><tik:IDEmisorFactura>89890001K</tik:IDEmisorFactura><tik:NumSerieFactura>{number}</tik:NumSerieFactura><tik:FechaExpedicionFactura>02-12-2026</tik:FechaExpedicionFactura></tikR:IDFactura><tikR:Operacion><tik:TipoOperacion>{operation}</tik:TipoOperacion></tikR:Operacion><tikR:EstadoRegistro>{state}</tikR:EstadoRegistro>{error}</tikR:RespuestaLinea>"#
        )
    }

    #[test]
    fn an_accepted_sending_gives_its_csv_wait_and_each_record_s_verdict() {
        let xml = answer(
            "ParcialmenteCorrecto",
            &[
                line("F-1", "Alta", "Correcto", ""),
                line("F-2", "Alta", "AceptadoConErrores", "<tikR:CodigoErrorRegistro>2000</tikR:CodigoErrorRegistro><tikR:DescripcionErrorRegistro>El cálculo de la huella suministrada es incorrecta.</tikR:DescripcionErrorRegistro>"),
                line("F-3", "Alta", "Incorrecto", "<tikR:CodigoErrorRegistro>1104</tikR:CodigoErrorRegistro><tikR:DescripcionErrorRegistro>El valor del campo NumSerieFactura es incorrecto.</tikR:DescripcionErrorRegistro>"),
            ]
            .concat(),
        );
        let SubmissionAnswer::Response(response) = parse_response(&xml).expect("read") else {
            panic!("a response, not a fault")
        };
        assert_eq!(response.csv.as_deref(), Some("A-XYZ123"));
        assert_eq!(response.wait_seconds, 60);
        assert_eq!(response.state, SubmissionState::ParcialmenteCorrecto);
        let verdicts: Vec<_> = response
            .lines
            .iter()
            .map(|line| {
                (
                    line.invoice.number.as_str(),
                    line.state,
                    line.error_code,
                    line.is_delivered(),
                )
            })
            .collect();
        assert_eq!(
            verdicts,
            [
                ("F-1", RecordState::Correcto, None, true),
                ("F-2", RecordState::AceptadoConErrores, Some(2000), true),
                ("F-3", RecordState::Incorrecto, Some(1104), false),
            ]
        );
        assert_eq!(response.lines[2].invoice.issue_date, "02-12-2026");
        assert!(response.lines[2]
            .guidance(Language::En)
            .is_some_and(|text| text.contains("numbering")));
    }

    #[test]
    fn a_duplicate_alta_counts_as_delivered_and_says_so() {
        let duplicate = line(
            "F-1",
            "Alta",
            "Incorrecto",
            "<tikR:CodigoErrorRegistro>3000</tikR:CodigoErrorRegistro><tikR:DescripcionErrorRegistro>Registro de facturación duplicado.</tikR:DescripcionErrorRegistro><tikR:RegistroDuplicado><tik:IdPeticionRegistroDuplicado>202612021000001</tik:IdPeticionRegistroDuplicado><tik:EstadoRegistroDuplicado>Correcta</tik:EstadoRegistroDuplicado></tikR:RegistroDuplicado>",
        );
        let cancelled = line(
            "F-2",
            "Anulacion",
            "Incorrecto",
            "<tikR:CodigoErrorRegistro>3001</tikR:CodigoErrorRegistro>",
        );
        let SubmissionAnswer::Response(response) =
            parse_response(&answer("Incorrecto", &(duplicate + &cancelled))).expect("read")
        else {
            panic!("a response")
        };
        let first = &response.lines[0];
        assert!(first.is_delivered() && first.is_duplicate());
        assert_eq!(
            first.duplicate,
            Some(Duplicate {
                request_id: "202612021000001".into(),
                state: DuplicateState::Correcta,
                error_code: None,
                error_description: None,
            })
        );
        assert!(response.lines[1].is_delivered() && response.lines[1].is_duplicate());
    }

    #[test]
    fn a_soap_fault_is_its_own_answer_with_the_aeat_code() {
        let xml = envelope("<env:Fault><faultcode>env:Client</faultcode><faultstring>Codigo[4102].El XML no cumple el esquema. Falta informar campo obligatorio.: Cabecera</faultstring></env:Fault>");
        assert_eq!(
            parse_response(&xml),
            Ok(SubmissionAnswer::Fault(Fault {
                code: "env:Client".into(),
                message: "Codigo[4102].El XML no cumple el esquema. Falta informar campo obligatorio.: Cabecera".into(),
                aeat_code: Some(4102),
            }))
        );
    }

    #[test]
    fn only_a_four_digit_code_in_a_fault_is_taken_for_the_aeat_s() {
        assert_eq!(first_code("Codigo[4102].El XML"), Some(4102));
        assert_eq!(first_code("at 0102, then 41020, then 4141"), Some(4141));
        assert_eq!(first_code("no code"), None);
    }

    #[test]
    fn answers_that_are_not_the_aeat_s_are_refused_with_a_reason() {
        assert!(matches!(
            parse_response("not xml"),
            Err(AnswerError::NotXml(_))
        ));
        assert_eq!(parse_response("<a/>"), Err(AnswerError::NotSoap));
        assert_eq!(
            parse_response(&envelope("<other/>")),
            Err(AnswerError::UnknownBody)
        );
        assert_eq!(
            parse_response(&answer("Regular", "")),
            Err(AnswerError::Invalid("EstadoEnvio"))
        );
        assert_eq!(
            parse_response(&answer("Correcto", &line("F-1", "Alta", "Quizá", ""))),
            Err(AnswerError::Invalid("EstadoRegistro"))
        );
        let huge = " ".repeat(MAX_ANSWER_BYTES + 1);
        assert_eq!(parse_response(&huge), Err(AnswerError::TooLarge));
        let entity = "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>";
        assert!(matches!(
            parse_response(entity),
            Err(AnswerError::NotXml(_))
        ));
    }

    #[test]
    fn common_rejections_come_with_advice_in_every_language_and_others_with_the_aeat_s_words() {
        for code in [
            4107, 4109, 1121, 1104, 1112, 1152, 1189, 1150, 2000, 4112, 4141,
        ] {
            for language in Language::ALL {
                assert!(what_to_fix(code, language).is_some(), "{code} {language:?}");
            }
        }
        assert_eq!(what_to_fix(1254, Language::Es), None);
        let line = AnswerLine {
            invoice: InvoiceId {
                issuer_nif: "89890001K".into(),
                number: "F-1".into(),
                issue_date: "02-12-2026".into(),
            },
            operation: Operation::Alta,
            state: RecordState::Incorrecto,
            error_code: Some(1254),
            error_description: Some("Si FechaOperacion …".into()),
            duplicate: None,
        };
        assert_eq!(
            line.guidance(Language::It).as_deref(),
            Some("AEAT 1254: Si FechaOperacion …")
        );
    }
}
