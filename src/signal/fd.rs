//! [`SignalFd`]: signals as a readable file descriptor (`signalfd(2)`), for
//! event loops (`poll`, `epoll`) and async runtimes.

use linux_raw_sys::general as g;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use rustix::io::Errno;

use super::kernel;
use super::{SigInfo, SigSet};
use crate::error::{Context, Error, Op, Result};

bitflags::bitflags! {
    /// Options for [`SignalFd::with_flags`]: the file descriptor's
    /// close-on-exec and non-blocking flags.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: a plain value.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::signal::SignalFdFlags;
    /// let for_a_runtime = SignalFdFlags::CLOEXEC | SignalFdFlags::NONBLOCK;
    /// assert!(for_a_runtime.contains(SignalFdFlags::NONBLOCK));
    /// ```
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct SignalFdFlags: u32 {
        /// `SFD_CLOEXEC`: closed in programs this process `execve`s.
        const CLOEXEC = g::O_CLOEXEC;
        /// `SFD_NONBLOCK`: [`SignalFd::read`] returns `Ok(None)` instead
        /// of waiting when no signal is pending (what an event loop or an
        /// async runtime needs).
        const NONBLOCK = g::O_NONBLOCK;
    }
}

/// Size of the kernel's `struct signalfd_siginfo`, what one read returns.
const RECORD: usize = 128;

/// Byte offsets of the `struct signalfd_siginfo` fields used (the layout is
/// the same on every architecture: fixed-size fields).
const SSI_SIGNO: usize = 0;
const SSI_CODE: usize = 8;
const SSI_PID: usize = 12;
const SSI_UID: usize = 16;
const SSI_STATUS: usize = 40;

/// A file descriptor that becomes readable when one of its signals is
/// pending, and reads as the pending signal's [`SigInfo`]
/// (`signalfd(2)`): signals in an event loop, with no handler and no
/// `unsafe`.
///
/// The signals must be **blocked** in every thread (see
/// [`block`](super::block); block them in `main` before starting threads
/// or a runtime), or they are delivered the usual way instead (for
/// SIGTERM: the process ends). Blocking is the caller's job rather than
/// the constructor's because it has to happen in each thread, and best
/// before the others exist; the constructor changes no mask.
///
/// Reading takes a pending signal, as [`SigSet::wait`] does: the oldest
/// pending signal of the set (standard signals do not queue, real-time
/// ones do). It works with `poll(2)` and `epoll(7)` (readable when a
/// signal is pending) and with async runtimes through their fd adapters,
/// e.g. tokio's `AsyncFd<SignalFd>` (make it with
/// [`SignalFdFlags::NONBLOCK`]). It allocates nothing, in `no_std` too.
///
/// A process reading a `SignalFd` gets the signals pending for itself: a
/// `fork` child reading an inherited one sees its own, not its parent's.
///
/// A `SignalFd` owns its fd: [`as_raw_fd`](AsRawFd::as_raw_fd) returns the
/// same open fd for the value's whole life (what tokio's unsafe
/// `AsyncFd::register` asks of its argument), and it is closed on drop.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`signalfd(2)`](https://man7.org/linux/man-pages/man2/signalfd.2.html)
///
/// # Examples
///
/// ```
/// use daemonry::signal::{self, SigSet, SignalFd, SignalFdFlags};
/// use daemonry::Signal;
/// use rustix::event::{poll, PollFd, PollFlags};
///
/// let shutdown = SigSet::from_signals(&[Signal::TERM, Signal::INT]);
/// let old = signal::block(&shutdown)?; // in main, before any thread
/// let sfd = SignalFd::with_flags(&shutdown, SignalFdFlags::CLOEXEC | SignalFdFlags::NONBLOCK)?;
///
/// signal::kill(rustix::process::getpid(), Signal::TERM)?; // as a service manager would
/// let mut fds = [PollFd::new(&sfd, PollFlags::IN)];
/// poll(&mut fds, None).expect("poll"); // with the listening socket's fd beside it
/// let info = sfd.read()?.expect("readable, so a signal is pending");
/// assert_eq!(info.signal(), Signal::TERM);
/// assert_eq!(sfd.read()?, None); // nothing more
/// # signal::set_mask(&old)?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Debug)]
pub struct SignalFd {
    fd: OwnedFd,
}

impl SignalFd {
    /// `signalfd(2)`—A blocking, close-on-exec `SignalFd` for the signals
    /// in `set` (which the caller blocks: see [`SignalFd`]).
    ///
    /// [`with_flags`](Self::with_flags) with
    /// [`SignalFdFlags::CLOEXEC`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) of [`Op::Signalfd`]: `EMFILE`
    /// or `ENFILE` when no fd is free, `ENOMEM`, `ENODEV` when the kernel
    /// lacks signalfd support.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`signalfd(2)`](https://man7.org/linux/man-pages/man2/signalfd.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::{SigSet, SignalFd}, Signal};
    /// let hup = SignalFd::new(&SigSet::from_signals(&[Signal::HUP]))?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "signalfd")]
    pub fn new(set: &SigSet) -> Result<SignalFd> {
        SignalFd::with_flags(set, SignalFdFlags::CLOEXEC)
    }

    /// `signalfd(2)`—A `SignalFd` for the signals in `set` (which the
    /// caller blocks: see [`SignalFd`]) with the fd flags `flags`.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`signalfd(2)`](https://man7.org/linux/man-pages/man2/signalfd.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::{SigSet, SignalFd, SignalFdFlags}, Signal};
    /// let set = SigSet::from_signals(&[Signal::USR1]);
    /// let sfd = SignalFd::with_flags(&set, SignalFdFlags::CLOEXEC | SignalFdFlags::NONBLOCK)?;
    /// assert_eq!(sfd.read()?, None); // nothing pending, and no waiting
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "signalfd")]
    #[doc(alias = "signalfd4")]
    pub fn with_flags(set: &SigSet, flags: SignalFdFlags) -> Result<SignalFd> {
        match kernel::signalfd4(None, set.as_raw(), flags.bits()).ctx(Op::Signalfd)? {
            Some(fd) => Ok(SignalFd { fd }),
            // Without an fd to change, the kernel always makes a new one.
            None => Err(Error::os(Op::Signalfd, Errno::INVAL)),
        }
    }

    /// `signalfd(2)` on this fd—Replaces the set of signals it reports.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) of [`Op::Signalfd`] if the
    /// kernel refuses (not expected).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`signalfd(2)`](https://man7.org/linux/man-pages/man2/signalfd.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::{SigSet, SignalFd}, Signal};
    /// let sfd = SignalFd::new(&SigSet::from_signals(&[Signal::TERM]))?;
    /// sfd.set_signals(&SigSet::from_signals(&[Signal::TERM, Signal::HUP]))?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn set_signals(&self, set: &SigSet) -> Result<()> {
        kernel::signalfd4(Some(self.fd.as_fd()), set.as_raw(), 0)
            .map(drop)
            .ctx(Op::Signalfd)
    }

    /// `read(2)`—Takes one pending signal of the set and returns what the
    /// kernel tells about it; `Ok(None)` when none is pending and the fd is
    /// non-blocking ([`SignalFdFlags::NONBLOCK`]). A blocking `SignalFd`
    /// waits for one.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) of [`Op::ReadSignalfd`]:
    /// `EINTR` when a handled signal interrupted a blocking read (call
    /// again).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`signalfd(2)`](https://man7.org/linux/man-pages/man2/signalfd.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::signal::{self, SigSet, SignalFd};
    /// use daemonry::Signal;
    /// let usr2 = SigSet::from_signals(&[Signal::USR2]);
    /// let old = signal::block(&usr2)?;
    /// let sfd = SignalFd::new(&usr2)?;
    /// let me = rustix::process::getpid();
    /// signal::kill(me, Signal::USR2)?;
    /// let info = sfd.read()?.expect("a blocking read returns a signal");
    /// assert_eq!((info.signal(), info.pid()), (Signal::USR2, Some(me)));
    /// # signal::set_mask(&old)?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn read(&self) -> Result<Option<SigInfo>> {
        const OP: Op = Op::ReadSignalfd;
        let mut record = [0u8; RECORD];
        match rustix::io::read(&self.fd, &mut record) {
            Ok(RECORD) => decode(&record).map(Some).ok_or(Error::os(OP, Errno::INVAL)),
            // The kernel returns whole records only.
            Ok(_) => Err(Error::os(OP, Errno::INVAL)),
            Err(Errno::AGAIN) => Ok(None),
            Err(e) => Err(e).ctx(OP),
        }
    }
}

/// The 4 bytes at `offset` of a record, as native-endian bits.
fn word(record: &[u8; RECORD], offset: usize) -> [u8; 4] {
    record
        .get(offset..offset + 4)
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; 4])
}

/// A `struct signalfd_siginfo` as a [`SigInfo`].
fn decode(record: &[u8; RECORD]) -> Option<SigInfo> {
    let int = |offset| i32::from_ne_bytes(word(record, offset));
    let signo = u32::from_ne_bytes(word(record, SSI_SIGNO));
    SigInfo::new(
        i32::try_from(signo).ok()?,
        int(SSI_CODE),
        // `ssi_pid` is a u32 holding a pid_t.
        int(SSI_PID),
        u32::from_ne_bytes(word(record, SSI_UID)),
        int(SSI_STATUS),
    )
}

impl AsFd for SignalFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for SignalFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<SignalFd> for OwnedFd {
    fn from(sfd: SignalFd) -> OwnedFd {
        sfd.fd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_record() {
        let mut r = [0u8; RECORD];
        r[SSI_SIGNO..SSI_SIGNO + 4].copy_from_slice(&17u32.to_ne_bytes());
        r[SSI_CODE..SSI_CODE + 4].copy_from_slice(&1i32.to_ne_bytes());
        r[SSI_PID..SSI_PID + 4].copy_from_slice(&4242u32.to_ne_bytes());
        r[SSI_UID..SSI_UID + 4].copy_from_slice(&1000u32.to_ne_bytes());
        r[SSI_STATUS..SSI_STATUS + 4].copy_from_slice(&7i32.to_ne_bytes());
        let info = decode(&r).unwrap();
        assert_eq!(info.signal(), super::super::Signal::CHILD);
        assert_eq!(info.child_status(), Some(7));
        assert_eq!(info.pid().map(|p| p.as_raw_nonzero().get()), Some(4242));
        r[SSI_SIGNO..SSI_SIGNO + 4].copy_from_slice(&0u32.to_ne_bytes());
        assert_eq!(decode(&r), None);
    }
}
