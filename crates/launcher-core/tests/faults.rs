//! Faults the other suites do not cover, one test each, each ending in recovery or a clear error
//! with nothing lost: the emulator restarting mid-flow (and staying down), an access token that runs
//! out in the middle of discovery, read-only settings and state folders, and a clock ten minutes off
//! either way. The launcher runs as the app runs it (`discovery::refresh`, `sign_in`, `Sessions`)
//! against the emulator; time moves by the injected clock and the emulator's fault hooks, never by
//! waiting. (Throttling, 5xx, resets, slow and malformed bodies: `portal_and_connect.rs` and
//! `catalog_discovery.rs`; a revoked refresh token and a locked keychain: `signin.rs`; a missing
//! keychain: `crates/launcher-cli/tests/keychain_missing.rs`.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_emulator::{Emulator, Options, Org};
use launcher_core::browser::{BrowserError, Opener};
use launcher_core::catalog::{CacheRead, Catalog};
use launcher_core::clock::{Clock, ManualClock, Wait};
use launcher_core::config::Settings;
use launcher_core::deps::{Deps, Dirs};
use launcher_core::discovery::{self, DiscoveryError};
use launcher_core::endpoints::Endpoints;
use launcher_core::http::Http;
use launcher_core::keychain::{EntryKey, MemoryStore, SecretStore};
use launcher_core::oidc::OidcClient;
use launcher_core::region::Region;
use launcher_core::secret::Secret;
use launcher_core::session::{Facts, SessionError, Sessions};
use launcher_core::settings_file::{self, SettingsChange};
use launcher_core::signin::{sign_in, Flow, SignInError, SignInOptions, SignInUi};
use launcher_core::start_url::StartUrl;
use url::Url;

const ALEX: &str = "alex.rivera@example.com";

/// The launcher's clock, `skew` seconds off the emulator's; moving it moves both (the skew stays).
#[derive(Debug, Clone)]
struct LinkedClock {
    ours: ManualClock,
    emulator: aws_emulator::Clock,
}

impl LinkedClock {
    fn advance(&self, by: Duration) {
        self.ours.advance(by);
        self.emulator.advance(by);
    }
}

impl Clock for LinkedClock {
    fn now(&self) -> SystemTime {
        self.ours.now()
    }

    fn sleep(&self, by: Duration) -> Wait {
        self.advance(by);
        Box::pin(std::future::ready(()))
    }
}

/// A browser that follows redirects (and so completes an auto-approved sign-in), nothing else.
#[derive(Debug, Default)]
struct RedirectFollower;

impl Opener for RedirectFollower {
    fn open(&self, url: &Url) -> Result<(), BrowserError> {
        let url = url.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::limited(10))
                    .build()
                    .unwrap();
                let _ = client.get(url).send().await;
            });
        });
        Ok(())
    }
}

struct Quiet;

impl SignInUi for Quiet {
    fn visit(&self, _url: &Url, _opened: bool) {}
    fn device_code(&self, _user_code: &str, _uri: &str) {}
    fn reused_aws_cli_session(&self, _path: &Path) {}
}

struct World {
    emu: Emulator,
    clock: LinkedClock,
    deps: Deps,
    endpoints: Endpoints,
    store: Arc<MemoryStore>,
    tmp: tempfile::TempDir,
}

impl World {
    /// Alex's demo organisation; the launcher's clock `skew_secs` ahead of the emulator's (behind
    /// when negative).
    fn new(skew_secs: i64) -> World {
        let emu = Emulator::start(Options::new(Org::demo()).auto_approve(ALEX)).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let wall = SystemTime::now();
        let ours = if skew_secs >= 0 {
            wall + Duration::from_secs(skew_secs.unsigned_abs())
        } else {
            wall - Duration::from_secs(skew_secs.unsigned_abs())
        };
        let clock = LinkedClock {
            ours: ManualClock::new(ours),
            emulator: emu.clock().clone(),
        };
        let env: BTreeMap<String, String> = emu.env().into_iter().collect();
        let store = Arc::new(MemoryStore::new());
        let deps = Deps {
            clock: Arc::new(clock.clone()),
            http: Http::new(),
            store: store.clone(),
            opener: Arc::new(RedirectFollower),
            dirs: Dirs {
                home: tmp.path().join("home"),
                state: tmp.path().join("state"),
                config: tmp.path().join("config"),
                policy_file: tmp.path().join("policy.toml"),
            },
            env: env.clone(),
        };
        for d in [&deps.dirs.home, &deps.dirs.state, &deps.dirs.config] {
            std::fs::create_dir_all(d).unwrap();
        }
        let endpoints = Endpoints::resolve(Region::parse("us-east-1").unwrap(), &env).unwrap();
        World {
            emu,
            clock,
            deps,
            endpoints,
            store,
            tmp,
        }
    }

    fn start_url(&self) -> StartUrl {
        StartUrl::parse(&self.emu.start_url(), false).unwrap()
    }

    async fn try_sign_in(&self) -> Result<Facts, SignInError> {
        let opts = SignInOptions {
            flow: Flow::Browser,
            wait: Duration::from_secs(20),
            ..SignInOptions::default()
        };
        sign_in(
            &self.deps,
            &self.endpoints,
            &self.start_url(),
            Region::parse("us-east-1").unwrap(),
            &opts,
            &Quiet,
        )
        .await
    }

    async fn sign_in(&self) -> Facts {
        self.try_sign_in().await.unwrap()
    }

    async fn refresh(&self) -> Result<Catalog, DiscoveryError> {
        discovery::refresh(&self.deps, &self.endpoints, &Settings::default(), &|_| {}).await
    }

    fn sessions(&self) -> Sessions {
        Sessions::new(&self.deps)
    }

    fn oidc(&self) -> OidcClient {
        OidcClient::new(Http::new(), self.endpoints.oidc().clone())
    }

    fn token(&self) -> Secret {
        self.sessions().access_token(&self.start_url()).unwrap()
    }

    /// Every keychain entry's name, and the session's and registration's values.
    fn keychain(&self) -> BTreeMap<String, String> {
        let url = self.start_url();
        let mut out: BTreeMap<String, String> = self
            .store
            .entry_names()
            .into_iter()
            .map(|n| (n, String::new()))
            .collect();
        for k in [EntryKey::session(&url), EntryKey::registration(&url)] {
            if let Some(v) = self.store.get(&k).unwrap() {
                out.insert(k.as_str().to_owned(), v.expose().to_owned());
            }
        }
        out
    }

    /// Every file under the temporary folder and its bytes.
    fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        walk(self.tmp.path())
            .into_iter()
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect()
    }

    fn cached(&self) -> Catalog {
        match discovery::cached(&self.deps) {
            CacheRead::Loaded(c) => c,
            other => panic!("no usable cache: {other:?}"),
        }
    }

    async fn portal_status(&self, token: &Secret) -> u16 {
        let url = format!("{}/assignment/accounts", self.emu.urls().portal);
        reqwest::Client::new()
            .get(url)
            .header("x-amz-sso_bearer_token", token.expose())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The catalog minus its fetch time, to compare two discoveries.
fn listing(c: &Catalog) -> (String, Vec<String>) {
    (format!("{:?}", c.entries), c.warnings.clone())
}

#[tokio::test]
async fn the_emulator_restarting_mid_discovery_is_retried_and_discovery_completes() {
    let w = World::new(0);
    w.sign_in().await;
    let first = w.refresh().await.unwrap();
    assert!(!first.entries.is_empty());
    let token = w.token();

    // The portal restarts while it answers ListAccountRoles: that connection is reset, every
    // pooled keep-alive connection dies, the ports close and open again.
    w.emu
        .faults()
        .add("ListAccountRoles:restart:1".parse().unwrap());
    let again = w.refresh().await.unwrap();
    assert_eq!(w.emu.restarts(), 1, "the restart happened mid-discovery");
    assert_eq!(listing(&again), listing(&first));
    assert_eq!(listing(&w.cached()), listing(&first));
    assert_eq!(w.token(), token, "no new sign-in: tokens outlive a restart");
    assert_eq!(w.portal_status(&token).await, 200);
}

#[tokio::test]
async fn the_emulator_going_down_mid_discovery_fails_clearly_and_keeps_catalog_and_session() {
    let w = World::new(0);
    w.sign_in().await;
    let first = w.refresh().await.unwrap();
    let files = w.files();
    let keychain = w.keychain();

    w.emu
        .faults()
        .add("ListAccountRoles:down:1".parse().unwrap());
    let err = w.refresh().await.unwrap_err();
    assert!(!w.emu.is_listening());
    assert!(err.is_retryable(), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("was not refreshed")
            && msg.contains("the list saved before is kept")
            && msg.contains("try again"),
        "{msg}"
    );
    assert!(!msg.contains("aoa") && !msg.contains("aor"), "{msg}");
    assert_eq!(w.files(), files, "no file changed or left half-written");
    assert_eq!(
        w.keychain(),
        keychain,
        "the session and role credentials are kept"
    );
    assert_eq!(listing(&w.cached()), listing(&first));

    // The service comes back on the same ports with its state: the same session carries on.
    w.emu.start_listening().unwrap();
    let again = w.refresh().await.unwrap();
    assert_eq!(listing(&again), listing(&first));
    assert_eq!(
        w.keychain()[EntryKey::session(&w.start_url()).as_str()],
        keychain[EntryKey::session(&w.start_url()).as_str()]
    );
}

#[tokio::test]
async fn sign_in_and_refresh_while_the_emulator_is_down_fail_clearly_and_recover() {
    let w = World::new(0);

    // Sign-in with the service down: a clear error, nothing stored.
    w.emu.stop_listening();
    let err = w.try_sign_in().await.unwrap_err().to_string();
    assert!(
        err.contains("cannot reach") && err.contains("check the network"),
        "{err}"
    );
    assert!(w.keychain().is_empty(), "{:?}", w.keychain());
    assert!(w.sessions().facts().unwrap().is_none());
    w.emu.start_listening().unwrap();
    w.sign_in().await;
    let token = w.token();

    // Down when the token is due for renewal: the still-valid token is used meanwhile.
    w.emu.stop_listening();
    w.clock.advance(Duration::from_secs(55 * 60));
    let (kept, facts) = w
        .sessions()
        .fresh_access_token(&w.deps, &w.oidc())
        .await
        .unwrap();
    assert_eq!(kept, token);
    assert!(facts.refresh_failed_at.is_some());

    // Still down once it has run out: "try again shortly", the session kept for when it returns.
    w.clock.advance(Duration::from_secs(10 * 60));
    let err = w
        .sessions()
        .fresh_access_token(&w.deps, &w.oidc())
        .await
        .unwrap_err();
    assert!(matches!(err, SessionError::RefreshFailed(_)), "{err:?}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("try again shortly"), "{err}");
    assert!(w.sessions().facts().unwrap().is_some());
    assert_eq!(w.token(), token);

    // Back up (same ports, same state): the stored refresh token renews the session.
    w.emu.start_listening().unwrap();
    let (renewed, facts) = w
        .sessions()
        .fresh_access_token(&w.deps, &w.oidc())
        .await
        .unwrap();
    assert_ne!(renewed, token);
    assert!(facts.refresh_failed_at.is_none());
    assert_eq!(w.portal_status(&renewed).await, 200);
}

#[tokio::test]
async fn an_access_token_running_out_mid_discovery_is_renewed_once_and_discovery_completes() {
    let w = World::new(0);
    w.sign_in().await;
    let first = w.refresh().await.unwrap();
    let token = w.token();

    // Mid-discovery the service's clock jumps past the token's expiry (our clock does not: by our
    // record the token is still good, so only the portal's 401 can tell).
    w.emu
        .faults()
        .add("ListAccountRoles:advance=3660:1".parse().unwrap());
    let again = w.refresh().await.unwrap();
    assert_eq!(listing(&again), listing(&first));
    let renewed = w.token();
    assert_ne!(renewed, token, "renewed once");
    assert_eq!(w.portal_status(&renewed).await, 200);
    assert_eq!(w.portal_status(&token).await, 401);

    // The same, but IdC no longer renews the session: "sign in again", the cache kept.
    w.emu.revoke_refresh_tokens(ALEX);
    let files = w.files();
    w.emu
        .faults()
        .add("ListAccountRoles:advance=3660:1".parse().unwrap());
    let err = w.refresh().await.unwrap_err();
    assert!(
        matches!(err, DiscoveryError::Session(SessionError::SignInAgain)),
        "{err:?}"
    );
    assert!(err.to_string().contains("sign in again"), "{err}");
    assert_eq!(listing(&w.cached()), listing(&first));
    let cache = launcher_core::catalog::cache_path(&w.deps.dirs.state);
    assert_eq!(
        w.files()[&cache],
        files[&cache],
        "the cached list is untouched"
    );
}

/// Makes `dir` unwritable, for root too: `chmod 0555` stops other users, and root (which tests
/// run as here, and for which permission bits do not count) is stopped by the immutable attribute
/// (`chattr +i`, which ext4, xfs and btrfs honour for every user). Undone on drop. Panics when
/// neither works, so a test cannot pass without the folder really refusing writes.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn new(dir: &Path) -> ReadOnly {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        let guard = ReadOnly(dir.to_owned());
        if Self::writable(dir) {
            let out = std::process::Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .output();
            assert!(
                !Self::writable(dir),
                "cannot make {} read-only here (chmod does not stop root, and chattr +i failed: {out:?}); run on ext4, xfs or btrfs",
                dir.display()
            );
        }
        guard
    }

    fn writable(dir: &Path) -> bool {
        let probe = dir.join(".write-probe");
        let ok = std::fs::write(&probe, b"x").is_ok();
        let _ = std::fs::remove_file(&probe);
        ok
    }
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

#[tokio::test]
async fn a_read_only_state_folder_fails_clearly_and_loses_nothing() {
    let w = World::new(0);
    w.sign_in().await;
    let first = w.refresh().await.unwrap();
    let files = w.files();
    let keychain = w.keychain();
    let state = w.deps.dirs.state.display().to_string();
    let _ro = ReadOnly::new(&w.deps.dirs.state);

    // Refreshing the list: discovered, but the cache cannot be saved; the old one stays.
    let err = w.refresh().await.unwrap_err().to_string();
    assert!(
        err.contains(&format!("make the folder {state} writable"))
            && err.contains("the list saved before is unchanged"),
        "{err}"
    );
    assert_eq!(w.files(), files, "nothing half-written");
    assert_eq!(listing(&w.cached()), listing(&first));
    assert_eq!(w.keychain(), keychain);

    // Renewing the session: the error names the folder; the session is still usable after.
    w.clock.advance(Duration::from_secs(55 * 60));
    let err = w
        .sessions()
        .fresh_access_token(&w.deps, &w.oidc())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("make the folder {state} writable")),
        "{err}"
    );
    drop(_ro);
    let (token, _) = w
        .sessions()
        .fresh_access_token(&w.deps, &w.oidc())
        .await
        .unwrap();
    assert_eq!(w.portal_status(&token).await, 200, "the session survived");
}

#[tokio::test]
async fn signing_in_with_a_read_only_state_folder_stores_nothing() {
    let w = World::new(0);
    let state = w.deps.dirs.state.display().to_string();
    let _ro = ReadOnly::new(&w.deps.dirs.state);
    let err = w.try_sign_in().await.unwrap_err().to_string();
    assert!(
        err.contains(&format!("make the folder {state} writable")),
        "{err}"
    );
    assert!(
        w.keychain().is_empty(),
        "no secret left in the keychain without the facts to find it: {:?}",
        w.keychain()
    );
    assert!(w.sessions().facts().unwrap().is_none());
    assert!(walk(&w.deps.dirs.state).is_empty());
    drop(_ro);
    w.sign_in().await;
}

#[tokio::test]
async fn a_read_only_config_folder_refuses_to_save_settings_and_keeps_the_file() {
    let w = World::new(0);
    let path = w.deps.dirs.user_settings();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let original = "# mine\nwarning_lead_minutes = [10]\n";
    std::fs::write(&path, original).unwrap();
    let folder = path.parent().unwrap().to_owned();
    let _ro = ReadOnly::new(&folder);
    let change = SettingsChange {
        warning_lead_minutes: Some(vec![15, 5]),
        ..SettingsChange::default()
    };
    let err = settings_file::save(&w.deps, &change)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("make the folder {} writable", folder.display())),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    assert_eq!(walk(&folder), vec![path.clone()], "no temporary file left");
    drop(_ro);
    settings_file::save(&w.deps, &change).unwrap();
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("warning_lead_minutes = [15, 5]"));
}

#[tokio::test]
async fn a_clock_ten_minutes_off_either_way_signs_in_and_discovers_everything() {
    let baseline = World::new(0);
    baseline.sign_in().await;
    let expected = baseline.refresh().await.unwrap();
    assert!(expected.warnings.is_empty(), "{:?}", expected.warnings);

    for skew in [10 * 60, -10 * 60] {
        let w = World::new(skew);
        let facts = w.sign_in().await;
        // Token lifetimes are relative (expiresIn): an hour from our clock, whatever its error.
        let now = launcher_core::session::epoch(w.clock.now());
        assert!(
            (now + 3500..=now + 3600).contains(&facts.access_expires_at),
            "skew {skew}: {} vs {now}",
            facts.access_expires_at
        );
        // SigV4 (Connect ListInstances) corrects for the skew from the refusal's Date, as the SDKs do.
        let found = w.refresh().await.unwrap();
        assert_eq!(listing(&found), listing(&expected), "skew {skew}");
        // And the refresh rule keeps working on our clock.
        w.clock.advance(Duration::from_secs(55 * 60));
        let (token, _) = w
            .sessions()
            .fresh_access_token(&w.deps, &w.oidc())
            .await
            .unwrap();
        assert_eq!(w.portal_status(&token).await, 200, "skew {skew}");
    }
}
