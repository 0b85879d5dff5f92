//! The JSON that crosses between the server and the edge. Both sides parse
//! what the other sent (and the edge re-reads what it stored in KV), so no
//! bytes may panic the parser, and whatever parses must survive being written
//! out and read back unchanged, or a value would drift on every hop.
#![no_main]

use std::fmt::Debug;

use invoice::events::{EventBatch, FreshLinkRequest, LinkRecord, Publication, StatePublication};
use invoice::tracking::PresenceReport;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let written = serde_json::to_vec(&value).expect("a parsed value serialises");
    let again: T = serde_json::from_slice(&written).unwrap_or_else(|error| {
        panic!(
            "our own output does not parse ({error}): {}",
            String::from_utf8_lossy(&written)
        )
    });
    assert_eq!(value, again);
}

fuzz_target!(|data: &[u8]| {
    // From the edge to the server.
    round_trip::<EventBatch>(data);
    round_trip::<FreshLinkRequest>(data);
    // From the page's script to the edge.
    round_trip::<PresenceReport>(data);
    // From the server to the edge, and as the edge keeps it.
    round_trip::<Publication>(data);
    round_trip::<StatePublication>(data);
    round_trip::<LinkRecord>(data);
});
