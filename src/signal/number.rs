//! [`Signal`]: the crate's one signal type, a kernel signal number
//! 1..=64, real-time signals included.
//!
//! # Safety
//!
//! One `unsafe` call: [`Signal::for_rustix`] builds a rustix `Signal` with
//! `from_raw_unchecked`, which rustix marks unsafe because a libc may
//! reserve some real-time numbers for its own use. Its `// SAFETY:` comment
//! says why the values it makes are sound where they go.

#![allow(unsafe_code)] // See "Safety" above.

use core::fmt;
use core::num::NonZeroI32;
use core::str::FromStr;

use linux_raw_sys::general as g;

use super::names::{SignalName, name_of, parse_signal};
use crate::error::Error;

/// A signal: one of the kernel's numbers 1..=64, the standard signals
/// (1..=31) and the real-time signals ([`Signal::RTMIN`] = 32 to
/// [`Signal::RTMAX`] = 64).
///
/// Every function of this crate that takes or returns a signal uses this
/// type. A value is always a number the kernel knows, so the functions
/// taking one have no "bad number" error.
///
/// - Standard signals are constants spelled as in rustix:
///   [`Signal::TERM`], [`Signal::HUP`], [`Signal::CHILD`], …
/// - Real-time signals: [`Signal::RTMIN`], [`Signal::RTMAX`] and
///   [`Signal::rt`]`(n)` for `SIGRTMIN+n`.
/// - From a number: [`Signal::from_raw`]; from text: [`parse_signal`] or
///   `str::parse` (`"TERM"`, `"SIGTERM"`, `"15"`, `"RTMIN+3"`).
/// - `Display` gives the canonical name (`"SIGTERM"`, `"SIGRTMIN+3"`);
///   [`Signal::name`] the [`SignalName`].
///
/// Numbering is the kernel's: glibc's `SIGRTMIN` macro says 34 because
/// glibc reserves 32 and 33 for itself (musl reserves 32–34), so
/// `Signal::rt(3)` is 35, where C code on glibc means 37 by `SIGRTMIN+3`.
///
/// rustix's own `Signal` cannot express real-time signals safely;
/// [`Signal::to_rustix`] converts the standard ones, and
/// `Signal::from_raw(s.as_raw())` converts the other way.
///
/// The layout is that of a C `int` (`#[repr(transparent)]` over
/// `NonZeroI32`), so a signal handler receives its argument as a `Signal`
/// (see [`set_handler`](super::set_handler)), and `Option<Signal>` is as
/// small as a `Signal`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
///
/// # Examples
///
/// ```
/// use daemonry::Signal;
/// assert_eq!(Signal::TERM.as_raw(), 15);
/// assert_eq!(Signal::TERM.to_string(), "SIGTERM");
/// assert_eq!(Signal::from_raw(35), Signal::rt(3));
/// assert_eq!("rtmin+3".parse::<Signal>()?, Signal::rt(3).unwrap());
/// assert_eq!(Signal::from_raw(65), None);
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Signal(NonZeroI32);

/// The signal with kernel number `raw`, for the constants below. Each
/// constant's number is checked at compile time right after it, so the
/// fallback is never taken.
const fn known(raw: u32) -> Signal {
    match Signal::from_raw(raw as i32) {
        Some(sig) => sig,
        None => Signal(NonZeroI32::MIN),
    }
}

macro_rules! standard {
    ($($(#[$doc:meta])* $name:ident = $raw:ident,)*) => {
        impl Signal {
            $($(#[$doc])* pub const $name: Signal = known(g::$raw);)*
        }

        // Every constant has the number linux-raw-sys gives its name.
        const _: () = {
            $(assert!(Signal::$name.0.get() == g::$raw as i32);)*
        };
    };
}

standard! {
    /// `SIGHUP`: hangup of the controlling terminal; daemons reload on it.
    HUP = SIGHUP,
    /// `SIGINT`: interrupt from the keyboard (Ctrl-C).
    INT = SIGINT,
    /// `SIGQUIT`: quit from the keyboard (Ctrl-\\); dumps core.
    QUIT = SIGQUIT,
    /// `SIGILL`: illegal instruction.
    ILL = SIGILL,
    /// `SIGTRAP`: trace or breakpoint trap.
    TRAP = SIGTRAP,
    /// `SIGABRT` (alias `SIGIOT`): `abort(3)`.
    ABORT = SIGABRT,
    /// `SIGBUS`: bad memory access (for example past the end of a mapped
    /// file).
    BUS = SIGBUS,
    /// `SIGFPE`: arithmetic exception.
    FPE = SIGFPE,
    /// `SIGKILL`: kill; cannot be caught, blocked or ignored.
    KILL = SIGKILL,
    /// `SIGUSR1`: for the program's own use.
    USR1 = SIGUSR1,
    /// `SIGSEGV`: invalid memory reference.
    SEGV = SIGSEGV,
    /// `SIGUSR2`: for the program's own use.
    USR2 = SIGUSR2,
    /// `SIGPIPE`: write to a pipe or socket with no reader.
    PIPE = SIGPIPE,
    /// `SIGALRM`: the real-time timer ([`arm_alarm`](super::arm_alarm)).
    ALARM = SIGALRM,
    /// `SIGTERM`: termination request; what service managers send to stop
    /// a daemon.
    TERM = SIGTERM,
    /// `SIGSTKFLT`: coprocessor stack fault (unused on Linux).
    STKFLT = SIGSTKFLT,
    /// `SIGCHLD` (alias `SIGCLD`): a child stopped, continued or ended.
    CHILD = SIGCHLD,
    /// `SIGCONT`: continue a stopped process.
    CONT = SIGCONT,
    /// `SIGSTOP`: stop; cannot be caught, blocked or ignored.
    STOP = SIGSTOP,
    /// `SIGTSTP`: stop from the keyboard (Ctrl-Z).
    TSTP = SIGTSTP,
    /// `SIGTTIN`: background read from the terminal.
    TTIN = SIGTTIN,
    /// `SIGTTOU`: background write to the terminal.
    TTOU = SIGTTOU,
    /// `SIGURG`: urgent data on a socket.
    URG = SIGURG,
    /// `SIGXCPU`: CPU time limit exceeded.
    XCPU = SIGXCPU,
    /// `SIGXFSZ`: file size limit exceeded.
    XFSZ = SIGXFSZ,
    /// `SIGVTALRM`: virtual timer.
    VTALARM = SIGVTALRM,
    /// `SIGPROF`: profiling timer.
    PROF = SIGPROF,
    /// `SIGWINCH`: the terminal window changed size.
    WINCH = SIGWINCH,
    /// `SIGIO` (alias `SIGPOLL`): I/O is possible.
    IO = SIGIO,
    /// `SIGPWR`: power failure.
    POWER = SIGPWR,
    /// `SIGSYS`: bad system call (also what seccomp sends).
    SYS = SIGSYS,
}

impl Signal {
    /// `SIGRTMIN` in the kernel's numbering: 32, the first real-time
    /// signal (glibc's macro says 34: it keeps 32 and 33 for itself).
    pub const RTMIN: Signal = known(g::SIGRTMIN);

    /// `SIGRTMAX`: 64, the last real-time signal and the highest number
    /// (`_NSIG`).
    pub const RTMAX: Signal = known(g::_NSIG);

    /// The signal with kernel number `raw`; `None` outside 1..=64.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::Signal;
    /// assert_eq!(Signal::from_raw(15), Some(Signal::TERM));
    /// assert_eq!(Signal::from_raw(64), Some(Signal::RTMAX));
    /// assert_eq!(Signal::from_raw(0), None);
    /// assert_eq!(Signal::from_raw(65), None);
    /// ```
    pub const fn from_raw(raw: i32) -> Option<Signal> {
        if raw > g::_NSIG as i32 {
            return None;
        }
        match NonZeroI32::new(raw) {
            Some(n) if raw > 0 => Some(Signal(n)),
            _ => None,
        }
    }

    /// The kernel's number, 1..=64.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(daemonry::Signal::KILL.as_raw(), 9);
    /// ```
    pub const fn as_raw(self) -> i32 {
        self.0.get()
    }

    /// The real-time signal `SIGRTMIN+n` (kernel numbering: 32 + `n`);
    /// `None` when that passes [`Signal::RTMAX`] (`n` > 32).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::Signal;
    /// assert_eq!(Signal::rt(0), Some(Signal::RTMIN));
    /// assert_eq!(Signal::rt(3).map(Signal::as_raw), Some(35));
    /// assert_eq!(Signal::rt(32), Some(Signal::RTMAX));
    /// assert_eq!(Signal::rt(33), None);
    /// ```
    #[doc(alias = "SIGRTMIN")]
    pub const fn rt(n: u8) -> Option<Signal> {
        Signal::from_raw(Signal::RTMIN.as_raw() + n as i32)
    }

    /// Whether this is a real-time signal (32..=64): one that queues (each
    /// one sent is delivered) and has no predefined meaning.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::Signal;
    /// assert!(Signal::RTMIN.is_realtime() && !Signal::SYS.is_realtime());
    /// ```
    pub const fn is_realtime(self) -> bool {
        self.as_raw() >= Signal::RTMIN.as_raw()
    }

    /// The canonical name ([`signal_name`](super::signal_name) of this
    /// number): `SIGCHLD` over `SIGCLD`, `SIGRTMIN+n` up to 48 and
    /// `SIGRTMAX-n` above.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::Signal;
    /// assert_eq!(Signal::CHILD.name().as_str(), "SIGCHLD");
    /// assert_eq!(Signal::RTMAX.name().short(), "RTMAX");
    /// ```
    pub fn name(self) -> SignalName {
        name_of(self)
    }

    /// rustix's `Signal` for a standard signal; `None` for a real-time
    /// one, which rustix's safe constructors cannot express.
    ///
    /// The other way is always possible:
    /// `Signal::from_raw(rustix_signal.as_raw())`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::Signal;
    /// assert_eq!(Signal::TERM.to_rustix(), Some(rustix::process::Signal::TERM));
    /// assert_eq!(Signal::RTMIN.to_rustix(), None);
    /// let back = Signal::from_raw(rustix::process::Signal::HUP.as_raw());
    /// assert_eq!(back, Some(Signal::HUP));
    /// ```
    pub const fn to_rustix(self) -> Option<rustix::process::Signal> {
        rustix::process::Signal::from_named_raw(self.as_raw())
    }

    /// rustix's `Signal` for any signal, real-time ones included, for the
    /// rustix calls that send one (`kill(2)`, `pidfd_send_signal(2)`,
    /// `prctl(PR_SET_PDEATHSIG)`).
    /// Crate-private: the value never reaches a caller.
    pub(crate) const fn for_rustix(self) -> rustix::process::Signal {
        // SAFETY: `self.0` is a valid, non-zero signal number (1..=64).
        // rustix's remaining precondition concerns numbers a libc reserves
        // for itself (glibc 32–33, musl 32–34): such a value must not be
        // used to send, consume or block signals or to change handlers,
        // lest it disturb libc's internal use of them. The values made here
        // go only to `kill(2)`, `pidfd_send_signal(2)` and
        // `prctl(PR_SET_PDEATHSIG)`, i.e. they ask
        // the kernel to send a signal, as `kill -34 <pid>` does from a
        // shell; they are never used to block, take or handle a signal in
        // this process. libc's handlers for its reserved signals act only on
        // signals libc itself sent (glibc checks for `SI_TKILL` from its own
        // pid; musl checks its own cancellation and synccall state), so a
        // signal sent with `kill(2)` cannot upset libc in any process, this
        // one included. daemonry keeps no libc assumptions about these
        // numbers: it talks to the kernel, where 1..=64 are all plain
        // signals.
        unsafe { rustix::process::Signal::from_raw_unchecked(self.as_raw()) }
    }
}

// The real-time range is the kernel's.
const _: () = {
    assert!(Signal::RTMIN.0.get() == 32 && Signal::RTMAX.0.get() == 64);
};

impl fmt::Display for Signal {
    /// The canonical name: `"SIGTERM"`, `"SIGRTMIN+3"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name().as_str())
    }
}

impl fmt::Debug for Signal {
    /// The canonical name, as `Display`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name().as_str())
    }
}

impl FromStr for Signal {
    type Err = Error;

    /// [`parse_signal`]: `"TERM"`, `"sigterm"`, `"15"`, `"RTMIN+3"`.
    fn from_str(s: &str) -> Result<Signal, Error> {
        parse_signal(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_and_layout() {
        assert_eq!(Signal::from_raw(-1), None);
        assert_eq!(Signal::from_raw(i32::MIN), None);
        assert_eq!(Signal::from_raw(1), Some(Signal::HUP));
        assert_eq!(core::mem::size_of::<Option<Signal>>(), 4);
        for n in 1..=64 {
            let s = Signal::from_raw(n).unwrap();
            assert_eq!(s.as_raw(), n);
            assert_eq!(s.for_rustix().as_raw(), n);
            assert_eq!(s.is_realtime(), n >= 32);
            assert_eq!(s.to_rustix().is_some(), n < 32);
        }
    }
}
