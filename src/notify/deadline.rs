//! A point on `CLOCK_MONOTONIC` and `poll(2)` with the time left until it.

use core::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fd::AsFd;
use rustix::io::Errno;

/// When a wait ends, in `CLOCK_MONOTONIC` nanoseconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    at_ns: i128,
}

/// `CLOCK_MONOTONIC` now. The crate's raw `clock_gettime`: rustix's goes
/// through the vDSO, whose first use may read the auxiliary vector into a
/// heap buffer.
fn now_ns() -> Result<i128, Errno> {
    crate::sys::clock_gettime_ns(linux_raw_sys::general::CLOCK_MONOTONIC)
}

impl Deadline {
    /// `timeout` from now.
    pub(crate) fn after(timeout: Duration) -> Result<Deadline, Errno> {
        Ok(Deadline {
            at_ns: now_ns()? + i128::try_from(timeout.as_nanos()).unwrap_or(i128::MAX / 2),
        })
    }

    /// The time left, `None` once it has passed.
    fn left(&self) -> Result<Option<Timespec>, Errno> {
        let left = self.at_ns - now_ns()?;
        if left <= 0 {
            return Ok(None);
        }
        let secs = i64::try_from(left / 1_000_000_000).unwrap_or(i64::MAX);
        Ok(Some(Timespec {
            tv_sec: secs,
            tv_nsec: (left % 1_000_000_000) as _,
        }))
    }

    /// Waits until `fd` reports one of `events` (`Ok(true)`) or the
    /// deadline passes (`Ok(false)`); restarts after signals.
    pub(crate) fn poll(&self, fd: impl AsFd, events: PollFlags) -> Result<bool, Errno> {
        loop {
            let Some(left) = self.left()? else {
                return Ok(false);
            };
            let mut fds = [PollFd::new(&fd, events)];
            match poll(&mut fds, Some(&left)) {
                Ok(0) => continue, // timed out: `left` says so next time round
                Ok(_) => return Ok(true),
                Err(Errno::INTR) => continue,
                Err(e) => return Err(e),
            }
        }
    }
}
