//! `connect-launcher list` and `open` against the emulator: the catalog, and each launch followed
//! through sign-in and the console to the emulated Connect page of the right instance, user and
//! destination.

mod support;

use std::path::Path;

use aws_emulator::{Options, Org};
use support::{artifacts_dir, fifo, ok, text, World, ALEX};

const SAM: &str = "sam.chen@example.com";
const ACME_PROD: &str = "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11";
const ACME_STAGING: &str = "0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66";

fn signed_in(user: &str) -> World {
    let w = World::new(Options::new(Org::demo()).auto_approve(user));
    ok(&w.run(&[
        "login",
        "--start-url",
        &w.emu.start_url(),
        "--region",
        "us-east-1",
    ]));
    w
}

/// The text of an element with this id on an emulator page.
fn element(page: &str, id: &str) -> Option<String> {
    let start = page.find(&format!("id=\"{id}\""))?;
    let after = &page[start..];
    let open = after.find('>')? + 1;
    let close = after[open..].find('<')?;
    Some(after[open..open + close].to_owned())
}

#[test]
fn list_shows_every_way_in() {
    let w = signed_in(SAM);
    let out = w.run(&["list", "--json"]);
    ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = v.as_array().unwrap();
    let by_alias = |a: &str| {
        entries
            .iter()
            .find(|e| e["alias"] == a)
            .unwrap_or_else(|| panic!("{a} listed: {v}"))
    };
    let by_id = |id: &str| {
        entries
            .iter()
            .find(|e| e["instance_id"] == id)
            .unwrap_or_else(|| panic!("{id} listed: {v}"))
    };
    // Known only through its SAML application's relay state: no alias, the region from the URL.
    let prod = by_id(ACME_PROD);
    assert_eq!(prod["instance_id"], ACME_PROD);
    assert_eq!(prod["region"], "us-east-1");
    assert_eq!(prod["launch_methods"][0]["kind"], "saml_application");
    let staging = by_alias("acme-staging");
    assert_eq!(
        staging["launch_methods"][0],
        serde_json::json!({"kind": "permission_set", "account_id": "444455556666", "role_name": "ConnectSupervisor"})
    );
    assert_eq!(staging["domain"], "new");
    assert_eq!(
        by_id("b7f2e9a4-3c1d-4e8f-a6b5-9d0c2e4f6a88")["region"],
        "eu-west-2"
    );

    // The second time it comes from the saved list, without the network.
    let human = w.run(&["list"]);
    let table = text(&human.stdout);
    assert!(
        table.starts_with("ALIAS")
            && table.contains("acme-staging")
            && table.contains("ConnectSupervisor in 444455556666")
            && table.contains("Amazon Connect - acme-prod"),
        "{table}"
    );
}

#[test]
fn open_by_permission_set_lands_on_the_ccp() {
    let w = signed_in(ALEX);
    let page = fifo(&w.tmp.path().join("page.pipe"));
    let out = w
        .cmd(&["open", "acme-staging"])
        .env("BROWSER_PAGE_OUT", &page)
        .output()
        .unwrap();
    let err = ok(&out);
    assert!(err.contains("Opening acme-staging (ccp)"), "{err}");
    assert!(
        text(&out.stdout).is_empty(),
        "no URL is printed without --print"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(
        element(&html, "instance-id").as_deref(),
        Some(ACME_STAGING),
        "{html}"
    );
    assert_eq!(element(&html, "connect-user").as_deref(), Some(ALEX));
    assert_eq!(element(&html, "destination").as_deref(), Some("/ccp-v2"));
    let launches =
        std::fs::read_to_string(w.tmp.path().join("state/connect-launcher/launches.json")).unwrap();
    assert!(
        launches.contains(ACME_STAGING) && launches.contains("\"ccp\""),
        "{launches}"
    );
}

#[test]
fn print_gives_the_address_for_a_destination() {
    let w = signed_in(ALEX);
    let out = w.run(&[
        "open",
        "acme-staging",
        "--destination",
        "agent-workspace",
        "--print",
    ]);
    ok(&out);
    let url = text(&out.stdout).trim().to_owned();
    assert!(
        url.starts_with(&format!(
            "{}/signin.aws.amazon.com/federation?Action=login&Issuer=",
            w.emu.urls().web
        )),
        "{url}"
    );
    assert!(url.contains("&Destination=https%3A%2F%2Fus-east-1.console.aws.amazon.com%2Fconnect%2Ffederate%2F0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66%3Fdestination%3D%252Fagent-app-v2%26new_domain%3Dtrue&SigninToken="), "{url}");
    assert!(
        !w.tmp.path().join("opened.txt").exists()
            || !std::fs::read_to_string(w.tmp.path().join("opened.txt"))
                .unwrap()
                .contains("federation"),
        "--print opens nothing"
    );
    // Followed by hand, it lands on the Agent Workspace.
    let jar = w.tmp.path().join("jar.txt");
    let page = std::process::Command::new("curl")
        .args(["-sSL", "-c"])
        .arg(&jar)
        .arg("-b")
        .arg(&jar)
        .arg(&url)
        .output()
        .unwrap();
    let html = text(&page.stdout);
    assert_eq!(
        element(&html, "destination").as_deref(),
        Some("/agent-app-v2"),
        "{html}"
    );
}

#[test]
fn saml_application_in_chromium() {
    let w = signed_in(ALEX);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    assert!(
        root.join("tests/browser/node_modules/playwright-core")
            .exists(),
        "run `cargo xtask test` (npm ci in tests/browser)"
    );
    let seen = fifo(&w.tmp.path().join("seen.pipe"));
    let out = w
        .cmd(&["open", "acme-prod"])
        .env(
            "BROWSER",
            format!("node {}", root.join("tests/browser/browse.mjs").display()),
        )
        .env("BROWSER_TEST_USER", ALEX)
        .env("BROWSER_TEST_OUT", &seen)
        .env(
            "BROWSER_TEST_SCREENSHOT",
            artifacts_dir().join("launch-saml-ccp.png"),
        )
        .output()
        .unwrap();
    ok(&out);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&seen).unwrap()).unwrap();
    let page = v["text"]
        .as_str()
        .unwrap_or_else(|| panic!("the browser reported: {v}"));
    assert!(
        v["url"]
            .as_str()
            .unwrap()
            .contains("/acme-prod.my.connect.aws/ccp-v2"),
        "{v}"
    );
    assert!(page.contains(ACME_PROD) && page.contains(ALEX), "{page}");
}

#[test]
fn not_onboarded_is_explained_before_the_browser_opens() {
    let w = signed_in("jordan.lee@example.com");
    let out = w
        .cmd(&["list", "--refresh"])
        .env("CONNECT_LAUNCHER_CONNECT_REGIONS", "us-east-1,eu-west-2")
        .output()
        .unwrap();
    ok(&out);
    let out = w
        .cmd(&["open", "acme-emea", "--via", "permission-set"])
        .env("CONNECT_LAUNCHER_CONNECT_REGIONS", "us-east-1,eu-west-2")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = text(&out.stderr);
    assert!(
        e.contains("no user for you in acme-emea") && e.contains("ask your Connect administrator"),
        "{e}"
    );
    assert!(
        !w.tmp.path().join("opened.txt").exists()
            || !std::fs::read_to_string(w.tmp.path().join("opened.txt"))
                .unwrap()
                .contains("federation")
    );
}

#[test]
fn unknown_instance_lists_what_can_be_opened() {
    let w = signed_in(SAM);
    let out = w.run(&["open", "acme-nowhere"]);
    assert!(!out.status.success());
    let e = text(&out.stderr);
    assert!(
        e.contains("no instance called `acme-nowhere`")
            && e.contains("acme-prod")
            && e.contains("acme-staging"),
        "{e}"
    );
}

#[test]
fn end_shift_logs_out_of_connect_and_leaves_nothing() {
    let w = signed_in(ALEX);
    ok(&w.run(&["open", "acme-staging"]));
    let url = launcher_core::start_url::StartUrl::parse(&w.emu.start_url(), false).unwrap();
    use launcher_core::keychain::{EntryKey, SecretStore};
    assert!(w.keychain().get(&EntryKey::role_credentials(&url)).unwrap().is_some(), "role credentials were kept for reuse");

    let err = ok(&w.run(&["logout", "--everywhere"]));
    assert!(err.contains("Logged out of Amazon Connect on acme-staging") && err.contains("Shift ended"), "{err}");
    let opened = std::fs::read_to_string(w.tmp.path().join("opened.txt")).unwrap();
    assert!(opened.lines().any(|l| l == format!("{}/acme-staging.my.connect.aws/logout", w.emu.urls().web)), "{opened}");
    for key in [EntryKey::session(&url), EntryKey::registration(&url), EntryKey::role_credentials(&url)] {
        assert!(w.keychain().get(&key).unwrap().is_none(), "{} is gone", key.as_str());
    }
    let state = w.tmp.path().join("state/connect-launcher");
    let left: Vec<_> = std::fs::read_dir(&state).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.iter().all(|f| f == "refresh.lock"), "only the lock file may stay: {left:?}");
    let e = text(&w.run(&["open", "acme-staging"]).stderr);
    assert!(e.contains("not signed in"), "{e}");
}
