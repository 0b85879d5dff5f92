//! A store: who sells, how its invoices are numbered, and how they are
//! emailed.

use serde::{Deserialize, Serialize};

use crate::document::{DocumentLayout, EmailAddress, Party};
use crate::email::{MAX_MESSAGE, MAX_SUBJECT};
use crate::italy::{
    Address, CodiceFiscale, FiscalProblem, Iban, ItalianSeller, PartitaIva, RegimeFiscale,
};
use crate::problem::{address_lines, optional_text, required_text, FieldError, Problem};
use crate::spain::{Nif, SpanishProblem, SpanishSeller};
use crate::time_zone::TimeZone;
use crate::{Currency, Language};

/// The numbering pattern of a store's invoices: `{YYYY}` (year), `{YY}`
/// (year, two digits) and one `{N…}` whose N's give the zero-padded width.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberFormat(String);

enum Piece<'a> {
    Text(&'a str),
    Year,
    ShortYear,
    Sequence(usize),
}

fn pieces(pattern: &str) -> Option<Vec<Piece<'_>>> {
    let mut pieces = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return None;
        }
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let close = rest[open..].find('}')? + open;
        pieces.push(match &rest[open + 1..close] {
            "YYYY" => Piece::Year,
            "YY" => Piece::ShortYear,
            ns if !ns.is_empty() && ns.len() <= 9 && ns.chars().all(|c| c == 'N') => {
                Piece::Sequence(ns.len())
            }
            _ => return None,
        });
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Some(pieces)
}

impl NumberFormat {
    pub fn parse(text: &str) -> Result<Self, Problem> {
        let text = text.trim();
        let valid = text.chars().count() <= 30
            && text.chars().all(|c| !c.is_control())
            && pieces(text).is_some_and(|pieces| {
                pieces
                    .iter()
                    .filter(|piece| matches!(piece, Piece::Sequence(_)))
                    .count()
                    == 1
            });
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(Problem::InvalidNumberFormat)
        }
    }

    /// The number of the `sequence`-th invoice of `year`.
    pub fn format(&self, year: i32, sequence: i64) -> String {
        pieces(&self.0)
            .unwrap_or_default()
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.to_owned(),
                Piece::Year => format!("{year:04}"),
                Piece::ShortYear => format!("{:02}", year.rem_euclid(100)),
                Piece::Sequence(width) => format!("{sequence:0width$}"),
            })
            .collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether numbering starts again each year. A pattern without the year
    /// must not: `A{NNNN}` would repeat last year's numbers in January.
    pub fn restarts_each_year(&self) -> bool {
        pieces(&self.0).is_some_and(|pieces| {
            pieces
                .iter()
                .any(|piece| matches!(piece, Piece::Year | Piece::ShortYear))
        })
    }
}

impl Default for NumberFormat {
    fn default() -> Self {
        Self("{YYYY}-{NNNN}".into())
    }
}

/// The most addresses in one list (copies, failure notices).
pub const MAX_ADDRESSES: usize = 20;

/// Addresses separated by `;` (or `,` or new lines), each checked, without
/// repeats. The error names the first bad address.
pub fn parse_address_list(text: &str) -> Result<Vec<EmailAddress>, Problem> {
    let mut addresses: Vec<EmailAddress> = Vec::new();
    for part in text
        .split([';', ',', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let address = EmailAddress::parse(part).map_err(|_| Problem::InvalidAddressInList {
            address: part.to_owned(),
        })?;
        if !addresses
            .iter()
            .any(|known| known.as_str().eq_ignore_ascii_case(address.as_str()))
        {
            addresses.push(address);
        }
    }
    if addresses.len() > MAX_ADDRESSES {
        return Err(Problem::TooManyAddresses { max: MAX_ADDRESSES });
    }
    Ok(addresses)
}

/// How far from the due date a reminder step may fall, in days.
pub const REMINDER_DAYS: std::ops::RangeInclusive<i32> = -60..=365;

/// Reminder days relative to the due date (negative: before), sorted and
/// without repeats; empty text means no reminders.
pub fn parse_reminder_schedule(text: &str) -> Result<Vec<i32>, Problem> {
    let mut days = Vec::new();
    for entry in text
        .split([',', ';'])
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        match entry.trim_start_matches('+').parse::<i32>() {
            Ok(day) if REMINDER_DAYS.contains(&day) => days.push(day),
            _ => {
                return Err(Problem::InvalidReminderSchedule {
                    entry: entry.to_owned(),
                })
            }
        }
    }
    days.sort_unstable();
    days.dedup();
    Ok(days)
}

/// A subject template or subject: one line, at most [`MAX_SUBJECT`] characters.
pub fn subject_text(text: &str) -> Result<String, Problem> {
    match text.trim() {
        subject if subject.contains(['\r', '\n']) => Err(Problem::HeaderInjection),
        subject if subject.chars().count() > MAX_SUBJECT => {
            Err(Problem::TooLong { max: MAX_SUBJECT })
        }
        subject => Ok(subject.to_owned()),
    }
}

/// A message template or message, with Unix line ends.
pub fn message_text(text: &str) -> Result<String, Problem> {
    match text.trim().replace("\r\n", "\n") {
        message if message.chars().count() > MAX_MESSAGE => {
            Err(Problem::TooLong { max: MAX_MESSAGE })
        }
        message => Ok(message),
    }
}

/// A store's settings as typed in the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreInput {
    pub name: String,
    pub address: String,
    pub tax_id: String,
    pub currency: String,
    pub language: String,
    /// An IANA name; empty: the zone of the store's language.
    pub time_zone: String,
    pub number_format: String,
    pub email_enabled: bool,
    pub reply_to: String,
    pub copies_to: String,
    pub failure_notify: String,
    pub email_template: String,
    pub print_template: String,
    pub email_subject: String,
    pub email_message: String,
    pub reminder_subject: String,
    pub reminder_message: String,
    pub attach_pdf: bool,
    pub reminder_schedule: String,
    /// Issue Italian electronic invoices (FatturaPA, through SdI).
    pub e_invoicing: bool,
    pub regime_fiscale: String,
    pub codice_fiscale: String,
    pub iban: String,
    pub legal_reference: String,
    /// Keep VERI*FACTU records and send them to the AEAT (Spain).
    pub verifactu: bool,
    /// The store's nombre o razón social, as the AEAT knows it.
    pub legal_name: String,
    /// The VAT rate a new invoice line starts at, in percent; empty: the
    /// usual rate of the store's country.
    pub default_tax_rate: String,
}

// Settings saved before a field existed read it as its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreSettings {
    pub name: String,
    pub address: Vec<String>,
    pub tax_id: Option<String>,
    pub currency: Currency,
    /// The language of documents for customers who have none set.
    pub language: Language,
    /// Where the merchant's times are shown: the admin, the emails, and the
    /// customer's page until the browser puts them in the reader's own zone.
    pub time_zone: TimeZone,
    pub number_format: NumberFormat,
    /// Whether invoices may be emailed from this store at all.
    pub email_enabled: bool,
    pub reply_to: Option<EmailAddress>,
    /// Each gets its own copy, with its own link.
    pub copies_to: Vec<EmailAddress>,
    /// Told when an email fails, besides the user who issued the invoice.
    pub failure_notify: Vec<EmailAddress>,
    pub email_template: DocumentLayout,
    pub print_template: DocumentLayout,
    /// Empty: Invio's wording in the customer's language.
    pub email_subject: String,
    pub email_message: String,
    pub reminder_subject: String,
    pub reminder_message: String,
    /// Attach the PDF (in `email_template`'s layout) besides the link.
    pub attach_pdf: bool,
    pub reminder_schedule: Vec<i32>,
    /// Set when the store issues Italian electronic invoices.
    pub italy: Option<ItalianSeller>,
    /// Set when the store keeps VERI*FACTU records.
    pub spain: Option<SpanishSeller>,
    /// The VAT rate a new invoice line starts at (basis points), when the
    /// merchant chose one; see [`StoreSettings::new_line_tax_rate_bp`].
    pub default_tax_rate_bp: Option<i64>,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            name: "My store".into(),
            address: Vec::new(),
            tax_id: None,
            currency: Currency::Eur,
            language: Language::En,
            time_zone: TimeZone::default_for(Language::En),
            number_format: NumberFormat::default(),
            email_enabled: true,
            reply_to: None,
            copies_to: Vec::new(),
            failure_notify: Vec::new(),
            email_template: DocumentLayout::A4,
            print_template: DocumentLayout::A4,
            email_subject: String::new(),
            email_message: String::new(),
            reminder_subject: String::new(),
            reminder_message: String::new(),
            attach_pdf: false,
            reminder_schedule: Vec::new(),
            italy: None,
            spain: None,
            default_tax_rate_bp: None,
        }
    }
}

impl StoreSettings {
    /// Whether issuing an invoice emails it at once: the store sends by
    /// email and the customer asked for it.
    pub fn sends_on_issue(&self, customer_email_invoices: bool) -> bool {
        self.email_enabled && customer_email_invoices
    }

    /// The VAT rate a new invoice line starts at: the one the merchant
    /// chose, else the standard rate of the store's country: 22 % in Italy
    /// (DPR 633/72, art. 16), 21 % in Spain (Ley 37/1992, art. 90). A store
    /// that is neither an Italian nor a Spanish issuer is judged by its
    /// language, and an English one keeps the 22 % Invio always started at.
    pub fn new_line_tax_rate_bp(&self) -> i64 {
        match (self.default_tax_rate_bp, &self.italy, &self.spain) {
            (Some(rate), _, _) => rate,
            (None, Some(_), _) => ITALIAN_STANDARD_RATE_BP,
            (None, None, Some(_)) => SPANISH_STANDARD_RATE_BP,
            (None, None, None) if self.language == Language::Es => SPANISH_STANDARD_RATE_BP,
            (None, None, None) => ITALIAN_STANDARD_RATE_BP,
        }
    }

    /// The subject and message templates the store keeps for `purpose`
    /// (empty: Invio's wording in the customer's language).
    pub fn templates(&self, purpose: crate::email::EmailPurpose) -> (&str, &str) {
        match purpose {
            crate::email::EmailPurpose::Invoice => (&self.email_subject, &self.email_message),
            crate::email::EmailPurpose::Reminder => {
                (&self.reminder_subject, &self.reminder_message)
            }
        }
    }
}

/// Italy's standard VAT rate, 22 %.
const ITALIAN_STANDARD_RATE_BP: i64 = 2200;
/// Spain's general VAT rate, 21 %.
const SPANISH_STANDARD_RATE_BP: i64 = 2100;

fn join(addresses: &[EmailAddress]) -> String {
    addresses
        .iter()
        .map(EmailAddress::as_str)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Keeps the value, or records the problem beside its field.
fn check<T>(errors: &mut Vec<FieldError>, field: &str, result: Result<T, Problem>) -> Option<T> {
    result
        .map_err(|problem| errors.push(FieldError::new(field, problem)))
        .ok()
}

impl StoreInput {
    /// Checks every field and reports every problem at once.
    pub fn validate(&self) -> Result<StoreSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let currency = check(
            &mut errors,
            "currency",
            Currency::parse(&self.currency).map_err(|_| Problem::UnknownCurrency),
        );
        let language = check(
            &mut errors,
            "language",
            Language::parse(self.language.trim()).ok_or(Problem::ChooseLanguage),
        );
        let time_zone = check(
            &mut errors,
            "time_zone",
            match (self.time_zone.trim(), language) {
                ("", Some(language)) => Ok(TimeZone::default_for(language)),
                ("", None) => Ok(TimeZone::UTC),
                (name, _) => TimeZone::parse(name).ok_or_else(|| Problem::UnknownTimeZone {
                    name: name.chars().take(64).collect(),
                }),
            },
        );
        let number_format = check(
            &mut errors,
            "number_format",
            NumberFormat::parse(&self.number_format),
        );
        let reply_to = check(
            &mut errors,
            "reply_to",
            match self.reply_to.trim() {
                "" => Ok(None),
                text => EmailAddress::parse(text).map(Some),
            },
        );
        let copies_to = check(
            &mut errors,
            "copies_to",
            parse_address_list(&self.copies_to),
        );
        let failure_notify = check(
            &mut errors,
            "failure_notify",
            parse_address_list(&self.failure_notify),
        );
        let email_template = check(
            &mut errors,
            "email_template",
            DocumentLayout::parse(self.email_template.trim()).ok_or(Problem::ChooseLayout),
        );
        let print_template = check(
            &mut errors,
            "print_template",
            DocumentLayout::parse(self.print_template.trim()).ok_or(Problem::ChooseLayout),
        );
        let email_subject = check(
            &mut errors,
            "email_subject",
            subject_text(&self.email_subject),
        );
        let email_message = check(
            &mut errors,
            "email_message",
            message_text(&self.email_message),
        );
        let reminder_subject = check(
            &mut errors,
            "reminder_subject",
            subject_text(&self.reminder_subject),
        );
        let reminder_message = check(
            &mut errors,
            "reminder_message",
            message_text(&self.reminder_message),
        );
        let reminder_schedule = check(
            &mut errors,
            "reminder_schedule",
            parse_reminder_schedule(&self.reminder_schedule),
        );
        let name = required_text("name", &self.name, 200, &mut errors);
        let address = address_lines("address", &self.address, &mut errors);
        let tax_id = optional_text("tax_id", &self.tax_id, 40, &mut errors);
        let italy = self.italian_seller(tax_id.as_deref(), &address, currency, &mut errors);
        let spain = self.spanish_seller(tax_id.as_deref(), &name, currency, &mut errors);
        let default_tax_rate_bp = match self.default_tax_rate.trim() {
            "" => None,
            text => check(
                &mut errors,
                "default_tax_rate",
                crate::document::parse_tax_rate(text),
            ),
        };
        match (
            currency,
            language,
            time_zone,
            number_format,
            reply_to,
            copies_to,
            failure_notify,
            email_template,
            print_template,
            email_subject,
            email_message,
            reminder_subject,
            reminder_message,
            reminder_schedule,
        ) {
            (
                Some(currency),
                Some(language),
                Some(time_zone),
                Some(number_format),
                Some(reply_to),
                Some(copies_to),
                Some(failure_notify),
                Some(email_template),
                Some(print_template),
                Some(email_subject),
                Some(email_message),
                Some(reminder_subject),
                Some(reminder_message),
                Some(reminder_schedule),
            ) if errors.is_empty() => Ok(StoreSettings {
                name,
                address,
                tax_id,
                currency,
                language,
                time_zone,
                number_format,
                email_enabled: self.email_enabled,
                reply_to,
                copies_to,
                failure_notify,
                email_template,
                print_template,
                email_subject,
                email_message,
                reminder_subject,
                reminder_message,
                attach_pdf: self.attach_pdf,
                reminder_schedule,
                italy,
                spain,
                default_tax_rate_bp,
            }),
            _ => Err(errors),
        }
    }

    /// The store's Italian fiscal data, checked as the Agenzia delle Entrate
    /// checks it, when the store issues electronic invoices: its tax id is
    /// then its partita IVA, its address the registered office, its currency
    /// the euro.
    fn italian_seller(
        &self,
        tax_id: Option<&str>,
        address: &[String],
        currency: Option<Currency>,
        errors: &mut Vec<FieldError>,
    ) -> Option<ItalianSeller> {
        if !self.e_invoicing {
            return None;
        }
        let mut fiscal =
            |field: &str, problem| errors.push(FieldError::new(field, Problem::Fiscal(problem)));
        let partita_iva = tax_id
            .ok_or(FiscalProblem::SellerPartitaIvaMissing)
            .and_then(PartitaIva::parse)
            .map_err(|problem| fiscal("tax_id", problem))
            .ok();
        let regime = RegimeFiscale::parse(&self.regime_fiscale)
            .map_err(|problem| fiscal("regime_fiscale", problem))
            .ok();
        let codice_fiscale = match self.codice_fiscale.trim() {
            "" => Ok(None),
            text => CodiceFiscale::parse(text).map(Some),
        }
        .map_err(|problem| fiscal("codice_fiscale", problem))
        .ok();
        let iban = match self.iban.trim() {
            "" => Ok(None),
            text => Iban::parse(text).map(Some),
        }
        .map_err(|problem| fiscal("iban", problem))
        .ok();
        let sede = Address::parse_italian(address)
            .map_err(|problem| fiscal("address", problem))
            .ok();
        if currency.is_some_and(|currency| currency != Currency::Eur) {
            fiscal("currency", FiscalProblem::NotEuro);
        }
        let legal_reference = self.legal_reference.trim().to_owned();
        if legal_reference.chars().count() > 100 {
            errors.push(FieldError::new(
                "legal_reference",
                Problem::TooLong { max: 100 },
            ));
        }
        Some(ItalianSeller {
            partita_iva: partita_iva?,
            codice_fiscale: codice_fiscale?,
            regime: regime?,
            sede: sede?,
            iban: iban?,
            legal_reference,
        })
    }
}

impl StoreInput {
    /// The store's data for VERI*FACTU when it keeps the records: its tax
    /// id is then its NIF, its currency the euro, and its legal name the
    /// store's name unless given.
    fn spanish_seller(
        &self,
        tax_id: Option<&str>,
        name: &str,
        currency: Option<Currency>,
        errors: &mut Vec<FieldError>,
    ) -> Option<SpanishSeller> {
        if !self.verifactu {
            return None;
        }
        let mut spanish =
            |field: &str, problem| errors.push(FieldError::new(field, Problem::Spanish(problem)));
        if self.e_invoicing {
            spanish("verifactu", SpanishProblem::TwoCountries);
        }
        let nif = tax_id
            .ok_or(SpanishProblem::SellerNifMissing)
            .and_then(Nif::parse)
            .map_err(|problem| spanish("tax_id", problem))
            .ok();
        if currency.is_some_and(|currency| currency != Currency::Eur) {
            spanish("currency", SpanishProblem::NotEuro);
        }
        let legal_name = match self.legal_name.trim() {
            "" => name.to_owned(),
            text => text.to_owned(),
        };
        // The AEAT's NombreRazon holds 120 characters.
        if legal_name.chars().count() > 120 {
            errors.push(FieldError::new("legal_name", Problem::TooLong { max: 120 }));
        }
        Some(SpanishSeller {
            nif: nif?,
            legal_name,
        })
    }
}

impl StoreSettings {
    pub fn to_input(&self) -> StoreInput {
        StoreInput {
            name: self.name.clone(),
            address: self.address.join("\n"),
            tax_id: self.tax_id.clone().unwrap_or_default(),
            currency: self.currency.code().to_owned(),
            language: self.language.code().to_owned(),
            time_zone: self.time_zone.name().to_owned(),
            number_format: self.number_format.as_str().to_owned(),
            email_enabled: self.email_enabled,
            reply_to: self
                .reply_to
                .as_ref()
                .map(|address| address.as_str().to_owned())
                .unwrap_or_default(),
            copies_to: join(&self.copies_to),
            failure_notify: join(&self.failure_notify),
            email_template: self.email_template.code().to_owned(),
            print_template: self.print_template.code().to_owned(),
            email_subject: self.email_subject.clone(),
            email_message: self.email_message.clone(),
            reminder_subject: self.reminder_subject.clone(),
            reminder_message: self.reminder_message.clone(),
            attach_pdf: self.attach_pdf,
            reminder_schedule: self
                .reminder_schedule
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            e_invoicing: self.italy.is_some(),
            regime_fiscale: self
                .italy
                .as_ref()
                .map(|italy| italy.regime.code())
                .unwrap_or_default(),
            codice_fiscale: self
                .italy
                .as_ref()
                .and_then(|italy| italy.codice_fiscale.as_ref())
                .map(|code| code.as_str().to_owned())
                .unwrap_or_default(),
            iban: self
                .italy
                .as_ref()
                .and_then(|italy| italy.iban.as_ref())
                .map(|iban| iban.as_str().to_owned())
                .unwrap_or_default(),
            legal_reference: self
                .italy
                .as_ref()
                .map(|italy| italy.legal_reference.clone())
                .unwrap_or_default(),
            verifactu: self.spain.is_some(),
            legal_name: self
                .spain
                .as_ref()
                .map(|spain| spain.legal_name.clone())
                .unwrap_or_default(),
            default_tax_rate: self
                .default_tax_rate_bp
                .map(|rate| {
                    crate::document::format_tax_rate(rate, Language::En)
                        .trim_end_matches('%')
                        .to_owned()
                })
                .unwrap_or_default(),
        }
    }

    /// The store as an invoice names the seller.
    pub fn seller(&self) -> Party {
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
    use proptest::prelude::*;

    #[test]
    fn numbers_follow_the_stores_pattern() {
        let format = NumberFormat::parse("FT/{YY}/{NNN}").expect("valid");
        assert_eq!(format.format(2026, 7), "FT/26/007");
        assert_eq!(format.format(2026, 1234), "FT/26/1234");
        assert_eq!(NumberFormat::default().format(2026, 1), "2026-0001");
        assert_eq!(
            NumberFormat::parse("A{N}").expect("valid").format(2026, 42),
            "A42"
        );
    }

    #[test]
    fn only_patterns_with_the_year_restart_each_year() {
        assert!(NumberFormat::default().restarts_each_year());
        assert!(NumberFormat::parse("FT/{YY}/{NNN}")
            .expect("valid")
            .restarts_each_year());
        assert!(!NumberFormat::parse("A{NNNNNN}")
            .expect("valid")
            .restarts_each_year());
    }

    #[test]
    fn patterns_without_exactly_one_sequence_or_with_stray_braces_are_refused() {
        for bad in [
            "{YYYY}",
            "{N}-{N}",
            "{X}",
            "FT{",
            "FT}{N}",
            "{NNNNNNNNNN}",
            &"x".repeat(31),
        ] {
            assert_eq!(
                NumberFormat::parse(bad),
                Err(Problem::InvalidNumberFormat),
                "{bad}"
            );
        }
    }

    #[test]
    fn address_lists_are_split_deduplicated_and_name_the_bad_address() {
        let list = parse_address_list("a@x.it; B@x.it,\n b@X.it ;").expect("valid");
        assert_eq!(
            list.iter().map(EmailAddress::as_str).collect::<Vec<_>>(),
            ["a@x.it", "B@x.it"]
        );
        assert_eq!(
            parse_address_list("a@x.it; nope"),
            Err(Problem::InvalidAddressInList {
                address: "nope".into()
            })
        );
        assert_eq!(parse_address_list(""), Ok(Vec::new()));
    }

    #[test]
    fn reminder_schedules_are_sorted_days_around_the_due_date() {
        assert_eq!(
            parse_reminder_schedule("14, -3; 7, +7"),
            Ok(vec![-3, 7, 14])
        );
        assert_eq!(parse_reminder_schedule(" "), Ok(Vec::new()));
        assert_eq!(
            parse_reminder_schedule("3, soon"),
            Err(Problem::InvalidReminderSchedule {
                entry: "soon".into()
            })
        );
        assert!(parse_reminder_schedule("400").is_err());
    }

    #[test]
    fn default_settings_round_trip_through_the_form() {
        let settings = StoreSettings::default();
        assert_eq!(settings.to_input().validate(), Ok(settings));
    }

    #[test]
    fn every_bad_setting_is_reported_beside_its_field() {
        let input = StoreInput {
            name: String::new(),
            currency: "XYZ".into(),
            time_zone: "Mars/Olympus_Mons".into(),
            reply_to: "reply@".into(),
            copies_to: "ok@x.it; bad".into(),
            email_subject: "Invoice\r\nBcc: victim@example.com".into(),
            reminder_schedule: "never".into(),
            ..StoreSettings::default().to_input()
        };
        let fields: Vec<String> = input
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "currency",
                "time_zone",
                "reply_to",
                "copies_to",
                "email_subject",
                "reminder_schedule",
                "name"
            ]
        );
    }

    #[test]
    fn a_store_without_a_zone_takes_its_languages_and_an_unknown_zone_is_refused() {
        let italian = StoreInput {
            language: "it".into(),
            time_zone: String::new(),
            ..StoreSettings::default().to_input()
        };
        assert_eq!(
            italian.validate().map(|store| store.time_zone.name()),
            Ok("Europe/Rome")
        );
        let chosen = StoreInput {
            time_zone: "America/New_York".into(),
            ..italian.clone()
        };
        assert_eq!(
            chosen.validate().map(|store| store.time_zone.name()),
            Ok("America/New_York")
        );
        let unknown = StoreInput {
            time_zone: "Europe/Atlantis".into(),
            ..italian
        };
        assert_eq!(
            unknown.validate(),
            Err(vec![FieldError::new(
                "time_zone",
                Problem::UnknownTimeZone {
                    name: "Europe/Atlantis".into()
                }
            )])
        );
    }

    proptest! {
        #[test]
        fn distinct_sequences_in_a_year_give_distinct_numbers(a in 1..1_000_000_i64, b in 1..1_000_000_i64, width in 1..6_usize) {
            let format = NumberFormat::parse(&format!("F{{YY}}-{{{}}}", "N".repeat(width))).expect("valid");
            prop_assert_eq!(format.format(2026, a) == format.format(2026, b), a == b);
        }
    }

    fn taller() -> StoreInput {
        StoreInput {
            name: "Taller Ruiz".into(),
            address: "Calle Mayor 5\n28013 Madrid".into(),
            tax_id: "ES 89890001K".into(),
            currency: "EUR".into(),
            language: "es".into(),
            number_format: "{YYYY}-{NNNN}".into(),
            email_template: "a4".into(),
            print_template: "receipt".into(),
            verifactu: true,
            ..StoreInput::default()
        }
    }

    #[test]
    fn a_spanish_store_keeping_verifactu_records_has_its_nif_and_legal_name() {
        let settings = taller().validate().expect("valid");
        let spain = settings.spain.clone().expect("spanish data");
        assert_eq!(spain.nif.as_str(), "89890001K");
        assert_eq!(spain.legal_name, "Taller Ruiz");
        let named = StoreInput {
            legal_name: "Talleres Ruiz S.L.".into(),
            ..taller()
        };
        let settings = named.validate().expect("valid");
        assert_eq!(settings.to_input().legal_name, "Talleres Ruiz S.L.");
        assert!(settings.to_input().verifactu);
    }

    #[test]
    fn a_new_line_starts_at_the_rate_the_merchant_chose_else_the_country_s_standard_one() {
        let spanish = taller().validate().expect("valid");
        assert_eq!(spanish.new_line_tax_rate_bp(), 2100);
        let reduced = StoreInput {
            default_tax_rate: "10".into(),
            ..taller()
        }
        .validate()
        .expect("valid");
        assert_eq!(reduced.new_line_tax_rate_bp(), 1000);
        assert_eq!(reduced.to_input().default_tax_rate, "10");
        let italian = StoreSettings {
            language: Language::It,
            ..StoreSettings::default()
        };
        assert_eq!(italian.new_line_tax_rate_bp(), 2200);
        let refused = StoreInput {
            default_tax_rate: "121".into(),
            ..taller()
        }
        .validate();
        assert_eq!(
            refused,
            Err(vec![FieldError::new(
                "default_tax_rate",
                Problem::InvalidTaxRate
            )])
        );
    }

    #[test]
    fn a_verifactu_store_without_a_valid_nif_in_euro_is_refused_beside_each_field() {
        let wrong = StoreInput {
            tax_id: "89890001A".into(),
            currency: "USD".into(),
            ..taller()
        };
        assert_eq!(
            wrong.validate(),
            Err(vec![
                FieldError::new("tax_id", Problem::Spanish(SpanishProblem::NifCheckLetter)),
                FieldError::new("currency", Problem::Spanish(SpanishProblem::NotEuro)),
            ])
        );
        let missing = StoreInput {
            tax_id: String::new(),
            ..taller()
        };
        assert_eq!(
            missing.validate(),
            Err(vec![FieldError::new(
                "tax_id",
                Problem::Spanish(SpanishProblem::SellerNifMissing)
            )])
        );
    }

    #[test]
    fn a_store_is_not_both_italian_and_spanish() {
        let both = StoreInput {
            verifactu: true,
            ..bottega()
        };
        let errors = both.validate().expect_err("refused");
        assert!(errors.contains(&FieldError::new(
            "verifactu",
            Problem::Spanish(SpanishProblem::TwoCountries)
        )));
    }

    fn bottega() -> StoreInput {
        StoreInput {
            name: "Bottega Rossi".into(),
            address: "Via Roma 12\n00184 Roma RM".into(),
            tax_id: "IT06363391001".into(),
            currency: "EUR".into(),
            language: "it".into(),
            number_format: "{YYYY}-{NNNN}".into(),
            email_template: "a4".into(),
            print_template: "a4".into(),
            e_invoicing: true,
            regime_fiscale: "RF19".into(),
            iban: "IT60 X054 2811 1010 0000 0123 456".into(),
            ..StoreInput::default()
        }
    }

    #[test]
    fn an_italian_store_issuing_electronic_invoices_has_checked_fiscal_data() {
        let settings = bottega().validate().expect("valid");
        let italy = settings.italy.clone().expect("italian data");
        assert_eq!(italy.partita_iva.as_str(), "06363391001");
        assert_eq!(italy.regime, RegimeFiscale::FORFETTARIO);
        assert_eq!(italy.sede.cap, "00184");
        assert_eq!(italy.sede.provincia.as_deref(), Some("RM"));
        assert_eq!(
            italy.iban.as_ref().map(Iban::as_str),
            Some("IT60X0542811101000000123456")
        );
        assert_eq!(
            italy.legal_reference().as_deref(),
            Some(crate::italy::FORFETTARIO_REFERENCE)
        );
        assert_eq!(settings.to_input().validate(), Ok(settings));
    }

    #[test]
    fn each_missing_or_wrong_fiscal_field_is_named_beside_itself() {
        let wrong = StoreInput {
            tax_id: String::new(),
            regime_fiscale: "RF03".into(),
            codice_fiscale: "RSSMRA80A01H501X".into(),
            iban: "IT61X0542811101000000123456".into(),
            address: "Via Roma 12\nRoma".into(),
            currency: "USD".into(),
            ..bottega()
        };
        let fiscal = |field: &str, problem| FieldError::new(field, Problem::Fiscal(problem));
        let errors = wrong.validate().expect_err("refused");
        for expected in [
            fiscal("tax_id", FiscalProblem::SellerPartitaIvaMissing),
            fiscal("regime_fiscale", FiscalProblem::UnknownRegimeFiscale),
            fiscal("codice_fiscale", FiscalProblem::CodiceFiscaleCheckLetter),
            fiscal("iban", FiscalProblem::IbanCheck),
            fiscal("address", FiscalProblem::AddressShape),
            fiscal("currency", FiscalProblem::NotEuro),
        ] {
            assert!(errors.contains(&expected), "{expected:?} in {errors:?}");
        }
        let not_italian = StoreInput {
            e_invoicing: false,
            ..wrong
        };
        assert_eq!(
            not_italian.validate().map(|settings| settings.italy),
            Ok(None)
        );
    }
}
