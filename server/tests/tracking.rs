//! The event ingest from the edge, on every engine: SQLite always, and
//! Postgres when TEST_POSTGRES_URL is set (`make test` sets it).

mod support;

use app::api::{AdminBackend, InvoiceFilter};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use invoice::email::EmailPurpose;
use invoice::events::{
    DeviceClass, EdgeEvent, EdgeEventKind, EventBatch, PublicEventKind, Publication, EVENTS_PATH,
    LINK_LOOKUP_PATH, MAX_BATCH_EVENTS,
};
use invoice::history::Audience;
use invoice::payment::PaymentInput;
use invoice::tracking::Clue;
use server::db::{now_ms, random_id};
use support::{
    databases, deliver, issued_invoice, much_later, person_opened, router, send, send_to_many,
    signed_request, FakeEdge, World, EDGE_SECRET,
};
use tower::ServiceExt;

fn signed(body: &[u8], secret: &[u8]) -> Request<Body> {
    signed_request("POST", EVENTS_PATH, body, secret, now_ms() / 1000)
}

#[tokio::test]
async fn edge_events_are_recorded_once_and_only_a_persons_open_counts() {
    for db in databases().await {
        let World {
            db,
            sink,
            services,
            merchant,
            ..
        } = World::new(db).await;
        let user = &merchant.owner;
        let id = issued_invoice(&services, &merchant).await;
        send(&services, user, id, EmailPurpose::Invoice, "k")
            .await
            .expect("queued");
        deliver(&services).await;
        assert_eq!(sink.received().len(), 1);
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
            clues: Vec::new(),
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

#[tokio::test]
async fn a_batch_keeps_each_event_once_drops_unknown_links_and_may_not_exceed_the_limit() {
    for db in databases().await {
        let World {
            db,
            services,
            merchant,
            ..
        } = World::new(db).await;
        let id = issued_invoice(&services, &merchant).await;
        send(&services, &merchant.owner, id, EmailPurpose::Invoice, "k")
            .await
            .expect("queued");
        let link_id: String = sqlx::query_scalar("SELECT id FROM links")
            .fetch_one(&db.pool)
            .await
            .expect("link");
        let once = person_opened(&link_id);
        let unknown = person_opened(&"ab".repeat(16));
        let batch = vec![once.clone(), unknown, once.clone(), person_opened(&link_id)];
        assert_eq!(
            server::db::events::ingest(&db, &batch)
                .await
                .expect("ingest"),
            2,
            "the same id twice in a batch is one event; an unknown link's is dropped"
        );
        let version_before: i64 =
            sqlx::query_scalar("SELECT state_version FROM invoices WHERE id = $1")
                .bind(id)
                .fetch_one(&db.pool)
                .await
                .expect("version");
        assert_eq!(
            server::db::events::ingest(&db, &[once])
                .await
                .expect("ingest"),
            0
        );
        let version_after: i64 =
            sqlx::query_scalar("SELECT state_version FROM invoices WHERE id = $1")
                .bind(id)
                .fetch_one(&db.pool)
                .await
                .expect("version");
        assert_eq!(
            version_before, version_after,
            "an event already recorded changes nothing the customer sees"
        );

        let oversized = EventBatch {
            events: (0..=MAX_BATCH_EVENTS)
                .map(|_| person_opened(&link_id))
                .collect(),
        };
        let body = serde_json::to_vec(&oversized).expect("json");
        let response = router(services.clone())
            .oneshot(signed(&body, EDGE_SECRET))
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let (entries, stored): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(repeat_count) AS BIGINT) FROM events WHERE link_id = $1",
        )
        .bind(&link_id)
        .fetch_one(&db.pool)
        .await
        .expect("count");
        assert_eq!(
            (entries, stored),
            (1, 2),
            "the two opens are one entry of two (invoice::repeats); nothing of the refused batch is kept"
        );
    }
}

#[tokio::test]
async fn an_open_through_a_copy_never_counts_as_the_customer_opening_it() {
    for db in databases().await {
        let world = World::new(db).await;
        // The copy's address confirms it wants the copies.
        world
            .configure_store(|store| store.copies_to = "archivio@bottega.it".into())
            .await;
        let World {
            db,
            services,
            merchant,
            ..
        } = world;
        let user = &merchant.owner;
        let id = issued_invoice(&services, &merchant).await;
        send(&services, user, id, EmailPurpose::Invoice, "k")
            .await
            .expect("queued");
        deliver(&services).await;
        let copy_link: String = sqlx::query_scalar("SELECT id FROM links WHERE recipient = 'copy'")
            .fetch_one(&db.pool)
            .await
            .expect("the copy's link");

        let batch = EventBatch {
            events: vec![EdgeEvent {
                id: random_id(),
                link_id: copy_link,
                kind: EdgeEventKind::Opened,
                automated: false,
                at_ms: now_ms(),
                device: DeviceClass::Desktop,
                browser: "Firefox".into(),
                clues: Vec::new(),
            }],
        };
        let body = serde_json::to_vec(&batch).expect("json");
        let response = router(services.clone())
            .oneshot(signed(&body, EDGE_SECRET))
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::NO_CONTENT);

        let row = &services
            .list_invoices(user, InvoiceFilter::default())
            .await
            .expect("list")
            .rows[0];
        assert_eq!(row.open_count, 0);
        assert_eq!(row.first_opened_ms, None);
        let history = services
            .get_invoice(user, id)
            .await
            .expect("invoice")
            .history;
        let opened = history
            .iter()
            .find(|entry| entry.event.kind() == "opened")
            .expect("the copy's open is in the merchant's history");
        assert_eq!(opened.event.audience(), Some(Audience::Copy));
        assert!(!opened.event.counts_as_open());
        assert_eq!(
            opened
                .event
                .at_link()
                .and_then(|link| link.copy_to.as_deref()),
            Some("archivio@bottega.it"),
            "the merchant reads which copy it was"
        );
    }
}

/// The clock is evidence the edge cannot see: a visit right after sending
/// that showed no input, or one in step with another recipient's, is a
/// machine's, and its reasons say so; the same visit a day later counts.
#[tokio::test]
async fn the_server_judges_by_the_clock_and_keeps_the_reasons() {
    for db in databases().await {
        let World {
            db,
            services,
            merchant,
            ..
        } = World::new(db).await;
        let id = issued_invoice(&services, &merchant).await;
        send_to_many(&services, &merchant.owner, id, 2, "pair").await;
        deliver(&services).await;
        let links: Vec<(String, i64)> = sqlx::query_as(
            "SELECT links.id, outbox.sent_at FROM links JOIN outbox ON outbox.link_id = links.id
             WHERE links.invoice_id = $1 ORDER BY links.email",
        )
        .bind(id)
        .fetch_all(&db.pool)
        .await
        .expect("links");
        let (first, sent_at) = links[0].clone();
        let second = links[1].0.clone();
        let visit = |link: &str, kind, at_ms: i64, clues: Vec<Clue>| EdgeEvent {
            id: random_id(),
            link_id: link.to_owned(),
            kind,
            automated: false,
            at_ms,
            device: DeviceClass::Desktop,
            browser: "Chrome".into(),
            clues,
        };
        let batches = [
            // Read without input 21 s after sending: the scanners' hour.
            vec![visit(
                &first,
                EdgeEventKind::Opened,
                sent_at + 21_000,
                vec![Clue::NoInput],
            )],
            // Both recipients' links fetched within the second, soon after.
            vec![
                visit(
                    &first,
                    EdgeEventKind::LinkFetched,
                    sent_at + 40_000,
                    Vec::new(),
                ),
                visit(
                    &second,
                    EdgeEventKind::LinkFetched,
                    sent_at + 40_500,
                    Vec::new(),
                ),
            ],
            // The same reading without input, a day later: a person.
            vec![visit(
                &first,
                EdgeEventKind::Opened,
                sent_at + 86_400_000,
                vec![Clue::NoInput],
            )],
        ];
        let router = router(services.clone());
        for events in batches {
            let body = serde_json::to_vec(&EventBatch { events }).expect("json");
            let response = router
                .clone()
                .oneshot(signed(&body, EDGE_SECRET))
                .await
                .expect("response");
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
        }
        let history = services
            .get_invoice(&merchant.owner, id)
            .await
            .expect("invoice")
            .history;
        let opens: Vec<(i64, bool, Vec<Clue>)> = history
            .iter()
            .filter_map(|entry| {
                let link = entry.event.at_link()?;
                Some((entry.at_ms - sent_at, link.automated, link.reasons.clone()))
            })
            .collect();
        assert_eq!(
            opens,
            [
                (
                    21_000,
                    true,
                    vec![Clue::NoInput, Clue::SoonAfterSending { seconds: 21 }]
                ),
                (
                    40_000,
                    true,
                    vec![
                        Clue::SoonAfterSending { seconds: 40 },
                        Clue::WithOtherRecipients { links: 1 }
                    ]
                ),
                (
                    40_500,
                    true,
                    vec![
                        Clue::SoonAfterSending { seconds: 40 },
                        Clue::WithOtherRecipients { links: 1 }
                    ]
                ),
                (86_400_000, false, Vec::new()),
            ],
            "{:?}",
            db.engine
        );
    }
}

#[tokio::test]
async fn the_customers_view_of_an_invoice_follows_sends_payments_and_opens_even_after_the_edge_was_down(
) {
    for db in databases().await {
        let World {
            db,
            edge,
            services,
            merchant,
            ..
        } = World::new(db).await;
        let user = &merchant.owner;
        let id = issued_invoice(&services, &merchant).await;
        send(&services, user, id, EmailPurpose::Invoice, "k")
            .await
            .expect("queued");
        deliver(&services).await;
        let key = edge.publications()[0].invoice_key.clone();
        assert_eq!(
            services.publish_changed_states().await.expect("published"),
            1
        );
        let kinds = |edge: &FakeEdge| {
            edge.latest_state(&key)
                .expect("a state")
                .history
                .into_iter()
                .map(|event| event.kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds(&edge), [PublicEventKind::Sent]);
        assert_eq!(
            services.publish_changed_states().await.expect("published"),
            0,
            "nothing changed since"
        );

        // The edge is down when the customer pays: the state waits, then goes.
        edge.set_available(false);
        services
            .record_payment(
                user,
                id,
                PaymentInput {
                    amount: "100".into(),
                    date: "2026-11-20".into(),
                    method: "card".into(),
                    reference: String::new(),
                },
            )
            .await
            .expect("paid");
        assert_eq!(services.publish_changed_states().await.expect("tried"), 0);
        edge.set_available(true);
        assert_eq!(
            services
                .publish_changed_states()
                .await
                .expect("backing off"),
            0,
            "the failed invoice waits out its backoff"
        );
        assert_eq!(
            services
                .publish_changed_states_at(much_later())
                .await
                .expect("published"),
            1
        );
        let state = edge.latest_state(&key).expect("a state");
        assert_eq!(state.paid_minor, 10_000);
        assert_eq!(
            edge.publications().len(),
            2,
            "the PDF, which shows what is paid, was published again"
        );
        assert!(matches!(
            state.history.last().map(|event| &event.kind),
            Some(PublicEventKind::PaymentReceived {
                amount_minor: 10_000,
                ..
            })
        ));

        // A machine's fetch changes nothing the customer sees; a person's open does.
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
            device: DeviceClass::Phone,
            browser: "Safari".into(),
            clues: Vec::new(),
        };
        for (kind, automated, publishes) in [
            (EdgeEventKind::LinkFetched, true, 0),
            (EdgeEventKind::Opened, true, 0),
            (EdgeEventKind::Opened, false, 1),
        ] {
            let body = serde_json::to_vec(&EventBatch {
                events: vec![event(kind, automated)],
            })
            .expect("json");
            router(services.clone())
                .oneshot(signed(&body, EDGE_SECRET))
                .await
                .expect("response");
            assert_eq!(
                services.publish_changed_states().await.expect("published"),
                publishes,
                "{kind:?} automated={automated}"
            );
        }
        assert_eq!(kinds(&edge).last(), Some(&PublicEventKind::Opened));
    }
}

#[tokio::test]
async fn the_edge_can_ask_for_a_link_it_lost_with_a_signed_request() {
    for db in databases().await {
        let World {
            db,
            services,
            merchant,
            ..
        } = World::new(db).await;
        let id = issued_invoice(&services, &merchant).await;
        send(&services, &merchant.owner, id, EmailPurpose::Invoice, "k")
            .await
            .expect("queued");
        let link_id: String = sqlx::query_scalar("SELECT id FROM links")
            .fetch_one(&db.pool)
            .await
            .expect("link");
        let lookup = |link: &str, secret: &[u8]| {
            let path = format!("{LINK_LOOKUP_PATH}/{link}");
            signed_request("GET", &path, b"", secret, now_ms() / 1000)
        };
        let router = router(services.clone());
        let answer = router
            .clone()
            .oneshot(lookup(&link_id, EDGE_SECRET))
            .await
            .expect("response");
        assert_eq!(answer.status(), StatusCode::OK);
        let body = axum::body::to_bytes(answer.into_body(), 10_000_000)
            .await
            .expect("body");
        let publication: Publication = serde_json::from_slice(&body).expect("a publication");
        assert_eq!(publication.links[0].link_id, link_id);
        assert!(!publication.pdf_base64.is_empty());

        let forged = router
            .clone()
            .oneshot(lookup(&link_id, b"not-the-secret-not-the-secret-!!!!"))
            .await
            .expect("response");
        assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
        let unknown = router
            .oneshot(lookup("00000000000000000000000000000000", EDGE_SECRET))
            .await
            .expect("response");
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn open_admin_pages_hear_of_each_change_through_server_sent_events() {
    use futures::StreamExt;
    for db in databases().await {
        let World {
            services, merchant, ..
        } = World::new(db).await;
        let id = issued_invoice(&services, &merchant).await;
        let subscribe = |cookie: Option<String>| {
            let mut request = Request::get(app::api::CHANGES_PATH).header("host", "admin");
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            router(services.clone()).oneshot(request.body(Body::empty()).expect("request"))
        };
        assert_eq!(
            subscribe(None).await.expect("response").status(),
            StatusCode::UNAUTHORIZED
        );
        let response = subscribe(Some(format!("invio_session={}", merchant.session)))
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut events = response.into_body().into_data_stream();
        let mut next = async || {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
                .await
                .expect("an event within seconds")
                .expect("the stream goes on")
                .expect("a chunk");
            String::from_utf8(chunk.to_vec()).expect("utf-8")
        };
        let first = next().await;
        assert!(first.contains("event: changed"), "{first}");

        services
            .record_payment(
                &merchant.owner,
                id,
                PaymentInput {
                    amount: "10".into(),
                    date: "2026-11-20".into(),
                    method: "cash".into(),
                    reference: String::new(),
                },
            )
            .await
            .expect("paid");
        let second = next().await;
        assert!(second.contains("event: changed"), "{second}");
        assert_ne!(first, second, "a new version after the payment");
    }
}

#[tokio::test]
async fn an_invoice_never_sent_has_nothing_to_publish() {
    for db in databases().await {
        let World {
            db,
            services,
            merchant,
            ..
        } = World::new(db).await;
        let id = issued_invoice(&services, &merchant).await;
        services
            .record_payment(
                &merchant.owner,
                id,
                PaymentInput {
                    amount: "10".into(),
                    date: "2026-11-20".into(),
                    method: "cash".into(),
                    reference: String::new(),
                },
            )
            .await
            .expect("paid");
        let version: i64 = sqlx::query_scalar("SELECT state_version FROM invoices WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .expect("version");
        assert_eq!(version, 0, "no state to keep at the edge before a send");
        assert_eq!(services.publish_changed_states().await.expect("ran"), 0);
    }
}
