//! The merchant admin: Leptos components rendered on the server and hydrated
//! in the browser, and the server functions they call.
//!
//! The admin holds no SQL and no SMTP: server functions reach the server's
//! services through [`api::AdminBackend`], which the server provides as
//! context.

pub mod api;
pub mod routes;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
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
    view! {
        <Stylesheet id="leptos" href="/pkg/invio.css" />
        <Title text="Invio" />
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"Invio"</a>
                <nav aria-label="Main">
                    <span class="crumb">"Sales"</span>
                    <span aria-hidden="true">" › "</span>
                    <a href="/" aria-current="page">"Customer invoices"</a>
                </nav>
            </header>
            <main>
                <Routes fallback=routes::not_found::NotFound>
                    <Route path=path!("/") view=routes::invoices::InvoicesPage />
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
}
