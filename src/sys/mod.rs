//! The system calls rustix keeps private, as raw `asm!` stubs.
//!
//! rustix exposes fork, exit_group, execve, sigaction and sigprocmask only
//! through its hidden, unstable runtime module, which daemonry never uses
//! (it was renamed in a patch release), and has no signalfd. The few calls
//! daemonry needs beyond
//! rustix's public API live here, with their numbers and structures from
//! `linux-raw-sys` for the target architecture. Everything else goes
//! through rustix.
//!
//! One file per architecture (x86_64, aarch64, riscv64, arm, x86) provides
//! `syscall1`..`syscall5`, `exit_group` and how a signal handler returns
//! (`set_restorer`); `word.rs` gives the numbers of the calls whose variant
//! depends on the word size (`nr`) and the kernel's `struct stat`. This file gives each call a typed, checked
//! wrapper whose types are the same on every architecture: signal sets are
//! `u64` bit masks, times have 64-bit seconds, device and inode numbers are
//! `u64`. Nothing outside this module knows the architecture.
//!
//! On 32-bit architectures the plain call names of linux-raw-sys are the
//! 16-bit-id and 32-bit-time variants; this module uses `getresuid32`,
//! `getgroups32`, `fstat64`, `clock_gettime64` and
//! `rt_sigtimedwait_time64` there, falling back to the 32-bit-time calls on
//! kernels before 5.1.
//! `setitimer` has no 64-bit-time variant: seconds beyond a 32-bit
//! `time_t` saturate (68 years).
//!
//! # Safety
//!
//! Every wrapper documents what it requires. Safe wrappers pass only
//! pointers derived from Rust references of the right type and size, so the
//! kernel reads and writes memory we own; `unsafe fn` wrappers (fork,
//! execve, sigaction) have preconditions only the caller can uphold.

#![allow(unsafe_code)]
// This module is the raw system-call layer.

#[cfg_attr(target_arch = "x86_64", path = "x86_64.rs")]
#[cfg_attr(target_arch = "aarch64", path = "aarch64.rs")]
#[cfg_attr(target_arch = "riscv64", path = "riscv64.rs")]
#[cfg_attr(target_arch = "arm", path = "arm.rs")]
#[cfg_attr(target_arch = "x86", path = "x86.rs")]
mod arch;
mod word;

#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64",
    target_arch = "arm",
    target_arch = "x86"
)))]
compile_error!(
    "daemonry: the raw system-call layer (src/sys) has no port for this architecture; \
     add src/sys/<arch>.rs beside x86_64.rs (syscall1..5, exit_group, nr, set_restorer)"
);

use core::ffi::{CStr, c_char, c_long, c_ulong};
use linux_raw_sys::general as g;
use rustix::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use rustix::io::Errno;

/// `CLOSE_RANGE_CLOEXEC` from `<linux/close_range.h>` (Linux 5.11); missing
/// from linux-raw-sys.
pub(crate) const CLOSE_RANGE_CLOEXEC: u32 = 4;

/// `value` as a type at least as wide on every architecture. The kernel's
/// `long`-sized fields are 32 or 64 bits: a cast or `From` between them is
/// a no-op on some architectures (and linted there) but not on others.
#[inline]
fn widen<T: Into<U>, U>(value: T) -> U {
    value.into()
}

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

/// The identity of a file, as `fstat(2)` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stat {
    /// `st_dev`: the device holding the file.
    pub(crate) st_dev: u64,
    /// `st_ino`: the file's inode number on that device.
    pub(crate) st_ino: u64,
}

/// `fstat(2)` (`fstat64` on 32-bit architectures, whose `fstat` has 32-bit
/// inode numbers) on a raw fd number (which may be closed: `EBADF`).
pub(crate) fn fstat(fd: RawFd) -> Result<Stat, Errno> {
    let mut st = core::mem::MaybeUninit::<word::KernelStat>::uninit();
    // SAFETY: `st` is a writable `struct stat` of the layout this call
    // writes (`struct stat64` for `fstat64`).
    let r = unsafe { arch::syscall2(word::nr::FSTAT, fd as usize, st.as_mut_ptr() as usize) };
    check(r)?;
    // SAFETY: the call succeeded, so the kernel filled in the whole structure.
    let st = unsafe { st.assume_init() };
    Ok(Stat {
        st_dev: widen(st.st_dev),
        st_ino: widen(st.st_ino),
    })
}

/// `fork(2)` as `clone(SIGCHLD)`: returns `Ok(None)` in the child and
/// `Ok(Some(pid))` in the parent.
///
/// # Safety
///
/// libc is not told: no atfork handlers run, and the child's libc keeps the
/// parent's thread id. The caller must make sure the child only does
/// async-signal-safe work (or that the process was single-threaded).
// With `std`, `process::fork` uses libc's own `fork` instead.
#[cfg(not(feature = "std"))]
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

/// The kernel's signal set in its own layout: one 64-bit word, or two
/// 32-bit words (signals 1..=32 first) on 32-bit architectures.
type KernelSigset = g::kernel_sigset_t;

/// The kernel's layout of the 64-bit mask `bits` (bit `n - 1` is signal `n`).
fn kernel_sigset(bits: u64) -> KernelSigset {
    let mut set = KernelSigset {
        sig: Default::default(),
    };
    for (i, word) in set.sig.iter_mut().enumerate() {
        // At most two words: shifts of 0 and 32.
        *word = (bits >> (i as u32 * c_ulong::BITS)) as c_ulong;
    }
    set
}

/// The 64-bit mask of a kernel signal set.
fn sigset_bits(set: &KernelSigset) -> u64 {
    set.sig.iter().enumerate().fold(0, |bits, (i, &word)| {
        bits | widen::<_, u64>(word) << (i as u32 * c_ulong::BITS)
    })
}

/// `SIG_DFL` as a [`SigAction::handler`].
pub(crate) const SIG_DFL: usize = 0;
/// `SIG_IGN` as a [`SigAction::handler`].
pub(crate) const SIG_IGN: usize = 1;

/// A signal action, the same on every architecture; [`sigaction`]
/// translates it to and from the kernel's `struct sigaction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SigAction {
    /// [`SIG_DFL`], [`SIG_IGN`] or the address of the handler: an
    /// `extern "C" fn(i32)`, or with `SA_SIGINFO` an
    /// `extern "C" fn(i32, *mut siginfo_t, *mut c_void)`.
    pub(crate) handler: usize,
    /// `SA_*` flags. `SA_RESTORER` is this module's business: never pass it
    /// (it is added where the architecture has it, and may be reported).
    pub(crate) flags: u32,
    /// Signals blocked while the handler runs (bit `n - 1` is signal `n`).
    pub(crate) mask: u64,
}

/// `rt_sigaction(2)`: installs `new` (if given) for `sig` and returns the
/// previous action. A handler returns through the trampoline the kernel
/// wants on this architecture for that kind of handler (`rt_sigreturn`
/// for `SA_SIGINFO` handlers, `sigreturn` for the others where the two
/// differ, the vDSO's where there is no `SA_RESTORER`).
///
/// # Safety
///
/// A handler in `new` must be a function of the type [`SigAction::handler`]
/// names for its flags, sound to run asynchronously at any point of the
/// program.
pub(crate) unsafe fn sigaction(sig: i32, new: Option<&SigAction>) -> Result<SigAction, Errno> {
    let new = new.map(|n| {
        let mut act = no_action();
        // SAFETY: `handler` is SIG_DFL (0 → `None`), SIG_IGN (1) or a
        // handler's address (the caller's promise). Any non-null value is
        // valid for a function pointer that is only passed to the kernel,
        // never called by us.
        act.sa_handler_kernel =
            unsafe { core::mem::transmute::<usize, g::__kernel_sighandler_t>(n.handler) };
        act.sa_flags = widen(n.flags);
        act.sa_mask = kernel_sigset(n.mask);
        if n.handler > SIG_IGN {
            arch::set_restorer(&mut act);
        }
        act
    });
    // SAFETY: `act` is SIG_DFL/SIG_IGN or the caller's handler, returning
    // through the restorer `set_restorer` chose.
    let old = unsafe { rt_sigaction(sig, new.as_ref()) }?;
    Ok(SigAction {
        handler: old.sa_handler_kernel.map_or(SIG_DFL, |f| f as usize),
        // Every flag the kernel defines is below bit 32.
        flags: widen::<_, u64>(old.sa_flags) as u32,
        mask: sigset_bits(&old.sa_mask),
    })
}

/// An all-zero kernel action (SIG_DFL, no flags, empty mask, no restorer).
fn no_action() -> KernelSigaction {
    // SAFETY: every field of `struct sigaction` is an integer, an empty
    // signal set or an `Option` of a function pointer, all valid as zeroes.
    unsafe { core::mem::zeroed() }
}

/// `rt_sigprocmask(2)` for the calling thread; `how` is `SIG_BLOCK`,
/// `SIG_UNBLOCK` or `SIG_SETMASK`. Returns the previous mask.
pub(crate) fn sigprocmask(how: u32, new: Option<u64>) -> Result<u64, Errno> {
    let new = new.map(kernel_sigset);
    rt_sigprocmask(how, new.as_ref()).map(|old| sigset_bits(&old))
}

/// `rt_sigtimedwait(2)`: waits for one of `set` (which should be blocked)
/// and takes it; `timeout` `None` waits forever. `EAGAIN` on timeout,
/// `EINTR` when a handled signal outside `set` interrupts the wait.
pub(crate) fn sigtimedwait(
    set: u64,
    timeout: Option<&g::__kernel_timespec>,
) -> Result<RawSigInfo, Errno> {
    rt_sigtimedwait(&kernel_sigset(set), timeout)
}

/// The kernel's `struct sigaction` for this architecture.
type KernelSigaction = g::kernel_sigaction;

/// `rt_sigaction(2)` on the kernel's structure: installs `new` (if given)
/// for `sig` and returns the previous action.
///
/// # Safety
///
/// A handler in `new` must be sound to run asynchronously at any point of
/// the program, and must return through the restorer the architecture
/// needs (see [`sigaction`], which sees to it).
unsafe fn rt_sigaction(sig: i32, new: Option<&KernelSigaction>) -> Result<KernelSigaction, Errno> {
    let new = new.map(|n| SigactionSlack {
        act: *n,
        slack: n.sa_mask.sig[0],
    });
    let newp = new
        .as_ref()
        .map_or(0, |n| n as *const SigactionSlack as usize);
    let mut old = SigactionSlack {
        act: no_action(),
        slack: 0,
    };
    // SAFETY: `newp` is null or a valid sigaction; `old` is writable (with
    // a word to spare); the size argument is the kernel's sigset size (8
    // bytes).
    let r = unsafe {
        arch::syscall4(
            g::__NR_rt_sigaction,
            sig as usize,
            newp,
            &mut old as *mut SigactionSlack as usize,
            core::mem::size_of::<KernelSigset>(),
        )
    };
    check(r)?;
    Ok(old.act)
}

/// A kernel `struct sigaction` and one word more. qemu-user up to at
/// least 7.2 (Debian 12's) handles riscv64's as if it had the
/// `sa_restorer` field of other architectures: it reads the mask one word
/// late and writes a word past the end. The slack takes that write, and
/// repeats the mask's first word where such an emulator reads it; a kernel
/// reads and writes only `act`.
#[repr(C)]
struct SigactionSlack {
    act: KernelSigaction,
    slack: c_ulong,
}

/// `rt_sigprocmask(2)` on the kernel's signal set.
fn rt_sigprocmask(how: u32, new: Option<&KernelSigset>) -> Result<KernelSigset, Errno> {
    let mut old = kernel_sigset(0);
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

/// `signalfd4(2)`: a new signalfd for the signals in `mask` (`fd` `None`),
/// or a new mask for the signalfd `fd` (then `Ok(None)`). `flags` are
/// `SFD_CLOEXEC` and `SFD_NONBLOCK` (the `O_` values).
pub(crate) fn signalfd4(
    fd: Option<BorrowedFd<'_>>,
    mask: u64,
    flags: u32,
) -> Result<Option<OwnedFd>, Errno> {
    let set = kernel_sigset(mask);
    let raw_fd = fd.map_or(-1, |fd| fd.as_raw_fd());
    // SAFETY: `set` is a readable kernel signal set of the size passed; the
    // fd is an integer (an fd we borrow, or -1 for a new one).
    let r = unsafe {
        arch::syscall4(
            g::__NR_signalfd4,
            raw_fd as usize,
            &set as *const KernelSigset as usize,
            core::mem::size_of::<KernelSigset>(),
            flags as usize,
        )
    };
    let new = check(r)?;
    // SAFETY: without `fd`, the kernel returned a new fd that we own.
    Ok(fd
        .is_none()
        .then(|| unsafe { OwnedFd::from_raw_fd(new as RawFd) }))
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
fn rt_sigtimedwait(
    set: &KernelSigset,
    timeout: Option<&g::__kernel_timespec>,
) -> Result<RawSigInfo, Errno> {
    // All-zero is a valid `siginfo_t` (plain integers and a pointer).
    let mut info = core::mem::MaybeUninit::<g::siginfo_t>::zeroed();
    let setp = set as *const KernelSigset as usize;
    let infop = info.as_mut_ptr() as usize;
    let tp = timeout.map_or(0, |t| t as *const g::__kernel_timespec as usize);
    let size = core::mem::size_of::<KernelSigset>();
    // SAFETY: `set` and `timeout` are valid for reading, `info` (128 bytes,
    // the kernel's `siginfo_t`) for writing; this call's timeout is a
    // `struct __kernel_timespec`.
    let mut r = unsafe { arch::syscall4(word::nr::RT_SIGTIMEDWAIT, setp, infop, tp, size) };
    if let (Err(Errno::NOSYS), Some(time32)) = (check(r), word::nr::RT_SIGTIMEDWAIT_TIME32) {
        let old = timeout.map(|t| g::timespec {
            tv_sec: saturate_long(t.tv_sec),
            tv_nsec: t.tv_nsec as c_long,
        });
        let tp = old.as_ref().map_or(0, |t| t as *const g::timespec as usize);
        // SAFETY: as above, with the timeout as the older call's
        // `struct timespec`.
        r = unsafe { arch::syscall4(time32, setp, infop, tp, size) };
    }
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

/// `seconds` as the kernel's `long` (`time_t` of the older calls: 32 bits
/// on 32-bit architectures), saturated rather than truncated.
fn saturate_long(seconds: i64) -> c_long {
    seconds.clamp(widen(c_long::MIN), widen(c_long::MAX)) as c_long
}

/// A `struct timeval` with 64-bit seconds on every architecture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Timeval {
    /// Seconds.
    pub(crate) tv_sec: i64,
    /// Microseconds, `0..1_000_000`.
    pub(crate) tv_usec: i64,
}

/// A `struct itimerval` with 64-bit seconds on every architecture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Itimerval {
    /// The period after the first expiry (zero: one shot).
    pub(crate) it_interval: Timeval,
    /// The time to the next expiry (zero: disarmed).
    pub(crate) it_value: Timeval,
}

fn to_kernel_timeval(t: Timeval) -> g::timeval {
    g::timeval {
        tv_sec: saturate_long(t.tv_sec),
        tv_usec: t.tv_usec as c_long,
    }
}

fn from_kernel_timeval(t: g::timeval) -> Timeval {
    Timeval {
        tv_sec: widen(t.tv_sec),
        tv_usec: widen(t.tv_usec),
    }
}

/// `setitimer(2)`: sets timer `which` and returns its previous value.
/// Linux has no 64-bit-time `setitimer`: on 32-bit architectures seconds
/// beyond `i32::MAX` (68 years) saturate to it.
pub(crate) fn itimer(which: u32, new: &Itimerval) -> Result<Itimerval, Errno> {
    let new = g::itimerval {
        it_interval: to_kernel_timeval(new.it_interval),
        it_value: to_kernel_timeval(new.it_value),
    };
    let old = setitimer(which, &new)?;
    Ok(Itimerval {
        it_interval: from_kernel_timeval(old.it_interval),
        it_value: from_kernel_timeval(old.it_value),
    })
}

/// `setitimer(2)` on the kernel's structure (32-bit `time_t` on 32-bit
/// architectures).
fn setitimer(which: u32, new: &g::itimerval) -> Result<g::itimerval, Errno> {
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

/// `getresuid(2)` (`getresuid32` on 32-bit architectures): (real,
/// effective, saved) user ids.
pub(crate) fn getresuid() -> (u32, u32, u32) {
    getres(word::nr::GETRESUID)
}

/// `getresgid(2)` (`getresgid32` on 32-bit architectures): (real,
/// effective, saved) group ids.
pub(crate) fn getresgid() -> (u32, u32, u32) {
    getres(word::nr::GETRESGID)
}

fn getres(nr: u32) -> (u32, u32, u32) {
    let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
    // SAFETY: three writable `u32`s (the kernel's 32-bit uid_t / gid_t,
    // which `nr`, a 32-bit-id call, writes). It cannot fail.
    unsafe {
        arch::syscall3(
            nr,
            &mut r as *mut u32 as usize,
            &mut e as *mut u32 as usize,
            &mut s as *mut u32 as usize,
        );
    }
    (r, e, s)
}

/// `getgroups(2)` (`getgroups32` on 32-bit architectures) into `buf`;
/// returns the count. With an empty `buf` it returns the count without
/// writing; a too-small non-empty `buf` is `EINVAL`.
pub(crate) fn getgroups(buf: &mut [u32]) -> Result<usize, Errno> {
    // SAFETY: `buf` is writable for `buf.len()` 32-bit gids; the kernel
    // writes at most that many (and none when the size is 0).
    let r = unsafe { arch::syscall2(word::nr::GETGROUPS, buf.len(), buf.as_mut_ptr() as usize) };
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

/// `clock_gettime(2)` as a plain system call (rustix offers it only with its
/// `time` feature; `clock_gettime64` on 32-bit architectures, or the
/// 32-bit-time call before Linux 5.1): nanoseconds of clock `clock`
/// (`CLOCK_REALTIME`, `CLOCK_BOOTTIME`, …) as an `i128`, so sums and
/// differences cannot overflow.
pub(crate) fn clock_gettime_ns(clock: u32) -> Result<i128, Errno> {
    let mut ts = g::__kernel_timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a writable `struct __kernel_timespec`, the layout the
    // 64-bit-time clock_gettime writes.
    let r = unsafe {
        arch::syscall2(
            word::nr::CLOCK_GETTIME,
            clock as usize,
            &mut ts as *mut g::__kernel_timespec as usize,
        )
    };
    if let (Err(Errno::NOSYS), Some(time32)) = (check(r), word::nr::CLOCK_GETTIME_TIME32) {
        let mut old = g::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `old` is a writable `struct timespec`, the layout the
        // 32-bit-time clock_gettime writes.
        let r = unsafe {
            arch::syscall2(
                time32,
                clock as usize,
                &mut old as *mut g::timespec as usize,
            )
        };
        check(r)?;
        return Ok(i128::from(old.tv_sec) * 1_000_000_000 + i128::from(old.tv_nsec));
    }
    check(r)?;
    Ok(i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec))
}
