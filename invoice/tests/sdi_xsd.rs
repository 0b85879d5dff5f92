//! SdI's official messages schema and example messages (`invoice/sdi/`,
//! each checked by its sha256): every example is valid for the schema by a
//! real validator (`xmllint`, as for invoices), `invoice::sdi` reads each one
//! as what it is, and every message Invio's tests build from them is valid
//! too. A message that breaks the schema is shown to fail, so a validator
//! that validates nothing cannot pass.

// The shared helpers serve invoices too; this file checks SdI's messages only.
#[allow(dead_code)]
#[path = "support/xsd.rs"]
mod xsd;

use invoice::sdi::samples;
use invoice::sdi::{parse_receipt, MessageFileName, MessageKind, Outcome, SdiError};
use xsd::{
    schemas, sdi, sha256, validate_message, MESSAGES_SCHEMA, MESSAGES_SCHEMA_SHA256,
    SIGNATURE_SCHEMA, SIGNATURE_SCHEMA_SHA256,
};

/// The official examples, their sha256 (see `invoice/sdi/SOURCES.md`) and
/// what each is.
const EXAMPLES: [(&str, &str, MessageKind); 6] = [
    (
        "IT01234567890_11111_RC_001.xml",
        "2cbe633b57592eb78f9dde60290ce7fcba8dfd8f33cb61f1a66c1dae8ce4ba9a",
        MessageKind::Delivered,
    ),
    (
        "IT01234567890_11111_MC_001.xml",
        "71be5f347dae82c99ae043335ff5838c05999df8a4e498971e100595f6b34033",
        MessageKind::NotDelivered,
    ),
    (
        "IT01234567890_11111_NS_001.xml",
        "9884bc97c02d18f3c50fb102cd7d902edbba538ab217ca40c9202c2075e4d540",
        MessageKind::Rejected,
    ),
    (
        "IT01234567890_11111_NE_001.xml",
        "acd55ee6316ccaea9f5ae268b711b932d18f0d389d6773864865fe6b91b9c920",
        MessageKind::Outcome,
    ),
    (
        "IT01234567890_11111_DT_001.xml",
        "77e791a9669ca2746e3bd7d4b5c30156eaad7bef98bfe841332753d7e1566125",
        MessageKind::TermsElapsed,
    ),
    (
        "IT01234567890_11111_AT_001.xml",
        "df072d2c3a27e8c8c4b7bb98ef71944f9b846b2c13910a4917dd053aa4a6c5d5",
        MessageKind::TransmissionAttested,
    ),
];

fn example(name: &str) -> String {
    std::fs::read_to_string(sdi().join("examples").join(name)).expect("official example")
}

#[test]
fn the_schema_and_the_examples_are_the_published_files() {
    assert_eq!(sha256(&sdi().join(MESSAGES_SCHEMA)), MESSAGES_SCHEMA_SHA256);
    assert_eq!(
        sha256(&schemas().join(SIGNATURE_SCHEMA)),
        SIGNATURE_SCHEMA_SHA256
    );
    for (name, checksum, _) in EXAMPLES {
        assert_eq!(
            sha256(&sdi().join("examples").join(name)),
            checksum,
            "{name}"
        );
    }
    let kept: std::collections::BTreeSet<String> = std::fs::read_dir(sdi().join("examples"))
        .expect("examples folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let listed: std::collections::BTreeSet<String> =
        EXAMPLES.iter().map(|(name, ..)| name.to_string()).collect();
    assert_eq!(kept, listed, "every kept example is checked");
}

#[test]
fn every_official_example_is_valid_for_the_official_schema() {
    for (name, ..) in EXAMPLES {
        if let Err(complaints) = validate_message(name, &example(name)) {
            panic!("{name} is not valid for the schema:\n{complaints}");
        }
    }
}

#[test]
fn messages_that_break_the_schema_are_refused_by_the_validator() {
    let delivered = example("IT01234567890_11111_RC_001.xml");
    let outcome = example("IT01234567890_11111_NE_001.xml");
    let rejected = example("IT01234567890_11111_NS_001.xml");
    let broken = [
        (
            "a delivery without the recipient",
            delivered.replace(
                "<Destinatario>\r\n    <Codice>AAA111</Codice>\r\n    <Descrizione>Amministrazione di prova</Descrizione>\r\n  </Destinatario>\r\n",
                "",
            ),
            "Destinatario",
        ),
        (
            "SdI's identifier that is not a number",
            delivered.replace(
                "<IdentificativoSdI>111<",
                "<IdentificativoSdI>ABC<",
            ),
            "IdentificativoSdI",
        ),
        (
            "an outcome other than EC01 or EC02",
            outcome.replace("<Esito>EC01<", "<Esito>EC03<"),
            "Esito",
        ),
        (
            "an error code of four characters",
            rejected.replace("<Codice>00100<", "<Codice>0100<"),
            "Codice",
        ),
        (
            "a message without SdI's signature",
            delivered.split("<ds:Signature").next().expect("head").to_owned()
                + "</types:RicevutaConsegna>",
            "Signature",
        ),
    ];
    for (what, file, element) in broken {
        assert_ne!(file, delivered, "{what}: the change must bite");
        let complaints = validate_message("broken.xml", &file).expect_err(what);
        assert!(complaints.contains(element), "{what}: {complaints}");
    }
}

#[test]
fn every_official_example_reads_as_its_kind_about_the_examples_invoice() {
    for (name, _, kind) in EXAMPLES {
        let receipt = parse_receipt(example(name).as_bytes())
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(receipt.kind(), kind, "{name}");
        assert_eq!(receipt.sdi_id, "111", "{name}");
        assert_eq!(receipt.invoice_file.base(), "IT01234567890_11111", "{name}");
        assert!(receipt.invoice_file.signed(), "{name}");
        assert_eq!(receipt.message_id.as_deref(), Some("123456"), "{name}");
        let file_name = MessageFileName::parse(name).expect("an SdI message's name");
        assert_eq!(file_name.kind, kind, "{name}");
        assert_eq!(
            file_name.invoice_base,
            receipt.invoice_file.base(),
            "{name}"
        );
    }
}

#[test]
fn each_official_example_says_what_sdi_says_in_it() {
    let read = |name: &str| parse_receipt(example(name).as_bytes()).expect(name);
    let delivered = read("IT01234567890_11111_RC_001.xml");
    assert_eq!(
        delivered.received_at.as_deref(),
        Some("2013-06-06T12:00:00Z")
    );
    assert_eq!(
        delivered.outcome,
        Outcome::Delivered {
            delivered_at: "2013-06-06T12:01:00Z".into()
        }
    );
    assert_eq!(
        read("IT01234567890_11111_MC_001.xml").outcome,
        Outcome::NotDelivered {
            description: Some("Notifica di esempio".into())
        }
    );
    // The rejection's archive reference carries an IdentificativoSdI and a
    // NomeFile of its own (100, the .zip): the message is about the file.
    let rejected = read("IT01234567890_11111_NS_001.xml");
    assert_eq!(rejected.sdi_id, "111");
    assert_eq!(
        rejected.outcome,
        Outcome::Rejected {
            errors: vec![SdiError {
                code: "00100".into(),
                description: "Certificato di firma scaduto".into(),
                suggestion: None,
            }]
        }
    );
    let outcome = read("IT01234567890_11111_NE_001.xml");
    assert_eq!(outcome.received_at, None);
    assert_eq!(
        outcome.outcome,
        Outcome::PublicBody {
            accepted: true,
            description: Some("Notifica di esempio".into())
        }
    );
    let elapsed = read("IT01234567890_11111_DT_001.xml");
    assert_eq!(elapsed.received_at, None);
    assert_eq!(elapsed.outcome, Outcome::TermsElapsed);
    let attested = read("IT01234567890_11111_AT_001.xml");
    assert_eq!(attested.received_at.as_deref(), Some("2014-04-01T12:00:00"));
    assert_eq!(attested.outcome, Outcome::TransmissionAttested);
}

#[test]
fn every_message_invios_tests_build_is_valid_for_the_official_schema() {
    // Names and identifiers as the server's tests and Playwright use them.
    let file = "IT06363391001_0000A.xml";
    let cases = [
        ("RC", samples::delivered(file, "4001")),
        ("MC", samples::not_delivered(file, "4003")),
        (
            "NS",
            samples::rejected(
                file,
                "4002",
                &[
                    ("00404", "Fattura duplicata"),
                    ("00311", "1.1.4 <CodiceDestinatario> non valido"),
                ],
            ),
        ),
        ("NE", samples::public_body_outcome(file, "4005", "EC02")),
        ("DT", samples::terms_elapsed(file, "4004")),
        ("AT", samples::transmission_attested(file, "4006")),
    ];
    for (code, xml) in cases {
        let name = samples::message_file_name(file, code, "001");
        if let Err(complaints) = validate_message(&name, &xml) {
            panic!("{name} is not valid for the schema:\n{complaints}\n{xml}");
        }
        let receipt = parse_receipt(xml.as_bytes()).expect("a sample reads");
        assert_eq!(receipt.invoice_file.to_string(), file);
        assert_eq!(receipt.kind().code(), code);
    }
}
