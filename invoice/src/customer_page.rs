//! The customer's invoice page and the edge's other pages, as HTML strings:
//! served by the edge through a customer's link, and by the server to the
//! merchant as a preview. No inline script or style: the
//! Content-Security-Policy forbids both.

use crate::dates::{format_instant, rfc3339_utc, Date};
use crate::document::{format_quantity, format_tax_rate, DocumentKind, PublicDocument};
use crate::email::escape_html as e;
use crate::events::{PublicEvent, PublicEventKind, PublicState};
use crate::i18n::{fill, text, Language, Text};
use crate::qr::{TaxAgencyCheck, LABEL_ABOVE, LEGEND_BELOW};
use crate::time_zone::TimeZone;
use crate::Money;

/// Who the invoice page is served to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewing<'a> {
    /// The customer, through their link: the page reports presence and
    /// prints under the page view the edge signed into it.
    Link { token: &'a str, view: &'a str },
    /// The merchant, looking as the customer would: no link, no script,
    /// nothing recorded; the PDF comes from the admin.
    Preview {
        pdf_href: &'a str,
        merchant_language: Language,
    },
}

fn head(language: Language, title: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<link rel="stylesheet" href="/assets/customer.css">
</head>
"#,
        lang = language.code(),
        title = e(title)
    )
}

/// An instant as the page shows it: in the store's zone, so it is right
/// without the page's script, which then writes it again in the reader's own
/// zone from `datetime` (UTC).
fn time_html(at_ms: i64, language: Language, zone: TimeZone) -> String {
    format!(
        r#"<time datetime="{}">{}</time>"#,
        rfc3339_utc(at_ms),
        e(&format_instant(at_ms, language, zone))
    )
}

/// "3 times, last on" before the time of the last of folded views.
fn times_last_on(language: Language, count: i64) -> String {
    match language {
        Language::It => format!("{count} volte, l’ultima il"),
        Language::Es => format!("{count} veces, la última el"),
        Language::En => format!("{count} times, last on"),
    }
}

/// "3 times", when the time of the last is not known (a publication from
/// before it was sent).
fn times(language: Language, count: i64) -> String {
    match language {
        Language::It => format!("{count} volte"),
        Language::Es => format!("{count} veces"),
        Language::En => format!("{count} times"),
    }
}

/// One line of the customer's history, in their words.
fn history_item(event: &PublicEvent, document: &PublicDocument, zone: TimeZone) -> String {
    let language = document.language;
    let t = |key| text(language, key);
    let what = match &event.kind {
        PublicEventKind::Sent => t(Text::EventSent).to_owned(),
        PublicEventKind::ReminderSent => t(Text::EventReminderSent).to_owned(),
        PublicEventKind::Opened => t(Text::EventOpened).to_owned(),
        PublicEventKind::PdfDownloaded => t(Text::EventDownloaded).to_owned(),
        PublicEventKind::Printed => t(Text::EventPrinted).to_owned(),
        PublicEventKind::Voided => t(Text::EventVoided).to_owned(),
        PublicEventKind::CreditNoteIssued {
            number,
            amount_minor,
        } => fill(
            t(Text::EventCreditNoteIssued),
            &[
                ("number", number),
                (
                    "amount",
                    &Money::new(*amount_minor, document.currency).format(language),
                ),
            ],
        ),
        PublicEventKind::CorrectsInvoice { number } => {
            fill(t(Text::EventCorrectsInvoice), &[("number", number)])
        }
        PublicEventKind::ElectronicInvoice { delivered } => {
            crate::sdi::customer_text(*delivered, language).to_owned()
        }
        PublicEventKind::PaymentReceived { amount_minor, date } => format!(
            "{}: {} ({})",
            t(Text::EventPaymentRecorded),
            Money::new(*amount_minor, document.currency).format(language),
            date.format(language)
        ),
    };
    let views = matches!(
        event.kind,
        PublicEventKind::Opened | PublicEventKind::PdfDownloaded | PublicEventKind::Printed
    );
    // The customer's views come folded (events::fold_views): how many, and
    // when the last was. Other repeats say how many they were.
    let what = match (event.count > 1, views, event.last_at_ms) {
        (false, _, _) => e(&what),
        (true, true, Some(_)) => format!(
            "{} {} {}",
            e(&what),
            e(&times_last_on(language, event.count)),
            time_html(event.last_at(), language, zone)
        ),
        (true, true, None) => format!("{} {}", e(&what), e(&times(language, event.count))),
        (true, false, _) => format!("{} (×{})", e(&what), event.count),
    };
    format!(
        "<li>{when} <span>{what}</span></li>\n",
        when = time_html(event.at_ms, language, zone),
    )
}

/// The line under a history that was published without its oldest entries.
fn earlier_entries(language: Language, count: u64) -> String {
    match language {
        Language::It => format!("Altre {count} voci precedenti non sono mostrate."),
        Language::Es => format!("No se muestran {count} entradas anteriores."),
        Language::En => format!("{count} earlier entries are not shown."),
    }
}

/// The QR code of a VERI*FACTU invoice with its two legends, for the top of
/// the sheet, where the order puts it (preferably centred). The code is an
/// inline SVG, one path of its dark runs, since the page's CSP loads no
/// image from elsewhere; it links to the AEAT's page, for a reader who is
/// on the phone they would scan it with.
fn tax_agency_check_html(document: &PublicDocument) -> String {
    let Some(check) = &document.tax_agency_check else {
        return String::new();
    };
    let Some(symbol) = check.symbol() else {
        return String::new();
    };
    let path: String = symbol
        .dark_runs()
        .iter()
        .map(|run| {
            format!(
                "M{} {}h{}v1h-{}z",
                run.column, run.row, run.length, run.length
            )
        })
        .collect();
    let label = TaxAgencyCheck::link_label(document.language);
    format!(
        r##"<div class="tax-agency-check">
<p class="qr-label">{LABEL_ABOVE}</p>
<a class="qr-link" href="{url}" rel="noreferrer" aria-label="{label}" title="{label}"><svg class="qr-code" viewBox="0 0 {width} {width}" shape-rendering="crispEdges" aria-hidden="true" focusable="false"><path fill="#000" d="{path}"/></svg></a>
<p class="qr-legend">{LEGEND_BELOW}</p>
</div>
"##,
        url = e(&check.url),
        label = e(label),
        width = symbol.width(),
    )
}

pub fn invoice_page(
    document: &PublicDocument,
    state: &PublicState,
    viewing: Viewing<'_>,
    today: Date,
) -> String {
    let language = document.language;
    let t = |key| text(language, key);
    let money = |minor: i64| Money::new(minor, document.currency).format(language);
    let title = format!(
        "{} {} · {}",
        document.title(),
        document.number,
        document.seller.name
    );
    let date = |date: Date| date.format(language);

    let mut lines = String::new();
    for line in &document.lines {
        lines.push_str(&format!(
            r#"<tr><td class="description">{description}</td><td class="num" data-label="{quantity_label}">{quantity}</td><td class="num" data-label="{price_label}">{price}</td><td class="num" data-label="{rate_label}">{rate}</td><td class="num amount">{amount}</td></tr>
"#,
            quantity_label = t(Text::Quantity),
            price_label = t(Text::UnitPrice),
            rate_label = t(Text::TaxRate),
            description = match line.tax_note(language) {
                Some(note) => format!(
                    r#"{}<br><span class="tax-note">{}</span>"#,
                    e(&line.description),
                    e(note)
                ),
                None => e(&line.description),
            },
            quantity = format_quantity(line.quantity_milli, language),
            price = money(line.unit_price_minor),
            rate = format_tax_rate(line.tax_rate_bp, language),
            amount = money(line.net_minor()),
        ));
    }
    let mut taxes = String::new();
    for tax in &document.totals.taxes {
        taxes.push_str(&format!(
            r#"<tr><th scope="row">{label} {rate}</th><td class="num">{amount}</td></tr>
"#,
            label = t(Text::Tax),
            rate = format_tax_rate(tax.rate_bp, language),
            amount = tax.tax.format(language),
        ));
    }
    let seller_lines: Vec<String> = document
        .seller
        .address
        .iter()
        .chain(document.seller.tax_id.as_ref())
        .map(|line| e(line))
        .collect();
    let credit_note = document.kind() == DocumentKind::CreditNote;
    let status = state.status(document, today);
    // A credit note has no status of its own to show: it says what it
    // corrects and what it gives back.
    let status_html = if credit_note {
        document
            .correction_line()
            .map(|line| format!(r#"<p class="corrects">{}</p>"#, e(&line)))
            .unwrap_or_default()
    } else {
        format!(
            r#"<p class="status status-{}">{}</p>"#,
            status.code(),
            status.label(language)
        )
    };
    let (amount_label, amount) = if credit_note {
        (
            t(Text::AmountCredited),
            document.totals.total.format(language),
        )
    } else {
        (t(Text::AmountDue), money(state.due_minor(document)))
    };
    let mut paid = String::new();
    if state.paid_minor > 0 {
        paid.push_str(&format!(
            r#"<p class="paid">{}: {}</p>"#,
            t(Text::AmountPaid),
            money(state.paid_minor)
        ));
    }
    if state.credited_minor > 0 {
        paid.push_str(&format!(
            r#"<p class="paid credited">{}: {}</p>"#,
            t(Text::Credited),
            money(state.credited_minor)
        ));
    }
    let reason = document
        .corrects
        .as_ref()
        .filter(|correction| !correction.reason.trim().is_empty())
        .map(|correction| {
            format!(
                "<p class=\"notes reason\"><strong>{}:</strong> {}</p>\n",
                t(Text::Reason),
                e(correction.reason.trim())
            )
        })
        .unwrap_or_default();
    let history = if state.history.is_empty() {
        String::new()
    } else {
        let items: String = state
            .history
            .iter()
            .rev()
            .map(|event| history_item(event, document, state.time_zone))
            .collect();
        let earlier = if state.earlier_entries > 0 {
            format!(
                "<p class=\"history-earlier\">{}</p>\n",
                e(&earlier_entries(language, state.earlier_entries))
            )
        } else {
            String::new()
        };
        format!(
            r#"<section class="history no-print" aria-labelledby="history-title">
<h2 id="history-title">{title}</h2>
<ol>
{items}</ol>
{earlier}</section>
"#,
            title = t(Text::History)
        )
    };
    let due = document
        .due_date
        .map(|due| {
            format!(
                "<div><dt>{}</dt><dd>{}</dd></div>",
                t(Text::DueDate),
                date(due)
            )
        })
        .unwrap_or_default();

    // The PDF link has no `download` attribute: browsers then send
    // `Sec-Fetch-User` for the click, which is how a person's download is told
    // from a machine's, and the response's `Content-Disposition` still saves it.
    format!(
        r#"{head}<body>
{preview_notice}<main class="sheet"{reports}>
{tax_agency_check}<header class="seller">
<p class="store">{store}</p>
<p class="muted">{seller_lines}</p>
</header>
<section class="summary" aria-labelledby="invoice-title">
<h1 id="invoice-title">{invoice} {number}</h1>
{status_html}
<p class="due-label">{amount_due_label}</p>
<p class="due-amount">{amount_due}</p>
{paid}
<div class="actions no-print">
<a class="button primary" id="download-pdf" href="{pdf_href}">{download}</a>
{print_button}</div>
</section>
<section class="details">
{courtesy}<dl class="facts">
<div><dt>{billed_to}</dt><dd>{customer}</dd></div>
<div><dt>{number_label}</dt><dd>{number}</dd></div>
<div><dt>{issue_date_label}</dt><dd>{issue_date}</dd></div>
{due}
</dl>
<div class="table-wrap">
<table class="lines">
<thead><tr><th scope="col">{description}</th><th scope="col" class="num">{quantity}</th><th scope="col" class="num">{unit_price}</th><th scope="col" class="num">{tax_rate}</th><th scope="col" class="num">{amount}</th></tr></thead>
<tbody>
{lines}</tbody>
</table>
</div>
<table class="totals">
<tr><th scope="row">{subtotal_label}</th><td class="num">{subtotal}</td></tr>
{taxes}<tr class="grand"><th scope="row">{total_label}</th><td class="num">{total}</td></tr>
</table>
{reason}{notes}</section>
{history}</main>
{script}</body>
</html>
"#,
        head = head(language, &title),
        tax_agency_check = tax_agency_check_html(document),
        preview_notice = match viewing {
            Viewing::Link { .. } => String::new(),
            Viewing::Preview {
                merchant_language, ..
            } => format!(
                "<p class=\"preview-notice no-print\" role=\"note\">{}</p>\n",
                text(merchant_language, Text::PreviewNotice)
            ),
        },
        reports = match viewing {
            Viewing::Link { token, view } => {
                format!(r#" data-token="{}" data-view="{}""#, e(token), e(view))
            }
            Viewing::Preview { .. } => String::new(),
        },
        pdf_href = match viewing {
            Viewing::Link { token, view } => e(&format!("/i/{token}/pdf?view={view}")),
            Viewing::Preview { pdf_href, .. } => e(pdf_href),
        },
        print_button = match viewing {
            Viewing::Link { .. } => format!(
                "<button type=\"button\" class=\"button\" id=\"print-invoice\">{}</button>\n",
                t(Text::Print)
            ),
            Viewing::Preview { .. } => String::new(),
        },
        script = match viewing {
            Viewing::Link { .. } => "<script src=\"/assets/customer.js\" defer></script>\n",
            Viewing::Preview { .. } => "",
        },
        store = e(&document.seller.name),
        seller_lines = seller_lines.join("<br>"),
        invoice = document.title(),
        number = e(&document.number),
        amount_due_label = amount_label,
        amount_due = amount,
        download = t(Text::DownloadPdf),
        billed_to = t(Text::BilledTo),
        customer = e(&document.customer.name),
        number_label = t(Text::InvoiceNumber),
        issue_date_label = t(Text::IssueDate),
        issue_date = date(document.issue_date),
        description = t(Text::Description),
        quantity = t(Text::Quantity),
        unit_price = t(Text::UnitPrice),
        tax_rate = t(Text::TaxRate),
        amount = t(Text::Amount),
        subtotal_label = t(Text::Subtotal),
        subtotal = document.totals.subtotal.format(language),
        total_label = t(Text::Total),
        total = document.totals.total.format(language),
        notes = match document.notes.trim() {
            "" => String::new(),
            notes => format!("<p class=\"notes\">{}</p>\n", e(notes)),
        },
        courtesy = document
            .legal_channel
            .map_or(String::new(), |channel| format!(
                "<p class=\"courtesy-notice\" role=\"note\">{}</p>\n",
                e(channel.courtesy_notice(language))
            )),
    )
}

/// The page for a link the merchant withdrew, with a form to ask for a
/// fresh link (a plain form: it works without the page's script).
pub fn revoked_page(language: Language, token: &str) -> String {
    let form = format!(
        r#"<form method="post" action="/i/{token}/fresh-link"><button type="submit" class="button primary">{label}</button></form>"#,
        token = e(token),
        label = text(language, Text::FreshLinkButton),
    );
    notice_page(
        language,
        Text::LinkRevokedTitle,
        Text::LinkRevokedBody,
        &form,
    )
}

/// After the customer asked for a fresh link; it says the same whether or
/// not one is sent, so the page tells nothing about the invoice.
pub fn fresh_link_sent_page(language: Language) -> String {
    notice_page(
        language,
        Text::FreshLinkSentTitle,
        Text::FreshLinkSentBody,
        "",
    )
}

/// When the request could not reach the server.
pub fn fresh_link_unavailable_page(language: Language) -> String {
    notice_page(
        language,
        Text::FreshLinkUnavailableTitle,
        Text::FreshLinkUnavailableBody,
        "",
    )
}

/// When the invoice cannot be read just now (storage or the server down).
pub fn unavailable_page(language: Language) -> String {
    notice_page(
        language,
        Text::FreshLinkUnavailableTitle,
        Text::TemporarilyUnavailableBody,
        "",
    )
}

/// The page for a link that does not exist or was tampered with. The
/// language comes from the browser, since the link says nothing trustworthy.
pub fn not_found_page(language: Language) -> String {
    notice_page(
        language,
        Text::LinkNotFoundTitle,
        Text::LinkNotFoundBody,
        "",
    )
}

fn notice_page(language: Language, title: Text, body: Text, extra_html: &str) -> String {
    format!(
        r#"{head}<body>
<main class="sheet notice">
<h1>{title}</h1>
<p>{body}</p>
{extra_html}
</main>
</body>
</html>
"#,
        head = head(language, text(language, title)),
        title = text(language, title),
        body = text(language, body),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::fold_views;
    use crate::test_support::sample_document;

    fn event(at_ms: i64, kind: PublicEventKind) -> PublicEvent {
        PublicEvent {
            at_ms,
            kind,
            count: 1,
            last_at_ms: None,
        }
    }

    fn page(language: Language, zone: &str, history: Vec<PublicEvent>) -> String {
        let document = PublicDocument {
            language,
            ..sample_document()
        };
        let state = PublicState {
            history,
            time_zone: TimeZone::parse(zone).expect("offered"),
            ..PublicState::issued()
        };
        invoice_page(
            &document,
            &state,
            Viewing::Link {
                token: "token",
                view: "view",
            },
            document.issue_date,
        )
    }

    #[test]
    fn a_spanish_simplified_invoice_is_titled_so_and_an_exempt_line_says_why() {
        let mut document = PublicDocument {
            language: Language::Es,
            simplified: true,
            ..sample_document()
        };
        document.lines[0].tax_rate_bp = 0;
        document.lines[0].treatment = Some(crate::spain::TaxTreatment::E1);
        let html = invoice_page(
            &document,
            &PublicState::issued(),
            Viewing::Link {
                token: "token",
                view: "view",
            },
            document.issue_date,
        );
        assert!(html.contains("Factura simplificada"), "{html}");
        assert!(
            html.contains(r#"<br><span class="tax-note">Exenta art. 20 LIVA</span>"#),
            "{html}"
        );
    }

    // 2026-11-22T13:50:00Z, and two days later at 08:15Z.
    const SENT: i64 = 1_795_355_400_000;
    const LATER: i64 = SENT + 2 * 86_400_000 - 5 * 3_600_000 - 35 * 60_000;

    #[test]
    fn times_carry_utc_for_the_script_and_show_the_stores_zone_without_it() {
        let html = page(
            Language::It,
            "Europe/Rome",
            vec![event(SENT, PublicEventKind::Sent)],
        );
        assert!(
            html.contains(
                r#"<time datetime="2026-11-22T13:50:00Z">22/11/2026 14:50 CET</time> <span>Inviata</span>"#
            ),
            "{html}"
        );
        let html = page(
            Language::En,
            "America/Mexico_City",
            vec![event(SENT, PublicEventKind::Sent)],
        );
        assert!(html.contains(">22 Nov 2026 07:50 (UTC−6)</time>"), "{html}");
    }

    #[test]
    fn the_customers_own_views_read_as_one_line_with_the_last_time() {
        let history = fold_views(vec![
            event(SENT, PublicEventKind::Sent),
            event(SENT + 60_000, PublicEventKind::Opened),
            event(SENT + 3_600_000, PublicEventKind::Opened),
            event(LATER, PublicEventKind::Opened),
            event(LATER + 60_000, PublicEventKind::PdfDownloaded),
        ]);
        let cases = [
            (
                Language::En,
                "Opened 3 times, last on <time datetime=\"2026-11-24T08:15:00Z\">24 Nov 2026 08:15 GMT</time>",
            ),
            (
                Language::It,
                "Aperta 3 volte, l’ultima il <time datetime=\"2026-11-24T08:15:00Z\">24/11/2026 08:15 GMT</time>",
            ),
            (
                Language::Es,
                "Abierta 3 veces, la última el <time datetime=\"2026-11-24T08:15:00Z\">24/11/2026 08:15 GMT</time>",
            ),
        ];
        for (language, line) in cases {
            let html = page(language, "Europe/London", history.clone());
            assert!(html.contains(line), "{language:?}: {html}");
            assert_eq!(html.matches("<li>").count(), 3, "{html}");
        }
        let html = page(Language::En, "Europe/London", history);
        assert!(html.contains("<span>PDF downloaded</span>"), "{html}");
    }

    #[test]
    fn a_credit_note_says_what_it_corrects_and_gives_back_and_the_invoice_what_was_credited() {
        let mut note = PublicDocument {
            number: "NC-2026-0001".into(),
            ..sample_document()
        };
        note.corrects = Some(crate::document::Correction {
            number: "2026-0007".into(),
            issue_date: note.issue_date,
            reason: "Returned <one>".into(),
            ground: None,
        });
        let state = PublicState {
            history: vec![event(
                SENT,
                PublicEventKind::CorrectsInvoice {
                    number: "2026-0007".into(),
                },
            )],
            ..PublicState::issued()
        };
        let viewing = Viewing::Link {
            token: "token",
            view: "view",
        };
        let html = invoice_page(&note, &state, viewing, note.issue_date);
        assert!(
            html.contains("<h1 id=\"invoice-title\">Credit note NC-2026-0001</h1>"),
            "{html}"
        );
        assert!(
            html.contains("Corrects invoice 2026-0007 of 22 Nov 2026"),
            "{html}"
        );
        assert!(html.contains("Amount credited"), "{html}");
        assert!(!html.contains("Amount due"), "{html}");
        assert!(html.contains("Returned &lt;one&gt;"), "{html}");
        assert!(
            html.contains("<span>Corrects invoice 2026-0007</span>"),
            "{html}"
        );

        let invoice = PublicDocument {
            language: Language::It,
            ..sample_document()
        };
        let state = PublicState {
            credited_minor: 24_400,
            history: vec![event(
                SENT,
                PublicEventKind::CreditNoteIssued {
                    number: "NC-2026-0001".into(),
                    amount_minor: 24_400,
                },
            )],
            ..PublicState::issued()
        };
        let html = invoice_page(&invoice, &state, viewing, invoice.issue_date);
        assert!(html.contains("status-credited\">Stornata"), "{html}");
        assert!(html.contains("Accreditato: 244,00\u{a0}€"), "{html}");
        assert!(
            html.contains("Nota di credito NC-2026-0001 emessa per 244,00\u{a0}€"),
            "{html}"
        );
    }

    #[test]
    fn folded_views_from_before_the_last_time_was_sent_say_only_how_many() {
        let html = page(
            Language::En,
            "UTC",
            vec![PublicEvent {
                count: 4,
                ..event(SENT, PublicEventKind::Printed)
            }],
        );
        assert!(html.contains("<span>Printed 4 times</span>"), "{html}");
    }

    fn verifactu_page(language: Language) -> (String, String) {
        let document = PublicDocument {
            language,
            ..sample_document()
        };
        let url = crate::qr::verification_url(
            crate::qr::AeatEnvironment::Production,
            "89890001K",
            "2026&0001",
            document.issue_date,
            document.totals.total,
        );
        let document = PublicDocument {
            tax_agency_check: Some(TaxAgencyCheck { url: url.clone() }),
            ..document
        };
        let html = invoice_page(
            &document,
            &PublicState::issued(),
            Viewing::Link {
                token: "token",
                view: "view",
            },
            document.issue_date,
        );
        (html, url)
    }

    #[test]
    fn a_verifactu_invoice_opens_with_its_qr_code_linking_to_the_aeat() {
        for (language, label) in [
            (
                Language::It,
                "Verifica questa fattura presso l&#39;agenzia tributaria spagnola (AEAT)",
            ),
            (
                Language::Es,
                "Comprueba esta factura en la Agencia Tributaria (AEAT)",
            ),
            (
                Language::En,
                "Check this invoice at the Spanish tax agency (AEAT)",
            ),
        ] {
            let (html, url) = verifactu_page(language);
            let label_at = html.find("QR tributario:").expect("the label");
            let code_at = html.find("<svg").expect("the code");
            let legend_at = html.find("VERI*FACTU").expect("the legend");
            let seller_at = html.find("<header class=\"seller\">").expect("seller");
            assert!(label_at < code_at && code_at < legend_at && legend_at < seller_at);
            assert!(
                html.contains(&format!(
                    "href=\"{}\" rel=\"noreferrer\" aria-label=\"{label}\"",
                    url.replace('&', "&amp;")
                )),
                "{language:?}: {html}"
            );
            assert!(html.contains("aria-hidden=\"true\""), "{html}");
        }
    }

    #[test]
    fn the_pages_qr_code_is_inline_svg_that_reads_back_as_the_url() {
        let (html, url) = verifactu_page(Language::Es);
        // The CSP allows no inline style and no image from elsewhere.
        assert!(!html.contains("style="), "{html}");
        assert!(!html.contains("<img"), "{html}");
        let view_box = html
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .expect("viewBox");
        let width: usize = view_box.parse().expect("width");
        let path = html
            .split("<path fill=\"#000\" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("path");
        // Each run is `M{column} {row}h{length}v1h-{length}z`.
        let mut dark = vec![false; width * width];
        for run in path.split('M').filter(|run| !run.is_empty()) {
            let numbers: Vec<usize> = run
                .split(['M', ' ', 'h', 'v', 'z', '-'])
                .filter(|part| !part.is_empty())
                .map(|part| part.parse().expect("number"))
                .collect();
            let [column, row, length, 1, back] = numbers[..] else {
                panic!("unexpected run {run:?}");
            };
            assert_eq!(length, back);
            for module in &mut dark[row * width + column..row * width + column + length] {
                *module = true;
            }
        }
        let side = (width + 8) * 4;
        let (text, _, ecc_level) = crate::qr::tests::read_qr(side, side, |x, y| {
            let (column, row) = ((x / 4).wrapping_sub(4), (y / 4).wrapping_sub(4));
            if column < width && row < width && dark[row * width + column] {
                0
            } else {
                255
            }
        });
        assert_eq!(text, url);
        assert_eq!(ecc_level, 0, "level M");
    }

    #[test]
    fn an_invoice_without_the_aeats_url_has_no_qr_code() {
        let html = page(Language::Es, "Europe/Madrid", Vec::new());
        for absent in ["QR tributario", "VERI*FACTU", "<svg", "tax-agency-check"] {
            assert!(!html.contains(absent), "{absent}: {html}");
        }
    }
}
