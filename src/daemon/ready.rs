//! The readiness pipe between the daemon and the original process, and
//! the daemon's handle ([`Daemon`]).
//!
//! Records are a one-byte tag and a fixed-size payload: `P` + the daemon's
//! pid (4 bytes), `L` + the `(st_dev, st_ino)` of the pidfile it published
//! (16 bytes), `R` (ready), `X` (an `exec` follows; the pipe closing then
//! means success), `E` + an encoded [`Error`]. The original process reads
//! until `R`, an error, or the end of the pipe.

use crate::error::Op;
use crate::error::{Error, ErrorKind, Result};
use crate::pidfile::{FileId, PidLock};
use crate::process::{EX_CANTCREAT, EX_FAILURE, exit_immediately};
use core::fmt;
use rustix::fd::OwnedFd;
use rustix::io::{self, Errno};
use rustix::process::{Pid, WaitOptions};

/// A daemon's handle: its pid, its pidfile lock, and (when readiness is
/// deferred) its end of the readiness pipe.
///
/// It owns all of these and borrows nothing from the
/// [`DaemonContext`](super::DaemonContext) that made it (the lock keeps its
/// own copy of the path: see [`PidLock`]), so it can live as long as the
/// daemon does.
///
/// Dropping it releases the pidfile lock (in this process only). A daemon
/// that deferred readiness
/// ([`DaemonContext::ready_on_open`](super::DaemonContext::ready_on_open)`(false)`)
/// and drops this handle without [`notify_ready`](Daemon::notify_ready) or
/// [`prepare_exec`](Daemon::prepare_exec) tells the original process it
/// exited before it was ready.
///
/// # Examples
///
/// ```
/// use daemonry::{DaemonContext, Opened};
/// // Fake mode runs the daemon's steps in this process, without forking.
/// let Opened::Daemon(daemon) = DaemonContext::new().fake(true).no_chdir().open()? else {
///     unreachable!("fake mode never forks")
/// };
/// assert!(daemon.pidlock().is_none()); // no pidfile was asked for
/// # Ok::<(), daemonry::Error>(())
/// ```
pub struct Daemon {
    pub(super) pid: Pid,
    pub(super) lock: Option<PidLock>,
    pub(super) ready: Option<OwnedFd>,
}

impl fmt::Debug for Daemon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Daemon")
            .field("pid", &self.pid)
            .field("pidlock", &self.lock)
            .field("ready_pending", &self.ready.is_some())
            .finish()
    }
}

/// Record tags on the readiness pipe.
const TAG_PID: u8 = b'P';
const TAG_LOCK: u8 = b'L';
const TAG_READY: u8 = b'R';
const TAG_EXEC: u8 = b'X';
const TAG_ERROR: u8 = b'E';

/// Writes all of `buf`, retrying on `EINTR`; errors (the reader is gone)
/// are ignored: there is nobody left to tell.
fn write_all(fd: &OwnedFd, mut buf: &[u8]) {
    while !buf.is_empty() {
        match io::write(fd, buf) {
            Ok(0) => return,
            Ok(n) => buf = buf.get(n..).unwrap_or(&[]),
            Err(Errno::INTR) => {}
            Err(_) => return,
        }
    }
}

/// Sends the daemon's pid (the first record).
pub(super) fn send_pid(fd: &OwnedFd, pid: Pid) {
    let mut rec = [0u8; 5];
    rec[0] = TAG_PID;
    if let Some(dst) = rec.get_mut(1..) {
        dst.copy_from_slice(&pid.as_raw_nonzero().get().to_le_bytes());
    }
    write_all(fd, &rec);
}

/// Sends the identity of the pidfile the daemon published, so that the
/// original process can remove it if the daemon fails after dropping the
/// privileges it would need to.
pub(super) fn send_lock(fd: &OwnedFd, id: FileId) {
    let mut rec = [0u8; 17];
    rec[0] = TAG_LOCK;
    if let Some(dst) = rec.get_mut(1..9) {
        dst.copy_from_slice(&id.0.to_le_bytes());
    }
    if let Some(dst) = rec.get_mut(9..17) {
        dst.copy_from_slice(&id.1.to_le_bytes());
    }
    write_all(fd, &rec);
}

fn send_error(fd: &OwnedFd, e: &Error) {
    let mut rec = [0u8; 1 + 32];
    rec[0] = TAG_ERROR;
    if let Some(dst) = rec.get_mut(1..) {
        dst.copy_from_slice(&e.to_bytes());
    }
    write_all(fd, &rec);
}

/// Reports `e` to the original process (if there is a pipe) and leaves.
pub(super) fn fail(ready: Option<&OwnedFd>, e: &Error) -> ! {
    if let Some(fd) = ready {
        send_error(fd, e);
    }
    exit_immediately(exit_code(e))
}

/// The exit status for a failed daemon: 73 for a held pidfile, else 1.
pub(super) fn exit_code(e: &Error) -> i32 {
    match e.kind() {
        ErrorKind::LockFailed => EX_CANTCREAT,
        _ => EX_FAILURE,
    }
}

impl Daemon {
    /// The daemon's pid (in fake mode, the caller's).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{DaemonContext, Opened};
    /// let Opened::Daemon(d) = DaemonContext::new().fake(true).no_chdir().open()? else {
    ///     unreachable!()
    /// };
    /// assert_eq!(d.pid(), rustix::process::getpid());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The held pidfile lock, when a pidfile was asked for.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-dpl-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// use daemonry::{DaemonContext, Opened};
    /// let ctx = DaemonContext::new().fake(true).no_chdir().pidfile(path.as_c_str());
    /// let Opened::Daemon(d) = ctx.open()? else { unreachable!() };
    /// assert_eq!(d.pidlock().map(|l| l.path()), Some(path.as_c_str()));
    /// # drop(d); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn pidlock(&self) -> Option<&PidLock> {
        self.lock.as_ref()
    }

    /// Takes the pidfile lock out of the handle (to keep it beyond it).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-dtl-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = std::ffi::CString::new(dir.join("app.pid").into_os_string().into_encoded_bytes()).unwrap();
    /// use daemonry::{DaemonContext, Opened};
    /// let ctx = DaemonContext::new().fake(true).no_chdir().pidfile(path.as_c_str());
    /// let Opened::Daemon(mut d) = ctx.open()? else { unreachable!() };
    /// let lock = d.take_pidlock().expect("asked for a pidfile");
    /// drop(d); // the lock outlives the handle
    /// assert!(lock.is_held());
    /// # drop(lock); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn take_pidlock(&mut self) -> Option<PidLock> {
        self.lock.take()
    }

    /// Tells the original process the daemon is ready (it then exits 0 or
    /// returns). Does nothing when readiness was already reported, and in
    /// fake mode.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// The example is compiled but not run: only a real daemon has a launcher
    /// waiting on it; `tests/daemon.rs` covers it in forked children.
    ///
    /// ```no_run
    /// use daemonry::{DaemonContext, Opened};
    /// if let Opened::Daemon(mut d) = DaemonContext::new().ready_on_open(false).open()? {
    ///     // ... bind sockets, load configuration ...
    ///     d.notify_ready(); // now the launcher exits 0
    /// }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn notify_ready(&mut self) {
        if let Some(fd) = self.ready.take() {
            write_all(&fd, &[TAG_READY]);
        }
    }

    /// Reports `error` to the original process and exits (status 73 for a
    /// held lock, else 1) without running destructors. The pidfile is
    /// released first.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// The example is compiled but not run: only a real daemon has a launcher
    /// waiting on it; `tests/daemon.rs` covers it in forked children.
    ///
    /// ```no_run
    /// use daemonry::{DaemonContext, Errno, Error, Op, Opened};
    /// if let Opened::Daemon(d) = DaemonContext::new().ready_on_open(false).open()? {
    ///     let config_ok = false;
    ///     if !config_ok {
    ///         // The launcher prints this error and exits 1.
    ///         d.fail(Error::os(Op::Hook, Errno::INVAL).with_input(b"bad config"));
    ///     }
    /// }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn fail(mut self, error: Error) -> ! {
        // The pidfile names us: remove it (best effort; after a privilege
        // drop the directory may not allow it). Closing its fd drops the
        // lock before the error is sent, so the original process, still
        // privileged, can remove what we could not.
        if let Some(lock) = self.lock.take() {
            let _ = lock.release();
        }
        fail(self.ready.as_ref(), &error)
    }

    /// Gets ready to `exec` a program that replaces the daemon: makes the
    /// pidfile's locked fd inheritable (the program keeps the lock for as
    /// long as it runs, and the file already holds this pid, which `exec`
    /// keeps), and tells the original process that an `exec` follows.
    ///
    /// The readiness pipe is close-on-exec: when `execve` succeeds the
    /// original process sees the pipe close and reports success; if it
    /// fails, call [`Daemon::fail`] with the error, and the original process
    /// reports that instead. Call `execve` right after this.
    ///
    /// # Errors
    ///
    /// From `fcntl(F_SETFD)` on the pidfile fd.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// The example is compiled but not run: only a real daemon has a launcher
    /// waiting on it; `tests/daemon.rs` covers it in forked children.
    ///
    /// ```no_run
    /// use daemonry::{DaemonContext, Opened};
    /// use std::os::unix::process::CommandExt;
    /// let ctx = DaemonContext::new().pidfile(c"/run/server.pid").ready_on_open(false);
    /// if let Opened::Daemon(mut d) = ctx.open()? {
    ///     d.prepare_exec()?;
    ///     let err = std::process::Command::new("/usr/sbin/server").exec();
    ///     let errno = daemonry::Errno::from_io_error(&err).unwrap_or(daemonry::Errno::IO);
    ///     d.fail(daemonry::Error::os(daemonry::Op::Execve, errno));
    /// }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn prepare_exec(&mut self) -> Result<()> {
        if let Some(lock) = &self.lock {
            lock.set_inheritable(true)?;
        }
        if let Some(fd) = &self.ready {
            write_all(fd, &[TAG_EXEC]);
        }
        Ok(())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // A deferred daemon that never reported: closing the pipe tells the
        // original process it ended before it was ready.
        self.ready = None;
    }
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` on EOF before any byte.
fn read_exact(fd: &OwnedFd, buf: &mut [u8]) -> core::result::Result<bool, Errno> {
    let mut got = 0;
    while got < buf.len() {
        match io::read(fd, buf.get_mut(got..).unwrap_or(&mut [])) {
            Ok(0) => {
                return if got == 0 {
                    Ok(false)
                } else {
                    Err(Errno::PIPE)
                };
            }
            Ok(n) => got += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// The original process: reads the daemon's reports until the pipe closes,
/// reaps the first child, and returns the daemon's pid or its error, and
/// the pidfile it published, if it said.
pub(super) fn wait_for_daemon(reader: &OwnedFd, first_child: Pid) -> (Result<Pid>, Option<FileId>) {
    let mut pid = None;
    let mut pidfile = None;
    let mut outcome: Option<Result<()>> = None;
    let mut exec_pending = false;
    loop {
        let mut tag = [0u8; 1];
        match read_exact(reader, &mut tag) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                outcome.get_or_insert(Err(Error::os(Op::ReadyPipe, e)));
                break;
            }
        }
        match tag[0] {
            TAG_PID => {
                let mut b = [0u8; 4];
                if let Ok(true) = read_exact(reader, &mut b) {
                    pid = Pid::from_raw(i32::from_le_bytes(b));
                }
            }
            TAG_LOCK => {
                let mut b = [0u8; 16];
                if let Ok(true) = read_exact(reader, &mut b) {
                    let mut dev = [0u8; 8];
                    let mut ino = [0u8; 8];
                    dev.copy_from_slice(&b[..8]);
                    ino.copy_from_slice(&b[8..]);
                    pidfile = Some((u64::from_le_bytes(dev), u64::from_le_bytes(ino)));
                }
            }
            TAG_READY => {
                outcome.get_or_insert(Ok(()));
                // Ready: do not wait for the pipe to close (the daemon keeps
                // running with it closed, but a child it forked later might
                // hold a copy).
                break;
            }
            TAG_EXEC => exec_pending = true,
            TAG_ERROR => {
                let mut w = [0u8; 32];
                let e = match read_exact(reader, &mut w) {
                    Ok(true) => Error::from_bytes(&w).unwrap_or(Error::invalid(Op::ReadyPipe)),
                    _ => Error::os(Op::ReadyPipe, Errno::PIPE),
                };
                outcome.get_or_insert(Err(e));
            }
            _ => {
                outcome.get_or_insert(Err(Error::invalid(Op::ReadyPipe)));
                break;
            }
        }
    }
    // The first child exits right after the second fork (or after
    // reporting its own failure): reap it.
    let _ = rustix::process::waitpid(Some(first_child), WaitOptions::empty());
    let result = match outcome {
        Some(Err(e)) => Err(e),
        Some(Ok(())) => pid.ok_or(Error::invalid(Op::ReadyPipe)),
        // The pipe closed after an exec announcement: execve succeeded.
        None if exec_pending => pid.ok_or(Error::invalid(Op::ReadyPipe)),
        None => Err(Error::os(Op::NotReady, Errno::PIPE)),
    };
    (result, pidfile)
}

/// Writes `<program>: <error>` to stderr (fd 2), with no allocation: the
/// program's file name from `/proc/self/exe`, or `daemonry` without it.
pub(super) fn print_error(e: &Error) {
    let mut exe = [0u8; crate::cstr::PATH_MAX];
    let program = match rustix::fs::readlinkat_raw(rustix::fs::CWD, c"/proc/self/exe", &mut exe[..])
    {
        Ok(n) if n < exe.len() => exe.get(..n).unwrap_or(&[]),
        _ => &[],
    };
    let program = program
        .rsplit(|&b| b == b'/')
        .next()
        .and_then(|name| core::str::from_utf8(name).ok())
        .filter(|name| !name.is_empty())
        .unwrap_or("daemonry");
    struct Buf {
        b: [u8; 512],
        n: usize,
    }
    impl fmt::Write for Buf {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = (self.n + s.len()).min(self.b.len());
            let take = end - self.n;
            if let (Some(dst), Some(src)) = (self.b.get_mut(self.n..end), s.as_bytes().get(..take))
            {
                dst.copy_from_slice(src);
            }
            self.n = end;
            Ok(())
        }
    }
    let mut buf = Buf { b: [0; 512], n: 0 };
    let _ = fmt::write(&mut buf, format_args!("{program}: {e}\n"));
    // fd 2 may be closed or anything: a raw write just fails then.
    let _ = crate::sys::write(2, buf.b.get(..buf.n).unwrap_or(&[]));
}
