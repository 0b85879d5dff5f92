//! The signature on calls between the server and the edge. Its two headers
//! come from whoever sent the request, so no header value may panic the
//! check; only the real signature within the clock skew passes; and what
//! `sign` produces passes `verify` for every secret, path and body.
#![no_main]

use arbitrary::Arbitrary;
use invoice::signing::{sign, verify, SignatureError, MAX_SKEW_SECONDS};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    secret: &'a [u8],
    method: &'a str,
    path: &'a str,
    timestamp_header: Option<&'a str>,
    signature_header: Option<&'a str>,
    body: &'a [u8],
    /// The receiver's clock and the sender's, in Unix seconds: callers pass
    /// the time in, so any value must be handled.
    now: i64,
    sent_at: i64,
    /// Which body byte a man in the middle flips.
    flip: usize,
}

fuzz_target!(|input: Input<'_>| {
    let Input {
        secret,
        method,
        path,
        body,
        now,
        sent_at,
        ..
    } = input;

    // Forged headers: accepted only if they are the real signature.
    let forged = verify(
        secret,
        method,
        path,
        input.timestamp_header,
        input.signature_header,
        body,
        now,
    );
    if forged.is_ok() {
        let (Some(timestamp), Some(signature)) = (input.timestamp_header, input.signature_header)
        else {
            panic!("accepted a request without both headers");
        };
        let timestamp: i64 = timestamp.trim().parse().expect("accepted timestamps parse");
        assert_eq!(
            signature.trim().to_ascii_lowercase(),
            sign(secret, method, path, timestamp, body)
        );
    }

    // A genuine request passes while fresh, and is stale otherwise.
    let signature = sign(secret, method, path, sent_at, body);
    let timestamp = sent_at.to_string();
    let fresh = now.abs_diff(sent_at) <= MAX_SKEW_SECONDS.unsigned_abs();
    let check = |method: &str, body: &[u8]| {
        verify(
            secret,
            method,
            path,
            Some(&timestamp),
            Some(&signature),
            body,
            now,
        )
    };
    let expected = if fresh {
        Ok(())
    } else {
        Err(SignatureError::Stale)
    };
    assert_eq!(check(method, body), expected);
    // HTTP methods are case-insensitive, and so is the signature over them.
    assert_eq!(check(&method.to_ascii_lowercase(), body), expected);

    // A body changed in transit is refused.
    if fresh && !body.is_empty() {
        let mut tampered = body.to_vec();
        tampered[input.flip % body.len()] ^= 1;
        assert_eq!(check(method, &tampered), Err(SignatureError::Mismatch));
    }
});
