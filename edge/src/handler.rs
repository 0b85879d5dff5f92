//! The worker's behaviour as a plain async function over a storage trait, so
//! it runs in native tests with a fake store and in workerd with KV.

use base64::Engine;
use invoice::dates::Date;
use invoice::events::{
    DeviceClass, EdgeEvent, EdgeEventKind, LinkRecord, PublicState, Publication, PublishedLink,
    StatePublication, MIN_EDGE_SECRET_LEN,
};
use invoice::i18n::Language;
use invoice::link::{KeyRing, KeyRingError, LinkId};
use invoice::page_view::PageView;
use invoice::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use invoice::tracking::{self, Actor, Clue, PrintReport, RequestSignals, ViewReport};
use invoice::PublicDocument;

use crate::routes::{route, Route};
use invoice::customer_page::{self as page, Viewing};

/// Key/value storage (KV in production). The worker runs one request per
/// isolate thread, so the futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Store {
    async fn get_text(&self, key: &str) -> Result<Option<String>, StoreError>;
    async fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    async fn put_text(&self, key: &str, value: &str) -> Result<(), StoreError>;
    async fn put_bytes(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Stores a value that disappears after `ttl_seconds` (at least 60).
    async fn put_expiring(
        &self,
        key: &str,
        value: &str,
        ttl_seconds: u64,
    ) -> Result<(), StoreError>;
}

/// The server, asked for what KV does not have.
#[allow(async_fn_in_trait)]
pub trait Origin {
    /// The publication of the invoice a link opens, or None when the server
    /// knows no such link.
    async fn publication(&self, link_id: &str) -> Result<Option<Publication>, StoreError>;
    /// Passes on a customer's request for a fresh link in place of a revoked one.
    async fn request_fresh_link(&self, link_id: &str) -> Result<(), StoreError>;
}

/// How long a customer's request for a fresh link is remembered: asking
/// again meanwhile changes nothing and does not reach the server.
const FRESH_LINK_TTL_SECONDS: u64 = 900;

/// How long a queued event batch waits before its next try: as long as it
/// has waited so far (so the waits double), from 5 seconds up to an hour.
/// With the queue's 40 retries (wrangler.toml) that covers a day of server
/// downtime before a batch goes to the dead-letter queue.
pub fn queue_retry_delay_seconds(waited_ms: i64) -> u32 {
    u32::try_from((waited_ms / 1000).clamp(5, 3600)).unwrap_or(3600)
}

/// How long the edge remembers that the server knows no such link, so a
/// link is asked about once, not on every request.
const MISSING_TTL_SECONDS: u64 = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

pub fn link_key(link_id: &str) -> String {
    format!("link:{link_id}")
}
pub fn document_key(invoice_key: &str) -> String {
    format!("doc:{invoice_key}")
}
pub fn pdf_key(invoice_key: &str) -> String {
    format!("pdf:{invoice_key}")
}
pub fn state_key(invoice_key: &str) -> String {
    format!("state:{invoice_key}")
}
pub fn missing_key(link_id: &str) -> String {
    format!("missing:{link_id}")
}
pub fn fresh_link_key(link_id: &str) -> String {
    format!("fresh:{link_id}")
}

/// The secrets the worker is configured with.
pub struct Secrets {
    pub link_keys: KeyRing,
    pub edge_secret: Vec<u8>,
}

/// What is wrong with the worker's configuration. Says which setting and
/// why, never any part of a key or secret: the message goes to the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    LinkKeys(KeyRingError),
    /// EDGE_SHARED_SECRET is shorter than the server accepts.
    ShortEdgeSecret {
        length: usize,
    },
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // KeyRingError's own message quotes the start of a malformed
            // entry, which is key material: only its kind is told here.
            ConfigError::LinkKeys(KeyRingError::Malformed(_)) => f.write_str(
                "LINK_SIGNING_KEYS has an entry not of the form <id>:<base64 key>",
            ),
            ConfigError::LinkKeys(error) => write!(f, "LINK_SIGNING_KEYS: {error}"),
            ConfigError::ShortEdgeSecret { length } => write!(
                f,
                "EDGE_SHARED_SECRET has {length} characters; at least {MIN_EDGE_SECRET_LEN} are needed, as on the server"
            ),
        }
    }
}

/// The worker's secrets from their settings' text. A shared secret shorter
/// than the server accepts is refused, so a worker is never run with one
/// that is easier to guess than the server allows.
pub fn configured_secrets(link_keys: &str, edge_secret: &str) -> Result<Secrets, ConfigError> {
    let link_keys = KeyRing::parse(link_keys).map_err(ConfigError::LinkKeys)?;
    let length = edge_secret.chars().count();
    if length < MIN_EDGE_SECRET_LEN {
        return Err(ConfigError::ShortEdgeSecret { length });
    }
    Ok(Secrets {
        link_keys,
        edge_secret: edge_secret.as_bytes().to_vec(),
    })
}

/// The largest body each route reads, fitted to what it accepts; a larger
/// one is answered 413 without being read further. Pages, PDFs and assets
/// take none; the page's reports a few fields of JSON; a revoked link's
/// form nothing that is read; a publication an invoice's document and PDF
/// (KV keeps values up to 25 MiB); a state its links and the bounded
/// history (`invoice::events::PUBLISHED_HISTORY_LIMIT`).
pub fn body_limit(route: &Route<'_>) -> usize {
    match route {
        Route::Page(_) | Route::Pdf(_) | Route::Asset(_) => 0,
        Route::Presence(_) | Route::Printed(_) | Route::FreshLink(_) => REPORT_BODY_LIMIT,
        Route::Publish => PUBLISH_BODY_LIMIT,
        Route::State => STATE_BODY_LIMIT,
        Route::NotFound | Route::MethodNotAllowed => 0,
    }
}

pub const REPORT_BODY_LIMIT: usize = 1024;
pub const PUBLISH_BODY_LIMIT: usize = 16 * 1024 * 1024;
pub const STATE_BODY_LIMIT: usize = 256 * 1024;

/// A request reduced to what the handler reads.
pub struct EdgeRequest {
    pub method: String,
    pub path: String,
    /// The URL's query, without its `?`; empty when there is none.
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, read up to its route's [`body_limit`].
    pub body: Vec<u8>,
    /// The body went on beyond its route's limit, and was not read further.
    pub body_over_limit: bool,
    pub now_ms: i64,
    /// Fresh randomness for this request's event id.
    pub random_id: [u8; 16],
    /// The autonomous system the request came from (`request.cf.asn`).
    pub asn: Option<u32>,
    /// Its registered organisation (`request.cf.asOrganization`).
    pub as_organization: Option<String>,
}

impl EdgeRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value of a query parameter; page views and flags are URL-safe, so
    /// no decoding is needed.
    fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    }

    /// The page view a report or a download carries, if this edge made it for
    /// this link and it is still fresh.
    fn page_view(
        &self,
        view: Option<&str>,
        secrets: &Secrets,
        link_id: LinkId,
    ) -> Result<PageView, invoice::page_view::ViewRefusal> {
        PageView::verify(view, &secrets.edge_secret, link_id, self.now_ms)
    }

    fn too_large(&self, route: &Route<'_>) -> bool {
        self.body_over_limit || self.body.len() > body_limit(route)
    }

    fn signals(&self) -> RequestSignals<'_> {
        RequestSignals {
            method: &self.method,
            user_agent: self.header("user-agent"),
            purpose: self.header("sec-purpose").or(self.header("purpose")),
            fetch_user: self.header("sec-fetch-user"),
            asn: self.asn,
            as_organization: self.as_organization.as_deref(),
        }
    }

    fn language(&self) -> Language {
        self.header("accept-language")
            .and_then(|accepted| {
                accepted
                    .split(',')
                    .find_map(|tag| Language::parse(tag.split(';').next().unwrap_or("")))
            })
            .unwrap_or_default()
    }
}

#[derive(Debug)]
pub struct EdgeResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Events to forward to the server after the response is sent.
    pub events: Vec<EdgeEvent>,
}

/// Headers on every customer-facing response.
const CUSTOMER_HEADERS: [(&str, &str); 6] = [
    ("referrer-policy", "no-referrer"),
    ("x-robots-tag", "noindex"),
    ("cache-control", "private, no-store"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
];

const CUSTOMER_CSS: &str = include_str!("../../style/customer.css");
const CUSTOMER_JS: &str = include_str!("customer.js");

impl EdgeResponse {
    fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        let mut headers: Vec<(&'static str, String)> = CUSTOMER_HEADERS
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned()))
            .collect();
        headers.push(("content-type", content_type.to_owned()));
        Self {
            status,
            headers,
            body,
            events: Vec::new(),
        }
    }

    fn html(status: u16, html: String) -> Self {
        Self::new(status, "text/html; charset=utf-8", html.into_bytes())
    }

    fn redirect(location: &str) -> Self {
        let mut response = Self::empty(303);
        response.headers.push(("location", location.to_owned()));
        response
    }

    fn empty(status: u16) -> Self {
        Self::new(status, "text/plain; charset=utf-8", Vec::new())
    }

    fn with_event(mut self, event: Option<EdgeEvent>) -> Self {
        self.events.extend(event);
        self
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The event of a request, judged by its clues (kept as its reasons).
fn event(
    request: &EdgeRequest,
    link_id: LinkId,
    kind: EdgeEventKind,
    clues: Vec<Clue>,
) -> EdgeEvent {
    let user_agent = request.header("user-agent");
    EdgeEvent {
        id: hex(&request.random_id),
        link_id: link_id.to_hex(),
        kind,
        automated: tracking::verdict(&clues) == Actor::Automated,
        at_ms: request.now_ms,
        device: if user_agent.is_some() {
            tracking::device_class(user_agent)
        } else {
            DeviceClass::Unknown
        },
        browser: tracking::browser_family(user_agent).to_owned(),
        clues,
    }
}

pub async fn respond(
    request: &EdgeRequest,
    store: &impl Store,
    origin: &impl Origin,
    secrets: &Secrets,
) -> Result<EdgeResponse, StoreError> {
    let not_found = || not_found_response(request);
    // The token is checked before anything is read, so a guessed or tampered
    // link costs no storage read and no call to the server.
    let verify = |token: &str| secrets.link_keys.verify(token);
    let route = route(&request.method, &request.path);
    // Checked after the token for the customer's routes (a forgery is a 404
    // whatever it carries) and before the signature for the server's.
    let too_large = request.too_large(&route);
    let payload_too_large = || EdgeResponse::empty(413);
    Ok(match route {
        Route::Page(token)
        | Route::Pdf(token)
        | Route::Presence(token)
        | Route::Printed(token)
        | Route::FreshLink(token)
            if too_large && verify(token).is_some() =>
        {
            payload_too_large()
        }
        Route::Asset(_) | Route::Publish | Route::State if too_large => payload_too_large(),
        Route::Page(token) => match verify(token) {
            None => not_found(),
            Some(link_id) => match load_link(store, origin, link_id).await? {
                None => not_found(),
                Some(link) if link.revoked => revoked(&link.document, token),
                Some(link) => {
                    let today = Date::from_unix_millis(request.now_ms);
                    let clues = request.signals().page_fetch();
                    let mut nonce = [0_u8; 8];
                    nonce.copy_from_slice(&request.random_id[..8]);
                    let view = PageView {
                        link_id,
                        issued_at_ms: request.now_ms,
                        nonce,
                        fetch_automated: tracking::verdict(&clues) == Actor::Automated,
                    }
                    .sign(&secrets.edge_secret);
                    EdgeResponse::html(
                        200,
                        page::invoice_page(
                            &link.document,
                            &link.state,
                            Viewing::Link { token, view: &view },
                            today,
                        ),
                    )
                    .with_event(Some(event(
                        request,
                        link_id,
                        EdgeEventKind::LinkFetched,
                        clues,
                    )))
                }
            },
        },
        Route::Pdf(token) => match verify(token) {
            None => not_found(),
            Some(link_id) => match load_pdf(store, origin, link_id).await? {
                None => not_found(),
                Some((link, _)) if link.revoked => revoked(&link.document, token),
                Some((link, pdf)) => {
                    let document = link.document;
                    let view = request
                        .page_view(request.query_param("view"), secrets, link_id)
                        .ok();
                    let clues = tracking::download_in_view(
                        view.as_ref(),
                        request.query_param("webdriver") == Some("1"),
                        &request.signals(),
                    );
                    let mut response = EdgeResponse::new(200, "application/pdf", pdf).with_event(
                        Some(event(request, link_id, EdgeEventKind::PdfDownloaded, clues)),
                    );
                    response.headers.push((
                        "content-disposition",
                        format!("attachment; filename=\"{}\"", document.pdf_file_name()),
                    ));
                    response
                }
            },
        },
        Route::Presence(token) => match verify(token) {
            None => not_found(),
            Some(link_id) => match serde_json::from_slice::<ViewReport>(&request.body) {
                Err(_) => EdgeResponse::empty(400),
                Ok(report) => match request.page_view(report.view.as_deref(), secrets, link_id) {
                    Err(_) => EdgeResponse::empty(403),
                    Ok(view) => {
                        let clues =
                            tracking::presence_in_view(&view, &report.presence, &request.signals());
                        report_through_live_link(
                            store,
                            origin,
                            request,
                            link_id,
                            EdgeEventKind::Opened,
                            clues,
                        )
                        .await?
                    }
                },
            },
        },
        Route::Printed(token) => match verify(token) {
            None => not_found(),
            Some(link_id) => match serde_json::from_slice::<PrintReport>(&request.body) {
                Err(_) => EdgeResponse::empty(400),
                Ok(report) => match request.page_view(report.view.as_deref(), secrets, link_id) {
                    Err(_) => EdgeResponse::empty(403),
                    Ok(view) => {
                        let clues = tracking::print_in_view(&view, &report, &request.signals());
                        report_through_live_link(
                            store,
                            origin,
                            request,
                            link_id,
                            EdgeEventKind::Printed,
                            clues,
                        )
                        .await?
                    }
                },
            },
        },
        Route::FreshLink(token) => match verify(token) {
            None => not_found(),
            Some(link_id) => match load_link(store, origin, link_id).await? {
                None => not_found(),
                Some(link) if link.revoked => {
                    fresh_link(store, origin, link_id, link.document.language).await?
                }
                // Still valid: back to the invoice.
                Some(_) => EdgeResponse::redirect(&format!("/i/{token}")),
            },
        },
        Route::Asset("customer.css") => {
            EdgeResponse::new(200, "text/css; charset=utf-8", CUSTOMER_CSS.into())
        }
        Route::Asset("customer.js") => {
            EdgeResponse::new(200, "text/javascript; charset=utf-8", CUSTOMER_JS.into())
        }
        Route::Asset(_) | Route::NotFound => not_found(),
        Route::MethodNotAllowed => EdgeResponse::empty(405),
        Route::Publish => publish(request, store, secrets).await?,
        Route::State => publish_state(request, store, secrets).await?,
    })
}

/// 503 in the customer's language when the store or the server cannot be
/// reached; the reason stays in the worker's log.
pub fn unavailable(request: &EdgeRequest) -> EdgeResponse {
    let mut response = EdgeResponse::html(503, page::unavailable_page(request.language()));
    response.headers.push(("retry-after", "30".to_owned()));
    response
}

/// 410 Gone, in the customer's language: the merchant withdrew this link.
fn revoked(document: &PublicDocument, token: &str) -> EdgeResponse {
    EdgeResponse::html(410, page::revoked_page(document.language, token))
}

/// The edge's 404 page, in the visitor's language.
fn not_found_response(request: &EdgeRequest) -> EdgeResponse {
    EdgeResponse::html(404, page::not_found_page(request.language()))
}

/// What the customer's page reports (a presence, a print) through a link
/// the edge knows and that still works: 204 with its event; 404 for a link
/// no one has; 410 for a withdrawn one, which records nothing.
async fn report_through_live_link(
    store: &impl Store,
    origin: &impl Origin,
    request: &EdgeRequest,
    link_id: LinkId,
    kind: EdgeEventKind,
    clues: Vec<Clue>,
) -> Result<EdgeResponse, StoreError> {
    Ok(match load_link(store, origin, link_id).await? {
        None => not_found_response(request),
        Some(link) if link.revoked => EdgeResponse::empty(410),
        Some(_) => EdgeResponse::empty(204).with_event(Some(event(request, link_id, kind, clues))),
    })
}

/// A customer's request for a fresh link, passed on to the server once per
/// [`FRESH_LINK_TTL_SECONDS`]; the server sends it to the address on file.
async fn fresh_link(
    store: &impl Store,
    origin: &impl Origin,
    link_id: LinkId,
    language: Language,
) -> Result<EdgeResponse, StoreError> {
    let hex = link_id.to_hex();
    if store.get_text(&fresh_link_key(&hex)).await?.is_none() {
        // The reason is the worker's to log; the customer is asked to retry.
        if origin.request_fresh_link(&hex).await.is_err() {
            return Ok(EdgeResponse::html(
                503,
                page::fresh_link_unavailable_page(language),
            ));
        }
        store
            .put_expiring(&fresh_link_key(&hex), "1", FRESH_LINK_TTL_SECONDS)
            .await?;
    }
    Ok(EdgeResponse::html(
        200,
        page::fresh_link_sent_page(language),
    ))
}

/// The link's record, with its invoice's document and state. On a KV miss the server is
/// asked once and its answer kept: the publication when it has one, and for
/// a while the fact that it has none.
async fn load_link(
    store: &impl Store,
    origin: &impl Origin,
    link_id: LinkId,
) -> Result<Option<LinkRecord>, StoreError> {
    let hex = link_id.to_hex();
    // A record written by an older worker (without the document) is read
    // as missing: the server's answer replaces it.
    let stored = store
        .get_text(&link_key(&hex))
        .await?
        .and_then(|link| serde_json::from_str::<LinkRecord>(&link).ok());
    if let Some(link) = stored {
        return Ok(Some(link));
    }
    if store.get_text(&missing_key(&hex)).await?.is_some() {
        return Ok(None);
    }
    let Some(publication) = origin.publication(&hex).await? else {
        store
            .put_expiring(&missing_key(&hex), "1", MISSING_TTL_SECONDS)
            .await?;
        return Ok(None);
    };
    let pdf = decoded_pdf(&publication).ok_or_else(|| {
        StoreError("the server's publication has a PDF that is not base64".into())
    })?;
    // A newer state (a revocation, say) may have arrived while the server answered.
    if !is_outdated(store, &publication.invoice_key, &publication.state).await? {
        store_publication(store, &publication, &pdf).await?;
    }
    match store.get_text(&link_key(&hex)).await? {
        Some(link) => serde_json::from_str::<LinkRecord>(&link)
            .map(Some)
            .map_err(|_| StoreError(format!("corrupt link record {hex}"))),
        None => Ok(None),
    }
}

async fn load_pdf(
    store: &impl Store,
    origin: &impl Origin,
    link_id: LinkId,
) -> Result<Option<(LinkRecord, Vec<u8>)>, StoreError> {
    let Some(link) = load_link(store, origin, link_id).await? else {
        return Ok(None);
    };
    Ok(store
        .get_bytes(&pdf_key(&link.invoice_key))
        .await?
        .map(|pdf| (link, pdf)))
}

/// Whether a request really comes from the server: signed with the shared
/// secret, and fresh.
fn from_server(request: &EdgeRequest, secrets: &Secrets) -> bool {
    signing::verify(
        &secrets.edge_secret,
        &request.method,
        &request.path,
        request.header(TIMESTAMP_HEADER),
        request.header(SIGNATURE_HEADER),
        &request.body,
        request.now_ms / 1000,
    )
    .is_ok()
}

fn valid_links(links: &[PublishedLink]) -> bool {
    links
        .iter()
        .all(|link| LinkId::from_hex(&link.link_id).is_some())
}

/// Stores what the server published. Only a correctly signed, fresh request
/// is accepted.
async fn publish(
    request: &EdgeRequest,
    store: &impl Store,
    secrets: &Secrets,
) -> Result<EdgeResponse, StoreError> {
    if !from_server(request, secrets) {
        return Ok(EdgeResponse::empty(401));
    }
    let Ok(publication) = serde_json::from_slice::<Publication>(&request.body) else {
        return Ok(EdgeResponse::empty(400));
    };
    let Some(pdf) = decoded_pdf(&publication) else {
        return Ok(EdgeResponse::empty(400));
    };
    if !valid_links(&publication.links) {
        return Ok(EdgeResponse::empty(400));
    }
    if !is_outdated(store, &publication.invoice_key, &publication.state).await? {
        store_publication(store, &publication, &pdf).await?;
    }
    Ok(EdgeResponse::empty(204))
}

/// Whether the edge already has a newer state of the invoice than `state`:
/// the publication came late, or was replayed, and must change nothing.
async fn is_outdated(
    store: &impl Store,
    invoice_key: &str,
    state: &PublicState,
) -> Result<bool, StoreError> {
    Ok(store
        .get_text(&state_key(invoice_key))
        .await?
        .and_then(|current| serde_json::from_str::<PublicState>(&current).ok())
        .is_some_and(|current| current.version > state.version))
}

fn decoded_pdf(publication: &Publication) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(&publication.pdf_base64)
        .ok()
}

/// Keeps a whole publication: the PDF and the document before the links, so
/// a link never points at nothing.
async fn store_publication(
    store: &impl Store,
    publication: &Publication,
    pdf: &[u8],
) -> Result<(), StoreError> {
    let document =
        serde_json::to_string(&publication.document).map_err(|e| StoreError(e.to_string()))?;
    store
        .put_bytes(&pdf_key(&publication.invoice_key), pdf)
        .await?;
    store
        .put_text(&document_key(&publication.invoice_key), &document)
        .await?;
    store_state(
        store,
        &publication.invoice_key,
        &publication.state,
        &publication.links,
        &publication.document,
    )
    .await
}

/// Stores an invoice's changed state and its links' revoked flags.
async fn publish_state(
    request: &EdgeRequest,
    store: &impl Store,
    secrets: &Secrets,
) -> Result<EdgeResponse, StoreError> {
    if !from_server(request, secrets) {
        return Ok(EdgeResponse::empty(401));
    }
    let Ok(publication) = serde_json::from_slice::<StatePublication>(&request.body) else {
        return Ok(EdgeResponse::empty(400));
    };
    if !valid_links(&publication.links) {
        return Ok(EdgeResponse::empty(400));
    }
    if is_outdated(store, &publication.invoice_key, &publication.state).await? {
        return Ok(EdgeResponse::empty(204));
    }
    // The links carry a copy of the document; without it (never fully
    // published here) the next view asks the server for everything.
    match store
        .get_text(&document_key(&publication.invoice_key))
        .await?
        .and_then(|document| serde_json::from_str::<PublicDocument>(&document).ok())
    {
        Some(document) => {
            store_state(
                store,
                &publication.invoice_key,
                &publication.state,
                &publication.links,
                &document,
            )
            .await?
        }
        None => {
            let state =
                serde_json::to_string(&publication.state).map_err(|e| StoreError(e.to_string()))?;
            store
                .put_text(&state_key(&publication.invoice_key), &state)
                .await?
        }
    }
    Ok(EdgeResponse::empty(204))
}

/// Keeps the state, and each link with its copy of the document and state.
async fn store_state(
    store: &impl Store,
    invoice_key: &str,
    state: &PublicState,
    links: &[PublishedLink],
    document: &PublicDocument,
) -> Result<(), StoreError> {
    let state_json = serde_json::to_string(state).map_err(|e| StoreError(e.to_string()))?;
    store.put_text(&state_key(invoice_key), &state_json).await?;
    for link in links {
        let record = LinkRecord {
            invoice_key: invoice_key.to_owned(),
            recipient: link.recipient,
            revoked: link.revoked,
            document: document.clone(),
            state: state.clone(),
        };
        let record = serde_json::to_string(&record).map_err(|e| StoreError(e.to_string()))?;
        store.put_text(&link_key(&link.link_id), &record).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    use futures::executor::block_on;
    use invoice::events::{Recipient, PUBLISH_PATH, STATE_PATH};

    use super::*;
    use invoice::page_view::PageView;

    const KEYS: &str = "1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const SECRET: &[u8] = b"edge-secret-edge-secret-edge-secret!";
    const NOW_MS: i64 = 1_795_355_400_000;
    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

    #[derive(Default)]
    struct CountingStore {
        values: RefCell<HashMap<String, Vec<u8>>>,
        reads: Cell<usize>,
    }

    impl Store for CountingStore {
        async fn get_text(&self, key: &str) -> Result<Option<String>, StoreError> {
            self.reads.set(self.reads.get() + 1);
            Ok(self
                .values
                .borrow()
                .get(key)
                .map(|v| String::from_utf8_lossy(v).into_owned()))
        }
        async fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
            self.reads.set(self.reads.get() + 1);
            Ok(self.values.borrow().get(key).cloned())
        }
        async fn put_text(&self, key: &str, value: &str) -> Result<(), StoreError> {
            self.put_bytes(key, value.as_bytes()).await
        }
        async fn put_bytes(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
            self.values
                .borrow_mut()
                .insert(key.to_owned(), value.to_vec());
            Ok(())
        }
        async fn put_expiring(
            &self,
            key: &str,
            value: &str,
            _ttl_seconds: u64,
        ) -> Result<(), StoreError> {
            self.put_bytes(key, value.as_bytes()).await
        }
    }

    /// A server that knows nothing and says so; counts the questions.
    #[derive(Default)]
    struct NoOrigin;

    impl Origin for NoOrigin {
        async fn publication(&self, _link_id: &str) -> Result<Option<Publication>, StoreError> {
            Ok(None)
        }
        async fn request_fresh_link(&self, _link_id: &str) -> Result<(), StoreError> {
            Err(StoreError("no server".into()))
        }
    }

    fn secrets() -> Secrets {
        Secrets {
            link_keys: KeyRing::parse(KEYS).expect("keys"),
            edge_secret: SECRET.to_vec(),
        }
    }

    fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> EdgeRequest {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        EdgeRequest {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            body: body.to_vec(),
            body_over_limit: false,
            now_ms: NOW_MS,
            random_id: [5; 16],
            asn: None,
            as_organization: None,
        }
    }

    /// A page view of `link` as the edge signs it into the page, made now.
    fn viewed(link: LinkId, fetch_automated: bool) -> String {
        PageView {
            link_id: link,
            issued_at_ms: NOW_MS,
            nonce: [9; 8],
            fetch_automated,
        }
        .sign(SECRET)
    }

    /// What the page posts for a presence: the evidence and its page view.
    fn presence_report(view: &str, interacted: bool, webdriver: bool) -> Vec<u8> {
        format!(
            r#"{{"view":"{view}","visible_ms":2000,"interacted":{interacted},"webdriver":{webdriver}}}"#
        )
        .into_bytes()
    }

    /// What the page posts for a print.
    fn print_report(view: &str) -> Vec<u8> {
        format!(r#"{{"view":"{view}","webdriver":false}}"#).into_bytes()
    }

    /// A browser's plain GET of `path`.
    fn browser_get(path: &str) -> EdgeRequest {
        request("GET", path, &[("user-agent", CHROME)], b"")
    }

    /// The edge's answer to `request`, with the test keys.
    fn answer(request: &EdgeRequest, store: &CountingStore, origin: &impl Origin) -> EdgeResponse {
        block_on(respond(request, store, origin, &secrets())).expect("respond")
    }

    fn document() -> PublicDocument {
        let lines = vec![invoice::DocumentLine {
            description: "Consulenza".into(),
            quantity_milli: 1_000,
            unit_price_minor: 10_000,
            tax_rate_bp: 2_200,
            natura: None,
            treatment: None,
        }];
        PublicDocument {
            language: Language::It,
            number: "2026-0001".into(),
            issue_date: invoice::dates::Date {
                year: 2026,
                month: 11,
                day: 22,
            },
            due_date: None,
            currency: invoice::Currency::Eur,
            seller: invoice::document::Party {
                name: "Bottega".into(),
                ..Default::default()
            },
            customer: invoice::document::Party {
                name: "Maria".into(),
                ..Default::default()
            },
            totals: invoice::document::totals(&lines, invoice::Currency::Eur).expect("totals"),
            lines,
            notes: String::new(),
            legal_channel: None,
            corrects: None,
            tax_agency_check: None,
            simplified: false,
        }
    }

    fn publish(store: &CountingStore, link: LinkId) -> EdgeResponse {
        publish_link(store, link, false)
    }

    fn publish_link(store: &CountingStore, link: LinkId, revoked: bool) -> EdgeResponse {
        let body = serde_json::to_vec(&Publication {
            invoice_key: "inv1".into(),
            document: document(),
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.7 test"),
            links: vec![PublishedLink {
                link_id: link.to_hex(),
                recipient: Recipient::Customer,
                revoked,
            }],
            state: PublicState::issued(),
        })
        .expect("json");
        let timestamp = (NOW_MS / 1000).to_string();
        let signature = signing::sign(SECRET, "PUT", PUBLISH_PATH, NOW_MS / 1000, &body);
        let headers = [
            (TIMESTAMP_HEADER, timestamp.as_str()),
            (SIGNATURE_HEADER, signature.as_str()),
        ];
        answer(
            &request("PUT", PUBLISH_PATH, &headers, &body),
            store,
            &NoOrigin,
        )
    }

    fn header<'a>(response: &'a EdgeResponse, name: &str) -> Option<&'a str> {
        response
            .headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_tampered_token_gets_404_without_reading_storage() {
        let store = CountingStore::default();
        let link = LinkId([1; 16]);
        assert_eq!(publish(&store, link).status, 204);
        store.reads.set(0);
        let token = secrets().link_keys.sign(link);
        let mut tampered = token.clone().into_bytes();
        tampered[40] = if tampered[40] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        for path in [
            format!("/i/{tampered}"),
            format!("/i/{tampered}/pdf"),
            "/i/garbage".into(),
        ] {
            let response = answer(&request("GET", &path, &[], b""), &store, &NoOrigin);
            assert_eq!(response.status, 404, "{path}");
            assert!(
                response.events.is_empty(),
                "no event is forwarded for {path}"
            );
        }
        assert_eq!(store.reads.get(), 0);
    }

    /// The page view the edge signed into a served page.
    fn view_in(page: &EdgeResponse) -> String {
        let html = String::from_utf8(page.body.clone()).expect("utf-8");
        html.split("data-view=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the page carries its view")
            .to_owned()
    }

    #[test]
    fn reports_and_downloads_carry_the_page_view_the_edge_signed_into_the_page() {
        let store = CountingStore::default();
        let link = LinkId([30; 16]);
        publish(&store, link);
        let token = secrets().link_keys.sign(link);
        let page = answer(&browser_get(&format!("/i/{token}")), &store, &NoOrigin);
        let view = view_in(&page);
        let html = String::from_utf8(page.body.clone()).expect("utf-8");
        assert!(html.contains(&format!("href=\"/i/{token}/pdf?view={view}\"")));
        let opened = answer(
            &request(
                "POST",
                &format!("/i/{token}/presence"),
                &[("user-agent", CHROME)],
                &presence_report(&view, true, false),
            ),
            &store,
            &NoOrigin,
        );
        assert_eq!(opened.status, 204);
        assert!(!opened.events[0].automated);

        // A scanner that fetched the page and then runs its script with every
        // sign of a person: its view says what its fetch was.
        let scanner = answer(
            &request(
                "GET",
                &format!("/i/{token}"),
                &[("user-agent", "Mozilla/5.0 (compatible; Barracuda Sentinel)")],
                b"",
            ),
            &store,
            &NoOrigin,
        );
        let scanned = view_in(&scanner);
        for (what, body) in [
            ("presence", presence_report(&scanned, true, false)),
            ("printed", print_report(&scanned)),
        ] {
            let report = answer(
                &request(
                    "POST",
                    &format!("/i/{token}/{what}"),
                    &[("user-agent", CHROME)],
                    &body,
                ),
                &store,
                &NoOrigin,
            );
            assert_eq!(report.status, 204, "{what}");
            assert!(report.events[0].automated, "{what} from a scanner's view");
        }
    }

    /// The abuse: `curl -X POST …/printed` with a browser's agent, in a loop,
    /// or presences with made-up evidence. Without a page view the edge made
    /// for this link, and still fresh, each is refused with 403 before any
    /// storage read, and nothing is recorded.
    #[test]
    fn a_print_or_presence_without_a_genuine_page_view_is_refused_and_recorded_nowhere() {
        let store = CountingStore::default();
        let link = LinkId([31; 16]);
        publish(&store, link);
        let token = secrets().link_keys.sign(link);
        let expired = PageView {
            link_id: link,
            issued_at_ms: NOW_MS - invoice::page_view::VIEW_LIFETIME_MS - 1,
            nonce: [1; 8],
            fetch_automated: false,
        }
        .sign(SECRET);
        let guessed = PageView {
            link_id: link,
            issued_at_ms: NOW_MS,
            nonce: [1; 8],
            fetch_automated: false,
        }
        .sign(b"a secret someone guessed, not the edge's");
        // No view at all, as `curl` sends it, then made-up, borrowed, stale
        // and counterfeit ones.
        let mut bodies: Vec<(&str, Vec<u8>)> = vec![
            ("printed", b"{}".to_vec()),
            (
                "presence",
                br#"{"visible_ms":5000,"interacted":true,"webdriver":false}"#.to_vec(),
            ),
        ];
        for view in [
            "made-up".to_owned(),
            viewed(LinkId([32; 16]), false),
            expired,
            guessed,
        ] {
            bodies.push(("printed", print_report(&view)));
            bodies.push(("presence", presence_report(&view, true, false)));
        }
        store.reads.set(0);
        let mut refused = 0;
        for _ in 0..50 {
            for (what, body) in &bodies {
                let response = answer(
                    &request(
                        "POST",
                        &format!("/i/{token}/{what}"),
                        &[("user-agent", CHROME)],
                        body,
                    ),
                    &store,
                    &NoOrigin,
                );
                assert_eq!(
                    response.status,
                    403,
                    "{what} {}",
                    String::from_utf8_lossy(body)
                );
                assert!(response.events.is_empty());
                refused += 1;
            }
        }
        assert_eq!(refused, 500);
        assert_eq!(
            store.reads.get(),
            0,
            "no storage read for a report without a view"
        );
    }

    #[test]
    fn a_state_published_before_time_zones_still_shows_its_times_in_utc() {
        let store = CountingStore::default();
        let link = LinkId([9; 16]);
        publish(&store, link);
        let token = secrets().link_keys.sign(link);
        let mut state = serde_json::to_value(invoice::events::StatePublication {
            invoice_key: "inv1".into(),
            links: vec![PublishedLink {
                link_id: link.to_hex(),
                recipient: Recipient::Customer,
                revoked: false,
            }],
            state: PublicState {
                version: 2,
                history: vec![invoice::events::PublicEvent {
                    at_ms: NOW_MS,
                    kind: invoice::events::PublicEventKind::Opened,
                    count: 2,
                    last_at_ms: None,
                }],
                ..PublicState::issued()
            },
        })
        .expect("json");
        // What a server of the release before wrote.
        let old_state = state["state"].as_object_mut().expect("object");
        assert!(old_state.remove("time_zone").is_some());
        assert!(!old_state.contains_key("last_at_ms"));
        let body = serde_json::to_vec(&state).expect("json");
        let published = answer(&signed_put(STATE_PATH, &body), &store, &NoOrigin);
        assert_eq!(published.status, 204);
        let response = answer(&browser_get(&format!("/i/{token}")), &store, &NoOrigin);
        let html = String::from_utf8(response.body).expect("utf-8");
        assert!(
            html.contains(
                r#"<time datetime="2026-11-22T13:50:00Z">22/11/2026 13:50 UTC</time> <span>Aperta 2 volte</span>"#
            ),
            "{html}"
        );
    }

    #[test]
    fn a_genuine_link_shows_the_invoice_in_the_customers_language_with_strict_headers() {
        let store = CountingStore::default();
        let link = LinkId([2; 16]);
        publish(&store, link);
        let token = secrets().link_keys.sign(link);
        let response = answer(&browser_get(&format!("/i/{token}")), &store, &NoOrigin);
        assert_eq!(response.status, 200);
        let html = String::from_utf8(response.body.clone()).expect("utf-8");
        assert!(html.contains("Fattura 2026-0001"));
        assert!(html.contains("122,00\u{a0}€"));
        assert_eq!(header(&response, "referrer-policy"), Some("no-referrer"));
        assert_eq!(
            header(&response, "cache-control"),
            Some("private, no-store")
        );
        assert_eq!(header(&response, "x-robots-tag"), Some("noindex"));
        assert!(header(&response, "content-security-policy")
            .is_some_and(|csp| csp.contains("script-src 'self'")));
        assert_eq!(response.events.len(), 1);
        assert_eq!(response.events[0].kind, EdgeEventKind::LinkFetched);
        assert!(!response.events[0].automated);
    }

    #[test]
    fn a_head_request_is_an_automated_fetch_and_the_pdf_needs_a_gesture() {
        let store = CountingStore::default();
        let link = LinkId([3; 16]);
        publish(&store, link);
        let token = secrets().link_keys.sign(link);
        let head = answer(
            &request(
                "HEAD",
                &format!("/i/{token}"),
                &[("user-agent", CHROME)],
                b"",
            ),
            &store,
            &NoOrigin,
        );
        assert!(head.events[0].automated);
        let scanner_pdf = answer(&browser_get(&format!("/i/{token}/pdf")), &store, &NoOrigin);
        assert_eq!(scanner_pdf.body, b"%PDF-1.7 test");
        assert!(scanner_pdf.events[0].automated);
        let click = |query: &str| {
            answer(
                &request(
                    "GET",
                    &format!("/i/{token}/pdf{query}"),
                    &[("user-agent", CHROME), ("sec-fetch-user", "?1")],
                    b"",
                ),
                &store,
                &NoOrigin,
            )
        };
        let clicked = click(&format!("?view={}", viewed(link, false)));
        assert_eq!(clicked.events[0].kind, EdgeEventKind::PdfDownloaded);
        assert!(!clicked.events[0].automated);
        // The same click from no page, from a page a scanner fetched, from a
        // page driven by automation, or with a view of another link: a machine's.
        for query in [
            String::new(),
            format!("?view={}", viewed(link, true)),
            format!("?view={}&webdriver=1", viewed(link, false)),
            format!("?view={}", viewed(LinkId([4; 16]), false)),
        ] {
            let machine = click(&query);
            assert_eq!(machine.body, b"%PDF-1.7 test", "{query}: still served");
            assert!(machine.events[0].automated, "{query}");
        }
    }

    #[test]
    fn a_mail_gateways_network_makes_its_fetch_view_and_download_a_machines_with_the_reason() {
        let store = CountingStore::default();
        let link = LinkId([4; 16]);
        publish(&store, link);
        let token = secrets().link_keys.sign(link);
        let from = |asn, organisation: &str, mut request: EdgeRequest| {
            request.asn = Some(asn);
            request.as_organization = Some(organisation.to_owned());
            request
        };
        let microsoft = Clue::MachineNetwork {
            network: "Microsoft".into(),
        };
        let fetched = answer(
            &from(
                8075,
                "Microsoft Corporation",
                browser_get(&format!("/i/{token}")),
            ),
            &store,
            &NoOrigin,
        );
        assert!(fetched.events[0].automated);
        assert_eq!(fetched.events[0].clues, std::slice::from_ref(&microsoft));
        let view = view_in(&fetched);
        let presence = answer(
            &from(
                8075,
                "Microsoft Corporation",
                request(
                    "POST",
                    &format!("/i/{token}/presence"),
                    &[("user-agent", CHROME)],
                    &presence_report(&view, true, false),
                ),
            ),
            &store,
            &NoOrigin,
        );
        assert!(presence.events[0].automated);
        assert_eq!(presence.events[0].clues, [microsoft, Clue::MachinePage]);
        let at_home = answer(
            &from(3269, "Telecom Italia", browser_get(&format!("/i/{token}"))),
            &store,
            &NoOrigin,
        );
        assert!(!at_home.events[0].automated);
        assert_eq!(at_home.events[0].clues, []);
        let reader = answer(
            &request(
                "POST",
                &format!("/i/{token}/presence"),
                &[("user-agent", CHROME)],
                &presence_report(&view_in(&at_home), false, false),
            ),
            &store,
            &NoOrigin,
        );
        assert!(
            !reader.events[0].automated,
            "reading without touching is a person's open unless the clock says otherwise"
        );
        assert_eq!(reader.events[0].clues, [Clue::NoInput]);
    }

    #[test]
    fn an_open_is_recorded_only_from_a_presence_report() {
        let store = CountingStore::default();
        let link = LinkId([4; 16]);
        publish(&store, link);
        let token = secrets().link_keys.sign(link);
        let view = viewed(link, false);
        let person = answer(
            &request(
                "POST",
                &format!("/i/{token}/presence"),
                &[("user-agent", CHROME)],
                &presence_report(&view, false, false),
            ),
            &store,
            &NoOrigin,
        );
        assert_eq!(person.status, 204);
        assert_eq!(person.events[0].kind, EdgeEventKind::Opened);
        assert!(!person.events[0].automated);
        let robot = answer(
            &request(
                "POST",
                &format!("/i/{token}/presence"),
                &[("user-agent", CHROME)],
                &presence_report(&view, false, true),
            ),
            &store,
            &NoOrigin,
        );
        assert!(robot.events[0].automated);
        let garbage = answer(
            &request("POST", &format!("/i/{token}/presence"), &[], b"nope"),
            &store,
            &NoOrigin,
        );
        assert_eq!(garbage.status, 400);
    }

    #[test]
    fn a_revoked_link_answers_410_in_the_customers_language_and_records_nothing() {
        let store = CountingStore::default();
        let link = LinkId([7; 16]);
        publish(&store, link);
        assert_eq!(publish_link(&store, link, true).status, 204);
        let token = secrets().link_keys.sign(link);
        for path in [format!("/i/{token}"), format!("/i/{token}/pdf")] {
            let response = answer(&browser_get(&path), &store, &NoOrigin);
            assert_eq!(response.status, 410);
            assert!(response.events.is_empty());
            let body = String::from_utf8(response.body).expect("utf-8");
            assert!(
                body.contains("Il venditore ha ritirato questo link"),
                "{body}"
            );
        }
    }

    #[test]
    fn a_revoked_links_presence_and_print_reports_answer_410_and_record_nothing() {
        let store = CountingStore::default();
        let link = LinkId([15; 16]);
        publish(&store, link);
        let token = secrets().link_keys.sign(link);
        let report = presence_report(&viewed(link, false), true, false);
        let post = |store: &CountingStore, what: &str| {
            answer(
                &request(
                    "POST",
                    &format!("/i/{token}/{what}"),
                    &[("user-agent", CHROME)],
                    &report,
                ),
                store,
                &NoOrigin,
            )
        };
        for what in ["presence", "printed"] {
            let live = post(&store, what);
            assert_eq!(live.status, 204, "{what} on a live link");
            assert_eq!(live.events.len(), 1);
        }
        assert_eq!(publish_link(&store, link, true).status, 204);
        for what in ["presence", "printed"] {
            let revoked = post(&store, what);
            assert_eq!(revoked.status, 410, "{what} on a revoked link");
            assert!(revoked.events.is_empty(), "{what}: nothing forwarded");
        }
        let unknown = secrets().link_keys.sign(LinkId([16; 16]));
        let stranger = answer(
            &request(
                "POST",
                &format!("/i/{unknown}/printed"),
                &[("user-agent", CHROME)],
                &print_report(&viewed(LinkId([16; 16]), false)),
            ),
            &store,
            &NoOrigin,
        );
        assert_eq!(stranger.status, 404, "a link the server does not know");
        assert!(stranger.events.is_empty());
    }

    #[test]
    fn every_route_refuses_a_body_over_what_it_accepts_with_413() {
        let store = CountingStore::default();
        let link = LinkId([17; 16]);
        publish(&store, link);
        let token = secrets().link_keys.sign(link);
        let over = |limit: usize| vec![b'{'; limit + 1];
        for (method, path) in [
            ("POST", format!("/i/{token}/presence")),
            ("POST", format!("/i/{token}/printed")),
            ("POST", format!("/i/{token}/fresh-link")),
        ] {
            let response = answer(
                &request(
                    method,
                    &path,
                    &[("user-agent", CHROME)],
                    &over(REPORT_BODY_LIMIT),
                ),
                &store,
                &NoOrigin,
            );
            assert_eq!(response.status, 413, "{method} {path}");
            assert!(response.events.is_empty(), "{path}");
        }
        for path in [
            format!("/i/{token}"),
            format!("/i/{token}/pdf"),
            "/assets/customer.js".to_owned(),
        ] {
            let response = answer(
                &request("GET", &path, &[("user-agent", CHROME)], b"x"),
                &store,
                &NoOrigin,
            );
            assert_eq!(response.status, 413, "GET {path} takes no body");
            assert!(response.events.is_empty(), "{path}");
        }
        // Over the limit before the signature is even checked.
        let publication = answer(
            &signed_put(PUBLISH_PATH, &over(PUBLISH_BODY_LIMIT)),
            &store,
            &NoOrigin,
        );
        assert_eq!(publication.status, 413);
        let state = answer(
            &signed_put(STATE_PATH, &over(STATE_BODY_LIMIT)),
            &store,
            &NoOrigin,
        );
        assert_eq!(state.status, 413);
        // A body the worker stopped reading at the limit is refused as well.
        let mut cut_short = request(
            "POST",
            &format!("/i/{token}/presence"),
            &[("user-agent", CHROME)],
            &over(REPORT_BODY_LIMIT - 1),
        );
        cut_short.body_over_limit = true;
        assert_eq!(answer(&cut_short, &store, &NoOrigin).status, 413);
        // A forged token is a 404 whatever it carries, and reads nothing.
        store.reads.set(0);
        let forged = answer(
            &request("POST", "/i/garbage/presence", &[], &over(REPORT_BODY_LIMIT)),
            &store,
            &NoOrigin,
        );
        assert_eq!(forged.status, 404);
        assert_eq!(store.reads.get(), 0);
        // What the page really sends fits.
        let fits = answer(
            &request(
                "POST",
                &format!("/i/{token}/presence"),
                &[("user-agent", CHROME)],
                &presence_report(&viewed(link, false), false, false),
            ),
            &store,
            &NoOrigin,
        );
        assert_eq!(fits.status, 204);
    }

    #[test]
    fn a_shared_secret_shorter_than_the_server_accepts_is_refused_and_never_echoed() {
        let short = "s3cr3t-but-only-31-characters!!";
        assert_eq!(short.len(), MIN_EDGE_SECRET_LEN - 1);
        let Err(error) = configured_secrets(KEYS, short) else {
            panic!("a short secret was accepted");
        };
        assert_eq!(error, ConfigError::ShortEdgeSecret { length: 31 });
        let message = error.to_string();
        assert!(message.contains("EDGE_SHARED_SECRET"), "{message}");
        assert!(!message.contains("s3cr3t"), "{message}");

        let Err(malformed) = configured_secrets("1-AAAAAAAAsecretkeymaterial", &"x".repeat(32))
        else {
            panic!("a malformed key ring was accepted");
        };
        let message = malformed.to_string();
        assert!(message.contains("LINK_SIGNING_KEYS"), "{message}");
        assert!(!message.contains("AAAA"), "{message}");
        assert!(!message.contains("secret"), "{message}");

        let secrets = configured_secrets(KEYS, std::str::from_utf8(SECRET).expect("utf-8"))
            .expect("a secret as long as the server's minimum");
        assert_eq!(secrets.edge_secret, SECRET);
    }

    /// A server that answers with one publication, and counts the questions.
    #[derive(Default)]
    struct CountingOrigin {
        publication: Option<Publication>,
        asked: Cell<usize>,
        fresh_links: Cell<usize>,
    }

    impl Origin for CountingOrigin {
        async fn publication(&self, _link_id: &str) -> Result<Option<Publication>, StoreError> {
            self.asked.set(self.asked.get() + 1);
            Ok(self.publication.clone())
        }
        async fn request_fresh_link(&self, _link_id: &str) -> Result<(), StoreError> {
            self.fresh_links.set(self.fresh_links.get() + 1);
            Ok(())
        }
    }

    fn publication_of(link: LinkId) -> Publication {
        Publication {
            invoice_key: "inv9".into(),
            document: document(),
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.7 test"),
            links: vec![PublishedLink {
                link_id: link.to_hex(),
                recipient: Recipient::Customer,
                revoked: false,
            }],
            state: PublicState::issued(),
        }
    }

    #[test]
    fn when_storage_or_the_server_fails_the_customer_is_asked_to_retry_in_their_language() {
        let response = unavailable(&request(
            "GET",
            "/i/x",
            &[("accept-language", "es-ES,es;q=0.9")],
            b"",
        ));
        assert_eq!(response.status, 503);
        assert_eq!(header(&response, "retry-after"), Some("30"));
        assert_eq!(
            header(&response, "cache-control"),
            Some("private, no-store")
        );
        let html = String::from_utf8(response.body).expect("utf-8");
        assert!(html.contains("el enlace sigue siendo válido"), "{html}");
    }

    #[test]
    fn queued_batches_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(queue_retry_delay_seconds(0), 5);
        assert_eq!(queue_retry_delay_seconds(40_000), 40);
        assert_eq!(queue_retry_delay_seconds(80_000), 80);
        assert_eq!(queue_retry_delay_seconds(86_400_000), 3600);
        // Forty tries whose waits double from 5 s, capped at an hour, span a day.
        let mut waited_ms = 0_i64;
        for _ in 0..40 {
            waited_ms += i64::from(queue_retry_delay_seconds(waited_ms)) * 1000;
        }
        assert!(waited_ms >= 86_400_000, "{waited_ms}");
    }

    #[test]
    fn on_a_kv_miss_the_server_is_asked_once_and_its_answer_kept() {
        let secrets = secrets();
        let get = |link: LinkId, store: &CountingStore, origin: &CountingOrigin| {
            let token = secrets.link_keys.sign(link);
            block_on(respond(
                &browser_get(&format!("/i/{token}")),
                store,
                origin,
                &secrets,
            ))
            .expect("respond")
            .status
        };

        let known = LinkId([9; 16]);
        let store = CountingStore::default();
        let origin = CountingOrigin {
            publication: Some(publication_of(known)),
            ..Default::default()
        };
        assert_eq!(get(known, &store, &origin), 200);
        assert_eq!(get(known, &store, &origin), 200);
        assert_eq!(origin.asked.get(), 1, "the second view is served from KV");

        // A record in an older worker's format is replaced by the server's answer.
        let older = LinkId([14; 16]);
        block_on(store.put_text(
            &link_key(&older.to_hex()),
            r#"{"invoice_key":"inv9","recipient":"customer","revoked":false}"#,
        ))
        .expect("put");
        let upgrading = CountingOrigin {
            publication: Some(publication_of(older)),
            ..Default::default()
        };
        assert_eq!(get(older, &store, &upgrading), 200);
        assert_eq!(upgrading.asked.get(), 1);

        let unknown = LinkId([10; 16]);
        let nothing = CountingOrigin::default();
        assert_eq!(get(unknown, &store, &nothing), 404);
        assert_eq!(get(unknown, &store, &nothing), 404);
        assert_eq!(
            nothing.asked.get(),
            1,
            "a link the server does not know is asked about once"
        );

        let mut tampered = secrets.link_keys.sign(known).into_bytes();
        tampered[43] = if tampered[43] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        let fresh = CountingOrigin::default();
        let response = block_on(respond(
            &request("GET", &format!("/i/{tampered}"), &[], b""),
            &CountingStore::default(),
            &fresh,
            &secrets,
        ))
        .expect("respond");
        assert_eq!(response.status, 404);
        assert_eq!(fresh.asked.get(), 0, "a bad token never reaches the server");
    }

    fn signed_put(path: &str, body: &[u8]) -> EdgeRequest {
        let timestamp = (NOW_MS / 1000).to_string();
        let signature = signing::sign(SECRET, "PUT", path, NOW_MS / 1000, body);
        request(
            "PUT",
            path,
            &[
                (TIMESTAMP_HEADER, timestamp.as_str()),
                (SIGNATURE_HEADER, signature.as_str()),
            ],
            body,
        )
    }

    #[test]
    fn the_page_shows_the_latest_published_state_payments_and_the_customers_history() {
        let store = CountingStore::default();
        let link = LinkId([8; 16]);
        publish(&store, link);
        let token = secrets().link_keys.sign(link);
        let page = |store: &CountingStore| {
            let response = answer(&browser_get(&format!("/i/{token}")), store, &NoOrigin);
            String::from_utf8(response.body).expect("utf-8")
        };
        let before = page(&store);
        assert!(before.contains("Emessa"), "{before}");
        assert!(before.contains("122,00\u{a0}€"));
        assert!(!before.contains("Cronologia"), "no history yet");

        let state = invoice::events::StatePublication {
            invoice_key: "inv1".into(),
            links: vec![PublishedLink {
                link_id: link.to_hex(),
                recipient: Recipient::Customer,
                revoked: false,
            }],
            state: PublicState {
                version: 2,
                lifecycle: invoice::status::Lifecycle::Issued,
                paid_minor: 12_200,
                credited_minor: 0,
                history: vec![
                    invoice::events::PublicEvent {
                        at_ms: NOW_MS - 60_000,
                        kind: invoice::events::PublicEventKind::Sent,
                        count: 1,
                        last_at_ms: None,
                    },
                    invoice::events::PublicEvent {
                        at_ms: NOW_MS - 30_000,
                        kind: invoice::events::PublicEventKind::Printed,
                        count: 3,
                        last_at_ms: Some(NOW_MS - 10_000),
                    },
                    invoice::events::PublicEvent {
                        at_ms: NOW_MS,
                        kind: invoice::events::PublicEventKind::PaymentReceived {
                            amount_minor: 12_200,
                            date: Date::from_unix_millis(NOW_MS),
                        },
                        count: 1,
                        last_at_ms: None,
                    },
                ],
                earlier_entries: 7,
                time_zone: invoice::time_zone::TimeZone::parse("Europe/Rome").expect("offered"),
            },
        };
        let body = serde_json::to_vec(&state).expect("json");
        let unsigned = answer(&request("PUT", STATE_PATH, &[], &body), &store, &NoOrigin);
        assert_eq!(unsigned.status, 401);
        let published = answer(&signed_put(STATE_PATH, &body), &store, &NoOrigin);
        assert_eq!(published.status, 204);

        let after = page(&store);
        assert!(after.contains("status-paid"), "{after}");
        assert!(after.contains("Pagata"));
        assert!(after.contains("0,00\u{a0}€"), "nothing left to pay");
        assert!(after.contains("Cronologia"));
        assert!(after.contains("Pagamento registrato: 122,00\u{a0}€"));
        assert!(after.contains("Inviata"));
        // Times in the store's zone, with the instant in UTC for the page's
        // script to put in the reader's own zone.
        assert!(
            after.contains(
                r#"<time datetime="2026-11-22T13:49:00Z">22/11/2026 14:49 CET</time> <span>Inviata</span>"#
            ),
            "{after}"
        );
        assert!(
            after.contains(
                r#"<span>Stampata 3 volte, l’ultima il <time datetime="2026-11-22T13:49:50Z">22/11/2026 14:49 CET</time></span>"#
            ),
            "the customer's views fold into one line with the last time: {after}"
        );
        assert!(!after.contains("(×"), "{after}");
        assert!(after.contains("Altre 7 voci precedenti non sono mostrate."));

        // A replay of an older state (here: the first publication) changes nothing.
        let mut older = state.clone();
        older.state = PublicState::issued();
        let body = serde_json::to_vec(&older).expect("json");
        let replayed = answer(&signed_put(STATE_PATH, &body), &store, &NoOrigin);
        assert_eq!(replayed.status, 204);
        assert!(page(&store).contains("status-paid"), "still paid");
        assert_eq!(
            publish(&store, link).status,
            204,
            "a replayed full publication too"
        );
        assert!(page(&store).contains("status-paid"), "still paid");
    }

    #[test]
    fn a_revoked_links_page_passes_on_a_request_for_a_fresh_link_once_in_a_while() {
        let store = CountingStore::default();
        let link = LinkId([11; 16]);
        publish_link(&store, link, true);
        let token = secrets().link_keys.sign(link);
        let page = answer(&browser_get(&format!("/i/{token}")), &store, &NoOrigin);
        let html = String::from_utf8(page.body).expect("utf-8");
        assert!(
            html.contains(&format!(r#"action="/i/{token}/fresh-link""#)),
            "{html}"
        );
        assert!(html.contains("Inviami un nuovo link"));

        let origin = CountingOrigin::default();
        let ask = |origin: &CountingOrigin| {
            answer(
                &request("POST", &format!("/i/{token}/fresh-link"), &[], b""),
                &store,
                origin,
            )
        };
        let first = ask(&origin);
        assert_eq!(first.status, 200);
        assert!(String::from_utf8(first.body)
            .expect("utf-8")
            .contains("Richiesta inviata"));
        assert_eq!(ask(&origin).status, 200);
        assert_eq!(
            origin.fresh_links.get(),
            1,
            "asked again within the window: not passed on"
        );

        let down = answer(
            &request(
                "POST",
                &format!(
                    "/i/{}/fresh-link",
                    secrets().link_keys.sign(LinkId([12; 16]))
                ),
                &[],
                b"",
            ),
            &store,
            &NoOrigin,
        );
        assert_eq!(down.status, 404, "a link nobody knows");

        let live = LinkId([13; 16]);
        publish(&store, live);
        let live_token = secrets().link_keys.sign(live);
        let not_revoked = answer(
            &request("POST", &format!("/i/{live_token}/fresh-link"), &[], b""),
            &store,
            &origin,
        );
        assert_eq!(not_revoked.status, 303);
        assert_eq!(origin.fresh_links.get(), 1);
    }

    #[test]
    fn unsigned_stale_or_malformed_publications_are_refused() {
        let store = CountingStore::default();
        let unsigned = answer(&request("PUT", PUBLISH_PATH, &[], b"{}"), &store, &NoOrigin);
        assert_eq!(unsigned.status, 401);
        let old = NOW_MS / 1000 - 3_600;
        let signature = signing::sign(SECRET, "PUT", PUBLISH_PATH, old, b"{}");
        let old_text = old.to_string();
        let stale = answer(
            &request(
                "PUT",
                PUBLISH_PATH,
                &[
                    (TIMESTAMP_HEADER, &old_text),
                    (SIGNATURE_HEADER, &signature),
                ],
                b"{}",
            ),
            &store,
            &NoOrigin,
        );
        assert_eq!(stale.status, 401);
        assert!(store.values.borrow().is_empty());
    }

    /// The next number of a xorshift generator: the same tokens on every run,
    /// without a dependency.
    fn next_random(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// What someone guessing at links would try: random tokens of the right
    /// length and of others, every one-character change of a genuine token,
    /// the genuine token cut short or extended, and path tricks.
    fn forged_tokens(genuine: &str) -> Vec<String> {
        let mut state = 0x9E37_79B9_7F4A_7C15;
        let mut tokens: Vec<String> = (0..2_000)
            .map(|n| {
                let len = if n % 4 == 0 {
                    (next_random(&mut state) % 90) as usize
                } else {
                    invoice::link::TOKEN_LEN
                };
                (0..len)
                    .map(|_| BASE64URL[(next_random(&mut state) % 64) as usize] as char)
                    .collect()
            })
            .collect();
        for (position, original) in genuine.char_indices() {
            for &replacement in BASE64URL {
                if replacement as char != original {
                    let mut changed = genuine.to_owned();
                    changed.replace_range(position..=position, &(replacement as char).to_string());
                    tokens.push(changed);
                }
            }
        }
        for cut in 1..genuine.len() {
            tokens.push(genuine[..cut].to_owned());
        }
        tokens.push(format!("{genuine}A"));
        tokens.push(format!("{genuine}="));
        tokens.push(format!("A{genuine}"));
        tokens.extend(
            [
                "",
                "..",
                "%2e%2e",
                "%00",
                "null",
                "<script>",
                "é".repeat(22).as_str(),
                "A".repeat(10_000).as_str(),
            ]
            .map(str::to_owned),
        );
        tokens
    }

    #[test]
    fn no_random_or_altered_token_reaches_storage_or_the_server() {
        let store = CountingStore::default();
        let link = LinkId([21; 16]);
        publish(&store, link);
        store.reads.set(0);
        let origin = CountingOrigin {
            publication: Some(publication_of(link)),
            ..CountingOrigin::default()
        };
        let genuine = secrets().link_keys.sign(link);
        let tokens = forged_tokens(&genuine);
        assert!(tokens.len() > 4_000, "{} tokens", tokens.len());
        let mut refused = 0;
        for token in &tokens {
            for (method, path) in [
                ("GET", format!("/i/{token}")),
                ("HEAD", format!("/i/{token}")),
                ("GET", format!("/i/{token}/pdf")),
                ("POST", format!("/i/{token}/presence")),
                ("POST", format!("/i/{token}/printed")),
                ("POST", format!("/i/{token}/fresh-link")),
            ] {
                let body = br#"{"visible_ms":5000,"interacted":true,"webdriver":false}"#;
                let response = answer(
                    &request(method, &path, &[("user-agent", CHROME)], body),
                    &store,
                    &origin,
                );
                assert_eq!(response.status, 404, "{method} {path}");
                assert!(response.events.is_empty(), "{method} {path}");
                refused += 1;
            }
        }
        assert_eq!(refused, tokens.len() * 6);
        assert_eq!(store.reads.get(), 0, "no storage read for a forged token");
        assert_eq!(origin.asked.get(), 0, "the server was never asked");
        assert_eq!(origin.fresh_links.get(), 0);

        // The genuine token still opens the invoice: the refusals were the forgeries'.
        let genuine_page = answer(&browser_get(&format!("/i/{genuine}")), &store, &origin);
        assert_eq!(genuine_page.status, 200);
    }

    #[test]
    fn markup_in_a_published_invoice_is_shown_as_text_on_the_customers_page() {
        const SCRIPT: &str = r#"<script>alert("invio")</script>"#;
        const IMAGE: &str = "<img src=x onerror=alert(1)>";
        let store = CountingStore::default();
        let link = LinkId([22; 16]);
        let mut publication = publication_of(link);
        let document = &mut publication.document;
        document.number = format!("7{SCRIPT}");
        document.seller.name = format!("Bottega {SCRIPT}");
        document.seller.address = vec![IMAGE.into()];
        document.customer.name = format!("Maria {IMAGE}");
        document.customer.address = vec![SCRIPT.into()];
        document.lines[0].description = format!("Consulenza {SCRIPT}");
        document.notes = format!("Grazie {IMAGE}");
        let body = serde_json::to_vec(&publication).expect("json");
        assert_eq!(
            answer(&signed_put(PUBLISH_PATH, &body), &store, &NoOrigin).status,
            204
        );
        let token = secrets().link_keys.sign(link);
        let page = answer(&browser_get(&format!("/i/{token}")), &store, &NoOrigin);
        assert_eq!(page.status, 200);
        let html = String::from_utf8(page.body).expect("utf-8");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(html.contains("Bottega &lt;script&gt;alert(&quot;invio&quot;)&lt;/script&gt;"));
        assert!(html.contains("Maria &lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("Consulenza &lt;script&gt;"));
        assert!(html.contains("Grazie &lt;img src=x"));

        let pdf = answer(&browser_get(&format!("/i/{token}/pdf")), &store, &NoOrigin);
        assert_eq!(
            header(&pdf, "content-disposition"),
            Some("attachment; filename=\"Fattura-7-script-alert--invio----script-.pdf\"")
        );
    }
    #[test]
    fn a_verifactu_invoice_shows_its_qr_code_inline_under_the_strict_policy() {
        let store = CountingStore::default();
        let link = LinkId([23; 16]);
        let mut publication = publication_of(link);
        let url = invoice::qr::verification_url(
            invoice::qr::AeatEnvironment::Test,
            "89890001K",
            &publication.document.number,
            publication.document.issue_date,
            publication.document.totals.total,
        );
        publication.document.tax_agency_check = Some(invoice::qr::TaxAgencyCheck { url });
        let body = serde_json::to_vec(&publication).expect("json");
        assert_eq!(
            answer(&signed_put(PUBLISH_PATH, &body), &store, &NoOrigin).status,
            204
        );
        let token = secrets().link_keys.sign(link);
        let page = answer(&browser_get(&format!("/i/{token}")), &store, &NoOrigin);
        assert_eq!(page.status, 200);
        let html = String::from_utf8(page.body.clone()).expect("utf-8");
        assert!(
            html.contains("<p class=\"qr-label\">QR tributario:</p>"),
            "{html}"
        );
        assert!(html.contains("<svg class=\"qr-code\""), "{html}");
        assert!(
            html.contains("<p class=\"qr-legend\">VERI*FACTU</p>"),
            "{html}"
        );
        assert!(html.contains(
            "href=\"https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR?nif=89890001K&amp;numserie=2026-0001&amp;fecha=22-11-2026&amp;importe=122.0\""
        ), "{html}");
        assert!(!html.contains("style="), "{html}");
        assert!(
            header(&page, "content-security-policy").is_some_and(|csp| csp
                .contains("default-src 'none'")
                && csp.contains("img-src 'self'"))
        );
    }
}
