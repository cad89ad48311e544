//! The one-shot alarm (celery's `arm_alarm` and `reset_alarm`):
//! `setitimer(ITIMER_REAL)`, which delivers `SIGALRM`.

use core::time::Duration;

use linux_raw_sys::general as g;

use super::kernel::{self, Itimerval, Timeval};
use crate::error::{Context, Error, Op, Result};

fn to_duration(tv: &Timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let usecs = u64::try_from(tv.tv_usec).unwrap_or(0);
    Duration::new(secs, 0).saturating_add(Duration::from_micros(usecs))
}

/// Sets the real-time timer to fire once after `value`; returns what was
/// left of the previous one.
fn set_timer(value: Timeval) -> Result<Duration> {
    let new = Itimerval {
        it_interval: Timeval::default(),
        it_value: value,
    };
    let old = kernel::itimer(g::ITIMER_REAL, &new).ctx(Op::Setitimer)?;
    Ok(to_duration(&old.it_value))
}

/// `setitimer(ITIMER_REAL)`—Delivers SIGALRM once, after `after` (celery's
/// `signals.arm_alarm`); returns the time that was left on the previous
/// alarm (zero if none).
///
/// Fractions of a second are honoured to the microsecond; a non-zero
/// duration below one microsecond is rounded up (never to "disarm"). A zero
/// duration disarms, as in celery. One shot: no interval. The timer is
/// per process and shared with `alarm(2)`; it is cleared in `fork`
/// children and kept across `execve`.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) if `after`
/// does not fit the kernel's `timeval` (more than `i64::MAX` seconds).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`setitimer(2)`](https://man7.org/linux/man-pages/man2/setitimer.2.html)
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # if false {
/// daemonry::signal::arm_alarm(Duration::from_millis(1500))?;
/// # }
/// let left = daemonry::signal::reset_alarm()?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "alarm")]
pub fn arm_alarm(after: Duration) -> Result<Duration> {
    let too_long = || Error::invalid(Op::Setitimer).with_input(b"duration above i64::MAX seconds");
    let mut tv_sec = i64::try_from(after.as_secs()).map_err(|_| too_long())?;
    let mut tv_usec = i64::from(after.subsec_nanos().div_ceil(1000));
    if tv_usec == 1_000_000 {
        tv_sec = tv_sec.checked_add(1).ok_or_else(too_long)?;
        tv_usec = 0;
    }
    set_timer(Timeval { tv_sec, tv_usec })
}

/// `setitimer(ITIMER_REAL)` with zero—Cancels the alarm and returns the
/// time that was left (zero if none was armed); celery's
/// `signals.reset_alarm`.
///
/// # Errors
///
/// [`ErrorKind::Os`](crate::ErrorKind::Os) if the kernel refuses (not
/// expected).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`setitimer(2)`](https://man7.org/linux/man-pages/man2/setitimer.2.html)
///
/// # Examples
///
/// ```
/// assert_eq!(daemonry::signal::reset_alarm()?, std::time::Duration::ZERO);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn reset_alarm() -> Result<Duration> {
    set_timer(Timeval::default())
}
