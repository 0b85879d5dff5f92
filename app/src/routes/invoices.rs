//! Sales → Customer invoices: the list with its filters, sorting and pages,
//! the Email sent and Opened columns, and each row's ⋯ menu.

use invoice::dates::format_instant;
use invoice::document::DocumentKind;
use invoice::email::{send_refusal, EmailPurpose};
use invoice::status::InvoiceStatus;
use invoice::time_zone::TimeZone;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::{
    DuplicateInvoice, EmailState, InvoiceFilter, InvoiceRow, InvoiceSort, TransmitToSdi,
    VoidInvoice,
};
use crate::components::{action_error, ErrorAlert};
use crate::i18n::{t, tr, use_language, T};
use crate::routes::bulk::{w, BulkActions, BULK_FORM_ID, W};

/// The row actions every screen shares, so a change anywhere refreshes lists.
#[derive(Clone, Copy)]
pub struct RowActions {
    pub void: ServerAction<VoidInvoice>,
    pub duplicate: ServerAction<DuplicateInvoice>,
    pub transmit: ServerAction<TransmitToSdi>,
}

impl RowActions {
    /// The actions of one page, posted as plain forms: the server answers
    /// with the page again, or a duplicate's new draft.
    pub fn for_page() -> Self {
        Self {
            void: ServerAction::new(),
            duplicate: ServerAction::new(),
            transmit: ServerAction::new(),
        }
    }
}

#[component]
pub fn InvoicesPage() -> impl IntoView {
    let language = use_language();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|query| InvoiceFilter {
            status: query.get("status").unwrap_or_default(),
            text: query.get("q").unwrap_or_default(),
            kind: query.get("kind").unwrap_or_default(),
            sort: InvoiceSort::parse(&query.get("sort").unwrap_or_default()),
            ascending: query.get("dir").as_deref() == Some("asc"),
            after: query.get("after").filter(|after| !after.is_empty()),
            store: query.get("store").and_then(|store| store.parse().ok()),
            customer: query
                .get("customer")
                .and_then(|customer| customer.parse().ok()),
            currency: query.get("currency").unwrap_or_default(),
            due: query.get("due").unwrap_or_default(),
            age: query.get("age").unwrap_or_default(),
            attention: query.get("attention").unwrap_or_default(),
        })
    });
    let actions = RowActions::for_page();
    let invoices = Resource::new(move || filter.get(), crate::api::list_invoices);
    let sending_today = Resource::new(|| (), |_| crate::api::sending_today());
    let errors = Signal::derive(move || {
        action_error(actions.void)
            .get()
            .or_else(|| action_error(actions.duplicate).get())
    });
    // Narrowed from the home page or a customer's page (a figure, a list,
    // "see all"): the list says how many match and how to see them all.
    let narrowed = move || {
        let filter = filter.get();
        !filter.chase().is_empty()
            || filter.store.is_some()
            || filter.customer.is_some()
            || !filter.currency.is_empty()
    };
    let filtered = move || {
        let filter = filter.get();
        !filter.status.is_empty()
            || !filter.text.is_empty()
            || !filter.kind.is_empty()
            || narrowed()
    };
    let next_href = move |next: String| {
        let filter = filter.get_untracked();
        format!(
            "/invoices?status={}&q={}&kind={}&sort={}&dir={}&store={}&customer={}&currency={}&due={}&age={}&attention={}&after={}",
            url_escape(&filter.status),
            url_escape(&filter.text),
            url_escape(&filter.kind),
            filter.sort.code(),
            if filter.ascending { "asc" } else { "desc" },
            filter.store.map(|store| store.to_string()).unwrap_or_default(),
            filter.customer.map(|customer| customer.to_string()).unwrap_or_default(),
            url_escape(&filter.currency),
            url_escape(&filter.due),
            url_escape(&filter.age),
            url_escape(&filter.attention),
            url_escape(&next)
        )
    };

    view! {
        <div class="page-head">
            <h1>{t(T::CustomerInvoices)}</h1>
            <div class="page-actions">
                <a class="button" href="/invoices/export">{move || w(W::ExportForAccountant, language.get())}</a>
                <a class="button primary" href="/invoices/new">{t(T::NewInvoice)}</a>
            </div>
        </div>
        <div data-live="sending-today">
        <Transition fallback=|| ()>
            {move || sending_today.get().and_then(Result::ok).map(|today| view! {
                <p class="muted small" data-testid="sending-today">
                    {t(T::EmailsToday)} ": " {today.sent} " " {t(T::QuotaOf)} " " {today.limit}
                </p>
            })}
        </Transition>
        </div>
        <section class="card" aria-labelledby="invoice-list-title">
            <h2 id="invoice-list-title" class="visually-hidden">{t(T::Invoices)}</h2>
            <Form method="GET" action="/invoices" attr:class="filters">
                <label class="field">
                    <span>{t(T::Search)}</span>
                    <input type="search" name="q" value=filter.get_untracked().text placeholder=move || t(T::SearchInvoicesHint)() />
                </label>
                <label class="field">
                    <span>{t(T::Status)}</span>
                    <select name="status">
                        <option value="" selected=move || filter.get().status.is_empty()>{t(T::AllStatuses)}</option>
                        <option value="unpaid" selected=move || filter.get().status == "unpaid">{t(T::Unpaid)}</option>
                        {InvoiceStatus::ALL
                            .into_iter()
                            .map(|status| {
                                view! {
                                    <option value=status.code() selected=move || filter.get().status == status.code()>
                                        {move || status.label(language.get())}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>{t(T::DocumentKind)}</span>
                    <select name="kind">
                        <option value="" selected=move || filter.get().kind.is_empty()>{t(T::AllDocuments)}</option>
                        {DocumentKind::ALL.into_iter().map(|kind| {
                            let label = match kind {
                                DocumentKind::Invoice => T::Invoices,
                                DocumentKind::CreditNote => T::CreditNotes,
                            };
                            view! { <option value=kind.code() selected=move || filter.get().kind == kind.code()>{t(label)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>{t(T::SortBy)}</span>
                    <select name="sort">
                        {InvoiceSort::ALL
                            .into_iter()
                            .map(|sort| {
                                let label = match sort {
                                    InvoiceSort::Date => T::Date,
                                    InvoiceSort::Customer => T::Customer,
                                    InvoiceSort::Total => T::Total,
                                };
                                view! { <option value=sort.code() selected=move || filter.get().sort == sort>{t(label)}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>{t(T::Order)}</span>
                    <select name="dir">
                        <option value="desc" selected=move || !filter.get().ascending>{t(T::Descending)}</option>
                        <option value="asc" selected=move || filter.get().ascending>{t(T::Ascending)}</option>
                    </select>
                </label>
                <button type="submit">{t(T::Apply)}</button>
            </Form>
            <ErrorAlert error=errors />
            <BulkActions />
            <div data-live="invoice-list">
            <Transition fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
                {move || {
                    invoices
                        .get()
                        .map(|result| match result {
                            Ok(page) if page.rows.is_empty() && filter.get().after.is_none() => {
                                if filtered() {
                                    view! { <p class="empty muted">{t(T::NoInvoicesMatch)}</p> }.into_any()
                                } else {
                                    view! { <EmptyState /> }.into_any()
                                }
                            }
                            Ok(page) => {
                                let next = page.next.clone().map(next_href);
                                let paged = filter.get().after.is_some();
                                let count = page.count;
                                view! {
                                    {narrowed().then(|| view! {
                                        <p class="list-count" data-testid="invoice-count" data-count=count>
                                            {move || tr(language.get(), T::MatchingInvoices).replace("{count}", &count.to_string())}
                                            " · " <a href="/invoices">{t(T::ShowAllInvoices)}</a>
                                        </p>
                                    })}
                                    <InvoiceTable rows=page.rows actions />
                                    <nav class="pager" aria-label=move || t(T::Pages)()>
                                        {paged.then(|| view! { <a href="/invoices">{t(T::FirstPage)}</a> })}
                                        {next.map(|href| view! { <a href=href rel="next">{t(T::NextPage)}</a> })}
                                    </nav>
                                }
                                    .into_any()
                            }
                            Err(error) => {
                                view! { <p class="alert" role="alert">{crate::components::error_message(&error, language.get())}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
            </div>
        </section>
    }
}

/// Percent-encodes a query value.
pub fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[component]
fn EmptyState() -> impl IntoView {
    view! {
        <div class="empty">
            <p class="empty-title">{t(T::NoInvoicesYet)}</p>
            <p class="muted">{t(T::NoInvoicesHelp)}</p>
            <p><a class="button primary" href="/invoices/new">{t(T::NewInvoice)}</a></p>
        </div>
    }
}

#[component]
fn InvoiceTable(rows: Vec<InvoiceRow>, actions: RowActions) -> impl IntoView {
    let language = use_language();
    view! {
        <div class="table-wrap">
            <table class="invoices">
                <thead>
                    <tr>
                        <th scope="col" class="select"><span class="visually-hidden">{move || w(W::Select, language.get())}</span></th>
                        <th scope="col">{t(T::Number)}</th>
                        <th scope="col">{t(T::Date)}</th>
                        <th scope="col">{t(T::Customer)}</th>
                        <th scope="col" class="num">{t(T::Total)}</th>
                        <th scope="col">{t(T::Status)}</th>
                        <th scope="col">{t(T::EmailSent)}</th>
                        <th scope="col">{t(T::Opened)}</th>
                        <th scope="col"><span class="visually-hidden">{t(T::Actions)}</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! { <InvoiceRowView row actions /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The Email sent cell: when, queued, retrying or failed (the reason on hover).
#[component]
pub fn EmailCell(email: EmailState, time_zone: TimeZone) -> impl IntoView {
    let language = use_language();
    match email {
        EmailState::NotSent => view! { <span class="muted">"—"</span> }.into_any(),
        EmailState::Queued => view! { <span class="pill pending">{t(T::Queued)}</span> }.into_any(),
        EmailState::Retrying { reason } => {
            view! { <span class="pill pending" title=reason>{t(T::Retrying)}</span> }.into_any()
        }
        EmailState::Sent { at_ms } => {
            view! { <time class="sent">{move || format_instant(at_ms, language.get(), time_zone)}</time> }
                .into_any()
        }
        EmailState::Failed { reason } => {
            view! { <span class="pill failed" title=reason>{t(T::Failed)}</span> }.into_any()
        }
    }
}

#[component]
fn InvoiceRowView(row: InvoiceRow, actions: RowActions) -> impl IntoView {
    let language = use_language();
    let time_zone = row.time_zone;
    let opened_cell = match row.first_opened_ms {
        Some(at_ms) => {
            let count = row.open_count;
            view! {
                <time class="opened">{move || format_instant(at_ms, language.get(), time_zone)}</time>
                {(count > 1).then(|| view! { <span class="muted">" · " {count} " " {t(T::Opens)}</span> })}
            }
                .into_any()
        }
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    let status = row.status;
    let pill = row.merchant_status;
    let issued = row.number.is_some();
    let number = row.number.clone();
    let row_key = number
        .clone()
        .unwrap_or_else(|| format!("draft-{}", row.id));
    let label = row.number.clone().unwrap_or_default();
    let href = format!("/invoices/{}", row.id);
    let issue_date = row.issue_date;
    let kind = row.kind;
    // A credit note gives back: its total reads as money off.
    let total = match kind {
        DocumentKind::Invoice => row.total,
        DocumentKind::CreditNote => invoice::Money::new(-row.total.minor, row.total.currency),
    };
    let can_remind = send_refusal(
        row.status.lifecycle(),
        EmailPurpose::Reminder,
        row.due_date,
        row.amount_due.minor,
    )
    .is_none();
    let select_id = format!("select-{}", row.id);
    let select_label = row.number.clone();
    view! {
        <tr data-invoice=row_key>
            // Joins the selection's form above the table (`form=`), so the
            // row's own forms stay outside it.
            <td class="select">
                <input type="checkbox" id=select_id.clone() name="invoice" value=row.id form=BULK_FORM_ID />
                <label for=select_id class="visually-hidden">
                    {move || w(W::Select, language.get())} " "
                    {match select_label.clone() {
                        Some(number) => number,
                        None => tr(language.get(), T::Draft).to_owned(),
                    }}
                </label>
            </td>
            <td>
                <a href=href.clone()>
                    {match number {
                        Some(number) => number.into_any(),
                        None => view! { <em>{t(T::Draft)}</em> }.into_any(),
                    }}
                </a>
                {(kind == DocumentKind::CreditNote).then(|| view! { " " <span class="pill credit-note">{t(T::CreditNote)}</span> })}
            </td>
            <td data-label=move || t(T::Date)()>{move || issue_date.map(|date| date.format(language.get())).unwrap_or_default()}</td>
            <td data-label=move || t(T::Customer)()>
                <div><a href=format!("/customers/{}", row.customer_id)>{row.customer_name.clone()}</a></div>
                <div class="muted small">{row.customer_email.clone()}</div>
            </td>
            <td class="num" class:credit=kind == DocumentKind::CreditNote data-label=move || t(T::Total)()>{move || total.format(language.get())}</td>
            <td data-label=move || t(T::Status)()><span class=format!("pill status-{}", pill.code())>{move || pill.label(language.get())}</span></td>
            <td data-column="email-sent" data-label=move || t(T::EmailSent)()><EmailCell email=row.email.clone() time_zone /></td>
            <td data-column="opened" data-label=move || t(T::Opened)()>{opened_cell}</td>
            <td class="row-actions">
                <RowMenu id=row.id issued label sends=row.sends status can_remind has_fatturapa=row.has_fatturapa actions kind />
            </td>
        </tr>
    }
}

/// The ⋯ menu of a row: a disclosure, so it opens with Enter or Space and
/// its items are ordinary links and buttons in the tab order.
#[component]
fn RowMenu(
    id: i64,
    issued: bool,
    label: String,
    sends: i64,
    status: InvoiceStatus,
    /// A reminder makes sense (issued, dated, something left to pay).
    can_remind: bool,
    /// Issued as an Italian electronic invoice.
    has_fatturapa: bool,
    actions: RowActions,
    kind: DocumentKind,
) -> impl IntoView {
    let invoice = kind == DocumentKind::Invoice;
    let can_credit =
        invoice && issued && !matches!(status, InvoiceStatus::Void | InvoiceStatus::Credited);
    let language = use_language();
    let menu_label = move || format!("{} {}", tr(language.get(), T::ActionsFor), label);
    let can_send = issued && status != InvoiceStatus::Void;
    view! {
        <details class="row-menu">
            <summary aria-label=menu_label>"⋯"</summary>
            <div class="menu" role="group">
                <a href=format!("/invoices/{id}")>{if issued { t(T::Open) } else { t(T::EditDraft) }}</a>
                {issued.then(|| view! {
                    // A full page load, so the browser scrolls to the history itself.
                    <a href=format!("/invoices/{id}#history") rel="external">{t(T::History)}</a>
                    <a href=format!("/invoices/{id}/pdf?layout=a4") download>{t(T::DownloadPdf)}</a>
                    <a href=format!("/invoices/{id}/pdf?layout=receipt") download>{t(T::DownloadReceipt)}</a>
                })}
                {has_fatturapa.then(|| view! {
                    <a href=format!("/invoices/{id}/fatturapa.xml") download rel="external">{t(T::DownloadFatturaPa)}</a>
                })}
                {can_send.then(|| view! {
                    <a href=format!("/invoices/{id}/send")>{if sends == 0 { t(T::SendByEmail) } else { t(T::SendAgain) }}</a>
                })}
                {can_remind.then(|| view! {
                    <a href=format!("/invoices/{id}/send?purpose=reminder")>{t(T::SendReminder)}</a>
                })}
                {can_credit.then(|| view! {
                    <a href=format!("/invoices/{id}/credit")>{t(T::IssueCreditNote)}</a>
                })}
                {invoice.then(|| view! {
                    <ActionForm action=actions.duplicate>
                        <input type="hidden" name="id" value=id />
                        <button type="submit">{t(T::Duplicate)}</button>
                    </ActionForm>
                })}
                {(invoice && issued && !matches!(status, InvoiceStatus::Void | InvoiceStatus::Credited)).then(|| view! {
                    <ActionForm action=actions.void>
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class="danger">{t(T::Void)}</button>
                    </ActionForm>
                })}
            </div>
        </details>
    }
}
