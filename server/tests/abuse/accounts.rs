//! Attacks on accounts: raced and flooded sign-ins, forged client addresses,
//! sign-up probing for accounts, reset links replayed or late, removed staff
//! and staff re-routing a store's emails, and an unconfirmed account sending.

use std::net::SocketAddr;
use std::sync::Arc;

use app::api::{AdminBackend, AdminError, CurrentUser};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use invoice::account::{NewUserInput, SignupInput};
use invoice::email::EmailPurpose;
use invoice::problem::Problem;
use server::auth::{self, PasswordHashing};
use server::config::parse_trusted_proxies;
use server::db::{accounts, now_ms, Db};
use server::services::Services;
use tower::ServiceExt;

use super::{count, refusal};
use crate::support::smtp::SmtpSink;
use crate::support::{
    self, body_bytes, databases, get, issued_invoice, FakeEdge, World, CUSTOMER, OWNER,
};

const PASSWORD: &str = "correct horse battery";

/// Services on `db` whose emails go to a new sink, with `permits` hashes at once.
async fn services_with(db: Db, permits: usize) -> (Arc<Services>, SmtpSink) {
    let (_edge, edge_url) = FakeEdge::start().await;
    let sink = SmtpSink::start().await;
    let mut services = support::services(db, &edge_url, sink.port);
    services.hashing = PasswordHashing::new(permits);
    (Arc::new(services), sink)
}

async fn session_user(services: &Services, session: &str) -> Option<CurrentUser> {
    accounts::session_user(&services.db, &auth::token_hash(session), now_ms())
        .await
        .expect("session look-up")
}

const STAFF_EMAIL: &str = "luca@bottega.it";
const STAFF_PASSWORD: &str = "luca's long password";

/// A staff member the owner added, signed in: their id, session and user.
pub(crate) async fn signed_in_staff(world: &World) -> (i64, String, CurrentUser) {
    let services = &world.services;
    let staff_id = services
        .add_user(
            world.user(),
            NewUserInput {
                name: "Luca".into(),
                email: STAFF_EMAIL.into(),
                password: STAFF_PASSWORD.into(),
            },
        )
        .await
        .expect("added");
    let (session, _) = services
        .login(
            STAFF_EMAIL.into(),
            STAFF_PASSWORD.into(),
            "192.0.2.1".into(),
        )
        .await
        .expect("signed in");
    let staff = session_user(services, &session).await.expect("live");
    (staff_id, session, staff)
}

/// The token of the one account link in an email's text.
fn link_token(text: &str) -> String {
    let start = text.find("token=").expect("a link with a token") + "token=".len();
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .expect("the token")
        .to_owned()
}

/// The sign-in form as a browser posts it, from `peer`, with what an
/// attacker may write into `X-Forwarded-For`.
fn login_request(email: &str, password: &str, peer: &str, forwarded_for: &str) -> Request<Body> {
    use leptos::server_fn::ServerFn;
    let form = format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        password.replace(' ', "+")
    );
    let mut request = Request::post(<app::api::Login as ServerFn>::PATH)
        .header(header::HOST, "admin.test")
        .header(header::ORIGIN, "http://admin.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", forwarded_for)
        .body(Body::from(form))
        .expect("request");
    let peer: SocketAddr = format!("{peer}:40000").parse().expect("peer");
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

/// Whether the answer set a session cookie, and the problem with the password.
async fn login_answer(router: &axum::Router, request: Request<Body>) -> (bool, Option<Problem>) {
    let response = router.clone().oneshot(request).await.expect("response");
    let signed_in = response.headers().contains_key(header::SET_COOKIE);
    let body = body_bytes(response).await;
    let problem = serde_json::from_slice::<AdminError>(&body)
        .ok()
        .and_then(|error| error.field("password").map(|field| field.problem.clone()));
    (signed_in, problem)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_parallel_wrong_passwords_get_five_checked_and_the_rest_refused_unhashed() {
    for db in databases().await {
        // Permits for all 200: only the attempt count can stop them.
        let (services, _sink) = services_with(db, 256).await;
        support::sign_up(&services, OWNER, CUSTOMER).await;
        let hashed_before = services.hashing.started();
        let attempts = (0..200).map(|_| {
            let services = services.clone();
            tokio::spawn(async move {
                services
                    .login(
                        OWNER.into(),
                        "wrong password!".into(),
                        "198.51.100.7".into(),
                    )
                    .await
            })
        });
        let mut wrong = 0;
        let mut limited = 0;
        for attempt in futures::future::join_all(attempts).await {
            match refusal(attempt.expect("task"), "password") {
                Problem::WrongCredentials => wrong += 1,
                Problem::TooManyAttempts { minutes: 15 } => limited += 1,
                other => panic!("unexpected refusal {other:?}"),
            }
        }
        assert_eq!((wrong, limited), (5, 195));
        assert_eq!(
            services.hashing.started() - hashed_before,
            5,
            "only the attempts within the limit were hashed"
        );
    }
}

#[tokio::test]
async fn sign_ins_over_the_hashing_cap_are_refused_at_once_not_queued() {
    for db in databases().await {
        let (services, _sink) = services_with(db, 2).await;
        support::sign_up(&services, OWNER, CUSTOMER).await;
        let held = [
            services.hashing.try_permit().expect("a permit"),
            services.hashing.try_permit().expect("another permit"),
        ];
        assert!(services.hashing.try_permit().is_none(), "the cap is two");
        let hashed_before = services.hashing.started();
        for attempt in 0..3 {
            let busy = services
                .login(OWNER.into(), PASSWORD.into(), "198.51.100.7".into())
                .await;
            assert_eq!(refusal(busy, "password"), Problem::SignInBusy, "{attempt}");
        }
        let signup = services
            .signup(SignupInput {
                business_name: "Flood".into(),
                name: "Flood".into(),
                email: "flood@example.com".into(),
                password: "a long flood password".into(),
                language: "en".into(),
            })
            .await;
        assert_eq!(refusal(signup, "password"), Problem::SignInBusy);
        assert_eq!(services.hashing.started(), hashed_before, "nothing hashed");
        drop(held);
        services
            .login(OWNER.into(), PASSWORD.into(), "198.51.100.7".into())
            .await
            .expect("refusals over the cap do not count as failures");
    }
}

#[tokio::test]
async fn a_forged_x_forwarded_for_from_an_untrusted_peer_is_ignored() {
    for db in databases().await {
        let world = World::new(db).await;
        let router = support::router(world.services.clone());
        // No TRUSTED_PROXIES: every header is the attacker's own words.
        for attempt in 0..20 {
            let (signed_in, problem) = login_answer(
                &router,
                login_request(
                    &format!("guess{attempt}@bottega.it"),
                    "wrong password!",
                    "203.0.113.9",
                    &format!("192.0.2.{attempt}"),
                ),
            )
            .await;
            assert!(!signed_in);
            assert_eq!(problem, Some(Problem::WrongCredentials), "{attempt}");
        }
        let (signed_in, problem) = login_answer(
            &router,
            login_request(OWNER, PASSWORD, "203.0.113.9", "192.0.2.200"),
        )
        .await;
        assert!(!signed_in);
        assert_eq!(problem, Some(Problem::TooManyAttempts { minutes: 15 }));
    }
}

#[tokio::test]
async fn behind_a_trusted_load_balancer_one_attacker_cannot_lock_other_merchants_out() {
    for db in databases().await {
        let (_edge, edge_url) = FakeEdge::start().await;
        let mut services = support::services(db, &edge_url, SmtpSink::closed_port());
        services.config.trusted_proxies = parse_trusted_proxies("10.0.0.0/8").expect("proxies");
        let services = Arc::new(services);
        support::sign_up(&services, OWNER, CUSTOMER).await;
        let router = support::router(services.clone());
        // The attacker writes an address of their own before the one the
        // load balancer appends: only the appended one counts.
        for attempt in 0..20 {
            let (_, problem) = login_answer(
                &router,
                login_request(
                    &format!("guess{attempt}@bottega.it"),
                    "wrong password!",
                    "10.0.0.2",
                    &format!("192.0.2.{attempt}, 198.51.100.66"),
                ),
            )
            .await;
            assert_eq!(problem, Some(Problem::WrongCredentials), "{attempt}");
        }
        let (_, problem) = login_answer(
            &router,
            login_request(
                "guess@bottega.it",
                "wrong password!",
                "10.0.0.2",
                "198.51.100.66",
            ),
        )
        .await;
        assert_eq!(problem, Some(Problem::TooManyAttempts { minutes: 15 }));
        let (signed_in, problem) = login_answer(
            &router,
            login_request(OWNER, PASSWORD, "10.0.0.2", "203.0.113.50"),
        )
        .await;
        assert_eq!(
            (signed_in, problem),
            (true, None),
            "the merchant is not locked out"
        );
    }
}

#[tokio::test]
async fn signing_up_with_an_existing_address_reveals_nothing_and_emails_its_owner() {
    use leptos::server_fn::ServerFn;
    for db in databases().await {
        let world = World::new(db).await;
        let router = support::router(world.services.clone());
        let signup = |email: &str| {
            let form = format!(
                "business_name=Other&name=Mallory&email={}&password=another+long+password&language=en",
                email.replace('@', "%40")
            );
            Request::post(<app::api::Signup as ServerFn>::PATH)
                .header(header::HOST, "admin.test")
                .header(header::ORIGIN, "http://admin.test")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "text/html")
                .body(Body::from(form))
                .expect("request")
        };
        let mut answers = Vec::new();
        for email in ["OWNER@bottega.it", "new@shop.example"] {
            let response = router
                .clone()
                .oneshot(signup(email))
                .await
                .expect("response");
            let status = response.status();
            let location = response.headers().get(header::LOCATION).cloned();
            let session = response
                .headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .any(|cookie| cookie.as_bytes().starts_with(b"invio_session="));
            answers.push((status, location, session, body_bytes(response).await));
        }
        assert_eq!(answers[0], answers[1], "the same answer for both addresses");
        assert_eq!(answers[0].0, StatusCode::FOUND);
        assert_eq!(
            answers[0].1.as_ref().and_then(|value| value.to_str().ok()),
            Some(app::api::CHECK_EMAIL_PATH)
        );
        assert!(!answers[0].2, "neither is signed in");

        let to_owner = world.sink.account_emails_to(OWNER);
        let warning = to_owner.last().expect("the owner is told");
        assert_eq!(
            warning.subject(),
            "Qualcuno ha provato a creare un account Invio con il tuo indirizzo"
        );
        assert!(warning.text().contains("/forgot-password"));
        let confirm = world.sink.account_emails_to("new@shop.example");
        assert_eq!(confirm.len(), 1);
        assert_eq!(confirm[0].subject(), "Confirm your email address for Invio");
        assert_eq!(
            count(&world.db, "SELECT COUNT(*) FROM organisations").await,
            2,
            "the owner's and the new address's; none for the taken address"
        );
        world
            .services
            .login(OWNER.into(), PASSWORD.into(), "192.0.2.1".into())
            .await
            .expect("the owner's password is unchanged");
    }
}

#[tokio::test]
async fn a_reset_link_works_once_within_its_hour_and_ends_every_session() {
    for db in databases().await {
        let world = World::new(db).await;
        let services = &world.services;
        let (other_device, _) = services
            .login(OWNER.into(), PASSWORD.into(), "192.0.2.1".into())
            .await
            .expect("signed in");
        services
            .forgot_password("nobody@nowhere.example".into())
            .await
            .expect("the same answer for an unknown address");
        assert!(world
            .sink
            .account_emails_to("nobody@nowhere.example")
            .is_empty());
        services
            .forgot_password(" Owner@Bottega.it ".into())
            .await
            .expect("sent");
        let email = world
            .sink
            .account_emails_to(OWNER)
            .pop()
            .expect("a reset email");
        assert_eq!(email.subject(), "Reimposta la password di Invio");
        let token = link_token(&email.text());

        let short = services.reset_password(token.clone(), "short".into()).await;
        assert_eq!(
            refusal(short, "password"),
            Problem::PasswordTooShort { min: 10 }
        );
        services
            .reset_password(token.clone(), "a brand new password".into())
            .await
            .expect("reset");
        assert!(session_user(services, &world.merchant.session)
            .await
            .is_none());
        assert!(session_user(services, &other_device).await.is_none());
        let again = services
            .reset_password(token, "yet another password".into())
            .await;
        assert_eq!(refusal(again, "password"), Problem::AccountLinkInvalid);
        services
            .login(OWNER.into(), PASSWORD.into(), "192.0.2.2".into())
            .await
            .expect_err("the old password is gone");
        services
            .login(
                OWNER.into(),
                "a brand new password".into(),
                "192.0.2.3".into(),
            )
            .await
            .expect("the new password signs in");

        // A link an hour old.
        services.forgot_password(OWNER.into()).await.expect("sent");
        let late = link_token(
            &world
                .sink
                .account_emails_to(OWNER)
                .pop()
                .expect("email")
                .text(),
        );
        sqlx::query("UPDATE account_tokens SET expires_at = $1 WHERE token_hash = $2")
            .bind(now_ms() - 1)
            .bind(auth::token_hash(&late))
            .execute(&world.db.pool)
            .await
            .expect("an hour passes");
        let expired = services
            .reset_password(late, "too late password".into())
            .await;
        assert_eq!(refusal(expired, "password"), Problem::AccountLinkInvalid);
    }
}

#[tokio::test]
async fn a_reset_email_that_cannot_be_sent_says_so_and_an_inbox_cannot_be_flooded() {
    for db in databases().await {
        let world = World::new(db.clone()).await;
        for _ in 0..3 {
            world
                .services
                .forgot_password(OWNER.into())
                .await
                .expect("sent");
        }
        world
            .services
            .forgot_password(OWNER.into())
            .await
            .expect("the same answer");
        // The sign-up confirmation was one of the three allowed in the window.
        assert_eq!(world.sink.account_emails_to(OWNER).len(), 3);

        let (_edge, edge_url) = FakeEdge::start().await;
        let down = support::services(db, &edge_url, SmtpSink::closed_port());
        let unsent = down.forgot_password("other@shop.es".into()).await;
        assert_eq!(unsent, Ok(()), "an unknown address: no email to fail");
        down.signup(SignupInput {
            business_name: "Shop".into(),
            name: "Ana".into(),
            email: "ana@shop.es".into(),
            password: "a long enough password".into(),
            language: "es".into(),
        })
        .await
        .expect("signed up; the confirmation can be sent again later");
        let unsent = down.forgot_password("ana@shop.es".into()).await;
        assert_eq!(refusal(unsent, "email"), Problem::AccountEmailNotSent);
    }
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_and_signing_out_everywhere_ends_all() {
    for db in databases().await {
        let world = World::new(db).await;
        let services = &world.services;
        let this_device = world.merchant.session.clone();
        let (other_device, _) = services
            .login(OWNER.into(), PASSWORD.into(), "192.0.2.1".into())
            .await
            .expect("signed in");
        let owner = world.user();
        let wrong = services
            .change_password(
                owner,
                &this_device,
                "not my password".into(),
                "a brand new password".into(),
                "192.0.2.1".into(),
            )
            .await;
        assert_eq!(
            refusal(wrong, "current_password"),
            Problem::WrongCredentials
        );
        assert!(session_user(services, &other_device).await.is_some());
        services
            .change_password(
                owner,
                &this_device,
                PASSWORD.into(),
                "a brand new password".into(),
                "192.0.2.1".into(),
            )
            .await
            .expect("changed");
        assert!(session_user(services, &other_device).await.is_none());
        assert!(session_user(services, &this_device).await.is_some());
        services
            .sign_out_everywhere(owner)
            .await
            .expect("signed out");
        assert!(session_user(services, &this_device).await.is_none());
    }
}

#[tokio::test]
async fn a_removed_staff_members_session_stops_working_at_once() {
    for db in databases().await {
        let world = World::new(db).await;
        let services = &world.services;
        let router = support::router(services.clone());
        let (staff_id, session, staff) = signed_in_staff(&world).await;
        assert_eq!(
            get(&router, "/invoices", Some(&session)).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            services.remove_user(&staff, world.user().id).await,
            Err(AdminError::OwnerOnly)
        );
        assert_eq!(
            services.remove_user(world.user(), world.user().id).await,
            Err(AdminError::NotFound),
            "the owner is not staff"
        );
        services
            .remove_user(world.user(), staff_id)
            .await
            .expect("removed");
        let page = get(&router, "/invoices", Some(&session)).await;
        assert_eq!(page.status(), StatusCode::SEE_OTHER);
        assert_eq!(page.headers()[header::LOCATION], "/login");
        let again = services
            .login(
                STAFF_EMAIL.into(),
                STAFF_PASSWORD.into(),
                "192.0.2.2".into(),
            )
            .await;
        assert_eq!(refusal(again, "password"), Problem::WrongCredentials);
        let users = services.list_users(world.user()).await.expect("users");
        assert_eq!(users.len(), 1, "only the owner is listed");
    }
}

#[tokio::test]
async fn staff_cannot_change_where_a_stores_emails_and_replies_go() {
    for db in databases().await {
        let world = World::new(db).await;
        let services = &world.services;
        let (_, _, staff) = signed_in_staff(&world).await;
        let store_id = world.merchant.store_id;
        let stored = services.get_store(&staff, store_id).await.expect("store");
        let changes: [fn(&mut invoice::store::StoreInput); 4] = [
            |store| store.reply_to = "spy@evil.example".into(),
            |store| store.copies_to = "spy@evil.example".into(),
            |store| store.failure_notify = "spy@evil.example".into(),
            |store| store.email_enabled = !store.email_enabled,
        ];
        for change in changes {
            let mut input = stored.clone();
            change(&mut input);
            assert_eq!(
                services
                    .save_store(&staff, Some(store_id), input.clone())
                    .await,
                Err(AdminError::OwnerOnly)
            );
            assert_eq!(
                services.save_store(&staff, None, input).await,
                Err(AdminError::OwnerOnly),
                "nor through a new store"
            );
        }
        assert_eq!(
            services.get_store(&staff, store_id).await.expect("store"),
            stored,
            "nothing changed"
        );
        let mut renamed = stored.clone();
        renamed.name = "Bottega Rossi Centro".into();
        renamed.email_subject = "La tua fattura {number}".into();
        services
            .save_store(&staff, Some(store_id), renamed)
            .await
            .expect("staff change the rest");
        let mut routed = stored;
        routed.reply_to = "conti@bottega.it".into();
        services
            .save_store(world.user(), Some(store_id), routed)
            .await
            .expect("the owner changes routing");
    }
}

#[tokio::test]
async fn an_account_sends_no_invoice_email_until_its_owner_confirms_the_address() {
    for db in databases().await {
        let (services, sink) = services_with(db.clone(), 8).await;
        services
            .signup(SignupInput {
                business_name: "Spam Ltd".into(),
                name: "Spammer".into(),
                email: "spam@spam.example".into(),
                password: "a long spam password".into(),
                language: "en".into(),
            })
            .await
            .expect("signed up");
        let (session, _) = services
            .login(
                "spam@spam.example".into(),
                "a long spam password".into(),
                "192.0.2.1".into(),
            )
            .await
            .expect("signs in before confirming");
        let owner = session_user(&services, &session).await.expect("live");
        assert!(!owner.owner_confirmed, "the admin shows the banner");
        let store_id = services.list_stores(&owner).await.expect("stores")[0].id;
        let customer_id = services
            .save_customer(
                &owner,
                None,
                invoice::customer::CustomerInput {
                    name: "Victim".into(),
                    email: CUSTOMER.into(),
                    language: "en".into(),
                    email_invoices: true,
                    ..Default::default()
                },
            )
            .await
            .expect("customer");
        let merchant = support::Merchant {
            owner: owner.clone(),
            session,
            store_id,
            customer_id,
        };
        let draft = services
            .save_draft(&owner, None, 0, support::draft(&merchant))
            .await
            .expect("draft");
        let automatic = services.issue_invoice(&owner, draft, 1).await;
        assert_eq!(refusal(automatic, "invoice"), Problem::EmailNotConfirmed);
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM invoices WHERE number IS NOT NULL"
            )
            .await,
            0,
            "an issue that would send stays a draft"
        );
        services
            .save_customer(
                &owner,
                Some(customer_id),
                invoice::customer::CustomerInput {
                    name: "Victim".into(),
                    email: CUSTOMER.into(),
                    language: "en".into(),
                    email_invoices: false,
                    ..Default::default()
                },
            )
            .await
            .expect("customer");
        let id = issued_invoice(&services, &merchant).await;
        let sent = support::send(&services, &owner, id, EmailPurpose::Invoice, "spam").await;
        assert_eq!(refusal(sent, "invoice"), Problem::EmailNotConfirmed);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM outbox").await, 0);

        let confirmation = sink
            .account_emails_to("spam@spam.example")
            .pop()
            .expect("the confirmation email");
        let token = link_token(&confirmation.text());
        assert_eq!(
            services.confirm_email("not-a-token".into()).await,
            Err(AdminError::invalid("token", Problem::AccountLinkInvalid))
        );
        services
            .confirm_email(token.clone())
            .await
            .expect("confirmed");
        assert_eq!(
            services.confirm_email(token).await,
            Err(AdminError::invalid("token", Problem::AccountLinkInvalid)),
            "single use"
        );
        support::send(&services, &owner, id, EmailPurpose::Invoice, "now")
            .await
            .expect("sent once confirmed");
        assert!(
            session_user(&services, &merchant.session)
                .await
                .expect("live")
                .owner_confirmed
        );
    }
}
