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
    /// Above the merchant's preview of the customer's page.
    PreviewNotice,
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
    EventReminderSent,
    EventVoided,
    LinkNotFoundTitle,
    LinkNotFoundBody,
    EmailSubject,
    EmailMessage,
    ReminderSubject,
    ReminderMessageBeforeDue,
    ReminderMessageOverdue,
    EmailButton,
    CopySubjectPrefix,
    CopyBanner,
    NoticeSubject,
    NoticeBody,
    NoticeOpenInvoice,
    LinkRevokedTitle,
    LinkRevokedBody,
    FreshLinkButton,
    FreshLinkSentTitle,
    FreshLinkSentBody,
    FreshLinkUnavailableTitle,
    FreshLinkUnavailableBody,
    TemporarilyUnavailableBody,
    EmailPlainLink,
    Page,
    TaxSummary,
    TaxableBase,
    Notes,
    Void,
    CreditNote,
    /// A Spanish simplified invoice's title (F2).
    SimplifiedInvoice,
    SimplifiedInvoiceEmailSubject,
    SimplifiedInvoiceEmailMessage,
    /// "Corrects invoice {number} of {date}" on a credit note.
    CorrectsInvoice,
    Reason,
    /// What a credit note gives back, where an invoice says what is due.
    AmountCredited,
    /// On an invoice: what its credit notes took off.
    Credited,
    /// The customer's history of an invoice: "Credit note {number} issued for {amount}".
    EventCreditNoteIssued,
    /// The customer's history of a credit note: "Corrects invoice {number}".
    EventCorrectsInvoice,
    CreditNoteEmailSubject,
    CreditNoteEmailMessage,
    CreditNoteEmailButton,
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
        (PreviewNotice, It) => "Anteprima: ecco cosa vede il cliente. Nessun link è stato creato e niente viene registrato.",
        (PreviewNotice, Es) => "Vista previa: esto es lo que ve el cliente. No se ha creado ningún enlace y no se registra nada.",
        (PreviewNotice, En) => "Preview: this is what your customer sees. No link was made and nothing is recorded.",
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
        (EventReminderSent, It) => "Promemoria inviato",
        (EventReminderSent, Es) => "Recordatorio enviado",
        (EventReminderSent, En) => "Reminder sent",
        (EventVoided, It) => "Fattura annullata",
        (EventVoided, Es) => "Factura anulada",
        (EventVoided, En) => "Invoice voided",
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
        (EmailMessage, It) => "Gentile {customer},\n\nti inviamo la fattura {number} di {total}: la trovi al link qui sotto, da dove puoi anche scaricarla o stamparla.\n\nCordiali saluti,\n{store}",
        (EmailMessage, Es) => "Estimado/a {customer}:\n\nte enviamos la factura {number} por {total}: la encontrarás en el enlace de abajo, desde donde también puedes descargarla o imprimirla.\n\nUn saludo,\n{store}",
        (EmailMessage, En) => "Dear {customer},\n\nhere is invoice {number} for {total}: you will find it at the link below, where you can also download or print it.\n\nKind regards,\n{store}",
        (ReminderSubject, It) => "Promemoria: fattura {number}, da pagare {amount_due}",
        (ReminderSubject, Es) => "Recordatorio: factura {number}, pendiente {amount_due}",
        (ReminderSubject, En) => "Reminder: invoice {number}, {amount_due} to pay",
        (ReminderMessageBeforeDue, It) => "Gentile {customer},\n\nti ricordiamo che la fattura {number} scade il {due_date}; restano da pagare {amount_due}.\n\nSe hai già pagato, ignora questo messaggio.\n\nCordiali saluti,\n{store}",
        (ReminderMessageBeforeDue, Es) => "Estimado/a {customer}:\n\nte recordamos que la factura {number} vence el {due_date}; quedan por pagar {amount_due}.\n\nSi ya has pagado, ignora este mensaje.\n\nUn saludo,\n{store}",
        (ReminderMessageBeforeDue, En) => "Dear {customer},\n\na reminder that invoice {number} is due on {due_date}; {amount_due} is still to pay.\n\nIf you have already paid, please ignore this message.\n\nKind regards,\n{store}",
        (ReminderMessageOverdue, It) => "Gentile {customer},\n\nla fattura {number} è scaduta il {due_date} ({days_overdue} giorni fa); restano da pagare {amount_due}.\n\nSe hai già pagato, ignora questo messaggio.\n\nCordiali saluti,\n{store}",
        (ReminderMessageOverdue, Es) => "Estimado/a {customer}:\n\nla factura {number} venció el {due_date} (hace {days_overdue} días); quedan por pagar {amount_due}.\n\nSi ya has pagado, ignora este mensaje.\n\nUn saludo,\n{store}",
        (ReminderMessageOverdue, En) => "Dear {customer},\n\ninvoice {number} was due on {due_date} ({days_overdue} days ago); {amount_due} is still to pay.\n\nIf you have already paid, please ignore this message.\n\nKind regards,\n{store}",
        (CopySubjectPrefix, It) => "[Copia] ",
        (CopySubjectPrefix, Es) => "[Copia] ",
        (CopySubjectPrefix, En) => "[Copy] ",
        (CopyBanner, It) => "Copia per te dell'email inviata a {customer}. Le aperture di questo link non contano come aperture del cliente.",
        (CopyBanner, Es) => "Copia para ti del email enviado a {customer}. Las aperturas de este enlace no cuentan como aperturas del cliente.",
        (CopyBanner, En) => "Your copy of the email sent to {customer}. Opening this link never counts as the customer opening it.",
        (NoticeSubject, It) => "Email non consegnata: fattura {number} a {address}",
        (NoticeSubject, Es) => "Email no entregado: factura {number} a {address}",
        (NoticeSubject, En) => "Email not delivered: invoice {number} to {address}",
        (NoticeBody, It) => "L'email con la fattura {number} per {customer} non è stata consegnata a {address}.\n\nRisposta del server di posta: {reason}",
        (NoticeBody, Es) => "El email con la factura {number} para {customer} no se ha entregado a {address}.\n\nRespuesta del servidor de correo: {reason}",
        (NoticeBody, En) => "The email with invoice {number} for {customer} was not delivered to {address}.\n\nThe mail server answered: {reason}",
        (NoticeOpenInvoice, It) => "Apri la fattura",
        (NoticeOpenInvoice, Es) => "Abrir la factura",
        (NoticeOpenInvoice, En) => "Open the invoice",
        (LinkRevokedTitle, It) => "Questo link non è più valido",
        (LinkRevokedTitle, Es) => "Este enlace ya no es válido",
        (LinkRevokedTitle, En) => "This link is no longer valid",
        (LinkRevokedBody, It) => "Il venditore ha ritirato questo link. Puoi chiedere un nuovo link: arriverà all'indirizzo email che il venditore ha per te.",
        (LinkRevokedBody, Es) => "El vendedor ha retirado este enlace. Puedes pedir un enlace nuevo: llegará a la dirección de email que el vendedor tiene de ti.",
        (LinkRevokedBody, En) => "The seller has withdrawn this link. You can ask for a fresh one: it goes to the email address the seller has for you.",
        (FreshLinkButton, It) => "Inviami un nuovo link",
        (FreshLinkButton, Es) => "Envíame un enlace nuevo",
        (FreshLinkButton, En) => "Send me a fresh link",
        (FreshLinkSentTitle, It) => "Richiesta inviata",
        (FreshLinkSentTitle, Es) => "Solicitud enviada",
        (FreshLinkSentTitle, En) => "Request sent",
        (FreshLinkSentBody, It) => "Se la fattura è ancora disponibile, un nuovo link sta arrivando all'indirizzo email che il venditore ha per te. Controlla la posta tra qualche minuto.",
        (FreshLinkSentBody, Es) => "Si la factura sigue disponible, un enlace nuevo está en camino a la dirección de email que el vendedor tiene de ti. Revisa tu correo en unos minutos.",
        (FreshLinkSentBody, En) => "If the invoice is still available, a fresh link is on its way to the email address the seller has for you. Check your inbox in a few minutes.",
        (FreshLinkUnavailableTitle, It) => "Riprova tra poco",
        (FreshLinkUnavailableTitle, Es) => "Inténtalo de nuevo en un momento",
        (FreshLinkUnavailableTitle, En) => "Please try again shortly",
        (FreshLinkUnavailableBody, It) => "Non è stato possibile inoltrare la richiesta in questo momento. Riprova tra qualche minuto.",
        (FreshLinkUnavailableBody, Es) => "No se ha podido enviar la solicitud en este momento. Inténtalo de nuevo en unos minutos.",
        (FreshLinkUnavailableBody, En) => "Your request could not be passed on just now. Please try again in a few minutes.",
        (TemporarilyUnavailableBody, It) => "La fattura non è raggiungibile in questo momento. Riprova tra qualche minuto: il link resta valido.",
        (TemporarilyUnavailableBody, Es) => "La factura no está disponible en este momento. Inténtalo de nuevo en unos minutos: el enlace sigue siendo válido.",
        (TemporarilyUnavailableBody, En) => "The invoice cannot be reached just now. Please try again in a few minutes: the link stays valid.",
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
        (CreditNote, It) => "Nota di credito",
        (CreditNote, Es) => "Nota de crédito",
        (CreditNote, En) => "Credit note",
        (SimplifiedInvoice, It) => "Fattura semplificata",
        (SimplifiedInvoice, Es) => "Factura simplificada",
        (SimplifiedInvoice, En) => "Simplified invoice",
        (SimplifiedInvoiceEmailSubject, It) => "Fattura semplificata {number} da {store}",
        (SimplifiedInvoiceEmailSubject, Es) => "Factura simplificada {number} de {store}",
        (SimplifiedInvoiceEmailSubject, En) => "Simplified invoice {number} from {store}",
        (SimplifiedInvoiceEmailMessage, It) => "Gentile {customer},\n\nti inviamo la fattura semplificata {number} di {total}: la trovi al link qui sotto, da dove puoi anche scaricarla o stamparla.\n\nCordiali saluti,\n{store}",
        (SimplifiedInvoiceEmailMessage, Es) => "Estimado/a {customer}:\n\nte enviamos la factura simplificada {number} por {total}: la encontrarás en el enlace de abajo, desde donde también puedes descargarla o imprimirla.\n\nUn saludo,\n{store}",
        (SimplifiedInvoiceEmailMessage, En) => "Dear {customer},\n\nhere is simplified invoice {number} for {total}: you will find it at the link below, where you can also download or print it.\n\nKind regards,\n{store}",
        (CorrectsInvoice, It) => "Rettifica la fattura {number} del {date}",
        (CorrectsInvoice, Es) => "Rectifica la factura {number} del {date}",
        (CorrectsInvoice, En) => "Corrects invoice {number} of {date}",
        (Reason, It) => "Motivo",
        (Reason, Es) => "Motivo",
        (Reason, En) => "Reason",
        (AmountCredited, It) => "Importo accreditato",
        (AmountCredited, Es) => "Importe abonado",
        (AmountCredited, En) => "Amount credited",
        (Credited, It) => "Accreditato",
        (Credited, Es) => "Abonado",
        (Credited, En) => "Credited",
        (EventCreditNoteIssued, It) => "Nota di credito {number} emessa per {amount}",
        (EventCreditNoteIssued, Es) => "Nota de crédito {number} emitida por {amount}",
        (EventCreditNoteIssued, En) => "Credit note {number} issued for {amount}",
        (EventCorrectsInvoice, It) => "Rettifica la fattura {number}",
        (EventCorrectsInvoice, Es) => "Rectifica la factura {number}",
        (EventCorrectsInvoice, En) => "Corrects invoice {number}",
        (CreditNoteEmailSubject, It) => "Nota di credito {number} da {store}",
        (CreditNoteEmailSubject, Es) => "Nota de crédito {number} de {store}",
        (CreditNoteEmailSubject, En) => "Credit note {number} from {store}",
        (CreditNoteEmailMessage, It) => "Gentile {customer},\n\nti inviamo la nota di credito {number} di {total}, che rettifica la fattura {corrected}: la trovi al link qui sotto, da dove puoi anche scaricarla o stamparla.\n\nCordiali saluti,\n{store}",
        (CreditNoteEmailMessage, Es) => "Estimado/a {customer}:\n\nte enviamos la nota de crédito {number} por {total}, que rectifica la factura {corrected}: la encontrarás en el enlace de abajo, desde donde también puedes descargarla o imprimirla.\n\nUn saludo,\n{store}",
        (CreditNoteEmailMessage, En) => "Dear {customer},\n\nhere is credit note {number} for {total}, which corrects invoice {corrected}: you will find it at the link below, where you can also download or print it.\n\nKind regards,\n{store}",
        (CreditNoteEmailButton, It) => "Visualizza la nota di credito",
        (CreditNoteEmailButton, Es) => "Ver la nota de crédito",
        (CreditNoteEmailButton, En) => "View the credit note",
    }
}

/// Replaces `{name}` placeholders in one pass, so a value that itself
/// contains `{…}` is never filled again; unknown placeholders are kept.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut filled = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        filled.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let known = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(_, value)| (*value, close))
        });
        match known {
            Some((value, close)) => {
                filled.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                filled.push('{');
                rest = after;
            }
        }
    }
    filled.push_str(rest);
    filled
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

    #[test]
    fn a_value_containing_a_placeholder_is_not_filled_again() {
        assert_eq!(
            fill(
                "{customer}: {total}",
                &[("customer", "{total}"), ("total", "5 €")]
            ),
            "{total}: 5 €"
        );
    }
}
