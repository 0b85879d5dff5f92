//! What crosses the wire between the server and the edge.

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::document::PublicDocument;
use crate::status::{amount_owed, derive_status, InvoiceStatus, Lifecycle};
use crate::time_zone::{self, TimeZone};
use crate::tracking::Clue;

/// Where the edge accepts a publication from the server (signed PUT).
pub const PUBLISH_PATH: &str = "/_invio/publish";
/// Where the edge accepts an invoice's changed state (signed PUT).
pub const STATE_PATH: &str = "/_invio/state";
/// Where the server accepts event batches from the edge (signed POST).
pub const EVENTS_PATH: &str = "/api/edge/events";
/// The most events one batch may carry; the server refuses a larger batch
/// (413), so the edge never sends one.
pub const MAX_BATCH_EVENTS: usize = 100;
/// Where the edge passes on a customer's request for a fresh link, made on
/// the page of a revoked one (signed POST of a [`FreshLinkRequest`]).
pub const FRESH_LINK_PATH: &str = "/api/edge/fresh-link";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshLinkRequest {
    /// Hex of the revoked link's public id.
    pub link_id: String,
}

/// How many fresh links one revoked link may bring, over its whole life:
/// enough for a customer who lost one, too few to make the link a way of
/// mailing the customer at will.
pub const MAX_FRESH_LINKS_PER_LINK: i64 = 3;

/// Whether a customer's request for a fresh link, made through a link, is
/// answered with one: only in place of a revoked link, for an invoice still
/// to pay (neither paid nor void), and at most [`MAX_FRESH_LINKS_PER_LINK`]
/// times per link.
pub fn fresh_link_allowed(
    link_revoked: bool,
    lifecycle: Lifecycle,
    due_minor: i64,
    sent_before: i64,
) -> bool {
    link_revoked
        && lifecycle == Lifecycle::Issued
        && due_minor > 0
        && sent_before < MAX_FRESH_LINKS_PER_LINK
}

/// Where the edge asks the server for a link it does not have (signed GET of
/// `{LINK_LOOKUP_PATH}/{link id}`); the answer is a [`Publication`].
pub const LINK_LOOKUP_PATH: &str = "/api/edge/links";

/// The shortest shared secret the server and the edge accept: shorter ones
/// are guessable, and a worker configured with one refuses to run.
pub const MIN_EDGE_SECRET_LEN: usize = 32;

/// How many history entries, newest first, an invoice's published state
/// carries; older ones are only counted (see [`PublicState::earlier_entries`]).
/// Keeps what is sent to the edge and kept there per link bounded, whatever
/// the history holds.
pub const PUBLISHED_HISTORY_LIMIT: usize = 50;

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
/// its PDF, the links that may open it, and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    /// A random id of the invoice at the edge; never the database id.
    pub invoice_key: String,
    pub document: PublicDocument,
    pub pdf_base64: String,
    pub links: Vec<PublishedLink>,
    pub state: PublicState,
}

/// What changes after an invoice is sent, published again on each change
/// without the document and its PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatePublication {
    pub invoice_key: String,
    pub links: Vec<PublishedLink>,
    pub state: PublicState,
}

/// What the customer may see of an invoice's changing state. The status is
/// derived where it is shown, since "overdue" comes with the date alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicState {
    /// The server's count of the invoice's changes. The edge keeps the
    /// newest state it was given, so a late or replayed publication of an
    /// older one (a link not yet revoked, say) changes nothing.
    #[serde(default)]
    pub version: i64,
    pub lifecycle: Lifecycle,
    pub paid_minor: i64,
    /// What the invoice's credit notes took off its total (0 for a credit
    /// note, and in publications from before credit notes).
    #[serde(default)]
    pub credited_minor: i64,
    /// The newest [`PUBLISHED_HISTORY_LIMIT`] entries, oldest first.
    pub history: Vec<PublicEvent>,
    /// How many older entries the history has beyond those published.
    #[serde(default)]
    pub earlier_entries: u64,
    /// The store's zone: the page shows its times in it until the reader's
    /// browser puts them in the reader's own. Publications from before it
    /// existed read as UTC, as they were shown then.
    #[serde(default, deserialize_with = "time_zone::lenient")]
    pub time_zone: TimeZone,
}

impl PublicState {
    /// The state of an invoice just issued, before anything happened to it.
    pub fn issued() -> Self {
        Self {
            version: 0,
            lifecycle: Lifecycle::Issued,
            paid_minor: 0,
            credited_minor: 0,
            history: Vec::new(),
            earlier_entries: 0,
            time_zone: TimeZone::UTC,
        }
    }

    pub fn status(&self, document: &PublicDocument, today: Date) -> InvoiceStatus {
        derive_status(
            self.lifecycle,
            document.totals.total.minor,
            self.paid_minor,
            self.credited_minor,
            document.due_date,
            today,
        )
    }

    /// What is left to pay; nothing on a credit note, which gives back.
    pub fn due_minor(&self, document: &PublicDocument) -> i64 {
        match (self.lifecycle, document.kind()) {
            (Lifecycle::Issued, crate::document::DocumentKind::Invoice) => amount_owed(
                document.totals.total.minor,
                self.paid_minor,
                self.credited_minor,
            ),
            (Lifecycle::Issued, crate::document::DocumentKind::CreditNote)
            | (Lifecycle::Draft | Lifecycle::Void, _) => 0,
        }
    }
}

/// One entry of the history the customer sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicEvent {
    pub at_ms: i64,
    pub kind: PublicEventKind,
    /// Repeats merged into this entry (see `crate::repeats`), or the
    /// customer's views folded into it ([`fold_views`]): 1 for one event.
    #[serde(default = "one")]
    pub count: i64,
    /// When the last of `count` came; `None` when it was `at_ms` (and in
    /// publications from before it was sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at_ms: Option<i64>,
}

fn one() -> i64 {
    1
}

impl PublicEvent {
    /// When the last of the entry's events came.
    pub fn last_at(&self) -> i64 {
        self.last_at_ms
            .map_or(self.at_ms, |last| last.max(self.at_ms))
    }
}

/// The customer's own views, downloads and prints folded: all the opens are
/// one entry ("Opened 3 times, last on …") at the first, and so are the
/// downloads and the prints, so a customer who came back ten times reads one
/// line, not ten. Sends, reminders and payments stay one entry each. Keeps
/// the order of `history` (oldest first).
pub fn fold_views(history: Vec<PublicEvent>) -> Vec<PublicEvent> {
    let mut folded: Vec<PublicEvent> = Vec::with_capacity(history.len());
    for event in history {
        let views = matches!(
            event.kind,
            PublicEventKind::Opened | PublicEventKind::PdfDownloaded | PublicEventKind::Printed
        );
        match folded
            .iter_mut()
            .find(|earlier| views && earlier.kind == event.kind)
        {
            Some(earlier) => {
                let last = earlier.last_at().max(event.last_at());
                earlier.at_ms = earlier.at_ms.min(event.at_ms);
                earlier.count = earlier.count.saturating_add(event.count.max(1));
                earlier.last_at_ms = (last > earlier.at_ms).then_some(last);
            }
            None => folded.push(event),
        }
    }
    folded
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicEventKind {
    Sent,
    ReminderSent,
    Opened,
    PdfDownloaded,
    Printed,
    PaymentReceived {
        amount_minor: i64,
        date: Date,
    },
    Voided,
    /// On an invoice: a credit note corrects it.
    CreditNoteIssued {
        number: String,
        amount_minor: i64,
    },
    /// On a credit note: the invoice it corrects.
    CorrectsInvoice {
        number: String,
    },
    /// The legal invoice through SdI: delivered, or (not delivered) waiting
    /// in the customer's area on the Agenzia's site.
    ElectronicInvoice {
        delivered: bool,
    },
}

/// The newest [`PUBLISHED_HISTORY_LIMIT`] entries of a history (oldest
/// first, as given), and how many older ones were left out.
pub fn published_history(mut history: Vec<PublicEvent>) -> (Vec<PublicEvent>, u64) {
    let earlier = history.len().saturating_sub(PUBLISHED_HISTORY_LIMIT);
    history.drain(..earlier);
    (history, u64::try_from(earlier).unwrap_or(u64::MAX))
}

/// What the edge keeps per link: with a copy of the document and its state,
/// so the customer's page costs one read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub invoice_key: String,
    pub recipient: Recipient,
    #[serde(default)]
    pub revoked: bool,
    pub document: PublicDocument,
    pub state: PublicState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

    pub fn parse(code: &str) -> Option<Self> {
        [
            EdgeEventKind::LinkFetched,
            EdgeEventKind::Opened,
            EdgeEventKind::PdfDownloaded,
            EdgeEventKind::Printed,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == code)
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

impl DeviceClass {
    pub fn code(self) -> &'static str {
        match self {
            DeviceClass::Desktop => "desktop",
            DeviceClass::Tablet => "tablet",
            DeviceClass::Phone => "phone",
            DeviceClass::Unknown => "unknown",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            DeviceClass::Desktop,
            DeviceClass::Tablet,
            DeviceClass::Phone,
            DeviceClass::Unknown,
        ]
        .into_iter()
        .find(|device| device.code() == code)
    }
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
    /// What made the edge's verdict, and what the server adds to it: the
    /// reasons an automated event is shown with. Absent from events an
    /// earlier edge queued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clues: Vec<Clue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EventBatch {
    pub events: Vec<EdgeEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_link_replaces_a_revoked_link_of_an_invoice_to_pay_a_few_times_at_most() {
        assert!(fresh_link_allowed(true, Lifecycle::Issued, 100, 0));
        assert!(fresh_link_allowed(
            true,
            Lifecycle::Issued,
            100,
            MAX_FRESH_LINKS_PER_LINK - 1
        ));
        assert!(!fresh_link_allowed(
            true,
            Lifecycle::Issued,
            100,
            MAX_FRESH_LINKS_PER_LINK
        ));
        assert!(
            !fresh_link_allowed(false, Lifecycle::Issued, 100, 0),
            "live link"
        );
        assert!(!fresh_link_allowed(true, Lifecycle::Issued, 0, 0), "paid");
        assert!(!fresh_link_allowed(true, Lifecycle::Void, 100, 0));
        assert!(!fresh_link_allowed(true, Lifecycle::Draft, 100, 0));
    }

    #[test]
    fn a_published_history_keeps_the_newest_entries_and_counts_the_rest() {
        let history: Vec<PublicEvent> = (0..(PUBLISHED_HISTORY_LIMIT as i64 + 7))
            .map(|at_ms| PublicEvent {
                at_ms,
                kind: PublicEventKind::Opened,
                count: 1,
                last_at_ms: None,
            })
            .collect();
        let (published, earlier) = published_history(history.clone());
        assert_eq!(published.len(), PUBLISHED_HISTORY_LIMIT);
        assert_eq!(earlier, 7);
        assert_eq!(published[0].at_ms, 7, "the oldest are left out");
        assert_eq!(published.last(), history.last());
        let (short, none) = published_history(history[..3].to_vec());
        assert_eq!((short.len(), none), (3, 0));
    }

    fn event(
        at_ms: i64,
        kind: PublicEventKind,
        count: i64,
        last_at_ms: Option<i64>,
    ) -> PublicEvent {
        PublicEvent {
            at_ms,
            kind,
            count,
            last_at_ms,
        }
    }

    #[test]
    fn the_customers_views_downloads_and_prints_fold_into_one_entry_each() {
        use PublicEventKind::*;
        let history = vec![
            event(100, Sent, 1, None),
            event(200, Opened, 1, None),
            // Repeats within the window, merged at ingest.
            event(300, Opened, 2, Some(350)),
            event(400, PdfDownloaded, 1, None),
            event(500, ReminderSent, 1, None),
            event(600, Opened, 1, None),
            event(700, Printed, 1, None),
            event(800, ReminderSent, 1, None),
        ];
        assert_eq!(
            fold_views(history),
            vec![
                event(100, Sent, 1, None),
                event(200, Opened, 4, Some(600)),
                event(400, PdfDownloaded, 1, None),
                event(500, ReminderSent, 1, None),
                event(700, Printed, 1, None),
                event(800, ReminderSent, 1, None),
            ]
        );
        assert_eq!(fold_views(Vec::new()), Vec::new());
        let once = vec![event(5, Opened, 3, Some(9))];
        assert_eq!(fold_views(once.clone()), once);
    }

    #[test]
    fn a_state_published_before_zones_and_folding_still_reads() {
        let old = r#"{"version":3,"lifecycle":"Issued","paid_minor":0,
            "history":[{"at_ms":5,"kind":"opened","count":2}],"earlier_entries":0}"#;
        let state: PublicState = serde_json::from_str(old).expect("reads");
        assert_eq!(state.time_zone, TimeZone::UTC);
        assert_eq!(state.history[0].last_at_ms, None);
        assert_eq!(state.history[0].last_at(), 5);
        let from_a_newer_release =
            old.replace(r#""version":3"#, r#""version":3,"time_zone":"Asia/Tokyo""#);
        let state: PublicState = serde_json::from_str(&from_a_newer_release).expect("reads");
        assert_eq!(state.time_zone, TimeZone::UTC);
    }
}
