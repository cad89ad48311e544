//! Proves that the core API never allocates: a counting global allocator
//! wraps the system one, and every core function runs with the count
//! watched. Functions that change process state run in a forked child,
//! which reports its count through the exit status.
//!
//! `harness = false`: no test threads allocate behind our back.

#![allow(unsafe_code)] // A global allocator and fork need unsafe.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

#[allow(dead_code)] // This binary uses `skip` and a few reasons only.
#[path = "common/emu.rs"]
mod emu;

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
    // The children change credentials, fork or daemonize.
    if emu::skip(name, emu::THREADS) {
        return;
    }
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
    use daemonry::{Errno, Error, errno};
    check("errno::name", || errno::name(Errno::NOENT));
    check("errno::description", || errno::description(Errno::NOENT));
    check("errno::from_name", || errno::from_name("EWOULDBLOCK"));
    let _ = check("errno::ignore_errno", || {
        errno::ignore_errno::<(), _>(Err(Errno::NOENT), &[Errno::NOENT])
    });
    check("Error Display", || {
        use std::fmt::Write;
        let mut b = FixedBuf([0; 512], 0);
        let e = Error::os(daemonry::Op::Setgroups, Errno::PERM).with_input(b"someone");
        write!(b, "{e} / {e:?}").expect("fits");
        b.1
    });
}

fn fd() {
    check("fd_max", || daemonry::fd_max(1024));
    let (r, _w) = rustix::pipe::pipe().expect("pipe");
    check("isatty", || daemonry::isatty(&r));
    check("open_fds (iterate)", || {
        daemonry::open_fds().map(|it| it.count()).expect("open_fds")
    });
    check("fds_for_path", || {
        let mut n = 0;
        daemonry::fds_for_path(c"/dev/null", |_| n += 1).expect("fds_for_path");
        n
    });
    check_in_child("cloexec_open_fds", || {
        ok(daemonry::cloexec_open_fds(&[2, 0, 1, 1]));
    });
    check_in_child("close_open_fds", || {
        ok(daemonry::close_open_fds(&[2, 0, 1, 1]));
    });
}

// == account / privilege ==

/// In a forked child: stops the child with SIGABRT when a call that must
/// succeed as root failed (abort does not allocate; the parent reports the
/// signal as a failure).
fn must(ok: bool) {
    // SAFETY: geteuid has no preconditions.
    if !ok && unsafe { libc::geteuid() } == 0 {
        std::process::abort();
    }
}

/// In a forked child: the value of a call that must succeed, or SIGABRT
/// (abort does not allocate; the parent reports the signal as a failure),
/// so that "0 allocations" is never said of a path that was not taken.
fn ok<T, E>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(_) => std::process::abort(),
    }
}

/// In a forked child: a call that must fail, or SIGABRT.
fn fails<T, E>(r: Result<T, E>) {
    if r.is_ok() {
        std::process::abort();
    }
}

fn account_and_privilege() {
    use daemonry::account::{self, AccountDb, parse_group_line, parse_passwd_line};
    use daemonry::privilege;
    use daemonry::{Gid, Uid};
    use std::ops::ControlFlow;

    const FIXTURE_PASSWD: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/passwd\0").as_bytes(),
    ) {
        Ok(p) => p,
        Err(_) => panic!("fixture path"),
    };
    const FIXTURE_GROUP: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/group\0").as_bytes(),
    ) {
        Ok(p) => p,
        Err(_) => panic!("fixture path"),
    };
    const PASSWD: &[u8] = include_bytes!("fixtures/passwd");
    const GROUP: &[u8] = include_bytes!("fixtures/group");

    // Pure parsers.
    let _ = check("parse_passwd_line", || {
        parse_passwd_line(b"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
    });
    let _ = check("parse_group_line + members + has_member", || {
        let g = parse_group_line(b"g:x:1: a, b,,c\n");
        let n = g.map(|g| g.members().count()).unwrap_or(0);
        (n, g.is_some_and(|g| g.has_member(b"b")))
    });
    let _ = check("parse_passwd_line/parse_group_line over a fixture", || {
        PASSWD
            .split(|&b| b == b'\n')
            .filter_map(parse_passwd_line)
            .count()
            + GROUP
                .split(|&b| b == b'\n')
                .filter_map(parse_group_line)
                .count()
    });

    // Lookups: system, fixture files (long lines), memory.
    for (what, db) in [
        ("system", AccountDb::system()),
        (
            "fixture files",
            AccountDb::new(FIXTURE_PASSWD, FIXTURE_GROUP),
        ),
        ("from_bytes", AccountDb::from_bytes(PASSWD, GROUP)),
        ("default", AccountDb::default()),
    ] {
        eprintln!("     AccountDb {what}:");
        let _ = check("AccountDb::user_by_name", || db.user_by_name("nobody"));
        let _ = check("AccountDb::user_by_name (absent)", || {
            db.user_by_name("no-such-user")
        });
        let _ = check("AccountDb::user_by_uid", || {
            db.user_by_uid(Uid::from_raw(65534))
        });
        let _ = check("AccountDb::group_by_name", || db.group_by_name("dklong"));
        let _ = check("AccountDb::group_by_gid", || {
            db.group_by_gid(Gid::from_raw(4306))
        });
        let _ = check("AccountDb::for_each_user", || {
            let mut n = 0;
            let _ = db.for_each_user(|_| {
                n += 1;
                ControlFlow::Continue(())
            });
            n
        });
        let _ = check("AccountDb::for_each_group", || {
            let mut n = 0;
            let _ = db.for_each_group(|g| {
                n += g.members().count();
                ControlFlow::Continue(())
            });
            n
        });
        let _ = check("AccountDb::group_list", || {
            let mut buf = [Gid::ROOT; 64];
            db.group_list("dkuser", Gid::from_raw(4242), &mut buf)
                .map(|l| l.len())
        });
        let _ = check("AccountDb::group_list (BufferTooSmall)", || {
            let mut buf = [Gid::ROOT; 1];
            db.group_list("many", Gid::from_raw(4502), &mut buf)
                .map(|l| l.len())
        });
        let _ = check("AccountDb::parse_uid / parse_gid", || {
            (
                db.parse_uid("nobody"),
                db.parse_gid(b"nogroup"),
                db.parse_uid("65534"),
            )
        });
        let _ = check("AccountDb::check_privileges", || db.check_privileges(true));
    }
    let _ = check("parse_uid (name)", || daemonry::parse_uid("nobody"));
    let _ = check("parse_uid (bytes)", || daemonry::parse_uid(b"nobody"));
    let _ = check("UserRef::parse / GroupRef::parse", || {
        (
            account::UserRef::parse("65534"),
            account::UserRef::parse("nobody"),
            account::GroupRef::parse(b"-1"),
        )
    });
    let _ = check("parse_uid (number)", || daemonry::parse_uid("65534"));
    let _ = check("parse_uid (unknown, invalid)", || {
        (
            daemonry::parse_uid("no-such-user"),
            daemonry::parse_uid("-1"),
        )
    });
    let _ = check("parse_gid (name)", || daemonry::parse_gid("nogroup"));
    let _ = check("parse_gid (unknown, invalid)", || {
        (
            daemonry::parse_gid("no-such-group"),
            daemonry::parse_gid("4294967295"),
        )
    });
    let _ = check("privilege::ngroups_max", privilege::ngroups_max);
    let _ = check("check_privileges", || daemonry::check_privileges(true));
    let _ = check(
        "CapabilitySets::current",
        privilege::CapabilitySets::current,
    );
    let _ = check("SecureBits::current", privilege::SecureBits::current);

    // Credential changes, each in a child (they must succeed as root).
    let fixture = AccountDb::new(FIXTURE_PASSWD, FIXTURE_GROUP);
    check_in_child("setgid + setuid", || {
        must(daemonry::setgid(Gid::from_raw(4321)).is_ok());
        must(daemonry::setuid(Uid::from_raw(1234)).is_ok());
    });
    check_in_child("setgroups", || {
        must(daemonry::setgroups(&[Gid::from_raw(5), Gid::from_raw(6)]).is_ok());
    });
    check_in_child("initgroups (name, uid)", || {
        must(daemonry::initgroups("nobody", Gid::from_raw(65534)).is_ok());
        must(
            fixture
                .initgroups(Uid::from_raw(4242), Gid::from_raw(4242))
                .is_ok(),
        );
    });
    check_in_child("drop_privileges (+ idempotent second call)", || {
        must(daemonry::drop_privileges(Some("nobody".into()), Some("nogroup".into())).is_ok());
        must(daemonry::drop_privileges(Some("nobody".into()), Some("nogroup".into())).is_ok());
    });
    check_in_child("PrivilegeDrop (fixture, 7 groups, no_new_privs)", || {
        must(
            privilege::PrivilegeDrop::new()
                .user("dkuser")
                .accounts(&fixture)
                .no_new_privs(true)
                .apply()
                .is_ok(),
        );
    });
    check_in_child("drop_privileges (gid only)", || {
        must(daemonry::drop_privileges(None, Some("nogroup".into())).is_ok());
    });
    check_in_child(
        "drop_privileges (keepcaps, inheritable and ambient set before)",
        || {
            let _ = rustix::thread::set_keep_capabilities(true);
            if let Ok(cur) = rustix::thread::capabilities(None) {
                let inh = rustix::thread::CapabilitySet::NET_BIND_SERVICE;
                let _ = rustix::thread::set_capabilities(
                    None,
                    rustix::thread::CapabilitySets {
                        inheritable: inh,
                        ..cur
                    },
                );
                let _ = rustix::thread::configure_capability_in_ambient_set(inh, true);
            }
            must(daemonry::drop_privileges(Some(Uid::from_raw(65534).into()), None).is_ok());
            must(privilege::CapabilitySets::current().is_ok_and(|c| c.is_empty()));
        },
    );
    check_in_child("SingleThreaded methods", || {
        let proof = daemonry::process::SingleThreaded::assume();
        must(proof.setgroups(&[Gid::from_raw(7)]).is_ok());
        must(
            proof
                .initgroups(&fixture, "dkuser", Gid::from_raw(4242))
                .is_ok(),
        );
        must(proof.setgid(Gid::from_raw(4242)).is_ok());
        must(
            privilege::PrivilegeDrop::new()
                .user("dkuser")
                .accounts(&fixture)
                .apply_single_threaded(proof)
                .is_ok(),
        );
        must(proof.setuid(Uid::from_raw(4242)).is_ok());
    });
    check_in_child("drop_privileges errors (unknown user, Security)", || {
        must(daemonry::drop_privileges(Some("no-such-user".into()), None).is_err());
        let _ = rustix::thread::set_thread_res_uid(Uid::ROOT, Uid::from_raw(1), Uid::ROOT);
        must(daemonry::drop_privileges(Some("nobody".into()), None).is_err());
    });
}

// == pidfile ==

fn pidfile() {
    use daemonry::{Pidfile, check_pidlock, create_pidlock, parse_pid};
    let dir = std::env::temp_dir().join(format!("daemonry-noalloc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = std::ffi::CString::new(dir.join("a.pid").into_os_string().into_encoded_bytes())
        .expect("no NUL");
    let other = std::ffi::CString::new(dir.join("b.pid").into_os_string().into_encoded_bytes())
        .expect("no NUL");

    check("parse_pid", || parse_pid(b"1816\n").is_ok());
    let mut pf = check("Pidfile::new (absolute &CStr)", || {
        Pidfile::new(path.as_c_str()).expect("path")
    });
    check("Pidfile::acquire", || pf.acquire().expect("acquire"));
    check(
        "Pidfile::probe (running: pidfd, /proc fd and fdinfo)",
        || pf.probe().expect("probe"),
    );
    let name = "Pidfile::holders + Holder::wait_exit";
    if !emu::skip(name, emu::PROC_STAT) {
        check(name, || {
            pf.holders(|h| {
                let _ = (h.pid(), h.pidfd(), h.holds_lock());
                let _ = h.wait_exit(Some(core::time::Duration::ZERO));
                core::ops::ControlFlow::Continue(())
            })
            .expect("holders")
        });
    }
    check("Pidfile::read_pid", || pf.read_pid().expect("read_pid"));
    check("Pidfile::is_locked", || pf.is_locked().expect("is_locked"));
    check("Pidfile::exists", || pf.exists().expect("exists"));
    check("Pidfile::write_pid", || pf.write_pid().expect("write_pid"));
    check("Pidfile::set_inheritable", || {
        pf.set_inheritable(false).expect("cloexec")
    });
    check("check_pidlock (held)", || {
        check_pidlock(path.as_c_str()).is_err()
    });
    check("create_pidlock (held: LockFailed)", || {
        create_pidlock(path.as_c_str()).is_err()
    });
    check("Pidfile::release", || pf.release().expect("release"));
    check("create_pidlock + PidLock methods + drop", || {
        let mut lock = create_pidlock(path.as_c_str()).expect("lock");
        let _ = (lock.path(), lock.pid(), lock.fd(), lock.is_held());
        lock.set_inheritable(false).expect("cloexec");
        lock.write_pid().expect("write_pid");
        drop(lock)
    });
    check("check_pidlock (absent)", || {
        check_pidlock(path.as_c_str()).expect("free")
    });

    // Files without a lock: every liveness rule.
    let pf = Pidfile::new(other.as_c_str()).expect("path");
    std::fs::write(dir.join("b.pid"), "1\n").expect("write");
    let name = "Pidfile::probe (unlocked: kill, /proc stat, start time, trust)";
    if !emu::skip(name, emu::PROC_STAT) {
        check(name, || pf.probe().expect("probe"));
    }
    std::fs::write(dir.join("b.pid"), format!("{}\n", std::process::id())).expect("write");
    check("create_pidlock over a stale file", || {
        drop(create_pidlock(other.as_c_str()).expect("lock"))
    });
    std::fs::write(dir.join("b.pid"), "-1\n").expect("write");
    check("Pidfile::probe (invalid)", || pf.probe().expect("probe"));
    check("Pidfile::remove_if_stale (and the litter sweep)", || {
        pf.remove_if_stale().expect("remove")
    });
    std::fs::write(dir.join("b.pid"), "user nginx;\n").expect("write");
    check("Pidfile::probe (not a pidfile)", || {
        pf.probe().expect("probe")
    });
    check("Pidfile::remove (refused)", || pf.remove().is_err());
    std::fs::write(dir.join("b.pid"), "1\n").expect("write");
    check("Pidfile::remove", || pf.remove().expect("remove"));
    // A lock that outlived the named process: the walk through /proc.
    std::fs::write(dir.join("b.pid"), "-1\n").expect("write");
    let locked = std::fs::File::open(dir.join("b.pid")).expect("open");
    let locked_fd = std::os::fd::AsRawFd::as_raw_fd(&locked);
    // SAFETY: flock on our own file.
    let flocked = unsafe { libc::flock(locked_fd, libc::LOCK_EX) };
    assert_eq!(flocked, 0);
    check("Pidfile::holders (held by others: scan of /proc)", || {
        pf.holders(|_| core::ops::ControlFlow::Continue(()))
            .expect("holders")
    });
    drop(locked);
    let _ = std::fs::remove_dir_all(&dir);
}

// == signal / process / title ==

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

extern "C" fn noop_handler(_: daemonry::Signal) {}

fn signal_process_title() {
    use daemonry::Signal;
    use daemonry::signal::{self, Restart, SigSet};
    use std::fmt::Write;
    use std::time::Duration;
    check("signal_name + SignalName Display/short", || {
        let mut b = FixedBuf([0; 512], 0);
        for n in 1..=64 {
            if let Some(name) = daemonry::signal_name(n) {
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
        .map(|s| daemonry::parse_signal(s).is_ok())
    });
    check("Signal from_raw/rt/name/Display/FromStr", || {
        let mut b = FixedBuf([0; 512], 0);
        let rt = Signal::rt(3).expect("in range");
        let parsed: Result<Signal, _> = "usr1".parse();
        write!(
            b,
            "{rt} {rt:?} {}",
            Signal::from_raw(15).map_or(0, Signal::as_raw)
        )
        .expect("fits");
        (b.1, parsed.is_ok(), rt.name().short().len(), rt.to_rustix())
    });
    check("signal::supported", || signal::supported("usr1"));
    check("signal::handler", || signal::handler(Signal::TERM)).expect("works");
    check("signal::mask", signal::mask).expect("works");
    check("SigSet", || {
        let mut s = SigSet::from_signals(&[Signal::HUP, Signal::TERM, Signal::RTMAX]);
        s.remove(Signal::TERM);
        s.extend([Signal::INT]);
        let mut b = FixedBuf([0; 512], 0);
        write!(b, "{s:?}").expect("fits");
        s.iter().count()
    });
    check("parse_umask", || {
        ["022", "0o022", "22", "8", "0o1000"].map(|s| daemonry::parse_umask(s).is_ok())
    });
    check("implementation Display", || {
        let mut b = FixedBuf([0; 512], 0);
        write!(
            b,
            "{} {:?}",
            daemonry::implementation(),
            daemonry::implementation()
        )
        .expect("fits");
        b.1
    });
    check("process::pdeathsig", daemonry::process::pdeathsig).expect("works");
    check("title::name", daemonry::title::name).expect("works");
    if !emu::skip("title::argv_capacity", emu::PROC_STAT) {
        check("title::argv_capacity", daemonry::title::argv_capacity).expect("works");
    }
    check("Title::new + Display", || {
        let t = daemonry::Title::new("[worker] -A app");
        let mut b = FixedBuf([0; 512], 0);
        write!(b, "{t} {t:?}").expect("fits");
        b.1
    });
    check_in_child("signal::ignore/reset", || {
        ok(signal::ignore(&[Signal::USR1, Signal::USR2]));
        ok(signal::reset(&[Signal::USR1, Signal::USR2]));
        fails(signal::ignore(&[Signal::KILL]));
    });
    check_in_child("signal::set_handler", || {
        // SAFETY: the handler does nothing.
        ok(unsafe { signal::set_handler(Signal::USR1, noop_handler, Restart::No) });
    });
    check_in_child("signal::reset_all", || {
        ok(signal::reset_all());
    });
    check_in_child("signal::block/unblock/set_mask", || {
        let set = SigSet::from_signals(&[Signal::USR1]);
        ok(signal::block(&set));
        ok(signal::unblock(&set));
        ok(signal::set_mask(&SigSet::EMPTY));
    });
    check_in_child("signal::arm_alarm/reset_alarm", || {
        ok(signal::arm_alarm(Duration::from_secs(100)));
        ok(signal::reset_alarm());
    });
    check_in_child("fork + exit_immediately", || {
        // SAFETY: the grandchild only exits.
        match unsafe { daemonry::fork() } {
            Ok(daemonry::Fork::Child) => daemonry::exit_immediately(0),
            Ok(daemonry::Fork::Parent(pid)) => {
                let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
            }
            Err(_) => {}
        }
    });
    check_in_child("SingleThreaded::fork + exit_immediately", || {
        // SAFETY: the grandchild only exits.
        match unsafe { daemonry::process::SingleThreaded::assume().fork() } {
            Ok(daemonry::Fork::Child) => daemonry::exit_immediately(0),
            Ok(daemonry::Fork::Parent(pid)) => {
                let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
            }
            Err(_) => {}
        }
    });
    check_in_child("setsid", || {
        ok(daemonry::setsid());
    });
    check_in_child("umask", || {
        let _ = daemonry::umask(daemonry::Mode::from_raw_mode(0o022));
    });
    check_in_child("set_pdeathsig", || {
        ok(daemonry::set_pdeathsig(Some(Signal::TERM)));
        ok(daemonry::set_pdeathsig(Some(Signal::RTMAX)));
        ok(daemonry::set_pdeathsig(None));
    });
    check_in_child("set_name", || {
        ok(daemonry::set_name(b"no-alloc-test"));
    });
    check_in_child("set_process_title (first and cached calls)", || {
        ok(daemonry::set_process_title("worker", Some("-A app")));
        ok(daemonry::set_process_title("worker", None));
    });
    check_in_child("set_title", || {
        ok(daemonry::set_title("myd: supervising x"));
    });
    check_in_child("set_mp_process_title", || {
        ok(daemonry::set_mp_process_title(
            "celeryd",
            Some("idle"),
            Some("w1@h"),
            "Main",
        ));
    });
}

/// What an init needs: exec, waiting and reaping, groups, the subreaper
/// flag, synchronous signal waits, SignalFd and sending signals.
fn exec_wait_groups_signals() {
    use daemonry::Signal;
    use daemonry::process::{self, CStrArray, CStrArrayBuf, ChildExit};
    use daemonry::signal::{self, SigSet, SignalFd, SignalFdFlags};
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
    check("SigSet::wait_timeout / try_wait (nothing pending)", || {
        let set = SigSet::from_signals(&[Signal::USR2]);
        (
            set.wait_timeout(Duration::ZERO).is_ok(),
            set.try_wait().is_ok(),
        )
    });
    check(
        "signal::kill (self, SIGCHLD) / kill_group (no such group)",
        || {
            // Above any pid_max: ESRCH.
            let nobody = daemonry::Pid::from_raw(i32::MAX).expect("positive");
            (
                signal::kill(rustix::process::getpid(), Signal::CHILD).is_ok(),
                signal::kill_group(nobody, Signal::RTMIN).is_err(),
            )
        },
    );
    check("SignalFd (new, read nothing, set_signals, drop)", || {
        let set = SigSet::from_signals(&[Signal::USR2]);
        let flags = SignalFdFlags::CLOEXEC | SignalFdFlags::NONBLOCK;
        let sfd = SignalFd::with_flags(&set, flags).expect("signalfd");
        let none = sfd.read().is_ok_and(|i| i.is_none());
        let changed = sfd.set_signals(&set.with(Signal::HUP)).is_ok();
        (none, changed)
    });
    check_in_child("SigSet::wait + signal::kill", || {
        let set = SigSet::from_signals(&[Signal::USR1]);
        ok(signal::block(&set));
        ok(signal::kill(rustix::process::getpid(), Signal::USR1));
        ok(set.wait());
    });
    check_in_child("SignalFd::read of a pending signal", || {
        let set = SigSet::from_signals(&[Signal::TERM]);
        ok(signal::block(&set));
        let sfd = ok(SignalFd::new(&set));
        ok(signal::kill(rustix::process::getpid(), Signal::TERM));
        if ok(sfd.read()).is_none() {
            std::process::abort();
        }
    });
    check_in_child(
        "set_child_subreaper + setpgid + fork + wait_for + reap_zombies",
        || {
            let _ = process::set_child_subreaper(true);
            let _ = process::setpgid(None, None);
            // SAFETY: the grandchildren only exit.
            if let Ok(daemonry::Fork::Parent(pid)) = unsafe { daemonry::fork() } {
                let _ = process::wait_for(pid);
            } else {
                daemonry::exit_immediately(0);
            }
            // SAFETY: as above.
            if let Ok(daemonry::Fork::Child) = unsafe { daemonry::fork() } {
                daemonry::exit_immediately(0);
            }
            for _ in process::reap_zombies() {}
            let _ = process::wait_for(rustix::process::getpid());
        },
    );
    check_in_child("execvpe (successful exec of /bin/true)", || {
        // SAFETY: the grandchild only execs or exits.
        match unsafe { daemonry::fork() } {
            Ok(daemonry::Fork::Child) => {
                let mut argv = CStrArrayBuf::<2>::new();
                let _ = argv.push(c"true");
                let _ = process::execvpe(c"true", argv.as_array(), CStrArray::EMPTY);
                daemonry::exit_immediately(1);
            }
            Ok(daemonry::Fork::Parent(pid)) => {
                let _ = process::wait_for(pid);
            }
            Err(_) => {}
        }
    });
}

// == daemon ==

/// `DaemonContext::open` on both sides: the caller (which waits on the
/// readiness pipe) and the daemon, which reports its own count back
/// through a kept pipe before leaving.
fn daemon() {
    use daemonry::{DaemonContext, OnReady, Opened};
    // With `std`, `open` flushes Rust's stdout first (so buffered output is
    // not written twice); std allocates that stream's buffer the first time
    // it is used, once per process. Use it before counting, as any program
    // that has printed has. The no_std run of this test covers `open`
    // without this.
    #[cfg(feature = "std")]
    {
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
    // A relative pidfile: `open` makes it absolute in the caller, through
    // /proc/self/cwd, without allocating.
    let dir = std::env::temp_dir().join(format!("daemonry-noalloc-d-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cdir =
        std::ffi::CString::new(dir.clone().into_os_string().into_encoded_bytes()).expect("no NUL");
    check_in_child(
        "DaemonContext::open (caller and daemon; keep, relative pidfile)",
        || {
            let _ = rustix::process::chdir(cdir.as_c_str());
            let (r, w) = rustix::pipe::pipe().expect("pipe");
            let before = ALLOCS.load(Ordering::SeqCst);
            match DaemonContext::new()
                .parent(OnReady::Return)
                .pidfile(c"daemon.pid")
                .keep(&w)
                .open()
            {
                Ok(Opened::Daemon(_d)) => {
                    let n = (ALLOCS.load(Ordering::SeqCst) - before) as u64;
                    let _ = rustix::io::write(&w, &n.to_le_bytes());
                    // `r` was closed by the daemon's fd sweep: never drop it.
                    std::mem::forget(r);
                    daemonry::exit_immediately(0);
                }
                Ok(Opened::Original(_)) => {
                    drop(w);
                    let mut b = [0u8; 8];
                    let n = match rustix::io::read(&r, &mut b) {
                        Ok(8) => u64::from_le_bytes(b) as usize,
                        _ => 1000, // no report: count it as a failure
                    };
                    ALLOCS.fetch_add(n, Ordering::SeqCst);
                }
                Err(_) => {
                    ALLOCS.fetch_add(1000, Ordering::SeqCst);
                }
            }
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
    check_in_child("DaemonContext::open (fake) and detached", || {
        let ctx = daemonry::detached(daemonry::DetachOptions::new().fake(true));
        if let Ok(ctx) = ctx {
            let _ = ctx.open();
        }
    });
}

// == notify ==

/// Records a failure when a counted call did not take its full path.
fn expect(name: &str, ok: bool) {
    if !ok {
        FAILURES.fetch_add(1, Ordering::SeqCst);
        eprintln!("FAIL {name}: unexpected result");
    }
}

/// The sender, socket activation and watchdog paths over an `envp` array
/// (both feature states) and over the process environment (std); the
/// receiver, with a barrier answered across processes.
fn notify() {
    use daemonry::notify::{Env, MESSAGE_MAX, Message, NotifySocket, Readiness};
    use daemonry::process::CStrArrayBuf;
    use std::ffi::CString;
    use std::time::Duration;

    let sock = check("NotifySocket::new", NotifySocket::new).expect("NotifySocket");
    // Fd 3 must be open to be "passed": the lowest free fds, or already open.
    let _keep = rustix::pipe::pipe().expect("pipe");
    let pid = CString::new(format!("LISTEN_PID={}", std::process::id())).expect("no NUL");
    let mut envp = CStrArrayBuf::<8>::new();
    for e in [
        sock.env_entry(),
        &pid,
        c"LISTEN_FDS=1",
        c"LISTEN_FDNAMES=only",
        c"WATCHDOG_USEC=1000000",
    ] {
        envp.push(e).expect("room");
    }
    let env = Env::new(envp.as_array());

    let sent = check("Env::notify", || env.notify(b"STATUS=starting"));
    expect("Env::notify", sent == Ok(true));
    let sent = check("Message (reloading, status) + Env::notify", || {
        let mut m = Message::new();
        m.reloading()?
            .status("reloading")?
            .extend_timeout(Duration::from_secs(5))?;
        env.notify(&m)
    });
    expect("Message + Env::notify", sent == Ok(true));
    let fds = check("Env::listen_fds (and iterate)", || {
        env.listen_fds()
            .map(|fds| fds.iter().filter(|(_, n)| *n == Some(&b"only"[..])).count())
    });
    expect("Env::listen_fds", fds == Ok(1));
    let wd = check("Env::watchdog_interval", || env.watchdog_interval());
    expect(
        "Env::watchdog_interval",
        wd == Ok(Some(Duration::from_secs(1))),
    );
    let me = rustix::process::getpid();
    let parent = rustix::process::getppid().expect("a parent");
    let d = check("is_descendant", || {
        daemonry::notify::is_descendant(me, parent)
    });
    expect("is_descendant", d == Ok(true));
    // One SCM_CREDENTIALS message with pid 0, as a 64- or 32-bit kernel
    // lays it out (a `size_t` length, level, type, then pid, uid, gid).
    let mut control = [0u8; 40];
    let w = std::mem::size_of::<usize>();
    control[..w].copy_from_slice(&(w + 8 + 12).to_ne_bytes());
    control[w..w + 4].copy_from_slice(&1i32.to_ne_bytes());
    control[w + 4..w + 8].copy_from_slice(&2i32.to_ne_bytes());
    let creds = check("notify::parse_control", || {
        daemonry::notify::parse_control(&control, |_| {})
    });
    expect(
        "notify::parse_control",
        creds.is_some_and(|c| c.pid.is_none() && c.uid.is_root()),
    );
    let received = check("NotifySocket::recv + parse_message (drain)", || {
        let mut buf = [0u8; MESSAGE_MAX];
        let mut n = 0;
        while let Ok(Some(m)) = sock.recv(&mut buf) {
            n += usize::from(m.fields().is_ok_and(|f| f.status().is_some()));
        }
        n
    });
    expect("NotifySocket::recv", received == 2);

    // A helper child waits for READY=1 (counting its own allocations) and
    // answers the barrier on the way; we count the barrier and the READY.
    // SAFETY: single-threaded (harness = false); the child leaves with _exit.
    let helper = unsafe { libc::fork() };
    assert!(helper >= 0);
    if helper == 0 {
        let mut buf = [0u8; MESSAGE_MAX];
        let (n, r) = count(|| {
            sock.wait_ready(&mut buf, Duration::from_secs(30), |_| true)
                .map(|r| matches!(r, Readiness::Ready(_)))
        });
        let code = if r == Ok(true) { n.min(200) } else { 255 };
        // SAFETY: leave the child at once.
        unsafe { libc::_exit(code as i32) };
    }
    let barrier = check("Env::notify_barrier", || {
        env.notify_barrier(Duration::from_secs(30))
    });
    expect("Env::notify_barrier", barrier == Ok(true));
    let sent = check("Env::notify (READY=1)", || env.notify("READY=1"));
    expect("Env::notify (READY=1)", sent == Ok(true));
    let mut status = 0;
    // SAFETY: our own child; `status` is writable.
    unsafe { libc::waitpid(helper, &mut status, 0) };
    CHECKS.fetch_add(1, Ordering::SeqCst);
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        eprintln!("ok   NotifySocket::wait_ready: 0 allocations (in child)");
    } else {
        FAILURES.fetch_add(1, Ordering::SeqCst);
        eprintln!("FAIL NotifySocket::wait_ready: child status {status:#x}");
    }

    #[cfg(feature = "std")]
    {
        let listen_pid = std::process::id().to_string();
        // SAFETY: single-threaded (harness = false).
        unsafe {
            std::env::set_var("NOTIFY_SOCKET", sock.env_value().to_str().expect("ASCII"));
            std::env::set_var("LISTEN_PID", &listen_pid);
            std::env::set_var("LISTEN_FDS", "1");
            std::env::set_var("WATCHDOG_USEC", "2000000");
        }
        let sent = check("notify::notify (process env)", || {
            daemonry::notify::notify("READY=1")
        });
        expect("notify::notify", sent == Ok(true));
        let fds = check("notify::listen_fds (process env)", || {
            daemonry::notify::listen_fds().map(|f| f.len())
        });
        expect("notify::listen_fds", fds == Ok(1));
        let wd = check("notify::watchdog_interval (process env)", || {
            daemonry::notify::watchdog_interval()
        });
        expect(
            "notify::watchdog_interval",
            wd == Ok(Some(Duration::from_secs(2))),
        );
        // SAFETY: single-threaded (harness = false).
        unsafe {
            daemonry::notify::unset_listen_env();
            std::env::remove_var("NOTIFY_SOCKET");
            std::env::remove_var("WATCHDOG_USEC");
        }
    }
}

fn main() {
    errno_and_error();
    fd();
    // == calls: account / privilege ==
    account_and_privilege();
    // == calls: pidfile ==
    pidfile();
    // == calls: signal / process / title ==
    signal_process_title();
    exec_wait_groups_signals();
    // == calls: daemon ==
    daemon();
    // == calls: notify ==
    notify();

    let failures = FAILURES.load(Ordering::SeqCst);
    let checks = CHECKS.load(Ordering::SeqCst);
    eprintln!("no_alloc: {checks} checks, {failures} failure(s)");
    if failures != 0 {
        std::process::exit(1);
    }
}
