//! Working on many invoices at once from the list: send them, send
//! reminders, or take their PDFs as one ZIP. The rules here are pure: what a
//! selection may hold, the key that makes a second click of the same
//! selection send nothing, what became of each invoice and how the merchant
//! is told, and the ZIP's file names.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::i18n::Language;
use crate::problem::Problem;

/// The most invoices one bulk action takes: a page of the list and more,
/// small enough that a send finishes within a request.
pub const MAX_SELECTED: usize = 100;

/// What the merchant asked for the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkAction {
    Send,
    Remind,
    Zip,
}

impl BulkAction {
    pub fn code(self) -> &'static str {
        match self {
            BulkAction::Send => "send",
            BulkAction::Remind => "remind",
            BulkAction::Zip => "zip",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [BulkAction::Send, BulkAction::Remind, BulkAction::Zip]
            .into_iter()
            .find(|action| action.code() == code)
    }

    /// The outcome page's title.
    pub fn title(self, language: Language) -> &'static str {
        match (self, language) {
            (BulkAction::Send, Language::En) => "Sending the selected invoices",
            (BulkAction::Send, Language::It) => "Invio delle fatture selezionate",
            (BulkAction::Send, Language::Es) => "Envío de las facturas seleccionadas",
            (BulkAction::Remind, Language::En) => "Reminders for the selected invoices",
            (BulkAction::Remind, Language::It) => "Solleciti per le fatture selezionate",
            (BulkAction::Remind, Language::Es) => "Recordatorios de las facturas seleccionadas",
            (BulkAction::Zip, Language::En) => "PDFs of the selected invoices",
            (BulkAction::Zip, Language::It) => "PDF delle fatture selezionate",
            (BulkAction::Zip, Language::Es) => "PDF de las facturas seleccionadas",
        }
    }
}

/// The invoice ids of a submitted selection, each once, in the order ticked:
/// refused when empty, when one is not an id, or past [`MAX_SELECTED`].
pub fn selection<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<Vec<i64>, Problem> {
    let mut selected: Vec<i64> = Vec::new();
    for id in ids {
        let id: i64 = id.trim().parse().map_err(|_| Problem::NothingSelected)?;
        if !selected.contains(&id) {
            selected.push(id);
        }
        if selected.len() > MAX_SELECTED {
            return Err(Problem::TooManySelected { max: MAX_SELECTED });
        }
    }
    if selected.is_empty() {
        return Err(Problem::NothingSelected);
    }
    Ok(selected)
}

/// The key a submitted selection is done under: the form's random key with
/// the action and the invoices. The same form submitted twice gives the same
/// key (the second finds the first's outcome and sends nothing); the same
/// page submitted again with another selection or action is new work.
pub fn selection_key(form_key: &str, action: BulkAction, ids: &[i64]) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    let mut hash = Sha256::new();
    hash.update(form_key.as_bytes());
    hash.update([0]);
    hash.update(action.code().as_bytes());
    for id in sorted {
        hash.update(id.to_be_bytes());
    }
    hash.finalize()[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// What became of one invoice of a bulk send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemOutcome {
    /// Queued: the email leaves with the outbox.
    Sent,
    /// The reminder is queued.
    Reminded,
    /// Not sent, by the send dialog's rules: a draft, void, nothing due, no
    /// address, sending off.
    Skipped { reason: Problem },
    /// Today's sending limit of the organisation was reached first.
    OverLimit { limit: i64 },
    /// Not an invoice of this organisation (or no longer there).
    NotFound,
    /// An error on Invio's side; nothing was sent, trying again may work.
    Failed,
}

impl ItemOutcome {
    /// A stable name, for styling and for tests.
    pub fn code(&self) -> &'static str {
        match self {
            ItemOutcome::Sent => "sent",
            ItemOutcome::Reminded => "reminded",
            ItemOutcome::Skipped { .. } => "skipped",
            ItemOutcome::OverLimit { .. } => "over-limit",
            ItemOutcome::NotFound => "not-found",
            ItemOutcome::Failed => "failed",
        }
    }

    /// Whether the email left (or was already on its way) for this invoice.
    pub fn succeeded(&self) -> bool {
        matches!(self, ItemOutcome::Sent | ItemOutcome::Reminded)
    }

    /// What the merchant reads beside the invoice.
    pub fn message(&self, language: Language) -> String {
        let pick = |en: &str, it: &str, es: &str| -> String {
            match language {
                Language::En => en.to_owned(),
                Language::It => it.to_owned(),
                Language::Es => es.to_owned(),
            }
        };
        match self {
            ItemOutcome::Sent => pick("Sent", "Inviata", "Enviada"),
            ItemOutcome::Reminded => {
                pick("Reminder sent", "Sollecito inviato", "Recordatorio enviado")
            }
            ItemOutcome::Skipped { reason } => {
                format!(
                    "{} {}",
                    pick("Skipped:", "Saltata:", "Omitida:"),
                    reason.message(language)
                )
            }
            ItemOutcome::OverLimit { limit } => match language {
                Language::En => format!(
                    "Not sent: today's limit of {limit} emails is reached. Try again tomorrow."
                ),
                Language::It => format!(
                    "Non inviata: raggiunto il limite di oggi di {limit} email. Riprova domani."
                ),
                Language::Es => format!(
                    "No enviada: se alcanzó el límite de hoy de {limit} emails. Inténtalo mañana."
                ),
            },
            ItemOutcome::NotFound => pick("Not found", "Non trovata", "No encontrada"),
            ItemOutcome::Failed => pick(
                "Failed: an error on our side; nothing was sent. Try again.",
                "Non riuscita: un errore nostro; non è partito nulla. Riprova.",
                "Fallida: un error nuestro; no se envió nada. Inténtalo de nuevo.",
            ),
        }
    }
}

/// One invoice of a bulk send and what became of it. An invoice that is
/// not the organisation's carries only the id the merchant sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkItem {
    pub invoice_id: i64,
    pub number: Option<String>,
    pub customer_name: String,
    pub outcome: ItemOutcome,
}

/// The outcome of one submitted selection, kept under its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkReport {
    pub action: BulkAction,
    pub items: Vec<BulkItem>,
}

impl BulkReport {
    /// How many went, out of how many were selected.
    pub fn summary(&self, language: Language) -> String {
        let done = self
            .items
            .iter()
            .filter(|item| item.outcome.succeeded())
            .count();
        let all = self.items.len();
        match language {
            Language::En => format!("{done} of {all} done."),
            Language::It => format!("{done} di {all} completate."),
            Language::Es => format!("{done} de {all} completadas."),
        }
    }
}

/// The ZIP's entry for each invoice number: `<number>.pdf`, written so that
/// every system can create the file (no separators, reserved characters or
/// device names; not ending in a dot or a space) and each name once.
pub fn zip_entry_names<'a>(numbers: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for number in numbers {
        let stem = safe_stem(number);
        let mut name = format!("{stem}.pdf");
        let mut copy = 2;
        while names.iter().any(|taken| taken.eq_ignore_ascii_case(&name)) {
            name = format!("{stem}-{copy}.pdf");
            copy += 1;
        }
        names.push(name);
    }
    names
}

/// Names Windows keeps for devices, whatever the extension.
const RESERVED_STEMS: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// The longest stem kept: well under every file system's 255 bytes.
const MAX_STEM_CHARS: usize = 100;

fn safe_stem(number: &str) -> String {
    let replaced: String = number
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '-',
            c if c.is_control() => '-',
            c => c,
        })
        .take(MAX_STEM_CHARS)
        .collect();
    let trimmed = replaced.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return "invoice".to_owned();
    }
    if RESERVED_STEMS
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(trimmed))
    {
        return format!("_{trimmed}");
    }
    trimmed.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_keeps_each_invoice_once_in_the_order_ticked() {
        assert_eq!(selection(["3", "1", "3", " 2 "]), Ok(vec![3, 1, 2]));
    }

    #[test]
    fn an_empty_selection_or_one_that_is_not_ids_is_refused() {
        assert_eq!(selection([]), Err(Problem::NothingSelected));
        assert_eq!(selection(["1", "one"]), Err(Problem::NothingSelected));
    }

    #[test]
    fn more_than_a_hundred_invoices_are_refused_and_a_hundred_are_taken() {
        let hundred: Vec<String> = (1..=100).map(|id| id.to_string()).collect();
        assert_eq!(
            selection(hundred.iter().map(String::as_str)).map(|ids| ids.len()),
            Ok(100)
        );
        let more: Vec<String> = (1..=101).map(|id| id.to_string()).collect();
        assert_eq!(
            selection(more.iter().map(String::as_str)),
            Err(Problem::TooManySelected { max: 100 })
        );
    }

    #[test]
    fn the_same_form_and_selection_give_the_same_key_and_anything_else_another() {
        let key = selection_key("form-1", BulkAction::Send, &[1, 2, 3]);
        assert_eq!(key, selection_key("form-1", BulkAction::Send, &[3, 2, 1]));
        assert_ne!(key, selection_key("form-1", BulkAction::Remind, &[1, 2, 3]));
        assert_ne!(key, selection_key("form-1", BulkAction::Send, &[1, 2]));
        assert_ne!(key, selection_key("form-2", BulkAction::Send, &[1, 2, 3]));
        assert_eq!(key.len(), 32);
    }

    #[test]
    fn each_outcome_is_told_in_the_merchants_language() {
        let skipped = ItemOutcome::Skipped {
            reason: Problem::InvoiceIsDraft,
        };
        assert!(skipped.message(Language::It).starts_with("Saltata: "));
        assert!(skipped.message(Language::Es).starts_with("Omitida: "));
        assert!(ItemOutcome::OverLimit { limit: 200 }
            .message(Language::En)
            .contains("200 emails"));
        assert_eq!(ItemOutcome::NotFound.message(Language::It), "Non trovata");
    }

    #[test]
    fn the_summary_counts_what_went() {
        let item = |outcome| BulkItem {
            invoice_id: 1,
            number: None,
            customer_name: String::new(),
            outcome,
        };
        let report = BulkReport {
            action: BulkAction::Send,
            items: vec![item(ItemOutcome::Sent), item(ItemOutcome::NotFound)],
        };
        assert_eq!(report.summary(Language::En), "1 of 2 done.");
    }

    #[test]
    fn zip_entries_are_the_numbers_made_safe_for_every_system() {
        assert_eq!(
            zip_entry_names(["2026/0001", "A:B*C?", "con", " .hidden. ", "", "x\u{0}y"]),
            vec![
                "2026-0001.pdf",
                "A-B-C-.pdf",
                "_con.pdf",
                "hidden.pdf",
                "invoice.pdf",
                "x-y.pdf",
            ]
        );
    }

    #[test]
    fn two_numbers_that_end_up_alike_get_two_names() {
        assert_eq!(
            zip_entry_names(["2026/1", "2026-1", "2026\\1"]),
            vec!["2026-1.pdf", "2026-1-2.pdf", "2026-1-3.pdf"]
        );
    }
}
