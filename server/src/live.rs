//! `GET /api/changes`: server-sent events that tell the merchant's open
//! pages something changed in their organisation (an email delivered, an
//! invoice opened, a payment recorded), so they refresh at once.
//!
//! Each connection follows the organisation's change counter in the
//! database rather than an in-process channel: the event may have been
//! ingested by another server instance.

use std::convert::Infallible;
use std::time::Duration;

use app::api::{OrganisationId, Viewer, CHANGED_EVENT};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::stream;

use crate::db::events::change_version;
use crate::db::Db;
use crate::state::AppState;

/// How often a connection looks at the counter.
const POLL: Duration = Duration::from_secs(1);

pub async fn changes(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
) -> Response {
    let Some(user) = viewer.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let feed = stream::unfold(
        (state.services.db.clone(), user.organisation, None),
        |(db, organisation, seen): (Db, OrganisationId, Option<i64>)| async move {
            loop {
                match change_version(&db, organisation).await {
                    Ok(version) if Some(version) != seen => {
                        let event = Event::default()
                            .event(CHANGED_EVENT)
                            .data(version.to_string());
                        return Some((
                            Ok::<_, Infallible>(event),
                            (db, organisation, Some(version)),
                        ));
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "the change feed cannot read the database")
                    }
                }
                tokio::time::sleep(POLL).await;
            }
        },
    );
    Sse::new(feed)
        .keep_alive(KeepAlive::default())
        .into_response()
}
