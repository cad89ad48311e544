//! `start --notify` with real peers: Debian's `systemd-notify --ready` as
//! the service's notifier, a service that never notifies, and a
//! notification from an unrelated process.

#![allow(unsafe_code)] // libc: kill in the sweep, pidfds.

mod common;

use common::TempDir;
use common::tool::*;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// A FIFO the service blocks on until the test writes it.
fn fifo(p: &Path) {
    let c = std::ffi::CString::new(s(p)).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0, "mkfifo");
}

#[test]
fn start_waits_for_systemd_notify_ready() {
    require_root!();
    if !require_program("/usr/bin/systemd-notify", "systemd") {
        return;
    }
    let dir = TempDir::new("nready");
    let pidfile = dir.path().join("r.pid");
    let gate = dir.path().join("gate");
    fifo(&gate);
    let sweep = Sweep::new();
    // As nobody: the private socket directory must let it in.
    let script = format!(
        "read x < {g}; systemd-notify --ready; exec sleep {t}",
        g = s(&gate),
        t = sweep.0
    );
    let mut start = Command::new(bin())
        .args(["start", "--notify", "--timeout", "60", "--user", "nobody"])
        .args(["--pidfile", s(&pidfile), "--", "sh", "-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The service runs (the pidfile names it, it blocks on the gate) ...
    let pid = poll_until(20, "the service", || try_read_pid(&pidfile));
    wait_until_blocked(pid);
    let env = environ(pid);
    let sock = env
        .iter()
        .find_map(|e| e.strip_prefix("NOTIFY_SOCKET="))
        .expect("NOTIFY_SOCKET in the service's environment")
        .to_string();
    assert!(sock.starts_with('/'), "a path socket, not abstract: {sock}");
    let sock_dir = Path::new(&sock).parent().unwrap().to_path_buf();
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(&sock_dir).unwrap();
        assert_eq!(
            (m.mode() & 0o777, m.uid()),
            (0o700, 65534),
            "private to the service's user"
        );
    }
    // ... and start has not returned: it waits for READY=1.
    assert!(
        start.try_wait().unwrap().is_none(),
        "start returned before READY=1"
    );
    std::fs::OpenOptions::new()
        .write(true)
        .open(&gate)
        .unwrap()
        .write_all(b"go\n")
        .unwrap();
    let out = start.wait_with_output().unwrap();
    assert_eq!(ok(&out), format!("started {pid}"), "{}", stderr(&out));
    assert!(!sock_dir.exists(), "the socket directory is removed");
    poll_until(20, "the exec", || {
        (cmdline(pid) == format!("sleep {}", sweep.0)).then_some(())
    });
    ok(&tool(&["stop", "--pidfile", s(&pidfile)]));
}

#[test]
fn a_service_that_never_notifies_gets_69_and_nothing_is_left_running() {
    let dir = TempDir::new("nnever");
    let pidfile = dir.path().join("n.pid");
    let sweep = Sweep::new();
    // It forks a child too: both must be gone.
    let script = format!("sleep {t} & exec sleep {t}", t = sweep.0);
    let out = tool(&[
        "start",
        "--notify",
        "--timeout",
        "0.5",
        "--pidfile",
        s(&pidfile),
        "--",
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(code(&out), 69, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("did not report READY=1 within 500ms; stopped it"),
        "{err}"
    );
    assert!(sweep.live().is_empty(), "left running: {:?}", sweep.live());
    assert!(!pidfile.exists(), "pidfile left behind");
    // A service that exits before it is ready: 1.
    let out = tool(&["start", "--notify", "--pidfile", s(&pidfile), "--", "true"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("exited before it reported READY=1"));
    assert!(!pidfile.exists());
}

#[test]
fn readiness_from_an_unrelated_process_is_ignored() {
    if !require_program("/usr/bin/systemd-notify", "systemd") {
        return;
    }
    let dir = TempDir::new("nother");
    let pidfile = dir.path().join("o.pid");
    let sweep = Sweep::new();
    let [a, b] = sweep.sleep();
    let start = Command::new(bin())
        .args([
            "-v",
            "start",
            "--notify",
            "--timeout",
            "3",
            "--pidfile",
            s(&pidfile),
            "--",
            a,
            b,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = poll_until(20, "the service", || try_read_pid(&pidfile));
    let sock = poll_until(20, "NOTIFY_SOCKET", || {
        environ(pid)
            .iter()
            .find_map(|e| e.strip_prefix("NOTIFY_SOCKET=").map(str::to_string))
    });
    // The test process (no relative of the service) says READY=1 on the
    // service's socket.
    let sent = Command::new("systemd-notify")
        .arg("--ready")
        .env("NOTIFY_SOCKET", &sock)
        .status()
        .unwrap();
    assert!(sent.success());
    let out = start.wait_with_output().unwrap();
    assert_eq!(code(&out), 69, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ignored READY=1 from pid"),
        "{}",
        stderr(&out)
    );
    assert!(sweep.live().is_empty());
}
