//! Signal dispositions, the signal mask and the real-time alarm (celery's
//! `Signals` item access, `ignore`, `reset`, `arm_alarm`, `reset_alarm`).
//!
//! This is the one module that calls `rt_sigaction`, `rt_sigprocmask` and
//! `setitimer` (through the typed wrappers in `crate::sys`).
//!
//! # Safety
//!
//! The unsafe code here converts between the kernel's handler word and
//! function pointers (`SIG_DFL` is 0, `SIG_IGN` is 1: never called, only
//! passed to the kernel) and calls `sys::rt_sigaction`, whose contract is:
//! a real handler is installed only with `SA_RESTORER` and
//! `sys::restorer()`, which [`set_handler`] always does, and the handler
//! must be sound to run asynchronously, which [`set_handler`]'s own
//! `# Safety` section passes on to its caller.

#![allow(unsafe_code)]

use crate::error::Op;
use core::time::Duration;

use linux_raw_sys::general as g;
use rustix::io::Errno;

use super::names::{SIGRTMAX, signal_name};
use crate::error::{Context, Error, Result};
use crate::sys;

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
/// use daemonry::signal::{handler, Disposition};
/// // The default action of SIGKILL can never change.
/// assert_eq!(handler(9)?, Disposition::Default);
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
    /// # Examples
    ///
    /// ```
    /// use daemonry::signal::Disposition;
    /// extern "C" fn on_hup(_: i32) {}
    /// let d = Disposition::from_handler(on_hup);
    /// assert!(matches!(d, Disposition::Handler { siginfo: false, .. }));
    /// ```
    pub fn from_handler(f: extern "C" fn(i32)) -> Disposition {
        Disposition::Handler {
            address: f as *const () as usize,
            siginfo: false,
        }
    }
}

/// The kernel's `SIG_DFL` and `SIG_IGN` handler words.
const SIG_DFL: usize = 0;
const SIG_IGN: usize = 1;

/// `Ok` for a signal number the kernel knows (1..=64); `InvalidInput`
/// naming the number otherwise.
pub(super) fn check_range(sig: i32, context: Op) -> Result<()> {
    if (1..=SIGRTMAX).contains(&sig) {
        return Ok(());
    }
    let num = crate::num::Decimal::new(u64::from(sig.unsigned_abs()));
    let mut text = crate::cstr::CStrBuf::<24>::new();
    if sig < 0 {
        text.push(b"-");
    }
    text.push(num.as_bytes());
    Err(Error::invalid(context).with_input(text.as_bytes()))
}

/// [`check_range`], then refuses SIGKILL and SIGSTOP (whose action can
/// never change) with a clear `EINVAL`, as the kernel would.
fn check_changeable(sig: i32, context: Op) -> Result<()> {
    check_range(sig, context)?;
    if sig == g::SIGKILL as i32 || sig == g::SIGSTOP as i32 {
        let name = signal_name(sig).map_or("", |n| n.as_str());
        return Err(Error::os(context, Errno::INVAL).with_input(name.as_bytes()));
    }
    Ok(())
}

/// A `kernel_sigaction` for the handler word `word` (SIG_DFL or SIG_IGN).
fn plain_action(word: usize) -> sys::KernelSigaction {
    sys::KernelSigaction {
        // SAFETY: `word` is SIG_DFL (0 → `None`) or SIG_IGN (1). A function
        // pointer holding 1 is valid as a value (non-null); it is only
        // passed to the kernel, never called.
        sa_handler_kernel: unsafe { core::mem::transmute::<usize, g::__kernel_sighandler_t>(word) },
        sa_flags: 0,
        sa_restorer: None,
        sa_mask: sys::KernelSigset { sig: [0] },
    }
}

/// Sets SIG_DFL or SIG_IGN for one (checked) signal.
fn set_plain(sig: i32, word: usize, context: Op) -> Result<()> {
    let act = plain_action(word);
    // SAFETY: SIG_DFL/SIG_IGN install no handler code, so neither the
    // restorer nor async-signal soundness is involved.
    unsafe { sys::rt_sigaction(sig, Some(&act)) }
        .map(drop)
        .ctx(context)
}

/// Sets `word` for each of `sigs`, after checking all of them first so bad
/// input changes nothing.
fn set_all(sigs: &[i32], word: usize, context: Op) -> Result<()> {
    for &sig in sigs {
        check_changeable(sig, context)?;
    }
    for &sig in sigs {
        set_plain(sig, word, context)?;
    }
    Ok(())
}

/// `sigaction(2)` with `SIG_IGN`—Ignores each signal in `sigs` (celery's
/// `signals.ignore`).
///
/// Every number is checked before anything changes. Unlike celery, which
/// silently skips unknown names, bad input is an error (parse names with
/// [`parse_signal`](crate::parse_signal)). Dispositions are process-wide and
/// survive `fork`; ignored signals stay ignored across `execve`.
///
/// # Errors
///
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a
///   number outside 1..=64 (the input names it).
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) with `EINVAL` for SIGKILL or
///   SIGSTOP (their action cannot change), before anything is changed.
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
/// # daemonry::signal::ignore(&[])?;
/// # if false {
/// use rustix::process::Signal;
/// daemonry::signal::ignore(&[Signal::HUP.as_raw(), daemonry::parse_signal("USR2")?])?;
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "ignore_signal")]
pub fn ignore(sigs: &[i32]) -> Result<()> {
    set_all(sigs, SIG_IGN, Op::Sigaction)
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
/// # daemonry::signal::reset(&[])?;
/// # if false {
/// daemonry::signal::reset(&[daemonry::parse_signal("TERM")?])?;
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "reset_signal")]
pub fn reset(sigs: &[i32]) -> Result<()> {
    set_all(sigs, SIG_DFL, Op::Sigaction)
}

/// `sigaction(2)`—Installs `handler` for `sig` and returns the previous
/// disposition (celery's `signals[name] = handler`).
///
/// The action is installed with `SA_RESTART` (interrupted system calls are
/// restarted where the kernel can) and an empty `sa_mask` (only `sig`
/// itself is blocked while the handler runs), plus `SA_RESTORER` with
/// daemonry's own `rt_sigreturn` trampoline: a raw `rt_sigaction` without
/// it cannot return from a handler. The handler returns normally and the
/// interrupted code continues.
///
/// Mixing with libc: libc's `sigaction` will report daemonry's trampoline
/// as `sa_restorer` for this signal; that is harmless.
///
/// # Errors
///
/// As [`ignore`] (out of range → `InvalidInput`; SIGKILL/SIGSTOP →
/// `Os(EINVAL)`).
///
/// # Async-signal safety
///
/// Installing is safe between fork and exec: no allocation, locks or
/// panics.
///
/// # Safety
///
/// `handler` will run asynchronously, at any instruction of any thread that
/// has `sig` unblocked. It must be async-signal-safe: touch only atomics,
/// make raw system calls or call this crate's core functions; never
/// allocate, take a lock, or read or write data that the interrupted code
/// may be in the middle of changing. It must return normally (a panic
/// crossing `extern "C"` aborts) and preserve `errno` if the program uses
/// libc's `errno`.
///
/// # References
///
/// [`sigaction(2)`](https://man7.org/linux/man-pages/man2/sigaction.2.html),
/// [`signal-safety(7)`](https://man7.org/linux/man-pages/man7/signal-safety.7.html)
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// static GOT: AtomicBool = AtomicBool::new(false);
/// extern "C" fn on_usr1(_sig: i32) {
///     GOT.store(true, Ordering::SeqCst);
/// }
/// # if false {
/// // SAFETY: the handler only stores to an atomic.
/// unsafe { daemonry::signal::set_handler(10, on_usr1)? };
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "install_signal_handler")]
#[doc(alias = "sigaction")]
pub unsafe fn set_handler(sig: i32, handler: extern "C" fn(i32)) -> Result<Disposition> {
    const CONTEXT: Op = Op::Sigaction;
    check_changeable(sig, CONTEXT)?;
    let act = sys::KernelSigaction {
        // SAFETY: a safe `extern "C" fn(i32)` is a valid value of the
        // kernel's `unsafe extern "C" fn(c_int)` handler type (same ABI and
        // signature; `c_int` is `i32`).
        sa_handler_kernel: Some(unsafe {
            core::mem::transmute::<extern "C" fn(i32), unsafe extern "C" fn(i32)>(handler)
        }),
        sa_flags: (g::SA_RESTORER | g::SA_RESTART) as _,
        sa_restorer: sys::restorer(),
        sa_mask: sys::KernelSigset { sig: [0] },
    };
    // SAFETY: the action carries SA_RESTORER with our trampoline, and the
    // caller vouches that `handler` is async-signal-safe.
    let old = unsafe { sys::rt_sigaction(sig, Some(&act)) }.ctx(CONTEXT)?;
    Ok(disposition(&old))
}

/// Decodes a kernel action.
fn disposition(act: &sys::KernelSigaction) -> Disposition {
    let address = act.sa_handler_kernel.map_or(0, |f| f as usize);
    match address {
        SIG_DFL => Disposition::Default,
        SIG_IGN => Disposition::Ignore,
        _ => Disposition::Handler {
            address,
            siginfo: act.sa_flags & g::SA_SIGINFO as core::ffi::c_ulong != 0,
        },
    }
}

/// `sigaction(2)` query—The current disposition of `sig` (celery's
/// `signals[name]`).
///
/// SIGKILL and SIGSTOP can be queried (they are always `Default`).
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a number
/// outside 1..=64.
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
/// use daemonry::signal::{handler, Disposition};
/// // Rust's runtime ignores SIGPIPE in every std program.
/// assert_eq!(handler(13)?, Disposition::Ignore);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn handler(sig: i32) -> Result<Disposition> {
    const CONTEXT: Op = Op::Sigaction;
    check_range(sig, CONTEXT)?;
    // SAFETY: a query (no new action) installs nothing.
    let old = unsafe { sys::rt_sigaction(sig, None) }.ctx(CONTEXT)?;
    Ok(disposition(&old))
}

/// Whether `name` names a signal [`parse_signal`](crate::parse_signal)
/// accepts (celery's `signals.supported`, which raises on lower case; this
/// does not).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// assert!(daemonry::signal::supported("SIGUSR1"));
/// assert!(daemonry::signal::supported("rtmin+2"));
/// assert!(!daemonry::signal::supported("SIGFOO"));
/// ```
pub fn supported(name: &str) -> bool {
    super::names::parse_signal(name).is_ok()
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
    const CONTEXT: Op = Op::Sigaction;
    let mut first_error = None;
    for sig in 1..=SIGRTMAX {
        if sig == g::SIGKILL as i32 || sig == g::SIGSTOP as i32 {
            continue;
        }
        if let Err(e) = set_plain(sig, SIG_DFL, CONTEXT) {
            first_error.get_or_insert(e);
        }
    }
    set_mask(&SigSet::EMPTY).map_err(|e| e.with_op(CONTEXT))?;
    first_error.map_or(Ok(()), Err)
}

/// A set of signals (the kernel's 64-bit `sigset_t`): bit `n - 1` stands
/// for signal `n`, as in the `SigBlk`/`SigIgn` masks of
/// `/proc/<pid>/status`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::signal::SigSet;
/// let set = SigSet::from_signals(&[1, 15])?;
/// assert!(set.contains(15) && !set.contains(2));
/// assert_eq!(set.as_raw(), 0x4001);
/// assert_eq!(set.iter().collect::<Vec<_>>(), [1, 15]);
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SigSet(u64);

impl SigSet {
    /// No signals.
    pub const EMPTY: SigSet = SigSet(0);
    /// Every signal 1..=64 (the kernel silently leaves SIGKILL and SIGSTOP
    /// unblocked).
    pub const FULL: SigSet = SigSet(u64::MAX);

    /// The set of `sigs`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a
    /// number outside 1..=64.
    pub fn from_signals(sigs: &[i32]) -> Result<SigSet> {
        let mut set = SigSet::EMPTY;
        for &sig in sigs {
            set.add(sig)?;
        }
        Ok(set)
    }

    /// A set from its raw mask (bit `n - 1` is signal `n`).
    pub const fn from_raw(mask: u64) -> SigSet {
        SigSet(mask)
    }

    /// The raw mask (bit `n - 1` is signal `n`).
    pub const fn as_raw(&self) -> u64 {
        self.0
    }

    /// Adds `sig`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a
    /// number outside 1..=64.
    pub fn add(&mut self, sig: i32) -> Result<()> {
        check_range(sig, Op::SigSet)?;
        self.0 |= 1u64 << (sig - 1);
        Ok(())
    }

    /// Removes `sig`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a
    /// number outside 1..=64.
    pub fn remove(&mut self, sig: i32) -> Result<()> {
        check_range(sig, Op::SigSet)?;
        self.0 &= !(1u64 << (sig - 1));
        Ok(())
    }

    /// Whether `sig` is in the set (`false` for numbers outside 1..=64).
    pub fn contains(&self, sig: i32) -> bool {
        (1..=SIGRTMAX).contains(&sig) && self.0 & (1u64 << (sig - 1)) != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The signals in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = i32> + use<> {
        let mask = self.0;
        (1..=SIGRTMAX).filter(move |&s| mask & (1u64 << (s - 1)) != 0)
    }

    fn raw(&self) -> sys::KernelSigset {
        sys::KernelSigset { sig: [self.0 as _] }
    }
}

impl core::fmt::Debug for SigSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set()
            .entries(self.iter().filter_map(signal_name).map(|n| n.as_str()))
            .finish()
    }
}

/// `rt_sigprocmask` with `how`; returns the previous mask.
fn sigprocmask(how: u32, set: Option<&SigSet>, context: Op) -> Result<SigSet> {
    let raw = set.map(SigSet::raw);
    let old = sys::rt_sigprocmask(how, raw.as_ref()).ctx(context)?;
    let [raw] = old.sig;
    Ok(SigSet(raw))
}

/// `sigprocmask(SIG_BLOCK)`—Adds `set` to the calling thread's signal
/// mask; returns the previous mask.
///
/// # Warning
///
/// Affects only the calling thread (threads inherit the mask of the thread
/// that creates them).
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
/// use daemonry::signal::{block, set_mask, SigSet};
/// let old = block(&SigSet::from_signals(&[10])?)?;
/// assert!(daemonry::signal::mask()?.contains(10));
/// set_mask(&old)?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn block(set: &SigSet) -> Result<SigSet> {
    sigprocmask(g::SIG_BLOCK, Some(set), Op::Sigprocmask)
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
/// use daemonry::signal::{block, unblock, SigSet};
/// let usr2 = SigSet::from_signals(&[12])?;
/// block(&usr2)?;
/// unblock(&usr2)?;
/// assert!(!daemonry::signal::mask()?.contains(12));
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn unblock(set: &SigSet) -> Result<SigSet> {
    sigprocmask(g::SIG_UNBLOCK, Some(set), Op::Sigprocmask)
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
    sigprocmask(g::SIG_SETMASK, Some(set), Op::Sigprocmask)
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
/// assert!(!m.contains(9));
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn mask() -> Result<SigSet> {
    sigprocmask(g::SIG_BLOCK, None, Op::Sigprocmask)
}

const ZERO_TIMEVAL: g::timeval = g::timeval {
    tv_sec: 0,
    tv_usec: 0,
};

fn to_duration(tv: &g::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let usecs = u32::try_from(tv.tv_usec).unwrap_or(0);
    Duration::new(secs, 0).saturating_add(Duration::from_micros(u64::from(usecs)))
}

/// `setitimer(ITIMER_REAL)`—Delivers SIGALRM once, after `after` (celery's
/// `signals.arm_alarm`); returns the time that was left on the previous
/// alarm (zero if none).
///
/// Fractions of a second are honoured to the microsecond; a non-zero
/// duration below one microsecond is rounded up (never to "disarm"). A zero
/// duration disarms, as in celery. One shot: no interval. The timer is
/// per process and shared with `alarm(2)`; it is cleared in `fork`
/// children and kept across `execve`.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) if `after`
/// does not fit the kernel's `timeval` (more than `i64::MAX` seconds).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`setitimer(2)`](https://man7.org/linux/man-pages/man2/setitimer.2.html)
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # if false {
/// daemonry::signal::arm_alarm(Duration::from_millis(1500))?;
/// # }
/// let left = daemonry::signal::reset_alarm()?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "alarm")]
pub fn arm_alarm(after: Duration) -> Result<Duration> {
    const CONTEXT: Op = Op::Setitimer;
    let too_long = || Error::invalid(CONTEXT).with_input(b"duration above i64::MAX seconds");
    let mut secs = i64::try_from(after.as_secs()).map_err(|_| too_long())?;
    let mut usecs = i64::from(after.subsec_nanos().div_ceil(1000));
    if usecs == 1_000_000 {
        secs = secs.checked_add(1).ok_or_else(too_long)?;
        usecs = 0;
    }
    let new = g::itimerval {
        it_interval: ZERO_TIMEVAL,
        it_value: g::timeval {
            tv_sec: secs as _,
            tv_usec: usecs as _,
        },
    };
    let old = sys::setitimer(g::ITIMER_REAL, &new).ctx(CONTEXT)?;
    Ok(to_duration(&old.it_value))
}

/// `setitimer(ITIMER_REAL)` with zero—Cancels the alarm and returns the
/// time that was left (zero if none was armed); celery's
/// `signals.reset_alarm`.
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
/// [`setitimer(2)`](https://man7.org/linux/man-pages/man2/setitimer.2.html)
///
/// # Examples
///
/// ```
/// assert_eq!(daemonry::signal::reset_alarm()?, std::time::Duration::ZERO);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn reset_alarm() -> Result<Duration> {
    let new = g::itimerval {
        it_interval: ZERO_TIMEVAL,
        it_value: ZERO_TIMEVAL,
    };
    let old = sys::setitimer(g::ITIMER_REAL, &new).ctx(Op::Setitimer)?;
    Ok(to_duration(&old.it_value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigset_bits() {
        let mut s = SigSet::EMPTY;
        s.add(64).unwrap();
        s.add(1).unwrap();
        assert_eq!(s.as_raw(), 1 | 1 << 63);
        assert!(s.add(0).is_err());
        assert!(s.add(65).is_err());
        s.remove(64).unwrap();
        assert_eq!(s.iter().count(), 1);
        assert!(!s.contains(0) && !s.contains(-3));
    }

    #[test]
    fn range_and_kill_errors() {
        let e = ignore(&[10, 0]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert_eq!(e.input().unwrap().as_bytes(), b"0");
        let e = reset(&[-5]).unwrap_err();
        assert_eq!(e.input().unwrap().as_bytes(), b"-5");
        let e = ignore(&[9]).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::INVAL));
        assert_eq!(e.input().unwrap().as_bytes(), b"SIGKILL");
        assert!(handler(65).is_err());
        assert_eq!(handler(19).unwrap(), Disposition::Default);
    }
}
