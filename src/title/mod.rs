//! Process titles (celery's `set_process_title` and `set_mp_process_title`):
//! the 15-byte comm name (`prctl(PR_SET_NAME)`, what `top`, `ps -o comm`
//! and `pgrep` show) and the command line (`/proc/<pid>/cmdline`, what
//! `ps -o args` shows), rewritten in place.
//!
//! # How the command line is rewritten
//!
//! The kernel reports `/proc/<pid>/cmdline` from the process's argv area,
//! `[arg_start, arg_end)` on its initial stack, where `execve` copied the
//! argument strings. daemonry reads those bounds once from
//! `/proc/self/stat` (fields 48 and 49; no libc and no `argv` pointer
//! needed, so it works without std and under musl), caches them in
//! atomics, and overwrites the area on each call:
//!
//! - the title, truncated on a UTF-8 boundary to the area's size less one
//!   byte ([`argv_capacity`]), then NUL bytes;
//! - when the title is shorter than that, the area's last byte is set to a
//!   space. The kernel takes a non-NUL last byte as "setproctitle was
//!   here" and reports the NUL-terminated string from `arg_start`, so
//!   `/proc/<pid>/cmdline` reads exactly the title and one NUL instead of
//!   the title followed by the whole NUL padding.
//!
//! Nothing is ever written outside `[arg_start, arg_end)`: a title longer
//! than the area is truncated. daemonry deliberately does not move the
//! environment strings to make room, as setproctitle/PostgreSQL do: that
//! needs the heap and libc's `environ`, and gets `/proc/<pid>/environ` and
//! the environment wrong in the hands of anyone else who kept a pointer.
//! `PR_SET_MM_ARG_START` (which needs `CAP_SYS_RESOURCE`) is not used
//! either. So a process started with a short command line has a short
//! title in `ps`; the comm name is always set.
//!
//! # Side effects on the rest of the program
//!
//! The argv strings are what `std::env::args()` reads on every call (std
//! on glibc keeps pointers to them) and what glibc's
//! `program_invocation_name` points at: afterwards they return the title
//! (argument 0) and empty strings or pieces of the title (the others). Read
//! the arguments you need before setting a title, and do not call
//! `std::env::args()` in another thread at the same time as these
//! functions (that would be a data race on the argv area).
//!
//! # Knowing what shows
//!
//! The [`Title`] these functions return says what was asked for
//! ([`Title::as_str`]), what `ps` shows ([`Title::shown`]) and whether that
//! is less ([`Title::is_truncated`]). A process that needs room for long
//! titles can be started with a longer command line (for example a long
//! `argv[0]`, or padding arguments it ignores).

mod argv;
mod comm;

use core::fmt;

use crate::error::{Op, Result};

pub use argv::argv_capacity;
pub use comm::{name, set_name};

use argv::write_argv;
use comm::set_comm;

/// A process title in an inline buffer of up to [`Title::CAPACITY`] bytes,
/// as [`set_process_title`] built and set it.
///
/// `Display` and [`as_str`](Title::as_str) give the title as built (cut to
/// [`Title::CAPACITY`] if it was longer); [`shown`](Title::shown) the part
/// that fit in the argv area, which is what `ps` and `/proc/<pid>/cmdline`
/// show; [`is_truncated`](Title::is_truncated) whether any of the title
/// asked for is missing from what shows.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// let t = daemonry::Title::new("[worker] -A app");
/// assert_eq!(t.as_str(), "[worker] -A app");
/// assert_eq!(t.shown(), t.as_str()); // not set anywhere: nothing cut
/// assert!(!t.is_truncated());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Title {
    buf: [u8; Title::CAPACITY],
    /// Bytes of the title in `buf`.
    len: u16,
    /// Bytes of it that show in the argv area.
    shown: u16,
    /// The text asked for was longer than [`Title::CAPACITY`].
    over_capacity: bool,
}

impl Title {
    /// The most bytes a title holds; longer titles are truncated on a
    /// UTF-8 boundary.
    pub const CAPACITY: usize = 256;

    const EMPTY: Title = Title {
        buf: [0; Title::CAPACITY],
        len: 0,
        shown: 0,
        over_capacity: false,
    };

    /// A title holding `text` (truncated to [`Title::CAPACITY`] bytes); not
    /// set anywhere, so [`shown`](Title::shown) is all of it.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// See [`Title`].
    pub fn new(text: &str) -> Title {
        let mut t = Title::EMPTY;
        t.push(text);
        t.shown = t.len;
        t
    }

    /// Appends as much of `s` as fits, cutting on a char boundary.
    fn push(&mut self, s: &str) {
        let at = usize::from(self.len);
        let room = Title::CAPACITY - at;
        let n = if s.len() > room {
            self.over_capacity = true;
            floor_char_boundary(s.as_bytes(), room)
        } else {
            s.len()
        };
        if let (Some(dst), Some(src)) = (self.buf.get_mut(at..at + n), s.as_bytes().get(..n)) {
            dst.copy_from_slice(src);
            self.len = (at + n) as u16;
        }
    }

    /// The title's bytes.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(daemonry::Title::new("[w]").as_bytes(), b"[w]");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The title, as built (at most [`Title::CAPACITY`] bytes).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// See [`Title`].
    pub fn as_str(&self) -> &str {
        // Built only from `&str` pieces cut on char boundaries.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The part of the title that fit in the argv area, which is what
    /// `/proc/<pid>/cmdline` and `ps -o args` show: the whole title unless
    /// it was longer than [`argv_capacity`].
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let t = daemonry::set_process_title("myd", Some("echo on 127.0.0.1:7777"))?;
    /// if t.is_truncated() {
    ///     eprintln!("ps shows only {:?}", t.shown());
    /// }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn shown(&self) -> &str {
        let b = self.buf.get(..usize::from(self.shown)).unwrap_or(&[]);
        core::str::from_utf8(b).unwrap_or_default()
    }

    /// Whether less shows than was asked for: the title was cut to the argv
    /// area ([`shown`](Title::shown) is shorter than
    /// [`as_str`](Title::as_str)) or, before that, to
    /// [`Title::CAPACITY`].
    ///
    /// The comm name, always cut to 15 bytes by the kernel, does not count.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::Title;
    /// assert!(!Title::new("short").is_truncated());
    /// assert!(Title::new(&"x".repeat(Title::CAPACITY + 1)).is_truncated());
    /// ```
    pub const fn is_truncated(&self) -> bool {
        self.over_capacity || self.shown < self.len
    }
}

impl fmt::Display for Title {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Title {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Title")
            .field("title", &self.as_str())
            .field("shown", &self.shown())
            .field("truncated", &self.is_truncated())
            .finish()
    }
}

impl PartialEq<str> for Title {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Title {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

/// Whether `bytes` holds a NUL, tested a word at a time: titles are short,
/// and a byte-wise scan of one cost more than the rest of the work beside
/// the system call (measured with callgrind).
fn has_nul(bytes: &[u8]) -> bool {
    const W: usize = core::mem::size_of::<usize>();
    const ONES: usize = usize::from_ne_bytes([0x01; W]);
    const HIGHS: usize = usize::from_ne_bytes([0x80; W]);
    // Non-zero exactly when some byte of the word is zero.
    let zero_in = |w: [u8; W]| {
        let x = usize::from_ne_bytes(w);
        x.wrapping_sub(ONES) & !x & HIGHS != 0
    };
    let Some(last) = bytes.len().checked_sub(W) else {
        return bytes.contains(&0);
    };
    let mut words = bytes.chunks_exact(W);
    if words.any(|w| <[u8; W]>::try_from(w).map_or(true, zero_in)) {
        return true;
    }
    // The tail, as the last whole word (overlapping what was checked).
    bytes
        .get(last..)
        .is_some_and(|w| <[u8; W]>::try_from(w).map_or(true, zero_in))
}

/// The largest `n <= max` that does not split a UTF-8 sequence of `s`.
fn floor_char_boundary(s: &[u8], max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut n = max;
    while n > 0 && s.get(n).is_some_and(|&b| b & 0xC0 == 0x80) {
        n -= 1;
    }
    n
}

/// Sets the comm name and the command line to `title`.
fn apply(title: &mut Title) -> Result<()> {
    let bytes = title.as_bytes();
    // Checks the whole title for a NUL before anything changes.
    set_comm(bytes, Op::SetProcessTitle)?;
    let shown = write_argv(bytes).map_err(|e| e.with_op(ARGV_CONTEXT))?;
    title.shown = shown as u16;
    Ok(())
}

const ARGV_CONTEXT: Op = Op::SetProcessTitle;

/// Sets the process title to `"[progname] info"` (or `"[progname]"` when
/// `info` is `None` or empty), exactly celery's format, and returns it.
///
/// Sets the comm name (15 bytes, see [`set_name`]) and rewrites the argv
/// area so `ps`, `top` and `/proc/<pid>/cmdline` show the title; the module
/// docs explain how and what it does to `std::env::args()`. A title longer
/// than [`argv_capacity`] is cut there, and one longer than
/// [`Title::CAPACITY`] to that: the returned [`Title`] says so
/// ([`Title::is_truncated`]) and what shows ([`Title::shown`]).
///
/// Best effort, as in celery: the comm name is set first; when the argv
/// area cannot be rewritten (no `/proc`, a concurrent call), the error
/// says so and the process is otherwise unaffected. After the first call
/// the argv bounds come from a cache, so a call costs one `prctl` and a
/// copy.
///
/// # Errors
///
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when the
///   title contains a NUL byte (nothing is changed).
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) with context
///   `"set_process_title: rewrite argv area"` when `/proc/self/stat` cannot
///   be read, or `EBUSY` when another thread is setting a title at the same
///   moment; the comm name was set.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html) (`PR_SET_NAME`),
/// [`proc_pid_cmdline(5)`](https://man7.org/linux/man-pages/man5/proc_pid_cmdline.5.html)
///
/// # Examples
///
/// ```no_run
/// let t = daemonry::set_process_title("worker", Some("-A app"))?;
/// assert_eq!(t.as_str(), "[worker] -A app");
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "setproctitle")]
pub fn set_process_title(progname: &str, info: Option<&str>) -> Result<Title> {
    let mut t = Title::EMPTY;
    t.push("[");
    t.push(progname);
    t.push("]");
    push_info(&mut t, info);
    apply(&mut t)?;
    Ok(t)
}

/// Sets the process title to exactly `text`, with no `[progname]`
/// framing (for tools whose title follows a convention of their own, such
/// as `"daemonry: supervising nginx"` or sshd's `"sshd: user@pts/0"`), and
/// returns it.
///
/// Otherwise as [`set_process_title`]: the comm name gets the first 15
/// bytes (`prctl(PR_SET_NAME)`), the argv area the whole title as far as
/// it fits, and the returned [`Title`] says what shows.
///
/// # Errors
///
/// As [`set_process_title`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html) (`PR_SET_NAME`),
/// [`proc_pid_cmdline(5)`](https://man7.org/linux/man-pages/man5/proc_pid_cmdline.5.html),
/// [`setproctitle(3)`](https://man.freebsd.org/cgi/man.cgi?query=setproctitle&sektion=3)
/// (whose `"-"` prefix form this is)
///
/// # Examples
///
/// ```no_run
/// let t = daemonry::set_title("myd: accepting on :7777")?;
/// assert_eq!(t.as_str(), "myd: accepting on :7777");
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "setproctitle")]
pub fn set_title(text: &str) -> Result<Title> {
    let mut t = Title::EMPTY;
    t.push(text);
    apply(&mut t)?;
    Ok(t)
}

fn push_info(t: &mut Title, info: Option<&str>) {
    if let Some(info) = info.filter(|i| !i.is_empty()) {
        t.push(" ");
        t.push(info);
    }
}

/// Sets the process title to `"[progname: hostname:process_name] info"`
/// (celery's `set_mp_process_title`, e.g.
/// `"[celeryd: w1@host:ForkPoolWorker-3] info"`); without a hostname,
/// `"[progname:process_name] info"`.
///
/// celery takes the process name from multiprocessing (`"MainProcess"`
/// when there is none); here the caller passes it. Empty `hostname` or
/// `info` count as absent, as in celery. Otherwise as
/// [`set_process_title`].
///
/// # Errors
///
/// As [`set_process_title`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html) (`PR_SET_NAME`),
/// [`proc_pid_cmdline(5)`](https://man7.org/linux/man-pages/man5/proc_pid_cmdline.5.html)
///
/// # Examples
///
/// ```no_run
/// let t = daemonry::set_mp_process_title("celeryd", Some("idle"), Some("w1@h"), "MainProcess")?;
/// assert_eq!(t.as_str(), "[celeryd: w1@h:MainProcess] idle");
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn set_mp_process_title(
    progname: &str,
    info: Option<&str>,
    hostname: Option<&str>,
    process_name: &str,
) -> Result<Title> {
    let mut t = Title::EMPTY;
    t.push("[");
    t.push(progname);
    if let Some(h) = hostname.filter(|h| !h.is_empty()) {
        t.push(": ");
        t.push(h);
    }
    t.push(":");
    t.push(process_name);
    t.push("]");
    push_info(&mut t, info);
    apply(&mut t)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    fn nul_is_found_anywhere() {
        assert!(!has_nul(b""));
        for len in 1..40 {
            let clean: std::vec::Vec<u8> = (0..len).map(|i| 1 + (i * 37 % 255) as u8).collect();
            assert!(!has_nul(&clean), "{len}");
            assert!(!has_nul(&std::vec![0x80; len]), "{len}");
            assert!(!has_nul(&std::vec![0xff; len]), "{len}");
            for at in 0..len {
                let mut with = clean.clone();
                with[at] = 0;
                assert!(has_nul(&with), "{len} {at}");
            }
        }
    }

    #[test]
    fn boundaries() {
        assert_eq!(floor_char_boundary(b"abc", 5), 3);
        assert_eq!(floor_char_boundary("aé".as_bytes(), 2), 1);
        assert_eq!(floor_char_boundary("aé".as_bytes(), 3), 3);
        assert_eq!(floor_char_boundary(b"abc", 0), 0);
    }

    #[test]
    fn title_truncates_on_char_boundary() {
        let mut t = Title::EMPTY;
        for _ in 0..(Title::CAPACITY - 3) {
            t.push("x");
        }
        t.push("éé");
        assert!(t.is_truncated());
        assert_eq!(t.as_bytes().len(), Title::CAPACITY - 1);
        assert!(t.as_str().ends_with('é'));
    }
}
