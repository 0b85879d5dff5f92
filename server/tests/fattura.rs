//! An Italian store's electronic invoices on every engine: the store's
//! fiscal data, the FatturaPA file built at issue with the sender's next
//! progressive, refused when SdI would reject it, downloadable, and the
//! courtesy copy that says what it is. (Other organisations and squatted
//! partite IVA: `abuse/fatturapa.rs`.)

mod support;

use app::api::AdminBackend;
use axum::http::{header, StatusCode};
use invoice::credit_note::{CreditNoteInput, WHOLE};
use invoice::customer::CustomerInput;
use invoice::dates::Date;
use invoice::document::LineInput;
use invoice::italy::FiscalProblem;
use invoice::problem::Problem;
use server::db::now_ms;
use support::{body_text, databases, draft, get, router, World};

/// Invoices are numbered in the year they are issued.
fn this_year() -> i32 {
    Date::from_unix_millis(now_ms()).year
}

#[tokio::test]
async fn an_italian_invoice_is_issued_with_its_fatturapa_file_and_a_courtesy_copy() {
    for db in databases().await {
        let world = World::new(db).await;
        world.make_italian().await;
        let user = world.user();

        // A flat-rate merchant's line without VAT needs its natura: issuing
        // is refused beside the line, and the number is not used up.
        let mut input = draft(&world.merchant);
        input.lines = vec![LineInput {
            description: "Consulenza di giugno".into(),
            quantity: "1".into(),
            unit_price: "500".into(),
            tax_rate: "0".into(),
            ..LineInput::default()
        }];
        let id = world
            .services
            .save_draft(user, None, 0, input.clone())
            .await
            .expect("draft saved");
        let refused = world
            .services
            .issue_invoice(user, id, 1)
            .await
            .expect_err("no natura");
        assert_eq!(
            refused
                .field("lines[0].natura")
                .map(|field| field.problem.clone()),
            Some(Problem::Fiscal(FiscalProblem::NaturaMissing))
        );
        input.lines[0].natura = "N2.2".into();
        world
            .services
            .save_draft(user, Some(id), 1, input)
            .await
            .expect("draft saved");
        world
            .services
            .issue_invoice(user, id, 2)
            .await
            .expect("issued");
        let detail = world.services.get_invoice(user, id).await.expect("invoice");
        assert_eq!(detail.number, Some(format!("{}-0001", this_year())));
        assert_eq!(
            detail.fatturapa_file.as_deref(),
            Some("IT06363391001_00001.xml")
        );

        let router = router(world.services.clone());
        let session = world.merchant.session.clone();
        let file = get(
            &router,
            &format!("/invoices/{id}/fatturapa.xml"),
            Some(&session),
        )
        .await;
        assert_eq!(file.status(), StatusCode::OK);
        assert_eq!(
            file.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"IT06363391001_00001.xml\""
        );
        let xml = body_text(file).await;
        for expected in [
            "<ProgressivoInvio>00001</ProgressivoInvio>",
            "<CodiceDestinatario>M5UXCR1</CodiceDestinatario>",
            "<RegimeFiscale>RF19</RegimeFiscale>",
            "<Natura>N2.2</Natura>",
            "<BolloVirtuale>SI</BolloVirtuale>",
            format!("<Numero>{}-0001</Numero>", this_year()).as_str(),
            "<IBAN>IT60X0542811101000000123456</IBAN>",
            "<RiferimentoNormativo>Operazione in franchigia da IVA ai sensi dell&#39;art. 1, commi 54-89, L. 190/2014</RiferimentoNormativo>",
        ] {
            assert!(xml.contains(expected), "{expected} in\n{xml}");
        }

        // A consumer, known by the codice fiscale only: code 0000000, and
        // the sender's next progressive.
        world
            .configure_customer(|customer: &mut CustomerInput| {
                customer.name = "Mario Rossi".into();
                customer.tax_id = String::new();
                customer.codice_destinatario = String::new();
                customer.codice_fiscale = "RSSMRA80A01H501U".into();
                customer.address = "Via dei Mille 1\n80121 Napoli NA".into();
            })
            .await;
        let consumer = world.issued().await;
        let file = get(
            &router,
            &format!("/invoices/{consumer}/fatturapa.xml"),
            Some(&session),
        )
        .await;
        let xml = body_text(file).await;
        assert!(xml.contains("<ProgressivoInvio>00002</ProgressivoInvio>"));
        assert!(xml.contains("<CodiceDestinatario>0000000</CodiceDestinatario>"));
        assert!(xml.contains("<CodiceFiscale>RSSMRA80A01H501U</CodiceFiscale>"));

        // The courtesy copy says what it is, in the customer's language.
        world.send(consumer, "courtesy").await;
        support::deliver(&world.services).await;
        let email = world
            .mail_to(support::CUSTOMER)
            .pop()
            .expect("the courtesy copy");
        assert!(
            email.data.contains("Sistema di Interscambio"),
            "{}",
            email.data
        );
        let published = world.edge.publications().pop().expect("published document");
        assert!(published.document.legal_channel.is_some());
    }
}

#[tokio::test]
async fn an_invoice_that_sdi_would_reject_is_not_issued_and_uses_no_number() {
    for db in databases().await {
        let world = World::new(db).await;
        world.make_italian().await;
        // A company abroad-style address: SdI could not place the customer.
        world
            .configure_customer(|customer| {
                customer.codice_destinatario = String::new();
                customer.tax_id = String::new();
                customer.address = "Via Roma 1\n00184 Roma RM".into();
                customer.codice_fiscale = "RSSMRA80A01H501U".into();
            })
            .await;
        // Saved before the check existed: the address says nothing of Italy.
        sqlx::query("UPDATE customers SET address = $1 WHERE id = $2")
            .bind("10 Downing Street\nLondon")
            .bind(world.merchant.customer_id)
            .execute(&world.db.pool)
            .await
            .expect("address replaced");
        let user = world.user();
        let id = world
            .services
            .save_draft(user, None, 0, draft(&world.merchant))
            .await
            .expect("draft saved");
        let refused = world.services.issue_invoice(user, id, 1).await;
        let customer_problem = refused
            .as_ref()
            .err()
            .and_then(|error| error.field("customer_id"))
            .map(|field| field.problem.clone());
        assert_eq!(
            customer_problem,
            Some(Problem::Fiscal(FiscalProblem::CustomerAddress)),
            "{refused:?}"
        );
        // Corrected, it gets the first number and the first progressive.
        world
            .configure_customer(|customer| {
                customer.address = "Via Roma 1\n00184 Roma RM".into();
            })
            .await;
        world
            .services
            .issue_invoice(user, id, 1)
            .await
            .expect("issued");
        let detail = world.services.get_invoice(user, id).await.expect("invoice");
        assert_eq!(detail.number, Some(format!("{}-0001", this_year())));
        assert_eq!(
            detail.fatturapa_file.as_deref(),
            Some("IT06363391001_00001.xml")
        );
    }
}

#[tokio::test]
async fn an_italian_credit_note_is_a_td04_file_that_cites_the_invoice_it_corrects() {
    for db in databases().await {
        let world = World::new(db).await;
        world.make_italian().await;
        let user = world.user();
        let id = world.issued().await;
        let note = world
            .services
            .issue_credit_note(
                user,
                id,
                CreditNoteInput {
                    scope: WHOLE.into(),
                    quantities: Vec::new(),
                    reason: "Reso".into(),
                    ground: String::new(),
                },
            )
            .await
            .expect("credited");
        let detail = world.services.get_invoice(user, note).await.expect("note");
        assert_eq!(
            detail.fatturapa_file.as_deref(),
            Some("IT06363391001_00002.xml")
        );
        let router = router(world.services.clone());
        let file = get(
            &router,
            &format!("/invoices/{note}/fatturapa.xml"),
            Some(&world.merchant.session),
        )
        .await;
        let xml = body_text(file).await;
        for expected in [
            "<TipoDocumento>TD04</TipoDocumento>",
            "<DatiFattureCollegate>",
            format!("<IdDocumento>{}-0001</IdDocumento>", this_year()).as_str(),
        ] {
            assert!(xml.contains(expected), "{expected} in\n{xml}");
        }
        assert!(
            !xml.contains("<DatiPagamento>"),
            "a credit note asks for no payment"
        );
    }
}

#[tokio::test]
async fn an_italian_invoice_dated_in_the_future_waits_for_its_day() {
    for db in databases().await {
        let world = World::new(db).await;
        world.make_italian().await;
        let user = world.user();
        let mut input = draft(&world.merchant);
        let today = Date::from_unix_millis(now_ms());
        input.issue_date = Date {
            year: today.year + 1,
            ..today
        }
        .to_string();
        let id = world
            .services
            .save_draft(user, None, 0, input)
            .await
            .expect("draft saved");
        let refused = world
            .services
            .issue_invoice(user, id, 1)
            .await
            .expect_err("SdI refuses it (00403)");
        assert_eq!(
            refused
                .field("issue_date")
                .map(|field| field.problem.clone()),
            Some(Problem::Fiscal(FiscalProblem::DatedInFuture))
        );
        let detail = world.services.get_invoice(user, id).await.expect("draft");
        assert_eq!(detail.number, None, "still a draft, no number used");
    }
}
