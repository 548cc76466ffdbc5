//! The only module that touches the operating system's keychain (macOS Keychain, Windows Credential
//! Manager, Secret Service on Linux) through the `keyring` crate.
//!
//! Promises: every entry name comes from [`entry_name`], so get, set and delete always address the
//! same entries (aws-vault's `oidc:` prefix bug cannot happen); every entry stays under Windows'
//! 2,560-byte limit because longer values are split into numbered chunk entries behind a small
//! header entry, and stale chunks are deleted on every write and delete; a keychain that is missing
//! or locked gives a [`KeychainError`] naming the fix, and nothing is ever written to a plain file
//! instead. On Linux, short-lived values the caller asks for (role credentials) are also kept in the
//! kernel's session keyring for at most their remaining life ([`session_cache`]), so a launch need
//! not open the Secret Service; a write or delete drops that copy first.

pub mod session_cache;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use sha1::{Digest, Sha1};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::secret::Secret;
use crate::start_url::StartUrl;

/// The keychain service every production entry lives under.
pub const SERVICE: &str = "connect-launcher";

/// Windows Credential Manager's limit on one secret (`CRED_MAX_CREDENTIAL_BLOB_SIZE`), in bytes.
pub const WINDOWS_BLOB_LIMIT_BYTES: usize = 2560;

/// The most one entry holds, in UTF-16 code units. `keyring` stores Windows passwords as UTF-16
/// (two bytes a unit), so this is 2,000 bytes there: under [`WINDOWS_BLOB_LIMIT_BYTES`] with room.
pub const MAX_ENTRY_UTF16_UNITS: usize = 1000;
const _: () = assert!(MAX_ENTRY_UTF16_UNITS * 2 < WINDOWS_BLOB_LIMIT_BYTES);

/// The most chunks one value may be split into (about 30 KB of ASCII).
pub const MAX_CHUNKS: usize = 32;

/// Header entry value for a value stored whole: this prefix, then the value.
const INLINE_PREFIX: &str = "inline:";
/// Header entry value for a chunked value: this prefix, then the number of chunks.
const CHUNKED_PREFIX: &str = "chunks:";

/// What a stored value is for, as a namespaced key: `session:{sha1 of the start URL}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryKey(String);

impl EntryKey {
    /// The key of the sign-in session (tokens and client registration) for a start URL.
    pub fn session(start_url: &StartUrl) -> Self {
        Self(format!(
            "session:{}",
            hex::encode(Sha1::digest(start_url.as_str().as_bytes()))
        ))
    }

    /// The key of the OIDC client registration (its secret) for a start URL, kept across
    /// sign-outs so a new sign-in does not register again.
    pub fn registration(start_url: &StartUrl) -> Self {
        Self(format!(
            "registration:{}",
            hex::encode(Sha1::digest(start_url.as_str().as_bytes()))
        ))
    }

    /// The key of one role's credentials, kept for reuse during a sign-in: one small entry per
    /// account and role, so a launch reads only the role it opens with.
    pub fn role_credentials(start_url: &StartUrl, account_id: &str, role_name: &str) -> Self {
        Self(format!(
            "roles:{}:{account_id}/{role_name}",
            hex::encode(Sha1::digest(start_url.as_str().as_bytes()))
        ))
    }

    /// The key under which earlier versions kept every role's credentials of a sign-in in one
    /// (chunked) value; read no more, only deleted.
    pub fn legacy_role_credentials(start_url: &StartUrl) -> Self {
        Self(format!(
            "roles:{}",
            hex::encode(Sha1::digest(start_url.as_str().as_bytes()))
        ))
    }

    /// The namespaced key, e.g. `session:c7aaaf71…`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which of a key's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The header entry: the value itself, or how many chunks hold it.
    Header,
    /// Chunk number `n`, counted from 1.
    Chunk(usize),
}

/// The keychain account name of one entry. The only function that builds entry names.
pub fn entry_name(key: &EntryKey, part: Part) -> String {
    match part {
        Part::Header => key.0.clone(),
        Part::Chunk(n) => format!("{}#chunk{n}", key.0),
    }
}

/// A store of secrets by key. Values of any size up to [`MAX_CHUNKS`] chunks are accepted.
pub trait SecretStore: Send + Sync + Debug {
    /// The value stored under `key`, or `None` if there is none.
    fn get(&self, key: &EntryKey) -> Result<Option<Secret>, KeychainError>;
    /// Stores `value` under `key`, replacing what was there.
    fn set(&self, key: &EntryKey, value: &Secret) -> Result<(), KeychainError>;
    /// Deletes everything stored under `key`; deleting nothing is not an error.
    fn delete(&self, key: &EntryKey) -> Result<(), KeychainError>;

    /// The copy of a short-lived value kept by [`SecretStore::cache_for`], if the store keeps one
    /// and it is still alive. Never an error: a miss sends the caller to [`SecretStore::get`].
    fn cached(&self, _key: &EntryKey) -> Option<Secret> {
        None
    }
    /// Keeps a copy of `value`, stored or read under `key`, for at most `lifetime` where reading
    /// it back is cheaper than the keychain (Linux: the kernel's session keyring). Best effort.
    fn cache_for(&self, _key: &EntryKey, _value: &Secret, _lifetime: Duration) {}
    /// Drops every cached copy this store keeps (sign-out, end of shift).
    fn clear_cache(&self) {}
}

/// Single platform entries by name: what chunking is built on.
trait Entries {
    fn read(&self, name: &str) -> Result<Option<Secret>, KeychainError>;
    fn write(&self, name: &str, value: &str) -> Result<(), KeychainError>;
    /// True if an entry was there.
    fn remove(&self, name: &str) -> Result<bool, KeychainError>;
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Splits `value` at character boundaries into pieces of at most [`MAX_ENTRY_UTF16_UNITS`].
fn split_into_chunks(value: &str) -> Vec<&str> {
    let mut chunks = Vec::new();
    let (mut start, mut units) = (0, 0);
    for (at, c) in value.char_indices() {
        if units + c.len_utf16() > MAX_ENTRY_UTF16_UNITS {
            chunks.push(&value[start..at]);
            (start, units) = (at, 0);
        }
        units += c.len_utf16();
    }
    chunks.push(&value[start..]);
    chunks
}

/// How many chunks a header entry says there are (0 for an inline value or an unreadable header).
fn chunk_count(header: &str) -> usize {
    header
        .strip_prefix(CHUNKED_PREFIX)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn get_value(entries: &impl Entries, key: &EntryKey) -> Result<Option<Secret>, KeychainError> {
    let header_name = entry_name(key, Part::Header);
    let Some(header) = entries.read(&header_name)? else {
        return Ok(None);
    };
    if let Some(value) = header.expose().strip_prefix(INLINE_PREFIX) {
        return Ok(Some(Secret::new(value)));
    }
    let count = header
        .expose()
        .strip_prefix(CHUNKED_PREFIX)
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| (1..=MAX_CHUNKS).contains(n))
        .ok_or(KeychainError::Corrupt {
            entry: header_name,
            problem: "unrecognised header",
        })?;
    let mut chunks = Vec::with_capacity(count);
    for n in 1..=count {
        let name = entry_name(key, Part::Chunk(n));
        let chunk = entries.read(&name)?.ok_or(KeychainError::Corrupt {
            entry: name,
            problem: "a chunk is missing",
        })?;
        chunks.push(chunk);
    }
    // Sized up front so the buffer never reallocates and leaves copies behind.
    let mut joined = String::with_capacity(chunks.iter().map(|c| c.expose().len()).sum());
    for chunk in &chunks {
        joined.push_str(chunk.expose());
    }
    Ok(Some(Secret::new(joined)))
}

fn set_value(entries: &impl Entries, key: &EntryKey, value: &Secret) -> Result<(), KeychainError> {
    let header_name = entry_name(key, Part::Header);
    let old_count = entries
        .read(&header_name)?
        .map_or(0, |old| chunk_count(old.expose()));
    let inline = Zeroizing::new(format!("{INLINE_PREFIX}{}", value.expose()));
    let new_count = if utf16_len(&inline) <= MAX_ENTRY_UTF16_UNITS {
        entries.write(&header_name, &inline)?;
        0
    } else {
        let chunks = split_into_chunks(value.expose());
        if chunks.len() > MAX_CHUNKS {
            return Err(KeychainError::TooLarge {
                key: key.0.clone(),
                bytes: value.expose().len(),
            });
        }
        for (i, chunk) in chunks.iter().enumerate() {
            entries.write(&entry_name(key, Part::Chunk(i + 1)), chunk)?;
        }
        entries.write(&header_name, &format!("{CHUNKED_PREFIX}{}", chunks.len()))?;
        chunks.len()
    };
    remove_chunks_above(entries, key, new_count, old_count.max(new_count))
}

fn delete_value(entries: &impl Entries, key: &EntryKey) -> Result<(), KeychainError> {
    let header_name = entry_name(key, Part::Header);
    let count = entries
        .read(&header_name)?
        .map_or(0, |old| chunk_count(old.expose()));
    // Chunks first and the header last, so an interrupted delete can be finished by the next one.
    remove_chunks_above(entries, key, 0, count)?;
    entries.remove(&header_name)?;
    Ok(())
}

/// Removes chunks `keep + 1 ..= known_last`, and any left beyond `known_last` by an interrupted
/// earlier write, from the top down so that what remains is always contiguous.
fn remove_chunks_above(
    entries: &impl Entries,
    key: &EntryKey,
    keep: usize,
    known_last: usize,
) -> Result<(), KeychainError> {
    let mut last = known_last;
    while last < MAX_CHUNKS
        && entries
            .read(&entry_name(key, Part::Chunk(last + 1)))?
            .is_some()
    {
        last += 1;
    }
    for n in (keep + 1..=last).rev() {
        entries.remove(&entry_name(key, Part::Chunk(n)))?;
    }
    Ok(())
}

/// The operating system's keychain, with the kernel session keyring in front of it on Linux for
/// the short-lived values a caller asks to cache.
#[derive(Debug, Clone)]
pub struct OsKeychain {
    service: String,
    cache: session_cache::SessionCache,
}

impl OsKeychain {
    /// The keychain under the production service name [`SERVICE`].
    pub fn new() -> Self {
        Self::with_service(SERVICE)
    }

    /// The keychain under another service name (tests use a unique one per run).
    pub fn with_service(service: impl Into<String>) -> Self {
        let service = service.into();
        Self {
            cache: session_cache::SessionCache::new(&service),
            service,
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(&self.service, name).map_err(|err| classify(&err))
    }
}

impl Default for OsKeychain {
    fn default() -> Self {
        Self::new()
    }
}

impl Entries for OsKeychain {
    fn read(&self, name: &str) -> Result<Option<Secret>, KeychainError> {
        match self.entry(name)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(classify(&err)),
        }
    }

    fn write(&self, name: &str, value: &str) -> Result<(), KeychainError> {
        self.entry(name)?
            .set_password(value)
            .map_err(|err| classify(&err))
    }

    fn remove(&self, name: &str) -> Result<bool, KeychainError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(err) => Err(classify(&err)),
        }
    }
}

impl SecretStore for OsKeychain {
    fn get(&self, key: &EntryKey) -> Result<Option<Secret>, KeychainError> {
        get_value(self, key)
    }
    fn set(&self, key: &EntryKey, value: &Secret) -> Result<(), KeychainError> {
        // The cached copy goes first: it must never outlive or contradict the keychain.
        self.cache.remove(key.as_str());
        set_value(self, key, value)
    }
    fn delete(&self, key: &EntryKey) -> Result<(), KeychainError> {
        self.cache.remove(key.as_str());
        delete_value(self, key)
    }
    fn cached(&self, key: &EntryKey) -> Option<Secret> {
        self.cache.get(key.as_str())
    }
    fn cache_for(&self, key: &EntryKey, value: &Secret, lifetime: Duration) {
        self.cache.put(key.as_str(), value, lifetime);
    }
    fn clear_cache(&self) {
        self.cache.clear();
    }
}

/// An in-memory store with the same entry layout as the keychain, for tests of callers. It can be
/// locked to make every call fail as a locked keychain does.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<BTreeMap<String, Secret>>,
    locked: Mutex<bool>,
    /// Copies kept by `cache_for`, with the lifetime asked for; like the kernel's, they answer
    /// while the store is locked.
    cache: Mutex<BTreeMap<String, (Secret, Duration)>>,
}

impl MemoryStore {
    /// An empty, unlocked store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The names of the entries held, in order.
    pub fn entry_names(&self) -> Vec<String> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    /// The keys of the cached copies held, with the lifetime each was cached for.
    pub fn cached_entries(&self) -> Vec<(String, Duration)> {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(name, (_, lifetime))| (name.clone(), *lifetime))
            .collect()
    }

    fn uncache(&self, key: &EntryKey) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key.as_str());
    }

    /// Makes every later call fail with [`KeychainError::Locked`] (`true`) or work again (`false`).
    pub fn set_locked(&self, locked: bool) {
        *self.locked.lock().unwrap_or_else(PoisonError::into_inner) = locked;
    }

    fn check_unlocked(&self) -> Result<(), KeychainError> {
        if *self.locked.lock().unwrap_or_else(PoisonError::into_inner) {
            return Err(KeychainError::Locked {
                detail: "the in-memory store is locked".into(),
            });
        }
        Ok(())
    }

    fn with_entries<T>(
        &self,
        f: impl FnOnce(&mut BTreeMap<String, Secret>) -> T,
    ) -> Result<T, KeychainError> {
        self.check_unlocked()?;
        Ok(f(&mut self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)))
    }
}

impl Entries for MemoryStore {
    fn read(&self, name: &str) -> Result<Option<Secret>, KeychainError> {
        self.with_entries(|entries| entries.get(name).cloned())
    }

    fn write(&self, name: &str, value: &str) -> Result<(), KeychainError> {
        if utf16_len(value) * 2 > WINDOWS_BLOB_LIMIT_BYTES {
            return Err(KeychainError::Platform {
                detail: format!("entry {name} is over the platform limit"),
            });
        }
        self.with_entries(|entries| {
            entries.insert(name.to_owned(), Secret::new(value));
        })
    }

    fn remove(&self, name: &str) -> Result<bool, KeychainError> {
        self.with_entries(|entries| entries.remove(name).is_some())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &EntryKey) -> Result<Option<Secret>, KeychainError> {
        get_value(self, key)
    }
    fn set(&self, key: &EntryKey, value: &Secret) -> Result<(), KeychainError> {
        self.uncache(key);
        set_value(self, key, value)
    }
    fn delete(&self, key: &EntryKey) -> Result<(), KeychainError> {
        self.uncache(key);
        delete_value(self, key)
    }
    fn cached(&self, key: &EntryKey) -> Option<Secret> {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key.as_str())
            .map(|(value, _)| value.clone())
    }
    fn cache_for(&self, key: &EntryKey, value: &Secret, lifetime: Duration) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.as_str().to_owned(), (value.clone(), lifetime));
    }
    fn clear_cache(&self) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// Why the keychain could not be used. Nothing is ever saved elsewhere instead.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeychainError {
    /// No keychain service to talk to (no session bus, no Secret Service, no login keyring).
    #[error("no keychain is available ({detail}); start a desktop session or gnome-keyring (any Secret Service will do) and try again; on a server, start gnome-keyring inside `dbus-run-session` and sign in with `--device-code`; nothing was saved")]
    Unavailable {
        /// The platform's message.
        detail: String,
    },
    /// The keychain is locked and could not be unlocked.
    #[error("the keychain is locked ({detail}); unlock your login keyring (on a Mac, the login keychain) and try again; nothing was saved")]
    Locked {
        /// The platform's message.
        detail: String,
    },
    /// Any other failure of the platform's keychain.
    #[error("the keychain failed ({detail}); try again, and run `connect-launcher doctor` if it keeps failing; nothing was saved")]
    Platform {
        /// The platform's message.
        detail: String,
    },
    /// Stored entries that do not fit together.
    #[error("the keychain entry {entry} is damaged ({problem}); run `connect-launcher logout` and sign in again")]
    Corrupt {
        /// The entry's name.
        entry: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A value larger than [`MAX_CHUNKS`] chunks.
    #[error("the value for {key} is too large for the keychain ({bytes} bytes); this is a bug, please report it")]
    TooLarge {
        /// The key.
        key: String,
        /// The value's size.
        bytes: usize,
    },
}

/// Maps a `keyring` error to what the user should do about it.
fn classify(err: &keyring::Error) -> KeychainError {
    let detail = match err {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            inner.to_string()
        }
        keyring::Error::Ambiguous(matches) => {
            format!("{} keychain entries match one name", matches.len())
        }
        other => other.to_string(),
    };
    let lower = detail.to_ascii_lowercase();
    let locked = [
        "islocked",
        "object locked",
        "locked collection",
        "unlock prompt was dismissed",
    ];
    let unavailable = [
        "no dbus session",
        "secret service provider",
        "autolaunch",
        "org.freedesktop.dbus.error",
        "no result found",
        // A session bus with no Secret Service on it (none running, none activatable).
        "not provided by any .service files",
        "serviceunknown",
        "name has no owner",
    ];
    if locked.iter().any(|needle| lower.contains(needle)) {
        KeychainError::Locked { detail }
    } else if unavailable.iter().any(|needle| lower.contains(needle)) {
        KeychainError::Unavailable { detail }
    } else if matches!(err, keyring::Error::NoStorageAccess(_)) {
        KeychainError::Locked { detail }
    } else {
        KeychainError::Platform { detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> EntryKey {
        EntryKey::session(
            &StartUrl::parse("https://my-sso-portal.awsapps.com/start", false).expect("valid"),
        )
    }

    /// A value needing several chunks, with characters of every UTF-8 width.
    fn big_value() -> String {
        "{\"accessToken\":\"aoa".to_owned() + &"Aé€😀".repeat(600) + "\"}"
    }

    #[test]
    fn entry_names_are_namespaced_by_the_start_url_hash() {
        assert_eq!(
            key().as_str(),
            "session:c7aaaf71fcc8777ae2475525ed049d39fe16c484"
        );
        assert_eq!(
            entry_name(&key(), Part::Header),
            "session:c7aaaf71fcc8777ae2475525ed049d39fe16c484"
        );
        assert_eq!(
            entry_name(&key(), Part::Chunk(2)),
            "session:c7aaaf71fcc8777ae2475525ed049d39fe16c484#chunk2"
        );
    }

    #[test]
    fn get_set_and_delete_address_the_same_entries() {
        // aws-vault's bug: its Set wrote `oidc:<url>` while Has looked for `<url>`.
        let store = MemoryStore::new();
        let url = "https://d-1234567890.awsapps.com/start/";
        let written_with = EntryKey::session(&StartUrl::parse(url, false).expect("valid"));
        store
            .set(&written_with, &Secret::new("token"))
            .expect("set");
        assert_eq!(
            store.entry_names(),
            [entry_name(&written_with, Part::Header)]
        );

        let read_with =
            EntryKey::session(&StartUrl::parse(url.trim_end_matches('/'), false).expect("valid"));
        assert_eq!(
            store
                .get(&read_with)
                .expect("get")
                .map(|s| s.expose().to_owned())
                .as_deref(),
            Some("token")
        );
        store.delete(&read_with).expect("delete");
        assert!(store.entry_names().is_empty(), "{:?}", store.entry_names());
    }

    #[test]
    fn a_small_value_is_one_entry() {
        let store = MemoryStore::new();
        store.set(&key(), &Secret::new("small")).expect("set");
        assert_eq!(store.entry_names().len(), 1);
        assert_eq!(
            store.get(&key()).expect("get").expect("present").expose(),
            "small"
        );
    }

    #[test]
    fn a_large_value_round_trips_through_chunks_each_under_the_windows_limit() {
        let store = MemoryStore::new();
        let value = big_value();
        store.set(&key(), &Secret::new(value.clone())).expect("set");

        let names = store.entry_names();
        assert!(names.len() > 2, "{names:?}");
        for name in &names {
            let entry = store.read(name).expect("read").expect("present");
            assert!(utf16_len(entry.expose()) <= MAX_ENTRY_UTF16_UNITS, "{name}");
        }
        assert_eq!(
            store.get(&key()).expect("get").expect("present").expose(),
            value
        );
    }

    #[test]
    fn stale_chunks_are_deleted_when_a_value_shrinks_and_on_delete() {
        let store = MemoryStore::new();
        store
            .set(&key(), &Secret::new(big_value()))
            .expect("set big");
        let big_count = store.entry_names().len();
        store
            .set(&key(), &Secret::new("x".repeat(MAX_ENTRY_UTF16_UNITS + 1)))
            .expect("set two chunks");
        assert_eq!(
            store.entry_names().len(),
            3,
            "header and two chunks, not {big_count}"
        );
        store.set(&key(), &Secret::new("small")).expect("set small");
        assert_eq!(store.entry_names(), [entry_name(&key(), Part::Header)]);

        store
            .set(&key(), &Secret::new(big_value()))
            .expect("set big again");
        store.delete(&key()).expect("delete");
        assert!(store.entry_names().is_empty());
        store.delete(&key()).expect("deleting nothing is fine");
    }

    #[test]
    fn chunks_left_by_an_interrupted_write_are_removed() {
        let store = MemoryStore::new();
        store.set(&key(), &Secret::new("small")).expect("set");
        store
            .write(&entry_name(&key(), Part::Chunk(1)), "left")
            .expect("raw");
        store
            .write(&entry_name(&key(), Part::Chunk(2)), "over")
            .expect("raw");
        store.delete(&key()).expect("delete");
        assert!(store.entry_names().is_empty(), "{:?}", store.entry_names());
    }

    #[test]
    fn a_missing_chunk_is_reported_as_damage() {
        let store = MemoryStore::new();
        store.set(&key(), &Secret::new(big_value())).expect("set");
        store
            .remove(&entry_name(&key(), Part::Chunk(2)))
            .expect("remove");
        let err = store.get(&key()).expect_err("damaged");
        assert!(matches!(err, KeychainError::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains("connect-launcher logout"), "{err}");
    }

    #[test]
    fn a_value_beyond_the_chunk_limit_is_refused_and_nothing_is_written() {
        let store = MemoryStore::new();
        let err = store
            .set(
                &key(),
                &Secret::new("x".repeat(MAX_ENTRY_UTF16_UNITS * MAX_CHUNKS + 1)),
            )
            .expect_err("too large");
        assert!(matches!(err, KeychainError::TooLarge { .. }), "{err:?}");
        assert!(store.entry_names().is_empty());
    }

    #[test]
    fn a_locked_memory_store_fails_like_a_locked_keychain() {
        let store = MemoryStore::new();
        store.set_locked(true);
        assert!(matches!(
            store.set(&key(), &Secret::new("v")),
            Err(KeychainError::Locked { .. })
        ));
        store.set_locked(false);
        store
            .set(&key(), &Secret::new("v"))
            .expect("unlocked again");
    }

    fn platform(message: &str) -> keyring::Error {
        keyring::Error::PlatformFailure(Box::new(std::io::Error::other(message.to_owned())))
    }

    #[test]
    fn keyring_errors_map_to_the_fix() {
        let no_bus = platform("D-Bus error: Unable to autolaunch a dbus-daemon without a $DISPLAY for X11 (org.freedesktop.DBus.Error.NotSupported)");
        let err = classify(&no_bus);
        assert!(matches!(err, KeychainError::Unavailable { .. }), "{err:?}");
        assert!(err.to_string().contains("gnome-keyring"), "{err}");
        assert!(err.to_string().contains("--device-code"), "{err}");
        assert!(err.to_string().contains("nothing was saved"), "{err}");

        let locked = platform("D-Bus error: Cannot create an item in a locked collection (org.freedesktop.Secret.Error.IsLocked)");
        let err = classify(&locked);
        assert!(matches!(err, KeychainError::Locked { .. }), "{err:?}");
        assert!(
            err.to_string().contains("unlock your login keyring"),
            "{err}"
        );

        let no_collection = keyring::Error::NoStorageAccess(Box::new(std::io::Error::other(
            "Secret Service: no result found",
        )));
        assert!(matches!(
            classify(&no_collection),
            KeychainError::Unavailable { .. }
        ));
        let nothing_on_the_bus = platform(
            "DBus error: The name org.freedesktop.secrets was not provided by any .service files",
        );
        assert!(matches!(
            classify(&nothing_on_the_bus),
            KeychainError::Unavailable { .. }
        ));
        let no_provider = platform("No DBus session or Secret Service provider found");
        assert!(matches!(
            classify(&no_provider),
            KeychainError::Unavailable { .. }
        ));
        let mac_locked = keyring::Error::NoStorageAccess(Box::new(std::io::Error::other(
            "User interaction is not allowed.",
        )));
        assert!(matches!(
            classify(&mac_locked),
            KeychainError::Locked { .. }
        ));
        assert!(matches!(
            classify(&platform("The stub received bad data.")),
            KeychainError::Platform { .. }
        ));
    }
}
