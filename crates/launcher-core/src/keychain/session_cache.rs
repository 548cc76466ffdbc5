//! A cache of short-lived secrets in the Linux kernel's key retention service (keyutils), in front
//! of the Secret Service.
//!
//! Why: reading one Secret Service entry costs a new D-Bus connection and a Diffie-Hellman
//! handshake for the encrypted transfer session, about 6 ms, half of a launch with warm role
//! credentials. A kernel key is read with two system calls.
//!
//! Promises:
//! - Only what the caller marks short-lived is cached (role credentials, which AWS gives for an hour
//!   to twelve), each with a kernel timeout no longer than its remaining life; the kernel destroys
//!   it then, and with the login session's keyring when the user logs out of the computer.
//! - The keys live in the login session's keyring: readable only by processes that possess it
//!   (the user's processes of this login session); the key's permissions give the user no more than
//!   seeing that it exists, and the group and everyone else nothing. Never on disk.
//! - The Secret Service stays the record: a value is cached only after it is stored there or read
//!   from there, a write or a delete through [`super::OsKeychain`] drops the cached copy first, and
//!   sign-out and end of shift clear every key of the service.
//! - Every failure (no keyutils, a seccomp filter that refuses `keyctl`, the key quota) is a miss,
//!   never an error: the keychain answers instead.

use std::time::Duration;

use crate::secret::Secret;

/// The longest a value is cached, whatever its life: role credentials last at most 12 hours.
pub const MAX_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// The kernel's limit on a user key's payload, in bytes.
const MAX_PAYLOAD_BYTES: usize = 32_767;

/// The cached keys of one keychain service, named `{service}:{entry name}`.
#[derive(Debug, Clone)]
pub struct SessionCache {
    prefix: String,
}

impl SessionCache {
    /// The cache of the keychain service `service`.
    pub fn new(service: &str) -> Self {
        Self {
            prefix: format!("{service}:"),
        }
    }

    /// The kernel key description of the entry `name`.
    pub fn description(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The cached value of `name`, if it is there and still alive.
    pub fn get(&self, name: &str) -> Option<Secret> {
        imp::get(&self.description(name))
    }

    /// Caches `value` under `name` for `lifetime` (at most [`MAX_LIFETIME`]); values with less than
    /// a second to live, or too large for a kernel key, are not cached. True if it was cached.
    pub fn put(&self, name: &str, value: &Secret, lifetime: Duration) -> bool {
        let lifetime = lifetime.min(MAX_LIFETIME);
        if lifetime.as_secs() == 0 || value.expose().len() > MAX_PAYLOAD_BYTES {
            self.remove(name);
            return false;
        }
        imp::put(&self.description(name), value, lifetime)
    }

    /// Drops the cached copy of `name`, if any.
    pub fn remove(&self, name: &str) {
        imp::remove(&self.description(name));
    }

    /// Drops every cached key of this service from the session keyring. Returns how many.
    pub fn clear(&self) -> usize {
        imp::clear(&self.prefix)
    }

    /// Whether this process can use the kernel's session keyring at all (for `doctor`).
    pub fn available() -> Result<(), String> {
        imp::available()
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::time::Duration;

    use linux_keyutils::{Key, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
    use zeroize::Zeroizing;

    use crate::secret::Secret;

    fn session() -> Option<KeyRing> {
        KeyRing::from_special_id(KeyRingIdentifier::Session, false).ok()
    }

    fn find(description: &str) -> Option<Key> {
        session()?.search(description).ok()
    }

    pub fn get(description: &str) -> Option<Secret> {
        let key = find(description)?;
        // Our own buffer, zeroed when dropped (the crate's read_to_vec would leave a copy behind).
        let mut buffer = Zeroizing::new(vec![0u8; 4096]);
        let mut len = key.read(&mut *buffer).ok()?;
        if len > buffer.len() {
            buffer = Zeroizing::new(vec![0u8; len]);
            len = key.read(&mut *buffer).ok()?;
        }
        let text = std::str::from_utf8(buffer.get(..len)?).ok()?;
        Some(Secret::new(text))
    }

    pub fn put(description: &str, value: &Secret, lifetime: Duration) -> bool {
        let Some(ring) = session() else {
            return false;
        };
        let Ok(key) = ring.add_key(description, value.expose().as_bytes()) else {
            return false;
        };
        // Possessors (this login session's processes) may use it; the user may only see that it
        // exists; group and world nothing. A key whose limits cannot be set is not kept.
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .user(Permission::VIEW)
            .build();
        let secs = usize::try_from(lifetime.as_secs()).unwrap_or(usize::MAX);
        if key.set_perms(perms).is_err() || key.set_timeout(secs).is_err() {
            let _ = key.invalidate();
            return false;
        }
        true
    }

    pub fn remove(description: &str) {
        // A search finds only live keys and skips invalidated ones, so this ends when none is
        // left (one in the session keyring, perhaps another in a keyring linked to it); bounded
        // all the same, so a kernel that answered otherwise could not hold a sign-out forever.
        for _ in 0..8 {
            match find(description) {
                Some(key) if key.invalidate().is_ok() => {}
                _ => break,
            }
        }
    }

    pub fn clear(prefix: &str) -> usize {
        let Some(ring) = session() else {
            return 0;
        };
        let Ok(links) = ring.get_links(4096) else {
            return 0;
        };
        links
            .iter()
            .filter_map(|node| node.as_key())
            .filter(|key| {
                key.metadata()
                    .is_ok_and(|m| m.get_description().starts_with(prefix))
            })
            .filter(|key| key.invalidate().is_ok())
            .count()
    }

    pub fn available() -> Result<(), String> {
        let ring = KeyRing::from_special_id(KeyRingIdentifier::Session, false)
            .map_err(|e| format!("the kernel session keyring is not reachable ({e})"))?;
        ring.metadata()
            .map(|_| ())
            .map_err(|e| format!("the kernel session keyring cannot be read ({e})"))
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    //! The platform keychains of macOS and Windows answer in-process and need no cache.
    use std::time::Duration;

    use crate::secret::Secret;

    pub fn get(_description: &str) -> Option<Secret> {
        None
    }
    pub fn put(_description: &str, _value: &Secret, _lifetime: Duration) -> bool {
        false
    }
    pub fn remove(_description: &str) {}
    pub fn clear(_prefix: &str) -> usize {
        0
    }
    pub fn available() -> Result<(), String> {
        Err("not used on this platform".into())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A cache no other test shares.
    fn cache(test: &str) -> SessionCache {
        SessionCache::new(&format!(
            "connect-launcher-test-{test}-{}",
            uuid::Uuid::new_v4().simple()
        ))
    }

    /// The `/proc/keys` line of a key, as the kernel shows it to this process.
    fn proc_keys_line(description: &str) -> Option<String> {
        std::fs::read_to_string("/proc/keys")
            .expect("/proc/keys is readable")
            .lines()
            // ID FLAGS USAGE TIMEOUT PERM UID GID TYPE, then `description: payload length`.
            .find(|line| line.ends_with(&format!(" {description}: 1")))
            .map(str::to_owned)
    }

    #[test]
    fn a_value_round_trips_and_is_gone_after_remove() {
        SessionCache::available().expect("this machine has a kernel session keyring");
        let cache = cache("round-trip");
        assert!(cache.get("roles:a").is_none());
        assert!(cache.put(
            "roles:a",
            &Secret::new("AKID\n1800000000\nsecret\ntoken"),
            Duration::from_secs(600)
        ));
        assert_eq!(
            cache.get("roles:a").expect("cached").expose(),
            "AKID\n1800000000\nsecret\ntoken"
        );
        assert!(
            cache.put("roles:a", &Secret::new("newer"), Duration::from_secs(600)),
            "a second put replaces the value"
        );
        assert_eq!(cache.get("roles:a").expect("cached").expose(), "newer");
        cache.remove("roles:a");
        assert!(cache.get("roles:a").is_none());
        cache.remove("roles:a");
    }

    #[test]
    fn a_key_dies_with_the_value_and_only_possessors_may_read_it() {
        let cache = cache("limits");
        assert!(cache.put("roles:b", &Secret::new("v"), Duration::from_secs(3 * 3600)));
        let line = proc_keys_line(&cache.description("roles:b")).expect("listed in /proc/keys");
        let fields: Vec<&str> = line.split_whitespace().collect();
        let timeout = fields[3];
        let hours: u64 = timeout
            .strip_suffix('h')
            .and_then(|h| h.parse().ok())
            .unwrap_or_else(|| panic!("a timeout in hours, not {timeout:?}: {line}"));
        assert!((2..=3).contains(&hours), "{line}");
        let perm = u32::from_str_radix(fields[4], 16).expect("hex permissions");
        assert_eq!(perm, 0x3f01_0000, "possessor all, user view only: {line}");
        cache.remove("roles:b");
    }

    #[test]
    fn the_lifetime_is_capped_and_a_value_about_to_die_is_not_cached() {
        let cache = cache("lifetimes");
        assert!(cache.put("long", &Secret::new("v"), Duration::from_secs(90 * 86_400)));
        let line = proc_keys_line(&cache.description("long")).expect("listed");
        let timeout = line.split_whitespace().nth(3).expect("timeout field");
        assert!(
            timeout == "12h" || timeout == "11h",
            "capped at 12 hours: {line}"
        );
        assert!(cache.put("short", &Secret::new("v"), Duration::from_secs(5)));
        assert!(!cache.put("short", &Secret::new("v"), Duration::from_millis(900)));
        assert!(
            cache.get("short").is_none(),
            "the older copy was dropped too"
        );
        assert!(!cache.put(
            "huge",
            &Secret::new("x".repeat(MAX_PAYLOAD_BYTES + 1)),
            Duration::from_secs(60)
        ));
        cache.clear();
    }

    #[test]
    fn clear_drops_every_key_of_the_service_and_no_other() {
        let ours = cache("clear-ours");
        let theirs = cache("clear-theirs");
        for name in ["roles:1", "roles:2", "roles:3"] {
            assert!(ours.put(name, &Secret::new("v"), Duration::from_secs(60)));
        }
        assert!(theirs.put("roles:1", &Secret::new("w"), Duration::from_secs(60)));
        assert_eq!(ours.clear(), 3);
        assert!(ours.get("roles:2").is_none());
        assert_eq!(theirs.get("roles:1").expect("kept").expose(), "w");
        assert_eq!(theirs.clear(), 1);
    }
}
