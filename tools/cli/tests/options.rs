//! Each `start`/`stop`/`restart`/`reload` option's effect, judged from
//! outside through /proc/<pid> (and the file system): chroot, nice, env,
//! user:group, numeric ids without entries, --test, -q, restart, reload,
//! retry schedules, relative paths, usage errors.

#![allow(unsafe_code)] // libc: kill in the sweep, pidfds.

mod common;

use common::tool::*;
use common::{TempDir, proc_stat, proc_status};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Starts `args` (after `start --pidfile P`) and returns CMD's pid, once it
/// has finished starting up.
fn start(pidfile: &Path, args: &[&str]) -> i32 {
    let mut a = vec!["start", "--pidfile", s(pidfile)];
    a.extend_from_slice(args);
    let out = tool(&a);
    let said = ok(&out);
    let pid = read_pid(pidfile);
    assert_eq!(said, format!("started {pid}"), "start prints its pid");
    pid
}

fn stop(pidfile: &Path) {
    let out = tool(&["stop", "--pidfile", s(pidfile)]);
    ok(&out);
}

#[test]
fn chroot_runs_the_command_inside_a_tiny_root() {
    require_root!();
    if !require_program("/bin/busybox", "busybox-static") {
        return;
    }
    let dir = TempDir::new("chroot");
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("srv/www")).unwrap();
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).unwrap();
    let pidfile = dir.path().join("c.pid");
    let sweep = Sweep::new();
    // Relative --chroot means the caller's cwd; --workdir is inside it.
    let out = tool_in(
        dir.path(),
        &[
            "start",
            "--pidfile",
            "c.pid",
            "--chroot",
            "root",
            "--workdir",
            "srv/www",
            "--user",
            "54321",
            "--clear-env",
            "--",
            "/bin/busybox",
            "sleep",
            &sweep.0,
        ],
    );
    ok(&out);
    let pid = read_pid(&pidfile);
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/root")).unwrap(),
        root,
        "its root directory"
    );
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap(),
        root.join("srv/www"),
        "its working directory, inside the root"
    );
    assert_eq!(cmdline(pid), format!("/bin/busybox sleep {}", sweep.0));
    assert_eq!(
        proc_status(pid)["Uid"]
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["54321"; 4]
    );
    stop(&pidfile);
    assert!(sweep.live().is_empty());

    // A missing root: exit 1, one line naming it as typed, nothing left;
    // through a supervisor too (its first start fails the same way).
    for sub in ["start", "supervise"] {
        let args = [sub, "--pidfile", "c.pid", "--chroot", "nope", "--"];
        let out = tool_in(
            dir.path(),
            &[&args[..], &["/bin/busybox", "sleep", &sweep.0]].concat(),
        );
        assert_eq!(code(&out), 1, "{sub}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("chroot \"nope\": ENOENT"),
            "{sub}: {}",
            stderr(&out)
        );
        assert!(!pidfile.exists(), "{sub}");
        assert!(sweep.live().is_empty(), "{sub}");
    }
}

#[test]
fn nice_and_environment_seen_in_proc() {
    let dir = TempDir::new("nice");
    let pidfile = dir.path().join("n.pid");
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    let out = std::process::Command::new(bin())
        .args(["start", "--pidfile", s(&pidfile), "--nice", "7"])
        .args([
            "--env",
            "DAEMONRY_A=1",
            "--env=DAEMONRY_B=x=y",
            "--env",
            "DAEMONRY_C=old",
        ])
        .args(["--env", "DAEMONRY_C=new", "--", a, b])
        .env("DAEMONRY_INHERITED", "yes")
        .output()
        .unwrap();
    ok(&out);
    let pid = read_pid(&pidfile);
    assert_eq!(proc_stat(pid)[18], "7", "nice (stat field 19)");
    let env = environ(pid);
    for want in [
        "DAEMONRY_A=1",
        "DAEMONRY_B=x=y",
        "DAEMONRY_C=new",
        "DAEMONRY_INHERITED=yes",
    ] {
        assert!(env.iter().any(|e| e == want), "{want} in {env:?}");
    }
    assert!(
        !env.iter().any(|e| e == "DAEMONRY_C=old"),
        "a later --env wins"
    );
    stop(&pidfile);

    // --clear-env: only the --env entries.
    let out = std::process::Command::new(bin())
        .args([
            "start",
            "--pidfile",
            s(&pidfile),
            "--clear-env",
            "--env",
            "ONLY=this",
        ])
        .args(["--", "/bin/sleep", b])
        .env("DAEMONRY_INHERITED", "yes")
        .output()
        .unwrap();
    ok(&out);
    let pid = read_pid(&pidfile);
    assert_eq!(environ(pid), ["ONLY=this"]);
    stop(&pidfile);
}

#[test]
fn user_group_forms_and_numeric_ids_without_entries() {
    require_root!();
    let dir = TempDir::new("ids");
    let pidfile = dir.path().join("u.pid");
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    let ids = |pid: i32| {
        let st = proc_status(pid);
        let first = |k: &str| st[k].split_whitespace().next().unwrap().to_string();
        let all_same = |k: &str| {
            let v: Vec<&str> = st[k].split_whitespace().collect();
            assert!(v.iter().all(|x| *x == v[0]), "{k}: {v:?}");
        };
        all_same("Uid");
        all_same("Gid");
        (first("Uid"), first("Gid"), st["Groups"].clone())
    };
    for (user_args, want) in [
        (
            vec!["--user", "nobody:nogroup"],
            ("65534", "65534", "65534"),
        ),
        // No passwd entry: gid = uid, groups = [gid].
        (vec!["--user", "54321"], ("54321", "54321", "54321")),
        (
            vec!["--user", "54321", "--group", "54322"],
            ("54321", "54322", "54322"),
        ),
        (vec!["--user", "54321:54323"], ("54321", "54323", "54323")),
        // Only a group: uid stays root.
        (vec!["--group", "54324"], ("0", "54324", "54324")),
    ] {
        let mut args = user_args.clone();
        args.extend(["--", a, b]);
        let pid = start(&pidfile, &args);
        let (u, g, groups) = ids(pid);
        assert_eq!(
            (u.as_str(), g.as_str(), groups.as_str()),
            want,
            "{user_args:?}"
        );
        // No capability left after a drop to a non-root user.
        if want.0 != "0" {
            assert_eq!(proc_status(pid)["CapEff"], "0000000000000000");
        }
        stop(&pidfile);
    }
    let out = tool(&[
        "start",
        "--pidfile",
        s(&pidfile),
        "--user",
        "nobody:no-such-group",
        "--",
        a,
        b,
    ]);
    assert_eq!(code(&out), 67, "{}", stderr(&out));
    assert!(stderr(&out).contains("unknown group \"no-such-group\""));
    assert!(sweep.live().is_empty());
}

#[test]
fn test_mode_checks_everything_and_changes_nothing() {
    let dir = TempDir::new("test");
    let pidfile = dir.path().join("t.pid");
    let log = dir.path().join("sub/t.log");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let listing = || {
        let mut v: Vec<_> = walk(dir.path());
        v.sort();
        v
    };
    std::fs::write(dir.path().join("sub/plain"), "not a program").unwrap();
    let before = listing();
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    let p = s(&pidfile);
    let out = tool(&[
        "start",
        "--test",
        "--pidfile",
        p,
        "--logfile",
        s(&log),
        "--",
        a,
        b,
    ]);
    assert!(
        ok(&out).starts_with("would start \"sleep\""),
        "{}",
        stdout(&out)
    );
    assert_eq!(listing(), before, "--test created nothing");
    assert!(sweep.live().is_empty(), "--test started nothing");
    for (args, want, msg) in [
        (vec!["--user", "no-such-user"], 67, "unknown user"),
        (vec!["--logfile", "/proc/nope/log"], 73, "open log file"),
        (
            vec!["--chroot", "/nonexistent"],
            1,
            "chroot: \"/nonexistent\": ENOENT",
        ),
        (
            vec!["--workdir", "/nonexistent"],
            1,
            "chdir: \"/nonexistent\": ENOENT",
        ),
    ] {
        let mut all = vec!["start", "--test", "--pidfile", p];
        all.extend(args.iter());
        all.extend(["--", a, b]);
        let out = tool(&all);
        assert_eq!(code(&out), want, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(msg), "{args:?}: {}", stderr(&out));
    }
    let out = tool(&["start", "--test", "--pidfile", p, "--", "/nonexistent/cmd"]);
    assert_eq!(code(&out), 127, "{}", stderr(&out));
    let plain = dir.path().join("sub/plain");
    let out = tool(&["start", "--test", "--pidfile", p, "--", s(&plain)]);
    assert_eq!(code(&out), 126, "{}", stderr(&out));
    assert_eq!(listing(), before);

    // A held pidfile: 73, and the holder's file untouched.
    let holder = start(&pidfile, &[a, b]);
    let out = tool(&["start", "--test", "--pidfile", p, "--", a, b]);
    assert_eq!(code(&out), 73, "{}", stderr(&out));
    // stop --test and reload --test signal nothing.
    let out = tool(&["stop", "--test", "--pidfile", p]);
    assert_eq!(ok(&out), format!("would stop {holder}"));
    let out = tool(&["reload", "--test", "--pidfile", p]);
    assert_eq!(ok(&out), format!("would send SIGHUP to {holder}"));
    assert!(!dead(holder));
    assert_eq!(read_pid(&pidfile), holder);
    stop(&pidfile);
}

fn walk(d: &Path) -> Vec<String> {
    let mut v = vec![];
    for e in std::fs::read_dir(d).unwrap().flatten() {
        v.push(e.path().display().to_string());
        if e.path().is_dir() {
            v.extend(walk(&e.path()));
        }
    }
    v
}

#[test]
fn quiet_silences_and_verbose_tells_the_steps() {
    let dir = TempDir::new("quiet");
    let pidfile = dir.path().join("q.pid");
    let p = s(&pidfile);
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    let quiet = |o: &std::process::Output| {
        assert_eq!(code(o), 0, "{}", stderr(o));
        assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{o:?}");
    };
    quiet(&tool(&["-q", "start", "--pidfile", p, "--", a, b]));
    quiet(&tool(&["status", "-q", "--pidfile", p]));
    quiet(&tool(&["reload", "--pidfile", p, "--signal", "CONT", "-q"]));
    quiet(&tool(&["stop", "--quiet", "--pidfile", p]));
    let out = tool(&["status", "-q", "--pidfile", p]);
    assert_eq!((code(&out), out.stdout.len()), (3, 0));
    // Errors still show.
    let out = tool(&[
        "-q",
        "start",
        "--pidfile",
        p,
        "--user",
        "no-such-user",
        "--",
        a,
        b,
    ]);
    assert_eq!(code(&out), 67);
    assert!(stderr(&out).contains("unknown user"));
    // -v: steps on stderr, the result still on stdout.
    let out = tool(&["-v", "start", "--pidfile", p, "--", a, b]);
    assert!(ok(&out).starts_with("started "));
    assert!(stderr(&out).contains("pidfile"), "{}", stderr(&out));
    let out = tool(&["-v", "stop", "--pidfile", p]);
    ok(&out);
    assert!(stderr(&out).contains("sending SIGTERM"), "{}", stderr(&out));
}

#[test]
fn restart_gives_a_new_pid() {
    let dir = TempDir::new("restart");
    let pidfile = dir.path().join("r.pid");
    let p = s(&pidfile);
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    let first = start(&pidfile, &[a, b]);
    let fd = pidfd(first);
    let out = tool(&["restart", "--pidfile", p, "--", a, b]);
    let said = ok(&out);
    let second = read_pid(&pidfile);
    assert_ne!(first, second);
    assert_eq!(said, format!("stopped {first}\nstarted {second}"));
    assert!(
        wait_exit(&fd, 0),
        "the old one is gone before the new one starts"
    );
    assert_eq!(sweep.live(), vec![second]);
    // restart of a stopped service just starts it.
    stop(&pidfile);
    let out = tool(&["restart", "--pidfile", p, "--", a, b]);
    assert!(ok(&out).ends_with(&format!("started {}", read_pid(&pidfile))));
    stop(&pidfile);
}

#[test]
fn reload_delivers_hup_and_leaves_the_process_running() {
    let dir = TempDir::new("reload");
    let pidfile = dir.path().join("h.pid");
    let marks = dir.path().join("marks");
    let p = s(&pidfile);
    let sweep = Sweep::new();
    let script = trap_script(&marks, [("HUP", "hup"), ("USR1", "usr1")], &sweep);
    let pid = start(&pidfile, &["sh", "-c", &script]);
    wait_for_mark(&marks, "ready", "the traps");
    let out = tool(&["reload", "--pidfile", p]);
    assert_eq!(ok(&out), format!("sent SIGHUP to {pid}"));
    wait_for_mark(&marks, "hup", "the HUP trap");
    let out = tool(&["reload", "--pidfile", p, "--signal", "USR1"]);
    assert_eq!(ok(&out), format!("sent SIGUSR1 to {pid}"));
    wait_for_mark(&marks, "usr1", "the USR1 trap");
    assert!(!dead(pid), "reload leaves it running");
    assert_eq!(read_pid(&pidfile), pid);
    let out = tool(&["status", "--pidfile", p]);
    assert_eq!(ok(&out), format!("running {pid}"));
    stop(&pidfile);
    // Not running: LSB 7.
    let out = tool(&["reload", "--pidfile", p]);
    assert_eq!((code(&out), stdout(&out).as_str()), (7, "not running"));
}

#[test]
fn stop_retry_schedule_escalates_in_order() {
    let dir = TempDir::new("retry");
    let pidfile = dir.path().join("x.pid");
    let marks = dir.path().join("marks");
    let p = s(&pidfile);
    let sweep = Sweep::new();
    // Ignores TERM and INT (recording them); only KILL ends it.
    let script = trap_script(&marks, [("TERM", "TERM"), ("INT", "INT")], &sweep);
    let pid = start(&pidfile, &["sh", "-c", &script]);
    wait_for_mark(&marks, "ready", "the traps");
    let fd = pidfd(pid);
    let out = tool(&[
        "stop",
        "--pidfile",
        p,
        "--retry",
        "TERM/0.5/-INT/0.5/KILL/5",
    ]);
    assert_eq!(ok(&out), format!("stopped {pid}"));
    let err = stderr(&out);
    let int_at = err.find("sending SIGINT").expect(&err);
    let kill_at = err.find("sending SIGKILL").expect(&err);
    assert!(int_at < kill_at, "INT before KILL: {err}");
    assert!(wait_exit(&fd, 0), "gone when stop returns");
    let m = std::fs::read_to_string(&marks).unwrap();
    let lines: Vec<&str> = m.lines().filter(|l| *l != "ready").collect();
    assert_eq!(lines, ["TERM", "INT"], "the schedule's order");
    assert!(!pidfile.exists());

    // A schedule that runs out: exit 1, still running, nothing removed.
    std::fs::remove_file(&marks).unwrap();
    let pid = start(&pidfile, &["sh", "-c", &script]);
    wait_for_mark(&marks, "ready", "the traps");
    let out = tool(&["stop", "--pidfile", p, "--retry", "TERM/0.2/INT/0.2"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("pid {pid} ")) && err.contains("would not die"),
        "{err}"
    );
    assert!(!dead(pid));
    assert_eq!(read_pid(&pidfile), pid);
    // A bare timeout: SIGNAL/N/KILL/N.
    let out = tool(&["stop", "--pidfile", p, "--signal", "INT", "--retry", "0.2"]);
    ok(&out);
    assert!(stderr(&out).contains("sending SIGKILL"));
    assert!(dead(pid));
    // forever: the part after it repeats until the daemon is gone.
    std::fs::remove_file(&marks).unwrap();
    let pid = start(&pidfile, &["sh", "-c", &script]);
    wait_for_mark(&marks, "ready", "the traps");
    let fd = pidfd(pid);
    // After three INTs, KILL the script and its `sleep`s (they ignore INT:
    // a non-interactive shell starts `&` jobs with INT ignored).
    let kill_after_three_ints = {
        let marks = marks.clone();
        let token = sweep.0.clone();
        std::thread::spawn(move || {
            poll_until(60, "three INTs", || {
                let m = std::fs::read_to_string(&marks).ok()?;
                (m.matches("INT").count() >= 3).then_some(())
            });
            drop(Sweep(token));
        })
    };
    let out = tool(&[
        "stop",
        "--pidfile",
        p,
        "--retry",
        "TERM/0.1/forever/INT/0.1",
    ]);
    assert_eq!(ok(&out), format!("stopped {pid}"));
    kill_after_three_ints.join().unwrap();
    assert!(wait_exit(&fd, 0));
}

#[test]
fn relative_paths_mean_the_callers_directory() {
    let dir = TempDir::new("rel");
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    let out = tool_in(
        dir.path(),
        &[
            "start",
            "--pidfile",
            "rel.pid",
            "--logfile",
            "rel.log",
            "--",
            a,
            b,
        ],
    );
    ok(&out);
    let pid = read_pid(&dir.path().join("rel.pid"));
    assert!(dir.path().join("rel.log").exists());
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap(),
        Path::new("/"),
        "the daemon runs in /, the files are in the caller's directory"
    );
    let out = tool_in(dir.path(), &["status", "--pidfile", "rel.pid"]);
    assert_eq!(ok(&out), format!("running {pid}"));
    ok(&tool_in(dir.path(), &["stop", "--pidfile", "./rel.pid"]));
    assert!(!dir.path().join("rel.pid").exists());
}

#[test]
fn usage_errors_exit_64_and_name_the_input() {
    for (args, want) in [
        (
            &["status", "--pidfile", ""][..],
            "--pidfile: the path is empty",
        ),
        (
            &["stop", "--pidfile", "x", "--timeout", "1e20"],
            "--timeout \"1e20\"",
        ),
        (
            &["stop", "--pidfile", "x", "--timeout", "1e19"],
            "--timeout \"1e19\"",
        ),
        (
            &["stop", "--pidfile", "x", "--timeout", "inf"],
            "--timeout \"inf\"",
        ),
        (
            &["stop", "--pidfile", "x", "--timeout", "nan"],
            "--timeout \"nan\"",
        ),
        (
            &["stop", "--pidfile", "x", "--timeout", "-1"],
            "--timeout \"-1\"",
        ),
        (
            &["stop", "--pidfile", "x", "--retry", "TERM/5/KILL"],
            "--retry \"TERM/5/KILL\"",
        ),
        (
            &["start", "--pidfile", "x", "--nice", "99", "--", "true"],
            "--nice \"99\"",
        ),
        (
            &["start", "--pidfile", "x", "--user", "", "--", "true"],
            "--user \"\"",
        ),
        (&["frobnicate"], "\"frobnicate\" is not a subcommand"),
        (&[], "a subcommand is missing"),
    ] {
        let out = tool(args);
        assert_eq!(code(&out), 64, "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(want), "{args:?}: {err:?} lacks {want:?}");
    }
    // A pidfile name that is not UTF-8 keeps its bytes.
    let dir = TempDir::new("bytes");
    let name = OsStr::from_bytes(b"p\xff.pid");
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    let out = std::process::Command::new(bin())
        .arg("start")
        .arg("--pidfile")
        .arg(name)
        .args(["--", a, b])
        .current_dir(dir.path())
        .output()
        .unwrap();
    ok(&out);
    assert!(dir.path().join(name).exists(), "the exact bytes");
    let out = std::process::Command::new(bin())
        .arg("stop")
        .arg(std::ffi::OsString::from_vec(
            [b"--pidfile=".as_slice(), name.as_bytes()].concat(),
        ))
        .current_dir(dir.path())
        .output()
        .unwrap();
    ok(&out);
}

#[test]
fn help_version_and_names() {
    let out = tool(&["--help"]);
    let text = ok(&out);
    for sub in [
        "start",
        "status",
        "stop",
        "restart",
        "reload",
        "supervise",
        "names",
    ] {
        assert!(text.contains(sub), "{sub}");
    }
    let out = tool(&["start", "--help"]);
    let text = ok(&out);
    for opt in [
        "--pidfile",
        "--logfile",
        "--stdout",
        "--stderr",
        "--user",
        "--group",
        "--umask",
        "--workdir",
        "--chroot",
        "--nice",
        "--env",
        "--clear-env",
        "--foreground",
        "--notify",
        "--timeout",
        "--no-new-privs",
        "--test",
    ] {
        assert!(text.contains(opt), "{opt}");
    }
    let out = tool(&["--version"]);
    assert_eq!(ok(&out), format!("daemonry {}", env!("CARGO_PKG_VERSION")));
}

use std::os::unix::ffi::OsStringExt;

#[test]
fn no_new_privs_umask_and_separate_streams() {
    let dir = TempDir::new("nnp");
    let pidfile = dir.path().join("n.pid");
    let out_log = dir.path().join("out.log");
    let err_log = dir.path().join("err.log");
    let sweep = Sweep::new();
    let script = format!("echo to-out; echo to-err >&2; exec sleep {}", sweep.0);
    let pid = start(
        &pidfile,
        &[
            "--no-new-privs",
            "--umask",
            "0o077",
            "--stdout",
            s(&out_log),
            "--stderr",
            s(&err_log),
            "--",
            "sh",
            "-c",
            &script,
        ],
    );
    poll_until(20, "both lines", || {
        let o = std::fs::read_to_string(&out_log).ok()?;
        let e = std::fs::read_to_string(&err_log).ok()?;
        (o == "to-out\n" && e == "to-err\n").then_some(())
    });
    let st = proc_status(pid);
    assert_eq!(st["NoNewPrivs"], "1");
    assert_eq!(st["Umask"], "0077");
    stop(&pidfile);
}

#[test]
fn foreground_runs_the_command_in_the_callers_process() {
    let dir = TempDir::new("fg");
    let pidfile = dir.path().join("f.pid");
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    let mut child = std::process::Command::new(bin())
        .args([
            "start",
            "--foreground",
            "--pidfile",
            s(&pidfile),
            "--",
            a,
            b,
        ])
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    poll_until(20, "the pidfile", || {
        (try_read_pid(&pidfile) == Some(pid)).then_some(())
    });
    poll_until(20, "the exec", || {
        (cmdline(pid) == format!("sleep {b}")).then_some(())
    });
    assert_eq!(ppid(pid), Some(std::process::id() as i32), "not detached");
    let out = tool(&["stop", "--pidfile", s(&pidfile)]);
    assert_eq!(ok(&out), format!("stopped {pid}"));
    let status = child.wait().unwrap();
    assert!(!status.success());
}
