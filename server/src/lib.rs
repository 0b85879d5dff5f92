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
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::{provide_context, use_context};
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
                page_security_policy();
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(page_security_policy, shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(axum::middleware::from_fn(limits::limit_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .with_state(state);
    edge.merge(admin)
}

/// The admin's pages may run only the scripts Leptos renders with this
/// request's nonce (the hydration module and its streamed resources) and the
/// wasm it loads; they talk only to their own origin (server functions, the
/// change feed), and no one may frame them. Style attributes are allowed:
/// the send dialog's preview shows the email as mail clients do, inline
/// styles and all, in a sandboxed frame without scripts.
fn content_security_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; style-src-attr 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Gives a rendered page the policy that names its nonce (leptos_axum
/// provides the nonce before this additional context runs).
fn page_security_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(Some(&nonce))) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, policy);
    }
}

/// The headers every admin response carries; a response that set no policy
/// of its own (a PDF, a server function, an asset) gets one without a nonce.
async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(policy) = HeaderValue::from_str(&content_security_policy(None)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if state.services.config.admin_url.starts_with("https://") {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}
