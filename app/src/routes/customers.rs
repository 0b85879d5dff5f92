//! Customers: search by name or email, add and edit.

use invoice::customer::CustomerInput;
use invoice::Language;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use invoice::chase::Figure;
use invoice::dates::format_instant;
use invoice::events::{DeviceClass, EdgeEventKind};

use crate::api::{CustomerOverview, RevokeOldLinks, SaveCustomer};
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
                    // A customer's page is headed by their name: the facts a
                    // call starts with, then the form that edits them.
                    Ok((Some(id), input)) => view! {
                        <div class="page-head">
                            <h1>{input.name.clone()}</h1>
                            <a href="/customers">{t(T::BackToCustomers)}</a>
                        </div>
                        <CustomerFacts id />
                        <section class="card" aria-labelledby="customer-form-title">
                            <h2 id="customer-form-title">{t(T::EditCustomer)}</h2>
                            <CustomerForm language id=Some(id) input saved />
                        </section>
                        <OldLinks customer_id=id />
                    }.into_any(),
                    Ok((None, input)) => view! {
                        <div class="page-head">
                            <h1>{t(T::NewCustomer)}</h1>
                            <a href="/customers">{t(T::BackToCustomers)}</a>
                        </div>
                        <section class="card">
                            <CustomerForm language id=None input saved />
                        </section>
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
#[island(lazy)]
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
        <form class="grid" novalidate method="post" action=SaveCustomer::url() on:submit=move |ev| {
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

/// What a call to the customer starts with: their balance, invoices,
/// payments and what they opened, and their statement of open items.
#[component]
fn CustomerFacts(id: i64) -> impl IntoView {
    let language = use_language();
    let account = Resource::new(move || id, crate::api::customer_account);
    view! {
        <Suspense fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
            {move || account.get().map(|result| match result {
                Ok(account) => view! { <CustomerAccountView account /> }.into_any(),
                Err(error) => view! { <p class="alert" role="alert">{error_message(&error, language.get())}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn CustomerAccountView(account: CustomerOverview) -> impl IntoView {
    let language = use_language();
    let CustomerOverview {
        id,
        name: _,
        email,
        language: customer_language,
        balance,
        overdue,
        invoices,
        payments,
        activity,
    } = account;
    let money_list = move |figures: Vec<Figure>| {
        figures
            .into_iter()
            .map(|figure| view! { <li>{move || figure.amount.format(language.get())}</li> })
            .collect_view()
    };
    let has_more = invoices.next.is_some();
    view! {
        <section class="card customer-facts" aria-labelledby="customer-facts-title" data-testid="customer-facts">
            <div class="facts-head">
                <div>
                    <h2 id="customer-facts-title">{t(T::CustomerFacts)}</h2>
                    <p class="muted small">{email.unwrap_or_default()} " · " {language_name(customer_language)}</p>
                </div>
                <a class="button" href=format!("/customers/{id}/statement.pdf") download rel="external">{t(T::DownloadStatement)}</a>
            </div>
            <div class="balance">
                <div data-figure="balance">
                    <h3>{t(T::Balance)}</h3>
                    {if balance.is_empty() {
                        view! { <p class="figure none">{t(T::NothingOwed)}</p> }.into_any()
                    } else {
                        view! { <ul class="figure-list amounts">{money_list(balance)}</ul> }.into_any()
                    }}
                </div>
                {(!overdue.is_empty()).then(|| view! {
                    <div data-figure="overdue">
                        <h3>{t(T::OfWhichOverdue)}</h3>
                        <ul class="figure-list amounts overdue">{money_list(overdue)}</ul>
                    </div>
                })}
            </div>
            <h3>{t(T::Invoices)}</h3>
            {if invoices.rows.is_empty() {
                view! { <p class="muted">{t(T::NoInvoicesYet)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="compact">
                            <thead><tr>
                                <th scope="col">{t(T::Number)}</th>
                                <th scope="col">{t(T::Date)}</th>
                                <th scope="col">{t(T::DueDate)}</th>
                                <th scope="col" class="num">{t(T::Total)}</th>
                                <th scope="col" class="num">{t(T::AmountDue)}</th>
                                <th scope="col">{t(T::Status)}</th>
                            </tr></thead>
                            <tbody>
                                {invoices.rows.into_iter().map(|row| {
                                    let status = row.status;
                                    let (issue_date, due_date, total, due) = (row.issue_date, row.due_date, row.total, row.amount_due);
                                    view! {
                                        <tr>
                                            <td><a href=format!("/invoices/{}", row.id)>{row.number.clone().unwrap_or_default()}</a></td>
                                            <td>{move || issue_date.map(|date| date.format(language.get())).unwrap_or_default()}</td>
                                            <td>{move || due_date.map(|date| date.format(language.get())).unwrap_or_default()}</td>
                                            <td class="num">{move || total.format(language.get())}</td>
                                            <td class="num">{move || due.format(language.get())}</td>
                                            <td><span class=format!("pill status-{}", status.code())>{move || status.label(language.get())}</span></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    {has_more.then(|| view! {
                        <p class="see-all"><a href=format!("/invoices?customer={id}")>{t(T::SeeAllTheirInvoices)}</a></p>
                    })}
                }.into_any()
            }}
            <div class="facts-columns">
                <div>
                    <h3>{t(T::Payments)}</h3>
                    {if payments.is_empty() {
                        view! { <p class="muted">{t(T::NoPaymentsYet)}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="fact-list" data-testid="customer-payments">
                                {payments.into_iter().map(|payment| {
                                    let (date, amount, method) = (payment.date, payment.amount, payment.method);
                                    view! {
                                        <li>
                                            <span>{move || date.format(language.get())}</span>
                                            " · " <a href=format!("/invoices/{}", payment.invoice_id)>{payment.number.clone()}</a>
                                            " · " {move || method.label(language.get())}
                                            <strong class="num">{move || amount.format(language.get())}</strong>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </div>
                <div>
                    <h3>{t(T::WhatTheyOpened)}</h3>
                    <p class="muted small">{t(T::WhatTheyOpenedHint)}</p>
                    {if activity.is_empty() {
                        view! { <p class="muted">{t(T::NoActivityYet)}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="fact-list" data-testid="customer-activity">
                                {activity.into_iter().map(|seen| {
                                    let (at_ms, zone, device) = (seen.at_ms, seen.time_zone, seen.device);
                                    let what = match seen.kind {
                                        EdgeEventKind::Opened | EdgeEventKind::LinkFetched => T::EventOpened,
                                        EdgeEventKind::PdfDownloaded => T::EventDownloaded,
                                        EdgeEventKind::Printed => T::EventPrinted,
                                    };
                                    let device_word = match device {
                                        DeviceClass::Desktop => T::DeviceDesktop,
                                        DeviceClass::Tablet => T::DeviceTablet,
                                        DeviceClass::Phone => T::DevicePhone,
                                        DeviceClass::Unknown => T::DeviceUnknown,
                                    };
                                    view! {
                                        <li>
                                            <time>{move || format_instant(at_ms, language.get(), zone)}</time>
                                            " · " <a href=format!("/invoices/{}", seen.invoice_id)>{seen.number.clone()}</a>
                                            " · " {t(what)}
                                            <span class="muted small">" (" {t(device_word)} ", " {seen.browser.clone()} ")"</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </div>
            </div>
        </section>
    }
}
