//! Is the process a pidfile names still the one that wrote it?
//!
//! Used only for files whose `flock` nobody holds: files left by a dead
//! daemonry holder, or written by tools that never lock (celery, the
//! `pidlock` crate, `echo $$ > file`). The rule, in order:
//!
//! 1. our own pid → stale (a container restarted and we are pid 1 again);
//! 2. `kill(pid, 0)` says `ESRCH` → stale;
//! 3. `/proc/<pid>/stat` shows state `Z` (zombie) or `X` → stale: a dead
//!    process that nobody has reaped yet still answers `kill(pid, 0)`;
//! 4. the process started more than [`REUSE_SLACK_NS`] after the file's
//!    mtime → stale: the pid was reused by a newer process;
//! 5. otherwise alive, `EPERM` from `kill` included (another user's live
//!    process is alive; celery calls it stale since celery#5409, which lets
//!    an unprivileged starter delete a root daemon's lock).

use crate::cstr::proc_path;
use crate::procfs::{read_file, stat_field};
use rustix::io::Errno;
use rustix::process::{self, Pid};
use rustix::time::{ClockId, clock_gettime};

/// Slack when comparing a process's start time with a pidfile's mtime:
/// one second.
///
/// The start time is known to 1/`USER_HZ` (10 ms) and the boot time is
/// exact (`CLOCK_REALTIME - CLOCK_BOOTTIME`), but file timestamps come from
/// the kernel's coarse clock (up to one jiffy behind) and some filesystems
/// keep whole seconds only (ext3, some network filesystems). A live
/// process can therefore look up to about a second "younger" than a file
/// it wrote itself; the slack absorbs that. The price: a pid reused within
/// a second of the file being written is judged alive (the conservative
/// direction: a restart is refused, a live holder is never displaced).
pub(crate) const REUSE_SLACK_NS: i128 = 1_000_000_000;

/// What the liveness rule found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The process is alive and started before the file was written.
    Alive,
    /// Our own pid, no such process, a zombie, or a newer process.
    Stale,
}

/// Applies the rule to `pid` for a file last modified at `mtime_ns`
/// (nanoseconds since the epoch).
pub(crate) fn judge(pid: Pid, mtime_ns: i128) -> Verdict {
    if pid == process::getpid() {
        return Verdict::Stale;
    }
    // Ok or EPERM (alive, another user's) or another errno: look closer.
    if let Err(Errno::SRCH) = process::test_kill_process(pid) {
        return Verdict::Stale;
    }
    let mut buf = [0u8; 2048];
    let path = proc_path(Some(pid.as_raw_nonzero().get() as u32), b"stat");
    let stat = match path.as_cstr().and_then(|p| read_file(p, &mut buf)) {
        Ok(stat) => stat,
        Err(_) => {
            // Gone in the meantime, or no /proc (then pid reuse cannot be
            // told, and kill's answer stands).
            return match process::test_kill_process(pid) {
                Err(Errno::SRCH) => Verdict::Stale,
                _ => Verdict::Alive,
            };
        }
    };
    match stat_field(stat, 3) {
        Some(b"Z" | b"X" | b"x") => return Verdict::Stale,
        Some(_) => {}
        None => return Verdict::Alive,
    }
    match start_time_ns(stat) {
        Some(start) if start > mtime_ns + REUSE_SLACK_NS => Verdict::Stale,
        _ => Verdict::Alive,
    }
}

/// When the process of a `/proc/<pid>/stat` line started, in nanoseconds
/// since the epoch: boot time plus field 22 (`starttime`, clock ticks
/// since boot).
///
/// The boot time is `CLOCK_REALTIME - CLOCK_BOOTTIME` now, which is what
/// `btime` in `/proc/stat` reports, but to the nanosecond instead of the
/// second (and without reading a file that grows with the number of CPUs
/// and interrupts). Like `btime`, it moves when the wall clock is stepped;
/// see the pidfile module docs.
pub(crate) fn start_time_ns(stat: &[u8]) -> Option<i128> {
    let ticks = crate::num::parse_u64(stat_field(stat, 22)?)?;
    let hz = rustix::param::clock_ticks_per_second();
    if hz == 0 {
        return None;
    }
    let boot = boot_time_ns()?;
    Some(boot + i128::from(ticks) * 1_000_000_000 / i128::from(hz))
}

/// `clock_gettime(2)` of `clock`, in nanoseconds.
fn now_ns(clock: ClockId) -> i128 {
    let t = clock_gettime(clock);
    i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec)
}

/// The wall-clock time of boot, in nanoseconds since the epoch.
pub(crate) fn boot_time_ns() -> Option<i128> {
    Some(now_ns(ClockId::Realtime) - now_ns(ClockId::Boottime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_pid_is_stale() {
        assert_eq!(judge(process::getpid(), i128::MAX / 2), Verdict::Stale);
    }

    #[test]
    fn pid1_started_before_now_is_alive() {
        let now = now_ns(ClockId::Realtime);
        assert_eq!(judge(Pid::INIT, now), Verdict::Alive);
        // A file written long before boot: pid 1 is a newer process.
        assert_eq!(judge(Pid::INIT, 0), Verdict::Stale);
    }

    #[test]
    fn start_time_is_plausible() {
        let mut buf = [0u8; 2048];
        let stat = read_file(c"/proc/self/stat", &mut buf).unwrap();
        let start = start_time_ns(stat).unwrap();
        let now = now_ns(ClockId::Realtime);
        assert!(start <= now, "started in the future");
        assert!(
            now - start < 3600 * 1_000_000_000,
            "started over an hour ago"
        );
        let boot = boot_time_ns().unwrap();
        assert!(boot <= start);
    }
}
