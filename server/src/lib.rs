//! Invio's server: the merchant admin (Leptos SSR), the database, the email
//! outbox and the sync with the edge worker.

pub mod auth;
pub mod config;
pub mod db;
pub mod documents;
pub mod edge_sync;
pub mod email;
pub mod error;
pub mod limits;
pub mod live;
pub mod sending;
pub mod services;
pub mod state;

use std::sync::Arc;

use app::api::ssr::{Backend, SecureCookies};
use app::{shell, App};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::state::AppState;

/// Every route of the server: the admin pages and server functions, the
/// merchant's PDF downloads, the edge's event ingest, and the compiled assets.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let backend: Backend = state.services.clone();
    let secure_cookies = SecureCookies(state.services.config.admin_url.starts_with("https://"));
    let leptos_options = state.leptos_options.clone();
    // The edge signs its calls; they carry no session and skip the admin's middleware.
    // Each takes a body fitted to what it accepts (413 beyond); the lookup
    // takes none and never reads one.
    let edge = Router::new()
        .route(
            invoice::events::EVENTS_PATH,
            post(edge_sync::ingest_events)
                .layer(DefaultBodyLimit::max(edge_sync::EVENTS_BODY_LIMIT)),
        )
        .route(
            invoice::events::FRESH_LINK_PATH,
            post(edge_sync::fresh_link)
                .layer(DefaultBodyLimit::max(edge_sync::FRESH_LINK_BODY_LIMIT)),
        )
        .route(
            &format!("{}/{{link_id}}", invoice::events::LINK_LOOKUP_PATH),
            get(edge_sync::link_publication),
        )
        .with_state(state.clone());
    let admin = Router::new()
        .route("/invoices/{id}/pdf", get(documents::invoice_pdf))
        .route(app::api::CHANGES_PATH, get(live::changes))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(Arc::clone(&backend));
                provide_context(secure_cookies);
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(axum::middleware::from_fn(limits::limit_body))
        .with_state(state);
    edge.merge(admin)
}
