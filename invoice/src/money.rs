//! Money as integer minor units with an ISO 4217 currency; never floats.

use serde::{Deserialize, Serialize};

use crate::i18n::Language;

/// The currencies Invio accepts. Each knows how many minor units make a major one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Eur,
    Usd,
    Gbp,
    Chf,
    Jpy,
}

impl Currency {
    pub const ALL: [Currency; 5] = [
        Currency::Eur,
        Currency::Usd,
        Currency::Gbp,
        Currency::Chf,
        Currency::Jpy,
    ];

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        Self::ALL
            .into_iter()
            .find(|currency| currency.code().eq_ignore_ascii_case(code.trim()))
            .ok_or_else(|| MoneyError::UnknownCurrency(code.trim().to_owned()))
    }

    pub fn code(self) -> &'static str {
        match self {
            Currency::Eur => "EUR",
            Currency::Usd => "USD",
            Currency::Gbp => "GBP",
            Currency::Chf => "CHF",
            Currency::Jpy => "JPY",
        }
    }

    /// Number of decimal digits of the minor unit (ISO 4217 exponent).
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            _ => 2,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Eur => "€",
            Currency::Usd => "$",
            Currency::Gbp => "£",
            Currency::Chf => "CHF",
            Currency::Jpy => "¥",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency “{0}”")]
    UnknownCurrency(String),
    #[error("“{0}” is not an amount")]
    NotAnAmount(String),
    #[error("the amount has more decimals than {0} allows")]
    TooManyDecimals(&'static str),
    #[error("the amount is too large")]
    Overflow,
}

/// An amount in minor units (cents for EUR) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Parses an amount typed by a person: `1234.5`, `1234,50`, `1.234,56` (it/es)
    /// or `1,234.56` (en). The last `.` or `,` followed by at most the currency's
    /// number of decimals is the decimal separator; the other one groups thousands.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let cleaned: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
        let not_an_amount = || MoneyError::NotAnAmount(text.trim().to_owned());
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        if digits.is_empty() {
            return Err(not_an_amount());
        }
        let exponent = currency.exponent() as usize;
        let (whole, fraction) = match digits.rfind(['.', ',']) {
            Some(at) if !is_thousands_group(digits, at) => (&digits[..at], &digits[at + 1..]),
            _ => (digits, ""),
        };
        let whole: String = whole.chars().filter(|c| *c != '.' && *c != ',').collect();
        if whole.is_empty() && fraction.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !fraction.chars().all(|c| c.is_ascii_digit())
        {
            return Err(not_an_amount());
        }
        if fraction.len() > exponent {
            return Err(MoneyError::TooManyDecimals(currency.code()));
        }
        let scale = 10_i64.pow(exponent as u32);
        let whole_minor = if whole.is_empty() {
            0
        } else {
            whole
                .parse::<i64>()
                .map_err(|_| MoneyError::Overflow)?
                .checked_mul(scale)
                .ok_or(MoneyError::Overflow)?
        };
        let fraction_minor = if fraction.is_empty() {
            0
        } else {
            fraction.parse::<i64>().map_err(|_| not_an_amount())?
                * 10_i64.pow((exponent - fraction.len()) as u32)
        };
        let minor = whole_minor
            .checked_add(fraction_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(if negative { -minor } else { minor }, currency))
    }

    /// The amount as the document's language writes it: `1.234,56 €` for it/es,
    /// `€1,234.56` for en.
    /// The amount as a form field holds it: no grouping, `.` for decimals
    /// (`1234.50`, `-3.00`, `1500` in yen).
    pub fn to_plain(self) -> String {
        let exponent = self.currency.exponent();
        let magnitude = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        if exponent == 0 {
            return format!("{sign}{magnitude}");
        }
        let scale = 10_u64.pow(exponent);
        format!(
            "{sign}{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = exponent as usize
        )
    }

    pub fn format(self, language: Language) -> String {
        let (group, decimal) = match language {
            Language::En => (',', '.'),
            Language::It | Language::Es => ('.', ','),
        };
        let number = format_number(self.minor, self.currency.exponent(), group, decimal);
        let symbol = self.currency.symbol();
        match language {
            Language::En => match number.strip_prefix('-') {
                Some(positive) => format!("-{symbol}{positive}"),
                None => format!("{symbol}{number}"),
            },
            Language::It | Language::Es => format!("{number}\u{a0}{symbol}"),
        }
    }
}

/// Whether the separator at `at` groups thousands rather than starting decimals:
/// it repeats (`1.234.567`), or it is the only separator, has exactly three
/// digits after it and a non-zero whole part before it (`1.234`, not `0,125`).
fn is_thousands_group(digits: &str, at: usize) -> bool {
    let separator = digits.as_bytes()[at] as char;
    let other = if separator == '.' { ',' } else { '.' };
    let head = &digits[..at];
    let tail = &digits[at + 1..];
    digits.matches(separator).count() > 1
        || (!head.contains(other)
            && tail.len() == 3
            && !head.is_empty()
            && head
                .trim_start_matches('0')
                .chars()
                .any(|c| c.is_ascii_digit()))
}

fn format_number(minor: i64, exponent: u32, group: char, decimal: char) -> String {
    let scale = 10_u64.pow(exponent);
    let absolute = minor.unsigned_abs();
    let whole = (absolute / scale).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3 + 8);
    if minor < 0 {
        grouped.push('-');
    }
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    if exponent > 0 {
        grouped.push(decimal);
        grouped.push_str(&format!(
            "{:0width$}",
            absolute % scale,
            width = exponent as usize
        ));
    }
    grouped
}

/// Divides rounding half away from zero, the commercial rounding used on invoices.
pub(crate) fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder.abs() * 2 >= denominator.abs() {
        quotient + numerator.signum() * denominator.signum()
    } else {
        quotient
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::Eur)
    }

    #[test]
    fn italian_and_spanish_amounts_use_dot_groups_and_comma_decimals() {
        assert_eq!(eur(123_456).format(Language::It), "1.234,56\u{a0}€");
        assert_eq!(eur(123_456).format(Language::Es), "1.234,56\u{a0}€");
    }

    #[test]
    fn english_amounts_put_the_symbol_first() {
        assert_eq!(eur(123_456).format(Language::En), "€1,234.56");
        assert_eq!(eur(-5).format(Language::En), "-€0.05");
        assert_eq!(
            Money::new(1_234_567, Currency::Jpy).format(Language::En),
            "¥1,234,567"
        );
    }

    #[test]
    fn amounts_typed_in_either_convention_parse_to_the_same_minor_units() {
        for typed in ["1234.56", "1234,56", "1.234,56", "1,234.56", " 1 234,56 "] {
            assert_eq!(
                Money::parse(typed, Currency::Eur),
                Ok(eur(123_456)),
                "{typed}"
            );
        }
        assert_eq!(Money::parse("12,5", Currency::Eur), Ok(eur(1250)));
        assert_eq!(Money::parse("1.234", Currency::Eur), Ok(eur(123_400)));
        assert_eq!(Money::parse("-3", Currency::Eur), Ok(eur(-300)));
        assert_eq!(
            Money::parse("1.234.567", Currency::Eur),
            Ok(eur(123_456_700))
        );
    }

    #[test]
    fn garbage_and_excess_precision_are_refused_with_a_reason() {
        assert!(matches!(
            Money::parse("", Currency::Eur),
            Err(MoneyError::NotAnAmount(_))
        ));
        assert!(matches!(
            Money::parse("12a", Currency::Eur),
            Err(MoneyError::NotAnAmount(_))
        ));
        assert_eq!(
            Money::parse("0,125", Currency::Eur),
            Err(MoneyError::TooManyDecimals("EUR"))
        );
        assert_eq!(
            Money::parse("1,5", Currency::Jpy),
            Err(MoneyError::TooManyDecimals("JPY"))
        );
        assert_eq!(
            Money::parse("99999999999999999999", Currency::Eur),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn unknown_currency_codes_are_refused() {
        assert_eq!(Currency::parse("eur"), Ok(Currency::Eur));
        assert_eq!(
            Currency::parse("XYZ"),
            Err(MoneyError::UnknownCurrency("XYZ".into()))
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(div_round_half_away(5, 10), 1);
        assert_eq!(div_round_half_away(-5, 10), -1);
        assert_eq!(div_round_half_away(4, 10), 0);
        assert_eq!(div_round_half_away(15, 10), 2);
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_gives_back_the_amount(minor in -10_000_000_000_i64..10_000_000_000) {
            for language in [Language::It, Language::En] {
                let typed: String = eur(minor)
                    .format(language)
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',' || *c == '-')
                    .collect();
                prop_assert_eq!(Money::parse(&typed, Currency::Eur), Ok(eur(minor)));
            }
        }
    }
}
