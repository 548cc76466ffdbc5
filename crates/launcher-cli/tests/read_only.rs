//! `connect-launcher` with a state folder it cannot write: sign-in ends in one clear error naming
//! the folder, leaves nothing in the real keychain and no file behind, and status still answers.
//!
//! Tests run as root here, for whom `chmod` does not stop writes; the folder is made immutable
//! (`chattr +i`, honoured for root by ext4, xfs and btrfs). The test fails rather than pass if the
//! folder stays writable.

mod support;

use std::path::{Path, PathBuf};

use aws_emulator::{Options, Org};
use launcher_core::keychain::{EntryKey, SecretStore};
use launcher_core::start_url::StartUrl;
use support::{files_under, ok, text, World, ALEX};

/// Makes a folder unwritable for everyone (root included) until dropped.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn new(dir: &Path) -> ReadOnly {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        let guard = ReadOnly(dir.to_owned());
        if writable(dir) {
            let out = std::process::Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .output();
            assert!(
                !writable(dir),
                "cannot make {} read-only here (chattr +i: {out:?}); run on ext4, xfs or btrfs",
                dir.display()
            );
        }
        guard
    }
}

fn writable(dir: &Path) -> bool {
    let probe = dir.join(".write-probe");
    let ok = std::fs::write(&probe, b"x").is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .output();
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

#[test]
fn a_read_only_state_folder_fails_sign_in_clearly_and_stores_nothing() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    let state = w.tmp.path().join("state");
    let start = w.emu.start_url();
    let ro = ReadOnly::new(&state);

    let out = w.run(&["login", "--start-url", &start, "--region", "us-east-1"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(&format!("make the folder {}", state.display())) && err.contains("writable"),
        "{err}"
    );
    let cause = "Operation not permitted";
    assert_eq!(
        err.matches(cause).count(),
        1,
        "the cause is said once: {err}"
    );
    let url = StartUrl::parse(&start, false).unwrap();
    for key in [EntryKey::session(&url), EntryKey::registration(&url)] {
        assert!(
            w.keychain().get(&key).unwrap().is_none(),
            "{} was left in the keychain",
            key.as_str()
        );
    }
    assert!(files_under(&state).is_empty(), "{:?}", files_under(&state));
    let status = text(&ok_status(&w));
    assert!(status.contains("Not signed in"), "{status}");

    // Writable again: the same command signs in.
    drop(ro);
    let err = ok(&w.run(&["login", "--start-url", &start, "--region", "us-east-1"]));
    assert!(err.contains(&format!("Signed in as {ALEX}")), "{err}");
}

fn ok_status(w: &World) -> Vec<u8> {
    let out = w.run(&["status"]);
    ok(&out);
    out.stdout
}
