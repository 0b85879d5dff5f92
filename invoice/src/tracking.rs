//! Telling a person from a machine.
//!
//! Mail security scanners and link previewers fetch every link in a message,
//! some within seconds and some in a full browser that runs scripts. So a GET
//! proves nothing: it is recorded as *link fetched*. *Opened* needs a report
//! from the page that it was visible for a while or that someone interacted
//! with it, from a browser that is not driven by automation.
//!
//! Each request yields [`Clue`]s: the edge finds those in the request and
//! the page's report (agent, network, automation, input), the server adds
//! the clock's (how soon after sending, in step with other recipients), and
//! [`verdict`] weighs them. The clues of an automated verdict are kept as
//! its reasons.

use serde::{Deserialize, Serialize};

use crate::events::DeviceClass;
use crate::networks;
use crate::page_view::PageView;

/// How long the page must be visible and focused before it counts as read.
pub const MIN_VISIBLE_MS: u32 = 1_500;

/// Substrings (lower case) of user agents that belong to scanners, previewers
/// and scripts rather than to a person's browser.
const AUTOMATED_AGENT_MARKERS: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "preview",
    "scanner",
    "headless",
    "phantomjs",
    "python",
    "curl",
    "wget",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "httpclient",
    "axios",
    "node-fetch",
    "facebookexternalhit",
    "slurp",
    "whatsapp",
    "skypeuripreview",
    "microsoft office",
    "ms-office",
    "outlook",
    "barracuda",
    "mimecast",
    "proofpoint",
    "safelinks",
    "googleimageproxy",
    "yahoomailproxy",
    "symantec",
    "trendmicro",
    "forcepoint",
    "cisco",
    "sophos",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Person,
    Automated,
}

/// How long after an email is sent a visit is in the scanners' hour: mail
/// gateways open links as the message passes through them, sandboxes within
/// a minute or two.
pub const SCANNER_WINDOW_MS: i64 = 120_000;
/// How close together visits to the links of several recipients of one send
/// are "the same moment": people do not read in step, a gateway scanning
/// every copy of a message does.
pub const SAME_MOMENT_MS: i64 = 10_000;

/// One piece of evidence that a machine, not a person, made a request. An
/// automated verdict keeps its clues: they are what the merchant reads as
/// the reasons ("Microsoft network, 21 s after sending, no input").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "clue", rename_all = "snake_case")]
pub enum Clue {
    /// A scanner's, previewer's or script's user agent, or none at all.
    MachineAgent,
    /// Not a GET: a HEAD, which only asks whether the page is there.
    NotAGet,
    /// A speculative load (`Sec-Purpose: prefetch`), not a visit.
    Prefetch,
    /// The browser said it is driven by automation (`navigator.webdriver`).
    DrivenBrowser,
    /// A PDF asked for without a person's click (`Sec-Fetch-User`).
    NoGesture,
    /// A PDF asked for from no page this edge served.
    NoPageView,
    /// The page this came from was itself fetched by a machine.
    MachinePage,
    /// From a network of clouds, hosts or mail security vendors
    /// ([`crate::networks`]).
    MachineNetwork { network: String },
    /// Visible for less than [`MIN_VISIBLE_MS`], and nothing touched.
    Glimpse,
    /// Visible long enough, but no scroll, pointer, touch or key.
    NoInput,
    /// Within [`SCANNER_WINDOW_MS`] of the email being sent.
    SoonAfterSending { seconds: u32 },
    /// At the same moment as visits to other recipients' links of the send.
    WithOtherRecipients { links: u32 },
}

impl Clue {
    /// Whether this clue alone makes a machine. The others are what a person
    /// may also show (reading without touching, opening at once); they make a
    /// machine only when two of them come together.
    pub fn is_decisive(&self) -> bool {
        match self {
            Clue::MachineAgent
            | Clue::NotAGet
            | Clue::Prefetch
            | Clue::DrivenBrowser
            | Clue::NoGesture
            | Clue::NoPageView
            | Clue::MachinePage
            | Clue::MachineNetwork { .. }
            | Clue::Glimpse => true,
            Clue::NoInput | Clue::SoonAfterSending { .. } | Clue::WithOtherRecipients { .. } => {
                false
            }
        }
    }
}

/// Who the clues point to: a machine on one decisive clue or two others.
pub fn verdict(clues: &[Clue]) -> Actor {
    let circumstantial = clues.iter().filter(|clue| !clue.is_decisive()).count();
    if clues.iter().any(Clue::is_decisive) || circumstantial >= 2 {
        Actor::Automated
    } else {
        Actor::Person
    }
}

pub fn is_automated_agent(user_agent: Option<&str>) -> bool {
    match user_agent.map(str::trim) {
        None | Some("") => true,
        Some(agent) => {
            let agent = agent.to_ascii_lowercase();
            AUTOMATED_AGENT_MARKERS
                .iter()
                .any(|marker| agent.contains(marker))
        }
    }
}

/// What a request says about who sent it: its headers, and the network
/// Cloudflare saw it come from.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSignals<'a> {
    pub method: &'a str,
    pub user_agent: Option<&'a str>,
    /// `Sec-Purpose` or `Purpose`: `prefetch` for speculative loads.
    pub purpose: Option<&'a str>,
    /// `Sec-Fetch-User`: `?1` only when a person's gesture started the navigation.
    pub fetch_user: Option<&'a str>,
    /// `request.cf.asn`.
    pub asn: Option<u32>,
    /// `request.cf.asOrganization`.
    pub as_organization: Option<&'a str>,
}

impl RequestSignals<'_> {
    /// What any request of a page view shows: its agent and its network.
    fn sender_clues(&self) -> Vec<Clue> {
        let mut clues = Vec::new();
        if is_automated_agent(self.user_agent) {
            clues.push(Clue::MachineAgent);
        }
        if let Some(network) = networks::machine_network(self.asn, self.as_organization) {
            clues.push(Clue::MachineNetwork {
                network: network.name.to_owned(),
            });
        }
        clues
    }

    /// A page request is always *link fetched*; these clues say whether a
    /// machine fetched it.
    pub fn page_fetch(&self) -> Vec<Clue> {
        let mut clues = self.sender_clues();
        if !self.method.eq_ignore_ascii_case("GET") {
            clues.push(Clue::NotAGet);
        }
        if self
            .purpose
            .is_some_and(|purpose| purpose.to_ascii_lowercase().contains("prefetch"))
        {
            clues.push(Clue::Prefetch);
        }
        clues
    }

    /// A PDF request counts as a person's download only when a gesture
    /// started it, which browsers state in `Sec-Fetch-User`.
    fn download(&self) -> Vec<Clue> {
        let mut clues = self.page_fetch();
        if self.fetch_user != Some("?1") {
            clues.push(Clue::NoGesture);
        }
        clues
    }
}

/// What the page's script reports about the person in front of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceReport {
    /// How long the page has been visible and focused.
    pub visible_ms: u32,
    /// A scroll, pointer, touch or key event happened.
    pub interacted: bool,
    /// `navigator.webdriver`: true in browsers driven by automation.
    pub webdriver: bool,
}

/// A presence report as the page sends it: the evidence, and the page view
/// it comes from (see [`crate::page_view`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewReport {
    #[serde(default)]
    pub view: Option<String>,
    #[serde(flatten)]
    pub presence: PresenceReport,
}

/// A print as the page reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PrintReport {
    #[serde(default)]
    pub view: Option<String>,
    /// `navigator.webdriver` as the page saw it.
    #[serde(default)]
    pub webdriver: bool,
}

/// What a page view vouches for: a machine's page makes everything done
/// from it a machine's.
fn view_clues(view: &PageView, signals: &RequestSignals<'_>, webdriver: bool) -> Vec<Clue> {
    let mut clues = signals.sender_clues();
    if view.fetch_automated {
        clues.push(Clue::MachinePage);
    }
    if webdriver {
        clues.push(Clue::DrivenBrowser);
    }
    clues
}

/// The clues of a presence report from a page view: what the page saw of
/// the reader, and who sent the report.
pub fn presence_in_view(
    view: &PageView,
    report: &PresenceReport,
    signals: &RequestSignals<'_>,
) -> Vec<Clue> {
    let mut clues = view_clues(view, signals, report.webdriver);
    if !report.interacted {
        clues.push(if report.visible_ms >= MIN_VISIBLE_MS {
            Clue::NoInput
        } else {
            Clue::Glimpse
        });
    }
    clues
}

/// The clues of a print reported from a page view.
pub fn print_in_view(
    view: &PageView,
    report: &PrintReport,
    signals: &RequestSignals<'_>,
) -> Vec<Clue> {
    view_clues(view, signals, report.webdriver)
}

/// The clues of a PDF download: a person's only by a gesture from a page
/// view that showed no machine. A download without a valid view came from
/// no page a person was shown.
pub fn download_in_view(
    view: Option<&PageView>,
    page_saw_webdriver: bool,
    signals: &RequestSignals<'_>,
) -> Vec<Clue> {
    let mut clues = signals.download();
    match view {
        Some(view) => {
            if view.fetch_automated {
                clues.push(Clue::MachinePage);
            }
            if page_saw_webdriver {
                clues.push(Clue::DrivenBrowser);
            }
        }
        None => clues.push(Clue::NoPageView),
    }
    clues
}

/// What the clock says of a visit, known only to the server: how soon after
/// the latest email with this link it came, and how many other recipients'
/// links of the same send were visited at the same moment.
pub fn timing_clues(
    at_ms: i64,
    sent_at_ms: Option<i64>,
    other_recipients_then: usize,
) -> Vec<Clue> {
    let mut clues = Vec::new();
    if let Some(sent_at_ms) = sent_at_ms {
        let after = at_ms - sent_at_ms;
        if (0..SCANNER_WINDOW_MS).contains(&after) {
            clues.push(Clue::SoonAfterSending {
                seconds: u32::try_from(after / 1000).unwrap_or(u32::MAX),
            });
        }
    }
    if other_recipients_then > 0 {
        clues.push(Clue::WithOtherRecipients {
            links: u32::try_from(other_recipients_then).unwrap_or(u32::MAX),
        });
    }
    clues
}

/// How many distinct links among `visits` (link, first and last time of an
/// entry) were visited within [`SAME_MOMENT_MS`] of `at_ms`.
pub fn recipients_in_step<'a>(
    at_ms: i64,
    visits: impl Iterator<Item = (&'a str, i64, i64)>,
) -> usize {
    let mut links: Vec<&str> = visits
        .filter(|(_, first, last)| {
            *first <= at_ms + SAME_MOMENT_MS && *last >= at_ms - SAME_MOMENT_MS
        })
        .map(|(link, _, _)| link)
        .collect();
    links.sort_unstable();
    links.dedup();
    links.len()
}

pub fn device_class(user_agent: Option<&str>) -> DeviceClass {
    let Some(agent) = user_agent else {
        return DeviceClass::Unknown;
    };
    if agent.contains("iPad") || agent.contains("Tablet") {
        DeviceClass::Tablet
    } else if agent.contains("Mobi") || agent.contains("iPhone") || agent.contains("Android") {
        DeviceClass::Phone
    } else {
        DeviceClass::Desktop
    }
}

/// The browser family, for the merchant's history: not a fingerprint.
pub fn browser_family(user_agent: Option<&str>) -> &'static str {
    let Some(agent) = user_agent else {
        return "unknown";
    };
    // Order matters: Edge and Opera also say Chrome; Chrome also says Safari.
    [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(marker, _)| agent.contains(marker))
    .map_or("other", |(_, family)| family)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";

    fn get(user_agent: &str) -> RequestSignals<'_> {
        RequestSignals {
            method: "GET",
            user_agent: Some(user_agent),
            ..Default::default()
        }
    }

    fn judged(clues: Vec<Clue>) -> Actor {
        verdict(&clues)
    }

    #[test]
    fn head_requests_prefetches_scanners_and_their_networks_are_automated() {
        let head = RequestSignals {
            method: "HEAD",
            ..get(CHROME)
        };
        let prefetch = RequestSignals {
            purpose: Some("prefetch;prerender"),
            ..get(CHROME)
        };
        assert_eq!(head.page_fetch(), [Clue::NotAGet]);
        assert_eq!(prefetch.page_fetch(), [Clue::Prefetch]);
        for agent in [
            "Mozilla/5.0 (compatible; Barracuda Sentinel)",
            "python-requests/2.31",
            "curl/8.0",
            "Mozilla/5.0 HeadlessChrome/120.0",
            "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0)",
            "",
        ] {
            assert_eq!(get(agent).page_fetch(), [Clue::MachineAgent], "{agent}");
        }
        let from_microsoft = RequestSignals {
            asn: Some(8075),
            as_organization: Some("Microsoft Corporation"),
            ..get(CHROME)
        };
        assert_eq!(
            from_microsoft.page_fetch(),
            [Clue::MachineNetwork {
                network: "Microsoft".into()
            }]
        );
        let from_home = RequestSignals {
            asn: Some(3269),
            as_organization: Some("Telecom Italia"),
            ..get(CHROME)
        };
        assert_eq!(judged(from_home.page_fetch()), Actor::Person);
    }

    #[test]
    fn one_decisive_clue_or_two_circumstantial_ones_make_a_machine() {
        assert_eq!(verdict(&[]), Actor::Person);
        assert_eq!(verdict(&[Clue::NoInput]), Actor::Person);
        assert_eq!(
            verdict(&[Clue::SoonAfterSending { seconds: 4 }]),
            Actor::Person,
            "a customer on the phone with the merchant opens at once"
        );
        assert_eq!(
            verdict(&[Clue::NoInput, Clue::SoonAfterSending { seconds: 21 }]),
            Actor::Automated
        );
        assert_eq!(
            verdict(&[
                Clue::SoonAfterSending { seconds: 3 },
                Clue::WithOtherRecipients { links: 2 }
            ]),
            Actor::Automated
        );
        assert_eq!(verdict(&[Clue::MachinePage]), Actor::Automated);
    }

    #[test]
    fn the_clock_knows_the_scanners_hour_and_recipients_visited_in_step() {
        let sent = 1_000_000;
        assert_eq!(
            timing_clues(sent + 21_400, Some(sent), 0),
            [Clue::SoonAfterSending { seconds: 21 }]
        );
        assert_eq!(timing_clues(sent + SCANNER_WINDOW_MS, Some(sent), 0), []);
        assert_eq!(
            timing_clues(sent - 5, Some(sent), 0),
            [],
            "an earlier email's link"
        );
        assert_eq!(timing_clues(sent, None, 0), []);
        assert_eq!(
            timing_clues(sent + 3_600_000, Some(sent), 2),
            [Clue::WithOtherRecipients { links: 2 }]
        );
    }

    #[test]
    fn recipients_visited_in_step_are_counted_once_each() {
        let visits = [
            ("copy-1", 1_000, 1_000),
            ("copy-1", 2_000, 9_000),
            ("copy-2", 15_000, 15_000),
            ("copy-3", 40_000, 40_000),
        ];
        assert_eq!(recipients_in_step(5_000, visits.iter().copied()), 2);
        assert_eq!(recipients_in_step(30_000, visits.iter().copied()), 1);
        assert_eq!(recipients_in_step(100_000, visits.iter().copied()), 0);
    }

    #[test]
    fn a_pdf_counts_as_downloaded_only_after_a_persons_gesture() {
        let clicked = RequestSignals {
            fetch_user: Some("?1"),
            ..get(CHROME)
        };
        assert_eq!(get(CHROME).download(), [Clue::NoGesture]);
        assert_eq!(judged(clicked.download()), Actor::Person);
        let scanner_click = RequestSignals {
            fetch_user: Some("?1"),
            ..get("curl/8")
        };
        assert_eq!(judged(scanner_click.download()), Actor::Automated);
    }

    #[test]
    fn an_open_needs_visible_time_or_interaction_and_no_automation() {
        let signals = get(CHROME);
        let page = view(false);
        let seen = PresenceReport {
            visible_ms: 2_000,
            interacted: false,
            webdriver: false,
        };
        assert_eq!(presence_in_view(&page, &seen, &signals), [Clue::NoInput]);
        assert_eq!(
            judged(presence_in_view(&page, &seen, &signals)),
            Actor::Person
        );
        let glimpse = PresenceReport {
            visible_ms: 200,
            ..seen
        };
        assert_eq!(presence_in_view(&page, &glimpse, &signals), [Clue::Glimpse]);
        let scrolled = PresenceReport {
            interacted: true,
            ..glimpse
        };
        assert_eq!(presence_in_view(&page, &scrolled, &signals), []);
        let driven = PresenceReport {
            webdriver: true,
            interacted: true,
            ..seen
        };
        assert_eq!(
            presence_in_view(&page, &driven, &signals),
            [Clue::DrivenBrowser]
        );
    }

    #[test]
    fn devices_and_browsers_are_named_coarsely() {
        assert_eq!(device_class(Some(IPHONE)), DeviceClass::Phone);
        assert_eq!(device_class(Some(CHROME)), DeviceClass::Desktop);
        assert_eq!(browser_family(Some(IPHONE)), "Safari");
        assert_eq!(browser_family(Some(CHROME)), "Chrome");
        assert_eq!(browser_family(None), "unknown");
    }

    fn view(fetch_automated: bool) -> PageView {
        PageView {
            link_id: crate::link::LinkId([1; 16]),
            issued_at_ms: 0,
            nonce: [0; 8],
            fetch_automated,
        }
    }

    #[test]
    fn what_a_page_view_showed_decides_for_everything_done_from_it() {
        let seen = PresenceReport {
            visible_ms: 5_000,
            interacted: true,
            webdriver: false,
        };
        let chrome = get(CHROME);
        assert_eq!(
            judged(presence_in_view(&view(false), &seen, &chrome)),
            Actor::Person
        );
        assert_eq!(
            presence_in_view(&view(true), &seen, &chrome),
            [Clue::MachinePage],
            "a page a scanner fetched reports a scanner's presence"
        );
        let print = PrintReport::default();
        assert_eq!(print_in_view(&view(false), &print, &chrome), []);
        assert_eq!(
            print_in_view(&view(true), &print, &chrome),
            [Clue::MachinePage]
        );
        let driven = PrintReport {
            webdriver: true,
            ..PrintReport::default()
        };
        assert_eq!(
            print_in_view(&view(false), &driven, &chrome),
            [Clue::DrivenBrowser]
        );
        assert_eq!(
            print_in_view(&view(false), &print, &get("curl/8.5")),
            [Clue::MachineAgent]
        );
    }

    #[test]
    fn a_download_is_a_persons_only_by_a_gesture_from_a_page_that_showed_no_machine() {
        let gesture = RequestSignals {
            fetch_user: Some("?1"),
            ..get(CHROME)
        };
        assert_eq!(download_in_view(Some(&view(false)), false, &gesture), []);
        assert_eq!(
            download_in_view(Some(&view(false)), false, &get(CHROME)),
            [Clue::NoGesture]
        );
        assert_eq!(
            download_in_view(Some(&view(false)), true, &gesture),
            [Clue::DrivenBrowser]
        );
        assert_eq!(
            download_in_view(Some(&view(true)), false, &gesture),
            [Clue::MachinePage]
        );
        assert_eq!(download_in_view(None, false, &gesture), [Clue::NoPageView]);
    }

    #[test]
    fn the_pages_reports_read_with_their_view_and_without_one() {
        let report: ViewReport = serde_json::from_str(
            r#"{"view":"abc","visible_ms":2000,"interacted":false,"webdriver":false}"#,
        )
        .expect("report");
        assert_eq!(report.view.as_deref(), Some("abc"));
        assert_eq!(report.presence.visible_ms, 2_000);
        let bare: ViewReport =
            serde_json::from_str(r#"{"visible_ms":2000,"interacted":false,"webdriver":false}"#)
                .expect("report");
        assert_eq!(bare.view, None);
        let print: PrintReport = serde_json::from_str("{}").expect("print");
        assert_eq!(print, PrintReport::default());
    }
}
