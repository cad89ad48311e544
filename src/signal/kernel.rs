//! The signal system calls in one architecture-neutral shape: signal sets
//! as `u64` bit masks (bit `n - 1` is signal `n`), actions as a plain
//! struct, timers with 64-bit seconds. The rest of `signal` calls only
//! these.
//!
//! These are thin adapters over `crate::sys`: the names and signatures
//! are those of the architecture-neutral wrappers of the multi-architecture
//! `sys` layer (`sys::sigaction`, `sys::sigprocmask`, `sys::sigtimedwait`,
//! `sys::itimer`), so this file can give way to them unchanged.
//! [`signalfd4`] is the one call `sys` lacks; see its documentation.
//!
//! # Safety
//!
//! [`sigaction`] passes its caller's promise (the handler is sound to run
//! asynchronously) to `sys::rt_sigaction` and adds what that function
//! requires of every handler: `SA_RESTORER` with `sys::restorer()`.
//! [`signalfd4`] passes pointers to a local signal set of the kernel's
//! size.

#![allow(unsafe_code)] // See "Safety" above.

use linux_raw_sys::general as g;
use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::io::Errno;

use crate::sys;

pub(crate) use crate::sys::RawSigInfo;

/// `SIG_DFL` as a [`SigAction::handler`].
pub(crate) const SIG_DFL: usize = 0;
/// `SIG_IGN` as a [`SigAction::handler`].
pub(crate) const SIG_IGN: usize = 1;

/// A signal action, the same on every architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SigAction {
    /// [`SIG_DFL`], [`SIG_IGN`] or the address of an
    /// `extern "C" fn(i32)` handler.
    pub(crate) handler: usize,
    /// `SA_*` flags, without `SA_RESTORER` (added here when needed).
    pub(crate) flags: u32,
    /// Signals blocked while the handler runs.
    pub(crate) mask: u64,
}

/// `value` as a type at least as wide on every architecture (a plain cast
/// or `From` is a no-op, and linted, where the kernel's `long` is 64 bits).
fn widen<T: Into<U>, U>(value: T) -> U {
    value.into()
}

fn kernel_set(bits: u64) -> sys::KernelSigset {
    sys::KernelSigset { sig: [bits as _] }
}

fn set_bits(set: &sys::KernelSigset) -> u64 {
    let [word] = set.sig;
    widen(word)
}

/// `rt_sigaction(2)`: installs `new` (if given) for `sig` and returns the
/// previous action. A handler returns through daemonry's restorer.
///
/// # Safety
///
/// A handler in `new` must be an `extern "C" fn(i32)` (or a function of
/// the same ABI) that is sound to run asynchronously at any point of the
/// program.
pub(crate) unsafe fn sigaction(sig: i32, new: Option<&SigAction>) -> Result<SigAction, Errno> {
    let new = new.map(|n| {
        let real_handler = n.handler > SIG_IGN;
        let restorer = if real_handler { g::SA_RESTORER } else { 0 };
        sys::KernelSigaction {
            // SAFETY: `handler` is SIG_DFL (0 → `None`), SIG_IGN (1) or a
            // handler's address (the caller's promise). A non-null value is
            // valid for a function pointer that is only passed to the
            // kernel, never called by us.
            sa_handler_kernel: unsafe {
                core::mem::transmute::<usize, g::__kernel_sighandler_t>(n.handler)
            },
            sa_flags: (n.flags | restorer) as _,
            sa_restorer: if real_handler { sys::restorer() } else { None },
            sa_mask: kernel_set(n.mask),
        }
    });
    // SAFETY: a real handler carries SA_RESTORER with our trampoline, and
    // the caller vouches that it is sound to run asynchronously.
    let old = unsafe { sys::rt_sigaction(sig, new.as_ref()) }?;
    Ok(SigAction {
        handler: old.sa_handler_kernel.map_or(SIG_DFL, |f| f as usize),
        // Every flag the kernel defines is below bit 32.
        flags: old.sa_flags as u32,
        mask: set_bits(&old.sa_mask),
    })
}

/// `rt_sigprocmask(2)` for the calling thread; `how` is `SIG_BLOCK`,
/// `SIG_UNBLOCK` or `SIG_SETMASK`. Returns the previous mask.
pub(crate) fn sigprocmask(how: u32, new: Option<u64>) -> Result<u64, Errno> {
    let new = new.map(kernel_set);
    sys::rt_sigprocmask(how, new.as_ref()).map(|old| set_bits(&old))
}

/// `rt_sigtimedwait(2)`: waits for one of `set` (which should be blocked)
/// and takes it; `timeout` `None` waits forever. `EAGAIN` on timeout,
/// `EINTR` when a handled signal outside `set` interrupts the wait.
pub(crate) fn sigtimedwait(
    set: u64,
    timeout: Option<&g::__kernel_timespec>,
) -> Result<RawSigInfo, Errno> {
    sys::rt_sigtimedwait(&kernel_set(set), timeout)
}

/// A `struct timeval` with 64-bit seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Timeval {
    /// Seconds.
    pub(crate) tv_sec: i64,
    /// Microseconds, `0..1_000_000`.
    pub(crate) tv_usec: i64,
}

/// A `struct itimerval` with 64-bit seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Itimerval {
    /// The period after the first expiry (zero: one shot).
    pub(crate) it_interval: Timeval,
    /// The time to the next expiry (zero: disarmed).
    pub(crate) it_value: Timeval,
}

fn to_kernel(t: Timeval) -> g::timeval {
    g::timeval {
        tv_sec: t.tv_sec as _,
        tv_usec: t.tv_usec as _,
    }
}

fn from_kernel(t: g::timeval) -> Timeval {
    Timeval {
        tv_sec: widen(t.tv_sec),
        tv_usec: widen(t.tv_usec),
    }
}

/// `setitimer(2)`: sets timer `which` and returns its previous value.
pub(crate) fn itimer(which: u32, new: &Itimerval) -> Result<Itimerval, Errno> {
    let new = g::itimerval {
        it_interval: to_kernel(new.it_interval),
        it_value: to_kernel(new.it_value),
    };
    let old = sys::setitimer(which, &new)?;
    Ok(Itimerval {
        it_interval: from_kernel(old.it_interval),
        it_value: from_kernel(old.it_value),
    })
}

/// `signalfd4(2)`: a new signalfd for the signals in `mask` (`fd` `None`),
/// or a new mask for the signalfd `fd` (then `Ok(None)`). `flags` are
/// `SFD_CLOEXEC` and `SFD_NONBLOCK` (the `O_` values).
///
/// rustix has no signalfd in its public API and `sys` has no wrapper yet,
/// so until `sys::signalfd4` exists this calls the C library's
/// `signalfd(3)`, which every program linked with a libc has (all `std`
/// programs). A `no_std` program without a libc that uses
/// [`SignalFd`](super::SignalFd) fails to link. The wrapper that replaces
/// it, beside `sys::rt_sigprocmask`:
///
/// ```text
/// pub(crate) fn signalfd4(fd: Option<BorrowedFd<'_>>, mask: u64, flags: u32)
///     -> Result<Option<OwnedFd>, Errno>
/// {
///     let set = kernel_sigset(mask);
///     let raw_fd = fd.map_or(-1, |fd| fd.as_raw_fd());
///     // SAFETY: `set` is a readable kernel signal set of the size passed.
///     let r = unsafe { arch::syscall4(g::__NR_signalfd4, raw_fd as usize,
///         &set as *const KernelSigset as usize,
///         core::mem::size_of::<KernelSigset>(), flags as usize) };
///     let new = check(r)?;
///     // SAFETY: without `fd`, the kernel returned a new fd that we own.
///     Ok(fd.is_none().then(|| unsafe { OwnedFd::from_raw_fd(new as RawFd) }))
/// }
/// ```
pub(crate) fn signalfd4(
    fd: Option<BorrowedFd<'_>>,
    mask: u64,
    flags: u32,
) -> Result<Option<OwnedFd>, Errno> {
    use rustix::fd::{AsRawFd, FromRawFd};
    unsafe extern "C" {
        /// The C library's `int signalfd(int fd, const sigset_t *mask, int
        /// flags)`: `signalfd4(2)` with the library's `sigset_t`, whose
        /// first 8 bytes are the kernel's set.
        fn signalfd(fd: i32, mask: *const u64, flags: i32) -> i32;
        /// The calling thread's `errno` (glibc and musl).
        fn __errno_location() -> *mut i32;
    }
    // The C library's `sigset_t` is 128 bytes; it passes only the kernel's
    // 8 to the system call.
    let mut set = [0u64; 16];
    if let Some(first) = set.first_mut() {
        *first = mask;
    }
    let raw_fd = fd.map_or(-1, |fd| fd.as_raw_fd());
    // SAFETY: `set` is readable and as large as the C library's `sigset_t`.
    let r = unsafe { signalfd(raw_fd, set.as_ptr(), flags as i32) };
    if r < 0 {
        // SAFETY: `__errno_location` returns the calling thread's errno.
        let errno = unsafe { *__errno_location() };
        return Err(Errno::from_raw_os_error(errno));
    }
    // SAFETY: without `fd`, the call returned a new fd that we own.
    Ok(fd.is_none().then(|| unsafe { OwnedFd::from_raw_fd(r) }))
}
