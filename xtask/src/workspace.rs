//! Where things are: the repository root, the cargo target directory and what lives in it.
//!
//! Promises: every path is absolute; `CARGO_TARGET_DIR` is respected (a relative one is taken from
//! the current directory, as cargo does) and handed on absolute to every child process.

use std::path::PathBuf;

use anyhow::{Context, Result};

/// The checkout `cargo xtask` runs in.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
}

impl Workspace {
    pub fn locate() -> Result<Workspace> {
        // `cargo run` (the `cargo xtask` alias) sets CARGO_MANIFEST_DIR for the process: prefer
        // it to the path baked in at compile time, because one target directory is shared by
        // several checkouts (CI's fresh clone, worktrees) and cargo may reuse a binary built
        // from another checkout, which would then test that checkout instead of this one.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir
            .parent()
            .context("xtask is not inside a workspace")?
            .to_path_buf();
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => {
                let dir = PathBuf::from(dir);
                if dir.is_absolute() {
                    dir
                } else {
                    std::env::current_dir()
                        .context("reading the current directory")?
                        .join(dir)
                }
            }
            None => root.join("target"),
        };
        Ok(Workspace { root, target_dir })
    }

    /// The Python venv the botocore suite runs in; it lives with the build so CI keeps it.
    pub fn py_venv(&self) -> PathBuf {
        self.target_dir.join("py-venv")
    }

    /// The venv's interpreter.
    pub fn venv_python(&self) -> PathBuf {
        self.py_venv().join("bin").join("python")
    }

    /// The botocore suite.
    pub fn botocore_suite(&self) -> PathBuf {
        self.root.join("tests").join("botocore")
    }

    /// The debug build of the emulator binary.
    pub fn emulator_bin(&self) -> PathBuf {
        self.target_dir.join("debug").join("aws-emulator")
    }

    /// The desktop session script.
    pub fn session_script(&self) -> PathBuf {
        self.root.join("xtask").join("session.sh")
    }

    /// The demo organisation's fixture.
    pub fn demo_fixture(&self) -> PathBuf {
        self.root
            .join("crates")
            .join("aws-emulator")
            .join("fixtures")
            .join("demo.toml")
    }

    /// The front end, once it exists.
    /// The browser tests' npm project (playwright-core driving Debian's Chromium).
    pub fn browser_tests_dir(&self) -> PathBuf {
        self.root.join("tests").join("browser")
    }

    pub fn ui_dir(&self) -> PathBuf {
        self.root.join("ui")
    }
}
