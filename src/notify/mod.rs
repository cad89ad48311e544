//! Readiness and socket hand-over for service managers (systemd, s6,
//! OpenRC's supervise-daemon, and `daemonry start --notify`): the
//! `sd_notify(3)` protocol on both sides, socket activation
//! (`sd_listen_fds(3)`) and the watchdog interval, without libsystemd,
//! without allocation.
//!
//! Modern supervisors do not want a double fork: they start the service in
//! the foreground and want to hear when it is ready, and they may hand it
//! listening sockets.
//!
//! # The service's side
//!
//! - [`Env::notify`] sends a state (`READY=1`, `STATUS=…`, `STOPPING=1`,
//!   `WATCHDOG=1`, …) as one datagram to `$NOTIFY_SOCKET`; build it with
//!   [`Message`], which checks the fields and adds what must go together
//!   (`RELOADING=1` with `MONOTONIC_USEC=`). [`Env::notify_barrier`] waits
//!   until the manager has read everything sent before.
//! - [`Env::listen_fds`] takes over the sockets passed from fd 3 on
//!   (`$LISTEN_PID`, `$LISTEN_FDS`, `$LISTEN_FDNAMES`), marking them
//!   close-on-exec.
//! - [`Env::watchdog_interval`] says how often to send `WATCHDOG=1`.
//!
//! [`Env`] is where the variables come from. A `no_std` program owns its
//! `envp` and wraps it: `Env::new(envp)`. With `std`, `Env::process()`
//! reads the process environment without copying it, and the free
//! functions `notify`, `notify_barrier`, `listen_fds` and
//! `watchdog_interval` here are shorthands for it:
//!
//! ```
//! # #[cfg(feature = "std")] {
//! use daemonry::notify::{self, Message};
//! // Does nothing (returns false) unless a service manager set $NOTIFY_SOCKET.
//! notify::notify(Message::new().ready()?.status("Serving")?)?;
//! # }
//! # Ok::<(), daemonry::Error>(())
//! ```
//!
//! # The supervisor's side
//!
//! [`NotifySocket`] creates a private socket (abstract, or at a path),
//! gives the entry to put in the service's environment
//! ([`NotifySocket::env_entry`]), and
//! [`wait_ready`](NotifySocket::wait_ready)s for `READY=1` from a sender
//! whose kernel-attested pid the caller accepts—usually the service or one
//! of its descendants ([`is_descendant`]). This is what
//! `daemonry start --notify` does.
//!
//! # Parsers
//!
//! Pure functions over `&[u8]`: [`parse_notify_socket`],
//! [`parse_listen_fds`], [`fd_names`], [`parse_watchdog_usec`] and
//! [`parse_message`] (a received datagram's fields).
//!
//! Everything here is safe between fork and exec and allocates nothing,
//! except the `std`-only `unset_listen_env`.

mod control;
mod deadline;
mod env;
mod listen;
mod message;
mod parse;
mod recv;
mod send;

pub use control::{Credentials, parse_control};
pub use env::Env;
pub use listen::{FDNAMES_MAX, ListenFds, ListenFdsIter};
pub use message::{MESSAGE_MAX, Message};
pub use parse::{
    FdNames, Field, Fields, LISTEN_FDS_START, NotifyAddr, fd_names, parse_listen_fds,
    parse_message, parse_notify_socket, parse_watchdog_usec,
};
pub use recv::{Notification, NotifySocket, Readiness, is_descendant};

#[cfg(feature = "std")]
use crate::error::Result;

/// `sd_notify(3)`—Sends `state` to the service manager at
/// `$NOTIFY_SOCKET`, read from the process environment:
/// [`Env::process`]`().`[`notify`](Env::notify)`(state)`.
///
/// `Ok(false)` when `$NOTIFY_SOCKET` is not set.
///
/// # Errors
///
/// As [`Env::notify`]: a malformed `$NOTIFY_SOCKET`, or the send failing.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sd_notify(3)`](https://man7.org/linux/man-pages/man3/sd_notify.3.html)
///
/// # Examples
///
/// ```
/// # if std::env::var_os("NOTIFY_SOCKET").is_none() {
/// assert!(!daemonry::notify::notify("READY=1")?); // no service manager here
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
#[doc(alias = "sd_notify")]
pub fn notify(state: impl AsRef<[u8]>) -> Result<bool> {
    Env::process().notify(state)
}

/// `sd_notify_barrier(3)`—Waits until the service manager has read every
/// notification sent before: [`Env::process`]`().`[`notify_barrier`](Env::notify_barrier)`(timeout)`.
///
/// # Errors
///
/// As [`Env::notify_barrier`]: `ETIMEDOUT`, or the pipe or send failing.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sd_notify_barrier(3)`](https://man7.org/linux/man-pages/man3/sd_notify_barrier.3.html)
///
/// # Examples
///
/// ```
/// # if std::env::var_os("NOTIFY_SOCKET").is_none() {
/// let waited = daemonry::notify::notify_barrier(core::time::Duration::from_secs(5))?;
/// assert!(!waited); // no service manager here
/// # }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
#[doc(alias = "sd_notify_barrier")]
pub fn notify_barrier(timeout: core::time::Duration) -> Result<bool> {
    Env::process().notify_barrier(timeout)
}

/// `sd_listen_fds_with_names(3)`—Takes over the sockets the service
/// manager passed, reading the process environment:
/// [`Env::process`]`().`[`listen_fds`](Env::listen_fds)`()`.
///
/// # Errors
///
/// As [`Env::listen_fds`]: malformed variables, or an announced fd that is
/// not open.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sd_listen_fds(3)`](https://man7.org/linux/man-pages/man3/sd_listen_fds.3.html)
///
/// # Examples
///
/// ```
/// for (fd, name) in &daemonry::notify::listen_fds()? {
///     println!("passed {fd:?} named {:?}", name.map(String::from_utf8_lossy));
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
#[doc(alias = "sd_listen_fds")]
pub fn listen_fds() -> Result<ListenFds> {
    Env::process().listen_fds()
}

/// `sd_watchdog_enabled(3)`—How often the service manager expects
/// `WATCHDOG=1`, from the process environment:
/// [`Env::process`]`().`[`watchdog_interval`](Env::watchdog_interval)`()`.
///
/// # Errors
///
/// As [`Env::watchdog_interval`]: malformed `$WATCHDOG_USEC` or
/// `$WATCHDOG_PID`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sd_watchdog_enabled(3)`](https://man7.org/linux/man-pages/man3/sd_watchdog_enabled.3.html)
///
/// # Examples
///
/// ```
/// if let Some(every) = daemonry::notify::watchdog_interval()? {
///     println!("send WATCHDOG=1 every {:?}", every / 2);
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
#[doc(alias = "sd_watchdog_enabled")]
pub fn watchdog_interval() -> Result<Option<core::time::Duration>> {
    Env::process().watchdog_interval()
}

/// `unsetenv(3)`—Removes `$LISTEN_PID`, `$LISTEN_FDS` and `$LISTEN_FDNAMES`
/// from the process environment, so programs this one starts do not see
/// sockets that are not theirs (`sd_listen_fds(3)`'s `unset_environment`).
///
/// Call it after [`listen_fds`]; a [`ListenFds`] keeps its own copy of the
/// names. It uses `std::env::remove_var`.
///
/// # Async-signal safety
///
/// Not safe after fork: `std::env::remove_var` takes std's environment
/// lock.
///
/// # Safety
///
/// The same as `std::env::remove_var`'s: no other thread may read or write
/// the environment meanwhile by any means other than `std::env`'s
/// functions (libc's `getenv`, [`Env::process`] and code in other
/// languages included). Calling it before starting threads is sound.
///
/// # References
///
/// [`sd_listen_fds(3)`](https://man7.org/linux/man-pages/man3/sd_listen_fds.3.html),
/// [`unsetenv(3)`](https://man7.org/linux/man-pages/man3/unsetenv.3.html)
///
/// # Examples
///
/// ```
/// let fds = daemonry::notify::listen_fds()?;
/// // SAFETY: no other thread is running yet.
/// unsafe { daemonry::notify::unset_listen_env() };
/// assert!(std::env::var_os("LISTEN_FDS").is_none());
/// # drop(fds);
/// # Ok::<(), daemonry::Error>(())
/// ```
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
#[allow(unsafe_code)] // Wraps `std::env::remove_var`, unsafe since edition 2024.
pub unsafe fn unset_listen_env() {
    for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
        // SAFETY: the caller upholds remove_var's contract (above).
        unsafe { std::env::remove_var(name) };
    }
}
