//! Who a pidfile's lock says is running, and how they are signalled and
//! waited for (SPEC §3 pidfile "Trust").
//!
//! Only a verified holder is ever signalled: a process that has the
//! file's inode open through a file description holding the exclusive
//! `flock` (`/proc/<pid>/fd` + the `lock:` line of
//! `/proc/<pid>/fdinfo/<fd>`), checked again after a pidfd pins it, so a
//! pid recycled in between is never hit. A lock-less pidfile (another
//! tool's) is trusted only when other users could not have written it.

use super::plan::Resolved;
use super::{Failure, code, errno_text};
use daemonry::{Errno, Pid, PidStatus, Pidfile, Signal};
use rustix::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

/// A process pinned by a pidfd.
#[derive(Debug)]
pub struct Target {
    /// Its pid.
    pub pid: Pid,
    /// Its pidfd (`None` on kernels before 5.3, then signals go by pid).
    pidfd: Option<OwnedFd>,
}

impl Target {
    /// Pins `pid`; `None` when it is gone.
    pub fn pin(pid: Pid) -> Result<Option<Target>, Failure> {
        match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
            Ok(fd) => Ok(Some(Target {
                pid,
                pidfd: Some(fd),
            })),
            Err(Errno::SRCH) => Ok(None),
            Err(Errno::NOSYS) => Ok(Some(Target { pid, pidfd: None })),
            Err(e) => Err(Failure::new(
                code::FAILURE,
                format!("pidfd_open {}: {}", pid.as_raw_nonzero(), errno_text(e)),
            )),
        }
    }

    /// Sends `sig`; a process that is already gone is fine.
    pub fn signal(&self, sig: Signal) -> Result<(), Failure> {
        let r = match (&self.pidfd, sig.to_rustix()) {
            (Some(fd), Some(s)) => rustix::process::pidfd_send_signal(fd, s),
            // rustix's Signal has no real-time signals: those go by pid
            // while the pidfd says the pinned process has not exited (a
            // pid is not reused before its process is reaped).
            (Some(_), None) if self.exited() => Err(Errno::SRCH),
            _ => {
                daemonry::signal::kill(self.pid, sig).map_err(|e| e.errno().unwrap_or(Errno::INVAL))
            }
        };
        match r {
            Ok(()) | Err(Errno::SRCH) => Ok(()),
            Err(e) => Err(Failure::new(
                code::FAILURE,
                format!(
                    "send {} to {}: {}",
                    super::signal_text(sig),
                    self.pid.as_raw_nonzero(),
                    errno_text(e)
                ),
            )),
        }
    }

    /// Its pidfd, when the kernel has them.
    pub fn pidfd(&self) -> Option<rustix::fd::BorrowedFd<'_>> {
        self.pidfd.as_ref().map(AsFd::as_fd)
    }

    /// Whether it has exited (a zombie counts).
    pub fn exited(&self) -> bool {
        match &self.pidfd {
            Some(fd) => poll_in(&mut [fd.as_fd()], Duration::ZERO) > 0,
            None => !super::control::alive(self.pid),
        }
    }
}

/// Polls fds for POLLIN; returns how many are ready.
pub fn poll_in(fds: &mut [rustix::fd::BorrowedFd<'_>], timeout: Duration) -> usize {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut pfds: Vec<PollFd<'_>> = fds
        .iter()
        .map(|fd| PollFd::new(fd, PollFlags::IN))
        .collect();
    let ts = rustix::time::Timespec {
        tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    loop {
        match poll(&mut pfds, Some(&ts)) {
            Ok(n) => return n,
            Err(Errno::INTR) => continue,
            Err(_) => return 0,
        }
    }
}

/// Waits up to `timeout` until every target has exited. Returns whether
/// they all did.
pub fn wait_all(targets: &[Target], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let live: Vec<&Target> = targets.iter().filter(|t| !t.exited()).collect();
        if live.is_empty() {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let fds: Vec<_> = live
            .iter()
            .filter_map(|t| t.pidfd.as_ref().map(AsFd::as_fd))
            .collect();
        if fds.len() == live.len() {
            let mut fds = fds;
            poll_in(&mut fds, left);
        } else {
            std::thread::sleep(left.min(Duration::from_millis(20)));
        }
    }
}

/// Waits up to `timeout` until some live target exits.
pub fn wait_any(targets: &[Target], timeout: Duration) {
    let live: Vec<&Target> = targets.iter().filter(|t| !t.exited()).collect();
    let mut fds: Vec<_> = live.iter().filter_map(|t| t.pidfd()).collect();
    if live.is_empty() {
        return;
    }
    if fds.len() == live.len() {
        poll_in(&mut fds, timeout);
    } else {
        std::thread::sleep(timeout.min(Duration::from_millis(20)));
    }
}

/// What a pidfile says about who runs.
#[derive(Debug)]
pub enum Found {
    /// No file.
    Absent,
    /// Nobody holds the lock and the pid is gone, a zombie, ours, or
    /// younger than the file.
    Stale(Pid),
    /// Nobody holds the lock and the contents are pidfile-shaped but not
    /// a pid.
    Invalid,
    /// Verified holders (pinned), and the pid the file names.
    Running {
        /// What the file says (`None`: not a valid pid).
        named: Option<Pid>,
        /// The verified holders, in ascending pid order.
        holders: Vec<Target>,
        /// Whether they hold the lock (`false`: a lock-less pidfile of
        /// another tool, trusted by its ownership and mode).
        locked: bool,
    },
    /// Refused: `status` exit 4, `stop`/`reload` refuse (the reason).
    Refused(String),
    /// Something that is not a pidfile is at the path (why).
    NotAPidfile(String),
}

/// Why the thing at the path is not a pidfile (SPEC trust rule 5), or
/// `None` when it is absent or pidfile-shaped: a regular file, empty or at
/// most 32 bytes of ASCII digits, blanks, signs and newlines. Such a file
/// is never removed, replaced or trusted.
pub fn not_a_pidfile(path: &std::path::Path) -> Option<String> {
    use std::io::Read;
    let m = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(_) => return None, // absent, or the real check reports it
    };
    let ft = m.file_type();
    if ft.is_symlink() {
        return Some("a symbolic link".into());
    }
    if !ft.is_file() {
        return Some(
            if ft.is_dir() {
                "a directory"
            } else {
                "not a regular file"
            }
            .into(),
        );
    }
    if m.len() > 32 {
        return Some(format!("{} bytes, more than a pid", m.len()));
    }
    let mut buf = Vec::new();
    let opened = std::fs::File::open(path).and_then(|f| f.take(33).read_to_end(&mut buf));
    if opened.is_ok()
        && !buf
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'+' | b'-'))
    {
        return Some("contents that are not a pid".into());
    }
    None
}

/// Looks at the pidfile and pins its verified holders.
///
/// # Errors
///
/// A file that cannot be examined.
pub fn find(pidfile: &Resolved) -> Result<Found, Failure> {
    let pf = Pidfile::new(pidfile.c.as_c_str())
        .map_err(|e| Failure::new(code::REFUSED, format!("pidfile {}: {e}", pidfile.typed)))?;
    if let Some(why) = not_a_pidfile(pidfile.path()) {
        return Ok(Found::NotAPidfile(why));
    }
    for _ in 0..3 {
        let status = pf
            .probe()
            .map_err(|e| Failure::new(code::REFUSED, format!("pidfile {}: {e}", pidfile.typed)))?;
        match status {
            PidStatus::Absent => return Ok(Found::Absent),
            PidStatus::Stale(p) => return Ok(Found::Stale(p)),
            PidStatus::Invalid => return Ok(Found::Invalid),
            PidStatus::Running(p) => {
                if let Some(why) = untrusted(pidfile)? {
                    return Ok(Found::Refused(format!(
                        "untrusted {}: {why}",
                        p.as_raw_nonzero()
                    )));
                }
                if let Some(t) = Target::pin(p)? {
                    // Still the same verdict after the pin?
                    if matches!(pf.probe(), Ok(PidStatus::Running(q)) if q == p) {
                        return Ok(Found::Running {
                            named: Some(p),
                            holders: vec![t],
                            locked: false,
                        });
                    }
                }
            }
            PidStatus::Held(named) => match verified_holders(pidfile)? {
                Holders::Verified(h) if !h.is_empty() => {
                    return Ok(Found::Running {
                        named,
                        holders: h,
                        locked: true,
                    });
                }
                Holders::Verified(_) => {} // the holder just left: look again
                Holders::Squatters(pids) => {
                    return Ok(Found::Refused(format!(
                        "cannot verify: the lock is held only through read-only descriptors \
                         (pid {}), not by a process that could have written the file",
                        pids.iter()
                            .map(|p| p.as_raw_nonzero().to_string())
                            .collect::<Vec<_>>()
                            .join(" ")
                    )));
                }
                Holders::Unknown => {
                    return Ok(Found::Refused(format!(
                        "cannot verify: the lock is held, but the holder cannot be identified \
                         (its /proc entries are not readable){}",
                        named.map_or(String::new(), |p| format!(
                            "; the file names {}",
                            p.as_raw_nonzero()
                        ))
                    )));
                }
            },
            _ => {}
        }
    }
    Err(Failure::new(
        code::FAILURE,
        format!("pidfile {}: keeps changing, try again", pidfile.typed),
    ))
}

/// Who holds the lock, as far as /proc tells.
enum Holders {
    /// Verified holders, pinned (may be empty: the holder just left).
    Verified(Vec<Target>),
    /// Only processes that hold it through read-only descriptions.
    Squatters(Vec<Pid>),
    /// Some processes' fds could not be read (not root).
    Unknown,
}

/// The processes holding the pidfile's lock through a writable
/// description, pinned and verified again after the pin.
fn verified_holders(pidfile: &Resolved) -> Result<Holders, Failure> {
    let meta = match std::fs::symlink_metadata(pidfile.path()) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Holders::Verified(Vec::new()));
        }
        Err(e) => {
            return Err(Failure::new(
                code::REFUSED,
                format!("pidfile {}: {e}", pidfile.typed),
            ));
        }
    };
    let key = (meta.dev(), meta.ino());
    let (pids, squatters, blind) = scan(key);
    let mut out = Vec::new();
    for pid in pids {
        let Some(t) = Target::pin(pid)? else { continue };
        if holds_lock(pid, key) {
            out.push(t);
        }
    }
    Ok(match (out.is_empty(), squatters.is_empty(), blind) {
        (false, _, _) => Holders::Verified(out),
        (true, false, _) => Holders::Squatters(squatters),
        (true, true, true) => Holders::Unknown,
        (true, true, false) => Holders::Verified(out),
    })
}

/// Pids holding the lock on `key` through a writable description, pids
/// holding it only read-only, and whether some process's fds could not
/// be read.
fn scan(key: (u64, u64)) -> (Vec<Pid>, Vec<Pid>, bool) {
    let mut pids = Vec::new();
    let mut squatters = Vec::new();
    let mut blind = false;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return (pids, squatters, true);
    };
    for e in dir.flatten() {
        let Some(pid) = e
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
            .and_then(Pid::from_raw)
        else {
            continue;
        };
        match lock_fds(pid, key) {
            Ok(Lock::Writable) => pids.push(pid),
            Ok(Lock::ReadOnly) => squatters.push(pid),
            Ok(Lock::None) => {}
            Err(()) => blind = true,
        }
    }
    pids.sort_by_key(|p| p.as_raw_nonzero());
    squatters.sort_by_key(|p| p.as_raw_nonzero());
    (pids, squatters, blind)
}

fn holds_lock(pid: Pid, key: (u64, u64)) -> bool {
    matches!(lock_fds(pid, key), Ok(Lock::Writable))
}

/// How a process holds the pidfile's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    /// No fd on the file holds a lock.
    None,
    /// Through a description opened for writing: a holder that could have
    /// written the file.
    Writable,
    /// Only through read-only descriptions: a squatter (`flock -x` on a
    /// world-readable file), which is never taken for the daemon.
    ReadOnly,
}

/// How `pid` holds the lock on `key`, from `/proc/<pid>/fdinfo/<fd>`
/// (`lock:` lines list the locks owned by that fd's description; `flags:`
/// its access mode). `Err` when its fds cannot be read (another user's
/// process, not root).
fn lock_fds(pid: Pid, key: (u64, u64)) -> Result<Lock, ()> {
    let raw = pid.as_raw_nonzero();
    let dir = match std::fs::read_dir(format!("/proc/{raw}/fd")) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return Err(()),
        Err(_) => return Ok(Lock::None), // gone
    };
    let mut found = Lock::None;
    for e in dir.flatten() {
        let Ok(m) = std::fs::metadata(e.path()) else {
            continue;
        };
        if (m.dev(), m.ino()) != key {
            continue;
        }
        let info = format!("/proc/{raw}/fdinfo/{}", e.file_name().to_string_lossy());
        let Ok(text) = std::fs::read_to_string(info) else {
            continue;
        };
        if !text
            .lines()
            .any(|l| l.starts_with("lock:") && l.contains("FLOCK"))
        {
            continue;
        }
        let writable = text
            .lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
            .is_some_and(|f| f & 3 != 0);
        if writable {
            return Ok(Lock::Writable);
        }
        found = Lock::ReadOnly;
    }
    Ok(found)
}

/// Why a lock-less pidfile cannot be trusted for signalling (SPEC trust
/// rule 3), or `None` when it can: owned by the caller or root, not
/// group/world writable, in a directory only the caller or root can write
/// (or sticky, with the file owned by the caller or root).
fn untrusted(pidfile: &Resolved) -> Result<Option<String>, Failure> {
    let me = rustix::process::geteuid().as_raw();
    let path = pidfile.path();
    let m = std::fs::symlink_metadata(path)
        .map_err(|e| Failure::new(code::REFUSED, format!("pidfile {}: {e}", pidfile.typed)))?;
    let trusted_owner = |uid: u32| uid == me || uid == 0;
    if !trusted_owner(m.uid()) {
        return Ok(Some(format!("the file is owned by uid {}", m.uid())));
    }
    if m.mode() & 0o022 != 0 {
        return Ok(Some(format!(
            "the file is writable by others (mode {:o})",
            m.mode() & 0o777
        )));
    }
    let dir = path.parent().unwrap_or(std::path::Path::new("/"));
    let d = std::fs::metadata(dir)
        .map_err(|e| Failure::new(code::REFUSED, format!("pidfile {}: {e}", pidfile.typed)))?;
    let others_write = d.mode() & 0o022 != 0 || !trusted_owner(d.uid());
    if others_write && d.mode() & 0o1000 == 0 {
        return Ok(Some(format!(
            "its directory can be written by others (owner uid {}, mode {:o})",
            d.uid(),
            d.mode() & 0o7777
        )));
    }
    Ok(None)
}

/// The targets whose parent is not also a target: the ones a signal is
/// meant for (a supervisor rather than its CMD, nginx's master rather than
/// its workers). Those that have exited are left out.
pub fn topmost(targets: &[Target]) -> Vec<&Target> {
    let live: Vec<&Target> = targets.iter().filter(|t| !t.exited()).collect();
    live.iter()
        .copied()
        .filter(|t| {
            let ppid = super::control::ppid(t.pid);
            !live.iter().any(|o| Some(o.pid) == ppid)
        })
        .collect()
}

/// A list of pids for messages: `123` or `123 456`.
pub fn pids_text(targets: &[&Target]) -> String {
    targets
        .iter()
        .map(|t| t.pid.as_raw_nonzero().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}
