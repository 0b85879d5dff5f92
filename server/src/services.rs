//! The server's side of the merchant admin: what each server function does.
//! Input is checked by `invoice/`'s rules before anything is written.

use std::sync::Arc;

use app::api::{
    AdminBackend, AdminError, CurrentUser, CustomerPage, DailySending, DraftOptions, EmailState,
    InvoiceDetail, InvoiceFilter, InvoicePage, LinkRow, OrganisationId, RecipientState,
    RecipientToConfirm, Role, SendForm, StoreRow, UserRow, SESSION_DAYS,
};
use invoice::account::{
    normalise_login_email, routing_changed, sign_in_allowed, AccountEmail, NewUserInput,
    SignupInput, CONFIRM_LINK_HOURS, FAILURE_WINDOW_MINUTES, MAX_ACCOUNT_EMAILS_PER_ADDRESS,
    RESET_LINK_MINUTES,
};
use invoice::customer::CustomerInput;
use invoice::dates::Date;
use invoice::document::{DocumentLayout, DraftInput, FieldError};
use invoice::email::{send_refusal, EmailPurpose, SendInput};
use invoice::history::HistoryEvent;
use invoice::payment::PaymentInput;
use invoice::problem::Problem;
use invoice::status::{amount_due, Lifecycle};
use invoice::store::{StoreInput, StoreSettings};
use invoice::{Language, Money};
use tokio::sync::Notify;

use crate::auth::{self, HashPermit, PasswordHashing};
use crate::config::Config;
use crate::db::accounts::{Addressee, TokenPurpose};
use crate::db::{accounts, customers, invoices, links, now_ms, stores, Db};
use crate::edge_sync::EdgeClient;
use crate::email::{Mailer, ServiceEmail};
use crate::error::{InvalidInput, ServerError};

pub struct Services {
    pub db: Db,
    pub config: Config,
    pub mailer: Mailer,
    pub edge: EdgeClient,
    /// Wakes the outbox dispatcher when an email is queued.
    pub outbox_wake: Arc<Notify>,
    /// Wakes the edge publisher when an invoice's state changed.
    pub edge_wake: Arc<Notify>,
    /// The admin's change feeds: one watcher per organisation.
    pub live: crate::live::Hub,
    /// Caps the argon2 hashes computed at once.
    pub hashing: PasswordHashing,
}

pub(crate) fn today() -> Date {
    Date::from_unix_millis(now_ms())
}

pub(crate) fn invalid(fields: Vec<FieldError>) -> ServerError {
    ServerError::Invalid(InvalidInput(fields))
}

pub(crate) fn refused(field: &str, problem: Problem) -> ServerError {
    invalid(vec![FieldError::new(field, problem)])
}

impl Services {
    /// The services of a server that publishes to `config.edge_url` and
    /// sends through `config.smtp_url`.
    pub fn new(db: Db, config: Config) -> Result<Self, crate::email::MailerError> {
        Ok(Self {
            mailer: Mailer::new(&config.smtp_url, &config.mail_from_address)?,
            edge: EdgeClient::new(&config.edge_url, config.edge_secret.clone()),
            hashing: PasswordHashing::new(config.hashing_concurrency),
            db,
            config,
            outbox_wake: Arc::new(Notify::new()),
            edge_wake: Arc::new(Notify::new()),
            live: crate::live::Hub::default(),
        })
    }

    /// Renders off the async threads: a 100-line invoice takes a while.
    pub async fn render_pdf(
        &self,
        document: invoice::PublicDocument,
        paid_minor: i64,
        layout: DocumentLayout,
    ) -> Result<Vec<u8>, ServerError> {
        tokio::task::spawn_blocking(move || invoice::pdf::render(&document, paid_minor, layout))
            .await
            .map_err(|error| ServerError::Pdf(error.to_string()))
    }

    /// The PDF of an issued (or void) invoice, in the layout asked for.
    pub async fn invoice_pdf(
        &self,
        organisation: OrganisationId,
        invoice_id: i64,
        layout: DocumentLayout,
    ) -> Result<(String, Vec<u8>), ServerError> {
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        let document = invoice.document.ok_or(ServerError::NotFound)?;
        let name = document.pdf_file_name();
        let pdf = self
            .render_pdf(document, invoice.paid_minor, layout)
            .await?;
        Ok((name, pdf))
    }

    async fn start_session(&self, user_id: i64) -> Result<String, ServerError> {
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
    fn hash_permit(&self, field: &str) -> Result<HashPermit, ServerError> {
        self.hashing
            .try_permit()
            .ok_or_else(|| refused(field, Problem::SignInBusy))
    }

    async fn sign_in(
        &self,
        email: &str,
        password: String,
        client_network: &str,
    ) -> Result<(String, Language), ServerError> {
        let (user_id, language) = self
            .check_password(email, password, client_network, "password")
            .await?;
        Ok((self.start_session(user_id).await?, language))
    }

    /// Checks an email and password within the sign-in limits; the user's id
    /// and language, or the refusal on `field`.
    async fn check_password(
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
    async fn account_link(
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
    async fn send_account_email(
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

    async fn send_confirmation(&self, to: &Addressee) -> Result<bool, ServerError> {
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

    /// Confirms the address a confirmation link was sent to.
    pub async fn confirm_email_token(&self, token: &str) -> Result<(), ServerError> {
        if accounts::confirm_email(&self.db, &auth::token_hash(token.trim()), now_ms()).await? {
            Ok(())
        } else {
            Err(refused("token", Problem::AccountLinkInvalid))
        }
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

    async fn register(&self, input: SignupInput) -> Result<(), ServerError> {
        let valid = input.validate().map_err(invalid)?;
        let permit = self.hash_permit("password")?;
        if let Some(existing) = accounts::addressee(&self.db, valid.email.as_str()).await? {
            // The same work and the same answer as a new account; the
            // address's owner hears of it instead.
            self.hashing.hash(permit, valid.password).await?;
            let sign_in_link = format!("{}/login", self.config.admin_url);
            let reset_link = format!(
                "{}{}",
                self.config.admin_url,
                app::api::FORGOT_PASSWORD_PATH
            );
            self.send_account_email(
                &existing,
                AccountEmail::SignUpAttempted {
                    name: &existing.name,
                    sign_in_link: &sign_in_link,
                    reset_link: &reset_link,
                },
            )
            .await?;
            return Ok(());
        }
        let hash = self.hashing.hash(permit, valid.password.clone()).await?;
        let now = now_ms();
        let Some((organisation, user_id)) = accounts::create_organisation(
            &self.db,
            &valid.business_name,
            &valid.name,
            valid.email.as_str(),
            &hash,
            valid.language,
            now,
        )
        .await?
        else {
            // Taken between the look-up and the insert: still the same answer.
            return Ok(());
        };
        // A first store, named after the business, so invoicing can start at
        // once; the merchant completes its settings later.
        let store = StoreSettings {
            name: valid.business_name.clone(),
            language: valid.language,
            ..StoreSettings::default()
        };
        stores::insert(&self.db, organisation, &store, now).await?;
        // Unsent, it can be sent again from the admin's banner.
        self.send_confirmation(&Addressee {
            user_id,
            name: valid.name,
            email: valid.email.as_str().to_owned(),
            language: valid.language,
        })
        .await?;
        Ok(())
    }

    async fn email_reset_link(&self, email: &str) -> Result<(), ServerError> {
        let email = normalise_login_email(email);
        let Some(user) = accounts::addressee(&self.db, &email).await? else {
            return Ok(());
        };
        let link = self
            .account_link(
                user.user_id,
                TokenPurpose::ResetPassword,
                app::api::RESET_PASSWORD_PATH,
                RESET_LINK_MINUTES * 60_000,
            )
            .await?;
        let sent = self
            .send_account_email(
                &user,
                AccountEmail::ResetPassword {
                    name: &user.name,
                    link: &link,
                },
            )
            .await?;
        if sent {
            Ok(())
        } else {
            Err(refused("email", Problem::AccountEmailNotSent))
        }
    }

    async fn new_password_hash(&self, field: &str, password: &str) -> Result<String, ServerError> {
        let valid = invoice::account::new_password(field, password).map_err(invalid)?;
        let permit = self.hash_permit(field)?;
        self.hashing.hash(permit, valid).await
    }

    async fn set_password_by_link(&self, token: &str, password: &str) -> Result<(), ServerError> {
        let hash = self.new_password_hash("password", password).await?;
        if accounts::reset_password(&self.db, &auth::token_hash(token.trim()), &hash, now_ms())
            .await?
        {
            Ok(())
        } else {
            Err(refused("password", Problem::AccountLinkInvalid))
        }
    }

    async fn replace_password(
        &self,
        user: &CurrentUser,
        session_token: &str,
        current_password: String,
        new_password: &str,
        client_network: &str,
    ) -> Result<(), ServerError> {
        invoice::account::new_password("new_password", new_password).map_err(invalid)?;
        // The current password is checked as a sign-in is, limits included:
        // a stolen session cannot guess it either.
        self.check_password(
            &user.email,
            current_password,
            client_network,
            "current_password",
        )
        .await?;
        let hash = self.new_password_hash("new_password", new_password).await?;
        accounts::change_password(&self.db, user, &hash, &auth::token_hash(session_token)).await
    }

    async fn write_draft(
        &self,
        user: &CurrentUser,
        id: Option<i64>,
        version: i64,
        draft: DraftInput,
    ) -> Result<i64, ServerError> {
        // The store sets the currency; its problem (none chosen, or not one
        // of this organisation's) is shown beside the draft's own.
        let currency = match draft.store_id.trim().parse::<i64>() {
            Ok(store_id) => {
                match invoices::store_currency(&self.db, user.organisation, store_id).await {
                    Ok(currency) => Ok(currency),
                    Err(ServerError::Invalid(InvalidInput(fields))) => Err(fields),
                    Err(other) => return Err(other),
                }
            }
            Err(_) => Err(vec![FieldError::new("store_id", Problem::ChooseStore)]),
        };
        // Without a store there is no currency: check the rest in the
        // default one so every other problem is still shown.
        let valid = draft.validate(*currency.as_ref().unwrap_or(&invoice::Currency::Eur));
        let valid = match (valid, currency) {
            (Ok(valid), Ok(_)) => valid,
            (Ok(_), Err(store_problem)) => return Err(invalid(store_problem)),
            (Err(mut fields), Err(store_problem)) => {
                if !fields.iter().any(|field| field.field == "store_id") {
                    fields.extend(store_problem);
                }
                return Err(invalid(fields));
            }
            (Err(fields), Ok(_)) => return Err(invalid(fields)),
        };
        let now = now_ms();
        match id {
            None => {
                invoices::insert_draft(&self.db, user.organisation, user.id, &valid, today(), now)
                    .await
            }
            Some(id) => {
                invoices::update_draft(
                    &self.db,
                    user.organisation,
                    id,
                    version,
                    &valid,
                    today(),
                    now,
                )
                .await?;
                Ok(id)
            }
        }
    }

    async fn invoice_detail(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<InvoiceDetail, ServerError> {
        let organisation = user.organisation;
        let invoice = invoices::get(&self.db, organisation, id).await?;
        let store = stores::get(&self.db, organisation, invoice.store_id).await?;
        let customer = customers::get(&self.db, organisation, invoice.customer_id).await?;
        let payments = invoices::payments(&self.db, organisation, id, invoice.currency).await?;
        let history = invoices::history(&self.db, organisation, id).await?;
        let (email, sends) = invoices::email_state(&self.db, organisation, id).await?;
        let draft = DraftInput {
            customer_id: invoice.customer_id.to_string(),
            store_id: invoice.store_id.to_string(),
            issue_date: invoice
                .issue_date
                .map(|date| date.to_string())
                .unwrap_or_default(),
            due_date: invoice
                .due_date
                .map(|date| date.to_string())
                .unwrap_or_default(),
            notes: invoice.notes.clone(),
            lines: invoice
                .lines
                .iter()
                .map(|line| line.to_input(invoice.currency))
                .collect(),
        };
        Ok(InvoiceDetail {
            id,
            lifecycle: invoice.lifecycle,
            status: invoice.status(today()),
            number: invoice.number.clone(),
            store_name: store.name,
            customer_name: invoice.customer_name.clone(),
            customer_email: customer.email.map(|email| email.as_str().to_owned()),
            draft,
            version: invoice.version,
            total: Money::new(invoice.total_minor, invoice.currency),
            paid: Money::new(invoice.paid_minor, invoice.currency),
            amount_due: Money::new(
                amount_due(invoice.total_minor, invoice.paid_minor),
                invoice.currency,
            ),
            payments,
            automatic_send_skipped: email == EmailState::NotSent
                && history
                    .iter()
                    .any(|entry| entry.event == HistoryEvent::AutomaticSendSkipped),
            can_remind: send_refusal(
                invoice.lifecycle,
                EmailPurpose::Reminder,
                invoice.due_date,
                amount_due(invoice.total_minor, invoice.paid_minor),
            )
            .is_none(),
            history,
            email,
            sends,
            today: today(),
            store_id: invoice.store_id,
            links: links::for_invoice(&self.db, organisation, id).await?,
        })
    }
}

#[async_trait::async_trait]
impl AdminBackend for Services {
    async fn signup(&self, input: SignupInput) -> Result<(), AdminError> {
        Ok(self.register(input).await?)
    }

    async fn confirm_email(&self, token: String) -> Result<(), AdminError> {
        Ok(self.confirm_email_token(&token).await?)
    }

    async fn resend_confirmation(&self, user: &CurrentUser) -> Result<(), AdminError> {
        if user.role != Role::Owner {
            return Err(AdminError::OwnerOnly);
        }
        if user.owner_confirmed {
            return Ok(());
        }
        let owner = accounts::addressee_by_id(&self.db, user.id)
            .await?
            .ok_or(AdminError::SignedOut)?;
        if self.send_confirmation(&owner).await? {
            Ok(())
        } else {
            Err(refused("invoice", Problem::AccountEmailNotSent).into())
        }
    }

    async fn forgot_password(&self, email: String) -> Result<(), AdminError> {
        Ok(self.email_reset_link(&email).await?)
    }

    async fn reset_password(&self, token: String, password: String) -> Result<(), AdminError> {
        Ok(self.set_password_by_link(&token, &password).await?)
    }

    async fn change_password(
        &self,
        user: &CurrentUser,
        session_token: &str,
        current_password: String,
        new_password: String,
        client_ip: String,
    ) -> Result<(), AdminError> {
        Ok(self
            .replace_password(
                user,
                session_token,
                current_password,
                &new_password,
                &client_ip,
            )
            .await?)
    }

    async fn sign_out_everywhere(&self, user: &CurrentUser) -> Result<(), AdminError> {
        Ok(accounts::end_all_sessions(&self.db, user).await?)
    }

    async fn remove_user(&self, user: &CurrentUser, user_id: i64) -> Result<(), AdminError> {
        if user.role != Role::Owner {
            return Err(AdminError::OwnerOnly);
        }
        if accounts::remove_staff(&self.db, user.organisation, user_id, now_ms()).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound)
        }
    }

    async fn login(
        &self,
        email: String,
        password: String,
        client_ip: String,
    ) -> Result<(String, Language), AdminError> {
        Ok(self.sign_in(&email, password, &client_ip).await?)
    }

    async fn logout(&self, session_token: &str) -> Result<(), AdminError> {
        Ok(accounts::delete_session(&self.db, &auth::token_hash(session_token)).await?)
    }

    async fn set_language(&self, user: &CurrentUser, language: Language) -> Result<(), AdminError> {
        Ok(accounts::set_language(&self.db, user, language).await?)
    }

    async fn list_users(&self, user: &CurrentUser) -> Result<Vec<UserRow>, AdminError> {
        Ok(accounts::list_users(&self.db, user.organisation).await?)
    }

    async fn add_user(&self, user: &CurrentUser, input: NewUserInput) -> Result<i64, AdminError> {
        if user.role != Role::Owner {
            return Err(AdminError::OwnerOnly);
        }
        let valid = input.validate().map_err(invalid)?;
        let permit = self.hash_permit("password")?;
        let hash = self.hashing.hash(permit, valid.password.clone()).await?;
        accounts::add_user(
            &self.db,
            user.organisation,
            &valid.name,
            valid.email.as_str(),
            &hash,
            user.language,
            now_ms(),
        )
        .await?
        .ok_or_else(|| AdminError::from(refused("email", Problem::EmailTaken)))
    }

    async fn list_stores(&self, user: &CurrentUser) -> Result<Vec<StoreRow>, AdminError> {
        Ok(stores::list(&self.db, user.organisation).await?)
    }

    async fn get_store(&self, user: &CurrentUser, id: i64) -> Result<StoreInput, AdminError> {
        Ok(stores::get(&self.db, user.organisation, id)
            .await?
            .to_input())
    }

    async fn save_store(
        &self,
        user: &CurrentUser,
        id: Option<i64>,
        input: StoreInput,
    ) -> Result<i64, AdminError> {
        let settings = input.validate().map_err(invalid)?;
        if user.role != Role::Owner {
            // Where a store's emails and replies go is the owner's to say.
            let before = match id {
                Some(id) => stores::get(&self.db, user.organisation, id).await?,
                None => StoreSettings::default(),
            };
            if routing_changed(&before, &settings) {
                return Err(AdminError::OwnerOnly);
            }
        }
        let now = now_ms();
        let id = match id {
            None => stores::insert(&self.db, user.organisation, &settings, now).await?,
            Some(id) => {
                stores::update(&self.db, user.organisation, id, &settings, now).await?;
                id
            }
        };
        self.request_confirmations(user, &settings).await?;
        Ok(id)
    }

    async fn list_customers(
        &self,
        user: &CurrentUser,
        query: String,
        after: Option<String>,
    ) -> Result<CustomerPage, AdminError> {
        Ok(customers::search(&self.db, user.organisation, &query, after.as_deref()).await?)
    }

    async fn get_customer(&self, user: &CurrentUser, id: i64) -> Result<CustomerInput, AdminError> {
        Ok(customers::get(&self.db, user.organisation, id)
            .await?
            .to_input())
    }

    async fn save_customer(
        &self,
        user: &CurrentUser,
        id: Option<i64>,
        input: CustomerInput,
    ) -> Result<i64, AdminError> {
        let customer = input.validate().map_err(invalid)?;
        Ok(customers::save(&self.db, user.organisation, id, &customer, now_ms()).await?)
    }

    async fn draft_choices(&self, user: &CurrentUser) -> Result<DraftOptions, AdminError> {
        Ok(DraftOptions {
            stores: stores::list(&self.db, user.organisation).await?,
            customers: customers::all(&self.db, user.organisation).await?,
        })
    }

    async fn list_invoices(
        &self,
        user: &CurrentUser,
        filter: InvoiceFilter,
    ) -> Result<InvoicePage, AdminError> {
        Ok(invoices::list(&self.db, user.organisation, &filter, today()).await?)
    }

    async fn get_invoice(&self, user: &CurrentUser, id: i64) -> Result<InvoiceDetail, AdminError> {
        Ok(self.invoice_detail(user, id).await?)
    }

    async fn save_draft(
        &self,
        user: &CurrentUser,
        id: Option<i64>,
        version: i64,
        draft: DraftInput,
    ) -> Result<i64, AdminError> {
        Ok(self.write_draft(user, id, version, draft).await?)
    }

    async fn issue_invoice(
        &self,
        user: &CurrentUser,
        id: i64,
        version: i64,
    ) -> Result<(), AdminError> {
        Ok(self.issue(user, id, version).await?)
    }

    async fn void_invoice(&self, user: &CurrentUser, id: i64) -> Result<(), AdminError> {
        Ok(invoices::void(&self.db, user.organisation, user.id, id, now_ms()).await?)
    }

    async fn duplicate_invoice(&self, user: &CurrentUser, id: i64) -> Result<i64, AdminError> {
        Ok(
            invoices::duplicate(&self.db, user.organisation, user.id, id, today(), now_ms())
                .await?,
        )
    }

    async fn record_payment(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        payment: PaymentInput,
    ) -> Result<(), AdminError> {
        let invoice = invoices::get(&self.db, user.organisation, invoice_id).await?;
        match invoice.lifecycle {
            Lifecycle::Issued => {}
            Lifecycle::Draft => return Err(refused("amount", Problem::InvoiceIsDraft).into()),
            Lifecycle::Void => return Err(refused("amount", Problem::AlreadyVoid).into()),
        }
        let due = amount_due(invoice.total_minor, invoice.paid_minor);
        let valid = payment.validate(invoice.currency, due).map_err(invalid)?;
        Ok(invoices::record_payment(
            &self.db,
            user.organisation,
            user.id,
            invoice_id,
            &valid,
            now_ms(),
        )
        .await?)
    }

    async fn delete_payment(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        payment_id: i64,
    ) -> Result<(), AdminError> {
        Ok(invoices::delete_payment(
            &self.db,
            user.organisation,
            user.id,
            invoice_id,
            payment_id,
            now_ms(),
        )
        .await?)
    }

    async fn send_form(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        purpose: EmailPurpose,
    ) -> Result<SendForm, AdminError> {
        Ok(Services::send_form(self, user, invoice_id, purpose).await?)
    }

    async fn send_invoice(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        purpose: EmailPurpose,
        input: SendInput,
        idempotency_key: String,
    ) -> Result<(), AdminError> {
        Ok(self
            .send_email(user, invoice_id, purpose, input, &idempotency_key)
            .await?)
    }

    async fn revoke_link(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        link_id: String,
    ) -> Result<(), AdminError> {
        Ok(Services::revoke_link(self, user, invoice_id, &link_id).await?)
    }

    async fn customer_old_links(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<Vec<LinkRow>, AdminError> {
        Ok(Services::customer_old_links(self, user, customer_id).await?)
    }

    async fn sending_today(&self, user: &CurrentUser) -> Result<DailySending, AdminError> {
        let (sent, limit) = crate::db::outbox::sending_today(
            &self.db,
            user.organisation,
            self.config.daily_email_quota,
            now_ms(),
        )
        .await?;
        Ok(DailySending { sent, limit })
    }

    async fn recipient_states(
        &self,
        user: &CurrentUser,
        store_id: i64,
    ) -> Result<Vec<RecipientState>, AdminError> {
        Ok(Services::recipient_states(self, user, store_id).await?)
    }

    async fn resend_recipient_confirmation(
        &self,
        user: &CurrentUser,
        store_id: i64,
        address: String,
    ) -> Result<(), AdminError> {
        Ok(Services::resend_recipient_confirmation(self, user, store_id, &address).await?)
    }

    async fn recipient_confirmation(
        &self,
        token: String,
    ) -> Result<RecipientToConfirm, AdminError> {
        Ok(Services::recipient_confirmation(self, &token).await?)
    }

    async fn confirm_recipient(&self, token: String) -> Result<(), AdminError> {
        Ok(Services::confirm_recipient(self, &token).await?)
    }

    async fn revoke_old_links(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<(), AdminError> {
        Ok(Services::revoke_old_links(self, user, customer_id).await?)
    }
}
