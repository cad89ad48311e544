//! Daemonization that reports failure instead of vanishing (celery's
//! `DaemonContext` and `detached`).
//!
//! [`DaemonContext::open`] runs the classic double fork, in this order:
//!
//! 1. in the calling process: refuse a multi-threaded process
//!    ([`ErrorKind::MultiThreaded`]; nothing forks), flush Rust's stdout
//!    (with `std`), open `/dev/null` and the log files (so an unwritable log
//!    is reported while the caller can still see it), create the readiness
//!    pipe, `fork`;
//! 2. in the first child: `setsid`, `fork` again, and leave with
//!    `exit_group` (never `std::process::exit`, which would run atexit
//!    handlers and flush inherited stdio buffers a second time);
//! 3. in the daemon (the grandchild: not a session leader, so it can never
//!    acquire a controlling terminal): `chdir` → `umask` → core-dump limit →
//!    pidfile (taken while still privileged, so `/run` works) → drop
//!    privileges (the lock lives on in the open fd) → the `after_chdir`
//!    hook → close every fd except the keep list, the pidfile's and the
//!    log's → `/dev/null` or the log onto 0, 1 and 2 (the temporary fds are
//!    closed) → reset signal dispositions and the mask → report ready.
//!
//! The original process blocks on the readiness pipe until the daemon is
//! ready, then exits 0 ([`Parent::Exit`], the default) or returns the
//! daemon's pid ([`Parent::Return`]). If any step fails, the daemon writes
//! the error to the pipe and exits; the original process prints it
//! (`daemonry: chdir: "/nonexistent": ENOENT (No such file or directory)`)
//! and exits non-zero (73, `EX_CANTCREAT`, for a held pidfile), or returns
//! it. Errors never vanish into `/dev/null`.
//!
//! Daemonize before starting threads or an async runtime: only the calling
//! thread survives a fork.
//!
//! # Differences from celery
//!
//! - The parent waits for the daemon (celery's exits 0 at once, whatever
//!   happens next), so a pidfile exists and holds the daemon's pid when it
//!   returns (systemd's `PIDFile=` race, nghttp2#375).
//! - The pidfile is held by the daemon for its whole life, and privileges
//!   are dropped after taking it (celery drops first, which makes a pidfile
//!   in `/run` impossible for a non-root user).
//! - `/dev/null` fds are not leaked; signals are reset; core dumps can be
//!   disabled; the keep list may contain fd 0.
//!
//! # Safety
//!
//! The two forks are the only `unsafe` here: `open` checks first that the
//! process runs a single thread, and the children run only this module's
//! steps (and the caller's hook) before leaving with `exit_group` or
//! returning into the caller's program as the daemon.

#![allow(unsafe_code)]

mod detached;
mod ready;

pub use detached::{DetachOptions, detached};
pub use ready::Daemon;

use crate::account::AccountDb;
use crate::error::Op;
use crate::error::{Context, Error, Result};
use crate::pidfile::{PidLock, create_pidlock};
use crate::process::{Fork, exit_immediately};
use core::ffi::CStr;
use core::fmt;
use ready::{exit_code, fail, print_error, send_pid, wait_for_daemon};
use rustix::fd::{AsRawFd, OwnedFd, RawFd};
use rustix::fs::{Mode, OFlags};
use rustix::io;
use rustix::process::{Pid, Resource, Rlimit};

/// Where the daemon's stdout or stderr goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output<'a> {
    /// `/dev/null` (the default).
    DevNull,
    /// A log file, opened `O_WRONLY|O_APPEND|O_CREAT` (mode 0666 under the
    /// context's umask, or the caller's when none is set) in the calling
    /// process before detaching, so a failure is reported at once. A
    /// relative path is resolved against the caller's working directory.
    Append(&'a CStr),
    /// Leave the fd as it is (it is kept open across the fd closing).
    Inherit,
}

/// What the original process does once the daemon is ready (or failed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Parent {
    /// Exit: status 0 once the daemon is ready; on failure print the error
    /// on stderr and exit 73 (`EX_CANTCREAT`) for a held pidfile, else 1.
    #[default]
    Exit,
    /// Return from [`DaemonContext::open`]: `Ok(Opened::Parent(pid))` once
    /// the daemon is ready, or the daemon's error.
    Return,
}

/// What [`DaemonContext::open`] returns, on each side.
#[derive(Debug)]
#[must_use]
pub enum Opened<'a> {
    /// We are the daemon (or, in fake mode, still the caller).
    Daemon(Daemon<'a>),
    /// We are the original process ([`Parent::Return`]); the daemon with
    /// this pid reported ready.
    Parent(Pid),
}

/// A daemonization recipe (celery's `DaemonContext`), built with chained
/// setters and run with [`open`](DaemonContext::open).
///
/// Defaults: working directory `/`, umask unchanged, no pidfile, keep no
/// extra fds, stdout and stderr to `/dev/null`, really detach (not fake),
/// no hook, core dumps allowed, signals reset, the original process exits
/// once the daemon is ready, readiness reported at the end of `open`, no
/// privilege change.
///
/// All paths are `&CStr` (no allocation after the fork); the hook is a
/// borrowed `FnMut`, so the context works without an allocator.
///
/// # Examples
///
/// ```no_run
/// use daemonry::{DaemonContext, Opened, Output};
/// let opened = DaemonContext::new()
///     .pidfile(c"/run/mydaemon.pid")
///     .stdout(Output::Append(c"/var/log/mydaemon.log"))
///     .stderr(Output::Append(c"/var/log/mydaemon.log"))
///     .user("nobody")
///     .open()?;
/// // Only the daemon gets here (the original process exited 0 once the
/// // daemon was ready, or printed the error and exited non-zero).
/// if let Opened::Daemon(daemon) = opened {
///     let _ = daemon.pid();
///     // ... serve ...
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub struct DaemonContext<'a> {
    workdir: Option<&'a CStr>,
    umask: Option<Mode>,
    pidfile: Option<&'a CStr>,
    keep_fds: &'a [RawFd],
    stdout: Output<'a>,
    stderr: Output<'a>,
    fake: bool,
    after_chdir: Option<&'a mut dyn FnMut() -> Result<()>>,
    prevent_core: bool,
    reset_signals: bool,
    parent: Parent,
    ready_on_open: bool,
    user: Option<&'a str>,
    group: Option<&'a str>,
    accounts: Option<&'a AccountDb<'a>>,
}

impl fmt::Debug for DaemonContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DaemonContext")
            .field("workdir", &self.workdir)
            .field("umask", &self.umask)
            .field("pidfile", &self.pidfile)
            .field("keep_fds", &self.keep_fds)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("fake", &self.fake)
            .field("after_chdir", &self.after_chdir.is_some())
            .field("prevent_core", &self.prevent_core)
            .field("reset_signals", &self.reset_signals)
            .field("parent", &self.parent)
            .field("ready_on_open", &self.ready_on_open)
            .field("user", &self.user)
            .field("group", &self.group)
            .finish()
    }
}

impl Default for DaemonContext<'_> {
    fn default() -> Self {
        DaemonContext::new()
    }
}

impl<'a> DaemonContext<'a> {
    /// The default recipe (see the type's documentation).
    pub const fn new() -> Self {
        DaemonContext {
            workdir: Some(c"/"),
            umask: None,
            pidfile: None,
            keep_fds: &[],
            stdout: Output::DevNull,
            stderr: Output::DevNull,
            fake: false,
            after_chdir: None,
            prevent_core: false,
            reset_signals: true,
            parent: Parent::Exit,
            ready_on_open: true,
            user: None,
            group: None,
            accounts: None,
        }
    }

    /// The daemon's working directory (default `/`, so it does not keep a
    /// mount point busy); `None` stays in the caller's.
    pub const fn workdir(mut self, dir: Option<&'a CStr>) -> Self {
        self.workdir = dir;
        self
    }

    /// The daemon's umask (default: unchanged). See
    /// [`parse_umask`](crate::parse_umask) for strict octal input.
    pub const fn umask(mut self, mask: Mode) -> Self {
        self.umask = Some(mask);
        self
    }

    /// A pidfile the daemon holds locked for its whole life
    /// ([`create_pidlock`]: a stale file is replaced; a live holder makes
    /// `open` fail with [`ErrorKind::LockFailed`], exit status 73).
    pub const fn pidfile(mut self, path: &'a CStr) -> Self {
        self.pidfile = Some(path);
        self
    }

    /// fds to keep open in the daemon (any order; 0 allowed; at most 250).
    pub const fn keep_fds(mut self, fds: &'a [RawFd]) -> Self {
        self.keep_fds = fds;
        self
    }

    /// Where stdout goes (default `/dev/null`).
    pub const fn stdout(mut self, out: Output<'a>) -> Self {
        self.stdout = out;
        self
    }

    /// Where stderr goes (default `/dev/null`).
    pub const fn stderr(mut self, out: Output<'a>) -> Self {
        self.stderr = out;
        self
    }

    /// Fake mode, for debugging (celery's `C_FAKEFORK`): no fork, no fd
    /// closing, no redirection and no signal reset; the working directory,
    /// umask, core limit, pidfile, privilege drop and hook still apply, in
    /// the calling process.
    pub const fn fake(mut self, fake: bool) -> Self {
        self.fake = fake;
        self
    }

    /// A hook run in the daemon after the working directory, umask,
    /// pidfile and privilege drop, and before fds are closed (celery's
    /// `after_chdir`). An error from it is reported to the original process.
    pub fn after_chdir(mut self, hook: &'a mut dyn FnMut() -> Result<()>) -> Self {
        self.after_chdir = Some(hook);
        self
    }

    /// Sets `RLIMIT_CORE` to 0 in the daemon, so it never dumps core
    /// (secrets in memory); default off.
    pub const fn prevent_core(mut self, prevent: bool) -> Self {
        self.prevent_core = prevent;
        self
    }

    /// Resets every catchable signal to its default disposition and
    /// empties the signal mask in the daemon (default on), undoing what the
    /// invoking shell or supervisor set (`nohup`'s ignored SIGHUP, a
    /// blocked SIGTERM). With `std`, SIGPIPE is then ignored again, as
    /// Rust's runtime sets it at start-up, so a write to a closed pipe
    /// returns `EPIPE` instead of killing the daemon.
    pub const fn reset_signals(mut self, reset: bool) -> Self {
        self.reset_signals = reset;
        self
    }

    /// What the original process does (default [`Parent::Exit`]).
    pub const fn parent(mut self, parent: Parent) -> Self {
        self.parent = parent;
        self
    }

    /// Whether `open` reports readiness when it returns in the daemon
    /// (default `true`). With `false` the original process keeps waiting
    /// until the daemon calls [`Daemon::notify_ready`], or
    /// [`Daemon::prepare_exec`] and then `execve` succeeds.
    pub const fn ready_on_open(mut self, ready: bool) -> Self {
        self.ready_on_open = ready;
        self
    }

    /// Drop privileges to this user (name or number) in the daemon, after
    /// it holds the pidfile: see
    /// [`drop_privileges`](crate::drop_privileges).
    pub const fn user(mut self, user: &'a str) -> Self {
        self.user = Some(user);
        self
    }

    /// Drop privileges to this group (name or number); with only a user,
    /// the user's primary group is used.
    pub const fn group(mut self, group: &'a str) -> Self {
        self.group = Some(group);
        self
    }

    /// Resolve user and group names in this account database instead of
    /// `/etc/passwd` and `/etc/group`.
    pub const fn accounts(mut self, db: &'a AccountDb<'a>) -> Self {
        self.accounts = Some(db);
        self
    }

    /// Daemonizes: see the [module documentation](self) for the exact
    /// steps.
    ///
    /// In the daemon, every fd outside the keep list (and the pidfile's)
    /// has been closed, including those that `File`s or `OwnedFd`s of the
    /// calling code still own: forget such values (`std::mem::forget`)
    /// instead of dropping them. Dropping one closes a dead fd (or worse, a
    /// reused one), which std reports as an I/O-safety violation in debug
    /// builds. Keep what the daemon needs with [`keep_fds`](Self::keep_fds).
    ///
    /// Returns `Opened::Daemon` in the daemon and, with
    /// [`Parent::Return`], `Opened::Parent(pid)` in the original process
    /// once the daemon reported ready. With [`Parent::Exit`] the original
    /// process never returns.
    ///
    /// # Errors
    ///
    /// In the caller, before anything forks: [`ErrorKind::MultiThreaded`]
    /// when another thread runs; errors opening `/dev/null`, a log file or
    /// the pipe. With [`Parent::Return`], any error the daemon reported
    /// (the step's context and errno, e.g. `chdir` and `ENOENT`;
    /// [`ErrorKind::LockFailed`] for a held pidfile); an `EPIPE` error
    /// with context "daemon exited before it was ready" when it ended
    /// without a report. In fake mode, the failing step's error.
    ///
    /// # Async-signal safety
    ///
    /// No allocation (with `std` it first flushes Rust's stdout, which takes
    /// its lock and, if stdout was never used, lets std allocate its
    /// buffer); it forks, so call it while single-threaded.
    ///
    /// # References
    ///
    /// [`daemon(7)`](https://man7.org/linux/man-pages/man7/daemon.7.html),
    /// [`setsid(2)`](https://man7.org/linux/man-pages/man2/setsid.2.html)
    pub fn open(self) -> Result<Opened<'a>> {
        if self.fake {
            return self.run_fake();
        }
        crate::process::require_single_thread(Op::Daemonize)?;
        #[cfg(feature = "std")]
        {
            use std::io::Write;
            let _ = std::io::stdout().flush();
        }
        let files = self.open_files()?;
        let (reader, writer) =
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).ctx(Op::Pipe)?;
        // SAFETY: the process is single-threaded (checked above), and the
        // child only runs this crate's daemon steps and the caller's hook
        // before returning into the caller's program as the daemon.
        match unsafe { crate::process::fork_unchecked() }? {
            Fork::Parent(child) => {
                drop(writer);
                drop(files);
                let result = wait_for_daemon(&reader, child);
                drop(reader);
                match self.parent {
                    Parent::Return => result.map(Opened::Parent),
                    Parent::Exit => match result {
                        Ok(_) => exit_immediately(0),
                        Err(e) => {
                            print_error(&e);
                            exit_immediately(exit_code(&e))
                        }
                    },
                }
            }
            Fork::Child => {
                drop(reader);
                self.first_child(writer, files)
            }
        }
    }

    /// The first child: new session, second fork, leave.
    fn first_child(self, writer: OwnedFd, files: Files) -> Result<Opened<'a>> {
        if let Err(e) = rustix::process::setsid() {
            fail(Some(&writer), &Error::os(Op::Setsid, e));
        }
        // SAFETY: this child is single-threaded (a fork of a single-threaded
        // process); the grandchild continues as the daemon.
        match unsafe { crate::process::fork_unchecked() } {
            Err(e) => fail(Some(&writer), &e.with_op(Op::Fork)),
            Ok(Fork::Parent(_)) => exit_immediately(0),
            Ok(Fork::Child) => self.daemon(writer, files),
        }
    }

    /// The daemon's steps; any failure is reported through `writer` and
    /// ends the process.
    fn daemon(mut self, writer: OwnedFd, files: Files) -> Result<Opened<'a>> {
        let pid = rustix::process::getpid();
        send_pid(&writer, pid);
        let lock = match self.common_steps() {
            Ok(lock) => lock,
            Err(e) => fail(Some(&writer), &e),
        };
        if let Err(e) = self.isolate(&writer, &files, lock.as_ref()) {
            if let Some(lock) = lock {
                let _ = lock.release();
            }
            fail(Some(&writer), &e);
        }
        drop(files);
        let mut daemon = Daemon {
            pid,
            lock,
            ready: Some(writer),
        };
        if self.ready_on_open {
            daemon.notify_ready();
        }
        Ok(Opened::Daemon(daemon))
    }

    /// Steps shared by real and fake mode: chdir, umask, core limit,
    /// pidfile, privileges, hook.
    fn common_steps(&mut self) -> Result<Option<PidLock<'a>>> {
        if let Some(dir) = self.workdir {
            rustix::process::chdir(dir)
                .map_err(|e| Error::os(Op::Chdir, e).with_input(dir.to_bytes()))?;
        }
        if let Some(mask) = self.umask {
            rustix::process::umask(mask);
        }
        if self.prevent_core {
            let zero = Rlimit {
                current: Some(0),
                maximum: Some(0),
            };
            rustix::process::setrlimit(Resource::Core, zero).ctx(Op::Setrlimit)?;
        }
        let lock = match self.pidfile {
            Some(path) => Some(create_pidlock(path)?),
            None => None,
        };
        if self.user.is_some() || self.group.is_some() {
            match self.accounts {
                Some(db) => crate::privilege::drop_privileges_in(db, self.user, self.group)?,
                None => crate::privilege::drop_privileges(self.user, self.group)?,
            }
        }
        if let Some(hook) = self.after_chdir.as_mut() {
            hook()?;
        }
        Ok(lock)
    }

    /// Closes fds, redirects stdio, resets signals.
    fn isolate(&self, writer: &OwnedFd, files: &Files, lock: Option<&PidLock<'a>>) -> Result<()> {
        let mut keep = [0 as RawFd; crate::fd::MAX_KEEP];
        let needed = self.keep_fds.len() + OWN_KEEP;
        let mut n = 0;
        let mut push = |fd: RawFd| -> Result<()> {
            let slot = keep
                .get_mut(n)
                .ok_or(Error::buffer_too_small(Op::Daemonize, needed))?;
            *slot = fd;
            n += 1;
            Ok(())
        };
        for &fd in self.keep_fds {
            push(fd)?;
        }
        push(writer.as_raw_fd())?;
        push(files.null.as_raw_fd())?;
        if let Some(fd) = &files.stdout {
            push(fd.as_raw_fd())?;
        }
        if let Some(fd) = &files.stderr {
            push(fd.as_raw_fd())?;
        }
        if let Some(fd) = lock.and_then(|l| l.fd()) {
            push(fd.as_raw_fd())?;
        }
        if self.stdout == Output::Inherit {
            push(1)?;
        }
        if self.stderr == Output::Inherit {
            push(2)?;
        }
        crate::fd::close_open_fds(keep.get(..n).unwrap_or(&[]))?;
        rustix::stdio::dup2_stdin(&files.null).ctx(Op::Dup)?;
        match (&files.stdout, self.stdout) {
            (_, Output::Inherit) => {}
            (Some(log), _) => rustix::stdio::dup2_stdout(log).ctx(Op::Dup)?,
            (None, _) => rustix::stdio::dup2_stdout(&files.null).ctx(Op::Dup)?,
        }
        match (&files.stderr, self.stderr) {
            (_, Output::Inherit) => {}
            (Some(log), _) => rustix::stdio::dup2_stderr(log).ctx(Op::Dup)?,
            (None, _) => rustix::stdio::dup2_stderr(&files.null).ctx(Op::Dup)?,
        }
        if self.reset_signals {
            crate::signal::reset_all()?;
            #[cfg(feature = "std")]
            crate::signal::ignore(&[crate::signal::Signal::PIPE])?;
        }
        Ok(())
    }

    /// Fake mode: the common steps in the calling process.
    fn run_fake(mut self) -> Result<Opened<'a>> {
        let lock = self.common_steps()?;
        Ok(Opened::Daemon(Daemon {
            pid: rustix::process::getpid(),
            lock,
            ready: None,
        }))
    }

    /// `/dev/null` and the log files, opened before the fork.
    fn open_files(&self) -> Result<Files> {
        let null = rustix::fs::open(
            c"/dev/null",
            OFlags::RDWR | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
        )
        .ctx(Op::OpenDevNull)?;
        let mode = Mode::from_raw_mode(0o666 & !self.umask.map_or(0, |m| m.as_raw_mode()));
        let open_log = |path: &CStr| -> Result<OwnedFd> {
            rustix::fs::open(
                path,
                OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::CLOEXEC | OFlags::NOCTTY,
                mode,
            )
            .map_err(|e| Error::os(Op::OpenLog, e).with_input(path.to_bytes()))
        };
        let stdout = match self.stdout {
            Output::Append(p) => Some(open_log(p)?),
            _ => None,
        };
        let stderr = match (self.stderr, self.stdout, &stdout) {
            (Output::Append(e), Output::Append(o), Some(fd)) if e == o => {
                Some(io::fcntl_dupfd_cloexec(fd, 3).ctx(Op::Dup)?)
            }
            (Output::Append(p), _, _) => Some(open_log(p)?),
            _ => None,
        };
        Ok(Files {
            null,
            stdout,
            stderr,
        })
    }
}

/// Most fds the daemon keeps besides the caller's list: the readiness pipe,
/// `/dev/null`, two logs, the pidfile, stdout and stderr (when inherited).
const OWN_KEEP: usize = 7;

/// fds opened before the fork.
struct Files {
    null: OwnedFd,
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
}
