//! Sending invoices by email, on every engine (SQLite always, Postgres when
//! TEST_POSTGRES_URL is set), through a real SMTP conversation with a test
//! server that can be down, busy (421) or refuse a mailbox (550).

mod support;

use app::api::{AdminBackend, AdminError, EmailState, OrganisationId};
use invoice::dates::Date;
use invoice::email::{EmailPurpose, SendInput};
use invoice::events::Recipient;
use invoice::history::HistoryEvent;
use invoice::link::KeyRing;
use invoice::payment::PaymentInput;
use invoice::problem::Problem;
use server::db::{now_ms, Db};
use server::email::MAX_ATTEMPTS;
use support::smtp::SmtpSink;
use support::{
    database_urls, databases, deliver, deliver_at, issued_invoice, much_later, send, send_with,
    services, sign_up, FakeEdge, World, CUSTOMER, EDGE_URL, LINK_KEYS, OWNER,
};

/// The problem a refused request names.
fn problem(result: Result<(), AdminError>) -> Problem {
    match result {
        Err(AdminError::Invalid(fields)) => fields[0].problem.clone(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn today() -> Date {
    Date::from_unix_millis(now_ms())
}

#[tokio::test]
async fn a_personal_message_sent_twice_with_the_same_key_is_delivered_once() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_store(|store| store.reply_to = "ufficio@bottega.it".into())
            .await;
        let id = world.issued().await;
        let form = world
            .services
            .send_form(world.user(), id, EmailPurpose::Invoice)
            .await
            .expect("form");
        assert_eq!(form.to, CUSTOMER, "To is prefilled with the customer");
        let personal = SendInput {
            to: form.to.clone(),
            subject: form.subject.clone(),
            message: "Ciao Maria,\necco la fattura di novembre. Grazie!".into(),
        };
        for _ in 0..2 {
            send_with(
                &world.services,
                world.user(),
                id,
                EmailPurpose::Invoice,
                personal.clone(),
                &form.idempotency_key,
            )
            .await
            .expect("queued");
        }
        assert_eq!(world.email_state(id).await, EmailState::Queued);
        assert_eq!(deliver(&world.services).await, 1);

        let received = world.sink.received();
        assert_eq!(received.len(), 1, "{:?}", world.db.engine);
        let email = &received[0];
        assert_eq!(email.recipients, [CUSTOMER]);
        assert_eq!(email.subject(), form.subject);
        assert!(email.text().contains("ecco la fattura di novembre"));
        assert!(email.html().contains("ecco la fattura di novembre"));
        let (sender_name, sender) = email.mailbox("From").expect("From");
        assert_eq!(sender, "invoices@invio.test");
        assert_eq!(sender_name.as_deref(), Some(form.store_name.as_str()));
        assert_eq!(
            email.mailbox("Reply-To").expect("Reply-To").1,
            "ufficio@bottega.it"
        );
        let message_id = email.header("Message-ID").expect("Message-ID");
        assert!(message_id.starts_with("<invio-outbox-"), "{message_id}");
        assert!(email.attachments().is_empty(), "no attachment by default");

        let tokens = email.link_tokens(EDGE_URL);
        assert!(
            !tokens.is_empty(),
            "the link is in the text part: {}",
            email.text()
        );
        let link_id = KeyRing::parse(LINK_KEYS)
            .expect("keys")
            .verify(&tokens[0])
            .expect("a genuine token");
        assert!(
            email.html().contains(&tokens[0]),
            "the button carries the link"
        );
        let published = world
            .edge
            .published_link(&link_id.to_hex())
            .expect("the link was published before the email left");
        assert_eq!(published.recipient, Recipient::Customer);
        assert!(!published.revoked);
        assert!(matches!(
            world.email_state(id).await,
            EmailState::Sent { .. }
        ));
        let kinds = world.history_kinds(id).await;
        assert!(kinds.contains(&"email_queued".to_owned()), "{kinds:?}");
        assert!(kinds.contains(&"email_sent".to_owned()), "{kinds:?}");
    }
}

#[tokio::test]
async fn each_copy_address_gets_its_own_message_and_link_marked_as_a_copy() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_store(|store| {
                store.copies_to = "amministrazione@bottega.it; archivio@bottega.it".into()
            })
            .await;
        let id = world.issued().await;
        world.send(id, "with-copies").await;
        assert_eq!(deliver(&world.services).await, 3);

        let customer = world.sink.received_by(CUSTOMER);
        let copy = world.mail_to("archivio@bottega.it");
        assert_eq!(customer.len(), 1);
        assert_eq!(copy.len(), 1);
        assert_eq!(world.mail_to("amministrazione@bottega.it").len(), 1);
        assert!(
            copy[0].subject().starts_with("[Copia]"),
            "{}",
            copy[0].subject()
        );
        assert!(copy[0].text().contains("Maria Pérez"), "names who got it");
        assert!(!customer[0].subject().starts_with("[Copia]"));

        let keys = KeyRing::parse(LINK_KEYS).expect("keys");
        let link_of = |email: &support::smtp::Received| {
            keys.verify(&email.link_tokens(EDGE_URL)[0])
                .expect("token")
                .to_hex()
        };
        let (customer_link, copy_link) = (link_of(&customer[0]), link_of(&copy[0]));
        assert_ne!(customer_link, copy_link, "each message has its own link");
        assert_eq!(
            world
                .edge
                .published_link(&copy_link)
                .expect("copy")
                .recipient,
            Recipient::Copy,
            "the edge never counts the copy's opens as the customer's"
        );
        assert_eq!(
            world
                .edge
                .published_link(&customer_link)
                .expect("customer")
                .recipient,
            Recipient::Customer
        );
    }
}

#[tokio::test]
async fn sends_made_while_smtp_is_down_are_each_delivered_exactly_once_when_it_is_back() {
    for db in databases().await {
        let world = World::new(db).await;
        world.sink.stop().await;
        let mut ids = Vec::new();
        for n in 0..3 {
            let id = world.issued().await;
            world.send(id, &format!("send-{n}")).await;
            ids.push(id);
        }
        assert_eq!(deliver(&world.services).await, 3);
        assert!(world.sink.received().is_empty());
        for id in &ids {
            assert!(
                matches!(world.email_state(*id).await, EmailState::Retrying { .. }),
                "{:?}",
                world.email_state(*id).await
            );
        }

        world.sink.restart().await;
        // Time moves on until nothing is due; a stale pooled connection may
        // cost one more retry, never a duplicate.
        let mut at = now_ms();
        for _ in 0..MAX_ATTEMPTS {
            at += 3_600_000;
            deliver_at(&world.services, at).await;
        }
        let received = world.sink.received();
        assert_eq!(received.len(), 3, "{:?}", world.db.engine);
        let mut message_ids: Vec<_> = received
            .iter()
            .map(|email| email.header("Message-ID"))
            .collect();
        message_ids.dedup();
        assert_eq!(message_ids.len(), 3, "three different emails");
        for id in &ids {
            assert!(matches!(
                world.email_state(*id).await,
                EmailState::Sent { .. }
            ));
        }
    }
}

#[tokio::test]
async fn a_busy_server_answering_421_is_retried_and_the_email_then_delivered() {
    for db in databases().await {
        let world = World::new(db).await;
        world.sink.busy_for(1);
        let id = world.issued().await;
        world.send(id, "busy").await;
        assert_eq!(deliver(&world.services).await, 1);
        match world.email_state(id).await {
            EmailState::Retrying { reason } => assert!(reason.contains("421"), "{reason}"),
            other => panic!("expected a retry, got {other:?}"),
        }
        assert!(world
            .history_kinds(id)
            .await
            .contains(&"email_retrying".to_owned()));

        assert_eq!(
            deliver(&world.services).await,
            0,
            "the retry waits its backoff"
        );
        assert_eq!(deliver_at(&world.services, much_later()).await, 1);
        assert_eq!(world.sink.received_by(CUSTOMER).len(), 1);
        assert_eq!(world.sink.transactions(), 2);
    }
}

#[tokio::test]
async fn a_refused_address_fails_and_notifies_the_issuer_and_the_failure_list_once_each() {
    for db in databases().await {
        let world = World::new(db).await;
        // The owner is on the list too, and is still told only once.
        world
            .configure_store(|store| store.failure_notify = format!("ops@bottega.it; {OWNER}"))
            .await;
        world.sink.refuse(CUSTOMER);
        let id = world.issued().await;
        world.send(id, "refused").await;
        deliver(&world.services).await;

        match world.email_state(id).await {
            EmailState::Failed { reason } => assert!(reason.contains("550"), "{reason}"),
            other => panic!("expected a failure, got {other:?}"),
        }
        let detail = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice");
        let failure = detail
            .history
            .iter()
            .find(|entry| entry.event.kind() == "email_failed")
            .expect("the history records the failure");
        let HistoryEvent::Email(failure) = &failure.event else {
            panic!("an email's failure is about the email: {failure:?}");
        };
        assert_eq!(failure.address, CUSTOMER);
        assert!(failure
            .reply
            .as_deref()
            .is_some_and(|reply| reply.contains("550")));

        assert!(world.sink.received_by(CUSTOMER).is_empty());
        let number = detail.number.expect("a number");
        for address in [OWNER, "ops@bottega.it"] {
            let notices = world.mail_to(address);
            assert_eq!(notices.len(), 1, "{address} is told once");
            let notice = &notices[0];
            assert!(notice.subject().contains(&number), "{}", notice.subject());
            assert!(notice.text().contains("550"), "the reason is given");
            assert!(notice
                .text()
                .contains(&format!("http://127.0.0.1:3000/invoices/{id}")));
        }
        let received = world.sink.received();
        let confirmation_requests = support::confirmation_tokens(&received).len();
        assert_eq!(received.len() - confirmation_requests, 2);
    }
}

#[tokio::test]
async fn an_email_that_keeps_failing_is_marked_failed_after_the_last_retry() {
    for db in databases().await {
        let world = World::new(db).await;
        world.sink.stop().await;
        let id = world.issued().await;
        world.send(id, "never").await;
        let mut at = now_ms();
        for _ in 0..MAX_ATTEMPTS {
            deliver_at(&world.services, at).await;
            at += 24 * 3_600_000;
        }
        assert!(
            matches!(world.email_state(id).await, EmailState::Failed { .. }),
            "{:?}",
            world.email_state(id).await
        );
        let attempts: i64 =
            sqlx::query_scalar("SELECT attempts FROM outbox WHERE audience = 'customer'")
                .fetch_one(&world.db.pool)
                .await
                .expect("attempts");
        assert_eq!(attempts, MAX_ATTEMPTS);
        assert_eq!(
            world.outbox_count("notice").await,
            1,
            "the issuer is notified; a failed notice notifies nobody"
        );
    }
}

#[tokio::test]
async fn pending_mail_is_delivered_after_a_restart() {
    for url in database_urls().await {
        let (_edge, edge_url) = FakeEdge::start().await;
        let down = services(
            Db::connect(&url).await.expect("db"),
            &edge_url,
            SmtpSink::closed_port(),
        );
        let merchant = sign_up(&down, OWNER, CUSTOMER).await;
        let retried = issued_invoice(&down, &merchant).await;
        let claimed = issued_invoice(&down, &merchant).await;
        for (id, key) in [(retried, "retried"), (claimed, "claimed")] {
            send(&down, &merchant.owner, id, EmailPurpose::Invoice, key)
                .await
                .expect("queued");
        }
        // One email fails an attempt; the other is claimed by a dispatcher
        // that dies before it can send it.
        assert_eq!(
            server::db::outbox::claim_next(&down.db, now_ms())
                .await
                .expect("claim")
                .map(|email| email.invoice_id),
            Some(retried)
        );
        server::db::outbox::claim_next(&down.db, now_ms())
            .await
            .expect("claim")
            .expect("the second email");
        down.db.pool.close().await;
        drop(down);

        let sink = SmtpSink::start().await;
        let restarted = services(Db::connect(&url).await.expect("db"), &edge_url, sink.port);
        assert_eq!(
            deliver(&restarted).await,
            0,
            "claims hold until their lease ends"
        );
        assert_eq!(
            deliver_at(&restarted, now_ms() + server::db::outbox::LEASE_MS + 1).await,
            2
        );
        assert_eq!(sink.received_by(CUSTOMER).len(), 2, "{url}");
    }
}

#[tokio::test]
async fn two_server_instances_on_one_database_send_each_email_once() {
    for url in database_urls().await {
        let (_edge, edge_url) = FakeEdge::start().await;
        let sink = SmtpSink::start().await;
        let first = services(Db::connect(&url).await.expect("db"), &edge_url, sink.port);
        let second = services(Db::connect(&url).await.expect("db"), &edge_url, sink.port);
        let merchant = sign_up(&first, OWNER, CUSTOMER).await;
        const EMAILS: usize = 12;
        for n in 0..EMAILS {
            let id = issued_invoice(&first, &merchant).await;
            send(
                &first,
                &merchant.owner,
                id,
                EmailPurpose::Invoice,
                &n.to_string(),
            )
            .await
            .expect("queued");
        }
        let (a, b, c, d) = tokio::join!(
            first.deliver_due(&now_ms),
            second.deliver_due(&now_ms),
            first.deliver_due(&now_ms),
            second.deliver_due(&now_ms),
        );
        let attempted = [a, b, c, d]
            .into_iter()
            .map(|result| result.expect("the dispatcher runs"))
            .sum::<usize>();
        assert_eq!(attempted, EMAILS);
        let mut message_ids: Vec<_> = sink
            .received()
            .iter()
            .map(|email| email.header("Message-ID").expect("Message-ID"))
            .collect();
        assert_eq!(message_ids.len(), EMAILS, "{url}");
        message_ids.sort();
        message_ids.dedup();
        assert_eq!(message_ids.len(), EMAILS, "no email was sent twice");
    }
}

#[tokio::test]
async fn issuing_sends_automatically_when_the_store_and_the_customer_ask_for_it() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_customer(|customer| customer.email_invoices = true)
            .await;
        let id = world.issued().await;
        assert_eq!(world.email_state(id).await, EmailState::Queued);
        deliver(&world.services).await;
        let received = world.sink.received_by(CUSTOMER);
        assert_eq!(received.len(), 1);
        assert!(
            received[0].subject().contains("Factura"),
            "in the customer's language (Spanish): {}",
            received[0].subject()
        );
        assert!(!received[0].link_tokens(EDGE_URL).is_empty());

        world
            .configure_store(|store| store.email_enabled = false)
            .await;
        let quiet = world.issued().await;
        assert_eq!(world.email_state(quiet).await, EmailState::NotSent);
        let detail = world
            .services
            .get_invoice(world.user(), quiet)
            .await
            .expect("invoice");
        assert!(!detail.automatic_send_skipped, "nothing was due to be sent");
    }
}

#[tokio::test]
async fn an_automatic_send_without_a_usable_address_warns_the_merchant() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_customer(|customer| customer.email_invoices = true)
            .await;
        // A customer without an address yet asking for automatic sends, as
        // an import can leave behind; the customer form refuses to save one.
        sqlx::query("UPDATE customers SET email = NULL WHERE id = $1")
            .bind(world.merchant.customer_id)
            .execute(&world.db.pool)
            .await
            .expect("update");
        let id = world.issued().await;
        let detail = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice");
        assert!(detail.automatic_send_skipped);
        assert_eq!(detail.email, EmailState::NotSent);
        assert_eq!(world.outbox_count("customer").await, 0);
    }
}

#[tokio::test]
async fn the_reminder_schedule_sends_only_the_latest_due_step_and_never_twice() {
    for url in database_urls().await {
        let db = Db::connect(&url).await.expect("db");
        let world = World::new(db).await;
        world
            .configure_store(|store| store.reminder_schedule = "-3, 7, 30".into())
            .await;
        let due = today().add_days(10);
        let id = world.issued_due(due).await;
        let never_emailed = world.issued_due(due).await;
        world.send(id, "the-invoice").await;

        assert_eq!(
            world
                .services
                .queue_due_reminders(due.add_days(-4))
                .await
                .expect("queue"),
            0,
            "no step is due yet"
        );
        // The server was down from before the first step until after the
        // last: one reminder, for the latest step, from two instances at once.
        let other = services(
            Db::connect(&url).await.expect("db"),
            "http://127.0.0.1:9",
            world.sink.port,
        );
        let catch_up = due.add_days(40);
        let (a, b) = tokio::join!(
            world.services.queue_due_reminders(catch_up),
            other.queue_due_reminders(catch_up)
        );
        assert_eq!(a.expect("queue") + b.expect("queue"), 1);
        assert_eq!(
            world
                .services
                .queue_due_reminders(catch_up.add_days(1))
                .await
                .expect("queue"),
            0
        );
        deliver(&world.services).await;
        let received = world.sink.received_by(CUSTOMER);
        assert_eq!(received.len(), 2, "the invoice and one reminder");
        let reminder = &received[1];
        assert!(
            reminder.subject().starts_with("Recordatorio"),
            "{}",
            reminder.subject()
        );
        assert!(
            reminder.text().contains("hace 40 días"),
            "{}",
            reminder.text()
        );
        assert!(!reminder.link_tokens(EDGE_URL).is_empty());
        assert!(world
            .history_kinds(id)
            .await
            .contains(&"reminder_sent".to_owned()));
        assert!(!world
            .history_kinds(never_emailed)
            .await
            .iter()
            .any(|kind| kind.starts_with("reminder")));
    }
}

#[tokio::test]
async fn paid_void_and_undated_invoices_get_no_reminder_and_a_partly_paid_one_asks_for_the_rest() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_store(|store| store.reminder_schedule = "1".into())
            .await;
        let due = today().add_days(5);
        let paid = world.issued_due(due).await;
        let void = world.issued_due(due).await;
        let undated = world.issued().await;
        let partly_paid = world.issued_due(due).await;
        for id in [paid, void, undated, partly_paid] {
            world.send(id, &format!("invoice-{id}")).await;
        }
        let pay = |id, amount: &str| PaymentInput {
            amount: amount.into(),
            date: today().to_string(),
            method: "bank_transfer".into(),
            reference: format!("pay-{id}"),
        };
        world
            .services
            .record_payment(world.user(), paid, pay(paid, "299"))
            .await
            .expect("paid");
        world
            .services
            .record_payment(world.user(), partly_paid, pay(partly_paid, "99"))
            .await
            .expect("partly paid");
        world
            .services
            .void_invoice(world.user(), void)
            .await
            .expect("void");

        assert_eq!(
            world
                .services
                .queue_due_reminders(due.add_days(3))
                .await
                .expect("queue"),
            1
        );
        deliver(&world.services).await;
        let reminders: Vec<_> = world
            .sink
            .received_by(CUSTOMER)
            .into_iter()
            .filter(|email| email.subject().starts_with("Recordatorio"))
            .collect();
        assert_eq!(reminders.len(), 1);
        assert!(
            reminders[0].subject().contains("200,00"),
            "asks for what is left: {}",
            reminders[0].subject()
        );

        for (id, refusal) in [
            (paid, Problem::NothingDue),
            (void, Problem::AlreadyVoid),
            (undated, Problem::NoDueDate),
        ] {
            let form = world
                .services
                .send_form(world.user(), id, EmailPurpose::Reminder)
                .await
                .expect("form");
            assert_eq!(form.refusal, Some(refusal.clone()));
            let result = send(
                &world.services,
                world.user(),
                id,
                EmailPurpose::Reminder,
                "manual",
            )
            .await;
            assert_eq!(problem(result), refusal);
        }
        send(
            &world.services,
            world.user(),
            partly_paid,
            EmailPurpose::Reminder,
            "manual",
        )
        .await
        .expect("a manual reminder for what is left");
    }
}

#[tokio::test]
async fn resending_makes_a_new_link_and_revoking_one_leaves_the_other_working() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;
        world.send(id, "first").await;
        world.send(id, "second").await;
        deliver(&world.services).await;
        let links = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice")
            .links;
        assert_eq!(links.len(), 2);
        assert_ne!(links[0].id, links[1].id);

        world
            .services
            .revoke_link(world.user(), id, links[0].id.clone())
            .await
            .expect("revoked");
        assert!(
            world
                .edge
                .published_link(&links[0].id)
                .expect("first")
                .revoked
        );
        assert!(
            !world
                .edge
                .published_link(&links[1].id)
                .expect("second")
                .revoked
        );
        let links = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice")
            .links;
        assert!(links[0].revoked_at_ms.is_some());
        assert!(world
            .history_kinds(id)
            .await
            .contains(&"link_revoked".to_owned()));

        assert_eq!(
            problem(
                world
                    .services
                    .revoke_link(world.user(), id, "0123abcd".into())
                    .await
            ),
            Problem::LinkUnknown
        );
        let mut stranger = world.user().clone();
        stranger.organisation = OrganisationId(stranger.organisation.0 + 1000);
        assert!(matches!(
            world
                .services
                .revoke_link(&stranger, id, links[1].id.clone())
                .await,
            Err(AdminError::NotFound)
        ));
    }
}

#[tokio::test]
async fn changing_a_customers_address_offers_to_revoke_the_links_sent_to_the_old_one() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;
        world.send(id, "old-address").await;
        deliver(&world.services).await;
        assert!(world
            .services
            .customer_old_links(world.user(), world.merchant.customer_id)
            .await
            .expect("links")
            .is_empty());

        world
            .configure_customer(|customer| customer.email = "maria.perez@example.es".into())
            .await;
        let old = world
            .services
            .customer_old_links(world.user(), world.merchant.customer_id)
            .await
            .expect("links");
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].email, CUSTOMER);

        world
            .services
            .revoke_old_links(world.user(), world.merchant.customer_id)
            .await
            .expect("revoked");
        assert!(world.edge.published_link(&old[0].id).expect("link").revoked);
        assert!(world
            .services
            .customer_old_links(world.user(), world.merchant.customer_id)
            .await
            .expect("links")
            .is_empty());
    }
}

#[tokio::test]
async fn a_store_with_sending_disabled_says_so_and_queues_nothing() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_store(|store| store.email_enabled = false)
            .await;
        let id = world.issued().await;
        let form = world
            .services
            .send_form(world.user(), id, EmailPurpose::Invoice)
            .await
            .expect("form");
        assert!(!form.sending_enabled);
        assert_eq!(
            problem(
                send(
                    &world.services,
                    world.user(),
                    id,
                    EmailPurpose::Invoice,
                    "k"
                )
                .await
            ),
            Problem::SendingDisabled
        );
        assert_eq!(world.outbox_count("customer").await, 0);
    }
}

#[tokio::test]
async fn a_store_that_attaches_the_pdf_sends_it_in_its_email_layout() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_store(|store| {
                store.attach_pdf = true;
                store.email_template = "receipt".into();
                store.print_template = "a4".into();
            })
            .await;
        let id = world.issued().await;
        world.send(id, "with-pdf").await;
        deliver(&world.services).await;
        let received = world.sink.received_by(CUSTOMER);
        let attachments = received[0].attachments();
        assert_eq!(attachments.len(), 1);
        let (name, mime, size) = &attachments[0];
        assert!(name.ends_with(".pdf"), "{name}");
        assert_eq!(mime, "application/pdf");
        let (_, receipt) = world
            .services
            .invoice_pdf(
                world.user().organisation,
                id,
                invoice::document::DocumentLayout::Receipt80mm,
            )
            .await
            .expect("pdf");
        assert_eq!(*size, receipt.len(), "the receipt layout, not the A4 one");
        assert!(
            !received[0].link_tokens(EDGE_URL).is_empty(),
            "the link too"
        );
    }
}

#[tokio::test]
async fn bad_addresses_and_header_injection_are_refused_and_nothing_is_queued() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;
        let form = world
            .services
            .send_form(world.user(), id, EmailPurpose::Invoice)
            .await
            .expect("form");
        let attempt = |to: &str, subject: &str| SendInput {
            to: to.into(),
            subject: subject.into(),
            message: form.message.clone(),
        };
        let cases = [
            (attempt("", &form.subject), Problem::Required),
            (
                attempt(&format!("{CUSTOMER}\r\nBcc: all@evil.test"), &form.subject),
                Problem::HeaderInjection,
            ),
            (
                attempt(CUSTOMER, "Fattura\r\nBcc: all@evil.test"),
                Problem::HeaderInjection,
            ),
        ];
        for (input, expected) in cases {
            let result = send_with(
                &world.services,
                world.user(),
                id,
                EmailPurpose::Invoice,
                input,
                "k",
            )
            .await;
            assert_eq!(problem(result), expected);
        }
        let result = send_with(
            &world.services,
            world.user(),
            id,
            EmailPurpose::Invoice,
            attempt(&format!("{CUSTOMER}; maria@@example"), &form.subject),
            "k",
        )
        .await;
        assert!(matches!(
            problem(result),
            Problem::InvalidAddressInList { .. } | Problem::InvalidEmail { .. }
        ));
        assert_eq!(world.outbox_count("customer").await, 0);
    }
}

#[tokio::test]
async fn an_edge_that_is_down_does_not_hold_the_email_it_asks_for_the_link_later() {
    for db in databases().await {
        let world = World::new(db).await;
        world.edge.set_available(false);
        let id = world.issued().await;
        world.send(id, "edge-down").await;
        deliver(&world.services).await;
        assert_eq!(
            world.sink.received_by(CUSTOMER).len(),
            1,
            "sent all the same"
        );
        assert!(matches!(
            world.email_state(id).await,
            EmailState::Sent { .. }
        ));
        let link = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice")
            .links
            .remove(0);
        // The customer opens it: the edge, back, asks the server.
        world.edge.set_available(true);
        let publication = world
            .services
            .publication_for_link(&link.id)
            .await
            .expect("answered")
            .expect("a publication");
        assert_eq!(publication.links[0].link_id, link.id);
    }
}

#[tokio::test]
async fn another_organisations_invoice_cannot_be_sent() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;
        let mut stranger = world.user().clone();
        stranger.organisation = OrganisationId(stranger.organisation.0 + 1000);
        assert_eq!(
            world
                .services
                .send_form(&stranger, id, EmailPurpose::Invoice)
                .await
                .map(|_| ()),
            Err(AdminError::NotFound)
        );
        assert!(matches!(
            send(&world.services, &stranger, id, EmailPurpose::Invoice, "k").await,
            Err(AdminError::NotFound)
        ));
    }
}

#[tokio::test]
async fn a_reminder_still_waiting_when_the_invoice_is_paid_is_never_sent() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued_due(today().add_days(10)).await;
        world.send(id, "the-invoice").await;
        deliver(&world.services).await;
        world.sink.stop().await;
        send(
            &world.services,
            world.user(),
            id,
            EmailPurpose::Reminder,
            "reminder",
        )
        .await
        .expect("queued");
        deliver(&world.services).await;

        // The customer pays while the SMTP server is still down.
        world
            .services
            .record_payment(
                world.user(),
                id,
                PaymentInput {
                    amount: "299".into(),
                    date: today().to_string(),
                    method: "card".into(),
                    reference: String::new(),
                },
            )
            .await
            .expect("paid");
        world.sink.restart().await;
        assert_eq!(deliver_at(&world.services, much_later()).await, 1);
        assert!(
            world
                .sink
                .received_by(CUSTOMER)
                .iter()
                .all(|email| !email.subject().starts_with("Recordatorio")),
            "no reminder for a paid invoice"
        );
        assert!(world
            .history_kinds(id)
            .await
            .contains(&"reminder_cancelled".to_owned()));
        assert!(
            matches!(world.email_state(id).await, EmailState::Sent { .. }),
            "the column shows the invoice's email, not the cancelled reminder"
        );
    }
}

#[tokio::test]
async fn a_customer_with_a_revoked_link_gets_a_fresh_one_at_the_address_on_file_once_an_hour() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_store(|store| store.copies_to = "archivio@bottega.it".into())
            .await;
        let id = world.issued().await;
        world.send(id, "first").await;
        deliver(&world.services).await;
        let links = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice")
            .links;
        let customer_link = links
            .iter()
            .find(|link| link.recipient == "customer")
            .expect("the customer's link");
        world
            .services
            .revoke_link(world.user(), id, customer_link.id.clone())
            .await
            .expect("revoked");
        // Meanwhile the customer's address changed; the fresh link goes there.
        world
            .configure_customer(|customer| customer.email = "maria.new@example.it".into())
            .await;

        for _ in 0..3 {
            assert!(world
                .services
                .send_fresh_link(&customer_link.id)
                .await
                .expect("handled"));
        }
        deliver(&world.services).await;
        let fresh = world.sink.received_by("maria.new@example.it");
        assert_eq!(fresh.len(), 1, "once an hour, however often asked");
        assert!(!fresh[0].link_tokens(EDGE_URL).is_empty());
        assert_eq!(
            world.mail_to("archivio@bottega.it").len(),
            1,
            "no new copy for a fresh link"
        );
        assert!(world
            .history_kinds(id)
            .await
            .contains(&"fresh_link_requested".to_owned()));

        assert!(!world
            .services
            .send_fresh_link("00000000000000000000000000000000")
            .await
            .expect("handled"));
        let voided = world.issued().await;
        world.send(voided, "voided").await;
        let voided_link = world
            .services
            .get_invoice(world.user(), voided)
            .await
            .expect("invoice")
            .links
            .into_iter()
            .find(|link| link.recipient == "customer")
            .expect("its link");
        world
            .services
            .revoke_link(world.user(), voided, voided_link.id.clone())
            .await
            .expect("revoked");
        world
            .services
            .void_invoice(world.user(), voided)
            .await
            .expect("void");
        let before = world.outbox_count("customer").await;
        assert!(world
            .services
            .send_fresh_link(&voided_link.id)
            .await
            .expect("handled"));
        assert_eq!(
            world.outbox_count("customer").await,
            before,
            "a voided invoice gets no fresh link"
        );
    }
}

#[tokio::test]
async fn an_invoice_voided_while_its_email_waits_is_not_sent() {
    for db in databases().await {
        let world = World::new(db).await;
        world.sink.stop().await;
        let id = world.issued().await;
        world.send(id, "then-void").await;
        deliver(&world.services).await;
        world
            .services
            .void_invoice(world.user(), id)
            .await
            .expect("void");
        world.sink.restart().await;
        deliver_at(&world.services, much_later()).await;
        assert!(world.sink.received_by(CUSTOMER).is_empty());
        assert!(world
            .history_kinds(id)
            .await
            .contains(&"email_cancelled".to_owned()));
    }
}

#[tokio::test]
async fn a_dispatcher_whose_lease_ran_out_records_nothing_over_the_one_that_took_over() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;
        world.send(id, "slow").await;
        let slow = server::db::outbox::claim_next(&world.db, now_ms())
            .await
            .expect("claim")
            .expect("the email");
        // The slow dispatcher is still at it when its lease ends; another sends.
        deliver_at(&world.services, now_ms() + server::db::outbox::LEASE_MS + 1).await;
        server::db::outbox::mark_failed(&world.db, &slow, "550 too late", &[], now_ms())
            .await
            .expect("no error");
        assert!(matches!(
            world.email_state(id).await,
            EmailState::Sent { .. }
        ));
        let kinds = world.history_kinds(id).await;
        assert_eq!(kinds.iter().filter(|kind| *kind == "email_sent").count(), 1);
        assert!(!kinds.contains(&"email_failed".to_owned()), "{kinds:?}");
    }
}
