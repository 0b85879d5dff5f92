//! A customer's statement of open items (`GET /customers/{id}/statement.pdf`),
//! for the signed-in user's organisation only: another organisation's
//! customer is not found.

use app::api::Viewer;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

use crate::error::ServerError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/customers/{id}/statement.pdf", get(statement_pdf))
}

async fn statement_pdf(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(customer_id): Path<i64>,
) -> Response {
    let Some(user) = viewer.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match state.services.customer_statement(&user, customer_id).await {
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
            tracing::error!(%error, "rendering a customer's statement failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
