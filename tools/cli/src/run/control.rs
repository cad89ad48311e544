//! `status`, `stop` and `reload`: they judge the pidfile's verified
//! holders ([`holders::find`]) and never signal anyone else.

use super::holders::{self, Found, Target};
use super::plan::Resolved;
use super::{Failure, Out, Outcome, code, signal_text};
use daemonry::{Pid, Pidfile, Signal};
use daemonry_cli::args::{Schedule, Step};
use std::time::{Duration, Instant};

/// `/proc/<pid>/stat` fields after the command name (field 3 on).
fn stat_fields(pid: Pid) -> Option<Vec<String>> {
    let stat = std::fs::read(format!("/proc/{}/stat", pid.as_raw_nonzero())).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = String::from_utf8_lossy(stat.get(close + 1..)?).into_owned();
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// Whether `pid` names a live process (not gone, not a zombie).
pub fn alive(pid: Pid) -> bool {
    stat_fields(pid).is_some_and(|f| !matches!(f.first().map(String::as_str), Some("Z" | "X")))
}

/// The parent of `pid`.
pub fn ppid(pid: Pid) -> Option<Pid> {
    stat_fields(pid)?
        .get(1)?
        .parse()
        .ok()
        .and_then(Pid::from_raw)
}

/// The process group of `pid`.
pub fn pgid(pid: Pid) -> Option<Pid> {
    stat_fields(pid)?
        .get(2)?
        .parse()
        .ok()
        .and_then(Pid::from_raw)
}

/// When `pid` is a supervisor run by this very binary (same executable)
/// that gave up, its title (`daemonry: gave up supervising …`).
pub fn gave_up(pid: Pid) -> Option<String> {
    if !holders::same_executable(pid) {
        return None;
    }
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid.as_raw_nonzero())).ok()?;
    let text = String::from_utf8_lossy(&cmdline);
    let title = text.trim_end_matches('\0');
    title
        .strip_prefix(super::supervise::TITLE_PREFIX)
        .filter(|rest| rest.starts_with(super::supervise::GAVE_UP))
        .map(|rest| rest.to_string())
}

/// `status --pidfile P`.
pub fn status(pidfile: &Resolved, out: Out) -> Outcome {
    match holders::find(pidfile)? {
        Found::Absent => {
            out.say("stopped");
            Ok(code::NOT_RUNNING)
        }
        Found::Stale(p) => {
            out.say(format!("stale {}", p.as_raw_nonzero()));
            Ok(code::FAILURE)
        }
        Found::Invalid => {
            out.say("invalid");
            Ok(code::FAILURE)
        }
        Found::Refused(why) => {
            out.say(why);
            Ok(code::REFUSED)
        }
        Found::NotAPidfile => {
            out.say(format!(
                "not-a-pidfile: {} is not a pidfile; left untouched",
                pidfile.typed
            ));
            Ok(code::REFUSED)
        }
        Found::Running { named, holders, .. } => {
            let top = holders::topmost(&holders);
            if let [sup] = top.as_slice()
                && let Some(what) = gave_up(sup.pid)
            {
                out.say(format!("failed {}: {what}", sup.pid.as_raw_nonzero()));
                return Ok(code::FAILURE);
            }
            match named {
                Some(p) if holders.iter().any(|t| t.pid == p) => {
                    out.say(format!("running {}", p.as_raw_nonzero()));
                }
                Some(p) => out.say(format!(
                    "running {} (the pidfile names {}, which does not hold the lock)",
                    holders::pids_text(&holders.iter().collect::<Vec<_>>()),
                    p.as_raw_nonzero()
                )),
                None => out.say(format!(
                    "running {} (the pidfile holds no valid pid)",
                    holders::pids_text(&holders.iter().collect::<Vec<_>>())
                )),
            }
            Ok(code::OK)
        }
    }
}

/// Removes a stale pidfile; a failure (EACCES, EROFS, …) is an error
/// naming the path, never swallowed. `what` says what happened first.
fn remove_stale(pidfile: &Resolved, what: &str) -> Result<(), Failure> {
    Pidfile::new(pidfile.c.as_c_str())
        .and_then(|p| p.remove_if_stale())
        .map(|_| ())
        .map_err(|e| {
            Failure::new(
                code::FAILURE,
                format!(
                    "{what}, but its stale pidfile {} could not be removed: {e}",
                    pidfile.typed
                ),
            )
        })
}

/// `stop`: runs the schedule against the verified holders.
///
/// `test`: says what would be signalled and signals nothing.
pub fn stop(pidfile: &Resolved, schedule: &Schedule, test: bool, out: Out) -> Outcome {
    let (named, targets) = match holders::find(pidfile)? {
        Found::Absent | Found::Invalid => {
            // An invalid file names nobody: nothing proves it stale, so it
            // stays (`start` replaces it when nobody holds its lock).
            out.say("not running");
            return Ok(code::OK);
        }
        Found::Stale(_) => {
            if !test {
                remove_stale(pidfile, "not running")?;
            }
            out.say("not running");
            return Ok(code::OK);
        }
        Found::Refused(why) => {
            return Err(Failure::new(
                code::REFUSED,
                format!("pidfile {}: {why}; not stopping", pidfile.typed),
            ));
        }
        Found::NotAPidfile => {
            return Err(Failure::new(
                code::REFUSED,
                format!(
                    "pidfile {}: not a pidfile; not stopping, not removing it",
                    pidfile.typed
                ),
            ));
        }
        Found::Running { named, holders, .. } => (named, holders),
    };
    let shown = named
        .filter(|p| targets.iter().any(|t| t.pid == *p))
        .map_or_else(
            || holders::pids_text(&targets.iter().collect::<Vec<_>>()),
            |p| p.as_raw_nonzero().to_string(),
        );
    if test {
        out.say(format!("would stop {shown}"));
        return Ok(code::OK);
    }
    let mut targets = targets;
    // Processes that inherited the lock after we looked (a daemon that
    // forks a child per task) still hold it when the ones we pinned are
    // gone: they get the same schedule, a bounded number of times.
    for round in 1.. {
        if !run_schedule(&targets, schedule, out)? {
            let left: Vec<&Target> = targets.iter().filter(|t| !t.exited()).collect();
            return Err(Failure::new(
                code::FAILURE,
                format!("pid {} would not die", holders::pids_text(&left)),
            ));
        }
        match holders::find(pidfile)? {
            // Only processes that hold the lock: once ours are gone, the
            // file's contents alone (a pid written through the daemon's
            // fd) are never a reason to signal anyone.
            Found::Running {
                holders,
                locked: true,
                ..
            } if round < MAX_ROUNDS => {
                out.step(format!(
                    "pid {} still holds the lock (inherited); stopping it too",
                    holders::pids_text(&holders.iter().collect::<Vec<_>>())
                ));
                targets = holders;
            }
            Found::Running {
                holders,
                locked: true,
                ..
            } => {
                return Err(Failure::new(
                    code::FAILURE,
                    format!(
                        "pid {} still holds the lock after {MAX_ROUNDS} rounds",
                        holders::pids_text(&holders.iter().collect::<Vec<_>>())
                    ),
                ));
            }
            _ => break,
        }
    }
    remove_stale(pidfile, &format!("stopped {shown}"))?;
    out.say(format!("stopped {shown}"));
    Ok(code::OK)
}

/// How many times `stop` goes after processes that still hold the lock
/// once the ones it pinned are gone.
const MAX_ROUNDS: u32 = 5;

/// Runs a stop schedule; returns whether every target exited. A signal
/// step goes to the topmost live targets (a supervisor forwards it; a
/// master process stops its workers); `KILL` goes to every live target.
/// While waiting, a target that becomes topmost because its parent exited
/// (a child that inherited the lock) gets the last signal too.
pub fn run_schedule(targets: &[Target], schedule: &Schedule, out: Out) -> Result<bool, Failure> {
    let steps = &schedule.steps;
    let mut i = 0;
    let mut last_wait = Duration::ZERO;
    let mut current: Option<Signal> = None;
    let mut sent: Vec<Pid> = Vec::new();
    loop {
        if targets.iter().all(Target::exited) {
            return Ok(true);
        }
        let Some(step) = steps.get(i) else {
            match schedule.repeat_from {
                Some(r) => {
                    i = r;
                    continue;
                }
                None => return Ok(false),
            }
        };
        match *step {
            Step::Signal(sig) => {
                let to: Vec<&Target> = if sig == Signal::KILL {
                    targets.iter().filter(|t| !t.exited()).collect()
                } else {
                    holders::topmost(targets)
                };
                if i > 0 {
                    out.note(format!(
                        "pid {} did not exit within {last_wait:?}; sending {}",
                        holders::pids_text(&to),
                        signal_text(sig)
                    ));
                } else {
                    out.step(format!(
                        "sending {} to {}",
                        signal_text(sig),
                        holders::pids_text(&to)
                    ));
                }
                for t in &to {
                    t.signal(sig)?;
                }
                current = Some(sig);
                sent = to.iter().map(|t| t.pid).collect();
            }
            Step::Wait(d) => {
                last_wait = d;
                let deadline = Instant::now() + d;
                loop {
                    if targets.iter().all(Target::exited) {
                        return Ok(true);
                    }
                    if let Some(sig) = current {
                        for t in holders::topmost(targets) {
                            if !sent.contains(&t.pid) {
                                out.step(format!(
                                    "sending {} to {} (its parent exited)",
                                    signal_text(sig),
                                    t.pid.as_raw_nonzero()
                                ));
                                t.signal(sig)?;
                                sent.push(t.pid);
                            }
                        }
                    }
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    holders::wait_any(targets, left);
                }
            }
        }
        i += 1;
    }
}

/// `reload`: sends the signal to the topmost verified holder(s), waits
/// for nothing.
pub fn reload(pidfile: &Resolved, sig: Signal, test: bool, out: Out) -> Outcome {
    let targets = match holders::find(pidfile)? {
        Found::Absent | Found::Stale(_) | Found::Invalid => {
            out.say("not running");
            return Ok(code::RELOAD_NOT_RUNNING);
        }
        Found::Refused(why) => {
            return Err(Failure::new(
                code::REFUSED,
                format!("pidfile {}: {why}; not signalling", pidfile.typed),
            ));
        }
        Found::NotAPidfile => {
            return Err(Failure::new(
                code::REFUSED,
                format!("pidfile {}: not a pidfile; not signalling", pidfile.typed),
            ));
        }
        Found::Running { holders, .. } => holders,
    };
    let top = holders::topmost(&targets);
    if test {
        out.say(format!(
            "would send {} to {}",
            signal_text(sig),
            holders::pids_text(&top)
        ));
        return Ok(code::OK);
    }
    for t in &top {
        t.signal(sig)?;
    }
    out.say(format!(
        "sent {} to {}",
        signal_text(sig),
        holders::pids_text(&top)
    ));
    Ok(code::OK)
}
