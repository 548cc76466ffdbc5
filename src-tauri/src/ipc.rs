//! The IPC contract with the window (`ui/IPC.md`, v1): the types commands return and events carry,
//! and the one error type every command fails with.
//!
//! Promises: these types live here, not in launcher-core (core types are not made serializable
//! for the UI); every field is camelCase and every time is epoch seconds, as the contract says;
//! every failure is an [`IpcError`] whose `code` is one of the contract's closed set, mapped from
//! the core's error enums by kind, never by message text; no message carries a secret, because the
//! core's errors never hold one.

use std::collections::{BTreeMap, BTreeSet};

use launcher_core::catalog::{Catalog as CoreCatalog, CatalogEntry, LaunchMethod};
use launcher_core::clocks::{Deadline, DeadlineKind};
use launcher_core::config::{ConfigError, Key, Resolved, Source};
use launcher_core::launches::Launch;
use launcher_core::session::{epoch, Facts};
use launcher_core::settings_file::{field_change, FieldChange, InstanceChange, SettingsChange};
use serde::{Deserialize, Serialize};

/// The closed set of error codes the window acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotSignedIn,
    SignInAgain,
    KeychainUnavailable,
    Network,
    Policy,
    InvalidInput,
    NotFound,
    RefusedUrl,
    Cancelled,
    Internal,
}

impl ErrorCode {
    /// Every code, as the contract lists them.
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::NotSignedIn,
        ErrorCode::SignInAgain,
        ErrorCode::KeychainUnavailable,
        ErrorCode::Network,
        ErrorCode::Policy,
        ErrorCode::InvalidInput,
        ErrorCode::NotFound,
        ErrorCode::RefusedUrl,
        ErrorCode::Cancelled,
        ErrorCode::Internal,
    ];
}

/// Every command's error: `{ code, message }`. The message is for people; the window decides by
/// the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> IpcError {
        IpcError {
            code,
            message: message.into(),
        }
    }

    /// What a failure whose retry may succeed becomes; anything else is `otherwise`.
    fn by_retry(retryable: bool, otherwise: ErrorCode, message: String) -> IpcError {
        let code = if retryable {
            ErrorCode::Network
        } else {
            otherwise
        };
        IpcError::new(code, message)
    }

    pub fn not_signed_in() -> IpcError {
        launcher_core::session::SessionError::NotSignedIn.into()
    }
}

impl From<launcher_core::session::SessionError> for IpcError {
    fn from(e: launcher_core::session::SessionError) -> Self {
        use launcher_core::session::SessionError as E;
        let code = match &e {
            E::NotSignedIn => ErrorCode::NotSignedIn,
            E::SignInAgain | E::SecretsMissing | E::Corrupt { .. } => ErrorCode::SignInAgain,
            E::Keychain(k) => return k_code(k, e.to_string()),
            E::RefreshFailed(_) => ErrorCode::Network,
            E::Write { .. } => ErrorCode::Internal,
        };
        IpcError::new(code, e.to_string())
    }
}

fn k_code(e: &launcher_core::keychain::KeychainError, message: String) -> IpcError {
    use launcher_core::keychain::KeychainError as K;
    match e {
        K::Corrupt { .. } => IpcError::new(ErrorCode::SignInAgain, message),
        _ => IpcError::new(ErrorCode::KeychainUnavailable, message),
    }
}

impl From<launcher_core::keychain::KeychainError> for IpcError {
    fn from(e: launcher_core::keychain::KeychainError) -> Self {
        let message = e.to_string();
        k_code(&e, message)
    }
}

impl From<launcher_core::oidc::OidcError> for IpcError {
    fn from(e: launcher_core::oidc::OidcError) -> Self {
        use launcher_core::oidc::OidcError as E;
        let code = match &e {
            E::AccessDenied | E::Expired => ErrorCode::Cancelled,
            E::InvalidGrant(_) | E::InvalidClient => ErrorCode::SignInAgain,
            E::Rejected(_) => ErrorCode::Policy,
            E::AuthorizationPending
            | E::SlowDown
            | E::Unavailable(_)
            | E::Malformed(_)
            | E::Transport(_) => ErrorCode::Network,
        };
        IpcError::new(code, e.to_string())
    }
}

impl From<launcher_core::signin::SignInError> for IpcError {
    fn from(e: launcher_core::signin::SignInError) -> Self {
        use launcher_core::loopback::LoopbackError as L;
        use launcher_core::signin::SignInError as E;
        match e {
            E::Oidc(e) => e.into(),
            E::Session(e) => e.into(),
            E::Refused(e) => e.into(),
            E::Browser(e) => e.into(),
            E::Loopback(e) => {
                let code = match &e {
                    L::TimedOut { .. } => ErrorCode::Cancelled,
                    L::Denied { .. } => ErrorCode::Policy,
                    _ => ErrorCode::Network,
                };
                IpcError::new(code, e.to_string())
            }
            E::DeviceCodeExpired => IpcError::new(ErrorCode::Cancelled, e.to_string()),
            E::AwsCliCache(_) => IpcError::new(ErrorCode::Internal, e.to_string()),
        }
    }
}

impl From<ConfigError> for IpcError {
    /// A value the person typed (a flag) is `invalid_input`; one from a file, the environment or
    /// the policy, or a locked key, is `policy`.
    fn from(e: ConfigError) -> Self {
        let typed = match &e {
            ConfigError::StartUrl { at, .. }
            | ConfigError::Region { at, .. }
            | ConfigError::Invalid { at, .. } => matches!(at.source, Source::Flag(_)),
            _ => false,
        };
        let code = if typed {
            ErrorCode::InvalidInput
        } else {
            ErrorCode::Policy
        };
        IpcError::new(code, e.to_string())
    }
}

impl From<launcher_core::endpoints::EndpointError> for IpcError {
    fn from(e: launcher_core::endpoints::EndpointError) -> Self {
        IpcError::new(ErrorCode::Policy, e.to_string())
    }
}

impl From<launcher_core::region::RegionError> for IpcError {
    fn from(e: launcher_core::region::RegionError) -> Self {
        IpcError::new(ErrorCode::InvalidInput, e.to_string())
    }
}

impl From<launcher_core::browser::BrowserError> for IpcError {
    fn from(e: launcher_core::browser::BrowserError) -> Self {
        IpcError::new(ErrorCode::Policy, e.to_string())
    }
}

impl From<launcher_core::url_policy::UrlRefused> for IpcError {
    fn from(e: launcher_core::url_policy::UrlRefused) -> Self {
        IpcError::new(ErrorCode::RefusedUrl, e.to_string())
    }
}

impl From<launcher_core::portal::PortalError> for IpcError {
    fn from(e: launcher_core::portal::PortalError) -> Self {
        use launcher_core::portal::PortalError as E;
        let otherwise = match &e {
            E::SessionExpired => ErrorCode::SignInAgain,
            E::RoleNotAssigned { .. } | E::NotFound { .. } => ErrorCode::NotFound,
            E::Rejected(_) => ErrorCode::Policy,
            _ => ErrorCode::Internal,
        };
        IpcError::by_retry(e.is_retryable(), otherwise, e.to_string())
    }
}

impl From<launcher_core::console_federation::ConsoleFederationError> for IpcError {
    fn from(e: launcher_core::console_federation::ConsoleFederationError) -> Self {
        use launcher_core::console_federation::ConsoleFederationError as E;
        let otherwise = match &e {
            E::InvalidCredentials => ErrorCode::SignInAgain,
            E::UnsupportedPartition { .. } | E::BadSessionDuration => ErrorCode::Policy,
            _ => ErrorCode::Internal,
        };
        IpcError::by_retry(e.is_retryable(), otherwise, e.to_string())
    }
}

impl From<launcher_core::connect::ConnectError> for IpcError {
    fn from(e: launcher_core::connect::ConnectError) -> Self {
        use launcher_core::connect::ConnectError as E;
        let otherwise = match &e {
            E::UserNotFound { .. } | E::InstanceNotFound { .. } => ErrorCode::NotFound,
            E::CredentialsRejected { .. } => ErrorCode::SignInAgain,
            E::AccessDenied { .. } | E::Rejected(_) => ErrorCode::Policy,
            _ => ErrorCode::Internal,
        };
        IpcError::by_retry(e.is_retryable(), otherwise, e.to_string())
    }
}

impl From<launcher_core::relay_state::RelayStateError> for IpcError {
    fn from(e: launcher_core::relay_state::RelayStateError) -> Self {
        use launcher_core::relay_state::RelayStateError as E;
        let code = match &e {
            E::BadDestination { .. } | E::UnknownVdiPlatform { .. } => ErrorCode::InvalidInput,
            E::OriginNotApproved { .. } => ErrorCode::Policy,
            _ => ErrorCode::Internal,
        };
        IpcError::new(code, e.to_string())
    }
}

impl From<launcher_core::catalog::CatalogError> for IpcError {
    fn from(e: launcher_core::catalog::CatalogError) -> Self {
        // An ended session needs a sign-in; a portal that stopped answering, a later try.
        IpcError::by_retry(e.is_retryable(), ErrorCode::SignInAgain, e.to_string())
    }
}

impl From<launcher_core::catalog::CacheError> for IpcError {
    fn from(e: launcher_core::catalog::CacheError) -> Self {
        IpcError::new(ErrorCode::Internal, e.to_string())
    }
}

impl From<launcher_core::discovery::DiscoveryError> for IpcError {
    fn from(e: launcher_core::discovery::DiscoveryError) -> Self {
        use launcher_core::discovery::DiscoveryError as E;
        match e {
            E::Session(e) => e.into(),
            E::Catalog(e) => e.into(),
            E::Cache(e) => e.into(),
            E::Keychain(e) => e.into(),
            E::RoleCredentials(e) => e.into(),
            E::StartUrl(_) => IpcError::new(ErrorCode::SignInAgain, e.to_string()),
        }
    }
}

impl From<launcher_core::role_credentials::RoleCredentialsError> for IpcError {
    /// The keychain or the index file of kept role credentials: as those errors are.
    fn from(e: launcher_core::role_credentials::RoleCredentialsError) -> Self {
        use launcher_core::role_credentials::RoleCredentialsError as E;
        match e {
            E::Keychain(e) => e.into(),
            E::File(e) => e.into(),
        }
    }
}

impl From<launcher_core::launch::LaunchError> for IpcError {
    fn from(e: launcher_core::launch::LaunchError) -> Self {
        use launcher_core::launch::LaunchError as E;
        match e {
            E::Destination(e) => e.into(),
            E::Portal(e) => e.into(),
            E::Console(e) => e.into(),
            E::Refused(e) => e.into(),
            E::Keychain(e) => e.into(),
            E::RoleCredentials(e) => e.into(),
            E::Session(e) => e.into(),
            E::Browser(e) => e.into(),
            E::Record(e) => e.into(),
            E::Connect(e) => e.into(),
            E::NoMethod(_) | E::NoSuchMethod { .. } | E::NotOnboarded { .. } => {
                IpcError::new(ErrorCode::NotFound, e.to_string())
            }
            E::Region(_) => IpcError::new(ErrorCode::Internal, e.to_string()),
            // The fix is a step the agent takes in the CCP, or IT's pin with the alias: the
            // message says both.
            E::NoLogoutAddress { .. } => IpcError::new(ErrorCode::Policy, e.to_string()),
        }
    }
}

impl From<launcher_core::settings_file::SaveError> for IpcError {
    /// A value the window sent that no setting takes is `invalid_input`; a key the policy locks,
    /// or settings that do not resolve, `policy`.
    fn from(e: launcher_core::settings_file::SaveError) -> Self {
        use launcher_core::settings_file::SaveError as E;
        let code = match &e {
            E::Invalid(_) => ErrorCode::InvalidInput,
            E::Locked(_) | E::Config(_) | E::Shape { .. } => ErrorCode::Policy,
            E::Write(_) => ErrorCode::Internal,
        };
        IpcError::new(code, e.to_string())
    }
}

impl From<tauri_plugin_autostart::Error> for IpcError {
    fn from(e: tauri_plugin_autostart::Error) -> Self {
        IpcError::new(
            ErrorCode::Internal,
            format!("cannot change start at login: {e}"),
        )
    }
}

impl From<tauri::Error> for IpcError {
    fn from(e: tauri::Error) -> Self {
        IpcError::new(ErrorCode::Internal, e.to_string())
    }
}

/// What every command returns.
pub type IpcResult<T> = Result<T, IpcError>;

/// `app_state()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppState {
    pub version: String,
    /// The shell's clock (epoch seconds), so the window's countdowns agree with the warnings.
    pub now: u64,
    pub settings: SettingsView,
    pub session: Option<Session>,
}

/// The settings the window shows, and which of them IT locked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub start_url: String,
    pub region: String,
    pub start_url_locked: bool,
    pub region_locked: bool,
    pub use_device_code: bool,
    pub lead_minutes: Vec<u32>,
}

impl SettingsView {
    /// The configured start URL and region, else those of the current sign-in.
    pub fn new(resolved: &Resolved, facts: Option<&Facts>) -> SettingsView {
        let s = &resolved.settings;
        SettingsView {
            start_url: s
                .start_url
                .as_ref()
                .map(|u| u.as_str().to_owned())
                .or_else(|| facts.map(|f| f.start_url.clone()))
                .unwrap_or_default(),
            region: s
                .region
                .map(|r| r.as_str().to_owned())
                .or_else(|| facts.map(|f| f.region.clone()))
                .unwrap_or_default(),
            start_url_locked: resolved.is_locked(Key::StartUrl),
            region_locked: resolved.is_locked(Key::Region),
            use_device_code: s.use_device_code,
            lead_minutes: s.warning_lead_minutes.clone(),
        }
    }
}

/// The signed-in session (from the facts file; no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub user: Option<String>,
    pub start_url: String,
    pub region: String,
    pub signed_in_at: u64,
    pub access_expires_at: u64,
    pub portal_session_ends_at: u64,
    pub portal_session_estimated: bool,
    pub refreshable: bool,
}

impl Session {
    pub fn new(facts: &Facts, portal_session_hours: Option<u32>) -> Session {
        let (ends_at, estimated) = facts.portal_session_end(portal_session_hours);
        Session {
            user: facts.user.clone(),
            start_url: facts.start_url.clone(),
            region: facts.region.clone(),
            signed_in_at: facts.signed_in_at,
            access_expires_at: facts.access_expires_at,
            portal_session_ends_at: ends_at,
            portal_session_estimated: estimated,
            refreshable: facts.refreshable && facts.portal_session_ended_at.is_none(),
        }
    }
}

/// `catalog()`, and the payload of `catalog://changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    pub entries: Vec<Entry>,
    pub fetched_at: Option<u64>,
    pub warnings: Vec<String>,
    pub refreshing: bool,
}

impl Catalog {
    /// Nothing known yet.
    pub fn empty(warnings: Vec<String>, refreshing: bool) -> Catalog {
        Catalog {
            entries: Vec::new(),
            fetched_at: None,
            warnings,
            refreshing,
        }
    }

    /// The core's catalog, with each entry's latest launch and whether it is a favourite.
    pub fn new(
        catalog: &CoreCatalog,
        launches: &[Launch],
        favourites: &BTreeSet<String>,
        refreshing: bool,
    ) -> Catalog {
        Catalog {
            entries: catalog
                .entries
                .iter()
                .map(|e| Entry::new(e, launches, favourites))
                .collect(),
            fetched_at: Some(epoch(catalog.fetched_at)),
            warnings: catalog.warnings.clone(),
            refreshing,
        }
    }
}

/// One instance in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub instance_id: String,
    /// What the window calls it: the alias, else its SAML application's name, else the id.
    pub name: String,
    pub alias: Option<String>,
    pub region: String,
    pub account_id: Option<String>,
    /// The account's name from ListAccounts, when discovery saw it.
    pub account_name: Option<String>,
    pub methods: Vec<Method>,
    pub default_destination: Option<String>,
    pub favourite: bool,
    pub last_launched_at: Option<u64>,
}

impl Entry {
    pub fn new(entry: &CatalogEntry, launches: &[Launch], favourites: &BTreeSet<String>) -> Entry {
        let mut methods: Vec<Method> = entry.launch_methods.iter().map(Method::of).collect();
        methods.dedup();
        Entry {
            instance_id: entry.instance_id.clone(),
            name: launcher_core::launch::entry_name(entry),
            alias: entry.alias.clone(),
            region: entry.region.clone(),
            account_id: entry.account_id.clone(),
            account_name: entry.account_name.clone(),
            methods,
            default_destination: entry.launch_methods.iter().find_map(|m| match m {
                LaunchMethod::Pinned {
                    default_destination,
                    ..
                } => default_destination.clone(),
                _ => None,
            }),
            favourite: favourites.contains(&entry.instance_id),
            last_launched_at: launches
                .iter()
                .filter(|l| l.instance_id == entry.instance_id)
                .map(|l| l.launched_at)
                .max(),
        }
    }
}

/// How an entry can be launched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Method {
    #[serde(rename = "saml")]
    Saml,
    #[serde(rename = "permission-set")]
    PermissionSet,
    #[serde(rename = "pinned")]
    Pinned,
}

impl Method {
    fn of(m: &LaunchMethod) -> Method {
        match m {
            LaunchMethod::SamlApplication { .. } => Method::Saml,
            LaunchMethod::PermissionSet { .. } => Method::PermissionSet,
            LaunchMethod::Pinned { .. } => Method::Pinned,
        }
    }
}

/// `launch()` and `relaunch()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Launched {
    pub launched_at: u64,
}

/// What a clock is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockKind {
    PortalSession,
    AccessToken,
    RoleCredentials,
    ConnectSession,
    ClientRegistration,
}

impl ClockKind {
    pub fn of(kind: &DeadlineKind) -> ClockKind {
        match kind {
            DeadlineKind::PortalSession => ClockKind::PortalSession,
            DeadlineKind::AccessToken => ClockKind::AccessToken,
            DeadlineKind::RoleCredentials { .. } => ClockKind::RoleCredentials,
            DeadlineKind::ConnectSession { .. } => ClockKind::ConnectSession,
            DeadlineKind::ClientRegistration => ClockKind::ClientRegistration,
        }
    }
}

/// The instance a deadline belongs to, if it is a Connect session.
pub fn instance_of(kind: &DeadlineKind) -> Option<String> {
    match kind {
        DeadlineKind::ConnectSession { instance_id, .. } => Some(instance_id.clone()),
        _ => None,
    }
}

/// A short name for a clock ("Connect session: acme-prod").
pub fn clock_label(kind: &DeadlineKind) -> String {
    match kind {
        DeadlineKind::PortalSession => "AWS sign-in".to_owned(),
        DeadlineKind::AccessToken => "Access to AWS".to_owned(),
        DeadlineKind::RoleCredentials { account, role } => {
            format!("Role {role} in {account}")
        }
        DeadlineKind::ConnectSession { instance_id, alias } => {
            format!(
                "Connect session: {}",
                alias.as_deref().unwrap_or(instance_id)
            )
        }
        DeadlineKind::ClientRegistration => "Launcher registration".to_owned(),
    }
}

/// One clock, as `clocks()` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Clock {
    pub kind: ClockKind,
    pub label: String,
    pub ends_at: u64,
    pub estimated: bool,
    pub renews_itself: bool,
    pub instance_id: Option<String>,
}

impl Clock {
    /// The deadlines as clocks, soonest first.
    pub fn list(deadlines: &[Deadline]) -> Vec<Clock> {
        let mut clocks: Vec<Clock> = deadlines
            .iter()
            .map(|d| Clock {
                kind: ClockKind::of(&d.kind),
                label: clock_label(&d.kind),
                ends_at: d.ends_at,
                estimated: d.estimated,
                renews_itself: d.renews_itself,
                instance_id: instance_of(&d.kind),
            })
            .collect();
        clocks.sort_by(|a, b| (a.ends_at, &a.label).cmp(&(b.ends_at, &b.label)));
        clocks
    }
}

/// Per-instance choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstancePreferences {
    pub browser: Option<String>,
    pub destination: Option<String>,
}

/// `preferences()` and `set_preferences()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preferences {
    pub start_at_login: bool,
    pub lead_minutes: Vec<u32>,
    pub per_instance: BTreeMap<String, InstancePreferences>,
}

/// What saving `wanted` changes in the user's settings file, given the `current` preferences:
/// the lead times when they differ, and each instance's browser and destination field by field
/// (an instance the catalog knows is found in the file by its alias too).
pub fn settings_change(
    current: &Preferences,
    wanted: &Preferences,
    entries: &[CatalogEntry],
) -> SettingsChange {
    let normalised = |m: &[u32]| {
        let mut m = m.to_vec();
        m.sort_unstable_by(|a, b| b.cmp(a));
        m.dedup();
        m
    };
    let lead_minutes = normalised(&wanted.lead_minutes);
    let none = InstancePreferences {
        browser: None,
        destination: None,
    };
    let ids: BTreeSet<&String> = current
        .per_instance
        .keys()
        .chain(wanted.per_instance.keys())
        .collect();
    let instances = ids
        .into_iter()
        .map(|id| {
            let was = current.per_instance.get(id).unwrap_or(&none);
            let now = wanted.per_instance.get(id).unwrap_or(&none);
            InstanceChange {
                instance_id: id.clone(),
                alias: entries
                    .iter()
                    .find(|e| &e.instance_id == id)
                    .and_then(|e| e.alias.clone()),
                browser: field_change(was.browser.as_deref(), now.browser.as_deref()),
                destination: field_change(was.destination.as_deref(), now.destination.as_deref()),
            }
        })
        .filter(|c| c.browser != FieldChange::Keep || c.destination != FieldChange::Keep)
        .collect();
    SettingsChange {
        warning_lead_minutes: (lead_minutes != normalised(&current.lead_minutes))
            .then_some(lead_minutes),
        instances,
    }
}

/// Payload of `signin://device-code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
}

/// Payload of `catalog://progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CatalogProgress {
    pub done: usize,
    pub total: usize,
}

/// Payload of `clocks://warning`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockWarning {
    pub kind: ClockKind,
    pub instance_id: Option<String>,
    pub message: String,
    pub ends_at: u64,
    pub lead_minutes: u32,
}

/// Payload of `clocks://expired`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockExpired {
    pub kind: ClockKind,
    pub instance_id: Option<String>,
    pub message: String,
}

/// The events, by name.
pub mod events {
    pub const SIGNIN_DEVICE_CODE: &str = "signin://device-code";
    pub const SESSION_CHANGED: &str = "session://changed";
    pub const CATALOG_PROGRESS: &str = "catalog://progress";
    pub const CATALOG_CHANGED: &str = "catalog://changed";
    pub const CLOCKS_WARNING: &str = "clocks://warning";
    pub const CLOCKS_EXPIRED: &str = "clocks://expired";
}

#[cfg(test)]
mod tests {
    use super::*;
    use launcher_core::session::{Origin, SessionError};

    #[test]
    fn errors_serialise_as_code_and_message() {
        let e: IpcError = SessionError::NotSignedIn.into();
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "not_signed_in");
        assert!(v["message"].as_str().unwrap().contains("not signed in"));
        assert_eq!(v.as_object().unwrap().len(), 2);
    }

    #[test]
    fn codes_are_the_contracts() {
        let names: Vec<String> = ErrorCode::ALL
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "not_signed_in",
                "sign_in_again",
                "keychain_unavailable",
                "network",
                "policy",
                "invalid_input",
                "not_found",
                "refused_url",
                "cancelled",
                "internal"
            ]
        );
    }

    #[test]
    fn core_errors_map_by_kind() {
        use launcher_core::keychain::KeychainError;
        use launcher_core::portal::PortalError;
        let code = |e: IpcError| e.code;
        assert_eq!(
            code(SessionError::SignInAgain.into()),
            ErrorCode::SignInAgain
        );
        assert_eq!(
            code(KeychainError::Locked { detail: "x".into() }.into()),
            ErrorCode::KeychainUnavailable
        );
        assert_eq!(code(PortalError::Throttled.into()), ErrorCode::Network);
        assert_eq!(
            code(PortalError::SessionExpired.into()),
            ErrorCode::SignInAgain
        );
        assert_eq!(
            code(launcher_core::url_policy::UrlRefused::NotAUrl.into()),
            ErrorCode::RefusedUrl
        );
    }

    #[test]
    fn a_typed_start_url_is_invalid_input_and_a_policy_one_is_policy() {
        use launcher_core::config::{resolve, Flags, Layers};
        let typed = resolve(&Layers {
            flags: Flags {
                start_url: Some("not a url".into()),
                ..Flags::default()
            },
            ..Layers::default()
        })
        .unwrap_err();
        assert_eq!(IpcError::from(typed).code, ErrorCode::InvalidInput);
    }

    #[test]
    fn session_and_clocks_are_camel_case_epoch_seconds() {
        let facts = Facts {
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "us-east-1".into(),
            user: Some("alex".into()),
            origin: Origin::AuthorizationCode,
            signed_in_at: 1000,
            access_expires_at: 4600,
            refreshable: true,
            refresh_failed_at: None,
            portal_session_ended_at: None,
            exported_cli_cache: None,
        };
        let v = serde_json::to_value(Session::new(&facts, Some(8))).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "user": "alex",
                "startUrl": "https://d-1234567890.awsapps.com/start",
                "region": "us-east-1",
                "signedInAt": 1000,
                "accessExpiresAt": 4600,
                "portalSessionEndsAt": 1000 + 8 * 3600,
                "portalSessionEstimated": false,
                "refreshable": true
            })
        );
        let deadlines = launcher_core::clocks::deadlines(Some(&facts), None, &[], &[], Some(8));
        let clocks = serde_json::to_value(Clock::list(&deadlines)).unwrap();
        assert_eq!(clocks[0]["kind"], "access-token");
        assert_eq!(clocks[0]["renewsItself"], true);
        assert_eq!(clocks[1]["kind"], "portal-session");
        assert_eq!(clocks[1]["instanceId"], serde_json::Value::Null);
    }

    #[test]
    fn an_entry_is_named_by_alias_else_its_saml_application_else_its_id() {
        use launcher_core::catalog::PinnedVia;
        use launcher_core::connect::DomainForm;
        let saml_only = CatalogEntry {
            instance_id: "11111111-2222-3333-4444-555555555555".into(),
            alias: None,
            region: "eu-west-2".into(),
            account_id: None,
            account_name: None,
            domain: DomainForm::New,
            launch_methods: vec![LaunchMethod::SamlApplication {
                app_instance_id: "ins-1".into(),
                name: "Amazon Connect - claims".into(),
                relay_state: String::new(),
            }],
            sources: Vec::new(),
        };
        let launches = [Launch {
            instance_id: saml_only.instance_id.clone(),
            alias: None,
            region: "eu-west-2".into(),
            destination: "ccp".into(),
            launched_at: 1234,
        }];
        assert_eq!(
            serde_json::to_value(Entry::new(&saml_only, &launches, &BTreeSet::new())).unwrap(),
            serde_json::json!({
                "instanceId": "11111111-2222-3333-4444-555555555555",
                "name": "Amazon Connect - claims",
                "alias": null,
                "region": "eu-west-2",
                "accountId": null,
                "accountName": null,
                "methods": ["saml"],
                "defaultDestination": null,
                "favourite": false,
                "lastLaunchedAt": 1234
            })
        );
        let aliased = CatalogEntry {
            alias: Some("claims".into()),
            ..saml_only.clone()
        };
        let aliased = Entry::new(
            &aliased,
            &[],
            &BTreeSet::from([aliased.instance_id.clone()]),
        );
        assert_eq!(aliased.name, "claims");
        assert!(aliased.favourite);
        let pinned = CatalogEntry {
            launch_methods: vec![LaunchMethod::Pinned {
                via: PinnedVia::PermissionSet {
                    account_id: "111122223333".into(),
                    role_name: "ConnectAgent".into(),
                },
                default_destination: Some("ccp".into()),
            }],
            ..saml_only
        };
        let e = Entry::new(&pinned, &[], &BTreeSet::new());
        assert_eq!(e.name, "11111111-2222-3333-4444-555555555555");
        assert_eq!(e.methods, [Method::Pinned]);
        assert_eq!(e.default_destination.as_deref(), Some("ccp"));
        let in_account = CatalogEntry {
            account_id: Some("111122223333".into()),
            account_name: Some("Contact Centre Prod".into()),
            ..pinned
        };
        let v = serde_json::to_value(Entry::new(&in_account, &[], &BTreeSet::new())).unwrap();
        assert_eq!(v["accountId"], "111122223333");
        assert_eq!(
            v["accountName"], "Contact Centre Prod",
            "the catalog's name reaches the UI"
        );
    }

    #[test]
    fn saving_preferences_changes_only_what_differs() {
        let prefs = |lead: &[u32], per: &[(&str, Option<&str>, Option<&str>)]| Preferences {
            start_at_login: false,
            lead_minutes: lead.to_vec(),
            per_instance: per
                .iter()
                .map(|(id, b, d)| {
                    (
                        (*id).to_owned(),
                        InstancePreferences {
                            browser: b.map(str::to_owned),
                            destination: d.map(str::to_owned),
                        },
                    )
                })
                .collect(),
        };
        let entry = CatalogEntry {
            instance_id: "i-a".into(),
            alias: Some("acme-prod".into()),
            region: "eu-west-2".into(),
            account_id: None,
            account_name: None,
            domain: launcher_core::connect::DomainForm::New,
            launch_methods: Vec::new(),
            sources: Vec::new(),
        };
        let current = prefs(
            &[60, 15, 5],
            &[
                ("i-a", Some("firefox"), Some("ccp")),
                ("i-b", None, Some("admin")),
            ],
        );
        let same = prefs(
            &[5, 15, 60],
            &[
                ("i-a", Some("firefox"), Some("ccp")),
                ("i-b", None, Some("admin")),
            ],
        );
        assert!(settings_change(&current, &same, std::slice::from_ref(&entry)).is_empty());
        let wanted = prefs(&[60, 15, 5], &[("i-a", Some("chromium"), Some("ccp"))]);
        assert_eq!(
            settings_change(&current, &wanted, &[entry]),
            SettingsChange {
                warning_lead_minutes: None,
                instances: vec![
                    InstanceChange {
                        instance_id: "i-a".into(),
                        alias: Some("acme-prod".into()),
                        browser: FieldChange::Set("chromium".into()),
                        destination: FieldChange::Keep,
                    },
                    InstanceChange {
                        instance_id: "i-b".into(),
                        alias: None,
                        browser: FieldChange::Keep,
                        destination: FieldChange::Remove,
                    },
                ],
            }
        );
        let fewer = prefs(&[30], &[]);
        let change = settings_change(&prefs(&[60, 15, 5], &[]), &fewer, &[]);
        assert_eq!(change.warning_lead_minutes, Some(vec![30]));
    }

    #[test]
    fn preferences_read_the_contracts_shape() {
        let p: Preferences = serde_json::from_value(serde_json::json!({
            "startAtLogin": true,
            "leadMinutes": [60, 15, 5],
            "perInstance": {"abc": {"browser": null, "destination": "ccp"}}
        }))
        .unwrap();
        assert!(p.start_at_login);
        assert_eq!(p.per_instance["abc"].destination.as_deref(), Some("ccp"));
    }
}
