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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;
use toml::Spanned;

use crate::policy::Policy;
use crate::region::{Region, RegionError};
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

/// The file name of the user's settings inside the platform's config folder.
const USER_SETTINGS_RELATIVE: [&str; 2] = ["connect-launcher", "settings.toml"];

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
}

impl Key {
    /// Every key, in the order they are documented.
    pub const ALL: [Key; 10] = [
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
        }
    }

    /// The key with this name.
    pub fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|key| key.name() == name)
    }

    /// The environment variable that sets it, e.g. `CONNECT_LAUNCHER_START_URL`.
    pub fn env_var(self) -> String {
        format!("{ENV_PREFIX}{}", self.name().to_ascii_uppercase())
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
    fn expected(self) -> &'static str {
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
        }
    }
}

fn known_keys() -> String {
    Key::ALL.map(Key::name).join(", ")
}

/// How much the launcher logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Errors and warnings.
    #[default]
    Warn,
    /// Progress too.
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
        }
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

/// Line and column (from 1, column in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
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
    })
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
            key: key.name(),
            at,
            expected: key.expected(),
        }),
        Err(Invalid::StartUrl(source)) => Err(ConfigError::StartUrl { at, source }),
        Err(Invalid::Region(source)) => Err(ConfigError::Region {
            key: key.name(),
            at,
            source,
        }),
    }
}

/// A parsed settings or policy file.
#[derive(Debug)]
pub(crate) struct ParsedFile {
    pub(crate) values: Vec<(Value, Location)>,
    pub(crate) locked: Vec<(String, Location)>,
}

/// The key of the policy's list of locked keys.
pub(crate) const LOCKED_KEY: &str = "locked";

/// Parses a TOML file of settings; `allow_locked` admits the policy's `locked` list.
pub(crate) fn parse_file(
    file: &SourceFile,
    source: Source,
    allow_locked: bool,
    allow_loopback: bool,
) -> Result<ParsedFile, ConfigError> {
    let table: BTreeMap<Spanned<String>, Spanned<toml::Value>> = toml::from_str(&file.text)
        .map_err(|err| {
            let (line, column) = line_column(&file.text, err.span().map_or(0, |span| span.start));
            ConfigError::Syntax {
                path: file.path.clone(),
                line,
                column,
                message: err.message().trim().to_owned(),
            }
        })?;
    let mut entries: Vec<_> = table.into_iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let at = |offset| Location::in_file(source.clone(), &file.text, offset);
    let mut parsed = ParsedFile {
        values: Vec::new(),
        locked: Vec::new(),
    };
    for (name, value) in entries {
        let value_at = at(value.span().start);
        if allow_locked && name.get_ref() == LOCKED_KEY {
            let toml::Value::Array(items) = value.into_inner() else {
                return Err(ConfigError::Invalid {
                    key: LOCKED_KEY,
                    at: value_at,
                    expected: LOCKED_EXPECTED,
                });
            };
            for item in items {
                let toml::Value::String(item) = item else {
                    return Err(ConfigError::Invalid {
                        key: LOCKED_KEY,
                        at: value_at,
                        expected: LOCKED_EXPECTED,
                    });
                };
                parsed.locked.push((item, value_at.clone()));
            }
            continue;
        }
        let Some(key) = Key::from_name(name.get_ref()) else {
            return Err(ConfigError::UnknownKey {
                key: name.get_ref().clone(),
                at: at(name.span().start),
                known: known_keys(),
            });
        };
        parsed.values.push(checked(
            key,
            Raw::from(value.into_inner()),
            value_at,
            allow_loopback,
        )?);
    }
    Ok(parsed)
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
        let Some(key) = Key::ALL.into_iter().find(|key| key.env_var() == *var) else {
            unrecognised.push(var.clone());
            continue;
        };
        if text.trim().is_empty() {
            continue; // set but empty counts as unset
        }
        let raw = match key {
            Key::ConnectRegions | Key::RolePatterns | Key::WarningLeadMinutes => Raw::List(
                text.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| Raw::Text(item.to_owned()))
                    .collect(),
            ),
            _ => Raw::Text(text.clone()),
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
    #[error("unknown setting `{key}` in {at}; the settings are: {known}")]
    UnknownKey {
        /// The unknown key.
        key: String,
        /// Where.
        at: Location,
        /// The known keys.
        known: String,
    },
    /// The policy locks a key that does not exist.
    #[error("`locked` in {at} names `{key}`, which is not a setting; the settings are: {known}")]
    UnknownLockedKey {
        /// The unknown name.
        key: String,
        /// Where.
        at: Location,
        /// The known keys.
        known: String,
    },
    /// A value of the wrong type or out of range.
    #[error("`{key}` in {at} is not valid; it takes {expected}")]
    Invalid {
        /// The key.
        key: &'static str,
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
        /// The key (`region` or `connect_regions`).
        key: &'static str,
        /// Where.
        at: Location,
        /// Why.
        source: RegionError,
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
             the settings are: start_url, region, use_device_code, browser, export_aws_cli_cache, log_level, connect_regions, \
             role_patterns, warning_lead_minutes, portal_session_hours"
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
}
