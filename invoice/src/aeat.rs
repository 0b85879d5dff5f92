//! The AEAT as the merchant meets it (VERI*FACTU, issue 20): what each of
//! the AEAT's answers about a record says in the invoice's history, the
//! store's certificate as its card shows it, what is wrong with an uploaded
//! one, and how sending is going. The answers themselves are read by
//! `crate::verifactu`; this is what the merchant is told.
//!
//! A record is delivered when the AEAT registered it: `Correcto`,
//! `AceptadoConErrores`, or a duplicate (code 3000) of a record it has. A
//! rejected record (`Incorrecto`) is not registered: the merchant fixes what
//! the code says and the invoice is corrected with a new record — for a
//! rejected alta, an alta with `Subsanacion` S and `RechazoPrevio` X; for
//! one accepted with errors, a subsanación (`Subsanacion` S) — written like
//! any record, in the chain's order (`crate::verifactu::AeatStanding`). Invio never sends a rejected record again as it was: the
//! AEAT would reject it again.

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::i18n::Language;
use crate::verifactu::what_to_fix;

/// `TiempoEsperaEnvio` before the AEAT has answered (Orden HAC/1177/2024
/// art. 16.2: «el cual tomará inicialmente el valor de 60 segundos»).
pub const INITIAL_WAIT_SECONDS: u32 = 60;
/// The records one send carries at most (SWeb §3, `maxOccurs="1000"`).
pub const MAX_RECORDS_PER_SEND: usize = crate::verifactu::MAX_RECORDS_PER_REQUEST;
/// The longest a failing chain waits before trying again: the Orden (art.
/// 16.4) asks to «reintentar periódicamente, al menos una vez cada hora».
pub const MAX_RETRY_DELAY_MS: i64 = 3_600_000;

/// Whether a chain may send at `now_ms` (art. 16.2 c): once the wait the
/// AEAT's last answer gave has passed since the last send, or at once when
/// a full send's worth of records is waiting, whichever comes first. A
/// chain that never sent may send at once.
pub fn may_send(now_ms: i64, last_sent_ms: Option<i64>, wait_seconds: u32, pending: usize) -> bool {
    pending > 0
        && (pending >= MAX_RECORDS_PER_SEND
            || last_sent_ms.is_none_or(|sent| now_ms >= sent + i64::from(wait_seconds) * 1000))
}

/// When a chain whose sends failed `failures` times in a row tries again:
/// 30 s, doubling, never more than an hour.
pub fn retry_delay_ms(failures: u32) -> i64 {
    let exponent = failures.clamp(1, 8) - 1;
    (30_000_i64 << exponent).min(MAX_RETRY_DELAY_MS)
}

/// Which record an answer is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordOperation {
    /// The registro de alta of an issued invoice or credit note.
    Registration,
    /// The registro de anulación of a voided invoice.
    Cancellation,
    /// An alta that corrects a rejected or erroneous one (`Subsanacion` S).
    Correction,
}

/// What the AEAT said about one record, or that it could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum AeatEvent {
    /// Registered (`Correcto`), or already registered (`duplicate`: the
    /// AEAT answered 3000 to a record sent again). `csv` is the secure
    /// verification code of the send that carried it.
    Registered {
        operation: RecordOperation,
        csv: Option<String>,
        #[serde(default)]
        duplicate: bool,
    },
    /// Registered with errors to correct (`AceptadoConErrores`, codes 2000…).
    AcceptedWithErrors {
        operation: RecordOperation,
        csv: Option<String>,
        code: u32,
        description: String,
    },
    /// Not registered (`Incorrecto`): the merchant must correct it.
    Rejected {
        operation: RecordOperation,
        code: u32,
        description: String,
    },
    /// The send that carried the record did not reach the AEAT, or the AEAT
    /// refused the whole send (network, HTTP status, SOAP Fault): Invio
    /// tries again, at least hourly. Told once per record.
    Unreachable {
        operation: RecordOperation,
        reason: String,
    },
}

impl AeatEvent {
    /// The stored kinds (never rename one).
    pub const KINDS: [&'static str; 4] = [
        "aeat_registered",
        "aeat_accepted_with_errors",
        "aeat_rejected",
        "aeat_unreachable",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            AeatEvent::Registered { .. } => "aeat_registered",
            AeatEvent::AcceptedWithErrors { .. } => "aeat_accepted_with_errors",
            AeatEvent::Rejected { .. } => "aeat_rejected",
            AeatEvent::Unreachable { .. } => "aeat_unreachable",
        }
    }

    /// Whether the AEAT now has the record.
    pub fn delivered(&self) -> bool {
        matches!(
            self,
            AeatEvent::Registered { .. } | AeatEvent::AcceptedWithErrors { .. }
        )
    }

    /// The entry in the merchant's words; a rejection and an acceptance
    /// with errors say what to fix.
    pub fn merchant_text(&self, language: Language) -> String {
        use Language::{En, Es, It};
        let record = |operation: &RecordOperation| match (operation, language) {
            (RecordOperation::Registration, _) => "",
            (RecordOperation::Cancellation, It) => " (annullamento)",
            (RecordOperation::Cancellation, Es) => " (anulación)",
            (RecordOperation::Cancellation, En) => " (cancellation)",
            (RecordOperation::Correction, It) => " (correzione)",
            (RecordOperation::Correction, Es) => " (subsanación)",
            (RecordOperation::Correction, En) => " (correction)",
        };
        let fix = |code: &u32| {
            what_to_fix(*code, language)
                .map(|fix| format!(" — {fix}"))
                .unwrap_or_default()
        };
        match (self, language) {
            (
                AeatEvent::Registered {
                    operation,
                    csv,
                    duplicate,
                },
                _,
            ) => {
                let heading = match (duplicate, language) {
                    (false, It) => "Registrato all'AEAT",
                    (false, Es) => "Registrado en la AEAT",
                    (false, En) => "Registered at the AEAT",
                    (true, It) => "Già registrato all'AEAT",
                    (true, Es) => "Ya registrado en la AEAT",
                    (true, En) => "Already registered at the AEAT",
                };
                match csv {
                    Some(csv) => format!("{heading}{} (CSV {csv})", record(operation)),
                    None => format!("{heading}{}", record(operation)),
                }
            }
            (
                AeatEvent::AcceptedWithErrors {
                    operation,
                    csv,
                    code,
                    description,
                },
                _,
            ) => {
                let heading = match language {
                    It => "Accettato dall'AEAT con errori",
                    Es => "Aceptado por la AEAT con errores",
                    En => "Accepted by the AEAT with errors",
                };
                let csv = csv
                    .as_ref()
                    .map(|csv| format!(" (CSV {csv})"))
                    .unwrap_or_default();
                format!(
                    "{heading}{}{csv}: {code} {description}{}",
                    record(operation),
                    fix(code)
                )
            }
            (
                AeatEvent::Rejected {
                    operation,
                    code,
                    description,
                },
                _,
            ) => {
                let heading = match language {
                    It => "Rifiutato dall'AEAT",
                    Es => "Rechazado por la AEAT",
                    En => "Rejected by the AEAT",
                };
                format!(
                    "{heading}{}: {code} {description}{}",
                    record(operation),
                    fix(code)
                )
            }
            (AeatEvent::Unreachable { operation, reason }, It) => format!(
                "AEAT non raggiungibile{}: {reason}. Invio riproverà da solo.",
                record(operation)
            ),
            (AeatEvent::Unreachable { operation, reason }, Es) => format!(
                "AEAT no disponible{}: {reason}. Invio lo reintentará solo.",
                record(operation)
            ),
            (AeatEvent::Unreachable { operation, reason }, En) => format!(
                "AEAT unreachable{}: {reason}. Invio will retry.",
                record(operation)
            ),
        }
    }
}

/// The issuer's name as an alta record writes it (`NombreRazonEmisor`):
/// what the request's header names the sender by.
pub fn issuer_name(record_xml: &str) -> Option<String> {
    let document = roxmltree::Document::parse(record_xml).ok()?;
    document
        .descendants()
        .find(|node| node.is_element() && node.tag_name().name() == "NombreRazonEmisor")
        .and_then(|node| node.text())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
}

/// The store's certificate as its card shows it (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateView {
    /// The certificate's subject, as its issuer wrote it.
    pub subject: String,
    /// The NIF the certificate names, if it names one.
    pub nif: Option<String>,
    pub issuer: String,
    /// Valid until, UTC milliseconds.
    pub not_after: i64,
    pub uploaded_at: i64,
}

/// How the store's records are going to the AEAT.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendingStatus {
    /// Records not yet answered by the AEAT (the Orden asks to tell the
    /// user how many are pending).
    pub pending: i64,
    /// Records the AEAT rejected: each waits for the merchant.
    pub rejected: i64,
    /// Since when sending fails, and why (the AEAT's or the network's
    /// words, never Invio's internals).
    pub failing_since: Option<i64>,
    pub last_error: Option<String>,
    /// The next try, UTC milliseconds, while failing.
    pub retry_at: Option<i64>,
    /// Records wait because the store has no usable certificate.
    pub needs_certificate: bool,
    /// The store's certificate has expired.
    pub certificate_expired: bool,
}

/// What is wrong with an uploaded certificate, shown beside its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertificateProblem {
    /// No file was chosen.
    Missing,
    /// Larger than any certificate file (a few KiB).
    TooLarge,
    /// Neither a PKCS#12 file (.p12, .pfx) nor a PEM certificate.
    NotACertificate,
    /// The PKCS#12 file does not open with this password.
    WrongPassword,
    /// The file has a certificate but not its private key.
    NoPrivateKey,
    /// The PEM key is encrypted: export the certificate as .p12 instead.
    EncryptedKey,
    /// The private key is not the certificate's.
    KeyMismatch,
    Expired,
    NotYetValid,
}

impl CertificateProblem {
    pub const ALL: [CertificateProblem; 9] = [
        CertificateProblem::Missing,
        CertificateProblem::TooLarge,
        CertificateProblem::NotACertificate,
        CertificateProblem::WrongPassword,
        CertificateProblem::NoPrivateKey,
        CertificateProblem::EncryptedKey,
        CertificateProblem::KeyMismatch,
        CertificateProblem::Expired,
        CertificateProblem::NotYetValid,
    ];

    /// A stable name, carried in the form's answer.
    pub fn code(self) -> &'static str {
        match self {
            CertificateProblem::Missing => "missing",
            CertificateProblem::TooLarge => "too_large",
            CertificateProblem::NotACertificate => "not_a_certificate",
            CertificateProblem::WrongPassword => "wrong_password",
            CertificateProblem::NoPrivateKey => "no_private_key",
            CertificateProblem::EncryptedKey => "encrypted_key",
            CertificateProblem::KeyMismatch => "key_mismatch",
            CertificateProblem::Expired => "expired",
            CertificateProblem::NotYetValid => "not_yet_valid",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|problem| problem.code() == code)
    }

    /// The form's field the problem is shown beside.
    pub fn field(self) -> &'static str {
        match self {
            CertificateProblem::WrongPassword => "password",
            CertificateProblem::EncryptedKey | CertificateProblem::KeyMismatch => "key",
            CertificateProblem::Missing
            | CertificateProblem::TooLarge
            | CertificateProblem::NotACertificate
            | CertificateProblem::NoPrivateKey
            | CertificateProblem::Expired
            | CertificateProblem::NotYetValid => "file",
        }
    }

    pub fn message(self, language: Language) -> &'static str {
        use Language::{En, Es, It};
        match (self, language) {
            (CertificateProblem::Missing, It) => "Scegli il file del certificato.",
            (CertificateProblem::Missing, Es) => "Elija el archivo del certificado.",
            (CertificateProblem::Missing, En) => "Choose the certificate's file.",
            (CertificateProblem::TooLarge, It) => "Il file è troppo grande per essere un certificato.",
            (CertificateProblem::TooLarge, Es) => "El archivo es demasiado grande para ser un certificado.",
            (CertificateProblem::TooLarge, En) => "The file is too large to be a certificate.",
            (CertificateProblem::NotACertificate, It) => "Non è un certificato: carica il file .p12 o .pfx (come lo rilascia la FNMT) oppure un certificato PEM.",
            (CertificateProblem::NotACertificate, Es) => "No es un certificado: suba el archivo .p12 o .pfx (como lo emite la FNMT) o un certificado PEM.",
            (CertificateProblem::NotACertificate, En) => "This is not a certificate: upload the .p12 or .pfx file (as the FNMT issues it) or a PEM certificate.",
            (CertificateProblem::WrongPassword, It) => "La password non apre questo file.",
            (CertificateProblem::WrongPassword, Es) => "La contraseña no abre este archivo.",
            (CertificateProblem::WrongPassword, En) => "The password does not open this file.",
            (CertificateProblem::NoPrivateKey, It) => "Il file contiene il certificato ma non la sua chiave privata: esportalo con la chiave (.p12) o aggiungi il file della chiave.",
            (CertificateProblem::NoPrivateKey, Es) => "El archivo contiene el certificado pero no su clave privada: expórtelo con la clave (.p12) o añada el archivo de la clave.",
            (CertificateProblem::NoPrivateKey, En) => "The file holds the certificate but not its private key: export it with the key (.p12) or add the key's file.",
            (CertificateProblem::EncryptedKey, It) => "La chiave è cifrata: esporta il certificato come file .p12 con la sua password.",
            (CertificateProblem::EncryptedKey, Es) => "La clave está cifrada: exporte el certificado como archivo .p12 con su contraseña.",
            (CertificateProblem::EncryptedKey, En) => "The key is encrypted: export the certificate as a .p12 file with its password.",
            (CertificateProblem::KeyMismatch, It) => "La chiave privata non è quella di questo certificato.",
            (CertificateProblem::KeyMismatch, Es) => "La clave privada no es la de este certificado.",
            (CertificateProblem::KeyMismatch, En) => "The private key is not this certificate's.",
            (CertificateProblem::Expired, It) => "Il certificato è scaduto: rinnovalo e carica quello nuovo.",
            (CertificateProblem::Expired, Es) => "El certificado ha caducado: renuévelo y suba el nuevo.",
            (CertificateProblem::Expired, En) => "The certificate has expired: renew it and upload the new one.",
            (CertificateProblem::NotYetValid, It) => "Il certificato non è ancora valido.",
            (CertificateProblem::NotYetValid, Es) => "El certificado aún no es válido.",
            (CertificateProblem::NotYetValid, En) => "The certificate is not valid yet.",
        }
    }
}

/// A day in the merchant's language, for "valid until".
pub fn valid_until(not_after_ms: i64, language: Language) -> String {
    Date::from_unix_millis(not_after_ms).format(language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_waits_the_aeats_time_since_its_last_send_unless_a_full_send_is_waiting() {
        let sent = 1_000_000;
        assert!(
            may_send(0, None, INITIAL_WAIT_SECONDS, 1),
            "never sent: at once"
        );
        assert!(!may_send(sent + 59_999, Some(sent), 60, 5));
        assert!(may_send(sent + 60_000, Some(sent), 60, 5));
        assert!(
            !may_send(sent + 60_000, Some(sent), 120, 5),
            "the AEAT asked for 120 s"
        );
        assert!(may_send(sent + 1, Some(sent), 60, MAX_RECORDS_PER_SEND));
        assert!(
            !may_send(sent + 600_000, Some(sent), 60, 0),
            "nothing to send"
        );
    }

    #[test]
    fn a_failing_chain_retries_from_30_seconds_up_to_every_hour() {
        assert_eq!(retry_delay_ms(1), 30_000);
        assert_eq!(retry_delay_ms(2), 60_000);
        assert_eq!(retry_delay_ms(8), 3_600_000);
        assert_eq!(retry_delay_ms(500), MAX_RETRY_DELAY_MS);
    }

    #[test]
    fn a_registered_record_names_its_csv_in_each_language() {
        let event = AeatEvent::Registered {
            operation: RecordOperation::Registration,
            csv: Some("A-Y2ABCDEF".into()),
            duplicate: false,
        };
        assert_eq!(
            event.merchant_text(Language::En),
            "Registered at the AEAT (CSV A-Y2ABCDEF)"
        );
        assert_eq!(
            event.merchant_text(Language::Es),
            "Registrado en la AEAT (CSV A-Y2ABCDEF)"
        );
        assert_eq!(
            event.merchant_text(Language::It),
            "Registrato all'AEAT (CSV A-Y2ABCDEF)"
        );
        assert!(event.delivered());
    }

    #[test]
    fn a_rejection_gives_the_code_the_aeats_words_and_what_to_fix() {
        let event = AeatEvent::Rejected {
            operation: RecordOperation::Registration,
            code: 1193,
            description: "El NIF del bloque Destinatarios debe estar identificado.".into(),
        };
        let text = event.merchant_text(Language::En);
        assert!(
            text.starts_with(
                "Rejected by the AEAT: 1193 El NIF del bloque Destinatarios debe estar identificado."
            ),
            "{text}"
        );
        let fix = what_to_fix(1193, Language::En).expect("guidance for 1193");
        assert!(text.ends_with(&format!(" — {fix}")), "{text}");
        assert!(!event.delivered());
    }

    #[test]
    fn an_acceptance_with_errors_is_delivered_and_says_what_to_correct() {
        let event = AeatEvent::AcceptedWithErrors {
            operation: RecordOperation::Cancellation,
            csv: Some("CSV1".into()),
            code: 2000,
            description: "El cálculo de la huella suministrada es incorrecta.".into(),
        };
        let text = event.merchant_text(Language::En);
        assert!(
            text.starts_with(
                "Accepted by the AEAT with errors (cancellation) (CSV CSV1): 2000 El cálculo"
            ),
            "{text}"
        );
        assert!(event.delivered());
    }

    #[test]
    fn an_outage_says_invio_will_retry() {
        let event = AeatEvent::Unreachable {
            operation: RecordOperation::Registration,
            reason: "HTTP 503".into(),
        };
        assert_eq!(
            event.merchant_text(Language::En),
            "AEAT unreachable: HTTP 503. Invio will retry."
        );
        assert!(event.merchant_text(Language::Es).contains("reintentará"));
        assert!(event.merchant_text(Language::It).contains("riproverà"));
    }

    #[test]
    fn every_certificate_problem_reads_back_from_its_code_and_has_three_messages() {
        for problem in CertificateProblem::ALL {
            assert_eq!(CertificateProblem::parse(problem.code()), Some(problem));
            let messages: std::collections::BTreeSet<&str> =
                Language::ALL.iter().map(|l| problem.message(*l)).collect();
            assert_eq!(messages.len(), 3, "{problem:?}");
        }
        assert_eq!(CertificateProblem::parse("nonsense"), None);
        assert_eq!(CertificateProblem::WrongPassword.field(), "password");
    }
}
