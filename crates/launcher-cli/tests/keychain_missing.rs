//! A missing keychain, as opposed to a locked one (`launcher-core/tests/signin.rs`): the session bus
//! is there but nothing on it provides the Secret Service, and nothing can be activated to provide
//! it. `connect-launcher` runs inside its own `dbus-run-session` whose bus configuration lists no
//! service folders (a stock session bus would start gnome-keyring on demand through its
//! `org.freedesktop.secrets` activation file). Sign-in must end in the "no keychain" error, with no
//! plain-text fallback, and leave no token in any file.

mod support;

use std::process::{Command, Output};

use aws_emulator::{Options, Org};
use support::{files_under, ok, text, World, ALEX};

/// A session bus with no service folders: nothing is activatable on it.
const BUS_WITHOUT_SERVICES: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// Runs `connect-launcher args` on a fresh session bus that has no Secret Service.
fn run_without_keychain(w: &World, args: &[&str]) -> Output {
    let conf = w.tmp.path().join("bus-without-services.conf");
    std::fs::write(&conf, BUS_WITHOUT_SERVICES).unwrap();
    let inner = w.cmd(args);
    let mut c = Command::new("dbus-run-session");
    c.arg(format!("--config-file={}", conf.display()))
        .arg("--")
        .arg(inner.get_program())
        .args(inner.get_args())
        .env_clear();
    for (k, v) in inner.get_envs() {
        if let (Some(v), false) = (v, k == "DBUS_SESSION_BUS_ADDRESS") {
            c.env(k, v);
        }
    }
    c.output().unwrap_or_else(|e| {
        panic!("this test needs dbus-run-session (Debian package dbus-daemon): {e}")
    })
}

#[test]
fn a_missing_keychain_fails_sign_in_clearly_and_writes_no_token_anywhere() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    let start = w.emu.start_url();
    let out = run_without_keychain(
        &w,
        &["login", "--start-url", &start, "--region", "us-east-1"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "a clean failure: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("no keychain is available")
            && err.contains("start a desktop session or gnome-keyring")
            && err.contains("nothing was saved"),
        "{err}"
    );

    // No plain-text fallback: no file anywhere holds a token (access `aoa…`, refresh `aor…`), and
    // no session was recorded.
    for f in files_under(w.tmp.path()) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        let content = String::from_utf8_lossy(&bytes);
        assert!(
            !content.contains("aoa") && !content.contains("aor"),
            "{} holds a token",
            f.display()
        );
    }
    let status = run_without_keychain(&w, &["status", "--json"]);
    ok(&status);
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v, serde_json::json!({"signed_in": false}));
}
