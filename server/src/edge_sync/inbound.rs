//! The endpoints the edge worker calls, signed with the shared secret:
//! event ingest, the lookup of a link its KV lacks, and a customer's
//! request for a fresh link. They carry no session and skip the admin's
//! middleware; each takes a body fitted to what it accepts (413 beyond).

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use invoice::events::{
    EventBatch, FreshLinkRequest, EVENTS_PATH, FRESH_LINK_PATH, LINK_LOOKUP_PATH, MAX_BATCH_EVENTS,
};
use invoice::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};

use crate::db::now_ms;
use crate::state::AppState;

/// The largest event batch the server reads: [`MAX_BATCH_EVENTS`] events of
/// a few hundred bytes each fit several times over.
pub const EVENTS_BODY_LIMIT: usize = 128 * 1024;
/// The largest fresh-link request the server reads: one link id.
pub const FRESH_LINK_BODY_LIMIT: usize = 1024;

/// The edge's routes. The lookup takes no body and never reads one.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            EVENTS_PATH,
            post(ingest_events).layer(DefaultBodyLimit::max(EVENTS_BODY_LIMIT)),
        )
        .route(
            FRESH_LINK_PATH,
            post(fresh_link).layer(DefaultBodyLimit::max(FRESH_LINK_BODY_LIMIT)),
        )
        .route(
            &format!("{LINK_LOOKUP_PATH}/{{link_id}}"),
            get(link_publication),
        )
}

/// Checks that a request comes from the worker: signed with the shared secret
/// over its method, path, body and time, and fresh. 401 otherwise.
fn from_edge(
    state: &AppState,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), StatusCode> {
    let header = |name| headers.get(name).and_then(|value| value.to_str().ok());
    signing::verify(
        &state.services.config.edge_secret,
        method,
        path,
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        body,
        now_ms() / 1000,
    )
    .map_err(|error| {
        tracing::warn!(%error, %path, "refused a request that claims to come from the edge");
        StatusCode::UNAUTHORIZED
    })
}

/// `GET /api/edge/links/{link_id}`, signed: the worker asks for a link its KV
/// does not have. Answers the link's publication, 404 for a link the server
/// does not know, 401 for a bad signature, 503 when it cannot answer now.
pub async fn link_publication(
    State(state): State<AppState>,
    Path(link_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    // The signature covers the path as sent, before percent-decoding.
    if let Err(refused) = from_edge(&state, "GET", uri.path(), &headers, b"") {
        return refused.into_response();
    }
    match state.services.publication_for_link(&link_id).await {
        Ok(Some(publication)) => Json(publication).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "answering a link lookup failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `POST /api/edge/fresh-link`, signed: a customer asked for a fresh link on
/// a revoked link's page. 202 once handled (sent or not: the customer is told
/// the same), 404 for a link the server does not know.
pub async fn fresh_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if let Err(refused) = from_edge(&state, "POST", FRESH_LINK_PATH, &headers, &body) {
        return refused;
    }
    let Ok(request) = serde_json::from_slice::<FreshLinkRequest>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    match state.services.send_fresh_link(&request.link_id).await {
        Ok(true) => StatusCode::ACCEPTED,
        Ok(false) => StatusCode::NOT_FOUND,
        Err(error) => {
            tracing::error!(%error, "a fresh-link request failed");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// `POST /api/edge/events`: a signed batch of events from the worker.
/// Answers 204 once every event is stored (again or for the first time,
/// repeats merged, those of revoked or unknown links dropped: see
/// `db::events::ingest`), so the worker may drop its copy; 401 for a bad
/// signature; 400 for a body that is not a batch; 413 for a body over
/// [`EVENTS_BODY_LIMIT`] or a batch over [`MAX_BATCH_EVENTS`]; 503 when the
/// database is down, so the worker retries.
pub async fn ingest_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if let Err(refused) = from_edge(&state, "POST", EVENTS_PATH, &headers, &body) {
        return refused;
    }
    let Ok(batch) = serde_json::from_slice::<EventBatch>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if batch.events.len() > MAX_BATCH_EVENTS {
        return StatusCode::PAYLOAD_TOO_LARGE;
    }
    match crate::db::events::ingest(&state.services.db, &batch.events).await {
        Ok(recorded) => {
            // The first opens and downloads of the batch become notices; on
            // failure the edge sends the batch again, which stores nothing
            // twice and makes the notices still missing.
            if let Err(error) =
                crate::notifications::after_ingest(&state.services, &batch.events).await
            {
                tracing::error!(%error, "notifying of first opens failed");
                return StatusCode::SERVICE_UNAVAILABLE;
            }
            state.services.edge_wake.notify_one();
            tracing::info!(
                received = batch.events.len(),
                recorded,
                "edge events ingested"
            );
            StatusCode::NO_CONTENT
        }
        Err(error) => {
            tracing::error!(%error, "storing edge events failed");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}
