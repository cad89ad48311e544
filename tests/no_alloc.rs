//! Proves that the core API never allocates: a counting global allocator
//! wraps the system one, and every core function runs with the count
//! watched. Functions that change process state run in a forked child,
//! which reports its count through the exit status.
//!
//! `harness = false`: no test threads allocate behind our back.

#![allow(unsafe_code)] // A global allocator and fork need unsafe.
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

fn pidfile() {
    use daemonkit::{Pidfile, check_pidlock, create_pidlock, parse_pid};
    let dir = std::env::temp_dir().join(format!("daemonkit-noalloc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = std::ffi::CString::new(dir.join("a.pid").into_os_string().into_encoded_bytes())
        .expect("no NUL");
    let other = std::ffi::CString::new(dir.join("b.pid").into_os_string().into_encoded_bytes())
        .expect("no NUL");

    check("parse_pid", || parse_pid(b"1816\n").is_ok());
    let mut pf = Pidfile::new(&path);
    check("Pidfile::acquire", || pf.acquire().expect("acquire"));
    check("Pidfile::probe (held)", || pf.probe().expect("probe"));
    check("Pidfile::read_pid", || pf.read_pid().expect("read_pid"));
    check("Pidfile::is_locked", || pf.is_locked().expect("is_locked"));
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
    check("create_pidlock + drop", || {
        drop(create_pidlock(path.as_c_str()).expect("lock"))
    });
    check("check_pidlock (absent)", || {
        check_pidlock(path.as_c_str()).expect("free")
    });

    // Files without a lock: every liveness rule.
    let pf = Pidfile::new(&other);
    std::fs::write(dir.join("b.pid"), "1\n").expect("write");
    check(
        "Pidfile::probe (running: kill, /proc stat, start time)",
        || pf.probe().expect("probe"),
    );
    std::fs::write(dir.join("b.pid"), format!("{}\n", std::process::id())).expect("write");
    check("create_pidlock over a stale file", || {
        drop(create_pidlock(other.as_c_str()).expect("lock"))
    });
    std::fs::write(dir.join("b.pid"), "garbage\n").expect("write");
    check("Pidfile::probe (invalid)", || pf.probe().expect("probe"));
    check("Pidfile::remove_if_stale", || {
        pf.remove_if_stale().expect("remove")
    });
    std::fs::write(dir.join("b.pid"), "1\n").expect("write");
    check("Pidfile::remove", || pf.remove().expect("remove"));
    let _ = std::fs::remove_dir_all(&dir);
}

// == signal / process / title (issue 5) ==

fn main() {
    errno_and_error();
    fd();
    // == calls: account / privilege ==
    // == calls: pidfile ==
    pidfile();
    // == calls: signal / process / title ==

    let failures = FAILURES.load(Ordering::SeqCst);
    let checks = CHECKS.load(Ordering::SeqCst);
    eprintln!("no_alloc: {checks} checks, {failures} failure(s)");
    if failures != 0 {
        std::process::exit(1);
    }
}
