//! Accounts: password hashing, sessions, the sign-in rate limit, and the
//! middleware that tells every request who is asking.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

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
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::IpNetwork;

use crate::db::{accounts, now_ms};
use crate::error::ServerError;
use crate::state::AppState;

/// Caps the password hashes computed at once: each takes argon2's memory
/// (19 MiB) and a core for a while, so a flood of sign-ins would otherwise
/// exhaust both. Over the cap a request is refused at once, not queued.
pub struct PasswordHashing {
    permits: Arc<Semaphore>,
    /// Hashes started since the server started: what the rate limit let through.
    started: AtomicU64,
}

/// The right to compute one hash; released when the hash is done.
pub struct HashPermit {
    _held: OwnedSemaphorePermit,
}

impl PasswordHashing {
    pub fn new(at_once: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(at_once)),
            started: AtomicU64::new(0),
        }
    }

    /// A permit, or None when `at_once` hashes are already running.
    pub fn try_permit(&self) -> Option<HashPermit> {
        Arc::clone(&self.permits)
            .try_acquire_owned()
            .ok()
            .map(|held| HashPermit { _held: held })
    }

    /// How many hashes (and checks) were started.
    pub fn started(&self) -> u64 {
        self.started.load(Ordering::SeqCst)
    }

    /// Hashes with argon2id off the async threads. The permit moves into the
    /// blocking task: a request dropped halfway still counts until the hash ends.
    pub async fn hash(&self, permit: HashPermit, password: String) -> Result<String, ServerError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|error| ServerError::Corrupt(format!("hashing failed: {error}")))
        })
        .await
        .map_err(|error| ServerError::Corrupt(error.to_string()))?
    }

    /// Checks a password against a stored hash; None checks it against a
    /// hash of nothing, so an unknown email costs what a wrong password does.
    pub async fn verify(
        &self,
        permit: HashPermit,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, ServerError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| UNKNOWN_ACCOUNT_HASH.clone());
            let parsed = PasswordHash::new(&hash)
                .map_err(|error| ServerError::Corrupt(format!("stored hash: {error}")))?;
            let matches = Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(known && matches)
        })
        .await
        .map_err(|error| ServerError::Corrupt(error.to_string()))?
    }
}

/// A hash with the same parameters as real ones, of a random password.
static UNKNOWN_ACCOUNT_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(&rand::random::<[u8; 32]>(), &salt)
        .map(|hash| hash.to_string())
        .unwrap_or_default()
});

/// The client's address: the socket's peer, unless the peer is a trusted
/// proxy; then the nearest address in `X-Forwarded-For` (read from the
/// right, the end the proxies append to) that is not a trusted proxy.
/// Entries further left are whatever the client wrote and are ignored.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &[IpNetwork],
) -> Option<IpAddr> {
    let is_trusted = |address: IpAddr| trusted.iter().any(|network| network.contains(address));
    let mut client = peer?.to_canonical();
    if !is_trusted(client) {
        return Some(client);
    }
    let hops = forwarded_for
        .iter()
        .rev()
        .flat_map(|header| header.rsplit(','))
        .map(str::trim);
    for hop in hops {
        match hop.parse::<IpAddr>() {
            Ok(address) => {
                client = address.to_canonical();
                if !is_trusted(client) {
                    break;
                }
            }
            // A garbled entry: the trusted hop that passed it on is the client.
            Err(_) => break,
        }
    }
    Some(client)
}

/// What the per-network sign-in limit counts by: an IPv4 address, or an
/// IPv6 address's /64 (one household or server holds a whole /64).
pub fn network_of(address: IpAddr) -> String {
    match address.to_canonical() {
        IpAddr::V4(address) => address.to_string(),
        IpAddr::V6(address) => {
            let prefix = u128::from(address) & (u128::MAX << 64);
            format!("{}/64", Ipv6Addr::from(prefix))
        }
    }
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
        || path == app::api::CHECK_EMAIL_PATH
        || path == app::api::CONFIRM_EMAIL_PATH
        || path == app::api::FORGOT_PASSWORD_PATH
        || path == app::api::RESET_PASSWORD_PATH
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
    if user.is_some() && (path == "/login" || path == "/signup") {
        return Redirect::to("/").into_response();
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let forwarded_for: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let ip = client_address(peer, &forwarded_for, &state.services.config.trusted_proxies)
        .map_or_else(|| "unknown".to_owned(), network_of);
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

    fn networks(text: &str) -> Vec<IpNetwork> {
        crate::config::parse_trusted_proxies(text).expect("networks")
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn without_trusted_proxies_the_socket_is_the_client_whatever_the_headers_say() {
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), &["1.2.3.4"], &[]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            client_address(
                Some(ip("203.0.113.9")),
                &["1.2.3.4"],
                &networks("10.0.0.0/8")
            ),
            Some(ip("203.0.113.9")),
            "a forged header from an untrusted peer is ignored"
        );
        assert_eq!(client_address(None, &[], &[]), None);
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_first_untrusted_hop_from_the_right() {
        let trusted = networks("10.0.0.0/8, fd00::/8");
        let peer = Some(ip("10.0.0.2"));
        // The client forged the first entry; the load balancer appended the real one.
        assert_eq!(
            client_address(peer, &["6.6.6.6, 198.51.100.7"], &trusted),
            Some(ip("198.51.100.7"))
        );
        // Two proxies in a row, the header split over two lines.
        assert_eq!(
            client_address(peer, &["6.6.6.6, 198.51.100.7", "10.1.1.1"], &trusted),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            client_address(Some(ip("fd00::2")), &["2001:db8::5"], &trusted),
            Some(ip("2001:db8::5"))
        );
        // A garbled hop: the proxy that passed it on is as far as is known.
        assert_eq!(
            client_address(peer, &["198.51.100.7, garbage, 10.1.1.1"], &trusted),
            Some(ip("10.1.1.1"))
        );
        assert_eq!(client_address(peer, &[], &trusted), Some(ip("10.0.0.2")));
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_64() {
        assert_eq!(network_of(ip("198.51.100.7")), "198.51.100.7");
        assert_eq!(network_of(ip("::ffff:198.51.100.7")), "198.51.100.7");
        assert_eq!(
            network_of(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            network_of(ip("2001:db8:1:2::1"))
        );
        assert_eq!(network_of(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_ne!(
            network_of(ip("2001:db8:1:2::1")),
            network_of(ip("2001:db8:1:3::1"))
        );
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
