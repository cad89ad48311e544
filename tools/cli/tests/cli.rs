//! The `daemonry` tool (start/status/stop), judged from outside through
//! /proc/<pid>. Nothing here daemonizes the test runner itself, and every
//! test kills what it started, even when it fails (see `Sweep`).

#![allow(unsafe_code)] // libc: prctl, signal masks, pidfds, kill.

mod common;

use common::tool::{Sweep, bin, code, dead, pidfd, read_pid, stderr, stdout, tool, wait_exit};
use common::{TempDir, fd_target, proc_fds, proc_stat, proc_status, spawn};
use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output};

/// Polls /proc/<pid>/syscall until the process blocks in
/// `clock_nanosleep` (230) or `nanosleep` (35): `sleep` is then done
/// starting up.
fn wait_until_sleeping(pid: i32) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let sc = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
        if sc.starts_with("230 ") || sc.starts_with("35 ") {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pid} never slept: {sc:?}"
        );
        std::thread::yield_now();
    }
}

// ---- start: the daemon, seen from outside -----------------------------------

#[test]
fn start_daemon_judged_through_proc() {
    require_root!();
    let dir = TempDir::new("dstart");
    let pidfile = dir.path().join("d.pid");
    let log = dir.path().join("d.log");
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let sweep = Sweep::new();
    let args: Vec<String> = [
        "start",
        "--pidfile",
        pidfile.to_str().unwrap(),
        "--logfile",
        log.to_str().unwrap(),
        "--user",
        "nobody",
        "--umask",
        "027",
        "--workdir",
        work.to_str().unwrap(),
        "--",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(sweep.sleep().iter().map(|s| s.to_string()))
    .collect();
    // A subreaper child runs `start`, so the daemon is re-parented to it;
    // it also ignores SIGHUP and blocks SIGUSR2 first, which the daemon must
    // not inherit.
    let exe = bin();
    let mut helper = spawn(move |ctl| {
        // SAFETY: process-state changes in this forked child only.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR2);
            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
        let out = Command::new(exe)
            .args(&args)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("start failed: {}", stderr(&out)));
        }
        ctl.send(&read_pid(Path::new(&args[2])).to_string());
        ctl.pause();
        Ok(())
    });
    let pid: i32 = helper.recv().expect("daemon pid").parse().expect("pid");
    helper.wait_paused();

    // `sleep` itself opens locale files while it starts: look once it has
    // reached its nanosleep.
    wait_until_sleeping(pid);
    let stat = proc_stat(pid);
    assert_eq!(
        stat[3].parse::<i32>().unwrap(),
        helper.pid,
        "ppid is the subreaper"
    );
    assert_ne!(stat[5].parse::<i32>().unwrap(), pid, "not a session leader");
    assert_eq!(
        stat[4], stat[5],
        "its own process group, in the new session"
    );
    assert_eq!(stat[6], "0", "no controlling terminal (tty_nr)");
    let st = proc_status(pid);
    assert_eq!(st["Umask"], "0027");
    assert_eq!(
        st["Uid"].split_whitespace().collect::<Vec<_>>(),
        ["65534"; 4]
    );
    assert_eq!(
        st["Gid"].split_whitespace().collect::<Vec<_>>(),
        ["65534"; 4]
    );
    assert_eq!(st["Groups"], "65534");
    assert_eq!(st["SigBlk"], "0000000000000000", "mask reset");
    assert_eq!(st["SigIgn"], "0000000000000000", "SIGHUP no longer ignored");
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap(),
        work,
        "working directory"
    );
    assert_eq!(
        std::fs::read(format!("/proc/{pid}/cmdline")).unwrap(),
        format!("sleep\0{}\0", sweep.0).into_bytes()
    );
    // fds: exactly 0, 1, 2 and the locked pidfile.
    let fds = proc_fds(pid);
    let targets: Vec<String> = fds.iter().map(|&fd| fd_target(pid, fd)).collect();
    assert_eq!(fds.len(), 4, "fds {fds:?} {targets:?}");
    assert_eq!(&fds[..3], &[0, 1, 2]);
    assert_eq!(fd_target(pid, 0), "/dev/null");
    assert_eq!(fd_target(pid, 1), log.to_str().unwrap());
    assert_eq!(fd_target(pid, 2), log.to_str().unwrap());
    let meta = std::fs::metadata(&pidfile).unwrap();
    let fdmeta = std::fs::metadata(format!("/proc/{pid}/fd/{}", fds[3])).unwrap();
    assert_eq!(
        (fdmeta.dev(), fdmeta.ino()),
        (meta.dev(), meta.ino()),
        "pidfile fd"
    );
    // The lock, as the kernel lists it for that very fd (not /proc/locks,
    // which can skip entries while other tests take and drop locks).
    let fdinfo = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", fds[3])).unwrap();
    assert!(
        fdinfo.lines().any(|l| l.starts_with("lock:")
            && l.contains("FLOCK")
            && l.contains("WRITE")
            && l.ends_with(" 0 EOF")
            && l.contains(&format!(":{} ", meta.ino()))),
        "the pidfile is flock()ed:\n{fdinfo}"
    );
    // The log file is appended to, and owned by root (opened before the drop).
    assert_eq!(std::fs::metadata(&log).unwrap().uid(), 0);

    // Stop it: the subreaper reaps it.
    let fd = pidfd(pid);
    let stop = tool(&["stop", "--pidfile", pidfile.to_str().unwrap()]);
    assert_eq!(code(&stop), 0, "{}", stderr(&stop));
    assert!(wait_exit(&fd, 5000));
    assert!(!pidfile.exists(), "stop removes the pidfile");
    helper.resume();
    helper.finish().unwrap();
    assert!(sweep.live().is_empty());
}

#[test]
fn start_returns_only_once_the_pidfile_names_the_running_command() {
    let dir = TempDir::new("dready");
    let pidfile = dir.path().join("r.pid");
    let p = pidfile.to_str().unwrap();
    for _ in 0..10 {
        let sweep = Sweep::new();
        let [s, t] = sweep.sleep();
        let out = tool(&["start", "--pidfile", p, "--", s, t]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        // Read at once: never missing, never a stale pid.
        let pid = read_pid(&pidfile);
        assert_eq!(sweep.live(), vec![pid]);
        assert_eq!(
            std::fs::read(format!("/proc/{pid}/cmdline")).unwrap(),
            format!("sleep\0{t}\0").into_bytes(),
            "the pidfile holds the exec'd command's pid"
        );
        let fd = pidfd(pid);
        let stop = tool(&["stop", "--pidfile", p]);
        assert_eq!(code(&stop), 0, "{}", stderr(&stop));
        assert!(wait_exit(&fd, 5000));
    }
}

// ---- start: failures are reported, nothing is left running -------------------

#[test]
fn start_failures_are_reported_with_their_exit_codes() {
    require_root!();
    let dir = TempDir::new("dfail");
    let pidfile = dir.path().join("f.pid");
    let p = pidfile.to_str().unwrap();
    let sweep = Sweep::new();
    let [s, t] = sweep.sleep();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec![
                "start",
                "--pidfile",
                p,
                "--workdir",
                "/nonexistent",
                "--",
                s,
                t,
            ],
            1,
            "chdir: \"/nonexistent\": ENOENT",
        ),
        (
            vec!["start", "--pidfile", p, "--logfile", "/", "--", s, t],
            73,
            "open log file: \"/\": EISDIR",
        ),
        (
            vec![
                "start",
                "--pidfile",
                p,
                "--user",
                "no-such-user",
                "--",
                s,
                t,
            ],
            67,
            "unknown user \"no-such-user\"",
        ),
        (
            vec![
                "start",
                "--pidfile",
                p,
                "--group",
                "no-such-group",
                "--",
                s,
                t,
            ],
            67,
            "unknown group",
        ),
        (
            vec!["start", "--pidfile", p, "--", "/nonexistent/command", t],
            127,
            "execvpe: \"/nonexistent/command\": ENOENT",
        ),
        (
            vec!["start", "--pidfile", p, "--umask", "8", "--", s, t],
            64,
            "umask",
        ),
        (vec!["start", "--", s, t], 64, "--pidfile"),
    ];
    for (args, want, msg) in cases {
        let out = tool(&args);
        let err = stderr(&out);
        assert_eq!(code(&out), want, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one clear line: {err}");
        assert!(err.contains(msg), "{args:?}: {err:?} lacks {msg:?}");
        assert!(!pidfile.exists(), "{args:?} left a pidfile");
        assert!(sweep.live().is_empty(), "{args:?} left a daemon running");
    }
}

#[test]
fn start_with_a_held_pidfile_exits_73_and_starts_nothing() {
    let dir = TempDir::new("dheld");
    let pidfile = dir.path().join("h.pid");
    let p = pidfile.to_str().unwrap();
    let first = Sweep::new();
    let [s, t] = first.sleep();
    assert_eq!(code(&tool(&["start", "--pidfile", p, "--", s, t])), 0);
    let holder = read_pid(&pidfile);
    let second = Sweep::new();
    let [s2, t2] = second.sleep();
    let out = tool(&["start", "--pidfile", p, "--", s2, t2]);
    assert_eq!(code(&out), 73, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("lock held by pid {holder}")),
        "{}",
        stderr(&out)
    );
    assert!(second.live().is_empty());
    assert_eq!(read_pid(&pidfile), holder, "the holder's file is untouched");
    assert_eq!(code(&tool(&["stop", "--pidfile", p])), 0);
}

#[test]
fn twenty_racing_starts_leave_exactly_one_daemon() {
    let dir = TempDir::new("drace");
    let pidfile = dir.path().join("race.pid");
    let p = pidfile.to_str().unwrap();
    let sweep = Sweep::new();
    let [s, t] = sweep.sleep();
    let children: Vec<_> = (0..20)
        .map(|_| {
            Command::new(bin())
                .args(["start", "--pidfile", p, "--", s, t])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let ok = outs.iter().filter(|o| code(o) == 0).count();
    let locked = outs.iter().filter(|o| code(o) == 73).count();
    assert_eq!(
        (ok, locked),
        (1, 19),
        "{:?}",
        outs.iter().map(stderr).collect::<Vec<_>>()
    );
    let live = sweep.live();
    assert_eq!(
        live,
        vec![read_pid(&pidfile)],
        "exactly one daemon, named by the pidfile"
    );
    assert_eq!(code(&tool(&["stop", "--pidfile", p])), 0);
}

// ---- status and stop ---------------------------------------------------------

#[test]
fn status_running_stale_invalid_and_stopped() {
    let dir = TempDir::new("dstatus");
    let pidfile = dir.path().join("s.pid");
    let p = pidfile.to_str().unwrap();
    let status = || {
        let o = tool(&["status", "--pidfile", p]);
        (stdout(&o), code(&o))
    };
    assert_eq!(status(), ("stopped".into(), 3));

    let sweep = Sweep::new();
    let [s, t] = sweep.sleep();
    assert_eq!(code(&tool(&["start", "--pidfile", p, "--", s, t])), 0);
    let pid = read_pid(&pidfile);
    assert_eq!(status(), (format!("running {pid}"), 0));
    assert_eq!(code(&tool(&["stop", "--pidfile", p])), 0);

    // A pid that is gone.
    let mut gone = Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(&pidfile, format!("{gone_pid}\n")).unwrap();
    assert_eq!(status(), (format!("stale {gone_pid}"), 1));

    // Pidfile-shaped but broken: invalid.
    std::fs::write(&pidfile, "-5\n").unwrap();
    assert_eq!(status(), ("invalid".into(), 1));
    // Not pidfile-shaped at all: not a pidfile (SPEC trust rule 5).
    std::fs::write(&pidfile, "abc\n").unwrap();
    assert_eq!(
        status(),
        (
            format!("not-a-pidfile: \"{p}\" is not a pidfile; left untouched"),
            4
        )
    );
    std::fs::write(&pidfile, "").unwrap();
    assert_eq!(status(), ("invalid".into(), 1));
}

#[test]
fn stop_a_daemon_that_exits_on_term() {
    let dir = TempDir::new("dstop");
    let pidfile = dir.path().join("t.pid");
    let p = pidfile.to_str().unwrap();
    let sweep = Sweep::new();
    let [s, t] = sweep.sleep();
    assert_eq!(code(&tool(&["start", "--pidfile", p, "--", s, t])), 0);
    let pid = read_pid(&pidfile);
    let fd = pidfd(pid);
    let out = tool(&["stop", "--pidfile", p, "--timeout", "10"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("SIGKILL"),
        "TERM was enough: {}",
        stderr(&out)
    );
    assert!(
        wait_exit(&fd, 0),
        "stop returned only after the daemon exited"
    );
    assert!(dead(pid));
    assert!(!pidfile.exists());
}

#[test]
fn stop_escalates_to_kill_for_a_daemon_that_ignores_term() {
    let dir = TempDir::new("dkill");
    let pidfile = dir.path().join("k.pid");
    let p = pidfile.to_str().unwrap();
    let sweep = Sweep::new();
    let script = format!("trap '' TERM; exec sleep {}", sweep.0);
    let out = tool(&["start", "--pidfile", p, "--", "sh", "-c", &script]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let pid = read_pid(&pidfile);
    // Wait until sh has exec'd sleep (the trap is then in place as SIG_IGN).
    let fd = pidfd(pid);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while proc_status(pid)["SigIgn"] == "0000000000000000" || sweep.live().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "sh never exec'd sleep"
        );
        std::thread::yield_now();
    }
    let out = tool(&["stop", "--pidfile", p, "--timeout", "0.3"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("sending SIGKILL"), "{}", stderr(&out));
    assert!(wait_exit(&fd, 0));
    assert!(!pidfile.exists());
}

#[test]
fn stop_of_an_absent_daemon() {
    let dir = TempDir::new("dabsent");
    let pidfile = dir.path().join("none.pid");
    let out = tool(&["stop", "--pidfile", pidfile.to_str().unwrap()]);
    assert_eq!((code(&out), stdout(&out).as_str()), (0, "not running"));
}

#[test]
fn stop_never_signals_a_process_that_reused_the_pid() {
    let dir = TempDir::new("dreuse");
    let pidfile = dir.path().join("reuse.pid");
    let sweep = Sweep::new();
    // An old pidfile (no lock: another tool's, or its holder died) ...
    std::fs::write(&pidfile, "0\n").unwrap();
    let old = libc::timespec {
        tv_sec: 1_000_000_000,
        tv_nsec: 0,
    };
    // ... now naming a process that started long after it was written.
    let mut bystander = Command::new("sleep").arg(&sweep.0).spawn().unwrap();
    let pid = bystander.id() as i32;
    std::fs::write(&pidfile, format!("{pid}\n")).unwrap();
    let c = CString::new(pidfile.to_str().unwrap()).unwrap();
    // SAFETY: utimensat on our own file.
    unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), [old, old].as_ptr(), 0) };
    let out = tool(&["stop", "--pidfile", pidfile.to_str().unwrap()]);
    assert_eq!(
        (code(&out), stdout(&out).as_str()),
        (0, "not running"),
        "{}",
        stderr(&out)
    );
    assert!(
        bystander.try_wait().unwrap().is_none(),
        "the bystander with the recycled pid was not signalled"
    );
    assert!(!pidfile.exists(), "the stale file is removed");
    bystander.kill().unwrap();
    bystander.wait().unwrap();
}

#[test]
fn names_prints_both_tables() {
    let out = tool(&["names"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.lines().any(|l| l == "15 SIGTERM"));
    assert!(
        text.lines()
            .any(|l| l == "2 ENOENT No such file or directory")
    );
    assert!(text.lines().any(|l| l == "35 SIGRTMIN+3"));
}
