//! The instances the person starred: the window lists them first, and so does the tray.
//!
//! Promises: favourites are a small JSON file of instance ids in the state folder, written
//! atomically; a damaged, unreadable or unknown-format file is ignored with a warning (the
//! favourites it held are forgotten), never a crash; nothing in it is secret; end of shift removes
//! it with the rest of the user's state.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::session::{remove_if_present, write_atomic, SessionError};

/// The favourites file, in the state folder.
pub const FAVOURITES_FILE: &str = "favourites.json";
/// The file's format; a file of another format is ignored.
pub const FAVOURITES_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct FavouritesFile {
    version: u32,
    instances: BTreeSet<String>,
}

/// The favourites file in a state folder.
pub fn favourites_path(state_dir: &Path) -> PathBuf {
    state_dir.join(FAVOURITES_FILE)
}

/// The starred instance ids; none when there is no file or it cannot be used.
pub fn load(state_dir: &Path) -> BTreeSet<String> {
    let path = favourites_path(state_dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return BTreeSet::new(),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the favourites file; ignoring it");
            return BTreeSet::new();
        }
    };
    match serde_json::from_slice::<FavouritesFile>(&bytes) {
        Ok(file) if file.version == FAVOURITES_FORMAT_VERSION => file.instances,
        Ok(file) => {
            tracing::warn!(path = %path.display(), version = file.version, "the favourites file has an unknown format; ignoring it");
            BTreeSet::new()
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "the favourites file is damaged; ignoring it");
            BTreeSet::new()
        }
    }
}

/// Stars (`favourite`) or unstars an instance. Unchanged favourites are not written again.
pub fn set(state_dir: &Path, instance_id: &str, favourite: bool) -> Result<(), SessionError> {
    let mut instances = load(state_dir);
    let changed = if favourite {
        instances.insert(instance_id.to_owned())
    } else {
        instances.remove(instance_id)
    };
    if !changed {
        return Ok(());
    }
    let file = FavouritesFile {
        version: FAVOURITES_FORMAT_VERSION,
        instances,
    };
    let bytes = serde_json::to_vec_pretty(&file).expect("favourites serialise");
    write_atomic(&favourites_path(state_dir), &bytes)
}

/// Forgets every favourite (end of shift).
pub fn forget_all(state_dir: &Path) -> Result<(), SessionError> {
    remove_if_present(&favourites_path(state_dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn favourites_are_set_unset_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), ids(&[]));
        set(dir.path(), "b", true).unwrap();
        set(dir.path(), "a", true).unwrap();
        set(dir.path(), "a", true).unwrap();
        assert_eq!(load(dir.path()), ids(&["a", "b"]));
        set(dir.path(), "b", false).unwrap();
        set(dir.path(), "never-starred", false).unwrap();
        assert_eq!(load(dir.path()), ids(&["a"]));
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(favourites_path(dir.path())).unwrap()).unwrap();
        assert_eq!(
            written,
            serde_json::json!({"version": FAVOURITES_FORMAT_VERSION, "instances": ["a"]})
        );
        forget_all(dir.path()).unwrap();
        assert_eq!(load(dir.path()), ids(&[]));
        forget_all(dir.path()).expect("forgetting twice is fine");
    }

    #[test]
    fn a_damaged_or_unknown_file_is_ignored_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = favourites_path(dir.path());
        std::fs::write(&path, b"{\"version\":1,\"instances\":[").unwrap();
        assert_eq!(load(dir.path()), ids(&[]));
        set(dir.path(), "a", true).unwrap();
        assert_eq!(load(dir.path()), ids(&["a"]));
        std::fs::write(&path, b"{\"version\":99,\"instances\":[\"x\"]}").unwrap();
        assert_eq!(load(dir.path()), ids(&[]));
    }

    #[test]
    fn setting_creates_the_state_folder() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("not-yet");
        set(&state, "a", true).unwrap();
        assert_eq!(load(&state), ids(&["a"]));
    }
}
