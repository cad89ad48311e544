//! The command line of `daemonry` (SPEC §4), parsed by a pure function:
//! [`parse`] turns the arguments (after the program name) into a typed
//! [`Cli`] or a [`Usage`] error (exit status 64) that names the bad input
//! as the user typed it.
//!
//! Arguments stay `OsString` from start to end: paths, user and group
//! names, environment entries and the command keep every byte, valid UTF-8
//! or not. Nothing here touches the file system or the process; relative
//! paths are resolved later, against the caller's working directory, by
//! [`TypedPath::resolve`].

mod help;
mod value;

pub use help::{help, usage, version};
pub use value::{
    EnvVar, MAX_SCHEDULE_ITEMS, MAX_SECONDS, Retry, Schedule, Step, TypedPath, UserGroup,
    parse_retry, parse_seconds, quote,
};

use daemonry::Signal;
use lexopt::Arg;
use std::ffi::OsString;
use std::time::Duration;

/// The exit status of a usage error (`EX_USAGE`).
pub const EX_USAGE: u8 = 64;

/// How long `stop` waits after its signal before it sends `KILL`, unless
/// `--timeout` or `--retry` says otherwise.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `stop` waits after `KILL` (of the default schedule and a
/// `--timeout`) before it gives up.
pub const KILL_WAIT: Duration = Duration::from_secs(5);

/// How long `start --notify` waits for `READY=1`, unless `--timeout` says
/// otherwise.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(60);

/// `supervise`: respawns allowed within one `--respawn-period` before the
/// supervisor gives up, unless `--respawn-max` says otherwise.
pub const DEFAULT_RESPAWN_MAX: u32 = 10;

/// `supervise`: the window `--respawn-max` counts in.
pub const DEFAULT_RESPAWN_PERIOD: Duration = Duration::from_secs(60);

/// `stop`'s default signal.
pub const STOP_SIGNAL: Signal = Signal::TERM;
/// `reload`'s default signal.
pub const RELOAD_SIGNAL: Signal = Signal::HUP;

/// A usage error: the message (without the program name) names the option
/// and the input as typed. Exit status [`EX_USAGE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    message: String,
}

impl Usage {
    /// A usage error with this message.
    pub fn new(message: impl Into<String>) -> Usage {
        Usage {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Usage {}

/// How much the tool says: `-q` prints only errors, `-v` also says what it
/// does step by step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// The default: results (`started <pid>`, `running <pid>`, …) and errors.
    #[default]
    Normal,
    /// `-v`: also each step.
    Verbose,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cli {
    /// `-q` / `-v`.
    pub verbosity: Verbosity,
    /// What to do.
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    /// `start`
    Start,
    /// `status`
    Status,
    /// `stop`
    Stop,
    /// `restart`
    Restart,
    /// `reload`
    Reload,
    /// `supervise`
    Supervise,
    /// `names`
    Names,
}

impl Sub {
    /// Every subcommand, in help order.
    pub const ALL: [Sub; 7] = [
        Sub::Start,
        Sub::Status,
        Sub::Stop,
        Sub::Restart,
        Sub::Reload,
        Sub::Supervise,
        Sub::Names,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Sub::Start => "start",
            Sub::Status => "status",
            Sub::Stop => "stop",
            Sub::Restart => "restart",
            Sub::Reload => "reload",
            Sub::Supervise => "supervise",
            Sub::Names => "names",
        }
    }

    fn from_arg(s: &std::ffi::OsStr) -> Option<Sub> {
        Sub::ALL.into_iter().find(|sub| s == sub.name())
    }

    /// Whether it starts a command (takes the start options and CMD).
    fn starts(self) -> bool {
        matches!(self, Sub::Start | Sub::Restart | Sub::Supervise)
    }

    /// Whether it stops a daemon (takes `--retry`).
    fn stops(self) -> bool {
        matches!(self, Sub::Stop | Sub::Restart)
    }
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `start`: run CMD as a daemon.
    Start(Start),
    /// `status`: report on the pidfile's holder.
    Status(Status),
    /// `stop`: end the verified holder(s).
    Stop(Stop),
    /// `restart`: `stop`, then `start` with the same options.
    Restart(Stop, Start),
    /// `reload`: send a signal (HUP) to the verified holder(s), wait for
    /// nothing.
    Reload(Reload),
    /// `supervise`: a supervisor process that holds the lock and respawns
    /// CMD.
    Supervise(Start, Respawn),
    /// `names`: the signal and errno tables.
    Names,
    /// `--help`, `help [SUBCOMMAND]`.
    Help(Option<Sub>),
    /// `--version`.
    Version,
}

/// `start` (and the start half of `restart` and `supervise`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// `--pidfile P`.
    pub pidfile: TypedPath,
    /// Where CMD's stdout goes: `--stdout`, else `--logfile`, else
    /// `/dev/null` (or, with `--foreground`, unchanged).
    pub stdout: Option<TypedPath>,
    /// Where CMD's stderr goes: `--stderr`, else `--logfile`.
    pub stderr: Option<TypedPath>,
    /// `--user U` (a name, or digits meaning a uid).
    pub user: Option<OsString>,
    /// `--group G`, or the `G` of `--user U:G`.
    pub group: Option<OsString>,
    /// `--umask`, as mode bits.
    pub umask: Option<u32>,
    /// `--workdir D` (inside the `--chroot` if one is given; default `/`).
    pub workdir: Option<TypedPath>,
    /// `--chroot DIR`.
    pub chroot: Option<TypedPath>,
    /// `--nice N`.
    pub nice: Option<i32>,
    /// `--env K=V`, in order (a later entry for the same name wins).
    pub env: Vec<EnvVar>,
    /// `--clear-env`: CMD starts with only the `--env` entries.
    pub clear_env: bool,
    /// `--foreground`: do everything but detach.
    pub foreground: bool,
    /// `--notify`: wait for CMD's `READY=1`.
    pub notify: bool,
    /// How long `--notify` waits (`--timeout`).
    pub ready_timeout: Duration,
    /// `--no-new-privs`.
    pub no_new_privs: bool,
    /// `--test`: check everything, start nothing.
    pub test: bool,
    /// CMD and its arguments (never empty).
    pub command: Vec<OsString>,
}

/// `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `--pidfile P`.
    pub pidfile: TypedPath,
}

/// `stop` (and the stop half of `restart`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// `--pidfile P`.
    pub pidfile: TypedPath,
    /// What to send and how long to wait: from `--retry`, or `--signal`
    /// and `--timeout` (`SIGNAL/TIMEOUT/KILL/5`).
    pub schedule: Schedule,
    /// `--test`: say what would be signalled, signal nothing.
    pub test: bool,
}

/// `reload`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reload {
    /// `--pidfile P`.
    pub pidfile: TypedPath,
    /// `--signal` (default `HUP`).
    pub signal: Signal,
    /// `--test`: say what would be signalled, signal nothing.
    pub test: bool,
}

/// `supervise`'s respawn limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Respawn {
    /// `--respawn-max N`: the supervisor gives up when CMD exits
    /// unexpectedly more than N times within one period (0: never).
    pub max: u32,
    /// `--respawn-period S`.
    pub period: Duration,
}

/// Every option, as collected before the subcommand's rules apply.
#[derive(Default)]
struct Raw {
    pidfile: Option<TypedPath>,
    logfile: Option<TypedPath>,
    stdout: Option<TypedPath>,
    stderr: Option<TypedPath>,
    user: Option<UserGroup>,
    group: Option<OsString>,
    umask: Option<u32>,
    workdir: Option<TypedPath>,
    chroot: Option<TypedPath>,
    nice: Option<i32>,
    env: Vec<EnvVar>,
    clear_env: bool,
    foreground: bool,
    notify: bool,
    timeout: Option<Duration>,
    no_new_privs: bool,
    test: bool,
    signal: Option<Signal>,
    retry: Option<Retry>,
    respawn_max: Option<u32>,
    respawn_period: Option<Duration>,
    command: Vec<OsString>,
}

/// Which subcommands take an option (by its long name).
fn accepts(sub: Sub, long: &str) -> bool {
    match long {
        "pidfile" => sub != Sub::Names,
        "logfile" | "stdout" | "stderr" | "user" | "group" | "umask" | "workdir" | "chroot"
        | "nice" | "env" | "clear-env" | "foreground" | "notify" | "no-new-privs" => sub.starts(),
        "timeout" => sub.starts() || sub.stops(),
        "test" => !matches!(sub, Sub::Status | Sub::Names),
        "signal" => sub.stops() || sub == Sub::Reload,
        "retry" => sub.stops(),
        "respawn-max" | "respawn-period" => sub == Sub::Supervise,
        _ => false,
    }
}

/// Stores `value` in `slot`, refusing a second occurrence.
fn once<T>(slot: &mut Option<T>, flag: &str, value: T) -> Result<(), Usage> {
    if slot.is_some() {
        return Err(Usage::new(format!("{flag} is given twice")));
    }
    *slot = Some(value);
    Ok(())
}

/// Turns a lexopt error into ours, naming the input.
fn lex(e: lexopt::Error) -> Usage {
    match e {
        lexopt::Error::MissingValue { option: Some(o) } => Usage::new(format!("{o} needs a value")),
        lexopt::Error::UnexpectedValue { option, value } => {
            Usage::new(format!("{option} takes no value (got {})", quote(&value)))
        }
        other => Usage::new(other.to_string()),
    }
}

/// Parses the arguments after the program name.
///
/// # Errors
///
/// A [`Usage`] error for anything that is not SPEC §4's interface: an
/// unknown subcommand or option, an option its subcommand does not take, a
/// missing or malformed value, a missing `--pidfile` or CMD, conflicting
/// options.
///
/// # Examples
///
/// ```
/// use daemonry_cli::args::{parse, Command};
/// let args = ["start", "--pidfile", "/run/x.pid", "--", "sleep", "10"];
/// let cli = parse(&args.map(Into::into)).unwrap();
/// let Command::Start(start) = cli.command else { panic!() };
/// assert_eq!(start.command, ["sleep", "10"]);
/// ```
pub fn parse(args: &[OsString]) -> Result<Cli, Usage> {
    let mut p = lexopt::Parser::from_args(args.iter().cloned());
    let mut verbosity = Verbosity::Normal;
    // Options before the subcommand: -q, -v, --help, --version.
    let sub = loop {
        let arg = p.next().map_err(lex)?;
        match arg {
            None => return Err(Usage::new("a subcommand is missing")),
            Some(Arg::Short('q') | Arg::Long("quiet")) => verbosity = Verbosity::Quiet,
            Some(Arg::Short('v') | Arg::Long("verbose")) => verbosity = Verbosity::Verbose,
            Some(Arg::Short('h') | Arg::Long("help")) => {
                return Ok(Cli {
                    verbosity,
                    command: Command::Help(None),
                });
            }
            Some(Arg::Short('V') | Arg::Long("version")) => {
                return Ok(Cli {
                    verbosity,
                    command: Command::Version,
                });
            }
            Some(Arg::Value(v)) if v == "help" => {
                let topic = match p.next().map_err(lex)? {
                    None => None,
                    Some(Arg::Value(t)) => Some(Sub::from_arg(&t).ok_or_else(|| {
                        Usage::new(format!("help {}: no such subcommand", quote(&t)))
                    })?),
                    Some(other) => return Err(lex(other.unexpected())),
                };
                if let Some(extra) = p.next().map_err(lex)? {
                    return Err(lex(extra.unexpected()));
                }
                return Ok(Cli {
                    verbosity,
                    command: Command::Help(topic),
                });
            }
            Some(Arg::Value(v)) => {
                break Sub::from_arg(&v).ok_or_else(|| {
                    Usage::new(format!(
                        "{} is not a subcommand (start, status, stop, restart, reload, supervise, names)",
                        quote(&v)
                    ))
                })?;
            }
            Some(other) => return Err(lex(other.unexpected())),
        }
    };

    let mut r = Raw::default();
    while let Some(arg) = p.next().map_err(lex)? {
        let long = match arg {
            Arg::Short('q') | Arg::Long("quiet") => {
                verbosity = Verbosity::Quiet;
                continue;
            }
            Arg::Short('v') | Arg::Long("verbose") => {
                verbosity = Verbosity::Verbose;
                continue;
            }
            Arg::Short('h') | Arg::Long("help") => {
                return Ok(Cli {
                    verbosity,
                    command: Command::Help(Some(sub)),
                });
            }
            Arg::Value(v) => {
                if !sub.starts() {
                    return Err(Usage::new(format!(
                        "{}: unexpected argument {}",
                        sub.name(),
                        quote(&v)
                    )));
                }
                // CMD and everything after it, verbatim.
                r.command.push(v);
                r.command.extend(p.raw_args().map_err(lex)?);
                break;
            }
            Arg::Long(l) => l.to_owned(),
            Arg::Short(c) => {
                return Err(Usage::new(format!("unknown option -{c}")));
            }
        };
        let flag = format!("--{long}");
        if !accepts(sub, &long) {
            let known = Sub::ALL.iter().any(|&s| accepts(s, &long));
            return Err(Usage::new(if known {
                format!("{flag} is not an option of {}", sub.name())
            } else {
                format!("unknown option {flag} for {}", sub.name())
            }));
        }
        match long.as_str() {
            "clear-env" => r.clear_env = true,
            "foreground" => r.foreground = true,
            "notify" => r.notify = true,
            "no-new-privs" => r.no_new_privs = true,
            "test" => r.test = true,
            _ => {
                let v = p.value().map_err(lex)?;
                match long.as_str() {
                    "pidfile" => once(&mut r.pidfile, &flag, TypedPath::parse(&flag, v)?)?,
                    "logfile" => once(&mut r.logfile, &flag, TypedPath::parse(&flag, v)?)?,
                    "stdout" => once(&mut r.stdout, &flag, TypedPath::parse(&flag, v)?)?,
                    "stderr" => once(&mut r.stderr, &flag, TypedPath::parse(&flag, v)?)?,
                    "workdir" => once(&mut r.workdir, &flag, TypedPath::parse(&flag, v)?)?,
                    "chroot" => once(&mut r.chroot, &flag, TypedPath::parse(&flag, v)?)?,
                    "user" => once(&mut r.user, &flag, value::parse_user(&v)?)?,
                    "group" => once(&mut r.group, &flag, value::parse_group(v)?)?,
                    "umask" => once(&mut r.umask, &flag, value::parse_umask(&v)?)?,
                    "nice" => once(&mut r.nice, &flag, value::parse_nice(&v)?)?,
                    "env" => r.env.push(value::parse_env(&v)?),
                    "timeout" => once(&mut r.timeout, &flag, parse_seconds(&flag, &v)?)?,
                    "signal" => once(&mut r.signal, &flag, value::parse_signal(&flag, &v)?)?,
                    "retry" => once(&mut r.retry, &flag, parse_retry(&v)?)?,
                    "respawn-max" => {
                        once(&mut r.respawn_max, &flag, value::parse_count(&flag, &v)?)?;
                    }
                    "respawn-period" => {
                        let d = parse_seconds(&flag, &v)?;
                        if d.is_zero() {
                            return Err(Usage::new(format!(
                                "{flag} {}: the period must be longer than 0",
                                quote(&v)
                            )));
                        }
                        once(&mut r.respawn_period, &flag, d)?;
                    }
                    _ => return Err(Usage::new(format!("unknown option {flag}"))),
                }
            }
        }
    }
    let command = build(sub, r)?;
    Ok(Cli { verbosity, command })
}

/// Applies the subcommand's rules to the collected options.
fn build(sub: Sub, r: Raw) -> Result<Command, Usage> {
    let name = sub.name();
    if sub == Sub::Names {
        return Ok(Command::Names);
    }
    let Some(pidfile) = r.pidfile.clone() else {
        return Err(Usage::new(format!("{name} needs --pidfile P")));
    };
    Ok(match sub {
        Sub::Start => Command::Start(start(sub, pidfile, r)?),
        Sub::Status => Command::Status(Status { pidfile }),
        Sub::Stop => Command::Stop(stop(pidfile, &r, r.timeout)?),
        Sub::Restart => {
            // With a --retry schedule, --timeout is --notify's alone.
            let stop_timeout = if r.retry.is_some() && r.notify {
                None
            } else {
                r.timeout
            };
            let stop = stop(pidfile.clone(), &r, stop_timeout)?;
            Command::Restart(stop, start(sub, pidfile, r)?)
        }
        Sub::Reload => Command::Reload(Reload {
            pidfile,
            signal: r.signal.unwrap_or(RELOAD_SIGNAL),
            test: r.test,
        }),
        Sub::Supervise => {
            let respawn = Respawn {
                max: r.respawn_max.unwrap_or(DEFAULT_RESPAWN_MAX),
                period: r.respawn_period.unwrap_or(DEFAULT_RESPAWN_PERIOD),
            };
            Command::Supervise(start(sub, pidfile, r)?, respawn)
        }
        Sub::Names => Command::Names,
    })
}

fn start(sub: Sub, pidfile: TypedPath, r: Raw) -> Result<Start, Usage> {
    let name = sub.name();
    if r.command.is_empty() {
        return Err(Usage::new(format!(
            "{name} needs a command: daemonry {name} --pidfile P [options] -- CMD [ARGS...]"
        )));
    }
    if r.timeout.is_some() && !r.notify && sub != Sub::Restart {
        return Err(Usage::new(format!(
            "--timeout: {name} waits for readiness only with --notify (without it, {name} returns once CMD is exec'd)"
        )));
    }
    let (user, group) = match (r.user, r.group) {
        (Some(UserGroup { group: Some(_), .. }), Some(g)) => {
            return Err(Usage::new(format!(
                "--group {} and the group of --user USER:GROUP both name a group",
                quote(&g)
            )));
        }
        (Some(ug), g) => (Some(ug.user), ug.group.or(g)),
        (None, g) => (None, g),
    };
    Ok(Start {
        pidfile,
        stdout: r.stdout.or_else(|| r.logfile.clone()),
        stderr: r.stderr.or(r.logfile),
        user,
        group,
        umask: r.umask,
        workdir: r.workdir,
        chroot: r.chroot,
        nice: r.nice,
        env: r.env,
        clear_env: r.clear_env,
        foreground: r.foreground,
        notify: r.notify,
        ready_timeout: r.timeout.unwrap_or(DEFAULT_READY_TIMEOUT),
        no_new_privs: r.no_new_privs,
        test: r.test,
        command: r.command,
    })
}

fn stop(pidfile: TypedPath, r: &Raw, timeout: Option<Duration>) -> Result<Stop, Usage> {
    let signal = r.signal.unwrap_or(STOP_SIGNAL);
    let schedule = match (&r.retry, timeout) {
        (Some(_), Some(_)) => {
            return Err(Usage::new(
                "--retry and --timeout both say how long to wait: give one",
            ));
        }
        (Some(Retry::Schedule(_)), _) if r.signal.is_some() => {
            return Err(Usage::new(
                "--signal has no effect with a --retry schedule: put the signal in the schedule (e.g. HUP/30/KILL/5)",
            ));
        }
        (Some(Retry::Schedule(s)), _) => s.clone(),
        (Some(Retry::Timeout(t)), _) => Schedule::simple(signal, *t, *t),
        (None, t) => Schedule::simple(signal, t.unwrap_or(DEFAULT_STOP_TIMEOUT), KILL_WAIT),
    };
    Ok(Stop {
        pidfile,
        schedule,
        test: r.test,
    })
}

#[cfg(test)]
mod tests;
