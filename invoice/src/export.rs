//! The accountant's CSV files: invoices, payments and the history of a
//! period, written the way spreadsheets set up for Italy and Spain open them
//! without an import dialog: UTF-8 with a byte-order mark (without it Excel
//! reads the file as Windows-1252 and breaks every accent), `;` between
//! fields (the comma is the decimal separator there), decimal comma and no
//! thousands grouping, dates as `dd/mm/yyyy`, fields quoted as RFC 4180 says
//! (with `;` as the separator), lines ending in CRLF.
//!
//! A cell is data, never a formula: text that starts as a formula would
//! (`=`, `+`, `-`, `@`, a tab or a carriage return — a customer named
//! `=HYPERLINK(…)`) is prefixed with `'`, which spreadsheets show as text.
//! Amounts are written by this module, not taken from text, so a negative
//! amount stays a number.

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::document::DocumentKind;
use crate::i18n::Language;
use crate::payment::PaymentMethod;
use crate::problem::Problem;
use crate::status::InvoiceStatus;
use crate::Money;

/// What a file starts with, so spreadsheets read it as UTF-8.
pub const BOM: &str = "\u{feff}";
/// Between fields.
pub const SEPARATOR: char = ';';
/// The longest period one file covers: a year, leap day included.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// Which file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportKind {
    Invoices,
    Payments,
    History,
}

impl ExportKind {
    pub const ALL: [ExportKind; 3] = [
        ExportKind::Invoices,
        ExportKind::Payments,
        ExportKind::History,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ExportKind::Invoices => "invoices",
            ExportKind::Payments => "payments",
            ExportKind::History => "history",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (ExportKind::Invoices, Language::En) => "Invoices",
            (ExportKind::Invoices, Language::It) => "Fatture",
            (ExportKind::Invoices, Language::Es) => "Facturas",
            (ExportKind::Payments, Language::En) => "Payments",
            (ExportKind::Payments, Language::It) => "Pagamenti",
            (ExportKind::Payments, Language::Es) => "Pagos",
            (ExportKind::History, Language::En) => "History",
            (ExportKind::History, Language::It) => "Cronologia",
            (ExportKind::History, Language::Es) => "Historial",
        }
    }

    /// The file's name: `invoices_2026-01-01_2026-03-31.csv`, in the
    /// language of its headers.
    pub fn file_name(self, period: Period, language: Language) -> String {
        let stem = match (self, language) {
            (ExportKind::Invoices, Language::It) => "fatture",
            (ExportKind::Invoices, Language::Es) => "facturas",
            (ExportKind::Payments, Language::It) => "pagamenti",
            (ExportKind::Payments, Language::Es) => "pagos",
            (ExportKind::History, Language::It) => "cronologia",
            (ExportKind::History, Language::Es) => "historial",
            (kind, Language::En) => kind.code(),
        };
        format!("{stem}_{}_{}.csv", period.from, period.to)
    }

    /// The header line, in `language`.
    pub fn header(self, language: Language) -> String {
        let names: &[(&str, &str, &str)] = match self {
            ExportKind::Invoices => &[
                ("Number", "Numero", "Número"),
                ("Document", "Documento", "Documento"),
                ("Issue date", "Data emissione", "Fecha de emisión"),
                ("Due date", "Scadenza", "Vencimiento"),
                ("Store", "Negozio", "Tienda"),
                ("Customer", "Cliente", "Cliente"),
                ("Customer tax id", "Partita IVA / CF cliente", "NIF cliente"),
                ("Status", "Stato", "Estado"),
                ("Currency", "Valuta", "Moneda"),
                ("Net", "Imponibile", "Base imponible"),
                ("Tax", "Imposta", "Impuesto"),
                ("Total", "Totale", "Total"),
                ("Paid", "Pagato", "Pagado"),
                ("Due", "Da pagare", "Pendiente"),
            ],
            ExportKind::Payments => &[
                ("Payment date", "Data pagamento", "Fecha de pago"),
                ("Invoice", "Fattura", "Factura"),
                ("Store", "Negozio", "Tienda"),
                ("Customer", "Cliente", "Cliente"),
                ("Method", "Metodo", "Método"),
                ("Reference", "Riferimento", "Referencia"),
                ("Currency", "Valuta", "Moneda"),
                ("Amount", "Importo", "Importe"),
            ],
            ExportKind::History => &[
                ("Date", "Data", "Fecha"),
                ("Time (UTC)", "Ora (UTC)", "Hora (UTC)"),
                ("Invoice", "Fattura", "Factura"),
                ("Store", "Negozio", "Tienda"),
                ("Customer", "Cliente", "Cliente"),
                ("Event", "Evento", "Evento"),
                ("Recipient", "Destinatario", "Destinatario"),
                ("Automated", "Automatico", "Automático"),
            ],
        };
        line(names.iter().map(|(en, it, es)| {
            text_cell(match language {
                Language::En => en,
                Language::It => it,
                Language::Es => es,
            })
        }))
    }
}

/// The days a file covers, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// From `from` to `to`, both included, at most [`MAX_PERIOD_DAYS`].
    pub fn new(from: Date, to: Date) -> Result<Self, Problem> {
        let days = to.days_since_epoch() - from.days_since_epoch() + 1;
        if days < 1 {
            return Err(Problem::PeriodEndsBeforeStart);
        }
        if days > MAX_PERIOD_DAYS {
            return Err(Problem::PeriodTooLong {
                max_days: MAX_PERIOD_DAYS,
            });
        }
        Ok(Self { from, to })
    }

    /// The instants it covers, in Unix milliseconds: from the first day's
    /// UTC midnight to the midnight after the last day (excluded).
    pub fn instants(self) -> (i64, i64) {
        const DAY_MS: i64 = 86_400_000;
        (
            self.from.days_since_epoch() * DAY_MS,
            (self.to.days_since_epoch() + 1) * DAY_MS,
        )
    }
}

/// One issued invoice or credit note. Amounts are as stored (positive); a
/// credit note's are written negative, so a column adds up to what is owed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    pub number: String,
    pub kind: DocumentKind,
    pub issue_date: Option<Date>,
    pub due_date: Option<Date>,
    pub store: String,
    pub customer: String,
    pub customer_tax_id: String,
    pub status: InvoiceStatus,
    pub net: Money,
    pub tax: Money,
    pub total: Money,
    pub paid: Money,
    pub due: Money,
}

impl InvoiceLine {
    pub fn to_csv(&self, language: Language) -> String {
        let signed = |money: Money| match self.kind {
            DocumentKind::Invoice => money,
            DocumentKind::CreditNote => Money::new(-money.minor, money.currency),
        };
        line([
            text_cell(&self.number),
            text_cell(kind_label(self.kind, language)),
            self.issue_date.map(date_cell).unwrap_or_default(),
            self.due_date.map(date_cell).unwrap_or_default(),
            text_cell(&self.store),
            text_cell(&self.customer),
            text_cell(&self.customer_tax_id),
            text_cell(self.status.label(language)),
            text_cell(self.total.currency.code()),
            amount_cell(signed(self.net)),
            amount_cell(signed(self.tax)),
            amount_cell(signed(self.total)),
            amount_cell(self.paid),
            amount_cell(self.due),
        ])
    }
}

/// One payment recorded (deleted payments are not in the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLine {
    pub date: Date,
    pub invoice_number: String,
    pub store: String,
    pub customer: String,
    pub method: PaymentMethod,
    pub reference: String,
    pub amount: Money,
}

impl PaymentLine {
    pub fn to_csv(&self, language: Language) -> String {
        line([
            date_cell(self.date),
            text_cell(&self.invoice_number),
            text_cell(&self.store),
            text_cell(&self.customer),
            text_cell(self.method.label(language)),
            text_cell(&self.reference),
            text_cell(self.amount.currency.code()),
            amount_cell(self.amount),
        ])
    }
}

/// One entry of an invoice's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    pub at_ms: i64,
    pub invoice_number: String,
    pub store: String,
    pub customer: String,
    /// The entry's stored kind (`crate::history::HistoryEvent::kind`):
    /// stable names an accountant can filter on.
    pub event: String,
    pub recipient: String,
    pub automated: bool,
}

impl HistoryLine {
    pub fn to_csv(&self, language: Language) -> String {
        let minutes = self.at_ms.rem_euclid(86_400_000) / 60_000;
        let yes_no = match (self.automated, language) {
            (true, Language::En) => "yes",
            (true, Language::It) => "sì",
            (true, Language::Es) => "sí",
            (false, _) => "no",
        };
        line([
            date_cell(Date::from_unix_millis(self.at_ms)),
            format!("{:02}:{:02}", minutes / 60, minutes % 60),
            text_cell(&self.invoice_number),
            text_cell(&self.store),
            text_cell(&self.customer),
            text_cell(&self.event),
            text_cell(&self.recipient),
            text_cell(yes_no),
        ])
    }
}

fn kind_label(kind: DocumentKind, language: Language) -> &'static str {
    match (kind, language) {
        (DocumentKind::Invoice, Language::En) => "Invoice",
        (DocumentKind::Invoice, Language::It) => "Fattura",
        (DocumentKind::Invoice, Language::Es) => "Factura",
        (DocumentKind::CreditNote, Language::En) => "Credit note",
        (DocumentKind::CreditNote, Language::It) => "Nota di credito",
        (DocumentKind::CreditNote, Language::Es) => "Nota de crédito",
    }
}

/// Fields joined by the separator, ended by CRLF.
fn line(cells: impl IntoIterator<Item = String>) -> String {
    let mut line = cells
        .into_iter()
        .collect::<Vec<_>>()
        .join(&SEPARATOR.to_string());
    line.push_str("\r\n");
    line
}

/// Text as a cell: kept from reading as a formula, and quoted when it holds
/// the separator, a quote or a line break (quotes doubled inside).
pub fn text_cell(text: &str) -> String {
    let starts_as_formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if starts_as_formula {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([SEPARATOR, '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// An amount with a decimal comma and no grouping: `-1234,50`, `1500` (yen).
pub fn amount_cell(money: Money) -> String {
    money.to_plain().replace('.', ",")
}

/// `dd/mm/yyyy`.
pub fn date_cell(date: Date) -> String {
    format!("{:02}/{:02}/{:04}", date.day, date.month, date.year)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn date(text: &str) -> Date {
        Date::parse(text).expect("date")
    }

    fn invoice_line() -> InvoiceLine {
        InvoiceLine {
            number: "2026/0001".into(),
            kind: DocumentKind::Invoice,
            issue_date: Some(date("2026-03-05")),
            due_date: None,
            store: "Bottega; Milano".into(),
            customer: "Maria \"Mari\" Pérez".into(),
            customer_tax_id: "ESB12345674".into(),
            status: InvoiceStatus::PartiallyPaid,
            net: Money::new(100_000, Currency::Eur),
            tax: Money::new(22_000, Currency::Eur),
            total: Money::new(122_000, Currency::Eur),
            paid: Money::new(2_050, Currency::Eur),
            due: Money::new(119_950, Currency::Eur),
        }
    }

    #[test]
    fn an_invoice_line_has_decimal_commas_day_first_dates_and_quoted_text() {
        assert_eq!(
            invoice_line().to_csv(Language::It),
            "2026/0001;Fattura;05/03/2026;;\"Bottega; Milano\";\"Maria \"\"Mari\"\" Pérez\";ESB12345674;Parzialmente pagata;EUR;1000,00;220,00;1220,00;20,50;1199,50\r\n"
        );
    }

    #[test]
    fn a_credit_note_reads_as_negative_amounts_that_stay_numbers() {
        let credit = InvoiceLine {
            kind: DocumentKind::CreditNote,
            ..invoice_line()
        };
        let cells: Vec<String> = credit
            .to_csv(Language::Es)
            .trim_end()
            .split(';')
            .map(str::to_owned)
            .collect();
        assert_eq!(cells[1], "Nota de crédito");
        assert_eq!(
            &cells[cells.len() - 5..cells.len() - 2],
            ["-1000,00", "-220,00", "-1220,00"]
        );
    }

    #[test]
    fn yen_have_no_decimals_and_negative_cents_keep_their_sign() {
        assert_eq!(amount_cell(Money::new(150_000, Currency::Jpy)), "150000");
        assert_eq!(amount_cell(Money::new(-150_000, Currency::Jpy)), "-150000");
        assert_eq!(amount_cell(Money::new(-5, Currency::Eur)), "-0,05");
        assert_eq!(
            amount_cell(Money::new(123_456_789, Currency::Usd)),
            "1234567,89"
        );
    }

    #[test]
    fn text_that_would_run_as_a_formula_is_written_as_text() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+39 02",
            "-2+3",
            "@SUM(A1)",
            "\tcmd",
        ] {
            let cell = text_cell(formula);
            let unquoted = cell
                .strip_prefix('"')
                .and_then(|cell| cell.strip_suffix('"'))
                .unwrap_or(&cell);
            assert!(unquoted.starts_with('\''), "{formula:?} became {cell:?}");
        }
        assert_eq!(text_cell("=1+1"), "'=1+1");
        assert_eq!(text_cell("=A1;B1"), "\"'=A1;B1\"");
        assert_eq!(text_cell("Rossi srl"), "Rossi srl");
    }

    #[test]
    fn separators_quotes_and_line_breaks_are_quoted_as_rfc_4180_says() {
        assert_eq!(text_cell("a;b"), "\"a;b\"");
        assert_eq!(text_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(text_cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(text_cell("comma, fine"), "comma, fine");
    }

    #[test]
    fn headers_follow_the_merchants_language() {
        assert!(ExportKind::Invoices
            .header(Language::It)
            .starts_with("Numero;Documento;Data emissione;"));
        assert!(ExportKind::Payments
            .header(Language::Es)
            .starts_with("Fecha de pago;Factura;"));
        assert!(ExportKind::History
            .header(Language::En)
            .starts_with("Date;Time (UTC);Invoice;"));
        assert!(ExportKind::History.header(Language::En).ends_with("\r\n"));
    }

    #[test]
    fn a_payment_line_names_its_method_in_the_language_and_neutralises_its_reference() {
        let payment = PaymentLine {
            date: date("2026-12-31"),
            invoice_number: "2026-0007".into(),
            store: "Tienda".into(),
            customer: "@cliente".into(),
            method: PaymentMethod::BankTransfer,
            reference: "-TRF 1".into(),
            amount: Money::new(4_999, Currency::Eur),
        };
        let csv = payment.to_csv(Language::Es);
        assert!(
            csv.starts_with("31/12/2026;2026-0007;Tienda;'@cliente;"),
            "{csv}"
        );
        assert!(csv.ends_with(";'-TRF 1;EUR;49,99\r\n"), "{csv}");
    }

    #[test]
    fn a_history_line_has_the_utc_date_and_time() {
        let entry = HistoryLine {
            // 2026-11-22 09:05 UTC
            at_ms: 1_795_338_300_000,
            invoice_number: "2026-0001".into(),
            store: "Bottega".into(),
            customer: "Rossi".into(),
            event: "email_sent".into(),
            recipient: "customer".into(),
            automated: false,
        };
        assert_eq!(
            entry.to_csv(Language::It),
            "22/11/2026;09:05;2026-0001;Bottega;Rossi;email_sent;customer;no\r\n"
        );
    }

    #[test]
    fn a_period_is_at_most_366_days_and_never_backwards() {
        assert!(Period::new(date("2024-01-01"), date("2024-12-31")).is_ok());
        assert_eq!(
            Period::new(date("2025-01-01"), date("2026-01-02")),
            Err(Problem::PeriodTooLong { max_days: 366 })
        );
        assert_eq!(
            Period::new(date("2026-02-02"), date("2026-02-01")),
            Err(Problem::PeriodEndsBeforeStart)
        );
        let day = Period::new(date("1970-01-02"), date("1970-01-02")).expect("one day");
        assert_eq!(day.instants(), (86_400_000, 172_800_000));
    }

    #[test]
    fn file_names_carry_the_kind_and_the_period() {
        let period = Period::new(date("2026-01-01"), date("2026-03-31")).expect("period");
        assert_eq!(
            ExportKind::Payments.file_name(period, Language::It),
            "pagamenti_2026-01-01_2026-03-31.csv"
        );
        assert_eq!(
            ExportKind::Invoices.file_name(period, Language::En),
            "invoices_2026-01-01_2026-03-31.csv"
        );
    }
}
