//! A database written by a previous release keeps what it holds when the
//! newer migrations run, on every engine: its sent emails (the sending
//! migration) and its history (the typed history migration).

mod support;

use app::api::{EmailState, OrganisationId};
use invoice::events::{DeviceClass, EdgeEventKind, Recipient};
use invoice::history::{EmailEvent, EmailKind, EmailStep, HistoryEvent, LinkEvent, PaymentEvent};
use invoice::payment::PaymentMethod;
use invoice::{Currency, Money};
use server::db::{invoices, Db};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use support::database_urls;

/// The schema before sending: only the first migration of the engine.
async fn foundation_only(url: &str) -> sqlx::AnyPool {
    migrated_until(url, "0001").await
}

/// The schema as the migrations of the engine up to `last` (a number such
/// as "0006") left it.
async fn migrated_until(url: &str, last: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let (folder, connect_url) = match url.strip_prefix("sqlite://") {
        Some(path) => {
            let file = std::path::Path::new(path);
            std::fs::create_dir_all(file.parent().expect("a folder")).expect("folder");
            ("migrations/sqlite", format!("{url}?mode=rwc"))
        }
        None => ("migrations/postgres", url.to_owned()),
    };
    let mut names: Vec<String> =
        std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder))
            .expect("migrations")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.as_str() <= last || name.starts_with(last))
            .collect();
    names.sort();
    let migrations = tempdir_with(
        &names
            .iter()
            .map(|name| format!("{folder}/{name}"))
            .collect::<Vec<_>>(),
    );
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&connect_url)
        .await
        .expect("connect");
    Migrator::new(migrations.as_path())
        .await
        .expect("migrator")
        .run(&pool)
        .await
        .expect("the previous release's migrations");
    pool
}

fn tempdir_with(migrations: &[String]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("invio-migrations-{}", server::db::random_id()));
    std::fs::create_dir_all(&dir).expect("folder");
    for migration in migrations {
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(migration);
        std::fs::copy(&source, dir.join(source.file_name().expect("a file name"))).expect("copy");
    }
    dir
}

#[tokio::test]
async fn emails_sent_before_the_sending_migration_keep_their_state_and_count_as_sends() {
    for url in database_urls().await {
        let old = foundation_only(&url).await;
        for statement in [
            "INSERT INTO organisations (id, name, created_at) VALUES (1, 'Bottega Rossi', 0)",
            "INSERT INTO stores (id, organisation_id, name, currency, settings, created_at, updated_at)
             VALUES (1, 1, 'Bottega Rossi', 'EUR', '{\"name\":\"Bottega Rossi\"}', 0, 0)",
            "INSERT INTO customers (id, organisation_id, name, search_name, email, language, address, email_invoices, created_at, updated_at)
             VALUES (1, 1, 'Maria Pérez', 'maria pérez', 'maria@example.es', 'es', '', 0, 0, 0)",
            "INSERT INTO invoices (id, organisation_id, store_id, customer_id, lifecycle, number, issue_date, sort_date, currency, total_minor,
                                   lines, notes, search_text, customer_name, edge_key, created_at, updated_at)
             VALUES (1, 1, 1, 1, 'issued', '2026-0001', '2026-11-01', '2026-11-01', 'EUR', 12200, '[]', '', '', 'Maria Pérez', 'k1', 0, 0)",
            "INSERT INTO links (id, organisation_id, invoice_id, recipient, email, created_at)
             VALUES ('00112233445566778899aabbccddeeff', 1, 1, 'customer', 'maria@example.es', 5)",
            "INSERT INTO outbox (organisation_id, invoice_id, link_id, idempotency_key, to_address, subject, body_text, body_html,
                                 status, attempts, next_attempt_at, created_at, sent_at, last_reply)
             VALUES (1, 1, '00112233445566778899aabbccddeeff', '1:invoice-1-send-0', 'maria@example.es', 'Factura', 't', 'h',
                     'sent', 1, 5, 5, 7, '250 OK')",
        ] {
            sqlx::query(statement)
                .execute(&old)
                .await
                .expect("the previous release's data");
        }
        old.close().await;

        let db = Db::connect(&url).await.expect("migrated");
        let (state, sends) = invoices::email_state(&db, OrganisationId(1), 1)
            .await
            .expect("email state");
        assert_eq!(state, EmailState::Sent { at_ms: 7 }, "{url}");
        assert_eq!(sends, 1);
        let published: Option<i64> = sqlx::query_scalar("SELECT published_at FROM links")
            .fetch_one(&db.pool)
            .await
            .expect("link");
        assert_eq!(published, Some(5), "old links were published when made");
        let key_taken: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM send_requests r JOIN outbox o ON o.request_id = r.id
             WHERE r.idempotency_key = '1:invoice-1-send-0' AND r.purpose = 'invoice'",
        )
        .fetch_one(&db.pool)
        .await
        .expect("count");
        assert_eq!(key_taken, 1);
    }
}

#[tokio::test]
async fn a_history_written_as_strings_reads_back_typed_and_keeps_its_opens() {
    for url in database_urls().await {
        let old = migrated_until(&url, "0006").await;
        let event = |id: &str, kind: &str, recipient: &str, automated: i64, detail: &str| {
            let recipient = match recipient {
                "" => "NULL".to_owned(),
                recipient => format!("'{recipient}'"),
            };
            let detail = match detail {
                "" => "NULL".to_owned(),
                detail => format!("'{detail}'"),
            };
            format!(
                "INSERT INTO events (id, organisation_id, invoice_id, link_id, kind, automated, recipient, device, browser, detail, at)
                 VALUES ('{id}', 1, 1, NULL, '{kind}', {automated}, {recipient}, NULL, NULL, {detail}, {})",
                id.len()
            )
        };
        let mut statements = vec![
            "INSERT INTO organisations (id, name, created_at) VALUES (1, 'Bottega Rossi', 0)".to_owned(),
            "INSERT INTO stores (id, organisation_id, name, currency, settings, created_at, updated_at)
             VALUES (1, 1, 'Bottega Rossi', 'EUR', '{\"name\":\"Bottega Rossi\"}', 0, 0)".to_owned(),
            "INSERT INTO customers (id, organisation_id, name, search_name, email, language, address, email_invoices, created_at, updated_at)
             VALUES (1, 1, 'Maria Pérez', 'maria pérez', 'maria@example.es', 'es', '', 0, 0, 0)".to_owned(),
            "INSERT INTO invoices (id, organisation_id, store_id, customer_id, lifecycle, number, issue_date, sort_date, currency, total_minor,
                                   lines, notes, search_text, customer_name, edge_key, created_at, updated_at)
             VALUES (1, 1, 1, 1, 'issued', '2026-0001', '2026-11-01', '2026-11-01', 'EUR', 12200, '[]', '', '', 'Maria Pérez', 'k1', 0, 0)".to_owned(),
        ];
        statements.extend([
            event("a", "created", "", 0, ""),
            event("ab", "issued", "", 0, "2026-0001"),
            event("abc", "email_queued", "customer", 0, "maria@example.es"),
            event(
                "abcd",
                "email_sent",
                "customer",
                0,
                "maria@example.es: 250 2.0.0 Ok: queued as 7F3",
            ),
            event(
                "abcde",
                "reminder_failed",
                "copy",
                0,
                "ops@bottega.it: 550 5.1.1 no such user",
            ),
            event(
                "abcdef",
                "notice_sent",
                "notice",
                0,
                "owner@bottega.it: 250 OK",
            ),
            event("abcdefg", "opened", "customer", 0, ""),
            event("abcdefgh", "opened", "customer", 1, ""),
            event("abcdefghi", "opened", "copy", 0, ""),
            event(
                "abcdefghij",
                "payment_recorded",
                "",
                0,
                "5000 EUR bank_transfer",
            ),
            event(
                "abcdefghijk",
                "payment_deleted",
                "",
                0,
                "5000 EUR bank_transfer",
            ),
            event("abcdefghijkl", "link_revoked", "", 0, "maria@example.es"),
            event("abcdefghijklm", "email_refused_over_quota", "", 0, ""),
            // A kind this release does not know (a newer one, rolled back).
            event("abcdefghijklmn", "teleported", "", 0, ""),
        ]);
        for statement in &statements {
            sqlx::query(statement)
                .execute(&old)
                .await
                .expect("the previous release's data");
        }
        old.close().await;

        let db = Db::connect(&url).await.expect("migrated");
        let history = invoices::history(&db, OrganisationId(1), 1)
            .await
            .expect("the history reads back, the unknown entry left out");
        let events: Vec<HistoryEvent> = history.into_iter().map(|entry| entry.event).collect();
        let payment = PaymentEvent {
            amount: Money::new(5_000, Currency::Eur),
            method: PaymentMethod::BankTransfer,
        };
        let email = |email, step, address: &str, reply: Option<&str>| {
            HistoryEvent::Email(EmailEvent {
                email,
                step,
                address: address.into(),
                reply: reply.map(str::to_owned),
            })
        };
        let opened = |recipient, automated| {
            HistoryEvent::Link(LinkEvent {
                kind: EdgeEventKind::Opened,
                recipient,
                automated,
                device: DeviceClass::Unknown,
                browser: String::new(),
                reasons: Vec::new(),
                copy_to: None,
            })
        };
        assert_eq!(
            events,
            [
                HistoryEvent::Created,
                HistoryEvent::Issued {
                    number: "2026-0001".into()
                },
                email(
                    EmailKind::Invoice(Recipient::Customer),
                    EmailStep::Queued,
                    "maria@example.es",
                    None
                ),
                email(
                    EmailKind::Invoice(Recipient::Customer),
                    EmailStep::Sent,
                    "maria@example.es",
                    Some("250 2.0.0 Ok: queued as 7F3")
                ),
                email(
                    EmailKind::Reminder(Recipient::Copy),
                    EmailStep::Failed,
                    "ops@bottega.it",
                    Some("550 5.1.1 no such user")
                ),
                email(
                    EmailKind::FailureNotice,
                    EmailStep::Sent,
                    "owner@bottega.it",
                    Some("250 OK")
                ),
                opened(Recipient::Customer, false),
                opened(Recipient::Customer, true),
                opened(Recipient::Copy, false),
                HistoryEvent::PaymentRecorded(payment),
                HistoryEvent::PaymentDeleted(payment),
                HistoryEvent::LinkRevoked {
                    address: "maria@example.es".into()
                },
                HistoryEvent::AutomaticSendOverQuota,
            ],
            "{url}"
        );
        let opens: Vec<i64> = sqlx::query_scalar("SELECT counts_as_open FROM events ORDER BY at")
            .fetch_all(&db.pool)
            .await
            .expect("opens");
        assert_eq!(
            opens.iter().sum::<i64>(),
            1,
            "only the customer's own open by a person: {url}"
        );
        assert_eq!(opens[6], 1);
    }
}

#[tokio::test]
async fn stores_from_before_time_zones_take_the_zone_of_their_language() {
    for url in database_urls().await {
        let old = migrated_until(&url, "0008").await;
        sqlx::query(
            "INSERT INTO organisations (id, name, created_at) VALUES (1, 'Bottega Rossi', 0)",
        )
        .execute(&old)
        .await
        .expect("organisation");
        for (id, language) in [(1, "it"), (2, "es"), (3, "en")] {
            sqlx::query(
                "INSERT INTO stores (id, organisation_id, name, currency, settings, created_at, updated_at)
                 VALUES ($1, 1, 'Store', 'EUR', $2, 0, 0)",
            )
            .bind(id)
            .bind(format!(r#"{{"name":"Store","language":"{language}"}}"#))
            .execute(&old)
            .await
            .expect("the previous release's store");
        }
        old.close().await;

        let db = Db::connect(&url).await.expect("migrated");
        for (id, zone) in [
            (1, "Europe/Rome"),
            (2, "Europe/Madrid"),
            (3, "Europe/London"),
        ] {
            let store = server::db::stores::get(&db, OrganisationId(1), id)
                .await
                .expect("store");
            assert_eq!(store.time_zone.name(), zone, "{url}");
            let settings: String = sqlx::query_scalar("SELECT settings FROM stores WHERE id = $1")
                .bind(id)
                .fetch_one(&db.pool)
                .await
                .expect("settings");
            assert!(settings.contains(zone), "{settings}");
        }
    }
}
