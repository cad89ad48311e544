//! [`OpenFds`]: this process's open fds, from `/proc/self/fd` through
//! rustix's `RawDir` over a stack buffer, or a bounded probe without
//! `/proc`.

use super::{PROBE_CAP, fd_max};
use crate::error::Op;
use crate::error::{Error, Result};
use crate::sys;
use core::mem::MaybeUninit;
use rustix::fd::{AsRawFd, OwnedFd, RawFd};
use rustix::fs::{self, Mode, OFlags, RawDir};
use rustix::io::Errno;

/// Size of the stack buffer each `getdents64(2)` call fills.
const DIRENT_BUF: usize = 4096;

/// The fewest bytes a `/proc/self/fd` entry takes in that buffer: the
/// 19-byte `linux_dirent64` header, a one-digit name and its NUL, rounded
/// up to 8.
const MIN_DIRENT: usize = 24;

/// Most fds one `getdents64` call can return: the size of the batch the
/// iterator keeps between calls.
const BATCH: usize = DIRENT_BUF / MIN_DIRENT;

// The smallest entry really is 24 bytes, and a full buffer of them fits the
// batch.
const _: () = assert!(MIN_DIRENT == (19 + 2usize).next_multiple_of(8));
const _: () = assert!(BATCH * MIN_DIRENT <= DIRENT_BUF);

/// An iterator over this process's open file descriptors, ascending.
///
/// Reads `/proc/self/fd` with `getdents64(2)` (rustix's `RawDir` over a
/// 4 KiB stack buffer) and keeps the fd numbers of one call—at most 170—in
/// a batch inside the iterator: no heap. The directory's own fd is left
/// out. When `/proc` cannot be opened (not mounted, early PID 1, a chroot),
/// it probes `0..min(soft RLIMIT_NOFILE, 65536)` with `fcntl(F_GETFD)`
/// instead; it never loops up to an unbounded limit.
/// [`OpenFds::is_probing`] tells which.
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
/// let fds: Vec<i32> = daemonry::open_fds()?.collect();
/// assert!(fds.windows(2).all(|w| w[0] < w[1]));
/// # Ok::<(), daemonry::Error>(())
/// ```
pub struct OpenFds {
    src: Source,
    error: Option<Errno>,
}

// The batch lives inline on purpose: no heap, ever.
#[allow(clippy::large_enum_variant)]
enum Source {
    Proc {
        dir: OwnedFd,
        batch: [RawFd; BATCH],
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
///
/// # References
///
/// [`proc_pid_fd(5)`](https://man7.org/linux/man-pages/man5/proc_pid_fd.5.html),
/// [`getdents64(2)`](https://man7.org/linux/man-pages/man2/getdents64.2.html)
///
/// # Examples
///
/// ```
/// let n = daemonry::open_fds()?.filter(|&fd| fd <= 2).count();
/// assert!(n <= 3);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn open_fds() -> Result<OpenFds> {
    Ok(OpenFds::new())
}

impl OpenFds {
    fn new() -> OpenFds {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let src = match fs::open(c"/proc/self/fd", flags, Mode::empty()) {
            Ok(dir) => Source::Proc {
                dir,
                batch: [0; BATCH],
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
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// // /proc is mounted here.
    /// assert!(!daemonry::open_fds()?.is_probing());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn is_probing(&self) -> bool {
        matches!(self.src, Source::Probe { .. })
    }

    /// The error that ended the iteration early, if any.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut fds = daemonry::open_fds()?;
    /// for _ in fds.by_ref() {}
    /// assert!(fds.error().is_none());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn error(&self) -> Option<Error> {
        self.error.map(|e| Error::os(Op::ReadProcFd, e))
    }
}

/// How one `getdents64` call into a batch ended.
struct Refill {
    /// fds stored in the batch.
    len: usize,
    /// The directory is exhausted (or an error ended it).
    eof: bool,
    error: Option<Errno>,
}

/// Reads one `getdents64` worth of entries from `dir` into `batch`.
///
/// A `RawDir` calls `getdents64` only when its buffer is used up, so
/// stopping as soon as `is_buffer_empty` says so loses nothing: the next
/// refill's `RawDir` continues at the directory's file offset.
fn refill(dir: &OwnedFd, batch: &mut [RawFd; BATCH]) -> Refill {
    let mut buf = [MaybeUninit::<u8>::uninit(); DIRENT_BUF];
    let mut entries = RawDir::new(dir, &mut buf);
    let own = dir.as_raw_fd();
    let mut len = 0;
    loop {
        let entry = match entries.next() {
            None => {
                return Refill {
                    len,
                    eof: true,
                    error: None,
                };
            }
            Some(Err(Errno::INTR)) => continue,
            Some(Err(e)) => {
                return Refill {
                    len,
                    eof: true,
                    error: Some(e),
                };
            }
            Some(Ok(entry)) => entry,
        };
        // ".", ".." and anything else that is not a number are skipped.
        let fd = crate::num::parse_u32(entry.file_name().to_bytes())
            .and_then(|v| RawFd::try_from(v).ok());
        if let Some(fd) = fd.filter(|&fd| fd != own) {
            match batch.get_mut(len) {
                Some(slot) => *slot = fd,
                // More entries than a buffer can hold: not a procfs answer.
                None => {
                    return Refill {
                        len,
                        eof: true,
                        error: Some(Errno::OVERFLOW),
                    };
                }
            }
            len += 1;
        }
        if entries.is_buffer_empty() {
            return Refill {
                len,
                eof: false,
                error: None,
            };
        }
    }
}

impl Iterator for OpenFds {
    type Item = RawFd;

    fn next(&mut self) -> Option<RawFd> {
        match &mut self.src {
            Source::Proc {
                dir,
                batch,
                pos,
                len,
                eof,
            } => loop {
                if let Some(&fd) = batch.get(*pos).filter(|_| *pos < *len) {
                    *pos += 1;
                    return Some(fd);
                }
                if *eof {
                    return None;
                }
                let r = refill(dir, batch);
                (*pos, *len, *eof) = (0, r.len, r.eof);
                if r.error.is_some() {
                    self.error = r.error;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_more_fds_than_one_batch() {
        // Other tests open and close fds concurrently: check that ours are
        // all seen, in ascending order, across several batches.
        let mut ours = [const { None }; BATCH * 2 + 7];
        for slot in ours.iter_mut() {
            let flags = OFlags::RDONLY | OFlags::CLOEXEC;
            *slot = Some(fs::open(c"/dev/null", flags, Mode::empty()).unwrap());
        }
        let mut seen = [0 as RawFd; 4096];
        let mut n = 0;
        for fd in open_fds().unwrap() {
            seen[n] = fd;
            n += 1;
        }
        let seen = &seen[..n];
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
        for fd in ours.iter().flatten() {
            assert!(seen.binary_search(&fd.as_raw_fd()).is_ok());
        }
    }
}
