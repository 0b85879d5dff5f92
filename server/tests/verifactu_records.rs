//! A Spanish store's VERI*FACTU records on every engine: each invoice,
//! simplified invoice, credit note and void writes its record, chained to
//! the one before, in the same transaction as its number; the database
//! refuses to change or delete one; concurrent issues keep one line; a
//! record the AEAT would refuse is not kept and gives its number back; and
//! the verification command names the first record altered behind the
//! database's back. (A stranger claiming the merchant's NIF:
//! `abuse/verifactu_chains.rs`.)

mod support;

use app::api::{AdminBackend, AdminError};
use invoice::credit_note::{CreditNoteInput, WHOLE};
use invoice::dates::Date;
use invoice::history::HistoryEvent;
use invoice::problem::Problem;
use invoice::spain::SpanishProblem;
use invoice::store::StoreInput;
use invoice::verifactu::{AeatRule, InvoiceType, RecordKind, VerifactuEvent};
use server::db::verifactu::{chains, for_invoice, records_after, KeptRecord};
use server::db::{invoices, now_ms, Db, Engine};
use server::verify_verifactu::{verify, BrokenRecord, Verdict};
use support::{database_urls, databases, draft, World, SPANISH_STORE_NIF};

fn this_year() -> i32 {
    Date::from_unix_millis(now_ms()).year
}

fn whole(reason: &str) -> CreditNoteInput {
    CreditNoteInput {
        scope: WHOLE.into(),
        quantities: Vec::new(),
        reason: reason.into(),
        ground: String::new(),
    }
}

/// Every record of the merchant's one chain, in chain order.
async fn chain_of(world: &World) -> Vec<KeptRecord> {
    let chains = chains(&world.db, Some(world.user().organisation))
        .await
        .expect("chains");
    assert_eq!(chains.len(), 1, "one chain per NIF: {chains:?}");
    assert_eq!(chains[0].issuer_nif, SPANISH_STORE_NIF);
    records_after(&world.db, chains[0].id, 0, 1_000)
        .await
        .expect("records")
}

/// What each record is, in chain order: its kind, its type, its invoice.
fn shape(records: &[KeptRecord]) -> Vec<(i64, RecordKind, Option<InvoiceType>, i64)> {
    records
        .iter()
        .map(|record| {
            (
                record.sequence,
                record.kind,
                record.invoice_type,
                record.invoice_id,
            )
        })
        .collect()
}

async fn credit(world: &World, id: i64) -> i64 {
    world
        .services
        .issue_credit_note(world.user(), id, whole("Devolución"))
        .await
        .expect("credit note issued")
}

fn refusal(result: Result<impl std::fmt::Debug, AdminError>, field: &str) -> Problem {
    let error = result.expect_err("refused");
    error
        .field(field)
        .unwrap_or_else(|| panic!("no problem with {field} in {error:?}"))
        .problem
        .clone()
}

/// A draft of the merchant's with `lines` as (description, rate, treatment).
fn draft_with(world: &World, lines: &[(&str, &str, &str)]) -> invoice::document::DraftInput {
    invoice::document::DraftInput {
        lines: lines
            .iter()
            .map(
                |(description, rate, treatment)| invoice::document::LineInput {
                    description: (*description).into(),
                    quantity: "1".into(),
                    unit_price: "100".into(),
                    tax_rate: (*rate).into(),
                    treatment: (*treatment).into(),
                    ..invoice::document::LineInput::default()
                },
            )
            .collect(),
        ..draft(&world.merchant)
    }
}

#[tokio::test]
async fn exempt_and_not_subject_lines_a_simplified_title_and_a_chosen_ground_reach_the_records() {
    for db in databases().await {
        let world = World::new(db).await;
        let user = world.user();
        // Another store states no Spanish treatment nor legal ground.
        let foreign = world
            .services
            .save_draft(user, None, 0, draft_with(&world, &[("Visita", "0", "E1")]))
            .await;
        assert_eq!(
            refusal(foreign, "lines[0].treatment"),
            Problem::Spanish(SpanishProblem::TreatmentOutsideSpain)
        );
        let italian_invoice = world.issued().await;
        let grounded = world
            .services
            .issue_credit_note(
                user,
                italian_invoice,
                CreditNoteInput {
                    ground: "R2".into(),
                    ..whole("Concurso")
                },
            )
            .await;
        assert_eq!(
            refusal(grounded, "ground"),
            Problem::Spanish(SpanishProblem::CorrectionGroundOutsideSpain)
        );

        world.make_spanish().await;
        let stores = world
            .services
            .draft_choices(user)
            .await
            .expect("choices")
            .stores;
        assert_eq!(
            stores[0].default_tax_rate_bp, 2100,
            "a Spanish store starts lines at 21 %"
        );
        assert!(stores[0].verifactu);
        let subject_at_zero = world
            .services
            .save_draft(user, None, 0, draft_with(&world, &[("Pan", "0", "")]))
            .await;
        assert_eq!(
            refusal(subject_at_zero, "lines[0].treatment"),
            Problem::Spanish(SpanishProblem::SubjectWithoutRate)
        );
        let lines = [
            ("Crema", "21", "S1"),
            ("Consulta médica", "0", "E1"),
            ("Curso en Andorra", "0", "N1"),
        ];
        let id = world
            .services
            .save_draft(user, None, 0, draft_with(&world, &lines))
            .await
            .expect("saved");
        world
            .services
            .issue_invoice(user, id, 1)
            .await
            .expect("issued");
        let note = world
            .services
            .issue_credit_note(
                user,
                id,
                CreditNoteInput {
                    ground: "R3".into(),
                    ..whole("Crédito incobrable")
                },
            )
            .await
            .expect("credited");
        world
            .configure_customer(|customer| customer.tax_id = String::new())
            .await;
        let receipt = world.issued().await;

        let records = chain_of(&world).await;
        assert_eq!(
            shape(&records),
            [
                (1, RecordKind::Alta, Some(InvoiceType::F1), id),
                (2, RecordKind::Alta, Some(InvoiceType::R3), note),
                (3, RecordKind::Alta, Some(InvoiceType::F2), receipt),
            ]
        );
        for written in [
            "<sf:CalificacionOperacion>S1</sf:CalificacionOperacion><sf:TipoImpositivo>21.00</sf:TipoImpositivo>",
            "<sf:OperacionExenta>E1</sf:OperacionExenta><sf:BaseImponibleOimporteNoSujeto>100.00</sf:BaseImponibleOimporteNoSujeto></sf:DetalleDesglose>",
            "<sf:CalificacionOperacion>N1</sf:CalificacionOperacion><sf:BaseImponibleOimporteNoSujeto>100.00</sf:BaseImponibleOimporteNoSujeto></sf:DetalleDesglose>",
        ] {
            assert!(records[0].xml.contains(written), "{written} in {}", records[0].xml);
        }
        assert!(records[1]
            .xml
            .contains("<sf:OperacionExenta>E1</sf:OperacionExenta><sf:BaseImponibleOimporteNoSujeto>-100.00</sf:BaseImponibleOimporteNoSujeto>"));
        let organisation = user.organisation;
        let db = &world.db;
        let document = |id| async move {
            invoices::get(db, organisation, id)
                .await
                .expect("document")
                .document
                .expect("issued")
        };
        let credit_note = document(note).await;
        assert_eq!(
            credit_note
                .corrects
                .and_then(|correction| correction.ground),
            Some(invoice::spain::CorrectionGround::R3)
        );
        let full = document(id).await;
        assert_eq!((full.simplified, full.title()), (false, "Factura"));
        let simplified = document(receipt).await;
        assert_eq!(
            (simplified.simplified, simplified.title()),
            (true, "Factura simplificada")
        );
        assert!(simplified
            .pdf_file_name()
            .starts_with("Factura-simplificada-"));
    }
}

#[tokio::test]
async fn invoices_simplified_invoices_credit_notes_and_voids_keep_chained_records_in_order() {
    for db in databases().await {
        let world = World::new(db).await;
        world.make_spanish().await;
        let full = world.issued().await;
        let full_note = credit(&world, full).await;
        world
            .configure_customer(|customer| customer.tax_id = String::new())
            .await;
        let simplified = world.issued().await;
        let simplified_note = credit(&world, simplified).await;
        let voided = world.issued().await;
        world
            .services
            .void_invoice(world.user(), voided)
            .await
            .expect("voided");

        let records = chain_of(&world).await;
        assert_eq!(
            shape(&records),
            [
                (1, RecordKind::Alta, Some(InvoiceType::F1), full),
                (2, RecordKind::Alta, Some(InvoiceType::R1), full_note),
                (3, RecordKind::Alta, Some(InvoiceType::F2), simplified),
                (4, RecordKind::Alta, Some(InvoiceType::R5), simplified_note),
                (5, RecordKind::Alta, Some(InvoiceType::F2), voided),
                (6, RecordKind::Anulacion, None, voided),
            ]
        );
        let year = this_year();
        assert_eq!(records[0].number, format!("{year}-0001"));
        assert_eq!(records[5].number, format!("{year}-0003"), "the voided one");
        // Each record names the one before it, by its huella.
        assert!(records[0]
            .xml
            .contains("<sf:PrimerRegistro>S</sf:PrimerRegistro>"));
        for pair in records.windows(2) {
            assert!(
                pair[1].xml.contains(&pair[0].huella),
                "record {} chains to record {}",
                pair[1].sequence,
                pair[0].sequence
            );
        }
        assert!(records[1].xml.contains(&format!(
            "<sf:NumSerieFactura>{year}-0001</sf:NumSerieFactura>"
        )));
        assert_eq!(
            verify(&world.db, None).await.expect("verified"),
            Verdict::Intact {
                records: 6,
                chains: 1
            }
        );

        // The invoice's history says its record was kept, and the
        // document carries the AEAT's URL for its QR code.
        let history = world
            .services
            .get_invoice(world.user(), voided)
            .await
            .expect("invoice")
            .history;
        let kept: Vec<&HistoryEvent> = history
            .iter()
            .map(|entry| &entry.event)
            .filter(|event| matches!(event, HistoryEvent::Verifactu(_)))
            .collect();
        assert_eq!(
            kept,
            [
                &HistoryEvent::Verifactu(VerifactuEvent::RecordKept {
                    kind: RecordKind::Alta,
                    invoice_type: Some(InvoiceType::F2),
                    sequence: 5,
                }),
                &HistoryEvent::Verifactu(VerifactuEvent::RecordKept {
                    kind: RecordKind::Anulacion,
                    invoice_type: None,
                    sequence: 6,
                }),
            ]
        );
        let organisation = world.user().organisation;
        let document = invoices::get(&world.db, organisation, full)
            .await
            .expect("invoice")
            .document
            .expect("issued");
        let check = document.tax_agency_check.expect("a QR code");
        assert_eq!(
            check.url,
            format!(
                "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR?nif={SPANISH_STORE_NIF}&numserie={year}-0001&fecha={}&importe=299.0",
                invoice::verifactu::fecha(document.issue_date)
            )
        );
        let note = invoices::get(&world.db, organisation, full_note)
            .await
            .expect("credit note")
            .document
            .expect("issued");
        assert!(
            note.tax_agency_check
                .expect("a QR code")
                .url
                .ends_with("&importe=-299.0"),
            "a credit note's amount is registered negative"
        );
        assert_eq!(
            for_invoice(&world.db, organisation, voided)
                .await
                .expect("records")
                .len(),
            2
        );
    }
}

#[tokio::test]
async fn void_keeps_its_refusals_and_an_invoice_without_an_alta_is_voided_without_an_anulacion() {
    for db in databases().await {
        let world = World::new(db).await;
        // Issued before the store kept records: the AEAT never heard of it.
        let before = world.issued().await;
        world.make_spanish().await;
        world
            .services
            .void_invoice(world.user(), before)
            .await
            .expect("voided");
        let credited = world.issued().await;
        let note = credit(&world, credited).await;
        assert_eq!(
            refusal(
                world.services.void_invoice(world.user(), credited).await,
                "invoice"
            ),
            Problem::HasCreditNotes
        );
        assert_eq!(
            refusal(
                world.services.void_invoice(world.user(), note).await,
                "invoice"
            ),
            Problem::CreditNoteIsFinal
        );
        assert_eq!(
            shape(&chain_of(&world).await),
            [
                (1, RecordKind::Alta, Some(InvoiceType::F1), credited),
                (2, RecordKind::Alta, Some(InvoiceType::R1), note),
            ]
        );
    }
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_a_record_or_a_chain() {
    for db in databases().await {
        let world = World::new(db.clone()).await;
        world.make_spanish().await;
        world.issued().await;
        let mut statements = vec![
            "UPDATE verifactu_records SET huella = 'forged'",
            "UPDATE verifactu_records SET xml = xml",
            "DELETE FROM verifactu_records",
            "UPDATE verifactu_chains SET issuer_nif = 'B00000000'",
            "DELETE FROM verifactu_chains",
        ];
        if db.engine == Engine::Postgres {
            // CASCADE: the sender's tables refer to the records, and without
            // it Postgres refuses for that reason before the trigger speaks.
            statements.extend([
                "TRUNCATE verifactu_records CASCADE",
                "TRUNCATE verifactu_chains CASCADE",
            ]);
        }
        for statement in statements {
            let error = sqlx::query(statement)
                .execute(&db.pool)
                .await
                .expect_err(statement);
            assert!(
                error.to_string().contains("append-only"),
                "{statement}: {error}"
            );
        }
        let records = chain_of(&world).await;
        assert_eq!(records.len(), 1);
        assert_ne!(records[0].huella, "forged");
    }
}

#[tokio::test]
async fn invoices_credit_notes_and_voids_issued_at_once_keep_one_linear_chain() {
    for db in databases().await {
        let world = World::new(db).await;
        world.make_spanish().await;
        // A second store with the same NIF shares the chain but not the
        // numbering series, so its issues race the first store's to the chain.
        let second_store = {
            let mut input: StoreInput = world
                .services
                .get_store(world.user(), world.merchant.store_id)
                .await
                .expect("store");
            input.name = "Taller Ruiz Norte".into();
            input.number_format = "N-{YYYY}-{NNNN}".into();
            world
                .services
                .save_store(world.user(), None, input)
                .await
                .expect("second store")
        };
        let to_credit = world.issued().await;
        let to_void = world.issued().await;
        let mut drafts = Vec::new();
        for n in 0..12 {
            let mut input = draft(&world.merchant);
            if n % 2 == 1 {
                input.store_id = second_store.to_string();
            }
            drafts.push(
                world
                    .services
                    .save_draft(world.user(), None, 0, input)
                    .await
                    .expect("draft"),
            );
        }
        let mut writers = tokio::task::JoinSet::new();
        for id in drafts {
            let services = world.services.clone();
            let user = world.user().clone();
            writers.spawn(async move { services.issue_invoice(&user, id, 1).await });
        }
        let services = world.services.clone();
        let user = world.user().clone();
        writers.spawn(async move {
            services
                .issue_credit_note(&user, to_credit, whole("Devolución"))
                .await
                .map(|_| ())
        });
        let services = world.services.clone();
        let user = world.user().clone();
        writers.spawn(async move { services.void_invoice(&user, to_void).await });
        while let Some(outcome) = writers.join_next().await {
            outcome
                .expect("writer")
                .expect("issued, credited or voided");
        }

        let records = chain_of(&world).await;
        assert_eq!(
            records
                .iter()
                .map(|record| record.sequence)
                .collect::<Vec<_>>(),
            (1..=16).collect::<Vec<_>>()
        );
        assert_eq!(
            verify(&world.db, None).await.expect("verified"),
            Verdict::Intact {
                records: 16,
                chains: 1
            },
            "no two records chain to the same one"
        );
    }
}

#[tokio::test]
async fn a_record_the_aeat_would_refuse_is_not_kept_and_gives_its_number_back() {
    for db in databases().await {
        let world = World::new(db).await;
        world.make_spanish().await;
        let user = world.user();
        world
            .configure_customer(|customer| customer.tax_id = "not-an-id".into())
            .await;
        let id = world
            .services
            .save_draft(user, None, 0, draft(&world.merchant))
            .await
            .expect("draft");
        assert_eq!(
            refusal(
                world.services.issue_invoice(user, id, 1).await,
                "customer_id"
            ),
            Problem::Spanish(SpanishProblem::RecipientIdUnknown)
        );
        // A simplified invoice over 3,000 euro is refused beside its lines.
        world
            .configure_customer(|customer| customer.tax_id = String::new())
            .await;
        let mut large = draft(&world.merchant);
        large.lines[0].unit_price = "5000".into();
        let large = world
            .services
            .save_draft(user, None, 0, large)
            .await
            .expect("draft");
        assert_eq!(
            refusal(world.services.issue_invoice(user, large, 1).await, "lines"),
            Problem::Verifactu(AeatRule::SimplifiedOverLimit)
        );
        // A server whose operator did not say who produces the billing
        // system cannot make records: the merchant is told to ask them.
        let mut unconfigured =
            support::services(world.db.clone(), "http://127.0.0.1:9", world.sink.port);
        unconfigured.config.verifactu.producer_nif = None;
        world
            .configure_customer(|customer| customer.tax_id = "12345678Z".into())
            .await;
        assert_eq!(
            refusal(unconfigured.issue_invoice(user, id, 1).await, "store_id"),
            Problem::Verifactu(AeatRule::SistemaInformatico {
                element: "NIF".into()
            })
        );
        assert!(chains(&world.db, Some(user.organisation))
            .await
            .expect("chains")
            .is_empty());

        world
            .services
            .issue_invoice(user, id, 1)
            .await
            .expect("issued");
        let records = chain_of(&world).await;
        assert_eq!(
            shape(&records),
            [(1, RecordKind::Alta, Some(InvoiceType::F1), id)]
        );
        assert_eq!(records[0].number, format!("{}-0001", this_year()));
        let detail = world
            .services
            .get_invoice(user, large)
            .await
            .expect("draft");
        assert_eq!(detail.number, None, "still a draft");
    }
}

/// What the command says of the merchant's chain once `tamper` has gone
/// around the database's refusal.
async fn after_tampering(db: &Db, tamper: &str) -> Verdict {
    let triggers_off = match db.engine {
        Engine::Sqlite => vec![
            "DROP TRIGGER verifactu_records_are_never_updated",
            "DROP TRIGGER verifactu_records_are_never_deleted",
        ],
        Engine::Postgres => vec!["ALTER TABLE verifactu_records DISABLE TRIGGER USER"],
    };
    for statement in triggers_off.into_iter().chain([tamper]) {
        sqlx::query(statement)
            .execute(&db.pool)
            .await
            .expect(statement);
    }
    verify(db, None).await.expect("read")
}

#[tokio::test]
async fn the_verification_command_names_the_first_record_altered_behind_the_databases_back() {
    for url in database_urls().await {
        let db = Db::connect(&url).await.expect("database");
        let world = World::new(db.clone()).await;
        world.make_spanish().await;
        for _ in 0..3 {
            world.issued().await;
        }
        let organisation = world.user().organisation;
        let command = |arguments: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_server"))
                .arg("verify-verifactu")
                .args(arguments)
                .env("DATABASE_URL", &url)
                .output()
                .expect("the server binary runs")
        };
        let good = command(&["--organisation", &organisation.0.to_string()]);
        assert_eq!(
            String::from_utf8_lossy(&good.stdout).trim(),
            "OK: 3 records in 1 chains"
        );
        assert!(good.status.success());

        let year = this_year();
        let Verdict::Broken(broken) = after_tampering(
            &db,
            "UPDATE verifactu_records SET xml = replace(xml, '<sf:ImporteTotal>299.00<', '<sf:ImporteTotal>29.90<') WHERE sequence = 2",
        )
        .await
        else {
            panic!("the altered amount went unnoticed");
        };
        assert_eq!(
            (
                broken.organisation,
                broken.issuer_nif.as_str(),
                broken.sequence,
                broken.number.clone()
            ),
            (
                organisation,
                SPANISH_STORE_NIF,
                2,
                Some(format!("{year}-0002"))
            )
        );
        assert!(broken.why.contains("hash"), "{}", broken.why);
        let bad = command(&[]);
        let said = String::from_utf8_lossy(&bad.stdout);
        assert!(
            said.starts_with(&format!(
                "BROKEN: organisation {}, NIF {SPANISH_STORE_NIF}, record 2 (invoice {year}-0002):",
                organisation.0
            )),
            "{said}"
        );
        assert_eq!(bad.status.code(), Some(1));

        sqlx::query("DELETE FROM verifactu_records WHERE sequence = 2")
            .execute(&db.pool)
            .await
            .expect("deleted around the trigger");
        assert!(matches!(
            verify(&db, Some(organisation)).await.expect("read"),
            Verdict::Broken(BrokenRecord { sequence: 3, ref why, .. }) if why.contains("missing")
        ));
    }
}
