//! Helpers of the pidfile tests (`tests/pidfile.rs`, `tests/trust.rs`,
//! `tests/trust_files.rs`): the lock that serialises their forking tests,
//! paths as C strings, a tmpfs directory, the drop to `nobody`, and the
//! holders a [`Pidfile`] hands over.
#![allow(dead_code)] // Each test binary uses a different subset.

use core::ops::ControlFlow;
use daemonry::{ErrorKind, Holder, Pid, PidLock, PidStatus, Pidfile, create_pidlock};
use std::ffi::{CStr, CString};
use std::os::fd::AsRawFd;
use std::path::Path;

use super::{Child, TempDir, spawn};

/// Tests of these files fork children that wait for their test's parent;
/// a child forked by one test inherits the pipe ends of every other test
/// running at that moment, which can tie two tests' waits together. Tests
/// that fork take this lock (fork cannot isolate fd inheritance).
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_encoded_bytes()).unwrap()
}

pub fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).unwrap()
}

/// A directory on tmpfs when there is one (fsync is free there), else the
/// system temp dir.
pub fn fast_dir(tag: &str) -> TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        let p = shm.join(format!("daemonry-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        if std::fs::create_dir(&p).is_ok() {
            return TempDir(p);
        }
    }
    TempDir::new(tag)
}

/// Drops the current process to nobody:nogroup (in a forked child).
pub fn become_nobody() -> Result<(), String> {
    // SAFETY: plain credential calls in a single-threaded forked child.
    unsafe {
        if libc::setgroups(0, std::ptr::null()) != 0
            || libc::setgid(65534) != 0
            || libc::setuid(65534) != 0
        {
            return Err(format!(
                "drop to nobody: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// The status and every holder `holders` hands over.
pub fn holders(pf: &Pidfile<'_>) -> (PidStatus, Vec<Holder>) {
    let mut v = Vec::new();
    let st = pf
        .holders(|h| {
            v.push(h);
            ControlFlow::Continue(())
        })
        .unwrap();
    (st, v)
}

/// For a child holding `lock` on the pidfile `c` (at `path`): a second
/// lock fails with `LockFailed`, and the release removes the file.
pub fn relock_fails_and_release_removes(
    lock: PidLock,
    c: &CStr,
    path: &Path,
) -> Result<(), String> {
    let again = create_pidlock(c).unwrap_err();
    if again.kind() != ErrorKind::LockFailed {
        return Err(format!("second lock: {again}"));
    }
    drop(lock);
    if path.exists() {
        return Err("release left the file".into());
    }
    Ok(())
}

/// Another tool's pidfile: a child that creates `path`, takes a `flock` on
/// it, writes what `contents` returns (run in the child), and stays paused
/// holding the lock until resumed.
pub fn paused_flock_holder(path: &Path, contents: impl FnOnce() -> String) -> Child {
    let mut holder = spawn(move |ctl| {
        let f = std::fs::File::create(path).map_err(|e| e.to_string())?;
        // SAFETY: flock on our own open file.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err("flock".into());
        }
        std::fs::write(path, contents()).map_err(|e| e.to_string())?;
        ctl.pause();
        drop(f);
        Ok(())
    });
    holder.wait_paused();
    holder
}

/// A child that takes the lock on the pidfile `c` and stays paused,
/// holding it, until resumed.
pub fn paused_lock_holder(c: &CStr) -> Child {
    let mut holder = spawn(|ctl| {
        let _lock = create_pidlock(c).map_err(|e| e.to_string())?;
        ctl.pause();
        Ok(())
    });
    holder.wait_paused();
    holder
}
