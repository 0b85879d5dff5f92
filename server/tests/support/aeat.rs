//! A stand-in for the AEAT's VERI*FACTU web service, for the server's tests
//! and the end-to-end stack (`examples/aeat_stand_in.rs`), as Dovecot
//! stands in for a PEC provider: a real HTTPS server (rustls) that, like
//! the AEAT, refuses any client without a certificate issued by a CA it
//! trusts — here a test CA made with rcgen ([`TestPki`]) — and that checks
//! each request as the AEAT documents it:
//!
//! - the body must be valid against the official `SuministroLR.xsd`
//!   (`xmllint`, the schemas kept in `invoice/verifactu/xsd/`), else a SOAP
//!   Fault, as SWeb §3 says («Si el mensaje no supera alguna de las
//!   validaciones a nivel de formato XML, se devolverá un mensaje de tipo
//!   «SoapFault»»), with code 4102;
//! - each record is answered: `Correcto`; `Incorrecto` 3000 with
//!   `RegistroDuplicado` for a record it already has; `Incorrecto` 1108
//!   when the record's issuer is not the header's ObligadoEmision;
//! - corrections and cancellations follow Validaciones §6 («OPERATIVAS DE
//!   ALTA Y ANULACIÓN ADMISIBLES»): an alta with `Subsanacion` S and
//!   `RechazoPrevio` X, or a cancellation with `SinRegistroPrevio` S, only
//!   for an invoice it does not have (else ERROR (2)/(10): 3000, with
//!   `RegistroDuplicado`); a subsanación (`RechazoPrevio` N or S) or a plain
//!   cancellation only for one it has (else ERROR (3)/(6): 3002 «No existe
//!   el registro de facturación»), replacing or cancelling it; 1153 and
//!   1161 for flags that do not go together;
//!   `Incorrecto` 1193 for a recipient NIF in [`UNKNOWN_RECIPIENTS`]
//!   (not in its census); `AceptadoConErrores` 2001 for one in
//!   [`UNCHECKED_RECIPIENTS`]; the send's `EstadoEnvio` follows list L18,
//!   the CSV only when not all were rejected, `TiempoEsperaEnvio` as set;
//! - on command it is down: connections refused, or 503.
//!
//! Its answers are valid against `RespuestaSuministro.xsd` (its own test).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

#[path = "../../../invoice/tests/support/xsd.rs"]
pub mod xsd;

/// The AEAT's schema of a request's body (`invoice/verifactu/xsd/`).
pub const SUMINISTRO_LR: xsd::Schema = xsd::Schema {
    folder: "verifactu/xsd",
    file: "SuministroLR.xsd",
    signature_copy: "verifactu/xsd/xmldsig-core-schema.xsd",
    signature_import: "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd",
};
/// The AEAT's schema of its answer's body.
pub const RESPUESTA_SUMINISTRO: xsd::Schema = xsd::Schema {
    file: "RespuestaSuministro.xsd",
    ..SUMINISTRO_LR
};

/// The service's path, as the WSDL's `soap:address` has it.
pub const SERVICE_PATH: &str = "/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP";
/// Recipients the stand-in's census does not know: their records are rejected.
pub const UNKNOWN_RECIPIENTS: [&str; 1] = ["99999910G"];
/// Recipients it registers with an admissible error (2001).
pub const UNCHECKED_RECIPIENTS: [&str; 1] = ["99999920Z"];

const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SF: &str = "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/es/aeat/tike/cont/ws/SuministroInformacion.xsd";
const SF_R: &str = "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/es/aeat/tike/cont/ws/RespuestaSuministro.xsd";

/// A certificate authority for tests, and the certificates it issues.
pub struct TestPki {
    ca: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, PEM.
#[derive(Debug, Clone)]
pub struct Issued {
    pub certificate_pem: String,
    pub key_pem: String,
}

impl Issued {
    /// As the FNMT hands it over: a PKCS#12 file opened by `password`.
    pub fn pkcs12(&self, password: &str) -> Vec<u8> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let certificate = CertificateDer::from_pem_slice(self.certificate_pem.as_bytes())
            .expect("a PEM certificate");
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).expect("a PEM key");
        let chain = PrivateKeyChain::new(
            b"invio-test".to_vec(),
            PrivateKey::from_der(key.secret_der()).expect("a PKCS#8 key"),
            vec![Certificate::from_der(certificate.as_ref()).expect("a certificate")],
        );
        let mut store = KeyStore::new();
        store.add_entry("invio", KeyStoreEntry::PrivateKeyChain(chain));
        store.writer(password).write().expect("a PKCS#12 file")
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

impl TestPki {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params
            .distinguished_name
            .push(DnType::CommonName, "Invio test AEAT CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("a CA key");
        TestPki {
            ca: CertifiedIssuer::self_signed(params, key).expect("the CA"),
        }
    }

    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// The stand-in's own certificate, for 127.0.0.1 and localhost.
    pub fn server(&self) -> Issued {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("server parameters");
        params
            .distinguished_name
            .push(DnType::CommonName, "aeat.invio.test");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params)
    }

    /// A merchant's certificate naming `nif`, valid until `not_after`
    /// (year, month, day), as the FNMT writes a representative's: the
    /// holder's NIF in serialNumber, the entity's in organizationIdentifier.
    pub fn merchant(&self, nif: &str, name: &str, not_after: (i32, u8, u8)) -> Issued {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("client parameters");
        params.distinguished_name.push(DnType::CommonName, name);
        params.distinguished_name.push(
            DnType::CustomDnType(vec![2, 5, 4, 97]),
            format!("VATES-{nif}"),
        );
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = rcgen::date_time_ymd(2024, 1, 1);
        params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        self.issue(params)
    }

    fn issue(&self, params: CertificateParams) -> Issued {
        let key = KeyPair::generate().expect("a key");
        let certificate = params.signed_by(&key, &self.ca).expect("issued");
        Issued {
            certificate_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// How the stand-in is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Up,
    /// Connections are closed as soon as they are accepted.
    Refusing,
    /// Every request answers 503 Service Unavailable.
    Unavailable,
    /// Every request is refused whole with a SOAP Fault 4141 (the
    /// taxpayer's access suspended), as a valid request can be.
    Suspended,
}

/// One record as the stand-in received it.
#[derive(Debug, Clone)]
pub struct ReceivedRecord {
    /// Alta | Anulacion
    pub operation: String,
    pub issuer_nif: String,
    pub number: String,
    /// `DD-MM-YYYY`
    pub issue_date: String,
    /// The record's element, on its own (namespaces declared on it).
    pub xml: String,
    /// The record's element exactly as the request carried it.
    pub raw: String,
    /// `Subsanacion`, `RechazoPrevio`, `SinRegistroPrevio` as written
    /// (empty when absent).
    pub subsanacion: String,
    pub rechazo_previo: String,
    pub sin_registro_previo: String,
}

/// One request, as received and as answered.
#[derive(Debug, Clone)]
pub struct Received {
    /// The client certificate's subject.
    pub client: String,
    pub body: String,
    /// The header's `Incidencia` was S.
    pub incident: bool,
    pub records: Vec<ReceivedRecord>,
    pub answer: String,
    /// The answer was a SOAP Fault.
    pub fault: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RegisteredAs {
    Correct,
    WithErrors,
    Cancelled,
}

struct State {
    availability: Availability,
    wait_seconds: u32,
    received: Vec<Received>,
    /// What it has of each invoice, by (issuer, number, date), with the id
    /// of the request that registered it last.
    registered: HashMap<(String, String, String), (RegisteredAs, String)>,
    /// Records it registered (duplicates not counted again).
    accepted: usize,
    requests: u64,
}

/// The stand-in, running until dropped.
pub struct AeatStandIn {
    /// The service's URL (`https://127.0.0.1:PORT/wlpl/…/VerifactuSOAP`).
    pub url: String,
    pub port: u16,
    /// The CA that issued the stand-in's certificate and the merchants':
    /// Invio trusts it as the AEAT's (`VERIFACTU_ROOT_CERTIFICATES`).
    pub pki: Arc<TestPki>,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for AeatStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl AeatStandIn {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        Self::start_on(0, Arc::new(TestPki::new())).await
    }

    pub async fn start_on(port: u16, pki: Arc<TestPki>) -> Self {
        let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(pki.ca_pem().as_bytes()).expect("the CA"))
            .expect("a root");
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .expect("a client verifier");
        let server = pki.server();
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![
                    CertificateDer::from_pem_slice(server.certificate_pem.as_bytes())
                        .expect("the server certificate"),
                ],
                PrivateKeyDer::from_pem_slice(server.key_pem.as_bytes()).expect("its key"),
            )
            .expect("the server's TLS");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(Mutex::new(State {
            availability: Availability::Up,
            wait_seconds: 60,
            received: Vec::new(),
            registered: HashMap::new(),
            accepted: 0,
            requests: 0,
        }));
        let task = tokio::spawn(serve(listener, acceptor, state.clone()));
        AeatStandIn {
            url: format!("https://127.0.0.1:{port}{SERVICE_PATH}"),
            port,
            pki,
            state,
            task,
        }
    }

    pub fn set_availability(&self, availability: Availability) {
        self.state.lock().expect("lock").availability = availability;
    }

    /// The `TiempoEsperaEnvio` its next answers give.
    pub fn set_wait_seconds(&self, seconds: u32) {
        self.state.lock().expect("lock").wait_seconds = seconds;
    }

    /// Every request answered, oldest first (not those refused while down).
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("lock").received.clone()
    }

    /// Every record received in requests that were not faults, in order.
    pub fn records(&self) -> Vec<ReceivedRecord> {
        self.received()
            .into_iter()
            .filter(|request| !request.fault)
            .flat_map(|request| request.records)
            .collect()
    }

    /// How many records it registered (duplicates not counted again).
    pub fn registered(&self) -> usize {
        self.state.lock().expect("lock").accepted
    }
}

async fn serve(listener: TcpListener, acceptor: TlsAcceptor, state: Arc<Mutex<State>>) {
    // A full send (1,000 records) is a few MiB; the AEAT's limit is the count.
    let router = axum::Router::new()
        .route(
            SERVICE_PATH,
            post({
                let state = state.clone();
                move |axum::Extension(ClientSubject(client)): axum::Extension<ClientSubject>,
                      body: Bytes| {
                    let state = state.clone();
                    async move { answer(&state, client, &body) }
                }
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024));
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        if state.lock().expect("lock").availability == Availability::Refusing {
            drop(tcp);
            continue;
        }
        let acceptor = acceptor.clone();
        let router = router.clone();
        tokio::spawn(async move {
            // A client without a certificate of the CA fails here.
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let client = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|certificate| subject_of(certificate.as_ref()))
                .unwrap_or_default();
            let router = router.layer(axum::Extension(ClientSubject(client)));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), TowerToHyperService::new(router))
                .await;
        });
    }
}

#[derive(Clone)]
struct ClientSubject(String);

fn subject_of(der: &[u8]) -> String {
    use x509_parser::prelude::{FromDer, X509Certificate};
    X509Certificate::from_der(der)
        .map(|(_, certificate)| certificate.subject().to_string())
        .unwrap_or_default()
}

fn answer(state: &Mutex<State>, client: String, body: &[u8]) -> Response {
    let mut state = state.lock().expect("lock");
    if state.availability == Availability::Unavailable {
        return (StatusCode::SERVICE_UNAVAILABLE, "Servicio no disponible").into_response();
    }
    state.requests += 1;
    let request_id = format!("{:020}", state.requests);
    let body = String::from_utf8_lossy(body).into_owned();
    let (answer, fault, incident, records) = match read_request(&body) {
        Err(reason) => (fault_xml(&reason), true, false, Vec::new()),
        Ok(request) if state.availability == Availability::Suspended => (
            fault_xml(
                "Codigo[4141].Su acceso al sistema VERIFACTU ha sido suspendido temporalmente.",
            ),
            true,
            request.incident,
            request.records,
        ),
        Ok(request) => {
            let answer = respond(&mut state, &request, &request_id);
            (answer, false, request.incident, request.records)
        }
    };
    state.received.push(Received {
        client,
        body,
        incident,
        records,
        answer: answer.clone(),
        fault,
    });
    let status = if fault {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=UTF-8")],
        answer,
    )
        .into_response()
}

struct Request {
    obligado_name: String,
    obligado_nif: String,
    incident: bool,
    records: Vec<ReceivedRecord>,
    recipients: Vec<Option<String>>,
}

/// The request's payload checked against `SuministroLR.xsd`, then read.
fn read_request(body: &str) -> Result<Request, String> {
    let document = roxmltree::Document::parse(body)
        .map_err(|error| format!("Codigo[4102].El XML no cumple el esquema. {error}"))?;
    let envelope = document.root_element();
    if envelope.tag_name().namespace() != Some(SOAP) || envelope.tag_name().name() != "Envelope" {
        return Err("Codigo[4102].El XML no cumple el esquema. No es un sobre SOAP.".into());
    }
    let payload = envelope
        .children()
        .find(|node| node.is_element() && node.tag_name().name() == "Body")
        .and_then(|soap_body| soap_body.children().find(roxmltree::Node::is_element))
        .ok_or("Codigo[4102].El XML no cumple el esquema. Falta el cuerpo.")?;
    SUMINISTRO_LR
        .validate("request.xml", &standalone(body, payload))
        .map_err(|complaint| {
            format!(
                "Codigo[4102].El XML no cumple el esquema. {}",
                complaint.lines().next().unwrap_or_default()
            )
        })?;
    let child = |node: roxmltree::Node<'_, '_>, name: &str| {
        node.descendants()
            .find(|descendant| descendant.is_element() && descendant.tag_name().name() == name)
            .and_then(|found| found.text())
            .map(|text| text.trim().to_owned())
            .unwrap_or_default()
    };
    let header = payload
        .children()
        .find(|node| node.is_element() && node.tag_name().name() == "Cabecera")
        .ok_or("Codigo[4102].El XML no cumple el esquema. Falta la cabecera.")?;
    let obligado = header
        .children()
        .find(|node| node.is_element() && node.tag_name().name() == "ObligadoEmision")
        .ok_or("Codigo[4102].El XML no cumple el esquema. Falta ObligadoEmision.")?;
    let direct = |node: roxmltree::Node<'_, '_>, name: &str| {
        node.children()
            .find(|child| child.is_element() && child.tag_name().name() == name)
            .and_then(|found| found.text())
            .map(|text| text.trim().to_owned())
            .unwrap_or_default()
    };
    let mut records = Vec::new();
    let mut recipients = Vec::new();
    for entry in payload
        .children()
        .filter(|node| node.is_element() && node.tag_name().name() == "RegistroFactura")
    {
        let Some(record) = entry.children().find(roxmltree::Node::is_element) else {
            continue;
        };
        let alta = record.tag_name().name() == "RegistroAlta";
        let suffix = if alta { "" } else { "Anulada" };
        records.push(ReceivedRecord {
            operation: if alta { "Alta" } else { "Anulacion" }.to_owned(),
            issuer_nif: child(record, &format!("IDEmisorFactura{suffix}")),
            number: child(record, &format!("NumSerieFactura{suffix}")),
            issue_date: child(record, &format!("FechaExpedicionFactura{suffix}")),
            xml: standalone(body, record),
            raw: body[record.range()].to_owned(),
            subsanacion: direct(record, "Subsanacion"),
            rechazo_previo: direct(record, "RechazoPrevio"),
            sin_registro_previo: direct(record, "SinRegistroPrevio"),
        });
        recipients.push(
            record
                .descendants()
                .find(|node| node.is_element() && node.tag_name().name() == "Destinatarios")
                .map(|recipients| child(recipients, "NIF")),
        );
    }
    Ok(Request {
        obligado_name: child(obligado, "NombreRazon"),
        obligado_nif: child(obligado, "NIF"),
        incident: child(header, "Incidencia") == "S",
        records,
        recipients,
    })
}

/// An element of `text` as a document of its own: the namespaces its
/// ancestors declared, and it does not declare again, are declared on it.
pub fn standalone(text: &str, node: roxmltree::Node<'_, '_>) -> String {
    let element = &text[node.range()];
    let start_tag = &element[..element.find('>').unwrap_or(element.len())];
    let declarations: String = node
        .parent_element()
        .map(|parent| {
            parent
                .namespaces()
                .filter(|namespace| {
                    let declared = match namespace.name() {
                        Some(prefix) => format!("xmlns:{prefix}="),
                        None => "xmlns=".to_owned(),
                    };
                    !start_tag.contains(&declared)
                })
                .map(|namespace| match namespace.name() {
                    Some(prefix) => format!(" xmlns:{prefix}=\"{}\"", namespace.uri()),
                    None => format!(" xmlns=\"{}\"", namespace.uri()),
                })
                .collect()
        })
        .unwrap_or_default();
    let name_end = element
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(element.len());
    format!(
        "{}{declarations}{}",
        &element[..name_end],
        &element[name_end..]
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn respond(state: &mut State, request: &Request, request_id: &str) -> String {
    let mut lines = String::new();
    let mut correct = 0;
    let mut rejected = 0;
    for (record, recipient) in request.records.iter().zip(&request.recipients) {
        let key = (
            record.issuer_nif.clone(),
            record.number.clone(),
            record.issue_date.clone(),
        );
        let recipient = recipient.as_deref().unwrap_or_default();
        let known = state.registered.get(&key).cloned();
        let alta = record.operation == "Alta";
        let flag = |value: &str| {
            if value.is_empty() {
                "N".to_owned()
            } else {
                value.to_owned()
            }
        };
        let (subsanacion, rechazo_previo, sin_registro_previo) = (
            flag(&record.subsanacion),
            flag(&record.rechazo_previo),
            flag(&record.sin_registro_previo),
        );
        // Validaciones §6: whether the operation needs the AEAT to have the
        // invoice already (a subsanación, a plain cancellation) or not to
        // have it (a first alta, an alta after rejection, a cancellation
        // without prior record).
        let needs_record = if alta {
            subsanacion == "S" && rechazo_previo != "X"
        } else {
            sin_registro_previo != "S"
        };
        let duplicate_of = |registered: &RegisteredAs, id: &str| {
            let estado_duplicado = match registered {
                RegisteredAs::Correct => "Correcta",
                RegisteredAs::WithErrors => "AceptadaConErrores",
                RegisteredAs::Cancelled => "Anulada",
            };
            format!(
                "<tikR:RegistroDuplicado><tik:IdPeticionRegistroDuplicado>{id}</tik:IdPeticionRegistroDuplicado><tik:EstadoRegistroDuplicado>{estado_duplicado}</tik:EstadoRegistroDuplicado></tikR:RegistroDuplicado>"
            )
        };
        let (estado, error, duplicate) = if alta && rechazo_previo == "X" && subsanacion != "S" {
            (
                "Incorrecto",
                Some((
                    1153,
                    "Valor del campo RechazoPrevio no válido, solo podrá incluirse el campo RechazoPrevio con valor X si se ha informado el campo Subsanacion y tiene el valor S.",
                )),
                None,
            )
        } else if alta && rechazo_previo == "S" && subsanacion != "S" {
            (
                "Incorrecto",
                Some((
                    1161,
                    "El valor del campo RechazoPrevio no es válido, no podrá incluirse el campo RechazoPrevio con valor S si no se ha informado del campo Subsanacion o tiene el valor N.",
                )),
                None,
            )
        } else if record.issuer_nif != request.obligado_nif {
            (
                "Incorrecto",
                Some((
                    1108,
                    "El NIF del IDEmisorFactura debe ser el mismo que el NIF del ObligadoEmision.",
                )),
                None,
            )
        } else if let (false, Some((registered, id))) = (needs_record, &known) {
            // ERROR (2) / (10): it has a record of the invoice already.
            (
                "Incorrecto",
                Some((3000, "Registro de facturación duplicado.")),
                Some(duplicate_of(registered, id)),
            )
        } else if let (true, Some((RegisteredAs::Cancelled, id))) = (!alta && needs_record, &known)
        {
            // A cancellation sent again: the one it has.
            (
                "Incorrecto",
                Some((3000, "Registro de facturación duplicado.")),
                Some(duplicate_of(&RegisteredAs::Cancelled, id)),
            )
        } else if needs_record && known.is_none() {
            // ERROR (3) / (6): nothing to correct or cancel.
            (
                "Incorrecto",
                Some((3002, "No existe el registro de facturación.")),
                None,
            )
        } else if !alta {
            state.accepted += 1;
            state
                .registered
                .insert(key, (RegisteredAs::Cancelled, request_id.to_owned()));
            ("Correcto", None, None)
        } else if UNKNOWN_RECIPIENTS.contains(&recipient) {
            (
                "Incorrecto",
                Some((
                    1193,
                    "En el bloque Destinatarios si se identifica mediante NIF, el NIF debe estar identificado y ser distinto del NIF ObligadoEmision.",
                )),
                None,
            )
        } else if UNCHECKED_RECIPIENTS.contains(&recipient) {
            state.accepted += 1;
            state
                .registered
                .insert(key, (RegisteredAs::WithErrors, request_id.to_owned()));
            (
                "AceptadoConErrores",
                Some((
                    2001,
                    "El NIF del bloque Destinatarios no está identificado en el censo de la AEAT.",
                )),
                None,
            )
        } else {
            state.accepted += 1;
            state
                .registered
                .insert(key, (RegisteredAs::Correct, request_id.to_owned()));
            ("Correcto", None, None)
        };
        match estado {
            "Correcto" => correct += 1,
            "Incorrecto" => rejected += 1,
            _ => {}
        }
        let error = error
            .map(|(code, description)| {
                format!(
                    "<tikR:CodigoErrorRegistro>{code}</tikR:CodigoErrorRegistro><tikR:DescripcionErrorRegistro>{}</tikR:DescripcionErrorRegistro>",
                    escape(description)
                )
            })
            .unwrap_or_default();
        lines.push_str(&format!(
            "<tikR:RespuestaLinea><tikR:IDFactura><tik:IDEmisorFactura>{}</tik:IDEmisorFactura><tik:NumSerieFactura>{}</tik:NumSerieFactura><tik:FechaExpedicionFactura>{}</tik:FechaExpedicionFactura></tikR:IDFactura><tikR:Operacion><tik:TipoOperacion>{}</tik:TipoOperacion>{}</tikR:Operacion><tikR:EstadoRegistro>{estado}</tikR:EstadoRegistro>{error}{}</tikR:RespuestaLinea>",
            escape(&record.issuer_nif),
            escape(&record.number),
            escape(&record.issue_date),
            record.operation,
            operation_flags(record),
            duplicate.unwrap_or_default()
        ));
    }
    let total = request.records.len();
    let estado_envio = if correct == total {
        "Correcto"
    } else if rejected == total {
        "Incorrecto"
    } else {
        "ParcialmenteCorrecto"
    };
    // «Solo se genera si no hay rechazo del envio».
    let presentation = if rejected == total {
        String::new()
    } else {
        format!(
            "<tikR:CSV>A-{request_id}</tikR:CSV><tikR:DatosPresentacion><tik:NIFPresentador>{}</tik:NIFPresentador><tik:TimestampPresentacion>2026-12-02T10:00:00+01:00</tik:TimestampPresentacion></tikR:DatosPresentacion>",
            escape(&request.obligado_nif)
        )
    };
    let incident = if request.incident {
        "<tik:RemisionVoluntaria><tik:Incidencia>S</tik:Incidencia></tik:RemisionVoluntaria>"
    } else {
        ""
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><env:Envelope xmlns:env=\"{SOAP}\"><env:Header/><env:Body><tikR:RespuestaRegFactuSistemaFacturacion xmlns:tikR=\"{SF_R}\" xmlns:tik=\"{SF}\">{presentation}<tikR:Cabecera><tik:ObligadoEmision><tik:NombreRazon>{}</tik:NombreRazon><tik:NIF>{}</tik:NIF></tik:ObligadoEmision>{incident}</tikR:Cabecera><tikR:TiempoEsperaEnvio>{}</tikR:TiempoEsperaEnvio><tikR:EstadoEnvio>{estado_envio}</tikR:EstadoEnvio>{lines}</tikR:RespuestaRegFactuSistemaFacturacion></env:Body></env:Envelope>",
        escape(&request.obligado_name),
        escape(&request.obligado_nif),
        state.wait_seconds,
    )
}

/// The flags the record carried, echoed in the answer's `Operacion` in
/// the schema's order (`OperacionType`).
fn operation_flags(record: &ReceivedRecord) -> String {
    [
        ("Subsanacion", &record.subsanacion),
        ("RechazoPrevio", &record.rechazo_previo),
        ("SinRegistroPrevio", &record.sin_registro_previo),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(name, value)| format!("<tik:{name}>{value}</tik:{name}>"))
    .collect()
}

/// A SOAP 1.1 Fault, as the AEAT answers a message that fails its schema.
fn fault_xml(reason: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><env:Envelope xmlns:env=\"{SOAP}\"><env:Body><env:Fault><faultcode>env:Client</faultcode><faultstring>{}</faultstring></env:Fault></env:Body></env:Envelope>",
        escape(reason)
    )
}

/// The answer's payload on its own, for checking it against
/// `RespuestaSuministro.xsd`.
pub fn answer_payload(answer: &str) -> Option<String> {
    let document = roxmltree::Document::parse(answer).ok()?;
    let payload = document
        .root_element()
        .children()
        .find(|node| node.is_element() && node.tag_name().name() == "Body")?
        .children()
        .find(roxmltree::Node::is_element)?;
    Some(standalone(answer, payload))
}
