//! How large a request body each admin route accepts. A body over its
//! route's limit is answered 413 before anything reads it whole: server
//! functions would otherwise buffer whatever a client sends.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::server_fn::ServerFn;

/// Sign-in, sign-up and the other account forms: a few short fields.
pub const ACCOUNT_FORM_LIMIT: usize = 16 * 1024;
/// A draft: up to `invoice::document::MAX_LINES` lines, each a description
/// and a few numbers, percent-encoded (a non-ASCII character takes 9 bytes).
pub const DRAFT_LIMIT: usize = 1024 * 1024;
/// The list's selection: a key, an action and at most
/// `invoice::bulk::MAX_SELECTED` ids, each `invoice=<id>&`.
pub const BULK_FORM_LIMIT: usize = 8 * 1024;
/// Every other server function: a store with its message templates is the
/// largest.
pub const FORM_LIMIT: usize = 256 * 1024;

/// The largest body `method path` accepts. Pages, PDFs and the change feed
/// are read with GET and take none.
pub fn body_limit(method: &Method, path: &str) -> usize {
    if method == Method::GET || method == Method::HEAD {
        return 0;
    }
    let account_forms = [
        <app::api::Login as ServerFn>::PATH,
        <app::api::Signup as ServerFn>::PATH,
        <app::api::Logout as ServerFn>::PATH,
        <app::api::SetLanguage as ServerFn>::PATH,
        <app::api::ConfirmEmail as ServerFn>::PATH,
        <app::api::ResendConfirmation as ServerFn>::PATH,
        <app::api::ForgotPassword as ServerFn>::PATH,
        <app::api::ResetPassword as ServerFn>::PATH,
        <app::api::ChangePassword as ServerFn>::PATH,
        <app::api::SignOutEverywhere as ServerFn>::PATH,
        <app::api::RemoveUser as ServerFn>::PATH,
    ];
    if account_forms.contains(&path) {
        ACCOUNT_FORM_LIMIT
    } else if path == app::routes::bulk::BULK_PATH {
        BULK_FORM_LIMIT
    } else if path == <app::api::SaveDraft as ServerFn>::PATH {
        DRAFT_LIMIT
    } else {
        FORM_LIMIT
    }
}

/// Refuses a body over its route's [`body_limit`] with 413: at once when
/// its declared length says so, else as soon as the bytes read pass it.
pub async fn limit_body(request: Request, next: Next) -> Response {
    let limit = body_limit(request.method(), request.uri().path());
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => too_large(),
    }
}

fn too_large() -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        "This request is larger than Invio accepts here.",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_take_no_body_and_account_forms_take_less_than_drafts() {
        assert_eq!(body_limit(&Method::GET, "/invoices"), 0);
        assert_eq!(
            body_limit(&Method::POST, <app::api::Login as ServerFn>::PATH),
            ACCOUNT_FORM_LIMIT
        );
        assert_eq!(
            body_limit(&Method::POST, <app::api::SaveDraft as ServerFn>::PATH),
            DRAFT_LIMIT
        );
        assert_eq!(
            body_limit(&Method::POST, <app::api::SaveStore as ServerFn>::PATH),
            FORM_LIMIT
        );
        assert_eq!(
            body_limit(&Method::POST, app::routes::bulk::BULK_PATH),
            BULK_FORM_LIMIT
        );
    }
}
