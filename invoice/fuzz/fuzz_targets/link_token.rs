//! Link tokens, as the edge meets them in `/i/{token}`: whatever a stranger
//! puts in the URL is refused without a panic, only a token this ring signed
//! is accepted, and a genuine token changed in any one place is refused.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use invoice::link::{KeyRing, LinkId, TOKEN_LEN};
use libfuzzer_sys::fuzz_target;

// A ring just after a rotation: key 2 signs new links, key 1 still verifies
// the old ones. The keys are the unit tests' (32 bytes each), not secrets.
const KEY_1: &str = "1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const KEY_2: &str = "2:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA";

/// What the server does with a link; read from the same bytes as the token
/// (the whole input), so a seed that is a bare token still means something.
#[derive(Debug, Arbitrary)]
struct Input<'a> {
    /// The public id of a link the server creates.
    id: [u8; 16],
    /// Where a genuine token is changed, and into what.
    position: usize,
    replacement: char,
    /// A `LINK_SIGNING_KEYS` value as an operator might type it.
    ring_text: &'a str,
}

fn ring(text: &str) -> KeyRing {
    KeyRing::parse(text).expect("the fixed rings are valid")
}

fuzz_target!(|data: &[u8]| {
    let rotated = ring(&format!("{KEY_2},{KEY_1}"));
    let old = ring(KEY_1);
    let new = ring(KEY_2);

    // What followed `/i/` in a request (the whole input): a token accepted
    // must be byte for byte one that a key of the ring signed, since the
    // fuzzer cannot compute an HMAC.
    let received = String::from_utf8_lossy(data);
    if let Some(id) = rotated.verify(&received) {
        assert!(
            received == new.sign(id) || received == old.sign(id),
            "accepted a token no key of the ring signed: {received:?}"
        );
    }
    let _ = LinkId::from_hex(&received);

    let Ok(input) = Input::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };

    // A genuine token verifies back to its id, under the ring that signed it.
    let id = LinkId(input.id);
    let token = rotated.sign(id);
    assert_eq!(token.len(), TOKEN_LEN);
    assert!(token.is_ascii(), "tokens go in URLs");
    assert_eq!(rotated.verify(&token), Some(id));
    assert_eq!(new.verify(&token), Some(id));
    // Dropping key 2 from the ring retires the links it signed.
    assert_eq!(old.verify(&token), None);
    assert_eq!(LinkId::from_hex(&id.to_hex()), Some(id));

    // One character changed: refused, never read as another link's id.
    let position = input.position % TOKEN_LEN;
    if token[position..].chars().next() != Some(input.replacement) {
        let mut tampered = token.clone();
        tampered.replace_range(
            position..=position,
            input.replacement.encode_utf8(&mut [0; 4]),
        );
        assert_eq!(
            rotated.verify(&tampered),
            None,
            "{token} changed at {position} into {tampered}"
        );
    }

    // Any key ring that parses signs and verifies its own tokens.
    if let Ok(parsed) = KeyRing::parse(input.ring_text) {
        assert_eq!(parsed.verify(&parsed.sign(id)), Some(id));
    }
});
