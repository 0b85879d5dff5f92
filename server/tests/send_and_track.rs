//! The send path and the event ingest, on every engine: SQLite always, and
//! Postgres when TEST_POSTGRES_URL is set (`make test` sets it).

mod support;

use app::api::{AdminBackend, AdminError, EmailState, InvoiceFilter, OrganisationId};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use invoice::events::{DeviceClass, EdgeEvent, EdgeEventKind, EventBatch, EVENTS_PATH};
use invoice::link::KeyRing;
use invoice::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use server::db::{now_ms, random_id};
use server::email::deliver_due;
use std::sync::Arc;
use support::{
    databases, issued_invoice, router, services, sign_up, FakeEdge, SmtpSink, EDGE_SECRET,
    LINK_KEYS,
};
use tower::ServiceExt;

#[tokio::test]
async fn sending_twice_with_the_same_key_publishes_a_link_and_delivers_one_email() {
    for db in databases().await {
        let (edge, edge_url) = FakeEdge::start().await;
        let (sink, smtp_port) = SmtpSink::start().await;
        let services = services(db.clone(), &edge_url, smtp_port);
        let merchant = sign_up(&services, "owner@bottega.it", "maria@example.it").await;
        let user = &merchant.owner;
        let id = issued_invoice(&services, &merchant).await;

        for _ in 0..2 {
            services
                .send_invoice(user, id, "double-click".into())
                .await
                .expect("sent");
        }
        assert_eq!(
            deliver_due(&db, &services.mailer).await.expect("delivered"),
            1
        );

        let received = sink.received.lock().expect("lock").clone();
        assert_eq!(received.len(), 1, "{:?} engine", db.engine);
        assert_eq!(received[0].recipients, ["maria@example.it"]);
        // Undo quoted-printable soft line breaks, as a mail client does.
        let message = received[0].data.replace("=\n", "");
        let token = message
            .split("https://edge.invio.test/i/")
            .nth(1)
            .map(|rest| rest.chars().take(44).collect::<String>())
            .expect("the email carries the link");
        let link_id = KeyRing::parse(LINK_KEYS)
            .expect("keys")
            .verify(&token)
            .expect("a genuine token");

        let publications = edge.publications.lock().expect("lock").clone();
        assert_eq!(publications[0].links[0].link_id, link_id.to_hex());
        assert_eq!(publications[0].document.customer.name, "Maria Pérez");

        let rows = services
            .list_invoices(user, InvoiceFilter::default())
            .await
            .expect("list")
            .rows;
        assert!(
            matches!(rows[0].email, EmailState::Sent { .. }),
            "{:?}",
            rows[0].email
        );
        assert_eq!(rows[0].total.minor, 29_900);
    }
}

#[tokio::test]
async fn an_smtp_server_that_is_down_leaves_the_email_queued_for_a_retry() {
    for db in databases().await {
        let (_edge, edge_url) = FakeEdge::start().await;
        let closed_port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("address").port()
        };
        let services = services(db.clone(), &edge_url, closed_port);
        let merchant = sign_up(&services, "owner@bottega.it", "juan@example.es").await;
        let user = &merchant.owner;
        let id = issued_invoice(&services, &merchant).await;
        services
            .send_invoice(user, id, "first".into())
            .await
            .expect("queued");

        assert_eq!(
            deliver_due(&db, &services.mailer).await.expect("attempted"),
            1
        );
        // The retry is scheduled in the future, so nothing more is due now.
        assert_eq!(
            deliver_due(&db, &services.mailer).await.expect("attempted"),
            0
        );
        let rows = services
            .list_invoices(user, InvoiceFilter::default())
            .await
            .expect("list")
            .rows;
        assert_eq!(rows[0].email, EmailState::Queued);
    }
}

#[tokio::test]
async fn nothing_is_queued_when_the_edge_cannot_publish_the_link() {
    for db in databases().await {
        let (_sink, smtp_port) = SmtpSink::start().await;
        let services = services(db.clone(), "http://127.0.0.1:9", smtp_port);
        let merchant = sign_up(&services, "owner@bottega.it", "ana@example.es").await;
        let user = &merchant.owner;
        let id = issued_invoice(&services, &merchant).await;
        let result = services.send_invoice(user, id, "k".into()).await;
        assert_eq!(result, Err(AdminError::EdgeUnavailable));
        let rows = services
            .list_invoices(user, InvoiceFilter::default())
            .await
            .expect("list")
            .rows;
        assert_eq!(rows[0].email, EmailState::NotSent);
    }
}

#[tokio::test]
async fn an_invoice_of_another_organisation_is_not_found() {
    for db in databases().await {
        let (_edge, edge_url) = FakeEdge::start().await;
        let (_sink, smtp_port) = SmtpSink::start().await;
        let services = services(db.clone(), &edge_url, smtp_port);
        let merchant = sign_up(&services, "owner@bottega.it", "maria@example.it").await;
        let id = issued_invoice(&services, &merchant).await;
        let mut stranger = merchant.owner.clone();
        stranger.organisation = OrganisationId(merchant.owner.organisation.0 + 1000);
        assert_eq!(
            services.send_invoice(&stranger, id, "k".into()).await,
            Err(AdminError::NotFound)
        );
        assert!(services
            .list_invoices(&stranger, InvoiceFilter::default())
            .await
            .expect("list")
            .rows
            .is_empty());
    }
}

fn signed(body: &[u8], secret: &[u8]) -> Request<Body> {
    let timestamp = now_ms() / 1000;
    Request::post(EVENTS_PATH)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(
            SIGNATURE_HEADER,
            signing::sign(secret, "POST", EVENTS_PATH, timestamp, body),
        )
        .body(Body::from(body.to_vec()))
        .expect("request")
}

#[tokio::test]
async fn edge_events_are_recorded_once_and_only_a_persons_open_counts() {
    for db in databases().await {
        let (_edge, edge_url) = FakeEdge::start().await;
        let (sink, smtp_port) = SmtpSink::start().await;
        let services = Arc::new(services(db.clone(), &edge_url, smtp_port));
        let merchant = sign_up(&services, "owner@bottega.it", "maria@example.it").await;
        let user = &merchant.owner;
        let id = issued_invoice(&services, &merchant).await;
        services
            .send_invoice(user, id, "k".into())
            .await
            .expect("sent");
        deliver_due(&db, &services.mailer).await.expect("delivered");
        assert_eq!(sink.received.lock().expect("lock").len(), 1);
        let link_id: String = sqlx::query_scalar("SELECT id FROM links")
            .fetch_one(&db.pool)
            .await
            .expect("link");

        let event = |kind, automated| EdgeEvent {
            id: random_id(),
            link_id: link_id.clone(),
            kind,
            automated,
            at_ms: now_ms(),
            device: DeviceClass::Desktop,
            browser: "Chrome".into(),
        };
        let batch = EventBatch {
            events: vec![
                event(EdgeEventKind::LinkFetched, true),
                event(EdgeEventKind::Opened, true),
                event(EdgeEventKind::Opened, false),
            ],
        };
        let body = serde_json::to_vec(&batch).expect("json");
        let router = router(services.clone());
        let forged = router
            .clone()
            .oneshot(signed(&body, b"not-the-secret-not-the-secret-!!!!"))
            .await
            .expect("response");
        assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
        for _ in 0..2 {
            let response = router
                .clone()
                .oneshot(signed(&body, EDGE_SECRET))
                .await
                .expect("response");
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
        }

        let rows = services
            .list_invoices(user, InvoiceFilter::default())
            .await
            .expect("list")
            .rows;
        assert_eq!(
            rows[0].open_count, 1,
            "the automated open and the repeat are not counted"
        );
        assert!(rows[0].first_opened_ms.is_some());
        let stored: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE link_id IS NOT NULL")
                .fetch_one(&db.pool)
                .await
                .expect("count");
        assert_eq!(stored, 3);
    }
}
