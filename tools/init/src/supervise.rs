//! The init proper: block signals, spawn PROGRAM in its own process group,
//! then take each signal synchronously, forward it, and reap every zombie
//! until PROGRAM has exited. tini's `main`, `spawn`, `wait_and_forward_signal`
//! and `reap_zombies`, on daemonry.
//!
//! # Safety
//!
//! [`run`] forks with `SingleThreaded::assume().fork()`. daemonry-init never
//! starts a thread and has no allocator or libc, and the child only makes
//! system calls (through daemonry's async-signal-safe core and rustix)
//! before it execs or exits, so the raw fork's contract holds without
//! asking the kernel: under qemu-user (a foreign-architecture container)
//! the emulator's own helper thread would make `daemonry::fork`'s check
//! refuse, and daemonry-init could never start its program. fd 0 is
//! borrowed by number for `tcsetpgrp` (a closed fd 0 is an `EBADF` we
//! handle).

#![allow(unsafe_code)]

use core::ffi::CStr;

use daemonry::process::{self, CStrArray, ChildExit};
use daemonry::signal::{self, Disposition, SigSet};
use daemonry::{Errno, Fork, Pid, Signal};
use rustix::fd::BorrowedFd;

use crate::args::{ExitSet, Options};
#[cfg(any(feature = "user", feature = "pidfile"))]
use crate::msg::Part::Dk;
use crate::msg::Part::{E, N, S, Sig};
use crate::msg::{Level, Log, Part};

/// Signals daemonry-init leaves unblocked (tini's list): faults and traps that
/// concern daemonry-init itself and must take effect at once.
const FOR_DKINIT: [Signal; 7] = [
    Signal::ILL,
    Signal::TRAP,
    Signal::ABORT,
    Signal::BUS,
    Signal::FPE,
    Signal::SEGV,
    Signal::SYS,
];

/// Every signal daemonry-init blocks and takes in its loop: all of 1..=64 but
/// [`FOR_DKINIT`] (the kernel never blocks SIGKILL and SIGSTOP).
pub fn waited_signals() -> SigSet {
    let mut set = SigSet::FULL;
    for sig in FOR_DKINIT {
        set.remove(sig);
    }
    set
}

/// The status daemonry-init exits with when PROGRAM ended with `exit`: its code,
/// or 128 + the signal number, and 0 when that number was given to `-e`.
pub fn exit_status(exit: ChildExit, remap: &ExitSet) -> u8 {
    let code = exit.shell_code();
    if remap.contains(code) { 0 } else { code }
}

/// What the child must restore before exec.
struct Inherited {
    /// The signal mask daemonry-init started with.
    mask: SigSet,
    /// SIGCHLD was ignored when daemonry-init started (daemonry-init takes it back to
    /// see its child exit; the program gets it ignored again).
    sigchld_ignored: bool,
}

/// Runs PROGRAM (`program`, argv\[0\] first) with `envp` under
/// supervision; returns the status to exit with.
pub fn run(opts: &Options<'_>, program: CStrArray<'_>, envp: CStrArray<'_>) -> i32 {
    let log = Log::new(opts.verbosity);
    let waited = waited_signals();

    let mask = match signal::block(&waited) {
        Ok(old) => old,
        Err(e) => return fatal(&log, &[S(b"sigprocmask failed: '"), E(errno(e)), S(b"'")]),
    };
    let sigchld_ignored = matches!(signal::handler(Signal::CHILD), Ok(Disposition::Ignore));
    if sigchld_ignored && signal::reset(&[Signal::CHILD]).is_err() {
        return fatal(&log, &[S(b"Failed to reset the ignored SIGCHLD")]);
    }
    let inherited = Inherited {
        mask,
        sigchld_ignored,
    };

    if let Some(sig) = opts.pdeathsig
        && set_pdeathsig(sig).is_err()
    {
        return fatal(&log, &[S(b"Failed to set up parent death signal")]);
    }
    if opts.subreaper {
        match process::set_child_subreaper(true) {
            Ok(()) => log.emit(Level::Trace, &[S(b"Registered as child subreaper")]),
            Err(e) if e.errno() == Some(Errno::INVAL) => {
                return fatal(
                    &log,
                    &[S(
                        b"PR_SET_CHILD_SUBREAPER is unavailable on this platform. \
Are you using Linux >= 3.4?",
                    )],
                );
            }
            Err(e) => {
                return fatal(
                    &log,
                    &[S(b"Failed to register as child subreaper: "), E(errno(e))],
                );
            }
        }
    }
    reaper_check(&log);

    #[cfg(feature = "pidfile")]
    let mut path = [0u8; PATH_MAX];
    #[cfg(feature = "pidfile")]
    let lock = match opts.pidfile {
        None => None,
        Some(p) => {
            let Some(cpath) = c_path(&mut path, p) else {
                return fatal(&log, &[S(b"Pidfile path too long: "), S(p)]);
            };
            match daemonry::create_pidlock(cpath) {
                Ok(lock) => Some(lock),
                Err(e) => {
                    log.emit(
                        Level::Fatal,
                        &[S(b"Failed to create pidfile '"), S(p), S(b"': "), Dk(e)],
                    );
                    return daemonry::EX_CANTCREAT;
                }
            }
        }
    };
    let status = supervise(opts, &log, &waited, program, envp, &inherited);
    #[cfg(feature = "pidfile")]
    if let Some(lock) = lock
        && let Err(e) = lock.release()
    {
        log.emit(Level::Warn, &[S(b"Failed to remove the pidfile: "), Dk(e)]);
    }
    status
}

/// `PATH_MAX`: room for a `--pidfile` path and its NUL.
#[cfg(feature = "pidfile")]
const PATH_MAX: usize = 4096;

/// `bytes` (from argv: no NUL inside) as a C string in `buf`; `None` when
/// too long.
#[cfg(feature = "pidfile")]
fn c_path<'b>(buf: &'b mut [u8; PATH_MAX], bytes: &[u8]) -> Option<&'b CStr> {
    let dst = buf.get_mut(..bytes.len())?;
    dst.copy_from_slice(bytes);
    *buf.get_mut(bytes.len())? = 0;
    CStr::from_bytes_with_nul(buf.get(..=bytes.len())?).ok()
}

/// Spawns PROGRAM and runs the signal and reaping loop until it exits;
/// returns the status to exit with.
fn supervise(
    opts: &Options<'_>,
    log: &Log,
    waited: &SigSet,
    program: CStrArray<'_>,
    envp: CStrArray<'_>,
    inherited: &Inherited,
) -> i32 {
    let log = *log;
    let Some(name) = program.first() else {
        return fatal(&log, &[S(b"no program to run")]);
    };
    // SAFETY: see the module's `# Safety`: no thread of ours, and the child
    // only makes system calls until it execs or exits.
    let child = match unsafe { process::SingleThreaded::assume().fork() } {
        Ok(Fork::Child) => child(opts, &log, name, program, envp, inherited),
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => return fatal(&log, &[S(b"fork failed: "), E(errno(e))]),
    };
    log.emit(
        Level::Info,
        &[
            S(b"Spawned child process '"),
            S(name.to_bytes()),
            S(b"' with pid '"),
            N(raw(child)),
            S(b"'"),
        ],
    );

    loop {
        match waited.wait() {
            Ok(info) => {
                if let Err(status) = forward(opts, &log, child, info.signal()) {
                    return status;
                }
            }
            Err(e) if matches!(e.errno(), Some(Errno::INTR | Errno::AGAIN)) => {}
            Err(e) => {
                return fatal(
                    &log,
                    &[
                        S(b"Unexpected error in sigtimedwait: '"),
                        E(errno(e)),
                        S(b"'"),
                    ],
                );
            }
        }
        match reap(opts, &log, child) {
            Ok(Some(status)) => {
                log.emit(Level::Trace, &[S(b"Exiting: child has exited")]);
                return i32::from(status);
            }
            Ok(None) => {}
            Err(status) => return status,
        }
    }
}

/// Sets our parent-death signal. If the parent died during the call, the
/// signal will never come: send it to ourselves now (it is blocked, so the
/// loop forwards it), which is what it would have done.
fn set_pdeathsig(sig: i32) -> Result<(), daemonry::Error> {
    let signal = Signal::from_raw(sig);
    match (daemonry::set_pdeathsig(signal), signal) {
        (Err(e), Some(sig)) if e.errno() == Some(Errno::SRCH) => {
            signal::kill(rustix::process::getpid(), sig)
        }
        (other, _) => other.map(drop),
    }
}

/// tini's `reaper_check`: warn when orphans will not come to us.
fn reaper_check(log: &Log) {
    if rustix::process::getpid().is_init() {
        return;
    }
    match process::is_child_subreaper() {
        Ok(true) => return,
        Ok(false) => {}
        Err(e) => log.emit(
            Level::Debug,
            &[
                S(b"Failed to read child subreaper attribute: "),
                E(errno(e)),
            ],
        ),
    }
    log.emit(
        Level::Warn,
        &[S(
            b"daemonry-init is not running as PID 1 and isn't registered as a child subreaper.\n\
Zombie processes will not be re-parented to daemonry-init, so zombie reaping won't work.\n\
To fix the problem, use the -s option or set the environment variable TINI_SUBREAPER \
to register daemonry-init as a child subreaper, or run daemonry-init as PID 1.",
        )],
    );
}

/// The child's side of the fork: own process group, terminal foreground,
/// the inherited signal configuration, then exec. Never returns.
fn child(
    opts: &Options<'_>,
    log: &Log,
    name: &CStr,
    program: CStrArray<'_>,
    envp: CStrArray<'_>,
    inherited: &Inherited,
) -> ! {
    if let Err(e) = process::setpgid(None, None) {
        child_fatal(log, b"setpgid failed: ", e);
    }
    // We may change the foreground group while in the background because
    // SIGTTOU is still blocked here. Done in the child, as tini does, so
    // that an init started by an init cannot end up in the background.
    // SAFETY: fd 0 borrowed for one ioctl; closed is EBADF, handled below.
    let stdin = unsafe { BorrowedFd::borrow_raw(0) };
    if let Err(e) = process::tcsetpgrp(stdin, process::getpgrp()) {
        let why: &[u8] = match e.errno() {
            Some(Errno::NOTTY) => b"no tty",
            Some(Errno::NXIO) => b"no such device",
            // tini treats a closed stdin as fatal; there is no terminal to
            // hand over either way.
            Some(Errno::BADF) => b"stdin is closed",
            _ => child_fatal(log, b"tcsetpgrp failed: ", e),
        };
        log.emit(
            Level::Debug,
            &[S(b"tcsetpgrp failed: "), S(why), S(b" (ok to proceed)")],
        );
    }
    // --user: the program's credentials (daemonry-init keeps its own). Signals
    // are still blocked here, so nothing interrupts the change.
    #[cfg(feature = "user")]
    if let Some(user) = opts.user
        && let Err(e) = drop_to(user)
    {
        log.emit(Level::Fatal, &[S(b"Failed to drop privileges: "), Dk(e)]);
        daemonry::exit_immediately(1);
    }
    if inherited.sigchld_ignored
        && let Err(e) = signal::ignore(&[Signal::CHILD])
    {
        child_fatal(log, b"Restoring SIGCHLD disposition failed: ", e);
    }
    if let Err(e) = signal::set_mask(&inherited.mask) {
        child_fatal(log, b"Restoring child signal mask failed: ", e);
    }
    if opts.close_fds
        && let Err(e) = daemonry::close_open_fds(&[0, 1, 2])
    {
        child_fatal(log, b"Closing inherited fds failed: ", e);
    }
    let e = process::execvpe(name, program, envp);
    let status = match e.errno() {
        Some(Errno::NOENT) => 127,
        Some(Errno::ACCESS) => 126,
        _ => 1,
    };
    log.emit(
        Level::Fatal,
        &[
            S(b"exec "),
            S(name.to_bytes()),
            S(b" failed: "),
            E(errno(e)),
        ],
    );
    daemonry::exit_immediately(status)
}

fn child_fatal(log: &Log, what: &[u8], e: daemonry::Error) -> ! {
    log.emit(Level::Fatal, &[S(what), E(errno(e))]);
    daemonry::exit_immediately(1)
}

/// Handles one signal taken from the queue: SIGCHLD means "reap";
/// SIGTTIN/SIGTTOU are dropped (tini ignores them); anything else goes to
/// the child (or its group). `Err` carries the status to exit with.
fn forward(opts: &Options<'_>, log: &Log, child: Pid, sig: Signal) -> Result<(), i32> {
    if sig == Signal::CHILD {
        log.emit(Level::Debug, &[S(b"Received SIGCHLD")]);
        return Ok(());
    }
    if sig == Signal::TTIN || sig == Signal::TTOU {
        log.emit(
            Level::Debug,
            &[S(b"Ignoring signal: '"), Sig(sig.as_raw()), S(b"'")],
        );
        return Ok(());
    }
    log.emit(
        Level::Debug,
        &[S(b"Passing signal: '"), Sig(sig.as_raw()), S(b"'")],
    );
    let sent = if opts.kill_group {
        signal::kill_group(child, sig)
    } else {
        signal::kill(child, sig)
    };
    match sent {
        Ok(()) => Ok(()),
        Err(e) if e.errno() == Some(Errno::SRCH) => {
            log.emit(Level::Warn, &[S(b"Child was dead when forwarding signal")]);
            Ok(())
        }
        Err(e) => Err(fatal(
            log,
            &[
                S(b"Unexpected error when forwarding signal: '"),
                E(errno(e)),
                S(b"'"),
            ],
        )),
    }
}

/// Reaps every zombie; `Ok(Some(status))` once the child was among them.
/// `Err` carries the status to exit with.
fn reap(opts: &Options<'_>, log: &Log, child: Pid) -> Result<Option<u8>, i32> {
    let mut result = None;
    for reaped in process::reap_zombies() {
        let (pid, exit) = match reaped {
            Ok(r) => r,
            Err(e) => {
                return Err(fatal(
                    log,
                    &[S(b"Error while waiting for pids: '"), E(errno(e)), S(b"'")],
                ));
            }
        };
        log.emit(
            Level::Debug,
            &[S(b"Reaped child with pid: '"), N(raw(pid)), S(b"'")],
        );
        if pid == child {
            let how = match exit {
                ChildExit::Exited(code) => [
                    S(b"Main child exited normally (with status '"),
                    N(i32::from(code)),
                ],
                ChildExit::Signaled { signal, .. } => [
                    S(b"Main child exited with signal (with signal '"),
                    Sig(signal.as_raw()),
                ],
            };
            let [what, value] = how;
            log.emit(Level::Info, &[what, value, S(b"')")]);
            result = Some(exit_status(exit, &opts.remap));
        } else if opts.warn_on_reap {
            log.emit(
                Level::Warn,
                &[S(b"Reaped zombie process with pid="), N(raw(pid))],
            );
        }
    }
    Ok(result)
}

/// `--user USER[:GROUP]`: each part a name or a number, as on a command
/// line.
#[cfg(feature = "user")]
fn drop_to(user: crate::args::User<'_>) -> daemonry::Result<()> {
    use daemonry::account::{GroupRef, UserRef};
    let u = user.user.map(UserRef::parse).transpose()?;
    let g = user.group.map(GroupRef::parse).transpose()?;
    daemonry::drop_privileges(u, g)
}

fn raw(pid: Pid) -> i32 {
    pid.as_raw_nonzero().get()
}

fn errno(e: daemonry::Error) -> Errno {
    e.errno().unwrap_or(Errno::INVAL)
}

/// Prints a fatal message; returns tini's status for it (1).
fn fatal(log: &Log, parts: &[Part<'_>]) -> i32 {
    log.emit(Level::Fatal, parts);
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses() {
        let mut remap = ExitSet::default();
        remap.insert(3);
        remap.insert(128 + Signal::TERM.as_raw() as u8);
        assert_eq!(exit_status(ChildExit::Exited(3), &remap), 0);
        assert_eq!(exit_status(ChildExit::Exited(4), &remap), 4);
        let term = ChildExit::Signaled {
            signal: Signal::TERM,
            core_dumped: false,
        };
        assert_eq!(exit_status(term, &remap), 0);
        let usr1 = ChildExit::Signaled {
            signal: Signal::USR1,
            core_dumped: true,
        };
        assert_eq!(exit_status(usr1, &remap), 128 + Signal::USR1.as_raw() as u8);
        for code in 0..=255u8 {
            assert_eq!(
                exit_status(ChildExit::Exited(code), &ExitSet::default()),
                code
            );
        }
    }

    #[test]
    fn waited_set() {
        let set = waited_signals();
        for sig in SigSet::FULL {
            let n = sig.as_raw();
            assert_eq!(set.contains(sig), !FOR_DKINIT.contains(&sig), "{n}");
        }
        assert!(set.contains(Signal::CHILD) && set.contains(Signal::TTOU));
        assert!(set.contains(Signal::TERM));
    }
}
