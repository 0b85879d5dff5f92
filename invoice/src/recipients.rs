//! Who receives mail on a merchant's behalf, and how much: the daily
//! sending quota of an organisation, and the confirmation that an address
//! put in a store's copies or failure notices wants them.
//!
//! A free account must not be a way to mail strangers: every email a send
//! queues counts against the organisation's day, and an address typed into
//! a store's settings gets nothing but one confirmation request (resent
//! rarely, a few times at most) until its owner confirms it.

use crate::email::{button_html, html_email, paragraphs_html, EmailContent};
use crate::problem::Problem;
use crate::Language;

const DAY_MS: i64 = 86_400_000;

/// When the UTC day of `now_ms` began: quotas start again at midnight UTC.
pub fn utc_day_start(now_ms: i64) -> i64 {
    now_ms.div_euclid(DAY_MS) * DAY_MS
}

/// Why `needed` more emails cannot be queued by an organisation that queued
/// `queued_today` of its `limit` today, if they cannot. A send is queued
/// whole or not at all.
pub fn quota_refusal(limit: i64, queued_today: i64, needed: i64) -> Option<Problem> {
    let left = (limit - queued_today).max(0);
    (needed > left).then_some(Problem::DailySendingLimit { limit, left })
}

/// How long a confirmation link works.
pub const CONFIRMATION_VALID_MS: i64 = 7 * DAY_MS;
/// The least time between two confirmation requests to one address.
pub const RESEND_WAIT_MINUTES: u32 = 60;
/// Confirmation requests one organisation may send one address, in all.
pub const MAX_CONFIRMATION_MAILS: i64 = 3;

/// How an address is kept and compared: the same mailbox in any case.
pub fn normalise(address: &str) -> String {
    address.trim().to_ascii_lowercase()
}

/// Why another confirmation request must not go to an address that was
/// sent `mails_sent` of them, the latest at `last_requested_ms`.
pub fn resend_refusal(mails_sent: i64, last_requested_ms: i64, now_ms: i64) -> Option<Problem> {
    let wait_ms = i64::from(RESEND_WAIT_MINUTES) * 60_000;
    if mails_sent >= MAX_CONFIRMATION_MAILS {
        Some(Problem::ConfirmationLimitReached)
    } else if mails_sent > 0 && now_ms - last_requested_ms < wait_ms {
        let minutes = (wait_ms - (now_ms - last_requested_ms) + 59_999) / 60_000;
        Some(Problem::ConfirmationRecentlySent {
            minutes: u32::try_from(minutes).unwrap_or(RESEND_WAIT_MINUTES),
        })
    } else {
        None
    }
}

/// Whether a confirmation link requested at `requested_ms` still works.
pub fn confirmation_valid(requested_ms: i64, now_ms: i64) -> bool {
    now_ms - requested_ms <= CONFIRMATION_VALID_MS
}

/// What the address's owner is asked.
pub struct ConfirmationRequest<'a> {
    pub language: Language,
    pub business: &'a str,
    pub address: &'a str,
    pub confirm_url: &'a str,
}

/// The email that asks an address's owner to confirm it. It names the
/// business and says that ignoring it is enough: nothing else is sent.
pub fn confirmation_email(request: &ConfirmationRequest<'_>) -> EmailContent {
    let business = request.business;
    let address = request.address;
    let (subject, body, button) = match request.language {
        Language::En => (
            format!("Confirm that {address} receives emails from {business}"),
            format!(
                "{business} uses Invio to send invoices, and asked that copies of its invoices or notices of undelivered emails go to {address}.\n\nIf you want them, confirm below. If you did not expect this, ignore this email: nothing else will be sent to you."
            ),
            "Confirm this address",
        ),
        Language::It => (
            format!("Conferma che {address} riceve email da {business}"),
            format!(
                "{business} usa Invio per inviare fatture e ha chiesto che copie delle sue fatture o avvisi di email non consegnate arrivino a {address}.\n\nSe vuoi riceverli, conferma qui sotto. Se non te lo aspettavi, ignora questa email: non ti verrà inviato nient'altro."
            ),
            "Conferma questo indirizzo",
        ),
        Language::Es => (
            format!("Confirma que {address} recibe emails de {business}"),
            format!(
                "{business} usa Invio para enviar facturas y ha pedido que las copias de sus facturas o los avisos de emails no entregados lleguen a {address}.\n\nSi quieres recibirlos, confirma abajo. Si no lo esperabas, ignora este email: no se te enviará nada más."
            ),
            "Confirmar esta dirección",
        ),
    };
    let url = request.confirm_url;
    let text = format!("{body}\n\n{button}: {url}\n");
    let html = html_email(
        request.language,
        &subject,
        &format!("{}\n{}", paragraphs_html(&body), button_html(url, button)),
    );
    EmailContent {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_day_starts_at_midnight_utc() {
        let noon = 1_764_590_400_000; // 2025-12-01 12:00 UTC
        assert_eq!(utc_day_start(noon), noon - 12 * 3_600_000);
        assert_eq!(utc_day_start(utc_day_start(noon)), utc_day_start(noon));
    }

    #[test]
    fn a_send_fits_the_quota_whole_or_is_refused_with_what_is_left() {
        assert_eq!(quota_refusal(200, 198, 2), None);
        assert_eq!(
            quota_refusal(200, 198, 3),
            Some(Problem::DailySendingLimit {
                limit: 200,
                left: 2
            })
        );
        assert_eq!(
            quota_refusal(200, 250, 1),
            Some(Problem::DailySendingLimit {
                limit: 200,
                left: 0
            })
        );
    }

    #[test]
    fn confirmation_requests_are_spaced_and_few() {
        let hour = 3_600_000;
        assert_eq!(resend_refusal(0, 0, 1), None);
        assert_eq!(
            resend_refusal(1, 0, hour - 60_000),
            Some(Problem::ConfirmationRecentlySent { minutes: 1 })
        );
        assert_eq!(resend_refusal(1, 0, hour), None);
        assert_eq!(
            resend_refusal(MAX_CONFIRMATION_MAILS, 0, 100 * hour),
            Some(Problem::ConfirmationLimitReached)
        );
    }

    #[test]
    fn a_confirmation_link_works_for_seven_days() {
        assert!(confirmation_valid(0, CONFIRMATION_VALID_MS));
        assert!(!confirmation_valid(0, CONFIRMATION_VALID_MS + 1));
    }

    #[test]
    fn the_confirmation_email_names_the_business_escaped_in_each_language() {
        for language in Language::ALL {
            let email = confirmation_email(&ConfirmationRequest {
                language,
                business: "<b>Bottega</b>",
                address: "archivio@bottega.it",
                confirm_url: "https://admin.test/confirm-recipient/abc",
            });
            assert!(email.subject.contains("archivio@bottega.it"));
            assert!(email
                .text
                .contains("https://admin.test/confirm-recipient/abc"));
            assert!(email.html.contains("&lt;b&gt;Bottega&lt;/b&gt;"));
            assert!(!email.html.contains("<b>Bottega"));
        }
    }
}
