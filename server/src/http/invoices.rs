//! The merchant's PDF downloads (`GET /invoices/{id}/pdf?layout=a4|receipt`),
//! FatturaPA file (`GET /invoices/{id}/fatturapa.xml`) and preview of the
//! customer's page (`GET /invoices/{id}/preview`).

use app::api::Viewer;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use invoice::customer_page::{self, Viewing};
use invoice::document::DocumentLayout;
use serde::Deserialize;

use super::pdf_download;
use crate::db::{edge_state, fatturapa, invoices};
use crate::error::ServerError;
use crate::services::today;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invoices/{id}/pdf", get(invoice_pdf))
        .route("/invoices/{id}/preview", get(customer_preview))
        .route("/invoices/{id}/fatturapa.xml", get(fatturapa_file))
        .route(CUSTOMER_CSS_PATH, get(customer_css))
}

/// The customer page's stylesheet, at the path the page names, so the
/// preview looks as the edge's page does.
const CUSTOMER_CSS_PATH: &str = "/assets/customer.css";
const CUSTOMER_CSS: &str = include_str!("../../../style/customer.css");

async fn customer_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        CUSTOMER_CSS,
    )
        .into_response()
}

/// The customer's page of an issued invoice as the merchant sees it before
/// or after sending: the frozen document and the state the edge is given,
/// with no link made and nothing recorded, so the merchant's own look never
/// counts as the customer's.
async fn customer_preview(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(invoice_id): Path<i64>,
) -> Response {
    let Some(user) = viewer.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let db = &state.services.db;
    let page = async {
        let invoice = invoices::get(db, user.organisation, invoice_id).await?;
        let document = invoice.document.ok_or(ServerError::NotFound)?;
        let (public_state, _) = edge_state::read(db, user.organisation, invoice_id).await?;
        Ok::<_, ServerError>(customer_page::invoice_page(
            &document,
            &public_state,
            Viewing::Preview {
                pdf_href: &format!("/invoices/{invoice_id}/pdf"),
                merchant_language: user.language,
            },
            today(),
        ))
    };
    match page.await {
        Ok(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "private, no-store"),
                (header::HeaderName::from_static("x-robots-tag"), "noindex"),
            ],
            html,
        )
            .into_response(),
        Err(ServerError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "previewing an invoice failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
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
    pdf_download(
        state
            .services
            .invoice_pdf(user.organisation, invoice_id, layout)
            .await,
        "an invoice PDF",
    )
}

/// The FatturaPA file of an Italian store's issued invoice, as it was built
/// at issue and named as SdI wants it (`IT{partita IVA}_{progressive}.xml`):
/// the merchant may keep it or send it through another channel.
async fn fatturapa_file(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(invoice_id): Path<i64>,
) -> Response {
    let Some(user) = viewer.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match fatturapa::get(&state.services.db, user.organisation, invoice_id).await {
        Ok(Some(file)) => (
            [
                (header::CONTENT_TYPE, "application/xml".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", file.file_name),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
            ],
            file.xml,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "reading a FatturaPA file failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
