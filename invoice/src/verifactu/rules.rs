//! What the AEAT refuses that its schema cannot say, checked before a
//! record is built so a record the AEAT would reject is never made. Each
//! rule names the AEAT's error code (`xsd/errores.properties`) or the
//! document that states it.

use serde::{Deserialize, Serialize};

use super::huella::madrid_date;
use super::{AltaInput, AnulacionInput, InvoiceType, FIRST_ISSUE_DATE};
use crate::dates::Date;
use crate::problem::{FieldError, Problem};
use crate::spain::{ForeignId, ForeignIdKind, RecipientId, TaxTreatment, SIMPLIFIED_CEILING_MINOR};
use crate::{Currency, Language};

/// The largest magnitude `ImporteSgn12.2Type` holds: 12 integer digits.
const MAX_AMOUNT_MINOR: i64 = 99_999_999_999_999;
/// `DesgloseType`: at most 12 `DetalleDesglose`.
const MAX_RATES: usize = 12;
/// `NombreRazon`, `NombreRazonEmisor`: TextMax120Type.
const MAX_NAME_CHARS: usize = 120;
/// `TextoIDFacturaType`: 1 to 60 characters.
const MAX_NUMBER_CHARS: usize = 60;
/// `IDOtro/ID`: TextMax20Type.
const MAX_FOREIGN_ID_CHARS: usize = 20;

/// A rule the AEAT applies that the schema cannot express.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AeatRule {
    /// Validaciones §3.1.3, AEAT 1104/1130/1287: a number is ASCII 32–126
    /// without `"` `'` `<` `>` `=`, 1 to 60 characters. `corrected` when it
    /// is the number of the invoice a credit note corrects.
    NumberCharacters { corrected: bool },
    /// AEAT 1112: the issue date is after the day the record is made.
    DatedAfterGeneration,
    /// AEAT 1152: the issue date is before 28 October 2024.
    DatedBeforeVerifactu,
    /// `ImporteSgn12.2Type`: an amount beyond 12 integer digits.
    AmountTooLarge,
    /// The records are in euro.
    NotEuro,
    /// AEAT 1189: F1 and R1…R4 name their recipient.
    RecipientRequired,
    /// AEAT 1190: F2 and R5 name none.
    RecipientNotAllowed,
    /// AEAT 1193: the recipient's NIF is the issuer's own.
    RecipientIsIssuer,
    /// AEAT 1111/1126/1122/1191/1192: a foreign id whose country and kind
    /// do not go together, or an id empty or longer than 20 characters.
    ForeignId,
    /// AEAT 1150: a simplified invoice over 3,000 euro.
    SimplifiedOverLimit,
    /// `DesgloseType`: more than 12 VAT rates and treatments on one invoice.
    TooManyRates,
    /// AEAT 1289: an intra-community delivery exempt under art. 25 (E5)
    /// names its customer by a foreign id (`IDOtro`), their EU VAT number.
    IntraCommunityWithoutVatNumber,
    /// A name longer than the 120 characters of `NombreRazon`, or empty.
    NameLength { max: usize },
    /// The type says corrective and the document corrects nothing, or the
    /// other way round (AEAT 1114/1117).
    TypeDoesNotMatchDocument,
    /// The operator's `SistemaInformatico` configuration: an element empty
    /// or beyond its length.
    SistemaInformatico { element: String },
}

impl AeatRule {
    /// The form field the rule is about.
    pub fn field(&self) -> &'static str {
        match self {
            AeatRule::NumberCharacters { corrected: false } => "number",
            AeatRule::NumberCharacters { corrected: true } => "corrects",
            AeatRule::DatedAfterGeneration | AeatRule::DatedBeforeVerifactu => "issue_date",
            AeatRule::AmountTooLarge | AeatRule::SimplifiedOverLimit | AeatRule::TooManyRates => {
                "lines"
            }
            AeatRule::NotEuro | AeatRule::SistemaInformatico { .. } => "store_id",
            AeatRule::NameLength { .. } => "name",
            AeatRule::RecipientRequired
            | AeatRule::RecipientNotAllowed
            | AeatRule::RecipientIsIssuer
            | AeatRule::ForeignId
            | AeatRule::IntraCommunityWithoutVatNumber => "customer_id",
            AeatRule::TypeDoesNotMatchDocument => "invoice",
        }
    }

    /// What the merchant is told, for refusing to issue an invoice whose
    /// record the AEAT would reject.
    pub fn field_error(&self) -> FieldError {
        FieldError::new(self.field(), Problem::Verifactu(self.clone()))
    }

    pub fn message(&self, language: Language) -> String {
        use Language::{En, Es, It};
        let text = match (self, language) {
            (AeatRule::NumberCharacters { .. }, It) => "Per l'AEAT il numero della fattura ha da 1 a 60 caratteri ASCII stampabili, senza \" ' < > =.",
            (AeatRule::NumberCharacters { .. }, Es) => "Para la AEAT el número de factura tiene de 1 a 60 caracteres ASCII imprimibles, sin \" ' < > =.",
            (AeatRule::NumberCharacters { .. }, En) => "For the AEAT an invoice number has 1 to 60 printable ASCII characters, without \" ' < > =.",
            (AeatRule::DatedAfterGeneration, It) => "La data di emissione non può essere successiva a oggi.",
            (AeatRule::DatedAfterGeneration, Es) => "La fecha de expedición no puede ser posterior a hoy.",
            (AeatRule::DatedAfterGeneration, En) => "The issue date cannot be later than today.",
            (AeatRule::DatedBeforeVerifactu, It) => "L'AEAT non accetta fatture datate prima del 28/10/2024.",
            (AeatRule::DatedBeforeVerifactu, Es) => "La AEAT no admite facturas con fecha anterior al 28/10/2024.",
            (AeatRule::DatedBeforeVerifactu, En) => "The AEAT does not accept invoices dated before 28 Oct 2024.",
            (AeatRule::AmountTooLarge, It) => "Un importo supera le 12 cifre intere che l'AEAT accetta.",
            (AeatRule::AmountTooLarge, Es) => "Un importe supera las 12 cifras enteras que admite la AEAT.",
            (AeatRule::AmountTooLarge, En) => "An amount is beyond the 12 integer digits the AEAT accepts.",
            (AeatRule::NotEuro, It) => "Le fatture VERI*FACTU sono in euro: imposta l'euro come valuta del negozio.",
            (AeatRule::NotEuro, Es) => "Las facturas VERI*FACTU son en euros: pon el euro como moneda de la tienda.",
            (AeatRule::NotEuro, En) => "VERI*FACTU invoices are in euro: set the store's currency to euro.",
            (AeatRule::RecipientRequired, It) => "Una fattura completa indica il NIF (o il documento estero) del cliente: aggiungilo al cliente, oppure emetti una fattura semplificata.",
            (AeatRule::RecipientRequired, Es) => "Una factura completa indica el NIF (o el documento extranjero) del cliente: añádelo al cliente o expide una factura simplificada.",
            (AeatRule::RecipientRequired, En) => "A full invoice names the customer's NIF (or foreign id): add it to the customer, or issue a simplified invoice.",
            (AeatRule::RecipientNotAllowed, It) => "Una fattura semplificata non indica il cliente.",
            (AeatRule::RecipientNotAllowed, Es) => "Una factura simplificada no identifica al destinatario.",
            (AeatRule::RecipientNotAllowed, En) => "A simplified invoice does not name its recipient.",
            (AeatRule::RecipientIsIssuer, It) => "Il NIF del cliente è quello del negozio stesso.",
            (AeatRule::RecipientIsIssuer, Es) => "El NIF del cliente es el de la propia tienda.",
            (AeatRule::RecipientIsIssuer, En) => "The customer's NIF is the store's own.",
            (AeatRule::ForeignId, It) => "Il documento estero del cliente non va bene per l'AEAT: paese e tipo di documento non corrispondono (un documento spagnolo è un passaporto o 'non censito'; una partita IVA comincia con il codice del paese), o l'identificativo supera i 20 caratteri.",
            (AeatRule::ForeignId, Es) => "El documento extranjero del cliente no es válido para la AEAT: el país y el tipo no casan (con país ES solo pasaporte o «no censado»; un NIF-IVA empieza por el código del país) o el identificador pasa de 20 caracteres.",
            (AeatRule::ForeignId, En) => "The customer's foreign id will not do for the AEAT: its country and kind do not match (with country ES only a passport or 'not registered'; a VAT number starts with its country code), or the id is longer than 20 characters.",
            (AeatRule::SimplifiedOverLimit, It) => "Una fattura semplificata arriva al massimo a 3.000 €: indica il NIF del cliente ed emetti una fattura completa.",
            (AeatRule::SimplifiedOverLimit, Es) => "Una factura simplificada no puede superar 3.000 €: identifica al cliente con su NIF y expide una factura completa.",
            (AeatRule::SimplifiedOverLimit, En) => "A simplified invoice is at most €3,000: add the customer's NIF and issue a full invoice.",
            (AeatRule::TooManyRates, It) => "Una fattura VERI*FACTU ha al massimo 12 aliquote IVA diverse.",
            (AeatRule::TooManyRates, Es) => "Una factura VERI*FACTU tiene como máximo 12 tipos de IVA distintos.",
            (AeatRule::TooManyRates, En) => "A VERI*FACTU invoice has at most 12 different VAT rates.",
            (AeatRule::IntraCommunityWithoutVatNumber, It) => "Una cessione intracomunitaria esente (art. 25, E5) indica la partita IVA UE del cliente, non un NIF spagnolo.",
            (AeatRule::IntraCommunityWithoutVatNumber, Es) => "Una entrega intracomunitaria exenta (art. 25, E5) identifica al cliente con su NIF-IVA de otro país de la UE, no con un NIF español.",
            (AeatRule::IntraCommunityWithoutVatNumber, En) => "An exempt intra-community supply (art. 25, E5) names the customer by their EU VAT number, not a Spanish NIF.",
            (AeatRule::NameLength { .. }, It) => "La ragione sociale va indicata, in al massimo 120 caratteri.",
            (AeatRule::NameLength { .. }, Es) => "El nombre o razón social es obligatorio y tiene como máximo 120 caracteres.",
            (AeatRule::NameLength { .. }, En) => "The legal name is required, in at most 120 characters.",
            (AeatRule::TypeDoesNotMatchDocument, It) => "Il tipo di fattura non corrisponde al documento: solo una nota di credito è rettificativa.",
            (AeatRule::TypeDoesNotMatchDocument, Es) => "El tipo de factura no corresponde al documento: solo una nota de crédito es rectificativa.",
            (AeatRule::TypeDoesNotMatchDocument, En) => "The invoice type does not match the document: only a credit note is corrective.",
            (AeatRule::SistemaInformatico { element }, It) => return format!("La configurazione VERI*FACTU del servizio non è valida ({element}): avvisa chi gestisce Invio."),
            (AeatRule::SistemaInformatico { element }, Es) => return format!("La configuración VERI*FACTU del servicio no es válida ({element}): avisa a quien gestiona Invio."),
            (AeatRule::SistemaInformatico { element }, En) => return format!("The service's VERI*FACTU configuration is not valid ({element}): tell whoever runs Invio."),
        };
        text.to_owned()
    }
}

/// Validaciones §3.1.3: ASCII 32–126 without `"` `'` `<` `>` `=`, and the
/// schema's 1 to 60 characters.
pub(super) fn number_is_valid(number: &str) -> bool {
    let number = number.trim();
    !number.is_empty()
        && number.len() <= MAX_NUMBER_CHARS
        && number
            .bytes()
            .all(|byte| (32..=126).contains(&byte) && !b"\"'<>=".contains(&byte))
}

fn name_is_valid(name: &str) -> bool {
    let chars = name.trim().chars().count();
    chars > 0 && chars <= MAX_NAME_CHARS
}

fn date_problems(issue_date: Date, generated_at_ms: i64, problems: &mut Vec<AeatRule>) {
    if issue_date > madrid_date(generated_at_ms) {
        problems.push(AeatRule::DatedAfterGeneration);
    }
    if issue_date < FIRST_ISSUE_DATE {
        problems.push(AeatRule::DatedBeforeVerifactu);
    }
}

fn foreign_id_is_valid(invoice_type: InvoiceType, foreign: &ForeignId) -> bool {
    use ForeignIdKind::{NotRegistered, Passport, VatNumber};
    let (country, kind, id) = (foreign.country.as_str(), foreign.kind, foreign.id.trim());
    let spanish = country == "ES";
    // A VAT number's prefix is Greece's EL where its country is GR.
    let vat_prefix = if country == "GR" { "EL" } else { country };
    country.len() == 2
        && country.bytes().all(|byte| byte.is_ascii_uppercase())
        && !id.is_empty()
        && id.chars().count() <= MAX_FOREIGN_ID_CHARS
        // 1126: ES only with a passport (03) or not registered (07); 07 only with ES.
        && (!spanish || kind == Passport || kind == NotRegistered)
        && (kind != NotRegistered || spanish)
        // 1122: a NIF-IVA starts with its country's code.
        && (kind != VatNumber || id.starts_with(vat_prefix))
        // 1191: R3 only with a NIF or 07; 1192: R2 only with a NIF, 02 or 07.
        && (invoice_type != InvoiceType::R3 || kind == NotRegistered)
        && (invoice_type != InvoiceType::R2 || kind == NotRegistered || kind == VatNumber)
}

pub(super) fn alta_problems(input: &AltaInput<'_>) -> Vec<AeatRule> {
    let document = input.document;
    let mut problems = input.system.problems();
    if !number_is_valid(&document.number) {
        problems.push(AeatRule::NumberCharacters { corrected: false });
    }
    date_problems(document.issue_date, input.generated_at_ms, &mut problems);
    if document.currency != Currency::Eur {
        problems.push(AeatRule::NotEuro);
    }
    if !name_is_valid(&input.issuer.legal_name) {
        problems.push(AeatRule::NameLength {
            max: MAX_NAME_CHARS,
        });
    }
    match (
        input.invoice_type.is_corrective(),
        document.corrected_invoice(),
    ) {
        (true, Some((number, _))) if !number_is_valid(number) => {
            problems.push(AeatRule::NumberCharacters { corrected: true });
        }
        (true, Some(_)) | (false, None) => {}
        (true, None) | (false, Some(_)) => problems.push(AeatRule::TypeDoesNotMatchDocument),
    }
    let totals = &document.totals;
    let amounts = totals
        .taxes
        .iter()
        .flat_map(|tax| [tax.base.minor, tax.tax.minor])
        .chain([
            totals.total.minor,
            totals.taxes.iter().map(|tax| tax.tax.minor).sum(),
        ]);
    if amounts
        .into_iter()
        .any(|minor| minor.checked_abs().is_none_or(|abs| abs > MAX_AMOUNT_MINOR))
    {
        problems.push(AeatRule::AmountTooLarge);
    }
    if super::details(document, 1).len() > MAX_RATES {
        problems.push(AeatRule::TooManyRates);
    }
    if input.invoice_type == InvoiceType::F2 && totals.total.minor > SIMPLIFIED_CEILING_MINOR {
        problems.push(AeatRule::SimplifiedOverLimit);
    }
    let intra_community = document
        .lines
        .iter()
        .any(|line| line.treatment == Some(TaxTreatment::E5));
    if intra_community
        && !matches!(
            input.recipient.map(|recipient| &recipient.id),
            Some(RecipientId::Foreign(_))
        )
    {
        problems.push(AeatRule::IntraCommunityWithoutVatNumber);
    }
    match (input.invoice_type.needs_recipient(), input.recipient) {
        (true, None) => problems.push(AeatRule::RecipientRequired),
        (false, Some(_)) => problems.push(AeatRule::RecipientNotAllowed),
        (false, None) => {}
        (true, Some(recipient)) => {
            if !name_is_valid(&recipient.name) {
                problems.push(AeatRule::NameLength {
                    max: MAX_NAME_CHARS,
                });
            }
            match &recipient.id {
                RecipientId::Nif(nif) if *nif == input.issuer.nif => {
                    problems.push(AeatRule::RecipientIsIssuer);
                }
                RecipientId::Nif(_) => {}
                RecipientId::Foreign(foreign) => {
                    if !foreign_id_is_valid(input.invoice_type, foreign) {
                        problems.push(AeatRule::ForeignId);
                    }
                }
            }
        }
    }
    problems
}

pub(super) fn anulacion_problems(input: &AnulacionInput<'_>) -> Vec<AeatRule> {
    let mut problems = input.system.problems();
    if !number_is_valid(input.number) {
        problems.push(AeatRule::NumberCharacters { corrected: false });
    }
    date_problems(input.issue_date, input.generated_at_ms, &mut problems);
    problems
}
