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
//! # Safety
//!
//! The unsafe code writes bytes to `[arg_start, arg_end)` through raw
//! pointers. That area is part of the process's initial stack mapping,
//! which the kernel maps readable and writable for the life of the
//! process; the bounds come from the kernel (`/proc/self/stat`) and are
//! checked to be non-empty and above the initial stack pointer
//! (`startstack`, field 28). No Rust reference to the area is created and
//! none is held by this crate; std keeps only raw pointers that it reads
//! on demand. Concurrent calls are excluded by an atomic flag (the loser
//! gets `EBUSY` instead of waiting, so a signal handler cannot deadlock).

#![allow(unsafe_code)]

use crate::error::Op;
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rustix::io::Errno;

use crate::error::{Context, Error, Result};
use crate::procfs;

/// The longest comm name the kernel keeps (16 bytes with the NUL).
const COMM_MAX: usize = 15;

/// A process title in an inline buffer of up to [`Title::CAPACITY`] bytes,
/// as [`set_process_title`] built and set it.
///
/// `Display` and [`as_str`](Title::as_str) give the whole title;
/// [`shown`](Title::shown) the part that fit in the argv area (what `ps`
/// shows).
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
/// assert!(!t.is_truncated());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Title {
    buf: [u8; Title::CAPACITY],
    len: u16,
    shown: u16,
    truncated: bool,
}

impl Title {
    /// The most bytes a title holds; longer titles are truncated on a
    /// UTF-8 boundary.
    pub const CAPACITY: usize = 256;

    const EMPTY: Title = Title {
        buf: [0; Title::CAPACITY],
        len: 0,
        shown: 0,
        truncated: false,
    };

    /// A title holding `text` (truncated to [`Title::CAPACITY`] bytes); not
    /// set anywhere.
    pub fn new(text: &str) -> Title {
        let mut t = Title::EMPTY;
        t.push(text);
        t
    }

    /// Appends as much of `s` as fits, cutting on a char boundary.
    fn push(&mut self, s: &str) {
        let at = usize::from(self.len);
        let room = Title::CAPACITY - at;
        let n = if s.len() > room {
            self.truncated = true;
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
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The title.
    pub fn as_str(&self) -> &str {
        // Built only from `&str` pieces cut on char boundaries.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The part of the title that fit in the argv area, which is what
    /// `/proc/<pid>/cmdline` and `ps -o args` show (the whole title unless
    /// it was longer than [`argv_capacity`]).
    pub fn shown(&self) -> &str {
        let b = self.buf.get(..usize::from(self.shown)).unwrap_or(&[]);
        core::str::from_utf8(b).unwrap_or_default()
    }

    /// Whether the text was longer than [`Title::CAPACITY`] and cut.
    pub const fn is_truncated(&self) -> bool {
        self.truncated
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
            .field("truncated", &self.truncated)
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

/// Sets the comm name from `name` (no NUL inside), cut to 15 bytes on a
/// UTF-8 boundary.
fn set_comm(name: &[u8]) -> Result<()> {
    let n = floor_char_boundary(name, COMM_MAX);
    let mut buf = [0u8; COMM_MAX + 1];
    if let (Some(dst), Some(src)) = (buf.get_mut(..n), name.get(..n)) {
        dst.copy_from_slice(src);
    }
    let c = core::ffi::CStr::from_bytes_until_nul(&buf).map_err(|_| Error::invalid(Op::SetName))?;
    rustix::thread::set_name(c).ctx(Op::SetName)
}

/// `prctl(PR_SET_NAME)`—Sets the comm name, cut to 15 bytes on a UTF-8
/// boundary (the kernel would cut in the middle of a character).
///
/// The comm name is what `/proc/<pid>/comm`, `ps -o comm`, `top` and
/// `pgrep` show.
///
/// # Warning
///
/// Names the calling thread only. For the main thread (and so for a
/// single-threaded process) that is the process's comm name; other threads
/// show theirs under `/proc/<pid>/task/<tid>/comm`.
///
/// # Errors
///
/// - [`ErrorKind::InvalidInput`] when
///   `name` contains a NUL byte.
/// - [`ErrorKind::Os`] from `prctl` (not expected).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html) (`PR_SET_NAME`),
/// [`proc_pid_comm(5)`](https://man7.org/linux/man-pages/man5/proc_pid_comm.5.html)
///
/// # Examples
///
/// ```no_run
/// daemonry::set_name(b"my-worker")?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "PR_SET_NAME")]
pub fn set_name(name: &[u8]) -> Result<()> {
    if name.contains(&0) {
        return Err(Error::invalid(Op::SetName).with_input(name));
    }
    set_comm(name)
}

/// `prctl(PR_GET_NAME)`—The calling thread's comm name, NUL-padded to 16
/// bytes.
///
/// # Errors
///
/// [`ErrorKind::Os`] from `prctl` (not expected).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html) (`PR_GET_NAME`)
///
/// # Examples
///
/// ```
/// let raw = daemonry::title::name()?;
/// let len = raw.iter().position(|&b| b == 0).unwrap_or(16);
/// assert!(len <= 15);
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "PR_GET_NAME")]
pub fn name() -> Result<[u8; 16]> {
    crate::sys::prctl_get_name().ctx(Op::GetName)
}

/// The argv area's start (0 until known) and end, cached after the first
/// read of `/proc/self/stat`. `END` is stored before `START` (release), so
/// a reader that sees `START` (acquire) sees `END`. Racing initialisers
/// store the same values. Fork children inherit the cache, which stays
/// right: their memory layout is the parent's.
static ARG_START: AtomicUsize = AtomicUsize::new(0);
static ARG_END: AtomicUsize = AtomicUsize::new(0);

/// Set while one call writes the argv area.
static WRITING: AtomicBool = AtomicBool::new(false);

/// A sanity bound on the area: the kernel caps the argument strings at a
/// quarter of the stack limit, and the stack at 8 MiB by default.
const MAX_AREA: usize = 1 << 26;

/// `[arg_start, arg_end)`, from the cache or `/proc/self/stat`.
fn argv_area() -> Result<(usize, usize)> {
    let start = ARG_START.load(Ordering::Acquire);
    if start != 0 {
        return Ok((start, ARG_END.load(Ordering::Relaxed)));
    }
    const CONTEXT: Op = Op::ReadArgv;
    let mut buf = [0u8; 2048];
    let stat = procfs::read_file(c"/proc/self/stat", &mut buf).ctx(CONTEXT)?;
    let field = |n| {
        procfs::stat_field(stat, n)
            .and_then(crate::num::parse_u64)
            .and_then(|v| usize::try_from(v).ok())
    };
    let (Some(stack), Some(start), Some(end)) = (field(28), field(48), field(49)) else {
        return Err(Error::invalid(CONTEXT));
    };
    if start >= end {
        // execve with an empty argv: there is nothing to rewrite.
        return Err(Error::buffer_too_small(Op::SetProcessTitle, 1));
    }
    // The strings sit above the initial stack pointer, on the stack.
    if stack == 0 || stack > start || end - stack > MAX_AREA {
        return Err(Error::os(Op::ReadArgv, Errno::FAULT));
    }
    ARG_END.store(end, Ordering::Relaxed);
    ARG_START.store(start, Ordering::Release);
    Ok((start, end))
}

/// How many bytes of a title `/proc/<pid>/cmdline` can show: the argv
/// area's size less the terminating NUL.
///
/// The area is what `execve` gave the process: its argument strings,
/// each with its NUL. It is read from `/proc/self/stat` on the first call
/// and cached.
///
/// # Errors
///
/// - [`ErrorKind::Os`] when `/proc/self/stat` cannot be read, or (`EFAULT`)
///   when the area it names is not on the initial stack.
/// - [`ErrorKind::InvalidInput`] when it lacks the fields (Linux < 3.5).
/// - [`ErrorKind::BufferTooSmall`] when the process was started with an
///   empty argv (no area at all).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`proc_pid_stat(5)`](https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html)
///
/// # Examples
///
/// ```
/// // The doctest's own command line is at least its program name.
/// assert!(daemonry::title::argv_capacity()? > 0);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn argv_capacity() -> Result<usize> {
    let (start, end) = argv_area()?;
    Ok(end - start - 1)
}

/// Writes `title` (no NUL inside) over the argv area; returns how many
/// bytes of it show.
fn write_argv(title: &[u8]) -> Result<usize> {
    let (start, end) = argv_area()?;
    let area = end - start;
    let shown = floor_char_boundary(title, area - 1);
    if WRITING.swap(true, Ordering::Acquire) {
        return Err(Error::os(Op::SetProcessTitle, Errno::BUSY));
    }
    let p = core::ptr::with_exposed_provenance_mut::<u8>(start);
    // SAFETY: `[start, end)` is the argv area of our own initial stack
    // (bounds from the kernel, checked in `argv_area`), mapped read-write
    // for the life of the process; see the module's `# Safety`. `shown <=
    // area - 1`, so every write stays inside it; `title` is a distinct
    // Rust slice (it cannot overlap: it was built in our own buffer).
    // WRITING excludes concurrent writers.
    unsafe {
        core::ptr::copy_nonoverlapping(title.as_ptr(), p, shown);
        core::ptr::write_bytes(p.add(shown), 0, area - shown);
        if shown < area - 1 {
            // A non-NUL last byte makes the kernel report the
            // NUL-terminated title alone (see the module docs).
            p.add(area - 1).write(b' ');
        }
    }
    WRITING.store(false, Ordering::Release);
    Ok(shown)
}

/// Sets the comm name and the command line to `title`.
fn apply(mut title: Title) -> Result<Title> {
    let bytes = title.as_bytes();
    if bytes.contains(&0) {
        return Err(Error::invalid(Op::SetProcessTitle).with_input(bytes));
    }
    set_comm(bytes)?;
    let shown = write_argv(title.as_bytes()).map_err(|e| e.with_op(ARGV_CONTEXT))?;
    title.shown = shown as u16;
    Ok(title)
}

const ARGV_CONTEXT: Op = Op::SetProcessTitle;

/// Sets the process title to `"[progname] info"` (or `"[progname]"` when
/// `info` is `None` or empty), exactly celery's format, and returns it.
///
/// Sets the comm name (15 bytes, see [`set_name`]) and rewrites the argv
/// area so `ps`, `top` and `/proc/<pid>/cmdline` show the title; the module
/// docs explain how and what it does to `std::env::args()`. A title longer
/// than [`argv_capacity`] is cut there ([`Title::shown`] says what
/// shows); one longer than [`Title::CAPACITY`] is cut to that.
///
/// Best effort, as in celery: the comm name is set first; when the argv
/// area cannot be rewritten (no `/proc`, a concurrent call), the error
/// says so and the process is otherwise unaffected. After the first call
/// the argv bounds come from a cache, so a call costs one `prctl` and a
/// copy.
///
/// # Errors
///
/// - [`ErrorKind::InvalidInput`] when the
///   title contains a NUL byte (nothing is changed).
/// - [`ErrorKind::Os`] with context
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
    apply(t)
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
    apply(t)
}

#[cfg(test)]
mod tests {
    use super::*;

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
