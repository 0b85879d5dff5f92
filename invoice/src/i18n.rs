//! Customer-facing words in Italian, Spanish and English.
//!
//! Every string a customer can read (the link page, the email, the PDF) comes
//! from [`text`], so a missing translation is a compile error, not a blank.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    It,
    Es,
    #[default]
    En,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::It, Language::Es, Language::En];

    pub fn code(self) -> &'static str {
        match self {
            Language::It => "it",
            Language::Es => "es",
            Language::En => "en",
        }
    }

    /// Reads `it`, `es` or `en`, also from tags like `es-ES`; anything else is `None`.
    pub fn parse(code: &str) -> Option<Self> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.code() == primary)
    }
}

/// The things said to a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Invoice,
    InvoiceNumber,
    IssueDate,
    DueDate,
    BilledTo,
    Description,
    Quantity,
    UnitPrice,
    TaxRate,
    Amount,
    Subtotal,
    Tax,
    Total,
    AmountPaid,
    AmountDue,
    DownloadPdf,
    Print,
    History,
    StatusIssued,
    StatusPaid,
    StatusPartiallyPaid,
    StatusOverdue,
    StatusVoid,
    EventSent,
    EventOpened,
    EventDownloaded,
    EventPrinted,
    EventPaymentRecorded,
    LinkNotFoundTitle,
    LinkNotFoundBody,
    EmailSubject,
    EmailGreeting,
    EmailIntro,
    EmailButton,
    EmailPlainLink,
    Page,
    TaxSummary,
    TaxableBase,
    Notes,
    Void,
}

pub fn text(language: Language, key: Text) -> &'static str {
    use Language::*;
    use Text::*;
    match (key, language) {
        (Invoice, It) => "Fattura",
        (Invoice, Es) => "Factura",
        (Invoice, En) => "Invoice",
        (InvoiceNumber, It) => "Numero",
        (InvoiceNumber, Es) => "Número",
        (InvoiceNumber, En) => "Number",
        (IssueDate, It) => "Data",
        (IssueDate, Es) => "Fecha",
        (IssueDate, En) => "Date",
        (DueDate, It) => "Scadenza",
        (DueDate, Es) => "Vencimiento",
        (DueDate, En) => "Due date",
        (BilledTo, It) => "Intestata a",
        (BilledTo, Es) => "Facturar a",
        (BilledTo, En) => "Billed to",
        (Description, It) => "Descrizione",
        (Description, Es) => "Descripción",
        (Description, En) => "Description",
        (Quantity, It) => "Q.tà",
        (Quantity, Es) => "Cant.",
        (Quantity, En) => "Qty",
        (UnitPrice, It) => "Prezzo",
        (UnitPrice, Es) => "Precio",
        (UnitPrice, En) => "Unit price",
        (TaxRate, It) => "IVA",
        (TaxRate, Es) => "IVA",
        (TaxRate, En) => "Tax",
        (Amount, It) => "Importo",
        (Amount, Es) => "Importe",
        (Amount, En) => "Amount",
        (Subtotal, It) => "Imponibile",
        (Subtotal, Es) => "Base imponible",
        (Subtotal, En) => "Subtotal",
        (Tax, It) => "IVA",
        (Tax, Es) => "IVA",
        (Tax, En) => "Tax",
        (Total, It) => "Totale",
        (Total, Es) => "Total",
        (Total, En) => "Total",
        (AmountPaid, It) => "Pagato",
        (AmountPaid, Es) => "Pagado",
        (AmountPaid, En) => "Paid",
        (AmountDue, It) => "Da pagare",
        (AmountDue, Es) => "Importe pendiente",
        (AmountDue, En) => "Amount due",
        (DownloadPdf, It) => "Scarica PDF",
        (DownloadPdf, Es) => "Descargar PDF",
        (DownloadPdf, En) => "Download PDF",
        (Print, It) => "Stampa",
        (Print, Es) => "Imprimir",
        (Print, En) => "Print",
        (History, It) => "Cronologia",
        (History, Es) => "Historial",
        (History, En) => "History",
        (StatusIssued, It) => "Emessa",
        (StatusIssued, Es) => "Emitida",
        (StatusIssued, En) => "Issued",
        (StatusPaid, It) => "Pagata",
        (StatusPaid, Es) => "Pagada",
        (StatusPaid, En) => "Paid",
        (StatusPartiallyPaid, It) => "Pagata in parte",
        (StatusPartiallyPaid, Es) => "Pagada parcialmente",
        (StatusPartiallyPaid, En) => "Partially paid",
        (StatusOverdue, It) => "Scaduta",
        (StatusOverdue, Es) => "Vencida",
        (StatusOverdue, En) => "Overdue",
        (StatusVoid, It) => "Annullata",
        (StatusVoid, Es) => "Anulada",
        (StatusVoid, En) => "Void",
        (EventSent, It) => "Inviata",
        (EventSent, Es) => "Enviada",
        (EventSent, En) => "Sent",
        (EventOpened, It) => "Aperta",
        (EventOpened, Es) => "Abierta",
        (EventOpened, En) => "Opened",
        (EventDownloaded, It) => "PDF scaricato",
        (EventDownloaded, Es) => "PDF descargado",
        (EventDownloaded, En) => "PDF downloaded",
        (EventPrinted, It) => "Stampata",
        (EventPrinted, Es) => "Impresa",
        (EventPrinted, En) => "Printed",
        (EventPaymentRecorded, It) => "Pagamento registrato",
        (EventPaymentRecorded, Es) => "Pago registrado",
        (EventPaymentRecorded, En) => "Payment recorded",
        (LinkNotFoundTitle, It) => "Link non valido",
        (LinkNotFoundTitle, Es) => "Enlace no válido",
        (LinkNotFoundTitle, En) => "This link is not valid",
        (LinkNotFoundBody, It) => {
            "Controlla di aver copiato il link completo dall'email, oppure chiedi al venditore di inviarlo di nuovo."
        }
        (LinkNotFoundBody, Es) => {
            "Comprueba que has copiado el enlace completo del correo o pide al vendedor que lo envíe de nuevo."
        }
        (LinkNotFoundBody, En) => {
            "Check that you copied the whole link from the email, or ask the seller to send it again."
        }
        (EmailSubject, It) => "Fattura {number} da {store}",
        (EmailSubject, Es) => "Factura {number} de {store}",
        (EmailSubject, En) => "Invoice {number} from {store}",
        (EmailGreeting, It) => "Gentile {customer},",
        (EmailGreeting, Es) => "Estimado/a {customer}:",
        (EmailGreeting, En) => "Dear {customer},",
        (EmailIntro, It) => "ti inviamo la fattura {number} di {total}.",
        (EmailIntro, Es) => "te enviamos la factura {number} por {total}.",
        (EmailIntro, En) => "here is invoice {number} for {total}.",
        (EmailButton, It) => "Visualizza la fattura",
        (EmailButton, Es) => "Ver la factura",
        (EmailButton, En) => "View the invoice",
        (EmailPlainLink, It) => "Oppure apri questo link:",
        (EmailPlainLink, Es) => "O abre este enlace:",
        (EmailPlainLink, En) => "Or open this link:",
        (Page, It) => "Pagina",
        (Page, Es) => "Página",
        (Page, En) => "Page",
        (TaxSummary, It) => "Riepilogo IVA",
        (TaxSummary, Es) => "Resumen de IVA",
        (TaxSummary, En) => "Tax summary",
        (TaxableBase, It) => "Imponibile",
        (TaxableBase, Es) => "Base imponible",
        (TaxableBase, En) => "Taxable amount",
        (Notes, It) => "Note",
        (Notes, Es) => "Notas",
        (Notes, En) => "Notes",
        (Void, It) => "ANNULLATA",
        (Void, Es) => "ANULADA",
        (Void, En) => "VOID",
    }
}

/// Replaces `{name}` placeholders; unknown placeholders are left as they are.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_read_by_their_primary_subtag() {
        assert_eq!(Language::parse("es-ES"), Some(Language::Es));
        assert_eq!(Language::parse("IT"), Some(Language::It));
        assert_eq!(Language::parse("fr"), None);
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        assert_eq!(
            fill(
                "Invoice {number} from {store} {x}",
                &[("number", "7"), ("store", "Bottega")]
            ),
            "Invoice 7 from Bottega {x}"
        );
    }
}
