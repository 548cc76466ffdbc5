//! The record of Connect launches: which instance was opened, where, and when, so that the
//! clocks can count Connect's fixed session from each launch.
//!
//! Promises: the record is a small JSON file in the state folder, written atomically; it keeps
//! only the last [`LAUNCH_HISTORY`] launches; a damaged or unreadable file is ignored with a
//! warning (the launches it held are forgotten), never a crash; nothing in it is secret.
//! Two processes recording at the same moment may lose one of the two records; the clocks then
//! miss one warning, which is the price of staying lock-free here.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::session::{remove_if_present, stage_atomic, SessionError, StagedWrite};

/// The launches file, in the state folder.
pub const LAUNCHES_FILE: &str = "launches.json";
/// How many launches the file keeps (the newest).
pub const LAUNCH_HISTORY: usize = 50;
/// The file's format; a file of another format is ignored.
pub const LAUNCHES_FORMAT_VERSION: u32 = 1;

/// One launch of a Connect instance in the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launch {
    pub instance_id: String,
    pub alias: Option<String>,
    pub region: String,
    /// The page opened, as configured: `ccp`, `agent-workspace`, `admin`, a path or an origin.
    pub destination: String,
    /// Epoch seconds of the launch.
    pub launched_at: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct LaunchesFile {
    version: u32,
    launches: Vec<Launch>,
}

/// The launches file in a state folder.
pub fn launches_path(state_dir: &Path) -> PathBuf {
    state_dir.join(LAUNCHES_FILE)
}

/// Adds a launch to the record, dropping the oldest beyond [`LAUNCH_HISTORY`].
pub fn record(state_dir: &Path, launch: Launch) -> Result<(), SessionError> {
    stage(state_dir, launch)?.commit()
}

/// [`record`] in two halves: the new record is written beside the file and flushed to disk now
/// (the slow part, done while a launch waits on the network), and takes the file's place only on
/// [`StagedWrite::commit`]; dropped, it leaves the record as it was.
pub fn stage(state_dir: &Path, launch: Launch) -> Result<StagedWrite, SessionError> {
    let mut launches = load(state_dir);
    launches.push(launch);
    let excess = launches.len().saturating_sub(LAUNCH_HISTORY);
    launches.drain(..excess);
    let file = LaunchesFile {
        version: LAUNCHES_FORMAT_VERSION,
        launches,
    };
    let bytes = serde_json::to_vec_pretty(&file).expect("launches serialise");
    stage_atomic(&launches_path(state_dir), &bytes)
}

/// The recorded launches, oldest first; none when there is no file or it cannot be used.
pub fn load(state_dir: &Path) -> Vec<Launch> {
    let path = launches_path(state_dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the launches file; ignoring it");
            return Vec::new();
        }
    };
    match serde_json::from_slice::<LaunchesFile>(&bytes) {
        Ok(file) if file.version == LAUNCHES_FORMAT_VERSION => file.launches,
        Ok(file) => {
            tracing::warn!(path = %path.display(), version = file.version, "the launches file has an unknown format; ignoring it");
            Vec::new()
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "the launches file is damaged; ignoring it");
            Vec::new()
        }
    }
}

/// Forgets every launch (end of shift).
pub fn forget_all(state_dir: &Path) -> Result<(), SessionError> {
    remove_if_present(&launches_path(state_dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(instance_id: &str, launched_at: u64) -> Launch {
        Launch {
            instance_id: instance_id.into(),
            alias: Some(format!("{instance_id}-alias")),
            region: "eu-west-2".into(),
            destination: "ccp".into(),
            launched_at,
        }
    }

    #[test]
    fn launches_round_trip_and_forget() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), []);
        record(dir.path(), launch("a", 10)).unwrap();
        record(dir.path(), launch("b", 20)).unwrap();
        assert_eq!(load(dir.path()), [launch("a", 10), launch("b", 20)]);
        forget_all(dir.path()).unwrap();
        assert_eq!(load(dir.path()), []);
        forget_all(dir.path()).expect("forgetting twice is fine");
    }

    #[test]
    fn launches_staged_record_shows_only_once_committed_and_leaves_nothing_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        record(dir.path(), launch("a", 10)).unwrap();
        let files = || std::fs::read_dir(dir.path()).unwrap().count();

        let staged = stage(dir.path(), launch("b", 20)).unwrap();
        assert_eq!(
            load(dir.path()),
            [launch("a", 10)],
            "not in place before commit"
        );
        staged.commit().unwrap();
        assert_eq!(load(dir.path()), [launch("a", 10), launch("b", 20)]);
        assert_eq!(files(), 1);

        drop(stage(dir.path(), launch("c", 30)).unwrap());
        assert_eq!(load(dir.path()), [launch("a", 10), launch("b", 20)]);
        assert_eq!(files(), 1, "a dropped stage removes its temp file");
    }

    #[test]
    fn launches_damaged_file_is_ignored_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(launches_path(dir.path()), b"{\"version\":1,\"launches\":[{").unwrap();
        assert_eq!(load(dir.path()), []);
        record(dir.path(), launch("a", 10)).unwrap();
        assert_eq!(load(dir.path()), [launch("a", 10)]);

        std::fs::write(
            launches_path(dir.path()),
            br#"{"version":99,"launches":[]}"#,
        )
        .unwrap();
        assert_eq!(load(dir.path()), [], "another format is ignored");
    }

    #[test]
    fn launches_history_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let total = LAUNCH_HISTORY as u64 + 7;
        for at in 0..total {
            record(dir.path(), launch("a", at)).unwrap();
        }
        let kept = load(dir.path());
        assert_eq!(kept.len(), LAUNCH_HISTORY);
        assert_eq!(
            kept.first(),
            Some(&launch("a", total - LAUNCH_HISTORY as u64))
        );
        assert_eq!(kept.last(), Some(&launch("a", total - 1)));
    }
}
