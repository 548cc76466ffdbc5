//! The per-instance settings end to end against the emulator: instances IT pins in a policy (a
//! TOML string, resolved by `config::resolve`) reach the catalog through `discovery::options`;
//! a launch takes the VDI platform, `new_domain` and the instance's own destination from the
//! settings (its URL compared whole, but for the random sign-in token) and lands on that page;
//! `switch_console_session` signs out of the earlier instance's console session first. (Re-launch
//! is proven in `relaunch.rs`.)

mod emulated_org;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use emulated_org::*;
use launcher_core::browser::{BrowserError, Opener};
use launcher_core::catalog::{discover, CatalogEntry, LaunchMethod, PinnedVia, Progress, Source};
use launcher_core::config::{resolve, Layers, Resolved, SourceFile};
use launcher_core::connect::DomainForm;
use launcher_core::deps::{Deps, Dirs};
use launcher_core::keychain::MemoryStore;
use launcher_core::launch::{self, LaunchRequest, Via};
use launcher_core::secret::Secret;
use launcher_core::start_url::StartUrl;
use url::Url;

const POLICY_PATH: &str = "/etc/connect-launcher/policy.toml";
const USER_PATH: &str = "/home/riley/.config/connect-launcher/settings.toml";

/// IT narrows discovery to the contact-centre accounts and pins three instances: nw-prod through
/// its SAML application, nw-gov (in an account discovery no longer looks at) and nw-pinned (whose
/// role does not match the Connect role patterns) through permission sets.
const NORTHWIND_POLICY: &str = r#"
connect_regions = ["us-east-1", "eu-west-2"]
accounts = ["NW Contact Centre *", "210000000004"]
locked = ["accounts"]

[instances.11111111-1111-4111-8111-000000000001]
pin = true
region = "us-east-1"
saml_application = "ins-aaaa000000000001"
saml_application_name = "Amazon Connect - nw-prod"
destination = "ccp"

[instances.11111111-1111-4111-8111-000000000003]
pin = true
region = "us-gov-west-1"
alias = "nw-gov"
account_id = "210000000003"
role_name = "ConnectSupervisor"

[instances.22222222-2222-4222-8222-000000000009]
pin = true
region = "eu-central-1"
account_id = "210000000004"
role_name = "ReadOnlyAccess"
destination = "agent-workspace"
"#;

fn settings(policy: &str, user: &str) -> Resolved {
    let file = |path: &str, text: &str| {
        Some(SourceFile {
            path: path.into(),
            text: text.to_owned(),
        })
    };
    resolve(&Layers {
        policy: file(POLICY_PATH, policy),
        user: file(USER_PATH, user),
        ..Layers::default()
    })
    .expect("the settings resolve")
}

fn no_progress(_: Progress) {}

fn perm(account: &str, role: &str) -> LaunchMethod {
    LaunchMethod::PermissionSet {
        account_id: account.into(),
        role_name: role.into(),
    }
}

fn pinned(via: PinnedVia, default_destination: Option<&str>) -> LaunchMethod {
    LaunchMethod::Pinned {
        via,
        default_destination: default_destination.map(Into::into),
    }
}

fn entry(
    id: &str,
    alias: &str,
    region: &str,
    account: &str,
    domain: DomainForm,
    launch_methods: Vec<LaunchMethod>,
    sources: Vec<Source>,
) -> CatalogEntry {
    CatalogEntry {
        instance_id: id.into(),
        alias: Some(alias.into()),
        region: region.into(),
        account_id: Some(account.into()),
        account_name: None,
        domain,
        launch_methods,
        sources,
    }
}

#[tokio::test]
async fn instances_pinned_in_the_policy_appear_in_the_catalog() {
    let w = World::new(northwind());
    let token = w.sign_in(RILEY).await;
    let resolved = settings(NORTHWIND_POLICY, "");
    let options = launcher_core::discovery::options(&resolved.settings, region("us-east-1"));
    assert_eq!(options.accounts, ["NW Contact Centre *", "210000000004"]);
    assert_eq!(options.pinned, resolved.settings.pinned());
    assert_eq!(options.pinned.len(), 3);
    let d = discover(
        &w.portal(),
        &w.connect(),
        &w.clock,
        &token,
        &options,
        &no_progress,
    )
    .await
    .unwrap();
    let relay = |id: &str| {
        northwind()
            .saml_applications
            .iter()
            .find(|a| a.id == id)
            .unwrap()
            .relay_state
            .clone()
    };
    // Every account is named as ListAccounts names it, also one discovery no longer looks at.
    let names: Vec<Option<&str>> = d
        .catalog
        .entries
        .iter()
        .map(|e| e.account_name.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            Some("NW GovCloud"),
            Some("NW Contact Centre EU"),
            Some("NW Sandbox"),
            Some("NW Contact Centre Prod"),
            Some("NW Contact Centre Prod"),
        ]
    );
    let unnamed: Vec<CatalogEntry> = d
        .catalog
        .entries
        .iter()
        .map(|e| CatalogEntry {
            account_name: None,
            ..e.clone()
        })
        .collect();
    assert_eq!(
        unnamed,
        vec![
            // Pinned in an account discovery no longer looks at: DescribeInstance fills it in.
            entry(
                NW_GOV,
                "nw-gov",
                "us-gov-west-1",
                "210000000003",
                DomainForm::New,
                vec![pinned(
                    PinnedVia::PermissionSet {
                        account_id: "210000000003".into(),
                        role_name: "ConnectSupervisor".into(),
                    },
                    None
                )],
                vec![Source::Pinned],
            ),
            entry(
                NW_LEGACY,
                "nw-legacy",
                "eu-west-2",
                "210000000002",
                DomainForm::Legacy,
                vec![
                    LaunchMethod::SamlApplication {
                        app_instance_id: "ins-aaaa000000000002".into(),
                        name: "Amazon Connect - nw-legacy".into(),
                        relay_state: relay("ins-aaaa000000000002"),
                    },
                    perm("210000000002", "ConnectSupervisor"),
                ],
                vec![Source::SamlApplication, Source::PermissionSet],
            ),
            entry(
                NW_PINNED,
                "nw-pinned",
                "eu-central-1",
                "210000000004",
                DomainForm::New,
                vec![pinned(
                    PinnedVia::PermissionSet {
                        account_id: "210000000004".into(),
                        role_name: "ReadOnlyAccess".into(),
                    },
                    Some("agent-workspace")
                )],
                vec![Source::Pinned],
            ),
            entry(
                NW_PROD,
                "nw-prod",
                "us-east-1",
                "210000000001",
                DomainForm::New,
                vec![
                    pinned(
                        PinnedVia::SamlApplication {
                            app_instance_id: "ins-aaaa000000000001".into(),
                            name: Some("Amazon Connect - nw-prod".into()),
                        },
                        Some("ccp")
                    ),
                    LaunchMethod::SamlApplication {
                        app_instance_id: "ins-aaaa000000000001".into(),
                        name: "Amazon Connect - nw-prod".into(),
                        relay_state: relay("ins-aaaa000000000001"),
                    },
                    perm("210000000001", "ConnectAgent"),
                    perm("210000000001", "ConnectSupervisor"),
                ],
                vec![
                    Source::Pinned,
                    Source::SamlApplication,
                    Source::PermissionSet
                ],
            ),
            entry(
                NW_STAGING,
                "nw-staging",
                "us-east-1",
                "210000000001",
                DomainForm::New,
                vec![
                    perm("210000000001", "ConnectAgent"),
                    perm("210000000001", "ConnectSupervisor"),
                ],
                vec![Source::PermissionSet],
            ),
        ]
    );
    // Nothing was listed from the accounts the policy leaves out (NW Shared, NW Data).
    assert!(
        d.credentials
            .iter()
            .all(|c| !["210000000005", "210000000006"].contains(&c.account_id.as_str())),
        "{:?}",
        d.credentials
            .iter()
            .map(|c| &c.account_id)
            .collect::<Vec<_>>()
    );
}

/// Remembers what it was asked to open.
#[derive(Debug, Default)]
struct Recorder(std::sync::Mutex<Vec<Url>>);

impl Opener for Recorder {
    fn open(&self, url: &Url) -> Result<(), BrowserError> {
        self.0.lock().unwrap().push(url.clone());
        Ok(())
    }
}

/// The bundle `launch::prepare` needs, on the world's clock and a temporary folder.
fn deps(w: &World, dir: &Path) -> Deps {
    Deps {
        clock: Arc::new(w.clock.clone()),
        http: w.http.clone(),
        store: Arc::new(MemoryStore::new()),
        opener: Arc::new(Recorder::default()),
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
    entry(
        NW_STAGING,
        "nw-staging",
        "us-east-1",
        "210000000001",
        DomainForm::New,
        vec![perm("210000000001", "ConnectAgent")],
        vec![Source::PermissionSet],
    )
}

/// The emulator URL of a login for the Northwind start URL and `federate`, up to the token.
fn login_prefix(w: &World, federate: &str) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, launcher_core::sigv4::UNRESERVED).to_string()
    };
    format!(
        "{}/signin.aws.amazon.com/federation?Action=login&Issuer={}&Destination={}&SigninToken=",
        w.emu.urls().web,
        enc(&w.emu.start_url()),
        enc(federate)
    )
}

fn split_token(url: &Secret) -> (String, String) {
    let (prefix, token) = url.expose().split_once("&SigninToken=").expect("a token");
    (format!("{prefix}&SigninToken="), token.to_owned())
}

#[tokio::test]
async fn a_launch_carries_the_vdi_platform_and_the_instance_destination() {
    let w = World::new(northwind());
    let tmp = tempfile::tempdir().unwrap();
    let deps = deps(&w, tmp.path());
    let token = w.sign_in(RILEY).await;
    let start_url = StartUrl::parse(&w.emu.start_url(), false).unwrap();
    let resolved = settings(
        "vdi_platform = \"CITRIX_413\"\ndefault_destination = \"ccp-chat\"\n",
        "[instances.nw-staging]\ndestination = \"agent-workspace\"\n",
    );
    let staging = nw_staging();
    let request = LaunchRequest::for_entry(&resolved.settings, &staging);
    let prepared = launch::prepare(&deps, &w.endpoints, &start_url, &token, &staging, &request)
        .await
        .unwrap();
    let (prefix, signin_token) = split_token(&prepared.url);
    assert_eq!(
        prefix,
        login_prefix(
            &w,
            &format!("https://us-east-1.console.aws.amazon.com/connect/federate/{NW_STAGING}?destination=%2Fagent-app-v2%3FVDIPlatform%3DCITRIX_413&new_domain=true")
        )
    );
    assert!(!signin_token.is_empty());
    assert_eq!(prepared.via, Via::PermissionSet);
    assert_eq!(prepared.destination, "agent-workspace");
    assert_eq!(prepared.notes, Vec::<String>::new());
    let landed = Browser::default()
        .open(&w.http, &Url::parse(prepared.url.expose()).unwrap())
        .await;
    assert_eq!(landed.status, 200, "{}", landed.body);
    assert_eq!(
        landed.url.as_str(),
        format!(
            "{}/nw-staging.my.connect.aws/agent-app-v2?VDIPlatform=CITRIX_413",
            w.emu.urls().web
        )
    );
    assert_eq!(landed.text_of("instance-id").as_deref(), Some(NW_STAGING));
    assert_eq!(landed.text_of("connect-user").as_deref(), Some(RILEY));
    assert_eq!(
        landed.text_of("destination").as_deref(),
        Some("/agent-app-v2")
    );
    assert_eq!(
        landed.text_of("vdi-platform").as_deref(),
        Some("CITRIX_413")
    );

    // --destination admin wins; the admin home takes no VDI platform, which is said; with
    // new_domain = false the instance's own domain form is not asked for.
    let resolved = settings(
        "vdi_platform = \"CITRIX_413\"\nnew_domain = false\n",
        "[instances.nw-staging]\ndestination = \"agent-workspace\"\n",
    );
    let request = LaunchRequest {
        destination: Some("admin".into()),
        ..LaunchRequest::for_entry(&resolved.settings, &staging)
    };
    let prepared = launch::prepare(&deps, &w.endpoints, &start_url, &token, &staging, &request)
        .await
        .unwrap();
    assert_eq!(
        split_token(&prepared.url).0,
        login_prefix(
            &w,
            &format!("https://us-east-1.console.aws.amazon.com/connect/federate/{NW_STAGING}")
        )
    );
    assert_eq!(prepared.destination, "admin");
    assert_eq!(
        prepared.notes,
        ["the VDI platform CITRIX_413 applies only to pages of the instance, so it was left out for admin"]
    );
}

#[tokio::test]
async fn switching_signs_out_of_the_earlier_console_session_first() {
    let w = World::new(northwind());
    let tmp = tempfile::tempdir().unwrap();
    let deps = deps(&w, tmp.path());
    let token = w.sign_in(RILEY).await;
    let start_url = StartUrl::parse(&w.emu.start_url(), false).unwrap();
    let resolved = settings("", "");
    let prod = entry(
        NW_PROD,
        "nw-prod",
        "us-east-1",
        "210000000001",
        DomainForm::New,
        vec![perm("210000000001", "ConnectSupervisor")],
        vec![Source::PermissionSet],
    );
    let mut browser = Browser::default();
    let first = launch::prepare(
        &deps,
        &w.endpoints,
        &start_url,
        &token,
        &prod,
        &LaunchRequest::for_entry(&resolved.settings, &prod),
    )
    .await
    .unwrap();
    let landed = browser
        .open(&w.http, &Url::parse(first.url.expose()).unwrap())
        .await;
    assert_eq!(landed.text_of("instance-id").as_deref(), Some(NW_PROD));
    let prod_console = browser
        .cookie("aws_console_session")
        .expect("a console session");

    let staging = nw_staging();
    let request = LaunchRequest {
        switch_console_session: true,
        ..LaunchRequest::for_entry(&resolved.settings, &staging)
    };
    let switched = launch::prepare(&deps, &w.endpoints, &start_url, &token, &staging, &request)
        .await
        .unwrap();
    let (wrapped, _) = switched
        .url
        .expose()
        .split_once("%26SigninToken%3D")
        .expect("the login URL inside the sign-out");
    let inner = login_prefix(
        &w,
        &format!("https://us-east-1.console.aws.amazon.com/connect/federate/{NW_STAGING}?destination=%2Fccp-v2&new_domain=true"),
    )
    .replace(&format!("{}/", w.emu.urls().web), "https://");
    let inner = inner.trim_end_matches("&SigninToken=");
    assert_eq!(
        wrapped,
        format!(
            "{}/signin.aws.amazon.com/oauth?Action=logout&redirect_uri={}",
            w.emu.urls().web,
            percent_encoding::utf8_percent_encode(inner, launcher_core::sigv4::UNRESERVED)
        )
    );
    let landed = browser
        .open(&w.http, &Url::parse(switched.url.expose()).unwrap())
        .await;
    assert_eq!(landed.status, 200, "{}", landed.body);
    assert_eq!(landed.text_of("instance-id").as_deref(), Some(NW_STAGING));
    assert_eq!(landed.text_of("connect-user").as_deref(), Some(RILEY));
    // Sign-out, sign-in, the console's federate link, the instance site's handoff, the page.
    assert_eq!(landed.hops.len(), 5, "{:?}", landed.hops);
    let staging_console = browser
        .cookie("aws_console_session")
        .expect("a new console session");
    assert_ne!(staging_console, prod_console);
    let home = Url::parse(&format!(
        "{}/console.aws.amazon.com/console/home",
        w.emu.urls().web
    ))
    .unwrap();
    let old = w
        .http
        .send(
            w.http
                .request(reqwest::Method::GET, home.clone())
                .header("cookie", format!("aws_console_session={prod_console}")),
        )
        .await
        .unwrap();
    assert_eq!(old.status, 401, "the earlier console session has ended");
    let new = browser.open(&w.http, &home).await;
    assert_eq!(new.status, 200, "{}", new.body);
}

/// The TOML block of the README that starts with the comment `first_line`.
fn readme_example(first_line: &str) -> String {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find(&format!("```toml\n{first_line}\n"))
        .unwrap_or_else(|| panic!("the README has an example starting with {first_line}"))
        + "```toml\n".len();
    let end = start + readme[start..].find("```").expect("the example ends");
    readme[start..end].to_owned()
}

#[test]
fn the_readme_examples_resolve() {
    let resolved = settings(
        &readme_example("# /etc/connect-launcher/policy.toml"),
        &readme_example("# ~/.config/connect-launcher/settings.toml"),
    );
    let s = &resolved.settings;
    let pinned: Vec<_> = s
        .pinned()
        .into_iter()
        .map(|p| (p.alias, p.default_destination))
        .collect();
    assert_eq!(
        pinned,
        [
            (Some("acme-prod".to_owned()), None),
            (
                Some("acme-gov".to_owned()),
                Some("agent-workspace".to_owned())
            )
        ]
    );
    let prod = s.instance("5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11", Some("acme-prod"));
    assert_eq!(
        prod.browser.as_deref(),
        Some("google-chrome --profile-directory=\"Profile 2\"")
    );
    assert_eq!(prod.destination.as_deref(), Some("ccp"));
    assert!(prod.pin.is_some());
    assert_eq!(s.default_destination, "agent-workspace");
    assert_eq!(s.approved_origins, ["https://crm.example.com"]);
    assert!(resolved.is_locked(launcher_core::config::Key::VdiPlatform));
}
