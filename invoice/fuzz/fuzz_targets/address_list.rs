//! Email addresses typed by merchants (a customer's address, a store's
//! copies-to and failure-notify lists). Each accepted address goes into an
//! email header, so it must carry nothing that could add a header or a
//! recipient, and what was saved must read back as the same list.
#![no_main]

use invoice::document::EmailAddress;
use invoice::store::{parse_address_list, MAX_ADDRESSES};
use libfuzzer_sys::fuzz_target;

/// What `EmailAddress::parse` promises of every address it accepts.
fn check_address(address: &EmailAddress) {
    let text = address.as_str();
    assert!(!text.is_empty() && text.len() <= 254, "{text:?}");
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "<>,;:\"()[]\\".contains(c)),
        "header syntax in an accepted address: {text:?}"
    );
    let (local, domain) = text.rsplit_once('@').expect("an accepted address has an @");
    assert!(!local.is_empty() && !local.contains('@'), "{text:?}");
    assert!(domain.contains('.'), "{text:?}");
    assert_eq!(
        EmailAddress::parse(text).as_ref(),
        Ok(address),
        "does not re-parse to itself"
    );
}

fuzz_target!(|text: &str| {
    if let Ok(address) = EmailAddress::parse(text) {
        assert_eq!(address.as_str(), text.trim());
        check_address(&address);
    }

    let Ok(list) = parse_address_list(text) else {
        return;
    };
    assert!(list.len() <= MAX_ADDRESSES);
    for (index, address) in list.iter().enumerate() {
        check_address(address);
        assert!(
            !list[..index]
                .iter()
                .any(|earlier| earlier.as_str().eq_ignore_ascii_case(address.as_str())),
            "{address:?} is listed twice"
        );
    }
    // The store form shows a saved list joined with "; " and parses it again
    // on save: the list must come back as it was.
    let shown = list
        .iter()
        .map(EmailAddress::as_str)
        .collect::<Vec<_>>()
        .join("; ");
    assert_eq!(parse_address_list(&shown), Ok(list));
});
