//! `connect-launcher login|status|logout` as a user runs them: a real process, the real OS keychain
//! (Secret Service in CI), a `$BROWSER` script, and the emulator.
//!
//! These tests need a session bus with an unlocked Secret Service, as `cargo xtask test` provides.

mod support;

use std::path::Path;
use std::process::Command;

use aws_emulator::{Options, Org};
use launcher_core::keychain::{EntryKey, SecretStore};
use launcher_core::start_url::StartUrl;
use support::{artifacts_dir, files_under, ok, text, World, ALEX};

#[test]
fn login_status_logout_round_trip() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    let start = w.emu.start_url();
    let err = ok(&w.run(&["login", "--start-url", &start, "--region", "us-east-1"]));
    assert!(err.contains(&format!("Signed in as {ALEX}")), "{err}");
    assert!(err.contains("portal session ends, about"), "{err}");

    let opened = std::fs::read_to_string(w.tmp.path().join("opened.txt")).unwrap();
    assert!(
        opened.starts_with(&format!(
            "{}/authorize?response_type=code&client_id=",
            w.emu.urls().oidc
        )),
        "{opened}"
    );

    let secrets = w.stored_secrets();
    assert!(secrets["access_token"].as_str().unwrap().starts_with("aoa"));

    let out = w.run(&["status", "--json"]);
    ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["signed_in"], true);
    assert_eq!(v["user"], ALEX);
    assert_eq!(v["start_url"], start);
    assert_eq!(v["region"], "us-east-1");
    assert_eq!(v["portal_session_end_estimated"], true);
    assert!(v["access_token_seconds_left"].as_u64().unwrap() > 3500);

    let human = text(&w.run(&["status"]).stdout);
    assert!(
        human.contains("Signed in as alex.rivera@example.com")
            && human.contains("portal session  ends"),
        "{human}"
    );

    // The start URL was remembered: the next sign-in needs no flags.
    let again = ok(&w.run(&["login", "--fresh"]));
    assert!(again.contains("Signed in as"), "{again}");

    let err = ok(&w.run(&["logout"]));
    assert!(err.contains("Signed out"), "{err}");
    let v: serde_json::Value =
        serde_json::from_slice(&w.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(v, serde_json::json!({"signed_in": false}));
    let url = StartUrl::parse(&start, false).unwrap();
    assert!(
        w.keychain()
            .get(&EntryKey::session(&url))
            .unwrap()
            .is_none(),
        "the keychain entry is gone"
    );
}

#[test]
fn device_code_login() {
    let w = World::new(Options::new(Org::demo()).auto_approve("sam.chen@example.com"));
    let err = ok(&w.run(&[
        "login",
        "--device-code",
        "--start-url",
        &w.emu.start_url(),
        "--region",
        "us-east-1",
    ]));
    assert!(err.contains("confirm this code in a browser"), "{err}");
    assert!(err.contains("Signed in as sam.chen@example.com"), "{err}");
}

#[test]
fn print_shows_the_address_and_opens_nothing() {
    let w = World::new(Options::new(Org::demo()));
    let out = w.run(&[
        "login",
        "--print",
        "--timeout",
        "1",
        "--start-url",
        &w.emu.start_url(),
        "--region",
        "us-east-1",
    ]);
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .trim()
            .starts_with(&format!("{}/authorize?", w.emu.urls().oidc)),
        "{stdout}"
    );
    assert!(
        !w.tmp.path().join("opened.txt").exists(),
        "no browser was started"
    );
    assert!(
        text(&out.stderr).contains("--device-code"),
        "the timeout says what to do: {}",
        text(&out.stderr)
    );
}

#[test]
fn no_token_leaks_into_logs_output_or_files() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    let out = w
        .cmd(&[
            "login",
            "--export-aws-cli-cache",
            "--start-url",
            &w.emu.start_url(),
            "--region",
            "us-east-1",
        ])
        .env("CONNECT_LAUNCHER_LOG", "trace")
        .output()
        .unwrap();
    ok(&out);
    let status = w
        .cmd(&["status", "--json", "-v"])
        .env("CONNECT_LAUNCHER_LOG", "trace")
        .output()
        .unwrap();
    let secrets = w.stored_secrets();
    let values: Vec<String> = ["access_token", "refresh_token", "client_secret"]
        .iter()
        .map(|k| {
            secrets[*k]
                .as_str()
                .unwrap_or_else(|| panic!("{k} stored"))
                .to_owned()
        })
        .collect();
    let logs = format!(
        "{}{}{}{}",
        text(&out.stdout),
        text(&out.stderr),
        text(&status.stdout),
        text(&status.stderr)
    );
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "trace logging was on"
    );
    for v in &values {
        assert!(!logs.contains(v.as_str()), "a secret reached the output");
    }
    let export = w
        .home()
        .join(".aws/sso/cache/c9061b9be0cf3d8f99a3f2e7b51eee46123c0041.json");
    assert!(export.exists(), "the opt-in export was written");
    for f in files_under(w.tmp.path()) {
        if f == export {
            continue;
        }
        let content = std::fs::read(&f).unwrap();
        let content = String::from_utf8_lossy(&content);
        for v in &values {
            assert!(
                !content.contains(v.as_str()),
                "a secret reached {}",
                f.display()
            );
        }
    }
}

#[test]
fn bad_input_gets_a_clear_error() {
    let w = World::new(Options::new(Org::demo()));
    let e = text(
        &w.run(&[
            "login",
            "--start-url",
            "http://d-9067c2d5a1.awsapps.com/start",
            "--region",
            "us-east-1",
        ])
        .stderr,
    );
    assert!(e.contains("https"), "{e}");
    let e = text(
        &w.run(&[
            "login",
            "--start-url",
            &w.emu.start_url(),
            "--region",
            "us-esat-1",
        ])
        .stderr,
    );
    assert!(e.contains("did you mean `us-east-1`"), "{e}");
    let e = text(&w.run(&["login"]).stderr);
    assert!(
        e.contains("--start-url") && e.contains("awsapps.com/start"),
        "{e}"
    );

    // Nothing listens where IdC should be: the error names the host and what to check.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let out = w
        .cmd(&[
            "login",
            "--start-url",
            &w.emu.start_url(),
            "--region",
            "us-east-1",
            "--print",
        ])
        .env("AWS_ENDPOINT_URL_SSO_OIDC", &closed)
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert!(
        e.contains(&format!("cannot reach {closed}")) && e.contains("network"),
        "{e}"
    );
}

#[test]
fn a_locked_policy_key_cannot_be_changed() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    let policy = w.tmp.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "start_url = \"{}\"\nregion = \"us-east-1\"\nlocked = [\"start_url\"]\n",
            w.emu.start_url()
        ),
    )
    .unwrap();
    let e = text(
        &w.run(&[
            "login",
            "--start-url",
            "https://d-0000000000.awsapps.com/start",
        ])
        .stderr,
    );
    assert!(
        e.contains("start_url")
            && e.contains("--start-url")
            && e.contains(&policy.display().to_string()),
        "{e}"
    );
    // With the policy's own start URL, sign-in just works.
    let err = ok(&w.run(&["login"]));
    assert!(err.contains("Signed in as"), "{err}");
}

#[test]
fn imports_the_start_url_from_the_aws_cli_config() {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    std::fs::create_dir_all(w.home().join(".aws")).unwrap();
    std::fs::write(
        w.home().join(".aws/config"),
        format!("[profile agent]\nsso_session = cc\nsso_account_id = 111122223333\nsso_role_name = ConnectAgent\n\n[sso-session cc]\nsso_start_url = {}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n", w.emu.start_url()),
    )
    .unwrap();
    let err = ok(&w.run(&["login"]));
    assert!(
        err.contains(".aws/config") && err.contains("Signed in as"),
        "{err}"
    );
}

/// The browser sign-in in Debian's Chromium: a person picks a user and clicks Allow on the
/// emulator's consent page, and the loopback listener shows its success page.
#[test]
fn chromium_clicks_allow() {
    let w = World::new(Options::new(Org::demo()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("tests/browser/browse.mjs");
    assert!(
        root.join("tests/browser/node_modules/playwright-core")
            .exists(),
        "playwright-core is missing: run `cargo xtask test` (it runs npm ci in tests/browser)"
    );
    // The browser reports on a named pipe: reading it blocks until the browser has written.
    let seen = w.tmp.path().join("seen.pipe");
    assert!(Command::new("mkfifo")
        .arg(&seen)
        .status()
        .unwrap()
        .success());
    let shot = artifacts_dir().join("signin-chromium-success.png");
    let out = w
        .cmd(&[
            "login",
            "--start-url",
            &w.emu.start_url(),
            "--region",
            "us-east-1",
        ])
        .env("BROWSER", format!("node {}", script.display()))
        .env("BROWSER_TEST_USER", "sam.chen@example.com")
        .env("BROWSER_TEST_OUT", &seen)
        .env("BROWSER_TEST_SCREENSHOT", &shot)
        .output()
        .unwrap();
    let err = ok(&out);
    assert!(err.contains("Signed in as sam.chen@example.com"), "{err}");
    let seen_text = std::fs::read_to_string(&seen).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&seen_text).expect("the browser reported the page it ended on");
    assert!(
        v["url"].as_str().unwrap().starts_with("http://127.0.0.1:"),
        "{v}"
    );
    assert!(
        v["text"]
            .as_str()
            .unwrap()
            .contains("return to Connect Launcher"),
        "{v}"
    );
}

#[test]
fn policy_check_names_the_line_and_column() {
    let w = World::new(Options::new(Org::demo()));
    let good = w.tmp.path().join("good.toml");
    std::fs::write(&good, "start_url = \"https://d-9067c2d5a1.awsapps.com/start\"\nregion = \"us-east-1\"\nlocked = [\"start_url\", \"region\"]\n").unwrap();
    let out = w.run(&["policy", "check", good.to_str().unwrap()]);
    ok(&out);
    assert!(text(&out.stdout).contains("is a valid Connect Launcher policy"));
    let bad = w.tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "start_url = \"https://d-9067c2d5a1.awsapps.com/start\"\nregoin = \"us-east-1\"\n",
    )
    .unwrap();
    let out = w.run(&["policy", "check", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let e = text(&out.stderr);
    assert!(e.contains("regoin") && e.contains("line 2"), "{e}");
    let out = w.run(&["policy", "check", "/nonexistent/policy.toml"]);
    assert!(!out.status.success() && text(&out.stderr).contains("there is no file"));
}

#[test]
fn policy_check_reports_every_problem_and_the_launcher_refuses_the_same() {
    let w = World::new(Options::new(Org::demo()));
    let bad = w.tmp.path().join("policy.toml");
    std::fs::write(
        &bad,
        "start_url = \"https://d-9067c2d5a1.awsapps.com/start\"\nregoin = \"us-east-1\"\n\
         warning_lead_minutes = [15, \"soon\"]\nlocked = [\"start_url\", \"colour\"]\n\n\
         [instances.5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11]\npin = true\nregion = \"us-east-1\"\n\
         saml_application = \"ins-1\"\nalias = \"acme_prod\"\n",
    )
    .unwrap();
    let out = w.run(&["policy", "check", bad.to_str().unwrap()]);
    assert!(!out.status.success(), "a broken policy fails the check");
    let e = text(&out.stderr);
    for (what, place) in [
        (
            "unknown setting `regoin`",
            "(line 2, column 1); did you mean `region`?",
        ),
        ("`warning_lead_minutes`", "(line 3, column 24) is not valid"),
        (
            "names `colour`, which is not a setting",
            "(line 4, column 10)",
        ),
        ("alias`", "(line 10, column 9) is not valid"),
    ] {
        assert!(
            e.lines().any(|l| l.contains(what) && l.contains(place)),
            "{what} at {place} in:\n{e}"
        );
    }
    assert!(e.contains("has 4 problems"), "{e}");
    // The launcher reads the same file as its managed policy and refuses to start half-configured,
    // with the same words.
    let status = w.run(&["list"]);
    assert!(!status.status.success());
    let refused = text(&status.stderr);
    let problems = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.trim_start().starts_with("- "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(problems(&refused), problems(&e), "{refused}");
    assert_eq!(problems(&e).len(), 4, "{e}");
}
