//! # daemonry-init
//!
//! A tini-compatible container init built on daemonry: `#![no_std]`, no
//! libc, no allocator, statically linked (see README.md). This library is
//! the whole program except its entry point (`src/main.rs`, started by
//! origin), so that the pure parts can be unit-tested with the ordinary
//! test harness:
//!
//! - [`args`]: tini's command line and `TINI_*` environment variables;
//! - [`msg`]: tini-style messages, built on the stack (errno texts from
//!   a compressed table, `strerror.rs`);
//! - [`supervise`]: spawning the program, forwarding signals, reaping.
//!
//! [`main`] ties them together.

#![no_std]

#[cfg(test)]
extern crate std;

pub mod args;
pub mod msg;
mod signames;
mod strerror;
pub mod supervise;

use core::ffi::CStr;

use daemonry::process::CStrArray;

use args::{Command, UsageError};
use msg::Part::S;
use msg::{Level, Log, write_all};

/// The version line (`--version`).
const VERSION: &[u8] =
    concat!("daemonry-init version ", env!("CARGO_PKG_VERSION"), "\n").as_bytes();

/// The `-l` text.
const LICENSE: &[u8] =
    b"daemonry-init is part of daemonry and is licensed under the MIT license or the \
Apache License, Version 2.0, at your option (SPDX: MIT OR Apache-2.0).\n";

/// The usage text after its first line (tini's, with daemonry-init's extra).
const USAGE: &[u8] = b" [OPTIONS] [--] PROGRAM [ARGS] | --version

Execute a program under the supervision of a valid init process (daemonry-init)

Command line options:

  --version: Show version and exit.
  -h: Show this help message and exit.
  -s: Register as a process subreaper (requires Linux >= 3.4).
  -p SIGNAL: Trigger SIGNAL when parent dies, e.g. \"-p SIGKILL\".
  -v: Generate more verbose output. Repeat up to 3 times.
  -w: Print a warning when processes are getting reaped.
  -g: Send signals to the child's process group.
  -e EXIT_CODE: Remap EXIT_CODE (from 0 to 255) to 0 (can be repeated).
  -l: Show license and exit.
  --close-fds: Close every inherited fd but 0, 1 and 2 before running PROGRAM.
";

/// The usage lines of the extras built in.
const USAGE_USER: &[u8] = if cfg!(feature = "user") {
    b"  --user USER[:GROUP]: Run PROGRAM as USER (name or id), in GROUP or USER's group.\n"
} else {
    b""
};
const USAGE_PIDFILE: &[u8] = if cfg!(feature = "pidfile") {
    b"  --pidfile PATH: Hold a locked pidfile with daemonry-init's pid while running.\n"
} else {
    b""
};

/// The end of the usage text.
const USAGE_ENV: &[u8] = b"
Environment variables:

  TINI_SUBREAPER: Register as a process subreaper (requires Linux >= 3.4).
  TINI_VERBOSITY: Set the verbosity level (default: 1).
  TINI_KILL_PROCESS_GROUP: Send signals to the child's process group.

";

/// The last path component of `argv[0]` (tini's `basename`).
fn basename(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

fn usage(fd: i32, name: &[u8]) {
    let name = basename(name);
    write_all(fd, name);
    write_all(fd, b" (");
    write_all(fd, VERSION.strip_suffix(b"\n").unwrap_or(VERSION));
    write_all(fd, b")\nUsage: ");
    write_all(fd, name);
    write_all(fd, USAGE);
    write_all(fd, USAGE_USER);
    write_all(fd, USAGE_PIDFILE);
    write_all(fd, USAGE_ENV);
}

fn usage_error(argv0: &[u8], e: UsageError<'_>) {
    let mut line = msg::Line::new();
    match e {
        UsageError::InvalidOption(c) => {
            line.push(argv0)
                .push(b": invalid option -- '")
                .push(&[c])
                .push(b"'\n");
        }
        UsageError::MissingArgument(c) => {
            line.push(argv0)
                .push(b": option requires an argument -- '")
                .push(&[c])
                .push(b"'\n");
        }
        UsageError::UnrecognizedOption(word) => {
            line.push(argv0)
                .push(b": unrecognized option '")
                .push(word)
                .push(b"'\n");
        }
        UsageError::MissingLongArgument(word) => {
            line.push(argv0)
                .push(b": option '")
                .push(word)
                .push(b"' requires an argument\n");
        }
        UsageError::NotBuiltIn(option) => {
            Log::new(args::DEFAULT_VERBOSITY).emit(
                Level::Fatal,
                &[
                    S(option),
                    S(b" is not built in: build daemonry-init with --features "),
                    S(option.strip_prefix(b"--").unwrap_or(option)),
                ],
            );
        }
        UsageError::BadValue(option, value) => {
            Log::new(args::DEFAULT_VERBOSITY).emit(
                Level::Fatal,
                &[S(b"Not a valid option for "), S(option), S(b": "), S(value)],
            );
        }
        UsageError::NoProgram => {}
    }
    write_all(2, line.as_bytes());
    if e.shows_usage() {
        usage(2, argv0);
    }
}

/// The whole program: parses `argv` and the environment, then supervises
/// PROGRAM; returns the status to exit with.
pub fn main(argv: CStrArray<'_>, envp: CStrArray<'_>) -> i32 {
    let argv0 = argv.first().map_or(&b"daemonry-init"[..], CStr::to_bytes);
    let mut opts = match args::parse(argv.skip(1).iter().map(CStr::to_bytes)) {
        Ok(Command::Run(opts)) => opts,
        Ok(Command::Help) => {
            usage(1, argv0);
            return 0;
        }
        Ok(Command::Version) => {
            write_all(1, VERSION);
            return 0;
        }
        Ok(Command::License) => {
            write_all(1, LICENSE);
            return 0;
        }
        Err(e) => {
            usage_error(argv0, e);
            return 1;
        }
    };
    args::apply_env(&mut opts, |name| envp.env_var(name).map(CStr::to_bytes));
    supervise::run(&opts, argv.skip(opts.program), envp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basenames() {
        assert_eq!(basename(b"/usr/bin/daemonry-init"), b"daemonry-init");
        assert_eq!(basename(b"daemonry-init"), b"daemonry-init");
        assert_eq!(basename(b"/"), b"");
    }

    #[test]
    fn version_line() {
        assert!(VERSION.starts_with(b"daemonry-init version 0."));
        assert!(VERSION.ends_with(b"\n"));
    }
}
