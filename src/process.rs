//! Process identity and life cycle: `fork`, leaving at once, sessions, the
//! umask (with a strict octal parser), the parent-death signal, exit codes
//! and the kernel's name (celery's `set_pdeathsig`, `pyimplementation`,
//! `EX_*` and the umask handling of `detached`); and what an init needs
//! around its children: [`execve`]/[`execvpe`] over [`CStrArray`]s,
//! [`wait_for`] and [`reap_zombies`], process groups and the terminal's
//! foreground group ([`setpgid`], [`tcsetpgrp`]) and the child-subreaper
//! flag ([`set_child_subreaper`]).
//!
//! # Safety
//!
//! With `std`, [`fork_unchecked`] calls libc's own `fork()` (libc is always
//! linked when std is), declared here by its C signature `pid_t
//! fork(void)`; without `std` it uses the raw clone in `crate::sys`. Both
//! are `unsafe fn`s whose contract [`fork`] and [`fork_unchecked`] pass on
//! to their callers in their `# Safety` sections.

#![allow(unsafe_code)]

use crate::error::Op;
use core::fmt;

use rustix::fs::Mode;
use rustix::io::Errno;
use rustix::process::{Pid, Signal};

use crate::error::{Context, Error, Result};

// Issue 7 (the daemonry-init container init): exec, waiting/reaping, process
// groups and the child-subreaper flag, one file per syscall family.
mod exec;
mod group;
mod threads;
mod wait;

pub use exec::{CStrArray, CStrArrayBuf, CStrArrayIter, DEFAULT_PATH, execve, execvpe};
pub use group::{getpgrp, is_child_subreaper, set_child_subreaper, setpgid, tcgetpgrp, tcsetpgrp};
pub use threads::SingleThreaded;
pub(crate) use threads::check_for as require_single_thread;
pub use wait::{ChildExit, ReapZombies, reap_zombies, wait_for};

/// Successful termination (`EX_OK` from `<sysexits.h>`).
pub const EX_OK: i32 = 0;
/// Generic failure.
pub const EX_FAILURE: i32 = 1;
/// Command-line usage error (`EX_USAGE`).
pub const EX_USAGE: i32 = 64;
/// A service is unavailable (`EX_UNAVAILABLE`).
pub const EX_UNAVAILABLE: i32 = 69;
/// A file could not be created (`EX_CANTCREAT`); celery and daemonry exit
/// with it when the pidfile is locked.
pub const EX_CANTCREAT: i32 = 73;

/// Which side of a [`fork`] we are on.
///
/// Not `#[non_exhaustive]`: fork has exactly these two outcomes, and a
/// `match` should not need a wildcard arm.
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Fork {
    /// We are the new child process.
    Child,
    /// We are the parent; this is the child's pid.
    Parent(Pid),
}

#[cfg(feature = "std")]
mod libc_fork {
    unsafe extern "C" {
        /// libc's `pid_t fork(void)`.
        pub(super) fn fork() -> i32;
    }
}

/// `fork(2)`—Creates a child process, after checking that this process
/// runs a single thread.
///
/// With `std`, this is libc's own `fork()`: its atfork handlers run and the
/// child's libc state (cached thread id, robust-mutex list, malloc and
/// stdio locks) is refreshed. Without `std`, it is a raw
/// `clone(SIGCHLD)`, which libc (if one is linked) does not learn about.
/// The single-thread check is one `unshare(CLONE_THREAD)` call (which
/// changes nothing and fails with `EINVAL` when other threads exist),
/// falling back to `/proc/self/status` where seccomp refuses `unshare`;
/// use [`fork_unchecked`] to skip it.
///
/// Daemonize (and fork in general) before starting threads or an async
/// runtime: only the calling thread is copied, so a lock another thread
/// held stays locked forever in the child.
///
/// # Errors
///
/// - [`ErrorKind::MultiThreaded`](crate::ErrorKind::MultiThreaded) when the
///   process has more than one thread.
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) when `fork` fails (`EAGAIN`,
///   `ENOMEM`), or when the `/proc/self/status` fallback cannot be read.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics of its own.
/// With `std`, libc's `fork` takes malloc's and stdio's locks, which glibc
/// resets in every fork child, so it is fine in a child; do not call it
/// from a signal handler (POSIX dropped `fork` from the async-signal-safe
/// list for that reason).
///
/// # Safety
///
/// Both processes continue from here with copies of all memory. The caller
/// must make sure that is sound:
///
/// - resources that must have one owner (a lock file's lock, a database
///   transaction, buffered output that would be flushed twice) are used by
///   only one side; leave the child with [`exit_immediately`], never with
///   `std::process::exit` (which runs atexit handlers and flushes stdio
///   buffers a second time);
/// - without `std`, a raw clone is used: the child must not rely on libc
///   state that `fork` refreshes (atfork handlers, libc's cached thread id
///   in `pthread` functions, robust mutexes). It may call this crate's
///   core, make system calls, exec or exit, and (since the parent was
///   single-threaded, so no lock can be held by a vanished thread) use
///   memory allocation.
///
/// # References
///
/// [`fork(2)`](https://man7.org/linux/man-pages/man2/fork.2.html),
/// [`signal-safety(7)`](https://man7.org/linux/man-pages/man7/signal-safety.7.html)
///
/// # Examples
///
/// ```
/// use daemonry::{fork, Fork, exit_immediately};
/// # if false {
/// // SAFETY: the child only exits.
/// match unsafe { fork()? } {
///     Fork::Child => exit_immediately(0),
///     Fork::Parent(pid) => {
///         let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
///     }
/// }
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub unsafe fn fork() -> Result<Fork> {
    crate::process::require_single_thread(Op::Fork)?;
    // SAFETY: the process is single-threaded; the caller upholds the rest
    // of the contract.
    unsafe { fork_unchecked() }
}

/// `fork(2)`—[`fork`] without the single-thread check.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) when `fork` fails (`EAGAIN`,
/// `ENOMEM`).
///
/// # Async-signal safety
///
/// As [`fork`]: safe between fork and exec; with `std` not from a signal
/// handler.
///
/// # Safety
///
/// As [`fork`]; and when the process may run other threads, the child
/// must do only async-signal-safe work (signal-safety(7): system calls,
/// this crate's core) until it execs or exits, because locks held by the
/// other threads (malloc's included, with a raw clone) stay locked.
///
/// # References
///
/// [`fork(2)`](https://man7.org/linux/man-pages/man2/fork.2.html)
///
/// # Examples
///
/// ```
/// # if false {
/// // SAFETY: the child only calls exit_group.
/// if let daemonry::Fork::Child = unsafe { daemonry::process::fork_unchecked()? } {
///     daemonry::exit_immediately(3);
/// }
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub unsafe fn fork_unchecked() -> Result<Fork> {
    #[cfg(feature = "std")]
    {
        // SAFETY: libc's fork has no preconditions of its own; the caller
        // upholds what the child may do.
        let r = unsafe { libc_fork::fork() };
        match r {
            0 => Ok(Fork::Child),
            r if r > 0 => Pid::from_raw(r)
                .map(Fork::Parent)
                .ok_or(Error::os(Op::Fork, Errno::INVAL)),
            _ => {
                let errno = std::io::Error::last_os_error()
                    .raw_os_error()
                    .map_or(Errno::AGAIN, Errno::from_raw_os_error);
                Err(Error::os(Op::Fork, errno))
            }
        }
    }
    #[cfg(not(feature = "std"))]
    {
        // SAFETY: the caller upholds the contract of a raw fork.
        match unsafe { crate::sys::fork() }.ctx(Op::Fork)? {
            None => Ok(Fork::Child),
            Some(pid) => Ok(Fork::Parent(pid)),
        }
    }
}

/// `exit_group(2)`—Ends the whole process now with `code`, running no
/// destructors, atexit handlers or stdio flushes.
///
/// The right way out of a forked child or a daemon's intermediate process
/// (libc's `_exit`); `std::process::exit` would flush stdio buffers copied
/// from the parent a second time.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`exit_group(2)`](https://man7.org/linux/man-pages/man2/exit_group.2.html),
/// [`_exit(2)`](https://man7.org/linux/man-pages/man2/_exit.2.html)
///
/// # Examples
///
/// ```
/// # if false {
/// daemonry::exit_immediately(daemonry::EX_OK);
/// # }
/// ```
#[doc(alias = "_exit")]
#[doc(alias = "exit_group")]
pub fn exit_immediately(code: i32) -> ! {
    crate::sys::exit_group(code)
}

/// `setsid(2)`—Starts a new session and process group with this process
/// as leader, detached from the controlling terminal; returns the session
/// id (our pid).
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) with `EPERM` when this process
/// already leads a process group (fork first).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`setsid(2)`](https://man7.org/linux/man-pages/man2/setsid.2.html)
///
/// # Examples
///
/// ```no_run
/// // In a forked child (a group leader gets EPERM):
/// let sid = daemonry::setsid()?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn setsid() -> Result<Pid> {
    rustix::process::setsid().ctx(Op::Setsid)
}

/// `umask(2)`—Sets the file-mode creation mask and returns the previous
/// one.
///
/// Bits above 0o777 are ignored by the kernel. Use [`parse_umask`] for
/// user input.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`umask(2)`](https://man7.org/linux/man-pages/man2/umask.2.html)
///
/// # Examples
///
/// ```
/// use daemonry::{umask, Mode};
/// let old = umask(Mode::from_raw_mode(0o027));
/// assert_eq!(umask(old), Mode::from_raw_mode(0o027));
/// ```
pub fn umask(mask: Mode) -> Mode {
    rustix::process::umask(mask)
}

/// Parses a umask strictly as octal: `"022"`, `"0o022"` and `"22"` all
/// mean 0o022.
///
/// A deliberate break from celery, which reads a value without a leading
/// `0` as decimal (so its `"22"` is 0o26). Accepted: one or more octal
/// digits, optionally after `0o`/`0O`, with a value of at most 0o777. No
/// sign and no whitespace.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) naming the
/// input: context `"parse_umask: not an octal number"` or
/// `"parse_umask: greater than 0o777"`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`umask(2)`](https://man7.org/linux/man-pages/man2/umask.2.html)
///
/// # Examples
///
/// ```
/// use daemonry::{parse_umask, Mode};
/// assert_eq!(parse_umask("022")?, Mode::from_raw_mode(0o022));
/// assert_eq!(parse_umask("0o022")?, Mode::from_raw_mode(0o022));
/// assert_eq!(parse_umask("22")?, Mode::from_raw_mode(0o022));
/// assert!(parse_umask("8").is_err());
/// assert!(parse_umask("0o1000").is_err());
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_umask(s: &str) -> Result<Mode> {
    parse_umask_bytes(s.as_bytes())
}

/// [`parse_umask`] over bytes: the pure parser the fuzz target drives.
///
/// # Errors
///
/// As [`parse_umask`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// assert_eq!(daemonry::process::parse_umask_bytes(b"0")?.bits(), 0);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_umask_bytes(s: &[u8]) -> Result<Mode> {
    let digits = match s {
        [b'0', b'o' | b'O', rest @ ..] => rest,
        _ => s,
    };
    if digits.is_empty() || !digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return Err(Error::invalid(Op::ParseUmask).with_input(s));
    }
    let mut v: u32 = 0;
    for &d in digits {
        v = v * 8 + u32::from(d - b'0');
        if v > 0o777 {
            return Err(Error::invalid(Op::ParseUmask).with_input(s));
        }
    }
    Ok(Mode::from_raw_mode(v))
}

/// `prctl(PR_SET_PDEATHSIG)`—Asks the kernel to send `signal` to this
/// process when its parent dies; `None` clears it.
///
/// celery's `set_pdeathsig` ignores its argument and always asks for
/// SIGKILL; this one honours it. The parent is recorded with `getppid`
/// before the `prctl` and checked after it: if it changed, the parent died
/// in between, the signal will never come, and an error says so. A parent
/// that died *before* the call cannot be detected without knowing its pid:
/// use [`set_pdeathsig_for`] with the pid recorded before `fork`.
///
/// Kernel rules to know (prctl(2)): the signal follows the parent
/// *thread* that forked us, not the whole parent process; it is cleared in
/// fork children, on `execve` of a set-user-ID/set-group-ID or
/// capability-granting binary, and by **any change of euid, egid, fsuid or
/// fsgid** — so call it after `drop_privileges`, never before.
///
/// # Errors
///
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) from `prctl`.
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) with `ESRCH` and context
///   `"set_pdeathsig: the parent had already exited"` when the parent died
///   during the call (the setting stays in place, watching the new
///   parent).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html) (`PR_SET_PDEATHSIG`)
///
/// # Examples
///
/// ```no_run
/// use daemonry::{set_pdeathsig, signal::Signal};
/// // In a pool child: die with the master.
/// set_pdeathsig(Some(Signal::TERM))?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "PR_SET_PDEATHSIG")]
pub fn set_pdeathsig(signal: Option<Signal>) -> Result<()> {
    let before = rustix::process::getppid();
    rustix::process::set_parent_process_death_signal(signal).ctx(Op::SetPdeathsig)?;
    if signal.is_some() && rustix::process::getppid() != before {
        return Err(parent_gone());
    }
    Ok(())
}

fn parent_gone() -> Error {
    Error::os(Op::SetPdeathsig, Errno::SRCH)
}

/// `prctl(PR_SET_PDEATHSIG)`—[`set_pdeathsig`] for a child that knows its
/// parent's pid: reports a parent that died at any time before the check.
///
/// Record `getpid()` in the parent before forking and pass it here in the
/// child. After the `prctl`, `getppid()` must still be `parent`; otherwise
/// the parent is gone (we were re-parented to a subreaper or init) and the
/// signal would never be sent for it.
///
/// # Errors
///
/// As [`set_pdeathsig`]; `ESRCH` whenever `getppid()` is not `parent`
/// after the `prctl` (with `Some`).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html) (`PR_SET_PDEATHSIG`)
///
/// # Examples
///
/// ```no_run
/// use daemonry::{fork, Fork, process::set_pdeathsig_for, signal::Signal};
/// let parent = rustix::process::getpid();
/// // SAFETY: the child only uses async-signal-safe calls before exit.
/// if let Fork::Child = unsafe { fork()? } {
///     if set_pdeathsig_for(Some(Signal::TERM), parent).is_err() {
///         daemonry::exit_immediately(1); // the parent is already gone
///     }
///     daemonry::exit_immediately(0);
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn set_pdeathsig_for(signal: Option<Signal>, parent: Pid) -> Result<()> {
    rustix::process::set_parent_process_death_signal(signal).ctx(Op::SetPdeathsig)?;
    if signal.is_some() && rustix::process::getppid() != Some(parent) {
        return Err(parent_gone());
    }
    Ok(())
}

/// `prctl(PR_GET_PDEATHSIG)`—The parent-death signal currently set, if
/// any.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) from `prctl`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html) (`PR_GET_PDEATHSIG`)
///
/// # Examples
///
/// ```
/// if let Some(sig) = daemonry::process::pdeathsig()? {
///     println!("we get {sig:?} when our parent dies");
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn pdeathsig() -> Result<Option<Signal>> {
    rustix::process::parent_process_death_signal().ctx(Op::GetPdeathsig)
}

/// The kernel's name, release and machine, from `uname(2)`; what
/// [`implementation`] returns. `Display` writes `"Linux 6.1.0 x86_64"`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
pub struct Implementation(rustix::system::Uname);

impl Implementation {
    /// The kernel's name (`"Linux"`).
    pub fn sysname(&self) -> &core::ffi::CStr {
        self.0.sysname()
    }

    /// The kernel release (`"6.1.0-13-amd64"`).
    pub fn release(&self) -> &core::ffi::CStr {
        self.0.release()
    }

    /// The machine (`"x86_64"`).
    pub fn machine(&self) -> &core::ffi::CStr {
        self.0.machine()
    }
}

/// Writes C-string bytes, replacing invalid UTF-8 with U+FFFD.
fn write_lossy(f: &mut fmt::Formatter<'_>, s: &core::ffi::CStr) -> fmt::Result {
    for chunk in s.to_bytes().utf8_chunks() {
        f.write_str(chunk.valid())?;
        if !chunk.invalid().is_empty() {
            f.write_str("\u{FFFD}")?;
        }
    }
    Ok(())
}

impl fmt::Display for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lossy(f, self.sysname())?;
        f.write_str(" ")?;
        write_lossy(f, self.release())?;
        f.write_str(" ")?;
        write_lossy(f, self.machine())
    }
}

impl fmt::Debug for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Implementation")
            .field(&format_args!("{self}"))
            .finish()
    }
}

/// `uname(2)`—Names the platform: `"Linux <release> <machine>"`.
///
/// celery's `pyimplementation` names the Python runtime ("CPython"); a
/// Rust program has no such choice, so this names the kernel instead.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`uname(2)`](https://man7.org/linux/man-pages/man2/uname.2.html)
///
/// # Examples
///
/// ```
/// let s = daemonry::implementation().to_string();
/// assert!(s.starts_with("Linux "));
/// ```
#[doc(alias = "pyimplementation")]
pub fn implementation() -> Implementation {
    Implementation(rustix::system::uname())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umask_strings() {
        for (s, v) in [
            ("022", 0o022),
            ("0o022", 0o022),
            ("0O22", 0o022),
            ("22", 0o022),
            ("0", 0),
            ("777", 0o777),
            ("0777", 0o777),
            ("0000000777", 0o777),
        ] {
            assert_eq!(parse_umask(s).unwrap(), Mode::from_raw_mode(v), "{s}");
        }
        for s in [
            "", "8", "0o1000", "-1", "abc", "0o", "0x22", " 22", "22 ", "+22", "1000",
        ] {
            let e = parse_umask(s).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{s}");
            assert_eq!(e.input().unwrap().as_bytes(), s.as_bytes());
        }
    }
}
