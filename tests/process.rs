//! fork, setsid, umask, the parent-death signal and the platform name.
//! State-changing tests run in forked children and are judged from outside
//! (exit statuses, `/proc/<pid>/status` and `stat`).
#![allow(unsafe_code)] // libc fork/pipe/waitpid/prctl in the children.

mod common;

use common::{Exit, in_child, proc_stat, proc_status, spawn};
use daemonry::process::{self, SingleThreaded, pdeathsig};
use daemonry::{
    Errno, ErrorKind, Fork, Mode, Op, Signal, exit_immediately, fork, parse_umask, set_pdeathsig,
};

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

/// daemonry's fork, mapped for the test closures.
fn own_fork() -> Result<Fork, String> {
    // SAFETY: the test children below only make system calls (and, in the
    // single-threaded child, ordinary Rust) before they exit.
    unsafe { fork() }.map_err(|e| e.to_string())
}

#[test]
fn fork_exit_immediately_and_wait() {
    skip_under_emulation!(common::emu::THREADS);
    in_child(|| match own_fork()? {
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
        let r = own_fork_result();
        drop(tx);
        let _ = t.join();
        match r {
            Err(ErrorKind::MultiThreaded) => Ok(()),
            other => Err(format!("fork with 2 threads: {other:?}")),
        }
    });
}

/// Where seccomp refuses `unshare` (the single-thread probe), the check
/// counts the threads in `/proc/self/status` instead: one passes, two are
/// refused.
#[test]
fn single_thread_check_falls_back_to_proc_when_unshare_is_refused() {
    skip_under_emulation!(common::emu::SECCOMP);
    in_child(|| {
        common::seccomp::deny_syscall(libc::SYS_unshare as u32, libc::EPERM as u32)?;
        // SAFETY: CLONE_THREAD alone unshares nothing; the filter answers.
        if unsafe { libc::unshare(libc::CLONE_THREAD) } != -1 {
            return Err("the seccomp filter did not take".into());
        }
        SingleThreaded::check().map_err(|e| format!("one thread: {e}"))?;
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || rx.recv());
        let two = SingleThreaded::check().map(drop).map_err(|e| e.kind());
        drop(tx);
        let _ = t.join();
        match two {
            Err(ErrorKind::MultiThreaded) => Ok(()),
            other => Err(format!("two threads: {other:?}")),
        }
    });
}

fn own_fork_result() -> Result<(), ErrorKind> {
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

/// glibc's `abort()` in a child forked by daemonry dies by SIGABRT (with a
/// raw clone, the child's libc keeps the parent's thread id; glibc ≥ 2.34
/// signals itself through `gettid`, so this holds in both feature states).
#[test]
fn abort_in_forked_child_dies_by_sigabrt() {
    skip_under_emulation!(common::emu::THREADS);
    in_child(|| match own_fork()? {
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
        let sid = daemonry::setsid().map_err(|e| e.to_string())?;
        if sid != rustix::process::getpid() {
            return Err(format!("setsid returned {sid:?}"));
        }
        // A session leader cannot do it again.
        match daemonry::setsid() {
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
        let first = daemonry::umask(Mode::from_raw_mode(0o027));
        let old = daemonry::umask(parse_umask("0o077").map_err(|e| e.to_string())?);
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
        assert_eq!(parse_umask(s.as_bytes()).unwrap(), Mode::from_raw_mode(v));
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
    let b = match own_fork()? {
        Fork::Child => {
            // B
            // SAFETY: close our copy of A's read end.
            unsafe { libc::close(r) };
            match own_fork() {
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
    skip_under_emulation!(common::emu::SUBREAPER);
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
    skip_under_emulation!(common::emu::SUBREAPER);
    // celery always asks for SIGKILL; USR2 must arrive as USR2.
    in_child(|| {
        let exit = parent_death(|| {
            set_pdeathsig(Some(Signal::USR2))
                .map(drop)
                .map_err(|e| e.to_string())
        })?;
        match exit {
            Exit::Signal(libc::SIGUSR2) => Ok(()),
            other => Err(format!("grandchild ended with {other:?}, want SIGUSR2")),
        }
    });
}

#[test]
fn pdeathsig_none_clears_it() {
    skip_under_emulation!(common::emu::SUBREAPER);
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
fn pdeathsig_real_time_signal_arrives() {
    skip_under_emulation!(common::emu::SUBREAPER);
    // rustix's own Signal cannot carry SIGRTMIN+3; ours can.
    let rt = Signal::rt(3).unwrap();
    in_child(|| {
        let exit = parent_death(|| {
            set_pdeathsig(Some(Signal::rt(3).unwrap())).map_err(|e| e.to_string())?;
            match pdeathsig() {
                Ok(Some(s)) if s == Signal::rt(3).unwrap() => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })?;
        match exit {
            Exit::Signal(n) if n == rt.as_raw() => Ok(()),
            other => Err(format!("grandchild ended with {other:?}, want {rt}")),
        }
    });
}

#[test]
fn pdeathsig_reports_the_watched_parent_so_a_dead_one_shows() {
    skip_under_emulation!(common::emu::SUBREAPER);
    in_child(|| {
        make_subreaper()?;
        let (r, w) = pipe();
        let (go_r, go_w) = pipe();
        let b = match own_fork()? {
            Fork::Child => {
                let parent = rustix::process::getpid();
                match own_fork() {
                    Ok(Fork::Child) => {
                        // G: alive parent first.
                        let alive = set_pdeathsig(Some(Signal::TERM));
                        set_pdeathsig(None).ok();
                        write_i32(w, 1);
                        // Wait until A has reaped B: G now belongs to A.
                        let _ = read_i32(go_r);
                        let gone = set_pdeathsig(Some(Signal::TERM));
                        let code = match (alive, gone) {
                            (Ok(a), Ok(g)) if a == Some(parent) && g != Some(parent) => 0,
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
    skip_under_emulation!(common::emu::UNAME);
    let s = daemonry::implementation().to_string();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    // The kernel's machine, which a 32-bit program on a 64-bit kernel does
    // not share (x86_64 for i686); `kernel.arch` exists since Linux 6.1.
    let machine = std::fs::read_to_string("/proc/sys/kernel/arch").map_or_else(
        |_| std::env::consts::ARCH.to_owned(),
        |m| m.trim().to_owned(),
    );
    assert_eq!(s, format!("Linux {} {machine}", release.trim()));
}

#[test]
fn exit_codes() {
    use daemonry::{EX_CANTCREAT, EX_FAILURE, EX_OK, EX_UNAVAILABLE, EX_USAGE};
    assert_eq!(
        [EX_OK, EX_FAILURE, EX_USAGE, EX_UNAVAILABLE, EX_CANTCREAT],
        [0, 1, 64, 69, 73]
    );
}

#[test]
fn fork_with_an_assumed_proof_works_in_a_threaded_process() {
    in_child(|| {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || rx.recv());
        // SAFETY: the child only calls exit_group (async-signal-safe).
        let r = unsafe { SingleThreaded::assume().fork() };
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

// == exec, waiting and reaping, process groups, the terminal's
// foreground group, the child-subreaper flag ==

use daemonry::process::{
    CStrArray, CStrArrayBuf, ChildExit, execve, execvpe, getpgrp, is_child_subreaper, reap_zombies,
    set_child_subreaper, setpgid, tcgetpgrp, tcsetpgrp,
};
use std::ffi::{CStr, CString};
use std::os::unix::fs::PermissionsExt;

/// Forks; the grandchild runs `exec` (which must not return) and exits
/// with 100 + the failed exec's errno otherwise; returns how it ended.
fn run_exec(exec: impl FnOnce() -> daemonry::Error) -> Result<ChildExit, String> {
    match own_fork()? {
        Fork::Child => {
            let e = exec();
            exit_immediately(100 + e.errno().map_or(0, |e| e.raw_os_error()))
        }
        Fork::Parent(pid) => process::wait_for(pid).map_err(|e| e.to_string()),
    }
}

fn write_file(path: &std::path::Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn execve_passes_argv_and_envp() {
    skip_under_emulation!(common::emu::THREADS);
    in_child(|| {
        let mut argv = CStrArrayBuf::<8>::new();
        for a in [
            c"sh",
            c"-c",
            c"test \"$0\" = named && exit \"$CODE\"",
            c"named",
        ] {
            argv.push(a).map_err(|e| e.to_string())?;
        }
        let mut env = CStrArrayBuf::<2>::new();
        env.push(c"CODE=42").map_err(|e| e.to_string())?;
        match run_exec(|| execve(c"/bin/sh", argv.as_array(), env.as_array()))? {
            ChildExit::Exited(42) => Ok(()),
            other => Err(format!("sh ended with {other:?}")),
        }
    });
}

#[test]
fn execve_failures_return_the_errno() {
    let dir = common::TempDir::new("execve");
    let plain = dir.path().join("plain");
    write_file(&plain, "#!/bin/sh\nexit 0\n", 0o644);
    let junk = dir.path().join("junk");
    write_file(&junk, "\x7fELF\x00garbage", 0o755);
    let cases = [
        (CString::new("/nonexistent/x").unwrap(), Errno::NOENT),
        (
            CString::new(plain.to_str().unwrap()).unwrap(),
            Errno::ACCESS,
        ),
        (CString::new(junk.to_str().unwrap()).unwrap(), Errno::NOEXEC),
    ];
    in_child(|| {
        for (path, want) in &cases {
            let e = execve(path, CStrArray::EMPTY, CStrArray::EMPTY);
            if e.errno() != Some(*want) || e.op() != Op::Execve {
                return Err(format!("{path:?}: {e:?}, want {want:?}"));
            }
        }
        Ok(())
    });
}

#[test]
fn execvpe_searches_path_like_glibc() {
    skip_under_emulation!(common::emu::THREADS);
    let dir = common::TempDir::new("execvpe");
    let (empty, noexec, good) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    for d in [&empty, &noexec, &good] {
        std::fs::create_dir(d).unwrap();
    }
    write_file(&noexec.join("prog"), "#!/bin/sh\nexit 5\n", 0o644);
    write_file(&good.join("prog"), "#!/bin/sh\nexit 7\n", 0o755);
    let path = |dirs: &[&std::path::Path]| {
        let joined: Vec<&str> = dirs.iter().map(|d| d.to_str().unwrap()).collect();
        CString::new(format!("PATH={}", joined.join(":"))).unwrap()
    };
    let cases: [(CString, Result<u8, Errno>); 4] = [
        (path(&[&empty, &noexec, &good]), Ok(7)),
        // EACCES is remembered and wins over the later ENOENT.
        (path(&[&noexec, &empty]), Err(Errno::ACCESS)),
        (path(&[&empty]), Err(Errno::NOENT)),
        // An empty element is the current directory (set to `good` below).
        (
            CString::new(format!("PATH={}:", empty.to_str().unwrap())).unwrap(),
            Ok(7),
        ),
    ];
    in_child(|| {
        std::env::set_current_dir(&good).map_err(|e| e.to_string())?;
        let mut argv = CStrArrayBuf::<2>::new();
        argv.push(c"prog").map_err(|e| e.to_string())?;
        for (env_path, want) in &cases {
            let mut env = CStrArrayBuf::<2>::new();
            env.push(env_path).map_err(|e| e.to_string())?;
            let got = run_exec(|| execvpe(c"prog", argv.as_array(), env.as_array()))?;
            let expected = match want {
                Ok(code) => ChildExit::Exited(*code),
                Err(e) => ChildExit::Exited((100 + e.raw_os_error()) as u8),
            };
            if got != expected {
                return Err(format!("{env_path:?}: {got:?}, want {expected:?}"));
            }
        }
        // No PATH at all: the default "/bin:/usr/bin" finds `true`.
        let mut t = CStrArrayBuf::<2>::new();
        t.push(c"true").map_err(|e| e.to_string())?;
        match run_exec(|| execvpe(c"true", t.as_array(), CStrArray::EMPTY))? {
            ChildExit::Exited(0) => Ok(()),
            other => Err(format!("true via the default PATH: {other:?}")),
        }
    });
    // Errors that need no search.
    let e = execvpe(c"", CStrArray::EMPTY, CStrArray::EMPTY);
    assert_eq!((e.errno(), e.op()), (Some(Errno::NOENT), Op::Execvpe));
    let long = CString::new("x".repeat(256)).unwrap();
    let e = execvpe(&long, CStrArray::EMPTY, CStrArray::EMPTY);
    assert_eq!(e.errno(), Some(Errno::NAMETOOLONG));
    let e = execvpe(c"/nonexistent/prog", CStrArray::EMPTY, CStrArray::EMPTY);
    assert_eq!((e.errno(), e.op()), (Some(Errno::NOENT), Op::Execvpe));
}

#[test]
fn cstr_arrays_walk_raw_and_built_arrays() {
    let strings = [c"a", c"bb", c"X=1", c"PATH=/bin"];
    let mut raw: Vec<*const std::ffi::c_char> = strings.iter().map(|s| s.as_ptr()).collect();
    raw.push(std::ptr::null());
    // SAFETY: a null-terminated array of pointers to live C strings.
    let arr = unsafe { CStrArray::from_ptr(raw.as_ptr()) };
    assert_eq!(arr.len(), 4);
    assert_eq!(arr.iter().collect::<Vec<&CStr>>(), strings);
    assert_eq!(arr.first(), Some(c"a"));
    assert_eq!(arr.get(3), Some(c"PATH=/bin"));
    assert_eq!(arr.get(4), None);
    assert_eq!(
        arr.skip(2).iter().collect::<Vec<_>>(),
        [c"X=1", c"PATH=/bin"]
    );
    assert!(arr.skip(4).is_empty() && arr.skip(99).is_empty());
    assert_eq!(
        arr.skip(4).as_ptr(),
        raw[4..].as_ptr(),
        "skip stops at the terminator"
    );
    assert_eq!(arr.env_var(b"X"), Some(c"1"));
    assert_eq!(arr.env_var(b"PATH"), Some(c"/bin"));
    assert_eq!(arr.env_var(b"X=1"), None, "a name with '=' matches nothing");
    assert_eq!(
        arr.env_var(b"bb"),
        None,
        "an entry without '=' is no variable"
    );
    // SAFETY: null is allowed and means empty.
    assert!(unsafe { CStrArray::from_ptr(std::ptr::null()) }.is_empty());
    assert_eq!(format!("{:?}", arr.skip(3)), "[\"PATH=/bin\"]");

    let mut one = CStrArrayBuf::<1>::new();
    let e = one.push(c"x").unwrap_err();
    assert_eq!((e.kind(), e.needed()), (ErrorKind::BufferTooSmall, Some(2)));
    assert!(one.as_array().is_empty());
    assert!(CStrArrayBuf::<0>::new().as_array().is_empty());
    let mut b = CStrArrayBuf::<3>::new();
    b.push(c"1").unwrap();
    b.push(c"2").unwrap();
    assert!(b.push(c"3").is_err());
    assert_eq!((b.len(), b.as_array().len()), (2, 2));
    // SAFETY: reading the terminator slot the builder guarantees.
    assert!(unsafe { *b.as_array().as_ptr().add(2) }.is_null());
}

#[test]
fn wait_for_decodes_exits_and_signals() {
    skip_under_emulation!(common::emu::THREADS);
    in_child(|| {
        let code = match own_fork()? {
            Fork::Child => exit_immediately(3),
            Fork::Parent(pid) => process::wait_for(pid).map_err(|e| e.to_string())?,
        };
        let killed = match own_fork()? {
            Fork::Child => loop {
                // SAFETY: pause has no preconditions.
                unsafe { libc::pause() };
            },
            Fork::Parent(pid) => {
                daemonry::signal::kill(pid, Signal::KILL).map_err(|e| e.to_string())?;
                process::wait_for(pid).map_err(|e| e.to_string())?
            }
        };
        let not_ours = process::wait_for(daemonry::Pid::INIT);
        match (code, killed, not_ours) {
            (
                ChildExit::Exited(3),
                ChildExit::Signaled {
                    signal: Signal::KILL,
                    core_dumped: false,
                },
                Err(e),
            ) if e.errno() == Some(Errno::CHILD) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
}

#[test]
fn reap_zombies_collects_orphans_as_a_subreaper() {
    skip_under_emulation!(common::emu::SUBREAPER);
    in_child(|| {
        set_child_subreaper(true).map_err(|e| e.to_string())?;
        if !is_child_subreaper().map_err(|e| e.to_string())? {
            return Err("not a subreaper after set_child_subreaper(true)".into());
        }
        // No children at all: nothing, at once.
        if let Some(r) = reap_zombies().next() {
            return Err(format!("reaped {r:?} with no children"));
        }
        let (pids_r, pids_w) = pipe();
        // B forks three grandchildren that exit with 11, 12, 13, and exits.
        let b = match own_fork()? {
            Fork::Child => {
                for code in 11..=13 {
                    if let Ok(Fork::Child) = own_fork() {
                        // SAFETY: getpid has no preconditions.
                        write_i32(pids_w, unsafe { libc::getpid() });
                        exit_immediately(code);
                    }
                }
                exit_immediately(0)
            }
            Fork::Parent(b) => b,
        };
        // SAFETY: drop our write end so EOF means every writer is gone.
        unsafe { libc::close(pids_w) };
        let mut orphans: Vec<i32> = std::iter::from_fn(|| read_i32(pids_r)).collect();
        orphans.sort_unstable();
        if process::wait_for(b).map_err(|e| e.to_string())? != ChildExit::Exited(0) {
            return Err("B failed".into());
        }
        // Wait until each has exited (a pidfd turns readable once the
        // process is a zombie); B's exit re-parented them to us.
        for &g in &orphans {
            // SAFETY: pidfd_open takes two integers and returns a new fd.
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, g, 0) } as i32;
            let mut p = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd; then closing our own fd.
            let ready = unsafe { libc::poll(&mut p, 1, -1) };
            // SAFETY: closing the pidfd we opened.
            unsafe { libc::close(fd) };
            if fd < 0 || ready != 1 {
                return Err(format!("pidfd for {g}: fd {fd}, poll {ready}"));
            }
        }
        let mut reaped: Vec<(i32, ChildExit)> = Vec::new();
        for r in reap_zombies() {
            let (pid, exit) = r.map_err(|e| e.to_string())?;
            reaped.push((pid.as_raw_nonzero().get(), exit));
        }
        reaped.sort_unstable_by_key(|r| r.0);
        let codes: Vec<ChildExit> = reaped.iter().map(|r| r.1).collect();
        let pids: Vec<i32> = reaped.iter().map(|r| r.0).collect();
        if pids != orphans || codes.iter().any(|c| c.code().is_none()) {
            return Err(format!("reaped {reaped:?}, orphans {orphans:?}"));
        }
        let mut sorted_codes: Vec<u8> = codes.iter().filter_map(ChildExit::code).collect();
        sorted_codes.sort_unstable();
        if sorted_codes != [11, 12, 13] {
            return Err(format!("codes {sorted_codes:?}"));
        }
        // No zombie left: the kernel has forgotten them.
        if let Some(p) = orphans.iter().find(|p| common::proc_state(**p).is_some()) {
            return Err(format!("{p} still in /proc"));
        }
        set_child_subreaper(false).map_err(|e| e.to_string())?;
        match is_child_subreaper() {
            Ok(false) => Ok(()),
            other => Err(format!("after set_child_subreaper(false): {other:?}")),
        }
    });
}

#[test]
fn reap_zombies_does_not_block_on_live_children() {
    skip_under_emulation!(common::emu::THREADS);
    in_child(|| {
        let (r, w) = pipe();
        let pid = match own_fork()? {
            Fork::Child => {
                let _ = read_i32(r);
                exit_immediately(4)
            }
            Fork::Parent(pid) => pid,
        };
        let early: Vec<_> = reap_zombies().collect();
        write_i32(w, 1);
        let exit = process::wait_for(pid).map_err(|e| e.to_string())?;
        if early.is_empty() && exit == ChildExit::Exited(4) {
            Ok(())
        } else {
            Err(format!("early {early:?}, exit {exit:?}"))
        }
    });
}

#[test]
fn setpgid_makes_groups_seen_in_proc() {
    skip_under_emulation!(common::emu::THREADS);
    let mut c = spawn(|ctl| {
        setpgid(None, None).map_err(|e| e.to_string())?;
        if getpgrp() != rustix::process::getpid() {
            return Err(format!("getpgrp {:?}", getpgrp()));
        }
        // Not our child: ESRCH.
        match setpgid(Some(daemonry::Pid::INIT), None) {
            Err(e) if e.errno() == Some(Errno::SRCH) && e.op() == Op::Setpgid => {}
            other => return Err(format!("setpgid(1): {other:?}")),
        }
        // The parent may move its child into a group of the child's own.
        let (r, w) = pipe();
        let x = match own_fork()? {
            Fork::Child => {
                let _ = read_i32(r);
                exit_immediately(0)
            }
            Fork::Parent(x) => x,
        };
        setpgid(Some(x), None).map_err(|e| e.to_string())?;
        ctl.send(&x.as_raw_nonzero().get().to_string());
        ctl.pause();
        write_i32(w, 1);
        process::wait_for(x).map_err(|e| e.to_string())?;
        Ok(())
    });
    let x: i32 = c.recv().unwrap().parse().unwrap();
    c.wait_paused();
    // proc(5) field 5: the process group.
    assert_eq!(proc_stat(c.pid)[4], c.pid.to_string());
    assert_eq!(proc_stat(x)[4], x.to_string());
    c.resume();
    c.finish().unwrap();
}

/// Opens a new pseudo-terminal pair; returns (master, slave path).
fn open_pty() -> (i32, CString) {
    // SAFETY: plain libc pty calls on a fresh master fd; ptsname's static
    // buffer is copied at once (each test binary is the only user here).
    unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(m >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(m), 0);
        assert_eq!(libc::unlockpt(m), 0);
        let name = CStr::from_ptr(libc::ptsname(m)).to_owned();
        (m, name)
    }
}

#[test]
fn tcsetpgrp_hands_the_terminal_to_another_group() {
    skip_under_emulation!(common::emu::THREADS);
    let (master, slave) = open_pty();
    let mut c = spawn(move |ctl| {
        daemonry::setsid().map_err(|e| e.to_string())?;
        // Opening the slave in a new session makes it our controlling tty.
        // SAFETY: `slave` is a valid C string.
        let fd = unsafe { libc::open(slave.as_ptr(), libc::O_RDWR) };
        if fd < 0 {
            return Err("open slave".into());
        }
        // SAFETY: `fd` is open and ours.
        let tty = unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) };
        if tcgetpgrp(tty).map_err(|e| e.to_string())? != rustix::process::getpid() {
            return Err("we should be the foreground group".into());
        }
        let (r, w) = pipe();
        let x = match own_fork()? {
            Fork::Child => {
                let _ = setpgid(None, None);
                let _ = read_i32(r);
                exit_immediately(0)
            }
            Fork::Parent(x) => x,
        };
        setpgid(Some(x), None).map_err(|e| e.to_string())?;
        tcsetpgrp(tty, x).map_err(|e| e.to_string())?;
        if tcgetpgrp(tty).map_err(|e| e.to_string())? != x {
            return Err("foreground group did not change".into());
        }
        ctl.send(&x.as_raw_nonzero().get().to_string());
        ctl.pause();
        write_i32(w, 1);
        process::wait_for(x).map_err(|e| e.to_string())?;
        Ok(())
    });
    let x = c.recv().unwrap();
    c.wait_paused();
    // proc(5) field 8: the terminal's foreground process group.
    assert_eq!(proc_stat(c.pid)[7], x);
    c.resume();
    c.finish().unwrap();
    // SAFETY: our master fd.
    unsafe { libc::close(master) };
    // A pipe is no terminal.
    let (r, _w) = rustix::pipe::pipe().unwrap();
    let e = tcsetpgrp(&r, getpgrp()).unwrap_err();
    assert_eq!((e.errno(), e.op()), (Some(Errno::NOTTY), Op::Tcsetpgrp));
}
