//! What the kernel says about this process and a directory: I/O counters from `/proc/self/io`
//! and the size of a directory tree (apparent and allocated, like `du`).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The counters of `/proc/self/io` (the whole process, exited threads included).
#[derive(Debug, Clone, Copy, Default)]
pub struct IoCounters {
    /// Bytes handed to `write()` and friends (page cache or not).
    pub wchar: u64,
    /// Bytes of page cache this process dirtied (to be written to the storage device).
    pub write_bytes: u64,
    /// Dirtied bytes that were never written back after all (file truncated or deleted).
    pub cancelled_write_bytes: u64,
}

impl IoCounters {
    /// The counters now, or `None` without `/proc/self/io`.
    pub fn read() -> Option<IoCounters> {
        let text = std::fs::read_to_string("/proc/self/io").ok()?;
        let field = |name: &str| {
            text.lines().find_map(|l| {
                l.strip_prefix(name)?
                    .strip_prefix(':')?
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
        };
        Some(IoCounters {
            wchar: field("wchar")?,
            write_bytes: field("write_bytes")?,
            cancelled_write_bytes: field("cancelled_write_bytes")?,
        })
    }

    /// The counts from `earlier` to `self`.
    pub fn since(&self, earlier: &IoCounters) -> IoCounters {
        IoCounters {
            wchar: self.wchar.saturating_sub(earlier.wchar),
            write_bytes: self.write_bytes.saturating_sub(earlier.write_bytes),
            cancelled_write_bytes: self
                .cancelled_write_bytes
                .saturating_sub(earlier.cancelled_write_bytes),
        }
    }
}

/// The size of a directory tree.
#[derive(Debug, Clone, Copy, Default)]
pub struct DirSize {
    /// Sum of the files' lengths (`du --apparent-size`).
    pub apparent: u64,
    /// Sum of the blocks allocated to them (`du`).
    pub allocated: u64,
    /// Regular files counted.
    pub files: u64,
}

impl DirSize {
    /// Walk `dir` (not following symbolic links).
    pub fn of(dir: &Path) -> std::io::Result<DirSize> {
        let mut size = DirSize::default();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for entry in std::fs::read_dir(&d)? {
                let entry = entry?;
                let meta = entry.metadata()?;
                if meta.is_dir() {
                    todo.push(entry.path());
                } else if meta.is_file() {
                    size.apparent += meta.len();
                    size.allocated += meta.blocks() * 512;
                    size.files += 1;
                }
            }
        }
        Ok(size)
    }
}

/// Peak resident set size of this process (VmHWM), as the kernel reports it.
pub fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
}
