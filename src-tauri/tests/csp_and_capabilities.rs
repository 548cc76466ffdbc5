//! The window's security boundary, read from the files the app is built from: the CSP in
//! `tauri.conf.json` and the capability files. Fails when either widens: a wildcard, `unsafe-*`,
//! a remote origin, a scheme that was not there, a new directive source, a remote capability, a
//! window or webview wildcard, or any permission beyond what the window uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn config() -> Value {
    read_json(&crate_dir().join("tauri.conf.json"))
}

/// The sources each directive may have. A directive missing here may not appear at all.
fn allowed_sources() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    BTreeMap::from([
        ("default-src", BTreeSet::from(["'self'"])),
        ("script-src", BTreeSet::from(["'self'"])),
        ("style-src", BTreeSet::from(["'self'"])),
        ("img-src", BTreeSet::from(["'self'", "data:"])),
        ("font-src", BTreeSet::from(["'self'"])),
        // Tauri's IPC: the custom `ipc:` scheme, and `http://ipc.localhost` where the platform
        // maps custom schemes to http (Windows, Android). Nothing else may be reached.
        (
            "connect-src",
            BTreeSet::from(["ipc:", "http://ipc.localhost"]),
        ),
        ("object-src", BTreeSet::from(["'none'"])),
        ("base-uri", BTreeSet::from(["'none'"])),
        ("form-action", BTreeSet::from(["'none'"])),
        ("frame-src", BTreeSet::from(["'none'"])),
        ("frame-ancestors", BTreeSet::from(["'none'"])),
    ])
}

/// Directives that must be present (the rest fall back to `default-src 'self'`).
const REQUIRED: [&str; 6] = [
    "default-src",
    "script-src",
    "connect-src",
    "object-src",
    "base-uri",
    "frame-ancestors",
];

/// The CSP as directive → sources, from either of Tauri's forms (a string or a map); an error
/// when it is unset or of another shape.
fn directives(csp: &Value) -> Result<BTreeMap<String, Vec<String>>, String> {
    let split = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    match csp {
        Value::String(s) => Ok(s
            .split(';')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                let mut words = split(d);
                let name = words.remove(0);
                (name, words)
            })
            .collect()),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let sources = match v {
                    Value::String(s) => split(s),
                    Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map(str::to_owned).ok_or(format!("{k}: {x}")))
                        .collect::<Result<_, _>>()?,
                    other => return Err(format!("the CSP directive {k} is {other}, not sources")),
                };
                Ok((k.clone(), sources))
            })
            .collect(),
        other => Err(format!(
            "the CSP must be set (a string or a map of directives), not {other}"
        )),
    }
}

/// Why a CSP is wider than allowed; empty when it is not.
fn csp_problems(csp: &Value) -> Vec<String> {
    let allowed = allowed_sources();
    let found = match directives(csp) {
        Ok(found) => found,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    for name in REQUIRED {
        if !found.contains_key(name) {
            problems.push(format!("the CSP has no {name}"));
        }
    }
    for (name, sources) in &found {
        let Some(ok) = allowed.get(name.as_str()) else {
            problems.push(format!(
                "the CSP has a directive {name} that was not reviewed"
            ));
            continue;
        };
        for s in sources {
            let lower = s.to_ascii_lowercase();
            if lower.contains('*') {
                problems.push(format!("{name} has a wildcard: {s}"));
            } else if lower.contains("unsafe") {
                problems.push(format!("{name} allows {s}"));
            } else if !ok.contains(s.as_str()) {
                problems.push(format!("{name} allows {s}, which was not reviewed"));
            }
        }
    }
    problems
}

#[test]
fn the_csp_is_set_and_strict() {
    let c = config();
    let security = &c["app"]["security"];
    let problems = csp_problems(&security["csp"]);
    assert!(problems.is_empty(), "{problems:#?}");
    if let Some(dev) = security.get("devCsp").filter(|v| !v.is_null()) {
        let problems = csp_problems(dev);
        assert!(problems.is_empty(), "devCsp: {problems:#?}");
    }
    assert_ne!(
        security.get("dangerousDisableAssetCspModification"),
        Some(&Value::Bool(true)),
        "Tauri must keep adding its nonces and hashes to the CSP"
    );
    assert_eq!(security["freezePrototype"], Value::Bool(true));
    assert_eq!(
        security["assetProtocol"]["enable"],
        Value::Bool(false),
        "the asset protocol would let the window read files"
    );
    assert!(
        security.get("dangerousRemoteDomainIpcAccess").is_none(),
        "no remote domain may reach the IPC"
    );
}

#[test]
fn the_window_shows_only_the_embedded_ui() {
    let c = config();
    assert_eq!(c["app"]["withGlobalTauri"], Value::Bool(false));
    assert!(
        c["build"].get("devUrl").is_none(),
        "no dev server: the app embeds ui/dist"
    );
    let dist = c["build"]["frontendDist"].as_str().expect("frontendDist");
    assert!(
        !dist.contains("://"),
        "frontendDist must be a local folder, not {dist}"
    );
    for w in c["app"]["windows"].as_array().expect("windows") {
        if let Some(url) = w.get("url").and_then(Value::as_str) {
            assert!(
                !url.contains("://"),
                "a window may not load remote content: {url}"
            );
        }
    }
}

/// Every permission the window may have: the app's commands and listening to its events.
const ALLOWED_PERMISSIONS: [&str; 14] = [
    "core:event:allow-listen",
    "core:event:allow-unlisten",
    "allow-app-state",
    "allow-sign-in",
    "allow-cancel-sign-in",
    "allow-sign-out",
    "allow-catalog",
    "allow-launch",
    "allow-relaunch",
    "allow-clocks",
    "allow-set-favourite",
    "allow-preferences",
    "allow-set-preferences",
    "allow-window-ready",
];

fn capability_files() -> Vec<PathBuf> {
    let dir = crate_dir().join("capabilities");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    files
}

/// Why a capability is wider than allowed; empty when it is not.
fn capability_problems(cap: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let id = cap["identifier"].as_str().unwrap_or("?");
    if cap.get("remote").is_some() {
        problems.push(format!(
            "{id}: a remote capability lets web pages call the app"
        ));
    }
    if cap.get("local") == Some(&Value::Bool(false)) {
        problems.push(format!("{id}: not limited to local content"));
    }
    if cap["windows"] != serde_json::json!(["main"]) {
        problems.push(format!(
            "{id}: windows must be exactly [\"main\"], not {}",
            cap["windows"]
        ));
    }
    if cap.get("webviews").is_some() {
        problems.push(format!("{id}: names webviews"));
    }
    if cap.get("platforms").is_some() {
        problems.push(format!("{id}: differs by platform"));
    }
    for p in cap["permissions"].as_array().into_iter().flatten() {
        match p.as_str() {
            Some(name) if ALLOWED_PERMISSIONS.contains(&name) => {}
            Some(name) => problems.push(format!("{id}: the permission {name} was not reviewed")),
            None => problems.push(format!("{id}: a scoped permission {p} was not reviewed")),
        }
    }
    problems
}

#[test]
fn the_capabilities_grant_only_what_the_window_uses() {
    let files = capability_files();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["main.json"], "one capability file, reviewed here");
    let cap = read_json(&files[0]);
    let problems = capability_problems(&cap);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(
        config()["app"]["security"]["capabilities"],
        serde_json::json!(["main"]),
        "the config names the capabilities it enables, so no stray file is picked up"
    );
}

#[test]
fn the_checks_catch_a_wider_csp_and_capability() {
    for wide in [
        serde_json::json!(null),
        serde_json::json!("default-src 'self'; script-src 'self' 'unsafe-eval'; connect-src ipc: http://ipc.localhost; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
        serde_json::json!("default-src *; script-src 'self'; connect-src ipc: http://ipc.localhost; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
        serde_json::json!("default-src 'self'; script-src 'self'; connect-src ipc: http://ipc.localhost https://portal.sso.us-east-1.amazonaws.com; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
        serde_json::json!("default-src 'self'; script-src 'self'; connect-src ipc: http://ipc.localhost; base-uri 'none'; frame-ancestors 'none'"),
        serde_json::json!({"default-src": "'self'", "script-src": "'self' 'unsafe-inline'", "connect-src": "ipc: http://ipc.localhost", "object-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'"}),
        serde_json::json!({"default-src": "'self'", "script-src": "'self'", "connect-src": "ipc: http://ipc.localhost", "object-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'", "worker-src": "blob:"}),
    ] {
        assert!(!csp_problems(&wide).is_empty(), "not caught: {wide}");
    }
    let base = read_json(&crate_dir().join("capabilities/main.json"));
    let widen = |f: &dyn Fn(&mut Value)| {
        let mut c = base.clone();
        f(&mut c);
        c
    };
    for wide in [
        widen(&|c| {
            c["permissions"]
                .as_array_mut()
                .unwrap()
                .push("core:default".into())
        }),
        widen(&|c| {
            c["permissions"]
                .as_array_mut()
                .unwrap()
                .push("shell:allow-open".into())
        }),
        widen(&|c| c["windows"] = serde_json::json!(["*"])),
        widen(&|c| c["remote"] = serde_json::json!({"urls": ["https://*.amazonaws.com"]})),
        widen(&|c| {
            c["permissions"].as_array_mut().unwrap().push(
                serde_json::json!({"identifier": "fs:allow-read", "allow": [{"path": "$HOME/**"}]}),
            )
        }),
    ] {
        assert!(!capability_problems(&wide).is_empty(), "not caught: {wide}");
    }
}
