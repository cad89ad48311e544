//! Daemonization, judged from outside through /proc/<pid>: the `daemonry`
//! tool (start/status/stop) and `DaemonContext` in forked children.
//! Nothing here daemonizes the test runner itself, and every test kills
//! what it started, even when it fails (see `Sweep`).

#![allow(unsafe_code)] // libc: prctl, pipes, waitpid, fork helpers.

mod common;

use common::{TempDir, fd_target, proc_fds, proc_stat, proc_state, proc_status, spawn};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The example binary, built once per test run (a no-op when fresh).
fn bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test exe");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "daemonry-cli",
            "--bin",
            "daemonry",
            "--manifest-path",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let st = cmd.status().expect("run cargo build");
        assert!(st.success(), "building the daemonry tool failed");
        let p = profile_dir.join("daemonry");
        assert!(p.exists(), "{} missing", p.display());
        p
    })
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

/// A std `File` from rustix's `OwnedFd` (std's own type with the `std`
/// feature, rustix's polyfill without it).
fn to_file(fd: rustix::fd::OwnedFd) -> std::fs::File {
    use rustix::fd::IntoRawFd;
    // SAFETY: ownership moves from one owner type to the other.
    unsafe { std::fs::File::from_raw_fd(fd.into_raw_fd()) }
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
    // not inherit. (The binary's path is resolved before the fork: a lock
    // another test thread holds would stay locked in the child.)
    let exe = bin().to_path_buf();
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
        let out = Command::new(&exe)
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
            "exec: \"/nonexistent/command\": ENOENT",
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

// ---- DaemonContext in forked children ---------------------------------------

#[test]
fn the_daemon_is_a_normal_rust_program() {
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
    let want_sc = format!("0 {gate:#x} ");
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
