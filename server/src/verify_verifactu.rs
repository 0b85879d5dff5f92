//! `server verify-verifactu [--organisation ID]`: reads every VERI*FACTU
//! chain (or one organisation's) in sequence order, checks each record's
//! stored XML with `invoice::verifactu::verify_chain` (every huella computed
//! again, every record naming the one before it) and that no sequence is
//! missing, and names the first broken record. For an operator, or an
//! inspector, who must show that the records were never altered.

use std::fmt;
use std::process::ExitCode;

use invoice::organisation::OrganisationId;
use invoice::verifactu::{verify_chain, BreakReason};

use crate::config::database_url_from_env;
use crate::db::verifactu::{chains, records_after, Chain};
use crate::db::Db;
use crate::error::ServerError;

/// Records read per query.
const PAGE: i64 = 1_000;

/// What the verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every chain is whole.
    Intact { records: usize, chains: usize },
    /// The first record that breaks its chain.
    Broken(BrokenRecord),
}

/// A record that breaks its chain, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenRecord {
    pub organisation: OrganisationId,
    pub issuer_nif: String,
    pub sequence: i64,
    /// The invoice number the record carries, when it can be read.
    pub number: Option<String>,
    pub why: String,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Intact { records, chains } => {
                write!(f, "OK: {records} records in {chains} chains")
            }
            Verdict::Broken(broken) => write!(
                f,
                "BROKEN: organisation {}, NIF {}, record {} (invoice {}): {}",
                broken.organisation.0,
                broken.issuer_nif,
                broken.sequence,
                broken.number.as_deref().unwrap_or("unreadable"),
                broken.why
            ),
        }
    }
}

/// Checks every chain of `organisation`, or of all organisations.
pub async fn verify(db: &Db, organisation: Option<OrganisationId>) -> Result<Verdict, ServerError> {
    let chains = chains(db, organisation).await?;
    let mut records = 0;
    for chain in &chains {
        match verify_one(db, chain).await? {
            Ok(count) => records += count,
            Err(broken) => return Ok(Verdict::Broken(broken)),
        }
    }
    Ok(Verdict::Intact {
        records,
        chains: chains.len(),
    })
}

/// One chain: its record count, or its first broken record.
async fn verify_one(db: &Db, chain: &Chain) -> Result<Result<usize, BrokenRecord>, ServerError> {
    let broken = |sequence: i64, number: Option<String>, why: String| BrokenRecord {
        organisation: chain.organisation,
        issuer_nif: chain.issuer_nif.clone(),
        sequence,
        number,
        why,
    };
    // Sequences run 1, 2, 3…: record `index` (from 0) is sequence index + 1.
    let mut last_sequence = 0;
    let mut xmls = Vec::new();
    loop {
        let page = records_after(db, chain.id, last_sequence, PAGE).await?;
        let read = page.len();
        for record in page {
            // A missing sequence is a record deleted from under the chain.
            if record.sequence != last_sequence + 1 {
                return Ok(Err(broken(
                    record.sequence,
                    Some(record.number),
                    format!(
                        "the chain goes from record {last_sequence} to record {}: the records between are missing",
                        record.sequence
                    ),
                )));
            }
            last_sequence = record.sequence;
            xmls.push(record.xml);
        }
        if read < PAGE as usize {
            break;
        }
    }
    Ok(verify_chain(&xmls).map_err(|chain_break| {
        broken(
            chain_break.index as i64 + 1,
            chain_break.number,
            describe(&chain_break.reason),
        )
    }))
}

/// Why a record breaks its chain, for the operator.
fn describe(reason: &BreakReason) -> String {
    match reason {
        BreakReason::Unreadable(why) => format!("its XML cannot be read as a record: {why}"),
        BreakReason::HuellaMismatch { written, computed } => format!(
            "its fields hash to {computed} but it carries the huella {written}: a hashed field or the huella was changed"
        ),
        BreakReason::FirstHasPrevious => {
            "it is the chain's first record but names a record before it".into()
        }
        BreakReason::RestartsChain => {
            "it says it is the first record (PrimerRegistro S) but records come before it".into()
        }
        BreakReason::LinkMismatch { expected, found } => format!(
            "it chains to invoice {} with huella {}, but the record before it is invoice {} with huella {}",
            found.number, found.huella, expected.number, expected.huella
        ),
    }
}

/// `--organisation ID` (or `--organisation=ID`), or nothing for all.
fn organisation_argument(arguments: &[String]) -> Result<Option<OrganisationId>, String> {
    let usage = || "usage: server verify-verifactu [--organisation ID]".to_owned();
    let value = match arguments {
        [] => return Ok(None),
        [flag, value] if flag == "--organisation" => value.as_str(),
        [flag] => flag.strip_prefix("--organisation=").ok_or_else(usage)?,
        _ => return Err(usage()),
    };
    value
        .trim()
        .parse()
        .map(|id| Some(OrganisationId(id)))
        .map_err(|_| format!("--organisation takes an organisation's number, not {value:?}"))
}

/// The command: prints the verdict; exits 0 when every chain is whole, 1
/// when a record is broken, 2 when the chains could not be read.
pub async fn run(arguments: &[String]) -> ExitCode {
    let organisation = match organisation_argument(arguments) {
        Ok(organisation) => organisation,
        Err(usage) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let verdict = match Db::connect(&database_url_from_env()).await {
        Ok(db) => verify(&db, organisation).await,
        Err(error) => Err(error),
    };
    match verdict {
        Ok(verdict) => {
            println!("{verdict}");
            match verdict {
                Verdict::Intact { .. } => ExitCode::SUCCESS,
                Verdict::Broken(_) => ExitCode::FAILURE,
            }
        }
        Err(error) => {
            eprintln!("the VERI*FACTU chains could not be read: {error}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arguments(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_organisation_is_given_as_a_flag_with_its_number_or_not_at_all() {
        assert_eq!(organisation_argument(&[]), Ok(None));
        assert_eq!(
            organisation_argument(&arguments(&["--organisation", "7"])),
            Ok(Some(OrganisationId(7)))
        );
        assert_eq!(
            organisation_argument(&arguments(&["--organisation=12"])),
            Ok(Some(OrganisationId(12)))
        );
        assert!(organisation_argument(&arguments(&["--organisation", "bottega"])).is_err());
        assert!(organisation_argument(&arguments(&["--everything"])).is_err());
        assert!(organisation_argument(&arguments(&["--organisation", "1", "2"])).is_err());
    }
}
