//! The AWS CLI's SSO cache in `~/.aws/sso/cache`: its file names and file formats, byte for byte.
//!
//! Promises: file names are the CLI's SHA-1 keys (token files by sso-session name or start URL;
//! client-registration files by the CLI's sorted JSON of its arguments); files are written as
//! Python's `json.dumps` writes them (`", "` and `": "` separators, ASCII-only escapes, the CLI's
//! key order, timestamps as `%Y-%m-%dT%H:%M:%SZ`) through a temporary file of mode 0600 in the same
//! directory renamed over the target; files are read leniently (any RFC 3339 time, keys in any
//! letter case). Whether a cached token is still usable is decided by the injected clock with the
//! CLI's 15-minute rule.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use thiserror::Error;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::secret::Secret;

/// A cached token counts as expired when less than this is left (the CLI's `_EXPIRY_WINDOW`).
pub const CLI_EXPIRY_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The cache directory under a home directory: `~/.aws/sso/cache`.
pub fn cache_dir(home: &Path) -> PathBuf {
    home.join(".aws").join("sso").join("cache")
}

/// What a token cache file is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCacheKey<'a> {
    /// The `[sso-session NAME]` name, for sessions configured that way.
    SessionName(&'a str),
    /// The start URL exactly as configured, for legacy profiles.
    StartUrl(&'a str),
}

/// The token file name: `sha1_hex(session name or start URL) + ".json"`.
pub fn token_file_name(key: TokenCacheKey<'_>) -> String {
    let (TokenCacheKey::SessionName(text) | TokenCacheKey::StartUrl(text)) = key;
    format!("{}.json", sha1_hex(text))
}

/// The client-registration file name: SHA-1 of Python's `json.dumps(args, sort_keys=True)` where
/// `args = {"tool": "botocore", "startUrl", "region", "scopes", "session_name"}`.
pub fn registration_file_name(
    start_url: &str,
    region: &str,
    scopes: Option<&[String]>,
    session_name: Option<&str>,
) -> String {
    let mut json = String::from("{\"region\": ");
    push_py_string(&mut json, region);
    json.push_str(", \"scopes\": ");
    match scopes {
        Some(scopes) => push_py_list(&mut json, scopes),
        None => json.push_str("null"),
    }
    json.push_str(", \"session_name\": ");
    match session_name {
        Some(name) => push_py_string(&mut json, name),
        None => json.push_str("null"),
    }
    json.push_str(", \"startUrl\": ");
    push_py_string(&mut json, start_url);
    json.push_str(", \"tool\": \"botocore\"}");
    format!("{}.json", sha1_hex(&json))
}

fn sha1_hex(text: &str) -> String {
    hex::encode(Sha1::digest(text.as_bytes()))
}

/// Appends `text` as Python's `json.dumps` does with `ensure_ascii=True`.
fn push_py_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            other => {
                let mut units = [0u16; 2];
                for unit in other.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

fn push_py_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_py_string(out, item);
    }
    out.push(']');
}

/// Writes a JSON object of `(key, value)` pairs in the given order, Python-style.
struct PyObject(Zeroizing<String>);

impl PyObject {
    fn new() -> Self {
        Self(Zeroizing::new(String::from("{")))
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push_str(", ");
        }
        push_py_string(&mut self.0, key);
        self.0.push_str(": ");
    }

    fn string(&mut self, key: &str, value: &str) {
        self.key(key);
        push_py_string(&mut self.0, value);
    }

    fn list(&mut self, key: &str, items: &[String]) {
        self.key(key);
        push_py_list(&mut self.0, items);
    }

    fn finish(mut self) -> Zeroizing<String> {
        self.0.push('}');
        self.0
    }
}

/// A token as the CLI caches it.
#[derive(Debug, Clone)]
pub struct CachedToken {
    /// The start URL as configured.
    pub start_url: Option<String>,
    /// The Identity Center region.
    pub region: Option<String>,
    /// The access token.
    pub access_token: Secret,
    /// When the access token expires.
    pub expires_at: SystemTime,
    /// The OIDC client that can refresh it.
    pub client_id: Option<String>,
    /// That client's secret.
    pub client_secret: Option<Secret>,
    /// When that client's registration expires.
    pub registration_expires_at: Option<SystemTime>,
    /// The refresh token, when one was issued.
    pub refresh_token: Option<Secret>,
}

impl CachedToken {
    /// The file content, exactly as the CLI writes it (no trailing newline).
    pub fn to_cli_json(&self) -> Zeroizing<String> {
        let mut object = PyObject::new();
        if let Some(start_url) = &self.start_url {
            object.string("startUrl", start_url);
        }
        if let Some(region) = &self.region {
            object.string("region", region);
        }
        object.string("accessToken", self.access_token.expose());
        object.string("expiresAt", &format_timestamp(self.expires_at));
        if let Some(client_id) = &self.client_id {
            object.string("clientId", client_id);
        }
        if let Some(client_secret) = &self.client_secret {
            object.string("clientSecret", client_secret.expose());
        }
        if let Some(at) = self.registration_expires_at {
            object.string("registrationExpiresAt", &format_timestamp(at));
        }
        if let Some(refresh_token) = &self.refresh_token {
            object.string("refreshToken", refresh_token.expose());
        }
        object.finish()
    }

    /// Reads a token file; keys may be in any letter case, times in any RFC 3339 form.
    pub fn parse(text: &str) -> Result<Self, CacheFormatError> {
        let mut fields = lowercase_fields(text)?;
        Ok(Self {
            start_url: take_string(&mut fields, "starturl")?,
            region: take_string(&mut fields, "region")?,
            access_token: take_string(&mut fields, "accesstoken")?
                .map(Secret::new)
                .ok_or(CacheFormatError::Missing("accessToken"))?,
            expires_at: take_time(&mut fields, "expiresat")?
                .ok_or(CacheFormatError::Missing("expiresAt"))?,
            client_id: take_string(&mut fields, "clientid")?,
            client_secret: take_string(&mut fields, "clientsecret")?.map(Secret::new),
            registration_expires_at: take_time(&mut fields, "registrationexpiresat")?,
            refresh_token: take_string(&mut fields, "refreshtoken")?.map(Secret::new),
        })
    }

    /// True when at least [`CLI_EXPIRY_WINDOW`] is left at `now`.
    pub fn is_fresh(&self, now: SystemTime) -> bool {
        self.expires_at
            .duration_since(now)
            .is_ok_and(|left| left >= CLI_EXPIRY_WINDOW)
    }
}

/// A client registration as the CLI caches it.
#[derive(Debug, Clone)]
pub struct CachedRegistration {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
    /// When the registration expires (`clientSecretExpiresAt`).
    pub expires_at: SystemTime,
    /// The registered scopes, if any were registered.
    pub scopes: Option<Vec<String>>,
    /// The grant types; written only by the authorization-code flow.
    pub grant_types: Option<Vec<String>>,
}

impl CachedRegistration {
    /// The file content, exactly as the CLI writes it.
    pub fn to_cli_json(&self) -> Zeroizing<String> {
        let mut object = PyObject::new();
        object.string("clientId", &self.client_id);
        object.string("clientSecret", self.client_secret.expose());
        object.string("expiresAt", &format_timestamp(self.expires_at));
        if let Some(scopes) = &self.scopes {
            object.list("scopes", scopes);
        }
        if let Some(grant_types) = &self.grant_types {
            object.list("grantTypes", grant_types);
        }
        object.finish()
    }

    /// Reads a registration file leniently.
    pub fn parse(text: &str) -> Result<Self, CacheFormatError> {
        let mut fields = lowercase_fields(text)?;
        Ok(Self {
            client_id: take_string(&mut fields, "clientid")?
                .ok_or(CacheFormatError::Missing("clientId"))?,
            client_secret: take_string(&mut fields, "clientsecret")?
                .map(Secret::new)
                .ok_or(CacheFormatError::Missing("clientSecret"))?,
            expires_at: take_time(&mut fields, "expiresat")?
                .ok_or(CacheFormatError::Missing("expiresAt"))?,
            scopes: take_list(&mut fields, "scopes")?,
            grant_types: take_list(&mut fields, "granttypes")?,
        })
    }
}

/// The CLI's timestamp form, `%Y-%m-%dT%H:%M:%SZ` in UTC (fractions of a second dropped).
pub fn format_timestamp(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap_or_default()
}

/// Parses any RFC 3339 timestamp (fractions and offsets allowed).
pub fn parse_timestamp(text: &str) -> Option<SystemTime> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .ok()
        .map(SystemTime::from)
}

fn lowercase_fields(text: &str) -> Result<Map<String, Value>, CacheFormatError> {
    let Value::Object(object) =
        serde_json::from_str(text).map_err(|_| CacheFormatError::NotJson)?
    else {
        return Err(CacheFormatError::NotJson);
    };
    Ok(object
        .into_iter()
        .map(|(key, value)| (key.to_ascii_lowercase(), value))
        .collect())
}

fn take_string(
    fields: &mut Map<String, Value>,
    key: &'static str,
) -> Result<Option<String>, CacheFormatError> {
    match fields.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(CacheFormatError::WrongType(key)),
    }
}

fn take_time(
    fields: &mut Map<String, Value>,
    key: &'static str,
) -> Result<Option<SystemTime>, CacheFormatError> {
    take_string(fields, key)?
        .map(|text| parse_timestamp(&text).ok_or(CacheFormatError::BadTime(key)))
        .transpose()
}

fn take_list(
    fields: &mut Map<String, Value>,
    key: &'static str,
) -> Result<Option<Vec<String>>, CacheFormatError> {
    match fields.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                _ => Err(CacheFormatError::WrongType(key)),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(_) => Err(CacheFormatError::WrongType(key)),
    }
}

/// A cache file this module cannot use.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CacheFormatError {
    /// Not a JSON object.
    #[error("the file is not a JSON object")]
    NotJson,
    /// A required key is absent.
    #[error("`{0}` is missing")]
    Missing(&'static str),
    /// A key holds the wrong kind of value (the key is given in lower case).
    #[error("`{0}` has the wrong type")]
    WrongType(&'static str),
    /// A time that is not RFC 3339 (the key is given in lower case).
    #[error("`{0}` is not an RFC 3339 time")]
    BadTime(&'static str),
}

/// A cache file that could not be read or written.
#[derive(Debug, Error)]
pub enum CacheError {
    /// Reading or writing failed.
    #[error("could not use the AWS CLI cache file {path}: {source}; check that the folder is yours and writable, or turn `export_aws_cli_cache` off")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
}

/// A usable cached token and the file it came from.
#[derive(Debug, Clone)]
pub struct FoundToken {
    /// The cache file.
    pub path: PathBuf,
    /// Its token.
    pub token: CachedToken,
}

/// The cached token for `start_url` with the most time left, if any has at least
/// [`CLI_EXPIRY_WINDOW`] left by `clock`. Files that are not token files are skipped; a missing
/// directory means no token.
pub fn find_token(
    dir: &Path,
    start_url: &str,
    clock: &dyn Clock,
) -> Result<Option<FoundToken>, CacheError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CacheError::Io {
                path: dir.to_owned(),
                source,
            })
        }
    };
    let now = clock.now();
    let mut best: Option<FoundToken> = None;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path).map(Zeroizing::new) else {
            continue;
        };
        let Ok(token) = CachedToken::parse(&text) else {
            continue;
        };
        let matches = token
            .start_url
            .as_deref()
            .is_some_and(|url| same_start_url(url, start_url));
        let better = best
            .as_ref()
            .is_none_or(|b| token.expires_at > b.token.expires_at);
        if matches && token.is_fresh(now) && better {
            best = Some(FoundToken { path, token });
        }
    }
    Ok(best)
}

fn same_start_url(a: &str, b: &str) -> bool {
    a.trim().trim_end_matches('/') == b.trim().trim_end_matches('/')
}

/// Writes a token file atomically; returns its path.
pub fn write_token(
    dir: &Path,
    key: TokenCacheKey<'_>,
    token: &CachedToken,
) -> Result<PathBuf, CacheError> {
    write_atomically(dir, &token_file_name(key), &token.to_cli_json())
}

/// Writes a registration file atomically under the name [`registration_file_name`] gives; returns
/// its path.
pub fn write_registration(
    dir: &Path,
    file_name: &str,
    registration: &CachedRegistration,
) -> Result<PathBuf, CacheError> {
    write_atomically(dir, file_name, &registration.to_cli_json())
}

/// Creates `dir` if needed, writes a temporary file there (mode 0600) and renames it over the target.
fn write_atomically(dir: &Path, file_name: &str, content: &str) -> Result<PathBuf, CacheError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| CacheError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut temp = tempfile::Builder::new()
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io(dir))?;
    temp.write_all(content.as_bytes())
        .map_err(io(temp.path()))?;
    temp.as_file().sync_all().map_err(io(temp.path()))?;
    let target = dir.join(file_name);
    temp.persist(&target).map_err(|err| CacheError::Io {
        path: target.clone(),
        source: err.error,
    })?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    const START_URL: &str = "https://my-sso-portal.awsapps.com/start";

    fn at(text: &str) -> SystemTime {
        parse_timestamp(text).expect(text)
    }

    fn token(expires_at: &str) -> CachedToken {
        CachedToken {
            start_url: Some(START_URL.into()),
            region: Some("us-east-1".into()),
            access_token: Secret::new("aoaAAAAA"),
            expires_at: at(expires_at),
            client_id: Some("client-id".into()),
            client_secret: Some(Secret::new("client-secret")),
            registration_expires_at: Some(at("2027-02-26T12:24:00Z")),
            refresh_token: Some(Secret::new("aorAAAAA")),
        }
    }

    #[test]
    fn token_file_names_match_the_reference() {
        assert_eq!(
            token_file_name(TokenCacheKey::SessionName("my-sso")),
            "0ad374308c5a4e22f723adf10145eafad7c4031c.json"
        );
        assert_eq!(
            token_file_name(TokenCacheKey::StartUrl(START_URL)),
            "c7aaaf71fcc8777ae2475525ed049d39fe16c484.json"
        );
    }

    #[test]
    fn registration_file_names_match_the_reference() {
        let scopes = ["sso:account:access".to_owned()];
        assert_eq!(
            registration_file_name(START_URL, "us-east-1", Some(&scopes), Some("my-sso")),
            "c5cfae6e3e4f067423a532368c8b514b6a4b0ace.json"
        );
        assert_eq!(
            registration_file_name(START_URL, "us-east-1", None, Some("my-sso")),
            "5d2ad48f7ce068c072924f44a42fb81ca0fd6b99.json"
        );
    }

    #[test]
    fn strings_are_escaped_as_python_json_dumps_does() {
        let mut out = String::new();
        push_py_string(&mut out, "a\"b\\c\n\u{1}\u{7f}é😀/");
        assert_eq!(out, r#""a\"b\\c\n\u0001\u007f\u00e9\ud83d\ude00/""#);
    }

    #[test]
    fn token_json_is_byte_exact_with_the_cli() {
        assert_eq!(
            *token("2026-11-28T13:24:00.750Z").to_cli_json(),
            r#"{"startUrl": "https://my-sso-portal.awsapps.com/start", "region": "us-east-1", "accessToken": "aoaAAAAA", "expiresAt": "2026-11-28T13:24:00Z", "clientId": "client-id", "clientSecret": "client-secret", "registrationExpiresAt": "2027-02-26T12:24:00Z", "refreshToken": "aorAAAAA"}"#
        );
        let legacy = CachedToken {
            client_id: None,
            client_secret: None,
            registration_expires_at: None,
            refresh_token: None,
            ..token("2026-11-28T13:24:00Z")
        };
        assert_eq!(
            *legacy.to_cli_json(),
            r#"{"startUrl": "https://my-sso-portal.awsapps.com/start", "region": "us-east-1", "accessToken": "aoaAAAAA", "expiresAt": "2026-11-28T13:24:00Z"}"#
        );
    }

    #[test]
    fn registration_json_is_byte_exact_with_the_cli() {
        let registration = CachedRegistration {
            client_id: "cid".into(),
            client_secret: Secret::new("csecret"),
            expires_at: at("2027-02-26T12:24:00Z"),
            scopes: Some(vec!["sso:account:access".into()]),
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
        };
        let json = registration.to_cli_json();
        assert_eq!(
            *json,
            r#"{"clientId": "cid", "clientSecret": "csecret", "expiresAt": "2027-02-26T12:24:00Z", "scopes": ["sso:account:access"], "grantTypes": ["authorization_code", "refresh_token"]}"#
        );
        let back = CachedRegistration::parse(&json).expect("parses");
        assert_eq!(
            back.grant_types.as_deref(),
            Some(&["authorization_code".to_owned(), "refresh_token".to_owned()][..])
        );
    }

    #[test]
    fn reads_other_writers_forms_leniently() {
        let text = r#"{"starturl": "https://x.awsapps.com/start", "ACCESSTOKEN": "t", "expiresAt": "2026-11-28T14:24:00.123+01:00", "refreshToken": null, "receivedAt": "2026-11-28T05:24:00Z"}"#;
        let token = CachedToken::parse(text).expect("parses");
        assert_eq!(token.access_token.expose(), "t");
        assert_eq!(format_timestamp(token.expires_at), "2026-11-28T13:24:00Z");
        assert!(token.refresh_token.is_none());
        assert_eq!(
            CachedToken::parse(r#"{"accessToken": "t"}"#).unwrap_err(),
            CacheFormatError::Missing("expiresAt")
        );
        assert_eq!(
            CachedToken::parse(r#"{"accessToken": "t", "expiresAt": "tomorrow"}"#).unwrap_err(),
            CacheFormatError::BadTime("expiresat")
        );
        assert_eq!(
            CachedToken::parse("[]").unwrap_err(),
            CacheFormatError::NotJson
        );
    }

    #[test]
    fn freshness_follows_the_15_minute_rule() {
        let now = at("2026-11-28T13:00:00Z");
        assert!(token("2026-11-28T13:15:00Z").is_fresh(now));
        assert!(!token("2026-11-28T13:14:59Z").is_fresh(now));
        assert!(!token("2026-11-28T12:00:00Z").is_fresh(now));
    }

    #[test]
    fn writes_atomically_with_mode_0600_and_finds_the_freshest_matching_token() {
        let home = tempfile::tempdir().expect("temp dir");
        let dir = cache_dir(home.path());
        let clock = ManualClock::new(at("2026-11-28T12:00:00Z"));
        assert!(find_token(&dir, START_URL, &clock)
            .expect("no dir is fine")
            .is_none());

        let path = write_token(
            &dir,
            TokenCacheKey::SessionName("my-sso"),
            &token("2026-11-28T13:00:00Z"),
        )
        .expect("write");
        assert_eq!(
            path,
            dir.join("0ad374308c5a4e22f723adf10145eafad7c4031c.json")
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            *token("2026-11-28T13:00:00Z").to_cli_json()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        write_token(
            &dir,
            TokenCacheKey::StartUrl(START_URL),
            &token("2026-11-28T16:00:00Z"),
        )
        .expect("write legacy");
        let other = CachedToken {
            start_url: Some("https://other.awsapps.com/start".into()),
            ..token("2026-11-28T20:00:00Z")
        };
        write_token(&dir, TokenCacheKey::SessionName("other"), &other).expect("write other");
        std::fs::write(
            dir.join("botocore-client-id-us-east-1.json"),
            "{\"clientId\": \"x\"}",
        )
        .expect("write junk");
        std::fs::write(dir.join("broken.json"), "{").expect("write junk");
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .expect("list")
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "tmp"))
            .collect();
        assert!(leftovers.is_empty());

        let found = find_token(&dir, &format!("{START_URL}/"), &clock)
            .expect("scan")
            .expect("found");
        assert_eq!(
            found.path,
            dir.join("c7aaaf71fcc8777ae2475525ed049d39fe16c484.json")
        );
        clock.advance(Duration::from_secs(3 * 3600 + 46 * 60)); // 15:46: the 16:00 token has 14 min left
        assert!(find_token(&dir, START_URL, &clock).expect("scan").is_none());
    }
}
