//! The server's error type, and the one place where it becomes what a
//! merchant or the edge is told.

use app::api::AdminError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("publishing to the edge failed: {0}")]
    Publish(String),
    #[error("rendering the PDF failed: {0}")]
    Pdf(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
}

#[derive(Debug, thiserror::Error)]
#[error("invalid input")]
pub struct InvalidInput(pub Vec<invoice::document::FieldError>);

impl From<serde_json::Error> for ServerError {
    fn from(error: serde_json::Error) -> Self {
        ServerError::Corrupt(error.to_string())
    }
}

impl From<ServerError> for AdminError {
    fn from(error: ServerError) -> Self {
        match error {
            ServerError::NotFound => AdminError::NotFound,
            ServerError::Invalid(InvalidInput(fields)) => AdminError::Invalid(fields),
            ServerError::Publish(reason) => {
                tracing::warn!(%reason, "publishing to the edge failed");
                AdminError::EdgeUnavailable
            }
            internal => {
                tracing::error!(error = %internal, "request failed");
                AdminError::Unavailable
            }
        }
    }
}
