//! A customer's statement of open items (`GET /customers/{id}/statement.pdf`),
//! for the signed-in user's organisation only: another organisation's
//! customer is not found.

use app::api::Viewer;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

use super::pdf_download;
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
    pdf_download(
        state.services.customer_statement(&user, customer_id).await,
        "a customer's statement",
    )
}
