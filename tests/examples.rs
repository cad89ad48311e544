//! The example programs, run whole as a user runs them and judged from
//! outside (exit statuses, stderr, `/proc/<pid>`, pidfds, loopback):
//!
//! - the echo daemons, `examples/echo_daemon.rs` (std) and
//!   `test-crates/no-std-daemon` (`no_std`, no allocator), started as root:
//!   the launcher exits 0; the pidfile names a daemon that runs as nobody
//!   with no capabilities under its title; it echoes a line over loopback;
//!   SIGTERM, with a client still connected, ends it with exit status 0
//!   (seen by this process, its subreaper); the pidfile is gone and nothing
//!   is left running. A held pidfile makes the launcher exit 73 naming the
//!   holder (an error in the daemon, after the fork). A pidfile in a
//!   directory the daemon's user cannot write is left behind, stale, and
//!   does not block the next start (the layout the examples document);
//! - the graceful-shutdown recipes `examples/shutdown_{threads,poll,tokio}.rs`
//!   (not daemons, no root needed): echo, SIGTERM, exit 0 naming the sender;
//! - the std echo daemon's length: at most 43 lines after rustfmt, comments
//!   and blank lines excluded (the `daemonize` crate + `nix` took 43).
//!
//! The programs are built with cargo from here (a no-op when up to date):
//! the examples into this test binary's own target directory and profile
//! (with the `std` feature, so they run under `--no-default-features`
//! too), the `no_std` crate — a workspace of its own, for its
//! `panic = "abort"` profile — into `<target>/no-std-daemon`.
//!
//! This process is a child subreaper, so the daemons become its children
//! and their exit statuses can be judged; the tests run one at a time and
//! each reaps (and, on failure, kills) every child it leaves. Waiting is
//! done on pipes, sockets and pidfds with deadlines, never by sleeping.

#![allow(unsafe_code)] // prctl, pidfds, poll, waitpid and kill through libc.

mod common;

use common::{TempDir, proc_cmdline, proc_state, proc_status};
use std::ffi::CString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

/// Lines the same daemon took with the `daemonize` crate and `nix`.
const DAEMONIZE_NIX_LINES: usize = 43;

/// How long a program may take to answer or to exit.
const DEADLINE: Duration = Duration::from_secs(20);

// ---- building -----------------------------------------------------------------

/// This test binary's profile directory (`<target>/debug`): the examples
/// are built there too, so `cargo test` has already built most of them.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("deps dir");
    deps.parent().expect("profile dir").to_path_buf()
}

/// `cargo build` for this test's profile (`debug` is cargo's `dev`).
fn cargo_build(args: &[&str]) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build").args(args);
    match profile_dir().file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some(profile) => {
            cmd.args(["--profile", profile]);
        }
    }
    cmd
}

fn run_build(mut cmd: Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("run cargo to build {what}: {e}"));
    assert!(
        out.status.success(),
        "building {what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The std examples (echo daemon and recipes), built once per test process.
fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cmd = cargo_build(&["--features", "std"]);
        for ex in [
            "echo_daemon",
            "shutdown_threads",
            "shutdown_poll",
            "shutdown_tokio",
        ] {
            cmd.args(["--example", ex]);
        }
        cmd.arg("--manifest-path")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .arg("--target-dir")
            .arg(profile_dir().parent().expect("target dir"))
            .env_remove("CARGO_TARGET_DIR");
        run_build(cmd, "the examples");
    });
    profile_dir().join("examples").join(name)
}

/// The `no_std` echo daemon, built once per test process (its own
/// workspace, lockfile and target directory).
fn no_std_echo() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target = profile_dir()
                .parent()
                .expect("target dir")
                .join("no-std-daemon");
            let mut cmd = cargo_build(&["--locked"]);
            cmd.arg("--manifest-path")
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/test-crates/no-std-daemon/Cargo.toml"
                ))
                .arg("--target-dir")
                .arg(&target)
                .env_remove("CARGO_TARGET_DIR")
                .env_remove("CARGO_BUILD_TARGET")
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_ENCODED_RUSTFLAGS");
            run_build(cmd, "test-crates/no-std-daemon");
            let profile = profile_dir();
            let profile = profile.file_name().expect("profile name");
            target.join(profile).join("no_std_echo")
        })
        .clone()
}

// ---- one test at a time, as the daemons' subreaper ------------------------------

/// Serialises the tests of this file and makes this process a child
/// subreaper (once): orphaned daemons become our children, and every child
/// of ours (cargo builds included) belongs to the test that holds the
/// guard, which may kill and reap them all.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    static SUBREAPER: OnceLock<()> = OnceLock::new();
    let guard = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    SUBREAPER.get_or_init(|| {
        // SAFETY: prctl with integer arguments only.
        let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        assert_eq!(r, 0, "PR_SET_CHILD_SUBREAPER");
    });
    guard
}

/// The pids of this process's children (every thread's).
fn children() -> Vec<i32> {
    let mut v = vec![];
    for task in std::fs::read_dir("/proc/self/task")
        .expect("tasks")
        .flatten()
    {
        let text = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        v.extend(
            text.split_whitespace()
                .filter_map(|p| p.parse::<i32>().ok()),
        );
    }
    v
}

/// How a process ended, from a `waitpid` status.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    Exited(i32),
    Killed(i32),
}

/// Reaps `pid` (our child), blocking; `None` if it is not our child.
fn reap(pid: i32) -> Option<Ended> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is writable.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r > 0 && (pid == -1 || r == pid) {
            break;
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return None;
        }
    }
    Some(if libc::WIFSIGNALED(status) {
        Ended::Killed(libc::WTERMSIG(status))
    } else {
        Ended::Exited(libc::WEXITSTATUS(status))
    })
}

fn pidfd(pid: i32) -> OwnedFd {
    // SAFETY: pidfd_open returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    assert!(
        fd >= 0,
        "pidfd_open({pid}): {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: a fresh fd we own.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// Sends `sig` to the process behind `fd` (never to a recycled pid).
fn pidfd_kill(fd: &OwnedFd, sig: i32) {
    // SAFETY: a pidfd we own, no siginfo, no flags.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    assert_eq!(
        r,
        0,
        "pidfd_send_signal: {}",
        std::io::Error::last_os_error()
    );
}

/// Waits until the process behind `fd` has exited, up to [`DEADLINE`].
fn wait_exit(fd: &OwnedFd) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, DEADLINE.as_millis() as i32) == 1 }
}

// ---- an echo daemon's scene -------------------------------------------------------

/// One of the two echo daemons: how to build it and the name in its title.
struct EchoDaemon {
    binary: fn() -> PathBuf,
    name: &'static str,
}

const STD_ECHO: EchoDaemon = EchoDaemon {
    binary: || example("echo_daemon"),
    name: "echo_daemon",
};

const NO_STD_ECHO: EchoDaemon = EchoDaemon {
    binary: no_std_echo,
    name: "no_std_echo",
};

/// A temporary directory with `run/` owned by nobody (where the daemon can
/// remove its pidfile), a free loopback port, and this test's lock. On
/// drop it kills whatever is left of what the test started and reaps it.
struct Scene {
    dir: TempDir,
    port: u16,
    binary: PathBuf,
    title: String,
    _serial: MutexGuard<'static, ()>,
}

impl Scene {
    fn new(daemon: &EchoDaemon, tag: &str) -> Scene {
        let serial = serial();
        let binary = (daemon.binary)();
        let dir = TempDir::new(tag);
        let run = dir.path().join("run");
        std::fs::create_dir(&run).expect("mkdir run");
        let nobody = nobody();
        std::os::unix::fs::chown(&run, Some(nobody.uid.as_raw()), Some(nobody.gid.as_raw()))
            .expect("chown run to nobody");
        // A port the kernel just handed out and nobody else holds now.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Scene {
            dir,
            port,
            binary,
            title: format!("[{}] 127.0.0.1:{port}", daemon.name),
            _serial: serial,
        }
    }

    /// `run/echo.pid`, in the directory nobody owns.
    fn pidfile(&self) -> PathBuf {
        self.dir.path().join("run").join("echo.pid")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("echo.log")
    }

    /// Runs the launcher (`BINARY PORT PIDFILE LOG`) to its end: it exits
    /// once the daemon is ready or failed, and the daemon keeps none of
    /// its pipes, so `output()` returns then.
    fn launch(&self, pidfile: &Path) -> Output {
        self.launch_logging_to(pidfile, &self.log())
    }

    /// [`launch`](Scene::launch) with another log file.
    fn launch_logging_to(&self, pidfile: &Path, log: &Path) -> Output {
        Command::new(&self.binary)
            .arg(self.port.to_string())
            .arg(pidfile)
            .arg(log)
            .stdin(Stdio::null())
            .output()
            .expect("run the launcher")
    }

    /// Live (non-zombie) processes that show this scene's directory or
    /// title on their command line.
    fn live(&self) -> Vec<i32> {
        let dir = self.dir.path().as_os_str().as_bytes();
        let mut v = vec![];
        for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                continue;
            };
            let shows = |needle: &[u8]| cmd.windows(needle.len()).any(|w| w == needle);
            if (shows(dir) || shows(self.title.as_bytes()))
                && !matches!(proc_state(pid), Some('Z') | None)
            {
                v.push(pid);
            }
        }
        v
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        for pid in self.live().into_iter().chain(children()) {
            // SAFETY: kill a process this test started (the tests run one
            // at a time, so every child of ours is this test's).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        while reap(-1).is_some() {}
    }
}

fn nobody() -> daemonry::User {
    daemonry::AccountDb::system()
        .user_by_name("nobody")
        .expect("read /etc/passwd")
        .expect("a user nobody")
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("no NUL in a temp path")
}

fn read_pid(p: &Path) -> i32 {
    let s = std::fs::read_to_string(p).expect("read pidfile");
    assert!(s.ends_with('\n'), "{s:?}");
    s.trim_end().parse().expect("pid")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Sends `line` and reads the echo.
fn echo(conn: &mut BufReader<TcpStream>, line: &str) -> String {
    conn.get_mut().write_all(line.as_bytes()).expect("send");
    let mut got = String::new();
    conn.read_line(&mut got).expect("read the echo");
    got
}

fn connect(port: u16) -> BufReader<TcpStream> {
    let conn = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    conn.set_read_timeout(Some(DEADLINE)).expect("timeout");
    BufReader::new(conn)
}

/// Starts `daemon`, judges it running, echoes, stops it with SIGTERM while
/// a client is connected, and judges how it ended.
fn serves_as_nobody_and_stops_cleanly(daemon: &EchoDaemon) {
    let scene = Scene::new(daemon, "echo");
    let pidfile = scene.pidfile();
    let out = scene.launch(&pidfile);
    assert!(
        out.status.success(),
        "launcher: {:?} {}",
        out.status,
        stderr(&out)
    );
    assert_eq!(stderr(&out), "", "the launcher says nothing on success");

    // The pidfile names the daemon, which runs as nobody under its title.
    let pid = read_pid(&pidfile);
    let fd = pidfd(pid);
    let nobody = nobody();
    let status = proc_status(pid);
    let uid = nobody.uid.as_raw().to_string();
    let gid = nobody.gid.as_raw().to_string();
    assert_eq!(status["Uid"], [uid.as_str(); 4].join("\t"), "{status:?}");
    assert_eq!(status["Gid"], [gid.as_str(); 4].join("\t"), "{status:?}");
    assert_eq!(status["CapEff"], "0000000000000000");
    assert_eq!(status["CapPrm"], "0000000000000000");
    assert_eq!(
        proc_cmdline(pid),
        format!("{}\0", scene.title).into_bytes(),
        "title"
    );
    let path = cpath(&pidfile);
    let pidlock = daemonry::Pidfile::new(path.as_c_str()).expect("pidfile path");
    assert!(
        pidlock.is_locked().expect("probe the lock"),
        "pidfile not locked"
    );

    // It echoes; the client stays connected through the shutdown.
    let mut conn = connect(scene.port);
    assert_eq!(echo(&mut conn, "hello, daemon\n"), "hello, daemon\n");
    assert_eq!(echo(&mut conn, "twice\n"), "twice\n");

    pidfd_kill(&fd, libc::SIGTERM);
    assert!(wait_exit(&fd), "the daemon did not exit on SIGTERM");
    assert_eq!(reap(pid), Some(Ended::Exited(0)), "a clean exit");
    assert!(!pidfile.exists(), "the daemon left its pidfile");
    let mut rest = String::new();
    conn.read_to_string(&mut rest).expect("read to the end");
    assert_eq!(rest, "", "the connection closed");
    let log = std::fs::read_to_string(scene.log()).expect("read log");
    assert!(log.contains("SIGTERM: shutting down"), "log: {log:?}");
    assert_eq!(scene.live(), Vec::<i32>::new(), "left running");
}

/// The pidfile is held (by this test): the daemon's `create_pidlock`
/// fails after the fork, and the launcher says so and exits 73.
fn reports_a_held_pidfile(daemon: &EchoDaemon) {
    let scene = Scene::new(daemon, "held");
    let pidfile = scene.pidfile();
    let path = cpath(&pidfile);
    let holder = daemonry::create_pidlock(path.as_c_str()).expect("hold the pidfile");
    let out = scene.launch(&pidfile);
    assert_eq!(out.status.code(), Some(73), "launcher: {}", stderr(&out));
    let me = std::process::id();
    // One line, named after the program (its file name), not the library.
    let program = scene.binary.file_name().unwrap().to_str().unwrap();
    assert!(
        stderr(&out).starts_with(&format!("{program}: "))
            && stderr(&out).contains(&format!("lock held by pid {me}")),
        "{}",
        stderr(&out)
    );
    // The daemon that failed is our child now: it exited 73 too. The
    // launcher's first child may be ours as well, if the launcher left
    // before reaping it; it ends with 0 after the second fork.
    let ended: Vec<_> = children().into_iter().filter_map(reap).collect();
    assert!(
        ended.contains(&Ended::Exited(73))
            && ended
                .iter()
                .all(|e| matches!(e, Ended::Exited(0) | Ended::Exited(73))),
        "children ended: {ended:?}"
    );
    assert!(holder.is_held());
    assert_eq!(read_pid(&pidfile), me as i32, "the pidfile was left alone");
    assert_eq!(scene.live(), Vec::<i32>::new(), "left running");
}

/// The log's directory is missing: the launcher fails before it forks,
/// exits 1 naming the log file, and leaves no pidfile and no process.
fn reports_a_missing_log_directory(daemon: &EchoDaemon) {
    let scene = Scene::new(daemon, "nolog");
    let pidfile = scene.pidfile();
    let log = scene.dir.path().join("missing").join("echo.log");
    let out = scene.launch_logging_to(&pidfile, &log);
    assert_eq!(out.status.code(), Some(1), "launcher: {}", stderr(&out));
    assert!(
        stderr(&out).contains("open log file") && stderr(&out).contains("ENOENT"),
        "{}",
        stderr(&out)
    );
    assert!(!pidfile.exists(), "a pidfile was left");
    assert_eq!(children(), Vec::<i32>::new(), "it forked");
    assert_eq!(scene.live(), Vec::<i32>::new(), "left running");
}

// ---- the std echo daemon ------------------------------------------------------------

#[test]
fn std_echo_daemon_serves_as_nobody_and_stops_cleanly_on_sigterm() {
    require_root!();
    skip_under_emulation!(common::emu::SUBREAPER);
    serves_as_nobody_and_stops_cleanly(&STD_ECHO);
}

#[test]
fn std_echo_daemon_reports_a_held_pidfile_from_after_the_fork() {
    require_root!();
    skip_under_emulation!(common::emu::SUBREAPER);
    reports_a_held_pidfile(&STD_ECHO);
}

#[test]
fn std_echo_daemon_reports_a_missing_log_directory() {
    require_root!();
    skip_under_emulation!(common::emu::SUBREAPER);
    reports_a_missing_log_directory(&STD_ECHO);
}

/// The layout the examples document: in a directory the daemon's user
/// cannot write, the daemon (no longer root) cannot remove its pidfile.
/// The file stays, unlocked, and the next start replaces it.
#[test]
fn std_echo_daemon_leaves_a_stale_pidfile_it_cannot_remove_that_blocks_nothing() {
    require_root!();
    skip_under_emulation!(common::emu::SUBREAPER);
    let scene = Scene::new(&STD_ECHO, "stale");
    let pidfile = scene.dir.path().join("echo.pid"); // root's directory
    let path = cpath(&pidfile);
    let mut last = None;
    for _ in 0..2 {
        let out = scene.launch(&pidfile);
        assert!(out.status.success(), "launcher: {}", stderr(&out));
        let pid = read_pid(&pidfile);
        assert_ne!(Some(pid), last, "a new daemon");
        let fd = pidfd(pid);
        pidfd_kill(&fd, libc::SIGTERM);
        assert!(wait_exit(&fd), "the daemon did not exit on SIGTERM");
        assert_eq!(reap(pid), Some(Ended::Exited(0)), "a clean exit");
        assert_eq!(read_pid(&pidfile), pid, "the stale pidfile stays");
        let stale = daemonry::Pidfile::new(path.as_c_str()).expect("pidfile path");
        assert!(!stale.is_locked().expect("probe"), "nobody holds it");
        last = Some(pid);
    }
    assert_eq!(scene.live(), Vec::<i32>::new(), "left running");
}

#[test]
fn echo_daemon_takes_at_most_43_lines() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/echo_daemon.rs");
    let text = std::fs::read_to_string(path).expect("read the example");
    let code = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .count();
    eprintln!("examples/echo_daemon.rs: {code} lines (daemonize + nix: {DAEMONIZE_NIX_LINES})");
    assert!(code <= DAEMONIZE_NIX_LINES, "{code} lines");
    // The count is of rustfmt's layout.
    match Command::new("rustfmt")
        .args(["--edition", "2024", "--check"])
        .arg(path)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
    {
        Ok(o) => assert!(
            o.status.success(),
            "not as rustfmt lays it out:\n{}",
            String::from_utf8_lossy(&o.stdout)
        ),
        Err(e) => eprintln!("SKIP the rustfmt check: {e}"),
    }
}

// ---- the no_std echo daemon ------------------------------------------------------------

/// Skips the test (printing `SKIP <test>: …`) when the `no_std` crate is
/// not there: the packaged crate ships `tests/` but not `test-crates/`.
macro_rules! require_no_std_crate {
    () => {
        let manifest = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/test-crates/no-std-daemon/Cargo.toml"
        );
        if !Path::new(manifest).exists() {
            let name = std::thread::current().name().unwrap_or("?").to_string();
            eprintln!("SKIP {name}: no {manifest} (a packaged crate)");
            return;
        }
    };
}

#[test]
fn no_std_echo_daemon_serves_as_nobody_and_stops_cleanly_on_sigterm() {
    require_root!();
    skip_under_emulation!(common::emu::SUBREAPER);
    require_no_std_crate!();
    serves_as_nobody_and_stops_cleanly(&NO_STD_ECHO);
}

#[test]
fn no_std_echo_daemon_reports_a_held_pidfile_from_after_the_fork() {
    require_root!();
    skip_under_emulation!(common::emu::SUBREAPER);
    require_no_std_crate!();
    reports_a_held_pidfile(&NO_STD_ECHO);
}

#[test]
fn no_std_echo_daemon_reports_a_missing_log_directory() {
    require_root!();
    skip_under_emulation!(common::emu::SUBREAPER);
    require_no_std_crate!();
    reports_a_missing_log_directory(&NO_STD_ECHO);
}

// ---- the graceful-shutdown recipes ---------------------------------------------------------

/// Runs a recipe on a free port, echoes a line, sends SIGTERM, and expects
/// exit 0 with the signal and this process's pid on stderr.
fn recipe_stops_cleanly(name: &str) {
    let _serial = serial();
    let binary = example(name);
    let mut child = Command::new(binary)
        .arg("127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the recipe");
    let pid = child.id() as i32;
    let fd = pidfd(pid);
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read stdout");
    let Some(addr) = line.trim().strip_prefix("listening on ") else {
        pidfd_kill(&fd, libc::SIGKILL);
        let _ = child.wait();
        panic!("{name} said {line:?}");
    };
    let port: u16 = addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let mut conn = connect(port);
    assert_eq!(echo(&mut conn, "hello, recipe\n"), "hello, recipe\n");
    drop(conn);

    pidfd_kill(&fd, libc::SIGTERM);
    if !wait_exit(&fd) {
        pidfd_kill(&fd, libc::SIGKILL);
        let _ = child.wait();
        panic!("{name} did not exit on SIGTERM");
    }
    let status = child.wait().expect("wait");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    assert!(status.success(), "{name}: {status:?} {err}");
    let me = std::process::id();
    assert!(
        err.contains(&format!("SIGTERM from pid {me}: shutting down")),
        "{name}: {err:?}"
    );
}

#[test]
fn shutdown_recipe_with_threads() {
    skip_under_emulation!(common::emu::SUBREAPER);
    recipe_stops_cleanly("shutdown_threads");
}

#[test]
fn shutdown_recipe_with_a_poll_loop() {
    skip_under_emulation!(common::emu::SUBREAPER);
    recipe_stops_cleanly("shutdown_poll");
}

#[test]
fn shutdown_recipe_with_tokio() {
    skip_under_emulation!(common::emu::SUBREAPER);
    recipe_stops_cleanly("shutdown_tokio");
}
