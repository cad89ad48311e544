//! A NUL-terminated path builder on the stack. Too long is `ENAMETOOLONG`,
//! never a heap fallback.

use crate::num::Decimal;
use core::ffi::CStr;
use rustix::io::Errno;

/// Linux's `PATH_MAX`: the longest path the kernel accepts, NUL included.
/// Every inline path buffer in the crate has this size.
pub(crate) const PATH_MAX: usize = linux_raw_sys::general::PATH_MAX as usize;

/// Builds a C string of at most `N - 1` bytes in an inline buffer.
///
/// The byte after the last pushed one is always 0 (the buffer starts
/// zeroed and `push` never writes past the length it records), so the
/// C string can be borrowed without mutating.
#[derive(Clone)]
pub(crate) struct CStrBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
    overflow: bool,
}

impl<const N: usize> CStrBuf<N> {
    /// An empty string.
    pub(crate) const fn new() -> Self {
        CStrBuf {
            buf: [0; N],
            len: 0,
            overflow: false,
        }
    }

    /// Appends bytes (a NUL inside makes [`as_cstr`](Self::as_cstr) fail
    /// with `EINVAL`).
    pub(crate) fn push(&mut self, bytes: &[u8]) -> &mut Self {
        let end = self.len + bytes.len();
        match self.buf.get_mut(self.len..end) {
            Some(dst) if end < N => {
                dst.copy_from_slice(bytes);
                self.len = end;
            }
            _ => self.overflow = true,
        }
        self
    }

    /// Appends a decimal number.
    pub(crate) fn push_num(&mut self, v: u64) -> &mut Self {
        self.push(Decimal::new(v).as_bytes())
    }

    /// The bytes so far, without the NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The finished C string; `ENAMETOOLONG` if anything did not fit,
    /// `EINVAL` if a NUL byte was pushed.
    pub(crate) fn as_cstr(&self) -> Result<&CStr, Errno> {
        if self.overflow {
            return Err(Errno::NAMETOOLONG);
        }
        let with_nul = self.buf.get(..=self.len).ok_or(Errno::NAMETOOLONG)?;
        CStr::from_bytes_with_nul(with_nul).map_err(|_| Errno::INVAL)
    }
}

/// `/proc/<pid>/<leaf>` (or `/proc/self/<leaf>` for `pid` `None`).
pub(crate) fn proc_path(pid: Option<u32>, leaf: &[u8]) -> CStrBuf<64> {
    let mut b = CStrBuf::new();
    b.push(b"/proc/");
    match pid {
        Some(p) => b.push_num(u64::from(p)),
        None => b.push(b"self"),
    };
    b.push(b"/").push(leaf);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_overflows() {
        let p = proc_path(Some(42), b"stat");
        assert_eq!(p.as_cstr().unwrap().to_bytes(), b"/proc/42/stat");
        let mut small = CStrBuf::<4>::new();
        small.push(b"abcd");
        assert_eq!(small.as_cstr().unwrap_err(), Errno::NAMETOOLONG);
        let mut nul = CStrBuf::<8>::new();
        nul.push(b"a\0b");
        assert_eq!(nul.as_cstr().unwrap_err(), Errno::INVAL);
    }
}
