//! Messages in tini's format, built on the stack and written with one
//! `write(2)` each: `[WARN  daemonry-init (PID)] text`.
//!
//! Levels as tini's: fatal always; warnings from verbosity 1 (the
//! default); info from 2 (`-v`); debug from 3 (`-vv`); trace from 4
//! (`-vvv`). Unlike tini, which prints info, debug and trace on stdout, every
//! message goes to stderr: stdout belongs to the supervised program.
//!
//! A write that finds its pipe closed (`EPIPE`) ends all further writes to
//! that fd, and the `SIGPIPE` the kernel raised for it is taken back: while
//! daemonry-init supervises, every signal is blocked and forwarded to the
//! program, and that one is daemonry-init's own business (forwarding it
//! would kill a program whose output is fine, and with SIGPIPE ignored and
//! debug messages on, each forwarded SIGPIPE's message would raise another).
//!
//! # Safety
//!
//! [`write_all`] borrows fd 1 or 2 by number for the duration of the write;
//! writing to a closed or foreign fd is harmless (an error we ignore).

#![allow(unsafe_code)]

use core::sync::atomic::{AtomicU8, Ordering};

use daemonry::signal::{self, SigSet};
use daemonry::{Errno, Signal};
use rustix::fd::BorrowedFd;

/// How important a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Always shown; daemonry-init is about to exit with an error.
    Fatal,
    /// Shown from verbosity 1 (the default).
    Warn,
    /// Shown from verbosity 2.
    Info,
    /// Shown from verbosity 3.
    Debug,
    /// Shown from verbosity 4.
    Trace,
}

impl Level {
    /// The level's name in the message, padded to five bytes ("WARN ").
    fn name(self) -> &'static [u8] {
        let at = self as usize * 5;
        b"FATALWARN INFO DEBUGTRACE".get(at..at + 5).unwrap_or(b"")
    }

    /// The lowest verbosity that shows this level.
    fn threshold(self) -> u32 {
        self as u32
    }
}

/// Room for one message; longer ones are cut (a long program path).
const LINE: usize = 512;

/// 10⁹, 10⁸, … 1: the digits of a `u32`.
const POWERS_OF_TEN: [u32; 10] = [
    1_000_000_000,
    100_000_000,
    10_000_000,
    1_000_000,
    100_000,
    10_000,
    1_000,
    100,
    10,
    1,
];

/// One message line being built; what does not fit is dropped.
pub struct Line {
    buf: [u8; LINE],
    len: usize,
}

impl Line {
    /// An empty line.
    pub const fn new() -> Line {
        Line {
            buf: [0; LINE],
            len: 0,
        }
    }

    /// Appends bytes (as many as fit).
    pub fn push(&mut self, bytes: &[u8]) -> &mut Line {
        for &b in bytes {
            match self.buf.get_mut(self.len) {
                Some(slot) => {
                    *slot = b;
                    self.len += 1;
                }
                None => break,
            }
        }
        self
    }

    /// Appends a decimal number. (Every number in a message is an `i32`:
    /// pids, statuses, signal and errno numbers.)
    ///
    /// Digit by digit, subtracting powers of ten: no division, which
    /// 32-bit ARM would do with a 500-byte routine.
    pub fn num(&mut self, v: i32) -> &mut Line {
        if v < 0 {
            self.push(b"-");
        }
        let mut n = v.unsigned_abs();
        let mut started = false;
        for p in POWERS_OF_TEN {
            let mut digit = b'0';
            while n >= p {
                n -= p;
                digit += 1;
            }
            started |= digit != b'0' || p == 1;
            if started {
                self.push(&[digit]);
            }
        }
        self
    }

    /// Appends an error's text as `strerror(3)` words it ("No such file
    /// or directory"), or its number when it has none.
    pub fn errno(&mut self, e: Errno) -> &mut Line {
        if crate::strerror::push(self, e.raw_os_error()) {
            self
        } else {
            self.push(b"errno ").num(e.raw_os_error())
        }
    }

    /// Appends a signal's name ("SIGTERM"; tini prints `strsignal(3)`'s
    /// "Terminated"), or its number.
    ///
    /// The names are daemonry's; real-time ones ("SIGRTMIN+3",
    /// "SIGRTMAX-1") are made here, so that the binary needs no table of
    /// them.
    pub fn signal(&mut self, sig: i32) -> &mut Line {
        let (min, max) = (Signal::RTMIN.as_raw(), Signal::RTMAX.as_raw());
        if (min..=max).contains(&sig) {
            // The lower half, up to the middle signal, counts up from
            // SIGRTMIN; the upper half down from SIGRTMAX.
            let (name, offset) = if sig - min <= (max - min) / 2 {
                (&b"SIGRTMIN+"[..], sig - min)
            } else {
                (&b"SIGRTMAX-"[..], max - sig)
            };
            if offset == 0 {
                self.push(name.get(..8).unwrap_or(name))
            } else {
                self.push(name).num(offset)
            }
        } else {
            match crate::signames::name(sig) {
                Some(name) => self.push(b"SIG").push(name),
                None => self.num(sig),
            }
        }
    }

    /// Appends a daemonry error as "context: what": the errno's text, the
    /// holder of a lock, or the input that was refused (`Error`'s own
    /// `Display` would pull in `core::fmt`, which a 25 KB binary avoids).
    #[cfg(any(feature = "user", feature = "pidfile"))]
    pub fn error(&mut self, e: &daemonry::Error) -> &mut Line {
        use daemonry::ErrorKind as K;
        self.push(e.op().as_str().as_bytes());
        let what: &[u8] = match e.kind() {
            K::LockFailed => match e.pid() {
                Some(pid) => {
                    self.push(b": locked by pid ")
                        .num(pid.as_raw_nonzero().get());
                    b""
                }
                None => b": locked by another process",
            },
            K::UnknownUser => b": unknown user",
            K::UnknownGroup => b": unknown group",
            K::InvalidInput => b": invalid",
            K::Security => b": could not be verified",
            K::MultiThreaded => b": more than one thread",
            K::BufferTooSmall => b": buffer too small",
            _ => b"",
        };
        self.push(what);
        if let Some(input) = e.input() {
            self.push(b" '").push(input.as_bytes()).push(b"'");
        }
        if let Some(errno) = e.errno() {
            self.push(b": ").errno(errno);
        }
        self
    }

    /// The text so far.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl Default for Line {
    fn default() -> Line {
        Line::new()
    }
}

/// One piece of a message.
#[derive(Clone, Copy, Debug)]
pub enum Part<'a> {
    /// Text as it is.
    S(&'a [u8]),
    /// A decimal number.
    N(i32),
    /// An error's `strerror` text.
    E(Errno),
    /// A signal's name.
    Sig(i32),
    /// A daemonry error, described without `core::fmt` (only the extras
    /// report whole errors).
    #[cfg(any(feature = "user", feature = "pidfile"))]
    Dk(daemonry::Error),
}

/// Builds a whole message: `[LEVEL daemonry-init (pid)] ` + `parts` + a newline.
pub fn format(level: Level, pid: i32, parts: &[Part<'_>]) -> Line {
    let mut line = Line::new();
    line.push(b"[")
        .push(level.name())
        .push(b" daemonry-init (")
        .num(pid)
        .push(b")] ");
    for part in parts {
        match *part {
            Part::S(text) => line.push(text),
            Part::N(n) => line.num(n),
            Part::E(e) => line.errno(e),
            Part::Sig(sig) => line.signal(sig),
            #[cfg(any(feature = "user", feature = "pidfile"))]
            Part::Dk(e) => line.error(&e),
        };
    }
    // Keep room for the newline.
    if line.len == LINE {
        line.len -= 1;
    }
    line.push(b"\n");
    line
}

/// The message sink: knows the verbosity.
#[derive(Clone, Copy, Debug)]
pub struct Log {
    verbosity: u32,
}

impl Log {
    /// A log showing messages up to `verbosity`.
    pub const fn new(verbosity: u32) -> Log {
        Log { verbosity }
    }

    /// Whether messages of `level` are shown.
    pub fn enabled(&self, level: Level) -> bool {
        self.verbosity >= level.threshold()
    }

    /// Writes the message made of `parts` to stderr, if `level` is shown.
    pub fn emit(&self, level: Level, parts: &[Part<'_>]) {
        if self.enabled(level) {
            let pid = rustix::process::getpid().as_raw_nonzero().get();
            write_all(2, format(level, pid, parts).as_bytes());
        }
    }
}

/// The fds (bit `fd`, for fds 0..8) whose pipe was found closed.
static BROKEN: AtomicU8 = AtomicU8::new(0);

fn broken_bit(fd: i32) -> u8 {
    u32::try_from(fd)
        .ok()
        .and_then(|fd| 1u8.checked_shl(fd))
        .unwrap_or(0)
}

/// Writes all of `bytes` to fd `fd` (1 or 2), retrying short writes and
/// `EINTR`; gives up silently on any other error (nowhere to report it).
/// After `EPIPE` nothing more is written to `fd`, and the `SIGPIPE` that
/// write raised is taken back (see the module docs).
pub fn write_all(fd: i32, mut bytes: &[u8]) {
    let bit = broken_bit(fd);
    if BROKEN.load(Ordering::Relaxed) & bit != 0 {
        return;
    }
    // SAFETY: a borrowed standard fd used only for these writes; if it is
    // closed the writes fail with EBADF, which we ignore.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    while !bytes.is_empty() {
        match rustix::io::write(borrowed, bytes) {
            Ok(0) => return,
            Ok(n) => bytes = bytes.get(n..).unwrap_or(&[]),
            Err(Errno::INTR) => {}
            Err(Errno::PIPE) => {
                BROKEN.fetch_or(bit, Ordering::Relaxed);
                take_back_sigpipe();
                return;
            }
            Err(_) => return,
        }
    }
}

/// Takes the `SIGPIPE` our own write just raised, if it is pending (it is
/// when blocked; when not blocked it was ignored, or we would be dead). The
/// kernel sends it as if we had `kill`ed ourselves. One sent by another
/// process first has another sender, and the kernel keeps only the first
/// of two standard signals: then it is raised again for the signal loop to
/// forward.
fn take_back_sigpipe() {
    let Ok(Some(info)) = SigSet::from_signals(&[Signal::PIPE]).try_wait() else {
        return;
    };
    let me = rustix::process::getpid();
    if !info.from_user() || info.pid() != Some(me) {
        let _ = signal::kill(me, Signal::PIPE);
    }
}

#[cfg(test)]
mod tests {
    #[cfg(any(feature = "user", feature = "pidfile"))]
    use super::Part::Dk;
    use super::Part::{E, N, S, Sig};
    use super::*;

    fn text(l: &Line) -> &str {
        core::str::from_utf8(l.as_bytes()).unwrap()
    }

    #[test]
    fn formats_like_tini() {
        let l = format(
            Level::Warn,
            42,
            &[S(b"Reaped zombie process with pid="), N(7)],
        );
        assert_eq!(
            text(&l),
            "[WARN  daemonry-init (42)] Reaped zombie process with pid=7\n"
        );
        let l = format(Level::Fatal, 1, &[S(b"exec x failed: "), E(Errno::NOENT)]);
        assert_eq!(
            text(&l),
            "[FATAL daemonry-init (1)] exec x failed: No such file or directory\n"
        );
        let l = format(
            Level::Debug,
            3,
            &[
                Sig(Signal::TERM.as_raw()),
                S(b" "),
                Sig(99),
                S(b" "),
                N(-12),
                S(b" "),
                N(0),
            ],
        );
        assert_eq!(text(&l), "[DEBUG daemonry-init (3)] SIGTERM 99 -12 0\n");
        for sig in 1..=70 {
            let l = format(Level::Debug, 3, &[Sig(sig)]);
            let want = match daemonry::signal_name(sig) {
                Some(name) => std::format!("{name}"),
                None => std::format!("{sig}"),
            };
            assert_eq!(text(&l), std::format!("[DEBUG daemonry-init (3)] {want}\n"));
        }
        let numbers = [0, 9, 10, 99, 100, 4_194_304, 1_000_000_000, i32::MAX, -1];
        for n in numbers.into_iter().chain([i32::MIN]) {
            let l = format(Level::Trace, 9, &[N(n)]);
            assert_eq!(text(&l), std::format!("[TRACE daemonry-init (9)] {n}\n"));
        }
        #[cfg(any(feature = "user", feature = "pidfile"))]
        dk_errors();
    }

    #[cfg(any(feature = "user", feature = "pidfile"))]
    fn dk_errors() {
        let e = daemonry::Error::os(daemonry::Op::Setgroups, Errno::PERM);
        let l = format(Level::Fatal, 2, &[S(b"x: "), Dk(e)]);
        assert_eq!(
            text(&l),
            "[FATAL daemonry-init (2)] x: setgroups: Operation not permitted\n"
        );
        let e =
            daemonry::Error::lock_failed(daemonry::Op::AcquirePidfile, daemonry::Pid::from_raw(42));
        let l = format(Level::Fatal, 2, &[Dk(e)]);
        assert_eq!(
            text(&l),
            "[FATAL daemonry-init (2)] acquire pidfile: locked by pid 42\n"
        );
    }

    #[test]
    fn long_lines_are_cut_but_end_with_a_newline() {
        let long = [b'a'; 2000];
        let l = format(Level::Info, 5, &[S(&long)]);
        assert_eq!(l.as_bytes().len(), LINE);
        assert!(l.as_bytes().ends_with(b"a\n"));
        assert!(text(&l).starts_with("[INFO  daemonry-init (5)] aaa"));
    }

    #[test]
    fn levels() {
        let quiet = Log::new(0);
        assert!(quiet.enabled(Level::Fatal) && !quiet.enabled(Level::Warn));
        let default = Log::new(1);
        assert!(default.enabled(Level::Warn) && !default.enabled(Level::Info));
        let vv = Log::new(3);
        assert!(vv.enabled(Level::Debug) && !vv.enabled(Level::Trace));
        assert!(Log::new(u32::MAX).enabled(Level::Trace));
    }
}
