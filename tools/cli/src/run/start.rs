//! `start` and `supervise` in the launcher: pre-flight, then the double
//! fork through `DaemonContext`, then (with `--notify`) the wait for
//! `READY=1`. In the daemon: the child steps and `exec`, or the
//! supervisor.

use super::plan::{Plan, Resolved, start_failure};
use super::ready::NotifyDir;
use super::{Failure, Out, Outcome, child, code, errno_text, supervise};
use daemonry::{DaemonContext, Error, OnReady, Op, Opened, Output, Pidfile};
use daemonry_cli::args::{Respawn, Start, quote};
use std::ffi::OsStr;
use std::path::Path;

/// What the daemon process becomes.
#[derive(Debug, Clone, Copy)]
pub enum Role {
    /// `start`: CMD itself (exec in place).
    Exec,
    /// `supervise`: a supervisor with CMD as its child.
    Supervise(Respawn),
}

/// The message and status for a library error of a start, with the tool's
/// own steps (chroot, nice) named with the path as typed.
pub fn failure(plan: &Plan, e: &Error) -> Failure {
    if let Some(errno) = e.errno() {
        if e.op() == Op::Chroot {
            let typed = plan
                .chroot
                .as_ref()
                .map_or_else(String::new, |r| r.typed.to_string());
            return Failure::new(
                code::FAILURE,
                format!("chroot {typed}: {}", errno_text(errno)),
            );
        }
        if e.op() == Op::Setpriority {
            return Failure::new(
                code::FAILURE,
                format!(
                    "nice {}: {}",
                    plan.steps.nice.unwrap_or_default(),
                    errno_text(errno)
                ),
            );
        }
    }
    if e.op() == Op::Chdir
        && let (Some(typed), Some(errno)) = (&plan.start.workdir, e.errno())
    {
        return Failure::new(
            code::FAILURE,
            format!("chdir: {typed}: {}", errno_text(errno)),
        );
    }
    if e.op() == Op::OpenLog
        && let Some(errno) = e.errno()
    {
        let typed = [&plan.stdout, &plan.stderr]
            .into_iter()
            .flatten()
            .find(|r| {
                e.input()
                    .is_some_and(|i| r.c.as_bytes().starts_with(i.as_bytes()))
            })
            .map_or_else(|| quote(OsStr::new("?")), |r| r.typed.to_string());
        return Failure::new(
            code::CANTCREAT,
            format!("open log file: {typed}: {}", errno_text(errno)),
        );
    }
    start_failure(e, Some(&plan.pidfile))
}

/// `start` (`Role::Exec`) and `supervise` (`Role::Supervise`).
pub fn launch(start: &Start, role: Role, cwd: &Path, out: Out) -> Outcome {
    let plan = Plan::new(start, cwd)?;
    let cmd_shown = quote(plan.argv.first().map_or(OsStr::new(""), |s| s.as_os_str()));
    if start.test {
        plan.test()?;
        out.say(format!(
            "would {} {cmd_shown} with pidfile {}",
            match role {
                Role::Exec => "start",
                Role::Supervise(_) => "supervise",
            },
            plan.pidfile.typed
        ));
        return Ok(code::OK);
    }
    if start.notify && start.foreground {
        return Err(Failure::new(
            code::USAGE,
            "--notify: with --foreground nothing waits for READY=1 (the tool becomes CMD)",
        ));
    }
    let notify = match start.notify {
        true => Some(NotifyDir::new(&plan)?),
        false => None,
    };
    let env = plan.env_with(
        notify
            .as_ref()
            .map(|n| (OsStr::new("NOTIFY_SOCKET"), n.value())),
    );
    out.step(format!(
        "pidfile {} is free; user {:?} group {:?}",
        plan.pidfile.path().display(),
        plan.uid.map(|u| u.as_raw()),
        plan.gid.map(|g| g.as_raw())
    ));

    fn output(r: &Option<Resolved>) -> Output<'_> {
        match r {
            Some(r) => Output::append(r.c.as_c_str()),
            None => Output::DevNull,
        }
    }
    let mut ctx = DaemonContext::new()
        .pidfile(plan.pidfile.c.as_c_str())
        .stdout(if start.foreground {
            Output::Inherit
        } else {
            output(&plan.stdout)
        })
        .stderr(if start.foreground {
            Output::Inherit
        } else {
            output(&plan.stderr)
        })
        .parent(OnReady::Return)
        .ready_on_open(false)
        .fake(start.foreground)
        .no_chdir();
    if let Some(m) = plan.umask {
        ctx = ctx.umask(rustix::fs::Mode::from_raw_mode(m));
    }
    let daemon = match ctx.open() {
        Ok(Opened::Original(pid)) => {
            if let Some(n) = &notify
                && let Err(f) = n.wait(pid, start.ready_timeout, &cmd_shown, out)
            {
                super::ready::stop_all(pid, &plan.pidfile, out);
                return Err(f);
            }
            let shown = match role {
                Role::Exec => pid.as_raw_nonzero().to_string(),
                Role::Supervise(_) => {
                    match Pidfile::new(plan.pidfile.c.as_c_str()).and_then(|p| p.read_pid()) {
                        Ok(Some(cmd)) if cmd != pid => format!(
                            "{} (supervisor {})",
                            cmd.as_raw_nonzero(),
                            pid.as_raw_nonzero()
                        ),
                        _ => pid.as_raw_nonzero().to_string(),
                    }
                }
            };
            out.say(format!("started {shown}"));
            return Ok(code::OK);
        }
        Ok(Opened::Daemon(d)) => d,
        // A daemon that failed after dropping privileges could not remove
        // its pidfile: the library's launcher side did.
        Err(e) => return Err(failure(&plan, &e)),
    };
    // The daemon (or, with --foreground, still the caller).
    // The library closed every fd the daemon was not told to keep: the
    // socket's fd is gone, and the directory is the launcher's to remove.
    if let Some(n) = notify {
        std::mem::forget(n);
    }
    if start.foreground {
        foreground_logs(&plan)?;
    }
    match role {
        Role::Exec => exec_in_daemon(daemon, &plan, &env, start.foreground),
        Role::Supervise(r) => supervise::run(daemon, &plan, &env, r, start.foreground),
    }
}

/// `--foreground`: stdout and stderr to their log files, if any.
fn foreground_logs(plan: &Plan) -> Result<(), Failure> {
    use rustix::fs::{Mode, OFlags};
    let open = |r: &Resolved| {
        rustix::fs::open(
            r.c.as_c_str(),
            OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        )
        .map_err(|e| {
            Failure::new(
                code::CANTCREAT,
                format!("open log file: {}: {}", r.typed, errno_text(e)),
            )
        })
    };
    if let Some(r) = &plan.stdout {
        let fd = open(r)?;
        rustix::stdio::dup2_stdout(&fd)
            .map_err(|e| Failure::new(code::FAILURE, format!("dup2: {}", errno_text(e))))?;
    }
    if let Some(r) = &plan.stderr {
        let fd = open(r)?;
        rustix::stdio::dup2_stderr(&fd)
            .map_err(|e| Failure::new(code::FAILURE, format!("dup2: {}", errno_text(e))))?;
    }
    Ok(())
}

/// The daemon's last steps: chroot, chdir, nice, drop, exec. A failure
/// goes back to the launcher (or, in the foreground, is returned).
fn exec_in_daemon(
    mut daemon: daemonry::Daemon,
    plan: &Plan,
    env: &[(std::ffi::OsString, std::ffi::OsString)],
    foreground: bool,
) -> Outcome {
    let result = child::prepare(&plan.steps).and_then(|()| daemon.prepare_exec());
    let err = match result {
        Ok(()) => child::exec(plan, env),
        Err(e) => e,
    };
    if foreground {
        return Err(failure(plan, &err));
    }
    daemon.fail(err)
}
