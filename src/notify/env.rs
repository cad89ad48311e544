//! [`Env`]: where the notify functions read `$NOTIFY_SOCKET`, `$LISTEN_*`
//! and `$WATCHDOG_*`; and [`Env::watchdog_interval`].
//!
//! # Safety
//!
//! With `std`, [`Env::process`] reads libc's `environ` (every `std` program
//! links libc), declared here by its C type `char **environ`. POSIX makes
//! it a null-terminated array of pointers to `NAME=value` strings. The
//! array is walked only inside [`Env::with_var`], whose callback cannot
//! keep what it borrows, so nothing read from it outlives the call. While
//! it runs, the environment cannot change under it: Rust changes the
//! environment only through `std::env::set_var` and `remove_var`, which
//! are `unsafe` precisely because their callers must make sure no other
//! thread reads or writes the environment meanwhile by any means (such as
//! libc's `getenv`, or this read), and nothing in the callbacks here
//! changes the environment.

#![allow(unsafe_code)]

use core::ffi::CStr;
use core::fmt;
use core::time::Duration;

use crate::error::{Error, Op, Result};
use crate::notify::parse::{parse_env_pid, parse_watchdog_usec};
use crate::process::CStrArray;

/// Where the notify functions read their environment variables: an
/// `envp` array the caller owns, or (with `std`) the process environment.
///
/// A `no_std` program owns its own `envp` (what the kernel passed to its
/// entry point, e.g. origin's `origin_main(argc, argv, envp)`), so it wraps
/// it with [`Env::new`]. With `std`, `Env::process` reads the process
/// environment as `std::env::var_os` would, but without copying it to the
/// heap, and the free functions of [`notify`](crate::notify) use it.
/// Either way the variables are read again on every call, so each call sees
/// the environment as it is then.
///
/// The methods—[`notify`](Env::notify),
/// [`notify_barrier`](Env::notify_barrier),
/// [`listen_fds`](Env::listen_fds),
/// [`watchdog_interval`](Env::watchdog_interval)—are the same in both
/// feature states.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::notify::Env;
/// use daemonry::process::CStrArrayBuf;
/// let mut envp = CStrArrayBuf::<4>::new();
/// envp.push(c"WATCHDOG_USEC=2000000")?;
/// let env = Env::new(envp.as_array());
/// assert_eq!(env.watchdog_interval()?, Some(core::time::Duration::from_secs(2)));
/// assert_eq!(env.notify("READY=1")?, false); // no $NOTIFY_SOCKET here
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Env<'a> {
    source: Source<'a>,
}

#[derive(Clone, Copy)]
enum Source<'a> {
    Array(CStrArray<'a>),
    #[cfg(feature = "std")]
    Process,
}

#[cfg(feature = "std")]
unsafe extern "C" {
    /// libc's `char **environ`.
    static mut environ: *const *const core::ffi::c_char;
}

impl<'a> Env<'a> {
    /// The variables of an `envp` array (`NAME=value` strings).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: a plain value.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::Env;
    /// use daemonry::process::CStrArray;
    /// let env = Env::new(CStrArray::EMPTY);
    /// assert!(env.listen_fds()?.is_empty());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn new(envp: CStrArray<'a>) -> Env<'a> {
        Env {
            source: Source::Array(envp),
        }
    }

    /// Calls `f` with the value of `name`, if set. Nothing `f` borrows can
    /// outlive the call (see the module's `# Safety`).
    pub(crate) fn with_var<R>(&self, name: &[u8], f: impl FnOnce(Option<&CStr>) -> R) -> R {
        match self.source {
            Source::Array(envp) => f(envp.env_var(name)),
            #[cfg(feature = "std")]
            Source::Process => {
                // SAFETY: reading the pointer value of libc's `environ`; no
                // thread writes it meanwhile (the module's `# Safety`).
                let ptr = unsafe { (&raw const environ).read() };
                // SAFETY: `environ` is null or a null-terminated array of
                // NUL-terminated strings (POSIX), valid and unchanged while
                // `f` runs and not borrowed beyond it (the module's
                // `# Safety`).
                let envp = unsafe { CStrArray::from_ptr(ptr) };
                f(envp.env_var(name))
            }
        }
    }

    /// `sd_watchdog_enabled(3)`—How often the service manager expects
    /// `WATCHDOG=1`, read from `$WATCHDOG_USEC` (and `$WATCHDOG_PID`).
    ///
    /// `Ok(None)` when `$WATCHDOG_USEC` is not set, or when `$WATCHDOG_PID`
    /// is set to another process's pid (the watchdog is meant for that
    /// process, and this one inherited the variables). Send
    /// [`Message::watchdog`](crate::notify::Message::watchdog) at about half
    /// this interval, as sd_watchdog_enabled(3) advises.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    /// (operation [`Op::WatchdogInterval`], with the value) when
    /// `$WATCHDOG_USEC` is not a number of microseconds above zero (see
    /// [`parse_watchdog_usec`](crate::notify::parse_watchdog_usec)) or
    /// `$WATCHDOG_PID` is not a pid.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`sd_watchdog_enabled(3)`](https://man7.org/linux/man-pages/man3/sd_watchdog_enabled.3.html),
    /// [freedesktop.org](https://www.freedesktop.org/software/systemd/man/latest/sd_watchdog_enabled.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use daemonry::notify::Env;
    /// use daemonry::process::CStrArrayBuf;
    /// let mut envp = CStrArrayBuf::<4>::new();
    /// envp.push(c"WATCHDOG_USEC=500000")?;
    /// envp.push(c"WATCHDOG_PID=1")?; // for pid 1, not for us
    /// assert_eq!(Env::new(envp.as_array()).watchdog_interval()?, None);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "sd_watchdog_enabled")]
    pub fn watchdog_interval(&self) -> Result<Option<Duration>> {
        let interval = self.with_var(b"WATCHDOG_USEC", |v| match v {
            None => Ok(None),
            Some(v) => parse_watchdog_usec(v.to_bytes()).map(Some),
        })?;
        let Some(interval) = interval else {
            return Ok(None);
        };
        let ours = self.with_var(b"WATCHDOG_PID", |v| match v {
            None => Ok(true),
            Some(v) => match parse_env_pid(v.to_bytes()) {
                Some(pid) => Ok(pid == rustix::process::getpid()),
                None => Err(Error::invalid(Op::WatchdogInterval).with_input(v.to_bytes())),
            },
        })?;
        Ok(ours.then_some(interval))
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl Env<'static> {
    /// The process environment, read from libc's `environ` on every call
    /// and never copied.
    ///
    /// It sees what `std::env::var_os` sees, including changes made with
    /// `std::env::set_var`, without allocating. Reading `environ` directly
    /// is sound for the reason libc's `getenv` is: `set_var` and
    /// `remove_var` are `unsafe` because their callers must make sure no
    /// other thread reads the environment meanwhile, by any means.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: a plain value; reading it takes no lock
    /// (unlike `std::env::var_os`).
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::Env;
    /// // Not started by a service manager here: nothing to hand over.
    /// # if std::env::var_os("LISTEN_FDS").is_none() {
    /// assert!(Env::process().listen_fds()?.is_empty());
    /// # }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn process() -> Env<'static> {
        Env {
            source: Source::Process,
        }
    }
}

impl fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            // The count only: an environment may hold secrets.
            Source::Array(envp) => f
                .debug_struct("Env")
                .field("variables", &envp.len())
                .finish(),
            #[cfg(feature = "std")]
            Source::Process => f.write_str("Env(process)"),
        }
    }
}

impl<'a> From<CStrArray<'a>> for Env<'a> {
    fn from(envp: CStrArray<'a>) -> Env<'a> {
        Env::new(envp)
    }
}
