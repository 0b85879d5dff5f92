//! One invoice: the draft editor with live totals, and the issued invoice
//! with its PDF, payments and history.

use invoice::dates::format_instant;
use invoice::document::DocumentKind;
use invoice::document::{
    parse_quantity, parse_tax_rate, totals, DocumentLine, DraftInput, LineInput,
};
use invoice::events::{DeviceClass, EdgeEventKind, Recipient};
use invoice::history::{
    history_lines, Audience, EmailKind, EmailStep, HistoryEvent, HistoryFilter, HistoryLine,
    MachineVisits, PaymentEvent,
};
use invoice::italy::{Natura, NATURE};
use invoice::payment::PaymentMethod;
use invoice::spain::TaxTreatment;
use invoice::status::Lifecycle;
use invoice::tracking::Clue;
use invoice::{Currency, Language, Money};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::api::{
    CorrectAeatRecord, DeletePayment, DraftOptions, InvoiceDetail, IssueInvoice, LinkRow,
    RecordPayment, RevokeLink, SaveAndIssueDraft, SaveDraft,
};
use crate::components::{
    action_error, field_error, plain_post_refusal, provide_plain_post_error,
    provide_store_time_zone, reload_at, use_store_time_zone, ErrorAlert, Field, LastError,
    PostedAs, SelectField, TextArea,
};
use crate::i18n::{provide_language, t, tr, use_language, T};
use crate::routes::invoices::{EmailCell, RowActions};

#[component]
pub fn NewInvoicePage() -> impl IntoView {
    let language = use_language().get_untracked();
    let choices = Resource::new(|| (), |_| crate::api::draft_choices());
    view! {
        <div class="page-head">
            <h1>{t(T::NewInvoice)}</h1>
            <a href="/invoices">{t(T::BackToInvoices)}</a>
        </div>
        <Suspense fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
            {move || Suspend::new(async move {
                match choices.await {
                    Ok(choices) => {
                        let first_store = choices.stores.first();
                        let tax_rate = first_store.map(|store| rate_input(store.default_tax_rate_bp)).unwrap_or_default();
                        let draft = DraftInput {
                            store_id: first_store.map(|store| store.id.to_string()).unwrap_or_default(),
                            lines: vec![LineInput { quantity: "1".into(), tax_rate, ..LineInput::default() }],
                            ..DraftInput::default()
                        };
                        view! { <DraftEditor language id=None version=0 draft choices codes=LineCodes::new(language) /> }.into_any()
                    }
                    Err(error) => view! { <ErrorAlert error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A rate as the editor's field shows it: 2100 → `21`, 550 → `5.5`.
fn rate_input(rate_bp: i64) -> String {
    invoice::document::format_tax_rate(rate_bp, invoice::Language::En)
        .trim_end_matches('%')
        .to_owned()
}

/// What the merchant types or picks on the invoice page. It lives outside
/// the page's live regions, so an open, a delivery or another user's change
/// never wipes a payment being typed or the history filter.
#[derive(Clone, Copy)]
struct PageInputs {
    amount: RwSignal<String>,
    date: RwSignal<String>,
    method: RwSignal<String>,
    reference: RwSignal<String>,
    history_filter: HistoryFilter,
}

impl PageInputs {
    fn new() -> Self {
        Self {
            amount: RwSignal::new(String::new()),
            date: RwSignal::new(String::new()),
            method: RwSignal::new(PaymentMethod::BankTransfer.code().to_owned()),
            reference: RwSignal::new(String::new()),
            history_filter: HistoryFilter::Everything,
        }
    }

    /// Fills what the merchant has not typed: the amount due and today.
    fn default_payment(&self, due: Money, today: invoice::dates::Date) {
        if self.amount.get_untracked().is_empty() && due.minor > 0 {
            self.amount.set(due.to_plain());
        }
        if self.date.get_untracked().is_empty() {
            self.date.set(today.to_string());
        }
    }
}

#[component]
pub fn InvoicePage() -> impl IntoView {
    let id = crate::components::route_id();
    let actions = RowActions::for_page();
    let mut inputs = PageInputs::new();
    // The history filter chosen without JavaScript (`?history=customer`).
    inputs.history_filter = use_query_map()
        .with_untracked(|query| HistoryFilter::parse(&query.get("history").unwrap_or_default()));
    let language = use_language().get_untracked();
    // Posted as plain forms: the server answers with this page again.
    let payment = ServerAction::<RecordPayment>::new();
    let delete_payment = ServerAction::<DeletePayment>::new();
    let revoke = ServerAction::<RevokeLink>::new();
    let correct = ServerAction::<CorrectAeatRecord>::new();
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => crate::api::get_invoice(id).await,
            None => Err(crate::api::AdminError::NotFound),
        }
    });
    let choices = Resource::new(|| (), |_| crate::api::draft_choices());
    view! {
        <Transition fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
            {move || Suspend::new(async move {
                let detail = detail.await;
                let choices = choices.await;
                match (detail, choices) {
                    (Ok(detail), Ok(choices)) if detail.lifecycle == Lifecycle::Draft => {
                        view! {
                            <div class="page-head">
                                <h1>{t(T::EditDraft)}</h1>
                                <a href="/invoices">{t(T::BackToInvoices)}</a>
                            </div>
                            <DraftEditor language id=Some(detail.id) version=detail.version draft=detail.draft.clone() choices codes=LineCodes::new(language) />
                        }
                            .into_any()
                    }
                    (Ok(detail), _) => view! { <IssuedInvoice detail actions inputs payment delete_payment revoke correct /> }.into_any(),
                    (Err(error), _) => {
                        view! { <ErrorAlert error=Signal::derive(move || Some(error.clone())) /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// One line of the editor, each field bound to its input.
#[derive(Clone, Copy)]
struct LineFields {
    key: u64,
    description: RwSignal<String>,
    quantity: RwSignal<String>,
    unit_price: RwSignal<String>,
    tax_rate: RwSignal<String>,
    natura: RwSignal<String>,
    treatment: RwSignal<String>,
}

impl LineFields {
    fn new(key: u64, line: LineInput) -> Self {
        Self {
            key,
            description: RwSignal::new(line.description),
            quantity: RwSignal::new(line.quantity),
            unit_price: RwSignal::new(line.unit_price),
            tax_rate: RwSignal::new(line.tax_rate),
            natura: RwSignal::new(line.natura),
            treatment: RwSignal::new(line.treatment),
        }
    }

    fn input(&self) -> LineInput {
        LineInput {
            description: self.description.get(),
            quantity: self.quantity.get(),
            unit_price: self.unit_price.get(),
            tax_rate: self.tax_rate.get(),
            natura: self.natura.get(),
            treatment: self.treatment.get(),
        }
    }

    /// The line as the document would hold it, if what is typed so far parses.
    fn parsed(&self, currency: Currency) -> Option<DocumentLine> {
        Some(DocumentLine {
            description: String::new(),
            quantity_milli: parse_quantity(&self.quantity.get()).ok()?,
            unit_price_minor: Money::parse(&self.unit_price.get(), currency).ok()?.minor,
            tax_rate_bp: parse_tax_rate(&self.tax_rate.get()).ok()?,
            natura: None,
            treatment: None,
        })
    }
}

/// The draft form. Totals are computed with the same `invoice/` rules as
/// the issued document, as the merchant types. Without JavaScript it posts
/// to `save_draft` (or `save_and_issue_draft`), its fields named after their
/// arguments; the lines shown are the lines posted.
/// The codes a line's selects offer, with their names in the merchant's
/// language: written on the server, so the names stay out of the wasm.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LineCodes {
    /// An Italian line's natura (none first).
    natura: Vec<(String, String)>,
    /// A Spanish line's tax treatment, S1 (subject) first.
    treatment: Vec<(String, String)>,
}

impl LineCodes {
    fn new(language: Language) -> Self {
        let named = |code: &str, name: &str| (code.to_owned(), format!("{code} — {name}"));
        Self {
            natura: NATURE
                .iter()
                .filter_map(|code| Natura::parse(code).ok())
                .map(|natura| named(natura.code(), natura.name()))
                .collect(),
            treatment: TaxTreatment::ALL
                .into_iter()
                .map(|treatment| named(treatment.code(), treatment.name(language)))
                .collect(),
        }
    }
}

#[island(lazy)]
fn DraftEditor(
    language: Language,
    id: Option<i64>,
    version: i64,
    draft: DraftInput,
    choices: DraftOptions,
    codes: LineCodes,
) -> impl IntoView {
    let codes = StoredValue::new(codes);
    provide_language(language);
    provide_plain_post_error();
    provide_context(PostedAs("draft"));
    let language = use_language();
    let save = ServerAction::<SaveDraft>::new();
    let issue = ServerAction::<IssueInvoice>::new();
    // Only ever a refusal: with JavaScript the editor saves and issues itself.
    let saved_and_issued = plain_post_refusal(SaveAndIssueDraft::PATH);
    let issue_after_save = RwSignal::new(false);
    let store_id = RwSignal::new(draft.store_id.clone());
    let customer_id = RwSignal::new(draft.customer_id.clone());
    let issue_date = RwSignal::new(draft.issue_date.clone());
    let due_date = RwSignal::new(draft.due_date.clone());
    let notes = RwSignal::new(draft.notes.clone());
    let next_key = StoredValue::new(draft.lines.len() as u64);
    let lines = RwSignal::new(
        draft
            .lines
            .into_iter()
            .enumerate()
            .map(|(index, line)| LineFields::new(index as u64, line))
            .collect::<Vec<_>>(),
    );
    let stores = choices.stores.clone();
    let currency = Memo::new(move |_| {
        stores
            .iter()
            .find(|store| store.id.to_string() == store_id.get())
            .and_then(|store| Currency::parse(&store.currency).ok())
            .unwrap_or(Currency::Eur)
    });
    let e_invoicing = Memo::new({
        let stores = choices.stores.clone();
        move |_| {
            stores
                .iter()
                .any(|store| store.id.to_string() == store_id.get() && store.e_invoicing)
        }
    });
    let verifactu = Memo::new({
        let stores = choices.stores.clone();
        move |_| {
            stores
                .iter()
                .any(|store| store.id.to_string() == store_id.get() && store.verifactu)
        }
    });
    // A new line starts at the store's default rate (21 % in Spain, 22 %
    // in Italy, or the one the merchant set).
    let default_rate = Memo::new({
        let stores = choices.stores.clone();
        move |_| {
            stores
                .iter()
                .find(|store| store.id.to_string() == store_id.get())
                .map(|store| rate_input(store.default_tax_rate_bp))
                .unwrap_or_default()
        }
    });
    let live_totals = Memo::new(move |_| {
        let currency = currency.get();
        let parsed: Vec<DocumentLine> = lines
            .get()
            .iter()
            .filter_map(|line| line.parsed(currency))
            .collect();
        totals(&parsed, currency).ok()
    });
    let input = move || DraftInput {
        customer_id: customer_id.get(),
        store_id: store_id.get(),
        issue_date: issue_date.get(),
        due_date: due_date.get(),
        notes: notes.get(),
        lines: lines.get().iter().map(LineFields::input).collect(),
    };
    // The draft as last saved: a save gives a new draft its id and each
    // save its next version, so saving again after a refused issue updates
    // the same draft instead of writing a second one.
    let saved = StoredValue::new((id, version));
    // Saving gives the draft its id (new) or its next version; issuing
    // follows when that is what the merchant asked for.
    Effect::new(move |_| {
        if let Some(Ok(saved_id)) = save.value().get() {
            let (previous_id, previous_version) = saved.get_value();
            let saved_version = if previous_id.is_some() {
                previous_version + 1
            } else {
                1
            };
            saved.set_value((Some(saved_id), saved_version));
            if issue_after_save.get_untracked() {
                issue_after_save.set(false);
                issue.dispatch(IssueInvoice {
                    id: saved_id,
                    version: saved_version,
                });
            } else if id.is_none() {
                reload_at(&format!("/invoices/{saved_id}"));
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = issue.value().get() {
            if let Some(Ok(saved_id)) = save.value().get_untracked() {
                reload_at(&format!("/invoices/{saved_id}?issued=1"));
            }
        }
    });
    let save_error = action_error(save);
    let issue_error = action_error(issue);
    let error: LastError = Signal::derive(move || {
        save_error
            .get()
            .or_else(|| issue_error.get())
            .or_else(|| saved_and_issued.clone())
    });
    let store_options = Signal::derive({
        let stores = choices.stores.clone();
        move || {
            stores
                .iter()
                .map(|store| {
                    (
                        store.id.to_string(),
                        format!("{} ({})", store.name, store.currency),
                    )
                })
                .collect::<Vec<_>>()
        }
    });
    let has_customers = !choices.customers.is_empty();
    let customer_options = Signal::derive({
        let customers = choices.customers.clone();
        move || {
            let mut options = vec![(
                String::new(),
                tr(language.get(), T::ChooseCustomer).to_owned(),
            )];
            options.extend(customers.iter().map(|customer| {
                let label = match &customer.email {
                    Some(email) => format!("{} — {email}", customer.name),
                    None => customer.name.clone(),
                };
                (customer.id.to_string(), label)
            }));
            options
        }
    });
    let pending = move || save.pending().get() || issue.pending().get();
    let submit = move |issue_too: bool| {
        issue_after_save.set(issue_too);
        let (id, version) = saved.get_value();
        save.dispatch(SaveDraft {
            id,
            version,
            draft: input(),
        });
    };
    let money = move |minor: i64| Money::new(minor, currency.get()).format(language.get());

    view! {
        <form class="card invoice-editor" novalidate method="post" action=SaveDraft::url() on:submit=move |ev| { ev.prevent_default(); submit(false); }>
            {id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <input type="hidden" name="version" value=version />
            <div class="grid">
                <SelectField label=T::Store name="store_id" value=store_id error=field_error(error, "store_id") options=store_options />
                <SelectField label=T::Customer name="customer_id" value=customer_id error=field_error(error, "customer_id") options=customer_options />
                {(!has_customers).then(|| view! { <p class="hint wide">{t(T::NoCustomersYet)} " " <a href="/customers/new">{t(T::AddCustomer)}</a></p> })}
                <Field label=T::IssueDate name="issue_date" value=issue_date error=field_error(error, "issue_date") kind="date" hint=T::IssueDateHint />
                <Field label=T::DueDate name="due_date" value=due_date error=field_error(error, "due_date") kind="date" />
            </div>
            <fieldset class="lines">
                <legend>{t(T::Lines)}</legend>
                <table class="line-table">
                    <thead>
                        <tr>
                            <th scope="col">{t(T::Description)}</th>
                            <th scope="col">{t(T::Quantity)}</th>
                            <th scope="col">{t(T::UnitPrice)}</th>
                            <th scope="col">{t(T::TaxRate)}</th>
                            {move || e_invoicing.get().then(|| view! { <th scope="col">{t(T::Natura)}</th> })}
                            {move || verifactu.get().then(|| view! { <th scope="col">{t(T::TaxTreatment)}</th> })}
                            <th scope="col" class="num">{t(T::Amount)}</th>
                            <th scope="col"><span class="visually-hidden">{t(T::Actions)}</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || lines.get().into_iter().enumerate() key=|(_, line)| line.key let((index, line))>
                            <LineRow index line error currency lines e_invoicing verifactu codes />
                        </For>
                    </tbody>
                </table>
                <span class="field-error" id="lines-error" role="status">{move || field_error(error, "lines").get()}</span>
                <button type="button" on:click=move |_| {
                    let key = next_key.get_value();
                    next_key.set_value(key + 1);
                    let tax_rate = lines.get_untracked().last().map(|line| line.tax_rate.get_untracked()).unwrap_or_else(|| default_rate.get_untracked());
                    lines.update(|lines| lines.push(LineFields::new(key, LineInput { quantity: "1".into(), tax_rate, ..LineInput::default() })));
                }>{t(T::AddLine)}</button>
            </fieldset>
            <TextArea label=T::Notes name="notes" value=notes error=field_error(error, "notes") hint=T::NotesHint />
            <dl class="totals" data-testid="live-totals">
                {move || live_totals.get().map(|totals| view! {
                    <div><dt>{t(T::Subtotal)}</dt><dd>{money(totals.subtotal.minor)}</dd></div>
                    {totals.taxes.iter().map(|tax| {
                        let rate = invoice::document::format_tax_rate(tax.rate_bp, language.get());
                        view! { <div><dt>{t(T::Tax)} " " {rate}</dt><dd>{money(tax.tax.minor)}</dd></div> }
                    }).collect_view()}
                    <div class="grand"><dt>{t(T::Total)}</dt><dd data-testid="live-total">{money(totals.total.minor)}</dd></div>
                })}
            </dl>
            <ErrorAlert error />
            <div class="form-actions">
                <button type="submit" disabled=pending>{t(T::SaveDraft)}</button>
                <button
                    type="submit"
                    class="primary"
                    formaction=SaveAndIssueDraft::url()
                    disabled=pending
                    on:click=move |ev| {
                        ev.prevent_default();
                        submit(true);
                    }
                >
                    {t(T::SaveAndIssue)}
                </button>
            </div>
        </form>
    }
}

#[component]
fn LineRow(
    index: usize,
    line: LineFields,
    error: LastError,
    currency: Memo<Currency>,
    lines: RwSignal<Vec<LineFields>>,
    /// The store issues Italian electronic invoices: each 0 % line says why.
    e_invoicing: Memo<bool>,
    /// The store keeps VERI*FACTU records: each line says how it is taxed.
    verifactu: Memo<bool>,
    codes: StoredValue<LineCodes>,
) -> impl IntoView {
    let language = use_language();
    let field = move |name: &str| field_error(error, format!("lines[{index}].{name}"));
    let amount = move || {
        line.parsed(currency.get())
            .map(|parsed| Money::new(parsed.net_minor(), currency.get()).format(language.get()))
            .unwrap_or_else(|| "—".into())
    };
    let cell = move |name: &'static str, value: RwSignal<String>, label: T, mode: &'static str| {
        let problem = field(name);
        let error_id = format!("lines-{index}-{name}-error");
        let described = error_id.clone();
        view! {
            <td>
                <input
                    name=format!("draft[lines][{index}][{name}]")
                    inputmode=mode
                    aria-label=move || format!("{} {}", tr(language.get(), label), index + 1)
                    // In the server's HTML too: the form posts without JavaScript.
                    value=value.get_untracked()
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    aria-invalid=move || if problem.get().is_some() { "true" } else { "false" }
                    aria-describedby=described
                />
                <span class="field-error" id=error_id role="status">{move || problem.get()}</span>
            </td>
        }
    };
    view! {
        <tr>
            {cell("description", line.description, T::Description, "text")}
            {cell("quantity", line.quantity, T::Quantity, "decimal")}
            {cell("unit_price", line.unit_price, T::UnitPrice, "decimal")}
            {cell("tax_rate", line.tax_rate, T::TaxRate, "decimal")}
            {move || e_invoicing.get().then(|| view! { <NaturaCell index value=line.natura error codes /> })}
            {move || verifactu.get().then(|| view! { <TreatmentCell index value=line.treatment error codes /> })}
            <td class="num">{amount}</td>
            <td>
                <button
                    type="button"
                    class="link"
                    aria-label=move || format!("{} {}", tr(language.get(), T::RemoveLine), index + 1)
                    on:click=move |_| lines.update(|lines| lines.retain(|other| other.key != line.key))
                >"×"</button>
            </td>
        </tr>
    }
}

/// The natura of an Italian line without VAT, chosen from the schema's list.
#[component]
fn NaturaCell(
    index: usize,
    value: RwSignal<String>,
    error: LastError,
    codes: StoredValue<LineCodes>,
) -> impl IntoView {
    let language = use_language();
    let problem = field_error(error, format!("lines[{index}].natura"));
    let error_id = format!("lines-{index}-natura-error");
    view! {
        <td>
            <select
                name=format!("draft[lines][{index}][natura]")
                aria-label=move || format!("{} {}", tr(language.get(), T::Natura), index + 1)
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || if problem.get().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
            >
                <option value="">{t(T::NoNatura)}</option>
                {codes.with_value(|codes| codes.natura.clone()).into_iter().map(|(code, label)| {
                    let chosen = code.clone();
                    view! { <option value=code selected=move || value.get() == chosen>{label}</option> }
                }).collect_view()}
            </select>
            <span class="field-error" id=error_id role="status">{move || problem.get()}</span>
        </td>
    }
}

/// How a Spanish store's line is taxed: subject (with its rate), exempt
/// (E1…E6) or not subject (N1, N2), in the AEAT's words.
#[component]
fn TreatmentCell(
    index: usize,
    value: RwSignal<String>,
    error: LastError,
    codes: StoredValue<LineCodes>,
) -> impl IntoView {
    // A line with none is subject to tax (S1, the first).
    let subject = codes.with_value(|codes| {
        codes
            .treatment
            .first()
            .map(|(code, _)| code.clone())
            .unwrap_or_default()
    });
    let shown = move || match value.get() {
        code if code.is_empty() => subject.clone(),
        code => code,
    };
    let language = use_language();
    let problem = field_error(error, format!("lines[{index}].treatment"));
    let error_id = format!("lines-{index}-treatment-error");
    view! {
        <td>
            <select
                name=format!("draft[lines][{index}][treatment]")
                aria-label=move || format!("{} {}", tr(language.get(), T::TaxTreatment), index + 1)
                prop:value=shown.clone()
                on:change=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || if problem.get().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
            >
                {codes.with_value(|codes| codes.treatment.clone()).into_iter().map(|(code, label)| {
                    let chosen = code.clone();
                    let shown = shown.clone();
                    view! { <option value=code selected=move || shown() == chosen>{label}</option> }
                }).collect_view()}
            </select>
            <span class="field-error" id=error_id role="status">{move || problem.get()}</span>
        </td>
    }
}

#[component]
fn IssuedInvoice(
    detail: InvoiceDetail,
    actions: RowActions,
    inputs: PageInputs,
    payment: ServerAction<RecordPayment>,
    delete_payment: ServerAction<DeletePayment>,
    revoke: ServerAction<RevokeLink>,
    correct: ServerAction<CorrectAeatRecord>,
) -> impl IntoView {
    let language = use_language();
    provide_store_time_zone(detail.time_zone);
    let id = detail.id;
    let number = detail.number.clone().unwrap_or_default();
    let status = detail.merchant_status;
    let currency = detail.total.currency;
    let (total, paid, due) = (detail.total, detail.paid, detail.amount_due);
    let is_void = detail.lifecycle == Lifecycle::Void;
    let credit_note = detail.kind == DocumentKind::CreditNote;
    let credited = detail.credited;
    let payment_error = action_error(payment);
    inputs.default_payment(due, detail.today);
    let PageInputs {
        amount,
        date,
        method,
        reference,
        history_filter,
    } = inputs;
    let lines: Vec<DocumentLine> = detail
        .draft
        .lines
        .iter()
        .filter_map(|line| {
            Some(DocumentLine {
                description: line.description.clone(),
                quantity_milli: parse_quantity(&line.quantity).ok()?,
                unit_price_minor: Money::parse(&line.unit_price, currency).ok()?.minor,
                tax_rate_bp: parse_tax_rate(&line.tax_rate).ok()?,
                natura: None,
                treatment: None,
            })
        })
        .collect();
    let method_options = Signal::derive(move || {
        PaymentMethod::ALL
            .into_iter()
            .map(|method| {
                (
                    method.code().to_owned(),
                    method.label(language.get()).to_owned(),
                )
            })
            .collect::<Vec<_>>()
    });
    let general_errors = Signal::derive(move || {
        action_error(actions.void)
            .get()
            .or_else(|| action_error(revoke).get())
            .or_else(|| action_error(actions.duplicate).get())
            .or_else(|| action_error(actions.transmit).get())
    });
    view! {
        <div data-live="invoice">
        <div class="page-head">
            <h1>{if credit_note { t(T::CreditNote) } else { t(T::Invoice) }} " " {number.clone()}</h1>
            {(!credit_note).then(|| view! {
                <span class=format!("pill status-{}", status.code()) data-testid="status">{move || status.label(language.get())}</span>
            })}
            <a href="/invoices">{t(T::BackToInvoices)}</a>
        </div>
        <ErrorAlert error=general_errors />
        {detail.automatic_send_skipped.then(|| view! {
            <div class="alert warning" role="status">{t(T::AutomaticSendSkipped)}</div>
        })}
        <section class="card summary">
            <dl class="facts">
                <div><dt>{t(T::Customer)}</dt><dd>{detail.customer_name.clone()} <div class="muted small">{detail.customer_email.clone()}</div></dd></div>
                <div><dt>{t(T::Store)}</dt><dd>{detail.store_name.clone()}</dd></div>
                {detail.corrects.clone().map(|(invoice_id, invoice_number)| view! {
                    <div><dt>{t(T::CorrectsInvoice)}</dt><dd data-testid="corrects"><a href=format!("/invoices/{invoice_id}")>{invoice_number}</a></dd></div>
                })}
                {if credit_note {
                    view! {
                        <div><dt>{t(T::AmountCredited)}</dt><dd data-testid="total">{move || total.format(language.get())}</dd></div>
                    }.into_any()
                } else {
                    view! {
                        <div><dt>{t(T::Total)}</dt><dd data-testid="total">{move || total.format(language.get())}</dd></div>
                        <div><dt>{t(T::AmountPaid)}</dt><dd data-testid="paid">{move || paid.format(language.get())}</dd></div>
                        {(credited.minor > 0).then(|| view! {
                            <div><dt>{t(T::Credited)}</dt><dd data-testid="credited">{move || credited.format(language.get())}</dd></div>
                        })}
                        <div><dt>{t(T::AmountDue)}</dt><dd data-testid="due">{move || due.format(language.get())}</dd></div>
                    }.into_any()
                }}
                <div><dt>{t(T::EmailSent)}</dt><dd><EmailCell email=detail.email.clone() time_zone=detail.time_zone /></dd></div>
                {credit_note.then(|| view! {
                    <div class="wide"><dt>{t(T::Reason)}</dt><dd data-testid="reason">{detail.reason.clone()}</dd></div>
                })}
            </dl>
            <div class="form-actions">
                <a class="button" href=format!("/invoices/{id}/pdf?layout=a4") download>{t(T::DownloadPdf)}</a>
                <a class="button" href=format!("/invoices/{id}/pdf?layout=receipt") download>{t(T::DownloadReceipt)}</a>
                {detail.fatturapa_file.clone().map(|file_name| view! {
                    <a class="button" href=format!("/invoices/{id}/fatturapa.xml") download=file_name rel="external">{t(T::DownloadFatturaPa)}</a>
                })}
                {(detail.fatturapa_file.is_some() && !detail.transmitted && !is_void).then(|| view! {
                    <ActionForm action=actions.transmit>
                        <input type="hidden" name="id" value=id />
                        <button type="submit">{t(T::SendToSdi)}</button>
                    </ActionForm>
                })}
                <a class="button" href=format!("/invoices/{id}/preview") target="_blank" rel="noopener">{t(T::PreviewAsCustomer)}</a>
                {(!is_void).then(|| view! {
                    <a class="button primary" href=format!("/invoices/{id}/send")>{if detail.sends == 0 { t(T::SendByEmail) } else { t(T::SendAgain) }}</a>
                })}
                {detail.can_remind.then(|| view! {
                    <a class="button" href=format!("/invoices/{id}/send?purpose=reminder")>{t(T::SendReminder)}</a>
                })}
                {detail.can_credit.then(|| view! {
                    <a class="button" href=format!("/invoices/{id}/credit")>{t(T::IssueCreditNote)}</a>
                })}
                {(!credit_note).then(|| view! {
                    <ActionForm action=actions.duplicate>
                        <input type="hidden" name="id" value=id />
                        <button type="submit">{t(T::Duplicate)}</button>
                    </ActionForm>
                })}
                {(!is_void && !credit_note && credited.minor == 0 && !detail.transmitted).then(|| view! {
                    <ActionForm action=actions.void>
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class="danger">{t(T::Void)}</button>
                    </ActionForm>
                })}
            </div>
        </section>
        {detail.aeat_correction.clone().map(|recipient| view! { <AeatCorrection id recipient correct /> })}
        <section class="card" aria-labelledby="lines-title">
            <h2 id="lines-title">{t(T::Lines)}</h2>
            <div class="table-wrap">
                <table>
                    <thead><tr>
                        <th scope="col">{t(T::Description)}</th>
                        <th scope="col" class="num">{t(T::Quantity)}</th>
                        <th scope="col" class="num">{t(T::UnitPrice)}</th>
                        <th scope="col" class="num">{t(T::TaxRate)}</th>
                        <th scope="col" class="num">{t(T::Amount)}</th>
                    </tr></thead>
                    <tbody>
                        {lines.into_iter().map(|line| {
                            let line_view = line.clone();
                            view! { <tr>
                                <td>{line.description.clone()}</td>
                                <td class="num">{move || invoice::document::format_quantity(line_view.quantity_milli, language.get())}</td>
                                <td class="num">{move || Money::new(line.unit_price_minor, currency).format(language.get())}</td>
                                <td class="num">{move || invoice::document::format_tax_rate(line.tax_rate_bp, language.get())}</td>
                                <td class="num">{move || Money::new(line.net_minor(), currency).format(language.get())}</td>
                            </tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <CreditNotes notes=detail.credit_notes.clone() />
        </div>
        {(!credit_note).then(|| view! {
        <section class="card" aria-labelledby="payments-title">
            <h2 id="payments-title">{t(T::Payments)}</h2>
            <div data-live="payments">
            {if detail.payments.is_empty() {
                view! { <p class="muted">{t(T::NoPaymentsYet)}</p> }.into_any()
            } else {
                view! {
                    <table class="payments">
                        <thead><tr>
                            <th scope="col">{t(T::Date)}</th>
                            <th scope="col" class="num">{t(T::Amount)}</th>
                            <th scope="col">{t(T::Method)}</th>
                            <th scope="col">{t(T::Reference)}</th>
                            <th scope="col"><span class="visually-hidden">{t(T::Actions)}</span></th>
                        </tr></thead>
                        <tbody>
                            {detail.payments.iter().cloned().map(|row| view! {
                                <tr class:deleted=row.deleted>
                                    <td>{move || row.date.format(language.get())}</td>
                                    <td class="num">{move || row.amount.format(language.get())}</td>
                                    <td>{move || row.method.label(language.get())}</td>
                                    <td>{row.reference.clone()}</td>
                                    <td>
                                        {if row.deleted {
                                            view! { <span class="muted">{t(T::Deleted)}</span> }.into_any()
                                        } else {
                                            view! {
                                                <ActionForm action=delete_payment>
                                                    <input type="hidden" name="invoice_id" value=id />
                                                    <input type="hidden" name="payment_id" value=row.id />
                                                    <button type="submit" class="link danger">{t(T::Delete)}</button>
                                                </ActionForm>
                                            }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            </div>
            {(!is_void && due.minor > 0).then(|| view! {
                <h3>{t(T::RecordPayment)}</h3>
                <ActionForm action=payment attr:class="grid" attr:novalidate=true>
                    <input type="hidden" name="invoice_id" value=id />
                    <Field label=T::Amount name="amount" value=amount error=field_error(payment_error, "amount") mode="decimal" />
                    <Field label=T::Date name="date" value=date error=field_error(payment_error, "date") kind="date" />
                    <SelectField label=T::Method name="method" value=method error=field_error(payment_error, "method") options=method_options />
                    <Field label=T::Reference name="reference" value=reference error=field_error(payment_error, "reference") />
                    <div class="form-actions wide">
                        <button type="submit" class="primary" disabled=move || payment.pending().get()>{t(T::RecordPayment)}</button>
                    </div>
                </ActionForm>
            })}
        </section>
        })}
        <div data-live="links">
            <SentLinks id links=detail.links.clone() revoke />
        </div>
        <History entries=detail.history.clone() filter=history_filter />
    }
}

/// The form that corrects the recipient of a VERI*FACTU record the AEAT
/// rejected or accepted with errors: a plain form posted to the server
/// function, so it works before (and without) hydration; each field's
/// error beside it.
#[component]
fn AeatCorrection(
    id: i64,
    recipient: invoice::verifactu::RecipientInput,
    correct: ServerAction<CorrectAeatRecord>,
) -> impl IntoView {
    let error = action_error(correct);
    let name_error = field_error(error, "name");
    let tax_id_error = field_error(error, "tax_id");
    let invoice_error = field_error(error, "invoice");
    let invalid = |problem: Signal<Option<String>>| {
        move || {
            if problem.get().is_some() {
                "true"
            } else {
                "false"
            }
        }
    };
    view! {
        <section class="card aeat-correction" aria-labelledby="aeat-correction-title" data-testid="aeat-correction">
            <h2 id="aeat-correction-title">{t(T::AeatCorrectionTitle)}</h2>
            <p class="muted">{t(T::AeatCorrectionHint)}</p>
            <p class="field-error" role="status">{move || invoice_error.get()}</p>
            <ActionForm action=correct attr:class="grid" attr:novalidate=true>
                <input type="hidden" name="id" value=id />
                <div class="field required">
                    <label for="field-name">{t(T::RecipientName)}</label>
                    <input id="field-name" type="text" name="name" value=recipient.name autocomplete="off"
                        aria-required="true" aria-invalid=invalid(name_error) aria-describedby="name-error" />
                    <span class="field-error" id="name-error" role="status">{move || name_error.get()}</span>
                </div>
                <div class="field required">
                    <label for="field-tax_id">{t(T::RecipientTaxId)}</label>
                    <input id="field-tax_id" type="text" name="tax_id" value=recipient.tax_id autocomplete="off"
                        aria-required="true" aria-invalid=invalid(tax_id_error) aria-describedby="tax_id-error" />
                    <span class="field-error" id="tax_id-error" role="status">{move || tax_id_error.get()}</span>
                </div>
                <div class="form-actions wide">
                    <button type="submit" class="primary" disabled=move || correct.pending().get()>{t(T::CorrectAndResend)}</button>
                </div>
            </ActionForm>
        </section>
    }
}

/// The credit notes that correct this invoice, each a link to its page.
#[component]
fn CreditNotes(notes: Vec<crate::api::CreditNoteRow>) -> impl IntoView {
    let language = use_language();
    (!notes.is_empty()).then(|| {
        view! {
            <section class="card" aria-labelledby="credit-notes-title" data-testid="credit-notes">
                <h2 id="credit-notes-title">{t(T::CreditNotes)}</h2>
                <table>
                    <thead><tr>
                        <th scope="col">{t(T::Number)}</th>
                        <th scope="col">{t(T::Date)}</th>
                        <th scope="col" class="num">{t(T::AmountCredited)}</th>
                    </tr></thead>
                    <tbody>
                        {notes.into_iter().map(|note| view! {
                            <tr>
                                <td><a href=format!("/invoices/{}", note.id)>{note.number.clone()}</a></td>
                                <td>{move || note.issue_date.format(language.get())}</td>
                                <td class="num">{move || note.total.format(language.get())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        }
    })
}

/// The links this invoice was sent with, newest first; each can be revoked.
#[component]
fn SentLinks(id: i64, links: Vec<LinkRow>, revoke: ServerAction<RevokeLink>) -> impl IntoView {
    let language = use_language();
    let time_zone = use_store_time_zone();
    (!links.is_empty()).then(|| {
        view! {
            <section class="card" aria-labelledby="links-title">
                <h2 id="links-title">{t(T::SentLinks)}</h2>
                <p class="muted small">{t(T::SentLinksHint)}</p>
                <table class="links">
                    <thead><tr>
                        <th scope="col">{t(T::SentTo)}</th>
                        <th scope="col">{t(T::Date)}</th>
                        <th scope="col"><span class="visually-hidden">{t(T::Actions)}</span></th>
                    </tr></thead>
                    <tbody>
                        {links.into_iter().rev().map(|link| {
                            let is_copy = link.recipient == "copy";
                            let created = link.created_at_ms;
                            view! {
                                <tr data-link=link.email.clone() class:deleted=link.revoked_at_ms.is_some()>
                                    <td>
                                        {link.email.clone()}
                                        {is_copy.then(|| view! { " " <span class="pill">{t(T::Copy)}</span> })}
                                    </td>
                                    <td>{move || format_instant(created, language.get(), time_zone)}</td>
                                    <td>
                                        {match link.revoked_at_ms {
                                            Some(_) => view! { <span class="muted">{t(T::Revoked)}</span> }.into_any(),
                                            None => view! {
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="invoice_id" value=id />
                                                    <input type="hidden" name="link_id" value=link.id.clone() />
                                                    <button type="submit" class="link danger">{t(T::Revoke)}</button>
                                                </ActionForm>
                                            }.into_any(),
                                        }}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        }
    })
}

/// The invoice's history, newest first, in the merchant's words, narrowed
/// to what the merchant looks for.
#[component]
fn History(entries: Vec<crate::api::HistoryEntry>, filter: HistoryFilter) -> impl IntoView {
    let language = use_language().get_untracked();
    let lines = history_lines(
        entries
            .into_iter()
            .rev()
            .filter(|entry| filter.shows(&entry.event)),
    );
    view! {
        <section class="card" id="history" aria-labelledby="history-title">
            <div class="section-head">
                <h2 id="history-title">{t(T::History)}</h2>
                <HistoryFilterChoice language filter=filter.code().to_owned() />
            </div>
            <div data-live="history">
                {if lines.is_empty() {
                    view! { <p class="muted">{t(T::HistoryEmpty)}</p> }.into_any()
                } else {
                    view! {
                        <ol class="history">
                            {lines.into_iter().map(|line| match line {
                                HistoryLine::Entry(entry) => view! { <HistoryItem entry /> }.into_any(),
                                HistoryLine::Machines(visits) => view! { <MachineVisitsItem visits /> }.into_any(),
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }}
            </div>
        </section>
    }
}

/// What the history shows. Choosing re-reads the history region from the
/// server for the page at `?history=<filter>`; without JavaScript the choice
/// is a GET form with its button.
#[island(lazy)]
fn HistoryFilterChoice(language: Language, filter: String) -> impl IntoView {
    provide_language(language);
    let label = |filter: HistoryFilter| match filter {
        HistoryFilter::Everything => T::HistoryEverything,
        HistoryFilter::Customer => T::HistoryCustomer,
        HistoryFilter::Emails => T::HistoryEmails,
        HistoryFilter::Payments => T::HistoryPayments,
        HistoryFilter::Automated => T::HistoryAutomated,
    };
    let show = move |code: String| {
        #[cfg(feature = "hydrate")]
        {
            let window = window();
            let pathname = window.location().pathname().unwrap_or_default();
            let address = format!("{pathname}?history={code}#history");
            if let Ok(history) = window.history() {
                let _ = history.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&address),
                );
            }
            leptos::task::spawn_local(crate::live::refresh_regions());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = code;
    };
    view! {
        <form method="get" action="#history" class="inline-field">
            <label class="inline-field">
                {t(T::HistoryShow)}
                <select name="history" on:change=move |event| show(event_target_value(&event))>
                    {HistoryFilter::ALL.into_iter().map(|option| view! {
                        <option value=option.code() selected=filter == option.code()>{t(label(option))}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" class="without-script">{t(T::Apply)}</button>
        </form>
    }
}

/// One entry of the history: when, who, what, and for a machine's, why.
#[component]
fn HistoryItem(entry: crate::api::HistoryEntry) -> impl IntoView {
    let language = use_language();
    let time_zone = use_store_time_zone();
    let automated = entry.event.automated();
    let at_link = entry.event.at_link().cloned();
    let copy = entry.event.audience() == Some(Audience::Copy);
    // What a person did at the invoice (not a bare fetch of the link).
    let person_at_link = at_link
        .as_ref()
        .is_some_and(|link| !link.automated && link.kind != EdgeEventKind::LinkFetched);
    // A credit note's entry leads to the other document.
    let other_document = match &entry.event {
        HistoryEvent::CreditNoteIssued(note) => Some(note.credit_note_id),
        HistoryEvent::CorrectsInvoice { invoice_id, .. } => Some(*invoice_id),
        _ => None,
    };
    let event = entry.event;
    let what = move || history_text(&event, language.get());
    view! {
        <li class:automated=automated class:by-person=person_at_link>
            <time>{move || format_instant(entry.at_ms, language.get(), time_zone)}</time>
            " "
            {copy.then(|| view! { <span class="pill">{t(T::Copy)}</span> " " })}
            {match other_document {
                Some(id) => view! { <a class="what" href=format!("/invoices/{id}")>{what}</a> }.into_any(),
                None => view! { <span class="what">{what}</span> }.into_any(),
            }}
            {(entry.count > 1).then(|| format!(" (×{})", entry.count))}
            {at_link.map(|link| {
                let reasons = link.reasons.clone();
                view! {
                    <span class="muted small">" · " {move || device_label(link.device, language.get())} ", " {link.browser.clone()}</span>
                    {(!reasons.is_empty()).then(|| view! {
                        <span class="reasons small">" · " {t(T::Why)} ": " {move || reasons_text(&reasons, language.get())}</span>
                    })}
                }
            })}
            {automated.then(|| view! { " " <span class="pill">{t(T::Automated)}</span> })}
        </li>
    }
}

/// Machines' visits in a row, one line with their count and reasons; each
/// visit a click away.
#[component]
fn MachineVisitsItem(visits: MachineVisits) -> impl IntoView {
    let language = use_language();
    let time_zone = use_store_time_zone();
    let (first, last, count) = (visits.first_at_ms(), visits.last_at_ms(), visits.count());
    let reasons = visits.reasons();
    view! {
        <li class="automated folded">
            <time>{move || format_instant(last, language.get(), time_zone)}</time>
            " "
            <span class="what">{move || tr(language.get(), T::MachineVisits).replace("{}", &count.to_string())}</span>
            <span class="muted small">" · " {t(T::Since)} " " {move || format_instant(first, language.get(), time_zone)}</span>
            {(!reasons.is_empty()).then(|| view! {
                <span class="reasons small">" · " {t(T::Why)} ": " {move || reasons_text(&reasons, language.get())}</span>
            })}
            " " <span class="pill">{t(T::Automated)}</span>
            <details>
                <summary>{t(T::ShowEachVisit)}</summary>
                <ol class="history">
                    {visits.entries.into_iter().map(|entry| view! { <HistoryItem entry /> }).collect_view()}
                </ol>
            </details>
        </li>
    }
}

/// Why a visit was judged a machine's, in the merchant's words.
fn reasons_text(reasons: &[Clue], language: Language) -> String {
    reasons
        .iter()
        .map(|clue| {
            let text = |key| tr(language, key).to_owned();
            match clue {
                Clue::MachineAgent => text(T::ReasonMachineAgent),
                Clue::NotAGet => text(T::ReasonNotAGet),
                Clue::Prefetch => text(T::ReasonPrefetch),
                Clue::DrivenBrowser => text(T::ReasonDrivenBrowser),
                Clue::NoGesture => text(T::ReasonNoGesture),
                Clue::NoPageView => text(T::ReasonNoPageView),
                Clue::MachinePage => text(T::ReasonMachinePage),
                Clue::MachineNetwork { network } => {
                    tr(language, T::ReasonNetwork).replace("{}", network)
                }
                Clue::Glimpse => text(T::ReasonGlimpse),
                Clue::NoInput => text(T::ReasonNoInput),
                Clue::SoonAfterSending { seconds } => {
                    tr(language, T::ReasonSoonAfterSending).replace("{}", &seconds.to_string())
                }
                Clue::WithOtherRecipients { links } => {
                    tr(language, T::ReasonWithOtherRecipients).replace("{}", &links.to_string())
                }
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kind of device an event at the customer's link came from.
fn device_label(device: DeviceClass, language: Language) -> &'static str {
    let key = match device {
        DeviceClass::Desktop => T::DeviceDesktop,
        DeviceClass::Tablet => T::DeviceTablet,
        DeviceClass::Phone => T::DevicePhone,
        DeviceClass::Unknown => T::DeviceUnknown,
    };
    tr(language, key)
}

/// One history entry as a sentence in the merchant's language (the
/// invoice's page, the accountant's history export).
pub fn history_text(event: &HistoryEvent, language: Language) -> String {
    let payment = |key: T, payment: &PaymentEvent| {
        format!(
            "{} {} ({})",
            tr(language, key),
            payment.amount.format(language),
            payment.method.label(language)
        )
    };
    let with_detail = |key: T, detail: &str| match detail {
        "" => tr(language, key).to_owned(),
        detail => format!("{} — {detail}", tr(language, key)),
    };
    let plain = |key: T| tr(language, key).to_owned();
    match event {
        HistoryEvent::Created => plain(T::EventCreated),
        HistoryEvent::Issued { number } => with_detail(T::EventIssued, number),
        HistoryEvent::Voided => plain(T::EventVoided),
        HistoryEvent::PaymentRecorded(recorded) => payment(T::EventPaymentRecorded, recorded),
        HistoryEvent::PaymentDeleted(deleted) => payment(T::EventPaymentDeleted, deleted),
        HistoryEvent::Email(email) => {
            let key = match (email.email, email.step) {
                (EmailKind::Invoice(_), EmailStep::Queued) => T::EventEmailQueued,
                (EmailKind::Invoice(_), EmailStep::Sent) => T::EventEmailSent,
                (EmailKind::Invoice(_), EmailStep::Failed) => T::EventEmailFailed,
                (EmailKind::Invoice(_), EmailStep::Cancelled) => T::EventEmailCancelled,
                (EmailKind::Reminder(_), EmailStep::Queued) => T::EventReminderQueued,
                (EmailKind::Reminder(_), EmailStep::Sent) => T::EventReminderSent,
                (EmailKind::Reminder(_), EmailStep::Failed) => T::EventReminderFailed,
                (EmailKind::Reminder(_), EmailStep::Cancelled) => T::EventReminderCancelled,
                (EmailKind::FailureNotice, EmailStep::Queued) => T::EventNoticeQueued,
                (EmailKind::FailureNotice, EmailStep::Sent) => T::EventNoticeSent,
                (EmailKind::FailureNotice, EmailStep::Failed) => T::EventNoticeFailed,
                (EmailKind::FailureNotice, EmailStep::Cancelled) => T::EventNoticeCancelled,
                (_, EmailStep::Retrying) => T::EventEmailRetrying,
            };
            let detail = match &email.reply {
                Some(reply) => format!("{}: {reply}", email.address),
                None => email.address.clone(),
            };
            with_detail(key, &detail)
        }
        HistoryEvent::LinkRevoked { address } => with_detail(T::EventLinkRevoked, address),
        HistoryEvent::AutomaticSendSkipped => plain(T::AutomaticSendSkipped),
        HistoryEvent::AutomaticSendOverQuota => plain(T::EventEmailRefusedOverQuota),
        HistoryEvent::FreshLinkRequested => plain(T::EventFreshLinkRequested),
        HistoryEvent::CreditNoteIssued(note) => tr(language, T::EventCreditNoteIssued)
            .replace("{number}", &note.number)
            .replace("{amount}", &note.amount.format(language)),
        HistoryEvent::CorrectsInvoice { number, .. } => {
            tr(language, T::EventCorrectsInvoice).replace("{number}", number)
        }
        HistoryEvent::Sdi(sdi) => sdi.merchant_text(language),
        HistoryEvent::Verifactu(verifactu) => verifactu.merchant_text(language),
        HistoryEvent::Aeat(aeat) => aeat.merchant_text(language),
        // Who, what, and how sure: a machine's doing never reads as a
        // person's, nor a copy's as the customer's.
        HistoryEvent::Link(link) => {
            let key = match (link.automated, link.recipient, link.kind) {
                (true, _, EdgeEventKind::LinkFetched) => T::EventMachineFetched,
                (true, _, EdgeEventKind::Opened) => T::EventMachineOpened,
                (true, _, EdgeEventKind::PdfDownloaded) => T::EventMachineDownloaded,
                (true, _, EdgeEventKind::Printed) => T::EventMachinePrinted,
                (false, Recipient::Customer, EdgeEventKind::LinkFetched) => T::EventLinkFetched,
                (false, Recipient::Customer, EdgeEventKind::Opened) => T::EventOpened,
                (false, Recipient::Customer, EdgeEventKind::PdfDownloaded) => T::EventDownloaded,
                (false, Recipient::Customer, EdgeEventKind::Printed) => T::EventPrinted,
                (false, Recipient::Copy, EdgeEventKind::LinkFetched) => T::EventCopyLinkFetched,
                (false, Recipient::Copy, EdgeEventKind::Opened) => T::EventCopyOpened,
                (false, Recipient::Copy, EdgeEventKind::PdfDownloaded) => T::EventCopyDownloaded,
                (false, Recipient::Copy, EdgeEventKind::Printed) => T::EventCopyPrinted,
            };
            with_detail(key, link.copy_to.as_deref().unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lines_codes_are_named_by_the_server_subject_to_tax_first() {
        let codes = LineCodes::new(Language::Es);
        assert_eq!(codes.treatment.len(), TaxTreatment::ALL.len());
        assert_eq!(codes.treatment[0].0, "S1");
        assert_eq!(
            codes.treatment[0].1,
            format!("S1 — {}", TaxTreatment::S1.name(Language::Es))
        );
        assert_eq!(
            codes.natura.len(),
            NATURE
                .iter()
                .filter(|code| Natura::parse(code).is_ok())
                .count()
        );
        assert!(codes
            .natura
            .iter()
            .all(|(code, label)| label.starts_with(&format!("{code} — "))));
    }
}
