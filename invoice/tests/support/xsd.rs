//! The official schemas and a real validator for them, shared by the schema
//! tests, the benchmark and the server's stand-in for the AEAT: `xmllint`
//! from Debian's libxml2-utils, with the signature schema each official
//! schema imports from w3.org resolved to the copy kept beside it through an
//! XML catalog, never the network.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

pub const SCHEMA: &str = "Schema_VFPR12_v1.2.3.xsd";
pub const SCHEMA_SHA256: &str = "152944f6eef9f5d69ef6e955ee173b32142b00a8c1c5222fc97dfab5910e8a8c";
pub const SIGNATURE_SCHEMA: &str = "xmldsig-core-schema.xsd";
pub const SIGNATURE_SCHEMA_SHA256: &str =
    "35cf8197da812c85e40d57891b35c94187569ed474a2dac813ce5090dafcd35c";
const SIGNATURE_SCHEMA_URL: &str =
    "http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd";

pub fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fatturapa")
}

pub fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("schema file");
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The AEAT's VERI*FACTU schemas (`invoice/verifactu/xsd/`).
pub fn verifactu_schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|workspace| workspace.join("invoice/verifactu/xsd"))
        .expect("the workspace")
}

/// Where `SuministroInformacion.xsd` imports the signature schema from.
const VERIFACTU_SIGNATURE_SCHEMA_URL: &str =
    "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd";

/// The validator's verdict on a FatturaPA file: Ok, or its complaints.
pub fn validate(name: &str, xml: &str) -> Result<(), String> {
    validate_against(
        &schemas().join(SCHEMA),
        SIGNATURE_SCHEMA_URL,
        &schemas().join(SIGNATURE_SCHEMA),
        name,
        xml,
    )
}

/// The validator's verdict on a VERI*FACTU document against one of the
/// AEAT's schemas (`SuministroLR.xsd` for a request's body,
/// `RespuestaSuministro.xsd` for an answer's).
pub fn validate_verifactu(schema: &str, name: &str, xml: &str) -> Result<(), String> {
    validate_against(
        &verifactu_schemas().join(schema),
        VERIFACTU_SIGNATURE_SCHEMA_URL,
        &verifactu_schemas().join(SIGNATURE_SCHEMA),
        name,
        xml,
    )
}

/// `xml` against `schema`, whose signature schema is imported from
/// `signature_url` and kept at `signature_file`.
fn validate_against(
    schema: &Path,
    signature_url: &str,
    signature_file: &Path,
    name: &str,
    xml: &str,
) -> Result<(), String> {
    // One folder per call: the tests run in parallel.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "invio-xsd-{}-{}",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let catalog = dir.join("catalog.xml");
    std::fs::write(
        &catalog,
        format!(
            r#"<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <system systemId="{signature_url}" uri="file://{}"/>
  <uri name="{signature_url}" uri="file://{}"/>
</catalog>
"#,
            signature_file.display(),
            signature_file.display()
        ),
    )
    .expect("catalog");
    let file = dir.join(name);
    std::fs::write(&file, xml).expect("xml file");
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(schema)
        .arg(&file)
        .env("XML_CATALOG_FILES", &catalog)
        .output()
        .expect("xmllint runs: install Debian's libxml2-utils (`make test` does)");
    std::fs::remove_dir_all(&dir).ok();
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}
