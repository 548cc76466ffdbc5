//! Connect Launcher's settings: one plain [`Settings`] struct resolved from layers by one function,
//! [`resolve`].
//!
//! Promises: layers apply in this order, later ones winning: built-in defaults, the managed policy
//! (see [`crate::policy`]), the user's settings file, `CONNECT_LAUNCHER_*` environment variables,
//! then command-line flags. The environment comes in as a map; nothing here reads the process
//! environment. A key locked by the policy that a later layer tries to change is an error naming
//! the key, the layer and the policy file. Unknown keys in files, wrong types and invalid values are
//! errors that say where (file, line and column; variable; flag) and what a good value looks like;
//! `CONNECT_LAUNCHER_*` variables that name no key are listed, not refused. Start URLs and regions
//! are validated by [`crate::start_url`] and [`crate::region`]. [`Resolved`] remembers which layer
//! each value came from.
//!
//! Per-instance settings live in `[instances.<alias or instance id>]` tables (in the policy and the
//! user's file). Later layers change a table field by field (a table named by the alias of an
//! instance IT pinned changes the pinned table), so the user can give a pinned instance a browser
//! of their own; `locked = ["instances"]` locks every table. Only the policy may pin (`pin = true`
//! with `region`, and `saml_application` or `account_id` + `role_name`); a pinned table is named by
//! its instance id and becomes a [`PinnedInstance`] whose default destination is the table's
//! `destination`. Unknown, misplaced (policy-only) and invalid fields in a table are reported at
//! their line and column, like keys. List settings read from an environment variable are
//! comma-separated.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;
use toml::Spanned;

use crate::catalog::{PinnedInstance, PinnedVia, ACCOUNT_ID_DIGITS};
use crate::connect::DomainForm;
use crate::policy::Policy;
use crate::region::{Region, RegionError};
use crate::relay_state::{Destination, VdiPlatform};
use crate::start_url::{StartUrl, StartUrlError};

/// Prefix of the environment variables that set keys: `CONNECT_LAUNCHER_` + the key in upper case.
pub const ENV_PREFIX: &str = "CONNECT_LAUNCHER_";

/// Role-name patterns used when none are configured.
pub const DEFAULT_ROLE_PATTERNS: [&str; 1] = ["*Connect*"];

/// Minutes before an expiry at which to warn, when none are configured.
pub const DEFAULT_WARNING_LEAD_MINUTES: [u32; 3] = [60, 15, 5];

/// The longest warning lead accepted: a day.
pub const MAX_WARNING_LEAD_MINUTES: u32 = 24 * 60;

/// The longest portal session IAM Identity Center allows: 90 days.
pub const MAX_PORTAL_SESSION_HOURS: u32 = 90 * 24;

/// The page opened when neither the user nor IT chose one.
pub const DEFAULT_DESTINATION: &str = "ccp";

/// The user's settings file's name, in the launcher's own config folder.
pub const USER_SETTINGS_FILE: &str = "settings.toml";

/// The file name of the user's settings inside the platform's config folder.
const USER_SETTINGS_RELATIVE: [&str; 2] = ["connect-launcher", USER_SETTINGS_FILE];

/// The user's settings file under the platform's config folder (`dirs::config_dir()`, e.g.
/// `~/.config` on Linux): `{config_dir}/connect-launcher/settings.toml`.
pub fn user_settings_path(config_dir: &Path) -> PathBuf {
    USER_SETTINGS_RELATIVE
        .iter()
        .fold(config_dir.to_owned(), |path, part| path.join(part))
}

/// A setting's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// `start_url`
    StartUrl,
    /// `region`: the IAM Identity Center region.
    Region,
    /// `use_device_code`
    UseDeviceCode,
    /// `browser`
    Browser,
    /// `export_aws_cli_cache`
    ExportAwsCliCache,
    /// `log_level`
    LogLevel,
    /// `connect_regions`
    ConnectRegions,
    /// `role_patterns`
    RolePatterns,
    /// `warning_lead_minutes`
    WarningLeadMinutes,
    /// `portal_session_hours`
    PortalSessionHours,
    /// `accounts`: the accounts that host Connect (ids or name patterns).
    Accounts,
    /// `default_destination`
    DefaultDestination,
    /// `approved_origins`
    ApprovedOrigins,
    /// `new_domain`
    NewDomain,
    /// `vdi_platform`
    VdiPlatform,
    /// `instances`: the `[instances.<name>]` tables.
    Instances,
}

impl Key {
    /// Every key, in the order they are documented.
    pub const ALL: [Key; 16] = [
        Key::StartUrl,
        Key::Region,
        Key::UseDeviceCode,
        Key::Browser,
        Key::ExportAwsCliCache,
        Key::LogLevel,
        Key::ConnectRegions,
        Key::RolePatterns,
        Key::WarningLeadMinutes,
        Key::PortalSessionHours,
        Key::Accounts,
        Key::DefaultDestination,
        Key::ApprovedOrigins,
        Key::NewDomain,
        Key::VdiPlatform,
        Key::Instances,
    ];

    /// The name used in files and in `locked`.
    pub fn name(self) -> &'static str {
        match self {
            Key::StartUrl => "start_url",
            Key::Region => "region",
            Key::UseDeviceCode => "use_device_code",
            Key::Browser => "browser",
            Key::ExportAwsCliCache => "export_aws_cli_cache",
            Key::LogLevel => "log_level",
            Key::ConnectRegions => "connect_regions",
            Key::RolePatterns => "role_patterns",
            Key::WarningLeadMinutes => "warning_lead_minutes",
            Key::PortalSessionHours => "portal_session_hours",
            Key::Accounts => "accounts",
            Key::DefaultDestination => "default_destination",
            Key::ApprovedOrigins => "approved_origins",
            Key::NewDomain => "new_domain",
            Key::VdiPlatform => "vdi_platform",
            Key::Instances => "instances",
        }
    }

    /// The key with this name.
    pub fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|key| key.name() == name)
    }

    /// The environment variable named for it, e.g. `CONNECT_LAUNCHER_START_URL` (the `instances`
    /// tables have none that works: see [`Key::from_env_var`]).
    pub fn env_var(self) -> String {
        format!("{ENV_PREFIX}{}", self.name().to_ascii_uppercase())
    }

    /// The key an environment variable sets, if any (`instances` cannot be set this way).
    pub fn from_env_var(var: &str) -> Option<Key> {
        Key::ALL
            .into_iter()
            .filter(|key| *key != Key::Instances)
            .find(|key| key.env_var() == var)
    }

    /// Whether a variable read from the environment is a comma-separated list.
    fn is_list(self) -> bool {
        matches!(
            self,
            Key::ConnectRegions
                | Key::RolePatterns
                | Key::WarningLeadMinutes
                | Key::Accounts
                | Key::ApprovedOrigins
        )
    }

    /// The command-line flag that sets it, if there is one.
    pub fn flag(self) -> Option<&'static str> {
        match self {
            Key::StartUrl => Some("--start-url"),
            Key::Region => Some("--region"),
            Key::UseDeviceCode => Some("--device-code"),
            Key::Browser => Some("--browser"),
            Key::LogLevel => Some("--log-level"),
            _ => None,
        }
    }

    /// What a good value looks like.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Key::StartUrl => "an https URL such as \"https://d-1234567890.awsapps.com/start\"",
            Key::Region => "a region such as \"us-east-1\"",
            Key::UseDeviceCode | Key::ExportAwsCliCache => "true or false",
            Key::Browser => "a browser command or path, e.g. \"firefox\"",
            Key::LogLevel => "one of \"error\", \"warn\", \"info\", \"debug\", \"trace\"",
            Key::ConnectRegions => "a list of regions, e.g. [\"us-east-1\", \"eu-west-2\"] (in an environment variable: us-east-1,eu-west-2)",
            Key::RolePatterns => "a list of role-name patterns, e.g. [\"*Connect*\"] (in an environment variable: *Connect*,Agent*)",
            Key::WarningLeadMinutes => "a list of whole minutes from 1 to 1440, e.g. [60, 15, 5] (in an environment variable: 60,15,5)",
            Key::PortalSessionHours => "whole hours from 1 to 2160, e.g. 8",
            Key::Accounts => "a list of 12-digit account ids or account-name patterns, e.g. [\"111122223333\", \"Contact Centre *\"] (in an environment variable: 111122223333,Contact Centre *)",
            Key::DefaultDestination => DESTINATION_EXPECTED,
            Key::ApprovedOrigins => "a list of https origins, e.g. [\"https://crm.example.com\"] (in an environment variable: https://crm.example.com,https://kb.example.com)",
            Key::NewDomain => "true or false",
            Key::VdiPlatform => "one of \"CITRIX_413\", \"AWS_WORKSPACE\", \"OMNISSA\", \"AZURE\"",
            Key::Instances => "tables such as [instances.acme-prod] with browser = \"firefox -P supervisor\" and destination = \"agent-workspace\"",
        }
    }
}

const DESTINATION_EXPECTED: &str = "ccp, ccp-chat, agent-workspace, admin, a path starting with `/` (e.g. \"/ccp-v2/softphone\"), or an https origin from approved_origins";

/// A field of an `[instances.<name>]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InstanceKey {
    Browser,
    Destination,
    Pin,
    Region,
    Alias,
    AccountId,
    SamlApplication,
    SamlApplicationName,
    RoleName,
    Domain,
}

impl InstanceKey {
    const ALL: [InstanceKey; 10] = [
        InstanceKey::Browser,
        InstanceKey::Destination,
        InstanceKey::Pin,
        InstanceKey::Region,
        InstanceKey::Alias,
        InstanceKey::AccountId,
        InstanceKey::SamlApplication,
        InstanceKey::SamlApplicationName,
        InstanceKey::RoleName,
        InstanceKey::Domain,
    ];

    fn name(self) -> &'static str {
        match self {
            InstanceKey::Browser => "browser",
            InstanceKey::Destination => "destination",
            InstanceKey::Pin => "pin",
            InstanceKey::Region => "region",
            InstanceKey::Alias => "alias",
            InstanceKey::AccountId => "account_id",
            InstanceKey::SamlApplication => "saml_application",
            InstanceKey::SamlApplicationName => "saml_application_name",
            InstanceKey::RoleName => "role_name",
            InstanceKey::Domain => "domain",
        }
    }

    /// Fields that pin an instance: only the managed policy may set them.
    fn policy_only(self) -> bool {
        !matches!(self, InstanceKey::Browser | InstanceKey::Destination)
    }

    fn expected(self) -> &'static str {
        match self {
            InstanceKey::Browser => Key::Browser.expected(),
            InstanceKey::Destination => DESTINATION_EXPECTED,
            InstanceKey::Pin => "true or false",
            InstanceKey::Region => Key::Region.expected(),
            InstanceKey::Alias => "the instance's alias as Connect has it (1 to 45 letters, digits and hyphens, starting and ending with a letter or digit, not starting with \"d-\"), e.g. \"acme-prod\"",
            InstanceKey::AccountId => "a 12-digit account id, e.g. \"111122223333\"",
            InstanceKey::SamlApplication => "the IAM Identity Center application's instance id, e.g. \"ins-3f6a1b2c4d5e6f70\"",
            InstanceKey::SamlApplicationName => "the application's name as the access portal shows it, e.g. \"Amazon Connect - acme-prod\"",
            InstanceKey::RoleName => "a permission set's role name, e.g. \"ConnectAgent\"",
            InstanceKey::Domain => "\"new\" (ALIAS.my.connect.aws) or \"legacy\" (ALIAS.awsapps.com/connect)",
        }
    }

    /// The known fields, for an error message.
    fn known(in_policy: bool) -> &'static str {
        static IN_POLICY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        static IN_USER_FILE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let list = || {
            InstanceKey::ALL
                .into_iter()
                .filter(|k| in_policy || !k.policy_only())
                .map(InstanceKey::name)
                .collect::<Vec<_>>()
                .join(", ")
        };
        if in_policy {
            IN_POLICY.get_or_init(list)
        } else {
            IN_USER_FILE.get_or_init(list)
        }
    }
}

fn known_keys() -> &'static str {
    static KNOWN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KNOWN.get_or_init(|| Key::ALL.map(Key::name).join(", "))
}

/// How much the launcher logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warn,
    /// Progress too (the default: what IT needs to follow a problem in the log file).
    #[default]
    Info,
    /// Details for IT.
    Debug,
    /// Everything (never tokens).
    Trace,
}

impl LogLevel {
    const ALL: [LogLevel; 5] = [
        Self::Error,
        Self::Warn,
        Self::Info,
        Self::Debug,
        Self::Trace,
    ];

    /// The level's name, as `tracing` filters spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// The resolved settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The access portal's start URL.
    pub start_url: Option<StartUrl>,
    /// The IAM Identity Center region.
    pub region: Option<Region>,
    /// Sign in with the device authorization grant instead of the browser redirect.
    pub use_device_code: bool,
    /// The browser to open instead of the system default.
    pub browser: Option<String>,
    /// Also write the session to `~/.aws/sso/cache` for the AWS CLI.
    pub export_aws_cli_cache: bool,
    /// How much to log.
    pub log_level: LogLevel,
    /// Regions to look for Connect instances in; empty means the caller's default.
    pub connect_regions: Vec<Region>,
    /// Role-name glob patterns of permission sets that can open Connect.
    pub role_patterns: Vec<String>,
    /// Minutes before an expiry to warn at, largest first.
    pub warning_lead_minutes: Vec<u32>,
    /// The portal session length IT configured, if known.
    pub portal_session_hours: Option<u32>,
    /// Accounts to look for Connect in: 12-digit ids or account-name patterns; empty for all.
    pub accounts: Vec<String>,
    /// The page to open, in configuration form (a preset, a path or an origin).
    pub default_destination: String,
    /// External https origins a destination may name (normalised, e.g. `https://crm.example.com`).
    pub approved_origins: Vec<String>,
    /// Ask for `new_domain=true` always (`Some(true)`) or never (`Some(false)`); `None` asks for it
    /// when the instance is known to be on the `my.connect.aws` domain.
    pub new_domain: Option<bool>,
    /// The VDI platform Connect optimises audio for, on permission-set launches.
    pub vdi_platform: Option<VdiPlatform>,
    /// The `[instances.<alias or instance id>]` tables, by name.
    pub instances: BTreeMap<String, InstanceSettings>,
}

/// One `[instances.<name>]` table, merged over the layers field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceSettings {
    /// A browser command line for this instance (e.g. a browser profile of its own).
    pub browser: Option<String>,
    /// The page to open for this instance, in configuration form.
    pub destination: Option<String>,
    /// Set when the managed policy pins the instance (the table is then named by its instance id).
    pub pin: Option<PinnedInstance>,
}

impl InstanceSettings {
    /// `other`'s fields over these.
    fn merge(&mut self, other: InstanceSettings) {
        if other.browser.is_some() {
            self.browser = other.browser;
        }
        if other.destination.is_some() {
            self.destination = other.destination;
        }
        if other.pin.is_some() {
            self.pin = other.pin;
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            start_url: None,
            region: None,
            use_device_code: false,
            browser: None,
            export_aws_cli_cache: false,
            log_level: LogLevel::default(),
            connect_regions: Vec::new(),
            role_patterns: DEFAULT_ROLE_PATTERNS.map(String::from).to_vec(),
            warning_lead_minutes: DEFAULT_WARNING_LEAD_MINUTES.to_vec(),
            portal_session_hours: None,
            accounts: Vec::new(),
            default_destination: DEFAULT_DESTINATION.to_owned(),
            approved_origins: Vec::new(),
            new_domain: None,
            vdi_platform: None,
            instances: BTreeMap::new(),
        }
    }
}

/// A value and where it was set.
pub(crate) type Assignment = (Value, Location);

/// One key's parsed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    StartUrl(StartUrl),
    Region(Region),
    UseDeviceCode(bool),
    Browser(String),
    ExportAwsCliCache(bool),
    LogLevel(LogLevel),
    ConnectRegions(Vec<Region>),
    RolePatterns(Vec<String>),
    WarningLeadMinutes(Vec<u32>),
    PortalSessionHours(u32),
    Accounts(Vec<String>),
    DefaultDestination(String),
    ApprovedOrigins(Vec<String>),
    NewDomain(bool),
    VdiPlatform(VdiPlatform),
    /// Tables to merge over those already set (one table per assignment from a file).
    Instances(BTreeMap<String, InstanceSettings>),
}

impl Value {
    fn key(&self) -> Key {
        match self {
            Value::StartUrl(_) => Key::StartUrl,
            Value::Region(_) => Key::Region,
            Value::UseDeviceCode(_) => Key::UseDeviceCode,
            Value::Browser(_) => Key::Browser,
            Value::ExportAwsCliCache(_) => Key::ExportAwsCliCache,
            Value::LogLevel(_) => Key::LogLevel,
            Value::ConnectRegions(_) => Key::ConnectRegions,
            Value::RolePatterns(_) => Key::RolePatterns,
            Value::WarningLeadMinutes(_) => Key::WarningLeadMinutes,
            Value::PortalSessionHours(_) => Key::PortalSessionHours,
            Value::Accounts(_) => Key::Accounts,
            Value::DefaultDestination(_) => Key::DefaultDestination,
            Value::ApprovedOrigins(_) => Key::ApprovedOrigins,
            Value::NewDomain(_) => Key::NewDomain,
            Value::VdiPlatform(_) => Key::VdiPlatform,
            Value::Instances(_) => Key::Instances,
        }
    }
}

impl Settings {
    fn apply(&mut self, value: Value) {
        match value {
            Value::StartUrl(v) => self.start_url = Some(v),
            Value::Region(v) => self.region = Some(v),
            Value::UseDeviceCode(v) => self.use_device_code = v,
            Value::Browser(v) => self.browser = Some(v),
            Value::ExportAwsCliCache(v) => self.export_aws_cli_cache = v,
            Value::LogLevel(v) => self.log_level = v,
            Value::ConnectRegions(v) => self.connect_regions = v,
            Value::RolePatterns(v) => self.role_patterns = v,
            Value::WarningLeadMinutes(v) => self.warning_lead_minutes = v,
            Value::PortalSessionHours(v) => self.portal_session_hours = Some(v),
            Value::Accounts(v) => self.accounts = v,
            Value::DefaultDestination(v) => self.default_destination = v,
            Value::ApprovedOrigins(v) => self.approved_origins = v,
            Value::NewDomain(v) => self.new_domain = Some(v),
            Value::VdiPlatform(v) => self.vdi_platform = Some(v),
            Value::Instances(tables) => {
                for (name, table) in tables {
                    let name = self.pinned_table_with_alias(&name).unwrap_or(name);
                    self.instances.entry(name).or_default().merge(table);
                }
            }
        }
    }

    /// The name of the pinned table whose `alias` is `alias`, so that a later layer's
    /// `[instances.<alias>]` changes the same instance's table, field by field.
    fn pinned_table_with_alias(&self, alias: &str) -> Option<String> {
        self.instances
            .iter()
            .find(|(_, table)| {
                table
                    .pin
                    .as_ref()
                    .and_then(|pin| pin.alias.as_deref())
                    .is_some_and(|a| a.eq_ignore_ascii_case(alias))
            })
            .map(|(name, _)| name.clone())
    }

    /// The instances the managed policy pins, in table-name order.
    pub fn pinned(&self) -> Vec<PinnedInstance> {
        self.instances
            .values()
            .filter_map(|table| table.pin.clone())
            .collect()
    }

    /// The settings of one instance: its table by instance id over its table by alias (names
    /// compared ignoring case); empty when it has neither.
    pub fn instance(&self, instance_id: &str, alias: Option<&str>) -> InstanceSettings {
        let table = |name: &str| {
            self.instances
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, table)| table.clone())
        };
        let mut merged = alias.and_then(table).unwrap_or_default();
        if let Some(by_id) = table(instance_id) {
            merged.merge(by_id);
        }
        merged
    }

    /// True when applying `value` would change nothing.
    fn holds(&self, value: &Value) -> bool {
        let mut applied = self.clone();
        applied.apply(value.clone());
        applied == *self
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Built in.
    Default,
    /// The managed policy file at this path.
    Policy(PathBuf),
    /// The user's settings file at this path.
    UserFile(PathBuf),
    /// This environment variable.
    Env(String),
    /// This command-line flag.
    Flag(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("the built-in default"),
            Source::Policy(path) => write!(f, "the managed policy at {}", path.display()),
            Source::UserFile(path) => write!(f, "your settings file {}", path.display()),
            Source::Env(var) => write!(f, "the environment variable {var}"),
            Source::Flag(flag) => f.write_str(flag),
        }
    }
}

/// A source, and for files the line and column (both from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The layer.
    pub source: Source,
    /// Line and column in a file.
    pub line_column: Option<(usize, usize)>,
}

impl Location {
    fn of(source: Source) -> Self {
        Self {
            source,
            line_column: None,
        }
    }

    fn in_file(source: Source, text: &str, offset: usize) -> Self {
        Self {
            source,
            line_column: Some(line_column(text, offset)),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some((line, column)) = self.line_column {
            write!(f, " (line {line}, column {column})")?;
        }
        Ok(())
    }
}

/// Line and column (from 1, column in characters) of a byte offset. An offset inside a character
/// (the TOML parser may point into one) counts as that character's start.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    (line, column)
}

/// A settings file's path and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its content.
    pub text: String,
}

impl SourceFile {
    /// Reads a settings or policy file; a file that does not exist is `None`.
    pub fn read(path: &Path) -> Result<Option<Self>, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(Self {
                path: path.to_owned(),
                text,
            })),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(ConfigError::Read {
                path: path.to_owned(),
                reason: err.to_string(),
            }),
        }
    }
}

/// Values given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    /// `--start-url`
    pub start_url: Option<String>,
    /// `--region`
    pub region: Option<String>,
    /// `--device-code` (`Some(true)` when given).
    pub use_device_code: Option<bool>,
    /// `--browser`
    pub browser: Option<String>,
    /// `--log-level`
    pub log_level: Option<String>,
}

/// Everything [`resolve`] reads.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    /// The managed policy file, if there is one.
    pub policy: Option<SourceFile>,
    /// The user's settings file, if there is one.
    pub user: Option<SourceFile>,
    /// The process environment (only `CONNECT_LAUNCHER_*` variables are looked at).
    pub env: BTreeMap<String, String>,
    /// Command-line flags.
    pub flags: Flags,
    /// Accept a plain-http loopback start URL (the local emulator).
    pub allow_loopback_start_url: bool,
}

/// The settings and where each came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The settings.
    pub settings: Settings,
    sources: BTreeMap<Key, Source>,
    locked: BTreeSet<Key>,
    policy_path: Option<PathBuf>,
    unrecognised_env: Vec<String>,
}

impl Resolved {
    /// Where the value of `key` came from.
    pub fn source(&self, key: Key) -> &Source {
        self.sources.get(&key).unwrap_or(&Source::Default)
    }

    /// True when the managed policy locks `key`.
    pub fn is_locked(&self, key: Key) -> bool {
        self.locked.contains(&key)
    }

    /// The managed policy file that was applied, if any.
    pub fn policy_path(&self) -> Option<&Path> {
        self.policy_path.as_deref()
    }

    /// `CONNECT_LAUNCHER_*` variables that set no key. Other parts of the launcher read some such
    /// variables (endpoint overrides); the CLI can warn about the rest, which are likely typos.
    pub fn unrecognised_env(&self) -> &[String] {
        &self.unrecognised_env
    }
}

/// Resolves the settings from all layers.
pub fn resolve(layers: &Layers) -> Result<Resolved, ConfigError> {
    let allow_loopback = layers.allow_loopback_start_url;
    let policy = layers
        .policy
        .as_ref()
        .map(|file| Policy::parse(file, allow_loopback))
        .transpose()?;
    let mut assignments = Vec::new();
    if let Some(policy) = &policy {
        assignments.extend(policy.values.iter().cloned());
    }
    if let Some(user) = &layers.user {
        let parsed = parse_file(
            user,
            Source::UserFile(user.path.clone()),
            false,
            allow_loopback,
        )?;
        if !parsed.problems.is_empty() {
            return Err(ConfigError::from_problems(&user.path, parsed.problems));
        }
        assignments.extend(parsed.values);
    }
    let (env_assignments, unrecognised_env) = env_values(&layers.env, allow_loopback)?;
    assignments.extend(env_assignments);
    assignments.extend(flag_values(&layers.flags, allow_loopback)?);

    let mut settings = Settings::default();
    let mut sources = BTreeMap::new();
    for (value, at) in assignments {
        let key = value.key();
        if let Some(policy) = policy
            .as_ref()
            .filter(|p| p.locks(key) && !matches!(at.source, Source::Policy(_)))
        {
            if settings.holds(&value) {
                continue;
            }
            return Err(ConfigError::Locked {
                key: key.name(),
                by: at,
                policy: policy.path.clone(),
            });
        }
        settings.apply(value);
        sources.insert(key, at.source);
    }
    Ok(Resolved {
        settings,
        sources,
        locked: policy
            .as_ref()
            .map(|p| p.locked.clone())
            .unwrap_or_default(),
        policy_path: policy.map(|p| p.path),
        unrecognised_env,
    })
}

/// A value as found in a file, a variable or a flag, before it is checked against its key.
enum Raw {
    Text(String),
    Bool(bool),
    Int(i64),
    List(Vec<Raw>),
    Other,
}

impl From<toml::Value> for Raw {
    fn from(value: toml::Value) -> Self {
        match value {
            toml::Value::String(text) => Raw::Text(text),
            toml::Value::Boolean(flag) => Raw::Bool(flag),
            toml::Value::Integer(n) => Raw::Int(n),
            toml::Value::Array(items) => Raw::List(items.into_iter().map(Raw::from).collect()),
            _ => Raw::Other,
        }
    }
}

/// Why a raw value does not fit its key.
enum Invalid {
    Expected,
    StartUrl(StartUrlError),
    Region(RegionError),
}

fn parse_value(key: Key, raw: Raw, allow_loopback: bool) -> Result<Value, Invalid> {
    let text = |raw: Raw| match raw {
        Raw::Text(text) => Ok(text),
        _ => Err(Invalid::Expected),
    };
    let list = |raw: Raw| match raw {
        Raw::List(items) => Ok(items),
        _ => Err(Invalid::Expected),
    };
    let whole = |raw: Raw, max: u32| {
        let n = match raw {
            Raw::Int(n) => n,
            Raw::Text(text) => text.trim().parse().map_err(|_| Invalid::Expected)?,
            _ => return Err(Invalid::Expected),
        };
        u32::try_from(n)
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or(Invalid::Expected)
    };
    let boolean = |raw: Raw| match raw {
        Raw::Bool(flag) => Ok(flag),
        Raw::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(Invalid::Expected),
        },
        _ => Err(Invalid::Expected),
    };
    let region = |raw: Raw| Region::parse(&text(raw)?).map_err(Invalid::Region);
    Ok(match key {
        Key::StartUrl => Value::StartUrl(
            StartUrl::parse(&text(raw)?, allow_loopback).map_err(Invalid::StartUrl)?,
        ),
        Key::Region => Value::Region(region(raw)?),
        Key::UseDeviceCode => Value::UseDeviceCode(boolean(raw)?),
        Key::ExportAwsCliCache => Value::ExportAwsCliCache(boolean(raw)?),
        Key::Browser => {
            let browser = text(raw)?.trim().to_owned();
            if browser.is_empty() {
                return Err(Invalid::Expected);
            }
            Value::Browser(browser)
        }
        Key::LogLevel => Value::LogLevel(LogLevel::parse(&text(raw)?).ok_or(Invalid::Expected)?),
        Key::ConnectRegions => {
            let mut regions = Vec::new();
            for item in list(raw)? {
                let region = region(item)?;
                if !regions.contains(&region) {
                    regions.push(region);
                }
            }
            Value::ConnectRegions(regions)
        }
        Key::RolePatterns => {
            let patterns = list(raw)?
                .into_iter()
                .map(|item| text(item).map(|t| t.trim().to_owned()))
                .collect::<Result<Vec<_>, _>>()?;
            if patterns.is_empty() || patterns.iter().any(String::is_empty) {
                return Err(Invalid::Expected);
            }
            Value::RolePatterns(patterns)
        }
        Key::WarningLeadMinutes => {
            let mut minutes = list(raw)?
                .into_iter()
                .map(|item| whole(item, MAX_WARNING_LEAD_MINUTES))
                .collect::<Result<Vec<_>, _>>()?;
            minutes.sort_unstable_by(|a, b| b.cmp(a));
            minutes.dedup();
            Value::WarningLeadMinutes(minutes)
        }
        Key::PortalSessionHours => Value::PortalSessionHours(whole(raw, MAX_PORTAL_SESSION_HOURS)?),
        Key::Accounts => {
            let mut accounts: Vec<String> = Vec::new();
            for item in list(raw)? {
                let selector = text(item)?.trim().to_owned();
                let numeric = selector.bytes().all(|b| b.is_ascii_digit());
                if selector.is_empty() || (numeric && !is_account_id(&selector)) {
                    return Err(Invalid::Expected);
                }
                if !accounts.contains(&selector) {
                    accounts.push(selector);
                }
            }
            Value::Accounts(accounts)
        }
        Key::DefaultDestination => {
            Value::DefaultDestination(destination_form(&text(raw)?).ok_or(Invalid::Expected)?)
        }
        Key::ApprovedOrigins => {
            let mut origins: Vec<String> = Vec::new();
            for item in list(raw)? {
                let origin = https_origin(&text(item)?).ok_or(Invalid::Expected)?;
                if !origins.contains(&origin) {
                    origins.push(origin);
                }
            }
            Value::ApprovedOrigins(origins)
        }
        Key::NewDomain => Value::NewDomain(boolean(raw)?),
        Key::VdiPlatform => Value::VdiPlatform(
            text(raw)?
                .parse::<VdiPlatform>()
                .map_err(|_| Invalid::Expected)?,
        ),
        // Tables come only from files, through `parse_instance`.
        Key::Instances => return Err(Invalid::Expected),
    })
}

/// Whether `text` is a 12-digit account id.
fn is_account_id(text: &str) -> bool {
    text.len() == ACCOUNT_ID_DIGITS && text.bytes().all(|b| b.is_ascii_digit())
}

/// A destination in its configuration form (a preset's name, a path, or an https URL), if it is
/// one. Whether an origin is approved is checked at launch, against `approved_origins`.
pub(crate) fn destination_form(text: &str) -> Option<String> {
    let text = text.trim();
    if let Some(preset) = Destination::preset(text) {
        return Some(preset.to_string());
    }
    if text.starts_with('/') {
        return Destination::from_path(text).ok().map(|d| d.to_string());
    }
    let url = url::Url::parse(text).ok()?;
    let plain = url.scheme() == "https"
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none();
    plain.then(|| text.to_owned())
}

/// An https origin (`https://host[:port]`, a trailing `/` allowed), normalised, if `text` is one.
fn https_origin(text: &str) -> Option<String> {
    let url = url::Url::parse(text.trim()).ok()?;
    let origin_only = url.scheme() == "https"
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    origin_only.then(|| url.origin().ascii_serialization())
}

fn checked(
    key: Key,
    raw: Raw,
    at: Location,
    allow_loopback: bool,
) -> Result<(Value, Location), ConfigError> {
    match parse_value(key, raw, allow_loopback) {
        Ok(value) => Ok((value, at)),
        Err(Invalid::Expected) => Err(ConfigError::Invalid {
            key: key.name().to_owned(),
            at,
            expected: key.expected(),
        }),
        Err(Invalid::StartUrl(source)) => Err(ConfigError::StartUrl { at, source }),
        Err(Invalid::Region(source)) => Err(ConfigError::Region {
            key: key.name().to_owned(),
            at,
            source,
        }),
    }
}

/// A parsed settings or policy file: what it sets, and every problem found in it.
#[derive(Debug)]
pub(crate) struct ParsedFile {
    pub(crate) values: Vec<(Value, Location)>,
    pub(crate) locked: Vec<(String, Location)>,
    /// Every problem, in file order; the values hold only what had none.
    pub(crate) problems: Vec<ConfigError>,
}

/// The key of the policy's list of locked keys.
pub(crate) const LOCKED_KEY: &str = "locked";

/// Parses a TOML file of settings; `allow_locked` admits the policy's `locked` list. A file that
/// is not TOML is the one error; every other problem is collected in [`ParsedFile::problems`].
pub(crate) fn parse_file(
    file: &SourceFile,
    source: Source,
    allow_locked: bool,
    allow_loopback: bool,
) -> Result<ParsedFile, ConfigError> {
    let syntax = |err: toml::de::Error| {
        let (line, column) = line_column(&file.text, err.span().map_or(0, |span| span.start));
        ConfigError::Syntax {
            path: file.path.clone(),
            line,
            column,
            message: err.message().trim().to_owned(),
        }
    };
    let TopLevel(mut entries) = toml::from_str(&file.text).map_err(syntax)?;
    entries.sort_by_key(|(key, _)| key.span().start);
    let at = |offset: usize| Location::in_file(source.clone(), &file.text, offset);
    let mut parsed = ParsedFile {
        values: Vec::new(),
        locked: Vec::new(),
        problems: Vec::new(),
    };
    let unknown = |name: &str, at: Location| {
        let mut candidates: Vec<&'static str> = Key::ALL.map(Key::name).to_vec();
        if allow_locked {
            candidates.push(LOCKED_KEY);
        }
        ConfigError::UnknownKey {
            key: name.to_owned(),
            at,
            suggestion: closest(name, &candidates),
            known: known_keys(),
        }
    };
    for (name, value) in entries {
        let Some(value) = value else {
            if name.get_ref() == Key::Instances.name() {
                let key_at = at(name.span().start);
                parse_instances(file, &at, key_at, allow_locked, &mut parsed);
                continue;
            }
            parsed
                .problems
                .push(unknown(name.get_ref(), at(name.span().start)));
            continue;
        };
        let value_at = at(value.span().start);
        let value = value.into_inner();
        if allow_locked && name.get_ref() == LOCKED_KEY {
            let invalid = || ConfigError::Invalid {
                key: LOCKED_KEY.to_owned(),
                at: value_at.clone(),
                expected: LOCKED_EXPECTED,
            };
            let toml::Value::Array(items) = value else {
                parsed.problems.push(invalid());
                continue;
            };
            for item in items {
                match item {
                    toml::Value::String(item) => parsed.locked.push((item, value_at.clone())),
                    _ => {
                        parsed.problems.push(invalid());
                        break;
                    }
                }
            }
            continue;
        }
        let Some(key) = Key::from_name(name.get_ref()) else {
            parsed
                .problems
                .push(unknown(name.get_ref(), at(name.span().start)));
            continue;
        };
        match checked(key, Raw::from(value), value_at, allow_loopback) {
            Ok(assignment) => parsed.values.push(assignment),
            Err(problem) => parsed.problems.push(problem),
        }
    }
    Ok(parsed)
}

/// The name among `candidates` that `name` is most likely a misspelling of, if one is close.
pub(crate) fn closest(name: &str, candidates: &[&'static str]) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&name, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The Levenshtein distance between two short strings, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A file's top-level keys, each with where it is and, for a setting or `locked`, its value and
/// where that is. The `instances` tables and unknown keys have no value here: this `toml` cannot
/// read a table of tables into a spanned `toml::Value`, so `instances` is read apart
/// ([`parse_instances`]) and an unknown key is reported by its name alone.
struct TopLevel(Vec<(Spanned<String>, Option<Spanned<toml::Value>>)>);

impl<'de> serde::Deserialize<'de> for TopLevel {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = TopLevel;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of settings")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<TopLevel, A::Error> {
                let mut entries = Vec::new();
                while let Some(name) = map.next_key::<Spanned<String>>()? {
                    let wanted = name.get_ref() == LOCKED_KEY
                        || Key::from_name(name.get_ref()).is_some_and(|k| k != Key::Instances);
                    let value = if wanted {
                        Some(map.next_value::<Spanned<toml::Value>>()?)
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        None
                    };
                    entries.push((name, value));
                }
                Ok(TopLevel(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// The fields of one table, each with where it is.
type SpannedTable = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

/// The `instances` tables read a second time, keeping where each name and field is.
#[derive(serde::Deserialize)]
struct InstanceTables {
    #[serde(default)]
    instances: BTreeMap<Spanned<String>, SpannedTable>,
}

/// One assignment per `[instances.<name>]` table, in file order, into `parsed`; `in_policy`
/// admits pins. A table with a problem adds its problems instead of an assignment.
fn parse_instances(
    file: &SourceFile,
    at: &dyn Fn(usize) -> Location,
    instances_at: Location,
    in_policy: bool,
    parsed: &mut ParsedFile,
) {
    let tables: InstanceTables = match toml::from_str(&file.text) {
        Ok(tables) => tables,
        Err(err) => {
            parsed.problems.push(ConfigError::Invalid {
                key: Key::Instances.name().to_owned(),
                at: err.span().map_or(instances_at, |span| at(span.start)),
                expected: Key::Instances.expected(),
            });
            return;
        }
    };
    let mut tables: Vec<_> = tables.instances.into_iter().collect();
    tables.sort_by_key(|(name, _)| name.span().start);
    for (name, fields) in tables {
        match parse_instance(name, fields, at, in_policy) {
            Ok(assignment) => parsed.values.push(assignment),
            Err(problems) => parsed.problems.extend(problems),
        }
    }
}

/// The pin fields of a table, before they are checked together.
#[derive(Default)]
struct PinFields {
    pin: Option<bool>,
    region: Option<Region>,
    alias: Option<String>,
    account_id: Option<String>,
    saml_application: Option<String>,
    saml_application_name: Option<String>,
    role_name: Option<String>,
    domain: Option<DomainForm>,
}

impl PinFields {
    /// The pinned instance these fields describe, or what is wrong with them.
    fn into_pinned(
        self,
        name: &str,
        destination: Option<String>,
    ) -> Result<Option<PinnedInstance>, String> {
        let any_field = self.region.is_some()
            || self.alias.is_some()
            || self.account_id.is_some()
            || self.saml_application.is_some()
            || self.saml_application_name.is_some()
            || self.role_name.is_some()
            || self.domain.is_some();
        if self.pin != Some(true) {
            return if any_field {
                Err("sets region, alias, domain, account_id, saml_application or role_name without pin = true".to_owned())
            } else {
                Ok(None)
            };
        }
        let id_like = name.len() <= crate::relay_state::MAX_INSTANCE_ID_LEN
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !id_like {
            return Err(format!(
                "is not named by an instance id (`{name}` is not one)"
            ));
        }
        if self.domain.is_some() && self.alias.is_none() {
            return Err("has a domain but no alias: the domain says which address the alias has, so give alias = \"…\" too".to_owned());
        }
        if self
            .alias
            .as_deref()
            .is_some_and(|alias| alias.eq_ignore_ascii_case(name))
        {
            return Err("is named by its alias; name a pinned instance's table by its instance id and give the alias with alias = \"…\"".to_owned());
        }
        let region = self.region.ok_or("has no region")?;
        let via =
            match (self.saml_application, self.role_name) {
                (Some(app_instance_id), None) => PinnedVia::SamlApplication {
                    app_instance_id,
                    name: self.saml_application_name,
                },
                (None, Some(role_name)) => {
                    if self.saml_application_name.is_some() {
                        return Err("has saml_application_name but no saml_application".to_owned());
                    }
                    PinnedVia::PermissionSet {
                        account_id: self
                            .account_id
                            .clone()
                            .ok_or("has role_name but no account_id")?,
                        role_name,
                    }
                }
                (Some(_), Some(_)) => {
                    return Err(
                        "names both saml_application and role_name: pick one way to launch it"
                            .to_owned(),
                    )
                }
                (None, None) => return Err(
                    "has no way to launch it: give saml_application, or account_id and role_name"
                        .to_owned(),
                ),
            };
        Ok(Some(PinnedInstance {
            instance_id: name.to_owned(),
            region,
            alias: self.alias,
            domain: self.domain.unwrap_or(DomainForm::Unknown),
            account_id: self.account_id,
            via,
            default_destination: destination,
        }))
    }
}

/// One `[instances.<name>]` table, or every problem in it.
fn parse_instance(
    name: Spanned<String>,
    fields: SpannedTable,
    at: &dyn Fn(usize) -> Location,
    in_policy: bool,
) -> Result<Assignment, Vec<ConfigError>> {
    let table_at = at(name.span().start);
    let name = name.into_inner();
    let full = |field: &str| format!("{}.{name}.{field}", Key::Instances.name());
    if name.trim().is_empty() {
        return Err(vec![ConfigError::Invalid {
            key: Key::Instances.name().to_owned(),
            at: table_at,
            expected: Key::Instances.expected(),
        }]);
    }
    let mut fields: Vec<_> = fields.into_iter().collect();
    fields.sort_by_key(|(field, _)| field.span().start);
    let mut table = InstanceSettings::default();
    let mut pin = PinFields::default();
    let mut problems = Vec::new();
    for (field, value) in fields {
        let field_at = at(field.span().start);
        let Some(key) = InstanceKey::ALL
            .into_iter()
            .find(|key| key.name() == field.get_ref())
        else {
            let candidates: Vec<&'static str> = InstanceKey::ALL
                .into_iter()
                .filter(|k| in_policy || !k.policy_only())
                .map(InstanceKey::name)
                .collect();
            problems.push(ConfigError::UnknownKey {
                key: full(field.get_ref()),
                at: field_at,
                suggestion: closest(field.get_ref(), &candidates),
                known: InstanceKey::known(in_policy),
            });
            continue;
        };
        if key.policy_only() && !in_policy {
            problems.push(ConfigError::PolicyOnly {
                key: full(key.name()),
                at: field_at,
            });
            continue;
        }
        let value_at = at(value.span().start);
        if let Err(problem) = instance_field(
            key,
            value.into_inner(),
            &value_at,
            &full,
            &mut table,
            &mut pin,
        ) {
            problems.push(problem);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    table.pin = pin
        .into_pinned(&name, table.destination.clone())
        .map_err(|problem| {
            vec![ConfigError::Pin {
                instance: name.clone(),
                at: table_at.clone(),
                problem,
            }]
        })?;
    Ok((Value::Instances(BTreeMap::from([(name, table)])), table_at))
}

/// Whether `alias` is one Connect accepts for an instance: 1 to [`MAX_INSTANCE_ALIAS_LEN`]
/// ASCII letters, digits and hyphens, starting and ending with a letter or digit, not `d-…`.
pub fn is_instance_alias(alias: &str) -> bool {
    let bytes = alias.as_bytes();
    let alnum = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    (1..=MAX_INSTANCE_ALIAS_LEN).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && alnum(bytes.first())
        && alnum(bytes.last())
        && !alias.starts_with("d-")
}

/// The longest instance alias Connect accepts.
pub const MAX_INSTANCE_ALIAS_LEN: usize = 45;

/// Reads one field of an instance's table into `table` or `pin`.
fn instance_field(
    key: InstanceKey,
    raw: toml::Value,
    value_at: &Location,
    full: &dyn Fn(&str) -> String,
    table: &mut InstanceSettings,
    pin: &mut PinFields,
) -> Result<(), ConfigError> {
    let invalid = || ConfigError::Invalid {
        key: full(key.name()),
        at: value_at.clone(),
        expected: key.expected(),
    };
    let text = || match &raw {
        toml::Value::String(text) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
        _ => Err(invalid()),
    };
    match key {
        InstanceKey::Browser => table.browser = Some(text()?),
        InstanceKey::Destination => {
            table.destination = Some(destination_form(&text()?).ok_or_else(invalid)?)
        }
        InstanceKey::Pin => match raw {
            toml::Value::Boolean(flag) => pin.pin = Some(flag),
            _ => return Err(invalid()),
        },
        InstanceKey::Region => {
            let region = Region::parse(&text()?).map_err(|source| ConfigError::Region {
                key: full(key.name()),
                at: value_at.clone(),
                source,
            })?;
            pin.region = Some(region);
        }
        InstanceKey::Alias => {
            let alias = text()?;
            if !is_instance_alias(&alias) {
                return Err(invalid());
            }
            pin.alias = Some(alias);
        }
        InstanceKey::Domain => {
            pin.domain = Some(match text()?.to_ascii_lowercase().as_str() {
                "new" => DomainForm::New,
                "legacy" => DomainForm::Legacy,
                _ => return Err(invalid()),
            })
        }
        InstanceKey::AccountId => {
            let id = text()?;
            if !is_account_id(&id) {
                return Err(invalid());
            }
            pin.account_id = Some(id);
        }
        InstanceKey::SamlApplication => pin.saml_application = Some(text()?),
        InstanceKey::SamlApplicationName => pin.saml_application_name = Some(text()?),
        InstanceKey::RoleName => pin.role_name = Some(text()?),
    }
    Ok(())
}

const LOCKED_EXPECTED: &str = "a list of setting names, e.g. [\"start_url\", \"region\"]";

/// The values set by `CONNECT_LAUNCHER_*` variables, and the names of those that set no key.
fn env_values(
    env: &BTreeMap<String, String>,
    allow_loopback: bool,
) -> Result<(Vec<Assignment>, Vec<String>), ConfigError> {
    let mut values = Vec::new();
    let mut unrecognised = Vec::new();
    for (var, text) in env.iter().filter(|(var, _)| var.starts_with(ENV_PREFIX)) {
        let Some(key) = Key::from_env_var(var) else {
            unrecognised.push(var.clone());
            continue;
        };
        if text.trim().is_empty() {
            continue; // set but empty counts as unset
        }
        let raw = if key.is_list() {
            Raw::List(
                text.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| Raw::Text(item.to_owned()))
                    .collect(),
            )
        } else {
            Raw::Text(text.clone())
        };
        values.push(checked(
            key,
            raw,
            Location::of(Source::Env(var.clone())),
            allow_loopback,
        )?);
    }
    Ok((values, unrecognised))
}

fn flag_values(flags: &Flags, allow_loopback: bool) -> Result<Vec<(Value, Location)>, ConfigError> {
    let given = [
        (Key::StartUrl, flags.start_url.clone().map(Raw::Text)),
        (Key::Region, flags.region.clone().map(Raw::Text)),
        (Key::UseDeviceCode, flags.use_device_code.map(Raw::Bool)),
        (Key::Browser, flags.browser.clone().map(Raw::Text)),
        (Key::LogLevel, flags.log_level.clone().map(Raw::Text)),
    ];
    given
        .into_iter()
        .filter_map(|(key, raw)| Some((key, raw?)))
        .map(|(key, raw)| {
            let flag = key.flag().unwrap_or_default();
            checked(key, raw, Location::of(Source::Flag(flag)), allow_loopback)
        })
        .collect()
}

/// Settings that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A file exists but cannot be read.
    #[error("could not read {}: {reason}; check the file's permissions", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        reason: String,
    },
    /// A file is not valid TOML.
    #[error("{} is not valid TOML at line {line}, column {column}: {message}; a line looks like `region = \"us-east-1\"`", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A key this version does not know.
    #[error(
        "unknown setting `{key}` in {at}; {}the settings are: {known}",
        did_you_mean(suggestion)
    )]
    UnknownKey {
        /// The unknown key.
        key: String,
        /// Where.
        at: Location,
        /// The known key (for a table's field, the field) it is most likely a misspelling of.
        suggestion: Option<&'static str>,
        /// The known keys.
        known: &'static str,
    },
    /// Several problems in one file, each with its place.
    #[error("{} has {} problems; fix each of them:\n{}", path.display(), problems.len(), bulleted(problems))]
    Problems {
        /// The file.
        path: PathBuf,
        /// Every problem, in file order.
        problems: Vec<ConfigError>,
    },
    /// The policy locks a key that does not exist.
    #[error("`locked` in {at} names `{key}`, which is not a setting; the settings are: {known}")]
    UnknownLockedKey {
        /// The unknown name.
        key: String,
        /// Where.
        at: Location,
        /// The known keys.
        known: &'static str,
    },
    /// A value of the wrong type or out of range.
    #[error("`{key}` in {at} is not valid; it takes {expected}")]
    Invalid {
        /// The key (`instances.<name>.<field>` for a field of an instance's table).
        key: String,
        /// Where.
        at: Location,
        /// What a good value looks like.
        expected: &'static str,
    },
    /// An unusable start URL.
    #[error("`start_url` in {at} is not usable: {source}")]
    StartUrl {
        /// Where.
        at: Location,
        /// Why.
        source: StartUrlError,
    },
    /// An unknown region.
    #[error("`{key}` in {at} is not usable: {source}")]
    Region {
        /// The key (`region`, `connect_regions` or `instances.<name>.region`).
        key: String,
        /// Where.
        at: Location,
        /// Why.
        source: RegionError,
    },
    /// A field that pins an instance, outside the managed policy.
    #[error("`{key}` in {at} can be set only in the managed policy, where IT pins instances; remove it from there (an instance's table in your file takes browser and destination)")]
    PolicyOnly {
        /// The field, as `instances.<name>.<field>`.
        key: String,
        /// Where.
        at: Location,
    },
    /// A pinned instance's fields do not fit together.
    #[error("the pinned instance [instances.{instance}] in {at} {problem}; a pinned instance has pin = true, a region, and either saml_application or account_id and role_name")]
    Pin {
        /// The table's name.
        instance: String,
        /// Where the table starts.
        at: Location,
        /// What is wrong.
        problem: String,
    },
    /// A later layer tried to change a key the policy locks.
    #[error("`{key}` is locked: IT set it in the managed policy at {}, and {by} tried to change it; remove it from there, or ask IT to change the policy", policy.display())]
    Locked {
        /// The key.
        key: &'static str,
        /// The layer that tried.
        by: Location,
        /// The policy file.
        policy: PathBuf,
    },
}

pub(crate) fn unknown_locked_key(key: String, at: Location) -> ConfigError {
    ConfigError::UnknownLockedKey {
        key,
        at,
        known: known_keys(),
    }
}

impl ConfigError {
    /// One error for every problem found in the file at `path`: the problem itself when there is
    /// one, else [`ConfigError::Problems`]. The CLI's `policy check` and every start of the app
    /// report a file's problems through this, so both say the same.
    pub fn from_problems(path: &Path, mut problems: Vec<ConfigError>) -> ConfigError {
        problems.sort_by_key(|p| p.line_column().unwrap_or_default());
        if problems.len() == 1 {
            return problems.remove(0);
        }
        ConfigError::Problems {
            path: path.to_owned(),
            problems,
        }
    }

    /// Each problem this error stands for (itself, unless it is [`ConfigError::Problems`]).
    pub fn problems(&self) -> Vec<&ConfigError> {
        match self {
            ConfigError::Problems { problems, .. } => problems.iter().collect(),
            other => vec![other],
        }
    }

    /// The line and column the problem is at, when it is in a file.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        match self {
            ConfigError::Syntax { line, column, .. } => Some((*line, *column)),
            ConfigError::UnknownKey { at, .. }
            | ConfigError::UnknownLockedKey { at, .. }
            | ConfigError::Invalid { at, .. }
            | ConfigError::StartUrl { at, .. }
            | ConfigError::Region { at, .. }
            | ConfigError::PolicyOnly { at, .. }
            | ConfigError::Pin { at, .. } => at.line_column,
            ConfigError::Read { .. }
            | ConfigError::Problems { .. }
            | ConfigError::Locked { .. } => None,
        }
    }
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default()
}

fn bulleted(problems: &[ConfigError]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY_PATH: &str = "/etc/connect-launcher/policy.toml";
    const USER_PATH: &str = "/home/agent/.config/connect-launcher/settings.toml";

    fn file(path: &str, text: &str) -> Option<SourceFile> {
        Some(SourceFile {
            path: PathBuf::from(path),
            text: text.to_owned(),
        })
    }

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn region(name: &str) -> Region {
        Region::parse(name).expect(name)
    }

    #[test]
    fn a_place_inside_a_character_is_that_characters_place() {
        // `Ʃ` takes bytes 3 and 4: offset 4 is inside it.
        assert_eq!(line_column("a=\\Ʃb", 4), (1, 4));
        assert_eq!(line_column("x\nƩƩ", 4), (2, 2));
        assert_eq!(line_column("ab", 99), (1, 3));
    }

    #[test]
    fn a_bad_escape_before_a_wide_character_is_a_syntax_error_with_its_place() {
        // Found by the user_settings fuzz target: the TOML parser's span ended inside `Ʃ`, and
        // working out the column panicked.
        let text = format!(
            "start_url = \"https:/;L.{}\\ƩLLLyLLLLLlLLLLLLj.jjjj",
            "L".repeat(70)
        );
        let layers = Layers {
            user: file(USER_PATH, &text),
            ..Layers::default()
        };
        match resolve(&layers) {
            Err(ConfigError::Syntax { line, column, .. }) => {
                assert_eq!(line, 1);
                assert!(column > 1 && column <= text.chars().count() + 1, "{column}");
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    fn error(layers: &Layers) -> String {
        resolve(layers).expect_err("must be refused").to_string()
    }

    #[test]
    fn defaults_alone() {
        let resolved = resolve(&Layers::default()).expect("resolves");
        assert_eq!(resolved.settings, Settings::default());
        assert_eq!(resolved.settings.role_patterns, ["*Connect*"]);
        assert_eq!(resolved.settings.warning_lead_minutes, [60, 15, 5]);
        assert!(!resolved.settings.export_aws_cli_cache);
        assert_eq!(resolved.source(Key::Region), &Source::Default);
        assert_eq!(resolved.policy_path(), None);
    }

    #[test]
    fn later_layers_win_and_each_value_remembers_its_source() {
        let layers = Layers {
            policy: file(POLICY_PATH, "region = \"us-east-1\"\nconnect_regions = [\"us-east-1\", \"eu-west-2\"]\nlog_level = \"info\"\n"),
            user: file(USER_PATH, "region = \"eu-west-1\"\nstart_url = \"https://corp.awsapps.com/start/\"\nwarning_lead_minutes = [5, 30, 30]\nportal_session_hours = 12\n"),
            env: env(&[
                ("CONNECT_LAUNCHER_USE_DEVICE_CODE", "true"),
                ("CONNECT_LAUNCHER_ROLE_PATTERNS", "Agent*, *Supervisor*"),
                ("CONNECT_LAUNCHER_BROWSER", ""),
                ("PATH", "/usr/bin"),
            ]),
            flags: Flags { start_url: Some("https://d-1234567890.awsapps.com/start".into()), ..Flags::default() },
            allow_loopback_start_url: false,
        };
        let resolved = resolve(&layers).expect("resolves");
        let settings = &resolved.settings;
        assert_eq!(
            settings.start_url.as_ref().map(StartUrl::as_str),
            Some("https://d-1234567890.awsapps.com/start")
        );
        assert_eq!(settings.region, Some(region("eu-west-1")));
        assert_eq!(
            settings.connect_regions,
            [region("us-east-1"), region("eu-west-2")]
        );
        assert_eq!(settings.log_level, LogLevel::Info);
        assert_eq!(settings.warning_lead_minutes, [30, 5]);
        assert_eq!(settings.portal_session_hours, Some(12));
        assert!(settings.use_device_code);
        assert_eq!(settings.role_patterns, ["Agent*", "*Supervisor*"]);
        assert_eq!(settings.browser, None);

        assert_eq!(resolved.source(Key::StartUrl), &Source::Flag("--start-url"));
        assert_eq!(
            resolved.source(Key::Region),
            &Source::UserFile(USER_PATH.into())
        );
        assert_eq!(
            resolved.source(Key::ConnectRegions),
            &Source::Policy(POLICY_PATH.into())
        );
        assert_eq!(
            resolved.source(Key::UseDeviceCode),
            &Source::Env("CONNECT_LAUNCHER_USE_DEVICE_CODE".into())
        );
        assert_eq!(resolved.source(Key::Browser), &Source::Default);
        assert_eq!(resolved.policy_path(), Some(Path::new(POLICY_PATH)));
    }

    const LOCKING_POLICY: &str = "start_url = \"https://corp.awsapps.com/start\"\nregion = \"us-east-1\"\nlocked = [\"start_url\", \"region\", \"export_aws_cli_cache\"]\n";

    #[test]
    fn a_locked_key_changed_by_any_later_layer_names_the_key_the_layer_and_the_policy() {
        let policy = file(POLICY_PATH, LOCKING_POLICY);
        let by_user = Layers {
            policy: policy.clone(),
            user: file(
                USER_PATH,
                "start_url = \"https://other.awsapps.com/start\"\n",
            ),
            ..Layers::default()
        };
        assert_eq!(
            error(&by_user),
            "`start_url` is locked: IT set it in the managed policy at /etc/connect-launcher/policy.toml, and your settings file \
             /home/agent/.config/connect-launcher/settings.toml (line 1, column 13) tried to change it; remove it from there, or ask IT to change the policy"
        );
        let by_env = Layers {
            policy: policy.clone(),
            env: env(&[(
                "CONNECT_LAUNCHER_START_URL",
                "https://other.awsapps.com/start",
            )]),
            ..Layers::default()
        };
        assert!(
            error(&by_env).contains(
                "and the environment variable CONNECT_LAUNCHER_START_URL tried to change it"
            ),
            "{}",
            error(&by_env)
        );
        let by_flag = Layers {
            policy: policy.clone(),
            flags: Flags {
                region: Some("eu-west-1".into()),
                ..Flags::default()
            },
            ..Layers::default()
        };
        assert!(error(&by_flag).starts_with("`region` is locked: IT set it in the managed policy at /etc/connect-launcher/policy.toml, and --region tried"), "{}", error(&by_flag));
        let default_locked = Layers {
            policy: policy.clone(),
            env: env(&[("CONNECT_LAUNCHER_EXPORT_AWS_CLI_CACHE", "1")]),
            ..Layers::default()
        };
        assert!(error(&default_locked).starts_with("`export_aws_cli_cache` is locked"));
    }

    #[test]
    fn repeating_a_locked_value_is_not_a_change() {
        let layers = Layers {
            policy: file(POLICY_PATH, LOCKING_POLICY),
            user: file(
                USER_PATH,
                "start_url = \"https://corp.awsapps.com/start/\"\nbrowser = \"firefox\"\n",
            ),
            flags: Flags {
                region: Some("US-EAST-1".into()),
                ..Flags::default()
            },
            ..Layers::default()
        };
        let resolved = resolve(&layers).expect("resolves");
        assert_eq!(
            resolved.source(Key::StartUrl),
            &Source::Policy(POLICY_PATH.into())
        );
        assert_eq!(
            resolved.source(Key::Region),
            &Source::Policy(POLICY_PATH.into())
        );
        assert_eq!(resolved.settings.browser.as_deref(), Some("firefox"));
        assert!(resolved.is_locked(Key::StartUrl));
        assert!(!resolved.is_locked(Key::Browser));
    }

    #[test]
    fn unknown_keys_are_reported_with_line_column_and_the_known_keys() {
        let layers = Layers {
            user: file(
                USER_PATH,
                "# settings\nregion = \"us-east-1\"\n  start_ur = \"x\"\n",
            ),
            ..Layers::default()
        };
        assert_eq!(
            error(&layers),
            "unknown setting `start_ur` in your settings file /home/agent/.config/connect-launcher/settings.toml (line 3, column 3); \
             did you mean `start_url`? the settings are: start_url, region, use_device_code, browser, export_aws_cli_cache, log_level, connect_regions, \
             role_patterns, warning_lead_minutes, portal_session_hours, accounts, default_destination, approved_origins, \
             new_domain, vdi_platform, instances"
        );
        let locked_in_user_file = Layers {
            user: file(USER_PATH, "locked = [\"region\"]\n"),
            ..Layers::default()
        };
        assert!(error(&locked_in_user_file).starts_with("unknown setting `locked`"));
        let section = Layers {
            user: file(USER_PATH, "[sso]\nregion = \"us-east-1\"\n"),
            ..Layers::default()
        };
        assert!(
            error(&section).starts_with("unknown setting `sso` in your settings file"),
            "{}",
            error(&section)
        );
        let bad_lock = Layers {
            policy: file(POLICY_PATH, "locked = [\"region\", \"regoin\"]\n"),
            ..Layers::default()
        };
        assert!(
            error(&bad_lock).starts_with("`locked` in the managed policy at /etc/connect-launcher/policy.toml (line 1, column 10) names `regoin`, which is not a setting; the settings are: start_url"),
            "{}",
            error(&bad_lock)
        );
        let unrecognised_env = Layers {
            env: env(&[
                ("CONNECT_LAUNCHER_STARTURL", "x"),
                ("CONNECT_LAUNCHER_REGION", "eu-west-1"),
            ]),
            ..Layers::default()
        };
        let resolved = resolve(&unrecognised_env).expect("an unrecognised variable is not fatal");
        assert_eq!(resolved.unrecognised_env(), ["CONNECT_LAUNCHER_STARTURL"]);
        assert_eq!(resolved.settings.start_url, None);
        assert_eq!(resolved.settings.region, Some(region("eu-west-1")));
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let layers = Layers {
            user: file(USER_PATH, "region = \"us-east-1\"\nbrowser = firefox\n"),
            ..Layers::default()
        };
        let err = resolve(&layers).expect_err("invalid TOML");
        assert!(
            matches!(
                err,
                ConfigError::Syntax {
                    line: 2,
                    column: 11,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("/home/agent/.config/connect-launcher/settings.toml is not valid TOML at line 2, column 11: "), "{err}");
    }

    #[test]
    fn invalid_values_say_where_and_what_a_good_value_looks_like() {
        let typo = Layers {
            user: file(USER_PATH, "region = \"us-esat-1\"\n"),
            ..Layers::default()
        };
        assert_eq!(
            error(&typo),
            "`region` in your settings file /home/agent/.config/connect-launcher/settings.toml (line 1, column 10) is not usable: \
             `us-esat-1` is not an AWS region (did you mean `us-east-1`?); a region looks like `us-east-1` or `eu-west-2`"
        );
        let http = Layers {
            flags: Flags {
                start_url: Some("http://corp.awsapps.com/start".into()),
                ..Flags::default()
            },
            ..Layers::default()
        };
        assert!(error(&http).starts_with("`start_url` in --start-url is not usable: `http://corp.awsapps.com/start` is not an https URL; a start URL looks like https://"), "{}", error(&http));
        let cases: [(&str, &str, &str); 6] = [
            (
                "use_device_code = \"maybe\"",
                "use_device_code",
                "true or false",
            ),
            (
                "warning_lead_minutes = [60, 0]",
                "warning_lead_minutes",
                "a list of whole minutes from 1 to 1440",
            ),
            (
                "portal_session_hours = 5000",
                "portal_session_hours",
                "whole hours from 1 to 2160",
            ),
            (
                "role_patterns = \"*Connect*\"",
                "role_patterns",
                "a list of role-name patterns",
            ),
            ("log_level = \"loud\"", "log_level", "one of \"error\""),
            ("browser = \"  \"", "browser", "a browser command or path"),
        ];
        for (text, key, expected) in cases {
            let layers = Layers {
                policy: file(POLICY_PATH, text),
                ..Layers::default()
            };
            let message = error(&layers);
            assert!(
                message.starts_with(&format!(
                    "`{key}` in the managed policy at {POLICY_PATH} (line 1, column "
                )),
                "{message}"
            );
            assert!(
                message.contains(&format!("is not valid; it takes {expected}")),
                "{message}"
            );
        }
        let env_region = Layers {
            env: env(&[("CONNECT_LAUNCHER_CONNECT_REGIONS", "us-east-1,mars-1")]),
            ..Layers::default()
        };
        assert!(error(&env_region).starts_with("`connect_regions` in the environment variable CONNECT_LAUNCHER_CONNECT_REGIONS is not usable: `mars-1`"));
        let env_minutes = Layers {
            env: env(&[("CONNECT_LAUNCHER_WARNING_LEAD_MINUTES", "60, 10")]),
            ..Layers::default()
        };
        assert_eq!(
            resolve(&env_minutes)
                .expect("resolves")
                .settings
                .warning_lead_minutes,
            [60, 10]
        );
    }

    #[test]
    fn the_expected_text_names_the_limits_in_force() {
        let minutes = Key::WarningLeadMinutes.expected();
        assert!(
            minutes.contains(&format!("from 1 to {MAX_WARNING_LEAD_MINUTES}")),
            "{minutes}"
        );
        let hours = Key::PortalSessionHours.expected();
        assert!(
            hours.contains(&format!("from 1 to {MAX_PORTAL_SESSION_HOURS}")),
            "{hours}"
        );
    }

    #[test]
    fn a_loopback_start_url_only_when_the_caller_allows_it() {
        let emulator = Flags {
            start_url: Some("http://127.0.0.1:41234/start".into()),
            ..Flags::default()
        };
        let denied = Layers {
            flags: emulator.clone(),
            ..Layers::default()
        };
        assert!(matches!(
            resolve(&denied),
            Err(ConfigError::StartUrl { .. })
        ));
        let allowed = Layers {
            flags: emulator,
            allow_loopback_start_url: true,
            ..Layers::default()
        };
        assert!(resolve(&allowed)
            .expect("resolves")
            .settings
            .start_url
            .is_some());
    }

    #[test]
    fn files_are_read_from_standard_paths_under_a_base() {
        let config_dir = tempfile::tempdir().expect("temp dir");
        let path = user_settings_path(config_dir.path());
        assert_eq!(
            path,
            config_dir
                .path()
                .join("connect-launcher")
                .join("settings.toml")
        );
        assert_eq!(SourceFile::read(&path), Ok(None));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, "region = \"ca-central-1\"\n").expect("write");
        let user = SourceFile::read(&path).expect("reads");
        let resolved = resolve(&Layers {
            user,
            ..Layers::default()
        })
        .expect("resolves");
        assert_eq!(resolved.settings.region, Some(region("ca-central-1")));
    }

    const PROD_ID: &str = "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11";
    const GOV_ID: &str = "9c3e5a7b-1d2f-4a6c-8e0b-3f5d7a9c1e22";

    /// IT pins acme-prod (a SAML application) and acme-gov (a permission set), and gives
    /// acme-staging a browser profile.
    const PINNING_POLICY: &str = r#"accounts = ["111122223333", "Contact Centre *"]

[instances.5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11]
pin = true
region = "us-east-1"
alias = "acme-prod"
account_id = "111122223333"
saml_application = "ins-3f6a1b2c4d5e6f70"
saml_application_name = "Amazon Connect - acme-prod"
destination = "agent-workspace"

[instances.9c3e5a7b-1d2f-4a6c-8e0b-3f5d7a9c1e22]
pin = true
region = "us-gov-west-1"
account_id = "123456789012"
role_name = "ConnectSupervisor"

[instances.acme-staging]
browser = "firefox -P staging"
"#;

    fn prod_pin(default_destination: Option<&str>) -> PinnedInstance {
        PinnedInstance {
            instance_id: PROD_ID.into(),
            region: region("us-east-1"),
            alias: Some("acme-prod".into()),
            domain: DomainForm::Unknown,
            account_id: Some("111122223333".into()),
            via: PinnedVia::SamlApplication {
                app_instance_id: "ins-3f6a1b2c4d5e6f70".into(),
                name: Some("Amazon Connect - acme-prod".into()),
            },
            default_destination: default_destination.map(Into::into),
        }
    }

    fn gov_pin() -> PinnedInstance {
        PinnedInstance {
            instance_id: GOV_ID.into(),
            region: region("us-gov-west-1"),
            alias: None,
            domain: DomainForm::Unknown,
            account_id: Some("123456789012".into()),
            via: PinnedVia::PermissionSet {
                account_id: "123456789012".into(),
                role_name: "ConnectSupervisor".into(),
            },
            default_destination: None,
        }
    }

    #[test]
    fn instance_keys_have_their_defaults() {
        let settings = Settings::default();
        assert_eq!(settings.accounts, Vec::<String>::new());
        assert_eq!(settings.default_destination, "ccp");
        assert_eq!(settings.approved_origins, Vec::<String>::new());
        assert_eq!(settings.new_domain, None);
        assert_eq!(settings.vdi_platform, None);
        assert_eq!(settings.instances, BTreeMap::new());
        assert_eq!(settings.pinned(), []);
        assert_eq!(
            settings.instance(PROD_ID, Some("acme-prod")),
            InstanceSettings::default()
        );
    }

    #[test]
    fn each_instance_key_is_read_and_normalised() {
        let layers = Layers {
            policy: file(
                POLICY_PATH,
                "accounts = [\"111122223333\", \" Contact Centre * \", \"111122223333\"]\n\
                 approved_origins = [\"https://CRM.example.com/\", \"https://kb.example.com:8443\", \"https://crm.example.com\"]\n\
                 vdi_platform = \"citrix_413\"\n\
                 new_domain = false\n",
            ),
            user: file(USER_PATH, "default_destination = \"/ccp-v2\"\n"),
            ..Layers::default()
        };
        let resolved = resolve(&layers).expect("resolves");
        let settings = &resolved.settings;
        assert_eq!(settings.accounts, ["111122223333", "Contact Centre *"]);
        assert_eq!(
            settings.approved_origins,
            ["https://crm.example.com", "https://kb.example.com:8443"]
        );
        assert_eq!(settings.vdi_platform, Some(VdiPlatform::Citrix413));
        assert_eq!(settings.new_domain, Some(false));
        assert_eq!(
            settings.default_destination, "ccp",
            "a preset's path is the preset"
        );
        assert_eq!(
            resolved.source(Key::VdiPlatform),
            &Source::Policy(POLICY_PATH.into())
        );
        assert_eq!(
            resolved.source(Key::DefaultDestination),
            &Source::UserFile(USER_PATH.into())
        );
        for (text, form) in [
            ("agent-workspace", "agent-workspace"),
            ("ADMIN", "admin"),
            ("/ccp-v2/softphone", "/ccp-v2/softphone"),
            (
                "https://crm.example.com/case?id=1",
                "https://crm.example.com/case?id=1",
            ),
        ] {
            let layers = Layers {
                user: file(USER_PATH, &format!("default_destination = \"{text}\"\n")),
                ..Layers::default()
            };
            assert_eq!(
                resolve(&layers).expect(text).settings.default_destination,
                form
            );
        }
    }

    #[test]
    fn list_keys_in_the_environment_are_comma_separated() {
        let layers = Layers {
            env: env(&[
                (
                    "CONNECT_LAUNCHER_ACCOUNTS",
                    "111122223333, Contact Centre *,",
                ),
                (
                    "CONNECT_LAUNCHER_APPROVED_ORIGINS",
                    "https://a.example.com,https://b.example.com/",
                ),
                ("CONNECT_LAUNCHER_VDI_PLATFORM", "AZURE"),
                ("CONNECT_LAUNCHER_NEW_DOMAIN", "yes"),
                ("CONNECT_LAUNCHER_DEFAULT_DESTINATION", "ccp-chat"),
                ("CONNECT_LAUNCHER_INSTANCES", "acme-prod"),
            ]),
            ..Layers::default()
        };
        let resolved = resolve(&layers).expect("resolves");
        let settings = &resolved.settings;
        assert_eq!(settings.accounts, ["111122223333", "Contact Centre *"]);
        assert_eq!(
            settings.approved_origins,
            ["https://a.example.com", "https://b.example.com"]
        );
        assert_eq!(settings.vdi_platform, Some(VdiPlatform::Azure));
        assert_eq!(settings.new_domain, Some(true));
        assert_eq!(settings.default_destination, "ccp-chat");
        assert_eq!(
            resolved.source(Key::Accounts),
            &Source::Env("CONNECT_LAUNCHER_ACCOUNTS".into())
        );
        assert_eq!(
            resolved.unrecognised_env(),
            ["CONNECT_LAUNCHER_INSTANCES"],
            "tables cannot be set from the environment"
        );
        assert_eq!(Key::from_env_var("CONNECT_LAUNCHER_INSTANCES"), None);
        assert_eq!(
            Key::from_env_var("CONNECT_LAUNCHER_APPROVED_ORIGINS"),
            Some(Key::ApprovedOrigins)
        );
        let bad_origin = Layers {
            env: env(&[(
                "CONNECT_LAUNCHER_APPROVED_ORIGINS",
                "https://a.example.com,http://b.example.com",
            )]),
            ..Layers::default()
        };
        assert_eq!(
            error(&bad_origin),
            "`approved_origins` in the environment variable CONNECT_LAUNCHER_APPROVED_ORIGINS is not valid; it takes a list of \
             https origins, e.g. [\"https://crm.example.com\"] (in an environment variable: https://crm.example.com,https://kb.example.com)"
        );
    }

    #[test]
    fn instance_tables_merge_field_by_field_and_only_the_policy_pins() {
        let layers = Layers {
            policy: file(POLICY_PATH, PINNING_POLICY),
            user: file(
                USER_PATH,
                "[instances.acme-prod]\n\
                 browser = 'google-chrome --profile-directory=\"Profile 2\"'\n\
                 destination = \"ccp-chat\"\n\
                 \n\
                 [instances.acme-staging]\n\
                 destination = \"/ccp-v2/softphone\"\n",
            ),
            ..Layers::default()
        };
        let resolved = resolve(&layers).expect("resolves");
        let settings = &resolved.settings;
        assert_eq!(
            settings.pinned(),
            [prod_pin(Some("agent-workspace")), gov_pin()]
        );
        // The user's [instances.acme-prod] changes the table IT pinned by id, field by field.
        assert_eq!(
            settings.instance(PROD_ID, Some("acme-prod")),
            InstanceSettings {
                browser: Some("google-chrome --profile-directory=\"Profile 2\"".into()),
                destination: Some("ccp-chat".into()),
                pin: Some(prod_pin(Some("agent-workspace"))),
            }
        );
        assert_eq!(
            settings.instance("0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66", Some("ACME-STAGING")),
            InstanceSettings {
                browser: Some("firefox -P staging".into()),
                destination: Some("/ccp-v2/softphone".into()),
                pin: None,
            }
        );
        assert_eq!(
            settings.instance(GOV_ID, None),
            InstanceSettings {
                browser: None,
                destination: None,
                pin: Some(gov_pin()),
            }
        );
        assert_eq!(settings.accounts, ["111122223333", "Contact Centre *"]);
        assert_eq!(
            resolved.source(Key::Instances),
            &Source::UserFile(USER_PATH.into())
        );
        // A table by instance id wins over one by alias for an instance nobody pinned.
        let both = Layers {
            user: file(
                USER_PATH,
                "[instances.0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66]\nbrowser = \"chromium\"\n\n[instances.acme-staging]\nbrowser = \"firefox\"\ndestination = \"admin\"\n",
            ),
            ..Layers::default()
        };
        let settings = resolve(&both).expect("resolves").settings;
        assert_eq!(
            settings.instance("0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66", Some("acme-staging")),
            InstanceSettings {
                browser: Some("chromium".into()),
                destination: Some("admin".into()),
                pin: None,
            }
        );
    }

    #[test]
    fn locking_instances_locks_every_table() {
        // `locked` after the tables would belong to the last table: it goes first.
        let policy = format!("locked = [\"instances\", \"vdi_platform\"]\n{PINNING_POLICY}");
        let changed = Layers {
            policy: file(POLICY_PATH, &policy),
            user: file(
                USER_PATH,
                "region = \"us-east-1\"\n[instances.acme-prod]\nbrowser = \"firefox\"\n",
            ),
            ..Layers::default()
        };
        assert_eq!(
            error(&changed),
            "`instances` is locked: IT set it in the managed policy at /etc/connect-launcher/policy.toml, and your settings file \
             /home/agent/.config/connect-launcher/settings.toml (line 2, column 12) tried to change it; remove it from there, or ask IT to change the policy"
        );
        let repeated = Layers {
            policy: file(POLICY_PATH, &policy),
            user: file(
                USER_PATH,
                "[instances.acme-staging]\nbrowser = \"firefox -P staging\"\n",
            ),
            ..Layers::default()
        };
        let resolved = resolve(&repeated).expect("repeating a locked table is not a change");
        assert!(resolved.is_locked(Key::Instances));
        assert_eq!(
            resolved.source(Key::Instances),
            &Source::Policy(POLICY_PATH.into())
        );
        let by_env = Layers {
            policy: file(POLICY_PATH, &policy),
            env: env(&[("CONNECT_LAUNCHER_VDI_PLATFORM", "AZURE")]),
            ..Layers::default()
        };
        assert!(
            error(&by_env).starts_with("`vdi_platform` is locked: IT set it in the managed policy at /etc/connect-launcher/policy.toml, and the environment variable CONNECT_LAUNCHER_VDI_PLATFORM tried"),
            "{}",
            error(&by_env)
        );
    }

    #[test]
    fn table_fields_that_are_unknown_or_policy_only_are_reported_where_they_are() {
        let typo = Layers {
            user: file(
                USER_PATH,
                "[instances.acme-prod]\nbrowser = \"firefox\"\n  brwoser = \"x\"\n",
            ),
            ..Layers::default()
        };
        assert_eq!(
            error(&typo),
            "unknown setting `instances.acme-prod.brwoser` in your settings file /home/agent/.config/connect-launcher/settings.toml \
             (line 3, column 3); did you mean `browser`? the settings are: browser, destination"
        );
        let in_policy = Layers {
            policy: file(POLICY_PATH, "[instances.acme-prod]\nprofile = \"x\"\n"),
            ..Layers::default()
        };
        assert!(
            error(&in_policy).ends_with(
                "(line 2, column 1); the settings are: browser, destination, pin, region, alias, account_id, \
                 saml_application, saml_application_name, role_name, domain"
            ),
            "{}",
            error(&in_policy)
        );
        let pin_by_user = Layers {
            user: file(
                USER_PATH,
                "[instances.5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11]\ndestination = \"ccp\"\npin = true\n",
            ),
            ..Layers::default()
        };
        assert_eq!(
            error(&pin_by_user),
            "`instances.5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11.pin` in your settings file /home/agent/.config/connect-launcher/settings.toml \
             (line 3, column 1) can be set only in the managed policy, where IT pins instances; remove it from there (an instance's \
             table in your file takes browser and destination)"
        );
    }

    #[test]
    fn invalid_instance_values_say_where_and_what_a_good_value_looks_like() {
        let cases: [(&str, &str, &str); 9] = [
            ("accounts = [\"12345\"]", "`accounts` in the managed policy at /etc/connect-launcher/policy.toml (line 1, column 12)", "a list of 12-digit account ids or account-name patterns"),
            ("accounts = \"111122223333\"", "`accounts`", "a list of 12-digit account ids"),
            ("approved_origins = [\"https://crm.example.com/path\"]", "`approved_origins`", "a list of https origins"),
            ("vdi_platform = \"citrix\"", "`vdi_platform`", "one of \"CITRIX_413\", \"AWS_WORKSPACE\", \"OMNISSA\", \"AZURE\""),
            ("new_domain = \"maybe\"", "`new_domain`", "true or false"),
            ("default_destination = \"//evil.example.com\"", "`default_destination`", "ccp, ccp-chat, agent-workspace, admin, a path starting with `/`"),
            ("default_destination = \"http://crm.example.com\"", "`default_destination`", "ccp, ccp-chat"),
            ("[instances.acme-prod]\ndestination = \"softphone\"", "`instances.acme-prod.destination` in the managed policy at /etc/connect-launcher/policy.toml (line 2, column 15)", "ccp, ccp-chat"),
            ("[instances.x]\npin = true\nregion = \"us-east-1\"\naccount_id = \"1111\"\nrole_name = \"R\"", "`instances.x.account_id` in the managed policy at /etc/connect-launcher/policy.toml (line 4, column 14)", "a 12-digit account id"),
        ];
        for (text, start, expected) in cases {
            let layers = Layers {
                policy: file(POLICY_PATH, text),
                ..Layers::default()
            };
            let message = error(&layers);
            assert!(message.starts_with(start), "{text}: {message}");
            assert!(
                message.contains(&format!("is not valid; it takes {expected}")),
                "{text}: {message}"
            );
        }
        let region_typo = Layers {
            policy: file(
                POLICY_PATH,
                "[instances.x]\npin = true\nregion = \"us-esat-1\"\nsaml_application = \"ins-1\"\n",
            ),
            ..Layers::default()
        };
        assert!(
            error(&region_typo).starts_with("`instances.x.region` in the managed policy at /etc/connect-launcher/policy.toml (line 3, column 10) is not usable: `us-esat-1` is not an AWS region (did you mean `us-east-1`?)"),
            "{}",
            error(&region_typo)
        );
        for (text, at) in [
            ("instances = \"acme-prod\"", "(line 1, column 13)"),
            ("[instances]\nbrowser = \"firefox\"", "(line 2, column 11)"),
        ] {
            let layers = Layers {
                user: file(USER_PATH, text),
                ..Layers::default()
            };
            assert_eq!(
                error(&layers),
                format!("`instances` in your settings file {USER_PATH} {at} is not valid; it takes tables such as [instances.acme-prod] \
                 with browser = \"firefox -P supervisor\" and destination = \"agent-workspace\"")
            );
        }
    }

    #[test]
    fn a_pin_must_name_its_region_and_one_way_to_launch() {
        let problem = |table: &str| {
            let layers = Layers {
                policy: file(POLICY_PATH, &format!("region = \"us-east-1\"\n\n{table}")),
                ..Layers::default()
            };
            error(&layers)
        };
        assert_eq!(
            problem("[instances.5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11]\npin = true\nsaml_application = \"ins-1\"\n"),
            "the pinned instance [instances.5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11] in the managed policy at /etc/connect-launcher/policy.toml \
             (line 3, column 12) has no region; a pinned instance has pin = true, a region, and either saml_application or account_id and role_name"
        );
        for (table, what) in [
            ("[instances.i-1]\npin = true\nregion = \"us-east-1\"\n", "has no way to launch it: give saml_application, or account_id and role_name"),
            ("[instances.i-1]\npin = true\nregion = \"us-east-1\"\nsaml_application = \"ins-1\"\naccount_id = \"111122223333\"\nrole_name = \"ConnectAgent\"\n", "names both saml_application and role_name"),
            ("[instances.i-1]\npin = true\nregion = \"us-east-1\"\nrole_name = \"ConnectAgent\"\n", "has role_name but no account_id"),
            ("[instances.i-1]\npin = true\nregion = \"us-east-1\"\naccount_id = \"111122223333\"\nrole_name = \"ConnectAgent\"\nsaml_application_name = \"App\"\n", "has saml_application_name but no saml_application"),
            ("[instances.i-1]\nregion = \"us-east-1\"\nrole_name = \"ConnectAgent\"\n", "sets region, alias, domain, account_id, saml_application or role_name without pin = true"),
            ("[instances.i-1]\npin = true\nregion = \"us-east-1\"\nsaml_application = \"ins-1\"\ndomain = \"legacy\"\n", "has a domain but no alias"),
            ("[instances.i-1]\npin = false\nalias = \"acme\"\n", "without pin = true"),
            ("[instances.acme-prod]\npin = true\nalias = \"acme-prod\"\nregion = \"us-east-1\"\nsaml_application = \"ins-1\"\n", "is named by its alias; name a pinned instance's table by its instance id"),
            ("[instances.\"acme prod\"]\npin = true\nregion = \"us-east-1\"\nsaml_application = \"ins-1\"\n", "is not named by an instance id (`acme prod` is not one)"),
        ] {
            let message = problem(table);
            assert!(
                message.starts_with("the pinned instance [instances.") && message.contains(" (line 3, column 12) ") && message.contains(what),
                "{table}: {message}"
            );
        }
        let not_pinned = Layers {
            policy: file(
                POLICY_PATH,
                "[instances.acme-prod]\npin = false\nbrowser = \"firefox\"\n",
            ),
            ..Layers::default()
        };
        assert_eq!(
            resolve(&not_pinned).expect("resolves").settings.pinned(),
            []
        );
    }

    #[test]
    fn every_problem_in_a_file_is_reported_each_with_its_place() {
        let text = "start_url = \"http://example.com/start\"\nregoin = \"us-east-1\"\nwarning_lead_minutes = [0, 15]\n\
                    locked = [\"region\", \"colour\"]\nrole_patterns = []\n\
                    [instances.5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11]\npin = true\nregion = \"us-east-1\"\n\
                    saml_application = \"ins-1\"\nalias = \"-acme\"\ndomain = \"newest\"\n";
        let layers = Layers {
            policy: file(POLICY_PATH, text),
            ..Layers::default()
        };
        let err = resolve(&layers).expect_err("a broken policy");
        let places: Vec<(usize, usize)> = err
            .problems()
            .iter()
            .map(|p| p.line_column().expect("each problem has its place"))
            .collect();
        assert_eq!(
            places,
            [
                (1, 13),
                (2, 1),
                (3, 24),
                (4, 10),
                (5, 17),
                (10, 9),
                (11, 10)
            ],
            "{err}"
        );
        let message = err.to_string();
        assert!(
            message.starts_with("/etc/connect-launcher/policy.toml has 7 problems; fix each of them:\n  - `start_url` in the managed policy at /etc/connect-launcher/policy.toml (line 1, column 13) is not usable"),
            "{message}"
        );
        for part in [
            "unknown setting `regoin` in the managed policy at /etc/connect-launcher/policy.toml (line 2, column 1); did you mean `region`?",
            "`warning_lead_minutes` in the managed policy at /etc/connect-launcher/policy.toml (line 3, column 24) is not valid",
            "names `colour`, which is not a setting",
            "`role_patterns` in the managed policy at /etc/connect-launcher/policy.toml (line 5, column 17) is not valid",
            "`instances.5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11.alias` in the managed policy at /etc/connect-launcher/policy.toml (line 10, column 9) is not valid; it takes the instance's alias as Connect has it",
            "`instances.5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11.domain` in the managed policy at /etc/connect-launcher/policy.toml (line 11, column 10) is not valid; it takes \"new\"",
        ] {
            assert!(message.contains(part), "{part}\nin\n{message}");
        }
        assert_eq!(message.lines().count(), 8, "{message}");
        // The check IT runs says exactly what the launcher says when it starts.
        let checked = crate::policy::check(&SourceFile {
            path: POLICY_PATH.into(),
            text: text.to_owned(),
        })
        .expect_err("the same problems");
        assert_eq!(checked.to_string(), message);
        // A syntax error stops the reading: it is the one problem.
        let syntax = Layers {
            policy: file(POLICY_PATH, "regoin = 1\nregion = us-east-1\n"),
            ..Layers::default()
        };
        assert!(matches!(
            resolve(&syntax),
            Err(ConfigError::Syntax { line: 2, .. })
        ));
    }

    #[test]
    fn a_pin_may_give_the_address_of_its_instance() {
        let policy = "[instances.5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11]\npin = true\nregion = \"us-east-1\"\n\
                      saml_application = \"ins-1\"\nalias = \"acme-prod\"\ndomain = \"legacy\"\n";
        let resolved = resolve(&Layers {
            policy: file(POLICY_PATH, policy),
            ..Layers::default()
        })
        .expect("a valid pin");
        let pinned = resolved.settings.pinned();
        assert_eq!(pinned[0].alias.as_deref(), Some("acme-prod"));
        assert_eq!(pinned[0].domain, DomainForm::Legacy);
        for good in [
            "a",
            "acme-prod",
            "Acme--2",
            &"x".repeat(MAX_INSTANCE_ALIAS_LEN),
        ] {
            assert!(is_instance_alias(good), "{good}");
        }
        for bad in [
            "",
            "-acme",
            "acme-",
            "d-123",
            "acme.prod",
            "acme prod",
            "acmé",
            &"x".repeat(MAX_INSTANCE_ALIAS_LEN + 1),
        ] {
            assert!(!is_instance_alias(bad), "{bad}");
        }
    }
}
