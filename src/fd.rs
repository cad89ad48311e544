//! Open file descriptors: count, test, enumerate and close them without
//! ever looping up to `RLIMIT_NOFILE` (celery's `get_fdmax`,
//! `close_open_fds`, `fd_by_path`, `isatty`).
//!
//! celery walks every possible fd number, which costs minutes to hours in
//! containers whose limit is 2^30 (celery#9886, #8306). Here the cost is
//! O(open fds): `close_range(2)` over the gaps of the keep list (Linux 5.9;
//! `CLOSE_RANGE_CLOEXEC` 5.11), else an enumeration of `/proc/self/fd` with
//! `getdents64(2)` into a 4 KiB buffer inside the iterator, else (no
//! `/proc`) a probe of `0..min(soft limit, 65536)` with `fcntl(F_GETFD)`.
//!
//! # I/O safety
//!
//! [`close_open_fds`] closes descriptors that other code may still own
//! (`File`, `OwnedFd`, …). Call it only where no such owner will touch its
//! fd again: in a freshly forked child before `exec`, or at the very start
//! of a daemon, as celery and python-daemon do. [`cloexec_open_fds`] is the
//! gentler choice just before `exec`.

use crate::error::Op;
use crate::error::{Context, Error, Result};
use crate::sys;
use core::ffi::CStr;
use rustix::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use rustix::fs::{self, Mode, OFlags};
use rustix::io::Errno;
use rustix::process::{Resource, getrlimit};

/// Most fds the no-`/proc` fallback probes, whatever the limit says.
pub const PROBE_CAP: u64 = 65536;

/// Most entries a keep list may have (it is sorted in a stack array).
pub const MAX_KEEP: usize = 256;

/// `getrlimit(RLIMIT_NOFILE)`—The soft limit on open files, or `default`
/// when it is unlimited.
///
/// This is what glibc's `sysconf(_SC_OPEN_MAX)` reports. Beware of using it
/// as a loop bound: containers set it to 2^20, 2^30 or more. (Linux itself
/// never reports it as unlimited: the kernel caps it at `fs.nr_open`;
/// `default` is for the "infinite" answer other systems may give.)
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`getrlimit(2)`](https://man7.org/linux/man-pages/man2/getrlimit.2.html)
///
/// # Examples
///
/// ```
/// assert!(daemonry::fd_max(1024) >= 3);
/// ```
#[doc(alias = "get_fdmax")]
pub fn fd_max(default: u64) -> u64 {
    getrlimit(Resource::Nofile).current.unwrap_or(default)
}

/// `isatty(3)`—Whether `fd` refers to a terminal.
///
/// Asks the `TCGETS` ioctl, exactly as glibc does (rustix's `isatty` asks
/// `TIOCGWINSZ`, which some devices answer differently).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`isatty(3)`](https://man7.org/linux/man-pages/man3/isatty.3.html)
///
/// # Examples
///
/// ```
/// let (r, _w) = rustix::pipe::pipe().unwrap();
/// assert!(!daemonry::isatty(&r));
/// ```
pub fn isatty<Fd: AsFd>(fd: Fd) -> bool {
    sys::tcgets(fd.as_fd().as_raw_fd()).is_ok()
}

/// Size of the getdents64 buffer inside [`OpenFds`]: room for about 170
/// fd entries per system call.
const DIRENT_BUF: usize = 4096;

/// An iterator over this process's open file descriptors, ascending.
///
/// Reads `/proc/self/fd` with `getdents64(2)` into a buffer inside the
/// iterator (no heap), and leaves out the directory's own fd. When `/proc`
/// cannot be opened (not mounted, early PID 1, a chroot), it probes
/// `0..min(soft RLIMIT_NOFILE, 65536)` with `fcntl(F_GETFD)` instead; it
/// never loops up to an unbounded limit. [`OpenFds::is_probing`] tells which.
///
/// fds opened or closed while iterating may or may not be seen. A read error
/// in the middle (which procfs does not produce in practice) ends the
/// iteration; [`OpenFds::error`] reports it.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// let fds: Vec<i32> = daemonry::open_fds().unwrap().collect();
/// assert!(fds.windows(2).all(|w| w[0] < w[1]));
/// ```
pub struct OpenFds {
    src: Source,
    error: Option<Errno>,
}

// The 4 KiB buffer lives inline on purpose: no heap, ever.
#[allow(clippy::large_enum_variant)]
enum Source {
    Proc {
        dir: OwnedFd,
        buf: [u8; DIRENT_BUF],
        pos: usize,
        len: usize,
        eof: bool,
    },
    Probe {
        next: RawFd,
        end: RawFd,
    },
}

impl core::fmt::Debug for OpenFds {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OpenFds")
            .field("probing", &self.is_probing())
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// Enumerates this process's open fds; see [`OpenFds`].
///
/// # Errors
///
/// None today: when `/proc/self/fd` cannot be opened the iterator falls back
/// to the bounded probe. The `Result` leaves room for platforms where
/// neither works.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
pub fn open_fds() -> Result<OpenFds> {
    Ok(OpenFds::new())
}

impl OpenFds {
    fn new() -> OpenFds {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let src = match fs::open(c"/proc/self/fd", flags, Mode::empty()) {
            Ok(dir) => Source::Proc {
                dir,
                buf: [0; DIRENT_BUF],
                pos: 0,
                len: 0,
                eof: false,
            },
            Err(_) => OpenFds::probe_source(),
        };
        OpenFds { src, error: None }
    }

    fn probe_source() -> Source {
        let end = fd_max(PROBE_CAP).min(PROBE_CAP);
        Source::Probe {
            next: 0,
            end: RawFd::try_from(end).unwrap_or(RawFd::MAX),
        }
    }

    /// Whether this iterator probes fd numbers because `/proc/self/fd`
    /// could not be opened.
    pub fn is_probing(&self) -> bool {
        matches!(self.src, Source::Probe { .. })
    }

    /// The error that ended the iteration early, if any.
    pub fn error(&self) -> Option<Error> {
        self.error.map(|e| Error::os(Op::ReadProcFd, e))
    }
}

/// Reads one `linux_dirent64` at `pos`: returns (record length, fd number
/// if the name is a number).
fn parse_dirent(buf: &[u8], pos: usize) -> Option<(usize, Option<RawFd>)> {
    // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
    let rec = buf.get(pos..)?;
    let reclen = usize::from(u16::from_ne_bytes([*rec.get(16)?, *rec.get(17)?]));
    let name = rec.get(19..reclen)?;
    let name = name.split(|&b| b == 0).next().unwrap_or(&[]);
    let fd = crate::num::parse_u32(name).and_then(|v| RawFd::try_from(v).ok());
    (reclen > 0).then_some((reclen, fd))
}

impl Iterator for OpenFds {
    type Item = RawFd;

    fn next(&mut self) -> Option<RawFd> {
        match &mut self.src {
            Source::Proc {
                dir,
                buf,
                pos,
                len,
                eof,
            } => loop {
                if *pos < *len {
                    let Some((reclen, fd)) = parse_dirent(&buf[..*len], *pos) else {
                        // A malformed record: stop rather than loop.
                        self.error = Some(Errno::IO);
                        *eof = true;
                        *pos = *len;
                        continue;
                    };
                    *pos += reclen;
                    match fd {
                        Some(fd) if fd != dir.as_raw_fd() => return Some(fd),
                        _ => continue, // ".", "..", our own directory fd
                    }
                }
                if *eof {
                    return None;
                }
                match sys::getdents64(dir.as_raw_fd(), buf) {
                    Ok(0) => *eof = true,
                    Ok(n) => {
                        *pos = 0;
                        *len = n;
                    }
                    Err(Errno::INTR) => {}
                    Err(e) => {
                        self.error = Some(e);
                        *eof = true;
                    }
                }
            },
            Source::Probe { next, end } => {
                while *next < *end {
                    let fd = *next;
                    *next += 1;
                    if sys::fcntl_getfd(fd).is_ok() {
                        return Some(fd);
                    }
                }
                None
            }
        }
    }
}

/// What to do to each fd outside the keep list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Close,
    Cloexec,
}

/// Sorts and de-duplicates `keep` into `out`, dropping negative numbers;
/// returns the prefix in use.
fn sorted_keep<'a>(keep: &[RawFd], out: &'a mut [RawFd; MAX_KEEP]) -> Result<&'a [RawFd]> {
    if keep.len() > MAX_KEEP {
        return Err(Error::buffer_too_small(Op::CloseRange, keep.len()));
    }
    // Insertion into the sorted, duplicate-free prefix `out[..n]`. Keep
    // lists are short (at most MAX_KEEP), and this is far less code than a
    // general sort, which matters in static binaries (daemonry-init).
    let mut n = 0;
    for &fd in keep {
        let mut i = n;
        while i > 0 && out.get(i - 1).is_some_and(|&prev| prev > fd) {
            i -= 1;
        }
        if fd < 0 || (i > 0 && out.get(i - 1) == Some(&fd)) || n >= MAX_KEEP {
            continue;
        }
        let mut j = n;
        while j > i {
            let prev = out.get(j - 1).copied().unwrap_or(fd);
            if let Some(slot) = out.get_mut(j) {
                *slot = prev;
            }
            j -= 1;
        }
        if let Some(slot) = out.get_mut(i) {
            *slot = fd;
        }
        n += 1;
    }
    Ok(out.get(..n).unwrap_or(&[]))
}

/// `close_range` over every gap between the sorted `keep` entries.
fn close_gaps(keep: &[RawFd], flags: u32) -> core::result::Result<(), Errno> {
    let mut first: u32 = 0;
    for &k in keep {
        let k = k as u32; // non-negative after sorted_keep
        if k > first {
            sys::close_range(first, k - 1, flags)?;
        }
        first = k.saturating_add(1);
    }
    sys::close_range(first, u32::MAX, flags)
}

fn apply(keep: &[RawFd], action: Action) -> Result<()> {
    let mut buf = [0; MAX_KEEP];
    let keep = sorted_keep(keep, &mut buf)?;
    let flags = match action {
        Action::Close => 0,
        Action::Cloexec => sys::CLOSE_RANGE_CLOEXEC,
    };
    match close_gaps(keep, flags) {
        Ok(()) => return Ok(()),
        // ENOSYS: kernel < 5.9. EPERM: seccomp profiles that answer unknown
        // syscalls with EPERM. EINVAL: CLOSE_RANGE_CLOEXEC on 5.9/5.10.
        Err(Errno::NOSYS | Errno::PERM | Errno::INVAL) => {}
        Err(e) => return Err(Error::os(Op::CloseRange, e)),
    }
    apply_each(keep, action)
}

/// The fallback: enumerate and act on each fd (keep is sorted).
fn apply_each(keep: &[RawFd], action: Action) -> Result<()> {
    let mut fds = open_fds()?;
    for fd in fds.by_ref() {
        if keep.binary_search(&fd).is_ok() {
            continue;
        }
        match action {
            // Linux frees the fd even when close reports an error (EINTR,
            // EIO from a network filesystem), so there is nothing to retry;
            // EBADF means it was already gone.
            Action::Close => drop(sys::close(fd)),
            Action::Cloexec => {
                if let Ok(fl) = sys::fcntl_getfd(fd) {
                    let cloexec = linux_raw_sys::general::FD_CLOEXEC;
                    sys::fcntl_setfd(fd, fl | cloexec).ctx(Op::Fcntl)?;
                }
            }
        }
    }
    fds.error().map_or(Ok(()), Err)
}

/// `close_range(2)`—Closes every open fd except those in `keep`.
///
/// `keep` may be in any order, hold duplicates and include 0 (celery once
/// dropped fd 0 from its keep list and closed stdin, celery#1822); negative
/// numbers are ignored. The cost is O(open fds), never O(RLIMIT_NOFILE):
/// one `close_range` per gap between kept fds (one call for `[0, 1, 2]`),
/// falling back, when `close_range` is missing (`ENOSYS`, kernels before
/// 5.9) or refused (`EPERM`, seccomp in containers), to an enumeration of
/// `/proc/self/fd`, and without `/proc` to a probe of at most 65536 fds.
///
/// See the module's notes on I/O safety: call it in a forked child before
/// `exec` or at daemon start-up, where no `File`/`OwnedFd` still relies on
/// the fds it closes.
///
/// # Errors
///
/// - [`ErrorKind::BufferTooSmall`] when `keep` has more than 256 entries.
/// - [`ErrorKind::Os`] when `close_range` fails for another reason, or the
///   enumeration fails.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`close_range(2)`](https://man7.org/linux/man-pages/man2/close_range.2.html)
///
/// # Examples
///
/// ```
/// // In a child about to exec: keep only stdio.
/// # if false {
/// daemonry::close_open_fds(&[0, 1, 2])?;
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn close_open_fds(keep: &[RawFd]) -> Result<()> {
    apply(keep, Action::Close)
}

/// `close_range(2)` with `CLOSE_RANGE_CLOEXEC`—Marks every open fd except
/// those in `keep` close-on-exec.
///
/// The gentle pre-`exec` variant of [`close_open_fds`]: nothing is closed
/// now, so owners of the fds keep working until `exec`. `keep` follows the
/// same rules (any order, duplicates, 0 allowed). Falls back to
/// enumeration plus `fcntl(F_SETFD)` when `close_range` or its CLOEXEC flag
/// (Linux 5.11) is unavailable.
///
/// # Errors
///
/// As [`close_open_fds`], plus [`ErrorKind::Os`] from `fcntl(F_SETFD)`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`close_range(2)`](https://man7.org/linux/man-pages/man2/close_range.2.html)
pub fn cloexec_open_fds(keep: &[RawFd]) -> Result<()> {
    apply(keep, Action::Cloexec)
}

/// `(st_dev, st_ino)` of a path, following symlinks as `open` would.
fn file_id(path: &CStr) -> Result<(u64, u64)> {
    let st = fs::statat(fs::CWD, path, fs::AtFlags::empty()).ctx(Op::Stat)?;
    Ok((st.st_dev, st.st_ino))
}

/// Calls `f` for each open fd whose `(st_dev, st_ino)` is one of `ids`.
fn for_fds_matching(ids: &[(u64, u64)], mut f: impl FnMut(RawFd)) -> Result<()> {
    let mut fds = open_fds()?;
    for fd in fds.by_ref() {
        if let Ok(st) = sys::fstat(fd)
            && ids.contains(&(st.st_dev, st.st_ino))
        {
            f(fd);
        }
    }
    fds.error().map_or(Ok(()), Err)
}

/// Calls `f`, in ascending order, with each of our open fds that refers to
/// the same file (`st_dev`, `st_ino`) as `path`.
///
/// The path is resolved with `stat(2)` (symlinks followed, as `open` would);
/// only open fds are examined, never the whole fd range (celery's
/// `fd_by_path` `fstat`s every number up to the limit).
///
/// # Errors
///
/// [`ErrorKind::Os`] with context `"stat"` when `path` cannot be resolved;
/// errors from enumeration.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// let f = std::fs::File::open("/dev/null").unwrap();
/// let mut found = Vec::new();
/// daemonry::fds_for_path(c"/dev/null", |fd| found.push(fd)).unwrap();
/// # use std::os::fd::AsRawFd;
/// assert!(found.contains(&f.as_raw_fd()));
/// ```
pub fn fds_for_path(path: &CStr, f: impl FnMut(RawFd)) -> Result<()> {
    let id = file_id(path)?;
    for_fds_matching(&[id], f)
}

/// Our open fds that refer to the same file as any of `paths`, ascending.
///
/// Paths that cannot be resolved are skipped (celery's behaviour); if none
/// resolves, the result is empty. Only open fds are examined.
///
/// # Async-signal safety
///
/// Not safe after fork: allocates.
///
/// # Examples
///
/// ```
/// let f = std::fs::File::open("/dev/null").unwrap();
/// let fds = daemonry::fd_by_path(&["/dev/null", "/nonexistent"]);
/// # use std::os::fd::AsRawFd;
/// assert!(fds.contains(&f.as_raw_fd()));
/// ```
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub fn fd_by_path<P: AsRef<std::path::Path>>(paths: &[P]) -> std::vec::Vec<RawFd> {
    use std::os::unix::fs::MetadataExt;
    let ids: std::vec::Vec<(u64, u64)> = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| (m.dev(), m.ino()))
        .collect();
    let mut out = std::vec::Vec::new();
    if !ids.is_empty() {
        // Enumeration errors are not reported (celery returns what it found).
        let _ = for_fds_matching(&ids, |fd| out.push(fd));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_sorting_matches_a_sort() {
        // Pseudo-random lists (xorshift), checked against the definition:
        // strictly ascending, and exactly the non-negative inputs.
        let mut x: u32 = 0x9e37_79b9;
        let mut buf = [0; MAX_KEEP];
        for len in 0..=MAX_KEEP {
            let mut input = [0; MAX_KEEP];
            for v in input.iter_mut().take(len) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *v = (x % 40) as i32 - 5;
            }
            let input = &input[..len];
            let out = sorted_keep(input, &mut buf).unwrap();
            assert!(out.windows(2).all(|w| w[0] < w[1]), "{out:?}");
            assert!(out.iter().all(|v| input.contains(v)));
            assert!(input.iter().all(|v| *v < 0 || out.contains(v)));
        }
    }

    #[test]
    fn keep_sorting() {
        let mut buf = [0; MAX_KEEP];
        assert_eq!(
            sorted_keep(&[5, 0, 5, -1, 2, 0], &mut buf).unwrap(),
            &[0, 2, 5]
        );
        let mut buf = [0; MAX_KEEP];
        assert_eq!(sorted_keep(&[], &mut buf).unwrap(), &[] as &[i32]);
        let big = [1; MAX_KEEP + 1];
        let mut buf = [0; MAX_KEEP];
        let e = sorted_keep(&big, &mut buf).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::BufferTooSmall);
        assert_eq!(e.needed(), Some(257));
    }

    #[test]
    fn dirent_parsing_rejects_garbage() {
        assert_eq!(parse_dirent(&[0u8; 10], 0), None);
        let mut rec = [0u8; 24];
        rec[16] = 24;
        rec[19] = b'7';
        assert_eq!(parse_dirent(&rec, 0), Some((24, Some(7))));
        rec[16] = 0;
        assert_eq!(parse_dirent(&rec, 0), None);
    }
}
