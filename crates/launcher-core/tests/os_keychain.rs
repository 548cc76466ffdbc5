//! The real operating-system keychain (Secret Service on Linux), never a mock. CI runs this inside
//! `dbus-run-session` with an unlocked gnome-keyring; anywhere without a keychain it fails, loudly.

use launcher_core::keychain::{
    entry_name, EntryKey, OsKeychain, Part, SecretStore, MAX_ENTRY_UTF16_UNITS,
};
use launcher_core::secret::Secret;
use launcher_core::start_url::StartUrl;

const HOW_TO_RUN: &str = "this test needs the real OS keychain; on Linux run it inside a D-Bus \
session with an unlocked gnome-keyring: dbus-run-session -- bash -c 'export XDG_DATA_HOME=$(mktemp -d); \
eval \"$(printf %s pass | gnome-keyring-daemon --unlock --components=secrets)\"; cargo test -p launcher-core'";

fn raw_entry_exists(service: &str, name: &str) -> bool {
    match keyring::Entry::new(service, name).and_then(|entry| entry.get_password()) {
        Ok(_) => true,
        Err(keyring::Error::NoEntry) => false,
        Err(err) => panic!("{HOW_TO_RUN}\nreading {name}: {err}"),
    }
}

#[test]
fn os_keychain_round_trip_with_chunks_and_delete() {
    let service = format!("connect-launcher-test-{}", uuid::Uuid::new_v4());
    let key = EntryKey::session(
        &StartUrl::parse("https://d-1234567890.awsapps.com/start", false).expect("valid"),
    );
    let store = OsKeychain::with_service(&service);

    store
        .set(&key, &Secret::new("small-secret"))
        .unwrap_or_else(|err| panic!("{HOW_TO_RUN}\nset failed: {err}"));
    // A fresh handle reads what was stored: it persisted in the keychain, not in this process.
    let fresh = OsKeychain::with_service(&service);
    assert_eq!(
        fresh.get(&key).expect("get").expect("stored").expose(),
        "small-secret"
    );

    let big = "R".repeat(MAX_ENTRY_UTF16_UNITS * 3 + 7);
    store
        .set(&key, &Secret::new(big.clone()))
        .expect("chunked set");
    assert!(raw_entry_exists(
        &service,
        &entry_name(&key, Part::Chunk(4))
    ));
    assert!(!raw_entry_exists(
        &service,
        &entry_name(&key, Part::Chunk(5))
    ));
    assert_eq!(
        fresh
            .get(&key)
            .expect("chunked get")
            .expect("stored")
            .expose(),
        big
    );

    store.delete(&key).expect("delete");
    assert!(fresh.get(&key).expect("get after delete").is_none());
    for part in [Part::Header, Part::Chunk(1), Part::Chunk(4)] {
        let name = entry_name(&key, part);
        assert!(
            !raw_entry_exists(&service, &name),
            "{name} survived the delete"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_cached_copy_never_outlives_a_write_or_a_delete() {
    use std::time::Duration;
    let service = format!("connect-launcher-test-{}", uuid::Uuid::new_v4());
    let key = EntryKey::role_credentials(
        &StartUrl::parse("https://d-1234567890.awsapps.com/start", false).expect("valid"),
        "123456789012",
        "ConnectAgent",
    );
    let store = OsKeychain::with_service(&service);
    let hour = Duration::from_secs(3600);
    store
        .set(&key, &Secret::new("first"))
        .unwrap_or_else(|err| panic!("{HOW_TO_RUN}\nset failed: {err}"));
    store.cache_for(&key, &Secret::new("first"), hour);
    // Another process (a fresh handle) of this login session reads the kernel's copy.
    let fresh = OsKeychain::with_service(&service);
    assert_eq!(fresh.cached(&key).expect("cached").expose(), "first");

    store.set(&key, &Secret::new("second")).expect("set");
    assert!(fresh.cached(&key).is_none(), "a write drops the old copy");
    assert_eq!(
        fresh.get(&key).expect("get").expect("stored").expose(),
        "second"
    );

    store.cache_for(&key, &Secret::new("second"), hour);
    store.delete(&key).expect("delete");
    assert!(fresh.cached(&key).is_none(), "a delete drops the copy");

    store.cache_for(&key, &Secret::new("third"), hour);
    store.clear_cache();
    assert!(fresh.cached(&key).is_none(), "clearing drops every copy");
    assert!(store.get(&key).expect("get").is_none());
}
