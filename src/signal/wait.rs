//! Taking signals synchronously ([`SigSet::wait`], `sigtimedwait(2)`):
//! the signal loop of an init, a supervisor or a shutdown thread, without
//! handlers.

use core::time::Duration;

use linux_raw_sys::general as g;
use rustix::io::Errno;

use super::kernel;
use super::{SigInfo, SigSet};
use crate::error::{Context, Error, Op, Result};

impl SigSet {
    /// `sigwaitinfo(2)`—Waits until a signal of this set is pending for the
    /// calling thread, takes it (it is not delivered) and returns it.
    ///
    /// The signals must be blocked (see [`block`](super::block)) in every
    /// thread, or some may be delivered to their handlers or default action
    /// instead. A signal already pending is returned at once. Standard
    /// signals do not queue: several `SIGCHLD`s sent before the wait return
    /// once (reap in a loop, [`reap_zombies`](crate::process::reap_zombies)).
    /// SIGKILL and SIGSTOP are never taken.
    ///
    /// A thread that blocks here is the simplest shutdown listener of a
    /// threaded program: block the signals in `main` before starting
    /// threads, then have one thread `wait` and tell the others.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) of [`Op::Sigtimedwait`]:
    /// `EINTR` when a handled signal outside the set interrupted the wait
    /// (call again).
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
    /// use daemonry::{signal::{self, SigSet}, Signal};
    /// let usr1 = SigSet::from_signals(&[Signal::USR1]);
    /// let old = signal::block(&usr1)?;
    /// signal::kill(rustix::process::getpid(), Signal::USR1)?; // stays pending: blocked
    /// let info = usr1.wait()?;
    /// assert_eq!(info.signal(), Signal::USR1);
    /// assert_eq!(info.pid(), Some(rustix::process::getpid()));
    /// signal::set_mask(&old)?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "sigwaitinfo")]
    #[doc(alias = "sigtimedwait")]
    pub fn wait(&self) -> Result<SigInfo> {
        match sigtimedwait(self, None)? {
            Some(info) => Ok(info),
            // Without a timeout the kernel never reports EAGAIN.
            None => Err(Error::os(Op::Sigtimedwait, Errno::AGAIN)),
        }
    }

    /// `sigtimedwait(2)`—[`wait`](Self::wait) for at most `timeout`;
    /// `Ok(None)` when it passes without a signal.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) of [`Op::Sigtimedwait`]:
    /// `EINTR` as for [`wait`](Self::wait).
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
    /// use daemonry::{signal::{self, SigSet}, Signal};
    /// let usr2 = SigSet::from_signals(&[Signal::USR2]);
    /// let old = signal::block(&usr2)?;
    /// assert_eq!(usr2.wait_timeout(Duration::from_millis(1))?, None); // nothing came
    /// signal::set_mask(&old)?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "sigtimedwait")]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<SigInfo>> {
        let tv_sec = i64::try_from(timeout.as_secs()).map_err(|_| {
            Error::invalid(Op::Sigtimedwait).with_input(b"duration above i64::MAX seconds")
        })?;
        let ts = g::__kernel_timespec {
            tv_sec,
            tv_nsec: i64::from(timeout.subsec_nanos()),
        };
        sigtimedwait(self, Some(&ts))
    }

    /// `sigtimedwait(2)` with a zero timeout—Takes a pending signal of this
    /// set, if there is one, without waiting: the poll of a loop that has
    /// other work (`std::process::Child::try_wait` is the same idea).
    ///
    /// The signals must be blocked, as for [`wait`](Self::wait). To wait
    /// for signals and file descriptors together, use a
    /// [`SignalFd`](super::SignalFd) instead of polling.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
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
    /// use daemonry::{signal::{self, SigSet}, Signal};
    /// let hup = SigSet::from_signals(&[Signal::HUP]);
    /// let old = signal::block(&hup)?;
    /// assert_eq!(hup.try_wait()?, None); // nothing pending
    /// signal::kill(rustix::process::getpid(), Signal::HUP)?;
    /// assert_eq!(hup.try_wait()?.map(|i| i.signal()), Some(Signal::HUP));
    /// signal::set_mask(&old)?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn try_wait(&self) -> Result<Option<SigInfo>> {
        self.wait_timeout(Duration::ZERO)
    }
}

fn sigtimedwait(set: &SigSet, timeout: Option<&g::__kernel_timespec>) -> Result<Option<SigInfo>> {
    const OP: Op = Op::Sigtimedwait;
    match kernel::sigtimedwait(set.as_raw(), timeout) {
        Ok(i) => SigInfo::new(i.signo, i.code, i.pid, i.uid, i.status)
            .map(Some)
            .ok_or(Error::os(OP, Errno::INVAL)),
        Err(Errno::AGAIN) if timeout.is_some() => Ok(None),
        Err(e) => Err(e).ctx(OP),
    }
}
