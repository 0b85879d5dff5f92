//! Issue a credit note for an invoice: the whole of it, or chosen lines and
//! quantities, with a reason. A plain form: it works before hydration, and
//! each problem is shown beside its field. Once issued, the credit note's
//! own page opens, to be sent like an invoice.
//!
//! The page is the server's but for the form ([`CreditNoteFields`]), and
//! the form gets every figure and word it only shows already written, so
//! the wasm its first load fetches holds only what reacts to the merchant.

use invoice::credit_note::{LINES, WHOLE};
use invoice::document::{format_quantity, format_tax_rate, parse_quantity, totals, DocumentLine};
use invoice::spain::CorrectionGround;
use invoice::{Currency, Language};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::{Deserialize, Serialize};

use crate::api::{CreditNoteForm, IssueCreditNote};
use crate::components::{
    action_error, field_error, provide_plain_post_error, reload_at, route_id, ErrorAlert, TextArea,
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
                    Ok(form) => view! { <CreditNoteScreen language form /> }.into_any(),
                    Err(error) => view! { <ErrorAlert error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The page: its title, the invoice it corrects, and the form, or why
/// there is none.
#[component]
fn CreditNoteScreen(language: Language, form: CreditNoteForm) -> impl IntoView {
    let back = format!("/invoices/{}", form.invoice_id);
    let head = view! {
        <div class="page-head">
            <h1>{t(T::CreditNoteFor)} " " {form.number.clone()}</h1>
            <a href=back>{t(T::CancelSend)}</a>
        </div>
    };
    if let Some(problem) = &form.refusal {
        return view! {
            {head}
            <p class="alert" role="alert">{problem.message(language)}</p>
        }
        .into_any();
    }
    let credited = (form.credited.minor > 0).then(|| {
        view! { <div><dt>{t(T::Credited)}</dt><dd>{form.credited.format(language)}</dd></div> }
    });
    view! {
        {head}
        <section class="card credit-note-form" aria-labelledby="credit-form-title">
            <h2 id="credit-form-title" class="visually-hidden">{t(T::IssueCreditNote)}</h2>
            <p class="muted">{t(T::CreditNoteIntro)}</p>
            <dl class="facts">
                <div><dt>{t(T::Customer)}</dt><dd>{form.customer_name.clone()}</dd></div>
                <div><dt>{t(T::Date)}</dt><dd>{form.issue_date.format(language)}</dd></div>
                <div><dt>{t(T::Total)}</dt><dd>{form.total.format(language)}</dd></div>
                {credited}
            </dl>
            <CreditNoteFields language fields=CreditFields::new(&form, language) />
        </section>
    }
    .into_any()
}

/// One line of the form: its words as the page shows them, and the
/// figures the live total is computed from.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CreditLine {
    description: String,
    ordered: String,
    unit_price: String,
    tax_rate: String,
    left: String,
    remaining_milli: i64,
    unit_price_minor: i64,
    tax_rate_bp: i64,
}

/// What the form starts from.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CreditFields {
    invoice_id: i64,
    currency: Currency,
    /// Nothing credited yet: the whole invoice is the likely wish.
    whole_first: bool,
    lines: Vec<CreditLine>,
    /// A Spanish store's legal grounds (code, name), R1 first; none elsewhere.
    grounds: Vec<(String, String)>,
}

impl CreditFields {
    fn new(form: &CreditNoteForm, language: Language) -> Self {
        Self {
            invoice_id: form.invoice_id,
            currency: form.currency,
            whole_first: form.credited.minor == 0,
            lines: form
                .lines
                .iter()
                .map(|line| CreditLine {
                    description: line.description.clone(),
                    ordered: format_quantity(line.quantity_milli, language),
                    unit_price: line.unit_price.format(language),
                    tax_rate: format_tax_rate(line.tax_rate_bp, language),
                    left: format_quantity(line.remaining_milli, language),
                    remaining_milli: line.remaining_milli,
                    unit_price_minor: line.unit_price.minor,
                    tax_rate_bp: line.tax_rate_bp,
                })
                .collect(),
            grounds: if form.chooses_ground {
                CorrectionGround::ALL
                    .into_iter()
                    .map(|ground| (ground.code().to_owned(), ground.name(language).to_owned()))
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

/// The form: what to credit, the reason (and a Spanish store's legal
/// ground), and the credit note's total as the server will compute it.
#[island(lazy)]
fn CreditNoteFields(language: Language, fields: CreditFields) -> impl IntoView {
    provide_language(language);
    provide_plain_post_error();
    let CreditFields {
        invoice_id,
        currency,
        whole_first,
        lines,
        grounds,
    } = fields;
    let back = format!("/invoices/{invoice_id}");
    let issue = ServerAction::<IssueCreditNote>::new();
    let error = action_error(issue);
    Effect::new(move |_| {
        if let Some(Ok(note_id)) = issue.value().get() {
            reload_at(&format!("/invoices/{note_id}"));
        }
    });
    let scope = RwSignal::new(if whole_first { WHOLE } else { LINES });
    let quantities: Vec<RwSignal<String>> = lines
        .iter()
        .map(|line| RwSignal::new(line.left.clone()))
        .collect();
    let reason = RwSignal::new(String::new());
    let figures: Vec<(i64, i64, i64)> = lines
        .iter()
        .map(|line| {
            (
                line.remaining_milli,
                line.unit_price_minor,
                line.tax_rate_bp,
            )
        })
        .collect();
    let typed = quantities.clone();
    let typed_quantities = quantities.clone();
    let preview_total = Memo::new(move |_| {
        let whole = scope.get() == WHOLE;
        let credited: Vec<DocumentLine> = figures
            .iter()
            .zip(&typed)
            .filter_map(
                |(&(remaining_milli, unit_price_minor, tax_rate_bp), quantity)| {
                    let quantity_milli = if whole {
                        remaining_milli
                    } else {
                        parse_quantity(&quantity.get()).ok()?
                    };
                    (quantity_milli > 0).then(|| DocumentLine {
                        description: String::new(),
                        quantity_milli,
                        unit_price_minor,
                        tax_rate_bp,
                        natura: None,
                        treatment: None,
                    })
                },
            )
            .collect();
        totals(&credited, currency)
            .ok()
            .map(|totals| totals.total.format(language))
    });
    let scope_choice = move |value: &'static str, label: T| {
        view! {
            <label class="radio">
                <input type="radio" name="scope" value=value checked=scope.get_untracked() == value
                    prop:checked=move || scope.get() == value
                    on:change=move |_| scope.set(value) />
                <span>{t(label)}</span>
            </label>
        }
    };
    // The select starts on the first ground (R1); an empty one is no ground.
    let chosen_ground = RwSignal::new(
        grounds
            .first()
            .map(|(code, _)| code.clone())
            .unwrap_or_default(),
    );
    let ground_problem = field_error(error, "ground");
    let ground = (!grounds.is_empty()).then(|| view! {
        <div class="field wide">
            <label for="field-ground">{t(T::CorrectionGround)}</label>
            <select
                id="field-ground"
                name="ground"
                aria-invalid=move || if ground_problem.get().is_some() { "true" } else { "false" }
                aria-describedby="ground-hint ground-error"
                on:change=move |ev| chosen_ground.set(event_target_value(&ev))
            >
                {grounds.into_iter().map(|(code, name)| view! { <option value=code>{name}</option> }).collect_view()}
            </select>
            <span class="hint" id="ground-hint">{t(T::CorrectionGroundHint)}</span>
            <span class="field-error" id="ground-error" role="status">{move || ground_problem.get()}</span>
        </div>
    });

    view! {
        // Posted from the signals, as the login form is; without
        // JavaScript the form posts itself.
        <form novalidate method="post" action=IssueCreditNote::url() on:submit=move |ev| {
            ev.prevent_default();
            issue.dispatch(IssueCreditNote {
                invoice_id,
                scope: scope.get().to_owned(),
                quantities: typed_quantities.iter().map(|quantity| quantity.get()).collect(),
                reason: reason.get(),
                ground: chosen_ground.get(),
            });
        }>
            <input type="hidden" name="invoice_id" value=invoice_id />
            <fieldset class="scope">
                <legend>{t(T::CreditWhat)}</legend>
                {scope_choice(WHOLE, T::CreditWhole)}
                {scope_choice(LINES, T::CreditChosenLines)}
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
                        {lines.into_iter().zip(quantities).enumerate().map(|(index, (line, quantity))| {
                            let name = format!("quantities[{index}]");
                            let error_id = format!("quantity-{index}-error");
                            let problem = field_error(error, name.clone());
                            let label = format!("{} — {}", tr(language, T::ToCredit), line.description);
                            view! {
                                <tr class:spent=line.remaining_milli == 0>
                                    <td data-label=t(T::Description)>{line.description}</td>
                                    <td class="num" data-label=t(T::Quantity)>{line.ordered}</td>
                                    <td class="num" data-label=t(T::UnitPrice)>{line.unit_price}</td>
                                    <td class="num" data-label=t(T::TaxRate)>{line.tax_rate}</td>
                                    <td class="num" data-label=t(T::LeftToCredit)>{line.left}</td>
                                    <td data-label=t(T::ToCredit)>
                                        <input
                                            id=format!("quantity-{index}")
                                            name=name
                                            inputmode="decimal"
                                            class="quantity"
                                            aria-label=label
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
            {ground}
            <dl class="totals">
                <div class="grand">
                    <dt>{t(T::AmountCredited)}</dt>
                    <dd data-testid="credit-total">{move || preview_total.get().unwrap_or_else(|| "—".into())}</dd>
                </div>
            </dl>
            <ErrorAlert error />
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || issue.pending().get()>{t(T::IssueCreditNote)}</button>
                <a href=back>{t(T::CancelSend)}</a>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use invoice::dates::Date;
    use invoice::views::CreditableLine;
    use invoice::Money;

    fn form(chooses_ground: bool) -> CreditNoteForm {
        let euros = |minor| Money::new(minor, Currency::Eur);
        CreditNoteForm {
            invoice_id: 7,
            number: "2026-0001".into(),
            issue_date: Date::parse("2026-12-01").expect("date"),
            customer_name: "Lucía Gómez".into(),
            currency: Currency::Eur,
            total: euros(61_000),
            credited: euros(0),
            lines: vec![CreditableLine {
                description: "Sedia".into(),
                quantity_milli: 4_000,
                remaining_milli: 2_500,
                unit_price: euros(5_000),
                tax_rate_bp: 2_200,
            }],
            chooses_ground,
            refusal: None,
        }
    }

    #[test]
    fn the_form_gets_each_line_written_in_the_merchants_language_and_its_figures() {
        let fields = CreditFields::new(&form(false), Language::It);
        let line = &fields.lines[0];
        assert_eq!((line.ordered.as_str(), line.left.as_str()), ("4", "2,5"));
        assert_eq!(line.tax_rate, "22%");
        assert_eq!(
            line.unit_price,
            Money::new(5_000, Currency::Eur).format(Language::It)
        );
        assert_eq!(
            (
                line.remaining_milli,
                line.unit_price_minor,
                line.tax_rate_bp
            ),
            (2_500, 5_000, 2_200)
        );
        assert!(
            fields.whole_first,
            "nothing credited yet: the whole invoice first"
        );
    }

    #[test]
    fn only_a_spanish_full_invoice_offers_the_legal_grounds_r1_first() {
        assert!(CreditFields::new(&form(false), Language::Es)
            .grounds
            .is_empty());
        let grounds = CreditFields::new(&form(true), Language::Es).grounds;
        let codes: Vec<&str> = grounds.iter().map(|(code, _)| code.as_str()).collect();
        assert_eq!(codes, ["R1", "R2", "R3", "R4"]);
        assert_eq!(grounds[0].1, CorrectionGround::R1.name(Language::Es));
    }
}
