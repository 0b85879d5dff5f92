//! The admin's words in English, Italian and Spanish, and the language the
//! merchant chose. Each entry lists all three, so none can be missing.

use invoice::Language;
use leptos::prelude::*;

macro_rules! catalogue {
    ($($key:ident => ($en:literal, $it:literal, $es:literal),)*) => {
        /// A piece of the admin's text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $($key,)* }

        /// The text of `key` in `language`.
        pub fn tr(language: Language, key: T) -> &'static str {
            match key {
                $(T::$key => match language {
                    Language::En => $en,
                    Language::It => $it,
                    Language::Es => $es,
                },)*
            }
        }
    };
}

catalogue! {
    AttachPdf => ("Attach the PDF to the email", "Allega il PDF all'email", "Adjuntar el PDF al email"),
    AutomaticSendSkipped => ("Not sent automatically: the customer has no email address. Add one to the customer, then send the invoice.", "Non inviata automaticamente: il cliente non ha un indirizzo email. Aggiungilo al cliente, poi invia la fattura.", "No enviada automáticamente: el cliente no tiene dirección de email. Añádela al cliente y envía la factura."),
    CancelSend => ("Cancel", "Annulla", "Cancelar"),
    Copy => ("Copy", "Copia", "Copia"),
    CopiesGoTo => ("A copy, with its own link, also goes to", "Una copia, con un proprio link, va anche a", "Una copia, con su propio enlace, se envía también a"),
    DidYouMean => ("Did you mean", "Intendevi", "¿Quisiste decir"),
    EventEmailRetrying => ("Delivery will be retried", "Nuovo tentativo di consegna in programma", "Se reintentará la entrega"),
    EventFreshLinkRequested => ("The customer asked for a fresh link in place of a revoked one; it was sent to their address on file", "Il cliente ha chiesto un nuovo link al posto di uno revocato; è stato inviato al suo indirizzo registrato", "El cliente pidió un enlace nuevo en lugar de uno revocado; se envió a su dirección registrada"),
    EventLinkRevoked => ("Link revoked", "Link revocato", "Enlace revocado"),
    EventNoticeFailed => ("Failure notice not delivered", "Avviso di mancata consegna non recapitato", "Aviso de fallo no entregado"),
    EventNoticeSent => ("Failure notice sent", "Avviso di mancata consegna inviato", "Aviso de fallo enviado"),
    EventEmailCancelled => ("Email not sent: the invoice was voided before it left", "Email non inviata: la fattura è stata annullata prima della partenza", "Email no enviado: la factura se anuló antes de salir"),
    EventReminderCancelled => ("Reminder not sent: the invoice was paid or voided before it left", "Sollecito non inviato: la fattura è stata pagata o annullata prima della partenza", "Recordatorio no enviado: la factura se pagó o anuló antes de salir"),
    EventReminderFailed => ("Reminder failed", "Sollecito non consegnato", "Recordatorio fallido"),
    EventReminderQueued => ("Reminder queued", "Sollecito in coda", "Recordatorio en cola"),
    EventReminderSent => ("Reminder sent", "Sollecito inviato", "Recordatorio enviado"),
    Message => ("Message", "Messaggio", "Mensaje"),
    OldLinksHint => ("This customer's invoices were sent to these addresses, which are no longer theirs. Their links still open the invoices.", "Le fatture di questo cliente sono state inviate a questi indirizzi, che non sono più i suoi. I loro link aprono ancora le fatture.", "Las facturas de este cliente se enviaron a estas direcciones, que ya no son suyas. Sus enlaces todavía abren las facturas."),
    OldLinksTitle => ("Links sent to earlier addresses", "Link inviati a indirizzi precedenti", "Enlaces enviados a direcciones anteriores"),
    Preview => ("Preview", "Anteprima", "Vista previa"),
    PreviewHint => ("Exactly what the customer receives; the real link is made when you send.", "Esattamente ciò che riceve il cliente; il link vero viene creato all'invio.", "Exactamente lo que recibe el cliente; el enlace real se crea al enviar."),
    ReminderMessage => ("Reminder message", "Messaggio del sollecito", "Mensaje del recordatorio"),
    ReminderSubject => ("Reminder subject", "Oggetto del sollecito", "Asunto del recordatorio"),
    RepliesGoTo => ("Replies go to", "Le risposte vanno a", "Las respuestas van a"),
    Retrying => ("Retrying", "Nuovo tentativo", "Reintentando"),
    Revoke => ("Revoke", "Revoca", "Revocar"),
    RevokeAll => ("Revoke these links", "Revoca questi link", "Revocar estos enlaces"),
    Revoked => ("Revoked", "Revocato", "Revocado"),
    Send => ("Send", "Invia", "Enviar"),
    SendInvoiceTitle => ("Send invoice", "Invia la fattura", "Enviar la factura"),
    SendReminder => ("Send reminder", "Invia sollecito", "Enviar recordatorio"),
    SendReminderTitle => ("Send a reminder for invoice", "Invia un sollecito per la fattura", "Enviar un recordatorio de la factura"),
    SendingDisabled => ("Sending by email is turned off for this store.", "L'invio via email è disattivato per questo negozio.", "El envío por email está desactivado para esta tienda."),
    OpenStoreSettings => ("Turn it on in the store's settings", "Attivalo nelle impostazioni del negozio", "Actívalo en los ajustes de la tienda"),
    SentLinks => ("Links sent", "Link inviati", "Enlaces enviados"),
    SentLinksHint => ("Each send makes new links; earlier ones keep working until you revoke them.", "Ogni invio crea nuovi link; quelli precedenti restano validi finché non li revochi.", "Cada envío crea enlaces nuevos; los anteriores siguen funcionando hasta que los revoques."),
    SentTo => ("Sent to", "Inviato a", "Enviado a"),
    Subject => ("Subject", "Oggetto", "Asunto"),
    To => ("To", "A", "Para"),
    ToHint => ("Separate several addresses with ;", "Separa più indirizzi con ;", "Separa varias direcciones con ;"),
    Actions => ("Actions", "Azioni", "Acciones"),
    ActionsFor => ("Actions for", "Azioni per", "Acciones para"),
    AddCustomer => ("Add customer", "Aggiungi cliente", "Añadir cliente"),
    AddLine => ("Add line", "Aggiungi riga", "Añadir línea"),
    AddStaff => ("Add staff member", "Aggiungi collaboratore", "Añadir colaborador"),
    AddStaffHelp => ("They sign in with this email and password, and see everything in this organisation.", "Accederà con questa email e password e vedrà tutto in questa organizzazione.", "Accederá con este email y contraseña y verá todo en esta organización."),
    AddStore => ("Add store", "Aggiungi negozio", "Añadir tienda"),
    Address => ("Address", "Indirizzo", "Dirección"),
    AddressListHint => ("Addresses separated by ;", "Indirizzi separati da ;", "Direcciones separadas por ;"),
    AllStatuses => ("All", "Tutti", "Todos"),
    Amount => ("Amount", "Importo", "Importe"),
    AmountDue => ("Amount due", "Da pagare", "Pendiente"),
    AmountPaid => ("Amount paid", "Pagato", "Pagado"),
    Apply => ("Apply", "Applica", "Aplicar"),
    Ascending => ("Ascending", "Crescente", "Ascendente"),
    Automated => ("automated", "automatico", "automático"),
    BackToCustomers => ("← Customers", "← Clienti", "← Clientes"),
    BackToInvoices => ("← Customer invoices", "← Fatture clienti", "← Facturas de clientes"),
    BackToStores => ("← Stores", "← Negozi", "← Tiendas"),
    BusinessName => ("Business name", "Ragione sociale", "Nombre de la empresa"),
    ChooseCustomer => ("Choose a customer…", "Scegli un cliente…", "Elige un cliente…"),
    CopiesTo => ("Send copies to", "Invia copie a", "Enviar copias a"),
    CorrectHighlighted => ("Please correct the highlighted fields.", "Correggi i campi evidenziati.", "Corrige los campos resaltados."),
    CreateAccount => ("Create account", "Crea account", "Crear cuenta"),
    Currency => ("Currency", "Valuta", "Moneda"),
    Customer => ("Customer", "Cliente", "Cliente"),
    CustomerInvoices => ("Customer invoices", "Fatture clienti", "Facturas de clientes"),
    CustomerLanguage => ("Customer's language", "Lingua del cliente", "Idioma del cliente"),
    Customers => ("Customers", "Clienti", "Clientes"),
    Date => ("Date", "Data", "Fecha"),
    DefaultLanguage => ("Default language", "Lingua predefinita", "Idioma predeterminado"),
    Delete => ("Delete", "Elimina", "Eliminar"),
    Deleted => ("Deleted", "Eliminato", "Eliminado"),
    Descending => ("Descending", "Decrescente", "Descendente"),
    Description => ("Description", "Descrizione", "Descripción"),
    DownloadPdf => ("Download PDF", "Scarica PDF", "Descargar PDF"),
    DownloadReceipt => ("Download receipt (80 mm)", "Scarica scontrino (80 mm)", "Descargar recibo (80 mm)"),
    Draft => ("Draft", "Bozza", "Borrador"),
    DueDate => ("Due date", "Scadenza", "Vencimiento"),
    Duplicate => ("Duplicate", "Duplica", "Duplicar"),
    EditCustomer => ("Edit customer", "Modifica cliente", "Editar cliente"),
    EditDraft => ("Edit draft", "Modifica bozza", "Editar borrador"),
    Email => ("Email", "Email", "Email"),
    EmailEnabled => ("Send invoices by email from this store", "Invia le fatture via email da questo negozio", "Enviar facturas por email desde esta tienda"),
    EmailInvoicesAutomatically => ("Send invoices by email automatically", "Invia automaticamente le fatture via email", "Enviar facturas por email automáticamente"),
    EmailMessage => ("Email message", "Messaggio email", "Mensaje del email"),
    EmailSent => ("Email sent", "Email inviata", "Email enviado"),
    EmailSettings => ("Email", "Email", "Email"),
    EmailSubject => ("Email subject", "Oggetto email", "Asunto del email"),
    EmailTemplate => ("Document sent by email", "Documento inviato via email", "Documento enviado por email"),
    ErrorEdgeUnavailable => ("The customer page could not be updated, so nothing was sent. Please try again in a minute.", "Non è stato possibile aggiornare la pagina del cliente, quindi non è stato inviato nulla. Riprova tra un minuto.", "No se pudo actualizar la página del cliente, así que no se envió nada. Inténtalo de nuevo en un minuto."),
    ErrorNotFound => ("This does not exist, or it belongs to another organisation.", "Non esiste, oppure appartiene a un'altra organizzazione.", "No existe, o pertenece a otra organización."),
    ErrorOwnerOnly => ("Only the owner of the organisation can do this.", "Solo il titolare dell'organizzazione può farlo.", "Solo el titular de la organización puede hacerlo."),
    ErrorRequest => ("Could not reach Invio. Check your connection and try again.", "Impossibile raggiungere Invio. Controlla la connessione e riprova.", "No se pudo contactar con Invio. Comprueba la conexión e inténtalo de nuevo."),
    ErrorSignedOut => ("Your session has ended. Please sign in again.", "La sessione è scaduta. Accedi di nuovo.", "Tu sesión ha terminado. Vuelve a iniciar sesión."),
    ErrorUnavailable => ("Something went wrong on our side. Your data is safe; please try again.", "Qualcosa è andato storto da parte nostra. I tuoi dati sono al sicuro; riprova.", "Algo ha fallado por nuestra parte. Tus datos están a salvo; inténtalo de nuevo."),
    EventCreated => ("Draft created", "Bozza creata", "Borrador creado"),
    EventDownloaded => ("PDF downloaded", "PDF scaricato", "PDF descargado"),
    EventEmailFailed => ("Email failed", "Email non consegnata", "Email fallido"),
    EventEmailQueued => ("Email queued", "Email in coda", "Email en cola"),
    EventEmailSent => ("Email sent", "Email inviata", "Email enviado"),
    EventIssued => ("Issued", "Emessa", "Emitida"),
    EventLinkFetched => ("Link fetched", "Link richiesto", "Enlace solicitado"),
    EventOpened => ("Opened by the customer", "Aperta dal cliente", "Abierta por el cliente"),
    EventPaymentDeleted => ("Payment deleted:", "Pagamento eliminato:", "Pago eliminado:"),
    EventPaymentRecorded => ("Payment recorded:", "Pagamento registrato:", "Pago registrado:"),
    EventPrinted => ("Printed", "Stampata", "Impresa"),
    EventVoided => ("Voided", "Annullata", "Anulada"),
    Failed => ("Failed", "Non consegnata", "Fallido"),
    FailureNotify => ("Notify of delivery failures", "Avvisa dei mancati recapiti", "Avisar de entregas fallidas"),
    FirstPage => ("« First page", "« Prima pagina", "« Primera página"),
    HaveAccount => ("Already have an account?", "Hai già un account?", "¿Ya tienes una cuenta?"),
    History => ("History", "Cronologia", "Historial"),
    DeviceDesktop => ("computer", "computer", "ordenador"),
    DeviceTablet => ("tablet", "tablet", "tableta"),
    DevicePhone => ("phone", "telefono", "móvil"),
    DeviceUnknown => ("unknown device", "dispositivo sconosciuto", "dispositivo desconocido"),
    HistoryShow => ("Show", "Mostra", "Mostrar"),
    HistoryEverything => ("Everything", "Tutto", "Todo"),
    HistoryCustomer => ("What the customer did", "Cosa ha fatto il cliente", "Lo que hizo el cliente"),
    HistoryEmails => ("Emails and links", "Email e link", "Emails y enlaces"),
    HistoryPayments => ("Payments", "Pagamenti", "Pagos"),
    HistoryAutomated => ("Automated fetches", "Accessi automatici", "Accesos automáticos"),
    HistoryEmpty => ("Nothing of this kind yet.", "Ancora niente di questo tipo.", "Todavía nada de este tipo."),
    Invoice => ("Invoice", "Fattura", "Factura"),
    Invoices => ("Invoices", "Fatture", "Facturas"),
    IssueDate => ("Issue date", "Data di emissione", "Fecha de emisión"),
    IssueDateHint => ("Leave empty to use the day it is issued.", "Lascia vuoto per usare il giorno di emissione.", "Déjalo vacío para usar el día de emisión."),
    Language => ("Language", "Lingua", "Idioma"),
    LayoutA4 => ("A4 page", "Pagina A4", "Página A4"),
    LayoutReceipt => ("80 mm receipt", "Scontrino 80 mm", "Recibo 80 mm"),
    Lines => ("Lines", "Righe", "Líneas"),
    Loading => ("Loading…", "Caricamento…", "Cargando…"),
    MainNavigation => ("Main", "Principale", "Principal"),
    Method => ("Method", "Metodo", "Método"),
    Name => ("Name", "Nome", "Nombre"),
    NewCustomer => ("New customer", "Nuovo cliente", "Nuevo cliente"),
    NewInvoice => ("New invoice", "Nuova fattura", "Nueva factura"),
    NewStore => ("New store", "Nuovo negozio", "Nueva tienda"),
    NextPage => ("Next page »", "Pagina successiva »", "Página siguiente »"),
    No => ("No", "No", "No"),
    NoAccountYet => ("New to Invio?", "Nuovo su Invio?", "¿Nuevo en Invio?"),
    NoCustomersMatch => ("No customer matches this search.", "Nessun cliente corrisponde alla ricerca.", "Ningún cliente coincide con la búsqueda."),
    NoCustomersYet => ("No customers yet.", "Ancora nessun cliente.", "Todavía no hay clientes."),
    NoInvoicesHelp => ("Write your first invoice: save it as a draft, issue it with the next number, and email it to your customer as a link.", "Scrivi la tua prima fattura: salvala come bozza, emettila con il numero successivo e inviala al cliente come link via email.", "Escribe tu primera factura: guárdala como borrador, emítela con el número siguiente y envíala a tu cliente como enlace por email."),
    NoInvoicesMatch => ("No invoice matches these filters.", "Nessuna fattura corrisponde ai filtri.", "Ninguna factura coincide con los filtros."),
    NoInvoicesYet => ("No invoices yet", "Ancora nessuna fattura", "Todavía no hay facturas"),
    NoPaymentsYet => ("No payments recorded yet.", "Nessun pagamento registrato.", "Todavía no hay pagos registrados."),
    Notes => ("Notes", "Note", "Notas"),
    NotesHint => ("Printed under the lines: payment terms, bank details, thanks.", "Stampate sotto le righe: condizioni di pagamento, IBAN, ringraziamenti.", "Se imprimen bajo las líneas: condiciones de pago, IBAN, agradecimientos."),
    Number => ("Number", "Numero", "Número"),
    NumberFormat => ("Numbering", "Numerazione", "Numeración"),
    NumberFormatHint => ("{YYYY} year, {YY} short year, {NNNN} number padded to 4 digits, e.g. FT/{YY}/{NNN}", "{YYYY} anno, {YY} anno breve, {NNNN} numero a 4 cifre, es. FT/{YY}/{NNN}", "{YYYY} año, {YY} año corto, {NNNN} número con 4 cifras, p. ej. FT/{YY}/{NNN}"),
    Open => ("Open", "Apri", "Abrir"),
    Opened => ("Opened", "Aperta", "Abierta"),
    Opens => ("opens", "aperture", "aperturas"),
    Order => ("Order", "Ordine", "Orden"),
    Owner => ("Owner", "Titolare", "Titular"),
    Pages => ("Pages", "Pagine", "Páginas"),
    Password => ("Password", "Password", "Contraseña"),
    PasswordHint => ("At least 10 characters.", "Almeno 10 caratteri.", "Al menos 10 caracteres."),
    Payments => ("Payments", "Pagamenti", "Pagos"),
    PrintTemplate => ("Document for printing", "Documento per la stampa", "Documento para imprimir"),
    Quantity => ("Quantity", "Quantità", "Cantidad"),
    Queued => ("Queued", "In coda", "En cola"),
    RecordPayment => ("Record payment", "Registra pagamento", "Registrar pago"),
    Reference => ("Reference", "Riferimento", "Referencia"),
    ReminderSchedule => ("Reminders (days from the due date)", "Solleciti (giorni dalla scadenza)", "Recordatorios (días desde el vencimiento)"),
    ReminderScheduleHint => ("e.g. -3, 7, 14: three days before, then one and two weeks after. Sent for unpaid invoices already emailed to the customer; empty: no reminders.", "es. -3, 7, 14: tre giorni prima, poi una e due settimane dopo. Inviati per le fatture non pagate già spedite via email al cliente; vuoto: nessun sollecito.", "p. ej. -3, 7, 14: tres días antes, luego una y dos semanas después. Se envían para las facturas impagadas ya enviadas por email al cliente; vacío: sin recordatorios."),
    RemoveLine => ("Remove line", "Rimuovi riga", "Quitar línea"),
    ReplyTo => ("Reply-to address", "Indirizzo di risposta", "Dirección de respuesta"),
    Role => ("Role", "Ruolo", "Rol"),
    Sales => ("Sales", "Vendite", "Ventas"),
    Save => ("Save", "Salva", "Guardar"),
    SaveAndIssue => ("Save and issue", "Salva ed emetti", "Guardar y emitir"),
    SaveDraft => ("Save draft", "Salva bozza", "Guardar borrador"),
    Saved => ("Saved.", "Salvato.", "Guardado."),
    Search => ("Search", "Cerca", "Buscar"),
    SearchCustomersHint => ("Name or email", "Nome o email", "Nombre o email"),
    SearchInvoicesHint => ("Customer or number", "Cliente o numero", "Cliente o número"),
    SendAgain => ("Send again", "Invia di nuovo", "Enviar de nuevo"),
    SendByEmail => ("Send via email", "Invia tramite email", "Enviar por email"),
    SendsAutomatically => ("Automatic email", "Email automatica", "Email automático"),
    SignIn => ("Sign in", "Accedi", "Iniciar sesión"),
    SignInTitle => ("Sign in to Invio", "Accedi a Invio", "Inicia sesión en Invio"),
    SignOut => ("Sign out", "Esci", "Cerrar sesión"),
    SignUpIntro => ("Create your organisation: you will be its owner and can add your staff later.", "Crea la tua organizzazione: ne sarai il titolare e potrai aggiungere i collaboratori in seguito.", "Crea tu organización: serás su titular y podrás añadir colaboradores más tarde."),
    SignUpTitle => ("Create your Invio account", "Crea il tuo account Invio", "Crea tu cuenta de Invio"),
    SkipToContent => ("Skip to content", "Vai al contenuto", "Ir al contenido"),
    SortBy => ("Sort by", "Ordina per", "Ordenar por"),
    Staff => ("Staff", "Collaboratore", "Colaborador"),
    Status => ("Status", "Stato", "Estado"),
    Store => ("Store", "Negozio", "Tienda"),
    StoreDetails => ("Details", "Dati", "Datos"),
    StoreSettings => ("Store settings", "Impostazioni negozio", "Ajustes de la tienda"),
    Stores => ("Stores", "Negozi", "Tiendas"),
    Subtotal => ("Subtotal", "Imponibile", "Base imponible"),
    Tax => ("Tax", "IVA", "IVA"),
    TaxId => ("Tax ID", "Partita IVA / C.F.", "NIF"),
    TaxRate => ("Tax %", "IVA %", "IVA %"),
    Team => ("Team", "Utenti", "Equipo"),
    TemplateHint => ("Empty uses Invio's wording in the customer's language. Variables: {customer}, {number}, {total}, {amount_due}, {due_date}, {days_overdue}, {store}.", "Vuoto usa il testo di Invio nella lingua del cliente. Variabili: {customer}, {number}, {total}, {amount_due}, {due_date}, {days_overdue}, {store}.", "Vacío usa el texto de Invio en el idioma del cliente. Variables: {customer}, {number}, {total}, {amount_due}, {due_date}, {days_overdue}, {store}."),
    Total => ("Total", "Totale", "Total"),
    UnitPrice => ("Unit price", "Prezzo unitario", "Precio unitario"),
    Unpaid => ("Unpaid", "Da incassare", "Pendientes de cobro"),
    Void => ("Void", "Annulla", "Anular"),
    Yes => ("Yes", "Sì", "Sí"),
    YourName => ("Your name", "Il tuo nome", "Tu nombre"),
}

/// The merchant's language, reactive: switching it re-renders every text.
pub fn use_language() -> RwSignal<Language> {
    use_context::<RwSignal<Language>>().unwrap_or_else(|| RwSignal::new(Language::En))
}

pub fn provide_language(language: Language) {
    provide_context(RwSignal::new(language));
}

/// The text of `key` in the current language, as a reactive view.
pub fn t(key: T) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let language = use_language();
    move || tr(language.get(), key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_speaks_each_language() {
        assert_eq!(tr(Language::It, T::CustomerInvoices), "Fatture clienti");
        assert_eq!(
            tr(Language::Es, T::CustomerInvoices),
            "Facturas de clientes"
        );
        assert_eq!(tr(Language::En, T::SendByEmail), "Send via email");
    }
}
