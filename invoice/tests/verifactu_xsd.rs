//! Every VERI*FACTU request Invio builds, validated against the AEAT's
//! official schemas (`invoice/verifactu/xsd/`, checked by their sha256 in
//! SOURCES.md) by a real validator, `xmllint`; the W3C signature schema
//! that `SuministroInformacion.xsd` imports from w3.org is resolved to the
//! local copy through an XML catalog. Requests that break the schema are
//! shown to fail too, so a validator that validates nothing cannot pass.
//! And the AEAT's own sample record is read with Invio's code and hashes to
//! the huella it carries.

// Only the generic validator and the hash are used here; the FatturaPA
// constants beside them are the FatturaPA test's.
#[allow(dead_code)]
#[path = "support/xsd.rs"]
mod xsd;

use invoice::spain::ForeignIdKind;
use invoice::verifactu::samples::{
    alta, anulacion, chain, credit_note, date, document, foreign, foreign_customer, issuer, line,
    line_without_vat, spanish_customer, utc_ms,
};
use invoice::verifactu::{
    parse_record, request_xml, verify_chain, InvoiceType, LR_NAMESPACE, SOAP_NAMESPACE,
};
use xsd::{sha256, Schema};

const VERIFACTU: Schema = Schema {
    folder: "verifactu/xsd",
    file: "SuministroLR.xsd",
    signature_copy: "verifactu/xsd/xmldsig-core-schema.xsd",
    signature_import: "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd",
};

#[test]
fn the_schemas_are_the_files_sources_md_lists() {
    let folder = VERIFACTU.folder();
    for (file, hash) in [
        (
            "SuministroLR.xsd",
            "cbdac8d427cc5ab5d77ca48974cab0f35d6bb819c4c66db361681e3710aeba36",
        ),
        (
            "SuministroInformacion.xsd",
            "ee4c1655175644de44c4c25055ffeb8e5f4bb4bc3834ce8254d4222ef18c8aa1",
        ),
        (
            "xmldsig-core-schema.xsd",
            "d102ad3df7664c307e0c2c776ba4a90513b1969974d8a940bae1a77f9f21e15d",
        ),
    ] {
        assert_eq!(sha256(&folder.join(file)), hash, "{file}");
    }
}

/// The request's SOAP body element, with the namespaces it uses declared on
/// it, as a document of its own. The envelope is SOAP 1.1's, whose schema
/// is not among the AEAT's files; what the AEAT's schema governs is the
/// body (the WSDL binds the operation document/literal to
/// `sfLR:RegFactuSistemaFacturacion`), so that is what is validated, after
/// checking the envelope around it.
fn body(request: &str) -> String {
    let document = roxmltree::Document::parse(request).expect("the request is XML");
    let envelope = document.root_element();
    assert_eq!(
        (envelope.tag_name().namespace(), envelope.tag_name().name()),
        (Some(SOAP_NAMESPACE), "Envelope")
    );
    let soap_body = envelope
        .children()
        .find(|node| node.is_element() && node.tag_name().name() == "Body")
        .expect("a SOAP Body");
    let content = soap_body
        .children()
        .find(|node| node.is_element())
        .expect("the body's element");
    assert_eq!(
        (content.tag_name().namespace(), content.tag_name().name()),
        (Some(LR_NAMESPACE), "RegFactuSistemaFacturacion")
    );
    let text = &request[content.range()];
    let declarations: String = content
        .namespaces()
        .filter_map(|namespace| {
            namespace
                .name()
                .map(|prefix| format!(" xmlns:{prefix}=\"{}\"", namespace.uri()))
        })
        .collect();
    let name_end = text
        .find(|c: char| c == '>' || c == '/' || c.is_whitespace())
        .expect("a tag");
    format!("{}{declarations}{}", &text[..name_end], &text[name_end..])
}

fn assert_valid(what: &str, request: &str) {
    if let Err(complaints) = VERIFACTU.validate("request.xml", &body(request)) {
        panic!("{what} is not valid for the AEAT's schema:\n{complaints}\n{request}");
    }
}

#[test]
fn every_kind_of_request_invio_builds_is_valid_for_the_aeat_s_schema() {
    let day = date(2026, 12, 2);
    let invoice = document(
        "2026-0001",
        day,
        vec![
            line("Silla de roble", 4_000, 5_000, 2_100),
            line("Libro de cocina", 1_000, 2_500, 400),
            line("Pan", 3_000, 120, 0),
        ],
    );
    let receipt = document("2026-0002", day, vec![line("Café", 2_000, 150, 1_000)]);
    let refund = credit_note(
        "NC-2026-0001",
        day,
        &invoice,
        vec![line("Silla de roble", 1_000, 5_000, 2_100)],
    );
    let at = |minute| utc_ms(day, 10, minute);
    let full = alta(
        &invoice,
        InvoiceType::F1,
        Some(&spanish_customer()),
        None,
        at(0),
    );
    let foreign = alta(
        &invoice,
        InvoiceType::F1,
        Some(&foreign_customer()),
        None,
        at(1),
    );
    let simplified = alta(&receipt, InvoiceType::F2, None, Some(&full.link), at(2));
    let corrective = alta(
        &refund,
        InvoiceType::R1,
        Some(&spanish_customer()),
        Some(&simplified.link),
        at(3),
    );
    let simplified_corrective = alta(
        &credit_note(
            "NC-2026-0002",
            day,
            &receipt,
            vec![line("Café", 1_000, 150, 1_000)],
        ),
        InvoiceType::R5,
        None,
        Some(&corrective.link),
        at(4),
    );
    let voided = anulacion(&receipt, Some(&simplified_corrective.link), at(5));
    let single = |record: &str| request_xml(&issuer(), false, &[record]).expect("request");
    assert_valid("an F1 to a Spanish NIF", &single(&full.xml));
    assert_valid("an F1 to a foreign VAT number", &single(&foreign.xml));
    assert_valid("an F2 without recipient", &single(&simplified.xml));
    assert_valid("an R1 by differences", &single(&corrective.xml));
    assert_valid(
        "an R5 of a simplified invoice",
        &single(&simplified_corrective.xml),
    );
    assert_valid("an anulación", &single(&voided.xml));
    let records = chain();
    let stored: Vec<&str> = records.iter().map(|record| record.xml.as_str()).collect();
    assert_eq!(verify_chain(&stored), Ok(stored.len()));
    let mixed = request_xml(&issuer(), false, &stored).expect("request");
    assert_valid("a batch mixing altas and an anulación", &mixed);
    let after_outage = request_xml(&issuer(), true, &stored).expect("request");
    assert!(after_outage.contains("<sf:Incidencia>S</sf:Incidencia>"));
    assert_valid("a batch sent after an outage", &after_outage);
    let full_batch = request_xml(&issuer(), false, &[full.xml.as_str(); 1000]).expect("request");
    assert_valid("a batch of 1000 records", &full_batch);
}

#[test]
fn records_with_exempt_and_not_subject_lines_are_valid_for_the_aeat_s_schema() {
    let day = date(2026, 12, 2);
    let at = |minute| utc_ms(day, 11, minute);
    let clinic = document(
        "2026-0010",
        day,
        vec![
            line("Crema solar", 1_000, 1_500, 2_100),
            line_without_vat("Consulta médica", 1_000, 6_000, "E1"),
            line_without_vat("Curso en Andorra", 1_000, 9_000, "N1"),
        ],
    );
    let exempt_and_not_subject = alta(
        &clinic,
        InvoiceType::F1,
        Some(&spanish_customer()),
        None,
        at(0),
    );
    let export = document(
        "2026-0011",
        day,
        vec![
            line_without_vat("Sillas a Chile", 2_000, 30_000, "E2"),
            line_without_vat("Mesa a Francia", 1_000, 40_000, "E5"),
            line_without_vat("Servicio localizado fuera", 1_000, 5_000, "N2"),
        ],
    );
    let french = foreign("FR", ForeignIdKind::VatNumber, "FR12345678901");
    let exports = alta(
        &export,
        InvoiceType::F1,
        Some(&french),
        Some(&exempt_and_not_subject.link),
        at(1),
    );
    let refund = credit_note(
        "NC-2026-0010",
        day,
        &clinic,
        vec![line_without_vat("Consulta médica", 1_000, 6_000, "E1")],
    );
    let unpaid = alta(
        &refund,
        InvoiceType::R3,
        Some(&spanish_customer()),
        Some(&exports.link),
        at(2),
    );
    let single = |record: &str| request_xml(&issuer(), false, &[record]).expect("request");
    assert!(exempt_and_not_subject
        .xml
        .contains("<sf:OperacionExenta>E1</sf:OperacionExenta>"));
    assert!(exempt_and_not_subject
        .xml
        .contains("<sf:CalificacionOperacion>N1</sf:CalificacionOperacion>"));
    assert_valid(
        "an F1 with E1 and N1 lines",
        &single(&exempt_and_not_subject.xml),
    );
    assert_valid(
        "an F1 of exports (regime 02) and an E5 supply",
        &single(&exports.xml),
    );
    assert!(unpaid.xml.contains("<sf:TipoFactura>R3</sf:TipoFactura>"));
    assert_valid("an R3 crediting an exempt line", &single(&unpaid.xml));
}

#[test]
fn corrections_and_cancellations_without_a_prior_record_are_valid_for_the_aeat_s_schema() {
    use invoice::verifactu::samples::{nif, system};
    use invoice::verifactu::{
        AltaInput, AltaOperation, AnulacionInput, AnulacionOperation, RegistroAlta,
        RegistroAnulacion,
    };
    let day = date(2026, 12, 2);
    let invoice = document(
        "2026-0001",
        day,
        vec![line("Silla de roble", 4_000, 5_000, 2_100)],
    );
    let first = alta(
        &invoice,
        InvoiceType::F1,
        Some(&foreign_customer()),
        None,
        utc_ms(day, 10, 0),
    );
    let (issuer, system) = (issuer(), system());
    for (minute, operation) in [
        (1, AltaOperation::AfterRejection),
        (2, AltaOperation::Subsanacion),
        (3, AltaOperation::SubsanacionAfterRejection),
    ] {
        let mut correction = RegistroAlta::build(&AltaInput {
            document: &invoice,
            invoice_type: InvoiceType::F1,
            issuer: &issuer,
            recipient: Some(&spanish_customer()),
            previous: Some(&first.link),
            system: &system,
            generated_at_ms: utc_ms(day, 10, minute),
        })
        .expect("valid");
        correction.operation = operation;
        let (subsanacion, rechazo_previo) = operation.flags().expect("flags");
        let xml = correction.to_xml();
        assert!(xml.contains(&format!("<sf:Subsanacion>{subsanacion}</sf:Subsanacion><sf:RechazoPrevio>{rechazo_previo}</sf:RechazoPrevio>")));
        assert_valid(
            &format!("a correction ({operation:?})"),
            &request_xml(&issuer, false, &[first.xml.as_str(), xml.as_str()]).expect("request"),
        );
    }
    for (without_prior_record, after_rejection) in [(true, false), (true, true), (false, true)] {
        let mut cancellation = RegistroAnulacion::build(&AnulacionInput {
            issuer_nif: &nif("89890001K"),
            number: "2026-0001",
            issue_date: day,
            previous: Some(&first.link),
            system: &system,
            generated_at_ms: utc_ms(day, 11, 0),
        })
        .expect("valid");
        cancellation.operation = AnulacionOperation {
            without_prior_record,
            after_rejection,
        };
        assert_valid(
            &format!("an anulación ({without_prior_record}, {after_rejection})"),
            &request_xml(&issuer, false, &[cancellation.to_xml().as_str()]).expect("request"),
        );
    }
}

#[test]
fn each_stored_record_is_valid_for_the_schema_on_its_own() {
    for record in chain() {
        if let Err(complaints) = VERIFACTU.validate("record.xml", &record.xml) {
            panic!("{complaints}\n{}", record.xml);
        }
    }
}

#[test]
fn requests_that_break_the_schema_are_refused_by_the_validator() {
    let records = chain();
    let request = request_xml(&issuer(), false, &[records[0].xml.as_str()]).expect("request");
    let valid = body(&request);
    assert_eq!(VERIFACTU.validate("valid.xml", &valid), Ok(()));
    let record = &records[0].xml;
    let thousand_and_one = format!(
        "{}{}{}",
        &valid[..valid.find("<sfLR:RegistroFactura>").expect("a record")],
        format!("<sfLR:RegistroFactura>{record}</sfLR:RegistroFactura>").repeat(1001),
        "</sfLR:RegFactuSistemaFacturacion>"
    );
    let broken = [
        (
            "an unknown invoice type",
            valid.replace("<sf:TipoFactura>F1<", "<sf:TipoFactura>F9<"),
            "TipoFactura",
        ),
        (
            "an amount with three decimals",
            valid.replace("<sf:ImporteTotal>268.00<", "<sf:ImporteTotal>268.001<"),
            "ImporteTotal",
        ),
        (
            "a NIF of ten characters",
            valid.replace("<sf:NIF>89890001K<", "<sf:NIF>89890001KK<"),
            "NIF",
        ),
        (
            "a date written the ISO way",
            valid.replace(
                "<sf:FechaExpedicionFactura>02-12-2026<",
                "<sf:FechaExpedicionFactura>2026-12-02<",
            ),
            "FechaExpedicionFactura",
        ),
        (
            "no huella type",
            valid.replace("<sf:TipoHuella>01</sf:TipoHuella>", ""),
            "TipoHuella",
        ),
        ("1001 records", thousand_and_one, "RegistroFactura"),
    ];
    for (what, file, element) in broken {
        assert_ne!(file, valid, "{what}: the change must bite");
        let complaints = VERIFACTU.validate("broken.xml", &file).expect_err(what);
        assert!(complaints.contains(element), "{what}: {complaints}");
    }
}

/// The bytes of `name` in the zip file `zip`, read through its central
/// directory and inflated.
fn unzip(zip: &[u8], name: &str) -> Vec<u8> {
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([zip[at], zip[at + 1]]));
    let u32_at =
        |at: usize| u32::from_le_bytes([zip[at], zip[at + 1], zip[at + 2], zip[at + 3]]) as usize;
    let end = (0..zip.len() - 21)
        .rev()
        .find(|&at| zip[at..at + 4] == [0x50, 0x4b, 0x05, 0x06])
        .expect("end of central directory");
    let mut entry = u32_at(end + 16);
    for _ in 0..u16_at(end + 10) {
        assert_eq!(zip[entry..entry + 4], [0x50, 0x4b, 0x01, 0x02]);
        let (method, size) = (u16_at(entry + 10), u32_at(entry + 20));
        let name_len = u16_at(entry + 28);
        let entry_name = &zip[entry + 46..entry + 46 + name_len];
        if entry_name == name.as_bytes() {
            let local = u32_at(entry + 42);
            let data = local + 30 + u16_at(local + 26) + u16_at(local + 28);
            assert_eq!(method, 8, "deflated");
            return miniz_oxide::inflate::decompress_to_vec(&zip[data..data + size])
                .expect("inflates");
        }
        entry += 46 + name_len + u16_at(entry + 30) + u16_at(entry + 32);
    }
    panic!("{name} is not in the zip")
}

#[test]
fn the_aeat_s_sample_record_hashes_to_its_own_huella_and_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("verifactu/examples/AnexosEjemplosFirmaRegFact.zip");
    // SOURCES.md's sha256 of the AEAT's zip.
    assert_eq!(
        sha256(&path),
        "66fac533bef6c93c041b08704bf538843fe552052a2994899aba0875c2c4b24e"
    );
    let zip = std::fs::read(&path).expect("the sample zip");
    let sample = String::from_utf8(unzip(&zip, "ejemploRegistro.xml")).expect("UTF-8");
    let record = parse_record(&sample).expect("Invio reads the AEAT's record");
    assert_eq!(record.id.number, "12345678-G66");
    assert_eq!(
        record.huella,
        "FF954378B64ED331A9B2366AD317D86E9DEC1716B12DD0ACCB172A6DC4C105AA"
    );
    assert_eq!(record.computed_huella, record.huella);
    assert_eq!(
        record.previous.map(|link| link.huella),
        Some("C9AF4AF1EF5EBBA700350DE3EEF12C2D355C56AC56F13DB2A25E0031BD2B7ED5".into())
    );
    assert_eq!(VERIFACTU.validate("ejemploRegistro.xml", &sample), Ok(()));
}
