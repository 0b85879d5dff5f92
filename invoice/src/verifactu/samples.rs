//! Sample parties, documents and a chain of records, for the tests here and
//! the schema validation in `invoice/tests/verifactu_xsd.rs`. The NIFs are
//! the AEAT's own test NIFs from its specifications (89890001K, 89890002E).

use super::{
    AltaInput, AnulacionInput, ChainLink, InvoiceType, Recipient, Record, RegistroAlta,
    RegistroAnulacion, SistemaInformatico,
};
use crate::dates::Date;
use crate::document::{totals, Correction, DocumentLine, Party, PublicDocument};
use crate::spain::{ForeignId, ForeignIdKind, Nif, RecipientId, SpanishSeller, TaxTreatment};
use crate::{Currency, Language};

pub fn system() -> SistemaInformatico {
    SistemaInformatico {
        producer_name: "Invio Software S.L.".into(),
        producer_nif: nif("89890002E"),
        system_name: "Invio".into(),
        system_id: "IV".into(),
        version: "1.0.0".into(),
        installation_number: "org-42".into(),
        only_verifactu: true,
        multiple_taxpayers_possible: true,
        multiple_taxpayers: true,
    }
}

/// A NIF the tests know to be valid.
pub fn nif(text: &str) -> Nif {
    Nif::parse(text).unwrap_or_else(|problem| panic!("{text}: {problem:?}"))
}

pub fn issuer() -> SpanishSeller {
    SpanishSeller {
        nif: nif("89890001K"),
        legal_name: "Tienda & Café <Pérez> S.L.".into(),
    }
}

pub fn spanish_customer() -> Recipient {
    Recipient {
        name: "Cliente Uno S.A.".into(),
        id: RecipientId::Nif(nif("89890002E")),
    }
}

pub fn foreign_customer() -> Recipient {
    foreign("FR", ForeignIdKind::VatNumber, "FR12345678901")
}

pub fn foreign(country: &str, kind: ForeignIdKind, id: &str) -> Recipient {
    Recipient {
        name: "Client Deux SARL".into(),
        id: RecipientId::Foreign(ForeignId {
            country: country.into(),
            kind,
            id: id.into(),
        }),
    }
}

pub fn date(year: i32, month: u32, day: u32) -> Date {
    Date { year, month, day }
}

/// Milliseconds since the epoch of a UTC instant.
pub fn utc_ms(day: Date, hour: i64, minute: i64) -> i64 {
    (day.days_since_epoch() * 24 * 60 + hour * 60 + minute) * 60_000
}

pub fn line(
    description: &str,
    quantity_milli: i64,
    unit_price_minor: i64,
    rate_bp: i64,
) -> DocumentLine {
    DocumentLine {
        description: description.into(),
        quantity_milli,
        unit_price_minor,
        tax_rate_bp: rate_bp,
        natura: None,
        treatment: None,
    }
}

/// A line without VAT, taxed as `treatment` says (`E1`, `N1`…).
pub fn line_without_vat(
    description: &str,
    quantity_milli: i64,
    unit_price_minor: i64,
    treatment: &str,
) -> DocumentLine {
    DocumentLine {
        treatment: TaxTreatment::parse(treatment).ok(),
        ..line(description, quantity_milli, unit_price_minor, 0)
    }
}

pub fn document(number: &str, issue_date: Date, lines: Vec<DocumentLine>) -> PublicDocument {
    PublicDocument {
        language: Language::Es,
        number: number.into(),
        issue_date,
        due_date: None,
        currency: Currency::Eur,
        seller: Party {
            name: "Tienda & Café <Pérez> S.L.".into(),
            address: vec!["Calle Mayor 1".into(), "28013 Madrid".into()],
            tax_id: Some("89890001K".into()),
        },
        customer: Party {
            name: "Cliente Uno S.A.".into(),
            ..Party::default()
        },
        totals: totals(&lines, Currency::Eur).unwrap_or_else(|_| panic!("small totals")),
        lines,
        notes: String::new(),
        legal_channel: None,
        tax_agency_check: None,
        corrects: None,
        simplified: false,
    }
}

/// A credit note of `invoice`, crediting `lines` (positive, as Invio's
/// credit notes are).
pub fn credit_note(
    number: &str,
    issue_date: Date,
    invoice: &PublicDocument,
    lines: Vec<DocumentLine>,
) -> PublicDocument {
    PublicDocument {
        corrects: Some(Correction {
            number: invoice.number.clone(),
            issue_date: invoice.issue_date,
            reason: "Devolución de una silla".into(),
            ground: None,
        }),
        ..document(number, issue_date, lines)
    }
}

pub fn alta(
    document: &PublicDocument,
    invoice_type: InvoiceType,
    recipient: Option<&Recipient>,
    previous: Option<&ChainLink>,
    generated_at_ms: i64,
) -> Record {
    let issuer = issuer();
    let system = system();
    RegistroAlta::build(&AltaInput {
        document,
        invoice_type,
        issuer: &issuer,
        recipient,
        previous,
        system: &system,
        generated_at_ms,
    })
    .unwrap_or_else(|rules| panic!("{rules:?}"))
    .record()
}

pub fn anulacion(
    document: &PublicDocument,
    previous: Option<&ChainLink>,
    generated_at_ms: i64,
) -> Record {
    let system = system();
    RegistroAnulacion::build(&AnulacionInput {
        issuer_nif: &issuer().nif,
        number: &document.number,
        issue_date: document.issue_date,
        previous,
        system: &system,
        generated_at_ms,
    })
    .unwrap_or_else(|rules| panic!("{rules:?}"))
    .record()
}

/// A chain as a Spanish store makes it on 2 December 2026: a full invoice
/// (two rates), a simplified one, a credit note correcting the first by
/// differences, a full invoice to a foreign customer, and the voiding of
/// the simplified one.
pub fn chain() -> Vec<Record> {
    let day = date(2026, 12, 2);
    let invoice = document(
        "2026-0001",
        day,
        vec![
            line("Silla de roble", 4_000, 5_000, 2_100),
            line("Libro de cocina", 1_000, 2_500, 400),
        ],
    );
    let receipt = document("2026-0002", day, vec![line("Café", 2_000, 150, 1_000)]);
    let refund = credit_note(
        "NC-2026-0001",
        day,
        &invoice,
        vec![line("Silla de roble", 1_000, 5_000, 2_100)],
    );
    let export = document(
        "2026-0003",
        day,
        vec![line("Consultoría", 1_000, 80_000, 2_100)],
    );
    let mut records = vec![alta(
        &invoice,
        InvoiceType::F1,
        Some(&spanish_customer()),
        None,
        utc_ms(day, 9, 0),
    )];
    let next = |records: &Vec<Record>| records.last().map(|record| record.link.clone());
    records.push(alta(
        &receipt,
        InvoiceType::F2,
        None,
        next(&records).as_ref(),
        utc_ms(day, 9, 5),
    ));
    records.push(alta(
        &refund,
        InvoiceType::R1,
        Some(&spanish_customer()),
        next(&records).as_ref(),
        utc_ms(day, 9, 10),
    ));
    records.push(alta(
        &export,
        InvoiceType::F1,
        Some(&foreign_customer()),
        next(&records).as_ref(),
        utc_ms(day, 9, 15),
    ));
    records.push(anulacion(
        &receipt,
        next(&records).as_ref(),
        utc_ms(day, 9, 20),
    ));
    records
}
