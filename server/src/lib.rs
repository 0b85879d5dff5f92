//! Invio's server: the merchant admin (Leptos SSR), the database, the email
//! outbox and the sync with the edge worker.

pub mod config;
pub mod db;
pub mod edge_sync;
pub mod email;
pub mod error;
pub mod services;
pub mod state;

use std::sync::Arc;

use app::api::ssr::Backend;
use app::{shell, App};
use axum::routing::post;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::state::AppState;

/// Every route of the server: the admin pages and server functions, the
/// edge's event ingest, and the compiled assets.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let backend: Backend = state.services.clone();
    let organisation = state.organisation;
    let leptos_options = state.leptos_options.clone();
    Router::new()
        .route(invoice::events::EVENTS_PATH, post(edge_sync::ingest_events))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(Arc::clone(&backend));
                provide_context(organisation);
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
}
