//! Telling the merchant when it matters, on every engine: the first time a
//! person opens or downloads an invoice becomes one email to each user who
//! chose "at once", a line in the next day's digest for those who chose it,
//! nothing for "no email", and a live notice on their open admin pages;
//! never for a machine, never twice.

mod support;

use std::sync::Arc;

use app::api::{AdminBackend, CurrentUser, CHANGES_PATH};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::StreamExt;
use invoice::account::NewUserInput;
use invoice::email::EmailPurpose;
use invoice::events::{EdgeEvent, EdgeEventKind, EventBatch, EVENTS_PATH};
use invoice::notifications::{EmailChoice, NotifySettings};
use server::auth;
use server::db::{accounts, now_ms, Db};
use server::services::Services;
use support::{
    deliver, deliver_at, person_opened, router, send, signed_request, smtp, World, EDGE_SECRET,
    OWNER,
};
use tower::ServiceExt;

const DAY_MS: i64 = 86_400_000;

/// A merchant whose owner chose `email` (and the live notice or not), with
/// an invoice emailed to the customer; the invoice and its customer link.
async fn sent_invoice(db: Db, email: EmailChoice, live: bool) -> (World, i64, String) {
    let world = World::new(db).await;
    world
        .services
        .save_notification_settings(world.user(), NotifySettings { email, live })
        .await
        .expect("settings saved");
    let id = world.issued().await;
    send(
        &world.services,
        world.user(),
        id,
        EmailPurpose::Invoice,
        "k",
    )
    .await
    .expect("queued");
    deliver(&world.services).await;
    let link_id: String =
        sqlx::query_scalar("SELECT id FROM links WHERE invoice_id = $1 AND recipient = 'customer'")
            .bind(id)
            .fetch_one(&world.db.pool)
            .await
            .expect("link");
    (world, id, link_id)
}

fn machine(link_id: &str, kind: EdgeEventKind) -> EdgeEvent {
    EdgeEvent {
        kind,
        automated: true,
        ..person_opened(link_id)
    }
}

fn person(link_id: &str, kind: EdgeEventKind) -> EdgeEvent {
    EdgeEvent {
        kind,
        ..person_opened(link_id)
    }
}

/// Posts a batch as the edge does; the server's answer.
async fn ingest(services: &Arc<Services>, events: &[EdgeEvent]) -> StatusCode {
    let body = serde_json::to_vec(&EventBatch {
        events: events.to_vec(),
    })
    .expect("json");
    router(services.clone())
        .oneshot(signed_request(
            "POST",
            EVENTS_PATH,
            &body,
            EDGE_SECRET,
            now_ms() / 1000,
        ))
        .await
        .expect("response")
        .status()
}

/// The notices the owner received by email (the owner speaks Italian).
fn notices_to_owner(world: &World) -> Vec<smtp::Received> {
    world
        .sink
        .received_by(OWNER)
        .into_iter()
        .filter(|message| {
            let subject = message.subject();
            subject.contains("aperta da")
                || subject.contains("scaricata da")
                || subject.starts_with("Invio: fatture aperte")
        })
        .collect()
}

#[tokio::test]
async fn a_persons_first_open_emails_once_who_chose_at_once_and_a_machine_never() {
    for db in support::databases().await {
        let (world, id, link) = sent_invoice(db, EmailChoice::Immediately, true).await;
        let services = &world.services;

        // Mail scanners open and download: nobody is told.
        let scanners = [
            machine(&link, EdgeEventKind::LinkFetched),
            machine(&link, EdgeEventKind::Opened),
            machine(&link, EdgeEventKind::PdfDownloaded),
        ];
        assert_eq!(ingest(services, &scanners).await, StatusCode::NO_CONTENT);
        deliver(services).await;
        assert!(notices_to_owner(&world).is_empty());

        // A person opens it: one email, naming the customer and linking to
        // the invoice in the admin.
        let open = [person(&link, EdgeEventKind::Opened)];
        assert_eq!(ingest(services, &open).await, StatusCode::NO_CONTENT);
        deliver(services).await;
        let notices = notices_to_owner(&world);
        assert_eq!(notices.len(), 1);
        assert!(
            notices[0].subject().contains("aperta da"),
            "{}",
            notices[0].subject()
        );
        assert!(notices[0]
            .text()
            .contains(&format!("http://127.0.0.1:3000/invoices/{id}")));

        // The same batch again, and the customer coming back: nothing more.
        assert_eq!(ingest(services, &open).await, StatusCode::NO_CONTENT);
        let again = [person(&link, EdgeEventKind::Opened)];
        assert_eq!(ingest(services, &again).await, StatusCode::NO_CONTENT);
        deliver(services).await;
        assert_eq!(notices_to_owner(&world).len(), 1);

        // The first download by a person is told once too.
        for _ in 0..3 {
            let download = [person(&link, EdgeEventKind::PdfDownloaded)];
            assert_eq!(ingest(services, &download).await, StatusCode::NO_CONTENT);
        }
        deliver(services).await;
        let notices = notices_to_owner(&world);
        assert_eq!(notices.len(), 2);
        assert!(notices[1].subject().contains("scaricata da"));
        // A notice is not an event of the invoice: its history names no
        // email to the merchant.
        assert!(!world
            .history_kinds(id)
            .await
            .iter()
            .any(|kind| kind.starts_with("notice_")));
    }
}

/// A staff member the owner added, signed in.
async fn staff(world: &World, name: &str) -> CurrentUser {
    let email = format!("{name}@bottega.it");
    let services = &world.services;
    services
        .add_user(
            world.user(),
            NewUserInput {
                name: name.into(),
                email: email.clone(),
                password: "a long staff password".into(),
            },
        )
        .await
        .expect("staff added");
    let (session, _) = services
        .login(email, "a long staff password".into(), "192.0.2.7".into())
        .await
        .expect("signed in");
    accounts::session_user(&services.db, &auth::token_hash(&session), now_ms())
        .await
        .expect("look-up")
        .expect("a session")
}

#[tokio::test]
async fn the_owner_and_the_staff_member_who_issued_it_hear_other_staff_do_not() {
    for db in support::databases().await {
        let world = World::new(db).await;
        let services = &world.services;
        let issuer = staff(&world, "luca").await;
        let other = staff(&world, "sara").await;
        let at_once = NotifySettings {
            email: EmailChoice::Immediately,
            live: true,
        };
        for user in [world.user(), &issuer, &other] {
            services
                .save_notification_settings(user, at_once)
                .await
                .expect("settings saved");
        }
        let id = services
            .save_draft(&issuer, None, 0, support::draft(&world.merchant))
            .await
            .expect("draft");
        services
            .issue_invoice(&issuer, id, 1)
            .await
            .expect("issued");
        send(services, &issuer, id, EmailPurpose::Invoice, "k")
            .await
            .expect("queued");
        deliver(services).await;
        let link: String = sqlx::query_scalar("SELECT id FROM links WHERE invoice_id = $1")
            .bind(id)
            .fetch_one(&world.db.pool)
            .await
            .expect("link");
        let open = [person(&link, EdgeEventKind::Opened)];
        assert_eq!(ingest(services, &open).await, StatusCode::NO_CONTENT);
        deliver(services).await;
        let told = |address: &str| {
            world
                .sink
                .received_by(address)
                .iter()
                .filter(|message| {
                    let subject = message.subject();
                    ["opened by", "aperta da", "abierta por"]
                        .iter()
                        .any(|words| subject.contains(words))
                })
                .count()
        };
        assert_eq!(told(OWNER), 1);
        assert_eq!(told(&issuer.email), 1);
        assert_eq!(told(&other.email), 0);
    }
}

#[tokio::test]
async fn two_batches_with_a_first_open_ingested_at_once_email_once() {
    for db in support::databases().await {
        let (world, _, link) = sent_invoice(db, EmailChoice::Immediately, true).await;
        let services = &world.services;
        let first = [person(&link, EdgeEventKind::Opened)];
        let second = [person(&link, EdgeEventKind::Opened)];
        let (a, b) = tokio::join!(ingest(services, &first), ingest(services, &second));
        assert_eq!((a, b), (StatusCode::NO_CONTENT, StatusCode::NO_CONTENT));
        deliver(services).await;
        assert_eq!(notices_to_owner(&world).len(), 1);
    }
}

#[tokio::test]
async fn the_daily_digest_lists_the_days_first_opens_and_goes_once() {
    for db in support::databases().await {
        // The default choice is the daily digest.
        let world = World::new(db).await;
        assert_eq!(
            world
                .services
                .notification_settings(world.user())
                .await
                .expect("settings"),
            NotifySettings {
                email: EmailChoice::DailyDigest,
                live: true
            }
        );
        let services = &world.services;
        let mut links = Vec::new();
        for key in ["a", "b"] {
            let id = world.issued().await;
            send(services, world.user(), id, EmailPurpose::Invoice, key)
                .await
                .expect("queued");
            links.push(
                sqlx::query_scalar::<_, String>(
                    "SELECT id FROM links WHERE invoice_id = $1 AND recipient = 'customer'",
                )
                .bind(id)
                .fetch_one(&world.db.pool)
                .await
                .expect("link"),
            );
        }
        deliver(services).await;
        let events = [
            person(&links[0], EdgeEventKind::Opened),
            person(&links[0], EdgeEventKind::PdfDownloaded),
            person(&links[1], EdgeEventKind::Opened),
            machine(&links[1], EdgeEventKind::PdfDownloaded),
        ];
        assert_eq!(ingest(services, &events).await, StatusCode::NO_CONTENT);
        deliver(services).await;
        assert!(notices_to_owner(&world).is_empty(), "nothing at once");

        // Today's digest waits for the day to end.
        assert_eq!(services.send_digests(now_ms()).await.expect("digests"), 0);
        let tomorrow = now_ms() + DAY_MS;
        assert_eq!(services.send_digests(tomorrow).await.expect("digests"), 1);
        assert_eq!(services.send_digests(tomorrow).await.expect("digests"), 0);
        assert_eq!(
            services
                .send_digests(tomorrow + DAY_MS)
                .await
                .expect("digests"),
            0,
            "nothing sent on a day without news"
        );
        deliver_at(services, tomorrow).await;
        let digests = notices_to_owner(&world);
        assert_eq!(digests.len(), 1);
        assert_eq!(
            digests[0].subject(),
            "Invio: fatture aperte o scaricate per la prima volta (2)"
        );
        let text = digests[0].text();
        assert_eq!(text.matches("ha aperto la fattura").count(), 2);
        assert_eq!(text.matches("ha scaricato il PDF").count(), 1, "{text}");
    }
}

#[tokio::test]
async fn no_email_sends_nothing_at_once_or_in_a_digest() {
    for db in support::databases().await {
        let (world, _, link) = sent_invoice(db, EmailChoice::Off, false).await;
        let services = &world.services;
        let events = [
            person(&link, EdgeEventKind::Opened),
            person(&link, EdgeEventKind::PdfDownloaded),
        ];
        assert_eq!(ingest(services, &events).await, StatusCode::NO_CONTENT);
        assert_eq!(
            services
                .send_digests(now_ms() + DAY_MS)
                .await
                .expect("digests"),
            0
        );
        deliver(services).await;
        assert!(notices_to_owner(&world).is_empty());
        assert_eq!(world.outbox_count("notice").await, 0);
    }
}

#[tokio::test]
async fn an_open_admin_page_hears_the_notice_of_its_user_live() {
    for db in support::databases().await {
        let (world, _, link) = sent_invoice(db, EmailChoice::Off, true).await;
        let request = Request::get(CHANGES_PATH)
            .header("host", "admin")
            .header(
                "cookie",
                format!("invio_session={}", world.merchant.session),
            )
            .body(Body::empty())
            .expect("request");
        let response = router(world.services.clone())
            .oneshot(request)
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        let mut stream = response.into_body().into_data_stream();
        let mut next = async || {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
                .await
                .expect("an event within seconds")
                .expect("the stream goes on")
                .expect("a chunk");
            String::from_utf8(chunk.to_vec()).expect("utf-8")
        };
        assert!(next().await.contains("event: changed"));

        let open = [person(&link, EdgeEventKind::Opened)];
        assert_eq!(ingest(&world.services, &open).await, StatusCode::NO_CONTENT);
        let mut heard = String::new();
        while !heard.contains("event: notice") {
            heard.push_str(&next().await);
        }
        assert!(heard.contains(r#""kind":"opened""#), "{heard}");
        assert!(heard.contains("Maria"), "{heard}");
    }
}
