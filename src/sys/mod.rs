//! The system calls rustix keeps private, as raw `asm!` stubs.
//!
//! rustix exposes fork, exit_group, execve, sigaction and sigprocmask only
//! through its hidden, unstable runtime module, which daemonry never uses
//! (it was renamed in a patch release). The few calls daemonry needs beyond
//! rustix's public API live here, with their numbers and structures from
//! `linux-raw-sys`. Everything else goes through rustix.
//!
//! One file per architecture provides `syscallN` and the signal restorer;
//! this file gives each call a typed, checked wrapper. Only x86_64 is
//! implemented (the only target this project can build and test); other
//! architectures fail to compile with a message naming the missing port.
//!
//! # Safety
//!
//! Every wrapper documents what it requires. Safe wrappers pass only
//! pointers derived from Rust references of the right type and size, so the
//! kernel reads and writes memory we own; `unsafe fn` wrappers (fork,
//! execve, sigaction) have preconditions only the caller can uphold.

#![allow(unsafe_code)]
// This module is the raw system-call layer.
// Several wrappers are used only by some modules or only with `std`.
#![allow(dead_code)]

#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
mod arch;

#[cfg(not(target_arch = "x86_64"))]
compile_error!(
    "daemonry: the raw system-call layer (src/sys) has no port for this architecture yet; \
     add src/sys/<arch>.rs beside x86_64.rs (syscall0..5, exit_group, restore_rt)"
);

use core::ffi::{CStr, c_char};
use linux_raw_sys::general as g;
use rustix::fd::RawFd;
use rustix::io::Errno;

/// `CLOSE_RANGE_CLOEXEC` from `<linux/close_range.h>` (Linux 5.11); missing
/// from linux-raw-sys.
pub(crate) const CLOSE_RANGE_CLOEXEC: u32 = 4;

/// Turns a raw return value into a `Result`: `-4095..=-1` is `-errno`.
#[inline]
fn check(r: usize) -> Result<usize, Errno> {
    if r > (-4096isize) as usize {
        Err(Errno::from_raw_os_error(-(r as isize) as i32))
    } else {
        Ok(r)
    }
}

/// `close_range(2)`: closes (or, with [`CLOSE_RANGE_CLOEXEC`], marks
/// close-on-exec) every fd in `first..=last`.
pub(crate) fn close_range(first: u32, last: u32, flags: u32) -> Result<(), Errno> {
    // SAFETY: close_range takes three integers and touches no user memory.
    let r = unsafe {
        arch::syscall3(
            g::__NR_close_range,
            first as usize,
            last as usize,
            flags as usize,
        )
    };
    check(r).map(drop)
}

/// `close(2)` on a raw number, without the retry-on-EINTR mistake.
pub(crate) fn close(fd: RawFd) -> Result<(), Errno> {
    // SAFETY: close takes an integer and touches no user memory.
    check(unsafe { arch::syscall1(g::__NR_close, fd as usize) }).map(drop)
}

/// `write(2)` to a raw fd number (which may be closed: `EBADF`); returns
/// the count written.
pub(crate) fn write(fd: RawFd, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is readable for `buf.len()` bytes.
    let r = unsafe { arch::syscall3(g::__NR_write, fd as usize, buf.as_ptr() as usize, buf.len()) };
    check(r)
}

/// `fcntl(fd, F_GETFD)`: the fd flags, or `EBADF` when `fd` is not open.
pub(crate) fn fcntl_getfd(fd: RawFd) -> Result<u32, Errno> {
    // SAFETY: F_GETFD takes no pointer argument.
    let r = unsafe { arch::syscall2(g::__NR_fcntl, fd as usize, g::F_GETFD as usize) };
    check(r).map(|v| v as u32)
}

/// `fcntl(fd, F_SETFD, flags)`.
pub(crate) fn fcntl_setfd(fd: RawFd, flags: u32) -> Result<(), Errno> {
    // SAFETY: F_SETFD takes an integer argument.
    let r = unsafe {
        arch::syscall3(
            g::__NR_fcntl,
            fd as usize,
            g::F_SETFD as usize,
            flags as usize,
        )
    };
    check(r).map(drop)
}

/// `fstat(2)` on a raw fd number (which may be closed: `EBADF`).
pub(crate) fn fstat(fd: RawFd) -> Result<g::stat, Errno> {
    let mut st = core::mem::MaybeUninit::<g::stat>::uninit();
    // SAFETY: `st` is a writable `struct stat` of the kernel's layout.
    let r = unsafe { arch::syscall2(g::__NR_fstat, fd as usize, st.as_mut_ptr() as usize) };
    check(r)?;
    // SAFETY: fstat succeeded, so the kernel filled in the whole structure.
    Ok(unsafe { st.assume_init() })
}

/// `getdents64(2)`: reads directory entries into `buf`; returns the number
/// of bytes filled (0 at the end of the directory).
pub(crate) fn getdents64(fd: RawFd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is writable for `buf.len()` bytes; the kernel writes at
    // most that many.
    let r = unsafe {
        arch::syscall3(
            g::__NR_getdents64,
            fd as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    };
    check(r)
}

/// `ioctl(fd, TCGETS)`: succeeds exactly when `fd` is a terminal (what
/// glibc's `isatty(3)` asks).
pub(crate) fn tcgets(fd: RawFd) -> Result<(), Errno> {
    let mut t = core::mem::MaybeUninit::<g::termios>::uninit();
    // SAFETY: TCGETS writes one `struct termios` (the kernel's layout) to
    // the pointer, which is writable and correctly sized.
    let r = unsafe {
        arch::syscall3(
            g::__NR_ioctl,
            fd as usize,
            linux_raw_sys::ioctl::TCGETS as usize,
            t.as_mut_ptr() as usize,
        )
    };
    check(r).map(drop)
}

/// `fork(2)` as `clone(SIGCHLD)`: returns `Ok(None)` in the child and
/// `Ok(Some(pid))` in the parent.
///
/// # Safety
///
/// libc is not told: no atfork handlers run, and the child's libc keeps the
/// parent's thread id. The caller must make sure the child only does
/// async-signal-safe work (or that the process was single-threaded).
pub(crate) unsafe fn fork() -> Result<Option<rustix::process::Pid>, Errno> {
    // SAFETY: clone with only SIGCHLD and null stack/pointers behaves like
    // fork(2): the child continues on a copy of our stack. The caller upholds
    // the rules about what the child may do.
    let r = unsafe { arch::syscall5(g::__NR_clone, g::SIGCHLD as usize, 0, 0, 0, 0) };
    let pid = check(r)?;
    Ok(rustix::process::Pid::from_raw(pid as i32))
}

/// `exit_group(2)`: ends the whole process at once, running no destructors,
/// atexit handlers or stdio flushes (the right exit for a forked child).
pub(crate) fn exit_group(code: i32) -> ! {
    arch::exit_group(code)
}

/// `execve(2)`. Returns only on failure.
///
/// # Safety
///
/// `argv` and `envp` must be null-terminated arrays of pointers to
/// NUL-terminated strings that stay valid for the call.
pub(crate) unsafe fn execve(
    path: &CStr,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> Errno {
    // SAFETY: `path` is NUL-terminated; the caller vouches for argv/envp.
    let r = unsafe {
        arch::syscall3(
            g::__NR_execve,
            path.as_ptr() as usize,
            argv as usize,
            envp as usize,
        )
    };
    match check(r) {
        Err(e) => e,
        // execve does not return on success; a 0 here cannot happen.
        Ok(_) => Errno::INVAL,
    }
}

/// A kernel `sigaction` whose handler returns through our restorer.
pub(crate) type KernelSigaction = g::kernel_sigaction;
/// The kernel's 64-bit signal set.
pub(crate) type KernelSigset = g::kernel_sigset_t;

/// The `sa_restorer` every handler installed through [`rt_sigaction`] uses.
pub(crate) fn restorer() -> g::__sigrestore_t {
    Some(arch::restore_rt)
}

/// `rt_sigaction(2)`: installs `new` (if given) for `sig` and returns the
/// previous action.
///
/// # Safety
///
/// A handler in `new` must be an `extern "C" fn(i32)` that is sound to run
/// asynchronously at any point of the program, and `sa_flags` must include
/// `SA_RESTORER` with [`restorer`] whenever a handler (not SIG_DFL/SIG_IGN)
/// is installed.
pub(crate) unsafe fn rt_sigaction(
    sig: i32,
    new: Option<&KernelSigaction>,
) -> Result<KernelSigaction, Errno> {
    let mut old = core::mem::MaybeUninit::<KernelSigaction>::uninit();
    let newp = new.map_or(0, |n| n as *const KernelSigaction as usize);
    // SAFETY: `newp` is null or a valid sigaction; `old` is writable; the
    // size argument is the kernel's sigset size (8 bytes).
    let r = unsafe {
        arch::syscall4(
            g::__NR_rt_sigaction,
            sig as usize,
            newp,
            old.as_mut_ptr() as usize,
            core::mem::size_of::<KernelSigset>(),
        )
    };
    check(r)?;
    // SAFETY: the call succeeded, so the kernel wrote the old action.
    Ok(unsafe { old.assume_init() })
}

/// `rt_sigprocmask(2)` for the calling thread; returns the previous mask.
/// `how` is `SIG_BLOCK`, `SIG_UNBLOCK` or `SIG_SETMASK`.
pub(crate) fn rt_sigprocmask(how: u32, new: Option<&KernelSigset>) -> Result<KernelSigset, Errno> {
    let mut old = KernelSigset { sig: [0] };
    let newp = new.map_or(0, |n| n as *const KernelSigset as usize);
    // SAFETY: `newp` is null or a valid sigset; `old` is writable.
    let r = unsafe {
        arch::syscall4(
            g::__NR_rt_sigprocmask,
            how as usize,
            newp,
            &mut old as *mut KernelSigset as usize,
            core::mem::size_of::<KernelSigset>(),
        )
    };
    check(r)?;
    Ok(old)
}

/// The fields of a `siginfo_t` that [`rt_sigtimedwait`] reports.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawSigInfo {
    /// `si_signo`.
    pub(crate) signo: i32,
    /// `si_code`.
    pub(crate) code: i32,
    /// `si_pid` (of the `_kill` and `_sigchld` layouts; 0 when unused).
    pub(crate) pid: i32,
    /// `si_uid` (same layouts).
    pub(crate) uid: u32,
    /// `si_status` (the `_sigchld` layout).
    pub(crate) status: i32,
}

/// `rt_sigtimedwait(2)`: waits for one of `set` (which should be blocked)
/// and takes it; `timeout` `None` waits forever. `EAGAIN` on timeout,
/// `EINTR` when a handled signal outside `set` interrupts the wait.
pub(crate) fn rt_sigtimedwait(
    set: &KernelSigset,
    timeout: Option<&g::__kernel_timespec>,
) -> Result<RawSigInfo, Errno> {
    // All-zero is a valid `siginfo_t` (plain integers and a pointer).
    let mut info = core::mem::MaybeUninit::<g::siginfo_t>::zeroed();
    let tp = timeout.map_or(0, |t| t as *const g::__kernel_timespec as usize);
    // SAFETY: `set` and `timeout` are valid for reading, `info` (128 bytes,
    // the kernel's `siginfo_t`) for writing.
    let r = unsafe {
        arch::syscall4(
            g::__NR_rt_sigtimedwait,
            set as *const KernelSigset as usize,
            info.as_mut_ptr() as usize,
            tp,
            core::mem::size_of::<KernelSigset>(),
        )
    };
    check(r)?;
    // SAFETY: zero-initialised and then (partly) written by the kernel:
    // every byte is initialised.
    let info = unsafe { info.assume_init() };
    // SAFETY: every field read is a plain integer at a fixed offset of the
    // union; `_kill` and `_sigchld` share `pid` and `uid`, and for other
    // layouts the kernel zeroes or fills those bytes with other integers
    // (callers only trust them for the codes that define them).
    let (fields, sigchld) = unsafe {
        let f = info.__bindgen_anon_1.__bindgen_anon_1;
        (f, f._sifields._sigchld)
    };
    Ok(RawSigInfo {
        signo: fields.si_signo,
        code: fields.si_code,
        pid: sigchld._pid,
        uid: sigchld._uid,
        status: sigchld._status,
    })
}

/// `kill(2)`: sends `sig` (0..=64; 0 only checks) to `pid` (> 0), to
/// process group `-pid` (< 0), to our own group (0) or to every process we
/// may signal (-1).
///
/// Raw rather than rustix's `kill_process`, whose `Signal` cannot be built
/// safely for real-time signals.
pub(crate) fn kill(pid: i32, sig: i32) -> Result<(), Errno> {
    // SAFETY: kill takes two integers and touches no user memory.
    let r = unsafe { arch::syscall2(g::__NR_kill, pid as isize as usize, sig as isize as usize) };
    check(r).map(drop)
}

/// `setitimer(2)`: sets timer `which` and returns its previous value.
pub(crate) fn setitimer(which: u32, new: &g::itimerval) -> Result<g::itimerval, Errno> {
    let zero = g::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut old = g::itimerval {
        it_interval: zero,
        it_value: zero,
    };
    // SAFETY: `new` is readable and `old` writable `struct itimerval`s.
    let r = unsafe {
        arch::syscall3(
            g::__NR_setitimer,
            which as usize,
            new as *const g::itimerval as usize,
            &mut old as *mut g::itimerval as usize,
        )
    };
    check(r)?;
    Ok(old)
}

/// `getresuid(2)`: (real, effective, saved) user ids.
pub(crate) fn getresuid() -> (u32, u32, u32) {
    let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
    // SAFETY: three writable `u32`s (the kernel's uid_t).
    unsafe {
        arch::syscall3(
            g::__NR_getresuid,
            &mut r as *mut u32 as usize,
            &mut e as *mut u32 as usize,
            &mut s as *mut u32 as usize,
        );
    }
    (r, e, s)
}

/// `getresgid(2)`: (real, effective, saved) group ids.
pub(crate) fn getresgid() -> (u32, u32, u32) {
    let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
    // SAFETY: three writable `u32`s (the kernel's gid_t).
    unsafe {
        arch::syscall3(
            g::__NR_getresgid,
            &mut r as *mut u32 as usize,
            &mut e as *mut u32 as usize,
            &mut s as *mut u32 as usize,
        );
    }
    (r, e, s)
}

/// `getgroups(2)` into `buf`; returns the count. With an empty `buf` it
/// returns the count without writing; a too-small non-empty `buf` is
/// `EINVAL`.
pub(crate) fn getgroups(buf: &mut [u32]) -> Result<usize, Errno> {
    // SAFETY: `buf` is writable for `buf.len()` gids; the kernel writes at
    // most that many (and none when the size is 0).
    let r = unsafe { arch::syscall2(g::__NR_getgroups, buf.len(), buf.as_mut_ptr() as usize) };
    check(r)
}

/// `prctl(PR_GET_NAME)`: the calling thread's 16-byte comm name.
pub(crate) fn prctl_get_name() -> Result<[u8; 16], Errno> {
    let mut name = [0u8; 16];
    // SAFETY: PR_GET_NAME writes exactly 16 bytes to the pointer.
    let r = unsafe {
        arch::syscall2(
            g::__NR_prctl,
            linux_raw_sys::prctl::PR_GET_NAME as usize,
            name.as_mut_ptr() as usize,
        )
    };
    check(r)?;
    Ok(name)
}

// == pidfile (issue 4) ==

/// `clock_gettime(2)` as a plain system call (rustix offers it only with its
/// `time` feature): nanoseconds of clock `clock` (`CLOCK_REALTIME`,
/// `CLOCK_BOOTTIME`, …) as an `i128`, so sums and differences cannot
/// overflow.
pub(crate) fn clock_gettime_ns(clock: u32) -> Result<i128, Errno> {
    let mut ts = g::__kernel_timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a writable `struct __kernel_timespec`, the layout the
    // 64-bit clock_gettime writes.
    let r = unsafe {
        arch::syscall2(
            g::__NR_clock_gettime,
            clock as usize,
            &mut ts as *mut g::__kernel_timespec as usize,
        )
    };
    check(r)?;
    Ok(i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec))
}
