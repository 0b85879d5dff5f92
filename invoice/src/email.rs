//! The email that carries an invoice link, in the customer's language.

use crate::document::PublicDocument;
use crate::i18n::{fill, text, Text};

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

/// The email for one recipient of one send: the link as a button and as
/// plain text, no attachment.
pub fn invoice_email(document: &PublicDocument, link_url: &str) -> EmailContent {
    let language = document.language;
    let total = document.totals.total.format(language);
    let values = [
        ("number", document.number.as_str()),
        ("store", document.seller.name.as_str()),
        ("customer", document.customer.name.as_str()),
        ("total", total.as_str()),
    ];
    let say = |key| fill(text(language, key), &values);
    let subject = say(Text::EmailSubject);
    let greeting = say(Text::EmailGreeting);
    let intro = say(Text::EmailIntro);
    let button = say(Text::EmailButton);
    let plain_link = say(Text::EmailPlainLink);
    let store = &document.seller.name;

    let text_body = format!("{greeting}\n\n{intro}\n\n{button}:\n{link_url}\n\n{store}\n");
    let link = escape_html(link_url);
    let html_body = format!(
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{subject_html}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:Helvetica,Arial,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:32px">
<tr><td>
<p style="margin:0 0 16px;font-size:16px">{greeting}</p>
<p style="margin:0 0 24px;font-size:16px">{intro}</p>
<p style="margin:0 0 24px"><a href="{link}" style="display:inline-block;background:#1d4ed8;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:bold">{button}</a></p>
<p style="margin:0 0 4px;font-size:13px;color:#52606d">{plain_link}</p>
<p style="margin:0 0 24px;font-size:13px;word-break:break-all"><a href="{link}" style="color:#1d4ed8">{link}</a></p>
<p style="margin:0;font-size:14px;color:#52606d">{store_html}</p>
</td></tr>
</table>
</body>
</html>
"#,
        lang = language.code(),
        subject_html = escape_html(&subject),
        greeting = escape_html(&greeting),
        intro = escape_html(&intro),
        button = escape_html(&button),
        plain_link = escape_html(&plain_link),
        store_html = escape_html(store),
    );
    EmailContent {
        subject,
        text: text_body,
        html: html_body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_document;
    use crate::Language;

    #[test]
    fn the_email_carries_the_link_as_a_button_and_as_text_in_the_customers_language() {
        let mut document = sample_document();
        document.language = Language::It;
        let email = invoice_email(&document, "https://edge.example/i/TOKEN");
        assert_eq!(email.subject, "Fattura 2026-0001 da Bottega <Rossi>");
        assert!(email
            .text
            .contains("Visualizza la fattura:\nhttps://edge.example/i/TOKEN\n"));
        assert!(email
            .html
            .contains(r#"href="https://edge.example/i/TOKEN""#));
        assert!(email.html.contains("244,00\u{a0}€"));
    }

    #[test]
    fn names_cannot_inject_markup_into_the_html_part() {
        let email = invoice_email(&sample_document(), "https://edge.example/i/T");
        assert!(email.html.contains("Bottega &lt;Rossi&gt;"));
        assert!(!email.html.contains("<Rossi>"));
    }
}
