//! The admin's one connection per tab to the server's change feed
//! (`GET /api/changes`, server-sent events), opened by the signed-in page
//! whatever it is: when something changed, the page's live regions are
//! re-read from the server ([`refresh_regions`]), and every page shows the
//! notices the signed-in user chose to hear of live ([`LiveFeed`]: a customer
//! first opened or downloaded an invoice). One feed per tab keeps a session
//! well within the server's limit of feeds.
//!
//! A live region is an element marked `data-live="<name>"` that the server
//! renders in full: it holds no island and no input the merchant types in,
//! so swapping its contents for the server's fresh ones keeps what the
//! merchant typed and chose (the payment form and the history filter sit
//! outside the regions; the list's selection checkboxes hold the region
//! while one is ticked).

use invoice::notifications::{notice_line, Notice};
use invoice::Language;
use leptos::prelude::*;

use crate::i18n::{provide_language, t, T};

/// The most notices shown at once; an older one gives way to a newer one.
#[cfg(feature = "hydrate")]
const MAX_SHOWN: usize = 4;

/// Changes arriving this close together cost one re-read of the page.
#[cfg(feature = "hydrate")]
const COALESCE: std::time::Duration = std::time::Duration::from_millis(300);

/// The tab's feed and its notices, on top of any page until dismissed (its
/// button, or Escape for all of them). A status region: screen readers read
/// each new one without moving the focus. They stay until dismissed, so none
/// is missed by someone who looked away.
#[island]
pub fn LiveFeed(language: Language) -> impl IntoView {
    provide_language(language);
    // Each notice with a number of its own, for the list's keys.
    let notices = RwSignal::new(Vec::<(u64, Notice)>::new());
    #[cfg(feature = "hydrate")]
    {
        open_feed(notices);
        let listener = window_event_listener(leptos::ev::keydown, move |event| {
            if event.key() == "Escape" && !notices.with_untracked(Vec::is_empty) {
                notices.set(Vec::new());
            }
        });
        on_cleanup(move || listener.remove());
    }
    let dismiss = move |number: u64| notices.update(|shown| shown.retain(|(n, _)| *n != number));
    view! {
        <div class="live-notices" role="status" aria-live="polite" data-testid="live-notices">
            <For
                each=move || notices.get()
                key=|(number, _)| *number
                children=move |(number, notice)| {
                    let href = format!("/invoices/{}", notice.invoice_id);
                    view! {
                        <div class="live-notice" data-testid="live-notice">
                            <p>
                                <span>{notice_line(language, &notice)}</span>
                                " "
                                <a href=href>{t(T::OpenTheInvoice)}</a>
                            </p>
                            <button
                                type="button"
                                class="dismiss"
                                aria-label=t(T::DismissNotice)
                                title=t(T::DismissNotice)
                                on:click=move |_| dismiss(number)
                            >
                                "×"
                            </button>
                        </div>
                    }
                }
            />
        </div>
    }
}

/// Opens the feed: a change re-reads the page's live regions (changes in a
/// burst coalesced), a notice joins the shown ones. The browser reconnects
/// by itself when the connection drops.
#[cfg(feature = "hydrate")]
fn open_feed(notices: RwSignal<Vec<(u64, Notice)>>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Ok(source) = web_sys::EventSource::new(crate::api::CHANGES_PATH) else {
        return;
    };
    let waiting = StoredValue::new(false);
    let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
        if waiting.get_value() {
            return;
        }
        waiting.set_value(true);
        set_timeout(
            move || {
                waiting.set_value(false);
                leptos::task::spawn_local(refresh_regions());
            },
            COALESCE,
        );
    });
    let mut received = 0_u64;
    let on_notice =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let Some(data) = event.data().as_string() else {
                return;
            };
            let Ok(notice) = serde_json::from_str::<Notice>(&data) else {
                return;
            };
            received += 1;
            notices.update(|shown| {
                shown.push((received, notice));
                let excess = shown.len().saturating_sub(MAX_SHOWN);
                shown.drain(..excess);
            });
        });
    let listening = source
        .add_event_listener_with_callback(
            crate::api::CHANGED_EVENT,
            on_change.as_ref().unchecked_ref(),
        )
        .and_then(|()| {
            source.add_event_listener_with_callback(
                crate::api::NOTICE_EVENT,
                on_notice.as_ref().unchecked_ref(),
            )
        });
    if listening.is_err() {
        return;
    }
    // All live as long as the page; closing stops the browser's reconnects.
    let connection = send_wrapper::SendWrapper::new((source, on_change, on_notice));
    on_cleanup(move || connection.take().0.close());
}

/// Re-reads the page from the server and puts each live region's fresh
/// contents in place. A region the merchant is in (it holds the focus, an
/// open ⋯ menu, or invoices ticked for the list's selection) is left as it
/// is until the next change.
#[cfg(feature = "hydrate")]
pub async fn refresh_regions() {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let window = window();
    let Ok(href) = window.location().href() else {
        return;
    };
    let Ok(response) = JsFuture::from(window.fetch_with_str(&href)).await else {
        return;
    };
    let Ok(response) = response.dyn_into::<web_sys::Response>() else {
        return;
    };
    if !response.ok() {
        return;
    }
    let Ok(text) = response.text() else {
        return;
    };
    let Some(html) = JsFuture::from(text)
        .await
        .ok()
        .and_then(|text| text.as_string())
    else {
        return;
    };
    let Ok(parser) = web_sys::DomParser::new() else {
        return;
    };
    let Ok(fresh) = parser.parse_from_string(&html, web_sys::SupportedType::TextHtml) else {
        return;
    };
    let page = document();
    let Ok(regions) = page.query_selector_all("[data-live]") else {
        return;
    };
    let focused = page.active_element();
    for index in 0..regions.length() {
        let Some(region) = regions
            .item(index)
            .and_then(|node| node.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        let Some(name) = region.get_attribute("data-live") else {
            continue;
        };
        let in_use = focused
            .as_ref()
            .is_some_and(|focused| region.contains(Some(focused)))
            || region
                .query_selector("details[open], input:checked")
                .ok()
                .flatten()
                .is_some();
        if in_use {
            continue;
        }
        if let Ok(Some(replacement)) = fresh.query_selector(&format!("[data-live=\"{name}\"]")) {
            region.set_inner_html(&replacement.inner_html());
        }
    }
}
