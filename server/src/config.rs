//! Configuration, read once from the environment at start.

use std::net::IpAddr;

use invoice::link::{KeyRing, KeyRingError};
use invoice::organisation::OrganisationId;
use invoice::qr::AeatEnvironment;
use invoice::spain::Nif;
use invoice::verifactu::SistemaInformatico;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("LINK_SIGNING_KEYS: {0}")]
    LinkKeys(#[from] KeyRingError),
    #[error("EDGE_SHARED_SECRET must be at least 32 characters")]
    WeakEdgeSecret,
    #[error("DAILY_EMAIL_QUOTA must be a whole number of emails, at least 1")]
    DailyEmailQuota,
    #[error(
        "TRUSTED_PROXIES: “{0}” is not an IP address or a CIDR network (e.g. 10.0.0.0/8, fd00::/8)"
    )]
    TrustedProxy(String),
    #[error("PASSWORD_HASHING_CONCURRENCY must be a whole number of at least 1")]
    HashingConcurrency,
    #[error("VERIFACTU_ENVIRONMENT must be test or production")]
    VerifactuEnvironment,
    #[error("VERIFACTU_PRODUCER_NIF is not a Spanish NIF")]
    VerifactuProducerNif,
    #[error("VERIFACTU_ENDPOINT must be an https:// URL")]
    VerifactuEndpoint,
    #[error("VERIFACTU_ROOT_CERTIFICATES: cannot read {0}")]
    VerifactuRoots(String),
}

/// An IPv4 or IPv6 network in CIDR notation; a bare address is a network of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    address: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().ok()?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().ok().filter(|prefix| *prefix <= bits)?,
            None => bits,
        };
        Some(Self { address, prefix })
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.address, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// `TRUSTED_PROXIES`: networks separated by commas or spaces.
pub fn parse_trusted_proxies(text: &str) -> Result<Vec<IpNetwork>, ConfigError> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            IpNetwork::parse(entry).ok_or_else(|| ConfigError::TrustedProxy(entry.to_owned()))
        })
        .collect()
}

/// Twice the cores: argon2 is CPU-bound, so more at once only queues memory.
fn default_hashing_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get()) * 2
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://data/invio.db` (default) or `postgres://…`.
    pub database_url: String,
    /// `smtp://127.0.0.1:1025` in development, `smtps://user:pass@relay:465` in production.
    pub smtp_url: String,
    /// The service's sender address; the store's name is shown as its display name.
    pub mail_from_address: String,
    /// Public base URL of the edge worker: links are `{edge_url}/i/{token}`.
    pub edge_url: String,
    /// Public base URL of the admin; over `https://` its cookies are `Secure`.
    pub admin_url: String,
    pub link_keys: KeyRing,
    /// Shared between the server and the edge to sign the calls between them.
    pub edge_secret: Vec<u8>,
    /// Emails an organisation may queue per UTC day, unless the operator set
    /// its own (`organisations.daily_email_quota`).
    pub daily_email_quota: u32,
    /// The load balancers and proxies whose `X-Forwarded-For` is believed;
    /// empty: the socket's address is the client's.
    pub trusted_proxies: Vec<IpNetwork>,
    /// Password hashes computed at once; over it, sign-ins are asked to retry.
    pub hashing_concurrency: usize,
    pub verifactu: VerifactuSettings,
}

/// How Invio's VERI*FACTU records name the billing system, and which AEAT
/// they are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifactuSettings {
    /// The AEAT's test environment (the default) or the real one: where the
    /// records go and where the invoices' QR codes point.
    pub environment: AeatEnvironment,
    /// Who produces the billing system as its records declare it
    /// (`SistemaInformatico/NombreRazon` and `NIF`): the operator's own.
    pub producer_name: String,
    /// None until the operator sets it: Spanish stores cannot issue then.
    pub producer_nif: Option<Nif>,
    /// The AEAT's VERI*FACTU service the records are sent to: by default
    /// the environment's ordinary port (`VERIFACTU_ENDPOINT` names another,
    /// e.g. the "Sello" port for a seal certificate, or a stand-in).
    pub endpoint: String,
    /// PEM certificates trusted, besides Mozilla's roots, as the AEAT's
    /// server's issuer: for a stand-in of the AEAT; empty in production,
    /// where the AEAT's certificate chains to a public root.
    pub root_certificates: String,
}

/// The billing system's name and id as its records and the producer's
/// declaration give them.
pub const VERIFACTU_SYSTEM_NAME: &str = "Invio";
pub const VERIFACTU_SYSTEM_ID: &str = "IV";

impl VerifactuSettings {
    /// The system that makes an organisation's records: each organisation
    /// is an installation of its own. None without the producer's NIF.
    pub fn system(
        &self,
        organisation: OrganisationId,
        multiple_taxpayers: bool,
    ) -> Option<SistemaInformatico> {
        Some(SistemaInformatico {
            producer_name: self.producer_name.clone(),
            producer_nif: self.producer_nif.clone()?,
            system_name: VERIFACTU_SYSTEM_NAME.into(),
            system_id: VERIFACTU_SYSTEM_ID.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            installation_number: organisation.0.to_string(),
            only_verifactu: true,
            multiple_taxpayers_possible: true,
            multiple_taxpayers,
        })
    }
}

/// `VERIFACTU_ENVIRONMENT`: `test` unless the operator says `production`.
pub fn parse_aeat_environment(text: Option<&str>) -> Result<AeatEnvironment, ConfigError> {
    match text.map(|text| text.trim().to_ascii_lowercase()).as_deref() {
        None | Some("test") => Ok(AeatEnvironment::Test),
        Some("production") => Ok(AeatEnvironment::Production),
        Some(_) => Err(ConfigError::VerifactuEnvironment),
    }
}

/// The AEAT's VERI*FACTU service for ordinary certificates (a person's or a
/// representative's), as the WSDL's `soap:address` gives it: the ports
/// `SistemaVerifactuPruebas` (test; records there are not the merchant's
/// real ones) and `SistemaVerifactu` (production).
pub fn default_verifactu_endpoint(environment: AeatEnvironment) -> &'static str {
    match environment {
        AeatEnvironment::Test => {
            "https://prewww1.aeat.es/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP"
        }
        AeatEnvironment::Production => {
            "https://www1.agenciatributaria.gob.es/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP"
        }
    }
}

/// A day of a busy small business (50 invoices, each with a few copies and
/// reminders) fits; an account that was opened to spam stops at a volume a
/// relay's reputation survives.
pub const DEFAULT_DAILY_EMAIL_QUOTA: u32 = 200;

/// `DATABASE_URL`, or the embedded default: all that the server's commands
/// other than serving need (`verify-verifactu`).
pub fn database_url_from_env() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| "sqlite://data/invio.db".into())
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| var(name).ok_or(ConfigError::Missing(name));
        let edge_secret = required("EDGE_SHARED_SECRET")?.into_bytes();
        if edge_secret.len() < invoice::events::MIN_EDGE_SECRET_LEN {
            return Err(ConfigError::WeakEdgeSecret);
        }
        Ok(Self {
            database_url: database_url_from_env(),
            smtp_url: var("SMTP_URL").unwrap_or_else(|| "smtp://127.0.0.1:1025".into()),
            mail_from_address: var("MAIL_FROM")
                .unwrap_or_else(|| "invoices@invio.localhost".into()),
            edge_url: var("EDGE_URL")
                .unwrap_or_else(|| "http://127.0.0.1:8787".into())
                .trim_end_matches('/')
                .to_owned(),
            admin_url: var("ADMIN_URL")
                .unwrap_or_else(|| "http://127.0.0.1:3000".into())
                .trim_end_matches('/')
                .to_owned(),
            link_keys: KeyRing::parse(&required("LINK_SIGNING_KEYS")?)?,
            edge_secret,
            daily_email_quota: match var("DAILY_EMAIL_QUOTA") {
                None => DEFAULT_DAILY_EMAIL_QUOTA,
                Some(quota) => quota
                    .trim()
                    .parse()
                    .ok()
                    .filter(|quota| *quota > 0)
                    .ok_or(ConfigError::DailyEmailQuota)?,
            },
            trusted_proxies: parse_trusted_proxies(&var("TRUSTED_PROXIES").unwrap_or_default())?,
            hashing_concurrency: match var("PASSWORD_HASHING_CONCURRENCY") {
                Some(text) => text
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|permits| *permits > 0)
                    .ok_or(ConfigError::HashingConcurrency)?,
                None => default_hashing_concurrency(),
            },
            verifactu: {
                let environment = parse_aeat_environment(var("VERIFACTU_ENVIRONMENT").as_deref())?;
                VerifactuSettings {
                    environment,
                    producer_name: var("VERIFACTU_PRODUCER_NAME").unwrap_or_default(),
                    producer_nif: var("VERIFACTU_PRODUCER_NIF")
                        .map(|text| {
                            Nif::parse(&text).map_err(|_| ConfigError::VerifactuProducerNif)
                        })
                        .transpose()?,
                    endpoint: match var("VERIFACTU_ENDPOINT") {
                        None => default_verifactu_endpoint(environment).to_owned(),
                        Some(url) if url.trim().starts_with("https://") => url.trim().to_owned(),
                        Some(_) => return Err(ConfigError::VerifactuEndpoint),
                    },
                    root_certificates: match var("VERIFACTU_ROOT_CERTIFICATES") {
                        None => String::new(),
                        Some(path) => std::fs::read_to_string(path.trim())
                            .map_err(|_| ConfigError::VerifactuRoots(path.trim().to_owned()))?,
                    },
                }
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn trusted_proxies_are_ipv4_and_ipv6_networks_or_single_addresses() {
        let networks =
            parse_trusted_proxies("10.0.0.0/8, 192.168.1.7 fd00::/8,::1").expect("valid");
        assert_eq!(networks.len(), 4);
        assert!(networks[0].contains(ip("10.200.3.4")));
        assert!(!networks[0].contains(ip("11.0.0.1")));
        assert!(networks[1].contains(ip("192.168.1.7")));
        assert!(!networks[1].contains(ip("192.168.1.8")));
        assert!(networks[2].contains(ip("fd12:3456::1")));
        assert!(!networks[2].contains(ip("fe80::1")));
        assert!(networks[3].contains(ip("::1")));
        assert!(!networks[0].contains(ip("::1")));
        assert!(
            networks[0].contains(ip("::ffff:10.1.2.3")),
            "IPv4 mapped into IPv6"
        );
        assert!(IpNetwork::parse("0.0.0.0/0")
            .expect("all")
            .contains(ip("8.8.8.8")));
        assert!(parse_trusted_proxies("").expect("empty").is_empty());
    }

    #[test]
    fn the_aeat_environment_is_the_test_one_unless_production_is_asked_for() {
        assert_eq!(
            parse_aeat_environment(None).ok(),
            Some(AeatEnvironment::Test)
        );
        assert_eq!(
            parse_aeat_environment(Some(" Production ")).ok(),
            Some(AeatEnvironment::Production)
        );
        assert!(matches!(
            parse_aeat_environment(Some("prod")),
            Err(ConfigError::VerifactuEnvironment)
        ));
    }

    #[test]
    fn a_bad_trusted_proxy_entry_is_named() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "proxy.internal",
            "fd00::/129",
            "10.0.0.1/",
        ] {
            match parse_trusted_proxies(&format!("10.0.0.1, {bad}")) {
                Err(ConfigError::TrustedProxy(entry)) => assert_eq!(entry, bad),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
