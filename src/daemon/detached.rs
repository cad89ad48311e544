//! celery's `detached()`: checks made while the caller still sees errors,
//! then a [`DaemonContext`] to open.

use super::{DaemonContext, Output};
use crate::error::Op;
use crate::error::{Error, Result};
use crate::pidfile::check_pidlock;
use core::ffi::CStr;
use rustix::fs::{Mode, OFlags};

/// Options for [`detached`] (celery's `detached()` arguments).
///
/// `Default` gives no logfile, no pidfile, no privilege change, umask 0
/// (celery's default for `detached`), the current working directory, and a
/// real detach.
#[derive(Clone, Copy, Debug, Default)]
pub struct DetachOptions<'a> {
    /// stdout and stderr go to this file (appended; created if missing);
    /// `None`: `/dev/null`.
    pub logfile: Option<&'a CStr>,
    /// A pidfile the daemon holds.
    pub pidfile: Option<&'a CStr>,
    /// Drop to this user (name or number) after taking the pidfile.
    pub uid: Option<&'a str>,
    /// Drop to this group (name or number).
    pub gid: Option<&'a str>,
    /// The daemon's umask; `None` means 0, celery's default for `detached`.
    pub umask: Option<Mode>,
    /// The daemon's working directory; `None` keeps the current one.
    pub workdir: Option<&'a CStr>,
    /// Fake mode (no fork; see [`DaemonContext::fake`]).
    pub fake: bool,
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
/// [`ErrorKind::LockFailed`](crate::ErrorKind::LockFailed) when a live process holds the pidfile; the
/// log file's open error; errors reading the pidfile.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```no_run
/// use daemonry::{detached, DetachOptions};
/// let ctx = detached(DetachOptions {
///     logfile: Some(c"/var/log/worker.log"),
///     pidfile: Some(c"/run/worker.pid"),
///     uid: Some("nobody"),
///     ..Default::default()
/// })?;
/// let _daemon = ctx.open()?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn detached(opts: DetachOptions<'_>) -> Result<DaemonContext<'_>> {
    let umask = opts.umask.unwrap_or(Mode::empty());
    if let Some(log) = opts.logfile {
        let mode = Mode::from_raw_mode(0o666 & !umask.as_raw_mode());
        rustix::fs::open(
            log,
            OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::CLOEXEC | OFlags::NOCTTY,
            mode,
        )
        .map_err(|e| Error::os(Op::OpenLog, e).with_input(log.to_bytes()))?;
    }
    if let Some(pidfile) = opts.pidfile {
        check_pidlock(pidfile)?;
    }
    let mut ctx = DaemonContext::new()
        .workdir(opts.workdir)
        .umask(umask)
        .fake(opts.fake);
    if let Some(log) = opts.logfile {
        ctx = ctx.stdout(Output::Append(log)).stderr(Output::Append(log));
    }
    if let Some(p) = opts.pidfile {
        ctx = ctx.pidfile(p);
    }
    if let Some(u) = opts.uid {
        ctx = ctx.user(u);
    }
    if let Some(g) = opts.gid {
        ctx = ctx.group(g);
    }
    Ok(ctx)
}
