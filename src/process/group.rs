//! Process groups, the terminal's foreground group and the child-subreaper
//! flag: what an init or a job-control shell sets up around its children.

use crate::error::Op;
use rustix::fd::AsFd;
use rustix::process::Pid;

use crate::error::{Context, Result};

/// `setpgid(2)`—Moves process `pid` (`None`: this process) into process
/// group `pgid` (`None`: a new group whose id is that process's pid).
///
/// `setpgid(None, None)` makes the caller the leader of a new group, as a
/// shell or an init does for each child (in the child, after `fork`; the
/// parent may make the same call for the child to close the race).
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) with context `"setpgid"`:
/// `EPERM` when the target leads a session or the group is in another
/// session, `EACCES` when the child has already called `execve`, `ESRCH`
/// when `pid` is neither this process nor one of its children.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`setpgid(2)`](https://man7.org/linux/man-pages/man2/setpgid.2.html)
///
/// # Examples
///
/// ```no_run
/// // In a forked child: lead a group of our own.
/// daemonry::process::setpgid(None, None)?;
/// assert_eq!(daemonry::process::getpgrp(), rustix::process::getpid());
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn setpgid(pid: Option<Pid>, pgid: Option<Pid>) -> Result<()> {
    rustix::process::setpgid(pid, pgid).ctx(Op::Setpgid)
}

/// `getpgrp(2)`—This process's process-group id.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`getpgrp(2)`](https://man7.org/linux/man-pages/man2/getpgrp.2.html)
///
/// # Examples
///
/// ```
/// let pgid = daemonry::process::getpgrp();
/// assert!(pgid.as_raw_nonzero().get() > 0);
/// ```
pub fn getpgrp() -> Pid {
    rustix::process::getpgrp()
}

/// `tcsetpgrp(3)`—Makes process group `pgid` the foreground group of the
/// terminal open on `fd` (the `TIOCSPGRP` ioctl).
///
/// The terminal must be the caller's controlling terminal. A caller in a
/// background group gets `SIGTTOU` (which stops it) unless it blocks or
/// ignores that signal: block it around the call, as an init handing the
/// terminal to a child does.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) with context `"tcsetpgrp"`:
/// `ENOTTY` when `fd` is not a terminal or not the caller's controlling
/// terminal (a normal case for a service: treat it as "no terminal"),
/// `ENXIO` on some emulated terminals, `EPERM` for a group of another
/// session, `EBADF` for a closed fd.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`tcsetpgrp(3)`](https://man7.org/linux/man-pages/man3/tcsetpgrp.3.html),
/// [`TIOCSPGRP`](https://man7.org/linux/man-pages/man2/TIOCSPGRP.2const.html)
///
/// # Examples
///
/// ```no_run
/// use daemonry::process::{getpgrp, tcsetpgrp};
/// use rustix::fs::{open, Mode, OFlags};
/// let Ok(tty) = open(c"/dev/tty", OFlags::RDWR, Mode::empty()) else {
///     return Ok(()); // no controlling terminal
/// };
/// match tcsetpgrp(&tty, getpgrp()) {
///     Err(e) if e.errno() == Some(daemonry::Errno::NOTTY) => {} // no terminal
///     other => other?,
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "TIOCSPGRP")]
pub fn tcsetpgrp(fd: impl AsFd, pgid: Pid) -> Result<()> {
    rustix::termios::tcsetpgrp(fd, pgid).ctx(Op::Tcsetpgrp)
}

/// `tcgetpgrp(3)`—The foreground process group of the terminal open on
/// `fd` (the `TIOCGPGRP` ioctl).
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) with context `"tcgetpgrp"`:
/// `ENOTTY` when `fd` is not the caller's controlling terminal.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`tcgetpgrp(3)`](https://man7.org/linux/man-pages/man3/tcgetpgrp.3.html)
///
/// # Examples
///
/// ```
/// // A pipe is no terminal.
/// let (r, _w) = rustix::pipe::pipe().unwrap();
/// let e = daemonry::process::tcgetpgrp(&r).unwrap_err();
/// assert_eq!(e.errno(), Some(daemonry::Errno::NOTTY));
/// ```
#[doc(alias = "TIOCGPGRP")]
pub fn tcgetpgrp(fd: impl AsFd) -> Result<Pid> {
    rustix::termios::tcgetpgrp(fd).ctx(Op::Tcgetpgrp)
}

/// `prctl(PR_SET_CHILD_SUBREAPER)`—Makes this process (`true`) or stops it
/// being (`false`) a child subreaper: orphaned descendants are re-parented
/// to it instead of to PID 1, so it can reap them (and sees their
/// `SIGCHLD`).
///
/// What an init that is not PID 1 needs (tini's `-s`), and how a test or
/// supervisor keeps track of daemons that double-fork. Not inherited by
/// `fork` children; kept across `execve`.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) with context
/// `"set_child_subreaper"`: `EINVAL` on kernels before 3.4.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html) (`PR_SET_CHILD_SUBREAPER`)
///
/// # Examples
///
/// ```no_run
/// daemonry::process::set_child_subreaper(true)?;
/// assert!(daemonry::process::is_child_subreaper()?);
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "PR_SET_CHILD_SUBREAPER")]
pub fn set_child_subreaper(on: bool) -> Result<()> {
    let me = on.then(rustix::process::getpid);
    rustix::process::set_child_subreaper(me).ctx(Op::SetChildSubreaper)
}

/// `prctl(PR_GET_CHILD_SUBREAPER)`—Whether this process is a child
/// subreaper (see [`set_child_subreaper`]).
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) with context
/// `"is_child_subreaper"`: `EINVAL` on kernels before 3.4.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html) (`PR_GET_CHILD_SUBREAPER`)
///
/// # Examples
///
/// ```
/// // The test runner is no subreaper.
/// assert!(!daemonry::process::is_child_subreaper()?);
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "PR_GET_CHILD_SUBREAPER")]
pub fn is_child_subreaper() -> Result<bool> {
    rustix::process::child_subreaper()
        .map(|p| p.is_some())
        .ctx(Op::GetChildSubreaper)
}
