//! Sign-in, refresh and sign-out against the emulator, with the clock moved instead of waited on.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_emulator::{Emulator, Options, Org};
use launcher_core::browser::{BrowserError, Opener};
use launcher_core::clock::{Clock, ManualClock, Wait};
use launcher_core::deps::{Deps, Dirs};
use launcher_core::endpoints::Endpoints;
use launcher_core::http::Http;
use launcher_core::keychain::{EntryKey, MemoryStore, SecretStore};
use launcher_core::oidc::OidcClient;
use launcher_core::region::Region;
use launcher_core::session::{Origin, SessionError, Sessions};
use launcher_core::signin::{sign_in, sign_out, Flow, SignInError, SignInOptions, SignInUi};
use launcher_core::start_url::StartUrl;
use url::Url;

const ALEX: &str = "alex.rivera@example.com";

/// The launcher's clock and the emulator's, moved together; `sleep` moves both.
#[derive(Debug, Clone)]
struct LinkedClock {
    ours: ManualClock,
    emulator: aws_emulator::Clock,
    slept: Arc<Mutex<Vec<Duration>>>,
    /// How much of each sleep the emulator sees (to make the client poll too fast).
    emulator_share: Arc<Mutex<f64>>,
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
        self.slept.lock().unwrap().push(by);
        self.ours.advance(by);
        let share = *self.emulator_share.lock().unwrap();
        self.emulator.advance(by.mul_f64(share));
        Box::pin(std::future::ready(()))
    }
}

/// A browser that follows redirects and nothing else (no cookies, no clicks), and records what it
/// was asked to open.
#[derive(Debug, Default)]
struct RedirectFollower {
    opened: Mutex<Vec<Url>>,
}

impl Opener for RedirectFollower {
    fn open(&self, url: &Url) -> Result<(), BrowserError> {
        self.opened.lock().unwrap().push(url.clone());
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

#[derive(Default)]
struct Recorder {
    codes: Mutex<Vec<String>>,
}

impl SignInUi for Recorder {
    fn visit(&self, _url: &Url, _opened: bool) {}
    fn device_code(&self, user_code: &str, _uri: &str) {
        self.codes.lock().unwrap().push(user_code.to_owned());
    }
    fn reused_aws_cli_session(&self, _path: &std::path::Path) {}
}

struct World {
    emu: Emulator,
    clock: LinkedClock,
    deps: Deps,
    endpoints: Endpoints,
    browser: Arc<RedirectFollower>,
    store: Arc<MemoryStore>,
    _tmp: tempfile::TempDir,
}

impl World {
    fn new(options: Options) -> World {
        let emu = Emulator::start(options).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let clock = LinkedClock {
            ours: ManualClock::new(SystemTime::now()),
            emulator: emu.clock().clone(),
            slept: Arc::default(),
            emulator_share: Arc::new(Mutex::new(1.0)),
        };
        let env: BTreeMap<String, String> = emu.env().into_iter().collect();
        let browser = Arc::new(RedirectFollower::default());
        let store = Arc::new(MemoryStore::new());
        let deps = Deps {
            clock: Arc::new(clock.clone()),
            http: Http::new(),
            store: store.clone(),
            opener: browser.clone(),
            dirs: Dirs {
                home: tmp.path().join("home"),
                state: tmp.path().join("state"),
                config: tmp.path().join("config"),
                policy_file: tmp.path().join("policy.toml"),
            },
            env: env.clone(),
        };
        let endpoints = Endpoints::resolve(Region::parse("us-east-1").unwrap(), &env).unwrap();
        World {
            emu,
            clock,
            deps,
            endpoints,
            browser,
            store,
            _tmp: tmp,
        }
    }

    fn start_url(&self) -> StartUrl {
        StartUrl::parse(&self.emu.start_url(), false).unwrap()
    }

    async fn sign_in(&self, flow: Flow) -> Result<launcher_core::session::Facts, SignInError> {
        let opts = SignInOptions {
            flow,
            wait: Duration::from_secs(20),
            ..SignInOptions::default()
        };
        sign_in(
            &self.deps,
            &self.endpoints,
            &self.start_url(),
            Region::parse("us-east-1").unwrap(),
            &opts,
            &Recorder::default(),
        )
        .await
    }

    fn oidc(&self) -> OidcClient {
        OidcClient::new(Http::new(), self.endpoints.oidc().clone())
    }

    async fn portal_status(&self, token: &str) -> u16 {
        let url = format!("{}/assignment/accounts", self.emu.urls().portal);
        reqwest::Client::new()
            .get(url)
            .header("x-amz-sso_bearer_token", token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

#[tokio::test]
async fn browser_sign_in_with_pkce_stores_the_session() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    let facts = w.sign_in(Flow::Browser).await.unwrap();
    assert_eq!(facts.user.as_deref(), Some(ALEX));
    assert_eq!(facts.origin, Origin::AuthorizationCode);
    assert!(facts.refreshable);
    let opened = w.browser.opened.lock().unwrap().clone();
    assert_eq!(opened.len(), 1);
    let url = &opened[0];
    assert_eq!(url.path(), "/authorize");
    assert!(
        url.as_str()
            .contains("&redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{url}"
    );
    assert!(url
        .as_str()
        .contains("&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge="));

    let sessions = Sessions::new(&w.deps);
    let token = sessions.access_token(&w.start_url()).unwrap();
    assert_eq!(w.portal_status(token.expose()).await, 200);
    let names = w.store.entry_names();
    assert!(
        names.iter().any(|n| n.starts_with("session:"))
            && names.iter().any(|n| n.starts_with("registration:")),
        "{names:?}"
    );
    let facts_file = std::fs::read_to_string(w.deps.dirs.state.join("session.json")).unwrap();
    assert!(
        !facts_file.contains(token.expose()),
        "the facts file holds no token"
    );

    // A second sign-in reuses the registration instead of registering again.
    let reg_before = std::fs::read_to_string(w.deps.dirs.state.join("registration.json")).unwrap();
    w.sign_in(Flow::Browser).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(w.deps.dirs.state.join("registration.json")).unwrap(),
        reg_before
    );
}

#[tokio::test]
async fn an_unapproved_browser_sign_in_times_out_cleanly() {
    let w = World::new(Options::new(Org::demo()));
    // No auto-approval and a browser that cannot click: the listener gives up after its (short)
    // wait with a message that says what to do, and nothing is stored.
    let opts = SignInOptions {
        flow: Flow::Browser,
        wait: Duration::from_millis(300),
        ..SignInOptions::default()
    };
    let err = sign_in(
        &w.deps,
        &w.endpoints,
        &w.start_url(),
        Region::parse("us-east-1").unwrap(),
        &opts,
        &Recorder::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("--device-code") || err.contains("try again"),
        "{err}"
    );
    assert!(
        Sessions::new(&w.deps).facts().unwrap().is_none(),
        "nothing stored"
    );
}

#[tokio::test]
async fn device_flow_honours_interval_and_slow_down() {
    let w = World::new(Options::new(Org::demo()));
    // The emulator sees only half of each wait: the first poll is "too fast".
    *w.clock.emulator_share.lock().unwrap() = 0.5;
    let ui = Arc::new(Recorder::default());
    let approver = {
        let ui = ui.clone();
        let emu_urls = w.emu.urls().clone();
        tokio::spawn(async move {
            loop {
                if let Some(code) = ui.codes.lock().unwrap().first().cloned() {
                    return (code, emu_urls);
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let opts = SignInOptions {
        flow: Flow::DeviceCode,
        print: true,
        ..SignInOptions::default()
    };
    let start = w.start_url();
    let fut = sign_in(
        &w.deps,
        &w.endpoints,
        &start,
        Region::parse("us-east-1").unwrap(),
        &opts,
        ui.as_ref(),
    );
    tokio::pin!(fut);
    // Let it start and poll a few times (pending, then slow_down), then approve.
    let (code, _) = tokio::select! {
        r = approver => r.unwrap(),
        r = &mut fut => panic!("sign-in ended before approval: {r:?}"),
    };
    let approve_after = |w: &World| w.clock.slept.lock().unwrap().len() >= 3;
    loop {
        tokio::select! {
            biased;
            _ = tokio::task::yield_now() => {}
            r = &mut fut => panic!("sign-in ended early: {r:?}"),
        }
        if approve_after(&w) {
            break;
        }
    }
    *w.clock.emulator_share.lock().unwrap() = 1.0;
    assert!(w.emu.approve_device(&code, "sam.chen@example.com"));
    let facts = fut.await.unwrap();
    assert_eq!(facts.origin, Origin::DeviceCode);
    assert_eq!(facts.user.as_deref(), Some("sam.chen@example.com"));
    let slept = w.clock.slept.lock().unwrap().clone();
    assert_eq!(slept[0], Duration::from_secs(1), "the service's interval");
    assert!(
        slept
            .windows(2)
            .any(|p| p[1] == p[0] + Duration::from_secs(5)),
        "slow_down adds 5 s: {slept:?}"
    );
    assert!(
        w.browser.opened.lock().unwrap().is_empty(),
        "--print opens nothing"
    );
}

#[tokio::test]
async fn device_code_expiry_stops_cleanly() {
    let w = World::new(Options::new(Org::demo()));
    let opts = SignInOptions {
        flow: Flow::DeviceCode,
        print: true,
        ..SignInOptions::default()
    };
    let err = sign_in(
        &w.deps,
        &w.endpoints,
        &w.start_url(),
        Region::parse("us-east-1").unwrap(),
        &opts,
        &Recorder::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SignInError::DeviceCodeExpired), "{err}");
    assert!(err.to_string().contains("--device-code"));
}

#[tokio::test]
async fn refresh_is_silent_and_a_revoked_refresh_ends_in_sign_in_again() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    w.sign_in(Flow::Browser).await.unwrap();
    let sessions = Sessions::new(&w.deps);
    let oidc = w.oidc();
    let first = sessions.access_token(&w.start_url()).unwrap();

    // Early on, nothing happens.
    let (same, _) = sessions.fresh_access_token(&w.deps, &oidc).await.unwrap();
    assert_eq!(same, first);

    // Fifty-five minutes on, it renews.
    w.clock.advance(Duration::from_secs(55 * 60));
    let (second, facts) = sessions.fresh_access_token(&w.deps, &oidc).await.unwrap();
    assert_ne!(second, first);
    assert!(facts.access_expires_at > launcher_core::session::epoch(w.clock.now()) + 3000);

    // A failed refresh (the service is down) keeps the still-valid token.
    w.clock.advance(Duration::from_secs(55 * 60));
    w.emu.faults().add("CreateToken:5xx:1".parse().unwrap());
    let (kept, facts) = sessions.fresh_access_token(&w.deps, &oidc).await.unwrap();
    assert_eq!(kept, second);
    assert!(facts.refresh_failed_at.is_some());

    // IdC revokes the refresh token: the valid token is kept, then "sign in again", no browser.
    w.emu.revoke_refresh_tokens(ALEX);
    w.clock.advance(Duration::from_secs(60));
    let (kept, facts) = sessions.fresh_access_token(&w.deps, &oidc).await.unwrap();
    assert_eq!(kept, second);
    assert!(facts.portal_session_ended_at.is_some());
    w.clock.advance(Duration::from_secs(10 * 60));
    let err = sessions
        .fresh_access_token(&w.deps, &oidc)
        .await
        .unwrap_err();
    assert!(matches!(err, SessionError::SignInAgain), "{err}");
    assert!(err.to_string().contains("connect-launcher login"));
    assert_eq!(
        w.browser.opened.lock().unwrap().len(),
        1,
        "refresh never opens a browser"
    );
}

#[tokio::test]
async fn concurrent_refreshes_run_once() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    w.sign_in(Flow::Browser).await.unwrap();
    w.clock.advance(Duration::from_secs(55 * 60));
    let sessions = Sessions::new(&w.deps);
    let oidc = w.oidc();
    let (a, b) = tokio::join!(
        sessions.fresh_access_token(&w.deps, &oidc),
        sessions.fresh_access_token(&w.deps, &oidc)
    );
    // Refresh tokens rotate: had both refreshed, the second would have been refused.
    assert_eq!(a.unwrap().0, b.unwrap().0);
    assert!(Sessions::new(&w.deps)
        .facts()
        .unwrap()
        .unwrap()
        .portal_session_ended_at
        .is_none());
}

#[tokio::test]
async fn takes_over_a_valid_aws_cli_session_and_exports_when_asked() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    let opts = SignInOptions {
        export_aws_cli_cache: true,
        wait: Duration::from_secs(20),
        ..SignInOptions::default()
    };
    let region = Region::parse("us-east-1").unwrap();
    let facts = sign_in(
        &w.deps,
        &w.endpoints,
        &w.start_url(),
        region,
        &opts,
        &Recorder::default(),
    )
    .await
    .unwrap();
    let path = facts.exported_cli_cache.clone().unwrap();
    // sha1("https://d-9067c2d5a1.awsapps.com/start"), as the AWS CLI names it.
    assert_eq!(
        path.file_name().unwrap(),
        "c9061b9be0cf3d8f99a3f2e7b51eee46123c0041.json"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with(&format!(
            "{{\"startUrl\": \"{}\", \"region\": \"us-east-1\", \"accessToken\": \"aoa",
            w.emu.start_url()
        )),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    // Our session gone, the AWS CLI's file still there: the next sign-in uses it, no browser.
    Sessions::new(&w.deps)
        .forget(&w.start_url(), false)
        .unwrap();
    let opened_before = w.browser.opened.lock().unwrap().len();
    let facts = w.sign_in(Flow::Browser).await.unwrap();
    assert_eq!(facts.origin, Origin::AwsCliCache);
    assert_eq!(w.browser.opened.lock().unwrap().len(), opened_before);
    let token = Sessions::new(&w.deps).access_token(&w.start_url()).unwrap();
    assert_eq!(w.portal_status(token.expose()).await, 200);
}

#[tokio::test]
async fn sign_out_ends_the_portal_session_and_forgets_everything() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    let opts = SignInOptions {
        export_aws_cli_cache: true,
        wait: Duration::from_secs(20),
        ..SignInOptions::default()
    };
    let facts = sign_in(
        &w.deps,
        &w.endpoints,
        &w.start_url(),
        Region::parse("us-east-1").unwrap(),
        &opts,
        &Recorder::default(),
    )
    .await
    .unwrap();
    let token = Sessions::new(&w.deps).access_token(&w.start_url()).unwrap();
    sign_out(&w.deps, &w.endpoints, true).await.unwrap();
    assert_eq!(
        w.portal_status(token.expose()).await,
        401,
        "the portal session is over"
    );
    assert!(
        !facts.exported_cli_cache.unwrap().exists(),
        "the exported AWS CLI file is removed"
    );
    assert!(
        w.store.entry_names().is_empty(),
        "{:?}",
        w.store.entry_names()
    );
    assert!(w
        .store
        .get(&EntryKey::session(&w.start_url()))
        .unwrap()
        .is_none());
    assert!(Sessions::new(&w.deps).facts().unwrap().is_none());
}

#[tokio::test]
async fn a_locked_keychain_stores_nothing_in_plain_text() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    w.store.set_locked(true);
    let err = w.sign_in(Flow::Browser).await.unwrap_err().to_string();
    assert!(err.contains("unlock"), "{err}");
    assert!(Sessions::new(&w.deps).facts().unwrap().is_none());
    let leftovers: Vec<_> = walk(w._tmp.path());
    for f in leftovers {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(
            !text.contains("aoa") && !text.contains("aor"),
            "{} holds a token",
            f.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
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
