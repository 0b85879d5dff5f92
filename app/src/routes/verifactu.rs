//! The store's VERI*FACTU card, on its settings page: the certificate
//! Invio authenticates to the AEAT with (uploaded as the .p12/.pfx file the
//! FNMT issues, with its password, or as PEM; its subject, NIF and expiry
//! shown, never its key; replaced or removed by the owner), and how the
//! store's records are going to the AEAT: how many wait (the Orden asks to
//! tell the user), how many were rejected, and since when and why sending
//! fails. The upload is a plain multipart form (`/verifactu/certificate`)
//! that comes back here with the outcome in the query, each problem shown
//! beside its field.

use invoice::aeat::{valid_until, CertificateProblem, CertificateView, SendingStatus};
use invoice::dates::Date;
use invoice::Language;
use leptos::prelude::*;

use crate::api::{AdminError, CurrentUser, Role, Viewer};
use crate::components::error_message;
use crate::i18n::use_language;

/// The store's certificate and how its records are going.
#[server]
pub async fn get_verifactu_card(
    store_id: i64,
) -> Result<(Option<CertificateView>, SendingStatus), AdminError> {
    use self::ssr::*;
    use crate::api::ssr::user;
    verifactu_backend()?.card(&user()?, store_id).await
}

/// Removes the store's certificate (the owner's).
#[server]
pub async fn remove_verifactu_certificate(store_id: i64) -> Result<(), AdminError> {
    use self::ssr::*;
    use crate::api::ssr::user;
    verifactu_backend()?
        .remove_certificate(&user()?, store_id)
        .await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::Arc;

    use super::*;

    /// What the card asks of the server, put in the server functions'
    /// context beside the admin's backend.
    #[async_trait::async_trait]
    pub trait VerifactuBackend: Send + Sync + 'static {
        async fn card(
            &self,
            user: &CurrentUser,
            store_id: i64,
        ) -> Result<(Option<CertificateView>, SendingStatus), AdminError>;
        async fn remove_certificate(
            &self,
            user: &CurrentUser,
            store_id: i64,
        ) -> Result<(), AdminError>;
    }

    pub type VerifactuBackendRef = Arc<dyn VerifactuBackend>;

    pub fn verifactu_backend() -> Result<VerifactuBackendRef, AdminError> {
        use_context::<VerifactuBackendRef>().ok_or_else(|| {
            tracing::error!("the VERI*FACTU backend is missing from the server function context");
            AdminError::Unavailable
        })
    }
}

/// The card's words.
#[derive(Clone, Copy)]
enum W {
    Title,
    Intro,
    Subject,
    Nif,
    ValidUntil,
    Expired,
    NoCertificate,
    File,
    FileHint,
    Key,
    KeyHint,
    Password,
    Upload,
    Replace,
    Remove,
    Saved,
    OwnerOnly,
    Pending,
    NothingPending,
    Rejected,
    Failing,
    Retry,
    NeedsCertificate,
}

fn w(language: Language, word: W) -> &'static str {
    use Language::{En, Es, It};
    match (word, language) {
        (W::Title, It) => "VERI*FACTU: certificato per l'AEAT",
        (W::Title, Es) => "VERI*FACTU: certificado para la AEAT",
        (W::Title, En) => "VERI*FACTU: certificate for the AEAT",
        (W::Intro, It) => "Invio invia all'Agenzia Tributaria il registro di ogni fattura del negozio con questo certificato elettronico: il file .p12 o .pfx rilasciato dalla FNMT (del titolare, di un rappresentante o un certificato di sigillo), con la sua password.",
        (W::Intro, Es) => "Invio envía a la Agencia Tributaria el registro de cada factura de la tienda con este certificado electrónico: el archivo .p12 o .pfx que emite la FNMT (del titular, de un representante o de sello), con su contraseña.",
        (W::Intro, En) => "Invio sends each of the store's invoice records to the Spanish tax agency with this electronic certificate: the .p12 or .pfx file the FNMT issues (the holder's, a representative's or a seal certificate), with its password.",
        (W::Subject, It) => "Titolare",
        (W::Subject, Es) => "Titular",
        (W::Subject, En) => "Holder",
        (W::Nif, It) => "NIF",
        (W::Nif, Es) => "NIF",
        (W::Nif, En) => "NIF",
        (W::ValidUntil, It) => "Valido fino al",
        (W::ValidUntil, Es) => "Válido hasta el",
        (W::ValidUntil, En) => "Valid until",
        (W::Expired, It) => "Il certificato è scaduto: carica quello rinnovato.",
        (W::Expired, Es) => "El certificado ha caducado: suba el renovado.",
        (W::Expired, En) => "The certificate has expired: upload the renewed one.",
        (W::NoCertificate, It) => "Nessun certificato: i registri aspettano finché non ne carichi uno.",
        (W::NoCertificate, Es) => "Sin certificado: los registros esperan hasta que suba uno.",
        (W::NoCertificate, En) => "No certificate: the records wait until you upload one.",
        (W::File, It) => "File del certificato (.p12, .pfx o PEM)",
        (W::File, Es) => "Archivo del certificado (.p12, .pfx o PEM)",
        (W::File, En) => "Certificate file (.p12, .pfx or PEM)",
        (W::FileHint, It) => "Come lo hai scaricato dalla FNMT o esportato dal browser.",
        (W::FileHint, Es) => "Tal como lo descargó de la FNMT o lo exportó del navegador.",
        (W::FileHint, En) => "As downloaded from the FNMT or exported from the browser.",
        (W::Key, It) => "Chiave privata PEM (solo se non è nel file)",
        (W::Key, Es) => "Clave privada PEM (solo si no está en el archivo)",
        (W::Key, En) => "PEM private key (only if not in the file)",
        (W::KeyHint, It) => "Un file .p12 contiene già la chiave.",
        (W::KeyHint, Es) => "Un archivo .p12 ya contiene la clave.",
        (W::KeyHint, En) => "A .p12 file already holds the key.",
        (W::Password, It) => "Password del file",
        (W::Password, Es) => "Contraseña del archivo",
        (W::Password, En) => "The file's password",
        (W::Upload, It) => "Carica il certificato",
        (W::Upload, Es) => "Subir el certificado",
        (W::Upload, En) => "Upload the certificate",
        (W::Replace, It) => "Sostituisci il certificato",
        (W::Replace, Es) => "Sustituir el certificado",
        (W::Replace, En) => "Replace the certificate",
        (W::Remove, It) => "Rimuovi il certificato",
        (W::Remove, Es) => "Quitar el certificado",
        (W::Remove, En) => "Remove the certificate",
        (W::Saved, It) => "Certificato salvato: i registri in attesa partono ora.",
        (W::Saved, Es) => "Certificado guardado: los registros pendientes se envían ahora.",
        (W::Saved, En) => "Certificate saved: the waiting records are sent now.",
        (W::OwnerOnly, It) => "Solo il titolare può cambiare il certificato.",
        (W::OwnerOnly, Es) => "Solo el titular puede cambiar el certificado.",
        (W::OwnerOnly, En) => "Only the owner can change the certificate.",
        (W::Pending, It) => "Registri in attesa di invio all'AEAT:",
        (W::Pending, Es) => "Registros pendientes de envío a la AEAT:",
        (W::Pending, En) => "Records waiting to be sent to the AEAT:",
        (W::NothingPending, It) => "Tutti i registri sono stati inviati all'AEAT.",
        (W::NothingPending, Es) => "Todos los registros se han enviado a la AEAT.",
        (W::NothingPending, En) => "Every record has been sent to the AEAT.",
        (W::Rejected, It) => "Registri rifiutati dall'AEAT (la cronologia di ogni fattura dice cosa correggere):",
        (W::Rejected, Es) => "Registros rechazados por la AEAT (el historial de cada factura dice qué corregir):",
        (W::Rejected, En) => "Records rejected by the AEAT (each invoice's history says what to fix):",
        (W::Failing, It) => "L'invio all'AEAT non riesce dal",
        (W::Failing, Es) => "El envío a la AEAT falla desde el",
        (W::Failing, En) => "Sending to the AEAT fails since",
        (W::Retry, It) => "Invio riprova da solo, almeno ogni ora; i registri partiranno in ordine, segnalati come inviati dopo un'incidenza.",
        (W::Retry, Es) => "Invio lo reintenta solo, al menos cada hora; los registros saldrán en orden, marcados como enviados tras una incidencia.",
        (W::Retry, En) => "Invio retries by itself, at least hourly; the records will go in order, marked as sent after an incident.",
        (W::NeedsCertificate, It) => "Ci sono registri in attesa: carica un certificato valido per inviarli.",
        (W::NeedsCertificate, Es) => "Hay registros pendientes: suba un certificado válido para enviarlos.",
        (W::NeedsCertificate, En) => "Records are waiting: upload a valid certificate to send them.",
    }
}

fn day(ms: i64, language: Language) -> String {
    Date::from_unix_millis(ms).format(language)
}

/// The VERI*FACTU card of a store's settings page.
#[component]
pub fn VerifactuCard(store_id: i64) -> impl IntoView {
    let language = use_language();
    let is_owner = use_context::<Viewer>()
        .and_then(|viewer| viewer.user)
        .is_some_and(|user: CurrentUser| user.role == Role::Owner);
    let remove = ServerAction::<RemoveVerifactuCertificate>::new();
    let card = Resource::new(
        move || remove.version().get(),
        move |_| get_verifactu_card(store_id),
    );
    let query = leptos_router::hooks::use_query_map().get_untracked();
    let saved = query
        .get("certificate")
        .is_some_and(|value| value == "saved");
    let problem = query
        .get("certificate_problem")
        .and_then(|code| CertificateProblem::parse(&code));
    let problem_at = move |field: &'static str| {
        problem
            .filter(|problem| problem.field() == field)
            .map(|problem| {
                view! { <p class="field-error" role="alert">{move || problem.message(language.get())}</p> }
            })
    };
    view! {
        <section class="card verifactu" id="verifactu">
            <h2>{move || w(language.get(), W::Title)}</h2>
            <p class="muted">{move || w(language.get(), W::Intro)}</p>
            {saved.then(|| view! { <p class="notice" role="status">{move || w(language.get(), W::Saved)}</p> })}
            <Transition fallback=|| ()>
                {move || card.get().map(|result| match result {
                    Ok((certificate, status)) => view! {
                        <SendingStatusView status=status.clone() />
                        <CertificateDetails certificate=certificate.clone() expired=status.certificate_expired />
                        {(certificate.is_some() && is_owner).then(|| view! {
                            <ActionForm action=remove>
                                <input type="hidden" name="store_id" value=store_id.to_string() />
                                <button type="submit" class="danger" disabled=move || remove.pending().get()>
                                    {w(language.get(), W::Remove)}
                                </button>
                            </ActionForm>
                        })}
                        {(!is_owner).then(|| view! { <p class="muted">{w(language.get(), W::OwnerOnly)}</p> })}
                        {is_owner.then(|| {
                            let submit = if certificate.is_some() { W::Replace } else { W::Upload };
                            view! {
                                <form method="post" action="/verifactu/certificate" enctype="multipart/form-data" class="grid">
                                    <input type="hidden" name="store_id" value=store_id.to_string() />
                                    <input type="hidden" name="return_to" value=format!("/stores/{store_id}") />
                                    <div class="field">
                                        <label for="verifactu-file">{w(language.get(), W::File)}</label>
                                        <input id="verifactu-file" type="file" name="file" accept=".p12,.pfx,.pem,.crt,.cer,application/x-pkcs12" required />
                                        <p class="hint">{w(language.get(), W::FileHint)}</p>
                                        {problem_at("file")}
                                    </div>
                                    <div class="field">
                                        <label for="verifactu-password">{w(language.get(), W::Password)}</label>
                                        <input id="verifactu-password" type="password" name="password" autocomplete="off" />
                                        {problem_at("password")}
                                    </div>
                                    <div class="field">
                                        <label for="verifactu-key">{w(language.get(), W::Key)}</label>
                                        <input id="verifactu-key" type="file" name="key" accept=".pem,.key" />
                                        <p class="hint">{w(language.get(), W::KeyHint)}</p>
                                        {problem_at("key")}
                                    </div>
                                    <div class="form-actions wide">
                                        <button type="submit" class="primary">{w(language.get(), submit)}</button>
                                    </div>
                                </form>
                            }
                        })}
                        {move || match remove.value().get() {
                            Some(Err(error)) => Some(view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }),
                            _ => None,
                        }}
                    }.into_any(),
                    Err(error) => view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// The certificate as stored: whose, which NIF, until when.
#[component]
fn CertificateDetails(certificate: Option<CertificateView>, expired: bool) -> impl IntoView {
    let language = use_language();
    match certificate {
        None => view! { <p class="muted">{move || w(language.get(), W::NoCertificate)}</p> }.into_any(),
        Some(certificate) => {
            view! {
                <dl class="certificate">
                    <dt>{move || w(language.get(), W::Subject)}</dt>
                    <dd>{certificate.subject.clone()}</dd>
                    {certificate.nif.clone().map(|nif| view! {
                        <dt>{move || w(language.get(), W::Nif)}</dt>
                        <dd>{nif}</dd>
                    })}
                    <dt>{move || w(language.get(), W::ValidUntil)}</dt>
                    <dd>{move || valid_until(certificate.not_after, language.get())}</dd>
                </dl>
                {expired.then(|| view! { <p class="alert" role="alert">{move || w(language.get(), W::Expired)}</p> })}
            }
            .into_any()
        }
    }
}

/// Pending and rejected records, and why sending fails, if it does.
#[component]
fn SendingStatusView(status: SendingStatus) -> impl IntoView {
    let language = use_language();
    let pending = status.pending;
    let failing = status
        .failing_since
        .map(|since| (since, status.last_error.clone().unwrap_or_default()));
    view! {
        {match pending {
            0 => view! { <p class="muted">{move || w(language.get(), W::NothingPending)}</p> }.into_any(),
            count => view! { <p class="verifactu-pending">{move || format!("{} {count}", w(language.get(), W::Pending))}</p> }.into_any(),
        }}
        {status.needs_certificate.then(|| view! {
            <p class="alert" role="alert">{move || w(language.get(), W::NeedsCertificate)}</p>
        })}
        {failing.filter(|_| !status.needs_certificate).map(|(since, error)| view! {
            <p class="alert" role="alert">
                {move || format!("{} {}: {error}. {}", w(language.get(), W::Failing), day(since, language.get()), w(language.get(), W::Retry))}
            </p>
        })}
        {(status.rejected > 0).then(|| view! {
            <p class="alert" role="alert">{move || format!("{} {}", w(language.get(), W::Rejected), status.rejected)}</p>
        })}
    }
}
