//! The file-level steps of the protocol: atomic publish, read-back,
//! examining an existing file, and removal by inode. No policy here; see
//! the module docs of `pidfile` for how they combine.

use super::PidStatus;
use super::liveness::{self, Verdict};
use super::parse::{MAX_PIDFILE_LEN, parse_pid};
use crate::cstr::{CStrBuf, PATH_MAX, proc_path};
use crate::error::Op;
use crate::error::{Context, Error, Result};
use core::ffi::CStr;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::fs::{self, AtFlags, FileType, FlockOperation, Mode, OFlags, RenameFlags};
use rustix::io::{self, Errno};
use rustix::process::Pid;

/// Mode of a new pidfile before the umask.
const MODE: u32 = 0o644;

/// How often a reader re-reads an empty file, and how long it waits in
/// between (BSD `pidfile_open`: 20 × 5 ms). Only files of other tools are
/// ever empty: daemonry publishes complete files.
const EMPTY_RETRIES: u32 = 20;
const EMPTY_WAIT_NS: i64 = 5_000_000;

/// How often a cleaner retries its exclusive lock while only shared locks
/// (probers, held for microseconds) are in the way, and the wait between.
const CLEAN_RETRIES: u32 = 50;
const CLEAN_WAIT_NS: i64 = 1_000_000;

/// `(st_dev, st_ino)`: what a path or fd names.
pub(crate) type FileId = (u64, u64);

fn file_id(st: &fs::Stat) -> FileId {
    (st.st_dev, st.st_ino)
}

fn mtime_ns(st: &fs::Stat) -> i128 {
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
fn sleep_ns(ns: i64) {
    let t = rustix::thread::Timespec {
        tv_sec: 0,
        tv_nsec: ns,
    };
    let _ = rustix::thread::nanosleep(&t);
}

fn write_all<Fd: AsFd>(fd: Fd, mut buf: &[u8]) -> core::result::Result<(), Errno> {
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

/// Opens an existing pidfile for reading, never through a symlink and
/// never blocking (a FIFO planted at the path is refused, not waited on).
/// `None` when the path does not exist.
pub(crate) fn open_existing(path: &CStr) -> Result<Option<(OwnedFd, fs::Stat)>> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = match fs::openat(fs::CWD, path, flags | OFlags::NOCTTY, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(Errno::LOOP) => return Err(symlink_error()),
        Err(e) => return Err(Error::os(Op::OpenPidfile, e)),
    };
    let st = fs::fstat(&fd).ctx(Op::StatPidfile)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(Error::invalid(Op::OpenPidfile));
    }
    Ok(Some((fd, st)))
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

/// Opens and judges the file at `path`: the whole of
/// [`Pidfile::probe`](crate::Pidfile::probe), returning the open file too
/// so that a stale one can be removed by inode.
pub(crate) fn examine(path: &CStr) -> Result<(PidStatus, Option<Opened>)> {
    let Some((fd, st)) = open_existing(path)? else {
        return Ok((PidStatus::Absent, None));
    };
    let held = lock_held(&fd)?;
    let mut buf = [0u8; MAX_PIDFILE_LEN + 1];
    let parsed = parse_checked(read_settled(&fd, &mut buf)?);
    let status = match (held, parsed) {
        (true, parsed) => PidStatus::Held(parsed.ok()),
        (false, Err(_)) => PidStatus::Invalid,
        (false, Ok(pid)) => match liveness::judge(pid, mtime_ns(&st)) {
            Verdict::Alive => PidStatus::Running(pid),
            Verdict::Stale => PidStatus::Stale(pid),
        },
    };
    let id = file_id(&st);
    Ok((status, Some(Opened { fd, id })))
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

/// Removes the file `opened` refers to, but only if we can take its
/// exclusive lock and the path still names that same file.
pub(crate) fn remove_by_inode(path: &CStr, opened: &Opened) -> Result<Removal> {
    let mut tries = 0;
    loop {
        match fs::flock(&opened.fd, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => break,
            Err(Errno::WOULDBLOCK) => {}
            Err(e) => return Err(Error::os(Op::LockPidfile, e)),
        }
        // Exclusive refused. If a shared lock is granted, only probers are
        // in the way (holders and cleaners lock exclusively): wait a little.
        match fs::flock(&opened.fd, FlockOperation::NonBlockingLockShared) {
            Ok(()) => fs::flock(&opened.fd, FlockOperation::Unlock).ctx(Op::LockPidfile)?,
            Err(Errno::WOULDBLOCK) => return Ok(Removal::Busy),
            Err(e) => return Err(Error::os(Op::LockPidfile, e)),
        }
        tries += 1;
        if tries >= CLEAN_RETRIES {
            return Ok(Removal::Busy);
        }
        sleep_ns(CLEAN_WAIT_NS);
    }
    // With its lock held nobody following the protocol can unlink or
    // replace this file, so the check and the unlink cannot be separated
    // by a winner's fresh file.
    match fs::statat(fs::CWD, path, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) if file_id(&st) == opened.id => {}
        Ok(_) | Err(Errno::NOENT) => return Ok(Removal::Gone),
        Err(e) => return Err(Error::os(Op::StatPidfile, e)),
    }
    match fs::unlinkat(fs::CWD, path, AtFlags::empty()) {
        Ok(()) => Ok(Removal::Removed),
        Err(Errno::NOENT) => Ok(Removal::Gone),
        Err(e) => Err(Error::os(Op::RemovePidfile, e)),
    }
}

/// A file we created, wrote, synced and locked exclusively.
pub(crate) struct Published {
    pub(crate) fd: OwnedFd,
    pub(crate) id: FileId,
}

/// The directory part and the final component of a path.
fn dir_and_name(bytes: &[u8]) -> (&[u8], &[u8]) {
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
fn split(path: &CStr) -> Result<(CStrBuf<PATH_MAX>, &[u8])> {
    check_path(path)?;
    let (dir, name) = dir_and_name(path.to_bytes());
    let mut d = CStrBuf::new();
    d.push(dir);
    Ok((d, name))
}

/// Writes, syncs, locks and identifies a new file.
fn prepare(fd: OwnedFd, content: &[u8]) -> Result<Published> {
    write_all(&fd, content).ctx(Op::WritePidfile)?;
    fs::fsync(&fd).ctx(Op::WritePidfile)?;
    fs::flock(&fd, FlockOperation::NonBlockingLockExclusive).ctx(Op::LockPidfile)?;
    let st = fs::fstat(&fd).ctx(Op::StatPidfile)?;
    Ok(Published {
        fd,
        id: file_id(&st),
    })
}

/// How a publish attempt ended.
pub(crate) enum Publish {
    /// The path now names our complete, locked file.
    Done(Published),
    /// Something already exists at the path (a lost race, an existing
    /// pidfile, or a symlink — which is never followed).
    Exists,
}

/// Makes `path` name a complete, fsynced, exclusively locked file holding
/// `content`, atomically: the path never names an empty or unlocked file of
/// ours. Fails with [`Publish::Exists`] exactly where celery's `O_EXCL`
/// would.
pub(crate) fn publish(path: &CStr, content: &[u8]) -> Result<Publish> {
    let (dir, name) = split(path)?;
    let dir_c = dir.as_cstr().ctx(Op::PidfileDir)?;
    let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
    match fs::openat(fs::CWD, dir_c, flags, Mode::from_raw_mode(MODE)) {
        Ok(fd) => {
            let file = prepare(fd, content)?;
            match link_tmpfile(&file.fd, path)? {
                Some(true) => return Ok(Publish::Done(file)),
                Some(false) => return Ok(Publish::Exists),
                None => {} // No way to link it: fall back.
            }
        }
        // EOPNOTSUPP: the filesystem has no O_TMPFILE. EISDIR/EINVAL:
        // kernels before 3.11 see O_DIRECTORY|O_RDWR.
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => {}
        Err(e) => return Err(Error::os(Op::CreatePidfile, e)),
    }
    publish_named(dir_c, name, path, content)
}

/// Set once `linkat(AT_EMPTY_PATH)` has been refused for lack of
/// privilege (an atomic flag: no lock, safe after fork).
static EMPTY_PATH_REFUSED: AtomicBool = AtomicBool::new(false);

/// Links an `O_TMPFILE` file at `path`: `Some(true)` done, `Some(false)`
/// the path exists, `None` when neither route is available.
fn link_tmpfile(fd: &OwnedFd, path: &CStr) -> Result<Option<bool>> {
    // `AT_EMPTY_PATH` needs CAP_DAC_READ_SEARCH (root, typically); others
    // get ENOENT and go through /proc. A refusal is remembered, so an
    // unprivileged process pays for it once.
    if !EMPTY_PATH_REFUSED.load(Ordering::Relaxed) {
        match fs::linkat(fd, c"", fs::CWD, path, AtFlags::EMPTY_PATH) {
            Ok(()) => return Ok(Some(true)),
            Err(Errno::EXIST) => return Ok(Some(false)),
            Err(Errno::NOENT) => EMPTY_PATH_REFUSED.store(true, Ordering::Relaxed),
            Err(_) => {}
        }
    }
    let mut proc = proc_path(None, b"fd/");
    proc.push_num(fd.as_raw_fd() as u64);
    let proc = proc.as_cstr().ctx(Op::PublishPidfile)?;
    match fs::linkat(fs::CWD, proc, fs::CWD, path, AtFlags::SYMLINK_FOLLOW) {
        Ok(()) => Ok(Some(true)),
        Err(Errno::EXIST) => Ok(Some(false)),
        // No /proc mounted.
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(Error::os(Op::PublishPidfile, e)),
    }
}

/// Sequence number for temporary names (with the pid, unique per process;
/// `O_EXCL` makes any collision harmless).
static TEMP_SEQ: AtomicU32 = AtomicU32::new(0);

/// The fallback publish: `.<name>.<pid>.<seq>.tmp` beside the pidfile,
/// written, synced and locked, then hard-linked at `path` (`EEXIST` if
/// taken; `renameat2(RENAME_NOREPLACE)` where hard links are not
/// supported) and its temporary name removed. A crash in between can leave
/// the temporary name behind; it never blocks a start.
fn publish_named(dir: &CStr, name: &[u8], path: &CStr, content: &[u8]) -> Result<Publish> {
    let pid = rustix::process::getpid().as_raw_nonzero().get() as u64;
    let mut tries = 0;
    let (fd, tmp) = loop {
        let mut tmp = CStrBuf::<PATH_MAX>::new();
        if dir.to_bytes() != b"." {
            tmp.push(dir.to_bytes());
            if dir.to_bytes() != b"/" {
                tmp.push(b"/");
            }
        }
        tmp.push(b".")
            .push(name)
            .push(b".")
            .push_num(pid)
            .push(b".");
        tmp.push_num(u64::from(TEMP_SEQ.fetch_add(1, Ordering::Relaxed)));
        tmp.push(b".tmp");
        let flags = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
        let c = tmp.as_cstr().ctx(Op::CreatePidfile)?;
        match fs::openat(
            fs::CWD,
            c,
            flags | OFlags::CLOEXEC,
            Mode::from_raw_mode(MODE),
        ) {
            Ok(fd) => break (fd, tmp),
            Err(Errno::EXIST) if tries < 8 => tries += 1,
            Err(e) => return Err(Error::os(Op::CreatePidfile, e)),
        }
    };
    let tmp = tmp.as_cstr().ctx(Op::CreatePidfile)?;
    let unlink_tmp = || {
        let _ = fs::unlinkat(fs::CWD, tmp, AtFlags::empty());
    };
    let file = match prepare(fd, content) {
        Ok(f) => f,
        Err(e) => {
            unlink_tmp();
            return Err(e);
        }
    };
    let outcome = match fs::linkat(fs::CWD, tmp, fs::CWD, path, AtFlags::empty()) {
        Ok(()) => Ok(Publish::Done(file)),
        Err(Errno::EXIST) => Ok(Publish::Exists),
        // No hard links here (EPERM: e.g. vfat; EMLINK; EOPNOTSUPP):
        // renaming without replacement is just as exclusive.
        Err(Errno::PERM | Errno::OPNOTSUPP | Errno::MLINK) => {
            match fs::renameat_with(fs::CWD, tmp, fs::CWD, path, RenameFlags::NOREPLACE) {
                Ok(()) => return Ok(Publish::Done(file)),
                Err(Errno::EXIST) => Ok(Publish::Exists),
                Err(e) => Err(Error::os(Op::PublishPidfile, e)),
            }
        }
        Err(e) => Err(Error::os(Op::PublishPidfile, e)),
    };
    unlink_tmp();
    outcome
}

/// Reads the file back: the path (not followed if a symlink) must name our
/// file, `(st_dev, st_ino)`, and that file must hold our content. The
/// contents are read through our own fd, which is the same inode once the
/// identity matches: one `stat` instead of an `open`/`fstat`/`close`.
pub(crate) fn read_back(path: &CStr, ours: &Published, content: &[u8]) -> Result<bool> {
    match fs::statat(fs::CWD, path, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) if file_id(&st) == ours.id => {}
        Ok(_) | Err(Errno::NOENT) => return Ok(false),
        Err(e) => return Err(Error::os(Op::ReadPidfile, e)),
    }
    let mut buf = [0u8; MAX_PIDFILE_LEN + 1];
    Ok(read_all(&ours.fd, &mut buf).ctx(Op::ReadPidfile)? == content)
}

/// Unlinks `path` if it still names file `id` (whose lock we hold).
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

/// Reads our own locked file through its fd and tells whether it still
/// holds `pid`.
pub(crate) fn holds_pid(fd: &OwnedFd, pid: Pid) -> Result<bool> {
    let mut buf = [0u8; MAX_PIDFILE_LEN + 1];
    let contents = read_all(fd, &mut buf).ctx(Op::ReadPidfile)?;
    Ok(parse_pid(contents).ok() == Some(pid))
}

/// Rewrites our locked file in place with `content` (after a fork).
pub(crate) fn rewrite(fd: &OwnedFd, content: &[u8]) -> Result<()> {
    let mut off = 0usize;
    while let Some(rest) = content.get(off..).filter(|r| !r.is_empty()) {
        match io::retry_on_intr(|| io::pwrite(fd, rest, off as u64)).ctx(Op::WritePidfile)? {
            0 => return Err(Error::os(Op::WritePidfile, Errno::NOSPC)),
            n => off += n,
        }
    }
    fs::ftruncate(fd, content.len() as u64).ctx(Op::WritePidfile)?;
    fs::fsync(fd).ctx(Op::WritePidfile)
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

#[cfg(all(test, feature = "std"))]
mod std_tests {
    use super::*;
    use std::format;
    use std::vec::Vec;

    fn tmpdir(tag: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("dk-unit-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    #[test]
    fn temp_name_route_publishes_exclusively() {
        let dir = tmpdir("tempname");
        let path = std::ffi::CString::new(dir.join("t.pid").into_os_string().into_encoded_bytes())
            .unwrap();
        let (dir_c, name) = split(&path).unwrap();
        let dir_c = dir_c.as_cstr().unwrap();
        let Publish::Done(p) = publish_named(dir_c, name, &path, b"42\n").unwrap() else {
            panic!("first publish lost");
        };
        assert!(read_back(&path, &p, b"42\n").unwrap());
        assert!(matches!(
            publish_named(dir_c, name, &path, b"43\n").unwrap(),
            Publish::Exists
        ));
        // Only the pidfile is left: the temporary names are gone.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["t.pid"]);
        assert_eq!(std::fs::read(dir.join("t.pid")).unwrap(), b"42\n");
        // Our lock is held: a shared lock from a new description is refused.
        let other = open_existing(&path).unwrap().unwrap().0;
        assert_eq!(
            fs::flock(&other, FlockOperation::NonBlockingLockShared),
            Err(Errno::WOULDBLOCK)
        );
        assert!(unlink_if_ours(&path, p.id).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
