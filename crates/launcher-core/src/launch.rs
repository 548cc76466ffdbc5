//! Launching a catalog entry: choosing how (SAML application, permission set, what IT pinned),
//! building the URL, passing it through the URL gate, opening it, and recording the launch.
//!
//! Promises: nothing is opened (or printed) that [`UrlPolicy`] did not approve; role credentials
//! are reused from the keychain while they have [`ROLE_CREDENTIALS_MARGIN`] left and are never
//! written anywhere else; the console login URL (which carries a sign-in token) stays a [`Secret`]
//! until it is opened, or printed because the user asked with `--print`.
//!
//! The settings' part is decided by plain functions: [`LaunchRequest::for_entry`] (the
//! instance's table, approved origins, `new_domain`, the VDI platform), [`destination_for`]
//! (`--destination`, else the instance's `destination`, else the pinned default, else
//! `default_destination`, else `ccp`) and [`browser_for`] (`$BROWSER`, else `--browser`, else the
//! instance's `browser`, else the `browser` setting, else the system default). A VDI platform goes
//! only on a page of the instance; for the admin home or an external origin it is left out with a
//! note.

use std::time::Duration;

use url::Url;

use crate::browser::SystemBrowser;
use crate::catalog::{CatalogEntry, LaunchMethod, PinnedVia};
use crate::config::{Key, Resolved, Settings, Source};
use crate::connect::{ConnectClient, ConnectError, DomainForm};
use crate::console_federation::{ConsoleFederation, ConsoleFederationError, LoginRequest};
use crate::deps::Deps;
use crate::endpoints::Endpoints;
use crate::keychain::KeychainError;
use crate::portal::{PortalClient, PortalError, RoleCredentials};
use crate::region::Region;
use crate::relay_state::{federate_url, Destination, FederateTarget, RelayStateError, VdiPlatform};
use crate::role_credentials::RoleCredentialsError;
use crate::secret::Secret;
use crate::start_url::StartUrl;
use crate::url_policy::{UrlPolicy, UrlRefused};

/// Role credentials are reused while they have at least this long left.
pub const ROLE_CREDENTIALS_MARGIN: Duration = Duration::from_secs(5 * 60);
/// The destination when neither the user nor IT chose one.
pub use crate::config::DEFAULT_DESTINATION;

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

/// What the user asked for, and what the settings say about the instance.
#[derive(Debug, Clone, Default)]
pub struct LaunchRequest {
    /// `--destination`, in its configuration form (`ccp`, `agent-workspace`, `/path`, an origin).
    pub destination: Option<String>,
    /// Force one way of launching.
    pub via: Option<Via>,
    /// Origins the instance approved, for an external destination.
    pub approved_origins: Vec<String>,
    /// Sign out of the previous console session first (switching instances).
    pub switch_console_session: bool,
    /// The instance's own `destination` setting.
    pub instance_destination: Option<String>,
    /// The `default_destination` setting; `None` is [`DEFAULT_DESTINATION`].
    pub default_destination: Option<String>,
    /// The VDI platform for permission-set launches.
    pub vdi_platform: Option<VdiPlatform>,
    /// `new_domain=true` always or never; `None` asks for it when the instance is known to be on
    /// the `my.connect.aws` domain.
    pub new_domain: Option<bool>,
}

impl LaunchRequest {
    /// What the settings ask for when opening `entry`; the caller adds what was typed
    /// (`destination`, `via`, `switch_console_session`).
    pub fn for_entry(settings: &Settings, entry: &CatalogEntry) -> LaunchRequest {
        let instance = settings.instance(&entry.instance_id, entry.alias.as_deref());
        LaunchRequest {
            destination: None,
            via: None,
            approved_origins: settings.approved_origins.clone(),
            switch_console_session: false,
            instance_destination: instance.destination,
            default_destination: Some(settings.default_destination.clone()),
            vdi_platform: settings.vdi_platform,
            new_domain: settings.new_domain,
        }
    }

    /// Whether the user or the instance's settings name a page (a SAML application cannot open
    /// one of its own choosing, so a permission set is preferred when there is one).
    fn names_a_page(&self) -> bool {
        self.destination.is_some() || self.instance_destination.is_some()
    }
}

/// The destination of a permission-set launch, in configuration form: `--destination`, else the
/// instance's `destination`, else the pinned default, else `default_destination`, else
/// [`DEFAULT_DESTINATION`].
pub fn destination_for(request: &LaunchRequest, pinned_default: Option<&str>) -> String {
    request
        .destination
        .as_deref()
        .or(request.instance_destination.as_deref())
        .or(pinned_default)
        .or(request.default_destination.as_deref())
        .unwrap_or(DEFAULT_DESTINATION)
        .trim()
        .to_owned()
}

/// The browser to open `entry` in: `$BROWSER` (`env_browser`), else `--browser`, else the
/// instance's `browser`, else the `browser` setting, else the system default.
pub fn browser_for(
    resolved: &Resolved,
    entry: &CatalogEntry,
    env_browser: Option<&str>,
) -> SystemBrowser {
    let settings = &resolved.settings;
    let from_flag = matches!(resolved.source(Key::Browser), Source::Flag(_));
    let configured = if from_flag {
        settings.browser.clone()
    } else {
        settings
            .instance(&entry.instance_id, entry.alias.as_deref())
            .browser
            .or_else(|| settings.browser.clone())
    };
    SystemBrowser {
        env_browser: env_browser
            .filter(|b| !b.trim().is_empty())
            .map(str::to_owned),
        configured,
    }
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
    /// The launch's record, written and flushed while the launch waited on the network; [`open`]
    /// puts it in place (a rename) when it still says the right thing.
    staged: std::sync::Mutex<Option<StagedRecord>>,
}

impl PreparedLaunch {
    fn take_staged(&self) -> Option<StagedRecord> {
        self.staged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

/// A launch record staged by [`prepare`]: for which instance, at which second it was computed.
#[derive(Debug)]
struct StagedRecord {
    instance_id: String,
    now: u64,
    write: crate::session::StagedWrite,
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
    RoleCredentials(#[from] RoleCredentialsError),
    #[error(transparent)]
    Session(crate::session::SessionError),
    #[error(transparent)]
    Browser(#[from] crate::browser::BrowserError),
    #[error("cannot record the launch: {0}")]
    Record(#[from] crate::session::SessionError),
    #[error("the instance's region `{0}` is not one this version knows; refresh the list with `connect-launcher list --refresh`")]
    Region(String),
    #[error("{instance} cannot be re-launched from here: its Connect web address is unknown (it opens through a SAML application), so the app cannot log you out of Connect first, and signing in again without logging out keeps the old 12 hours. Between contacts, log out in the CCP (Settings, then Log out) and launch {instance} again; or ask IT to pin it in the policy with its alias (`alias` in `[instances.{instance_id}]`) so re-launch can do both for you")]
    NoLogoutAddress {
        instance: String,
        instance_id: String,
    },
}

impl LaunchError {
    pub fn is_retryable(&self) -> bool {
        match self {
            LaunchError::Portal(e) => e.is_retryable(),
            LaunchError::Console(e) => e.is_retryable(),
            LaunchError::Session(e) => e.is_retryable(),
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
    match (saml, ps, request.names_a_page()) {
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

/// Keeps role credentials in the keychain for reuse (one entry per account and role).
pub fn remember_role_credentials(
    deps: &Deps,
    start_url: &StartUrl,
    found: &[(String, String, RoleCredentials)],
) -> Result<(), RoleCredentialsError> {
    crate::role_credentials::remember(deps, start_url, found)
}

/// Where a launch gets the IAM Identity Center access token, asked only when the role's
/// credentials are not in the keychain: a launch with warm role credentials never reads it.
pub trait AccessToken: Sync {
    /// A valid access token.
    fn get(&self) -> impl std::future::Future<Output = Result<Secret, LaunchError>> + Send;
}

/// A token already at hand.
impl AccessToken for Secret {
    fn get(&self) -> impl std::future::Future<Output = Result<Secret, LaunchError>> + Send {
        let token = self.clone();
        async move { Ok(token) }
    }
}

/// The signed-in session's token, read from the keychain (and refreshed first when it is close to
/// running out) only when asked for.
#[derive(Debug)]
pub struct SessionToken<'a> {
    pub deps: &'a Deps,
    pub endpoints: &'a Endpoints,
}

impl AccessToken for SessionToken<'_> {
    async fn get(&self) -> Result<Secret, LaunchError> {
        let oidc =
            crate::oidc::OidcClient::new(self.deps.http.clone(), self.endpoints.oidc().clone());
        let (token, _) = crate::session::Sessions::new(self.deps)
            .fresh_access_token(self.deps, &oidc)
            .await
            .map_err(LaunchError::Session)?;
        Ok(token)
    }
}

/// Role credentials for a launch: from the keychain while valid, else from the portal.
async fn role_credentials(
    deps: &Deps,
    portal: &PortalClient,
    token: &impl AccessToken,
    start_url: &StartUrl,
    account: &str,
    role: &str,
) -> Result<RoleCredentials, LaunchError> {
    if let Some(c) =
        crate::role_credentials::stored(deps, start_url, account, role, ROLE_CREDENTIALS_MARGIN)?
    {
        tracing::debug!(account, role, "reusing role credentials");
        return Ok(c);
    }
    let token = token.get().await?;
    let c = portal.get_role_credentials(&token, account, role).await?;
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
    token: &impl AccessToken,
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
            let asked = if request.destination.is_some() {
                Some("--destination was")
            } else if request.instance_destination.is_some() {
                Some("its `destination` setting was")
            } else {
                None
            };
            if let Some(asked) = asked {
                notes.push(format!(
                    "{} opens through its SAML application, which decides the page itself; {asked} not used",
                    entry_name(entry)
                ));
            }
            if request.switch_console_session {
                notes.push(SAML_SWITCH_NOTE.to_owned());
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
                staged: Default::default(),
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
            if request.switch_console_session {
                notes.push(SAML_SWITCH_NOTE.to_owned());
            }
            // Without its name, the portal's deep link still works with the id in both places.
            let name = name.as_deref().unwrap_or(app_instance_id);
            let real = policy.check(&saml_deep_link(start_url, name, app_instance_id))?;
            let destination = pinned_destination.unwrap_or_else(|| "application".to_owned());
            Ok(PreparedLaunch {
                url: Secret::new(endpoints.reachable(real.as_url()).as_str()),
                via,
                destination,
                notes,
                staged: Default::default(),
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
            let wanted = destination_for(request, pinned_destination.as_deref());
            let destination = Destination::parse(&wanted, &request.approved_origins)?;
            let vdi_platform = request
                .vdi_platform
                .filter(|_| destination.is_instance_page());
            if let (Some(platform), None) = (request.vdi_platform, vdi_platform) {
                notes.push(format!(
                    "the VDI platform {platform} applies only to pages of the instance, so it was left out for {destination}"
                ));
            }
            let target = FederateTarget {
                region,
                instance_id: entry.instance_id.clone(),
                destination: destination.clone(),
                new_domain: request
                    .new_domain
                    .unwrap_or(entry.domain == DomainForm::New),
                vdi_platform,
            };
            let federate = federate_url(&target)?;
            // The launch's record is written and flushed to disk beside the network calls, not after
            // them; `open` renames it into place (or writes afresh if the second has changed).
            let now = crate::session::epoch(deps.clock.now());
            let staging = {
                let state = deps.dirs.state.clone();
                let launch = crate::launches::Launch {
                    instance_id: entry.instance_id.clone(),
                    alias: entry.alias.clone(),
                    region: entry.region.clone(),
                    destination: destination.to_string(),
                    launched_at: now,
                };
                tokio::task::spawn_blocking(move || {
                    let launches = crate::launches::load(&state);
                    let launched_at =
                        connect_session_start(&launches, &launch.instance_id, now).unwrap_or(now);
                    crate::launches::stage(
                        &state,
                        crate::launches::Launch {
                            launched_at,
                            ..launch
                        },
                    )
                })
            };
            let network = prepare_permission_set(
                deps,
                endpoints,
                start_url,
                token,
                entry,
                request,
                PermissionSetLaunch {
                    region,
                    account_id,
                    role_name,
                    federate: &federate,
                },
            );
            let (login, staged) = tokio::join!(network, staging);
            // A record that could not be staged is written by `open`, which reports its error.
            let staged = staged.ok().and_then(Result::ok).map(|write| StagedRecord {
                instance_id: entry.instance_id.clone(),
                now,
                write,
            });
            let login = login?;
            let approved = policy.check_secret(&login)?;
            Ok(PreparedLaunch {
                url: Secret::new(endpoints.reachable(approved.as_url()).as_str()),
                via,
                destination: destination.to_string(),
                notes,
                staged: std::sync::Mutex::new(staged),
            })
        }
    }
}

/// What a permission-set launch asks the portal and the sign-in endpoint for.
struct PermissionSetLaunch<'a> {
    region: Region,
    account_id: &'a String,
    role_name: &'a String,
    federate: &'a Url,
}

/// The network half of a permission-set launch: the role's credentials (kept, or from the
/// portal), then the console sign-in URL beside the check that Connect knows the user.
async fn prepare_permission_set(
    deps: &Deps,
    endpoints: &Endpoints,
    start_url: &StartUrl,
    token: &impl AccessToken,
    entry: &CatalogEntry,
    request: &LaunchRequest,
    launch: PermissionSetLaunch<'_>,
) -> Result<Secret, LaunchError> {
    let PermissionSetLaunch {
        region,
        account_id,
        role_name,
        federate,
    } = launch;
    let portal = PortalClient::new(deps.http.clone(), endpoints.portal().clone());
    // The system's trusted roots load while the keychain is read, not after it.
    let warm = (endpoints.portal().scheme() == "https").then(|| {
        let http = deps.http.clone();
        tokio::task::spawn_blocking(move || http.warm_up_tls())
    });
    let creds = role_credentials(deps, &portal, token, start_url, account_id, role_name).await;
    if let Some(warm) = warm {
        let _ = warm.await;
    }
    let creds = creds?;
    let console = ConsoleFederation::new(deps.http.clone(), endpoints.clone());
    let connect = ConnectClient::new(deps.http.clone(), endpoints.clone(), deps.clock.clone());
    let login_request = LoginRequest {
        region,
        credentials: &creds,
        issuer: start_url.as_str(),
        destination: federate,
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
    login.map_err(Into::into)
}

/// Said when `--switch` meets a SAML application launch.
const SAML_SWITCH_NOTE: &str = "--switch was not needed: a SAML application starts a console session of its own, which replaces the earlier one";

/// Opens a prepared launch in the browser and records it for the session clocks.
///
/// Signing in again does not restart Connect's 12 h (only a logout does, see [`relaunch`]), so
/// while the instance's last recorded session is still running the record keeps its start: the
/// clock may then warn early (if the agent logged out of the CCP by hand), never late.
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
    let now = crate::session::epoch(deps.clock.now());
    let staged = prepared.take_staged();
    if let Some(staged) = staged.filter(|s| s.now == now && s.instance_id == entry.instance_id) {
        staged.write.commit()?;
        return Ok(());
    }
    let launches = crate::launches::load(&deps.dirs.state);
    let started = connect_session_start(&launches, &entry.instance_id, now).unwrap_or(now);
    record(deps, entry, prepared, started)
}

/// When the Connect session of `instance_id` that is still running at `now` started, going by the
/// recorded launches.
pub fn connect_session_start(
    launches: &[crate::launches::Launch],
    instance_id: &str,
    now: u64,
) -> Option<u64> {
    launches
        .iter()
        .filter(|l| l.instance_id == instance_id)
        .map(|l| l.launched_at)
        .filter(|&at| at <= now && at + crate::clocks::CONNECT_SESSION.as_secs() > now)
        .max()
}

fn record(
    deps: &Deps,
    entry: &CatalogEntry,
    prepared: &PreparedLaunch,
    launched_at: u64,
) -> Result<(), LaunchError> {
    crate::launches::record(
        &deps.dirs.state,
        crate::launches::Launch {
            instance_id: entry.instance_id.clone(),
            alias: entry.alias.clone(),
            region: entry.region.clone(),
            destination: prepared.destination.clone(),
            launched_at,
        },
    )?;
    Ok(())
}

/// How long a re-launch waits between opening Connect's logout page and opening the new sign-in.
/// The browser loads the two in tabs of their own, concurrently; a logout that reached Connect
/// after the new sign-in would end the new session (or, signed in again before the logout, the
/// sign-in would keep the old session and its old 12 h). The logout is one small request, so two
/// seconds lets the browser send it first while the agent hardly notices the pause.
pub const RELAUNCH_LOGOUT_WAIT: Duration = Duration::from_secs(2);

/// Connect's logout page for an entry, on the domain its launches land on (`new_domain` moves a
/// permission-set launch to `my.connect.aws`). `None` when its alias is unknown.
pub fn relaunch_logout_url(entry: &CatalogEntry, request: &LaunchRequest, via: Via) -> Option<Url> {
    let domain = match (via, request.new_domain) {
        (Via::PermissionSet, Some(true)) => DomainForm::New,
        _ => entry.domain,
    };
    crate::end_shift::connect_logout_url(entry.alias.as_deref()?, domain)
}

/// Re-launches an entry so that Connect's fixed 12 h restart between contacts: Connect's session
/// is hard 12 h from login, and the only reset is to log out and sign in again
/// (`connect-sign-in.md` §0.3, §1.6). So, in the browser the launch would use:
///
/// 1. the new launch is prepared first (a portal or onboarding failure leaves the running
///    session alone);
/// 2. the instance's Connect logout page (`https://{alias}.my.connect.aws/logout`, or the legacy
///    `https://{alias}.awsapps.com/connect/logout`) is opened;
/// 3. [`RELAUNCH_LOGOUT_WAIT`] passes on the injected clock, so the logout is sent first;
/// 4. the fresh federation is opened: through a permission set with the console sign-in's logout
///    hop in front (`switch_console_session`), so a new console session starts too; through a
///    SAML application, its deep link again;
/// 5. the launch is recorded at that moment, so the clocks count 12 h from it.
///
/// Every URL passes the URL gate. An entry whose alias is unknown (known only through a SAML
/// application) has no logout page the app can open, so it is refused with what to do instead,
/// and nothing is opened.
pub async fn relaunch(
    deps: &Deps,
    endpoints: &Endpoints,
    start_url: &StartUrl,
    token: &impl AccessToken,
    entry: &CatalogEntry,
    request: &LaunchRequest,
) -> Result<PreparedLaunch, LaunchError> {
    let (_, via) = choose_method(entry, request)?;
    let logout =
        relaunch_logout_url(entry, request, via).ok_or_else(|| LaunchError::NoLogoutAddress {
            instance: entry_name(entry),
            instance_id: entry.instance_id.clone(),
        })?;
    let logout = UrlPolicy::new(endpoints).check_url(logout)?;
    let request = LaunchRequest {
        switch_console_session: via == Via::PermissionSet,
        ..request.clone()
    };
    let prepared = prepare(deps, endpoints, start_url, token, entry, &request).await?;
    // A re-launch records a fresh start below, not the record staged for an ordinary launch.
    drop(prepared.take_staged());
    let sign_in = Url::parse(prepared.url.expose()).map_err(|_| UrlRefused::NotAUrl)?;
    deps.opener.open(&endpoints.reachable(logout.as_url()))?;
    deps.clock.sleep(RELAUNCH_LOGOUT_WAIT).await;
    deps.opener.open(&sign_in)?;
    record(
        deps,
        entry,
        &prepared,
        crate::session::epoch(deps.clock.now()),
    )?;
    Ok(prepared)
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
            account_name: None,
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

    fn resolved(policy: &str, user: &str, flags: crate::config::Flags) -> Resolved {
        let file = |path: &str, text: &str| {
            Some(crate::config::SourceFile {
                path: path.into(),
                text: text.to_owned(),
            })
        };
        crate::config::resolve(&crate::config::Layers {
            policy: file("/etc/connect-launcher/policy.toml", policy),
            user: file("/home/a/.config/connect-launcher/settings.toml", user),
            flags,
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn the_destination_is_chosen_by_precedence() {
        let mut request = LaunchRequest::default();
        assert_eq!(destination_for(&request, None), "ccp");
        request.default_destination = Some("ccp-chat".into());
        assert_eq!(destination_for(&request, None), "ccp-chat");
        assert_eq!(
            destination_for(&request, Some("admin")),
            "admin",
            "IT's pinned default beats default_destination"
        );
        request.instance_destination = Some("/ccp-v2/softphone".into());
        assert_eq!(
            destination_for(&request, Some("admin")),
            "/ccp-v2/softphone",
            "the instance's own destination beats the pinned default"
        );
        request.destination = Some("agent-workspace".into());
        assert_eq!(
            destination_for(&request, Some("admin")),
            "agent-workspace",
            "--destination beats everything"
        );
    }

    #[test]
    fn a_request_carries_the_instance_settings() {
        let r = resolved(
            "vdi_platform = \"OMNISSA\"\napproved_origins = [\"https://crm.example.com\"]\nnew_domain = true\ndefault_destination = \"ccp-chat\"\n",
            "[instances.acme]\ndestination = \"agent-workspace\"\n",
            Default::default(),
        );
        let request = LaunchRequest::for_entry(&r.settings, &entry(vec![ps()]));
        assert_eq!(request.vdi_platform, Some(VdiPlatform::Omnissa));
        assert_eq!(request.approved_origins, ["https://crm.example.com"]);
        assert_eq!(request.new_domain, Some(true));
        assert_eq!(request.default_destination.as_deref(), Some("ccp-chat"));
        assert_eq!(
            request.instance_destination.as_deref(),
            Some("agent-workspace")
        );
        assert_eq!(request.destination, None);
        assert!(!request.switch_console_session);
        // An instance's own destination asks for a page, so a permission set is preferred.
        assert_eq!(
            choose_method(&entry(vec![saml(), ps()]), &request)
                .unwrap()
                .1,
            Via::PermissionSet
        );
        let other = CatalogEntry {
            alias: Some("other".into()),
            instance_id: "other-id".into(),
            ..entry(vec![ps()])
        };
        assert_eq!(
            LaunchRequest::for_entry(&r.settings, &other).instance_destination,
            None
        );
    }

    #[test]
    fn the_browser_is_chosen_by_precedence() {
        let acme = entry(vec![ps()]);
        let other = CatalogEntry {
            alias: Some("other".into()),
            instance_id: "other-id".into(),
            ..entry(vec![ps()])
        };
        let user = "browser = \"firefox\"\n[instances.acme]\nbrowser = 'google-chrome --profile-directory=\"Profile 2\"'\n";
        let r = resolved("", user, Default::default());
        let chosen = |r: &Resolved, e: &CatalogEntry, env: Option<&str>| {
            let b = browser_for(r, e, env);
            (b.env_browser, b.configured)
        };
        assert_eq!(
            chosen(&r, &acme, None),
            (
                None,
                Some("google-chrome --profile-directory=\"Profile 2\"".into())
            ),
            "the instance's browser beats the browser setting"
        );
        assert_eq!(chosen(&r, &other, None), (None, Some("firefox".into())));
        assert_eq!(
            chosen(&r, &acme, Some("lynx")),
            (
                Some("lynx".into()),
                Some("google-chrome --profile-directory=\"Profile 2\"".into())
            ),
            "$BROWSER is tried first"
        );
        assert_eq!(
            SystemBrowser {
                env_browser: Some("lynx".into()),
                configured: Some("firefox".into())
            }
            .candidates(),
            ["lynx"]
        );
        let flagged = resolved(
            "",
            user,
            crate::config::Flags {
                browser: Some("chromium --incognito".into()),
                ..Default::default()
            },
        );
        assert_eq!(
            chosen(&flagged, &acme, Some(" ")),
            (None, Some("chromium --incognito".into())),
            "--browser beats the instance's browser; an empty $BROWSER is unset"
        );
        let none = resolved("", "", Default::default());
        assert_eq!(chosen(&none, &acme, None), (None, None));
    }

    #[test]
    fn relaunch_logs_out_where_the_launch_lands() {
        let url = |e: &CatalogEntry, new_domain: Option<bool>, via: Via| {
            let request = LaunchRequest {
                new_domain,
                ..Default::default()
            };
            relaunch_logout_url(e, &request, via).map(|u| u.to_string())
        };
        let acme = entry(vec![ps()]);
        assert_eq!(
            url(&acme, None, Via::PermissionSet).as_deref(),
            Some("https://acme.my.connect.aws/logout")
        );
        let legacy = CatalogEntry {
            domain: DomainForm::Legacy,
            ..entry(vec![ps(), saml()])
        };
        assert_eq!(
            url(&legacy, None, Via::PermissionSet).as_deref(),
            Some("https://acme.awsapps.com/connect/logout")
        );
        assert_eq!(
            url(&legacy, Some(true), Via::PermissionSet).as_deref(),
            Some("https://acme.my.connect.aws/logout"),
            "new_domain=true lands a permission-set launch on my.connect.aws"
        );
        assert_eq!(
            url(&legacy, Some(true), Via::SamlApplication).as_deref(),
            Some("https://acme.awsapps.com/connect/logout"),
            "a SAML application's relay state decides its own domain"
        );
        let unknown = CatalogEntry {
            alias: None,
            ..entry(vec![saml()])
        };
        assert_eq!(url(&unknown, None, Via::SamlApplication), None);
    }

    #[test]
    fn a_launch_within_the_12_hours_keeps_the_running_sessions_start() {
        use crate::launches::Launch;
        let twelve = crate::clocks::CONNECT_SESSION.as_secs();
        let at = |id: &str, launched_at: u64| Launch {
            instance_id: id.into(),
            alias: None,
            region: "us-east-1".into(),
            destination: "ccp".into(),
            launched_at,
        };
        let launches = [at("a", 1_000), at("b", 5_000), at("a", 3_000)];
        assert_eq!(connect_session_start(&launches, "a", 4_000), Some(3_000));
        assert_eq!(
            connect_session_start(&launches, "a", 1_000 + twelve),
            Some(3_000)
        );
        assert_eq!(
            connect_session_start(&launches, "a", 3_000 + twelve),
            None,
            "ended"
        );
        assert_eq!(connect_session_start(&launches, "c", 4_000), None);
        assert_eq!(
            connect_session_start(&launches, "b", 4_000),
            None,
            "a launch after now (a clock set back) is not running"
        );
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
