//! `--help` and `--version` texts.

use super::Sub;

/// The one-screen synopsis printed after a usage error.
pub fn usage() -> &'static str {
    "usage: daemonry [-q|-v] start|supervise --pidfile P [options] -- CMD [ARGS...]
       daemonry [-q|-v] status|stop|reload --pidfile P [options]
       daemonry [-q|-v] restart --pidfile P [options] -- CMD [ARGS...]
       daemonry names | --help | help SUBCOMMAND | --version"
}

/// `daemonry --version`.
pub fn version() -> String {
    format!("daemonry {}", env!("CARGO_PKG_VERSION"))
}

const START_OPTIONS: &str =
    "  --pidfile P          the pidfile: holds CMD's pid, locked for CMD's life (required)
  --logfile L          append CMD's stdout and stderr to L (default /dev/null)
  --stdout L, --stderr L
                       the same for one stream (overrides --logfile for it)
  --user U[:G]         run as user U (name or number) and group G; a number
                       needs no passwd entry: then the group is the same number
                       unless G or --group says otherwise
  --group G            run with group G (name or number)
  --umask MASK         octal umask, e.g. 022
  --workdir D          working directory (inside --chroot; default /)
  --chroot DIR         change the root directory to DIR
  --nice N             niceness, -20..19
  --env K=V            set K=V in CMD's environment (repeatable)
  --clear-env          start CMD with only the --env entries
  --foreground         do everything but detach (no fork, stdio kept)
  --notify             wait for CMD's sd_notify READY=1 (NOTIFY_SOCKET is set)
  --timeout S          how long --notify waits (default 60)
  --no-new-privs       set no_new_privs: CMD can never gain privileges
  --test               check everything, start nothing, change nothing
";

const COMMON: &str = "  -q, --quiet          print errors only
  -v, --verbose        say what is done step by step
  -h, --help           this text
";

/// `--help` text: the overview, or one subcommand's.
pub fn help(topic: Option<Sub>) -> String {
    let common = COMMON;
    match topic {
        None => format!(
            "daemonry: start, inspect, stop and supervise a command as a daemon, with a
verified pidfile lock.

{}

subcommands:
  start      run CMD as a daemon; prints `started <pid>`
  status     running <pid> (0), stale <pid> / invalid (1), stopped (3),
             untrusted / not-a-pidfile / cannot verify (4)
  stop       signal the verified holder(s) and wait for them to exit
  restart    stop, then start with the same options
  reload     send --signal (default HUP) to the verified holder(s)
  supervise  a supervisor holds the lock, runs CMD as its child, forwards
             TERM/INT/HUP/USR1/USR2, respawns CMD with back-off
  names      the signal and errno tables

`daemonry SUBCOMMAND --help` lists a subcommand's options.

exit status: 0 success; 1 other failure (stop: would not die); 3 not running
(status); 4 refused or cannot verify (status, stop, reload); 64 usage;
67 unknown user or group; 69 not ready in time (--notify); 73 pidfile held,
log file not writable; 126 CMD not executable; 127 CMD not found.
",
            usage()
        ),
        Some(Sub::Start) => format!(
            "usage: daemonry start --pidfile P [options] [--] CMD [ARGS...]

Runs CMD as a daemon: double fork, new session, pidfile P holds CMD's pid and
is locked for CMD's life, privileges dropped. Exits 0 once CMD has been
exec'd (with --notify: once it said READY=1), printing `started <pid>`.
Relative paths mean the current directory.

{START_OPTIONS}{common}"
        ),
        Some(Sub::Supervise) => format!(
            "usage: daemonry supervise --pidfile P [options] [--] CMD [ARGS...]

A supervisor process holds the lock on P and runs CMD as its child; P names
CMD and is updated on each respawn. TERM/INT/HUP/USR1/USR2 sent to the
supervisor are forwarded to CMD. When CMD exits unexpectedly it is respawned
after a back-off that doubles from 0.1 s up to 30 s; after more than
--respawn-max exits within --respawn-period the supervisor gives up (status
says so). `stop` ends CMD and the supervisor.

{START_OPTIONS}  --respawn-max N      give up after N respawns in one period (default 10; 0: never)
  --respawn-period S   the period, in seconds (default 60)
{common}"
        ),
        Some(Sub::Status) => format!(
            "usage: daemonry status --pidfile P

Prints `running <pid>` (exit 0), `stale <pid>` or `invalid` (1), `stopped`
(3), or `untrusted …`, `not-a-pidfile`, `cannot verify …` (4).

{common}"
        ),
        Some(Sub::Stop) => format!(
            "usage: daemonry stop --pidfile P [--signal SIG] [--timeout S | --retry SCHEDULE]

Signals only the verified holder(s) of P's lock, through pidfds, then waits
for them to exit. Exit 0 when stopped or not running, 1 when they would not
die, 4 when refused (untrusted, not a pidfile).

  --signal SIG         the first signal (default TERM)
  --timeout S          seconds to wait before KILL (default 10; then 5 more)
  --retry SCHEDULE     start-stop-daemon's schedule: TERM/30/KILL/5 sends TERM,
                       waits up to 30 s, sends KILL, waits up to 5 s; items are
                       signals (TERM, -TERM, -15), seconds, or `forever`
                       (repeat what follows); a bare number N means
                       SIG/N/KILL/N
  --test               say what would be signalled, signal nothing
{common}"
        ),
        Some(Sub::Restart) => format!(
            "usage: daemonry restart --pidfile P [stop and start options] [--] CMD [ARGS...]

`stop` (--signal, --timeout, --retry), then `start` with the remaining
options. --timeout also bounds --notify.

{START_OPTIONS}  --signal SIG, --retry SCHEDULE   as for stop
{common}"
        ),
        Some(Sub::Reload) => format!(
            "usage: daemonry reload --pidfile P [--signal SIG]

Sends SIG (default HUP) to the verified holder(s) of P's lock and waits for
nothing. Exit 0 when sent, 7 when not running, 4 when refused.

  --signal SIG         the signal (default HUP)
  --test               say what would be signalled, signal nothing
{common}"
        ),
        Some(Sub::Names) => "usage: daemonry names

Prints the signal table (`15 SIGTERM`) and the errno table
(`2 ENOENT No such file or directory`).
"
        .to_string(),
    }
}
