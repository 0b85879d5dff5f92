//! Correcting a VERI*FACTU record the AEAT rejected or accepted with
//! errors, and voiding an invoice the AEAT never registered, against the
//! stand-in AEAT (`support/aeat.rs`, which applies the AEAT's «operativas
//! de alta y anulación admisibles»), on every database engine.

mod support;

use app::api::{AdminBackend, AdminError};
use invoice::aeat::{AeatEvent, RecordOperation};
use invoice::history::HistoryEvent;
use invoice::i18n::Language;
use invoice::problem::Problem;
use invoice::status::{InvoiceStatus, MerchantStatus};
use invoice::verifactu::{verify_chain, RecipientInput};
use invoice::views::InvoiceFilter;
use server::db::now_ms;
use support::aeat::{AeatStandIn, UNCHECKED_RECIPIENTS, UNKNOWN_RECIPIENTS};
use support::World;

const CUSTOMER: &str = "Construcciones García S.A.";
const RIGHT_NIF: &str = "12345678Z";

async fn history_texts(world: &World, id: i64) -> Vec<String> {
    world
        .services
        .get_invoice(world.user(), id)
        .await
        .expect("the invoice")
        .history
        .into_iter()
        .filter_map(|entry| match entry.event {
            HistoryEvent::Aeat(answer) => Some(answer.merchant_text(Language::En)),
            HistoryEvent::Verifactu(record) => Some(record.merchant_text(Language::En)),
            _ => None,
        })
        .collect()
}

async fn last_answer(world: &World, id: i64) -> AeatEvent {
    world
        .services
        .get_invoice(world.user(), id)
        .await
        .expect("the invoice")
        .history
        .into_iter()
        .rev()
        .find_map(|entry| match entry.event {
            HistoryEvent::Aeat(answer) => Some(answer),
            _ => None,
        })
        .expect("an answer")
}

async fn pill_in_list(world: &World, id: i64) -> MerchantStatus {
    world
        .services
        .list_invoices(world.user(), InvoiceFilter::default())
        .await
        .expect("the list")
        .rows
        .into_iter()
        .find(|row| row.id == id)
        .expect("listed")
        .merchant_status
}

fn right_recipient() -> RecipientInput {
    RecipientInput {
        name: CUSTOMER.into(),
        tax_id: RIGHT_NIF.into(),
    }
}

#[tokio::test]
async fn a_record_rejected_for_its_customers_nif_is_corrected_and_registered() {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        let world =
            World::spanish_sending_to(db, &aeat, "ruiz@taller.es", UNKNOWN_RECIPIENTS[0]).await;
        let id = world.issued().await;
        let now = now_ms();
        world.services.send_to_aeat(now).await.expect("a round");
        assert!(matches!(
            last_answer(&world, id).await,
            AeatEvent::Rejected { code: 1193, .. }
        ));
        let detail = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice");
        assert_eq!(detail.merchant_status, MerchantStatus::RejectedByAeat);
        assert_eq!(
            detail.merchant_status.label(Language::En),
            "Rejected by the AEAT"
        );
        assert_eq!(
            pill_in_list(&world, id).await,
            MerchantStatus::RejectedByAeat,
            "the list's pill says it too"
        );
        assert_eq!(
            detail.aeat_correction,
            Some(RecipientInput {
                name: CUSTOMER.into(),
                tax_id: UNKNOWN_RECIPIENTS[0].into(),
            }),
            "the form is prefilled with what the record said"
        );

        world
            .services
            .correct_aeat_record(world.user(), id, right_recipient())
            .await
            .expect("the correction is queued");
        let texts = history_texts(&world, id).await;
        assert!(
            texts.iter().any(|text| text.starts_with(&format!(
                "Correction sent to the AEAT: customer {CUSTOMER} ({RIGHT_NIF})"
            ))),
            "{texts:?}"
        );
        world
            .services
            .send_to_aeat(now + 61_000)
            .await
            .expect("a round");
        let received = aeat.records();
        assert_eq!(
            received.len(),
            2,
            "the rejected record, then its correction"
        );
        let correction = &received[1];
        assert_eq!(
            (
                correction.operation.as_str(),
                correction.subsanacion.as_str(),
                correction.rechazo_previo.as_str(),
                correction.number.as_str()
            ),
            ("Alta", "S", "X", received[0].number.as_str()),
            "an «alta por rechazo» of the same invoice"
        );
        assert!(correction
            .xml
            .contains(&format!("<sf:NIF>{RIGHT_NIF}</sf:NIF>")));
        let chain: Vec<&str> = received.iter().map(|record| record.xml.as_str()).collect();
        assert_eq!(
            verify_chain(&chain),
            Ok(2),
            "chained after the rejected one"
        );
        assert!(matches!(
            last_answer(&world, id).await,
            AeatEvent::Registered {
                operation: RecordOperation::Correction,
                duplicate: false,
                ..
            }
        ));
        let texts = history_texts(&world, id).await;
        assert!(
            texts
                .last()
                .is_some_and(|text| text.starts_with("Registered at the AEAT (correction)")),
            "{texts:?}"
        );
        let detail = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice");
        assert_eq!(
            detail.merchant_status,
            MerchantStatus::Status(InvoiceStatus::Issued)
        );
        assert_eq!(detail.aeat_correction, None, "nothing left to correct");
        assert_eq!(
            pill_in_list(&world, id).await,
            MerchantStatus::Status(InvoiceStatus::Issued)
        );

        let again = world
            .services
            .correct_aeat_record(world.user(), id, right_recipient())
            .await;
        assert!(
            matches!(&again, Err(AdminError::Invalid(fields))
                if fields.len() == 1 && fields[0].field == "invoice" && fields[0].problem == Problem::AeatNothingToCorrect),
            "a registered record is not corrected: {again:?}"
        );
        assert!(again
            .err()
            .and_then(|error| error
                .field("invoice")
                .map(|problem| problem.message(Language::En)))
            .is_some_and(|text| text.contains("issue a credit note")));
    }
}

#[tokio::test]
async fn a_record_accepted_with_errors_is_corrected_by_a_subsanacion() {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        let world =
            World::spanish_sending_to(db, &aeat, "ruiz@taller.es", UNCHECKED_RECIPIENTS[0]).await;
        let id = world.issued().await;
        let now = now_ms();
        world.services.send_to_aeat(now).await.expect("a round");
        assert!(matches!(
            last_answer(&world, id).await,
            AeatEvent::AcceptedWithErrors { code: 2001, .. }
        ));
        assert_eq!(
            pill_in_list(&world, id).await,
            MerchantStatus::AcceptedWithErrorsByAeat
        );
        assert_eq!(
            MerchantStatus::AcceptedWithErrorsByAeat.label(Language::En),
            "Accepted with errors"
        );
        world
            .services
            .correct_aeat_record(world.user(), id, right_recipient())
            .await
            .expect("the subsanación is queued");
        world
            .services
            .send_to_aeat(now + 61_000)
            .await
            .expect("a round");
        let received = aeat.records();
        let subsanacion = received.last().expect("sent");
        assert_eq!(
            (
                subsanacion.subsanacion.as_str(),
                subsanacion.rechazo_previo.as_str()
            ),
            ("S", "N"),
            "an «alta de subsanación» of a record the AEAT has"
        );
        assert!(matches!(
            last_answer(&world, id).await,
            AeatEvent::Registered {
                operation: RecordOperation::Correction,
                ..
            }
        ));
        assert_eq!(
            pill_in_list(&world, id).await,
            MerchantStatus::Status(InvoiceStatus::Issued)
        );
    }
}

#[tokio::test]
async fn voiding_an_invoice_the_aeat_rejected_cancels_it_without_prior_record() {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        let world =
            World::spanish_sending_to(db, &aeat, "ruiz@taller.es", UNKNOWN_RECIPIENTS[0]).await;
        let id = world.issued().await;
        let now = now_ms();
        world.services.send_to_aeat(now).await.expect("a round");
        world
            .services
            .void_invoice(world.user(), id)
            .await
            .expect("voided");
        world
            .services
            .send_to_aeat(now + 61_000)
            .await
            .expect("a round");
        let cancellation = aeat.records().pop().expect("sent");
        assert_eq!(
            (
                cancellation.operation.as_str(),
                cancellation.sin_registro_previo.as_str(),
                cancellation.rechazo_previo.as_str()
            ),
            ("Anulacion", "S", ""),
            "an «anulación sin registro previo»"
        );
        assert_eq!(
            last_answer(&world, id).await,
            AeatEvent::Registered {
                operation: RecordOperation::Cancellation,
                csv: Some("A-00000000000000000002".into()),
                duplicate: false,
            },
            "the AEAT accepts it"
        );
        let detail = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice");
        assert_eq!(
            detail.merchant_status,
            MerchantStatus::Status(InvoiceStatus::Void)
        );
        assert_eq!(detail.aeat_correction, None);
    }
}

#[tokio::test]
async fn a_correction_is_refused_beside_its_field_and_only_for_a_record_that_needs_one() {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        let world =
            World::spanish_sending_to(db, &aeat, "ruiz@taller.es", UNKNOWN_RECIPIENTS[0]).await;
        let id = world.issued().await;
        let before_answer = world
            .services
            .correct_aeat_record(world.user(), id, right_recipient())
            .await;
        assert!(
            matches!(&before_answer, Err(AdminError::Invalid(fields)) if fields[0].problem == Problem::AeatNothingToCorrect),
            "not answered yet: {before_answer:?}"
        );
        world
            .services
            .send_to_aeat(now_ms())
            .await
            .expect("a round");
        let refused_field = |recipient: RecipientInput| {
            let services = world.services.clone();
            let user = world.user().clone();
            async move {
                match services.correct_aeat_record(&user, id, recipient).await {
                    Err(AdminError::Invalid(fields)) => fields
                        .into_iter()
                        .map(|field| field.field)
                        .collect::<Vec<_>>(),
                    other => panic!("refused expected: {other:?}"),
                }
            }
        };
        for (name, tax_id, field) in [
            (CUSTOMER, "12345678A", "tax_id"),
            (CUSTOMER, "", "tax_id"),
            (CUSTOMER, support::SPANISH_STORE_NIF, "tax_id"),
            ("", RIGHT_NIF, "name"),
        ] {
            assert_eq!(
                refused_field(RecipientInput {
                    name: name.into(),
                    tax_id: tax_id.into(),
                })
                .await,
                [field],
                "{name:?} {tax_id:?}"
            );
        }
        let records: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM verifactu_records")
            .fetch_one(&world.db.pool)
            .await
            .expect("count");
        assert_eq!(records, 1, "no record kept for a refused correction");
    }
}
