//! Accounts: password hashing, sessions, the sign-in rate limit, and the
//! middleware that tells every request who is asking.

use app::api::ssr::{cookie, ClientIp, LANGUAGE_COOKIE, SESSION_COOKIE};
use app::api::Viewer;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use invoice::Language;
use sha2::{Digest, Sha256};

use crate::db::{accounts, now_ms};
use crate::error::ServerError;
use crate::state::AppState;

/// Hashes with argon2id off the async threads: it is slow on purpose.
pub async fn hash_password(password: String) -> Result<String, ServerError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| ServerError::Corrupt(format!("hashing failed: {error}")))
    })
    .await
    .map_err(|error| ServerError::Corrupt(error.to_string()))?
}

pub async fn verify_password(password: String, hash: String) -> Result<bool, ServerError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|error| ServerError::Corrupt(format!("stored hash: {error}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|error| ServerError::Corrupt(error.to_string()))?
}

/// A new session token for the cookie (256 random bits) and the hash stored.
pub fn new_session_token() -> (String, String) {
    use base64::Engine;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Pages anyone may see; every other page needs a session.
fn is_public(path: &str) -> bool {
    path == "/login"
        || path == "/signup"
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path == "/favicon.ico"
        || path.starts_with("/confirm-recipient/")
}

/// The language of someone not signed in: their earlier choice, else their
/// browser's first supported language.
fn visitor_language(headers: &HeaderMap) -> Language {
    cookie(headers, LANGUAGE_COOKIE)
        .and_then(|code| Language::parse(&code))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| {
                    value
                        .split(',')
                        .filter_map(|part| part.split(';').next())
                        .filter_map(|tag| tag.trim().get(..2))
                        .find_map(|code| Language::parse(&code.to_ascii_lowercase()))
                })
        })
        .unwrap_or_default()
}

/// A state-changing request from another site is refused: the browser
/// names the page's origin, and it must be ours.
fn is_cross_site(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok());
    match headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
    {
        Some(origin) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            Some(origin_host) != host
        }
        None => headers
            .get("sec-fetch-site")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|site| site == "cross-site"),
    }
}

/// Resolves the session into a [`Viewer`] in the request's extensions, with
/// the client's address; refuses cross-site posts; sends visitors without a
/// session to the sign-in page.
pub async fn session_layer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if request.method() != Method::GET && request.method() != Method::HEAD && is_cross_site(headers)
    {
        return (
            StatusCode::FORBIDDEN,
            "Cross-site requests are not accepted.",
        )
            .into_response();
    }
    let user = match cookie(headers, SESSION_COOKIE) {
        Some(token) => {
            match accounts::session_user(&state.services.db, &token_hash(&token), now_ms()).await {
                Ok(user) => user,
                Err(error) => {
                    tracing::error!(%error, "resolving a session failed");
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Invio is unavailable; please try again.",
                    )
                        .into_response();
                }
            }
        }
        None => None,
    };
    let language = user
        .as_ref()
        .map_or_else(|| visitor_language(headers), |user| user.language);
    let path = request.uri().path().to_owned();
    if user.is_none() && !is_public(&path) && request.method() == Method::GET {
        return Redirect::to("/login").into_response();
    }
    if user.is_some() && (path == "/login" || path == "/signup" || path == "/") {
        return Redirect::to("/invoices").into_response();
    }
    let ip = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string());
    request.extensions_mut().insert(ClientIp(ip));
    request.extensions_mut().insert(Viewer { user, language });
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn a_post_from_another_origin_is_cross_site() {
        assert!(is_cross_site(&headers(&[
            ("host", "admin.example"),
            ("origin", "https://evil.example")
        ])));
        assert!(!is_cross_site(&headers(&[
            ("host", "admin.example"),
            ("origin", "https://admin.example")
        ])));
        assert!(is_cross_site(&headers(&[
            ("host", "admin.example"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!is_cross_site(&headers(&[("host", "admin.example")])));
    }

    #[test]
    fn a_visitor_gets_their_cookie_language_then_their_browser_language() {
        assert_eq!(
            visitor_language(&headers(&[("cookie", "a=b; invio_lang=es")])),
            Language::Es
        );
        assert_eq!(
            visitor_language(&headers(&[("accept-language", "de-DE, it-IT;q=0.8")])),
            Language::It
        );
        assert_eq!(visitor_language(&headers(&[])), Language::En);
    }

    #[test]
    fn session_tokens_are_random_and_stored_only_as_hashes() {
        let (first, first_hash) = new_session_token();
        let (second, _) = new_session_token();
        assert_ne!(first, second);
        assert_eq!(first_hash, token_hash(&first));
        assert_ne!(first_hash, first);
    }
}
