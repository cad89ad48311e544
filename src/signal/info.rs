//! [`SigInfo`]: a signal taken synchronously, and where it came from.

use linux_raw_sys::general as g;
use rustix::process::{Pid, Uid};

use super::Signal;

/// A signal taken by [`SigSet::wait`](super::SigSet::wait) or read from a
/// [`SignalFd`](super::SignalFd): which signal, and where it came from (the
/// parts of `siginfo_t` that are meaningful for a signal taken
/// synchronously).
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
///
/// # Examples
///
/// ```
/// use daemonry::{signal::{self, SigSet}, Signal};
/// let usr1 = SigSet::from_signals(&[Signal::USR1]);
/// let old = signal::block(&usr1)?;
/// let me = rustix::process::getpid();
/// signal::kill(me, Signal::USR1)?;
/// let info = usr1.wait()?;
/// assert_eq!((info.signal(), info.pid()), (Signal::USR1, Some(me)));
/// assert!(info.from_user());
/// signal::set_mask(&old)?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigInfo {
    signal: Signal,
    code: i32,
    pid: i32,
    uid: u32,
    status: i32,
}

impl SigInfo {
    /// The info for the kernel's fields; `None` when `signo` is no signal
    /// (which the kernel never reports).
    pub(super) fn new(signo: i32, code: i32, pid: i32, uid: u32, status: i32) -> Option<SigInfo> {
        Some(SigInfo {
            signal: Signal::from_raw(signo)?,
            code,
            pid,
            uid,
            status,
        })
    }

    /// The signal.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// See [`SigInfo`].
    pub const fn signal(&self) -> Signal {
        self.signal
    }

    /// `si_code`: why it was sent. `SI_USER` (0) for `kill(2)`, `SI_QUEUE`
    /// (-1) for `sigqueue(3)`, `SI_TKILL` (-6) for `tgkill(2)`, `SI_KERNEL`
    /// (128) or a signal-specific code (`CLD_EXITED` 1, `CLD_KILLED` 2, …
    /// for `SIGCHLD`) when the kernel sent it.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// See [`SigInfo`]: a `kill(2)` gives 0.
    pub const fn code(&self) -> i32 {
        self.code
    }

    /// Whether a process sent it (`kill`, `sigqueue`, `tgkill`: a code of
    /// 0 or below) rather than the kernel.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// See [`SigInfo`].
    pub const fn from_user(&self) -> bool {
        self.code <= 0
    }

    /// The sending process (for a signal a process sent) or the child that
    /// changed state (for a kernel `SIGCHLD`); `None` otherwise.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// See [`SigInfo`].
    pub fn pid(&self) -> Option<Pid> {
        if self.has_sender() {
            Pid::from_raw(self.pid)
        } else {
            None
        }
    }

    /// The real user id of the sender, or of the child for `SIGCHLD`;
    /// `None` when [`pid`](Self::pid) is `None`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::{self, SigSet}, Signal};
    /// let usr2 = SigSet::from_signals(&[Signal::USR2]);
    /// let old = signal::block(&usr2)?;
    /// signal::kill(rustix::process::getpid(), Signal::USR2)?;
    /// assert_eq!(usr2.wait()?.uid(), Some(rustix::process::getuid()));
    /// signal::set_mask(&old)?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn uid(&self) -> Option<Uid> {
        self.has_sender().then(|| Uid::from_raw(self.uid))
    }

    /// For a kernel `SIGCHLD`: the child's exit code (`CLD_EXITED`) or the
    /// number of the signal that killed, stopped or continued it (the other
    /// `CLD_*` codes, see [`code`](Self::code)).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::{self, SigSet}, Fork, Signal};
    /// let chld = SigSet::from_signals(&[Signal::CHILD]);
    /// # if false {
    /// signal::block(&chld)?;
    /// // SAFETY: the child only exits.
    /// if let Fork::Child = unsafe { daemonry::fork()? } {
    ///     daemonry::exit_immediately(7);
    /// }
    /// assert_eq!(chld.wait()?.child_status(), Some(7));
    /// # }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn child_status(&self) -> Option<i32> {
        if self.is_child_state() {
            Some(self.status)
        } else {
            None
        }
    }

    const fn is_child_state(&self) -> bool {
        self.signal.as_raw() == Signal::CHILD.as_raw() && self.code > 0
    }

    const fn has_sender(&self) -> bool {
        self.code <= 0 || (self.is_child_state() && self.code != g::SI_KERNEL as i32)
    }
}
