//! The merchant's customers.

use serde::{Deserialize, Serialize};

use crate::document::{EmailAddress, Party};
use crate::italy::{
    Address, CodiceDestinatario, CodiceFiscale, FiscalProblem, PartitaIva, SdiRecipient,
};
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
    /// For an Italian store's electronic invoices (all optional).
    pub codice_fiscale: String,
    pub codice_destinatario: String,
    pub pec: String,
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
    /// How SdI reaches them, for an Italian store's electronic invoices.
    #[serde(default)]
    pub sdi: SdiRecipient,
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
        let sdi = self.sdi_recipient(tax_id.as_deref(), &address, &mut errors);
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
                sdi,
            }),
            _ => Err(errors),
        }
    }

    /// The Italian e-invoice fields, checked as SdI checks them. Once any is
    /// given, the tax id must be a partita IVA, and the customer needs it or
    /// a codice fiscale.
    fn sdi_recipient(
        &self,
        tax_id: Option<&str>,
        address: &[String],
        errors: &mut Vec<FieldError>,
    ) -> SdiRecipient {
        let mut fiscal =
            |field: &str, problem| errors.push(FieldError::new(field, Problem::Fiscal(problem)));
        let codice_fiscale = match self.codice_fiscale.trim() {
            "" => None,
            text => CodiceFiscale::parse(text)
                .map_err(|problem| fiscal("codice_fiscale", problem))
                .ok(),
        };
        let codice_destinatario = match self.codice_destinatario.trim() {
            "" => None,
            text => CodiceDestinatario::parse(text)
                .map_err(|problem| fiscal("codice_destinatario", problem))
                .ok()
                .filter(|code| !code.is_none()),
        };
        let pec = match self.pec.trim() {
            "" => None,
            text => EmailAddress::parse(text)
                .map_err(|problem| errors.push(FieldError::new("pec", problem)))
                .ok()
                .map(|address| address.as_str().to_owned()),
        };
        let sdi = SdiRecipient {
            codice_fiscale,
            codice_destinatario,
            pec,
        };
        if sdi.pec.is_some() && sdi.codice_destinatario.is_some() {
            errors.push(FieldError::new(
                "pec",
                Problem::Fiscal(FiscalProblem::PecWithCode),
            ));
        }
        let entered = sdi.is_set()
            || !self.codice_fiscale.trim().is_empty()
            || !self.codice_destinatario.trim().is_empty();
        if entered {
            if let Err(problem) = Address::parse_italian(address) {
                errors.push(FieldError::new("address", Problem::Fiscal(problem)));
            }
            match tax_id.map(PartitaIva::parse) {
                Some(Err(problem)) => {
                    errors.push(FieldError::new("tax_id", Problem::Fiscal(problem)))
                }
                None if self.codice_fiscale.trim().is_empty() => errors.push(FieldError::new(
                    "codice_fiscale",
                    Problem::Fiscal(FiscalProblem::RecipientUnidentified),
                )),
                Some(Ok(_)) | None => {}
            }
        }
        sdi
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
            codice_fiscale: self
                .sdi
                .codice_fiscale
                .as_ref()
                .map(|code| code.as_str().to_owned())
                .unwrap_or_default(),
            codice_destinatario: self
                .sdi
                .codice_destinatario
                .as_ref()
                .map(|code| code.as_str().to_owned())
                .unwrap_or_default(),
            pec: self.sdi.pec.clone().unwrap_or_default(),
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
            ..CustomerInput::default()
        }
    }

    fn officina() -> CustomerInput {
        CustomerInput {
            name: "Officina Bianchi".into(),
            email: "amministrazione@bianchi.it".into(),
            language: "it".into(),
            tax_id: "IT01234567897".into(),
            address: "Corso Italia 3\n20122 Milano MI".into(),
            codice_destinatario: "m5uxcr1".into(),
            ..CustomerInput::default()
        }
    }

    #[test]
    fn an_italian_customer_is_reached_by_its_code_or_its_pec_and_identified() {
        let details = officina().validate().expect("valid");
        assert_eq!(
            details.sdi.destinatario().as_str(),
            "M5UXCR1",
            "codes are written in capitals"
        );
        assert_eq!(details.to_input().validate(), Ok(details.clone()));

        let consumer = CustomerInput {
            tax_id: String::new(),
            codice_fiscale: "RSSMRA80A01H501U".into(),
            codice_destinatario: "0000000".into(),
            ..officina()
        };
        let consumer = consumer.validate().expect("valid");
        assert_eq!(consumer.sdi.codice_destinatario, None);
        assert_eq!(consumer.sdi.destinatario().as_str(), "0000000");

        let both = CustomerInput {
            pec: "bianchi@pec.it".into(),
            ..officina()
        };
        assert_eq!(
            both.validate().unwrap_err(),
            [FieldError::new(
                "pec",
                Problem::Fiscal(FiscalProblem::PecWithCode)
            )]
        );
        let nobody = CustomerInput {
            tax_id: String::new(),
            ..officina()
        };
        assert_eq!(
            nobody.validate().unwrap_err(),
            [FieldError::new(
                "codice_fiscale",
                Problem::Fiscal(FiscalProblem::RecipientUnidentified)
            )]
        );
        let mistyped = CustomerInput {
            tax_id: "01234567898".into(),
            codice_fiscale: "RSSMRA80A01H501X".into(),
            codice_destinatario: "ABC".into(),
            ..officina()
        };
        let fields: Vec<String> = mistyped
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|error| error.field)
            .collect();
        assert_eq!(fields, ["codice_fiscale", "codice_destinatario", "tax_id"]);
    }

    #[test]
    fn a_customer_without_italian_fields_may_have_any_tax_id() {
        assert!(maria().validate().expect("valid").sdi == SdiRecipient::default());
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
            ..CustomerInput::default()
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
