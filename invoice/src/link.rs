//! Link tokens: `{EDGE_URL}/i/{token}`.
//!
//! A token is base64url(public id ‖ key id ‖ tag), where the public id is 128
//! random bits (chosen by the server), the key id names the signing key, and
//! the tag is HMAC-SHA256(key, public id ‖ key id) truncated to 128 bits. The
//! edge checks the tag before it reads anything, so guessed or tampered tokens
//! cost no storage read and no call to the server. Keeping old keys in the
//! ring keeps old links working after a rotation.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const ID_LEN: usize = 16;
const TAG_LEN: usize = 16;
const TOKEN_BYTES: usize = ID_LEN + 1 + TAG_LEN;
/// The length of a token as text: 33 bytes are exactly 44 base64 characters.
pub const TOKEN_LEN: usize = 44;

/// The random public id of one link (one recipient of one send).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkId(pub [u8; ID_LEN]);

impl LinkId {
    /// Lower-case hex, used as the key in storage and in the database.
    pub fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        if text.len() != ID_LEN * 2 || !text.is_ascii() {
            return None;
        }
        let mut bytes = [0_u8; ID_LEN];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).ok()?;
        }
        Some(Self(bytes))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingError {
    #[error("the key ring is empty")]
    Empty,
    /// Names the entry by its place (counting from 1), never by its text:
    /// an error message must not echo key material into a log.
    #[error("key entry {0} is not of the form <id>:<base64 key>")]
    Malformed(usize),
    #[error("key {0} is shorter than 32 bytes")]
    TooShort(u8),
    #[error("key id {0} appears twice")]
    Duplicate(u8),
}

/// Signing keys by id. The first key signs new links; all of them verify.
#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<(u8, Vec<u8>)>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<u8> = self.keys.iter().map(|(id, _)| *id).collect();
        f.debug_struct("KeyRing").field("key_ids", &ids).finish()
    }
}

impl KeyRing {
    /// Parses `"2:<base64>,1:<base64>"`: comma-separated `id:key` pairs, the
    /// current signing key first. Keys are at least 32 bytes.
    pub fn parse(text: &str) -> Result<Self, KeyRingError> {
        let mut keys: Vec<(u8, Vec<u8>)> = Vec::new();
        let entries = text.split(',').map(str::trim).filter(|e| !e.is_empty());
        for (place, entry) in entries.enumerate() {
            let malformed = || KeyRingError::Malformed(place + 1);
            let (id, key) = entry.split_once(':').ok_or_else(malformed)?;
            let id: u8 = id.trim().parse().map_err(|_| malformed())?;
            let key = URL_SAFE_NO_PAD
                .decode(key.trim().trim_end_matches('='))
                .or_else(|_| base64::engine::general_purpose::STANDARD.decode(key.trim()))
                .map_err(|_| malformed())?;
            if key.len() < 32 {
                return Err(KeyRingError::TooShort(id));
            }
            if keys.iter().any(|(existing, _)| *existing == id) {
                return Err(KeyRingError::Duplicate(id));
            }
            keys.push((id, key));
        }
        if keys.is_empty() {
            return Err(KeyRingError::Empty);
        }
        Ok(Self { keys })
    }

    fn mac(key: &[u8], id: &LinkId, key_id: u8) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(&id.0);
        mac.update(&[key_id]);
        mac
    }

    /// The token of a link, signed with the current key.
    pub fn sign(&self, id: LinkId) -> String {
        let (key_id, key) = &self.keys[0];
        let tag = Self::mac(key, &id, *key_id).finalize().into_bytes();
        let mut bytes = Vec::with_capacity(TOKEN_BYTES);
        bytes.extend_from_slice(&id.0);
        bytes.push(*key_id);
        bytes.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The link id of a genuine token; `None` for anything else, decided in
    /// constant time with respect to the tag.
    pub fn verify(&self, token: &str) -> Option<LinkId> {
        if token.len() != TOKEN_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() != TOKEN_BYTES {
            return None;
        }
        let id = LinkId(bytes[..ID_LEN].try_into().ok()?);
        let key_id = bytes[ID_LEN];
        let (_, key) = self
            .keys
            .iter()
            .find(|(candidate, _)| *candidate == key_id)?;
        Self::mac(key, &id, key_id)
            .verify_truncated_left(&bytes[ID_LEN + 1..])
            .ok()
            .map(|()| id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ring(text: &str) -> KeyRing {
        KeyRing::parse(text).expect("valid ring")
    }

    const KEY_A: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const KEY_B: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA";

    #[test]
    fn a_signed_token_verifies_to_its_link_id() {
        let keys = ring(&format!("1:{KEY_A}"));
        let id = LinkId([7; 16]);
        let token = keys.sign(id);
        assert_eq!(token.len(), TOKEN_LEN);
        assert_eq!(keys.verify(&token), Some(id));
    }

    #[test]
    fn a_tampered_token_is_refused() {
        let keys = ring(&format!("1:{KEY_A}"));
        let token = keys.sign(LinkId([7; 16]));
        for position in [0, 21, 43] {
            let mut bytes = token.clone().into_bytes();
            bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).expect("ascii");
            assert_eq!(keys.verify(&tampered), None, "position {position}");
        }
        assert_eq!(keys.verify(""), None);
        assert_eq!(keys.verify("not a token"), None);
        assert_eq!(keys.verify(&"%".repeat(TOKEN_LEN)), None);
    }

    #[test]
    fn links_signed_before_a_rotation_keep_working_while_their_key_is_kept() {
        let before = ring(&format!("1:{KEY_A}"));
        let token = before.sign(LinkId([9; 16]));
        let after = ring(&format!("2:{KEY_B},1:{KEY_A}"));
        assert_eq!(after.verify(&token), Some(LinkId([9; 16])));
        assert_ne!(after.sign(LinkId([9; 16])), token);
        let retired = ring(&format!("2:{KEY_B}"));
        assert_eq!(retired.verify(&token), None);
    }

    #[test]
    fn weak_or_malformed_key_rings_are_refused() {
        assert_eq!(KeyRing::parse("").unwrap_err(), KeyRingError::Empty);
        assert_eq!(
            KeyRing::parse("1:c2hvcnQ").unwrap_err(),
            KeyRingError::TooShort(1)
        );
        assert!(matches!(
            KeyRing::parse("x:abc").unwrap_err(),
            KeyRingError::Malformed(1)
        ));
        let leaky = KeyRing::parse(&format!("1:{KEY_A},1{KEY_B}")).unwrap_err();
        assert_eq!(leaky, KeyRingError::Malformed(2));
        assert!(!leaky.to_string().contains(&KEY_B[..4]), "{leaky}");
        assert_eq!(
            KeyRing::parse(&format!("1:{KEY_A},1:{KEY_B}")).unwrap_err(),
            KeyRingError::Duplicate(1)
        );
    }

    #[test]
    fn link_ids_round_trip_through_hex() {
        let id = LinkId([0xab; 16]);
        assert_eq!(LinkId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(LinkId::from_hex("zz"), None);
    }

    proptest! {
        #[test]
        fn no_random_string_of_token_length_verifies(text in "[A-Za-z0-9_-]{44}") {
            prop_assert_eq!(ring(&format!("1:{KEY_A}")).verify(&text), None);
        }
    }
}
