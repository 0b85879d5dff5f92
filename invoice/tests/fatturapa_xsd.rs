//! Every kind of FatturaPA file Invio builds, validated against the official
//! schema (`invoice/fatturapa/`, checked by its published sha256) by a real
//! validator: `xmllint` from Debian's libxml2-utils, which `make test`
//! installs. The signature schema the FatturaPA schema imports from w3.org
//! is resolved to the local copy through an XML catalog, never the network.
//! Files that break the schema are shown to fail too, so a validator that
//! validates nothing cannot pass.

// The shared helpers serve SdI's messages too; this file checks invoices only.
#[allow(dead_code)]
#[path = "support/xsd.rs"]
mod xsd;

use invoice::document::Correction;
use invoice::fatturapa::samples::{company, consumer, document, line, seller, vat_free_line};
use invoice::fatturapa::FatturaPa;
use xsd::{
    schemas, sha256, validate, SCHEMA, SCHEMA_SHA256, SIGNATURE_SCHEMA, SIGNATURE_SCHEMA_SHA256,
};

#[test]
fn the_schemas_are_the_published_files() {
    assert_eq!(sha256(&schemas().join(SCHEMA)), SCHEMA_SHA256);
    assert_eq!(
        sha256(&schemas().join(SIGNATURE_SCHEMA)),
        SIGNATURE_SCHEMA_SHA256
    );
}

#[test]
fn every_kind_of_file_invio_builds_is_valid_for_the_official_schema() {
    let standard = document(
        "2026/0001",
        vec![
            line("Consulenza d’impresa — dicembre", 1_000, 80_000, 2_200),
            line("Libri", 3_000, 1_250, 400),
            line("Spese di trasferta", 1_500, 3_333, 2_200),
        ],
    );
    let vat_free = document(
        "2026/0002",
        vec![vat_free_line("Corso di formazione", 1_000, 15_000, "N4")],
    );
    let mixed = document(
        "2026/0003",
        vec![
            line("Servizio", 1_000, 10_000, 2_200),
            vat_free_line("Operazione non soggetta", 2_000, 5_000, "N2.2"),
        ],
    );
    let mut refund = document("NC/0001", vec![line("Reso parziale", 1_000, 20_000, 2_200)]);
    refund.corrects = Some(Correction {
        number: "2026/0001".into(),
        issue_date: invoice::dates::Date {
            year: 2026,
            month: 11,
            day: 3,
        },
        reason: "Reso".into(),
        ground: None,
    });
    let file = |document, buyer, reference: Option<&str>| FatturaPa {
        document,
        seller: seller(),
        buyer,
        legal_reference: reference.map(str::to_owned),
        progressive: "0000A".into(),
    };
    let mut to_a_pec = file(&standard, consumer(), None);
    to_a_pec.buyer.pec = Some("mario.rossi@pec.it".into());
    let credit_note = file(&refund, company(), None);
    let mut without_iban = file(&standard, company(), None);
    without_iban.seller.iban = None;
    let cases = [
        (
            "company with a codice destinatario",
            file(&standard, company(), None),
        ),
        ("consumer, 0000000", file(&standard, consumer(), None)),
        ("consumer reached by PEC", to_a_pec),
        (
            "VAT-free with stamp duty",
            file(&vat_free, consumer(), Some("Art. 10 DPR 633/72")),
        ),
        (
            "VAT and a natura together",
            file(&mixed, company(), Some("Art. 7-ter DPR 633/72")),
        ),
        ("credit note TD04", credit_note),
        ("paid in cash, no IBAN", without_iban),
    ];
    for (what, case) in cases {
        let xml = case
            .to_xml()
            .unwrap_or_else(|rules| panic!("{what}: {rules:?}"));
        if let Err(complaints) = validate("IT06363391001_0000A.xml", &xml) {
            panic!("{what} is not valid for the schema:\n{complaints}\n{xml}");
        }
    }
}

#[test]
fn files_that_break_the_schema_are_refused_by_the_validator() {
    let standard = document("2026/0001", vec![line("Consulenza", 1_000, 10_000, 2_200)]);
    let xml = FatturaPa {
        document: &standard,
        seller: seller(),
        buyer: company(),
        legal_reference: None,
        progressive: "00001".into(),
    }
    .to_xml()
    .expect("xml");
    assert_eq!(validate("valid.xml", &xml), Ok(()));
    let broken = [
        (
            "an unknown document type",
            xml.replace("TD01", "TD99"),
            "TipoDocumento",
        ),
        (
            "a withdrawn regime",
            xml.replace("RF01", "RF03"),
            "RegimeFiscale",
        ),
        (
            "date and currency swapped",
            xml.replace(
                "<Divisa>EUR</Divisa>\n<Data>2026-12-02</Data>",
                "<Data>2026-12-02</Data>\n<Divisa>EUR</Divisa>",
            ),
            "Divisa",
        ),
        (
            "an amount with one decimal",
            xml.replace(
                "<ImportoTotaleDocumento>122.00<",
                "<ImportoTotaleDocumento>122.0<",
            ),
            "ImportoTotaleDocumento",
        ),
    ];
    for (what, file, element) in broken {
        assert_ne!(file, xml, "{what}: the change must bite");
        let complaints = validate("broken.xml", &file).expect_err(what);
        assert!(complaints.contains(element), "{what}: {complaints}");
    }
}
