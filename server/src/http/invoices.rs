//! The merchant's PDF downloads: `GET /invoices/{id}/pdf?layout=a4|receipt`.

use app::api::Viewer;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use invoice::document::DocumentLayout;
use serde::Deserialize;

use crate::error::ServerError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/invoices/{id}/pdf", get(invoice_pdf))
}

#[derive(Deserialize)]
pub struct PdfQuery {
    #[serde(default)]
    layout: String,
}

pub async fn invoice_pdf(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(invoice_id): Path<i64>,
    Query(query): Query<PdfQuery>,
) -> Response {
    let Some(user) = viewer.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let layout = DocumentLayout::parse(&query.layout).unwrap_or_default();
    match state
        .services
        .invoice_pdf(user.organisation, invoice_id, layout)
        .await
    {
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
            tracing::error!(%error, "rendering an invoice PDF failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
