//! Telling a person from a machine.
//!
//! Mail security scanners and link previewers fetch every link in a message,
//! some within seconds and some in a full browser that runs scripts. So a GET
//! proves nothing: it is recorded as *link fetched*. *Opened* needs a report
//! from the page that it was visible for a while or that someone interacted
//! with it, from a browser that is not driven by automation.

use serde::{Deserialize, Serialize};

use crate::events::DeviceClass;
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

/// The headers of a request that bear on who sent it.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSignals<'a> {
    pub method: &'a str,
    pub user_agent: Option<&'a str>,
    /// `Sec-Purpose` or `Purpose`: `prefetch` for speculative loads.
    pub purpose: Option<&'a str>,
    /// `Sec-Fetch-User`: `?1` only when a person's gesture started the navigation.
    pub fetch_user: Option<&'a str>,
}

impl RequestSignals<'_> {
    fn looks_automated(&self) -> bool {
        !self.method.eq_ignore_ascii_case("GET")
            || self
                .purpose
                .is_some_and(|p| p.to_ascii_lowercase().contains("prefetch"))
            || is_automated_agent(self.user_agent)
    }

    /// A page request: always *link fetched*; automated when it is a HEAD, a
    /// prefetch or a known machine.
    pub fn page_fetch(&self) -> Actor {
        if self.looks_automated() {
            Actor::Automated
        } else {
            Actor::Person
        }
    }

    /// A PDF request counts as a person's download only when a gesture
    /// started it, which browsers state in `Sec-Fetch-User`.
    pub fn download(&self) -> Actor {
        if self.looks_automated() || self.fetch_user != Some("?1") {
            Actor::Automated
        } else {
            Actor::Person
        }
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

/// Who reported a presence from a page view: a machine when the page's own
/// request looked like one, else as the evidence says.
pub fn presence_in_view(
    view: &PageView,
    report: &PresenceReport,
    user_agent: Option<&str>,
) -> Actor {
    if view.fetch_automated {
        Actor::Automated
    } else {
        presence(report, user_agent)
    }
}

/// Who printed from a page view: a person, unless the page's request, the
/// browser or the agent showed a machine.
pub fn print_in_view(view: &PageView, report: &PrintReport, user_agent: Option<&str>) -> Actor {
    if view.fetch_automated || report.webdriver || is_automated_agent(user_agent) {
        Actor::Automated
    } else {
        Actor::Person
    }
}

/// Who downloaded the PDF: a person only from a page view whose request and
/// page showed no machine, by a gesture ([`RequestSignals::download`]). A
/// download without a valid view came from no page a person was shown.
pub fn download_in_view(
    view: Option<&PageView>,
    page_saw_webdriver: bool,
    signals: &RequestSignals<'_>,
) -> Actor {
    match view {
        Some(view) if !view.fetch_automated && !page_saw_webdriver => signals.download(),
        Some(_) | None => Actor::Automated,
    }
}

pub fn presence(report: &PresenceReport, user_agent: Option<&str>) -> Actor {
    let evidence = report.interacted || report.visible_ms >= MIN_VISIBLE_MS;
    if evidence && !report.webdriver && !is_automated_agent(user_agent) {
        Actor::Person
    } else {
        Actor::Automated
    }
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

    #[test]
    fn head_requests_prefetches_and_scanners_are_automated() {
        let head = RequestSignals {
            method: "HEAD",
            ..get(CHROME)
        };
        let prefetch = RequestSignals {
            purpose: Some("prefetch;prerender"),
            ..get(CHROME)
        };
        assert_eq!(head.page_fetch(), Actor::Automated);
        assert_eq!(prefetch.page_fetch(), Actor::Automated);
        for agent in [
            "Mozilla/5.0 (compatible; Barracuda Sentinel)",
            "python-requests/2.31",
            "curl/8.0",
            "Mozilla/5.0 HeadlessChrome/120.0",
            "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0)",
            "",
        ] {
            assert_eq!(get(agent).page_fetch(), Actor::Automated, "{agent}");
        }
        assert_eq!(get(CHROME).page_fetch(), Actor::Person);
    }

    #[test]
    fn a_pdf_counts_as_downloaded_only_after_a_persons_gesture() {
        assert_eq!(get(CHROME).download(), Actor::Automated);
        let clicked = RequestSignals {
            fetch_user: Some("?1"),
            ..get(CHROME)
        };
        assert_eq!(clicked.download(), Actor::Person);
        let scanner_click = RequestSignals {
            fetch_user: Some("?1"),
            ..get("curl/8")
        };
        assert_eq!(scanner_click.download(), Actor::Automated);
    }

    #[test]
    fn an_open_needs_visible_time_or_interaction_and_no_automation() {
        let seen = PresenceReport {
            visible_ms: 2_000,
            interacted: false,
            webdriver: false,
        };
        assert_eq!(presence(&seen, Some(CHROME)), Actor::Person);
        let glimpse = PresenceReport {
            visible_ms: 200,
            ..seen
        };
        assert_eq!(presence(&glimpse, Some(CHROME)), Actor::Automated);
        let scrolled = PresenceReport {
            interacted: true,
            ..glimpse
        };
        assert_eq!(presence(&scrolled, Some(CHROME)), Actor::Person);
        let driven = PresenceReport {
            webdriver: true,
            ..seen
        };
        assert_eq!(presence(&driven, Some(CHROME)), Actor::Automated);
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
        assert_eq!(
            presence_in_view(&view(false), &seen, Some(CHROME)),
            Actor::Person
        );
        assert_eq!(
            presence_in_view(&view(true), &seen, Some(CHROME)),
            Actor::Automated,
            "a page a scanner fetched reports a scanner's presence"
        );
        let print = PrintReport::default();
        assert_eq!(
            print_in_view(&view(false), &print, Some(CHROME)),
            Actor::Person
        );
        assert_eq!(
            print_in_view(&view(true), &print, Some(CHROME)),
            Actor::Automated
        );
        let driven = PrintReport {
            webdriver: true,
            ..PrintReport::default()
        };
        assert_eq!(
            print_in_view(&view(false), &driven, Some(CHROME)),
            Actor::Automated
        );
        assert_eq!(
            print_in_view(&view(false), &print, Some("curl/8.5")),
            Actor::Automated
        );
    }

    #[test]
    fn a_download_is_a_persons_only_by_a_gesture_from_a_page_that_showed_no_machine() {
        let gesture = RequestSignals {
            fetch_user: Some("?1"),
            ..get(CHROME)
        };
        assert_eq!(
            download_in_view(Some(&view(false)), false, &gesture),
            Actor::Person
        );
        assert_eq!(
            download_in_view(Some(&view(false)), false, &get(CHROME)),
            Actor::Automated
        );
        assert_eq!(
            download_in_view(Some(&view(false)), true, &gesture),
            Actor::Automated
        );
        assert_eq!(
            download_in_view(Some(&view(true)), false, &gesture),
            Actor::Automated
        );
        assert_eq!(download_in_view(None, false, &gesture), Actor::Automated);
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
