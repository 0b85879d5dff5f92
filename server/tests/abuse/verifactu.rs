//! A store's certificate for the AEAT (`POST /verifactu/certificate` and
//! the card's server functions): another organisation can neither upload,
//! replace, see nor remove it; staff cannot change it; its key never
//! leaves the server; a file larger than any certificate is refused.

use app::api::AdminError;
use app::routes::verifactu::ssr::VerifactuBackend;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use server::error::ServerError;
use server::http::verifactu::CERTIFICATE_PATH;
use server::verifactu::certificate::CertificateUpload;
use server::verifactu::VerifactuError;
use tower::ServiceExt;

use crate::accounts::signed_in_staff;
use crate::support::aeat::TestPki;
use crate::support::{body_text, databases, router, World};

const PASSWORD: &str = "clave";

fn upload(session: &str, store_id: i64, file: &[u8], password: &str) -> Request<Body> {
    let boundary = "invio-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"store_id\"\r\n\r\n{store_id}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n{password}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"certificado.p12\"\r\nContent-Type: application/x-pkcs12\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post(CERTIFICATE_PATH)
        .header(header::HOST, "admin.test")
        .header(header::ORIGIN, "http://admin.test")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::CONTENT_LENGTH, body.len())
        .header(header::COOKIE, format!("invio_session={session}"))
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn another_organisation_cannot_upload_replace_see_or_remove_a_stores_certificate() {
    for db in databases().await {
        let victim = World::new(db.clone()).await;
        let attacker = World::for_owner(db, "mallory@example.com").await;
        let pki = TestPki::new();
        let genuine = pki
            .merchant("89890001K", "TALLER RUIZ S.L.", (2099, 1, 1))
            .pkcs12(PASSWORD);
        let router = router(victim.services.clone());
        let response = router
            .clone()
            .oneshot(upload(
                &victim.merchant.session,
                victim.merchant.store_id,
                &genuine,
                PASSWORD,
            ))
            .await
            .expect("response");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            body_text(response).await
        );

        let forged = pki
            .merchant("89890001K", "MALLORY", (2099, 1, 1))
            .pkcs12(PASSWORD);
        let response = router
            .clone()
            .oneshot(upload(
                &attacker.merchant.session,
                victim.merchant.store_id,
                &forged,
                PASSWORD,
            ))
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let garbage = router
            .clone()
            .oneshot(upload(
                &attacker.merchant.session,
                victim.merchant.store_id,
                b"junk",
                PASSWORD,
            ))
            .await
            .expect("response");
        assert_eq!(
            garbage.status(),
            StatusCode::NOT_FOUND,
            "a stranger learns nothing from a file's problems"
        );

        let services = &attacker.services;
        let stranger = attacker.user();
        let store = victim.merchant.store_id;
        assert!(matches!(
            services.verifactu_certificate(stranger, store).await,
            Err(VerifactuError::Server(ServerError::NotFound))
        ));
        assert!(matches!(
            services.verifactu_status(stranger, store).await,
            Err(VerifactuError::Server(ServerError::NotFound))
        ));
        assert_eq!(
            VerifactuBackend::card(services.as_ref(), stranger, store).await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            VerifactuBackend::remove_certificate(services.as_ref(), stranger, store).await,
            Err(AdminError::NotFound)
        );

        let kept = victim
            .services
            .verifactu_certificate(victim.user(), store)
            .await
            .expect("view")
            .expect("still there");
        assert!(kept.subject.contains("TALLER RUIZ"), "{}", kept.subject);
    }
}

#[tokio::test]
async fn staff_cannot_change_the_certificate_and_its_key_never_leaves_the_server() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_store(|store| {
                store.tax_id = "89890001K".into();
                store.currency = "EUR".into();
                store.verifactu = true;
                store.legal_name = "Taller Ruiz S.L.".into();
            })
            .await;
        let (_, session, staff) = signed_in_staff(&world).await;
        let pki = TestPki::new();
        let issued = pki.merchant("89890001K", "TALLER RUIZ S.L.", (2099, 1, 1));
        let file = issued.pkcs12(PASSWORD);
        let router = router(world.services.clone());
        let response = router
            .clone()
            .oneshot(upload(&session, world.merchant.store_id, &file, PASSWORD))
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(matches!(
            world
                .services
                .remove_verifactu_certificate(&staff, world.merchant.store_id)
                .await,
            Err(VerifactuError::OwnerOnly)
        ));

        world
            .services
            .upload_verifactu_certificate(
                world.user(),
                world.merchant.store_id,
                CertificateUpload::Pkcs12 {
                    file: &file,
                    password: PASSWORD,
                },
            )
            .await
            .expect("the owner's upload");
        let card = VerifactuBackend::card(world.services.as_ref(), &staff, world.merchant.store_id)
            .await
            .expect("staff see the card");
        let shown = serde_json::to_string(&card).expect("json");
        let key_body: String = issued
            .key_pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
        assert!(!shown.contains(&key_body[..40]), "{shown}");
        let page = body_text(
            crate::support::get(
                &router,
                &format!("/stores/{}", world.merchant.store_id),
                Some(&world.merchant.session),
            )
            .await,
        )
        .await;
        assert!(
            page.contains("TALLER RUIZ S.L."),
            "the card shows the certificate's holder"
        );
        assert!(
            !page.contains(&key_body[..40]),
            "the page never carries the key"
        );
    }
}

#[tokio::test]
async fn a_file_larger_than_any_certificate_is_refused() {
    let db = databases().await.remove(0);
    let world = World::new(db).await;
    let huge = vec![b'x'; server::verifactu::certificate::MAX_CERTIFICATE_BYTES + 1];
    let response = router(world.services.clone())
        .oneshot(upload(
            &world.merchant.session,
            world.merchant.store_id,
            &huge,
            PASSWORD,
        ))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body_text(response).await,
        "Il file è troppo grande per essere un certificato."
    );
}

#[tokio::test]
async fn another_organisation_cannot_correct_a_merchants_rejected_verifactu_record() {
    use app::api::AdminBackend;
    use invoice::verifactu::RecipientInput;
    for db in databases().await {
        let aeat = crate::support::aeat::AeatStandIn::start().await;
        let victim = World::spanish_sending_to(
            db.clone(),
            &aeat,
            "ruiz@taller.es",
            crate::support::aeat::UNKNOWN_RECIPIENTS[0],
        )
        .await;
        let invoice = victim.issued().await;
        victim
            .services
            .send_to_aeat(server::db::now_ms())
            .await
            .expect("a round: the record is rejected");
        let attacker = World::for_owner(db.clone(), "mallory@example.com").await;
        let records_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM verifactu_records")
            .fetch_one(&db.pool)
            .await
            .expect("count");
        let attempt = attacker
            .services
            .correct_aeat_record(
                attacker.user(),
                invoice,
                RecipientInput {
                    name: "Mallory S.L.".into(),
                    tax_id: "12345678Z".into(),
                },
            )
            .await;
        assert_eq!(attempt, Err(AdminError::NotFound));
        let records_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM verifactu_records")
            .fetch_one(&db.pool)
            .await
            .expect("count");
        assert_eq!(records_after, records_before, "no record written");
        let victims_view = victim
            .services
            .get_invoice(victim.user(), invoice)
            .await
            .expect("the victim's invoice");
        assert_eq!(
            victims_view
                .aeat_correction
                .map(|recipient| recipient.tax_id),
            Some(crate::support::aeat::UNKNOWN_RECIPIENTS[0].to_owned()),
            "still waiting for its own merchant's correction"
        );
    }
}
