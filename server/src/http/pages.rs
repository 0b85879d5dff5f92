//! The admin's pages and server functions, rendered by Leptos with the
//! [`crate::admin`] backend in their context, and the assets' fallback.

use std::sync::Arc;

use app::api::ssr::{Backend, SecureCookies};
use app::{shell, App};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};

use super::page_security_policy;
use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    let routes = generate_route_list(App);
    let backend: Backend = state.services.clone();
    let pec_backend: app::routes::pec::ssr::PecBackendRef = state.services.clone();
    let verifactu_backend: app::routes::verifactu::ssr::VerifactuBackendRef =
        state.services.clone();
    let bulk_backend: app::routes::bulk::ssr::BulkBackendRef = state.services.clone();
    let secure_cookies = SecureCookies(state.services.config.admin_url.starts_with("https://"));
    let leptos_options = state.leptos_options.clone();
    Router::new()
        .leptos_routes_with_context(
            state,
            routes,
            move || {
                provide_context(Arc::clone(&backend));
                provide_context(Arc::clone(&pec_backend));
                provide_context(Arc::clone(&verifactu_backend));
                provide_context(Arc::clone(&bulk_backend));
                provide_context(secure_cookies);
                page_security_policy();
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(page_security_policy, shell))
}
