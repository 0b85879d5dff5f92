//! The merchant admin: Leptos components rendered on the server and hydrated
//! in the browser, and the server functions they call.
//!
//! The admin holds no SQL and no SMTP: server functions reach the server's
//! services through [`api::AdminBackend`], which the server provides as
//! context.

// The hydrate build's release profile (opt-level "z", LTO) lays out the
// invoice list's view type, which nests past the default limit of 128.
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
                <HydrationScripts options />
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
    // Resolved by the server's session middleware; serialised into the page
    // so the hydrated app starts from the same user and language.
    let viewer = SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            api::ssr::viewer()
        }
        #[cfg(not(feature = "ssr"))]
        {
            api::Viewer {
                user: None,
                language: invoice::Language::En,
            }
        }
    })
    .into_inner();
    provide_language(viewer.language);
    provide_context(viewer.clone());
    let signed_in = viewer.user.is_some();
    if signed_in {
        live::provide_live();
    }
    view! {
        <Stylesheet id="leptos" href="/pkg/invio.css" />
        <Title text="Invio" />
        <Router>
            <a class="skip-link" href="#main">{t(T::SkipToContent)}</a>
            {viewer.user.clone().map(|user| view! { <routes::nav::TopBar user /> })}
            {signed_in.then(|| view! { <live::LiveNotices /> })}
            <main id="main">
                <Routes fallback=routes::not_found::NotFound>
                    <Route path=path!("/login") view=routes::auth::LoginPage />
                    <Route path=path!("/signup") view=routes::auth::SignupPage />
                    <Route path=path!("/") view=routes::home::HomePage ssr=SsrMode::Async />
                    <Route path=path!("/invoices") view=routes::invoices::InvoicesPage />
                    <Route path=path!("/invoices/new") view=routes::invoice::NewInvoicePage />
                    <Route path=path!("/invoices/export") view=routes::bulk::ExportPage />
                    <Route path=path!("/invoices/bulk/:key") view=routes::bulk::BulkOutcomePage ssr=SsrMode::Async />
                    <Route path=path!("/invoices/:id") view=routes::invoice::InvoicePage ssr=SsrMode::Async />
                    <Route path=path!("/invoices/:id/send") view=routes::send::SendPage ssr=SsrMode::Async />
                    <Route path=path!("/invoices/:id/credit") view=routes::credit_note::CreditNotePage ssr=SsrMode::Async />
                    <Route path=path!("/customers") view=routes::customers::CustomersPage />
                    <Route path=path!("/customers/:id") view=routes::customers::CustomerPage ssr=SsrMode::Async />
                    <Route path=path!("/stores") view=routes::stores::StoresPage />
                    <Route path=path!("/stores/:id") view=routes::stores::StorePage ssr=SsrMode::Async />
                    <Route path=path!("/team") view=routes::team::TeamPage />
                    <Route path=path!("/confirm-recipient/:token") view=routes::confirm::ConfirmRecipientPage />
                    <Route path=path!("/account") view=routes::auth::AccountPage />
                    <Route path=path!("/check-email") view=routes::auth::CheckEmailPage />
                    <Route path=path!("/confirm-email") view=routes::auth::ConfirmEmailPage />
                    <Route path=path!("/forgot-password") view=routes::auth::ForgotPasswordPage />
                    <Route path=path!("/reset-password") view=routes::auth::ResetPasswordPage />
                </Routes>
            </main>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Tells tests (and scripts) that the forms now run in the browser.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "");
    }
}
