//! What crosses the wire between the server and the edge.

use serde::{Deserialize, Serialize};

use crate::document::PublicDocument;

/// Where the edge accepts a publication from the server (signed PUT).
pub const PUBLISH_PATH: &str = "/_invio/publish";
/// Where the server accepts event batches from the edge (signed POST).
pub const EVENTS_PATH: &str = "/api/edge/events";

/// Who a link was sent to. Opens through a copy never count as the customer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Customer,
    Copy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedLink {
    /// Hex of the link's public id.
    pub link_id: String,
    pub recipient: Recipient,
    /// Withdrawn by the merchant: the edge answers 410.
    #[serde(default)]
    pub revoked: bool,
}

/// An issued invoice as the server hands it to the edge: the frozen document,
/// its PDF, and the links that may open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    /// A random id of the invoice at the edge; never the database id.
    pub invoice_key: String,
    pub document: PublicDocument,
    pub pdf_base64: String,
    pub links: Vec<PublishedLink>,
}

/// What the edge keeps per link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub invoice_key: String,
    pub recipient: Recipient,
    #[serde(default)]
    pub revoked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeEventKind {
    /// The page was requested; says nothing about who read it.
    LinkFetched,
    /// A person was seen looking at the page.
    Opened,
    PdfDownloaded,
    Printed,
}

impl EdgeEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeEventKind::LinkFetched => "link_fetched",
            EdgeEventKind::Opened => "opened",
            EdgeEventKind::PdfDownloaded => "pdf_downloaded",
            EdgeEventKind::Printed => "printed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceClass {
    Desktop,
    Tablet,
    Phone,
    Unknown,
}

/// One thing that happened at the edge. The id is made at the edge, so a
/// batch delivered twice is recorded once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeEvent {
    pub id: String,
    pub link_id: String,
    pub kind: EdgeEventKind,
    /// Scanners, previews and prefetches: shown to the merchant, marked, and
    /// kept out of the Opened column and the customer's history.
    pub automated: bool,
    pub at_ms: i64,
    pub device: DeviceClass,
    pub browser: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EventBatch {
    pub events: Vec<EdgeEvent>,
}
