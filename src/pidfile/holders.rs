//! [`Holder`]: a process verified to hold a pidfile, pinned by a pidfd;
//! and how holders are found and verified through `/proc`.
//!
//! A process holds a pidfile when one of its fds refers to the file's
//! inode (`stat` of `/proc/<pid>/fd/<n>` gives the file's `(st_dev,
//! st_ino)`) through the open file description that holds the exclusive
//! `flock` (`/proc/<pid>/fdinfo/<n>` lists it as `lock: … FLOCK ADVISORY
//! WRITE …`: the kernel prints there exactly the locks owned by that
//! description). The check runs after `pidfd_open(2)` pinned the process,
//! and the pidfd must still show a live process afterwards, so the `/proc`
//! entries read were that process's and a pid recycled in between is never
//! signalled: signals go through the pidfd, which can only ever reach the
//! process it was opened for.
//!
//! daemonry's own cleaners take a file's exclusive lock for a moment before
//! removing it by inode; they do so through a description opened
//! `O_RDONLY | O_APPEND` (the `flags:` line of fdinfo shows it), which no
//! holder uses, so they are told apart from holders and waited for.
//!
//! Reading another user's `/proc/<pid>/fd` and `fdinfo` needs
//! `PTRACE_MODE_READ` over it (root, or the same user for a dumpable
//! process); what cannot be read is reported as such, never guessed.

use super::file::FileId;
use crate::cstr::proc_path;
use crate::error::{Context, Error, Op, Result};
use crate::signal::Signal;
use core::ffi::CStr;
use core::fmt;
use core::mem::MaybeUninit;
use core::ops::ControlFlow;
use core::time::Duration;
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, AtFlags, Mode, OFlags, RawDir};
use rustix::io::{self, Errno};
use rustix::process::{Pid, PidfdFlags, pidfd_open, pidfd_send_signal};
use rustix::time::{ClockId, clock_gettime};

/// Bytes of each `getdents64(2)` batch when listing `/proc` and
/// `/proc/<pid>/fd`.
const DIRENT_BUF: usize = 2048;

/// A process verified to hold a pidfile (or, for a lock-less pidfile of
/// another tool, the live process it names), pinned by a pidfd.
///
/// Obtained from [`Pidfile::holders`](crate::Pidfile::holders). The pidfd
/// refers to that very process for as long as the `Holder` lives: if the
/// process exits and its pid is given to another, [`signal`](Holder::signal)
/// reports the exit instead of reaching the newcomer. Dropping it closes
/// the pidfd.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("daemonry-doc-holder-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
/// use core::ops::ControlFlow;
/// let lock = daemonry::create_pidlock(path.as_c_str())?;
/// let pf = daemonry::Pidfile::new(path.as_c_str())?;
/// let mut seen = Vec::new();
/// pf.holders(|h| {
///     seen.push((h.pid(), h.holds_lock()));
///     ControlFlow::Continue(())
/// })?;
/// assert_eq!(seen, [(lock.pid(), true)]);
/// # drop(lock); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), daemonry::Error>(())
/// ```
pub struct Holder {
    pid: Pid,
    pidfd: OwnedFd,
    locks: bool,
}

impl fmt::Debug for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Holder")
            .field("pid", &self.pid)
            .field("holds_lock", &self.locks)
            .finish()
    }
}

/// `pidfd_send_signal(2)` of `sig` to `pidfd`: the one place the pidfile
/// module sends a signal.
fn send(pidfd: BorrowedFd<'_>, sig: Signal) -> io::Result<()> {
    pidfd_send_signal(pidfd, sig.for_rustix())
}

/// `poll(2)` of a pidfd for `timeout` (`None`: forever, zero: a check):
/// whether the process has exited.
fn exited_within(pidfd: BorrowedFd<'_>, timeout: Option<&Timespec>) -> io::Result<bool> {
    let mut fds = [PollFd::new(&pidfd, PollFlags::IN)];
    Ok(poll(&mut fds, timeout)? > 0)
}

/// Whether the process behind `pidfd` has exited (a zombie counts).
fn has_exited(pidfd: BorrowedFd<'_>) -> Result<bool> {
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    io::retry_on_intr(|| exited_within(pidfd, Some(&zero))).ctx(Op::WaitHolder)
}

/// Nanoseconds on the monotonic clock.
fn monotonic_ns() -> i128 {
    let t = clock_gettime(ClockId::Monotonic);
    i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec)
}

impl Holder {
    /// The holder's pid (in the caller's pid namespace).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// See [`Holder`].
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The pidfd pinning the holder, to `poll` it alongside other fds.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// A pidfd becomes readable when its process exits; see
    /// [`wait_exit`](Holder::wait_exit), which polls it.
    pub fn pidfd(&self) -> BorrowedFd<'_> {
        self.pidfd.as_fd()
    }

    /// Whether the kernel showed this process holding the pidfile's
    /// exclusive lock: `true` for every holder of a locked pidfile; `false`
    /// for the process a trusted lock-less pidfile names
    /// ([`PidStatus::Unlocked`](crate::PidStatus::Unlocked)), which was
    /// judged by its start time instead.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// See [`Holder`].
    pub fn holds_lock(&self) -> bool {
        self.locks
    }

    /// `pidfd_send_signal(2)`—Sends `sig` to the holder, through its
    /// pidfd. `Ok(false)` when the process has already exited (`ESRCH`):
    /// the pid it had may belong to another process now, which is never
    /// reached.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) with [`Op::SignalHolder`]:
    /// `EPERM` when the caller may not signal the holder.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`pidfd_send_signal(2)`](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
    ///
    /// # Examples
    ///
    /// The example is compiled but not run: it would stop a real daemon.
    ///
    /// ```no_run
    /// use core::ops::ControlFlow;
    /// use std::time::Duration;
    /// let pf = daemonry::Pidfile::new(c"/run/app.pid")?;
    /// pf.holders(|h| {
    ///     if h.signal(daemonry::Signal::TERM).unwrap_or(false) {
    ///         let _ = h.wait_exit(Some(Duration::from_secs(10)));
    ///     }
    ///     ControlFlow::Continue(())
    /// })?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn signal(&self, sig: Signal) -> Result<bool> {
        match send(self.pidfd.as_fd(), sig) {
            Ok(()) => Ok(true),
            Err(Errno::SRCH) => Ok(false),
            Err(e) => Err(Error::os(Op::SignalHolder, e)),
        }
    }

    /// `poll(2)` on the pidfd—Waits until the holder exits or `timeout`
    /// passes (`None`: no limit); `Ok(true)` when it exited (a zombie
    /// counts: its files, and so its hold on the pidfile, are gone).
    ///
    /// Any `Duration` is accepted: timeouts beyond what the kernel can
    /// express wait as long as it can, in rounds, never overflowing.
    /// Interruptions by signals are retried with the time left.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) with [`Op::WaitHolder`]
    /// from `poll`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    /// (polling a pidfd), [`poll(2)`](https://man7.org/linux/man-pages/man2/poll.2.html)
    ///
    /// # Examples
    ///
    /// See [`signal`](Holder::signal).
    pub fn wait_exit(&self, timeout: Option<Duration>) -> Result<bool> {
        let Some(timeout) = timeout else {
            return io::retry_on_intr(|| exited_within(self.pidfd.as_fd(), None))
                .ctx(Op::WaitHolder);
        };
        let total = i128::try_from(timeout.as_nanos()).unwrap_or(i128::MAX);
        let deadline = monotonic_ns().saturating_add(total);
        loop {
            let left = deadline.saturating_sub(monotonic_ns()).max(0);
            let ts = Timespec {
                tv_sec: i64::try_from(left / 1_000_000_000).unwrap_or(i64::MAX),
                tv_nsec: (left % 1_000_000_000) as i64,
            };
            match exited_within(self.pidfd.as_fd(), Some(&ts)) {
                Ok(true) => return Ok(true),
                Ok(false) if left == 0 => return Ok(false),
                Ok(false) | Err(Errno::INTR) => {}
                Err(e) => return Err(Error::os(Op::WaitHolder, e)),
            }
        }
    }
}

/// What one process turned out to be, before pinning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// It has the file open through the description holding the lock.
    Holds,
    /// It holds the lock for a moment, as a daemonry cleaner about to
    /// remove the file.
    Cleans,
    /// It does not.
    NotHolder,
    /// Its `/proc/<pid>/fd` may not be read by the caller.
    Unreadable,
    /// No such process (any more).
    Gone,
}

/// The access mode and flags daemonry's cleaners open a file with: a
/// combination no holder has a use for.
pub(crate) const CLEANER_FLAGS: u32 = linux_raw_sys::general::O_APPEND;
const ACCMODE: u32 = linux_raw_sys::general::O_ACCMODE;

/// What `/proc/<pid>/fdinfo/<fd>` shows about the description's lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FdLock {
    /// No exclusive `flock` (or fdinfo unreadable).
    None,
    /// An exclusive `flock` owned by this description.
    Exclusive,
    /// The same, through a cleaner's description.
    Cleaner,
}

/// Reads `/proc/<pid>/fdinfo/<fd>`: whether that open file description
/// owns an exclusive `flock`, and whether it is a cleaner's.
fn fdinfo_lock(pid: u32, fd: &CStr) -> FdLock {
    let mut path = proc_path(Some(pid), b"fdinfo/");
    path.push(fd.to_bytes());
    let Ok(path) = path.as_cstr() else {
        return FdLock::None;
    };
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
    let Ok(info) = fs::open(path, flags, Mode::empty()) else {
        return FdLock::None;
    };
    let mut locked = false;
    let mut cleaner = false;
    scan_lines(&info, |line| {
        if is_exclusive_flock(line) {
            locked = true;
        } else if let Some(f) = open_flags(line) {
            cleaner = f & (ACCMODE | CLEANER_FLAGS) == CLEANER_FLAGS;
        }
    });
    match (locked, cleaner) {
        (false, _) => FdLock::None,
        (true, false) => FdLock::Exclusive,
        (true, true) => FdLock::Cleaner,
    }
}

/// The value of an fdinfo `flags:\t<octal>` line.
fn open_flags(line: &[u8]) -> Option<u32> {
    let digits = line.strip_prefix(b"flags:")?;
    let digits = digits.strip_prefix(b"\t").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 11 {
        return None;
    }
    digits.iter().try_fold(0u32, |v, &d| match d {
        b'0'..=b'7' => v.checked_mul(8)?.checked_add(u32::from(d - b'0')),
        _ => None,
    })
}

/// Calls `f` with each line of the small file `fd`, without its newline.
/// A line longer than the buffer (none is expected in fdinfo) is skipped.
fn scan_lines(fd: &OwnedFd, mut f: impl FnMut(&[u8])) {
    let mut buf = [0u8; 512];
    let mut len = 0;
    let mut skipping = false;
    loop {
        let Some(rest) = buf.get_mut(len..) else {
            return;
        };
        let Ok(n) = io::retry_on_intr(|| io::read(fd, &mut *rest)) else {
            return;
        };
        let end = len + n;
        let mut start = 0;
        while let Some(nl) = buf
            .get(start..end)
            .and_then(|b| b.iter().position(|&c| c == b'\n'))
        {
            if !skipping && let Some(line) = buf.get(start..start + nl) {
                f(line);
            }
            skipping = false;
            start += nl + 1;
        }
        if n == 0 {
            if !skipping && let Some(line) = buf.get(start..end).filter(|l| !l.is_empty()) {
                f(line);
            }
            return;
        }
        if start == 0 && end == buf.len() {
            skipping = true;
            len = 0;
        } else {
            buf.copy_within(start..end, 0);
            len = end - start;
        }
    }
}

/// Whether an fdinfo line is `lock:\t<n>: FLOCK  ADVISORY  WRITE …`.
pub(crate) fn is_exclusive_flock(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"lock:") else {
        return false;
    };
    let mut words = rest
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|w| !w.is_empty());
    let _id = words.next();
    words.next() == Some(b"FLOCK") && words.next().is_some() && words.next() == Some(b"WRITE")
}

/// Whether process `pid` (unpinned) has file `id` open through the
/// description that holds its exclusive lock.
pub(crate) fn check(pid: Pid, id: FileId) -> Result<Check> {
    let raw = pid.as_raw_nonzero().get() as u32;
    let dir = proc_path(Some(raw), b"fd");
    let dir = dir.as_cstr().ctx(Op::PidfileHolders)?;
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let dirfd = match fs::open(dir, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ACCESS | Errno::PERM) => return Ok(Check::Unreadable),
        Err(Errno::NOENT | Errno::SRCH) => return Ok(Check::Gone),
        Err(e) => return Err(Error::os(Op::PidfileHolders, e)),
    };
    let mut buf = [MaybeUninit::<u8>::uninit(); DIRENT_BUF];
    let mut entries = RawDir::new(dirfd.as_fd(), &mut buf);
    let mut denied = false;
    let mut cleans = false;
    while let Some(entry) = entries.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(Errno::ACCESS | Errno::PERM) => return Ok(Check::Unreadable),
            // The process exited while we looked.
            Err(Errno::NOENT | Errno::SRCH) => return Ok(Check::Gone),
            Err(e) => return Err(Error::os(Op::PidfileHolders, e)),
        };
        let name = entry.file_name();
        if name.to_bytes().first() == Some(&b'.') {
            continue;
        }
        match fs::statat(&dirfd, name, AtFlags::empty()) {
            Ok(st) if (st.st_dev, st.st_ino) == id => match fdinfo_lock(raw, name) {
                FdLock::Exclusive => return Ok(Check::Holds),
                FdLock::Cleaner => cleans = true,
                FdLock::None => {}
            },
            Ok(_) => {}
            // Either we may not look into this process, or the file the
            // fd refers to refuses us its attributes (a FUSE mount without
            // `allow_root`, say: not our pidfile, which we could stat).
            // `readlink` tells: it needs the former only.
            Err(Errno::ACCESS | Errno::PERM) => {
                let mut link = [0u8; 64];
                if fs::readlinkat_raw(&dirfd, name, &mut link[..]).is_err() {
                    denied = true;
                }
            }
            // Closed meanwhile, or a dangling anonymous object.
            Err(_) => {}
        }
    }
    // `/proc` answers EACCES for the fds of a process that vanished after
    // the listing, too: only a process still there is unreadable.
    if denied && let Err(Errno::SRCH) = rustix::process::test_kill_process(pid) {
        return Ok(Check::Gone);
    }
    Ok(if denied {
        Check::Unreadable
    } else if cleans {
        Check::Cleans
    } else {
        Check::NotHolder
    })
}

/// What pinning and verifying one process gave.
#[derive(Debug)]
pub(crate) enum Pinned {
    /// Verified while pinned: the pidfd keeps it.
    Holder(Holder),
    /// As [`Check`], or the kernel has no pidfds (before 5.3), so nothing
    /// can be verified safely.
    Not(Check),
    NoPidfd,
}

/// `pidfd_open(pid)`, mapped: `Err(Pinned)` when there is nothing to pin.
fn open_pidfd(pid: Pid) -> Result<core::result::Result<OwnedFd, Pinned>> {
    match pidfd_open(pid, PidfdFlags::empty()) {
        Ok(fd) => Ok(Ok(fd)),
        Err(Errno::SRCH) => Ok(Err(Pinned::Not(Check::Gone))),
        // A thread, not a process: it holds nothing of its own.
        Err(Errno::INVAL) => Ok(Err(Pinned::Not(Check::NotHolder))),
        Err(Errno::NOSYS) => Ok(Err(Pinned::NoPidfd)),
        Err(e) => Err(Error::os(Op::PidfdOpen, e)),
    }
}

/// Pins `pid` with a pidfd, then checks that it holds file `id`; the
/// pidfd must show it alive afterwards (else the `/proc` entries read may
/// have been a successor's).
pub(crate) fn pin(pid: Pid, id: FileId) -> Result<Pinned> {
    let pidfd = match open_pidfd(pid)? {
        Ok(fd) => fd,
        Err(not) => return Ok(not),
    };
    match check(pid, id)? {
        Check::Holds if !has_exited(pidfd.as_fd())? => Ok(Pinned::Holder(Holder {
            pid,
            pidfd,
            locks: true,
        })),
        Check::Holds => Ok(Pinned::Not(Check::Gone)),
        other => Ok(Pinned::Not(other)),
    }
}

/// Pins `pid`, the process a lock-less pidfile last modified at
/// `mtime_ns` names, and judges it again while pinned: it must still be
/// alive and older than the file.
pub(crate) fn pin_named(pid: Pid, mtime_ns: i128) -> Result<Pinned> {
    let pidfd = match open_pidfd(pid)? {
        Ok(fd) => fd,
        Err(not) => return Ok(not),
    };
    let alive = super::liveness::judge(pid, mtime_ns) == super::liveness::Verdict::Alive;
    if alive && !has_exited(pidfd.as_fd())? {
        Ok(Pinned::Holder(Holder {
            pid,
            pidfd,
            locks: false,
        }))
    } else {
        Ok(Pinned::Not(Check::Gone))
    }
}

/// What a scan of every process found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Verified, pinned holders handed to the visitor.
    pub(crate) found: usize,
    /// Processes whose fds the caller may not read.
    pub(crate) unreadable: usize,
    /// No pidfds on this kernel: nothing could be verified.
    pub(crate) no_pidfd: bool,
}

/// Looks through every process in `/proc` (except `skip`, already
/// examined) for holders of file `id`, pinning and verifying each, and
/// hands them to `visit` until it breaks.
///
/// Cost: one `open` + `getdents64` of `/proc/<pid>/fd` per process and one
/// `stat` per open fd (a few milliseconds for a few hundred processes);
/// `fdinfo` is read only for fds that refer to the file. Processes of
/// other pid namespaces are not visible, and threads with a file table of
/// their own (`clone` without `CLONE_FILES`) are not looked into.
pub(crate) fn scan(
    id: FileId,
    skip: Option<Pid>,
    visit: &mut dyn FnMut(Holder) -> ControlFlow<()>,
) -> Result<Scan> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let proc = fs::open(c"/proc", flags, Mode::empty()).ctx(Op::PidfileHolders)?;
    let mut buf = [MaybeUninit::<u8>::uninit(); DIRENT_BUF];
    let mut entries = RawDir::new(proc.as_fd(), &mut buf);
    let mut scan = Scan::default();
    while let Some(entry) = entries.next() {
        let entry = entry.ctx(Op::PidfileHolders)?;
        let Some(pid) = crate::num::parse_u32(entry.file_name().to_bytes())
            .and_then(|p| i32::try_from(p).ok())
            .and_then(Pid::from_raw)
        else {
            continue;
        };
        if Some(pid) == skip {
            continue;
        }
        match check(pid, id)? {
            Check::Holds => {}
            Check::Unreadable => {
                scan.unreadable += 1;
                continue;
            }
            // A cleaner is not a holder; examine looks again after it.
            Check::NotHolder | Check::Gone | Check::Cleans => continue,
        }
        match pin(pid, id)? {
            Pinned::Holder(h) => {
                scan.found += 1;
                if visit(h).is_break() {
                    break;
                }
            }
            Pinned::NoPidfd => {
                scan.no_pidfd = true;
                break;
            }
            Pinned::Not(Check::Unreadable) => scan.unreadable += 1,
            Pinned::Not(_) => {}
        }
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_exclusive_flock_lines() {
        assert!(is_exclusive_flock(
            b"lock:\t1: FLOCK  ADVISORY  WRITE 601 fe:00:10010676 0 EOF"
        ));
        for other in [
            &b"lock:\t1: FLOCK  ADVISORY  READ 601 fe:00:10010676 0 EOF"[..],
            b"lock:\t1: POSIX  ADVISORY  WRITE 601 fe:00:10010676 0 EOF",
            b"lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:10010676 0 EOF",
            b"flags:\t0100000",
            b"lock:",
            b"",
        ] {
            assert!(!is_exclusive_flock(other), "{other:?}");
        }
    }
}
