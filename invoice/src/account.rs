//! Sign-up and the users of an organisation. Passwords are hashed by the
//! server; here they are only checked for length.

use serde::{Deserialize, Serialize};

use crate::document::EmailAddress;
use crate::problem::{required_text, FieldError, Problem};
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

/// Failed sign-ins allowed in [`FAILURE_WINDOW_MINUTES`]: per account (a
/// guessed password) and per client address (guessing across accounts).
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const FAILURE_WINDOW_MINUTES: u32 = 15;

/// Whether a sign-in may be tried, given the recent failures.
pub fn sign_in_allowed(failures_for_account: i64, failures_from_address: i64) -> bool {
    failures_for_account < MAX_FAILURES_PER_ACCOUNT
        && failures_from_address < MAX_FAILURES_PER_ADDRESS
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
    let length = text.chars().count();
    if length < MIN_PASSWORD_CHARS {
        errors.push(FieldError::new(
            "password",
            Problem::PasswordTooShort {
                min: MIN_PASSWORD_CHARS,
            },
        ));
    } else if length > MAX_PASSWORD_CHARS {
        errors.push(FieldError::new(
            "password",
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
        assert!(sign_in_allowed(4, 19));
        assert!(!sign_in_allowed(5, 0));
        assert!(!sign_in_allowed(0, 20));
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
