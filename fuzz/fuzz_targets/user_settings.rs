//! The user's settings file: text anyone at the keyboard can write.
//!
//! Invariants: reading is deterministic; a user file locks nothing and every setting comes from the
//! file or the built-in default; every refusal says something, and a syntax error points inside
//! the text.
#![no_main]

use std::path::PathBuf;

use launcher_core::config::{resolve, ConfigError, Key, Layers, Source, SourceFile};
use launcher_fuzz::assert_says_something;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = PathBuf::from("/home/agent/.config/connect-launcher/settings.toml");
    let layers = Layers {
        user: Some(SourceFile {
            path: path.clone(),
            text: text.to_owned(),
        }),
        ..Layers::default()
    };
    match resolve(&layers) {
        Err(err) => {
            assert_says_something(&err);
            if let ConfigError::Syntax { line, column, .. } = &err {
                assert!(*line >= 1 && *line <= text.lines().count() + 1, "{err}");
                assert!(*column >= 1, "{err}");
            }
            assert!(
                err.to_string().contains(&path.display().to_string()),
                "the error does not name the file: {err}"
            );
        }
        Ok(resolved) => {
            assert_eq!(resolve(&layers).ok(), Some(resolved.clone()));
            for key in Key::ALL {
                assert!(!resolved.is_locked(key));
                let source = resolved.source(key);
                assert!(
                    matches!(source, Source::Default) || source == &Source::UserFile(path.clone()),
                    "`{}` came from {source}",
                    key.name()
                );
            }
            assert!(resolved.policy_path().is_none());
        }
    }
});
