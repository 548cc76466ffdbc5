//! The package-size row of `cargo xtask bench`: the release `.deb` that `cargo xtask dist` builds,
//! held to issue 7's target of 15 MB, over what it unpacks to.
//!
//! Promises: a full run builds the packages afresh (so the size is this tree's); `--quick` builds
//! nothing and measures the `.deb` a previous `dist` left, or leaves the row out and says so.

use std::process::Command;

use anyhow::{Context, Result};

use super::{Row, Scale};
use crate::dist::{self, Packages, Profile};
use crate::workspace::Workspace;

/// The row, or `None` when `--quick` found no package to measure.
pub fn measure(ws: &Workspace, scale: Scale) -> Result<Option<Row>> {
    let packages = if scale.quick {
        match Packages::existing(ws, Profile::Release) {
            Some(p) => {
                println!(
                    "package size: --quick measures the .deb a previous `cargo xtask dist` left: {}",
                    p.deb.display()
                );
                p
            }
            None => {
                println!(
                    "package size: left out: --quick builds no packages and {} holds none \
                     (run `cargo xtask dist` first)",
                    Packages::dir(ws, Profile::Release).display()
                );
                return Ok(None);
            }
        }
    } else {
        dist::dist(ws, Profile::Release).context("building the packages")?
    };
    let deb = dist::file_size(&packages.deb)?;
    let rpm = dist::file_size(&packages.rpm)?;
    let out = Command::new("dpkg-deb")
        .args(["--field"])
        .arg(&packages.deb)
        .arg("Installed-Size")
        .output()
        .context("running dpkg-deb")?;
    let installed_kib: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .with_context(|| format!("no Installed-Size in {}", packages.deb.display()))?;
    Ok(Some(row(deb, rpm, installed_kib * 1024)))
}

/// The row from the sizes in bytes.
pub fn row(deb: u64, rpm: u64, installed: u64) -> Row {
    Row {
        name: "Package size (the release `.deb`)".into(),
        measured: format!(
            "{:.2} MB (the RPM: {:.2} MB)",
            deb as f64 / 1e6,
            rpm as f64 / 1e6
        ),
        floor: format!(
            "{:.2} MB unpacked (`Installed-Size`)",
            installed as f64 / 1e6
        ),
        ratio: super::ratio(deb as f64, installed as f64),
        target: format!("< {} MB", dist::DEB_TARGET_BYTES / 1_000_000),
        met: deb < dist::DEB_TARGET_BYTES,
    }
}

/// What the row measures, for BENCHMARKS.md.
pub const EXPLANATION: &str = "\
- **Package size**: the release `.deb` built by `cargo xtask dist` (the Tauri bundler; the \
desktop app and `connect-launcher`, the desktop entry, icons and the example policy), in MB of \
10^6 bytes, against the target of 15 MB; the ratio is the package over what it unpacks to (its \
`Installed-Size`). `--quick` builds no packages: it measures the `.deb` a previous \
`cargo xtask dist` left, or leaves the row out.\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_15_mb() {
        let r = row(4_500_000, 5_000_000, 18_000_000);
        assert!(r.met);
        assert_eq!(r.measured, "4.50 MB (the RPM: 5.00 MB)");
        assert_eq!(r.floor, "18.00 MB unpacked (`Installed-Size`)");
        assert!((r.ratio - 0.25).abs() < 1e-9);
        assert_eq!(r.target, "< 15 MB");
        assert!(!row(15_000_000, 1, 30_000_000).met);
    }
}
