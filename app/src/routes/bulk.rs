//! Work on many invoices at once, and the accountant's export.
//!
//! The list's selection is a plain form (`BULK_FORM_ID`) the rows' checkboxes
//! join with `form=`, so it works without JavaScript and sits beside the
//! rows' own forms instead of around them. Send and Send reminder post to
//! [`BULK_PATH`], which answers with a redirect to the outcome page of that
//! selection ([`BulkOutcomePage`]); Download PDFs (ZIP) answers with the
//! file. The export page is a GET form whose answer is the CSV file.

use invoice::bulk::{BulkAction, BulkReport, MAX_SELECTED};
use invoice::export::{ExportKind, MAX_PERIOD_DAYS};
use invoice::Language;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::AdminError;
use crate::components::ErrorAlert;
use crate::i18n::{t, use_language, T};

/// Where the list's selection posts.
pub const BULK_PATH: &str = "/invoices/bulk";
/// Where the export page's form asks for the file.
pub const EXPORT_CSV_PATH: &str = "/invoices/export.csv";
/// The id of the selection's form, which the rows' checkboxes name.
pub const BULK_FORM_ID: &str = "bulk-actions";

/// The kept outcome of a selection the organisation submitted; None while
/// it is still being sent.
#[server]
pub async fn bulk_outcome(key: String) -> Result<Option<BulkReport>, AdminError> {
    use self::ssr::*;
    use crate::api::ssr::user;
    bulk_backend()?.report(&user()?, &key).await
}

/// A fresh key for the list's selection form: submitting the same
/// selection with it twice does the work once.
#[server]
pub async fn new_bulk_key() -> Result<String, AdminError> {
    use self::ssr::*;
    use crate::api::ssr::user;
    bulk_backend()?.new_key(&user()?).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::Arc;

    use super::*;
    use crate::api::CurrentUser;

    /// What these pages ask of the server, put in the server functions'
    /// context beside the admin's backend.
    #[async_trait::async_trait]
    pub trait BulkBackend: Send + Sync + 'static {
        async fn report(
            &self,
            user: &CurrentUser,
            key: &str,
        ) -> Result<Option<BulkReport>, AdminError>;
        async fn new_key(&self, user: &CurrentUser) -> Result<String, AdminError>;
    }

    pub type BulkBackendRef = Arc<dyn BulkBackend>;

    pub fn bulk_backend() -> Result<BulkBackendRef, AdminError> {
        use_context::<BulkBackendRef>().ok_or_else(|| {
            tracing::error!("the bulk backend is missing from the server function context");
            AdminError::Unavailable
        })
    }
}

/// These pages' words.
#[derive(Clone, Copy)]
pub enum W {
    Select,
    SelectionHint,
    SendSelected,
    RemindSelected,
    DownloadZip,
    ExportForAccountant,
    ExportTitle,
    ExportIntro,
    ExportWhat,
    From,
    To,
    AllStores,
    HeadersIn,
    DownloadCsv,
    StillSending,
    Reload,
    Outcome,
}

pub fn w(word: W, language: Language) -> String {
    let (en, it, es) = match word {
        W::Select => ("Select", "Seleziona", "Seleccionar"),
        W::SelectionHint => {
            return match language {
                Language::En => format!("Tick up to {MAX_SELECTED} invoices in the list, then:"),
                Language::It => format!("Spunta fino a {MAX_SELECTED} fatture nell'elenco, poi:"),
                Language::Es => format!("Marca hasta {MAX_SELECTED} facturas en la lista y luego:"),
            }
        }
        W::SendSelected => ("Send", "Invia", "Enviar"),
        W::RemindSelected => ("Send reminder", "Invia sollecito", "Enviar recordatorio"),
        W::DownloadZip => ("Download PDFs (ZIP)", "Scarica i PDF (ZIP)", "Descargar PDF (ZIP)"),
        W::ExportForAccountant => (
            "Export for the accountant",
            "Esporta per il commercialista",
            "Exportar para la gestoría",
        ),
        W::ExportTitle => (
            "Export for the accountant",
            "Esportazione per il commercialista",
            "Exportación para la gestoría",
        ),
        W::ExportIntro => (
            "A CSV file that spreadsheets in Italy and Spain open as it is: separated by semicolons, decimal comma, dates as dd/mm/yyyy.",
            "Un file CSV che i fogli di calcolo italiani e spagnoli aprono così com'è: separato da punto e virgola, virgola decimale, date gg/mm/aaaa.",
            "Un archivo CSV que las hojas de cálculo de Italia y España abren tal cual: separado por punto y coma, coma decimal, fechas dd/mm/aaaa.",
        ),
        W::ExportWhat => ("What", "Cosa", "Qué"),
        W::From => ("From", "Dal", "Desde"),
        W::To => ("To", "Al", "Hasta"),
        W::AllStores => ("All stores", "Tutti i negozi", "Todas las tiendas"),
        W::HeadersIn => ("Column names in", "Nomi delle colonne in", "Nombres de columna en"),
        W::DownloadCsv => ("Download CSV", "Scarica CSV", "Descargar CSV"),
        W::StillSending => (
            "Still sending the selection…",
            "Invio della selezione in corso…",
            "Enviando la selección…",
        ),
        W::Reload => ("Reload", "Aggiorna", "Actualizar"),
        W::Outcome => ("Outcome", "Esito", "Resultado"),
    };
    match language {
        Language::En => en,
        Language::It => it,
        Language::Es => es,
    }
    .to_owned()
}

fn language_name(language: Language) -> &'static str {
    match language {
        Language::En => "English",
        Language::It => "Italiano",
        Language::Es => "Español",
    }
}

/// The list's selection form: the key, and one button per action. The rows'
/// checkboxes belong to it through their `form` attribute.
#[component]
pub fn BulkActions() -> impl IntoView {
    let language = use_language();
    let key = Resource::new(|| (), |_| new_bulk_key());
    let say = move |word| move || w(word, language.get());
    view! {
        <Transition fallback=|| ()>
            {move || key.get().and_then(Result::ok).map(|key| view! {
                <form id=BULK_FORM_ID method="post" action=BULK_PATH class="bulk-actions" aria-label=say(W::Select)>
                    <input type="hidden" name="key" value=key />
                    <p class="muted small">{say(W::SelectionHint)}</p>
                    <div class="bulk-buttons">
                        <button type="submit" name="action" value=BulkAction::Send.code()>{say(W::SendSelected)}</button>
                        <button type="submit" name="action" value=BulkAction::Remind.code()>{say(W::RemindSelected)}</button>
                        <button type="submit" name="action" value=BulkAction::Zip.code()>{say(W::DownloadZip)}</button>
                    </div>
                </form>
            })}
        </Transition>
    }
}

/// What became of each invoice of a submitted selection.
#[component]
pub fn BulkOutcomePage() -> impl IntoView {
    let language = use_language();
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let report = Resource::new(key, bulk_outcome);
    view! {
        <Transition fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(Some(report)) => view! { <BulkOutcome report /> }.into_any(),
                    Ok(None) => view! {
                        <div class="page-head"><h1>{move || w(W::Outcome, language.get())}</h1></div>
                        <section class="card">
                            <p role="status">{move || w(W::StillSending, language.get())}</p>
                            <p><a href=move || format!("{BULK_PATH}/{}", key()) rel="external">{move || w(W::Reload, language.get())}</a></p>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorAlert error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BulkOutcome(report: BulkReport) -> impl IntoView {
    let language = use_language();
    let action = report.action;
    let summary = report.clone();
    view! {
        <div class="page-head">
            <h1>{move || action.title(language.get())}</h1>
            <a href="/invoices">{t(T::BackToInvoices)}</a>
        </div>
        <section class="card bulk-outcome" aria-labelledby="bulk-outcome-summary">
            <p id="bulk-outcome-summary" role="status" class="bulk-summary">{move || summary.summary(language.get())}</p>
            <ul class="bulk-items">
                {report.items.into_iter().map(|item| {
                    let outcome = item.outcome.clone();
                    let code = outcome.code();
                    let label = item.number.clone();
                    let id = item.invoice_id;
                    view! {
                        <li class=format!("bulk-item outcome-{code}") data-invoice=id data-outcome=code>
                            <span class="bulk-invoice">
                                {match label {
                                    Some(number) => view! { <a href=format!("/invoices/{id}")>{number}</a> }.into_any(),
                                    None if item.customer_name.is_empty() => view! { <span>"#" {id}</span> }.into_any(),
                                    None => view! { <a href=format!("/invoices/{id}")><em>{t(T::Draft)}</em></a> }.into_any(),
                                }}
                                <span class="muted">{item.customer_name.clone()}</span>
                            </span>
                            <span class="bulk-result">{move || outcome.message(language.get())}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// The accountant's export: what, the period, the store and the language of
/// the column names; the answer is the file.
#[component]
pub fn ExportPage() -> impl IntoView {
    let language = use_language();
    let stores = Resource::new(|| (), |_| crate::api::list_stores());
    let say = move |word| move || w(word, language.get());
    view! {
        <div class="page-head">
            <h1>{say(W::ExportTitle)}</h1>
            <a href="/invoices">{t(T::BackToInvoices)}</a>
        </div>
        <section class="card">
            <p class="muted">{say(W::ExportIntro)}</p>
            <form method="get" action=EXPORT_CSV_PATH class="export-form">
                <label class="field">
                    <span>{say(W::ExportWhat)}</span>
                    <select name="what">
                        {ExportKind::ALL.into_iter().map(|kind| view! {
                            <option value=kind.code()>{move || kind.label(language.get())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>{say(W::From)}</span>
                    <input type="date" name="from" required />
                </label>
                <label class="field">
                    <span>{say(W::To)}</span>
                    <input type="date" name="to" required />
                </label>
                <Transition fallback=|| ()>
                    {move || stores.get().and_then(Result::ok).map(|stores| view! {
                        <label class="field">
                            <span>{t(T::Store)}</span>
                            <select name="store">
                                <option value="">{say(W::AllStores)}</option>
                                {stores.into_iter().map(|store| view! {
                                    <option value=store.id>{store.name}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    })}
                </Transition>
                <label class="field">
                    <span>{say(W::HeadersIn)}</span>
                    <select name="language">
                        {Language::ALL.into_iter().map(|option| view! {
                            <option value=option.code() selected=move || language.get() == option>{language_name(option)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <p class="muted small">{move || match language.get() {
                    Language::En => format!("At most {MAX_PERIOD_DAYS} days per file."),
                    Language::It => format!("Al massimo {MAX_PERIOD_DAYS} giorni per file."),
                    Language::Es => format!("Como máximo {MAX_PERIOD_DAYS} días por archivo."),
                }}</p>
                <button type="submit" class="primary">{say(W::DownloadCsv)}</button>
            </form>
        </section>
    }
}
