//! Which handler a request goes to, decided from its method and path alone.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET|HEAD /i/{token}`: the invoice page.
    Page(&'a str),
    /// `GET|HEAD /i/{token}/pdf`: the PDF.
    Pdf(&'a str),
    /// `POST /i/{token}/presence`: the page reports a person looking at it.
    Presence(&'a str),
    /// `POST /i/{token}/printed`: the person asked to print.
    Printed(&'a str),
    /// `POST /i/{token}/fresh-link`: on a revoked link's page, the customer
    /// asks for a fresh link at the address the merchant has.
    FreshLink(&'a str),
    /// `GET /assets/{name}`: the page's stylesheet and script.
    Asset(&'a str),
    /// `PUT /_invio/publish`: the server publishes an invoice (signed).
    Publish,
    /// `PUT /_invio/state`: the server publishes an invoice's changed state (signed).
    State,
    NotFound,
    MethodNotAllowed,
}

pub fn route<'a>(method: &str, path: &'a str) -> Route<'a> {
    let reading = matches!(method, "GET" | "HEAD");
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (_, ["i", token]) if reading => Route::Page(token),
        (_, ["i", token, "pdf"]) if reading => Route::Pdf(token),
        ("POST", ["i", token, "presence"]) => Route::Presence(token),
        ("POST", ["i", token, "printed"]) => Route::Printed(token),
        ("POST", ["i", token, "fresh-link"]) => Route::FreshLink(token),
        (_, ["assets", name]) if reading => Route::Asset(name),
        ("PUT", ["_invio", "publish"]) => Route::Publish,
        ("PUT", ["_invio", "state"]) => Route::State,
        (
            _,
            ["i", _]
            | ["i", _, "pdf" | "presence" | "printed" | "fresh-link"]
            | ["assets", _]
            | ["_invio", "publish" | "state"],
        ) => Route::MethodNotAllowed,
        _ => Route::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_paths_are_routed_by_method_and_shape() {
        assert_eq!(route("GET", "/i/abc"), Route::Page("abc"));
        assert_eq!(route("HEAD", "/i/abc"), Route::Page("abc"));
        assert_eq!(route("GET", "/i/abc/pdf"), Route::Pdf("abc"));
        assert_eq!(route("POST", "/i/abc/presence"), Route::Presence("abc"));
        assert_eq!(route("POST", "/i/abc/printed"), Route::Printed("abc"));
        assert_eq!(route("POST", "/i/abc/fresh-link"), Route::FreshLink("abc"));
        assert_eq!(route("GET", "/i/abc/fresh-link"), Route::MethodNotAllowed);
        assert_eq!(route("PUT", "/_invio/publish"), Route::Publish);
        assert_eq!(route("PUT", "/_invio/state"), Route::State);
        assert_eq!(route("GET", "/_invio/state"), Route::MethodNotAllowed);
        assert_eq!(
            route("GET", "/assets/customer.css"),
            Route::Asset("customer.css")
        );
        assert_eq!(route("DELETE", "/i/abc"), Route::MethodNotAllowed);
        assert_eq!(route("GET", "/"), Route::NotFound);
        assert_eq!(route("GET", "/i/abc/other"), Route::NotFound);
    }
}
