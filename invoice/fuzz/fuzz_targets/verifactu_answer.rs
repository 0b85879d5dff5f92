//! The AEAT's answers to VERI*FACTU requests: bytes from the network, read
//! by the sender after every request. Whatever they are, reading ends with
//! a typed answer or a typed refusal, within the schema's bounds; and a
//! stored record read back for the chain check never panics either.
#![no_main]

use invoice::verifactu::{
    parse_record, parse_response, SubmissionAnswer, MAX_RECORDS_PER_REQUEST,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(record) = parse_record(text) {
        assert_eq!(record.computed_huella.len(), 64);
    }
    match parse_response(text) {
        Ok(SubmissionAnswer::Response(response)) => {
            // TiempoEsperaEnvio is at most four digits.
            assert!(response.wait_seconds <= 9_999);
            assert!(response.lines.len() <= MAX_RECORDS_PER_REQUEST);
            for line in &response.lines {
                assert!(!line.is_duplicate() || line.is_delivered());
            }
        }
        Ok(SubmissionAnswer::Fault(fault)) => {
            assert!(fault.aeat_code.is_none_or(|code| (1000..=9999).contains(&code)));
        }
        Err(_) => {}
    }
});
