//! The invoice as a PDF, drawn with printpdf's built-in Helvetica, in two
//! layouts: an A4 page and an 80 mm till receipt.
//!
//! On A4, lines flow onto as many pages as they need; every page repeats the
//! table header and carries "Page n/m". The receipt is one page as tall as
//! its content. A VERI*FACTU invoice opens with its QR code, centred at the
//! top of the first page (and of the receipt), between «QR tributario:» and
//! «VERI*FACTU»; the header moves down below it.
//!
//! Helvetica is not embedded, so a document in it/es/en stays a few KB: it
//! covers Western European text (à é ñ ü, €) through WinAnsi encoding. A
//! document with any other character (a Polish or Greek customer name)
//! would print `?` there, so it gets DejaVu Sans, embedded (whole: ~750 KB,
//! as printpdf subsets only with its heavier `text_layout` feature).

use std::sync::OnceLock;

use printpdf::{
    BuiltinFont, Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument,
    PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem, WindingOrder,
};

use crate::document::{
    format_quantity, format_tax_rate, DocumentKind, DocumentLayout, PublicDocument,
};
use crate::i18n::{text, Language, Text};
use crate::qr::{QrSymbol, LABEL_ABOVE, LEGEND_BELOW};
use crate::Money;

mod statement;
pub use statement::render_statement;

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 50.0;
const ROW_HEIGHT: f32 = 18.0;
const BODY_SIZE: f32 = 9.5;
/// Space kept free at the bottom of every page for the page number.
const FOOTER_SPACE: f32 = 60.0;
/// Where the first page's header reaches up to: the title's top.
const A4_HEADER_TOP: f32 = 70.0 - 20.0 * TEXT_ASCENT;
/// Where «QR tributario:» starts, 10 mm from the top of the page.
const A4_QR_TOP: f32 = 10.0 * MM;
/// The QR legends' size: the order wants them no smaller than the rest of
/// the invoice's data, and the largest figure on the page (the total) is 12.
const A4_LEGEND_SIZE: f32 = 12.0;

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

/// DejaVu Sans regular and bold, parsed once.
fn dejavu() -> Option<&'static (ParsedFont, ParsedFont)> {
    static FONTS: OnceLock<Option<(ParsedFont, ParsedFont)>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut warnings = Vec::new();
            let regular = ParsedFont::from_bytes(
                include_bytes!("../fonts/DejaVuSans.ttf"),
                0,
                &mut warnings,
            )?;
            let bold = ParsedFont::from_bytes(
                include_bytes!("../fonts/DejaVuSans-Bold.ttf"),
                0,
                &mut warnings,
            )?;
            Some((regular, bold))
        })
        .as_ref()
}

/// Whether Helvetica's WinAnsi encoding can show `c`: Latin-1 and the
/// Windows-1252 extras (€, curly quotes, dashes, Œ, Š, Ž…).
fn in_win_ansi(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7E | 0xA0..=0xFF) || "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ".contains(c)
}

/// The fonts a document is drawn with.
#[derive(Clone)]
enum Fonts {
    Helvetica,
    Embedded {
        regular: FontId,
        bold: FontId,
        faces: &'static (ParsedFont, ParsedFont),
    },
}

impl Fonts {
    /// Helvetica when every character of the document has a WinAnsi code;
    /// otherwise DejaVu, added to `pdf`.
    fn for_document(document: &PublicDocument, pdf: &mut PdfDocument) -> Self {
        let parties = [&document.seller, &document.customer];
        let all_text = parties
            .iter()
            .flat_map(|party| {
                std::iter::once(&party.name)
                    .chain(&party.address)
                    .chain(party.tax_id.as_ref())
            })
            .chain(document.lines.iter().map(|line| &line.description))
            .chain([&document.notes, &document.number]);
        Self::for_texts(all_text.map(String::as_str), pdf)
    }

    /// Helvetica when every character of `texts` has a WinAnsi code;
    /// otherwise DejaVu, added to `pdf`.
    fn for_texts<'a>(texts: impl Iterator<Item = &'a str>, pdf: &mut PdfDocument) -> Self {
        let needs_unicode = texts
            .flat_map(|text| text.chars())
            .any(|c| !in_win_ansi(c) && !c.is_control());
        match (needs_unicode, dejavu()) {
            (true, Some(faces)) => Fonts::Embedded {
                regular: pdf.add_font(&faces.0),
                bold: pdf.add_font(&faces.1),
                faces,
            },
            _ => Fonts::Helvetica,
        }
    }

    fn handle(&self, weight: Weight) -> PdfFontHandle {
        match (self, weight) {
            (Fonts::Helvetica, Weight::Regular) => PdfFontHandle::Builtin(BuiltinFont::Helvetica),
            (Fonts::Helvetica, Weight::Bold) => PdfFontHandle::Builtin(BuiltinFont::HelveticaBold),
            (Fonts::Embedded { regular, .. }, Weight::Regular) => {
                PdfFontHandle::External(regular.clone())
            }
            (Fonts::Embedded { bold, .. }, Weight::Bold) => PdfFontHandle::External(bold.clone()),
        }
    }

    /// The width of `text` in points, for right alignment and wrapping.
    fn width(&self, text: &str, size: f32, weight: Weight) -> f32 {
        match self {
            Fonts::Helvetica => text_width(text, size, weight),
            Fonts::Embedded { faces, .. } => {
                let face = match weight {
                    Weight::Regular => &faces.0,
                    Weight::Bold => &faces.1,
                };
                let units: u32 = text
                    .chars()
                    .map(|c| {
                        face.lookup_glyph_index(c as u32)
                            .and_then(|glyph| face.get_glyph_width(glyph))
                            .map_or(u32::from(face.units_per_em) / 2, u32::from)
                    })
                    .sum();
                units as f32 / f32::from(face.units_per_em.max(1)) * size
            }
        }
    }
}

/// The width of `text` in Helvetica, in points. Bold Helvetica runs about
/// 5 % wider than regular; characters outside ASCII count as a digit.
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
    fonts: Fonts,
    /// Page height in points: top-down coordinates are flipped against it.
    height: f32,
    /// Left and right ends of rules.
    left: f32,
    right: f32,
}

impl Canvas {
    fn new(fonts: &Fonts) -> Self {
        Self::sized(fonts, PAGE_HEIGHT, MARGIN, PAGE_WIDTH - MARGIN)
    }

    fn sized(fonts: &Fonts, height: f32, left: f32, right: f32) -> Self {
        Self {
            ops: Vec::new(),
            fonts: fonts.clone(),
            height,
            left,
            right,
        }
    }

    fn text(&mut self, x: f32, top: f32, size: f32, weight: Weight, content: &str) {
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: self.fonts.handle(weight),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point {
                    x: Pt(x),
                    y: Pt(self.height - top),
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
            right - self.fonts.width(content, size, weight),
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
                    points: [self.left, self.right]
                        .map(|x| LinePoint {
                            p: Point {
                                x: Pt(x),
                                y: Pt(self.height - top),
                            },
                            bezier: false,
                        })
                        .to_vec(),
                    is_closed: false,
                },
            },
        ]);
    }

    fn fill_rect(&mut self, x: f32, top: f32, width: f32, height: f32) {
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                mode: Some(PaintMode::Fill),
                winding_order: Some(WindingOrder::NonZero),
                ..Rect::from_xywh(Pt(x), Pt(self.height - top - height), Pt(width), Pt(height))
            },
        });
    }
}

/// Points in a millimetre.
const MM: f32 = 72.0 / 25.4;
/// The side of the QR code: the order allows 30 to 40 mm.
const QR_SIDE: f32 = 35.0 * MM;
/// Blank space kept on every side of the QR code: the AEAT asks for at
/// least 2 mm and recommends 6.
const QR_QUIET_ZONE: f32 = 6.0 * MM;
/// How far text reaches above and below its baseline, in ems: DejaVu's
/// ascender and descender, which are taller than Helvetica's, so the quiet
/// zone holds whichever font draws the legends.
const TEXT_ASCENT: f32 = 0.93;
const TEXT_DESCENT: f32 = 0.24;

/// Where the QR code and its two legends go, top-down in points: «QR
/// tributario:» above it, «VERI*FACTU» below it, each at least a quiet zone
/// away from the code.
#[derive(Debug, Clone, Copy)]
struct QrBlock {
    label_baseline: f32,
    symbol_top: f32,
    legend_baseline: f32,
    /// The lowest point the legend reaches.
    bottom: f32,
    legend_size: f32,
}

impl QrBlock {
    /// The block whose label starts at `top`, with legends in `legend_size`.
    fn starting_at(top: f32, legend_size: f32) -> Self {
        let label_baseline = top + TEXT_ASCENT * legend_size;
        let symbol_top = label_baseline + TEXT_DESCENT * legend_size + QR_QUIET_ZONE;
        let legend_baseline = symbol_top + QR_SIDE + QR_QUIET_ZONE + TEXT_ASCENT * legend_size;
        Self {
            label_baseline,
            symbol_top,
            legend_baseline,
            bottom: legend_baseline + TEXT_DESCENT * legend_size,
            legend_size,
        }
    }

    /// Draws the code, black on the paper, centred on `centre`, and its legends
    /// centred on the code.
    fn draw(&self, canvas: &mut Canvas, symbol: &QrSymbol, centre: f32) {
        let size = self.legend_size;
        let centred = |canvas: &Canvas, content: &str, weight: Weight| {
            centre - canvas.fonts.width(content, size, weight) / 2.0
        };
        let x = centred(canvas, LABEL_ABOVE, Weight::Regular);
        canvas.text(x, self.label_baseline, size, Weight::Regular, LABEL_ABOVE);
        let module = QR_SIDE / symbol.width() as f32;
        let left = centre - QR_SIDE / 2.0;
        canvas.ops.push(Op::SetFillColor {
            col: Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)),
        });
        for run in symbol.dark_runs() {
            canvas.fill_rect(
                left + run.column as f32 * module,
                self.symbol_top + run.row as f32 * module,
                run.length as f32 * module,
                module,
            );
        }
        let x = centred(canvas, LEGEND_BELOW, Weight::Bold);
        canvas.text(x, self.legend_baseline, size, Weight::Bold, LEGEND_BELOW);
    }
}

/// The QR code of a document that carries the AEAT's verification URL.
fn tax_agency_symbol(document: &PublicDocument) -> Option<QrSymbol> {
    document
        .tax_agency_check
        .as_ref()
        .and_then(|check| check.symbol())
}

/// Breaks text into lines no wider than `width`, at spaces where it can and
/// inside a word only when one word alone is too wide.
fn wrap(fonts: &Fonts, text: &str, width: f32, size: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if fonts.width(&candidate, size, Weight::Regular) <= width {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        for c in word.chars() {
            if text_width(&format!("{current}{c}"), size, Weight::Regular) > width
                && !current.is_empty()
            {
                lines.push(std::mem::take(&mut current));
            }
            current.push(c);
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
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

/// The first page's header, `below` points lower than on a page without a
/// QR code: seller, title, number and dates, customer.
fn first_page_header(canvas: &mut Canvas, document: &PublicDocument, below: f32) -> f32 {
    let language = document.language;
    let t = |key| text(language, key);
    canvas.text(
        MARGIN,
        below + 70.0,
        16.0,
        Weight::Bold,
        &document.seller.name,
    );
    let mut top = below + 88.0;
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
    canvas.text_right(right, below + 70.0, 20.0, Weight::Bold, document.title());
    let mut facts = vec![
        format!("{}: {}", t(Text::InvoiceNumber), document.number),
        format!(
            "{}: {}",
            t(Text::IssueDate),
            document.issue_date.format(language)
        ),
    ];
    if let Some(due) = document.due_date {
        facts.push(format!("{}: {}", t(Text::DueDate), due.format(language)));
    }
    facts.extend(document.correction_line());
    let mut fact_top = below + 92.0;
    for fact in facts {
        canvas.text_right(right, fact_top, BODY_SIZE, Weight::Regular, &fact);
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
        document.title(),
        document.number,
        document.seller.name
    );
    canvas.text(MARGIN, 60.0, 10.0, Weight::Bold, &title);
    90.0
}

/// The height the totals, tax summary and notes need below the lines.
fn totals_height(fonts: &Fonts, document: &PublicDocument) -> f32 {
    let rows = 5 + document.totals.taxes.len();
    let summary = 2 + document.totals.taxes.len();
    let notes = notes_lines(fonts, document).len();
    ROW_HEIGHT * rows.max(summary) as f32 + 30.0 + notes as f32 * 12.0
}

/// The notes, after a credit note's reason.
fn notes_text(document: &PublicDocument) -> String {
    match document
        .corrects
        .as_ref()
        .map(|correction| correction.reason.trim())
        .filter(|reason| !reason.is_empty())
    {
        Some(reason) => format!(
            "{}: {reason}\n{}",
            text(document.language, Text::Reason),
            document.notes
        ),
        None => document.notes.clone(),
    }
}

/// The notes, and for a courtesy copy the sentence that says where the
/// legal invoice went.
fn notes_lines(fonts: &Fonts, document: &PublicDocument) -> Vec<String> {
    let courtesy = document
        .legal_channel
        .map(|channel| channel.courtesy_notice(document.language));
    notes_text(document)
        .lines()
        .chain(courtesy)
        .flat_map(|line| wrap(fonts, line, PAGE_WIDTH - 2.0 * MARGIN, BODY_SIZE))
        .collect()
}

/// Subtotal, taxes, total, paid and due on the right; the tax summary by
/// rate on the left; the notes below both.
fn totals_block(canvas: &mut Canvas, document: &PublicDocument, settled: Settlement, top: f32) {
    let language = document.language;
    let t = |key| text(language, key);
    let money = |minor: i64| Money::new(minor, document.currency).format(language);
    canvas.rule(top - ROW_HEIGHT + 6.0, 0.5, 0.75);

    let mut summary_top = top;
    canvas.text(MARGIN, summary_top, 8.5, Weight::Bold, t(Text::TaxSummary));
    summary_top += 14.0;
    canvas.text(MARGIN, summary_top, 8.0, Weight::Regular, t(Text::TaxRate));
    canvas.text_right(
        MARGIN + 150.0,
        summary_top,
        8.0,
        Weight::Regular,
        t(Text::TaxableBase),
    );
    canvas.text_right(
        MARGIN + 220.0,
        summary_top,
        8.0,
        Weight::Regular,
        t(Text::Tax),
    );
    for tax in &document.totals.taxes {
        summary_top += 13.0;
        canvas.text(
            MARGIN,
            summary_top,
            BODY_SIZE,
            Weight::Regular,
            &format_tax_rate(tax.rate_bp, language),
        );
        canvas.text_right(
            MARGIN + 150.0,
            summary_top,
            BODY_SIZE,
            Weight::Regular,
            &tax.base.format(language),
        );
        canvas.text_right(
            MARGIN + 220.0,
            summary_top,
            BODY_SIZE,
            Weight::Regular,
            &tax.tax.format(language),
        );
    }

    let mut rows: Vec<(String, i64, Weight, f32)> = vec![(
        t(Text::Subtotal).to_owned(),
        document.totals.subtotal.minor,
        Weight::Regular,
        BODY_SIZE,
    )];
    for tax in &document.totals.taxes {
        rows.push((
            format!(
                "{} {}",
                t(Text::Tax),
                format_tax_rate(tax.rate_bp, language)
            ),
            tax.tax.minor,
            Weight::Regular,
            BODY_SIZE,
        ));
    }
    let total = document.totals.total.minor;
    rows.push((t(Text::Total).to_owned(), total, Weight::Bold, 12.0));
    // A credit note is never paid: it gives back its total.
    if document.kind() == DocumentKind::Invoice {
        rows.push((
            t(Text::AmountPaid).to_owned(),
            settled.paid_minor,
            Weight::Regular,
            BODY_SIZE,
        ));
        if settled.credited_minor > 0 {
            rows.push((
                t(Text::Credited).to_owned(),
                settled.credited_minor,
                Weight::Regular,
                BODY_SIZE,
            ));
        }
        rows.push((
            t(Text::AmountDue).to_owned(),
            settled.amount_due(total),
            Weight::Bold,
            10.0,
        ));
    }
    let mut row_top = top;
    for (label, minor, weight, size) in rows {
        canvas.text_right(COL_TAX_RIGHT, row_top, size, weight, &label);
        canvas.text_right(COL_AMOUNT_RIGHT, row_top, size, weight, &money(minor));
        row_top += ROW_HEIGHT;
    }

    let notes = notes_lines(&canvas.fonts.clone(), document);
    if !notes.is_empty() {
        let mut notes_top = row_top.max(summary_top + ROW_HEIGHT) + 6.0;
        canvas.text(MARGIN, notes_top, 8.5, Weight::Bold, t(Text::Notes));
        for line in notes {
            notes_top += 12.0;
            canvas.text(MARGIN, notes_top, BODY_SIZE, Weight::Regular, &line);
        }
    }
}

/// What is settled of an invoice when its PDF is rendered: paid, and taken
/// off by its credit notes (nothing, for a credit note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settlement {
    pub paid_minor: i64,
    pub credited_minor: i64,
}

impl Settlement {
    fn amount_due(self, total_minor: i64) -> i64 {
        crate::status::amount_owed(total_minor, self.paid_minor, self.credited_minor)
    }
}

/// Renders the document in a layout, with what has been settled so far.
pub fn render(document: &PublicDocument, settled: Settlement, layout: DocumentLayout) -> Vec<u8> {
    let title = format!("{} {}", document.title(), document.number);
    let mut pdf = PdfDocument::new(&title);
    let fonts = Fonts::for_document(document, &mut pdf);
    let pages = match layout {
        DocumentLayout::A4 => render_a4(&fonts, document, settled),
        DocumentLayout::Receipt80mm => render_receipt(&fonts, document, settled),
    };
    let mut warnings = Vec::new();
    pdf.with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings)
}

fn render_a4(fonts: &Fonts, document: &PublicDocument, settled: Settlement) -> Vec<PdfPage> {
    let language = document.language;
    let money = |minor: i64| Money::new(minor, document.currency).format(language);
    let description_width = COL_QUANTITY_RIGHT - 60.0 - COL_DESCRIPTION;
    let mut pages: Vec<Canvas> = Vec::new();
    let mut canvas = Canvas::new(fonts);
    // The order puts the QR code at the top of the first page, preferably
    // centred: the header moves down below it.
    let header_below = match tax_agency_symbol(document) {
        Some(symbol) => {
            let block = QrBlock::starting_at(A4_QR_TOP, A4_LEGEND_SIZE);
            block.draw(&mut canvas, &symbol, PAGE_WIDTH / 2.0);
            block.bottom + QR_QUIET_ZONE - A4_HEADER_TOP
        }
        None => 0.0,
    };
    let mut top = first_page_header(&mut canvas, document, header_below);
    top = table_header(&mut canvas, document, top);
    let bottom = PAGE_HEIGHT - FOOTER_SPACE;

    for (index, line) in document.lines.iter().enumerate() {
        // A line without VAT says why under its description (a Spanish
        // exemption's article).
        let mut description = wrap(fonts, &line.description, description_width, BODY_SIZE);
        if let Some(note) = line.tax_note(language) {
            description.extend(wrap(fonts, note, description_width, BODY_SIZE));
        }
        let height = ROW_HEIGHT + (description.len() - 1) as f32 * 11.0;
        let is_last = index + 1 == document.lines.len();
        let needed = if is_last {
            height + totals_height(fonts, document)
        } else {
            height
        };
        if top + needed > bottom {
            pages.push(std::mem::replace(&mut canvas, Canvas::new(fonts)));
            top = continuation_header(&mut canvas, document);
            top = table_header(&mut canvas, document, top);
        }
        for (offset, part) in description.iter().enumerate() {
            canvas.text(
                COL_DESCRIPTION,
                top + offset as f32 * 11.0,
                BODY_SIZE,
                Weight::Regular,
                part,
            );
        }
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
        top += height;
    }
    totals_block(&mut canvas, document, settled, top + 8.0);
    pages.push(canvas);

    numbered_a4_pages(pages, language)
}

/// A4 pages with "Page n/N" at the foot of each, in the document's language.
fn numbered_a4_pages(pages: Vec<Canvas>, language: Language) -> Vec<PdfPage> {
    let count = pages.len();
    pages
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
        .collect()
}

/// 80 mm paper, 4 mm margins: what a till printer takes.
const RECEIPT_WIDTH: f32 = 226.77;
const RECEIPT_MARGIN: f32 = 11.34;
const RECEIPT_SIZE: f32 = 8.0;
const RECEIPT_ROW: f32 = 11.0;
/// The QR legends' size: larger than every other line of the receipt, as
/// the order asks (no smaller than the rest).
const RECEIPT_LEGEND_SIZE: f32 = 9.0;
const _: () = assert!(RECEIPT_LEGEND_SIZE >= RECEIPT_SIZE && A4_LEGEND_SIZE >= BODY_SIZE);

/// One row of the receipt: text on the left, an amount on the right.
struct ReceiptRow {
    left: String,
    right: String,
    weight: Weight,
    /// A rule above the row.
    rule: bool,
}

fn receipt_row(left: impl Into<String>, right: impl Into<String>, weight: Weight) -> ReceiptRow {
    ReceiptRow {
        left: left.into(),
        right: right.into(),
        weight,
        rule: false,
    }
}

/// A single column, as tall as its content: a receipt is never cut into pages.
fn render_receipt(fonts: &Fonts, document: &PublicDocument, settled: Settlement) -> Vec<PdfPage> {
    let language = document.language;
    let t = |key| text(language, key);
    let money = |minor: i64| Money::new(minor, document.currency).format(language);
    let width = RECEIPT_WIDTH - 2.0 * RECEIPT_MARGIN;
    let wrapped = |text: &str| wrap(fonts, text, width, RECEIPT_SIZE);

    let mut rows: Vec<ReceiptRow> = Vec::new();
    for line in wrapped(&document.seller.name) {
        rows.push(receipt_row(line, "", Weight::Bold));
    }
    for line in document
        .seller
        .address
        .iter()
        .chain(document.seller.tax_id.as_ref())
    {
        rows.extend(
            wrapped(line)
                .into_iter()
                .map(|part| receipt_row(part, "", Weight::Regular)),
        );
    }
    let mut title = receipt_row(
        format!("{} {}", document.title(), document.number),
        "",
        Weight::Bold,
    );
    title.rule = true;
    rows.push(title);
    if let Some(line) = document.correction_line() {
        rows.extend(
            wrapped(&line)
                .into_iter()
                .map(|part| receipt_row(part, "", Weight::Regular)),
        );
    }
    rows.push(receipt_row(
        t(Text::IssueDate),
        document.issue_date.format(language),
        Weight::Regular,
    ));
    if let Some(due) = document.due_date {
        rows.push(receipt_row(
            t(Text::DueDate),
            due.format(language),
            Weight::Regular,
        ));
    }
    for line in wrapped(&document.customer.name) {
        rows.push(receipt_row(line, "", Weight::Regular));
    }
    let mut first_line = true;
    for line in &document.lines {
        for part in wrapped(&line.description) {
            let mut row = receipt_row(part, "", Weight::Regular);
            row.rule = std::mem::take(&mut first_line);
            rows.push(row);
        }
        for part in line.tax_note(language).map(wrapped).unwrap_or_default() {
            rows.push(receipt_row(part, "", Weight::Regular));
        }
        rows.push(receipt_row(
            format!(
                "  {} × {}  {}",
                format_quantity(line.quantity_milli, language),
                money(line.unit_price_minor),
                format_tax_rate(line.tax_rate_bp, language)
            ),
            money(line.net_minor()),
            Weight::Regular,
        ));
    }
    let mut subtotal = receipt_row(
        t(Text::Subtotal),
        money(document.totals.subtotal.minor),
        Weight::Regular,
    );
    subtotal.rule = true;
    rows.push(subtotal);
    for tax in &document.totals.taxes {
        rows.push(receipt_row(
            format!(
                "{} {} ({})",
                t(Text::Tax),
                format_tax_rate(tax.rate_bp, language),
                tax.base.format(language)
            ),
            tax.tax.format(language),
            Weight::Regular,
        ));
    }
    let total = document.totals.total.minor;
    rows.push(receipt_row(t(Text::Total), money(total), Weight::Bold));
    if document.kind() == DocumentKind::Invoice {
        rows.push(receipt_row(
            t(Text::AmountPaid),
            money(settled.paid_minor),
            Weight::Regular,
        ));
        if settled.credited_minor > 0 {
            rows.push(receipt_row(
                t(Text::Credited),
                money(settled.credited_minor),
                Weight::Regular,
            ));
        }
        rows.push(receipt_row(
            t(Text::AmountDue),
            money(settled.amount_due(total)),
            Weight::Bold,
        ));
    }
    let notes = notes_text(document);
    if !notes.trim().is_empty() {
        let mut heading = receipt_row(t(Text::Notes), "", Weight::Bold);
        heading.rule = true;
        rows.push(heading);
        for line in notes.lines() {
            rows.extend(
                wrapped(line)
                    .into_iter()
                    .map(|part| receipt_row(part, "", Weight::Regular)),
            );
        }
    }
    if let Some(channel) = document.legal_channel {
        let mut first = true;
        for part in wrapped(channel.courtesy_notice(document.language)) {
            let mut row = receipt_row(part, "", Weight::Regular);
            row.rule = std::mem::take(&mut first);
            rows.push(row);
        }
    }

    // The QR code opens the receipt, centred, and the rows follow it.
    let qr = tax_agency_symbol(document).map(|symbol| {
        (
            QrBlock::starting_at(RECEIPT_MARGIN, RECEIPT_LEGEND_SIZE),
            symbol,
        )
    });
    let rows_top = qr
        .as_ref()
        .map_or(RECEIPT_MARGIN, |(block, _)| block.bottom + RECEIPT_ROW);
    let rules = rows.iter().filter(|row| row.rule).count() as f32;
    let height = rows_top + RECEIPT_MARGIN + 6.0 + rows.len() as f32 * RECEIPT_ROW + rules * 6.0;
    let mut canvas = Canvas::sized(
        fonts,
        height,
        RECEIPT_MARGIN,
        RECEIPT_WIDTH - RECEIPT_MARGIN,
    );
    if let Some((block, symbol)) = &qr {
        block.draw(&mut canvas, symbol, RECEIPT_WIDTH / 2.0);
    }
    let mut top = rows_top + RECEIPT_ROW;
    for row in rows {
        if row.rule {
            canvas.rule(top - RECEIPT_ROW + 2.0, 0.4, 0.5);
            top += 6.0;
        }
        canvas.text(RECEIPT_MARGIN, top, RECEIPT_SIZE, row.weight, &row.left);
        if !row.right.is_empty() {
            canvas.text_right(
                RECEIPT_WIDTH - RECEIPT_MARGIN,
                top,
                RECEIPT_SIZE,
                row.weight,
                &row.right,
            );
        }
        top += RECEIPT_ROW;
    }
    vec![PdfPage::new(Mm(80.0), Mm(height * 25.4 / 72.0), canvas.ops)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{totals, DocumentLine};
    use crate::test_support::sample_document;
    use crate::Language;

    fn paid(paid_minor: i64) -> Settlement {
        Settlement {
            paid_minor,
            credited_minor: 0,
        }
    }

    /// Text of a PDF as poppler's pdftotext reads it (poppler-utils is installed by `make test`).
    pub(super) fn pdftotext(pdf: &[u8]) -> String {
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
        let text = pdftotext(&render(&document, paid(4_400), DocumentLayout::A4));
        for expected in [
            "Factura",
            "2026-0001",
            "Maria Pérez",
            "Consulenza — giugno",
            "244,00 €",
            "IVA 22%",
            "Resumen de IVA",
            "Pagado",
            "44,00 €",
            "Importe pendiente",
            "200,00 €",
            "Página 1/1",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }

    #[test]
    fn a_credit_note_is_titled_as_one_and_names_the_invoice_it_corrects() {
        let mut note = sample_document();
        note.language = Language::It;
        note.number = "NC-2026-0001".into();
        note.corrects = Some(crate::document::Correction {
            number: "2026-0007".into(),
            issue_date: note.issue_date,
            reason: "Merce resa".into(),
            ground: None,
        });
        for layout in DocumentLayout::ALL {
            let text = pdftotext(&render(&note, paid(0), layout));
            assert!(text.contains("Nota di credito"), "{layout:?}: {text}");
            assert!(
                text.contains("Rettifica la fattura 2026-0007 del 22/11/2026"),
                "{layout:?}: {text}"
            );
            assert!(text.contains("Motivo: Merce resa"), "{layout:?}: {text}");
            assert!(!text.contains("Da pagare"), "{layout:?}: {text}");
        }
    }

    #[test]
    fn an_invoices_pdf_takes_its_credit_notes_off_the_amount_due() {
        // 244.00 in all, 44.00 paid, 61.00 credited: 139.00 due.
        let settled = Settlement {
            paid_minor: 4_400,
            credited_minor: 6_100,
        };
        for layout in DocumentLayout::ALL {
            let text = pdftotext(&render(&sample_document(), settled, layout));
            assert!(text.contains("Credited"), "{layout:?}: {text}");
            assert!(text.contains("€61.00"), "{layout:?}: {text}");
            assert!(text.contains("€139.00"), "{layout:?}: {text}");
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
    fn long_descriptions_wrap_onto_lines_that_fit_their_column() {
        let lines = wrap(
            &Fonts::Helvetica,
            &"Consulenza ".repeat(30),
            200.0,
            BODY_SIZE,
        );
        assert!(lines.len() > 3);
        assert!(lines
            .iter()
            .all(|line| text_width(line, BODY_SIZE, Weight::Regular) <= 200.0));
        assert_eq!(lines.join(" "), "Consulenza ".repeat(30).trim());
        let long_word = wrap(&Fonts::Helvetica, &"x".repeat(200), 50.0, BODY_SIZE);
        assert!(long_word.len() > 1 && long_word.concat() == "x".repeat(200));
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
                natura: None,
                treatment: None,
            })
            .collect();
        document.totals = totals(&document.lines, document.currency).expect("totals");
        let text = pdftotext(&render(&document, paid(0), DocumentLayout::A4));
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

    fn pdf_command(
        program: &str,
        args: &[&str],
        after: &[&str],
        pdf: &[u8],
    ) -> std::process::Output {
        let dir = std::env::temp_dir().join(format!(
            "invio-{program}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("invoice.pdf");
        std::fs::write(&path, pdf).expect("write pdf");
        let output = std::process::Command::new(program)
            .args(args)
            .arg(&path)
            .args(after)
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|error| panic!("{program} (poppler-utils): {error}"));
        assert!(
            output.status.success(),
            "{program} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    #[test]
    fn each_language_has_its_labels_dates_and_amounts() {
        for (language, expected) in [
            (
                Language::It,
                ["Fattura", "Data", "Riepilogo IVA", "Da pagare", "244,00 €"],
            ),
            (
                Language::Es,
                [
                    "Factura",
                    "Fecha",
                    "Resumen de IVA",
                    "Importe pendiente",
                    "244,00 €",
                ],
            ),
            (
                Language::En,
                ["Invoice", "Date", "Tax summary", "Amount due", "€244.00"],
            ),
        ] {
            let mut document = sample_document();
            document.language = language;
            document.notes = "Bonifico su IBAN IT60 X054 2811 1010 0000 0123 456".into();
            let text = pdftotext(&render(&document, paid(0), DocumentLayout::A4));
            let date = document.issue_date.format(language);
            for word in expected.iter().chain(&["IBAN IT60", date.as_str()]) {
                assert!(
                    text.contains(word),
                    "{language:?}: missing {word:?} in:\n{text}"
                );
            }
        }
    }

    #[test]
    fn the_receipt_is_80_mm_wide_and_carries_the_totals_and_payments() {
        let mut document = sample_document();
        document.language = Language::It;
        let pdf = render(&document, paid(10_000), DocumentLayout::Receipt80mm);
        let info = String::from_utf8(pdf_command("pdfinfo", &[], &[], &pdf).stdout).expect("utf-8");
        let size = info
            .lines()
            .find(|line| line.starts_with("Page size:"))
            .expect("page size");
        assert!(
            size.contains("226.77 x") || size.contains("226.772 x"),
            "{size}"
        );
        assert_eq!(
            info.lines()
                .find(|line| line.starts_with("Pages:"))
                .map(str::split_whitespace)
                .and_then(|mut words| words.nth(1)),
            Some("1")
        );
        let text = pdftotext(&pdf);
        for expected in [
            "Fattura 2026-0001",
            "Consulenza — giugno",
            "Totale",
            "244,00 €",
            "Pagato",
            "100,00 €",
            "Da pagare",
            "144,00 €",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }

    #[test]
    fn pages_render_to_images_a_person_can_read() {
        let mut document = sample_document();
        document.lines = (1..=60)
            .map(|n| DocumentLine {
                description: format!("Articolo {n}"),
                quantity_milli: 1_000,
                unit_price_minor: 100 * n,
                tax_rate_bp: 2_200,
                natura: None,
                treatment: None,
            })
            .collect();
        document.totals = totals(&document.lines, document.currency).expect("totals");
        let pdf = render(&document, paid(0), DocumentLayout::A4);
        let output = pdf_command("pdftoppm", &["-r", "40", "-png"], &["page"], &pdf);
        assert!(output.status.success());
        let dir = std::env::temp_dir().join(format!(
            "invio-pdftoppm-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let images: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "png"))
            .collect();
        assert!(images.len() >= 2, "{} pages rendered", images.len());
        for image in images {
            // A blank A4 page at 40 dpi compresses to a few hundred bytes; text makes it larger.
            assert!(
                image.metadata().expect("metadata").len() > 2_000,
                "{:?} looks blank",
                image.path()
            );
        }
    }

    #[test]
    fn names_outside_western_europe_survive_in_an_embedded_font() {
        let mut document = sample_document();
        document.customer.name = "Łukasz Żółw — Ελένη".into();
        let pdf = render(&document, paid(0), DocumentLayout::A4);
        let text = pdftotext(&pdf);
        assert!(text.contains("Łukasz Żółw — Ελένη"), "{text}");
        assert!(text.contains("€244.00"), "{text}");
        // printpdf subsets fonts only with its `text_layout` feature, which we
        // leave off: the two faces go in whole, compressed (~750 KB).
        assert!(pdf.len() < 1_000_000, "{} bytes", pdf.len());
    }

    #[test]
    fn western_european_documents_stay_small_with_helvetica() {
        let pdf = render(&sample_document(), paid(0), DocumentLayout::A4);
        assert!(pdf.len() < 10_000, "{} bytes", pdf.len());
        assert!(!in_win_ansi('Ł') && in_win_ansi('€') && in_win_ansi('é') && in_win_ansi('—'));
    }

    #[test]
    fn markup_and_pdf_syntax_in_any_text_are_printed_as_typed() {
        // `) Tj` ends a PDF string and runs an operator, `\` escapes the next
        // byte, `%` starts a comment: each must reach the page as a character.
        let breakout = r"x) Tj /F1 99 Tf (\ %EOF";
        let markup = r#"<script>alert("invio")</script>"#;
        let mut document = sample_document();
        document.seller.name = format!("Bottega {markup}");
        document.seller.address = vec![breakout.into()];
        document.customer.name = format!("Maria {breakout}");
        document.lines[0].description = format!("Consulenza {breakout} {markup}");
        document.notes = format!("Grazie {markup}");
        for layout in DocumentLayout::ALL {
            let text = pdftotext(&render(&document, paid(0), layout));
            for expected in [
                format!("Bottega {markup}"),
                breakout.to_owned(),
                format!("Maria {breakout}"),
                format!("Grazie {markup}"),
            ] {
                assert!(
                    text.contains(&expected),
                    "{layout:?}: {expected:?} in\n{text}"
                );
            }
            assert!(text.contains("€244.00"), "the totals are intact: {text}");
        }
    }

    #[test]
    fn a_courtesy_copy_says_where_the_legal_invoice_went_on_both_layouts() {
        let document = PublicDocument {
            language: Language::It,
            legal_channel: Some(crate::document::LegalChannel::Sdi),
            ..sample_document()
        };
        for layout in [DocumentLayout::A4, DocumentLayout::Receipt80mm] {
            let text = pdftotext(&render(&document, paid(0), layout))
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(text.contains("Copia di cortesia"), "{layout:?}: {text}");
            assert!(
                text.contains("Sistema di Interscambio (SdI)"),
                "{layout:?}: {text}"
            );
        }
    }

    /// A Spanish store's invoice, issued through VERI*FACTU.
    fn verifactu_document() -> PublicDocument {
        let document = PublicDocument {
            language: Language::Es,
            ..sample_document()
        };
        let url = crate::qr::verification_url(
            crate::qr::AeatEnvironment::Test,
            "89890001K",
            &document.number,
            document.issue_date,
            document.totals.total,
        );
        PublicDocument {
            tax_agency_check: Some(crate::qr::TaxAgencyCheck { url }),
            ..document
        }
    }

    #[test]
    fn the_qr_legends_are_printed_on_both_layouts_only_for_a_verifactu_invoice() {
        for layout in DocumentLayout::ALL {
            let text = pdftotext(&render(&verifactu_document(), paid(0), layout));
            assert!(text.contains("QR tributario:"), "{layout:?}: {text}");
            assert!(text.contains("VERI*FACTU"), "{layout:?}: {text}");
            assert!(
                text.find("QR tributario:") < text.find("Bottega"),
                "the code comes first: {layout:?}: {text}"
            );
            let plain = PublicDocument {
                tax_agency_check: None,
                ..verifactu_document()
            };
            let text = pdftotext(&render(&plain, paid(0), layout));
            assert!(!text.contains("QR tributario"), "{layout:?}: {text}");
            assert!(!text.contains("VERI*FACTU"), "{layout:?}: {text}");
        }
    }

    #[test]
    fn a_spanish_simplified_invoice_is_titled_so_on_both_layouts() {
        for (language, title) in [
            (Language::Es, "Factura simplificada"),
            (Language::It, "Fattura semplificata"),
            (Language::En, "Simplified invoice"),
        ] {
            let receipt = PublicDocument {
                language,
                simplified: true,
                ..verifactu_document()
            };
            for layout in DocumentLayout::ALL {
                let text = pdftotext(&render(&receipt, paid(0), layout))
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                assert!(text.contains(title), "{layout:?}: {text}");
            }
        }
        let full = pdftotext(&render(&verifactu_document(), paid(0), DocumentLayout::A4));
        assert!(!full.contains("simplificada"), "{full}");
    }

    #[test]
    fn a_line_without_vat_prints_why_under_its_description_on_both_layouts() {
        let mut document = verifactu_document();
        document.lines.push(DocumentLine {
            description: "Consulta médica".into(),
            quantity_milli: 1_000,
            unit_price_minor: 6_000,
            tax_rate_bp: 0,
            natura: None,
            treatment: Some(crate::spain::TaxTreatment::E1),
        });
        for layout in DocumentLayout::ALL {
            let text = pdftotext(&render(&document, paid(0), layout))
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let line = text.find("Consulta médica").expect("the line");
            let note = text.find("Exenta art. 20 LIVA").expect("its exemption");
            assert!(line < note, "{layout:?}: {text}");
            assert_eq!(text.matches("LIVA").count(), 1, "{layout:?}: {text}");
        }
    }

    #[test]
    fn the_code_is_35_mm_with_its_legends_outside_a_6_mm_quiet_zone() {
        let symbol = tax_agency_symbol(&verifactu_document()).expect("a code");
        let module_mm = QR_SIDE / symbol.width() as f32 / MM;
        let side_mm = module_mm * symbol.width() as f32;
        assert!((30.0..=40.0).contains(&side_mm), "{side_mm} mm");
        assert!((side_mm - 35.0).abs() < 0.01, "{side_mm} mm");
        for (block, page_width) in [
            (QrBlock::starting_at(A4_QR_TOP, A4_LEGEND_SIZE), PAGE_WIDTH),
            (
                QrBlock::starting_at(RECEIPT_MARGIN, RECEIPT_LEGEND_SIZE),
                RECEIPT_WIDTH,
            ),
        ] {
            let label_bottom = block.label_baseline + TEXT_DESCENT * block.legend_size;
            let legend_top = block.legend_baseline - TEXT_ASCENT * block.legend_size;
            let above_mm = (block.symbol_top - label_bottom) / MM;
            let below_mm = (legend_top - block.symbol_top - QR_SIDE) / MM;
            let beside_mm = (page_width - QR_SIDE) / 2.0 / MM;
            for gap in [above_mm, below_mm, beside_mm] {
                assert!(gap >= 6.0 - 0.01, "{gap} mm of quiet zone");
            }
        }
    }

    #[test]
    fn everything_else_on_the_first_page_starts_below_the_code_and_its_legends() {
        let mut document = verifactu_document();
        // A seller name as wide as the page, which would cross a code drawn beside it.
        document.seller.name = "Ferretería y Suministros Industriales Martínez S.L.".into();
        for layout in DocumentLayout::ALL {
            let pdf = render(&document, paid(0), layout);
            let bbox = String::from_utf8(
                pdf_command("pdftotext", &["-bbox", "-f", "1", "-l", "1"], &["-"], &pdf).stdout,
            )
            .expect("utf-8");
            // Each word as (text, top, bottom) in points from the top of the page.
            let words: Vec<(String, f32, f32)> = bbox
                .split("<word ")
                .skip(1)
                .map(|word| {
                    let attribute = |name: &str| -> f32 {
                        word.split(&format!("{name}=\""))
                            .nth(1)
                            .and_then(|rest| rest.split('"').next())
                            .and_then(|value| value.parse().ok())
                            .expect("coordinate")
                    };
                    let text = word
                        .split('>')
                        .nth(1)
                        .and_then(|rest| rest.split('<').next())
                        .unwrap_or("");
                    (text.to_owned(), attribute("yMin"), attribute("yMax"))
                })
                .collect();
            let legend_bottom = words
                .iter()
                .find(|(text, _, _)| text == "VERI*FACTU")
                .map(|(_, _, bottom)| *bottom)
                .expect("the legend");
            let label_bottom = words
                .iter()
                .find(|(text, _, _)| text == "tributario:")
                .map(|(_, _, bottom)| *bottom)
                .expect("the label");
            assert!(label_bottom + QR_SIDE < legend_bottom, "{layout:?}");
            for (text, top, _) in &words {
                if !["QR", "tributario:", "VERI*FACTU"].contains(&text.as_str()) {
                    assert!(
                        *top > legend_bottom,
                        "{layout:?}: {text:?} at {top} is not below the legend ({legend_bottom})"
                    );
                }
            }
        }
    }

    /// The pages of a PDF as greyscale pictures at `dpi`: (width, height, pixels).
    fn greyscale_pages(pdf: &[u8], dpi: u32, name: &str) -> Vec<(usize, usize, Vec<u8>)> {
        let resolution = dpi.to_string();
        pdf_command("pdftoppm", &["-r", &resolution, "-gray"], &[name], pdf);
        let dir = std::env::temp_dir().join(format!(
            "invio-pdftoppm-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension().is_some_and(|ext| ext == "pgm")
                    && path
                        .file_name()
                        .is_some_and(|file| file.to_string_lossy().starts_with(name))
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| {
                // Binary PGM: "P5", width, height, maxval, one whitespace, pixels.
                let bytes = std::fs::read(&path).expect("pgm");
                let mut fields = Vec::new();
                let mut at = 0;
                while fields.len() < 4 {
                    while bytes[at].is_ascii_whitespace() {
                        at += 1;
                    }
                    let start = at;
                    while !bytes[at].is_ascii_whitespace() {
                        at += 1;
                    }
                    fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
                }
                assert_eq!(fields[0], "P5");
                let width: usize = fields[1].parse().expect("width");
                let height: usize = fields[2].parse().expect("height");
                let pixels = bytes[at + 1..].to_vec();
                assert_eq!(pixels.len(), width * height);
                (width, height, pixels)
            })
            .collect()
    }

    #[test]
    fn the_printed_code_reads_back_as_the_url_at_the_top_of_the_first_page_only() {
        let mut document = verifactu_document();
        document.lines = (1..=80)
            .map(|n| DocumentLine {
                description: format!("Artículo {n}"),
                quantity_milli: 1_000,
                unit_price_minor: 1_000 + n,
                tax_rate_bp: 2_100,
                natura: None,
                treatment: None,
            })
            .collect();
        document.totals = totals(&document.lines, document.currency).expect("totals");
        let url = document.tax_agency_check.clone().expect("check").url;
        let dpi = 150;
        for (layout, name, page_width_mm) in [
            (DocumentLayout::A4, "a4", 210.0),
            (DocumentLayout::Receipt80mm, "receipt", 80.0),
        ] {
            let pages = greyscale_pages(&render(&document, paid(0), layout), dpi, name);
            let (width, height, pixels) = &pages[0];
            let mut image = rqrr::PreparedImage::prepare_from_greyscale(*width, *height, |x, y| {
                pixels[y * width + x]
            });
            let grids = image.detect_grids();
            assert_eq!(grids.len(), 1, "{layout:?}: one code on the first page");
            let (meta, text) = grids[0].decode().expect("readable");
            assert_eq!(text, url, "{layout:?}");
            assert_eq!(meta.ecc_level, 0, "{layout:?}: level M");
            // The dark pixels around where the decoder found the code, out to
            // 4 mm beyond it: the symbol's own edges, since its quiet zone
            // is blank.
            let mm = |pixels: usize| pixels as f32 / dpi as f32 * 25.4;
            let margin = (4.0 / 25.4 * dpi as f32) as i32;
            let [top_left, _, bottom_right, _] = grids[0].bounds;
            let (mut left, mut top, mut right, mut bottom) = (usize::MAX, usize::MAX, 0, 0);
            for y in (top_left.y - margin).max(0) as usize..(bottom_right.y + margin) as usize {
                for x in (top_left.x - margin).max(0) as usize..(bottom_right.x + margin) as usize {
                    if pixels[y * width + x] < 128 {
                        (left, top) = (left.min(x), top.min(y));
                        (right, bottom) = (right.max(x + 1), bottom.max(y + 1));
                    }
                }
            }
            let (wide, tall) = (mm(right - left), mm(bottom - top));
            assert!((wide - 35.0).abs() < 0.4, "{layout:?}: {wide} mm wide");
            assert!((tall - 35.0).abs() < 0.4, "{layout:?}: {tall} mm tall");
            let centre = mm(left + right) / 2.0;
            assert!(
                (centre - page_width_mm / 2.0).abs() < 0.4,
                "{layout:?}: centred, at {centre} mm"
            );
            assert!(
                mm(top) < 25.0,
                "{layout:?}: at the top, {} mm down",
                mm(top)
            );
            for (number, (width, height, pixels)) in pages.iter().enumerate().skip(1) {
                let mut image =
                    rqrr::PreparedImage::prepare_from_greyscale(*width, *height, |x, y| {
                        pixels[y * width + x]
                    });
                assert!(
                    image.detect_grids().is_empty(),
                    "page {} has no code",
                    number + 1
                );
            }
            if layout == DocumentLayout::A4 {
                assert!(pages.len() >= 2, "{} pages", pages.len());
            }
        }
    }
}
