//! `daemonry supervise`, judged through /proc: a killed CMD comes back
//! with a new pid and the pidfile follows; a crash loop backs off and
//! gives up, and status says so; signals are forwarded; stop ends both
//! the supervisor and CMD.

#![allow(unsafe_code)] // libc: kill in the sweep and of CMD, pidfds.

mod common;

use common::TempDir;
use common::tool::*;
use std::path::Path;

/// Starts `supervise` and returns (supervisor, CMD) once CMD runs.
fn supervise(pidfile: &Path, args: &[&str]) -> (i32, i32) {
    let mut a = vec!["supervise", "--pidfile", s(pidfile)];
    a.extend_from_slice(args);
    let out = tool(&a);
    let said = ok(&out);
    let cmd = read_pid(pidfile);
    let sup = ppid(cmd).expect("CMD's parent");
    assert_eq!(said, format!("started {cmd} (supervisor {sup})"));
    (sup, cmd)
}

#[test]
fn a_killed_command_is_respawned_and_the_pidfile_follows() {
    let dir = TempDir::new("respawn");
    let pidfile = dir.path().join("s.pid");
    let p = s(&pidfile);
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    let (sup, first) = supervise(&pidfile, &["--", a, b]);
    assert_eq!(
        cmdline(sup),
        format!("daemonry: supervising sleep {b}"),
        "title"
    );
    assert_eq!(cmdline(first), format!("sleep {b}"));
    assert_eq!(
        ok(&tool(&["status", "--pidfile", p])),
        format!("running {first}")
    );
    // SAFETY: the CMD this test started.
    unsafe { libc::kill(first, libc::SIGKILL) };
    let second = poll_until(20, "a respawned CMD in the pidfile", || {
        let p = try_read_pid(&pidfile)?;
        (p != first && p != sup && ppid(p) == Some(sup) && cmdline(p) == format!("sleep {b}"))
            .then_some(p)
    });
    assert!(dead(first));
    assert_eq!(
        ok(&tool(&["status", "--pidfile", p])),
        format!("running {second}")
    );
    // Both hold the lock: the supervisor and CMD (inherited).
    let sup_fd = pidfd(sup);
    let cmd_fd = pidfd(second);
    let out = tool(&["stop", "--pidfile", p]);
    assert_eq!(ok(&out), format!("stopped {second}"));
    assert!(
        !stderr(&out).contains("SIGKILL"),
        "TERM was enough: {}",
        stderr(&out)
    );
    assert!(
        wait_exit(&sup_fd, 0) && wait_exit(&cmd_fd, 0),
        "both gone when stop returns"
    );
    assert!(!pidfile.exists(), "the supervisor removed the pidfile");
    assert!(sweep.live().is_empty());
}

#[test]
fn signals_are_forwarded_and_do_not_respawn() {
    let dir = TempDir::new("forward");
    let pidfile = dir.path().join("f.pid");
    let marks = dir.path().join("marks");
    let p = s(&pidfile);
    let sweep = Sweep::new();
    let script = trap_script(&marks, [("HUP", "hup"), ("USR2", "usr2")], &sweep);
    let (sup, cmd) = supervise(&pidfile, &["--", "sh", "-c", &script]);
    wait_for_mark(&marks, "ready", "the traps");
    // reload signals the supervisor (the topmost holder), which forwards.
    assert_eq!(
        ok(&tool(&["reload", "--pidfile", p])),
        format!("sent SIGHUP to {sup}")
    );
    wait_for_mark(&marks, "hup", "HUP at CMD");
    // SAFETY: the supervisor this test started.
    unsafe { libc::kill(sup, libc::SIGUSR2) };
    wait_for_mark(&marks, "usr2", "USR2 at CMD");
    let m = std::fs::read_to_string(&marks).unwrap();
    assert_eq!(m.matches("hup").count(), 1, "delivered once: {m}");
    assert_eq!(read_pid(&pidfile), cmd, "not respawned");
    assert!(!dead(cmd) && !dead(sup));
    ok(&tool(&["stop", "--pidfile", p]));
    assert!(dead(cmd) && dead(sup));
}

#[test]
fn a_crash_loop_backs_off_then_gives_up_and_status_says_so() {
    let dir = TempDir::new("crash");
    let pidfile = dir.path().join("c.pid");
    let log = dir.path().join("c.log");
    let runs = dir.path().join("runs");
    let p = s(&pidfile);
    let sweep = Sweep::new();
    let script = format!("echo run >> {r}; exit 3 # {t}", r = s(&runs), t = sweep.0);
    let out = tool(&[
        "supervise",
        "--pidfile",
        p,
        "--respawn-max",
        "3",
        "--respawn-period",
        "300",
        "--logfile",
        s(&log),
        "--",
        "sh",
        "-c",
        &script,
    ]);
    ok(&out);
    let status = poll_until(30, "the supervisor to give up", || {
        let o = tool(&["status", "--pidfile", p]);
        (code(&o) == 1).then(|| stdout(&o))
    });
    let sup = read_pid(&pidfile);
    assert_eq!(
        status,
        format!("failed {sup}: gave up supervising sh -c {script}: 4 exits within 300s")
    );
    assert!(cmdline(sup).starts_with("daemonry: gave up supervising sh -c"));
    assert_eq!(
        std::fs::read_to_string(&runs).unwrap().lines().count(),
        4,
        "the first run and three respawns"
    );
    // The log tells the back-off, doubling, in order.
    let text = std::fs::read_to_string(&log).unwrap();
    let delays: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split(" in ").nth(1))
        .collect();
    assert_eq!(delays, ["100ms", "200ms", "400ms"], "{text}");
    assert!(
        text.lines().all(|l| l.contains("ended with exit status 3")),
        "{text}"
    );
    // stop (and so restart) work unchanged.
    let fd = pidfd(sup);
    ok(&tool(&["stop", "--pidfile", p]));
    assert!(wait_exit(&fd, 0));
    assert!(!pidfile.exists());
    assert_eq!(code(&tool(&["status", "--pidfile", p])), 3);
    assert!(sweep.live().is_empty());
}

#[test]
fn a_command_that_cannot_start_is_reported_by_supervise() {
    let dir = TempDir::new("svfail");
    let pidfile = dir.path().join("x.pid");
    let out = tool(&[
        "supervise",
        "--pidfile",
        s(&pidfile),
        "--",
        "/nonexistent/cmd",
    ]);
    assert_eq!(code(&out), 127, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("execvpe: \"/nonexistent/cmd\": ENOENT"),
        "{}",
        stderr(&out)
    );
    assert!(!pidfile.exists());
}

#[test]
fn supervise_with_notify_waits_for_the_first_commands_ready() {
    if !require_program("/usr/bin/systemd-notify", "systemd") {
        return;
    }
    let dir = TempDir::new("svnotify");
    let pidfile = dir.path().join("n.pid");
    let p = s(&pidfile);
    let sweep = Sweep::new();
    let script = format!("systemd-notify --ready; exec sleep {}", sweep.0);
    let out = tool(&[
        "supervise",
        "--notify",
        "--pidfile",
        p,
        "--",
        "sh",
        "-c",
        &script,
    ]);
    let cmd = read_pid(&pidfile);
    let sup = ppid(cmd).unwrap();
    assert_eq!(ok(&out), format!("started {cmd} (supervisor {sup})"));
    ok(&tool(&["stop", "--pidfile", p]));
    assert!(dead(sup) && dead(cmd));
    // Never ready: 69, supervisor and CMD gone.
    let [a, b] = sweep.sleep();
    let out = tool(&[
        "supervise",
        "--notify",
        "--timeout",
        "0.5",
        "--pidfile",
        p,
        "--",
        a,
        b,
    ]);
    assert_eq!(code(&out), 69, "{}", stderr(&out));
    assert!(sweep.live().is_empty(), "{:?}", sweep.live());
    assert!(!pidfile.exists());
}
