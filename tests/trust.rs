//! Pidfile trust, the signal side, played as an attacker would: the
//! daemon after its privilege drop, other users (`nobody`), processes that
//! cannot be verified, forking daemons and recycled pids, squatters, and a
//! relative pidfile that must mean the caller's directory. What
//! may be deleted is in `tests/trust_files.rs`. Root-only scenarios skip
//! visibly without root. Everything is judged through `/proc` and the file
//! system; nothing sleeps to synchronise.

#![allow(unsafe_code)] // fork, unshare, mount, seccomp, credentials through libc.

mod common;

use common::pidfile::{become_nobody, cpath, holders, paused_flock_holder, pid, serial};
use common::{Exit, TempDir, fd_target, paused_child, pipe, proc_state, spawn};
use core::ops::ControlFlow;
use daemonry::{
    DaemonContext, ErrorKind, Gid, Holder, OnReady, Op, Opened, Pid, PidStatus, Pidfile, Signal,
    Uid, check_pidlock, create_pidlock,
};
use std::ffi::CString;
use std::io::BufRead;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown(p: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
}

fn holder_pids(v: &[Holder]) -> Vec<i32> {
    v.iter().map(|h| h.pid().as_raw_nonzero().get()).collect()
}

/// Reaps the daemon `pid` (we are its subreaper): `Ok(None)` for exit 0,
/// `Ok(Some(sig))` when a signal ended it.
fn reap_daemon(pid: Pid) -> Result<Option<i32>, String> {
    let mut st = 0;
    // SAFETY: the daemon was re-parented to us (subreaper).
    let r = unsafe { libc::waitpid(pid.as_raw_nonzero().get(), &mut st, 0) };
    if r <= 0 {
        return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
    }
    if libc::WIFSIGNALED(st) {
        return Ok(Some(libc::WTERMSIG(st)));
    }
    match libc::WEXITSTATUS(st) {
        0 => Ok(None),
        n => Err(format!("daemon exited {n}")),
    }
}

fn subreaper() {
    // SAFETY: makes this forked child the reaper of its daemons.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

fn write_fd(fd: &OwnedFd, s: &str) {
    // SAFETY: a valid buffer to our own fd.
    unsafe { libc::write(fd.as_raw_fd(), s.as_ptr().cast(), s.len()) };
}

fn read_line(fd: OwnedFd) -> String {
    let mut line = String::new();
    let _ = std::io::BufReader::new(std::fs::File::from(fd)).read_line(&mut line);
    line.trim_end().to_string()
}

/// The child's copy of an fd the parent keeps: in a forked child, a
/// closure moving an `OwnedFd` would close the parent's copy when `spawn`
/// drops the unused closure there, so closures carry raw numbers.
fn inherited(fd: i32) -> OwnedFd {
    // SAFETY: called once per fd in the forked child, which owns its copy.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// Whether `pid` is alive and not a zombie.
fn alive(pid: i32) -> bool {
    matches!(proc_state(pid), Some(s) if s != 'Z' && s != 'X')
}

// ---------------------------------------------------------------------------
// The daemon after its privilege drop
// ---------------------------------------------------------------------------

/// The daemon, now `nobody`, inherits a read-only lock fd on a root-owned
/// 0600 file: it can neither `pwrite` through the fd, nor open the file for
/// writing, nor `write_pid`. And even a rewrite (played here by root) moves
/// no signal: the holders are the daemon alone, the victim the file names
/// is never reached, and once the daemon is gone the file is stale.
#[test]
fn the_dropped_daemon_cannot_rewrite_its_pidfile_and_a_rewrite_moves_no_signal() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let _serial = serial();
    let dir = TempDir::new("trust-drop");
    let path = dir.path().join("d.pid");
    let c = cpath(&path);
    let (report_r, report_w) = pipe();
    let (go_r, go_w) = pipe();
    let c2 = c.clone();
    let fds = [report_r, report_w, go_r, go_w].map(std::os::fd::IntoRawFd::into_raw_fd);
    let [report_r, report_w, go_r, go_w] = fds;
    let mut launcher = spawn(move |ctl| {
        subreaper();
        drop(inherited(go_w));
        drop(inherited(report_r));
        let (report_w, go_r) = (inherited(report_w), inherited(go_r));
        let opened = DaemonContext::new()
            .parent(OnReady::Return)
            .pidfile(c2.as_c_str())
            .user(Uid::from_raw(65534))
            .group(Gid::from_raw(65534))
            .keep(&report_w)
            .keep(&go_r)
            .open()
            .map_err(|e| e.to_string())?;
        match opened {
            Opened::Daemon(mut d) => {
                let mut lock = d.take_pidlock().ok_or("no pidlock")?;
                let fd = lock.fd().as_raw_fd();
                // SAFETY: a write attempt through our own fd.
                let pw = unsafe { libc::pwrite(fd, b"1\n".as_ptr().cast(), 2, 0) };
                let pw_err = errno();
                // SAFETY: a NUL-terminated path.
                let ow = unsafe { libc::open(c2.as_ptr(), libc::O_WRONLY | libc::O_NOFOLLOW) };
                let ow_err = errno();
                let wp = lock
                    .write_pid()
                    .map_err(|e| e.errno().map(|e| e.raw_os_error()));
                write_fd(
                    &report_w,
                    &format!("{fd} {pw} {pw_err} {ow} {ow_err} {wp:?}\n"),
                );
                let mut b = [0u8; 1];
                // SAFETY: blocks until the test is done with us.
                unsafe { libc::read(go_r.as_raw_fd(), b.as_mut_ptr().cast(), 1) };
                daemonry::exit_immediately(0)
            }
            Opened::Original(p) => {
                ctl.send(&p.as_raw_nonzero().to_string());
                match reap_daemon(p)? {
                    Some(libc::SIGTERM) => Ok(()),
                    other => Err(format!("daemon ended with {other:?}, not SIGTERM")),
                }
            }
        }
    });
    drop(inherited(report_w));
    drop(inherited(go_r));
    let go_w = inherited(go_w);
    let dpid: i32 = launcher.recv().expect("daemon pid").parse().unwrap();
    let report = read_line(inherited(report_r));
    let want_tail = format!(
        "-1 {} -1 {} Err(Some({}))",
        libc::EBADF,
        libc::EACCES,
        libc::EACCES
    );
    let (fd, tail) = report.split_once(' ').unwrap();
    assert_eq!(
        tail, want_tail,
        "pwrite, open(O_WRONLY), write_pid as nobody"
    );
    // The daemon's fd shows the real path, and the file still names it.
    assert_eq!(fd_target(dpid, fd.parse().unwrap()), path.to_str().unwrap());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        format!("{dpid}\n").into_bytes()
    );
    assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o7777, 0o1600);
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Running(pid(dpid)));

    // The worst case, played by root: the file rewritten in place (same
    // inode, lock still held) with a victim's pid.
    let mut victim = paused_child();
    std::fs::write(&path, format!("{}\n", victim.pid)).unwrap();
    let (st, hs) = holders(&pf);
    assert_eq!(st, PidStatus::HeldByOthers(Some(pid(victim.pid))));
    assert_eq!(holder_pids(&hs), [dpid], "only the verified holder");
    assert!(hs[0].holds_lock());
    for h in &hs {
        assert!(h.signal(Signal::TERM).unwrap());
        assert!(h.wait_exit(Some(Duration::from_secs(30))).unwrap());
    }
    assert!(
        alive(victim.pid),
        "the pid the file names was never signalled"
    );
    launcher.finish().unwrap();
    // The holder is gone: a daemonry pidfile nobody holds is stale, however
    // alive the process its pid names.
    let (st, hs) = holders(&pf);
    assert_eq!(st, PidStatus::Stale(pid(victim.pid)));
    assert!(hs.is_empty());
    assert!(alive(victim.pid));
    drop(go_w);
    victim.resume();
    victim.finish().unwrap();
}

/// A daemon that dropped privileges cannot unlink its pidfile from a
/// root-owned directory when it exits cleanly; root's `stop` or `start`
/// finds the file stale and removes it.
#[test]
fn a_clean_exit_after_the_drop_leaves_a_stale_file_root_removes() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let _serial = serial();
    let dir = TempDir::new("trust-clean-exit");
    let path = dir.path().join("d.pid");
    let c = cpath(&path);
    let c2 = c.clone();
    let mut launcher = spawn(move |ctl| {
        subreaper();
        let opened = DaemonContext::new()
            .parent(OnReady::Return)
            .pidfile(c2.as_c_str())
            .user(Uid::from_raw(65534))
            .group(Gid::from_raw(65534))
            .open()
            .map_err(|e| e.to_string())?;
        match opened {
            // Returning drops the handle: the release's unlink fails
            // (EACCES), the fd closes.
            Opened::Daemon(_d) => Ok(()),
            Opened::Original(p) => {
                ctl.send(&p.as_raw_nonzero().to_string());
                reap_daemon(p).map(drop)
            }
        }
    });
    let dpid: i32 = launcher.recv().unwrap().parse().unwrap();
    launcher.finish().unwrap();
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Stale(pid(dpid)));
    assert!(pf.remove_if_stale().unwrap());
    assert!(!path.exists());
    // And the same file makes no trouble for the next start.
    std::fs::write(&path, format!("{dpid}\n")).unwrap();
    drop(create_pidlock(c.as_c_str()).unwrap());
    assert!(!path.exists());
}

/// A start that fails after the privilege drop leaves no pidfile: the
/// daemon, now `nobody`, cannot unlink it, but it lets go of the lock
/// before reporting, and the still-privileged launcher removes the file it
/// published—only that file, and only unheld.
#[test]
fn a_failed_start_after_the_drop_leaves_no_pidfile() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let _serial = serial();
    let dir = TempDir::new("trust-failed-start");
    for how in ["hook", "fail"] {
        let path = dir.path().join(format!("{how}.pid"));
        let c = cpath(&path);
        common::in_child(move || {
            subreaper();
            let mut hook = || Err(daemonry::Error::invalid(Op::Hook));
            let mut ctx = DaemonContext::new()
                .parent(OnReady::Return)
                .pidfile(c.as_c_str())
                .user(Uid::from_raw(65534))
                .group(Gid::from_raw(65534));
            if how == "hook" {
                // Runs after the drop.
                ctx = ctx.after_chdir(&mut hook);
            } else {
                ctx = ctx.ready_on_open(false);
            }
            match ctx.open() {
                Ok(Opened::Daemon(d)) => {
                    let e = daemonry::Error::os(Op::Execve, daemonry::Errno::NOENT);
                    d.fail(e.with_input(b"/nonexistent/server"))
                }
                Ok(Opened::Original(p)) => Err(format!("daemon {p:?} reported ready")),
                Err(e) => {
                    let want = if how == "hook" { Op::Hook } else { Op::Execve };
                    if e.op() != want {
                        return Err(format!("{how}: unexpected error {e}"));
                    }
                    let left = std::fs::read_dir(c.to_str().unwrap().rsplit_once('/').unwrap().0)
                        .map_err(|e| e.to_string())?
                        .filter_map(|e| e.ok())
                        .map(|e| e.file_name())
                        .collect::<Vec<_>>();
                    if !left.is_empty() {
                        return Err(format!("{how}: left {left:?}"));
                    }
                    Ok(())
                }
            }
        });
    }
}

// ---------------------------------------------------------------------------
// Other users' files
// ---------------------------------------------------------------------------

/// A lock-less pidfile others could have written names a live victim: it
/// is `Untrusted`, never signalled, never removed, and `start` refuses it
/// naming the reason. The same pid in a file root owns, in a directory
/// others cannot write, is trusted.
#[test]
fn other_users_pidfiles_are_untrusted_and_never_signalled() {
    require_root!();
    let _serial = serial();
    let top = TempDir::new("trust-untrusted");
    let mut victim = paused_child();
    let v = victim.pid;
    let sticky = top.path().join("sticky");
    let theirs = top.path().join("theirs");
    let ours = top.path().join("ours");
    for d in [&sticky, &theirs, &ours] {
        std::fs::create_dir(d).unwrap();
    }
    chmod(&sticky, 0o1777);
    chown(&theirs, 65534, 65534);
    chmod(&ours, 0o755);
    // nobody writes pidfiles naming the victim where it can.
    let (s2, t2) = (sticky.clone(), theirs.clone());
    common::in_child(move || {
        become_nobody()?;
        for d in [&s2, &t2] {
            std::fs::write(d.join("x.pid"), format!("{v}\n")).map_err(|e| e.to_string())?;
        }
        Ok(())
    });
    // Root-owned files in the directory nobody owns, and a world-writable
    // one in ours.
    std::fs::write(theirs.join("root.pid"), format!("{v}\n")).unwrap();
    std::fs::write(ours.join("writable.pid"), format!("{v}\n")).unwrap();
    chmod(&ours.join("writable.pid"), 0o666);
    for p in [
        sticky.join("x.pid"),
        theirs.join("x.pid"),
        theirs.join("root.pid"),
        ours.join("writable.pid"),
    ] {
        let c = cpath(&p);
        let before = std::fs::read(&p).unwrap();
        let pf = Pidfile::new(c.as_c_str()).unwrap();
        let (st, hs) = holders(&pf);
        assert_eq!(st, PidStatus::Untrusted(pid(v)), "{p:?}");
        assert!(hs.is_empty(), "{p:?}: an untrusted file hands over no one");
        assert!(!pf.remove_if_stale().unwrap(), "{p:?}");
        for e in [
            create_pidlock(c.as_c_str()).unwrap_err(),
            check_pidlock(c.as_c_str()).unwrap_err(),
        ] {
            assert_eq!(
                (e.kind(), e.op()),
                (ErrorKind::Security, Op::UntrustedPidfile)
            );
        }
        assert_eq!(std::fs::read(&p).unwrap(), before, "{p:?} untouched");
    }
    // Control: trusted files—root's, not writable by others, in a directory
    // others cannot write, or in the sticky one.
    std::fs::write(ours.join("root.pid"), format!("{v}\n")).unwrap();
    std::fs::write(sticky.join("root.pid"), format!("{v}\n")).unwrap();
    for p in [ours.join("root.pid"), sticky.join("root.pid")] {
        let c = cpath(&p);
        let pf = Pidfile::new(c.as_c_str()).unwrap();
        let (st, hs) = holders(&pf);
        assert_eq!(st, PidStatus::Unlocked(pid(v)), "{p:?}");
        assert_eq!(holder_pids(&hs), [v]);
        assert!(!hs[0].holds_lock(), "judged by its start time, not a lock");
    }
    assert!(alive(v));
    victim.resume();
    victim.finish().unwrap();
}

/// A non-root caller cannot read a root daemon's `/proc/<pid>/fd`: a lock
/// it can see but not attribute is `Unverified`, never a guess, and
/// nothing is handed over to signal.
#[test]
fn holders_that_cannot_be_verified_are_said_so() {
    require_root!();
    let _serial = serial();
    let dir = TempDir::new("trust-unverified");
    let path = dir.path().join("tool.pid");
    let c = cpath(&path);
    // Another tool's pidfile: world-readable, locked by root's holder,
    // naming itself.
    let mut holder = paused_flock_holder(&path, || format!("{}\n", std::process::id()));
    let h = holder.pid;
    assert_eq!(
        Pidfile::new(c.as_c_str()).unwrap().probe().unwrap(),
        PidStatus::Running(pid(h))
    );
    let c2 = c.clone();
    common::in_child(move || {
        become_nobody()?;
        let pf = Pidfile::new(c2.as_c_str()).unwrap();
        let mut n = 0;
        let st = pf
            .holders(|_| {
                n += 1;
                ControlFlow::Continue(())
            })
            .map_err(|e| e.to_string())?;
        if st != PidStatus::Unverified(Some(pid(h))) || n != 0 {
            return Err(format!("as nobody: {st:?}, {n} holders"));
        }
        if st.lsb_status() != 4 {
            return Err("cannot verify is LSB 4".into());
        }
        let e = create_pidlock(c2.as_c_str()).unwrap_err();
        if (e.kind(), e.pid()) != (ErrorKind::LockFailed, None) {
            return Err(format!("create_pidlock as nobody: {e}"));
        }
        Ok(())
    });
    holder.resume();
    holder.finish().unwrap();
}

// ---------------------------------------------------------------------------
// Forking daemons and recycled pids
// ---------------------------------------------------------------------------

/// `sh -c 'sleep 600 & exit 0'` with the lock: the file names the dead
/// shell, the lock lives in `sleep`. In a pid namespace of our own the
/// shell's pid is then handed to an unrelated process
/// (`/proc/sys/kernel/ns_last_pid`). The status names the real holder and
/// says the file's pid is not it; `stop` (signal every holder through its
/// pidfd) ends `sleep`, and the process with the recycled pid is never
/// signalled—not even after the holder is gone.
#[test]
fn a_forking_daemon_and_a_recycled_pid() {
    require_root!();
    let _serial = serial();
    let dir = TempDir::new("trust-fork");
    let path = dir.path().join("fork.pid");
    let c = cpath(&path);
    let child = spawn(move |ctl| {
        // SAFETY: new pid and mount namespaces for this child's children.
        if unsafe { libc::unshare(libc::CLONE_NEWPID | libc::CLONE_NEWNS) } != 0 {
            return Err(format!("unshare: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: a single-threaded forked child forks again.
        let init = unsafe { common::fork() };
        if init == 0 {
            let code = match pid_namespace_init(&c) {
                Ok(()) => 0,
                Err(m) => {
                    ctl.send(&format!("\x02{m}"));
                    1
                }
            };
            // SAFETY: leaves without running the harness's cleanup.
            unsafe { libc::_exit(code) };
        }
        let mut st = 0;
        // SAFETY: our own child.
        unsafe { libc::waitpid(init, &mut st, 0) };
        if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0 {
            return Ok(());
        }
        if libc::WIFEXITED(st) {
            // The namespace's init sent its own message: keep it the last.
            // SAFETY: leaves without running the harness's cleanup.
            unsafe { libc::_exit(1) };
        }
        Err(format!("namespace init ended with {st:#x}"))
    });
    child.finish().unwrap();
}

/// The scenario of [`a_forking_daemon_and_a_recycled_pid`], as pid 1 of a
/// fresh pid namespace.
fn pid_namespace_init(c: &CString) -> Result<(), String> {
    // SAFETY: a private mount namespace, and /proc for the new pid
    // namespace inside it.
    unsafe {
        let none = c"none";
        if libc::mount(
            none.as_ptr(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ) != 0
            || libc::mount(
                c"proc".as_ptr(),
                c"/proc".as_ptr(),
                c"proc".as_ptr(),
                0,
                std::ptr::null(),
            ) != 0
        {
            return Err(format!("mount: {}", std::io::Error::last_os_error()));
        }
    }
    if std::process::id() != 1 {
        return Err(format!("not pid 1 but {}", std::process::id()));
    }
    // The "daemon": a shell that takes the lock, leaves it to `sleep` in
    // the background, and exits.
    // SAFETY: fork in a single-threaded process; the child only execs.
    let shell = unsafe { common::fork() };
    if shell == 0 {
        let Ok(lock) = create_pidlock(c.as_c_str()) else {
            // SAFETY: leave at once.
            unsafe { libc::_exit(3) };
        };
        let _ = lock.set_inheritable(true);
        std::mem::forget(lock);
        let sh = c"/bin/sh";
        let args = [
            sh.as_ptr(),
            c"-c".as_ptr(),
            c"/bin/sleep 600 </dev/null & exit 0".as_ptr(),
            std::ptr::null(),
        ];
        // SAFETY: NUL-terminated strings and a null-terminated argv.
        unsafe {
            libc::execv(sh.as_ptr(), args.as_ptr());
            libc::_exit(127);
        }
    }
    let mut st = 0;
    // SAFETY: our child.
    unsafe { libc::waitpid(shell, &mut st, 0) };
    if !libc::WIFEXITED(st) || libc::WEXITSTATUS(st) != 0 {
        return Err(format!("shell ended with {st:#x}"));
    }
    let pf = Pidfile::new(c.as_c_str()).map_err(|e| e.to_string())?;
    let (status, hs) = holders(&pf);
    if status != PidStatus::HeldByOthers(Some(pid(shell))) || hs.len() != 1 {
        return Err(format!(
            "after the fork: {status:?}, holders {:?}",
            holder_pids(&hs)
        ));
    }
    // The shell's background child (`sleep`, or still `sh` for an instant
    // before its exec), which inherited the lock.
    let sleeper = hs[0].pid().as_raw_nonzero().get();
    if sleeper == shell {
        return Err("the dead shell was handed over".into());
    }
    drop(hs);
    // Recycle the shell's pid for an unrelated process.
    std::fs::write("/proc/sys/kernel/ns_last_pid", format!("{}", shell - 1))
        .map_err(|e| format!("ns_last_pid: {e}"))?;
    let (q_r, q_w) = pipe();
    // SAFETY: fork; the child blocks on the pipe, then leaves.
    let reused = unsafe { common::fork() };
    if reused == 0 {
        drop(q_w);
        let mut b = [0u8; 1];
        // SAFETY: blocks until the write end closes.
        unsafe {
            libc::read(q_r.as_raw_fd(), b.as_mut_ptr().cast(), 1);
            libc::_exit(0);
        }
    }
    drop(q_r);
    if reused != shell {
        return Err(format!("pid {shell} not recycled: got {reused}"));
    }
    // `status`: still the sleeper, and the file's pid is not it.
    let (status, hs) = holders(&pf);
    if status != PidStatus::HeldByOthers(Some(pid(shell))) || holder_pids(&hs) != [sleeper] {
        return Err(format!(
            "after reuse: {status:?}, holders {:?}",
            holder_pids(&hs)
        ));
    }
    // `stop`: every verified holder, through its pidfd.
    for h in &hs {
        if !h.signal(Signal::TERM).map_err(|e| e.to_string())? {
            return Err("the sleeper was gone before the signal".into());
        }
        if !h
            .wait_exit(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?
        {
            return Err("the sleeper did not exit".into());
        }
    }
    drop(hs);
    if !alive(reused) {
        return Err("the process with the recycled pid was signalled".into());
    }
    // `stop` looks again: the holder is gone, the (daemonry) file is stale
    // although its pid names a live process that is older than... nothing:
    // nobody to signal.
    let (status, hs) = holders(&pf);
    if status != PidStatus::Stale(pid(shell)) || !hs.is_empty() {
        return Err(format!("after the holder: {status:?}, {}", hs.len()));
    }
    if !pf.remove_if_stale().map_err(|e| e.to_string())? {
        return Err("stale file not removed".into());
    }
    if !alive(reused) {
        return Err("the process with the recycled pid died".into());
    }
    drop(q_w);
    // Reap everything (the sleeper and the recycled one).
    // SAFETY: waitpid on our children.
    while unsafe { libc::waitpid(-1, std::ptr::null_mut(), 0) } > 0 {}
    Ok(())
}

// ---------------------------------------------------------------------------
// Squatters
// ---------------------------------------------------------------------------

/// Another user cannot open a daemonry pidfile (0600), nor reach it
/// through the holder's `/proc/<pid>/fd`, so cannot take its lock; once the
/// holder is gone a restart succeeds and the status says stale.
#[test]
fn a_squatter_can_neither_open_the_pidfile_nor_block_a_restart() {
    require_root!();
    let _serial = serial();
    let dir = TempDir::new("trust-squat");
    chmod(dir.path(), 0o755);
    let path = dir.path().join("app.pid");
    let c = cpath(&path);
    let c2 = c.clone();
    let mut holder = spawn(move |ctl| {
        let lock = create_pidlock(c2.as_c_str()).map_err(|e| e.to_string())?;
        ctl.send(&lock.fd().as_raw_fd().to_string());
        ctl.pause();
        std::mem::forget(lock); // dies holding it
        Ok(())
    });
    let fd: i32 = holder.recv().unwrap().parse().unwrap();
    holder.wait_paused();
    let (h, p2) = (holder.pid, path.clone());
    common::in_child(move || {
        become_nobody()?;
        let direct = std::fs::File::open(&p2).map_err(|e| e.raw_os_error());
        let via_proc =
            std::fs::File::open(format!("/proc/{h}/fd/{fd}")).map_err(|e| e.raw_os_error());
        match (direct, via_proc) {
            (Err(Some(libc::EACCES)), Err(Some(libc::EACCES))) => Ok(()),
            other => Err(format!("the squatter opened it: {other:?}")),
        }
    });
    // SAFETY: our own child.
    unsafe { libc::kill(h, libc::SIGKILL) };
    assert_eq!(holder.wait(), Exit::Signal(libc::SIGKILL));
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Stale(pid(h)));
    let lock = create_pidlock(c.as_c_str()).expect("restart after the holder died");
    assert_eq!(pf.probe().unwrap(), PidStatus::Running(lock.pid()));
}

/// The price of the 0600 rule, stated: on a world-readable lock-less file
/// written by another tool, another user's `flock` makes it the holder.
/// The status says exactly that (the lock is held by that process, the
/// file's pid is not it) rather than "running"; nothing is guessed.
#[test]
fn a_squatter_on_another_tools_world_readable_file_is_named_as_the_holder() {
    require_root!();
    let _serial = serial();
    let dir = TempDir::new("trust-squat-legacy");
    let path = dir.path().join("legacy.pid");
    let c = cpath(&path);
    let mut dead = spawn(|_| Ok(()));
    assert_eq!(dead.wait(), Exit::Code(0));
    std::fs::write(&path, format!("{}\n", dead.pid)).unwrap();
    chmod(&path, 0o644);
    let p2 = path.clone();
    let mut squatter = spawn(move |ctl| {
        become_nobody()?;
        let f = std::fs::File::open(&p2).map_err(|e| e.to_string())?;
        // SAFETY: flock on our own file.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err("flock".into());
        }
        ctl.pause();
        Ok(())
    });
    squatter.wait_paused();
    let pf = Pidfile::new(c.as_c_str()).unwrap();
    let (st, hs) = holders(&pf);
    assert_eq!(st, PidStatus::HeldByOthers(Some(pid(dead.pid))));
    assert_eq!(holder_pids(&hs), [squatter.pid]);
    let e = create_pidlock(c.as_c_str()).unwrap_err();
    assert_eq!(
        (e.kind(), e.pid()),
        (ErrorKind::LockFailed, Some(pid(squatter.pid)))
    );
    squatter.resume();
    squatter.finish().unwrap();
    assert_eq!(pf.probe().unwrap(), PidStatus::Stale(pid(dead.pid)));
    drop(create_pidlock(c.as_c_str()).unwrap());
}

// ---------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------

/// A relative pidfile means the caller's working directory when
/// `DaemonContext::open` is called—not the daemon's `/`—and `status` from
/// that same directory finds the daemon.
#[test]
#[cfg(feature = "std")]
fn a_relative_pidfile_means_the_callers_directory() {
    skip_under_emulation!(common::emu::THREADS);
    let _serial = serial();
    let dir = TempDir::new("trust-relative");
    let d = dir.path().to_path_buf();
    let (go_r, go_w) = pipe();
    let [go_r, go_w] = [go_r, go_w].map(std::os::fd::IntoRawFd::into_raw_fd);
    let mut launcher = spawn(move |ctl| {
        subreaper();
        drop(inherited(go_w));
        let go_r = inherited(go_r);
        std::env::set_current_dir(&d).map_err(|e| e.to_string())?;
        let opened = DaemonContext::new()
            .parent(OnReady::Return)
            .pidfile(c"rel.pid")
            .workdir(c"/")
            .keep(&go_r)
            .open()
            .map_err(|e| e.to_string())?;
        match opened {
            Opened::Daemon(d) => {
                let mut b = [0u8; 1];
                // SAFETY: blocks until the test closes the pipe.
                unsafe { libc::read(go_r.as_raw_fd(), b.as_mut_ptr().cast(), 1) };
                drop(d); // releases: the file goes
                Ok(())
            }
            Opened::Original(p) => {
                // `status --pidfile rel.pid` from the same directory.
                let st = Pidfile::new("rel.pid")
                    .and_then(|pf| pf.probe())
                    .map_err(|e| e.to_string())?;
                if st != PidStatus::Running(p) {
                    return Err(format!("status from the caller's directory: {st:?}"));
                }
                if Path::new("/rel.pid").exists() {
                    return Err("created at /rel.pid".into());
                }
                ctl.send("ok");
                reap_daemon(p).map(drop)
            }
        }
    });
    drop(inherited(go_r));
    let go_w = inherited(go_w);
    assert_eq!(launcher.recv().as_deref(), Some("ok"));
    assert!(dir.path().join("rel.pid").exists());
    drop(go_w);
    launcher.finish().unwrap();
    assert!(!dir.path().join("rel.pid").exists(), "released on exit");
    assert_eq!(
        Pidfile::new("").unwrap_err().kind(),
        ErrorKind::InvalidInput,
        "an empty path is refused, not 'stopped'"
    );
}
