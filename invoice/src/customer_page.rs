//! The customer's invoice page and the edge's other pages, as HTML strings:
//! served by the edge through a customer's link, and by the server to the
//! merchant as a preview. No inline script or style: the
//! Content-Security-Policy forbids both.

use crate::dates::{format_instant, Date};
use crate::document::{format_quantity, format_tax_rate, PublicDocument};
use crate::email::escape_html as e;
use crate::events::{PublicEvent, PublicEventKind, PublicState};
use crate::i18n::{text, Language, Text};
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

/// One line of the customer's history, in their words.
fn history_item(event: &PublicEvent, document: &PublicDocument) -> String {
    let language = document.language;
    let t = |key| text(language, key);
    let what = match &event.kind {
        PublicEventKind::Sent => t(Text::EventSent).to_owned(),
        PublicEventKind::ReminderSent => t(Text::EventReminderSent).to_owned(),
        PublicEventKind::Opened => t(Text::EventOpened).to_owned(),
        PublicEventKind::PdfDownloaded => t(Text::EventDownloaded).to_owned(),
        PublicEventKind::Printed => t(Text::EventPrinted).to_owned(),
        PublicEventKind::Voided => t(Text::EventVoided).to_owned(),
        PublicEventKind::PaymentReceived { amount_minor, date } => format!(
            "{}: {} ({})",
            t(Text::EventPaymentRecorded),
            Money::new(*amount_minor, document.currency).format(language),
            date.format(language)
        ),
    };
    // Repeats merged into one entry (invoice::repeats) say how many they were.
    let times = if event.count > 1 {
        format!(" (×{})", event.count)
    } else {
        String::new()
    };
    format!(
        "<li><time>{when}</time> <span>{what}{times}</span></li>\n",
        when = format_instant(event.at_ms, language),
        what = e(&what),
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
        t(Text::Invoice),
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
            description = e(&line.description),
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
    let status = state.status(document, today);
    let paid = if state.paid_minor > 0 {
        format!(
            r#"<p class="paid">{}: {}</p>"#,
            t(Text::AmountPaid),
            money(state.paid_minor)
        )
    } else {
        String::new()
    };
    let history = if state.history.is_empty() {
        String::new()
    } else {
        let items: String = state
            .history
            .iter()
            .rev()
            .map(|event| history_item(event, document))
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
<header class="seller">
<p class="store">{store}</p>
<p class="muted">{seller_lines}</p>
</header>
<section class="summary" aria-labelledby="invoice-title">
<h1 id="invoice-title">{invoice} {number}</h1>
<p class="status status-{status_code}">{status}</p>
<p class="due-label">{amount_due_label}</p>
<p class="due-amount">{amount_due}</p>
{paid}
<div class="actions no-print">
<a class="button primary" id="download-pdf" href="{pdf_href}">{download}</a>
{print_button}</div>
</section>
<section class="details">
<dl class="facts">
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
{notes}</section>
{history}</main>
{script}</body>
</html>
"#,
        head = head(language, &title),
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
        invoice = t(Text::Invoice),
        number = e(&document.number),
        status = status.label(language),
        status_code = status.code(),
        amount_due_label = t(Text::AmountDue),
        amount_due = money(state.due_minor(document)),
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
