//! [`Pidfile`]: a pidfile lock at a path, acquired, probed and released
//! by hand.

use super::file::{self, Content, Existing, Removal};
use super::held::Held;
use super::holders::Holder;
use super::publish::{self, Publish};
use super::status::{examine, judge, no_holders, refusal};
use super::{MAX_PIDFILE_LEN, PidStatus};
#[cfg(doc)]
use super::{PidLock, create_pidlock, parse_pid};
use crate::error::{Error, Op, Result};
use crate::path::PathArg;
use core::ffi::CStr;
use core::fmt;
use core::ops::ControlFlow;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{self, AtFlags};
use rustix::io::Errno;
use rustix::process::{self, Pid};

/// A lock failure naming the holder, when known.
pub(super) fn lock_failed(pid: Option<Pid>) -> Error {
    Error::lock_failed(Op::AcquirePidfile, pid)
}

/// A pidfile lock at a path (celery's `Pidfile`).
///
/// Built with [`Pidfile::new`] from any [`PathArg`]; see the
/// [module docs](crate::pidfile) for the locking protocol and for how
/// relative paths are treated with and without `std`.
///
/// A `Pidfile` that holds the lock releases it when dropped, but only in
/// the process that acquired it: a copy inherited by a forked child closes
/// its fd and leaves the file alone. Use [`PidLock`] (from
/// [`create_pidlock`]) for the usual "lock for the life of the program".
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics, except
/// building one from a relative or non-`&CStr` path with `std`.
///
/// # Examples
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("daemonry-doc-pf-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
/// use daemonry::{Pidfile, PidStatus};
/// let me = rustix::process::getpid();
/// let mut pf = Pidfile::new(path.as_c_str())?;
/// pf.acquire()?;
/// assert_eq!(pf.read_pid()?, Some(me));
/// assert_eq!(pf.probe()?, PidStatus::Running(me));
/// pf.release()?;
/// assert!(!pf.exists()?);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), daemonry::Error>(())
/// ```
pub struct Pidfile<'a> {
    path: PathArg<'a>,
    pub(super) held: Option<Held>,
}

/// With `std`: `path` made absolute against the current directory.
#[cfg(feature = "std")]
fn absolute_owned(path: PathArg<'_>) -> Result<PathArg<'_>> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    if path.as_bytes().starts_with(b"/") {
        return Ok(path);
    }
    let rel = std::path::Path::new(std::ffi::OsStr::from_bytes(path.as_bytes()));
    let fail = |errno| Error::os(Op::PidfilePath, errno).with_input(path.as_bytes());
    let abs = std::path::absolute(rel)
        .map_err(|e| fail(Errno::from_io_error(&e).unwrap_or(Errno::INVAL)))?;
    let c =
        std::ffi::CString::new(abs.into_os_string().into_vec()).map_err(|_| fail(Errno::INVAL))?;
    Ok(PathArg::from(c))
}

impl<'a> Pidfile<'a> {
    /// A pidfile at `path`. No I/O other than, with `std` and a relative
    /// path, reading the working directory.
    ///
    /// With `std`, a relative path is made absolute now, against the
    /// current working directory (celery's `abspath` at construction:
    /// daemons `chdir` later); `..` and symlinks are kept. Without `std`
    /// the path is kept as given, and a relative one is resolved against
    /// the working directory at each call.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) with
    ///   [`Op::PidfilePath`] for an empty path, one with a NUL byte inside
    ///   (from a Rust string), or one whose last component is empty, `.` or
    ///   `..` (`"/run/"`, `"."`): no file can be published there.
    /// - [`ErrorKind::Os`](crate::ErrorKind::Os) with [`Op::PidfilePath`]
    ///   (`std`, relative path) when the working directory cannot be read.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec for an absolute `&CStr` (no allocation,
    /// locks or panics); with `std`, other paths allocate.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{ErrorKind, Pidfile};
    /// let pf = Pidfile::new(c"/run/app.pid")?;
    /// assert_eq!(pf.path(), c"/run/app.pid");
    /// assert_eq!(Pidfile::new(c"/run/").unwrap_err().kind(), ErrorKind::InvalidInput);
    /// # #[cfg(feature = "std")] {
    /// let rel = Pidfile::new("app.pid")?;
    /// assert_eq!(rel.as_path(), std::env::current_dir().unwrap().join("app.pid"));
    /// # }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn new(path: impl Into<PathArg<'a>>) -> Result<Pidfile<'a>> {
        let path = path.into();
        file::check_path(path.as_c_str())?;
        #[cfg(feature = "std")]
        let path = absolute_owned(path)?;
        Ok(Pidfile { path, held: None })
    }

    /// The path, as a C string (absolute with `std`).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let pf = daemonry::Pidfile::new(c"/run/app.pid")?;
    /// assert_eq!(pf.path().to_bytes(), b"/run/app.pid");
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn path(&self) -> &CStr {
        self.path.as_c_str()
    }

    /// The path, as a `Path`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let pf = daemonry::Pidfile::new("/run/app.pid")?;
    /// assert_eq!(pf.as_path(), std::path::Path::new("/run/app.pid"));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn as_path(&self) -> &std::path::Path {
        use std::os::unix::ffi::OsStrExt;
        std::path::Path::new(std::ffi::OsStr::from_bytes(self.path.as_bytes()))
    }

    /// Whether this `Pidfile` holds the lock in the calling process (a copy
    /// inherited through `fork` does not). Asks no one: compare
    /// [`is_locked`](Pidfile::is_locked), which asks the kernel whether
    /// anyone holds it.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let pf = daemonry::Pidfile::new(c"/run/app.pid")?;
    /// assert!(!pf.is_held());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn is_held(&self) -> bool {
        self.held.as_ref().is_some_and(Held::is_ours)
    }

    /// The locked file's descriptor while the lock is held (in this or an
    /// inherited copy), to keep it open across
    /// [`close_open_fds`](crate::close_open_fds) or hand it to an `exec`ed
    /// program (see [`set_inheritable`](Pidfile::set_inheritable)).
    ///
    /// The fd is read-only: holding the lock gives no power to rewrite the
    /// file (a daemon that inherits it after dropping privileges cannot
    /// put another pid in it). `/proc/<pid>/fd/N` and `lsof` show it as
    /// the pidfile's path.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let pf = daemonry::Pidfile::new(c"/run/app.pid")?;
    /// assert!(pf.fd().is_none()); // not acquired
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.held.as_ref().map(|h| h.fd.as_fd())
    }

    /// `fcntl(F_SETFD)`—Lets the locked fd survive `exec` (`true`) or not
    /// (`false`, the default: it is opened `O_CLOEXEC`).
    ///
    /// With `true`, a program `exec`ed by the holder inherits the open,
    /// locked file, so the lock lives exactly as long as that program (or
    /// anything it passes the fd to).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) with `EBADF` when the lock is
    /// not held; errors from `fcntl`.
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
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-inh-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// let mut pf = daemonry::Pidfile::new(path.as_c_str())?;
    /// assert!(pf.set_inheritable(true).is_err()); // nothing held yet
    /// pf.acquire()?;
    /// pf.set_inheritable(true)?; // an exec'ed program would keep the lock
    /// # drop(pf); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn set_inheritable(&self, inheritable: bool) -> Result<()> {
        let held = self
            .held
            .as_ref()
            .ok_or(Error::os(Op::OpenPidfile, Errno::BADF))?;
        held.set_inheritable(inheritable)
    }

    /// Publishes our pid at the path; `Ok(false)` when something exists
    /// there.
    pub(super) fn try_acquire(&mut self) -> Result<bool> {
        let pid = process::getpid();
        let content = Content::new(pid);
        let content = content.as_bytes();
        let path = self.path();
        let published = match publish::publish(path, pid, content)? {
            Publish::Exists => return Ok(false),
            Publish::Done(p) => p,
        };
        self.held = Some(Held {
            fd: published.fd,
            id: published.id,
            pid,
        });
        Ok(true)
    }

    /// Takes the lock: publishes `"<pid>\n"` atomically, under a temporary
    /// name renamed onto the path, locked through a read-only fd (celery's
    /// `acquire`/`write_pid` with `O_EXCL`; see the
    /// [module docs](crate::pidfile#the-protocol)).
    ///
    /// Fails if anything exists at the path, stale or not, as celery's
    /// `acquire` does; [`create_pidlock`] removes stale files first. Does
    /// nothing if this `Pidfile` already holds the lock in this process.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::LockFailed`](crate::ErrorKind::LockFailed) when
    ///   something pidfile-shaped is there, with the holder's pid when it is
    ///   verified (or the live process a trusted lock-less file names),
    ///   `None` otherwise.
    /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) with
    ///   [`Op::NotAPidfile`] when what is there is not a pidfile;
    ///   [`ErrorKind::Security`](crate::ErrorKind::Security) with
    ///   [`Op::UntrustedPidfile`] for an untrusted lock-less claim.
    /// - [`ErrorKind::Os`](crate::ErrorKind::Os) with `ELOOP` when the path
    ///   is a symlink (nothing is written through it), and for failed
    ///   system calls (`ENOENT` for a missing directory, `EACCES`,
    ///   `ENOSPC`, `ENAMETOOLONG` when the temporary name
    ///   `.<name>.<pid>.<seq>.tmp` would be too long, …).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`open(2)`](https://man7.org/linux/man-pages/man2/open.2.html)
    /// (`O_EXCL`), [`rename(2)`](https://man7.org/linux/man-pages/man2/rename.2.html)
    /// (`RENAME_NOREPLACE`), [`flock(2)`](https://man7.org/linux/man-pages/man2/flock.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-acq-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("a.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// use daemonry::{ErrorKind, Pidfile};
    /// let mut first = Pidfile::new(path.as_c_str())?;
    /// first.acquire()?;
    /// let me = rustix::process::getpid();
    /// let err = Pidfile::new(path.as_c_str())?.acquire().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::LockFailed);
    /// assert_eq!(err.pid(), Some(me));
    /// # drop(first); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn acquire(&mut self) -> Result<()> {
        if self.is_held() {
            return Ok(());
        }
        if self.try_acquire()? {
            return Ok(());
        }
        let (examined, holder) = judge(self.path())?;
        let pid = examined.status.pid();
        Err(refusal(examined.status, holder).unwrap_or(lock_failed(pid)))
    }

    /// `flock(2)` probe—Whether someone holds the pidfile's lock right now
    /// (celery's `is_locked`, made to mean what it says).
    ///
    /// Opens the file and asks for a shared lock without blocking: refused
    /// means a process (this one included, through its [`PidLock`] or
    /// another `Pidfile`) holds the exclusive lock. No file, or a file
    /// nobody has locked, is `false`—including the lock-less pidfile of a
    /// tool that never locks, whose process may be alive; [`probe`](Pidfile::probe)
    /// judges those. Whether a file exists at all is
    /// [`exists`](Pidfile::exists).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) when the file cannot be
    /// opened (`EACCES`, `ELOOP` for a symlink at the path, …) or locked;
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) with
    /// [`Op::NotAPidfile`] when the path is not a regular file.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`flock(2)`](https://man7.org/linux/man-pages/man2/flock.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-isl-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// let pf = daemonry::Pidfile::new(path.as_c_str())?;
    /// assert!(!pf.is_locked()?);
    /// let lock = daemonry::create_pidlock(path.as_c_str())?;
    /// assert!(pf.is_locked()?);
    /// drop(lock);
    /// assert!(!pf.is_locked()?);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn is_locked(&self) -> Result<bool> {
        match file::open_existing(self.path())? {
            Existing::File(fd, _) => file::lock_held(&fd),
            Existing::Absent => Ok(false),
            Existing::Foreign => Err(file::not_a_pidfile()),
        }
    }

    /// `lstat(2)`—Whether anything exists at the path: a pidfile, stale or
    /// not, or anything else. A symlink counts, dangling or not:
    /// [`acquire`](Pidfile::acquire) would refuse it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) when the path cannot be
    /// examined (e.g. `EACCES`).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`lstat(2)`](https://man7.org/linux/man-pages/man2/lstat.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!daemonry::Pidfile::new(c"/nonexistent/app.pid")?.exists()?);
    /// assert!(daemonry::Pidfile::new(c"/proc/self/stat")?.exists()?);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn exists(&self) -> Result<bool> {
        match fs::statat(fs::CWD, self.path(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(Error::os(Op::StatPidfile, e)),
        }
    }

    /// Reads the pid from the file (celery's `read_pid`, strictly).
    ///
    /// The contents must be ASCII digits and one `\n`, the pid within
    /// `1..=kernel.pid_max` (see [`parse_pid`]). An empty file is re-read up
    /// to 20 times, 5 ms apart, since another tool may be about to write it
    /// (BSD `pidfile_open` does the same); daemonry's own files are never
    /// empty. At most [`MAX_PIDFILE_LEN`] + 1 bytes are read.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for
    ///   bad contents: [`Op::ParsePid`] for a broken pidfile,
    ///   [`Op::NotAPidfile`] for something else (see [`parse_pid`]) or when
    ///   the path is not a regular file.
    /// - [`ErrorKind::Os`](crate::ErrorKind::Os) with `ELOOP` for a symlink,
    ///   or other `open`/`read` errors.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`proc_sys_kernel(5)`](https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html)
    ///
    /// # Examples
    ///
    /// ```
    /// let pf = daemonry::Pidfile::new(c"/nonexistent/app.pid")?;
    /// assert_eq!(pf.read_pid()?, None);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn read_pid(&self) -> Result<Option<Pid>> {
        let fd = match file::open_existing(self.path())? {
            Existing::File(fd, _) => fd,
            Existing::Absent => return Ok(None),
            Existing::Foreign => return Err(file::not_a_pidfile()),
        };
        let mut buf = [0u8; MAX_PIDFILE_LEN + 1];
        file::parse_checked(file::read_settled(&fd, &mut buf)?).map(Some)
    }

    /// Writes our pid (celery's `write_pid`).
    ///
    /// When this `Pidfile` holds the lock (here or as a copy inherited
    /// through `fork`), the locked file is rewritten in place with the
    /// calling process's pid, and this copy becomes the owner that
    /// [`release`](Pidfile::release) and drop act for: BSD `pidfile_write`
    /// after the daemon's final fork. The lock is held throughout, so
    /// daemonry's probers never see the file unlocked; readers that ignore
    /// the lock may see a torn file for an instant. Otherwise it is
    /// [`acquire`](Pidfile::acquire).
    ///
    /// The locked fd is read-only, so the file is opened for writing anew
    /// (through `/proc/self/fd/N`, or the path when `/proc` is missing):
    /// a process that lost the right to write the file—a daemon after its
    /// privilege drop—gets `EACCES`.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Pidfile::acquire);
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) from `open`, `pwrite` or
    /// `ftruncate`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`pidfile(3)`](https://man.freebsd.org/cgi/man.cgi?query=pidfile&sektion=3)
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-wp-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// let mut pf = daemonry::Pidfile::new(path.as_c_str())?;
    /// pf.write_pid()?; // not held yet: acquires
    /// assert_eq!(pf.read_pid()?, Some(rustix::process::getpid()));
    /// # drop(pf); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn write_pid(&mut self) -> Result<()> {
        match &mut self.held {
            Some(held) => held.write_pid(self.path.as_c_str()),
            None => self.acquire(),
        }
    }

    /// Gives the lock up (celery's `release`): unlinks the path if it still
    /// names our file and the file still holds our pid, then closes the
    /// fd, which drops the lock.
    ///
    /// Unlike celery, a file someone else has put at the path (or rewritten
    /// with their pid) is left alone. In a process other than the one that
    /// acquired the lock (a forked child's copy), it only closes the fd.
    /// Does nothing when the lock is not held.
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
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-rel-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// let mut pf = daemonry::Pidfile::new(path.as_c_str())?;
    /// pf.acquire()?;
    /// pf.release()?;
    /// assert!(!pf.exists()? && !pf.is_held());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn release(&mut self) -> Result<()> {
        match self.held.take() {
            // Unlink first, close after (when `held` drops).
            Some(held) => held.unlink(self.path()),
            None => Ok(()),
        }
    }

    /// Removes the pidfile at the path, whoever holds it (celery's
    /// `remove`), but never anything that is not a pidfile.
    ///
    /// For cleaning up after a holder that is known to be gone; see
    /// [`remove_if_stale`](Pidfile::remove_if_stale) otherwise. The file is
    /// opened (never through a symlink), its contents must be
    /// pidfile-shaped (see [`parse_pid`]), and it is unlinked only if the
    /// path still names that same file. Leftover temporary names of dead
    /// writers are removed too (see the [module docs](crate::pidfile#crash-litter)).
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) with
    ///   [`Op::NotAPidfile`] when what is there is not a pidfile (text,
    ///   binary, a directory, …): it is left alone.
    /// - [`ErrorKind::Os`](crate::ErrorKind::Os): `ELOOP` for a symlink at
    ///   the path (left alone); errors from `open`, `read` or `unlink`
    ///   (`EACCES`, `EROFS`, …—reported, since a pidfile that cannot be
    ///   removed blocks the next start). A missing file is success.
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
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-rm-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("old.pid");
    /// std::fs::write(&path, "1\n").unwrap();
    /// # let path_c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    /// let pf = daemonry::Pidfile::new(path_c.as_c_str())?;
    /// pf.remove()?;
    /// pf.remove()?; // already gone: still Ok
    /// assert!(!path.exists());
    /// std::fs::write(&path, "user  nginx;\n").unwrap(); // a configuration file
    /// assert_eq!(pf.remove().unwrap_err().op(), daemonry::Op::NotAPidfile);
    /// assert!(path.exists());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn remove(&self) -> Result<()> {
        publish::sweep_litter(self.path());
        let (fd, st) = match file::open_existing(self.path())? {
            Existing::File(fd, st) => (fd, st),
            Existing::Absent => return Ok(()),
            Existing::Foreign => return Err(file::not_a_pidfile()),
        };
        let mut buf = [0u8; MAX_PIDFILE_LEN + 1];
        if let Err(e) = file::parse_checked(file::read_settled(&fd, &mut buf)?)
            && e.op() == Op::NotAPidfile
        {
            return Err(e);
        }
        file::unlink_if_ours(self.path(), file::file_id(&st)).map(drop)
    }

    /// Removes the file if it is [`Stale`](PidStatus::Stale) or
    /// [`Invalid`](PidStatus::Invalid) (celery's `remove_if_stale`).
    ///
    /// Removal is by inode (see the module docs): the file's lock is taken
    /// and the path must still name it. Leftover temporary names of dead
    /// writers are removed too. Prints nothing; the caller decides what to
    /// tell the user.
    ///
    /// Returns `true` when nothing live blocks the path any more (the stale
    /// file was removed, by us or a concurrent cleaner, or there was no
    /// file), and `false` when something is, or may be, alive there
    /// ([`PidStatus::is_live`], an [`Untrusted`](PidStatus::Untrusted)
    /// claim, or a lock taken while we looked): celery's meaning.
    ///
    /// # Errors
    ///
    /// As [`probe`](Pidfile::probe);
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) with
    /// [`Op::NotAPidfile`] when what is there is not a pidfile (it is left
    /// alone); [`ErrorKind::Os`](crate::ErrorKind::Os) from `flock`, `stat`
    /// or `unlink` (`EACCES`, `EROFS`: a stale file that cannot be removed
    /// is reported, not swallowed).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-ris-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("broken.pid");
    /// std::fs::write(&path, "-1\n").unwrap();
    /// # let path_c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    /// let pf = daemonry::Pidfile::new(path_c.as_c_str())?;
    /// assert!(pf.remove_if_stale()?);
    /// assert!(!path.exists());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn remove_if_stale(&self) -> Result<bool> {
        publish::sweep_litter(self.path());
        let examined = examine(self.path(), &mut no_holders)?;
        match (examined.status, examined.opened) {
            (PidStatus::Stale(_) | PidStatus::Invalid, Some(o)) => {
                Ok(file::remove_by_inode(self.path(), &o)? != Removal::Busy)
            }
            (PidStatus::NotAPidfile, _) => Err(file::not_a_pidfile()),
            (PidStatus::Absent, _) => Ok(true),
            _ => Ok(false),
        }
    }

    /// Tells who, if anyone, holds the pidfile—without changing anything.
    ///
    /// In order: no file → [`Absent`](PidStatus::Absent); not a pidfile
    /// → [`NotAPidfile`](PidStatus::NotAPidfile); the lock is held → the
    /// named process is verified as its holder
    /// ([`Running`](PidStatus::Running)), or other verified processes hold
    /// it ([`HeldByOthers`](PidStatus::HeldByOthers), found by looking
    /// through `/proc`), or nobody can be verified
    /// ([`Unverified`](PidStatus::Unverified)); nobody holds it → contents
    /// not a valid pid → [`Invalid`](PidStatus::Invalid); our own pid, no
    /// such process (`ESRCH`), a zombie (state `Z`), or a process that
    /// started after the file's mtime (pid reuse) →
    /// [`Stale`](PidStatus::Stale); otherwise
    /// [`Unlocked`](PidStatus::Unlocked) for a trusted file and
    /// [`Untrusted`](PidStatus::Untrusted) for one others could have
    /// written. See the [module docs](crate::pidfile) for each rule.
    ///
    /// The only traces it leaves are a shared `flock` held for the moment
    /// of the test and pidfds opened and closed.
    ///
    /// Cost: a few system calls for a file nobody locks or whose named
    /// process holds it (one `stat` per fd of that process); when the lock
    /// outlived the named process, a look through every process's fds
    /// (milliseconds for a few hundred processes).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) when the file cannot be
    /// opened or read (`EACCES`—for another user's 0600 pidfile, say—or
    /// `ELOOP` for a symlink at the path), or `/proc` cannot be listed.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics (about
    /// 9 KiB of stack for the look through `/proc`).
    ///
    /// # References
    ///
    /// [`flock(2)`](https://man7.org/linux/man-pages/man2/flock.2.html),
    /// [`pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html),
    /// [`proc_pid_fdinfo(5)`](https://man7.org/linux/man-pages/man5/proc_pid_fdinfo.5.html),
    /// [`kill(2)`](https://man7.org/linux/man-pages/man2/kill.2.html),
    /// [`proc_pid_stat(5)`](https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Pidfile, PidStatus};
    /// assert_eq!(Pidfile::new(c"/nonexistent/x.pid")?.probe()?, PidStatus::Absent);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn probe(&self) -> Result<PidStatus> {
        examine(self.path(), &mut no_holders).map(|e| e.status)
    }

    /// The processes a `stop` may signal for this pidfile, each verified and
    /// pinned by a pidfd, handed to `visit` until it returns
    /// `ControlFlow::Break`; returns the pidfile's status as
    /// [`probe`](Pidfile::probe) would.
    ///
    /// - [`Running`](PidStatus::Running): the named process, verified
    ///   holder of the lock (its children that inherited the lock are its
    ///   own business: signal it, wait, and look again).
    /// - [`HeldByOthers`](PidStatus::HeldByOthers): every process found
    ///   holding the lock through the locked description (the named one is
    ///   gone or is not a holder); none is the named pid's successor.
    /// - [`Unlocked`](PidStatus::Unlocked): the process a trusted lock-less
    ///   pidfile names, judged alive and older than the file again while
    ///   pinned ([`Holder::holds_lock`] is `false`).
    /// - Anything else: nobody. [`Unverified`](PidStatus::Unverified),
    ///   [`Untrusted`](PidStatus::Untrusted) and
    ///   [`NotAPidfile`](PidStatus::NotAPidfile) are refusals: say so.
    ///
    /// A [`Holder`] signals through its pidfd, so a process that exits
    /// after it was verified is never mistaken for whoever gets its pid.
    ///
    /// # Errors
    ///
    /// As [`probe`](Pidfile::probe); [`ErrorKind::Os`](crate::ErrorKind::Os)
    /// with [`Op::PidfdOpen`] when a pidfd cannot be opened (`EMFILE`).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics (the
    /// visitor aside).
    ///
    /// # References
    ///
    /// [`pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html),
    /// [`proc_pid_fdinfo(5)`](https://man7.org/linux/man-pages/man5/proc_pid_fdinfo.5.html)
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-hold-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// use core::ops::ControlFlow;
    /// use daemonry::{Pidfile, PidStatus};
    /// let lock = daemonry::create_pidlock(path.as_c_str())?;
    /// let mut holders = Vec::new();
    /// let status = Pidfile::new(path.as_c_str())?.holders(|h| {
    ///     holders.push(h);
    ///     ControlFlow::Continue(())
    /// })?;
    /// assert_eq!(status, PidStatus::Running(lock.pid()));
    /// assert_eq!(holders.len(), 1);
    /// assert_eq!(holders[0].pid(), lock.pid());
    /// # drop(lock); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn holders(&self, mut visit: impl FnMut(Holder) -> ControlFlow<()>) -> Result<PidStatus> {
        examine(self.path(), &mut visit).map(|e| e.status)
    }
}

impl Drop for Pidfile<'_> {
    fn drop(&mut self) {
        // Errors cannot be reported from drop; `release` closes the fd
        // (dropping the lock) whatever happens.
        let _ = self.release();
    }
}

impl fmt::Debug for Pidfile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pidfile")
            .field("path", &self.path)
            .field("held_by", &self.held.as_ref().map(|h| h.pid))
            .finish()
    }
}
