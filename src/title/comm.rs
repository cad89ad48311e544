//! The comm name: `prctl(PR_SET_NAME)` and `prctl(PR_GET_NAME)`, what
//! `top`, `ps -o comm` and `pgrep` show.

#![allow(unsafe_code)] // One `CStr` built without a second scan; see `set_comm`.

use super::{floor_char_boundary, has_nul};
use crate::error::{Context, Error, Op, Result};

/// The longest comm name the kernel keeps (16 bytes with the NUL).
pub(super) const COMM_MAX: usize = 15;

/// Sets the comm name from `name`, cut to 15 bytes on a UTF-8 boundary.
/// `name` is checked for a NUL here, the one scan of it: a NUL anywhere is
/// `InvalidInput` with context `op` and `name` as the input, and nothing
/// is changed.
pub(super) fn set_comm(name: &[u8], op: Op) -> Result<()> {
    if has_nul(name) {
        return Err(Error::invalid(op).with_input(name));
    }
    let n = floor_char_boundary(name, COMM_MAX);
    let mut buf = [0u8; COMM_MAX + 1];
    let (Some(dst), Some(src)) = (buf.get_mut(..n), name.get(..n)) else {
        return Err(Error::invalid(op).with_input(name));
    };
    dst.copy_from_slice(src);
    let Some(with_nul) = buf.get(..=n) else {
        return Err(Error::invalid(op).with_input(name));
    };
    // SAFETY: `with_nul` ends in a NUL (`n < buf.len()`, and `buf` is
    // zeroed past the `n` bytes copied) and holds no other: those bytes
    // are the start of `name`, checked above. (`CStr::from_bytes_until_nul`
    // would scan again, byte by byte: that scan was half the cost of
    // `set_name` beside the `prctl`.)
    let c = unsafe { core::ffi::CStr::from_bytes_with_nul_unchecked(with_nul) };
    rustix::thread::set_name(c).ctx(Op::SetName)
}

/// `prctl(PR_SET_NAME)`—Sets the comm name, cut to 15 bytes on a UTF-8
/// boundary (the kernel would cut in the middle of a character). Takes
/// text or bytes (`&str`, `&[u8]`, …).
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
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when
///   `name` contains a NUL byte.
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) from `prctl` (not expected).
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
/// daemonry::set_name("my-worker")?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "PR_SET_NAME")]
pub fn set_name(name: impl AsRef<[u8]>) -> Result<()> {
    set_comm(name.as_ref(), Op::SetName)
}

/// `prctl(PR_GET_NAME)`—The calling thread's comm name, NUL-padded to 16
/// bytes.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) from `prctl` (not expected).
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
