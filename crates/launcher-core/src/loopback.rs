//! The loopback redirect listener of RFC 8252: where the browser hands back the authorization code.
//!
//! Promises: the listener binds `127.0.0.1` on an ephemeral port (never another interface) before
//! anything opens a browser; it answers every request and keeps waiting unless the request is the
//! genuine callback (right method, path, `Host` and `state`), so a stray or hostile request cannot
//! end the wait; a request head is capped at [`MAX_REQUEST_HEAD_BYTES`] and each connection gets at
//! most [`PER_CONNECTION_TIMEOUT`], so a silent client cannot hold the wait; the wait ends at the
//! caller's deadline. Nothing received is put into a page unescaped. Parsing ([`parse_request_head`])
//! and the decision ([`judge`]) are pure functions; [`Listener`] only does the I/O.

use std::net::Ipv4Addr;
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{timeout_at, Instant};

use crate::pkce::State;
use crate::secret::Secret;

/// The path the browser is redirected to.
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// The redirect URI registered with the OIDC client: no port, which admits any loopback port.
pub const REGISTERED_REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";

/// Requests whose head (request line and headers) is longer than this get 431.
pub const MAX_REQUEST_HEAD_BYTES: usize = 8 * 1024;

/// The longest one connection may take to send its request, as the AWS CLI allows.
pub const PER_CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a sign-in normally waits for the browser, as the AWS CLI does.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10 * 60);

/// How much of an oversized request is read and discarded before closing, so the client gets the
/// 431 answer instead of a connection reset.
const DRAIN_LIMIT_BYTES: usize = 64 * 1024;

/// Read granularity for request heads.
const READ_CHUNK_BYTES: usize = 1024;

/// The authorization code the browser delivered.
pub type AuthCode = Secret;

/// The redirect URI for a listener on `port`: `http://127.0.0.1:{port}/oauth/callback`.
pub fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}{CALLBACK_PATH}")
}

/// A bound loopback listener waiting for one authorization callback.
#[derive(Debug)]
pub struct Listener {
    listener: TcpListener,
    port: u16,
}

impl Listener {
    /// Binds `127.0.0.1` on a port the system picks. Call it before opening the browser.
    pub async fn bind() -> Result<Self, LoopbackError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(|source| LoopbackError::Bind { source })?;
        let port = listener
            .local_addr()
            .map_err(|source| LoopbackError::Bind { source })?
            .port();
        Ok(Self { listener, port })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address the listener is bound to (always `127.0.0.1`).
    pub fn local_addr(&self) -> Result<std::net::SocketAddr, LoopbackError> {
        self.listener
            .local_addr()
            .map_err(|source| LoopbackError::Bind { source })
    }

    /// The redirect URI to put in the authorize URL and CreateToken.
    pub fn redirect_uri(&self) -> String {
        redirect_uri(self.port)
    }

    /// Serves connections one at a time until the genuine callback arrives (its code is returned),
    /// IAM Identity Center reports an error for this sign-in, or `deadline` passes.
    pub async fn wait(
        self,
        expected_state: &State,
        deadline: Instant,
    ) -> Result<AuthCode, LoopbackError> {
        let started = Instant::now();
        loop {
            let timed_out = || LoopbackError::TimedOut {
                waited_secs: (Instant::now() - started).as_secs(),
            };
            if Instant::now() >= deadline {
                return Err(timed_out());
            }
            let stream = match timeout_at(deadline, self.listener.accept()).await {
                Err(_elapsed) => return Err(timed_out()),
                Ok(Err(source)) => return Err(LoopbackError::Accept { source }),
                Ok(Ok((stream, _peer))) => stream,
            };
            if let Some(outcome) = self.serve(stream, expected_state, deadline).await {
                return outcome;
            }
        }
    }

    /// Answers one connection; `Some` when the wait is over.
    async fn serve(
        &self,
        mut stream: TcpStream,
        expected_state: &State,
        deadline: Instant,
    ) -> Option<Result<AuthCode, LoopbackError>> {
        let connection_deadline = deadline.min(Instant::now() + PER_CONNECTION_TIMEOUT);
        let mut drain = false;
        let verdict = match timeout_at(connection_deadline, read_head(&mut stream)).await {
            Err(_elapsed) => Verdict::KeepWaiting(Reply::new(Status::RequestTimeout)),
            Ok(Err(_) | Ok(HeadRead::Closed)) => return None,
            Ok(Ok(HeadRead::TooLarge)) => {
                drain = true;
                Verdict::KeepWaiting(Reply::new(Status::HeaderFieldsTooLarge))
            }
            Ok(Ok(HeadRead::Head(bytes))) => match parse_request_head(&bytes) {
                Ok(head) => judge(&head, self.port, expected_state),
                Err(_malformed) => Verdict::KeepWaiting(Reply::new(Status::BadRequest)),
            },
        };
        let (reply, outcome) = match verdict {
            Verdict::KeepWaiting(reply) => (reply, None),
            Verdict::Done(reply, outcome) => (reply, Some(outcome)),
        };
        // A client that cannot take the answer does not change the outcome.
        let _ = timeout_at(connection_deadline, answer(&mut stream, &reply, drain)).await;
        outcome
    }
}

enum HeadRead {
    Head(Vec<u8>),
    TooLarge,
    Closed,
}

async fn read_head(stream: &mut TcpStream) -> std::io::Result<HeadRead> {
    let mut buf = Vec::with_capacity(READ_CHUNK_BYTES);
    let mut chunk = [0u8; READ_CHUNK_BYTES];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(HeadRead::Closed);
        }
        let searched_from = buf.len().saturating_sub(HEAD_END.len() - 1);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find_head_end(&buf[searched_from..]).map(|end| end + searched_from) {
            if end > MAX_REQUEST_HEAD_BYTES {
                return Ok(HeadRead::TooLarge);
            }
            buf.truncate(end);
            return Ok(HeadRead::Head(buf));
        }
        if buf.len() > MAX_REQUEST_HEAD_BYTES {
            return Ok(HeadRead::TooLarge);
        }
    }
}

async fn answer(stream: &mut TcpStream, reply: &Reply, drain: bool) -> std::io::Result<()> {
    stream.write_all(&reply.to_bytes()).await?;
    stream.shutdown().await?;
    if drain {
        let mut sink = [0u8; READ_CHUNK_BYTES];
        let mut drained = 0;
        while drained < DRAIN_LIMIT_BYTES {
            match stream.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
    }
    Ok(())
}

/// The blank line that ends a request head.
const HEAD_END: &[u8] = b"\r\n\r\n";
const HEAD_END_STR: &str = "\r\n\r\n";

/// The length of the request head (through the blank line), if `buf` holds all of it.
pub fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(HEAD_END.len())
        .position(|w| w == HEAD_END)
        .map(|at| at + HEAD_END.len())
}

/// What the listener needs from a request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// The `Host` header, if there was exactly one.
    pub host: Option<String>,
}

/// A request head that is not HTTP/1.x.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("malformed HTTP request head: {0}")]
pub struct MalformedRequest(&'static str);

/// Parses an HTTP/1.x request head (request line and header lines, CRLF-separated).
pub fn parse_request_head(head: &[u8]) -> Result<RequestHead, MalformedRequest> {
    let text = std::str::from_utf8(head).map_err(|_| MalformedRequest("not UTF-8"))?;
    // A bare CR or LF, NUL or another control character inside a line is how requests are
    // smuggled past parsers that split lines differently (RFC 9112 §2.2, RFC 9110 §5.5).
    let is_control = |c: char| c.is_ascii_control() && c != '\t';
    if text
        .strip_suffix(HEAD_END_STR)
        .unwrap_or(text)
        .split("\r\n")
        .any(|line| line.contains(is_control))
    {
        return Err(MalformedRequest("a control character inside a line"));
    }
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(MalformedRequest(
            "the request line is not `METHOD TARGET VERSION`",
        ));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(MalformedRequest("bad method"));
    }
    if !target.starts_with('/') {
        return Err(MalformedRequest("the target is not a path"));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(MalformedRequest("not HTTP/1.x"));
    }
    let mut host = None;
    let mut hosts = 0;
    for line in lines.take_while(|line| !line.is_empty()) {
        if line.starts_with([' ', '\t']) {
            return Err(MalformedRequest("folded header line"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or(MalformedRequest("header without `:`"))?;
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(MalformedRequest("bad header name"));
        }
        if name.eq_ignore_ascii_case("host") {
            hosts += 1;
            host = Some(value.trim().to_owned());
        }
    }
    Ok(RequestHead {
        method: method.to_owned(),
        target: target.to_owned(),
        host: if hosts == 1 { host } else { None },
    })
}

/// What to do with one request.
#[derive(Debug)]
pub enum Verdict {
    /// Answer and keep waiting for the genuine callback.
    KeepWaiting(Reply),
    /// Answer and end the wait with this outcome.
    Done(Reply, Result<AuthCode, LoopbackError>),
}

/// Decides how to answer a request to the listener on `port` that waits for `expected_state`.
pub fn judge(head: &RequestHead, port: u16, expected_state: &State) -> Verdict {
    let host_ok = head.host.as_deref().is_some_and(|host| {
        [format!("127.0.0.1:{port}"), format!("localhost:{port}")]
            .iter()
            .any(|allowed| host.eq_ignore_ascii_case(allowed))
    });
    if !host_ok {
        return Verdict::KeepWaiting(Reply::new(Status::BadRequest));
    }
    if head.method != "GET" {
        return Verdict::KeepWaiting(Reply::new(Status::MethodNotAllowed));
    }
    let (path, query) = head.target.split_once('?').unwrap_or((&head.target, ""));
    if path != CALLBACK_PATH {
        return Verdict::KeepWaiting(Reply::new(Status::NotFound));
    }
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => continue,
        };
        slot.get_or_insert(value.into_owned());
    }
    if !state
        .as_deref()
        .is_some_and(|state| expected_state.matches(state))
    {
        return Verdict::KeepWaiting(Reply::page(
            Status::BadRequest,
            "Not this sign-in",
            "This response does not belong to the sign-in Connect Launcher is waiting for, so it was \
             ignored. If you started a sign-in, finish it in the window Connect Launcher opened.",
        ));
    }
    if let Some(error) = error {
        let detail = match &description {
            Some(description) => format!("{error}: {description}"),
            None => error.clone(),
        };
        let message = format!(
            "IAM Identity Center did not complete the sign-in ({detail}). Return to Connect Launcher \
             and try again."
        );
        return Verdict::Done(
            Reply::page(Status::Ok, "Sign-in failed", &message),
            Err(LoopbackError::Denied { error, description }),
        );
    }
    match code.filter(|code| !code.is_empty()) {
        Some(code) => Verdict::Done(
            Reply::page(
                Status::Ok,
                "Signed in",
                "You can close this window and return to Connect Launcher.",
            ),
            Ok(Secret::new(code)),
        ),
        None => Verdict::KeepWaiting(Reply::new(Status::BadRequest)),
    }
}

/// The statuses the listener answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 200
    Ok,
    /// 400
    BadRequest,
    /// 404
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 408
    RequestTimeout,
    /// 431
    HeaderFieldsTooLarge,
}

impl Status {
    /// The numeric status code.
    pub fn code(self) -> u16 {
        match self {
            Self::Ok => 200,
            Self::BadRequest => 400,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::RequestTimeout => 408,
            Self::HeaderFieldsTooLarge => 431,
        }
    }

    /// The reason phrase.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::BadRequest => "Bad Request",
            Self::NotFound => "Not Found",
            Self::MethodNotAllowed => "Method Not Allowed",
            Self::RequestTimeout => "Request Timeout",
            Self::HeaderFieldsTooLarge => "Request Header Fields Too Large",
        }
    }
}

/// An HTML answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status.
    pub status: Status,
    /// The HTML page.
    pub body: String,
}

impl Reply {
    fn new(status: Status) -> Self {
        Self::page(
            status,
            status.reason(),
            "This address only receives Connect Launcher's sign-in.",
        )
    }

    fn page(status: Status, title: &str, message: &str) -> Self {
        let (title, message) = (escape_html(title), escape_html(message));
        let body = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
             <style>body{{font-family:sans-serif;max-width:36em;margin:4em auto;padding:0 1em}}</style>\
             </head><body><h1>{title}</h1><p>{message}</p></body></html>\n"
        );
        Self { status, body }
    }

    /// The full HTTP/1.1 response.
    pub fn to_bytes(&self) -> Vec<u8> {
        let allow = if self.status == Status::MethodNotAllowed {
            "Allow: GET\r\n"
        } else {
            ""
        };
        format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
             Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
             Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n\
             {allow}Connection: close\r\n\r\n{}",
            self.status.code(),
            self.status.reason(),
            self.body.len(),
            self.body
        )
        .into_bytes()
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Why the browser sign-in did not produce a code.
#[derive(Debug, Error)]
pub enum LoopbackError {
    /// The local port could not be opened.
    #[error("could not open a local port for the browser sign-in ({source}); try again, or sign in with `--device-code`")]
    Bind {
        /// The system's reason.
        source: std::io::Error,
    },
    /// Accepting a connection failed.
    #[error("the local sign-in listener stopped accepting connections ({source}); try again, or sign in with `--device-code`")]
    Accept {
        /// The system's reason.
        source: std::io::Error,
    },
    /// The deadline passed.
    #[error("the browser sign-in did not finish in time (waited {waited_secs} s); run `connect-launcher login` again, or use `--device-code` if the browser cannot reach this computer")]
    TimedOut {
        /// How long the wait lasted.
        waited_secs: u64,
    },
    /// IAM Identity Center redirected back with an error for this sign-in.
    #[error("IAM Identity Center did not complete the sign-in ({error}{}); try again, and if it keeps failing ask IT whether you are assigned to this portal", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Denied {
        /// The OAuth `error`, e.g. `access_denied`.
        error: String,
        /// The `error_description`, if any.
        description: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORT: u16 = 53127;
    const STATE: &str = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

    fn head(method: &str, target: &str, host: Option<&str>) -> RequestHead {
        RequestHead {
            method: method.into(),
            target: target.into(),
            host: host.map(Into::into),
        }
    }

    fn judge_get(target: &str) -> Verdict {
        judge(
            &head("GET", target, Some("127.0.0.1:53127")),
            PORT,
            &State::from_string(STATE),
        )
    }

    fn kept_status(verdict: Verdict) -> u16 {
        match verdict {
            Verdict::KeepWaiting(reply) => reply.status.code(),
            Verdict::Done(reply, _) => panic!("ended the wait with {}", reply.status.code()),
        }
    }

    #[test]
    fn parses_a_browser_request_head() {
        let raw = b"GET /oauth/callback?code=c&state=s HTTP/1.1\r\nhost: 127.0.0.1:53127\r\nUser-Agent: x\r\nAccept: */*\r\n\r\n";
        let end = find_head_end(raw).expect("complete");
        assert_eq!(end, raw.len());
        assert_eq!(
            parse_request_head(&raw[..end]),
            Ok(head(
                "GET",
                "/oauth/callback?code=c&state=s",
                Some("127.0.0.1:53127")
            ))
        );
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
    }

    #[test]
    fn rejects_malformed_heads() {
        let bad: [&[u8]; 8] = [
            b"GET /\r\n\r\n",
            b"GET / HTTP/2\r\nHost: a\r\n\r\n",
            b"get / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET http://evil/ HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n",
        ];
        for raw in bad {
            assert!(
                parse_request_head(raw).is_err(),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    /// Found by the `loopback_request` fuzz target: a bare CR inside the `Host` line was kept in
    /// the host value.
    #[test]
    fn control_characters_inside_a_line_are_refused() {
        let bad: [&[u8]; 5] = [
            b"GET /oauth/callback HTTP/1.1\r\nHost: 127.0.0.1:53127\r.1\r\n\r\n",
            b"GET /oauth/callback HTTP/1.1\r\nHost: 127.0.0.1:53127\nX: y\r\n\r\n",
            b"GET /oauth/callback\r HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\x00\r\n\r\n",
            b"GET / HTTP/1.1\r\nX-A: \x1b[31m\r\nHost: a\r\n\r\n",
        ];
        for raw in bad {
            assert_eq!(
                parse_request_head(raw),
                Err(MalformedRequest("a control character inside a line")),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
        let tab = b"GET / HTTP/1.1\r\nHost:\t127.0.0.1:1\r\n\r\n";
        assert_eq!(
            parse_request_head(tab)
                .expect("a tab is allowed")
                .host
                .as_deref(),
            Some("127.0.0.1:1")
        );
    }

    #[test]
    fn two_host_headers_count_as_none() {
        let raw = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\nHost: evil.example\r\n\r\n";
        assert_eq!(parse_request_head(raw).expect("parses").host, None);
    }

    #[test]
    fn the_genuine_callback_ends_the_wait_with_the_code() {
        match judge_get(&format!("/oauth/callback?code=the-code&state={STATE}")) {
            Verdict::Done(reply, Ok(code)) => {
                assert_eq!(code.expose(), "the-code");
                assert_eq!(reply.status, Status::Ok);
                assert!(reply
                    .body
                    .contains("You can close this window and return to Connect Launcher"));
            }
            other => panic!("{other:?}"),
        }
        let localhost = head(
            "GET",
            &format!("/oauth/callback?code=c&state={STATE}"),
            Some("LOCALHOST:53127"),
        );
        assert!(matches!(
            judge(&localhost, PORT, &State::from_string(STATE)),
            Verdict::Done(_, Ok(_))
        ));
    }

    #[test]
    fn stray_requests_are_answered_and_the_wait_goes_on() {
        let genuine = format!("/oauth/callback?code=c&state={STATE}");
        let state = State::from_string(STATE);
        assert_eq!(
            kept_status(judge_get("/oauth/callback?code=c&state=wrong")),
            400
        );
        assert_eq!(kept_status(judge_get("/oauth/callback?code=c")), 400);
        assert_eq!(
            kept_status(judge_get(&format!("/oauth/callback?state={STATE}"))),
            400
        );
        assert_eq!(
            kept_status(judge_get("/oauth/callback?error=access_denied&state=x")),
            400
        );
        assert_eq!(
            kept_status(judge_get(&format!("/favicon.ico?state={STATE}"))),
            404
        );
        assert_eq!(
            kept_status(judge(
                &head("POST", &genuine, Some("127.0.0.1:53127")),
                PORT,
                &state
            )),
            405
        );
        for host in [
            Some("evil.example:53127"),
            Some("127.0.0.1:1"),
            Some("127.0.0.1"),
            None,
        ] {
            assert_eq!(
                kept_status(judge(&head("GET", &genuine, host), PORT, &state)),
                400,
                "{host:?}"
            );
        }
    }

    #[test]
    fn an_error_for_this_sign_in_ends_the_wait_and_is_escaped_in_the_page() {
        let target = format!(
            "/oauth/callback?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state={STATE}"
        );
        match judge_get(&target) {
            Verdict::Done(reply, Err(LoopbackError::Denied { error, description })) => {
                assert_eq!(error, "access_denied");
                assert_eq!(description.as_deref(), Some("<script>alert(1)</script>"));
                assert!(!reply.body.contains("<script>"), "{}", reply.body);
                assert!(reply
                    .body
                    .contains("access_denied: &lt;script&gt;alert(1)&lt;/script&gt;"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn replies_are_complete_http_responses() {
        let reply = Reply::new(Status::MethodNotAllowed);
        let text = String::from_utf8(reply.to_bytes()).expect("utf-8");
        assert!(
            text.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nAllow: GET\r\n"));
        assert!(text.contains(&format!("\r\nContent-Length: {}\r\n", reply.body.len())));
        assert!(text.contains("\r\nContent-Security-Policy: default-src 'none'"));
        assert!(text.ends_with(&reply.body));
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn timeout_message_says_what_to_do() {
        let message = LoopbackError::TimedOut { waited_secs: 600 }.to_string();
        assert!(message.contains("connect-launcher login"), "{message}");
        assert!(message.contains("--device-code"), "{message}");
    }
}
