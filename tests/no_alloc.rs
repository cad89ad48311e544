//! Proves that the core API never allocates: a counting global allocator
//! wraps the system one, and every core function runs with the count
//! watched. Functions that change process state run in a forked child,
//! which reports its count through the exit status.
//!
//! `harness = false`: no test threads allocate behind our back.

#![allow(unsafe_code)] // A global allocator and fork need unsafe.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how many allocations it made.
fn count<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCS.load(Ordering::SeqCst);
    let r = std::hint::black_box(f());
    (ALLOCS.load(Ordering::SeqCst) - before, r)
}

static FAILURES: AtomicUsize = AtomicUsize::new(0);
static CHECKS: AtomicUsize = AtomicUsize::new(0);

/// Asserts that `f` made no allocation; records a failure otherwise.
fn check<R>(name: &str, f: impl FnOnce() -> R) -> R {
    let (n, r) = count(f);
    CHECKS.fetch_add(1, Ordering::SeqCst);
    if n != 0 {
        FAILURES.fetch_add(1, Ordering::SeqCst);
        eprintln!("FAIL {name}: {n} allocation(s)");
    } else {
        eprintln!("ok   {name}: 0 allocations");
    }
    r
}

/// Runs `f` in a forked child; the child exits with the allocation count
/// (capped at 255). For functions that change process state.
fn check_in_child(name: &str, f: impl FnOnce()) {
    CHECKS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: single-threaded (harness = false); the child only runs `f`
    // and `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let (n, ()) = count(f);
        // SAFETY: leave the child at once.
        unsafe { libc::_exit(n.min(255) as i32) };
    }
    let mut status = 0;
    // SAFETY: our own child; `status` is writable.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    if ok {
        eprintln!("ok   {name}: 0 allocations (in child)");
    } else {
        FAILURES.fetch_add(1, Ordering::SeqCst);
        eprintln!("FAIL {name}: child status {status:#x} (exit code = allocations)");
    }
}

fn errno_and_error() {
    use daemonkit::{Errno, Error, errno};
    check("errno::name", || errno::name(Errno::NOENT));
    check("errno::description", || errno::description(Errno::NOENT));
    check("errno::from_name", || errno::from_name("EWOULDBLOCK"));
    let _ = check("errno::ignore_errno", || {
        errno::ignore_errno::<(), _>(Err(Errno::NOENT), &[Errno::NOENT])
    });
    check("Error Display", || {
        use std::fmt::Write;
        // A fixed-capacity writer: formatting must not allocate by itself.
        struct Buf([u8; 256], usize);
        impl Write for Buf {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                let end = self.1 + s.len();
                self.0
                    .get_mut(self.1..end)
                    .ok_or(std::fmt::Error)?
                    .copy_from_slice(s.as_bytes());
                self.1 = end;
                Ok(())
            }
        }
        let mut b = Buf([0; 256], 0);
        let e = Error::os("setgroups", Errno::PERM).with_input(b"someone");
        write!(b, "{e} / {e:?}").expect("fits");
        b.1
    });
}

fn fd() {
    check("fd_max", || daemonkit::fd_max(1024));
    let (r, _w) = rustix::pipe::pipe().expect("pipe");
    check("isatty", || daemonkit::isatty(&r));
    check("open_fds (iterate)", || {
        daemonkit::open_fds().map(|it| it.count()).unwrap_or(0)
    });
    check("fds_for_path", || {
        let mut n = 0;
        let _ = daemonkit::fds_for_path(c"/dev/null", |_| n += 1);
        n
    });
    check_in_child("cloexec_open_fds", || {
        let _ = daemonkit::cloexec_open_fds(&[2, 0, 1, 1]);
    });
    check_in_child("close_open_fds", || {
        let _ = daemonkit::close_open_fds(&[2, 0, 1, 1]);
    });
}

// == account / privilege (issue 3) ==

// == pidfile (issue 4) ==

// == signal / process / title (issue 5) ==

/// A fixed-capacity `fmt::Write` target: formatting must not allocate.
struct FixedBuf([u8; 512], usize);

impl std::fmt::Write for FixedBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.1 + s.len();
        self.0
            .get_mut(self.1..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.1 = end;
        Ok(())
    }
}

extern "C" fn noop_handler(_: i32) {}

fn signal_process_title() {
    use daemonkit::signal::{self, SigSet};
    use std::fmt::Write;
    use std::time::Duration;
    check("signal_name + SignalName Display/short", || {
        let mut b = FixedBuf([0; 512], 0);
        for n in 1..=64 {
            if let Some(name) = daemonkit::signal_name(n) {
                write!(b, "{name} {} ", name.short()).expect("fits");
                b.1 = 0;
            }
        }
        b.1
    });
    check("signal::all", || signal::all().count());
    check("parse_signal", || {
        [
            "term",
            "SIGTERM",
            "15",
            "SIGRTMIN+3",
            "rtmax-1",
            "SIGFOO",
            "65",
            "-1",
            "",
        ]
        .map(|s| daemonkit::parse_signal(s).is_ok())
    });
    check("signal::supported", || signal::supported("usr1"));
    check("signal::handler", || signal::handler(15)).expect("works");
    check("signal::mask", signal::mask).expect("works");
    check("SigSet", || {
        let mut s = SigSet::from_signals(&[1, 15, 64]).expect("valid");
        let _ = s.remove(15);
        let mut b = FixedBuf([0; 512], 0);
        write!(b, "{s:?}").expect("fits");
        s.iter().count()
    });
    check("parse_umask", || {
        ["022", "0o022", "22", "8", "0o1000"].map(|s| daemonkit::parse_umask(s).is_ok())
    });
    check("implementation Display", || {
        let mut b = FixedBuf([0; 512], 0);
        write!(
            b,
            "{} {:?}",
            daemonkit::implementation(),
            daemonkit::implementation()
        )
        .expect("fits");
        b.1
    });
    check("process::pdeathsig", daemonkit::process::pdeathsig).expect("works");
    check("title::name", daemonkit::title::name).expect("works");
    check("title::argv_capacity", daemonkit::title::argv_capacity).expect("works");
    check("Title::new + Display", || {
        let t = daemonkit::Title::new("[worker] -A app");
        let mut b = FixedBuf([0; 512], 0);
        write!(b, "{t} {t:?}").expect("fits");
        b.1
    });
    check_in_child("signal::ignore/reset", || {
        let _ = signal::ignore(&[10, 12]);
        let _ = signal::reset(&[10, 12]);
        let _ = signal::ignore(&[9]);
    });
    check_in_child("signal::set_handler", || {
        // SAFETY: the handler does nothing.
        let _ = unsafe { signal::set_handler(10, noop_handler) };
    });
    check_in_child("signal::reset_all", || {
        let _ = signal::reset_all();
    });
    check_in_child("signal::block/unblock/set_mask", || {
        let set = SigSet::from_signals(&[10]).expect("valid");
        let _ = signal::block(&set);
        let _ = signal::unblock(&set);
        let _ = signal::set_mask(&SigSet::EMPTY);
    });
    check_in_child("signal::arm_alarm/reset_alarm", || {
        let _ = signal::arm_alarm(Duration::from_secs(100));
        let _ = signal::reset_alarm();
    });
    check_in_child("fork + exit_immediately", || {
        // SAFETY: the grandchild only exits.
        match unsafe { daemonkit::fork() } {
            Ok(daemonkit::Fork::Child) => daemonkit::exit_immediately(0),
            Ok(daemonkit::Fork::Parent(pid)) => {
                let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
            }
            Err(_) => {}
        }
    });
    check_in_child("fork_unchecked + exit_immediately", || {
        // SAFETY: the grandchild only exits.
        match unsafe { daemonkit::process::fork_unchecked() } {
            Ok(daemonkit::Fork::Child) => daemonkit::exit_immediately(0),
            Ok(daemonkit::Fork::Parent(pid)) => {
                let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
            }
            Err(_) => {}
        }
    });
    check_in_child("setsid", || {
        let _ = daemonkit::setsid();
    });
    check_in_child("umask", || {
        let _ = daemonkit::umask(daemonkit::Mode::from_raw_mode(0o022));
    });
    check_in_child("set_pdeathsig", || {
        let _ = daemonkit::set_pdeathsig(Some(daemonkit::Signal::TERM));
        let _ = daemonkit::process::set_pdeathsig_for(None, rustix::process::getpid());
    });
    check_in_child("set_name", || {
        let _ = daemonkit::set_name(b"no-alloc-test");
    });
    check_in_child("set_process_title (first and cached calls)", || {
        let _ = daemonkit::set_process_title("worker", Some("-A app"));
        let _ = daemonkit::set_process_title("worker", None);
    });
    check_in_child("set_mp_process_title", || {
        let _ = daemonkit::set_mp_process_title("celeryd", Some("idle"), Some("w1@h"), "Main");
    });
}

/// Issue 7 (dkinit): exec, waiting and reaping, groups, the subreaper
/// flag, synchronous signal waits and sending by number.
fn exec_wait_groups_signals() {
    use daemonkit::process::{self, CStrArray, CStrArrayBuf, ChildExit};
    use daemonkit::signal::{self, SigSet};
    use std::time::Duration;
    check("CStrArrayBuf + CStrArray views", || {
        let mut b = CStrArrayBuf::<4>::new();
        let _ = b.push(c"PATH=/bin");
        let _ = b.push(c"X=1");
        let a = b.as_array();
        (
            a.len(),
            a.env_var(b"PATH").is_some(),
            a.skip(1).first().is_some(),
            a.get(5).is_none(),
        )
    });
    check("execve (failing) and execvpe (failing PATH search)", || {
        let mut env = CStrArrayBuf::<2>::new();
        let _ = env.push(c"PATH=/nonexistent:/also/not:");
        let a = process::execve(c"/nonexistent/x", CStrArray::EMPTY, CStrArray::EMPTY);
        let b = process::execvpe(c"no-such-prog", CStrArray::EMPTY, env.as_array());
        (a.errno(), b.errno())
    });
    check("ChildExit decoding", || {
        ChildExit::from_raw(0x0f00).map(|e| e.shell_code())
    });
    check("getpgrp / is_child_subreaper / tcgetpgrp (ENOTTY)", || {
        let (r, _w) = rustix::pipe::pipe().expect("pipe");
        (
            process::getpgrp(),
            process::is_child_subreaper().is_ok(),
            process::tcgetpgrp(&r).is_err(),
        )
    });
    check("reap_zombies (no child ready)", || {
        process::reap_zombies().count()
    });
    check("SigSet::wait_timeout (nothing pending)", || {
        SigSet::from_signals(&[12])
            .expect("valid")
            .wait_timeout(Duration::ZERO)
            .is_ok()
    });
    check("signal::kill / kill_group (bad numbers)", || {
        let me = rustix::process::getpid();
        (
            signal::kill(me, 65).is_err(),
            signal::kill_group(me, 0).is_err(),
        )
    });
    check_in_child("SigSet::wait + signal::kill", || {
        let set = SigSet::from_signals(&[10]).expect("valid");
        let _ = signal::block(&set);
        let _ = signal::kill(rustix::process::getpid(), 10);
        let _ = set.wait();
    });
    check_in_child(
        "set_child_subreaper + setpgid + fork + wait_for + reap_zombies",
        || {
            let _ = process::set_child_subreaper(true);
            let _ = process::setpgid(None, None);
            // SAFETY: the grandchildren only exit.
            if let Ok(daemonkit::Fork::Parent(pid)) = unsafe { daemonkit::fork() } {
                let _ = process::wait_for(pid);
            } else {
                daemonkit::exit_immediately(0);
            }
            // SAFETY: as above.
            if let Ok(daemonkit::Fork::Child) = unsafe { daemonkit::fork() } {
                daemonkit::exit_immediately(0);
            }
            for _ in process::reap_zombies() {}
            let _ = process::wait_for(rustix::process::getpid());
        },
    );
    check_in_child("execvpe (successful exec of /bin/true)", || {
        // SAFETY: the grandchild only execs or exits.
        match unsafe { daemonkit::fork() } {
            Ok(daemonkit::Fork::Child) => {
                let mut argv = CStrArrayBuf::<2>::new();
                let _ = argv.push(c"true");
                let _ = process::execvpe(c"true", argv.as_array(), CStrArray::EMPTY);
                daemonkit::exit_immediately(1);
            }
            Ok(daemonkit::Fork::Parent(pid)) => {
                let _ = process::wait_for(pid);
            }
            Err(_) => {}
        }
    });
}

fn main() {
    errno_and_error();
    fd();
    // == calls: account / privilege ==
    // == calls: pidfile ==
    // == calls: signal / process / title ==
    signal_process_title();
    exec_wait_groups_signals();

    let failures = FAILURES.load(Ordering::SeqCst);
    let checks = CHECKS.load(Ordering::SeqCst);
    eprintln!("no_alloc: {checks} checks, {failures} failure(s)");
    if failures != 0 {
        std::process::exit(1);
    }
}
