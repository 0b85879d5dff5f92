//! The invoice as a merchant drafts it and as a customer receives it.
//!
//! [`DraftInput::validate`] turns what a person typed into checked lines;
//! [`PublicDocument`] is the frozen document that the PDF, the email and the
//! customer's page are all rendered from.

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::i18n::Language;
use crate::italy::{FiscalProblem, Natura};
use crate::money::{div_round_half_away, Currency, Money, MoneyError};
pub use crate::problem::FieldError;
use crate::problem::{FieldError as Error, Problem};
use crate::qr::TaxAgencyCheck;
use crate::spain::{CorrectionGround, TaxTreatment};

/// Quantities carry up to three decimals, stored as thousandths.
pub const QUANTITY_SCALE: i64 = 1000;
/// Tax rates are stored in basis points: 2200 is 22 %.
pub const TAX_RATE_SCALE: i64 = 10_000;
/// The largest quantity accepted on one line (a million units).
const MAX_QUANTITY_MILLI: i64 = 1_000_000 * QUANTITY_SCALE;
/// The largest unit price accepted (ten billion major units); keeps every total inside i64.
const MAX_UNIT_PRICE_MINOR: i64 = 1_000_000_000_000;

/// One line as typed in the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInput {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub tax_rate: String,
    /// Why a 0 % line carries no VAT, for an Italian electronic invoice
    /// (`N2.2`, …); empty otherwise.
    #[serde(default)]
    pub natura: String,
    /// How a Spanish store's line is taxed (`S1`, `E1`…`E6`, `N1`, `N2`);
    /// empty otherwise.
    #[serde(default)]
    pub treatment: String,
}

impl LineInput {
    /// A line the merchant left entirely empty: skipped, not an error.
    pub fn is_blank(&self) -> bool {
        [
            &self.description,
            &self.quantity,
            &self.unit_price,
            &self.tax_rate,
            &self.natura,
            &self.treatment,
        ]
        .iter()
        .all(|field| field.trim().is_empty())
    }
}

/// A draft as typed in the form, before validation. The customer and the
/// store are chosen by id; the currency is the store's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftInput {
    pub customer_id: String,
    pub store_id: String,
    /// `YYYY-MM-DD`, or empty for "the day it is issued".
    pub issue_date: String,
    /// `YYYY-MM-DD`, or empty for none.
    pub due_date: String,
    pub notes: String,
    pub lines: Vec<LineInput>,
}

/// The most lines one invoice may have.
pub const MAX_LINES: usize = 500;
/// The longest notes accepted.
pub const MAX_NOTES_CHARS: usize = 2000;

/// A validated line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLine {
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub tax_rate_bp: i64,
    /// Why a 0 % line carries no VAT (Italian electronic invoices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub natura: Option<Natura>,
    /// How the line is taxed in Spain (a VERI*FACTU store's invoices);
    /// `None` elsewhere, and subject for a Spanish store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment: Option<TaxTreatment>,
}

impl DocumentLine {
    /// Quantity × unit price, rounded half away from zero to the minor unit.
    /// Always exact for a line that passed [`DraftInput::validate`] (bounded by
    /// MAX_QUANTITY_MILLI × MAX_UNIT_PRICE_MINOR / 1000, well inside i64); a
    /// larger one never reaches a document, since [`totals`] refuses it, and
    /// is clamped here rather than wrapped into a wrong amount.
    pub fn net_minor(&self) -> i64 {
        let net = self.net_exact();
        i64::try_from(net).unwrap_or(if net < 0 { i64::MIN } else { i64::MAX })
    }

    /// The line amount, or `None` when it does not fit in i64.
    fn checked_net_minor(&self) -> Option<i64> {
        i64::try_from(self.net_exact()).ok()
    }

    fn net_exact(&self) -> i128 {
        // The product of any two i64 fits in i128.
        let exact = i128::from(self.quantity_milli) * i128::from(self.unit_price_minor);
        div_round_half_away(exact, i128::from(QUANTITY_SCALE))
    }

    /// The line as the form shows it, so a saved draft can be edited again.
    pub fn to_input(&self, currency: Currency) -> LineInput {
        LineInput {
            description: self.description.clone(),
            quantity: format_quantity(self.quantity_milli, Language::En),
            unit_price: Money::new(self.unit_price_minor, currency).to_plain(),
            tax_rate: format_tax_rate(self.tax_rate_bp, Language::En)
                .trim_end_matches('%')
                .to_owned(),
            natura: self.natura.map(Natura::code).unwrap_or_default().to_owned(),
            treatment: self
                .treatment
                .map(TaxTreatment::code)
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// Why a line carries no VAT, as the document prints it beside the
    /// line: a Spanish line's exemption or non-subjection.
    pub fn tax_note(&self, language: Language) -> Option<&'static str> {
        self.treatment
            .and_then(|treatment| treatment.printed(language))
    }
}

/// Tax owed at one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxLine {
    pub rate_bp: i64,
    pub base: Money,
    pub tax: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal: Money,
    pub taxes: Vec<TaxLine>,
    pub total: Money,
}

/// Totals of a set of lines: tax is computed once per rate on the sum of that
/// rate's line amounts (not per line), which is how Italian and Spanish
/// invoices state VAT. Sums are done in i128; a line amount, base, tax or
/// total beyond i64 is refused as `Overflow`, never wrapped.
pub fn totals(lines: &[DocumentLine], currency: Currency) -> Result<Totals, MoneyError> {
    let mut bases: Vec<(i64, i128)> = Vec::new();
    for line in lines {
        // A line amount beyond i64 could not be shown on the invoice.
        let net = i128::from(line.checked_net_minor().ok_or(MoneyError::Overflow)?);
        match bases.iter_mut().find(|(rate, _)| *rate == line.tax_rate_bp) {
            Some((_, base)) => *base += net,
            None => bases.push((line.tax_rate_bp, net)),
        }
    }
    bases.sort_by_key(|(rate, _)| std::cmp::Reverse(*rate));
    let to_money = |minor: i128| {
        i64::try_from(minor)
            .map(|minor| Money::new(minor, currency))
            .map_err(|_| MoneyError::Overflow)
    };
    let mut taxes = Vec::with_capacity(bases.len());
    let (mut subtotal, mut tax_total) = (0_i128, 0_i128);
    for (rate_bp, base) in bases {
        // The base is refused before it is taxed: an i64 base times an i64
        // rate always fits in i128, while a larger base could overflow it.
        let base = to_money(base)?;
        let tax = to_money(div_round_half_away(
            i128::from(base.minor) * i128::from(rate_bp),
            i128::from(TAX_RATE_SCALE),
        ))?;
        subtotal += i128::from(base.minor);
        tax_total += i128::from(tax.minor);
        taxes.push(TaxLine { rate_bp, base, tax });
    }
    Ok(Totals {
        subtotal: to_money(subtotal)?,
        taxes,
        total: to_money(subtotal + tax_total)?,
    })
}

/// A draft whose every field has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDraft {
    pub customer_id: i64,
    pub store_id: i64,
    pub issue_date: Option<Date>,
    pub due_date: Option<Date>,
    pub notes: String,
    pub lines: Vec<DocumentLine>,
    pub totals: Totals,
}

fn positive_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

fn optional_date(field: &str, text: &str, errors: &mut Vec<Error>) -> Option<Date> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Date::parse(text)
        .map_err(|_| errors.push(Error::new(field, Problem::InvalidDate)))
        .ok()
}

impl DraftInput {
    /// Checks every field and reports every problem at once, so the form can
    /// show all of them beside their fields. Line errors name the line's
    /// position in the form, blank lines included.
    pub fn validate(&self, currency: Currency) -> Result<ValidDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let customer_id = positive_id(&self.customer_id);
        if customer_id.is_none() {
            errors.push(Error::new("customer_id", Problem::ChooseCustomer));
        }
        let store_id = positive_id(&self.store_id);
        if store_id.is_none() {
            errors.push(Error::new("store_id", Problem::ChooseStore));
        }
        let issue_date = optional_date("issue_date", &self.issue_date, &mut errors);
        let due_date = optional_date("due_date", &self.due_date, &mut errors);
        if let (Some(issue), Some(due)) = (issue_date, due_date) {
            if due < issue {
                errors.push(Error::new("due_date", Problem::DueBeforeIssue));
            }
        }
        let notes = self.notes.trim().to_owned();
        if notes.chars().count() > MAX_NOTES_CHARS {
            errors.push(Error::new(
                "notes",
                Problem::TooLong {
                    max: MAX_NOTES_CHARS,
                },
            ));
        }
        let filled: Vec<(usize, &LineInput)> = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, line)| !line.is_blank())
            .collect();
        if filled.is_empty() {
            errors.push(Error::new("lines", Problem::NoLines));
        } else if filled.len() > MAX_LINES {
            errors.push(Error::new(
                "lines",
                Problem::TooManyLines { max: MAX_LINES },
            ));
        }
        let lines: Vec<Option<DocumentLine>> = filled
            .iter()
            .map(|(index, line)| validate_line(*index, line, currency, &mut errors))
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let lines: Vec<DocumentLine> = lines.into_iter().flatten().collect();
        let totals = match totals(&lines, currency) {
            Ok(totals) if totals.total.minor < 0 => {
                return Err(vec![Error::new("lines", Problem::NegativeTotal)])
            }
            Ok(totals) => totals,
            Err(_) => return Err(vec![Error::new("lines", Problem::TotalTooLarge)]),
        };
        match (customer_id, store_id) {
            (Some(customer_id), Some(store_id)) => Ok(ValidDraft {
                customer_id,
                store_id,
                issue_date,
                due_date,
                notes,
                lines,
                totals,
            }),
            _ => Err(errors),
        }
    }
}

fn validate_line(
    index: usize,
    line: &LineInput,
    currency: Currency,
    errors: &mut Vec<FieldError>,
) -> Option<DocumentLine> {
    let field = |name: &str| format!("lines[{index}].{name}");
    let description = line.description.trim().to_owned();
    if description.is_empty() {
        errors.push(Error::new(field("description"), Problem::Required));
    } else if description.chars().any(char::is_control) {
        errors.push(Error::new(field("description"), Problem::HeaderInjection));
    } else if description.chars().count() > 500 {
        errors.push(Error::new(
            field("description"),
            Problem::TooLong { max: 500 },
        ));
    }
    let quantity = parse_quantity(&line.quantity)
        .map_err(|problem| errors.push(Error::new(field("quantity"), problem)))
        .ok();
    // A negative price is a discount line; the invoice total is checked apart.
    let unit_price = Money::parse(&line.unit_price, currency)
        .map_err(|error| match error {
            MoneyError::Overflow => Problem::PriceTooLarge,
            _ => Problem::InvalidPrice,
        })
        .and_then(|price| match price.minor.checked_abs() {
            Some(magnitude) if magnitude <= MAX_UNIT_PRICE_MINOR => Ok(price),
            _ => Err(Problem::PriceTooLarge),
        })
        .map_err(|problem| errors.push(Error::new(field("unit_price"), problem)))
        .ok();
    let tax_rate = parse_tax_rate(&line.tax_rate)
        .map_err(|problem| errors.push(Error::new(field("tax_rate"), problem)))
        .ok();
    let natura = match line.natura.trim() {
        "" => Ok(None),
        code => Natura::parse(code).map(Some),
    }
    .and_then(|natura| match (natura, tax_rate) {
        (Some(_), Some(rate)) if rate != 0 => Err(FiscalProblem::NaturaWithVat),
        _ => Ok(natura),
    })
    .map_err(|problem| errors.push(Error::new(field("natura"), Problem::Fiscal(problem))))
    .ok();
    // Whether the store may state it, and the rate it goes with, is the
    // store's to judge (`DraftInput::treatment_problems`).
    let treatment = match line.treatment.trim() {
        "" => Ok(None),
        code => TaxTreatment::parse(code).map(Some),
    }
    .map_err(|problem| errors.push(Error::new(field("treatment"), Problem::Spanish(problem))))
    .ok();
    Some(DocumentLine {
        description: (!description.is_empty()).then_some(description)?,
        quantity_milli: quantity?,
        unit_price_minor: unit_price?.minor,
        tax_rate_bp: tax_rate?,
        natura: natura?,
        treatment: treatment?,
    })
}

impl DraftInput {
    /// What the store says of each line's Spanish tax treatment: a store
    /// keeping VERI*FACTU records (`spanish`) needs a rate on a subject line
    /// and none on an exempt or not-subject one; another store states no
    /// treatment. Each problem is beside its line's `treatment`, named by
    /// its place in the form; lines that do not parse are left to
    /// [`DraftInput::validate`].
    pub fn treatment_problems(&self, spanish: bool) -> Vec<FieldError> {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, line)| !line.is_blank())
            .filter_map(|(index, line)| {
                let treatment = match line.treatment.trim() {
                    "" => None,
                    code => Some(TaxTreatment::parse(code).ok()?),
                };
                let rate_bp = parse_tax_rate(&line.tax_rate).ok()?;
                crate::spain::line_problem(treatment, rate_bp, spanish).map(|problem| {
                    Error::new(
                        format!("lines[{index}].treatment"),
                        Problem::Spanish(problem),
                    )
                })
            })
            .collect()
    }
}

/// The same judgement as [`DraftInput::treatment_problems`], on the lines
/// of a saved draft when it is issued (its store may have changed since).
pub fn line_treatment_problems(lines: &[DocumentLine], spanish: bool) -> Vec<FieldError> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| {
            crate::spain::line_problem(line.treatment, line.tax_rate_bp, spanish).map(|problem| {
                Error::new(
                    format!("lines[{index}].treatment"),
                    Problem::Spanish(problem),
                )
            })
        })
        .collect()
}

/// Reads a decimal with at most `decimals` digits after `.` or `,` into an
/// integer scaled by 10^decimals.
fn parse_scaled(text: &str, decimals: u32) -> Option<i64> {
    let text = text.trim();
    let (whole, fraction) = text.split_once(['.', ',']).unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.len() > decimals as usize
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let scale = 10_i64.pow(decimals);
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<i64>().ok()? * 10_i64.pow(decimals - fraction.len() as u32)
    };
    whole.checked_mul(scale)?.checked_add(fraction)
}

/// A quantity with up to three decimals, more than zero.
pub fn parse_quantity(text: &str) -> Result<i64, Problem> {
    if text.trim().starts_with('-') {
        return Err(Problem::QuantityNotPositive);
    }
    match parse_scaled(text, 3) {
        None => Err(Problem::InvalidQuantity),
        Some(0) => Err(Problem::QuantityNotPositive),
        Some(milli) if milli > MAX_QUANTITY_MILLI => Err(Problem::QuantityTooLarge),
        Some(milli) => Ok(milli),
    }
}

/// A tax rate in percent (`22`, `5.5`), returned in basis points.
pub fn parse_tax_rate(text: &str) -> Result<i64, Problem> {
    match parse_scaled(text.trim().trim_end_matches('%'), 2) {
        Some(bp) if bp <= 100 * 100 => Ok(bp),
        _ => Err(Problem::InvalidTaxRate),
    }
}

/// Formats basis points as a percentage: 2200 → `22 %`, 550 → `5,5 %` (it/es).
pub fn format_tax_rate(rate_bp: i64, language: Language) -> String {
    let whole = rate_bp / 100;
    let fraction = rate_bp % 100;
    let decimal = if language == Language::En { '.' } else { ',' };
    match fraction {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}{decimal}{}%", f / 10),
        f => format!("{whole}{decimal}{f:02}%"),
    }
}

/// Formats thousandths as a quantity: 2500 → `2,5` (it/es) or `2.5` (en).
pub fn format_quantity(quantity_milli: i64, language: Language) -> String {
    let decimal = if language == Language::En { "." } else { "," };
    let whole = quantity_milli / QUANTITY_SCALE;
    let fraction = quantity_milli % QUANTITY_SCALE;
    if fraction == 0 {
        whole.to_string()
    } else {
        let digits = format!("{fraction:03}");
        format!("{whole}{decimal}{}", digits.trim_end_matches('0'))
    }
}

/// An email address that is safe to put in a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Accepts `local@domain.tld`; refuses anything with spaces, control
    /// characters or header syntax (`<>,;:"`) that could inject a recipient.
    pub fn parse(text: &str) -> Result<Self, Problem> {
        let address = text.trim();
        if address.is_empty() {
            return Err(Problem::Required);
        }
        let invalid = || Problem::InvalidEmail {
            address: address.to_owned(),
        };
        if address.len() > 254
            || address
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || "<>,;:\"()[]\\".contains(c))
        {
            return Err(invalid());
        }
        let (local, domain) = address.rsplit_once('@').ok_or_else(invalid)?;
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || !domain.contains('.')
            || !labels_ok
        {
            return Err(invalid());
        }
        Ok(Self(address.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A party named on the document (the store that sells, the customer who buys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Party {
    pub name: String,
    pub address: Vec<String>,
    pub tax_id: Option<String>,
}

/// The frozen document of an issued invoice. Once issued it never changes:
/// the PDF, the email and the customer's page are all rendered from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicDocument {
    pub language: Language,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    pub currency: Currency,
    pub seller: Party,
    pub customer: Party,
    pub lines: Vec<DocumentLine>,
    pub totals: Totals,
    /// Free text the merchant adds under the lines (payment terms, thanks).
    #[serde(default)]
    pub notes: String,
    /// Where the legal invoice went, when this document is only its
    /// courtesy copy (an Italian store's invoice goes through SdI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_channel: Option<LegalChannel>,
    /// For a credit note, the invoice it corrects; `None` for an invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<Correction>,
    /// For an invoice of a VERI*FACTU store, the AEAT's URL that checks it,
    /// printed as the QR code the order requires; absent in documents
    /// published before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_agency_check: Option<TaxAgencyCheck>,
    /// A Spanish simplified invoice (F2: its customer is not identified),
    /// titled so (RD 1619/2012, art. 7).
    #[serde(default, skip_serializing_if = "is_false")]
    pub simplified: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

/// The tax authority's channel that carries the legal form of an invoice;
/// the PDF, the email and the customer's page then say they are a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LegalChannel {
    /// Italy's Sistema di Interscambio: the FatturaPA file is the invoice.
    Sdi,
}

impl LegalChannel {
    /// The sentence the courtesy copy carries, in the reader's language.
    pub fn courtesy_notice(self, language: Language) -> &'static str {
        match (self, language) {
            (LegalChannel::Sdi, Language::It) => {
                "Copia di cortesia. La fattura elettronica, valida ai fini fiscali, è trasmessa tramite il Sistema di Interscambio (SdI) dell'Agenzia delle Entrate; la trovi anche nella tua area riservata Fatture e Corrispettivi."
            }
            (LegalChannel::Sdi, Language::Es) => {
                "Copia de cortesía. La factura electrónica con validez fiscal se transmite a través del Sistema di Interscambio (SdI) de la Agenzia delle Entrate italiana."
            }
            (LegalChannel::Sdi, Language::En) => {
                "Courtesy copy. The legal electronic invoice is transmitted through the Italian tax agency's Sistema di Interscambio (SdI)."
            }
        }
    }
}

/// What a fiscal document is: an invoice, or a credit note that corrects one
/// (with its own numbering series).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    #[default]
    Invoice,
    CreditNote,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 2] = [DocumentKind::Invoice, DocumentKind::CreditNote];

    /// The stored name (`invoices.kind`).
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "invoice",
            DocumentKind::CreditNote => "credit_note",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// The document's title in `language`: "Invoice", "Credit note".
    pub fn title(self, language: Language) -> &'static str {
        crate::i18n::text(
            language,
            match self {
                DocumentKind::Invoice => crate::i18n::Text::Invoice,
                DocumentKind::CreditNote => crate::i18n::Text::CreditNote,
            },
        )
    }
}

/// The issued invoice a credit note corrects, as the credit note states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub number: String,
    pub issue_date: Date,
    /// Why it is corrected, as the merchant wrote it.
    #[serde(default)]
    pub reason: String,
    /// A Spanish store's credit note of a full invoice: the legal ground
    /// its record's `TipoFactura` states (R1…R4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground: Option<CorrectionGround>,
}

impl PublicDocument {
    pub fn kind(&self) -> DocumentKind {
        match self.corrects {
            None => DocumentKind::Invoice,
            Some(_) => DocumentKind::CreditNote,
        }
    }

    /// For a credit note, the number and issue date of the invoice it
    /// corrects (what FatturaPA's TD04 and a VERI*FACTU rectificativa cite).
    pub fn corrected_invoice(&self) -> Option<(&str, Date)> {
        self.corrects
            .as_ref()
            .map(|correction| (correction.number.as_str(), correction.issue_date))
    }

    /// "Invoice", "Simplified invoice" or "Credit note", in the
    /// document's language.
    pub fn title(&self) -> &'static str {
        match self.kind() {
            DocumentKind::Invoice if self.simplified => {
                crate::i18n::text(self.language, crate::i18n::Text::SimplifiedInvoice)
            }
            kind => kind.title(self.language),
        }
    }

    /// "Corrects invoice 2026-0007 of 22/11/2026", for a credit note.
    pub fn correction_line(&self) -> Option<String> {
        self.corrects.as_ref().map(|correction| {
            crate::i18n::fill(
                crate::i18n::text(self.language, crate::i18n::Text::CorrectsInvoice),
                &[
                    ("number", correction.number.as_str()),
                    ("date", &correction.issue_date.format(self.language)),
                ],
            )
        })
    }

    /// The PDF's file name, `Fattura-2026-0001.pdf`, in the document's
    /// language. Only ASCII letters, digits, `.`, `_` and `-` survive: the
    /// name goes into a `Content-Disposition` header, which a quote or a line
    /// break would break out of and which Workers refuse outside Latin-1.
    pub fn pdf_file_name(&self) -> String {
        let safe = |text: &str| -> String {
            text.chars()
                .map(|c| match c {
                    'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
                    'á' | 'à' => 'a',
                    'é' | 'è' => 'e',
                    'í' | 'ì' => 'i',
                    'ó' | 'ò' => 'o',
                    'ú' | 'ù' => 'u',
                    _ => '-',
                })
                .collect()
        };
        format!("{}-{}.pdf", safe(self.title()), safe(&self.number))
    }
}

/// The layout of a rendered document: a full A4 page or an 80 mm till receipt.
/// A store picks one for the email attachment and one for printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DocumentLayout {
    #[default]
    A4,
    Receipt80mm,
}

impl DocumentLayout {
    pub const ALL: [DocumentLayout; 2] = [DocumentLayout::A4, DocumentLayout::Receipt80mm];

    pub fn code(self) -> &'static str {
        match self {
            DocumentLayout::A4 => "a4",
            DocumentLayout::Receipt80mm => "receipt",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|layout| layout.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(quantity_milli: i64, unit_price_minor: i64, tax_rate_bp: i64) -> DocumentLine {
        DocumentLine {
            description: "Item".into(),
            quantity_milli,
            unit_price_minor,
            tax_rate_bp,
            natura: None,
            treatment: None,
        }
    }

    fn draft() -> DraftInput {
        DraftInput {
            customer_id: "7".into(),
            store_id: "3".into(),
            issue_date: "2026-11-22".into(),
            due_date: "2026-12-22".into(),
            notes: " Grazie! ".into(),
            lines: vec![LineInput {
                description: "Consulenza".into(),
                quantity: "2,5".into(),
                unit_price: "100".into(),
                tax_rate: "22".into(),
                ..LineInput::default()
            }],
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|error| error.field).collect()
    }

    #[test]
    fn a_line_amount_is_quantity_times_price_rounded_to_the_cent() {
        assert_eq!(line(2_500, 10_000, 2200).net_minor(), 25_000);
        // 0.333 × 0.10 € = 0.0333 € → 0.03 €
        assert_eq!(line(333, 10, 0).net_minor(), 3);
        // 1.5 × 0.01 € = 0.015 € → 0.02 € (half away from zero)
        assert_eq!(line(1_500, 1, 0).net_minor(), 2);
    }

    #[test]
    fn tax_is_computed_once_per_rate_on_the_sum_of_that_rates_lines() {
        let lines = [
            line(1_000, 333, 2200),
            line(1_000, 333, 2200),
            line(1_000, 1_000, 1000),
        ];
        let totals = totals(&lines, Currency::Eur).expect("small totals");
        assert_eq!(totals.subtotal.minor, 1_666);
        assert_eq!(totals.taxes.len(), 2);
        // 6.66 € × 22 % = 1.4652 € → 1.47 €; per line it would have been 0.73 + 0.73 = 1.46 €.
        assert_eq!(totals.taxes[0].tax.minor, 147);
        assert_eq!(totals.taxes[1].tax.minor, 100);
        assert_eq!(totals.total.minor, 1_666 + 147 + 100);
    }

    #[test]
    fn a_line_whose_amount_leaves_i64_makes_the_totals_an_error_not_a_wrapped_number() {
        // Found by the money_and_totals fuzz target: the amount was cast to
        // i64 and wrapped, so totals came out Ok and wrong.
        let huge = line(792_633_534_417_145_270, 15_219_523, 0);
        assert_eq!(huge.checked_net_minor(), None);
        assert_eq!(huge.net_minor(), i64::MAX);
        assert_eq!(totals(&[huge], Currency::Eur), Err(MoneyError::Overflow));
    }

    #[test]
    fn a_base_too_large_to_tax_is_an_error_not_a_panic() {
        // Found by the money_and_totals fuzz target: three such lines at one
        // rate made base × rate overflow i128 before the base was checked.
        let lines = vec![line(1_000, i64::MAX, i64::MAX); 3];
        assert_eq!(totals(&lines, Currency::Eur), Err(MoneyError::Overflow));
    }

    #[test]
    fn a_valid_draft_becomes_checked_lines_and_totals() {
        let valid = draft().validate(Currency::Eur).expect("valid draft");
        assert_eq!(valid.customer_id, 7);
        assert_eq!(valid.lines[0].quantity_milli, 2_500);
        assert_eq!(valid.lines[0].unit_price_minor, 10_000);
        assert_eq!(valid.lines[0].tax_rate_bp, 2_200);
        assert_eq!(valid.totals.total.minor, 30_500);
        assert_eq!(valid.notes, "Grazie!");
        assert_eq!(
            valid.due_date.map(|date| date.to_string()).as_deref(),
            Some("2026-12-22")
        );
    }

    #[test]
    fn every_bad_field_is_reported_beside_its_own_name() {
        let mut bad = draft();
        bad.customer_id = String::new();
        bad.store_id = "x".into();
        bad.issue_date = "22/11/2026".into();
        bad.lines[0].quantity = "-1".into();
        bad.lines[0].unit_price = "12,3456".into();
        bad.lines[0].tax_rate = "150".into();
        assert_eq!(
            fields(bad.validate(Currency::Eur).unwrap_err()),
            [
                "customer_id",
                "store_id",
                "issue_date",
                "lines[0].quantity",
                "lines[0].unit_price",
                "lines[0].tax_rate"
            ]
        );
    }

    #[test]
    fn blank_lines_are_skipped_and_errors_name_the_line_as_the_form_shows_it() {
        let mut input = draft();
        input.lines.insert(0, LineInput::default());
        input.lines.push(LineInput {
            description: "Sconto".into(),
            quantity: "1".into(),
            unit_price: "-10".into(),
            tax_rate: "22".into(),
            ..LineInput::default()
        });
        let valid = input.validate(Currency::Eur).expect("valid");
        assert_eq!(valid.lines.len(), 2);
        assert_eq!(valid.totals.subtotal.minor, 24_000);
        input.lines[2].quantity = "0".into();
        let errors = input.validate(Currency::Eur).unwrap_err();
        assert_eq!(
            errors,
            [FieldError::new(
                "lines[2].quantity",
                Problem::QuantityNotPositive
            )]
        );
    }

    #[test]
    fn a_document_published_before_the_aeats_url_existed_still_reads_and_looks_the_same() {
        let document = crate::test_support::sample_document();
        let json = serde_json::to_string(&document).expect("json");
        assert!(!json.contains("tax_agency_check"), "{json}");
        let read: PublicDocument = serde_json::from_str(&json).expect("old shape");
        assert_eq!(read.tax_agency_check, None);
        let checked = PublicDocument {
            tax_agency_check: Some(TaxAgencyCheck {
                url: "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR?nif=89890001K".into(),
            }),
            ..document
        };
        let json = serde_json::to_string(&checked).expect("json");
        assert_eq!(
            serde_json::from_str::<PublicDocument>(&json).expect("read"),
            checked
        );
    }

    #[test]
    fn a_due_date_before_the_issue_date_and_a_negative_total_are_refused() {
        let mut early = draft();
        early.due_date = "2026-11-01".into();
        assert_eq!(
            fields(early.validate(Currency::Eur).unwrap_err()),
            ["due_date"]
        );
        let mut negative = draft();
        negative.lines[0].unit_price = "-100".into();
        assert_eq!(
            negative.validate(Currency::Eur).unwrap_err(),
            [FieldError::new("lines", Problem::NegativeTotal)]
        );
    }

    #[test]
    fn totals_beyond_the_largest_amount_are_refused_not_wrapped() {
        let mut huge = draft();
        huge.lines = vec![
            LineInput {
                description: "Big".into(),
                quantity: "1000000".into(),
                unit_price: "10000000000".into(),
                tax_rate: "100".into(),
                ..LineInput::default()
            };
            10
        ];
        assert_eq!(
            huge.validate(Currency::Eur).unwrap_err(),
            [FieldError::new("lines", Problem::TotalTooLarge)]
        );
    }

    #[test]
    fn an_empty_invoice_is_refused() {
        let mut bad = draft();
        bad.lines = vec![LineInput::default()];
        assert_eq!(fields(bad.validate(Currency::Eur).unwrap_err()), ["lines"]);
    }

    #[test]
    fn a_saved_line_comes_back_to_the_form_as_typed() {
        let line = DocumentLine {
            description: "Ore".into(),
            quantity_milli: 2_500,
            unit_price_minor: 1_250,
            tax_rate_bp: 550,
            natura: None,
            treatment: None,
        };
        let input = line.to_input(Currency::Eur);
        assert_eq!(
            (
                input.quantity.as_str(),
                input.unit_price.as_str(),
                input.tax_rate.as_str()
            ),
            ("2.5", "12.50", "5.5")
        );
        let back = DraftInput {
            lines: vec![input],
            ..draft()
        }
        .validate(Currency::Eur)
        .expect("valid");
        assert_eq!(back.lines[0], line);
    }

    #[test]
    fn addresses_that_could_inject_headers_are_refused() {
        for bad in [
            "a@b.it\r\nBcc: x@y.z",
            "a@b.it, c@d.it",
            "Maria <a@b.it>",
            "a b@c.it",
            "@b.it",
            "a@b",
            "a@-b.it",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        assert!(EmailAddress::parse(" maria.rossi+fatture@example.co.uk ").is_ok());
    }

    #[test]
    fn quantities_and_rates_are_shown_in_the_documents_language() {
        assert_eq!(format_quantity(2_500, Language::It), "2,5");
        assert_eq!(format_quantity(1_250, Language::En), "1.25");
        assert_eq!(format_quantity(3_000, Language::Es), "3");
        assert_eq!(format_tax_rate(2200, Language::It), "22%");
        assert_eq!(format_tax_rate(550, Language::Es), "5,5%");
        assert_eq!(format_tax_rate(1025, Language::En), "10.25%");
    }

    proptest! {
        #[test]
        fn total_is_subtotal_plus_taxes_and_never_overflows(
            raw in proptest::collection::vec((1..MAX_QUANTITY_MILLI, 0..MAX_UNIT_PRICE_MINOR, 0..=10_000_i64), 1..20)
        ) {
            let lines: Vec<DocumentLine> = raw.into_iter().map(|(q, p, r)| line(q, p, r)).collect();
            let exact_subtotal: i128 = lines.iter().map(|l| i128::from(l.net_minor())).sum();
            match totals(&lines, Currency::Eur) {
                Ok(totals) => {
                    let taxes: i64 = totals.taxes.iter().map(|t| t.tax.minor).sum();
                    prop_assert_eq!(i128::from(totals.subtotal.minor), exact_subtotal);
                    prop_assert_eq!(totals.total.minor, totals.subtotal.minor + taxes);
                }
                // Refused only when the exact total really leaves i64.
                Err(error) => {
                    prop_assert_eq!(error, MoneyError::Overflow);
                    prop_assert!(exact_subtotal * 2 > i128::from(i64::MAX));
                }
            }
        }
    }

    #[test]
    fn a_pdf_file_name_keeps_only_characters_safe_in_a_header() {
        let mut document = crate::test_support::sample_document();
        assert_eq!(document.pdf_file_name(), "Invoice-2026-0001.pdf");
        document.language = Language::It;
        document.number = "N°7/\"; x=\"y\"\r\n".into();
        assert_eq!(document.pdf_file_name(), "Fattura-N-7----x--y---.pdf");
    }

    #[test]
    fn a_natura_is_kept_on_a_vat_free_line_and_refused_beside_a_rate() {
        let mut input = DraftInput {
            customer_id: "1".into(),
            store_id: "1".into(),
            lines: vec![LineInput {
                description: "Corso".into(),
                quantity: "1".into(),
                unit_price: "100".into(),
                tax_rate: "0".into(),
                natura: "n2.2".into(),
                treatment: String::new(),
            }],
            ..DraftInput::default()
        };
        let valid = input.validate(Currency::Eur).expect("valid");
        assert_eq!(valid.lines[0].natura.map(Natura::code), Some("N2.2"));
        assert_eq!(valid.lines[0].to_input(Currency::Eur).natura, "N2.2");
        input.lines[0].tax_rate = "22".into();
        input.lines[0].natura = "N4".into();
        let errors = input.validate(Currency::Eur).expect_err("refused");
        assert_eq!(
            errors,
            [Error::new(
                "lines[0].natura",
                Problem::Fiscal(FiscalProblem::NaturaWithVat)
            )]
        );
        input.lines[0].natura = "N9".into();
        let errors = input.validate(Currency::Eur).expect_err("refused");
        assert_eq!(
            errors,
            [Error::new(
                "lines[0].natura",
                Problem::Fiscal(FiscalProblem::UnknownNatura)
            )]
        );
    }

    #[test]
    fn a_credit_note_names_the_invoice_it_corrects_in_its_language() {
        let mut note = crate::test_support::sample_document();
        assert_eq!(
            (note.kind(), note.corrected_invoice()),
            (DocumentKind::Invoice, None)
        );
        note.number = "NC-2026-0001".into();
        note.corrects = Some(Correction {
            number: "2026-0007".into(),
            issue_date: Date {
                year: 2026,
                month: 11,
                day: 2,
            },
            reason: "Reso".into(),
            ground: None,
        });
        assert_eq!(note.kind(), DocumentKind::CreditNote);
        assert_eq!(
            note.corrected_invoice(),
            Some((
                "2026-0007",
                Date {
                    year: 2026,
                    month: 11,
                    day: 2
                }
            ))
        );
        assert_eq!(note.title(), "Credit note");
        assert_eq!(note.pdf_file_name(), "Credit-note-NC-2026-0001.pdf");
        assert_eq!(
            note.correction_line().as_deref(),
            Some("Corrects invoice 2026-0007 of 2 Nov 2026")
        );
        note.language = Language::It;
        assert_eq!(
            note.correction_line().as_deref(),
            Some("Rettifica la fattura 2026-0007 del 02/11/2026")
        );
        note.language = Language::Es;
        assert_eq!(note.pdf_file_name(), "Nota-de-credito-NC-2026-0001.pdf");
        for kind in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(kind.code()), Some(kind));
        }
    }
}
