//! The store's certificate, with which Invio authenticates to the AEAT
//! (client TLS, as the AEAT's web services require). The merchant uploads
//! what their certificate authority gave them: a PKCS#12 file (.p12, .pfx,
//! as the FNMT issues it) with its password, or a PEM certificate with its
//! PEM key (in one file or two). It is read here into the PEM identity
//! reqwest's rustls wants — the certificate, the chain it came with, and its
//! key — after checking it: a certificate, with its own key, valid
//! today. The password is used once, to open the file, and never kept.

use base64::Engine;
use invoice::aeat::CertificateProblem;
use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
use tokio_rustls::rustls::crypto::ring::sign::any_supported_type;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{Error, InconsistentKeys};
use x509_parser::prelude::{FromDer, X509Certificate};

/// The largest file taken: a certificate with its chain is a few KiB.
pub const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;

/// What the merchant uploaded.
pub enum CertificateUpload<'a> {
    /// A PKCS#12 file and its password.
    Pkcs12 { file: &'a [u8], password: &'a str },
    /// A PEM certificate (its chain may follow) and its key; the key may be
    /// in the same file, then `key` is empty.
    Pem { file: &'a [u8], key: &'a [u8] },
}

impl<'a> CertificateUpload<'a> {
    /// A PEM file begins with its armour; anything else is taken for PKCS#12.
    pub fn detect(file: &'a [u8], key: &'a [u8], password: &'a str) -> Self {
        let text = String::from_utf8_lossy(&file[..file.len().min(4096)]);
        if text.contains("-----BEGIN ") {
            CertificateUpload::Pem { file, key }
        } else {
            CertificateUpload::Pkcs12 { file, password }
        }
    }
}

/// A certificate ready to store and to authenticate with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCertificate {
    /// The certificate, then its chain, PEM.
    pub certificate_pem: String,
    /// The key, PEM (PKCS#8, or PKCS#1 / SEC1 as a PEM upload gave it).
    pub private_key_pem: String,
    pub subject: String,
    pub nif: Option<String>,
    pub issuer: String,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
}

impl StoredCertificate {
    /// The identity as reqwest takes it: key and certificates in one PEM.
    pub fn identity_pem(&self) -> String {
        format!("{}{}", self.private_key_pem, self.certificate_pem)
    }
}

/// Reads and checks an upload at `now_ms`.
pub fn read_certificate(
    upload: CertificateUpload<'_>,
    now_ms: i64,
) -> Result<StoredCertificate, CertificateProblem> {
    let (certificates, key) = match upload {
        CertificateUpload::Pkcs12 { file, .. } | CertificateUpload::Pem { file, .. }
            if file.is_empty() =>
        {
            return Err(CertificateProblem::Missing)
        }
        CertificateUpload::Pkcs12 { file, .. } | CertificateUpload::Pem { file, .. }
            if file.len() > MAX_CERTIFICATE_BYTES =>
        {
            return Err(CertificateProblem::TooLarge)
        }
        CertificateUpload::Pem { key, .. } if key.len() > MAX_CERTIFICATE_BYTES => {
            return Err(CertificateProblem::TooLarge)
        }
        CertificateUpload::Pkcs12 { file, password } => read_pkcs12(file, password)?,
        CertificateUpload::Pem { file, key } => read_pem(file, key)?,
    };
    let leaf = certificates
        .first()
        .ok_or(CertificateProblem::NotACertificate)?;
    let (_, parsed) = X509Certificate::from_der(leaf.as_ref())
        .map_err(|_| CertificateProblem::NotACertificate)?;
    let signing_key = any_supported_type(&key).map_err(|_| CertificateProblem::KeyMismatch)?;
    match CertifiedKey::new(certificates.clone(), signing_key).keys_match() {
        // A key whose public half rustls cannot tell is left to the TLS handshake.
        Ok(()) | Err(Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
        Err(Error::InconsistentKeys(_)) => return Err(CertificateProblem::KeyMismatch),
        Err(_) => return Err(CertificateProblem::NotACertificate),
    }
    let not_before_ms = parsed.validity().not_before.timestamp() * 1000;
    let not_after_ms = parsed.validity().not_after.timestamp() * 1000;
    if not_after_ms <= now_ms {
        return Err(CertificateProblem::Expired);
    }
    if not_before_ms > now_ms {
        return Err(CertificateProblem::NotYetValid);
    }
    let private_key_pem = match &key {
        PrivateKeyDer::Pkcs8(pkcs8) => pem("PRIVATE KEY", pkcs8.secret_pkcs8_der()),
        PrivateKeyDer::Pkcs1(rsa) => pem("RSA PRIVATE KEY", rsa.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(ec) => pem("EC PRIVATE KEY", ec.secret_sec1_der()),
        _ => return Err(CertificateProblem::NotACertificate),
    };
    Ok(StoredCertificate {
        certificate_pem: certificates
            .iter()
            .map(|certificate| pem("CERTIFICATE", certificate.as_ref()))
            .collect(),
        private_key_pem,
        subject: parsed.subject().to_string(),
        nif: nif_of(&parsed),
        issuer: parsed.issuer().to_string(),
        not_before_ms,
        not_after_ms,
    })
}

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn read_pkcs12(file: &[u8], password: &str) -> Result<Identity, CertificateProblem> {
    let store =
        KeyStore::from_pkcs12(file, password, Pkcs12ImportPolicy::Strict).map_err(|error| {
            match error {
                p12_keystore::error::Error::MacError(_) => CertificateProblem::WrongPassword,
                _ => CertificateProblem::NotACertificate,
            }
        })?;
    match store.private_key_chain() {
        Some((_, chain)) => {
            let certificates: Vec<CertificateDer<'static>> = chain
                .certs()
                .iter()
                .map(|certificate| CertificateDer::from(certificate.as_der().to_vec()))
                .collect();
            if certificates.is_empty() {
                return Err(CertificateProblem::NoPrivateKey);
            }
            let key = PrivateKeyDer::try_from(chain.key().as_der().to_vec())
                .map_err(|_| CertificateProblem::NotACertificate)?;
            Ok((certificates, key))
        }
        None if store.entries_len() > 0 => Err(CertificateProblem::NoPrivateKey),
        None => Err(CertificateProblem::NotACertificate),
    }
}

fn read_pem(file: &[u8], key: &[u8]) -> Result<Identity, CertificateProblem> {
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(file)
        .collect::<Result<_, _>>()
        .map_err(|_| CertificateProblem::NotACertificate)?;
    if certificates.is_empty() {
        return Err(CertificateProblem::NotACertificate);
    }
    let key_source = if key.is_empty() { file } else { key };
    if String::from_utf8_lossy(key_source).contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Err(CertificateProblem::EncryptedKey);
    }
    match PrivateKeyDer::from_pem_slice(key_source) {
        Ok(key) => Ok((certificates, key)),
        Err(_) if key.is_empty() => Err(CertificateProblem::NoPrivateKey),
        Err(_) => Err(CertificateProblem::KeyMismatch),
    }
}

/// The NIF a Spanish certificate names: the entity's (organizationIdentifier
/// `VATES-B12345678`, on a representative's or a seal certificate), else
/// the holder's (serialNumber `IDCES-12345678Z`, or the bare NIF on older
/// ones), as ETSI EN 319 412-1 writes them.
fn nif_of(certificate: &X509Certificate<'_>) -> Option<String> {
    let attribute = |oid: &str| {
        certificate
            .subject()
            .iter_attributes()
            .find(|attribute| attribute.attr_type().to_id_string() == oid)
            .and_then(|attribute| attribute.as_str().ok())
            .map(str::trim)
    };
    let strip = |value: &str| {
        let bare = value
            .strip_prefix("VATES-")
            .or_else(|| value.strip_prefix("IDCES-"))
            .or_else(|| value.strip_prefix("NTRES-"))
            .unwrap_or(value);
        (bare.len() == 9 && bare.bytes().all(|byte| byte.is_ascii_alphanumeric()))
            .then(|| bare.to_ascii_uppercase())
    };
    attribute("2.5.4.97")
        .and_then(strip)
        .or_else(|| attribute("2.5.4.5").and_then(strip))
}

fn pem(label: &str, der: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}
