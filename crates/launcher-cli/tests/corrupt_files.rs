//! Damaged files in the state folder (a crash mid-write by an older version, a disk error, a
//! person's edit): every command either carries on or says what to do, never panics, and signing
//! out and ending a shift always work.

mod support;

use launcher_core::keychain::{EntryKey, SecretStore};
use launcher_core::start_url::StartUrl;
use support::*;

/// What a damaged file may hold: cut in half, not JSON at all, empty.
fn damage(original: &[u8]) -> [Vec<u8>; 3] {
    [
        original[..original.len() / 2].to_vec(),
        b"not json \xff\xfe".to_vec(),
        Vec::new(),
    ]
}

fn state(w: &World) -> std::path::PathBuf {
    w.tmp.path().join("state/connect-launcher")
}

fn no_panic(out: &std::process::Output, what: &str) {
    let err = text(&out.stderr);
    assert_ne!(out.status.code(), Some(101), "{what} panicked: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert!(
        !err.contains('\u{1b}'),
        "no terminal colours on a pipe ({what}): {err:?}"
    );
}

#[test]
fn every_damaged_state_file_but_the_session_is_ignored_and_work_goes_on() {
    let w = signed_in(ALEX);
    ok(&w.run(&["open", "acme-staging"]));
    launcher_core::favourites::set(&state(&w), "acme-staging", true).unwrap();
    let files = [
        "catalog.json",
        "launches.json",
        "favourites.json",
        "role-credentials.json",
        "registration.json",
    ];
    for name in files {
        let path = state(&w).join(name);
        let original = std::fs::read(&path).unwrap_or_else(|e| panic!("{name} is there: {e}"));
        for junk in damage(&original) {
            std::fs::write(&path, &junk).unwrap();
            let what = format!("{name} holding {} bytes of junk", junk.len());
            let out = w.run(&["status"]);
            no_panic(&out, &what);
            assert!(
                text(&out.stdout).contains(ALEX),
                "{what}: {}",
                text(&out.stderr)
            );

            let out = w.run(&["list"]);
            no_panic(&out, &what);
            assert!(out.status.success(), "{what}: {}", text(&out.stderr));
            assert!(text(&out.stdout).contains("acme-staging"), "{what}");
            if name == "catalog.json" {
                assert!(
                    text(&out.stderr).contains("is damaged and was ignored"),
                    "{what}: {}",
                    text(&out.stderr)
                );
                let saved = std::fs::read(&path).unwrap();
                assert!(
                    serde_json::from_slice::<serde_json::Value>(&saved).is_ok(),
                    "the list was looked up again and saved whole"
                );
            }

            let out = w.run(&["open", "acme-staging", "--print"]);
            no_panic(&out, &what);
            assert!(out.status.success(), "{what}: {}", text(&out.stderr));
            assert!(
                text(&out.stdout).contains("/federation?Action=login"),
                "{what}"
            );
            std::fs::write(&path, &original).unwrap();
        }
    }
}

#[test]
fn a_damaged_session_file_says_sign_in_again_and_sign_out_still_clears_its_keys() {
    let w = signed_in(ALEX);
    ok(&w.run(&["open", "acme-staging", "--print"]));
    let url = StartUrl::parse(&w.emu.start_url(), false).unwrap();
    let role = EntryKey::role_credentials(&url, "444455556666", "ConnectAgent");
    assert!(w.keychain().get(&role).unwrap().is_some());
    let session = state(&w).join("session.json");
    let original = std::fs::read(&session).unwrap();
    for junk in damage(&original) {
        std::fs::write(&session, &junk).unwrap();
        for args in [&["status"][..], &["list"], &["open", "acme-staging"]] {
            let out = w.run(args);
            no_panic(&out, &format!("{args:?}"));
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let err = text(&out.stderr);
            assert!(
                err.contains("session.json is damaged") && err.contains("connect-launcher login"),
                "{args:?}: {err}"
            );
        }
    }
    let err = ok(&w.run(&["logout"]));
    assert!(err.contains("was damaged"), "{err}");
    assert!(!session.exists(), "the damaged file is gone");
    assert!(
        w.keychain()
            .get(&EntryKey::session(&url))
            .unwrap()
            .is_none(),
        "the session's keys are gone: the start URL came from the settings and the index"
    );
    assert!(w.keychain().get(&role).unwrap().is_none());
    assert!(w.keychain().cached(&role).is_none());
    w.login();
    assert!(text(&w.run(&["status"]).stdout).contains(ALEX));
}

#[test]
fn end_shift_works_on_a_damaged_session_file() {
    let w = signed_in(ALEX);
    ok(&w.run(&["open", "acme-staging"]));
    let url = StartUrl::parse(&w.emu.start_url(), false).unwrap();
    std::fs::write(state(&w).join("session.json"), b"{\"start_url\": \"ht").unwrap();

    let err = ok(&w.run(&["logout", "--everywhere"]));
    assert!(
        err.contains("Logged out of Amazon Connect on acme-staging")
            && err.contains("Shift ended: what the damaged session left"),
        "{err}"
    );
    w.assert_logged_out_of("acme-staging");
    for key in [
        EntryKey::session(&url),
        EntryKey::registration(&url),
        EntryKey::role_credentials(&url, "444455556666", "ConnectAgent"),
    ] {
        assert!(
            w.keychain().get(&key).unwrap().is_none(),
            "{}",
            key.as_str()
        );
    }
    w.assert_state_left_empty();
}

#[test]
fn end_shift_after_a_sign_out_still_logs_out_of_connect() {
    // The agent signed out earlier; the Connect tab is still signed in until the shift ends.
    let w = signed_in(ALEX);
    ok(&w.run(&["open", "acme-staging"]));
    ok(&w.run(&["logout"]));
    let err = ok(&w.run(&["logout", "--everywhere"]));
    assert!(
        err.contains("Logged out of Amazon Connect on acme-staging")
            && err.contains("nobody was signed in"),
        "{err}"
    );
    assert!(!state(&w).join("launches.json").exists());
    assert!(!state(&w).join("catalog.json").exists());
}
