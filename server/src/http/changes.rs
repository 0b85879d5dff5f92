//! `GET /api/changes`: the admin's change feed as server-sent events (see
//! `crate::live` for how an organisation's changes are watched): `changed`
//! when anything changed, and `notice` (a JSON `invoice::notifications::Notice`)
//! when a customer first opened or downloaded an invoice the signed-in user
//! chose to hear of live.

use std::collections::VecDeque;
use std::convert::Infallible;

use app::api::ssr::{cookie, SESSION_COOKIE};
use app::api::{Viewer, CHANGED_EVENT, CHANGES_PATH, NOTICE_EVENT};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures::stream;

use crate::auth::token_hash;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route(CHANGES_PATH, get(changes))
}

pub async fn changes(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
) -> Response {
    let (Some(user), Some(session)) = (viewer.user, cookie(&headers, SESSION_COOKIE)) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let services = &state.services;
    let Some(feed) = services
        .live
        .open(&services.db, user.organisation, &token_hash(&session))
    else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many open change feeds for this session.",
        )
            .into_response();
    };
    let user_id = user.id;
    let events = stream::unfold(
        (feed, VecDeque::new()),
        move |(mut feed, mut pending)| async move {
            loop {
                if let Some(event) = pending.pop_front() {
                    return Some((Ok::<_, Infallible>(event), (feed, pending)));
                }
                // An error means the watcher is gone: the feed ends and the
                // browser reconnects.
                feed.versions.changed().await.ok()?;
                let Some(snapshot) = feed.versions.borrow_and_update().clone() else {
                    continue;
                };
                pending.push_back(
                    Event::default()
                        .event(CHANGED_EVENT)
                        .data(snapshot.version.to_string()),
                );
                let seen = feed.notices_seen;
                for live in snapshot.notices.iter().filter(|live| live.id > seen) {
                    if live.user_id != user_id {
                        continue;
                    }
                    match Event::default().event(NOTICE_EVENT).json_data(&live.notice) {
                        Ok(event) => pending.push_back(event),
                        Err(error) => tracing::warn!(%error, "a notice could not be written"),
                    }
                }
                feed.notices_seen = feed.notices_seen.max(snapshot.newest_notice());
            }
        },
    );
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
