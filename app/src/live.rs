//! The admin's one connection per tab to the server's change feed
//! (`GET /api/changes`, server-sent events), opened by the signed-in app
//! whatever the page: pages refresh their data when something changed
//! ([`live_changes`]), and every page shows the notices the signed-in user
//! chose to hear of live ([`LiveNotices`]: a customer first opened or
//! downloaded an invoice). One feed per tab keeps a session well within the
//! server's limit of feeds.

use invoice::notifications::{notice_line, Notice};
use leptos::prelude::*;

use crate::i18n::{t, use_language, T};

/// The most notices shown at once; an older one gives way to a newer one.
#[cfg(feature = "hydrate")]
const MAX_SHOWN: usize = 4;

/// What the feed brought: a count of changes, and the notices not dismissed
/// yet (each with a number of its own, for the list's keys).
#[derive(Clone, Copy)]
pub struct Live {
    changes: ReadSignal<u64>,
    notices: RwSignal<Vec<(u64, Notice)>>,
}

/// Opens the tab's feed (in the browser; the server renders none) and
/// provides it to every page.
pub fn provide_live() {
    let (changes, set_changes) = signal(0_u64);
    let notices = RwSignal::new(Vec::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let Ok(source) = web_sys::EventSource::new(crate::api::CHANGES_PATH) else {
            return;
        };
        let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
            set_changes.update(|count| *count += 1)
        });
        let mut received = 0_u64;
        let on_notice = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
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
            },
        );
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
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = set_changes;
    provide_context(Live { changes, notices });
}

/// Counts the server's "something changed" events (an email delivered, an
/// invoice opened, a payment recorded) while the page is open in a browser;
/// pages key their data on it to refresh at once. The browser reconnects by
/// itself when the connection drops.
pub fn live_changes() -> ReadSignal<u64> {
    use_context::<Live>().map_or_else(|| signal(0_u64).0, |live| live.changes)
}

/// The notices the feed brought, on top of any page until dismissed (its
/// button, or Escape for all of them). A status region: screen readers read
/// each new one without moving the focus. They stay until dismissed, so none
/// is missed by someone who looked away.
#[component]
pub fn LiveNotices() -> impl IntoView {
    let language = use_language();
    let Some(Live { notices, .. }) = use_context::<Live>() else {
        return ().into_any();
    };
    #[cfg(feature = "hydrate")]
    {
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
                                <span>{move || notice_line(language.get(), &notice)}</span>
                                " "
                                <a href=href>{t(T::OpenTheInvoice)}</a>
                            </p>
                            <button
                                type="button"
                                class="dismiss"
                                aria-label=move || t(T::DismissNotice)()
                                title=move || t(T::DismissNotice)()
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
    .into_any()
}
