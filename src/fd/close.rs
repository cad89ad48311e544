//! [`close_open_fds`] and [`cloexec_open_fds`]: `close_range(2)` over the
//! gaps of a sorted keep list, with an enumeration fallback.

use super::{MAX_KEEP, open_fds};
use crate::error::Op;
use crate::error::{Context, Error, Result};
use crate::sys;
use rustix::fd::RawFd;
use rustix::io::Errno;

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
/// See the [module's notes on I/O safety](crate::fd#io-safety): call it in
/// a forked child before `exec` or at daemon start-up, where no
/// `File`/`OwnedFd` still relies on the fds it closes.
///
/// # Errors
///
/// - [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when
///   `keep` has more than [`MAX_KEEP`] (256) entries.
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) when `close_range` fails for another reason, or the
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
/// The example is compiled but not run: it would close the fds the doctest
/// harness owns. `tests/fd.rs` runs it in forked children.
///
/// ```no_run
/// // In a child about to exec: keep only stdio.
/// daemonry::close_open_fds(&[0, 1, 2])?;
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
/// As [`close_open_fds`], plus [`ErrorKind::Os`](crate::ErrorKind::Os)
/// from `fcntl(F_SETFD)`.
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
/// The example is compiled but not run: the doctest harness may `exec`
/// with fds it still needs. `tests/fd.rs` runs it in forked children.
///
/// ```no_run
/// // In a child about to exec: only stdio survives the exec.
/// daemonry::cloexec_open_fds(&[0, 1, 2])?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn cloexec_open_fds(keep: &[RawFd]) -> Result<()> {
    apply(keep, Action::Cloexec)
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
}
