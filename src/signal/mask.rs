//! The calling thread's signal mask: `rt_sigprocmask(2)` over [`SigSet`].

use linux_raw_sys::general as g;

use super::SigSet;
use super::kernel;
use crate::error::{Context, Op, Result};

/// `rt_sigprocmask` with `how`; returns the previous mask.
fn sigprocmask(how: u32, set: Option<&SigSet>) -> Result<SigSet> {
    kernel::sigprocmask(how, set.map(SigSet::as_raw))
        .map(SigSet::from_raw)
        .ctx(Op::Sigprocmask)
}

/// `sigprocmask(SIG_BLOCK)`—Adds `set` to the calling thread's signal
/// mask; returns the previous mask.
///
/// A blocked signal stays pending until it is unblocked or taken with
/// [`SigSet::wait`] or a [`SignalFd`](super::SignalFd).
///
/// # Warning
///
/// Affects only the calling thread. Threads inherit the mask of the thread
/// that creates them, so block the signals a program takes synchronously
/// in `main` before it starts any thread or async runtime; a thread that
/// leaves them unblocked gets them delivered with their default action
/// (for SIGTERM: the whole process ends).
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) if the kernel refuses (not
/// expected).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sigprocmask(2)`](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
///
/// # Examples
///
/// ```
/// use daemonry::{signal::{self, SigSet}, Signal};
/// let old = signal::block(&SigSet::from_signals(&[Signal::USR1]))?;
/// assert!(signal::mask()?.contains(Signal::USR1));
/// signal::set_mask(&old)?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn block(set: &SigSet) -> Result<SigSet> {
    sigprocmask(g::SIG_BLOCK, Some(set))
}

/// `sigprocmask(SIG_UNBLOCK)`—Removes `set` from the calling thread's
/// signal mask; returns the previous mask. A pending signal that becomes
/// unblocked is delivered before this returns.
///
/// # Warning
///
/// Affects only the calling thread.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) if the kernel refuses (not
/// expected).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sigprocmask(2)`](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
///
/// # Examples
///
/// ```
/// use daemonry::{signal::{self, SigSet}, Signal};
/// let usr2 = SigSet::from_signals(&[Signal::USR2]);
/// signal::block(&usr2)?;
/// signal::unblock(&usr2)?;
/// assert!(!signal::mask()?.contains(Signal::USR2));
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn unblock(set: &SigSet) -> Result<SigSet> {
    sigprocmask(g::SIG_UNBLOCK, Some(set))
}

/// `sigprocmask(SIG_SETMASK)`—Replaces the calling thread's signal mask
/// with `set`; returns the previous mask.
///
/// # Warning
///
/// Affects only the calling thread.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) if the kernel refuses (not
/// expected).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sigprocmask(2)`](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
///
/// # Examples
///
/// ```
/// use daemonry::signal::{set_mask, SigSet};
/// let old = set_mask(&SigSet::EMPTY)?;
/// set_mask(&old)?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn set_mask(set: &SigSet) -> Result<SigSet> {
    sigprocmask(g::SIG_SETMASK, Some(set))
}

/// `sigprocmask(2)` query—The calling thread's signal mask.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) if the kernel refuses (not
/// expected).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sigprocmask(2)`](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
///
/// # Examples
///
/// ```
/// let m = daemonry::signal::mask()?;
/// assert!(!m.contains(daemonry::Signal::KILL));
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn mask() -> Result<SigSet> {
    sigprocmask(g::SIG_BLOCK, None)
}
