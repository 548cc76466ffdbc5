//! IAM Identity Center OIDC answers, and the AWS error decoding every client shares: bytes from
//! the network.
//!
//! The first byte picks RegisterClient, StartDeviceAuthorization, CreateToken or an error response;
//! an error response is written `STATUS\nName: value\n…\n\nBODY`.
//! Invariants: an accepted answer has what the flow needs (a client id, a positive poll interval,
//! an access token) and its secrets never show in `Debug`; a refusal says something; a decoded
//! error keeps the status, has a clean code (no `ns#` prefix, no `:…` suffix, not empty) and
//! messages cut to `MAX_MESSAGE_CHARS`.
#![no_main]

use launcher_core::aws_error::{decode, MAX_MESSAGE_CHARS};
use launcher_core::oidc::{parse_device, parse_register, parse_tokens, ClientKind};
use launcher_fuzz::{assert_not_shown, assert_says_something, select};
use libfuzzer_sys::fuzz_target;

fn error_response(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let Some(Ok(status)) = lines.next().map(|s| s.trim().parse::<u16>()) else {
        return;
    };
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim()))
        .collect();
    let e = decode(status, headers.iter().copied(), body.as_bytes());
    assert_eq!(e.status, status);
    if let Some(code) = &e.code {
        assert!(!code.is_empty(), "an empty code: {e:?}");
        assert!(!code.contains([':', '#']), "{e:?}");
        assert_eq!(code.trim(), code, "{e:?}");
    }
    for text in [&e.message, &e.oauth_error, &e.request_id]
        .into_iter()
        .flatten()
    {
        assert!(text.chars().count() <= MAX_MESSAGE_CHARS, "{e:?}");
    }
    let shown = e.to_string();
    assert!(shown.contains(&format!("HTTP {status}")), "{shown}");
}

fuzz_target!(|data: &[u8]| {
    let (which, body) = select(data, 4);
    match which {
        0 => match parse_register(body, ClientKind::AuthorizationCode) {
            Ok(r) => {
                assert!(!r.client_id.is_empty());
                assert_eq!(r.kind, ClientKind::AuthorizationCode);
                assert_not_shown(&format!("{r:?}"), r.client_secret.expose(), &[&r.client_id]);
            }
            Err(err) => assert_says_something(&err),
        },
        1 => match parse_device(body) {
            Ok(d) => {
                assert!(d.interval > 0);
                let public = [d.user_code.as_str(), d.verification_uri.as_str()];
                let mut public = public.to_vec();
                public.extend(d.verification_uri_complete.as_deref());
                assert_not_shown(&format!("{d:?}"), d.device_code.expose(), &public);
            }
            Err(err) => assert_says_something(&err),
        },
        2 => match parse_tokens(body) {
            Ok(t) => {
                assert!(!t.access_token.expose().is_empty());
                if let Some(r) = &t.refresh_token {
                    assert!(!r.expose().is_empty());
                    assert_not_shown(&format!("{t:?}"), r.expose(), &[]);
                }
                assert_not_shown(&format!("{t:?}"), t.access_token.expose(), &[]);
            }
            Err(err) => assert_says_something(&err),
        },
        _ => error_response(body),
    }
});
