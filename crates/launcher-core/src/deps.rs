//! Everything launcher-core needs from outside, in one bundle: the clock, the HTTP client, the
//! secret store, the browser, the directories and the environment.
//!
//! Promises: production builds it once with [`Deps::production`]; tests build one whose clock is
//! manual, whose directories are temporary and whose environment is a map, so no test can touch
//! the real home folder, the real clock or the process environment by accident.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::browser::Opener;
use crate::clock::Clock;
use crate::http::Http;
use crate::keychain::SecretStore;

/// The folders launcher-core reads and writes.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// The user's home (for `~/.aws`).
    pub home: PathBuf,
    /// Non-secret state: session facts, the catalog cache, launches.
    pub state: PathBuf,
    /// The user's settings folder (`settings.toml`).
    pub config: PathBuf,
    /// The machine-wide managed policy file.
    pub policy_file: PathBuf,
}

/// Points at another managed policy file (IT's staging, and tests).
pub const POLICY_FILE_ENV: &str = "CONNECT_LAUNCHER_POLICY_FILE";
/// Keeps this copy's keychain entries under another service name (isolated copies, tests).
pub const KEYCHAIN_SERVICE_ENV: &str = "CONNECT_LAUNCHER_KEYCHAIN_SERVICE";
/// Environment variables of ours that are not settings.
pub const NON_SETTING_ENV: [&str; 4] = [
    POLICY_FILE_ENV,
    KEYCHAIN_SERVICE_ENV,
    crate::endpoints::WEB_ENDPOINT_ENV,
    "CONNECT_LAUNCHER_LOG",
];

impl Dirs {
    /// The standard places on this computer, or `None` when the home folder is unknown.
    pub fn for_this_user(env: &BTreeMap<String, String>) -> Option<Dirs> {
        let home = dirs::home_dir()?;
        let state = dirs::state_dir()
            .or_else(dirs::data_local_dir)?
            .join("connect-launcher");
        let config = dirs::config_dir()?.join("connect-launcher");
        let policy_file = match env.get(POLICY_FILE_ENV).filter(|p| !p.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => crate::policy::StandardPaths::for_this_computer().policy,
        };
        Some(Dirs {
            home,
            state,
            config,
            policy_file,
        })
    }

    /// The user's settings file, `settings.toml` in [`Dirs::config`].
    pub fn user_settings(&self) -> PathBuf {
        self.config.join(crate::config::USER_SETTINGS_FILE)
    }

    /// Where the AWS CLI keeps its SSO cache.
    pub fn aws_sso_cache(&self) -> PathBuf {
        crate::aws_cli_cache::cache_dir(&self.home)
    }
}

/// The bundle.
#[derive(Debug, Clone)]
pub struct Deps {
    pub clock: Arc<dyn Clock>,
    pub http: Http,
    pub store: Arc<dyn SecretStore>,
    pub opener: Arc<dyn Opener>,
    pub dirs: Dirs,
    /// A snapshot of the environment variables launcher-core honours.
    pub env: BTreeMap<String, String>,
}

impl Deps {
    /// The real clock, keychain, browser, folders and environment.
    pub fn production() -> Result<Deps, &'static str> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let dirs = Dirs::for_this_user(&env)
            .ok_or("cannot find your home folder; set HOME (or USERPROFILE on Windows)")?;
        let store = match env.get(KEYCHAIN_SERVICE_ENV).filter(|s| !s.is_empty()) {
            Some(service) => crate::keychain::OsKeychain::with_service(service.clone()),
            None => crate::keychain::OsKeychain::new(),
        };
        let opener = crate::browser::SystemBrowser {
            env_browser: env.get("BROWSER").cloned(),
            configured: None,
        };
        Ok(Deps {
            clock: Arc::new(crate::clock::SystemClock),
            http: Http::new(),
            store: Arc::new(store),
            opener: Arc::new(opener),
            dirs,
            env,
        })
    }

    /// The settings from every layer: defaults, the managed policy, the user's file, our
    /// environment variables and `flags`.
    pub fn settings(
        &self,
        flags: crate::config::Flags,
    ) -> Result<crate::config::Resolved, crate::config::ConfigError> {
        use crate::config::{resolve, Layers, SourceFile};
        let layers = Layers {
            policy: SourceFile::read(&self.dirs.policy_file)?,
            user: SourceFile::read(&self.dirs.user_settings())?,
            env: self.env.clone(),
            flags,
            allow_loopback_start_url: false,
        };
        resolve(&layers)
    }
}
