//! An invoice's life as pure functions: each takes the invoice's state as the
//! database holds it (read, locked, in the transaction that will write) and
//! returns the new state and the history entries to append, or why not. The
//! database layer persists what these return and decides nothing itself.

use crate::dates::Date;
use crate::document::DocumentKind;
use crate::email::{send_refusal, EmailPurpose};
use crate::history::{
    Audience, CreditNoteEvent, EmailEvent, EmailKind, EmailStep, HistoryEvent, PaymentEvent,
};
use crate::problem::Problem;
use crate::status::{amount_owed, Lifecycle};
use crate::Money;

/// The part of an invoice its transitions read and change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceState {
    pub lifecycle: Lifecycle,
    /// Counts the merchant's changes: a change based on an older version was
    /// made without seeing another one, and is refused.
    pub version: i64,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub kind: DocumentKind,
    /// The sum of the invoice's credit notes (0 on a credit note).
    pub credited_minor: i64,
}

/// Why a transition does not apply, and which field of the form it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub problem: Problem,
}

fn refused(field: &'static str, problem: Problem) -> Refusal {
    Refusal { field, problem }
}

/// A transition's outcome: the state to store and what to append to the
/// history, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: InvoiceState,
    pub events: Vec<HistoryEvent>,
}

/// A new draft.
pub fn create_draft(total_minor: i64) -> Transition {
    Transition {
        state: InvoiceState {
            lifecycle: Lifecycle::Draft,
            version: 1,
            total_minor,
            paid_minor: 0,
            kind: DocumentKind::Invoice,
            credited_minor: 0,
        },
        events: vec![HistoryEvent::Created],
    }
}

/// The merchant saves a draft they opened at `seen_version`.
pub fn edit_draft(
    state: InvoiceState,
    seen_version: i64,
    total_minor: i64,
) -> Result<Transition, Refusal> {
    if state.lifecycle != Lifecycle::Draft {
        return Err(refused("invoice", Problem::NotEditable));
    }
    if state.version != seen_version {
        return Err(refused("invoice", Problem::EditedElsewhere));
    }
    Ok(Transition {
        state: InvoiceState {
            version: state.version + 1,
            total_minor,
            ..state
        },
        events: Vec::new(),
    })
}

/// What issuing fixes for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub number: String,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    pub total_minor: i64,
}

/// The merchant issues a draft they opened at `seen_version`: the number is
/// assigned and the document frozen.
pub fn issue(state: InvoiceState, seen_version: i64, issue: Issue) -> Result<Transition, Refusal> {
    match state.lifecycle {
        Lifecycle::Draft => {}
        Lifecycle::Issued => return Err(refused("invoice", Problem::NotEditable)),
        Lifecycle::Void => return Err(refused("invoice", Problem::AlreadyVoid)),
    }
    if state.version != seen_version {
        return Err(refused("invoice", Problem::EditedElsewhere));
    }
    if issue.due_date.is_some_and(|due| due < issue.issue_date) {
        return Err(refused("due_date", Problem::DueBeforeIssue));
    }
    Ok(Transition {
        state: InvoiceState {
            lifecycle: Lifecycle::Issued,
            version: state.version + 1,
            total_minor: issue.total_minor,
            ..state
        },
        events: vec![HistoryEvent::Issued {
            number: issue.number,
        }],
    })
}

/// The merchant voids an issued invoice: only one no channel of a tax
/// authority carried (`transmitted`), and without credit notes, since a
/// credit note is how such an invoice is corrected. A credit note is final.
pub fn void(state: InvoiceState, transmitted: bool) -> Result<Transition, Refusal> {
    match state.lifecycle {
        Lifecycle::Issued if state.kind == DocumentKind::CreditNote => {
            Err(refused("invoice", Problem::CreditNoteIsFinal))
        }
        Lifecycle::Issued if state.credited_minor > 0 => {
            Err(refused("invoice", Problem::HasCreditNotes))
        }
        Lifecycle::Issued if transmitted => {
            Err(refused("invoice", Problem::TransmittedUseCreditNote))
        }
        Lifecycle::Issued => Ok(Transition {
            state: InvoiceState {
                lifecycle: Lifecycle::Void,
                version: state.version + 1,
                ..state
            },
            events: vec![HistoryEvent::Voided],
        }),
        Lifecycle::Draft => Err(refused("invoice", Problem::InvoiceIsDraft)),
        Lifecycle::Void => Err(refused("invoice", Problem::AlreadyVoid)),
    }
}

/// Whether a document takes a payment at all: an issued invoice does; a
/// credit note, a draft and a void invoice do not, each for its reason.
pub fn takes_payment(lifecycle: Lifecycle, kind: DocumentKind) -> Result<(), Refusal> {
    match (kind, lifecycle) {
        (DocumentKind::CreditNote, _) => Err(refused("amount", Problem::CreditNoteTakesNoPayment)),
        (_, Lifecycle::Draft) => Err(refused("amount", Problem::InvoiceIsDraft)),
        (_, Lifecycle::Void) => Err(refused("amount", Problem::AlreadyVoid)),
        (DocumentKind::Invoice, Lifecycle::Issued) => Ok(()),
    }
}

/// A payment against an issued invoice, never beyond what is due once its
/// credit notes are taken off.
pub fn record_payment(state: InvoiceState, payment: PaymentEvent) -> Result<Transition, Refusal> {
    takes_payment(state.lifecycle, state.kind)?;
    let paid_minor = state.paid_minor.checked_add(payment.amount.minor);
    let owed_minor = state.total_minor.saturating_sub(state.credited_minor);
    match paid_minor {
        Some(paid_minor) if payment.amount.minor > 0 && paid_minor <= owed_minor => {
            Ok(Transition {
                state: InvoiceState {
                    paid_minor,
                    ..state
                },
                events: vec![HistoryEvent::PaymentRecorded(payment)],
            })
        }
        _ => Err(refused("amount", Problem::NothingDue)),
    }
}

/// A payment taken back: it stays in the history, and is due again.
pub fn delete_payment(state: InvoiceState, payment: PaymentEvent) -> Transition {
    Transition {
        state: InvoiceState {
            paid_minor: state.paid_minor.saturating_sub(payment.amount.minor),
            ..state
        },
        events: vec![HistoryEvent::PaymentDeleted(payment)],
    }
}

/// A send (the dialog's, on issue, a reminder, a fresh link): one email
/// queued per recipient, if the invoice may be emailed for `purpose` at all
/// (`send_refusal`, the send dialog's rule, whoever asks).
pub fn send(
    state: InvoiceState,
    purpose: EmailPurpose,
    due_date: Option<Date>,
    recipients: &[(Audience, String)],
) -> Result<Vec<HistoryEvent>, Refusal> {
    let due = amount_owed(state.total_minor, state.paid_minor, state.credited_minor);
    if let Some(problem) = send_refusal(state.lifecycle, purpose, due_date, due) {
        return Err(refused("invoice", problem));
    }
    Ok(recipients
        .iter()
        .map(|(audience, address)| {
            HistoryEvent::Email(EmailEvent {
                email: EmailKind::new(*audience, purpose),
                step: EmailStep::Queued,
                address: address.clone(),
                reply: None,
            })
        })
        .collect())
}

/// A credit note just numbered, and the invoice it corrects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNote {
    pub id: i64,
    pub number: String,
    pub total: Money,
    pub invoice_id: i64,
    pub invoice_number: String,
}

/// Both sides of a credit note: the invoice's new state and history, and the
/// credit note's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub invoice: Transition,
    pub credit_note_events: Vec<HistoryEvent>,
}

/// A credit note corrects an issued invoice (not a draft, not a void one,
/// not another credit note), and all of an invoice's credit notes never add
/// up to more than its total. `invoice` is the invoice's state, locked.
pub fn credit(invoice: InvoiceState, note: CreditNote) -> Result<Credit, Refusal> {
    match (invoice.lifecycle, invoice.kind) {
        (Lifecycle::Draft, _) => return Err(refused("invoice", Problem::InvoiceIsDraft)),
        (Lifecycle::Void, _) => return Err(refused("invoice", Problem::AlreadyVoid)),
        (Lifecycle::Issued, DocumentKind::CreditNote) => {
            return Err(refused("invoice", Problem::CreditNoteOfCreditNote))
        }
        (Lifecycle::Issued, DocumentKind::Invoice) => {}
    }
    let left_minor = invoice
        .total_minor
        .saturating_sub(invoice.credited_minor)
        .max(0);
    if left_minor == 0 {
        return Err(refused("invoice", Problem::FullyCredited));
    }
    if note.total.minor <= 0 {
        return Err(refused("lines", Problem::NothingToCredit));
    }
    if note.total.minor > left_minor {
        return Err(refused(
            "lines",
            Problem::CreditExceedsInvoice {
                left_minor,
                currency: note.total.currency,
            },
        ));
    }
    Ok(Credit {
        invoice: Transition {
            state: InvoiceState {
                version: invoice.version + 1,
                credited_minor: invoice.credited_minor + note.total.minor,
                ..invoice
            },
            events: vec![HistoryEvent::CreditNoteIssued(CreditNoteEvent {
                credit_note_id: note.id,
                number: note.number.clone(),
                amount: note.total,
            })],
        },
        credit_note_events: vec![
            HistoryEvent::Issued {
                number: note.number,
            },
            HistoryEvent::CorrectsInvoice {
                invoice_id: note.invoice_id,
                number: note.invoice_number,
            },
        ],
    })
}

/// The merchant withdraws a link sent to `address`; None when it already was.
pub fn revoke_link(already_revoked: bool, address: String) -> Option<Vec<HistoryEvent>> {
    (!already_revoked).then(|| vec![HistoryEvent::LinkRevoked { address }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::PaymentMethod;
    use crate::{Currency, Money};
    use proptest::prelude::*;

    fn state(lifecycle: Lifecycle, paid_minor: i64) -> InvoiceState {
        InvoiceState {
            lifecycle,
            version: 3,
            total_minor: 10_000,
            paid_minor,
            kind: DocumentKind::Invoice,
            credited_minor: 0,
        }
    }

    fn payment(minor: i64) -> PaymentEvent {
        PaymentEvent {
            amount: Money::new(minor, Currency::Eur),
            method: PaymentMethod::Card,
        }
    }

    fn date(day: u32) -> Date {
        Date {
            year: 2026,
            month: 11,
            day,
        }
    }

    fn issuing(due_day: Option<u32>) -> Issue {
        Issue {
            number: "2026-0001".into(),
            issue_date: date(10),
            due_date: due_day.map(date),
            total_minor: 12_200,
        }
    }

    #[test]
    fn a_draft_is_issued_once_with_its_number_and_frozen_total() {
        let draft = state(Lifecycle::Draft, 0);
        let issued = issue(draft, 3, issuing(Some(20))).expect("issued");
        assert_eq!(issued.state.lifecycle, Lifecycle::Issued);
        assert_eq!(issued.state.version, 4);
        assert_eq!(issued.state.total_minor, 12_200);
        assert_eq!(
            issued.events,
            [HistoryEvent::Issued {
                number: "2026-0001".into()
            }]
        );
        assert_eq!(
            issue(issued.state, 4, issuing(None)).map(|_| ()),
            Err(refused("invoice", Problem::NotEditable))
        );
    }

    #[test]
    fn issuing_is_refused_for_a_stale_form_a_void_invoice_or_a_due_date_before_the_issue() {
        let draft = state(Lifecycle::Draft, 0);
        assert_eq!(
            issue(draft, 2, issuing(None)).map(|_| ()),
            Err(refused("invoice", Problem::EditedElsewhere))
        );
        assert_eq!(
            issue(state(Lifecycle::Void, 0), 3, issuing(None)).map(|_| ()),
            Err(refused("invoice", Problem::AlreadyVoid))
        );
        assert_eq!(
            issue(draft, 3, issuing(Some(9))).map(|_| ()),
            Err(refused("due_date", Problem::DueBeforeIssue))
        );
        assert!(issue(draft, 3, issuing(Some(10))).is_ok(), "due on the day");
    }

    #[test]
    fn only_a_draft_is_edited_and_only_from_its_latest_version() {
        let edited = edit_draft(state(Lifecycle::Draft, 0), 3, 500).expect("edited");
        assert_eq!((edited.state.version, edited.state.total_minor), (4, 500));
        assert!(edited.events.is_empty());
        assert_eq!(
            edit_draft(edited.state, 3, 600).map(|_| ()),
            Err(refused("invoice", Problem::EditedElsewhere))
        );
        assert_eq!(
            edit_draft(state(Lifecycle::Issued, 0), 3, 600).map(|_| ()),
            Err(refused("invoice", Problem::NotEditable))
        );
        assert_eq!(create_draft(700).events, [HistoryEvent::Created]);
    }

    #[test]
    fn only_an_issued_invoice_is_voided() {
        let voided = void(state(Lifecycle::Issued, 0), false).expect("voided");
        assert_eq!(voided.state.lifecycle, Lifecycle::Void);
        assert_eq!(voided.events, [HistoryEvent::Voided]);
        assert_eq!(
            void(voided.state, false).map(|_| ()),
            Err(refused("invoice", Problem::AlreadyVoid))
        );
        assert_eq!(
            void(state(Lifecycle::Draft, 0), false).map(|_| ()),
            Err(refused("invoice", Problem::InvoiceIsDraft))
        );
    }

    fn note(total_minor: i64) -> CreditNote {
        CreditNote {
            id: 12,
            number: "NC-2026-0001".into(),
            total: Money::new(total_minor, Currency::Eur),
            invoice_id: 7,
            invoice_number: "2026-0007".into(),
        }
    }

    #[test]
    fn a_credit_note_takes_its_total_off_the_invoice_and_both_histories_say_so() {
        let credited = credit(state(Lifecycle::Issued, 0), note(4_000)).expect("credited");
        assert_eq!(credited.invoice.state.credited_minor, 4_000);
        assert_eq!(credited.invoice.state.version, 4);
        assert_eq!(
            credited.invoice.events,
            [HistoryEvent::CreditNoteIssued(CreditNoteEvent {
                credit_note_id: 12,
                number: "NC-2026-0001".into(),
                amount: Money::new(4_000, Currency::Eur),
            })]
        );
        assert_eq!(
            credited.credit_note_events,
            [
                HistoryEvent::Issued {
                    number: "NC-2026-0001".into()
                },
                HistoryEvent::CorrectsInvoice {
                    invoice_id: 7,
                    number: "2026-0007".into()
                }
            ]
        );
        let rest = credit(credited.invoice.state, note(6_000)).expect("the rest");
        assert_eq!(rest.invoice.state.credited_minor, 10_000);
        assert_eq!(
            credit(rest.invoice.state, note(1)).map(|_| ()),
            Err(refused("invoice", Problem::FullyCredited))
        );
    }

    #[test]
    fn credit_notes_never_add_up_to_more_than_the_invoice_nor_correct_what_is_not_issued() {
        let part = credit(state(Lifecycle::Issued, 0), note(7_000)).expect("credited");
        assert_eq!(
            credit(part.invoice.state, note(3_001)).map(|_| ()),
            Err(refused(
                "lines",
                Problem::CreditExceedsInvoice {
                    left_minor: 3_000,
                    currency: Currency::Eur
                }
            ))
        );
        assert_eq!(
            credit(state(Lifecycle::Draft, 0), note(1)).map(|_| ()),
            Err(refused("invoice", Problem::InvoiceIsDraft))
        );
        assert_eq!(
            credit(state(Lifecycle::Void, 0), note(1)).map(|_| ()),
            Err(refused("invoice", Problem::AlreadyVoid))
        );
        let credit_note = InvoiceState {
            kind: DocumentKind::CreditNote,
            ..state(Lifecycle::Issued, 0)
        };
        assert_eq!(
            credit(credit_note, note(1)).map(|_| ()),
            Err(refused("invoice", Problem::CreditNoteOfCreditNote))
        );
        assert_eq!(
            credit(state(Lifecycle::Issued, 0), note(0)).map(|_| ()),
            Err(refused("lines", Problem::NothingToCredit))
        );
    }

    #[test]
    fn a_credited_invoice_a_transmitted_one_and_a_credit_note_are_never_voided() {
        let credited = credit(state(Lifecycle::Issued, 0), note(1_000))
            .expect("credited")
            .invoice
            .state;
        assert_eq!(
            void(credited, false).map(|_| ()),
            Err(refused("invoice", Problem::HasCreditNotes))
        );
        assert_eq!(
            void(state(Lifecycle::Issued, 0), true).map(|_| ()),
            Err(refused("invoice", Problem::TransmittedUseCreditNote))
        );
        let credit_note = InvoiceState {
            kind: DocumentKind::CreditNote,
            ..state(Lifecycle::Issued, 0)
        };
        assert_eq!(
            void(credit_note, false).map(|_| ()),
            Err(refused("invoice", Problem::CreditNoteIsFinal))
        );
        assert_eq!(
            record_payment(credit_note, payment(1)).map(|_| ()),
            Err(refused("amount", Problem::CreditNoteTakesNoPayment))
        );
    }

    #[test]
    fn a_payment_never_goes_beyond_what_the_credit_notes_left() {
        let credited = credit(state(Lifecycle::Issued, 0), note(4_000))
            .expect("credited")
            .invoice
            .state;
        assert_eq!(
            record_payment(credited, payment(6_001)).map(|_| ()),
            Err(refused("amount", Problem::NothingDue))
        );
        assert!(record_payment(credited, payment(6_000)).is_ok());
    }

    #[test]
    fn payments_add_up_to_the_total_and_no_further() {
        let part = record_payment(state(Lifecycle::Issued, 0), payment(4_000)).expect("paid");
        assert_eq!(part.state.paid_minor, 4_000);
        assert_eq!(part.events, [HistoryEvent::PaymentRecorded(payment(4_000))]);
        let rest = record_payment(part.state, payment(6_000)).expect("paid");
        assert_eq!(rest.state.paid_minor, 10_000);
        assert_eq!(
            record_payment(rest.state, payment(1)).map(|_| ()),
            Err(refused("amount", Problem::NothingDue))
        );
        assert_eq!(
            record_payment(state(Lifecycle::Draft, 0), payment(1)).map(|_| ()),
            Err(refused("amount", Problem::InvoiceIsDraft))
        );
        assert_eq!(
            record_payment(state(Lifecycle::Void, 0), payment(1)).map(|_| ()),
            Err(refused("amount", Problem::AlreadyVoid))
        );
        let deleted = delete_payment(rest.state, payment(6_000));
        assert_eq!(deleted.state.paid_minor, 4_000);
        assert_eq!(
            deleted.events,
            [HistoryEvent::PaymentDeleted(payment(6_000))]
        );
    }

    #[test]
    fn a_send_queues_one_email_per_recipient_of_an_invoice_that_may_be_emailed() {
        let to = [
            (Audience::Customer, "maria@example.es".to_owned()),
            (Audience::Copy, "books@bottega.it".to_owned()),
        ];
        let queued = send(
            state(Lifecycle::Issued, 0),
            EmailPurpose::Invoice,
            None,
            &to,
        )
        .expect("sent");
        assert_eq!(
            queued.iter().map(HistoryEvent::kind).collect::<Vec<_>>(),
            ["email_queued", "email_queued"]
        );
        assert_eq!(queued[1].audience(), Some(Audience::Copy));
        let reminders = send(
            state(Lifecycle::Issued, 0),
            EmailPurpose::Reminder,
            Some(date(20)),
            &to[..1],
        )
        .expect("reminded");
        assert_eq!(reminders[0].kind(), "reminder_queued");
        for (lifecycle, paid, purpose, due, problem) in [
            (
                Lifecycle::Draft,
                0,
                EmailPurpose::Invoice,
                None,
                Problem::InvoiceIsDraft,
            ),
            (
                Lifecycle::Void,
                0,
                EmailPurpose::Invoice,
                None,
                Problem::AlreadyVoid,
            ),
            (
                Lifecycle::Issued,
                10_000,
                EmailPurpose::Reminder,
                Some(date(20)),
                Problem::NothingDue,
            ),
            (
                Lifecycle::Issued,
                0,
                EmailPurpose::Reminder,
                None,
                Problem::NoDueDate,
            ),
        ] {
            assert_eq!(
                send(state(lifecycle, paid), purpose, due, &to),
                Err(refused("invoice", problem))
            );
        }
    }

    #[test]
    fn a_link_is_revoked_once() {
        assert_eq!(
            revoke_link(false, "maria@example.es".into()),
            Some(vec![HistoryEvent::LinkRevoked {
                address: "maria@example.es".into()
            }])
        );
        assert_eq!(revoke_link(true, "maria@example.es".into()), None);
    }

    proptest! {
        #[test]
        fn whatever_is_recorded_the_amount_paid_stays_between_nothing_and_the_total(
            amounts in proptest::collection::vec(-5_000_i64..15_000, 0..20)
        ) {
            let mut current = state(Lifecycle::Issued, 0);
            for minor in amounts {
                if let Ok(next) = record_payment(current, payment(minor)) {
                    current = next.state;
                }
                prop_assert!((0..=current.total_minor).contains(&current.paid_minor));
            }
        }
    }
}
