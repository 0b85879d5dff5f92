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

/// Gives a rendered page the policy that names its nonce (leptos_axum
/// provides the nonce before this additional context runs).
pub(crate) fn page_security_policy() {
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
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
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
