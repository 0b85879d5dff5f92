//! SdI's receipts inside a PEC message. A certified message wraps what SdI
//! sent as `postacert.eml` (message/rfc822) beside the provider's
//! `daticert.xml`, the whole signed (`smime.p7s`); the receipt is an XML
//! attachment of the wrapped message, named `IT…_RC_001.xml`. Every part is
//! walked, nested messages included, with a real MIME parser.

use invoice::sdi::{parse_receipt, SdiParseError, SdiReceipt};
use mail_parser::{Message, MessageParser, MimeHeaders};

/// How deep messages wrapped in messages are opened: a PEC envelope has one.
const MAX_NESTING: usize = 3;
/// The PEC provider's own data about the message: never a receipt.
const PEC_DATA_FILE: &str = "daticert.xml";

/// A receipt found in a message.
#[derive(Debug, Clone)]
pub struct FoundReceipt {
    /// The attachment's name, `IT01234567890_11111_RC_001.xml`.
    pub message_file: Option<String>,
    pub xml: String,
    pub receipt: SdiReceipt,
}

/// What a message held: SdI's receipts, and XML attachments that claimed
/// to be but could not be read (kept apart so the reader can log them).
#[derive(Debug, Default)]
pub struct Contents {
    pub receipts: Vec<FoundReceipt>,
    pub unreadable: Vec<(Option<String>, SdiParseError)>,
}

/// The receipts of one raw message (RFC 5322 bytes).
pub fn receipts(raw: &[u8]) -> Contents {
    let mut contents = Contents::default();
    if let Some(message) = MessageParser::default().parse(raw) {
        walk(&message, 0, &mut contents);
    }
    contents
}

fn walk(message: &Message<'_>, depth: usize, contents: &mut Contents) {
    for part in &message.parts {
        if let Some(inner) = part.message() {
            if depth < MAX_NESTING {
                walk(inner, depth + 1, contents);
            }
            continue;
        }
        let Some(name) = part.attachment_name() else {
            continue;
        };
        let is_xml = name.to_ascii_lowercase().ends_with(".xml");
        if !is_xml || name.eq_ignore_ascii_case(PEC_DATA_FILE) {
            continue;
        }
        match parse_receipt(part.contents()) {
            Ok(receipt) => contents.receipts.push(FoundReceipt {
                message_file: Some(name.to_owned()),
                xml: String::from_utf8_lossy(part.contents()).into_owned(),
                receipt,
            }),
            Err(error) => contents.unreadable.push((Some(name.to_owned()), error)),
        }
    }
}
