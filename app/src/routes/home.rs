//! The admin's landing page: what to chase today. What is owed and overdue
//! (by age), one figure per currency, and four short lists — opened but not
//! paid, not opened three days after sending, emails that failed, due this
//! week — each row one click from its action. Every figure and list links to
//! the invoice list filtered to exactly its invoices.
//!
//! Rendered on the server from plain links and GET forms: nothing here needs
//! the page to be hydrated.

use invoice::chase::{AgeBucket, Attention, Due, Figure, OpenInvoice, ShortList, Today};
use invoice::dates::{format_instant, Date};
use invoice::views::EmailState;
use invoice::Currency;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::HomeView;
use crate::components::ErrorAlert;
use crate::i18n::{t, tr, use_language, T};

/// The invoice list filtered by chase rules, in one store or all, in one
/// currency or all.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListLink {
    pub store: Option<i64>,
    pub due: Option<Due>,
    pub age: Option<AgeBucket>,
    pub attention: Option<Attention>,
    pub currency: Option<Currency>,
}

impl ListLink {
    pub fn href(self) -> String {
        let mut query = Vec::new();
        if let Some(due) = self.due {
            query.push(format!("due={}", due.code()));
        }
        if let Some(age) = self.age {
            // `+` would read as a space in a query.
            query.push(format!("age={}", age.code().replace('+', "%2B")));
        }
        if let Some(attention) = self.attention {
            query.push(format!("attention={}", attention.code()));
        }
        if let Some(currency) = self.currency {
            query.push(format!("currency={}", currency.code()));
        }
        if let Some(store) = self.store {
            query.push(format!("store={store}"));
        }
        format!("/invoices?{}", query.join("&"))
    }
}

/// "1 invoice", "3 invoices".
pub fn invoice_count(language: invoice::Language, count: usize) -> String {
    if count == 1 {
        tr(language, T::InvoiceCountOne).to_owned()
    } else {
        tr(language, T::InvoiceCountMany).replace("{count}", &count.to_string())
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let store = Memo::new(move |_| {
        query.with(|query| {
            query
                .get("store")
                .and_then(|store| store.parse::<i64>().ok())
        })
    });
    let home = Resource::new(move || store.get(), crate::api::home);
    view! {
        <div class="page-head">
            <h1>{t(T::WhatToChase)}</h1>
            <a class="button primary" href="/invoices/new">{t(T::NewInvoice)}</a>
        </div>
        <Suspense fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
            {move || home.get().map(|result| match result {
                Ok(view) => view! { <HomeBody view /> }.into_any(),
                Err(error) => view! { <ErrorAlert error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn HomeBody(view: HomeView) -> impl IntoView {
    let language = use_language();
    let HomeView {
        stores,
        store_id,
        today,
    } = view;
    let Today {
        date,
        outstanding,
        overdue,
        by_age,
        lists,
    } = today;
    let store_form = (stores.len() > 1).then(|| {
        view! {
            <form method="get" action="/" class="filters store-choice">
                <label class="field">
                    <span>{t(T::Store)}</span>
                    <select name="store">
                        <option value="" selected=store_id.is_none()>{t(T::AllStores)}</option>
                        {stores.into_iter().map(|store| view! {
                            <option value=store.id selected=store_id == Some(store.id)>{store.name}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">{t(T::Show)}</button>
            </form>
        }
    });
    let link = ListLink {
        store: store_id,
        ..ListLink::default()
    };
    view! {
        <p class="muted today-date">{move || date.format(language.get())}</p>
        {store_form}
        <section class="card figures" aria-labelledby="figures-title">
            <h2 id="figures-title" class="visually-hidden">{t(T::Outstanding)}</h2>
            <div class="figure-group" data-figure="outstanding">
                <h3>{t(T::Outstanding)}</h3>
                <Figures figures=outstanding link=ListLink { due: Some(Due::Open), ..link } />
            </div>
            <div class="figure-group" data-figure="overdue">
                <h3>{t(T::OverdueTotal)}</h3>
                <Figures figures=overdue link=ListLink { due: Some(Due::Overdue), ..link } />
            </div>
            <div class="figure-group ages">
                <h3>{t(T::OverdueByAge)}</h3>
                <div class="age-buckets">
                    {by_age.into_iter().map(|(age, figures)| view! {
                        <div class="age-bucket" data-figure=format!("age-{}", age.code())>
                            <h4>{move || tr(language.get(), T::AgeDays).replace("{age}", &age.code().replace('-', "–"))}</h4>
                            <Figures figures link=ListLink { age: Some(age), ..link } />
                        </div>
                    }).collect_view()}
                </div>
            </div>
        </section>
        <div class="chase-lists">
            {lists.into_iter().map(|list| view! { <ChaseList list link today=date /> }).collect_view()}
        </div>
    }
}

/// One figure per currency, each a link to the invoices it adds up.
#[component]
fn Figures(figures: Vec<Figure>, link: ListLink) -> impl IntoView {
    let language = use_language();
    if figures.is_empty() {
        return view! { <p class="figure none">{t(T::NothingOwed)}</p> }.into_any();
    }
    view! {
        <ul class="figure-list">
            {figures.into_iter().map(|figure| {
                let href = ListLink { currency: Some(figure.amount.currency), ..link }.href();
                view! {
                    <li>
                        <a class="figure" href=href data-currency=figure.amount.currency.code() data-count=figure.invoices>
                            <span class="amount">{move || figure.amount.format(language.get())}</span>
                            <span class="count">{move || invoice_count(language.get(), figure.invoices)}</span>
                        </a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

fn list_words(attention: Attention) -> (T, T, T) {
    match attention {
        Attention::OpenedUnpaid => (
            T::ListOpenedUnpaid,
            T::ListOpenedUnpaidHint,
            T::EmptyOpenedUnpaid,
        ),
        Attention::Unopened => (T::ListUnopened, T::ListUnopenedHint, T::EmptyUnopened),
        Attention::EmailFailed => (
            T::ListEmailFailed,
            T::ListEmailFailedHint,
            T::EmptyEmailFailed,
        ),
        Attention::DueSoon => (T::ListDueSoon, T::ListDueSoonHint, T::EmptyDueSoon),
    }
}

#[component]
fn ChaseList(list: ShortList, link: ListLink, today: Date) -> impl IntoView {
    let language = use_language();
    let ShortList {
        attention,
        rows,
        total,
    } = list;
    let (title, hint, empty) = list_words(attention);
    let href = ListLink {
        attention: Some(attention),
        ..link
    }
    .href();
    let title_id = format!("list-{}", attention.code());
    let labelled_by = title_id.clone();
    let more = (total > rows.len()).then(|| {
        let href = href.clone();
        view! {
            <p class="see-all"><a href=href>{move || tr(language.get(), T::SeeAllCount).replace("{count}", &total.to_string())}</a></p>
        }
    });
    view! {
        <section class="card chase-list" aria-labelledby=labelled_by data-list=attention.code()>
            <h2 id=title_id>
                <a href=href data-count=total>{t(title)} " " <span class="count-badge">{total}</span></a>
            </h2>
            <p class="muted small">{t(hint)}</p>
            {if rows.is_empty() {
                view! { <p class="empty-list">{t(empty)}</p> }.into_any()
            } else {
                view! {
                    <ul class="chase-rows">
                        {rows.into_iter().map(|row| view! { <ChaseRow row attention today /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {more}
        </section>
    }
}

#[component]
fn ChaseRow(row: OpenInvoice, attention: Attention, today: Date) -> impl IntoView {
    let language = use_language();
    let id = row.id;
    let time_zone = row.time_zone;
    let amount = row.amount_due;
    let due_date = row.due_date;
    let days_overdue = row.days_overdue(today);
    let detail = match (attention, &row.email) {
        (Attention::Unopened, EmailState::Sent { at_ms }) => {
            let at_ms = *at_ms;
            let address = row.email_address.clone().unwrap_or_default();
            view! {
                <span class="detail">
                    <span class="address">{address}</span>
                    " · " {t(T::EmailSent)} " "
                    <time>{move || format_instant(at_ms, language.get(), time_zone)}</time>
                </span>
            }
            .into_any()
        }
        (Attention::EmailFailed, EmailState::Failed { reason }) => {
            let address = row.email_address.clone().unwrap_or_default();
            view! {
                <span class="detail">
                    <span class="address">{address}</span>
                    <span class="reason">{reason.clone()}</span>
                </span>
            }
            .into_any()
        }
        _ => view! {
            <span class="detail">
                {t(T::DueDate)} " " {move || due_date.map(|due| due.format(language.get())).unwrap_or_else(|| "—".into())}
                {(days_overdue > 0).then(|| view! {
                    " " <span class="pill status-overdue">{move || tr(language.get(), T::DaysOverdue).replace("{days}", &days_overdue.to_string())}</span>
                })}
            </span>
        }
        .into_any(),
    };
    let action = match attention {
        Attention::OpenedUnpaid | Attention::DueSoon => view! {
            <a class="button small-button" href=format!("/invoices/{id}/send?purpose=reminder")>{t(T::SendReminder)}</a>
        }
        .into_any(),
        Attention::Unopened | Attention::EmailFailed => view! {
            <a class="button small-button" href=format!("/invoices/{id}/send")>{t(T::CheckTheAddress)}</a>
        }
        .into_any(),
    };
    view! {
        <li class="chase-row" data-invoice=row.number.clone()>
            <div class="who">
                <a href=format!("/invoices/{id}")><strong>{row.number.clone()}</strong></a>
                " · "
                <a href=format!("/customers/{}", row.customer_id)>{row.customer_name.clone()}</a>
                {detail}
            </div>
            <div class="what">
                <span class="amount">{move || amount.format(language.get())}</span>
                {action}
            </div>
        </li>
    }
}
