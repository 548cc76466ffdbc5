//! The doctor against the emulator, healthy and with one fault at a time: an unresolvable host, a
//! closed port, a locked keychain, a skewed clock, a broken policy, a missing browser.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_emulator::{Emulator, Options, Org};
use launcher_core::browser::SystemBrowser;
use launcher_core::catalog::{self, Catalog, CatalogEntry, LaunchMethod, Source};
use launcher_core::clock::{Clock, ManualClock};
use launcher_core::connect::DomainForm;
use launcher_core::deps::{Deps, Dirs};
use launcher_core::doctor::{self, Check, CheckId, Report, Status};
use launcher_core::endpoints::{CONNECT_ENDPOINT_ENV, OIDC_ENDPOINT_ENV};
use launcher_core::http::Http;
use launcher_core::keychain::MemoryStore;
use launcher_core::launches::{self, Launch};
use launcher_core::session::{epoch, Facts, Origin, Sessions};

const ACME_PROD: &str = "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11";
const ACME_EMEA: &str = "b7f2e9a4-3c1d-4e8f-a6b5-9d0c2e4f6a88";
const ACME_STAGING: &str = "0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66";
const HOUR: u64 = 3600;

/// An emulator, a clock standing at the emulator's time, a memory keychain, temporary folders, a
/// signed-in session's facts, a saved catalog of two instances and one launch of a third.
struct World {
    emu: Emulator,
    clock: ManualClock,
    store: Arc<MemoryStore>,
    tmp: tempfile::TempDir,
    env: BTreeMap<String, String>,
}

impl World {
    fn new() -> World {
        let emu = Emulator::start(Options::new(Org::demo())).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let browser = tmp.path().join("browser.sh");
        std::fs::write(&browser, "#!/bin/sh\nexit 0\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let mut env = emu.env();
        env.insert("BROWSER".into(), browser.display().to_string());
        let w = World {
            clock: ManualClock::new(emu.clock().now()),
            emu,
            store: Arc::new(MemoryStore::new()),
            tmp,
            env,
        };
        std::fs::write(
            w.tmp.path().join("policy.toml"),
            format!(
                "start_url = \"{}\"\nregion = \"us-east-1\"\nportal_session_hours = 8\n",
                w.emu.start_url()
            ),
        )
        .unwrap();
        w
    }

    fn deps(&self) -> Deps {
        Deps {
            clock: Arc::new(self.clock.clone()),
            http: Http::new(),
            store: self.store.clone(),
            opener: Arc::new(SystemBrowser::default()),
            dirs: Dirs {
                home: self.tmp.path().join("home"),
                state: self.tmp.path().join("state"),
                config: self.tmp.path().join("config"),
                policy_file: self.tmp.path().join("policy.toml"),
            },
            env: self.env.clone(),
        }
    }

    fn now(&self) -> u64 {
        epoch(self.clock.now())
    }

    /// Signed in an hour ago, with a launch of acme-staging and a saved catalog.
    fn signed_in(self) -> World {
        let deps = self.deps();
        let now = self.now();
        Sessions::new(&deps)
            .save_facts(&Facts {
                start_url: self.emu.start_url(),
                region: "us-east-1".into(),
                user: Some("alex.rivera@example.com".into()),
                origin: Origin::AuthorizationCode,
                signed_in_at: now - HOUR,
                access_expires_at: now + HOUR / 2,
                refreshable: true,
                refresh_failed_at: None,
                portal_session_ended_at: None,
                exported_cli_cache: None,
            })
            .unwrap();
        launches::record(
            &deps.dirs.state,
            Launch {
                instance_id: ACME_STAGING.into(),
                alias: Some("acme-staging".into()),
                region: "us-east-1".into(),
                destination: "ccp".into(),
                launched_at: now - HOUR,
            },
        )
        .unwrap();
        let entry = |id: &str, alias: &str, region: &str, domain| CatalogEntry {
            instance_id: id.into(),
            alias: Some(alias.into()),
            region: region.into(),
            account_id: Some("111122223333".into()),
            account_name: None,
            domain,
            launch_methods: vec![LaunchMethod::PermissionSet {
                account_id: "111122223333".into(),
                role_name: "ConnectAgent".into(),
            }],
            sources: vec![Source::PermissionSet],
        };
        catalog::write_cache(
            &catalog::cache_path(&deps.dirs.state),
            &Catalog {
                entries: vec![
                    entry(ACME_PROD, "acme-prod", "us-east-1", DomainForm::New),
                    entry(ACME_EMEA, "acme-emea", "eu-west-2", DomainForm::Legacy),
                ],
                warnings: Vec::new(),
                fetched_at: self.clock.now(),
            },
        )
        .unwrap();
        self
    }

    async fn run(&self) -> Report {
        doctor::run(&self.deps()).await
    }
}

fn check(report: &Report, id: CheckId) -> &Check {
    report
        .check(id)
        .unwrap_or_else(|| panic!("{id} in {report:?}"))
}

fn statuses(report: &Report) -> Vec<(&'static str, Status)> {
    report
        .checks
        .iter()
        .map(|c| (c.id.as_str(), c.status))
        .collect()
}

#[tokio::test]
async fn a_healthy_computer_passes_every_check() {
    let w = World::new().signed_in();
    let report = w.run().await;
    assert_eq!(
        statuses(&report),
        [
            ("policy", Status::Pass),
            ("keychain", Status::Pass),
            ("session", Status::Pass),
            ("clock-skew", Status::Pass),
            ("network", Status::Pass),
            ("browser", Status::Pass),
            ("endpoint-test", Status::Pass),
        ],
        "{report:#?}"
    );
    assert!(!report.has_failures());
    assert!(
        w.store.entry_names().is_empty(),
        "the keychain probe cleans up: {:?}",
        w.store.entry_names()
    );

    assert_eq!(
        check(&report, CheckId::Policy).summary,
        format!(
            "the settings resolve: the managed policy {} applies; start URL {} in us-east-1",
            w.tmp.path().join("policy.toml").display(),
            w.emu.start_url()
        )
    );
    assert_eq!(
        check(&report, CheckId::Session).summary,
        format!(
            "signed in as alex.rivera@example.com to {} (us-east-1); portal session 7 h 0 min \
             left; access token renews itself (30 min left); Connect on acme-staging 11 h 0 min \
             left",
            w.emu.start_url()
        )
    );
    assert_eq!(
        check(&report, CheckId::Network).summary,
        "DNS and TCP work for 11 hosts (all emulated on this computer): \
         oidc.us-east-1.amazonaws.com, portal.sso.us-east-1.amazonaws.com, \
         connect.us-east-1.amazonaws.com, signin.aws.amazon.com, \
         us-east-1.console.aws.amazon.com, connect.eu-west-2.amazonaws.com, \
         eu-west-2.signin.aws.amazon.com, eu-west-2.console.aws.amazon.com, \
         acme-prod.my.connect.aws, acme-emea.awsapps.com, acme-staging.my.connect.aws"
    );
    let skew = check(&report, CheckId::ClockSkew);
    assert!(
        skew.summary.starts_with(
            "this computer's clock agrees with portal.sso.us-east-1.amazonaws.com to within "
        ) && skew
            .summary
            .ends_with(&format!(" s (emulated at {})", w.emu.urls().portal)),
        "{skew:?}"
    );
    assert_eq!(
        check(&report, CheckId::Browser).summary,
        format!(
            "the browser is `{0}` (from $BROWSER), found at {0}",
            w.env["BROWSER"]
        )
    );
    // The most recent launch is the instance the utility is filled in with.
    assert_eq!(
        report.endpoint_test_url.as_str(),
        "https://www.connect-tools.net/endpoint-test/?connectInstanceUrl=https%3A%2F%2Facme-staging.my.connect.aws"
    );
    assert!(check(&report, CheckId::EndpointTest)
        .summary
        .ends_with(report.endpoint_test_url.as_str()));
}

#[tokio::test]
async fn an_unresolvable_host_fails_by_name() {
    let mut w = World::new().signed_in();
    w.env.insert(
        OIDC_ENDPOINT_ENV.into(),
        "https://doctor-test.invalid:1".into(),
    );
    let report = w.run().await;
    let network = check(&report, CheckId::Network);
    assert_eq!(network.status, Status::Fail, "{report:#?}");
    assert!(
        network.summary.starts_with(
            "1 of 11 hosts cannot be reached: oidc.us-east-1.amazonaws.com (at \
             doctor-test.invalid:1, set by AWS_ENDPOINT_URL_SSO_OIDC), IAM Identity Center \
             sign-in: cannot resolve doctor-test.invalid ("
        ),
        "{network:?}"
    );
    let fix = network.fix.as_deref().unwrap();
    assert!(fix.starts_with("allow DNS and TCP 443 out"), "{fix}");
    assert!(fix.ends_with("check AWS_ENDPOINT_URL_SSO_OIDC, which points elsewhere"));
    assert!(report.has_failures());
    // The clock is still checked, against the portal.
    assert_eq!(check(&report, CheckId::ClockSkew).status, Status::Pass);
}

#[tokio::test]
async fn a_closed_port_fails_naming_the_host() {
    let mut w = World::new().signed_in();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    w.env.insert(
        CONNECT_ENDPOINT_ENV.into(),
        format!("http://127.0.0.1:{port}"),
    );
    let report = w.run().await;
    let network = check(&report, CheckId::Network);
    assert_eq!(network.status, Status::Fail, "{report:#?}");
    assert!(
        network.summary.starts_with(&format!(
            "2 of 11 hosts cannot be reached: connect.us-east-1.amazonaws.com (emulated at \
             127.0.0.1:{port}), the Amazon Connect API in us-east-1: 127.0.0.1:{port} refused \
             the connection ("
        )),
        "{network:?}"
    );
    assert!(
        network.summary.contains(&format!(
            "; connect.eu-west-2.amazonaws.com (emulated at 127.0.0.1:{port}), the Amazon \
             Connect API in eu-west-2: 127.0.0.1:{port} refused the connection ("
        )),
        "{network:?}"
    );
    assert!(network.fix.as_deref().unwrap().contains("allow-lists"));
}

#[tokio::test]
async fn a_locked_keychain_fails_with_how_to_unlock_it() {
    let w = World::new().signed_in();
    w.store.set_locked(true);
    let report = w.run().await;
    let keychain = check(&report, CheckId::Keychain);
    assert_eq!(
        keychain,
        &Check {
            id: CheckId::Keychain,
            status: Status::Fail,
            summary: "the keychain is locked (the in-memory store is locked) and refused writing \
                      a test entry"
                .into(),
            fix: Some(
                "unlock your login keyring (on a Mac, the login keychain), then run \
                 `connect-launcher doctor` again"
                    .into()
            ),
        }
    );
    assert!(report.has_failures());
    // Reading the session's facts does not need the keychain.
    assert_eq!(check(&report, CheckId::Session).status, Status::Pass);
}

#[tokio::test]
async fn a_clock_ten_minutes_off_fails_and_two_minutes_off_warns() {
    let w = World::new().signed_in();
    w.emu.clock().advance(Duration::from_secs(10 * 60));
    let report = w.run().await;
    let skew = check(&report, CheckId::ClockSkew);
    assert_eq!(skew.status, Status::Fail, "{skew:?}");
    assert_eq!(
        skew.summary,
        format!(
            "this computer's clock is 10 minutes slow against portal.sso.us-east-1.amazonaws.com \
             (emulated at {}); sign-in and Connect refuse requests when it is off by more than 5 \
             minutes",
            w.emu.urls().portal
        )
    );
    assert!(skew
        .fix
        .as_deref()
        .unwrap()
        .starts_with("turn on automatic time"));
    assert!(report.has_failures());

    let w = World::new().signed_in();
    w.emu.clock().advance(Duration::from_secs(2 * 60));
    let report = w.run().await;
    let skew = check(&report, CheckId::ClockSkew);
    assert_eq!(skew.status, Status::Warn, "{skew:?}");
    assert!(skew.summary.contains("is 2 minutes slow"), "{skew:?}");
    assert!(!report.has_failures(), "{report:#?}");

    // Fast, the other way round.
    let w = World::new().signed_in();
    w.clock.advance(Duration::from_secs(7 * 60));
    let report = w.run().await;
    let skew = check(&report, CheckId::ClockSkew);
    assert_eq!(skew.status, Status::Fail, "{skew:?}");
    assert!(skew.summary.contains("is 7 minutes fast"), "{skew:?}");
}

#[tokio::test]
async fn a_broken_policy_fails_naming_file_line_and_column() {
    let w = World::new();
    let policy = w.tmp.path().join("policy.toml");
    std::fs::write(
        &policy,
        "region = \"us-east-1\"\nwarning_lead_minutes = \"soon\"\n",
    )
    .unwrap();
    let report = w.run().await;
    let c = check(&report, CheckId::Policy);
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(
        c.summary.contains(&format!(
            "the managed policy at {} (line 2, column 24)",
            policy.display()
        )),
        "{c:?}"
    );
    assert!(report.has_failures());
    // Not signed in, and the rest still runs.
    assert_eq!(check(&report, CheckId::Session).status, Status::Warn);
    assert_eq!(report.checks.len(), CheckId::ALL.len());
}

#[tokio::test]
async fn a_missing_browser_fails_with_the_way_out() {
    let mut w = World::new().signed_in();
    let empty = w.tmp.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    w.env.insert(
        "BROWSER".into(),
        "doctor-no-such-browser --new-window".into(),
    );
    w.env.insert("PATH".into(), empty.display().to_string());
    let report = w.run().await;
    let c = check(&report, CheckId::Browser);
    assert_eq!(
        c,
        &Check {
            id: CheckId::Browser,
            status: Status::Fail,
            summary: "no browser found: `doctor-no-such-browser` (from $BROWSER) is not installed \
                      or not on PATH"
                .into(),
            fix: Some(
                "set $BROWSER or the `browser` setting to an installed browser (e.g. `firefox`), \
                 or use --print to get the address and open it yourself"
                    .into()
            ),
        }
    );
}
