//! The command line: the argv area of the initial stack, which
//! `/proc/<pid>/cmdline` and `ps -o args` show, found through
//! `/proc/self/stat` and rewritten in place (see the [module
//! docs](super) for how and why).
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

#![allow(unsafe_code)] // See "Safety" above.

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rustix::io::Errno;

use super::floor_char_boundary;
use crate::error::{Context, Error, Op, Result};
use crate::procfs;

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
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) when `/proc/self/stat` cannot be read, or (`EFAULT`)
///   when the area it names is not on the initial stack.
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when it lacks the fields (Linux < 3.5).
/// - [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when the process was started with an
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
pub(super) fn write_argv(title: &[u8]) -> Result<usize> {
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
