//! Signal names and dispositions. Every test that changes a disposition,
//! the mask or the alarm runs in a forked child and is judged from outside:
//! by its exit status (survived, or killed by which signal) and by the
//! `SigIgn`/`SigCgt`/`SigBlk` masks of `/proc/<pid>/status`.
#![allow(unsafe_code)] // libc kill/pause in the children.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Exit, spawn, status_mask};
use daemonkit::signal::{self, Disposition, SigSet};
use daemonkit::{Errno, ErrorKind, parse_signal, signal_name};

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
        let e = |e: daemonkit::Error| e.to_string();
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
