//! fork, setsid, umask, the parent-death signal and the platform name.
//! State-changing tests run in forked children and are judged from outside
//! (exit statuses, `/proc/<pid>/status` and `stat`).
#![allow(unsafe_code)] // libc fork/pipe/waitpid/prctl in the children.

mod common;

use common::{Exit, in_child, proc_stat, proc_status, spawn};
use daemonkit::process::{self, pdeathsig, set_pdeathsig_for};
use daemonkit::signal::Signal;
use daemonkit::{Errno, ErrorKind, Fork, Mode, exit_immediately, fork, parse_umask, set_pdeathsig};

/// `waitpid` that retries on EINTR; returns how the child ended.
fn wait_for(pid: i32) -> Result<Exit, String> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is writable.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(format!("waitpid({pid}): {e}"));
        }
    }
    Ok(if libc::WIFSIGNALED(status) {
        Exit::Signal(libc::WTERMSIG(status))
    } else {
        Exit::Code(libc::WEXITSTATUS(status))
    })
}

fn pipe() -> (i32, i32) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is writable.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    (fds[0], fds[1])
}

fn write_i32(fd: i32, v: i32) {
    let b = v.to_ne_bytes();
    // SAFETY: `b` is readable for 4 bytes.
    unsafe { libc::write(fd, b.as_ptr().cast(), 4) };
}

/// Reads 4 bytes; `None` at EOF.
fn read_i32(fd: i32) -> Option<i32> {
    let mut b = [0u8; 4];
    // SAFETY: `b` is writable for 4 bytes.
    let n = unsafe { libc::read(fd, b.as_mut_ptr().cast(), 4) };
    (n == 4).then(|| i32::from_ne_bytes(b))
}

fn make_subreaper() -> Result<(), String> {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer.
    match unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } {
        0 => Ok(()),
        _ => Err("PR_SET_CHILD_SUBREAPER failed".into()),
    }
}

/// daemonkit's fork, mapped for the test closures.
fn dk_fork() -> Result<Fork, String> {
    // SAFETY: the test children below only make system calls (and, in the
    // single-threaded child, ordinary Rust) before they exit.
    unsafe { fork() }.map_err(|e| e.to_string())
}

#[test]
fn fork_exit_immediately_and_wait() {
    in_child(|| match dk_fork()? {
        Fork::Child => exit_immediately(42),
        Fork::Parent(pid) => match wait_for(pid.as_raw_nonzero().get())? {
            Exit::Code(42) => Ok(()),
            other => Err(format!("grandchild ended with {other:?}")),
        },
    });
}

#[test]
fn fork_refuses_a_multithreaded_process() {
    in_child(|| {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || rx.recv());
        let r = dk_fork_result();
        drop(tx);
        let _ = t.join();
        match r {
            Err(ErrorKind::MultiThreaded) => Ok(()),
            other => Err(format!("fork with 2 threads: {other:?}")),
        }
    });
}

fn dk_fork_result() -> Result<(), ErrorKind> {
    // SAFETY: a child (should one be created) exits at once.
    match unsafe { fork() } {
        Ok(Fork::Child) => exit_immediately(0),
        Ok(Fork::Parent(pid)) => {
            let _ = wait_for(pid.as_raw_nonzero().get());
            Ok(())
        }
        Err(e) => Err(e.kind()),
    }
}

/// glibc's `abort()` in a child forked by daemonkit dies by SIGABRT (with a
/// raw clone, the child's libc keeps the parent's thread id; glibc ≥ 2.34
/// signals itself through `gettid`, so this holds in both feature states).
#[test]
fn abort_in_forked_child_dies_by_sigabrt() {
    in_child(|| match dk_fork()? {
        Fork::Child => {
            // Quiet the core dump, if any: not the point here.
            let lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: `lim` is a valid rlimit.
            unsafe { libc::setrlimit(libc::RLIMIT_CORE, &lim) };
            // SAFETY: abort never returns.
            unsafe { libc::abort() }
        }
        Fork::Parent(pid) => match wait_for(pid.as_raw_nonzero().get())? {
            Exit::Signal(libc::SIGABRT) => Ok(()),
            other => Err(format!("abort() in the grandchild ended with {other:?}")),
        },
    });
}

#[test]
fn setsid_makes_a_new_session() {
    let mut c = spawn(|ctl| {
        let sid = daemonkit::setsid().map_err(|e| e.to_string())?;
        if sid != rustix::process::getpid() {
            return Err(format!("setsid returned {sid:?}"));
        }
        // A session leader cannot do it again.
        match daemonkit::setsid() {
            Err(e) if e.errno() == Some(Errno::PERM) => {}
            other => return Err(format!("second setsid: {other:?}")),
        }
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    let st = proc_stat(c.pid);
    // proc(5): field 5 is the process group, 6 the session, 7 the tty.
    assert_eq!(st[4], c.pid.to_string(), "pgrp");
    assert_eq!(st[5], c.pid.to_string(), "session");
    assert_eq!(st[6], "0", "no controlling terminal");
    c.resume();
    c.finish().unwrap();
}

#[test]
fn umask_is_set_and_old_value_returned() {
    let mut c = spawn(|ctl| {
        let first = daemonkit::umask(Mode::from_raw_mode(0o027));
        let old = daemonkit::umask(parse_umask("0o077").map_err(|e| e.to_string())?);
        if old != Mode::from_raw_mode(0o027) {
            return Err(format!("umask returned {old:?}, first was {first:?}"));
        }
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    assert_eq!(proc_status(c.pid)["Umask"], "0077");
    c.resume();
    c.finish().unwrap();
}

#[test]
fn parse_umask_is_strictly_octal() {
    for (s, v) in [
        ("022", 0o022),
        ("0o022", 0o022),
        ("22", 0o022),
        ("0", 0),
        ("777", 0o777),
    ] {
        assert_eq!(parse_umask(s).unwrap(), Mode::from_raw_mode(v), "{s}");
    }
    for s in ["", "8", "0o1000", "-1", "abc", "1000", "0o", " 22"] {
        let e = parse_umask(s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{s:?}");
        assert_eq!(e.input().unwrap().as_bytes(), s.as_bytes());
    }
}

/// The parent-death test family. In the test's child A (a subreaper, so
/// orphans come back to it): A forks B, B forks G. G runs `grandchild`,
/// then reports its pid and whether that worked to A through a pipe, tells
/// B it is ready through another, and waits forever; B exits then. A reaps B (by then the kernel has sent any
/// parent-death signal: it does so before the parent becomes a zombie),
/// then SIGKILLs G and reaps it. A fatal signal already sent decides the
/// exit status, so G's status is SIGTERM exactly when the parent-death
/// signal was sent, and SIGKILL otherwise. No sleeps.
fn parent_death(grandchild: fn() -> Result<(), String>) -> Result<Exit, String> {
    make_subreaper()?;
    let (r, w) = pipe();
    let (gr, gw) = pipe();
    let b = match dk_fork()? {
        Fork::Child => {
            // B
            // SAFETY: close our copy of A's read end.
            unsafe { libc::close(r) };
            match dk_fork() {
                Ok(Fork::Child) => {
                    // G
                    let ok = grandchild().is_ok();
                    // SAFETY: getpid has no preconditions.
                    write_i32(w, unsafe { libc::getpid() });
                    write_i32(w, i32::from(ok));
                    write_i32(gw, 1);
                    loop {
                        // SAFETY: pause has no preconditions.
                        unsafe { libc::pause() };
                    }
                }
                Ok(Fork::Parent(_)) => {
                    // Wait until G is set up, then die.
                    let _ = read_i32(gr);
                    exit_immediately(0)
                }
                Err(_) => exit_immediately(1),
            }
        }
        Fork::Parent(b) => b.as_raw_nonzero().get(),
    };
    // SAFETY: close A's copies of the write ends.
    unsafe { libc::close(w) };
    let g = read_i32(r).ok_or("no pid from the grandchild")?;
    let b_exit = wait_for(b)?;
    if b_exit != Exit::Code(0) {
        return Err(format!("B ended with {b_exit:?}"));
    }
    let ok = read_i32(r);
    // SAFETY: G is our (adopted) child.
    unsafe { libc::kill(g, libc::SIGKILL) };
    let g_exit = wait_for(g)?;
    if ok != Some(1) {
        return Err(format!(
            "grandchild setup failed ({ok:?}), ended {g_exit:?}"
        ));
    }
    Ok(g_exit)
}

#[test]
fn pdeathsig_some_term_signals_grandchild_when_parent_exits() {
    in_child(|| {
        let exit = parent_death(|| {
            set_pdeathsig(Some(Signal::TERM)).map_err(|e| e.to_string())?;
            match pdeathsig() {
                Ok(Some(Signal::TERM)) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })?;
        match exit {
            Exit::Signal(libc::SIGTERM) => Ok(()),
            other => Err(format!("grandchild ended with {other:?}, want SIGTERM")),
        }
    });
}

#[test]
fn pdeathsig_honours_its_argument() {
    // celery always asks for SIGKILL; USR2 must arrive as USR2.
    in_child(|| {
        let exit = parent_death(|| set_pdeathsig(Some(Signal::USR2)).map_err(|e| e.to_string()))?;
        match exit {
            Exit::Signal(libc::SIGUSR2) => Ok(()),
            other => Err(format!("grandchild ended with {other:?}, want SIGUSR2")),
        }
    });
}

#[test]
fn pdeathsig_none_clears_it() {
    in_child(|| {
        let exit = parent_death(|| {
            set_pdeathsig(Some(Signal::TERM)).map_err(|e| e.to_string())?;
            set_pdeathsig(None).map_err(|e| e.to_string())?;
            match pdeathsig() {
                Ok(None) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })?;
        match exit {
            Exit::Signal(libc::SIGKILL) => Ok(()),
            other => Err(format!("grandchild ended with {other:?}, want our SIGKILL")),
        }
    });
}

#[test]
fn pdeathsig_for_reports_a_parent_that_already_died() {
    in_child(|| {
        make_subreaper()?;
        let (r, w) = pipe();
        let (go_r, go_w) = pipe();
        let b = match dk_fork()? {
            Fork::Child => {
                let parent = rustix::process::getpid();
                match dk_fork() {
                    Ok(Fork::Child) => {
                        // G: alive parent first.
                        let alive = set_pdeathsig_for(Some(Signal::TERM), parent).is_ok();
                        set_pdeathsig(None).ok();
                        write_i32(w, 1);
                        // Wait until A has reaped B.
                        let _ = read_i32(go_r);
                        let gone = set_pdeathsig_for(Some(Signal::TERM), parent);
                        let code = match gone {
                            Err(e) if e.errno() == Some(Errno::SRCH) && alive => 0,
                            _ => 1,
                        };
                        exit_immediately(code)
                    }
                    _ => {
                        let _ = read_i32(r);
                        exit_immediately(0)
                    }
                }
            }
            Fork::Parent(b) => b.as_raw_nonzero().get(),
        };
        // SAFETY: drop A's copy of the write end so B sees G's byte only.
        unsafe { libc::close(w) };
        wait_for(b)?;
        write_i32(go_w, 1);
        // G was re-parented to us (the subreaper).
        let mut status = 0;
        // SAFETY: `status` is writable; -1 waits for any child.
        let g = unsafe { libc::waitpid(-1, &mut status, 0) };
        if g <= 0 || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
            return Err(format!("grandchild {g}: status {status:#x}"));
        }
        Ok(())
    });
}

#[test]
fn implementation_names_the_kernel() {
    let s = daemonkit::implementation().to_string();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(
        s,
        format!("Linux {} {}", release.trim(), std::env::consts::ARCH)
    );
}

#[test]
fn exit_codes() {
    use daemonkit::{EX_CANTCREAT, EX_FAILURE, EX_OK, EX_UNAVAILABLE, EX_USAGE};
    assert_eq!(
        [EX_OK, EX_FAILURE, EX_USAGE, EX_UNAVAILABLE, EX_CANTCREAT],
        [0, 1, 64, 69, 73]
    );
}

#[test]
fn fork_unchecked_works_in_a_threaded_process() {
    in_child(|| {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || rx.recv());
        // SAFETY: the child only calls exit_group (async-signal-safe).
        let r = unsafe { process::fork_unchecked() };
        let result = match r {
            Ok(Fork::Child) => exit_immediately(5),
            Ok(Fork::Parent(pid)) => wait_for(pid.as_raw_nonzero().get()),
            Err(e) => Err(e.to_string()),
        };
        drop(tx);
        let _ = t.join();
        match result? {
            Exit::Code(5) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
}
