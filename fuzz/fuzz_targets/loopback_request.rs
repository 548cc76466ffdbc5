//! The loopback listener's request head: bytes from any local process, parsed and judged.
//!
//! Invariants: a head is found at its first blank line; a parsed head has an upper-case method and
//! a target that is a path; only a GET of the callback path, on our own `Host`, with our `state`
//! and a non-empty code ends the wait with a code; an error callback ends it only with our
//! `state`; every reply is a complete HTTP/1.1 response whose page holds no unescaped markup.
#![no_main]

use launcher_core::loopback::{
    find_head_end, judge, parse_request_head, LoopbackError, Status, Verdict, CALLBACK_PATH,
};
use launcher_core::pkce::State;
use launcher_fuzz::assert_says_something;
use libfuzzer_sys::fuzz_target;

const PORT: u16 = 53127;
const STATE: &str = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

fn query_value(target: &str, name: &str) -> Option<String> {
    let query = target.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// The text between `open` and the following `close`.
fn between<'a>(body: &'a str, open: &str, close: &str) -> &'a str {
    let start = body.find(open).expect("opening tag") + open.len();
    let len = body[start..].find(close).expect("closing tag");
    &body[start..start + len]
}

fuzz_target!(|data: &[u8]| {
    if let Some(end) = find_head_end(data) {
        assert!(end >= 4 && end <= data.len());
        assert_eq!(&data[end - 4..end], b"\r\n\r\n");
        assert_eq!(
            find_head_end(&data[..end - 1]),
            None,
            "not the first blank line"
        );
    }
    let head = match parse_request_head(data) {
        Ok(head) => head,
        Err(err) => return assert_says_something(&err),
    };
    assert!(head.target.starts_with('/'), "{head:?}");
    assert!(!head.method.is_empty() && head.method.bytes().all(|b| b.is_ascii_uppercase()));
    if let Some(host) = &head.host {
        assert!(!host.contains(['\r', '\n']), "{head:?}");
    }

    let own_host = head.host.as_deref().is_some_and(|h| {
        h.eq_ignore_ascii_case(&format!("127.0.0.1:{PORT}"))
            || h.eq_ignore_ascii_case(&format!("localhost:{PORT}"))
    });
    let path = head.target.split('?').next().unwrap_or_default();
    let ours = own_host
        && head.method == "GET"
        && path == CALLBACK_PATH
        && query_value(&head.target, "state").as_deref() == Some(STATE);

    let reply = match judge(&head, PORT, &State::from_string(STATE)) {
        Verdict::Done(reply, Ok(code)) => {
            assert!(
                ours,
                "a code was taken from a request that is not ours: {head:?}"
            );
            assert!(!code.expose().is_empty());
            assert_eq!(
                query_value(&head.target, "code").as_deref(),
                Some(code.expose())
            );
            assert_eq!(reply.status, Status::Ok);
            reply
        }
        Verdict::Done(reply, Err(err)) => {
            assert!(ours, "a request that is not ours ended the wait: {head:?}");
            assert!(matches!(err, LoopbackError::Denied { .. }), "{err:?}");
            assert_says_something(&err);
            reply
        }
        Verdict::KeepWaiting(reply) => {
            assert_ne!(reply.status, Status::Ok, "{head:?}");
            reply
        }
    };

    for text in [
        between(&reply.body, "<title>", "</title>"),
        between(&reply.body, "<p>", "</p>"),
    ] {
        assert!(!text.contains(['<', '>', '"']), "unescaped markup: {text}");
    }
    let bytes = reply.to_bytes();
    let text = String::from_utf8(bytes).expect("a UTF-8 reply");
    let (head_text, body) = text.split_once("\r\n\r\n").expect("a blank line");
    assert!(head_text.starts_with(&format!("HTTP/1.1 {} ", reply.status.code())));
    assert!(head_text.contains(&format!("\r\nContent-Length: {}\r\n", body.len())));
    assert_eq!(body, reply.body);
});
