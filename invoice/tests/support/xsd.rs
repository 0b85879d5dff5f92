//! The official schemas Invio's XML must satisfy and a real validator for
//! them, shared by the schema tests, the benchmark and the server's
//! stand-in for the AEAT: `xmllint` from
//! Debian's libxml2-utils, never the network. Each schema imports the W3C
//! signature schema, from w3.org (FatturaPA, VERI*FACTU) or from the file
//! beside it (SdI's messages): an XML catalog answers that import with the
//! copy kept in the repository, so no official file is ever edited and none
//! is kept twice.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

/// One official schema kept in the repository, with the signature schema
/// it imports.
pub struct Schema {
    /// Its folder, under the invoice crate.
    pub folder: &'static str,
    pub file: &'static str,
    /// The signature schema's copy, under the invoice crate.
    pub signature_copy: &'static str,
    /// Where the schema imports the signature schema from: an absolute URL,
    /// or a file name beside the schema.
    pub signature_import: &'static str,
}

pub const SCHEMA: &str = "Schema_VFPR12_v1.2.3.xsd";
pub const SCHEMA_SHA256: &str = "152944f6eef9f5d69ef6e955ee173b32142b00a8c1c5222fc97dfab5910e8a8c";
pub const SIGNATURE_SCHEMA: &str = "xmldsig-core-schema.xsd";
pub const SIGNATURE_SCHEMA_SHA256: &str =
    "35cf8197da812c85e40d57891b35c94187569ed474a2dac813ce5090dafcd35c";
pub const MESSAGES_SCHEMA: &str = "MessaggiTypes_v1.1.xsd";
pub const MESSAGES_SCHEMA_SHA256: &str =
    "6885c70b10593a42a1278fd4bb90386fa47b6c62a8557b80c71a1a0bf215ea6d";

/// FatturaPA 1.2.3 (`invoice/fatturapa/`).
pub const FATTURAPA: Schema = Schema {
    folder: "fatturapa",
    file: SCHEMA,
    signature_copy: "fatturapa/xmldsig-core-schema.xsd",
    signature_import: "http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd",
};

/// SdI's messages (`invoice/sdi/`), whose signature import is the file
/// beside it: answered with FatturaPA's identical copy.
pub const MESSAGES: Schema = Schema {
    folder: "sdi",
    file: MESSAGES_SCHEMA,
    signature_copy: "fatturapa/xmldsig-core-schema.xsd",
    signature_import: SIGNATURE_SCHEMA,
};

/// `invoice/fatturapa/`: the FatturaPA schema and the signature schema.
pub fn schemas() -> PathBuf {
    FATTURAPA.folder()
}

/// `invoice/sdi/`: SdI's messages schema and its example messages.
pub fn sdi() -> PathBuf {
    MESSAGES.folder()
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
    FATTURAPA.validate(name, xml)
}

/// The validator's verdict on one of SdI's messages: Ok, or its complaints.
pub fn validate_message(name: &str, xml: &str) -> Result<(), String> {
    MESSAGES.validate(name, xml)
}

/// The invoice crate, whichever crate of the workspace includes this file
/// (the server's tests do too), without `..`: the catalog's paths must be
/// the ones xmllint resolves.
fn invoice_crate() -> PathBuf {
    let crate_folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../invoice");
    std::fs::canonicalize(&crate_folder).unwrap_or(crate_folder)
}

impl Schema {
    pub fn folder(&self) -> PathBuf {
        invoice_crate().join(self.folder)
    }

    /// The validator's verdict on `xml`: Ok, or its complaints.
    pub fn validate(&self, name: &str, xml: &str) -> Result<(), String> {
        // One folder per call: the tests run in parallel.
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "invio-xsd-{}-{}",
            std::process::id(),
            CALLS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let copy = format!(
            "file://{}",
            invoice_crate().join(self.signature_copy).display()
        );
        let import = if self.signature_import.starts_with("http") {
            self.signature_import.to_owned()
        } else {
            self.folder()
                .join(self.signature_import)
                .display()
                .to_string()
        };
        let catalog = dir.join("catalog.xml");
        std::fs::write(
            &catalog,
            format!(
                r#"<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <system systemId="{import}" uri="{copy}"/>
  <uri name="{import}" uri="{copy}"/>
</catalog>
"#
            ),
        )
        .expect("catalog");
        let file = dir.join(name);
        std::fs::write(&file, xml).expect("xml file");
        let output = Command::new("xmllint")
            .arg("--noout")
            .arg("--nonet")
            .arg("--schema")
            .arg(self.folder().join(self.file))
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
}
