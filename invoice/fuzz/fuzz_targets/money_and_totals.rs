//! Money typed by people and the totals of an invoice's lines. Parsing any
//! text must not panic; an amount that parses must read back from how Invio
//! writes it. Totals of any lines are either exact (checked here against the
//! same arithmetic done in i128) or `Overflow`: never a panic, never a
//! wrapped number on an invoice.
#![no_main]

use arbitrary::Arbitrary;
use invoice::document::{
    format_quantity, format_tax_rate, parse_quantity, parse_tax_rate, totals, DocumentLine,
    QUANTITY_SCALE, TAX_RATE_SCALE,
};
use invoice::money::MoneyError;
use invoice::{Currency, Language, Money};
use libfuzzer_sys::fuzz_target;

/// A line's numbers, each a random i64 shifted right by a random amount:
/// plain random i64s are nearly all ~2^62, and the interesting cases (sums
/// that just leave i64, a product that just fits) need every magnitude.
#[derive(Debug, Arbitrary)]
struct Line {
    quantity_milli: (i64, u8),
    unit_price_minor: (i64, u8),
    tax_rate_bp: (i64, u8),
    /// Reuse the previous line's rate, so lines share a rate as on invoices.
    same_rate: bool,
    /// How many more times the line appears (a merchant duplicating it), so
    /// one rate's base can grow past what a single line reaches.
    copies: u8,
}

fn spread((value, shift): (i64, u8)) -> i64 {
    value >> (shift % 64)
}

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    currency: u8,
    /// An amount, quantity or rate as typed in a form.
    typed: &'a str,
    lines: Vec<Line>,
    /// Also try the lines squeezed into what the draft form accepts, so the
    /// fuzzer spends time on realistic invoices and not only on overflows.
    squeeze: bool,
}

/// Half away from zero, written apart from the crate's own helper.
fn round(numerator: i128, denominator: i128) -> i128 {
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    if 2 * remainder.abs() >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    }
}

fn fits(value: i128) -> bool {
    i64::try_from(value).is_ok()
}

/// The totals computed exactly: the line amounts, each rate's base and tax
/// (highest rate first), the subtotal and the total. `None` when even i128
/// cannot hold them.
struct Exact {
    nets: Vec<i128>,
    rates: Vec<(i64, i128, i128)>,
    subtotal: i128,
    total: i128,
}

fn exact(lines: &[DocumentLine]) -> Option<Exact> {
    let nets: Vec<i128> = lines
        .iter()
        .map(|line| {
            round(
                i128::from(line.quantity_milli) * i128::from(line.unit_price_minor),
                i128::from(QUANTITY_SCALE),
            )
        })
        .collect();
    let mut bases: Vec<(i64, i128)> = Vec::new();
    for (line, net) in lines.iter().zip(&nets) {
        match bases.iter_mut().find(|(rate, _)| *rate == line.tax_rate_bp) {
            Some((_, base)) => *base = base.checked_add(*net)?,
            None => bases.push((line.tax_rate_bp, *net)),
        }
    }
    bases.sort_by(|a, b| b.0.cmp(&a.0));
    let mut rates = Vec::new();
    let (mut subtotal, mut total) = (0_i128, 0_i128);
    for (rate, base) in bases {
        let tax = round(
            base.checked_mul(i128::from(rate))?,
            i128::from(TAX_RATE_SCALE),
        );
        subtotal = subtotal.checked_add(base)?;
        total = total.checked_add(base)?.checked_add(tax)?;
        rates.push((rate, base, tax));
    }
    Some(Exact {
        nets,
        rates,
        subtotal,
        total,
    })
}

fn check_totals(lines: &[DocumentLine], currency: Currency) {
    let model = exact(lines);
    let representable = model.as_ref().is_some_and(|model| {
        model.nets.iter().all(|net| fits(*net))
            && model
                .rates
                .iter()
                .all(|(_, base, tax)| fits(*base) && fits(*tax))
            && fits(model.subtotal)
            && fits(model.total)
    });
    match totals(lines, currency) {
        Ok(totals) => {
            let model = model.expect("Ok totals where i128 overflows");
            assert!(representable, "Ok totals for amounts beyond i64: {lines:?}");
            for (line, net) in lines.iter().zip(&model.nets) {
                assert_eq!(i128::from(line.net_minor()), *net, "{line:?}");
            }
            assert_eq!(totals.taxes.len(), model.rates.len());
            for (tax_line, (rate, base, tax)) in totals.taxes.iter().zip(&model.rates) {
                assert_eq!(tax_line.rate_bp, *rate);
                assert_eq!(i128::from(tax_line.base.minor), *base);
                assert_eq!(i128::from(tax_line.tax.minor), *tax);
                assert_eq!(tax_line.base.currency, currency);
                assert_eq!(tax_line.tax.currency, currency);
            }
            assert_eq!(i128::from(totals.subtotal.minor), model.subtotal);
            assert_eq!(i128::from(totals.total.minor), model.total);
            let taxes: i128 = totals.taxes.iter().map(|t| i128::from(t.tax.minor)).sum();
            assert_eq!(
                i128::from(totals.total.minor),
                i128::from(totals.subtotal.minor) + taxes,
                "total is not subtotal + tax"
            );
            assert_eq!(totals.subtotal.currency, currency);
            assert_eq!(totals.total.currency, currency);
        }
        Err(error) => {
            assert_eq!(error, MoneyError::Overflow);
            assert!(!representable, "refused totals that fit: {lines:?}");
        }
    }
}

fn check_typed(typed: &str, currency: Currency) {
    if let Ok(money) = Money::parse(typed, currency) {
        assert_eq!(money.currency, currency);
        // A form shows a saved amount as `to_plain`; people copy it as
        // `format` writes it. Both must read back as the same amount.
        assert_eq!(Money::parse(&money.to_plain(), currency), Ok(money));
        for language in Language::ALL {
            let written: String = money
                .format(language)
                .chars()
                .filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-'))
                .collect();
            assert_eq!(
                Money::parse(&written, currency),
                Ok(money),
                "{typed:?} written as {written:?} in {language:?}"
            );
        }
    }
    if let Ok(milli) = parse_quantity(typed) {
        assert!(milli > 0);
        for language in Language::ALL {
            assert_eq!(parse_quantity(&format_quantity(milli, language)), Ok(milli));
        }
    }
    if let Ok(rate_bp) = parse_tax_rate(typed) {
        assert!((0..=TAX_RATE_SCALE).contains(&rate_bp));
        for language in Language::ALL {
            assert_eq!(
                parse_tax_rate(&format_tax_rate(rate_bp, language)),
                Ok(rate_bp)
            );
        }
    }
}

fuzz_target!(|input: Input<'_>| {
    let currency = Currency::ALL[usize::from(input.currency) % Currency::ALL.len()];
    check_typed(input.typed, currency);

    let mut lines: Vec<DocumentLine> = Vec::with_capacity(input.lines.len());
    for line in &input.lines {
        let copies = line.copies;
        let tax_rate_bp = match lines.last() {
            Some(previous) if line.same_rate => previous.tax_rate_bp,
            _ => spread(line.tax_rate_bp),
        };
        let line = DocumentLine {
            description: String::new(),
            quantity_milli: spread(line.quantity_milli),
            unit_price_minor: spread(line.unit_price_minor),
            tax_rate_bp,
            natura: None,
            treatment: None,
        };
        lines.extend(std::iter::repeat_n(line, 1 + usize::from(copies)));
    }
    check_totals(&lines, currency);

    if input.squeeze {
        // The bounds `DraftInput::validate` enforces on each line.
        let squeezed: Vec<DocumentLine> = lines
            .into_iter()
            .take(invoice::document::MAX_LINES)
            .map(|line| DocumentLine {
                quantity_milli: 1 + line.quantity_milli.rem_euclid(1_000_000 * QUANTITY_SCALE),
                unit_price_minor: line.unit_price_minor % 1_000_000_000_001,
                tax_rate_bp: line.tax_rate_bp.rem_euclid(TAX_RATE_SCALE + 1),
                natura: None,
                treatment: None,
                ..line
            })
            .collect();
        check_totals(&squeezed, currency);
    }
});
