//! Signal dispositions (celery's `Signals` item access, `ignore`, `reset`
//! and `reset_all`'s daemon step): what the kernel does when a signal
//! arrives.
//!
//! # Safety
//!
//! One `unsafe` function, [`set_handler`], whose `# Safety` section passes
//! the handler's soundness on to its caller; the other calls install
//! `SIG_DFL`/`SIG_IGN` or only query, so no code of ours or of the caller
//! runs asynchronously.

#![allow(unsafe_code)] // See "Safety" above.

use linux_raw_sys::general as g;
use rustix::io::Errno;

use super::kernel::{self, SIG_DFL, SIG_IGN, SigAction};
use super::{SigSet, Signal, set_mask};
use crate::error::{Context, Error, Op, Result};

/// What the kernel will do when a signal arrives, as [`handler`] reports
/// it.
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
///
/// # Examples
///
/// ```
/// use daemonry::{signal::{handler, Disposition}, Signal};
/// // The default action of SIGKILL can never change.
/// assert_eq!(handler(Signal::KILL)?, Disposition::Default);
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Disposition {
    /// `SIG_DFL`: the signal's default action (terminate, core, stop,
    /// continue or ignore, per signal(7)).
    Default,
    /// `SIG_IGN`: the signal is discarded.
    Ignore,
    /// A handler function at `address` (installed by us or by anyone else,
    /// e.g. Rust's runtime or libc); `siginfo` when it was installed with
    /// `SA_SIGINFO` and so takes three arguments. Compare with
    /// [`Disposition::from_handler`].
    Handler {
        /// The handler's code address.
        address: usize,
        /// Installed with `SA_SIGINFO` (three-argument form).
        siginfo: bool,
    },
}

impl Disposition {
    /// The disposition [`set_handler`] installs for `f`, for comparing with
    /// what [`handler`] reports.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::Disposition, Signal};
    /// extern "C" fn on_hup(_: Signal) {}
    /// let d = Disposition::from_handler(on_hup);
    /// assert!(matches!(d, Disposition::Handler { siginfo: false, .. }));
    /// ```
    pub fn from_handler(f: extern "C" fn(Signal)) -> Disposition {
        Disposition::Handler {
            address: f as *const () as usize,
            siginfo: false,
        }
    }

    fn from_action(act: &SigAction) -> Disposition {
        match act.handler {
            SIG_DFL => Disposition::Default,
            SIG_IGN => Disposition::Ignore,
            address => Disposition::Handler {
                address,
                siginfo: act.flags & g::SA_SIGINFO != 0,
            },
        }
    }
}

/// Whether a system call that a handler interrupts is restarted
/// (`SA_RESTART`), for [`set_handler`].
///
/// [`Restart::Yes`] is the default and what glibc's `signal(3)` does: a
/// blocking `read`, `write`, `accept` or `wait` that the handler
/// interrupted carries on as if nothing happened. [`Restart::No`] makes it
/// fail with `EINTR` instead, so the code that was blocked notices the
/// signal: the building block of a graceful shutdown with a handler (the
/// handler sets an atomic flag, the blocked call returns `EINTR`, the loop
/// checks the flag). Some calls are never restarted whatever the choice
/// (`poll`, `epoll_wait`, `nanosleep`, …; see signal(7)).
///
/// Rust's std retries `EINTR` itself in some calls
/// (`std::net::TcpListener::accept`, `io::copy`, `read_exact`, …), so
/// there [`Restart::No`] interrupts nothing the program sees: use calls
/// that report `EINTR` (rustix's `accept`, `read`), or take the signal
/// synchronously instead ([`SigSet::wait`] in a thread, or a
/// [`SignalFd`](super::SignalFd) in the event loop), which needs no
/// handler at all.
///
/// Not `#[non_exhaustive]`: the flag is set or it is not.
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
///
/// # References
///
/// [`signal(7)`](https://man7.org/linux/man-pages/man7/signal.7.html)
/// ("Interruption of system calls and library functions by signal
/// handlers")
///
/// # Examples
///
/// ```
/// use daemonry::signal::Restart;
/// assert_eq!(Restart::default(), Restart::Yes);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Restart {
    /// `SA_RESTART`: interrupted system calls are restarted.
    #[default]
    Yes,
    /// No `SA_RESTART`: interrupted system calls fail with `EINTR`.
    No,
}

/// `Ok` unless `sig` is SIGKILL or SIGSTOP (whose action can never change):
/// then a clear `EINVAL` naming it, as the kernel would.
fn check_changeable(sig: Signal, op: Op) -> Result<()> {
    if sig == Signal::KILL || sig == Signal::STOP {
        let name = sig.name().as_str();
        return Err(Error::os(op, Errno::INVAL).with_input(name.as_bytes()));
    }
    Ok(())
}

/// Sets SIG_DFL or SIG_IGN for `sig`.
fn set_plain(sig: Signal, handler: usize, op: Op) -> Result<()> {
    let act = SigAction {
        handler,
        flags: 0,
        mask: 0,
    };
    // SAFETY: SIG_DFL/SIG_IGN install no handler code.
    unsafe { kernel::sigaction(sig.as_raw(), Some(&act)) }
        .map(drop)
        .ctx(op)
}

/// Sets `handler` for each of `sigs`, after checking all of them first so
/// a refused signal changes nothing.
fn set_all(sigs: &[Signal], handler: usize) -> Result<()> {
    const OP: Op = Op::Sigaction;
    for &sig in sigs {
        check_changeable(sig, OP)?;
    }
    for &sig in sigs {
        set_plain(sig, handler, OP)?;
    }
    Ok(())
}

/// `sigaction(2)` with `SIG_IGN`—Ignores each signal in `sigs` (celery's
/// `signals.ignore`).
///
/// Every signal is checked before anything changes. Parse names with
/// [`parse_signal`](crate::parse_signal) (celery silently skips unknown
/// names; daemonry's parser reports them). Dispositions are process-wide
/// and survive `fork`; ignored signals stay ignored across `execve`.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) with `EINVAL`, naming the
/// signal, for SIGKILL or SIGSTOP (their action cannot change); nothing is
/// changed then.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sigaction(2)`](https://man7.org/linux/man-pages/man2/sigaction.2.html)
///
/// # Examples
///
/// ```
/// use daemonry::{signal, Signal};
/// # signal::ignore(&[])?;
/// # if false {
/// signal::ignore(&[Signal::HUP, daemonry::parse_signal("USR2")?])?;
/// # }
/// assert!(signal::ignore(&[Signal::KILL]).is_err());
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "ignore_signal")]
pub fn ignore(sigs: &[Signal]) -> Result<()> {
    set_all(sigs, SIG_IGN)
}

/// `sigaction(2)` with `SIG_DFL`—Restores the default action of each signal
/// in `sigs` (celery's `signals.reset`).
///
/// Checked and applied as [`ignore`].
///
/// # Errors
///
/// As [`ignore`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sigaction(2)`](https://man7.org/linux/man-pages/man2/sigaction.2.html)
///
/// # Examples
///
/// ```
/// use daemonry::{signal, Signal};
/// # signal::reset(&[])?;
/// # if false {
/// signal::reset(&[Signal::TERM, Signal::rt(2).unwrap()])?;
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "reset_signal")]
pub fn reset(sigs: &[Signal]) -> Result<()> {
    set_all(sigs, SIG_DFL)
}

/// `sigaction(2)`—Installs `handler` for `sig` and returns the previous
/// disposition (celery's `signals[name] = handler`).
///
/// `restart` says whether system calls the handler interrupts are
/// restarted ([`Restart::Yes`], `SA_RESTART`, the usual choice) or fail
/// with `EINTR` ([`Restart::No`], so a blocked `accept` or `read` returns
/// and the program can notice a shutdown request). The handler receives
/// the signal as a [`Signal`] (the kernel passes its number, always
/// 1..=64, as a C `int`, which is `Signal`'s layout). The action has an
/// empty `sa_mask` (only `sig` itself is blocked while the handler runs)
/// and `SA_RESTORER` with daemonry's own `rt_sigreturn` trampoline: a raw
/// `rt_sigaction` without it cannot return from a handler. The handler
/// returns normally and the interrupted code continues.
///
/// For a shutdown that needs no handler at all (and so no `unsafe`), block
/// the signals and take them with [`SigSet::wait`] in a thread or read
/// them from a [`SignalFd`](super::SignalFd) in an event loop.
///
/// Mixing with libc: libc's `sigaction` will report daemonry's trampoline
/// as `sa_restorer` for this signal; that is harmless.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) with `EINVAL` for SIGKILL or
/// SIGSTOP.
///
/// # Async-signal safety
///
/// Installing is safe between fork and exec: no allocation, locks or
/// panics.
///
/// # Safety
///
/// `handler` will run re-entrantly: at any instruction of any thread that
/// has `sig` unblocked, in the middle of whatever that thread was doing,
/// including code that holds a lock or is halfway through changing
/// memory. Memory safety depends on what it does then, which the compiler
/// cannot check. It must be async-signal-safe: touch only atomics (or
/// `volatile` data), make raw system calls or call this crate's core
/// functions; never allocate, take a lock, or read or write data that the
/// interrupted code may be in the middle of changing. It must return
/// normally (a panic crossing `extern "C"` aborts) and preserve `errno` if
/// the program uses libc's `errno`.
///
/// # References
///
/// [`sigaction(2)`](https://man7.org/linux/man-pages/man2/sigaction.2.html),
/// [`signal(7)`](https://man7.org/linux/man-pages/man7/signal.7.html),
/// [`signal-safety(7)`](https://man7.org/linux/man-pages/man7/signal-safety.7.html)
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use daemonry::{signal::{self, Restart}, Signal};
/// static STOP: AtomicBool = AtomicBool::new(false);
/// extern "C" fn on_term(_: Signal) {
///     STOP.store(true, Ordering::SeqCst);
/// }
/// # if false {
/// // SAFETY: the handler only stores to an atomic. Without restart, a
/// // blocking accept() returns EINTR and the loop sees STOP.
/// unsafe { signal::set_handler(Signal::TERM, on_term, Restart::No)? };
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "install_signal_handler")]
#[doc(alias = "sigaction")]
#[doc(alias = "SA_RESTART")]
pub unsafe fn set_handler(
    sig: Signal,
    handler: extern "C" fn(Signal),
    restart: Restart,
) -> Result<Disposition> {
    const OP: Op = Op::Sigaction;
    check_changeable(sig, OP)?;
    let act = SigAction {
        handler: handler as *const () as usize,
        flags: match restart {
            Restart::Yes => g::SA_RESTART,
            Restart::No => 0,
        },
        mask: 0,
    };
    // SAFETY: `handler` is an `extern "C" fn(Signal)`, ABI-identical to the
    // kernel's `void (*)(int)`: `Signal` is `#[repr(transparent)]` over a
    // `NonZeroI32`, and the kernel passes the signal's number, 1..=64, so
    // the argument is always a valid `Signal`. The caller vouches that the
    // handler is sound to run asynchronously.
    let old = unsafe { kernel::sigaction(sig.as_raw(), Some(&act)) }.ctx(OP)?;
    Ok(Disposition::from_action(&old))
}

/// `sigaction(2)` query—The current disposition of `sig` (celery's
/// `signals[name]`).
///
/// SIGKILL and SIGSTOP can be queried (they are always `Default`).
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
/// [`sigaction(2)`](https://man7.org/linux/man-pages/man2/sigaction.2.html)
///
/// # Examples
///
/// ```
/// use daemonry::{signal::{handler, Disposition}, Signal};
/// // Rust's runtime ignores SIGPIPE in every std program.
/// assert_eq!(handler(Signal::PIPE)?, Disposition::Ignore);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn handler(sig: Signal) -> Result<Disposition> {
    // SAFETY: a query (no new action) installs nothing.
    let old = unsafe { kernel::sigaction(sig.as_raw(), None) }.ctx(Op::Sigaction)?;
    Ok(Disposition::from_action(&old))
}

/// Resets every catchable signal (all of 1..=64 except SIGKILL and SIGSTOP)
/// to `SIG_DFL`, then empties the calling thread's signal mask: the first
/// step of a classic daemon (daemon(7)).
///
/// This undoes what the runtime set up, on purpose: Rust's std ignores
/// SIGPIPE (afterwards a write to a closed pipe kills the process instead of
/// returning `EPIPE`) and handles SIGSEGV/SIGBUS to report stack overflows;
/// glibc installs handlers for its reserved real-time signals 32 and 33
/// once threads exist, and does not reinstall them. Call it while the
/// process is single-threaded, before starting threads, as daemon start-up
/// does; re-ignore SIGPIPE afterwards if the program relies on `EPIPE`.
///
/// # Warning
///
/// Dispositions are process-wide, but the mask is per thread: only the
/// calling thread's mask is emptied.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) if the kernel refuses a
/// signal (not expected on Linux); the remaining signals are still reset.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`daemon(7)`](https://man7.org/linux/man-pages/man7/daemon.7.html),
/// [`sigaction(2)`](https://man7.org/linux/man-pages/man2/sigaction.2.html),
/// [`sigprocmask(2)`](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
///
/// # Examples
///
/// ```no_run
/// // In a freshly forked daemon child:
/// daemonry::signal::reset_all()?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn reset_all() -> Result<()> {
    const OP: Op = Op::Sigaction;
    let mut first_error = None;
    for sig in SigSet::FULL.iter() {
        if check_changeable(sig, OP).is_err() {
            continue;
        }
        if let Err(e) = set_plain(sig, SIG_DFL, OP) {
            first_error.get_or_insert(e);
        }
    }
    set_mask(&SigSet::EMPTY).map_err(|e| e.with_op(OP))?;
    first_error.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_and_stop_are_refused_by_name() {
        let e = ignore(&[Signal::USR1, Signal::KILL]).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::INVAL));
        assert_eq!(e.input().unwrap().as_bytes(), b"SIGKILL");
        let e = reset(&[Signal::STOP]).unwrap_err();
        assert_eq!(e.input().unwrap().as_bytes(), b"SIGSTOP");
        assert_eq!(handler(Signal::STOP).unwrap(), Disposition::Default);
    }
}
