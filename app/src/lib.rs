//! The merchant admin: Leptos components rendered on the server, the few
//! islands that run in the browser, and the server functions they call.
//!
//! Pages are server components: every form posts as plain HTML, so the admin
//! works without JavaScript. Only `#[island]`s reach the wasm (the live feed,
//! the language switch, the history filter and the forms that compute as the
//! merchant types); each takes the language as a prop, since the server's
//! context never reaches the browser, and uses no router hook (there is no
//! router in the browser). An island only some pages hold is
//! `#[island(lazy)]`: built with `cargo leptos build --split`, it is a wasm
//! chunk of its own that only those pages fetch (issue 21: the first load of
//! any page within 300 KiB of wasm).
//!
//! The admin holds no SQL and no SMTP: server functions reach the server's
//! services through [`api::AdminBackend`], which the server provides as
//! context.

// The server renders the invoice list's view type, which nests past the
// default limit of 128.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod i18n;
pub mod live;
pub mod routes;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::i18n::{provide_language, t, T};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let language = api::ssr::viewer().language.code();
    #[cfg(not(feature = "ssr"))]
    let language = "en";
    view! {
        <!DOCTYPE html>
        <html lang=language>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Resolved by the server's session middleware (the app renders only there).
    #[cfg(feature = "ssr")]
    let viewer = api::ssr::viewer();
    #[cfg(not(feature = "ssr"))]
    let viewer = api::Viewer {
        user: None,
        language: invoice::Language::En,
    };
    let language = viewer.language;
    provide_language(language);
    provide_context(viewer.clone());
    let signed_in = viewer.user.is_some();
    view! {
        <Stylesheet id="leptos" href="/pkg/invio.css" />
        <Title text="Invio" />
        <Router>
            <a class="skip-link" href="#main">{t(T::SkipToContent)}</a>
            {viewer.user.clone().map(|user| view! { <routes::nav::TopBar user /> })}
            {signed_in.then(|| view! { <live::LiveFeed language /> })}
            <main id="main">
                // Every page with data is rendered whole (`SsrMode::Async`):
                // streamed out of order, its forms would wait for a script to
                // move them into place, and the live feed re-reads pages whole.
                <Routes fallback=routes::not_found::NotFound>
                    <Route path=path!("/login") view=routes::auth::LoginPage />
                    <Route path=path!("/signup") view=routes::auth::SignupPage />
                    <Route path=path!("/") view=routes::home::HomePage ssr=SsrMode::Async />
                    <Route path=path!("/invoices") view=routes::invoices::InvoicesPage ssr=SsrMode::Async />
                    <Route path=path!("/invoices/new") view=routes::invoice::NewInvoicePage ssr=SsrMode::Async />
                    <Route path=path!("/invoices/export") view=routes::bulk::ExportPage ssr=SsrMode::Async />
                    <Route path=path!("/invoices/bulk/:key") view=routes::bulk::BulkOutcomePage ssr=SsrMode::Async />
                    <Route path=path!("/invoices/:id") view=routes::invoice::InvoicePage ssr=SsrMode::Async />
                    <Route path=path!("/invoices/:id/send") view=routes::send::SendPage ssr=SsrMode::Async />
                    <Route path=path!("/invoices/:id/credit") view=routes::credit_note::CreditNotePage ssr=SsrMode::Async />
                    <Route path=path!("/customers") view=routes::customers::CustomersPage ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id") view=routes::customers::CustomerPage ssr=SsrMode::Async />
                    <Route path=path!("/stores") view=routes::stores::StoresPage ssr=SsrMode::Async />
                    <Route path=path!("/stores/:id") view=routes::stores::StorePage ssr=SsrMode::Async />
                    <Route path=path!("/team") view=routes::team::TeamPage ssr=SsrMode::Async />
                    <Route path=path!("/confirm-recipient/:token") view=routes::confirm::ConfirmRecipientPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=routes::auth::AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/check-email") view=routes::auth::CheckEmailPage />
                    <Route path=path!("/confirm-email") view=routes::auth::ConfirmEmailPage />
                    <Route path=path!("/forgot-password") view=routes::auth::ForgotPasswordPage />
                    <Route path=path!("/reset-password") view=routes::auth::ResetPasswordPage />
                </Routes>
            </main>
        </Router>
        <HydrationMark />
    }
}

/// Marks `<body data-hydrated>` once the islands before it are live: the
/// loader hydrates islands in document order, and this one is last. Tests
/// and the benchmark wait for it.
#[island]
fn HydrationMark() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "");
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
