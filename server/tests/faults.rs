//! The fault suite: the server's work interrupted as production interrupts
//! it, each case ending with a count of what was lost and what was doubled.
//! Lost must be 0. Doubled must be 0, except emails after a `kill -9`: those
//! the SMTP server had accepted but the dead server had not yet recorded are
//! sent again, at most one per dispatcher worker; the count is measured and
//! printed.
//!
//! `make test` runs a short version; `make faults` sets `FAULTS_FULL=1` for
//! more emails, more events and more crashes. Run with `--nocapture` to see
//! the table rows. The AEAT down then back is played by the stand-in of
//! `support/aeat.rs`. The edge → server link down while customers open
//! invoices is in `end2end/tests/faults.spec.ts`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use invoice::events::{EdgeEvent, MAX_BATCH_EVENTS};
use server::db::{events, links, Db};
use server::email::dispatcher::{run_dispatcher, DISPATCH_WORKERS};
use server::services::Services;
use support::smtp::SmtpSink;
use support::{database_urls, FakeEdge, Merchant, EDGE_SECRET, LINK_KEYS};

/// One case at a time: restarting Postgres would break the others' connections.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn full() -> bool {
    std::env::var_os("FAULTS_FULL").is_some()
}

fn engine(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "Postgres"
    } else {
        "SQLite"
    }
}

/// Queues `sends` emails of 20 recipients each; returns how many emails.
async fn queue_emails(services: &Services, merchant: &Merchant, sends: usize) -> usize {
    let invoice_id = support::issued_invoice(services, merchant).await;
    for send in 0..sends {
        support::send_to_many(
            services,
            &merchant.owner,
            invoice_id,
            20,
            &format!("faults-{send}"),
        )
        .await;
    }
    sends * 20
}

async fn pending_emails(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

/// Five minutes pass: the leases of emails claimed by a dispatcher that is
/// gone run out, so another may take them over.
async fn leases_run_out(db: &Db) {
    sqlx::query(
        "UPDATE outbox SET lease_until = 1 WHERE status = 'pending' AND lease_until IS NOT NULL",
    )
    .execute(&db.pool)
    .await
    .expect("leases");
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// The server binary, as an operator starts it, on this database.
fn start_server(database_url: &str, smtp_port: u16, edge_url: &str) -> Child {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(&workspace)
        .env("DATABASE_URL", database_url)
        .env("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .env("EDGE_URL", edge_url)
        .env("LINK_SIGNING_KEYS", LINK_KEYS)
        .env(
            "EDGE_SHARED_SECRET",
            String::from_utf8_lossy(EDGE_SECRET).as_ref(),
        )
        .env("LEPTOS_OUTPUT_NAME", "invio")
        .env("LEPTOS_SITE_ROOT", workspace.join("target").join("site"))
        .env("LEPTOS_SITE_PKG_DIR", "pkg")
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("RUST_LOG", "error")
        .spawn()
        .expect("start the server binary")
}

async fn wait_until(what: &str, timeout: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_while_sending_loses_no_email_and_resends_at_most_what_was_in_flight() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (sends, crashes) = if full() { (15, 3) } else { (3, 1) };
    for url in database_urls().await {
        let db = Db::connect(&url).await.expect("database");
        let (edge, edge_url) = FakeEdge::start().await;
        let sink = SmtpSink::start().await;
        // Each confirmation waits a little, so the kill lands between a
        // message delivered and its delivery recorded.
        sink.delay_replies(Duration::from_millis(20));
        let services = support::services(db.clone(), &edge_url, sink.port);
        let merchant = support::sign_up(&services, support::OWNER, support::CUSTOMER).await;
        let emails = queue_emails(&services, &merchant, sends).await;

        for crash in 1..=crashes {
            let mut server = start_server(&url, sink.port, &edge_url);
            let target = emails * crash / (crashes + 1);
            wait_until(
                "emails before the crash",
                Duration::from_secs(120),
                async || sink.received().len() >= target,
            )
            .await;
            server.kill().expect("kill -9");
            server.wait().expect("reaped");
            leases_run_out(&db).await;
        }
        let mut server = start_server(&url, sink.port, &edge_url);
        wait_until("every email", Duration::from_secs(120), async || {
            pending_emails(&db).await == 0
        })
        .await;
        server.kill().expect("stopped");
        server.wait().expect("reaped");

        let (distinct, doubled) = sink.distinct_and_doubled();
        let lost = emails - distinct;
        println!(
            "\n| server killed (kill -9) {crashes}× while sending {emails} emails, {} | lost {lost} | doubled {doubled} (bound: {} in flight per crash) |",
            engine(&url),
            DISPATCH_WORKERS
        );
        assert_eq!(lost, 0, "no email lost");
        assert!(
            doubled <= crashes * DISPATCH_WORKERS,
            "only emails in flight at a crash are sent again: {doubled}"
        );
        assert!(!edge.publications().is_empty(), "links were published");
    }
}

/// Delivers until nothing is pending, as time passes and retries fall due.
async fn deliver_everything(services: &Services, db: &Db) {
    wait_until("every email", Duration::from_secs(120), async || {
        support::deliver_at(services, support::much_later()).await;
        pending_emails(db).await == 0
    })
    .await;
}

/// A merchant on a fresh database with emails queued for an SMTP sink.
async fn queued_for_smtp(url: &str) -> (Db, Services, SmtpSink, usize) {
    let db = Db::connect(url).await.expect("database");
    let (_edge, edge_url) = FakeEdge::start().await;
    let sink = SmtpSink::start().await;
    let services = support::services(db.clone(), &edge_url, sink.port);
    let merchant = support::sign_up(&services, support::OWNER, support::CUSTOMER).await;
    let emails = queue_emails(&services, &merchant, if full() { 10 } else { 2 }).await;
    (db, services, sink, emails)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_smtp_server_down_then_back_gets_every_email_once() {
    let _alone = ONE_AT_A_TIME.lock().await;
    for url in database_urls().await {
        let (db, services, sink, emails) = queued_for_smtp(&url).await;

        sink.stop().await;
        let attempted = support::deliver(&services).await;
        sink.restart().await;
        deliver_everything(&services, &db).await;

        let (distinct, doubled) = sink.distinct_and_doubled();
        let lost = emails - distinct;
        println!(
            "\n| SMTP server down ({attempted} attempts refused), then back, {emails} emails, {} | lost {lost} | doubled {doubled} |",
            engine(&url)
        );
        assert_eq!((lost, doubled), (0, 0));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_smtp_server_answering_421_then_250_gets_every_email_once() {
    let _alone = ONE_AT_A_TIME.lock().await;
    for url in database_urls().await {
        let (db, services, sink, emails) = queued_for_smtp(&url).await;

        sink.busy_for(emails / 2);
        deliver_everything(&services, &db).await;

        let (distinct, doubled) = sink.distinct_and_doubled();
        let lost = emails - distinct;
        println!(
            "\n| SMTP answering 421 to {} messages, then 250, {emails} emails, {} | lost {lost} | doubled {doubled} |",
            emails / 2,
            engine(&url)
        );
        assert_eq!((lost, doubled), (0, 0));
    }
}

/// Restarts the test suite's throw-away Postgres cluster (`.ci/postgres.sh`).
fn restart_postgres() {
    let data = PathBuf::from(std::env::var("PG_TEST_DIR").expect("PG_TEST_DIR")).join("data");
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .expect("postgres installed")
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .max()
        .expect("a postgres version");
    let pg_ctl = bin.join("pg_ctl");
    let mut command = if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(&pg_ctl);
        command
    } else {
        Command::new(&pg_ctl)
    };
    let status = command
        .arg("-D")
        .arg(&data)
        .args(["-m", "fast", "-w", "restart"])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("pg_ctl");
    assert!(status.success(), "postgres restarted");
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.starts_with(b"0\n"))
}

/// A case that cannot run here is skipped on a developer's machine, and fails
/// under CI: a green CI must mean the case ran.
fn cannot_run(why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{why}: CI must run this case"
    );
    eprintln!("{why}: skipped");
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_restarted_under_load_loses_and_doubles_nothing() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(url) = database_urls()
        .await
        .into_iter()
        .find(|url| url.starts_with("postgres"))
    else {
        return cannot_run("no Postgres (TEST_POSTGRES_URL)");
    };
    if std::env::var_os("PG_TEST_DIR").is_none() {
        return cannot_run(
            "Postgres not started by .ci/postgres.sh (PG_TEST_DIR): it cannot be restarted here",
        );
    }
    let (sends, batches) = if full() { (10, 400) } else { (3, 100) };
    let db = Db::connect(&url).await.expect("database");
    let (_edge, edge_url) = FakeEdge::start().await;
    let sink = SmtpSink::start().await;
    sink.delay_replies(Duration::from_millis(5));
    let services = std::sync::Arc::new(support::services(db.clone(), &edge_url, sink.port));
    let merchant = support::sign_up(&services, support::OWNER, support::CUSTOMER).await;
    let emails = queue_emails(&services, &merchant, sends).await;
    let invoice_id: i64 = sqlx::query_scalar("SELECT MAX(id) FROM invoices")
        .fetch_one(&db.pool)
        .await
        .expect("invoice");
    let link_ids: Vec<String> = links::for_invoice(&db, merchant.owner.organisation, invoice_id)
        .await
        .expect("links")
        .into_iter()
        .map(|link| link.id)
        .collect();

    let dispatcher = tokio::spawn(run_dispatcher(services.clone()));
    // The edge's side: each batch is offered until the server takes it, as
    // the worker's queue retries it.
    let ingest_db = db.clone();
    let ingest = tokio::spawn(async move {
        let mut retried = 0;
        for batch in 0..batches {
            let events: Vec<EdgeEvent> = (0..MAX_BATCH_EVENTS / 4)
                .map(|n| support::person_opened(&link_ids[(batch + n) % link_ids.len()]))
                .collect();
            while events::ingest(&ingest_db, &events).await.is_err() {
                retried += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // Customers open invoices over time, not all at once.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        retried
    });

    wait_until(
        "some emails before the restart",
        Duration::from_secs(60),
        async || sink.received().len() >= emails / 3,
    )
    .await;
    assert!(
        !ingest.is_finished(),
        "the restart must come while events are still arriving"
    );
    restart_postgres();
    let retried = ingest.await.expect("ingest finished");
    // The dispatcher carries on by itself: retries come due, nothing waits
    // out a lease.
    wait_until("every email", Duration::from_secs(120), async || {
        pending_emails(&db).await == 0
    })
    .await;
    dispatcher.abort();

    let (distinct, doubled_emails) = sink.distinct_and_doubled();
    let lost_emails = emails - distinct;
    let sent_events = batches * (MAX_BATCH_EVENTS / 4);
    let recorded_events: i64 = sqlx::query_scalar(
        // Repeats through one link are one row with their count.
        "SELECT CAST(COALESCE(SUM(repeat_count), 0) AS BIGINT) FROM events WHERE kind = 'opened'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    let lost_events = sent_events as i64 - recorded_events;
    println!(
        "\n| Postgres restarted while sending {emails} emails and ingesting {sent_events} events ({retried} batches retried) | lost {lost_emails} emails, {lost_events} events | doubled {doubled_emails} emails, {} events |",
        (-lost_events).max(0)
    );
    assert_eq!(lost_emails, 0, "no email lost");
    assert_eq!(lost_events, 0, "no event lost nor doubled");
    assert_eq!(doubled_emails, 0, "no email doubled");
}

/// The AEAT unreachable for a while (connections refused, then 503), then
/// back: the sender's rounds run as the clock passes its backoff, and every
/// record reaches the AEAT once, in the chain's order, the first send after
/// the outage saying Incidencia S.
#[tokio::test(flavor = "multi_thread")]
async fn the_aeat_down_for_a_while_then_back_gets_every_record_once_in_order() {
    use support::aeat::{AeatStandIn, Availability};
    use support::records::{KeptChain, CUSTOMER_NIF, SELLER_NIF};

    let _alone = ONE_AT_A_TIME.lock().await;
    for url in database_urls().await {
        let db = Db::connect(&url).await.expect("database");
        let aeat = AeatStandIn::start().await;
        let (endpoint, roots) = (aeat.url.clone(), aeat.pki.ca_pem());
        let world = support::World::configured(db.clone(), support::OWNER, move |config| {
            config.verifactu.endpoint = endpoint;
            config.verifactu.root_certificates = roots;
        })
        .await;
        let file = aeat
            .pki
            .merchant(SELLER_NIF, "TALLER RUIZ S.L.", (2099, 1, 1))
            .pkcs12("clave");
        world
            .services
            .upload_verifactu_certificate(
                world.user(),
                world.merchant.store_id,
                server::verifactu::certificate::CertificateUpload::Pkcs12 {
                    file: &file,
                    password: "clave",
                },
            )
            .await
            .expect("certificate");
        let invoice_id = world.issued().await;
        let mut chain = KeptChain::open(
            &db,
            world.user().organisation,
            world.merchant.store_id,
            SELLER_NIF,
        )
        .await;
        let records = if full() { 2500 } else { 300 };
        let mut clock = server::db::now_ms();
        aeat.set_availability(Availability::Refusing);
        let mut failed_rounds = 0;
        for n in 1..=records {
            chain
                .alta(&db, invoice_id, &format!("F-{n}"), CUSTOMER_NIF)
                .await;
            if n % 100 == 0 {
                clock += 3_600_000;
                failed_rounds += world
                    .services
                    .send_to_aeat(clock)
                    .await
                    .expect("round")
                    .len();
                // Refused at first, then the AEAT's front answers 503.
                aeat.set_availability(Availability::Unavailable);
            }
        }
        aeat.set_availability(Availability::Up);
        while aeat.registered() < records && clock < server::db::now_ms() + 1_000 * 3_600_000 {
            clock += 3_600_000;
            world.services.send_to_aeat(clock).await.expect("round");
        }

        let received: Vec<String> = aeat
            .records()
            .into_iter()
            .map(|record| record.number)
            .collect();
        let distinct: std::collections::BTreeSet<&String> = received.iter().collect();
        let lost = records - distinct.len();
        let doubled = received.len() - distinct.len();
        let expected: Vec<String> = (1..=records).map(|n| format!("F-{n}")).collect();
        let sent: Vec<String> = aeat
            .records()
            .into_iter()
            .map(|record| record.xml)
            .collect();
        println!(
            "\n| AEAT down ({failed_rounds} sends refused or 503), then back, {records} records, {} | lost {lost} | doubled {doubled} |",
            engine(&url)
        );
        assert_eq!((lost, doubled), (0, 0));
        assert_eq!(received, expected, "in the chain's order");
        assert_eq!(invoice::verifactu::verify_chain(&sent), Ok(records));
        assert!(
            aeat.received().first().is_some_and(|first| first.incident),
            "the first send after the outage says Incidencia S"
        );
    }
}
