//! A page view: one real load of the customer's page, signed by the edge
//! into the page it serves. The page's reports (a presence, a print) and its
//! download link carry it, so a report that no page view made is refused,
//! and what the edge saw when it served the page (a scanner's fetch, say)
//! decides for everything that view does later.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::link::LinkId;

/// How long a page view's reports are accepted: a customer may leave the
/// page open for the day and print it in the evening.
pub const VIEW_LIFETIME_MS: i64 = 24 * 3_600_000;
/// How far ahead of the edge's clock a view may seem to be made (another
/// edge location's clock).
const CLOCK_SKEW_MS: i64 = 5 * 60_000;
/// Keeps a view's signature apart from every other use of the edge's secret.
const DOMAIN: &[u8] = b"invio page view v1\n";
const NONCE_LEN: usize = 8;
const MAC_LEN: usize = 16;
const PAYLOAD_LEN: usize = 16 + 8 + NONCE_LEN + 1;

/// What a page view vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageView {
    pub link_id: LinkId,
    pub issued_at_ms: i64,
    /// Tells two views of one link apart.
    pub nonce: [u8; NONCE_LEN],
    /// The page request itself looked like a machine's (a known scanner's
    /// agent, a prefetch): whatever the page reports later is a machine's.
    pub fetch_automated: bool,
}

/// Why a report's page view is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ViewRefusal {
    #[error("the report carries no page view")]
    Missing,
    #[error("the page view is not one the edge made")]
    Forged,
    #[error("the page view belongs to another link")]
    OtherLink,
    #[error("the page view has expired")]
    Expired,
}

fn mac(secret: &[u8], payload: &[u8]) -> [u8; MAC_LEN] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(DOMAIN);
    mac.update(payload);
    let full = mac.finalize().into_bytes();
    let mut truncated = [0_u8; MAC_LEN];
    truncated.copy_from_slice(&full[..MAC_LEN]);
    truncated
}

fn payload(view: &PageView) -> [u8; PAYLOAD_LEN] {
    let mut bytes = [0_u8; PAYLOAD_LEN];
    bytes[..16].copy_from_slice(&view.link_id.0);
    bytes[16..24].copy_from_slice(&view.issued_at_ms.to_be_bytes());
    bytes[24..24 + NONCE_LEN].copy_from_slice(&view.nonce);
    bytes[PAYLOAD_LEN - 1] = u8::from(view.fetch_automated);
    bytes
}

impl PageView {
    /// The view as the page carries it: URL-safe, 66 characters.
    pub fn sign(&self, secret: &[u8]) -> String {
        let payload = payload(self);
        let mut bytes = Vec::with_capacity(PAYLOAD_LEN + MAC_LEN);
        bytes.extend_from_slice(&payload);
        bytes.extend_from_slice(&mac(secret, &payload));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a view a report carries for `link_id`, made by this edge and
    /// still fresh at `now_ms`.
    pub fn verify(
        text: Option<&str>,
        secret: &[u8],
        link_id: LinkId,
        now_ms: i64,
    ) -> Result<PageView, ViewRefusal> {
        let text = text
            .filter(|text| !text.is_empty())
            .ok_or(ViewRefusal::Missing)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map_err(|_| ViewRefusal::Forged)?;
        if bytes.len() != PAYLOAD_LEN + MAC_LEN {
            return Err(ViewRefusal::Forged);
        }
        let (payload, signature) = bytes.split_at(PAYLOAD_LEN);
        let expected = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .expect("HMAC takes any key length")
            .chain_update(DOMAIN)
            .chain_update(payload);
        expected
            .verify_truncated_left(signature)
            .map_err(|_| ViewRefusal::Forged)?;
        let mut id = [0_u8; 16];
        id.copy_from_slice(&payload[..16]);
        let mut issued = [0_u8; 8];
        issued.copy_from_slice(&payload[16..24]);
        let mut nonce = [0_u8; NONCE_LEN];
        nonce.copy_from_slice(&payload[24..24 + NONCE_LEN]);
        let view = PageView {
            link_id: LinkId(id),
            issued_at_ms: i64::from_be_bytes(issued),
            nonce,
            fetch_automated: payload[PAYLOAD_LEN - 1] != 0,
        };
        if view.link_id != link_id {
            return Err(ViewRefusal::OtherLink);
        }
        let age = now_ms.saturating_sub(view.issued_at_ms);
        if !(-CLOCK_SKEW_MS..=VIEW_LIFETIME_MS).contains(&age) {
            return Err(ViewRefusal::Expired);
        }
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"an edge secret of at least thirty-two bytes";
    const NOW: i64 = 1_790_000_000_000;

    fn view() -> PageView {
        PageView {
            link_id: LinkId([7; 16]),
            issued_at_ms: NOW,
            nonce: [1, 2, 3, 4, 5, 6, 7, 8],
            fetch_automated: false,
        }
    }

    #[test]
    fn a_view_the_edge_made_reads_back_for_its_link_all_day() {
        let signed = view().sign(SECRET);
        assert_eq!(signed.len(), 66);
        for now in [NOW, NOW + VIEW_LIFETIME_MS, NOW - 60_000] {
            assert_eq!(
                PageView::verify(Some(&signed), SECRET, view().link_id, now),
                Ok(view())
            );
        }
        let scanned = PageView {
            fetch_automated: true,
            ..view()
        };
        assert_eq!(
            PageView::verify(Some(&scanned.sign(SECRET)), SECRET, view().link_id, NOW),
            Ok(scanned)
        );
    }

    #[test]
    fn a_missing_forged_borrowed_or_stale_view_is_refused() {
        let signed = view().sign(SECRET);
        let link = view().link_id;
        assert_eq!(
            PageView::verify(None, SECRET, link, NOW),
            Err(ViewRefusal::Missing)
        );
        assert_eq!(
            PageView::verify(Some(""), SECRET, link, NOW),
            Err(ViewRefusal::Missing)
        );
        for forged in [
            "garbage".to_owned(),
            "!".repeat(66),
            view().sign(b"another secret, guessed by a stranger"),
            signed[..60].to_owned(),
        ] {
            assert_eq!(
                PageView::verify(Some(&forged), SECRET, link, NOW),
                Err(ViewRefusal::Forged),
                "{forged}"
            );
        }
        // A view that claims the machine's fetch was a person's: the flag is
        // signed, so flipping it breaks the signature.
        let mut bytes = URL_SAFE_NO_PAD
            .decode(
                PageView {
                    fetch_automated: true,
                    ..view()
                }
                .sign(SECRET),
            )
            .expect("base64");
        bytes[PAYLOAD_LEN - 1] = 0;
        assert_eq!(
            PageView::verify(Some(&URL_SAFE_NO_PAD.encode(bytes)), SECRET, link, NOW),
            Err(ViewRefusal::Forged)
        );
        assert_eq!(
            PageView::verify(Some(&signed), SECRET, LinkId([8; 16]), NOW),
            Err(ViewRefusal::OtherLink)
        );
        assert_eq!(
            PageView::verify(Some(&signed), SECRET, link, NOW + VIEW_LIFETIME_MS + 1),
            Err(ViewRefusal::Expired)
        );
        assert_eq!(
            PageView::verify(Some(&signed), SECRET, link, NOW - CLOCK_SKEW_MS - 1),
            Err(ViewRefusal::Expired)
        );
    }
}
