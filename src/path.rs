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
//!   [`DaemonContext`](crate::DaemonContext),
//!   [`DetachOptions`](crate::DetachOptions), [`AccountDb`](crate::AccountDb))
//!   takes `impl Into<PathArg<'a>>`: a borrowed `&CStr` in every build, and
//!   with `std` also `&Path`, `&str`, `&OsStr`, `PathBuf`, `String`,
//!   `CString` and `&CString`, converted (and allocated) once, when the
//!   value is built, never later.

use crate::cstr::{CStrBuf, PATH_MAX};
use core::ffi::CStr;
use core::fmt;
use rustix::fs::{self, AtFlags};
use rustix::io::Errno;

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
/// naming the operation that needed it (for example
/// [`Op::PidfilePath`](crate::Op::PidfilePath)).
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
    ///
    /// # Examples
    ///
    /// ```
    /// let p = daemonry::PathArg::from(c"/run");
    /// assert_eq!(p.as_c_str().to_bytes(), b"/run");
    /// ```
    pub fn as_c_str(&self) -> &CStr {
        match &self.0 {
            Repr::Borrowed(c) => c,
            #[cfg(feature = "std")]
            Repr::Owned(c) => c,
        }
    }

    /// The path's bytes, without the NUL.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(daemonry::PathArg::from(c"a/b").as_bytes(), b"a/b");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        self.as_c_str().to_bytes()
    }

    /// Whether the path is empty (or came from a Rust path with a NUL
    /// inside, which no C string can hold).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(daemonry::PathArg::from(c"").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// A `PathArg` borrowed from a C string, in `const` context.
    ///
    /// # Examples
    ///
    /// ```
    /// const RUN: daemonry::PathArg<'static> = daemonry::PathArg::from_c_str(c"/run");
    /// assert_eq!(RUN.as_bytes(), b"/run");
    /// ```
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
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl<'a> From<&'a CString> for PathArg<'a> {
    /// Borrows the C string: no copy.
    fn from(c: &'a CString) -> Self {
        PathArg(Repr::Borrowed(c.as_c_str()))
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

/// `path` made absolute against the current working directory, in an
/// inline `PATH_MAX` buffer, without allocating: `path` itself when it
/// starts with `/`, else the directory `/proc/self/cwd` names, `/`, and
/// `path`. `..` and symlinks are kept, as `std::path::absolute` keeps them.
///
/// The directory name is checked against `.` by `(st_dev, st_ino)`, so a
/// removed or unreachable working directory (which `/proc` shows with a
/// ` (deleted)` suffix or outside the root) is `ENOENT`, as `getcwd(2)`
/// says. Without `/proc`, the `std` build asks `getcwd(2)` through std
/// (which allocates); the core build reports the error.
///
/// `EINVAL` for an empty path, `ENAMETOOLONG` when the result does not fit.
pub(crate) fn absolute(path: &CStr) -> Result<CStrBuf<PATH_MAX>, Errno> {
    let bytes = path.to_bytes();
    let mut out = CStrBuf::new();
    match bytes.first() {
        None => return Err(Errno::INVAL),
        Some(b'/') => {
            out.push(bytes);
        }
        Some(_) => {
            push_cwd(&mut out)?;
            if out.as_bytes() != b"/" {
                out.push(b"/");
            }
            out.push(bytes);
        }
    }
    out.as_cstr()?;
    Ok(out)
}

/// Appends the current working directory to the empty `out`.
fn push_cwd(out: &mut CStrBuf<PATH_MAX>) -> Result<(), Errno> {
    let mut link = [0u8; PATH_MAX];
    let n = match fs::readlinkat_raw(fs::CWD, c"/proc/self/cwd", &mut link[..]) {
        Ok(n) => n,
        #[cfg(feature = "std")]
        Err(Errno::NOENT) => {
            // No /proc: std asks getcwd(2).
            use std::os::unix::ffi::OsStrExt;
            let dir = std::env::current_dir()
                .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::NOENT))?;
            out.push(dir.as_os_str().as_bytes());
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    // A full buffer may be a truncated name.
    let dir = link
        .get(..n)
        .filter(|_| n < PATH_MAX)
        .ok_or(Errno::NAMETOOLONG)?;
    if dir.first() != Some(&b'/') {
        return Err(Errno::NOENT);
    }
    out.push(dir);
    let named = fs::statat(fs::CWD, out.as_cstr()?, AtFlags::empty());
    let here = fs::statat(fs::CWD, c".", AtFlags::empty())?;
    match named {
        Ok(st) if (st.st_dev, st.st_ino) == (here.st_dev, here.st_ino) => Ok(()),
        _ => Err(Errno::NOENT),
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

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute(c"/a/../b").unwrap().as_bytes(), b"/a/../b");
        assert_eq!(absolute(c"").err(), Some(Errno::INVAL));
        let rel = absolute(c"x/y.pid").unwrap();
        assert!(rel.as_bytes().starts_with(b"/"));
        assert!(rel.as_bytes().ends_with(b"/x/y.pid"));
        #[cfg(feature = "std")]
        {
            use std::os::unix::ffi::OsStrExt;
            let cwd = std::env::current_dir().unwrap();
            let want = cwd.join("x/y.pid");
            assert_eq!(rel.as_bytes(), want.as_os_str().as_bytes());
        }
    }
}
