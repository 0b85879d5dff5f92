//! Sign-up and the users of an organisation. Passwords are hashed by the
//! server; here they are only checked for length.

use serde::{Deserialize, Serialize};

use crate::document::EmailAddress;
use crate::email::{escape_html, EmailContent};
use crate::problem::{required_text, FieldError, Problem};
use crate::store::StoreSettings;
use crate::Language;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupInput {
    pub business_name: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub language: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSignup {
    pub business_name: String,
    pub name: String,
    pub email: EmailAddress,
    pub password: String,
    pub language: Language,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUserInput {
    pub name: String,
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidNewUser {
    pub name: String,
    pub email: EmailAddress,
    pub password: String,
}

/// Sign-ins allowed in [`FAILURE_WINDOW_MINUTES`] that did not succeed: per
/// account (a guessed password) and per client network (guessing across
/// accounts). A success forgives the account's count and its own attempt.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const FAILURE_WINDOW_MINUTES: u32 = 15;

/// Whether a sign-in may be checked, given the attempts counted in the
/// window for the account and the network, this attempt included: it is
/// counted before its password is checked, so parallel attempts each see
/// the ones before them.
pub fn sign_in_allowed(attempts_for_account: i64, attempts_from_address: i64) -> bool {
    attempts_for_account <= MAX_FAILURES_PER_ACCOUNT
        && attempts_from_address <= MAX_FAILURES_PER_ADDRESS
}

/// Account emails (confirmation, reset link, "someone tried to sign up")
/// sent to one address in [`FAILURE_WINDOW_MINUTES`]; further requests get
/// the same answer and no email, so nobody can flood an inbox through Invio.
pub const MAX_ACCOUNT_EMAILS_PER_ADDRESS: i64 = 3;

/// How long an emailed link to confirm an address works.
pub const CONFIRM_LINK_HOURS: i64 = 24;
/// How long an emailed password-reset link works.
pub const RESET_LINK_MINUTES: i64 = 60;

/// Whether `after` changes where a store's emails and replies go: turning
/// sending on or off, the reply-to address, the copies, the failure list.
/// Only the owner may; staff may change everything else.
pub fn routing_changed(before: &StoreSettings, after: &StoreSettings) -> bool {
    before.email_enabled != after.email_enabled
        || before.reply_to != after.reply_to
        || before.copies_to != after.copies_to
        || before.failure_notify != after.failure_notify
}

/// The emails Invio sends about an account, in the user's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEmail<'a> {
    /// After sign-up: confirm the address to send invoices.
    ConfirmAddress { name: &'a str, link: &'a str },
    /// Someone signed up with an address that already has an account.
    SignUpAttempted {
        name: &'a str,
        sign_in_link: &'a str,
        reset_link: &'a str,
    },
    /// A password-reset link, asked for on "forgot password".
    ResetPassword { name: &'a str, link: &'a str },
}

impl AccountEmail<'_> {
    pub fn content(&self, language: Language) -> EmailContent {
        use Language::{En, Es, It};
        let pick = |en: &str, it: &str, es: &str| -> String {
            match language {
                En => en.to_owned(),
                It => it.to_owned(),
                Es => es.to_owned(),
            }
        };
        let greeting = |name: &str| match language {
            En => format!("Hello {name},"),
            It => format!("Ciao {name},"),
            Es => format!("Hola {name}:"),
        };
        // (subject, name, paragraphs before the link, [(link text, link)], closing)
        let (subject, name, intro, links, closing) = match self {
            AccountEmail::ConfirmAddress { name, link } => (
                pick("Confirm your email address for Invio", "Conferma il tuo indirizzo email per Invio", "Confirma tu dirección de email para Invio"),
                name,
                match language {
                    En => format!("please confirm that this address is yours. Until you do, Invio cannot send your invoices by email. The link works for {CONFIRM_LINK_HOURS} hours."),
                    It => format!("conferma che questo indirizzo è tuo. Finché non lo fai, Invio non può inviare le tue fatture via email. Il link vale {CONFIRM_LINK_HOURS} ore."),
                    Es => format!("confirma que esta dirección es tuya. Hasta que lo hagas, Invio no puede enviar tus facturas por email. El enlace vale {CONFIRM_LINK_HOURS} horas."),
                },
                vec![(pick("Confirm my address", "Conferma il mio indirizzo", "Confirmar mi dirección"), *link)],
                pick("If you did not create an Invio account, ignore this email.", "Se non hai creato un account Invio, ignora questa email.", "Si no has creado una cuenta de Invio, ignora este email."),
            ),
            AccountEmail::SignUpAttempted { name, sign_in_link, reset_link } => (
                pick("Someone tried to create an Invio account with your address", "Qualcuno ha provato a creare un account Invio con il tuo indirizzo", "Alguien intentó crear una cuenta de Invio con tu dirección"),
                name,
                pick(
                    "someone tried to create a new Invio account with this email address, which already has one. No new account was made. If it was you, sign in, or reset your password if you forgot it.",
                    "qualcuno ha provato a creare un nuovo account Invio con questo indirizzo email, che ne ha già uno. Non è stato creato nessun nuovo account. Se eri tu, accedi, oppure reimposta la password se l'hai dimenticata.",
                    "alguien intentó crear una nueva cuenta de Invio con esta dirección de email, que ya tiene una. No se ha creado ninguna cuenta nueva. Si fuiste tú, inicia sesión, o restablece tu contraseña si la has olvidado.",
                ),
                vec![
                    (pick("Sign in", "Accedi", "Iniciar sesión"), *sign_in_link),
                    (pick("Reset my password", "Reimposta la password", "Restablecer mi contraseña"), *reset_link),
                ],
                pick("If it was not you, ignore this email: your account is unchanged.", "Se non eri tu, ignora questa email: il tuo account non è cambiato.", "Si no fuiste tú, ignora este email: tu cuenta no ha cambiado."),
            ),
            AccountEmail::ResetPassword { name, link } => (
                pick("Reset your Invio password", "Reimposta la password di Invio", "Restablece tu contraseña de Invio"),
                name,
                match language {
                    En => format!("to choose a new password, open this link. It works once, for {RESET_LINK_MINUTES} minutes, and signs you out everywhere else."),
                    It => format!("per scegliere una nuova password, apri questo link. Vale una sola volta, per {RESET_LINK_MINUTES} minuti, e chiude le tue sessioni ovunque."),
                    Es => format!("para elegir una contraseña nueva, abre este enlace. Vale una sola vez, durante {RESET_LINK_MINUTES} minutos, y cierra tus sesiones en todas partes."),
                },
                vec![(pick("Choose a new password", "Scegli una nuova password", "Elegir una contraseña nueva"), *link)],
                pick("If you did not ask for this, ignore this email: your password is unchanged.", "Se non l'hai chiesto tu, ignora questa email: la tua password non è cambiata.", "Si no lo has pedido tú, ignora este email: tu contraseña no ha cambiado."),
            ),
        };
        let mut text = format!("{}\n\n{intro}\n\n", greeting(name));
        let mut html = format!(
            "<p>{}</p>\n<p>{}</p>\n",
            escape_html(&greeting(name)),
            escape_html(&intro)
        );
        for (label, link) in &links {
            text.push_str(&format!("{label}: {link}\n\n"));
            html.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>\n",
                escape_html(link),
                escape_html(label)
            ));
        }
        text.push_str(&format!("{closing}\n\nInvio\n"));
        html.push_str(&format!("<p>{}</p>\n<p>Invio</p>\n", escape_html(&closing)));
        EmailContent {
            subject,
            text,
            html,
        }
    }
}

/// Account emails are compared and stored lowercased.
pub fn normalise_login_email(text: &str) -> String {
    text.trim().to_lowercase()
}

fn account_email(text: &str, errors: &mut Vec<FieldError>) -> Option<EmailAddress> {
    EmailAddress::parse(&normalise_login_email(text))
        .map_err(|problem| errors.push(FieldError::new("email", problem)))
        .ok()
}

fn password(text: &str, errors: &mut Vec<FieldError>) -> String {
    password_in("password", text, errors)
}

/// A new password (reset or change) typed into `field`.
pub fn new_password(field: &str, text: &str) -> Result<String, Vec<FieldError>> {
    let mut errors = Vec::new();
    let password = password_in(field, text, &mut errors);
    if errors.is_empty() {
        Ok(password)
    } else {
        Err(errors)
    }
}

fn password_in(field: &str, text: &str, errors: &mut Vec<FieldError>) -> String {
    let length = text.chars().count();
    if length < MIN_PASSWORD_CHARS {
        errors.push(FieldError::new(
            field,
            Problem::PasswordTooShort {
                min: MIN_PASSWORD_CHARS,
            },
        ));
    } else if length > MAX_PASSWORD_CHARS {
        errors.push(FieldError::new(
            field,
            Problem::TooLong {
                max: MAX_PASSWORD_CHARS,
            },
        ));
    }
    text.to_owned()
}

impl SignupInput {
    pub fn validate(&self) -> Result<ValidSignup, Vec<FieldError>> {
        let mut errors = Vec::new();
        let business_name = required_text("business_name", &self.business_name, 200, &mut errors);
        let name = required_text("name", &self.name, 200, &mut errors);
        let email = account_email(&self.email, &mut errors);
        let password = password(&self.password, &mut errors);
        let language = Language::parse(self.language.trim());
        if language.is_none() {
            errors.push(FieldError::new("language", Problem::ChooseLanguage));
        }
        match (email, language) {
            (Some(email), Some(language)) if errors.is_empty() => Ok(ValidSignup {
                business_name,
                name,
                email,
                password,
                language,
            }),
            _ => Err(errors),
        }
    }
}

impl NewUserInput {
    pub fn validate(&self) -> Result<ValidNewUser, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = required_text("name", &self.name, 200, &mut errors);
        let email = account_email(&self.email, &mut errors);
        let password = password(&self.password, &mut errors);
        match email {
            Some(email) if errors.is_empty() => Ok(ValidNewUser {
                name,
                email,
                password,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_up_lowercases_the_email_and_checks_every_field() {
        let valid = SignupInput {
            business_name: "Bottega".into(),
            name: "Giulia".into(),
            email: " Giulia@Bottega.IT ".into(),
            password: "long enough password".into(),
            language: "it".into(),
        }
        .validate()
        .expect("valid");
        assert_eq!(valid.email.as_str(), "giulia@bottega.it");
        let fields: Vec<String> = SignupInput::default()
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|error| error.field)
            .collect();
        assert_eq!(
            fields,
            ["business_name", "name", "email", "password", "language"]
        );
    }

    #[test]
    fn sign_in_stops_after_five_failures_per_account_or_twenty_per_address() {
        assert!(
            sign_in_allowed(5, 20),
            "the fifth and twentieth are still checked"
        );
        assert!(!sign_in_allowed(6, 1));
        assert!(!sign_in_allowed(1, 21));
    }

    #[test]
    fn only_the_addresses_emails_go_to_count_as_routing() {
        let before = StoreSettings::default();
        let mut renamed = before.clone();
        renamed.name = "Another name".into();
        renamed.email_subject = "Your invoice".into();
        assert!(!routing_changed(&before, &renamed));
        let spy = EmailAddress::parse("spy@evil.example").expect("address");
        let changes: [fn(&mut StoreSettings, &EmailAddress); 4] = [
            |store, _| store.email_enabled = !store.email_enabled,
            |store, spy| store.reply_to = Some(spy.clone()),
            |store, spy| store.copies_to.push(spy.clone()),
            |store, spy| store.failure_notify.push(spy.clone()),
        ];
        for change in changes {
            let mut changed = before.clone();
            change(&mut changed, &spy);
            assert!(routing_changed(&before, &changed));
        }
    }

    #[test]
    fn account_emails_speak_the_users_language_and_escape_the_name() {
        let email = AccountEmail::ResetPassword {
            name: "<b>Giulia</b>",
            link: "https://admin.example/reset-password?token=abc",
        };
        let italian = email.content(Language::It);
        assert_eq!(italian.subject, "Reimposta la password di Invio");
        assert!(italian.text.contains("Ciao <b>Giulia</b>,"));
        assert!(italian.text.contains("60 minuti"));
        assert!(italian
            .text
            .contains("https://admin.example/reset-password?token=abc"));
        assert!(italian.html.contains("Ciao &lt;b&gt;Giulia&lt;/b&gt;,"));
        assert!(!italian.html.contains("<b>"));
        let spanish = AccountEmail::ConfirmAddress {
            name: "Ana",
            link: "https://admin.example/confirm-email?token=x",
        }
        .content(Language::Es);
        assert!(spanish.text.contains("24 horas"));
        let english = AccountEmail::SignUpAttempted {
            name: "Ana",
            sign_in_link: "https://admin.example/login",
            reset_link: "https://admin.example/forgot-password",
        }
        .content(Language::En);
        assert!(english.text.contains("No new account was made."));
        assert!(english
            .html
            .contains(r#"<a href="https://admin.example/forgot-password">Reset my password</a>"#));
    }

    #[test]
    fn a_short_password_is_refused_with_the_minimum() {
        let errors = NewUserInput {
            name: "Luca".into(),
            email: "luca@bottega.it".into(),
            password: "short".into(),
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            errors,
            [FieldError::new(
                "password",
                Problem::PasswordTooShort { min: 10 }
            )]
        );
    }
}
