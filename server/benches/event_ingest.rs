//! Event ingest: events per second recorded by `db::events::ingest` (look up
//! the links, insert what is new, mark the invoices changed), side by side
//! with a raw batched INSERT of the same rows into the same table. Batches of
//! `MAX_BATCH_EVENTS`, as the edge sends them. Rounds alternate which goes
//! first; prints the medians and their ratio as a Markdown table row for
//! `make bench`.
//!
//! `cargo bench -p server --bench event_ingest` (SQLite in a temp folder, or
//! `BENCH_DATABASE_URL=postgres://…` for Postgres).

// The integration tests' harness: its merchant set-up.
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use invoice::events::{DeviceClass, EdgeEvent, EdgeEventKind, MAX_BATCH_EVENTS};
use server::db::{events, links, random_id, values_placeholders, Db};
use sqlx::Row;

/// Batches per round; each round records 5,000 events both ways.
const BATCHES: usize = 50;
const ROUNDS: usize = 7;
/// Recipients of the invoice, so a batch's events come through several links.
const LINKS: usize = 10;

#[tokio::main]
async fn main() {
    let url = support::bench_database_url().await;
    let db = Db::connect(&url).await.expect("database");
    let services = support::services(db.clone(), "http://127.0.0.1:9", 9);
    let merchant = support::sign_up(&services, "bench@invio.test", "maria@example.es").await;
    // Ingest and the raw INSERT each get their own invoice and links: rows
    // the raw INSERT writes never merge, and ingest would otherwise look
    // through tens of thousands of them that no edge could have sent.
    let sent_links = |key: &'static str| {
        let (services, merchant, db) = (&services, &merchant, &db);
        async move {
            let invoice_id = support::issued_invoice(services, merchant).await;
            support::send_to_many(services, &merchant.owner, invoice_id, LINKS, key).await;
            let link_ids: Vec<String> =
                links::for_invoice(db, merchant.owner.organisation, invoice_id)
                    .await
                    .expect("links")
                    .into_iter()
                    .map(|link| link.id)
                    .collect();
            (invoice_id, link_ids)
        }
    };
    let (_, link_ids) = sent_links("bench").await;
    let (invoice_id, raw_link_ids) = sent_links("raw").await;

    let mut ingest_rates = Vec::new();
    let mut raw_rates = Vec::new();
    for round in 0..ROUNDS + 1 {
        let ingest_batches = batches(&link_ids);
        let raw_batches = batches(&raw_link_ids);
        let (ingested, inserted) = if round % 2 == 0 {
            let ingested = ingest(&db, &ingest_batches).await;
            (ingested, insert_raw(&db, &raw_batches, invoice_id).await)
        } else {
            let inserted = insert_raw(&db, &raw_batches, invoice_id).await;
            (ingest(&db, &ingest_batches).await, inserted)
        };
        // The first round warms the pool and the caches.
        if round > 0 {
            ingest_rates.push(ingested);
            raw_rates.push(inserted);
        }
    }
    let ours = median(&mut ingest_rates);
    let reference = median(&mut raw_rates);
    let engine = if url.starts_with("postgres") {
        "Postgres"
    } else {
        "SQLite"
    };
    println!(
        "| event ingest, {engine}, batches of {MAX_BATCH_EVENTS} | {ours:.0} events/s vs raw batched INSERT {reference:.0} events/s (medians of {ROUNDS} rounds of {}) | ratio {:.2} |",
        BATCHES * MAX_BATCH_EVENTS,
        ours / reference
    );
}

/// A round's events: opens, downloads and fetches spread over the links.
fn batches(link_ids: &[String]) -> Vec<Vec<EdgeEvent>> {
    let kinds = [
        EdgeEventKind::LinkFetched,
        EdgeEventKind::Opened,
        EdgeEventKind::PdfDownloaded,
    ];
    (0..BATCHES)
        .map(|batch| {
            (0..MAX_BATCH_EVENTS)
                .map(|n| EdgeEvent {
                    id: random_id(),
                    link_id: link_ids[(batch + n) % link_ids.len()].clone(),
                    kind: kinds[n % kinds.len()],
                    automated: n % 7 == 0,
                    at_ms: server::db::now_ms(),
                    device: DeviceClass::Phone,
                    browser: "Safari".into(),
                    clues: Vec::new(),
                })
                .collect()
        })
        .collect()
}

/// Records the batches through Invio's ingest; events per second.
async fn ingest(db: &Db, batches: &[Vec<EdgeEvent>]) -> f64 {
    let started = Instant::now();
    for batch in batches {
        let recorded = events::ingest(db, batch).await.expect("ingested");
        assert_eq!(recorded, batch.len(), "every event recorded once");
    }
    (BATCHES * MAX_BATCH_EVENTS) as f64 / started.elapsed().as_secs_f64()
}

/// The same rows with one multi-row INSERT per batch, the owner of each link
/// known in advance; events per second.
async fn insert_raw(db: &Db, batches: &[Vec<EdgeEvent>], invoice_id: i64) -> f64 {
    let organisation: i64 = sqlx::query("SELECT organisation_id FROM invoices WHERE id = $1")
        .bind(invoice_id)
        .fetch_one(&db.pool)
        .await
        .expect("invoice")
        .get(0);
    let started = Instant::now();
    for batch in batches {
        let rows = values_placeholders(batch.len(), 10);
        let sql = format!(
            "INSERT INTO events (id, organisation_id, invoice_id, link_id, kind, automated, recipient, device, browser, at) VALUES {rows}"
        );
        let mut insert = sqlx::query(&sql);
        for event in batch {
            insert = insert
                .bind(event.id.clone())
                .bind(organisation)
                .bind(invoice_id)
                .bind(event.link_id.clone())
                .bind(event.kind.as_str())
                .bind(i64::from(event.automated))
                .bind("customer")
                .bind("phone")
                .bind(event.browser.clone())
                .bind(event.at_ms);
        }
        let mut tx = db.pool.begin().await.expect("transaction");
        insert.execute(&mut *tx).await.expect("inserted");
        tx.commit().await.expect("committed");
    }
    (BATCHES * MAX_BATCH_EVENTS) as f64 / started.elapsed().as_secs_f64()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
