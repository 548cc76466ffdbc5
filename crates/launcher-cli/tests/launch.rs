//! `connect-launcher list` and `open` against the emulator: the catalog, and each launch followed
//! through sign-in and the console to the emulated Connect page of the right instance, user and
//! destination.

mod support;

use std::path::Path;

use aws_emulator::{Options, Org};
use support::{artifacts_dir, element, fifo, ok, signed_in, text, World, ALEX};

const SAM: &str = "sam.chen@example.com";
const ACME_PROD: &str = "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11";
const ACME_STAGING: &str = "0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66";

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
    assert_eq!(staging["account_name"], "Contact Centre Staging");
    assert_eq!(prod["account_name"], serde_json::Value::Null, "no account");
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
            && table.contains("ConnectSupervisor in Contact Centre Staging (444455556666)")
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

/// The account/role pairs the index in the state folder names.
fn indexed_roles(w: &World) -> Vec<(String, String)> {
    let path = w
        .tmp
        .path()
        .join("state/connect-launcher")
        .join(launcher_core::role_credentials::INDEX_FILE);
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("the index is written")).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("ASIA") && !text.contains("IQoJ"),
        "no secret in {text}"
    );
    v["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["account_id"].as_str().unwrap().to_owned(),
                r["role_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn end_shift_logs_out_of_connect_and_leaves_nothing() {
    let w = signed_in(ALEX);
    let url = launcher_core::start_url::StartUrl::parse(&w.emu.start_url(), false).unwrap();
    use launcher_core::keychain::{EntryKey, SecretStore};
    // A combined value left by an earlier version goes the first time credentials are stored.
    let legacy = EntryKey::legacy_role_credentials(&url);
    w.keychain()
        .set(&legacy, &launcher_core::secret::Secret::new("{}"))
        .unwrap();
    ok(&w.run(&["open", "acme-staging"]));
    assert!(
        w.keychain().get(&legacy).unwrap().is_none(),
        "migrated away"
    );
    let roles = indexed_roles(&w);
    assert!(
        roles.contains(&("444455556666".to_owned(), "ConnectAgent".to_owned())),
        "{roles:?}"
    );
    let role_keys: Vec<EntryKey> = roles
        .iter()
        .map(|(account, role)| EntryKey::role_credentials(&url, account, role))
        .collect();
    for key in &role_keys {
        assert!(
            w.keychain().get(key).unwrap().is_some(),
            "role credentials were kept for reuse under {}",
            key.as_str()
        );
        assert!(
            w.keychain().cached(key).is_some(),
            "and in the session keyring under {}",
            key.as_str()
        );
    }

    let state = w.tmp.path().join("state/connect-launcher");
    launcher_core::favourites::set(&state, "any-instance", true).unwrap();
    let err = ok(&w.run(&["logout", "--everywhere"]));
    assert!(
        err.contains("Logged out of Amazon Connect on acme-staging") && err.contains("Shift ended"),
        "{err}"
    );
    w.assert_logged_out_of("acme-staging");
    for key in [
        EntryKey::session(&url),
        EntryKey::registration(&url),
        legacy,
    ]
    .into_iter()
    .chain(role_keys)
    {
        assert!(
            w.keychain().get(&key).unwrap().is_none(),
            "{} is gone",
            key.as_str()
        );
        assert!(
            w.keychain().cached(&key).is_none(),
            "{} is gone from the session keyring",
            key.as_str()
        );
    }
    w.assert_state_left_empty();
    let e = text(&w.run(&["open", "acme-staging"]).stderr);
    assert!(e.contains("not signed in"), "{e}");
}

#[test]
fn a_warm_launch_needs_no_secret_service() {
    let w = signed_in(ALEX);
    ok(&w.run(&["open", "acme-staging", "--print"]));
    let portal_requests = w.emu.faults().portal_request_count();
    // Without a session bus there is no Secret Service: the launch is served by the copy of the
    // role's credentials in the kernel's session keyring.
    let out = w
        .cmd(&["open", "acme-staging", "--print"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    let printed = ok(&out);
    assert!(
        text(&out.stdout).contains("/federation?Action=login"),
        "{printed}"
    );
    assert_eq!(
        w.emu.faults().portal_request_count(),
        portal_requests,
        "the role's credentials were reused, not fetched again"
    );
}

#[test]
fn a_new_sign_in_never_launches_with_the_last_ones_role_credentials() {
    // A shared PC: Alex's session runs out without a sign-out, Sam signs in on the same account.
    let w = signed_in(ALEX);
    ok(&w.run(&["open", "acme-staging", "--print"]));
    let url = launcher_core::start_url::StartUrl::parse(&w.emu.start_url(), false).unwrap();
    use launcher_core::keychain::{EntryKey, SecretStore};
    let alex_key = EntryKey::role_credentials(&url, "444455556666", "ConnectAgent");
    assert!(w.keychain().get(&alex_key).unwrap().is_some());
    assert!(w.keychain().cached(&alex_key).is_some());

    w.emu.set_auto_approve(Some(SAM.to_owned()));
    w.login();
    assert!(
        w.keychain().get(&alex_key).unwrap().is_none(),
        "the last sign-in's role credentials left the keychain"
    );
    assert!(
        w.keychain().cached(&alex_key).is_none(),
        "and the session keyring"
    );
    assert!(!w
        .tmp
        .path()
        .join("state/connect-launcher")
        .join(launcher_core::role_credentials::INDEX_FILE)
        .exists());
}

/// The user's settings file of a test's private home.
fn write_user_settings(w: &World, text: &str) {
    let dir = w.tmp.path().join("config/connect-launcher");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("settings.toml"), text).unwrap();
}

/// A second browser that says it was used and with which arguments, then follows the last one
/// (the URL) like the first, all into `$BROWSER_PAGE_OUT`.
fn second_browser(w: &World) -> std::path::PathBuf {
    let script = w.tmp.path().join("second-browser.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor last; do :; done\n{{ echo 'second browser'; for a in \"$@\"; do echo \"arg: $a\"; done; curl -sSL -c '{jar}' -b '{jar}' \"$last\"; }} > \"${{BROWSER_PAGE_OUT:-/dev/null}}\"\n",
            jar = w.tmp.path().join("second-cookies.txt").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[test]
fn an_instance_opens_in_the_browser_its_settings_name() {
    let w = signed_in(SAM);
    let second = second_browser(&w);
    let first = w.tmp.path().join("browser.sh");
    write_user_settings(
        &w,
        &format!(
            "browser = \"{}\"\n\n[instances.acme-staging]\nbrowser = '{} --profile-directory=\"Profile 2\"'\ndestination = \"agent-workspace\"\n",
            first.display(),
            second.display()
        ),
    );
    let page = fifo(&w.tmp.path().join("page.pipe"));
    let out = w
        .cmd(&["open", "acme-staging"])
        .env_remove("BROWSER")
        .env("BROWSER_PAGE_OUT", &page)
        .output()
        .unwrap();
    let err = ok(&out);
    assert!(
        err.contains("Opening acme-staging (agent-workspace)"),
        "{err}"
    );
    let seen = std::fs::read_to_string(&page).unwrap();
    let mut lines = seen.lines();
    assert_eq!(lines.next(), Some("second browser"), "{seen}");
    assert_eq!(lines.next(), Some("arg: --profile-directory=Profile 2"));
    let url = lines.next().unwrap().strip_prefix("arg: ").unwrap();
    assert!(
        url.starts_with(&format!(
            "{}/signin.aws.amazon.com/federation?Action=login&",
            w.emu.urls().web
        )),
        "the URL is the last argument, one of its own: {url}"
    );
    assert_eq!(element(&seen, "instance-id").as_deref(), Some(ACME_STAGING));
    assert_eq!(
        element(&seen, "destination").as_deref(),
        Some("/agent-app-v2")
    );

    // --browser beats the instance's browser, and $BROWSER beats both.
    for (args, env_browser) in [
        (
            vec!["open", "acme-staging", "--browser", first.to_str().unwrap()],
            false,
        ),
        (vec!["open", "acme-staging"], true),
    ] {
        let page = w.tmp.path().join("again.pipe");
        let _ = std::fs::remove_file(&page);
        let page = fifo(&page);
        let mut cmd = w.cmd(&args);
        if !env_browser {
            cmd.env_remove("BROWSER");
        }
        ok(&cmd.env("BROWSER_PAGE_OUT", &page).output().unwrap());
        let seen = std::fs::read_to_string(&page).unwrap();
        assert!(!seen.starts_with("second browser"), "{args:?}: {seen}");
        assert_eq!(
            element(&seen, "instance-id").as_deref(),
            Some(ACME_STAGING),
            "{args:?}: {seen}"
        );
    }
}

const ACME_GOV: &str = "9c3e5a7b-1d2f-4a6c-8e0b-3f5d7a9c1e22";

#[test]
fn an_instance_pinned_in_the_policy_is_listed_and_opened() {
    let w = signed_in(SAM);
    // Discovery looks only in the IdC region (us-east-1): acme-gov is there because IT pinned it.
    std::fs::write(
        w.tmp.path().join("policy.toml"),
        format!(
            "vdi_platform = \"AWS_WORKSPACE\"\n\n[instances.{ACME_GOV}]\npin = true\nregion = \"us-gov-west-1\"\nalias = \"acme-gov\"\naccount_id = \"123456789012\"\nrole_name = \"ConnectSupervisor\"\ndestination = \"agent-workspace\"\n"
        ),
    )
    .unwrap();
    let out = w.run(&["list", "--json"]);
    ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let gov = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["instance_id"] == ACME_GOV)
        .unwrap_or_else(|| panic!("the pinned instance is listed: {v}"));
    assert_eq!(
        *gov,
        serde_json::json!({
            "instance_id": ACME_GOV,
            "alias": "acme-gov",
            "region": "us-gov-west-1",
            "account_id": "123456789012",
            "account_name": "Contact Centre GovCloud",
            "domain": "new",
            "launch_methods": [{
                "kind": "pinned",
                "via": {"kind": "permission_set", "account_id": "123456789012", "role_name": "ConnectSupervisor"},
                "default_destination": "agent-workspace"
            }],
            "sources": ["pinned"]
        })
    );
    let table = text(&w.run(&["list"]).stdout);
    assert!(
        table.lines().any(|l| l.starts_with("acme-gov")
            && l.contains(ACME_GOV)
            && l.ends_with("pinned by IT")),
        "{table}"
    );

    let page = fifo(&w.tmp.path().join("page.pipe"));
    let out = w
        .cmd(&["open", "acme-gov"])
        .env("BROWSER_PAGE_OUT", &page)
        .output()
        .unwrap();
    let err = ok(&out);
    assert!(err.contains("Opening acme-gov (agent-workspace)"), "{err}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(
        element(&html, "instance-id").as_deref(),
        Some(ACME_GOV),
        "{html}"
    );
    assert_eq!(element(&html, "connect-user").as_deref(), Some(SAM));
    assert_eq!(
        element(&html, "destination").as_deref(),
        Some("/agent-app-v2")
    );
    assert_eq!(
        element(&html, "vdi-platform").as_deref(),
        Some("AWS_WORKSPACE")
    );
    let opened = std::fs::read_to_string(w.tmp.path().join("opened.txt")).unwrap();
    assert!(
        opened.lines().last().unwrap().starts_with(&format!(
            "{}/signin.amazonaws-us-gov.com/federation?Action=login&",
            w.emu.urls().web
        )),
        "{opened}"
    );
}

/// The console session cookie in a curl cookie jar.
fn console_cookie(jar: &Path) -> Option<String> {
    std::fs::read_to_string(jar)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|f| f.len() == 7 && f[5] == "aws_console_session")
        .map(|f| f[6].to_owned())
}

/// The HTTP status of the emulated console home with this console cookie.
fn console_home_status(w: &World, cookie: &str) -> String {
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-b"])
        .arg(format!("aws_console_session={cookie}"))
        .arg(format!(
            "{}/console.aws.amazon.com/console/home",
            w.emu.urls().web
        ))
        .output()
        .unwrap();
    text(&out.stdout)
}

#[test]
fn switch_signs_out_of_the_previous_console_session() {
    // Sam may also open acme-prod through a permission set.
    let mut org = Org::demo();
    org.assignments.push(aws_emulator::org::Assignment {
        user: SAM.into(),
        account: "111122223333".into(),
        permission_set: "ConnectSupervisor".into(),
    });
    let w = World::new(Options::new(org).auto_approve(SAM));
    w.login();
    let jar = w.tmp.path().join("cookies.txt");

    let page = fifo(&w.tmp.path().join("staging.pipe"));
    ok(&w
        .cmd(&["open", "acme-staging"])
        .env("BROWSER_PAGE_OUT", &page)
        .output()
        .unwrap());
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(element(&html, "instance-id").as_deref(), Some(ACME_STAGING));
    let staging_console = console_cookie(&jar).expect("a console session");
    assert_eq!(console_home_status(&w, &staging_console), "200");

    let page = fifo(&w.tmp.path().join("prod.pipe"));
    let err = ok(&w
        .cmd(&["open", "acme-prod", "--via", "permission-set", "--switch"])
        .env("BROWSER_PAGE_OUT", &page)
        .output()
        .unwrap());
    assert!(err.contains("Opening acme-prod (ccp)"), "{err}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(
        element(&html, "instance-id").as_deref(),
        Some(ACME_PROD),
        "{html}"
    );
    assert_eq!(element(&html, "connect-user").as_deref(), Some(SAM));
    assert_eq!(element(&html, "destination").as_deref(), Some("/ccp-v2"));
    let opened = std::fs::read_to_string(w.tmp.path().join("opened.txt")).unwrap();
    assert!(
        opened.lines().last().unwrap().starts_with(&format!(
            "{}/signin.aws.amazon.com/oauth?Action=logout&redirect_uri=https%3A%2F%2Fsignin.aws.amazon.com%2Ffederation%3FAction%3Dlogin%26",
            w.emu.urls().web
        )),
        "{opened}"
    );
    let prod_console = console_cookie(&jar).expect("a fresh console session");
    assert_ne!(prod_console, staging_console);
    assert_eq!(
        console_home_status(&w, &staging_console),
        "401",
        "the earlier console session has ended"
    );
    assert_eq!(console_home_status(&w, &prod_console), "200");
}

#[test]
fn a_launch_with_kept_role_credentials_needs_no_access_token() {
    let w = signed_in(ALEX);
    let first = w.run(&["open", "acme-staging", "--via", "permission-set", "--print"]);
    ok(&first);
    let url = launcher_core::start_url::StartUrl::parse(&w.emu.start_url(), false).unwrap();
    use launcher_core::keychain::{EntryKey, SecretStore};
    // Without the session's secrets, only the kept role credentials can make the launch.
    w.keychain().delete(&EntryKey::session(&url)).unwrap();
    let again = w.run(&["open", "acme-staging", "--via", "permission-set", "--print"]);
    ok(&again);
    assert!(
        text(&again.stdout).contains("/federation"),
        "{}",
        text(&again.stdout).len()
    );
    // A role with nothing kept still needs the session, and says so.
    for (account, role) in indexed_roles(&w) {
        w.keychain()
            .delete(&EntryKey::role_credentials(&url, &account, &role))
            .unwrap();
    }
    let cold = w.run(&["open", "acme-staging", "--via", "permission-set", "--print"]);
    assert!(!cold.status.success());
    assert!(
        text(&cold.stderr).contains("sign in again"),
        "{}",
        text(&cold.stderr)
    );
}

#[test]
fn sign_out_deletes_kept_role_credentials_even_without_the_index() {
    let w = signed_in(ALEX);
    ok(&w.run(&["open", "acme-staging", "--via", "permission-set", "--print"]));
    let url = launcher_core::start_url::StartUrl::parse(&w.emu.start_url(), false).unwrap();
    use launcher_core::keychain::{EntryKey, SecretStore};
    let roles = indexed_roles(&w);
    assert!(!roles.is_empty());
    std::fs::remove_file(
        w.tmp
            .path()
            .join("state/connect-launcher")
            .join(launcher_core::role_credentials::INDEX_FILE),
    )
    .unwrap();
    ok(&w.run(&["logout"]));
    for (account, role) in roles {
        let key = EntryKey::role_credentials(&url, &account, &role);
        assert!(
            w.keychain().get(&key).unwrap().is_none(),
            "{} is gone (found through the saved catalog)",
            key.as_str()
        );
    }
}

/// Opens acme-prod (known only through its SAML application) with `--print`, which records the
/// launch, then ends the shift; returns end of shift's stderr and the pages the browser opened.
fn end_shift_after_a_saml_launch(policy: &str) -> (String, Vec<String>, String) {
    let w = signed_in(ALEX);
    std::fs::write(w.tmp.path().join("policy.toml"), policy).unwrap();
    ok(&w.run(&["list", "--refresh"]));
    ok(&w.run(&["open", ACME_PROD, "--print"]));
    let err = ok(&w.run(&["logout", "--everywhere"]));
    let opened = std::fs::read_to_string(w.tmp.path().join("opened.txt")).unwrap_or_default();
    (
        err,
        opened.lines().map(str::to_owned).collect(),
        w.emu.urls().web.to_string(),
    )
}

#[test]
fn end_shift_logs_out_of_a_saml_only_instance_that_it_pinned_with_its_address() {
    let pin = format!(
        "[instances.{ACME_PROD}]\npin = true\nregion = \"us-east-1\"\nsaml_application = \"ins-3f6a1b2c4d5e6f70\"\n\
         saml_application_name = \"Amazon Connect - acme-prod\"\nalias = \"acme-prod\"\n"
    );
    let (err, opened, web) = end_shift_after_a_saml_launch(&pin);
    assert!(
        err.contains("Logged out of Amazon Connect on acme-prod"),
        "{err}"
    );
    assert!(
        opened.contains(&format!("{web}/acme-prod.my.connect.aws/logout")),
        "{opened:?}"
    );
    assert!(!err.contains("Could not log out"), "{err}");

    // On the legacy domain, IT says so and the legacy logout page is opened.
    let (err, opened, web) = end_shift_after_a_saml_launch(&format!("{pin}domain = \"legacy\"\n"));
    assert!(
        err.contains("Logged out of Amazon Connect on acme-prod"),
        "{err}"
    );
    assert!(
        opened.contains(&format!("{web}/acme-prod.awsapps.com/connect/logout")),
        "{opened:?}"
    );
}

#[test]
fn end_shift_says_to_log_out_by_hand_where_the_address_is_unknown() {
    let (err, opened, _) = end_shift_after_a_saml_launch("");
    assert!(
        err.contains("Could not log out of Amazon Connect - acme-prod for you")
            || err.contains(&format!("Could not log out of {ACME_PROD} for you")),
        "{err}"
    );
    assert!(err.contains("choose Log out"), "{err}");
    assert!(err.contains("alias"), "IT is told how to fix it: {err}");
    assert!(
        !opened.iter().any(|u| u.ends_with("/logout")),
        "no logout page is guessed: {opened:?}"
    );
    assert!(err.contains("Shift ended"), "{err}");
}
