//! Form pieces every screen shares: labelled fields with their error beside
//! them, and the alert that shows what went wrong in the merchant's words.

use invoice::time_zone::TimeZone;
use invoice::Language;
use leptos::prelude::*;

use crate::api::AdminError;
use crate::i18n::{t, tr, use_language, T};

/// What the merchant is told about an error, in their language.
pub fn error_message(error: &AdminError, language: Language) -> String {
    match error {
        AdminError::Invalid(fields) => match fields.as_slice() {
            // A refusal about the whole record (not one field) is said as is.
            [only] if only.field == "invoice" => only.message(language),
            _ => tr(language, T::CorrectHighlighted).to_owned(),
        },
        AdminError::NotFound => tr(language, T::ErrorNotFound).to_owned(),
        AdminError::SignedOut => tr(language, T::ErrorSignedOut).to_owned(),
        AdminError::OwnerOnly => tr(language, T::ErrorOwnerOnly).to_owned(),
        AdminError::EdgeUnavailable => tr(language, T::ErrorEdgeUnavailable).to_owned(),
        AdminError::Unavailable => tr(language, T::ErrorUnavailable).to_owned(),
        AdminError::Request(_) => tr(language, T::ErrorRequest).to_owned(),
    }
}

/// The latest error of a server call, if any.
pub type LastError = Signal<Option<AdminError>>;

/// The error of a server action's latest result.
pub fn action_error<S>(action: ServerAction<S>) -> LastError
where
    S: leptos::server_fn::ServerFn<Error = AdminError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// The message for one field, in the merchant's language.
pub fn field_error(error: LastError, field: impl Into<String>) -> Signal<Option<String>> {
    let language = use_language();
    let field = field.into();
    Signal::derive(move || {
        error.get().and_then(|error| {
            error
                .field(&field)
                .map(|problem| problem.message(language.get()))
        })
    })
}

/// An alert for an error that belongs to no single field.
#[component]
pub fn ErrorAlert(error: LastError) -> impl IntoView {
    let language = use_language();
    move || {
        error.get().map(|error| {
            #[cfg(feature = "ssr")]
            if error == AdminError::NotFound {
                // A page about something that does not exist (or is another
                // organisation's: the two are not told apart) is a 404.
                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                    response.set_status(http::StatusCode::NOT_FOUND);
                }
            }
            let not_found = error == AdminError::NotFound;
            view! {
                <p class="alert" role="alert">{error_message(&error, language.get())}</p>
                {not_found.then(|| view! { <p><a href="/invoices">{tr(language.get(), T::BackToInvoices)}</a></p> })}
            }
        })
    }
}

/// The argument of the server function a form posts to that its fields
/// fill (`input` of `save_store(id, input)`): provided by the form, so each
/// field posts as `input[name]` and the form works without JavaScript.
#[derive(Debug, Clone, Copy)]
pub struct PostedAs(pub &'static str);

/// The name a field posts under: `name`, or `argument[name]` inside a form
/// that provides [`PostedAs`].
pub fn posted_name(name: &str) -> String {
    match use_context::<PostedAs>() {
        Some(PostedAs(argument)) => format!("{argument}[{name}]"),
        None => name.to_owned(),
    }
}

/// After a form posted without JavaScript was refused, the server answers
/// with the page at `?__path=…&__err=…`, and the server's router hands the
/// error to the form's `ServerAction`. An island in the browser has no
/// router: this hands it the same error from the address, so it shows the
/// same field errors the server rendered. Call it first in a form island.
pub fn provide_plain_post_error() {
    #[cfg(feature = "hydrate")]
    {
        let search = window().location().search().unwrap_or_default();
        if let Ok(query) = web_sys::UrlSearchParams::new_with_str(&search) {
            if let (Some(path), Some(error)) = (query.get("__path"), query.get("__err")) {
                provide_context(leptos::server::ServerActionError::new(&path, &error));
            }
        }
    }
}

/// The refusal of a form posted without JavaScript to the server function
/// at `path`, as [`provide_plain_post_error`] handed it over: what a
/// `ServerAction` of that function would show, for a form that never
/// dispatches it from the browser (and so needs none of its client code).
pub fn plain_post_refusal(path: &str) -> Option<AdminError> {
    use leptos::server_fn::error::ServerFnUrlError;
    use_context::<leptos::server::ServerActionError>()
        .filter(|error| error.path() == path)
        .map(|error| ServerFnUrlError::<AdminError>::decode_err(error.err()))
}

/// The ids a field's hint and error carry, for `aria-describedby`.
fn described_by(name: &str, has_hint: bool) -> String {
    if has_hint {
        format!("{name}-hint {name}-error")
    } else {
        format!("{name}-error")
    }
}

/// A labelled input bound to a signal, with its hint and its error message
/// beside it. The label names the input; hint and error describe it.
#[component]
pub fn Field(
    label: T,
    name: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "text")] mode: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] hint: Option<T>,
    #[prop(default = false)] wide: bool,
    #[prop(default = false)] required: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="field" class:wide=wide class:required=required>
            <label for=id.clone()>{t(label)}</label>
            <input
                id=id
                type=kind
                name=posted_name(name)
                inputmode=mode
                autocomplete=autocomplete
                aria-required=required.then_some("true")
                // The attribute carries the value in the server's HTML, so a
                // form posted before hydration sends what the merchant saw.
                value=value.get_untracked()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by(name, hint.is_some())
            />
            {hint.map(|hint| view! { <span class="hint" id=format!("{name}-hint")>{t(hint)}</span> })}
            <span class="field-error" id=format!("{name}-error") role="status">{move || error.get()}</span>
        </div>
    }
}

/// A labelled multi-line input with its error beside it.
#[component]
pub fn TextArea(
    label: T,
    name: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(default = 3)] rows: u32,
    #[prop(optional)] hint: Option<T>,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="field wide">
            <label for=id.clone()>{t(label)}</label>
            <textarea
                id=id
                name=posted_name(name)
                rows=rows
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by(name, hint.is_some())
            >{textarea_text(value.get_untracked())}</textarea>
            {hint.map(|hint| view! { <span class="hint" id=format!("{name}-hint")>{t(hint)}</span> })}
            <span class="field-error" id=format!("{name}-error") role="status">{move || error.get()}</span>
        </div>
    }
}

/// A textarea's initial text. Leptos writes a textarea's children into the
/// server's HTML unescaped, as it does a `<script>`'s, so a message holding
/// `</textarea><script>` would end the field and run; the browser decodes
/// the escaped text back. In the browser the child is a text node and needs
/// no escaping.
fn textarea_text(value: String) -> String {
    if cfg!(feature = "ssr") {
        invoice::email::escape_html(&value)
    } else {
        value
    }
}

/// A labelled select; `options` are (value, label) pairs.
#[component]
pub fn SelectField(
    label: T,
    name: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    options: Signal<Vec<(String, String)>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{t(label)}</label>
            <select
                id=id
                name=posted_name(name)
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=format!("{name}-error")
            >
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|(option, text)| {
                            let selected = option == value.get_untracked();
                            view! { <option value=option selected=selected>{text}</option> }
                        })
                        .collect_view()
                }}
            </select>
            <span class="field-error" id=format!("{name}-error") role="status">{move || error.get()}</span>
        </div>
    }
}

/// A labelled checkbox with its error beside it.
#[component]
pub fn CheckboxField(
    label: T,
    name: &'static str,
    checked: RwSignal<bool>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{name}-error");
    let described_by = error_id.clone();
    view! {
        <div class="field wide">
            <label class="checkbox">
                <input
                    type="checkbox"
                    name=posted_name(name)
                    value="true"
                    checked=checked.get_untracked()
                    prop:checked=move || checked.get()
                    on:change=move |ev| checked.set(event_target_checked(&ev))
                    aria-describedby=described_by
                />
                <span>{t(label)}</span>
            </label>
            <span class="field-error" id=error_id role="status">{move || error.get()}</span>
        </div>
    }
}

/// The three languages a customer or the admin can use, labelled in their own words.
pub fn language_options() -> Vec<(String, String)> {
    Language::ALL
        .into_iter()
        .map(|language| {
            (
                language.code().to_owned(),
                language_name(language).to_owned(),
            )
        })
        .collect()
}

/// The zones a store may choose, as its settings offer them.
pub fn time_zone_options() -> Vec<(String, String)> {
    TimeZone::all()
        .map(|zone| (zone.name().to_owned(), zone.label()))
        .collect()
}

/// The zone the times of the page being shown are in: its store's. A page
/// provides it once ([`provide_store_time_zone`]) for all its parts.
#[derive(Debug, Clone, Copy)]
struct StoreTimeZone(TimeZone);

pub fn provide_store_time_zone(zone: TimeZone) {
    provide_context(StoreTimeZone(zone));
}

pub fn use_store_time_zone() -> TimeZone {
    use_context::<StoreTimeZone>()
        .map(|StoreTimeZone(zone)| zone)
        .unwrap_or_default()
}

pub fn language_name(language: Language) -> &'static str {
    match language {
        Language::It => "Italiano",
        Language::Es => "Español",
        Language::En => "English",
    }
}

/// Loads `path` as a new page, so it is rendered for the session just
/// started or ended.
pub fn reload_at(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = leptos::prelude::window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// The `:id` of the current route, when it is a number (`new` is not).
pub fn route_id() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_params_map();
    move || params.with(|params| params.get("id").and_then(|id| id.parse::<i64>().ok()))
}
