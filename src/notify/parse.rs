//! Pure parsers for the service-manager protocol: the `NOTIFY_SOCKET`
//! address, `LISTEN_FDS`, `LISTEN_FDNAMES`, `WATCHDOG_USEC` and a
//! notification datagram. No I/O, no allocation, no panics.

use core::time::Duration;

use rustix::process::Pid;

use crate::error::{Error, Op, Result};

/// The most bytes of `sun_path` in a `struct sockaddr_un`: a path socket's
/// path, or an abstract name with its leading NUL.
pub(crate) const SUN_PATH_MAX: usize = 108;

/// The first fd a service manager passes (`SD_LISTEN_FDS_START`): fd 3,
/// right after standard input, output and error.
pub const LISTEN_FDS_START: i32 = 3;

/// Where `$NOTIFY_SOCKET` points, as [`parse_notify_socket`] reads it.
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifyAddr<'a> {
    /// A filesystem socket: the absolute path, without a NUL.
    Path(&'a [u8]),
    /// An abstract socket: the name after the `@` (which stands for the
    /// leading NUL byte of the kernel's form).
    Abstract(&'a [u8]),
}

/// Parses a `$NOTIFY_SOCKET` value—An absolute path (`/run/systemd/notify`)
/// or an abstract socket name (`@name`), as `sd_notify(3)` accepts them.
///
/// A path must start with `/`; `@` stands for the NUL byte that starts an
/// abstract name. Both must fit `sun_path` (108 bytes, the abstract name's
/// NUL included) and hold no NUL byte. Newer systemd also accepts
/// `vsock:CID:PORT` for virtual machines; that form is not supported here.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) (operation
/// [`Op::ParseNotifySocket`], with the input) for an empty value, a relative
/// path, any other form, a NUL byte inside, or a name too long for
/// `sun_path`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sd_notify(3)`](https://man7.org/linux/man-pages/man3/sd_notify.3.html),
/// [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html)
///
/// # Examples
///
/// ```
/// use daemonry::notify::{NotifyAddr, parse_notify_socket};
/// assert_eq!(parse_notify_socket(b"/run/systemd/notify")?, NotifyAddr::Path(b"/run/systemd/notify"));
/// assert_eq!(parse_notify_socket(b"@daemonry/1")?, NotifyAddr::Abstract(b"daemonry/1"));
/// assert!(parse_notify_socket(b"relative/path").is_err());
/// assert!(parse_notify_socket(b"vsock:2:1234").is_err());
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_notify_socket(value: &[u8]) -> Result<NotifyAddr<'_>> {
    let bad = || Error::invalid(Op::ParseNotifySocket).with_input(value);
    if value.contains(&0) {
        return Err(bad());
    }
    match value {
        [b'/', ..] if value.len() <= SUN_PATH_MAX => Ok(NotifyAddr::Path(value)),
        // `@` becomes the NUL that starts the name: the same length.
        [b'@', name @ ..] if value.len() <= SUN_PATH_MAX => Ok(NotifyAddr::Abstract(name)),
        _ => Err(bad()),
    }
}

/// Parses a `$LISTEN_FDS` value—The number of sockets passed from fd 3 on.
///
/// Decimal digits only, as `sd_listen_fds(3)` reads them; the fds
/// `3..3 + n` must all be representable, so `n` is at most
/// `i32::MAX - 3`.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) (operation
/// [`Op::ListenFds`], with the input) for anything else.
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
/// use daemonry::notify::parse_listen_fds;
/// assert_eq!(parse_listen_fds(b"2")?, 2);
/// assert_eq!(parse_listen_fds(b"0")?, 0);
/// assert!(parse_listen_fds(b"-1").is_err());
/// assert!(parse_listen_fds(b"2147483645").is_err());
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_listen_fds(value: &[u8]) -> Result<u32> {
    const MAX: u32 = (i32::MAX - LISTEN_FDS_START) as u32;
    match crate::num::parse_u32(value) {
        Some(n) if n <= MAX => Ok(n),
        _ => Err(Error::invalid(Op::ListenFds).with_input(value)),
    }
}

/// Splits a `$LISTEN_FDNAMES` value—The colon-separated names of the passed
/// sockets, in fd order.
///
/// Every name is returned as it is, empty ones included (`"a::b"` is three
/// names). The value is not judged: compare the count with
/// [`parse_listen_fds`]'s.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sd_listen_fds_with_names(3)`](https://man7.org/linux/man-pages/man3/sd_listen_fds_with_names.3.html)
///
/// # Examples
///
/// ```
/// use daemonry::notify::fd_names;
/// let names: Vec<&[u8]> = fd_names(b"http:admin").collect();
/// assert_eq!(names, [&b"http"[..], b"admin"]);
/// assert_eq!(fd_names(b"a::b").count(), 3);
/// ```
pub fn fd_names(value: &[u8]) -> FdNames<'_> {
    FdNames { rest: Some(value) }
}

/// The names of a `$LISTEN_FDNAMES` value, in fd order: what [`fd_names`]
/// returns.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Clone, Debug)]
pub struct FdNames<'a> {
    /// What is left; `None` once the last name was returned.
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for FdNames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match rest.iter().position(|&b| b == b':') {
            Some(i) => {
                self.rest = rest.get(i + 1..);
                rest.get(..i)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

impl core::iter::FusedIterator for FdNames<'_> {}

/// Parses a `$WATCHDOG_USEC` value—The watchdog timeout in microseconds.
///
/// Decimal digits only; zero and `u64::MAX` (systemd's "infinity") are
/// refused, as `sd_watchdog_enabled(3)` refuses them.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) (operation
/// [`Op::WatchdogInterval`], with the input) for anything else.
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
/// use core::time::Duration;
/// use daemonry::notify::parse_watchdog_usec;
/// assert_eq!(parse_watchdog_usec(b"30000000")?, Duration::from_secs(30));
/// assert!(parse_watchdog_usec(b"0").is_err());
/// assert!(parse_watchdog_usec(b"18446744073709551615").is_err());
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_watchdog_usec(value: &[u8]) -> Result<Duration> {
    match crate::num::parse_u64(value) {
        Some(us) if us != 0 && us != u64::MAX => Ok(Duration::from_micros(us)),
        _ => Err(Error::invalid(Op::WatchdogInterval).with_input(value)),
    }
}

/// A pid in an environment variable or a `MAINPID=` field: decimal, at
/// least 1, within `i32`.
pub(crate) fn parse_env_pid(value: &[u8]) -> Option<Pid> {
    let n = crate::num::parse_u32(value)?;
    Pid::from_raw(i32::try_from(n).ok()?)
}

/// Parses a notification datagram—The newline-separated `KEY=value` fields
/// of `sd_notify(3)`'s protocol.
///
/// A datagram holding a NUL byte is refused (systemd ignores such
/// messages). Otherwise every line is a field: empty lines are skipped, a
/// line without `=` is kept with an empty value and no
/// [`has_value`](Field::has_value) (systemd ignores such lines; so do the
/// typed accessors of [`Fields`]).
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) (operation
/// [`Op::NotifyMessage`]) when the datagram holds a NUL byte.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sd_notify(3)`](https://man7.org/linux/man-pages/man3/sd_notify.3.html)
/// (the fields and their meaning)
///
/// # Examples
///
/// ```
/// use daemonry::notify::parse_message;
/// let f = parse_message(b"READY=1\nSTATUS=Serving 3 clients\nMAINPID=4242")?;
/// assert!(f.is_ready());
/// assert_eq!(f.status(), Some(&b"Serving 3 clients"[..]));
/// assert_eq!(f.main_pid().map(|p| p.as_raw_nonzero().get()), Some(4242));
/// assert_eq!(f.count(), 3);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_message(datagram: &[u8]) -> Result<Fields<'_>> {
    if datagram.contains(&0) {
        return Err(Error::invalid(Op::NotifyMessage).with_input(datagram));
    }
    Ok(Fields { rest: datagram })
}

/// One line of a notification: `KEY=value`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    key: &'a [u8],
    value: Option<&'a [u8]>,
}

impl<'a> Field<'a> {
    /// The part before the first `=` (the whole line when there is none).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut it = daemonry::notify::parse_message(b"STATUS=up\nX")?;
    /// let f = it.next().unwrap();
    /// assert_eq!((f.key(), f.value(), f.has_value()), (&b"STATUS"[..], &b"up"[..], true));
    /// let x = it.next().unwrap();
    /// assert_eq!((x.key(), x.value(), x.has_value()), (&b"X"[..], &b""[..], false));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn key(&self) -> &'a [u8] {
        self.key
    }

    /// The part after the first `=` (empty when there is none; see
    /// [`key`](Self::key)'s example).
    pub const fn value(&self) -> &'a [u8] {
        match self.value {
            Some(v) => v,
            None => b"",
        }
    }

    /// Whether the line had an `=`; a line without one is not a field
    /// systemd acts on (see [`key`](Self::key)'s example).
    pub const fn has_value(&self) -> bool {
        self.value.is_some()
    }
}

/// The fields of a notification datagram, in order: what
/// [`parse_message`] returns.
///
/// An iterator over [`Field`]s, with typed accessors for the fields a
/// supervisor acts on. The accessors look at the first field with the key,
/// as systemd does.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// The value of the first `key=value` field with this key.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = daemonry::notify::parse_message(b"ERRNO=2\nERRNO=5")?;
    /// assert_eq!(f.get("ERRNO"), Some(&b"2"[..]));
    /// assert_eq!(f.get("READY"), None);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<&'a [u8]> {
        let key = key.as_ref();
        self.clone()
            .find(|f| f.has_value() && f.key == key)
            .map(|f| f.value())
    }

    /// Whether the message says `READY=1`: start-up is complete.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::parse_message;
    /// assert!(parse_message(b"STATUS=x\nREADY=1")?.is_ready());
    /// assert!(!parse_message(b"READY=0")?.is_ready());
    /// assert!(parse_message(b"STOPPING=1")?.is_stopping());
    /// assert!(parse_message(b"RELOADING=1\nMONOTONIC_USEC=1")?.is_reloading());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn is_ready(&self) -> bool {
        self.get("READY") == Some(b"1")
    }

    /// Whether the message says `STOPPING=1`: the service is shutting down.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = daemonry::notify::parse_message(b"STOPPING=1\nRELOADING=1\nSTATUS=bye\nMAINPID=42")?;
    /// assert!(f.is_stopping() && f.is_reloading());
    /// assert_eq!(f.status(), Some(&b"bye"[..]));
    /// assert_eq!(f.main_pid(), daemonry::Pid::from_raw(42));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn is_stopping(&self) -> bool {
        self.get("STOPPING") == Some(b"1")
    }

    /// Whether the message says `RELOADING=1`: the service is reloading
    /// (see [`is_stopping`](Self::is_stopping)'s example).
    pub fn is_reloading(&self) -> bool {
        self.get("RELOADING") == Some(b"1")
    }

    /// The `STATUS=` text (see [`is_stopping`](Self::is_stopping)'s example).
    pub fn status(&self) -> Option<&'a [u8]> {
        self.get("STATUS")
    }

    /// The `MAINPID=` the service names as its main process, when it is a
    /// valid pid (see [`is_stopping`](Self::is_stopping)'s example).
    pub fn main_pid(&self) -> Option<Pid> {
        parse_env_pid(self.get("MAINPID")?)
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let (line, rest) = match self.rest.iter().position(|&b| b == b'\n') {
                Some(i) => (
                    self.rest.get(..i).unwrap_or_default(),
                    self.rest.get(i + 1..).unwrap_or_default(),
                ),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            if line.is_empty() {
                continue;
            }
            let field = match line.iter().position(|&b| b == b'=') {
                Some(i) => Field {
                    key: line.get(..i).unwrap_or_default(),
                    value: line.get(i + 1..),
                },
                None => Field {
                    key: line,
                    value: None,
                },
            };
            return Some(field);
        }
    }
}

impl core::iter::FusedIterator for Fields<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_socket() {
        assert_eq!(parse_notify_socket(b"/a").unwrap(), NotifyAddr::Path(b"/a"));
        assert_eq!(
            parse_notify_socket(b"@").unwrap(),
            NotifyAddr::Abstract(b"")
        );
        let long = [b'/'; SUN_PATH_MAX + 1];
        assert!(parse_notify_socket(&long).is_err());
        assert!(parse_notify_socket(&long[..SUN_PATH_MAX]).is_ok());
        let mut at = [b'x'; SUN_PATH_MAX + 1];
        at[0] = b'@';
        assert!(parse_notify_socket(&at).is_err());
        assert!(parse_notify_socket(&at[..SUN_PATH_MAX]).is_ok());
        for bad in [&b""[..], b"a", b"/a\0b", b"vsock:1:2"] {
            let e = parse_notify_socket(bad).unwrap_err();
            assert_eq!(e.op(), Op::ParseNotifySocket);
        }
    }

    #[test]
    fn listen_fds_and_names() {
        assert_eq!(parse_listen_fds(b"2147483644").unwrap(), 2_147_483_644);
        for bad in [&b""[..], b"+1", b" 1", b"1 ", b"0x1", b"99999999999"] {
            assert!(parse_listen_fds(bad).is_err());
        }
        assert_eq!(fd_names(b"").count(), 1);
        assert!(fd_names(b"a:").eq([&b"a"[..], b""]));
        assert!(fd_names(b":").eq([&b""[..], b""]));
    }

    #[test]
    fn watchdog() {
        assert_eq!(parse_watchdog_usec(b"1").unwrap(), Duration::from_micros(1));
        for bad in [&b""[..], b"0", b"-5", b"1.5", b"18446744073709551615"] {
            assert!(parse_watchdog_usec(bad).is_err());
        }
    }

    #[test]
    fn message_fields() {
        let f = parse_message(b"\nREADY=1\n\nNOEQ\nX==y\nSTATUS=\n").unwrap();
        let all = f.clone().map(|f| (f.key(), f.value(), f.has_value()));
        assert!(all.eq([
            (&b"READY"[..], &b"1"[..], true),
            (b"NOEQ", b"", false),
            (b"X", b"=y", true),
            (b"STATUS", b"", true),
        ]));
        assert!(f.is_ready());
        assert!(!f.is_stopping());
        assert_eq!(f.status(), Some(&b""[..]));
        assert_eq!(f.get("NOEQ"), None);
        assert!(!parse_message(b"READY=1 ").unwrap().is_ready());
        assert!(parse_message(b"READY=1\0").is_err());
        assert_eq!(parse_message(b"MAINPID=0").unwrap().main_pid(), None);
        assert_eq!(parse_message(b"MAINPID=x").unwrap().main_pid(), None);
        assert_eq!(parse_message(b"").unwrap().count(), 0);
    }
}
