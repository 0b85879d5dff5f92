//! The admin's HTTP side, one module per resource, each with its
//! `router()`: the pages and server functions ([`pages`]), the merchant's
//! invoice PDFs ([`invoices`]) and the change feed ([`changes`]); and the
//! headers every admin response carries. `crate::router` merges them with
//! the edge's endpoints (`crate::edge_sync::inbound`).

pub mod bulk;
pub mod changes;
pub mod customers;
pub mod invoices;
pub mod pages;
pub mod sdi;
pub mod verifactu;

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::use_context;

use crate::error::ServerError;
use crate::state::AppState;

/// A PDF the merchant downloads, attached under its file name and never
/// cached; what another organisation owns is a 404, and a failure is logged
/// and shown as a bare 500.
fn pdf_download(rendered: Result<(String, Vec<u8>), ServerError>, what: &str) -> Response {
    match rendered {
        Ok((file_name, pdf)) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file_name}\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
            ],
            pdf,
        )
            .into_response(),
        Err(ServerError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "rendering {what} failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
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

/// The nonce Leptos rendered a page's scripts with, handed from the page to
/// [`security_headers`] through the request's extensions. Set on Leptos's
/// response options, the page's policy was now and then missing from the
/// response (the browser then refused the islands' loader); the middleware
/// writes the header itself, after the page is rendered.
#[derive(Clone, Default)]
pub(crate) struct PageNonce(Arc<Mutex<Option<String>>>);

/// Tells [`security_headers`] the nonce of the page being rendered
/// (leptos_axum provides the nonce and the request before this additional
/// context runs).
pub(crate) fn page_security_policy() {
    let (Some(nonce), Some(request)) = (
        leptos::nonce::use_nonce(),
        use_context::<axum::http::request::Parts>(),
    ) else {
        return;
    };
    if let Some(PageNonce(slot)) = request.extensions.get::<PageNonce>() {
        if let Ok(mut held) = slot.lock() {
            *held = Some(nonce.to_string());
        }
    }
}

/// The headers every admin response carries: a page's policy names its
/// nonce; a response that rendered no page (a PDF, a server function, an
/// asset) gets one without.
pub async fn security_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let page_nonce = PageNonce::default();
    request.extensions_mut().insert(page_nonce.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let nonce = page_nonce.0.lock().ok().and_then(|held| held.clone());
        if let Ok(policy) = HeaderValue::from_str(&content_security_policy(nonce.as_deref())) {
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
