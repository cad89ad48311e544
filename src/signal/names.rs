//! The signal ⇄ name table, [`signal_name`], [`SignalName`] and the pure
//! parser [`parse_signal`] (celery's `signal_name` and `Signals.signum`).
//!
//! Numbering is the kernel's: `SIGRTMIN` ([`Signal::RTMIN`]) is 32 and
//! `SIGRTMAX` ([`Signal::RTMAX`]) is 64.
//! glibc's `SIGRTMIN` macro says 34 because glibc reserves 32 and 33 for
//! itself (thread cancellation and `setxid` broadcasts); musl reserves
//! 32–34. Python on glibc (and so celery) therefore means 37 by
//! "SIGRTMIN+3" where daemonry, `kill(2)` and `/proc` mean 35.
//!
//! Everything here is `const` data and pure functions: safe between fork
//! and exec.

use super::Signal;
use crate::error::{Error, Op, Result};

/// Every standard signal with its canonical name, then the parsing
/// aliases. The numbers are [`Signal`]'s constants, which come from
/// `linux-raw-sys` and so follow the target. `SIGUNUSED` (obsolete, =
/// `SIGSYS`) and `SIGSTKSZ` (a stack size, not a signal) are deliberately
/// absent.
static STANDARD: [(Signal, &str); 31] = [
    (Signal::HUP, "SIGHUP"),
    (Signal::INT, "SIGINT"),
    (Signal::QUIT, "SIGQUIT"),
    (Signal::ILL, "SIGILL"),
    (Signal::TRAP, "SIGTRAP"),
    (Signal::ABORT, "SIGABRT"),
    (Signal::BUS, "SIGBUS"),
    (Signal::FPE, "SIGFPE"),
    (Signal::KILL, "SIGKILL"),
    (Signal::USR1, "SIGUSR1"),
    (Signal::SEGV, "SIGSEGV"),
    (Signal::USR2, "SIGUSR2"),
    (Signal::PIPE, "SIGPIPE"),
    (Signal::ALARM, "SIGALRM"),
    (Signal::TERM, "SIGTERM"),
    (Signal::STKFLT, "SIGSTKFLT"),
    (Signal::CHILD, "SIGCHLD"),
    (Signal::CONT, "SIGCONT"),
    (Signal::STOP, "SIGSTOP"),
    (Signal::TSTP, "SIGTSTP"),
    (Signal::TTIN, "SIGTTIN"),
    (Signal::TTOU, "SIGTTOU"),
    (Signal::URG, "SIGURG"),
    (Signal::XCPU, "SIGXCPU"),
    (Signal::XFSZ, "SIGXFSZ"),
    (Signal::VTALARM, "SIGVTALRM"),
    (Signal::PROF, "SIGPROF"),
    (Signal::WINCH, "SIGWINCH"),
    (Signal::IO, "SIGIO"),
    (Signal::POWER, "SIGPWR"),
    (Signal::SYS, "SIGSYS"),
];

/// Names accepted by [`parse_signal`] but never returned by
/// [`signal_name`]: System V's `SIGCLD`, `SIGIOT` and `SIGPOLL`.
static ALIASES: [(Signal, &str); 3] = [
    (Signal::CHILD, "SIGCLD"),
    (Signal::ABORT, "SIGIOT"),
    (Signal::IO, "SIGPOLL"),
];

/// Canonical names of the real-time signals 32..=64, index `n - 32`.
///
/// The rule (bash's `kill -l` does the same on glibc): the lower half, up to
/// and including the middle signal 48, counts up from `SIGRTMIN`; the upper
/// half counts down from `SIGRTMAX`. [`parse_signal`] accepts both forms
/// for every real-time signal ("SIGRTMAX-16" is 48 too).
static REALTIME: [&str; 33] = [
    "SIGRTMIN",
    "SIGRTMIN+1",
    "SIGRTMIN+2",
    "SIGRTMIN+3",
    "SIGRTMIN+4",
    "SIGRTMIN+5",
    "SIGRTMIN+6",
    "SIGRTMIN+7",
    "SIGRTMIN+8",
    "SIGRTMIN+9",
    "SIGRTMIN+10",
    "SIGRTMIN+11",
    "SIGRTMIN+12",
    "SIGRTMIN+13",
    "SIGRTMIN+14",
    "SIGRTMIN+15",
    "SIGRTMIN+16",
    "SIGRTMAX-15",
    "SIGRTMAX-14",
    "SIGRTMAX-13",
    "SIGRTMAX-12",
    "SIGRTMAX-11",
    "SIGRTMAX-10",
    "SIGRTMAX-9",
    "SIGRTMAX-8",
    "SIGRTMAX-7",
    "SIGRTMAX-6",
    "SIGRTMAX-5",
    "SIGRTMAX-4",
    "SIGRTMAX-3",
    "SIGRTMAX-2",
    "SIGRTMAX-1",
    "SIGRTMAX",
];

// The real-time table covers exactly SIGRTMIN..=SIGRTMAX.
const _: () = assert!(REALTIME.len() as i32 == Signal::RTMAX.as_raw() - Signal::RTMIN.as_raw() + 1);

/// A signal's canonical name, as [`signal_name`] returns it.
///
/// `Display` and [`as_str`](SignalName::as_str) give the full name
/// (`"SIGTERM"`, `"SIGRTMIN+3"`); [`short`](SignalName::short) drops the
/// `SIG` prefix (`"TERM"`), which is what celery's `signal_name` returns.
/// The strings are `'static`; the value is `Copy` and never allocates.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// let n = daemonry::signal_name(15).unwrap();
/// assert_eq!(n.to_string(), "SIGTERM");
/// assert_eq!(n.short(), "TERM");
/// assert_eq!(n.number(), 15);
/// assert_eq!(n.signal(), daemonry::Signal::TERM);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalName {
    sig: Signal,
    name: &'static str,
}

impl SignalName {
    /// The full name, e.g. `"SIGTERM"` or `"SIGRTMAX-1"`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(daemonry::Signal::rt(31).unwrap().name().as_str(), "SIGRTMAX-1");
    /// ```
    pub const fn as_str(&self) -> &'static str {
        self.name
    }

    /// The name without its `SIG` prefix, e.g. `"TERM"` (celery's
    /// `signal_name` form).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(daemonry::Signal::TERM.name().short(), "TERM");
    /// ```
    pub fn short(&self) -> &'static str {
        self.name.strip_prefix("SIG").unwrap_or(self.name)
    }

    /// The signal number (kernel numbering).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(daemonry::Signal::TERM.name().number(), 15);
    /// ```
    pub const fn number(&self) -> i32 {
        self.sig.as_raw()
    }

    /// The signal this names.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::Signal;
    /// assert_eq!(daemonry::signal_name(1).map(|n| n.signal()), Some(Signal::HUP));
    /// ```
    pub const fn signal(&self) -> Signal {
        self.sig
    }
}

impl core::fmt::Display for SignalName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name)
    }
}

/// The canonical name of signal `sig` (celery's `signal_name`, which
/// drops the prefix: use [`SignalName::short`] for that).
///
/// One fixed table, kernel numbering, 1..=64. The alias choice is fixed:
/// `SIGCHLD` (not `SIGCLD`), `SIGABRT` (not `SIGIOT`), `SIGIO` (not
/// `SIGPOLL`); celery's choice among these depends on Python's hash seed.
/// Real-time signals are named `SIGRTMIN+n` for 32..=48 and `SIGRTMAX-n`
/// for 49..=64 (`SIGRTMIN` is 32, `SIGRTMAX` is 64). 0 and numbers above 64
/// have no name: `None` (celery raises `KeyError`).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`signal(7)`](https://man7.org/linux/man-pages/man7/signal.7.html)
///
/// # Examples
///
/// ```
/// use daemonry::signal_name;
/// assert_eq!(signal_name(17).unwrap().as_str(), "SIGCHLD");
/// assert_eq!(signal_name(35).unwrap().as_str(), "SIGRTMIN+3");
/// assert_eq!(signal_name(63).unwrap().as_str(), "SIGRTMAX-1");
/// assert_eq!(signal_name(65), None);
/// ```
pub fn signal_name(sig: i32) -> Option<SignalName> {
    Signal::from_raw(sig).map(name_of)
}

/// The canonical name of `sig` (every signal 1..=64 has one: the tables
/// cover them all, which the tests check on every architecture).
pub(super) fn name_of(sig: Signal) -> SignalName {
    let name = if sig.is_realtime() {
        let index = (sig.as_raw() - Signal::RTMIN.as_raw()) as usize;
        REALTIME.get(index).copied()
    } else {
        STANDARD.iter().find(|e| e.0 == sig).map(|e| e.1)
    };
    SignalName {
        sig,
        name: name.unwrap_or("SIG?"),
    }
}

/// Every signal 1..=64 with its canonical name, in order (the table the
/// example's `names` command prints).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// let all: Vec<_> = daemonry::signal::all().collect();
/// assert_eq!(all.len(), 64);
/// assert_eq!(all[14].as_str(), "SIGTERM");
/// ```
pub fn all() -> impl Iterator<Item = SignalName> {
    (1..=Signal::RTMAX.as_raw()).filter_map(signal_name)
}

/// The longest name (with `SIG`) that can be valid: "SIGRTMAX-16" and
/// "SIGVTALRM" are 11 and 9 bytes. Longer input is unknown at once.
const MAX_NAME: usize = 16;

/// Parses a signal number or name, as CLI input (celery's
/// `Signals.signum`).
///
/// Takes text or bytes (`&str`, `&[u8]`, `&String`, …: input need not be
/// UTF-8). Accepted, case-insensitively (a deliberate difference: celery
/// demands upper case), with or without the `SIG` prefix:
///
/// - decimal numbers 1..=64: `"15"`;
/// - standard names and the aliases `CLD`, `IOT`, `POLL`: `"TERM"`,
///   `"sigterm"`, `"SIGCLD"`;
/// - real-time names in kernel numbering, either form anywhere in range:
///   `"SIGRTMIN"` (32), `"RTMIN+3"` (35), `"rtmax-1"` (63), `"SIGRTMAX"`
///   (64). The offset is plain decimal digits.
///
/// No whitespace and no sign are accepted. celery returns any integer
/// unchanged; daemonry rejects 0 and numbers above 64. `str::parse::<Signal>`
/// does the same.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) of
/// [`Op::ParseSignal`], naming the input, for an unknown name or a number
/// outside 1..=64.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`signal(7)`](https://man7.org/linux/man-pages/man7/signal.7.html)
///
/// # Examples
///
/// ```
/// use daemonry::{parse_signal, Signal};
/// assert_eq!(parse_signal("term")?, Signal::TERM);
/// assert_eq!(parse_signal("SIGTERM")?, Signal::TERM);
/// assert_eq!(parse_signal(b"15")?, Signal::TERM);
/// assert_eq!(parse_signal("SIGRTMIN+3")?.as_raw(), 35);
/// assert_eq!(parse_signal("rtmax-1")?.as_raw(), 63);
/// assert!(parse_signal("SIGFOO").is_err());
/// assert!(parse_signal("65").is_err());
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "signum")]
#[doc(alias = "get_signal")]
pub fn parse_signal(s: impl AsRef<[u8]>) -> Result<Signal> {
    parse(s.as_ref())
}

fn parse(s: &[u8]) -> Result<Signal> {
    let unknown = || Error::invalid(Op::ParseSignal).with_input(s);
    if s.first().is_some_and(u8::is_ascii_digit) {
        return crate::num::parse_u32(s)
            .and_then(|n| i32::try_from(n).ok())
            .and_then(Signal::from_raw)
            .ok_or_else(unknown);
    }
    // Upper-case into a stack buffer, adding the SIG prefix when missing.
    let mut buf = [0u8; MAX_NAME];
    let has_prefix = s.len() >= 3 && s.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(b"SIG"));
    let (head, body): (&[u8], &[u8]) = if has_prefix { (b"", s) } else { (b"SIG", s) };
    let len = head.len() + body.len();
    let dst = buf.get_mut(..len).ok_or_else(unknown)?;
    for (d, &b) in dst.iter_mut().zip(head.iter().chain(body)) {
        *d = b.to_ascii_uppercase();
    }
    let name = buf.get(..len).unwrap_or(&[]);
    if name.len() <= 3 {
        return Err(unknown());
    }
    let by_table = STANDARD
        .iter()
        .chain(ALIASES.iter())
        .find(|e| e.1.as_bytes() == name)
        .map(|e| e.0);
    if let Some(sig) = by_table {
        return Ok(sig);
    }
    realtime(name).ok_or_else(unknown)
}

/// `SIGRTMIN`, `SIGRTMIN+n`, `SIGRTMAX`, `SIGRTMAX-n` (upper case, with the
/// prefix) → the signal, if in range.
fn realtime(name: &[u8]) -> Option<Signal> {
    let parse_offset = |rest: &[u8], sign: u8| -> Option<i32> {
        match rest {
            [] => Some(0),
            [s, digits @ ..] if *s == sign => {
                let n = crate::num::parse_u32(digits)?;
                i32::try_from(n).ok()
            }
            _ => None,
        }
    };
    let (min, max) = (Signal::RTMIN.as_raw(), Signal::RTMAX.as_raw());
    let n = if let Some(rest) = name.strip_prefix(b"SIGRTMIN") {
        min.checked_add(parse_offset(rest, b'+')?)?
    } else if let Some(rest) = name.strip_prefix(b"SIGRTMAX") {
        max.checked_sub(parse_offset(rest, b'-')?)?
    } else {
        return None;
    };
    Signal::from_raw(n).filter(|s| s.is_realtime())
}

/// Whether `name` names a signal [`parse_signal`] accepts (celery's
/// `signals.supported`, which raises on lower case; this does not).
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
pub fn supported(name: impl AsRef<[u8]>) -> bool {
    parse(name.as_ref()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> i32 {
        parse_signal(s).unwrap().as_raw()
    }

    #[test]
    fn table_round_trips() {
        for n in 1..=64 {
            let name = signal_name(n).unwrap();
            assert_eq!(name.number(), n);
            assert_ne!(name.as_str(), "SIG?");
            assert_eq!(num(name.as_str()), n, "{name}");
            assert_eq!(num(name.short()), n, "{name}");
        }
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(-1), None);
        assert_eq!(signal_name(65), None);
        assert_eq!(all().count(), 64);
    }

    #[test]
    fn both_realtime_forms() {
        use crate::cstr::CStrBuf;
        for n in 0..=32 {
            let mut up = CStrBuf::<32>::new();
            up.push(b"SIGRTMIN+").push_num(n as u64);
            let mut down = CStrBuf::<32>::new();
            down.push(b"rtmax-").push_num(n as u64);
            assert_eq!(parse_signal(up.as_bytes()).unwrap().as_raw(), 32 + n);
            assert_eq!(parse_signal(down.as_bytes()).unwrap().as_raw(), 64 - n);
        }
        for bad in [
            "SIGRTMIN+33",
            "SIGRTMAX-33",
            "SIGRTMIN-1",
            "SIGRTMAX+1",
            "SIGRTMIN+",
            "SIGRTMIN+99999999999",
        ] {
            assert!(parse_signal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn aliases_and_errors() {
        assert_eq!(num("cld"), 17);
        assert_eq!(num("SIGIOT"), 6);
        assert_eq!(num("Poll"), 29);
        for bad in [
            "",
            "SIG",
            "sig",
            "SIGFOO",
            "65",
            "0",
            "-1",
            "+1",
            " 15",
            "15 ",
            "SIGUNUSED",
            "SIGSTKSZ",
            "SIG15",
            "TERMX",
            "1x",
            "4294967311",
        ] {
            let e = parse_signal(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad:?}");
            assert_eq!(e.op(), Op::ParseSignal);
            assert_eq!(e.input().map(|i| i.as_bytes()), Some(bad.as_bytes()));
        }
    }
}
