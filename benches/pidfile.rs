//! Pidfile acquire + release, daemonry against the `pidlock` crate, on
//! tmpfs (`/dev/shm`) and on a disk filesystem (`/var/tmp`, ext4 here) in
//! the same run.
//!
//! daemonry does more per cycle: the pid is written under a temporary name,
//! opened again read-only and locked through that description, and renamed
//! onto the path with `RENAME_NOREPLACE` (atomic, locked, under its real
//! name, and the lock fd cannot write the file); the release checks that
//! the path still names our file holding our pid before unlinking it.
//! `pidlock` does a stale check, an `O_EXCL` create + write at the path (no
//! lock: the path names an empty file for a moment) and an unlink.
//!
//! Four more rows time bare syscall sequences (rustix, no checks of
//! results beyond `expect`), to show where the floor of each protocol is:
//! daemonry's; the other atomic publish SPEC allows (`O_TMPFILE`, written
//! and locked, then `linkat` through `/proc/self/fd/N`: the held fd shows
//! `#<inode> (deleted)`, not the real name); the protocol a BSD
//! `pidfile(3)` uses on Linux (created in place, locked and written
//! through one writable fd, verified by a `stat` of the path); and
//! `pidlock`'s.

#![allow(missing_docs)] // criterion generates `main`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::ffi::CString;
use std::hint::black_box;
use std::path::{Path, PathBuf};

/// A fresh directory under `base`, or `None` if `base` is unusable.
fn bench_dir(base: &Path) -> Option<PathBuf> {
    let d = base.join(format!("daemonry-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).ok()?;
    Some(d)
}

fn acquire_release(c: &mut Criterion) {
    for (fs, base) in [("tmpfs", "/dev/shm"), ("disk", "/var/tmp")] {
        let Some(dir) = bench_dir(Path::new(base)) else {
            eprintln!("SKIP pidfile bench on {fs}: {base} unusable");
            continue;
        };
        let path = dir.join("bench.pid");
        let cpath = CString::new(path.as_os_str().as_encoded_bytes()).expect("no NUL");

        let mut g = c.benchmark_group(format!("pidfile acquire+release ({fs}, {base})"));
        g.bench_function("daemonry create_pidlock + drop", |b| {
            b.iter(|| {
                let lock = daemonry::create_pidlock(cpath.as_c_str()).expect("lock");
                drop(black_box(lock));
            })
        });
        g.bench_function("daemonry Pidfile acquire + release", |b| {
            b.iter(|| {
                let mut pf = daemonry::Pidfile::new(cpath.as_c_str()).expect("path");
                pf.acquire().expect("acquire");
                pf.release().expect("release");
            })
        });
        g.bench_function("pidlock acquire + release", |b| {
            b.iter(|| {
                let mut l = pidlock::Pidlock::new_validated(&path).expect("path");
                l.acquire().expect("acquire");
                l.release().expect("release");
            })
        });
        let tmp = CString::new(
            dir.join(".bench.pid.1.0.tmp")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .expect("no NUL");
        let dir_c = CString::new(dir.as_os_str().as_encoded_bytes()).expect("no NUL");
        g.bench_function("raw sequence: daemonry's protocol", |b| {
            b.iter(|| raw::daemonry(&tmp, &cpath))
        });
        g.bench_function("raw sequence: O_TMPFILE + linkat", |b| {
            b.iter(|| raw::tmpfile(&dir_c, &cpath))
        });
        g.bench_function("raw sequence: in place, writable lock fd", |b| {
            b.iter(|| raw::in_place(&cpath))
        });
        g.bench_function("raw sequence: pidlock's", |b| {
            b.iter(|| raw::pidlock(&dir_c, &cpath))
        });
        g.finish();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Bare syscall sequences, the `expect`s aside.
mod raw {
    use rustix::fs::{self, AtFlags, CWD, FlockOperation, Mode, OFlags, RenameFlags};
    use std::ffi::CStr;

    const MODE: Mode = Mode::from_bits_retain(0o1600);

    fn create(path: &CStr, access: OFlags) -> rustix::fd::OwnedFd {
        let flags = access | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        fs::openat(CWD, path, flags, MODE).expect("create")
    }

    fn write_pid(fd: &rustix::fd::OwnedFd) {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let text = format!("{me}\n");
        rustix::io::write(fd, text.as_bytes()).expect("write");
    }

    fn release(path: &CStr, ino: u64, lock: rustix::fd::OwnedFd) {
        let _ = rustix::process::getpid();
        let st = fs::statat(CWD, path, AtFlags::SYMLINK_NOFOLLOW).expect("stat");
        assert_eq!(st.st_ino, ino);
        fs::unlinkat(CWD, path, AtFlags::empty()).expect("unlink");
        drop(lock);
    }

    /// Written under a temporary name, locked through a second, read-only
    /// description, renamed onto the path; released after checking the
    /// path still names it and still holds our pid.
    pub fn daemonry(tmp: &CStr, path: &CStr) {
        let w = create(tmp, OFlags::WRONLY);
        write_pid(&w);
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let r = fs::openat(CWD, tmp, flags, Mode::empty()).expect("open");
        drop(w);
        fs::flock(&r, FlockOperation::NonBlockingLockExclusive).expect("flock");
        let ino = fs::fstat(&r).expect("fstat").st_ino;
        fs::renameat_with(CWD, tmp, CWD, path, RenameFlags::NOREPLACE).expect("rename");
        let mut buf = [0u8; 33];
        rustix::io::pread(&r, &mut buf, 0).expect("pread");
        release(path, ino, r);
    }

    /// An unnamed file (`O_TMPFILE`) written and locked through one
    /// writable fd, then linked at the path through `/proc/self/fd/N`
    /// (which needs no capability, unlike `AT_EMPTY_PATH`); released as
    /// the in-place sequence below.
    pub fn tmpfile(dir: &CStr, path: &CStr) {
        let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        let f = fs::openat(CWD, dir, flags, MODE).expect("O_TMPFILE");
        write_pid(&f);
        fs::flock(&f, FlockOperation::NonBlockingLockExclusive).expect("flock");
        let ino = fs::fstat(&f).expect("fstat").st_ino;
        let fd = rustix::fd::AsRawFd::as_raw_fd(&f);
        let link = std::ffi::CString::new(format!("/proc/self/fd/{fd}")).expect("no NUL");
        fs::linkat(CWD, &link, CWD, path, AtFlags::SYMLINK_FOLLOW).expect("linkat");
        release(path, ino, f);
    }

    /// Created in place, locked and written through the one writable fd,
    /// then a `stat` of the path checks it still names the locked file.
    pub fn in_place(path: &CStr) {
        let f = create(path, OFlags::RDWR);
        fs::flock(&f, FlockOperation::NonBlockingLockExclusive).expect("flock");
        write_pid(&f);
        let ino = fs::fstat(&f).expect("fstat").st_ino;
        let st = fs::statat(CWD, path, AtFlags::SYMLINK_NOFOLLOW).expect("stat");
        assert_eq!(st.st_ino, ino);
        release(path, ino, f);
    }

    /// `pidlock`: a `stat` of the directory and of the path, an `O_EXCL`
    /// create, a write, no lock; an unlink.
    pub fn pidlock(dir: &CStr, path: &CStr) {
        fs::statat(CWD, dir, AtFlags::empty()).expect("stat dir");
        let _ = rustix::process::getpid();
        let _ = fs::statat(CWD, path, AtFlags::empty());
        let w = create(path, OFlags::WRONLY);
        write_pid(&w);
        drop(w);
        fs::unlinkat(CWD, path, AtFlags::empty()).expect("unlink");
    }
}

criterion_group!(benches, acquire_release);
criterion_main!(benches);
