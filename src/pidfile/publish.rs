//! Publishing a pidfile atomically, under its real name, locked through a
//! read-only description; and removing the temporary names that crashed
//! writers left behind.
//!
//! A new pidfile is written under `.<name>.<pid>.<seq>.tmp` beside the
//! path, opened a second time read-only, locked through that read-only
//! description, and renamed onto the path with `RENAME_NOREPLACE`. So:
//!
//! - the path never names an empty, partial or unlocked file, and a lost
//!   race is `EEXIST`, as with celery's `O_EXCL`;
//! - the locked fd's dentry *is* the renamed one, so `/proc/<pid>/fd` and
//!   `lsof` show the pidfile's real path;
//! - the fd that holds the lock (and that an `exec`ed daemon inherits)
//!   cannot write the file: the writable fd is closed before the rename.
//!
//! Where `renameat2(RENAME_NOREPLACE)` is refused (`EINVAL`: some network
//! and FUSE filesystems), the temporary name is hard-linked at the path and
//! then unlinked: just as exclusive, but the fd then shows the temporary
//! name, `(deleted)`.

use super::file::{self, FileId, check_path, dir_and_name, split, write_all};
use super::liveness::{self, Verdict};
use crate::cstr::{CStrBuf, PATH_MAX};
use crate::error::{Context, Error, Op, Result};
use core::ffi::CStr;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU32, Ordering};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{self, AtFlags, FileType, FlockOperation, Mode, OFlags, RawDir, RenameFlags};
use rustix::io::Errno;
use rustix::process::{self, Pid};

/// Mode of a new pidfile before the umask: readable and writable by its
/// owner only (BSD `pidfile(3)`'s default), so that no other user can open
/// it—and so none can hold its lock (a squatter) or be mistaken for its
/// holder; plus [`MARK`].
pub(crate) const MODE: u32 = 0o600 | MARK;

/// The mark of a daemonry pidfile: the sticky bit, which means nothing on
/// a regular file to Linux and which no other tool sets. Its holders keep
/// its lock for life, so a marked file nobody holds is stale, whatever
/// process its pid now names (a recycled pid is never taken for the
/// daemon). `ls -l` shows it as a `T`.
pub(crate) const MARK: u32 = linux_raw_sys::general::S_ISVTX;

/// Attempts at a temporary name before giving up: each retry means a
/// leftover of an earlier process with our pid was removed, or a sweeper
/// removed our fresh temporary file.
const ATTEMPTS: u32 = 8;

/// A file we created, wrote, locked exclusively and published; `fd` is
/// read-only.
pub(crate) struct Published {
    pub(crate) fd: OwnedFd,
    pub(crate) id: FileId,
}

/// How a publish ended.
pub(crate) enum Publish {
    /// The path now names our complete, locked file.
    Done(Published),
    /// Something already exists at the path (a lost race, an existing
    /// pidfile, or a symlink—which is never followed).
    Exists,
}

/// What one attempt at a temporary name gave.
enum Step {
    Done(Published),
    Exists,
    /// The temporary name was taken by a leftover (now removed) or our
    /// file vanished under a sweeper: try a fresh name.
    Retry,
}

/// Sequence number for temporary names (with the pid, unique per process).
static TEMP_SEQ: AtomicU32 = AtomicU32::new(0);

/// `<dir>/.<name>.<pid>.<seq>.tmp`.
fn temp_name(dir: &[u8], name: &[u8], pid: Pid, seq: u32) -> CStrBuf<PATH_MAX> {
    let mut tmp = CStrBuf::new();
    if dir != b"." {
        tmp.push(dir);
        if dir != b"/" {
            tmp.push(b"/");
        }
    }
    tmp.push(b".")
        .push(name)
        .push(b".")
        .push_num(pid.as_raw_nonzero().get() as u64)
        .push(b".")
        .push_num(u64::from(seq))
        .push(b".tmp");
    tmp
}

/// The writer's pid in a temporary name of `name`
/// (`.<name>.<pid>.<seq>.tmp`), or `None` if `entry` is not one.
pub(crate) fn temp_writer(entry: &[u8], name: &[u8]) -> Option<Pid> {
    let rest = entry.strip_prefix(b".")?.strip_prefix(name)?;
    let rest = rest.strip_prefix(b".")?.strip_suffix(b".tmp")?;
    let dot = rest.iter().position(|&b| b == b'.')?;
    let (pid, seq) = (rest.get(..dot)?, rest.get(dot + 1..)?);
    crate::num::parse_u32(seq)?;
    let pid = crate::num::parse_u32(pid)?;
    Pid::from_raw(i32::try_from(pid).ok()?)
}

/// Makes `path` name a complete file holding `content` (the pid `pid`),
/// locked exclusively through a read-only fd, atomically. Fails with
/// [`Publish::Exists`] exactly where celery's `O_EXCL` would.
pub(crate) fn publish(path: &CStr, pid: Pid, content: &[u8]) -> Result<Publish> {
    check_path(path)?;
    let (dir, name) = dir_and_name(path.to_bytes());
    for _ in 0..ATTEMPTS {
        let seq = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
        let tmp = temp_name(dir, name, pid, seq);
        let tmp = tmp.as_cstr().ctx(Op::CreatePidfile)?;
        match attempt(tmp, path, content)? {
            Step::Done(p) => return Ok(Publish::Done(p)),
            Step::Exists => return Ok(Publish::Exists),
            Step::Retry => {}
        }
    }
    Err(Error::os(Op::CreatePidfile, Errno::EXIST))
}

/// One publish through temporary name `tmp`.
fn attempt(tmp: &CStr, path: &CStr, content: &[u8]) -> Result<Step> {
    let create = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
    let create = create | OFlags::CLOEXEC | OFlags::NOCTTY;
    let mut cleared = false;
    let w = loop {
        match fs::openat(fs::CWD, tmp, create, Mode::from_raw_mode(MODE)) {
            Ok(fd) => break fd,
            // A leftover of an earlier process that had our pid (we are the
            // only live one), or of this one before an `exec`: its writer
            // is dead. Remove it and take the name.
            Err(Errno::EXIST) if !cleared => {
                let _ = fs::unlinkat(fs::CWD, tmp, AtFlags::empty());
                cleared = true;
            }
            Err(Errno::EXIST) => return Ok(Step::Retry),
            Err(e) => return Err(Error::os(Op::CreatePidfile, e)),
        }
    };
    let unlink_tmp = || {
        let _ = fs::unlinkat(fs::CWD, tmp, AtFlags::empty());
    };
    let locked = match lock_read_only(w, tmp, content) {
        Ok(Some(p)) => p,
        Ok(None) => {
            unlink_tmp();
            return Ok(Step::Retry);
        }
        Err(e) => {
            unlink_tmp();
            return Err(e);
        }
    };
    match fs::renameat_with(fs::CWD, tmp, fs::CWD, path, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(Step::Done(locked)),
        Err(Errno::EXIST) => {
            unlink_tmp();
            Ok(Step::Exists)
        }
        // Swept away by a cleaner that took us for a crashed writer.
        Err(Errno::NOENT) => Ok(Step::Retry),
        // No RENAME_NOREPLACE here: a hard link is just as exclusive.
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
            let linked = fs::linkat(fs::CWD, tmp, fs::CWD, path, AtFlags::empty());
            unlink_tmp();
            match linked {
                Ok(()) => Ok(Step::Done(locked)),
                Err(Errno::EXIST) => Ok(Step::Exists),
                Err(e) => Err(Error::os(Op::PublishPidfile, e)),
            }
        }
        Err(e) => {
            unlink_tmp();
            Err(Error::os(Op::PublishPidfile, e))
        }
    }
}

/// Writes `content` through `w`, opens `tmp` again read-only, locks that
/// description and closes `w`. `None` when `tmp` vanished in between.
fn lock_read_only(w: OwnedFd, tmp: &CStr, content: &[u8]) -> Result<Option<Published>> {
    write_all(&w, content).ctx(Op::WritePidfile)?;
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = match fs::openat(fs::CWD, tmp, flags | OFlags::NOCTTY, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(Error::os(Op::CreatePidfile, e)),
    };
    drop(w);
    fs::flock(&fd, FlockOperation::NonBlockingLockExclusive).ctx(Op::LockPidfile)?;
    let st = fs::fstat(&fd).ctx(Op::StatPidfile)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        // Someone swapped the temporary name under us.
        return Err(Error::os(Op::CreatePidfile, Errno::STALE));
    }
    Ok(Some(Published {
        fd,
        id: file::file_id(&st),
    }))
}

/// Removes the temporary names of `path` (`.<name>.<pid>.<seq>.tmp` in
/// its directory) whose writer is provably gone: no such process, a
/// zombie, or a process that started after the name was written (pid
/// reuse). Our own are left to [`publish`], which removes them on sight.
/// Best effort: what cannot be read or removed is left. Returns how many
/// were removed.
pub(crate) fn sweep_litter(path: &CStr) -> usize {
    let Ok((dir, name)) = split(path) else {
        return 0;
    };
    let Ok(dir) = dir.as_cstr() else {
        return 0;
    };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let Ok(dirfd) = fs::openat(fs::CWD, dir, flags, Mode::empty()) else {
        return 0;
    };
    let me = process::getpid();
    let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
    let mut entries = RawDir::new(dirfd.as_fd(), &mut buf);
    let mut removed = 0;
    while let Some(Ok(entry)) = entries.next() {
        let fname = entry.file_name();
        let Some(writer) = temp_writer(fname.to_bytes(), name) else {
            continue;
        };
        if writer == me {
            continue;
        }
        let Ok(st) = fs::statat(&dirfd, fname, AtFlags::SYMLINK_NOFOLLOW) else {
            continue;
        };
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            continue;
        }
        if liveness::judge(writer, file::mtime_ns(&st)) == Verdict::Stale
            && fs::unlinkat(&dirfd, fname, AtFlags::empty()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_round_trip() {
        let pid = Pid::from_raw(4242).unwrap();
        let t = temp_name(b"/run", b"app.pid", pid, 7);
        assert_eq!(t.as_bytes(), b"/run/.app.pid.4242.7.tmp");
        assert_eq!(temp_name(b"/", b"a", pid, 0).as_bytes(), b"/.a.4242.0.tmp");
        assert_eq!(temp_name(b".", b"a", pid, 0).as_bytes(), b".a.4242.0.tmp");
        assert_eq!(temp_writer(b".app.pid.4242.7.tmp", b"app.pid"), Some(pid));
        for other in [
            &b"app.pid"[..],
            b".app.pid.4242.tmp",
            b".app.pid.x.7.tmp",
            b".app.pid.4242.7.tmpx",
            b".other.pid.4242.7.tmp",
            b".app.pid.0.7.tmp",
            b".app.pid.99999999999.7.tmp",
        ] {
            assert_eq!(temp_writer(other, b"app.pid"), None, "{other:?}");
        }
    }
}
