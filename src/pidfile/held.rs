//! [`Held`]: a held pidfile lock—the locked fd, which file it is, and
//! which process took it—shared by [`Pidfile`](super::Pidfile) and
//! [`PidLock`](super::PidLock).

use super::file::{self, Content};
use crate::error::{Context, Op, Result};
use core::ffi::CStr;
use rustix::fd::OwnedFd;
use rustix::io::{self, FdFlags};
use rustix::process::{self, Pid};

/// Our lock: the locked fd, which file it is, and which process took it.
pub(crate) struct Held {
    pub(crate) fd: OwnedFd,
    pub(crate) id: file::FileId,
    pub(crate) pid: Pid,
}

impl Held {
    /// Whether the calling process is the one that took (or last rewrote)
    /// the lock; a copy inherited through `fork` is not.
    pub(crate) fn is_ours(&self) -> bool {
        self.pid == process::getpid()
    }

    /// The unlink half of a release: removes `path` if it still names our
    /// file and the file still holds our pid, in the process that owns the
    /// lock. The caller closes the fd afterwards, which drops the lock: the
    /// path never names our file unlocked.
    pub(crate) fn unlink(&self, path: &CStr) -> Result<()> {
        if !self.is_ours() || !file::holds_pid(&self.fd, self.pid)? {
            return Ok(());
        }
        file::unlink_if_ours(path, self.id).map(drop)
    }

    /// Rewrites the locked file (at `path`) with the calling process's pid.
    pub(crate) fn write_pid(&mut self, path: &CStr) -> Result<()> {
        let pid = process::getpid();
        file::rewrite(&self.fd, self.id, path, Content::new(pid).as_bytes())?;
        self.pid = pid;
        Ok(())
    }

    /// Sets or clears `FD_CLOEXEC` on the locked fd.
    pub(crate) fn set_inheritable(&self, inheritable: bool) -> Result<()> {
        let mut flags = io::fcntl_getfd(&self.fd).ctx(Op::Fcntl)?;
        flags.set(FdFlags::CLOEXEC, !inheritable);
        io::fcntl_setfd(&self.fd, flags).ctx(Op::Fcntl)
    }
}
