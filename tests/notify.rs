//! notify: the sd_notify protocol against peers nobody here wrote
//! (Debian's `systemd-notify` and `systemd-socket-activate`, std's
//! `UnixDatagram`), socket activation in forked children, the watchdog
//! variables and the descendant check.

#![allow(unsafe_code)] // fork, dup2, fcntl and waitpid through libc.

mod common;

use std::ffi::CString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TempDir;
use daemonry::notify::{
    Env, MESSAGE_MAX, Message, NotifySocket, Readiness, is_descendant, parse_message,
};
use daemonry::process::CStrArrayBuf;
use daemonry::{ErrorKind, Op, Pid};

fn me() -> Pid {
    rustix::process::getpid()
}

fn pid_of(child: &std::process::Child) -> Pid {
    Pid::from_raw(child.id() as i32).expect("child pid")
}

/// Whether `tool` is on PATH; prints a SKIP line for `test` when not, or
/// fails when `DAEMONRY_REQUIRE_ROOT=1` (CI installs it: `tools/cli/ci-deps.sh`).
fn have(tool: &str, test: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var("DAEMONRY_REQUIRE_ROOT").as_deref() != Ok("1"),
            "{test}: needs {tool} (sh tools/cli/ci-deps.sh installs it), and DAEMONRY_REQUIRE_ROOT=1"
        );
        eprintln!("SKIP {test}: {tool} is not installed");
    }
    found
}

/// An environment array of `entries` (kept alive by the returned strings).
struct EnvBuf {
    strings: Vec<CString>,
}

impl EnvBuf {
    fn new(entries: &[String]) -> EnvBuf {
        EnvBuf {
            strings: entries
                .iter()
                .map(|e| CString::new(e.as_str()).expect("no NUL"))
                .collect(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(Env<'_>) -> R) -> R {
        let mut buf = CStrArrayBuf::<256>::new();
        for s in &self.strings {
            buf.push(s).expect("room");
        }
        f(Env::new(buf.as_array()))
    }
}

fn entry(sock: &NotifySocket) -> String {
    sock.env_entry().to_str().expect("ASCII").to_string()
}

fn value(sock: &NotifySocket) -> String {
    sock.env_value().to_str().expect("ASCII").to_string()
}

// == our receiver, Debian's systemd-notify as the sender ==

/// `systemd-notify --ready --status=…` run by a shell script that plays
/// the daemon: its READY=1 is accepted as coming from the daemon (as root,
/// systemd-notify sends with its parent's pid; otherwise with its own, a
/// descendant), and systemd-notify's own barrier is answered, so it exits
/// 0 at once instead of timing out.
fn systemd_notify_reaches(sock: NotifySocket, test: &str) {
    if !have("systemd-notify", test) {
        return;
    }
    let mut daemon = Command::new("sh")
        .args([
            "-c",
            "systemd-notify --ready --status='Serving 2 clients'; echo rc=$?; exec cat",
        ])
        .env("NOTIFY_SOCKET", value(&sock))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let daemon_pid = pid_of(&daemon);
    let out = daemon.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(out).read_line(&mut line);
        let _ = tx.send(line);
    });
    let mut buf = [0u8; MESSAGE_MAX];
    let started = Instant::now();
    let r = sock
        .wait_ready(&mut buf, Duration::from_secs(20), |pid| {
            is_descendant(pid, daemon_pid).unwrap_or(false)
        })
        .expect("wait_ready");
    let Readiness::Ready(n) = r else {
        panic!("no READY=1 from systemd-notify: {r:?}")
    };
    let sender = n.pid().expect("credentials");
    assert!(is_descendant(sender, daemon_pid).unwrap(), "{sender:?}");
    assert_ne!(sender, me());
    let f = n.fields().expect("well-formed");
    assert!(f.is_ready());
    assert_eq!(f.status(), Some(&b"Serving 2 clients"[..]));
    // systemd-notify then waits for its barrier: keep reading (which
    // answers it) until the script reports systemd-notify's exit code.
    let rc = loop {
        if let Ok(line) = rx.try_recv() {
            break line;
        }
        match sock.wait_ready(&mut buf, Duration::from_millis(20), |_| false) {
            Ok(Readiness::TimedOut) => {}
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(rc.trim(), "rc=0", "systemd-notify failed");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "barrier not answered"
    );
    reader.join().unwrap();
    drop(daemon.stdin.take());
    assert!(daemon.wait().unwrap().success());
}

#[test]
fn systemd_notify_ready_reaches_an_abstract_notify_socket() {
    let sock = NotifySocket::new().expect("NotifySocket::new");
    assert!(value(&sock).starts_with('@'));
    assert_eq!(entry(&sock), format!("NOTIFY_SOCKET={}", value(&sock)));
    systemd_notify_reaches(
        sock,
        "systemd_notify_ready_reaches_an_abstract_notify_socket",
    );
}

#[test]
fn systemd_notify_ready_reaches_a_path_notify_socket() {
    let dir = TempDir::new("notify-path");
    let path = dir.path().join("notify");
    let sock = NotifySocket::bind(&path).expect("bind");
    assert_eq!(value(&sock), path.to_str().unwrap());
    systemd_notify_reaches(sock, "systemd_notify_ready_reaches_a_path_notify_socket");
    assert!(!path.exists(), "the socket file is removed on drop");
}

#[test]
fn systemd_notify_main_pid_parent_names_us() {
    if !have("systemd-notify", "systemd_notify_main_pid_parent_names_us") {
        return;
    }
    let sock = NotifySocket::new().unwrap();
    let mut child = Command::new("systemd-notify")
        .args(["--ready", "--pid=parent"])
        .env("NOTIFY_SOCKET", value(&sock))
        .spawn()
        .unwrap();
    let child_pid = pid_of(&child);
    let mut buf = [0u8; MESSAGE_MAX];
    let r = sock
        .wait_ready(&mut buf, Duration::from_secs(20), |pid| {
            pid == me() || pid == child_pid
        })
        .unwrap();
    let Readiness::Ready(n) = r else {
        panic!("{r:?}")
    };
    assert_eq!(n.fields().unwrap().main_pid(), Some(me()));
    // Answer the barrier, then reap.
    while child.try_wait().unwrap().is_none() {
        let _ = sock.wait_ready(&mut buf, Duration::from_millis(20), |_| false);
    }
}

#[test]
fn notifications_from_other_pids_are_ignored() {
    let sock = NotifySocket::new().unwrap();
    // The "daemon": a process that never notifies.
    let mut daemon = Command::new("cat").stdin(Stdio::piped()).spawn().unwrap();
    let daemon_pid = pid_of(&daemon);
    // We are not the daemon nor its descendant.
    EnvBuf::new(&[entry(&sock)]).with(|env| {
        assert!(env.notify("READY=1\nSTATUS=impostor").unwrap());
        assert!(env.notify("READY=1").unwrap());
    });
    let mut buf = [0u8; MESSAGE_MAX];
    let r = sock
        .wait_ready(&mut buf, Duration::from_millis(200), |pid| {
            is_descendant(pid, daemon_pid).unwrap_or(false)
        })
        .unwrap();
    assert!(matches!(r, Readiness::TimedOut), "{r:?}");
    // Both were read and dropped: nothing is left.
    assert!(sock.recv(&mut buf).unwrap().is_none());
    drop(daemon.stdin.take());
    daemon.wait().unwrap();
}

#[test]
fn wait_ready_times_out() {
    let sock = NotifySocket::new().unwrap();
    // Messages without READY=1 do not count either.
    EnvBuf::new(&[entry(&sock)]).with(|env| {
        env.notify("STATUS=starting").unwrap();
        env.notify("READY=0").unwrap();
        env.notify("READY=1\0").unwrap();
    });
    let mut buf = [0u8; MESSAGE_MAX];
    let started = Instant::now();
    let r = sock
        .wait_ready(&mut buf, Duration::from_millis(150), |_| true)
        .unwrap();
    assert!(matches!(r, Readiness::TimedOut), "{r:?}");
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[test]
fn truncated_datagrams_do_not_count() {
    let sock = NotifySocket::new().unwrap();
    EnvBuf::new(&[entry(&sock)]).with(|env| env.notify("READY=1\nSTATUS=long").unwrap());
    let mut small = [0u8; 8];
    let n = sock.recv(&mut small).unwrap().expect("queued");
    assert!(n.is_truncated());
    assert_eq!(n.as_bytes(), b"READY=1\n");
    assert_eq!(n.fields().unwrap_err().needed(), Some(19));
    assert_eq!(n.pid(), Some(me()));
    assert_eq!(n.uid(), Some(rustix::process::getuid()));
}

// == our sender, checked byte for byte against sd_notify(3)'s format ==

#[test]
fn sender_datagram_is_exactly_the_state_path_socket() {
    let dir = TempDir::new("notify-send");
    let path = dir.path().join("manager");
    let manager = UnixDatagram::bind(&path).unwrap();
    EnvBuf::new(&[format!("NOTIFY_SOCKET={}", path.display())]).with(|env| {
        for state in [
            &b"READY=1"[..],
            b"READY=1\nSTATUS=Serving \xc3\xa9 clients\nMAINPID=42",
            b"",
            &[b'x'; 3000][..],
        ] {
            assert!(env.notify(state).unwrap());
            let mut buf = [0u8; 8192];
            let n = manager.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], state);
        }
        let mut m = Message::new();
        m.stopping().unwrap().status("bye").unwrap();
        env.notify(&m).unwrap();
        let mut buf = [0u8; 64];
        let n = manager.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1\nSTATUS=bye");
    });
}

#[test]
fn sender_datagram_is_exactly_the_state_abstract_socket() {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("daemonry-test-{}-abstract", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let manager = UnixDatagram::bind_addr(&addr).unwrap();
    EnvBuf::new(&[format!("NOTIFY_SOCKET=@{name}")]).with(|env| {
        let mut m = Message::new();
        m.reloading().unwrap();
        let before = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        assert!(env.notify(&m).unwrap());
        let mut buf = [0u8; 256];
        let n = manager.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], m.as_bytes());
        // RELOADING=1 with MONOTONIC_USEC= on CLOCK_MONOTONIC.
        let f = parse_message(&buf[..n]).unwrap();
        assert!(f.is_reloading());
        let us: u64 = std::str::from_utf8(f.get("MONOTONIC_USEC").unwrap())
            .unwrap()
            .parse()
            .unwrap();
        let before_us = before.tv_sec as u64 * 1_000_000 + before.tv_nsec as u64 / 1000;
        assert!(
            us <= before_us + 1_000_000 && us + 1_000_000 >= before_us,
            "{us} vs {before_us}"
        );
    });
}

#[test]
fn notify_without_or_with_a_bad_socket() {
    EnvBuf::new(&["PATH=/bin".into()]).with(|env| {
        assert!(!env.notify("READY=1").unwrap());
        assert!(!env.notify_barrier(Duration::from_secs(1)).unwrap());
    });
    for bad in ["relative/notify", "", "vsock:2:99"] {
        EnvBuf::new(&[format!("NOTIFY_SOCKET={bad}")]).with(|env| {
            let e = env.notify("READY=1").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
            assert_eq!(e.op(), Op::ParseNotifySocket);
        });
    }
    let dir = TempDir::new("notify-nobody");
    EnvBuf::new(&[format!("NOTIFY_SOCKET={}/absent", dir.path().display())]).with(|env| {
        let e = env.notify("READY=1").unwrap_err();
        assert_eq!(e.op(), Op::Notify);
        assert_eq!(e.errno(), Some(daemonry::Errno::NOENT));
    });
}

#[test]
fn barrier_is_answered_by_our_receiver_and_times_out_without_one() {
    let sock = NotifySocket::new().unwrap();
    let env = [entry(&sock)];
    let receiver = std::thread::spawn(move || {
        let mut buf = [0u8; MESSAGE_MAX];
        let r = sock
            .wait_ready(&mut buf, Duration::from_secs(20), |pid| pid == me())
            .unwrap();
        matches!(r, Readiness::Ready(_))
    });
    EnvBuf::new(&env).with(|env| {
        assert!(env.notify_barrier(Duration::from_secs(20)).unwrap());
        env.notify("READY=1").unwrap();
    });
    assert!(receiver.join().unwrap());

    // Nobody reads this one: the barrier's fd stays queued, unanswered.
    let deaf = NotifySocket::new().unwrap();
    EnvBuf::new(&[entry(&deaf)]).with(|env| {
        let e = env.notify_barrier(Duration::from_millis(50)).unwrap_err();
        assert_eq!(e.op(), Op::NotifyBarrier);
        assert_eq!(e.errno(), Some(daemonry::Errno::TIMEDOUT));
    });
}

/// A sender the kernel cannot name in the receiver's pid namespace (here
/// the test process, outside the receiver's new namespace; in life any
/// process of a sibling or parent namespace that shares the network
/// namespace, which reaches an abstract socket) arrives with pid 0 in its
/// credentials: a notification without a pid, with its uid, that never
/// counts as the daemon's, whatever the caller's predicate says.
#[test]
fn a_sender_outside_our_pid_namespace_has_no_pid_and_never_counts() {
    require_root!();
    let mut child = common::spawn(|ctl| {
        // SAFETY: unshare(CLONE_NEWPID) changes only which namespace our
        // next child is born in.
        let r = unsafe { libc::unshare(libc::CLONE_NEWPID) };
        ensure(r == 0, "unshare(CLONE_NEWPID)")?;
        // SAFETY: the grandchild runs `receive` and `_exit`s.
        let pid = unsafe { common::fork() };
        ensure(pid >= 0, "fork")?;
        if pid == 0 {
            let code = match receive_from_outside(ctl) {
                Ok(()) => 0,
                Err(m) => {
                    ctl.send(&format!("\x02{m}"));
                    1
                }
            };
            // SAFETY: ends the grandchild without the runner's cleanup.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: `status` is writable; `pid` is our child.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        ensure(r == pid && libc::WIFEXITED(status), "waitpid")?;
        ensure(libc::WEXITSTATUS(status) == 0, "the receiver failed")
    });
    let name = child.recv().expect("the receiver's socket");
    let name = name.strip_prefix('@').expect("an abstract socket");
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name).unwrap();
    let sender = UnixDatagram::unbound().unwrap();
    sender.send_to_addr(b"READY=1", &addr).unwrap();
    assert_eq!(child.recv().as_deref(), Some("again"));
    sender.send_to_addr(b"READY=1", &addr).unwrap();
    child.finish().unwrap();
}

/// The receiving grandchild of the test above: pid 1 of a new pid
/// namespace.
fn receive_from_outside(ctl: &common::ChildCtl) -> Result<(), String> {
    use rustix::event::{PollFd, PollFlags, poll};
    ensure(
        me().as_raw_nonzero().get() == 1,
        "pid 1 of the new namespace",
    )?;
    let sock = NotifySocket::new().map_err(|e| e.to_string())?;
    let readable = |sock: &NotifySocket| {
        let mut fds = [PollFd::new(sock, PollFlags::IN)];
        poll(&mut fds, None).map_err(|e| format!("poll: {e}"))
    };
    ctl.send(&value(&sock));
    readable(&sock)?;
    let mut buf = [0u8; MESSAGE_MAX];
    let n = sock.recv(&mut buf).map_err(|e| e.to_string())?;
    let n = n.ok_or("nothing queued")?;
    ensure(n.as_bytes() == b"READY=1", "the datagram")?;
    ensure(n.pid().is_none(), &format!("pid {:?}, not None", n.pid()))?;
    ensure(
        n.uid() == Some(rustix::process::Uid::ROOT),
        &format!("uid {:?}", n.uid()),
    )?;
    ensure(
        n.gid() == Some(rustix::process::Gid::ROOT),
        &format!("gid {:?}", n.gid()),
    )?;
    // Queued before wait_ready looks: read, and dropped without a pid.
    ctl.send("again");
    readable(&sock)?;
    let r = sock
        .wait_ready(&mut buf, Duration::from_millis(50), |_| true)
        .map_err(|e| e.to_string())?;
    ensure(matches!(r, Readiness::TimedOut), &format!("{r:?}"))?;
    let left = sock.recv(&mut buf).map_err(|e| e.to_string())?;
    ensure(left.is_none(), "the second datagram was read")
}

/// Fds that come with a datagram are closed as it is read: none leaks
/// into the receiver (counted in a forked child, where no other test
/// opens fds meanwhile).
#[test]
fn fds_that_come_with_a_datagram_are_closed() {
    use rustix::fd::AsFd;
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg_addr};
    in_fork(|| {
        let open_fds = || std::fs::read_dir("/proc/self/fd").map(|d| d.count());
        let sock = NotifySocket::new().map_err(|e| e.to_string())?;
        let name = value(&sock);
        let addr = rustix::net::SocketAddrUnix::new_abstract_name(&name.as_bytes()[1..])
            .map_err(|e| e.to_string())?;
        let tx = UnixDatagram::unbound().map_err(|e| e.to_string())?;
        let (r, w) = std::io::pipe().map_err(|e| e.to_string())?;
        let before = open_fds().map_err(|e| e.to_string())?;
        let fds = [r.as_fd(), w.as_fd(), r.as_fd()];
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(3))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        ensure(control.push(SendAncillaryMessage::ScmRights(&fds)), "push")?;
        let iov = [std::io::IoSlice::new(b"FDSTORE=1\nREADY=1")];
        sendmsg_addr(&tx, &addr, &iov, &mut control, SendFlags::empty())
            .map_err(|e| e.to_string())?;
        let mut buf = [0u8; MESSAGE_MAX];
        let n = sock.recv(&mut buf).map_err(|e| e.to_string())?;
        let n = n.ok_or("nothing queued")?;
        ensure(n.pid() == Some(me()), "our pid")?;
        ensure(n.as_bytes() == b"FDSTORE=1\nREADY=1", "the datagram")?;
        // The three received copies are closed again: only ours are open.
        let after = open_fds().map_err(|e| e.to_string())?;
        ensure(
            after == before,
            &format!("{after} fds open, {before} before"),
        )
    });
}

#[test]
fn a_forked_copy_does_not_remove_the_socket_file() {
    let dir = TempDir::new("notify-fork");
    let path = dir.path().join("notify");
    let sock = NotifySocket::bind(&path).unwrap();
    in_fork(|| {
        // SAFETY: a bitwise copy, as fork made; the parent's stays valid.
        let copy = unsafe { std::ptr::read(&sock) };
        drop(copy);
        Ok(())
    });
    assert!(path.exists());
    assert!(NotifySocket::bind(&path).is_err(), "in use");
    drop(sock);
    assert!(!path.exists());
    let e = NotifySocket::bind("relative").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

// == socket activation ==

/// Runs `f` in a forked child that may clobber any fd (it reports on a
/// pipe moved to fd 100 or above) and panics with its message if it failed.
fn in_fork(f: impl FnOnce() -> Result<(), String>) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is writable.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fresh fds we own.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child runs `f` and leaves with `_exit`; glibc's fork resets
    // malloc's locks, so it may allocate.
    let pid = unsafe { common::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // SAFETY: plain fcntl on our own fd.
        let report = unsafe { libc::fcntl(w.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 100) };
        let msg = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(Ok(())) => String::new(),
            Ok(Err(m)) => m,
            Err(_) => "panicked".to_string(),
        };
        // SAFETY: writing our own buffer to our own fd, then leaving.
        unsafe {
            libc::write(report, msg.as_ptr().cast(), msg.len());
            libc::_exit(i32::from(!msg.is_empty()));
        }
    }
    drop(w);
    let mut msg = String::new();
    std::fs::File::from(r).read_to_string(&mut msg).unwrap();
    let mut status = 0;
    // SAFETY: our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(msg.is_empty(), "in child: {msg}");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child status {status:#x}"
    );
}

/// In a forked child: puts one end of a fresh socket pair at `target`,
/// inheritable, whatever was there. Raw fds only, never closed: the child
/// leaves with `_exit`.
fn place_socket(target: RawFd) -> Result<(), String> {
    let mut pair = [0; 2];
    // SAFETY: `pair` is writable; then plain fcntl/dup2 on our fds.
    unsafe {
        if libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, pair.as_mut_ptr()) != 0 {
            return Err("socketpair".into());
        }
        // Out of the way first: the pair itself may sit on fd 3 or 4.
        let high = libc::fcntl(pair[0], libc::F_DUPFD, 200);
        if high < 0 || libc::dup2(high, target) != target {
            return Err(format!("dup2 onto {target}"));
        }
    }
    Ok(())
}

fn cloexec(fd: RawFd) -> bool {
    // SAFETY: F_GETFD takes no pointer.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    flags >= 0 && flags & libc::FD_CLOEXEC != 0
}

fn ensure(cond: bool, what: &str) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.to_string()) }
}

#[test]
fn listen_fds_by_hand_in_a_forked_child() {
    in_fork(|| {
        place_socket(3)?;
        place_socket(4)?;
        // SAFETY: closing whatever fd 5 is in this child, never used again.
        unsafe { libc::close(5) };
        let pid = std::process::id();
        let vars = |fds: &str, names: Option<&str>, for_pid: u32| {
            let mut v = vec![format!("LISTEN_PID={for_pid}"), format!("LISTEN_FDS={fds}")];
            v.extend(names.map(|n| format!("LISTEN_FDNAMES={n}")));
            EnvBuf::new(&v)
        };
        vars("2", Some("web:admin"), pid).with(|env| {
            let fds = env.listen_fds().map_err(|e| e.to_string())?;
            ensure(fds.len() == 2, "two fds")?;
            ensure(fds.raw_fds() == (3..5), "fds 3 and 4")?;
            let got: Vec<(RawFd, Option<Vec<u8>>)> = fds
                .iter()
                .map(|(fd, n)| (fd.as_raw_fd(), n.map(<[u8]>::to_vec)))
                .collect();
            ensure(
                got == [(3, Some(b"web".to_vec())), (4, Some(b"admin".to_vec()))],
                &format!("{got:?}"),
            )?;
            ensure(
                fds.find("admin").map(|f| f.as_raw_fd()) == Some(4),
                "find admin",
            )?;
            ensure(fds.find("nope").is_none(), "find nope")?;
            ensure(cloexec(3) && cloexec(4), "CLOEXEC set")
        })?;
        // No names: every name is None.
        vars("1", None, pid).with(|env| {
            let fds = env.listen_fds().map_err(|e| e.to_string())?;
            ensure(fds.get(0).map(|(_, n)| n) == Some(None), "unnamed")
        })?;
        // Meant for another process, or nothing passed: empty.
        for (n, p) in [("2", pid + 1), ("0", pid)] {
            vars(n, None, p).with(|env| {
                ensure(
                    env.listen_fds().map_err(|e| e.to_string())?.is_empty(),
                    "empty",
                )
            })?;
        }
        // Malformed: the names do not match the count; a bad count or pid.
        let invalid = |v: EnvBuf| {
            v.with(|env| match env.listen_fds() {
                Err(e) if e.kind() == ErrorKind::InvalidInput && e.op() == Op::ListenFds => Ok(()),
                other => Err(format!("{other:?}")),
            })
        };
        invalid(vars("2", Some("one"), pid))?;
        invalid(vars("x", None, pid))?;
        invalid(EnvBuf::new(&[
            "LISTEN_PID=abc".into(),
            "LISTEN_FDS=1".into(),
        ]))?;
        // Announced but not open: EBADF.
        vars("3", None, pid).with(|env| match env.listen_fds() {
            Err(e) if e.errno() == Some(daemonry::Errno::BADF) => Ok(()),
            other => Err(format!("{other:?}")),
        })
    });
}

#[cfg(feature = "std")]
#[test]
fn listen_fds_from_the_process_environment() {
    in_fork(|| {
        place_socket(3)?;
        // SAFETY: the forked child runs one thread.
        unsafe {
            std::env::set_var("LISTEN_PID", std::process::id().to_string());
            std::env::set_var("LISTEN_FDS", "1");
            std::env::set_var("LISTEN_FDNAMES", "only");
        }
        let fds = daemonry::notify::listen_fds().map_err(|e| e.to_string())?;
        // SAFETY: still one thread.
        unsafe { daemonry::notify::unset_listen_env() };
        ensure(std::env::var_os("LISTEN_FDNAMES").is_none(), "unset")?;
        // The names were copied: still there after the unset.
        ensure(
            fds.get(0).and_then(|(_, n)| n) == Some(&b"only"[..]),
            "name kept",
        )?;
        ensure(
            daemonry::notify::listen_fds()
                .map_err(|e| e.to_string())?
                .is_empty(),
            "gone",
        )
    });
}

/// The child side of [`systemd_socket_activate_passes_named_sockets`]:
/// does nothing unless run by it (through the environment variable).
#[test]
fn socket_activated_child() {
    if std::env::var_os("DAEMONRY_TEST_ACTIVATED").is_none() {
        return;
    }
    // Read through an envp array in both feature states.
    let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    let line = EnvBuf::new(&vars).with(|env| {
        let fds = env.listen_fds().expect("listen_fds");
        let mut line = format!("ACTIVATED n={}", fds.len());
        for (fd, name) in &fds {
            let addr = rustix::net::getsockname(fd).expect("getsockname");
            let addr = rustix::net::SocketAddrUnix::try_from(addr).expect("unix");
            let path = String::from_utf8_lossy(addr.path_bytes().unwrap_or_default()).into_owned();
            line += &format!(
                " {}={}@{} cloexec={}",
                fd.as_raw_fd(),
                String::from_utf8_lossy(name.unwrap_or(b"?")),
                path.rsplit('/').next().unwrap_or(""),
                cloexec(fd.as_raw_fd())
            );
        }
        line
    });
    println!("{line}");
    std::io::stdout().flush().unwrap();
}

#[test]
fn systemd_socket_activate_passes_named_sockets() {
    skip_under_emulation!(common::emu::BINFMT_FD);
    if !have(
        "systemd-socket-activate",
        "systemd_socket_activate_passes_named_sockets",
    ) {
        return;
    }
    let dir = TempDir::new("notify-activate");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let exe = std::env::current_exe().unwrap();
    let mut sa = Command::new("systemd-socket-activate")
        .arg("-l")
        .arg(&a)
        .arg("-l")
        .arg(&b)
        .arg("--fdname=web:admin")
        .arg("-E")
        .arg("DAEMONRY_TEST_ACTIVATED=1")
        .arg(&exe)
        .args([
            "--exact",
            "socket_activated_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It announces each socket, then waits for a connection before it
    // starts the program.
    let mut err = BufReader::new(sa.stderr.take().unwrap());
    let mut seen = 0;
    let mut line = String::new();
    while seen < 2 {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "systemd-socket-activate ended"
        );
        if line.starts_with("Listening on") {
            seen += 1;
        }
    }
    let _conn = UnixStream::connect(&a).unwrap();
    let mut out = String::new();
    sa.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let status = sa.wait().unwrap();
    assert!(status.success(), "{status:?}\n{out}");
    // libtest may print "test socket_activated_child ... " before it.
    let got = out
        .lines()
        .find_map(|l| l.find("ACTIVATED").map(|i| &l[i..]))
        .unwrap_or_else(|| panic!("no report in:\n{out}"));
    assert_eq!(
        got,
        "ACTIVATED n=2 3=web@a cloexec=true 4=admin@b cloexec=true"
    );
}

// == watchdog ==

#[test]
fn watchdog_interval_from_the_variables() {
    let me = std::process::id();
    let cases: [(&[String], Option<Duration>); 4] = [
        (
            &["WATCHDOG_USEC=3000000".into()],
            Some(Duration::from_secs(3)),
        ),
        (
            &["WATCHDOG_USEC=250".into(), format!("WATCHDOG_PID={me}")],
            Some(Duration::from_micros(250)),
        ),
        (
            &[
                "WATCHDOG_USEC=250".into(),
                format!("WATCHDOG_PID={}", me + 1),
            ],
            None,
        ),
        (&["WATCHDOG_PID=1".into()], None),
    ];
    for (vars, want) in cases {
        let got = EnvBuf::new(vars)
            .with(|env| env.watchdog_interval())
            .unwrap();
        assert_eq!(got, want, "{vars:?}");
    }
    for bad in [
        &["WATCHDOG_USEC=0".to_string()][..],
        &["WATCHDOG_USEC=soon".into()],
        &["WATCHDOG_USEC=1".into(), "WATCHDOG_PID=me".into()],
    ] {
        let e = EnvBuf::new(bad)
            .with(|env| env.watchdog_interval())
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.op()),
            (ErrorKind::InvalidInput, Op::WatchdogInterval)
        );
    }
}

#[cfg(feature = "std")]
#[test]
fn watchdog_interval_from_the_process_environment() {
    in_fork(|| {
        // SAFETY: the forked child runs one thread.
        unsafe { std::env::set_var("WATCHDOG_USEC", "1500000") };
        let got = daemonry::notify::watchdog_interval().map_err(|e| e.to_string())?;
        ensure(
            got == Some(Duration::from_millis(1500)),
            &format!("{got:?}"),
        )
    });
}

// == is_descendant ==

#[test]
fn descendants_are_judged_by_proc_parent_links() {
    // sh → sleep, both descendants of us.
    let mut child = Command::new("sh")
        .args(["-c", "sleep 600 & echo $!; wait"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let grandchild = Pid::from_raw(line.trim().parse().unwrap()).unwrap();
    let sh = pid_of(&child);
    assert!(is_descendant(grandchild, sh).unwrap());
    assert!(is_descendant(grandchild, me()).unwrap());
    assert!(is_descendant(sh, sh).unwrap());
    assert!(!is_descendant(sh, grandchild).unwrap());
    assert!(!is_descendant(me(), sh).unwrap());
    // SAFETY: our own grandchild.
    unsafe { libc::kill(grandchild.as_raw_nonzero().get(), libc::SIGTERM) };
    child.wait().unwrap();
    // A pid that is gone is nobody's descendant.
    assert!(!is_descendant(sh, me()).unwrap());
}

#[test]
fn env_debug_hides_values() {
    let s = EnvBuf::new(&["SECRET=hunter2".into()]).with(|env| format!("{env:?}"));
    assert_eq!(s, "Env { variables: 1 }");
}
