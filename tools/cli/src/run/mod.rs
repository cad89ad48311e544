//! What the subcommands do: each returns an exit status, or a [`Failure`]
//! (one line on stderr, then its status).

pub mod child;
pub mod control;
pub mod holders;
pub mod plan;
pub mod ready;
pub mod start;
pub mod supervise;

use daemonry::Errno;
use daemonry_cli::args::Verbosity;

/// Exit statuses (LSB where LSB defines them, sysexits elsewhere).
pub mod code {
    /// Success.
    pub const OK: u8 = 0;
    /// Any other failure; `stop`: would not die; `status`: stale or invalid.
    pub const FAILURE: u8 = 1;
    /// `status`: not running.
    pub const NOT_RUNNING: u8 = 3;
    /// Refused or cannot verify (untrusted pidfile, not a pidfile).
    pub const REFUSED: u8 = 4;
    /// `reload`: the program is not running (LSB).
    pub const RELOAD_NOT_RUNNING: u8 = 7;
    /// Bad usage.
    pub const USAGE: u8 = 64;
    /// Unknown user or group.
    pub const NOUSER: u8 = 67;
    /// Not ready in time (`--notify`).
    pub const UNAVAILABLE: u8 = 69;
    /// Pidfile held, log file not writable.
    pub const CANTCREAT: u8 = 73;
    /// CMD not executable.
    pub const NOEXEC: u8 = 126;
    /// CMD not found.
    pub const NOTFOUND: u8 = 127;
}

/// A failed subcommand: its exit status and the one line that says why.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub code: u8,
    /// The message (without the `daemonry: ` prefix).
    pub message: String,
}

impl Failure {
    /// A failure with this status and message.
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// What a subcommand returns.
pub type Outcome = Result<u8, Failure>;

/// Where messages go, by verbosity: results on stdout (not with `-q`),
/// steps on stderr (only with `-v`), notices on stderr (not with `-q`).
#[derive(Debug, Clone, Copy)]
pub struct Out {
    /// `-q` / `-v`.
    pub verbosity: Verbosity,
}

impl Out {
    /// A result line on stdout (`started 123`, `running 123`).
    pub fn say(&self, msg: impl std::fmt::Display) {
        if self.verbosity > Verbosity::Quiet {
            println!("{msg}");
        }
    }

    /// A notice on stderr (`sending SIGKILL`).
    pub fn note(&self, msg: impl std::fmt::Display) {
        if self.verbosity > Verbosity::Quiet {
            eprintln!("daemonry: {msg}");
        }
    }

    /// A step, on stderr with `-v` only.
    pub fn step(&self, msg: impl std::fmt::Display) {
        if self.verbosity >= Verbosity::Verbose {
            eprintln!("daemonry: {msg}");
        }
    }
}

/// `ENOENT (No such file or directory)`.
pub fn errno_text(e: Errno) -> String {
    let name = daemonry::errno::name(e).unwrap_or("E?");
    match daemonry::errno::description(e) {
        Some(d) => format!("{name} ({d})"),
        None => format!("{name} ({})", e.raw_os_error()),
    }
}

/// The name of a signal (`SIGTERM`).
pub fn signal_text(sig: daemonry::Signal) -> String {
    sig.to_string()
}
