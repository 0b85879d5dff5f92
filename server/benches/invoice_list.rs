//! The invoice list, rendered on the server as a merchant's browser asks for
//! it, with 100,000 invoices in the database. Prints the median of several
//! rounds as a Markdown table row; `make bench` collects it.
//!
//! `cargo bench -p server --bench invoice_list` (SQLite in a temp folder, or
//! `BENCH_DATABASE_URL=postgres://…` for Postgres).

// The integration tests' harness: its fresh databases.
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Instant;

use app::api::AdminBackend;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use invoice::account::SignupInput;
use invoice::customer::CustomerInput;
use invoice::link::KeyRing;
use server::config::Config;
use server::db::{now_ms, random_id, Db};
use server::services::Services;
use tower::ServiceExt;

const INVOICES: i64 = 100_000;
const ROUNDS: usize = 40;

#[tokio::main]
async fn main() {
    let url = support::bench_database_url().await;
    let db = Db::connect(&url).await.expect("database");
    let config = Config {
        database_url: url.clone(),
        smtp_url: "smtp://127.0.0.1:9".into(),
        mail_from_address: "bench@invio.test".into(),
        edge_url: "http://127.0.0.1:9".into(),
        admin_url: "http://127.0.0.1:3000".into(),
        link_keys: KeyRing::parse("1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").expect("keys"),
        edge_secret: vec![b'x'; 32],
        daily_email_quota: server::config::DEFAULT_DAILY_EMAIL_QUOTA,
        trusted_proxies: Vec::new(),
        hashing_concurrency: 4,
        verifactu: support::test_verifactu_settings(),
    };
    let services = Arc::new(Services::new(db.clone(), config).expect("services"));
    let email = format!("bench-{}@invio.test", random_id());
    services
        .signup(SignupInput {
            business_name: "Bench".into(),
            name: "Bench".into(),
            email: email.clone(),
            password: "a long bench password".into(),
            language: "en".into(),
        })
        .await
        .expect("signup");
    let (session, _) = services
        .login(email, "a long bench password".into(), "127.0.0.1".into())
        .await
        .expect("sign in");
    let owner =
        server::db::accounts::session_user(&db, &server::auth::token_hash(&session), now_ms())
            .await
            .expect("lookup")
            .expect("session");
    let store_id = services.list_stores(&owner).await.expect("stores")[0].id;
    let customer_id = services
        .save_customer(
            &owner,
            None,
            CustomerInput {
                name: "Maria Pérez".into(),
                email: "maria@example.es".into(),
                language: "es".into(),
                ..CustomerInput::default()
            },
        )
        .await
        .expect("customer");

    let seeding = Instant::now();
    seed(&db, owner.organisation.0, store_id, customer_id).await;
    eprintln!("seeded {INVOICES} invoices in {:.1?}", seeding.elapsed());

    let router = server::router(server::state::AppState {
        leptos_options: leptos::config::LeptosOptions::builder()
            .output_name("invio")
            .build(),
        services,
    });
    let mut times = Vec::new();
    for round in 0..ROUNDS + 3 {
        let request = Request::get("/invoices")
            .header(header::HOST, "bench")
            .header(header::COOKIE, format!("invio_session={session}"))
            .body(Body::empty())
            .expect("request");
        let started = Instant::now();
        let response = router.clone().oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 50_000_000)
            .await
            .expect("body");
        let elapsed = started.elapsed();
        assert!(
            String::from_utf8_lossy(&body).contains("data-invoice"),
            "the page lists invoices"
        );
        // The first rounds warm the caches and the connection pool.
        if round >= 3 {
            times.push(elapsed.as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let engine = if url.starts_with("postgres") {
        "Postgres"
    } else {
        "SQLite"
    };
    println!("| invoice list page, {INVOICES} invoices, {engine} | median {median:.1} ms over {ROUNDS} rounds | goal ≤ 20 ms |");
}

/// Inserts issued invoices in large transactions, straight into the table.
async fn seed(db: &Db, organisation: i64, store_id: i64, customer_id: i64) {
    let lines = r#"[{"description":"Item","quantity_milli":1000,"unit_price_minor":10000,"tax_rate_bp":2200}]"#;
    let now = now_ms();
    let mut number = 0_i64;
    while number < INVOICES {
        let mut tx = db.pool.begin().await.expect("transaction");
        for _ in 0..5_000 {
            number += 1;
            let day = 1 + number % 28;
            let month = 1 + (number / 28) % 12;
            sqlx::query(
                "INSERT INTO invoices (organisation_id, store_id, customer_id, lifecycle, number, issue_date, sort_date, currency, total_minor, paid_minor, lines, notes, search_text, customer_name, edge_key, version, created_at, updated_at)
                 VALUES ($1, $2, $3, 'issued', $4, $5, $5, 'EUR', $6, 0, $7, '', $8, 'Maria Pérez', $9, 1, $10, $10)",
            )
            .bind(organisation)
            .bind(store_id)
            .bind(customer_id)
            .bind(format!("2025-{number:06}"))
            .bind(format!("2025-{month:02}-{day:02}"))
            .bind(12_200 + number % 1000)
            .bind(lines)
            .bind(format!("maria pérez 2025-{number:06}"))
            .bind(random_id())
            .bind(now)
            .execute(&mut *tx)
            .await
            .expect("insert");
        }
        tx.commit().await.expect("commit");
    }
}
