//! The store's certificate for the AEAT, uploaded from its card
//! (`POST /verifactu/certificate`, multipart so the form works before the
//! page is hydrated): `store_id`, `file` (the .p12/.pfx, or a PEM
//! certificate), `key` (a PEM key, when not in the file), `password` (the
//! .p12's), `return_to` (the store's page). The answer goes back to the
//! store's page, where the card shows it: `?certificate=saved`, or
//! `?certificate_problem=<code>` beside the field concerned. Without
//! `return_to` it is plain text with a status: 200, 422 with the problem,
//! 403 for staff, 404 for a store of another organisation.

use app::api::Viewer;
use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Router};

use crate::error::ServerError;
use crate::state::AppState;
use crate::verifactu::certificate::CertificateUpload;
use crate::verifactu::VerifactuError;

pub const CERTIFICATE_PATH: &str = "/verifactu/certificate";

pub fn router() -> Router<AppState> {
    Router::new().route(CERTIFICATE_PATH, post(upload))
}

/// The store's page the form came from, by its id alone.
fn store_page(return_to: &str, store_id: i64) -> Option<String> {
    let page = format!("/stores/{store_id}");
    (return_to.trim() == page).then_some(page)
}

async fn upload(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    mut form: Multipart,
) -> Response {
    let Some(user) = viewer.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let mut store_id = None;
    let mut file = Vec::new();
    let mut key = Vec::new();
    let mut password = String::new();
    let mut return_to = String::new();
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let Ok(bytes) = field.bytes().await else {
                    return StatusCode::BAD_REQUEST.into_response();
                };
                let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
                match name.as_str() {
                    "store_id" => store_id = text().parse::<i64>().ok(),
                    "file" => file = bytes.to_vec(),
                    "key" => key = bytes.to_vec(),
                    "password" => password = String::from_utf8_lossy(&bytes).into_owned(),
                    "return_to" => return_to = text(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
        }
    }
    let Some(store_id) = store_id else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let back = store_page(&return_to, store_id);
    let upload = CertificateUpload::detect(&file, &key, &password);
    let result = state
        .services
        .upload_verifactu_certificate(&user, store_id, upload)
        .await;
    let text = |status: StatusCode, body: String| {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            body,
        )
            .into_response()
    };
    match (result, back) {
        (Ok(_), Some(page)) => Redirect::to(&format!("{page}?certificate=saved")).into_response(),
        (Ok(_), None) => text(StatusCode::OK, "saved".into()),
        (Err(VerifactuError::Certificate(problem)), Some(page)) => Redirect::to(&format!(
            "{page}?certificate_problem={}#verifactu",
            problem.code()
        ))
        .into_response(),
        (Err(error @ VerifactuError::Certificate(_)), None) => text(
            StatusCode::UNPROCESSABLE_ENTITY,
            error.message(user.language),
        ),
        (Err(error @ VerifactuError::OwnerOnly), _) => {
            text(StatusCode::FORBIDDEN, error.message(user.language))
        }
        (Err(error @ VerifactuError::Server(ServerError::NotFound)), _) => {
            text(StatusCode::NOT_FOUND, error.message(user.language))
        }
        (Err(error), _) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            error.message(user.language),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_sends_back_only_to_the_stores_own_page() {
        assert_eq!(store_page("/stores/12", 12), Some("/stores/12".into()));
        for elsewhere in ["/stores/13", "https://evil.example", "//evil.example", ""] {
            assert_eq!(store_page(elsewhere, 12), None, "{elsewhere}");
        }
    }
}
