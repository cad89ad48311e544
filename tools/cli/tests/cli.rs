//! The `daemonry` tool (start/status/stop), judged from outside through
//! /proc/<pid>. Nothing here daemonizes the test runner itself, and every
//! test kills what it started, even when it fails (see `Sweep`).

#![allow(unsafe_code)] // libc: prctl, signal masks, pidfds, kill.

mod common;

use common::{TempDir, fd_target, proc_fds, proc_stat, proc_state, proc_status, spawn};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The tool, built by cargo for this test crate.
fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_daemonry"))
}

fn tool(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("run daemonry")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A `sleep` duration no other test uses, so that our daemons can be found
/// (and killed) by their command line.
struct Sweep(String);

impl Sweep {
    fn new() -> Sweep {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        Sweep(format!("{}", 100_000 + std::process::id() * 100 + n))
    }

    /// The command's arguments: `sleep <token>`.
    fn sleep(&self) -> [&str; 2] {
        ["sleep", &self.0]
    }

    /// Live (non-zombie) processes whose command line mentions the token.
    fn live(&self) -> Vec<i32> {
        let mut v = vec![];
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                continue;
            };
            let words: Vec<&[u8]> = cmd.split(|&b| b == 0).collect();
            if words.contains(&self.0.as_bytes()) && !matches!(proc_state(pid), Some('Z') | None) {
                v.push(pid);
            }
        }
        v
    }
}

impl Drop for Sweep {
    fn drop(&mut self) {
        for pid in self.live() {
            // SAFETY: kill a process this test started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

fn read_pid(p: &Path) -> i32 {
    let s = std::fs::read_to_string(p).expect("read pidfile");
    assert!(s.ends_with('\n'), "{s:?}");
    s.trim_end().parse().expect("pid")
}

fn pidfd(pid: i32) -> OwnedFd {
    // SAFETY: pidfd_open returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    assert!(fd >= 0, "pidfd_open({pid})");
    // SAFETY: a fresh fd we own.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// Waits (no sleeping) until the process behind `fd` has exited.
fn wait_exit(fd: &OwnedFd, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, ms) == 1 }
}

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

fn dead(pid: i32) -> bool {
    matches!(proc_state(pid), None | Some('Z'))
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
    let locks = std::fs::read_to_string("/proc/locks").unwrap();
    assert!(
        locks.lines().any(|l| l.contains("FLOCK")
            && l.contains("WRITE")
            && l.contains(&format!(":{}", meta.ino()))),
        "the pidfile is flock()ed:\n{locks}"
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

    std::fs::write(&pidfile, "abc\n").unwrap();
    assert_eq!(status(), ("invalid".into(), 1));
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
