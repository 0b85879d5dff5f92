//! Credit notes, on every engine: an issued invoice corrected line by line,
//! what is due after each credit note, the credit notes' own gapless series,
//! the history of both documents, and the credit note sent, emailed and
//! published to the edge like an invoice.

mod support;

use app::api::{AdminBackend, AdminError, InvoiceDetail};
use base64::Engine;
use invoice::credit_note::{CreditNoteInput, LINES, WHOLE};
use invoice::dates::Date;
use invoice::document::DocumentKind;
use invoice::events::PublicEventKind;
use invoice::history::HistoryEvent;
use invoice::payment::PaymentInput;
use invoice::problem::Problem;
use invoice::status::InvoiceStatus;
use server::db::now_ms;
use support::{databases, deliver, World, CUSTOMER};

fn lines(quantities: &[&str], reason: &str) -> CreditNoteInput {
    CreditNoteInput {
        scope: LINES.into(),
        quantities: quantities.iter().map(|text| (*text).to_owned()).collect(),
        reason: reason.into(),
        ground: String::new(),
    }
}

async fn detail(world: &World, id: i64) -> InvoiceDetail {
    world
        .services
        .get_invoice(world.user(), id)
        .await
        .expect("the document")
}

/// A PDF's text as poppler's pdftotext reads it (poppler-utils is installed by `make`).
fn pdf_text(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("invio-credit-{}.pdf", server::db::random_id()));
    std::fs::write(&path, pdf).expect("write pdf");
    let output = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext from poppler-utils");
    String::from_utf8(output.stdout).expect("utf-8 text")
}

fn refusal(result: Result<impl std::fmt::Debug, AdminError>) -> Problem {
    match result {
        Err(AdminError::Invalid(fields)) => fields[0].problem.clone(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_invoice_credited_line_by_line_owes_less_until_it_reads_credited() {
    for db in databases().await {
        let world = World::new(db).await;
        let year = Date::from_unix_millis(now_ms()).year;
        // 2 × 100.00 at 22 % and 1 × 50.00 at 10 %: 244.00 + 55.00.
        let id = world.issued().await;
        let invoice_number = detail(&world, id).await.number.expect("a number");

        let book = world
            .services
            .issue_credit_note(world.user(), id, lines(&["", "1"], "Libro reso"))
            .await
            .expect("credited");
        let invoice = detail(&world, id).await;
        assert_eq!(invoice.total.minor, 29_900);
        assert_eq!(invoice.credited.minor, 5_500);
        assert_eq!(invoice.amount_due.minor, 24_400);
        assert_eq!(invoice.status, InvoiceStatus::Issued);
        let note = detail(&world, book).await;
        assert_eq!(note.kind, DocumentKind::CreditNote);
        assert_eq!(note.number.as_deref(), Some(&*format!("NC-{year}-0001")));
        assert_eq!(note.total.minor, 5_500);
        assert_eq!(note.amount_due.minor, 0, "a credit note asks for nothing");
        assert_eq!(note.corrects, Some((id, invoice_number.clone())));
        assert!(!note.can_credit && !note.can_remind);

        let consulting = world
            .services
            .issue_credit_note(world.user(), id, lines(&["1", ""], "Un'ora in meno"))
            .await
            .expect("credited");
        assert_eq!(
            detail(&world, consulting).await.number,
            Some(format!("NC-{year}-0002")),
            "the series goes on without a gap"
        );
        let invoice = detail(&world, id).await;
        assert_eq!(invoice.amount_due.minor, 29_900 - 5_500 - 12_200);
        assert_eq!(
            invoice
                .credit_notes
                .iter()
                .map(|note| (note.id, note.total.minor))
                .collect::<Vec<_>>(),
            [(book, 5_500), (consulting, 12_200)]
        );

        // What is left of the invoice pays only what the credit notes left.
        assert_eq!(
            refusal(
                world
                    .services
                    .record_payment(
                        world.user(),
                        id,
                        PaymentInput {
                            amount: "122.01".into(),
                            date: Date::from_unix_millis(now_ms()).to_string(),
                            method: "cash".into(),
                            reference: String::new(),
                        },
                    )
                    .await
            ),
            Problem::PaymentExceedsDue {
                due_minor: 12_200,
                currency: invoice::Currency::Eur
            }
        );
        let rest = CreditNoteInput {
            scope: WHOLE.into(),
            quantities: Vec::new(),
            reason: "Annullato".into(),
            ground: String::new(),
        };
        world
            .services
            .issue_credit_note(world.user(), id, rest.clone())
            .await
            .expect("the rest credited");
        let invoice = detail(&world, id).await;
        assert_eq!(invoice.status, InvoiceStatus::Credited);
        assert_eq!(invoice.amount_due.minor, 0);
        assert!(!invoice.can_credit);
        assert_eq!(
            refusal(
                world
                    .services
                    .issue_credit_note(world.user(), id, rest)
                    .await
            ),
            Problem::FullyCredited
        );
        assert_eq!(
            refusal(world.services.void_invoice(world.user(), id).await),
            Problem::HasCreditNotes
        );
        assert_eq!(
            refusal(world.services.void_invoice(world.user(), book).await),
            Problem::CreditNoteIsFinal
        );
    }
}

#[tokio::test]
async fn both_documents_histories_tell_of_the_credit_note() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;
        let number = detail(&world, id).await.number.expect("a number");
        let note = world
            .services
            .issue_credit_note(world.user(), id, lines(&["", "1"], "Libro reso"))
            .await
            .expect("credited");
        let note_number = detail(&world, note).await.number.expect("a number");
        let on_invoice: Vec<HistoryEvent> = detail(&world, id)
            .await
            .history
            .into_iter()
            .map(|entry| entry.event)
            .collect();
        assert!(
            on_invoice.iter().any(|event| matches!(
                event,
                HistoryEvent::CreditNoteIssued(issued)
                    if issued.credit_note_id == note
                        && issued.number == note_number
                        && issued.amount.minor == 5_500
            )),
            "{on_invoice:?}"
        );
        let on_note: Vec<HistoryEvent> = detail(&world, note)
            .await
            .history
            .into_iter()
            .map(|entry| entry.event)
            .collect();
        // Both are written in one transaction at one instant: in either order.
        assert_eq!(on_note.len(), 2, "{on_note:?}");
        assert!(on_note.contains(&HistoryEvent::Issued {
            number: note_number.clone()
        }));
        assert!(on_note.contains(&HistoryEvent::CorrectsInvoice {
            invoice_id: id,
            number
        }));
    }
}

#[tokio::test]
async fn credit_notes_issued_at_once_are_numbered_without_gaps_or_repeats() {
    for db in databases().await {
        let world = World::new(db).await;
        let year = Date::from_unix_millis(now_ms()).year;
        let (first, second, third) = (
            world.issued().await,
            world.issued().await,
            world.issued().await,
        );
        let credit = |id| {
            world
                .services
                .issue_credit_note(world.user(), id, lines(&["1", ""], "Reso"))
        };
        let (a, b, c) = tokio::join!(credit(first), credit(second), credit(third));
        let mut numbers = Vec::new();
        for note in [a, b, c] {
            numbers.push(
                detail(&world, note.expect("credited"))
                    .await
                    .number
                    .expect("a number"),
            );
        }
        numbers.sort();
        assert_eq!(
            numbers,
            (1..=3)
                .map(|n| format!("NC-{year}-{n:04}"))
                .collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn a_credit_note_is_sent_emailed_and_published_as_a_credit_note() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;
        world.send(id, "invoice").await;
        deliver(&world.services).await;
        let number = detail(&world, id).await.number.expect("a number");
        let note = world
            .services
            .issue_credit_note(world.user(), id, lines(&["", "1"], "Libro reso"))
            .await
            .expect("credited");
        let note_number = detail(&world, note).await.number.expect("a number");

        world.send(note, "credit-note").await;
        assert_eq!(deliver(&world.services).await, 1);
        let mail = world.mail_to(CUSTOMER);
        let email = mail.last().expect("the credit note's email");
        // The customer reads Spanish.
        assert_eq!(
            email.subject(),
            format!("Nota de crédito {note_number} de Bottega Rossi")
        );
        assert!(
            email
                .text()
                .contains(&format!("que rectifica la factura {number}")),
            "{}",
            email.text()
        );
        assert!(email.text().contains("Ver la nota de crédito"));

        let published = world
            .edge
            .publications()
            .into_iter()
            .find(|publication| publication.document.number == note_number)
            .expect("the credit note at the edge");
        assert_eq!(published.document.title(), "Nota de crédito");
        let invoice_date = detail(&world, id).await.draft.issue_date;
        assert_eq!(
            published
                .document
                .corrected_invoice()
                .map(|(corrected, date)| (corrected.to_owned(), date.to_string())),
            Some((number.clone(), invoice_date))
        );
        assert_eq!(
            published.document.corrects.map(|c| c.reason).as_deref(),
            Some("Libro reso")
        );

        // The invoice's page at the edge learns what was credited.
        let key = world
            .edge
            .publications()
            .into_iter()
            .find(|publication| publication.document.number == number)
            .expect("the invoice at the edge")
            .invoice_key;
        world
            .services
            .publish_changed_states()
            .await
            .expect("published");
        let state = world.edge.latest_state(&key).expect("the invoice's state");
        assert_eq!(state.credited_minor, 5_500);
        // Its PDF at the edge is rendered again: what was credited is off
        // the amount due there too.
        let republished = world
            .edge
            .publications()
            .into_iter()
            .rev()
            .find(|publication| publication.invoice_key == key)
            .expect("the invoice again");
        let pdf = base64::engine::general_purpose::STANDARD
            .decode(&republished.pdf_base64)
            .expect("base64");
        let text = pdf_text(&pdf);
        assert!(text.contains("Abonado"), "{text}");
        assert!(text.contains("244,00"), "{text}");
        assert!(state.history.iter().any(|event| event.kind
            == PublicEventKind::CreditNoteIssued {
                number: note_number.clone(),
                amount_minor: 5_500
            }));
    }
}
