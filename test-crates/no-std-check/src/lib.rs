//! Proves that daemonry builds as `#![no_std]` with `default-features =
//! false`: every core function is referenced here, so a dependency on `std`
//! or `alloc` anywhere in its core would fail this build.

#![no_std]
#![deny(warnings)]

use daemonry::{Errno, RawFd};

/// Calls the core API so that every function is monomorphised and linked.
pub fn exercise(keep: &[RawFd]) -> usize {
    let mut n = 0usize;
    if daemonry::errno::name(Errno::NOENT).is_some() {
        n += 1;
    }
    if daemonry::errno::description(Errno::NOENT).is_some() {
        n += 1;
    }
    if daemonry::errno::from_name("ENOENT").is_some() {
        n += 1;
    }
    let r: Result<(), Errno> = Err(Errno::NOENT);
    if let Ok(None) = daemonry::errno::ignore_errno(r, &[Errno::NOENT]) {
        n += 1;
    }
    n += daemonry::fd_max(1024) as usize;
    if let Ok(fds) = daemonry::open_fds() {
        n += fds.count();
    }
    let _ = daemonry::fds_for_path(c"/dev/null", |_| n += 1);
    let _ = daemonry::cloexec_open_fds(keep);
    let _ = daemonry::close_open_fds(keep);
    n
}

/// The pidfile core (issue 4): every call on a `&CStr` path.
pub fn exercise_pidfile(path: &core::ffi::CStr) -> usize {
    let mut n = 0usize;
    if daemonry::parse_pid(b"1\n").is_ok() {
        n += 1;
    }
    let Ok(mut pf) = daemonry::Pidfile::new(path) else {
        return n;
    };
    if pf.acquire().is_ok() {
        n += 1;
    }
    let _ = pf.probe();
    let _ = pf.read_pid();
    let _ = pf.is_locked();
    let _ = pf.exists();
    let _ = pf.write_pid();
    let _ = pf.set_inheritable(true);
    let _ = pf.release();
    let _ = pf.remove_if_stale();
    let _ = pf.remove();
    let _ = daemonry::check_pidlock(path);
    if let Ok(lock) = daemonry::create_pidlock(path) {
        n += lock.pid().as_raw_nonzero().get() as usize;
    }
    n
}
