//! Pidfile trust, the file side: what may be deleted or replaced (never
//! anything that is not a pidfile), relative paths, the held fd's name in
//! `/proc`, crash litter and huge values. Who may be signalled is in
//! `tests/trust.rs`. Everything is judged through `/proc` and the file
//! system; nothing sleeps to synchronise.

#![allow(unsafe_code)] // fork, unshare, mount, seccomp, credentials through libc.

mod common;

use common::pidfile::{
    cpath, fast_dir, holders, paused_lock_holder, pid, relock_fails_and_release_removes, serial,
};
use common::{Exit, TempDir, fd_target, paused_child, spawn};
use daemonry::{ErrorKind, Op, PidStatus, Pidfile, Signal, check_pidlock, create_pidlock};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

// ---------------------------------------------------------------------------
// Things that are not pidfiles
// ---------------------------------------------------------------------------

/// `nginx.conf`, a 5 MB file, the same through a symlinked directory, a
/// directory, a FIFO and a socket: never removed, replaced, written or
/// signalled for, whoever holds a lock on them; every entry point refuses
/// with `NotAPidfile`.
#[test]
fn files_that_are_not_pidfiles_are_never_touched() {
    let _serial = serial();
    let top = TempDir::new("trust-notpid");
    let etc = top.path().join("etc");
    std::fs::create_dir(&etc).unwrap();
    std::fs::write(
        etc.join("nginx.conf"),
        "user www-data;\nworker_processes auto;\npid /run/nginx.pid;\n",
    )
    .unwrap();
    let big: Vec<u8> = (0..5 << 20)
        .map(|i: u32| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    std::fs::write(etc.join("data.bin"), &big).unwrap();
    std::fs::write(etc.join("digits.bin"), vec![b'7'; 5 << 20]).unwrap();
    std::os::unix::fs::symlink(&etc, top.path().join("link")).unwrap();
    std::fs::create_dir(etc.join("dir.pid")).unwrap();
    let fifo = cpath(&etc.join("fifo.pid"));
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let _sock = std::os::unix::net::UnixListener::bind(etc.join("sock.pid")).unwrap();
    // Someone holds a lock on the config file: still not a pidfile.
    let locked = std::fs::File::open(etc.join("nginx.conf")).unwrap();
    // SAFETY: flock on our own file.
    assert_eq!(unsafe { libc::flock(locked.as_raw_fd(), libc::LOCK_EX) }, 0);
    let paths: Vec<PathBuf> = vec![
        etc.join("nginx.conf"),
        etc.join("data.bin"),
        etc.join("digits.bin"),
        top.path().join("link/nginx.conf"),
        top.path().join("link/data.bin"),
        etc.join("dir.pid"),
        etc.join("fifo.pid"),
        etc.join("sock.pid"),
    ];
    let snapshot = |p: &Path| {
        let m = std::fs::symlink_metadata(p).unwrap();
        let data = if m.is_file() {
            std::fs::read(p).unwrap()
        } else {
            Vec::new()
        };
        (m.ino(), m.mode(), m.mtime(), m.mtime_nsec(), data)
    };
    let not_a_pidfile = (ErrorKind::InvalidInput, Op::NotAPidfile);
    for p in &paths {
        let before = snapshot(p);
        let c = cpath(p);
        let mut pf = Pidfile::new(c.as_c_str()).unwrap();
        let (st, hs) = holders(&pf);
        assert_eq!(st, PidStatus::NotAPidfile, "{p:?}");
        assert_eq!(st.lsb_status(), 4);
        assert!(hs.is_empty());
        let errs = [
            pf.read_pid().unwrap_err(),
            pf.remove_if_stale().unwrap_err(),
            pf.remove().unwrap_err(),
            create_pidlock(c.as_c_str()).unwrap_err(),
            check_pidlock(c.as_c_str()).unwrap_err(),
            pf.acquire().unwrap_err(),
        ];
        for e in errs {
            assert_eq!((e.kind(), e.op()), not_a_pidfile, "{p:?}: {e}");
        }
        assert_eq!(snapshot(p), before, "{p:?} touched");
    }
    // Nothing else appeared (no temporary names left behind).
    let mut names: Vec<_> = std::fs::read_dir(&etc)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "data.bin",
            "digits.bin",
            "dir.pid",
            "fifo.pid",
            "nginx.conf",
            "sock.pid"
        ]
    );
}

// ---------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------

/// `/proc/<pid>/fd` shows the held pidfile under its real path, in the
/// holder and in a program it `exec`s.
#[test]
fn the_held_fd_shows_the_real_path() {
    let _serial = serial();
    let dir = TempDir::new("trust-fdname");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let lock = create_pidlock(c.as_c_str()).unwrap();
    let me = std::process::id() as i32;
    assert_eq!(fd_target(me, lock.fd().as_raw_fd()), path.to_str().unwrap());
    drop(lock);
    let c2 = c.clone();
    let mut child = spawn(move |ctl| {
        let lock = create_pidlock(c2.as_c_str()).map_err(|e| e.to_string())?;
        lock.set_inheritable(true).map_err(|e| e.to_string())?;
        ctl.send(&lock.fd().as_raw_fd().to_string());
        std::mem::forget(lock);
        let prog = c"/bin/sleep";
        let args = [prog.as_ptr(), c"1000".as_ptr(), std::ptr::null()];
        // SAFETY: NUL-terminated strings and a null-terminated argv.
        unsafe { libc::execv(prog.as_ptr(), args.as_ptr()) };
        Err("execv failed".into())
    });
    let fd: i32 = child.recv().unwrap().parse().unwrap();
    assert_eq!(child.recv(), None, "exec'd");
    assert_eq!(fd_target(child.pid, fd), path.to_str().unwrap());
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Running(pid(child.pid)));
    // SAFETY: our own child.
    unsafe { libc::kill(child.pid, libc::SIGKILL) };
    assert_eq!(child.wait(), Exit::Signal(libc::SIGKILL));
    assert!(pf.remove_if_stale().unwrap());
}

// ---------------------------------------------------------------------------
// Crash litter
// ---------------------------------------------------------------------------

const LITTER_HELPER: &str = "DAEMONRY_TRUST_LITTER_DIR";

/// Not a test of its own: run by [`leftovers_with_the_starters_own_pid_never_block`]
/// in a freshly `exec`ed copy of this binary (so that this process's pid
/// and temporary-name sequence are known), it plants leftovers under its
/// own pid and takes the lock.
#[test]
fn litter_helper() {
    let Some(dir) = std::env::var_os(LITTER_HELPER) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let me = std::process::id();
    for seq in 0..64 {
        std::fs::write(dir.join(format!(".app.pid.{me}.{seq}.tmp")), "junk").unwrap();
    }
    let lock =
        create_pidlock(cpath(&dir.join("app.pid")).as_c_str()).expect("leftovers never block");
    assert_eq!(lock.pid().as_raw_nonzero().get() as u32, me);
    drop(lock);
}

/// Leftover temporary names that carry the starter's own pid (an earlier
/// process with the same pid crashed mid-publish, or this one before an
/// `exec`) never make `create_pidlock` fail.
#[test]
fn leftovers_with_the_starters_own_pid_never_block() {
    let _serial = serial();
    let dir = fast_dir("trust-litter-own");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "litter_helper",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(LITTER_HELPER, dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
    assert!(!dir.path().join("app.pid").exists());
}

/// Leftovers of writers that are provably gone (no such process, or a
/// process younger than the leftover) are removed when the path was taken
/// by a stale file, and by `remove_if_stale`; a live writer's are kept, as
/// are other files.
#[test]
fn leftovers_of_dead_writers_are_swept() {
    let _serial = serial();
    let dir = fast_dir("trust-litter-dead");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let mut live = paused_child();
    let plant = |dead: &[i32]| {
        for (i, d) in dead.iter().enumerate() {
            std::fs::write(dir.path().join(format!(".app.pid.{d}.{i}.tmp")), "3\n").unwrap();
        }
        std::fs::write(dir.path().join(format!(".app.pid.{}.0.tmp", live.pid)), "").unwrap();
        std::fs::write(dir.path().join(".other.pid.1.0.tmp"), "").unwrap();
    };
    let dead: Vec<i32> = (0..5)
        .map(|_| {
            let mut c = spawn(|_| Ok(()));
            assert_eq!(c.wait(), Exit::Code(0));
            c.pid
        })
        .collect();
    let leftovers = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        v.sort();
        v
    };
    let mut kept = vec![
        format!(".app.pid.{}.0.tmp", live.pid),
        ".other.pid.1.0.tmp".to_string(),
    ];
    kept.sort();
    // Swept by create_pidlock when a stale file is in the way...
    plant(&dead);
    std::fs::write(&path, format!("{}\n", dead[0])).unwrap();
    let lock = create_pidlock(c.as_c_str()).unwrap();
    assert_eq!(leftovers(dir.path()), kept);
    drop(lock);
    // ... and by remove_if_stale.
    plant(&dead);
    assert!(
        Pidfile::new(c.as_c_str())
            .unwrap()
            .remove_if_stale()
            .unwrap()
    );
    assert_eq!(leftovers(dir.path()), kept);
    live.resume();
    live.finish().unwrap();
}

/// Writers killed at random points of their publish/release loop: whatever
/// they leave, the next cleanup removes it, and a start never fails.
#[test]
fn sigkilled_writers_leave_nothing_that_lasts() {
    let _serial = serial();
    let dir = fast_dir("trust-litter-kill");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    for round in 0..200 {
        let c2 = c.clone();
        let mut w = spawn(move |ctl| {
            ctl.send("go");
            loop {
                if let Ok(lock) = create_pidlock(c2.as_c_str()) {
                    drop(lock);
                }
            }
        });
        assert_eq!(w.recv().as_deref(), Some("go"));
        if round % 2 == 1 {
            // Give it one more system call or so, differently each round.
            std::hint::black_box((0..round * 50).sum::<i32>());
        }
        // SAFETY: our own child.
        unsafe { libc::kill(w.pid, libc::SIGKILL) };
        assert_eq!(w.wait(), Exit::Signal(libc::SIGKILL));
    }
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert!(pf.remove_if_stale().unwrap());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    drop(create_pidlock(c.as_c_str()).expect("a start after the carnage"));
}

/// Where `renameat2(RENAME_NOREPLACE)` is refused (some network and FUSE
/// filesystems; here a seccomp filter), the publish falls back to
/// `link` + `unlink`: just as exclusive, and no litter.
#[test]
fn publishes_where_renameat2_is_refused() {
    skip_under_emulation!(common::emu::SECCOMP);
    let _serial = serial();
    let dir = fast_dir("trust-norename");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let d = dir.path().to_path_buf();
    common::in_child(move || {
        common::seccomp::deny_syscall(libc::SYS_renameat2 as u32, libc::EINVAL as u32)?;
        let lock = create_pidlock(c.as_c_str()).map_err(|e| e.to_string())?;
        let names: Vec<_> = std::fs::read_dir(&d)
            .map_err(|e| e.to_string())?
            .map(|e| e.unwrap().file_name())
            .collect();
        if names != ["app.pid"] {
            return Err(format!("directory holds {names:?}"));
        }
        relock_fails_and_release_removes(lock, &c, &d.join("app.pid"))
    });
}

// ---------------------------------------------------------------------------
// Huge values
// ---------------------------------------------------------------------------

/// Huge pids are broken pidfiles (removable); more than 32 bytes is not a
/// pidfile at all; and waiting for a holder accepts any `Duration`.
#[test]
fn huge_values() {
    let _serial = serial();
    let dir = TempDir::new("trust-huge");
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    let mut digits31 = vec![b'9'; 31];
    digits31.push(b'\n');
    for broken in [
        b"2147483648\n".to_vec(),
        b"4294967296\n".to_vec(),
        b"18446744073709551616\n".to_vec(),
        digits31,
        vec![b'9'; 32],
    ] {
        std::fs::write(&path, &broken).unwrap();
        assert_eq!(pf.probe().unwrap(), PidStatus::Invalid);
        assert_eq!(pf.read_pid().unwrap_err().op(), Op::ParsePid);
        assert!(pf.remove_if_stale().unwrap());
    }
    for foreign in [vec![b'9'; 33], vec![b'1'; 1 << 16]] {
        std::fs::write(&path, &foreign).unwrap();
        assert_eq!(pf.probe().unwrap(), PidStatus::NotAPidfile);
        assert!(pf.remove_if_stale().is_err());
        assert_eq!(std::fs::read(&path).unwrap(), foreign);
        std::fs::remove_file(&path).unwrap();
    }
    // Waiting with the largest timeouts neither panics nor overflows.
    let mut holder = paused_lock_holder(&c);
    let (st, hs) = holders(&pf);
    assert_eq!(st, PidStatus::Running(pid(holder.pid)));
    assert!(!hs[0].wait_exit(Some(Duration::ZERO)).unwrap());
    assert!(!hs[0].wait_exit(Some(Duration::from_nanos(1))).unwrap());
    assert!(hs[0].signal(Signal::KILL).unwrap());
    assert!(hs[0].wait_exit(Some(Duration::MAX)).unwrap());
    assert!(
        hs[0]
            .wait_exit(Some(Duration::from_secs(u64::MAX)))
            .unwrap()
    );
    assert!(hs[0].wait_exit(None).unwrap());
    assert_eq!(holder.wait(), Exit::Signal(libc::SIGKILL));
    // Reaped: the pidfd still refers to it, never to a successor.
    assert!(!hs[0].signal(Signal::TERM).unwrap());
}
