//! The fd toolkit, judged from outside through /proc/<pid>/fd. Every test
//! that opens or closes fds runs in a forked (single-threaded) child, so the
//! test runner's own fd table never changes and other test threads cannot
//! disturb the child's.

#![allow(unsafe_code)] // libc: fork helpers, dup2, setrlimit, seccomp, mounts.

mod common;

use common::seccomp::deny_syscall;
use common::{ChildCtl, proc_fds, spawn};
use std::os::fd::{AsRawFd, IntoRawFd};

/// Opens /dev/null `n` times and leaks the fds (the child owns its table).
/// They are inheritable (no FD_CLOEXEC), like fds a daemon inherits.
fn open_nulls(n: usize) -> Vec<i32> {
    (0..n)
        .map(|_| {
            let fd = std::fs::File::open("/dev/null").unwrap().into_raw_fd();
            // SAFETY: clears FD_CLOEXEC on an fd this child owns.
            unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
            fd
        })
        .collect()
}

/// `dup2(0-ish, target)` to create fd `target`.
fn dup_to(target: i32) -> Result<(), String> {
    let f = std::fs::File::open("/dev/null").map_err(|e| e.to_string())?;
    // SAFETY: dup2 onto a number we own in this child.
    let r = unsafe { libc::dup2(f.as_raw_fd(), target) };
    if r != target {
        return Err(format!(
            "dup2 to {target}: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// Runs `work` in a child, which returns the fds it expects to remain open
/// (its control pipe is added); the child then pauses and the parent
/// compares /proc/<pid>/fd with the expectation.
fn expect_fds(work: impl FnOnce(&ChildCtl) -> Result<Vec<i32>, String>) {
    let mut child = spawn(|ctl| {
        let mut expected = work(ctl)?;
        expected.extend(ctl.fds());
        expected.sort_unstable();
        expected.dedup();
        ctl.send(&format!("{expected:?}"));
        ctl.pause();
        Ok(())
    });
    let line = child.recv().expect("child sent its expectation");
    if let Some(err) = line.strip_prefix('\x02') {
        panic!("child failed: {err}");
    }
    child.wait_paused();
    let actual = proc_fds(child.pid);
    child.resume();
    child.finish().expect("child ok");
    assert_eq!(format!("{actual:?}"), line, "open fds after the call");
}

fn close(keep: &[i32]) -> Result<(), String> {
    daemonry::close_open_fds(keep).map_err(|e| e.to_string())
}

#[test]
fn keep_zero_keeps_stdin() {
    expect_fds(|ctl| {
        open_nulls(5);
        let mut keep = vec![0];
        keep.extend(ctl.fds());
        close(&keep)?;
        Ok(vec![0])
    });
}

#[test]
fn empty_keep_closes_stdio_too() {
    expect_fds(|ctl| {
        open_nulls(3);
        close(&ctl.fds())?;
        Ok(vec![])
    });
}

#[test]
fn unsorted_duplicate_and_negative_keep_entries() {
    expect_fds(|ctl| {
        let fds = open_nulls(12);
        let (a, b) = (fds[9], fds[4]);
        let [p, q] = ctl.fds();
        let keep = [a, 2, a, -1, b, q, 0, p, 2, b, -7];
        close(&keep)?;
        Ok(vec![0, 2, a, b])
    });
}

#[test]
fn keep_list_limit_is_an_error_not_a_panic() {
    let keep = vec![0; 257];
    let e = daemonry::close_open_fds(&keep).unwrap_err();
    assert_eq!(e.kind(), daemonry::ErrorKind::BufferTooSmall);
    assert_eq!(e.needed(), Some(257));
    // Nothing was closed: this process's stdio is still there.
    assert!(daemonry::fd_max(0) > 0);
}

/// Raises the soft RLIMIT_NOFILE to the hard limit (20000 here: no
/// CAP_SYS_RESOURCE to go higher) and opens fds near the top.
fn high_fds() -> Result<(i32, i32), String> {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `rl` is writable.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) };
    rl.rlim_cur = rl.rlim_max;
    // SAFETY: `rl` is readable; affects only this child.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) } != 0 {
        return Err("setrlimit".into());
    }
    let top = (rl.rlim_max.min(1 << 20) - 1) as i32;
    if daemonry::fd_max(0) != rlim(rl.rlim_max) {
        return Err(format!("fd_max {} != {}", daemonry::fd_max(0), rl.rlim_max));
    }
    dup_to(top)?;
    dup_to(top / 2)?;
    dup_to(top - 1)?;
    Ok((top, top / 2))
}

#[test]
fn raised_limit_close_and_enumerate_exact_sets() {
    expect_fds(|ctl| {
        let (top, mid) = high_fds()?;
        open_nulls(10);
        // Enumeration sees exactly the open fds, high ones included: the
        // truth is an fcntl probe of every number up to the raised limit.
        let listed: Vec<i32> = daemonry::open_fds().map_err(|e| e.to_string())?.collect();
        let truth: Vec<i32> = (0..=top).filter(|&fd| is_open(fd)).collect();
        if listed != truth || !listed.contains(&top) || !listed.contains(&mid) {
            return Err(format!("listed {listed:?} != probed {truth:?}"));
        }
        let mut keep = vec![mid, 1, top];
        keep.extend(ctl.fds());
        close(&keep)?;
        Ok(vec![1, mid, top])
    });
}

fn is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD only queries.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

#[test]
fn open_fds_matches_proc_and_skips_its_own_fd() {
    common::in_child(|| {
        open_nulls(40);
        let listed: Vec<i32> = daemonry::open_fds().map_err(|e| e.to_string())?.collect();
        let mut truth: Vec<i32> = (0..1024).filter(|&fd| is_open(fd)).collect();
        truth.sort_unstable();
        if listed != truth {
            return Err(format!("listed {listed:?} != probed {truth:?}"));
        }
        if listed.windows(2).any(|w| w[0] >= w[1]) {
            return Err("not ascending".into());
        }
        Ok(())
    });
}

#[test]
fn enumerates_a_thousand_fds_across_several_getdents_batches() {
    common::in_child(|| {
        let opened = open_nulls(1000);
        let listed: Vec<i32> = daemonry::open_fds().map_err(|e| e.to_string())?.collect();
        if !opened.iter().all(|fd| listed.contains(fd)) || listed.len() < 1000 {
            return Err(format!("listed {} fds", listed.len()));
        }
        Ok(())
    });
}

// ---- fallbacks -------------------------------------------------------------

/// Installs a seccomp filter that makes close_range(2) fail with `errno`,
/// as container runtimes do (EPERM) or old kernels (ENOSYS).
fn deny_close_range(errno: u32) -> Result<(), String> {
    // The same number on every architecture daemonry supports.
    const NR_CLOSE_RANGE: u32 = 436;
    deny_syscall(NR_CLOSE_RANGE, errno)?;
    // The filter works: close_range itself now fails.
    // SAFETY: a close_range that would close nothing (fd ~0 upward).
    let r = unsafe { libc::syscall(libc::SYS_close_range, u32::MAX, u32::MAX, 0) };
    if r != -1 || std::io::Error::last_os_error().raw_os_error() != Some(errno as i32) {
        return Err("seccomp filter did not take".into());
    }
    Ok(())
}

/// Detaches /proc in a private mount namespace, so /proc/self/fd is gone.
fn hide_proc() -> Result<(), String> {
    common::private_mount_namespace()?;
    // SAFETY: an unmount in this child's own mount namespace.
    unsafe {
        if libc::umount2(c"/proc".as_ptr(), libc::MNT_DETACH) != 0 {
            return Err(format!("umount /proc: {}", std::io::Error::last_os_error()));
        }
    }
    if std::fs::metadata("/proc/self/fd").is_ok() {
        return Err("/proc/self/fd still visible".into());
    }
    Ok(())
}

#[test]
fn close_range_enosys_falls_back_to_proc_enumeration() {
    skip_under_emulation!(common::emu::SECCOMP);
    require_root!();
    expect_fds(|ctl| {
        let fds = open_nulls(8);
        deny_close_range(libc::ENOSYS as u32)?;
        let mut keep = vec![fds[3], 0, 2, fds[3]];
        keep.extend(ctl.fds());
        close(&keep)?;
        Ok(vec![0, 2, fds[3]])
    });
}

#[test]
fn close_range_eperm_from_seccomp_falls_back_too() {
    skip_under_emulation!(common::emu::SECCOMP);
    require_root!();
    expect_fds(|ctl| {
        let fds = open_nulls(8);
        deny_close_range(libc::EPERM as u32)?;
        let mut keep = vec![fds[7], 1];
        keep.extend(ctl.fds());
        close(&keep)?;
        Ok(vec![1, fds[7]])
    });
}

#[test]
fn without_proc_and_close_range_the_bounded_probe_closes_the_same_set() {
    skip_under_emulation!(common::emu::SECCOMP);
    require_root!();
    expect_fds(|ctl| {
        let (top, mid) = high_fds()?;
        let fds = open_nulls(8);
        let before: Vec<i32> = daemonry::open_fds().map_err(|e| e.to_string())?.collect();
        hide_proc()?;
        deny_close_range(libc::ENOSYS as u32)?;
        let it = daemonry::open_fds().map_err(|e| e.to_string())?;
        if !it.is_probing() {
            return Err("expected the probe fallback".into());
        }
        let probed: Vec<i32> = it.collect();
        if probed != before {
            return Err(format!("probe {probed:?} != /proc listing {before:?}"));
        }
        let mut keep = vec![fds[2], top, 0];
        keep.extend(ctl.fds());
        close(&keep)?;
        let _ = mid;
        Ok(vec![0, fds[2], top])
    });
}

#[test]
fn cloexec_marks_everything_but_keep() {
    let mut child = spawn(|ctl| {
        let fds = open_nulls(6);
        let mut keep = vec![0, fds[1]];
        keep.extend(ctl.fds());
        daemonry::cloexec_open_fds(&keep).map_err(|e| e.to_string())?;
        ctl.send(&format!("{} {}", fds[1], fds[4]));
        ctl.pause();
        Ok(())
    });
    let line = child.recv().expect("fds");
    child.wait_paused();
    let (kept, marked): (i32, i32) = {
        let mut it = line.split(' ').map(|s| s.parse().unwrap());
        (it.next().unwrap(), it.next().unwrap())
    };
    let cloexec = |fd: i32| {
        let info = std::fs::read_to_string(format!("/proc/{}/fdinfo/{fd}", child.pid)).unwrap();
        let flags = info
            .lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())
            .unwrap();
        flags & libc::O_CLOEXEC as u32 != 0
    };
    assert!(!cloexec(kept), "kept fd must stay inheritable");
    assert!(!cloexec(0), "fd 0 kept");
    assert!(cloexec(marked), "other fds are marked close-on-exec");
    assert!(cloexec(1) && cloexec(2), "stdout/stderr were not in keep");
    // Nothing was closed.
    assert!(proc_fds(child.pid).len() >= 9);
    child.resume();
    child.finish().unwrap();
}

#[test]
fn cloexec_fallback_without_close_range() {
    skip_under_emulation!(common::emu::SECCOMP);
    require_root!();
    // EPERM: a container's seccomp profile; ENOSYS: a kernel before 5.9;
    // EINVAL: 5.9 and 5.10, which have close_range without
    // CLOSE_RANGE_CLOEXEC.
    for errno in [libc::EPERM, libc::ENOSYS, libc::EINVAL] {
        common::in_child(|| {
            let fds = open_nulls(4);
            deny_close_range(errno as u32)?;
            daemonry::cloexec_open_fds(&[fds[0]]).map_err(|e| e.to_string())?;
            // SAFETY: F_GETFD only queries.
            let flag = |fd| unsafe { libc::fcntl(fd, libc::F_GETFD) };
            if flag(fds[0]) != 0 || flag(fds[1]) != libc::FD_CLOEXEC || flag(0) != libc::FD_CLOEXEC
            {
                return Err(format!("errno {errno}: wrong FD_CLOEXEC flags"));
            }
            Ok(())
        });
    }
}

// ---- fds_for_path / fd_by_path ----------------------------------------------

#[test]
fn fds_for_path_finds_a_file_opened_twice_and_nothing_else() {
    common::in_child(|| {
        let dir = common::TempDir::new("fdpath");
        let p = dir.path().join("f");
        std::fs::write(&p, b"x").unwrap();
        let a = std::fs::File::open(&p).unwrap();
        let b = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        let other = dir.path().join("g");
        std::fs::write(&other, b"y").unwrap();
        let _c = std::fs::File::open(&other).unwrap();
        let cpath = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        let mut found = vec![];
        daemonry::fds_for_path(&cpath, |fd| found.push(fd)).map_err(|e| e.to_string())?;
        let mut want = vec![a.as_raw_fd(), b.as_raw_fd()];
        want.sort_unstable();
        if found != want {
            return Err(format!("found {found:?}, want {want:?}"));
        }
        // A path that exists but is not open: nothing.
        let unopened = dir.path().join("h");
        std::fs::write(&unopened, b"z").unwrap();
        let cu = std::ffi::CString::new(unopened.to_str().unwrap()).unwrap();
        let mut none = vec![];
        daemonry::fds_for_path(&cu, |fd| none.push(fd)).map_err(|e| e.to_string())?;
        if !none.is_empty() {
            return Err(format!("unopened path matched {none:?}"));
        }
        // A missing path is an error naming stat.
        let e = daemonry::fds_for_path(c"/nonexistent/x", |_| {}).unwrap_err();
        if e.op() != daemonry::Op::Stat || e.errno() != Some(daemonry::Errno::NOENT) {
            return Err(format!("unexpected {e}"));
        }
        // std: several paths, unresolvable ones skipped, ascending.
        #[cfg(feature = "std")]
        {
            let fds =
                daemonry::fd_by_path(&[p.as_path(), unopened.as_path(), "/nonexistent".as_ref()]);
            if fds != want {
                return Err(format!("fd_by_path {fds:?}"));
            }
            if !daemonry::fd_by_path(&["/nonexistent"]).is_empty() {
                return Err("fd_by_path of nothing".into());
            }
        }
        Ok(())
    });
}

// ---- isatty / fd_max ----------------------------------------------------------

/// rustix's `BorrowedFd` (std's without the `std` feature, rustix's own
/// polyfill with it off) for an fd that outlives the call.
fn raw(fd: i32) -> rustix::fd::BorrowedFd<'static> {
    // SAFETY: every caller passes an fd that stays open for the assertion.
    unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) }
}

#[test]
fn isatty_pipe_devnull_and_pty() {
    skip_under_emulation!(common::emu::PTY);
    let (r, w) = rustix::pipe::pipe().unwrap();
    assert!(!daemonry::isatty(&r));
    assert!(!daemonry::isatty(&w));
    let null = std::fs::File::open("/dev/null").unwrap();
    assert!(!daemonry::isatty(raw(null.as_raw_fd())));
    let file = std::fs::File::open("/proc/self/status").unwrap();
    assert!(!daemonry::isatty(raw(file.as_raw_fd())));
    // A pseudo-terminal: both the master and the slave are terminals.
    // SAFETY: posix_openpt family on fds we own and close.
    unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(m >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(m), 0);
        assert_eq!(libc::unlockpt(m), 0);
        let name = std::ffi::CStr::from_ptr(libc::ptsname(m)).to_owned();
        let s = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        assert!(s >= 0, "open slave");
        assert!(daemonry::isatty(raw(m)));
        assert!(daemonry::isatty(raw(s)));
        assert_eq!(libc::isatty(s), 1, "glibc agrees");
        libc::close(s);
        libc::close(m);
    }
}

#[test]
fn fd_max_is_the_soft_limit() {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `rl` is writable.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) };
    assert_eq!(daemonry::fd_max(7), rlim(rl.rlim_cur));
    // A changed soft limit is what fd_max reports. (The "infinite" case
    // cannot be produced on Linux: the kernel refuses an RLIMIT_NOFILE above
    // fs.nr_open, so `default` is never used here.)
    common::in_child(|| {
        let lowered = libc::rlimit {
            rlim_cur: 123,
            rlim_max: rl.rlim_max,
        };
        // SAFETY: affects this child only.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) } != 0 {
            return Err(format!("setrlimit: {}", std::io::Error::last_os_error()));
        }
        match daemonry::fd_max(4242) {
            123 => Ok(()),
            v => Err(format!("soft limit 123 gave {v}")),
        }
    });
}

/// An `rlim_t` (32 bits on 32-bit glibc targets, 64 elsewhere) as `u64`.
fn rlim(v: impl Into<u64>) -> u64 {
    v.into()
}
