//! [`fds_for_path`] and (`std`) [`fd_by_path`]: our open fds that refer
//! to a given file.

use super::open_fds;
use crate::error::Op;
use crate::error::{Context, Result};
use crate::sys;
use rustix::fd::RawFd;
use rustix::fs;

/// `(st_dev, st_ino)` of a path, following symlinks as `open` would.
fn file_id(path: impl rustix::path::Arg) -> Result<(u64, u64)> {
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
/// `path` is used once, so it is any `rustix::path::Arg`: a `&CStr` goes to
/// the kernel as it is (use that between fork and exec); `&str`, `&Path`
/// and the like are copied to a stack buffer (rustix may allocate for one
/// of 256 bytes or more when allocation is enabled). The path is resolved
/// with `stat(2)` (symlinks followed, as `open` would); only open fds are
/// examined, never the whole fd range (celery's `fd_by_path` `fstat`s every
/// number up to the limit).
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) with [`Op::Stat`] when `path`
/// cannot be resolved; errors from enumeration.
///
/// # Async-signal safety
///
/// Safe between fork and exec with a `&CStr`: no allocation, locks or
/// panics.
///
/// # References
///
/// [`stat(2)`](https://man7.org/linux/man-pages/man2/stat.2.html)
///
/// # Examples
///
/// ```
/// let f = std::fs::File::open("/dev/null").unwrap();
/// let mut found = Vec::new();
/// daemonry::fds_for_path(c"/dev/null", |fd| found.push(fd))?;
/// # use std::os::fd::AsRawFd;
/// assert!(found.contains(&f.as_raw_fd()));
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn fds_for_path(path: impl rustix::path::Arg, f: impl FnMut(RawFd)) -> Result<()> {
    let id = file_id(path)?;
    for_fds_matching(&[id], f)
}

/// `stat(2)` of each path—Our open fds that refer to the same file as any
/// of `paths`, ascending (celery's `fd_by_path`).
///
/// The paths are used once, so they are any `rustix::path::Arg` (`&str`,
/// `&Path`, `PathBuf`, `&CStr`, …), like [`fds_for_path`]'s. Paths that
/// cannot be resolved are skipped (celery's behaviour); if none resolves,
/// the result is empty. Only open fds are examined.
///
/// # Async-signal safety
///
/// Not safe after fork: allocates.
///
/// # References
///
/// [`stat(2)`](https://man7.org/linux/man-pages/man2/stat.2.html)
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
pub fn fd_by_path<P: rustix::path::Arg>(paths: &[P]) -> std::vec::Vec<RawFd> {
    let ids: std::vec::Vec<(u64, u64)> = paths
        .iter()
        .filter_map(|p| p.as_cow_c_str().ok())
        .filter_map(|p| file_id(&*p).ok())
        .collect();
    let mut out = std::vec::Vec::new();
    if !ids.is_empty() {
        // Enumeration errors are not reported (celery returns what it found).
        let _ = for_fds_matching(&ids, |fd| out.push(fd));
    }
    out
}
