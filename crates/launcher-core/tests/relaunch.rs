//! Re-launch against the emulator, which models Connect's documented 12 h: signing in again while
//! the browser holds the session keeps it (and its end); only Connect's `/logout` followed by a new
//! federation starts a fresh 12 h. A browser that records what it was asked to open (and when, on
//! the test's clock) is then followed, in that order, by a cookie-keeping client.
//!
//! Proven here: a plain second launch within the 12 h keeps the old end, in Connect and on the
//! launcher's clock; a re-launch seven hours in opens the logout page, waits
//! [`launch::RELAUNCH_LOGOUT_WAIT`] on the injected clock, then opens the fresh federation, and the
//! instance's page then shows 12 h from the re-launch, as the launcher's clock does; an instance
//! whose alias is unknown is refused with what to do, and nothing is opened.

mod emulated_org;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use emulated_org::*;
use launcher_core::browser::{BrowserError, Opener};
use launcher_core::catalog::{CatalogEntry, LaunchMethod, Source};
use launcher_core::clock::{Clock, ManualClock};
use launcher_core::clocks::{self, DeadlineKind, CONNECT_SESSION};
use launcher_core::connect::DomainForm;
use launcher_core::deps::{Deps, Dirs};
use launcher_core::keychain::MemoryStore;
use launcher_core::launch::{self, LaunchError, LaunchRequest, Via, RELAUNCH_LOGOUT_WAIT};
use launcher_core::secret::Secret;
use launcher_core::session::epoch;
use launcher_core::start_url::StartUrl;
use url::Url;

const SEVEN_HOURS: Duration = Duration::from_secs(7 * 3600);

/// Remembers what it was asked to open, and when on the test's clock.
#[derive(Debug)]
struct Recorder {
    clock: ManualClock,
    opened: Mutex<Vec<(Url, SystemTime)>>,
}

impl Opener for Recorder {
    fn open(&self, url: &Url) -> Result<(), BrowserError> {
        self.opened
            .lock()
            .unwrap()
            .push((url.clone(), self.clock.now()));
        Ok(())
    }
}

impl Recorder {
    fn take(&self) -> Vec<(Url, SystemTime)> {
        std::mem::take(&mut *self.opened.lock().unwrap())
    }
}

/// One agent's shift: the emulator, the launcher's bundle on the test's clock, a recording
/// browser, and the cookie-keeping browser that follows what was opened.
struct Shift {
    w: World,
    deps: Deps,
    opened: Arc<Recorder>,
    browser: Browser,
    start_url: StartUrl,
    _dir: tempfile::TempDir,
}

impl Shift {
    fn new() -> Shift {
        let w = World::new(northwind());
        let dir = tempfile::tempdir().unwrap();
        let opened = Arc::new(Recorder {
            clock: w.clock.clone(),
            opened: Mutex::default(),
        });
        let deps = deps(&w, dir.path(), opened.clone());
        let start_url = StartUrl::parse(&w.emu.start_url(), false).unwrap();
        Shift {
            w,
            deps,
            opened,
            browser: Browser::default(),
            start_url,
            _dir: dir,
        }
    }

    /// Moves both clocks on (the emulator's and the launcher's).
    fn later(&self, by: Duration) {
        self.w.emu.clock().advance(by);
        self.w.clock.advance(by);
    }

    /// A fresh access token (the app renews its own; an hour-old one has run out).
    async fn token(&self) -> Secret {
        self.w.sign_in(RILEY).await
    }

    /// What the launcher's clocks say about `instance`'s Connect session.
    fn connect_ends(&self, instance: &str) -> Vec<u64> {
        let launches = launcher_core::launches::load(&self.deps.dirs.state);
        clocks::deadlines(None, None, &[], &launches, None)
            .into_iter()
            .filter(|d| matches!(&d.kind, DeadlineKind::ConnectSession { instance_id, .. } if instance_id == instance))
            .map(|d| d.ends_at)
            .collect()
    }

    /// Follows `url` in the browser to the page it lands on.
    async fn follow(&mut self, url: &Url) -> Landed {
        let landed = self.browser.open(&self.w.http, url).await;
        assert_eq!(landed.status, 200, "{}", landed.body);
        landed
    }

    /// Follows a sign-in and checks that it started a new Connect session: its end is 12 h from
    /// when the emulator signed the browser in (its clock also runs with the wall clock, so the
    /// moment is known to within the request).
    async fn follow_to_a_new_session(&mut self, url: &Url) -> Landed {
        let before = epoch(self.w.emu.clock().now());
        let landed = self.follow(url).await;
        let after = epoch(self.w.emu.clock().now());
        let ends = landed.text_of("session-ends").expect("the session's end");
        let twelve = CONNECT_SESSION.as_secs();
        assert!(
            iso(before + twelve) <= ends && ends <= iso(after + twelve),
            "a new session ends 12 h from its sign-in ({}), not at {ends}",
            iso(before + twelve)
        );
        landed
    }
}

fn deps(w: &World, dir: &Path, opener: Arc<Recorder>) -> Deps {
    Deps {
        clock: Arc::new(w.clock.clone()),
        http: w.http.clone(),
        store: Arc::new(MemoryStore::new()),
        opener,
        dirs: Dirs {
            home: dir.join("home"),
            state: dir.join("state"),
            config: dir.join("config"),
            policy_file: dir.join("policy.toml"),
        },
        env: BTreeMap::new(),
    }
}

fn nw_staging() -> CatalogEntry {
    CatalogEntry {
        instance_id: NW_STAGING.into(),
        alias: Some("nw-staging".into()),
        region: "us-east-1".into(),
        account_id: Some("210000000001".into()),
        account_name: None,
        domain: DomainForm::New,
        launch_methods: vec![LaunchMethod::PermissionSet {
            account_id: "210000000001".into(),
            role_name: "ConnectAgent".into(),
        }],
        sources: vec![Source::PermissionSet],
    }
}

fn iso(secs: u64) -> String {
    aws_emulator::clock::iso8601(UNIX_EPOCH + Duration::from_secs(secs))
}

/// Launches staging the ordinary way and follows the URL; returns the launch time (on the
/// launcher's clock) and the page it landed on.
async fn launch_staging(s: &mut Shift) -> (u64, Landed) {
    let staging = nw_staging();
    let at = epoch(s.w.clock.now());
    let token = s.token().await;
    let prepared = launch::prepare(
        &s.deps,
        &s.w.endpoints,
        &s.start_url,
        &token,
        &staging,
        &LaunchRequest::default(),
    )
    .await
    .unwrap();
    launch::open(&s.deps, &staging, &prepared, false).unwrap();
    let opened = s.opened.take();
    assert_eq!(opened.len(), 1, "a launch opens one URL: {opened:?}");
    let landed = s.follow(&opened[0].0).await;
    assert_eq!(landed.text_of("instance-id").as_deref(), Some(NW_STAGING));
    (at, landed)
}

#[tokio::test]
async fn a_launch_opened_later_than_it_was_prepared_is_recorded_when_opened() {
    // The record is staged while the launch is prepared; a clock that moved on by the time the
    // launch opens (the desktop may show it first) records the moment it opened, as before.
    let s = Shift::new();
    let staging = nw_staging();
    let token = s.token().await;
    let prepared = launch::prepare(
        &s.deps,
        &s.w.endpoints,
        &s.start_url,
        &token,
        &staging,
        &LaunchRequest::default(),
    )
    .await
    .unwrap();
    s.later(Duration::from_secs(30));
    let opened_at = epoch(s.w.clock.now());
    launch::open(&s.deps, &staging, &prepared, false).unwrap();
    assert_eq!(
        s.connect_ends(NW_STAGING),
        [opened_at + CONNECT_SESSION.as_secs()]
    );
    assert_eq!(
        std::fs::read_dir(&s.deps.dirs.state)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|f| f.file_name().to_string_lossy().starts_with(".tmp"))
            .count(),
        0,
        "the unused staged record leaves no temp file"
    );
}

#[tokio::test]
async fn signing_in_again_within_the_12_hours_keeps_the_old_end() {
    let mut s = Shift::new();
    let (first_at, first) = launch_staging(&mut s).await;
    let first_ends = first.text_of("session-ends").expect("the session's end");
    let first_cookie = s.browser.cookie("connect_session_nw-staging");
    assert!(first_cookie.is_some(), "a Connect session");
    assert_eq!(
        s.connect_ends(NW_STAGING),
        [first_at + CONNECT_SESSION.as_secs()]
    );

    // Seven hours on, the agent launches again (not a re-launch) in the same browser.
    s.later(SEVEN_HOURS);
    launch_staging(&mut s).await;
    let page = s
        .follow(
            &Url::parse(
                &s.w.emu
                    .urls()
                    .web_url("nw-staging.my.connect.aws", "/ccp-v2"),
            )
            .unwrap(),
        )
        .await;
    assert_eq!(
        page.text_of("session-ends"),
        Some(first_ends),
        "Connect keeps the session it has: signing in again does not move its 12 h"
    );
    assert_eq!(
        s.browser.cookie("connect_session_nw-staging"),
        first_cookie,
        "the same Connect session"
    );
    assert_eq!(
        s.connect_ends(NW_STAGING),
        [first_at + CONNECT_SESSION.as_secs()],
        "the launcher's clock does not promise a fresh 12 h either"
    );
}

#[tokio::test]
async fn a_relaunch_logs_out_of_connect_first_and_restarts_the_12_hours() {
    let mut s = Shift::new();
    let (first_at, _) = launch_staging(&mut s).await;
    let first_cookie = s.browser.cookie("connect_session_nw-staging");

    s.later(SEVEN_HOURS);
    let asked_at = s.w.clock.now();
    let token = s.token().await;
    let staging = nw_staging();
    let again = launch::relaunch(
        &s.deps,
        &s.w.endpoints,
        &s.start_url,
        &token,
        &staging,
        &LaunchRequest::default(),
    )
    .await
    .unwrap();
    assert_eq!(again.via, Via::PermissionSet);

    // Connect's logout page first, then (after the wait, on the injected clock) the sign-in.
    let opened = s.opened.take();
    assert_eq!(opened.len(), 2, "{opened:?}");
    let (logout, logout_at) = &opened[0];
    let (sign_in, sign_in_at) = &opened[1];
    assert_eq!(
        logout.as_str(),
        s.w.emu
            .urls()
            .web_url("nw-staging.my.connect.aws", "/logout"),
        "Connect's logout page is opened first"
    );
    assert_eq!(*logout_at, asked_at, "no wait before the logout");
    assert_eq!(
        sign_in_at.duration_since(*logout_at).unwrap(),
        RELAUNCH_LOGOUT_WAIT,
        "the sign-in waits for the logout to be sent"
    );
    assert!(
        sign_in.as_str().starts_with(&format!(
            "{}/signin.aws.amazon.com/oauth?Action=logout&redirect_uri=",
            s.w.emu.urls().web
        )),
        "a fresh federation behind the console's sign-out: {}",
        &sign_in.as_str()[..80]
    );

    // The browser loads them in that order.
    let out = s.follow(logout).await;
    assert!(out.has_id("logged-out"), "{}", out.body);
    s.w.emu.clock().advance(RELAUNCH_LOGOUT_WAIT);
    // A new Connect session whose 12 h run from the re-launch.
    let landed = s.follow_to_a_new_session(sign_in).await;
    assert_eq!(landed.text_of("instance-id").as_deref(), Some(NW_STAGING));
    let relaunched_at = epoch(*sign_in_at);
    assert_eq!(
        relaunched_at,
        first_at + SEVEN_HOURS.as_secs() + RELAUNCH_LOGOUT_WAIT.as_secs()
    );
    assert_ne!(
        s.browser.cookie("connect_session_nw-staging"),
        first_cookie,
        "a new Connect session"
    );
    assert_eq!(
        s.connect_ends(NW_STAGING),
        [relaunched_at + CONNECT_SESSION.as_secs()],
        "the launcher's clock counts from the re-launch"
    );
}

#[tokio::test]
async fn a_relaunch_without_a_known_address_says_what_to_do_and_opens_nothing() {
    let s = Shift::new();
    let token = s.token().await;
    let saml_only = CatalogEntry {
        alias: None,
        launch_methods: vec![LaunchMethod::SamlApplication {
            app_instance_id: "ins-aaaa000000000001".into(),
            name: "Amazon Connect - nw-prod".into(),
            relay_state: String::new(),
        }],
        sources: vec![Source::SamlApplication],
        ..nw_staging()
    };
    let e = launch::relaunch(
        &s.deps,
        &s.w.endpoints,
        &s.start_url,
        &token,
        &saml_only,
        &LaunchRequest::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, LaunchError::NoLogoutAddress { .. }), "{e:?}");
    let said = e.to_string();
    for part in [
        "Amazon Connect - nw-prod cannot be re-launched",
        "log out in the CCP",
        "ask IT to pin it",
        &format!("[instances.{NW_STAGING}]"),
    ] {
        assert!(said.contains(part), "{said}");
    }
    assert!(s.opened.take().is_empty(), "nothing was opened");
    assert_eq!(
        s.connect_ends(NW_STAGING),
        Vec::<u64>::new(),
        "nor recorded"
    );
}
