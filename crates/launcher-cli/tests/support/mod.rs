//! What every `connect-launcher` process test needs: an emulator, a private home, a per-test
//! keychain service, and a `$BROWSER` that follows redirects.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_emulator::{Emulator, Options};
use launcher_core::keychain::{EntryKey, OsKeychain, SecretStore};
use launcher_core::start_url::StartUrl;

pub const ALEX: &str = "alex.rivera@example.com";

pub struct World {
    pub emu: Emulator,
    pub tmp: tempfile::TempDir,
    pub service: String,
}

impl World {
    pub fn new(options: Options) -> World {
        let emu = Emulator::start(options).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let service = format!("connect-launcher-test-{}", uuid_like());
        for d in ["home", "state", "config", "data"] {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        // A browser that follows redirects with a cookie jar (and so completes an auto-approved
        // sign-in and a console federation); it writes the last page to $BROWSER_PAGE_OUT.
        let script = tmp.path().join("browser.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$1\" >> '{}'\ncurl -sSL -c '{jar}' -b '{jar}' -o '{page}' \"$1\"\n# Always write the report, even empty, so a reader on a pipe never hangs.\ncat '{page}' > \"${{BROWSER_PAGE_OUT:-/dev/null}}\" 2>/dev/null\n",
                tmp.path().join("opened.txt").display(),
                jar = tmp.path().join("cookies.txt").display(),
                page = tmp.path().join("last-page.html").display()
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        World { emu, tmp, service }
    }

    pub fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_connect-launcher"));
        c.args(args).env_clear();
        for keep in [
            "PATH",
            "DBUS_SESSION_BUS_ADDRESS",
            "DISPLAY",
            "XDG_RUNTIME_DIR",
            "LANG",
        ] {
            if let Ok(v) = std::env::var(keep) {
                c.env(keep, v);
            }
        }
        c.env("HOME", self.home())
            .env("XDG_STATE_HOME", self.tmp.path().join("state"))
            .env("XDG_CONFIG_HOME", self.tmp.path().join("config"))
            .env("XDG_DATA_HOME", self.tmp.path().join("data"))
            .env("CONNECT_LAUNCHER_KEYCHAIN_SERVICE", &self.service)
            .env(
                "CONNECT_LAUNCHER_POLICY_FILE",
                self.tmp.path().join("policy.toml"),
            )
            .env("BROWSER", self.tmp.path().join("browser.sh"));
        for (k, v) in self.emu.env() {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// `connect-launcher login` to the emulator's start URL; what it printed on stderr.
    pub fn login(&self) -> String {
        ok(&self.run(&[
            "login",
            "--start-url",
            &self.emu.start_url(),
            "--region",
            "us-east-1",
        ]))
    }

    /// Checks that Connect's logout page of `alias` was opened in the browser.
    pub fn assert_logged_out_of(&self, alias: &str) {
        let opened = std::fs::read_to_string(self.tmp.path().join("opened.txt")).unwrap();
        assert!(
            opened
                .lines()
                .any(|l| l == format!("{}/{alias}.my.connect.aws/logout", self.emu.urls().web)),
            "{opened}"
        );
    }

    /// Checks that only the lock file and the (redacted) logs are left in the state folder.
    pub fn assert_state_left_empty(&self) {
        let left: Vec<_> = std::fs::read_dir(self.tmp.path().join("state/connect-launcher"))
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(
            left.iter().all(|f| f == "refresh.lock" || f == "logs"),
            "only the lock file and the (redacted) logs may stay: {left:?}"
        );
    }

    pub fn keychain(&self) -> OsKeychain {
        OsKeychain::with_service(self.service.clone())
    }

    pub fn stored_secrets(&self) -> serde_json::Value {
        let url = StartUrl::parse(&self.emu.start_url(), false).unwrap();
        let raw = self
            .keychain()
            .get(&EntryKey::session(&url))
            .expect("the OS keychain answers (run inside `cargo xtask test`, which unlocks a Secret Service)")
            .expect("the session is in the keychain");
        serde_json::from_str(raw.expose()).unwrap()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Ok(url) = StartUrl::parse(&self.emu.start_url(), false) {
            let _ = self.keychain().delete(&EntryKey::session(&url));
            let _ = self.keychain().delete(&EntryKey::registration(&url));
        }
        self.keychain().clear_cache();
    }
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{n:x}-{}", std::process::id())
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stderr)
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Where tests leave screenshots for people to look at.
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A named pipe: reading it blocks until a writer has written and closed it, so a test can wait
/// for a browser it did not start without polling.
pub fn fifo(path: &Path) -> PathBuf {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
    path.to_owned()
}

/// A world whose emulator auto-approves `user`, signed in through the CLI.
pub fn signed_in(user: &str) -> World {
    let w = World::new(Options::new(aws_emulator::Org::demo()).auto_approve(user));
    w.login();
    w
}

/// The text of an element with this id on an emulator page.
pub fn element(page: &str, id: &str) -> Option<String> {
    let start = page.find(&format!("id=\"{id}\""))?;
    let after = &page[start..];
    let open = after.find('>')? + 1;
    let close = after[open..].find('<')?;
    Some(after[open..open + close].to_owned())
}
