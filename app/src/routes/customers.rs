//! Customers: search by name or email, add and edit.

use invoice::customer::CustomerInput;
use invoice::Language;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::{RevokeOldLinks, SaveCustomer};
use crate::components::{
    action_error, error_message, field_error, language_name, language_options,
    provide_plain_post_error, reload_at, CheckboxField, ErrorAlert, Field, PostedAs, SelectField,
    TextArea,
};
use crate::i18n::{provide_language, t, use_language, T};

#[component]
pub fn CustomersPage() -> impl IntoView {
    let language = use_language();
    let query = use_query_map();
    let search = Memo::new(move |_| query.with(|query| query.get("q").unwrap_or_default()));
    let after = Memo::new(move |_| {
        query.with(|query| query.get("after").filter(|after| !after.is_empty()))
    });
    let customers = Resource::new(
        move || (search.get(), after.get()),
        |(search, after)| crate::api::list_customers(search, after),
    );
    view! {
        <div class="page-head">
            <h1>{t(T::Customers)}</h1>
            <a class="button primary" href="/customers/new">{t(T::AddCustomer)}</a>
        </div>
        <section class="card">
            <Form method="GET" action="/customers" attr:class="filters">
                <label class="field">
                    <span>{t(T::Search)}</span>
                    <input type="search" name="q" value=search.get_untracked() placeholder=move || t(T::SearchCustomersHint)() />
                </label>
                <button type="submit">{t(T::Search)}</button>
            </Form>
            <Transition fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
                {move || customers.get().map(|result| match result {
                    Ok(page) if page.rows.is_empty() => {
                        if search.get().is_empty() {
                            view! {
                                <div class="empty">
                                    <p class="empty-title">{t(T::NoCustomersYet)}</p>
                                    <p><a class="button primary" href="/customers/new">{t(T::AddCustomer)}</a></p>
                                </div>
                            }.into_any()
                        } else {
                            view! { <p class="empty muted">{t(T::NoCustomersMatch)}</p> }.into_any()
                        }
                    }
                    Ok(page) => {
                        let next = page.next.clone().map(|next| format!("/customers?q={}&after={}", search.get_untracked(), next));
                        view! {
                            <div class="table-wrap">
                                <table>
                                    <thead><tr>
                                        <th scope="col">{t(T::Name)}</th>
                                        <th scope="col">{t(T::Email)}</th>
                                        <th scope="col">{t(T::Language)}</th>
                                        <th scope="col">{t(T::SendsAutomatically)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {page.rows.into_iter().map(|row| view! {
                                            <tr>
                                                <td><a href=format!("/customers/{}", row.id)>{row.name.clone()}</a></td>
                                                <td>{row.email.clone().unwrap_or_default()}</td>
                                                <td>{language_name(row.language)}</td>
                                                <td>{if row.email_invoices { t(T::Yes) } else { t(T::No) }}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="pager" aria-label=move || t(T::Pages)()>
                                {after.get().map(|_| view! { <a href="/customers">{t(T::FirstPage)}</a> })}
                                {next.map(|href| view! { <a href=href rel="next">{t(T::NextPage)}</a> })}
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    let id = crate::components::route_id();
    let language = use_language().get_untracked();
    let saved = use_query_map().with_untracked(|query| query.get("saved").is_some());
    let customer = Resource::new(id, |id| async move {
        match id {
            Some(id) => crate::api::get_customer(id)
                .await
                .map(|input| (Some(id), input)),
            None => Ok((
                None,
                CustomerInput {
                    language: "it".into(),
                    ..CustomerInput::default()
                },
            )),
        }
    });
    view! {
        <Suspense fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
            {move || Suspend::new(async move {
                match customer.await {
                    Ok((id, input)) => view! {
                        <div class="page-head">
                            <h1>{if id.is_some() { t(T::EditCustomer) } else { t(T::NewCustomer) }}</h1>
                            <a href="/customers">{t(T::BackToCustomers)}</a>
                        </div>
                        <CustomerForm language id input saved />
                        {id.map(|id| view! { <OldLinks customer_id=id /> })}
                    }.into_any(),
                    Err(error) => view! { <ErrorAlert error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The customer's form. Without JavaScript it posts to `save_customer`, its
/// fields named after the arguments; a save loads the customer's page again
/// (its old links follow the saved address).
#[island]
fn CustomerForm(
    language: Language,
    id: Option<i64>,
    input: CustomerInput,
    saved: bool,
) -> impl IntoView {
    provide_language(language);
    provide_plain_post_error();
    provide_context(PostedAs("input"));
    let save = ServerAction::<SaveCustomer>::new();
    let error = action_error(save);
    let name = RwSignal::new(input.name);
    let email = RwSignal::new(input.email);
    let language = RwSignal::new(input.language);
    let tax_id = RwSignal::new(input.tax_id);
    let address = RwSignal::new(input.address);
    let email_invoices = RwSignal::new(input.email_invoices);
    let codice_fiscale = RwSignal::new(input.codice_fiscale);
    let codice_destinatario = RwSignal::new(input.codice_destinatario);
    let pec = RwSignal::new(input.pec);
    let saved = RwSignal::new(saved);
    Effect::new(move |_| {
        if let Some(Ok(saved_id)) = save.value().get() {
            reload_at(&format!("/customers/{saved_id}?saved=1"));
        }
    });
    view! {
        <form class="card grid" novalidate method="post" action=SaveCustomer::url() on:submit=move |ev| {
            ev.prevent_default();
            saved.set(false);
            save.dispatch(SaveCustomer { id, input: CustomerInput {
                name: name.get(), email: email.get(), language: language.get(), tax_id: tax_id.get(),
                address: address.get(), email_invoices: email_invoices.get(),
                codice_fiscale: codice_fiscale.get(), codice_destinatario: codice_destinatario.get(), pec: pec.get(),
            } });
        }>
            {id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <Field label=T::Name name="name" value=name error=field_error(error, "name") required=true />
            <Field label=T::Email name="email" value=email error=field_error(error, "email") kind="email" />
            <SelectField label=T::CustomerLanguage name="language" value=language error=field_error(error, "language") options=Signal::derive(language_options) />
            <Field label=T::TaxId name="tax_id" value=tax_id error=field_error(error, "tax_id") />
            <TextArea label=T::Address name="address" value=address error=field_error(error, "address") />
            <CheckboxField label=T::EmailInvoicesAutomatically name="email_invoices" checked=email_invoices error=field_error(error, "email_invoices") />
            <fieldset class="grid wide">
                <legend>{t(T::SdiRecipient)}</legend>
                <p class="muted small wide">{t(T::SdiRecipientHelp)}</p>
                <Field label=T::CodiceFiscale name="codice_fiscale" value=codice_fiscale error=field_error(error, "codice_fiscale") />
                <Field label=T::CodiceDestinatario name="codice_destinatario" value=codice_destinatario error=field_error(error, "codice_destinatario") />
                <Field label=T::Pec name="pec" value=pec error=field_error(error, "pec") kind="email" />
            </fieldset>
            <ErrorAlert error />
            {move || saved.get().then(|| view! { <p class="notice wide" role="status">{t(T::Saved)}</p> })}
            <div class="form-actions wide">
                <button type="submit" class="primary" disabled=move || save.pending().get()>{t(T::Save)}</button>
            </div>
        </form>
    }
}

/// After the customer's email changed: the links still open at their old
/// addresses, with one action that revokes them all.
#[component]
fn OldLinks(customer_id: i64) -> impl IntoView {
    // A plain post: the server answers with the page again.
    let revoke = ServerAction::<RevokeOldLinks>::new();
    let links = Resource::new(|| (), move |_| crate::api::customer_old_links(customer_id));
    let language = use_language();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match links.await {
                    Ok(links) if !links.is_empty() => view! {
                        <section class="card" aria-labelledby="old-links-title" data-testid="old-links">
                            <h2 id="old-links-title">{t(T::OldLinksTitle)}</h2>
                            <p class="muted">{t(T::OldLinksHint)}</p>
                            <ul>
                                {links.into_iter().map(|link| view! {
                                    <li>
                                        {link.email.clone()} " — "
                                        <a href=format!("/invoices/{}", link.invoice_id)>{t(T::Invoice)} " " {link.invoice_number.clone().unwrap_or_default()}</a>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <ErrorAlert error=action_error(revoke) />
                            <ActionForm action=revoke>
                                <input type="hidden" name="customer_id" value=customer_id />
                                <button type="submit" class="danger">{t(T::RevokeAll)}</button>
                            </ActionForm>
                        </section>
                    }.into_any(),
                    Ok(_) => ().into_any(),
                    Err(error) => view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
