//! What the admin asks of the server: the data it shows, the typed error that
//! survives the network, and the server functions.

use invoice::document::FieldError;
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The organisation a request acts for. Every query is scoped by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationId(pub i64);

/// Where an invoice's latest email stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailState {
    NotSent,
    Queued,
    Sent { at_ms: i64 },
    Failed { reason: String },
}

/// One row of Sales → Customer invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub id: i64,
    pub number: String,
    pub issue_date: String,
    pub customer_name: String,
    pub customer_email: String,
    pub total: String,
    pub status: String,
    pub email: EmailState,
    /// When the customer (never a copy, never a machine) first opened it.
    pub first_opened_ms: Option<i64>,
    pub open_count: i64,
    /// How many sends were requested so far; keys the next send's idempotency.
    pub sends: i64,
}

/// The errors a merchant can see. Internals are logged on the server and
/// shown only as [`AdminError::Unavailable`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AdminError {
    #[error("Please correct the highlighted fields.")]
    Invalid(Vec<FieldError>),
    #[error("That invoice does not exist.")]
    NotFound,
    #[error("The customer page could not be updated, so nothing was sent. Please try again in a minute.")]
    EdgeUnavailable,
    #[error("Something went wrong on our side. Your data is safe; please try again.")]
    Unavailable,
    #[error("Could not reach the server: {0}")]
    Request(String),
}

impl AdminError {
    /// The message for one form field, if that field is wrong.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            AdminError::Invalid(errors) => errors
                .iter()
                .find(|error| error.field == name)
                .map(|error| error.message.clone()),
            _ => None,
        }
    }
}

impl FromServerFnError for AdminError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AdminError::Request(value.to_string())
    }
}

/// The server's side of the admin, provided as context by the server binary.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait AdminBackend: Send + Sync + 'static {
    async fn list_invoices(
        &self,
        organisation: OrganisationId,
    ) -> Result<Vec<InvoiceRow>, AdminError>;
    async fn create_invoice(
        &self,
        organisation: OrganisationId,
        draft: invoice::InvoiceDraft,
    ) -> Result<i64, AdminError>;
    async fn send_invoice(
        &self,
        organisation: OrganisationId,
        invoice_id: i64,
        idempotency_key: String,
    ) -> Result<(), AdminError>;
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use std::sync::Arc;

    pub type Backend = Arc<dyn AdminBackend>;

    pub fn backend() -> Result<Backend, AdminError> {
        use_context::<Backend>().ok_or_else(|| {
            tracing::error!("the admin backend is missing from the server function context");
            AdminError::Unavailable
        })
    }

    /// The organisation of the current request, provided by the server.
    pub fn organisation() -> Result<OrganisationId, AdminError> {
        use_context::<OrganisationId>().ok_or(AdminError::Unavailable)
    }
}

#[server]
pub async fn list_invoices() -> Result<Vec<InvoiceRow>, AdminError> {
    use self::ssr::*;
    backend()?.list_invoices(organisation()?).await
}

pub use create::*;

mod create {
    // One argument per form field is what lets a plain form post (before
    // hydration) reach the function; the macro expands it twice.
    #![allow(clippy::too_many_arguments)]
    use super::*;

    /// Creates and issues an invoice with one line. The field names are those of
    /// the form, so it works before the page is hydrated.
    #[server]
    pub async fn create_invoice(
        customer_name: String,
        customer_email: String,
        customer_language: String,
        currency: String,
        description: String,
        quantity: String,
        unit_price: String,
        tax_rate: String,
    ) -> Result<i64, AdminError> {
        use self::ssr::*;
        let draft = invoice::InvoiceDraft {
            customer_name,
            customer_email,
            customer_language,
            currency,
            lines: vec![invoice::LineInput {
                description,
                quantity,
                unit_price,
                tax_rate,
            }],
        };
        backend()?.create_invoice(organisation()?, draft).await
    }
}

#[server]
pub async fn send_invoice(invoice_id: i64, idempotency_key: String) -> Result<(), AdminError> {
    use self::ssr::*;
    backend()?
        .send_invoice(organisation()?, invoice_id, idempotency_key)
        .await
}
