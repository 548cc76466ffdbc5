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
