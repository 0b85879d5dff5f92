// Each test binary uses a different part of the harness.
#![allow(dead_code)]

//! A server under test: a fresh database (SQLite, and Postgres when
//! TEST_POSTGRES_URL is set), a fake edge that checks signatures, and a small
//! SMTP sink that keeps what it receives.

use std::sync::{Arc, Mutex};

use app::api::{AdminBackend, CurrentUser};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::put;
use invoice::account::SignupInput;
use invoice::customer::CustomerInput;
use invoice::document::{DraftInput, LineInput};
use invoice::events::{Publication, PUBLISH_PATH};
use invoice::link::KeyRing;
use invoice::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use server::auth;
use server::config::Config;
use server::db::accounts;
use server::db::{now_ms, random_id, Db};
use server::edge_sync::EdgeClient;
use server::services::Services;
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

pub const EDGE_SECRET: &[u8] = b"test-edge-secret-test-edge-secret-!!";
pub const LINK_KEYS: &str = "1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// Every database the suite runs on.
pub async fn databases() -> Vec<Db> {
    let sqlite_dir = std::env::temp_dir().join(format!("invio-test-{}", random_id()));
    let mut urls = vec![format!("sqlite://{}/invio.db", sqlite_dir.display())];
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(admin_url) => {
            let name = format!("invio_test_{}", random_id());
            let mut admin = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("connect to TEST_POSTGRES_URL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .expect("create database");
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(base, _)| base);
            urls.push(format!("{base}/{name}"));
        }
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI must run the suite on Postgres: set TEST_POSTGRES_URL")
        }
        Err(_) => eprintln!("TEST_POSTGRES_URL is not set: running on SQLite only"),
    }
    let mut databases = Vec::new();
    for url in urls {
        databases.push(Db::connect(&url).await.expect("connect and migrate"));
    }
    databases
}

#[derive(Clone, Default)]
pub struct FakeEdge {
    pub publications: Arc<Mutex<Vec<Publication>>>,
}

impl FakeEdge {
    /// Starts on a free port; answers 401 to anything not signed with EDGE_SECRET.
    pub async fn start() -> (Self, String) {
        let edge = FakeEdge::default();
        let publications = edge.publications.clone();
        let app = axum::Router::new().route(
            PUBLISH_PATH,
            put(move |headers: HeaderMap, body: Bytes| {
                let publications = publications.clone();
                async move {
                    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
                    let verified = signing::verify(
                        EDGE_SECRET,
                        "PUT",
                        PUBLISH_PATH,
                        header(TIMESTAMP_HEADER),
                        header(SIGNATURE_HEADER),
                        &body,
                        now_ms() / 1000,
                    );
                    if verified.is_err() {
                        return StatusCode::UNAUTHORIZED;
                    }
                    let publication: Publication =
                        serde_json::from_slice(&body).expect("a publication");
                    publications.lock().expect("lock").push(publication);
                    StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (edge, url)
    }
}

/// One message as the SMTP sink received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub recipients: Vec<String>,
    pub data: String,
}

/// Just enough SMTP to accept mail from lettre: EHLO, MAIL, RCPT, DATA, QUIT.
#[derive(Clone, Default)]
pub struct SmtpSink {
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub async fn start() -> (Self, u16) {
        let sink = SmtpSink::default();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let received = sink.received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_smtp(stream, received.clone()));
            }
        });
        (sink, port)
    }
}

async fn serve_smtp(stream: tokio::net::TcpStream, received: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
    let mut recipients = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 sink\r\n"
        } else if command.starts_with("RCPT TO:") {
            recipients.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
            b"250 OK\r\n"
        } else if command.starts_with("DATA") {
            let _ = write.write_all(b"354 go ahead\r\n").await;
            let mut data = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                data.push_str(&line);
                data.push('\n');
            }
            received.lock().expect("lock").push(Received {
                recipients: std::mem::take(&mut recipients),
                data,
            });
            b"250 2.0.0 queued as 1\r\n"
        } else if command.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            break;
        } else {
            b"250 OK\r\n"
        };
        let _ = write.write_all(reply).await;
    }
}

pub fn services(db: Db, edge_url: &str, smtp_port: u16) -> Services {
    let config = Config {
        database_url: String::new(),
        smtp_url: format!("smtp://127.0.0.1:{smtp_port}"),
        mail_from_address: "invoices@invio.test".into(),
        edge_url: "https://edge.invio.test".into(),
        admin_url: "http://127.0.0.1:3000".into(),
        link_keys: KeyRing::parse(LINK_KEYS).expect("keys"),
        edge_secret: EDGE_SECRET.to_vec(),
    };
    let mut services = Services::new(db, config).expect("services");
    // Links carry the public edge URL; publications go to the fake edge.
    services.edge = EdgeClient::new(edge_url, EDGE_SECRET.to_vec());
    services
}

/// A merchant ready to invoice: an organisation with its owner signed in,
/// its first store, and one customer.
pub struct Merchant {
    pub owner: CurrentUser,
    pub session: String,
    pub store_id: i64,
    pub customer_id: i64,
}

/// Signs a merchant up through the same service the sign-up form calls.
pub async fn sign_up(services: &Services, email: &str, customer_email: &str) -> Merchant {
    let session = services
        .signup(SignupInput {
            business_name: "Bottega Rossi".into(),
            name: "Giulia Rossi".into(),
            email: email.into(),
            password: "correct horse battery".into(),
            language: "it".into(),
        })
        .await
        .expect("signed up");
    let owner = accounts::session_user(&services.db, &auth::token_hash(&session), now_ms())
        .await
        .expect("session lookup")
        .expect("a live session");
    let store_id = services.list_stores(&owner).await.expect("stores")[0].id;
    let customer_id = services
        .save_customer(
            &owner,
            None,
            CustomerInput {
                name: "Maria Pérez".into(),
                email: customer_email.into(),
                language: "es".into(),
                tax_id: "B12345678".into(),
                address: "Calle Mayor 1\n28013 Madrid".into(),
                email_invoices: false,
            },
        )
        .await
        .expect("customer saved");
    Merchant {
        owner,
        session,
        store_id,
        customer_id,
    }
}

/// A draft of two lines: 2 × 100.00 at 22 % and 1 × 50.00 at 10 %.
pub fn draft(merchant: &Merchant) -> DraftInput {
    DraftInput {
        customer_id: merchant.customer_id.to_string(),
        store_id: merchant.store_id.to_string(),
        issue_date: String::new(),
        due_date: String::new(),
        notes: "Grazie!".into(),
        lines: vec![
            LineInput {
                description: "Consulenza".into(),
                quantity: "2".into(),
                unit_price: "100".into(),
                tax_rate: "22".into(),
            },
            LineInput {
                description: "Libro".into(),
                quantity: "1".into(),
                unit_price: "50".into(),
                tax_rate: "10".into(),
            },
        ],
    }
}

/// Saves and issues a draft; returns the invoice id.
pub async fn issued_invoice(services: &Services, merchant: &Merchant) -> i64 {
    let id = services
        .save_draft(&merchant.owner, None, 0, draft(merchant))
        .await
        .expect("draft saved");
    services
        .issue_invoice(&merchant.owner, id, 1)
        .await
        .expect("issued");
    id
}

/// The server's router over these services, as the binary serves it.
pub fn router(services: Arc<Services>) -> axum::Router {
    server::router(server::state::AppState {
        leptos_options: leptos::config::LeptosOptions::builder()
            .output_name("invio")
            .build(),
        services,
    })
}
