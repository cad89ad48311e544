//! Daemonization that reports failure instead of vanishing (celery's
//! `DaemonContext` and `detached`).
//!
//! [`DaemonContext::open`] runs the classic double fork, in this order:
//!
//! 1. in the calling process: refuse a multi-threaded process
//!    ([`ErrorKind::MultiThreaded`](crate::ErrorKind::MultiThreaded);
//!    nothing forks), flush Rust's stdout (with `std`), make a relative
//!    pidfile path absolute against the caller's working directory, open
//!    `/dev/null` and the log files (so an unwritable log is reported while
//!    the caller can still see it, and relative log paths mean the caller's
//!    directory too), create the readiness pipe, `fork`;
//! 2. in the first child: `setsid`, `fork` again, and leave with
//!    `exit_group` (never `std::process::exit`, which would run atexit
//!    handlers and flush inherited stdio buffers a second time);
//! 3. in the daemon (the grandchild: not a session leader, so it can never
//!    acquire a controlling terminal): `chdir` → `umask` → core-dump limit →
//!    pidfile (taken while still privileged, so `/run` works; its identity
//!    is reported to the original process) → drop privileges (the lock
//!    lives on in the open fd, which is read-only: the daemon cannot
//!    rewrite the file) → the `after_chdir` hook → close every fd except
//!    the kept ones, the pidfile's and the log's → `/dev/null` or the log
//!    onto 0, 1 and 2 (the temporary fds are closed) → reset signal
//!    dispositions and the mask → report ready.
//!
//! The original process blocks on the readiness pipe until the daemon is
//! ready, then exits 0 ([`OnReady::Exit`], the default) or returns the
//! daemon's pid ([`OnReady::Return`]). If any step fails, the daemon writes
//! the error to the pipe and exits; the original process prints it, named
//! after the program's file
//! (`myd: chdir: "/nonexistent": ENOENT (No such file or directory)`)
//! and exits non-zero (73, `EX_CANTCREAT`, for a held pidfile), or returns
//! it. Errors never vanish into `/dev/null`.
//!
//! # The pidfile when the daemon drops privileges
//!
//! A daemon that dropped privileges usually cannot unlink its pidfile
//! from a root-owned directory such as `/run`:
//!
//! - **A failed start leaves no file.** The daemon closes its lock fd
//!   before it reports the failure, and the original process, still
//!   privileged, removes the pidfile the daemon published—only if the path
//!   still names that same file (`st_dev`, `st_ino`) and nobody holds its
//!   lock.
//! - **A clean exit leaves a stale file.** The daemon's release fails
//!   (`EACCES`, ignored on drop); the file is unlocked and carries
//!   daemonry's mark, so it is [`Stale`](crate::PidStatus::Stale) at once:
//!   the next [`create_pidlock`](crate::create_pidlock) replaces it, and
//!   a `stop` removes it with [`Pidfile::remove_if_stale`](crate::Pidfile::remove_if_stale)
//!   (which reports, never swallows, an `EACCES` or `EROFS` of its own).
//!
//! Daemonize before starting threads or an async runtime: only the calling
//! thread survives a fork.
//!
//! # I/O safety: keep what you still own
//!
//! The daemon closes every fd it was not told to keep. A Rust value that
//! owns one of those fds (`File`, `TcpListener`, `OwnedFd`, …) and is later
//! used or dropped touches a dead fd—or a reused one that now belongs to
//! something else; std aborts debug builds with "owned file descriptor
//! already closed" when it notices, long after the launcher exited 0. So:
//!
//! - pass every value the daemon will still use or drop to
//!   [`DaemonContext::keep`] (`.keep(&listener).keep(&log_file)`): the
//!   context borrows it, so the value provably outlives the builder and its
//!   fd stays open in the daemon;
//! - give up ownership of every other fd-owning value before `open` in
//!   code that continues as the daemon (`into_raw_fd()`, or
//!   `std::mem::forget`), and never use it again;
//! - [`DaemonContext::keep_fds`] is for fds no Rust value owns (inherited
//!   by number: socket activation, `3>file` in the shell).
//!
//! # Differences from celery
//!
//! - The parent waits for the daemon (celery's exits 0 at once, whatever
//!   happens next), so a pidfile exists and holds the daemon's pid when it
//!   returns (systemd's `PIDFile=` race, nghttp2#375).
//! - The pidfile is held by the daemon for its whole life, and privileges
//!   are dropped after taking it (celery drops first, which makes a pidfile
//!   in `/run` impossible for a non-root user).
//! - Relative pidfile and log paths mean the caller's working directory
//!   (celery's pidfile is relative to the daemon's new one).
//! - `/dev/null` fds are not leaked; signals are reset; core dumps can be
//!   disabled; the keep list may contain fd 0.
//!
//! # Safety
//!
//! The two forks are the only `unsafe` here: `open` checks first that the
//! process runs a single thread, and the children run only this module's
//! steps (and the caller's hook) before leaving with `exit_group` or
//! returning into the caller's program as the daemon.

#![allow(unsafe_code)]

mod context;
mod detached;
mod open;
mod ready;

pub use context::DaemonContext;
pub use detached::{DetachOptions, detached};
pub use ready::Daemon;

use crate::path::PathArg;
use rustix::process::Pid;

/// Most fds a daemon may keep for itself besides the caller's: the
/// readiness pipe, `/dev/null`, two logs, the pidfile, and stdout and
/// stderr when inherited.
const OWN_KEEP: usize = 7;

/// Most fds [`DaemonContext::keep`] and [`DaemonContext::keep_fds`] may
/// list together: [`fd::MAX_KEEP`](crate::fd::MAX_KEEP) less the daemon's
/// own (7), so that the whole keep list fits the fd module's stack array.
pub const MAX_KEEP_FDS: usize = crate::fd::MAX_KEEP - OWN_KEEP;

/// Where the daemon's stdout or stderr goes.
///
/// # Examples
///
/// ```
/// use daemonry::daemon::Output;
/// let log = Output::append(c"/var/log/app.log");
/// assert_ne!(log, Output::DevNull);
/// assert_eq!(Output::default(), Output::DevNull);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Output<'a> {
    /// `/dev/null` (the default).
    #[default]
    DevNull,
    /// A log file, opened `O_WRONLY|O_APPEND|O_CREAT` (mode 0666 under the
    /// context's umask, or the caller's when none is set) in the calling
    /// process before detaching, so a failure is reported at once. A
    /// relative path is resolved against the caller's working directory.
    /// Build it with [`Output::append`].
    Append(PathArg<'a>),
    /// Leave the fd as it is (it is kept open across the fd closing).
    Inherit,
}

impl<'a> Output<'a> {
    /// A log file to append to: see [`Output::Append`]. `path` is any
    /// [`PathArg`] (`&CStr`; with `std` also `&str`, `&Path`, `PathBuf`, …).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec for a `&CStr`; converting a Rust path
    /// allocates.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::daemon::Output;
    /// let a = Output::append(c"/var/log/app.log");
    /// assert_eq!(a, Output::Append(c"/var/log/app.log".into()));
    /// ```
    pub fn append(path: impl Into<PathArg<'a>>) -> Output<'a> {
        Output::Append(path.into())
    }
}

/// What the original process does once the daemon is ready (or failed):
/// the `parent` setting of [`DaemonContext::parent`].
///
/// # Examples
///
/// ```
/// use daemonry::{DaemonContext, OnReady};
/// assert_eq!(OnReady::default(), OnReady::Exit);
/// let _ctx = DaemonContext::new().parent(OnReady::Return);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnReady {
    /// Exit: status 0 once the daemon is ready; on failure print the error
    /// on stderr and exit 73 (`EX_CANTCREAT`) for a held pidfile, else 1.
    #[default]
    Exit,
    /// Return from [`DaemonContext::open`]: `Ok(Opened::Original(pid))`
    /// once the daemon is ready, or the daemon's error.
    Return,
}

/// What [`DaemonContext::open`] returns, on each side of the fork.
///
/// Not `#[non_exhaustive]`: `open` returns in exactly these two places, and
/// a `match` should not need a wildcard arm. The `Daemon` side carries the
/// pidfile lock (about 4 KiB, inline: no heap in the core), which is why
/// the variants differ so much in size.
///
/// # Examples
///
/// ```
/// use daemonry::{DaemonContext, Opened};
/// // Fake mode: no fork, so this process is the "daemon".
/// match DaemonContext::new().fake(true).no_chdir().open()? {
///     Opened::Daemon(d) => assert_eq!(d.pid(), rustix::process::getpid()),
///     Opened::Original(pid) => unreachable!("fake mode never forks: {pid:?}"),
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Debug)]
#[must_use]
// The daemon's handle holds its pidfile lock inline (no heap); the enum is
// built once per process.
#[allow(clippy::large_enum_variant)]
pub enum Opened {
    /// We are the daemon (or, in fake mode, still the caller).
    Daemon(Daemon),
    /// We are the original process ([`OnReady::Return`]); the daemon with
    /// this pid reported ready.
    Original(Pid),
}
