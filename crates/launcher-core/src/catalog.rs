//! The catalog: every Amazon Connect instance the user may open, each once, with every way of
//! launching it and where that came from; discovered from the portal and Connect, and cached on
//! disk so the next start shows it at once.
//!
//! Discovery has three sources:
//! - **SAML applications** from the portal's undocumented app-instance listing; each app's
//!   `Default` profile's relay state is read with [`crate::relay_state`];
//! - **permission sets**: ListAccounts (only the accounts the policy names, by id or name
//!   pattern, when it names any), ListAccountRoles filtered by role-name patterns (default
//!   [`DEFAULT_ROLE_PATTERNS`]), GetRoleCredentials, then Connect ListInstances in the configured
//!   regions;
//! - **pinned** instances from the managed policy, passed in as data; one launched by a
//!   permission set that the other sources did not list is checked with DescribeInstance (which
//!   also fills in its alias and domain).
//!
//! Promises:
//! - only an ended IdC session ([`CatalogError::SessionExpired`]) or a portal that stops answering
//!   even after retries (an outage or restart, [`CatalogError::Unreachable`]: a list built without
//!   it would silently miss instances, so the cached one is kept) fails discovery; any other
//!   failure (an undocumented call that changed, a role no longer assigned, a region where a role
//!   may not list instances, a service that kept failing after retries) becomes a warning in the
//!   catalog and the rest of the list is still built;
//! - the same instance reached several ways is one entry with every launch method and source;
//!   entries are sorted by alias (then id), methods pinned first, then SAML, then permission set;
//! - the decisions are pure functions ([`glob_matches`], [`account_selected`], [`merge`],
//!   [`next_refresh`], when to discover again in the background); the
//!   async layer only fetches, at most [`DISCOVERY_CONCURRENCY`] calls at a time;
//! - role credentials fetched on the way are handed back ([`Discovery::credentials`]) and never
//!   stored in the catalog or its cache; the cache is written atomically (a temporary file renamed
//!   over the old one) and a cache that cannot be read is ignored with a warning, never an error.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::clock::Clock;
use crate::connect::{ConnectClient, DomainForm};
use crate::portal::{
    AppInstance, PortalClient, PortalError, RoleCredentials, PORTAL_MAX_CONCURRENCY,
};
use crate::region::Region;
use crate::relay_state::{self, parse_federate_url};
use crate::secret::Secret;

/// Role names tried for Connect when the policy names no patterns.
pub const DEFAULT_ROLE_PATTERNS: [&str; 1] = ["*Connect*"];
/// Calls in flight at once during discovery.
pub const DISCOVERY_CONCURRENCY: usize = PORTAL_MAX_CONCURRENCY;
/// The profile of a custom SAML application.
pub const DEFAULT_PROFILE_NAME: &str = "Default";
/// The cache file's format; a file of another version is ignored.
pub const CACHE_FORMAT_VERSION: u32 = 1;
/// The cache file's name in the data directory.
pub const CACHE_FILE_NAME: &str = "catalog.json";
/// An account id is this many digits.
pub const ACCOUNT_ID_DIGITS: usize = 12;

/// Where a launch method came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Pinned,
    SamlApplication,
    PermissionSet,
}

/// How a pinned instance is launched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PinnedVia {
    /// Through an IdC SAML application.
    SamlApplication {
        app_instance_id: String,
        name: Option<String>,
    },
    /// Through a permission set's role and the console federation endpoint.
    PermissionSet {
        account_id: String,
        role_name: String,
    },
}

/// One way of launching an instance (declared in the order an entry lists them).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LaunchMethod {
    /// Pinned by IT, with the way to launch and the page to open by default.
    Pinned {
        via: PinnedVia,
        default_destination: Option<String>,
    },
    /// The portal's deep link for an IdC SAML application, whose relay state opens the instance.
    SamlApplication {
        app_instance_id: String,
        name: String,
        relay_state: String,
    },
    /// A permission-set role: GetRoleCredentials, then console federation into the instance.
    PermissionSet {
        account_id: String,
        role_name: String,
    },
}

impl LaunchMethod {
    fn source(&self) -> Source {
        match self {
            LaunchMethod::SamlApplication { .. } => Source::SamlApplication,
            LaunchMethod::PermissionSet { .. } => Source::PermissionSet,
            LaunchMethod::Pinned { .. } => Source::Pinned,
        }
    }
}

/// One instance the user may open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    pub instance_id: String,
    pub alias: Option<String>,
    pub region: String,
    pub account_id: Option<String>,
    /// The account's name as ListAccounts gives it (absent in caches written before it was kept).
    #[serde(default)]
    pub account_name: Option<String>,
    pub domain: DomainForm,
    pub launch_methods: Vec<LaunchMethod>,
    pub sources: Vec<Source>,
}

/// The merged list, when it was fetched, and what went wrong on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub entries: Vec<CatalogEntry>,
    /// Soft failures, each a sentence for the user (`status` shows them).
    pub warnings: Vec<String>,
    pub fetched_at: SystemTime,
}

/// An instance pinned in the managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedInstance {
    pub instance_id: String,
    pub region: Region,
    /// The instance's alias, which gives its web address (IT's word for an instance that only a
    /// SAML application reaches, whose alias Connect never tells the launcher).
    pub alias: Option<String>,
    /// Which web address the alias has (`Unknown` when IT did not say: the new domain).
    pub domain: DomainForm,
    pub account_id: Option<String>,
    pub via: PinnedVia,
    /// A destination in its configuration form (`ccp`, `/path`, an origin).
    pub default_destination: Option<String>,
}

/// What discovery looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryOptions {
    /// Read the undocumented app-instance listing for SAML applications.
    pub saml_applications: bool,
    /// Accounts to look in: 12-digit ids or name patterns; empty for every account.
    pub accounts: Vec<String>,
    /// Role-name patterns (`*` and `?`, case-insensitive).
    pub role_patterns: Vec<String>,
    /// Regions to list Connect instances in.
    pub connect_regions: Vec<Region>,
    pub pinned: Vec<PinnedInstance>,
}

impl DiscoveryOptions {
    /// The defaults: SAML applications, every account, [`DEFAULT_ROLE_PATTERNS`], the IdC region.
    pub fn new(idc_region: Region) -> DiscoveryOptions {
        DiscoveryOptions {
            saml_applications: true,
            accounts: Vec::new(),
            role_patterns: DEFAULT_ROLE_PATTERNS
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            connect_regions: vec![idc_region],
            pinned: Vec::new(),
        }
    }
}

/// A stage of a refresh, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading SAML applications and their profiles.
    Applications,
    /// Listing the roles of each account.
    Accounts,
    /// Getting role credentials and listing Connect instances.
    Instances,
}

/// How far a refresh has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
}

/// Role credentials fetched during discovery, for reuse (the caller keeps them in the keychain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredCredentials {
    pub account_id: String,
    pub role_name: String,
    pub credentials: RoleCredentials,
}

/// A finished discovery.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub catalog: Catalog,
    pub credentials: Vec<DiscoveredCredentials>,
}

/// Why discovery stopped.
#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("your IAM Identity Center session has expired or was ended; sign in again with `connect-launcher login`")]
    SessionExpired,
    #[error("the list of instances was not refreshed because IAM Identity Center stopped answering ({detail}); the list saved before is kept; try again in a moment")]
    Unreachable { detail: String },
}

impl CatalogError {
    /// Whether trying again later may help (not for an ended session: only signing in does).
    pub fn is_retryable(&self) -> bool {
        matches!(self, CatalogError::Unreachable { .. })
    }
}

/// Why the cache could not be written.
#[derive(Debug, Error)]
pub enum CacheError {
    #[error("cannot save the list of instances to {path}: {source}; make the folder {} writable (and check the disk is not full), then refresh again; the list saved before is unchanged", crate::session::folder_of(.path))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl CacheError {
    /// A full disk or a permission problem may clear up.
    pub fn is_retryable(&self) -> bool {
        true
    }
}

/// Whether `text` matches a pattern of `*` (any run) and `?` (any one character), ignoring case.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether an account is selected: every account when `selectors` is empty, else one whose id
/// equals a 12-digit selector or whose name matches a pattern.
pub fn account_selected(
    selectors: &[String],
    account_id: &str,
    account_name: Option<&str>,
) -> bool {
    selectors.is_empty()
        || selectors.iter().map(|s| s.trim()).any(|s| {
            let is_id = s.len() == ACCOUNT_ID_DIGITS && s.bytes().all(|b| b.is_ascii_digit());
            if is_id {
                s == account_id
            } else {
                account_name.is_some_and(|n| glob_matches(s, n))
            }
        })
}

/// Whether a role name matches any pattern.
pub fn role_selected(patterns: &[String], role_name: &str) -> bool {
    patterns.iter().any(|p| glob_matches(p.trim(), role_name))
}

/// One way to an instance, as one source found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub instance_id: String,
    pub alias: Option<String>,
    pub region: Region,
    pub account_id: Option<String>,
    pub domain: DomainForm,
    pub method: LaunchMethod,
}

/// How much a source's facts about an instance are trusted: Connect's own API first.
fn authority(method: &LaunchMethod) -> u8 {
    match method {
        LaunchMethod::PermissionSet { .. } => 0,
        LaunchMethod::Pinned { .. } => 1,
        LaunchMethod::SamlApplication { .. } => 2,
    }
}

/// Merges what every source found into one entry per instance.
pub fn merge(mut found: Vec<Found>) -> Vec<CatalogEntry> {
    found.sort_by_key(|f| authority(&f.method));
    let mut by_id: BTreeMap<String, CatalogEntry> = BTreeMap::new();
    for f in found {
        let entry = by_id
            .entry(f.instance_id.to_ascii_lowercase())
            .or_insert_with(|| CatalogEntry {
                instance_id: f.instance_id.clone(),
                alias: None,
                region: f.region.as_str().to_owned(),
                account_id: None,
                account_name: None,
                domain: DomainForm::Unknown,
                launch_methods: Vec::new(),
                sources: Vec::new(),
            });
        entry.alias = entry.alias.take().or(f.alias);
        entry.account_id = entry.account_id.take().or(f.account_id);
        if entry.domain == DomainForm::Unknown {
            entry.domain = f.domain;
        }
        if !entry.launch_methods.contains(&f.method) {
            entry.launch_methods.push(f.method);
        }
    }
    let mut entries: Vec<CatalogEntry> = by_id.into_values().collect();
    for e in &mut entries {
        e.launch_methods.sort();
        e.sources = e.launch_methods.iter().map(LaunchMethod::source).collect();
        e.sources.dedup();
    }
    entries.sort_by(|a, b| {
        let key = |e: &CatalogEntry| {
            (
                e.alias.clone().unwrap_or_default().to_ascii_lowercase(),
                e.instance_id.to_ascii_lowercase(),
            )
        };
        (a.alias.is_none(), key(a)).cmp(&(b.alias.is_none(), key(b)))
    });
    entries
}

/// Gives each entry its account's name, where ListAccounts named it.
pub fn with_account_names(
    mut entries: Vec<CatalogEntry>,
    names: &BTreeMap<String, String>,
) -> Vec<CatalogEntry> {
    for e in &mut entries {
        e.account_name = e.account_id.as_ref().and_then(|id| names.get(id)).cloned();
    }
    entries
}

/// What pinned instances contribute.
pub fn pinned_found(pinned: &[PinnedInstance]) -> Vec<Found> {
    pinned
        .iter()
        .map(|p| Found {
            instance_id: p.instance_id.clone(),
            alias: p.alias.clone(),
            region: p.region,
            account_id: p.account_id.clone().or_else(|| match &p.via {
                PinnedVia::PermissionSet { account_id, .. } => Some(account_id.clone()),
                PinnedVia::SamlApplication { .. } => None,
            }),
            domain: p.domain,
            method: LaunchMethod::Pinned {
                via: p.via.clone(),
                default_destination: p.default_destination.clone(),
            },
        })
        .collect()
}

/// Whether an application looks like an Amazon Connect one, so that a problem with it deserves a
/// warning (other SAML applications are skipped quietly).
fn looks_like_connect(app: &AppInstance, relay_state: Option<&str>) -> bool {
    let named = |s: Option<&str>| s.is_some_and(|s| s.to_ascii_lowercase().contains("connect"));
    relay_state.is_some_and(|r| r.contains(relay_state::FEDERATE_PATH))
        || named(Some(&app.name))
        || named(app.application_name.as_deref())
}

/// What one SAML application contributes, or the warning it deserves.
pub fn saml_found(app: &AppInstance, relay_state: Option<&str>) -> Result<Option<Found>, String> {
    let Some(relay) = relay_state else {
        return if looks_like_connect(app, None) {
            Err(format!(
                "the application \"{}\" has no relay state, so it is not listed; ask IT to set it to the instance's federate link (https://REGION.console.aws.amazon.com/connect/federate/INSTANCE_ID)",
                app.name
            ))
        } else {
            Ok(None)
        };
    };
    match parse_federate_url(relay) {
        Ok(target) => Ok(Some(Found {
            instance_id: target.instance_id,
            alias: None,
            region: target.region,
            account_id: None,
            domain: DomainForm::Unknown,
            method: LaunchMethod::SamlApplication {
                app_instance_id: app.id.clone(),
                name: app.name.clone(),
                relay_state: relay.to_owned(),
            },
        })),
        Err(e) if looks_like_connect(app, Some(relay)) => Err(format!(
            "the application \"{}\" is not listed: its relay state is not usable ({e})",
            app.name
        )),
        Err(_) => Ok(None),
    }
}

/// Collects warnings; stops everything on an ended session.
#[derive(Debug, Default)]
struct Outcome {
    found: Vec<Found>,
    warnings: Vec<String>,
    credentials: Vec<DiscoveredCredentials>,
    /// Account names from ListAccounts, by account id.
    account_names: BTreeMap<String, String>,
    session_expired: bool,
    /// The first portal call that got no answer even after its retries: the service is out.
    unreachable: Option<String>,
}

impl Outcome {
    /// Records a portal failure: an ended session stops discovery, anything else is a warning.
    fn portal_failure(&mut self, what: &str, error: &PortalError) {
        match error {
            PortalError::SessionExpired => self.session_expired = true,
            PortalError::Transport(t) => {
                self.unreachable.get_or_insert_with(|| t.to_string());
                self.warnings.push(format!("{what}: {t}"));
            }
            e => self.warnings.push(format!("{what}: {e}")),
        }
    }
}

async fn discover_saml(
    portal: &PortalClient,
    token: &Secret,
    progress: &(dyn Fn(Progress) + Send + Sync),
    out: &mut Outcome,
) {
    let apps = match portal.list_app_instances(token).await {
        Ok(apps) => apps,
        Err(e) => {
            out.portal_failure("the IAM Identity Center application listing failed, so SAML applications are missing from the list", &e);
            return;
        }
    };
    let candidates: Vec<AppInstance> = apps.into_iter().filter(|a| !a.is_aws_account()).collect();
    let total = candidates.len();
    progress(Progress {
        stage: Stage::Applications,
        done: 0,
        total,
    });
    let mut results = stream::iter(candidates)
        .map(|app| async move {
            let profiles = portal.list_app_profiles(token, &app.id).await;
            (app, profiles)
        })
        .buffer_unordered(DISCOVERY_CONCURRENCY);
    let mut done = 0;
    while let Some((app, profiles)) = results.next().await {
        done += 1;
        progress(Progress {
            stage: Stage::Applications,
            done,
            total,
        });
        let profiles = match profiles {
            Ok(p) => p,
            Err(e) => {
                out.portal_failure(
                    &format!(
                        "the profiles of the application \"{}\" could not be read",
                        app.name
                    ),
                    &e,
                );
                continue;
            }
        };
        let profile = profiles
            .iter()
            .find(|p| p.name == DEFAULT_PROFILE_NAME)
            .or_else(|| profiles.iter().find(|p| p.relay_state.is_some()));
        match saml_found(&app, profile.and_then(|p| p.relay_state.as_deref())) {
            Ok(Some(found)) => out.found.push(found),
            Ok(None) => {}
            Err(warning) => out.warnings.push(warning),
        }
    }
}

/// A role that may reach Connect.
#[derive(Debug, Clone)]
struct Role {
    account_id: String,
    role_name: String,
}

async fn discover_roles(
    portal: &PortalClient,
    token: &Secret,
    options: &DiscoveryOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
    out: &mut Outcome,
) -> Vec<Role> {
    let accounts = match portal.list_accounts(token).await {
        Ok(a) => a,
        Err(e) => {
            out.portal_failure(
                "the account listing failed, so permission sets are missing from the list",
                &e,
            );
            return Vec::new();
        }
    };
    out.account_names.extend(
        accounts
            .iter()
            .filter_map(|a| Some((a.account_id.clone(), a.account_name.clone()?))),
    );
    let accounts: Vec<_> = accounts
        .into_iter()
        .filter(|a| account_selected(&options.accounts, &a.account_id, a.account_name.as_deref()))
        .collect();
    let total = accounts.len();
    progress(Progress {
        stage: Stage::Accounts,
        done: 0,
        total,
    });
    let mut results = stream::iter(accounts)
        .map(|a| async move {
            let roles = portal.list_account_roles(token, &a.account_id).await;
            (a, roles)
        })
        .buffer_unordered(DISCOVERY_CONCURRENCY);
    let mut roles = Vec::new();
    let mut done = 0;
    while let Some((account, listed)) = results.next().await {
        done += 1;
        progress(Progress {
            stage: Stage::Accounts,
            done,
            total,
        });
        match listed {
            Ok(listed) => roles.extend(
                listed
                    .into_iter()
                    .filter(|r| role_selected(&options.role_patterns, &r.role_name))
                    .map(|r| Role {
                        account_id: account.account_id.clone(),
                        role_name: r.role_name,
                    }),
            ),
            Err(e) => out.portal_failure(
                &format!(
                    "the roles in account {} could not be listed",
                    account.account_id
                ),
                &e,
            ),
        }
    }
    roles.sort_by(|a, b| (&a.account_id, &a.role_name).cmp(&(&b.account_id, &b.role_name)));
    roles
}

/// For one role: its credentials, then its instances in every region.
async fn discover_role_instances(
    portal: &PortalClient,
    connect: &ConnectClient,
    token: &Secret,
    regions: &[Region],
    role: Role,
) -> (
    Role,
    Result<(RoleCredentials, Vec<Found>, Vec<String>), PortalError>,
) {
    let creds = match portal
        .get_role_credentials(token, &role.account_id, &role.role_name)
        .await
    {
        Ok(c) => c,
        Err(e) => return (role, Err(e)),
    };
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    for region in regions {
        match connect.list_instances(*region, &creds).await {
            Ok(instances) => found.extend(instances.into_iter().map(|i| Found {
                domain: i.domain(),
                instance_id: i.id,
                alias: i.alias,
                region: i.region,
                account_id: Some(role.account_id.clone()),
                method: LaunchMethod::PermissionSet { account_id: role.account_id.clone(), role_name: role.role_name.clone() },
            })),
            Err(e) => warnings.push(format!(
                "the role `{}` in account {} could not list Amazon Connect instances in {region}: {e}",
                role.role_name, role.account_id
            )),
        }
    }
    (role, Ok((creds, found, warnings)))
}

async fn discover_instances(
    portal: &PortalClient,
    connect: &ConnectClient,
    token: &Secret,
    options: &DiscoveryOptions,
    roles: Vec<Role>,
    progress: &(dyn Fn(Progress) + Send + Sync),
    out: &mut Outcome,
) {
    let total = roles.len();
    progress(Progress {
        stage: Stage::Instances,
        done: 0,
        total,
    });
    let regions = &options.connect_regions;
    let mut results = stream::iter(roles)
        .map(|role| discover_role_instances(portal, connect, token, regions, role))
        .buffer_unordered(DISCOVERY_CONCURRENCY);
    let mut done = 0;
    while let Some((role, result)) = results.next().await {
        done += 1;
        progress(Progress {
            stage: Stage::Instances,
            done,
            total,
        });
        match result {
            Ok((credentials, found, warnings)) => {
                out.found.extend(found);
                out.warnings.extend(warnings);
                out.credentials.push(DiscoveredCredentials {
                    account_id: role.account_id,
                    role_name: role.role_name,
                    credentials,
                });
            }
            Err(e) => out.portal_failure(
                &format!(
                    "the role `{}` in account {} was skipped",
                    role.role_name, role.account_id
                ),
                &e,
            ),
        }
    }
}

/// Adds the pinned instances, filling in what Connect says (alias, domain) about those launched by
/// a permission set that discovery did not already list; a pinned instance that cannot be checked
/// is still listed, with a warning.
async fn discover_pinned(
    portal: &PortalClient,
    connect: &ConnectClient,
    token: &Secret,
    pinned: &[PinnedInstance],
    out: &mut Outcome,
) {
    let listed: HashSet<String> = out
        .found
        .iter()
        .filter(|f| matches!(f.method, LaunchMethod::PermissionSet { .. }))
        .map(|f| f.instance_id.to_ascii_lowercase())
        .collect();
    let mut founds = pinned_found(pinned);
    for (p, f) in pinned.iter().zip(founds.iter_mut()) {
        let PinnedVia::PermissionSet {
            account_id,
            role_name,
        } = &p.via
        else {
            continue;
        };
        if listed.contains(&p.instance_id.to_ascii_lowercase()) {
            continue;
        }
        let name = p.alias.clone().unwrap_or_else(|| p.instance_id.clone());
        let known = out
            .credentials
            .iter()
            .find(|c| &c.account_id == account_id && &c.role_name == role_name)
            .map(|c| c.credentials.clone());
        let creds = match known {
            Some(c) => c,
            None => match portal
                .get_role_credentials(token, account_id, role_name)
                .await
            {
                Ok(c) => {
                    out.credentials.push(DiscoveredCredentials {
                        account_id: account_id.clone(),
                        role_name: role_name.clone(),
                        credentials: c.clone(),
                    });
                    c
                }
                Err(e) => {
                    out.portal_failure(
                        &format!("the pinned instance {name} could not be checked"),
                        &e,
                    );
                    continue;
                }
            },
        };
        match connect
            .describe_instance(p.region, &creds, &p.instance_id)
            .await
        {
            Ok(instance) => {
                f.domain = instance.domain();
                f.alias = f.alias.take().or(instance.alias);
            }
            Err(e) => out.warnings.push(format!(
                "the pinned instance {name} could not be checked: {e}"
            )),
        }
    }
    out.found.extend(founds);
}

/// Discovers the catalog with the user's IdC access token.
pub async fn discover(
    portal: &PortalClient,
    connect: &ConnectClient,
    clock: &dyn Clock,
    token: &Secret,
    options: &DiscoveryOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Discovery, CatalogError> {
    let mut out = Outcome::default();
    if options.saml_applications {
        discover_saml(portal, token, progress, &mut out).await;
    }
    if !out.session_expired {
        let roles = discover_roles(portal, token, options, progress, &mut out).await;
        if !out.session_expired {
            discover_instances(portal, connect, token, options, roles, progress, &mut out).await;
        }
    }
    if !out.session_expired {
        discover_pinned(portal, connect, token, &options.pinned, &mut out).await;
    }
    if out.session_expired {
        return Err(CatalogError::SessionExpired);
    }
    if let Some(detail) = out.unreachable {
        // A list built while the portal was out would be missing whatever it did not answer.
        return Err(CatalogError::Unreachable { detail });
    }
    out.warnings.sort();
    out.credentials
        .sort_by(|a, b| (&a.account_id, &a.role_name).cmp(&(&b.account_id, &b.role_name)));
    Ok(Discovery {
        catalog: Catalog {
            entries: with_account_names(merge(out.found), &out.account_names),
            warnings: out.warnings,
            fetched_at: clock.now(),
        },
        credentials: out.credentials,
    })
}

/// The cache file's contents.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheFile {
    version: u32,
    /// Epoch seconds.
    fetched_at: u64,
    entries: Vec<CatalogEntry>,
    warnings: Vec<String>,
}

/// What reading the cache gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheRead {
    /// No cache yet.
    Missing,
    /// The cached catalog (entries that no longer validate are dropped with a warning).
    Loaded(Catalog),
    /// The file could not be used; the warning says why. Refresh to replace it.
    Ignored { warning: String },
}

/// The cache file in a data directory.
pub fn cache_path(data_dir: &Path) -> PathBuf {
    data_dir.join(CACHE_FILE_NAME)
}

/// Writes the catalog atomically: a temporary file in the same folder, renamed over the old one.
pub fn write_cache(path: &Path, catalog: &Catalog) -> Result<(), CacheError> {
    let err = |source| CacheError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let file = CacheFile {
        version: CACHE_FORMAT_VERSION,
        fetched_at: catalog
            .fetched_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
        entries: catalog.entries.clone(),
        warnings: catalog.warnings.clone(),
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| err(std::io::Error::other(e)))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(&json).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Why a cached entry is no longer trusted, if it is not.
fn entry_problem(e: &CatalogEntry) -> Option<String> {
    if Region::parse(&e.region).is_err() {
        return Some(format!("the region `{}`", e.region));
    }
    let id_ok = !e.instance_id.is_empty()
        && e.instance_id.len() <= relay_state::MAX_INSTANCE_ID_LEN
        && e.instance_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !id_ok {
        return Some("the instance id".to_owned());
    }
    e.launch_methods.iter().find_map(|m| match m {
        LaunchMethod::SamlApplication { relay_state, .. } => parse_federate_url(relay_state)
            .err()
            .map(|_| "a relay state".to_owned()),
        _ => None,
    })
}

/// Reads the cache; never fails.
pub fn read_cache(path: &Path) -> CacheRead {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return CacheRead::Missing,
        Err(e) => {
            return CacheRead::Ignored {
                warning: format!(
                    "the saved list of instances at {} could not be read ({e}); refresh the list",
                    path.display()
                ),
            }
        }
    };
    let file: CacheFile = match serde_json::from_slice(&bytes) {
        Ok(f) => f,
        Err(_) => {
            return CacheRead::Ignored {
                warning: format!(
                "the saved list of instances at {} is damaged and was ignored; refresh the list",
                path.display()
            ),
            }
        }
    };
    if file.version != CACHE_FORMAT_VERSION {
        return CacheRead::Ignored { warning: format!("the saved list of instances at {} is from another version and was ignored; refresh the list", path.display()) };
    }
    let mut warnings = file.warnings;
    let mut entries = Vec::new();
    for e in file.entries {
        match entry_problem(&e) {
            None => entries.push(e),
            Some(what) => warnings.push(format!(
                "a saved entry ({}) was dropped because {what} is not valid; refresh the list",
                e.instance_id
                    .chars()
                    .take(relay_state::MAX_INSTANCE_ID_LEN)
                    .collect::<String>()
            )),
        }
    }
    CacheRead::Loaded(Catalog {
        entries,
        warnings,
        fetched_at: SystemTime::UNIX_EPOCH + Duration::from_secs(file.fetched_at),
    })
}

/// A cached catalog older than this is refreshed in the background when the app starts (or
/// someone signs in).
pub const STALE_AT_START: Duration = Duration::from_secs(60 * 60);
/// While signed in, the catalog is refreshed in the background this long after it was fetched.
pub const REFRESH_EVERY: Duration = Duration::from_secs(4 * 60 * 60);
/// After a background refresh that did not bring a new catalog, the next try waits this long.
pub const RETRY_AFTER: Duration = Duration::from_secs(30 * 60);

/// When to refresh the catalog in the background next (epoch seconds, never before `now`), or
/// `None` while nobody is signed in.
///
/// `fetched_at` is the cached catalog's fetch time (`None`: nothing usable cached);
/// `last_attempt` when a background refresh last started since the app started or someone
/// signed in (`None`: not yet). The first refresh is due at once when the cache is older than
/// [`STALE_AT_START`]; after that, [`REFRESH_EVERY`] after the fetch, and at least
/// [`RETRY_AFTER`] after the last attempt, so a refresh that keeps failing is not retried in a
/// tight loop.
pub fn next_refresh(
    fetched_at: Option<u64>,
    last_attempt: Option<u64>,
    now: u64,
    signed_in: bool,
) -> Option<u64> {
    if !signed_in {
        return None;
    }
    let due = match (fetched_at, last_attempt) {
        (None, None) => now,
        (Some(fetched), None) => fetched.saturating_add(STALE_AT_START.as_secs()),
        (fetched, Some(tried)) => {
            let retry = tried.saturating_add(RETRY_AFTER.as_secs());
            fetched.map_or(retry, |f| {
                f.saturating_add(REFRESH_EVERY.as_secs()).max(retry)
            })
        }
    };
    Some(due.max(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_refreshes_when_stale_at_start_then_every_few_hours_while_signed_in() {
        const NOW: u64 = 1_795_000_000;
        let hour = 3600;
        let stale = STALE_AT_START.as_secs();
        let every = REFRESH_EVERY.as_secs();
        let retry = RETRY_AFTER.as_secs();
        // Nobody signed in: never.
        assert_eq!(next_refresh(Some(NOW - 10 * hour), None, NOW, false), None);
        // At start: nothing cached, or a cache older than the limit, at once.
        assert_eq!(next_refresh(None, None, NOW, true), Some(NOW));
        assert_eq!(next_refresh(Some(NOW - stale), None, NOW, true), Some(NOW));
        assert_eq!(
            next_refresh(Some(NOW - 10 * hour), None, NOW, true),
            Some(NOW)
        );
        // A fresh cache waits until it is stale.
        assert_eq!(
            next_refresh(Some(NOW - 10 * 60), None, NOW, true),
            Some(NOW - 10 * 60 + stale)
        );
        // Walk a day in virtual time: each refresh succeeds when it starts.
        let (mut fetched, mut tried, mut now) = (NOW - 2 * hour, None, NOW);
        let mut refreshed_at = Vec::new();
        while now < NOW + 24 * hour {
            let due = next_refresh(Some(fetched), tried, now, true).unwrap();
            assert!(due >= now);
            now = due;
            refreshed_at.push(now - NOW);
            tried = Some(now);
            fetched = now;
        }
        assert_eq!(refreshed_at, (0..7).map(|i| i * every).collect::<Vec<_>>());
        // A failed refresh keeps the old fetch time and is retried later, not at once.
        let old = NOW - 5 * hour;
        assert_eq!(
            next_refresh(Some(old), Some(NOW), NOW, true),
            Some(NOW + retry)
        );
        assert_eq!(
            next_refresh(None, Some(NOW), NOW + 60, true),
            Some(NOW + retry)
        );
        // A refresh the person asked for moves the next one on.
        assert_eq!(
            next_refresh(Some(NOW + hour), Some(NOW), NOW + hour, true),
            Some(NOW + hour + every)
        );
    }

    fn region(name: &str) -> Region {
        Region::parse(name).unwrap()
    }

    #[test]
    fn globs() {
        assert!(glob_matches("*Connect*", "ConnectAgent"));
        assert!(glob_matches(
            "*connect*",
            "AWSReservedSSO_ConnectSupervisor_abc"
        ));
        assert!(glob_matches("Connect?gent", "ConnectAgent"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "aXXbYYc"));
        assert!(!glob_matches("a*b*c", "aXXbYY"));
        assert!(!glob_matches("*Connect*", "ReadOnlyAccess"));
        assert!(!glob_matches("Connect", "ConnectAgent"));
        assert!(glob_matches("Contact Centre *", "contact centre prod"));
    }

    #[test]
    fn accounts_by_id_or_name_pattern() {
        let sel = vec!["111122223333".to_owned(), "Contact Centre *".to_owned()];
        assert!(account_selected(&[], "999999999999", None));
        assert!(account_selected(&sel, "111122223333", Some("Other")));
        assert!(account_selected(
            &sel,
            "444455556666",
            Some("Contact Centre Staging")
        ));
        assert!(!account_selected(
            &sel,
            "777788889999",
            Some("Shared Services")
        ));
        assert!(!account_selected(&sel, "777788889999", None));
        assert!(role_selected(
            &["*Connect*".into(), "Admin*".into()],
            "AdministratorAccess"
        ));
    }

    fn found(id: &str, method: LaunchMethod, alias: Option<&str>, domain: DomainForm) -> Found {
        Found {
            instance_id: id.into(),
            alias: alias.map(Into::into),
            region: region("us-east-1"),
            account_id: None,
            domain,
            method,
        }
    }

    #[test]
    fn the_same_instance_two_ways_is_one_entry() {
        let saml = LaunchMethod::SamlApplication {
            app_instance_id: "ins-1".into(),
            name: "App".into(),
            relay_state: "r".into(),
        };
        let perm = LaunchMethod::PermissionSet {
            account_id: "111122223333".into(),
            role_name: "ConnectAgent".into(),
        };
        let pinned = LaunchMethod::Pinned {
            via: PinnedVia::PermissionSet {
                account_id: "111122223333".into(),
                role_name: "ConnectAgent".into(),
            },
            default_destination: Some("ccp".into()),
        };
        let mut with_account = found("AAA", perm.clone(), Some("zeta"), DomainForm::Legacy);
        with_account.account_id = Some("111122223333".into());
        let entries = merge(vec![
            found("aaa", saml.clone(), None, DomainForm::Unknown),
            with_account,
            found("aaa", perm.clone(), Some("zeta"), DomainForm::Legacy),
            found("bbb", saml.clone(), None, DomainForm::Unknown),
            found("ccc", pinned.clone(), Some("alpha"), DomainForm::Unknown),
        ]);
        assert_eq!(
            entries,
            vec![
                CatalogEntry {
                    instance_id: "ccc".into(),
                    alias: Some("alpha".into()),
                    region: "us-east-1".into(),
                    account_id: None,
                    account_name: None,
                    domain: DomainForm::Unknown,
                    launch_methods: vec![pinned],
                    sources: vec![Source::Pinned],
                },
                CatalogEntry {
                    instance_id: "AAA".into(),
                    alias: Some("zeta".into()),
                    region: "us-east-1".into(),
                    account_id: Some("111122223333".into()),
                    account_name: None,
                    domain: DomainForm::Legacy,
                    launch_methods: vec![saml.clone(), perm],
                    sources: vec![Source::SamlApplication, Source::PermissionSet],
                },
                CatalogEntry {
                    instance_id: "bbb".into(),
                    alias: None,
                    region: "us-east-1".into(),
                    account_id: None,
                    account_name: None,
                    domain: DomainForm::Unknown,
                    launch_methods: vec![saml],
                    sources: vec![Source::SamlApplication],
                },
            ]
        );
    }

    #[test]
    fn entries_take_their_accounts_names() {
        let names = BTreeMap::from([("111122223333".to_owned(), "Contact Centre".to_owned())]);
        let e = |account: Option<&str>| CatalogEntry {
            instance_id: "i".into(),
            alias: None,
            region: "us-east-1".into(),
            account_id: account.map(Into::into),
            account_name: None,
            domain: DomainForm::Unknown,
            launch_methods: Vec::new(),
            sources: Vec::new(),
        };
        let named = with_account_names(
            vec![e(Some("111122223333")), e(Some("999988887777")), e(None)],
            &names,
        );
        let got: Vec<Option<&str>> = named.iter().map(|e| e.account_name.as_deref()).collect();
        assert_eq!(got, [Some("Contact Centre"), None, None]);
        // A cache written before names were kept still reads.
        let old = r#"{"instance_id":"i","alias":null,"region":"us-east-1","account_id":"1","domain":"unknown","launch_methods":[],"sources":[]}"#;
        let read: CatalogEntry = serde_json::from_str(old).expect("an old entry reads");
        assert_eq!(read.account_name, None);
    }

    fn app(name: &str, application_name: Option<&str>) -> AppInstance {
        AppInstance {
            id: "ins-1".into(),
            name: name.into(),
            description: None,
            application_id: None,
            application_name: application_name.map(Into::into),
            account_id: None,
        }
    }

    #[test]
    fn saml_applications_fail_softly() {
        let connect_app = app("Amazon Connect - acme", Some("Amazon Connect"));
        let relay = "https://eu-west-2.console.aws.amazon.com/connect/federate/b7f2e9a4?destination=%2Fagent-app-v2";
        let f = saml_found(&connect_app, Some(relay)).unwrap().unwrap();
        assert_eq!(
            (f.instance_id.as_str(), f.region),
            ("b7f2e9a4", region("eu-west-2"))
        );
        let w = saml_found(&connect_app, None).unwrap_err();
        assert!(
            w.contains("has no relay state") && w.contains("ask IT"),
            "{w}"
        );
        let w = saml_found(
            &connect_app,
            Some("https://evil.example.com/connect/federate/x"),
        )
        .unwrap_err();
        assert!(w.contains("\"Amazon Connect - acme\" is not listed"), "{w}");
        let salesforce = app("Salesforce", Some("Salesforce"));
        assert_eq!(
            saml_found(&salesforce, Some("https://login.salesforce.com/")),
            Ok(None)
        );
        assert_eq!(saml_found(&salesforce, None), Ok(None));
    }

    fn sample_catalog() -> Catalog {
        Catalog {
            entries: merge(vec![found(
                "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11",
                LaunchMethod::SamlApplication {
                    app_instance_id: "ins-1".into(),
                    name: "App".into(),
                    relay_state: "https://us-east-1.console.aws.amazon.com/connect/federate/5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11".into(),
                },
                Some("acme"),
                DomainForm::New,
            )]),
            warnings: vec!["w".into()],
            fetched_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000),
        }
    }

    #[test]
    fn cache_round_trips_and_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = cache_path(&dir.path().join("nested"));
        assert_eq!(read_cache(&path), CacheRead::Missing);
        let catalog = sample_catalog();
        write_cache(&path, &catalog).unwrap();
        assert_eq!(read_cache(&path), CacheRead::Loaded(catalog.clone()));
        let mut newer = catalog.clone();
        newer.warnings.clear();
        write_cache(&path, &newer).unwrap();
        assert_eq!(read_cache(&path), CacheRead::Loaded(newer));
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files are left behind");
    }

    #[test]
    fn a_damaged_cache_is_ignored_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = cache_path(dir.path());
        for bad in [
            "{not json",
            "[]",
            r#"{"version":99,"fetched_at":0,"entries":[],"warnings":[]}"#,
        ] {
            std::fs::write(&path, bad).unwrap();
            match read_cache(&path) {
                CacheRead::Ignored { warning } => {
                    assert!(warning.contains("refresh the list"), "{warning}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        let mut catalog = sample_catalog();
        catalog.entries[0].region = "mars-1".into();
        write_cache(&path, &catalog).unwrap();
        let CacheRead::Loaded(read) = read_cache(&path) else {
            panic!("loads")
        };
        assert!(read.entries.is_empty());
        assert!(
            read.warnings
                .iter()
                .any(|w| w.contains("the region `mars-1` is not valid")),
            "{:?}",
            read.warnings
        );
    }

    #[test]
    fn cache_write_failure_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let err = write_cache(&blocker.join(CACHE_FILE_NAME), &sample_catalog()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot save the list of instances to "),
            "{err}"
        );
    }
}
