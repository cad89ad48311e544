//! `fork(2)`: [`fork`], which checks that the process is single-threaded,
//! and [`SingleThreaded::fork`], which takes that as a proof.
//!
//! # Safety
//!
//! With `std`, the fork is libc's own `fork()` (libc is always linked when
//! std is), declared here by its C signature `pid_t fork(void)`; without
//! `std` it is the raw clone in `crate::sys`. Both are unsafe to call:
//! [`fork`] and [`SingleThreaded::fork`] pass the contract on to their
//! callers in their `# Safety` sections.

#![allow(unsafe_code)] // See "Safety" above.

use rustix::process::Pid;

use super::SingleThreaded;
use crate::error::{Op, Result};

#[cfg(feature = "std")]
use crate::error::Error;
#[cfg(feature = "std")]
use rustix::io::Errno;

#[cfg(not(feature = "std"))]
use crate::error::Context;

/// Which side of a [`fork`] we are on.
///
/// Not `#[non_exhaustive]`: fork has exactly these two outcomes, and a
/// `match` should not need a wildcard arm.
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
///
/// # Examples
///
/// See [`fork`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Fork {
    /// We are the new child process.
    Child,
    /// We are the parent; this is the child's pid.
    Parent(Pid),
}

#[cfg(feature = "std")]
mod libc_fork {
    unsafe extern "C" {
        /// libc's `pid_t fork(void)`.
        pub(super) fn fork() -> i32;
    }
}

/// `fork(2)`—Creates a child process, after checking that this process
/// runs a single thread.
///
/// With `std`, this is libc's own `fork()`: its atfork handlers run and the
/// child's libc state (cached thread id, robust-mutex list, malloc and
/// stdio locks) is refreshed. Without `std`, it is a raw
/// `clone(SIGCHLD)`, which libc (if one is linked) does not learn about.
/// The single-thread check is [`SingleThreaded::check`] (one
/// `unshare(CLONE_THREAD)` call, with a `/proc/self/status` fallback); a
/// caller that already holds the proof forks with
/// [`SingleThreaded::fork`].
///
/// Daemonize (and fork in general) before starting threads or an async
/// runtime: only the calling thread is copied, so a lock another thread
/// held stays locked forever in the child.
///
/// # Errors
///
/// - [`ErrorKind::MultiThreaded`](crate::ErrorKind::MultiThreaded) when the
///   process has more than one thread.
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) of [`Op::Fork`] when `fork`
///   fails (`EAGAIN`, `ENOMEM`), or when the `/proc/self/status` fallback
///   cannot be read.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics of its own.
/// With `std`, libc's `fork` takes malloc's and stdio's locks, which glibc
/// resets in every fork child, so it is fine in a child; do not call it
/// from a signal handler (POSIX dropped `fork` from the async-signal-safe
/// list for that reason).
///
/// # Safety
///
/// Both processes continue from here with copies of all memory. The caller
/// must make sure that is sound:
///
/// - resources that must have one owner (a lock file's lock, a database
///   transaction, buffered output that would be flushed twice) are used by
///   only one side; leave the child with
///   [`exit_immediately`](super::exit_immediately), never with
///   `std::process::exit` (which runs atexit handlers and flushes stdio
///   buffers a second time);
/// - without `std`, a raw clone is used: the child must not rely on libc
///   state that `fork` refreshes (atfork handlers, libc's cached thread id
///   in `pthread` functions, robust mutexes). It may call this crate's
///   core, make system calls, exec or exit, and (since the parent was
///   single-threaded, so no lock can be held by a vanished thread) use
///   memory allocation.
///
/// # References
///
/// [`fork(2)`](https://man7.org/linux/man-pages/man2/fork.2.html),
/// [`signal-safety(7)`](https://man7.org/linux/man-pages/man7/signal-safety.7.html)
///
/// # Examples
///
/// ```
/// use daemonry::{fork, Fork, exit_immediately};
/// # if false {
/// // SAFETY: the child only exits.
/// match unsafe { fork()? } {
///     Fork::Child => exit_immediately(0),
///     Fork::Parent(pid) => {
///         daemonry::process::wait_for(pid)?;
///     }
/// }
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub unsafe fn fork() -> Result<Fork> {
    let proof = crate::process::require_single_thread(Op::Fork)?;
    // SAFETY: the process is single-threaded; the caller upholds the rest
    // of the contract.
    unsafe { proof.fork() }
}

impl SingleThreaded {
    /// `fork(2)`—[`fork`] for a caller that holds the proof that the
    /// process is single-threaded, so the check is not repeated.
    ///
    /// With a proof made by [`SingleThreaded::check`] this is exactly
    /// [`fork`]. With one made by [`SingleThreaded::assume`] no check runs
    /// at all: the way to fork a process that may run other threads, with
    /// the stricter contract below (what libc's `fork` allows in a
    /// multi-threaded program).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) of [`Op::Fork`] when `fork`
    /// fails (`EAGAIN`, `ENOMEM`).
    ///
    /// # Async-signal safety
    ///
    /// As [`fork`]: safe between fork and exec; with `std` not from a
    /// signal handler.
    ///
    /// # Safety
    ///
    /// As [`fork`]. And when the proof was assumed rather than checked and
    /// other threads may run, the child must do only async-signal-safe work
    /// (signal-safety(7): system calls, this crate's core) until it execs
    /// or exits, because locks held by the other threads (malloc's
    /// included, with a raw clone) stay locked in the child forever.
    ///
    /// # References
    ///
    /// [`fork(2)`](https://man7.org/linux/man-pages/man2/fork.2.html),
    /// [`signal-safety(7)`](https://man7.org/linux/man-pages/man7/signal-safety.7.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{process::SingleThreaded, Fork};
    /// # if false {
    /// // A process that may run threads: the child only calls exit_group.
    /// // SAFETY: only async-signal-safe work before the child exits.
    /// if let Fork::Child = unsafe { SingleThreaded::assume().fork()? } {
    ///     daemonry::exit_immediately(3);
    /// }
    /// # }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub unsafe fn fork(self) -> Result<Fork> {
        // SAFETY: the caller upholds the contract above.
        unsafe { fork_unchecked() }
    }
}

/// The fork itself, with no check: libc's `fork` with `std`, the raw clone
/// without.
///
/// # Safety
///
/// As [`SingleThreaded::fork`].
pub(crate) unsafe fn fork_unchecked() -> Result<Fork> {
    #[cfg(feature = "std")]
    {
        // SAFETY: libc's fork has no preconditions of its own; the caller
        // upholds what the child may do.
        let r = unsafe { libc_fork::fork() };
        match r {
            0 => Ok(Fork::Child),
            r if r > 0 => Pid::from_raw(r)
                .map(Fork::Parent)
                .ok_or(Error::os(Op::Fork, Errno::INVAL)),
            _ => {
                let errno = std::io::Error::last_os_error()
                    .raw_os_error()
                    .map_or(Errno::AGAIN, Errno::from_raw_os_error);
                Err(Error::os(Op::Fork, errno))
            }
        }
    }
    #[cfg(not(feature = "std"))]
    {
        // SAFETY: the caller upholds the contract of a raw fork.
        match unsafe { crate::sys::fork() }.ctx(Op::Fork)? {
            None => Ok(Fork::Child),
            Some(pid) => Ok(Fork::Parent(pid)),
        }
    }
}
