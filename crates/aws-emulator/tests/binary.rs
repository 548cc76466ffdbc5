//! The `aws-emulator` binary: one JSON line on start, the control API, and clear refusals.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aws-emulator"))
}

/// Kills the child when dropped, so a failing test leaves nothing running.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn post(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    let mut s = std::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap())).unwrap();
    let path = format!("{}?{}", u.path(), u.query().unwrap_or(""));
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        u.authority()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_prints_one_json_line_and_obeys_control() {
    let mut child = bin()
        .args([
            "serve",
            "--generate",
            "50",
            "--auto-approve",
            "--latency-ms",
            "1",
            "--fault",
            "ListAccounts:throttle:2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).expect("the first line is JSON");
    assert_eq!(v["start_url"], "https://d-90670000aa.awsapps.com/start");
    assert_eq!(v["region"], "us-east-1");
    let control = v["control"].as_str().unwrap();
    let moved = post(&format!("{control}/clock/advance?seconds=3600"));
    assert!(
        moved.starts_with("HTTP/1.1 200") && moved.contains("\"offset_seconds\":3600"),
        "{moved}"
    );
    let bad = post(&format!("{control}/clock/advance?seconds=soon"));
    assert!(
        bad.starts_with("HTTP/1.1 400") && bad.contains("whole number of seconds"),
        "{bad}"
    );
}

#[test]
fn refuses_unknown_user_and_bad_fault_with_a_hint() {
    let out = bin()
        .args(["serve", "--demo", "--auto-approve", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nobody@example.com") && err.contains("alex.rivera@example.com"),
        "{err}"
    );

    let out = bin()
        .args(["serve", "--fault", "ListAccounts:explode"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("OPERATION:KIND[:COUNT]"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("org.toml");
    std::fs::write(&bad, "[directory]\nid = \"d-1234567890\"\nregion = \"us-east-1\"\n[[assignments]]\nuser = \"ghost\"\naccount = \"111111111111\"\npermission_set = \"X\"\n").unwrap();
    let out = bin().args(["serve", "--org"]).arg(&bad).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown user `ghost`"));
}
