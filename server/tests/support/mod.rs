//! A server under test: a fresh database (SQLite, and Postgres when
//! TEST_POSTGRES_URL is set), a fake edge that checks signatures, and a small
//! SMTP sink that keeps what it receives.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::put;
use invoice::events::{Publication, PUBLISH_PATH};
use invoice::link::KeyRing;
use invoice::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use server::config::Config;
use server::db::{now_ms, random_id, Db};
use server::edge_sync::EdgeClient;
use server::email::Mailer;
use server::services::Services;
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

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
        link_keys: KeyRing::parse(LINK_KEYS).expect("keys"),
        edge_secret: EDGE_SECRET.to_vec(),
    };
    Services {
        mailer: Mailer::new(&config.smtp_url, &config.mail_from_address).expect("mailer"),
        edge: EdgeClient::new(edge_url, EDGE_SECRET.to_vec()),
        db,
        config,
        outbox_wake: Arc::new(Notify::new()),
    }
}

pub fn draft(email: &str) -> invoice::InvoiceDraft {
    invoice::InvoiceDraft {
        customer_name: "Maria Rossi".into(),
        customer_email: email.into(),
        customer_language: "it".into(),
        currency: "EUR".into(),
        lines: vec![invoice::LineInput {
            description: "Consulenza".into(),
            quantity: "2".into(),
            unit_price: "100".into(),
            tax_rate: "22".into(),
        }],
    }
}
