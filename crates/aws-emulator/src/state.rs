//! Everything the emulated services remember between requests: OIDC clients, device and code
//! grants, portal sessions and their tokens, role credentials, sign-in tokens and browser sessions.
//!
//! Promises: one lock guards it all, held only for map look-ups (never across an await); a portal
//! session that ended or was revoked makes every token issued for it invalid at once.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::Clock;
use crate::faults::Faults;
use crate::org::Org;

/// The base URLs of the emulator's listeners (`http://127.0.0.1:PORT`, no trailing slash).
#[derive(Debug, Clone, Default)]
pub struct Urls {
    /// IdC OIDC: RegisterClient, StartDeviceAuthorization, CreateToken, `/authorize`, `/device`.
    pub oidc: String,
    /// The IdC portal API, documented and undocumented.
    pub portal: String,
    /// The Amazon Connect API (every region).
    pub connect: String,
    /// Browser-facing hosts, each under `/{host}/…`: sign-in, console, the access portal's start
    /// page, Connect instance sites. Plus the control API under `/_emulator/…`.
    pub web: String,
}

impl Urls {
    /// The emulator URL that stands for `https://{host}{path}`.
    pub fn web_url(&self, host: &str, path_and_query: &str) -> String {
        format!("{}/{}{}", self.web, host, path_and_query)
    }
}

/// A registered public OIDC client.
#[derive(Debug, Clone)]
pub struct Client {
    pub secret: String,
    pub name: String,
    pub expires_at: u64,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub issuer_url: Option<String>,
}

/// Where a device authorization stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved {
        user: String,
    },
    Denied,
    /// Tokens were issued; the device code cannot be used again.
    Used,
}

#[derive(Debug, Clone)]
pub struct Device {
    pub client_id: String,
    pub user_code: String,
    pub start_url: String,
    pub expires_at: u64,
    pub interval: u64,
    /// Emulated epoch milliseconds of the last CreateToken poll.
    pub last_poll_ms: Option<u64>,
    pub status: DeviceStatus,
}

/// A pending `/authorize` request waiting on the consent page.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub scopes: Vec<String>,
}

/// An authorization code issued by `/authorize`.
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub user: String,
    pub scopes: Vec<String>,
    pub expires_at: u64,
    pub used: bool,
}

/// An access-portal (user interactive) session.
#[derive(Debug, Clone)]
pub struct PortalSession {
    pub user: String,
    pub started: u64,
    pub ends_at: u64,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub session: String,
    pub client_id: String,
    pub expires_at: u64,
}

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub session: String,
    pub client_id: String,
    pub revoked: bool,
}

/// Temporary credentials for a permission-set role (or a SAML role).
#[derive(Debug, Clone)]
pub struct RoleCredentials {
    pub secret_access_key: String,
    pub session_token: String,
    pub user: String,
    pub account: String,
    pub role: String,
    /// Epoch seconds.
    pub expires_at: u64,
}

/// A console sign-in token from `getSigninToken`.
#[derive(Debug, Clone)]
pub struct SigninToken {
    pub access_key_id: String,
    pub created: u64,
    /// Console session length in seconds, when `SessionDuration` was given.
    pub session_duration: Option<u64>,
    pub used: bool,
}

/// A browser's console session (cookie on the console hosts).
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub user: String,
    pub account: String,
    pub role: String,
    pub expires_at: u64,
}

/// A browser's session on one Connect instance (cookie on the instance site).
#[derive(Debug, Clone)]
pub struct ConnectSession {
    pub instance_id: String,
    pub user: String,
    pub started: u64,
    pub ends_at: u64,
}

/// A one-time code with which the console's federate link hands a sign-in to an instance's own
/// site, which alone sees (and sets) the browser's Connect session cookie.
#[derive(Debug, Clone)]
pub struct ConnectHandoff {
    pub instance_id: String,
    /// The Connect username (the role session name).
    pub user: String,
    /// The instance host the code is for (`{alias}.my.connect.aws` or `{alias}.awsapps.com`).
    pub host: String,
    /// Where the browser goes once signed in: a path on `host`, or an `https` URL elsewhere.
    pub next: String,
    /// Epoch seconds.
    pub expires_at: u64,
}

/// Tokens from Connect GetFederationToken for one Connect user of one instance.
#[derive(Debug, Clone)]
pub struct FederationToken {
    pub instance_id: String,
    /// The Connect username (the role session name).
    pub user: String,
    pub refresh_token: String,
    /// Epoch seconds.
    pub access_expires_at: u64,
    /// Epoch seconds.
    pub refresh_expires_at: u64,
}

/// All mutable state.
#[derive(Debug, Default)]
pub struct State {
    pub clients: HashMap<String, Client>,
    pub devices: HashMap<String, Device>,
    pub auth_requests: HashMap<String, AuthRequest>,
    pub codes: HashMap<String, AuthCode>,
    pub sessions: HashMap<String, PortalSession>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub role_credentials: HashMap<String, RoleCredentials>,
    pub signin_tokens: HashMap<String, SigninToken>,
    pub console_sessions: HashMap<String, ConsoleSession>,
    pub connect_sessions: HashMap<String, ConnectSession>,
    /// Federations on their way from the console to an instance's site, by one-time code.
    pub connect_handoffs: HashMap<String, ConnectHandoff>,
    /// Browser sign-ins to the portal (cookie `idc_session` → portal session id).
    pub browser_sessions: HashMap<String, String>,
    /// Connect GetFederationToken results, by access token, for the instance's `/auth/sign-in`.
    pub federation_tokens: HashMap<String, FederationToken>,
    /// The key this emulator signs its SAML assertions with (random per emulator).
    pub saml_key: crate::saml::SamlKey,
}

impl State {
    /// The user behind a valid access token, with its session id.
    pub fn user_for_token(&self, token: &str, now: u64) -> Option<(String, String)> {
        let t = self.access_tokens.get(token)?;
        if t.expires_at <= now {
            return None;
        }
        let s = self.sessions.get(&t.session)?;
        (!s.revoked && s.ends_at > now).then(|| (s.user.clone(), t.session.clone()))
    }

    /// Ends a portal session and everything issued for it.
    pub fn end_session(&mut self, session: &str) {
        if let Some(s) = self.sessions.get_mut(session) {
            s.revoked = true;
        }
        for r in self
            .refresh_tokens
            .values_mut()
            .filter(|r| r.session == session)
        {
            r.revoked = true;
        }
    }
}

/// Options that change how the services behave.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Approve `/authorize` and device codes at once as this user (the first user when empty).
    pub auto_approve: Option<String>,
}

/// What every handler shares.
#[derive(Debug)]
pub struct Shared {
    pub org: Org,
    pub clock: Clock,
    pub faults: Faults,
    pub urls: Urls,
    pub behaviour: Mutex<Behaviour>,
    pub state: Mutex<State>,
}

impl Shared {
    /// The user that auto-approval signs in as, if it is on.
    pub fn auto_approve_user(&self) -> Option<String> {
        let b = self.behaviour.lock().unwrap();
        let name = b.auto_approve.as_ref()?;
        if name.is_empty() {
            self.org.users.first().map(|u| u.user_name.clone())
        } else {
            Some(name.clone())
        }
    }

    /// Starts a portal session for a user and returns its id.
    pub fn start_session(&self, user: &str) -> String {
        let now = self.clock.epoch_secs();
        let id = crate::ids::random_b64(24);
        let ends_at = now + self.org.sessions.portal_session_minutes * 60;
        self.state.lock().unwrap().sessions.insert(
            id.clone(),
            PortalSession {
                user: user.to_owned(),
                started: now,
                ends_at,
                revoked: false,
            },
        );
        id
    }
}

impl Shared {
    /// Issues temporary credentials for `role` in `account` to `user` (role session name = user
    /// name), valid for the organisation's role-credential length. Returns the access key id.
    pub fn issue_role_credentials(
        &self,
        user: &str,
        account: &str,
        role: &str,
    ) -> (String, RoleCredentials) {
        let now = self.clock.epoch_secs();
        let akid = crate::ids::access_key_id();
        let creds = RoleCredentials {
            secret_access_key: crate::ids::random_b64(30),
            session_token: format!("IQoJb3JpZ2luX2VjE{}", crate::ids::random_b64(240)),
            user: user.to_owned(),
            account: account.to_owned(),
            role: role.to_owned(),
            expires_at: now + self.org.sessions.role_credentials_minutes * 60,
        };
        self.state
            .lock()
            .unwrap()
            .role_credentials
            .insert(akid.clone(), creds.clone());
        (akid, creds)
    }
}
