//! celery's `detached()`: checks made while the caller still sees errors,
//! then a [`DaemonContext`] to open.

use super::open::open_log;
use super::{DaemonContext, Output};
use crate::account::{GroupRef, UserRef};
use crate::error::Result;
use crate::path::PathArg;
use crate::pidfile::check_pidlock;
use rustix::fs::Mode;

/// Options for [`detached`] (celery's `detached()` arguments), built with
/// chained setters.
///
/// [`DetachOptions::new`] (or `Default`) gives no logfile, no pidfile, no
/// privilege change, umask 0 (celery's default for `detached`), the
/// current working directory, and a real detach. Paths are [`PathArg`]s
/// (`&CStr`; with `std` also `&str`, `&Path`, `PathBuf`, …); relative ones
/// mean the caller's working directory.
///
/// # Examples
///
/// ```
/// use daemonry::{DetachOptions, Mode};
/// let opts = DetachOptions::new()
///     .logfile(c"/var/log/worker.log")
///     .pidfile(c"/run/worker.pid")
///     .user("nobody")
///     .umask(Mode::from_raw_mode(0o022));
/// # let _ = opts;
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct DetachOptions<'a> {
    logfile: Option<PathArg<'a>>,
    pidfile: Option<PathArg<'a>>,
    user: Option<UserRef<'a>>,
    group: Option<GroupRef<'a>>,
    umask: Option<Mode>,
    workdir: Option<PathArg<'a>>,
    fake: bool,
}

impl<'a> DetachOptions<'a> {
    /// The defaults (see the type's documentation).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let _opts = daemonry::DetachOptions::new();
    /// ```
    pub const fn new() -> Self {
        DetachOptions {
            logfile: None,
            pidfile: None,
            user: None,
            group: None,
            umask: None,
            workdir: None,
            fake: false,
        }
    }

    /// stdout and stderr go to this file (appended; created if missing);
    /// default `/dev/null`.
    ///
    /// # Examples
    ///
    /// ```
    /// let _opts = daemonry::DetachOptions::new().logfile(c"/var/log/worker.log");
    /// ```
    pub fn logfile(mut self, path: impl Into<PathArg<'a>>) -> Self {
        self.logfile = Some(path.into());
        self
    }

    /// A pidfile the daemon holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let _opts = daemonry::DetachOptions::new().pidfile(c"/run/worker.pid");
    /// ```
    pub fn pidfile(mut self, path: impl Into<PathArg<'a>>) -> Self {
        self.pidfile = Some(path.into());
        self
    }

    /// Drop to this user (a name, a [`Uid`](crate::Uid) or a
    /// [`User`](crate::User)) after taking the pidfile.
    ///
    /// # Examples
    ///
    /// ```
    /// let _opts = daemonry::DetachOptions::new().user(daemonry::Uid::from_raw(65534));
    /// ```
    pub fn user(mut self, user: impl Into<UserRef<'a>>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Drop to this group (a name, a [`Gid`](crate::Gid) or a
    /// [`Group`](crate::Group)).
    ///
    /// # Examples
    ///
    /// ```
    /// let _opts = daemonry::DetachOptions::new().group("nogroup");
    /// ```
    pub fn group(mut self, group: impl Into<GroupRef<'a>>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// The daemon's umask; default 0, celery's default for `detached`.
    ///
    /// # Examples
    ///
    /// ```
    /// let _opts = daemonry::DetachOptions::new().umask(daemonry::parse_umask("027")?);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn umask(mut self, mask: Mode) -> Self {
        self.umask = Some(mask);
        self
    }

    /// The daemon's working directory; default: stay in the current one.
    ///
    /// # Examples
    ///
    /// ```
    /// let _opts = daemonry::DetachOptions::new().workdir(c"/");
    /// ```
    pub fn workdir(mut self, dir: impl Into<PathArg<'a>>) -> Self {
        self.workdir = Some(dir.into());
        self
    }

    /// Fake mode (no fork; see [`DaemonContext::fake`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let _opts = daemonry::DetachOptions::new().fake(true);
    /// ```
    pub const fn fake(mut self, fake: bool) -> Self {
        self.fake = fake;
        self
    }
}

/// celery's `detached()`—Checks, while the caller can still see errors,
/// that the log file is writable and the pidfile is free, and returns the
/// [`DaemonContext`] to [`open`](DaemonContext::open).
///
/// The pidfile check is side-effect free ([`check_pidlock`]; celery creates
/// and deletes a temporary pidfile here, racing monitors, celery#4174).
/// The log file is opened for appending, which creates it if missing (as
/// celery does). The daemon later holds the pidfile and then drops
/// privileges (celery drops them first, in the caller, which makes a
/// pidfile in `/run` impossible for a non-root user).
///
/// # Errors
///
/// [`ErrorKind::LockFailed`](crate::ErrorKind::LockFailed) when a live
/// process holds the pidfile; the log file's open error
/// ([`Op::OpenLog`](crate::Op::OpenLog)); errors reading the pidfile or
/// checking its directory.
///
/// # Async-signal safety
///
/// Safe between fork and exec with `&CStr` paths: no allocation, locks or
/// panics.
///
/// # Examples
///
/// The example is compiled but not run: it daemonizes the doctest (and
/// needs root); `tests/daemon.rs` runs `detached` in forked children.
///
/// ```no_run
/// use daemonry::{detached, DetachOptions};
/// let ctx = detached(
///     DetachOptions::new()
///         .logfile(c"/var/log/worker.log")
///         .pidfile(c"/run/worker.pid")
///         .user("nobody"),
/// )?;
/// let _daemon = ctx.open()?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn detached(opts: DetachOptions<'_>) -> Result<DaemonContext<'_>> {
    let umask = opts.umask.unwrap_or(Mode::empty());
    if let Some(log) = &opts.logfile {
        drop(open_log(log.as_c_str(), Some(umask))?);
    }
    if let Some(pidfile) = &opts.pidfile {
        check_pidlock(pidfile)?;
    }
    let mut ctx = DaemonContext::new().umask(umask).fake(opts.fake);
    ctx = match opts.workdir {
        Some(dir) => ctx.workdir(dir),
        None => ctx.no_chdir(),
    };
    if let Some(log) = opts.logfile {
        ctx = ctx
            .stdout(Output::Append(log.clone()))
            .stderr(Output::Append(log));
    }
    if let Some(p) = opts.pidfile {
        ctx = ctx.pidfile(p);
    }
    if let Some(u) = opts.user {
        ctx = ctx.user(u);
    }
    if let Some(g) = opts.group {
        ctx = ctx.group(g);
    }
    Ok(ctx)
}
