//! The legal invoice through SdI by PEC (issue 19): each store's PEC
//! mailbox, the FatturaPA files sent to SdI through the outbox
//! ([`transmission`]), SdI's receipts read back from the mailbox over IMAP
//! ([`mailbox`], out of their PEC envelopes by [`envelope`]) or uploaded by
//! hand, matched to their transmission and told in the invoice's history.
//! What a receipt says is `invoice::sdi`'s; the storage is `crate::db::sdi`.

pub mod envelope;
pub mod mailbox;
pub mod transmission;

use app::api::AdminError;
use invoice::i18n::Language;
use invoice::organisation::{CurrentUser, Role};
use invoice::pec::{PecMailboxInput, PecProblem};
use invoice::sdi::{parse_receipt, SdiParseError};

pub use transmission::{queue_transmission, sdi_pec_address};

use crate::db::now_ms;
use crate::db::sdi::{self, MailboxView, ReceiptSource, Recorded, UnmatchedReceipt};
use crate::error::ServerError;
use crate::services::Services;

/// Why an SdI operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum SdiError {
    /// The file is not one of SdI's messages, or a file name breaks SdI's rule.
    #[error(transparent)]
    Receipt(SdiParseError),
    /// The form's fields, each with its problem.
    #[error("the PEC mailbox is not valid")]
    Mailbox(Vec<(String, PecProblem)>),
    /// The store has no PEC mailbox to send from.
    #[error("the store has no PEC mailbox")]
    NoMailbox,
    /// Another invoice was transmitted under this file name.
    #[error("the file name was used for another invoice")]
    FileNameTaken,
    /// Only the organisation's owner changes where its legal invoices go.
    #[error("only the owner may change the PEC mailbox")]
    OwnerOnly,
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl From<sqlx::Error> for SdiError {
    fn from(error: sqlx::Error) -> Self {
        SdiError::Server(error.into())
    }
}

impl SdiError {
    /// The refusal in the merchant's language; internals are never shown.
    pub fn message(&self, language: Language) -> String {
        match (self, language) {
            (SdiError::Receipt(error), _) => error.message(language),
            (SdiError::Mailbox(problems), _) => problems
                .iter()
                .map(|(_, problem)| problem.message(language))
                .collect::<Vec<_>>()
                .join(" "),
            (SdiError::NoMailbox, Language::It) => {
                "Il negozio non ha una casella PEC: configurala nelle impostazioni del negozio."
                    .into()
            }
            (SdiError::NoMailbox, Language::Es) => {
                "La tienda no tiene buzón PEC: configúrelo en los ajustes de la tienda.".into()
            }
            (SdiError::NoMailbox, Language::En) => {
                "The store has no PEC mailbox: set one up in the store's settings.".into()
            }
            (SdiError::FileNameTaken, Language::It) => {
                "Questo nome di file è già stato usato per un'altra fattura.".into()
            }
            (SdiError::FileNameTaken, Language::Es) => {
                "Este nombre de archivo ya se usó para otra factura.".into()
            }
            (SdiError::FileNameTaken, Language::En) => {
                "This file name was already used for another invoice.".into()
            }
            (SdiError::OwnerOnly, Language::It) => {
                "Solo il titolare può cambiare la casella PEC.".into()
            }
            (SdiError::OwnerOnly, Language::Es) => {
                "Solo el titular puede cambiar el buzón PEC.".into()
            }
            (SdiError::OwnerOnly, Language::En) => {
                "Only the owner can change the PEC mailbox.".into()
            }
            (SdiError::Server(ServerError::NotFound), Language::It) => "Non trovato.".into(),
            (SdiError::Server(ServerError::NotFound), Language::Es) => "No encontrado.".into(),
            (SdiError::Server(ServerError::NotFound), Language::En) => "Not found.".into(),
            (SdiError::Server(error), language) => {
                tracing::error!(%error, "an SdI operation failed");
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

/// What an uploaded receipt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploaded {
    /// In the history of this invoice.
    Matched { invoice_id: i64 },
    /// Matched nothing: kept in the organisation's unmatched receipts.
    Unmatched,
    /// The same receipt was recorded before.
    Again,
}

impl Services {
    /// The store's PEC mailbox as the form shows it (never its password).
    pub async fn pec_mailbox(
        &self,
        user: &CurrentUser,
        store_id: i64,
    ) -> Result<Option<MailboxView>, SdiError> {
        Ok(sdi::mailbox_view(&self.db, user.organisation, store_id).await?)
    }

    /// Saves the store's PEC mailbox; an empty password keeps the stored one.
    pub async fn save_pec_mailbox(
        &self,
        user: &CurrentUser,
        store_id: i64,
        input: PecMailboxInput,
    ) -> Result<(), SdiError> {
        if user.role != Role::Owner {
            return Err(SdiError::OwnerOnly);
        }
        let has_password = sdi::mailbox_view(&self.db, user.organisation, store_id)
            .await?
            .is_some_and(|mailbox| mailbox.has_password);
        let mailbox = input.validate(has_password).map_err(SdiError::Mailbox)?;
        sdi::save_mailbox(&self.db, user.organisation, store_id, &mailbox, now_ms()).await?;
        Ok(())
    }

    /// Records a receipt file uploaded by hand in the user's organisation:
    /// matched to its transmission there, or kept unmatched there. A file
    /// that is not one of SdI's messages is refused with the reason.
    pub async fn upload_receipt(
        &self,
        user: &CurrentUser,
        file_name: Option<&str>,
        bytes: &[u8],
    ) -> Result<Uploaded, SdiError> {
        let receipt = parse_receipt(bytes).map_err(SdiError::Receipt)?;
        let xml = String::from_utf8_lossy(bytes);
        let mut tx = self.db.begin_write().await?;
        let recorded = sdi::record_receipt(
            &mut tx,
            user.organisation,
            ReceiptSource::Upload,
            &receipt,
            file_name,
            &xml,
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(match recorded {
            Recorded::Matched { invoice_id } => Uploaded::Matched { invoice_id },
            Recorded::Unmatched { .. } => Uploaded::Unmatched,
            Recorded::Again => Uploaded::Again,
        })
    }

    /// The organisation's receipts that matched nothing, newest first.
    pub async fn unmatched_receipts(
        &self,
        user: &CurrentUser,
    ) -> Result<Vec<UnmatchedReceipt>, SdiError> {
        Ok(sdi::unmatched(&self.db, user.organisation).await?)
    }

    /// Puts an unmatched receipt in the history of an invoice the owner chose.
    pub async fn assign_receipt(
        &self,
        user: &CurrentUser,
        receipt_id: i64,
        invoice_id: i64,
    ) -> Result<(), SdiError> {
        if user.role != Role::Owner {
            return Err(SdiError::OwnerOnly);
        }
        sdi::assign(
            &self.db,
            user.organisation,
            receipt_id,
            invoice_id,
            user.id,
            now_ms(),
        )
        .await?;
        Ok(())
    }
}

/// The store settings page's PEC card (`app::routes::pec`).
#[async_trait::async_trait]
impl app::routes::pec::ssr::PecBackend for Services {
    async fn mailbox_form(
        &self,
        user: &CurrentUser,
        store_id: i64,
    ) -> Result<Option<MailboxView>, AdminError> {
        self.pec_mailbox(user, store_id).await.map_err(admin_error)
    }

    async fn save_mailbox_form(
        &self,
        user: &CurrentUser,
        store_id: i64,
        input: PecMailboxInput,
    ) -> Result<Vec<(String, String)>, AdminError> {
        match self.save_pec_mailbox(user, store_id, input).await {
            Ok(()) => Ok(Vec::new()),
            Err(SdiError::Mailbox(problems)) => Ok(problems
                .into_iter()
                .map(|(field, problem)| (field, problem.message(user.language)))
                .collect()),
            Err(error) => Err(admin_error(error)),
        }
    }

    async fn receipts_unmatched(
        &self,
        user: &CurrentUser,
    ) -> Result<Vec<UnmatchedReceipt>, AdminError> {
        if user.role != Role::Owner {
            return Err(AdminError::OwnerOnly);
        }
        self.unmatched_receipts(user).await.map_err(admin_error)
    }

    async fn assign_unmatched(
        &self,
        user: &CurrentUser,
        receipt_id: i64,
        invoice_number: &str,
    ) -> Result<(), AdminError> {
        let invoice_id = sdi::invoice_by_number(&self.db, user.organisation, invoice_number)
            .await?
            .ok_or(AdminError::NotFound)?;
        self.assign_receipt(user, receipt_id, invoice_id)
            .await
            .map_err(admin_error)
    }
}

fn admin_error(error: SdiError) -> AdminError {
    match error {
        SdiError::OwnerOnly => AdminError::OwnerOnly,
        SdiError::Server(error) => error.into(),
        other => AdminError::Request(other.to_string()),
    }
}
