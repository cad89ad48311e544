//! Open file descriptors: count, test, enumerate and close them without
//! ever looping up to `RLIMIT_NOFILE` (celery's `get_fdmax`,
//! `close_open_fds`, `fd_by_path`, `isatty`).
//!
//! celery walks every possible fd number, which costs minutes to hours in
//! containers whose limit is 2^30 (celery#9886, #8306). Here the cost is
//! O(open fds): `close_range(2)` over the gaps of the keep list (Linux 5.9;
//! `CLOSE_RANGE_CLOEXEC` 5.11), else an enumeration of `/proc/self/fd` with
//! `getdents64(2)` (rustix's `RawDir` over a 4 KiB stack buffer), else (no
//! `/proc`) a probe of `0..min(soft limit, 65536)` with `fcntl(F_GETFD)`.
//!
//! Paths are used once here, so [`fds_for_path`] and (with `std`) `fd_by_path` take
//! `impl rustix::path::Arg` (a `&CStr` without copying).
//!
//! # I/O safety
//!
//! [`close_open_fds`] closes descriptors that other code may still own
//! (`File`, `TcpListener`, `OwnedFd`, …). Rust's I/O-safety rule is that
//! only an fd's owner closes it: a value whose fd was closed under it will
//! close it again when dropped—a dead fd (std aborts debug builds with
//! "owned file descriptor already closed"), or worse, a reused one that now
//! belongs to someone else. So:
//!
//! - list in `keep` every fd that a live value still owns and will use or
//!   drop, or
//! - give up ownership of the others first (`into_raw_fd`, or
//!   `std::mem::forget` of the value) and never touch them again,
//! - or call it only where no owner will run again: in a freshly forked
//!   child before `exec`.
//!
//! [`cloexec_open_fds`] is the gentler choice just before `exec`: nothing
//! is closed until the `exec` replaces every owner.
//! [`DaemonContext::keep`](crate::DaemonContext::keep) applies the rule for
//! daemons by borrowing the values it keeps.

mod by_path;
mod close;
mod enumerate;

#[cfg(feature = "std")]
pub use by_path::fd_by_path;
pub use by_path::fds_for_path;
pub use close::{cloexec_open_fds, close_open_fds};
pub use enumerate::{OpenFds, open_fds};

use rustix::fd::AsFd;
use rustix::process::{Resource, getrlimit};

/// Most fds the no-`/proc` fallback probes, whatever the limit says.
pub const PROBE_CAP: u64 = 65536;

/// Most entries a keep list may have (it is sorted in a stack array). Every
/// other keep limit in the crate derives from this one (see
/// [`daemon::MAX_KEEP_FDS`](crate::daemon::MAX_KEEP_FDS)).
pub const MAX_KEEP: usize = 256;

/// `getrlimit(RLIMIT_NOFILE)`—The soft limit on open files, or `default`
/// when it is unlimited.
///
/// This is what glibc's `sysconf(_SC_OPEN_MAX)` reports. Beware of using it
/// as a loop bound: containers set it to 2^20, 2^30 or more. (Linux itself
/// never reports it as unlimited: the kernel caps it at `fs.nr_open`;
/// `default` is for the "infinite" answer other systems may give.)
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`getrlimit(2)`](https://man7.org/linux/man-pages/man2/getrlimit.2.html)
///
/// # Examples
///
/// ```
/// assert!(daemonry::fd_max(1024) >= 3);
/// ```
#[doc(alias = "get_fdmax")]
pub fn fd_max(default: u64) -> u64 {
    getrlimit(Resource::Nofile).current.unwrap_or(default)
}

/// `isatty(3)`—Whether `fd` refers to a terminal.
///
/// Asks for the terminal attributes (`tcgetattr`: the `TCGETS2` ioctl,
/// falling back to `TCGETS`), as glibc does with `TCGETS` (rustix's own
/// `isatty` asks `TIOCGWINSZ`, which some devices answer differently).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`isatty(3)`](https://man7.org/linux/man-pages/man3/isatty.3.html)
///
/// # Examples
///
/// ```
/// let (r, _w) = rustix::pipe::pipe().unwrap();
/// assert!(!daemonry::isatty(&r));
/// ```
pub fn isatty<Fd: AsFd>(fd: Fd) -> bool {
    rustix::termios::tcgetattr(fd).is_ok()
}
