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
        expected: ChainLink,
        found: ChainLink,
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
                            expected,
                            found: found.clone(),
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
