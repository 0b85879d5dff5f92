//! SdI's receipts: files that arrive in a mailbox anyone can write to, or
//! are uploaded by a merchant. Whatever the bytes, reading one ends with a
//! receipt or a typed refusal; an accepted receipt names a file that
//! follows SdI's naming rule (so it can only match by that name), an
//! identifier of letters and digits, and a rejection with its errors.
#![no_main]

use invoice::sdi::{parse_receipt, InvoiceFileName, MessageFileName, Outcome};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Ok(name) = InvoiceFileName::parse(text) {
            assert_eq!(InvoiceFileName::parse(&name.to_string()), Ok(name));
        }
        if let Ok(name) = MessageFileName::parse(text) {
            assert!(InvoiceFileName::parse(&format!("{}.xml", name.invoice_base)).is_ok());
        }
    }
    let Ok(receipt) = parse_receipt(bytes) else {
        return;
    };
    assert!(!receipt.sdi_id.is_empty() && receipt.sdi_id.len() <= 36);
    assert!(receipt.sdi_id.bytes().all(|byte| byte.is_ascii_alphanumeric()));
    assert_eq!(
        InvoiceFileName::parse(&receipt.invoice_file.to_string()).as_ref(),
        Ok(&receipt.invoice_file)
    );
    if let Outcome::Rejected { errors } = &receipt.outcome {
        assert!(!errors.is_empty() && errors.len() <= 200);
        assert!(errors.iter().all(|error| error.code.len() == 5));
    }
});
