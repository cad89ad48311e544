//! [`DaemonContext`]: the daemonization recipe, built with chained setters.
//! Running it ([`DaemonContext::open`]) is in `open.rs`.

use super::{MAX_KEEP_FDS, OnReady, Output};
use crate::account::{AccountDb, GroupRef, UserRef};
use crate::error::Result;
use crate::path::PathArg;
use core::fmt;
use rustix::fd::{AsFd, BorrowedFd, RawFd};
use rustix::fs::Mode;

/// A daemonization recipe (celery's `DaemonContext`), built with chained
/// setters and run with [`open`](DaemonContext::open).
///
/// Defaults: working directory `/`, umask unchanged, no pidfile, keep no
/// extra fds, stdout and stderr to `/dev/null`, really detach (not fake),
/// no hook, core dumps allowed, signals reset, the original process exits
/// once the daemon is ready, readiness reported at the end of `open`, no
/// privilege change.
///
/// Paths are [`PathArg`]s: `&CStr` in every build (no allocation, before
/// or after the fork), and with `std` also `&str`, `&Path`, `PathBuf` and
/// the like, converted when the setter is called. Relative paths mean the
/// caller's working directory (see [`pidfile`](DaemonContext::pidfile)).
/// Values whose fds the daemon keeps are borrowed
/// ([`keep`](DaemonContext::keep)), and so is the hook, so the context
/// works without an allocator.
///
/// # Examples
///
/// The example is compiled but not run: it daemonizes the doctest (and
/// needs root for `/run` and the user change); `tests/daemon.rs` runs
/// daemons in forked children.
///
/// ```no_run
/// use daemonry::{DaemonContext, Opened, daemon::Output};
/// let listener = std::net::TcpListener::bind("127.0.0.1:8080").unwrap();
/// let opened = DaemonContext::new()
///     .pidfile(c"/run/mydaemon.pid")
///     .stdout(Output::append(c"/var/log/mydaemon.log"))
///     .stderr(Output::append(c"/var/log/mydaemon.log"))
///     .keep(&listener)
///     .user("nobody")
///     .open()?;
/// // Only the daemon gets here (the original process exited 0 once the
/// // daemon was ready, or printed the error and exited non-zero).
/// if let Opened::Daemon(daemon) = opened {
///     let _ = daemon.pid();
///     for conn in listener.incoming() {
///         // ... serve ...
/// #       drop(conn);
///     }
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub struct DaemonContext<'a> {
    pub(super) workdir: Option<PathArg<'a>>,
    pub(super) umask: Option<Mode>,
    pub(super) pidfile: Option<PathArg<'a>>,
    pub(super) keep: [Option<BorrowedFd<'a>>; MAX_KEEP_FDS],
    /// How many fds `keep` was given (more than it holds is an error at
    /// `open`).
    pub(super) kept: usize,
    pub(super) keep_fds: &'a [RawFd],
    pub(super) stdout: Output<'a>,
    pub(super) stderr: Output<'a>,
    pub(super) fake: bool,
    pub(super) after_chdir: Option<&'a mut dyn FnMut() -> Result<()>>,
    pub(super) prevent_core: bool,
    pub(super) reset_signals: bool,
    pub(super) parent: OnReady,
    pub(super) ready_on_open: bool,
    pub(super) user: Option<UserRef<'a>>,
    pub(super) group: Option<GroupRef<'a>>,
    pub(super) accounts: Option<&'a AccountDb<'a>>,
}

impl fmt::Debug for DaemonContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DaemonContext")
            .field("workdir", &self.workdir)
            .field("umask", &self.umask)
            .field("pidfile", &self.pidfile)
            .field("keep", &self.keep.get(..self.kept.min(MAX_KEEP_FDS)))
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
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let ctx = daemonry::DaemonContext::new();
    /// # let _ = ctx;
    /// ```
    pub const fn new() -> Self {
        DaemonContext {
            workdir: Some(PathArg::from_c_str(c"/")),
            umask: None,
            pidfile: None,
            keep: [None; MAX_KEEP_FDS],
            kept: 0,
            keep_fds: &[],
            stdout: Output::DevNull,
            stderr: Output::DevNull,
            fake: false,
            after_chdir: None,
            prevent_core: false,
            reset_signals: true,
            parent: OnReady::Exit,
            ready_on_open: true,
            user: None,
            group: None,
            accounts: None,
        }
    }

    /// The fds given to [`keep`](DaemonContext::keep), as far as they fit.
    pub(super) fn kept_fds(&self) -> impl Iterator<Item = BorrowedFd<'a>> + '_ {
        self.keep.iter().flatten().copied()
    }

    /// The daemon's working directory (default `/`, so it does not keep a
    /// mount point busy). A relative path is taken from the caller's
    /// working directory, which the daemon inherits.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ctx = daemonry::DaemonContext::new().workdir(c"/var/lib/app");
    /// ```
    pub fn workdir(mut self, dir: impl Into<PathArg<'a>>) -> Self {
        self.workdir = Some(dir.into());
        self
    }

    /// Stay in the caller's working directory (no `chdir`).
    ///
    /// # Examples
    ///
    /// ```
    /// let _ctx = daemonry::DaemonContext::new().no_chdir();
    /// ```
    pub fn no_chdir(mut self) -> Self {
        self.workdir = None;
        self
    }

    /// The daemon's umask (default: unchanged). See
    /// [`parse_umask`](crate::parse_umask) for strict octal input.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ctx = daemonry::DaemonContext::new().umask(daemonry::Mode::from_raw_mode(0o027));
    /// ```
    pub const fn umask(mut self, mask: Mode) -> Self {
        self.umask = Some(mask);
        self
    }

    /// A pidfile the daemon holds locked for its whole life
    /// ([`create_pidlock`](crate::create_pidlock): a stale file is
    /// replaced; a live holder makes `open` fail with
    /// [`ErrorKind::LockFailed`](crate::ErrorKind::LockFailed), exit status
    /// 73).
    ///
    /// A relative path means the caller's working directory at the moment
    /// [`open`](DaemonContext::open) is called (not the daemon's
    /// [`workdir`](DaemonContext::workdir)): `open` makes it absolute
    /// before forking, without allocating, in every build.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ctx = daemonry::DaemonContext::new().pidfile(c"/run/app.pid");
    /// ```
    pub fn pidfile(mut self, path: impl Into<PathArg<'a>>) -> Self {
        self.pidfile = Some(path.into());
        self
    }

    /// Keeps the fd of a value the daemon still owns open across the fd
    /// closing: a listening socket, a log `File`, an `OwnedFd`.
    ///
    /// The context borrows `fd` for its own lifetime `'a`, so the value
    /// provably lives until `open` has run, and stays valid in the daemon:
    /// it can be used and dropped there as usual. Every other fd is closed
    /// (see the [module docs](crate::daemon#io-safety-keep-what-you-still-own)
    /// for what to do with values you do not keep). Call it once per value;
    /// together with [`keep_fds`](DaemonContext::keep_fds) at most
    /// [`MAX_KEEP_FDS`](crate::daemon::MAX_KEEP_FDS) fds (more makes `open`
    /// fail with [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall)
    /// before it forks).
    ///
    /// # Examples
    ///
    /// ```
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let log = std::fs::File::open("/dev/null").unwrap();
    /// let _ctx = daemonry::DaemonContext::new().keep(&listener).keep(&log);
    /// ```
    pub fn keep<F: AsFd + ?Sized>(mut self, fd: &'a F) -> Self {
        if let Some(slot) = self.keep.get_mut(self.kept) {
            *slot = Some(fd.as_fd());
        }
        self.kept += 1;
        self
    }

    /// fds to keep open by number: for fds no Rust value owns, such as
    /// those inherited from the service manager (`LISTEN_FDS`) or the shell
    /// (`3>file`). Any order; 0 allowed. For fds that Rust values own, use
    /// [`keep`](DaemonContext::keep).
    ///
    /// # Examples
    ///
    /// ```
    /// // Socket activation: fds 3 and 4 come from the service manager.
    /// let _ctx = daemonry::DaemonContext::new().keep_fds(&[3, 4]);
    /// ```
    pub const fn keep_fds(mut self, fds: &'a [RawFd]) -> Self {
        self.keep_fds = fds;
        self
    }

    /// Where stdout goes (default `/dev/null`).
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::daemon::Output;
    /// let _ctx = daemonry::DaemonContext::new().stdout(Output::append(c"/var/log/app.log"));
    /// ```
    pub fn stdout(mut self, out: Output<'a>) -> Self {
        self.stdout = out;
        self
    }

    /// Where stderr goes (default `/dev/null`). The same log path for
    /// stdout and stderr is opened once.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::daemon::Output;
    /// let _ctx = daemonry::DaemonContext::new().stderr(Output::Inherit);
    /// ```
    pub fn stderr(mut self, out: Output<'a>) -> Self {
        self.stderr = out;
        self
    }

    /// Fake mode, for debugging (celery's `C_FAKEFORK`): no fork, no fd
    /// closing, no redirection and no signal reset; the working directory,
    /// umask, core limit, pidfile, privilege drop and hook still apply, in
    /// the calling process.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ctx = daemonry::DaemonContext::new().fake(std::env::var_os("C_FAKEFORK").is_some());
    /// ```
    pub const fn fake(mut self, fake: bool) -> Self {
        self.fake = fake;
        self
    }

    /// A hook run in the daemon after the working directory, umask,
    /// pidfile and privilege drop, and before fds are closed (celery's
    /// `after_chdir`). An error from it is reported to the original process.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut hook = || Ok(());
    /// let _ctx = daemonry::DaemonContext::new().after_chdir(&mut hook);
    /// ```
    pub fn after_chdir(mut self, hook: &'a mut dyn FnMut() -> Result<()>) -> Self {
        self.after_chdir = Some(hook);
        self
    }

    /// Sets `RLIMIT_CORE` to 0 in the daemon, so it never dumps core
    /// (secrets in memory); default off.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ctx = daemonry::DaemonContext::new().prevent_core(true);
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// let _ctx = daemonry::DaemonContext::new().reset_signals(false);
    /// ```
    pub const fn reset_signals(mut self, reset: bool) -> Self {
        self.reset_signals = reset;
        self
    }

    /// What the original process (the parent) does once the daemon is
    /// ready or failed (default [`OnReady::Exit`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{DaemonContext, OnReady};
    /// let _ctx = DaemonContext::new().parent(OnReady::Return);
    /// ```
    pub const fn parent(mut self, on_ready: OnReady) -> Self {
        self.parent = on_ready;
        self
    }

    /// Whether `open` reports readiness when it returns in the daemon
    /// (default `true`). With `false` the original process keeps waiting
    /// until the daemon calls
    /// [`Daemon::notify_ready`](crate::daemon::Daemon::notify_ready), or
    /// [`Daemon::prepare_exec`](crate::daemon::Daemon::prepare_exec) and
    /// then `execve` succeeds.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ctx = daemonry::DaemonContext::new().ready_on_open(false);
    /// ```
    pub const fn ready_on_open(mut self, ready: bool) -> Self {
        self.ready_on_open = ready;
        self
    }

    /// Drop privileges to this user in the daemon, after it holds the
    /// pidfile: see [`drop_privileges`](crate::drop_privileges). A name, a
    /// [`Uid`](crate::Uid) or a [`User`](crate::User) entry.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{DaemonContext, Uid};
    /// let _by_name = DaemonContext::new().user("nobody");
    /// let _by_uid = DaemonContext::new().user(Uid::from_raw(65534));
    /// ```
    pub fn user(mut self, user: impl Into<UserRef<'a>>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Drop privileges to this group (a name, a [`Gid`](crate::Gid) or a
    /// [`Group`](crate::Group) entry); with only a user, the user's
    /// primary group is used.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ctx = daemonry::DaemonContext::new().user("nobody").group("nogroup");
    /// ```
    pub fn group(mut self, group: impl Into<GroupRef<'a>>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Resolve user and group names in this account database instead of
    /// `/etc/passwd` and `/etc/group`.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{AccountDb, DaemonContext};
    /// let db = AccountDb::new(c"/srv/jail/etc/passwd", c"/srv/jail/etc/group");
    /// let _ctx = DaemonContext::new().accounts(&db).user("app");
    /// ```
    pub const fn accounts(mut self, db: &'a AccountDb<'a>) -> Self {
        self.accounts = Some(db);
        self
    }
}
