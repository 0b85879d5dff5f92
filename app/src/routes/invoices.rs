//! Sales → Customer invoices: the list, with Email sent and Opened columns,
//! and the form that creates a new invoice.

use std::time::Duration;

use invoice::dates::format_instant;
use invoice::document::{parse_quantity, parse_tax_rate, totals, DocumentLine};
use invoice::{Currency, Language, Money};
use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{AdminError, CreateInvoice, EmailState, InvoiceRow, SendInvoice};

/// How often the list asks for news (emails delivered, invoices opened).
const REFRESH_EVERY: Duration = Duration::from_secs(3);
/// The admin speaks English until the language switch arrives.
const ADMIN_LANGUAGE: Language = Language::En;

#[component]
pub fn InvoicesPage() -> impl IntoView {
    let create = ServerAction::<CreateInvoice>::new();
    let send = ServerAction::<SendInvoice>::new();
    let (tick, set_tick) = signal(0_u64);
    // Effects run only in the browser: the server renders once, the hydrated page polls.
    Effect::new(move |_| {
        if let Ok(handle) =
            set_interval_with_handle(move || set_tick.update(|t| *t += 1), REFRESH_EVERY)
        {
            on_cleanup(move || handle.clear());
        }
    });
    let invoices = Resource::new(
        move || (create.version().get(), send.version().get(), tick.get()),
        |_| crate::api::list_invoices(),
    );

    view! {
        <div class="page-head">
            <h1>"Customer invoices"</h1>
        </div>
        <NewInvoiceForm action=create />
        <section aria-labelledby="invoice-list-title" class="card">
            <h2 id="invoice-list-title">"Invoices"</h2>
            {move || {
                send.value()
                    .get()
                    .and_then(Result::err)
                    .map(|error| view! { <p class="alert" role="alert">{error.to_string()}</p> })
            }}
            <Transition fallback=|| view! { <p class="muted">"Loading invoices…"</p> }>
                {move || {
                    invoices
                        .get()
                        .map(|result| match result {
                            Ok(rows) if rows.is_empty() => view! { <EmptyState /> }.into_any(),
                            Ok(rows) => view! { <InvoiceTable rows send /> }.into_any(),
                            Err(error) => {
                                view! { <p class="alert" role="alert">{error.to_string()}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn EmptyState() -> impl IntoView {
    view! {
        <div class="empty">
            <p class="empty-title">"No invoices yet"</p>
            <p class="muted">
                "Create your first invoice above: it is issued with the next number and can be emailed to your customer as a link."
            </p>
        </div>
    }
}

/// The live total of the line being typed, computed with the same rules as the
/// issued document. It needs the hydrated page: before that it shows a dash.
fn live_total(currency: &str, quantity: &str, unit_price: &str, tax_rate: &str) -> Option<String> {
    let currency = Currency::parse(currency).ok()?;
    let line = DocumentLine {
        description: String::new(),
        quantity_milli: parse_quantity(quantity).ok()?,
        unit_price_minor: Money::parse(unit_price, currency).ok()?.minor,
        tax_rate_bp: parse_tax_rate(tax_rate).ok()?,
    };
    totals(&[line], currency)
        .ok()
        .map(|totals| totals.total.format(ADMIN_LANGUAGE))
}

#[component]
fn NewInvoiceForm(action: ServerAction<CreateInvoice>) -> impl IntoView {
    let customer_name = RwSignal::new(String::new());
    let customer_email = RwSignal::new(String::new());
    let customer_language = RwSignal::new("en".to_owned());
    let currency = RwSignal::new("EUR".to_owned());
    let description = RwSignal::new(String::new());
    let quantity = RwSignal::new("1".to_owned());
    let unit_price = RwSignal::new(String::new());
    let tax_rate = RwSignal::new("22".to_owned());

    // A created invoice clears the form for the next one.
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            for field in [customer_name, customer_email, description, unit_price] {
                field.set(String::new());
            }
            quantity.set("1".into());
        }
    });
    let error_for = move |field: &'static str| {
        move || {
            action
                .value()
                .get()
                .and_then(Result::err)
                .and_then(|error: AdminError| error.field(field))
        }
    };
    let total = move || {
        live_total(
            &currency.get(),
            &quantity.get(),
            &unit_price.get(),
            &tax_rate.get(),
        )
        .unwrap_or_else(|| "—".into())
    };
    let general_error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .filter(|error| !matches!(error, AdminError::Invalid(_)))
            .map(|error| error.to_string())
    };

    view! {
        <section aria-labelledby="new-invoice-title" class="card">
            <h2 id="new-invoice-title">"New invoice"</h2>
            <ActionForm action attr:class="invoice-form" attr:novalidate=true>
                <Field label="Customer name" name="customer_name" value=customer_name error=error_for("customer_name") />
                <Field label="Customer email" name="customer_email" value=customer_email error=error_for("customer_email") kind="email" />
                <label class="field">
                    <span>"Customer language"</span>
                    <select name="customer_language" prop:value=move || customer_language.get() on:change=move |ev| customer_language.set(event_target_value(&ev))>
                        <option value="it">"Italiano"</option>
                        <option value="es">"Español"</option>
                        <option value="en">"English"</option>
                    </select>
                </label>
                <label class="field">
                    <span>"Currency"</span>
                    <select name="currency" prop:value=move || currency.get() on:change=move |ev| currency.set(event_target_value(&ev))>
                        {Currency::ALL.into_iter().map(|c| view! { <option value=c.code()>{c.code()}</option> }).collect_view()}
                    </select>
                </label>
                <Field label="Description" name="description" value=description error=error_for("lines[0].description") wide=true />
                <Field label="Quantity" name="quantity" value=quantity error=error_for("lines[0].quantity") mode="decimal" />
                <Field label="Unit price" name="unit_price" value=unit_price error=error_for("lines[0].unit_price") mode="decimal" />
                <Field label="Tax rate (%)" name="tax_rate" value=tax_rate error=error_for("lines[0].tax_rate") mode="decimal" />
                <p class="live-total">
                    "Total with tax: " <output name="total" data-testid="live-total">{total}</output>
                </p>
                {move || general_error().map(|message| view! { <p class="alert" role="alert">{message}</p> })}
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    "Create invoice"
                </button>
            </ActionForm>
        </section>
    }
}

/// A labelled input bound to a signal, with its error message beside it.
#[component]
fn Field<E>(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    error: E,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "text")] mode: &'static str,
    #[prop(default = false)] wide: bool,
) -> impl IntoView
where
    E: Fn() -> Option<String> + Copy + Send + Sync + 'static,
{
    let error_id = format!("{name}-error");
    let described_by = error_id.clone();
    view! {
        <label class="field" class:wide=wide>
            <span>{label}</span>
            <input
                type=kind
                name=name
                inputmode=mode
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || if error().is_some() { "true" } else { "false" }
                aria-describedby=described_by
            />
            <span class="field-error" id=error_id role="status">{error}</span>
        </label>
    }
}

#[component]
fn InvoiceTable(rows: Vec<InvoiceRow>, send: ServerAction<SendInvoice>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="invoices">
                <thead>
                    <tr>
                        <th scope="col">"Number"</th>
                        <th scope="col">"Date"</th>
                        <th scope="col">"Customer"</th>
                        <th scope="col" class="num">"Total"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Email sent"</th>
                        <th scope="col">"Opened"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! { <InvoiceRowView row send /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn InvoiceRowView(row: InvoiceRow, send: ServerAction<SendInvoice>) -> impl IntoView {
    let email_cell = match &row.email {
        EmailState::NotSent => view! { <span class="muted">"—"</span> }.into_any(),
        EmailState::Queued => view! { <span class="pill pending">"Queued"</span> }.into_any(),
        EmailState::Sent { at_ms } => {
            view! { <time class="sent">{format_instant(*at_ms, ADMIN_LANGUAGE)}</time> }.into_any()
        }
        EmailState::Failed { reason } => {
            view! { <span class="pill failed" title=reason.clone()>"Failed"</span> }.into_any()
        }
    };
    let opened_cell = match row.first_opened_ms {
        Some(at_ms) => {
            let more = (row.open_count > 1).then(|| format!(" · {} opens", row.open_count));
            view! { <time class="opened">{format_instant(at_ms, ADMIN_LANGUAGE)}</time> {more} }
                .into_any()
        }
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    let send_label = if row.sends == 0 { "Send" } else { "Send again" };
    let idempotency_key = format!("invoice-{}-send-{}", row.id, row.sends);
    let send_name = format!("{send_label} invoice {}", row.number);
    let number = row.number.clone();
    view! {
        <tr data-invoice=number>
            <td>{row.number}</td>
            <td>{row.issue_date}</td>
            <td>
                <div>{row.customer_name}</div>
                <div class="muted small">{row.customer_email}</div>
            </td>
            <td class="num">{row.total}</td>
            <td><span class="pill">{row.status}</span></td>
            <td data-column="email-sent">{email_cell}</td>
            <td data-column="opened">{opened_cell}</td>
            <td>
                <ActionForm action=send>
                    <input type="hidden" name="invoice_id" value=row.id />
                    <input type="hidden" name="idempotency_key" value=idempotency_key />
                    <button type="submit" aria-label=send_name>
                        {send_label}
                    </button>
                </ActionForm>
            </td>
        </tr>
    }
}
