//! The loopback listener over real sockets, with tokio's paused clock: no test waits in real time.

use std::io::Write;
use std::net::{Shutdown, TcpStream as StdStream};
use std::time::Duration;

use launcher_core::loopback::{
    Listener, LoopbackError, MAX_REQUEST_HEAD_BYTES, PER_CONNECTION_TIMEOUT,
};
use launcher_core::pkce::State;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

const STATE: &str = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
const WAIT: Duration = Duration::from_secs(5 * 60);

/// Connects and sends `request` completely before the listener looks at it, then hands the socket
/// to tokio for reading the answer.
fn send(port: u16, request: &[u8]) -> TcpStream {
    let mut stream = StdStream::connect(("127.0.0.1", port)).expect("connect");
    stream.write_all(request).expect("write");
    stream.shutdown(Shutdown::Write).expect("shutdown");
    stream.set_nonblocking(true).expect("nonblocking");
    TcpStream::from_std(stream).expect("tokio stream")
}

fn get(port: u16, target: &str, host: &str) -> TcpStream {
    send(
        port,
        format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: test\r\n\r\n").as_bytes(),
    )
}

async fn answer(mut stream: TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read answer");
    let text = String::from_utf8(raw).expect("utf-8 answer");
    let status = text
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    (status, text)
}

#[tokio::test(start_paused = true)]
async fn genuine_callback_completes_after_junk_requests_each_get_the_right_status() {
    let listener = Listener::bind().await.expect("bind");
    let port = listener.port();
    assert_eq!(
        listener.redirect_uri(),
        format!("http://127.0.0.1:{port}/oauth/callback")
    );
    let host = format!("127.0.0.1:{port}");

    let huge_header = format!(
        "GET /oauth/callback?code=c&state={STATE} HTTP/1.1\r\nHost: {host}\r\nX-Junk: {}\r\n\r\n",
        "a".repeat(2 * MAX_REQUEST_HEAD_BYTES)
    );
    let junk = [
        (get(port, "/oauth/callback?code=attacker&state=wrong", &host), 400),
        (get(port, &format!("/favicon.ico?code=c&state={STATE}"), &host), 404),
        (send(port, format!("POST /oauth/callback?code=c&state={STATE} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n").as_bytes()), 405),
        (send(port, huge_header.as_bytes()), 431),
        (get(port, &format!("/oauth/callback?code=rebound&state={STATE}"), &format!("attacker.example:{port}")), 400),
        (send(port, b"\x16\x03\x01 not http\r\n\r\n"), 400),
    ];
    let genuine = get(
        port,
        &format!("/oauth/callback?code=genuine-code&state={STATE}"),
        &format!("localhost:{port}"),
    );

    let code = listener
        .wait(&State::from_string(STATE), Instant::now() + WAIT)
        .await
        .expect("the genuine callback completes the wait");
    assert_eq!(code.expose(), "genuine-code");

    for (i, (stream, expected)) in junk.into_iter().enumerate() {
        let (status, text) = answer(stream).await;
        assert_eq!(status, expected, "junk request {i}: {text}");
        assert!(
            !text.contains("return to Connect Launcher."),
            "junk request {i} got the success page"
        );
    }
    let (status, text) = answer(genuine).await;
    assert_eq!(status, 200);
    assert!(
        text.contains("You can close this window and return to Connect Launcher."),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_error_callback_ends_the_wait_with_the_error_and_a_failure_page() {
    let listener = Listener::bind().await.expect("bind");
    let port = listener.port();
    let browser = get(
        port,
        &format!("/oauth/callback?error=access_denied&error_description=User+denied+%3Cb%3Eaccess%3C%2Fb%3E&state={STATE}"),
        &format!("127.0.0.1:{port}"),
    );

    let err = listener
        .wait(&State::from_string(STATE), Instant::now() + WAIT)
        .await
        .expect_err("the error ends the wait");
    match &err {
        LoopbackError::Denied { error, description } => {
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("User denied <b>access</b>"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains("access_denied: User denied <b>access</b>"),
        "{err}"
    );

    let (status, text) = answer(browser).await;
    assert_eq!(status, 200);
    assert!(text.contains("Sign-in failed"), "{text}");
    assert!(
        text.contains("User denied &lt;b&gt;access&lt;/b&gt;"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn nothing_arrives_so_the_wait_times_out_at_the_deadline() {
    let listener = Listener::bind().await.expect("bind");
    let started = Instant::now();

    let err = listener
        .wait(&State::from_string(STATE), started + WAIT)
        .await
        .expect_err("times out");

    assert!(
        matches!(err, LoopbackError::TimedOut { waited_secs } if waited_secs == WAIT.as_secs()),
        "{err:?}"
    );
    assert!(Instant::now() >= started + WAIT);
    assert!(err.to_string().contains("--device-code"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_silent_connection_gets_408_and_does_not_block_the_genuine_callback() {
    let listener = Listener::bind().await.expect("bind");
    let port = listener.port();
    let silent = {
        let stream = StdStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_nonblocking(true).expect("nonblocking");
        TcpStream::from_std(stream).expect("tokio stream")
    };
    let genuine = get(
        port,
        &format!("/oauth/callback?code=c0de&state={STATE}"),
        &format!("127.0.0.1:{port}"),
    );
    let started = Instant::now();

    let code = listener
        .wait(&State::from_string(STATE), started + WAIT)
        .await
        .expect("completes");

    assert_eq!(code.expose(), "c0de");
    let waited = Instant::now() - started;
    assert!(
        waited >= PER_CONNECTION_TIMEOUT && waited < WAIT,
        "{waited:?}"
    );
    assert_eq!(answer(silent).await.0, 408);
    assert_eq!(answer(genuine).await.0, 200);
}

#[tokio::test]
async fn binds_the_loopback_address_only() {
    let listener = Listener::bind().await.expect("bind");
    let addr = listener.local_addr().expect("bound address");
    assert_eq!(addr.ip(), std::net::IpAddr::from([127, 0, 0, 1]));
    assert_eq!(addr.port(), listener.port());
    // This machine's address on its way out (no packet is sent): the listener is not there.
    let outward = std::net::UdpSocket::bind(("0.0.0.0", 0))
        .and_then(|s| s.connect(("192.0.2.1", 9)).map(|()| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    if let Some(ip) = outward {
        let refused = StdStream::connect((ip, listener.port()));
        assert!(refused.is_err(), "the listener answered on {ip}");
    }
}

/// How many junk requests arrive around the genuine callback.
const JUNK_REQUESTS: usize = 1_000;

/// The `i`-th junk request: the kinds a hostile page or process could send, in turn.
fn junk_request(i: usize, port: u16) -> Vec<u8> {
    let host = format!("127.0.0.1:{port}");
    let line = |target: &str, host: &str| {
        format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes()
    };
    match i % 7 {
        0 => line(&format!("/oauth/callback?code=junk{i}&state=wrong"), &host),
        // DNS rebinding: a page on another name that resolves to 127.0.0.1.
        1 => line(
            &format!("/oauth/callback?code=junk{i}&state={STATE}"),
            &format!("rebind.attacker.example:{port}"),
        ),
        2 => line(&format!("/favicon.ico?code=junk{i}&state={STATE}"), &host),
        3 => format!("POST /oauth/callback?code=junk{i}&state={STATE} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n").into_bytes(),
        4 => b"\x16\x03\x01\x02\x00 not http\r\n\r\n".to_vec(),
        5 => line(&format!("/oauth/callback?error=access_denied&state=x{i}"), &host),
        _ => line(&format!("/oauth/callback?state={STATE}"), &host),
    }
}

/// Sends one request and reads the status of the answer; `None` when the listener had stopped
/// (refused or reset) before answering.
async fn status_of(port: u16, request: Vec<u8>) -> Option<u16> {
    attempt(port, request).await.ok()
}

/// Like [`status_of`], saying at which step and why a request got no answer.
async fn attempt(port: u16, request: Vec<u8>) -> Result<u16, String> {
    use tokio::io::AsyncWriteExt;
    let why = |step: &str, e: std::io::Error| format!("{step}: {:?}", e.kind());
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| why("connect", e))?;
    stream
        .write_all(&request)
        .await
        .map_err(|e| why("write", e))?;
    stream.shutdown().await.map_err(|e| why("shutdown", e))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .map_err(|e| why("read", e))?;
    String::from_utf8_lossy(&raw)
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {} bytes", raw.len()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_genuine_callback_gets_through_a_thousand_concurrent_junk_requests() {
    let listener = Listener::bind().await.expect("bind");
    let port = listener.port();
    // A bound, not a pause: the wait ends when the genuine callback arrives.
    let deadline = Instant::now() + Duration::from_secs(120);
    let waiting =
        tokio::spawn(async move { listener.wait(&State::from_string(STATE), deadline).await });

    let (answered_tx, mut answered_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut junk = tokio::task::JoinSet::new();
    for i in 0..JUNK_REQUESTS {
        let answered = answered_tx.clone();
        junk.spawn(async move {
            let status = attempt(port, junk_request(i, port)).await;
            let _ = answered.send(status.clone());
            status.ok()
        });
    }
    drop(answered_tx);
    // The genuine callback arrives once half the junk has been answered, with the rest in flight.
    let mut unanswered = std::collections::BTreeMap::<String, usize>::new();
    let mut answered_before = 0;
    while answered_before < JUNK_REQUESTS / 2 {
        match answered_rx.recv().await {
            Some(Ok(_)) => answered_before += 1,
            Some(Err(why)) => *unanswered.entry(why).or_default() += 1,
            None => panic!(
                "only {answered_before} of {JUNK_REQUESTS} junk requests were answered; the others: {unanswered:?}"
            ),
        }
    }
    let genuine = tokio::spawn(async move {
        let target = format!("/oauth/callback?code=genuine-code&state={STATE}");
        let request = format!("GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n");
        status_of(port, request.into_bytes()).await
    });

    let code = waiting
        .await
        .expect("the wait task")
        .expect("the genuine callback completes the wait");
    assert_eq!(code.expose(), "genuine-code");
    assert_eq!(genuine.await.expect("the genuine task"), Some(200));

    let mut answered = 0;
    while let Some(status) = junk.join_next().await {
        if let Some(status) = status.expect("a junk task") {
            answered += 1;
            assert!(
                [400, 404, 405].contains(&status),
                "a junk request got {status}"
            );
        }
    }
    assert!(answered >= JUNK_REQUESTS / 2, "{answered} answered");
}

#[tokio::test]
async fn a_replayed_authorization_code_is_refused_with_a_clear_error() {
    use aws_emulator::{Emulator, Options, Org};
    use launcher_core::endpoints::Endpoints;
    use launcher_core::http::Http;
    use launcher_core::oidc::{ClientKind, OidcClient, OidcError};
    use launcher_core::pkce::{authorize_url, CodeVerifier};
    use launcher_core::region::Region;
    use launcher_core::signin::SignInError;

    let emu = Emulator::start(Options::new(Org::demo()).auto_approve("alex.rivera@example.com"))
        .expect("emulator");
    let endpoints = Endpoints::resolve(Region::parse("us-east-1").expect("region"), &emu.env())
        .expect("endpoints");
    let oidc = OidcClient::new(Http::new(), endpoints.oidc().clone());
    let reg = oidc
        .register(
            "replay-test",
            ClientKind::AuthorizationCode,
            &emu.start_url(),
        )
        .await
        .expect("register");
    let listener = Listener::bind().await.expect("bind");
    let redirect = listener.redirect_uri();
    let verifier = CodeVerifier::generate();
    let state = State::generate();
    let url = authorize_url(
        oidc.base().as_str(),
        &reg.client_id,
        listener.port(),
        &state,
        &[],
        &verifier.challenge(),
    );
    // The browser: the emulator approves at once and redirects to the listener.
    let browser = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    let code = listener
        .wait(&state, Instant::now() + WAIT)
        .await
        .expect("the callback");
    assert_eq!(browser.await.expect("browser task").expect("browser"), 200);

    oidc.code_token(&reg, &code, verifier.secret(), &redirect)
        .await
        .expect("the first exchange succeeds");
    let replayed = oidc
        .code_token(&reg, &code, verifier.secret(), &redirect)
        .await
        .expect_err("a replayed code is refused");
    assert!(
        matches!(&replayed, OidcError::InvalidGrant(m) if m.contains("already been used")),
        "{replayed:?}"
    );
    let shown = SignInError::from(replayed).to_string();
    assert!(shown.contains("connect-launcher login"), "{shown}");
    assert!(
        !shown.contains(code.expose()),
        "the code is quoted: {shown}"
    );
}
