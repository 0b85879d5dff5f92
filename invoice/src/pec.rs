//! A store's certified mailbox (PEC), the channel small businesses use to
//! send their FatturaPA files to SdI and receive its receipts: the address,
//! the SMTP server the files leave by, the IMAP server the receipts are read
//! from, and the account of both. Validated here, with every problem beside
//! its field in Italian, Spanish and English.

use serde::{Deserialize, Serialize};

use crate::document::EmailAddress;
use crate::i18n::Language;

/// SdI's PEC address for the first file a transmitter sends; SdI answers
/// from the address later files must go to (`SDI_PEC_ADDRESS` changes it).
pub const DEFAULT_SDI_PEC_ADDRESS: &str = "sdi01@pec.fatturapa.it";
/// IMAP over TLS.
pub const IMAPS_PORT: u16 = 993;

/// The form as typed. An empty password keeps the one stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PecMailboxInput {
    pub pec_address: String,
    pub smtp_url: String,
    pub imap_host: String,
    pub imap_port: String,
    pub username: String,
    pub password: String,
}

/// A valid mailbox; `password` is None when the form kept the stored one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PecMailbox {
    pub pec_address: EmailAddress,
    pub smtp_url: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub username: String,
    pub password: Option<String>,
}

/// What is wrong with one field of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PecProblem {
    Required,
    InvalidAddress,
    /// Not `smtps://host[:port]` or `smtp://host[:port]?tls=required`.
    InvalidSmtpUrl,
    /// The password goes in its own field, never inside the URL.
    PasswordInUrl,
    /// Plain text is allowed only to this machine (a local test server).
    NotEncrypted,
    InvalidHost,
    InvalidPort,
    TooLong {
        max: usize,
    },
    /// A new mailbox needs its password.
    PasswordRequired,
}

impl PecProblem {
    pub fn message(&self, language: Language) -> String {
        use Language::{En, Es, It};
        match (self, language) {
            (PecProblem::Required, It) => "Campo obbligatorio.".into(),
            (PecProblem::Required, Es) => "Campo obligatorio.".into(),
            (PecProblem::Required, En) => "This field is required.".into(),
            (PecProblem::InvalidAddress, It) => "Non è un indirizzo PEC valido.".into(),
            (PecProblem::InvalidAddress, Es) => "No es una dirección PEC válida.".into(),
            (PecProblem::InvalidAddress, En) => "This is not a valid PEC address.".into(),
            (PecProblem::InvalidSmtpUrl, It) => "Scrivi il server SMTP del gestore PEC come smtps://server:465 (o smtp://server:587?tls=required).".into(),
            (PecProblem::InvalidSmtpUrl, Es) => "Escriba el servidor SMTP del proveedor PEC como smtps://servidor:465 (o smtp://servidor:587?tls=required).".into(),
            (PecProblem::InvalidSmtpUrl, En) => "Write the PEC provider's SMTP server as smtps://server:465 (or smtp://server:587?tls=required).".into(),
            (PecProblem::PasswordInUrl, It) => "Non mettere utente e password nell'indirizzo: hanno i loro campi.".into(),
            (PecProblem::PasswordInUrl, Es) => "No ponga usuario y contraseña en la dirección: tienen sus propios campos.".into(),
            (PecProblem::PasswordInUrl, En) => "Do not put the user and password in the URL: they have fields of their own.".into(),
            (PecProblem::NotEncrypted, It) => "Il collegamento deve essere cifrato (TLS): la password non viaggia in chiaro.".into(),
            (PecProblem::NotEncrypted, Es) => "La conexión debe estar cifrada (TLS): la contraseña no viaja en claro.".into(),
            (PecProblem::NotEncrypted, En) => "The connection must be encrypted (TLS): the password never travels in clear.".into(),
            (PecProblem::InvalidHost, It) => "Non è un nome di server valido (es. imaps.pec.example.it).".into(),
            (PecProblem::InvalidHost, Es) => "No es un nombre de servidor válido (p. ej. imaps.pec.example.it).".into(),
            (PecProblem::InvalidHost, En) => "This is not a valid server name (e.g. imaps.pec.example.it).".into(),
            (PecProblem::InvalidPort, It) => "La porta è un numero da 1 a 65535 (IMAP cifrato: 993).".into(),
            (PecProblem::InvalidPort, Es) => "El puerto es un número de 1 a 65535 (IMAP cifrado: 993).".into(),
            (PecProblem::InvalidPort, En) => "The port is a number from 1 to 65535 (encrypted IMAP: 993).".into(),
            (PecProblem::TooLong { max }, It) => format!("Al massimo {max} caratteri."),
            (PecProblem::TooLong { max }, Es) => format!("Como máximo {max} caracteres."),
            (PecProblem::TooLong { max }, En) => format!("At most {max} characters."),
            (PecProblem::PasswordRequired, It) => "Inserisci la password della casella PEC.".into(),
            (PecProblem::PasswordRequired, Es) => "Introduzca la contraseña del buzón PEC.".into(),
            (PecProblem::PasswordRequired, En) => "Enter the PEC mailbox's password.".into(),
        }
    }
}

/// A store's mailbox as the admin shows it: never its password, only
/// whether one is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PecMailboxView {
    pub pec_address: String,
    pub smtp_url: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub username: String,
    pub has_password: bool,
    pub last_read_at: Option<i64>,
    /// Why the mailbox could not be read, since when: None while it reads.
    pub last_error: Option<String>,
    pub failing_since: Option<i64>,
}

/// A receipt of SdI that matched no transmission, as the owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmatchedReceipt {
    pub id: i64,
    pub kind: crate::sdi::MessageKind,
    pub sdi_id: String,
    pub invoice_file: String,
    pub message_file: Option<String>,
    /// `mailbox` or `upload`.
    pub source: String,
    pub received_at: i64,
}

const MAX_FIELD: usize = 254;

/// Whether plain text may be used with `host`: only this machine, where a
/// test or development mail server listens.
pub fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "::1" | "[::1]")
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        })
        || is_loopback(host)
}

/// Checks an SMTP URL: `smtps://host[:port]`, or `smtp://host[:port]` with
/// `?tls=required`; plain `smtp://` only to loopback. No credentials in it.
pub fn check_smtp_url(url: &str) -> Result<(), PecProblem> {
    let (scheme, rest) = url.split_once("://").ok_or(PecProblem::InvalidSmtpUrl)?;
    let (authority, query) = match rest.split_once('?') {
        Some((authority, query)) => (authority, Some(query)),
        None => (rest.trim_end_matches('/'), None),
    };
    if authority.contains('@') {
        return Err(PecProblem::PasswordInUrl);
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            port.parse::<u16>()
                .ok()
                .filter(|port| *port > 0)
                .ok_or(PecProblem::InvalidSmtpUrl)?;
            host
        }
        _ => authority,
    };
    if !valid_host(host) {
        return Err(PecProblem::InvalidSmtpUrl);
    }
    let encrypted = match (scheme, query) {
        ("smtps", None) => true,
        ("smtp", Some("tls=required")) => true,
        ("smtp", None) => false,
        _ => return Err(PecProblem::InvalidSmtpUrl),
    };
    if !encrypted && !is_loopback(host) {
        return Err(PecProblem::NotEncrypted);
    }
    Ok(())
}

impl PecMailboxInput {
    /// The mailbox, or each field's problem. `has_password`: a password is
    /// stored already, so an empty one keeps it.
    pub fn validate(&self, has_password: bool) -> Result<PecMailbox, Vec<(String, PecProblem)>> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, problem: PecProblem| {
            problems.push((field.to_owned(), problem));
        };
        let text = |value: &str| value.trim().to_owned();
        let pec_address = match EmailAddress::parse(&self.pec_address) {
            Ok(address) => Some(address),
            Err(_) if self.pec_address.trim().is_empty() => {
                problem("pec_address", PecProblem::Required);
                None
            }
            Err(_) => {
                problem("pec_address", PecProblem::InvalidAddress);
                None
            }
        };
        let smtp_url = text(&self.smtp_url);
        if smtp_url.is_empty() {
            problem("smtp_url", PecProblem::Required);
        } else if smtp_url.len() > MAX_FIELD {
            problem("smtp_url", PecProblem::TooLong { max: MAX_FIELD });
        } else if let Err(error) = check_smtp_url(&smtp_url) {
            problem("smtp_url", error);
        }
        let imap_host = text(&self.imap_host).to_ascii_lowercase();
        if imap_host.is_empty() {
            problem("imap_host", PecProblem::Required);
        } else if !valid_host(&imap_host) {
            problem("imap_host", PecProblem::InvalidHost);
        }
        let imap_port = match self.imap_port.trim() {
            "" => Some(IMAPS_PORT),
            port => match port.parse::<u16>() {
                Ok(port) if port > 0 => Some(port),
                _ => {
                    problem("imap_port", PecProblem::InvalidPort);
                    None
                }
            },
        };
        let username = text(&self.username);
        if username.is_empty() {
            problem("username", PecProblem::Required);
        } else if username.len() > MAX_FIELD || username.chars().any(char::is_control) {
            problem("username", PecProblem::TooLong { max: MAX_FIELD });
        }
        let password = match self.password.as_str() {
            "" if has_password => None,
            "" => {
                problem("password", PecProblem::PasswordRequired);
                None
            }
            password if password.len() > MAX_FIELD || password.chars().any(char::is_control) => {
                problem("password", PecProblem::TooLong { max: MAX_FIELD });
                None
            }
            password => Some(password.to_owned()),
        };
        match (pec_address, imap_port) {
            (Some(pec_address), Some(imap_port)) if problems.is_empty() => Ok(PecMailbox {
                pec_address,
                smtp_url,
                imap_host,
                imap_port,
                username,
                password,
            }),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PecMailboxInput {
        PecMailboxInput {
            pec_address: "bottega@pec.example.it".into(),
            smtp_url: "smtps://smtps.pec.example.it:465".into(),
            imap_host: "imaps.pec.example.it".into(),
            imap_port: String::new(),
            username: "bottega@pec.example.it".into(),
            password: "s3cret".into(),
        }
    }

    #[test]
    fn a_complete_mailbox_is_accepted_with_imaps_by_default() {
        let mailbox = input().validate(false).expect("valid");
        assert_eq!(mailbox.imap_port, 993);
        assert_eq!(mailbox.password.as_deref(), Some("s3cret"));
    }

    #[test]
    fn an_empty_password_keeps_the_stored_one_and_a_new_mailbox_needs_one() {
        let mut form = input();
        form.password.clear();
        assert_eq!(form.validate(true).expect("kept").password, None);
        assert_eq!(
            form.validate(false),
            Err(vec![("password".into(), PecProblem::PasswordRequired)])
        );
    }

    #[test]
    fn the_smtp_url_is_encrypted_and_carries_no_credentials() {
        for good in [
            "smtps://smtps.pec.example.it:465",
            "smtps://smtps.pec.example.it",
            "smtp://smtp.pec.example.it:587?tls=required",
            "smtp://127.0.0.1:1025",
        ] {
            assert_eq!(check_smtp_url(good), Ok(()), "{good}");
        }
        assert_eq!(
            check_smtp_url("smtp://smtp.pec.example.it:25"),
            Err(PecProblem::NotEncrypted)
        );
        assert_eq!(
            check_smtp_url("smtps://me:pw@smtps.pec.example.it:465"),
            Err(PecProblem::PasswordInUrl)
        );
        for bad in [
            "http://example.it",
            "smtps://",
            "smtps://bad host:465",
            "smtps://h:0",
            "pec.example.it",
        ] {
            assert_eq!(
                check_smtp_url(bad),
                Err(PecProblem::InvalidSmtpUrl),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_problem_is_beside_its_field() {
        let form = PecMailboxInput {
            pec_address: "not an address".into(),
            smtp_url: String::new(),
            imap_host: "bad host".into(),
            imap_port: "99999".into(),
            username: String::new(),
            password: String::new(),
        };
        assert_eq!(
            form.validate(false),
            Err(vec![
                ("pec_address".into(), PecProblem::InvalidAddress),
                ("smtp_url".into(), PecProblem::Required),
                ("imap_host".into(), PecProblem::InvalidHost),
                ("imap_port".into(), PecProblem::InvalidPort),
                ("username".into(), PecProblem::Required),
                ("password".into(), PecProblem::PasswordRequired),
            ])
        );
        for language in Language::ALL {
            assert!(!PecProblem::NotEncrypted.message(language).is_empty());
        }
    }
}
