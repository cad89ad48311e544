//! Pidfile locks that survive crashes, pid reuse, container restarts and
//! races (celery's `Pidfile`, `create_pidlock`, `LockFailed`).
//!
//! # The protocol
//!
//! A pidfile is `"<pid>\n"`, mode 0644 under the umask, and its holder
//! keeps it open with an exclusive `flock(2)` for as long as it lives. The
//! kernel drops that lock when the holder dies, however it dies, so the
//! lock—not the pid in the file—is what says "held".
//!
//! - **Publish atomically.** [`Pidfile::acquire`] writes, fsyncs and locks
//!   the pid in a file the path does not name yet (`O_TMPFILE` in the
//!   pidfile's directory), then links it at the path (`linkat` with
//!   `AT_EMPTY_PATH`, or through `/proc/self/fd/N`). The path therefore
//!   never names an empty, partial or unlocked file of a live holder, and a
//!   lost race is `EEXIST`, exactly like celery's `O_EXCL`. Where
//!   `O_TMPFILE` or both link routes are unavailable, a uniquely named
//!   temporary file is linked (or renamed with `RENAME_NOREPLACE`) instead.
//!   The file is then read back through the path (`O_NOFOLLOW`): it must be
//!   our `(st_dev, st_ino)` with our content, or we remove it and fail.
//! - **Probe without excluding.** [`Pidfile::probe`] opens the file and
//!   asks for a *shared* lock without blocking. Refused means an exclusive
//!   lock exists: [`PidStatus::Held`]. Granted, it is dropped at once and
//!   the contents and the process are judged (below).
//! - **Remove by inode.** A stale file is removed only after taking its
//!   exclusive lock and checking that the path still names that same
//!   `(st_dev, st_ino)`; only then is it unlinked. So two cleaners can never
//!   delete a winner's fresh file, and a live holder's file is never
//!   removed. A cleaner that meets only shared locks (probers) waits up to
//!   50 ms for them to go.
//! - **Release by inode and content.** [`Pidfile::release`] unlinks the
//!   path only if it still names our file and the file still holds our pid;
//!   then it closes the fd, which drops the lock.
//!
//! Every step opens with `O_NOFOLLOW | O_CLOEXEC`; a symlink at the path is
//! refused (links are never followed or written through, and left as they
//! are). Symlinks in the *directory* part of the path are followed, as
//! everywhere else.
//!
//! # Files without a lock: other tools and crashed holders
//!
//! A file nobody has locked was written by a holder that has died, or by a
//! tool that never locks (celery, the `pidlock` crate, `start-stop-daemon`,
//! `echo $$ > file`). Its pid is judged, in this order:
//!
//! 1. not `<digits>\n` with `1 ≤ pid ≤ kernel.pid_max` → [`PidStatus::Invalid`];
//! 2. our own pid → stale (a restarted container's pid 1 finds itself);
//! 3. `kill(pid, 0)` fails with `ESRCH`, or `/proc/<pid>/stat` shows a
//!    zombie (state `Z`: dead, not yet reaped, yet `kill(pid, 0)` succeeds)
//!    → stale;
//! 4. the process started more than one second after the file's mtime → the
//!    pid was reused → stale;
//! 5. otherwise [`PidStatus::Running`]—including `EPERM` from `kill`: another
//!    user's live process is alive. (celery treats `EPERM` as stale, which
//!    lets an unprivileged user delete a root daemon's lock.)
//!
//! The start time is field 22 of `/proc/<pid>/stat` plus the boot time
//! (`CLOCK_REALTIME - CLOCK_BOOTTIME`, the precise form of `btime` in
//! `/proc/stat`). The one-second slack absorbs coarse file timestamps; its
//! price is that a pid reused within a second of the file's write is judged
//! alive (a refused start, never a displaced holder). A wall-clock step of
//! more than a second between writing and probing can mislead rule 4 for
//! files without a lock; files of live daemonry holders are always
//! [`PidStatus::Held`] first, whatever the clock or the pid numbers do.
//!
//! # Paths
//!
//! The core [`Pidfile`] borrows a `&CStr` and uses it as given: a relative
//! path is resolved against the current directory at each call, so pass an
//! absolute one if the process will `chdir` (daemons do). With `std`,
//! [`Pidfile::from_path`] makes it absolute once, at construction, as
//! celery does.

mod file;
mod liveness;
mod lock;
mod parse;

pub use lock::{PidLock, PidfilePath, check_pidlock, create_pidlock};
pub use parse::{MAX_PIDFILE_LEN, PID_MAX_LIMIT, parse_pid};

use crate::error::Op;
use crate::error::{Context, Error, Result};
use core::ffi::CStr;
use core::fmt;
use file::{Content, Publish, Removal};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, AtFlags};
use rustix::io::{self, Errno, FdFlags};
use rustix::process::{self, Pid};

/// What [`Pidfile::probe`] found at the path.
///
/// Only [`Held`](PidStatus::Held) and [`Running`](PidStatus::Running) block
/// [`create_pidlock`]; [`Stale`](PidStatus::Stale) and
/// [`Invalid`](PidStatus::Invalid) files are removed by it.
///
/// # Examples
///
/// ```
/// use daemonry::{PidStatus, Pid};
/// let s = PidStatus::Running(Pid::INIT);
/// assert!(s.is_live());
/// assert_eq!(s.pid(), Some(Pid::INIT));
/// assert!(!PidStatus::Invalid.is_live());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PidStatus {
    /// No file at the path.
    Absent,
    /// Someone holds the file's exclusive `flock`: a live holder. The pid
    /// is what the file says, when it parses.
    Held(Option<Pid>),
    /// Nobody holds the lock, but the named process is alive and started
    /// before the file was written (a pidfile of a tool that does not lock,
    /// or of a process that closed its lock fd).
    Running(Pid),
    /// Nobody holds the lock and the pid is ours, gone, a zombie, or a
    /// process younger than the file (pid reuse).
    Stale(Pid),
    /// Nobody holds the lock and the contents are not a valid pid.
    Invalid,
}

impl PidStatus {
    /// The pid the file names, when there is one.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    pub const fn pid(&self) -> Option<Pid> {
        match *self {
            PidStatus::Held(p) => p,
            PidStatus::Running(p) | PidStatus::Stale(p) => Some(p),
            PidStatus::Absent | PidStatus::Invalid => None,
        }
    }

    /// Whether a live process holds the pidfile (`Held` or `Running`).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    pub const fn is_live(&self) -> bool {
        matches!(self, PidStatus::Held(_) | PidStatus::Running(_))
    }
}

/// A lock failure naming the holder, when known.
fn lock_failed(pid: Option<Pid>) -> Error {
    Error::lock_failed(Op::AcquirePidfile, pid)
}

enum PathRepr<'a> {
    Borrowed(&'a CStr),
    #[cfg(feature = "std")]
    Owned(std::ffi::CString),
}

/// Our lock: the locked fd, which file it is, and which process took it.
struct Held {
    fd: OwnedFd,
    id: file::FileId,
    pid: Pid,
}

/// A pidfile lock at a path (celery's `Pidfile`).
///
/// The core form borrows a `&CStr` ([`Pidfile::new`]); with `std`,
/// [`Pidfile::from_path`] owns an absolute path resolved at construction.
/// See the [module docs](crate::pidfile) for the locking protocol.
///
/// A `Pidfile` that holds the lock releases it when dropped, but only in
/// the process that acquired it: a copy inherited by a forked child closes
/// its fd and leaves the file alone. Use [`PidLock`] (from
/// [`create_pidlock`]) for the usual "lock for the life of the program".
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics
/// (except [`Pidfile::from_path`] and [`Pidfile::as_path`]).
///
/// # Examples
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("dk-doc-pf-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// use daemonry::{Pidfile, PidStatus};
/// let path = std::ffi::CString::new(format!("{}/app.pid", dir.display())).unwrap();
/// let mut pf = Pidfile::new(&path);
/// pf.acquire()?;
/// assert_eq!(pf.read_pid()?, Some(rustix::process::getpid()));
/// assert_eq!(pf.probe()?, PidStatus::Held(Some(rustix::process::getpid())));
/// pf.release()?;
/// assert!(!pf.is_locked()?);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), daemonry::Error>(())
/// ```
pub struct Pidfile<'a> {
    path: PathRepr<'a>,
    held: Option<Held>,
}

impl<'a> Pidfile<'a> {
    /// A pidfile at `path`, used as given (relative paths are resolved
    /// against the current directory at each call). No I/O.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let pf = daemonry::Pidfile::new(c"/run/app.pid");
    /// assert_eq!(pf.path(), c"/run/app.pid");
    /// ```
    pub const fn new(path: &'a CStr) -> Pidfile<'a> {
        Pidfile {
            path: PathRepr::Borrowed(path),
            held: None,
        }
    }

    /// A pidfile at `path`, made absolute now against the current
    /// directory (celery's `abspath` at construction: daemons `chdir`
    /// later). `..` and symlinks are kept, not resolved. No other I/O.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an empty path or one containing a
    /// NUL byte; [`ErrorKind::Os`] when the current directory cannot be
    /// read.
    ///
    /// # Async-signal safety
    ///
    /// Not safe after fork: allocates.
    ///
    /// # Examples
    ///
    /// ```
    /// let pf = daemonry::Pidfile::from_path("app.pid")?;
    /// assert!(pf.as_path().is_absolute());
    /// assert!(pf.as_path().ends_with("app.pid"));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn from_path<P: AsRef<std::path::Path>>(path: P) -> Result<Pidfile<'static>> {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let p = path.as_ref();
        let raw = p.as_os_str().as_bytes();
        if raw.is_empty() {
            return Err(Error::invalid(Op::PidfilePath));
        }
        if raw.contains(&0) {
            return Err(Error::invalid(Op::PidfilePath).with_input(raw));
        }
        let abs = std::path::absolute(p).map_err(|e| {
            let errno = Errno::from_io_error(&e).unwrap_or(Errno::INVAL);
            Error::os(Op::PidfilePath, errno)
        })?;
        let c = std::ffi::CString::new(abs.into_os_string().into_vec())
            .map_err(|_| Error::invalid(Op::PidfilePath).with_input(raw))?;
        Ok(Pidfile {
            path: PathRepr::Owned(c),
            held: None,
        })
    }

    /// The path, as a C string (absolute when built by
    /// [`from_path`](Pidfile::from_path)).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    pub fn path(&self) -> &CStr {
        match &self.path {
            PathRepr::Borrowed(p) => p,
            #[cfg(feature = "std")]
            PathRepr::Owned(p) => p.as_c_str(),
        }
    }

    /// The path, as a `Path`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn as_path(&self) -> &std::path::Path {
        use std::os::unix::ffi::OsStrExt;
        std::path::Path::new(std::ffi::OsStr::from_bytes(self.path().to_bytes()))
    }

    /// Whether this `Pidfile` holds the lock in the calling process (a copy
    /// inherited through `fork` does not).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    pub fn is_held(&self) -> bool {
        matches!(&self.held, Some(h) if h.pid == process::getpid())
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
    /// [`ErrorKind::Os`] with `EBADF` when the lock is not held;
    /// errors from `fcntl`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`fcntl(2)`](https://man7.org/linux/man-pages/man2/fcntl.2.html)
    pub fn set_inheritable(&self, inheritable: bool) -> Result<()> {
        let fd = self.fd().ok_or(Error::os(Op::OpenPidfile, Errno::BADF))?;
        let mut flags = io::fcntl_getfd(fd).ctx(Op::Fcntl)?;
        flags.set(FdFlags::CLOEXEC, !inheritable);
        io::fcntl_setfd(fd, flags).ctx(Op::Fcntl)
    }

    /// Publishes our pid at the path; `Ok(false)` when something exists
    /// there.
    fn try_acquire(&mut self) -> Result<bool> {
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
            return Err(lock_failed(None).with_op(Op::AcquirePidfile));
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
    /// - [`ErrorKind::LockFailed`] with the pid in the existing file (when
    ///   it parses), or with `None` when the read-back found the file
    ///   replaced or rewritten by someone else (ours is then removed).
    /// - [`ErrorKind::Os`] with `ELOOP` when the path is a symlink (nothing
    ///   is written through it), and for failed system calls (`ENOENT`
    ///   for a missing directory, `EACCES`, `ENOSPC`, …).
    /// - [`ErrorKind::InvalidInput`] when the path ends in `/`, `.` or `..`.
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
    /// # let dir = std::env::temp_dir().join(format!("dk-doc-acq-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// use daemonry::{ErrorKind, Pidfile};
    /// let path = std::ffi::CString::new(dir.join("a.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// let mut first = Pidfile::new(&path);
    /// first.acquire()?;
    /// let me = rustix::process::getpid();
    /// let err = Pidfile::new(&path).acquire().unwrap_err();
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

    /// Whether something exists at the path (celery's `is_locked`: the
    /// file may be stale; [`probe`](Pidfile::probe) tells). A symlink
    /// counts, dangling or not: [`acquire`](Pidfile::acquire) would refuse
    /// it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`] when the path cannot be examined (e.g. `EACCES`;
    /// celery reports `false` then).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`lstat(2)`](https://man7.org/linux/man-pages/man2/lstat.2.html)
    pub fn is_locked(&self) -> Result<bool> {
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
    /// - [`ErrorKind::InvalidInput`] for bad contents, or when the path is
    ///   not a regular file.
    /// - [`ErrorKind::Os`] with `ELOOP` for a symlink, or other `open`/`read`
    ///   errors.
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
    /// let pf = daemonry::Pidfile::new(c"/nonexistent/app.pid");
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
    /// As [`acquire`](Pidfile::acquire); [`ErrorKind::Os`] from `pwrite`,
    /// `ftruncate` or `fsync`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`pidfile(3)`](https://man.freebsd.org/cgi/man.cgi?query=pidfile&sektion=3)
    pub fn write_pid(&mut self) -> Result<()> {
        let Some(held) = &mut self.held else {
            return self.acquire();
        };
        let pid = process::getpid();
        file::rewrite(&held.fd, Content::new(pid).as_bytes())?;
        held.pid = pid;
        Ok(())
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
    /// [`ErrorKind::Os`] when the path cannot be examined or unlinked; the
    /// fd is closed (and the lock dropped) anyway.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`unlink(2)`](https://man7.org/linux/man-pages/man2/unlink.2.html)
    pub fn release(&mut self) -> Result<()> {
        let Some(held) = self.held.take() else {
            return Ok(());
        };
        if held.pid != process::getpid() || !file::holds_pid(&held.fd, held.pid)? {
            return Ok(());
        }
        // Unlink first, close after: the path never names our file unlocked.
        file::unlink_if_ours(self.path(), held.id).map(drop)
    }

    /// Unlinks the path, whatever it names (celery's `remove`; a symlink is
    /// removed itself, never its target). For cleaning up after a holder
    /// that is known to be gone; see
    /// [`remove_if_stale`](Pidfile::remove_if_stale) otherwise.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`] from `unlink`, except `ENOENT`, which is success.
    /// celery also ignores `EACCES`; here it is reported, since a pidfile we
    /// cannot remove will block the next start.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`unlink(2)`](https://man7.org/linux/man-pages/man2/unlink.2.html)
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
    /// As [`probe`](Pidfile::probe); [`ErrorKind::Os`] from `flock`, `stat`
    /// or `unlink`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("dk-doc-ris-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("broken.pid");
    /// std::fs::write(&path, "garbage\n").unwrap();
    /// let cpath = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    /// let pf = daemonry::Pidfile::new(&cpath);
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
    /// [`ErrorKind::Os`] when the file cannot be opened or read (`EACCES`,
    /// `ELOOP` for a symlink at the path, …); [`ErrorKind::InvalidInput`]
    /// when the path is not a regular file.
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
    /// assert_eq!(Pidfile::new(c"/nonexistent/x.pid").probe()?, PidStatus::Absent);
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
            .field("path", &self.path())
            .field("held_by", &self.held.as_ref().map(|h| h.pid))
            .finish()
    }
}
