//! The records as XML elements of `SuministroInformacion.xsd`, and the
//! `RegFactuSistemaFacturacion` SOAP request of `SuministroLR.xsd` that
//! carries them (SistemaFacturacion.wsdl: SOAP 1.1, document/literal).
//!
//! Each record element declares its own namespace, so the string stored
//! for it is a whole XML document that [`super::verify_chain`] can read
//! back, and is embedded unchanged in every request that sends it.

use super::{
    ChainLink, InvoiceId, Recipient, RegistroAlta, RegistroAnulacion, SistemaInformatico,
    LR_NAMESPACE, SF_NAMESPACE, SOAP_NAMESPACE,
};
use crate::spain::{RecipientId, SpanishSeller};

/// SWeb §3 and `SuministroLR.xsd` (`maxOccurs="1000"`): at most 1,000
/// records per request.
pub const MAX_RECORDS_PER_REQUEST: usize = 1000;

/// Why a request was not built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("a request carries at least one record")]
    NoRecords,
    #[error("a request carries at most {MAX_RECORDS_PER_REQUEST} records, not {0}")]
    TooManyRecords(usize),
    /// A string that is not a record element this module built.
    #[error("record {0} is not a stored sf:RegistroAlta or sf:RegistroAnulacion element")]
    NotARecord(usize),
}

/// Text for an element: the five XML-special characters escaped, and the
/// characters XML 1.0 cannot carry (control characters other than tab and
/// line breaks) replaced by a space.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' => escaped.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Elements of one namespace prefix, written in schema order.
struct Writer {
    xml: String,
    prefix: &'static str,
}

impl Writer {
    fn new(prefix: &'static str) -> Self {
        Self {
            xml: String::with_capacity(2048),
            prefix,
        }
    }

    fn open(&mut self, name: &str) {
        self.xml.push_str(&format!("<{}:{name}>", self.prefix));
    }

    fn close(&mut self, name: &str) {
        self.xml.push_str(&format!("</{}:{name}>", self.prefix));
    }

    fn text(&mut self, name: &str, value: &str) {
        self.open(name);
        self.xml.push_str(&escape(value));
        self.close(name);
    }

    /// Free text of a TextMaxN type, shortened to `max` characters.
    fn text_max(&mut self, name: &str, value: &str, max: usize) {
        let value: String = value.trim().chars().take(max).collect();
        self.text(name, value.trim_end());
    }

    fn yes_no(&mut self, name: &str, value: bool) {
        self.text(name, if value { "S" } else { "N" });
    }

    fn invoice_id(&mut self, names: [&str; 3], id: &InvoiceId) {
        self.text(names[0], &id.issuer_nif);
        self.text(names[1], &id.number);
        self.text(names[2], &id.issue_date);
    }

    fn chain(&mut self, previous: Option<&ChainLink>) {
        self.open("Encadenamiento");
        match previous {
            None => self.text("PrimerRegistro", "S"),
            Some(link) => {
                self.open("RegistroAnterior");
                self.text("IDEmisorFactura", &link.issuer_nif);
                self.text("NumSerieFactura", &link.number);
                self.text("FechaExpedicionFactura", &link.issue_date);
                self.text("Huella", &link.huella);
                self.close("RegistroAnterior");
            }
        }
        self.close("Encadenamiento");
    }

    fn system(&mut self, system: &SistemaInformatico) {
        self.open("SistemaInformatico");
        self.text_max("NombreRazon", &system.producer_name, 120);
        self.text("NIF", system.producer_nif.as_str());
        self.text_max("NombreSistemaInformatico", &system.system_name, 30);
        self.text_max("IdSistemaInformatico", &system.system_id, 2);
        self.text_max("Version", &system.version, 50);
        self.text_max("NumeroInstalacion", &system.installation_number, 100);
        self.yes_no("TipoUsoPosibleSoloVerifactu", system.only_verifactu);
        self.yes_no("TipoUsoPosibleMultiOT", system.multiple_taxpayers_possible);
        self.yes_no("IndicadorMultiplesOT", system.multiple_taxpayers);
        self.close("SistemaInformatico");
    }

    fn recipient(&mut self, recipient: &Recipient) {
        self.open("IDDestinatario");
        self.text_max("NombreRazon", &recipient.name, 120);
        match &recipient.id {
            RecipientId::Nif(nif) => self.text("NIF", nif.as_str()),
            RecipientId::Foreign(foreign) => {
                self.open("IDOtro");
                self.text("CodigoPais", &foreign.country);
                self.text("IDType", foreign.kind.code());
                self.text("ID", foreign.id.trim());
                self.close("IDOtro");
            }
        }
        self.close("IDDestinatario");
    }

    /// The element's opening tag, declaring the namespace it is in.
    fn root(&mut self, name: &str) {
        self.xml.push_str(&format!(
            "<{prefix}:{name} xmlns:{prefix}=\"{SF_NAMESPACE}\">",
            prefix = self.prefix
        ));
    }
}

/// The `sf:RegistroAlta` element, in the order of `RegistroFacturacionAltaType`.
pub(super) fn registro_alta(record: &RegistroAlta) -> String {
    let mut xml = Writer::new("sf");
    xml.root("RegistroAlta");
    xml.text("IDVersion", "1.0");
    xml.open("IDFactura");
    xml.invoice_id(
        [
            "IDEmisorFactura",
            "NumSerieFactura",
            "FechaExpedicionFactura",
        ],
        &record.id,
    );
    xml.close("IDFactura");
    xml.text_max("NombreRazonEmisor", &record.issuer_name, 120);
    if let Some((subsanacion, rechazo_previo)) = record.operation.flags() {
        xml.text("Subsanacion", subsanacion);
        xml.text("RechazoPrevio", rechazo_previo);
    }
    xml.text("TipoFactura", record.invoice_type.code());
    if let Some(corrected) = &record.corrected {
        // By differences: the record carries the change, negative for a
        // credit note, and no ImporteRectificacion (AEAT 1119).
        xml.text("TipoRectificativa", "I");
        xml.open("FacturasRectificadas");
        xml.open("IDFacturaRectificada");
        xml.invoice_id(
            [
                "IDEmisorFactura",
                "NumSerieFactura",
                "FechaExpedicionFactura",
            ],
            corrected,
        );
        xml.close("IDFacturaRectificada");
        xml.close("FacturasRectificadas");
    }
    xml.text_max("DescripcionOperacion", &record.description, 500);
    if let Some(recipient) = &record.recipient {
        xml.open("Destinatarios");
        xml.recipient(recipient);
        xml.close("Destinatarios");
    }
    xml.open("Desglose");
    for detail in &record.details {
        xml.open("DetalleDesglose");
        xml.text("Impuesto", "01");
        xml.text("ClaveRegimen", detail.regime());
        let treatment = if detail.treatment.is_exempt() {
            "OperacionExenta"
        } else {
            "CalificacionOperacion"
        };
        xml.text(treatment, detail.treatment.code());
        if let Some(rate) = &detail.rate {
            xml.text("TipoImpositivo", rate);
        }
        xml.text("BaseImponibleOimporteNoSujeto", &detail.base);
        if let Some(tax) = &detail.tax {
            xml.text("CuotaRepercutida", tax);
        }
        xml.close("DetalleDesglose");
    }
    xml.close("Desglose");
    xml.text("CuotaTotal", &record.tax_total);
    xml.text("ImporteTotal", &record.total);
    xml.chain(record.previous.as_ref());
    xml.system(&record.system);
    xml.text("FechaHoraHusoGenRegistro", &record.generated_at);
    xml.text("TipoHuella", "01");
    xml.text("Huella", &record.huella);
    xml.close("RegistroAlta");
    xml.xml
}

/// The `sf:RegistroAnulacion` element, in the order of
/// `RegistroFacturacionAnulacionType`.
pub(super) fn registro_anulacion(record: &RegistroAnulacion) -> String {
    let mut xml = Writer::new("sf");
    xml.root("RegistroAnulacion");
    xml.text("IDVersion", "1.0");
    xml.open("IDFactura");
    xml.invoice_id(
        [
            "IDEmisorFacturaAnulada",
            "NumSerieFacturaAnulada",
            "FechaExpedicionFacturaAnulada",
        ],
        &record.id,
    );
    xml.close("IDFactura");
    // Only the flags that are S are written: absent is N for both.
    if record.operation.without_prior_record {
        xml.text("SinRegistroPrevio", "S");
    }
    if record.operation.after_rejection {
        xml.text("RechazoPrevio", "S");
    }
    xml.chain(record.previous.as_ref());
    xml.system(&record.system);
    xml.text("FechaHoraHusoGenRegistro", &record.generated_at);
    xml.text("TipoHuella", "01");
    xml.text("Huella", &record.huella);
    xml.close("RegistroAnulacion");
    xml.xml
}

/// The SOAP request that sends `records` (stored record elements, in chain
/// order) for `issuer` (`Cabecera/ObligadoEmision`). `incident` marks a
/// sending delayed by an outage (Orden HAC/1177/2024 art. 16.4:
/// `RemisionVoluntaria/Incidencia` = S).
pub fn request_xml(
    issuer: &SpanishSeller,
    incident: bool,
    records: &[&str],
) -> Result<String, RequestError> {
    if records.is_empty() {
        return Err(RequestError::NoRecords);
    }
    if records.len() > MAX_RECORDS_PER_REQUEST {
        return Err(RequestError::TooManyRecords(records.len()));
    }
    if let Some(index) = records.iter().position(|record| {
        !(record.starts_with("<sf:RegistroAlta ") && record.ends_with("</sf:RegistroAlta>")
            || record.starts_with("<sf:RegistroAnulacion ")
                && record.ends_with("</sf:RegistroAnulacion>"))
    }) {
        return Err(RequestError::NotARecord(index));
    }
    let mut xml = String::with_capacity(records.iter().map(|record| record.len() + 64).sum());
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    xml.push_str(&format!(
        "<soapenv:Envelope xmlns:soapenv=\"{SOAP_NAMESPACE}\" xmlns:sfLR=\"{LR_NAMESPACE}\" xmlns:sf=\"{SF_NAMESPACE}\">"
    ));
    xml.push_str("<soapenv:Header/><soapenv:Body>");
    xml.push_str("<sfLR:RegFactuSistemaFacturacion><sfLR:Cabecera>");
    let mut header = Writer::new("sf");
    header.open("ObligadoEmision");
    header.text_max("NombreRazon", &issuer.legal_name, 120);
    header.text("NIF", issuer.nif.as_str());
    header.close("ObligadoEmision");
    if incident {
        header.open("RemisionVoluntaria");
        header.text("Incidencia", "S");
        header.close("RemisionVoluntaria");
    }
    xml.push_str(&header.xml);
    xml.push_str("</sfLR:Cabecera>");
    for record in records {
        xml.push_str("<sfLR:RegistroFactura>");
        xml.push_str(record);
        xml.push_str("</sfLR:RegistroFactura>");
    }
    xml.push_str("</sfLR:RegFactuSistemaFacturacion></soapenv:Body></soapenv:Envelope>");
    Ok(xml)
}

#[cfg(test)]
mod tests {
    use super::super::samples::{chain, issuer};
    use super::*;

    #[test]
    fn a_request_carries_the_stored_records_unchanged_under_the_issuer_s_header() {
        let records = chain();
        let stored: Vec<&str> = records.iter().map(|record| record.xml.as_str()).collect();
        let request = request_xml(&issuer(), false, &stored).expect("request");
        assert!(request.contains("<sfLR:Cabecera><sf:ObligadoEmision><sf:NombreRazon>Tienda &amp; Café &lt;Pérez&gt; S.L.</sf:NombreRazon><sf:NIF>89890001K</sf:NIF></sf:ObligadoEmision></sfLR:Cabecera>"));
        assert!(!request.contains("Incidencia"));
        for record in &stored {
            assert!(request.contains(&format!(
                "<sfLR:RegistroFactura>{record}</sfLR:RegistroFactura>"
            )));
        }
        let after_outage = request_xml(&issuer(), true, &stored).expect("request");
        assert!(after_outage.contains("</sf:ObligadoEmision><sf:RemisionVoluntaria><sf:Incidencia>S</sf:Incidencia></sf:RemisionVoluntaria></sfLR:Cabecera>"));
    }

    #[test]
    fn a_request_holds_one_to_a_thousand_records() {
        let records = chain();
        let one = records[0].xml.as_str();
        assert_eq!(
            request_xml(&issuer(), false, &[]),
            Err(RequestError::NoRecords)
        );
        assert!(request_xml(&issuer(), false, &[one; MAX_RECORDS_PER_REQUEST]).is_ok());
        assert_eq!(
            request_xml(&issuer(), false, &[one; MAX_RECORDS_PER_REQUEST + 1]),
            Err(RequestError::TooManyRecords(1001))
        );
        assert_eq!(
            request_xml(&issuer(), false, &[one, "<sf:Otro/>"]),
            Err(RequestError::NotARecord(1))
        );
    }

    #[test]
    fn text_is_escaped_and_characters_xml_cannot_carry_are_replaced() {
        assert_eq!(escape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&apos;");
        assert_eq!(escape("x\u{0}y\u{1b}z\tw"), "x y z\tw");
    }
}
