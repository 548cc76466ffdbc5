//! The last line of defence for logs: text that looks like an AWS token is cut out before a log
//! line is written, whatever code wrote it.
//!
//! Promises: [`redact`] replaces every run of token characters that follows a known token prefix
//! (`aoa`, `aor` access and refresh tokens, `IQoJ` session tokens, `eyJ` client secrets, AWS
//! access key ids) and every value of a query parameter that carries a token (`SigninToken=`,
//! `code=`, `Session=`) with `[redacted]`; ordinary words that merely start the same way are left
//! alone because a token run must be at least [`MIN_TOKEN_LEN`] characters long.

/// A token run shorter than this is not treated as a token.
pub const MIN_TOKEN_LEN: usize = 16;
/// What a redacted value becomes.
pub const REDACTED: &str = "[redacted]";

/// Prefixes of bearer secrets AWS issues.
const TOKEN_PREFIXES: [&str; 5] = ["aoa", "aor", "IQoJ", "eyJ", "ASIA"];
/// Query or form parameters whose value is a secret.
const SECRET_PARAMS: [&str; 6] = [
    "SigninToken=",
    "code=",
    "Session=",
    "sessionToken",
    "refreshToken",
    "accessToken",
];

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/' | '=' | '%')
}

/// `text` with token-like values replaced by [`REDACTED`].
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let rest = &text[i..];
        // A parameter that carries a secret: keep its name, drop its value.
        if let Some(p) = SECRET_PARAMS.iter().find(|p| rest.starts_with(**p)) {
            let at_boundary = i == 0
                || !is_token_char(text[..i].chars().next_back().unwrap_or(' '))
                || text[..i].ends_with(['&', '?']);
            if at_boundary {
                out.push_str(p);
                let mut j = i + p.len();
                // JSON-ish forms: `accessToken": "…"` or `accessToken=…`.
                while j < text.len() && matches!(bytes[j], b'"' | b':' | b' ' | b'=') {
                    out.push(bytes[j] as char);
                    j += 1;
                }
                let value_len = text[j..]
                    .chars()
                    .take_while(|c| is_token_char(*c))
                    .map(char::len_utf8)
                    .sum::<usize>();
                if value_len > 0 {
                    out.push_str(REDACTED);
                }
                i = j + value_len;
                continue;
            }
        }
        // A token starts a word: the character before it is not a letter or digit.
        let boundary = i == 0
            || !text[..i]
                .chars()
                .next_back()
                .unwrap_or(' ')
                .is_ascii_alphanumeric();
        if boundary {
            if let Some(prefix) = TOKEN_PREFIXES.iter().find(|p| rest.starts_with(**p)) {
                let run = rest
                    .chars()
                    .take_while(|c| is_token_char(*c))
                    .map(char::len_utf8)
                    .sum::<usize>();
                if run >= MIN_TOKEN_LEN {
                    out.push_str(prefix);
                    out.push_str(REDACTED);
                    i += run;
                    continue;
                }
            }
        }
        let c = rest.chars().next().expect("not at the end");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_cut() {
        assert_eq!(
            redact("token aoaAbCdEfGhIjKlMnOpQrSt_-12 used"),
            "token aoa[redacted] used"
        );
        assert_eq!(redact("rt=aorZZZZZZZZZZZZZZZZZZZZZZZ"), "rt=aor[redacted]");
        assert_eq!(redact("key ASIAABCDEFGHIJKLMNOP"), "key ASIA[redacted]");
        assert_eq!(
            redact("s IQoJb3JpZ2luX2VjEAAAAAAAAAAAAAAAAA=="),
            "s IQoJ[redacted]"
        );
    }

    #[test]
    fn secret_parameters_lose_their_values() {
        assert_eq!(
            redact("GET /federation?Action=login&SigninToken=abc%2Bdef&Destination=x"),
            "GET /federation?Action=login&SigninToken=[redacted]&Destination=x"
        );
        assert_eq!(
            redact(r#"{"accessToken": "abc", "expiresIn": 3600}"#),
            r#"{"accessToken": "[redacted]", "expiresIn": 3600}"#
        );
        assert_eq!(
            redact("callback?code=xyz123&state=s"),
            "callback?code=[redacted]&state=s"
        );
    }

    #[test]
    fn ordinary_words_stay() {
        for s in [
            "aorta",
            "ASIAN food",
            "eyJ",
            "a barcode=1 x",
            "encoded aoa short",
        ] {
            assert_eq!(redact(s), s);
        }
    }
}
