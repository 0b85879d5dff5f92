//! Checking the stored chain: each record element is read back as stored,
//! its huella is computed again from its own fields and compared with the
//! one it carries, and its `RegistroAnterior` must name the record before
//! it (the first says `PrimerRegistro` S). The first record that fails is
//! named, with why.

use roxmltree::{Document, Node};

use super::huella::{alta_huella, anulacion_huella, AltaHashFields, AnulacionHashFields};
use super::{ChainLink, InvoiceId, SF_NAMESPACE};

/// Which kind of record an element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RecordKind {
    Alta,
    Anulacion,
}

/// A record element read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub kind: RecordKind,
    /// The invoice the record is about.
    pub id: InvoiceId,
    /// `RegistroAnterior`, or `None` when it says `PrimerRegistro` S.
    pub previous: Option<ChainLink>,
    /// The huella written in the record.
    pub huella: String,
    /// The huella its fields hash to.
    pub computed_huella: String,
}

impl StoredRecord {
    /// What the next record's `RegistroAnterior` must say.
    pub fn link(&self) -> ChainLink {
        ChainLink {
            issuer_nif: self.id.issuer_nif.clone(),
            number: self.id.number.clone(),
            issue_date: self.id.issue_date.clone(),
            huella: self.huella.clone(),
        }
    }
}

/// Why a record breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakReason {
    /// Not a record element: not XML, or a field is missing.
    Unreadable(String),
    /// Its fields do not hash to the huella it carries: a hashed field or
    /// the huella was changed.
    HuellaMismatch { written: String, computed: String },
    /// The first record does not say `PrimerRegistro` S.
    FirstHasPrevious,
    /// A later record says `PrimerRegistro` S.
    RestartsChain,
    /// Its `RegistroAnterior` does not name the record before it.
    LinkMismatch {
        expected: Box<ChainLink>,
        found: Box<ChainLink>,
    },
}

/// The first record that breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// Its position in the sequence, from 0.
    pub index: usize,
    /// Its invoice number, when it could be read.
    pub number: Option<String>,
    pub reason: BreakReason,
}

/// Checks `records` (the stored elements, in sequence order) and returns
/// how many there are, or the first that breaks the chain.
pub fn verify_chain<S: AsRef<str>>(records: &[S]) -> Result<usize, ChainBreak> {
    let mut previous: Option<StoredRecord> = None;
    for (index, xml) in records.iter().enumerate() {
        let broken = |number: Option<String>, reason| ChainBreak {
            index,
            number,
            reason,
        };
        let record = parse_record(xml.as_ref()).map_err(|why| broken(None, why))?;
        let number = Some(record.id.number.clone());
        if record.computed_huella != record.huella {
            return Err(broken(
                number,
                BreakReason::HuellaMismatch {
                    written: record.huella.clone(),
                    computed: record.computed_huella.clone(),
                },
            ));
        }
        match (&previous, &record.previous) {
            (None, None) => {}
            (None, Some(_)) => return Err(broken(number, BreakReason::FirstHasPrevious)),
            (Some(_), None) => return Err(broken(number, BreakReason::RestartsChain)),
            (Some(before), Some(found)) => {
                let expected = before.link();
                if *found != expected {
                    return Err(broken(
                        number,
                        BreakReason::LinkMismatch {
                            expected: Box::new(expected),
                            found: Box::new(found.clone()),
                        },
                    ));
                }
            }
        }
        previous = Some(record);
    }
    Ok(records.len())
}

fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|child| {
        child.is_element()
            && child.tag_name().name() == name
            && child.tag_name().namespace() == Some(SF_NAMESPACE)
    })
}

/// The text of the element at `path` below `node`, trimmed as the huella
/// takes it; an element present but empty is "".
fn text(node: Node<'_, '_>, path: &[&'static str]) -> Result<String, BreakReason> {
    let mut current = node;
    for name in path {
        current = child(current, name)
            .ok_or_else(|| BreakReason::Unreadable(format!("no {}", path.join("/"))))?;
    }
    Ok(current.text().unwrap_or_default().trim().to_owned())
}

fn chain_link(record: Node<'_, '_>) -> Result<Option<ChainLink>, BreakReason> {
    let chain = child(record, "Encadenamiento")
        .ok_or_else(|| BreakReason::Unreadable("no Encadenamiento".into()))?;
    if let Some(first) = child(chain, "PrimerRegistro") {
        return match first.text().map(str::trim) {
            Some("S") => Ok(None),
            _ => Err(BreakReason::Unreadable("PrimerRegistro is not S".into())),
        };
    }
    let anterior = child(chain, "RegistroAnterior")
        .ok_or_else(|| BreakReason::Unreadable("no PrimerRegistro nor RegistroAnterior".into()))?;
    Ok(Some(ChainLink {
        issuer_nif: text(anterior, &["IDEmisorFactura"])?,
        number: text(anterior, &["NumSerieFactura"])?,
        issue_date: text(anterior, &["FechaExpedicionFactura"])?,
        huella: text(anterior, &["Huella"])?,
    }))
}

/// Reads one stored record element (`RegistroAlta` or `RegistroAnulacion`
/// of `SuministroInformacion.xsd`, whatever its prefix) and hashes its
/// fields again.
pub fn parse_record(xml: &str) -> Result<StoredRecord, BreakReason> {
    let document =
        Document::parse(xml).map_err(|error| BreakReason::Unreadable(error.to_string()))?;
    let root = document.root_element();
    if root.tag_name().namespace() != Some(SF_NAMESPACE) {
        return Err(BreakReason::Unreadable(
            "not in SuministroInformacion's namespace".into(),
        ));
    }
    let previous = chain_link(root)?;
    let previous_huella = previous.as_ref().map_or("", |link| link.huella.as_str());
    let generated_at = text(root, &["FechaHoraHusoGenRegistro"])?;
    let huella = text(root, &["Huella"])?;
    match root.tag_name().name() {
        "RegistroAlta" => {
            let id = InvoiceId {
                issuer_nif: text(root, &["IDFactura", "IDEmisorFactura"])?,
                number: text(root, &["IDFactura", "NumSerieFactura"])?,
                issue_date: text(root, &["IDFactura", "FechaExpedicionFactura"])?,
            };
            let computed_huella = alta_huella(&AltaHashFields {
                issuer_nif: &id.issuer_nif,
                number: &id.number,
                issue_date: &id.issue_date,
                invoice_type: &text(root, &["TipoFactura"])?,
                tax_total: &text(root, &["CuotaTotal"])?,
                total: &text(root, &["ImporteTotal"])?,
                previous_huella,
                generated_at: &generated_at,
            });
            Ok(StoredRecord {
                kind: RecordKind::Alta,
                id,
                previous,
                huella,
                computed_huella,
            })
        }
        "RegistroAnulacion" => {
            let id = InvoiceId {
                issuer_nif: text(root, &["IDFactura", "IDEmisorFacturaAnulada"])?,
                number: text(root, &["IDFactura", "NumSerieFacturaAnulada"])?,
                issue_date: text(root, &["IDFactura", "FechaExpedicionFacturaAnulada"])?,
            };
            let computed_huella = anulacion_huella(&AnulacionHashFields {
                issuer_nif: &id.issuer_nif,
                number: &id.number,
                issue_date: &id.issue_date,
                previous_huella,
                generated_at: &generated_at,
            });
            Ok(StoredRecord {
                kind: RecordKind::Anulacion,
                id,
                previous,
                huella,
                computed_huella,
            })
        }
        other => Err(BreakReason::Unreadable(format!("{other} is not a record"))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::samples::chain;
    use super::*;

    fn stored() -> Vec<String> {
        chain().into_iter().map(|record| record.xml).collect()
    }

    fn first_break(records: &[String]) -> (usize, Option<String>, BreakReason) {
        let broken = verify_chain(records).expect_err("the chain is broken");
        (broken.index, broken.number, broken.reason)
    }

    #[test]
    fn a_chain_of_invoices_a_credit_note_and_a_cancellation_verifies() {
        let records = stored();
        assert_eq!(verify_chain(&records), Ok(5));
        let read = parse_record(&records[2]).expect("readable");
        assert_eq!(read.kind, RecordKind::Alta);
        assert_eq!(read.id.number, "NC-2026-0001");
        assert_eq!(
            parse_record(&records[4]).map(|record| record.kind),
            Ok(RecordKind::Anulacion)
        );
        assert_eq!(verify_chain::<&str>(&[]), Ok(0));
    }

    #[test]
    fn a_changed_amount_breaks_that_record_s_huella() {
        let mut records = stored();
        assert!(records[2].contains("<sf:ImporteTotal>-60.50</sf:ImporteTotal>"));
        records[2] = records[2].replace(
            "<sf:ImporteTotal>-60.50</sf:ImporteTotal>",
            "<sf:ImporteTotal>-6.50</sf:ImporteTotal>",
        );
        let (index, number, reason) = first_break(&records);
        assert_eq!((index, number.as_deref()), (2, Some("NC-2026-0001")));
        assert!(
            matches!(reason, BreakReason::HuellaMismatch { .. }),
            "{reason:?}"
        );
    }

    #[test]
    fn a_huella_rewritten_to_match_a_change_breaks_the_next_record_s_link() {
        let mut records = stored();
        let original = parse_record(&records[1]).expect("readable");
        let forged = "0".repeat(64);
        records[1] = records[1].replace(
            &format!("<sf:Huella>{}</sf:Huella>", original.huella),
            &format!("<sf:Huella>{forged}</sf:Huella>"),
        );
        // The forged huella no longer matches the record's own fields.
        let (index, _, reason) = first_break(&records);
        assert_eq!(index, 1);
        assert_eq!(
            reason,
            BreakReason::HuellaMismatch {
                written: forged,
                computed: original.huella,
            }
        );
    }

    #[test]
    fn a_changed_link_breaks_the_record_that_carries_it() {
        let mut records = stored();
        records[3] = records[3].replace(
            "<sf:NumSerieFactura>NC-2026-0001</sf:NumSerieFactura><sf:FechaExpedicionFactura>",
            "<sf:NumSerieFactura>NC-2026-0009</sf:NumSerieFactura><sf:FechaExpedicionFactura>",
        );
        let (index, number, reason) = first_break(&records);
        assert_eq!((index, number.as_deref()), (3, Some("2026-0003")));
        let BreakReason::LinkMismatch { expected, found } = reason else {
            panic!("{reason:?}")
        };
        assert_eq!(
            (expected.number.as_str(), found.number.as_str()),
            ("NC-2026-0001", "NC-2026-0009")
        );
    }

    #[test]
    fn a_deleted_record_breaks_the_one_after_the_gap() {
        let mut records = stored();
        records.remove(2);
        let (index, number, reason) = first_break(&records);
        assert_eq!((index, number.as_deref()), (2, Some("2026-0003")));
        assert!(matches!(reason, BreakReason::LinkMismatch { .. }));
    }

    #[test]
    fn a_reordered_chain_is_named_at_the_first_misplaced_record() {
        let mut records = stored();
        records.swap(1, 2);
        let (index, number, _) = first_break(&records);
        assert_eq!((index, number.as_deref()), (1, Some("NC-2026-0001")));
    }

    #[test]
    fn a_chain_that_starts_late_or_restarts_is_named() {
        let mut records = stored();
        records.remove(0);
        assert_eq!(first_break(&records).2, BreakReason::FirstHasPrevious);
        let mut restarted = stored();
        restarted.push(restarted[0].clone());
        assert_eq!(
            first_break(&restarted),
            (5, Some("2026-0001".into()), BreakReason::RestartsChain)
        );
    }

    #[test]
    fn something_that_is_not_a_record_is_named_as_unreadable() {
        let mut records = stored();
        records[1] = "<sf:RegistroAlta".into();
        assert!(matches!(
            first_break(&records),
            (1, None, BreakReason::Unreadable(_))
        ));
        records[1] = format!("<x:Otro xmlns:x=\"{SF_NAMESPACE}\"/>");
        assert!(matches!(
            first_break(&records),
            (1, None, BreakReason::Unreadable(_))
        ));
    }
}
