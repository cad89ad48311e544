//! The pidfile trust scenarios, as the tool answers them: a forking
//! daemon, a file rewritten to name a bystander, something that is not a
//! pidfile, a pidfile other users could have written, a squatter's lock.
//! Only a verified holder is ever signalled; nothing that is not a
//! pidfile is removed or replaced.

#![allow(unsafe_code)] // libc: kill in the sweep, pidfds, mtime.

mod common;

use common::TempDir;
use common::tool::*;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::process::Command;

#[test]
fn a_forking_daemon_is_found_through_its_lock() {
    let dir = TempDir::new("fork");
    let pidfile = dir.path().join("f.pid");
    let p = s(&pidfile);
    let sweep = Sweep::new();
    let script = format!("sleep {} & exit 0", sweep.0);
    ok(&tool(&["start", "--pidfile", p, "--", "sh", "-c", &script]));
    let named = read_pid(&pidfile);
    let child = poll_until(20, "the forked child", || {
        sweep
            .live()
            .into_iter()
            .find(|&q| cmdline(q) == format!("sleep {}", sweep.0))
    });
    poll_until(20, "the shell to exit", || dead(named).then_some(()));
    let out = tool(&["status", "--pidfile", p]);
    assert_eq!(
        ok(&out),
        format!("running {child} (the pidfile names {named}, which does not hold the lock)")
    );
    let sweep2 = Sweep::new();
    let [a, b] = sweep2.sleep();
    assert_eq!(code(&tool(&["start", "--pidfile", p, "--", a, b])), 73);
    let fd = pidfd(child);
    let out = tool(&["stop", "--pidfile", p]);
    assert_eq!(ok(&out), format!("stopped {child}"));
    assert!(wait_exit(&fd, 0), "the real holder was stopped");
    assert!(!pidfile.exists());
}

#[test]
fn a_pidfile_rewritten_to_name_a_bystander_never_gets_it_signalled() {
    let dir = TempDir::new("rewrite");
    let pidfile = dir.path().join("r.pid");
    let p = s(&pidfile);
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    ok(&tool(&["start", "--pidfile", p, "--", a, b]));
    let daemon = read_pid(&pidfile);
    let mut bystander = Command::new("sleep").arg(&sweep.0).spawn().unwrap();
    let by = bystander.id() as i32;
    // What the daemon (after its privilege drop, through the fd it
    // inherited) could do: write another pid into its own pidfile.
    std::fs::write(&pidfile, format!("{by}\n")).unwrap();
    let out = tool(&["status", "--pidfile", p]);
    assert_eq!(
        ok(&out),
        format!("running {daemon} (the pidfile names {by}, which does not hold the lock)")
    );
    let out = tool(&["reload", "--pidfile", p, "--signal", "CONT"]);
    assert_eq!(ok(&out), format!("sent SIGCONT to {daemon}"));
    let fd = pidfd(daemon);
    ok(&tool(&["stop", "--pidfile", p]));
    assert!(wait_exit(&fd, 0));
    assert!(
        bystander.try_wait().unwrap().is_none(),
        "the bystander was not signalled"
    );
    bystander.kill().unwrap();
    bystander.wait().unwrap();
}

#[test]
fn what_is_not_a_pidfile_is_never_removed_or_replaced() {
    let dir = TempDir::new("notpid");
    let conf = dir.path().join("nginx.conf");
    let text = "worker_processes 1;\n";
    std::fs::write(&conf, text).unwrap();
    let data = dir.path().join("data.bin");
    let big = vec![7u8; 5 << 20];
    std::fs::write(&data, &big).unwrap();
    symlink(dir.path(), dir.path().join("link")).unwrap();
    let via_link = dir.path().join("link/nginx.conf");
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    for path in [&conf, &via_link] {
        let out = tool(&["stop", "--pidfile", s(path)]);
        assert_eq!(code(&out), 4, "{}", stderr(&out));
        assert!(stderr(&out).contains(&format!("pidfile \"{}\": not a pidfile", s(path))));
        let out = tool(&["status", "--pidfile", s(path)]);
        assert_eq!(code(&out), 4);
        assert!(
            stdout(&out).starts_with("not-a-pidfile"),
            "{}",
            stdout(&out)
        );
        assert_eq!(code(&tool(&["reload", "--pidfile", s(path)])), 4);
        assert_eq!(std::fs::read_to_string(&conf).unwrap(), text, "untouched");
    }
    let out = tool(&["start", "--pidfile", s(&data), "--", a, b]);
    assert_eq!(code(&out), 73, "{}", stderr(&out));
    assert!(stderr(&out).contains("not a pidfile"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&data).unwrap(), big, "not replaced");
    assert!(sweep.live().is_empty());
    // A directory, a symlink to a pidfile.
    let out = tool(&["status", "--pidfile", s(dir.path())]);
    assert_eq!(code(&out), 4);
    std::fs::write(dir.path().join("real.pid"), "1\n").unwrap();
    symlink(dir.path().join("real.pid"), dir.path().join("sym.pid")).unwrap();
    let out = tool(&["stop", "--pidfile", s(&dir.path().join("sym.pid"))]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(dir.path().join("sym.pid").exists());
}

#[test]
fn a_lockless_pidfile_others_could_write_is_not_trusted() {
    require_root!();
    let dir = TempDir::new("untrusted");
    // A world-writable directory without the sticky bit.
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let sweep = Sweep::new();
    let mut bystander = Command::new("sleep").arg(&sweep.0).spawn().unwrap();
    let by = bystander.id() as i32;
    let pidfile = open.join("x.pid");
    std::fs::write(&pidfile, format!("{by}\n")).unwrap();
    let out = tool(&["status", "--pidfile", s(&pidfile)]);
    assert_eq!(code(&out), 4, "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with(&format!("untrusted {by}")),
        "{}",
        stdout(&out)
    );
    let out = tool(&["stop", "--pidfile", s(&pidfile)]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("not stopping"));
    assert!(pidfile.exists());
    // A file another user owns, in a safe directory.
    let safe = dir.path().join("safe.pid");
    std::fs::write(&safe, format!("{by}\n")).unwrap();
    std::os::unix::fs::chown(&safe, Some(65534), Some(65534)).unwrap();
    assert_eq!(code(&tool(&["stop", "--pidfile", s(&safe)])), 4);
    // Group-writable.
    std::os::unix::fs::chown(&safe, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&safe, std::fs::Permissions::from_mode(0o664)).unwrap();
    assert_eq!(code(&tool(&["stop", "--pidfile", s(&safe)])), 4);
    assert!(bystander.try_wait().unwrap().is_none(), "never signalled");
    // Root's own 0644 file in a root-only directory: trusted, and stopped.
    std::fs::set_permissions(&safe, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = tool(&["status", "--pidfile", s(&safe)]);
    assert_eq!(ok(&out), format!("running {by}"));
    ok(&tool(&["stop", "--pidfile", s(&safe)]));
    bystander.wait().unwrap();
}

#[test]
fn nobody_else_can_squat_on_a_daemonry_pidfile() {
    require_root!();
    if !require_program("/usr/bin/flock", "util-linux") {
        return;
    }
    let dir = TempDir::new("squat");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let pidfile = dir.path().join("q.pid");
    let p = s(&pidfile);
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    ok(&tool(&["start", "--pidfile", p, "--", a, b]));
    let daemon = read_pid(&pidfile);
    // BSD pidfile(3)'s answer: only the owner can open the file, so only
    // the owner can take its lock.
    let mode = std::fs::metadata(&pidfile).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    let squat = Command::new("flock")
        .args(["-x", "-n", p, "true"])
        .uid(65534)
        .gid(65534)
        .status()
        .unwrap();
    assert!(!squat.success(), "nobody could lock the pidfile");
    let fd = pidfd(daemon);
    ok(&tool(&["stop", "--pidfile", p]));
    assert!(wait_exit(&fd, 0));
    // Nothing blocks the next start.
    ok(&tool(&["start", "--pidfile", p, "--", a, b]));
    ok(&tool(&["stop", "--pidfile", p]));
    assert!(sweep.live().is_empty());
}

#[test]
fn stop_says_when_a_stale_pidfile_cannot_be_removed() {
    require_root!();
    let dir = TempDir::new("immutable");
    let locked = dir.path().join("ro");
    std::fs::create_dir(&locked).unwrap();
    let pidfile = locked.join("s.pid");
    let mut gone = Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(&pidfile, format!("{gone_pid}\n")).unwrap();
    // An immutable directory: even root's unlink fails (EPERM).
    let chattr = Command::new("chattr").arg("+i").arg(&locked).status();
    if !chattr.is_ok_and(|s| s.success()) {
        assert!(
            std::env::var("DAEMONRY_REQUIRE_ROOT").as_deref() != Ok("1"),
            "chattr +i failed on {}, and DAEMONRY_REQUIRE_ROOT=1",
            locked.display()
        );
        eprintln!(
            "SKIP stop_says_when_a_stale_pidfile_cannot_be_removed: chattr +i is not supported here"
        );
        return;
    }
    let out = tool(&["stop", "--pidfile", s(&pidfile)]);
    let _ = Command::new("chattr").arg("-i").arg(&locked).status();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "stale pidfile \"{}\" could not be removed",
            s(&pidfile)
        )),
        "{err}"
    );
    assert!(pidfile.exists());
}
