//! The signed-in session: its secrets in the keychain, its non-secret facts in a plain file, and
//! the silent refresh that keeps the access token valid.
//!
//! Promises: reading the session's facts (for `status`, the tray, the clocks) never touches the
//! keychain; secrets are written only through [`crate::keychain`]; facts files are written
//! atomically; only one refresh runs at a time, across threads and processes; a failed refresh
//! keeps a still-valid token; a refused refresh (`InvalidGrantException`) ends in "sign in again",
//! never in a browser opening by itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::deps::Deps;
use crate::keychain::{EntryKey, KeychainError, SecretStore};
use crate::oidc::{ClientKind, OidcClient, OidcError, Registration, Tokens};
use crate::secret::Secret;
use crate::start_url::StartUrl;

/// Refresh the access token when less than this is left.
pub const REFRESH_AHEAD: Duration = Duration::from_secs(10 * 60);
/// After a failed refresh, wait this long before trying again.
pub const MIN_REFRESH_GAP: Duration = Duration::from_secs(30);
/// A client registration is renewed when less than this is left (as the AWS CLI does).
pub const REGISTRATION_RENEW_AHEAD: Duration = Duration::from_secs(15 * 60);
/// The portal session length AWS gives when IT has not changed it.
pub const DEFAULT_PORTAL_SESSION: Duration = Duration::from_secs(8 * 3600);
/// The facts file, in the state folder.
pub const FACTS_FILE: &str = "session.json";
/// The registration facts file, in the state folder.
pub const REGISTRATION_FILE: &str = "registration.json";
/// The lock file that keeps refreshes one at a time across processes.
pub const REFRESH_LOCK_FILE: &str = "refresh.lock";

/// Seconds since the epoch.
pub fn epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Where a session came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Our own browser sign-in.
    AuthorizationCode,
    /// Our own device-code sign-in.
    DeviceCode,
    /// Taken over from a valid `~/.aws/sso/cache` token of the AWS CLI.
    AwsCliCache,
}

/// What anyone may know about the session without the keychain. No secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub start_url: String,
    pub region: String,
    /// Who signed in, when the portal said (`/user`).
    #[serde(default)]
    pub user: Option<String>,
    pub origin: Origin,
    /// Epoch seconds of the interactive sign-in (the portal session's start).
    pub signed_in_at: u64,
    /// Epoch seconds when the current access token expires.
    pub access_expires_at: u64,
    /// Whether a refresh token is held.
    pub refreshable: bool,
    /// Epoch seconds of the last refresh that failed, if the last attempt failed.
    #[serde(default)]
    pub refresh_failed_at: Option<u64>,
    /// Epoch seconds when IdC refused to renew: the portal session is over.
    #[serde(default)]
    pub portal_session_ended_at: Option<u64>,
    /// The AWS CLI cache file we wrote (opt-in), to remove at sign-out.
    #[serde(default)]
    pub exported_cli_cache: Option<PathBuf>,
}

impl Facts {
    /// When the portal session is expected to end: IT's length if known, else AWS's default;
    /// `true` in the second place when that is an estimate.
    pub fn portal_session_end(&self, configured_hours: Option<u32>) -> (u64, bool) {
        if let Some(ended) = self.portal_session_ended_at {
            return (ended, false);
        }
        match configured_hours {
            Some(h) => (self.signed_in_at + u64::from(h) * 3600, false),
            None => (self.signed_in_at + DEFAULT_PORTAL_SESSION.as_secs(), true),
        }
    }
}

/// The client registration's non-secret facts, kept across sign-outs (not across end of shift).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationFacts {
    pub start_url: String,
    pub region: String,
    pub kind: String,
    pub client_id: String,
    pub expires_at: u64,
}

/// The secrets of a session, stored as one keychain value.
#[derive(Serialize, Deserialize)]
struct StoredSecrets {
    access_token: Secret,
    #[serde(default)]
    refresh_token: Option<Secret>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<Secret>,
    #[serde(default)]
    client_expires_at: Option<u64>,
    #[serde(default)]
    client_kind: Option<String>,
}

/// What went wrong with the session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("you are not signed in; sign in with `connect-launcher login`")]
    NotSignedIn,
    #[error(
        "your IAM Identity Center session has ended; sign in again with `connect-launcher login`"
    )]
    SignInAgain,
    #[error("the session's secrets are missing from the keychain; sign in again with `connect-launcher login`")]
    SecretsMissing,
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error("cannot renew the session right now ({0}); the current sign-in has run out, so try again shortly")]
    RefreshFailed(OidcError),
    #[error(
        "cannot write {path}: {source}; make the folder {} writable (and check the disk is not full), then try again; nothing else was changed",
        folder_of(.path)
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the session file {path} is damaged ({detail}); sign in again with `connect-launcher login`")]
    Corrupt { path: PathBuf, detail: String },
}

impl SessionError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SessionError::RefreshFailed(e) if e.is_retryable())
    }
}

/// The folder a file is in, for messages.
pub fn folder_of(path: &Path) -> String {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .display()
        .to_string()
}

/// Writes `bytes` to `path` atomically (temp file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SessionError> {
    stage_atomic(path, bytes)?.commit()
}

/// The first half of [`write_atomic`]: `bytes` written to a temp file beside `path` and flushed
/// to disk, `path` itself untouched until [`StagedWrite::commit`]. Dropped uncommitted, the temp
/// file is removed.
pub fn stage_atomic(path: &Path, bytes: &[u8]) -> Result<StagedWrite, SessionError> {
    let err = |source| SessionError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    Ok(StagedWrite {
        tmp,
        path: path.to_owned(),
    })
}

/// A write staged by [`stage_atomic`].
#[derive(Debug)]
pub struct StagedWrite {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl StagedWrite {
    /// Puts the staged bytes in place (a rename: readers see the old file or the new one).
    pub fn commit(self) -> Result<(), SessionError> {
        let path = self.path;
        self.tmp.persist(&path).map_err(|e| SessionError::Write {
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, SessionError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| SessionError::Corrupt {
                path: path.to_owned(),
                detail: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SessionError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        }),
    }
}

/// What to do about the access token at time `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDecision {
    /// The token has enough time left.
    Fresh,
    /// Renew it now (it may still be valid).
    Refresh,
    /// A refresh failed moments ago; use the token while it lasts and try later.
    Wait,
    /// It cannot be renewed and has run out (or IdC refused): sign in again.
    SignInAgain,
}

/// The refresh rule, as a plain function.
pub fn refresh_decision(facts: &Facts, now: u64) -> RefreshDecision {
    let valid = now < facts.access_expires_at;
    if facts.portal_session_ended_at.is_some() {
        return if valid {
            RefreshDecision::Fresh
        } else {
            RefreshDecision::SignInAgain
        };
    }
    if now + REFRESH_AHEAD.as_secs() < facts.access_expires_at {
        return RefreshDecision::Fresh;
    }
    if !facts.refreshable {
        return if valid {
            RefreshDecision::Fresh
        } else {
            RefreshDecision::SignInAgain
        };
    }
    match facts.refresh_failed_at {
        Some(at) if now < at + MIN_REFRESH_GAP.as_secs() && valid => RefreshDecision::Wait,
        _ => RefreshDecision::Refresh,
    }
}

/// The session store over the keychain and the state folder.
#[derive(Debug, Clone)]
pub struct Sessions {
    store: Arc<dyn SecretStore>,
    state_dir: PathBuf,
}

/// A process-wide guard so that threads of one process refresh one at a time (the lock file
/// covers other processes).
static REFRESH_GUARD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Sessions {
    pub fn new(deps: &Deps) -> Sessions {
        Sessions {
            store: deps.store.clone(),
            state_dir: deps.dirs.state.clone(),
        }
    }

    fn facts_path(&self) -> PathBuf {
        self.state_dir.join(FACTS_FILE)
    }

    fn registration_path(&self) -> PathBuf {
        self.state_dir.join(REGISTRATION_FILE)
    }

    /// The session's facts, without touching the keychain.
    pub fn facts(&self) -> Result<Option<Facts>, SessionError> {
        read_json(&self.facts_path())
    }

    pub fn save_facts(&self, facts: &Facts) -> Result<(), SessionError> {
        let bytes = serde_json::to_vec_pretty(facts).expect("facts serialise");
        write_atomic(&self.facts_path(), &bytes)
    }

    fn read_secrets(&self, start_url: &StartUrl) -> Result<StoredSecrets, SessionError> {
        let raw = self
            .store
            .get(&EntryKey::session(start_url))?
            .ok_or(SessionError::SecretsMissing)?;
        serde_json::from_str(raw.expose()).map_err(|_| SessionError::SecretsMissing)
    }

    fn write_secrets(
        &self,
        start_url: &StartUrl,
        secrets: &StoredSecrets,
    ) -> Result<(), SessionError> {
        let json =
            zeroize::Zeroizing::new(serde_json::to_string(secrets).expect("secrets serialise"));
        self.store
            .set(&EntryKey::session(start_url), &Secret::new(json.as_str()))?;
        Ok(())
    }

    /// Stores a new session: secrets to the keychain first, then the facts. The role credentials
    /// of any earlier sign-in go first: a new sign-in (perhaps another person's, on a shared PC,
    /// after the last one ran out without a sign-out) never launches with the previous one's.
    pub fn store_new(
        &self,
        start_url: &StartUrl,
        facts: &Facts,
        tokens: &Tokens,
        registration: Option<&Registration>,
    ) -> Result<(), SessionError> {
        crate::role_credentials::forget(self.store.as_ref(), &self.state_dir, start_url)
            .map_err(role_credentials_error)?;
        let secrets = StoredSecrets {
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            client_id: registration.map(|r| r.client_id.clone()),
            client_secret: registration.map(|r| r.client_secret.clone()),
            client_expires_at: registration.map(|r| r.expires_at),
            client_kind: registration.map(|r| kind_name(r.kind).to_owned()),
        };
        self.write_secrets(start_url, &secrets)?;
        if let Err(e) = self.save_facts(facts) {
            // Without its facts file the session cannot be found again: take the tokens back out
            // of the keychain rather than leave them there unreachable.
            let _ = self.store.delete(&EntryKey::session(start_url));
            return Err(e);
        }
        Ok(())
    }

    /// A reusable client registration for this start URL, region and flow, if one is stored and
    /// has more than [`REGISTRATION_RENEW_AHEAD`] left.
    pub fn registration(
        &self,
        start_url: &StartUrl,
        region: &str,
        kind: ClientKind,
        now: u64,
    ) -> Result<Option<Registration>, SessionError> {
        let Some(facts) = read_json::<RegistrationFacts>(&self.registration_path())? else {
            return Ok(None);
        };
        if facts.start_url != start_url.as_str()
            || facts.region != region
            || facts.kind != kind_name(kind)
        {
            return Ok(None);
        }
        if facts.expires_at <= now + REGISTRATION_RENEW_AHEAD.as_secs() {
            return Ok(None);
        }
        let Some(secret) = self.store.get(&EntryKey::registration(start_url))? else {
            return Ok(None);
        };
        Ok(Some(Registration {
            client_id: facts.client_id,
            client_secret: secret,
            expires_at: facts.expires_at,
            kind,
        }))
    }

    /// Keeps a registration for reuse.
    pub fn save_registration(
        &self,
        start_url: &StartUrl,
        region: &str,
        reg: &Registration,
    ) -> Result<(), SessionError> {
        self.store
            .set(&EntryKey::registration(start_url), &reg.client_secret)?;
        let facts = RegistrationFacts {
            start_url: start_url.as_str().to_owned(),
            region: region.to_owned(),
            kind: kind_name(reg.kind).to_owned(),
            client_id: reg.client_id.clone(),
            expires_at: reg.expires_at,
        };
        write_atomic(
            &self.registration_path(),
            &serde_json::to_vec_pretty(&facts).expect("facts serialise"),
        )
        .inspect_err(|_| {
            // An unfindable secret is worse than none.
            let _ = self.store.delete(&EntryKey::registration(start_url));
        })
    }

    /// The access token, valid now (without refreshing).
    pub fn access_token(&self, start_url: &StartUrl) -> Result<Secret, SessionError> {
        Ok(self.read_secrets(start_url)?.access_token)
    }

    /// A valid access token, refreshed first when it is close to running out.
    pub async fn fresh_access_token(
        &self,
        deps: &Deps,
        oidc: &OidcClient,
    ) -> Result<(Secret, Facts), SessionError> {
        let facts = self.facts()?.ok_or(SessionError::NotSignedIn)?;
        let start_url =
            StartUrl::parse(&facts.start_url, true).map_err(|e| SessionError::Corrupt {
                path: self.facts_path(),
                detail: e.to_string(),
            })?;
        let now = epoch(deps.clock.now());
        match refresh_decision(&facts, now) {
            RefreshDecision::Fresh | RefreshDecision::Wait => {
                return Ok((self.access_token(&start_url)?, facts))
            }
            RefreshDecision::SignInAgain => return Err(SessionError::SignInAgain),
            RefreshDecision::Refresh => {}
        }
        let _guard = REFRESH_GUARD.lock().await;
        let _file_lock = self.lock_file()?;
        // Someone else may have refreshed while we waited for the lock.
        let facts = self.facts()?.ok_or(SessionError::NotSignedIn)?;
        let now = epoch(deps.clock.now());
        if refresh_decision(&facts, now) != RefreshDecision::Refresh {
            return match refresh_decision(&facts, now) {
                RefreshDecision::SignInAgain => Err(SessionError::SignInAgain),
                _ => Ok((self.access_token(&start_url)?, facts)),
            };
        }
        self.refresh_locked(deps, oidc, &start_url, facts, now)
            .await
    }

    /// Renews the session after a service refused `rejected` (an access token that ran out or was
    /// cut short on the server's side, whatever its stored expiry says). Runs once however many
    /// callers saw the refusal: a caller whose token was already replaced gets the new one. A
    /// refused renewal ends in [`SessionError::SignInAgain`]; one that fails for now in
    /// [`SessionError::RefreshFailed`]; the stored token is never kept as if it were still good.
    pub async fn refresh_rejected(
        &self,
        deps: &Deps,
        oidc: &OidcClient,
        rejected: &Secret,
    ) -> Result<(Secret, Facts), SessionError> {
        let _guard = REFRESH_GUARD.lock().await;
        let _file_lock = self.lock_file()?;
        let mut facts = self.facts()?.ok_or(SessionError::NotSignedIn)?;
        let start_url =
            StartUrl::parse(&facts.start_url, true).map_err(|e| SessionError::Corrupt {
                path: self.facts_path(),
                detail: e.to_string(),
            })?;
        let current = self.access_token(&start_url)?;
        if current.expose() != rejected.expose() {
            return Ok((current, facts));
        }
        if !facts.refreshable || facts.portal_session_ended_at.is_some() {
            return Err(SessionError::SignInAgain);
        }
        let now = epoch(deps.clock.now());
        // The service's word beats our record: the token is over now.
        facts.access_expires_at = facts.access_expires_at.min(now);
        self.refresh_locked(deps, oidc, &start_url, facts, now)
            .await
    }

    async fn refresh_locked(
        &self,
        deps: &Deps,
        oidc: &OidcClient,
        start_url: &StartUrl,
        mut facts: Facts,
        now: u64,
    ) -> Result<(Secret, Facts), SessionError> {
        let mut secrets = self.read_secrets(start_url)?;
        let (Some(rt), Some(id), Some(cs)) = (
            secrets.refresh_token.clone(),
            secrets.client_id.clone(),
            secrets.client_secret.clone(),
        ) else {
            return Err(SessionError::SignInAgain);
        };
        let reg = Registration {
            client_id: id,
            client_secret: cs,
            expires_at: secrets.client_expires_at.unwrap_or(0),
            kind: ClientKind::AuthorizationCode,
        };
        let still_valid = now < facts.access_expires_at;
        match oidc.refresh(&reg, &rt).await {
            Ok(tokens) => {
                secrets.access_token = tokens.access_token.clone();
                if let Some(new_rt) = tokens.refresh_token {
                    secrets.refresh_token = Some(new_rt);
                }
                self.write_secrets(start_url, &secrets)?;
                facts.access_expires_at = epoch(deps.clock.now()) + tokens.expires_in;
                facts.refresh_failed_at = None;
                self.save_facts(&facts)?;
                tracing::info!(
                    expires_at = facts.access_expires_at,
                    "refreshed the access token"
                );
                Ok((tokens.access_token, facts))
            }
            Err(OidcError::InvalidGrant(_)) | Err(OidcError::InvalidClient) => {
                tracing::warn!(
                    "IAM Identity Center refused to renew the session: the portal session is over"
                );
                facts.portal_session_ended_at = Some(now);
                facts.refreshable = false;
                self.save_facts(&facts)?;
                if still_valid {
                    Ok((secrets.access_token, facts))
                } else {
                    Err(SessionError::SignInAgain)
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "refreshing the access token failed");
                facts.refresh_failed_at = Some(now);
                self.save_facts(&facts)?;
                if still_valid {
                    Ok((secrets.access_token, facts))
                } else {
                    Err(SessionError::RefreshFailed(e))
                }
            }
        }
    }

    fn lock_file(&self) -> Result<std::fs::File, SessionError> {
        let path = self.state_dir.join(REFRESH_LOCK_FILE);
        let err = |source| SessionError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.state_dir).map_err(err)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(err)?;
        file.lock().map_err(err)?;
        Ok(file)
    }

    /// Forgets the session: keychain entries (the session's and every stored role credential) and
    /// facts. With `everything`, the client
    /// registration too (end of shift on a shared PC).
    pub fn forget(&self, start_url: &StartUrl, everything: bool) -> Result<(), SessionError> {
        self.store.delete(&EntryKey::session(start_url))?;
        crate::role_credentials::forget(self.store.as_ref(), &self.state_dir, start_url)
            .map_err(role_credentials_error)?;
        remove_if_present(&self.facts_path())?;
        if everything {
            self.store.delete(&EntryKey::registration(start_url))?;
            remove_if_present(&self.registration_path())?;
        }
        Ok(())
    }
}

impl Sessions {
    /// Forgets a session whose facts file is damaged (or names no usable start URL): the keychain
    /// entries of every start URL it may have belonged to (`also`, from the settings, and those the
    /// plain registration file and role-credentials index name), then the facts file itself.
    /// Returns the start URLs whose entries were removed.
    pub fn forget_damaged(
        &self,
        also: Option<&StartUrl>,
        everything: bool,
    ) -> Result<Vec<StartUrl>, SessionError> {
        let mut candidates: Vec<StartUrl> = also.into_iter().cloned().collect();
        let named = [
            read_json::<RegistrationFacts>(&self.registration_path())
                .ok()
                .flatten()
                .map(|r| r.start_url),
            crate::role_credentials::indexed_start_url(&self.state_dir),
        ];
        for url in named.into_iter().flatten() {
            if let Ok(url) = StartUrl::parse(&url, true) {
                if !candidates.contains(&url) {
                    candidates.push(url);
                }
            }
        }
        for url in &candidates {
            self.forget(url, everything)?;
        }
        remove_if_present(&self.facts_path())?;
        tracing::warn!(
            start_urls = candidates.len(),
            "forgot a damaged session file and the keychain entries it may have named"
        );
        Ok(candidates)
    }
}

fn role_credentials_error(e: crate::role_credentials::RoleCredentialsError) -> SessionError {
    match e {
        crate::role_credentials::RoleCredentialsError::Keychain(e) => SessionError::Keychain(e),
        crate::role_credentials::RoleCredentialsError::File(e) => e,
    }
}

/// Deletes a file; a missing one is fine.
pub fn remove_if_present(path: &Path) -> Result<(), SessionError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SessionError::Write {
            path: path.to_owned(),
            source,
        }),
    }
}

fn kind_name(kind: ClientKind) -> &'static str {
    match kind {
        ClientKind::AuthorizationCode => "authorization_code",
        ClientKind::DeviceCode => "device_code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(expires: u64) -> Facts {
        Facts {
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "us-east-1".into(),
            user: None,
            origin: Origin::AuthorizationCode,
            signed_in_at: 0,
            access_expires_at: expires,
            refreshable: true,
            refresh_failed_at: None,
            portal_session_ended_at: None,
            exported_cli_cache: None,
        }
    }

    #[test]
    fn refresh_rule() {
        let f = facts(3600);
        assert_eq!(refresh_decision(&f, 0), RefreshDecision::Fresh);
        assert_eq!(refresh_decision(&f, 3600 - 599), RefreshDecision::Refresh);
        assert_eq!(
            refresh_decision(&f, 3601),
            RefreshDecision::Refresh,
            "a refresh token outlives the access token"
        );
        let failed = Facts {
            refresh_failed_at: Some(3100),
            ..f.clone()
        };
        assert_eq!(refresh_decision(&failed, 3110), RefreshDecision::Wait);
        assert_eq!(refresh_decision(&failed, 3131), RefreshDecision::Refresh);
        let ended = Facts {
            portal_session_ended_at: Some(3000),
            ..f.clone()
        };
        assert_eq!(refresh_decision(&ended, 3500), RefreshDecision::Fresh);
        assert_eq!(refresh_decision(&ended, 3600), RefreshDecision::SignInAgain);
        let legacy = Facts {
            refreshable: false,
            ..f
        };
        assert_eq!(refresh_decision(&legacy, 3599), RefreshDecision::Fresh);
        assert_eq!(
            refresh_decision(&legacy, 3600),
            RefreshDecision::SignInAgain
        );
    }

    #[test]
    fn portal_session_end() {
        let f = Facts {
            signed_in_at: 1000,
            ..facts(0)
        };
        assert_eq!(f.portal_session_end(None), (1000 + 8 * 3600, true));
        assert_eq!(f.portal_session_end(Some(12)), (1000 + 12 * 3600, false));
        let ended = Facts {
            portal_session_ended_at: Some(5000),
            ..f
        };
        assert_eq!(ended.portal_session_end(Some(12)), (5000, false));
    }
}
