//! Waiting for children and reaping zombies: `waitpid(2)` loops that retry
//! `EINTR` and decode the status the way a shell reports it.

use crate::error::Op;
use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions, WaitStatus};

use crate::error::{Error, Result};
use crate::signal::Signal;

/// How a child process ended, decoded from a `waitpid(2)` status.
///
/// [`shell_code`](Self::shell_code) is the number a shell (and tini) turns
/// it into: the exit code, or 128 + the signal number.
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
///
/// # Examples
///
/// ```
/// use daemonry::{process::ChildExit, Signal};
/// assert_eq!(ChildExit::Exited(3).shell_code(), 3);
/// let killed = ChildExit::Signaled { signal: Signal::TERM, core_dumped: false };
/// assert_eq!(killed.shell_code(), 143);
/// assert_eq!(ChildExit::from_raw(0x0f00), Some(ChildExit::Exited(15)));
/// assert_eq!(ChildExit::from_raw(0x0009), Some(ChildExit::Signaled { signal: Signal::KILL, core_dumped: false }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildExit {
    /// It called `exit` with this code (0..=255).
    Exited(u8),
    /// A signal killed it.
    Signaled {
        /// The signal.
        signal: Signal,
        /// Whether it dumped core.
        core_dumped: bool,
    },
}

impl ChildExit {
    /// Decodes a raw wait status (the `int` `waitpid(2)` stores); `None`
    /// for a stopped or continued child (statuses only reported with
    /// `WUNTRACED`/`WCONTINUED`).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::process::ChildExit;
    /// assert_eq!(ChildExit::from_raw(3 << 8), Some(ChildExit::Exited(3)));
    /// assert_eq!(ChildExit::from_raw(0x137f), None); // stopped by SIGSTOP
    /// ```
    pub const fn from_raw(status: i32) -> Option<ChildExit> {
        let status = status as u32;
        let signal = status & 0x7f;
        if signal == 0 {
            Some(ChildExit::Exited(((status >> 8) & 0xff) as u8))
        } else if signal != 0x7f && status & 0xffff != 0xffff {
            match Signal::from_raw(signal as i32) {
                Some(signal) => Some(ChildExit::Signaled {
                    signal,
                    core_dumped: status & 0x80 != 0,
                }),
                None => None,
            }
        } else {
            None
        }
    }

    /// The exit code, if it exited.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::process::ChildExit;
    /// assert_eq!(ChildExit::Exited(4).code(), Some(4));
    /// ```
    pub const fn code(&self) -> Option<u8> {
        match *self {
            ChildExit::Exited(code) => Some(code),
            ChildExit::Signaled { .. } => None,
        }
    }

    /// The signal that killed it, if one did.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{process::ChildExit, Signal};
    /// assert_eq!(ChildExit::from_raw(9).and_then(|e| e.signal()), Some(Signal::KILL));
    /// ```
    pub const fn signal(&self) -> Option<Signal> {
        match *self {
            ChildExit::Exited(_) => None,
            ChildExit::Signaled { signal, .. } => Some(signal),
        }
    }

    /// Whether it exited with code 0.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(daemonry::process::ChildExit::Exited(0).success());
    /// ```
    pub const fn success(&self) -> bool {
        matches!(self, ChildExit::Exited(0))
    }

    /// What `sh` sets `$?` to: the exit code, or 128 + the signal number
    /// (kept to 0..=255 as an exit status is).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// See [`ChildExit`].
    pub const fn shell_code(&self) -> u8 {
        match *self {
            ChildExit::Exited(code) => code,
            ChildExit::Signaled { signal, .. } => (128 + signal.as_raw()) as u8,
        }
    }

    fn from_status(status: WaitStatus) -> Option<ChildExit> {
        ChildExit::from_raw(status.as_raw())
    }
}

/// `waitpid(2)`—Waits until child `pid` ends and reaps it.
///
/// Retries when a signal handler interrupts the wait (`EINTR`). Stopped and
/// continued children are not reported (no `WUNTRACED`).
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) with context `"waitpid"`:
/// `ECHILD` when `pid` is not an unwaited child of this process (or
/// `SIGCHLD` is ignored, which makes the kernel reap children itself).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`waitpid(2)`](https://man7.org/linux/man-pages/man2/waitpid.2.html)
///
/// # Examples
///
/// ```
/// use daemonry::process::{wait_for, ChildExit};
/// use daemonry::{exit_immediately, Fork};
/// // SAFETY: the child only exits.
/// # if false {
/// if let Fork::Parent(pid) = unsafe { daemonry::fork()? } {
///     assert_eq!(wait_for(pid)?, ChildExit::Exited(7));
/// } else {
///     exit_immediately(7);
/// }
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "waitpid")]
pub fn wait_for(pid: Pid) -> Result<ChildExit> {
    loop {
        match rustix::process::waitpid(Some(pid), WaitOptions::empty()) {
            Ok(Some((_, status))) => {
                if let Some(exit) = ChildExit::from_status(status) {
                    return Ok(exit);
                }
            }
            Ok(None) | Err(Errno::INTR) => {}
            Err(e) => return Err(Error::os(Op::Waitpid, e)),
        }
    }
}

/// `waitpid(-1, WNOHANG)` in a loop—Reaps every child that has already
/// ended, without blocking: the zombie-reaping loop of an init or a
/// supervisor.
///
/// Each step yields the pid and how it ended; the iteration stops when no
/// child has ended yet or there are no children at all (`ECHILD`), so run
/// it again after the next `SIGCHLD`. Any child counts, including orphans
/// re-parented to this process (PID 1 or a child subreaper, see
/// [`set_child_subreaper`](crate::process::set_child_subreaper)). Stopped
/// children are not reported.
///
/// # Errors
///
/// An item is an [`ErrorKind::Os`](crate::ErrorKind::Os) error (context
/// `"waitpid"`) for an unexpected failure (`EINTR` is retried, `ECHILD`
/// ends the iteration); the iteration ends after it.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`waitpid(2)`](https://man7.org/linux/man-pages/man2/waitpid.2.html)
///
/// # Examples
///
/// ```
/// for reaped in daemonry::process::reap_zombies() {
///     let (pid, exit) = reaped?;
///     println!("{} ended: {exit:?}", pid.as_raw_nonzero());
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "waitpid")]
pub fn reap_zombies() -> ReapZombies {
    ReapZombies { done: false }
}

/// The iterator [`reap_zombies`] returns.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Debug)]
#[must_use = "the iterator reaps only when advanced"]
pub struct ReapZombies {
    done: bool,
}

impl Iterator for ReapZombies {
    type Item = Result<(Pid, ChildExit)>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            // `wait`, not `waitpid(None, …)`: rustix passes `None` as pid 0,
            // which waits only for children in our own process group.
            match rustix::process::wait(WaitOptions::NOHANG) {
                Ok(Some((pid, status))) => {
                    if let Some(exit) = ChildExit::from_status(status) {
                        return Some(Ok((pid, exit)));
                    }
                }
                Ok(None) | Err(Errno::CHILD) => self.done = true,
                Err(Errno::INTR) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(Error::os(Op::Waitpid, e)));
                }
            }
        }
        None
    }
}

impl core::iter::FusedIterator for ReapZombies {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_statuses() {
        assert_eq!(ChildExit::from_raw(0), Some(ChildExit::Exited(0)));
        assert_eq!(ChildExit::from_raw(255 << 8), Some(ChildExit::Exited(255)));
        assert_eq!(
            ChildExit::from_raw(0x86),
            Some(ChildExit::Signaled {
                signal: Signal::ABORT,
                core_dumped: true
            })
        );
        // Stopped by SIGSTOP (0x137f) and continued (0xffff).
        assert_eq!(ChildExit::from_raw(0x137f), None);
        assert_eq!(ChildExit::from_raw(0xffff), None);
        let k = ChildExit::Signaled {
            signal: Signal::RTMAX,
            core_dumped: false,
        };
        assert_eq!(k.shell_code(), 192);
        assert_eq!(k.signal(), Some(Signal::RTMAX));
        assert_eq!(k.code(), None);
        assert!(ChildExit::Exited(0).success() && !ChildExit::Exited(1).success());
    }
}
