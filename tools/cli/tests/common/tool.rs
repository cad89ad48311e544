//! Running the built `daemonry` binary and judging what it started.
//!
//! - [`Sweep`]: a token no other test uses, put on the command line of
//!   every process a test starts; dropping the sweep SIGKILLs the live
//!   processes carrying it and their descendants (never anything by name).
//! - [`poll_until`]: bounded polling with a deadline (no sleeps as
//!   synchronisation).
#![allow(dead_code)] // each test file uses a subset

use super::proc_state;
use std::ffi::OsStr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A path as `&str` (test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The tool: `$DAEMONRY_BIN` when set (CI runs these tests again on the
/// static musl build), else the one cargo built for this test crate.
pub fn bin() -> &'static Path {
    static BIN: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var_os("DAEMONRY_BIN")
            .map_or_else(|| env!("CARGO_BIN_EXE_daemonry").into(), Into::into)
    })
}

/// Runs the tool with `args` and waits for it.
pub fn tool<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("run daemonry")
}

/// Runs the tool in directory `dir`.
pub fn tool_in<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run daemonry")
}

/// The exit status (-1 for a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// stdout as text, trimmed.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Asserts exit 0 and returns stdout.
pub fn ok(o: &Output) -> String {
    assert_eq!(code(o), 0, "stdout {:?} stderr {:?}", stdout(o), stderr(o));
    stdout(o)
}

/// A token no other test uses, on the command line of what a test starts.
pub struct Sweep(pub String);

impl Sweep {
    pub fn new() -> Sweep {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        Sweep(format!("{}", 200_000 + std::process::id() * 100 + n))
    }

    /// `sleep <token>`.
    pub fn sleep(&self) -> [&str; 2] {
        ["sleep", &self.0]
    }

    /// Live (non-zombie) processes whose command line has the token as a
    /// word or inside a word, and their descendants.
    pub fn live(&self) -> Vec<i32> {
        let mut all: Vec<(i32, i32, bool)> = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            if matches!(proc_state(pid), Some('Z') | None) {
                continue;
            }
            let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                continue;
            };
            let mine = cmd.windows(self.0.len()).any(|w| w == self.0.as_bytes());
            all.push((pid, ppid(pid).unwrap_or(0), mine));
        }
        let mut out: Vec<i32> = all.iter().filter(|a| a.2).map(|a| a.0).collect();
        loop {
            let more: Vec<i32> = all
                .iter()
                .filter(|a| !out.contains(&a.0) && out.contains(&a.1))
                .map(|a| a.0)
                .collect();
            if more.is_empty() {
                break;
            }
            out.extend(more);
        }
        out.sort_unstable();
        out
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

/// The parent of `pid`.
pub fn ppid(pid: i32) -> Option<i32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    text[text.rfind(')')? + 1..]
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The pid in a pidfile.
pub fn read_pid(p: &Path) -> i32 {
    let s = std::fs::read_to_string(p).expect("read pidfile");
    assert!(s.ends_with('\n'), "{s:?}");
    s.trim_end().parse().expect("pid")
}

/// The pid in a pidfile, if it has one.
pub fn try_read_pid(p: &Path) -> Option<i32> {
    std::fs::read_to_string(p).ok()?.trim_end().parse().ok()
}

/// A pidfd for `pid`.
pub fn pidfd(pid: i32) -> OwnedFd {
    // SAFETY: pidfd_open returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    assert!(fd >= 0, "pidfd_open({pid})");
    // SAFETY: a fresh fd we own.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// Waits (poll, no sleeping) up to `ms` until the process behind `fd`
/// has exited.
pub fn wait_exit(fd: &OwnedFd, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, ms) == 1 }
}

/// Whether `pid` is gone or a zombie.
pub fn dead(pid: i32) -> bool {
    matches!(proc_state(pid), None | Some('Z'))
}

/// Polls `f` until it returns `Some`, for at most `secs` seconds.
pub fn poll_until<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Polls `/proc/<pid>/syscall` until the process blocks in
/// `clock_nanosleep` (230), `nanosleep` (35), `wait4` (61), `pause` (34),
/// `rt_sigsuspend` (130), `read` (0), `open`/`openat` of a FIFO (2, 257)
/// or `poll`-like calls: it is done
/// starting up.
pub fn wait_until_blocked(pid: i32) {
    poll_until(20, "the process to block", || {
        let sc = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
        let nr = sc.split_whitespace().next()?.parse::<i64>().ok()?;
        [230, 35, 61, 34, 130, 0, 7, 271, 232, 281, 23, 202, 257, 2]
            .contains(&nr)
            .then_some(())
    })
}

/// `/proc/<pid>/environ` as `K=V` strings.
pub fn environ(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .expect("read environ")
        .split(|&b| b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

/// `/proc/<pid>/cmdline` as text with NULs as spaces, trimmed.
pub fn cmdline(pid: i32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&raw)
        .replace('\0', " ")
        .trim()
        .to_string()
}

/// Skips (printing why) or, under `DAEMONRY_REQUIRE_ROOT=1`, fails when a
/// program the test needs is missing.
pub fn require_program(program: &str, package: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
        || Path::new(program).is_file();
    if !found {
        let name = std::thread::current().name().unwrap_or("?").to_string();
        let msg = format!(
            "{name}: needs {program} (Debian package {package}; tools/cli/ci-deps.sh installs it)"
        );
        assert!(
            std::env::var("DAEMONRY_REQUIRE_ROOT").as_deref() != Ok("1"),
            "{msg}, and DAEMONRY_REQUIRE_ROOT=1"
        );
        eprintln!("SKIP {msg}");
    }
    found
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// `GET path` on 127.0.0.1:port; the whole response, or `None` when the
/// connection is refused.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// An `sh -c` script with two traps that each append their word to
/// `marks` (`(signal, word)`), which appends `ready` once they are set and
/// then waits on `sleep <token>`s until it is killed.
pub fn trap_script(marks: &Path, traps: [(&str, &str); 2], sweep: &Sweep) -> String {
    let m = s(marks);
    let mut script = String::new();
    for (signal, word) in traps {
        script += &format!("trap 'echo {word} >> {m}' {signal}; ");
    }
    script
        + &format!(
            "echo ready >> {m}; while :; do sleep {} & wait $!; done",
            sweep.0
        )
}

/// Polls (for at most 20 seconds) until the file `marks` holds `mark`.
pub fn wait_for_mark(marks: &Path, mark: &str, what: &str) {
    poll_until(20, what, || {
        std::fs::read_to_string(marks)
            .ok()
            .filter(|m| m.contains(mark))
    });
}
