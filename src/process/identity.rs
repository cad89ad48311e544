//! Process identity: the session, the umask (with a strict octal parser),
//! the parent-death signal and the kernel's name (celery's
//! `set_pdeathsig`, `pyimplementation` and the umask handling of
//! `detached`).

use core::fmt;

use rustix::fs::Mode;
use rustix::io::Errno;
use rustix::process::Pid;

use crate::error::{Context, Error, Op, Result};
use crate::signal::Signal;

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
/// Takes text or bytes (`&str`, `&[u8]`, …). A deliberate break from
/// celery, which reads a value without a leading `0` as decimal (so its
/// `"22"` is 0o26). Accepted: one or more octal digits, optionally after
/// `0o`/`0O`, with a value of at most 0o777. No sign and no whitespace.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) of
/// [`Op::ParseUmask`], naming the input: not an octal number, or greater
/// than 0o777.
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
/// assert_eq!(parse_umask(b"22")?, Mode::from_raw_mode(0o022));
/// assert!(parse_umask("8").is_err());
/// assert!(parse_umask("0o1000").is_err());
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_umask(s: impl AsRef<[u8]>) -> Result<Mode> {
    parse_octal_mode(s.as_ref())
}

fn parse_octal_mode(s: &[u8]) -> Result<Mode> {
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
/// process when its parent dies; `None` clears it. Returns the parent
/// being watched (`getppid()` after the call).
///
/// celery's `set_pdeathsig` ignores its argument and always asks for
/// SIGKILL; this one honours it, real-time signals included. The parent is
/// recorded with `getppid` before the `prctl` and checked after it: if it
/// changed, the parent died in between, the signal will never come, and an
/// error says so.
///
/// A parent that died *before* the call cannot be detected without knowing
/// its pid: record `getpid()` in the parent before `fork` and compare it
/// with the returned pid in the child (see the example). That comparison,
/// after the `prctl`, is the whole check: if the child was re-parented (to
/// a subreaper or init), its parent is gone and the signal would never be
/// sent for it.
///
/// Kernel rules to know (prctl(2)): the signal follows the parent
/// *thread* that forked us, not the whole parent process; it is cleared in
/// fork children, on `execve` of a set-user-ID/set-group-ID or
/// capability-granting binary, and by **any change of euid, egid, fsuid or
/// fsgid** — so call it after [`drop_privileges`](crate::drop_privileges),
/// never before.
///
/// # Errors
///
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) of [`Op::SetPdeathsig`] from
///   `prctl`.
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) with `ESRCH` of
///   [`Op::SetPdeathsig`] when the parent died during the call (the
///   setting stays in place, watching the new parent).
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
/// use daemonry::{fork, set_pdeathsig, Fork, Signal};
/// let parent = rustix::process::getpid();
/// // SAFETY: the child only makes system calls before it exits.
/// if let Fork::Child = unsafe { fork()? } {
///     // In a pool child: die with the master.
///     match set_pdeathsig(Some(Signal::TERM)) {
///         Ok(watched) if watched == Some(parent) => {}
///         _ => daemonry::exit_immediately(1), // the master is already gone
///     }
///     daemonry::exit_immediately(0);
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "PR_SET_PDEATHSIG")]
#[doc(alias = "set_pdeathsig_for")]
pub fn set_pdeathsig(signal: Option<Signal>) -> Result<Option<Pid>> {
    let before = rustix::process::getppid();
    rustix::process::set_parent_process_death_signal(signal.map(Signal::for_rustix))
        .ctx(Op::SetPdeathsig)?;
    let after = rustix::process::getppid();
    if signal.is_some() && after != before {
        return Err(Error::os(Op::SetPdeathsig, Errno::SRCH));
    }
    Ok(after)
}

/// `prctl(PR_GET_PDEATHSIG)`—The parent-death signal currently set, if
/// any.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) of [`Op::GetPdeathsig`] from
/// `prctl`.
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
///     println!("we get {sig} when our parent dies");
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn pdeathsig() -> Result<Option<Signal>> {
    let sig = rustix::process::parent_process_death_signal().ctx(Op::GetPdeathsig)?;
    Ok(sig.and_then(|s| Signal::from_raw(s.as_raw())))
}

/// The kernel's name, release and machine, from `uname(2)`; what
/// [`implementation`] returns. `Display` writes `"Linux 6.1.0 x86_64"`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// let i = daemonry::implementation();
/// assert_eq!(i.sysname().to_bytes(), b"Linux");
/// ```
pub struct Implementation(rustix::system::Uname);

impl Implementation {
    /// The kernel's name (`"Linux"`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(daemonry::implementation().sysname(), c"Linux");
    /// ```
    pub fn sysname(&self) -> &core::ffi::CStr {
        self.0.sysname()
    }

    /// The kernel release (`"6.1.0-13-amd64"`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!daemonry::implementation().release().is_empty());
    /// ```
    pub fn release(&self) -> &core::ffi::CStr {
        self.0.release()
    }

    /// The kernel's machine (`"x86_64"`): a 32-bit program on a 64-bit
    /// kernel sees the kernel's (`"x86_64"` for i686, `"aarch64"` for armv7).
    ///
    /// # Examples
    ///
    /// ```
    /// let machine = daemonry::implementation().machine().to_str().unwrap().to_owned();
    /// assert!(!machine.is_empty());
    /// ```
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
