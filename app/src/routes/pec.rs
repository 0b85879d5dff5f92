//! The store's PEC mailbox, on its settings page: the certified mailbox the
//! store's FatturaPA files leave by for SdI and SdI's receipts are read
//! from. The password is never sent back: the form says whether one is set
//! and takes a new one to replace it. Beside it, whether the mailbox can be
//! read (and since when it cannot), a receipt uploaded by hand, and the
//! receipts that matched no invoice, each assignable to one (the owner's).

use invoice::dates::Date;
use invoice::pec::{PecMailboxInput, PecMailboxView, UnmatchedReceipt};
use invoice::Language;
use leptos::prelude::*;

use crate::api::{AdminError, CurrentUser, Role, Viewer};
use crate::components::error_message;
use crate::i18n::use_language;

/// The store's mailbox as its form shows it.
#[server]
pub async fn get_pec_mailbox(store_id: i64) -> Result<Option<PecMailboxView>, AdminError> {
    use self::ssr::*;
    use crate::api::ssr::user;
    pec_backend()?.mailbox_form(&user()?, store_id).await
}

/// Saves the store's mailbox; the answer is each refused field's message in
/// the user's language (empty: saved). Posted without JavaScript, the
/// server answers with the store's page, the outcome in its address
/// (`?pec=saved`, or each refusal as `pec_refused=field:message`).
#[server]
pub async fn save_pec_mailbox(
    store_id: i64,
    input: PecMailboxInput,
) -> Result<Vec<(String, String)>, AdminError> {
    use self::ssr::*;
    use crate::api::ssr::{redirect_plain_form, user};
    use crate::routes::invoices::url_escape;
    let problems = pec_backend()?
        .save_mailbox_form(&user()?, store_id, input)
        .await?;
    let outcome = if problems.is_empty() {
        "pec=saved".to_owned()
    } else {
        problems
            .iter()
            .map(|(field, message)| {
                format!("pec_refused={}", url_escape(&format!("{field}:{message}")))
            })
            .collect::<Vec<_>>()
            .join("&")
    };
    redirect_plain_form(&format!("/stores/{store_id}?{outcome}#pec"));
    Ok(problems)
}

#[server]
pub async fn list_unmatched_receipts() -> Result<Vec<UnmatchedReceipt>, AdminError> {
    use self::ssr::*;
    use crate::api::ssr::user;
    pec_backend()?.receipts_unmatched(&user()?).await
}

/// Puts an unmatched receipt in the history of the invoice with this number.
#[server]
pub async fn assign_sdi_receipt(receipt_id: i64, invoice_number: String) -> Result<(), AdminError> {
    use self::ssr::*;
    use crate::api::ssr::user;
    pec_backend()?
        .assign_unmatched(&user()?, receipt_id, invoice_number.trim())
        .await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::Arc;

    use super::*;

    /// What the card asks of the server, put in the server functions'
    /// context beside the admin's backend.
    #[async_trait::async_trait]
    pub trait PecBackend: Send + Sync + 'static {
        async fn mailbox_form(
            &self,
            user: &CurrentUser,
            store_id: i64,
        ) -> Result<Option<PecMailboxView>, AdminError>;
        async fn save_mailbox_form(
            &self,
            user: &CurrentUser,
            store_id: i64,
            input: PecMailboxInput,
        ) -> Result<Vec<(String, String)>, AdminError>;
        async fn receipts_unmatched(
            &self,
            user: &CurrentUser,
        ) -> Result<Vec<UnmatchedReceipt>, AdminError>;
        async fn assign_unmatched(
            &self,
            user: &CurrentUser,
            receipt_id: i64,
            invoice_number: &str,
        ) -> Result<(), AdminError>;
    }

    pub type PecBackendRef = Arc<dyn PecBackend>;

    pub fn pec_backend() -> Result<PecBackendRef, AdminError> {
        use_context::<PecBackendRef>().ok_or_else(|| {
            tracing::error!("the PEC backend is missing from the server function context");
            AdminError::Unavailable
        })
    }
}

/// The card's words.
#[derive(Clone, Copy)]
enum W {
    Title,
    Intro,
    Address,
    SmtpUrl,
    SmtpHint,
    ImapHost,
    ImapPort,
    Username,
    Password,
    PasswordSet,
    PasswordNew,
    Save,
    Saved,
    Reading,
    NotYetRead,
    Unreachable,
    OwnerOnly,
    UploadTitle,
    UploadHint,
    Upload,
    UnmatchedTitle,
    UnmatchedNone,
    InvoiceNumber,
    Assign,
    Uploaded(&'static str),
}

fn w(language: Language, word: W) -> &'static str {
    use Language::{En, Es, It};
    match (word, language) {
        (W::Title, It) => "Casella PEC per lo SdI",
        (W::Title, Es) => "Buzón PEC para el SdI",
        (W::Title, En) => "PEC mailbox for SdI",
        (W::Intro, It) => "Le fatture elettroniche partono da questa casella verso lo SdI, e le sue ricevute vi arrivano.",
        (W::Intro, Es) => "Las facturas electrónicas salen de este buzón hacia el SdI, y sus recibos llegan a él.",
        (W::Intro, En) => "Electronic invoices leave from this mailbox for SdI, and its receipts arrive in it.",
        (W::Address, It) => "Indirizzo PEC",
        (W::Address, Es) => "Dirección PEC",
        (W::Address, En) => "PEC address",
        (W::SmtpUrl, It) => "Server SMTP",
        (W::SmtpUrl, Es) => "Servidor SMTP",
        (W::SmtpUrl, En) => "SMTP server",
        (W::SmtpHint, It) => "Es. smtps://smtps.pec.example.it:465",
        (W::SmtpHint, Es) => "P. ej. smtps://smtps.pec.example.it:465",
        (W::SmtpHint, En) => "E.g. smtps://smtps.pec.example.it:465",
        (W::ImapHost, It) => "Server IMAP",
        (W::ImapHost, Es) => "Servidor IMAP",
        (W::ImapHost, En) => "IMAP server",
        (W::ImapPort, It) => "Porta IMAP",
        (W::ImapPort, Es) => "Puerto IMAP",
        (W::ImapPort, En) => "IMAP port",
        (W::Username, It) => "Utente",
        (W::Username, Es) => "Usuario",
        (W::Username, En) => "User name",
        (W::Password, It) => "Password",
        (W::Password, Es) => "Contraseña",
        (W::Password, En) => "Password",
        (W::PasswordSet, It) => "Impostata: scrivine una nuova per sostituirla",
        (W::PasswordSet, Es) => "Establecida: escriba una nueva para sustituirla",
        (W::PasswordSet, En) => "Set: type a new one to replace it",
        (W::PasswordNew, It) => "La password della casella PEC",
        (W::PasswordNew, Es) => "La contraseña del buzón PEC",
        (W::PasswordNew, En) => "The PEC mailbox's password",
        (W::Save, It) => "Salva la casella PEC",
        (W::Save, Es) => "Guardar el buzón PEC",
        (W::Save, En) => "Save the PEC mailbox",
        (W::Saved, It) => "Casella PEC salvata.",
        (W::Saved, Es) => "Buzón PEC guardado.",
        (W::Saved, En) => "PEC mailbox saved.",
        (W::Reading, It) => "Letta l'ultima volta il",
        (W::Reading, Es) => "Leído por última vez el",
        (W::Reading, En) => "Last read on",
        (W::NotYetRead, It) => "Non ancora letta.",
        (W::NotYetRead, Es) => "Aún no leído.",
        (W::NotYetRead, En) => "Not read yet.",
        (W::Unreachable, It) => "Invio non riesce a leggere la casella dal",
        (W::Unreachable, Es) => "Invio no puede leer el buzón desde el",
        (W::Unreachable, En) => "Invio cannot read the mailbox since",
        (W::OwnerOnly, It) => "Solo il titolare può cambiare la casella PEC.",
        (W::OwnerOnly, Es) => "Solo el titular puede cambiar el buzón PEC.",
        (W::OwnerOnly, En) => "Only the owner can change the PEC mailbox.",
        (W::UploadTitle, It) => "Carica una ricevuta dello SdI",
        (W::UploadTitle, Es) => "Subir un recibo del SdI",
        (W::UploadTitle, En) => "Upload an SdI receipt",
        (W::UploadHint, It) => "Il file XML della ricevuta (es. IT01234567890_11111_RC_001.xml).",
        (W::UploadHint, Es) => "El archivo XML del recibo (p. ej. IT01234567890_11111_RC_001.xml).",
        (W::UploadHint, En) => "The receipt's XML file (e.g. IT01234567890_11111_RC_001.xml).",
        (W::Upload, It) => "Carica",
        (W::Upload, Es) => "Subir",
        (W::Upload, En) => "Upload",
        (W::UnmatchedTitle, It) => "Ricevute senza fattura",
        (W::UnmatchedTitle, Es) => "Recibos sin factura",
        (W::UnmatchedTitle, En) => "Receipts that match no invoice",
        (W::UnmatchedNone, It) => "Nessuna.",
        (W::UnmatchedNone, Es) => "Ninguno.",
        (W::UnmatchedNone, En) => "None.",
        (W::InvoiceNumber, It) => "Numero della fattura",
        (W::InvoiceNumber, Es) => "Número de la factura",
        (W::InvoiceNumber, En) => "Invoice number",
        (W::Assign, It) => "Assegna",
        (W::Assign, Es) => "Asignar",
        (W::Assign, En) => "Assign",
        (W::Uploaded("matched"), It) => "Ricevuta registrata nella cronologia della sua fattura.",
        (W::Uploaded("matched"), Es) => "Recibo registrado en el historial de su factura.",
        (W::Uploaded("matched"), En) => "Receipt recorded in its invoice's history.",
        (W::Uploaded("unmatched"), It) => "La ricevuta non corrisponde a nessuna fattura: è nell'elenco qui sotto.",
        (W::Uploaded("unmatched"), Es) => "El recibo no corresponde a ninguna factura: está en la lista de abajo.",
        (W::Uploaded("unmatched"), En) => "The receipt matches no invoice: it is in the list below.",
        (W::Uploaded(_), It) => "Questa ricevuta era già registrata.",
        (W::Uploaded(_), Es) => "Este recibo ya estaba registrado.",
        (W::Uploaded(_), En) => "This receipt was already recorded.",
    }
}

fn day(ms: i64, language: Language) -> String {
    Date::from_unix_millis(ms).format(language)
}

/// The PEC card of a store's settings page.
#[component]
pub fn PecMailboxCard(store_id: i64) -> impl IntoView {
    let language = use_language();
    let is_owner = use_context::<Viewer>()
        .and_then(|viewer| viewer.user)
        .is_some_and(|user: CurrentUser| user.role == Role::Owner);
    let save = ServerAction::<SavePecMailbox>::new();
    let assign = ServerAction::<AssignSdiReceipt>::new();
    let mailbox = Resource::new(
        move || save.version().get(),
        move |_| get_pec_mailbox(store_id),
    );
    let unmatched = Resource::new(
        move || assign.version().get(),
        move |_| list_unmatched_receipts(),
    );
    let uploaded = leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("sdi_receipt")
        .and_then(|outcome| match outcome.as_str() {
            "matched" => Some("matched"),
            "unmatched" => Some("unmatched"),
            "again" => Some("again"),
            _ => None,
        });
    // The outcome of a save posted as a plain form, from the page's address.
    let query = leptos_router::hooks::use_query_map().get_untracked();
    let saved_plainly = query.get("pec").as_deref() == Some("saved");
    let refused_plainly: StoredValue<Vec<(String, String)>> = StoredValue::new(
        query
            .get_all("pec_refused")
            .unwrap_or_default()
            .into_iter()
            .filter_map(|refusal| {
                let (field, message) = refusal.split_once(':')?;
                Some((field.to_owned(), message.to_owned()))
            })
            .collect(),
    );
    let problems = move || match save.value().get() {
        Some(Ok(problems)) => problems,
        _ => refused_plainly.get_value(),
    };
    let problem = move |field: &'static str| {
        move || {
            problems()
                .into_iter()
                .find(|(name, _)| name == field)
                .map(|(_, message)| view! { <p class="field-error" role="alert">{message}</p> })
        }
    };
    view! {
        <section class="card pec-mailbox" id="pec">
            <h2>{move || w(language.get(), W::Title)}</h2>
            <p class="muted">{move || w(language.get(), W::Intro)}</p>
            <Transition fallback=|| ()>
                {move || mailbox.get().map(|result| match result {
                    Ok(current) => {
                        let current = current.unwrap_or(PecMailboxView {
                            pec_address: String::new(),
                            smtp_url: String::new(),
                            imap_host: String::new(),
                            imap_port: invoice::pec::IMAPS_PORT,
                            username: String::new(),
                            has_password: false,
                            last_read_at: None,
                            last_error: None,
                            failing_since: None,
                        });
                        let status = match (&current.failing_since, &current.last_error, current.last_read_at) {
                            (Some(since), error, _) => view! {
                                <p class="alert" role="alert">
                                    {format!("{} {}: {}", w(language.get(), W::Unreachable), day(*since, language.get()), error.clone().unwrap_or_default())}
                                </p>
                            }.into_any(),
                            (None, _, Some(read)) => view! {
                                <p class="muted">{format!("{} {}", w(language.get(), W::Reading), day(read, language.get()))}</p>
                            }.into_any(),
                            (None, _, None) if current.has_password => view! {
                                <p class="muted">{w(language.get(), W::NotYetRead)}</p>
                            }.into_any(),
                            (None, _, None) => ().into_any(),
                        };
                        let password_hint = if current.has_password { W::PasswordSet } else { W::PasswordNew };
                        view! {
                            {status}
                            <ActionForm action=save>
                                <input type="hidden" name="store_id" value=store_id.to_string() />
                                <fieldset class="grid" disabled=!is_owner>
                                    {(!is_owner).then(|| view! { <p class="muted wide">{w(language.get(), W::OwnerOnly)}</p> })}
                                    <div class="field">
                                        <label for="pec-address">{w(language.get(), W::Address)}</label>
                                        <input id="pec-address" type="email" name="input[pec_address]" value=current.pec_address />
                                        {problem("pec_address")}
                                    </div>
                                    <div class="field">
                                        <label for="pec-smtp">{w(language.get(), W::SmtpUrl)}</label>
                                        <input id="pec-smtp" type="text" name="input[smtp_url]" value=current.smtp_url placeholder=w(language.get(), W::SmtpHint) />
                                        {problem("smtp_url")}
                                    </div>
                                    <div class="field">
                                        <label for="pec-imap-host">{w(language.get(), W::ImapHost)}</label>
                                        <input id="pec-imap-host" type="text" name="input[imap_host]" value=current.imap_host />
                                        {problem("imap_host")}
                                    </div>
                                    <div class="field">
                                        <label for="pec-imap-port">{w(language.get(), W::ImapPort)}</label>
                                        <input id="pec-imap-port" type="text" inputmode="numeric" name="input[imap_port]" value=current.imap_port.to_string() />
                                        {problem("imap_port")}
                                    </div>
                                    <div class="field">
                                        <label for="pec-username">{w(language.get(), W::Username)}</label>
                                        <input id="pec-username" type="text" autocomplete="off" name="input[username]" value=current.username />
                                        {problem("username")}
                                    </div>
                                    <div class="field">
                                        <label for="pec-password">{w(language.get(), W::Password)}</label>
                                        <input id="pec-password" type="password" autocomplete="new-password" name="input[password]" value="" placeholder=w(language.get(), password_hint) />
                                        <p class="hint">{w(language.get(), password_hint)}</p>
                                        {problem("password")}
                                    </div>
                                </fieldset>
                                {move || (saved_plainly || matches!(save.value().get(), Some(Ok(problems)) if problems.is_empty()))
                                    .then(|| view! { <p class="notice" role="status">{w(language.get(), W::Saved)}</p> })}
                                {move || match save.value().get() {
                                    Some(Err(error)) => Some(view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }),
                                    _ => None,
                                }}
                                <div class="form-actions">
                                    <button type="submit" class="primary" disabled=move || !is_owner || save.pending().get()>{w(language.get(), W::Save)}</button>
                                </div>
                            </ActionForm>
                        }.into_any()
                    }
                    Err(error) => view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }.into_any(),
                })}
            </Transition>

            <h3>{move || w(language.get(), W::UploadTitle)}</h3>
            {uploaded.map(|outcome| view! { <p class="notice" role="status">{move || w(language.get(), W::Uploaded(outcome))}</p> })}
            <form method="post" action="/sdi/receipts" enctype="multipart/form-data">
                <input type="hidden" name="return_to" value=format!("/stores/{store_id}") />
                <div class="field">
                    <label for="sdi-receipt-file">{move || w(language.get(), W::UploadHint)}</label>
                    <input id="sdi-receipt-file" type="file" name="file" accept=".xml,application/xml,text/xml" required />
                </div>
                <div class="form-actions">
                    <button type="submit">{move || w(language.get(), W::Upload)}</button>
                </div>
            </form>

            {is_owner.then(|| view! {
                <h3>{move || w(language.get(), W::UnmatchedTitle)}</h3>
                <Transition fallback=|| ()>
                    {move || unmatched.get().map(|result| match result {
                        Ok(receipts) if receipts.is_empty() => view! { <p class="muted">{w(language.get(), W::UnmatchedNone)}</p> }.into_any(),
                        Ok(receipts) => view! {
                            <ul class="plain-list unmatched-receipts">
                                {receipts.into_iter().map(|receipt| {
                                    let kind = receipt.kind.code();
                                    view! {
                                        <li>
                                            <strong>{kind}</strong>
                                            " " {receipt.invoice_file.clone()}
                                            " · SdI " {receipt.sdi_id.clone()}
                                            " · " {day(receipt.received_at, language.get())}
                                            <ActionForm action=assign>
                                                <input type="hidden" name="receipt_id" value=receipt.id.to_string() />
                                                <label>
                                                    {w(language.get(), W::InvoiceNumber)} " "
                                                    <input type="text" name="invoice_number" required />
                                                </label>
                                                <button type="submit">{w(language.get(), W::Assign)}</button>
                                            </ActionForm>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }.into_any(),
                    })}
                </Transition>
                {move || match assign.value().get() {
                    Some(Err(error)) => Some(view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }),
                    _ => None,
                }}
            })}
        </section>
    }
}
