//! Judging what is at a pidfile's path: the whole of
//! [`Pidfile::probe`](crate::Pidfile::probe) and
//! [`Pidfile::holders`](crate::Pidfile::holders), in one place.

use super::PidStatus;
use super::file::{self, Existing, FileId, Opened};
use super::holders::{self, Check, Holder, Pinned};
use super::liveness::{self, Verdict};
use super::parse::MAX_PIDFILE_LEN;
use super::trust;
use crate::error::{Op, Result};
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

/// Opens and judges what is at `path`, handing the processes that may be
/// signalled for it to `visit` (see [`Pidfile::holders`](crate::Pidfile::holders)).
pub(crate) fn examine(
    path: &CStr,
    visit: &mut dyn FnMut(Holder) -> ControlFlow<()>,
) -> Result<Examined> {
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
        status = held(id, named, visit)?;
        if status.is_none() && file::lock_held(&fd)? {
            // Held, yet no process we can see holds it: a holder in another
            // pid namespace, or behind hidepid.
            status = Some(PidStatus::Unverified(named));
        }
    }
    let status = match (status, named) {
        (Some(s), _) => s,
        (None, None) => PidStatus::Invalid,
        (None, Some(pid)) => unlocked(path, &st, pid, visit)?,
    };
    Ok(Examined {
        status,
        opened: Some(Opened { fd, id }),
    })
}

/// A locked file `id` naming `named`: the named process if it is a
/// verified holder, else every verified holder. `None` when no process
/// holds it any more.
fn held(
    id: FileId,
    named: Option<Pid>,
    visit: &mut dyn FnMut(Holder) -> ControlFlow<()>,
) -> Result<Option<PidStatus>> {
    if let Some(pid) = named {
        match holders::pin(pid, id)? {
            Pinned::Holder(h) => {
                let _ = visit(h);
                return Ok(Some(PidStatus::Running(pid)));
            }
            Pinned::NoPidfd | Pinned::Not(Check::Unreadable) => {
                return Ok(Some(PidStatus::Unverified(named)));
            }
            // Gone, or another process now: look for the real holders.
            Pinned::Not(Check::Gone | Check::NotHolder | Check::Holds) => {}
        }
    }
    let scan = holders::scan(id, named, visit)?;
    Ok(if scan.found > 0 {
        Some(PidStatus::HeldByOthers(named))
    } else if scan.unreadable > 0 || scan.no_pidfd {
        Some(PidStatus::Unverified(named))
    } else {
        None
    })
}

/// A file nobody holds locked, naming `pid`: the liveness rule, then the
/// trust rule.
fn unlocked(
    path: &CStr,
    st: &rustix::fs::Stat,
    pid: Pid,
    visit: &mut dyn FnMut(Holder) -> ControlFlow<()>,
) -> Result<PidStatus> {
    let mtime = file::mtime_ns(st);
    if liveness::judge(pid, mtime) == Verdict::Stale {
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
