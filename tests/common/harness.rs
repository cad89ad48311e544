//! The package-independent part of the test helpers: forked children that
//! report through a pipe, `require_root!`, `/proc/<pid>` readers and
//! temporary directories. Shared by path with the tool's and the init's
//! tests (`tools/*/tests/common/mod.rs`), which re-export it as this crate's
//! `common` does; it uses only `std` and `libc`.
#![allow(dead_code)] // Each test binary uses a different subset.
#![allow(unsafe_code)] // fork, pipes and waitpid through libc.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Skips the current test (printing `SKIP <test>: needs root`) unless we
/// run as root; panics instead when `DAEMONRY_REQUIRE_ROOT=1`.
#[macro_export]
macro_rules! require_root {
    () => {
        if !$crate::common::is_root() {
            let name = std::thread::current().name().unwrap_or("?").to_string();
            if std::env::var("DAEMONRY_REQUIRE_ROOT").as_deref() == Ok("1") {
                panic!("{name}: needs root, and DAEMONRY_REQUIRE_ROOT=1");
            }
            eprintln!("SKIP {name}: needs root");
            return;
        }
    };
}

/// Whether the effective uid is 0.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A close-on-exec pipe: (read end, write end).
pub fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a writable array of two ints.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2");
    // SAFETY: pipe2 returned two fresh fds that we now own.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: `buf` is readable for its length.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n <= 0 {
            if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return;
        }
        buf = &buf[n as usize..];
    }
}

/// The child's end of the channel to the parent.
pub struct ChildCtl {
    to_parent: i32,
    from_parent: i32,
}

impl ChildCtl {
    /// The raw fds the child uses to talk to the parent (keep them open if
    /// the child closes fds).
    pub fn fds(&self) -> [i32; 2] {
        [self.to_parent, self.from_parent]
    }

    /// Sends a line of text to the parent (read with [`Child::recv`]).
    pub fn send(&self, msg: &str) {
        let mut m = msg.replace('\n', " ").into_bytes();
        m.push(b'\n');
        write_all(self.to_parent, &m);
    }

    /// Tells the parent we are ready to be inspected, and waits until it
    /// calls [`Child::resume`].
    pub fn pause(&self) {
        self.send("\x01PAUSE");
        let mut b = [0u8; 1];
        // SAFETY: `b` is writable for one byte.
        unsafe { libc::read(self.from_parent, b.as_mut_ptr().cast(), 1) };
    }
}

/// A forked child running a test closure.
pub struct Child {
    pub pid: i32,
    from_child: std::io::BufReader<std::fs::File>,
    to_child: Option<OwnedFd>,
    reaped: Option<i32>,
}

/// How a child ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

/// `fork(2)` with std's stdout and stderr locks held across it.
///
/// The test harness's other threads print through std's stdout and stderr,
/// whose locks a bare fork can copy in the held state, owned by a thread
/// the child does not have: the child would block forever on its first
/// print or flush (`DaemonContext::open` flushes stdout). Holding both
/// across the fork hands the child locks that its own (only) thread owns,
/// and it releases them at once.
///
/// # Safety
///
/// As `libc::fork` in a multi-threaded process: the child may only do what
/// is safe after such a fork (glibc resets malloc's locks, so allocation
/// is fine; other threads' locks are not).
pub unsafe fn fork() -> libc::pid_t {
    let out = std::io::stdout().lock();
    let err = std::io::stderr().lock();
    // SAFETY: the caller's contract.
    let pid = unsafe { libc::fork() };
    drop((out, err));
    pid
}

/// Forks; the child runs `f` and exits 0 on `Ok`, or sends the message and
/// exits 1 on `Err`. A panic in the child exits 101. The child leaves with
/// `_exit`, so no destructors or atexit handlers of the test runner run.
pub fn spawn<F: FnOnce(&ChildCtl) -> Result<(), String>>(f: F) -> Child {
    let (p_read, c_write) = pipe();
    let (c_read, p_write) = pipe();
    // SAFETY: the child only runs `f` and then `_exit`s. glibc's fork resets
    // malloc's locks in the child, so allocation there is fine; the child
    // must not print through the test harness's captured stdout.
    let pid = unsafe { fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ctl = ChildCtl {
            to_parent: c_write.as_raw_fd(),
            from_parent: c_read.as_raw_fd(),
        };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&ctl)));
        let code = match r {
            Ok(Ok(())) => 0,
            Ok(Err(msg)) => {
                ctl.send(&format!("\x02{msg}"));
                1
            }
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                ctl.send(&format!("\x02panic: {msg}"));
                101
            }
        };
        // SAFETY: ends the child without running the parent's cleanup.
        unsafe { libc::_exit(code) };
    }
    drop(c_write);
    drop(c_read);
    Child {
        pid,
        from_child: std::io::BufReader::new(std::fs::File::from(p_read)),
        to_child: Some(p_write),
        reaped: None,
    }
}

impl Child {
    /// Reads the next line the child sent; `None` when the child closed the
    /// pipe (exited).
    pub fn recv(&mut self) -> Option<String> {
        use std::io::BufRead;
        let mut line = String::new();
        match self.from_child.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches('\n').to_string()),
        }
    }

    /// Waits until the child calls [`ChildCtl::pause`]; panics with the
    /// child's error if it ended first.
    pub fn wait_paused(&mut self) {
        loop {
            match self.recv() {
                Some(l) if l == "\x01PAUSE" => return,
                Some(l) if l.starts_with('\x02') => {
                    panic!("child {} failed before pausing: {}", self.pid, &l[1..])
                }
                Some(_) => continue,
                None => {
                    let pid = self.pid;
                    let how = self.wait();
                    panic!("child {pid} exited before pausing: {how:?}")
                }
            }
        }
    }

    /// Lets a paused child continue.
    pub fn resume(&mut self) {
        if let Some(fd) = &self.to_child {
            write_all(fd.as_raw_fd(), b"c");
        }
    }

    /// Reaps the child.
    pub fn wait(&mut self) -> Exit {
        if self.reaped.is_none() {
            self.to_child = None;
            let mut status = 0;
            loop {
                // SAFETY: `status` is writable.
                let r = unsafe { libc::waitpid(self.pid, &mut status, 0) };
                if r == self.pid {
                    break;
                }
                assert_eq!(
                    std::io::Error::last_os_error().raw_os_error(),
                    Some(libc::EINTR),
                    "waitpid"
                );
            }
            self.reaped = Some(status);
        }
        let s = self.reaped.unwrap_or(0);
        if libc::WIFSIGNALED(s) {
            Exit::Signal(libc::WTERMSIG(s))
        } else {
            Exit::Code(libc::WEXITSTATUS(s))
        }
    }

    /// Reaps the child and returns `Ok` if it exited 0, or the error message
    /// it sent (or its exit status).
    pub fn finish(mut self) -> Result<(), String> {
        let mut err = String::new();
        while let Some(l) = self.recv() {
            if let Some(m) = l.strip_prefix('\x02') {
                err = m.to_string();
            }
        }
        match self.wait() {
            Exit::Code(0) => Ok(()),
            other if !err.is_empty() => Err(format!("{err} ({other:?})")),
            other => Err(format!("child ended with {other:?}")),
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.reaped.is_none() {
            // SAFETY: kill and waitpid on our own child.
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                libc::waitpid(self.pid, std::ptr::null_mut(), 0);
            }
        }
    }
}

/// A child that does nothing but stay paused until resumed.
pub fn paused_child() -> Child {
    let mut child = spawn(|ctl| {
        ctl.pause();
        Ok(())
    });
    child.wait_paused();
    child
}

/// Moves the calling process (a forked, single-threaded child) into a new
/// mount namespace whose mounts do not propagate to or from the outer one.
pub fn private_mount_namespace() -> Result<(), String> {
    // SAFETY: unshare and mount with valid arguments; they change only
    // this process's mount namespace.
    unsafe {
        if libc::unshare(libc::CLONE_NEWNS) != 0 {
            return Err(format!("unshare: {}", std::io::Error::last_os_error()));
        }
        if libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ) != 0
        {
            return Err(format!(
                "make / private: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// Runs `f` in a forked child and panics with its message if it failed.
pub fn in_child<F: FnOnce() -> Result<(), String>>(f: F) {
    if let Err(e) = spawn(|_| f()).finish() {
        panic!("in child: {e}");
    }
}

/// `/proc/<pid>/status` as a map of field → value (trimmed).
pub fn proc_status(pid: i32) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// A `/proc/<pid>/status` line as numbers (e.g. `Uid:` → 4 ids).
pub fn status_ids(pid: i32, field: &str) -> Vec<u64> {
    proc_status(pid)
        .get(field)
        .map(|v| {
            v.split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// A hex mask field of `/proc/<pid>/status` (`SigBlk`, `SigIgn`, …).
pub fn status_mask(pid: i32, field: &str) -> u64 {
    let st = proc_status(pid);
    let v = st
        .get(field)
        .unwrap_or_else(|| panic!("no {field} in status"));
    u64::from_str_radix(v, 16).expect("hex mask")
}

/// `/proc/<pid>/stat` fields; index 0 is field 1 (pid), index 1 the comm
/// (without parentheses), index 2 the state, and so on as in proc(5).
pub fn proc_stat(pid: i32) -> Vec<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read stat");
    let open = text.find('(').expect("stat (");
    let close = text.rfind(')').expect("stat )");
    let mut v = vec![
        text[..open].trim().to_string(),
        text[open + 1..close].to_string(),
    ];
    v.extend(text[close + 1..].split_whitespace().map(str::to_string));
    v
}

/// The state letter of a process (`R`, `S`, `Z`, …), or `None` if gone.
pub fn proc_state(pid: i32) -> Option<char> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    text[text.rfind(')')? + 1..].trim().chars().next()
}

/// The open fds of a process, ascending.
pub fn proc_fds(pid: i32) -> Vec<i32> {
    let mut v: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read fd dir")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    v.sort_unstable();
    v
}

/// Where fd `fd` of process `pid` points (`readlink /proc/<pid>/fd/<fd>`).
pub fn fd_target(pid: i32, fd: i32) -> String {
    std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `/proc/<pid>/cmdline` raw bytes.
pub fn proc_cmdline(pid: i32) -> Vec<u8> {
    let mut v = Vec::new();
    std::fs::File::open(format!("/proc/{pid}/cmdline"))
        .and_then(|mut f| f.read_to_end(&mut v))
        .expect("read cmdline");
    v
}

/// A fresh empty directory under the system temp dir, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("daemonry-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
