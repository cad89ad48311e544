//! `supervise`: the daemon process becomes a small supervisor. It holds
//! the pidfile's lock, runs CMD as its child (CMD inherits the locked
//! description, so it is a verified holder too, and the pidfile names
//! it), forwards TERM/INT/HUP/USR1/USR2 to it, and respawns it when it
//! exits unexpectedly, after a back-off that doubles from
//! [`BACKOFF_START`] up to [`BACKOFF_MAX`]. After more than
//! `--respawn-max` exits within `--respawn-period` it gives up: it stays,
//! holding the lock (so `status` can say so and `stop`/`restart` work
//! unchanged), with its title saying it gave up. TERM or INT stop CMD and
//! then the supervisor, which removes the pidfile.
//!
//! While CMD runs the pidfile names CMD; between a death and the respawn
//! (and after giving up) it names the supervisor.

use super::child;
use super::plan::Plan;
use super::start::failure;
use super::{Outcome, code, signal_text};
use daemonry::signal::SigSet;
use daemonry::{Daemon, Errno, Error, Op, Pid, PidLock, Signal};
use daemonry_cli::args::Respawn;
use std::collections::VecDeque;
use std::ffi::OsString;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::time::{Duration, Instant};

/// The first back-off delay.
pub const BACKOFF_START: Duration = Duration::from_millis(100);
/// The longest back-off delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// How the supervisor's title starts in `/proc/<pid>/cmdline`.
pub const TITLE_PREFIX: &str = "daemonry: ";
/// What follows [`TITLE_PREFIX`] once the supervisor gave up.
pub const GAVE_UP: &str = "gave up supervising ";

const TERM: Signal = Signal::TERM;
const INT: Signal = Signal::INT;
const HUP: Signal = Signal::HUP;
const USR1: Signal = Signal::USR1;
const USR2: Signal = Signal::USR2;
const CHLD: Signal = Signal::CHILD;

/// The back-off before respawn number `n` within the period (1-based).
pub fn backoff(n: usize) -> Duration {
    let shift = u32::try_from(n.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    BACKOFF_START.saturating_mul(1 << shift).min(BACKOFF_MAX)
}

/// CMD's text for titles and messages.
fn cmd_text(plan: &Plan) -> String {
    plan.argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn title(info: &str) {
    // Best effort: the comm name is set even when argv cannot be rewritten.
    let _ = daemonry::set_title(&format!("{TITLE_PREFIX}{info}"));
}

fn say(msg: impl std::fmt::Display) {
    eprintln!("daemonry: supervise: {msg}");
}

/// Writes `pid` into the locked pidfile (the lock is held throughout):
/// through the held fd when it is writable, else through a writable
/// reopening of it (`/proc/self/fd/N`; the supervisor is still
/// privileged).
fn write_pid_of(lock: &PidLock, pid: Pid) -> Result<(), Errno> {
    use rustix::fd::AsRawFd;
    let text = format!("{}\n", pid.as_raw_nonzero());
    let write = |fd: rustix::fd::BorrowedFd<'_>| -> Result<(), Errno> {
        if rustix::io::pwrite(fd, text.as_bytes(), 0)? != text.len() {
            return Err(Errno::IO);
        }
        rustix::fs::ftruncate(fd, text.len() as u64)
    };
    match write(lock.fd()) {
        Err(Errno::BADF) => {
            let again = rustix::fs::open(
                format!("/proc/self/fd/{}", lock.fd().as_raw_fd()),
                rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )?;
            write(rustix::fd::AsFd::as_fd(&again))
        }
        other => other,
    }
}

/// Spawns CMD with the child steps; the error names the failed step.
fn spawn(plan: &Plan, env: &[(OsString, OsString)]) -> Result<std::process::Child, Error> {
    // The failed step travels back as a tag byte on a close-on-exec pipe
    // (std reports only the errno).
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| Error::os(Op::Pipe, e))?;
    let mut cmd = child::command(plan, env);
    let steps = plan.steps.clone();
    // SAFETY: the closure runs in the forked child of this single-threaded
    // process before exec; it only makes system calls and small
    // allocations, which are fine in a fork of a single-threaded process.
    unsafe {
        cmd.pre_exec(move || {
            // The supervisor blocks the signals it waits for; CMD starts
            // with none blocked.
            daemonry::signal::set_mask(&SigSet::EMPTY)
                .and_then(|_| child::prepare(&steps))
                .map_err(|e| {
                    let tag: u8 = match e.op() {
                        Op::Chroot => 1,
                        Op::Chdir => 2,
                        Op::Setpriority => 3,
                        _ => 4,
                    };
                    let _ = rustix::io::write(&w, &[tag]);
                    std::io::Error::from_raw_os_error(
                        e.errno().unwrap_or(Errno::PERM).raw_os_error(),
                    )
                })
        });
    }
    let spawned = cmd.spawn();
    drop(cmd); // closes our copy of the write end
    match spawned {
        Ok(c) => Ok(c),
        Err(err) => {
            let errno =
                Errno::from_raw_os_error(err.raw_os_error().unwrap_or(Errno::IO.raw_os_error()));
            let mut tag = [0u8; 1];
            let got = rustix::io::read(&r, &mut tag).unwrap_or(0);
            Err(match (got, tag[0]) {
                (1, 1) => Error::os(Op::Chroot, errno),
                (1, 2) => Error::os(Op::Chdir, errno).with_input(plan.steps.workdir.as_bytes()),
                (1, 3) => Error::os(Op::Setpriority, errno),
                (1, _) => Error::os(Op::DropPrivileges, errno),
                _ => child::exec_error(plan, &err),
            })
        }
    }
}

enum State {
    Running(std::process::Child),
    Backoff(Instant),
    GaveUp,
}

/// Leaves: the pidfile names us again and is removed.
fn finish(lock: Option<PidLock>, foreground: bool) -> Outcome {
    if let Some(mut lock) = lock {
        let _ = lock.write_pid();
        if let Err(e) = lock.release() {
            say(format!("pidfile not removed: {e}"));
        }
    }
    if foreground {
        return Ok(code::OK);
    }
    std::process::exit(0)
}

/// The supervisor, in the daemon process (or the caller with
/// `--foreground`). Returns only in the foreground.
pub fn run(
    mut daemon: Daemon,
    plan: &Plan,
    env: &[(OsString, OsString)],
    respawn: Respawn,
    foreground: bool,
) -> Outcome {
    let what = cmd_text(plan);
    title(&format!("supervising {what}"));
    let set = SigSet::from_signals(&[TERM, INT, HUP, USR1, USR2, CHLD]);
    match daemonry::signal::block(&set) {
        Ok(_) => {}
        Err(e) if foreground => return Err(failure(plan, &e)),
        Err(e) => daemon.fail(e),
    };
    let lock = daemon.take_pidlock();
    if let Some(l) = &lock
        && let Err(e) = l.set_inheritable(true)
    {
        if foreground {
            return Err(failure(plan, &e));
        }
        daemon.fail(e);
    }
    let first = match spawn(plan, env) {
        Ok(c) => c,
        Err(e) => {
            if let Some(l) = lock {
                let _ = l.release();
            }
            if foreground {
                return Err(failure(plan, &e));
            }
            daemon.fail(e);
        }
    };
    let pid_of = |c: &std::process::Child| Pid::from_raw(c.id() as i32);
    if let (Some(l), Some(p)) = (&lock, pid_of(&first)) {
        let _ = write_pid_of(l, p);
    }
    daemon.notify_ready();
    let mut state = State::Running(first);
    let mut exits: VecDeque<Instant> = VecDeque::new();
    let mut stopping = false;
    loop {
        match &mut state {
            State::Running(child) => {
                let Ok(info) = set.wait() else { continue };
                let sig = info.signal();
                match sig {
                    CHLD => {
                        let Ok(Some(status)) = child.try_wait() else {
                            continue;
                        };
                        if stopping {
                            return finish(lock, foreground);
                        }
                        let how = match (status.code(), status.signal()) {
                            (Some(c), _) => format!("exit status {c}"),
                            (_, Some(s)) => match Signal::from_raw(s) {
                                Some(s) => format!("signal {}", signal_text(s)),
                                None => format!("signal {s}"),
                            },
                            _ => "an unknown status".to_string(),
                        };
                        let now = Instant::now();
                        exits.push_back(now);
                        while exits
                            .front()
                            .is_some_and(|t| now.duration_since(*t) > respawn.period)
                        {
                            exits.pop_front();
                        }
                        if let Some(l) = &lock {
                            let _ = write_pid_of(l, rustix::process::getpid());
                        }
                        if respawn.max > 0 && exits.len() > respawn.max as usize {
                            let msg = format!(
                                "{GAVE_UP}{what}: {} exits within {}s",
                                exits.len(),
                                respawn.period.as_secs_f64()
                            );
                            say(format!("{what} ended with {how}; {msg}"));
                            title(&msg);
                            state = State::GaveUp;
                        } else {
                            let delay = backoff(exits.len());
                            say(format!(
                                "{what} ended with {how}; respawn {} in {delay:?}",
                                exits.len()
                            ));
                            state = State::Backoff(now + delay);
                        }
                    }
                    TERM | INT | HUP | USR1 | USR2 => {
                        if matches!(sig, TERM | INT) {
                            stopping = true;
                        }
                        if let Some(p) = pid_of(child) {
                            // Our child: its pid cannot be reused before we
                            // reap it.
                            let _ = daemonry::signal::kill(p, sig);
                        }
                    }
                    _ => {}
                }
            }
            State::Backoff(until) => {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    match spawn(plan, env) {
                        Ok(c) => {
                            if let (Some(l), Some(p)) = (&lock, pid_of(&c)) {
                                let _ = write_pid_of(l, p);
                            }
                            state = State::Running(c);
                        }
                        Err(e) => {
                            say(failure(plan, &e).message);
                            let now = Instant::now();
                            exits.push_back(now);
                            if respawn.max > 0 && exits.len() > respawn.max as usize {
                                let msg = format!(
                                    "{GAVE_UP}{what}: {} failed starts within {}s",
                                    exits.len(),
                                    respawn.period.as_secs_f64()
                                );
                                title(&msg);
                                state = State::GaveUp;
                            } else {
                                state = State::Backoff(now + backoff(exits.len()));
                            }
                        }
                    }
                    continue;
                }
                if let Ok(Some(info)) = set.wait_timeout(left)
                    && matches!(info.signal(), TERM | INT)
                {
                    return finish(lock, foreground);
                }
            }
            State::GaveUp => {
                if let Ok(info) = set.wait()
                    && matches!(info.signal(), TERM | INT)
                {
                    return finish(lock, foreground);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        assert_eq!(backoff(1), Duration::from_millis(100));
        assert_eq!(backoff(2), Duration::from_millis(200));
        assert_eq!(backoff(4), Duration::from_millis(800));
        assert_eq!(backoff(20), BACKOFF_MAX);
        assert_eq!(backoff(usize::MAX), BACKOFF_MAX);
        assert_eq!(backoff(0), BACKOFF_START);
    }
}
