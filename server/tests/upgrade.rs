//! A database written by the previous release keeps its sent emails when the
//! sending migration runs, on every engine.

mod support;

use app::api::{EmailState, OrganisationId};
use server::db::{invoices, Db};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use support::database_urls;

/// The schema before sending: only the first migration of the engine.
async fn foundation_only(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let (folder, connect_url) = match url.strip_prefix("sqlite://") {
        Some(path) => {
            let file = std::path::Path::new(path);
            std::fs::create_dir_all(file.parent().expect("a folder")).expect("folder");
            ("migrations/sqlite", format!("{url}?mode=rwc"))
        }
        None => ("migrations/postgres", url.to_owned()),
    };
    let first = tempdir_with(&format!("{folder}/0001_foundation.sql"));
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&connect_url)
        .await
        .expect("connect");
    Migrator::new(first.as_path())
        .await
        .expect("migrator")
        .run(&pool)
        .await
        .expect("the foundation migration");
    pool
}

fn tempdir_with(migration: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("invio-migrations-{}", server::db::random_id()));
    std::fs::create_dir_all(&dir).expect("folder");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(migration);
    std::fs::copy(&source, dir.join(source.file_name().expect("a file name"))).expect("copy");
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
