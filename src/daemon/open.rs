//! [`DaemonContext::open`]: the double fork and the daemon's steps.

use super::ready::{Daemon, exit_code, fail, print_error, send_lock, send_pid, wait_for_daemon};
use super::{DaemonContext, MAX_KEEP_FDS, OnReady, Opened, Output};
use crate::cstr::{CStrBuf, PATH_MAX};
use crate::error::Op;
use crate::error::{Context, Error, Result};
use crate::pidfile::{PidLock, create_pidlock};
use crate::process::{Fork, exit_immediately};
use core::ffi::CStr;
use rustix::fd::{AsRawFd, OwnedFd, RawFd};
use rustix::fs::{Mode, OFlags};
use rustix::io;
use rustix::process::{Resource, Rlimit};

/// fds opened before the fork.
struct Files {
    null: OwnedFd,
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
}

/// The pidfile path, absolute, in the caller's stack frame (copied into
/// the children by `fork`).
type PidfilePath = Option<CStrBuf<PATH_MAX>>;

impl<'a> DaemonContext<'a> {
    /// Daemonizes: see the [module documentation](crate::daemon) for the
    /// exact steps.
    ///
    /// In the daemon, every fd has been closed except those given to
    /// [`keep`](DaemonContext::keep) and [`keep_fds`](DaemonContext::keep_fds),
    /// the pidfile's, and stdio (now `/dev/null`, a log, or inherited). The
    /// values borrowed by `keep` are intact and can be used and dropped as
    /// usual. Any *other* value that owns an fd (`File`, `TcpListener`,
    /// `OwnedFd`, …) and lives on in the daemon now owns a closed fd:
    /// dropping or using it closes or uses a dead fd (or worse, a reused
    /// one), which std reports as an I/O-safety violation, aborting debug
    /// builds. Keep such values, or give up their fds before `open`
    /// (`into_raw_fd()`) or in the daemon (`std::mem::forget(value)`), and
    /// never touch them again.
    ///
    /// Returns [`Opened::Daemon`] in the daemon and, with
    /// [`OnReady::Return`], [`Opened::Original`] with the daemon's pid in
    /// the original process once the daemon reported ready. With
    /// [`OnReady::Exit`] the original process never returns.
    ///
    /// # Errors
    ///
    /// In the caller, before anything forks:
    /// [`ErrorKind::MultiThreaded`](crate::ErrorKind::MultiThreaded) when
    /// another thread runs;
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when
    /// more than [`MAX_KEEP_FDS`](crate::daemon::MAX_KEEP_FDS) fds are to be
    /// kept; errors making a relative pidfile path absolute
    /// ([`Op::PidfilePath`]), opening `/dev/null`, a log file or the pipe.
    /// With [`OnReady::Return`], any error the daemon reported (the step's
    /// [`Op`] and errno, e.g. [`Op::Chdir`] and `ENOENT`;
    /// [`ErrorKind::LockFailed`](crate::ErrorKind::LockFailed) for a held
    /// pidfile; [`Op::NotAPidfile`] or [`Op::UntrustedPidfile`] for a path
    /// that is refused); an `EPIPE` error with [`Op::NotReady`] when it
    /// ended without a report. In fake mode, the failing step's error.
    /// Whenever the daemon failed, the pidfile it published is removed by
    /// the original process if nobody holds it (see the
    /// [module docs](crate::daemon#the-pidfile-when-the-daemon-drops-privileges)).
    ///
    /// # Async-signal safety
    ///
    /// No allocation (with `std` it first flushes Rust's stdout, which takes
    /// its lock and, if stdout was never used, lets std allocate its
    /// buffer); it forks, so call it while single-threaded.
    ///
    /// With `std`, not in a child that another thread's process forked
    /// without `exec`: such a child passes the single-thread check, but a
    /// stdout lock that another thread held at the fork stays held, by a
    /// thread the child does not have, and the flush waits forever. (A
    /// fork through [`crate::fork`] cannot get there: it refuses a
    /// multi-threaded process.)
    ///
    /// # References
    ///
    /// [`daemon(7)`](https://man7.org/linux/man-pages/man7/daemon.7.html),
    /// [`setsid(2)`](https://man7.org/linux/man-pages/man2/setsid.2.html)
    ///
    /// # Examples
    ///
    /// The example is compiled but not run: it daemonizes the doctest;
    /// `tests/daemon.rs` runs `open` in forked children. Fake mode runs for
    /// real in [`Opened`]'s example.
    ///
    /// ```no_run
    /// use daemonry::{DaemonContext, OnReady, Opened};
    /// let log = std::fs::OpenOptions::new().append(true).create(true).open("/tmp/app.log").unwrap();
    /// match DaemonContext::new().parent(OnReady::Return).keep(&log).open()? {
    ///     Opened::Daemon(_daemon) => {
    ///         use std::io::Write;
    ///         writeln!(&log, "daemon running").unwrap();
    ///         // `log` is dropped normally when this scope ends.
    ///     }
    ///     Opened::Original(pid) => println!("started {}", pid.as_raw_nonzero()),
    /// }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn open(self) -> Result<Opened> {
        let pidfile = self.absolute_pidfile()?;
        if self.fake {
            return self.run_fake(&pidfile);
        }
        crate::process::require_single_thread(Op::Daemonize)?;
        let needed = self.kept + self.keep_fds.len();
        if needed > MAX_KEEP_FDS {
            return Err(Error::buffer_too_small(Op::Daemonize, needed));
        }
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
                let (result, published) = wait_for_daemon(&reader, child);
                drop(reader);
                if result.is_err() {
                    remove_abandoned(&pidfile, published);
                }
                match self.parent {
                    OnReady::Return => result.map(Opened::Original),
                    OnReady::Exit => match result {
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
                self.first_child(writer, files, &pidfile)
            }
        }
    }

    /// The pidfile's path made absolute against the caller's working
    /// directory, before anything changes it.
    fn absolute_pidfile(&self) -> Result<PidfilePath> {
        let Some(path) = &self.pidfile else {
            return Ok(None);
        };
        crate::pidfile::check_path(path.as_c_str())?;
        crate::path::absolute(path.as_c_str())
            .map(Some)
            .map_err(|e| Error::os(Op::PidfilePath, e).with_input(path.as_bytes()))
    }

    /// The first child: new session, second fork, leave.
    fn first_child(self, writer: OwnedFd, files: Files, pidfile: &PidfilePath) -> Result<Opened> {
        if let Err(e) = rustix::process::setsid() {
            fail(Some(&writer), &Error::os(Op::Setsid, e));
        }
        // SAFETY: this child is single-threaded (a fork of a single-threaded
        // process); the grandchild continues as the daemon.
        match unsafe { crate::process::fork_unchecked() } {
            Err(e) => fail(Some(&writer), &e.with_op(Op::Fork)),
            Ok(Fork::Parent(_)) => exit_immediately(0),
            Ok(Fork::Child) => self.daemon(writer, files, pidfile),
        }
    }

    /// The daemon's steps; any failure is reported through `writer` and
    /// ends the process.
    fn daemon(mut self, writer: OwnedFd, files: Files, pidfile: &PidfilePath) -> Result<Opened> {
        let pid = rustix::process::getpid();
        send_pid(&writer, pid);
        let lock = match self.common_steps(pidfile, Some(&writer)) {
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
    /// pidfile (announced on `ready`), privileges, hook.
    fn common_steps(
        &mut self,
        pidfile: &PidfilePath,
        ready: Option<&OwnedFd>,
    ) -> Result<Option<PidLock>> {
        if let Some(dir) = &self.workdir {
            rustix::process::chdir(dir.as_c_str())
                .map_err(|e| Error::os(Op::Chdir, e).with_input(dir.as_bytes()))?;
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
        let lock = match pidfile {
            Some(path) => Some(create_pidlock(path.as_cstr().ctx(Op::PidfilePath)?)?),
            None => None,
        };
        if let (Some(fd), Some(lock)) = (ready, &lock) {
            send_lock(fd, lock.file_id());
        }
        if self.user.is_some() || self.group.is_some() {
            self.drop_privileges()?;
        }
        if let Some(hook) = self.after_chdir.as_mut() {
            hook()?;
        }
        Ok(lock)
    }

    /// Drops to the context's user and group: the one place the daemon
    /// calls into `privilege`.
    fn drop_privileges(&self) -> Result<()> {
        let mut drop = crate::privilege::PrivilegeDrop::new();
        if let Some(u) = self.user {
            drop = drop.user(u);
        }
        if let Some(g) = self.group {
            drop = drop.group(g);
        }
        if let Some(db) = self.accounts {
            drop = drop.accounts(db);
        }
        drop.apply()
    }

    /// Closes fds, redirects stdio, resets signals.
    fn isolate(&self, writer: &OwnedFd, files: &Files, lock: Option<&PidLock>) -> Result<()> {
        let mut keep = [0 as RawFd; crate::fd::MAX_KEEP];
        let mut n = 0;
        let mut push = |fd: RawFd| -> Result<()> {
            let slot = keep
                .get_mut(n)
                .ok_or(Error::buffer_too_small(Op::Daemonize, n + 1))?;
            *slot = fd;
            n += 1;
            Ok(())
        };
        for fd in self.kept_fds() {
            push(fd.as_raw_fd())?;
        }
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
        if let Some(lock) = lock {
            push(lock.fd().as_raw_fd())?;
        }
        if self.stdout == Output::Inherit {
            push(1)?;
        }
        if self.stderr == Output::Inherit {
            push(2)?;
        }
        crate::fd::close_open_fds(keep.get(..n).unwrap_or(&[]))?;
        rustix::stdio::dup2_stdin(&files.null).ctx(Op::Dup)?;
        match (&files.stdout, &self.stdout) {
            (_, Output::Inherit) => {}
            (Some(log), _) => rustix::stdio::dup2_stdout(log).ctx(Op::Dup)?,
            (None, _) => rustix::stdio::dup2_stdout(&files.null).ctx(Op::Dup)?,
        }
        match (&files.stderr, &self.stderr) {
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
    fn run_fake(mut self, pidfile: &PidfilePath) -> Result<Opened> {
        let lock = self.common_steps(pidfile, None)?;
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
        let umask = self.umask;
        let stdout = match &self.stdout {
            Output::Append(p) => Some(open_log(p.as_c_str(), umask)?),
            _ => None,
        };
        let stderr = match (&self.stderr, &self.stdout, &stdout) {
            (Output::Append(e), Output::Append(o), Some(fd)) if e == o => {
                Some(io::fcntl_dupfd_cloexec(fd, 3).ctx(Op::Dup)?)
            }
            (Output::Append(p), _, _) => Some(open_log(p.as_c_str(), umask)?),
            _ => None,
        };
        Ok(Files {
            null,
            stdout,
            stderr,
        })
    }
}

/// In the original process, once the daemon failed: removes the pidfile it
/// published if nobody holds it any more (a daemon that dropped privileges
/// cannot unlink it from a root-owned directory). Best effort: the file is
/// left when it is no longer the daemon's, or is still held.
fn remove_abandoned(path: &PidfilePath, published: Option<crate::pidfile::FileId>) {
    if let (Some(path), Some(id)) = (path, published)
        && let Ok(path) = path.as_cstr()
    {
        let _ = crate::pidfile::remove_abandoned(path, id);
    }
}

/// Opens a log file for appending, creating it with mode 0666 under
/// `umask` (or the process's umask when `None`).
pub(super) fn open_log(path: &CStr, umask: Option<Mode>) -> Result<OwnedFd> {
    let mode = Mode::from_raw_mode(0o666 & !umask.map_or(0, |m| m.as_raw_mode()));
    rustix::fs::open(
        path,
        OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::CLOEXEC | OFlags::NOCTTY,
        mode,
    )
    .map_err(|e| Error::os(Op::OpenLog, e).with_input(path.to_bytes()))
}
