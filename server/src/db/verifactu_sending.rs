//! Sending VERI*FACTU records to the AEAT: the storage of the queue, the
//! AEAT's answers and each store's certificate (migration 0016). The
//! records themselves are 0015's, append-only; the queue is each chain's
//! cursor over them (`answered_through`), moved only in the transaction
//! that records the answers, so what was sent and not recorded is sent
//! again. What the answers mean is `invoice::verifactu`'s and
//! `invoice::aeat`'s; this only stores what `crate::verifactu` decided.

use invoice::aeat::{AeatEvent, CertificateView, RecordOperation, SendingStatus};
use invoice::history::HistoryEvent;
use invoice::organisation::OrganisationId;
use invoice::verifactu::{read_alta, AltaOperation, RecordKind};
use sqlx::{Any, Row, Transaction};

use super::events::append;
use super::Db;
use crate::error::ServerError;
use crate::verifactu::certificate::StoredCertificate;

/// Saves (or replaces) a store's certificate; the chains that hold the
/// store's records try again at once.
pub async fn save_certificate(
    db: &Db,
    organisation: OrganisationId,
    store_id: i64,
    certificate: &StoredCertificate,
    now_ms: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    super::stores::in_organisation(&mut tx, organisation, store_id).await?;
    sqlx::query(
        "INSERT INTO verifactu_certificates (store_id, organisation_id, certificate_pem, private_key_pem, subject, nif, issuer,
                                             not_before, not_after, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (store_id) DO UPDATE SET
             certificate_pem = excluded.certificate_pem, private_key_pem = excluded.private_key_pem,
             subject = excluded.subject, nif = excluded.nif, issuer = excluded.issuer,
             not_before = excluded.not_before, not_after = excluded.not_after, uploaded_at = excluded.uploaded_at",
    )
    .bind(store_id)
    .bind(organisation.0)
    .bind(&certificate.certificate_pem)
    .bind(&certificate.private_key_pem)
    .bind(&certificate.subject)
    .bind(certificate.nif.as_deref())
    .bind(&certificate.issuer)
    .bind(certificate.not_before_ms)
    .bind(certificate.not_after_ms)
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE verifactu_chain_sending SET retry_at = 0
         WHERE organisation_id = $1
           AND chain_id IN (SELECT DISTINCT chain_id FROM verifactu_records WHERE organisation_id = $1 AND store_id = $2)",
    )
    .bind(organisation.0)
    .bind(store_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a store's certificate: its records wait until another is given.
pub async fn remove_certificate(
    db: &Db,
    organisation: OrganisationId,
    store_id: i64,
) -> Result<(), ServerError> {
    let mut tx = db.begin_write().await?;
    super::stores::in_organisation(&mut tx, organisation, store_id).await?;
    sqlx::query("DELETE FROM verifactu_certificates WHERE store_id = $1 AND organisation_id = $2")
        .bind(store_id)
        .bind(organisation.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The store's certificate as its card shows it; another organisation's
/// store is not found.
pub async fn certificate_view(
    db: &Db,
    organisation: OrganisationId,
    store_id: i64,
) -> Result<Option<CertificateView>, ServerError> {
    let mut tx = db.pool.begin().await?;
    super::stores::in_organisation(&mut tx, organisation, store_id).await?;
    let row = sqlx::query(
        "SELECT subject, nif, issuer, not_after, uploaded_at FROM verifactu_certificates
         WHERE store_id = $1 AND organisation_id = $2",
    )
    .bind(store_id)
    .bind(organisation.0)
    .fetch_optional(&mut *tx)
    .await?;
    row.map(|row| {
        Ok(CertificateView {
            subject: row.try_get("subject")?,
            nif: row.try_get("nif")?,
            issuer: row.try_get("issuer")?,
            not_after: row.try_get("not_after")?,
            uploaded_at: row.try_get("uploaded_at")?,
        })
    })
    .transpose()
}

/// The identity a store's records are sent with, and until when it is valid.
pub async fn identity(db: &Db, store_id: i64) -> Result<Option<(String, i64)>, ServerError> {
    let row = sqlx::query(
        "SELECT certificate_pem, private_key_pem, not_after FROM verifactu_certificates WHERE store_id = $1",
    )
    .bind(store_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        let certificate: String = row.try_get("certificate_pem")?;
        let key: String = row.try_get("private_key_pem")?;
        Ok((format!("{key}{certificate}"), row.try_get("not_after")?))
    })
    .transpose()
}

/// A chain with records the AEAT has not answered yet.
#[derive(Debug, Clone)]
pub struct DueChain {
    pub chain_id: i64,
    pub organisation: OrganisationId,
    pub issuer_nif: String,
    pub answered_through: i64,
    pub last_sent_at: Option<i64>,
    pub wait_seconds: u32,
    pub failures: u32,
    pub incident: bool,
    pub pending: usize,
}

/// Every chain, of every organisation, with unanswered records and not
/// backing off or held by another sender at `now_ms`. Whether each may send
/// now (the AEAT's wait) is `invoice::aeat::may_send`'s to say.
pub async fn chains_waiting(db: &Db, now_ms: i64) -> Result<Vec<DueChain>, ServerError> {
    let rows = sqlx::query(
        "SELECT c.id, c.organisation_id, c.issuer_nif, COALESCE(s.answered_through, 0) AS answered_through,
                s.last_sent_at, COALESCE(s.wait_seconds, $2) AS wait_seconds, COALESCE(s.failures, 0) AS failures,
                COALESCE(s.incident, 0) AS incident,
                (SELECT COUNT(*) FROM verifactu_records r
                  WHERE r.chain_id = c.id AND r.sequence > COALESCE(s.answered_through, 0)) AS pending
         FROM verifactu_chains c LEFT JOIN verifactu_chain_sending s ON s.chain_id = c.id
         WHERE COALESCE(s.retry_at, 0) <= $1 AND COALESCE(s.lease_until, 0) <= $1
           AND EXISTS (SELECT 1 FROM verifactu_records r
                        WHERE r.chain_id = c.id AND r.sequence > COALESCE(s.answered_through, 0))
         ORDER BY c.id",
    )
    .bind(now_ms)
    .bind(i64::from(invoice::aeat::INITIAL_WAIT_SECONDS))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DueChain {
                chain_id: row.try_get("id")?,
                organisation: OrganisationId(row.try_get("organisation_id")?),
                issuer_nif: row.try_get("issuer_nif")?,
                answered_through: row.try_get("answered_through")?,
                last_sent_at: row.try_get("last_sent_at")?,
                wait_seconds: u32::try_from(row.try_get::<i64, _>("wait_seconds")?)
                    .unwrap_or(invoice::aeat::INITIAL_WAIT_SECONDS),
                failures: u32::try_from(row.try_get::<i64, _>("failures")?).unwrap_or(u32::MAX),
                incident: row.try_get::<i64, _>("incident")? != 0,
                pending: usize::try_from(row.try_get::<i64, _>("pending")?).unwrap_or(0),
            })
        })
        .collect()
}

/// Takes a chain for one send: false when another sender holds it.
pub async fn claim_chain(
    db: &Db,
    chain: &DueChain,
    now_ms: i64,
    lease_until: i64,
) -> Result<bool, ServerError> {
    Ok(sqlx::query(
        "INSERT INTO verifactu_chain_sending (chain_id, organisation_id, lease_until) VALUES ($1, $2, $3)
         ON CONFLICT (chain_id) DO UPDATE SET lease_until = excluded.lease_until
         WHERE verifactu_chain_sending.lease_until <= $4",
    )
    .bind(chain.chain_id)
    .bind(chain.organisation.0)
    .bind(lease_until)
    .bind(now_ms)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

/// A record waiting to be sent.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub record_id: i64,
    pub sequence: i64,
    pub store_id: i64,
    pub invoice_id: i64,
    pub operation: RecordOperation,
    pub xml: String,
}

/// The chain's next records after `answered_through`, in order, at most
/// `limit`, as the records' own storage reads them.
pub async fn next_records(
    db: &Db,
    chain_id: i64,
    answered_through: i64,
    limit: usize,
) -> Result<Vec<Outgoing>, ServerError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(
        super::verifactu::records_after(db, chain_id, answered_through, limit)
            .await?
            .into_iter()
            .map(|record| Outgoing {
                record_id: record.id,
                sequence: record.sequence,
                store_id: record.store_id,
                invoice_id: record.invoice_id,
                operation: match record.kind {
                    RecordKind::Alta
                        if read_alta(&record.xml)
                            .is_some_and(|(operation, _)| operation != AltaOperation::Initial) =>
                    {
                        RecordOperation::Correction
                    }
                    RecordKind::Alta => RecordOperation::Registration,
                    RecordKind::Anulacion => RecordOperation::Cancellation,
                },
                xml: record.xml,
            })
            .collect(),
    )
}

/// The chain's newest alta, whose `NombreRazonEmisor` names the issuer in
/// the request's header.
pub async fn latest_alta(db: &Db, chain_id: i64) -> Result<Option<String>, ServerError> {
    Ok(sqlx::query_scalar(
        "SELECT xml FROM verifactu_records WHERE chain_id = $1 AND kind = 'alta' ORDER BY sequence DESC LIMIT 1",
    )
    .bind(chain_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// One send, as the submissions log keeps it.
pub struct Submission<'a> {
    pub chain: &'a DueChain,
    pub store_id: i64,
    pub records: &'a [Outgoing],
    pub incident: bool,
    pub sent_at: i64,
}

async fn insert_submission(
    tx: &mut Transaction<'_, Any>,
    submission: &Submission<'_>,
    outcome: &str,
    answer: Option<(&str, Option<&str>, u32)>,
    error: Option<&str>,
    response: Option<&str>,
) -> Result<i64, ServerError> {
    let first = submission
        .records
        .first()
        .map_or(0, |record| record.sequence);
    let last = submission
        .records
        .last()
        .map_or(0, |record| record.sequence);
    let id: i64 = sqlx::query(
        "INSERT INTO verifactu_submissions (organisation_id, chain_id, store_id, first_sequence, last_sequence, records, incident,
                                            sent_at, outcome, state, csv, wait_seconds, error, response)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING id",
    )
    .bind(submission.chain.organisation.0)
    .bind(submission.chain.chain_id)
    .bind(submission.store_id)
    .bind(first)
    .bind(last)
    .bind(i64::try_from(submission.records.len()).unwrap_or(i64::MAX))
    .bind(i64::from(submission.incident))
    .bind(submission.sent_at)
    .bind(outcome)
    .bind(answer.map(|(state, _, _)| state))
    .bind(answer.and_then(|(_, csv, _)| csv))
    .bind(answer.map(|(_, _, wait)| i64::from(wait)))
    .bind(error)
    .bind(response)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    Ok(id)
}

/// The AEAT's verdict on one record of a send.
pub struct RecordAnswer<'a> {
    pub record: &'a Outgoing,
    /// Correcto | AceptadoConErrores | Incorrecto
    pub state: &'static str,
    pub code: Option<u32>,
    pub description: Option<&'a str>,
    pub duplicate: bool,
    pub delivered: bool,
    /// What the invoice's history says, when the record had no final
    /// answer before (a duplicate of a record already answered says nothing).
    pub event: AeatEvent,
}

/// Records an answered send in one transaction: the send, each record's
/// answer, the history entries of records answered for the first time,
/// and the chain moved past `answered_through` with the AEAT's wait.
pub async fn record_answers(
    db: &Db,
    submission: &Submission<'_>,
    answer: (&str, Option<&str>, u32),
    response: &str,
    answers: &[RecordAnswer<'_>],
    answered_through: i64,
) -> Result<(), ServerError> {
    let organisation = submission.chain.organisation;
    let now_ms = submission.sent_at;
    let mut tx = db.begin_write().await?;
    let submission_id = insert_submission(
        &mut tx,
        submission,
        "answered",
        Some(answer),
        None,
        Some(response),
    )
    .await?;
    for record_answer in answers {
        let answered_before: Option<i64> =
            sqlx::query_scalar("SELECT id FROM verifactu_answers WHERE record_id = $1 LIMIT 1")
                .bind(record_answer.record.record_id)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO verifactu_answers (organisation_id, record_id, submission_id, state, code, description, csv, duplicate,
                                            delivered, answered_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(organisation.0)
        .bind(record_answer.record.record_id)
        .bind(submission_id)
        .bind(record_answer.state)
        .bind(record_answer.code.map(i64::from))
        .bind(record_answer.description)
        .bind(answer.1)
        .bind(i64::from(record_answer.duplicate))
        .bind(i64::from(record_answer.delivered))
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        if answered_before.is_none() {
            append(
                &mut tx,
                organisation,
                record_answer.record.invoice_id,
                &HistoryEvent::Aeat(record_answer.event.clone()),
                None,
                now_ms,
            )
            .await?;
        }
    }
    sqlx::query(
        "UPDATE verifactu_chain_sending SET answered_through = $1, wait_seconds = $2, last_sent_at = $3, next_send_at = $4,
                retry_at = 0, lease_until = 0, failures = 0, failing_since = NULL, last_error = NULL, incident = 0
         WHERE chain_id = $5",
    )
    .bind(answered_through)
    .bind(i64::from(answer.2))
    .bind(now_ms)
    .bind(now_ms + i64::from(answer.2) * 1000)
    .bind(submission.chain.chain_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Why a chain's send got no answer.
pub struct Failure<'a> {
    /// What the store's page says (the network's or the AEAT's words).
    pub error: &'a str,
    pub response: Option<&'a str>,
    pub retry_at: i64,
    /// A request went out (or was tried): the AEAT could not be reached or
    /// refused the whole send. The next send carries Incidencia S, and on
    /// the first failure of a streak each record tells its invoice's
    /// history once. False when nothing could be tried (no certificate).
    pub attempted: bool,
}

/// Records a send that got no answer; the chain backs off until `retry_at`.
pub async fn record_failure(
    db: &Db,
    submission: &Submission<'_>,
    failure: &Failure<'_>,
) -> Result<(), ServerError> {
    let now_ms = submission.sent_at;
    let mut tx = db.begin_write().await?;
    if failure.attempted {
        insert_submission(
            &mut tx,
            submission,
            "failed",
            None,
            Some(failure.error),
            failure.response,
        )
        .await?;
        if submission.chain.failures == 0 {
            for record in submission.records {
                let event = AeatEvent::Unreachable {
                    operation: record.operation,
                    reason: failure.error.to_owned(),
                };
                append(
                    &mut tx,
                    submission.chain.organisation,
                    record.invoice_id,
                    &HistoryEvent::Aeat(event),
                    None,
                    now_ms,
                )
                .await?;
            }
        }
    }
    sqlx::query(
        "UPDATE verifactu_chain_sending SET retry_at = $1, lease_until = 0, failures = failures + 1,
                failing_since = COALESCE(failing_since, $2), last_error = $3,
                incident = CASE WHEN $4 = 1 THEN 1 ELSE incident END
         WHERE chain_id = $5",
    )
    .bind(failure.retry_at)
    .bind(now_ms)
    .bind(failure.error)
    .bind(i64::from(failure.attempted))
    .bind(submission.chain.chain_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How the records of a store's chains are going: pending and rejected
/// records, and the failure of the chain that fails, if one does.
pub async fn status(
    db: &Db,
    organisation: OrganisationId,
    store_id: i64,
    now_ms: i64,
) -> Result<SendingStatus, ServerError> {
    let mut tx = db.pool.begin().await?;
    super::stores::in_organisation(&mut tx, organisation, store_id).await?;
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM verifactu_records r LEFT JOIN verifactu_chain_sending s ON s.chain_id = r.chain_id
         WHERE r.organisation_id = $1 AND r.store_id = $2 AND r.sequence > COALESCE(s.answered_through, 0)",
    )
    .bind(organisation.0)
    .bind(store_id)
    .fetch_one(&mut *tx)
    .await?;
    let rejected: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT a.record_id) FROM verifactu_answers a JOIN verifactu_records r ON r.id = a.record_id
         WHERE r.organisation_id = $1 AND r.store_id = $2 AND a.delivered = 0
           AND NOT EXISTS (SELECT 1 FROM verifactu_answers d WHERE d.record_id = a.record_id AND d.delivered = 1)",
    )
    .bind(organisation.0)
    .bind(store_id)
    .fetch_one(&mut *tx)
    .await?;
    let failing = sqlx::query(
        "SELECT s.failing_since, s.last_error, s.retry_at FROM verifactu_chain_sending s
         WHERE s.organisation_id = $1 AND s.failing_since IS NOT NULL
           AND s.chain_id IN (SELECT DISTINCT chain_id FROM verifactu_records WHERE organisation_id = $1 AND store_id = $2)
         ORDER BY s.failing_since LIMIT 1",
    )
    .bind(organisation.0)
    .bind(store_id)
    .fetch_optional(&mut *tx)
    .await?;
    let certificate_until: Option<i64> = sqlx::query_scalar(
        "SELECT not_after FROM verifactu_certificates WHERE store_id = $1 AND organisation_id = $2",
    )
    .bind(store_id)
    .bind(organisation.0)
    .fetch_optional(&mut *tx)
    .await?;
    let usable_certificate = certificate_until.is_some_and(|until| until > now_ms);
    let (failing_since, last_error, retry_at) = match failing {
        Some(row) => (
            row.try_get("failing_since")?,
            row.try_get("last_error")?,
            Some(row.try_get("retry_at")?),
        ),
        None => (None, None, None),
    };
    Ok(SendingStatus {
        pending,
        rejected,
        failing_since,
        last_error,
        retry_at,
        needs_certificate: pending > 0 && !usable_certificate,
        certificate_expired: certificate_until.is_some_and(|until| until <= now_ms),
    })
}
