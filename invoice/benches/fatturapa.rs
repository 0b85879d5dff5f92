//! The FatturaPA file of an invoice: building its XML with
//! `invoice::fatturapa` and validating it against the official schema with
//! xmllint (what the tests do for every kind of file), beside rendering the
//! same invoice's PDF. Prints a Markdown row per size; `make bench` collects
//! them.
//!
//! `cargo bench -p invoice --features pdf --bench fatturapa`

// The benchmark needs only the validator of the shared schema helpers.
#[allow(dead_code)]
#[path = "../tests/support/xsd.rs"]
mod xsd;

use std::time::Instant;

use invoice::document::{DocumentLayout, DocumentLine};
use invoice::fatturapa::samples::{company, document, line, seller, vat_free_line};
use invoice::fatturapa::FatturaPa;

const BUILD_ROUNDS: usize = 500;
const PDF_ROUNDS: usize = 100;
const VALIDATION_ROUNDS: usize = 9;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn median_ms(rounds: usize, mut work: impl FnMut()) -> f64 {
    median(
        (0..rounds)
            .map(|_| {
                let started = Instant::now();
                work();
                started.elapsed().as_secs_f64() * 1000.0
            })
            .collect(),
    )
}

fn lines(count: i64) -> Vec<DocumentLine> {
    (1..=count)
        .map(|n| match n % 4 {
            0 => vat_free_line(&format!("Corso {n}"), 1_000, 2_500 + n, "N4"),
            _ => line(
                &format!("Consulenza {n} — sviluppo"),
                1_000 + n * 250,
                1_990 + n * 100,
                2_200,
            ),
        })
        .collect()
}

fn main() {
    for (label, count) in [("3 lines", 3), ("100 lines", 100)] {
        let document = document("2026/0042", lines(count));
        let file = FatturaPa {
            document: &document,
            seller: seller(),
            buyer: company(),
            legal_reference: Some("Art. 10 DPR 633/72".into()),
            progressive: "00042".into(),
        };
        let xml = file.to_xml().expect("a valid file");
        let build = median_ms(BUILD_ROUNDS, || {
            assert!(file.to_xml().is_ok());
        });
        let validation = median_ms(VALIDATION_ROUNDS, || {
            xsd::validate("IT06363391001_00042.xml", &xml).expect("valid for the schema");
        });
        let pdf = median_ms(PDF_ROUNDS, || {
            assert!(
                invoice::pdf::render(&document, Default::default(), DocumentLayout::A4)
                    .starts_with(b"%PDF")
            );
        });
        println!(
            "| FatturaPA of an invoice, {label} ({} KiB) | XML built in {build:.3} ms (median of {BUILD_ROUNDS}); XSD validation by xmllint {validation:.1} ms, process start included (median of {VALIDATION_ROUNDS}); the same invoice's PDF {pdf:.2} ms (median of {PDF_ROUNDS}) | XML {:.0}× faster than the PDF |",
            xml.len() / 1024,
            pdf / build
        );
    }
}
