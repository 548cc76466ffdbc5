//! Role credentials kept for reuse during a sign-in: one small keychain entry per account and role
//! ([`EntryKey::role_credentials`]), and a plain index file in the state folder that names the
//! account/role pairs held, so that sign-out and end of shift can delete every entry.
//!
//! Promises: a launch reads only the entry of the role it opens with (one keychain read, whatever
//! the size of the organisation); the index holds no secret, only account ids and role names, and
//! is written atomically; [`forget`] deletes every entry the index names, every role the saved
//! catalog can launch with, and the single combined entry earlier versions kept, then the index;
//! that combined entry is also deleted the first time credentials are stored under this layout.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::deps::Deps;
use crate::keychain::{EntryKey, KeychainError, SecretStore};
use crate::portal::RoleCredentials;
use crate::secret::Secret;
use crate::session::{remove_if_present, write_atomic, SessionError};
use crate::start_url::StartUrl;

/// The index of stored role credentials, in the state folder.
pub const INDEX_FILE: &str = "role-credentials.json";

/// The index file's format.
const INDEX_FORMAT_VERSION: u32 = 1;

/// The index file in a state folder.
pub fn index_path(state_dir: &Path) -> PathBuf {
    state_dir.join(INDEX_FILE)
}

/// One account/role pair whose credentials are in the keychain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Held {
    pub account_id: String,
    pub role_name: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct IndexFile {
    version: u32,
    /// The start URL the entries belong to.
    start_url: String,
    roles: BTreeSet<Held>,
}

/// Why stored role credentials could not be kept or forgotten.
#[derive(Debug, thiserror::Error)]
pub enum RoleCredentialsError {
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(transparent)]
    File(#[from] SessionError),
}

/// The pairs the index names for `start_url`; none when there is no index, it is damaged, or it
/// belongs to another start URL.
pub fn held(state_dir: &Path, start_url: &StartUrl) -> BTreeSet<Held> {
    read_index(state_dir)
        .filter(|i| i.start_url == start_url.as_str())
        .map(|i| i.roles)
        .unwrap_or_default()
}

/// The start URL the index belongs to, if there is a readable index.
pub fn indexed_start_url(state_dir: &Path) -> Option<String> {
    read_index(state_dir).map(|i| i.start_url)
}

fn read_index(state_dir: &Path) -> Option<IndexFile> {
    let bytes = std::fs::read(index_path(state_dir)).ok()?;
    serde_json::from_slice::<IndexFile>(&bytes)
        .ok()
        .filter(|i| i.version == INDEX_FORMAT_VERSION)
}

fn write_index(
    state_dir: &Path,
    start_url: &StartUrl,
    roles: BTreeSet<Held>,
) -> Result<(), SessionError> {
    let file = IndexFile {
        version: INDEX_FORMAT_VERSION,
        start_url: start_url.as_str().to_owned(),
        roles,
    };
    write_atomic(
        &index_path(state_dir),
        &serde_json::to_vec_pretty(&file).expect("the index serialises"),
    )
}

/// One role's credentials as stored: `access key id`, `expiry (epoch seconds)`, secret key and
/// session token, one a line, so the entry stays small (no field names).
fn encode(c: &RoleCredentials) -> Secret {
    let text = zeroize::Zeroizing::new(format!(
        "{}\n{}\n{}\n{}",
        c.access_key_id,
        crate::session::epoch(c.expiration),
        c.secret_access_key.expose(),
        c.session_token.expose()
    ));
    Secret::new(text.as_str())
}

fn decode(stored: &Secret) -> Option<RoleCredentials> {
    let mut lines = stored.expose().splitn(4, '\n');
    let access_key_id = lines.next()?.to_owned();
    let expires_at: u64 = lines.next()?.parse().ok()?;
    let secret_access_key = Secret::new(lines.next()?);
    let session_token = Secret::new(lines.next()?);
    if access_key_id.is_empty() || session_token.expose().is_empty() {
        return None;
    }
    Some(RoleCredentials {
        access_key_id,
        secret_access_key,
        session_token,
        expiration: UNIX_EPOCH + Duration::from_secs(expires_at),
    })
}

/// Keeps role credentials in the keychain for reuse (one entry each) and names them in the index.
pub fn remember(
    deps: &Deps,
    start_url: &StartUrl,
    found: &[(String, String, RoleCredentials)],
) -> Result<(), RoleCredentialsError> {
    if found.is_empty() {
        return Ok(());
    }
    let state = &deps.dirs.state;
    let index = read_index(state).filter(|i| i.start_url == start_url.as_str());
    if index.is_none() {
        // The first store under this layout: the combined value of earlier versions goes.
        deps.store
            .delete(&EntryKey::legacy_role_credentials(start_url))?;
    }
    let mut roles = index.map(|i| i.roles).unwrap_or_default();
    let before = roles.len();
    let mut added = Vec::new();
    for (account, role, _) in found {
        let pair = Held {
            account_id: account.clone(),
            role_name: role.clone(),
        };
        if roles.insert(pair.clone()) {
            added.push(pair);
        }
    }
    // The index first: an entry the index does not name could outlive a sign-out.
    if roles.len() != before || !index_path(state).exists() {
        write_index(state, start_url, roles)?;
    }
    for (account, role, c) in found {
        let key = EntryKey::role_credentials(start_url, account, role);
        let value = encode(c);
        deps.store.set(&key, &value)?;
        cache(deps, &key, &value, c);
    }
    tracing::debug!(
        stored = found.len(),
        new = added.len(),
        "kept role credentials"
    );
    Ok(())
}

/// Keeps a copy of a role's stored value where the store can read it back cheaply, for the
/// credentials' remaining life.
fn cache(deps: &Deps, key: &EntryKey, value: &Secret, c: &RoleCredentials) {
    if let Ok(left) = c.expiration.duration_since(deps.clock.now()) {
        deps.store.cache_for(key, value, left);
    }
}

/// Stored credentials for a role with at least `margin` left at `deps`' now: the store's cached
/// copy (Linux: the kernel session keyring, no D-Bus), else one keychain read, cached for next time.
pub fn stored(
    deps: &Deps,
    start_url: &StartUrl,
    account_id: &str,
    role_name: &str,
    margin: Duration,
) -> Result<Option<RoleCredentials>, KeychainError> {
    let key = EntryKey::role_credentials(start_url, account_id, role_name);
    let now = deps.clock.now();
    if let Some(c) = deps
        .store
        .cached(&key)
        .and_then(|raw| decode(&raw))
        .filter(|c| c.valid_at(now, margin))
    {
        return Ok(Some(c));
    }
    let Some(raw) = deps.store.get(&key)? else {
        return Ok(None);
    };
    let valid = decode(&raw).filter(|c| c.valid_at(now, margin));
    if let Some(c) = &valid {
        cache(deps, &key, &raw, c);
    }
    Ok(valid)
}

/// Deletes every stored role credential of `start_url`: those the index names, those of every
/// role the saved catalog launches with (in case the index was lost), and the combined value of
/// earlier versions; then the index.
pub fn forget(
    store: &dyn SecretStore,
    state: &Path,
    start_url: &StartUrl,
) -> Result<(), RoleCredentialsError> {
    // Every cached copy first, even of roles neither the index nor the catalog names.
    store.clear_cache();
    let mut roles = held(state, start_url);
    if let crate::catalog::CacheRead::Loaded(catalog) =
        crate::catalog::read_cache(&crate::catalog::cache_path(state))
    {
        roles.extend(catalog_roles(&catalog.entries));
    }
    for pair in &roles {
        store.delete(&EntryKey::role_credentials(
            start_url,
            &pair.account_id,
            &pair.role_name,
        ))?;
    }
    store.delete(&EntryKey::legacy_role_credentials(start_url))?;
    remove_if_present(&index_path(state))?;
    Ok(())
}

/// Every account/role a catalog launches with through a permission set.
fn catalog_roles(entries: &[crate::catalog::CatalogEntry]) -> BTreeSet<Held> {
    use crate::catalog::{LaunchMethod, PinnedVia};
    entries
        .iter()
        .flat_map(|e| &e.launch_methods)
        .filter_map(|m| match m {
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
            } => Some(Held {
                account_id: account_id.clone(),
                role_name: role_name.clone(),
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(token: &str, expires: u64) -> RoleCredentials {
        RoleCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("wJalr/secret+key"),
            session_token: Secret::new(token),
            expiration: UNIX_EPOCH + Duration::from_secs(expires),
        }
    }

    #[test]
    fn an_entry_round_trips_and_stays_small() {
        let c = creds(
            "IQoJb3JpZ2luX2Vj\nnot-a-line-break-in-real-life",
            1_800_000_000,
        );
        let back = decode(&encode(&c)).expect("decodes");
        assert_eq!(back.access_key_id, c.access_key_id);
        assert_eq!(
            back.secret_access_key.expose(),
            c.secret_access_key.expose()
        );
        assert_eq!(back.session_token.expose(), c.session_token.expose());
        assert_eq!(back.expiration, c.expiration);
        assert!(decode(&Secret::new("garbage")).is_none());
        assert!(decode(&Secret::new("AKID\nnot-a-number\ns\nt")).is_none());
    }
}
