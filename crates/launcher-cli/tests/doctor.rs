//! `connect-launcher doctor` against the emulator and the real keychain: the human report, the
//! `--json` shape, and the exit status with and without a failing check.

mod support;

use aws_emulator::{Options, Org};
use support::{ok, text, World, ALEX};

const IDS: [&str; 7] = [
    "policy",
    "keychain",
    "session",
    "clock-skew",
    "network",
    "browser",
    "endpoint-test",
];

/// Signed in as Alex, with the instance list saved.
fn signed_in() -> World {
    let w = World::new(Options::new(Org::demo()).auto_approve(ALEX));
    w.login();
    ok(&w.run(&["list"]));
    w
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)))
}

#[test]
fn doctor_passes_on_a_healthy_computer_in_words_and_json() {
    let w = signed_in();

    let out = w.run(&["doctor", "--json"]);
    ok(&out);
    let v = json(&out);
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.sort();
    assert_eq!(keys, ["checks", "endpoint_test_url"], "{v}");
    let checks = v["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, IDS, "{v}");
    for c in checks {
        let mut keys: Vec<&String> = c.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["fix", "id", "status", "summary"], "{c}");
        assert_eq!(c["status"], "pass", "{c}");
        assert!(!c["summary"].as_str().unwrap().is_empty(), "{c}");
    }
    assert_eq!(checks[1]["fix"], serde_json::Value::Null);
    assert!(
        checks[4]["summary"]
            .as_str()
            .unwrap()
            .contains("(all emulated on this computer): oidc.us-east-1.amazonaws.com, "),
        "{v}"
    );

    // The utility is filled in with the first instance of the saved list that has an alias.
    let listed = json(&w.run(&["list", "--json"]));
    let alias = listed
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e["alias"].as_str())
        .expect("an instance with an alias");
    assert_eq!(
        v["endpoint_test_url"],
        format!(
            "https://www.connect-tools.net/endpoint-test/?connectInstanceUrl=https%3A%2F%2F{alias}.my.connect.aws"
        )
    );

    let out = w.run(&["doctor"]);
    ok(&out);
    let human = text(&out.stdout);
    let lines: Vec<&str> = human.lines().collect();
    for (line, id) in lines.iter().zip(IDS) {
        assert!(line.starts_with(&format!("pass  {id:13}  ")), "{human}");
    }
    assert!(
        lines[0].starts_with("pass  policy         the settings resolve: no managed policy; "),
        "{human}"
    );
    assert!(
        lines.contains(
            &"                     next: open it in the browser the agent uses: it tests WebRTC, \
              the microphone, latency to the instance and the media ports (UDP 3478), which this \
              command cannot"
        ),
        "{human}"
    );
    assert_eq!(
        lines.last(),
        Some(&"7 passed, 0 warnings, 0 failed"),
        "{human}"
    );
}

#[test]
fn doctor_exits_non_zero_on_a_failing_check() {
    let w = signed_in();
    let out = w
        .cmd(&["doctor", "--json"])
        .env("AWS_ENDPOINT_URL_SSO_OIDC", "https://doctor-test.invalid:1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = json(&out);
    let network = &v["checks"][4];
    assert_eq!(network["id"], "network");
    assert_eq!(network["status"], "fail");
    assert!(
        network["summary"].as_str().unwrap().contains(
            "oidc.us-east-1.amazonaws.com (at doctor-test.invalid:1, set by \
             AWS_ENDPOINT_URL_SSO_OIDC), IAM Identity Center sign-in: cannot resolve \
             doctor-test.invalid"
        ),
        "{v}"
    );
    assert!(
        network["fix"]
            .as_str()
            .unwrap()
            .starts_with("allow DNS and TCP 443 out to these hosts"),
        "{v}"
    );
    assert!(
        text(&out.stderr).contains("connect-launcher: the network check failed"),
        "{}",
        text(&out.stderr)
    );

    let out = w
        .cmd(&["doctor"])
        .env("AWS_ENDPOINT_URL_SSO_OIDC", "https://doctor-test.invalid:1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let human = text(&out.stdout);
    assert!(human.contains("\nfail  network        1 of "), "{human}");
    assert!(
        human.contains("\n                     fix: allow DNS and TCP 443 out"),
        "{human}"
    );
    assert!(
        human.ends_with("6 passed, 0 warnings, 1 failed\n"),
        "{human}"
    );
}
