//! What the admin asks of the server: the data it shows, the typed error that
//! survives the network, and the server functions.
//!
//! Every server function acts for the signed-in user; the server resolves the
//! session before the function runs and every query is scoped to that user's
//! organisation.

use invoice::customer::CustomerInput;
use invoice::dates::Date;
use invoice::document::{DraftInput, FieldError};
use invoice::email::EmailPurpose;
#[cfg(feature = "ssr")]
use invoice::email::SendInput;
use invoice::status::{InvoiceStatus, Lifecycle, MerchantStatus};
use invoice::store::StoreInput;
use invoice::{Language, Money};
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

pub use invoice::organisation::{CurrentUser, OrganisationId, Role};
pub use invoice::views::{
    CreditNoteForm, CreditNoteRow, CustomerPage, CustomerRow, EmailState, InvoiceFilter,
    InvoicePage, InvoiceRow, InvoiceSort, LinkRow, PaymentRow, StoreRow, UserRow,
    CUSTOMER_PAGE_SIZE, INVOICE_PAGE_SIZE,
};

/// The pages of the account emails' links and of the answer to sign-up;
/// anyone may open them.
pub const CHECK_EMAIL_PATH: &str = "/check-email";
pub const CONFIRM_EMAIL_PATH: &str = "/confirm-email";
pub const FORGOT_PASSWORD_PATH: &str = "/forgot-password";
pub const RESET_PASSWORD_PATH: &str = "/reset-password";
/// The signed-in user's own page: password and sessions.
pub const ACCOUNT_PATH: &str = "/account";

/// Who is looking at the admin, known before the first byte is rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user: Option<CurrentUser>,
    pub language: Language,
}

/// Where the admin's pages hear that something changed (server-sent events).
pub const CHANGES_PATH: &str = "/api/changes";
/// The name of that event.
pub const CHANGED_EVENT: &str = "changed";
/// The feed's event that tells the signed-in user of a notice they chose to
/// hear of live; its data is an [`invoice::notifications::Notice`] as JSON.
pub const NOTICE_EVENT: &str = "notice";

pub use invoice::notifications::{EmailChoice, NotifySettings};

pub use invoice::history::HistoryEntry;

/// The send dialog, prefilled for one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendForm {
    pub invoice_id: i64,
    pub purpose: EmailPurpose,
    pub store_id: i64,
    pub store_name: String,
    pub sending_enabled: bool,
    /// Why this send cannot be made (nothing due, void…), if so.
    pub refusal: Option<invoice::problem::Problem>,
    pub to: String,
    pub subject: String,
    pub message: String,
    pub copies_to: Vec<String>,
    pub reply_to: Option<String>,
    /// Fresh for each dialog: sending it twice sends once.
    pub idempotency_key: String,
    /// What the preview renders the email from, as the server will.
    pub document: invoice::PublicDocument,
    /// The shape of the customer's link, without a real token.
    pub preview_link: String,
    /// Emails the organisation queued today (UTC), and its daily limit.
    pub sent_today: i64,
    pub daily_limit: i64,
}

impl SendForm {
    /// The email as the customer receives it with this subject and message:
    /// composed by the same `invoice::email::compose` that sends it.
    pub fn preview(&self, subject: &str, message: &str) -> PreviewedEmail {
        let email = invoice::email::compose(&invoice::email::Outgoing {
            document: &self.document,
            subject: subject.trim(),
            message,
            link_url: &self.preview_link,
            copy_note_in: None,
        });
        PreviewedEmail {
            subject: email.subject,
            html: email.html,
        }
    }
}

/// The send dialog's preview of the email: its subject line and HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewedEmail {
    pub subject: String,
    pub html: String,
}

/// An address of a store's copies or failure notices, and whether its owner
/// confirmed it (until then it receives nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientState {
    pub address: String,
    pub confirmed: bool,
}

/// Emails the organisation queued today (UTC), and its daily limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySending {
    pub sent: i64,
    pub limit: i64,
}

/// What the public confirmation page shows for a live token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientToConfirm {
    pub address: String,
    pub business: String,
    pub confirmed: bool,
}

/// Everything the invoice page shows and edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDetail {
    pub id: i64,
    pub lifecycle: Lifecycle,
    pub status: InvoiceStatus,
    /// What the page's status pill reads: the status, or a tax
    /// authority's rejection ("Rejected by SdI", "Rejected by the AEAT").
    pub merchant_status: MerchantStatus,
    pub number: Option<String>,
    pub store_name: String,
    pub customer_name: String,
    pub customer_email: Option<String>,
    pub draft: DraftInput,
    pub version: i64,
    pub total: Money,
    pub paid: Money,
    pub amount_due: Money,
    pub payments: Vec<PaymentRow>,
    pub history: Vec<HistoryEntry>,
    /// The store's zone, which the page's times are shown in.
    pub time_zone: invoice::time_zone::TimeZone,
    pub email: EmailState,
    pub sends: i64,
    /// The server's date (UTC), the payment form's default.
    pub today: Date,
    pub store_id: i64,
    pub links: Vec<LinkRow>,
    /// Issued, unpaid and with a due date: a reminder makes sense.
    pub can_remind: bool,
    /// Issuing should have sent it automatically but the customer has no address.
    pub automatic_send_skipped: bool,
    /// The FatturaPA file's name, for an Italian store's issued invoice.
    pub fatturapa_file: Option<String>,
    /// Transmitted to SdI: corrected by a credit note, never voided.
    pub transmitted: bool,
    /// An invoice or a credit note.
    pub kind: invoice::document::DocumentKind,
    /// On an invoice: what its credit notes took off, and the credit notes.
    pub credited: Money,
    pub credit_notes: Vec<CreditNoteRow>,
    /// On a credit note: the id and number of the invoice it corrects, and why.
    pub corrects: Option<(i64, String)>,
    pub reason: String,
    /// An issued invoice with something left to credit.
    pub can_credit: bool,
    /// When the AEAT's last answer about its VERI*FACTU record asks for a
    /// correction: the recipient the record named, to correct and send again.
    #[serde(default)]
    pub aeat_correction: Option<invoice::verifactu::RecipientInput>,
}

/// The home page: what to chase today, for one store or for all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeView {
    pub stores: Vec<StoreRow>,
    /// The store chosen; None for all stores.
    pub store_id: Option<i64>,
    pub today: invoice::chase::Today,
}

/// A payment on one of a customer's invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPayment {
    pub invoice_id: i64,
    pub number: String,
    pub amount: Money,
    pub date: Date,
    pub method: invoice::payment::PaymentMethod,
    pub reference: String,
}

/// Something the customer did in person at one of their links: opened the
/// invoice, downloaded or printed its PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerActivity {
    pub invoice_id: i64,
    pub number: String,
    pub at_ms: i64,
    pub kind: invoice::events::EdgeEventKind,
    pub device: invoice::events::DeviceClass,
    pub browser: String,
    /// The invoice's store's zone, which the time is shown in.
    pub time_zone: invoice::time_zone::TimeZone,
}

/// A customer's page: the facts a call to them starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerOverview {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub language: Language,
    /// What they owe, one figure per currency; and of it, what is overdue.
    pub balance: Vec<invoice::chase::Figure>,
    pub overdue: Vec<invoice::chase::Figure>,
    /// The first page of their invoices, newest first.
    pub invoices: InvoicePage,
    pub payments: Vec<CustomerPayment>,
    pub activity: Vec<CustomerActivity>,
}

/// The stores and customers an invoice can be written for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftOptions {
    pub stores: Vec<StoreRow>,
    pub customers: Vec<CustomerRow>,
}

/// The errors a merchant can see. Internals are logged on the server and
/// shown only as [`AdminError::Unavailable`]; the words are in
/// `crate::i18n`, in the merchant's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AdminError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("not signed in")]
    SignedOut,
    #[error("only the owner may do this")]
    OwnerOnly,
    #[error("the edge is unavailable")]
    EdgeUnavailable,
    #[error("unavailable")]
    Unavailable,
    #[error("request failed: {0}")]
    Request(String),
}

impl AdminError {
    /// The problem with one form field, if that field is wrong.
    pub fn field(&self, name: &str) -> Option<&FieldError> {
        match self {
            AdminError::Invalid(errors) => errors.iter().find(|error| error.field == name),
            _ => None,
        }
    }

    /// One problem on one field: the shape of most refusals.
    pub fn invalid(field: &str, problem: invoice::problem::Problem) -> Self {
        AdminError::Invalid(vec![FieldError::new(field, problem)])
    }
}

impl FromServerFnError for AdminError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AdminError::Request(value.to_string())
    }
}

/// The server's side of the admin, provided as context by the server binary.
/// Each method acts for `user` and touches only `user.organisation`'s data.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait AdminBackend: Send + Sync + 'static {
    /// Creates the organisation and emails a confirmation link; for an
    /// address that has an account, emails its owner instead. The answer is
    /// the same either way.
    async fn signup(&self, input: invoice::account::SignupInput) -> Result<(), AdminError>;
    async fn confirm_email(&self, token: String) -> Result<(), AdminError>;
    /// Emails the owner a new confirmation link.
    async fn resend_confirmation(&self, user: &CurrentUser) -> Result<(), AdminError>;
    /// Emails a reset link when the address has an account; the same answer when not.
    async fn forgot_password(&self, email: String) -> Result<(), AdminError>;
    /// Sets a new password through an emailed link; ends every session.
    async fn reset_password(&self, token: String, password: String) -> Result<(), AdminError>;
    /// Ends the user's other sessions.
    async fn change_password(
        &self,
        user: &CurrentUser,
        session_token: &str,
        current_password: String,
        new_password: String,
        client_ip: String,
    ) -> Result<(), AdminError>;
    async fn sign_out_everywhere(&self, user: &CurrentUser) -> Result<(), AdminError>;
    /// How the user chose to hear that a customer first opened or downloaded
    /// an invoice.
    async fn notification_settings(&self, user: &CurrentUser)
        -> Result<NotifySettings, AdminError>;
    async fn save_notification_settings(
        &self,
        user: &CurrentUser,
        settings: NotifySettings,
    ) -> Result<(), AdminError>;
    /// The owner removes a staff member; their sessions end at once.
    async fn remove_user(&self, user: &CurrentUser, user_id: i64) -> Result<(), AdminError>;
    /// Returns the new session's token and the user's language.
    async fn login(
        &self,
        email: String,
        password: String,
        client_ip: String,
    ) -> Result<(String, Language), AdminError>;
    async fn logout(&self, session_token: &str) -> Result<(), AdminError>;
    async fn set_language(&self, user: &CurrentUser, language: Language) -> Result<(), AdminError>;
    async fn list_users(&self, user: &CurrentUser) -> Result<Vec<UserRow>, AdminError>;
    async fn add_user(
        &self,
        user: &CurrentUser,
        input: invoice::account::NewUserInput,
    ) -> Result<i64, AdminError>;

    async fn list_stores(&self, user: &CurrentUser) -> Result<Vec<StoreRow>, AdminError>;
    async fn get_store(&self, user: &CurrentUser, id: i64) -> Result<StoreInput, AdminError>;
    async fn save_store(
        &self,
        user: &CurrentUser,
        id: Option<i64>,
        input: StoreInput,
    ) -> Result<i64, AdminError>;

    async fn list_customers(
        &self,
        user: &CurrentUser,
        query: String,
        after: Option<String>,
    ) -> Result<CustomerPage, AdminError>;
    async fn get_customer(&self, user: &CurrentUser, id: i64) -> Result<CustomerInput, AdminError>;
    async fn save_customer(
        &self,
        user: &CurrentUser,
        id: Option<i64>,
        input: CustomerInput,
    ) -> Result<i64, AdminError>;

    /// What to chase today in one store (`store_id`) or all.
    async fn home(&self, user: &CurrentUser, store_id: Option<i64>)
        -> Result<HomeView, AdminError>;
    /// A customer's invoices, balance, payments and what they opened.
    async fn customer_account(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<CustomerOverview, AdminError>;

    async fn draft_choices(&self, user: &CurrentUser) -> Result<DraftOptions, AdminError>;
    async fn list_invoices(
        &self,
        user: &CurrentUser,
        filter: InvoiceFilter,
    ) -> Result<InvoicePage, AdminError>;
    async fn get_invoice(&self, user: &CurrentUser, id: i64) -> Result<InvoiceDetail, AdminError>;
    /// Creates a draft (`id` None) or saves one whose `version` is current.
    async fn save_draft(
        &self,
        user: &CurrentUser,
        id: Option<i64>,
        version: i64,
        draft: DraftInput,
    ) -> Result<i64, AdminError>;
    async fn issue_invoice(
        &self,
        user: &CurrentUser,
        id: i64,
        version: i64,
    ) -> Result<(), AdminError>;
    async fn void_invoice(&self, user: &CurrentUser, id: i64) -> Result<(), AdminError>;
    /// Corrects the recipient of an invoice's VERI*FACTU record that the
    /// AEAT rejected or accepted with errors, and queues the correction.
    async fn correct_aeat_record(
        &self,
        user: &CurrentUser,
        id: i64,
        recipient: invoice::verifactu::RecipientInput,
    ) -> Result<(), AdminError>;
    async fn duplicate_invoice(&self, user: &CurrentUser, id: i64) -> Result<i64, AdminError>;
    /// Sends an issued invoice's FatturaPA file to SdI from the store's PEC
    /// mailbox (for one issued before the mailbox was set up).
    async fn transmit_to_sdi(&self, user: &CurrentUser, id: i64) -> Result<(), AdminError>;
    async fn record_payment(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        payment: invoice::payment::PaymentInput,
    ) -> Result<(), AdminError>;
    async fn delete_payment(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        payment_id: i64,
    ) -> Result<(), AdminError>;
    async fn send_form(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        purpose: EmailPurpose,
    ) -> Result<SendForm, AdminError>;
    async fn send_invoice(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        purpose: EmailPurpose,
        input: SendInput,
        idempotency_key: String,
    ) -> Result<(), AdminError>;
    async fn revoke_link(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        link_id: String,
    ) -> Result<(), AdminError>;
    /// Links still open that went to addresses other than the customer's current one.
    async fn customer_old_links(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<Vec<LinkRow>, AdminError>;
    async fn sending_today(&self, user: &CurrentUser) -> Result<DailySending, AdminError>;
    /// The confirmation state of each address of a store's copies and failure list.
    async fn recipient_states(
        &self,
        user: &CurrentUser,
        store_id: i64,
    ) -> Result<Vec<RecipientState>, AdminError>;
    async fn resend_recipient_confirmation(
        &self,
        user: &CurrentUser,
        store_id: i64,
        address: String,
    ) -> Result<(), AdminError>;
    /// Public: the confirmation page's token, without a session.
    async fn recipient_confirmation(&self, token: String)
        -> Result<RecipientToConfirm, AdminError>;
    async fn confirm_recipient(&self, token: String) -> Result<(), AdminError>;
    async fn revoke_old_links(
        &self,
        user: &CurrentUser,
        customer_id: i64,
    ) -> Result<(), AdminError>;
    async fn credit_note_form(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
    ) -> Result<CreditNoteForm, AdminError>;
    /// Issues a credit note for the invoice; returns the credit note's id.
    async fn issue_credit_note(
        &self,
        user: &CurrentUser,
        invoice_id: i64,
        input: invoice::credit_note::CreditNoteInput,
    ) -> Result<i64, AdminError>;
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use std::sync::Arc;

    pub type Backend = Arc<dyn AdminBackend>;

    /// The session cookie's name.
    pub const SESSION_COOKIE: &str = "invio_session";
    /// Remembers the language of someone not signed in.
    pub const LANGUAGE_COOKIE: &str = "invio_lang";

    /// Whether cookies get `Secure`: set by the server when it is served over https.
    #[derive(Debug, Clone, Copy)]
    pub struct SecureCookies(pub bool);

    /// The client's network (an IPv4 address, an IPv6 /64), put in the
    /// request by the server for rate limits.
    #[derive(Debug, Clone)]
    pub struct ClientIp(pub String);

    pub fn backend() -> Result<Backend, AdminError> {
        use_context::<Backend>().ok_or_else(|| {
            tracing::error!("the admin backend is missing from the server function context");
            AdminError::Unavailable
        })
    }

    fn parts() -> Option<http::request::Parts> {
        use_context::<http::request::Parts>()
    }

    /// Who is asking, as resolved by the server's session middleware.
    pub fn viewer() -> Viewer {
        parts()
            .and_then(|parts| parts.extensions.get::<Viewer>().cloned())
            .unwrap_or(Viewer {
                user: None,
                language: Language::En,
            })
    }

    /// The signed-in user, or [`AdminError::SignedOut`].
    pub fn user() -> Result<CurrentUser, AdminError> {
        viewer().user.ok_or(AdminError::SignedOut)
    }

    pub fn client_ip() -> String {
        parts()
            .and_then(|parts| parts.extensions.get::<ClientIp>().cloned())
            .map_or_else(|| "unknown".to_owned(), |ip| ip.0)
    }

    /// After signing in or out the whole page must load again, so that it is
    /// rendered for the new session: a plain form post is redirected here,
    /// and the hydrated page navigates itself (see `routes::auth`).
    pub fn redirect_plain_form(path: &str) {
        let plain_form = parts().is_some_and(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
        });
        if plain_form {
            leptos_axum::redirect(path);
        }
    }

    pub fn session_token() -> Option<String> {
        let parts = parts()?;
        cookie(&parts.headers, SESSION_COOKIE)
    }

    /// Reads one cookie from the request's headers.
    pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    }

    /// Adds a `Set-Cookie` to the response: `HttpOnly`, `SameSite=Lax`,
    /// `Secure` over https.
    pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64) {
        let secure = use_context::<SecureCookies>().is_some_and(|secure| secure.0);
        let cookie = format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{}",
            if secure { "; Secure" } else { "" }
        );
        if let (Some(response), Ok(header)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(&cookie),
        ) {
            response.append_header(http::header::SET_COOKIE, header);
        }
    }
}

/// How long a session lasts.
pub const SESSION_DAYS: i64 = 30;

pub use forms::*;

mod forms {
    // One argument per form field is what lets a plain form post reach the
    // function; the macro expands them twice.
    #![allow(clippy::too_many_arguments)]
    use super::*;

    #[server]
    pub async fn signup(
        business_name: String,
        name: String,
        email: String,
        password: String,
        language: String,
    ) -> Result<(), AdminError> {
        use self::ssr::*;
        // The pages after sign-up speak the language chosen in the form.
        if let Some(chosen) = Language::parse(language.trim()) {
            set_cookie(LANGUAGE_COOKIE, chosen.code(), 365 * 86_400);
        }
        backend()?
            .signup(invoice::account::SignupInput {
                business_name,
                name,
                email,
                password,
                language,
            })
            .await?;
        redirect_plain_form(CHECK_EMAIL_PATH);
        Ok(())
    }

    #[server]
    pub async fn confirm_email(token: String) -> Result<(), AdminError> {
        use self::ssr::*;
        backend()?.confirm_email(token).await?;
        redirect_plain_form(&format!("{CONFIRM_EMAIL_PATH}?done=1"));
        Ok(())
    }

    #[server]
    pub async fn resend_confirmation() -> Result<(), AdminError> {
        use self::ssr::*;
        backend()?.resend_confirmation(&user()?).await
    }

    #[server]
    pub async fn forgot_password(email: String) -> Result<(), AdminError> {
        use self::ssr::*;
        backend()?.forgot_password(email).await?;
        redirect_plain_form(&format!("{FORGOT_PASSWORD_PATH}?sent=1"));
        Ok(())
    }

    #[server]
    pub async fn reset_password(token: String, password: String) -> Result<(), AdminError> {
        use self::ssr::*;
        backend()?.reset_password(token, password).await?;
        redirect_plain_form(&format!("{RESET_PASSWORD_PATH}?done=1"));
        Ok(())
    }

    #[server]
    pub async fn change_password(
        current_password: String,
        new_password: String,
    ) -> Result<(), AdminError> {
        use self::ssr::*;
        let token = session_token().ok_or(AdminError::SignedOut)?;
        backend()?
            .change_password(
                &user()?,
                &token,
                current_password,
                new_password,
                client_ip(),
            )
            .await?;
        redirect_plain_form(&format!("{ACCOUNT_PATH}?changed=1"));
        Ok(())
    }

    #[server]
    pub async fn sign_out_everywhere() -> Result<(), AdminError> {
        use self::ssr::*;
        backend()?.sign_out_everywhere(&user()?).await?;
        set_cookie(SESSION_COOKIE, "", 0);
        redirect_plain_form("/login");
        Ok(())
    }

    /// The account page's notification settings: `notify_email` is one of
    /// [`EmailChoice`]'s codes, `notify_live` the checkbox (sent when ticked).
    #[server]
    pub async fn save_notification_settings(
        notify_email: String,
        notify_live: Option<String>,
    ) -> Result<(), AdminError> {
        use self::ssr::*;
        let email = EmailChoice::parse(notify_email.trim()).ok_or_else(|| {
            AdminError::invalid("notify_email", invoice::problem::Problem::Required)
        })?;
        backend()?
            .save_notification_settings(
                &user()?,
                NotifySettings {
                    email,
                    live: notify_live.is_some(),
                },
            )
            .await?;
        redirect_plain_form(&format!("{ACCOUNT_PATH}?notifications=1"));
        Ok(())
    }

    #[server]
    pub async fn remove_user(user_id: i64) -> Result<(), AdminError> {
        use self::ssr::*;
        backend()?.remove_user(&user()?, user_id).await?;
        redirect_plain_form("/team");
        Ok(())
    }

    #[server]
    pub async fn login(email: String, password: String) -> Result<Language, AdminError> {
        use self::ssr::*;
        let (token, language) = backend()?.login(email, password, client_ip()).await?;
        set_cookie(SESSION_COOKIE, &token, SESSION_DAYS * 86_400);
        set_cookie(LANGUAGE_COOKIE, language.code(), 365 * 86_400);
        redirect_plain_form("/");
        Ok(language)
    }

    #[server]
    pub async fn logout() -> Result<(), AdminError> {
        use self::ssr::*;
        if let Some(token) = session_token() {
            backend()?.logout(&token).await?;
        }
        set_cookie(SESSION_COOKIE, "", 0);
        redirect_plain_form("/login");
        Ok(())
    }

    /// Switches the admin's language and remembers it for the user (and, for
    /// the sign-in page, in a cookie).
    #[server]
    pub async fn set_language(language: String) -> Result<Language, AdminError> {
        use self::ssr::*;
        let language = Language::parse(&language).unwrap_or_default();
        if let Some(user) = viewer().user {
            backend()?.set_language(&user, language).await?;
        }
        set_cookie(LANGUAGE_COOKIE, language.code(), 365 * 86_400);
        Ok(language)
    }

    #[server]
    pub async fn add_user(
        name: String,
        email: String,
        password: String,
    ) -> Result<i64, AdminError> {
        use self::ssr::*;
        backend()?
            .add_user(
                &user()?,
                invoice::account::NewUserInput {
                    name,
                    email,
                    password,
                },
            )
            .await
    }

    /// A plain form post lands on the new credit note's page; the hydrated
    /// form navigates there itself.
    #[server]
    pub async fn issue_credit_note(
        invoice_id: i64,
        scope: String,
        quantities: Vec<String>,
        reason: String,
        // Only a Spanish store's form has it.
        #[server(default)] ground: String,
    ) -> Result<i64, AdminError> {
        use self::ssr::*;
        let id = backend()?
            .issue_credit_note(
                &user()?,
                invoice_id,
                invoice::credit_note::CreditNoteInput {
                    scope,
                    quantities,
                    reason,
                    ground,
                },
            )
            .await?;
        redirect_plain_form(&format!("/invoices/{id}"));
        Ok(id)
    }

    #[server]
    pub async fn record_payment(
        invoice_id: i64,
        amount: String,
        date: String,
        method: String,
        reference: String,
    ) -> Result<(), AdminError> {
        use self::ssr::*;
        backend()?
            .record_payment(
                &user()?,
                invoice_id,
                invoice::payment::PaymentInput {
                    amount,
                    date,
                    method,
                    reference,
                },
            )
            .await
    }
}

#[server]
pub async fn notification_settings() -> Result<NotifySettings, AdminError> {
    use self::ssr::*;
    backend()?.notification_settings(&user()?).await
}

#[server]
pub async fn list_users() -> Result<Vec<UserRow>, AdminError> {
    use self::ssr::*;
    backend()?.list_users(&user()?).await
}

#[server]
pub async fn list_stores() -> Result<Vec<StoreRow>, AdminError> {
    use self::ssr::*;
    backend()?.list_stores(&user()?).await
}

#[server]
pub async fn get_store(id: i64) -> Result<StoreInput, AdminError> {
    use self::ssr::*;
    backend()?.get_store(&user()?, id).await
}

#[server]
pub async fn save_store(id: Option<i64>, input: StoreInput) -> Result<i64, AdminError> {
    use self::ssr::*;
    let saved = backend()?.save_store(&user()?, id, input).await?;
    redirect_plain_form(&format!("/stores/{saved}?saved=1"));
    Ok(saved)
}

#[server]
pub async fn list_customers(
    query: String,
    after: Option<String>,
) -> Result<CustomerPage, AdminError> {
    use self::ssr::*;
    backend()?.list_customers(&user()?, query, after).await
}

#[server]
pub async fn get_customer(id: i64) -> Result<CustomerInput, AdminError> {
    use self::ssr::*;
    backend()?.get_customer(&user()?, id).await
}

#[server]
pub async fn save_customer(id: Option<i64>, input: CustomerInput) -> Result<i64, AdminError> {
    use self::ssr::*;
    let saved = backend()?.save_customer(&user()?, id, input).await?;
    redirect_plain_form(&format!("/customers/{saved}?saved=1"));
    Ok(saved)
}

#[server]
pub async fn home(store: Option<i64>) -> Result<HomeView, AdminError> {
    use self::ssr::*;
    backend()?.home(&user()?, store).await
}

#[server]
pub async fn customer_account(id: i64) -> Result<CustomerOverview, AdminError> {
    use self::ssr::*;
    backend()?.customer_account(&user()?, id).await
}

#[server]
pub async fn draft_choices() -> Result<DraftOptions, AdminError> {
    use self::ssr::*;
    backend()?.draft_choices(&user()?).await
}

#[server]
pub async fn list_invoices(filter: InvoiceFilter) -> Result<InvoicePage, AdminError> {
    use self::ssr::*;
    backend()?.list_invoices(&user()?, filter).await
}

#[server]
pub async fn get_invoice(id: i64) -> Result<InvoiceDetail, AdminError> {
    use self::ssr::*;
    backend()?.get_invoice(&user()?, id).await
}

#[server]
pub async fn save_draft(
    id: Option<i64>,
    version: i64,
    draft: DraftInput,
) -> Result<i64, AdminError> {
    use self::ssr::*;
    let saved = backend()?.save_draft(&user()?, id, version, draft).await?;
    redirect_plain_form(&format!("/invoices/{saved}"));
    Ok(saved)
}

/// "Save and issue" posted without JavaScript: the draft is saved, then the
/// version just saved is issued (with JavaScript the editor does the two in
/// turn, showing each refusal).
#[server]
pub async fn save_and_issue_draft(
    id: Option<i64>,
    version: i64,
    draft: DraftInput,
) -> Result<(), AdminError> {
    use self::ssr::*;
    let backend = backend()?;
    let user = user()?;
    let saved = backend.save_draft(&user, id, version, draft).await?;
    // A save writes a new draft's first version, or an existing one's next.
    let saved_version = if id.is_some() { version + 1 } else { 1 };
    backend.issue_invoice(&user, saved, saved_version).await?;
    redirect_plain_form(&format!("/invoices/{saved}?issued=1"));
    Ok(())
}

#[server]
pub async fn issue_invoice(id: i64, version: i64) -> Result<(), AdminError> {
    use self::ssr::*;
    backend()?.issue_invoice(&user()?, id, version).await
}

#[server]
pub async fn void_invoice(id: i64) -> Result<(), AdminError> {
    use self::ssr::*;
    backend()?.void_invoice(&user()?, id).await
}

#[server]
pub async fn correct_aeat_record(id: i64, name: String, tax_id: String) -> Result<(), AdminError> {
    use self::ssr::*;
    backend()?
        .correct_aeat_record(
            &user()?,
            id,
            invoice::verifactu::RecipientInput { name, tax_id },
        )
        .await
}

#[server]
pub async fn duplicate_invoice(id: i64) -> Result<i64, AdminError> {
    use self::ssr::*;
    let duplicate = backend()?.duplicate_invoice(&user()?, id).await?;
    redirect_plain_form(&format!("/invoices/{duplicate}"));
    Ok(duplicate)
}

#[server]
pub async fn transmit_to_sdi(id: i64) -> Result<(), AdminError> {
    use self::ssr::*;
    backend()?.transmit_to_sdi(&user()?, id).await
}

#[server]
pub async fn delete_payment(invoice_id: i64, payment_id: i64) -> Result<(), AdminError> {
    use self::ssr::*;
    backend()?
        .delete_payment(&user()?, invoice_id, payment_id)
        .await
}

#[server]
pub async fn send_dialog(invoice_id: i64, purpose: EmailPurpose) -> Result<SendForm, AdminError> {
    use self::ssr::*;
    backend()?.send_form(&user()?, invoice_id, purpose).await
}

/// The send dialog's preview as the merchant types: composed on the server,
/// so the email's templates and the document stay out of the admin's wasm.
#[server]
pub async fn email_preview(
    invoice_id: i64,
    purpose: EmailPurpose,
    subject: String,
    message: String,
) -> Result<PreviewedEmail, AdminError> {
    use self::ssr::*;
    let form = backend()?.send_form(&user()?, invoice_id, purpose).await?;
    Ok(form.preview(&subject, &message))
}

/// The send dialog's form: its field names are this function's arguments,
/// so it also posts without JavaScript.
#[server]
pub async fn send_invoice(
    invoice_id: i64,
    purpose: EmailPurpose,
    to: String,
    subject: String,
    message: String,
    idempotency_key: String,
) -> Result<(), AdminError> {
    use self::ssr::*;
    let input = SendInput {
        to,
        subject,
        message,
    };
    backend()?
        .send_invoice(&user()?, invoice_id, purpose, input, idempotency_key)
        .await?;
    redirect_plain_form(&format!("/invoices/{invoice_id}"));
    Ok(())
}

#[server]
pub async fn revoke_link(invoice_id: i64, link_id: String) -> Result<(), AdminError> {
    use self::ssr::*;
    backend()?.revoke_link(&user()?, invoice_id, link_id).await
}

#[server]
pub async fn customer_old_links(customer_id: i64) -> Result<Vec<LinkRow>, AdminError> {
    use self::ssr::*;
    backend()?.customer_old_links(&user()?, customer_id).await
}

#[server]
pub async fn revoke_old_links(customer_id: i64) -> Result<(), AdminError> {
    use self::ssr::*;
    backend()?.revoke_old_links(&user()?, customer_id).await
}

#[server]
pub async fn recipient_states(store_id: i64) -> Result<Vec<RecipientState>, AdminError> {
    use self::ssr::*;
    backend()?.recipient_states(&user()?, store_id).await
}

#[server]
pub async fn resend_recipient_confirmation(
    store_id: i64,
    address: String,
) -> Result<(), AdminError> {
    use self::ssr::*;
    backend()?
        .resend_recipient_confirmation(&user()?, store_id, address)
        .await?;
    redirect_plain_form(&format!("/stores/{store_id}?confirmation_sent=1"));
    Ok(())
}

/// Public: whoever holds the emailed token may confirm the address.
#[server]
pub async fn recipient_confirmation(token: String) -> Result<RecipientToConfirm, AdminError> {
    use self::ssr::*;
    backend()?.recipient_confirmation(token).await
}

#[server]
pub async fn confirm_recipient(token: String) -> Result<(), AdminError> {
    use self::ssr::*;
    backend()?.confirm_recipient(token).await
}

#[server]
pub async fn sending_today() -> Result<DailySending, AdminError> {
    use self::ssr::*;
    backend()?.sending_today(&user()?).await
}

#[server]
pub async fn credit_note_dialog(invoice_id: i64) -> Result<CreditNoteForm, AdminError> {
    use self::ssr::*;
    backend()?.credit_note_form(&user()?, invoice_id).await
}
