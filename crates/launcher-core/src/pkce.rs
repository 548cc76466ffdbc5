//! Proof Key for Code Exchange (RFC 7636) and the browser's `/authorize` URL, as the AWS CLI does
//! them.
//!
//! Promises: the verifier is 64 characters from `[A-Za-z0-9-._~]` drawn from the operating system's
//! random source and stays a [`Secret`]; the challenge is S256; `state` is a random UUID v4; the
//! authorize URL matches the CLI's byte for byte (parameter order and percent-encoding).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rand::rngs::OsRng;
use rand::Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::loopback::redirect_uri;
use crate::secret::Secret;

/// Length of a generated code verifier, as the AWS CLI makes them.
pub const VERIFIER_LENGTH: usize = 64;

/// The characters a code verifier is drawn from (RFC 7636 "unreserved").
const VERIFIER_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// The only challenge method used.
pub const CHALLENGE_METHOD: &str = "S256";

/// The scope sent when none is configured; it is what makes refresh tokens possible.
pub const DEFAULT_SCOPE: &str = "sso:account:access";

/// Query values are escaped except for letters, digits and `-._~` (so `:` and `/` are escaped).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A PKCE code verifier.
#[derive(Debug, Clone)]
pub struct CodeVerifier(Secret);

impl CodeVerifier {
    /// A fresh verifier from the operating system's random source.
    pub fn generate() -> Self {
        let value: String = (0..VERIFIER_LENGTH)
            .map(|_| char::from(VERIFIER_ALPHABET[OsRng.gen_range(0..VERIFIER_ALPHABET.len())]))
            .collect();
        Self(Secret::new(value))
    }

    /// Wraps a known verifier (tests, and RFC 7636's example).
    pub fn from_secret(value: Secret) -> Self {
        Self(value)
    }

    /// The verifier as sent to CreateToken.
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// The S256 challenge: base64url(SHA-256(verifier)) without padding.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.expose().as_bytes()))
    }
}

/// The OAuth `state` value: a random UUID v4 in canonical hyphenated form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State(String);

impl State {
    /// A fresh random state.
    pub fn generate() -> Self {
        Self(Uuid::new_v4().hyphenated().to_string())
    }

    /// Wraps a known state (tests).
    pub fn from_string(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The state as sent in the authorize URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares with a received value in time independent of where they differ.
    pub fn matches(&self, received: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), received.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The browser URL that starts the authorization-code flow: `{oidc_base}/authorize?…` with the
/// parameters in the AWS CLI's order; `scopes` are joined by spaces, [`DEFAULT_SCOPE`] when empty;
/// `code_challenge` goes last and unencoded.
pub fn authorize_url(
    oidc_base: &str,
    client_id: &str,
    port: u16,
    state: &State,
    scopes: &[String],
    challenge: &str,
) -> String {
    let scopes = if scopes.is_empty() {
        DEFAULT_SCOPE.to_owned()
    } else {
        scopes.join(" ")
    };
    let redirect = redirect_uri(port);
    let params = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect.as_str()),
        ("state", state.as_str()),
        ("code_challenge_method", CHALLENGE_METHOD),
        ("scopes", scopes.as_str()),
    ];
    let query: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, QUERY_VALUE)))
        .collect();
    format!(
        "{}/authorize?{}&code_challenge={challenge}",
        oidc_base.trim_end_matches('/'),
        query.join("&")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC7636_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC7636_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn challenge_matches_rfc_7636_appendix_b() {
        let verifier = CodeVerifier::from_secret(Secret::new(RFC7636_VERIFIER));
        assert_eq!(verifier.challenge(), RFC7636_CHALLENGE);
    }

    #[test]
    fn generated_verifiers_have_the_cli_shape_and_differ() {
        let a = CodeVerifier::generate();
        let b = CodeVerifier::generate();
        assert_eq!(a.secret().expose().len(), VERIFIER_LENGTH);
        assert!(a
            .secret()
            .expose()
            .bytes()
            .all(|c| VERIFIER_ALPHABET.contains(&c)));
        assert_ne!(a.secret().expose(), b.secret().expose());
        assert_eq!(a.challenge().len(), 43);
        assert_eq!(format!("{a:?}"), "CodeVerifier([redacted])");
    }

    #[test]
    fn state_is_a_uuid_v4_and_compares_exactly() {
        let state = State::generate();
        let parsed = Uuid::parse_str(state.as_str()).expect("a UUID");
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(state.as_str(), parsed.hyphenated().to_string());
        assert!(state.matches(state.as_str()));
        assert!(!state.matches(&state.as_str().to_uppercase()));
        assert!(!state.matches(&state.as_str()[1..]));
        assert_ne!(state, State::generate());
    }

    #[test]
    fn authorize_url_is_byte_exact_with_the_reference_example() {
        let url = authorize_url(
            "https://oidc.us-east-1.amazonaws.com",
            "AbCdEfGhIjKlMnOpQrStUXVzLWVhc3QtMQ",
            53127,
            &State::from_string("3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"),
            &[],
            RFC7636_CHALLENGE,
        );
        assert_eq!(
            url,
            "https://oidc.us-east-1.amazonaws.com/authorize?response_type=code&client_id=AbCdEfGhIjKlMnOpQrStUXVzLWVhc3QtMQ&redirect_uri=http%3A%2F%2F127.0.0.1%3A53127%2Foauth%2Fcallback&state=3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn authorize_url_joins_configured_scopes_with_an_encoded_space() {
        let url = authorize_url(
            "http://127.0.0.1:9000/",
            "client",
            55555,
            &State::from_string("s"),
            &[
                "sso:account:access".into(),
                "codewhisperer:completions".into(),
            ],
            "c",
        );
        assert_eq!(
            url,
            "http://127.0.0.1:9000/authorize?response_type=code&client_id=client&redirect_uri=http%3A%2F%2F127.0.0.1%3A55555%2Foauth%2Fcallback&state=s&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess%20codewhisperer%3Acompletions&code_challenge=c"
        );
    }
}
