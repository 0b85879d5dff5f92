//! A customer's statement of open items on A4, drawn as the invoice is: the
//! business and the customer on top, one row per invoice still owed (number,
//! date, due date, total, paid, balance, days overdue), a total per currency
//! (never summed across currencies), "Page n/m" on every page.

use printpdf::{PdfDocument, PdfPage, PdfSaveOptions};

use super::{
    numbered_a4_pages, Canvas, Fonts, Weight, BODY_SIZE, MARGIN, PAGE_HEIGHT, PAGE_WIDTH,
    ROW_HEIGHT,
};
use crate::chase::{days_overdue, Statement};
use crate::i18n::{text, Language, Text};

const COL_NUMBER: f32 = MARGIN;
const COL_ISSUED: f32 = 150.0;
const COL_DUE: f32 = 215.0;
const COL_TOTAL_RIGHT: f32 = 330.0;
const COL_PAID_RIGHT: f32 = 395.0;
const COL_BALANCE_RIGHT: f32 = 460.0;
const COL_DAYS_RIGHT: f32 = PAGE_WIDTH - MARGIN;
/// Room kept at the bottom of each page for the footer.
const FOOTER_SPACE: f32 = 60.0;

/// The statement's own words, customer-facing, in the customer's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Words {
    Title,
    Customer,
    OpenItemsOn,
    Balance,
    DaysOverdue,
    TotalOwed,
    NothingOwed,
}

fn words(language: Language, key: Words) -> &'static str {
    use Language::*;
    use Words::*;
    match (key, language) {
        (Title, En) => "Statement of account",
        (Title, It) => "Estratto conto",
        (Title, Es) => "Estado de cuenta",
        (Customer, En) => "Customer",
        (Customer, It) => "Cliente",
        (Customer, Es) => "Cliente",
        (OpenItemsOn, En) => "Open items on {date}",
        (OpenItemsOn, It) => "Partite aperte al {date}",
        (OpenItemsOn, Es) => "Partidas abiertas a {date}",
        (Balance, En) => "Balance",
        (Balance, It) => "Saldo",
        (Balance, Es) => "Saldo",
        (DaysOverdue, En) => "Days overdue",
        (DaysOverdue, It) => "Giorni di ritardo",
        (DaysOverdue, Es) => "Días de retraso",
        (TotalOwed, En) => "Total owed",
        (TotalOwed, It) => "Totale dovuto",
        (TotalOwed, Es) => "Total adeudado",
        (NothingOwed, En) => "Nothing is owed: thank you.",
        (NothingOwed, It) => "Non risulta nulla da pagare: grazie.",
        (NothingOwed, Es) => "No hay importes pendientes: gracias.",
    }
}

/// The statement's title, in its language (also the PDF's title).
pub fn statement_title(language: Language) -> &'static str {
    words(language, Words::Title)
}

/// Renders the statement as an A4 PDF.
pub fn render_statement(statement: &Statement) -> Vec<u8> {
    let language = statement.language;
    let mut pdf = PdfDocument::new(statement_title(language));
    let texts = std::iter::once(&statement.from)
        .chain([&statement.customer.name])
        .chain(&statement.customer.address)
        .chain(statement.customer.tax_id.as_ref())
        .chain(statement.items.iter().map(|item| &item.number));
    let fonts = Fonts::for_texts(texts.map(String::as_str), &mut pdf);
    let pages = render_pages(&fonts, statement);
    let mut warnings = Vec::new();
    pdf.with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings)
}

fn render_pages(fonts: &Fonts, statement: &Statement) -> Vec<PdfPage> {
    let language = statement.language;
    let mut pages: Vec<Canvas> = Vec::new();
    let mut canvas = Canvas::new(fonts);
    let mut top = header(&mut canvas, statement);
    let bottom = PAGE_HEIGHT - FOOTER_SPACE;
    if statement.items.is_empty() {
        canvas.text(
            MARGIN,
            top,
            BODY_SIZE,
            Weight::Regular,
            words(language, Words::NothingOwed),
        );
    } else {
        top = table_header(&mut canvas, language, top);
        let totals = statement.totals();
        for (index, item) in statement.items.iter().enumerate() {
            let is_last = index + 1 == statement.items.len();
            let needed = ROW_HEIGHT
                + if is_last {
                    ROW_HEIGHT * (totals.len() as f32 + 1.0)
                } else {
                    0.0
                };
            if top + needed > bottom {
                pages.push(std::mem::replace(&mut canvas, Canvas::new(fonts)));
                let title = format!(
                    "{} · {} · {}",
                    statement_title(language),
                    statement.customer.name,
                    statement.from
                );
                canvas.text(MARGIN, 60.0, 10.0, Weight::Bold, &title);
                top = table_header(&mut canvas, language, 90.0);
            }
            let overdue = days_overdue(item.due_date, statement.date);
            canvas.text(COL_NUMBER, top, BODY_SIZE, Weight::Regular, &item.number);
            canvas.text(
                COL_ISSUED,
                top,
                BODY_SIZE,
                Weight::Regular,
                &item.issue_date.format(language),
            );
            canvas.text(
                COL_DUE,
                top,
                BODY_SIZE,
                Weight::Regular,
                &item
                    .due_date
                    .map_or_else(|| "—".to_owned(), |due| due.format(language)),
            );
            for (right, amount) in [
                (COL_TOTAL_RIGHT, item.total),
                (COL_PAID_RIGHT, item.settled),
                (COL_BALANCE_RIGHT, item.balance),
            ] {
                canvas.text_right(
                    right,
                    top,
                    BODY_SIZE,
                    Weight::Regular,
                    &amount.format(language),
                );
            }
            let days = if overdue > 0 {
                overdue.to_string()
            } else {
                "—".to_owned()
            };
            canvas.text_right(
                COL_DAYS_RIGHT,
                top,
                BODY_SIZE,
                if overdue > 0 {
                    Weight::Bold
                } else {
                    Weight::Regular
                },
                &days,
            );
            top += ROW_HEIGHT;
        }
        canvas.rule(top - ROW_HEIGHT + 6.0, 0.5, 0.75);
        top += 4.0;
        for total in totals {
            canvas.text_right(
                COL_PAID_RIGHT,
                top,
                10.0,
                Weight::Bold,
                &format!(
                    "{} ({})",
                    words(language, Words::TotalOwed),
                    total.currency.code()
                ),
            );
            canvas.text_right(
                COL_BALANCE_RIGHT,
                top,
                10.0,
                Weight::Bold,
                &total.format(language),
            );
            top += ROW_HEIGHT;
        }
    }
    pages.push(canvas);

    numbered_a4_pages(pages, language)
}

/// The business and the title on top, the customer below; returns where the
/// table starts.
fn header(canvas: &mut Canvas, statement: &Statement) -> f32 {
    let language = statement.language;
    canvas.text(MARGIN, 70.0, 16.0, Weight::Bold, &statement.from);
    let right = PAGE_WIDTH - MARGIN;
    canvas.text_right(right, 70.0, 20.0, Weight::Bold, statement_title(language));
    canvas.text_right(
        right,
        92.0,
        BODY_SIZE,
        Weight::Regular,
        &format!(
            "{}: {}",
            text(language, Text::IssueDate),
            statement.date.format(language)
        ),
    );
    let mut top = 130.0;
    canvas.text(
        MARGIN,
        top,
        8.5,
        Weight::Bold,
        words(language, Words::Customer),
    );
    top += 14.0;
    canvas.text(MARGIN, top, 11.0, Weight::Regular, &statement.customer.name);
    top += 13.0;
    for line in statement
        .customer
        .address
        .iter()
        .chain(statement.customer.tax_id.as_ref())
    {
        canvas.text(MARGIN, top, BODY_SIZE, Weight::Regular, line);
        top += 12.0;
    }
    top += 24.0;
    let intro =
        words(language, Words::OpenItemsOn).replace("{date}", &statement.date.format(language));
    canvas.text(MARGIN, top, 11.0, Weight::Bold, &intro);
    top + 26.0
}

fn table_header(canvas: &mut Canvas, language: Language, top: f32) -> f32 {
    let t = |key| text(language, key);
    canvas.text(COL_NUMBER, top, 8.5, Weight::Bold, t(Text::InvoiceNumber));
    canvas.text(COL_ISSUED, top, 8.5, Weight::Bold, t(Text::IssueDate));
    canvas.text(COL_DUE, top, 8.5, Weight::Bold, t(Text::DueDate));
    canvas.text_right(COL_TOTAL_RIGHT, top, 8.5, Weight::Bold, t(Text::Total));
    canvas.text_right(COL_PAID_RIGHT, top, 8.5, Weight::Bold, t(Text::AmountPaid));
    canvas.text_right(
        COL_BALANCE_RIGHT,
        top,
        8.5,
        Weight::Bold,
        words(language, Words::Balance),
    );
    canvas.text_right(
        COL_DAYS_RIGHT,
        top,
        8.5,
        Weight::Bold,
        words(language, Words::DaysOverdue),
    );
    canvas.rule(top + 6.0, 0.8, 0.2);
    top + 6.0 + ROW_HEIGHT
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chase::StatementItem;
    use crate::dates::Date;
    use crate::document::Party;
    use crate::{Currency, Money};

    fn date(text: &str) -> Date {
        Date::parse(text).expect("date")
    }

    fn item(number: &str, due: &str, total: i64, paid: i64, currency: Currency) -> StatementItem {
        StatementItem {
            number: number.into(),
            issue_date: date("2026-09-01"),
            due_date: Some(date(due)),
            total: Money::new(total, currency),
            settled: Money::new(paid, currency),
            balance: Money::new(total - paid, currency),
        }
    }

    fn statement(language: Language, items: Vec<StatementItem>) -> Statement {
        Statement {
            language,
            from: "Bottega Rossi".into(),
            customer: Party {
                name: "Maria Pérez".into(),
                address: vec!["Calle Mayor 1".into(), "28013 Madrid".into()],
                tax_id: Some("B12345678".into()),
            },
            date: date("2026-12-02"),
            items,
        }
    }

    #[test]
    fn a_statement_lists_each_open_item_with_its_days_overdue_and_a_total_per_currency() {
        let pdf = render_statement(&statement(
            Language::Es,
            vec![
                item("2026-0001", "2026-10-01", 24_400, 4_400, Currency::Eur),
                item("2026-0002", "2026-12-10", 5_000, 0, Currency::Eur),
                item("US-0001", "2026-11-30", 1_000, 0, Currency::Usd),
            ],
        ));
        let text = super::super::tests::pdftotext(&pdf);
        for expected in [
            "Bottega Rossi",
            "Estado de cuenta",
            "Maria Pérez",
            "Partidas abiertas a 02/12/2026",
            "Días de retraso",
            "Saldo",
            "Total adeudado (EUR)",
            "250,00 €",
            "Total adeudado (USD)",
            "Página 1/1",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        let row = |number: &str| {
            text.lines()
                .find(|line| line.contains(number))
                .unwrap_or_else(|| panic!("no row for {number} in:\n{text}"))
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(
            row("2026-0001").ends_with("244,00 € 44,00 € 200,00 € 62"),
            "{}",
            row("2026-0001")
        );
        assert!(
            row("2026-0002").ends_with("50,00 € 0,00 € 50,00 € —"),
            "{}",
            row("2026-0002")
        );
        assert!(row("US-0001").ends_with(" 2"), "{}", row("US-0001"));
    }

    #[test]
    fn a_statement_speaks_the_customers_language() {
        let items = || vec![item("2026-0001", "2026-10-01", 1_000, 0, Currency::Eur)];
        let italian =
            super::super::tests::pdftotext(&render_statement(&statement(Language::It, items())));
        assert!(italian.contains("Estratto conto") && italian.contains("Giorni di ritardo"));
        let english =
            super::super::tests::pdftotext(&render_statement(&statement(Language::En, items())));
        assert!(english.contains("Statement of account") && english.contains("Total owed (EUR)"));
    }

    #[test]
    fn a_long_statement_flows_onto_more_pages_and_totals_once() {
        let items = (1..=80)
            .map(|n| {
                item(
                    &format!("2026-{n:04}"),
                    "2026-11-01",
                    1_000,
                    0,
                    Currency::Eur,
                )
            })
            .collect();
        let text =
            super::super::tests::pdftotext(&render_statement(&statement(Language::En, items)));
        assert!(
            text.contains("Page 1/3") && text.contains("Page 3/3"),
            "{text}"
        );
        assert_eq!(text.matches("Total owed (EUR)").count(), 1);
        assert!(text.contains("800.00"), "{text}");
        assert!(text.contains("2026-0080"));
    }

    #[test]
    fn a_statement_with_nothing_owed_says_so() {
        let text =
            super::super::tests::pdftotext(&render_statement(&statement(Language::It, Vec::new())));
        assert!(text.contains("Non risulta nulla da pagare"), "{text}");
    }
}
