//! The sender: each chain's records to the AEAT, in the chain's order, at
//! most 1,000 per send, never before the wait the AEAT's last answer asked
//! for (`invoice::aeat::may_send`), with the certificate of the store whose
//! record leads the send (client TLS).
//!
//! The queue has the outbox's guarantees. A chain's cursor moves past the
//! records of a send only in the transaction that records their answers:
//! a crash between sending and recording sends them again, and the AEAT
//! answers those it has with a duplicate (3000; 3001 for a cancellation),
//! which counts as delivered and adds nothing to the invoice's history. A
//! send that gets no answer — the network, an HTTP error, a SOAP Fault for
//! the whole send — backs its chain off alone (30 s doubling to an hour)
//! and the next send says Incidencia S, as the Orden asks of records sent
//! late. Chains are sent side by side, each within its own time limit:
//! one's failure stops no other's.

use std::sync::Arc;
use std::time::Duration;

use invoice::aeat::{
    issuer_name, may_send, retry_delay_ms, AeatEvent, RecordOperation, MAX_RECORDS_PER_SEND,
};
use invoice::spain::{Nif, SpanishSeller};
use invoice::verifactu::{
    parse_record, parse_response, request_xml, AnswerLine, Operation, RecordKind, RecordState,
    Response, SubmissionAnswer, MAX_ANSWER_BYTES,
};
use tokio::task::JoinSet;

use crate::config::Config;
use crate::db::verifactu_sending::{
    self as store, DueChain, Failure, Outgoing, RecordAnswer, Submission,
};
use crate::db::{now_ms, Db};
use crate::error::ServerError;
use crate::services::Services;

/// How long one send may take, connecting included.
const SEND_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a sender holds a chain: other server instances skip it meanwhile.
const LEASE_MS: i64 = 300_000;
/// How often the sender looks for chains due.
const POLL: Duration = Duration::from_secs(5);

/// What one chain's send did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The AEAT answered about `records` records.
    Answered { records: usize },
    /// No answer; the reason the store's page shows.
    Failed(String),
}

/// Runs for the life of the process: sends what is due, then waits.
pub async fn run_verifactu(services: Arc<Services>) {
    loop {
        if let Err(error) = services.send_to_aeat(now_ms()).await {
            tracing::error!(%error, "sending VERI*FACTU records failed; trying again shortly");
        }
        tokio::time::sleep(POLL).await;
    }
}

impl Services {
    /// One round: every chain that may send at `now` sends its next
    /// records, side by side. Returns each chain's outcome, by chain.
    pub async fn send_to_aeat(&self, now: i64) -> Result<Vec<(i64, SendOutcome)>, ServerError> {
        let mut sends = JoinSet::new();
        for chain in store::chains_waiting(&self.db, now).await? {
            if !may_send(now, chain.last_sent_at, chain.wait_seconds, chain.pending) {
                continue;
            }
            if !store::claim_chain(&self.db, &chain, now, now + LEASE_MS).await? {
                continue;
            }
            let db = self.db.clone();
            let config = self.config.clone();
            sends.spawn(async move {
                let chain_id = chain.chain_id;
                let outcome = match send_chain(&db, &config, &chain, now).await {
                    Ok(outcome) => outcome,
                    Err(error) => {
                        // The lease runs out and the chain is tried again.
                        tracing::error!(chain = chain_id, %error, "recording a VERI*FACTU send failed");
                        SendOutcome::Failed(
                            "Invio could not record the AEAT's answer; it will send again"
                                .to_owned(),
                        )
                    }
                };
                (chain_id, outcome)
            });
        }
        let mut outcomes = Vec::new();
        while let Some(joined) = sends.join_next().await {
            match joined {
                Ok(outcome) => outcomes.push(outcome),
                Err(error) => tracing::error!(%error, "a VERI*FACTU sender stopped"),
            }
        }
        outcomes.sort_by_key(|(chain, _)| *chain);
        Ok(outcomes)
    }
}

/// Sends a chain's next records and records what came of it.
async fn send_chain(
    db: &Db,
    config: &Config,
    chain: &DueChain,
    now: i64,
) -> Result<SendOutcome, ServerError> {
    let records = store::next_records(
        db,
        chain.chain_id,
        chain.answered_through,
        MAX_RECORDS_PER_SEND,
    )
    .await?;
    let Some(first) = records.first() else {
        return Ok(SendOutcome::Answered { records: 0 });
    };
    let submission = Submission {
        chain,
        store_id: first.store_id,
        records: &records,
        incident: chain.incident,
        sent_at: now,
    };
    let submission = &submission;
    let fail = |error: String, response: Option<String>, attempted: bool| async move {
        let failure = Failure {
            error: &error,
            response: response.as_deref(),
            retry_at: now + retry_delay_ms(chain.failures.saturating_add(1)),
            attempted,
        };
        store::record_failure(db, submission, &failure).await?;
        Ok::<_, ServerError>(SendOutcome::Failed(error))
    };
    let identity = match store::identity(db, first.store_id).await? {
        None => {
            return fail(
                "the store has no certificate for the AEAT".into(),
                None,
                false,
            )
            .await
        }
        Some((_, not_after)) if not_after <= now => {
            return fail("the store's certificate has expired".into(), None, false).await
        }
        Some((identity, _)) => identity,
    };
    let name = match store::latest_alta(db, chain.chain_id).await? {
        Some(alta) => issuer_name(&alta).unwrap_or_default(),
        None => String::new(),
    };
    let issuer = SpanishSeller {
        nif: Nif::parse(&chain.issuer_nif)
            .map_err(|_| ServerError::Corrupt(format!("chain {}'s NIF", chain.chain_id)))?,
        legal_name: name,
    };
    let xmls: Vec<&str> = records.iter().map(|record| record.xml.as_str()).collect();
    let body = request_xml(&issuer, chain.incident, &xmls)
        .map_err(|error| ServerError::Corrupt(format!("a VERI*FACTU request: {error}")))?;
    let client = match client(config, &identity) {
        Ok(client) => client,
        Err(error) => return fail(error, None, false).await,
    };
    let (status, answer) = match post(&client, &config.verifactu.endpoint, body).await {
        Ok(answered) => answered,
        Err(error) => return fail(error, None, true).await,
    };
    let response = match parse_response(&answer) {
        Ok(SubmissionAnswer::Response(response)) => response,
        Ok(SubmissionAnswer::Fault(fault)) => {
            let error = format!("the AEAT refused the whole send: {}", fault.message);
            return fail(error, Some(answer), true).await;
        }
        Err(_) if !(200..300).contains(&status) => {
            return fail(format!("the AEAT answered HTTP {status}"), None, true).await
        }
        Err(error) => {
            let error = format!("the AEAT's answer could not be read: {error}");
            return fail(error, Some(answer), true).await;
        }
    };
    let answers = match match_answers(&records, &response) {
        Some(answers) if !answers.is_empty() => answers,
        _ => {
            let error = "the AEAT's answer does not name the records sent".to_owned();
            return fail(error, Some(answer), true).await;
        }
    };
    let answered_through = answers
        .last()
        .map_or(chain.answered_through, |answer| answer.record.sequence);
    store::record_answers(
        db,
        submission,
        (
            submission_state(&response),
            response.csv.as_deref(),
            response.wait_seconds,
        ),
        &answer,
        &answers,
        answered_through,
    )
    .await?;
    Ok(SendOutcome::Answered {
        records: answers.len(),
    })
}

fn submission_state(response: &Response) -> &'static str {
    use invoice::verifactu::SubmissionState;
    match response.state {
        SubmissionState::Correcto => "Correcto",
        SubmissionState::ParcialmenteCorrecto => "ParcialmenteCorrecto",
        SubmissionState::Incorrecto => "Incorrecto",
    }
}

/// Each record's line of the answer, for the records in order up to the
/// first the answer does not name (those are sent again). None when a
/// record cannot be read back (it never can: it is stored as built).
fn match_answers<'a>(
    records: &'a [Outgoing],
    response: &'a Response,
) -> Option<Vec<RecordAnswer<'a>>> {
    let mut answers = Vec::new();
    for record in records {
        let read = parse_record(&record.xml).ok()?;
        let operation = match read.kind {
            RecordKind::Alta => Operation::Alta,
            RecordKind::Anulacion => Operation::Anulacion,
        };
        let Some(line) = response
            .lines
            .iter()
            .find(|line| line.operation == operation && line.invoice == read.id)
        else {
            break;
        };
        answers.push(record_answer(record, line, response.csv.as_deref()));
    }
    Some(answers)
}

fn record_answer<'a>(
    record: &'a Outgoing,
    line: &'a AnswerLine,
    csv: Option<&str>,
) -> RecordAnswer<'a> {
    let operation: RecordOperation = record.operation;
    let description = line.error_description.as_deref();
    let (state, event) = match line.state {
        RecordState::Correcto => (
            "Correcto",
            AeatEvent::Registered {
                operation,
                csv: csv.map(str::to_owned),
                duplicate: false,
            },
        ),
        RecordState::AceptadoConErrores => (
            "AceptadoConErrores",
            AeatEvent::AcceptedWithErrors {
                operation,
                csv: csv.map(str::to_owned),
                code: line.error_code.unwrap_or_default(),
                description: description.unwrap_or_default().to_owned(),
            },
        ),
        RecordState::Incorrecto if line.is_duplicate() => (
            "Incorrecto",
            AeatEvent::Registered {
                operation,
                csv: None,
                duplicate: true,
            },
        ),
        RecordState::Incorrecto => (
            "Incorrecto",
            AeatEvent::Rejected {
                operation,
                code: line.error_code.unwrap_or_default(),
                description: description.unwrap_or_default().to_owned(),
            },
        ),
    };
    RecordAnswer {
        record,
        state,
        code: line.error_code,
        description,
        duplicate: line.is_duplicate(),
        delivered: line.is_delivered(),
        event,
    }
}

/// An HTTPS client that authenticates with the store's certificate and
/// trusts Mozilla's roots (and the configured ones, for a stand-in).
fn client(config: &Config, identity_pem: &str) -> Result<reqwest::Client, String> {
    let identity = reqwest::Identity::from_pem(identity_pem.as_bytes())
        .map_err(|_| "the store's certificate cannot be used: upload it again".to_owned())?;
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .identity(identity)
        .timeout(SEND_TIMEOUT)
        .https_only(true);
    if !config.verifactu.root_certificates.trim().is_empty() {
        let roots =
            reqwest::Certificate::from_pem_bundle(config.verifactu.root_certificates.as_bytes())
                .map_err(|_| "VERIFACTU_ROOT_CERTIFICATES holds no certificate".to_owned())?;
        for root in roots {
            builder = builder.add_root_certificate(root);
        }
    }
    builder
        .build()
        .map_err(|error| format!("cannot prepare the connection to the AEAT: {error}"))
}

/// Posts the request; the answer's status and body (at most
/// `MAX_ANSWER_BYTES`), or why there is none.
async fn post(
    client: &reqwest::Client,
    endpoint: &str,
    body: String,
) -> Result<(u16, String), String> {
    let mut response = client
        .post(endpoint)
        .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=UTF-8")
        .header("SOAPAction", "\"\"")
        .body(body)
        .send()
        .await
        .map_err(|error| format!("the AEAT could not be reached: {}", without_url(&error)))?;
    let status = response.status().as_u16();
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err("the AEAT's answer is too large".to_owned());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) => {
                return Err(format!(
                    "the AEAT's answer was cut short: {}",
                    without_url(&error)
                ))
            }
        }
    }
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

/// A reqwest error's reason, with its cause, without repeating the URL.
fn without_url(error: &reqwest::Error) -> String {
    use std::error::Error;
    let mut reason = if error.is_timeout() {
        "no answer in time".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "the connection failed".to_owned()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    reason
}
