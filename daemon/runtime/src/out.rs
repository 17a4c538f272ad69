//! Writing a command's output to stdout. `println!` panics when stdout is a pipe whose reader
//! has gone (`driftvakt probe … | head`); [`outln!`] and [`out!`] return the error instead, and
//! `main` ends such a command quietly with [`BROKEN_PIPE_STATUS`].

use std::fmt;
use std::io::{self, Write};

/// Exit status when stdout was closed by its reader: 128 + SIGPIPE, what a shell reports for a
/// program that a closed pipe stopped.
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// `println!` that returns `io::Result<()>` instead of panicking.
#[macro_export]
macro_rules! outln {
    () => { $crate::out::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::write(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` that returns `io::Result<()>` instead of panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*)) };
}

pub use {out, outln};

/// Write `args` to stdout and flush (output reaches a pipe line by line, as with `println!`).
pub fn write(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_fmt(args)?;
    stdout.flush()
}

/// Whether `e` comes from writing to a pipe that its reader has closed.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_recognised_through_context() {
        let e = anyhow::Error::from(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing the export");
        assert!(is_broken_pipe(&e));
        assert!(!is_broken_pipe(&anyhow::anyhow!("something else")));
    }
}
