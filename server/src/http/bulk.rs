//! The list's selection (`POST /invoices/bulk`, a plain form: `key`,
//! `action` = send | remind | zip, one `invoice` per ticked row) and the
//! accountant's CSV (`GET /invoices/export.csv?what=&from=&to=&store=&language=`).
//! A send answers with a redirect to the selection's outcome page; the ZIP
//! and the CSV are downloads. Refusals answer 422 in the merchant's words.

use app::api::Viewer;
use app::routes::bulk::{BULK_PATH, EXPORT_CSV_PATH};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use invoice::bulk::{selection, selection_key, BulkAction};
use invoice::dates::Date;
use invoice::email::EmailPurpose;
use invoice::export::{ExportKind, Period};
use invoice::problem::Problem;
use invoice::Language;
use serde::Deserialize;

use crate::db::export::Scope;
use crate::db::stores;
use crate::error::{InvalidInput, ServerError};
use crate::export::csv_stream;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(BULK_PATH, post(bulk_action))
        .route(EXPORT_CSV_PATH, get(export_csv))
}

/// The longest form key taken: `random_id`'s 32 hex characters and room.
const MAX_FORM_KEY: usize = 64;

async fn bulk_action(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    body: Bytes,
) -> Response {
    let Some(user) = viewer.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let refuse = |problem: Problem| refusal(&problem, user.language);
    let mut form_key = String::new();
    let mut action = None;
    let mut ticked = Vec::new();
    for (name, value) in form_urlencoded::parse(&body) {
        match name.as_ref() {
            "key" => form_key = value.into_owned(),
            "action" => action = BulkAction::parse(&value),
            "invoice" => ticked.push(value.into_owned()),
            _ => {}
        }
    }
    let ids = match selection(ticked.iter().map(String::as_str)) {
        Ok(ids) => ids,
        Err(problem) => return refuse(problem),
    };
    let services = &state.services;
    let (action, purpose) = match action {
        None => return StatusCode::BAD_REQUEST.into_response(),
        Some(BulkAction::Zip) => {
            return match services.bulk_pdfs(user.organisation, &ids).await {
                Ok(zip) => (
                    [
                        (header::CONTENT_TYPE, "application/zip"),
                        (
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=\"invoices.zip\"",
                        ),
                        (header::CACHE_CONTROL, "private, no-store"),
                    ],
                    zip,
                )
                    .into_response(),
                Err(error) => error_response(error, user.language),
            }
        }
        Some(BulkAction::Send) => (BulkAction::Send, EmailPurpose::Invoice),
        Some(BulkAction::Remind) => (BulkAction::Remind, EmailPurpose::Reminder),
    };
    if form_key.is_empty() || form_key.len() > MAX_FORM_KEY {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let key = selection_key(&form_key, action, &ids);
    match services.bulk_send(&user, &key, purpose, &ids).await {
        Ok(()) => Redirect::to(&format!("{BULK_PATH}/{key}")).into_response(),
        Err(error) => error_response(error, user.language),
    }
}

#[derive(Deserialize)]
struct ExportQuery {
    #[serde(default)]
    what: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Empty or 0 for every store.
    #[serde(default)]
    store: String,
    #[serde(default)]
    language: String,
}

async fn export_csv(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let Some(user) = viewer.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let language = Language::parse(&query.language).unwrap_or(user.language);
    let Some(kind) = ExportKind::parse(&query.what) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let (Ok(from), Ok(to)) = (Date::parse(&query.from), Date::parse(&query.to)) else {
        return refusal(&Problem::InvalidDate, user.language);
    };
    let period = match Period::new(from, to) {
        Ok(period) => period,
        Err(problem) => return refusal(&problem, user.language),
    };
    let store_id = match query.store.trim() {
        "" => 0,
        id => match id.parse::<i64>() {
            Ok(id) => id,
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    if store_id != 0 {
        if let Err(error) = stores::get(&state.services.db, user.organisation, store_id).await {
            return error_response(error, user.language);
        }
    }
    let scope = Scope {
        organisation: user.organisation,
        store_id,
        period,
    };
    let stream = csv_stream(state.services.clone(), kind, scope, language);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    kind.file_name(period, language)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// 422 with the problem in the merchant's words.
fn refusal(problem: &Problem, language: Language) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        problem.message(language),
    )
        .into_response()
}

fn error_response(error: ServerError, language: Language) -> Response {
    match error {
        ServerError::NotFound => StatusCode::NOT_FOUND.into_response(),
        ServerError::Invalid(InvalidInput(fields)) => match fields.first() {
            Some(field) => refusal(&field.problem, language),
            None => StatusCode::UNPROCESSABLE_ENTITY.into_response(),
        },
        error => {
            tracing::error!(%error, "a bulk action or export failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
