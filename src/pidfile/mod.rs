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
//! [`Pidfile::new`], [`create_pidlock`] and [`check_pidlock`] take
//! `impl Into<`[`PathArg`]`>`: a `&CStr` in every build (borrowed, no
//! allocation), and with `std` also `&Path`, `&str`, `PathBuf`, `String`,
//! `&OsStr` and `CString`.
//!
//! - **With `std`**, a relative path is made absolute once, when the
//!   [`Pidfile`] is built, against the working directory of that moment
//!   (celery's `abspath`; daemons `chdir` later). `..` and symlinks are
//!   kept, not resolved. This allocates; an absolute `&CStr` does not.
//! - **Without `std`**, the path is used as given: a relative path is
//!   resolved by the kernel against the working directory *at each call*,
//!   so pass an absolute one if the process will `chdir`.
//!   [`DaemonContext`](crate::DaemonContext) makes its pidfile path
//!   absolute itself, in the calling process, in both builds.

mod file;
mod handle;
mod liveness;
mod lock;
mod parse;

pub use handle::Pidfile;
pub use lock::{PidLock, check_pidlock, create_pidlock};
pub use parse::{MAX_PIDFILE_LEN, PID_MAX_LIMIT, parse_pid};

use crate::error::Result;
#[cfg(doc)]
use crate::path::PathArg;
use core::ffi::CStr;
use handle::{Held, lock_failed};
use rustix::process::Pid;

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
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Pid, PidStatus};
    /// assert_eq!(PidStatus::Stale(Pid::INIT).pid(), Some(Pid::INIT));
    /// assert_eq!(PidStatus::Held(None).pid(), None);
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Pid, PidStatus};
    /// assert!(PidStatus::Held(None).is_live());
    /// assert!(!PidStatus::Stale(Pid::INIT).is_live());
    /// ```
    pub const fn is_live(&self) -> bool {
        matches!(self, PidStatus::Held(_) | PidStatus::Running(_))
    }
}

/// `InvalidInput` with `Op::PidfilePath` unless `path` can name a
/// pidfile (see [`Pidfile::new`]); no I/O, no allocation.
pub(crate) fn check_path(path: &CStr) -> Result<()> {
    file::check_path(path)
}
