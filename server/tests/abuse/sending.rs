//! A free account used as a spam cannon: more emails than the day allows,
//! in one send or many at once; addresses typed into a store's copies and
//! failure list that never asked for mail; the admin's changes feed opened
//! until the database pool runs dry; the admin's pages framed or sniffed.

use app::api::{AdminBackend, CHANGES_PATH};
use axum::http::StatusCode;
use invoice::email::{EmailPurpose, SendInput};
use invoice::history::HistoryEvent;
use invoice::problem::Problem;
use server::db::Db;
use server::live::MAX_FEEDS_PER_SESSION;

use super::{count, refusal};
use crate::support::{
    body_text, confirmation_tokens, databases, deliver, get, router, World, CUSTOMER, OWNER,
};

/// The operator's own daily quota for the world's organisation.
async fn set_quota(world: &World, quota: i64) {
    sqlx::query("UPDATE organisations SET daily_email_quota = $1 WHERE id = $2")
        .bind(quota)
        .bind(world.user().organisation.0)
        .execute(&world.db.pool)
        .await
        .expect("quota set");
}

fn to_many(key: &str, recipients: usize) -> SendInput {
    SendInput {
        to: (0..recipients)
            .map(|n| format!("customer-{key}-{n}@example.es"))
            .collect::<Vec<_>>()
            .join("; "),
        subject: "Fattura".into(),
        message: "Grazie".into(),
    }
}

async fn send_to(
    world: &World,
    invoice_id: i64,
    key: &str,
    recipients: usize,
) -> Result<(), app::api::AdminError> {
    world
        .services
        .send_invoice(
            world.user(),
            invoice_id,
            EmailPurpose::Invoice,
            to_many(key, recipients),
            key.to_owned(),
        )
        .await
}

async fn written(db: &Db) -> (i64, i64, i64) {
    (
        count(db, "SELECT COUNT(*) FROM outbox").await,
        count(db, "SELECT COUNT(*) FROM links").await,
        count(db, "SELECT COUNT(*) FROM send_requests").await,
    )
}

#[tokio::test]
async fn a_send_past_the_days_quota_is_refused_whole_and_queues_nothing() {
    for db in databases().await {
        let world = World::new(db).await;
        set_quota(&world, 5).await;
        let id = world.issued().await;
        send_to(&world, id, "first", 3).await.expect("within quota");
        assert_eq!(written(&world.db).await, (3, 3, 1));

        assert_eq!(
            refusal(send_to(&world, id, "too-many", 3).await, "to"),
            Problem::DailySendingLimit { limit: 5, left: 2 }
        );
        assert_eq!(written(&world.db).await, (3, 3, 1), "nothing half-queued");

        send_to(&world, id, "the-rest", 2)
            .await
            .expect("fits exactly");
        assert_eq!(
            refusal(send_to(&world, id, "one-more", 1).await, "to"),
            Problem::DailySendingLimit { limit: 5, left: 0 }
        );
        // A retried request of a send that went is not a new send.
        send_to(&world, id, "the-rest", 2)
            .await
            .expect("idempotent");
        assert_eq!(written(&world.db).await, (5, 5, 2));
        let form = world
            .services
            .send_form(world.user(), id, EmailPurpose::Invoice)
            .await
            .expect("send dialog");
        assert_eq!((form.sent_today, form.daily_limit), (5, 5));
        let today = AdminBackend::sending_today(world.services.as_ref(), world.user())
            .await
            .expect("today's sending");
        assert_eq!((today.sent, today.limit), (5, 5));
    }
}

#[tokio::test]
async fn sends_in_parallel_cannot_overshoot_the_quota() {
    for db in databases().await {
        let world = World::new(db).await;
        set_quota(&world, 10).await;
        let id = world.issued().await;
        let sends = (0..8).map(|n| {
            let services = world.services.clone();
            let user = world.user().clone();
            tokio::spawn(async move {
                let key = format!("parallel-{n}");
                services
                    .send_invoice(
                        &user,
                        id,
                        EmailPurpose::Invoice,
                        to_many(&key, 3),
                        key.clone(),
                    )
                    .await
            })
        });
        let outcomes = futures::future::join_all(sends).await;
        let admitted = outcomes
            .into_iter()
            .map(|outcome| outcome.expect("task"))
            .filter(Result::is_ok)
            .count();
        assert_eq!(admitted, 3);
        assert_eq!(written(&world.db).await, (9, 9, 3));
    }
}

#[tokio::test]
async fn an_invoice_issued_past_the_quota_is_issued_without_its_automatic_email() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_customer(|customer| customer.email_invoices = true)
            .await;
        set_quota(&world, 1).await;
        let first = world.issued().await;
        assert_eq!(count(&world.db, "SELECT COUNT(*) FROM outbox").await, 1);
        let second = world.issued().await;
        assert_eq!(count(&world.db, "SELECT COUNT(*) FROM outbox").await, 1);
        let detail = world
            .services
            .get_invoice(world.user(), second)
            .await
            .expect("invoice");
        assert_eq!(detail.lifecycle, invoice::status::Lifecycle::Issued);
        assert!(detail
            .history
            .iter()
            .any(|entry| entry.event == HistoryEvent::AutomaticSendOverQuota));
        assert!(!world
            .history_kinds(first)
            .await
            .contains(&"email_refused_over_quota".to_owned()));
    }
}

const STRANGER: &str = "stranger@victim.example";
const BYSTANDER: &str = "bystander@victim.example";

/// Saves the world's store with these copies and failure list, without
/// confirming anything.
async fn save_lists(world: &World, copies_to: &str, failure_notify: &str) {
    let id = world.merchant.store_id;
    let mut input = world
        .services
        .get_store(world.user(), id)
        .await
        .expect("store");
    input.copies_to = copies_to.into();
    input.failure_notify = failure_notify.into();
    world
        .services
        .save_store(world.user(), Some(id), input)
        .await
        .expect("store saved");
}

async fn outbox_to(db: &Db, address: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE to_address = $1")
        .bind(address)
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn an_unconfirmed_copy_or_failure_address_gets_nothing_but_one_confirmation_request() {
    for db in databases().await {
        let world = World::new(db).await;
        save_lists(&world, STRANGER, BYSTANDER).await;
        for address in [STRANGER, BYSTANDER] {
            let received = world.sink.received_by(address);
            assert_eq!(received.len(), 1, "{address}");
            assert!(received[0].subject().starts_with("Conferma che"));
        }
        let states = world
            .services
            .recipient_states(world.user(), world.merchant.store_id)
            .await
            .expect("states");
        assert!(states.iter().all(|state| !state.confirmed));
        assert_eq!(states.len(), 2);

        // Saved again, the same addresses are not asked again.
        save_lists(&world, STRANGER, BYSTANDER).await;
        world.sink.refuse(CUSTOMER);
        let id = world.issued().await;
        world.send(id, "unconfirmed").await;
        deliver(&world.services).await;
        deliver(&world.services).await;
        assert_eq!(outbox_to(&world.db, STRANGER).await, 0, "no copy queued");
        assert_eq!(outbox_to(&world.db, BYSTANDER).await, 0, "no notice queued");
        assert_eq!(outbox_to(&world.db, OWNER).await, 1, "the issuer is told");
        assert_eq!(world.sink.received_by(STRANGER).len(), 1);
        assert_eq!(world.sink.received_by(BYSTANDER).len(), 1);

        // Confirmed by its owner, the copy goes.
        let tokens = confirmation_tokens(&world.sink.received_by(STRANGER));
        AdminBackend::confirm_recipient(world.services.as_ref(), tokens[0].clone())
            .await
            .expect("confirmed");
        world.send(id, "confirmed").await;
        assert_eq!(outbox_to(&world.db, STRANGER).await, 1);
    }
}

#[tokio::test]
async fn confirmation_requests_are_spaced_an_hour_apart_and_three_at_most() {
    for db in databases().await {
        let world = World::new(db).await;
        save_lists(&world, STRANGER, "").await;
        let store_id = world.merchant.store_id;
        let resend = |address: &str| {
            AdminBackend::resend_recipient_confirmation(
                world.services.as_ref(),
                world.user(),
                store_id,
                address.to_owned(),
            )
        };
        let an_hour_passes = || async {
            sqlx::query("UPDATE recipient_confirmations SET requested_at = requested_at - 3600000")
                .execute(&world.db.pool)
                .await
                .expect("time passes");
        };
        assert_eq!(
            refusal(resend(STRANGER).await, "address"),
            Problem::ConfirmationRecentlySent { minutes: 60 }
        );
        an_hour_passes().await;
        resend(STRANGER).await.expect("second request");
        an_hour_passes().await;
        resend(STRANGER).await.expect("third request");
        an_hour_passes().await;
        assert_eq!(
            refusal(resend(STRANGER).await, "address"),
            Problem::ConfirmationLimitReached
        );
        assert_eq!(world.sink.received_by(STRANGER).len(), 3);
        assert_eq!(
            refusal(resend(BYSTANDER).await, "address"),
            Problem::UnknownRecipient
        );
        assert!(world.sink.received_by(BYSTANDER).is_empty());
    }
}

#[tokio::test]
async fn one_organisation_sends_at_most_twenty_confirmation_requests_a_day() {
    for db in databases().await {
        let world = World::new(db).await;
        let list = |name: &str| {
            (0..20)
                .map(|n| format!("{name}-{n}@victim.example"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        save_lists(&world, &list("copy"), &list("notice")).await;
        assert_eq!(world.sink.received().len(), 20);
        let states = world
            .services
            .recipient_states(world.user(), world.merchant.store_id)
            .await
            .expect("states");
        assert_eq!(states.len(), 40);
        assert!(states.iter().all(|state| !state.confirmed));
        let waiting_without_request = "notice-19@victim.example";
        assert!(world.sink.received_by(waiting_without_request).is_empty());
        assert_eq!(
            refusal(
                AdminBackend::resend_recipient_confirmation(
                    world.services.as_ref(),
                    world.user(),
                    world.merchant.store_id,
                    waiting_without_request.to_owned(),
                )
                .await,
                "address"
            ),
            Problem::ConfirmationsUsedToday
        );
    }
}

#[tokio::test]
async fn a_confirmation_link_confirms_only_when_pressed_and_expires_after_seven_days() {
    for db in databases().await {
        let world = World::new(db).await;
        save_lists(&world, STRANGER, "").await;
        let token = confirmation_tokens(&world.sink.received_by(STRANGER))[0].clone();
        let router = router(world.services.clone());
        // Opening the link (as a mail scanner does) confirms nothing.
        let page = get(&router, &format!("/confirm-recipient/{token}"), None).await;
        assert_eq!(page.status(), StatusCode::OK);
        let confirmed = || async {
            world
                .services
                .recipient_states(world.user(), world.merchant.store_id)
                .await
                .expect("states")[0]
                .confirmed
        };
        assert!(!confirmed().await);
        sqlx::query("UPDATE recipient_confirmations SET requested_at = requested_at - 604800001")
            .execute(&world.db.pool)
            .await
            .expect("a week passes");
        assert_eq!(
            refusal(
                AdminBackend::confirm_recipient(world.services.as_ref(), token.clone()).await,
                "token"
            ),
            Problem::ConfirmationLinkInvalid
        );
        assert_eq!(
            refusal(
                AdminBackend::confirm_recipient(world.services.as_ref(), "forged".into()).await,
                "token"
            ),
            Problem::ConfirmationLinkInvalid
        );
        assert!(!confirmed().await);
    }
}

#[tokio::test]
async fn change_feeds_share_one_watcher_per_organisation_and_a_session_opens_at_most_five() {
    for db in databases().await {
        let world = World::new(db).await;
        let router = router(world.services.clone());
        let session = world.merchant.session.clone();
        let mut open = Vec::new();
        for _ in 0..MAX_FEEDS_PER_SESSION {
            let feed = get(&router, CHANGES_PATH, Some(&session)).await;
            assert_eq!(feed.status(), StatusCode::OK);
            open.push(feed);
        }
        let one_too_many = get(&router, CHANGES_PATH, Some(&session)).await;
        assert_eq!(one_too_many.status(), StatusCode::TOO_MANY_REQUESTS);

        let (other_session, _) = world
            .services
            .login(
                OWNER.into(),
                "correct horse battery".into(),
                "127.0.0.1".into(),
            )
            .await
            .expect("signed in again");
        let other_tab = get(&router, CHANGES_PATH, Some(&other_session)).await;
        assert_eq!(other_tab.status(), StatusCode::OK);
        open.push(other_tab);
        assert_eq!(world.services.live.watchers_started(), 1);

        // Closed feeds free their places, and their watcher.
        drop(open);
        let reopened = get(&router, CHANGES_PATH, Some(&session)).await;
        assert_eq!(reopened.status(), StatusCode::OK);
        assert_eq!(world.services.live.watchers_started(), 2);
    }
}

fn header_of(response: &axum::response::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn admin_pages_refuse_framing_sniffing_and_scripts_without_their_nonce() {
    for db in databases().await {
        let world = World::new(db).await;
        let admin = router(world.services.clone());
        let page = get(&admin, "/login", None).await;
        let policy = header_of(&page, "content-security-policy").expect("a policy");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("connect-src 'self'"), "{policy}");
        assert!(!policy.contains("'unsafe-inline' 'wasm"), "{policy}");
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce")
            .to_owned();
        assert_eq!(
            header_of(&page, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(
            header_of(&page, "referrer-policy").as_deref(),
            Some("same-origin")
        );
        assert_eq!(header_of(&page, "x-frame-options").as_deref(), Some("DENY"));
        assert_eq!(header_of(&page, "strict-transport-security"), None);
        let html = body_text(page).await;
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "the page's scripts carry the nonce"
        );
        let again = get(&admin, "/login", None).await;
        let other_policy = header_of(&again, "content-security-policy").expect("a policy");
        assert!(!other_policy.contains(&nonce), "a nonce per response");

        // Pages rendered at once each name their own scripts' nonce.
        let pages = futures::future::join_all((0..16).map(|_| get(&admin, "/login", None))).await;
        for page in pages {
            let policy = header_of(&page, "content-security-policy").expect("a policy");
            let nonce = policy
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .expect("a nonce in every page's policy")
                .to_owned();
            assert!(body_text(page)
                .await
                .contains(&format!("nonce=\"{nonce}\"")));
        }

        // A PDF or a server function gets a policy too; HSTS over https only.
        let mut secure =
            crate::support::services(world.db.clone(), "http://127.0.0.1:9", world.sink.port);
        secure.config.admin_url = "https://admin.test".into();
        let secure_router = router(std::sync::Arc::new(secure));
        let pdf = get(&secure_router, "/invoices/1/pdf", None).await;
        assert!(header_of(&pdf, "content-security-policy")
            .is_some_and(|policy| policy.contains("frame-ancestors 'none'")));
        assert_eq!(
            header_of(&pdf, "strict-transport-security").as_deref(),
            Some("max-age=31536000")
        );
    }
}

/// Every link token in `text`: what follows each `/i/`.
fn tokens_in(text: &str) -> Vec<String> {
    text.split("/i/")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn no_stored_email_holds_a_link_that_opens_the_invoice() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_store(|store| store.copies_to = "archivio@bottega.it".into())
            .await;
        let id = world.issued().await;
        world.send(id, "sent").await;
        deliver(&world.services).await;
        let keys = &world.services.config.link_keys;
        for address in [CUSTOMER, "archivio@bottega.it"] {
            let received = world.mail_to(address);
            let token = tokens_in(&received[0].text())[0].clone();
            assert!(
                keys.verify(&token).is_some(),
                "{address} got a working link"
            );
        }
        let stored: Vec<(String, String, String)> =
            sqlx::query_as("SELECT subject, body_text, body_html FROM outbox")
                .fetch_all(&world.db.pool)
                .await
                .expect("outbox");
        assert_eq!(stored.len(), 2);
        for (subject, text, html) in stored {
            for column in [subject, text, html] {
                for token in tokens_in(&column) {
                    assert_eq!(keys.verify(&token), None, "{token} is stored");
                }
            }
        }
    }
}
