//! Taking signals synchronously ([`SigSet::wait`], `sigtimedwait(2)`) and
//! sending them by number ([`kill`], [`kill_group`]), real-time signals
//! included: the signal loop of an init or a supervisor, without handlers.

use crate::error::Op;
use core::time::Duration;

use linux_raw_sys::general as g;
use rustix::io::Errno;
use rustix::process::{Pid, Uid};

use super::disposition::{SigSet, check_range};
use crate::error::{Context, Error, Result};
use crate::sys;

/// A signal taken by [`SigSet::wait`]: its number and where it came from
/// (the parts of `siginfo_t` that are meaningful for a waited signal).
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigInfo {
    signo: i32,
    code: i32,
    pid: i32,
    uid: u32,
    status: i32,
}

impl SigInfo {
    /// The signal number.
    pub const fn signal(&self) -> i32 {
        self.signo
    }

    /// `si_code`: why it was sent. `SI_USER` (0) for `kill(2)`, `SI_QUEUE`
    /// (-1) for `sigqueue(3)`, `SI_TKILL` (-6) for `tgkill(2)`, `SI_KERNEL`
    /// (128) or a signal-specific code (`CLD_EXITED` 1, `CLD_KILLED` 2, …
    /// for `SIGCHLD`) when the kernel sent it.
    pub const fn code(&self) -> i32 {
        self.code
    }

    /// Whether a process sent it (`kill`, `sigqueue`, `tgkill`: a code of
    /// 0 or below) rather than the kernel.
    pub const fn from_user(&self) -> bool {
        self.code <= 0
    }

    /// The sending process (for a signal a process sent) or the child that
    /// changed state (for a kernel `SIGCHLD`); `None` otherwise.
    pub fn pid(&self) -> Option<Pid> {
        if self.has_sender() {
            Pid::from_raw(self.pid)
        } else {
            None
        }
    }

    /// The real user id of the sender, or of the child for `SIGCHLD`;
    /// `None` when [`pid`](Self::pid) is `None`.
    pub fn uid(&self) -> Option<Uid> {
        self.has_sender().then(|| Uid::from_raw(self.uid))
    }

    /// For a kernel `SIGCHLD`: the child's exit code (`CLD_EXITED`) or the
    /// signal that killed, stopped or continued it (other `CLD_*` codes).
    pub const fn child_status(&self) -> Option<i32> {
        if self.signo == g::SIGCHLD as i32 && self.code > 0 {
            Some(self.status)
        } else {
            None
        }
    }

    const fn has_sender(&self) -> bool {
        self.code <= 0 || (self.signo == g::SIGCHLD as i32 && self.code != g::SI_KERNEL as i32)
    }
}

impl SigSet {
    /// `sigwaitinfo(2)`—Waits until a signal of this set is pending for the
    /// calling thread, takes it (it is not delivered) and returns it.
    ///
    /// The signals must be blocked (see [`block`](super::block)) or some
    /// may be delivered to their handlers or default action instead. A
    /// signal already pending is returned at once. Standard signals do not
    /// queue: several `SIGCHLD`s sent before the wait return once (reap in
    /// a loop, [`reap_zombies`](crate::process::reap_zombies)). SIGKILL and
    /// SIGSTOP are never taken.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) with context
    /// `"SigSet::wait"`: `EINTR` when a handled signal outside the set
    /// interrupted the wait (call again).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`sigwaitinfo(2)`](https://man7.org/linux/man-pages/man2/sigwaitinfo.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::signal::{self, SigSet};
    /// let usr1 = SigSet::from_signals(&[10])?;
    /// let old = signal::block(&usr1)?;
    /// signal::kill(rustix::process::getpid(), 10)?; // stays pending: blocked
    /// let info = usr1.wait()?;
    /// assert_eq!(info.signal(), 10);
    /// assert_eq!(info.pid(), Some(rustix::process::getpid()));
    /// signal::set_mask(&old)?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "sigwaitinfo")]
    #[doc(alias = "sigtimedwait")]
    pub fn wait(&self) -> Result<SigInfo> {
        const CONTEXT: Op = Op::Sigtimedwait;
        match sigtimedwait(self, None, CONTEXT)? {
            Some(info) => Ok(info),
            // Without a timeout the kernel never reports EAGAIN.
            None => Err(Error::os(CONTEXT, Errno::AGAIN)),
        }
    }

    /// `sigtimedwait(2)`—[`wait`](Self::wait) for at most `timeout`;
    /// `Ok(None)` when it passes without a signal (a zero timeout polls).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) with context
    /// `"SigSet::wait_timeout"`: `EINTR` as for [`wait`](Self::wait).
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a
    /// timeout above `i64::MAX` seconds.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`sigtimedwait(2)`](https://man7.org/linux/man-pages/man2/sigtimedwait.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use daemonry::signal::{self, SigSet};
    /// let usr2 = SigSet::from_signals(&[12])?;
    /// let old = signal::block(&usr2)?;
    /// assert_eq!(usr2.wait_timeout(Duration::ZERO)?, None); // nothing pending
    /// signal::set_mask(&old)?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "sigtimedwait")]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<SigInfo>> {
        const CONTEXT: Op = Op::Sigtimedwait;
        let secs = i64::try_from(timeout.as_secs())
            .map_err(|_| Error::invalid(CONTEXT).with_input(b"duration above i64::MAX seconds"))?;
        let ts = g::__kernel_timespec {
            tv_sec: secs,
            tv_nsec: i64::from(timeout.subsec_nanos()),
        };
        sigtimedwait(self, Some(&ts), CONTEXT)
    }
}

fn sigtimedwait(
    set: &SigSet,
    timeout: Option<&g::__kernel_timespec>,
    context: Op,
) -> Result<Option<SigInfo>> {
    let raw = sys::KernelSigset {
        sig: [set.as_raw() as _],
    };
    match sys::rt_sigtimedwait(&raw, timeout) {
        Ok(i) => Ok(Some(SigInfo {
            signo: i.signo,
            code: i.code,
            pid: i.pid,
            uid: i.uid,
            status: i.status,
        })),
        Err(Errno::AGAIN) if timeout.is_some() => Ok(None),
        Err(e) => Err(e).ctx(context),
    }
}

/// `kill(2)`—Sends signal `sig` (1..=64, real-time signals included) to
/// process `pid`.
///
/// Takes a signal number because rustix's `Signal` cannot be built safely
/// for real-time signals (what an init forwards). Kernel numbering (see
/// the [module docs](super)).
///
/// # Errors
///
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a
///   number outside 1..=64.
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) with context `"signal::kill"`:
///   `ESRCH` when no such process exists (a zombie still counts as
///   existing), `EPERM` when we may not signal it.
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
/// use daemonry::signal;
/// // SIGCHLD's default action is to ignore it: harmless to send ourselves.
/// signal::kill(rustix::process::getpid(), 17)?;
/// assert!(signal::kill(rustix::process::getpid(), 65).is_err());
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn kill(pid: Pid, sig: i32) -> Result<()> {
    const CONTEXT: Op = Op::Kill;
    check_range(sig, CONTEXT)?;
    sys::kill(pid.as_raw_nonzero().get(), sig).ctx(CONTEXT)
}

/// `kill(2)` with `-pgid`—Sends signal `sig` (1..=64) to every process in
/// process group `pgid` (`killpg(3)`).
///
/// # Errors
///
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a
///   number outside 1..=64.
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) with context
///   `"signal::kill_group"`: `ESRCH` when the group has no member,
///   `EPERM` when we may signal none of them.
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
/// use daemonry::signal;
/// # let child_pgid = rustix::process::getpid();
/// // Stop a child's whole job (its group), then let it continue.
/// signal::kill_group(child_pgid, 19)?;
/// signal::kill_group(child_pgid, 18)?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "killpg")]
pub fn kill_group(pgid: Pid, sig: i32) -> Result<()> {
    const CONTEXT: Op = Op::Kill;
    check_range(sig, CONTEXT)?;
    sys::kill(-pgid.as_raw_nonzero().get(), sig).ctx(CONTEXT)
}
