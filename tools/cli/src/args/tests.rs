//! Unit tests of the command-line parser, compiled only under
//! `#[cfg(test)]` (see `mod tests` in `mod.rs`): the `unwrap`s and
//! `panic!`s here are test assertions, never reached by the tool.

use super::*;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

fn args(a: &[&str]) -> Vec<OsString> {
    a.iter().map(OsString::from).collect()
}

fn ok(a: &[&str]) -> Cli {
    parse(&args(a)).unwrap_or_else(|e| panic!("{a:?}: {e}"))
}

fn err(a: &[&str]) -> String {
    match parse(&args(a)) {
        Ok(c) => panic!("{a:?} parsed: {c:?}"),
        Err(e) => e.to_string(),
    }
}

fn start(a: &[&str]) -> Start {
    match ok(a).command {
        Command::Start(s) => s,
        other => panic!("{other:?}"),
    }
}

fn stop(a: &[&str]) -> Stop {
    match ok(a).command {
        Command::Stop(s) => s,
        other => panic!("{other:?}"),
    }
}

#[test]
fn start_with_every_option() {
    let s = start(&[
        "start",
        "--pidfile",
        "/run/a.pid",
        "--logfile=/var/log/a",
        "--user",
        "nobody:nogroup",
        "--umask",
        "027",
        "--workdir",
        "/srv",
        "--chroot",
        "/jail",
        "--nice",
        "-5",
        "--env",
        "A=1",
        "--env=B=2=3",
        "--clear-env",
        "--foreground",
        "--notify",
        "--timeout",
        "2.5",
        "--no-new-privs",
        "--test",
        "-q",
        "--",
        "sleep",
        "--not-an-option",
        "--",
    ]);
    assert_eq!(s.pidfile.as_os_str(), "/run/a.pid");
    assert_eq!(s.stdout.as_ref().unwrap().as_os_str(), "/var/log/a");
    assert_eq!(s.stderr.as_ref().unwrap().as_os_str(), "/var/log/a");
    assert_eq!(s.user.as_deref(), Some(OsStr::new("nobody")));
    assert_eq!(s.group.as_deref(), Some(OsStr::new("nogroup")));
    assert_eq!(s.umask, Some(0o027));
    assert_eq!(s.workdir.unwrap().as_os_str(), "/srv");
    assert_eq!(s.chroot.unwrap().as_os_str(), "/jail");
    assert_eq!(s.nice, Some(-5));
    assert_eq!(s.env.len(), 2);
    assert_eq!(s.env[1].name, "B");
    assert_eq!(s.env[1].value, "2=3");
    assert!(s.clear_env && s.foreground && s.notify && s.no_new_privs && s.test);
    assert_eq!(s.ready_timeout, Duration::from_millis(2500));
    assert_eq!(s.command, args(&["sleep", "--not-an-option", "--"]));
    assert_eq!(
        ok(&["start", "--pidfile", "p", "-q", "--", "x"]).verbosity,
        Verbosity::Quiet
    );
}

#[test]
fn command_without_double_dash_starts_at_the_first_word() {
    let s = start(&["start", "--pidfile", "p", "sleep", "-v", "--pidfile", "x"]);
    assert_eq!(s.command, args(&["sleep", "-v", "--pidfile", "x"]));
}

#[test]
fn defaults() {
    let s = start(&["start", "--pidfile", "p", "--", "x"]);
    assert_eq!(s.stdout, None);
    assert_eq!(s.user, None);
    assert_eq!(s.ready_timeout, DEFAULT_READY_TIMEOUT);
    assert!(!s.notify && !s.test && !s.foreground && !s.clear_env);
    let st = stop(&["stop", "--pidfile", "p"]);
    assert_eq!(
        st.schedule,
        Schedule::simple(STOP_SIGNAL, DEFAULT_STOP_TIMEOUT, KILL_WAIT)
    );
    match ok(&["reload", "--pidfile", "p"]).command {
        Command::Reload(r) => assert_eq!(r.signal, RELOAD_SIGNAL),
        other => panic!("{other:?}"),
    }
    match ok(&["supervise", "--pidfile", "p", "x"]).command {
        Command::Supervise(_, r) => {
            assert_eq!(
                (r.max, r.period),
                (DEFAULT_RESPAWN_MAX, DEFAULT_RESPAWN_PERIOD)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn logfile_and_separate_streams() {
    let s = start(&[
        "start",
        "--pidfile",
        "p",
        "--logfile",
        "L",
        "--stderr",
        "E",
        "x",
    ]);
    assert_eq!(s.stdout.unwrap().as_os_str(), "L");
    assert_eq!(s.stderr.unwrap().as_os_str(), "E");
    let s = start(&["start", "--pidfile", "p", "--stdout", "O", "x"]);
    assert_eq!(s.stdout.unwrap().as_os_str(), "O");
    assert_eq!(s.stderr, None);
}

#[test]
fn user_group_forms() {
    let s = start(&["start", "--pidfile", "p", "--user", "12345", "x"]);
    assert_eq!(
        (s.user.as_deref(), s.group.as_deref()),
        (Some(OsStr::new("12345")), None)
    );
    let s = start(&[
        "start",
        "--pidfile",
        "p",
        "--user",
        "u",
        "--group",
        "g",
        "x",
    ]);
    assert_eq!(s.group.as_deref(), Some(OsStr::new("g")));
    let s = start(&["start", "--pidfile", "p", "--group", "g", "x"]);
    assert_eq!((s.user, s.group.as_deref()), (None, Some(OsStr::new("g"))));
    assert!(
        err(&[
            "start",
            "--pidfile",
            "p",
            "--user",
            "u:g",
            "--group",
            "h",
            "x"
        ])
        .contains("both name a group")
    );
}

#[test]
fn stop_schedules() {
    let st = stop(&["stop", "--pidfile", "p", "--retry", "TERM/30/KILL/5"]);
    assert_eq!(st.schedule.steps.len(), 4);
    let st = stop(&["stop", "--pidfile", "p", "--signal", "INT", "--retry", "3"]);
    assert_eq!(
        st.schedule,
        Schedule::simple(Signal::INT, Duration::from_secs(3), Duration::from_secs(3))
    );
    let st = stop(&[
        "stop",
        "--pidfile",
        "p",
        "--signal",
        "USR1",
        "--timeout",
        "0.2",
    ]);
    assert_eq!(
        st.schedule,
        Schedule::simple(Signal::USR1, Duration::from_millis(200), KILL_WAIT)
    );
    assert!(
        err(&["stop", "--pidfile", "p", "--retry", "5", "--timeout", "1"]).contains("give one")
    );
    assert!(
        err(&[
            "stop",
            "--pidfile",
            "p",
            "--signal",
            "HUP",
            "--retry",
            "TERM/1"
        ])
        .contains("--signal has no effect")
    );
}

#[test]
fn restart_timeout_bounds_stop_and_notify() {
    let e = err(&[
        "restart",
        "--pidfile",
        "p",
        "--retry",
        "INT/1/KILL/1",
        "--timeout",
        "3",
        "x",
    ]);
    assert!(e.contains("give one"), "{e}");
    match ok(&[
        "restart",
        "--pidfile",
        "p",
        "--retry",
        "INT/1/KILL/1",
        "--notify",
        "--timeout",
        "3",
        "x",
    ])
    .command
    {
        Command::Restart(st, s) => {
            assert_eq!(st.schedule.steps[0], Step::Signal(Signal::INT));
            assert_eq!(s.ready_timeout, Duration::from_secs(3));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn restart_options() {
    match ok(&[
        "restart",
        "--pidfile",
        "p",
        "--signal",
        "INT",
        "--nice",
        "3",
        "--timeout",
        "3",
        "--",
        "x",
    ])
    .command
    {
        Command::Restart(st, s) => {
            assert_eq!(st.schedule.steps[0], Step::Signal(Signal::INT));
            assert_eq!(st.schedule.steps[1], Step::Wait(Duration::from_secs(3)));
            assert_eq!(s.nice, Some(3));
            assert_eq!(s.ready_timeout, Duration::from_secs(3));
            assert_eq!(st.pidfile, s.pidfile);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn help_and_version() {
    assert_eq!(ok(&["--help"]).command, Command::Help(None));
    assert_eq!(ok(&["-h"]).command, Command::Help(None));
    assert_eq!(ok(&["help"]).command, Command::Help(None));
    assert_eq!(
        ok(&["help", "stop"]).command,
        Command::Help(Some(Sub::Stop))
    );
    assert_eq!(
        ok(&["stop", "--help"]).command,
        Command::Help(Some(Sub::Stop))
    );
    assert_eq!(ok(&["--version"]).command, Command::Version);
    assert_eq!(ok(&["-V"]).command, Command::Version);
    assert_eq!(ok(&["-q", "names"]).verbosity, Verbosity::Quiet);
    assert_eq!(ok(&["-v", "names"]).verbosity, Verbosity::Verbose);
    for s in Sub::ALL {
        assert!(!help(Some(s)).is_empty());
    }
    assert!(help(None).contains("supervise"));
}

#[test]
fn usage_errors_name_the_input() {
    for (a, want) in [
        (&[][..], "subcommand is missing"),
        (&["frobnicate"], "\"frobnicate\" is not a subcommand"),
        (&["help", "nope"], "help \"nope\""),
        (&["status"], "status needs --pidfile"),
        (&["start", "--pidfile", "p"], "start needs a command"),
        (&["start", "--", "x"], "start needs --pidfile"),
        (&["status", "--pidfile", ""], "--pidfile: the path is empty"),
        (&["status", "--pidfile="], "--pidfile: the path is empty"),
        (&["status", "--pidfile"], "--pidfile needs a value"),
        (
            &["status", "--pidfile", "a", "--pidfile", "b"],
            "--pidfile is given twice",
        ),
        (
            &["status", "--pidfile", "p", "--user", "x"],
            "--user is not an option of status",
        ),
        (
            &["status", "--pidfile", "p", "--frob"],
            "unknown option --frob",
        ),
        (
            &["status", "--pidfile", "p", "extra"],
            "unexpected argument \"extra\"",
        ),
        (&["status", "--pidfile", "p", "-x"], "unknown option -x"),
        (
            &["stop", "--pidfile", "p", "--timeout", "1e20"],
            "--timeout \"1e20\"",
        ),
        (
            &["stop", "--pidfile", "p", "--timeout", "1e19"],
            "--timeout \"1e19\"",
        ),
        (
            &["stop", "--pidfile", "p", "--timeout", "inf"],
            "--timeout \"inf\"",
        ),
        (
            &["stop", "--pidfile", "p", "--timeout", "nan"],
            "--timeout \"nan\"",
        ),
        (
            &["stop", "--pidfile", "p", "--timeout", "-1"],
            "--timeout \"-1\"",
        ),
        (
            &["stop", "--pidfile", "p", "--signal", "FOO"],
            "--signal \"FOO\": not a signal",
        ),
        (
            &["stop", "--pidfile", "p", "--retry", "TERM/x"],
            "--retry \"TERM/x\"",
        ),
        (
            &["start", "--pidfile", "p", "--nice", "40", "x"],
            "--nice \"40\"",
        ),
        (
            &["start", "--pidfile", "p", "--umask", "8", "x"],
            "--umask \"8\"",
        ),
        (
            &["start", "--pidfile", "p", "--env", "X", "x"],
            "--env \"X\"",
        ),
        (
            &["start", "--pidfile", "p", "--foreground=1", "x"],
            "--foreground takes no value",
        ),
        (
            &["start", "--pidfile", "p", "--timeout", "1", "x"],
            "only with --notify",
        ),
        (
            &["supervise", "--pidfile", "p", "--respawn-period", "0", "x"],
            "longer than 0",
        ),
        (
            &["supervise", "--pidfile", "p", "--respawn-max", "-1", "x"],
            "--respawn-max \"-1\"",
        ),
        (
            &["stop", "--pidfile", "p", "--respawn-max", "1"],
            "not an option of stop",
        ),
        (&["names", "--pidfile", "p"], "not an option of names"),
    ] {
        let e = err(a);
        assert!(e.contains(want), "{a:?}: {e:?} lacks {want:?}");
    }
}

#[test]
fn bytes_that_are_not_utf8_survive() {
    let raw = |b: &[u8]| OsStr::from_bytes(b).to_os_string();
    let a = vec![
        OsString::from("start"),
        raw(b"--pidfile=/tmp/\xff.pid"),
        OsString::from("--env"),
        raw(b"K=\xfe"),
        OsString::from("--"),
        raw(b"/bin/\xfd"),
        raw(b"\x80"),
    ];
    let Command::Start(s) = parse(&a).unwrap().command else {
        panic!()
    };
    assert_eq!(s.pidfile.as_os_str().as_bytes(), b"/tmp/\xff.pid");
    assert_eq!(s.env[0].value.as_bytes(), b"\xfe");
    assert_eq!(s.command, vec![raw(b"/bin/\xfd"), raw(b"\x80")]);
    let e = parse(&[OsString::from("status"), raw(b"--pidfile=a\0b")]).unwrap_err();
    assert!(e.to_string().contains("NUL"), "{e}");
    let e = parse(&[
        OsString::from("stop"),
        OsString::from("--pidfile"),
        OsString::from("p"),
        OsString::from("--signal"),
        raw(b"\xff"),
    ])
    .unwrap_err();
    assert!(e.to_string().contains("\"\\xFF\""), "{e}");
}

#[test]
fn relative_paths_resolve_against_the_given_directory() {
    let s = start(&[
        "start",
        "--pidfile",
        "rel.pid",
        "--logfile",
        "/abs.log",
        "x",
    ]);
    let cwd = std::path::Path::new("/some/dir");
    assert_eq!(
        s.pidfile.resolve(cwd),
        std::path::Path::new("/some/dir/rel.pid")
    );
    assert_eq!(
        s.stdout.unwrap().resolve(cwd),
        std::path::Path::new("/abs.log")
    );
    assert_eq!(s.pidfile.to_string(), "\"rel.pid\"");
}
