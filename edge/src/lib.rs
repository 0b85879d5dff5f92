//! Invio's edge: the Cloudflare Worker that serves the customer's link.
//!
//! This file is the I/O shell: it turns workers-rs types into the plain ones
//! of [`handler`], reads KV (through the isolate's [`isolate::RecordCache`]),
//! and forwards events to the server after the response (`wait_until`),
//! gathered with those of other requests into one batch. When the server
//! cannot be reached, the batch goes to a Queue whose consumer retries it;
//! after the last retry the queue's dead-letter queue keeps it.

pub mod handler;
pub mod isolate;
pub mod routes;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use futures_util::StreamExt;

use handler::{EdgeRequest, Origin, Secrets, Store, StoreError};
use invoice::events::{
    EdgeEvent, EventBatch, FreshLinkRequest, Publication, EVENTS_PATH, FRESH_LINK_PATH,
    LINK_LOOKUP_PATH,
};
use invoice::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use isolate::{CachedStore, RecordCache, EVENT_GATHER_MS, RECORD_CAPACITY, RECORD_TTL_MS};
use worker::{
    event, Context, Delay, Env, Fetch, Headers, KvStore, MessageBatch, MessageExt, Method,
    QueueRetryOptionsBuilder, Request, RequestInit, Response, Result,
};

/// Binding names, as in wrangler.toml.
const KV_BINDING: &str = "INVOICES";
const QUEUE_BINDING: &str = "EVENTS";

thread_local! {
    static RECORDS: Rc<RefCell<RecordCache>> =
        Rc::new(RefCell::new(RecordCache::new(RECORD_TTL_MS, RECORD_CAPACITY)));
    static WAITING_EVENTS: RefCell<Vec<EdgeEvent>> = const { RefCell::new(Vec::new()) };
}

struct Kv(KvStore);

impl Store for Kv {
    async fn get_text(&self, key: &str) -> std::result::Result<Option<String>, StoreError> {
        self.0
            .get(key)
            .text()
            .await
            .map_err(|e| StoreError(e.to_string()))
    }
    async fn get_bytes(&self, key: &str) -> std::result::Result<Option<Vec<u8>>, StoreError> {
        self.0
            .get(key)
            .bytes()
            .await
            .map_err(|e| StoreError(e.to_string()))
    }
    async fn put_text(&self, key: &str, value: &str) -> std::result::Result<(), StoreError> {
        let put = self
            .0
            .put(key, value)
            .map_err(|e| StoreError(e.to_string()))?;
        put.execute().await.map_err(|e| StoreError(e.to_string()))
    }
    async fn put_bytes(&self, key: &str, value: &[u8]) -> std::result::Result<(), StoreError> {
        let put = self
            .0
            .put_bytes(key, value)
            .map_err(|e| StoreError(e.to_string()))?;
        put.execute().await.map_err(|e| StoreError(e.to_string()))
    }
    async fn put_expiring(
        &self,
        key: &str,
        value: &str,
        ttl_seconds: u64,
    ) -> std::result::Result<(), StoreError> {
        let put = self
            .0
            .put(key, value)
            .map_err(|e| StoreError(e.to_string()))?
            .expiration_ttl(ttl_seconds);
        put.execute().await.map_err(|e| StoreError(e.to_string()))
    }
}

/// The server, asked with the same signing as the event batches.
struct Server<'a>(&'a Env);

impl Origin for Server<'_> {
    async fn publication(
        &self,
        link_id: &str,
    ) -> std::result::Result<Option<Publication>, StoreError> {
        let path = format!("{LINK_LOOKUP_PATH}/{link_id}");
        let fail =
            |error: worker::Error| StoreError(format!("asking the server for a link: {error}"));
        let mut response = signed_call(self.0, Method::Get, &path, String::new())
            .await
            .map_err(fail)?;
        match response.status_code() {
            200 => response.json().await.map(Some).map_err(fail),
            404 => Ok(None),
            status => Err(StoreError(format!(
                "asking the server for a link: it answered {status}"
            ))),
        }
    }

    async fn request_fresh_link(&self, link_id: &str) -> std::result::Result<(), StoreError> {
        let body = serde_json::to_string(&FreshLinkRequest {
            link_id: link_id.to_owned(),
        })
        .map_err(|e| StoreError(e.to_string()))?;
        let outcome = match signed_call(self.0, Method::Post, FRESH_LINK_PATH, body).await {
            Ok(response) if (200..300).contains(&response.status_code()) => Ok(()),
            Ok(response) => Err(format!("the server answered {}", response.status_code())),
            Err(error) => Err(error.to_string()),
        };
        outcome.map_err(|reason| {
            worker::console_warn!("a fresh-link request could not be passed on: {reason}");
            StoreError(reason)
        })
    }
}

/// The worker's secrets, or why it cannot run with them (a missing setting,
/// a malformed key ring, a shared secret shorter than the server accepts);
/// the reason names the setting, never its value.
fn secrets(env: &Env) -> std::result::Result<Secrets, String> {
    let setting = |name: &str| {
        env.secret(name)
            .map(|value| value.to_string())
            .map_err(|_| format!("{name} is not set"))
    };
    handler::configured_secrets(
        &setting("LINK_SIGNING_KEYS")?,
        &setting("EDGE_SHARED_SECRET")?,
    )
    .map_err(|error| error.to_string())
}

/// Reads a request's body up to `limit` bytes, and says whether it went on
/// beyond: nothing past the limit is kept in memory.
async fn capped_body(request: &mut Request, limit: usize) -> (Vec<u8>, bool) {
    let declared = request
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|length| length.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return (Vec::new(), true);
    }
    // A request without a body (a GET) has no stream.
    let Ok(mut stream) = request.stream() else {
        return (Vec::new(), false);
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            break;
        };
        if body.len() + chunk.len() > limit {
            return (body, true);
        }
        body.extend_from_slice(&chunk);
    }
    (body, false)
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

#[event(fetch)]
async fn fetch(mut request: Request, env: Env, ctx: Context) -> Result<Response> {
    let mut random_id = [0_u8; 16];
    getrandom::getrandom(&mut random_id).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let method = request.method().to_string();
    let path = request.path();
    let query = request
        .url()
        .ok()
        .and_then(|url| url.query().map(str::to_owned))
        .unwrap_or_default();
    let (asn, as_organization) = request
        .cf()
        .map_or((None, None), |cf| (cf.asn(), cf.as_organization()));
    let limit = handler::body_limit(&routes::route(&method, &path));
    let (body, body_over_limit) = capped_body(&mut request, limit).await;
    let edge_request = EdgeRequest {
        method,
        path,
        query,
        headers: request
            .headers()
            .entries()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        body,
        body_over_limit,
        now_ms: now_ms(),
        random_id,
        asn,
        as_organization,
    };
    let records = RECORDS.with(Rc::clone);
    let store = CachedStore {
        inner: Kv(env.kv(KV_BINDING)?),
        cache: &records,
        now_ms: edge_request.now_ms,
    };
    let response = match secrets(&env) {
        Err(reason) => {
            worker::console_error!("the worker is misconfigured and serves nothing: {reason}");
            handler::unavailable(&edge_request)
        }
        Ok(secrets) => {
            match handler::respond(&edge_request, &store, &Server(&env), &secrets).await {
                Ok(response) => response,
                Err(StoreError(reason)) => {
                    worker::console_error!("storage or the server failed: {reason}");
                    handler::unavailable(&edge_request)
                }
            }
        }
    };
    if !response.events.is_empty() {
        WAITING_EVENTS.with(|waiting| waiting.borrow_mut().extend(response.events));
        ctx.wait_until(async move { send_waiting_events(&env).await });
    }
    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.set(name, value)?;
    }
    let body = if edge_request.method == "HEAD" {
        Vec::new()
    } else {
        response.body
    };
    Ok(Response::from_bytes(body)?
        .with_status(response.status)
        .with_headers(headers))
}

/// Sends the events waiting in this isolate, after a moment in which other
/// requests' events may join them. Whichever request finds events waiting
/// sends them. A request's `wait_until` ends only once the events it added
/// are in a batch, and the request that took them keeps the isolate alive
/// until that batch is sent or queued, so none is left behind.
async fn send_waiting_events(env: &Env) {
    Delay::from(Duration::from_millis(EVENT_GATHER_MS)).await;
    loop {
        let batch = WAITING_EVENTS.with(|waiting| isolate::next_batch(&mut waiting.borrow_mut()));
        if batch.is_empty() {
            return;
        }
        if let Err(error) = forward_or_queue(env, EventBatch { events: batch }).await {
            worker::console_error!("an event batch could not be forwarded nor queued: {error}");
        }
    }
}

/// Sends a batch to the server, signed; on any failure puts it on the Queue.
async fn forward_or_queue(env: &Env, batch: EventBatch) -> Result<()> {
    match forward(env, &batch).await {
        Ok(()) => Ok(()),
        Err(error) => {
            worker::console_warn!("forwarding events failed ({error}); queueing them");
            env.queue(QUEUE_BINDING)?.send(&batch).await
        }
    }
}

async fn forward(env: &Env, batch: &EventBatch) -> Result<()> {
    let body = serde_json::to_string(batch).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let response = signed_call(env, Method::Post, EVENTS_PATH, body).await?;
    match response.status_code() {
        200..=299 => Ok(()),
        status => Err(worker::Error::RustError(format!(
            "the server answered {status}"
        ))),
    }
}

/// A call to the server, signed over method, path, body and time.
async fn signed_call(env: &Env, method: Method, path: &str, body: String) -> Result<Response> {
    let server_url = env.var("SERVER_URL")?.to_string();
    let secret = secrets(env).map_err(worker::Error::RustError)?.edge_secret;
    let timestamp = now_ms() / 1000;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set(TIMESTAMP_HEADER, &timestamp.to_string())?;
    headers.set(
        SIGNATURE_HEADER,
        &signing::sign(&secret, method.as_ref(), path, timestamp, body.as_bytes()),
    )?;
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers);
    if !body.is_empty() {
        init.with_body(Some(body.into()));
    }
    let request = Request::new_with_init(
        &format!("{}{path}", server_url.trim_end_matches('/')),
        &init,
    )?;
    Fetch::Request(request).send().await
}

/// Retries queued batches; a message that keeps failing goes to the
/// dead-letter queue after the retries configured in wrangler.toml.
#[event(queue)]
async fn queue(batch: MessageBatch<EventBatch>, env: Env, _ctx: Context) -> Result<()> {
    for message in batch.messages()? {
        match forward(&env, message.body()).await {
            Ok(()) => message.ack(),
            Err(error) => {
                let waited_ms = now_ms() - message.timestamp().as_millis() as i64;
                let delay = handler::queue_retry_delay_seconds(waited_ms);
                worker::console_warn!(
                    "a queued event batch failed again ({error}); next try in {delay} s"
                );
                message.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(delay)
                        .build(),
                );
            }
        }
    }
    Ok(())
}
