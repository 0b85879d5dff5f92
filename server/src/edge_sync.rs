//! The server's side of the edge: publishing invoices to the worker
//! ([`publisher`], through the signed [`client`]) and the endpoints the
//! worker calls ([`inbound`]: event ingest, link lookup, fresh links). Both
//! directions are signed with the shared secret (see `invoice::signing`).

pub mod client;
pub mod inbound;
pub mod publisher;

pub use client::EdgeClient;
pub use inbound::{EVENTS_BODY_LIMIT, FRESH_LINK_BODY_LIMIT};
