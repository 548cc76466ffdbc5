//! Launching a catalog entry: choosing how (SAML application, permission set, what IT pinned),
//! building the URL, passing it through the URL gate, opening it, and recording the launch.
//!
//! Promises: nothing is opened (or printed) that [`UrlPolicy`] did not approve; role credentials
//! are reused from the keychain while they have [`ROLE_CREDENTIALS_MARGIN`] left and are never
//! written anywhere else; the console login URL (which carries a sign-in token) stays a [`Secret`]
//! until it is opened, or printed because the user asked with `--print`.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::catalog::{CatalogEntry, LaunchMethod, PinnedVia};
use crate::connect::{ConnectClient, ConnectError, DomainForm};
use crate::console_federation::{ConsoleFederation, ConsoleFederationError, LoginRequest};
use crate::deps::Deps;
use crate::endpoints::Endpoints;
use crate::keychain::{EntryKey, KeychainError};
use crate::portal::{PortalClient, PortalError, RoleCredentials};
use crate::region::Region;
use crate::relay_state::{federate_url, Destination, FederateTarget, RelayStateError};
use crate::secret::Secret;
use crate::start_url::StartUrl;
use crate::url_policy::{UrlPolicy, UrlRefused};

/// Role credentials are reused while they have at least this long left.
pub const ROLE_CREDENTIALS_MARGIN: Duration = Duration::from_secs(5 * 60);
/// The destination when neither the user nor IT chose one.
pub const DEFAULT_DESTINATION: &str = "ccp";

/// What a path segment leaves unescaped: letters, digits and `-._~`.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Which way to launch, when an entry has several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    SamlApplication,
    PermissionSet,
}

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct LaunchRequest {
    /// A destination in its configuration form (`ccp`, `agent-workspace`, `/path`, an origin).
    pub destination: Option<String>,
    /// Force one way of launching.
    pub via: Option<Via>,
    /// Origins the instance approved, for an external destination.
    pub approved_origins: Vec<String>,
    /// Sign out of the previous console session first (switching instances).
    pub switch_console_session: bool,
}

/// A launch ready to open.
#[derive(Debug)]
pub struct PreparedLaunch {
    /// The URL to open (mapped to the emulator when one is configured).
    pub url: Secret,
    /// How it launches.
    pub via: Via,
    /// The page it lands on, in configuration form (for SAML applications, the relay state's).
    pub destination: String,
    /// Said to the user: e.g. the SAML application decides the page itself.
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("{0} cannot be opened from here: it has no SAML application or permission set you can use; ask IT to pin it with a launch method")]
    NoMethod(String),
    #[error("{instance} has no {via} way to open it; leave out --via to use the one it has")]
    NoSuchMethod { instance: String, via: &'static str },
    #[error("you are signed in, but Amazon Connect has no user for you in {instance}; ask your Connect administrator to add you to {instance} with your IAM Identity Center user name as the Connect username (exactly, case included), for the role {role}")]
    NotOnboarded { instance: String, role: String },
    #[error(transparent)]
    Connect(ConnectError),
    #[error(transparent)]
    Destination(#[from] RelayStateError),
    #[error(transparent)]
    Portal(#[from] PortalError),
    #[error(transparent)]
    Console(#[from] ConsoleFederationError),
    #[error(transparent)]
    Refused(#[from] UrlRefused),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(transparent)]
    Browser(#[from] crate::browser::BrowserError),
    #[error("cannot record the launch: {0}")]
    Record(#[from] crate::session::SessionError),
    #[error("the instance's region `{0}` is not one this version knows; refresh the list with `connect-launcher list --refresh`")]
    Region(String),
}

impl LaunchError {
    pub fn is_retryable(&self) -> bool {
        match self {
            LaunchError::Portal(e) => e.is_retryable(),
            LaunchError::Console(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// The name an entry goes by in messages: its alias, else its SAML application's name, else its id.
pub fn entry_name(entry: &CatalogEntry) -> String {
    entry
        .alias
        .clone()
        .or_else(|| application_names(entry).next().map(str::to_owned))
        .unwrap_or_else(|| entry.instance_id.clone())
}

/// The names of the SAML applications that open an entry.
fn application_names(entry: &CatalogEntry) -> impl Iterator<Item = &str> {
    entry.launch_methods.iter().filter_map(|m| match m {
        LaunchMethod::SamlApplication { name, .. } => Some(name.as_str()),
        LaunchMethod::Pinned {
            via: PinnedVia::SamlApplication {
                name: Some(name), ..
            },
            ..
        } => Some(name.as_str()),
        _ => None,
    })
}

/// The launch method to use, by rule: what the user forced; else IT's pin; else a SAML
/// application (the documented setup) unless the user asked for a page and a permission set can
/// open it; else a permission set.
pub fn choose_method<'a>(
    entry: &'a CatalogEntry,
    request: &LaunchRequest,
) -> Result<(&'a LaunchMethod, Via), LaunchError> {
    let via_of = |m: &LaunchMethod| match m {
        LaunchMethod::SamlApplication { .. }
        | LaunchMethod::Pinned {
            via: PinnedVia::SamlApplication { .. },
            ..
        } => Via::SamlApplication,
        LaunchMethod::PermissionSet { .. }
        | LaunchMethod::Pinned {
            via: PinnedVia::PermissionSet { .. },
            ..
        } => Via::PermissionSet,
    };
    let methods = &entry.launch_methods;
    if let Some(forced) = request.via {
        return methods
            .iter()
            .find(|m| via_of(m) == forced)
            .map(|m| (m, forced))
            .ok_or(LaunchError::NoSuchMethod {
                instance: entry_name(entry),
                via: match forced {
                    Via::SamlApplication => "SAML application",
                    Via::PermissionSet => "permission set",
                },
            });
    }
    if let Some(p) = methods
        .iter()
        .find(|m| matches!(m, LaunchMethod::Pinned { .. }))
    {
        return Ok((p, via_of(p)));
    }
    let saml = methods
        .iter()
        .find(|m| matches!(m, LaunchMethod::SamlApplication { .. }));
    let ps = methods
        .iter()
        .find(|m| matches!(m, LaunchMethod::PermissionSet { .. }));
    match (saml, ps, request.destination.is_some()) {
        (Some(_), Some(p), true) => Ok((p, Via::PermissionSet)),
        (Some(s), _, _) => Ok((s, Via::SamlApplication)),
        (None, Some(p), _) => Ok((p, Via::PermissionSet)),
        (None, None, _) => Err(LaunchError::NoMethod(entry_name(entry))),
    }
}

/// The portal's deep link that launches a SAML application:
/// `{start_url}/#/saml/default/{URL-encoded name}/{app instance id}`.
pub fn saml_deep_link(start_url: &StartUrl, app_name: &str, app_instance_id: &str) -> String {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, PATH_SEGMENT).to_string();
    format!(
        "{}/#/saml/default/{}/{}",
        start_url.as_str().trim_end_matches('/'),
        enc(app_name),
        enc(app_instance_id)
    )
}

/// The stored role credentials of one sign-in, keyed `account/role`.
#[derive(Default, Serialize, Deserialize)]
struct StoredRoles(BTreeMap<String, StoredRole>);

#[derive(Serialize, Deserialize)]
struct StoredRole {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Secret,
    expires_at: u64,
}

fn role_key(account: &str, role: &str) -> String {
    format!("{account}/{role}")
}

/// Keeps role credentials in the keychain for reuse (one entry per sign-in).
pub fn remember_role_credentials(
    deps: &Deps,
    start_url: &StartUrl,
    found: &[(String, String, RoleCredentials)],
) -> Result<(), KeychainError> {
    if found.is_empty() {
        return Ok(());
    }
    let key = EntryKey::role_credentials(start_url);
    let mut roles: StoredRoles = deps
        .store
        .get(&key)?
        .and_then(|s| serde_json::from_str(s.expose()).ok())
        .unwrap_or_default();
    let now = deps.clock.now();
    roles
        .0
        .retain(|_, r| UNIX_EPOCH + Duration::from_secs(r.expires_at) > now);
    for (account, role, c) in found {
        roles.0.insert(
            role_key(account, role),
            StoredRole {
                access_key_id: c.access_key_id.clone(),
                secret_access_key: c.secret_access_key.clone(),
                session_token: c.session_token.clone(),
                expires_at: crate::session::epoch(c.expiration),
            },
        );
    }
    let json = zeroize::Zeroizing::new(serde_json::to_string(&roles).expect("roles serialise"));
    deps.store.set(&key, &Secret::new(json.as_str()))
}

/// Stored credentials for a role with enough time left.
fn stored_role_credentials(
    deps: &Deps,
    start_url: &StartUrl,
    account: &str,
    role: &str,
) -> Result<Option<RoleCredentials>, KeychainError> {
    let Some(raw) = deps.store.get(&EntryKey::role_credentials(start_url))? else {
        return Ok(None);
    };
    let Ok(roles) = serde_json::from_str::<StoredRoles>(raw.expose()) else {
        return Ok(None);
    };
    let Some(r) = roles.0.get(&role_key(account, role)) else {
        return Ok(None);
    };
    let c = RoleCredentials {
        access_key_id: r.access_key_id.clone(),
        secret_access_key: r.secret_access_key.clone(),
        session_token: r.session_token.clone(),
        expiration: UNIX_EPOCH + Duration::from_secs(r.expires_at),
    };
    Ok(c.valid_at(deps.clock.now(), ROLE_CREDENTIALS_MARGIN)
        .then_some(c))
}

/// Role credentials for a launch: from the keychain while valid, else from the portal.
async fn role_credentials(
    deps: &Deps,
    portal: &PortalClient,
    token: &Secret,
    start_url: &StartUrl,
    account: &str,
    role: &str,
) -> Result<RoleCredentials, LaunchError> {
    if let Some(c) = stored_role_credentials(deps, start_url, account, role)? {
        tracing::debug!(account, role, "reusing role credentials");
        return Ok(c);
    }
    let c = portal.get_role_credentials(token, account, role).await?;
    remember_role_credentials(
        deps,
        start_url,
        &[(account.to_owned(), role.to_owned(), c.clone())],
    )?;
    Ok(c)
}

/// Builds the URL for a launch (calling the portal and the sign-in endpoint for a permission set).
pub async fn prepare(
    deps: &Deps,
    endpoints: &Endpoints,
    start_url: &StartUrl,
    token: &Secret,
    entry: &CatalogEntry,
    request: &LaunchRequest,
) -> Result<PreparedLaunch, LaunchError> {
    let policy = UrlPolicy::new(endpoints);
    let (method, via) = choose_method(entry, request)?;
    let pinned_destination = match method {
        LaunchMethod::Pinned {
            default_destination,
            ..
        } => default_destination.clone(),
        _ => None,
    };
    let mut notes = Vec::new();
    match method {
        LaunchMethod::SamlApplication {
            app_instance_id,
            name,
            relay_state,
        } => {
            if request.destination.is_some() {
                notes.push(format!(
                    "{} opens through its SAML application, which decides the page itself; --destination was not used",
                    entry_name(entry)
                ));
            }
            let destination = crate::relay_state::parse_federate_url(relay_state)
                .map(|t| t.destination.to_string())
                .unwrap_or_else(|_| "application".to_owned());
            let real = policy.check(&saml_deep_link(start_url, name, app_instance_id))?;
            Ok(PreparedLaunch {
                url: Secret::new(endpoints.reachable(real.as_url()).as_str()),
                via,
                destination,
                notes,
            })
        }
        LaunchMethod::Pinned {
            via:
                PinnedVia::SamlApplication {
                    app_instance_id,
                    name,
                },
            ..
        } => {
            // Without its name, the portal's deep link still works with the id in both places.
            let name = name.as_deref().unwrap_or(app_instance_id);
            let real = policy.check(&saml_deep_link(start_url, name, app_instance_id))?;
            let destination = pinned_destination.unwrap_or_else(|| "application".to_owned());
            Ok(PreparedLaunch {
                url: Secret::new(endpoints.reachable(real.as_url()).as_str()),
                via,
                destination,
                notes,
            })
        }
        LaunchMethod::PermissionSet {
            account_id,
            role_name,
        }
        | LaunchMethod::Pinned {
            via:
                PinnedVia::PermissionSet {
                    account_id,
                    role_name,
                },
            ..
        } => {
            let region = Region::parse(&entry.region)
                .map_err(|_| LaunchError::Region(entry.region.clone()))?;
            let wanted = request
                .destination
                .clone()
                .or(pinned_destination)
                .unwrap_or_else(|| DEFAULT_DESTINATION.to_owned());
            let destination = Destination::parse(&wanted, &request.approved_origins)?;
            let target = FederateTarget {
                region,
                instance_id: entry.instance_id.clone(),
                destination: destination.clone(),
                new_domain: entry.domain == DomainForm::New,
                vdi_platform: None,
            };
            let federate = federate_url(&target)?;
            let portal = PortalClient::new(deps.http.clone(), endpoints.portal().clone());
            let creds =
                role_credentials(deps, &portal, token, start_url, account_id, role_name).await?;
            let console = ConsoleFederation::new(deps.http.clone(), endpoints.clone());
            let connect =
                ConnectClient::new(deps.http.clone(), endpoints.clone(), deps.clock.clone());
            let login_request = LoginRequest {
                region,
                credentials: &creds,
                issuer: start_url.as_str(),
                destination: &federate,
                session_duration: None,
                logout_first: request.switch_console_session,
            };
            // Whether Connect knows this user, asked beside the sign-in token (no extra wait): a
            // clear message here beats Connect's "not onboarded" page in the browser.
            let (login, onboarded) = tokio::join!(
                console.login_url(&login_request),
                connect.get_federation_token(region, &creds, &entry.instance_id)
            );
            match onboarded {
                Ok(_) => {}
                Err(ConnectError::UserNotFound { .. }) => {
                    return Err(LaunchError::NotOnboarded {
                        instance: entry_name(entry),
                        role: role_name.clone(),
                    })
                }
                Err(e @ ConnectError::AccessDenied { .. }) => return Err(LaunchError::Connect(e)),
                Err(e) => {
                    tracing::warn!(error = %e, "could not check the Connect user before launching; launching anyway")
                }
            }
            let login = login?;
            let approved = policy.check_secret(&login)?;
            Ok(PreparedLaunch {
                url: Secret::new(endpoints.reachable(approved.as_url()).as_str()),
                via,
                destination: destination.to_string(),
                notes,
            })
        }
    }
}

/// Opens a prepared launch in the browser and records it for the session clocks.
pub fn open(
    deps: &Deps,
    entry: &CatalogEntry,
    prepared: &PreparedLaunch,
    print: bool,
) -> Result<(), LaunchError> {
    if !print {
        let url = Url::parse(prepared.url.expose()).map_err(|_| UrlRefused::NotAUrl)?;
        deps.opener.open(&url)?;
    }
    crate::launches::record(
        &deps.dirs.state,
        crate::launches::Launch {
            instance_id: entry.instance_id.clone(),
            alias: entry.alias.clone(),
            region: entry.region.clone(),
            destination: prepared.destination.clone(),
            launched_at: crate::session::epoch(deps.clock.now()),
        },
    )?;
    Ok(())
}

/// Finds catalog entries by alias or instance id, else by SAML application name, else by a part
/// of an application name (all ignoring case). The first tier that finds anything wins.
pub fn find<'a>(entries: &'a [CatalogEntry], name: &str) -> Vec<&'a CatalogEntry> {
    let n = name.trim().to_lowercase();
    let tiers: [&dyn Fn(&CatalogEntry) -> bool; 3] = [
        &|e| {
            e.instance_id.to_lowercase() == n
                || e.alias.as_deref().is_some_and(|a| a.to_lowercase() == n)
        },
        &|e| application_names(e).any(|a| a.to_lowercase() == n),
        &|e| !n.is_empty() && application_names(e).any(|a| a.to_lowercase().contains(&n)),
    ];
    for tier in tiers {
        let found: Vec<&CatalogEntry> = entries.iter().filter(|e| tier(e)).collect();
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(methods: Vec<LaunchMethod>) -> CatalogEntry {
        CatalogEntry {
            instance_id: "11111111-2222-3333-4444-555555555555".into(),
            alias: Some("acme".into()),
            region: "us-east-1".into(),
            account_id: Some("111122223333".into()),
            domain: DomainForm::New,
            launch_methods: methods,
            sources: Vec::new(),
        }
    }

    fn saml() -> LaunchMethod {
        LaunchMethod::SamlApplication {
            app_instance_id: "ins-1".into(),
            name: "Amazon Connect - acme".into(),
            relay_state: String::new(),
        }
    }

    fn ps() -> LaunchMethod {
        LaunchMethod::PermissionSet {
            account_id: "111122223333".into(),
            role_name: "ConnectAgent".into(),
        }
    }

    #[test]
    fn method_rule() {
        let both = entry(vec![saml(), ps()]);
        assert_eq!(
            choose_method(&both, &LaunchRequest::default()).unwrap().1,
            Via::SamlApplication
        );
        let with_dest = LaunchRequest {
            destination: Some("agent-workspace".into()),
            ..Default::default()
        };
        assert_eq!(
            choose_method(&both, &with_dest).unwrap().1,
            Via::PermissionSet
        );
        let forced = LaunchRequest {
            via: Some(Via::SamlApplication),
            destination: Some("ccp".into()),
            ..Default::default()
        };
        assert_eq!(
            choose_method(&both, &forced).unwrap().1,
            Via::SamlApplication
        );
        let only_saml = entry(vec![saml()]);
        let e = choose_method(
            &only_saml,
            &LaunchRequest {
                via: Some(Via::PermissionSet),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("no permission set way"), "{e}");
        assert!(matches!(
            choose_method(&entry(vec![]), &LaunchRequest::default()),
            Err(LaunchError::NoMethod(_))
        ));
    }

    #[test]
    fn deep_link_is_encoded() {
        let start = StartUrl::parse("https://d-9067c2d5a1.awsapps.com/start", false).unwrap();
        assert_eq!(
            saml_deep_link(&start, "Amazon Connect - acme", "ins-3f6a1b2c4d5e6f70"),
            "https://d-9067c2d5a1.awsapps.com/start/#/saml/default/Amazon%20Connect%20-%20acme/ins-3f6a1b2c4d5e6f70"
        );
    }

    #[test]
    fn find_by_alias_id_or_application() {
        let entries = vec![entry(vec![saml()])];
        assert_eq!(find(&entries, "ACME").len(), 1);
        assert_eq!(
            find(&entries, "11111111-2222-3333-4444-555555555555").len(),
            1
        );
        assert_eq!(find(&entries, "amazon connect - acme").len(), 1);
        assert!(find(&entries, "other").is_empty());
        let saml_only = vec![
            CatalogEntry {
                alias: None,
                ..entry(vec![saml()])
            },
            CatalogEntry {
                alias: None,
                instance_id: "other".into(),
                ..entry(vec![LaunchMethod::SamlApplication {
                    app_instance_id: "ins-2".into(),
                    name: "Amazon Connect - acme-emea".into(),
                    relay_state: String::new(),
                }])
            },
        ];
        assert_eq!(
            find(&saml_only, "acme-emea").len(),
            1,
            "a part of the application's name"
        );
        assert_eq!(find(&saml_only, "acme").len(), 2, "ambiguous: both");
        assert_eq!(entry_name(&saml_only[0]), "Amazon Connect - acme");
    }
}
