//! Email dispatch: emails per second from the outbox to a local SMTP sink
//! through Invio's dispatcher (claim the row, send through the pooled lettre
//! transport, record the reply and the history), side by side with a raw
//! lettre client sending the same messages to the same sink with the same
//! concurrency. Rounds alternate which goes first; prints the medians and
//! their ratio as a Markdown table row for `make bench`.
//!
//! The links are marked published before timing: publishing to the edge is
//! part of sending, not of SMTP dispatch, and is measured with the edge.
//!
//! `cargo bench -p server --bench email_dispatch` (SQLite in a temp folder,
//! or `BENCH_DATABASE_URL=postgres://…` for Postgres).

// The integration tests' harness: its SMTP sink and its merchant set-up.
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use app::api::{AdminBackend, CurrentUser};
use invoice::email::{EmailPurpose, SendInput};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use server::db::{links, now_ms, Db};
use server::email::dispatcher::DISPATCH_WORKERS;
use server::services::Services;
use sqlx::Row;
use support::smtp::SmtpSink;

/// Emails per round: 10 sends of 20 recipients each.
const SENDS: usize = 10;
const RECIPIENTS: usize = 20;
const EMAILS: usize = SENDS * RECIPIENTS;
const ROUNDS: usize = 7;

#[tokio::main]
async fn main() {
    let url = support::bench_database_url().await;
    let sink = SmtpSink::start().await;
    let db = Db::connect(&url).await.expect("database");
    let services = Arc::new(support::services(
        db.clone(),
        "http://127.0.0.1:9",
        sink.port,
    ));
    let merchant = support::sign_up(&services, "bench@invio.test", "maria@example.es").await;
    let invoice_id = support::issued_invoice(&services, &merchant).await;
    let owner = merchant.owner;
    let raw = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port)
        .build();

    let mut dispatcher_rates = Vec::new();
    let mut raw_rates = Vec::new();
    for round in 0..ROUNDS + 1 {
        queue_round(&services, &db, &owner, invoice_id, round).await;
        let messages = messages_of_round(&db, round).await;
        let (dispatched, sent_raw) = if round % 2 == 0 {
            let dispatched = dispatch(&services, &sink).await;
            (dispatched, send_raw(&raw, messages, &sink).await)
        } else {
            let sent_raw = send_raw(&raw, messages, &sink).await;
            (dispatch(&services, &sink).await, sent_raw)
        };
        // The first round opens the pools' connections and warms the caches.
        if round > 0 {
            dispatcher_rates.push(dispatched);
            raw_rates.push(sent_raw);
        }
    }
    let dispatcher = median(&mut dispatcher_rates);
    let reference = median(&mut raw_rates);
    let engine = if url.starts_with("postgres") {
        "Postgres"
    } else {
        "SQLite"
    };
    println!(
        "| email dispatch, {engine}, {DISPATCH_WORKERS} workers | {dispatcher:.0} emails/s vs raw lettre client {reference:.0} emails/s (medians of {ROUNDS} rounds of {EMAILS}) | ratio {:.2}, goal ≥ 0.8 |",
        dispatcher / reference
    );
}

/// Queues this round's sends, and marks their links published.
async fn queue_round(
    services: &Services,
    db: &Db,
    owner: &CurrentUser,
    invoice_id: i64,
    round: usize,
) {
    let form = services
        .send_form(owner, invoice_id, EmailPurpose::Invoice)
        .await
        .expect("form");
    for send in 0..SENDS {
        let to = (0..RECIPIENTS)
            .map(|n| format!("customer-{round}-{send}-{n}@example.es"))
            .collect::<Vec<_>>()
            .join("; ");
        services
            .send_invoice(
                owner,
                invoice_id,
                EmailPurpose::Invoice,
                SendInput {
                    to,
                    subject: form.subject.clone(),
                    message: form.message.clone(),
                },
                format!("bench-{round}-{send}"),
            )
            .await
            .expect("queued");
    }
    let ids: Vec<String> = links::for_invoice(db, owner.organisation, invoice_id)
        .await
        .expect("links")
        .into_iter()
        .map(|link| link.id)
        .collect();
    links::mark_published(db, invoice_id, &ids, now_ms())
        .await
        .expect("published");
}

/// The round's emails as lettre messages, exactly as queued.
async fn messages_of_round(db: &Db, round: usize) -> Vec<Message> {
    sqlx::query(
        "SELECT to_address, subject, body_text, body_html FROM outbox WHERE to_address LIKE $1 ORDER BY id",
    )
    .bind(format!("customer-{round}-%"))
    .fetch_all(&db.pool)
    .await
    .expect("outbox")
    .iter()
    .map(|row| {
        let to: String = row.get("to_address");
        Message::builder()
            .from(
                "Bottega Rossi <invoices@invio.test>"
                    .parse::<Mailbox>()
                    .expect("from"),
            )
            .to(to.parse().expect("to"))
            .subject(row.get::<String, _>("subject"))
            .multipart(MultiPart::alternative_plain_html(
                row.get::<String, _>("body_text"),
                row.get::<String, _>("body_html"),
            ))
            .expect("message")
    })
    .collect()
}

/// Runs the dispatcher's workers until the outbox is empty; emails per second.
async fn dispatch(services: &Arc<Services>, sink: &SmtpSink) -> f64 {
    let before = sink.received().len();
    let started = Instant::now();
    let workers: Vec<_> = (0..DISPATCH_WORKERS)
        .map(|_| {
            let services = services.clone();
            tokio::spawn(async move { services.deliver_due(&now_ms).await })
        })
        .collect();
    for worker in workers {
        worker.await.expect("joined").expect("dispatched");
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(
        sink.received().len() - before,
        EMAILS,
        "every email sent once"
    );
    EMAILS as f64 / elapsed
}

/// Sends the messages with a raw pooled lettre client, as many at once as the
/// dispatcher has workers; emails per second.
async fn send_raw(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    messages: Vec<Message>,
    sink: &SmtpSink,
) -> f64 {
    assert_eq!(messages.len(), EMAILS);
    let before = sink.received().len();
    let queue = Arc::new(Mutex::new(messages));
    let started = Instant::now();
    let workers: Vec<_> = (0..DISPATCH_WORKERS)
        .map(|_| {
            let queue = queue.clone();
            let transport = transport.clone();
            tokio::spawn(async move {
                loop {
                    let next = queue.lock().expect("lock").pop();
                    match next {
                        Some(message) => {
                            transport.send(message).await.expect("sent");
                        }
                        None => break,
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("joined");
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(sink.received().len() - before, EMAILS);
    EMAILS as f64 / elapsed
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
