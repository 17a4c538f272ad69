//! `driftvakt check`: validate configuration files, every problem at once.

use std::path::Path;

use anyhow::{Result, bail};
use driftvakt_config::model::Config;

use crate::cli::CheckArgs;
use driftvakt_runtime::out::outln;

/// Check every file; returns the process exit code (0 valid, 1 errors, or warnings with `--deny-warnings`).
pub fn run(args: &CheckArgs) -> Result<i32> {
    let mut errors = 0;
    let mut warnings = 0;
    for file in &args.files {
        let loaded = driftvakt_config::load(file);
        for d in &loaded.diagnostics {
            eprintln!("{d}");
        }
        let (e, w) = (loaded.errors().count(), loaded.warnings().count());
        errors += e;
        warnings += w;
        if e == 0 {
            let config = loaded.config.as_ref();
            let (devices, points) = config.map_or((0, 0), |c| (c.devices.len(), c.points().count()));
            outln!("{}: OK ({devices} devices, {points} points, {w} warnings)", file.display())?;
        }
    }
    if errors > 0 {
        eprintln!("{errors} error(s), {warnings} warning(s)");
        Ok(1)
    } else if warnings > 0 && args.deny_warnings {
        eprintln!("{warnings} warning(s), denied by --deny-warnings");
        Ok(1)
    } else {
        Ok(0)
    }
}

/// Load a configuration for running: warnings are logged, errors are printed and fail.
pub fn load_or_report(path: &Path) -> Result<Config> {
    let loaded = driftvakt_config::load(path);
    for d in &loaded.diagnostics {
        eprintln!("{d}");
    }
    match loaded.config {
        Some(c) => Ok(c),
        None => bail!("{}: {} configuration error(s); see above", path.display(), loaded.errors().count()),
    }
}
