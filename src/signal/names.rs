//! The signal ⇄ name table, [`signal_name`], [`SignalName`] and the pure
//! parser [`parse_signal`] (celery's `signal_name` and `Signals.signum`).
//!
//! Numbering is the kernel's: [`SIGRTMIN`] is 32 and [`SIGRTMAX`] is 64.
//! glibc's `SIGRTMIN` macro says 34 because glibc reserves 32 and 33 for
//! itself (thread cancellation and `setxid` broadcasts); musl reserves
//! 32–34. Python on glibc (and so celery) therefore means 37 by
//! "SIGRTMIN+3" where daemonry, `kill(2)` and `/proc` mean 35.
//!
//! Everything here is `const` data and pure functions: safe between fork
//! and exec.

use crate::error::Op;
use linux_raw_sys::general as g;

use crate::error::{Error, Result};

/// The kernel's first real-time signal (32). glibc's `SIGRTMIN` is 34: it
/// reserves 32 and 33 for its own use.
pub const SIGRTMIN: i32 = g::SIGRTMIN as i32;

/// The kernel's last real-time signal and the highest signal number (64,
/// `_NSIG`).
pub const SIGRTMAX: i32 = g::_NSIG as i32;

/// `(number, canonical name)` for every standard signal, then the parsing
/// aliases. Built from `linux-raw-sys` so the numbers follow the target.
/// `SIGUNUSED` (obsolete, = `SIGSYS`) and `SIGSTKSZ` (a stack size, not a
/// signal) are deliberately absent.
static STANDARD: [(u32, &str); 31] = [
    (g::SIGHUP, "SIGHUP"),
    (g::SIGINT, "SIGINT"),
    (g::SIGQUIT, "SIGQUIT"),
    (g::SIGILL, "SIGILL"),
    (g::SIGTRAP, "SIGTRAP"),
    (g::SIGABRT, "SIGABRT"),
    (g::SIGBUS, "SIGBUS"),
    (g::SIGFPE, "SIGFPE"),
    (g::SIGKILL, "SIGKILL"),
    (g::SIGUSR1, "SIGUSR1"),
    (g::SIGSEGV, "SIGSEGV"),
    (g::SIGUSR2, "SIGUSR2"),
    (g::SIGPIPE, "SIGPIPE"),
    (g::SIGALRM, "SIGALRM"),
    (g::SIGTERM, "SIGTERM"),
    (g::SIGSTKFLT, "SIGSTKFLT"),
    (g::SIGCHLD, "SIGCHLD"),
    (g::SIGCONT, "SIGCONT"),
    (g::SIGSTOP, "SIGSTOP"),
    (g::SIGTSTP, "SIGTSTP"),
    (g::SIGTTIN, "SIGTTIN"),
    (g::SIGTTOU, "SIGTTOU"),
    (g::SIGURG, "SIGURG"),
    (g::SIGXCPU, "SIGXCPU"),
    (g::SIGXFSZ, "SIGXFSZ"),
    (g::SIGVTALRM, "SIGVTALRM"),
    (g::SIGPROF, "SIGPROF"),
    (g::SIGWINCH, "SIGWINCH"),
    (g::SIGIO, "SIGIO"),
    (g::SIGPWR, "SIGPWR"),
    (g::SIGSYS, "SIGSYS"),
];

/// Names accepted by [`parse_signal`] but never returned by
/// [`signal_name`]. `SIGCLD` is System V's spelling (linux-raw-sys has no
/// constant for it).
static ALIASES: [(u32, &str); 3] = [
    (g::SIGCHLD, "SIGCLD"),
    (g::SIGABRT, "SIGIOT"),
    (g::SIGPOLL, "SIGPOLL"),
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

// The real-time table must cover exactly SIGRTMIN..=SIGRTMAX.
const _: () = assert!(REALTIME.len() as i32 == SIGRTMAX - SIGRTMIN + 1);

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
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalName {
    num: i32,
    name: &'static str,
}

impl SignalName {
    /// The full name, e.g. `"SIGTERM"` or `"SIGRTMAX-1"`.
    pub const fn as_str(&self) -> &'static str {
        self.name
    }

    /// The name without its `SIG` prefix, e.g. `"TERM"` (celery's
    /// `signal_name` form).
    pub fn short(&self) -> &'static str {
        self.name.strip_prefix("SIG").unwrap_or(self.name)
    }

    /// The signal number (kernel numbering).
    pub const fn number(&self) -> i32 {
        self.num
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
    let name = if sig >= SIGRTMIN {
        REALTIME.get(usize::try_from(sig - SIGRTMIN).ok()?)
    } else {
        let n = u32::try_from(sig).ok()?;
        STANDARD.iter().find(|e| e.0 == n).map(|e| &e.1)
    };
    name.map(|&name| SignalName { num: sig, name })
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
    (1..=SIGRTMAX).filter_map(signal_name)
}

/// The longest name (with `SIG`) that can be valid: "SIGRTMAX-16" and
/// "SIGVTALRM" are 11 and 9 bytes. Longer input is unknown at once.
const MAX_NAME: usize = 16;

/// Parses a signal number or name, as CLI input (celery's
/// `Signals.signum`).
///
/// Accepted, case-insensitively (a deliberate difference: celery demands
/// upper case), with or without the `SIG` prefix:
///
/// - decimal numbers 1..=64: `"15"`;
/// - standard names and the aliases `CLD`, `IOT`, `POLL`: `"TERM"`,
///   `"sigterm"`, `"SIGCLD"`;
/// - real-time names in kernel numbering, either form anywhere in range:
///   `"SIGRTMIN"` (32), `"RTMIN+3"` (35), `"rtmax-1"` (63), `"SIGRTMAX"`
///   (64). The offset is plain decimal digits.
///
/// No whitespace and no sign are accepted. celery returns any integer
/// unchanged; daemonry rejects 0 and numbers above 64.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) naming the
/// input: context `"parse_signal: unknown signal name"` or
/// `"parse_signal: signal number out of range 1..=64"`.
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
/// use daemonry::parse_signal;
/// assert_eq!(parse_signal("term")?, 15);
/// assert_eq!(parse_signal("SIGTERM")?, 15);
/// assert_eq!(parse_signal("15")?, 15);
/// assert_eq!(parse_signal("SIGRTMIN+3")?, 35);
/// assert_eq!(parse_signal("rtmax-1")?, 63);
/// assert!(parse_signal("SIGFOO").is_err());
/// assert!(parse_signal("65").is_err());
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "signum")]
#[doc(alias = "get_signal")]
pub fn parse_signal(s: &str) -> Result<i32> {
    parse_signal_bytes(s.as_bytes())
}

/// [`parse_signal`] over bytes (for input that need not be UTF-8); the pure
/// parser the fuzz target drives.
///
/// # Errors
///
/// As [`parse_signal`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// assert_eq!(daemonry::signal::parse_signal_bytes(b"hup")?, 1);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_signal_bytes(s: &[u8]) -> Result<i32> {
    let unknown = || Error::invalid(Op::ParseSignal).with_input(s);
    if s.first().is_some_and(u8::is_ascii_digit) {
        return match crate::num::parse_u32(s) {
            Some(n) if (1..=SIGRTMAX as u32).contains(&n) => Ok(n as i32),
            _ if s.iter().all(u8::is_ascii_digit) => {
                Err(Error::invalid(Op::ParseSignal).with_input(s))
            }
            _ => Err(unknown()),
        };
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
        .map(|e| e.0 as i32);
    if let Some(n) = by_table {
        return Ok(n);
    }
    realtime(name).ok_or_else(unknown)
}

/// `SIGRTMIN`, `SIGRTMIN+n`, `SIGRTMAX`, `SIGRTMAX-n` (upper case, with the
/// prefix) → the signal, if in range.
fn realtime(name: &[u8]) -> Option<i32> {
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
    let n = if let Some(rest) = name.strip_prefix(b"SIGRTMIN") {
        SIGRTMIN.checked_add(parse_offset(rest, b'+')?)?
    } else if let Some(rest) = name.strip_prefix(b"SIGRTMAX") {
        SIGRTMAX.checked_sub(parse_offset(rest, b'-')?)?
    } else {
        return None;
    };
    (SIGRTMIN..=SIGRTMAX).contains(&n).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_round_trips() {
        for n in 1..=64 {
            let name = signal_name(n).unwrap();
            assert_eq!(name.number(), n);
            assert_eq!(parse_signal(name.as_str()).unwrap(), n, "{name}");
            assert_eq!(parse_signal(name.short()).unwrap(), n, "{name}");
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
            assert_eq!(parse_signal_bytes(up.as_bytes()).unwrap(), 32 + n);
            assert_eq!(parse_signal_bytes(down.as_bytes()).unwrap(), 64 - n);
        }
        assert!(parse_signal("SIGRTMIN+33").is_err());
        assert!(parse_signal("SIGRTMAX-33").is_err());
        assert!(parse_signal("SIGRTMIN-1").is_err());
        assert!(parse_signal("SIGRTMAX+1").is_err());
        assert!(parse_signal("SIGRTMIN+").is_err());
        assert!(parse_signal("SIGRTMIN+99999999999").is_err());
    }

    #[test]
    fn aliases_and_errors() {
        assert_eq!(parse_signal("cld").unwrap(), 17);
        assert_eq!(parse_signal("SIGIOT").unwrap(), 6);
        assert_eq!(parse_signal("Poll").unwrap(), 29);
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
        ] {
            let e = parse_signal(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad:?}");
            assert_eq!(e.input().map(|i| i.as_bytes()), Some(bad.as_bytes()));
        }
        assert_eq!(parse_signal("65").unwrap_err().op(), crate::Op::ParseSignal);
    }
}
