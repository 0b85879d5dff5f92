//! The abuse suite, on every engine: what an attacker sends the server, and
//! the exact refusal each gets. Covered beside the code it attacks:
//! - forged, tampered and random link tokens at the edge, which never reach
//!   storage or the server, and markup in a published invoice on the
//!   customer's page: `edge/src/handler.rs`;
//! - stale, unsigned and replayed publications at the edge: the same file;
//! - every server function called with another organisation's ids:
//!   `workspace.rs` (`every_entity_of_another_organisation_is_not_found`),
//!   completed here by ids mixed across organisations in one call;
//! - a batch over `MAX_BATCH_EVENTS`: `tracking.rs`;
//! - markup and PDF syntax in the text a PDF shows: `invoice/src/pdf.rs`;
//! - parsers under random input: `invoice/fuzz`;
//! - bulk selections past their bound or naming another organisation's
//!   invoices, exports of years or of another's store, and formulas in
//!   exported cells: `abuse/bulk.rs`.

mod support;

#[path = "abuse/accounts.rs"]
mod accounts;
#[path = "abuse/bulk.rs"]
mod bulk;
#[path = "abuse/credit_notes.rs"]
mod credit_notes;
#[path = "abuse/fatturapa.rs"]
mod fatturapa;
#[path = "abuse/flood.rs"]
mod flood;
#[path = "abuse/notifications.rs"]
mod notifications;
#[path = "abuse/sdi.rs"]
mod sdi;
#[path = "abuse/sending.rs"]
mod sending;
#[path = "abuse/verifactu.rs"]
mod verifactu;
#[path = "abuse/verifactu_chains.rs"]
mod verifactu_chains;

use app::api::{AdminBackend, AdminError};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use invoice::customer::CustomerInput;
use invoice::email::{EmailPurpose, SendInput};
use invoice::events::{
    EdgeEvent, EventBatch, FreshLinkRequest, EVENTS_PATH, FRESH_LINK_PATH, LINK_LOOKUP_PATH,
};
use invoice::payment::PaymentInput;
use invoice::problem::Problem;
use invoice::signing::MAX_SKEW_SECONDS;
use server::db::{now_ms, random_id, Db};
use support::{
    body_bytes, body_text, databases, deliver, draft, get, issued_invoice, person_opened, router,
    sign_up, signed_request, World, CUSTOMER, EDGE_SECRET,
};
use tower::ServiceExt;

const SCRIPT: &str = r#"<script>alert("invio")</script>"#;
const IMAGE: &str = "<img src=x onerror=alert(1)>";
const INJECTED: &str = "\r\nBcc: spy@evil.example";

/// The problem `field` names in a refusal.
fn refusal<T: std::fmt::Debug>(result: Result<T, AdminError>, field: &str) -> Problem {
    let error = result.expect_err("refused");
    error
        .field(field)
        .unwrap_or_else(|| panic!("no problem with {field} in {error:?}"))
        .problem
        .clone()
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

/// An invoice sent to the customer; its id and the link's id.
async fn sent_invoice(world: &World) -> (i64, String) {
    let id = world.issued().await;
    world.send(id, &format!("sent-{id}")).await;
    let link: String = sqlx::query_scalar("SELECT id FROM links WHERE invoice_id = $1")
        .bind(id)
        .fetch_one(&world.db.pool)
        .await
        .expect("link");
    (id, link)
}

async fn status(router: &axum::Router, request: Request<Body>) -> StatusCode {
    router
        .clone()
        .oneshot(request)
        .await
        .expect("response")
        .status()
}

#[tokio::test]
async fn event_batches_that_are_forged_stale_malformed_oversized_or_replayed_change_nothing() {
    for db in databases().await {
        let world = World::new(db).await;
        let (_, link) = sent_invoice(&world).await;
        let router = router(world.services.clone());
        let now = now_ms() / 1000;
        let batch = serde_json::to_vec(&EventBatch {
            events: vec![person_opened(&link)],
        })
        .expect("json");
        let post = |body: &[u8], secret: &[u8], timestamp: i64| {
            signed_request("POST", EVENTS_PATH, body, secret, timestamp)
        };

        let unsigned = Request::post(EVENTS_PATH)
            .body(Body::from(batch.clone()))
            .expect("request");
        let another_batch = serde_json::to_vec(&EventBatch {
            events: vec![person_opened(&link)],
        })
        .expect("json");
        let mut other_body = post(&batch, EDGE_SECRET, now);
        *other_body.body_mut() = Body::from(another_batch);
        let mut other_path = signed_request("POST", FRESH_LINK_PATH, &batch, EDGE_SECRET, now);
        *other_path.uri_mut() = EVENTS_PATH.parse().expect("uri");
        let forged = [
            ("unsigned", unsigned),
            (
                "another secret",
                post(&batch, b"a-guess-at-the-edge-secret-!!!!!!!", now),
            ),
            ("signature over another body", other_body),
            ("signed for another path", other_path),
            (
                "stale",
                post(&batch, EDGE_SECRET, now - MAX_SKEW_SECONDS - 60),
            ),
            (
                "from the future",
                post(&batch, EDGE_SECRET, now + MAX_SKEW_SECONDS + 60),
            ),
        ];
        for (case, request) in forged {
            assert_eq!(
                status(&router, request).await,
                StatusCode::UNAUTHORIZED,
                "{case}"
            );
        }
        assert_eq!(
            count(
                &world.db,
                "SELECT COUNT(*) FROM events WHERE link_id IS NOT NULL"
            )
            .await,
            0
        );

        for (case, body) in [
            ("not JSON", b"\x00\xffnot json".to_vec()),
            ("not a batch", br#"{"events":[{"id":1}]}"#.to_vec()),
            ("a list, not a batch", b"[]".to_vec()),
            ("an unknown kind", br#"{"events":[{"id":"e","link_id":"l","kind":"paid","automated":false,"at_ms":1,"device":"phone","browser":"x"}]}"#.to_vec()),
        ] {
            assert_eq!(
                status(&router, post(&body, EDGE_SECRET, now)).await,
                StatusCode::BAD_REQUEST,
                "{case}"
            );
        }
        let huge = vec![b' '; 3 * 1024 * 1024];
        assert_eq!(
            status(&router, post(&huge, EDGE_SECRET, now)).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "a body over the server's limit is refused before it is read"
        );

        for _ in 0..3 {
            assert_eq!(
                status(&router, post(&batch, EDGE_SECRET, now)).await,
                StatusCode::NO_CONTENT,
                "a replay is acknowledged, so the edge stops sending it"
            );
        }
        assert_eq!(
            count(
                &world.db,
                "SELECT COUNT(*) FROM events WHERE link_id IS NOT NULL"
            )
            .await,
            1,
            "and kept once"
        );

        let stranger = serde_json::to_vec(&EventBatch {
            events: vec![
                person_opened(&"ab".repeat(16)),
                person_opened("'; DROP TABLE events; --"),
            ],
        })
        .expect("json");
        assert_eq!(
            status(&router, post(&stranger, EDGE_SECRET, now)).await,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            count(
                &world.db,
                "SELECT COUNT(*) FROM events WHERE link_id IS NOT NULL"
            )
            .await,
            1,
            "events of links the server never made are dropped"
        );
    }
}

#[tokio::test]
async fn the_edges_link_lookup_and_fresh_link_request_answer_only_the_edge() {
    for db in databases().await {
        let world = World::new(db).await;
        let (_, link) = sent_invoice(&world).await;
        deliver(&world.services).await;
        let emails = world.sink.received().len();
        let router = router(world.services.clone());
        let now = now_ms() / 1000;
        let lookup = |link: &str, secret: &[u8]| {
            signed_request(
                "GET",
                &format!("{LINK_LOOKUP_PATH}/{link}"),
                b"",
                secret,
                now,
            )
        };

        let unsigned = Request::get(format!("{LINK_LOOKUP_PATH}/{link}"))
            .body(Body::empty())
            .expect("request");
        assert_eq!(status(&router, unsigned).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            status(
                &router,
                lookup(&link, b"a-guess-at-the-edge-secret-!!!!!!!")
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
        for unknown in [
            "0".repeat(32),
            "zz".into(),
            "x".repeat(4_000),
            "%27%20OR%201=1".into(),
        ] {
            assert_eq!(
                status(&router, lookup(&unknown, EDGE_SECRET)).await,
                StatusCode::NOT_FOUND,
                "{unknown:.40}"
            );
        }

        let ask =
            |body: &[u8], secret: &[u8]| signed_request("POST", FRESH_LINK_PATH, body, secret, now);
        let request = serde_json::to_vec(&FreshLinkRequest {
            link_id: link.clone(),
        })
        .expect("json");
        let unsigned = Request::post(FRESH_LINK_PATH)
            .body(Body::from(request.clone()))
            .expect("request");
        assert_eq!(status(&router, unsigned).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            status(
                &router,
                ask(&request, b"a-guess-at-the-edge-secret-!!!!!!!")
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status(
                &router,
                ask(br#"{"email":"spy@evil.example"}"#, EDGE_SECRET)
            )
            .await,
            StatusCode::BAD_REQUEST,
            "a fresh link names a link, never an address"
        );
        let unknown = serde_json::to_vec(&FreshLinkRequest {
            link_id: "0".repeat(32),
        })
        .expect("json");
        assert_eq!(
            status(&router, ask(&unknown, EDGE_SECRET)).await,
            StatusCode::NOT_FOUND
        );
        deliver(&world.services).await;
        assert_eq!(world.sink.received().len(), emails, "nothing was sent");
    }
}

#[tokio::test]
async fn ids_of_another_organisation_mixed_into_a_merchants_own_request_are_not_found() {
    for db in databases().await {
        let world = World::new(db).await;
        let services = &world.services;
        let user = world.user();
        let (own_invoice, _) = sent_invoice(&world).await;

        let other = sign_up(services, "other@shop.es", "cliente@altro.es").await;
        services
            .save_customer(
                &other.owner,
                Some(other.customer_id),
                CustomerInput {
                    name: "Cliente Riservato".into(),
                    email: "cliente@altro.es".into(),
                    language: "es".into(),
                    tax_id: String::new(),
                    address: String::new(),
                    email_invoices: false,
                    ..CustomerInput::default()
                },
            )
            .await
            .expect("saved");
        let mut secret_draft = draft(&other);
        secret_draft.notes = "Nota riservata dell'altra bottega".into();
        let foreign_invoice = services
            .save_draft(&other.owner, None, 0, secret_draft)
            .await
            .expect("draft");
        services
            .issue_invoice(&other.owner, foreign_invoice, 1)
            .await
            .expect("issued");
        services
            .record_payment(
                &other.owner,
                foreign_invoice,
                PaymentInput {
                    amount: "10".into(),
                    date: "2026-11-20".into(),
                    method: "card".into(),
                    reference: String::new(),
                },
            )
            .await
            .expect("paid");
        let foreign_payment = services
            .get_invoice(&other.owner, foreign_invoice)
            .await
            .expect("invoice")
            .payments[0]
            .id;
        support::send(
            services,
            &other.owner,
            foreign_invoice,
            EmailPurpose::Invoice,
            "other",
        )
        .await
        .expect("queued");
        let foreign_link: String = sqlx::query_scalar("SELECT id FROM links WHERE invoice_id = $1")
            .bind(foreign_invoice)
            .fetch_one(&world.db.pool)
            .await
            .expect("link");

        let mut mixed = draft(&world.merchant);
        mixed.store_id = other.store_id.to_string();
        assert_eq!(
            refusal(services.save_draft(user, None, 0, mixed).await, "store_id"),
            Problem::UnknownStore
        );
        assert_eq!(
            services
                .delete_payment(user, own_invoice, foreign_payment)
                .await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            refusal(
                AdminBackend::revoke_link(
                    services.as_ref(),
                    user,
                    own_invoice,
                    foreign_link.clone()
                )
                .await,
                "link"
            ),
            Problem::LinkUnknown,
            "the same answer as for a link that never existed"
        );
        let choices = services.draft_choices(user).await.expect("choices");
        assert!(choices
            .stores
            .iter()
            .all(|store| store.id != other.store_id));
        assert!(choices
            .customers
            .iter()
            .all(|customer| customer.id != other.customer_id));

        // Nothing of the other organisation changed.
        let theirs = services
            .get_invoice(&other.owner, foreign_invoice)
            .await
            .expect("invoice");
        assert_eq!(theirs.payments.len(), 1);
        assert_eq!(
            count(
                &world.db,
                &format!(
                    "SELECT COUNT(*) FROM links WHERE id = '{foreign_link}' AND revoked_at IS NULL"
                ),
            )
            .await,
            1
        );

        // The pages and the PDF of another organisation's invoice and customer.
        let router = router(world.services.clone());
        let session = Some(world.merchant.session.as_str());
        assert_eq!(
            get(
                &router,
                &format!("/invoices/{foreign_invoice}/pdf"),
                session
            )
            .await
            .status(),
            StatusCode::NOT_FOUND
        );
        for path in [
            format!("/customers/{}/statement.pdf", other.customer_id),
            "/customers/999999/statement.pdf".to_owned(),
        ] {
            assert_eq!(
                get(&router, &path, session).await.status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        assert_eq!(
            services.home(user, Some(other.store_id)).await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            services.customer_account(user, other.customer_id).await,
            Err(AdminError::NotFound)
        );
        for foreign in [
            app::api::InvoiceFilter {
                customer: Some(other.customer_id),
                ..Default::default()
            },
            app::api::InvoiceFilter {
                store: Some(other.store_id),
                due: "open".into(),
                ..Default::default()
            },
        ] {
            let page = services
                .list_invoices(user, foreign.clone())
                .await
                .expect("list");
            assert_eq!((page.count, page.rows.len()), (0, 0), "{foreign:?}");
        }
        let all_stores = services.home(user, None).await.expect("home");
        assert!(
            all_stores
                .today
                .outstanding
                .iter()
                .all(|figure| figure.invoices == 1),
            "only the merchant's own invoice is owed: {:?}",
            all_stores.today.outstanding
        );
        for path in [
            format!("/invoices/{foreign_invoice}"),
            format!("/invoices/{foreign_invoice}/send"),
            format!("/customers/{}", other.customer_id),
            format!("/stores/{}", other.store_id),
            format!("/?store={}", other.store_id),
            format!("/invoices?customer={}", other.customer_id),
        ] {
            let page = body_text(get(&router, &path, session).await).await;
            assert!(!page.contains("Nota riservata"), "{path}");
            assert!(!page.contains("Cliente Riservato"), "{path}");
            assert!(!page.contains("cliente@altro.es"), "{path}");
        }
    }
}

#[tokio::test]
async fn markup_typed_into_any_field_is_shown_as_text_in_pages_and_emails() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_store(|store| {
                store.name = format!("Bottega {SCRIPT}");
                store.address = IMAGE.into();
                store.email_message = format!("</textarea>{SCRIPT}");
            })
            .await;
        world
            .configure_customer(|customer| {
                customer.name = format!("Maria {IMAGE}");
                customer.address = SCRIPT.into();
                customer.tax_id = IMAGE.into();
            })
            .await;
        let mut input = draft(&world.merchant);
        input.lines[0].description = format!("Consulenza {SCRIPT}");
        input.notes = format!("Grazie {IMAGE}");
        let services = &world.services;
        let id = services
            .save_draft(world.user(), None, 0, input)
            .await
            .expect("saved");
        services
            .issue_invoice(world.user(), id, 1)
            .await
            .expect("issued");
        services
            .send_invoice(
                world.user(),
                id,
                EmailPurpose::Invoice,
                SendInput {
                    to: CUSTOMER.into(),
                    subject: format!("Fattura {SCRIPT}"),
                    message: format!("Ciao {IMAGE}\n{SCRIPT}"),
                },
                "markup".into(),
            )
            .await
            .expect("queued");
        deliver(services).await;

        let email = &world.sink.received()[0];
        let html = email.html();
        assert!(
            !html.contains("<script>alert") && !html.contains("<img src=x"),
            "{html}"
        );
        assert!(html.contains(
            "<title>Fattura &lt;script&gt;alert(&quot;invio&quot;)&lt;/script&gt;</title>"
        ));
        assert!(html.contains("Ciao &lt;img src=x onerror=alert(1)&gt;"));
        assert_eq!(
            email.subject(),
            format!("Fattura {SCRIPT}"),
            "a subject is plain text"
        );
        assert!(
            email.text().contains(&format!("Ciao {IMAGE}")),
            "and so is the text part"
        );
        assert_eq!(
            email.mailbox("From"),
            Some((
                Some(format!("Bottega {SCRIPT}")),
                "invoices@invio.test".into()
            ))
        );

        let published = &world.edge.publications()[0].document;
        assert_eq!(
            published.seller.name,
            format!("Bottega {SCRIPT}"),
            "kept as typed"
        );
        assert_eq!(
            published.lines[0].description,
            format!("Consulenza {SCRIPT}")
        );

        let router = router(world.services.clone());
        let session = Some(world.merchant.session.as_str());
        for path in [
            "/".to_owned(),
            "/invoices".to_owned(),
            "/invoices?due=open".to_owned(),
            format!("/invoices/{id}"),
            format!("/invoices/{id}/send"),
            "/customers".to_owned(),
            format!("/customers/{}", world.merchant.customer_id),
            "/stores".to_owned(),
            format!("/stores/{}", world.merchant.store_id),
        ] {
            let response = get(&router, &path, session).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let page = body_text(response).await;
            for payload in ["<script>alert", "<img src=x"] {
                let raw = page
                    .find(payload)
                    .map(|at| &page[at.saturating_sub(300)..at + 100]);
                assert_eq!(raw, None, "{path}");
            }
        }
        let invoice_page = body_text(get(&router, &format!("/invoices/{id}"), session).await).await;
        assert!(
            invoice_page.contains("Consulenza &lt;script&gt;alert"),
            "the payload is on the page, as text: {invoice_page}"
        );
        let send_page =
            body_text(get(&router, &format!("/invoices/{id}/send"), session).await).await;
        assert!(
            send_page.contains("&lt;/textarea&gt;&lt;script&gt;"),
            "the store's message is in the send form, as text"
        );
    }
}

#[tokio::test]
async fn line_breaks_that_would_add_mail_headers_are_refused_field_by_field_and_nothing_is_kept() {
    for db in databases().await {
        let world = World::new(db).await;
        let services = &world.services;
        let user = world.user();
        let store_id = world.merchant.store_id;
        let store = services.get_store(user, store_id).await.expect("store");
        let save_store = |change: fn(&mut invoice::store::StoreInput)| {
            let mut input = store.clone();
            change(&mut input);
            services.save_store(user, Some(store_id), input)
        };
        assert_eq!(
            refusal(
                save_store(|s| s.name = format!("Bottega{INJECTED}")).await,
                "name"
            ),
            Problem::HeaderInjection
        );
        assert_eq!(
            refusal(
                save_store(|s| s.reply_to = format!("conti@bottega.it{INJECTED}")).await,
                "reply_to"
            ),
            Problem::InvalidEmail {
                address: format!("conti@bottega.it{INJECTED}"),
            }
        );
        assert_eq!(
            refusal(
                save_store(|s| s.copies_to = format!("archivio@bottega.it{INJECTED}")).await,
                "copies_to"
            ),
            Problem::InvalidAddressInList {
                address: "Bcc: spy@evil.example".into(),
            }
        );
        assert_eq!(
            refusal(
                save_store(|s| s.failure_notify = format!("giulia@bottega.it{INJECTED}")).await,
                "failure_notify"
            ),
            Problem::InvalidAddressInList {
                address: "Bcc: spy@evil.example".into(),
            }
        );
        assert_eq!(
            refusal(
                save_store(|s| s.email_subject = format!("Fattura {{number}}{INJECTED}")).await,
                "email_subject"
            ),
            Problem::HeaderInjection
        );
        assert_eq!(
            services.get_store(user, store_id).await.expect("store"),
            store,
            "nothing of the refused settings was kept"
        );

        let customer_id = world.merchant.customer_id;
        let customer = services
            .get_customer(user, customer_id)
            .await
            .expect("customer");
        let mut named = customer.clone();
        named.name = format!("Maria{INJECTED}");
        assert_eq!(
            refusal(
                services.save_customer(user, Some(customer_id), named).await,
                "name"
            ),
            Problem::HeaderInjection
        );
        let mut addressed = customer.clone();
        addressed.email = format!("{CUSTOMER}{INJECTED}");
        assert_eq!(
            refusal(
                services
                    .save_customer(user, Some(customer_id), addressed)
                    .await,
                "email"
            ),
            Problem::InvalidEmail {
                address: format!("{CUSTOMER}{INJECTED}"),
            }
        );
        assert_eq!(
            services
                .get_customer(user, customer_id)
                .await
                .expect("customer"),
            customer
        );

        let mut described = draft(&world.merchant);
        described.lines[0].description = format!("Consulenza{INJECTED}");
        assert_eq!(
            refusal(
                services.save_draft(user, None, 0, described).await,
                "lines[0].description"
            ),
            Problem::HeaderInjection
        );

        let id = world.issued().await;
        let send = |to: &str, subject: &str| {
            services.send_invoice(
                user,
                id,
                EmailPurpose::Invoice,
                SendInput {
                    to: to.into(),
                    subject: subject.into(),
                    message: "Grazie".into(),
                },
                random_id(),
            )
        };
        assert_eq!(
            refusal(
                send(&format!("{CUSTOMER}{INJECTED}"), "Fattura").await,
                "to"
            ),
            Problem::HeaderInjection
        );
        assert_eq!(
            refusal(
                send(CUSTOMER, &format!("Fattura{INJECTED}")).await,
                "subject"
            ),
            Problem::HeaderInjection
        );
        assert_eq!(
            refusal(send(r#""Maria" <maria@example.it>"#, "Fattura").await, "to"),
            Problem::InvalidAddressInList {
                address: r#""Maria" <maria@example.it>"#.into(),
            },
            "a display name is header syntax: only bare addresses are taken"
        );
        assert_eq!(
            world.outbox_count("customer").await,
            0,
            "nothing was queued"
        );
    }
}

#[tokio::test]
async fn header_syntax_in_an_accepted_store_name_stays_in_the_display_name() {
    for db in databases().await {
        let world = World::new(db).await;
        let name = r#"Bottega "Rossi" <spy@evil.example>, Bcc: spy@evil.example"#;
        world
            .configure_store(|store| store.name = name.into())
            .await;
        let id = world.issued().await;
        world.send(id, "k").await;
        deliver(&world.services).await;
        let received = world.sink.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].recipients, [CUSTOMER]);
        assert_eq!(
            received[0].mailbox("From"),
            Some((Some(name.to_owned()), "invoices@invio.test".into()))
        );
        assert_eq!(received[0].header("Bcc"), None);
    }
}

#[tokio::test]
async fn guessing_a_password_over_http_is_stopped_after_five_failures() {
    use leptos::server_fn::ServerFn;
    for db in databases().await {
        let world = World::new(db).await;
        let router = router(world.services.clone());
        // The sign-in form as a browser posts it (`+` is a space, `%21` a `!`).
        let login = |password: &str| {
            let form = format!("email=owner%40bottega.it&password={password}");
            Request::post(<app::api::Login as ServerFn>::PATH)
                .header(header::HOST, "admin.test")
                .header(header::ORIGIN, "http://admin.test")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .expect("request")
        };
        let answer = |response: axum::response::Response| async move {
            let set_cookie = response.headers().contains_key(header::SET_COOKIE);
            let body = body_bytes(response).await;
            let error = serde_json::from_slice::<AdminError>(&body).ok();
            (
                set_cookie,
                error,
                String::from_utf8_lossy(&body).into_owned(),
            )
        };
        for attempt in 1..=5 {
            let response = router
                .clone()
                .oneshot(login("wrong+password%21"))
                .await
                .expect("response");
            let (set_cookie, error, body) = answer(response).await;
            assert!(!set_cookie, "attempt {attempt}");
            assert_eq!(
                error.map(|error| refusal::<()>(Err(error), "password")),
                Some(Problem::WrongCredentials),
                "attempt {attempt}: {body}"
            );
        }
        let response = router
            .clone()
            .oneshot(login("correct+horse+battery"))
            .await
            .expect("response");
        let (set_cookie, error, body) = answer(response).await;
        assert!(!set_cookie, "even the right password waits now");
        assert!(
            matches!(
                error.map(|error| refusal::<()>(Err(error), "password")),
                Some(Problem::TooManyAttempts { minutes }) if minutes > 0
            ),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_page_about_an_unknown_or_foreign_id_answers_404_and_does_not_say_which() {
    for db in databases().await {
        let world = World::new(db).await;
        let other = sign_up(&world.services, "other@negozio.es", "cliente@example.es").await;
        let foreign_invoice = issued_invoice(&world.services, &other).await;
        let router = router(world.services.clone());
        let session = world.merchant.session.clone();
        let own_invoice = world.issued().await;
        let page = |path: String| {
            let router = router.clone();
            let session = session.clone();
            async move {
                let response = get(&router, &path, Some(&session)).await;
                (response.status(), body_text(response).await)
            }
        };
        let (status, _) = page(format!("/invoices/{own_invoice}")).await;
        assert_eq!(status, StatusCode::OK);
        let mut answers = Vec::new();
        for path in [
            "/invoices/999999".to_owned(),
            format!("/invoices/{foreign_invoice}"),
            "/invoices/not-a-number".to_owned(),
            format!("/invoices/{foreign_invoice}/send"),
            format!("/customers/{}", other.customer_id),
            "/customers/999999".to_owned(),
            format!("/stores/{}", other.store_id),
            "/stores/999999".to_owned(),
            format!("/?store={}", other.store_id),
            "/?store=999999".to_owned(),
        ] {
            let (status, body) = page(path.clone()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            // The owner reads Italian.
            assert!(
                body.contains("Non esiste, oppure appartiene a un"),
                "{path}: {body}"
            );
            let main = body
                .split_once("<main")
                .and_then(|(_, rest)| rest.split_once("</main>"))
                .map(|(main, _)| main.to_owned());
            let main = main.expect("the page's main part");
            assert!(main.contains(r#"href="/invoices""#), "{path}: a way back");
            answers.push(main);
        }
        // The unknown and the foreign invoice get the same page.
        assert_eq!(answers[0], answers[1]);
    }
}

#[tokio::test]
async fn bodies_larger_than_a_route_accepts_are_refused_with_413_before_they_are_read() {
    use leptos::server_fn::ServerFn;
    for db in databases().await {
        let world = World::new(db).await;
        let router = router(world.services.clone());
        let post = |path: &str, body: Body, length: Option<usize>| {
            let mut request = Request::post(path)
                .header(header::HOST, "admin.test")
                .header(header::ORIGIN, "http://admin.test")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(
                    header::COOKIE,
                    format!("invio_session={}", world.merchant.session),
                );
            if let Some(length) = length {
                request = request.header(header::CONTENT_LENGTH, length);
            }
            request.body(body).expect("request")
        };
        let login = <app::api::Login as ServerFn>::PATH;
        let save_store = <app::api::SaveStore as ServerFn>::PATH;
        let save_draft = <app::api::SaveDraft as ServerFn>::PATH;
        let padded = |size: usize| format!("email=a%40b.it&password={}", "x".repeat(size));

        // Declared too large: refused on the header alone.
        let oversized = padded(server::limits::ACCOUNT_FORM_LIMIT);
        let length = oversized.len();
        assert_eq!(
            status(&router, post(login, Body::from(oversized), Some(length))).await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        // Streamed without a length: refused once the bytes pass the limit.
        let chunks =
            futures::stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 8 * 1024])));
        assert_eq!(
            status(&router, post(save_store, Body::from_stream(chunks), None)).await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            status(
                &router,
                post(
                    save_draft,
                    Body::from(vec![b'x'; server::limits::DRAFT_LIMIT + 1]),
                    None
                )
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        // A page is read with GET, which carries no body.
        let page_with_body = Request::get("/invoices")
            .header(header::HOST, "admin.test")
            .body(Body::from("x"))
            .expect("request");
        assert_eq!(
            status(&router, page_with_body).await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        // A form within its limit still reaches its server function.
        let within = padded(1000);
        assert_ne!(
            status(&router, post(login, Body::from(within), None)).await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}

#[tokio::test]
async fn many_writers_of_every_kind_at_once_on_sqlite_all_succeed() {
    let sqlite = databases().await.remove(0);
    assert_eq!(sqlite.engine, server::db::Engine::Sqlite);
    let world = World::new(sqlite).await;
    let mut sent = Vec::new();
    for _ in 0..8 {
        sent.push(sent_invoice(&world).await);
    }
    let mut writers = tokio::task::JoinSet::new();
    for round in 0..12 {
        for (invoice, link) in sent.clone() {
            let services = world.services.clone();
            let user = world.user().clone();
            writers.spawn(async move {
                let events: Vec<EdgeEvent> = (0..20).map(|_| person_opened(&link)).collect();
                server::db::events::ingest(&services.db, &events)
                    .await
                    .map(|_| ())
                    .map_err(|error| format!("ingest: {error}"))?;
                services
                    .record_payment(
                        &user,
                        invoice,
                        PaymentInput {
                            amount: "0.01".into(),
                            date: "2026-11-20".into(),
                            method: "card".into(),
                            reference: format!("burst-{round}"),
                        },
                    )
                    .await
                    .map_err(|error| format!("payment: {error:?}"))
            });
        }
        let services = world.services.clone();
        let owner = world.user().clone();
        let input = draft(&world.merchant);
        writers.spawn(async move {
            let id = services
                .save_draft(&owner, None, 0, input)
                .await
                .map_err(|error| format!("draft: {error:?}"))?;
            services
                .issue_invoice(&owner, id, 1)
                .await
                .map_err(|error| format!("issue: {error:?}"))?;
            support::send(
                &services,
                &owner,
                id,
                EmailPurpose::Invoice,
                &format!("burst-send-{round}"),
            )
            .await
            .map_err(|error| format!("send: {error}"))
        });
        let services = world.services.clone();
        writers.spawn(async move {
            services
                .deliver_due(&now_ms)
                .await
                .map(|_| ())
                .map_err(|error| format!("dispatcher: {error}"))
        });
    }
    let mut failures = Vec::new();
    while let Some(outcome) = writers.join_next().await {
        if let Err(error) = outcome.expect("writer task") {
            failures.push(error);
        }
    }
    assert_eq!(failures, Vec::<String>::new());
}

#[tokio::test]
async fn filter_words_the_home_page_never_links_to_filter_nothing_and_a_bad_id_is_refused() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;
        let services = &world.services;
        for (due, age, attention) in [
            ("' OR 1=1 --", "", ""),
            ("", "1-30; DROP TABLE invoices", ""),
            ("", "", "<script>"),
            ("OVERDUE", "60 ", "unopened\0"),
        ] {
            let page = services
                .list_invoices(
                    world.user(),
                    app::api::InvoiceFilter {
                        due: due.into(),
                        age: age.into(),
                        attention: attention.into(),
                        currency: "EUR' --".into(),
                        ..Default::default()
                    },
                )
                .await
                .expect("an unknown word is no filter");
            assert_eq!(
                page.rows.iter().map(|row| row.id).collect::<Vec<_>>(),
                vec![id]
            );
        }
        let router = router(world.services.clone());
        let session = Some(world.merchant.session.as_str());
        for path in [
            "/customers/not-a-number/statement.pdf",
            "/customers/1e3/statement.pdf",
            "/customers/99999999999999999999999/statement.pdf",
        ] {
            assert_eq!(
                get(&router, path, session).await.status(),
                StatusCode::BAD_REQUEST,
                "{path}"
            );
        }
        let home = get(&router, "/?store=../../etc", session).await;
        assert_eq!(home.status(), StatusCode::OK, "not a number: every store");
    }
}
