//! [`Message`]: a notification built on the stack, field by field.

use core::fmt;
use core::time::Duration;

use rustix::io::Errno;
use rustix::process::Pid;

use crate::error::{Error, Op, Result};
use crate::num::Decimal;

/// The most bytes of one notification: [`Message`]'s capacity, and the
/// receive buffer [`NotifySocket`](crate::notify::NotifySocket) users should
/// pass. It is systemd's own limit (`PIPE_BUF`); systemd ignores longer
/// datagrams.
pub const MESSAGE_MAX: usize = 4096;

/// A notification for the service manager, built field by field in a
/// [`MESSAGE_MAX`]-byte buffer on the stack.
///
/// Each method appends one `KEY=value` line (`\n`-separated, as
/// `sd_notify(3)` wants) and returns the message for chaining with `?`.
/// Values are checked: a newline inside would start a field of its own (a
/// `STATUS=` text from outside must not be able to add `MAINPID=`), so it
/// is refused, as is a NUL byte. A failed append leaves the message as it
/// was. Send it with [`Env::notify`](crate::notify::Env::notify) (or, with
/// `std`, `notify::notify`).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sd_notify(3)`](https://man7.org/linux/man-pages/man3/sd_notify.3.html)
/// (the fields),
/// [freedesktop.org](https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html)
///
/// # Examples
///
/// ```
/// use daemonry::notify::Message;
/// let mut m = Message::new();
/// m.ready()?.status("Serving on :8080")?;
/// assert_eq!(m.as_bytes(), b"READY=1\nSTATUS=Serving on :8080");
/// assert!(Message::new().status("two\nlines").is_err());
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone)]
pub struct Message {
    buf: [u8; MESSAGE_MAX],
    len: usize,
}

impl Message {
    /// An empty message.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::Message;
    /// let mut m = Message::new();
    /// assert!(m.is_empty());
    /// m.ready()?;
    /// assert_eq!((m.as_bytes(), m.len()), (&b"READY=1"[..], 7));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn new() -> Message {
        Message {
            buf: [0; MESSAGE_MAX],
            len: 0,
        }
    }

    /// Appends `key=value`.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    ///   (operation [`Op::NotifyMessage`], with the offending key or value)
    ///   for an empty key, a key holding `=`, or a key or value holding a
    ///   newline or a NUL byte.
    /// - [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall)
    ///   when the field does not fit in [`MESSAGE_MAX`] bytes.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::Message;
    /// let mut m = Message::new();
    /// m.field("X_CUSTOM", "1")?;
    /// assert_eq!(m.as_bytes(), b"X_CUSTOM=1");
    /// assert!(m.field("A=B", "1").is_err());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn field(
        &mut self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<&mut Message> {
        let (key, value) = (key.as_ref(), value.as_ref());
        let bad = |b: &[u8]| Error::invalid(Op::NotifyMessage).with_input(b);
        if key.is_empty() || key.iter().any(|&b| matches!(b, b'=' | b'\n' | 0)) {
            return Err(bad(key));
        }
        if value.iter().any(|&b| matches!(b, b'\n' | 0)) {
            return Err(bad(value));
        }
        let sep = usize::from(self.len != 0);
        let end = self.len + sep + key.len() + 1 + value.len();
        let Some(dst) = self.buf.get_mut(self.len..end) else {
            return Err(Error::buffer_too_small(Op::NotifyMessage, end));
        };
        let (nl, rest) = dst.split_at_mut(sep);
        nl.fill(b'\n');
        let (k, rest) = rest.split_at_mut(key.len());
        k.copy_from_slice(key);
        let (eq, v) = rest.split_at_mut(1);
        eq.fill(b'=');
        v.copy_from_slice(value);
        self.len = end;
        Ok(self)
    }

    fn number(&mut self, key: &str, n: u64) -> Result<&mut Message> {
        self.field(key, Decimal::new(n).as_bytes())
    }

    /// Appends `READY=1`: start-up is complete.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when
    /// the message is full.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = daemonry::notify::Message::new();
    /// assert_eq!(m.ready()?.as_bytes(), b"READY=1");
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn ready(&mut self) -> Result<&mut Message> {
        self.field("READY", "1")
    }

    /// `clock_gettime(2)`—Appends `RELOADING=1` and `MONOTONIC_USEC=` with
    /// the current `CLOCK_MONOTONIC` time in microseconds, as
    /// `Type=notify-reload` services must.
    ///
    /// Send [`ready`](Message::ready) when the reload is done.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when
    ///   the message is full.
    /// - [`ErrorKind::Os`](crate::ErrorKind::Os) if the clock cannot be read
    ///   (not on Linux as it is).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = daemonry::notify::Message::new();
    /// m.reloading()?;
    /// assert!(m.as_bytes().starts_with(b"RELOADING=1\nMONOTONIC_USEC="));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn reloading(&mut self) -> Result<&mut Message> {
        // The crate's raw clock_gettime: rustix's goes through the vDSO,
        // whose first use may read the auxiliary vector into a heap buffer.
        let ns = crate::sys::clock_gettime_ns(linux_raw_sys::general::CLOCK_MONOTONIC)
            .map_err(|e| Error::os(Op::NotifyMessage, e))?;
        let us = u64::try_from(ns / 1000).unwrap_or(0);
        let before = self.len;
        self.field("RELOADING", "1")?;
        if let Err(e) = self.number("MONOTONIC_USEC", us) {
            self.len = before;
            return Err(e);
        }
        Ok(self)
    }

    /// Appends `STOPPING=1`: the service is shutting down.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when
    /// the message is full.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = daemonry::notify::Message::new();
    /// assert_eq!(m.stopping()?.as_bytes(), b"STOPPING=1");
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn stopping(&mut self) -> Result<&mut Message> {
        self.field("STOPPING", "1")
    }

    /// Appends `STATUS=text`: a one-line status for `systemctl status`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when the
    /// text holds a newline or a NUL byte;
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when
    /// it does not fit.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = daemonry::notify::Message::new();
    /// assert_eq!(m.status("Idle")?.as_bytes(), b"STATUS=Idle");
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn status(&mut self, text: impl AsRef<[u8]>) -> Result<&mut Message> {
        self.field("STATUS", text)
    }

    /// Appends `MAINPID=pid`: the service's main process is `pid` (after
    /// it forked, or when a helper sends on its behalf).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when
    /// the message is full.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::Pid;
    /// let mut m = daemonry::notify::Message::new();
    /// m.main_pid(Pid::from_raw(4242).unwrap())?;
    /// assert_eq!(m.as_bytes(), b"MAINPID=4242");
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn main_pid(&mut self, pid: Pid) -> Result<&mut Message> {
        self.number("MAINPID", pid.as_raw_nonzero().get().unsigned_abs().into())
    }

    /// Appends `WATCHDOG=1`: the keep-alive ping for `WatchdogSec=`; see
    /// [`Env::watchdog_interval`](crate::notify::Env::watchdog_interval).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when
    /// the message is full.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = daemonry::notify::Message::new();
    /// assert_eq!(m.watchdog()?.as_bytes(), b"WATCHDOG=1");
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn watchdog(&mut self) -> Result<&mut Message> {
        self.field("WATCHDOG", "1")
    }

    /// Appends `WATCHDOG_USEC=`: changes the watchdog timeout to `timeout`
    /// (microseconds, saturating).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when
    /// the message is full.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// let mut m = daemonry::notify::Message::new();
    /// m.watchdog_usec(Duration::from_secs(20))?;
    /// assert_eq!(m.as_bytes(), b"WATCHDOG_USEC=20000000");
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn watchdog_usec(&mut self, timeout: Duration) -> Result<&mut Message> {
        self.number("WATCHDOG_USEC", micros(timeout))
    }

    /// Appends `EXTEND_TIMEOUT_USEC=`: asks for `extra` more time (from
    /// now) to finish starting, reloading or stopping (microseconds,
    /// saturating).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when
    /// the message is full.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// let mut m = daemonry::notify::Message::new();
    /// m.extend_timeout(Duration::from_millis(1500))?;
    /// assert_eq!(m.as_bytes(), b"EXTEND_TIMEOUT_USEC=1500000");
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn extend_timeout(&mut self, extra: Duration) -> Result<&mut Message> {
        self.number("EXTEND_TIMEOUT_USEC", micros(extra))
    }

    /// Appends `ERRNO=n`: the service failed with this errno.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when
    /// the message is full.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::Errno;
    /// let mut m = daemonry::notify::Message::new();
    /// assert_eq!(m.errno(Errno::NOENT)?.as_bytes(), b"ERRNO=2");
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn errno(&mut self, errno: Errno) -> Result<&mut Message> {
        self.number("ERRNO", errno.raw_os_error().unsigned_abs().into())
    }

    /// The message's bytes: exactly the datagram that will be sent
    /// ([`new`](Self::new) shows it in its example).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// The message's length in bytes ([`new`](Self::new)'s example).
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether no field was appended ([`new`](Self::new)'s example).
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Whole microseconds of `d`, saturating at `u64::MAX`.
fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Default for Message {
    fn default() -> Message {
        Message::new()
    }
}

impl AsRef<[u8]> for Message {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Message(\"")?;
        crate::name::fmt_bytes(f, self.as_bytes(), false)?;
        f.write_str("\")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn builds_and_refuses() {
        let mut m = Message::new();
        m.ready().unwrap().status("a=b").unwrap();
        assert_eq!(m.as_bytes(), b"READY=1\nSTATUS=a=b");
        let before = m.len();
        for (k, v) in [("", "1"), ("A\n", "1"), ("A", "x\ny"), ("A", "\0")] {
            assert_eq!(m.field(k, v).unwrap_err().kind(), ErrorKind::InvalidInput);
        }
        assert_eq!(m.len(), before);
        let big = [b'x'; MESSAGE_MAX];
        let e = m.status(big).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BufferTooSmall);
        assert_eq!(m.len(), before);
        // Exactly full is fine.
        let mut full = Message::new();
        full.field("K", &big[..MESSAGE_MAX - 2]).unwrap();
        assert_eq!(full.len(), MESSAGE_MAX);
        assert!(full.ready().is_err());
    }

    #[test]
    fn reloading_and_numbers() {
        let mut m = Message::new();
        m.reloading().unwrap();
        let f = crate::notify::parse_message(m.as_bytes()).unwrap();
        assert!(f.is_reloading());
        assert!(crate::num::parse_u64(f.get("MONOTONIC_USEC").unwrap()).unwrap() > 0);
        let mut m = Message::new();
        m.extend_timeout(Duration::MAX).unwrap();
        assert_eq!(m.as_bytes(), b"EXTEND_TIMEOUT_USEC=18446744073709551615");
    }
}
