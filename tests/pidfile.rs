//! Pidfile locks, judged with real files and real processes: races between
//! many processes, holders killed with SIGKILL, zombies, pid reuse, another
//! user's processes, symlinks, bad contents and the umask.

#![allow(unsafe_code)] // fork, kill, waitid, setuid, mount through libc.

mod common;

use common::pidfile::{
    become_nobody, cpath, fast_dir, paused_flock_holder, paused_lock_holder, pid,
    relock_fails_and_release_removes, serial,
};
use common::{Exit, TempDir, paused_child, pipe, proc_state, spawn};
use daemonry::{
    Errno, ErrorKind, Pid, PidStatus, Pidfile, check_pidlock, create_pidlock, parse_pid,
};
use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

fn me() -> Pid {
    pid(std::process::id() as i32)
}

/// The kind and holder of a `LockFailed` error, for comparisons.
fn lock_failed(pid: Option<Pid>) -> (ErrorKind, Option<Pid>) {
    (ErrorKind::LockFailed, pid)
}

fn write(path: &Path, contents: &[u8]) {
    std::fs::write(path, contents).unwrap();
}

/// Sets a file's mtime `secs` seconds into the past.
fn age(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(secs))
        .unwrap();
}

/// `kill(pid, 0)`: `Ok` or the errno.
fn kill0(pid: i32) -> Result<(), i32> {
    // SAFETY: signal 0 only probes.
    match unsafe { libc::kill(pid, 0) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error().raw_os_error().unwrap()),
    }
}

/// Blocks until child `pid` has exited, without reaping it (it stays a
/// zombie until [`common::Child::wait`]).
fn wait_exited_not_reaped(pid: i32) {
    // SAFETY: `info` is writable; WNOWAIT leaves the child reapable.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT,
        );
        assert_eq!(r, 0, "waitid");
    }
}

// ---------------------------------------------------------------------------
// Races
// ---------------------------------------------------------------------------

/// One round: `n` forked processes, released at once by closing a pipe,
/// race `create_pidlock` on `path`. Returns the winner's pid and, for each
/// loser, the pid its `LockFailed` named.
fn race_round(path: &Path, n: usize, stale: Option<i32>) -> (i32, Vec<Option<i32>>) {
    let c = cpath(path);
    let (go_r, go_w) = pipe();
    let mut children: Vec<_> = (0..n)
        .map(|_| {
            let c = &c;
            let go_r = &go_r;
            spawn(move |ctl| {
                let mut b = [0u8; 1];
                // SAFETY: blocks until the parent writes the go bytes.
                if unsafe { libc::read(go_r.as_raw_fd(), b.as_mut_ptr().cast(), 1) } != 1 {
                    return Err("no go byte".into());
                }
                match create_pidlock(c.as_c_str()) {
                    Ok(lock) => {
                        let mine = std::process::id() as i32;
                        if lock.pid().as_raw_nonzero().get() != mine {
                            return Err("lock pid is not ours".into());
                        }
                        ctl.send(&format!("WIN {mine}"));
                        ctl.pause();
                        lock.release().map_err(|e| e.to_string())?;
                        if Pidfile::new(c.as_c_str())
                            .unwrap()
                            .exists()
                            .map_err(|e| e.to_string())?
                        {
                            return Err("release left the file".into());
                        }
                        Ok(())
                    }
                    Err(e) => {
                        let (ErrorKind::LockFailed, pid) = (e.kind(), e.pid()) else {
                            return Err(format!("not LockFailed: {e}"));
                        };
                        // A loser reads the file at once: it must be whole.
                        let seen = Pidfile::new(c.as_c_str())
                            .unwrap()
                            .read_pid()
                            .map_err(|e| e.to_string())?;
                        let named = pid.map(|p| p.as_raw_nonzero().get());
                        let seen = seen.map(|p| p.as_raw_nonzero().get());
                        ctl.send(&format!("LOSE {named:?} {seen:?}"));
                        Ok(())
                    }
                }
            })
        })
        .collect();
    // Go: one byte per child in a single write wakes them all at once.
    let go = vec![b'g'; n];
    // SAFETY: `go` is readable for its length; n ≤ PIPE_BUF, so it is atomic.
    let w = unsafe { libc::write(go_w.as_raw_fd(), go.as_ptr().cast(), go.len()) };
    assert_eq!(w, n as isize);
    drop(go_w);
    drop(go_r);
    let mut winner = None;
    let mut losers = Vec::new();
    let mut seen_by_losers = Vec::new();
    for ch in children.iter_mut() {
        let line = ch
            .recv()
            .unwrap_or_else(|| panic!("child {} said nothing", ch.pid));
        if let Some(w) = line.strip_prefix("WIN ") {
            assert!(winner.is_none(), "two winners: {winner:?} and {w}");
            winner = Some((w.parse::<i32>().unwrap(), ch.pid));
        } else if let Some(rest) = line.strip_prefix("LOSE ") {
            let (named, seen) = rest.split_once(' ').unwrap();
            let parse = |s: &str| -> Option<i32> {
                s.strip_prefix("Some(")
                    .map(|v| v.trim_end_matches(')').parse().unwrap())
            };
            losers.push(parse(named));
            seen_by_losers.push(parse(seen));
        } else {
            panic!("child {}: {line:?}", ch.pid);
        }
    }
    let (w, wch) = winner.expect("no winner");
    assert_eq!(w, wch);
    // The file holds the winner's pid, and every loser read exactly that.
    assert_eq!(std::fs::read(path).unwrap(), format!("{w}\n").into_bytes());
    for s in &seen_by_losers {
        // Over a stale file a loser may read it before the cleaner removes
        // it, or find the path empty in between; never a partial file.
        assert!(
            *s == Some(w) || (stale.is_some() && (*s == stale || s.is_none())),
            "a loser read {s:?}; winner {w}, stale {stale:?}"
        );
    }
    for l in &losers {
        assert!(
            *l == Some(w) || (stale.is_some() && *l == stale),
            "a loser was told {l:?}; winner {w}, stale {stale:?}"
        );
    }
    let wi = children.iter().position(|c| c.pid == w).unwrap();
    children[wi].wait_paused();
    children[wi].resume();
    for ch in children {
        let p = ch.pid;
        ch.finish().unwrap_or_else(|e| panic!("child {p}: {e}"));
    }
    assert!(!path.exists(), "winner's release left the file");
    (w, losers)
}

#[test]
fn race_32_processes_50_rounds_one_winner() {
    let _serial = serial();
    let dir = fast_dir("race");
    let path = dir.path().join("race.pid");
    let mut winners = std::collections::HashSet::new();
    for _ in 0..50 {
        let (w, losers) = race_round(&path, 32, None);
        assert_eq!(losers.len(), 31);
        assert!(losers.iter().all(|l| *l == Some(w)));
        winners.insert(w);
    }
    assert_eq!(winners.len(), 50, "each round has a new winner process");
}

#[test]
fn race_over_a_stale_file_one_winner() {
    let _serial = serial();
    let dir = fast_dir("race-stale");
    let path = dir.path().join("race.pid");
    for _ in 0..20 {
        // A crashed holder's file: its pid is dead and nobody locks it.
        let mut dead = spawn(|_| Ok(()));
        assert_eq!(dead.wait(), Exit::Code(0));
        write(&path, format!("{}\n", dead.pid).as_bytes());
        race_round(&path, 32, Some(dead.pid));
    }
}

// ---------------------------------------------------------------------------
// Crashed holders and liveness
// ---------------------------------------------------------------------------

#[test]
fn sigkilled_holder_is_replaced_at_once() {
    let _serial = serial();
    let dir = TempDir::new("sigkill");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let mut holder = paused_lock_holder(&c);
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Running(pid(holder.pid)));
    let err = create_pidlock(c.as_c_str()).unwrap_err();
    assert_eq!((err.kind(), err.pid()), lock_failed(Some(pid(holder.pid))));

    // SAFETY: our own child.
    unsafe { libc::kill(holder.pid, libc::SIGKILL) };
    wait_exited_not_reaped(holder.pid);
    // Dead but not reaped: kill(pid, 0) still succeeds; the flock is gone.
    assert_eq!(proc_state(holder.pid), Some('Z'));
    assert_eq!(kill0(holder.pid), Ok(()));
    assert_eq!(pf.probe().unwrap(), PidStatus::Stale(pid(holder.pid)));

    let lock = create_pidlock(c.as_c_str()).expect("restart after SIGKILL");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        format!("{}\n", me()).into_bytes()
    );
    assert_eq!(pf.probe().unwrap(), PidStatus::Running(me()));
    assert_eq!(holder.wait(), Exit::Signal(libc::SIGKILL));
    drop(lock);
    assert!(!path.exists());
}

#[test]
fn dead_process_is_stale() {
    let _serial = serial();
    let dir = TempDir::new("dead");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let mut child = spawn(|_| Ok(()));
    assert_eq!(child.wait(), Exit::Code(0));
    assert_eq!(kill0(child.pid), Err(libc::ESRCH));
    write(&path, format!("{}\n", child.pid).as_bytes());
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.read_pid().unwrap(), Some(pid(child.pid)));
    assert_eq!(pf.probe().unwrap(), PidStatus::Stale(pid(child.pid)));
    check_pidlock(c.as_c_str()).unwrap();
    assert!(path.exists(), "check_pidlock must not delete");
    assert!(pf.remove_if_stale().unwrap());
    assert!(!path.exists());
}

#[test]
fn zombie_is_stale_although_kill0_succeeds() {
    let _serial = serial();
    let dir = TempDir::new("zombie");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let mut child = paused_child();
    // Killed, not reaped: a zombie, as an orphan is until PID 1 gets to it.
    // SAFETY: our own child.
    unsafe { libc::kill(child.pid, libc::SIGKILL) };
    wait_exited_not_reaped(child.pid);
    assert_eq!(proc_state(child.pid), Some('Z'));
    assert_eq!(
        kill0(child.pid),
        Ok(()),
        "kill(pid, 0) succeeds on a zombie"
    );
    // Written after the child started: only the zombie rule can call it stale.
    write(&path, format!("{}\n", child.pid).as_bytes());
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Stale(pid(child.pid)));
    let lock = create_pidlock(c.as_c_str()).unwrap();
    assert_eq!(lock.pid(), me());
    drop(lock);
    assert_eq!(child.wait(), Exit::Signal(libc::SIGKILL));
}

#[test]
fn own_pid_is_stale() {
    let dir = TempDir::new("own");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    write(&path, format!("{}\n", me()).as_bytes());
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Stale(me()));
    assert!(pf.remove_if_stale().unwrap());
    assert!(!path.exists());
    // And create_pidlock takes it over in one go.
    write(&path, format!("{}\n", me()).as_bytes());
    let lock = create_pidlock(c.as_c_str()).unwrap();
    // Now it is our locked file, no longer the unlocked leftover.
    assert_eq!(pf.probe().unwrap(), PidStatus::Running(me()));
    drop(lock);
    assert!(!path.exists());
}

#[test]
fn pid1_started_long_before_the_file_is_running() {
    let dir = TempDir::new("pid1");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    write(&path, b"1\n");
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Unlocked(Pid::INIT));
    assert!(!pf.remove_if_stale().unwrap());
    assert!(path.exists());
    let e = check_pidlock(c.as_c_str()).unwrap_err();
    assert_eq!((e.kind(), e.pid()), lock_failed(Some(Pid::INIT)));
    let e = create_pidlock(c.as_c_str()).unwrap_err();
    assert_eq!((e.kind(), e.pid()), lock_failed(Some(Pid::INIT)));
    assert_eq!(std::fs::read(&path).unwrap(), b"1\n", "never displaced");
}

#[test]
fn process_started_after_the_file_is_stale() {
    let _serial = serial();
    let dir = TempDir::new("reuse");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let mut child = paused_child();
    write(&path, format!("{}\n", child.pid).as_bytes());
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    // Control: the file is younger than the live process.
    assert_eq!(pf.probe().unwrap(), PidStatus::Unlocked(pid(child.pid)));
    // The file predates the process: its pid now names a newer process.
    age(&path, 3600);
    assert_eq!(kill0(child.pid), Ok(()));
    assert_eq!(pf.probe().unwrap(), PidStatus::Stale(pid(child.pid)));
    let lock = create_pidlock(c.as_c_str()).expect("a reused pid never blocks");
    assert_eq!(lock.pid(), me());
    drop(lock);
    // Just inside the slack (the file is half a second older than the
    // process can be): still alive. A live holder is never displaced by
    // timestamp noise.
    write(&path, format!("{}\n", child.pid).as_bytes());
    let start = start_time(child.pid);
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(start - Duration::from_millis(500)).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Unlocked(pid(child.pid)));
    // Past the one-second slack: a reuse.
    f.set_modified(start - Duration::from_millis(1500)).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Stale(pid(child.pid)));
    child.resume();
    child.finish().unwrap();
}

/// When process `pid` started, to the tick (boot time from
/// `CLOCK_REALTIME - CLOCK_BOOTTIME`, not the whole seconds of `btime`).
fn start_time(pid: i32) -> SystemTime {
    let ticks: u64 = common::proc_stat(pid)[21].parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    let now = |clock| {
        // SAFETY: an all-zero timespec is a valid value.
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: `ts` is writable.
        assert_eq!(unsafe { libc::clock_gettime(clock, &mut ts) }, 0);
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    };
    let real = now(libc::CLOCK_REALTIME);
    let boot = now(libc::CLOCK_BOOTTIME);
    SystemTime::UNIX_EPOCH + (real - boot) + Duration::from_nanos(ticks * 1_000_000_000 / hz)
}

#[test]
fn another_users_live_process_is_running_not_stale() {
    require_root!();
    let _serial = serial();
    let dir = TempDir::new("eperm");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    // A root-owned process named by a lock-less file (another tool's).
    let mut root_proc = paused_child();
    write(&path, format!("{}\n", root_proc.pid).as_bytes());
    let target = root_proc.pid;
    let c2 = c.clone();
    let prober = spawn(move |_| {
        become_nobody()?;
        if kill0(target) != Err(libc::EPERM) {
            return Err("expected EPERM from kill(pid, 0)".into());
        }
        let pf = Pidfile::new(c2.as_c_str()).unwrap();
        let st = pf.probe().map_err(|e| e.to_string())?;
        if st != PidStatus::Unlocked(pid(target)) {
            return Err(format!("probe as nobody: {st:?}"));
        }
        if pf.remove_if_stale().map_err(|e| e.to_string())? {
            return Err("remove_if_stale removed a live root process's file".into());
        }
        let e = create_pidlock(c2.as_c_str()).unwrap_err();
        if (e.kind(), e.pid()) != lock_failed(Some(pid(target))) {
            return Err(format!("create_pidlock as nobody: {e}"));
        }
        let e = check_pidlock(c2.as_c_str()).unwrap_err();
        if (e.kind(), e.pid()) != lock_failed(Some(pid(target))) {
            return Err(format!("check_pidlock as nobody: {e}"));
        }
        Ok(())
    });
    prober.finish().unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        format!("{target}\n").into_bytes()
    );
    std::fs::remove_file(&path).unwrap();

    // The same with a daemonry holder: its file is 0600, so the nobody
    // prober cannot even open it (and so can never squat its lock).
    let mut holder = paused_lock_holder(&c);
    let hp = holder.pid;
    let c4 = c.clone();
    let prober = spawn(move |_| {
        become_nobody()?;
        let st = Pidfile::new(c4.as_c_str()).unwrap().probe();
        if st.map_err(|e| e.errno()) != Err(Some(Errno::ACCESS)) {
            return Err(format!("probe as nobody: {st:?}"));
        }
        let e = create_pidlock(c4.as_c_str()).unwrap_err();
        if e.errno() != Some(Errno::ACCESS) {
            return Err(format!("create_pidlock as nobody: {e}"));
        }
        Ok(())
    });
    prober.finish().unwrap();
    let root_view = Pidfile::new(c.as_c_str()).unwrap().probe().unwrap();
    assert_eq!(root_view, PidStatus::Running(pid(hp)));
    holder.resume();
    holder.finish().unwrap();
    root_proc.resume();
    root_proc.finish().unwrap();
}

#[test]
fn locked_file_with_a_broken_pid_is_held_not_invalid() {
    let _serial = serial();
    let dir = TempDir::new("held-garbage");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    // Another tool holding the flock while (not yet) writing a valid pid.
    let mut other = paused_flock_holder(&path, || "-1\n".into());
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    // The file names nobody; the verified holder is the other tool.
    assert_eq!(pf.probe().unwrap(), PidStatus::HeldByOthers(None));
    assert!(!pf.remove_if_stale().unwrap());
    let e = create_pidlock(c.as_c_str()).unwrap_err();
    assert_eq!((e.kind(), e.pid()), lock_failed(Some(pid(other.pid))));
    assert!(path.exists());
    other.resume();
    other.finish().unwrap();
    // Lock gone: now it is just invalid, and removable.
    assert_eq!(pf.probe().unwrap(), PidStatus::Invalid);
    assert!(pf.remove_if_stale().unwrap());
}

// ---------------------------------------------------------------------------
// Contents
// ---------------------------------------------------------------------------

#[test]
fn broken_pidfiles_are_invalid_and_removable() {
    let dir = TempDir::new("contents");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"1816".to_vec(),
        b" 1816\n".to_vec(),
        b"+5\n".to_vec(),
        b"-1\n".to_vec(),
        b"0\n".to_vec(),
        b"99999999999\n".to_vec(),
        b"1816\r\n".to_vec(),
        vec![b'1'; 32],
    ];
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    for contents in cases {
        let show = String::from_utf8_lossy(&contents).into_owned();
        write(&path, &contents);
        let e = pf.read_pid().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{show:?}: {e}");
        assert_eq!(e.op(), daemonry::Op::ParsePid, "{show:?}: {e}");
        assert_eq!(pf.probe().unwrap(), PidStatus::Invalid, "{show:?}");
        check_pidlock(c.as_c_str()).unwrap();
        assert!(path.exists(), "{show:?}: check_pidlock must not delete");
        assert!(pf.remove_if_stale().unwrap(), "{show:?}");
        assert!(!path.exists(), "{show:?}: not removed");
    }
    write(&path, b"1816\n");
    assert_eq!(pf.read_pid().unwrap(), Some(pid(1816)));
    assert_eq!(parse_pid(b"1816\n").unwrap(), pid(1816));
}

#[test]
fn pid_above_kernel_pid_max_is_invalid() {
    let max: i64 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Above 4,194,304 (the kernel's PID_MAX_LIMIT) parse_pid's own bound
    // refuses it too; either way read_pid must.
    assert!(parse_pid(b"4194305\n").is_err());
    let dir = TempDir::new("pidmax");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    write(&path, format!("{}\n", max + 1).as_bytes());
    let e = Pidfile::new(c.as_c_str()).unwrap().read_pid().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn absent_file() {
    let dir = TempDir::new("absent");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.read_pid().unwrap(), None);
    assert_eq!(pf.probe().unwrap(), PidStatus::Absent);
    assert!(!pf.is_locked().unwrap());
    assert!(!pf.exists().unwrap());
    assert!(pf.remove_if_stale().unwrap());
    pf.remove().unwrap();
    check_pidlock(c.as_c_str()).unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing created"
    );
}

// ---------------------------------------------------------------------------
// Symlinks, replacement, modes
// ---------------------------------------------------------------------------

fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn symlink_at_the_path_is_refused_and_untouched() {
    let dir = TempDir::new("symlink");
    let target = dir.path().join("target");
    write(&target, b"precious\n");
    let passwd_before = sha(Path::new("/etc/passwd"));
    let passwd_mtime = std::fs::metadata("/etc/passwd").unwrap().mtime();
    let dangling = dir.path().join("does-not-exist");
    for (name, to) in [
        ("to-file.pid", target.as_path()),
        ("dangling.pid", dangling.as_path()),
        ("to-passwd.pid", Path::new("/etc/passwd")),
    ] {
        let link = dir.path().join(name);
        std::os::unix::fs::symlink(to, &link).unwrap();
        let c = cpath(&link);
        let mut pf = Pidfile::new(c.as_c_str()).unwrap();
        let e = pf.acquire().unwrap_err();
        assert_eq!(e.errno(), Some(Errno::LOOP), "{name}: {e}");
        assert!(!pf.is_held());
        let e = create_pidlock(c.as_c_str()).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::LOOP), "{name}: {e}");
        assert_eq!(pf.read_pid().unwrap_err().errno(), Some(Errno::LOOP));
        assert_eq!(pf.probe().unwrap_err().errno(), Some(Errno::LOOP));
        assert_eq!(pf.remove_if_stale().unwrap_err().errno(), Some(Errno::LOOP));
        assert!(check_pidlock(c.as_c_str()).is_err());
        assert!(pf.exists().unwrap(), "{name}: a symlink is something");
        assert_eq!(
            pf.is_locked().unwrap_err().errno(),
            Some(Errno::LOOP),
            "{name}: never followed to ask for a lock"
        );
        // The link is untouched and nothing went through it.
        let meta = std::fs::symlink_metadata(&link).unwrap();
        assert!(meta.file_type().is_symlink(), "{name}");
        assert_eq!(std::fs::read_link(&link).unwrap(), to, "{name}");
    }
    assert_eq!(sha(&target), b"precious\n");
    assert!(!dangling.exists(), "created through a dangling link");
    assert_eq!(sha(Path::new("/etc/passwd")), passwd_before);
    assert_eq!(
        std::fs::metadata("/etc/passwd").unwrap().mtime(),
        passwd_mtime
    );
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["dangling.pid", "target", "to-file.pid", "to-passwd.pid"],
        "no stray files"
    );
}

#[test]
fn release_leaves_a_replacement_alone() {
    let dir = TempDir::new("replaced");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);

    // Someone removed ours and put their own file there.
    let mut pf = Pidfile::new(c.as_c_str()).unwrap();
    pf.acquire().unwrap();
    std::fs::remove_file(&path).unwrap();
    write(&path, b"12345\n");
    pf.release().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"12345\n");
    std::fs::remove_file(&path).unwrap();

    // Someone rewrote our file in place with their pid.
    let mut pf = Pidfile::new(c.as_c_str()).unwrap();
    pf.acquire().unwrap();
    let ino = std::fs::metadata(&path).unwrap().ino();
    write(&path, b"12345\n");
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), ino);
    pf.release().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"12345\n");
    std::fs::remove_file(&path).unwrap();

    // Untouched: release removes it, and the lock is gone.
    let mut pf = Pidfile::new(c.as_c_str()).unwrap();
    pf.acquire().unwrap();
    assert!(pf.is_held());
    pf.release().unwrap();
    assert!(!path.exists());
    assert!(!pf.is_held());
    pf.release().unwrap(); // twice is fine
}

#[test]
fn mode_is_0600_under_the_umask() {
    let _serial = serial();
    let dir = TempDir::new("umask");
    // 0600 under the umask: nobody else can open a pidfile (no squatters);
    // and the sticky bit, daemonry's mark.
    for (mask, want) in [
        (0o000, 0o1600),
        (0o022, 0o1600),
        (0o077, 0o1600),
        (0o277, 0o1400),
    ] {
        let path = dir.path().join(format!("m{mask:o}.pid"));
        let c = cpath(&path);
        common::in_child(move || {
            // SAFETY: umask in a forked child.
            unsafe { libc::umask(mask) };
            let lock = create_pidlock(c.as_c_str()).map_err(|e| e.to_string())?;
            let mode = std::fs::metadata(std::str::from_utf8(c.to_bytes()).unwrap())
                .map_err(|e| e.to_string())?
                .permissions()
                .mode()
                & 0o7777;
            drop(lock);
            if mode != want {
                return Err(format!("umask {mask:o}: mode {mode:o}, want {want:o}"));
            }
            Ok(())
        });
    }
}

// ---------------------------------------------------------------------------
// Fork, exec, and the pidfile fd
// ---------------------------------------------------------------------------

#[test]
fn forked_copy_does_not_release() {
    let _serial = serial();
    let dir = TempDir::new("fork-drop");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let slot = std::cell::RefCell::new(Some(create_pidlock(c.as_c_str()).unwrap()));
    let child = spawn(|_| {
        let lock = slot.borrow_mut().take().ok_or("no lock")?;
        if lock.is_held() {
            return Err("a forked copy claims to hold the lock".into());
        }
        drop(lock); // must not unlink the parent's file
        Ok(())
    });
    child.finish().unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        format!("{}\n", me()).into_bytes()
    );
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Running(me()));
    drop(slot);
    assert!(!path.exists());
}

#[test]
fn write_pid_after_fork_hands_the_lock_to_the_child() {
    let _serial = serial();
    let dir = TempDir::new("fork-write");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let slot = std::cell::RefCell::new(Some(create_pidlock(c.as_c_str()).unwrap()));
    let p2 = path.clone();
    let mut child = spawn(|ctl| {
        let mut lock = slot.borrow_mut().take().ok_or("no lock")?;
        lock.write_pid().map_err(|e| e.to_string())?;
        if !lock.is_held() {
            return Err("write_pid did not make the child the owner".into());
        }
        ctl.pause();
        drop(lock); // the child owns it now: this releases
        if p2.exists() {
            return Err("the owning child's drop left the file".into());
        }
        Ok(())
    });
    child.wait_paused();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        format!("{}\n", child.pid).into_bytes()
    );
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    // Parent and child share the locked file description.
    assert_eq!(pf.probe().unwrap(), PidStatus::Running(pid(child.pid)));
    // The parent's copy no longer holds our pid: dropping it leaves the file.
    drop(slot.borrow_mut().take());
    assert!(path.exists());
    assert_eq!(pf.probe().unwrap(), PidStatus::Running(pid(child.pid)));
    child.resume();
    child.finish().unwrap();
    assert!(!path.exists());
}

#[test]
fn exec_inherits_the_lock_when_asked() {
    let _serial = serial();
    let dir = TempDir::new("exec");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let mut child = spawn(|ctl| {
        let lock = create_pidlock(c.as_c_str()).map_err(|e| e.to_string())?;
        lock.set_inheritable(true).map_err(|e| e.to_string())?;
        let fd = lock.fd().as_raw_fd();
        ctl.send(&format!("FD {fd}"));
        std::mem::forget(lock);
        let prog = c"/bin/sleep";
        let args = [prog.as_ptr(), c"1000".as_ptr(), std::ptr::null()];
        // SAFETY: NUL-terminated strings and a null-terminated argv.
        unsafe { libc::execv(prog.as_ptr(), args.as_ptr()) };
        Err("execv failed".into())
    });
    let fd: i32 = child
        .recv()
        .and_then(|l| l.strip_prefix("FD ")?.parse().ok())
        .expect("fd line");
    // Our pipes are close-on-exec: EOF means the exec happened.
    assert_eq!(child.recv(), None);
    assert_eq!(common::proc_cmdline(child.pid), b"/bin/sleep\x001000\x00");
    // The exec'd program holds the pidfile itself (same device and inode).
    let inherited = std::fs::metadata(format!("/proc/{}/fd/{fd}", child.pid)).unwrap();
    let file = std::fs::metadata(&path).unwrap();
    assert_eq!((inherited.dev(), inherited.ino()), (file.dev(), file.ino()));
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Running(pid(child.pid)));
    // SAFETY: our own child.
    unsafe { libc::kill(child.pid, libc::SIGKILL) };
    assert_eq!(child.wait(), Exit::Signal(libc::SIGKILL));
    assert_eq!(pf.probe().unwrap(), PidStatus::Stale(pid(child.pid)));
}

#[test]
fn lock_fd_is_cloexec_by_default() {
    let dir = TempDir::new("cloexec");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let lock = create_pidlock(c.as_c_str()).unwrap();
    let fd = lock.fd().as_raw_fd();
    // SAFETY: F_GETFD on our own fd.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    lock.set_inheritable(true).unwrap();
    // SAFETY: F_GETFD on our own fd.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert_eq!(flags & libc::FD_CLOEXEC, 0);
    lock.set_inheritable(false).unwrap();
    // SAFETY: as above.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    let other = cpath(&dir.path().join("other.pid"));
    let not_held = Pidfile::new(other.as_c_str()).unwrap();
    assert_eq!(
        not_held.set_inheritable(true).unwrap_err().errno(),
        Some(Errno::BADF)
    );
}

// ---------------------------------------------------------------------------
// Paths and pre-flight checks
// ---------------------------------------------------------------------------

#[test]
#[cfg(feature = "std")]
fn relative_path_is_resolved_at_construction() {
    let _serial = serial();
    let dir = TempDir::new("relative");
    let d = dir.path().to_path_buf();
    common::in_child(move || {
        std::env::set_current_dir(&d).map_err(|e| e.to_string())?;
        // Every way in: a Rust string, a Path and a C string.
        let pf = Pidfile::new("rel.pid").map_err(|e| e.to_string())?;
        let from_path = Pidfile::new(std::path::Path::new("rel.pid")).map_err(|e| e.to_string())?;
        let from_c = Pidfile::new(c"rel.pid").map_err(|e| e.to_string())?;
        for p in [&pf, &from_path, &from_c] {
            if p.as_path() != d.join("rel.pid") {
                return Err(format!("resolved to {:?}", p.as_path()));
            }
        }
        let lock = create_pidlock("rel2.pid").map_err(|e| e.to_string())?;
        std::env::set_current_dir("/").map_err(|e| e.to_string())?;
        if lock.as_path() != d.join("rel2.pid") {
            return Err(format!("lock at {:?}", lock.as_path()));
        }
        let lock1 = create_pidlock(pf.path()).map_err(|e| e.to_string())?;
        if !d.join("rel.pid").exists() {
            return Err("not created where resolved".into());
        }
        // Released after the chdir: the right file goes.
        drop(lock);
        drop(lock1);
        if d.join("rel.pid").exists() || d.join("rel2.pid").exists() {
            return Err("release after chdir left a file".into());
        }
        Ok(())
    });
    assert_eq!(
        Pidfile::new("").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        Pidfile::new("a\0b").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn check_pidlock_has_no_side_effects() {
    let dir = TempDir::new("check");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    check_pidlock(c.as_c_str()).unwrap();
    assert!(!path.exists());
    let lock = create_pidlock(c.as_c_str()).unwrap();
    let before = std::fs::metadata(&path).unwrap();
    let e = check_pidlock(c.as_c_str()).unwrap_err();
    assert_eq!((e.kind(), e.pid()), lock_failed(Some(me())));
    let after = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (before.ino(), before.mtime_nsec()),
        (after.ino(), after.mtime_nsec())
    );
    drop(lock);
    let e = check_pidlock(c"/nonexistent-daemonry-dir/app.pid").unwrap_err();
    assert_eq!(e.errno(), Some(Errno::NOENT));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn check_pidlock_reports_an_unwritable_directory() {
    require_root!();
    let _serial = serial();
    let dir = TempDir::new("check-ro");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    common::in_child(move || {
        become_nobody()?;
        match check_pidlock(c.as_c_str()) {
            Err(e) if e.errno() == Some(Errno::ACCESS) => Ok(()),
            other => Err(format!("as nobody in a 0755 root dir: {other:?}")),
        }
    });
}

/// Without /proc and without CAP_DAC_READ_SEARCH neither `linkat` route for
/// an `O_TMPFILE` works: the temporary-name fallback must publish just as
/// atomically and leave nothing behind.
#[test]
fn publishes_without_proc_as_unprivileged_user() {
    require_root!();
    let _serial = serial();
    let dir = TempDir::new("noproc");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let path = dir.path().join("app.pid");
    let d = dir.path().to_path_buf();
    let c = cpath(&path);
    common::in_child(move || {
        common::private_mount_namespace()?;
        // SAFETY: a tmpfs over /proc in this child's own mount namespace.
        unsafe {
            if libc::mount(
                c"none".as_ptr(),
                c"/proc".as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                std::ptr::null(),
            ) != 0
            {
                return Err(format!("hide /proc: {}", std::io::Error::last_os_error()));
            }
        }
        if Path::new("/proc/self/fd").exists() {
            return Err("/proc still there".into());
        }
        become_nobody()?;
        let lock = create_pidlock(c.as_c_str()).map_err(|e| e.to_string())?;
        let names: Vec<PathBuf> = std::fs::read_dir(&d)
            .map_err(|e| e.to_string())?
            .map(|e| e.unwrap().path())
            .collect();
        if names != [d.join("app.pid")] {
            return Err(format!("directory holds {names:?}"));
        }
        let got = std::fs::read(d.join("app.pid")).map_err(|e| e.to_string())?;
        if got != format!("{}\n", std::process::id()).into_bytes() {
            return Err(format!("contents {got:?}"));
        }
        relock_fails_and_release_removes(lock, &c, &d.join("app.pid"))
    });
}

#[test]
fn exists_sees_any_entry() {
    let dir = TempDir::new("exists");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert!(!pf.exists().unwrap());
    write(&path, b"garbage");
    assert!(pf.exists().unwrap());
    assert!(!pf.is_locked().unwrap(), "a file nobody locked");
    // Not a pidfile: `remove` refuses it.
    assert_eq!(pf.remove().unwrap_err().op(), daemonry::Op::NotAPidfile);
    assert!(pf.exists().unwrap());
    write(&path, b"-1\n");
    pf.remove().unwrap();
    assert!(!pf.exists().unwrap());
    pf.remove().unwrap(); // ENOENT is fine
}

#[test]
fn is_locked_asks_the_kernel_whether_someone_holds_the_lock() {
    let dir = TempDir::new("is-locked");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert!(!pf.is_locked().unwrap(), "no file");
    // A lock-less file naming a live process: alive, but nobody locks it.
    write(&path, b"1\n");
    assert!(!pf.is_locked().unwrap());
    assert_eq!(pf.probe().unwrap(), PidStatus::Unlocked(Pid::INIT));
    // Someone else's exclusive flock on the file.
    let f = std::fs::File::open(&path).unwrap();
    // SAFETY: flock on an fd we own.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    assert_eq!(r, 0);
    assert!(pf.is_locked().unwrap());
    drop(f);
    assert!(!pf.is_locked().unwrap(), "closing the fd drops the lock");
    // Our own lock, through a PidLock.
    pf.remove().unwrap();
    let lock = create_pidlock(c.as_c_str()).unwrap();
    assert!(pf.is_locked().unwrap());
    assert!(!pf.is_held(), "held by the PidLock, not by this Pidfile");
    drop(lock);
    assert!(!pf.is_locked().unwrap());
}

#[test]
fn directory_at_the_path_is_not_a_pidfile() {
    let dir = TempDir::new("dir-at-path");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    std::fs::create_dir(&path).unwrap();
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::NotAPidfile);
    let not_a_pidfile = |e: daemonry::Error| (e.kind(), e.op());
    let want = (ErrorKind::InvalidInput, daemonry::Op::NotAPidfile);
    assert_eq!(not_a_pidfile(pf.remove_if_stale().unwrap_err()), want);
    assert_eq!(not_a_pidfile(pf.remove().unwrap_err()), want);
    assert_eq!(
        not_a_pidfile(create_pidlock(c.as_c_str()).unwrap_err()),
        want
    );
    assert_eq!(
        not_a_pidfile(check_pidlock(c.as_c_str()).unwrap_err()),
        want
    );
    assert!(path.is_dir());
    let trailing = CString::new(format!("{}/", dir.path().display())).unwrap();
    assert_eq!(
        Pidfile::new(trailing.as_c_str()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

/// A path of `PATH_MAX` (4096) bytes or more is `ENAMETOOLONG` before
/// anything is touched: nothing appears in the directory it starts in.
#[test]
fn a_path_too_long_is_refused_before_anything_is_touched() {
    let dir = TempDir::new("toolong");
    let base = format!("{}/", dir.path().display());
    for len in [4096, 5000] {
        let mut p = base.clone();
        while p.len() < len {
            p.push_str("a/");
        }
        p.truncate(len - 4);
        p.push_str(".pid");
        assert_eq!(p.len(), len);
        let c = CString::new(p).unwrap();
        let e = create_pidlock(c.as_c_str()).unwrap_err();
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::Os, Some(daemonry::Errno::NAMETOOLONG)),
            "{e}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
