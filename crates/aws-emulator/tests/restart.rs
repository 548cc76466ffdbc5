//! The emulator restarting as a service does: open connections are cut, new ones refused while it
//! is down, the same ports answer again after, and what it issued before (here a registered client)
//! is still known. Also the `restart` fault, which does all of it in the middle of a request.

use std::io::{Read, Write};
use std::net::TcpStream;

use aws_emulator::{Emulator, Options, Org};

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

/// One POST with `Connection: close`; the status code, or `None` when the connection was cut.
fn post(base: &str, path: &str, body: &str) -> Option<(u16, String)> {
    request("POST", base, path, body)
}

fn request(method: &str, base: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr(base)).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        addr(base),
        body.len()
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.get(9..12)?.parse().ok()?;
    let body = out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    Some((status, body))
}

/// Registers a client: `(clientId, clientSecret)`.
fn register(oidc: &str) -> (String, String) {
    let (status, body) = post(
        oidc,
        "/client/register",
        r#"{"clientName":"restart-test","clientType":"public"}"#,
    )
    .expect("the OIDC listener answers");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    (
        v["clientId"].as_str().unwrap().to_owned(),
        v["clientSecret"].as_str().unwrap().to_owned(),
    )
}

/// StartDeviceAuthorization's status: 200 only for a client the service knows.
fn device_authorization_status(oidc: &str, client: &(String, String), start_url: &str) -> u16 {
    let body = format!(
        r#"{{"clientId":"{}","clientSecret":"{}","startUrl":"{start_url}"}}"#,
        client.0, client.1
    );
    post(oidc, "/device_authorization", &body).unwrap().0
}

#[test]
fn a_restart_cuts_connections_refuses_while_down_and_keeps_state_and_ports() {
    let emu = Emulator::start(Options::new(Org::demo())).unwrap();
    let urls = emu.urls().clone();
    let client = register(&urls.oidc);
    assert_eq!(
        device_authorization_status(&urls.oidc, &client, &emu.start_url()),
        200
    );
    let stranger = ("not-a-registered-client".to_owned(), client.1.clone());
    assert_ne!(
        device_authorization_status(&urls.oidc, &stranger, &emu.start_url()),
        200,
        "an unknown client is refused"
    );

    let mut idle = TcpStream::connect(addr(&urls.portal)).unwrap();
    emu.stop_listening();
    assert!(!emu.is_listening());
    let mut buf = [0u8; 16];
    assert!(
        matches!(idle.read(&mut buf), Ok(0) | Err(_)),
        "an open connection is cut"
    );
    for base in [&urls.oidc, &urls.portal, &urls.connect, &urls.web] {
        let err = TcpStream::connect(addr(base)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{base}");
    }

    emu.start_listening().unwrap();
    assert!(emu.is_listening());
    assert_eq!(emu.urls().oidc, urls.oidc, "the same ports");
    assert_eq!(
        device_authorization_status(&urls.oidc, &client, &emu.start_url()),
        200,
        "the client registered before the restart is still known"
    );
    let stats = request("GET", &urls.web, "/_emulator/stats", "").unwrap().1;
    assert!(stats.contains("\"restarts\":0"), "{stats}");

    emu.restart().unwrap();
    assert_eq!(emu.restarts(), 1);
    assert_eq!(
        request("GET", &urls.web, "/_emulator/stats", "").map(|r| r.0),
        Some(200)
    );
}

#[test]
fn a_restart_fault_cuts_the_request_it_hits_then_the_service_answers_again() {
    let emu = Emulator::start(Options::new(Org::demo())).unwrap();
    let oidc = emu.urls().oidc.clone();
    emu.faults()
        .add("RegisterClient:restart:1".parse().unwrap());
    assert_eq!(
        post(
            &oidc,
            "/client/register",
            r#"{"clientName":"x","clientType":"public"}"#
        ),
        None,
        "the request that met the restart gets no answer"
    );
    // The restart runs beside the request: once its stop is counted, wait for every port to be
    // bound again (start_listening returns when they all accept), then the same port answers.
    while emu.restarts() == 0 {
        std::thread::yield_now();
    }
    emu.start_listening().unwrap();
    register(&oidc);
}
