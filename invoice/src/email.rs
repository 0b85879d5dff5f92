//! The emails Invio sends: an invoice or a reminder to a customer (and its
//! copies), and the notice to the merchant when one of them fails.
//!
//! The merchant edits the subject and message of each send; what they see
//! in the send dialog's preview is [`compose`] of exactly what is sent.

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::document::{EmailAddress, PublicDocument};
use crate::i18n::{fill, text, Text};
use crate::problem::{FieldError, Problem};
use crate::status::Lifecycle;
use crate::store::{message_text, parse_address_list, subject_text};
use crate::{Language, Money};

/// Why an invoice is emailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailPurpose {
    #[default]
    Invoice,
    Reminder,
}

impl EmailPurpose {
    pub fn code(self) -> &'static str {
        match self {
            EmailPurpose::Invoice => "invoice",
            EmailPurpose::Reminder => "reminder",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "invoice" => Some(EmailPurpose::Invoice),
            "reminder" => Some(EmailPurpose::Reminder),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailContent {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// Days past the due date on `today`; zero before it or without one.
pub fn days_overdue(due_date: Option<Date>, today: Date) -> i64 {
    due_date.map_or(0, |due| {
        (today.days_since_epoch() - due.days_since_epoch()).max(0)
    })
}

/// The variables a subject or message may use, in the document's language:
/// `{customer}`, `{number}`, `{total}`, `{amount_due}`, `{due_date}`,
/// `{days_overdue}`, `{store}`, and for a credit note `{corrected}` (the
/// number of the invoice it corrects).
pub fn template_values(
    document: &PublicDocument,
    amount_due: Money,
    today: Date,
) -> Vec<(&'static str, String)> {
    let language = document.language;
    vec![
        ("customer", document.customer.name.clone()),
        ("number", document.number.clone()),
        ("total", document.totals.total.format(language)),
        ("amount_due", amount_due.format(language)),
        (
            "due_date",
            document
                .due_date
                .map(|due| due.format(language))
                .unwrap_or_default(),
        ),
        (
            "days_overdue",
            days_overdue(document.due_date, today).to_string(),
        ),
        ("store", document.seller.name.clone()),
        (
            "corrected",
            document
                .corrected_invoice()
                .map(|(number, _)| number.to_owned())
                .unwrap_or_default(),
        ),
    ]
}

/// The subject and message a send starts from: the store's own templates
/// when it wrote them, Invio's wording in the customer's language otherwise,
/// with the variables filled in. A credit note always starts from Invio's
/// wording for credit notes: the store's templates speak of an invoice.
/// Invio's wording names a Spanish simplified invoice so.
pub fn prefill(
    purpose: EmailPurpose,
    store_subject: &str,
    store_message: &str,
    document: &PublicDocument,
    amount_due: Money,
    today: Date,
) -> (String, String) {
    let language = document.language;
    let credit_note = document.kind() == crate::document::DocumentKind::CreditNote;
    let (store_subject, store_message) = if credit_note {
        ("", "")
    } else {
        (store_subject, store_message)
    };
    let (default_subject, default_message) = match purpose {
        EmailPurpose::Invoice if credit_note => {
            (Text::CreditNoteEmailSubject, Text::CreditNoteEmailMessage)
        }
        EmailPurpose::Invoice if document.simplified => (
            Text::SimplifiedInvoiceEmailSubject,
            Text::SimplifiedInvoiceEmailMessage,
        ),
        EmailPurpose::Invoice => (Text::EmailSubject, Text::EmailMessage),
        EmailPurpose::Reminder if days_overdue(document.due_date, today) > 0 => {
            (Text::ReminderSubject, Text::ReminderMessageOverdue)
        }
        EmailPurpose::Reminder => (Text::ReminderSubject, Text::ReminderMessageBeforeDue),
    };
    let pick = |own: &str, key| match own.trim() {
        "" => text(language, key).to_owned(),
        own => own.to_owned(),
    };
    let values = template_values(document, amount_due, today);
    let values: Vec<(&str, &str)> = values
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    (
        fill(&pick(store_subject, default_subject), &values),
        fill(&pick(store_message, default_message), &values),
    )
}

/// Why an invoice cannot be emailed for `purpose`, if it cannot: drafts and
/// void invoices are never sent, and a reminder needs a due date and
/// something left to pay.
pub fn send_refusal(
    lifecycle: Lifecycle,
    purpose: EmailPurpose,
    due_date: Option<Date>,
    amount_due_minor: i64,
) -> Option<Problem> {
    match (lifecycle, purpose) {
        (Lifecycle::Draft, _) => Some(Problem::InvoiceIsDraft),
        (Lifecycle::Void, _) => Some(Problem::AlreadyVoid),
        (Lifecycle::Issued, EmailPurpose::Invoice) => None,
        (Lifecycle::Issued, EmailPurpose::Reminder) if amount_due_minor <= 0 => {
            Some(Problem::NothingDue)
        }
        (Lifecycle::Issued, EmailPurpose::Reminder) if due_date.is_none() => {
            Some(Problem::NoDueDate)
        }
        (Lifecycle::Issued, EmailPurpose::Reminder) => None,
    }
}

/// The longest subject and message a merchant may send.
pub const MAX_SUBJECT: usize = 200;
pub const MAX_MESSAGE: usize = 5000;

/// A send as the merchant typed it in the dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SendInput {
    /// One or more addresses, separated by `;` or `,`.
    pub to: String,
    pub subject: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSend {
    pub to: Vec<EmailAddress>,
    pub subject: String,
    pub message: String,
}

impl SendInput {
    /// Checks every field; subjects never carry line breaks (they would
    /// become extra mail headers).
    pub fn validate(&self) -> Result<ValidSend, Vec<FieldError>> {
        let mut errors = Vec::new();
        // To is one line; a line break in it is an attempt at another header.
        let to = match parse_address_list(&self.to) {
            _ if self.to.contains(['\r', '\n']) => {
                errors.push(FieldError::new("to", Problem::HeaderInjection));
                None
            }
            Ok(to) if to.is_empty() => {
                errors.push(FieldError::new("to", Problem::Required));
                None
            }
            Ok(to) => Some(to),
            Err(problem) => {
                errors.push(FieldError::new("to", problem));
                None
            }
        };
        let subject = match subject_text(&self.subject) {
            Ok(subject) if subject.is_empty() => {
                errors.push(FieldError::new("subject", Problem::Required));
                None
            }
            Ok(subject) => Some(subject),
            Err(problem) => {
                errors.push(FieldError::new("subject", problem));
                None
            }
        };
        let message = message_text(&self.message)
            .map_err(|problem| errors.push(FieldError::new("message", problem)))
            .ok();
        match (to, subject, message) {
            (Some(to), Some(subject), Some(message)) => Ok(ValidSend {
                to,
                subject,
                message,
            }),
            _ => Err(errors),
        }
    }
}

/// One message of a send: to the customer, or a copy to someone at the store.
pub struct Outgoing<'a> {
    pub document: &'a PublicDocument,
    pub subject: &'a str,
    pub message: &'a str,
    pub link_url: &'a str,
    /// For a copy, the language of its "this is a copy" note (the store's).
    pub copy_note_in: Option<Language>,
}

pub(crate) fn paragraphs_html(message: &str) -> String {
    message
        .split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
        .map(|paragraph| {
            let lines: Vec<String> = paragraph.lines().map(escape_html).collect();
            format!(
                r#"<p style="margin:0 0 16px;font-size:16px;line-height:1.5">{}</p>"#,
                lines.join("<br>")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A link styled as a button, as mail clients render one.
pub(crate) fn button_html(url: &str, label: &str) -> String {
    format!(
        r#"<p style="margin:8px 0 24px"><a href="{url}" style="display:inline-block;background:#1d4ed8;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:bold">{label}</a></p>"#,
        url = escape_html(url),
        label = escape_html(label),
    )
}

/// Every email's HTML: one white card on a grey page, inline styles only
/// (mail clients drop style sheets).
pub(crate) fn html_email(language: Language, subject: &str, inner_html: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{subject_html}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:Helvetica,Arial,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:32px">
<tr><td>
{inner_html}
</td></tr>
</table>
</body>
</html>
"#,
        lang = language.code(),
        subject_html = escape_html(subject),
    )
}

/// The email as its recipient receives it: the merchant's message, the link
/// as a button and as plain text, and for a copy a note that says so.
pub fn compose(outgoing: &Outgoing<'_>) -> EmailContent {
    let document = outgoing.document;
    let language = document.language;
    let button = text(
        language,
        match document.kind() {
            crate::document::DocumentKind::Invoice => Text::EmailButton,
            crate::document::DocumentKind::CreditNote => Text::CreditNoteEmailButton,
        },
    );
    let plain_link = text(language, Text::EmailPlainLink);
    let copy_note = outgoing.copy_note_in.map(|copy_language| {
        (
            text(copy_language, Text::CopySubjectPrefix),
            fill(
                text(copy_language, Text::CopyBanner),
                &[("customer", document.customer.name.as_str())],
            ),
        )
    });
    let subject = match &copy_note {
        Some((prefix, _)) => format!("{prefix}{}", outgoing.subject),
        None => outgoing.subject.to_owned(),
    };
    let link_url = outgoing.link_url;
    let message = outgoing.message.trim();

    let mut text_body = String::new();
    if let Some((_, banner)) = &copy_note {
        text_body.push_str(&format!("{banner}\n\n"));
    }
    if !message.is_empty() {
        text_body.push_str(&format!("{message}\n\n"));
    }
    text_body.push_str(&format!("{button}:\n{link_url}\n"));
    let courtesy = document
        .legal_channel
        .map(|channel| channel.courtesy_notice(language));
    if let Some(courtesy) = courtesy {
        text_body.push_str(&format!("\n{courtesy}\n"));
    }

    let banner_html = copy_note.as_ref().map_or(String::new(), |(_, banner)| {
        format!(
            r#"<p style="margin:0 0 24px;padding:12px;background:#fff7e6;border-radius:6px;font-size:14px;color:#7a4b00">{}</p>"#,
            escape_html(banner)
        )
    });
    let link = escape_html(link_url);
    let html_body = html_email(
        language,
        &subject,
        &format!(
            r#"{banner_html}
{message_html}
{button_html}
<p style="margin:0 0 4px;font-size:13px;color:#52606d">{plain_link}</p>
<p style="margin:0;font-size:13px;word-break:break-all"><a href="{link}" style="color:#1d4ed8">{link}</a></p>{courtesy_html}"#,
            courtesy_html = courtesy.map_or(String::new(), |courtesy| format!(
                r#"
<p style="margin:24px 0 0;font-size:13px;color:#52606d">{}</p>"#,
                escape_html(courtesy)
            )),
            message_html = paragraphs_html(message),
            button_html = button_html(link_url, button),
            plain_link = escape_html(plain_link),
        ),
    );
    EmailContent {
        subject,
        text: text_body,
        html: html_body,
    }
}

/// What the merchant is told when an email could not be delivered.
pub struct FailureNotice<'a> {
    pub language: Language,
    pub number: &'a str,
    pub customer: &'a str,
    pub address: &'a str,
    pub reason: &'a str,
    pub invoice_url: &'a str,
}

pub fn failure_notice(notice: &FailureNotice<'_>) -> EmailContent {
    let language = notice.language;
    let values = [
        ("number", notice.number),
        ("customer", notice.customer),
        ("address", notice.address),
        ("reason", notice.reason),
    ];
    let subject = fill(text(language, Text::NoticeSubject), &values);
    let body = fill(text(language, Text::NoticeBody), &values);
    let open = text(language, Text::NoticeOpenInvoice);
    let url = notice.invoice_url;
    let text_body = format!("{body}\n\n{open}: {url}\n");
    let html = html_email(
        language,
        &subject,
        &format!("{}\n{}", paragraphs_html(&body), button_html(url, open)),
    );
    EmailContent {
        subject,
        text: text_body,
        html,
    }
}

/// Domains merchants' customers use most, to catch `gmial.com` and friends.
const COMMON_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "hotmail.it",
    "hotmail.es",
    "outlook.com",
    "outlook.it",
    "outlook.es",
    "live.com",
    "live.it",
    "yahoo.com",
    "yahoo.it",
    "yahoo.es",
    "icloud.com",
    "me.com",
    "libero.it",
    "virgilio.it",
    "alice.it",
    "tiscali.it",
    "tim.it",
    "fastwebnet.it",
    "pec.it",
    "gmx.com",
    "gmx.es",
    "proton.me",
    "protonmail.com",
    "telefonica.net",
    "movistar.es",
];

/// Edits (insert, delete, replace, swap neighbours) between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0_usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// The address the merchant probably meant, when its domain is one or two
/// typos away from a common one (`maria@gmial.com` → `maria@gmail.com`).
pub fn suggest_address(address: &str) -> Option<String> {
    let (local, domain) = address.trim().rsplit_once('@')?;
    let domain = domain.to_ascii_lowercase();
    if local.is_empty() || domain.is_empty() || COMMON_DOMAINS.contains(&domain.as_str()) {
        return None;
    }
    COMMON_DOMAINS
        .iter()
        .map(|common| (edit_distance(&domain, common), common))
        .filter(|(distance, common)| *distance <= if common.len() > 6 { 2 } else { 1 })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, common)| format!("{local}@{common}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_document;
    use crate::Currency;

    fn today() -> Date {
        Date::parse("2026-12-10").expect("date")
    }

    fn outgoing<'a>(document: &'a PublicDocument, message: &'a str) -> Outgoing<'a> {
        Outgoing {
            document,
            subject: "Invoice 2026-0001",
            message,
            link_url: "https://edge.example/i/TOKEN",
            copy_note_in: None,
        }
    }

    #[test]
    fn prefill_uses_invio_wording_in_the_customers_language_when_the_store_has_none() {
        let mut document = sample_document();
        document.language = Language::It;
        let due = Money::new(24_400, Currency::Eur);
        let (subject, message) = prefill(EmailPurpose::Invoice, "", "  ", &document, due, today());
        assert_eq!(subject, "Fattura 2026-0001 da Bottega <Rossi>");
        assert!(message.starts_with(
            "Gentile Maria Pérez,\n\nti inviamo la fattura 2026-0001 di 244,00\u{a0}€"
        ));
    }

    #[test]
    fn a_credit_note_is_emailed_in_its_own_words_naming_the_invoice_it_corrects() {
        let mut note = sample_document();
        note.language = Language::Es;
        note.number = "NC-2026-0001".into();
        note.corrects = Some(crate::document::Correction {
            number: "2026-0007".into(),
            issue_date: note.issue_date,
            reason: String::new(),
            ground: None,
        });
        let nothing = Money::new(0, Currency::Eur);
        let (subject, message) = prefill(
            EmailPurpose::Invoice,
            "Factura {number}",
            "Su factura",
            &note,
            nothing,
            today(),
        );
        assert_eq!(subject, "Nota de crédito NC-2026-0001 de Bottega <Rossi>");
        assert!(
            message.contains("la nota de crédito NC-2026-0001 por 244,00\u{a0}€, que rectifica la factura 2026-0007"),
            "{message}"
        );
        let email = compose(&outgoing(&note, &message));
        assert!(
            email.text.contains("Ver la nota de crédito:"),
            "{}",
            email.text
        );
    }

    #[test]
    fn a_spanish_simplified_invoice_is_emailed_as_a_simplified_invoice() {
        let mut document = sample_document();
        document.simplified = true;
        let due = Money::new(24_400, Currency::Eur);
        for (language, subject, named) in [
            (
                Language::Es,
                "Factura simplificada 2026-0001 de Bottega <Rossi>",
                "la factura simplificada 2026-0001",
            ),
            (
                Language::It,
                "Fattura semplificata 2026-0001 da Bottega <Rossi>",
                "la fattura semplificata 2026-0001",
            ),
            (
                Language::En,
                "Simplified invoice 2026-0001 from Bottega <Rossi>",
                "simplified invoice 2026-0001",
            ),
        ] {
            document.language = language;
            let (written, message) =
                prefill(EmailPurpose::Invoice, "", "", &document, due, today());
            assert_eq!(written, subject);
            assert!(message.contains(named), "{message}");
        }
    }

    #[test]
    fn prefill_fills_the_stores_own_templates() {
        let document = sample_document();
        let due = Money::new(4_400, Currency::Eur);
        let (subject, message) = prefill(
            EmailPurpose::Invoice,
            "{store}: {number}",
            "Hi {customer}, {amount_due} of {total} left. {unknown}",
            &document,
            due,
            today(),
        );
        assert_eq!(subject, "Bottega <Rossi>: 2026-0001");
        assert_eq!(message, "Hi Maria Pérez, €44.00 of €244.00 left. {unknown}");
    }

    #[test]
    fn a_reminder_says_how_many_days_overdue_only_once_the_due_date_has_passed() {
        let mut document = sample_document();
        let due = Money::new(24_400, Currency::Eur);
        document.due_date = Some(Date::parse("2026-12-01").expect("date"));
        let (subject, overdue) = prefill(EmailPurpose::Reminder, "", "", &document, due, today());
        assert_eq!(subject, "Reminder: invoice 2026-0001, €244.00 to pay");
        assert!(
            overdue.contains("was due on 1 Dec 2026 (9 days ago)"),
            "{overdue}"
        );
        document.due_date = Some(Date::parse("2026-12-20").expect("date"));
        let (_, before) = prefill(EmailPurpose::Reminder, "", "", &document, due, today());
        assert!(before.contains("is due on 20 Dec 2026"), "{before}");
        assert_eq!(days_overdue(document.due_date, today()), 0);
    }

    #[test]
    fn the_email_carries_the_message_and_the_link_as_a_button_and_as_text() {
        let document = sample_document();
        let email = compose(&outgoing(&document, "Hello Maria,\nthanks!\n\nBye"));
        assert_eq!(email.subject, "Invoice 2026-0001");
        assert_eq!(
            email.text,
            "Hello Maria,\nthanks!\n\nBye\n\nView the invoice:\nhttps://edge.example/i/TOKEN\n"
        );
        assert!(email
            .html
            .contains(r#"href="https://edge.example/i/TOKEN""#));
        assert!(email.html.contains("Hello Maria,<br>thanks!</p>"));
    }

    #[test]
    fn the_merchants_message_cannot_inject_markup_into_the_html_part() {
        let document = sample_document();
        let email = compose(&outgoing(&document, "<script>alert(1)</script> & <b>"));
        assert!(email
            .html
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;"));
        assert!(!email.html.contains("<script>"));
    }

    #[test]
    fn a_copy_is_marked_as_a_copy_in_the_stores_language() {
        let document = sample_document();
        let mut copy = outgoing(&document, "Hello");
        copy.copy_note_in = Some(Language::Es);
        let email = compose(&copy);
        assert_eq!(email.subject, "[Copia] Invoice 2026-0001");
        assert!(email
            .text
            .starts_with("Copia para ti del email enviado a Maria Pérez."));
    }

    #[test]
    fn a_send_needs_a_recipient_and_a_subject_without_line_breaks() {
        let errors = SendInput {
            to: " ; ".into(),
            subject: "Invoice\r\nBcc: victim@example.com".into(),
            message: String::new(),
        }
        .validate()
        .expect_err("refused");
        assert_eq!(
            errors,
            vec![
                FieldError::new("to", Problem::Required),
                FieldError::new("subject", Problem::HeaderInjection),
            ]
        );
        let injected = SendInput {
            to: "maria@example.com\r\nBcc: victim@example.com".into(),
            subject: "Invoice".into(),
            message: String::new(),
        }
        .validate()
        .expect_err("refused");
        assert_eq!(
            injected,
            vec![FieldError::new("to", Problem::HeaderInjection)]
        );
        let valid = SendInput {
            to: "maria@example.com; Luca@Example.com,maria@example.com".into(),
            subject: " Invoice 7 ".into(),
            message: "Hi\r\nthere".into(),
        }
        .validate()
        .expect("valid");
        assert_eq!(valid.to.len(), 2);
        assert_eq!(valid.subject, "Invoice 7");
        assert_eq!(valid.message, "Hi\nthere");
    }

    #[test]
    fn a_bad_address_among_several_is_named() {
        let errors = SendInput {
            to: "maria@example.com; luca@".into(),
            subject: "Invoice".into(),
            message: String::new(),
        }
        .validate()
        .expect_err("refused");
        assert_eq!(
            errors,
            vec![FieldError::new(
                "to",
                Problem::InvalidAddressInList {
                    address: "luca@".into()
                }
            )]
        );
    }

    #[test]
    fn likely_typos_of_common_domains_get_a_suggestion() {
        assert_eq!(
            suggest_address("maria@gmial.com").as_deref(),
            Some("maria@gmail.com")
        );
        assert_eq!(
            suggest_address("luca@hotmial.it").as_deref(),
            Some("luca@hotmail.it")
        );
        assert_eq!(
            suggest_address("ana@gmail.con").as_deref(),
            Some("ana@gmail.com")
        );
        assert_eq!(suggest_address("maria@gmail.com"), None);
        assert_eq!(suggest_address("ops@bottega-rossi.it"), None);
        assert_eq!(suggest_address("not an address"), None);
    }

    #[test]
    fn reminders_only_for_issued_invoices_with_a_due_date_and_something_to_pay() {
        let due = Some(today());
        let refusal = |lifecycle, purpose, due_date, amount| {
            send_refusal(lifecycle, purpose, due_date, amount)
        };
        assert_eq!(
            refusal(Lifecycle::Issued, EmailPurpose::Reminder, due, 100),
            None
        );
        assert_eq!(
            refusal(Lifecycle::Issued, EmailPurpose::Reminder, due, 0),
            Some(Problem::NothingDue)
        );
        assert_eq!(
            refusal(Lifecycle::Issued, EmailPurpose::Reminder, None, 100),
            Some(Problem::NoDueDate)
        );
        assert_eq!(
            refusal(Lifecycle::Void, EmailPurpose::Reminder, due, 100),
            Some(Problem::AlreadyVoid)
        );
        assert_eq!(
            refusal(Lifecycle::Draft, EmailPurpose::Invoice, due, 100),
            Some(Problem::InvoiceIsDraft)
        );
        assert_eq!(
            refusal(Lifecycle::Issued, EmailPurpose::Invoice, None, 0),
            None
        );
    }

    #[test]
    fn a_failure_notice_gives_the_reason_and_a_link_to_the_invoice() {
        let notice = failure_notice(&FailureNotice {
            language: Language::En,
            number: "2026-0001",
            customer: "Maria",
            address: "maria@example.com",
            reason: "550 mailbox unavailable",
            invoice_url: "https://admin.example/invoices/7",
        });
        assert_eq!(
            notice.subject,
            "Email not delivered: invoice 2026-0001 to maria@example.com"
        );
        assert!(notice
            .text
            .contains("The mail server answered: 550 mailbox unavailable"));
        assert!(notice
            .text
            .contains("Open the invoice: https://admin.example/invoices/7"));
    }
}
