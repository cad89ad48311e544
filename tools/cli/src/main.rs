//! `daemonry`: start, inspect and stop a command as a daemon with a
//! pidfile lock, built on daemonry.
//!
//! ```text
//! daemonry start --pidfile P [--logfile L] [--user U] [--group G] [--umask 022]
//!                 [--workdir D] [--foreground] -- CMD ARGS…
//! daemonry status --pidfile P
//! daemonry stop --pidfile P [--signal TERM] [--timeout 10]
//! daemonry names
//! ```
//!
//! `start` runs CMD as a daemon: double fork, new session, stdio on
//! `/dev/null` (or stdout and stderr appended to L), the pidfile P locked
//! while still privileged, privileges dropped, then CMD exec'd in the daemon
//! process itself, so the pidfile holds CMD's pid and CMD inherits the
//! locked pidfile fd: the lock lives exactly as long as CMD. `start` exits 0
//! only once CMD has been exec'd; otherwise it prints one line on stderr and
//! exits 73 (pidfile held, log file not writable), 67 (unknown user or
//! group), 64 (bad usage), 127 (CMD not found), 126 (CMD not executable)
//! or 1. `--foreground` does everything but detach (no fork, stdio kept
//! unless `--logfile`).
//!
//! `status` prints `running <pid>`, `stale <pid>`, `invalid` or `stopped`
//! and exits 0, 1, 1 or 3 (LSB). `stop` signals the daemon through a pidfd
//! (so a recycled pid is never signalled), waits, escalates to SIGKILL at
//! the timeout, removes the pidfile, and exits 0 (or 1 if it would not die);
//! stopping an absent daemon prints `not running` and exits 0. `names`
//! prints the signal and errno tables.

use daemonry::Op;
use daemonry::{
    DaemonContext, Errno, Error, ErrorKind, OnReady, Opened, Output, PidStatus, Pidfile,
};
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const EX_USAGE: u8 = 64;
const EX_NOUSER: u8 = 67;
const EX_CANTCREAT: u8 = 73;

const USAGE: &str = "usage:
  daemonry start --pidfile P [--logfile L] [--user U] [--group G] [--umask 022]
                  [--workdir D] [--foreground] -- CMD ARGS...
  daemonry status --pidfile P
  daemonry stop --pidfile P [--signal TERM] [--timeout 10]
  daemonry names";

/// Parsed command line.
#[derive(Default)]
struct Opts {
    pidfile: Option<CString>,
    logfile: Option<CString>,
    user: Option<String>,
    group: Option<String>,
    umask: Option<String>,
    workdir: Option<CString>,
    foreground: bool,
    signal: Option<String>,
    timeout: Option<String>,
    command: Vec<OsString>,
}

fn cstring(flag: &str, v: OsString) -> Result<CString, String> {
    CString::new(v.as_bytes()).map_err(|_| format!("{flag}: contains a NUL byte"))
}

fn text(flag: &str, v: OsString) -> Result<String, String> {
    v.into_string()
        .map_err(|_| format!("{flag}: not valid UTF-8"))
}

/// Parses `--flag value` and `--flag=value` options, then `-- CMD ARGS…`.
fn parse(args: Vec<OsString>) -> Result<Opts, String> {
    let mut o = Opts::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let s = arg.to_string_lossy().into_owned();
        if s == "--" {
            o.command = it.collect();
            break;
        }
        if s == "--foreground" {
            o.foreground = true;
            continue;
        }
        let (flag, inline) = match s.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(OsString::from(v))),
            _ => (s.clone(), None),
        };
        let known = [
            "--pidfile",
            "--logfile",
            "--user",
            "--group",
            "--umask",
            "--workdir",
            "--signal",
            "--timeout",
        ];
        if !known.contains(&flag.as_str()) {
            return Err(format!("unknown argument {s:?}"));
        }
        let value = match inline {
            Some(v) => v,
            None => it.next().ok_or(format!("{flag} needs a value"))?,
        };
        match flag.as_str() {
            "--pidfile" => o.pidfile = Some(cstring(&flag, value)?),
            "--logfile" => o.logfile = Some(cstring(&flag, value)?),
            "--workdir" => o.workdir = Some(cstring(&flag, value)?),
            "--user" => o.user = Some(text(&flag, value)?),
            "--group" => o.group = Some(text(&flag, value)?),
            "--umask" => o.umask = Some(text(&flag, value)?),
            "--signal" => o.signal = Some(text(&flag, value)?),
            _ => o.timeout = Some(text(&flag, value)?),
        }
    }
    Ok(o)
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("daemonry: {msg}");
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.is_empty() {
        return fail(EX_USAGE, USAGE);
    }
    let sub = args.remove(0);
    let opts = match parse(args) {
        Ok(o) => o,
        Err(e) => return fail(EX_USAGE, format!("{e}\n{USAGE}")),
    };
    match sub.to_str() {
        Some("start") => start(opts),
        Some("status") => status(opts),
        Some("stop") => stop(opts),
        Some("names") => names(),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => fail(EX_USAGE, format!("unknown subcommand {sub:?}\n{USAGE}")),
    }
}

/// The exit status for a start failure.
fn start_code(e: &Error) -> u8 {
    match (e.kind(), e.op(), e.errno()) {
        (ErrorKind::LockFailed, _, _) => EX_CANTCREAT,
        (ErrorKind::UnknownUser | ErrorKind::UnknownGroup, _, _) => EX_NOUSER,
        (_, Op::OpenLog, _) => EX_CANTCREAT,
        (_, Op::Execvpe, Some(Errno::NOENT)) => 127,
        (_, Op::Execvpe, Some(_)) => 126,
        _ => 1,
    }
}

fn start(o: Opts) -> ExitCode {
    let Some(pidfile) = o.pidfile.as_deref() else {
        return fail(EX_USAGE, "start needs --pidfile");
    };
    let Some(cmd) = o.command.first().cloned() else {
        return fail(EX_USAGE, "start needs a command after --");
    };
    // Check what can be checked while the user still sees the terminal.
    let umask = match o.umask.as_deref().map(daemonry::parse_umask).transpose() {
        Ok(m) => m,
        Err(e) => return fail(EX_USAGE, e),
    };
    if let Some(u) = &o.user
        && let Err(e) = daemonry::parse_uid(u)
    {
        return fail(start_code(&e), e);
    }
    if let Some(g) = &o.group
        && let Err(e) = daemonry::parse_gid(g)
    {
        return fail(start_code(&e), e);
    }
    if let Err(e) = daemonry::check_pidlock(pidfile) {
        return fail(start_code(&e), e);
    }

    let out = match &o.logfile {
        Some(l) => Output::append(l),
        None if o.foreground => Output::Inherit,
        None => Output::DevNull,
    };
    let mut ctx = DaemonContext::new()
        .pidfile(pidfile)
        .stdout(out.clone())
        .stderr(out)
        .parent(OnReady::Return)
        .ready_on_open(false)
        .fake(o.foreground)
        .workdir(o.workdir.as_deref().unwrap_or(c"/"));
    if let Some(m) = umask {
        ctx = ctx.umask(m);
    }
    if let Some(u) = &o.user {
        ctx = ctx.user(u.as_str());
    }
    if let Some(g) = &o.group {
        ctx = ctx.group(g.as_str());
    }
    let mut daemon = match ctx.open() {
        Ok(Opened::Original(_pid)) => return ExitCode::SUCCESS,
        Ok(Opened::Daemon(d)) => d,
        Err(e) => return fail(start_code(&e), e),
    };
    // In the daemon (or, with --foreground, still the caller).
    if o.foreground
        && let Some(log) = &o.logfile
        && let Err(e) = redirect_to_log(log)
    {
        return fail(EX_CANTCREAT, e);
    }
    if let Err(e) = daemon.prepare_exec() {
        daemon.fail(e);
    }
    let err = std::process::Command::new(&cmd)
        .args(&o.command[1..])
        .exec();
    let errno = Errno::from_raw_os_error(err.raw_os_error().unwrap_or(libc_eio()));
    let e = Error::os(Op::Execvpe, errno).with_input(cmd.as_bytes());
    if o.foreground {
        return fail(start_code(&e), e);
    }
    daemon.fail(e)
}

fn libc_eio() -> i32 {
    Errno::IO.raw_os_error()
}

/// `--foreground --logfile L`: stdout and stderr appended to L.
fn redirect_to_log(log: &CString) -> Result<(), Error> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(
        log.as_c_str(),
        OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )
    .map_err(|e| Error::os(Op::OpenLog, e).with_input(log.as_bytes()))?;
    rustix::stdio::dup2_stdout(&fd).map_err(|e| Error::os(Op::Dup, e))?;
    rustix::stdio::dup2_stderr(&fd).map_err(|e| Error::os(Op::Dup, e))?;
    Ok(())
}

fn status(o: Opts) -> ExitCode {
    let Some(pidfile) = o.pidfile.as_deref() else {
        return fail(EX_USAGE, "status needs --pidfile");
    };
    match Pidfile::new(pidfile).and_then(|pf| pf.probe()) {
        Ok(PidStatus::Held(Some(p)) | PidStatus::Running(p)) => {
            println!("running {}", p.as_raw_nonzero());
            ExitCode::SUCCESS
        }
        Ok(PidStatus::Held(None)) => {
            println!("running");
            ExitCode::SUCCESS
        }
        Ok(PidStatus::Stale(p)) => {
            println!("stale {}", p.as_raw_nonzero());
            ExitCode::from(1)
        }
        Ok(PidStatus::Invalid) => {
            println!("invalid");
            ExitCode::from(1)
        }
        Ok(PidStatus::Absent) => {
            println!("stopped");
            ExitCode::from(3)
        }
        Ok(other) => fail(4, format!("unexpected status {other:?}")),
        Err(e) => fail(4, e),
    }
}

/// How the target is signalled and watched: through a pidfd, or (kernels
/// before 5.3) through its pid.
enum Target {
    Pidfd(rustix::fd::OwnedFd),
    Pid(daemonry::Pid),
}

impl Target {
    fn signal(&self, sig: rustix::process::Signal) -> rustix::io::Result<()> {
        match self {
            Target::Pidfd(fd) => rustix::process::pidfd_send_signal(fd, sig),
            Target::Pid(p) => rustix::process::kill_process(*p, sig),
        }
    }

    /// Waits up to `timeout` for the process to exit (a zombie counts:
    /// PID 1 may reap it late). Returns whether it did.
    fn wait_exit(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        match self {
            Target::Pidfd(fd) => loop {
                let left = deadline.saturating_duration_since(Instant::now());
                let ts = rustix::time::Timespec {
                    tv_sec: left.as_secs() as i64,
                    tv_nsec: i64::from(left.subsec_nanos()),
                };
                let mut fds = [rustix::event::PollFd::new(fd, rustix::event::PollFlags::IN)];
                match rustix::event::poll(&mut fds, Some(&ts)) {
                    Ok(n) if n > 0 => return true,
                    Ok(_) => return false,
                    Err(Errno::INTR) => continue,
                    Err(_) => return false,
                }
            },
            Target::Pid(p) => loop {
                if !alive(*p) {
                    return true;
                }
                if Instant::now() >= deadline {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(20));
            },
        }
    }
}

/// Whether `pid` names a live process (not gone, not a zombie).
fn alive(pid: daemonry::Pid) -> bool {
    match std::fs::read(format!("/proc/{}/stat", pid.as_raw_nonzero())) {
        Ok(stat) => {
            let after = stat
                .iter()
                .rposition(|&b| b == b')')
                .map(|i| &stat[i + 1..]);
            !matches!(
                after.and_then(|a| a.iter().find(|b| !b.is_ascii_whitespace())),
                Some(b'Z' | b'X')
            )
        }
        Err(_) => false,
    }
}

fn stop(o: Opts) -> ExitCode {
    let Some(pidfile) = o.pidfile.as_deref() else {
        return fail(EX_USAGE, "stop needs --pidfile");
    };
    let sig = match daemonry::parse_signal(o.signal.as_deref().unwrap_or("TERM")) {
        Ok(s) => match s.to_rustix() {
            Some(s) => s,
            None => return fail(EX_USAGE, format!("--signal: {s} cannot be sent by stop")),
        },
        Err(e) => return fail(EX_USAGE, e),
    };
    let timeout = match o.timeout.as_deref().map(str::parse::<f64>).transpose() {
        Ok(t) if t.is_none_or(|t| t.is_finite() && t >= 0.0) => {
            Duration::from_secs_f64(t.unwrap_or(10.0))
        }
        _ => return fail(EX_USAGE, "--timeout: expected seconds, e.g. 10 or 0.5"),
    };
    let pf = match Pidfile::new(pidfile) {
        Ok(pf) => pf,
        Err(e) => return fail(1, e),
    };
    let pid = match pf.probe() {
        Ok(PidStatus::Held(Some(p)) | PidStatus::Running(p)) => p,
        Ok(PidStatus::Held(None)) => {
            return fail(1, "pidfile is locked but holds no valid pid");
        }
        Ok(PidStatus::Stale(_) | PidStatus::Invalid) => {
            let _ = pf.remove_if_stale();
            println!("not running");
            return ExitCode::SUCCESS;
        }
        Ok(_) => {
            println!("not running");
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(1, e),
    };
    // Pin the process, then make sure the pidfile still names it and is
    // still live: a pid recycled in between is never signalled.
    let target = match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
        Ok(fd) => Target::Pidfd(fd),
        Err(Errno::NOSYS) => Target::Pid(pid),
        Err(Errno::SRCH) => {
            let _ = pf.remove_if_stale();
            println!("not running");
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(1, Error::os(Op::Kill, e)),
    };
    match pf.probe() {
        Ok(s) if s.is_live() && s.pid() == Some(pid) => {}
        _ => {
            let _ = pf.remove_if_stale();
            println!("not running");
            return ExitCode::SUCCESS;
        }
    }
    if let Err(e) = target.signal(sig)
        && e != Errno::SRCH
    {
        return fail(1, Error::os(Op::Kill, e));
    }
    let mut died = target.wait_exit(timeout);
    if !died {
        eprintln!(
            "daemonry: pid {} did not exit within {timeout:?}; sending SIGKILL",
            pid.as_raw_nonzero()
        );
        let _ = target.signal(rustix::process::Signal::KILL);
        died = target.wait_exit(Duration::from_secs(5));
    }
    if !died {
        return fail(1, format!("pid {} would not die", pid.as_raw_nonzero()));
    }
    // The daemon is gone; its lock went with it. Remove the file unless a
    // new holder took the path meanwhile.
    let _ = pf.remove_if_stale();
    ExitCode::SUCCESS
}

fn names() -> ExitCode {
    for s in daemonry::signal::all() {
        println!("{} {}", s.number(), s);
    }
    for (e, name, desc) in daemonry::errno::all() {
        println!("{} {name} {desc}", e.raw_os_error());
    }
    ExitCode::SUCCESS
}
