//! Invio's server: the merchant admin (Leptos SSR), the database, the email
//! outbox and the sync with the edge worker.
//!
//! Where things are: `admin` answers the admin's server functions (each
//! operation written there once); `sending` is the one path every email of
//! an invoice takes into the outbox; `email` delivers the outbox;
//! `edge_sync` publishes to the edge and answers its calls; `notifications`
//! tells the merchant's users of first opens and downloads; `sdi` carries
//! Italian invoices to SdI; `verifactu` sends Spanish records to the AEAT;
//! `http` has the admin's routes per resource; `db` the repositories.

// The admin's pages are rendered here: the invoice editor island's view
// type, laid out while rendering, nests well past the default limit of 128.
#![recursion_limit = "512"]

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod bulk;
pub mod config;
pub mod db;
pub mod edge_sync;
pub mod email;
pub mod error;
pub mod export;
pub mod home;
pub mod http;
pub mod limits;
pub mod live;
pub mod notifications;
pub mod pdf;
pub mod recipients;
pub mod sdi;
pub mod sending;
pub mod services;
pub mod state;
pub mod verifactu;
pub mod verify_verifactu;

use axum::Router;

use crate::state::AppState;

/// Every route of the server: the admin pages and server functions, the
/// merchant's PDF downloads and change feed, the edge's signed calls, and
/// the compiled assets.
pub fn router(state: AppState) -> Router {
    // The edge signs its calls; they carry no session and skip the admin's middleware.
    let edge = edge_sync::inbound::router().with_state(state.clone());
    let admin = Router::new()
        .merge(http::invoices::router())
        .merge(http::bulk::router())
        .merge(http::changes::router())
        .merge(http::customers::router())
        .merge(http::sdi::router())
        .merge(http::verifactu::router())
        .merge(http::pages::router(&state))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(axum::middleware::from_fn(limits::limit_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::security_headers,
        ))
        .with_state(state);
    edge.merge(admin)
}
