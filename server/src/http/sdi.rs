//! A receipt of SdI uploaded by hand (`POST /sdi/receipts`): for a receipt
//! that reached the merchant some other way (downloaded from the Agenzia's
//! site, forwarded by an intermediary). The file comes as the form's `file`
//! field (multipart, so the form works before the page is hydrated) or as
//! the raw XML body. Recorded in the user's organisation only, within the
//! admin's body limit for forms; anything that is not one of SdI's
//! messages is refused with the reason, in the user's language.

use app::api::Viewer;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Router};

use crate::sdi::{SdiError, Uploaded};
use crate::state::AppState;

pub const RECEIPTS_PATH: &str = "/sdi/receipts";

pub fn router() -> Router<AppState> {
    Router::new().route(RECEIPTS_PATH, post(upload))
}

/// Where the form may send the merchant back to: a store's page, by path.
fn return_path(return_to: &str) -> Option<&str> {
    let path = return_to.trim();
    (path.starts_with("/stores/")
        && path.len() < 64
        && path[1..]
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'/'))
    .then_some(path)
}

async fn upload(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    request: Request,
) -> Response {
    let Some(user) = viewer.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    let (file_name, bytes, return_to) = if is_form {
        let Ok(mut form) = Multipart::from_request(request, &state).await else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        let mut file = None;
        let mut return_to = None;
        loop {
            match form.next_field().await {
                Ok(Some(field)) => match field.name() {
                    Some("file") => {
                        let name = field.file_name().map(str::to_owned);
                        match field.bytes().await {
                            Ok(bytes) => file = Some((name, bytes)),
                            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
                        }
                    }
                    Some("return_to") => return_to = field.text().await.ok(),
                    _ => {}
                },
                Ok(None) => break,
                Err(_) => return StatusCode::BAD_REQUEST.into_response(),
            }
        }
        let Some((name, bytes)) = file else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        (name, bytes, return_to)
    } else {
        match axum::body::to_bytes(request.into_body(), usize::MAX).await {
            Ok(bytes) => (None, bytes, None),
            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
        }
    };
    match state
        .services
        .upload_receipt(&user, file_name.as_deref(), &bytes)
        .await
    {
        Ok(uploaded) => {
            let outcome = match uploaded {
                Uploaded::Matched { .. } => "matched",
                Uploaded::Unmatched => "unmatched",
                Uploaded::Again => "again",
            };
            match return_to.as_deref().and_then(return_path) {
                Some(path) => {
                    Redirect::to(&format!("{path}?sdi_receipt={outcome}")).into_response()
                }
                None => (StatusCode::OK, outcome).into_response(),
            }
        }
        Err(error @ SdiError::Receipt(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            error.message(user.language),
        )
            .into_response(),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            error.message(user.language),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_sends_back_only_to_a_stores_page() {
        assert_eq!(return_path("/stores/12"), Some("/stores/12"));
        for elsewhere in [
            "https://evil.example",
            "//evil.example",
            "/stores/1?x=//a",
            "/invoices/1",
            "",
        ] {
            assert_eq!(return_path(elsewhere), None, "{elsewhere}");
        }
    }
}
