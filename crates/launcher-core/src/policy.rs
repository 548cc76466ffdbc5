//! The managed policy: the TOML file IT deploys to set settings and lock them, and where it lives
//! on each platform.
//!
//! Promises: the policy has the same keys as the user's settings plus `locked = [...]`, a list of
//! key names the user's file, the environment and flags may not change, and the fields that pin an
//! instance in its `[instances.<instance id>]` table; every name in `locked` is checked. The lock
//! itself is enforced by [`crate::config::resolve`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::config::{self, ConfigError, Key, Location, Source, SourceFile, Value};

/// An operating-system family, for the standard paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux and the BSDs.
    Linux,
    /// macOS.
    MacOs,
    /// Windows.
    Windows,
}

impl Platform {
    /// The platform this build runs on.
    pub fn current() -> Self {
        if cfg!(target_os = "windows") {
            Self::Windows
        } else if cfg!(target_os = "macos") {
            Self::MacOs
        } else {
            Self::Linux
        }
    }
}

/// The managed policy file. `base` is `/` on Linux and macOS and `%ProgramData%` on Windows in
/// production; tests pass a temporary folder.
///
/// - Linux: `{base}/etc/connect-launcher/policy.toml`
/// - macOS: `{base}/Library/Application Support/ConnectLauncher/policy.toml`
/// - Windows: `{base}\ConnectLauncher\policy.toml`
pub fn managed_policy_path(platform: Platform, base: &Path) -> PathBuf {
    let parts: &[&str] = match platform {
        Platform::Linux => &["etc", "connect-launcher", "policy.toml"],
        Platform::MacOs => &[
            "Library",
            "Application Support",
            "ConnectLauncher",
            "policy.toml",
        ],
        Platform::Windows => &["ConnectLauncher", "policy.toml"],
    };
    parts
        .iter()
        .fold(base.to_owned(), |path, part| path.join(part))
}

/// The standard locations of both settings files on this computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardPaths {
    /// The managed policy.
    pub policy: PathBuf,
    /// The user's settings file, if the platform has a config folder.
    pub user: Option<PathBuf>,
}

impl StandardPaths {
    /// The production locations (reads `%ProgramData%` on Windows and the platform's config folder).
    pub fn for_this_computer() -> Self {
        let platform = Platform::current();
        let base = match platform {
            Platform::Windows => std::env::var_os("ProgramData")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData")),
            Platform::Linux | Platform::MacOs => PathBuf::from("/"),
        };
        Self {
            policy: managed_policy_path(platform, &base),
            user: dirs::config_dir().map(|dir| config::user_settings_path(&dir)),
        }
    }
}

/// A parsed managed policy.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) path: PathBuf,
    pub(crate) values: Vec<(Value, Location)>,
    pub(crate) locked: BTreeSet<Key>,
}

/// Checks a managed policy file as the launcher would read it: every problem, each with its line
/// and column, is in the error ([`ConfigError::problems`]); the app refuses the file with the
/// same error.
pub fn check(file: &SourceFile) -> Result<(), ConfigError> {
    Policy::parse(file, false).map(|_| ())
}

impl Policy {
    /// The policy, or every problem in it (a file that is not TOML is one problem).
    pub(crate) fn parse(file: &SourceFile, allow_loopback: bool) -> Result<Self, ConfigError> {
        let mut parsed = config::parse_file(
            file,
            Source::Policy(file.path.clone()),
            true,
            allow_loopback,
        )?;
        let mut locked = BTreeSet::new();
        for (name, at) in parsed.locked {
            match Key::from_name(&name) {
                Some(key) => {
                    locked.insert(key);
                }
                None => parsed.problems.push(config::unknown_locked_key(name, at)),
            }
        }
        if !parsed.problems.is_empty() {
            return Err(ConfigError::from_problems(&file.path, parsed.problems));
        }
        Ok(Self {
            path: file.path.clone(),
            values: parsed.values,
            locked,
        })
    }

    pub(crate) fn locks(&self, key: Key) -> bool {
        self.locked.contains(&key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_paths_per_platform_under_a_base() {
        let base = Path::new("/base");
        assert_eq!(
            managed_policy_path(Platform::Linux, base),
            Path::new("/base/etc/connect-launcher/policy.toml")
        );
        assert_eq!(
            managed_policy_path(Platform::MacOs, base),
            Path::new("/base/Library/Application Support/ConnectLauncher/policy.toml")
        );
        assert_eq!(
            managed_policy_path(Platform::Windows, base),
            base.join("ConnectLauncher").join("policy.toml")
        );
        assert_eq!(
            managed_policy_path(Platform::Linux, Path::new("/")),
            Path::new("/etc/connect-launcher/policy.toml")
        );
    }
}
