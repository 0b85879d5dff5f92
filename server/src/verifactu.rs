//! VERI*FACTU's sending (issue 20, item 4): each store's certificate, with
//! which Invio authenticates to the AEAT ([`certificate`]), and the sender
//! that delivers each chain's records and records the AEAT's answers in the
//! invoices' histories ([`sender`]). What the records and answers are is
//! `invoice::verifactu`'s, what the merchant is told `invoice::aeat`'s; the
//! storage is `crate::db::verifactu_sending`.

pub mod certificate;
pub mod sender;

use app::api::AdminError;
use invoice::aeat::{CertificateProblem, CertificateView, SendingStatus};
use invoice::i18n::Language;
use invoice::organisation::{CurrentUser, Role};

use crate::db::now_ms;
use crate::db::verifactu_sending as store;
use crate::error::ServerError;
use crate::services::Services;
use certificate::{read_certificate, CertificateUpload};

/// Why a certificate operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum VerifactuError {
    /// The uploaded file, and what is wrong with it.
    #[error("the certificate cannot be used: {0:?}")]
    Certificate(CertificateProblem),
    /// Only the organisation's owner changes how its records reach the AEAT.
    #[error("only the owner may change the certificate")]
    OwnerOnly,
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl From<sqlx::Error> for VerifactuError {
    fn from(error: sqlx::Error) -> Self {
        VerifactuError::Server(error.into())
    }
}

impl VerifactuError {
    /// The refusal in the merchant's language; internals are never shown.
    pub fn message(&self, language: Language) -> String {
        match (self, language) {
            (VerifactuError::Certificate(problem), _) => problem.message(language).to_owned(),
            (VerifactuError::OwnerOnly, Language::It) => {
                "Solo il titolare può cambiare il certificato.".into()
            }
            (VerifactuError::OwnerOnly, Language::Es) => {
                "Solo el titular puede cambiar el certificado.".into()
            }
            (VerifactuError::OwnerOnly, Language::En) => {
                "Only the owner can change the certificate.".into()
            }
            (VerifactuError::Server(ServerError::NotFound), Language::It) => "Non trovato.".into(),
            (VerifactuError::Server(ServerError::NotFound), Language::Es) => {
                "No encontrado.".into()
            }
            (VerifactuError::Server(ServerError::NotFound), Language::En) => "Not found.".into(),
            (VerifactuError::Server(error), language) => {
                tracing::error!(%error, "a VERI*FACTU operation failed");
                match language {
                    Language::It => {
                        "Invio non è disponibile in questo momento: riprova tra poco.".into()
                    }
                    Language::Es => {
                        "Invio no está disponible en este momento: inténtelo de nuevo en breve."
                            .into()
                    }
                    Language::En => "Invio is unavailable at the moment: try again shortly.".into(),
                }
            }
        }
    }
}

impl Services {
    /// The store's certificate as its card shows it (never the key).
    pub async fn verifactu_certificate(
        &self,
        user: &CurrentUser,
        store_id: i64,
    ) -> Result<Option<CertificateView>, VerifactuError> {
        Ok(store::certificate_view(&self.db, user.organisation, store_id).await?)
    }

    /// Reads, checks and saves the store's certificate (replacing the one it
    /// had); the store's waiting records are sent at once with it.
    pub async fn upload_verifactu_certificate(
        &self,
        user: &CurrentUser,
        store_id: i64,
        upload: CertificateUpload<'_>,
    ) -> Result<CertificateView, VerifactuError> {
        if user.role != Role::Owner {
            return Err(VerifactuError::OwnerOnly);
        }
        // The store first: a stranger learns nothing from a file's problems.
        store::certificate_view(&self.db, user.organisation, store_id).await?;
        let now = now_ms();
        let certificate = read_certificate(upload, now).map_err(VerifactuError::Certificate)?;
        store::save_certificate(&self.db, user.organisation, store_id, &certificate, now).await?;
        Ok(CertificateView {
            subject: certificate.subject,
            nif: certificate.nif,
            issuer: certificate.issuer,
            not_after: certificate.not_after_ms,
            uploaded_at: now,
        })
    }

    /// Removes the store's certificate: its records wait for another.
    pub async fn remove_verifactu_certificate(
        &self,
        user: &CurrentUser,
        store_id: i64,
    ) -> Result<(), VerifactuError> {
        if user.role != Role::Owner {
            return Err(VerifactuError::OwnerOnly);
        }
        Ok(store::remove_certificate(&self.db, user.organisation, store_id).await?)
    }

    /// How the store's records are going to the AEAT.
    pub async fn verifactu_status(
        &self,
        user: &CurrentUser,
        store_id: i64,
    ) -> Result<SendingStatus, VerifactuError> {
        Ok(store::status(&self.db, user.organisation, store_id, now_ms()).await?)
    }
}

/// The store settings page's VERI*FACTU card (`app::routes::verifactu`).
#[async_trait::async_trait]
impl app::routes::verifactu::ssr::VerifactuBackend for Services {
    async fn card(
        &self,
        user: &CurrentUser,
        store_id: i64,
    ) -> Result<(Option<CertificateView>, SendingStatus), AdminError> {
        let certificate = self
            .verifactu_certificate(user, store_id)
            .await
            .map_err(admin_error)?;
        let status = self
            .verifactu_status(user, store_id)
            .await
            .map_err(admin_error)?;
        Ok((certificate, status))
    }

    async fn remove_certificate(
        &self,
        user: &CurrentUser,
        store_id: i64,
    ) -> Result<(), AdminError> {
        self.remove_verifactu_certificate(user, store_id)
            .await
            .map_err(admin_error)
    }
}

fn admin_error(error: VerifactuError) -> AdminError {
    match error {
        VerifactuError::OwnerOnly => AdminError::OwnerOnly,
        VerifactuError::Server(error) => error.into(),
        other => AdminError::Request(other.to_string()),
    }
}
