//! Sending VERI*FACTU records to the AEAT (issue 20, item 4), against the
//! stand-in in `support/aeat.rs` (HTTPS requiring a client certificate of
//! its CA, each request checked against the official XSDs), on every
//! database engine. Time is the round's argument: a round "61 s later" is
//! `send_to_aeat(now + 61_000)`, never a sleep.

mod support;

use app::api::AdminBackend;
use invoice::aeat::{AeatEvent, CertificateProblem, RecordOperation};
use invoice::history::HistoryEvent;
use invoice::i18n::Language;
use invoice::verifactu::{
    parse_response, request_xml, verify_chain, SubmissionAnswer, SubmissionState,
};
use server::db::{now_ms, Db};
use server::verifactu::certificate::CertificateUpload;
use server::verifactu::sender::SendOutcome;
use server::verifactu::VerifactuError;
use support::aeat::{
    answer_payload, AeatStandIn, Availability, Issued, TestPki, RESPUESTA_SUMINISTRO, SUMINISTRO_LR,
};
use support::records::{stored_xml, KeptChain, CUSTOMER_NIF, SELLER_NIF};
use support::World;

const P12_PASSWORD: &str = "clave secreta";

/// A merchant whose server sends to `aeat`, with a store whose records are
/// kept in `chain`.
struct Spain {
    world: World,
    chain: KeptChain,
    invoice_id: i64,
}

impl Spain {
    async fn new(db: &Db, aeat: &AeatStandIn, owner: &str) -> Self {
        let url = aeat.url.clone();
        let roots = aeat.pki.ca_pem();
        let world = World::configured(db.clone(), owner, move |config| {
            config.verifactu.endpoint = url;
            config.verifactu.root_certificates = roots;
        })
        .await;
        let invoice_id = world.issued().await;
        let chain = KeptChain::open(
            db,
            world.user().organisation,
            world.merchant.store_id,
            SELLER_NIF,
        )
        .await;
        Spain {
            world,
            chain,
            invoice_id,
        }
    }

    /// The store's certificate, issued by the stand-in's CA, uploaded as
    /// the FNMT hands it over.
    async fn upload_certificate(&self, pki: &TestPki) {
        let issued = pki.merchant(SELLER_NIF, "TALLER RUIZ S.L.", (2099, 1, 1));
        self.upload(&issued).await.expect("certificate accepted");
    }

    async fn upload(&self, issued: &Issued) -> Result<(), VerifactuError> {
        let file = issued.pkcs12(P12_PASSWORD);
        self.world
            .services
            .upload_verifactu_certificate(
                self.world.user(),
                self.world.merchant.store_id,
                CertificateUpload::Pkcs12 {
                    file: &file,
                    password: P12_PASSWORD,
                },
            )
            .await
            .map(|_| ())
    }

    async fn alta(&mut self, number: &str) -> i64 {
        self.chain
            .alta(&self.world.db, self.invoice_id, number, CUSTOMER_NIF)
            .await
    }

    async fn round(&self, at: i64) -> Vec<(i64, SendOutcome)> {
        self.world
            .services
            .send_to_aeat(at)
            .await
            .expect("a sending round")
    }

    /// The AEAT's entries in the invoice's history, oldest first.
    async fn aeat_history(&self) -> Vec<AeatEvent> {
        self.world
            .services
            .get_invoice(self.world.user(), self.invoice_id)
            .await
            .expect("the invoice")
            .history
            .into_iter()
            .filter_map(|entry| match entry.event {
                HistoryEvent::Aeat(aeat) => Some(aeat),
                _ => None,
            })
            .collect()
    }

    async fn status(&self) -> invoice::aeat::SendingStatus {
        self.world
            .services
            .verifactu_status(self.world.user(), self.world.merchant.store_id)
            .await
            .expect("the status")
    }
}

fn numbers(aeat: &AeatStandIn) -> Vec<String> {
    aeat.records()
        .into_iter()
        .map(|record| record.number)
        .collect()
}

#[tokio::test]
async fn records_reach_the_aeat_in_order_with_a_valid_chain_and_their_answers_reach_the_history() {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        let mut spain = Spain::new(&db, &aeat, "ruiz@taller.es").await;
        spain.upload_certificate(&aeat.pki).await;
        for number in ["F-1", "F-2", "F-3"] {
            spain.alta(number).await;
        }
        spain.chain.anulacion(&db, spain.invoice_id, "F-2").await;

        let now = now_ms();
        let outcomes = spain.round(now).await;
        assert_eq!(outcomes.len(), 1, "{outcomes:?}");
        assert_eq!(outcomes[0].1, SendOutcome::Answered { records: 4 });

        let received = aeat.received();
        assert_eq!(received.len(), 1, "one send");
        assert!(!received[0].incident, "nothing was late");
        assert!(
            received[0].client.contains("TALLER RUIZ"),
            "authenticated with the store's certificate: {}",
            received[0].client
        );
        assert_eq!(numbers(&aeat), ["F-1", "F-2", "F-3", "F-2"]);
        let operations: Vec<String> = aeat.records().into_iter().map(|r| r.operation).collect();
        assert_eq!(operations, ["Alta", "Alta", "Alta", "Anulacion"]);
        let sent: Vec<String> = aeat
            .records()
            .into_iter()
            .map(|record| record.xml)
            .collect();
        assert_eq!(
            verify_chain(&sent),
            Ok(4),
            "the chain the AEAT received holds"
        );
        let raw: Vec<String> = aeat
            .records()
            .into_iter()
            .map(|record| record.raw)
            .collect();
        assert_eq!(
            raw,
            stored_xml(&db, spain.chain.chain_id).await,
            "each record sent as it was kept"
        );

        // One entry per record; the three altas and the anulación are of
        // one invoice here, their entries at the same instant.
        let history = spain.aeat_history().await;
        let csv = "A-00000000000000000001";
        let registered = |operation| AeatEvent::Registered {
            operation,
            csv: Some(csv.into()),
            duplicate: false,
        };
        let count = |event: &AeatEvent| history.iter().filter(|entry| *entry == event).count();
        assert_eq!(history.len(), 4, "{history:?}");
        assert_eq!(count(&registered(RecordOperation::Registration)), 3);
        assert_eq!(count(&registered(RecordOperation::Cancellation)), 1);
        assert_eq!(
            registered(RecordOperation::Registration).merchant_text(Language::En),
            format!("Registered at the AEAT (CSV {csv})")
        );
        assert_eq!(spain.status().await.pending, 0);

        assert!(
            spain.round(now + 3_600_000).await.is_empty(),
            "nothing is sent twice"
        );
        assert_eq!(aeat.received().len(), 1);
    }
}

#[tokio::test]
async fn a_spanish_stores_invoice_credit_note_and_void_reach_the_aeat_and_its_answers_their_histories(
) {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        let (url, roots) = (aeat.url.clone(), aeat.pki.ca_pem());
        let world = World::configured(db.clone(), "ruiz@taller.es", move |config| {
            config.verifactu.endpoint = url;
            config.verifactu.root_certificates = roots;
        })
        .await;
        world.make_spanish().await;
        let file = aeat
            .pki
            .merchant(
                support::SPANISH_STORE_NIF,
                "TALLERES RUIZ S.L.",
                (2099, 1, 1),
            )
            .pkcs12(P12_PASSWORD);
        world
            .services
            .upload_verifactu_certificate(
                world.user(),
                world.merchant.store_id,
                CertificateUpload::Pkcs12 {
                    file: &file,
                    password: P12_PASSWORD,
                },
            )
            .await
            .expect("certificate");
        let invoice = world.issued().await;
        let note = world
            .services
            .issue_credit_note(
                world.user(),
                invoice,
                invoice::credit_note::CreditNoteInput {
                    scope: invoice::credit_note::WHOLE.into(),
                    quantities: Vec::new(),
                    reason: "Devolución".into(),
                    ground: String::new(),
                },
            )
            .await
            .expect("credit note");
        let voided = world.issued().await;
        world
            .services
            .void_invoice(world.user(), voided)
            .await
            .expect("voided");

        let outcomes = world
            .services
            .send_to_aeat(now_ms())
            .await
            .expect("a round");
        assert!(
            matches!(&outcomes[..], [(_, SendOutcome::Answered { records: 4 })]),
            "{outcomes:?}"
        );
        let operations: Vec<String> = aeat.records().into_iter().map(|r| r.operation).collect();
        assert_eq!(operations, ["Alta", "Alta", "Alta", "Anulacion"]);
        let sent: Vec<String> = aeat
            .records()
            .into_iter()
            .map(|record| record.xml)
            .collect();
        assert_eq!(
            verify_chain(&sent),
            Ok(4),
            "the chain the AEAT received holds"
        );

        let aeat_entries = |id: i64| {
            let services = world.services.clone();
            let user = world.user().clone();
            async move {
                services
                    .get_invoice(&user, id)
                    .await
                    .expect("the document")
                    .history
                    .into_iter()
                    .filter_map(|entry| match entry.event {
                        HistoryEvent::Aeat(aeat) => Some(aeat.merchant_text(Language::En)),
                        _ => None,
                    })
                    .collect::<Vec<String>>()
            }
        };
        let csv = "A-00000000000000000001";
        assert_eq!(
            aeat_entries(invoice).await,
            [format!("Registered at the AEAT (CSV {csv})")]
        );
        assert_eq!(
            aeat_entries(note).await,
            [format!("Registered at the AEAT (CSV {csv})")],
            "the credit note's own history"
        );
        let mut voided_entries = aeat_entries(voided).await;
        voided_entries.sort();
        assert_eq!(
            voided_entries,
            [
                format!("Registered at the AEAT (CSV {csv})"),
                format!("Registered at the AEAT (cancellation) (CSV {csv})"),
            ]
        );
    }
}

#[tokio::test]
async fn the_next_send_waits_the_time_the_aeats_last_answer_gave() {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        aeat.set_wait_seconds(120);
        let mut spain = Spain::new(&db, &aeat, "ruiz@taller.es").await;
        spain.upload_certificate(&aeat.pki).await;
        spain.alta("F-1").await;
        let first = now_ms();
        assert_eq!(spain.round(first).await.len(), 1);

        spain.alta("F-2").await;
        assert!(
            spain.round(first + 61_000).await.is_empty(),
            "60 s is not enough when the AEAT asked for 120"
        );
        assert!(spain.round(first + 119_999).await.is_empty());
        assert_eq!(aeat.received().len(), 1);
        assert_eq!(
            spain.round(first + 120_000).await,
            [(spain.chain.chain_id, SendOutcome::Answered { records: 1 })]
        );
        assert_eq!(numbers(&aeat), ["F-1", "F-2"]);
    }
}

#[tokio::test]
async fn before_any_answer_the_wait_is_60_seconds() {
    let db = support::databases().await.remove(0);
    let aeat = AeatStandIn::start().await;
    let mut spain = Spain::new(&db, &aeat, "ruiz@taller.es").await;
    spain.upload_certificate(&aeat.pki).await;
    spain.alta("F-1").await;
    let first = now_ms();
    spain.round(first).await;
    spain.alta("F-2").await;
    assert!(spain.round(first + 59_000).await.is_empty());
    assert_eq!(spain.round(first + 60_000).await.len(), 1);
}

#[tokio::test]
async fn a_send_carries_at_most_1000_records_and_a_full_one_goes_without_waiting() {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        let mut spain = Spain::new(&db, &aeat, "ruiz@taller.es").await;
        spain.upload_certificate(&aeat.pki).await;
        for n in 1..=1001 {
            spain.alta(&format!("F-{n}")).await;
        }
        let first = now_ms();
        assert_eq!(
            spain.round(first).await,
            [(
                spain.chain.chain_id,
                SendOutcome::Answered { records: 1000 }
            )]
        );
        assert!(
            spain.round(first + 1_000).await.is_empty(),
            "one record waits the 60 s"
        );
        for n in 1002..=2000 {
            spain.alta(&format!("F-{n}")).await;
        }
        assert_eq!(
            spain.round(first + 2_000).await,
            [(
                spain.chain.chain_id,
                SendOutcome::Answered { records: 1000 }
            )],
            "1,000 waiting go at once (Orden art. 16.2 c)"
        );
        let sizes: Vec<usize> = aeat.received().iter().map(|r| r.records.len()).collect();
        assert_eq!(sizes, [1000, 1000]);
        let expected: Vec<String> = (1..=2000).map(|n| format!("F-{n}")).collect();
        assert_eq!(numbers(&aeat), expected, "in the chain's order");
        let sent: Vec<String> = aeat
            .records()
            .into_iter()
            .map(|record| record.xml)
            .collect();
        assert_eq!(verify_chain(&sent), Ok(2000));
    }
}

#[tokio::test]
async fn after_an_outage_every_record_is_delivered_once_in_order_and_the_resend_says_incidencia() {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        let mut spain = Spain::new(&db, &aeat, "ruiz@taller.es").await;
        spain.upload_certificate(&aeat.pki).await;
        spain.alta("F-1").await;
        spain.alta("F-2").await;
        aeat.set_availability(Availability::Refusing);
        let down = now_ms();
        let outcome = spain.round(down).await;
        assert!(
            matches!(&outcome[..], [(_, SendOutcome::Failed(reason))] if reason.contains("could not be reached")),
            "{outcome:?}"
        );
        let status = spain.status().await;
        assert_eq!(status.pending, 2, "the merchant is told how many wait");
        assert_eq!(status.failing_since, Some(down));
        assert!(status
            .retry_at
            .is_some_and(|at| at > down && at <= down + 3_600_000));
        let history = spain.aeat_history().await;
        assert_eq!(history.len(), 2, "each record's invoice hears of it once");
        assert!(history[0]
            .merchant_text(Language::En)
            .starts_with("AEAT unreachable"));

        aeat.set_availability(Availability::Unavailable);
        assert!(spain.round(down + 1_000).await.is_empty(), "backing off");
        let failed_again = spain.round(down + 30_000).await;
        assert!(
            matches!(&failed_again[..], [(_, SendOutcome::Failed(reason))] if reason.contains("503")),
            "{failed_again:?}"
        );
        spain.alta("F-3").await;
        assert_eq!(spain.aeat_history().await.len(), 2, "told once per outage");

        aeat.set_availability(Availability::Up);
        let back = down + 3_600_000;
        assert_eq!(
            spain.round(back).await,
            [(spain.chain.chain_id, SendOutcome::Answered { records: 3 })]
        );
        let received = aeat.received();
        let delivered = received.last().expect("the resend");
        assert!(delivered.incident, "Incidencia S on the records sent late");
        assert_eq!(numbers(&aeat), ["F-1", "F-2", "F-3"], "once each, in order");
        assert_eq!(aeat.registered(), 3);
        assert_eq!(
            spain.status().await,
            invoice::aeat::SendingStatus::default()
        );

        spain.alta("F-4").await;
        spain.round(back + 60_000).await;
        assert!(
            !aeat.received().last().expect("a later send").incident,
            "the incident is over once the AEAT answered"
        );
    }
}

#[tokio::test]
async fn records_sent_before_a_crash_come_back_as_duplicates_and_count_as_delivered_once() {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        let mut spain = Spain::new(&db, &aeat, "ruiz@taller.es").await;
        spain.upload_certificate(&aeat.pki).await;
        spain.alta("F-1").await;
        spain.alta("F-2").await;
        // The server sent these and died before recording the answer: the
        // AEAT has them, Invio's cursor has not moved.
        let kept = stored_xml(&db, spain.chain.chain_id).await;
        let records: Vec<&str> = kept.iter().map(String::as_str).collect();
        let body = request_xml(&spain.chain.issuer, false, &records).expect("a request");
        let merchant = aeat
            .pki
            .merchant(SELLER_NIF, "TALLER RUIZ S.L.", (2099, 1, 1));
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .add_root_certificate(
                reqwest::Certificate::from_pem(aeat.pki.ca_pem().as_bytes()).expect("the CA"),
            )
            .identity(
                reqwest::Identity::from_pem(
                    format!("{}{}", merchant.key_pem, merchant.certificate_pem).as_bytes(),
                )
                .expect("an identity"),
            )
            .build()
            .expect("a client");
        client
            .post(&aeat.url)
            .body(body)
            .send()
            .await
            .expect("the first send reached the AEAT");
        assert_eq!(aeat.registered(), 2);

        assert_eq!(
            spain.round(now_ms()).await,
            [(spain.chain.chain_id, SendOutcome::Answered { records: 2 })]
        );
        assert_eq!(aeat.registered(), 2, "nothing doubled at the AEAT");
        let answer = &aeat.received()[1].answer;
        assert!(answer.contains("<tikR:CodigoErrorRegistro>3000</tikR:CodigoErrorRegistro>"));
        let history = spain.aeat_history().await;
        assert_eq!(
            history,
            vec![
                AeatEvent::Registered {
                    operation: RecordOperation::Registration,
                    csv: None,
                    duplicate: true
                };
                2
            ],
            "one entry per record"
        );
        assert_eq!(
            history[0].merchant_text(Language::En),
            "Already registered at the AEAT"
        );
        assert_eq!(spain.status().await.pending, 0);
    }
}

#[tokio::test]
async fn a_rejected_record_tells_the_merchant_what_to_fix_and_is_not_sent_again() {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        let mut spain = Spain::new(&db, &aeat, "ruiz@taller.es").await;
        spain.upload_certificate(&aeat.pki).await;
        spain.alta("F-1").await;
        let unknown = support::aeat::UNKNOWN_RECIPIENTS[0];
        let unchecked = support::aeat::UNCHECKED_RECIPIENTS[0];
        spain
            .chain
            .alta(&db, spain.invoice_id, "F-2", unknown)
            .await;
        spain
            .chain
            .alta(&db, spain.invoice_id, "F-3", unchecked)
            .await;
        let now = now_ms();
        spain.round(now).await;
        let answer = parse_response(&aeat.received()[0].answer).expect("an answer");
        assert!(
            matches!(&answer, SubmissionAnswer::Response(response) if response.state == SubmissionState::ParcialmenteCorrecto),
            "{answer:?}"
        );

        let history = spain.aeat_history().await;
        assert_eq!(history.len(), 3, "{history:?}");
        assert!(history
            .iter()
            .any(|event| matches!(event, AeatEvent::Registered { .. })));
        let rejection = history
            .iter()
            .find(|event| matches!(event, AeatEvent::Rejected { .. }))
            .expect("the rejection");
        let rejected = rejection.merchant_text(Language::En);
        assert!(
            rejected.starts_with("Rejected by the AEAT: 1193 En el bloque Destinatarios"),
            "{rejected}"
        );
        assert!(
            rejected.ends_with("check it on the customer's record (or use a foreign id if they have no Spanish NIF)."),
            "what to fix: {rejected}"
        );
        assert!(
            rejection
                .merchant_text(Language::Es)
                .starts_with("Rechazado por la AEAT: 1193"),
            "in Spanish too"
        );
        let with_errors = history
            .iter()
            .find(|event| matches!(event, AeatEvent::AcceptedWithErrors { .. }))
            .expect("the acceptance with errors")
            .merchant_text(Language::En);
        assert!(
            with_errors
                .starts_with("Accepted by the AEAT with errors (CSV A-00000000000000000001): 2001"),
            "{with_errors}"
        );
        let status = spain.status().await;
        assert_eq!((status.pending, status.rejected), (0, 1));

        spain.alta("F-4").await;
        spain.round(now + 60_000).await;
        assert_eq!(
            numbers(&aeat),
            ["F-1", "F-2", "F-3", "F-4"],
            "the rejected record was not sent again"
        );
        let customer = spain
            .world
            .services
            .get_invoice(spain.world.user(), spain.invoice_id)
            .await
            .expect("invoice")
            .history
            .iter()
            .filter(|entry| matches!(entry.event, HistoryEvent::Aeat(_)))
            .filter_map(|entry| entry.event.customer_event())
            .count();
        assert_eq!(customer, 0, "the customer sees none of it");
    }
}

#[tokio::test]
async fn a_store_without_a_usable_certificate_waits_alone_and_says_so() {
    for db in support::databases().await {
        let aeat = AeatStandIn::start().await;
        let mut without = Spain::new(&db, &aeat, "sin@certificado.es").await;
        let mut stranger_signed = Spain::new(&db, &aeat, "otro@ca.es").await;
        let mut fine = Spain::new(&db, &aeat, "ruiz@taller.es").await;
        fine.upload_certificate(&aeat.pki).await;
        // A certificate from a CA the AEAT does not trust: the TLS handshake fails.
        let stranger = TestPki::new();
        stranger_signed
            .upload(&stranger.merchant(SELLER_NIF, "OTRO", (2099, 1, 1)))
            .await
            .expect("a well-formed certificate is accepted");
        without.alta("F-1").await;
        stranger_signed.alta("F-1").await;
        fine.alta("F-1").await;

        let outcomes = fine.round(now_ms()).await;
        assert_eq!(outcomes.len(), 3, "{outcomes:?}");
        let outcome_of = |spain: &Spain| {
            outcomes
                .iter()
                .find(|(chain, _)| *chain == spain.chain.chain_id)
                .map(|(_, outcome)| outcome.clone())
        };
        assert_eq!(
            outcome_of(&fine),
            Some(SendOutcome::Answered { records: 1 })
        );
        assert_eq!(
            outcome_of(&without),
            Some(SendOutcome::Failed(
                "the store has no certificate for the AEAT".into()
            ))
        );
        assert!(
            matches!(outcome_of(&stranger_signed), Some(SendOutcome::Failed(reason)) if reason.contains("could not be reached")),
            "the AEAT refused the stranger's certificate"
        );
        let status = without.status().await;
        assert!(status.needs_certificate);
        assert_eq!(status.pending, 1);
        assert!(without.aeat_history().await.is_empty(), "nothing was sent");
        assert!(stranger_signed.status().await.last_error.is_some());
        assert_eq!(aeat.registered(), 1);

        without.upload_certificate(&aeat.pki).await;
        let later = fine.round(now_ms()).await;
        assert!(
            later.contains(&(without.chain.chain_id, SendOutcome::Answered { records: 1 })),
            "a new certificate sends at once: {later:?}"
        );
    }
}

#[tokio::test]
async fn a_bad_certificate_is_refused_beside_its_field() {
    let db = support::databases().await.remove(0);
    let aeat = AeatStandIn::start().await;
    let spain = Spain::new(&db, &aeat, "ruiz@taller.es").await;
    let services = &spain.world.services;
    let user = spain.world.user();
    let store = spain.world.merchant.store_id;
    let valid = aeat
        .pki
        .merchant(SELLER_NIF, "TALLER RUIZ S.L.", (2099, 1, 1));
    let p12 = valid.pkcs12(P12_PASSWORD);
    let refused = |result: Result<_, VerifactuError>| match result {
        Err(VerifactuError::Certificate(problem)) => problem,
        other => panic!("{other:?}"),
    };
    let wrong = CertificateUpload::Pkcs12 {
        file: &p12,
        password: "not it",
    };
    let problem = refused(
        services
            .upload_verifactu_certificate(user, store, wrong)
            .await,
    );
    assert_eq!(problem, CertificateProblem::WrongPassword);
    assert_eq!(problem.field(), "password");
    let garbage = b"hello, I am not a certificate";
    assert_eq!(
        refused(
            services
                .upload_verifactu_certificate(
                    user,
                    store,
                    CertificateUpload::detect(garbage, b"", "x")
                )
                .await
        ),
        CertificateProblem::NotACertificate
    );
    let expired = aeat
        .pki
        .merchant(SELLER_NIF, "TALLER RUIZ S.L.", (2025, 1, 1));
    assert_eq!(
        refused(
            services
                .upload_verifactu_certificate(
                    user,
                    store,
                    CertificateUpload::Pkcs12 {
                        file: &expired.pkcs12(P12_PASSWORD),
                        password: P12_PASSWORD
                    }
                )
                .await
        ),
        CertificateProblem::Expired
    );
    let other_key = aeat.pki.merchant(SELLER_NIF, "OTRA", (2099, 1, 1)).key_pem;
    assert_eq!(
        refused(
            services
                .upload_verifactu_certificate(
                    user,
                    store,
                    CertificateUpload::detect(
                        valid.certificate_pem.as_bytes(),
                        other_key.as_bytes(),
                        ""
                    )
                )
                .await
        ),
        CertificateProblem::KeyMismatch
    );
    assert_eq!(
        refused(
            services
                .upload_verifactu_certificate(
                    user,
                    store,
                    CertificateUpload::detect(valid.certificate_pem.as_bytes(), b"", "")
                )
                .await
        ),
        CertificateProblem::NoPrivateKey
    );
    assert_eq!(
        services
            .verifactu_certificate(user, store)
            .await
            .expect("view"),
        None,
        "nothing refused is kept"
    );

    let pem = format!("{}{}", valid.certificate_pem, valid.key_pem);
    let shown = services
        .upload_verifactu_certificate(
            user,
            store,
            CertificateUpload::detect(pem.as_bytes(), b"", ""),
        )
        .await
        .expect("a PEM certificate with its key");
    assert_eq!(shown.nif.as_deref(), Some(SELLER_NIF));
    assert!(
        shown.subject.contains("TALLER RUIZ S.L."),
        "{}",
        shown.subject
    );
    let stored = services
        .verifactu_certificate(user, store)
        .await
        .expect("view")
        .expect("a certificate");
    assert_eq!(stored, shown);
    services
        .remove_verifactu_certificate(user, store)
        .await
        .expect("removed");
    assert_eq!(
        services
            .verifactu_certificate(user, store)
            .await
            .expect("view"),
        None
    );
}

#[tokio::test]
async fn a_soap_fault_for_the_whole_send_backs_off_and_keeps_the_records() {
    let db = support::databases().await.remove(0);
    let aeat = AeatStandIn::start().await;
    let mut spain = Spain::new(&db, &aeat, "ruiz@taller.es").await;
    spain.upload_certificate(&aeat.pki).await;
    spain.alta("F-1").await;
    aeat.set_availability(Availability::Suspended);
    let now = now_ms();
    let outcome = spain.round(now).await;
    assert!(
        matches!(&outcome[..], [(_, SendOutcome::Failed(reason))] if reason.contains("4141")),
        "{outcome:?}"
    );
    assert_eq!(spain.status().await.pending, 1);
    aeat.set_availability(Availability::Up);
    spain.round(now + 3_600_000).await;
    assert!(aeat.received().last().expect("the resend").incident);
    assert_eq!(spain.status().await.pending, 0);
}

#[tokio::test]
async fn the_stand_in_answers_only_clients_with_a_certificate_of_its_ca() {
    let aeat = AeatStandIn::start().await;
    let trusting = || {
        reqwest::Client::builder()
            .use_rustls_tls()
            .add_root_certificate(
                reqwest::Certificate::from_pem(aeat.pki.ca_pem().as_bytes()).expect("the CA"),
            )
    };
    let anonymous = trusting().build().expect("a client");
    assert!(
        anonymous.post(&aeat.url).body("x").send().await.is_err(),
        "no certificate, no connection"
    );
    let stranger = TestPki::new().merchant(SELLER_NIF, "X", (2099, 1, 1));
    let with = |issued: &Issued| {
        trusting()
            .identity(
                reqwest::Identity::from_pem(
                    format!("{}{}", issued.key_pem, issued.certificate_pem).as_bytes(),
                )
                .expect("identity"),
            )
            .build()
            .expect("a client")
    };
    assert!(with(&stranger)
        .post(&aeat.url)
        .body("x")
        .send()
        .await
        .is_err());
    let merchant = aeat
        .pki
        .merchant(SELLER_NIF, "TALLER RUIZ S.L.", (2099, 1, 1));
    let answer = with(&merchant)
        .post(&aeat.url)
        .body("<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><nada/></soapenv:Body></soapenv:Envelope>")
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .expect("its body");
    match parse_response(&answer) {
        Ok(SubmissionAnswer::Fault(fault)) => assert_eq!(fault.aeat_code, Some(4102), "{fault:?}"),
        other => panic!("a request off the schema is a SOAP Fault: {other:?}"),
    }
}

#[tokio::test]
async fn the_stand_ins_answers_are_valid_against_the_aeats_response_schema() {
    let db = support::databases().await.remove(0);
    let aeat = AeatStandIn::start().await;
    let mut spain = Spain::new(&db, &aeat, "ruiz@taller.es").await;
    spain.upload_certificate(&aeat.pki).await;
    spain.alta("F-1").await;
    spain
        .chain
        .alta(
            &db,
            spain.invoice_id,
            "F-2",
            support::aeat::UNKNOWN_RECIPIENTS[0],
        )
        .await;
    spain
        .chain
        .alta(
            &db,
            spain.invoice_id,
            "F-3",
            support::aeat::UNCHECKED_RECIPIENTS[0],
        )
        .await;
    let now = now_ms();
    spain.round(now).await;
    // The same records again: every line a duplicate, the send Incorrecto.
    sqlx::query("UPDATE verifactu_chain_sending SET answered_through = 0")
        .execute(&db.pool)
        .await
        .expect("the cursor moved back, as after a crash");
    spain.round(now + 60_000).await;
    aeat.set_availability(Availability::Suspended);
    spain.alta("F-4").await;
    spain.round(now + 120_000).await;
    let received = aeat.received();
    assert_eq!(received.len(), 3);
    for request in &received[..2] {
        let payload = answer_payload(&request.answer).expect("a SOAP body");
        RESPUESTA_SUMINISTRO
            .validate("answer.xml", &payload)
            .unwrap_or_else(|complaint| panic!("{complaint}\n{payload}"));
        let body = answer_payload(&request.body).expect("the request's body");
        SUMINISTRO_LR
            .validate("request.xml", &body)
            .unwrap_or_else(|complaint| panic!("{complaint}\n{body}"));
    }
    let states: Vec<SubmissionState> = received[..2]
        .iter()
        .map(|request| match parse_response(&request.answer) {
            Ok(SubmissionAnswer::Response(response)) => response.state,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        states,
        [
            SubmissionState::ParcialmenteCorrecto,
            SubmissionState::Incorrecto
        ]
    );
    assert!(received[2].fault);
    let fault = answer_payload(&received[2].answer).expect("a SOAP body");
    assert!(fault.contains("Codigo[4141]"), "{fault}");
}
