//! The shell's long-lived state, built once in `setup` and managed by Tauri: the outside world
//! (`Deps`), the resolved settings, the endpoints of the signed-in region, the pending
//! sign-in (so it can be cancelled) and the bells that wake the clocks watcher and the background
//! catalog refresh.
//!
//! Promises: settings are resolved once per run (a broken policy file is kept as the error every
//! command then reports, so the window can say what is wrong), and again only when the window
//! saves preferences, whose resolved result replaces them whole (readers hold an `Arc` of one
//! version, never a mix) and wakes the clocks watcher; reading state (facts, launches, the
//! cached catalog) never touches the keychain; at most one sign-in is pending, and a newer one
//! cancels the older; everything here calls launcher-core and decides nothing itself. Where a flow
//! still needs several core calls in a row, the method says which launcher-core call it waits on.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use launcher_core::catalog::{CacheRead, CatalogEntry};
use launcher_core::clocks::{self, Deadline};
use launcher_core::config::{ConfigError, Flags, Resolved};
use launcher_core::deps::Deps;
use launcher_core::endpoints::Endpoints;
use launcher_core::launch::{self, LaunchRequest};
use launcher_core::launches::{self, Launch};
use launcher_core::oidc::OidcClient;
use launcher_core::region::Region;
use launcher_core::session::{epoch, Facts, Sessions};
use launcher_core::settings_file::{self, SettingsChange};
use launcher_core::signin::{Flow, SignInOptions};
use launcher_core::start_url::StartUrl;
use tokio::sync::{oneshot, Notify};

use crate::ipc::{ErrorCode, IpcError, IpcResult};

/// The managed state.
#[derive(Debug)]
pub struct Shell {
    deps: Deps,
    settings: RwLock<Result<Arc<Resolved>, ConfigError>>,
    endpoints: Mutex<Option<Endpoints>>,
    pending_sign_in: Mutex<Option<oneshot::Sender<()>>>,
    refreshing: AtomicBool,
    clocks_changed: Arc<Notify>,
    session_changed: Arc<Notify>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shell {
    /// Resolves the settings once and fits the sign-in browser to them (a launch picks the
    /// instance's own browser).
    pub fn new(deps: Deps) -> Shell {
        let settings = deps.settings(Flags::default());
        let mut deps = deps;
        if let Ok(resolved) = &settings {
            if let Some(browser) = &resolved.settings.browser {
                let env_browser = deps.env.get("BROWSER").cloned().filter(|b| !b.is_empty());
                deps.opener = Arc::new(launcher_core::browser::SystemBrowser {
                    env_browser,
                    configured: Some(browser.clone()),
                });
            }
        }
        Shell {
            deps,
            settings: RwLock::new(settings.map(Arc::new)),
            endpoints: Mutex::new(None),
            pending_sign_in: Mutex::new(None),
            refreshing: AtomicBool::new(false),
            clocks_changed: Arc::new(Notify::new()),
            session_changed: Arc::new(Notify::new()),
        }
    }

    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    /// Epoch seconds, from the injected clock.
    pub fn now(&self) -> u64 {
        epoch(self.deps.clock.now())
    }

    /// The settings as resolved now (one version, whole).
    pub fn resolved(&self) -> IpcResult<Arc<Resolved>> {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .map_err(IpcError::from)
    }

    /// IT's portal session length, when the settings say.
    pub fn portal_session_hours(&self) -> Option<u32> {
        self.resolved()
            .ok()
            .and_then(|r| r.settings.portal_session_hours)
    }

    /// The lead times to warn at.
    pub fn lead_minutes(&self) -> Vec<u32> {
        self.resolved()
            .map(|r| r.settings.warning_lead_minutes.clone())
            .unwrap_or_else(|_| launcher_core::config::DEFAULT_WARNING_LEAD_MINUTES.to_vec())
    }

    /// Saves preferences to the user's settings file (`settings_file::save`, which refuses a key
    /// the policy locks and an invalid value, writing nothing), then uses the settings resolved
    /// with them from now on and wakes the clocks watcher so new lead times apply.
    pub fn save_settings(&self, change: &SettingsChange) -> IpcResult<()> {
        if change.is_empty() {
            return Ok(());
        }
        let resolved = settings_file::save(&self.deps, change)?;
        *self
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Ok(Arc::new(resolved));
        self.clocks_changed();
        Ok(())
    }

    /// The session's facts (never the keychain).
    pub fn facts(&self) -> IpcResult<Option<Facts>> {
        Ok(Sessions::new(&self.deps).facts()?)
    }

    /// The facts, or `not_signed_in`.
    pub fn signed_in(&self) -> IpcResult<Facts> {
        self.facts()?.ok_or_else(IpcError::not_signed_in)
    }

    pub fn launches(&self) -> Vec<Launch> {
        launches::load(&self.deps.dirs.state)
    }

    /// The starred instance ids (a damaged file counts as none).
    pub fn favourites(&self) -> BTreeSet<String> {
        launcher_core::favourites::load(&self.deps.dirs.state)
    }

    /// Stars or unstars an instance.
    pub fn set_favourite(&self, instance_id: &str, favourite: bool) -> IpcResult<()> {
        Ok(launcher_core::favourites::set(
            &self.deps.dirs.state,
            instance_id,
            favourite,
        )?)
    }

    /// The cached catalog's entries (none when nothing usable is cached).
    pub fn cached_entries(&self) -> Vec<CatalogEntry> {
        match launcher_core::discovery::cached(&self.deps) {
            CacheRead::Loaded(c) => c.entries,
            CacheRead::Missing | CacheRead::Ignored { .. } => Vec::new(),
        }
    }

    /// When the cached catalog was fetched (epoch seconds; `None` when nothing usable is cached).
    pub fn cached_fetched_at(&self) -> Option<u64> {
        match launcher_core::discovery::cached(&self.deps) {
            CacheRead::Loaded(c) => Some(epoch(c.fetched_at)),
            CacheRead::Missing | CacheRead::Ignored { .. } => None,
        }
    }

    /// Every deadline now. Waits on launcher-core for the client registration's expiry and the
    /// role credentials' expiries without the keychain (`Sessions::registration_facts`, a
    /// non-secret record of role credential expiries), and then for one `clocks::current(deps,
    /// settings)` that gathers them all.
    pub fn deadlines(&self) -> IpcResult<Vec<Deadline>> {
        Ok(clocks::deadlines(
            self.facts()?.as_ref(),
            None,
            &[],
            &self.launches(),
            self.portal_session_hours(),
        ))
    }

    /// Endpoints for an IdC region (kept for the next call while the region stays the same).
    pub fn endpoints_for(&self, region: Region) -> IpcResult<Endpoints> {
        let mut kept = lock(&self.endpoints);
        if let Some(e) = kept.as_ref().filter(|e| e.idc_region() == region) {
            return Ok(e.clone());
        }
        let e = Endpoints::resolve(region, &self.deps.env)?;
        *kept = Some(e.clone());
        Ok(e)
    }

    /// The endpoints of the signed-in session's region.
    pub fn session_endpoints(&self, facts: &Facts) -> IpcResult<Endpoints> {
        let region = Region::parse(&facts.region).map_err(|e| {
            IpcError::new(
                ErrorCode::SignInAgain,
                format!("the stored session's region is not usable ({e}); sign in again"),
            )
        })?;
        self.endpoints_for(region)
    }

    /// The start URL, region and options for a sign-in the person asked for, checked by the same
    /// layers as the settings (so a key IT locked cannot be changed from the window).
    pub fn sign_in_request(
        &self,
        start_url: &str,
        region: &str,
        device_code: bool,
    ) -> IpcResult<(StartUrl, Region, SignInOptions)> {
        let flags = Flags {
            start_url: Some(start_url.to_owned()),
            region: Some(region.to_owned()).filter(|r| !r.trim().is_empty()),
            use_device_code: Some(device_code),
            ..Flags::default()
        };
        let resolved = self.deps.settings(flags)?;
        let s = resolved.settings;
        let url = s.start_url.ok_or_else(|| {
            IpcError::new(
                ErrorCode::InvalidInput,
                "enter your access portal's start URL",
            )
        })?;
        let region = s.region.or_else(|| url.region_hint()).ok_or_else(|| {
            IpcError::new(
                ErrorCode::InvalidInput,
                "choose the IAM Identity Center region that came with the start URL",
            )
        })?;
        let opts = SignInOptions {
            flow: if s.use_device_code {
                Flow::DeviceCode
            } else {
                Flow::Browser
            },
            export_aws_cli_cache: s.export_aws_cli_cache,
            ..SignInOptions::default()
        };
        Ok((url, region, opts))
    }

    /// Runs a sign-in until it ends or [`Shell::cancel_sign_in`] cancels it.
    pub async fn cancellable<F: Future>(&self, sign_in: F) -> IpcResult<F::Output> {
        let (tx, rx) = oneshot::channel();
        if let Some(older) = lock(&self.pending_sign_in).replace(tx) {
            let _ = older.send(());
        }
        let out = tokio::select! {
            out = sign_in => Ok(out),
            _ = rx => Err(IpcError::new(ErrorCode::Cancelled, "the sign-in was cancelled")),
        };
        let mut pending = lock(&self.pending_sign_in);
        if pending.as_ref().is_some_and(|tx| tx.is_closed()) {
            *pending = None;
        }
        out
    }

    /// Cancels the pending sign-in, if any.
    pub fn cancel_sign_in(&self) {
        if let Some(tx) = lock(&self.pending_sign_in).take() {
            let _ = tx.send(());
        }
    }

    /// Marks a catalog refresh as running; `false` when one already is.
    pub fn start_refreshing(&self) -> bool {
        !self.refreshing.swap(true, Ordering::SeqCst)
    }

    pub fn done_refreshing(&self) {
        self.refreshing.store(false, Ordering::SeqCst);
    }

    pub fn is_refreshing(&self) -> bool {
        self.refreshing.load(Ordering::SeqCst)
    }

    /// Wakes the clocks watcher: the facts or the launches changed.
    pub fn clocks_changed(&self) {
        self.clocks_changed.notify_one();
    }

    /// Wakes the background catalog refresh: someone signed in or out.
    pub fn session_changed(&self) {
        self.session_changed.notify_one();
    }

    /// The bell the background catalog refresh waits on.
    pub fn catalog_bell(&self) -> Arc<Notify> {
        self.session_changed.clone()
    }

    /// The bell the clocks watcher waits on.
    pub fn clocks_bell(&self) -> Arc<Notify> {
        self.clocks_changed.clone()
    }

    /// Opens an instance from the cached catalog and returns when it was launched.
    ///
    /// Waits on launcher-core for one call (`launch::launch(deps, endpoints, instance_id,
    /// request) -> Launch`) that takes the token, prepares, opens and records; until then this
    /// strings the same core calls together as `connect-launcher open` does.
    pub async fn launch(&self, instance_id: &str, destination: Option<String>) -> IpcResult<u64> {
        self.launch_with(instance_id, destination, false).await
    }

    /// Re-launches an instance with `launch::relaunch`: Connect's logout page, a short wait, then a
    /// fresh federation, in the launch's browser, recorded so the 12 h restart.
    pub async fn relaunch(&self, instance_id: &str) -> IpcResult<u64> {
        self.launch_with(instance_id, None, true).await
    }

    async fn launch_with(
        &self,
        instance_id: &str,
        destination: Option<String>,
        again: bool,
    ) -> IpcResult<u64> {
        let facts = self.signed_in()?;
        let endpoints = self.session_endpoints(&facts)?;
        let entries = self.cached_entries();
        let entry = entries
            .iter()
            .find(|e| e.instance_id == instance_id)
            .ok_or_else(|| {
                IpcError::new(
                    ErrorCode::NotFound,
                    format!("{instance_id} is not in the list of instances; refresh the list"),
                )
            })?;
        let start_url = StartUrl::parse(&facts.start_url, true).map_err(|e| {
            IpcError::new(
                ErrorCode::SignInAgain,
                format!("the stored session's start URL is not usable ({e}); sign in again"),
            )
        })?;
        let oidc = OidcClient::new(self.deps.http.clone(), endpoints.oidc().clone());
        let (token, _) = Sessions::new(&self.deps)
            .fresh_access_token(&self.deps, &oidc)
            .await?;
        let resolved = self.resolved()?;
        let request = LaunchRequest {
            destination,
            ..LaunchRequest::for_entry(&resolved.settings, entry)
        };
        let mut deps = self.deps.clone();
        let env_browser = deps.env.get("BROWSER").cloned();
        deps.opener = Arc::new(launch::browser_for(
            &resolved,
            entry,
            env_browser.as_deref(),
        ));
        let prepared = if again {
            launch::relaunch(&deps, &endpoints, &start_url, &token, entry, &request).await?
        } else {
            let prepared =
                launch::prepare(&deps, &endpoints, &start_url, &token, entry, &request).await?;
            launch::open(&deps, entry, &prepared, false)?;
            prepared
        };
        for note in &prepared.notes {
            tracing::info!(note, "launch");
        }
        self.clocks_changed();
        Ok(self.now())
    }

    /// Signs out; with `everywhere`, ends the shift: Connect logout on every instance opened this
    /// shift, the IdC session, and everything of this user on the computer.
    pub async fn sign_out(&self, everywhere: bool) -> IpcResult<()> {
        // A damaged session file must not stop a sign-out, least of all the end of a shift: the
        // core forgets what it may have named. Without a session, the end of a shift still logs
        // out of the Connect instances opened and removes what the last session left.
        let (facts, damaged) = match Sessions::new(&self.deps).facts() {
            Ok(facts) => (facts, false),
            Err(launcher_core::session::SessionError::Corrupt { .. }) => (None, true),
            Err(e) => return Err(e.into()),
        };
        if facts.is_none() && !damaged && !everywhere {
            return Ok(());
        }
        let endpoints = match &facts {
            Some(facts) => self.session_endpoints(facts)?,
            None => self.endpoints_for(
                self.resolved()
                    .ok()
                    .and_then(|r| r.settings.region)
                    .unwrap_or_else(|| Region::parse("us-east-1").expect("a known region")),
            )?,
        };
        if everywhere {
            let report = launcher_core::end_shift::end_shift(&self.deps, &endpoints).await?;
            if !report.not_logged_out.is_empty() {
                tracing::warn!(
                    instances = ?report.not_logged_out,
                    "Connect could not be logged out here; close those tabs by hand"
                );
            }
        } else {
            launcher_core::signin::sign_out(&self.deps, &endpoints, false).await?;
        }
        self.clocks_changed();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::{Duration, SystemTime};

    fn test_deps(dir: &std::path::Path, env: BTreeMap<String, String>) -> Deps {
        Deps {
            clock: Arc::new(launcher_core::clock::ManualClock::new(
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000),
            )),
            http: launcher_core::http::Http::new(),
            store: Arc::new(launcher_core::keychain::MemoryStore::default()),
            opener: Arc::new(launcher_core::browser::SystemBrowser::default()),
            dirs: launcher_core::deps::Dirs {
                home: dir.join("home"),
                state: dir.join("state"),
                config: dir.join("config"),
                policy_file: dir.join("policy.toml"),
            },
            env,
        }
    }

    #[tokio::test]
    async fn a_cancelled_sign_in_ends_with_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let shell = Arc::new(Shell::new(test_deps(dir.path(), BTreeMap::new())));
        let waiting = {
            let shell = shell.clone();
            tokio::spawn(async move { shell.cancellable(std::future::pending::<()>()).await })
        };
        while lock(&shell.pending_sign_in).is_none() {
            tokio::task::yield_now().await;
        }
        shell.cancel_sign_in();
        let err = waiting.await.unwrap().unwrap_err();
        assert_eq!(err.code, ErrorCode::Cancelled);
        assert!(lock(&shell.pending_sign_in).is_none());
    }

    #[tokio::test]
    async fn ending_a_shift_works_on_a_damaged_session_file() {
        use launcher_core::keychain::{EntryKey, MemoryStore, SecretStore};
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("policy.toml"),
            "start_url = \"https://d-1234567890.awsapps.com/start\"\nregion = \"us-east-1\"\n",
        )
        .unwrap();
        let store = Arc::new(MemoryStore::default());
        let mut deps = test_deps(dir.path(), BTreeMap::new());
        deps.store = store.clone();
        let url = StartUrl::parse("https://d-1234567890.awsapps.com/start", false).unwrap();
        store
            .set(
                &EntryKey::session(&url),
                &launcher_core::secret::Secret::new("tokens"),
            )
            .unwrap();
        let facts = dir
            .path()
            .join("state")
            .join(launcher_core::session::FACTS_FILE);
        std::fs::create_dir_all(dir.path().join("state")).unwrap();
        std::fs::write(&facts, b"{\"start_url\": \"ht").unwrap();

        let shell = Shell::new(deps);
        shell.sign_out(true).await.expect("the shift ends");
        assert!(!facts.exists(), "the damaged file is gone");
        assert!(
            store.entry_names().is_empty(),
            "the policy's start URL named the keys to delete: {:?}",
            store.entry_names()
        );
    }

    #[test]
    fn a_locked_start_url_cannot_be_changed_from_the_window() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("policy.toml"),
            "start_url = \"https://d-1234567890.awsapps.com/start\"\nregion = \"us-east-1\"\nlocked = [\"start_url\"]\n",
        )
        .unwrap();
        let shell = Shell::new(test_deps(dir.path(), BTreeMap::new()));
        let err = shell
            .sign_in_request("https://d-0000000000.awsapps.com/start", "us-east-1", false)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Policy, "{err:?}");
        let (url, region, opts) = shell
            .sign_in_request("https://d-1234567890.awsapps.com/start", "", true)
            .unwrap();
        assert_eq!(url.as_str(), "https://d-1234567890.awsapps.com/start");
        assert_eq!(region.as_str(), "us-east-1");
        assert_eq!(opts.flow, Flow::DeviceCode);
    }

    #[test]
    fn nonsense_input_is_invalid_input() {
        let dir = tempfile::tempdir().unwrap();
        let shell = Shell::new(test_deps(dir.path(), BTreeMap::new()));
        let err = shell
            .sign_in_request("d-1234567890", "us-east-1", false)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{err:?}");
        let err = shell
            .sign_in_request("https://d-1234567890.awsapps.com/start", "mars-1", false)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{err:?}");
    }

    #[test]
    fn favourites_are_kept_across_shells_and_shown_in_the_catalog() {
        use launcher_core::catalog::{Catalog as CoreCatalog, CatalogEntry, LaunchMethod};
        let dir = tempfile::tempdir().unwrap();
        let shell = Shell::new(test_deps(dir.path(), BTreeMap::new()));
        shell.set_favourite("i-b", true).unwrap();
        shell.set_favourite("i-a", true).unwrap();
        shell.set_favourite("i-b", false).unwrap();
        let again = Shell::new(test_deps(dir.path(), BTreeMap::new()));
        assert_eq!(again.favourites(), BTreeSet::from(["i-a".to_owned()]));
        let entry = |id: &str| CatalogEntry {
            instance_id: id.into(),
            alias: Some(format!("{id}-alias")),
            region: "eu-west-2".into(),
            account_id: Some("111122223333".into()),
            account_name: None,
            domain: launcher_core::connect::DomainForm::New,
            launch_methods: vec![LaunchMethod::PermissionSet {
                account_id: "111122223333".into(),
                role_name: "ConnectAgent".into(),
            }],
            sources: Vec::new(),
        };
        let core = CoreCatalog {
            entries: vec![entry("i-a"), entry("i-b")],
            warnings: Vec::new(),
            fetched_at: SystemTime::UNIX_EPOCH,
        };
        let view = crate::ipc::Catalog::new(&core, &[], &again.favourites(), false);
        let starred: Vec<(&str, bool)> = view
            .entries
            .iter()
            .map(|e| (e.instance_id.as_str(), e.favourite))
            .collect();
        assert_eq!(starred, [("i-a", true), ("i-b", false)]);
    }

    #[test]
    fn saved_preferences_are_used_at_once_and_locked_or_invalid_ones_are_refused() {
        use launcher_core::settings_file::{FieldChange, InstanceChange};
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("policy.toml"),
            "default_destination = \"agent-workspace\"\nlocked = [\"default_destination\", \"instances\"]\n",
        )
        .unwrap();
        let shell = Shell::new(test_deps(dir.path(), BTreeMap::new()));
        let bell = shell.clocks_bell();
        let rung = bell.notified();
        tokio::pin!(rung);
        rung.as_mut().enable();
        assert_eq!(shell.lead_minutes(), [60, 15, 5]);
        shell
            .save_settings(&SettingsChange {
                warning_lead_minutes: Some(vec![10, 30]),
                instances: Vec::new(),
            })
            .unwrap();
        assert_eq!(shell.lead_minutes(), [30, 10]);
        assert_eq!(
            shell.resolved().unwrap().settings.warning_lead_minutes,
            [30, 10]
        );
        assert!(
            futures_ready(rung.as_mut()),
            "saving wakes the clocks watcher"
        );
        assert_eq!(
            std::fs::read_to_string(shell.deps().dirs.user_settings()).unwrap(),
            "warning_lead_minutes = [30, 10]\n"
        );
        let err = shell
            .save_settings(&SettingsChange {
                warning_lead_minutes: None,
                instances: vec![InstanceChange {
                    instance_id: "i-a".into(),
                    alias: Some("acme-prod".into()),
                    browser: FieldChange::Set("firefox".into()),
                    destination: FieldChange::Keep,
                }],
            })
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Policy, "{err:?}");
        assert!(err.message.starts_with("`instances` is locked"), "{err:?}");
        let err = shell
            .save_settings(&SettingsChange {
                warning_lead_minutes: Some(vec![0]),
                instances: Vec::new(),
            })
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{err:?}");
        assert_eq!(shell.lead_minutes(), [30, 10]);
        assert_eq!(
            std::fs::read_to_string(shell.deps().dirs.user_settings()).unwrap(),
            "warning_lead_minutes = [30, 10]\n"
        );
    }

    /// Whether a future is ready on its first poll.
    fn futures_ready<F: Future>(f: std::pin::Pin<&mut F>) -> bool {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        f.poll(&mut cx).is_ready()
    }

    #[test]
    fn not_signed_in_means_no_deadlines_and_not_signed_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let shell = Shell::new(test_deps(dir.path(), BTreeMap::new()));
        assert_eq!(shell.deadlines().unwrap(), []);
        assert_eq!(shell.signed_in().unwrap_err().code, ErrorCode::NotSignedIn);
    }
}
