//! [`Pidfile`]: a pidfile lock at a path, acquired, probed and released
//! by hand; and [`Held`], the lock itself, shared with
//! [`PidLock`](super::PidLock).

use super::file::{self, Content, Publish, Removal};
use super::{MAX_PIDFILE_LEN, PidStatus};
#[cfg(doc)]
use super::{PidLock, create_pidlock, parse_pid};
use crate::error::Op;
use crate::error::{Context, Error, Result};
use crate::path::PathArg;
use core::ffi::CStr;
use core::fmt;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, AtFlags};
use rustix::io::{self, Errno, FdFlags};
use rustix::process::{self, Pid};

/// A lock failure naming the holder, when known.
pub(super) fn lock_failed(pid: Option<Pid>) -> Error {
    Error::lock_failed(Op::AcquirePidfile, pid)
}

/// Our lock: the locked fd, which file it is, and which process took it.
pub(super) struct Held {
    pub(super) fd: OwnedFd,
    pub(super) id: file::FileId,
    pub(super) pid: Pid,
}

impl Held {
    /// Whether the calling process is the one that took (or last rewrote)
    /// the lock; a copy inherited through `fork` is not.
    pub(super) fn is_ours(&self) -> bool {
        self.pid == process::getpid()
    }

    /// The unlink half of a release: removes `path` if it still names our
    /// file and the file still holds our pid, in the process that owns the
    /// lock. The caller closes the fd afterwards, which drops the lock: the
    /// path never names our file unlocked.
    pub(super) fn unlink(&self, path: &CStr) -> Result<()> {
        if !self.is_ours() || !file::holds_pid(&self.fd, self.pid)? {
            return Ok(());
        }
        file::unlink_if_ours(path, self.id).map(drop)
    }

    /// Rewrites the locked file with the calling process's pid.
    pub(super) fn write_pid(&mut self) -> Result<()> {
        let pid = process::getpid();
        file::rewrite(&self.fd, Content::new(pid).as_bytes())?;
        self.pid = pid;
        Ok(())
    }

    /// Sets or clears `FD_CLOEXEC` on the locked fd.
    pub(super) fn set_inheritable(&self, inheritable: bool) -> Result<()> {
        let mut flags = io::fcntl_getfd(&self.fd).ctx(Op::Fcntl)?;
        flags.set(FdFlags::CLOEXEC, !inheritable);
        io::fcntl_setfd(&self.fd, flags).ctx(Op::Fcntl)
    }
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
/// assert_eq!(pf.probe()?, PidStatus::Held(Some(me)));
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
    /// The file was born as an `O_TMPFILE`, so `/proc/<pid>/fd/N` (and
    /// `lsof`) show this fd as `<dir>/#<inode> (deleted)` although the path
    /// names it; match it by `(st_dev, st_ino)`, as `fuser` and
    /// [`fds_for_path`](crate::fds_for_path) do.
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
        let published = match file::publish(path, content)? {
            Publish::Exists => return Ok(false),
            Publish::Done(p) => p,
        };
        if !file::read_back(path, &published, content)? {
            // Someone not following the protocol replaced or rewrote it.
            file::unlink_if_ours(path, published.id)?;
            return Err(lock_failed(None));
        }
        self.held = Some(Held {
            fd: published.fd,
            id: published.id,
            pid,
        });
        Ok(true)
    }

    /// The pid of whoever has a file at the path (for `LockFailed`).
    fn holder(&self) -> Result<Option<Pid>> {
        let Some((fd, _)) = file::open_existing(self.path())? else {
            return Ok(None);
        };
        let mut buf = [0u8; MAX_PIDFILE_LEN + 1];
        Ok(file::parse_checked(file::read_settled(&fd, &mut buf)?).ok())
    }

    /// Takes the lock: publishes `"<pid>\n"` atomically, fsynced, locked
    /// and read back (celery's `acquire`/`write_pid` with `O_EXCL`).
    ///
    /// Fails if anything exists at the path, stale or not, as celery's
    /// `acquire` does; [`create_pidlock`] removes stale files first. Does
    /// nothing if this `Pidfile` already holds the lock in this process.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::LockFailed`](crate::ErrorKind::LockFailed) with the
    ///   pid in the existing file (when it parses), or with `None` when the
    ///   read-back found the file replaced or rewritten by someone else
    ///   (ours is then removed).
    /// - [`ErrorKind::Os`](crate::ErrorKind::Os) with `ELOOP` when the path
    ///   is a symlink (nothing is written through it), and for failed
    ///   system calls (`ENOENT` for a missing directory, `EACCES`,
    ///   `ENOSPC`, …).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`open(2)`](https://man7.org/linux/man-pages/man2/open.2.html)
    /// (`O_TMPFILE`), [`linkat(2)`](https://man7.org/linux/man-pages/man2/linkat.2.html),
    /// [`flock(2)`](https://man7.org/linux/man-pages/man2/flock.2.html)
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
        Err(lock_failed(self.holder()?))
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
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when the
    /// path is not a regular file.
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
            Some((fd, _)) => file::lock_held(&fd),
            None => Ok(false),
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
    ///   bad contents, or when the path is not a regular file.
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
        let Some((fd, _)) = file::open_existing(self.path())? else {
            return Ok(None);
        };
        let mut buf = [0u8; MAX_PIDFILE_LEN + 1];
        file::parse_checked(file::read_settled(&fd, &mut buf)?).map(Some)
    }

    /// Writes our pid (celery's `write_pid`).
    ///
    /// When this `Pidfile` holds the lock (here or as a copy inherited
    /// through `fork`), the locked file is rewritten in place with the
    /// calling process's pid, fsynced, and this copy becomes the owner that
    /// [`release`](Pidfile::release) and drop act for: BSD `pidfile_write`
    /// after the daemon's final fork. The lock is held throughout, so
    /// daemonry's probers see [`PidStatus::Held`]; readers that ignore the
    /// lock may see a torn file for an instant. Otherwise it is
    /// [`acquire`](Pidfile::acquire).
    ///
    /// # Errors
    ///
    /// As [`acquire`](Pidfile::acquire);
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) from `pwrite`, `ftruncate` or
    /// `fsync`.
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
            Some(held) => held.write_pid(),
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

    /// Unlinks the path, whatever it names (celery's `remove`; a symlink is
    /// removed itself, never its target). For cleaning up after a holder
    /// that is known to be gone; see
    /// [`remove_if_stale`](Pidfile::remove_if_stale) otherwise.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) from `unlink`, except
    /// `ENOENT`, which is success. celery also ignores `EACCES`; here it is
    /// reported, since a pidfile we cannot remove will block the next start.
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
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn remove(&self) -> Result<()> {
        match fs::unlinkat(fs::CWD, self.path(), AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(Error::os(Op::RemovePidfile, e)),
        }
    }

    /// Removes the file if it is [`Stale`](PidStatus::Stale) or
    /// [`Invalid`](PidStatus::Invalid) (celery's `remove_if_stale`).
    ///
    /// Removal is by inode (see the module docs): the file's lock is taken
    /// and the path must still name it. Prints nothing; the caller decides
    /// what to tell the user.
    ///
    /// Returns `true` when nothing live blocks the path any more (the stale
    /// file was removed, by us or a concurrent cleaner, or there was no
    /// file), and `false` when a live process holds it (`Held`, `Running`,
    /// or a lock taken while we looked): celery's meaning.
    ///
    /// # Errors
    ///
    /// As [`probe`](Pidfile::probe); [`ErrorKind::Os`](crate::ErrorKind::Os)
    /// from `flock`, `stat` or `unlink`.
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
    /// std::fs::write(&path, "garbage\n").unwrap();
    /// # let path_c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    /// let pf = daemonry::Pidfile::new(path_c.as_c_str())?;
    /// assert!(pf.remove_if_stale()?);
    /// assert!(!path.exists());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn remove_if_stale(&self) -> Result<bool> {
        let (status, opened) = file::examine(self.path())?;
        match (status, opened) {
            (PidStatus::Stale(_) | PidStatus::Invalid, Some(o)) => {
                Ok(file::remove_by_inode(self.path(), &o)? != Removal::Busy)
            }
            (PidStatus::Held(_) | PidStatus::Running(_), _) => Ok(false),
            _ => Ok(true),
        }
    }

    /// Tells who, if anyone, holds the pidfile—without changing anything.
    ///
    /// In order: no file → [`Absent`](PidStatus::Absent); someone holds its
    /// `flock` → [`Held`](PidStatus::Held); contents not a valid pid →
    /// [`Invalid`](PidStatus::Invalid); our own pid, no such process
    /// (`ESRCH`), a zombie (state `Z`), or a process that started after the
    /// file's mtime (pid reuse) → [`Stale`](PidStatus::Stale); otherwise
    /// [`Running`](PidStatus::Running), `EPERM` (another user's process)
    /// included. See the module docs for the start-time rule and its slack.
    ///
    /// The only trace it leaves is a shared `flock` held for the moment of
    /// the test.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) when the file cannot be
    /// opened or read (`EACCES`, `ELOOP` for a symlink at the path, …);
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when the
    /// path is not a regular file.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`flock(2)`](https://man7.org/linux/man-pages/man2/flock.2.html),
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
        file::examine(self.path()).map(|(s, _)| s)
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
