//! [`setuid`] and [`setgid`]: all three ids at once, and their
//! [`SingleThreaded`] methods.

use crate::error::{Error, Op, Result};
use crate::num::Decimal;
use crate::process::SingleThreaded;
use crate::process::require_single_thread;
use rustix::process::{Gid, Uid};
use rustix::thread;

/// `InvalidInput` for the id `4294967295` (`-1`), which the kernel reads as
/// "leave unchanged": a call with it would change nothing and succeed.
pub(super) fn check_raw_id(raw: u32, op: Op) -> Result<()> {
    if raw == u32::MAX {
        return Err(Error::invalid(op).with_input(Decimal::new(raw.into()).as_bytes()));
    }
    Ok(())
}

/// `setresuid(2)`—Sets the real, effective and saved user ids to `uid`.
///
/// With privilege (`CAP_SETUID`) any uid is allowed; without, only one of
/// the three current ids. Unlike glibc's `setuid(3)`, which changes only
/// the effective id when unprivileged, all three ids always change
/// together. Leaving uid 0 this way clears the permitted and effective
/// capabilities only as the kernel's uid fix-up does (not with
/// `PR_SET_KEEPCAPS` or `SECBIT_NO_SETUID_FIXUP`, and never the inheritable
/// set): to leave root for good, use [`drop_privileges`](crate::drop_privileges).
///
/// # Errors
///
/// - [`ErrorKind::MultiThreaded`](crate::ErrorKind::MultiThreaded) if the
///   process has more than one thread (see the
///   [per-thread rule](super#the-per-thread-credential-rule)).
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for uid
///   `4294967295` (the kernel's "unchanged").
/// - [`ErrorKind::Os`](crate::ErrorKind::Os): `EPERM` without the
///   privilege; `EINVAL` for an id outside the user namespace.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`setresuid(2)`](https://man7.org/linux/man-pages/man2/setresuid.2.html)
///
/// # Examples
///
/// ```no_run
/// // Needs root (CAP_SETUID).
/// daemonry::setuid(daemonry::Uid::from_raw(65534))?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "setresuid")]
pub fn setuid(uid: Uid) -> Result<()> {
    require_single_thread(Op::Setuid)?.setuid(uid)
}

/// `setresgid(2)`—Sets the real, effective and saved group ids to `gid`.
///
/// Supplementary groups are not touched: see [`setgroups`](crate::setgroups),
/// [`initgroups`](crate::initgroups) and [`drop_privileges`](crate::drop_privileges).
///
/// # Errors
///
/// - [`ErrorKind::MultiThreaded`](crate::ErrorKind::MultiThreaded) if the
///   process has more than one thread.
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for gid
///   `4294967295`.
/// - [`ErrorKind::Os`](crate::ErrorKind::Os): `EPERM` without `CAP_SETGID`
///   (unless `gid` is one of the current three); `EINVAL` for an id outside
///   the user namespace.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`setresgid(2)`](https://man7.org/linux/man-pages/man2/setresgid.2.html)
///
/// # Examples
///
/// ```no_run
/// // Needs root (CAP_SETGID).
/// daemonry::setgid(daemonry::Gid::from_raw(65534))?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "setresgid")]
pub fn setgid(gid: Gid) -> Result<()> {
    require_single_thread(Op::Setgid)?.setgid(gid)
}

impl SingleThreaded {
    /// [`setuid`] for a process already known to run one thread: no
    /// thread check.
    ///
    /// # Warning
    ///
    /// Only the calling thread changes. With a stale proof (a thread was
    /// started after it was made) or an [`assume`](SingleThreaded::assume)d
    /// one that was wrong, the other threads keep the old credentials.
    ///
    /// # Errors
    ///
    /// As [`setuid`], without `MultiThreaded`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`setresuid(2)`](https://man7.org/linux/man-pages/man2/setresuid.2.html)
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use daemonry::{Gid, Uid, process::SingleThreaded};
    /// // Needs root. One check for several calls.
    /// let proof = SingleThreaded::check()?;
    /// proof.setgid(Gid::from_raw(65534))?;
    /// proof.setuid(Uid::from_raw(65534))?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "setresuid")]
    pub fn setuid(self, uid: Uid) -> Result<()> {
        check_raw_id(uid.as_raw(), Op::Setuid)?;
        thread::set_thread_res_uid(uid, uid, uid).map_err(|e| Error::os(Op::Setuid, e))
    }

    /// [`setgid`] for a process already known to run one thread: no
    /// thread check.
    ///
    /// # Warning
    ///
    /// Only the calling thread changes; see [`SingleThreaded::setuid`].
    ///
    /// # Errors
    ///
    /// As [`setgid`], without `MultiThreaded`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`setresgid(2)`](https://man7.org/linux/man-pages/man2/setresgid.2.html)
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use daemonry::{Gid, process::SingleThreaded};
    /// // Needs root; right after a raw fork the child has one thread.
    /// SingleThreaded::assume().setgid(Gid::from_raw(65534))?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "setresgid")]
    pub fn setgid(self, gid: Gid) -> Result<()> {
        check_raw_id(gid.as_raw(), Op::Setgid)?;
        thread::set_thread_res_gid(gid, gid, gid).map_err(|e| Error::os(Op::Setgid, e))
    }
}
