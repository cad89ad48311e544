//! Daemonization, judged from outside through /proc/<pid>: `DaemonContext`
//! and `detached` in forked children. Nothing here daemonizes the test
//! runner itself. (The `daemonry` tool's tests are in `tools/cli/tests`.)

#![allow(unsafe_code)] // libc: prctl, pipes, waitpid, fork helpers.

mod common;

use common::{TempDir, fd_target, proc_fds, proc_status, spawn};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

fn read_pid(p: &Path) -> i32 {
    let s = std::fs::read_to_string(p).expect("read pidfile");
    assert!(s.ends_with('\n'), "{s:?}");
    s.trim_end().parse().expect("pid")
}

/// A std `File` from rustix's `OwnedFd` (std's own type with the `std`
/// feature, rustix's polyfill without it).
fn to_file(fd: rustix::fd::OwnedFd) -> std::fs::File {
    use rustix::fd::IntoRawFd;
    // SAFETY: ownership moves from one owner type to the other.
    unsafe { std::fs::File::from_raw_fd(fd.into_raw_fd()) }
}

// ---- DaemonContext in forked children ---------------------------------------

#[test]
fn the_daemon_is_a_normal_rust_program() {
    skip_under_emulation!(common::emu::THREADS);
    let result = spawn(|_| {
        // SAFETY: makes this forked child the daemon's reaper.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        let (r, w) = rustix::pipe::pipe().map_err(|e| e.to_string())?;
        let opened = daemonry::DaemonContext::new()
            .parent(daemonry::OnReady::Return)
            .keep(&w)
            .open()
            .map_err(|e| e.to_string())?;
        match opened {
            daemonry::Opened::Daemon(_d) => {
                // The daemon closed every fd it did not keep, `r` included:
                // forget it (dropping it would close a dead fd, which std
                // rightly treats as an I/O-safety violation).
                std::mem::forget(r);
                let mut out = to_file(w);
                use std::io::Write;
                let big: Vec<u64> = (0..1_000_000).collect();
                let sum = std::thread::spawn(move || big.iter().sum::<u64>())
                    .join()
                    .unwrap();
                let status = Command::new("true").status().map(|s| s.success());
                let caught = std::thread::spawn(|| panic!("on purpose")).join().is_err();
                let _ = writeln!(out, "{sum} {status:?} {caught}");
                drop(out);
                std::process::abort();
            }
            daemonry::Opened::Original(pid) => {
                drop(w);
                let mut line = String::new();
                use std::io::Read;
                std::fs::File::from(r)
                    .read_to_string(&mut line)
                    .map_err(|e| e.to_string())?;
                if line.trim() != "499999500000 Ok(true) true" {
                    return Err(format!("daemon reported {line:?}"));
                }
                let mut st = 0;
                // SAFETY: the daemon was re-parented to us (subreaper).
                let r = unsafe { libc::waitpid(pid.as_raw_nonzero().get(), &mut st, 0) };
                if r <= 0 || !libc::WIFSIGNALED(st) || libc::WTERMSIG(st) != libc::SIGABRT {
                    return Err(format!("abort did not end the daemon by SIGABRT: {st:#x}"));
                }
                Ok(())
            }
        }
    })
    .finish();
    result.unwrap();
}

#[test]
fn open_refuses_a_multithreaded_process_and_forks_nothing() {
    common::in_child(|| {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || rx.recv());
        let r = daemonry::DaemonContext::new()
            .parent(daemonry::OnReady::Return)
            .open();
        let kind = r.as_ref().err().map(|e| e.kind());
        let children = std::fs::read_dir("/proc/self/task")
            .unwrap()
            .flatten()
            .map(|t| std::fs::read_to_string(t.path().join("children")).unwrap())
            .collect::<String>();
        drop(tx);
        let _ = t.join();
        if kind != Some(daemonry::ErrorKind::MultiThreaded) {
            return Err(format!("expected MultiThreaded, got {r:?}"));
        }
        if !children.trim().is_empty() {
            return Err(format!("forked anyway: children {children:?}"));
        }
        Ok(())
    });
}

#[test]
fn fake_mode_does_not_fork_but_applies_workdir_umask_and_hook() {
    let dir = TempDir::new("dfake");
    let work = CString::new(dir.path().to_str().unwrap()).unwrap();
    let want = dir.path().to_path_buf();
    common::in_child(move || {
        let me = std::process::id();
        let ran = std::cell::Cell::new(false);
        let mut hook = || {
            ran.set(true);
            Ok(())
        };
        let opened = daemonry::DaemonContext::new()
            .fake(true)
            .workdir(work.as_c_str())
            .umask(daemonry::Mode::from_raw_mode(0o077))
            .after_chdir(&mut hook)
            .open()
            .map_err(|e| e.to_string())?;
        let daemonry::Opened::Daemon(d) = opened else {
            return Err("fake mode returned Original".into());
        };
        if d.pid().as_raw_nonzero().get() as u32 != me || std::process::id() != me {
            return Err("pid changed".into());
        }
        if std::env::current_dir().unwrap() != want {
            return Err("no chdir".into());
        }
        if proc_status(me as i32)["Umask"] != "0077" {
            return Err("umask not applied".into());
        }
        let children = std::fs::read_to_string(format!("/proc/{me}/task/{me}/children")).unwrap();
        if !children.trim().is_empty() {
            return Err("fake mode forked".into());
        }
        drop(d);
        if !ran.get() {
            return Err("hook did not run".into());
        }
        Ok(())
    });
}

#[test]
fn errors_after_detaching_reach_the_caller() {
    skip_under_emulation!(common::emu::THREADS);
    // A hook failing in the daemon, and a held pidfile, reported through the
    // readiness pipe to an `OnReady::Return` caller.
    let dir = TempDir::new("dhook");
    let pidfile = CString::new(dir.path().join("x.pid").to_str().unwrap()).unwrap();
    let pidfile2 = pidfile.clone();
    common::in_child(move || {
        let mut hook = || {
            Err(
                daemonry::Error::os(daemonry::Op::Hook, daemonry::Errno::ACCESS)
                    .with_input(b"detail"),
            )
        };
        let e = daemonry::DaemonContext::new()
            .parent(daemonry::OnReady::Return)
            .after_chdir(&mut hook)
            .open()
            .err()
            .ok_or("hook error not reported")?;
        if e.to_string() != "hook: \"detail\": EACCES (Permission denied)" {
            return Err(format!("got {e}"));
        }
        Ok(())
    });
    let lock = daemonry::create_pidlock(pidfile2.as_c_str()).unwrap();
    common::in_child(move || {
        let e = daemonry::DaemonContext::new()
            .parent(daemonry::OnReady::Return)
            .pidfile(pidfile.as_c_str())
            .open()
            .err()
            .ok_or("lock error not reported")?;
        // The holder is the test process, our parent.
        let holder = rustix::process::getppid();
        match e.kind() {
            daemonry::ErrorKind::LockFailed if e.pid() == holder => Ok(()),
            _ => Err(format!("got {e}")),
        }
    });
    drop(lock);
}

/// A daemon that ends before it reports ready (here: it drops its handle
/// with readiness deferred) makes `open` fail in the caller with
/// `Op::NotReady`, and the message says so.
#[test]
fn a_daemon_that_ends_before_it_is_ready_is_reported() {
    skip_under_emulation!(common::emu::THREADS);
    common::in_child(|| {
        let opened = daemonry::DaemonContext::new()
            .parent(daemonry::OnReady::Return)
            .ready_on_open(false)
            .open();
        match opened {
            Ok(daemonry::Opened::Daemon(daemon)) => {
                drop(daemon);
                daemonry::exit_immediately(0)
            }
            Ok(daemonry::Opened::Original(pid)) => Err(format!("reported ready: {pid:?}")),
            Err(e)
                if e.op() == daemonry::Op::NotReady && e.errno() == Some(daemonry::Errno::PIPE) =>
            {
                let text = e.to_string();
                if text.starts_with("the daemon ended before it reported ready") {
                    Ok(())
                } else {
                    Err(format!("message {text:?}"))
                }
            }
            Err(e) => Err(format!("got {e} ({:?})", e.op())),
        }
    });
}

#[test]
fn detached_checks_before_detaching() {
    let dir = TempDir::new("ddetached");
    let pidfile = CString::new(dir.path().join("d.pid").to_str().unwrap()).unwrap();
    let _lock = daemonry::create_pidlock(pidfile.as_c_str()).unwrap();
    // A held pidfile is reported by `detached` itself, with no side effect.
    let e =
        daemonry::detached(daemonry::DetachOptions::new().pidfile(pidfile.as_c_str())).unwrap_err();
    assert!(matches!(e.kind(), daemonry::ErrorKind::LockFailed));
    assert_eq!(
        read_pid(Path::new(pidfile.to_str().unwrap())),
        std::process::id() as i32
    );
    // An unwritable log file too.
    let e = daemonry::detached(daemonry::DetachOptions::new().logfile(c"/")).unwrap_err();
    assert_eq!(e.op(), daemonry::Op::OpenLog);
}

#[test]
fn the_daemon_keeps_exactly_stdio_its_pidfile_and_the_keep_list() {
    skip_under_emulation!(common::emu::THREADS);
    let dir = TempDir::new("dkeep");
    let pidfile = CString::new(dir.path().join("k.pid").to_str().unwrap()).unwrap();
    let pidpath = dir.path().join("k.pid");
    let mut helper = spawn(move |ctl| {
        // SAFETY: makes this forked child the daemon's reaper.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        // Stray inheritable fds the daemon must not keep, and two it must.
        let strays: Vec<_> = (0..5)
            .map(|_| std::fs::File::open("/dev/null").unwrap())
            .collect();
        let (gate_r, gate_w) = rustix::pipe::pipe().map_err(|e| e.to_string())?;
        let extra = std::fs::File::open("/proc/self/status").map_err(|e| e.to_string())?;
        // One fd kept through its owner, one by number.
        let keep = [gate_r.as_raw_fd(), extra.as_raw_fd()];
        let opened = daemonry::DaemonContext::new()
            .parent(daemonry::OnReady::Return)
            .pidfile(pidfile.as_c_str())
            .keep(&gate_r)
            .keep_fds(&keep[1..])
            .open()
            .map_err(|e| e.to_string())?;
        match opened {
            daemonry::Opened::Daemon(_d) => {
                // Everything not kept is closed already: never drop those.
                std::mem::forget(strays);
                std::mem::forget(gate_w);
                let mut b = [0u8; 1];
                let _ = rustix::io::read(&gate_r, &mut b); // until the test is done
                daemonry::exit_immediately(0)
            }
            daemonry::Opened::Original(pid) => {
                drop(gate_r);
                ctl.send(&format!("{} {} {}", pid.as_raw_nonzero(), keep[0], keep[1]));
                ctl.pause();
                drop(gate_w); // lets the daemon exit
                let mut st = 0;
                // SAFETY: the daemon was re-parented to us (subreaper).
                unsafe { libc::waitpid(pid.as_raw_nonzero().get(), &mut st, 0) };
                drop(strays);
                Ok(())
            }
        }
    });
    let line = helper.recv().expect("pids");
    let v: Vec<i32> = line.split(' ').map(|s| s.parse().unwrap()).collect();
    let (pid, gate, extra) = (v[0], v[1], v[2]);
    helper.wait_paused();
    // Judge the daemon once it blocks reading the gate (past `open`, which
    // closes its end of the readiness pipe right after reporting).
    let want_sc = format!("{} {gate:#x} ", libc::SYS_read);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(format!("/proc/{pid}/syscall"))
        .unwrap_or_default()
        .starts_with(&want_sc)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "daemon never blocked on the gate"
        );
        std::thread::yield_now();
    }
    let fds = proc_fds(pid);
    let lock_fd = *fds
        .iter()
        .find(|&&fd| {
            let m = std::fs::metadata(format!("/proc/{pid}/fd/{fd}")).unwrap();
            let p = std::fs::metadata(&pidpath).unwrap();
            (m.dev(), m.ino()) == (p.dev(), p.ino())
        })
        .expect("the pidfile fd is open");
    let mut want = vec![0, 1, 2, gate, extra, lock_fd];
    want.sort_unstable();
    let targets: Vec<String> = fds.iter().map(|&fd| fd_target(pid, fd)).collect();
    assert_eq!(
        fds, want,
        "exactly stdio, the keep list and the pidfile: {targets:?}"
    );
    for fd in 0..3 {
        assert_eq!(fd_target(pid, fd), "/dev/null");
    }
    assert_eq!(
        fd_target(pid, extra),
        format!("/proc/{}/status", helper.pid)
    );
    assert_eq!(read_pid(&pidpath), pid, "the daemon holds the pidfile");
    helper.resume();
    helper.finish().unwrap();
}

// ---- I/O safety: values the daemon keeps ------------------------------------

/// Reaps the daemon `pid` (we are its subreaper) and describes how it ended.
fn reap_daemon(pid: daemonry::Pid) -> Result<(), String> {
    let mut st = 0;
    // SAFETY: the daemon was re-parented to us (subreaper).
    let r = unsafe { libc::waitpid(pid.as_raw_nonzero().get(), &mut st, 0) };
    match r > 0 && libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0 {
        true => Ok(()),
        false if libc::WIFSIGNALED(st) => {
            Err(format!("daemon killed by signal {}", libc::WTERMSIG(st)))
        }
        false => Err(format!("daemon ended with status {st:#x}")),
    }
}

/// A `File` and a `TcpListener` given to `keep` survive `open`: the daemon
/// writes to the file, accepts one connection from the test and answers
/// it, then drops both values normally. In a debug build std aborts on
/// dropping a value whose fd was closed under it, so a clean exit 0 of the
/// daemon is the judge, with the file's contents and the connection.
#[test]
fn kept_file_and_listener_survive_open_and_drop_normally() {
    skip_under_emulation!(common::emu::THREADS);
    let dir = TempDir::new("dkeepio");
    let log = dir.path().join("kept.log");
    let log2 = log.clone();
    let mut helper = spawn(move |ctl| {
        // SAFETY: makes this forked child the daemon's reaper.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log2)
            .map_err(|e| e.to_string())?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let opened = daemonry::DaemonContext::new()
            .parent(daemonry::OnReady::Return)
            .keep(&file)
            .keep(&listener)
            .open()
            .map_err(|e| e.to_string())?;
        match opened {
            daemonry::Opened::Daemon(_d) => {
                use std::io::Write;
                writeln!(&file, "daemon {}", std::process::id()).map_err(|e| e.to_string())?;
                // Never outlive a failed test: accept gives up after 10 s.
                let tv = libc::timeval {
                    tv_sec: 10,
                    tv_usec: 0,
                };
                // SAFETY: SO_RCVTIMEO (accept's timeout) with a valid timeval.
                unsafe {
                    libc::setsockopt(
                        listener.as_raw_fd(),
                        libc::SOL_SOCKET,
                        libc::SO_RCVTIMEO,
                        (&tv as *const libc::timeval).cast(),
                        std::mem::size_of::<libc::timeval>() as libc::socklen_t,
                    )
                };
                let (mut conn, _) = listener.accept().map_err(|e| e.to_string())?;
                writeln!(conn, "hello from the daemon").map_err(|e| e.to_string())?;
                drop(conn);
                drop(listener);
                drop(file);
                // `spawn` leaves with `_exit(0)` once this returns.
                Ok(())
            }
            daemonry::Opened::Original(pid) => {
                drop(listener);
                drop(file);
                ctl.send(&format!("{port} {}", pid.as_raw_nonzero()));
                reap_daemon(pid)
            }
        }
    });
    let line = helper.recv().expect("port and pid");
    let (port, pid) = line.split_once(' ').expect("two words");
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap()))
        .expect("the kept listener accepts");
    let mut answer = String::new();
    use std::io::Read;
    conn.read_to_string(&mut answer).expect("read the answer");
    assert_eq!(answer, "hello from the daemon\n");
    helper
        .finish()
        .expect("the daemon dropped its kept values and exited 0");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!("daemon {pid}\n"),
        "the daemon wrote through the kept File"
    );
}

/// The hazard `keep` prevents, seen by the same judge: a `File` that was
/// not kept is closed under its owner, and dropping it in the daemon
/// aborts a debug build.
#[test]
#[cfg(debug_assertions)]
fn an_unkept_file_dropped_in_the_daemon_aborts_a_debug_build() {
    skip_under_emulation!(common::emu::THREADS);
    let result = spawn(|_| {
        // SAFETY: makes this forked child the daemon's reaper.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        let file = std::fs::File::open("/dev/null").map_err(|e| e.to_string())?;
        let opened = daemonry::DaemonContext::new()
            .parent(daemonry::OnReady::Return)
            .open()
            .map_err(|e| e.to_string())?;
        match opened {
            daemonry::Opened::Daemon(_d) => {
                drop(file);
                Ok(())
            }
            daemonry::Opened::Original(pid) => match reap_daemon(pid) {
                Err(e) if e == format!("daemon killed by signal {}", libc::SIGABRT) => Ok(()),
                other => Err(format!("expected an abort, got {other:?}")),
            },
        }
    })
    .finish();
    result.unwrap();
}

/// With `std`, every `DaemonContext` path can be a `&Path`. A relative
/// pidfile and log mean the caller's working directory, not the daemon's
/// `workdir`.
#[test]
#[cfg(feature = "std")]
fn paths_as_path_and_relative_to_the_caller() {
    skip_under_emulation!(common::emu::THREADS);
    let dir = TempDir::new("dpaths");
    let caller_dir = dir.path().join("caller");
    let work_dir = dir.path().join("work");
    std::fs::create_dir_all(&caller_dir).unwrap();
    std::fs::create_dir_all(&work_dir).unwrap();
    let (c2, w2) = (caller_dir.clone(), work_dir.clone());
    let mut helper = spawn(move |ctl| {
        // SAFETY: makes this forked child the daemon's reaper.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        std::env::set_current_dir(&c2).map_err(|e| e.to_string())?;
        let log = Path::new("out.log");
        let opened = daemonry::DaemonContext::new()
            .parent(daemonry::OnReady::Return)
            .workdir(w2.as_path())
            .pidfile(Path::new("d.pid"))
            .stdout(daemonry::Output::append(log))
            .stderr(daemonry::Output::append(log))
            .open()
            .map_err(|e| e.to_string())?;
        match opened {
            daemonry::Opened::Daemon(d) => {
                let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
                let lock = d.pidlock().ok_or("no pidlock")?;
                // Raw writes: the test harness captures `println!`.
                let out = format!("cwd {}\n", cwd.display());
                let err = format!("lock {}\n", lock.as_path().display());
                // SAFETY: writes of valid buffers to fds 1 and 2.
                unsafe {
                    libc::write(1, out.as_ptr().cast(), out.len());
                    libc::write(2, err.as_ptr().cast(), err.len());
                }
                daemonry::exit_immediately(0)
            }
            daemonry::Opened::Original(pid) => {
                ctl.send(&pid.as_raw_nonzero().to_string());
                reap_daemon(pid)
            }
        }
    });
    let pid: i32 = helper.recv().expect("pid").parse().unwrap();
    helper.finish().unwrap();
    assert_eq!(read_pid(&caller_dir.join("d.pid")), pid);
    assert!(!work_dir.join("d.pid").exists());
    assert_eq!(
        std::fs::read_to_string(caller_dir.join("out.log")).unwrap(),
        format!(
            "cwd {}\nlock {}\n",
            work_dir.display(),
            caller_dir.join("d.pid").display()
        )
    );
}
