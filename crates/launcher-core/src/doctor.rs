//! The doctor: one run that tells an agent or IT what stands between this computer and Amazon
//! Connect: the settings and policy, the keychain, the time left on every clock, clock skew against
//! AWS, DNS and TCP to every host that matters, the browser, and a link to AWS's Endpoint Test
//! Utility for what only a browser can test (WebRTC, the microphone, media ports).
//!
//! Each check is a plain function from gathered facts to a [`Check`]; [`run`] is the thin async
//! layer that gathers the facts through [`Deps`] (the clock only through `deps.clock`).
//!
//! Promises: every check is `pass`, `warn` or `fail`, with one line saying what was found and, when
//! there is something to do, one line saying what; host names are the real AWS ones even when an
//! emulator or an endpoint override stands in for them (and the summary says so); the keychain
//! probe writes, reads back and deletes one entry of its own and never touches a session's; no
//! secret is read, and nothing the doctor reports holds one.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use url::Url;

use crate::browser::{split_command, system_default_argv, SystemBrowser};
use crate::catalog::{CacheRead, CatalogEntry};
use crate::clocks::{Deadline, DeadlineKind, CONNECT_SESSION};
use crate::config::{ConfigError, Flags, Resolved, Settings};
use crate::connect::{DomainForm, LEGACY_DOMAIN_SUFFIX, NEW_DOMAIN_SUFFIX};
use crate::deps::Deps;
use crate::endpoints::{self, EndpointError, Endpoints};
use crate::keychain::{EntryKey, KeychainError, SecretStore};
use crate::launches::Launch;
use crate::region::Region;
use crate::secret::Secret;
use crate::session::{epoch, Facts, RegistrationFacts, Sessions, REGISTRATION_FILE};
use crate::start_url::StartUrl;

/// More clock skew than this and AWS refuses requests (SigV4 and sign-in allow 5 minutes).
pub const SKEW_FAIL: Duration = Duration::from_secs(5 * 60);
/// More clock skew than this is worth a warning before it grows.
pub const SKEW_WARN: Duration = Duration::from_secs(60);
/// How long one DNS lookup or one TCP connect may take before the host counts as unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long asking AWS for the time may take (connect, TLS and answer).
pub const SKEW_PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// The port browsers and the launcher use on every AWS host.
pub const HTTPS_PORT: u16 = 443;
/// AWS's Endpoint Test Utility (connect-sign-in.md §4.1).
pub const ENDPOINT_TEST_UTILITY: &str = "https://www.connect-tools.net/endpoint-test/";
/// The Endpoint Test Utility's parameter that fills in the instance.
pub const ENDPOINT_TEST_INSTANCE_PARAM: &str = "connectInstanceUrl";
/// The start URL whose session-shaped keychain entry the keychain probe uses. `.invalid` can never
/// be a real portal (RFC 2606), so the probe cannot collide with anyone's session.
pub const KEYCHAIN_PROBE_START_URL: &str = "https://connect-launcher-doctor.invalid/start";
/// The portal path asked for the server's `Date`: an API call that answers 401 without a token.
const SKEW_PROBE_PORTAL_PATH: &str = "user";

const SECS_PER_MINUTE: u64 = 60;
const SECS_PER_HOUR: u64 = 3600;
const SECS_PER_DAY: u64 = 24 * SECS_PER_HOUR;
/// Up to this many hours, time left is told in hours and minutes; beyond it, in days.
const HOURS_BEFORE_DAYS: u64 = 48;

/// Which check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckId {
    Policy,
    Keychain,
    Session,
    ClockSkew,
    Network,
    Browser,
    EndpointTest,
}

impl CheckId {
    /// Every check, in the order they run and are shown.
    pub const ALL: [CheckId; 7] = [
        CheckId::Policy,
        CheckId::Keychain,
        CheckId::Session,
        CheckId::ClockSkew,
        CheckId::Network,
        CheckId::Browser,
        CheckId::EndpointTest,
    ];

    /// The id scripts see: `policy`, `keychain`, `session`, `clock-skew`, `network`, `browser`,
    /// `endpoint-test`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Policy => "policy",
            CheckId::Keychain => "keychain",
            CheckId::Session => "session",
            CheckId::ClockSkew => "clock-skew",
            CheckId::Network => "network",
            CheckId::Browser => "browser",
            CheckId::EndpointTest => "endpoint-test",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    /// `pass`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub id: CheckId,
    pub status: Status,
    /// What was found, in one line.
    pub summary: String,
    /// What to do about it, in one line; `None` when there is nothing to do.
    pub fix: Option<String>,
}

impl Check {
    fn new(id: CheckId, status: Status, summary: impl Into<String>, fix: Option<String>) -> Check {
        Check {
            id,
            status,
            summary: summary.into(),
            fix,
        }
    }
}

/// Every check, and the Endpoint Test Utility link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// In the order of [`CheckId::ALL`].
    pub checks: Vec<Check>,
    /// AWS's Endpoint Test Utility, with the instance filled in when one is known.
    pub endpoint_test_url: Url,
}

impl Report {
    /// The check with this id.
    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// True when any check failed (the command then exits non-zero).
    pub fn has_failures(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Fail)
    }
}

// ---------------------------------------------------------------------------------------------
// policy

/// The settings resolve from every layer, or the resolver's error (which names file, line and
/// column).
pub fn policy_check(resolved: &Result<Resolved, ConfigError>) -> Check {
    let r =
        match resolved {
            Ok(r) => r,
            Err(e) => return Check::new(
                CheckId::Policy,
                Status::Fail,
                e.to_string(),
                Some(
                    "correct the file, variable or flag named above (the managed policy belongs \
                     to IT: send them this line); the launcher refuses to start half-configured"
                        .to_owned(),
                ),
            ),
        };
    let policy = match r.policy_path() {
        Some(path) => format!("the managed policy {} applies", path.display()),
        None => "no managed policy".to_owned(),
    };
    let s = &r.settings;
    let target = match (&s.start_url, s.region) {
        (Some(url), Some(region)) => format!("start URL {} in {region}", url.as_str()),
        (Some(url), None) => format!("start URL {}", url.as_str()),
        (None, _) => {
            "no start URL set yet (`connect-launcher login --start-url` sets it)".to_owned()
        }
    };
    Check::new(
        CheckId::Policy,
        Status::Pass,
        format!("the settings resolve: {policy}; {target}"),
        None,
    )
}

// ---------------------------------------------------------------------------------------------
// keychain

/// The keychain entry the probe writes, reads back and deletes.
pub fn keychain_probe_key() -> EntryKey {
    let url = StartUrl::parse(KEYCHAIN_PROBE_START_URL, false)
        .expect("the probe's start URL is a valid start URL");
    EntryKey::session(&url)
}

/// Which step of the probe failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeStep {
    Write,
    Read,
    Delete,
}

impl ProbeStep {
    fn doing(self) -> &'static str {
        match self {
            ProbeStep::Write => "writing",
            ProbeStep::Read => "reading",
            ProbeStep::Delete => "deleting",
        }
    }
}

/// What writing, reading back and deleting a probe entry gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeychainProbe {
    /// All three worked.
    Worked,
    /// A step failed.
    Failed {
        step: ProbeStep,
        error: KeychainError,
    },
    /// The value read back was not the one written.
    ReadBackDiffers,
    /// The entry was still there after it was deleted.
    StillThere,
}

/// Writes, reads back and deletes the probe entry.
pub fn probe_keychain(store: &dyn SecretStore, value: &str) -> KeychainProbe {
    let key = keychain_probe_key();
    if let Err(error) = store.set(&key, &Secret::new(value)) {
        return KeychainProbe::Failed {
            step: ProbeStep::Write,
            error,
        };
    }
    let read = store.get(&key);
    let deleted = store.delete(&key);
    match read {
        Err(error) => {
            return KeychainProbe::Failed {
                step: ProbeStep::Read,
                error,
            }
        }
        Ok(got) if got.as_ref().map(Secret::expose) != Some(value) => {
            return KeychainProbe::ReadBackDiffers
        }
        Ok(_) => {}
    }
    if let Err(error) = deleted {
        return KeychainProbe::Failed {
            step: ProbeStep::Delete,
            error,
        };
    }
    match store.get(&key) {
        Ok(None) => KeychainProbe::Worked,
        Ok(Some(_)) => KeychainProbe::StillThere,
        Err(error) => KeychainProbe::Failed {
            step: ProbeStep::Read,
            error,
        },
    }
}

/// The keychain answers, or what to do so that it does.
pub fn keychain_check(probe: &KeychainProbe) -> Check {
    let fail = |summary: String, fix: &str| {
        Check::new(
            CheckId::Keychain,
            Status::Fail,
            summary,
            Some(fix.to_owned()),
        )
    };
    match probe {
        KeychainProbe::Worked => Check::new(
            CheckId::Keychain,
            Status::Pass,
            "the keychain answers: a test entry was written, read back and deleted",
            None,
        ),
        KeychainProbe::Failed { step, error } => {
            let doing = step.doing();
            match error {
                KeychainError::Locked { detail } => fail(
                    format!("the keychain is locked ({detail}) and refused {doing} a test entry"),
                    "unlock your login keyring (on a Mac, the login keychain), then run \
                     `connect-launcher doctor` again",
                ),
                KeychainError::Unavailable { detail } => fail(
                    format!("no keychain is available ({detail})"),
                    "start a desktop session or gnome-keyring (any Secret Service will do); on a \
                     server, start gnome-keyring inside `dbus-run-session` and sign in with \
                     `--device-code`",
                ),
                KeychainError::Platform { detail } => fail(
                    format!("the keychain failed {doing} a test entry ({detail})"),
                    "restart the keychain service (or log out and in again); if it keeps failing, \
                     send this line to IT",
                ),
                KeychainError::Corrupt { entry, problem } => fail(
                    format!("the keychain entry {entry} is damaged ({problem})"),
                    "remove it with your keychain manager (Seahorse, Keychain Access, Credential \
                     Manager) and run `connect-launcher doctor` again",
                ),
                KeychainError::TooLarge { key, bytes } => fail(
                    format!("the keychain refused {bytes} bytes for {key}"),
                    "this is a bug: please report it with this line",
                ),
            }
        }
        KeychainProbe::ReadBackDiffers => fail(
            "the keychain gave back something other than the test entry written to it".to_owned(),
            "another program may be changing keychain entries; restart the keychain service and \
             send this line to IT if it persists",
        ),
        KeychainProbe::StillThere => fail(
            "the keychain kept a test entry after it was deleted, so signing out could leave \
             secrets behind"
                .to_owned(),
            "restart the keychain service; if it persists, send this line to IT",
        ),
    }
}

/// Says, on a keychain check that passed, whether launches can reuse role credentials from the
/// kernel's session keyring (Linux) or read the keychain each time. Either way the check passes:
/// without the session keyring a launch is a few milliseconds slower, nothing more.
pub fn with_session_cache(mut check: Check, cache: Result<(), String>) -> Check {
    if check.status == Status::Pass {
        check.summary.push_str(&match cache {
            Ok(()) => {
                "; launches reuse role credentials from the kernel's session keyring".to_owned()
            }
            Err(why) => format!(
                "; {why}, so every launch reads the keychain (a few milliseconds slower; allow the \
                 keyctl system calls to speed it up)"
            ),
        });
    }
    check
}

// ---------------------------------------------------------------------------------------------
// session

/// Time left in words: `45 s`, `12 min`, `7 h 59 min`, `3 days`.
pub fn span(secs: u64) -> String {
    match secs {
        s if s < SECS_PER_MINUTE => format!("{s} s"),
        s if s < SECS_PER_HOUR => format!("{} min", s / SECS_PER_MINUTE),
        s if s < HOURS_BEFORE_DAYS * SECS_PER_HOUR => format!(
            "{} h {} min",
            s / SECS_PER_HOUR,
            (s % SECS_PER_HOUR) / SECS_PER_MINUTE
        ),
        s => format!("{} days", s / SECS_PER_DAY),
    }
}

fn deadline_name(kind: &DeadlineKind) -> String {
    match kind {
        DeadlineKind::PortalSession => "portal session".to_owned(),
        DeadlineKind::AccessToken => "access token".to_owned(),
        DeadlineKind::RoleCredentials { account, role } => {
            format!("credentials for {role} in {account}")
        }
        DeadlineKind::ConnectSession { instance_id, alias } => {
            format!("Connect on {}", alias.as_deref().unwrap_or(instance_id))
        }
        DeadlineKind::ClientRegistration => "client registration".to_owned(),
    }
}

/// One deadline at `now`, in a few words.
fn deadline_words(d: &Deadline, now: u64) -> String {
    let name = deadline_name(&d.kind);
    let mut words = if d.renews_itself && d.ends_at > now {
        format!("{name} renews itself ({} left)", span(d.ends_at - now))
    } else if d.renews_itself {
        format!("{name} renews itself")
    } else if d.ends_at > now {
        format!("{name} {} left", span(d.ends_at - now))
    } else {
        format!("{name} ended {} ago", span(now - d.ends_at))
    };
    if d.estimated {
        words.push_str(" (estimated)");
    }
    if let Some(at) = d.renewal_failed_at {
        words.push_str(&format!(
            " (renewing failed {} ago)",
            span(now.saturating_sub(at))
        ));
    }
    words
}

/// What to do about one deadline that needs attention.
fn deadline_fix(d: &Deadline) -> String {
    match &d.kind {
        DeadlineKind::ConnectSession { instance_id, alias } => {
            let name = alias.as_deref().unwrap_or(instance_id);
            format!(
                "re-launch {name} between contacts (`connect-launcher open {name} --relaunch`, \
                 or Re-launch in the app) to start a fresh {} hours; opening it again without \
                 logging out keeps the old end",
                CONNECT_SESSION.as_secs() / SECS_PER_HOUR
            )
        }
        DeadlineKind::AccessToken if d.renewal_failed_at.is_some() => "the launcher retries on \
             its own; if the network check fails too, fix that first, else sign in again with \
             `connect-launcher login`"
            .to_owned(),
        _ => "sign in again between contacts with `connect-launcher login`".to_owned(),
    }
}

/// Signed in or not, and the time left on every clock. Warns when a clock the agent has to act on
/// is within the smallest warning lead time (or renewing failed, or an estimated portal session has
/// probably ended); fails when the portal session has ended (or the access token has run out
/// with no way to renew it).
pub fn session_check(
    facts: Option<&Facts>,
    deadlines: &[Deadline],
    now: u64,
    lead_minutes: &[u32],
) -> Check {
    let Some(f) = facts else {
        return Check::new(
            CheckId::Session,
            Status::Warn,
            "not signed in",
            Some("sign in with `connect-launcher login`".to_owned()),
        );
    };
    let smallest_lead = lead_minutes
        .iter()
        .copied()
        .filter(|&m| m > 0)
        .min()
        .map_or(0, |m| u64::from(m) * SECS_PER_MINUTE);
    let ended = |d: &Deadline| d.ends_at <= now;
    let failing = |d: &Deadline| match d.kind {
        DeadlineKind::PortalSession => ended(d) && !d.estimated,
        DeadlineKind::AccessToken => ended(d) && !d.renews_itself,
        _ => false,
    };
    let warning = |d: &Deadline| {
        let soon = !d.renews_itself && !ended(d) && d.ends_at - now <= smallest_lead;
        let probably_over = d.kind == DeadlineKind::PortalSession && d.estimated && ended(d);
        soon || probably_over || d.renewal_failed_at.is_some()
    };
    let who = f
        .user
        .as_deref()
        .map(|u| format!(" as {u}"))
        .unwrap_or_default();
    let mut parts = vec![format!("signed in{who} to {} ({})", f.start_url, f.region)];
    parts.extend(deadlines.iter().map(|d| deadline_words(d, now)));
    let summary = parts.join("; ");
    if deadlines.iter().any(failing) {
        return Check::new(
            CheckId::Session,
            Status::Fail,
            summary,
            Some(
                "sign in again with `connect-launcher login` (Connect windows already open are \
                 not affected)"
                    .to_owned(),
            ),
        );
    }
    match deadlines
        .iter()
        .filter(|d| warning(d))
        .min_by_key(|d| d.ends_at)
    {
        Some(soonest) => Check::new(
            CheckId::Session,
            Status::Warn,
            summary,
            Some(deadline_fix(soonest)),
        ),
        None => Check::new(CheckId::Session, Status::Pass, summary, None),
    }
}

/// The client registration's expiry, from its non-secret record, when it belongs to this sign-in.
fn registration_expiry(state_dir: &Path, facts: &Facts) -> Option<u64> {
    let bytes = std::fs::read(state_dir.join(REGISTRATION_FILE)).ok()?;
    let reg: RegistrationFacts = serde_json::from_slice(&bytes).ok()?;
    (reg.start_url == facts.start_url && reg.region == facts.region).then_some(reg.expires_at)
}

// ---------------------------------------------------------------------------------------------
// clock skew

/// What asking AWS for the time gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkewFacts {
    /// The real host asked.
    pub host: String,
    /// An emulator or override answered in its place.
    pub stand_in: Option<String>,
    /// The server's `Date`.
    pub server: SystemTime,
    /// This computer's time when the answer came.
    pub ours: SystemTime,
}

/// Parses an HTTP `Date` (`Sat, 28 Nov 2026 14:31:53 GMT`).
pub fn parse_http_date(text: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let t = time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()?
        .assume_utc();
    let secs = u64::try_from(t.unix_timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

fn minutes_words(secs: u64) -> String {
    let minutes = ((secs + SECS_PER_MINUTE / 2) / SECS_PER_MINUTE).max(1);
    if minutes == 1 {
        "1 minute".to_owned()
    } else {
        format!("{minutes} minutes")
    }
}

/// This computer's clock against the server's `Date`: more than [`SKEW_FAIL`] off fails, more than
/// [`SKEW_WARN`] warns. `Err` carries why no server answered.
pub fn skew_check(observed: &Result<SkewFacts, String>) -> Check {
    let facts = match observed {
        Ok(f) => f,
        Err(why) => {
            return Check::new(
                CheckId::ClockSkew,
                Status::Warn,
                format!("could not ask AWS for the time: {why}"),
                Some(
                    "fix the network check first; meanwhile make sure automatic time is on"
                        .to_owned(),
                ),
            )
        }
    };
    let (off, direction) = match facts.ours.duration_since(facts.server) {
        Ok(ahead) => (ahead, "fast"),
        Err(behind) => (behind.duration(), "slow"),
    };
    let against = match &facts.stand_in {
        Some(stand_in) => format!("{} ({stand_in})", facts.host),
        None => facts.host.clone(),
    };
    if off <= SKEW_WARN {
        return Check::new(
            CheckId::ClockSkew,
            Status::Pass,
            format!(
                "this computer's clock agrees with {} to within {} s{}",
                facts.host,
                off.as_secs(),
                facts
                    .stand_in
                    .as_ref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            ),
            None,
        );
    }
    let summary = format!(
        "this computer's clock is {} {direction} against {against}; sign-in and Connect refuse \
         requests when it is off by more than {}",
        minutes_words(off.as_secs()),
        minutes_words(SKEW_FAIL.as_secs())
    );
    let status = if off > SKEW_FAIL {
        Status::Fail
    } else {
        Status::Warn
    };
    Check::new(
        CheckId::ClockSkew,
        status,
        summary,
        Some(
            "turn on automatic time (Windows: Settings > Time & language; macOS: Date & Time; \
             Linux: `timedatectl set-ntp true`)"
                .to_owned(),
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// network

/// Who answers in place of a real AWS host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StandIn {
    /// Nobody: the real host.
    None,
    /// The emulator on this computer.
    Emulator,
    /// An address set by this environment variable.
    Override(&'static str),
}

/// One host to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What it is for, e.g. "IAM Identity Center sign-in".
    pub purpose: String,
    /// The real AWS host name.
    pub real_host: String,
    /// The host actually reached.
    pub host: String,
    /// The port actually reached.
    pub port: u16,
    pub stand_in: StandIn,
}

impl Target {
    /// `oidc.us-east-1.amazonaws.com`, or with its stand-in: `… (emulated at 127.0.0.1:4100)`.
    fn label(&self) -> String {
        match &self.stand_in {
            StandIn::None => self.real_host.clone(),
            StandIn::Emulator => format!(
                "{} (emulated at {}:{})",
                self.real_host, self.host, self.port
            ),
            StandIn::Override(var) => format!(
                "{} (at {}:{}, set by {var})",
                self.real_host, self.host, self.port
            ),
        }
    }
}

/// An instance's web host: `{alias}.my.connect.aws`, or `{alias}.awsapps.com` on the legacy domain.
pub fn instance_host(alias: &str, domain: DomainForm) -> String {
    let suffix = match domain {
        DomainForm::Legacy => LEGACY_DOMAIN_SUFFIX,
        DomainForm::New | DomainForm::Unknown => NEW_DOMAIN_SUFFIX,
    };
    format!("{}{suffix}", alias.to_ascii_lowercase())
}

/// The environment variable that set a service's endpoint: its own, else the global one.
fn override_variable(env: &BTreeMap<String, String>, service: &'static str) -> &'static str {
    if env.get(service).is_some_and(|v| !v.trim().is_empty()) {
        service
    } else {
        endpoints::GLOBAL_ENDPOINT_ENV
    }
}

fn target(purpose: String, real: &Url, actual: &Url, variable: &'static str) -> Option<Target> {
    let real_host = real.host_str()?.to_owned();
    let host = actual.host_str()?.to_owned();
    let port = actual.port_or_known_default()?;
    let stand_in = if host == real_host && port == HTTPS_PORT {
        StandIn::None
    } else if endpoints::is_loopback(actual) {
        StandIn::Emulator
    } else {
        StandIn::Override(variable)
    };
    Some(Target {
        purpose,
        real_host,
        host,
        port,
        stand_in,
    })
}

fn https(host: &str) -> Option<Url> {
    Url::parse(&format!("https://{host}/")).ok()
}

/// Every host that matters: IdC's OIDC and portal hosts, the Connect API, sign-in and console hosts
/// of each region, and each instance's web host (`(name, host)`), computed as real URLs and
/// passed through [`Endpoints::reachable`] so an emulator is reached in their place.
pub fn targets(
    endpoints: &Endpoints,
    env: &BTreeMap<String, String>,
    regions: &[Region],
    instances: &[(String, String)],
) -> Vec<Target> {
    let idc = endpoints.idc_region();
    let mut out = Vec::new();
    out.extend(target(
        "IAM Identity Center sign-in".to_owned(),
        &endpoints::default_oidc(idc),
        endpoints.oidc(),
        override_variable(env, endpoints::OIDC_ENDPOINT_ENV),
    ));
    out.extend(target(
        "the access portal".to_owned(),
        &endpoints::default_portal(idc),
        endpoints.portal(),
        override_variable(env, endpoints::PORTAL_ENDPOINT_ENV),
    ));
    let web = |purpose: String, host: &str| {
        let real = https(host)?;
        target(
            purpose,
            &real,
            &endpoints.reachable(&real),
            endpoints::WEB_ENDPOINT_ENV,
        )
    };
    for &region in regions {
        out.extend(target(
            format!("the Amazon Connect API in {region}"),
            &endpoints::default_connect(region),
            &endpoints.connect(region),
            override_variable(env, endpoints::CONNECT_ENDPOINT_ENV),
        ));
        if let Ok(host) = crate::console_federation::signin_host(region) {
            out.extend(web(format!("AWS sign-in for {region}"), &host));
        }
        if let Ok(host) = crate::relay_state::console_host(region) {
            out.extend(web(format!("the AWS console in {region}"), &host));
        }
    }
    for (name, host) in instances {
        out.extend(web(format!("the Connect instance {name}"), host));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert((t.real_host.clone(), t.host.clone(), t.port)));
    out
}

/// What trying to reach a host gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Reached,
    /// DNS gave no address.
    Unresolved(String),
    /// Every address refused the connection (or could not be routed to).
    Refused(String),
    /// No answer within [`PROBE_TIMEOUT`].
    TimedOut,
}

/// DNS and a TCP connect for each target: pass when all are reached, else fail naming each host
/// that is not, with the allow-list fix (connect-sign-in.md §4.2).
pub fn network_check(results: &[(Target, Reach)]) -> Check {
    if results.is_empty() {
        return Check::new(
            CheckId::Network,
            Status::Warn,
            "nothing to check yet: no IAM Identity Center region is known",
            Some("sign in with `connect-launcher login` (or set the `region` setting)".to_owned()),
        );
    }
    let emulated = results
        .iter()
        .filter(|(t, _)| t.stand_in == StandIn::Emulator)
        .count();
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(t, reach)| {
            let at = format!("{}:{}", t.host, t.port);
            let problem = match reach {
                Reach::Reached => return None,
                Reach::Unresolved(detail) => format!("cannot resolve {} ({detail})", t.host),
                Reach::Refused(detail) => format!("{at} refused the connection ({detail})"),
                Reach::TimedOut => {
                    format!("no answer from {at} within {} s", PROBE_TIMEOUT.as_secs())
                }
            };
            Some(format!("{}, {}: {problem}", t.label(), t.purpose))
        })
        .collect();
    if failed.is_empty() {
        let hosts: Vec<&str> = results.iter().map(|(t, _)| t.real_host.as_str()).collect();
        let note = match emulated {
            0 => String::new(),
            n if n == results.len() => " (all emulated on this computer)".to_owned(),
            n => format!(" ({n} of them emulated on this computer)"),
        };
        let plural = if results.len() == 1 { "host" } else { "hosts" };
        return Check::new(
            CheckId::Network,
            Status::Pass,
            format!(
                "DNS and TCP work for {} {plural}{note}: {}",
                results.len(),
                hosts.join(", ")
            ),
            None,
        );
    }
    let overrides: Vec<&str> = results
        .iter()
        .filter(|(_, reach)| *reach != Reach::Reached)
        .filter_map(|(t, _)| match t.stand_in {
            StandIn::Override(var) => Some(var),
            _ => None,
        })
        .collect();
    let mut fix = "allow DNS and TCP 443 out to these hosts in the firewall and proxy allow-lists \
                   (Amazon Connect needs *.my.connect.aws, *.awsapps.com, *.static.connect.aws, \
                   *.cloudfront.net and the AWS sign-in and console hosts)"
        .to_owned();
    if !overrides.is_empty() {
        fix.push_str(&format!(
            "; check {}, which points elsewhere",
            overrides.join(" and ")
        ));
    }
    Check::new(
        CheckId::Network,
        Status::Fail,
        format!(
            "{} of {} hosts cannot be reached: {}",
            failed.len(),
            results.len(),
            failed.join("; ")
        ),
        Some(fix),
    )
}

/// DNS, then a TCP connect to each address in turn, each within [`PROBE_TIMEOUT`].
pub async fn reach(host: &str, port: u16) -> Reach {
    let lookup = tokio::time::timeout(PROBE_TIMEOUT, tokio::net::lookup_host((host, port))).await;
    let addrs: Vec<std::net::SocketAddr> = match lookup {
        Err(_) => {
            return Reach::Unresolved(format!(
                "DNS did not answer within {} s",
                PROBE_TIMEOUT.as_secs()
            ))
        }
        Ok(Err(e)) => return Reach::Unresolved(e.to_string()),
        Ok(Ok(addrs)) => addrs.collect(),
    };
    if addrs.is_empty() {
        return Reach::Unresolved("no address".to_owned());
    }
    let mut last = Reach::TimedOut;
    for addr in addrs {
        match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return Reach::Reached,
            Ok(Err(e)) => last = Reach::Refused(e.to_string()),
            Err(_) => last = Reach::TimedOut,
        }
    }
    last
}

// ---------------------------------------------------------------------------------------------
// browser

/// Where a browser command came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserSource {
    /// An entry of `$BROWSER`.
    EnvBrowser,
    /// The `browser` setting.
    Setting,
    /// The system's URL opener (`xdg-open`, `open`, `rundll32`).
    SystemDefault,
}

impl BrowserSource {
    fn words(self) -> &'static str {
        match self {
            BrowserSource::EnvBrowser => "from $BROWSER",
            BrowserSource::Setting => "from the `browser` setting",
            BrowserSource::SystemDefault => "the system default",
        }
    }
}

/// One command the launcher would try, and where its program was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserCandidate {
    pub command: String,
    pub source: BrowserSource,
    /// The program, or `None` when the command's quotes do not balance.
    pub program: Option<String>,
    /// Where the program is, if it exists.
    pub found: Option<PathBuf>,
}

/// The browser that would be used exists (the first candidate found is what the launcher opens).
pub fn browser_check(candidates: &[BrowserCandidate]) -> Check {
    let fix = "set $BROWSER or the `browser` setting to an installed browser (e.g. `firefox`), or \
               use --print to get the address and open it yourself"
        .to_owned();
    let missing: Vec<String> = candidates
        .iter()
        .take_while(|c| c.found.is_none())
        .map(|c| match &c.program {
            Some(p) => format!(
                "`{p}` ({}) is not installed or not on PATH",
                c.source.words()
            ),
            None => format!(
                "`{}` ({}) has unbalanced quotes",
                c.command,
                c.source.words()
            ),
        })
        .collect();
    match candidates
        .iter()
        .find_map(|c| c.found.as_ref().map(|path| (c, path)))
    {
        Some((c, path)) => {
            let skipped = if missing.is_empty() {
                String::new()
            } else {
                format!(" ({} first)", missing.join("; "))
            };
            Check::new(
                CheckId::Browser,
                Status::Pass,
                format!(
                    "the browser is `{}` ({}), found at {}{skipped}",
                    c.command,
                    c.source.words(),
                    path.display()
                ),
                None,
            )
        }
        None if candidates.is_empty() => Check::new(
            CheckId::Browser,
            Status::Fail,
            "no browser is configured and this system has no URL opener",
            Some(fix),
        ),
        None => Check::new(
            CheckId::Browser,
            Status::Fail,
            format!("no browser found: {}", missing.join("; ")),
            Some(fix),
        ),
    }
}

/// The commands the launcher would try, as it tries them: `$BROWSER`'s entries, else the setting,
/// else the system's opener.
pub fn browser_candidates(
    env: &BTreeMap<String, String>,
    setting: Option<&str>,
) -> Vec<(String, BrowserSource)> {
    let env_browser = env.get("BROWSER").filter(|b| !b.trim().is_empty()).cloned();
    let from_env = env_browser.is_some();
    let browser = SystemBrowser {
        env_browser,
        configured: setting.map(str::to_owned),
    };
    let listed = browser.candidates();
    if listed.is_empty() {
        let program = system_default_argv("").swap_remove(0);
        return vec![(program, BrowserSource::SystemDefault)];
    }
    let source = if from_env {
        BrowserSource::EnvBrowser
    } else {
        BrowserSource::Setting
    };
    listed.into_iter().map(|c| (c, source)).collect()
}

/// A program by path (when it names a folder) or on `PATH`.
pub fn find_program(program: &str, path_var: Option<&str>) -> Option<PathBuf> {
    let runnable = |p: &Path| {
        let Ok(meta) = std::fs::metadata(p) else {
            return false;
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            meta.is_file() && meta.permissions().mode() & 0o111 != 0
        }
        #[cfg(not(unix))]
        {
            meta.is_file()
        }
    };
    let names: Vec<String> = if cfg!(windows) && Path::new(program).extension().is_none() {
        vec![program.to_owned(), format!("{program}.exe")]
    } else {
        vec![program.to_owned()]
    };
    if program.contains('/') || program.contains(std::path::MAIN_SEPARATOR) {
        return names.iter().map(PathBuf::from).find(|p| runnable(p));
    }
    std::env::split_paths(path_var?)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| runnable(p))
}

fn gather_browser(env: &BTreeMap<String, String>, setting: Option<&str>) -> Vec<BrowserCandidate> {
    browser_candidates(env, setting)
        .into_iter()
        .map(|(command, source)| {
            let program = split_command(&command).and_then(|words| words.into_iter().next());
            let found = program
                .as_deref()
                .and_then(|p| find_program(p, env.get("PATH").map(String::as_str)));
            BrowserCandidate {
                command,
                source,
                program,
                found,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// endpoint test

/// An instance's real web address: `https://{alias}.my.connect.aws`, or on the legacy domain
/// `https://{alias}.awsapps.com/connect`.
pub fn instance_url(alias: &str, domain: DomainForm) -> Option<Url> {
    let host = instance_host(alias, domain);
    let path = if domain == DomainForm::Legacy {
        "/connect"
    } else {
        ""
    };
    Url::parse(&format!("https://{host}{path}")).ok()
}

/// AWS's Endpoint Test Utility, with `connectInstanceUrl` filled in when an instance is known.
pub fn endpoint_test_url(instance: Option<&Url>) -> Url {
    let mut url = Url::parse(ENDPOINT_TEST_UTILITY).expect("the utility's address is a URL");
    if let Some(instance) = instance {
        let value = instance.as_str().trim_end_matches('/');
        url.query_pairs_mut()
            .append_pair(ENDPOINT_TEST_INSTANCE_PARAM, value);
    }
    url
}

/// Always passes: the link, and what it tests that the doctor cannot.
pub fn endpoint_test_check(instance: Option<&str>, url: &Url) -> Check {
    let summary = match instance {
        Some(name) => format!("AWS's Endpoint Test Utility for {name}: {url}"),
        None => format!(
            "AWS's Endpoint Test Utility (no instance known yet; enter your instance's address \
             there): {url}"
        ),
    };
    Check::new(
        CheckId::EndpointTest,
        Status::Pass,
        summary,
        Some(
            "open it in the browser the agent uses: it tests WebRTC, the microphone, latency to \
             the instance and the media ports (UDP 3478), which this command cannot"
                .to_owned(),
        ),
    )
}

/// The instance to test: the most recently launched one with an alias, else the catalog's first.
fn instance_to_test(launches: &[Launch], entries: &[CatalogEntry]) -> Option<(String, Url)> {
    let domain_of = |id: &str| {
        entries
            .iter()
            .find(|e| e.instance_id == id)
            .map_or(DomainForm::Unknown, |e| e.domain)
    };
    let launched = launches
        .iter()
        .filter(|l| l.alias.is_some())
        .max_by_key(|l| l.launched_at)
        .and_then(|l| {
            let alias = l.alias.as_deref()?;
            Some((alias.to_owned(), domain_of(&l.instance_id)))
        });
    let listed = || {
        entries
            .iter()
            .find_map(|e| Some((e.alias.clone()?, e.domain)))
    };
    let (alias, domain) = launched.or_else(listed)?;
    let url = instance_url(&alias, domain)?;
    Some((alias, url))
}

/// Every instance web host, by name: catalog entries and launches with an alias.
fn instance_hosts(launches: &[Launch], entries: &[CatalogEntry]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = entries
        .iter()
        .filter_map(|e| {
            let alias = e.alias.as_deref()?;
            Some((alias.to_owned(), instance_host(alias, e.domain)))
        })
        .collect();
    for l in launches {
        let Some(alias) = l.alias.as_deref() else {
            continue;
        };
        if !out.iter().any(|(name, _)| name == alias) {
            out.push((alias.to_owned(), instance_host(alias, DomainForm::Unknown)));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// the async layer

/// Asks AWS for the time: the portal's `/user` without a token (answered by its API front end,
/// with a `Date`), else the OIDC endpoint's base.
async fn observe_skew(deps: &Deps, endpoints: &Endpoints) -> Result<SkewFacts, String> {
    let idc = endpoints.idc_region();
    let probes = [
        (
            endpoints::default_portal(idc),
            endpoints
                .portal()
                .join(SKEW_PROBE_PORTAL_PATH)
                .unwrap_or_else(|_| endpoints.portal().clone()),
        ),
        (endpoints::default_oidc(idc), endpoints.oidc().clone()),
    ];
    let mut why = Vec::new();
    for (real, actual) in probes {
        let host = real.host_str().unwrap_or_default().to_owned();
        let stand_in =
            (actual.host_str() != real.host_str() || actual.port().is_some()).then(|| {
                let how = if endpoints::is_loopback(&actual) {
                    "emulated"
                } else {
                    "answered"
                };
                format!("{how} at {}", crate::http::origin(&actual))
            });
        let request = deps.http.request(reqwest::Method::GET, actual);
        let sent = tokio::time::timeout(SKEW_PROBE_TIMEOUT, deps.http.send(request)).await;
        let ours = deps.clock.now();
        let sent = match sent {
            Ok(sent) => sent,
            Err(_) => {
                why.push(format!(
                    "{host} did not answer within {} s",
                    SKEW_PROBE_TIMEOUT.as_secs()
                ));
                continue;
            }
        };
        match sent {
            Ok(resp) => match resp.header("date").and_then(parse_http_date) {
                Some(server) => {
                    return Ok(SkewFacts {
                        host,
                        stand_in,
                        server,
                        ours,
                    })
                }
                None => why.push(format!("{host} sent no usable Date")),
            },
            Err(e) => why.push(e.to_string()),
        }
    }
    Err(why.join("; "))
}

/// The IdC region: the session's, else the settings', else the start URL's hint.
fn idc_region(facts: Option<&Facts>, settings: &Settings) -> Option<Region> {
    facts
        .and_then(|f| Region::parse(&f.region).ok())
        .or(settings.region)
        .or_else(|| settings.start_url.as_ref().and_then(StartUrl::region_hint))
}

/// The regions whose Connect, sign-in and console hosts matter: those of the instances, else the
/// `connect_regions` setting, else the IdC region.
fn connect_regions(
    idc: Region,
    settings: &Settings,
    launches: &[Launch],
    entries: &[CatalogEntry],
) -> Vec<Region> {
    let mut regions: Vec<Region> = Vec::new();
    let named = entries
        .iter()
        .map(|e| e.region.as_str())
        .chain(launches.iter().map(|l| l.region.as_str()));
    for region in named.filter_map(|r| Region::parse(r).ok()) {
        if !regions.contains(&region) {
            regions.push(region);
        }
    }
    if regions.is_empty() {
        regions = settings.connect_regions.clone();
    }
    if regions.is_empty() {
        regions.push(idc);
    }
    regions
}

async fn network_and_skew(
    deps: &Deps,
    endpoints: &Result<Endpoints, EndpointError>,
    regions: &[Region],
    instances: &[(String, String)],
) -> (Check, Check) {
    let endpoints = match endpoints {
        Ok(e) => e,
        Err(e) => {
            let fix = Some("fix or unset that variable".to_owned());
            return (
                Check::new(CheckId::ClockSkew, Status::Warn, e.to_string(), fix.clone()),
                Check::new(CheckId::Network, Status::Fail, e.to_string(), fix),
            );
        }
    };
    let list = targets(endpoints, &deps.env, regions, instances);
    let probes = futures_util::future::join_all(list.iter().map(|t| reach(&t.host, t.port)));
    let (reached, skew) = futures_util::future::join(probes, observe_skew(deps, endpoints)).await;
    let results: Vec<(Target, Reach)> = list.into_iter().zip(reached).collect();
    (skew_check(&skew), network_check(&results))
}

/// Runs every check.
pub async fn run(deps: &Deps) -> Report {
    let resolved = deps.settings(Flags::default());
    let settings = resolved
        .as_ref()
        .map(|r| r.settings.clone())
        .unwrap_or_default();
    let now = epoch(deps.clock.now());

    let probe_value = format!("connect-launcher doctor probe {now}");
    let keychain = keychain_check(&probe_keychain(deps.store.as_ref(), &probe_value));
    #[cfg(target_os = "linux")]
    let keychain = with_session_cache(
        keychain,
        crate::keychain::session_cache::SessionCache::available(),
    );

    let launches = crate::launches::load(&deps.dirs.state);
    let (facts, session) = match Sessions::new(deps).facts() {
        Ok(facts) => {
            let registration = facts
                .as_ref()
                .and_then(|f| registration_expiry(&deps.dirs.state, f));
            let deadlines = crate::clocks::deadlines(
                facts.as_ref(),
                registration,
                &[],
                &launches,
                settings.portal_session_hours,
            );
            let check = session_check(
                facts.as_ref(),
                &deadlines,
                now,
                &settings.warning_lead_minutes,
            );
            (facts, check)
        }
        Err(e) => (
            None,
            Check::new(
                CheckId::Session,
                Status::Fail,
                e.to_string(),
                Some("sign in again with `connect-launcher login`".to_owned()),
            ),
        ),
    };

    let entries = match crate::discovery::cached(deps) {
        CacheRead::Loaded(c) => c.entries,
        CacheRead::Missing | CacheRead::Ignored { .. } => Vec::new(),
    };
    let (skew, network) = match idc_region(facts.as_ref(), &settings) {
        Some(idc) => {
            let endpoints = Endpoints::resolve(idc, &deps.env);
            let regions = connect_regions(idc, &settings, &launches, &entries);
            let instances = instance_hosts(&launches, &entries);
            network_and_skew(deps, &endpoints, &regions, &instances).await
        }
        None => (
            skew_check(&Err("no IAM Identity Center region is known yet".to_owned())),
            network_check(&[]),
        ),
    };

    let browser = browser_check(&gather_browser(&deps.env, settings.browser.as_deref()));

    let instance = instance_to_test(&launches, &entries);
    let endpoint_test_url = endpoint_test_url(instance.as_ref().map(|(_, url)| url));
    let endpoint_test = endpoint_test_check(
        instance.as_ref().map(|(name, _)| name.as_str()),
        &endpoint_test_url,
    );

    Report {
        checks: vec![
            policy_check(&resolved),
            keychain,
            session,
            skew,
            network,
            browser,
            endpoint_test,
        ],
        endpoint_test_url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::MemoryStore;
    use crate::session::Origin;

    const NOW: u64 = 1_795_000_000;
    const MINUTE: u64 = 60;
    const HOUR: u64 = 3600;
    const LEADS: [u32; 3] = [60, 15, 5];

    fn facts(signed_in_at: u64) -> Facts {
        Facts {
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "eu-west-2".into(),
            user: Some("alex.rivera@example.com".into()),
            origin: Origin::AuthorizationCode,
            signed_in_at,
            access_expires_at: signed_in_at + HOUR,
            refreshable: true,
            refresh_failed_at: None,
            portal_session_ended_at: None,
            exported_cli_cache: None,
        }
    }

    fn launch(alias: &str, launched_at: u64) -> Launch {
        Launch {
            instance_id: format!("{alias}-id"),
            alias: Some(alias.into()),
            region: "eu-west-2".into(),
            destination: "ccp".into(),
            launched_at,
        }
    }

    fn session_at(f: &Facts, launches: &[Launch], hours: Option<u32>, now: u64) -> Check {
        let deadlines = crate::clocks::deadlines(Some(f), None, &[], launches, hours);
        session_check(Some(f), &deadlines, now, &LEADS)
    }

    #[test]
    fn session_passes_with_time_on_every_clock() {
        let f = facts(NOW - HOUR);
        let c = session_at(&f, &[launch("acme-prod", NOW - 2 * HOUR)], Some(8), NOW);
        assert_eq!(c.status, Status::Pass, "{c:?}");
        assert_eq!(
            c.summary,
            "signed in as alex.rivera@example.com to https://d-1234567890.awsapps.com/start \
             (eu-west-2); portal session 7 h 0 min left; access token renews itself; Connect on \
             acme-prod 10 h 0 min left"
        );
        assert_eq!(c.fix, None);
    }

    #[test]
    fn session_warns_within_the_smallest_lead_and_names_the_instance() {
        let f = facts(NOW - HOUR);
        let launched = NOW + 4 * MINUTE - CONNECT_SESSION.as_secs();
        let c = session_at(&f, &[launch("acme-prod", launched)], Some(8), NOW);
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(
            c.summary.contains("Connect on acme-prod 4 min left"),
            "{c:?}"
        );
        assert_eq!(
            c.fix.as_deref(),
            Some(
                "re-launch acme-prod between contacts (`connect-launcher open acme-prod \
                 --relaunch`, or Re-launch in the app) to start a fresh 12 hours; opening it \
                 again without logging out keeps the old end"
            )
        );
        // Ten minutes left is inside the 15-minute lead but not the smallest (5): no warning.
        let launched = NOW + 10 * MINUTE - CONNECT_SESSION.as_secs();
        let c = session_at(&f, &[launch("acme-prod", launched)], Some(8), NOW);
        assert_eq!(c.status, Status::Pass, "{c:?}");
    }

    #[test]
    fn session_fails_when_the_portal_session_has_ended() {
        let f = facts(NOW - 9 * HOUR);
        let c = session_at(&f, &[], Some(8), NOW);
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert!(
            c.summary.contains("portal session ended 1 h 0 min ago"),
            "{c:?}"
        );
        assert!(c.fix.unwrap().contains("connect-launcher login"));

        let mut refused = facts(NOW - 2 * HOUR);
        refused.portal_session_ended_at = Some(NOW - MINUTE);
        refused.refreshable = false;
        assert_eq!(session_at(&refused, &[], None, NOW).status, Status::Fail);

        // AWS's default length is a guess: past it is a warning, not a failure.
        let estimated = session_at(&facts(NOW - 9 * HOUR), &[], None, NOW);
        assert_eq!(estimated.status, Status::Warn, "{estimated:?}");
        assert!(estimated.summary.contains("(estimated)"), "{estimated:?}");
    }

    #[test]
    fn session_warns_when_not_signed_in_or_renewing_failed() {
        let c = session_check(None, &[], NOW, &LEADS);
        assert_eq!(
            c,
            Check::new(
                CheckId::Session,
                Status::Warn,
                "not signed in",
                Some("sign in with `connect-launcher login`".to_owned())
            )
        );
        let mut f = facts(NOW - HOUR);
        f.refresh_failed_at = Some(NOW - 2 * MINUTE);
        let c = session_at(&f, &[], Some(8), NOW);
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.summary.contains("renewing failed 2 min ago"), "{c:?}");
    }

    fn skew(ours_minus_server: i64) -> Check {
        let server = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW);
        let ours = if ours_minus_server >= 0 {
            server + Duration::from_secs(ours_minus_server.unsigned_abs())
        } else {
            server - Duration::from_secs(ours_minus_server.unsigned_abs())
        };
        skew_check(&Ok(SkewFacts {
            host: "portal.sso.us-east-1.amazonaws.com".into(),
            stand_in: None,
            server,
            ours,
        }))
    }

    #[test]
    fn skew_thresholds_and_words() {
        assert_eq!(
            skew(-1),
            Check::new(
                CheckId::ClockSkew,
                Status::Pass,
                "this computer's clock agrees with portal.sso.us-east-1.amazonaws.com to within 1 s",
                None
            )
        );
        assert_eq!(skew(60).status, Status::Pass);
        assert_eq!(skew(-61).status, Status::Warn);
        assert_eq!(skew(300).status, Status::Warn);
        let c = skew(301);
        assert_eq!(c.status, Status::Fail);
        let c = skew(-10 * 60);
        assert_eq!(
            c.summary,
            "this computer's clock is 10 minutes slow against portal.sso.us-east-1.amazonaws.com; \
             sign-in and Connect refuse requests when it is off by more than 5 minutes"
        );
        assert!(c.fix.unwrap().starts_with("turn on automatic time"));
        assert!(skew(7 * 60).summary.contains("7 minutes fast"));
        assert!(skew(-90).summary.contains("2 minutes slow"));
        assert_eq!(
            skew_check(&Err("offline".into())).status,
            Status::Warn,
            "no answer is not a verdict on the clock"
        );
    }

    #[test]
    fn http_dates_parse() {
        let t = parse_http_date("Sat, 28 Nov 2026 14:31:53 GMT").unwrap();
        assert_eq!(epoch(t), 1_795_876_313);
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn keychain_probe_leaves_nothing_and_a_locked_store_says_how_to_unlock() {
        let store = MemoryStore::new();
        assert_eq!(probe_keychain(&store, "v"), KeychainProbe::Worked);
        assert!(store.entry_names().is_empty(), "{:?}", store.entry_names());
        assert_eq!(keychain_check(&KeychainProbe::Worked).status, Status::Pass);

        store.set_locked(true);
        let c = keychain_check(&probe_keychain(&store, "v"));
        assert_eq!(c.status, Status::Fail);
        assert!(c.fix.unwrap().starts_with("unlock your login keyring"));

        let c = keychain_check(&KeychainProbe::Failed {
            step: ProbeStep::Write,
            error: KeychainError::Unavailable {
                detail: "no dbus session".into(),
            },
        });
        assert_eq!(c.summary, "no keychain is available (no dbus session)");
        assert!(c.fix.clone().unwrap().contains("dbus-run-session"));
        assert_eq!(
            with_session_cache(c.clone(), Ok(())),
            c,
            "a failed check stays as it is"
        );
    }

    #[test]
    fn the_keychain_check_says_whether_launches_use_the_session_keyring() {
        let passed = keychain_check(&KeychainProbe::Worked);
        let with = with_session_cache(passed.clone(), Ok(()));
        assert_eq!(with.status, Status::Pass);
        assert!(
            with.summary.ends_with("from the kernel's session keyring"),
            "{}",
            with.summary
        );
        let without = with_session_cache(
            passed,
            Err("the kernel session keyring is not reachable (PermissionDenied)".into()),
        );
        assert_eq!(without.status, Status::Pass);
        assert!(
            without
                .summary
                .contains("not reachable (PermissionDenied), so every launch reads the keychain"),
            "{}",
            without.summary
        );
    }

    #[test]
    fn the_probe_leaves_a_real_session_alone() {
        let store = MemoryStore::new();
        let real = EntryKey::session(
            &StartUrl::parse("https://d-1234567890.awsapps.com/start", false).unwrap(),
        );
        store.set(&real, &Secret::new("session secrets")).unwrap();
        let before = store.entry_names();
        assert_eq!(probe_keychain(&store, "probe"), KeychainProbe::Worked);
        assert_eq!(store.entry_names(), before);
        assert_eq!(
            store.get(&real).unwrap().unwrap().expose(),
            "session secrets"
        );
        assert_ne!(keychain_probe_key(), real);
    }

    fn candidate(command: &str, source: BrowserSource, found: Option<&str>) -> BrowserCandidate {
        BrowserCandidate {
            command: command.into(),
            source,
            program: split_command(command).map(|w| w[0].clone()),
            found: found.map(PathBuf::from),
        }
    }

    #[test]
    fn browser_passes_on_the_first_found_and_fails_with_the_way_out() {
        let c = browser_check(&[
            candidate("chromium --new-window", BrowserSource::EnvBrowser, None),
            candidate(
                "firefox",
                BrowserSource::EnvBrowser,
                Some("/usr/bin/firefox"),
            ),
        ]);
        assert_eq!(c.status, Status::Pass);
        assert_eq!(
            c.summary,
            "the browser is `firefox` (from $BROWSER), found at /usr/bin/firefox (`chromium` \
             (from $BROWSER) is not installed or not on PATH first)"
        );
        let c = browser_check(&[candidate("xdg-open", BrowserSource::SystemDefault, None)]);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(
            c.summary,
            "no browser found: `xdg-open` (the system default) is not installed or not on PATH"
        );
        assert!(c.fix.unwrap().contains("--print"));
    }

    #[test]
    fn browser_candidates_follow_the_opener_order() {
        let env: BTreeMap<String, String> = [("BROWSER".to_owned(), "a:b".to_owned())]
            .into_iter()
            .collect();
        let listed = browser_candidates(&env, Some("c"));
        if cfg!(windows) {
            assert_eq!(listed, [("a:b".to_owned(), BrowserSource::EnvBrowser)]);
        } else {
            assert_eq!(
                listed,
                [
                    ("a".to_owned(), BrowserSource::EnvBrowser),
                    ("b".to_owned(), BrowserSource::EnvBrowser)
                ]
            );
        }
        assert_eq!(
            browser_candidates(&BTreeMap::new(), Some("c")),
            [("c".to_owned(), BrowserSource::Setting)]
        );
        assert_eq!(
            browser_candidates(&BTreeMap::new(), None)[0].1,
            BrowserSource::SystemDefault
        );
    }

    #[test]
    fn endpoint_test_link_fills_in_the_instance() {
        let new = instance_url("Acme-Prod", DomainForm::New).unwrap();
        assert_eq!(
            endpoint_test_url(Some(&new)).as_str(),
            "https://www.connect-tools.net/endpoint-test/?connectInstanceUrl=https%3A%2F%2Facme-prod.my.connect.aws"
        );
        let legacy = instance_url("nw-legacy", DomainForm::Legacy).unwrap();
        assert_eq!(
            endpoint_test_url(Some(&legacy)).as_str(),
            "https://www.connect-tools.net/endpoint-test/?connectInstanceUrl=https%3A%2F%2Fnw-legacy.awsapps.com%2Fconnect"
        );
        assert_eq!(endpoint_test_url(None).as_str(), ENDPOINT_TEST_UTILITY);
        assert_eq!(
            endpoint_test_check(Some("acme-prod"), &endpoint_test_url(Some(&new))).status,
            Status::Pass
        );
    }

    #[test]
    fn the_instance_tested_is_the_latest_launched() {
        let launches = [
            launch("older", 10),
            launch("newer", 20),
            launch("oldest", 5),
        ];
        assert_eq!(
            instance_to_test(&launches, &[]).map(|(name, url)| (name, url.to_string())),
            Some((
                "newer".to_owned(),
                "https://newer.my.connect.aws/".to_owned()
            ))
        );
        assert_eq!(instance_to_test(&[], &[]), None);
    }

    fn region(name: &str) -> Region {
        Region::parse(name).unwrap()
    }

    #[test]
    fn targets_are_the_real_hosts_and_say_who_stands_in() {
        let env = BTreeMap::new();
        let e = Endpoints::resolve(region("us-east-1"), &env).unwrap();
        let hosts: Vec<(String, u16, StandIn)> = targets(
            &e,
            &env,
            &[region("us-east-1"), region("eu-west-2")],
            &[("acme-prod".into(), "acme-prod.my.connect.aws".into())],
        )
        .into_iter()
        .map(|t| {
            assert_eq!(t.host, t.real_host);
            (t.real_host, t.port, t.stand_in)
        })
        .collect();
        let direct = |h: &str| (h.to_owned(), HTTPS_PORT, StandIn::None);
        assert_eq!(
            hosts,
            [
                direct("oidc.us-east-1.amazonaws.com"),
                direct("portal.sso.us-east-1.amazonaws.com"),
                direct("connect.us-east-1.amazonaws.com"),
                direct("signin.aws.amazon.com"),
                direct("us-east-1.console.aws.amazon.com"),
                direct("connect.eu-west-2.amazonaws.com"),
                direct("eu-west-2.signin.aws.amazon.com"),
                direct("eu-west-2.console.aws.amazon.com"),
                direct("acme-prod.my.connect.aws"),
            ]
        );

        let env: BTreeMap<String, String> = [
            (
                endpoints::WEB_ENDPOINT_ENV.to_owned(),
                "http://127.0.0.1:4100".to_owned(),
            ),
            (
                endpoints::OIDC_ENDPOINT_ENV.to_owned(),
                "https://doctor-test.invalid:1".to_owned(),
            ),
        ]
        .into_iter()
        .collect();
        let e = Endpoints::resolve(region("us-east-1"), &env).unwrap();
        let list = targets(&e, &env, &[region("us-east-1")], &[]);
        assert_eq!(
            list[0],
            Target {
                purpose: "IAM Identity Center sign-in".into(),
                real_host: "oidc.us-east-1.amazonaws.com".into(),
                host: "doctor-test.invalid".into(),
                port: 1,
                stand_in: StandIn::Override(endpoints::OIDC_ENDPOINT_ENV),
            }
        );
        let signin = list
            .iter()
            .find(|t| t.real_host == "signin.aws.amazon.com")
            .unwrap();
        assert_eq!(
            (signin.host.as_str(), signin.port, &signin.stand_in),
            ("127.0.0.1", 4100, &StandIn::Emulator)
        );
    }

    #[test]
    fn network_fails_naming_each_unreachable_host() {
        let t = |real: &str, host: &str, port: u16, stand_in: StandIn| Target {
            purpose: "p".into(),
            real_host: real.into(),
            host: host.into(),
            port,
            stand_in,
        };
        let results = [
            (
                t("a.example", "a.example", HTTPS_PORT, StandIn::None),
                Reach::Reached,
            ),
            (
                t(
                    "oidc.us-east-1.amazonaws.com",
                    "doctor-test.invalid",
                    1,
                    StandIn::Override(endpoints::OIDC_ENDPOINT_ENV),
                ),
                Reach::Unresolved("not known".into()),
            ),
        ];
        let c = network_check(&results);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(
            c.summary,
            "1 of 2 hosts cannot be reached: oidc.us-east-1.amazonaws.com (at \
             doctor-test.invalid:1, set by AWS_ENDPOINT_URL_SSO_OIDC), p: cannot resolve \
             doctor-test.invalid (not known)"
        );
        let fix = c.fix.unwrap();
        assert!(fix.contains("allow-lists"), "{fix}");
        assert!(fix.ends_with("check AWS_ENDPOINT_URL_SSO_OIDC, which points elsewhere"));
        assert_eq!(
            network_check(&results[..1]).summary,
            "DNS and TCP work for 1 host: a.example"
        );
        assert_eq!(network_check(&[]).status, Status::Warn);
    }
}
