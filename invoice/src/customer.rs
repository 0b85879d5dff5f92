//! The merchant's customers.

use serde::{Deserialize, Serialize};

use crate::document::{EmailAddress, Party};
use crate::problem::{address_lines, optional_text, required_text, FieldError, Problem};
use crate::Language;

/// A customer as typed in the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerInput {
    pub name: String,
    pub email: String,
    pub language: String,
    pub tax_id: String,
    pub address: String,
    pub email_invoices: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetails {
    pub name: String,
    /// A customer may have none: invoices are then printed or sent by hand.
    pub email: Option<EmailAddress>,
    /// The language of their invoices, emails and page.
    pub language: Language,
    pub tax_id: Option<String>,
    pub address: Vec<String>,
    /// Send each invoice by email when it is issued.
    pub email_invoices: bool,
}

impl CustomerInput {
    pub fn validate(&self) -> Result<CustomerDetails, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = required_text("name", &self.name, 200, &mut errors);
        let email = match self.email.trim() {
            "" => None,
            text => EmailAddress::parse(text)
                .map_err(|problem| errors.push(FieldError::new("email", problem)))
                .ok(),
        };
        let language = Language::parse(self.language.trim());
        if language.is_none() {
            errors.push(FieldError::new("language", Problem::ChooseLanguage));
        }
        let tax_id = optional_text("tax_id", &self.tax_id, 40, &mut errors);
        let address = address_lines("address", &self.address, &mut errors);
        if self.email_invoices && self.email.trim().is_empty() {
            errors.push(FieldError::new(
                "email_invoices",
                Problem::AutomaticEmailNeedsAddress,
            ));
        }
        match language {
            Some(language) if errors.is_empty() => Ok(CustomerDetails {
                name,
                email,
                language,
                tax_id,
                address,
                email_invoices: self.email_invoices,
            }),
            _ => Err(errors),
        }
    }
}

impl CustomerDetails {
    pub fn to_input(&self) -> CustomerInput {
        CustomerInput {
            name: self.name.clone(),
            email: self
                .email
                .as_ref()
                .map(|email| email.as_str().to_owned())
                .unwrap_or_default(),
            language: self.language.code().to_owned(),
            tax_id: self.tax_id.clone().unwrap_or_default(),
            address: self.address.join("\n"),
            email_invoices: self.email_invoices,
        }
    }

    /// The customer as an invoice names them.
    pub fn party(&self) -> Party {
        Party {
            name: self.name.clone(),
            address: self.address.clone(),
            tax_id: self.tax_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maria() -> CustomerInput {
        CustomerInput {
            name: " María Pérez ".into(),
            email: "maria@example.es".into(),
            language: "es".into(),
            tax_id: "B12345678".into(),
            address: "Calle Mayor 1\n\n28013 Madrid\n".into(),
            email_invoices: true,
        }
    }

    #[test]
    fn a_customer_round_trips_through_the_form() {
        let details = maria().validate().expect("valid");
        assert_eq!(details.name, "María Pérez");
        assert_eq!(details.address, ["Calle Mayor 1", "28013 Madrid"]);
        assert_eq!(details.to_input().validate(), Ok(details.clone()));
        assert_eq!(details.party().tax_id.as_deref(), Some("B12345678"));
    }

    #[test]
    fn the_email_is_optional_unless_invoices_are_sent_automatically() {
        let mut without = maria();
        without.email.clear();
        let errors = without.validate().unwrap_err();
        assert_eq!(
            errors,
            [FieldError::new(
                "email_invoices",
                Problem::AutomaticEmailNeedsAddress
            )]
        );
        without.email_invoices = false;
        assert_eq!(without.validate().expect("valid").email, None);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = CustomerInput {
            name: String::new(),
            email: "maria@".into(),
            language: "de".into(),
            tax_id: "x".repeat(41),
            address: String::new(),
            email_invoices: false,
        };
        let fields: Vec<String> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["name", "email", "language", "tax_id"]);
    }
}
