//! Identifiers and opaque secrets the emulator hands out.
//!
//! Promises: tokens are unguessable (OS randomness) and carry the prefixes real AWS uses (`aoa` for
//! access tokens, `aor` for refresh tokens, `ASIA` for session key ids), so a client that logs a
//! token by mistake is caught by a leak test that looks for those prefixes.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// `n` random bytes, base64url without padding.
pub fn random_b64(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// An access token as IdC issues them: `aoa` + opaque.
pub fn access_token() -> String {
    format!("aoa{}", random_b64(96))
}

/// A refresh token: `aor` + opaque.
pub fn refresh_token() -> String {
    format!("aor{}", random_b64(96))
}

/// A client id: base64url, its tail names the region (as observed on the real service).
pub fn client_id(region: &str) -> String {
    format!(
        "{}{}",
        random_b64(16),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(region)
    )
}

/// A client secret shaped like the JWS the real service returns.
pub fn client_secret() -> String {
    format!(
        "eyJraWQiOiJrZXktMTU2NDAyODA5OSIsImFsZyI6IkhTMzg0In0.{}",
        random_b64(160)
    )
}

/// A temporary access key id: `ASIA` + 16 upper-case alphanumerics.
pub fn access_key_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut buf = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    let tail: String = buf
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    format!("ASIA{tail}")
}

/// A device user code: `XXXX-XXXX` from an alphabet without look-alikes.
pub fn user_code() -> String {
    const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let mut buf = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    let c: Vec<char> = buf
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    format!(
        "{}-{}",
        c[..4].iter().collect::<String>(),
        c[4..].iter().collect::<String>()
    )
}

/// A UUID derived from a name, so fixtures give the same ids on every run.
pub fn stable_uuid(name: &str) -> String {
    let d = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).to_string()
}

/// A fresh request id.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(access_token().starts_with("aoa"));
        assert_eq!(access_key_id().len(), 20);
        let c = user_code();
        assert_eq!(c.len(), 9);
        assert_eq!(&c[4..5], "-");
        assert_eq!(stable_uuid("x"), stable_uuid("x"));
        assert_ne!(stable_uuid("x"), stable_uuid("y"));
    }
}
