//! The log file: `connect-launcher.log` in the state folder's `logs/`, rotated by size, every line
//! passed through [`crate::redaction`] before it reaches the disk.
//!
//! Promises: the file never grows past [`MAX_LOG_BYTES`] (the oldest of [`KEPT_LOGS`] rotated
//! files is dropped); a write that fails never fails the program (logging is best effort); the
//! file is created readable by its owner only on Unix.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The log file's name.
pub const LOG_FILE: &str = "connect-launcher.log";
/// Rotate when the file reaches this size.
pub const MAX_LOG_BYTES: u64 = 5 * 1024 * 1024;
/// How many rotated files to keep (`.1` newest … `.N` oldest).
pub const KEPT_LOGS: usize = 4;

/// The folder logs go in.
pub fn log_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("logs")
}

/// An append-only, size-rotated, redacting log file.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    file: Option<File>,
    size: u64,
}

fn open_append(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

impl LogFile {
    /// Opens (creating the folder and file) the log in `dir`.
    pub fn open(dir: &Path) -> io::Result<LogFile> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(LOG_FILE);
        let file = open_append(&path)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(LogFile {
            path,
            file: Some(file),
            size,
        })
    }

    /// The rotated file `n` (1 is the newest).
    pub fn rotated(&self, n: usize) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        let _ = std::fs::remove_file(self.rotated(KEPT_LOGS));
        for n in (1..KEPT_LOGS).rev() {
            let from = self.rotated(n);
            if from.exists() {
                std::fs::rename(&from, self.rotated(n + 1))?;
            }
        }
        std::fs::rename(&self.path, self.rotated(1))?;
        self.file = Some(open_append(&self.path)?);
        self.size = 0;
        Ok(())
    }
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size + buf.len() as u64 > MAX_LOG_BYTES && self.size > 0 {
            // Best effort: if rotation fails, keep appending rather than lose the line.
            let _ = self.rotate();
        }
        let text = String::from_utf8_lossy(buf);
        let clean = crate::redaction::redact(&text);
        if let Some(f) = self.file.as_mut() {
            f.write_all(clean.as_bytes())?;
            self.size += clean.len() as u64;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_and_redacts() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = LogFile::open(dir.path()).unwrap();
        let line = format!("token aoa{} here\n", "x".repeat(40));
        log.write_all(line.as_bytes()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(LOG_FILE)).unwrap();
        assert_eq!(text, "token aoa[redacted] here\n");

        let big = "y".repeat(1024 * 1024);
        for _ in 0..(KEPT_LOGS + 2) * 6 {
            log.write_all(big.as_bytes()).unwrap();
        }
        assert!(std::fs::metadata(dir.path().join(LOG_FILE)).unwrap().len() <= MAX_LOG_BYTES);
        assert!(log.rotated(KEPT_LOGS).exists());
        assert!(
            !log.rotated(KEPT_LOGS + 1).exists(),
            "no more than KEPT_LOGS rotated files"
        );
    }
}
