//! PDF rendering with `invoice::pdf`, side by side with headless Chromium
//! printing the same invoice as HTML. Prints a Markdown table of medians and
//! the ratio; `make bench` collects it.
//!
//! `cargo bench -p invoice --features pdf --bench pdf`

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use invoice::dates::Date;
use invoice::document::{
    format_quantity, format_tax_rate, totals, DocumentLayout, DocumentLine, Party, PublicDocument,
};
use invoice::{Currency, Language, Money};

const PRINTPDF_ROUNDS: usize = 200;
const CHROMIUM_ROUNDS: usize = 7;

fn document(lines: usize) -> PublicDocument {
    let lines: Vec<DocumentLine> = (1..=lines as i64)
        .map(|n| DocumentLine {
            description: format!("Articolo {n} — consulenza e sviluppo"),
            quantity_milli: 1_000 + n * 250,
            unit_price_minor: 1_990 + n * 100,
            tax_rate_bp: if n % 3 == 0 { 1_000 } else { 2_200 },
            natura: None,
            treatment: None,
        })
        .collect();
    PublicDocument {
        language: Language::It,
        number: "2026-0042".into(),
        issue_date: Date {
            year: 2026,
            month: 11,
            day: 22,
        },
        due_date: Some(Date {
            year: 2026,
            month: 12,
            day: 22,
        }),
        currency: Currency::Eur,
        seller: Party {
            name: "Bottega Rossi".into(),
            address: vec!["Via Roma 1".into(), "20121 Milano".into()],
            tax_id: Some("IT01234567890".into()),
        },
        customer: Party {
            name: "María Pérez".into(),
            address: vec!["Calle Mayor 1".into(), "28013 Madrid".into()],
            tax_id: Some("B12345678".into()),
        },
        totals: totals(&lines, Currency::Eur).expect("totals"),
        lines,
        notes: "Bonifico a 30 giorni.".into(),
        legal_channel: None,
        corrects: None,
        tax_agency_check: None,
        simplified: false,
    }
}

/// The same invoice as a self-contained HTML page, for Chromium to print.
fn html(document: &PublicDocument) -> String {
    let language = document.language;
    let money = |minor: i64| Money::new(minor, document.currency).format(language);
    let rows: String = document
        .lines
        .iter()
        .map(|line| {
            format!(
                "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
                line.description,
                format_quantity(line.quantity_milli, language),
                money(line.unit_price_minor),
                format_tax_rate(line.tax_rate_bp, language),
                money(line.net_minor())
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=it><meta charset=utf-8><style>body{{font:10pt Helvetica,Arial,sans-serif;margin:18mm}}table{{width:100%;border-collapse:collapse}}th,td{{padding:4px;border-bottom:1px solid #ddd}}.n{{text-align:right}}thead{{display:table-header-group}}</style>\
         <h1>{}</h1><p>{}<br>{}</p><p>Fattura {} — {}</p><p>{}</p>\
         <table><thead><tr><th>Descrizione</th><th class=n>Q.tà</th><th class=n>Prezzo</th><th class=n>IVA</th><th class=n>Importo</th></tr></thead><tbody>{rows}</tbody></table>\
         <p class=n>Imponibile {}<br>Totale <b>{}</b></p><p>{}</p></html>",
        document.seller.name,
        document.seller.address.join("<br>"),
        document.seller.tax_id.clone().unwrap_or_default(),
        document.number,
        document.issue_date.format(language),
        document.customer.name,
        money(document.totals.subtotal.minor),
        money(document.totals.total.minor),
        document.notes
    )
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn printpdf_ms(document: &PublicDocument) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..PRINTPDF_ROUNDS {
        let started = Instant::now();
        let pdf = invoice::pdf::render(document, Default::default(), DocumentLayout::A4);
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(pdf.starts_with(b"%PDF"));
    }
    median(samples)
}

fn chromium_ms(document: &PublicDocument, dir: &Path) -> Option<f64> {
    let page = dir.join("invoice.html");
    std::fs::write(&page, html(document)).ok()?;
    let out = dir.join("invoice.pdf");
    let mut samples = Vec::new();
    for _ in 0..CHROMIUM_ROUNDS {
        let _ = std::fs::remove_file(&out);
        let started = Instant::now();
        let status =
            Command::new(std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "chromium".into()))
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-pdf-header-footer",
                ])
                .arg(format!("--print-to-pdf={}", out.display()))
                .arg(format!("file://{}", page.display()))
                .output()
                .ok()?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        if !status.status.success() || !out.exists() {
            return None;
        }
    }
    Some(median(samples))
}

fn main() {
    let dir = std::env::temp_dir().join(format!("invio-pdf-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (label, lines) in [("1 page (3 lines)", 3), ("100 lines", 100)] {
        let document = document(lines);
        let ours = printpdf_ms(&document);
        match chromium_ms(&document, &dir) {
            Some(chromium) => println!(
                "| PDF of an invoice, {label} | printpdf {ours:.2} ms (median of {PRINTPDF_ROUNDS}) vs headless Chromium printing the same invoice's HTML {chromium:.0} ms (median of {CHROMIUM_ROUNDS}) | {:.0}× faster |",
                chromium / ours
            ),
            None => println!("| PDF of an invoice, {label} | printpdf {ours:.2} ms (median of {PRINTPDF_ROUNDS}); Chromium not available | — |"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
