//! Sending signals: `kill(2)` to a process or a process group, real-time
//! signals included, through rustix.

use rustix::process::Pid;

use super::Signal;
use crate::error::{Context, Op, Result};

/// `kill(2)`—Sends `sig` to process `pid`.
///
/// Any [`Signal`] can be sent, real-time signals included (what an init
/// forwards).
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) of [`Op::Kill`]: `ESRCH` when no
/// such process exists (a zombie still counts as existing), `EPERM` when we
/// may not signal it.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`kill(2)`](https://man7.org/linux/man-pages/man2/kill.2.html)
///
/// # Examples
///
/// ```
/// use daemonry::{signal, Signal};
/// // SIGCHLD's default action is to ignore it: harmless to send ourselves.
/// signal::kill(rustix::process::getpid(), Signal::CHILD)?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn kill(pid: Pid, sig: Signal) -> Result<()> {
    rustix::process::kill_process(pid, sig.for_rustix()).ctx(Op::Kill)
}

/// `kill(2)` with `-pgid`—Sends `sig` to every process in process group
/// `pgid` (`killpg(3)`).
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) of [`Op::Kill`]: `ESRCH` when
/// the group has no member, `EPERM` when we may signal none of them.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`kill(2)`](https://man7.org/linux/man-pages/man2/kill.2.html),
/// [`killpg(3)`](https://man7.org/linux/man-pages/man3/killpg.3.html)
///
/// # Examples
///
/// ```no_run
/// use daemonry::{signal, Signal};
/// # let child_pgid = rustix::process::getpid();
/// // Stop a child's whole job (its group), then let it continue.
/// signal::kill_group(child_pgid, Signal::STOP)?;
/// signal::kill_group(child_pgid, Signal::CONT)?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "killpg")]
pub fn kill_group(pgid: Pid, sig: Signal) -> Result<()> {
    rustix::process::kill_process_group(pgid, sig.for_rustix()).ctx(Op::Kill)
}
