//! Receipts of SdI uploaded by hand (`POST /sdi/receipts`): too large, for
//! another organisation's file, or not a receipt at all.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use invoice::fatturapa::samples::{company, document, line, seller};
use invoice::fatturapa::FatturaPa;
use invoice::pec::PecMailboxInput;
use invoice::sdi::samples::delivered;
use server::db::now_ms;
use server::http::sdi::RECEIPTS_PATH;
use server::sdi::queue_transmission;
use tower::ServiceExt;

use crate::count;
use crate::support::{body_text, databases, router, sign_up, World};

fn upload(session: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(RECEIPTS_PATH)
        .header(header::HOST, "admin.test")
        .header(header::ORIGIN, "http://admin.test")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len())
        .header(header::COOKIE, format!("invio_session={session}"))
        .body(Body::from(body))
        .expect("request")
}

fn multipart(file_name: &str, xml: &[u8]) -> (String, Vec<u8>) {
    let boundary = "invio-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/xml\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(xml);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn an_uploaded_receipt_over_the_form_limit_is_refused_with_413_and_nothing_is_kept() {
    for db in databases().await {
        let world = World::new(db).await;
        let router = router(world.services.clone());
        let mut huge = delivered("IT06363391001_00001.xml", "1").into_bytes();
        huge.extend(std::iter::repeat_n(b' ', server::limits::FORM_LIMIT));
        let (content_type, body) = multipart("IT06363391001_00001_RC_001.xml", &huge);
        let response = router
            .clone()
            .oneshot(upload(&world.merchant.session, &content_type, body))
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            count(&world.db, "SELECT COUNT(*) FROM sdi_receipts").await,
            0
        );
    }
}

#[tokio::test]
async fn a_receipt_for_another_organisations_file_stays_unmatched_in_the_uploaders_and_never_touches_that_invoice(
) {
    for db in databases().await {
        let world = World::new(db).await;
        let router = router(world.services.clone());
        // The victim transmitted IT06363391001_00001.xml for one of its invoices.
        world
            .services
            .save_pec_mailbox(
                world.user(),
                world.merchant.store_id,
                PecMailboxInput {
                    pec_address: "bottega@pec.example.it".into(),
                    smtp_url: format!("smtp://127.0.0.1:{}", world.sink.port),
                    imap_host: "imaps.pec.example.it".into(),
                    imap_port: "993".into(),
                    username: "bottega@pec.example.it".into(),
                    password: "s3cret".into(),
                },
            )
            .await
            .expect("mailbox");
        let invoice = world.issued().await;
        let standard = document("FPR 1/26", vec![line("Consulenza", 1_000, 10_000, 2_200)]);
        let xml = FatturaPa {
            document: &standard,
            seller: seller(),
            buyer: company(),
            legal_reference: None,
            progressive: "00001".into(),
        }
        .to_xml()
        .expect("xml");
        let mut tx = world.db.begin_write().await.expect("tx");
        queue_transmission(
            &mut tx,
            world.user().organisation,
            world.merchant.store_id,
            invoice,
            "IT06363391001_00001.xml",
            &xml,
            now_ms(),
        )
        .await
        .expect("queued");
        tx.commit().await.expect("commit");

        // Another organisation uploads a delivery receipt for that file name.
        let attacker = sign_up(&world.services, "owner@rivale.it", "x@example.it").await;
        let (content_type, body) = multipart(
            "IT06363391001_00001_RC_001.xml",
            delivered("IT06363391001_00001.xml", "777").as_bytes(),
        );
        let response = router
            .clone()
            .oneshot(upload(&attacker.session, &content_type, body))
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body_text(response).await, "unmatched");

        let theirs = world
            .services
            .unmatched_receipts(&attacker.owner)
            .await
            .expect("unmatched");
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0].invoice_file, "IT06363391001_00001.xml");
        assert!(world
            .services
            .unmatched_receipts(world.user())
            .await
            .expect("mine")
            .is_empty());
        assert_eq!(
            count(
                &world.db,
                "SELECT COUNT(*) FROM events WHERE kind LIKE 'sdi_%' AND kind <> 'sdi_transmitted'"
            )
            .await,
            0,
            "the victim's invoice has no receipt in its history"
        );
        assert_eq!(
            count(
                &world.db,
                "SELECT COUNT(*) FROM sdi_transmissions WHERE sdi_id IS NULL AND state = 'queued'"
            )
            .await,
            1,
            "nor its transmission an identifier or a new state"
        );
        // Nor can the attacker assign it to the victim's invoice.
        assert!(matches!(
            world
                .services
                .assign_receipt(&attacker.owner, theirs[0].id, invoice)
                .await,
            Err(server::sdi::SdiError::Server(
                server::error::ServerError::NotFound
            ))
        ));
    }
}

#[tokio::test]
async fn garbage_uploaded_as_a_receipt_is_refused_with_the_exact_reason() {
    for db in databases().await {
        let world = World::new(db).await;
        let router = router(world.services.clone());
        let cases: [(&[u8], &str); 4] = [
            (b"%PDF-1.7 not a receipt", "Il file non \u{e8} XML valido: non \u{e8} una ricevuta dello SdI."),
            (
                b"<?xml version=\"1.0\"?><p:FatturaElettronica xmlns:p=\"http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2\"/>",
                "Il file XML non \u{e8} una ricevuta o notifica dello SdI (contiene FatturaElettronica).",
            ),
            (
                b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x \"x\">]><r>&x;</r>",
                "Il file non \u{e8} XML valido: non \u{e8} una ricevuta dello SdI.",
            ),
            (
                b"<ns3:RicevutaConsegna xmlns:ns3=\"http://www.fatturapa.gov.it/sdi/messaggi/v1.0\"><IdentificativoSdI>1</IdentificativoSdI></ns3:RicevutaConsegna>",
                "La ricevuta dello SdI \u{e8} incompleta: manca NomeFile.",
            ),
        ];
        for (file, reason) in cases {
            let (content_type, body) = multipart("ricevuta.xml", file);
            let response = router
                .clone()
                .oneshot(upload(&world.merchant.session, &content_type, body))
                .await
                .expect("response");
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(body_text(response).await, reason);
        }
        assert_eq!(
            count(&world.db, "SELECT COUNT(*) FROM sdi_receipts").await,
            0
        );

        // Without a session nothing is read.
        let (content_type, body) = multipart(
            "r.xml",
            delivered("IT06363391001_00001.xml", "1").as_bytes(),
        );
        let response = router
            .clone()
            .oneshot(upload("no-such-session", &content_type, body))
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            count(&world.db, "SELECT COUNT(*) FROM sdi_receipts").await,
            0
        );
    }
}
