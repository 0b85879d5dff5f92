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
    /// A tax treatment that is not one of [`TaxTreatment::ALL`].
    UnknownTreatment,
    /// An exempt or not-subject line with a VAT rate (AEAT 1237, 1238).
    TreatmentWithVat,
    /// A subject line at 0 %: it needs its rate, or the reason it has none.
    SubjectWithoutRate,
    /// A Spanish tax treatment on a store that keeps no VERI*FACTU records.
    TreatmentOutsideSpain,
    /// A legal ground of correction that is not R1…R4.
    UnknownCorrectionGround,
    /// A legal ground of correction on a store that keeps no VERI*FACTU
    /// records.
    CorrectionGroundOutsideSpain,
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
            (UnknownTreatment, Language::Es) => {
                "Elige si la línea está sujeta, exenta (E1…E6) o no sujeta (N1, N2)."
            }
            (UnknownTreatment, Language::It) => {
                "Scegli se la riga è soggetta, esente (E1…E6) o non soggetta (N1, N2)."
            }
            (UnknownTreatment, Language::En) => {
                "Choose whether the line is subject, exempt (E1…E6) or not subject (N1, N2)."
            }
            (TreatmentWithVat, Language::Es) => {
                "Una línea exenta o no sujeta no lleva IVA: pon el tipo a 0 o márcala como sujeta."
            }
            (TreatmentWithVat, Language::It) => {
                "Una riga esente o non soggetta non ha IVA: metti l'aliquota a 0 o segnala come soggetta."
            }
            (TreatmentWithVat, Language::En) => {
                "An exempt or not-subject line carries no VAT: set the rate to 0 or mark it subject."
            }
            (SubjectWithoutRate, Language::Es) => {
                "Una línea sujeta lleva su tipo de IVA; si no lleva IVA, indica por qué: exenta (E1…E6) o no sujeta (N1, N2)."
            }
            (SubjectWithoutRate, Language::It) => {
                "Una riga soggetta ha la sua aliquota IVA; se non ha IVA, indica il motivo: esente (E1…E6) o non soggetta (N1, N2)."
            }
            (SubjectWithoutRate, Language::En) => {
                "A subject line has its VAT rate; without VAT, say why: exempt (E1…E6) or not subject (N1, N2)."
            }
            (TreatmentOutsideSpain, Language::Es) => {
                "Sujeta, exenta o no sujeta se indica solo en las facturas de una tienda española (VERI*FACTU)."
            }
            (TreatmentOutsideSpain, Language::It) => {
                "Soggetta, esente o non soggetta si indica solo nelle fatture di un negozio spagnolo (VERI*FACTU)."
            }
            (TreatmentOutsideSpain, Language::En) => {
                "Subject, exempt or not subject is only stated on a Spanish store's invoices (VERI*FACTU)."
            }
            (UnknownCorrectionGround, Language::Es) => {
                "Elige el motivo legal de la rectificación (R1…R4)."
            }
            (UnknownCorrectionGround, Language::It) => {
                "Scegli il motivo legale della rettifica (R1…R4)."
            }
            (UnknownCorrectionGround, Language::En) => {
                "Choose the legal ground of the correction (R1…R4)."
            }
            (CorrectionGroundOutsideSpain, Language::Es) => {
                "El motivo legal de la rectificación solo se indica en una tienda española (VERI*FACTU)."
            }
            (CorrectionGroundOutsideSpain, Language::It) => {
                "Il motivo legale della rettifica si indica solo per un negozio spagnolo (VERI*FACTU)."
            }
            (CorrectionGroundOutsideSpain, Language::En) => {
                "The legal ground of a correction is only stated for a Spanish store (VERI*FACTU)."
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

/// How a Spanish store's line is taxed, as its VERI*FACTU record states it
/// in `DetalleDesglose`: subject and not exempt (`CalificacionOperacion`
/// S1, with its rate), exempt (`OperacionExenta`, list L10: E1…E6) or not
/// subject (`CalificacionOperacion` N1, N2). The codes and the Spanish
/// words are the AEAT's: S1, S2, N1 and N2 as `SuministroInformacion.xsd`
/// documents `CalificacionOperacionType`; E1…E6 as the registration
/// design's list L10 names them (the schema lists only the codes; E7 and E8
/// are IGIC's, AEAT 1182). S2 (reverse charge) is not offered: Invio's
/// records never name a reverse-charged operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaxTreatment {
    S1,
    E1,
    E2,
    E3,
    E4,
    E5,
    E6,
    N1,
    N2,
}

/// The choice among `all` whose code a form sent (trimmed, any case); an
/// empty field is `default`, an unknown code `None`.
fn code_among<T: Copy>(
    text: &str,
    all: &[T],
    code: fn(T) -> &'static str,
    default: T,
) -> Option<T> {
    let text = text.trim().to_uppercase();
    if text.is_empty() {
        return Some(default);
    }
    all.iter().copied().find(|choice| code(*choice) == text)
}

impl TaxTreatment {
    pub const ALL: [TaxTreatment; 9] = [
        TaxTreatment::S1,
        TaxTreatment::E1,
        TaxTreatment::E2,
        TaxTreatment::E3,
        TaxTreatment::E4,
        TaxTreatment::E5,
        TaxTreatment::E6,
        TaxTreatment::N1,
        TaxTreatment::N2,
    ];

    /// The code the record writes.
    pub fn code(self) -> &'static str {
        match self {
            TaxTreatment::S1 => "S1",
            TaxTreatment::E1 => "E1",
            TaxTreatment::E2 => "E2",
            TaxTreatment::E3 => "E3",
            TaxTreatment::E4 => "E4",
            TaxTreatment::E5 => "E5",
            TaxTreatment::E6 => "E6",
            TaxTreatment::N1 => "N1",
            TaxTreatment::N2 => "N2",
        }
    }

    /// The treatment a form's code names; empty is subject (S1).
    pub fn parse(text: &str) -> Result<Self, SpanishProblem> {
        code_among(text, &Self::ALL, Self::code, TaxTreatment::S1)
            .ok_or(SpanishProblem::UnknownTreatment)
    }

    /// Exempt (`OperacionExenta`), as opposed to a `CalificacionOperacion`.
    pub fn is_exempt(self) -> bool {
        matches!(
            self,
            TaxTreatment::E1
                | TaxTreatment::E2
                | TaxTreatment::E3
                | TaxTreatment::E4
                | TaxTreatment::E5
                | TaxTreatment::E6
        )
    }

    /// Whether the line carries VAT at its rate (S1).
    pub fn is_subject(self) -> bool {
        self == TaxTreatment::S1
    }

    /// What the treatment means, for the merchant choosing it: the AEAT's
    /// own words in Spanish, translated for Italian and English.
    pub fn name(self, language: Language) -> &'static str {
        use TaxTreatment::*;
        match (self, language) {
            (S1, Language::Es) => "Sujeta y no exenta",
            (S1, Language::It) => "Soggetta e non esente",
            (S1, Language::En) => "Subject and not exempt",
            (E1, Language::Es) => "Exenta por el artículo 20",
            (E1, Language::It) => "Esente per l'articolo 20",
            (E1, Language::En) => "Exempt under article 20",
            (E2, Language::Es) => "Exenta por el artículo 21",
            (E2, Language::It) => "Esente per l'articolo 21",
            (E2, Language::En) => "Exempt under article 21",
            (E3, Language::Es) => "Exenta por el artículo 22",
            (E3, Language::It) => "Esente per l'articolo 22",
            (E3, Language::En) => "Exempt under article 22",
            (E4, Language::Es) => "Exenta por los artículos 23 y 24",
            (E4, Language::It) => "Esente per gli articoli 23 e 24",
            (E4, Language::En) => "Exempt under articles 23 and 24",
            (E5, Language::Es) => "Exenta por el artículo 25",
            (E5, Language::It) => "Esente per l'articolo 25",
            (E5, Language::En) => "Exempt under article 25",
            (E6, Language::Es) => "Exenta por otros",
            (E6, Language::It) => "Esente per altri motivi",
            (E6, Language::En) => "Exempt on other grounds",
            (N1, Language::Es) => "No sujeta (artículos 7, 14, otros)",
            (N1, Language::It) => "Non soggetta (articoli 7, 14, altri)",
            (N1, Language::En) => "Not subject (articles 7, 14, others)",
            (N2, Language::Es) => "No sujeta por reglas de localización",
            (N2, Language::It) => "Non soggetta per le regole di localizzazione",
            (N2, Language::En) => "Not subject under the place-of-supply rules",
        }
    }

    /// What the invoice prints beside a line without VAT, so the reader
    /// sees why (RD 1619/2012, art. 6.1.j: the exemption's reference);
    /// `None` for a subject line, whose rate says it all. The articles are
    /// those of the Ley 37/1992 del IVA (LIVA).
    pub fn printed(self, language: Language) -> Option<&'static str> {
        use TaxTreatment::*;
        Some(match (self, language) {
            (S1, _) => return None,
            (E1, Language::Es) => "Exenta art. 20 LIVA",
            (E1, Language::It) => "Esente art. 20 LIVA",
            (E1, Language::En) => "Exempt, art. 20 LIVA",
            (E2, Language::Es) => "Exenta art. 21 LIVA",
            (E2, Language::It) => "Esente art. 21 LIVA",
            (E2, Language::En) => "Exempt, art. 21 LIVA",
            (E3, Language::Es) => "Exenta art. 22 LIVA",
            (E3, Language::It) => "Esente art. 22 LIVA",
            (E3, Language::En) => "Exempt, art. 22 LIVA",
            (E4, Language::Es) => "Exenta arts. 23 y 24 LIVA",
            (E4, Language::It) => "Esente artt. 23 e 24 LIVA",
            (E4, Language::En) => "Exempt, arts. 23 and 24 LIVA",
            (E5, Language::Es) => "Exenta art. 25 LIVA",
            (E5, Language::It) => "Esente art. 25 LIVA",
            (E5, Language::En) => "Exempt, art. 25 LIVA",
            (E6, Language::Es) => "Operación exenta",
            (E6, Language::It) => "Operazione esente",
            (E6, Language::En) => "Exempt operation",
            (N1, Language::Es) => "No sujeta (arts. 7, 14 LIVA, otros)",
            (N1, Language::It) => "Non soggetta (artt. 7, 14 LIVA, altri)",
            (N1, Language::En) => "Not subject (arts. 7, 14 LIVA, others)",
            (N2, Language::Es) => "No sujeta por reglas de localización",
            (N2, Language::It) => "Non soggetta per regole di localizzazione",
            (N2, Language::En) => "Not subject: place-of-supply rules",
        })
    }
}

/// What is wrong with a line's treatment and rate, for a store that keeps
/// VERI*FACTU records (`spanish`) or not. An exempt or not-subject line
/// has no rate (AEAT 1237, 1238); a subject one has its rate (Spain's
/// rates are 4, 10 and 21 %, none is 0); and only a Spanish store says
/// either.
pub fn line_problem(
    treatment: Option<TaxTreatment>,
    rate_bp: i64,
    spanish: bool,
) -> Option<SpanishProblem> {
    match (spanish, treatment) {
        (false, None) => None,
        (false, Some(_)) => Some(SpanishProblem::TreatmentOutsideSpain),
        (true, Some(treatment)) if !treatment.is_subject() => {
            (rate_bp != 0).then_some(SpanishProblem::TreatmentWithVat)
        }
        (true, _) => (rate_bp == 0).then_some(SpanishProblem::SubjectWithoutRate),
    }
}

/// The legal ground of a Spanish store's credit note, as its record's
/// `TipoFactura` states it: R1…R4 of list L2, with the words
/// `SuministroInformacion.xsd` documents `ClaveTipoFacturaType` by. A
/// simplified invoice's correction is R5 whatever the ground, so it is not
/// chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CorrectionGround {
    /// Art. 80.Uno, Dos y Seis LIVA, and an error founded in law.
    #[default]
    R1,
    /// Art. 80.Tres: the customer's insolvency proceedings.
    R2,
    /// Art. 80.Cuatro: debts not collected.
    R3,
    /// Any other ground.
    R4,
}

impl CorrectionGround {
    pub const ALL: [CorrectionGround; 4] = [
        CorrectionGround::R1,
        CorrectionGround::R2,
        CorrectionGround::R3,
        CorrectionGround::R4,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CorrectionGround::R1 => "R1",
            CorrectionGround::R2 => "R2",
            CorrectionGround::R3 => "R3",
            CorrectionGround::R4 => "R4",
        }
    }

    /// The ground a form's code names; empty is R1, the usual one.
    pub fn parse(text: &str) -> Result<Self, SpanishProblem> {
        code_among(text, &Self::ALL, Self::code, CorrectionGround::R1)
            .ok_or(SpanishProblem::UnknownCorrectionGround)
    }

    /// The ground as the merchant chooses it: the schema's words (Art 80.1
    /// y 80.2 y error fundado en derecho; Art. 80.3; Art. 80.4; Resto),
    /// with what each article is about.
    pub fn name(self, language: Language) -> &'static str {
        use CorrectionGround::*;
        match (self, language) {
            (R1, Language::Es) => "R1 — Art. 80 Uno, Dos y Seis LIVA y error fundado en derecho",
            (R1, Language::It) => "R1 — Art. 80 Uno, Dos e Seis LIVA ed errore fondato in diritto",
            (R1, Language::En) => "R1 — Art. 80 One, Two and Six LIVA, and an error founded in law",
            (R2, Language::Es) => "R2 — Art. 80 Tres LIVA (concurso del destinatario)",
            (R2, Language::It) => "R2 — Art. 80 Tres LIVA (procedura concorsuale del cliente)",
            (R2, Language::En) => "R2 — Art. 80 Three LIVA (customer's insolvency proceedings)",
            (R3, Language::Es) => "R3 — Art. 80 Cuatro LIVA (créditos incobrables)",
            (R3, Language::It) => "R3 — Art. 80 Cuatro LIVA (crediti non riscossi)",
            (R3, Language::En) => "R3 — Art. 80 Four LIVA (debts not collected)",
            (R4, Language::Es) => "R4 — Resto de causas",
            (R4, Language::It) => "R4 — Altri motivi",
            (R4, Language::En) => "R4 — Any other ground",
        }
    }
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
            UnknownTreatment,
            TreatmentWithVat,
            SubjectWithoutRate,
            TreatmentOutsideSpain,
            UnknownCorrectionGround,
            CorrectionGroundOutsideSpain,
        ] {
            for language in [Language::Es, Language::It, Language::En] {
                assert!(problem.message(language).len() > 20);
            }
        }
    }

    #[test]
    fn a_treatment_is_read_from_its_code_and_empty_is_subject() {
        assert_eq!(TaxTreatment::parse(""), Ok(TaxTreatment::S1));
        assert_eq!(TaxTreatment::parse(" e1 "), Ok(TaxTreatment::E1));
        assert_eq!(TaxTreatment::parse("N2"), Ok(TaxTreatment::N2));
        assert_eq!(
            TaxTreatment::parse("S2"),
            Err(SpanishProblem::UnknownTreatment)
        );
        assert_eq!(
            TaxTreatment::parse("E7"),
            Err(SpanishProblem::UnknownTreatment)
        );
        assert!(TaxTreatment::E6.is_exempt() && !TaxTreatment::N1.is_exempt());
    }

    #[test]
    fn exempt_and_not_subject_lines_have_no_rate_and_subject_ones_have_one() {
        use TaxTreatment::*;
        assert_eq!(line_problem(Some(E1), 0, true), None);
        assert_eq!(line_problem(Some(N1), 0, true), None);
        assert_eq!(line_problem(Some(S1), 2100, true), None);
        assert_eq!(line_problem(None, 1000, true), None);
        assert_eq!(
            line_problem(Some(E1), 2100, true),
            Some(SpanishProblem::TreatmentWithVat)
        );
        assert_eq!(
            line_problem(Some(S1), 0, true),
            Some(SpanishProblem::SubjectWithoutRate)
        );
        assert_eq!(
            line_problem(None, 0, true),
            Some(SpanishProblem::SubjectWithoutRate)
        );
    }

    #[test]
    fn only_a_spanish_store_states_a_treatment() {
        assert_eq!(line_problem(None, 0, false), None);
        assert_eq!(
            line_problem(Some(TaxTreatment::E1), 0, false),
            Some(SpanishProblem::TreatmentOutsideSpain)
        );
    }

    #[test]
    fn a_line_without_vat_prints_its_legal_reference_and_a_subject_one_nothing() {
        assert_eq!(
            TaxTreatment::E1.printed(Language::Es),
            Some("Exenta art. 20 LIVA")
        );
        assert_eq!(TaxTreatment::S1.printed(Language::Es), None);
        for treatment in TaxTreatment::ALL {
            for language in [Language::Es, Language::It, Language::En] {
                assert!(!treatment.name(language).is_empty());
                assert_eq!(
                    treatment.printed(language).is_none(),
                    treatment.is_subject()
                );
            }
        }
    }

    #[test]
    fn a_correction_ground_defaults_to_r1_and_takes_only_r1_to_r4() {
        assert_eq!(CorrectionGround::parse(""), Ok(CorrectionGround::R1));
        assert_eq!(CorrectionGround::parse("r3"), Ok(CorrectionGround::R3));
        assert_eq!(
            CorrectionGround::parse("R5"),
            Err(SpanishProblem::UnknownCorrectionGround)
        );
        for ground in CorrectionGround::ALL {
            assert!(CorrectionGround::parse(ground.code()) == Ok(ground));
            assert!(ground.name(Language::Es).starts_with(ground.code()));
        }
    }
}
