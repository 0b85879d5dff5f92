//! Addresses that receive mail on a merchant's behalf (a store's copies and
//! failure list) are confirmed by their owners first; until then they
//! receive nothing. The admin operations on them (their states, "send
//! again", the public confirmation page) are in `crate::admin`.

use invoice::document::EmailAddress;
use invoice::organisation::{CurrentUser, OrganisationId};
use invoice::recipients::{confirmation_email, normalise, utc_day_start, ConfirmationRequest};
use invoice::store::StoreSettings;

use crate::auth::new_session_token;
use crate::db::{now_ms, stores};
use crate::email::ServiceEmail;
use crate::error::ServerError;
use crate::services::Services;

/// Confirmation requests one organisation may send per UTC day: a merchant
/// adds a handful of addresses, a spammer would add thousands.
pub const MAX_CONFIRMATIONS_PER_DAY: i64 = 20;

/// Keeps the addresses whose owners confirmed them to this organisation,
/// read through `executor` (the pool, or a send's transaction).
pub(crate) async fn keep_confirmed<'e, E>(
    executor: E,
    organisation: OrganisationId,
    addresses: &mut Vec<EmailAddress>,
) -> Result<(), ServerError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if addresses.is_empty() {
        return Ok(());
    }
    let confirmed = stores::confirmed_addresses(executor, organisation).await?;
    addresses.retain(|address| confirmed.contains(&normalise(address.as_str())));
    Ok(())
}

impl Services {
    /// Sends a confirmation request to each address of a saved store's
    /// copies and failure list that the organisation never had, as many as
    /// the day's requests allow; the others wait, shown as such, for "send
    /// again".
    pub async fn request_confirmations(
        &self,
        user: &CurrentUser,
        settings: &StoreSettings,
    ) -> Result<(), ServerError> {
        let organisation = user.organisation;
        let mut known: Vec<String> = stores::recipients(&self.db, organisation)
            .await?
            .into_iter()
            .map(|row| row.address)
            .collect();
        known.extend(stores::confirmed_addresses(&self.db.pool, organisation).await?);
        let mut new: Vec<String> = Vec::new();
        for address in settings.copies_to.iter().chain(&settings.failure_notify) {
            let address = normalise(address.as_str());
            if !known.contains(&address) && !new.contains(&address) {
                new.push(address);
            }
        }
        for address in new {
            let now = now_ms();
            let within_day =
                stores::confirmations_sent_since(&self.db, organisation, utc_day_start(now))
                    .await?
                    < MAX_CONFIRMATIONS_PER_DAY;
            let token = within_day.then(new_session_token);
            let added = stores::add_recipient(
                &self.db,
                organisation,
                &address,
                token.as_ref().map(|(_, hash)| hash.as_str()),
                now,
            )
            .await?;
            if let (true, Some((token, _))) = (added, token) {
                self.mail_confirmation(user, &address, &token).await;
            }
        }
        Ok(())
    }

    /// Sends the request at once; a failure is logged and the address
    /// stays waiting, for "send again".
    pub(crate) async fn mail_confirmation(&self, user: &CurrentUser, address: &str, token: &str) {
        let confirm_url = format!("{}/confirm-recipient/{token}", self.config.admin_url);
        let content = confirmation_email(&ConfirmationRequest {
            language: user.language,
            business: &user.organisation_name,
            address,
            confirm_url: &confirm_url,
        });
        let email = ServiceEmail {
            to: address.to_owned(),
            subject: content.subject,
            body_text: content.text,
            body_html: content.html,
        };
        if let Err(error) = self.mailer.send_service_email(&email).await {
            tracing::warn!(%error, "a recipient confirmation request could not be sent");
        }
    }
}
