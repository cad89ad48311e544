//! Leaving: the `<sysexits.h>` exit codes daemonry and celery use, and
//! [`exit_immediately`].

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
