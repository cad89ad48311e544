//! Who a pidfile's lock says is running, and how they are signalled and
//! waited for (SPEC §3 pidfile "Trust"), on top of the library's
//! [`Pidfile::holders`]: only a verified holder is ever signalled (a
//! process that has the file open through the locked description, checked
//! while a pidfd pins it), through its pidfd.
//!
//! One addition for `supervise`: the library hands over the process the
//! file names (CMD); CMD's parent is handed over too when it is a
//! supervisor run by this very binary that holds the same lock, so that
//! `stop` and `reload` reach the supervisor (which forwards) rather than
//! CMD behind its back.

use super::plan::Resolved;
use super::{Failure, code, errno_text};
use daemonry::{Errno, Holder, Pid, PidStatus, Pidfile, Signal};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ops::ControlFlow;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

/// How a target is reached.
#[derive(Debug)]
enum How {
    /// A verified holder handed over by the library.
    Holder(Holder),
    /// A process pinned by the tool (the daemon it just started, a
    /// supervisor verified here).
    Pidfd(OwnedFd),
    /// Kernels before 5.3: by pid.
    Pid,
}

/// A process pinned by a pidfd.
#[derive(Debug)]
pub struct Target {
    /// Its pid.
    pub pid: Pid,
    how: How,
}

impl Target {
    /// Pins `pid`; `None` when it is gone.
    pub fn pin(pid: Pid) -> Result<Option<Target>, Failure> {
        match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
            Ok(fd) => Ok(Some(Target {
                pid,
                how: How::Pidfd(fd),
            })),
            Err(Errno::SRCH) => Ok(None),
            Err(Errno::NOSYS) => Ok(Some(Target { pid, how: How::Pid })),
            Err(e) => Err(Failure::new(
                code::FAILURE,
                format!("pidfd_open {}: {}", pid.as_raw_nonzero(), errno_text(e)),
            )),
        }
    }

    fn holder(h: Holder) -> Target {
        Target {
            pid: h.pid(),
            how: How::Holder(h),
        }
    }

    /// Sends `sig`; a process that is already gone is fine.
    pub fn signal(&self, sig: Signal) -> Result<(), Failure> {
        let fail = |e: Errno| {
            Failure::new(
                code::FAILURE,
                format!(
                    "send {} to {}: {}",
                    super::signal_text(sig),
                    self.pid.as_raw_nonzero(),
                    errno_text(e)
                ),
            )
        };
        let r = match (&self.how, sig.to_rustix()) {
            (How::Holder(h), _) => h
                .signal(sig)
                .map(|_| ())
                .map_err(|e| e.errno().unwrap_or(Errno::INVAL)),
            (How::Pidfd(fd), Some(s)) => rustix::process::pidfd_send_signal(fd, s),
            // rustix's Signal has no real-time signals: those go by pid
            // while the pidfd says the pinned process has not exited (a
            // pid is not reused before its process is reaped).
            (How::Pidfd(_), None) if self.exited() => Err(Errno::SRCH),
            _ => {
                daemonry::signal::kill(self.pid, sig).map_err(|e| e.errno().unwrap_or(Errno::INVAL))
            }
        };
        match r {
            Ok(()) | Err(Errno::SRCH) => Ok(()),
            Err(e) => Err(fail(e)),
        }
    }

    /// Its pidfd, when the kernel has them.
    pub fn pidfd(&self) -> Option<BorrowedFd<'_>> {
        match &self.how {
            How::Holder(h) => Some(h.pidfd()),
            How::Pidfd(fd) => Some(fd.as_fd()),
            How::Pid => None,
        }
    }

    /// Whether it has exited (a zombie counts).
    pub fn exited(&self) -> bool {
        match self.pidfd() {
            Some(fd) => poll_in(&mut [fd], Duration::ZERO) > 0,
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
        let fds: Vec<_> = live.iter().filter_map(|t| t.pidfd()).collect();
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
    /// younger than the file (or the file is daemonry's and unheld).
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
    /// Something that is not a pidfile is at the path.
    NotAPidfile,
}

/// Looks at the pidfile and takes its verified holders.
///
/// # Errors
///
/// A file that cannot be examined (status 4: it cannot be verified).
pub fn find(pidfile: &Resolved) -> Result<Found, Failure> {
    let failed =
        |e: daemonry::Error| Failure::new(code::REFUSED, format!("pidfile {}: {e}", pidfile.typed));
    let pf = Pidfile::new(pidfile.c.as_c_str()).map_err(failed)?;
    let mut holders: Vec<Target> = Vec::new();
    let status = pf
        .holders(|h| {
            holders.push(Target::holder(h));
            ControlFlow::Continue(())
        })
        .map_err(failed)?;
    holders.sort_by_key(|t| t.pid.as_raw_nonzero());
    Ok(match status {
        PidStatus::Absent => Found::Absent,
        PidStatus::Stale(p) => Found::Stale(p),
        PidStatus::Invalid => Found::Invalid,
        PidStatus::NotAPidfile => Found::NotAPidfile,
        PidStatus::Untrusted(p) => Found::Refused(format!(
            "untrusted {}: pidfile {} could have been written by another user \
             (its owner, mode or directory); not trusted",
            p.as_raw_nonzero(),
            pidfile.typed
        )),
        PidStatus::Unverified(named) => Found::Refused(format!(
            "cannot verify: pidfile {} is locked by a process this user cannot inspect{}",
            pidfile.typed,
            named.map_or(String::new(), |p| format!(
                " (it names {})",
                p.as_raw_nonzero()
            ))
        )),
        PidStatus::Running(p) => {
            if let Some(sup) = supervisor_of(p, pidfile)? {
                holders.insert(0, sup);
            }
            Found::Running {
                named: Some(p),
                holders,
                locked: true,
            }
        }
        PidStatus::HeldByOthers(named) => Found::Running {
            named,
            holders,
            locked: true,
        },
        PidStatus::Unlocked(p) => Found::Running {
            named: Some(p),
            holders,
            locked: false,
        },
        other => Found::Refused(format!("cannot verify: {other:?}")),
    })
}

/// The supervisor of the verified holder `cmd`, verified here: `cmd`'s
/// parent, pinned by a pidfd, running this very executable, with the
/// pidfile open through a description that holds a `flock` (the one CMD
/// inherited), checked while pinned.
fn supervisor_of(cmd: Pid, pidfile: &Resolved) -> Result<Option<Target>, Failure> {
    let Some(parent) = super::control::ppid(cmd) else {
        return Ok(None);
    };
    if parent.as_raw_nonzero().get() == 1 || !same_executable(parent) {
        return Ok(None);
    }
    let Ok(meta) = std::fs::metadata(pidfile.path()) else {
        return Ok(None);
    };
    let Some(t) = Target::pin(parent)? else {
        return Ok(None);
    };
    let holds = holds_flock(parent, (meta.dev(), meta.ino()));
    // Still the pinned process after the check: the /proc entries were its.
    Ok((holds && same_executable(parent) && !t.exited()).then_some(t))
}

/// Whether `pid` runs the same executable as this process.
pub fn same_executable(pid: Pid) -> bool {
    let theirs = std::fs::metadata(format!("/proc/{}/exe", pid.as_raw_nonzero()));
    let ours = std::fs::metadata("/proc/self/exe");
    matches!((theirs, ours), (Ok(a), Ok(b)) if (a.dev(), a.ino()) == (b.dev(), b.ino()))
}

/// Whether `pid` has an fd on `key` whose description owns a `flock`
/// (the `lock:` lines of `/proc/<pid>/fdinfo/<fd>` list the locks owned by
/// that fd's description).
fn holds_flock(pid: Pid, key: (u64, u64)) -> bool {
    let raw = pid.as_raw_nonzero();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{raw}/fd")) else {
        return false;
    };
    dir.flatten().any(|e| {
        std::fs::metadata(e.path()).is_ok_and(|m| (m.dev(), m.ino()) == key)
            && std::fs::read_to_string(format!(
                "/proc/{raw}/fdinfo/{}",
                e.file_name().to_string_lossy()
            ))
            .is_ok_and(|t| {
                t.lines()
                    .any(|l| l.starts_with("lock:") && l.contains("FLOCK"))
            })
    })
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
