//! Spain's tax identifiers, as a store keeping VERI*FACTU records and its
//! customers give them.
//!
//! What is checked here only catches typos: the AEAT checks every NIF
//! against its census when the records reach it (codes 4107, 1117…), and
//! that answer is the authority. The check letter of a person's NIF (DNI
//! and NIE) is the Ministerio del Interior's mod-23 rule (RD 1553/2005, art.
//! 11). No official document gives the algorithm of an entity's control
//! character, nor of the K, L and M NIFs', so only their shape is checked
//! (`invoice/verifactu/REPORT.md` §5).

use serde::{Deserialize, Serialize};

use crate::i18n::Language;

/// What is wrong with a Spanish identifier or a store's Spanish data, in
/// words a merchant can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpanishProblem {
    /// Not nine letters and digits in one of the NIF's shapes.
    NifShape,
    /// A DNI or NIE whose check letter does not match its number.
    NifCheckLetter,
    /// A store keeping VERI*FACTU records without its NIF.
    SellerNifMissing,
    /// VERI*FACTU records are in euro.
    NotEuro,
    /// A store issues either Italian or Spanish legal invoices, not both.
    TwoCountries,
    /// A customer's tax id that is neither a Spanish NIF nor an EU VAT
    /// number with its country prefix.
    RecipientIdUnknown,
}

impl SpanishProblem {
    pub fn message(self, language: Language) -> &'static str {
        use SpanishProblem::*;
        match (self, language) {
            (NifShape, Language::Es) => {
                "El NIF tiene 9 caracteres: 8 cifras y una letra (DNI), X, Y o Z, 7 cifras y una letra (NIE), o la letra de la entidad, 7 cifras y un carácter de control."
            }
            (NifShape, Language::It) => {
                "Il NIF ha 9 caratteri: 8 cifre e una lettera (DNI), X, Y o Z, 7 cifre e una lettera (NIE), oppure la lettera dell'ente, 7 cifre e un carattere di controllo."
            }
            (NifShape, Language::En) => {
                "A NIF has 9 characters: 8 digits and a letter (DNI), X, Y or Z, 7 digits and a letter (NIE), or the entity's letter, 7 digits and a check character."
            }
            (NifCheckLetter, Language::Es) => {
                "La letra del NIF no corresponde a su número. Comprueba que está bien copiado."
            }
            (NifCheckLetter, Language::It) => {
                "La lettera del NIF non corrisponde al suo numero. Controlla di averlo copiato bene."
            }
            (NifCheckLetter, Language::En) => {
                "This NIF's letter does not match its number. Check it was copied correctly."
            }
            (SellerNifMissing, Language::Es) => {
                "Para llevar los registros VERI*FACTU, indica el NIF de la tienda como identificación fiscal."
            }
            (SellerNifMissing, Language::It) => {
                "Per tenere i registri VERI*FACTU, indica il NIF del negozio come identificativo fiscale."
            }
            (SellerNifMissing, Language::En) => {
                "To keep VERI*FACTU records, give the store's NIF as its tax ID."
            }
            (NotEuro, Language::Es) => "Los registros VERI*FACTU se llevan en euros.",
            (NotEuro, Language::It) => "I registri VERI*FACTU sono in euro.",
            (NotEuro, Language::En) => "VERI*FACTU records are kept in euro.",
            (TwoCountries, Language::Es) => {
                "Una tienda emite facturas legales de Italia o de España, no de ambos: elige una de las dos opciones."
            }
            (TwoCountries, Language::It) => {
                "Un negozio emette fatture legali italiane o spagnole, non entrambe: scegli una delle due opzioni."
            }
            (TwoCountries, Language::En) => {
                "A store issues either Italian or Spanish legal invoices, not both: choose one of the two."
            }
            (RecipientIdUnknown, Language::Es) => {
                "La identificación fiscal del cliente debe ser un NIF español o un número de IVA de la UE con su prefijo de país (p. ej. FR…)."
            }
            (RecipientIdUnknown, Language::It) => {
                "L'identificativo fiscale del cliente deve essere un NIF spagnolo o una partita IVA UE con il prefisso del paese (es. FR…)."
            }
            (RecipientIdUnknown, Language::En) => {
                "The customer's tax ID must be a Spanish NIF or an EU VAT number with its country prefix (e.g. FR…)."
            }
        }
    }
}

/// The mod-23 check letters of the DNI and NIE, by remainder.
const CHECK_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// The letters that open an entity's NIF (Orden EHA/451/2008): Spanish
/// legal forms, foreign entities (N) and permanent establishments (W).
const ENTITY_LETTERS: &str = "ABCDEFGHJNPQRSUVW";

/// An identifier as it is compared: upper-case, without the spaces, dashes
/// and dots people type in it.
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '.')
        .flat_map(char::to_uppercase)
        .collect()
}

/// A Spanish NIF, upper-case, without spaces or the `ES` VAT prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nif(String);

impl Nif {
    pub fn parse(text: &str) -> Result<Self, SpanishProblem> {
        let compact = compact(text);
        let nif = match compact.strip_prefix("ES") {
            Some(rest) if rest.len() == 9 => rest.to_owned(),
            _ => compact,
        };
        let bytes = nif.as_bytes();
        if bytes.len() != 9 || !bytes.iter().all(u8::is_ascii_alphanumeric) {
            return Err(SpanishProblem::NifShape);
        }
        let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
        let last = bytes[8];
        let check = |number: &str| -> Result<(), SpanishProblem> {
            let value: u32 = number.parse().map_err(|_| SpanishProblem::NifShape)?;
            match CHECK_LETTERS.get((value % 23) as usize) {
                Some(&expected) if expected == last => Ok(()),
                _ => Err(SpanishProblem::NifCheckLetter),
            }
        };
        match bytes[0] {
            b'0'..=b'9' if digits(0..8) && last.is_ascii_uppercase() => check(&nif[..8])?,
            first @ (b'X' | b'Y' | b'Z') if digits(1..8) && last.is_ascii_uppercase() => {
                let lead = char::from(b'0' + (first - b'X'));
                check(&format!("{lead}{}", &nif[1..8]))?
            }
            b'K' | b'L' | b'M' if digits(1..8) && last.is_ascii_uppercase() => {}
            first
                if ENTITY_LETTERS.as_bytes().contains(&first)
                    && digits(1..8)
                    && (last.is_ascii_digit() || (b'A'..=b'J').contains(&last)) => {}
            _ => return Err(SpanishProblem::NifShape),
        }
        Ok(Self(nif))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a customer outside Spain is identified: list L7 of the Orden
/// HAC/1177/2024's annex (IDType of `IDOtro`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ForeignIdKind {
    VatNumber,
    Passport,
    OfficialId,
    ResidenceCertificate,
    Other,
    NotRegistered,
}

impl ForeignIdKind {
    pub fn code(self) -> &'static str {
        match self {
            ForeignIdKind::VatNumber => "02",
            ForeignIdKind::Passport => "03",
            ForeignIdKind::OfficialId => "04",
            ForeignIdKind::ResidenceCertificate => "05",
            ForeignIdKind::Other => "06",
            ForeignIdKind::NotRegistered => "07",
        }
    }
}

/// A customer identified outside Spain: country (ISO 3166-1 alpha-2), the
/// kind of id, and the id as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignId {
    pub country: String,
    pub kind: ForeignIdKind,
    pub id: String,
}

/// Who a full invoice is addressed to, for the AEAT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecipientId {
    Nif(Nif),
    Foreign(ForeignId),
}

/// The VAT number prefixes of the other EU countries, with the ISO country
/// each stands for (Greece writes EL, Northern Ireland XI).
const EU_VAT_PREFIXES: &[(&str, &str)] = &[
    ("AT", "AT"),
    ("BE", "BE"),
    ("BG", "BG"),
    ("CY", "CY"),
    ("CZ", "CZ"),
    ("DE", "DE"),
    ("DK", "DK"),
    ("EE", "EE"),
    ("EL", "GR"),
    ("FI", "FI"),
    ("FR", "FR"),
    ("HR", "HR"),
    ("HU", "HU"),
    ("IE", "IE"),
    ("IT", "IT"),
    ("LT", "LT"),
    ("LU", "LU"),
    ("LV", "LV"),
    ("MT", "MT"),
    ("NL", "NL"),
    ("PL", "PL"),
    ("PT", "PT"),
    ("RO", "RO"),
    ("SE", "SE"),
    ("SI", "SI"),
    ("SK", "SK"),
    ("XI", "XI"),
];

/// The customer's id for a Spanish store's invoice, read from their tax ID:
/// none makes the invoice a simplified one (F2); a Spanish NIF (with or
/// without `ES`) or another EU country's VAT number makes it a full one.
pub fn recipient_id(tax_id: Option<&str>) -> Result<Option<RecipientId>, SpanishProblem> {
    let Some(text) = tax_id.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let compact = compact(text);
    let foreign = EU_VAT_PREFIXES
        .iter()
        .find(|(prefix, _)| compact.starts_with(prefix))
        .filter(|_| compact.len() > 4 && compact.len() <= 20)
        .filter(|_| compact.bytes().all(|b| b.is_ascii_alphanumeric()));
    match foreign {
        Some((_, country)) => Ok(Some(RecipientId::Foreign(ForeignId {
            country: (*country).to_owned(),
            kind: ForeignIdKind::VatNumber,
            id: compact,
        }))),
        None => Nif::parse(&compact)
            .map(|nif| Some(RecipientId::Nif(nif)))
            .map_err(|problem| match problem {
                SpanishProblem::NifShape => SpanishProblem::RecipientIdUnknown,
                other => other,
            }),
    }
}

/// The ceiling of a simplified invoice: €3,000 VAT included (RD 1619/2012,
/// art. 4.1); the lower €400 general ceiling is left to the merchant, who
/// knows whether their trade is one of those the article lists.
pub const SIMPLIFIED_CEILING_MINOR: i64 = 300_000;
/// A store's data for VERI*FACTU: the issuer of its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanishSeller {
    pub nif: Nif,
    /// Nombre o razón social, as registered at the AEAT.
    pub legal_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dni_with_its_check_letter_is_a_nif() {
        assert_eq!(
            Nif::parse("12345678Z").map(|nif| nif.0),
            Ok("12345678Z".into())
        );
        assert_eq!(
            Nif::parse(" 12345678-z ").map(|nif| nif.0),
            Ok("12345678Z".into())
        );
    }

    #[test]
    fn the_aeat_test_nif_has_its_mod_23_letter() {
        assert!(Nif::parse("89890001K").is_ok());
    }

    #[test]
    fn a_dni_with_another_letter_is_refused_for_its_letter() {
        assert_eq!(Nif::parse("12345678A"), Err(SpanishProblem::NifCheckLetter));
    }

    #[test]
    fn a_nie_reads_its_first_letter_as_a_digit() {
        // X1234567 → 01234567 → remainder 19 → L.
        assert!(Nif::parse("X1234567L").is_ok());
        assert_eq!(Nif::parse("X1234567T"), Err(SpanishProblem::NifCheckLetter));
        // Y → 1: 11234567 mod 23 = 10 → X.
        assert!(Nif::parse("Y1234567X").is_ok());
    }

    #[test]
    fn an_entity_nif_is_checked_for_its_shape_only() {
        assert!(Nif::parse("B12345678").is_ok());
        assert!(Nif::parse("Q2826000H").is_ok());
        assert!(Nif::parse("ESB12345678").is_ok());
        assert_eq!(Nif::parse("I12345678"), Err(SpanishProblem::NifShape));
        assert_eq!(Nif::parse("B1234567Z"), Err(SpanishProblem::NifShape));
    }

    #[test]
    fn a_wrong_length_is_a_shape_problem() {
        assert_eq!(Nif::parse("1234567Z"), Err(SpanishProblem::NifShape));
        assert_eq!(Nif::parse(""), Err(SpanishProblem::NifShape));
        assert_eq!(Nif::parse("12345678ZZ"), Err(SpanishProblem::NifShape));
        assert_eq!(Nif::parse("1234567ñZ"), Err(SpanishProblem::NifShape));
    }

    #[test]
    fn no_tax_id_makes_a_simplified_invoice() {
        assert_eq!(recipient_id(None), Ok(None));
        assert_eq!(recipient_id(Some("  ")), Ok(None));
    }

    #[test]
    fn a_spanish_tax_id_is_a_nif_with_or_without_es() {
        let nif = Some(RecipientId::Nif(Nif("B12345678".into())));
        assert_eq!(recipient_id(Some("B12345678")), Ok(nif.clone()));
        assert_eq!(recipient_id(Some("ES B12345678")), Ok(nif));
    }

    #[test]
    fn an_eu_vat_number_is_a_foreign_id_of_its_country() {
        assert_eq!(
            recipient_id(Some("fr 12 345678901")),
            Ok(Some(RecipientId::Foreign(ForeignId {
                country: "FR".into(),
                kind: ForeignIdKind::VatNumber,
                id: "FR12345678901".into(),
            })))
        );
        let greek = recipient_id(Some("EL123456789"));
        assert!(matches!(greek, Ok(Some(RecipientId::Foreign(id))) if id.country == "GR"));
    }

    #[test]
    fn an_unknown_tax_id_is_refused_with_what_is_expected() {
        assert_eq!(
            recipient_id(Some("US-123-45-6789")),
            Err(SpanishProblem::RecipientIdUnknown)
        );
        assert_eq!(
            recipient_id(Some("12345678A")),
            Err(SpanishProblem::NifCheckLetter)
        );
    }

    #[test]
    fn every_problem_has_words_in_every_language() {
        use SpanishProblem::*;
        for problem in [
            NifShape,
            NifCheckLetter,
            SellerNifMissing,
            NotEuro,
            TwoCountries,
            RecipientIdUnknown,
        ] {
            for language in [Language::Es, Language::It, Language::En] {
                assert!(problem.message(language).len() > 20);
            }
        }
    }
}
