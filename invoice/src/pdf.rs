//! The invoice as an A4 PDF, drawn with printpdf's built-in Helvetica.
//!
//! Lines flow onto as many pages as they need; every page repeats the table
//! header and carries "Page n/m". Helvetica is not embedded: it covers
//! Western European text (à é ñ ü, €) through WinAnsi encoding, which is what
//! the it/es/en documents use.

use printpdf::{
    BuiltinFont, Color, Line, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem,
};

use crate::document::{format_quantity, format_tax_rate, PublicDocument};
use crate::i18n::{text, Text};
use crate::Money;

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 50.0;
const ROW_HEIGHT: f32 = 18.0;
const BODY_SIZE: f32 = 9.5;
/// Space kept free at the bottom of every page for the page number.
const FOOTER_SPACE: f32 = 60.0;
/// Room the totals block needs below the last line.
const TOTALS_SPACE: f32 = 110.0;

/// Right edges of the numeric columns, and the left edge of the description.
const COL_DESCRIPTION: f32 = MARGIN;
const COL_QUANTITY_RIGHT: f32 = 330.0;
const COL_PRICE_RIGHT: f32 = 420.0;
const COL_TAX_RIGHT: f32 = 470.0;
const COL_AMOUNT_RIGHT: f32 = PAGE_WIDTH - MARGIN;

/// Helvetica advance widths (1/1000 em) of printable ASCII, from its AFM.
const HELVETICA_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

#[derive(Clone, Copy, PartialEq)]
enum Weight {
    Regular,
    Bold,
}

/// The width of `text` in points, for right alignment. Bold Helvetica runs
/// about 5 % wider than regular; characters outside ASCII count as a digit.
fn text_width(text: &str, size: f32, weight: Weight) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match c as u32 {
            code @ 32..=126 => u32::from(HELVETICA_WIDTHS[(code - 32) as usize]),
            0xA0 => 278,
            _ => 556,
        })
        .sum();
    let factor = if weight == Weight::Bold { 1.05 } else { 1.0 };
    units as f32 / 1000.0 * size * factor
}

/// The operations of one page, with helpers that take top-down coordinates.
struct Canvas {
    ops: Vec<Op>,
}

impl Canvas {
    fn new() -> Self {
        Self { ops: Vec::new() }
    }

    fn text(&mut self, x: f32, top: f32, size: f32, weight: Weight, content: &str) {
        let font = match weight {
            Weight::Regular => BuiltinFont::Helvetica,
            Weight::Bold => BuiltinFont::HelveticaBold,
        };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::Builtin(font),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point {
                    x: Pt(x),
                    y: Pt(PAGE_HEIGHT - top),
                },
            },
            Op::ShowText {
                items: vec![TextItem::Text(content.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    fn text_right(&mut self, right: f32, top: f32, size: f32, weight: Weight, content: &str) {
        self.text(
            right - text_width(content, size, weight),
            top,
            size,
            weight,
            content,
        );
    }

    fn rule(&mut self, top: f32, thickness: f32, grey: f32) {
        self.ops.extend([
            Op::SetOutlineColor {
                col: Color::Rgb(Rgb::new(grey, grey, grey, None)),
            },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: [MARGIN, PAGE_WIDTH - MARGIN]
                        .map(|x| LinePoint {
                            p: Point {
                                x: Pt(x),
                                y: Pt(PAGE_HEIGHT - top),
                            },
                            bezier: false,
                        })
                        .to_vec(),
                    is_closed: false,
                },
            },
        ]);
    }
}

/// Cuts a description to fit its column, marking the cut with an ellipsis.
fn fit(description: &str, width: f32) -> String {
    if text_width(description, BODY_SIZE, Weight::Regular) <= width {
        return description.to_owned();
    }
    let mut fitted = String::new();
    for c in description.chars() {
        if text_width(&format!("{fitted}{c}…"), BODY_SIZE, Weight::Regular) > width {
            break;
        }
        fitted.push(c);
    }
    fitted.push('…');
    fitted
}

fn table_header(canvas: &mut Canvas, document: &PublicDocument, top: f32) -> f32 {
    let t = |key| text(document.language, key);
    canvas.text(
        COL_DESCRIPTION,
        top,
        8.5,
        Weight::Bold,
        t(Text::Description),
    );
    canvas.text_right(
        COL_QUANTITY_RIGHT,
        top,
        8.5,
        Weight::Bold,
        t(Text::Quantity),
    );
    canvas.text_right(COL_PRICE_RIGHT, top, 8.5, Weight::Bold, t(Text::UnitPrice));
    canvas.text_right(COL_TAX_RIGHT, top, 8.5, Weight::Bold, t(Text::TaxRate));
    canvas.text_right(COL_AMOUNT_RIGHT, top, 8.5, Weight::Bold, t(Text::Amount));
    canvas.rule(top + 6.0, 0.8, 0.2);
    top + 6.0 + ROW_HEIGHT
}

/// The first page's header: seller, title, number and dates, customer.
fn first_page_header(canvas: &mut Canvas, document: &PublicDocument) -> f32 {
    let language = document.language;
    let t = |key| text(language, key);
    canvas.text(MARGIN, 70.0, 16.0, Weight::Bold, &document.seller.name);
    let mut top = 88.0;
    for line in document
        .seller
        .address
        .iter()
        .chain(document.seller.tax_id.as_ref())
    {
        canvas.text(MARGIN, top, BODY_SIZE, Weight::Regular, line);
        top += 12.0;
    }
    let right = PAGE_WIDTH - MARGIN;
    canvas.text_right(right, 70.0, 20.0, Weight::Bold, t(Text::Invoice));
    let mut facts = vec![
        (t(Text::InvoiceNumber), document.number.clone()),
        (t(Text::IssueDate), document.issue_date.format(language)),
    ];
    if let Some(due) = document.due_date {
        facts.push((t(Text::DueDate), due.format(language)));
    }
    let mut fact_top = 92.0;
    for (label, value) in facts {
        canvas.text_right(
            right,
            fact_top,
            BODY_SIZE,
            Weight::Regular,
            &format!("{label}: {value}"),
        );
        fact_top += 13.0;
    }
    top = top.max(fact_top) + 24.0;
    canvas.text(MARGIN, top, 8.5, Weight::Bold, t(Text::BilledTo));
    top += 14.0;
    canvas.text(MARGIN, top, 11.0, Weight::Regular, &document.customer.name);
    top += 13.0;
    for line in document
        .customer
        .address
        .iter()
        .chain(document.customer.tax_id.as_ref())
    {
        canvas.text(MARGIN, top, BODY_SIZE, Weight::Regular, line);
        top += 12.0;
    }
    top + 30.0
}

/// A later page's header: who and which invoice, then the table header.
fn continuation_header(canvas: &mut Canvas, document: &PublicDocument) -> f32 {
    let title = format!(
        "{} {} · {}",
        text(document.language, Text::Invoice),
        document.number,
        document.seller.name
    );
    canvas.text(MARGIN, 60.0, 10.0, Weight::Bold, &title);
    90.0
}

fn totals_block(canvas: &mut Canvas, document: &PublicDocument, mut top: f32) {
    let language = document.language;
    let t = |key| text(language, key);
    let label_right = COL_TAX_RIGHT;
    canvas.rule(top - ROW_HEIGHT + 6.0, 0.5, 0.75);
    let mut row = |canvas: &mut Canvas, label: String, amount: Money, weight: Weight, size: f32| {
        canvas.text_right(label_right, top, size, weight, &label);
        canvas.text_right(
            COL_AMOUNT_RIGHT,
            top,
            size,
            weight,
            &amount.format(language),
        );
        top += ROW_HEIGHT;
    };
    row(
        canvas,
        t(Text::Subtotal).to_owned(),
        document.totals.subtotal,
        Weight::Regular,
        BODY_SIZE,
    );
    for tax in &document.totals.taxes {
        let label = format!(
            "{} {}",
            t(Text::Tax),
            format_tax_rate(tax.rate_bp, language)
        );
        row(canvas, label, tax.tax, Weight::Regular, BODY_SIZE);
    }
    row(
        canvas,
        t(Text::Total).to_owned(),
        document.totals.total,
        Weight::Bold,
        12.0,
    );
    row(
        canvas,
        t(Text::AmountDue).to_owned(),
        document.totals.total,
        Weight::Bold,
        10.0,
    );
}

pub fn render(document: &PublicDocument) -> Vec<u8> {
    let language = document.language;
    let money = |minor: i64| Money::new(minor, document.currency).format(language);
    let description_width = COL_QUANTITY_RIGHT - 60.0 - COL_DESCRIPTION;
    let mut pages: Vec<Canvas> = Vec::new();
    let mut canvas = Canvas::new();
    let mut top = first_page_header(&mut canvas, document);
    top = table_header(&mut canvas, document, top);
    let bottom = PAGE_HEIGHT - FOOTER_SPACE;

    for (index, line) in document.lines.iter().enumerate() {
        let is_last = index + 1 == document.lines.len();
        let needed = if is_last {
            ROW_HEIGHT + TOTALS_SPACE
        } else {
            ROW_HEIGHT
        };
        if top + needed > bottom {
            pages.push(std::mem::replace(&mut canvas, Canvas::new()));
            top = continuation_header(&mut canvas, document);
            top = table_header(&mut canvas, document, top);
        }
        canvas.text(
            COL_DESCRIPTION,
            top,
            BODY_SIZE,
            Weight::Regular,
            &fit(&line.description, description_width),
        );
        canvas.text_right(
            COL_QUANTITY_RIGHT,
            top,
            BODY_SIZE,
            Weight::Regular,
            &format_quantity(line.quantity_milli, language),
        );
        canvas.text_right(
            COL_PRICE_RIGHT,
            top,
            BODY_SIZE,
            Weight::Regular,
            &money(line.unit_price_minor),
        );
        canvas.text_right(
            COL_TAX_RIGHT,
            top,
            BODY_SIZE,
            Weight::Regular,
            &format_tax_rate(line.tax_rate_bp, language),
        );
        canvas.text_right(
            COL_AMOUNT_RIGHT,
            top,
            BODY_SIZE,
            Weight::Regular,
            &money(line.net_minor()),
        );
        top += ROW_HEIGHT;
    }
    totals_block(&mut canvas, document, top + 8.0);
    pages.push(canvas);

    let count = pages.len();
    let pdf_pages = pages
        .into_iter()
        .enumerate()
        .map(|(index, mut canvas)| {
            let footer = format!("{} {}/{count}", text(language, Text::Page), index + 1);
            canvas.text_right(
                PAGE_WIDTH - MARGIN,
                PAGE_HEIGHT - 30.0,
                8.0,
                Weight::Regular,
                &footer,
            );
            PdfPage::new(Mm(210.0), Mm(297.0), canvas.ops)
        })
        .collect();
    let title = format!("{} {}", text(language, Text::Invoice), document.number);
    let mut warnings = Vec::new();
    PdfDocument::new(&title)
        .with_pages(pdf_pages)
        .save(&PdfSaveOptions::default(), &mut warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{totals, DocumentLine};
    use crate::test_support::sample_document;
    use crate::Language;

    /// Text of a PDF as poppler's pdftotext reads it (poppler-utils is installed by `make test`).
    fn pdftotext(pdf: &[u8]) -> String {
        let dir = std::env::temp_dir().join(format!(
            "invio-pdf-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("invoice.pdf");
        std::fs::write(&path, pdf).expect("write pdf");
        let output = std::process::Command::new("pdftotext")
            .args(["-layout"])
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext from poppler-utils");
        assert!(output.status.success(), "pdftotext could not parse the PDF");
        String::from_utf8(output.stdout).expect("utf-8 text")
    }

    #[test]
    fn an_invoice_renders_as_a_pdf_whose_text_a_reader_can_extract() {
        let mut document = sample_document();
        document.language = Language::Es;
        let text = pdftotext(&render(&document));
        for expected in [
            "Factura",
            "2026-0001",
            "Maria Pérez",
            "Consulenza — giugno",
            "244,00 €",
            "IVA 22%",
            "Página 1/1",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }

    #[test]
    fn helvetica_widths_right_align_amounts_exactly() {
        // Digits are 556/1000 em; a comma 278; the no-break space 278; € counted as a digit.
        let width = text_width("1.234,56\u{a0}€", 10.0, Weight::Regular);
        assert!(
            (width - (6.0 * 5.56 + 2.0 * 2.78 + 2.78 + 5.56)).abs() < 0.01,
            "{width}"
        );
    }

    #[test]
    fn long_descriptions_are_cut_with_an_ellipsis() {
        let fitted = fit(&"Consulenza ".repeat(30), 200.0);
        assert!(fitted.ends_with('…'));
        assert!(text_width(&fitted, BODY_SIZE, Weight::Regular) <= 200.0);
    }

    #[test]
    fn a_hundred_lines_flow_onto_several_pages() {
        let mut document = sample_document();
        document.language = Language::It;
        document.lines = (1..=100)
            .map(|n| DocumentLine {
                description: format!("Articolo {n}"),
                quantity_milli: 1_000,
                unit_price_minor: 1_000 + n,
                tax_rate_bp: 2_200,
            })
            .collect();
        document.totals = totals(&document.lines, document.currency).expect("totals");
        let text = pdftotext(&render(&document));
        let pages: Vec<&str> = text
            .split('\u{c}')
            .filter(|page| !page.trim().is_empty())
            .collect();
        assert!(pages.len() >= 3, "{} pages", pages.len());
        for (index, page) in pages.iter().enumerate() {
            assert!(
                page.contains("Descrizione"),
                "page {} repeats the table header",
                index + 1
            );
            assert!(page.contains(&format!("Pagina {}/{}", index + 1, pages.len())));
        }
        assert!(text.contains("Articolo 100"));
        assert!(pages.last().is_some_and(|page| page.contains("Totale")));
    }
}
