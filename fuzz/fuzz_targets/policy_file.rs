//! The managed policy, and a user file under it: text from a file IT (or anyone who can write it)
//! controls.
//!
//! The input is the policy's text, optionally followed by a NUL byte and a user settings file.
//! Invariants: a policy `policy::check` accepts, the launcher also accepts when it reads it (the
//! check and the read agree); a key the policy locks never takes its value from the user's file;
//! every refusal says something, and a syntax error points inside the text.
#![no_main]

use std::path::PathBuf;

use launcher_core::config::{resolve, ConfigError, Key, Layers, Source, SourceFile};
use launcher_core::policy;
use launcher_fuzz::assert_says_something;
use libfuzzer_sys::fuzz_target;

fn check_error(err: &ConfigError, text: &str) {
    assert_says_something(err);
    if let ConfigError::Syntax { line, column, .. } = err {
        assert!(*line >= 1 && *line <= text.lines().count() + 1, "{err}");
        assert!(*column >= 1, "{err}");
    }
}

fuzz_target!(|data: &[u8]| {
    let (policy_bytes, user_bytes) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    let Ok(policy_text) = std::str::from_utf8(policy_bytes) else {
        return;
    };
    let policy = SourceFile {
        path: PathBuf::from("/etc/connect-launcher/policy.toml"),
        text: policy_text.to_owned(),
    };
    let layers = Layers {
        policy: Some(policy.clone()),
        ..Layers::default()
    };
    match policy::check(&policy) {
        Err(err) => {
            check_error(&err, policy_text);
            assert!(
                resolve(&layers).is_err(),
                "the check refused what the read accepts"
            );
            return;
        }
        Ok(()) => {
            if let Err(err) = resolve(&layers) {
                panic!("policy::check accepted a policy the launcher refuses: {err}");
            }
        }
    }

    let Some(Ok(user_text)) = user_bytes.map(std::str::from_utf8) else {
        return;
    };
    let user_path = PathBuf::from("/home/agent/.config/connect-launcher/settings.toml");
    let layers = Layers {
        user: Some(SourceFile {
            path: user_path.clone(),
            text: user_text.to_owned(),
        }),
        ..layers
    };
    match resolve(&layers) {
        Err(err) => assert_says_something(&err),
        Ok(resolved) => {
            for key in Key::ALL {
                if resolved.is_locked(key) {
                    assert_ne!(
                        resolved.source(key),
                        &Source::UserFile(user_path.clone()),
                        "the user's file set `{}`, which the policy locks",
                        key.name()
                    );
                }
            }
        }
    }
});
