//! Telling the merchant when it matters: the first time a customer really
//! opens an invoice, or downloads its PDF. What deserves a notice, who hears
//! of it, how each user chose to hear, and the words of the emails.
//!
//! A notice is about a person: a machine's fetch or view (a mail scanner, a
//! link preview) and a copy's open never make one, so a merchant told "Maria
//! opened invoice 7" can believe it. Each kind is told once per invoice per
//! user, however often the customer comes back.

use serde::{Deserialize, Serialize};

use crate::dates::format_instant;
use crate::email::{button_html, escape_html, html_email, paragraphs_html, EmailContent};
use crate::events::{EdgeEventKind, Recipient};
use crate::history::HistoryEvent;
use crate::i18n::{fill, text, Language, Text};
use crate::time_zone::TimeZone;

/// What a merchant is told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The customer read the invoice's page for the first time.
    Opened,
    /// The customer downloaded the PDF for the first time.
    Downloaded,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 2] = [NoticeKind::Opened, NoticeKind::Downloaded];

    /// The stored name; never rename one.
    pub fn code(self) -> &'static str {
        match self {
            NoticeKind::Opened => "opened",
            NoticeKind::Downloaded => "downloaded",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// What a history entry tells the merchant of, if anything: an open that
/// counts as the customer's (a person, through the customer's link), or a
/// PDF the customer downloaded as a person. Never a machine's, never a copy's.
pub fn notice_kind(event: &HistoryEvent) -> Option<NoticeKind> {
    if event.counts_as_open() {
        return Some(NoticeKind::Opened);
    }
    let link = event.at_link()?;
    (link.kind == EdgeEventKind::PdfDownloaded
        && link.recipient == Recipient::Customer
        && !link.automated)
        .then_some(NoticeKind::Downloaded)
}

/// How long a first open or download stays news. One older than this is
/// told to nobody: it happened before notices existed, or reached the server
/// so late (the edge's queue retries for about a day) that an email about it
/// would mislead more than inform.
pub const NEWS_WINDOW_MS: i64 = 2 * 86_400_000;

/// The first time of each kind among an invoice's history entries (each with
/// the time it happened), for the kinds whose first time is still news at
/// `now_ms`. Later opens and downloads never make a notice of their own.
pub fn first_notices<'a>(
    entries: impl IntoIterator<Item = (&'a HistoryEvent, i64)>,
    now_ms: i64,
) -> Vec<(NoticeKind, i64)> {
    let mut firsts: Vec<(NoticeKind, i64)> = Vec::new();
    for (event, at_ms) in entries {
        let Some(kind) = notice_kind(event) else {
            continue;
        };
        match firsts.iter_mut().find(|(known, _)| *known == kind) {
            Some((_, first)) => *first = (*first).min(at_ms),
            None => firsts.push((kind, at_ms)),
        }
    }
    firsts.retain(|(_, at_ms)| now_ms - at_ms <= NEWS_WINDOW_MS);
    firsts.sort();
    firsts
}

/// Who hears of an invoice's notices: the organisation's owners and the user
/// who issued it, each once.
pub fn audience(owners: &[i64], issuer: Option<i64>) -> Vec<i64> {
    let mut users: Vec<i64> = owners.iter().copied().chain(issuer).collect();
    users.sort_unstable();
    users.dedup();
    users
}

/// How a user wants to hear of notices by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EmailChoice {
    /// One short email per invoice and kind, as it happens.
    Immediately,
    /// One email a day listing the day's notices; none on a quiet day.
    /// The default: a merchant who never asked for these emails gets at most
    /// one a day, however busy the day, instead of an email per invoice. The
    /// live notice in the admin tells them at once while they work.
    #[default]
    DailyDigest,
    Off,
}

impl EmailChoice {
    pub const ALL: [EmailChoice; 3] = [
        EmailChoice::Immediately,
        EmailChoice::DailyDigest,
        EmailChoice::Off,
    ];

    /// The stored name; never rename one.
    pub fn code(self) -> &'static str {
        match self {
            EmailChoice::Immediately => "immediately",
            EmailChoice::DailyDigest => "daily",
            EmailChoice::Off => "off",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|choice| choice.code() == code)
    }
}

/// A user's choice of how to be told: by email (or not), and live in the
/// admin's open pages (or not), independently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifySettings {
    pub email: EmailChoice,
    pub live: bool,
}

impl Default for NotifySettings {
    /// See [`EmailChoice::DailyDigest`]; a notice on a page the merchant has
    /// open costs them nothing, so it is on.
    fn default() -> Self {
        NotifySettings {
            email: EmailChoice::default(),
            live: true,
        }
    }
}

/// One notice as the merchant reads it: in an email, a digest's line or the
/// admin's live notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub invoice_id: i64,
    pub number: String,
    pub customer: String,
    /// When the customer did it.
    pub at_ms: i64,
    /// The invoice's store's zone, in which the time is told.
    #[serde(default, deserialize_with = "crate::time_zone::lenient")]
    pub time_zone: TimeZone,
}

/// The most notices one digest lists; the rest are counted. Keeps a digest
/// readable (and its size bounded) on the busiest day.
pub const DIGEST_MAX_LINES: usize = 100;

/// The words of the notices, merchant-facing, in the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Words {
    OpenedLine,
    DownloadedLine,
    OpenedSubject,
    DownloadedSubject,
    OnlyOnce,
    DigestSubject,
    DigestIntro,
    DigestMore,
    WhyYouGetThis,
}

fn words(language: Language, key: Words) -> &'static str {
    use Language::*;
    use Words::*;
    match (key, language) {
        (OpenedLine, En) => "{customer} opened invoice {number} on {at}",
        (OpenedLine, It) => "{customer} ha aperto la fattura {number} il {at}",
        (OpenedLine, Es) => "{customer} abrió la factura {number} el {at}",
        (DownloadedLine, En) => "{customer} downloaded the PDF of invoice {number} on {at}",
        (DownloadedLine, It) => "{customer} ha scaricato il PDF della fattura {number} il {at}",
        (DownloadedLine, Es) => "{customer} descargó el PDF de la factura {number} el {at}",
        (OpenedSubject, En) => "Invoice {number} opened by {customer}",
        (OpenedSubject, It) => "Fattura {number} aperta da {customer}",
        (OpenedSubject, Es) => "Factura {number} abierta por {customer}",
        (DownloadedSubject, En) => "Invoice {number} downloaded by {customer}",
        (DownloadedSubject, It) => "Fattura {number} scaricata da {customer}",
        (DownloadedSubject, Es) => "Factura {number} descargada por {customer}",
        (OnlyOnce, En) => "It was the first time, seen from a person and not a mail scanner. You hear of it once per invoice.",
        (OnlyOnce, It) => "È stata la prima volta, da parte di una persona e non di uno scanner di posta. Te lo diciamo una sola volta per fattura.",
        (OnlyOnce, Es) => "Fue la primera vez, por parte de una persona y no de un escáner de correo. Te lo decimos una sola vez por factura.",
        (DigestSubject, En) => "Invio: invoices opened or downloaded for the first time ({count})",
        (DigestSubject, It) => "Invio: fatture aperte o scaricate per la prima volta ({count})",
        (DigestSubject, Es) => "Invio: facturas abiertas o descargadas por primera vez ({count})",
        (DigestIntro, En) => "Since the last summary, your customers opened or downloaded these invoices for the first time:",
        (DigestIntro, It) => "Dall'ultimo riepilogo i tuoi clienti hanno aperto o scaricato per la prima volta queste fatture:",
        (DigestIntro, Es) => "Desde el último resumen, tus clientes abrieron o descargaron por primera vez estas facturas:",
        (DigestMore, En) => "…and {count} more.",
        (DigestMore, It) => "…e altre {count}.",
        (DigestMore, Es) => "…y {count} más.",
        (WhyYouGetThis, En) => "You get this email because of the notification settings of your account: {url}",
        (WhyYouGetThis, It) => "Ricevi questa email per le impostazioni di notifica del tuo account: {url}",
        (WhyYouGetThis, Es) => "Recibes este email por la configuración de avisos de tu cuenta: {url}",
    }
}

fn values<'a>(notice: &'a Notice, at: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("customer", notice.customer.as_str()),
        ("number", notice.number.as_str()),
        ("at", at),
    ]
}

/// The notice in one sentence: "Maria Pérez opened invoice 2026-0007 on
/// 2 Dec 2026 15:05 CET", in the store's zone.
pub fn notice_line(language: Language, notice: &Notice) -> String {
    let at = format_instant(notice.at_ms, language, notice.time_zone);
    let line = match notice.kind {
        NoticeKind::Opened => Words::OpenedLine,
        NoticeKind::Downloaded => Words::DownloadedLine,
    };
    fill(words(language, line), &values(notice, &at))
}

/// The email sent at once for one notice: what happened, and a button to the
/// invoice in the admin.
pub fn notice_email(
    language: Language,
    notice: &Notice,
    invoice_url: &str,
    settings_url: &str,
) -> EmailContent {
    let at = format_instant(notice.at_ms, language, notice.time_zone);
    let subject_key = match notice.kind {
        NoticeKind::Opened => Words::OpenedSubject,
        NoticeKind::Downloaded => Words::DownloadedSubject,
    };
    let subject = fill(words(language, subject_key), &values(notice, &at));
    let line = notice_line(language, notice);
    let once = words(language, Words::OnlyOnce);
    let open = text(language, Text::NoticeOpenInvoice);
    let why = fill(
        words(language, Words::WhyYouGetThis),
        &[("url", settings_url)],
    );
    let text_body = format!("{line}.\n\n{once}\n\n{open}: {invoice_url}\n\n{why}\n");
    let html = html_email(
        language,
        &subject,
        &format!(
            "{}\n{}\n{}",
            paragraphs_html(&format!("{line}.\n\n{once}")),
            button_html(invoice_url, open),
            footer_html(&why),
        ),
    );
    EmailContent {
        subject,
        text: text_body,
        html,
    }
}

/// The daily summary: one line per notice (at most [`DIGEST_MAX_LINES`]),
/// each linking to its invoice. `invoice_url` makes an invoice's admin URL.
pub fn digest_email(
    language: Language,
    notices: &[Notice],
    invoice_url: impl Fn(i64) -> String,
    settings_url: &str,
) -> EmailContent {
    let count = notices
        .iter()
        .map(|notice| notice.invoice_id)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        .to_string();
    let subject = fill(words(language, Words::DigestSubject), &[("count", &count)]);
    let intro = words(language, Words::DigestIntro);
    let shown = &notices[..notices.len().min(DIGEST_MAX_LINES)];
    let more = (notices.len() > shown.len()).then(|| {
        fill(
            words(language, Words::DigestMore),
            &[("count", &(notices.len() - shown.len()).to_string())],
        )
    });
    let why = fill(
        words(language, Words::WhyYouGetThis),
        &[("url", settings_url)],
    );
    let mut text_body = format!("{intro}\n\n");
    let mut items = String::new();
    for notice in shown {
        let line = notice_line(language, notice);
        let url = invoice_url(notice.invoice_id);
        text_body.push_str(&format!("- {line}\n  {url}\n"));
        items.push_str(&format!(
            r#"<li style="margin:0 0 8px"><a href="{}" style="color:#1d4ed8">{}</a></li>"#,
            escape_html(&url),
            escape_html(&line),
        ));
    }
    if let Some(more) = &more {
        text_body.push_str(&format!("{more}\n"));
        items.push_str(&format!(
            r#"<li style="margin:0 0 8px">{}</li>"#,
            escape_html(more)
        ));
    }
    text_body.push_str(&format!("\n{why}\n"));
    let html = html_email(
        language,
        &subject,
        &format!(
            "{}\n<ul style=\"margin:0 0 24px;padding-left:20px;font-size:16px;line-height:1.5\">{items}</ul>\n{}",
            paragraphs_html(intro),
            footer_html(&why),
        ),
    );
    EmailContent {
        subject,
        text: text_body,
        html,
    }
}

fn footer_html(line: &str) -> String {
    format!(
        r#"<p style="margin:0;font-size:13px;line-height:1.5;color:#52606d">{}</p>"#,
        escape_html(line)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::DeviceClass;
    use crate::history::LinkEvent;

    fn at_link(kind: EdgeEventKind, recipient: Recipient, automated: bool) -> HistoryEvent {
        HistoryEvent::Link(LinkEvent {
            kind,
            recipient,
            automated,
            device: DeviceClass::Desktop,
            browser: "Firefox".into(),
            reasons: Vec::new(),
            copy_to: None,
        })
    }

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn a_persons_open_and_download_through_the_customers_link_are_notices() {
        assert_eq!(
            notice_kind(&at_link(EdgeEventKind::Opened, Recipient::Customer, false)),
            Some(NoticeKind::Opened)
        );
        assert_eq!(
            notice_kind(&at_link(
                EdgeEventKind::PdfDownloaded,
                Recipient::Customer,
                false
            )),
            Some(NoticeKind::Downloaded)
        );
    }

    #[test]
    fn a_machines_visit_a_copys_visit_a_fetch_and_a_print_are_not() {
        for kind in [
            EdgeEventKind::LinkFetched,
            EdgeEventKind::Opened,
            EdgeEventKind::PdfDownloaded,
            EdgeEventKind::Printed,
        ] {
            assert_eq!(
                notice_kind(&at_link(kind, Recipient::Customer, true)),
                None,
                "{kind:?} by a machine"
            );
            assert_eq!(
                notice_kind(&at_link(kind, Recipient::Copy, false)),
                None,
                "{kind:?} through a copy"
            );
        }
        assert_eq!(
            notice_kind(&at_link(
                EdgeEventKind::LinkFetched,
                Recipient::Customer,
                false
            )),
            None
        );
        assert_eq!(
            notice_kind(&at_link(EdgeEventKind::Printed, Recipient::Customer, false)),
            None
        );
        assert_eq!(notice_kind(&HistoryEvent::Created), None);
    }

    #[test]
    fn only_the_first_of_each_kind_is_told_however_many_follow() {
        let open = at_link(EdgeEventKind::Opened, Recipient::Customer, false);
        let download = at_link(EdgeEventKind::PdfDownloaded, Recipient::Customer, false);
        let scanner = at_link(EdgeEventKind::Opened, Recipient::Customer, true);
        let entries = vec![
            (&scanner, NOW - 5_000),
            (&open, NOW - 3_000),
            (&open, NOW - 4_000),
            (&download, NOW - 1_000),
            (&open, NOW),
        ];
        assert_eq!(
            first_notices(entries, NOW),
            vec![
                (NoticeKind::Opened, NOW - 4_000),
                (NoticeKind::Downloaded, NOW - 1_000)
            ]
        );
    }

    #[test]
    fn a_machines_visits_alone_make_no_notice() {
        let scanner = at_link(EdgeEventKind::Opened, Recipient::Customer, true);
        let copy = at_link(EdgeEventKind::PdfDownloaded, Recipient::Copy, false);
        assert!(first_notices(vec![(&scanner, NOW), (&copy, NOW)], NOW).is_empty());
    }

    #[test]
    fn a_first_open_older_than_the_news_window_is_told_to_nobody() {
        let open = at_link(EdgeEventKind::Opened, Recipient::Customer, false);
        let old = NOW - NEWS_WINDOW_MS - 1;
        // The first open is old news: the recent one is not a first.
        assert!(first_notices(vec![(&open, old), (&open, NOW)], NOW).is_empty());
        assert_eq!(
            first_notices(vec![(&open, NOW - NEWS_WINDOW_MS)], NOW),
            vec![(NoticeKind::Opened, NOW - NEWS_WINDOW_MS)]
        );
    }

    #[test]
    fn the_owners_and_the_issuer_each_hear_once() {
        assert_eq!(audience(&[3, 1], Some(3)), vec![1, 3]);
        assert_eq!(audience(&[1], Some(7)), vec![1, 7]);
        assert_eq!(audience(&[1], None), vec![1]);
    }

    #[test]
    fn the_default_is_a_daily_digest_and_the_live_notice() {
        assert_eq!(
            NotifySettings::default(),
            NotifySettings {
                email: EmailChoice::DailyDigest,
                live: true
            }
        );
        for choice in EmailChoice::ALL {
            assert_eq!(EmailChoice::parse(choice.code()), Some(choice));
        }
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.code()), Some(kind));
        }
        assert_eq!(EmailChoice::parse("hourly"), None);
    }

    fn notice(kind: NoticeKind, invoice_id: i64) -> Notice {
        Notice {
            kind,
            invoice_id,
            number: format!("2026-{invoice_id:04}"),
            customer: "Maria <Pérez>".into(),
            // 2 Dec 2026 14:05 UTC
            at_ms: 1_796_220_300_000,
            time_zone: TimeZone::UTC,
        }
    }

    #[test]
    fn the_email_says_who_did_what_when_in_the_users_language() {
        let email = notice_email(
            Language::It,
            &notice(NoticeKind::Opened, 7),
            "https://admin.test/invoices/7",
            "https://admin.test/account",
        );
        assert_eq!(email.subject, "Fattura 2026-0007 aperta da Maria <Pérez>");
        assert!(email
            .text
            .starts_with("Maria <Pérez> ha aperto la fattura 2026-0007 il 02/12/2026 14:05 UTC."));
        assert!(email.text.contains("https://admin.test/invoices/7"));
        assert!(email.html.contains("Maria &lt;Pérez&gt;"));
        assert!(!email.html.contains("<Pérez>"));
        let english = notice_email(Language::En, &notice(NoticeKind::Downloaded, 7), "u", "s");
        assert_eq!(
            english.subject,
            "Invoice 2026-0007 downloaded by Maria <Pérez>"
        );
        assert!(english
            .text
            .contains("downloaded the PDF of invoice 2026-0007 on 2 Dec 2026 14:05 UTC"));
        let spanish = notice_email(Language::Es, &notice(NoticeKind::Opened, 7), "u", "s");
        assert_eq!(
            spanish.subject,
            "Factura 2026-0007 abierta por Maria <Pérez>"
        );
    }

    #[test]
    fn a_digest_lists_each_notice_with_its_link_and_counts_invoices() {
        let notices = vec![
            notice(NoticeKind::Opened, 1),
            notice(NoticeKind::Downloaded, 1),
            notice(NoticeKind::Opened, 2),
        ];
        let email = digest_email(
            Language::En,
            &notices,
            |id| format!("https://admin.test/invoices/{id}"),
            "https://admin.test/account",
        );
        assert_eq!(
            email.subject,
            "Invio: invoices opened or downloaded for the first time (2)"
        );
        assert_eq!(
            email.text.matches("https://admin.test/invoices/").count(),
            3
        );
        assert_eq!(email.html.matches("<li").count(), 3);
    }

    #[test]
    fn a_digest_of_a_busy_day_lists_a_bounded_number_and_counts_the_rest() {
        let notices: Vec<Notice> = (0..DIGEST_MAX_LINES as i64 + 5)
            .map(|id| notice(NoticeKind::Opened, id))
            .collect();
        let email = digest_email(Language::It, &notices, |id| format!("/{id}"), "s");
        assert_eq!(email.html.matches("<li").count(), DIGEST_MAX_LINES + 1);
        assert!(email.text.contains("…e altre 5."));
    }

    #[test]
    fn a_notice_tells_the_time_in_the_stores_zone() {
        let rome = Notice {
            time_zone: TimeZone::parse("Europe/Rome").expect("zone"),
            ..notice(NoticeKind::Opened, 7)
        };
        let line = notice_line(Language::It, &rome);
        assert!(line.contains("15:05 CET"), "{line}");
        assert!(notice_line(Language::En, &notice(NoticeKind::Opened, 7)).contains("14:05 UTC"));
    }
}
