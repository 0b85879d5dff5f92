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
    #[error("a task of the request stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
}

impl ServerError {
    /// The database could not be reached (down, restarting, failing over, no
    /// free connection): trying the same thing again later may work.
    pub fn is_database_unreachable(&self) -> bool {
        matches!(
            self,
            ServerError::Database(
                sqlx::Error::Io(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Protocol(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::WorkerCrashed
            )
        ) || matches!(self, ServerError::Database(sqlx::Error::Database(error)) if error.code().is_some_and(|code| code.starts_with("57P") || code.starts_with("08")))
    }
}

/// Input refused, each problem beside its field.
pub fn invalid(fields: Vec<invoice::document::FieldError>) -> ServerError {
    ServerError::Invalid(InvalidInput(fields))
}

/// Input refused for one problem on one field.
pub fn refused(field: &str, problem: invoice::problem::Problem) -> ServerError {
    invalid(vec![invoice::document::FieldError::new(field, problem)])
}

impl From<invoice::transitions::Refusal> for ServerError {
    fn from(refusal: invoice::transitions::Refusal) -> Self {
        refused(refusal.field, refusal.problem)
    }
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
