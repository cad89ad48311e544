//! [`PidLock`] and the celery-style entry points: [`create_pidlock`] and
//! [`check_pidlock`], and the [`PidfilePath`] argument they take.

use super::file;
use super::{PidStatus, Pidfile, lock_failed};
use crate::error::Op;
use crate::error::{Context, Result};
use core::ffi::CStr;
use core::fmt;
use rustix::fs::{self, AtFlags};
use rustix::process::{self, Pid};

/// How many publish/judge/remove rounds [`create_pidlock`] makes before it
/// gives up. Each extra round means another process changed the file in
/// between, so this bounds a pathological race, never a normal start.
const CREATE_ROUNDS: u32 = 16;

/// A held pidfile lock, released on drop in the process that acquired it
/// (returned by [`create_pidlock`]).
///
/// A copy inherited by a forked child does nothing on drop but close its
/// fd; the lock stays with the parent (and with every process that still
/// has the file open). Dereferences to the [`Pidfile`] for `path()`,
/// `fd()`, `set_inheritable()` and the rest.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("dk-doc-lock-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = std::ffi::CString::new(format!("{}/app.pid", dir.display())).unwrap();
/// let lock = daemonry::create_pidlock(path.as_c_str())?;
/// assert_eq!(lock.pid(), rustix::process::getpid());
/// let fd = lock.fd().expect("held"); // keep it across close_open_fds
/// # let _ = fd;
/// lock.release()?;
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), daemonry::Error>(())
/// ```
pub struct PidLock<'a> {
    pidfile: Pidfile<'a>,
}

impl<'a> PidLock<'a> {
    /// The pid written in the file (the acquiring process, or the last
    /// caller of [`Pidfile::write_pid`]).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    pub fn pid(&self) -> Pid {
        // A PidLock is only built around a held Pidfile; the getpid()
        // fallback cannot be reached.
        self.pidfile
            .held
            .as_ref()
            .map_or_else(process::getpid, |h| h.pid)
    }

    /// Releases the lock now, reporting errors (drop ignores them). See
    /// [`Pidfile::release`].
    ///
    /// # Errors
    ///
    /// As [`Pidfile::release`].
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`unlink(2)`](https://man7.org/linux/man-pages/man2/unlink.2.html)
    pub fn release(self) -> Result<()> {
        let PidLock { mut pidfile } = self;
        pidfile.release()
    }

    /// Rewrites the file with the calling process's pid (after a fork) and
    /// makes this copy the owner. See [`Pidfile::write_pid`].
    ///
    /// # Errors
    ///
    /// As [`Pidfile::write_pid`].
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    pub fn write_pid(&mut self) -> Result<()> {
        self.pidfile.write_pid()
    }

    /// The underlying [`Pidfile`], still holding the lock (it releases on
    /// drop just the same).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    pub fn into_pidfile(self) -> Pidfile<'a> {
        self.pidfile
    }
}

impl<'a> core::ops::Deref for PidLock<'a> {
    type Target = Pidfile<'a>;
    fn deref(&self) -> &Pidfile<'a> {
        &self.pidfile
    }
}

impl fmt::Debug for PidLock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PidLock")
            .field("path", &self.pidfile.path())
            .field("pid", &self.pid())
            .finish()
    }
}

pub(crate) mod private {
    /// Seals [`PidfilePath`](super::PidfilePath).
    pub trait Sealed {}
}

/// What [`create_pidlock`] and [`check_pidlock`] accept as a path: a
/// `&CStr` (no allocation), a [`Pidfile`], and with `std` the usual path
/// types (`&str`, `String`, `&Path`, `PathBuf`, `&OsStr`, `&CString`),
/// made absolute at once.
///
/// Sealed: implemented by daemonry only.
pub trait PidfilePath<'a>: private::Sealed {
    /// The [`Pidfile`] for this path.
    ///
    /// # Errors
    ///
    /// As [`Pidfile::from_path`] for the std path types; never for `&CStr`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec for `&CStr` and `Pidfile`; the std path
    /// types allocate.
    fn into_pidfile(self) -> Result<Pidfile<'a>>;
}

impl private::Sealed for &CStr {}
impl<'a> PidfilePath<'a> for &'a CStr {
    fn into_pidfile(self) -> Result<Pidfile<'a>> {
        Ok(Pidfile::new(self))
    }
}

impl private::Sealed for Pidfile<'_> {}
impl<'a> PidfilePath<'a> for Pidfile<'a> {
    fn into_pidfile(self) -> Result<Pidfile<'a>> {
        Ok(self)
    }
}

#[cfg(feature = "std")]
mod std_paths {
    use super::{Pidfile, PidfilePath, Result, private};
    use std::ffi::{CString, OsStr, OsString};
    use std::path::{Path, PathBuf};
    use std::string::String;

    impl private::Sealed for &CString {}
    impl<'a> PidfilePath<'a> for &'a CString {
        fn into_pidfile(self) -> Result<Pidfile<'a>> {
            Ok(Pidfile::new(self.as_c_str()))
        }
    }

    macro_rules! via_path {
        ($($t:ty),*) => {$(
            impl private::Sealed for $t {}
            impl PidfilePath<'static> for $t {
                fn into_pidfile(self) -> Result<Pidfile<'static>> {
                    Pidfile::from_path(self)
                }
            }
        )*};
    }
    via_path!(
        &str, String, &String, &Path, PathBuf, &PathBuf, &OsStr, OsString
    );
}

/// Takes the pidfile lock for the life of the program (celery's
/// `create_pidlock`): removes a stale or invalid file, then acquires.
///
/// Tries to publish first; when something is there, probes it. A live
/// holder ([`PidStatus::Held`] or [`PidStatus::Running`]) is
/// `LockFailed` (with the holder in [`Error::pid`](crate::Error::pid)); a stale or invalid file is removed by inode and
/// the publish is tried again. Concurrent starters race on the atomic
/// publish, so exactly one wins. The returned [`PidLock`] releases on drop,
/// in this process only (celery registers an `atexit` handler, which forked
/// children share).
///
/// # Errors
///
/// - [`ErrorKind::LockFailed`](crate::ErrorKind::LockFailed) with the holder's pid when a live process
///   holds the lock (celery prints `PIDLOCKED` and exits 73,
///   `EX_CANTCREAT`; here that is the caller's choice).
/// - As [`Pidfile::acquire`] and [`Pidfile::probe`] otherwise (`ELOOP`
///   for a symlink at the path, `EACCES`, …).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics (with a
/// `&CStr` or a `Pidfile`; the std path types allocate).
///
/// # Examples
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("dk-doc-cpl-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// use daemonry::{create_pidlock, ErrorKind};
/// let path = dir.join("app.pid");
/// let cpath = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
/// std::fs::write(&path, "999999\n").unwrap(); // a crashed holder's file
/// let lock = create_pidlock(cpath.as_c_str())?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{}\n", std::process::id()));
/// let err = create_pidlock(cpath.as_c_str()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::LockFailed);
/// assert_eq!(err.pid(), Some(lock.pid()));
/// drop(lock);
/// assert!(!path.exists());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn create_pidlock<'a, P: PidfilePath<'a>>(path: P) -> Result<PidLock<'a>> {
    let mut pidfile = path.into_pidfile()?;
    if pidfile.is_held() {
        return Ok(PidLock { pidfile });
    }
    let mut last = None;
    for _ in 0..CREATE_ROUNDS {
        match pidfile.try_acquire() {
            Ok(true) => return Ok(PidLock { pidfile }),
            Ok(false) => {}
            Err(e) => {
                // E.g. EACCES in a directory we cannot write: if a live
                // process holds the lock, that is the better answer.
                return match pidfile.probe() {
                    Ok(PidStatus::Held(pid)) => Err(lock_failed(pid)),
                    Ok(PidStatus::Running(pid)) => Err(lock_failed(Some(pid))),
                    _ => Err(e),
                };
            }
        }
        let (status, opened) = file::examine(pidfile.path())?;
        match (status, opened) {
            (PidStatus::Held(pid), _) => return Err(lock_failed(pid)),
            (PidStatus::Running(pid), _) => return Err(lock_failed(Some(pid))),
            (PidStatus::Stale(pid), Some(o)) => {
                last = Some(pid);
                // Busy: another cleaner (who will win or lose the next
                // publish) or a holder that just locked it: look again.
                file::remove_by_inode(pidfile.path(), &o)?;
            }
            (PidStatus::Invalid, Some(o)) => {
                file::remove_by_inode(pidfile.path(), &o)?;
            }
            // Gone in the meantime: publish again.
            _ => {}
        }
    }
    Err(lock_failed(last))
}

/// Checks, without side effects, that [`create_pidlock`] could take the
/// lock now (celery's `detached` pre-flight, which creates and deletes a
/// temporary pidfile and so races with monitors; celery#4174).
///
/// `Ok` when the path is absent, stale or invalid (the lock could be
/// taken), and its directory exists and is writable and searchable for
/// our effective ids. Nothing is created or deleted.
///
/// # Errors
///
/// - [`ErrorKind::LockFailed`](crate::ErrorKind::LockFailed) with the holder's pid when a live process
///   holds it.
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) with the errno of `faccessat2` when the directory is
///   missing (`ENOENT`) or not writable (`EACCES`, `EROFS`); as
///   [`Pidfile::probe`] otherwise.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics (with a
/// `&CStr` or a `Pidfile`).
///
/// # References
///
/// [`faccessat2(2)`](https://man7.org/linux/man-pages/man2/faccessat2.2.html)
///
/// # Examples
///
/// ```
/// daemonry::check_pidlock(c"/tmp/surely-not-running.pid")?;
/// assert!(daemonry::check_pidlock(c"/nonexistent-dir/x.pid").is_err());
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn check_pidlock<'a, P: PidfilePath<'a>>(path: P) -> Result<()> {
    let pidfile = path.into_pidfile()?;
    match pidfile.probe()? {
        PidStatus::Held(pid) => return Err(lock_failed(pid)),
        PidStatus::Running(pid) => return Err(lock_failed(Some(pid))),
        _ => {}
    }
    let bytes = pidfile.path().to_bytes();
    let mut dir = crate::cstr::CStrBuf::<4096>::new();
    match bytes.iter().rposition(|&b| b == b'/') {
        Some(0) => dir.push(b"/"),
        Some(i) => dir.push(bytes.get(..i).unwrap_or(&[])),
        None => dir.push(b"."),
    };
    let dir = dir.as_cstr().ctx(Op::PidfileDir)?;
    let access = fs::Access::WRITE_OK | fs::Access::EXEC_OK;
    fs::accessat(fs::CWD, dir, access, AtFlags::EACCESS).ctx(Op::PidfileDir)
}
