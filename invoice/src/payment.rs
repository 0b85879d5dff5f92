//! Payments recorded against an issued invoice.

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::problem::{optional_text, FieldError, Problem};
use crate::{Currency, Language, Money};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentMethod {
    BankTransfer,
    Card,
    Cash,
    Cheque,
    Other,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 5] = [
        PaymentMethod::BankTransfer,
        PaymentMethod::Card,
        PaymentMethod::Cash,
        PaymentMethod::Cheque,
        PaymentMethod::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Card => "card",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|method| method.code() == code)
    }

    pub fn label(self, language: Language) -> &'static str {
        use PaymentMethod::*;
        match (language, self) {
            (Language::En, BankTransfer) => "Bank transfer",
            (Language::En, Card) => "Card",
            (Language::En, Cash) => "Cash",
            (Language::En, Cheque) => "Cheque",
            (Language::En, Other) => "Other",
            (Language::It, BankTransfer) => "Bonifico",
            (Language::It, Card) => "Carta",
            (Language::It, Cash) => "Contanti",
            (Language::It, Cheque) => "Assegno",
            (Language::It, Other) => "Altro",
            (Language::Es, BankTransfer) => "Transferencia",
            (Language::Es, Card) => "Tarjeta",
            (Language::Es, Cash) => "Efectivo",
            (Language::Es, Cheque) => "Cheque",
            (Language::Es, Other) => "Otro",
        }
    }
}

/// A payment as typed in the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentInput {
    pub amount: String,
    pub date: String,
    pub method: String,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidPayment {
    pub amount: Money,
    pub date: Date,
    pub method: PaymentMethod,
    pub reference: String,
}

impl PaymentInput {
    /// Checks the payment against what is still due on the invoice.
    pub fn validate(
        &self,
        currency: Currency,
        amount_due_minor: i64,
    ) -> Result<ValidPayment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let amount = match Money::parse(&self.amount, currency) {
            Err(_) => Err(Problem::InvalidAmount),
            Ok(_) if amount_due_minor <= 0 => Err(Problem::NothingDue),
            Ok(amount) if amount.minor <= 0 => Err(Problem::AmountNotPositive),
            Ok(amount) if amount.minor > amount_due_minor => Err(Problem::PaymentExceedsDue {
                due_minor: amount_due_minor,
                currency,
            }),
            Ok(amount) => Ok(amount),
        }
        .map_err(|problem| errors.push(FieldError::new("amount", problem)))
        .ok();
        let date = match self.date.trim() {
            "" => Err(Problem::Required),
            text => Date::parse(text).map_err(|_| Problem::InvalidDate),
        }
        .map_err(|problem| errors.push(FieldError::new("date", problem)))
        .ok();
        let method = PaymentMethod::parse(self.method.trim());
        if method.is_none() {
            errors.push(FieldError::new("method", Problem::ChooseMethod));
        }
        let reference = optional_text("reference", &self.reference, 200, &mut errors);
        match (amount, date, method) {
            (Some(amount), Some(date), Some(method)) if errors.is_empty() => Ok(ValidPayment {
                amount,
                date,
                method,
                reference: reference.unwrap_or_default(),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(amount: &str) -> PaymentInput {
        PaymentInput {
            amount: amount.into(),
            date: "2026-11-20".into(),
            method: "bank_transfer".into(),
            reference: "CRO 1234".into(),
        }
    }

    #[test]
    fn a_partial_payment_is_accepted() {
        let payment = input("100,50")
            .validate(Currency::Eur, 29_900)
            .expect("valid");
        assert_eq!(payment.amount.minor, 10_050);
        assert_eq!(payment.method, PaymentMethod::BankTransfer);
    }

    #[test]
    fn a_payment_larger_than_the_amount_due_is_refused() {
        let errors = input("300").validate(Currency::Eur, 29_900).unwrap_err();
        assert_eq!(
            errors,
            [FieldError::new(
                "amount",
                Problem::PaymentExceedsDue {
                    due_minor: 29_900,
                    currency: Currency::Eur
                }
            )]
        );
    }

    #[test]
    fn zero_negative_and_unparseable_amounts_and_bad_fields_are_refused() {
        for (amount, problem) in [
            ("0", Problem::AmountNotPositive),
            ("-5", Problem::AmountNotPositive),
            ("abc", Problem::InvalidAmount),
        ] {
            let errors = input(amount).validate(Currency::Eur, 1_000).unwrap_err();
            assert_eq!(errors, [FieldError::new("amount", problem)], "{amount}");
        }
        let bad = PaymentInput {
            amount: "1".into(),
            date: "yesterday".into(),
            method: "bitcoin".into(),
            reference: "x".repeat(201),
        };
        let fields: Vec<String> = bad
            .validate(Currency::Eur, 1_000)
            .unwrap_err()
            .into_iter()
            .map(|error| error.field)
            .collect();
        assert_eq!(fields, ["date", "method", "reference"]);
        let errors = input("1").validate(Currency::Eur, 0).unwrap_err();
        assert_eq!(errors, [FieldError::new("amount", Problem::NothingDue)]);
    }
}
