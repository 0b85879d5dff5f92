//! The server's side of the merchant admin: what each server function of
//! `app::api` does, written once here as the [`AdminBackend`] the server
//! functions call. Input is checked by `invoice/`'s rules before anything
//! is written; every query is scoped to the signed-in user's organisation.

use app::api::{
    AdminBackend, AdminError, CreditNoteForm, CustomerOverview, CustomerPage, DailySending,
    DraftOptions, EmailState, HomeView, InvoiceDetail, InvoiceFilter, InvoicePage, LinkRow,
    RecipientState, RecipientToConfirm, SendForm, StoreRow, UserRow,
};
use invoice::account::{
    normalise_login_email, routing_changed, AccountEmail, NewUserInput, SignupInput,
    RESET_LINK_MINUTES,
};
use invoice::customer::CustomerInput;
use invoice::document::{DraftInput, EmailAddress, FieldError};
use invoice::email::{prefill, send_refusal, EmailPurpose, SendInput};
use invoice::history::HistoryEvent;
use invoice::italy::FiscalProblem;
use invoice::organisation::{CurrentUser, Role};
use invoice::payment::PaymentInput;
use invoice::problem::Problem;
use invoice::recipients::{
    normalise, resend_refusal, utc_day_start, CONFIRMATION_VALID_MS, RESEND_WAIT_MINUTES,
};
use invoice::store::{StoreInput, StoreSettings};
use invoice::verifactu::{read_alta, AeatStanding, RecipientInput};
use invoice::views::CreditableLine;
use invoice::{Language, Money};

use crate::auth::{self, new_session_token, token_hash};
use crate::db::accounts::{Addressee, TokenPurpose};
use crate::db::events::append;
use crate::db::{
    accounts, credit_notes, customers, fatturapa, invoices, links, now_ms, outbox, random_id,
    stores,
};
use crate::error::{invalid, refused, InvalidInput, ServerError};
use crate::recipients::MAX_CONFIRMATIONS_PER_DAY;
use crate::sdi::SdiError;
use crate::sending::{Queued, SendOrder, Words};
use crate::services::{today, Services};

#[async_trait::async_trait]
impl AdminBackend for Services {
    async fn signup(&self, input: SignupInput) -> Result<(), AdminError> {
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
            time_zone: invoice::time_zone::TimeZone::default_for(valid.language),
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

    /// Confirms the address a confirmation link was sent to.
    async fn confirm_email(&self, token: String) -> Result<(), AdminError> {
        if accounts::confirm_email(&self.db, &auth::token_hash(token.trim()), now_ms()).await? {
            Ok(())
        } else {
            Err(AdminError::invalid("token", Problem::AccountLinkInvalid))
        }
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
            Err(AdminError::invalid("invoice", Problem::AccountEmailNotSent))
        }
    }

    async fn forgot_password(&self, email: String) -> Result<(), AdminError> {
        let email = normalise_login_email(&email);
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
            Err(AdminError::invalid("email", Problem::AccountEmailNotSent))
        }
    }

    async fn reset_password(&self, token: String, password: String) -> Result<(), AdminError> {
        let hash = self.new_password_hash("password", &password).await?;
        if accounts::reset_password(&self.db, &auth::token_hash(token.trim()), &hash, now_ms())
            .await?
        {
            Ok(())
        } else {
            Err(AdminError::invalid("password", Problem::AccountLinkInvalid))
        }
    }

    async fn change_password(
        &self,
        user: &CurrentUser,
        session_token: &str,
        current_password: String,
        new_password: String,
        client_ip: String,
    ) -> Result<(), AdminError> {
        invoice::account::new_password("new_password", &new_password).map_err(invalid)?;
        // The current password is checked as a sign-in is, limits included:
        // a stolen session cannot guess it either.
        self.check_password(
            &user.email,
            current_password,
            &client_ip,
            "current_password",
        )
        .await?;
        let hash = self
            .new_password_hash("new_password", &new_password)
            .await?;
        Ok(
            accounts::change_password(&self.db, user, &hash, &auth::token_hash(session_token))
                .await?,
        )
    }

    async fn sign_out_everywhere(&self, user: &CurrentUser) -> Result<(), AdminError> {
        Ok(accounts::end_all_sessions(&self.db, user).await?)
    }

    async fn notification_settings(
        &self,
        user: &CurrentUser,
    ) -> Result<invoice::notifications::NotifySettings, AdminError> {
        Ok(crate::db::notifications::settings(&self.db, user.id).await?)
    }

    async fn save_notification_settings(
        &self,
        user: &CurrentUser,
        settings: invoice::notifications::NotifySettings,
    ) -> Result<(), AdminError> {
        Ok(
            crate::db::notifications::save_settings(&self.db, user.organisation, user.id, settings)
                .await?,
        )
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
        let (user_id, language) = self
            .check_password(&email, password, &client_ip, "password")
            .await?;
        Ok((self.start_session(user_id).await?, language))
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

    async fn home(
        &self,
        user: &CurrentUser,
        store_id: Option<i64>,
    ) -> Result<HomeView, AdminError> {
        Ok(self.home_view(user, store_id).await?)
    }

    async fn customer_account(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<CustomerOverview, AdminError> {
        Ok(self.customer_account_view(user, customer_id).await?)
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
        Ok(invoices::list(&self.db, user.organisation, &filter, today(), now_ms()).await?)
    }

    async fn get_invoice(&self, user: &CurrentUser, id: i64) -> Result<InvoiceDetail, AdminError> {
        let organisation = user.organisation;
        let invoice = invoices::get(&self.db, organisation, id).await?;
        let store = stores::get(&self.db, organisation, invoice.store_id).await?;
        let customer = customers::get(&self.db, organisation, invoice.customer_id).await?;
        let payments = invoices::payments(&self.db, organisation, id, invoice.currency).await?;
        let history = invoices::history(&self.db, organisation, id).await?;
        let merchant_status = invoice::status::MerchantStatus::of(
            invoice.status(today()),
            history.iter().map(|entry| &entry.event),
        );
        let aeat_correction = self
            .aeat_correction(organisation, id, invoice.lifecycle, &history)
            .await?;
        let (email, sends) = invoices::email_state(&self.db, organisation, id).await?;
        let credit_notes = credit_notes::for_invoice(&self.db, organisation, id).await?;
        let corrects = credit_notes::corrected(&self.db, organisation, id).await?;
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
            merchant_status,
            number: invoice.number.clone(),
            store_name: store.name,
            customer_name: invoice.customer_name.clone(),
            customer_email: customer.email.map(|email| email.as_str().to_owned()),
            draft,
            version: invoice.version,
            total: Money::new(invoice.total_minor, invoice.currency),
            paid: Money::new(invoice.paid_minor, invoice.currency),
            amount_due: Money::new(invoice.amount_due(), invoice.currency),
            payments,
            automatic_send_skipped: email == EmailState::NotSent
                && history
                    .iter()
                    .any(|entry| entry.event == HistoryEvent::AutomaticSendSkipped),
            can_remind: send_refusal(
                invoice.lifecycle,
                EmailPurpose::Reminder,
                invoice.due_date,
                invoice.amount_due(),
            )
            .is_none(),
            history,
            time_zone: store.time_zone,
            email,
            sends,
            today: today(),
            store_id: invoice.store_id,
            links: links::for_invoice(&self.db, organisation, id).await?,
            fatturapa_file: fatturapa::file_name(&self.db, organisation, id).await?,
            transmitted: !crate::db::sdi::transmissions(&self.db, organisation, id)
                .await?
                .is_empty(),
            kind: invoice.kind,
            credited: Money::new(invoice.credited_minor, invoice.currency),
            credit_notes,
            corrects,
            reason: invoice
                .document
                .as_ref()
                .and_then(|document| document.corrects.as_ref())
                .map(|correction| correction.reason.clone())
                .unwrap_or_default(),
            can_credit: invoice.lifecycle == invoice::status::Lifecycle::Issued
                && invoice.kind == invoice::document::DocumentKind::Invoice
                && invoice.credited_minor < invoice.total_minor,
            aeat_correction,
        })
    }

    async fn save_draft(
        &self,
        user: &CurrentUser,
        id: Option<i64>,
        version: i64,
        draft: DraftInput,
    ) -> Result<i64, AdminError> {
        // The store sets the currency and whether lines say how they are
        // taxed in Spain; its problem (none chosen, or not one of this
        // organisation's) is shown beside the draft's own.
        let store = match draft.store_id.trim().parse::<i64>() {
            Ok(store_id) => {
                match invoices::draft_store(&self.db, user.organisation, store_id).await {
                    Ok(store) => Ok(store),
                    Err(ServerError::Invalid(InvalidInput(fields))) => Err(fields),
                    Err(other) => return Err(other.into()),
                }
            }
            Err(_) => Err(vec![FieldError::new("store_id", Problem::ChooseStore)]),
        };
        // Without a store there is no currency: check the rest in the
        // default one so every other problem is still shown.
        let treatment_problems = match &store {
            Ok(store) => draft.treatment_problems(store.spain.is_some()),
            Err(_) => Vec::new(),
        };
        let currency = store.map(|store| store.currency);
        let valid = draft.validate(*currency.as_ref().unwrap_or(&invoice::Currency::Eur));
        let valid = match (valid, currency) {
            (Ok(_), Ok(_)) if !treatment_problems.is_empty() => {
                return Err(invalid(treatment_problems).into())
            }
            (Err(mut fields), Ok(_)) if !treatment_problems.is_empty() => {
                fields.extend(treatment_problems);
                return Err(invalid(fields).into());
            }
            (Ok(valid), Ok(_)) => valid,
            (Ok(_), Err(store_problem)) => return Err(invalid(store_problem).into()),
            (Err(mut fields), Err(store_problem)) => {
                if !fields.iter().any(|field| field.field == "store_id") {
                    fields.extend(store_problem);
                }
                return Err(invalid(fields).into());
            }
            (Err(fields), Ok(_)) => return Err(invalid(fields).into()),
        };
        let now = now_ms();
        match id {
            None => Ok(invoices::insert_draft(
                &self.db,
                user.organisation,
                user.id,
                &valid,
                today(),
                now,
            )
            .await?),
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

    /// Issues a draft and, when its store sends by email and its customer
    /// asked for it, queues the invoice in the same transaction: an issued
    /// invoice is never left unsent by a crash.
    async fn issue_invoice(
        &self,
        user: &CurrentUser,
        id: i64,
        version: i64,
    ) -> Result<(), AdminError> {
        let organisation = user.organisation;
        // An unconfirmed owner's store that sends on issue: the invoice stays a draft.
        let confirmed = self.require_confirmed_owner(organisation).await;
        let now = now_ms();
        let mut issued = invoices::issue(
            &self.db,
            &self.config.verifactu,
            organisation,
            user.id,
            id,
            version,
            today(),
            now,
        )
        .await?;
        let automatic = issued.store.sends_on_issue(issued.customer.email_invoices);
        if automatic && issued.customer.email.is_some() {
            confirmed?;
        }
        match (&issued.customer.email, automatic) {
            (_, false) => {}
            (Some(address), true) => {
                let key = format!("issue-{id}");
                let order = SendOrder {
                    organisation,
                    invoice_id: id,
                    purpose: EmailPurpose::Invoice,
                    idempotency_key: &key,
                    reminder_step: None,
                    requested_by: Some(user.id),
                    document: &issued.document,
                    store: &issued.store,
                    to: std::slice::from_ref(address),
                    words: Words::Prefilled {
                        amount_due: issued.document.totals.total,
                        today: today(),
                    },
                    with_copies: true,
                };
                // Over the day's quota the invoice is still issued; its
                // history says why it was not emailed.
                if let Queued::OverQuota { .. } =
                    self.queue_send(&mut issued.tx, &order, now).await?
                {
                    append(
                        &mut issued.tx,
                        organisation,
                        id,
                        &HistoryEvent::AutomaticSendOverQuota,
                        None,
                        now,
                    )
                    .await?;
                }
            }
            (None, true) => {
                append(
                    &mut issued.tx,
                    organisation,
                    id,
                    &HistoryEvent::AutomaticSendSkipped,
                    None,
                    now,
                )
                .await?;
            }
        }
        issued.tx.commit().await.map_err(ServerError::from)?;
        if automatic {
            self.outbox_wake.notify_waiters();
        }
        Ok(())
    }

    async fn correct_aeat_record(
        &self,
        user: &CurrentUser,
        id: i64,
        recipient: RecipientInput,
    ) -> Result<(), AdminError> {
        let mut tx = self.db.begin_write().await?;
        let kept = crate::db::verifactu::keep_correction(
            &mut tx,
            self.db.engine,
            &self.config.verifactu,
            user.organisation,
            id,
            &recipient,
            now_ms(),
        )
        .await;
        match kept {
            Ok(_) => {
                tx.commit().await.map_err(ServerError::from)?;
                Ok(())
            }
            Err(refusal) => {
                tx.rollback().await.map_err(ServerError::from)?;
                Err(refusal.into())
            }
        }
    }

    async fn void_invoice(&self, user: &CurrentUser, id: i64) -> Result<(), AdminError> {
        Ok(invoices::void(
            &self.db,
            &self.config.verifactu,
            user.organisation,
            user.id,
            id,
            now_ms(),
        )
        .await?)
    }

    async fn duplicate_invoice(&self, user: &CurrentUser, id: i64) -> Result<i64, AdminError> {
        Ok(
            invoices::duplicate(&self.db, user.organisation, user.id, id, today(), now_ms())
                .await?,
        )
    }

    async fn transmit_to_sdi(&self, user: &CurrentUser, id: i64) -> Result<(), AdminError> {
        let organisation = user.organisation;
        let invoice = invoices::get(&self.db, organisation, id).await?;
        let file = fatturapa::get(&self.db, organisation, id)
            .await?
            .ok_or(ServerError::NotFound)?;
        let mut tx = self.db.begin_write().await?;
        let queued = crate::sdi::queue_transmission(
            &mut tx,
            organisation,
            invoice.store_id,
            id,
            &file.file_name,
            &file.xml,
            now_ms(),
        )
        .await;
        match queued {
            Ok(_) => {
                tx.commit().await.map_err(ServerError::from)?;
                self.outbox_wake.notify_waiters();
                Ok(())
            }
            Err(SdiError::NoMailbox) => {
                Err(refused("invoice", Problem::Fiscal(FiscalProblem::NoPecMailbox)).into())
            }
            Err(SdiError::Server(error)) => Err(error.into()),
            // The file's name is its invoice's alone (progressives are unique).
            Err(other) => Err(ServerError::Corrupt(other.to_string()).into()),
        }
    }

    async fn record_payment(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        payment: PaymentInput,
    ) -> Result<(), AdminError> {
        // Whether the invoice takes a payment at all is the transition's to
        // say (invoice::transitions), under the transaction's lock.
        let invoice = invoices::get(&self.db, user.organisation, invoice_id).await?;
        let due = invoice.amount_due();
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

    /// The send dialog for an invoice, prefilled from its store's templates
    /// in the customer's language.
    async fn send_form(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        purpose: EmailPurpose,
    ) -> Result<SendForm, AdminError> {
        let organisation = user.organisation;
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        let due_minor = invoice.amount_due();
        let refusal = send_refusal(invoice.lifecycle, purpose, invoice.due_date, due_minor);
        let Some(document) = invoice.document.clone() else {
            return Err(AdminError::invalid("invoice", Problem::InvoiceIsDraft));
        };
        let store = stores::get(&self.db, organisation, invoice.store_id).await?;
        let customer = customers::get(&self.db, organisation, invoice.customer_id).await?;
        let (store_subject, store_message) = store.templates(purpose);
        let (subject, message) = prefill(
            purpose,
            store_subject,
            store_message,
            &document,
            Money::new(due_minor, invoice.currency),
            today(),
        );
        let (sent_today, daily_limit) = outbox::sending_today(
            &self.db,
            organisation,
            self.config.daily_email_quota,
            now_ms(),
        )
        .await?;
        Ok(SendForm {
            invoice_id,
            purpose,
            store_id: invoice.store_id,
            store_name: store.name.clone(),
            sending_enabled: store.email_enabled,
            refusal,
            to: customer
                .email
                .map(|address| address.as_str().to_owned())
                .unwrap_or_default(),
            subject,
            message,
            copies_to: store
                .copies_to
                .iter()
                .map(|address| address.as_str().to_owned())
                .collect(),
            reply_to: store.reply_to.map(|address| address.as_str().to_owned()),
            idempotency_key: random_id(),
            document,
            preview_link: format!("{}/i/…", self.config.edge_url),
            sent_today,
            daily_limit,
        })
    }

    /// Queues the send the merchant typed: one email (and link) per address
    /// in To, one copy per address in the store's "copies to".
    async fn send_invoice(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        purpose: EmailPurpose,
        input: SendInput,
        idempotency_key: String,
    ) -> Result<(), AdminError> {
        let organisation = user.organisation;
        if outbox::key_used(&self.db, organisation, &idempotency_key).await? {
            return Ok(());
        }
        self.require_confirmed_owner(organisation).await?;
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        let due_minor = invoice.amount_due();
        if let Some(problem) = send_refusal(invoice.lifecycle, purpose, invoice.due_date, due_minor)
        {
            return Err(AdminError::invalid("to", problem));
        }
        let store = stores::get(&self.db, organisation, invoice.store_id).await?;
        if !store.email_enabled {
            return Err(AdminError::invalid("to", Problem::SendingDisabled));
        }
        let valid = input.validate().map_err(invalid)?;
        let document = invoice
            .document
            .ok_or_else(|| refused("to", Problem::InvoiceIsDraft))?;
        let order = SendOrder {
            organisation,
            invoice_id,
            purpose,
            idempotency_key: &idempotency_key,
            reminder_step: None,
            requested_by: Some(user.id),
            document: &document,
            store: &store,
            to: &valid.to,
            words: Words::Typed {
                subject: &valid.subject,
                message: &valid.message,
            },
            with_copies: true,
        };
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        match self.queue_send(&mut tx, &order, now).await? {
            Queued::Written => {}
            Queued::Duplicate => return Ok(()),
            Queued::OverQuota { limit, left } => {
                return Err(AdminError::invalid(
                    "to",
                    Problem::DailySendingLimit { limit, left },
                ))
            }
        }
        tx.commit().await.map_err(ServerError::from)?;
        self.outbox_wake.notify_waiters();
        Ok(())
    }

    /// Revokes a link (again, harmlessly, if it already is) and tells the edge.
    async fn revoke_link(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        link_id: String,
    ) -> Result<(), AdminError> {
        let organisation = user.organisation;
        // Another organisation's invoice is not found, not merely linkless.
        invoices::get(&self.db, organisation, invoice_id).await?;
        let known = links::for_invoice(&self.db, organisation, invoice_id)
            .await?
            .iter()
            .any(|link| link.id == link_id);
        if !known {
            return Err(AdminError::invalid("link", Problem::LinkUnknown));
        }
        links::revoke(
            &self.db,
            organisation,
            user.id,
            invoice_id,
            &link_id,
            now_ms(),
        )
        .await?;
        self.publish_now(organisation, invoice_id).await;
        Ok(())
    }

    /// Open links of the customer's invoices sent to an address that is no
    /// longer theirs.
    async fn customer_old_links(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<Vec<LinkRow>, AdminError> {
        let customer = customers::get(&self.db, user.organisation, customer_id).await?;
        Ok(links::to_other_addresses(
            &self.db,
            user.organisation,
            customer_id,
            customer.email.as_ref().map(EmailAddress::as_str),
        )
        .await?)
    }

    async fn sending_today(&self, user: &CurrentUser) -> Result<DailySending, AdminError> {
        let (sent, limit) = outbox::sending_today(
            &self.db,
            user.organisation,
            self.config.daily_email_quota,
            now_ms(),
        )
        .await?;
        Ok(DailySending { sent, limit })
    }

    /// The addresses of a store's copies and failure list, each confirmed or waiting.
    async fn recipient_states(
        &self,
        user: &CurrentUser,
        store_id: i64,
    ) -> Result<Vec<RecipientState>, AdminError> {
        let store = stores::get(&self.db, user.organisation, store_id).await?;
        let confirmed_addresses =
            stores::confirmed_addresses(&self.db.pool, user.organisation).await?;
        let mut states: Vec<RecipientState> = Vec::new();
        for address in store.copies_to.iter().chain(&store.failure_notify) {
            let address = normalise(address.as_str());
            if states.iter().any(|state| state.address == address) {
                continue;
            }
            let confirmed = confirmed_addresses.contains(&address);
            states.push(RecipientState { address, confirmed });
        }
        Ok(states)
    }

    /// "Send again" for a waiting address of the store: at most once an
    /// hour, a few times in all, within the organisation's requests per day.
    async fn resend_recipient_confirmation(
        &self,
        user: &CurrentUser,
        store_id: i64,
        address: String,
    ) -> Result<(), AdminError> {
        let organisation = user.organisation;
        let address = normalise(&address);
        let store = stores::get(&self.db, organisation, store_id).await?;
        let in_store = store
            .copies_to
            .iter()
            .chain(&store.failure_notify)
            .any(|known| normalise(known.as_str()) == address);
        let row = stores::recipients(&self.db, organisation)
            .await?
            .into_iter()
            .find(|row| row.address == address);
        if !in_store {
            return Err(AdminError::invalid("address", Problem::UnknownRecipient));
        }
        let Some(row) = row.filter(|row| !row.confirmed) else {
            // Confirmed already, or one of the organisation's own users.
            return Ok(());
        };
        let now = now_ms();
        if let Some(problem) = resend_refusal(row.mails_sent, row.requested_at, now) {
            return Err(AdminError::invalid("address", problem));
        }
        if stores::confirmations_sent_since(&self.db, organisation, utc_day_start(now)).await?
            >= MAX_CONFIRMATIONS_PER_DAY
        {
            return Err(AdminError::invalid(
                "address",
                Problem::ConfirmationsUsedToday,
            ));
        }
        let (token, hash) = new_session_token();
        if stores::renew_recipient(&self.db, organisation, &address, row.mails_sent, &hash, now)
            .await?
        {
            self.mail_confirmation(user, &address, &token).await;
            Ok(())
        } else {
            // Another request went meanwhile (a double click).
            Err(AdminError::invalid(
                "address",
                Problem::ConfirmationRecentlySent {
                    minutes: RESEND_WAIT_MINUTES,
                },
            ))
        }
    }

    /// What the confirmation page shows for a live token.
    async fn recipient_confirmation(
        &self,
        token: String,
    ) -> Result<RecipientToConfirm, AdminError> {
        let earliest = now_ms() - CONFIRMATION_VALID_MS;
        match stores::pending_recipient(&self.db, &token_hash(&token), earliest).await? {
            Some((address, business, confirmed)) => Ok(RecipientToConfirm {
                address,
                business,
                confirmed,
            }),
            None => Err(AdminError::invalid(
                "token",
                Problem::ConfirmationLinkInvalid,
            )),
        }
    }

    async fn confirm_recipient(&self, token: String) -> Result<(), AdminError> {
        let now = now_ms();
        if stores::confirm_recipient(
            &self.db,
            &token_hash(&token),
            now - CONFIRMATION_VALID_MS,
            now,
        )
        .await?
        {
            Ok(())
        } else {
            Err(AdminError::invalid(
                "token",
                Problem::ConfirmationLinkInvalid,
            ))
        }
    }

    async fn revoke_old_links(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<(), AdminError> {
        let old = AdminBackend::customer_old_links(self, user, customer_id).await?;
        let mut invoices_touched: Vec<i64> = Vec::new();
        for link in &old {
            links::revoke(
                &self.db,
                user.organisation,
                user.id,
                link.invoice_id,
                &link.id,
                now_ms(),
            )
            .await?;
            if !invoices_touched.contains(&link.invoice_id) {
                invoices_touched.push(link.invoice_id);
            }
        }
        for invoice_id in invoices_touched {
            self.publish_now(user.organisation, invoice_id).await;
        }
        Ok(())
    }

    /// The credit note form of an invoice: its lines and what earlier
    /// credit notes left of each.
    async fn credit_note_form(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
    ) -> Result<CreditNoteForm, AdminError> {
        let (invoice, credited) =
            credit_notes::creditable(&self.db, user.organisation, invoice_id).await?;
        let Some(document) = invoice.document.clone() else {
            return Err(AdminError::invalid("invoice", Problem::InvoiceIsDraft));
        };
        let left = invoice::credit_note::remaining(&document.lines, &credited);
        let spanish = stores::get(&self.db, user.organisation, invoice.store_id)
            .await?
            .spain
            .is_some();
        let refusal = match (invoice.lifecycle, invoice.kind) {
            (_, invoice::document::DocumentKind::CreditNote) => {
                Some(Problem::CreditNoteOfCreditNote)
            }
            (invoice::status::Lifecycle::Void, _) => Some(Problem::AlreadyVoid),
            _ if invoice.credited_minor >= invoice.total_minor
                || left.iter().all(|quantity| *quantity == 0) =>
            {
                Some(Problem::FullyCredited)
            }
            _ => None,
        };
        Ok(CreditNoteForm {
            invoice_id,
            number: document.number.clone(),
            issue_date: document.issue_date,
            customer_name: invoice.customer_name.clone(),
            currency: invoice.currency,
            total: document.totals.total,
            credited: Money::new(invoice.credited_minor, invoice.currency),
            lines: document
                .lines
                .iter()
                .zip(left)
                .map(|(line, remaining_milli)| CreditableLine {
                    description: line.description.clone(),
                    quantity_milli: line.quantity_milli,
                    remaining_milli,
                    unit_price: Money::new(line.unit_price_minor, invoice.currency),
                    tax_rate_bp: line.tax_rate_bp,
                })
                .collect(),
            chooses_ground: spanish && !document.simplified,
            refusal,
        })
    }

    async fn issue_credit_note(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        input: invoice::credit_note::CreditNoteInput,
    ) -> Result<i64, AdminError> {
        Ok(credit_notes::issue(
            &self.db,
            &self.config.verifactu,
            user.organisation,
            user.id,
            invoice_id,
            &input,
            today(),
            now_ms(),
        )
        .await?)
    }
}

impl Services {
    /// The recipient an issued invoice's VERI*FACTU record named, when the
    /// AEAT's last answer about it asks for a correction and the record
    /// names one (a simplified invoice has none to correct).
    async fn aeat_correction(
        &self,
        organisation: invoice::organisation::OrganisationId,
        id: i64,
        lifecycle: invoice::status::Lifecycle,
        history: &[invoice::history::HistoryEntry],
    ) -> Result<Option<RecipientInput>, ServerError> {
        let standing =
            AeatStanding::from_answers(history.iter().filter_map(|entry| match &entry.event {
                HistoryEvent::Aeat(answer) => Some(answer),
                _ => None,
            }));
        if lifecycle != invoice::status::Lifecycle::Issued || standing.correction().is_none() {
            return Ok(None);
        }
        let records = crate::db::verifactu::for_invoice(&self.db, organisation, id).await?;
        Ok(records
            .iter()
            .rev()
            .find(|record| record.kind == invoice::verifactu::RecordKind::Alta)
            .and_then(|alta| read_alta(&alta.xml))
            .and_then(|(_, recipient)| recipient))
    }
}
