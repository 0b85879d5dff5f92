//! Stores: their details, numbering and email settings.

use invoice::document::DocumentLayout;
use invoice::italy::RegimeFiscale;
use invoice::store::StoreInput;
use invoice::time_zone::TimeZone;
use invoice::{Currency, Language};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use crate::api::{CurrentUser, ResendRecipientConfirmation, Role, SaveStore, Viewer};
use crate::components::{
    action_error, error_message, field_error, language_options, provide_plain_post_error,
    reload_at, time_zone_options, CheckboxField, ErrorAlert, Field, PostedAs, SelectField,
    TextArea,
};
use crate::i18n::{provide_language, t, tr, use_language, T};

#[component]
pub fn StoresPage() -> impl IntoView {
    let language = use_language();
    let stores = Resource::new(|| (), |_| crate::api::list_stores());
    view! {
        <div class="page-head">
            <h1>{t(T::Stores)}</h1>
            <a class="button primary" href="/stores/new">{t(T::AddStore)}</a>
        </div>
        <section class="card">
            <Transition fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
                {move || stores.get().map(|result| match result {
                    Ok(stores) => view! {
                        <ul class="plain-list">
                            {stores.into_iter().map(|store| view! {
                                <li><a href=format!("/stores/{}", store.id)>{store.name}</a> <span class="muted">{store.currency}</span></li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn StorePage() -> impl IntoView {
    let id = crate::components::route_id();
    let language = use_language().get_untracked();
    let query = use_query_map().get_untracked();
    let saved = query.get("saved").is_some();
    let confirmation_sent = query.get("confirmation_sent").is_some();
    // Where the store's emails and replies go is the owner's to change;
    // staff see it, disabled (the server refuses a change from them too).
    let is_owner = use_context::<Viewer>()
        .and_then(|viewer| viewer.user)
        .is_some_and(|user: CurrentUser| user.role == Role::Owner);
    let store = Resource::new(id, |id| async move {
        match id {
            Some(id) => crate::api::get_store(id)
                .await
                .map(|input| (Some(id), input)),
            None => Ok((None, invoice::store::StoreSettings::default().to_input())),
        }
    });
    view! {
        <Suspense fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
            {move || Suspend::new(async move {
                match store.await {
                    Ok((id, input)) => {
                        // The certificate card belongs to a store saved as keeping VERI*FACTU records.
                        let keeps_verifactu = input.verifactu;
                        view! {
                            <div class="page-head">
                                <h1>{if id.is_some() { t(T::StoreSettings) } else { t(T::NewStore) }}</h1>
                                <a href="/stores">{t(T::BackToStores)}</a>
                            </div>
                            <StoreForm language id input is_owner saved />
                            {id.map(|store_id| view! { <Recipients store_id sent=confirmation_sent /> })}
                            {id.map(|store_id| view! { <crate::routes::pec::PecMailboxCard store_id /> })}
                            {id.filter(|_| keeps_verifactu).map(|store_id| view! { <crate::routes::verifactu::VerifactuCard store_id /> })}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorAlert error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The store's settings form. Without JavaScript it posts to `save_store`,
/// its fields named after the arguments; a save loads the store's page again
/// (its recipients and cards follow the saved settings).
#[island(lazy)]
fn StoreForm(
    language: Language,
    id: Option<i64>,
    input: StoreInput,
    is_owner: bool,
    saved: bool,
) -> impl IntoView {
    provide_language(language);
    provide_plain_post_error();
    provide_context(PostedAs("input"));
    let language = use_language();
    let save = ServerAction::<SaveStore>::new();
    let error = action_error(save);
    let name = RwSignal::new(input.name);
    let address = RwSignal::new(input.address);
    let tax_id = RwSignal::new(input.tax_id);
    let currency = RwSignal::new(input.currency);
    let store_language = RwSignal::new(input.language);
    let time_zone = RwSignal::new(input.time_zone);
    // A new store's zone follows its language until the merchant picks one.
    if id.is_none() {
        Effect::new(move |previous: Option<String>| {
            let chosen = store_language.get();
            let follows = |code: &str| {
                Language::parse(code).map(|language| TimeZone::default_for(language).name())
            };
            if let Some(previous) = previous {
                if follows(&previous) == Some(time_zone.get_untracked().as_str()) {
                    if let Some(zone) = follows(&chosen) {
                        time_zone.set(zone.to_owned());
                    }
                }
            }
            chosen
        });
    }
    let number_format = RwSignal::new(input.number_format);
    let email_enabled = RwSignal::new(input.email_enabled);
    let reply_to = RwSignal::new(input.reply_to);
    let copies_to = RwSignal::new(input.copies_to);
    let failure_notify = RwSignal::new(input.failure_notify);
    let email_template = RwSignal::new(input.email_template);
    let print_template = RwSignal::new(input.print_template);
    let email_subject = RwSignal::new(input.email_subject);
    let email_message = RwSignal::new(input.email_message);
    let reminder_schedule = RwSignal::new(input.reminder_schedule);
    let reminder_subject = RwSignal::new(input.reminder_subject);
    let reminder_message = RwSignal::new(input.reminder_message);
    let attach_pdf = RwSignal::new(input.attach_pdf);
    let e_invoicing = RwSignal::new(input.e_invoicing);
    let regime_fiscale = RwSignal::new(input.regime_fiscale);
    let codice_fiscale = RwSignal::new(input.codice_fiscale);
    let iban = RwSignal::new(input.iban);
    let legal_reference = RwSignal::new(input.legal_reference);
    let verifactu = RwSignal::new(input.verifactu);
    let legal_name = RwSignal::new(input.legal_name);
    let default_tax_rate = RwSignal::new(input.default_tax_rate);
    let saved = RwSignal::new(saved);
    Effect::new(move |_| {
        if let Some(Ok(saved_id)) = save.value().get() {
            reload_at(&format!("/stores/{saved_id}?saved=1"));
        }
    });
    let currency_options = Signal::derive(|| {
        Currency::ALL
            .into_iter()
            .map(|currency| (currency.code().to_owned(), currency.code().to_owned()))
            .collect::<Vec<_>>()
    });
    let layout_options = Signal::derive(move || {
        DocumentLayout::ALL
            .into_iter()
            .map(|layout| {
                let label = match layout {
                    DocumentLayout::A4 => T::LayoutA4,
                    DocumentLayout::Receipt80mm => T::LayoutReceipt,
                };
                (
                    layout.code().to_owned(),
                    tr(language.get(), label).to_owned(),
                )
            })
            .collect::<Vec<_>>()
    });
    let regime_options = Signal::derive(move || {
        std::iter::once((
            String::new(),
            tr(language.get(), T::ChooseRegime).to_owned(),
        ))
        .chain(RegimeFiscale::all().map(|regime| {
            (
                regime.code(),
                format!("{} — {}", regime.code(), regime.name()),
            )
        }))
        .collect::<Vec<_>>()
    });
    view! {
        <form class="card" novalidate method="post" action=SaveStore::url() on:submit=move |ev| {
            ev.prevent_default();
            saved.set(false);
            save.dispatch(SaveStore { id, input: StoreInput {
                name: name.get(), address: address.get(), tax_id: tax_id.get(), currency: currency.get(),
                language: store_language.get(), time_zone: time_zone.get(),
                number_format: number_format.get(), email_enabled: email_enabled.get(),
                reply_to: reply_to.get(), copies_to: copies_to.get(), failure_notify: failure_notify.get(),
                email_template: email_template.get(), print_template: print_template.get(),
                email_subject: email_subject.get(), email_message: email_message.get(),
                reminder_schedule: reminder_schedule.get(),
                reminder_subject: reminder_subject.get(), reminder_message: reminder_message.get(),
                attach_pdf: attach_pdf.get(),
                e_invoicing: e_invoicing.get(), regime_fiscale: regime_fiscale.get(),
                codice_fiscale: codice_fiscale.get(), iban: iban.get(),
                legal_reference: legal_reference.get(),
                verifactu: verifactu.get(), legal_name: legal_name.get(),
                default_tax_rate: default_tax_rate.get(),
            } });
        }>
            {id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <fieldset class="grid">
                <legend>{t(T::StoreDetails)}</legend>
                <Field label=T::Name name="name" value=name error=field_error(error, "name") required=true />
                <Field label=T::TaxId name="tax_id" value=tax_id error=field_error(error, "tax_id") />
                <TextArea label=T::Address name="address" value=address error=field_error(error, "address") />
                <SelectField label=T::Currency name="currency" value=currency error=field_error(error, "currency") options=currency_options />
                <SelectField label=T::DefaultLanguage name="language" value=store_language error=field_error(error, "language") options=Signal::derive(language_options) />
                <SelectField label=T::TimeZone name="time_zone" value=time_zone error=field_error(error, "time_zone") options=Signal::derive(time_zone_options) />
                <Field label=T::NumberFormat name="number_format" value=number_format error=field_error(error, "number_format") hint=T::NumberFormatHint />
                <Field label=T::DefaultTaxRate name="default_tax_rate" value=default_tax_rate error=field_error(error, "default_tax_rate") hint=T::DefaultTaxRateHint />
            </fieldset>
            <fieldset class="grid" data-testid="e-invoicing">
                <legend>{t(T::SdiRecipient)}</legend>
                <p class="muted small wide">{t(T::EInvoicingHelp)}</p>
                <CheckboxField label=T::EInvoicing name="e_invoicing" checked=e_invoicing error=field_error(error, "e_invoicing") />
                <SelectField label=T::RegimeFiscale name="regime_fiscale" value=regime_fiscale error=field_error(error, "regime_fiscale") options=regime_options />
                <Field label=T::StoreCodiceFiscale name="codice_fiscale" value=codice_fiscale error=field_error(error, "codice_fiscale") />
                <Field label=T::Iban name="iban" value=iban error=field_error(error, "iban") />
                <Field label=T::LegalReference name="legal_reference" value=legal_reference error=field_error(error, "legal_reference") hint=T::LegalReferenceHint wide=true />
            </fieldset>
            <fieldset class="grid" data-testid="verifactu">
                <legend>{t(T::VerifactuSection)}</legend>
                <p class="muted small wide">{t(T::VerifactuHelp)}</p>
                <CheckboxField label=T::Verifactu name="verifactu" checked=verifactu error=field_error(error, "verifactu") />
                <Field label=T::LegalName name="legal_name" value=legal_name error=field_error(error, "legal_name") hint=T::LegalNameHint />
            </fieldset>
            <fieldset class="grid" disabled=!is_owner>
                <legend>{t(T::EmailRouting)}</legend>
                {(!is_owner).then(|| view! { <p class="muted wide">{t(T::EmailRoutingOwnerOnly)}</p> })}
                <CheckboxField label=T::EmailEnabled name="email_enabled" checked=email_enabled error=field_error(error, "email_enabled") />
                <Field label=T::ReplyTo name="reply_to" value=reply_to error=field_error(error, "reply_to") kind="email" />
                <Field label=T::CopiesTo name="copies_to" value=copies_to error=field_error(error, "copies_to") hint=T::AddressListHint wide=true />
                <Field label=T::FailureNotify name="failure_notify" value=failure_notify error=field_error(error, "failure_notify") hint=T::AddressListHint wide=true />
            </fieldset>
            <fieldset class="grid">
                <legend>{t(T::EmailSettings)}</legend>
                <SelectField label=T::EmailTemplate name="email_template" value=email_template error=field_error(error, "email_template") options=layout_options />
                <SelectField label=T::PrintTemplate name="print_template" value=print_template error=field_error(error, "print_template") options=layout_options />
                <CheckboxField label=T::AttachPdf name="attach_pdf" checked=attach_pdf error=field_error(error, "attach_pdf") />
                <Field label=T::EmailSubject name="email_subject" value=email_subject error=field_error(error, "email_subject") hint=T::TemplateHint wide=true />
                <TextArea label=T::EmailMessage name="email_message" value=email_message error=field_error(error, "email_message") rows=5 hint=T::TemplateHint />
                <Field label=T::ReminderSchedule name="reminder_schedule" value=reminder_schedule error=field_error(error, "reminder_schedule") hint=T::ReminderScheduleHint wide=true />
                <Field label=T::ReminderSubject name="reminder_subject" value=reminder_subject error=field_error(error, "reminder_subject") hint=T::TemplateHint wide=true />
                <TextArea label=T::ReminderMessage name="reminder_message" value=reminder_message error=field_error(error, "reminder_message") rows=5 hint=T::TemplateHint />
            </fieldset>
            <ErrorAlert error />
            {move || saved.get().then(|| view! { <p class="notice" role="status">{t(T::Saved)}</p> })}
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>{t(T::Save)}</button>
            </div>
        </form>
    }
}

/// The store's copies and failure-list addresses, each confirmed or waiting
/// for its owner's confirmation (until then it receives nothing), with
/// "send again" for a waiting one (a plain post: the server answers with
/// the page, `sent` when it went).
#[component]
fn Recipients(store_id: i64, sent: bool) -> impl IntoView {
    let resend = ServerAction::<ResendRecipientConfirmation>::new();
    let states = Resource::new(|| (), move |_| crate::api::recipient_states(store_id));
    let error = action_error(resend);
    view! {
        <section class="card" aria-labelledby="recipients-title" data-testid="recipients">
            <h2 id="recipients-title">{t(T::CopiesTo)} " · " {t(T::FailureNotify)}</h2>
            <p class="muted small">{t(T::RecipientsHint)}</p>
            <Transition fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
                {move || states.get().map(|result| match result {
                    Ok(states) => view! {
                        <ul class="plain-list">
                            {states.into_iter().map(|state| {
                                let address = state.address.clone();
                                view! {
                                    <li data-address=state.address.clone()>
                                        {state.address.clone()} " — "
                                        {if state.confirmed {
                                            view! { <span class="badge">{t(T::RecipientConfirmed)}</span> }.into_any()
                                        } else {
                                            view! {
                                                <span class="badge warning">{t(T::RecipientWaiting)}</span> " "
                                                <ActionForm action=resend attr:class="inline">
                                                    <input type="hidden" name="store_id" value=store_id />
                                                    <input type="hidden" name="address" value=address.clone() />
                                                    <button type="submit" class="link">{t(T::SendConfirmationAgain)}</button>
                                                </ActionForm>
                                            }.into_any()
                                        }}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorAlert error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
                })}
            </Transition>
            {move || field_error(error, "address").get().map(|message| view! { <p class="alert" role="alert">{message}</p> })}
            {sent.then(|| view! { <p class="notice" role="status">{t(T::ConfirmationSent)}</p> })}
        </section>
    }
}
