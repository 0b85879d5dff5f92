//! Italian fiscal identifiers and codes, checked as the Agenzia delle Entrate
//! checks them, for the electronic invoice (FatturaPA) of an Italian store.
//!
//! Sources:
//! - Partita IVA: eleven digits, the last a check digit computed as in
//!   DM 23 dicembre 1976 (the same rule as the numeric codice fiscale of a
//!   company): digits in odd places summed, digits in even places doubled
//!   (less 9 when over 9) and summed, the check digit bringing the total to
//!   a multiple of ten.
//! - Codice fiscale of a person: sixteen characters, the last a check letter
//!   computed with the odd and even tables of DM 12 marzo 1974 (allegato),
//!   digits possibly replaced by letters for *omocodia* (L M N P Q R S T U V).
//! - IBAN: ISO 13616 (mod 97 = 1); an Italian IBAN is 27 characters.
//! - Codice destinatario, regime fiscale and natura: the FatturaPA schema
//!   v1.2.x (`CodiceDestinatarioType`, `RegimeFiscaleType`, `NaturaType`) and
//!   its technical rules; `0000000` is the code of a recipient without one
//!   (a consumer, or one reached by PEC).

use serde::{Deserialize, Serialize};

use crate::i18n::Language;

/// What is wrong with an Italian identifier or code, in words a merchant
/// can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FiscalProblem {
    PartitaIvaLength,
    PartitaIvaCheckDigit,
    CodiceFiscaleShape,
    CodiceFiscaleCheckLetter,
    IbanShape,
    IbanCheck,
    CodiceDestinatarioShape,
    UnknownRegimeFiscale,
    UnknownNatura,
    /// A PEC address beside a codice destinatario other than `0000000`.
    PecWithCode,
    /// An Italian e-invoice recipient with neither partita IVA nor codice
    /// fiscale (SdI check 00417).
    RecipientUnidentified,
    /// An address without a last line "CAP Comune PR".
    AddressShape,
    /// A store issuing electronic invoices without its partita IVA.
    SellerPartitaIvaMissing,
    /// Electronic invoices of an Italian store are in euro.
    NotEuro,
    /// SdI check 00400: a 0 % line without a natura.
    NaturaMissing,
    /// SdI check 00401: a natura on a line with VAT.
    NaturaWithVat,
    /// The customer's address does not say where in Italy they are.
    CustomerAddress,
    /// The VAT summary of a rate does not add up (SdI checks 00421/00422).
    SummaryMismatch,
    /// SdI check 00403: an electronic invoice dated after the day it is sent.
    DatedInFuture,
    /// The store has no PEC mailbox to send its electronic invoices from.
    NoPecMailbox,
}

impl FiscalProblem {
    pub fn message(self, language: Language) -> &'static str {
        use FiscalProblem::*;
        match (self, language) {
            (PartitaIvaLength, Language::It) => "La partita IVA ha 11 cifre.",
            (PartitaIvaLength, Language::Es) => "La partita IVA tiene 11 cifras.",
            (PartitaIvaLength, Language::En) => "A partita IVA has 11 digits.",
            (PartitaIvaCheckDigit, Language::It) => {
                "La partita IVA non è valida: l'ultima cifra di controllo non corrisponde. Controlla di averla copiata bene."
            }
            (PartitaIvaCheckDigit, Language::Es) => {
                "La partita IVA no es válida: el dígito de control no coincide. Comprueba que está bien copiada."
            }
            (PartitaIvaCheckDigit, Language::En) => {
                "This partita IVA is not valid: its check digit does not match. Check it was copied correctly."
            }
            (CodiceFiscaleShape, Language::It) => {
                "Il codice fiscale ha 16 caratteri (persona) oppure 11 cifre (società)."
            }
            (CodiceFiscaleShape, Language::Es) => {
                "El codice fiscale tiene 16 caracteres (persona) u 11 cifras (empresa)."
            }
            (CodiceFiscaleShape, Language::En) => {
                "A codice fiscale has 16 characters (a person) or 11 digits (a company)."
            }
            (CodiceFiscaleCheckLetter, Language::It) => {
                "Il codice fiscale non è valido: il carattere di controllo non corrisponde."
            }
            (CodiceFiscaleCheckLetter, Language::Es) => {
                "El codice fiscale no es válido: el carácter de control no coincide."
            }
            (CodiceFiscaleCheckLetter, Language::En) => {
                "This codice fiscale is not valid: its check character does not match."
            }
            (IbanShape, Language::It) => {
                "L'IBAN inizia con il codice del paese (IT) e ha 27 caratteri per un conto italiano."
            }
            (IbanShape, Language::Es) => {
                "El IBAN empieza por el código del país y tiene 27 caracteres para una cuenta italiana."
            }
            (IbanShape, Language::En) => {
                "An IBAN starts with its country code and has 27 characters for an Italian account."
            }
            (IbanCheck, Language::It) => {
                "L'IBAN non è valido: le cifre di controllo non corrispondono."
            }
            (IbanCheck, Language::Es) => {
                "El IBAN no es válido: los dígitos de control no coinciden."
            }
            (IbanCheck, Language::En) => {
                "This IBAN is not valid: its check digits do not match."
            }
            (CodiceDestinatarioShape, Language::It) => {
                "Il codice destinatario ha 7 caratteri (lettere maiuscole e cifre); usa 0000000 per un privato o se indichi la PEC."
            }
            (CodiceDestinatarioShape, Language::Es) => {
                "El codice destinatario tiene 7 caracteres (mayúsculas y cifras); usa 0000000 para un particular o si indicas la PEC."
            }
            (CodiceDestinatarioShape, Language::En) => {
                "A codice destinatario has 7 characters (capital letters and digits); use 0000000 for a consumer or when you give a PEC address."
            }
            (UnknownRegimeFiscale, Language::It) => "Scegli un regime fiscale da RF01 a RF20.",
            (UnknownRegimeFiscale, Language::Es) => "Elige un regime fiscale de RF01 a RF20.",
            (UnknownRegimeFiscale, Language::En) => "Choose a regime fiscale from RF01 to RF20.",
            (UnknownNatura, Language::It) => {
                "Scegli la natura dell'operazione senza IVA (N1…N7, con il sottocodice dove previsto)."
            }
            (UnknownNatura, Language::Es) => {
                "Elige la natura de la operación sin IVA (N1…N7, con el subcódigo cuando corresponda)."
            }
            (UnknownNatura, Language::En) => {
                "Choose the nature of the VAT-free operation (N1…N7, with its sub-code where there is one)."
            }
            (PecWithCode, Language::It) => {
                "Indica la PEC oppure il codice destinatario, non entrambi: con la PEC il codice è 0000000."
            }
            (PecWithCode, Language::Es) => {
                "Indica la PEC o el codice destinatario, no ambos: con la PEC el código es 0000000."
            }
            (PecWithCode, Language::En) => {
                "Give the PEC address or the codice destinatario, not both: with a PEC address the code is 0000000."
            }
            (RecipientUnidentified, Language::It) => {
                "Per la fattura elettronica serve la partita IVA o il codice fiscale del cliente."
            }
            (RecipientUnidentified, Language::Es) => {
                "Para la factura electrónica hace falta la partita IVA o el codice fiscale del cliente."
            }
            (RecipientUnidentified, Language::En) => {
                "The electronic invoice needs the customer's partita IVA or codice fiscale."
            }
            (AddressShape, Language::It) => {
                "Scrivi la via nella prima riga e «CAP Comune Provincia» nell'ultima, per esempio «00184 Roma RM»."
            }
            (AddressShape, Language::Es) => {
                "Escribe la calle en la primera línea y «CAP Comune Provincia» en la última, por ejemplo «00184 Roma RM»."
            }
            (AddressShape, Language::En) => {
                "Put the street on the first line and \"CAP Comune Provincia\" on the last, for example \"00184 Roma RM\"."
            }
            (SellerPartitaIvaMissing, Language::It) => {
                "Per emettere fatture elettroniche indica qui la partita IVA del negozio."
            }
            (SellerPartitaIvaMissing, Language::Es) => {
                "Para emitir facturas electrónicas indica aquí la partita IVA de la tienda."
            }
            (SellerPartitaIvaMissing, Language::En) => {
                "To issue electronic invoices, enter the store's partita IVA here."
            }
            (NotEuro, Language::It) => "La fattura elettronica italiana si emette in euro (EUR).",
            (NotEuro, Language::Es) => "La factura electrónica italiana se emite en euros (EUR).",
            (NotEuro, Language::En) => "Italian electronic invoices are issued in euro (EUR).",
            (NaturaMissing, Language::It) => {
                "Una riga senza IVA (0 %) richiede la natura dell'operazione, per esempio N2.2 per il regime forfettario."
            }
            (NaturaMissing, Language::Es) => {
                "Una línea sin IVA (0 %) necesita la natura de la operación, por ejemplo N2.2 para el régimen forfettario."
            }
            (NaturaMissing, Language::En) => {
                "A line without VAT (0 %) needs the operation's natura, for example N2.2 for the flat-rate regime."
            }
            (NaturaWithVat, Language::It) => {
                "La natura si indica solo sulle righe senza IVA: togli la natura o metti l'aliquota a 0."
            }
            (NaturaWithVat, Language::Es) => {
                "La natura solo se indica en líneas sin IVA: quita la natura o pon el tipo a 0."
            }
            (NaturaWithVat, Language::En) => {
                "A natura is only given on lines without VAT: remove it or set the rate to 0."
            }
            (CustomerAddress, Language::It) => {
                "Per la fattura elettronica l'indirizzo del cliente deve finire con «CAP Comune Provincia» (per esempio «20122 Milano MI»): correggilo nella scheda del cliente."
            }
            (CustomerAddress, Language::Es) => {
                "Para la factura electrónica la dirección del cliente debe terminar con «CAP Comune Provincia» (por ejemplo «20122 Milano MI»): corrígela en la ficha del cliente."
            }
            (CustomerAddress, Language::En) => {
                "For the electronic invoice the customer's address must end with \"CAP Comune Provincia\" (for example \"20122 Milano MI\"): correct it on the customer's page."
            }
            (SummaryMismatch, Language::It) => {
                "Il riepilogo IVA non torna con le righe: ricontrolla aliquote e importi."
            }
            (SummaryMismatch, Language::Es) => {
                "El resumen del IVA no cuadra con las líneas: revisa tipos e importes."
            }
            (SummaryMismatch, Language::En) => {
                "The VAT summary does not add up with the lines: check rates and amounts."
            }
            (DatedInFuture, Language::It) => {
                "Lo SdI scarta una fattura elettronica con data futura: emettila oggi, o lascia la data vuota e emettila il giorno giusto."
            }
            (DatedInFuture, Language::Es) => {
                "El SdI rechaza una factura electrónica con fecha futura: emítela hoy, o deja la fecha vacía y emítela el día correcto."
            }
            (NoPecMailbox, Language::It) => {
                "Per inviare le fatture elettroniche allo SdI configura la casella PEC del negozio nelle sue impostazioni."
            }
            (NoPecMailbox, Language::Es) => {
                "Para enviar las facturas electrónicas al SdI configura el buzón PEC de la tienda en sus ajustes."
            }
            (NoPecMailbox, Language::En) => {
                "To send electronic invoices to SdI, set up the store's PEC mailbox in its settings."
            }
            (DatedInFuture, Language::En) => {
                "SdI rejects an electronic invoice dated in the future: issue it today, or leave the date empty and issue it on its day."
            }
        }
    }
}

/// Spaces and dots people type inside codes, removed; letters in capitals.
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
        .collect::<String>()
        .to_uppercase()
}

/// The check digit of the first ten digits of an eleven-digit code.
fn eleven_digit_check(digits: &[u32]) -> u32 {
    let total: u32 = digits
        .iter()
        .take(10)
        .enumerate()
        .map(|(index, digit)| {
            if index % 2 == 0 {
                *digit
            } else {
                let doubled = digit * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            }
        })
        .sum();
    (10 - total % 10) % 10
}

fn eleven_digits(text: &str) -> Option<Vec<u32>> {
    let digits: Vec<u32> = text
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    (digits.len() == 11).then_some(digits)
}

/// An Italian VAT number (without the `IT` prefix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitaIva(String);

impl PartitaIva {
    pub fn parse(text: &str) -> Result<Self, FiscalProblem> {
        let text = compact(text);
        let text = text.strip_prefix("IT").unwrap_or(&text);
        let digits = eleven_digits(text).ok_or(FiscalProblem::PartitaIvaLength)?;
        if eleven_digit_check(&digits) == digits[10] {
            Ok(Self(text.to_owned()))
        } else {
            Err(FiscalProblem::PartitaIvaCheckDigit)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A codice fiscale: a person's sixteen characters, or a company's eleven
/// digits (its partita IVA's rule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodiceFiscale(String);

/// The value of a character in an odd place (1st, 3rd, …), DM 12/3/1974.
const ODD_VALUES: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// Where a person's code has digits; omocodia may replace them by letters.
const DIGIT_PLACES: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];
const OMOCODIA_LETTERS: &str = "LMNPQRSTUV";

fn person_code_shape(code: &[char]) -> bool {
    code.len() == 16
        && code.iter().enumerate().all(|(index, c)| {
            if DIGIT_PLACES.contains(&index) {
                c.is_ascii_digit() || OMOCODIA_LETTERS.contains(*c)
            } else {
                c.is_ascii_uppercase()
            }
        })
        && "ABCDEHLMPRST".contains(code[8])
}

fn check_letter(code: &[char]) -> Option<char> {
    let mut total = 0;
    for (index, c) in code.iter().take(15).enumerate() {
        let value = match c {
            '0'..='9' => c.to_digit(10)?,
            'A'..='Z' => u32::from(*c) - u32::from('A'),
            _ => return None,
        };
        // Places count from 1: index 0 is the first, an odd place.
        total += if index % 2 == 0 {
            *ODD_VALUES.get(usize::try_from(value).ok()?)?
        } else {
            value
        };
    }
    char::from_u32(u32::from('A') + total % 26)
}

impl CodiceFiscale {
    pub fn parse(text: &str) -> Result<Self, FiscalProblem> {
        let text = compact(text);
        if let Some(digits) = eleven_digits(&text) {
            return if eleven_digit_check(&digits) == digits[10] {
                Ok(Self(text))
            } else {
                Err(FiscalProblem::CodiceFiscaleCheckLetter)
            };
        }
        let code: Vec<char> = text.chars().collect();
        if !person_code_shape(&code) {
            return Err(FiscalProblem::CodiceFiscaleShape);
        }
        if check_letter(&code) == Some(code[15]) {
            Ok(Self(text))
        } else {
            Err(FiscalProblem::CodiceFiscaleCheckLetter)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IBAN (ISO 13616), stored without spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Iban(String);

impl Iban {
    pub fn parse(text: &str) -> Result<Self, FiscalProblem> {
        let text = compact(text);
        let shaped = (15..=34).contains(&text.len())
            && text.chars().all(|c| c.is_ascii_alphanumeric())
            && text[..2].chars().all(|c| c.is_ascii_uppercase())
            && text[2..4].chars().all(|c| c.is_ascii_digit())
            && (!text.starts_with("IT") || text.len() == 27);
        if !shaped {
            return Err(FiscalProblem::IbanShape);
        }
        // Country and check digits moved to the end, letters as 10..35, the
        // whole number mod 97 must be 1; computed piecewise to stay small.
        let rearranged = text[4..].chars().chain(text[..4].chars());
        let mut remainder: u32 = 0;
        for c in rearranged {
            let value = c.to_digit(36).ok_or(FiscalProblem::IbanShape)?;
            let width = if value >= 10 { 100 } else { 10 };
            remainder = (remainder * width + value) % 97;
        }
        if remainder == 1 {
            Ok(Self(text))
        } else {
            Err(FiscalProblem::IbanCheck)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where SdI delivers a recipient's invoices: a 7-character code (6 for a
/// public body), or `0000000` when there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodiceDestinatario(String);

impl CodiceDestinatario {
    /// The code of a consumer, or of a recipient reached by PEC.
    pub const NONE: &'static str = "0000000";

    pub fn parse(text: &str) -> Result<Self, FiscalProblem> {
        let text = compact(text);
        let shaped = (6..=7).contains(&text.len())
            && text
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if shaped {
            Ok(Self(text))
        } else {
            Err(FiscalProblem::CodiceDestinatarioShape)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether SdI must find the recipient another way (PEC, or their
    /// own registered channel; a consumer reads it in their tax area).
    pub fn is_none(&self) -> bool {
        self.0 == Self::NONE
    }
}

/// How SdI reaches a customer of an Italian store, and who they are to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SdiRecipient {
    pub codice_fiscale: Option<CodiceFiscale>,
    /// None when SdI needs no code: `0000000` is written.
    pub codice_destinatario: Option<CodiceDestinatario>,
    pub pec: Option<String>,
}

impl SdiRecipient {
    /// Whether the merchant gave any of it: the customer is then one the
    /// store sends electronic invoices to.
    pub fn is_set(&self) -> bool {
        self.codice_fiscale.is_some() || self.codice_destinatario.is_some() || self.pec.is_some()
    }

    /// The code SdI is given.
    pub fn destinatario(&self) -> CodiceDestinatario {
        self.codice_destinatario
            .clone()
            .unwrap_or_else(|| CodiceDestinatario(CodiceDestinatario::NONE.to_owned()))
    }
}

/// The store's tax regime (`RegimeFiscaleType`): RF01 … RF20, RF03 having
/// been withdrawn from the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegimeFiscale(u8);

impl RegimeFiscale {
    pub const ORDINARIO: RegimeFiscale = RegimeFiscale(1);
    pub const FORFETTARIO: RegimeFiscale = RegimeFiscale(19);

    pub fn parse(text: &str) -> Result<Self, FiscalProblem> {
        let text = compact(text);
        let number = text
            .strip_prefix("RF")
            .filter(|digits| digits.len() == 2)
            .and_then(|digits| digits.parse::<u8>().ok());
        match number {
            Some(number) if (1..=20).contains(&number) && number != 3 => Ok(Self(number)),
            _ => Err(FiscalProblem::UnknownRegimeFiscale),
        }
    }

    pub fn code(self) -> String {
        format!("RF{:02}", self.0)
    }

    /// Every regime the schema lists.
    pub fn all() -> impl Iterator<Item = RegimeFiscale> {
        (1..=20).filter(|number| *number != 3).map(RegimeFiscale)
    }

    /// The regime's name as the schema's documentation gives it.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "Ordinario",
            2 => "Contribuenti minimi (art. 1, c. 96-117, L. 244/07)",
            4 => "Agricoltura e attività connesse e pesca (artt. 34 e 34-bis, DPR 633/72)",
            5 => "Vendita sali e tabacchi (art. 74, c. 1, DPR 633/72)",
            6 => "Commercio fiammiferi (art. 74, c. 1, DPR 633/72)",
            7 => "Editoria (art. 74, c. 1, DPR 633/72)",
            8 => "Gestione servizi telefonia pubblica (art. 74, c. 1, DPR 633/72)",
            9 => "Rivendita documenti di trasporto pubblico e di sosta (art. 74, c. 1, DPR 633/72)",
            10 => "Intrattenimenti, giochi e altre attività (art. 74, c. 6, DPR 633/72)",
            11 => "Agenzie viaggi e turismo (art. 74-ter, DPR 633/72)",
            12 => "Agriturismo (art. 5, c. 2, L. 413/91)",
            13 => "Vendite a domicilio (art. 25-bis, c. 6, DPR 600/73)",
            14 => "Rivendita beni usati, oggetti d'arte, d'antiquariato o da collezione (art. 36, DL 41/95)",
            15 => "Agenzie di vendite all'asta di oggetti d'arte, antiquariato o da collezione (art. 40-bis, DL 41/95)",
            16 => "IVA per cassa P.A. (art. 6, c. 5, DPR 633/72)",
            17 => "IVA per cassa (art. 32-bis, DL 83/2012)",
            18 => "Altro",
            19 => "Regime forfettario (art. 1, c. 54-89, L. 190/2014)",
            _ => "Regime transfrontaliero di franchigia IVA (Direttiva UE 2020/285)",
        }
    }
}

/// Why a line carries no VAT (`NaturaType`), required on every 0 % line.
pub const NATURE: [&str; 21] = [
    "N1", "N2.1", "N2.2", "N3.1", "N3.2", "N3.3", "N3.4", "N3.5", "N3.6", "N4", "N5", "N6.1",
    "N6.2", "N6.3", "N6.4", "N6.5", "N6.6", "N6.7", "N6.8", "N6.9", "N7",
];

/// A natura code, as the schema in force spells it (N2, N3 and N6 without
/// a sub-code are no longer accepted). Stored as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Natura(&'static str);

impl Serialize for Natura {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Natura {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Natura::parse(&code)
            .map_err(|_| serde::de::Error::custom(format!("unknown natura {code:?}")))
    }
}

impl Natura {
    pub fn parse(text: &str) -> Result<Self, FiscalProblem> {
        let text = text.trim().to_uppercase();
        NATURE
            .iter()
            .find(|code| **code == text)
            .map(|code| Self(code))
            .ok_or(FiscalProblem::UnknownNatura)
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    /// What the code means, as the schema's documentation names it.
    pub fn name(self) -> &'static str {
        match self.0 {
            "N1" => "Escluse ex art. 15 DPR 633/72",
            "N2.1" => "Non soggette ad IVA ai sensi degli artt. da 7 a 7-septies DPR 633/72",
            "N2.2" => "Non soggette – altri casi",
            "N3.1" => "Non imponibili – esportazioni",
            "N3.2" => "Non imponibili – cessioni intracomunitarie",
            "N3.3" => "Non imponibili – cessioni verso San Marino",
            "N3.4" => "Non imponibili – operazioni assimilate alle cessioni all'esportazione",
            "N3.5" => "Non imponibili – a seguito di dichiarazioni d'intento",
            "N3.6" => {
                "Non imponibili – altre operazioni che non concorrono alla formazione del plafond"
            }
            "N4" => "Esenti",
            "N5" => "Regime del margine / IVA non esposta in fattura",
            "N6.1" => "Inversione contabile – cessione di rottami e altri materiali di recupero",
            "N6.2" => "Inversione contabile – cessione di oro e argento",
            "N6.3" => "Inversione contabile – subappalto nel settore edile",
            "N6.4" => "Inversione contabile – cessione di fabbricati",
            "N6.5" => "Inversione contabile – cessione di telefoni cellulari",
            "N6.6" => "Inversione contabile – cessione di prodotti elettronici",
            "N6.7" => "Inversione contabile – prestazioni comparto edile e settori connessi",
            "N6.8" => "Inversione contabile – operazioni settore energetico",
            "N6.9" => "Inversione contabile – altri casi",
            _ => "IVA assolta in altro stato UE",
        }
    }
}

/// An address as the FatturaPA schema asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street, and house number when it is not given apart.
    pub street: String,
    pub number: Option<String>,
    /// Five digits (`00000` abroad).
    pub cap: String,
    pub comune: String,
    /// The province's two letters, for an Italian address.
    pub provincia: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl Address {
    /// An Italian address as merchants write it: the street on the first
    /// lines, `CAP Comune PR` (or `CAP Comune (PR)`) on the last; a last
    /// line naming Italy is skipped.
    pub fn parse_italian(lines: &[String]) -> Result<Self, FiscalProblem> {
        let mut lines: Vec<&str> = lines
            .iter()
            .map(|line| line.trim())
            .filter(|line| !line.is_empty())
            .collect();
        if lines
            .last()
            .is_some_and(|line| matches!(line.to_lowercase().as_str(), "italia" | "italy" | "it"))
        {
            lines.pop();
        }
        let (last, street) = lines.split_last().ok_or(FiscalProblem::AddressShape)?;
        if street.is_empty() {
            return Err(FiscalProblem::AddressShape);
        }
        let (cap, rest) = last
            .split_once(char::is_whitespace)
            .ok_or(FiscalProblem::AddressShape)?;
        let (comune, provincia) = rest
            .trim()
            .rsplit_once(char::is_whitespace)
            .ok_or(FiscalProblem::AddressShape)?;
        let provincia = provincia.trim_start_matches('(').trim_end_matches(')');
        let cap_ok = cap.len() == 5 && cap.chars().all(|c| c.is_ascii_digit());
        let provincia_ok =
            provincia.len() == 2 && provincia.chars().all(|c| c.is_ascii_alphabetic());
        let comune = comune.trim().trim_end_matches(',').trim();
        if !cap_ok || !provincia_ok || comune.is_empty() {
            return Err(FiscalProblem::AddressShape);
        }
        Ok(Self {
            street: street.join(", "),
            number: None,
            cap: cap.to_owned(),
            comune: comune.to_owned(),
            provincia: Some(provincia.to_uppercase()),
            country: "IT".to_owned(),
        })
    }
}

/// The law an invoice of the flat-rate regime (RF19) cites for its lines
/// without VAT.
pub const FORFETTARIO_REFERENCE: &str =
    "Operazione in franchigia da IVA ai sensi dell'art. 1, commi 54-89, L. 190/2014";

/// What an Italian store's electronic invoices say about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItalianSeller {
    pub partita_iva: PartitaIva,
    /// When it differs from the partita IVA (a sole trader's personal code).
    pub codice_fiscale: Option<CodiceFiscale>,
    pub regime: RegimeFiscale,
    /// The registered office (sede), from the store's address.
    pub sede: Address,
    /// Where customers pay by bank transfer.
    pub iban: Option<Iban>,
    /// The law cited for lines without VAT; empty: none, or the flat-rate
    /// regime's when the regime is RF19.
    pub legal_reference: String,
}

impl ItalianSeller {
    /// The reference the file cites for lines without VAT.
    pub fn legal_reference(&self) -> Option<String> {
        match self.legal_reference.trim() {
            "" if self.regime == RegimeFiscale::FORFETTARIO => {
                Some(FORFETTARIO_REFERENCE.to_owned())
            }
            "" => None,
            text => Some(text.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Makes a valid eleven-digit code from ten digits, by the rule.
    fn with_check_digit(first_ten: &str) -> String {
        let digits: Vec<u32> = first_ten.chars().filter_map(|c| c.to_digit(10)).collect();
        format!("{first_ten}{}", eleven_digit_check(&digits))
    }

    #[test]
    fn a_partita_iva_needs_eleven_digits_and_its_check_digit() {
        // The Agenzia delle Entrate's own partita IVA.
        assert_eq!(
            PartitaIva::parse("06363391001").map(|p| p.as_str().to_owned()),
            Ok("06363391001".to_owned())
        );
        assert!(
            PartitaIva::parse("IT 0636339100 1").is_ok(),
            "prefix and spaces"
        );
        assert_eq!(
            PartitaIva::parse("06363391002"),
            Err(FiscalProblem::PartitaIvaCheckDigit)
        );
        assert_eq!(
            PartitaIva::parse("0636339100"),
            Err(FiscalProblem::PartitaIvaLength)
        );
        assert_eq!(
            PartitaIva::parse("0636339100A"),
            Err(FiscalProblem::PartitaIvaLength)
        );
        // Every single-digit slip is caught.
        let valid = with_check_digit("1234567890");
        for place in 0..11 {
            let mut slipped: Vec<char> = valid.chars().collect();
            let digit = slipped[place].to_digit(10).unwrap_or(0);
            slipped[place] = char::from_digit((digit + 1) % 10, 10).unwrap_or('0');
            let slipped: String = slipped.into_iter().collect();
            assert!(PartitaIva::parse(&slipped).is_err(), "{slipped}");
        }
    }

    #[test]
    fn a_codice_fiscale_of_a_person_or_a_company_is_checked() {
        for valid in ["RSSMRA80A01H501U", "rss mra 80a01 h501u", "06363391001"] {
            assert!(CodiceFiscale::parse(valid).is_ok(), "{valid}");
        }
        assert_eq!(
            CodiceFiscale::parse("RSSMRA80A01H501V"),
            Err(FiscalProblem::CodiceFiscaleCheckLetter)
        );
        assert_eq!(
            CodiceFiscale::parse("RSSMRA80A01H501"),
            Err(FiscalProblem::CodiceFiscaleShape)
        );
        assert_eq!(
            CodiceFiscale::parse("RSSMRA80Z01H501U"),
            Err(FiscalProblem::CodiceFiscaleShape),
            "Z is no month"
        );
        // Omocodia: the last digit of the place code replaced by its letter
        // (1 → M) gives another valid code with its own check letter.
        let omocode: Vec<char> = "RSSMRA80A01H50MX".chars().collect();
        let letter = check_letter(&omocode).expect("a letter");
        let omocode = format!("RSSMRA80A01H50M{letter}");
        assert!(CodiceFiscale::parse(&omocode).is_ok(), "{omocode}");
    }

    #[test]
    fn an_iban_is_checked_by_its_mod_97_digits() {
        // The example IBAN of the Italian banking association's documents.
        assert!(Iban::parse("IT60 X054 2811 1010 0000 0123 456").is_ok());
        assert!(Iban::parse("DE89370400440532013000").is_ok());
        assert_eq!(
            Iban::parse("IT61X0542811101000000123456"),
            Err(FiscalProblem::IbanCheck)
        );
        assert_eq!(
            Iban::parse("IT60X054281110100000012345"),
            Err(FiscalProblem::IbanShape),
            "an Italian IBAN has 27 characters"
        );
        assert_eq!(Iban::parse("60IT"), Err(FiscalProblem::IbanShape));
    }

    #[test]
    fn codes_of_the_fatturapa_schema_are_those_it_lists() {
        assert!(CodiceDestinatario::parse("M5UXCR1").is_ok());
        assert!(
            CodiceDestinatario::parse("UFXXXX").is_ok(),
            "a public body's 6"
        );
        assert!(CodiceDestinatario::parse(CodiceDestinatario::NONE)
            .map(|code| code.is_none())
            .unwrap_or(false));
        assert_eq!(
            CodiceDestinatario::parse("abc"),
            Err(FiscalProblem::CodiceDestinatarioShape)
        );
        assert_eq!(
            RegimeFiscale::parse("rf19").map(RegimeFiscale::code),
            Ok("RF19".to_owned())
        );
        assert_eq!(
            RegimeFiscale::parse("RF03"),
            Err(FiscalProblem::UnknownRegimeFiscale)
        );
        assert_eq!(
            RegimeFiscale::parse("RF21"),
            Err(FiscalProblem::UnknownRegimeFiscale)
        );
        assert_eq!(Natura::parse("n2.2").map(Natura::code), Ok("N2.2"));
        assert_eq!(Natura::parse("N2"), Err(FiscalProblem::UnknownNatura));
        assert_eq!(Natura::parse("N6.10"), Err(FiscalProblem::UnknownNatura));
    }

    #[test]
    fn every_problem_is_told_in_each_language() {
        use FiscalProblem::*;
        for problem in [
            PartitaIvaLength,
            PartitaIvaCheckDigit,
            CodiceFiscaleShape,
            CodiceFiscaleCheckLetter,
            IbanShape,
            IbanCheck,
            CodiceDestinatarioShape,
            UnknownRegimeFiscale,
            UnknownNatura,
            PecWithCode,
            RecipientUnidentified,
            AddressShape,
            SellerPartitaIvaMissing,
            NotEuro,
            NaturaMissing,
            NaturaWithVat,
            CustomerAddress,
            SummaryMismatch,
            DatedInFuture,
            NoPecMailbox,
        ] {
            let texts: Vec<&str> = [Language::It, Language::Es, Language::En]
                .into_iter()
                .map(|language| problem.message(language))
                .collect();
            assert!(texts.iter().all(|text| text.ends_with('.')), "{texts:?}");
            assert_ne!(texts[0], texts[2]);
        }
    }

    #[test]
    fn an_italian_address_ends_with_cap_comune_and_provincia() {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        let sede = Address::parse_italian(&lines("Via Roma 12\nScala B\n00184 Roma (rm)\nItalia"))
            .expect("address");
        assert_eq!(sede.street, "Via Roma 12, Scala B");
        assert_eq!(sede.cap, "00184");
        assert_eq!(sede.comune, "Roma");
        assert_eq!(sede.provincia.as_deref(), Some("RM"));
        assert_eq!(
            Address::parse_italian(&lines("Corso Italia 3\n20122 San Donato Milanese MI"))
                .map(|sede| sede.comune),
            Ok("San Donato Milanese".to_owned())
        );
        for wrong in [
            "00184 Roma RM",
            "Via Roma 12\nRoma RM",
            "Via Roma\n184 Roma RM",
            "Via Roma\n00184 Roma",
            "",
        ] {
            assert_eq!(
                Address::parse_italian(&lines(wrong)),
                Err(FiscalProblem::AddressShape),
                "{wrong:?}"
            );
        }
    }
}
