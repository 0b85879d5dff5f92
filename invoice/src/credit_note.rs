//! A credit note as the merchant asks for it: the whole invoice, or chosen
//! lines with quantities, never more of a line than its earlier credit notes
//! left. Its lines are the invoice's, at the quantities credited, as positive
//! amounts on a document titled "Credit note" (the kind says it gives back).
//! That the credit notes of an invoice never add up to more than its total is
//! [`crate::transitions::credit`]'s to say, on the invoice's locked state.

use serde::{Deserialize, Serialize};

use crate::document::{parse_quantity, totals, DocumentLine, Totals};
use crate::problem::{required_text, FieldError, Problem};
use crate::spain::CorrectionGround;
use crate::store::NumberFormat;
use crate::Currency;

/// How much of one of the invoice's lines a credit note credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineCredit {
    /// The line's position in the invoice's frozen document.
    pub line: usize,
    pub quantity_milli: i64,
}

/// What is left to credit of each of an invoice's lines after `credited`
/// (every line credit of its credit notes so far).
pub fn remaining(lines: &[DocumentLine], credited: &[LineCredit]) -> Vec<i64> {
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let taken: i64 = credited
                .iter()
                .filter(|credit| credit.line == index)
                .map(|credit| credit.quantity_milli)
                .sum();
            line.quantity_milli.saturating_sub(taken).max(0)
        })
        .collect()
}

/// The credit note series' number: the store's pattern after `NC-`, in a
/// series of its own, so `NC-2026-0001` follows invoice `2026-0042`.
pub fn number(format: &NumberFormat, year: i32, sequence: i64) -> String {
    format!("NC-{}", format.format(year, sequence))
}

/// What credits the whole invoice (all that is left of it) in the form.
pub const WHOLE: &str = "whole";
/// What credits the quantities typed per line.
pub const LINES: &str = "lines";
/// The longest reason accepted.
pub const MAX_REASON_CHARS: usize = 500;

/// The credit note form as posted: `scope` is [`WHOLE`] or [`LINES`];
/// `quantities[i]` is what to credit of line `i` (blank or 0: nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteInput {
    pub scope: String,
    pub quantities: Vec<String>,
    pub reason: String,
    /// A Spanish store's legal ground (`R1`…`R4`); empty when none is
    /// chosen.
    #[serde(default)]
    pub ground: String,
}

/// A credit note whose every field has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCreditNote {
    pub credits: Vec<LineCredit>,
    pub lines: Vec<DocumentLine>,
    pub totals: Totals,
    pub reason: String,
    /// The ground chosen, if any: whether the store may state one is the
    /// store's to judge.
    pub ground: Option<CorrectionGround>,
}

impl CreditNoteInput {
    /// Checks the form against the invoice's lines and the credits its
    /// earlier credit notes made, reporting every problem beside its field.
    pub fn validate(
        &self,
        invoice_lines: &[DocumentLine],
        credited: &[LineCredit],
        currency: Currency,
    ) -> Result<ValidCreditNote, Vec<FieldError>> {
        let mut errors = Vec::new();
        let reason = required_text("reason", &self.reason, MAX_REASON_CHARS, &mut errors);
        let ground = match self.ground.trim() {
            "" => None,
            code => CorrectionGround::parse(code)
                .map_err(|problem| {
                    errors.push(FieldError::new("ground", Problem::Spanish(problem)))
                })
                .ok(),
        };
        let left = remaining(invoice_lines, credited);
        if left.iter().all(|quantity| *quantity == 0) {
            return Err(vec![FieldError::new("invoice", Problem::FullyCredited)]);
        }
        let wanted: Vec<i64> = if self.scope == WHOLE {
            left.clone()
        } else {
            left.iter()
                .enumerate()
                .map(|(index, remaining_milli)| {
                    let field = format!("quantities[{index}]");
                    let text = self.quantities.get(index).map_or("", |text| text.trim());
                    let quantity = match parse_quantity(text) {
                        _ if text.is_empty() => Ok(0),
                        Ok(quantity) => Ok(quantity),
                        Err(Problem::QuantityNotPositive) if !text.starts_with('-') => Ok(0),
                        Err(problem) => Err(problem),
                    };
                    match quantity {
                        Ok(quantity) if quantity > *remaining_milli => {
                            errors.push(FieldError::new(
                                field,
                                Problem::CreditExceedsLine {
                                    remaining_milli: *remaining_milli,
                                },
                            ));
                            0
                        }
                        Ok(quantity) => quantity,
                        Err(problem) => {
                            errors.push(FieldError::new(field, problem));
                            0
                        }
                    }
                })
                .collect()
        };
        let credits: Vec<LineCredit> = wanted
            .iter()
            .enumerate()
            .filter(|(_, quantity)| **quantity > 0)
            .map(|(line, quantity)| LineCredit {
                line,
                quantity_milli: *quantity,
            })
            .collect();
        if credits.is_empty()
            && errors
                .iter()
                .all(|error| error.field == "reason" || error.field == "ground")
        {
            errors.push(FieldError::new("lines", Problem::NothingToCredit));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let lines: Vec<DocumentLine> = credits
            .iter()
            .filter_map(|credit| {
                invoice_lines.get(credit.line).map(|line| DocumentLine {
                    quantity_milli: credit.quantity_milli,
                    ..line.clone()
                })
            })
            .collect();
        let totals = totals(&lines, currency)
            .map_err(|_| vec![FieldError::new("lines", Problem::TotalTooLarge)])?;
        Ok(ValidCreditNote {
            credits,
            lines,
            totals,
            reason,
            ground,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(description: &str, quantity_milli: i64, unit_price_minor: i64) -> DocumentLine {
        DocumentLine {
            description: description.into(),
            quantity_milli,
            unit_price_minor,
            tax_rate_bp: 2_200,
            natura: None,
            treatment: None,
        }
    }

    fn invoice() -> Vec<DocumentLine> {
        vec![line("Sedia", 4_000, 5_000), line("Tavolo", 1_000, 30_000)]
    }

    fn input(scope: &str, quantities: &[&str]) -> CreditNoteInput {
        CreditNoteInput {
            scope: scope.into(),
            quantities: quantities.iter().map(|text| (*text).to_owned()).collect(),
            reason: "Merce resa".into(),
            ground: String::new(),
        }
    }

    #[test]
    fn a_legal_ground_is_kept_when_chosen_and_an_unknown_one_is_refused_beside_it() {
        let chosen = CreditNoteInput {
            ground: "r3".into(),
            ..input(WHOLE, &[])
        };
        let valid = chosen
            .validate(&invoice(), &[], Currency::Eur)
            .expect("valid");
        assert_eq!(valid.ground, Some(CorrectionGround::R3));
        let none = input(WHOLE, &[]).validate(&invoice(), &[], Currency::Eur);
        assert_eq!(none.map(|valid| valid.ground), Ok(None));
        let unknown = CreditNoteInput {
            ground: "R5".into(),
            ..input(WHOLE, &[])
        };
        assert_eq!(
            unknown.validate(&invoice(), &[], Currency::Eur),
            Err(vec![FieldError::new(
                "ground",
                Problem::Spanish(crate::spain::SpanishProblem::UnknownCorrectionGround)
            )])
        );
    }

    #[test]
    fn chosen_lines_are_credited_at_the_quantities_typed() {
        let valid = input(LINES, &["1,5", ""])
            .validate(&invoice(), &[], Currency::Eur)
            .expect("valid");
        assert_eq!(
            valid.credits,
            [LineCredit {
                line: 0,
                quantity_milli: 1_500
            }]
        );
        assert_eq!(valid.lines, [line("Sedia", 1_500, 5_000)]);
        // 1.5 × 50 € = 75 €, + 22 % = 91.50 €
        assert_eq!(valid.totals.total.minor, 9_150);
        assert_eq!(valid.reason, "Merce resa");
    }

    #[test]
    fn the_whole_invoice_is_what_is_left_of_it() {
        let whole = input(WHOLE, &[])
            .validate(&invoice(), &[], Currency::Eur)
            .expect("valid");
        assert_eq!(whole.lines, invoice());
        let earlier = [LineCredit {
            line: 0,
            quantity_milli: 1_000,
        }];
        let rest = input(WHOLE, &["99", "99"])
            .validate(&invoice(), &earlier, Currency::Eur)
            .expect("valid");
        assert_eq!(
            rest.lines,
            [line("Sedia", 3_000, 5_000), line("Tavolo", 1_000, 30_000)]
        );
    }

    #[test]
    fn a_line_is_never_credited_beyond_what_earlier_credit_notes_left() {
        let earlier = [
            LineCredit {
                line: 0,
                quantity_milli: 3_000,
            },
            LineCredit {
                line: 0,
                quantity_milli: 500,
            },
        ];
        assert_eq!(remaining(&invoice(), &earlier), [500, 1_000]);
        let errors = input(LINES, &["1", "-1"])
            .validate(&invoice(), &earlier, Currency::Eur)
            .unwrap_err();
        assert_eq!(
            errors,
            [
                FieldError::new(
                    "quantities[0]",
                    Problem::CreditExceedsLine {
                        remaining_milli: 500
                    }
                ),
                FieldError::new("quantities[1]", Problem::QuantityNotPositive),
            ]
        );
        assert!(errors[0]
            .message(crate::Language::En)
            .contains("Only 0.5 of this line"));
    }

    #[test]
    fn nothing_chosen_no_reason_or_nothing_left_is_refused_beside_its_field() {
        let mut nothing = input(LINES, &["0", ""]);
        nothing.reason = " ".into();
        assert_eq!(
            nothing
                .validate(&invoice(), &[], Currency::Eur)
                .unwrap_err(),
            [
                FieldError::new("reason", Problem::Required),
                FieldError::new("lines", Problem::NothingToCredit),
            ]
        );
        let all = [
            LineCredit {
                line: 0,
                quantity_milli: 4_000,
            },
            LineCredit {
                line: 1,
                quantity_milli: 1_000,
            },
        ];
        assert_eq!(
            input(WHOLE, &[])
                .validate(&invoice(), &all, Currency::Eur)
                .unwrap_err(),
            [FieldError::new("invoice", Problem::FullyCredited)]
        );
    }

    #[test]
    fn credit_notes_have_their_own_series_in_the_stores_pattern() {
        let format = NumberFormat::default();
        assert_eq!(number(&format, 2026, 1), "NC-2026-0001");
        let plain = NumberFormat::parse("F{NNN}").expect("valid");
        assert_eq!(number(&plain, 2026, 12), "NC-F012");
    }
}
