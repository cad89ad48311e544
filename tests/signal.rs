//! Signal names and dispositions. Every test that changes a disposition,
//! the mask or the alarm runs in a forked child and is judged from outside:
//! by its exit status (survived, or killed by which signal) and by the
//! `SigIgn`/`SigCgt`/`SigBlk` masks of `/proc/<pid>/status`.
#![allow(unsafe_code)] // libc kill/pause in the children.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Exit, spawn, status_mask};
use daemonry::signal::{self, Disposition, SigSet};
use daemonry::{Errno, ErrorKind, parse_signal, signal_name};

const USR1: i32 = libc::SIGUSR1;

fn bit(sig: i32) -> u64 {
    1 << (sig - 1)
}

/// Sends `sig` to ourselves; in a single-threaded child it is delivered
/// before `kill` returns.
fn raise(sig: i32) {
    // SAFETY: kill on our own pid.
    unsafe { libc::kill(libc::getpid(), sig) };
}

#[test]
fn every_name_round_trips_number_name_number() {
    for n in 1..=64 {
        let name = signal_name(n).unwrap_or_else(|| panic!("{n} has no name"));
        assert_eq!(name.number(), n);
        assert_eq!(parse_signal(name.as_str()).unwrap(), n, "{name}");
        assert_eq!(parse_signal(name.short()).unwrap(), n, "{name}");
        assert_eq!(parse_signal(&name.as_str().to_lowercase()).unwrap(), n);
        assert_eq!(parse_signal(&n.to_string()).unwrap(), n);
        assert_eq!(format!("SIG{}", name.short()), name.to_string());
    }
    assert_eq!(signal::all().count(), 64);
}

#[test]
fn numbers_agree_with_libc() {
    let libc_names = [
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGINT, "SIGINT"),
        (libc::SIGQUIT, "SIGQUIT"),
        (libc::SIGABRT, "SIGABRT"),
        (libc::SIGKILL, "SIGKILL"),
        (libc::SIGUSR1, "SIGUSR1"),
        (libc::SIGSEGV, "SIGSEGV"),
        (libc::SIGPIPE, "SIGPIPE"),
        (libc::SIGALRM, "SIGALRM"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGSTKFLT, "SIGSTKFLT"),
        (libc::SIGCHLD, "SIGCHLD"),
        (libc::SIGSTOP, "SIGSTOP"),
        (libc::SIGIO, "SIGIO"),
        (libc::SIGPWR, "SIGPWR"),
        (libc::SIGSYS, "SIGSYS"),
    ];
    for (n, name) in libc_names {
        assert_eq!(signal_name(n).unwrap().as_str(), name);
    }
    // glibc reserves two real-time signals: its SIGRTMIN is the kernel's + 2.
    assert_eq!(libc::SIGRTMIN(), signal::SIGRTMIN + 2);
    assert_eq!(libc::SIGRTMAX(), signal::SIGRTMAX);
}

#[test]
fn parse_accepts_and_rejects() {
    for (s, n) in [
        ("term", 15),
        ("SIGTERM", 15),
        ("15", 15),
        ("SIGRTMIN+3", 35),
        ("rtmax-1", 63),
        ("SIGRTMIN", 32),
        ("RTMAX", 64),
        ("sigcld", 17),
        ("IOT", 6),
        ("SIGPOLL", 29),
        ("64", 64),
        ("1", 1),
    ] {
        assert_eq!(parse_signal(s).unwrap(), n, "{s}");
    }
    assert_eq!(signal_name(17).unwrap().as_str(), "SIGCHLD");
    assert_eq!(signal_name(6).unwrap().as_str(), "SIGABRT");
    assert_eq!(signal_name(29).unwrap().as_str(), "SIGIO");
    assert_eq!(signal_name(48).unwrap().as_str(), "SIGRTMIN+16");
    assert_eq!(signal_name(49).unwrap().as_str(), "SIGRTMAX-15");
    for bad in [
        "SIGFOO",
        "65",
        "-1",
        "",
        "0",
        "SIGRTMIN+33",
        "SIGUNUSED",
        "SIGSTKSZ",
    ] {
        let e = parse_signal(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(e.input().unwrap().as_bytes(), bad.as_bytes(), "{bad:?}");
        assert!(!signal::supported(bad));
    }
    assert!(parse_signal("65").unwrap_err().to_string().contains("65"));
    assert!(signal::supported("usr1"));
}

#[test]
fn ignore_then_raise_survives_and_reset_then_raise_dies() {
    let mut c = spawn(|ctl| {
        signal::ignore(&[USR1]).map_err(|e| e.to_string())?;
        if signal::handler(USR1) != Ok(Disposition::Ignore) {
            return Err("handler() does not report Ignore".into());
        }
        raise(USR1);
        ctl.send("survived");
        ctl.pause();
        signal::reset(&[USR1]).map_err(|e| e.to_string())?;
        if signal::handler(USR1) != Ok(Disposition::Default) {
            return Err("handler() does not report Default".into());
        }
        raise(USR1);
        ctl.send("still alive after reset");
        Ok(())
    });
    assert_eq!(c.recv().as_deref(), Some("survived"));
    c.wait_paused();
    assert_ne!(
        status_mask(c.pid, "SigIgn") & bit(USR1),
        0,
        "SigIgn lacks USR1"
    );
    c.resume();
    assert_eq!(c.recv(), None, "the child kept running after SIGUSR1");
    assert_eq!(c.wait(), Exit::Signal(USR1));
}

static HITS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_hit(sig: i32) {
    if sig == USR1 {
        HITS.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn set_handler_runs_and_execution_continues() {
    let mut c = spawn(|ctl| {
        // SAFETY: the handler only increments an atomic.
        let old = unsafe { signal::set_handler(USR1, count_hit) }.map_err(|e| e.to_string())?;
        if old != Disposition::Default {
            return Err(format!("previous disposition {old:?}"));
        }
        let now = signal::handler(USR1).map_err(|e| e.to_string())?;
        let want = Disposition::from_handler(count_hit);
        if now != want {
            return Err(format!("handler() = {now:?}, want {want:?}"));
        }
        // Many round trips through the restorer trampoline: each handler
        // returns and this loop, its locals and the stack carry on.
        let mut local = 0u64;
        for i in 0..1000u64 {
            raise(USR1);
            local += i;
        }
        ctl.send(&format!(
            "hits {} local {local}",
            HITS.load(Ordering::SeqCst)
        ));
        ctl.pause();
        Ok(())
    });
    assert_eq!(c.recv().as_deref(), Some("hits 1000 local 499500"));
    c.wait_paused();
    assert_ne!(
        status_mask(c.pid, "SigCgt") & bit(USR1),
        0,
        "SigCgt lacks USR1"
    );
    c.resume();
    c.finish().unwrap();
}

#[test]
fn kill_and_stop_give_einval_and_change_nothing() {
    common::in_child(|| {
        for sig in [libc::SIGKILL, libc::SIGSTOP] {
            let e = signal::ignore(&[USR1, sig]).unwrap_err();
            if e.kind() != ErrorKind::Os || e.errno() != Some(Errno::INVAL) {
                return Err(format!("ignore({sig}): {e:?}"));
            }
            let name = signal_name(sig).unwrap();
            if e.input().map(|i| i.as_bytes()) != Some(name.as_str().as_bytes()) {
                return Err(format!("error does not name {name}: {e}"));
            }
            // SAFETY: the handler only increments an atomic.
            let e = unsafe { signal::set_handler(sig, count_hit) }.unwrap_err();
            if e.errno() != Some(Errno::INVAL) {
                return Err(format!("set_handler({sig}): {e:?}"));
            }
            if signal::reset(&[sig]).unwrap_err().errno() != Some(Errno::INVAL) {
                return Err(format!("reset({sig}) accepted"));
            }
        }
        // USR1 came first in the list but nothing was applied.
        match signal::handler(USR1) {
            Ok(Disposition::Default) => {}
            other => return Err(format!("USR1 changed: {other:?}")),
        }
        let e = signal::ignore(&[65]).unwrap_err();
        if e.kind() != ErrorKind::InvalidInput || e.input().unwrap().as_bytes() != b"65" {
            return Err(format!("ignore(65): {e:?}"));
        }
        Ok(())
    });
}

#[test]
fn reset_all_leaves_every_catchable_signal_default_and_mask_empty() {
    let mut c = spawn(|ctl| {
        // Std already handles SIGSEGV/SIGBUS and ignores SIGPIPE; add more.
        signal::ignore(&[libc::SIGHUP, libc::SIGTERM, 40]).map_err(|e| e.to_string())?;
        // SAFETY: the handler only increments an atomic.
        unsafe { signal::set_handler(USR1, count_hit) }.map_err(|e| e.to_string())?;
        // SAFETY: as above.
        unsafe { signal::set_handler(64, count_hit) }.map_err(|e| e.to_string())?;
        signal::block(&SigSet::from_signals(&[libc::SIGUSR2, libc::SIGINT, 50]).unwrap())
            .map_err(|e| e.to_string())?;
        ctl.pause();
        signal::reset_all().map_err(|e| e.to_string())?;
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    let (ign, cgt, blk) = (
        status_mask(c.pid, "SigIgn"),
        status_mask(c.pid, "SigCgt"),
        status_mask(c.pid, "SigBlk"),
    );
    assert_eq!(
        ign & (bit(1) | bit(15) | bit(40)),
        bit(1) | bit(15) | bit(40)
    );
    assert_eq!(cgt & (bit(USR1) | bit(64)), bit(USR1) | bit(64));
    assert_eq!(blk, bit(libc::SIGUSR2) | bit(libc::SIGINT) | bit(50));
    c.resume();
    c.wait_paused();
    assert_eq!(status_mask(c.pid, "SigIgn"), 0, "SigIgn after reset_all");
    assert_eq!(status_mask(c.pid, "SigCgt"), 0, "SigCgt after reset_all");
    assert_eq!(status_mask(c.pid, "SigBlk"), 0, "SigBlk after reset_all");
    c.resume();
    c.finish().unwrap();
}

#[test]
fn block_defers_and_unblock_delivers() {
    let mut c = spawn(|ctl| {
        let set = SigSet::from_signals(&[USR1]).unwrap();
        let old = signal::block(&set).map_err(|e| e.to_string())?;
        if old.contains(USR1) {
            return Err("USR1 was already blocked".into());
        }
        if !signal::mask().map_err(|e| e.to_string())?.contains(USR1) {
            return Err("mask() lacks USR1".into());
        }
        raise(USR1);
        ctl.pause();
        signal::unblock(&set).map_err(|e| e.to_string())?;
        ctl.send("alive after unblock");
        Ok(())
    });
    c.wait_paused();
    assert_eq!(status_mask(c.pid, "SigBlk"), bit(USR1));
    assert_ne!(
        status_mask(c.pid, "ShdPnd") & bit(USR1),
        0,
        "USR1 not pending"
    );
    c.resume();
    assert_eq!(c.recv(), None);
    assert_eq!(c.wait(), Exit::Signal(USR1));
}

#[test]
fn set_mask_replaces_and_returns_previous() {
    let mut c = spawn(|ctl| {
        let a = SigSet::from_signals(&[libc::SIGHUP, 33]).unwrap();
        signal::set_mask(&a).map_err(|e| e.to_string())?;
        let b = SigSet::from_signals(&[libc::SIGTERM]).unwrap();
        let prev = signal::set_mask(&b).map_err(|e| e.to_string())?;
        if prev != a {
            return Err(format!("previous mask {prev:?}, want {a:?}"));
        }
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    assert_eq!(status_mask(c.pid, "SigBlk"), bit(libc::SIGTERM));
    c.resume();
    c.finish().unwrap();
}

/// Waits for a signal without sleeping: `pause()` returns only when a
/// handled signal arrives, so a default-action SIGALRM ends the process.
fn wait_forever() -> ! {
    loop {
        // SAFETY: pause has no preconditions.
        unsafe { libc::pause() };
    }
}

#[test]
fn arm_alarm_delivers_sigalrm() {
    let mut c = spawn(|_| {
        signal::arm_alarm(Duration::from_millis(50)).map_err(|e| e.to_string())?;
        wait_forever()
    });
    assert_eq!(c.wait(), Exit::Signal(libc::SIGALRM));
}

#[test]
fn arm_alarm_below_a_microsecond_still_fires() {
    let mut c = spawn(|_| {
        signal::arm_alarm(Duration::from_nanos(1)).map_err(|e| e.to_string())?;
        wait_forever()
    });
    assert_eq!(c.wait(), Exit::Signal(libc::SIGALRM));
}

#[test]
fn reset_alarm_returns_remaining_and_cancels() {
    common::in_child(|| {
        let e = |e: daemonry::Error| e.to_string();
        if signal::arm_alarm(Duration::from_secs(100)).map_err(e)? != Duration::ZERO {
            return Err("an alarm was already armed".into());
        }
        // Re-arming reports what was left of the first alarm.
        let left = signal::arm_alarm(Duration::from_secs(200)).map_err(e)?;
        if left.is_zero() || left > Duration::from_secs(100) {
            return Err(format!("arm_alarm returned {left:?}"));
        }
        let left = signal::reset_alarm().map_err(e)?;
        if left <= Duration::from_secs(100) || left > Duration::from_secs(200) {
            return Err(format!("reset_alarm returned {left:?}"));
        }
        // Cancelled: nothing left to report.
        if signal::reset_alarm().map_err(e)? != Duration::ZERO {
            return Err("alarm still armed after reset_alarm".into());
        }
        // Zero disarms too.
        signal::arm_alarm(Duration::from_secs(100)).map_err(e)?;
        signal::arm_alarm(Duration::ZERO).map_err(e)?;
        if signal::reset_alarm().map_err(e)? != Duration::ZERO {
            return Err("arm_alarm(0) did not disarm".into());
        }
        Ok(())
    });
}

// == issue 7: taking signals synchronously and sending them by number ==

use daemonry::Fork;
use daemonry::process::{ChildExit, wait_for};

/// daemonry's fork for the test children (which only make system calls,
/// or run ordinary Rust in a single-threaded child, before they exit).
fn own_fork() -> Result<Fork, String> {
    // SAFETY: see above.
    unsafe { daemonry::fork() }.map_err(|e| e.to_string())
}

fn os(e: daemonry::Error) -> String {
    e.to_string()
}

#[test]
fn wait_takes_a_blocked_signal_and_names_its_sender() {
    let mut c = spawn(|ctl| {
        let set = SigSet::from_signals(&[USR1]).map_err(os)?;
        signal::block(&set).map_err(os)?;
        let me = rustix::process::getpid();
        let sender = match own_fork()? {
            Fork::Child => {
                let code = i32::from(signal::kill(me, USR1).is_err());
                daemonry::exit_immediately(code)
            }
            Fork::Parent(pid) => pid,
        };
        let info = set.wait().map_err(os)?;
        let reaped = wait_for(sender).map_err(os)?;
        if info.signal() != USR1
            || info.pid() != Some(sender)
            || info.uid() != Some(rustix::process::getuid())
            || !info.from_user()
            || info.code() != 0
            || info.child_status().is_some()
            || reaped != ChildExit::Exited(0)
        {
            return Err(format!("{info:?}, sender {sender:?} {reaped:?}"));
        }
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    // Taken, not delivered: still blocked, nothing pending, still alive.
    assert_eq!(status_mask(c.pid, "SigBlk"), bit(USR1));
    assert_eq!(status_mask(c.pid, "SigPnd") & bit(USR1), 0);
    assert_eq!(status_mask(c.pid, "ShdPnd") & bit(USR1), 0);
    c.resume();
    c.finish().unwrap();
}

#[test]
fn wait_timeout_polls_and_times_out() {
    common::in_child(|| {
        let set = SigSet::from_signals(&[libc::SIGUSR2]).map_err(os)?;
        signal::block(&set).map_err(os)?;
        let none = set.wait_timeout(Duration::ZERO).map_err(os)?;
        let still_none = set.wait_timeout(Duration::from_millis(1)).map_err(os)?;
        raise(libc::SIGUSR2);
        let got = set.wait_timeout(Duration::ZERO).map_err(os)?;
        let too_long = set.wait_timeout(Duration::MAX).unwrap_err();
        match (none, still_none, got.map(|i| i.signal())) {
            (None, None, Some(libc::SIGUSR2)) if too_long.kind() == ErrorKind::InvalidInput => {
                Ok(())
            }
            other => Err(format!("{other:?} {too_long:?}")),
        }
    });
}

#[test]
fn sigchld_info_names_the_child_and_its_status() {
    common::in_child(|| {
        let set = SigSet::from_signals(&[libc::SIGCHLD]).map_err(os)?;
        signal::block(&set).map_err(os)?;
        let child = match own_fork()? {
            Fork::Child => daemonry::exit_immediately(7),
            Fork::Parent(pid) => pid,
        };
        let info = set.wait().map_err(os)?;
        wait_for(child).map_err(os)?;
        // CLD_EXITED is 1.
        if info.signal() == libc::SIGCHLD
            && info.code() == libc::CLD_EXITED
            && info.pid() == Some(child)
            && info.child_status() == Some(7)
            && !info.from_user()
        {
            Ok(())
        } else {
            Err(format!("{info:?} for child {child:?}"))
        }
    });
}

#[test]
fn kill_sends_real_time_signals_which_queue() {
    common::in_child(|| {
        let (rt5, max) = (signal::SIGRTMIN + 5, signal::SIGRTMAX);
        let set = SigSet::from_signals(&[rt5, max]).map_err(os)?;
        signal::block(&set).map_err(os)?;
        let me = rustix::process::getpid();
        for sig in [max, rt5, rt5] {
            signal::kill(me, sig).map_err(os)?;
        }
        // Real-time signals queue (both rt5s arrive) and come lowest first.
        let got: Vec<i32> = (0..3)
            .map(|_| set.wait().map(|i| i.signal()))
            .collect::<Result<_, _>>()
            .map_err(os)?;
        if got != [rt5, rt5, max] {
            return Err(format!("{got:?}"));
        }
        // An unblocked real-time signal's default action kills.
        signal::set_mask(&SigSet::EMPTY).map_err(os)?;
        let victim = match own_fork()? {
            Fork::Child => loop {
                // SAFETY: pause has no preconditions.
                unsafe { libc::pause() };
            },
            Fork::Parent(pid) => pid,
        };
        signal::kill(victim, rt5).map_err(os)?;
        match wait_for(victim).map_err(os)? {
            ChildExit::Signaled { signal, .. } if signal == rt5 => Ok(()),
            other => Err(format!("victim ended {other:?}")),
        }
    });
}

#[test]
fn kill_group_reaches_every_member() {
    common::in_child(|| {
        daemonry::process::set_child_subreaper(true).map_err(os)?;
        let (r, w) = {
            let mut fds = [0; 2];
            // SAFETY: `fds` is writable.
            assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
            (fds[0], fds[1])
        };
        // X leads a new group; its child Y is in it too. Both report, then
        // wait for a signal.
        let x = match own_fork()? {
            Fork::Child => {
                let _ = daemonry::process::setpgid(None, None);
                let _ = own_fork();
                // SAFETY: `w` is open; one byte per member.
                unsafe { libc::write(w, b"x".as_ptr().cast(), 1) };
                loop {
                    // SAFETY: pause has no preconditions.
                    unsafe { libc::pause() };
                }
            }
            Fork::Parent(x) => x,
        };
        let mut b = [0u8; 2];
        let mut n = 0;
        while n < 2 {
            // SAFETY: `b` is writable for the remaining bytes.
            let got = unsafe { libc::read(r, b[n..].as_mut_ptr().cast(), 2 - n) };
            if got <= 0 {
                return Err("members did not report".into());
            }
            n += got as usize;
        }
        signal::kill_group(x, libc::SIGTERM).map_err(os)?;
        let first = wait_for(x).map_err(os)?;
        // Y, orphaned, comes to us (a subreaper).
        let mut status = 0;
        // SAFETY: `status` is writable.
        let y = unsafe { libc::waitpid(-1, &mut status, 0) };
        let term = ChildExit::Signaled {
            signal: libc::SIGTERM,
            core_dumped: false,
        };
        if first == term && y > 0 && ChildExit::from_raw(status) == Some(term) {
            Ok(())
        } else {
            Err(format!("X {first:?}, Y {y}: {status:#x}"))
        }
    });
}

#[test]
fn kill_checks_numbers_and_reports_missing_processes() {
    let me = rustix::process::getpid();
    for bad in [0, -1, 65] {
        let e = signal::kill(me, bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
        assert_eq!(e.input().unwrap().as_bytes(), bad.to_string().as_bytes());
        assert_eq!(
            signal::kill_group(me, bad).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
    // A reaped child's pid (not reused this soon) and its empty group.
    let mut c = spawn(|_| Ok(()));
    c.wait();
    let gone = daemonry::Pid::from_raw(c.pid).unwrap();
    let e = signal::kill(gone, libc::SIGTERM).unwrap_err();
    assert_eq!((e.errno(), e.op()), (Some(Errno::SRCH), daemonry::Op::Kill));
    let e = signal::kill_group(gone, libc::SIGTERM).unwrap_err();
    assert_eq!((e.errno(), e.op()), (Some(Errno::SRCH), daemonry::Op::Kill));
}
