//! Accounts: sessions, passwords within the sign-in limits, and the
//! single-use links the account emails carry. The admin operations that use
//! them (sign-up, sign-in, resets…) are in `crate::admin`.

use app::api::SESSION_DAYS;
use invoice::account::{
    normalise_login_email, sign_in_allowed, AccountEmail, CONFIRM_LINK_HOURS,
    FAILURE_WINDOW_MINUTES, MAX_ACCOUNT_EMAILS_PER_ADDRESS,
};
use invoice::organisation::OrganisationId;
use invoice::problem::Problem;
use invoice::Language;

use crate::auth::{self, HashPermit};
use crate::db::accounts::{self, Addressee, TokenPurpose};
use crate::db::now_ms;
use crate::email::ServiceEmail;
use crate::error::{invalid, refused, ServerError};
use crate::services::Services;

impl Services {
    pub(crate) async fn start_session(&self, user_id: i64) -> Result<String, ServerError> {
        let (token, hash) = auth::new_session_token();
        let now = now_ms();
        accounts::create_session(
            &self.db,
            &hash,
            user_id,
            now,
            now + SESSION_DAYS * 86_400_000,
        )
        .await?;
        Ok(token)
    }

    /// A permit to hash a password, or the "try again in a moment" refusal.
    pub(crate) fn hash_permit(&self, field: &str) -> Result<HashPermit, ServerError> {
        self.hashing
            .try_permit()
            .ok_or_else(|| refused(field, Problem::SignInBusy))
    }

    /// Checks an email and password within the sign-in limits; the user's id
    /// and language, or the refusal on `field`.
    pub(crate) async fn check_password(
        &self,
        email: &str,
        password: String,
        client_network: &str,
        field: &str,
    ) -> Result<(i64, Language), ServerError> {
        let email = normalise_login_email(email);
        let permit = self.hash_permit(field)?;
        // Counted before the password is checked, so that parallel attempts
        // cannot all pass a limit they read before any of them failed.
        let (by_account, by_network) = accounts::count_sign_in(
            &self.db,
            &email,
            client_network,
            now_ms(),
            i64::from(FAILURE_WINDOW_MINUTES) * 60_000,
        )
        .await?;
        if !sign_in_allowed(by_account, by_network) {
            return Err(refused(
                field,
                Problem::TooManyAttempts {
                    minutes: FAILURE_WINDOW_MINUTES,
                },
            ));
        }
        let credentials = accounts::credentials(&self.db, &email).await?;
        let stored_hash = credentials
            .as_ref()
            .map(|credentials| credentials.password_hash.clone());
        let verified = self.hashing.verify(permit, password, stored_hash).await?;
        match credentials {
            Some(credentials) if verified => {
                accounts::forgive_sign_in(&self.db, &email, client_network).await?;
                Ok((credentials.user_id, credentials.language))
            }
            _ => Err(refused(field, Problem::WrongCredentials)),
        }
    }

    /// `{ADMIN_URL}{path}?token=…` with a new single-use token for the user,
    /// stored as its hash.
    pub(crate) async fn account_link(
        &self,
        user_id: i64,
        purpose: TokenPurpose,
        path: &str,
        lifetime_ms: i64,
    ) -> Result<String, ServerError> {
        let (token, hash) = auth::new_session_token();
        let now = now_ms();
        accounts::create_token(&self.db, &hash, user_id, purpose, now, now + lifetime_ms).await?;
        Ok(format!("{}{path}?token={token}", self.config.admin_url))
    }

    /// Sends an account email unless the address had its share of them in
    /// the window; Ok(false) when the SMTP server did not take it.
    pub(crate) async fn send_account_email(
        &self,
        to: &Addressee,
        email: AccountEmail<'_>,
    ) -> Result<bool, ServerError> {
        let window_ms = i64::from(FAILURE_WINDOW_MINUTES) * 60_000;
        if accounts::count_account_email(&self.db, &to.email, now_ms(), window_ms).await?
            > MAX_ACCOUNT_EMAILS_PER_ADDRESS
        {
            tracing::warn!("account emails to one address over the limit; not sent");
            return Ok(true);
        }
        let content = email.content(to.language);
        let sent = self
            .mailer
            .send_service_email(&ServiceEmail {
                to: to.email.clone(),
                subject: content.subject,
                body_text: content.text,
                body_html: content.html,
            })
            .await;
        if let Err(reason) = &sent {
            tracing::warn!(%reason, "an account email was not sent");
        }
        Ok(sent.is_ok())
    }

    /// A new confirmation link (with a new single-use token) for the user.
    /// Sign-up and "send the link again" email it.
    pub async fn confirmation_link(&self, user_id: i64) -> Result<String, ServerError> {
        self.account_link(
            user_id,
            TokenPurpose::ConfirmEmail,
            app::api::CONFIRM_EMAIL_PATH,
            CONFIRM_LINK_HOURS * 3_600_000,
        )
        .await
    }

    pub(crate) async fn send_confirmation(&self, to: &Addressee) -> Result<bool, ServerError> {
        let link = self.confirmation_link(to.user_id).await?;
        self.send_account_email(
            to,
            AccountEmail::ConfirmAddress {
                name: &to.name,
                link: &link,
            },
        )
        .await
    }

    /// Invoice emails wait until the organisation's owner confirmed their address.
    pub(crate) async fn require_confirmed_owner(
        &self,
        organisation: OrganisationId,
    ) -> Result<(), ServerError> {
        if accounts::owner_confirmed(&self.db, organisation).await? {
            Ok(())
        } else {
            Err(refused("invoice", Problem::EmailNotConfirmed))
        }
    }

    pub(crate) async fn new_password_hash(
        &self,
        field: &str,
        password: &str,
    ) -> Result<String, ServerError> {
        let valid = invoice::account::new_password(field, password).map_err(invalid)?;
        let permit = self.hash_permit(field)?;
        self.hashing.hash(permit, valid).await
    }
}
