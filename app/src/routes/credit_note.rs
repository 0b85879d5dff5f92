//! Issue a credit note for an invoice: the whole of it, or chosen lines and
//! quantities, with a reason. A plain form: it works before hydration, and
//! each problem is shown beside its field. Once issued, the credit note's
//! own page opens, to be sent like an invoice.

use invoice::credit_note::{LINES, WHOLE};
use invoice::document::{format_quantity, format_tax_rate, parse_quantity, totals, DocumentLine};
use invoice::spain::CorrectionGround;
use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{CreditNoteForm, IssueCreditNote};
use crate::components::{
    action_error, field_error, provide_plain_post_error, reload_at, route_id, ErrorAlert,
    LastError, TextArea,
};
use crate::i18n::{provide_language, t, tr, use_language, T};

#[component]
pub fn CreditNotePage() -> impl IntoView {
    let id = route_id();
    let language = use_language().get_untracked();
    let form = Resource::new(id, |id| async move {
        match id {
            Some(id) => crate::api::credit_note_dialog(id).await,
            None => Err(crate::api::AdminError::NotFound),
        }
    });
    view! {
        <Transition fallback=move || view! { <p class="muted">{t(T::Loading)}</p> }>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(form) => view! { <CreditNoteDialog language form /> }.into_any(),
                    Err(error) => view! { <ErrorAlert error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[island(lazy)]
fn CreditNoteDialog(language: invoice::Language, form: CreditNoteForm) -> impl IntoView {
    provide_language(language);
    provide_plain_post_error();
    let language = use_language();
    let invoice_id = form.invoice_id;
    let back = format!("/invoices/{invoice_id}");
    let currency = form.currency;
    let head = view! {
        <div class="page-head">
            <h1>{t(T::CreditNoteFor)} " " {form.number.clone()}</h1>
            <a href=back.clone()>{t(T::CancelSend)}</a>
        </div>
    };
    if let Some(problem) = form.refusal.clone() {
        return view! {
            {head}
            <p class="alert" role="alert">{move || problem.message(language.get())}</p>
        }
        .into_any();
    }

    let issue = ServerAction::<IssueCreditNote>::new();
    let error = action_error(issue);
    Effect::new(move |_| {
        if let Some(Ok(note_id)) = issue.value().get() {
            reload_at(&format!("/invoices/{note_id}"));
        }
    });
    // Nothing credited yet: the whole invoice is the likely wish.
    let scope = RwSignal::new(if form.credited.minor == 0 {
        WHOLE
    } else {
        LINES
    });
    let quantities: Vec<RwSignal<String>> = form
        .lines
        .iter()
        .map(|line| {
            RwSignal::new(format_quantity(
                line.remaining_milli,
                language.get_untracked(),
            ))
        })
        .collect();
    let reason = RwSignal::new(String::new());
    let lines = form.lines.clone();
    let typed = quantities.clone();
    // The credit note's total as the server will compute it, as typed.
    let preview_total = Memo::new(move |_| {
        let whole = scope.get() == WHOLE;
        let credited: Vec<DocumentLine> = lines
            .iter()
            .zip(&typed)
            .filter_map(|(line, quantity)| {
                let quantity_milli = if whole {
                    line.remaining_milli
                } else {
                    parse_quantity(&quantity.get()).ok()?
                };
                (quantity_milli > 0).then(|| DocumentLine {
                    description: String::new(),
                    quantity_milli,
                    unit_price_minor: line.unit_price.minor,
                    tax_rate_bp: line.tax_rate_bp,
                    natura: None,
                    treatment: None,
                })
            })
            .collect();
        totals(&credited, currency).ok().map(|totals| totals.total)
    });
    let credited = form.credited;
    let total = form.total;

    view! {
        {head}
        <section class="card credit-note-form" aria-labelledby="credit-form-title">
            <h2 id="credit-form-title" class="visually-hidden">{t(T::IssueCreditNote)}</h2>
            <p class="muted">{t(T::CreditNoteIntro)}</p>
            <dl class="facts">
                <div><dt>{t(T::Customer)}</dt><dd>{form.customer_name.clone()}</dd></div>
                <div><dt>{t(T::Date)}</dt><dd>{move || form.issue_date.format(language.get())}</dd></div>
                <div><dt>{t(T::Total)}</dt><dd>{move || total.format(language.get())}</dd></div>
                {(credited.minor > 0).then(|| view! {
                    <div><dt>{t(T::Credited)}</dt><dd>{move || credited.format(language.get())}</dd></div>
                })}
            </dl>
            <ActionForm action=issue attr:novalidate=true>
                <input type="hidden" name="invoice_id" value=invoice_id />
                <fieldset class="scope">
                    <legend>{t(T::CreditWhat)}</legend>
                    <label class="radio">
                        <input type="radio" name="scope" value=WHOLE checked=scope.get_untracked() == WHOLE
                            prop:checked=move || scope.get() == WHOLE
                            on:change=move |_| scope.set(WHOLE) />
                        <span>{t(T::CreditWhole)}</span>
                    </label>
                    <label class="radio">
                        <input type="radio" name="scope" value=LINES checked=scope.get_untracked() == LINES
                            prop:checked=move || scope.get() == LINES
                            on:change=move |_| scope.set(LINES) />
                        <span>{t(T::CreditChosenLines)}</span>
                    </label>
                </fieldset>
                <div class="table-wrap">
                    <table class="credit-lines">
                        <thead><tr>
                            <th scope="col">{t(T::Description)}</th>
                            <th scope="col" class="num">{t(T::Quantity)}</th>
                            <th scope="col" class="num">{t(T::UnitPrice)}</th>
                            <th scope="col" class="num">{t(T::TaxRate)}</th>
                            <th scope="col" class="num">{t(T::LeftToCredit)}</th>
                            <th scope="col">{t(T::ToCredit)}</th>
                        </tr></thead>
                        <tbody>
                            {form.lines.iter().zip(quantities).enumerate().map(|(index, (line, quantity))| {
                                let name = format!("quantities[{index}]");
                                let input_id = format!("quantity-{index}");
                                let error_id = format!("quantity-{index}-error");
                                let problem = field_error(error, name.clone());
                                let (ordered, left) = (line.quantity_milli, line.remaining_milli);
                                let (price, rate) = (line.unit_price, line.tax_rate_bp);
                                let description = line.description.clone();
                                let label = description.clone();
                                view! {
                                    <tr class:spent=left == 0>
                                        <td data-label=move || t(T::Description)()>{description}</td>
                                        <td class="num" data-label=move || t(T::Quantity)()>{move || format_quantity(ordered, language.get())}</td>
                                        <td class="num" data-label=move || t(T::UnitPrice)()>{move || price.format(language.get())}</td>
                                        <td class="num" data-label=move || t(T::TaxRate)()>{move || format_tax_rate(rate, language.get())}</td>
                                        <td class="num" data-label=move || t(T::LeftToCredit)()>{move || format_quantity(left, language.get())}</td>
                                        <td data-label=move || t(T::ToCredit)()>
                                            <input
                                                id=input_id
                                                name=name
                                                inputmode="decimal"
                                                class="quantity"
                                                aria-label=move || format!("{} — {}", tr(language.get(), T::ToCredit), label)
                                                value=quantity.get_untracked()
                                                prop:value=move || quantity.get()
                                                // Typing a quantity means crediting chosen lines.
                                                on:input=move |ev| {
                                                    quantity.set(event_target_value(&ev));
                                                    scope.set(LINES);
                                                }
                                                aria-invalid=move || if problem.get().is_some() { "true" } else { "false" }
                                                aria-describedby=error_id.clone()
                                            />
                                            <span class="field-error" id=error_id role="status">{move || problem.get()}</span>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <span class="field-error" id="lines-error" role="status">{move || field_error(error, "lines").get()}</span>
                <TextArea label=T::Reason name="reason" value=reason error=field_error(error, "reason") rows=2 hint=T::ReasonHint />
                {form.chooses_ground.then(|| view! { <GroundField error /> })}
                <dl class="totals">
                    <div class="grand">
                        <dt>{t(T::AmountCredited)}</dt>
                        <dd data-testid="credit-total">{move || preview_total.get().map(|total| total.format(language.get())).unwrap_or_else(|| "—".into())}</dd>
                    </div>
                </dl>
                <ErrorAlert error />
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || issue.pending().get()>{t(T::IssueCreditNote)}</button>
                    <a href=back>{t(T::CancelSend)}</a>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// A Spanish store's legal ground of the correction, R1 chosen at first:
/// a plain select posted with the form, so it works before hydration.
#[component]
fn GroundField(error: LastError) -> impl IntoView {
    let language = use_language();
    let problem = field_error(error, "ground");
    view! {
        <div class="field wide">
            <label for="field-ground">{t(T::CorrectionGround)}</label>
            <select
                id="field-ground"
                name="ground"
                aria-invalid=move || if problem.get().is_some() { "true" } else { "false" }
                aria-describedby="ground-hint ground-error"
            >
                {CorrectionGround::ALL.into_iter().map(|ground| view! {
                    <option value=ground.code() selected=ground == CorrectionGround::default()>
                        {move || ground.name(language.get())}
                    </option>
                }).collect_view()}
            </select>
            <span class="hint" id="ground-hint">{t(T::CorrectionGroundHint)}</span>
            <span class="field-error" id="ground-error" role="status">{move || problem.get()}</span>
        </div>
    }
}
