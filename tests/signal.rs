//! Signal names and dispositions. Every test that changes a disposition,
//! the mask or the alarm runs in a forked child and is judged from outside:
//! by its exit status (survived, or killed by which signal) and by the
//! `SigIgn`/`SigCgt`/`SigBlk` masks of `/proc/<pid>/status`.
#![allow(unsafe_code)] // libc kill/pause in the children.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Exit, spawn, status_mask};
use daemonry::signal::{self, Disposition, Restart, SigSet};
use daemonry::{Errno, ErrorKind, Signal, parse_signal, signal_name};

const USR1: Signal = Signal::USR1;

fn bit(sig: Signal) -> u64 {
    1 << (sig.as_raw() - 1)
}

/// The signal with number `n` (a test's own constants, all in range).
fn sig(n: i32) -> Signal {
    Signal::from_raw(n).unwrap_or_else(|| panic!("{n} is no signal"))
}

/// Sends `sig` to ourselves; in a single-threaded child it is delivered
/// before `kill` returns.
fn raise(sig: Signal) {
    // SAFETY: kill on our own pid.
    unsafe { libc::kill(libc::getpid(), sig.as_raw()) };
}

#[test]
fn every_name_round_trips_number_name_number() {
    for n in 1..=64 {
        let name = signal_name(n).unwrap_or_else(|| panic!("{n} has no name"));
        let s = sig(n);
        assert_eq!(name.number(), n);
        assert_eq!(name.signal(), s);
        assert_eq!(s.name(), name);
        assert_eq!(s.to_string(), name.as_str());
        assert_eq!(parse_signal(name.as_str()).unwrap(), s, "{name}");
        assert_eq!(parse_signal(name.short()).unwrap(), s, "{name}");
        assert_eq!(parse_signal(name.as_str().to_lowercase()).unwrap(), s);
        assert_eq!(parse_signal(n.to_string().as_bytes()).unwrap(), s);
        assert_eq!(name.as_str().parse::<Signal>().unwrap(), s);
        assert_eq!(format!("SIG{}", name.short()), name.to_string());
    }
    assert_eq!(signal::all().count(), 64);
}

#[test]
fn the_signal_type_covers_1_to_64_and_nothing_else() {
    for n in [0, -1, 65, i32::MAX, i32::MIN] {
        assert_eq!(Signal::from_raw(n), None, "{n}");
    }
    assert_eq!((Signal::RTMIN.as_raw(), Signal::RTMAX.as_raw()), (32, 64));
    assert_eq!(Signal::rt(3).map(Signal::as_raw), Some(35));
    assert_eq!(Signal::rt(33), None);
    assert!(Signal::rt(0).unwrap().is_realtime() && !Signal::SYS.is_realtime());
    assert_eq!(format!("{:?}", Signal::rt(1).unwrap()), "SIGRTMIN+1");
    // rustix's Signal: the standard ones convert both ways, real-time
    // ones only into ours.
    for n in 1..32 {
        let r = sig(n).to_rustix().unwrap();
        assert_eq!(Signal::from_raw(r.as_raw()), Some(sig(n)));
    }
    assert_eq!(Signal::RTMIN.to_rustix(), None);
    // Standard constants follow libc's numbers, as rustix's do.
    for (s, n) in [
        (Signal::HUP, libc::SIGHUP),
        (Signal::ABORT, libc::SIGABRT),
        (Signal::CHILD, libc::SIGCHLD),
        (Signal::ALARM, libc::SIGALRM),
        (Signal::VTALARM, libc::SIGVTALRM),
        (Signal::IO, libc::SIGIO),
        (Signal::POWER, libc::SIGPWR),
        (Signal::SYS, libc::SIGSYS),
    ] {
        assert_eq!(s.as_raw(), n, "{s}");
    }
}

#[test]
fn sigsets_build_in_const_and_iterate_signals() {
    const SHUTDOWN: SigSet = SigSet::from_signals(&[Signal::TERM, Signal::INT]);
    assert_eq!(SHUTDOWN, SigSet::EMPTY.with(Signal::INT).with(Signal::TERM));
    assert_eq!(SHUTDOWN.without(Signal::INT).as_raw(), bit(Signal::TERM));
    let all: Vec<Signal> = SigSet::FULL.iter().collect();
    assert_eq!(all.len(), 64);
    assert_eq!((all[0], all[63]), (Signal::HUP, Signal::RTMAX));
    let collected: SigSet = all.into_iter().filter(|s| s.is_realtime()).collect();
    assert_eq!(collected.as_raw(), 0xffff_ffff_8000_0000);
    assert_eq!(format!("{SHUTDOWN:?}"), "{SIGINT, SIGTERM}");
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
    assert_eq!(libc::SIGRTMIN(), Signal::RTMIN.as_raw() + 2);
    assert_eq!(libc::SIGRTMAX(), Signal::RTMAX.as_raw());
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
        assert_eq!(parse_signal(s).unwrap().as_raw(), n, "{s}");
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
    assert_eq!(c.wait(), Exit::Signal(USR1.as_raw()));
}

static HITS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_hit(sig: Signal) {
    if sig == USR1 {
        HITS.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn set_handler_runs_and_execution_continues() {
    let mut c = spawn(|ctl| {
        // SAFETY: the handler only increments an atomic.
        let old = unsafe { signal::set_handler(USR1, count_hit, Restart::Yes) }
            .map_err(|e| e.to_string())?;
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

/// The write end of the pipe [`write_on_alarm`] writes to.
static ALARM_PIPE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// A SIGALRM handler that writes one byte to [`ALARM_PIPE`].
extern "C" fn write_on_alarm(_: Signal) {
    let fd = ALARM_PIPE.load(Ordering::SeqCst);
    // SAFETY: write(2) is async-signal-safe; the buffer is a static byte.
    unsafe { libc::write(fd, b"!".as_ptr().cast(), 1) };
}

/// In a child: installs [`write_on_alarm`] for SIGALRM with `restart`,
/// arms the alarm and blocks in `read` on a pipe that only the handler
/// writes to. Returns what the read returned: the byte, or its errno.
fn read_interrupted_by_alarm(restart: Restart) -> Result<Result<u8, i32>, String> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is writable.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err("pipe".into());
    }
    ALARM_PIPE.store(fds[1], Ordering::SeqCst);
    // SAFETY: the handler only makes a write(2) call.
    unsafe { signal::set_handler(Signal::ALARM, write_on_alarm, restart) }
        .map_err(|e| e.to_string())?;
    signal::arm_alarm(Duration::from_millis(50)).map_err(|e| e.to_string())?;
    let mut b = [0u8; 1];
    // SAFETY: `b` is writable for one byte.
    let n = unsafe { libc::read(fds[0], b.as_mut_ptr().cast(), 1) };
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    Ok(if n == 1 { Ok(b[0]) } else { Err(errno) })
}

#[test]
fn a_handler_without_restart_interrupts_a_blocking_read() {
    // The handler has written its byte by the time the read returns, yet
    // without SA_RESTART the read reports EINTR instead of reading it. (An
    // alarm that fires before the read starts leaves the byte to be read:
    // then try again, rather than trust a timing.)
    common::in_child(|| {
        let mut results = Vec::new();
        for _ in 0..5 {
            match read_interrupted_by_alarm(Restart::No)? {
                Err(libc::EINTR) => return Ok(()),
                other => results.push(other),
            }
        }
        Err(format!("reads returned {results:?}, want EINTR"))
    });
    // With SA_RESTART the same read carries on and gets the byte.
    common::in_child(|| match read_interrupted_by_alarm(Restart::Yes)? {
        Ok(b'!') => Ok(()),
        other => Err(format!("read returned {other:?}, want the handler's byte")),
    });
}

#[test]
fn kill_and_stop_give_einval_and_change_nothing() {
    common::in_child(|| {
        for s in [Signal::KILL, Signal::STOP] {
            let e = signal::ignore(&[USR1, s]).unwrap_err();
            if e.kind() != ErrorKind::Os || e.errno() != Some(Errno::INVAL) {
                return Err(format!("ignore({s}): {e:?}"));
            }
            if e.input().map(|i| i.as_bytes()) != Some(s.name().as_str().as_bytes()) {
                return Err(format!("error does not name {s}: {e}"));
            }
            for restart in [Restart::Yes, Restart::No] {
                // SAFETY: the handler only increments an atomic.
                let e = unsafe { signal::set_handler(s, count_hit, restart) }.unwrap_err();
                if e.errno() != Some(Errno::INVAL) {
                    return Err(format!("set_handler({s}): {e:?}"));
                }
            }
            if signal::reset(&[s]).unwrap_err().errno() != Some(Errno::INVAL) {
                return Err(format!("reset({s}) accepted"));
            }
        }
        // USR1 came first in the list but nothing was applied.
        match signal::handler(USR1) {
            Ok(Disposition::Default) => Ok(()),
            other => Err(format!("USR1 changed: {other:?}")),
        }
    });
}

#[test]
fn reset_all_leaves_every_catchable_signal_default_and_mask_empty() {
    let mut c = spawn(|ctl| {
        // Std already handles SIGSEGV/SIGBUS and ignores SIGPIPE; add more.
        signal::ignore(&[Signal::HUP, Signal::TERM, sig(40)]).map_err(|e| e.to_string())?;
        // SAFETY: the handler only increments an atomic.
        unsafe { signal::set_handler(USR1, count_hit, Restart::Yes) }.map_err(|e| e.to_string())?;
        // SAFETY: as above.
        unsafe { signal::set_handler(Signal::RTMAX, count_hit, Restart::No) }
            .map_err(|e| e.to_string())?;
        signal::block(&SigSet::from_signals(&[Signal::USR2, Signal::INT, sig(50)]))
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
    let ignored = bit(Signal::HUP) | bit(Signal::TERM) | bit(sig(40));
    assert_eq!(ign & ignored, ignored);
    assert_eq!(
        cgt & (bit(USR1) | bit(Signal::RTMAX)),
        bit(USR1) | bit(Signal::RTMAX)
    );
    assert_eq!(blk, bit(Signal::USR2) | bit(Signal::INT) | bit(sig(50)));
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
        let set = SigSet::from_signals(&[USR1]);
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
    assert_eq!(c.wait(), Exit::Signal(USR1.as_raw()));
}

#[test]
fn set_mask_replaces_and_returns_previous() {
    let mut c = spawn(|ctl| {
        let a = SigSet::from_signals(&[Signal::HUP, sig(33)]);
        signal::set_mask(&a).map_err(|e| e.to_string())?;
        let b = SigSet::from_signals(&[Signal::TERM]);
        let prev = signal::set_mask(&b).map_err(|e| e.to_string())?;
        if prev != a {
            return Err(format!("previous mask {prev:?}, want {a:?}"));
        }
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    assert_eq!(status_mask(c.pid, "SigBlk"), bit(Signal::TERM));
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

// == taking signals synchronously, SignalFd, and sending signals ==

use daemonry::Fork;
use daemonry::process::{ChildExit, wait_for};
use daemonry::signal::{SignalFd, SignalFdFlags};

/// daemonry's fork for the test children (which only make system calls,
/// or run ordinary Rust in a single-threaded child, before they exit).
fn own_fork() -> Result<Fork, String> {
    // SAFETY: see above.
    unsafe { daemonry::fork() }.map_err(|e| e.to_string())
}

fn os(e: daemonry::Error) -> String {
    e.to_string()
}

/// Forks a child that sends `sig` to this process and exits; returns its
/// pid (not yet reaped).
fn sender(sig: Signal) -> Result<daemonry::Pid, String> {
    let me = rustix::process::getpid();
    match own_fork()? {
        Fork::Child => {
            let code = i32::from(signal::kill(me, sig).is_err());
            daemonry::exit_immediately(code)
        }
        Fork::Parent(pid) => Ok(pid),
    }
}

#[test]
fn wait_takes_a_blocked_signal_and_names_its_sender() {
    let mut c = spawn(|ctl| {
        let set = SigSet::from_signals(&[USR1]);
        signal::block(&set).map_err(os)?;
        let sender = sender(USR1)?;
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
fn wait_timeout_and_try_wait_poll_and_time_out() {
    common::in_child(|| {
        let set = SigSet::from_signals(&[Signal::USR2]);
        signal::block(&set).map_err(os)?;
        let none = set.try_wait().map_err(os)?;
        let still_none = set.wait_timeout(Duration::from_millis(1)).map_err(os)?;
        raise(Signal::USR2);
        let got = set.try_wait().map_err(os)?;
        let too_long = set.wait_timeout(Duration::MAX).unwrap_err();
        match (none, still_none, got.map(|i| i.signal())) {
            (None, None, Some(Signal::USR2)) if too_long.kind() == ErrorKind::InvalidInput => {
                Ok(())
            }
            other => Err(format!("{other:?} {too_long:?}")),
        }
    });
}

#[test]
fn sigchld_info_names_the_child_and_its_status() {
    common::in_child(|| {
        let set = SigSet::from_signals(&[Signal::CHILD]);
        signal::block(&set).map_err(os)?;
        let child = match own_fork()? {
            Fork::Child => daemonry::exit_immediately(7),
            Fork::Parent(pid) => pid,
        };
        let info = set.wait().map_err(os)?;
        wait_for(child).map_err(os)?;
        // CLD_EXITED is 1.
        if info.signal() == Signal::CHILD
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
fn signalfd_is_readable_with_the_senders_pid() {
    use rustix::event::{PollFd, PollFlags, poll};
    common::in_child(|| {
        let term = SigSet::from_signals(&[Signal::TERM]);
        signal::block(&term).map_err(os)?;
        let sfd = SignalFd::with_flags(&term, SignalFdFlags::CLOEXEC | SignalFdFlags::NONBLOCK)
            .map_err(os)?;
        if let Some(early) = sfd.read().map_err(os)? {
            return Err(format!("read {early:?} before any signal"));
        }
        let sender = sender(Signal::TERM)?;
        let mut fds = [PollFd::new(&sfd, PollFlags::IN)];
        let ready = poll(&mut fds, None).map_err(|e| e.to_string())?;
        if ready != 1 || !fds[0].revents().contains(PollFlags::IN) {
            return Err(format!("poll: {ready} {:?}", fds[0].revents()));
        }
        let info = sfd.read().map_err(os)?.ok_or("readable but nothing read")?;
        let reaped = wait_for(sender).map_err(os)?;
        let again = sfd.read().map_err(os)?;
        if info.signal() != Signal::TERM
            || info.pid() != Some(sender)
            || info.uid() != Some(rustix::process::getuid())
            || !info.from_user()
            || reaped != ChildExit::Exited(0)
            || again.is_some()
        {
            return Err(format!(
                "{info:?} from {sender:?} ({reaped:?}), then {again:?}"
            ));
        }
        // The fd's flags are what was asked for.
        let fd_flags = rustix::io::fcntl_getfd(&sfd).map_err(|e| e.to_string())?;
        let fl_flags = rustix::fs::fcntl_getfl(&sfd).map_err(|e| e.to_string())?;
        if !fd_flags.contains(rustix::io::FdFlags::CLOEXEC)
            || !fl_flags.contains(rustix::fs::OFlags::NONBLOCK)
        {
            return Err(format!("flags {fd_flags:?} {fl_flags:?}"));
        }
        Ok(())
    });
}

#[test]
fn signalfd_blocking_reads_changed_sets_and_real_time_signals() {
    common::in_child(|| {
        let (rt, hup) = (Signal::rt(4).ok_or("rt(4)")?, Signal::HUP);
        signal::block(&SigSet::from_signals(&[rt, hup])).map_err(os)?;
        let sfd = SignalFd::new(&SigSet::from_signals(&[hup])).map_err(os)?;
        let me = rustix::process::getpid();
        signal::kill(me, rt).map_err(os)?;
        signal::kill(me, hup).map_err(os)?;
        // Only HUP is in the set: the real-time signal stays pending.
        let first = sfd.read().map_err(os)?.map(|i| i.signal());
        sfd.set_signals(&SigSet::from_signals(&[rt])).map_err(os)?;
        let second = sfd.read().map_err(os)?.map(|i| i.signal());
        let owned: std::os::fd::OwnedFd = sfd.into();
        drop(owned);
        if (first, second) == (Some(hup), Some(rt)) {
            Ok(())
        } else {
            Err(format!("{first:?} then {second:?}"))
        }
    });
}

#[test]
fn kill_sends_real_time_signals_which_queue() {
    common::in_child(|| {
        let (rt5, max) = (Signal::rt(5).ok_or("rt(5)")?, Signal::RTMAX);
        let set = SigSet::from_signals(&[rt5, max]);
        signal::block(&set).map_err(os)?;
        let me = rustix::process::getpid();
        for s in [max, rt5, rt5] {
            signal::kill(me, s).map_err(os)?;
        }
        // Real-time signals queue (both rt5s arrive) and come lowest first.
        let got: Vec<Signal> = (0..3)
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
        signal::kill_group(x, Signal::TERM).map_err(os)?;
        let first = wait_for(x).map_err(os)?;
        // Y, orphaned, comes to us (a subreaper).
        let mut status = 0;
        // SAFETY: `status` is writable.
        let y = unsafe { libc::waitpid(-1, &mut status, 0) };
        let term = ChildExit::Signaled {
            signal: Signal::TERM,
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
fn kill_reports_missing_processes() {
    // A reaped child's pid (not reused this soon) and its empty group.
    let mut c = spawn(|_| Ok(()));
    c.wait();
    let gone = daemonry::Pid::from_raw(c.pid).unwrap();
    let e = signal::kill(gone, Signal::TERM).unwrap_err();
    assert_eq!((e.errno(), e.op()), (Some(Errno::SRCH), daemonry::Op::Kill));
    let e = signal::kill_group(gone, Signal::RTMIN).unwrap_err();
    assert_eq!((e.errno(), e.op()), (Some(Errno::SRCH), daemonry::Op::Kill));
}
