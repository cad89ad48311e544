//! [`PidLock`] and the celery-style entry points: [`create_pidlock`] and
//! [`check_pidlock`].

use super::file::{self, FileId};
use super::publish::sweep_litter;
use super::status::judge;
use super::{Held, PidStatus, Pidfile, lock_failed, refusal};
use crate::cstr::{CStrBuf, PATH_MAX};
use crate::error::{Context, Error, Op, Result};
use crate::path::PathArg;
use core::ffi::CStr;
use core::fmt;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{self, AtFlags};
use rustix::process::Pid;

/// How many publish/judge/remove rounds [`create_pidlock`] makes before it
/// gives up. Each extra round means another process changed the file in
/// between, so this bounds a pathological race, never a normal start.
const CREATE_ROUNDS: u32 = 16;

/// A held pidfile lock, released on drop in the process that acquired it
/// (returned by [`create_pidlock`]).
///
/// It owns everything it needs and borrows nothing: the locked fd, the
/// file's `(st_dev, st_ino)` and pid, and its own copy of the path in an
/// inline buffer of `PATH_MAX` (4096) bytes, used to unlink the file on
/// release. So a `PidLock` is about 4 KiB, moves freely (into a
/// [`Daemon`](crate::daemon::Daemon), out of the function that built the
/// path) and needs no allocator. The path is the one the lock was taken
/// at: absolute with `std`; without `std`, a relative path stays relative
/// to the working directory at each call (take the lock at an absolute path
/// if the process will `chdir`).
///
/// A copy inherited by a forked child does nothing on drop but close its
/// fd; the lock stays with the parent (and with every process that still
/// has the file open).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("daemonry-doc-lock-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
/// let lock = daemonry::create_pidlock(path.as_c_str())?;
/// assert_eq!(lock.pid(), rustix::process::getpid());
/// assert_eq!(lock.path(), path.as_c_str());
/// let _fd = lock.fd(); // keep it across close_open_fds
/// lock.release()?;
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), daemonry::Error>(())
/// ```
pub struct PidLock {
    path: CStrBuf<PATH_MAX>,
    held: Held,
    /// Set by [`PidLock::release`], so that drop does not release twice.
    released: bool,
}

impl PidLock {
    /// The path the lock was taken at.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-lpath-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// let lock = daemonry::create_pidlock(path.as_c_str())?;
    /// assert_eq!(lock.path(), path.as_c_str());
    /// # drop(lock); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn path(&self) -> &CStr {
        // The buffer was filled from a C string that fit: this cannot fail.
        self.path.as_cstr().unwrap_or(c"")
    }

    /// The path the lock was taken at, as a `Path`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-lasp-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let lock = daemonry::create_pidlock(dir.join("app.pid"))?;
    /// assert_eq!(lock.as_path(), dir.join("app.pid"));
    /// # drop(lock); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn as_path(&self) -> &std::path::Path {
        use std::os::unix::ffi::OsStrExt;
        std::path::Path::new(std::ffi::OsStr::from_bytes(self.path.as_bytes()))
    }

    /// The pid written in the file (the acquiring process, or the last
    /// caller of [`write_pid`](PidLock::write_pid)).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-lpid-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// let lock = daemonry::create_pidlock(path.as_c_str())?;
    /// assert_eq!(lock.pid(), rustix::process::getpid());
    /// # drop(lock); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn pid(&self) -> Pid {
        self.held.pid
    }

    /// The locked file's descriptor, to keep it open across
    /// [`close_open_fds`](crate::close_open_fds) or hand it to an `exec`ed
    /// program (see [`set_inheritable`](PidLock::set_inheritable)). See
    /// [`Pidfile::fd`] for how `/proc` shows it.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-lfd-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// use rustix::fd::AsRawFd;
    /// let lock = daemonry::create_pidlock(path.as_c_str())?;
    /// let mut found = 0;
    /// daemonry::fds_for_path(path.as_c_str(), |fd| {
    ///     assert_eq!(fd, lock.fd().as_raw_fd());
    ///     found += 1;
    /// })?;
    /// assert_eq!(found, 1);
    /// # drop(lock); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.held.fd.as_fd()
    }

    /// Whether the calling process is the one that acquired the lock (or
    /// last called [`write_pid`](PidLock::write_pid)); a copy inherited
    /// through `fork` is not, and does not release on drop.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-lheld-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// let lock = daemonry::create_pidlock(path.as_c_str())?;
    /// assert!(lock.is_held());
    /// # drop(lock); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn is_held(&self) -> bool {
        self.held.is_ours()
    }

    /// `fcntl(F_SETFD)`—Lets the locked fd survive `exec` (`true`) or not
    /// (`false`, the default). See [`Pidfile::set_inheritable`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) from `fcntl`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`fcntl(2)`](https://man7.org/linux/man-pages/man2/fcntl.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-linh-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// let lock = daemonry::create_pidlock(path.as_c_str())?;
    /// lock.set_inheritable(true)?; // about to exec the real server
    /// # drop(lock); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn set_inheritable(&self, inheritable: bool) -> Result<()> {
        self.held.set_inheritable(inheritable)
    }

    /// Rewrites the file with the calling process's pid (after a fork) and
    /// makes this copy the owner that releases. See [`Pidfile::write_pid`]:
    /// the file is opened for writing anew, so a process that dropped
    /// privileges cannot do it (`EACCES`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) from `open`, `pwrite` or
    /// `ftruncate`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-lwp-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// let mut lock = daemonry::create_pidlock(path.as_c_str())?;
    /// // In a forked child that carries on as the daemon:
    /// lock.write_pid()?;
    /// assert_eq!(lock.pid(), rustix::process::getpid());
    /// # drop(lock); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn write_pid(&mut self) -> Result<()> {
        let path = self.path.as_cstr().ctx(Op::PidfilePath)?;
        self.held.write_pid(path)
    }

    /// The locked file's `(st_dev, st_ino)`.
    pub(crate) fn file_id(&self) -> FileId {
        self.held.id
    }

    /// Releases the lock now, reporting errors (drop ignores them): unlinks
    /// the path if it still names our file holding our pid, then closes the
    /// fd. See [`Pidfile::release`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) when the path cannot be
    /// examined or unlinked; the fd is closed (and the lock dropped) anyway.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`unlink(2)`](https://man7.org/linux/man-pages/man2/unlink.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-lrel-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// let lock = daemonry::create_pidlock(path.as_c_str())?;
    /// lock.release()?;
    /// assert!(!daemonry::Pidfile::new(path.as_c_str())?.exists()?);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn release(mut self) -> Result<()> {
        self.released = true;
        self.held.unlink(self.path())
        // `self` drops here: the fd closes after the unlink.
    }
}

impl Drop for PidLock {
    fn drop(&mut self) {
        if !self.released {
            // Errors cannot be reported from drop; the fd closes anyway.
            let _ = self.held.unlink(self.path());
        }
    }
}

impl fmt::Debug for PidLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PidLock")
            .field("path", &self.path())
            .field("pid", &self.pid())
            .finish()
    }
}

/// Takes the pidfile lock for the life of the program (celery's
/// `create_pidlock`): removes a stale or invalid file, then acquires.
///
/// `path` is anything [`Pidfile::new`] takes (with `std`, a relative path
/// is made absolute now). Tries to publish first; when something is there,
/// probes it ([`Pidfile::probe`]). A live holder ([`PidStatus::is_live`])
/// is `LockFailed`; a stale or invalid file is removed by inode, together
/// with the temporary names crashed writers left, and the publish is tried
/// again. Concurrent starters race on the atomic publish, so exactly one
/// wins. The returned [`PidLock`] releases on drop, in this process only
/// (celery registers an `atexit` handler, which forked children share).
///
/// Nothing that is not a pidfile is ever removed or replaced, and a
/// lock-less claim others could have written
/// ([`PidStatus::Untrusted`]) is refused rather than removed: it may be
/// another user's live daemon.
///
/// # Errors
///
/// - [`ErrorKind::LockFailed`](crate::ErrorKind::LockFailed) when a live
///   process holds the lock (celery prints `PIDLOCKED` and exits 73,
///   `EX_CANTCREAT`; here that is the caller's choice).
///   [`Error::pid`](crate::Error::pid) is a *verified* holder—the named
///   process, another process found holding the lock, or the live process a
///   trusted lock-less file names—or `None` when the holder cannot be
///   verified: it is never just what the file says.
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) with
///   [`Op::NotAPidfile`] when what is at the path is not a pidfile (it is
///   left untouched); [`ErrorKind::Security`](crate::ErrorKind::Security)
///   with [`Op::UntrustedPidfile`] for an untrusted lock-less claim naming
///   a live process.
/// - As [`Pidfile::new`] for the path;
///   [`ErrorKind::Os`](crate::ErrorKind::Os) with `ENAMETOOLONG` for a
///   path of `PATH_MAX` (4096) bytes or more.
/// - As [`Pidfile::acquire`] and [`Pidfile::probe`] otherwise (`ELOOP`
///   for a symlink at the path, `EACCES`, …).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics (with an
/// absolute `&CStr`; see [`Pidfile::new`]).
///
/// # Examples
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("daemonry-doc-cpl-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// use daemonry::{create_pidlock, ErrorKind};
/// let path = dir.join("app.pid");
/// # let path_c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
/// std::fs::write(&path, "999999\n").unwrap(); // a crashed holder's file
/// let lock = create_pidlock(path_c.as_c_str())?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{}\n", std::process::id()));
/// let err = create_pidlock(path_c.as_c_str()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::LockFailed);
/// assert_eq!(err.pid(), Some(lock.pid()));
/// drop(lock);
/// assert!(!path.exists());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn create_pidlock<'a>(path: impl Into<PathArg<'a>>) -> Result<PidLock> {
    let given = Pidfile::new(path)?;
    let mut copy = CStrBuf::<PATH_MAX>::new();
    copy.push(given.path().to_bytes());
    drop(given);
    let held = {
        let c = copy
            .as_cstr()
            .map_err(|e| Error::os(Op::PidfilePath, e).with_input(copy.as_bytes()))?;
        let mut pidfile = Pidfile::new(c)?;
        take_lock(&mut pidfile)?;
        pidfile.held.take()
    };
    match held {
        Some(held) => Ok(PidLock {
            path: copy,
            held,
            released: false,
        }),
        // `take_lock` returns only once `held` is set.
        None => Err(lock_failed(None)),
    }
}

/// The loop of [`create_pidlock`]: publish; on a file in the way, judge it
/// and remove it if stale; again.
fn take_lock(pidfile: &mut Pidfile<'_>) -> Result<()> {
    let mut last = None;
    for round in 0..CREATE_ROUNDS {
        match pidfile.try_acquire() {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => {
                // E.g. EACCES in a directory we cannot write: if a live
                // process holds the lock, that is the better answer.
                return match judge(pidfile.path()) {
                    Ok((ex, holder)) => Err(refusal(ex.status, holder).unwrap_or(e)),
                    Err(_) => Err(e),
                };
            }
        }
        if round == 0 {
            sweep_litter(pidfile.path());
        }
        let (examined, holder) = judge(pidfile.path())?;
        if let Some(e) = refusal(examined.status, holder) {
            return Err(e);
        }
        match (examined.status, examined.opened) {
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
/// `path` is anything [`Pidfile::new`] takes. `Ok` when the path is
/// absent, stale or invalid (the lock could be taken), and its directory
/// exists and is writable and searchable for our effective ids. Nothing is
/// created or deleted.
///
/// # Errors
///
/// - As [`create_pidlock`] for what is at the path: `LockFailed` with a
///   verified holder's pid (or `None`), [`Op::NotAPidfile`],
///   [`Op::UntrustedPidfile`].
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) with [`Op::PidfileDir`] and
///   the errno of `faccessat2` when the directory is missing (`ENOENT`) or
///   not writable (`EACCES`, `EROFS`); as [`Pidfile::new`] and
///   [`Pidfile::probe`] otherwise.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics (with an
/// absolute `&CStr`).
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
pub fn check_pidlock<'a>(path: impl Into<PathArg<'a>>) -> Result<()> {
    let pidfile = Pidfile::new(path)?;
    let (examined, holder) = judge(pidfile.path())?;
    if let Some(e) = refusal(examined.status, holder) {
        return Err(e);
    }
    let bytes = pidfile.path().to_bytes();
    let mut dir = CStrBuf::<PATH_MAX>::new();
    match bytes.iter().rposition(|&b| b == b'/') {
        Some(0) => dir.push(b"/"),
        Some(i) => dir.push(bytes.get(..i).unwrap_or(&[])),
        None => dir.push(b"."),
    };
    let dir = dir.as_cstr().ctx(Op::PidfileDir)?;
    let access = fs::Access::WRITE_OK | fs::Access::EXEC_OK;
    fs::accessat(fs::CWD, dir, access, AtFlags::EACCESS).ctx(Op::PidfileDir)
}
