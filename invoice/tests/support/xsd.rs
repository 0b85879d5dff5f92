//! The official schemas kept in the repository and a real validator for
//! them, shared by the schema tests and the benchmark: `xmllint` from
//! Debian's libxml2-utils, with the signature schema both schemas import
//! resolved to the one local copy through an XML catalog, never the network.
//! The FatturaPA schema imports it from w3.org; SdI's messages schema from
//! the file beside it, `invoice/sdi/xmldsig-core-schema.xsd`, which is not
//! kept twice: the catalog answers that path with `invoice/fatturapa/`'s copy.

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
pub const MESSAGES_SCHEMA: &str = "MessaggiTypes_v1.1.xsd";
pub const MESSAGES_SCHEMA_SHA256: &str =
    "6885c70b10593a42a1278fd4bb90386fa47b6c62a8557b80c71a1a0bf215ea6d";

/// `invoice/fatturapa/`: the FatturaPA schema and the signature schema.
pub fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fatturapa")
}

/// `invoice/sdi/`: SdI's messages schema and its example messages.
pub fn sdi() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sdi")
}

pub fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("official file");
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The validator's verdict on a FatturaPA file: Ok, or its complaints.
pub fn validate(name: &str, xml: &str) -> Result<(), String> {
    validate_against(&schemas().join(SCHEMA), name, xml)
}

/// The validator's verdict on one of SdI's messages: Ok, or its complaints.
pub fn validate_message(name: &str, xml: &str) -> Result<(), String> {
    validate_against(&sdi().join(MESSAGES_SCHEMA), name, xml)
}

fn validate_against(schema: &Path, name: &str, xml: &str) -> Result<(), String> {
    // One folder per call: the tests run in parallel.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "invio-xsd-{}-{}",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let signature_schema = format!("file://{}", schemas().join(SIGNATURE_SCHEMA).display());
    let beside_messages_schema = sdi().join(SIGNATURE_SCHEMA);
    let catalog = dir.join("catalog.xml");
    std::fs::write(
        &catalog,
        format!(
            r#"<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <system systemId="{SIGNATURE_SCHEMA_URL}" uri="{signature_schema}"/>
  <uri name="{SIGNATURE_SCHEMA_URL}" uri="{signature_schema}"/>
  <system systemId="{beside}" uri="{signature_schema}"/>
  <uri name="{beside}" uri="{signature_schema}"/>
</catalog>
"#,
            beside = beside_messages_schema.display(),
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
