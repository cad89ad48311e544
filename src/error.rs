//! [`Error`]: a small `Copy` error value that keeps the errno and names the
//! operation, and the [`Result`] alias.

use crate::name::Name;
use core::fmt;
use rustix::io::Errno;
use rustix::process::Pid;

/// `Result<T, daemonry::Error>`.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// What went wrong, in categories a caller can act on.
///
/// The raw errno, when a system call failed, is in [`Error::errno`]; the
/// operation in [`Error::context`]; the offending input, when there is one,
/// in [`Error::input`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A system call failed; [`Error::errno`] says why.
    Os,
    /// A pidfile lock is held by another live process (`pid` is the holder,
    /// when it could be read).
    LockFailed {
        /// The holder's pid, when known.
        pid: Option<Pid>,
    },
    /// A user name did not resolve ([`Error::input`] holds it).
    UnknownUser,
    /// A group name did not resolve ([`Error::input`] holds it).
    UnknownGroup,
    /// Input was malformed: a bad umask, signal name, pidfile contents, a
    /// NUL inside a name, …
    InvalidInput,
    /// A privilege change could not be verified (for example root could be
    /// regained after a drop), or the starting state looks unsafe.
    Security,
    /// A per-thread system call (credentials, raw fork) was refused because
    /// the process runs more than one thread.
    MultiThreaded,
    /// A caller-provided or fixed-size buffer was too small; `needed` is the
    /// size that would have been enough, when known.
    BufferTooSmall {
        /// How many elements would fit the whole result (0 if unknown).
        needed: usize,
    },
}

/// daemonry's error: a kind, the raw errno when a system call failed, a
/// static description of the operation (`"setgroups"`, `"open pidfile"`),
/// and the offending input when there was one (up to 32 bytes, inline).
///
/// `Error` is `Copy` and never allocates, so it can be created, returned and
/// even formatted (into a stack buffer) between `fork` and `exec`.
///
/// `Display` renders the errno symbolically with the crate's own table, in
/// `no_std` too: `setgroups: EPERM (Operation not permitted)`.
///
/// # Examples
///
/// ```
/// use daemonry::{Error, ErrorKind, Errno};
/// let e = Error::os("setgroups", Errno::PERM);
/// assert_eq!(e.kind(), ErrorKind::Os);
/// assert_eq!(e.errno(), Some(Errno::PERM));
/// assert_eq!(e.to_string(), "setgroups: EPERM (Operation not permitted)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    errno: Option<Errno>,
    context: Ctx,
    input: Option<Name>,
}

/// The operation's description: a static string, or (for an error that
/// crossed a process boundary, see [`Error::decode`]) a copy of one.
#[derive(Clone, Copy)]
enum Ctx {
    Static(&'static str),
    Inline { len: u8, buf: [u8; CTX_INLINE] },
}

/// Most context bytes kept when an error is copied between processes.
const CTX_INLINE: usize = 48;

impl Ctx {
    fn as_str(&self) -> &str {
        match self {
            Ctx::Static(s) => s,
            Ctx::Inline { len, buf } => buf
                .get(..usize::from(*len))
                .and_then(|b| core::str::from_utf8(b).ok())
                .unwrap_or(""),
        }
    }
}

impl PartialEq for Ctx {
    fn eq(&self, other: &Ctx) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Ctx {}

impl Error {
    /// An error of `kind` during the operation `context`.
    pub const fn new(kind: ErrorKind, context: &'static str) -> Error {
        Error {
            kind,
            errno: None,
            context: Ctx::Static(context),
            input: None,
        }
    }

    /// A failed system call: kind [`ErrorKind::Os`] with `errno`.
    pub const fn os(context: &'static str, errno: Errno) -> Error {
        Error {
            kind: ErrorKind::Os,
            errno: Some(errno),
            context: Ctx::Static(context),
            input: None,
        }
    }

    /// Malformed input: kind [`ErrorKind::InvalidInput`].
    pub const fn invalid(context: &'static str) -> Error {
        Error::new(ErrorKind::InvalidInput, context)
    }

    /// The same error, remembering the offending input (first 32 bytes).
    pub const fn with_input(mut self, input: &[u8]) -> Error {
        self.input = Some(Name::new(input));
        self
    }

    /// The same error, carrying `errno`.
    pub const fn with_errno(mut self, errno: Errno) -> Error {
        self.errno = Some(errno);
        self
    }

    /// The same error, with another context.
    pub const fn with_context(mut self, context: &'static str) -> Error {
        self.context = Ctx::Static(context);
        self
    }

    /// What went wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The raw errno, when a system call failed.
    pub const fn errno(&self) -> Option<Errno> {
        self.errno
    }

    /// The operation that failed, e.g. `"setgroups"`.
    ///
    /// An error reported by a daemon child through
    /// [`DaemonContext`](crate::DaemonContext)'s readiness pipe carries a
    /// copy of the child's text (its first 48 bytes).
    pub fn context(&self) -> &str {
        self.context.as_str()
    }

    /// The offending input (a user name, a signal name, …), when there was
    /// one.
    pub const fn input(&self) -> Option<&Name> {
        self.input.as_ref()
    }
}

/// Writes `" EPERM (Operation not permitted)"`-style text for an errno.
pub(crate) fn fmt_errno(f: &mut fmt::Formatter<'_>, e: Errno) -> fmt::Result {
    match (crate::errno::name(e), crate::errno::description(e)) {
        (Some(n), Some(d)) => write!(f, "{n} ({d})"),
        _ => write!(f, "errno {}", e.raw_os_error()),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.context())?;
        f.write_str(": ")?;
        match self.kind {
            ErrorKind::Os => {}
            ErrorKind::LockFailed { pid: Some(p) } => {
                write!(f, "lock held by pid {}", p.as_raw_nonzero())?
            }
            ErrorKind::LockFailed { pid: None } => f.write_str("lock held by another process")?,
            ErrorKind::UnknownUser => f.write_str("unknown user")?,
            ErrorKind::UnknownGroup => f.write_str("unknown group")?,
            ErrorKind::InvalidInput => f.write_str("invalid input")?,
            ErrorKind::Security => f.write_str("security check failed")?,
            ErrorKind::MultiThreaded => f.write_str("refused in a multi-threaded process")?,
            ErrorKind::BufferTooSmall { needed: 0 } => f.write_str("buffer too small")?,
            ErrorKind::BufferTooSmall { needed } => {
                write!(f, "buffer too small ({needed} needed)")?
            }
        }
        if let Some(input) = &self.input {
            if self.kind != ErrorKind::Os {
                f.write_str(" ")?;
            }
            write!(f, "{input:?}")?;
        }
        if let Some(e) = self.errno {
            if self.kind != ErrorKind::Os || self.input.is_some() {
                f.write_str(": ")?;
            }
            fmt_errno(f, e)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(e) = self.errno {
            d.field("errno", &crate::errno::name(e).unwrap_or("?"));
        }
        d.field("context", &self.context());
        if let Some(i) = &self.input {
            d.field("input", i);
        }
        d.field("message", &format_args!("{self}"));
        d.finish()
    }
}

/// Size of [`Error::encode`]'s output.
pub(crate) const WIRE_LEN: usize = 1 + 8 + 4 + 1 + CTX_INLINE + 1 + 1 + 1 + Name::CAPACITY;

impl Error {
    /// Serialises the error into a fixed-size record (for the daemon's
    /// readiness pipe). The context text is copied, cut at 48 bytes on a
    /// character boundary.
    pub(crate) fn encode(&self) -> [u8; WIRE_LEN] {
        let mut w = [0u8; WIRE_LEN];
        let (tag, payload): (u8, u64) = match self.kind {
            ErrorKind::Os => (0, 0),
            ErrorKind::LockFailed { pid } => {
                (1, pid.map_or(0, |p| p.as_raw_nonzero().get() as u64))
            }
            ErrorKind::UnknownUser => (2, 0),
            ErrorKind::UnknownGroup => (3, 0),
            ErrorKind::InvalidInput => (4, 0),
            ErrorKind::Security => (5, 0),
            ErrorKind::MultiThreaded => (6, 0),
            ErrorKind::BufferTooSmall { needed } => (7, needed as u64),
        };
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            if let Some(dst) = w.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
            at += bytes.len();
        };
        put(&[tag]);
        put(&payload.to_le_bytes());
        put(&self.errno.map_or(0, |e| e.raw_os_error()).to_le_bytes());
        let ctx = self.context();
        let mut n = ctx.len().min(CTX_INLINE);
        while !ctx.is_char_boundary(n) {
            n -= 1;
        }
        let mut cbuf = [0u8; CTX_INLINE];
        if let (Some(dst), Some(src)) = (cbuf.get_mut(..n), ctx.as_bytes().get(..n)) {
            dst.copy_from_slice(src);
        }
        put(&[n as u8]);
        put(&cbuf);
        match &self.input {
            Some(i) => {
                let mut ibuf = [0u8; Name::CAPACITY];
                let b = i.as_bytes();
                if let Some(dst) = ibuf.get_mut(..b.len()) {
                    dst.copy_from_slice(b);
                }
                put(&[1, b.len() as u8, u8::from(i.is_truncated())]);
                put(&ibuf);
            }
            None => put(&[0; 3 + Name::CAPACITY]),
        }
        w
    }

    /// The inverse of [`Error::encode`]; `None` for a malformed record.
    pub(crate) fn decode(w: &[u8; WIRE_LEN]) -> Option<Error> {
        let payload = u64::from_le_bytes(w.get(1..9)?.try_into().ok()?);
        let kind = match *w.first()? {
            0 => ErrorKind::Os,
            1 => ErrorKind::LockFailed {
                pid: i32::try_from(payload).ok().and_then(Pid::from_raw),
            },
            2 => ErrorKind::UnknownUser,
            3 => ErrorKind::UnknownGroup,
            4 => ErrorKind::InvalidInput,
            5 => ErrorKind::Security,
            6 => ErrorKind::MultiThreaded,
            7 => ErrorKind::BufferTooSmall {
                needed: usize::try_from(payload).ok()?,
            },
            _ => return None,
        };
        let raw = i32::from_le_bytes(w.get(9..13)?.try_into().ok()?);
        let errno = (1..4096)
            .contains(&raw)
            .then(|| Errno::from_raw_os_error(raw));
        let clen = *w.get(13)?;
        let buf: [u8; CTX_INLINE] = w.get(14..14 + CTX_INLINE)?.try_into().ok()?;
        core::str::from_utf8(buf.get(..usize::from(clen))?).ok()?;
        let at = 14 + CTX_INLINE;
        let input = match w.get(at..at + 3)? {
            [1, len, trunc] => {
                let bytes = w.get(at + 3..at + 3 + usize::from(*len))?;
                let mut n = Name::new(bytes);
                if *trunc != 0 {
                    n = n.mark_truncated();
                }
                Some(n)
            }
            _ => None,
        };
        Some(Error {
            kind,
            errno,
            context: Ctx::Inline { len: clen, buf },
            input,
        })
    }
}

/// Attaches a context to a bare `Errno` result (crate-internal).
pub(crate) trait Context<T> {
    /// `Err(errno)` becomes `Err(Error::os(context, errno))`.
    fn ctx(self, context: &'static str) -> Result<T>;
}

impl<T> Context<T> for core::result::Result<T, Errno> {
    #[inline]
    fn ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|e| Error::os(context, e))
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl std::error::Error for Error {}

/// With `std`: wraps the error in an `io::Error` whose kind follows the
/// errno when there is one (so `ENOENT` is `NotFound`), and otherwise the
/// [`ErrorKind`]. The `daemonry::Error` stays reachable through
/// `get_ref()`/`into_inner()` and downcasting. This allocates.
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        use std::io::ErrorKind as K;
        let kind = match (e.errno, e.kind) {
            (Some(errno), _) => std::io::Error::from_raw_os_error(errno.raw_os_error()).kind(),
            (None, ErrorKind::LockFailed { .. }) => K::ResourceBusy,
            (None, ErrorKind::UnknownUser | ErrorKind::UnknownGroup) => K::NotFound,
            (None, ErrorKind::InvalidInput) => K::InvalidInput,
            (None, ErrorKind::Security) => K::PermissionDenied,
            (None, ErrorKind::BufferTooSmall { .. }) => K::InvalidInput,
            (None, _) => K::Other,
        };
        std::io::Error::new(kind, e)
    }
}
