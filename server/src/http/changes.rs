//! `GET /api/changes`: the admin's change feed as server-sent events (see
//! `crate::live` for how an organisation's changes are watched).

use std::convert::Infallible;

use app::api::ssr::{cookie, SESSION_COOKIE};
use app::api::{Viewer, CHANGED_EVENT, CHANGES_PATH};
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
    let events = stream::unfold(feed, |mut feed| async move {
        loop {
            // An error means the watcher is gone: the feed ends and the
            // browser reconnects.
            feed.versions.changed().await.ok()?;
            let version = *feed.versions.borrow_and_update();
            if let Some(version) = version {
                let event = Event::default()
                    .event(CHANGED_EVENT)
                    .data(version.to_string());
                return Some((Ok::<_, Infallible>(event), feed));
            }
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
