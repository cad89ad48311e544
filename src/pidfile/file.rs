//! The file-level steps of the protocol: opening and reading an existing
//! file, the lock probe, removal by inode, release and rewrite. No policy
//! here; see the module docs of `pidfile` for how they combine, and
//! `publish.rs` for how a file comes to be.

use super::parse::{MAX_PIDFILE_LEN, parse_pid};
use crate::cstr::{CStrBuf, PATH_MAX, proc_path};
use crate::error::{Context, Error, Op, Result};
use core::ffi::CStr;
use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::fs::{self, AtFlags, FileType, FlockOperation, Mode, OFlags};
use rustix::io::{self, Errno};
use rustix::process::Pid;

/// How often a reader re-reads an empty file, and how long it waits in
/// between (BSD `pidfile_open`: 20 × 5 ms). Only files of other tools are
/// ever empty: daemonry publishes complete files.
const EMPTY_RETRIES: u32 = 20;
const EMPTY_WAIT_NS: i64 = 5_000_000;

/// How often a cleaner retries its exclusive lock while only shared locks
/// (probers, held for microseconds) or a dying holder are in the way, and
/// the wait between.
const CLEAN_RETRIES: u32 = 50;
const CLEAN_WAIT_NS: i64 = 1_000_000;

/// `(st_dev, st_ino)`: what a path or fd names.
pub(crate) type FileId = (u64, u64);

pub(crate) fn file_id(st: &fs::Stat) -> FileId {
    (st.st_dev, st.st_ino)
}

pub(crate) fn mtime_ns(st: &fs::Stat) -> i128 {
    i128::from(st.st_mtime) * 1_000_000_000 + i128::from(st.st_mtime_nsec)
}

/// `"<pid>\n"` in a stack buffer.
pub(crate) struct Content {
    buf: [u8; 12],
    len: usize,
}

impl Content {
    pub(crate) fn new(pid: Pid) -> Content {
        let digits = crate::num::Decimal::new(pid.as_raw_nonzero().get() as u64);
        let d = digits.as_bytes();
        let mut buf = [0u8; 12];
        let len = d.len() + 1;
        if let Some(dst) = buf.get_mut(..d.len()) {
            dst.copy_from_slice(d);
        }
        if let Some(nl) = buf.get_mut(d.len()) {
            *nl = b'\n';
        }
        Content { buf, len }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

/// Sleeps `ns` nanoseconds (less than a second).
pub(crate) fn sleep_ns(ns: i64) {
    let t = rustix::thread::Timespec {
        tv_sec: 0,
        tv_nsec: ns,
    };
    let _ = rustix::thread::nanosleep(&t);
}

/// Writes all of `buf` at the file offset.
pub(crate) fn write_all<Fd: AsFd>(fd: Fd, mut buf: &[u8]) -> core::result::Result<(), Errno> {
    while !buf.is_empty() {
        match io::retry_on_intr(|| io::write(&fd, buf))? {
            0 => return Err(Errno::NOSPC),
            n => buf = buf.get(n..).unwrap_or(&[]),
        }
    }
    Ok(())
}

/// Reads from offset 0 until EOF or until `buf` is full. A short read of
/// a regular file means end of file, so one `pread` is the usual cost.
fn read_all<Fd: AsFd>(fd: Fd, buf: &mut [u8]) -> core::result::Result<&[u8], Errno> {
    let mut len = 0;
    loop {
        let rest = match buf.get_mut(len..) {
            Some(r) if !r.is_empty() => r,
            _ => break,
        };
        let want = rest.len();
        match io::retry_on_intr(|| io::pread(&fd, &mut *rest, len as u64))? {
            0 => break,
            n => {
                len += n;
                if n < want {
                    break;
                }
            }
        }
    }
    Ok(buf.get(..len).unwrap_or(&[]))
}

/// The pidfile's contents, read from `fd` (at most [`MAX_PIDFILE_LEN`] + 1
/// bytes, so an over-long file shows as too long without reading it all).
/// An empty file is re-read a few times, 5 ms apart: another tool may have
/// created it and not yet written it.
pub(crate) fn read_settled<Fd: AsFd>(fd: Fd, buf: &mut [u8; MAX_PIDFILE_LEN + 1]) -> Result<&[u8]> {
    let mut n = read_all(&fd, buf).ctx(Op::ReadPidfile)?.len();
    let mut tries = 0;
    while n == 0 && tries < EMPTY_RETRIES {
        sleep_ns(EMPTY_WAIT_NS);
        n = read_all(&fd, buf).ctx(Op::ReadPidfile)?.len();
        tries += 1;
    }
    Ok(buf.get(..n).unwrap_or(&[]))
}

/// `/proc/sys/kernel/pid_max`, when it can be read.
fn pid_max() -> Option<u32> {
    let mut buf = [0u8; 16];
    let s = crate::procfs::read_file(c"/proc/sys/kernel/pid_max", &mut buf).ok()?;
    crate::num::parse_u32(s.strip_suffix(b"\n").unwrap_or(s))
}

/// [`parse_pid`] plus the live `kernel.pid_max` bound.
pub(crate) fn parse_checked(contents: &[u8]) -> Result<Pid> {
    let pid = parse_pid(contents)?;
    match pid_max() {
        Some(max) if pid.as_raw_nonzero().get() as u32 > max => {
            Err(Error::invalid(Op::ParsePid).with_input(contents))
        }
        _ => Ok(pid),
    }
}

/// The error for a symlink where the pidfile should be.
pub(crate) fn symlink_error() -> Error {
    Error::os(Op::OpenPidfile, Errno::LOOP)
}

/// The error for something at the path that is not a pidfile.
pub(crate) fn not_a_pidfile() -> Error {
    Error::invalid(Op::NotAPidfile)
}

/// What is at a pidfile's path.
pub(crate) enum Existing {
    /// Nothing.
    Absent,
    /// Something that is not a regular file (a directory, FIFO, socket,
    /// device): never a pidfile.
    Foreign,
    /// A regular file, open for reading, and its `fstat`.
    File(OwnedFd, fs::Stat),
}

/// Opens what is at `path` for reading, never through a symlink and never
/// blocking (a FIFO planted at the path is not waited on). The description
/// is marked as a cleaner's (`O_APPEND`, meaningless for reading): a
/// prober may take its exclusive lock to remove a stale file, and holder
/// verification must not mistake that for a holder.
pub(crate) fn open_existing(path: &CStr) -> Result<Existing> {
    let flags = OFlags::RDONLY | OFlags::APPEND | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let flags = flags | OFlags::NONBLOCK;
    let fd = match fs::openat(fs::CWD, path, flags | OFlags::NOCTTY, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(Existing::Absent),
        Err(Errno::LOOP) => return Err(symlink_error()),
        // A socket.
        Err(Errno::NXIO) => return Ok(Existing::Foreign),
        Err(e) => return Err(Error::os(Op::OpenPidfile, e)),
    };
    let st = fs::fstat(&fd).ctx(Op::StatPidfile)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Ok(Existing::Foreign);
    }
    Ok(Existing::File(fd, st))
}

/// Whether anyone holds the exclusive lock of the open file `fd`.
///
/// A shared lock tells, without excluding other probers. It is dropped at
/// once: a cleaner that meets it retries (see `remove_by_inode`).
pub(crate) fn lock_held(fd: &OwnedFd) -> Result<bool> {
    match fs::flock(fd, FlockOperation::NonBlockingLockShared) {
        Ok(()) => {
            fs::flock(fd, FlockOperation::Unlock).ctx(Op::LockPidfile)?;
            Ok(false)
        }
        Err(Errno::WOULDBLOCK) => Ok(true),
        Err(e) => Err(Error::os(Op::LockPidfile, e)),
    }
}

/// An existing file we opened and judged.
pub(crate) struct Opened {
    pub(crate) fd: OwnedFd,
    pub(crate) id: FileId,
}

/// How a removal by inode ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Removal {
    /// We unlinked it.
    Removed,
    /// The path no longer names that file (someone else removed or
    /// replaced it).
    Gone,
    /// Someone holds its exclusive lock: a live holder, or another cleaner.
    Busy,
}

/// Takes the exclusive lock of `fd` without blocking; while only shared
/// locks (probers) are in the way, or `patient` (a dying holder is about
/// to let go), retries for up to 50 ms. `false` when it stays taken.
fn lock_exclusive(fd: &OwnedFd, patient: bool) -> Result<bool> {
    let mut tries = 0;
    loop {
        match fs::flock(fd, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(true),
            Err(Errno::WOULDBLOCK) => {}
            Err(e) => return Err(Error::os(Op::LockPidfile, e)),
        }
        if !patient {
            // Exclusive refused. If a shared lock is granted, only probers
            // are in the way (holders and cleaners lock exclusively).
            match fs::flock(fd, FlockOperation::NonBlockingLockShared) {
                Ok(()) => fs::flock(fd, FlockOperation::Unlock).ctx(Op::LockPidfile)?,
                Err(Errno::WOULDBLOCK) => return Ok(false),
                Err(e) => return Err(Error::os(Op::LockPidfile, e)),
            }
        }
        tries += 1;
        if tries >= CLEAN_RETRIES {
            return Ok(false);
        }
        sleep_ns(CLEAN_WAIT_NS);
    }
}

/// Whether `path` (not followed if a symlink) names file `id`.
pub(crate) fn names(path: &CStr, id: FileId) -> Result<bool> {
    match fs::statat(fs::CWD, path, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(file_id(&st) == id),
        Err(Errno::NOENT) => Ok(false),
        Err(e) => Err(Error::os(Op::StatPidfile, e)),
    }
}

/// Unlinks `path` if it still names file `id`, whose lock the caller
/// holds (so nobody following the protocol can replace it in between).
pub(crate) fn unlink_if_ours(path: &CStr, id: FileId) -> Result<bool> {
    match fs::statat(fs::CWD, path, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) if file_id(&st) == id => {}
        Ok(_) | Err(Errno::NOENT) => return Ok(false),
        Err(e) => return Err(Error::os(Op::StatPidfile, e)),
    }
    match fs::unlinkat(fs::CWD, path, AtFlags::empty()) {
        Ok(()) => Ok(true),
        Err(Errno::NOENT) => Ok(false),
        Err(e) => Err(Error::os(Op::RemovePidfile, e)),
    }
}

/// Removes the file `opened` refers to, but only if we can take its
/// exclusive lock and the path still names that same file.
pub(crate) fn remove_by_inode(path: &CStr, opened: &Opened) -> Result<Removal> {
    if !lock_exclusive(&opened.fd, false)? {
        return Ok(Removal::Busy);
    }
    // With its lock held nobody following the protocol can unlink or
    // replace this file, so the check and the unlink cannot be separated
    // by a winner's fresh file.
    match unlink_if_ours(path, opened.id)? {
        true => Ok(Removal::Removed),
        false => Ok(Removal::Gone),
    }
}

/// Removes the pidfile a daemon published at `path` as file `id` and
/// could not remove itself (it dropped privileges, then failed): only if
/// the path still names that file and nobody holds its lock. A daemon
/// that is dying may still hold it for a moment: up to 50 ms are allowed.
pub(crate) fn remove_abandoned(path: &CStr, id: FileId) -> Result<bool> {
    let Existing::File(fd, st) = open_existing(path)? else {
        return Ok(false);
    };
    if file_id(&st) != id || !lock_exclusive(&fd, true)? {
        return Ok(false);
    }
    unlink_if_ours(path, id)
}

/// Reads our own locked file through its fd and tells whether it still
/// holds `pid`.
pub(crate) fn holds_pid(fd: &OwnedFd, pid: Pid) -> Result<bool> {
    let mut buf = [0u8; MAX_PIDFILE_LEN + 1];
    let contents = read_all(fd, &mut buf).ctx(Op::ReadPidfile)?;
    Ok(parse_pid(contents).ok() == Some(pid))
}

/// Opens our locked file (held read-only through `fd`, as file `id`) for
/// writing: through `/proc/self/fd/N`, which names exactly that file, or
/// without `/proc` through `path`, which must still name it. Fails with
/// `EACCES` once the process lost the right to write it (a dropped
/// daemon): the lock never gives write access by itself.
fn open_for_write(fd: &OwnedFd, id: FileId, path: &CStr) -> Result<OwnedFd> {
    let flags = OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
    let mut proc = proc_path(None, b"fd/");
    proc.push_num(fd.as_raw_fd() as u64);
    let proc = proc.as_cstr().ctx(Op::WritePidfile)?;
    let w = match fs::open(proc, flags, Mode::empty()) {
        Ok(w) => w,
        Err(Errno::NOENT) => fs::openat(fs::CWD, path, flags | OFlags::NOFOLLOW, Mode::empty())
            .ctx(Op::WritePidfile)?,
        Err(e) => return Err(Error::os(Op::WritePidfile, e)),
    };
    if file_id(&fs::fstat(&w).ctx(Op::WritePidfile)?) != id {
        return Err(Error::os(Op::WritePidfile, Errno::STALE));
    }
    Ok(w)
}

/// Rewrites our locked file in place with `content` (after a fork).
pub(crate) fn rewrite(fd: &OwnedFd, id: FileId, path: &CStr, content: &[u8]) -> Result<()> {
    let w = open_for_write(fd, id, path)?;
    let mut off = 0usize;
    while let Some(rest) = content.get(off..).filter(|r| !r.is_empty()) {
        match io::retry_on_intr(|| io::pwrite(&w, rest, off as u64)).ctx(Op::WritePidfile)? {
            0 => return Err(Error::os(Op::WritePidfile, Errno::NOSPC)),
            n => off += n,
        }
    }
    fs::ftruncate(&w, content.len() as u64).ctx(Op::WritePidfile)
}

/// The directory part and the final component of a path.
pub(crate) fn dir_and_name(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().rposition(|&b| b == b'/') {
        Some(0) => (b"/", bytes.get(1..).unwrap_or(&[])),
        Some(i) => (
            bytes.get(..i).unwrap_or(&[]),
            bytes.get(i + 1..).unwrap_or(&[]),
        ),
        None => (b".", bytes),
    }
}

/// `InvalidInput` unless `path` can name a file we publish: not empty, and
/// a final component other than empty (`"/run/"`), `.` or `..`.
pub(crate) fn check_path(path: &CStr) -> Result<()> {
    let bytes = path.to_bytes();
    match dir_and_name(bytes).1 {
        b"" | b"." | b".." => Err(Error::invalid(Op::PidfilePath).with_input(bytes)),
        _ => Ok(()),
    }
}

/// The directory of `path` as a C string in a stack buffer, and the final
/// component.
pub(crate) fn split(path: &CStr) -> Result<(CStrBuf<PATH_MAX>, &[u8])> {
    check_path(path)?;
    let (dir, name) = dir_and_name(path.to_bytes());
    let mut d = CStrBuf::new();
    d.push(dir);
    Ok((d, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_format() {
        let c = Content::new(Pid::from_raw(1816).unwrap());
        assert_eq!(c.as_bytes(), b"1816\n");
        let c = Content::new(Pid::from_raw(i32::MAX).unwrap());
        assert_eq!(c.as_bytes(), b"2147483647\n");
    }

    #[test]
    fn splits_paths() {
        let (d, n) = split(c"/run/x.pid").unwrap();
        assert_eq!(
            (d.as_cstr().unwrap().to_bytes(), n),
            (&b"/run"[..], &b"x.pid"[..])
        );
        let (d, n) = split(c"/x.pid").unwrap();
        assert_eq!(
            (d.as_cstr().unwrap().to_bytes(), n),
            (&b"/"[..], &b"x.pid"[..])
        );
        let (d, n) = split(c"x.pid").unwrap();
        assert_eq!(
            (d.as_cstr().unwrap().to_bytes(), n),
            (&b"."[..], &b"x.pid"[..])
        );
        for bad in [c"", c"/", c"/run/", c"a/..", c"."] {
            assert!(split(bad).is_err(), "{bad:?}");
        }
    }
}
