//! The steps between the fork and CMD's `exec`, in the process that
//! becomes CMD (the daemon for `start`, a child of the supervisor for
//! `supervise`): chroot, chdir, nice, privilege drop, no_new_privs, then
//! `execvpe` with CMD's environment.
//!
//! The process is single-threaded here (a fork of the single-threaded
//! tool), so allocating is fine; nothing is printed (stderr may be the log
//! file): failures are returned and reported through the readiness pipe.

use super::plan::{Plan, Steps};
use daemonry::{Errno, Error, Op};
use std::ffi::{OsStr, OsString};
use std::os::unix::process::CommandExt;

/// Chroot, chdir, nice, drop privileges, no_new_privs.
///
/// # Errors
///
/// The first step that failed.
pub fn prepare(plan: &Steps) -> Result<(), Error> {
    if let Some(root) = &plan.chroot {
        rustix::process::chdir(root.as_c_str())
            .and_then(|()| rustix::process::chroot(c"."))
            .map_err(|e| Error::os(Op::Chroot, e).with_input(root.as_bytes()))?;
    }
    rustix::process::chdir(plan.workdir.as_c_str())
        .map_err(|e| Error::os(Op::Chdir, e).with_input(plan.workdir.as_bytes()))?;
    if let Some(n) = plan.nice {
        rustix::process::setpriority_process(None, n).map_err(|e| Error::os(Op::Setpriority, e))?;
    }
    let db = plan.accounts.db();
    let mut drop = daemonry::PrivilegeDrop::new()
        .accounts(&db)
        .no_new_privs(plan.no_new_privs);
    if let Some(uid) = plan.uid {
        drop = drop.user(uid);
    }
    if let Some(gid) = plan.gid {
        drop = drop.group(gid);
    }
    drop.apply()
}

/// Replaces the process with CMD (`execvpe`: a name without `/` is looked
/// up in CMD's `PATH`). Returns only on failure.
pub fn exec(plan: &Plan, env: &[(OsString, OsString)]) -> Error {
    let err = command(plan, env).exec();
    exec_error(plan, &err)
}

/// CMD as a `std::process::Command` with its environment.
pub fn command(plan: &Plan, env: &[(OsString, OsString)]) -> std::process::Command {
    let argv0 = plan
        .argv
        .first()
        .map(OsString::as_os_str)
        .unwrap_or_default();
    let mut cmd = std::process::Command::new(argv0);
    cmd.args(plan.argv.iter().skip(1))
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_os_str(), v.as_os_str())));
    cmd
}

/// The library error for a failed exec of CMD.
pub fn exec_error(plan: &Plan, err: &std::io::Error) -> Error {
    let argv0: &OsStr = plan
        .argv
        .first()
        .map(OsString::as_os_str)
        .unwrap_or_default();
    let errno = Errno::from_raw_os_error(err.raw_os_error().unwrap_or(Errno::IO.raw_os_error()));
    Error::os(Op::Execvpe, errno).with_input(argv0.as_encoded_bytes())
}
