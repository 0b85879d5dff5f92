//! One link flooded with presence and print reports (issue 16): repeats are
//! merged into a few entries, a revoked link records nothing, what is
//! published per invoice is bounded, one invoice's failed publication holds
//! back no other, fresh links come only when due, and the edge's routes
//! refuse bodies over their limit. The edge's own side (410 for a revoked
//! link's reports, 413 per route, a short secret) is in `edge/src/handler.rs`.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::put;
use invoice::events::{
    DeviceClass, EdgeEvent, EdgeEventKind, EventBatch, FreshLinkRequest, PublicEventKind,
    StatePublication, EVENTS_PATH, FRESH_LINK_PATH, MAX_BATCH_EVENTS, MAX_FRESH_LINKS_PER_LINK,
    PUBLISHED_HISTORY_LIMIT, PUBLISH_PATH, STATE_PATH,
};
use invoice::payment::PaymentInput;
use server::db::{now_ms, random_id, Db};
use server::edge_sync::{EVENTS_BODY_LIMIT, FRESH_LINK_BODY_LIMIT};
use server::services::Services;
use tokio::net::TcpListener;

use super::{count, sent_invoice, status};
use crate::support::{
    self, databases, deliver, issued_invoice, router, send, sign_up, signed_request, World,
    EDGE_SECRET,
};
use app::api::AdminBackend;
use invoice::email::EmailPurpose;

const DAY_MS: i64 = 24 * 3_600_000;

/// An event of `kind` through `link_id` at `at_ms`, by a person.
fn event_at(link_id: &str, kind: EdgeEventKind, at_ms: i64) -> EdgeEvent {
    EdgeEvent {
        id: random_id(),
        link_id: link_id.to_owned(),
        kind,
        automated: false,
        at_ms,
        device: DeviceClass::Phone,
        browser: "Safari".into(),
        clues: Vec::new(),
    }
}

fn signed_batch(events: Vec<EdgeEvent>) -> Request<Body> {
    let body = serde_json::to_vec(&EventBatch { events }).expect("json");
    signed_request("POST", EVENTS_PATH, &body, EDGE_SECRET, now_ms() / 1000)
}

/// The history entries of a link and the events they count.
async fn entries(db: &Db, link_id: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(repeat_count), 0) AS BIGINT) FROM events WHERE link_id = $1",
    )
    .bind(link_id)
    .fetch_one(&db.pool)
    .await
    .expect("entries")
}

async fn edge_key(db: &Db, invoice_id: i64) -> String {
    sqlx::query_scalar("SELECT edge_key FROM invoices WHERE id = $1")
        .bind(invoice_id)
        .fetch_one(&db.pool)
        .await
        .expect("edge key")
}

fn payment(amount: &str) -> PaymentInput {
    PaymentInput {
        amount: amount.into(),
        date: "2026-11-20".into(),
        method: "card".into(),
        reference: String::new(),
    }
}

#[tokio::test]
async fn ten_thousand_presence_and_print_posts_on_one_link_are_two_entries_and_hold_back_no_other_organisation(
) {
    for db in databases().await {
        let world = World::new(db).await;
        let (flooded, link) = sent_invoice(&world).await;
        deliver(&world.services).await;
        let other = sign_up(
            &world.services,
            "owner@altra.example",
            "cliente@altra.example",
        )
        .await;
        let payable = issued_invoice(&world.services, &other).await;
        send(
            &world.services,
            &other.owner,
            payable,
            EmailPurpose::Invoice,
            "other",
        )
        .await
        .expect("queued");
        deliver(&world.services).await;
        world
            .services
            .publish_changed_states()
            .await
            .expect("published");
        let payable_key = edge_key(&world.db, payable).await;
        let flooded_key = edge_key(&world.db, flooded).await;
        let router = router(world.services.clone());

        // Within one UTC day, whenever the test runs.
        let start = now_ms().div_euclid(DAY_MS) * DAY_MS + 3_600_000;
        let batches = 10_000 / MAX_BATCH_EVENTS;
        for batch in 0..batches {
            let events = (0..MAX_BATCH_EVENTS)
                .map(|n| {
                    let at_ms = start + i64::try_from(batch * MAX_BATCH_EVENTS + n).expect("small");
                    let kind = if n % 2 == 0 {
                        EdgeEventKind::Opened
                    } else {
                        EdgeEventKind::Printed
                    };
                    event_at(&link, kind, at_ms)
                })
                .collect();
            assert_eq!(
                status(&router, signed_batch(events)).await,
                StatusCode::NO_CONTENT
            );
            if batch == batches / 2 {
                world
                    .services
                    .record_payment(&other.owner, payable, payment("100"))
                    .await
                    .expect("paid");
                world
                    .services
                    .publish_changed_states()
                    .await
                    .expect("the publisher runs");
                let state = world
                    .edge
                    .latest_state(&payable_key)
                    .expect("the other invoice's state");
                assert_eq!(
                    state.paid_minor, 10_000,
                    "the other organisation's payment went out in the round after it, mid-flood"
                );
            }
        }

        assert_eq!(
            entries(&world.db, &link).await,
            (2, 10_000),
            "ten thousand reports are one opened and one printed entry"
        );
        assert_eq!(
            count(
                &world.db,
                &format!("SELECT COUNT(*) FROM events WHERE invoice_id = {flooded}")
            )
            .await,
            // issued, email queued, email sent, and the two merged entries
            count(
                &world.db,
                &format!(
                    "SELECT COUNT(*) FROM events WHERE invoice_id = {flooded} AND link_id IS NULL"
                )
            )
            .await
                + 2
        );
        let merchant_sees: Vec<(String, i64)> = world
            .services
            .get_invoice(world.user(), flooded)
            .await
            .expect("invoice")
            .history
            .into_iter()
            .map(|entry| (entry.event.kind().to_owned(), entry.count))
            .filter(|(kind, _)| kind == "opened" || kind == "printed")
            .collect();
        assert_eq!(
            merchant_sees,
            [("opened".to_owned(), 5_000), ("printed".to_owned(), 5_000)],
            "the merchant's history shows each entry once, with its count"
        );
        world
            .services
            .publish_changed_states()
            .await
            .expect("published");
        let flooded_state = world
            .edge
            .latest_state(&flooded_key)
            .expect("the flooded invoice's state");
        let merged: Vec<(PublicEventKind, i64)> = flooded_state
            .history
            .iter()
            .filter(|event| {
                matches!(
                    event.kind,
                    PublicEventKind::Opened | PublicEventKind::Printed
                )
            })
            .map(|event| (event.kind.clone(), event.count))
            .collect();
        assert_eq!(
            merged,
            [
                (PublicEventKind::Opened, 5_000),
                (PublicEventKind::Printed, 5_000)
            ]
        );
    }
}

#[tokio::test]
async fn whatever_an_invoices_history_holds_the_edge_is_sent_its_newest_entries_and_a_count_of_the_rest(
) {
    for db in databases().await {
        let world = World::new(db).await;
        let (invoice, link) = sent_invoice(&world).await;
        deliver(&world.services).await;
        let key = edge_key(&world.db, invoice).await;
        // A genuine open on each of 120 past days: 120 entries, none merged,
        // which the customer reads as one line ("Opened 120 times").
        let today = now_ms().div_euclid(DAY_MS) * DAY_MS;
        let opens: Vec<EdgeEvent> = (1..=120)
            .map(|days| event_at(&link, EdgeEventKind::Opened, today - days * DAY_MS))
            .collect();
        let router = router(world.services.clone());
        for chunk in opens.chunks(MAX_BATCH_EVENTS) {
            assert_eq!(
                status(&router, signed_batch(chunk.to_vec())).await,
                StatusCode::NO_CONTENT
            );
        }
        assert_eq!(entries(&world.db, &link).await, (120, 120));
        world
            .services
            .publish_changed_states()
            .await
            .expect("published");
        let state = world.edge.latest_state(&key).expect("a state");
        assert_eq!(state.history.len(), 2, "{:?}", state.history);
        assert_eq!(state.history[0].kind, PublicEventKind::Opened);
        assert_eq!(state.history[0].count, 120);
        assert_eq!(state.history[0].last_at(), today - DAY_MS);

        // What does not fold (payments, here) is kept newest first up to
        // the limit, and the rest counted.
        for _ in 0..60 {
            world
                .services
                .record_payment(world.user(), invoice, payment("0.01"))
                .await
                .expect("paid");
        }
        world
            .services
            .publish_changed_states()
            .await
            .expect("published");
        let state = world.edge.latest_state(&key).expect("a state");
        assert_eq!(state.history.len(), PUBLISHED_HISTORY_LIMIT);
        let total = state.history.len() as u64 + state.earlier_entries;
        assert_eq!(total, 62, "the opens, the email sent and 60 payments");
        assert!(
            state.history.windows(2).all(|w| w[0].at_ms <= w[1].at_ms),
            "oldest first"
        );
        assert!(
            matches!(
                state.history.last().map(|event| &event.kind),
                Some(PublicEventKind::PaymentReceived { .. })
            ),
            "the newest entries are kept"
        );
    }
}

#[tokio::test]
async fn a_replayed_batch_of_repeats_is_not_counted_twice() {
    for db in databases().await {
        let world = World::new(db).await;
        let (_, link) = sent_invoice(&world).await;
        let router = router(world.services.clone());
        let at = now_ms();
        let events: Vec<EdgeEvent> = (0..40)
            .map(|n| event_at(&link, EdgeEventKind::Printed, at + n))
            .collect();
        let body = serde_json::to_vec(&EventBatch {
            events: events.clone(),
        })
        .expect("json");
        for _ in 0..3 {
            let replay = signed_request("POST", EVENTS_PATH, &body, EDGE_SECRET, now_ms() / 1000);
            assert_eq!(status(&router, replay).await, StatusCode::NO_CONTENT);
        }
        let mut reordered = events.clone();
        reordered.reverse();
        assert_eq!(
            status(&router, signed_batch(reordered)).await,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            server::db::events::ingest(&world.db, &events[..1])
                .await
                .expect("ingest"),
            0,
            "the entry's own event, alone"
        );
        assert_eq!(entries(&world.db, &link).await, (1, 40));
    }
}

#[tokio::test]
async fn a_revoked_link_records_nothing_that_happens_after_its_revocation() {
    for db in databases().await {
        let world = World::new(db).await;
        let (invoice, link) = sent_invoice(&world).await;
        deliver(&world.services).await;
        let router = router(world.services.clone());
        let before = now_ms() - 60_000;
        world
            .services
            .revoke_link(world.user(), invoice, link.clone())
            .await
            .expect("revoked");
        let version = |db: Db| async move {
            sqlx::query_scalar::<_, i64>("SELECT state_version FROM invoices WHERE id = $1")
                .bind(invoice)
                .fetch_one(&db.pool)
                .await
                .expect("version")
        };
        let version_before = version(world.db.clone()).await;
        let after = now_ms() + 1;
        let flood: Vec<EdgeEvent> = (0..MAX_BATCH_EVENTS as i64)
            .map(|n| event_at(&link, EdgeEventKind::Opened, after + n))
            .collect();
        assert_eq!(
            status(&router, signed_batch(flood)).await,
            StatusCode::NO_CONTENT,
            "acknowledged, so the edge stops sending it"
        );
        assert_eq!(entries(&world.db, &link).await, (0, 0));
        assert_eq!(version(world.db.clone()).await, version_before);
        // Printed before the revocation, delivered late: it happened, it is kept.
        assert_eq!(
            status(
                &router,
                signed_batch(vec![event_at(&link, EdgeEventKind::Printed, before)])
            )
            .await,
            StatusCode::NO_CONTENT
        );
        assert_eq!(entries(&world.db, &link).await, (1, 1));
    }
}

/// An edge that refuses (413) the state of one invoice and keeps the
/// others' (invoice key, paid) in the order they came.
#[derive(Clone, Default)]
struct PickyEdge {
    refused_key: Arc<Mutex<String>>,
    refusals: Arc<Mutex<usize>>,
    states: Arc<Mutex<Vec<(String, i64)>>>,
}

impl PickyEdge {
    async fn start(&self) -> String {
        let edge = self.clone();
        let app = axum::Router::new()
            .route(PUBLISH_PATH, put(|| async { StatusCode::NO_CONTENT }))
            .route(
                STATE_PATH,
                put(move |_: HeaderMap, body: Bytes| {
                    let edge = edge.clone();
                    async move {
                        let state: StatePublication =
                            serde_json::from_slice(&body).expect("a state");
                        if state.invoice_key == *edge.refused_key.lock().expect("lock") {
                            *edge.refusals.lock().expect("lock") += 1;
                            return StatusCode::PAYLOAD_TOO_LARGE;
                        }
                        edge.states
                            .lock()
                            .expect("lock")
                            .push((state.invoice_key, state.state.paid_minor));
                        StatusCode::NO_CONTENT
                    }
                }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }
}

#[tokio::test]
async fn an_invoice_the_edge_refuses_backs_off_alone_while_another_organisations_payment_goes_out()
{
    for db in databases().await {
        let edge = PickyEdge::default();
        let edge_url = edge.start().await;
        let sink = support::smtp::SmtpSink::start().await;
        let services: Arc<Services> = Arc::new(support::services(db.clone(), &edge_url, sink.port));
        let first = sign_up(&services, "owner@prima.example", "cliente@prima.example").await;
        let second = sign_up(
            &services,
            "owner@seconda.example",
            "cliente@seconda.example",
        )
        .await;
        // The refused invoice comes first in id order, as in the issue.
        let refused = issued_invoice(&services, &first).await;
        let paid = issued_invoice(&services, &second).await;
        for (merchant, invoice) in [(&first, refused), (&second, paid)] {
            send(
                &services,
                &merchant.owner,
                invoice,
                EmailPurpose::Invoice,
                &format!("k{invoice}"),
            )
            .await
            .expect("queued");
        }
        deliver(&services).await;
        *edge.refused_key.lock().expect("lock") = edge_key(&db, refused).await;
        services
            .record_payment(&first.owner, refused, payment("10"))
            .await
            .expect("paid");
        services
            .record_payment(&second.owner, paid, payment("100"))
            .await
            .expect("paid");
        sqlx::query("UPDATE invoices SET published_paid_minor = paid_minor")
            .execute(&db.pool)
            .await
            .expect("the PDFs are current");

        let start = now_ms();
        assert_eq!(
            services
                .publish_changed_states_at(start)
                .await
                .expect("ran"),
            1
        );
        let paid_key = edge_key(&db, paid).await;
        assert_eq!(
            edge.states.lock().expect("lock").as_slice(),
            [(paid_key, 10_000)],
            "the payment went out past the refused invoice"
        );
        assert_eq!(*edge.refusals.lock().expect("lock"), 1);
        assert_eq!(
            services
                .publish_changed_states_at(start + 1)
                .await
                .expect("ran"),
            0
        );
        assert_eq!(
            *edge.refusals.lock().expect("lock"),
            1,
            "the refused invoice backs off instead of being retried every round"
        );
        let (failures, retry_at): (i64, i64) =
            sqlx::query_as("SELECT publish_failures, publish_retry_at FROM invoices WHERE id = $1")
                .bind(refused)
                .fetch_one(&db.pool)
                .await
                .expect("backoff");
        assert_eq!(failures, 1);
        assert!(retry_at > start + 1);
        services
            .publish_changed_states_at(retry_at)
            .await
            .expect("ran");
        assert_eq!(
            *edge.refusals.lock().expect("lock"),
            2,
            "tried again once its wait is over"
        );
    }
}

#[tokio::test]
async fn a_fresh_link_comes_only_for_a_revoked_link_of_an_invoice_to_pay_and_a_few_times_in_all() {
    for db in databases().await {
        let world = World::new(db).await;
        let router = router(world.services.clone());
        let ask = |link: &str| {
            let body = serde_json::to_vec(&FreshLinkRequest {
                link_id: link.to_owned(),
            })
            .expect("json");
            signed_request("POST", FRESH_LINK_PATH, &body, EDGE_SECRET, now_ms() / 1000)
        };
        let fresh_sends = |db: Db| async move {
            count(
                &db,
                "SELECT COUNT(*) FROM send_requests WHERE idempotency_key LIKE '%fresh-%'",
            )
            .await
        };

        let (live, live_link) = sent_invoice(&world).await;
        assert_eq!(status(&router, ask(&live_link)).await, StatusCode::ACCEPTED);
        assert_eq!(fresh_sends(world.db.clone()).await, 0, "a live link");

        world
            .services
            .record_payment(world.user(), live, payment("299"))
            .await
            .expect("paid in full");
        world
            .services
            .revoke_link(world.user(), live, live_link.clone())
            .await
            .expect("revoked");
        assert_eq!(status(&router, ask(&live_link)).await, StatusCode::ACCEPTED);
        assert_eq!(fresh_sends(world.db.clone()).await, 0, "a paid invoice");

        let (due, due_link) = sent_invoice(&world).await;
        world
            .services
            .revoke_link(world.user(), due, due_link.clone())
            .await
            .expect("revoked");
        sqlx::query("UPDATE links SET fresh_links_sent = $1 WHERE id = $2")
            .bind(MAX_FRESH_LINKS_PER_LINK)
            .bind(&due_link)
            .execute(&world.db.pool)
            .await
            .expect("as if it had brought its fresh links");
        assert_eq!(status(&router, ask(&due_link)).await, StatusCode::ACCEPTED);
        assert_eq!(
            fresh_sends(world.db.clone()).await,
            0,
            "no more for this link"
        );

        sqlx::query("UPDATE links SET fresh_links_sent = $1 WHERE id = $2")
            .bind(MAX_FRESH_LINKS_PER_LINK - 1)
            .bind(&due_link)
            .execute(&world.db.pool)
            .await
            .expect("one left");
        // The organisation's emails for the day are all used: the fresh link
        // waits, and the link keeps the one it has left.
        let set_quota = |quota: i64| {
            sqlx::query("UPDATE organisations SET daily_email_quota = $1 WHERE id = $2")
                .bind(quota)
                .bind(world.user().organisation.0)
                .execute(&world.db.pool)
        };
        set_quota(count(&world.db, "SELECT COUNT(*) FROM outbox").await)
            .await
            .expect("quota used up");
        assert_eq!(status(&router, ask(&due_link)).await, StatusCode::ACCEPTED);
        assert_eq!(
            fresh_sends(world.db.clone()).await,
            0,
            "past the day's quota"
        );
        set_quota(1_000).await.expect("quota raised");
        assert_eq!(status(&router, ask(&due_link)).await, StatusCode::ACCEPTED);
        assert_eq!(
            fresh_sends(world.db.clone()).await,
            1,
            "the last one is sent"
        );
        assert_eq!(
            count(
                &world.db,
                &format!("SELECT fresh_links_sent FROM links WHERE id = '{due_link}'")
            )
            .await,
            MAX_FRESH_LINKS_PER_LINK
        );
    }
}

#[tokio::test]
async fn the_edges_routes_refuse_a_body_over_what_they_accept_with_413() {
    for db in databases().await {
        let world = World::new(db).await;
        let router = router(world.services.clone());
        let now = now_ms() / 1000;
        let over = |limit: usize| vec![b' '; limit + 1];
        assert_eq!(
            status(
                &router,
                signed_request(
                    "POST",
                    EVENTS_PATH,
                    &over(EVENTS_BODY_LIMIT),
                    EDGE_SECRET,
                    now
                )
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            status(
                &router,
                signed_request(
                    "POST",
                    FRESH_LINK_PATH,
                    &over(FRESH_LINK_BODY_LIMIT),
                    EDGE_SECRET,
                    now
                )
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        // A full batch of real events fits with room to spare.
        let (_, link) = sent_invoice(&world).await;
        let full: Vec<EdgeEvent> = (0..MAX_BATCH_EVENTS)
            .map(|_| EdgeEvent {
                browser: "x".repeat(64),
                clues: Vec::new(),
                ..event_at(&link, EdgeEventKind::LinkFetched, now_ms())
            })
            .collect();
        let body = serde_json::to_vec(&EventBatch { events: full }).expect("json");
        assert!(body.len() * 2 < EVENTS_BODY_LIMIT, "{} bytes", body.len());
        assert_eq!(
            status(
                &router,
                signed_request("POST", EVENTS_PATH, &body, EDGE_SECRET, now)
            )
            .await,
            StatusCode::NO_CONTENT
        );
    }
}
