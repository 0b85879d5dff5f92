//! The QR code a VERI*FACTU invoice carries: the AEAT's verification URL
//! for that invoice, and the symbol that encodes it.
//!
//! The rules are the AEAT's «Detalle de las especificaciones técnicas del
//! código QR de la factura» v0.5.0 and Orden HAC/1177/2024 art. 20–21
//! (quoted in `invoice/verifactu/REPORT.md` §3): four parameters, URL-encoded
//! UTF-8, ISO/IEC 18004 with error correction M, 30–40 mm, «QR tributario:»
//! above it and «VERI*FACTU» below it. The PDF and the customer's page draw
//! the same [`QrSymbol`], each in its own medium.

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::i18n::Language;
use crate::Money;

/// The text the order requires above the code, in Spanish whatever the
/// invoice's language: it is a legal marker, not a sentence to translate.
pub const LABEL_ABOVE: &str = "QR tributario:";
/// The phrase the order requires below the code of an invoice issued by a
/// VERI*FACTU system (the alternative is «Factura verificable en la sede
/// electrónica de la AEAT»; the short one fits a till receipt too).
pub const LEGEND_BELOW: &str = "VERI*FACTU";

/// Which AEAT service the URL points at: the test one while a merchant tries
/// Invio out against the AEAT's test environment, the real one otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AeatEnvironment {
    Test,
    Production,
}

impl AeatEnvironment {
    /// The cotejo service of a VERI*FACTU system (spec §5), before its query.
    fn verification_service(self) -> &'static str {
        match self {
            AeatEnvironment::Test => "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR",
            AeatEnvironment::Production => {
                "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR"
            }
        }
    }
}

/// The URL with which the customer checks an invoice at the AEAT: exactly
/// the four parameters of spec §6, in its order, each URL-encoded (§4).
/// `nif` is the issuer's, `number` the invoice's series and number as
/// registered (the AEAT allows ASCII 32–126, at most 60 characters; checking
/// that belongs to the series), `total` the invoice's total (ImporteTotal).
pub fn verification_url(
    environment: AeatEnvironment,
    nif: &str,
    number: &str,
    issue_date: Date,
    total: Money,
) -> String {
    format!(
        "{service}?nif={nif}&numserie={number}&fecha={day:02}-{month:02}-{year:04}&importe={amount}",
        service = environment.verification_service(),
        nif = url_encode(nif.trim()),
        number = url_encode(number.trim()),
        day = issue_date.day,
        month = issue_date.month,
        year = issue_date.year,
        amount = url_encode(&importe(total)),
    )
}

/// The amount as the URL carries it: `.` before the decimals, no grouping,
/// trailing zeros of the decimals dropped as in the AEAT's examples
/// (`241.4`), but at least one decimal, since the format is «numérico con
/// decimales».
fn importe(total: Money) -> String {
    let sign = if total.minor < 0 { "-" } else { "" };
    let magnitude = total.minor.unsigned_abs();
    let exponent = total.currency.exponent();
    let scale = 10_u64.pow(exponent);
    let decimals = format!("{:0width$}", magnitude % scale, width = exponent as usize);
    let decimals = match decimals.trim_end_matches('0') {
        "" => "0",
        trimmed => trimmed,
    };
    format!("{sign}{}.{decimals}", magnitude / scale)
}

/// Percent-encodes every UTF-8 byte except letters, digits, `-`, `.` and
/// `_`: the characters that both RFC 3986 and the form encoding of the
/// AEAT's Java example leave as they are, so either decoder reads the same
/// value (a space is `%20`, never `+`).
fn url_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// What a document carries so that its customer can check it at the AEAT:
/// set by the server when it issues a Spanish store's invoice, and drawn as
/// the QR code by the PDF and the customer's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxAgencyCheck {
    /// The AEAT's verification URL for this invoice ([`verification_url`]).
    pub url: String,
}

impl TaxAgencyCheck {
    /// The code to print, or `None` for a URL too long for any QR code
    /// (over 2,331 bytes at level M; a [`verification_url`] is a few hundred
    /// at most).
    pub fn symbol(&self) -> Option<QrSymbol> {
        QrSymbol::encode(&self.url)
    }

    /// What the link around the code says to a screen reader.
    pub fn link_label(language: Language) -> &'static str {
        match language {
            Language::It => "Verifica questa fattura presso l'agenzia tributaria spagnola (AEAT)",
            Language::Es => "Comprueba esta factura en la Agencia Tributaria (AEAT)",
            Language::En => "Check this invoice at the Spanish tax agency (AEAT)",
        }
    }
}

/// A QR code symbol (ISO/IEC 18004, error correction level M) as a square
/// grid of modules, without its quiet zone: each renderer adds the white
/// margin its medium needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrSymbol {
    width: usize,
    dark: Vec<bool>,
}

/// A horizontal run of dark modules in one row: the shape both renderers
/// draw, so a symbol is a few hundred rectangles rather than thousands of
/// squares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DarkRun {
    pub row: usize,
    pub column: usize,
    pub length: usize,
}

impl QrSymbol {
    /// The smallest symbol that holds `text` at level M, as the order asks;
    /// `None` when no version does.
    pub fn encode(text: &str) -> Option<Self> {
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
        Some(Self {
            width: code.width(),
            dark: code
                .into_colors()
                .into_iter()
                .map(|color| color == qrcode::Color::Dark)
                .collect(),
        })
    }

    /// Modules per side: 17 + 4 × the version.
    pub fn width(&self) -> usize {
        self.width
    }

    pub fn is_dark(&self, column: usize, row: usize) -> bool {
        column < self.width && row < self.width && self.dark[row * self.width + column]
    }

    /// Every run of dark modules, row by row, left to right.
    pub fn dark_runs(&self) -> Vec<DarkRun> {
        let mut runs = Vec::new();
        for (row, modules) in self.dark.chunks(self.width).enumerate() {
            let mut column = 0;
            while column < self.width {
                if !modules[column] {
                    column += 1;
                    continue;
                }
                let length = modules[column..].iter().take_while(|dark| **dark).count();
                runs.push(DarkRun {
                    row,
                    column,
                    length,
                });
                column += length;
            }
        }
        runs
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Currency;

    fn date(day: u32, month: u32, year: i32) -> Date {
        Date { year, month, day }
    }

    /// Reads a QR code the way a phone would: from a greyscale picture, with
    /// the rqrr decoder, which knows nothing of how it was drawn. Returns the
    /// text, the version and the error correction level as the format
    /// information encodes it (M is 0, L 1, H 2, Q 3).
    pub(crate) fn read_qr(
        width: usize,
        height: usize,
        grey: impl Fn(usize, usize) -> u8,
    ) -> (String, usize, u16) {
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, grey);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the picture");
        let (meta, text) = grids[0].decode().expect("a readable QR code");
        (text, meta.version.0, meta.ecc_level)
    }

    /// The symbol drawn at 4 pixels a module inside a 4-module quiet zone.
    fn picture_of(symbol: &QrSymbol) -> (usize, impl Fn(usize, usize) -> u8 + '_) {
        let side = (symbol.width() + 8) * 4;
        (side, move |x: usize, y: usize| {
            let (column, row) = ((x / 4).wrapping_sub(4), (y / 4).wrapping_sub(4));
            if symbol.is_dark(column, row) {
                0
            } else {
                255
            }
        })
    }

    #[test]
    fn the_url_is_the_aeats_own_example_in_both_environments() {
        let total = Money::new(24_140, Currency::Eur);
        assert_eq!(
            verification_url(
                AeatEnvironment::Test,
                "89890001K",
                "12345678-G33",
                date(1, 9, 2024),
                total
            ),
            "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR?nif=89890001K&numserie=12345678-G33&fecha=01-09-2024&importe=241.4"
        );
        assert_eq!(
            verification_url(
                AeatEnvironment::Production,
                "89890001K",
                "12345678-G33",
                date(1, 9, 2024),
                total
            ),
            "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR?nif=89890001K&numserie=12345678-G33&fecha=01-09-2024&importe=241.4"
        );
    }

    #[test]
    fn an_ampersand_in_the_number_is_encoded_as_the_spec_shows() {
        assert_eq!(
            verification_url(
                AeatEnvironment::Test,
                "89890001K",
                "12345678&G33",
                date(1, 1, 2024),
                Money::new(24_140, Currency::Eur)
            ),
            "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR?nif=89890001K&numserie=12345678%26G33&fecha=01-01-2024&importe=241.4"
        );
    }

    #[test]
    fn every_character_that_means_something_in_a_url_is_percent_encoded_as_utf8() {
        let url = verification_url(
            AeatEnvironment::Test,
            "89890001K",
            "A/B 1+2=3?#%~*ñ",
            date(31, 12, 2026),
            Money::new(100, Currency::Eur),
        );
        assert!(
            url.ends_with(
                "numserie=A%2FB%201%2B2%3D3%3F%23%25%7E%2A%C3%B1&fecha=31-12-2026&importe=1.0"
            ),
            "{url}"
        );
        let query = url.split_once('?').map(|(_, query)| query).unwrap_or("");
        assert_eq!(
            query
                .split('&')
                .map(|pair| pair.split('=').next().unwrap_or(""))
                .collect::<Vec<_>>(),
            ["nif", "numserie", "fecha", "importe"],
            "exactly the four parameters, in order"
        );
        assert!(url.bytes().all(|byte| (33..=126).contains(&byte)), "{url}");
    }

    #[test]
    fn amounts_use_a_point_and_keep_one_decimal_at_least() {
        for (minor, expected) in [
            (24_140, "241.4"),
            (12_345, "123.45"),
            (10_000, "100.0"),
            (5, "0.05"),
            (123_456_789_012_345, "1234567890123.45"),
            (-24_140, "-241.4"),
        ] {
            assert_eq!(importe(Money::new(minor, Currency::Eur)), expected);
        }
        assert_eq!(importe(Money::new(1_500, Currency::Jpy)), "1500.0");
    }

    #[test]
    fn the_symbol_reads_back_as_the_url_at_error_correction_m() {
        let url = verification_url(
            AeatEnvironment::Production,
            "89890001K",
            "12345678&G33",
            date(1, 1, 2024),
            Money::new(24_140, Currency::Eur),
        );
        let symbol = QrSymbol::encode(&url).expect("fits");
        let (side, grey) = picture_of(&symbol);
        let (text, version, ecc_level) = read_qr(side, side, grey);
        assert_eq!(text, url);
        assert_eq!(ecc_level, 0, "format information says level M");
        assert_eq!(symbol.width(), 17 + 4 * version);
    }

    #[test]
    fn dark_runs_cover_exactly_the_dark_modules() {
        let symbol = QrSymbol::encode("https://prewww2.aeat.es/").expect("fits");
        let mut covered = vec![false; symbol.width() * symbol.width()];
        for run in symbol.dark_runs() {
            assert!(run.length > 0 && run.column + run.length <= symbol.width());
            for column in run.column..run.column + run.length {
                let module = &mut covered[run.row * symbol.width() + column];
                assert!(!*module, "runs do not overlap");
                *module = true;
            }
        }
        for row in 0..symbol.width() {
            for column in 0..symbol.width() {
                assert_eq!(
                    covered[row * symbol.width() + column],
                    symbol.is_dark(column, row)
                );
            }
        }
        // The finder pattern's top row is one run of seven.
        assert_eq!(
            symbol.dark_runs()[0],
            DarkRun {
                row: 0,
                column: 0,
                length: 7
            }
        );
    }

    #[test]
    fn text_beyond_the_largest_symbol_is_refused_not_truncated() {
        assert!(QrSymbol::encode(&"a".repeat(2_331)).is_some());
        assert!(QrSymbol::encode(&"a".repeat(2_332)).is_none());
    }
}
