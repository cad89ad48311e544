//! [`PathArg`]: the one way daemonry's types keep a path.
//!
//! daemonry has one path convention:
//!
//! - A function that uses a path once takes `impl rustix::path::Arg`
//!   (`&CStr`, `&str`, and with `std` `&Path`, `&OsStr`, `PathBuf`, …), the
//!   convention of rustix. A `&CStr` is passed to the kernel as it is; other
//!   types are copied into a stack buffer, and only a path of 256 bytes or
//!   more may be copied to the heap (when something in the program enables
//!   allocation in rustix). Between `fork` and `exec`, pass `&CStr`.
//! - A type or builder that keeps a path ([`Pidfile`](crate::Pidfile),
//!   [`DaemonContext`](crate::DaemonContext), [`AccountDb`](crate::AccountDb))
//!   takes `impl Into<PathArg<'a>>`: a borrowed `&CStr` in every build, and
//!   with `std` also `&Path`, `&str`, `&OsStr`, `PathBuf`, `String` and
//!   `CString`, converted (and allocated) once, when the value is built,
//!   never later.

use core::ffi::CStr;
use core::fmt;

#[cfg(feature = "std")]
use std::ffi::CString;

/// A path kept by a daemonry value: a borrowed C string, or (with `std`)
/// an owned one converted from a Rust path type when the value was built.
///
/// Build it with `.into()` from `&CStr` (no allocation, usable after
/// `fork`), or with `std` from `&Path`, `&str`, `&OsStr`, `PathBuf`,
/// `String` or `CString`. A path with a NUL byte inside cannot be a C
/// string: the conversion keeps an empty path, which every daemonry
/// function rejects as [`InvalidInput`](crate::ErrorKind::InvalidInput)
/// naming the [`PidfilePath`](crate::Op::PidfilePath)-style operation that
/// needed it.
///
/// # Async-signal safety
///
/// Using a `PathArg` is safe between fork and exec; converting a Rust path
/// into one allocates and is not.
///
/// # Examples
///
/// ```
/// use daemonry::PathArg;
/// let p: PathArg<'_> = c"/run/app.pid".into();
/// assert_eq!(p.as_c_str(), c"/run/app.pid");
/// # #[cfg(feature = "std")] {
/// let q: PathArg<'_> = std::path::Path::new("/run/app.pid").into();
/// assert_eq!(p, q);
/// # }
/// ```
#[derive(Clone)]
pub struct PathArg<'a>(Repr<'a>);

#[derive(Clone)]
enum Repr<'a> {
    Borrowed(&'a CStr),
    #[cfg(feature = "std")]
    Owned(CString),
}

impl<'a> PathArg<'a> {
    /// The path as a C string.
    pub fn as_c_str(&self) -> &CStr {
        match &self.0 {
            Repr::Borrowed(c) => c,
            #[cfg(feature = "std")]
            Repr::Owned(c) => c,
        }
    }

    /// The path's bytes, without the NUL.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_c_str().to_bytes()
    }

    /// Whether the path is empty (or came from a Rust path with a NUL
    /// inside, which no C string can hold).
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// A `PathArg` borrowed from a C string, in `const` context.
    pub const fn from_c_str(c: &'a CStr) -> PathArg<'a> {
        PathArg(Repr::Borrowed(c))
    }
}

impl PartialEq for PathArg<'_> {
    fn eq(&self, other: &PathArg<'_>) -> bool {
        self.as_c_str() == other.as_c_str()
    }
}

impl Eq for PathArg<'_> {}

impl core::hash::Hash for PathArg<'_> {
    fn hash<H: core::hash::Hasher>(&self, h: &mut H) {
        self.as_c_str().hash(h)
    }
}

impl fmt::Debug for PathArg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"")?;
        crate::name::fmt_bytes(f, self.as_bytes(), false)?;
        write!(f, "\"")
    }
}

impl<'a> From<&'a CStr> for PathArg<'a> {
    fn from(c: &'a CStr) -> PathArg<'a> {
        PathArg(Repr::Borrowed(c))
    }
}

impl<'a> From<&'a PathArg<'_>> for PathArg<'a> {
    fn from(p: &'a PathArg<'_>) -> PathArg<'a> {
        PathArg(Repr::Borrowed(p.as_c_str()))
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<CString> for PathArg<'_> {
    fn from(c: CString) -> Self {
        PathArg(Repr::Owned(c))
    }
}

#[cfg(feature = "std")]
fn owned(bytes: &[u8]) -> PathArg<'static> {
    PathArg(Repr::Owned(CString::new(bytes).unwrap_or_default()))
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<&std::path::Path> for PathArg<'_> {
    fn from(p: &std::path::Path) -> Self {
        use std::os::unix::ffi::OsStrExt;
        owned(p.as_os_str().as_bytes())
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<std::path::PathBuf> for PathArg<'_> {
    fn from(p: std::path::PathBuf) -> Self {
        p.as_path().into()
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<&std::path::PathBuf> for PathArg<'_> {
    fn from(p: &std::path::PathBuf) -> Self {
        p.as_path().into()
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<&std::ffi::OsStr> for PathArg<'_> {
    fn from(p: &std::ffi::OsStr) -> Self {
        use std::os::unix::ffi::OsStrExt;
        owned(p.as_bytes())
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<&str> for PathArg<'_> {
    fn from(p: &str) -> Self {
        owned(p.as_bytes())
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<std::string::String> for PathArg<'_> {
    fn from(p: std::string::String) -> Self {
        owned(p.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_and_owned_agree() {
        let a: PathArg<'_> = c"/a/b".into();
        assert_eq!(a.as_bytes(), b"/a/b");
        assert!(!a.is_empty());
        #[cfg(feature = "std")]
        {
            let b: PathArg<'_> = "/a/b".into();
            assert_eq!(a, b);
            let nul: PathArg<'_> = "/a\0b".into();
            assert!(nul.is_empty());
        }
    }
}
