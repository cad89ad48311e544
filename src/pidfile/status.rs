//! Judging what is at a pidfile's path: the whole of
//! [`Pidfile::probe`](crate::Pidfile::probe) and
//! [`Pidfile::holders`](crate::Pidfile::holders), in one place.

use super::PidStatus;
use super::file::{self, Existing, FileId, Opened};
use super::handle::lock_failed;
use super::holders::{self, Check, Holder, Pinned};
use super::liveness::{self, Verdict};
use super::parse::MAX_PIDFILE_LEN;
use super::publish::MARK;
use super::trust;
use crate::error::{Error, ErrorKind, Op, Result};
use core::ffi::CStr;
use core::ops::ControlFlow;
use rustix::process::Pid;

/// What [`examine`] found.
pub(crate) struct Examined {
    pub(crate) status: PidStatus,
    /// The regular file at the path, open, for a removal by inode.
    pub(crate) opened: Option<Opened>,
}

impl Examined {
    fn bare(status: PidStatus) -> Examined {
        Examined {
            status,
            opened: None,
        }
    }
}

/// A visitor that wants no holders (a bare probe).
pub(crate) fn no_holders(_: Holder) -> ControlFlow<()> {
    ControlFlow::Break(())
}

/// How often [`examine`] looks again when the file it examined was locked
/// by no process it could verify—a cleaner about to remove it, most
/// likely—or was replaced meanwhile; and the wait between two looks (50 ms
/// in all, as for cleaners waiting on probers).
const ROUNDS: u32 = 50;
const RETRY_WAIT_NS: i64 = 1_000_000;

/// How many of those looks when some processes could not be read: a
/// holder among them cannot be told from a cleaner we missed, and each look
/// costs a walk through `/proc`.
const UNREADABLE_ROUNDS: u32 = 4;

/// Opens and judges what is at `path`, handing the processes that may be
/// signalled for it to `visit` (see [`Pidfile::holders`](crate::Pidfile::holders)).
pub(crate) fn examine(
    path: &CStr,
    visit: &mut dyn FnMut(Holder) -> ControlFlow<()>,
) -> Result<Examined> {
    let mut round = 0;
    loop {
        round += 1;
        let (fd, st) = match file::open_existing(path)? {
            Existing::Absent => return Ok(Examined::bare(PidStatus::Absent)),
            Existing::Foreign => return Ok(Examined::bare(PidStatus::NotAPidfile)),
            Existing::File(fd, st) => (fd, st),
        };
        let id = file::file_id(&st);
        let mut buf = [0u8; MAX_PIDFILE_LEN + 1];
        let named = match file::parse_checked(file::read_settled(&fd, &mut buf)?) {
            Ok(pid) => Some(pid),
            Err(e) if e.op() == Op::NotAPidfile => {
                return Ok(Examined {
                    status: PidStatus::NotAPidfile,
                    opened: Some(Opened { fd, id }),
                });
            }
            Err(_) => None,
        };
        let mut status = None;
        if file::lock_held(&fd)? {
            match held(id, named, visit)? {
                Held::Status(s) => status = Some(s),
                Held::Scanned(scan) => {
                    if round < ROUNDS && !file::names(path, id)? {
                        // Replaced or removed while we looked: look at
                        // what is there now.
                        continue;
                    }
                    if file::lock_held(&fd)? {
                        // Still held, by no process we could verify: most
                        // likely a cleaner about to remove it (seen, or
                        // missed by the scan). Let it finish, look again.
                        let rounds = match scan.unreadable {
                            0 => ROUNDS,
                            _ => UNREADABLE_ROUNDS,
                        };
                        if round < rounds {
                            file::sleep_ns(RETRY_WAIT_NS);
                            continue;
                        }
                        // Held for good by no process we can verify: one
                        // we may not read, one in another pid namespace,
                        // or behind hidepid.
                        status = Some(PidStatus::Unverified(named));
                    }
                    // Otherwise let go while we looked: judge it as a
                    // lock-less file.
                }
            }
        }
        let status = match (status, named) {
            (Some(s), _) => s,
            (None, None) => PidStatus::Invalid,
            (None, Some(pid)) => unlocked(path, &st, pid, visit)?,
        };
        return Ok(Examined {
            status,
            opened: Some(Opened { fd, id }),
        });
    }
}

/// What [`held`] found.
enum Held {
    /// A verdict.
    Status(PidStatus),
    /// No verified holder: what the walk through `/proc` saw.
    Scanned(holders::Scan),
}

/// A locked file `id` naming `named`: the named process if it is a
/// verified holder, else every verified holder.
fn held(
    id: FileId,
    named: Option<Pid>,
    visit: &mut dyn FnMut(Holder) -> ControlFlow<()>,
) -> Result<Held> {
    if let Some(pid) = named {
        match holders::pin(pid, id)? {
            Pinned::Holder(h) => {
                let _ = visit(h);
                return Ok(Held::Status(PidStatus::Running(pid)));
            }
            // The named process may well be the holder; nobody can say.
            Pinned::NoPidfd | Pinned::Not(Check::Unreadable) => {
                return Ok(Held::Status(PidStatus::Unverified(named)));
            }
            // Gone, another process now, or a cleaner: look for the real
            // holders.
            Pinned::Not(Check::Gone | Check::NotHolder | Check::Holds | Check::Cleans) => {}
        }
    }
    let scan = holders::scan(id, named, visit)?;
    Ok(if scan.found > 0 {
        Held::Status(PidStatus::HeldByOthers(named))
    } else if scan.no_pidfd {
        Held::Status(PidStatus::Unverified(named))
    } else {
        Held::Scanned(scan)
    })
}

/// A file nobody holds locked, naming `pid`: stale if daemonry wrote it;
/// otherwise the liveness rule, then the trust rule.
fn unlocked(
    path: &CStr,
    st: &rustix::fs::Stat,
    pid: Pid,
    visit: &mut dyn FnMut(Holder) -> ControlFlow<()>,
) -> Result<PidStatus> {
    let mtime = file::mtime_ns(st);
    // A daemonry pidfile nobody holds: its holder is gone, however alive
    // the process that has its pid now may look.
    if st.st_mode & MARK != 0 || liveness::judge(pid, mtime) == Verdict::Stale {
        return Ok(PidStatus::Stale(pid));
    }
    if !trust::trusted(path, st) {
        return Ok(PidStatus::Untrusted(pid));
    }
    match holders::pin_named(pid, mtime)? {
        Pinned::Holder(h) => {
            let _ = visit(h);
            Ok(PidStatus::Unlocked(pid))
        }
        // No pidfds: alive by the rule, but nothing can be pinned to
        // signal; still, it is what the file says.
        Pinned::NoPidfd => Ok(PidStatus::Unlocked(pid)),
        Pinned::Not(_) => Ok(PidStatus::Stale(pid)),
    }
}

/// The error that stops a start over a file judged `status`, if any:
/// `LockFailed` for a live holder (with its pid when verified: `holder`
/// is the first verified holder of a
/// [`HeldByOthers`](PidStatus::HeldByOthers) file), a refusal for an
/// untrusted claim or something that is not a pidfile.
pub(crate) fn refusal(status: PidStatus, holder: Option<Pid>) -> Option<Error> {
    match status {
        PidStatus::Running(p) | PidStatus::Unlocked(p) => Some(lock_failed(Some(p))),
        PidStatus::HeldByOthers(_) => Some(lock_failed(holder)),
        PidStatus::Unverified(_) => Some(lock_failed(None)),
        PidStatus::Untrusted(_) => Some(Error::new(ErrorKind::Security, Op::UntrustedPidfile)),
        PidStatus::NotAPidfile => Some(file::not_a_pidfile()),
        _ => None,
    }
}

/// Judges `path`, keeping the first verified holder's pid.
pub(crate) fn judge(path: &CStr) -> Result<(Examined, Option<Pid>)> {
    let mut first = None;
    let examined = examine(path, &mut |h: Holder| {
        first = Some(h.pid());
        ControlFlow::Break(())
    })?;
    Ok((examined, first))
}
