//! Pidfile locks that survive crashes, pid reuse, container restarts and
//! races, and that never let a pidfile steer a signal to the wrong process
//! (celery's `Pidfile`, `create_pidlock`, `LockFailed`).
//!
//! # The protocol
//!
//! A pidfile is `"<pid>\n"`, mode 0600 under the umask plus the sticky
//! bit (daemonry's mark, below), and its holder keeps it open with an
//! exclusive `flock(2)` for as long as it lives. The kernel drops that lock
//! when the holder dies, however it dies, so the lock—not the pid in the
//! file—is what says "held".
//!
//! - **Publish atomically, under the real name.** [`Pidfile::acquire`]
//!   writes the pid under a temporary name beside the path
//!   (`.<name>.<pid>.<seq>.tmp`), opens it again read-only, locks that
//!   read-only description, closes the writable one, and renames the file
//!   onto the path with `RENAME_NOREPLACE`. The path therefore never names
//!   an empty, partial or unlocked file of a live holder; a lost race is
//!   `EEXIST`, exactly like celery's `O_EXCL`; `/proc/<pid>/fd` and `lsof`
//!   show the held fd as the pidfile's real path; and the fd that holds
//!   the lock—the one a daemon keeps, or inherits across `exec` after
//!   dropping privileges—cannot write the file. No `fsync` and no
//!   read-back: after a power loss every pid is stale anyway, and the
//!   rename already proves the path named our file at that instant.
//! - **Probe without excluding.** [`Pidfile::probe`] opens the file and
//!   asks for a *shared* lock without blocking. Refused means an exclusive
//!   lock exists, and the holder is then looked for and verified (below).
//! - **Remove by inode.** A stale file is removed only after taking its
//!   exclusive lock and checking that the path still names that same
//!   `(st_dev, st_ino)`; only then is it unlinked. So two cleaners can never
//!   delete a winner's fresh file, and a live holder's file is never
//!   removed. A cleaner that meets only shared locks (probers) waits up to
//!   50 ms for them to go.
//! - **Release by inode and content.** [`Pidfile::release`] unlinks the
//!   path only if it still names our file and the file still holds our pid;
//!   then it closes the fd, which drops the lock.
//! - **Marked.** The sticky bit, meaningless on a regular file to Linux and
//!   set by no other tool (`ls -l` shows `-rw------T`), says daemonry wrote
//!   the file. Its holders keep the lock for life, so a marked file nobody
//!   holds is [`Stale`](PidStatus::Stale) whatever process its pid names
//!   now: a recycled pid is never taken for the daemon, even within the
//!   start-time slack below. (A holder that closes its lock fd early gives
//!   up its claim.)
//!
//! Every step opens with `O_NOFOLLOW | O_CLOEXEC`; a symlink at the path is
//! refused (links are never followed or written through, and left as they
//! are). Symlinks in the *directory* part of the path are followed, as
//! everywhere else.
//!
//! # Trust: who may be signalled, what may be deleted
//!
//! A pidfile is input from the file system, which is shared with other
//! users, with the daemon after it dropped privileges, and with the
//! processes that inherited the lock. So:
//!
//! 1. **Only a verified holder is [`Running`](PidStatus::Running).** A pid
//!    counts as the holder only if that very process has the file's inode
//!    open through the file description that holds the exclusive lock
//!    (`/proc/<pid>/fd/<n>` and the `lock:` line of
//!    `/proc/<pid>/fdinfo/<n>`), checked after a pidfd pinned it; signals
//!    go through that pidfd ([`Holder`]). The file's contents alone never
//!    cause a signal.
//! 2. **A lock outliving the named process is reported.** When the daemon
//!    forked and the named process is gone (or its pid now belongs to
//!    another process), the real holders are found by looking through
//!    `/proc`: [`HeldByOthers`](PidStatus::HeldByOthers), and
//!    [`Pidfile::holders`] hands them over, pinned.
//! 3. **Other users cannot steer the caller.** A file nobody locks (other
//!    tools' files, a crashed holder's) is trusted for signalling only if
//!    it is owned by the caller or root and not group/world writable, in a
//!    directory owned by the caller or root that others cannot write (or
//!    that is sticky); otherwise it is [`Untrusted`](PidStatus::Untrusted).
//! 4. **Squatters cannot open the file.** Mode 0600 (BSD `pidfile(3)`'s
//!    default) means only the owner and root can open a new pidfile, so no
//!    other user can take its lock and block a restart or pose as the
//!    holder. The price: other users cannot read the pid; their `probe`
//!    fails with `EACCES`.
//! 5. **Nothing that is not a pidfile is deleted or overwritten.** Empty
//!    files and at most 32 bytes of digits, blanks, signs and line ends are
//!    pidfile-shaped ([`Invalid`](PidStatus::Invalid) when broken); anything
//!    else, and anything that is not a regular file, is
//!    [`NotAPidfile`](PidStatus::NotAPidfile): never removed or replaced
//!    (see [`parse_pid`]).
//! 6. What cannot be verified—another user's processes, holders in
//!    another pid namespace, kernels without pidfds (before 5.3), locks
//!    that are not `flock`s (NFS emulates `flock` with POSIX locks)—is
//!    [`Unverified`](PidStatus::Unverified), never guessed.
//!
//! # Files without a lock: other tools and crashed holders
//!
//! A file nobody has locked and that does not carry daemonry's mark was
//! written by a tool that never locks (celery, the `pidlock` crate,
//! `start-stop-daemon`, `echo $$ > file`). Its pid is judged, in this
//! order:
//!
//! 1. not `<digits>\n` with `1 ≤ pid ≤ kernel.pid_max` → [`PidStatus::Invalid`];
//! 2. our own pid → stale (a restarted container's pid 1 finds itself);
//! 3. `kill(pid, 0)` fails with `ESRCH`, or `/proc/<pid>/stat` shows a
//!    zombie (state `Z`: dead, not yet reaped, yet `kill(pid, 0)` succeeds)
//!    → stale;
//! 4. the process started more than one second after the file's mtime → the
//!    pid was reused → stale;
//! 5. otherwise alive—including `EPERM` from `kill`: another user's live
//!    process is alive—and [`PidStatus::Unlocked`] if the file is trusted
//!    (rule 3 above), [`PidStatus::Untrusted`] if not.
//!
//! The start time is field 22 of `/proc/<pid>/stat` plus the boot time
//! (`CLOCK_REALTIME - CLOCK_BOOTTIME`, the precise form of `btime` in
//! `/proc/stat`). The one-second slack absorbs coarse file timestamps; its
//! price is that a pid reused within a second of the file's write is judged
//! alive (a refused start, never a displaced holder). A wall-clock step of
//! more than a second between writing and probing can mislead rule 4 for
//! files without a lock; files of live daemonry holders are judged by their
//! lock first, whatever the clock or the pid numbers do.
//!
//! # Crash litter
//!
//! A writer killed between creating its temporary name and renaming it
//! leaves `.<name>.<pid>.<seq>.tmp` behind. It never blocks a start (a
//! starter whose pid matches a leftover removes it on sight), and leftovers
//! whose writer is provably gone (no such process, a zombie, or a newer
//! process with that pid) are removed by [`create_pidlock`] when the path
//! was taken, and by [`Pidfile::remove_if_stale`] and [`Pidfile::remove`].
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
//!
//! # Errors name the path
//!
//! An [`Error`](crate::Error) is 32 bytes and cannot carry a path (its
//! [`input`](crate::Error::input) keeps 27 bytes, for short inputs such as
//! a user name). Every error a [`Pidfile`], [`PidLock`] or
//! [`create_pidlock`] returns is about that pidfile's path
//! ([`Pidfile::path`], [`PidLock::path`]): print them together, as
//! `pidfile "/run/app.pid": <error>`. The operations are in [`Op`](crate::Op)'s
//! pidfile group (`Op::PidfilePath` to `Op::WaitHolder`), so a caller of
//! [`DaemonContext::open`](crate::DaemonContext::open) can tell a pidfile
//! error from other steps' and add the path it gave.

mod file;
mod handle;
mod held;
mod holders;
mod liveness;
mod lock;
mod parse;
mod publish;
mod status;
mod trust;

pub use handle::Pidfile;
pub use holders::Holder;
pub use lock::{PidLock, check_pidlock, create_pidlock};
pub use parse::{MAX_PIDFILE_LEN, PID_MAX_LIMIT, parse_pid};

use crate::error::Result;
#[cfg(doc)]
use crate::path::PathArg;
use core::ffi::CStr;
pub(crate) use file::FileId;
use handle::lock_failed;
use held::Held;
use rustix::process::Pid;
use status::refusal;

/// What [`Pidfile::probe`] found at the path.
///
/// The pid a variant carries is always the one the *file* names; whether
/// that process may be signalled is what the variant says. Only
/// [`Running`](PidStatus::Running), [`HeldByOthers`](PidStatus::HeldByOthers)
/// and [`Unlocked`](PidStatus::Unlocked) come with processes to signal
/// ([`Pidfile::holders`]); [`Stale`](PidStatus::Stale) and
/// [`Invalid`](PidStatus::Invalid) files are removed by [`create_pidlock`]
/// and [`Pidfile::remove_if_stale`]; nothing else is ever signalled,
/// removed or replaced.
///
/// [`lsb_status`](PidStatus::lsb_status) gives the exit code of an
/// init-script `status` for each.
///
/// # Examples
///
/// ```
/// use daemonry::{PidStatus, Pid};
/// let s = PidStatus::Running(Pid::INIT);
/// assert!(s.is_live());
/// assert_eq!(s.pid(), Some(Pid::INIT));
/// assert!(!PidStatus::Invalid.is_live());
/// assert_eq!(PidStatus::NotAPidfile.lsb_status(), 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PidStatus {
    /// No file at the path.
    Absent,
    /// The lock is held, and the process the file names is verified to
    /// hold it (it has the file open through the locked description,
    /// checked while pinned by a pidfd).
    Running(Pid),
    /// The lock is held by verified processes, but the file's pid (when
    /// it parses) is not one of them: the daemon forked and the named
    /// process is gone, or its pid now belongs to another process. The
    /// holders inherited the lock: [`Pidfile::holders`] hands them over.
    HeldByOthers(Option<Pid>),
    /// The lock is held, but who holds it cannot be verified: the caller
    /// may not read the holders' `/proc/<pid>/fd` (another user's
    /// processes, for a non-root caller), the holder is in another pid
    /// namespace, or the kernel has no pidfds. Nothing is signalled.
    Unverified(Option<Pid>),
    /// Nobody holds the lock (a tool that does not lock wrote the file),
    /// the file is trusted (owned by the caller or root, in a directory
    /// others cannot write), and the named process is alive and started
    /// before the file was written.
    Unlocked(Pid),
    /// Nobody holds the lock and the named process is alive and older than
    /// the file, but the file is owned by another user, writable by others,
    /// or in a directory others can write: its pid is a claim anyone could
    /// have made. Never signalled; [`create_pidlock`] refuses it.
    Untrusted(Pid),
    /// Nobody holds the lock and the pid is ours, gone, a zombie, or a
    /// process younger than the file (pid reuse).
    Stale(Pid),
    /// Nobody holds the lock and the contents are pidfile-shaped but not a
    /// valid pid: empty, or at most 32 bytes of digits, blanks, signs and
    /// line ends (see [`parse_pid`]). When the lock *is* held, the status
    /// is about the holders, with no pid.
    Invalid,
    /// Something that is not a pidfile: text, binary data, more than 32
    /// bytes, or not a regular file (a directory, FIFO, socket). Never
    /// removed or replaced; [`create_pidlock`] and
    /// [`Pidfile::remove_if_stale`] fail naming it.
    NotAPidfile,
}

impl PidStatus {
    /// The pid the file names, when there is one (not necessarily a live or
    /// trustworthy one: see the variant).
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
    /// assert_eq!(PidStatus::HeldByOthers(None).pid(), None);
    /// ```
    pub const fn pid(&self) -> Option<Pid> {
        match *self {
            PidStatus::HeldByOthers(p) | PidStatus::Unverified(p) => p,
            PidStatus::Running(p)
            | PidStatus::Unlocked(p)
            | PidStatus::Untrusted(p)
            | PidStatus::Stale(p) => Some(p),
            PidStatus::Absent | PidStatus::Invalid | PidStatus::NotAPidfile => None,
        }
    }

    /// Whether a live process holds the pidfile, or is named by a trusted
    /// lock-less one: `Running`, `HeldByOthers`, `Unverified` (a lock is
    /// held, by someone) or `Unlocked`. These make
    /// [`create_pidlock`] fail with `LockFailed`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Pid, PidStatus};
    /// assert!(PidStatus::HeldByOthers(None).is_live());
    /// assert!(!PidStatus::Stale(Pid::INIT).is_live());
    /// assert!(!PidStatus::Untrusted(Pid::INIT).is_live());
    /// ```
    pub const fn is_live(&self) -> bool {
        matches!(
            self,
            PidStatus::Running(_)
                | PidStatus::HeldByOthers(_)
                | PidStatus::Unverified(_)
                | PidStatus::Unlocked(_)
        )
    }

    /// The exit code of an LSB init-script `status` action for this
    /// status: 0 running (`Running`, `HeldByOthers`, `Unlocked`), 1 dead
    /// with a pidfile left (`Stale`, `Invalid`), 3 not running (`Absent`),
    /// 4 unknown (`Unverified`, `Untrusted`, `NotAPidfile`).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [LSB: init script actions](https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/iniscrptact.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Pid, PidStatus};
    /// assert_eq!(PidStatus::Running(Pid::INIT).lsb_status(), 0);
    /// assert_eq!(PidStatus::Stale(Pid::INIT).lsb_status(), 1);
    /// assert_eq!(PidStatus::Absent.lsb_status(), 3);
    /// assert_eq!(PidStatus::Untrusted(Pid::INIT).lsb_status(), 4);
    /// ```
    pub const fn lsb_status(&self) -> u8 {
        match self {
            PidStatus::Running(_) | PidStatus::HeldByOthers(_) | PidStatus::Unlocked(_) => 0,
            PidStatus::Stale(_) | PidStatus::Invalid => 1,
            PidStatus::Absent => 3,
            PidStatus::Unverified(_) | PidStatus::Untrusted(_) | PidStatus::NotAPidfile => 4,
        }
    }
}

/// `InvalidInput` with `Op::PidfilePath` unless `path` can name a
/// pidfile (see [`Pidfile::new`]); no I/O, no allocation.
pub(crate) fn check_path(path: &CStr) -> Result<()> {
    file::check_path(path)
}

/// Removes the pidfile a daemon published at `path` as file `id` and could
/// not remove itself, if the path still names it and nobody holds it (for
/// the launcher of a daemon that dropped privileges and then failed).
pub(crate) fn remove_abandoned(path: &CStr, id: FileId) -> Result<bool> {
    file::remove_abandoned(path, id)
}
