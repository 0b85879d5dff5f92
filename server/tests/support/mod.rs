// Each test binary uses a different part of the harness.
#![allow(dead_code)]

//! A server under test: a fresh database (SQLite, and Postgres when
//! TEST_POSTGRES_URL is set), a fake edge that checks signatures, and a small
//! SMTP server that keeps what it receives (`smtp`).

pub mod aeat;
pub mod dovecot;
pub mod records;
pub mod smtp;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use app::api::EmailState;
use app::api::{AdminBackend, AdminError, CurrentUser};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::routing::put;
use invoice::account::SignupInput;
use invoice::customer::CustomerInput;
use invoice::dates::Date;
use invoice::document::{DraftInput, LineInput};
use invoice::email::{EmailPurpose, SendInput};
use invoice::events::{
    DeviceClass, EdgeEvent, EdgeEventKind, PublicState, Publication, PublishedLink,
    StatePublication, PUBLISH_PATH, STATE_PATH,
};
use invoice::link::KeyRing;
use invoice::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use invoice::store::StoreInput;
use server::auth;
use server::config::{Config, VerifactuSettings};
use server::db::accounts;
use server::db::{now_ms, random_id, Db};
use server::edge_sync::EdgeClient;
use server::services::Services;
use smtp::SmtpSink;
use sqlx::Connection;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The public edge URL links carry in tests (publications go to a FakeEdge).
pub const EDGE_URL: &str = "https://edge.invio.test";
pub const CUSTOMER: &str = "maria@example.it";
pub const OWNER: &str = "owner@bottega.it";
pub const EDGE_SECRET: &[u8] = b"test-edge-secret-test-edge-secret-!!";
/// The AEAT's test NIF, which its own examples issue from.
pub const SPANISH_STORE_NIF: &str = "89890001K";
pub const LINK_KEYS: &str = "1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// Every database the suite runs on.
pub async fn databases() -> Vec<Db> {
    let mut databases = Vec::new();
    for url in database_urls().await {
        databases.push(Db::connect(&url).await.expect("connect and migrate"));
    }
    databases
}

/// A fresh, empty database per engine, for tests that connect more than once
/// (a restart, a second server instance).
pub async fn database_urls() -> Vec<String> {
    let sqlite_dir = std::env::temp_dir().join(format!("invio-test-{}", random_id()));
    let mut urls = vec![format!("sqlite://{}/invio.db", sqlite_dir.display())];
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(admin_url) => urls.push(fresh_postgres(&admin_url).await),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI must run the suite on Postgres: set TEST_POSTGRES_URL")
        }
        Err(_) => eprintln!("TEST_POSTGRES_URL is not set: running on SQLite only"),
    }
    urls
}

/// A new, empty database on the Postgres server of `admin_url`; its URL.
async fn fresh_postgres(admin_url: &str) -> String {
    let name = format!("invio_test_{}", random_id());
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to the Postgres server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    format!("{base}/{name}")
}

/// A fresh database for one benchmark: on the Postgres server of
/// `BENCH_DATABASE_URL` when it is set, else SQLite in a temp folder.
pub async fn bench_database_url() -> String {
    match std::env::var("BENCH_DATABASE_URL") {
        Ok(admin_url) => fresh_postgres(&admin_url).await,
        Err(_) => format!(
            "sqlite://{}/invio-bench-{}/invio.db",
            std::env::temp_dir().display(),
            random_id()
        ),
    }
}

/// What the server put at the edge, in order.
#[derive(Debug, Clone)]
pub enum EdgePut {
    Invoice(Box<Publication>),
    State(StatePublication),
}

impl EdgePut {
    fn links(&self) -> &[PublishedLink] {
        match self {
            EdgePut::Invoice(publication) => &publication.links,
            EdgePut::State(publication) => &publication.links,
        }
    }

    fn state(&self) -> (&str, &PublicState) {
        match self {
            EdgePut::Invoice(publication) => (&publication.invoice_key, &publication.state),
            EdgePut::State(publication) => (&publication.invoice_key, &publication.state),
        }
    }
}

#[derive(Clone)]
pub struct FakeEdge {
    pub puts: Arc<Mutex<Vec<EdgePut>>>,
    /// When false the edge answers 503, as one that is down.
    pub available: Arc<AtomicBool>,
}

impl FakeEdge {
    /// Starts on a free port; answers 401 to anything not signed with EDGE_SECRET.
    pub async fn start() -> (Self, String) {
        let edge = FakeEdge {
            puts: Arc::default(),
            available: Arc::new(AtomicBool::new(true)),
        };
        let app = axum::Router::new()
            .route(
                PUBLISH_PATH,
                put({
                    let edge = edge.clone();
                    move |headers: HeaderMap, body: Bytes| async move {
                        edge.accept(PUBLISH_PATH, &headers, &body, |body| {
                            EdgePut::Invoice(Box::new(
                                serde_json::from_slice(body).expect("a publication"),
                            ))
                        })
                    }
                }),
            )
            .route(
                STATE_PATH,
                put({
                    let edge = edge.clone();
                    move |headers: HeaderMap, body: Bytes| async move {
                        edge.accept(STATE_PATH, &headers, &body, |body| {
                            EdgePut::State(serde_json::from_slice(body).expect("a state"))
                        })
                    }
                }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (edge, url)
    }

    fn accept(
        &self,
        path: &str,
        headers: &HeaderMap,
        body: &[u8],
        parse: impl FnOnce(&[u8]) -> EdgePut,
    ) -> StatusCode {
        if !self.available.load(Ordering::SeqCst) {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let verified = signing::verify(
            EDGE_SECRET,
            "PUT",
            path,
            header(TIMESTAMP_HEADER),
            header(SIGNATURE_HEADER),
            body,
            now_ms() / 1000,
        );
        if verified.is_err() {
            return StatusCode::UNAUTHORIZED;
        }
        self.puts.lock().expect("lock").push(parse(body));
        StatusCode::NO_CONTENT
    }

    pub fn set_available(&self, available: bool) {
        self.available.store(available, Ordering::SeqCst);
    }

    /// The full publications (document, PDF, links, state), oldest first.
    pub fn publications(&self) -> Vec<Publication> {
        self.puts
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|put| match put {
                EdgePut::Invoice(publication) => Some(publication.as_ref().clone()),
                EdgePut::State(_) => None,
            })
            .collect()
    }

    /// A link as the edge last heard of it.
    pub fn published_link(&self, link_id: &str) -> Option<PublishedLink> {
        self.puts
            .lock()
            .expect("lock")
            .iter()
            .rev()
            .flat_map(|put| put.links().iter())
            .find(|link| link.link_id == link_id)
            .cloned()
    }

    /// The latest state the edge has of an invoice.
    pub fn latest_state(&self, invoice_key: &str) -> Option<PublicState> {
        self.puts
            .lock()
            .expect("lock")
            .iter()
            .rev()
            .map(EdgePut::state)
            .find(|(key, _)| *key == invoice_key)
            .map(|(_, state)| state.clone())
    }
}

/// The AEAT's test environment, and a producer for the records' system.
pub fn test_verifactu_settings() -> VerifactuSettings {
    VerifactuSettings {
        environment: invoice::qr::AeatEnvironment::Test,
        producer_name: "Invio Software S.L.".into(),
        producer_nif: Some(invoice::spain::Nif::parse("B10000008").expect("a NIF")),
        // Nothing is sent to the AEAT unless a test points this at its stand-in.
        endpoint: "https://127.0.0.1:9/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP".into(),
        root_certificates: String::new(),
    }
}

pub fn services(db: Db, edge_url: &str, smtp_port: u16) -> Services {
    let config = Config {
        database_url: String::new(),
        smtp_url: format!("smtp://127.0.0.1:{smtp_port}"),
        mail_from_address: "invoices@invio.test".into(),
        edge_url: EDGE_URL.into(),
        admin_url: "http://127.0.0.1:3000".into(),
        link_keys: KeyRing::parse(LINK_KEYS).expect("keys"),
        edge_secret: EDGE_SECRET.to_vec(),
        // The suites and benches queue thousands of emails in one
        // organisation; the abuse tests give an organisation its own quota.
        daily_email_quota: 1_000_000,
        trusted_proxies: Vec::new(),
        // Tests sign many merchants up at once; the cap has its own attack.
        hashing_concurrency: 64,
        verifactu: test_verifactu_settings(),
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

/// Signs a merchant up through the same service the sign-up form calls,
/// confirms the address through the confirmation link's own function, and
/// signs in.
pub async fn sign_up(services: &Services, email: &str, customer_email: &str) -> Merchant {
    services
        .signup(SignupInput {
            business_name: "Bottega Rossi".into(),
            name: "Giulia Rossi".into(),
            email: email.into(),
            password: "correct horse battery".into(),
            language: "it".into(),
        })
        .await
        .expect("signed up");
    let user = accounts::addressee(&services.db, &email.to_lowercase())
        .await
        .expect("look-up")
        .expect("the account");
    let token = services
        .confirmation_link(user.user_id)
        .await
        .expect("a confirmation link");
    services
        .confirm_email(confirmation_token(&token))
        .await
        .expect("confirmed");
    let (session, _) = services
        .login(email.into(), "correct horse battery".into(), random_id())
        .await
        .expect("signed in");
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
                ..CustomerInput::default()
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

/// The token of an account link (`…?token=…`).
pub fn confirmation_token(link: &str) -> String {
    link.rsplit_once("token=")
        .map(|(_, token)| token.to_owned())
        .expect("a link with a token")
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
                ..LineInput::default()
            },
            LineInput {
                description: "Libro".into(),
                quantity: "1".into(),
                unit_price: "50".into(),
                tax_rate: "10".into(),
                ..LineInput::default()
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

/// A merchant on a fresh database, a fake edge, and a live SMTP sink.
pub struct World {
    pub db: Db,
    pub edge: FakeEdge,
    pub sink: SmtpSink,
    pub services: Arc<Services>,
    pub merchant: Merchant,
}

impl World {
    pub async fn new(db: Db) -> Self {
        Self::for_owner(db, OWNER).await
    }

    /// Another organisation on the same database, signed up by `owner`.
    pub async fn for_owner(db: Db, owner: &str) -> Self {
        Self::configured(db, owner, |_| {}).await
    }

    /// A merchant whose server's configuration `configure` changed (e.g.
    /// the AEAT's endpoint pointed at a stand-in).
    pub async fn configured(db: Db, owner: &str, configure: impl FnOnce(&mut Config)) -> Self {
        let (edge, edge_url) = FakeEdge::start().await;
        let sink = SmtpSink::start().await;
        let mut services = services(db.clone(), &edge_url, sink.port);
        configure(&mut services.config);
        let services = Arc::new(services);
        let merchant = sign_up(&services, owner, CUSTOMER).await;
        World {
            db,
            edge,
            sink,
            services,
            merchant,
        }
    }

    pub fn user(&self) -> &CurrentUser {
        &self.merchant.owner
    }

    pub async fn issued(&self) -> i64 {
        issued_invoice(&self.services, &self.merchant).await
    }

    /// Issues an invoice due on `due_date` (issued today).
    pub async fn issued_due(&self, due_date: Date) -> i64 {
        let mut input = draft(&self.merchant);
        input.due_date = due_date.to_string();
        let id = self
            .services
            .save_draft(self.user(), None, 0, input)
            .await
            .expect("draft saved");
        self.services
            .issue_invoice(self.user(), id, 1)
            .await
            .expect("issued");
        id
    }

    pub async fn send(&self, id: i64, key: &str) {
        send(&self.services, self.user(), id, EmailPurpose::Invoice, key)
            .await
            .expect("queued");
    }

    pub async fn email_state(&self, id: i64) -> EmailState {
        self.services
            .get_invoice(self.user(), id)
            .await
            .expect("invoice")
            .email
    }

    pub async fn history_kinds(&self, id: i64) -> Vec<String> {
        self.services
            .get_invoice(self.user(), id)
            .await
            .expect("invoice")
            .history
            .into_iter()
            .map(|entry| entry.event.kind().to_owned())
            .collect()
    }

    pub async fn configure_store(&self, change: impl FnOnce(&mut StoreInput)) {
        let id = self.merchant.store_id;
        let mut input = self
            .services
            .get_store(self.user(), id)
            .await
            .expect("store");
        change(&mut input);
        self.services
            .save_store(self.user(), Some(id), input)
            .await
            .expect("store saved");
        self.confirm_recipients().await;
    }

    /// The messages `address` received, its confirmation request aside.
    pub fn mail_to(&self, address: &str) -> Vec<smtp::Received> {
        self.sink
            .received_by(address)
            .into_iter()
            .filter(|message| confirmation_tokens(std::slice::from_ref(message)).is_empty())
            .collect()
    }

    /// Confirms every address that was asked to, as its owner would: by
    /// the link in the confirmation email.
    pub async fn confirm_recipients(&self) {
        for token in confirmation_tokens(&self.sink.received()) {
            AdminBackend::confirm_recipient(self.services.as_ref(), token)
                .await
                .expect("confirmed");
        }
    }

    pub async fn configure_customer(&self, change: impl FnOnce(&mut CustomerInput)) {
        let id = self.merchant.customer_id;
        let mut input = self
            .services
            .get_customer(self.user(), id)
            .await
            .expect("customer");
        change(&mut input);
        self.services
            .save_customer(self.user(), Some(id), input)
            .await
            .expect("customer saved");
    }

    /// Makes the store an Italian one issuing electronic invoices, its
    /// customer a company reached by its codice destinatario.
    pub async fn make_italian(&self) {
        self.configure_store(|store| {
            store.name = "Bottega Rossi S.r.l.".into();
            store.tax_id = "IT06363391001".into();
            store.address = "Via Roma 12\n00184 Roma RM".into();
            store.currency = "EUR".into();
            store.e_invoicing = true;
            store.regime_fiscale = "RF19".into();
            store.iban = "IT60X0542811101000000123456".into();
        })
        .await;
        self.configure_customer(|customer| {
            customer.name = "Officina Bianchi S.n.c.".into();
            customer.language = "it".into();
            customer.tax_id = "01234567897".into();
            customer.address = "Corso Italia 3\n20122 Milano MI".into();
            customer.codice_destinatario = "M5UXCR1".into();
        })
        .await;
    }

    /// Makes the store a Spanish one keeping VERI*FACTU records (with the
    /// AEAT's own test NIF), its customer a company with a Spanish NIF:
    /// its invoices are full ones (F1).
    pub async fn make_spanish(&self) {
        self.configure_store(|store| {
            store.name = "Taller Ruiz".into();
            store.legal_name = "Talleres Ruiz S.L.".into();
            store.tax_id = SPANISH_STORE_NIF.into();
            store.address = "Calle Mayor 5\n28013 Madrid".into();
            store.currency = "EUR".into();
            store.language = "es".into();
            store.verifactu = true;
        })
        .await;
        self.configure_customer(|customer| {
            customer.name = "Construcciones García S.A.".into();
            customer.language = "es".into();
            customer.tax_id = "12345678Z".into();
            customer.address = "Gran Vía 1\n28013 Madrid".into();
        })
        .await;
    }

    /// A Spanish merchant whose server sends to the stand-in `aeat`, with
    /// the store's certificate uploaded and its customer's tax id
    /// `customer_tax_id`.
    pub async fn spanish_sending_to(
        db: Db,
        aeat: &aeat::AeatStandIn,
        owner: &str,
        customer_tax_id: &str,
    ) -> Self {
        let (url, roots) = (aeat.url.clone(), aeat.pki.ca_pem());
        let world = World::configured(db, owner, move |config| {
            config.verifactu.endpoint = url;
            config.verifactu.root_certificates = roots;
        })
        .await;
        world.make_spanish().await;
        let tax_id = customer_tax_id.to_owned();
        world
            .configure_customer(move |customer| customer.tax_id = tax_id)
            .await;
        let file = aeat
            .pki
            .merchant(SPANISH_STORE_NIF, "TALLERES RUIZ S.L.", (2099, 1, 1))
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
        world
    }

    pub async fn outbox_count(&self, audience: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE audience = $1")
            .bind(audience)
            .fetch_one(&self.db.pool)
            .await
            .expect("count")
    }
}

/// Sends what the send dialog prefills, as a merchant who only presses Send.
pub async fn send(
    services: &Services,
    user: &CurrentUser,
    invoice_id: i64,
    purpose: EmailPurpose,
    idempotency_key: &str,
) -> Result<(), AdminError> {
    let form = services.send_form(user, invoice_id, purpose).await?;
    send_with(
        services,
        user,
        invoice_id,
        purpose,
        SendInput {
            to: form.to,
            subject: form.subject,
            message: form.message,
        },
        idempotency_key,
    )
    .await
}

pub async fn send_with(
    services: &Services,
    user: &CurrentUser,
    invoice_id: i64,
    purpose: EmailPurpose,
    input: SendInput,
    idempotency_key: &str,
) -> Result<(), AdminError> {
    services
        .send_invoice(user, invoice_id, purpose, input, idempotency_key.to_owned())
        .await
}

/// Sends an invoice to `recipients` addresses at once (each its own email
/// and link), named after `key`, which is also the idempotency key.
pub async fn send_to_many(
    services: &Services,
    user: &CurrentUser,
    invoice_id: i64,
    recipients: usize,
    key: &str,
) {
    let to = (0..recipients)
        .map(|n| format!("customer-{key}-{n}@example.es"))
        .collect::<Vec<_>>()
        .join("; ");
    let input = SendInput {
        to,
        subject: "Fattura".into(),
        message: "Grazie".into(),
    };
    send_with(
        services,
        user,
        invoice_id,
        EmailPurpose::Invoice,
        input,
        key,
    )
    .await
    .expect("queued");
}

/// Runs the dispatcher once, now; returns how many emails it attempted.
pub async fn deliver(services: &Services) -> usize {
    deliver_at(services, now_ms()).await
}

/// Runs the dispatcher once as if the clock read `at_ms`: retries scheduled
/// before then are due.
pub async fn deliver_at(services: &Services, at_ms: i64) -> usize {
    services
        .deliver_due(&move || at_ms)
        .await
        .expect("the dispatcher runs")
}

/// Far enough ahead that every retry is due.
pub fn much_later() -> i64 {
    now_ms() + 30 * 24 * 3_600_000
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

/// A request as the worker signs it (see `invoice::signing`), at `timestamp`
/// (Unix seconds).
pub fn signed_request(
    method: &str,
    path: &str,
    body: &[u8],
    secret: &[u8],
    timestamp: i64,
) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(
            SIGNATURE_HEADER,
            signing::sign(secret, method, path, timestamp, body),
        )
        .body(Body::from(body.to_vec()))
        .expect("request")
}

/// How long an admin page may take in a test: milliseconds normally.
const PAGE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(20);

/// `GET path` from a browser of the admin, signed in when `session` is given.
/// A page (HTML) is read whole within [`PAGE_PATIENCE`], and asked for once
/// more if it was not: a Leptos 0.8 SSR stream has been seen, rarely, never
/// finishing under the tests' single-threaded runtime (see leptos-rs/leptos
/// #4578); a page that never finishes twice fails the test. Other answers
/// (the live change feed) are returned as they stream.
pub async fn get(
    router: &axum::Router,
    path: &str,
    session: Option<&str>,
) -> axum::response::Response {
    for attempt in 1..=2 {
        match tokio::time::timeout(PAGE_PATIENCE, get_once(router, path, session)).await {
            Ok(response) => return response,
            Err(_) => eprintln!(
                "GET {path} did not finish within {PAGE_PATIENCE:?} (attempt {attempt} of 2)"
            ),
        }
    }
    panic!("GET {path} never finished")
}

async fn get_once(
    router: &axum::Router,
    path: &str,
    session: Option<&str>,
) -> axum::response::Response {
    let mut request = Request::get(path).header(header::HOST, "admin.test");
    if let Some(session) = session {
        request = request.header(header::COOKIE, format!("invio_session={session}"));
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if !html {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .expect("body");
    axum::response::Response::from_parts(parts, Body::from(bytes))
}

/// A response's whole body.
pub async fn body_bytes(response: axum::response::Response) -> Bytes {
    axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
        .await
        .expect("body")
}

/// A response's whole body as text.
pub async fn body_text(response: axum::response::Response) -> String {
    String::from_utf8(body_bytes(response).await.to_vec()).expect("utf-8")
}

/// A person opening `link_id` on a phone, now, as the edge reports it.
pub fn person_opened(link_id: &str) -> EdgeEvent {
    EdgeEvent {
        id: random_id(),
        link_id: link_id.to_owned(),
        kind: EdgeEventKind::Opened,
        automated: false,
        at_ms: now_ms(),
        device: DeviceClass::Phone,
        browser: "Safari".into(),
        clues: Vec::new(),
    }
}

/// The tokens of the recipient confirmation links in `messages`.
pub fn confirmation_tokens(messages: &[smtp::Received]) -> Vec<String> {
    const PATH: &str = "/confirm-recipient/";
    messages
        .iter()
        .filter_map(|message| {
            let text = message.text();
            let start = text.find(PATH)? + PATH.len();
            Some(
                text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                    .collect(),
            )
        })
        .collect()
}

/// `POST path` with a form body, from the admin's own page (its origin), as
/// the signed-in browser of `session` submits a plain form.
pub async fn post_form(
    router: &axum::Router,
    path: &str,
    session: &str,
    body: &str,
) -> axum::response::Response {
    let request = Request::post(path)
        .header(header::HOST, "admin.test")
        .header(header::ORIGIN, "http://admin.test")
        .header(header::COOKIE, format!("invio_session={session}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .expect("request");
    router.clone().oneshot(request).await.expect("response")
}

/// The list's selection form as a browser submits it: the form's key, the
/// button pressed and one `invoice` per ticked row.
pub fn selection_form(key: &str, action: &str, ids: &[i64]) -> String {
    let mut body = format!("key={key}&action={action}");
    for id in ids {
        body.push_str(&format!("&invoice={id}"));
    }
    body
}

/// A CSV of the accountant's export read back as a spreadsheet does:
/// the byte-order mark checked and dropped, `;` between fields, quoted
/// fields with doubled quotes and line breaks inside, CRLF between records.
pub fn read_csv(text: &str) -> Vec<Vec<String>> {
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte-order mark");
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ';') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "the file ends with CRLF"
    );
    records
}
