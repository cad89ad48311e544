//! Errno names and descriptions, both ways (celery's `get_errno_name` and
//! `ignore_errno`).
//!
//! The table is the crate's own, built from `linux-raw-sys` constants so the
//! numbers are right for the target architecture; the descriptions are
//! glibc's `strerror` texts. It covers every errno Linux defines, plus the
//! aliases `EWOULDBLOCK` (= `EAGAIN`), `EDEADLOCK` (= `EDEADLK` on x86_64
//! and aarch64) and `ENOTSUP` (= `EOPNOTSUPP`), which [`from_name`] accepts
//! and [`name`] never returns.
//!
//! Everything here is `const` data and lookups: safe between fork and exec.

use linux_raw_sys::errno;
use rustix::io::Errno;

/// One row of the source table: number, name, description. Used only at
/// compile time: the lookups read the packed, pointer-free tables below.
struct Entry {
    num: u32,
    name: &'static str,
    desc: &'static str,
}

const fn e(num: u32, name: &'static str, desc: &'static str) -> Entry {
    Entry { num, name, desc }
}

/// Every errno, canonical names first (ordered by number on x86_64), then
/// the aliases.
const TABLE: [Entry; TABLE_LEN] = [
    e(errno::EPERM, "EPERM", "Operation not permitted"),
    e(errno::ENOENT, "ENOENT", "No such file or directory"),
    e(errno::ESRCH, "ESRCH", "No such process"),
    e(errno::EINTR, "EINTR", "Interrupted system call"),
    e(errno::EIO, "EIO", "Input/output error"),
    e(errno::ENXIO, "ENXIO", "No such device or address"),
    e(errno::E2BIG, "E2BIG", "Argument list too long"),
    e(errno::ENOEXEC, "ENOEXEC", "Exec format error"),
    e(errno::EBADF, "EBADF", "Bad file descriptor"),
    e(errno::ECHILD, "ECHILD", "No child processes"),
    e(errno::EAGAIN, "EAGAIN", "Resource temporarily unavailable"),
    e(errno::ENOMEM, "ENOMEM", "Cannot allocate memory"),
    e(errno::EACCES, "EACCES", "Permission denied"),
    e(errno::EFAULT, "EFAULT", "Bad address"),
    e(errno::ENOTBLK, "ENOTBLK", "Block device required"),
    e(errno::EBUSY, "EBUSY", "Device or resource busy"),
    e(errno::EEXIST, "EEXIST", "File exists"),
    e(errno::EXDEV, "EXDEV", "Invalid cross-device link"),
    e(errno::ENODEV, "ENODEV", "No such device"),
    e(errno::ENOTDIR, "ENOTDIR", "Not a directory"),
    e(errno::EISDIR, "EISDIR", "Is a directory"),
    e(errno::EINVAL, "EINVAL", "Invalid argument"),
    e(errno::ENFILE, "ENFILE", "Too many open files in system"),
    e(errno::EMFILE, "EMFILE", "Too many open files"),
    e(errno::ENOTTY, "ENOTTY", "Inappropriate ioctl for device"),
    e(errno::ETXTBSY, "ETXTBSY", "Text file busy"),
    e(errno::EFBIG, "EFBIG", "File too large"),
    e(errno::ENOSPC, "ENOSPC", "No space left on device"),
    e(errno::ESPIPE, "ESPIPE", "Illegal seek"),
    e(errno::EROFS, "EROFS", "Read-only file system"),
    e(errno::EMLINK, "EMLINK", "Too many links"),
    e(errno::EPIPE, "EPIPE", "Broken pipe"),
    e(errno::EDOM, "EDOM", "Numerical argument out of domain"),
    e(errno::ERANGE, "ERANGE", "Numerical result out of range"),
    e(errno::EDEADLK, "EDEADLK", "Resource deadlock avoided"),
    e(errno::ENAMETOOLONG, "ENAMETOOLONG", "File name too long"),
    e(errno::ENOLCK, "ENOLCK", "No locks available"),
    e(errno::ENOSYS, "ENOSYS", "Function not implemented"),
    e(errno::ENOTEMPTY, "ENOTEMPTY", "Directory not empty"),
    e(errno::ELOOP, "ELOOP", "Too many levels of symbolic links"),
    e(errno::ENOMSG, "ENOMSG", "No message of desired type"),
    e(errno::EIDRM, "EIDRM", "Identifier removed"),
    e(errno::ECHRNG, "ECHRNG", "Channel number out of range"),
    e(errno::EL2NSYNC, "EL2NSYNC", "Level 2 not synchronized"),
    e(errno::EL3HLT, "EL3HLT", "Level 3 halted"),
    e(errno::EL3RST, "EL3RST", "Level 3 reset"),
    e(errno::ELNRNG, "ELNRNG", "Link number out of range"),
    e(errno::EUNATCH, "EUNATCH", "Protocol driver not attached"),
    e(errno::ENOCSI, "ENOCSI", "No CSI structure available"),
    e(errno::EL2HLT, "EL2HLT", "Level 2 halted"),
    e(errno::EBADE, "EBADE", "Invalid exchange"),
    e(errno::EBADR, "EBADR", "Invalid request descriptor"),
    e(errno::EXFULL, "EXFULL", "Exchange full"),
    e(errno::ENOANO, "ENOANO", "No anode"),
    e(errno::EBADRQC, "EBADRQC", "Invalid request code"),
    e(errno::EBADSLT, "EBADSLT", "Invalid slot"),
    e(errno::EBFONT, "EBFONT", "Bad font file format"),
    e(errno::ENOSTR, "ENOSTR", "Device not a stream"),
    e(errno::ENODATA, "ENODATA", "No data available"),
    e(errno::ETIME, "ETIME", "Timer expired"),
    e(errno::ENOSR, "ENOSR", "Out of streams resources"),
    e(errno::ENONET, "ENONET", "Machine is not on the network"),
    e(errno::ENOPKG, "ENOPKG", "Package not installed"),
    e(errno::EREMOTE, "EREMOTE", "Object is remote"),
    e(errno::ENOLINK, "ENOLINK", "Link has been severed"),
    e(errno::EADV, "EADV", "Advertise error"),
    e(errno::ESRMNT, "ESRMNT", "Srmount error"),
    e(errno::ECOMM, "ECOMM", "Communication error on send"),
    e(errno::EPROTO, "EPROTO", "Protocol error"),
    e(errno::EMULTIHOP, "EMULTIHOP", "Multihop attempted"),
    e(errno::EDOTDOT, "EDOTDOT", "RFS specific error"),
    e(errno::EBADMSG, "EBADMSG", "Bad message"),
    e(
        errno::EOVERFLOW,
        "EOVERFLOW",
        "Value too large for defined data type",
    ),
    e(errno::ENOTUNIQ, "ENOTUNIQ", "Name not unique on network"),
    e(errno::EBADFD, "EBADFD", "File descriptor in bad state"),
    e(errno::EREMCHG, "EREMCHG", "Remote address changed"),
    e(
        errno::ELIBACC,
        "ELIBACC",
        "Can not access a needed shared library",
    ),
    e(
        errno::ELIBBAD,
        "ELIBBAD",
        "Accessing a corrupted shared library",
    ),
    e(errno::ELIBSCN, "ELIBSCN", ".lib section in a.out corrupted"),
    e(
        errno::ELIBMAX,
        "ELIBMAX",
        "Attempting to link in too many shared libraries",
    ),
    e(
        errno::ELIBEXEC,
        "ELIBEXEC",
        "Cannot exec a shared library directly",
    ),
    e(
        errno::EILSEQ,
        "EILSEQ",
        "Invalid or incomplete multibyte or wide character",
    ),
    e(
        errno::ERESTART,
        "ERESTART",
        "Interrupted system call should be restarted",
    ),
    e(errno::ESTRPIPE, "ESTRPIPE", "Streams pipe error"),
    e(errno::EUSERS, "EUSERS", "Too many users"),
    e(
        errno::ENOTSOCK,
        "ENOTSOCK",
        "Socket operation on non-socket",
    ),
    e(
        errno::EDESTADDRREQ,
        "EDESTADDRREQ",
        "Destination address required",
    ),
    e(errno::EMSGSIZE, "EMSGSIZE", "Message too long"),
    e(
        errno::EPROTOTYPE,
        "EPROTOTYPE",
        "Protocol wrong type for socket",
    ),
    e(errno::ENOPROTOOPT, "ENOPROTOOPT", "Protocol not available"),
    e(
        errno::EPROTONOSUPPORT,
        "EPROTONOSUPPORT",
        "Protocol not supported",
    ),
    e(
        errno::ESOCKTNOSUPPORT,
        "ESOCKTNOSUPPORT",
        "Socket type not supported",
    ),
    e(errno::EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported"),
    e(
        errno::EPFNOSUPPORT,
        "EPFNOSUPPORT",
        "Protocol family not supported",
    ),
    e(
        errno::EAFNOSUPPORT,
        "EAFNOSUPPORT",
        "Address family not supported by protocol",
    ),
    e(errno::EADDRINUSE, "EADDRINUSE", "Address already in use"),
    e(
        errno::EADDRNOTAVAIL,
        "EADDRNOTAVAIL",
        "Cannot assign requested address",
    ),
    e(errno::ENETDOWN, "ENETDOWN", "Network is down"),
    e(errno::ENETUNREACH, "ENETUNREACH", "Network is unreachable"),
    e(
        errno::ENETRESET,
        "ENETRESET",
        "Network dropped connection on reset",
    ),
    e(
        errno::ECONNABORTED,
        "ECONNABORTED",
        "Software caused connection abort",
    ),
    e(errno::ECONNRESET, "ECONNRESET", "Connection reset by peer"),
    e(errno::ENOBUFS, "ENOBUFS", "No buffer space available"),
    e(
        errno::EISCONN,
        "EISCONN",
        "Transport endpoint is already connected",
    ),
    e(
        errno::ENOTCONN,
        "ENOTCONN",
        "Transport endpoint is not connected",
    ),
    e(
        errno::ESHUTDOWN,
        "ESHUTDOWN",
        "Cannot send after transport endpoint shutdown",
    ),
    e(
        errno::ETOOMANYREFS,
        "ETOOMANYREFS",
        "Too many references: cannot splice",
    ),
    e(errno::ETIMEDOUT, "ETIMEDOUT", "Connection timed out"),
    e(errno::ECONNREFUSED, "ECONNREFUSED", "Connection refused"),
    e(errno::EHOSTDOWN, "EHOSTDOWN", "Host is down"),
    e(errno::EHOSTUNREACH, "EHOSTUNREACH", "No route to host"),
    e(errno::EALREADY, "EALREADY", "Operation already in progress"),
    e(
        errno::EINPROGRESS,
        "EINPROGRESS",
        "Operation now in progress",
    ),
    e(errno::ESTALE, "ESTALE", "Stale file handle"),
    e(errno::EUCLEAN, "EUCLEAN", "Structure needs cleaning"),
    e(errno::ENOTNAM, "ENOTNAM", "Not a XENIX named type file"),
    e(errno::ENAVAIL, "ENAVAIL", "No XENIX semaphores available"),
    e(errno::EISNAM, "EISNAM", "Is a named type file"),
    e(errno::EREMOTEIO, "EREMOTEIO", "Remote I/O error"),
    e(errno::EDQUOT, "EDQUOT", "Disk quota exceeded"),
    e(errno::ENOMEDIUM, "ENOMEDIUM", "No medium found"),
    e(errno::EMEDIUMTYPE, "EMEDIUMTYPE", "Wrong medium type"),
    e(errno::ECANCELED, "ECANCELED", "Operation canceled"),
    e(errno::ENOKEY, "ENOKEY", "Required key not available"),
    e(errno::EKEYEXPIRED, "EKEYEXPIRED", "Key has expired"),
    e(errno::EKEYREVOKED, "EKEYREVOKED", "Key has been revoked"),
    e(
        errno::EKEYREJECTED,
        "EKEYREJECTED",
        "Key was rejected by service",
    ),
    e(errno::EOWNERDEAD, "EOWNERDEAD", "Owner died"),
    e(
        errno::ENOTRECOVERABLE,
        "ENOTRECOVERABLE",
        "State not recoverable",
    ),
    e(
        errno::ERFKILL,
        "ERFKILL",
        "Operation not possible due to RF-kill",
    ),
    e(
        errno::EHWPOISON,
        "EHWPOISON",
        "Memory page has hardware error",
    ),
    // Aliases: same number as an entry above on x86_64 and aarch64 (first wins
    // for `name`); on some architectures EDEADLOCK is a number of its own.
    e(
        errno::EWOULDBLOCK,
        "EWOULDBLOCK",
        "Resource temporarily unavailable",
    ),
    e(errno::EDEADLOCK, "EDEADLOCK", "Resource deadlock avoided"),
    e(errno::EOPNOTSUPP, "ENOTSUP", "Operation not supported"),
];

const TABLE_LEN: usize = 134;

// The tables the program carries are packed at compile time, without
// pointers: one byte string per column plus end offsets. A table of
// `&'static str` pairs costs 32 bytes of pointers per row (about 5 KB) and,
// in a static-pie binary, a relocation for each; and this way a program
// that only asks for names does not carry the descriptions (about 4 KB):
// what a small static binary such as daemonry-init needs.

/// The largest errno number in the table, plus one.
const INDEX_LEN: usize = {
    let mut max = 0;
    let mut i = 0;
    while i < TABLE_LEN {
        if TABLE[i].num as usize > max {
            max = TABLE[i].num as usize;
        }
        i += 1;
    }
    max + 1
};

/// `INDEX[n]` is 1 + the position of errno `n`'s first (canonical) row, or 0.
static INDEX: [u8; INDEX_LEN] = build_index();

const fn build_index() -> [u8; INDEX_LEN] {
    let mut index = [0u8; INDEX_LEN];
    let mut i = 0;
    while i < TABLE_LEN {
        let n = TABLE[i].num as usize;
        if index[n] == 0 {
            index[n] = (i + 1) as u8;
        }
        i += 1;
    }
    index
}

/// Each row's errno number.
static NUMS: [u16; TABLE_LEN] = {
    let mut nums = [0u16; TABLE_LEN];
    let mut i = 0;
    while i < TABLE_LEN {
        nums[i] = TABLE[i].num as u16;
        i += 1;
    }
    nums
};

/// One column of the table as a single byte string and end offsets.
struct Packed<const N: usize> {
    bytes: [u8; N],
    ends: [u16; TABLE_LEN],
}

/// The column's text: each row's name (`desc` false) or description.
const fn column(row: &Entry, desc: bool) -> &'static [u8] {
    if desc {
        row.desc.as_bytes()
    } else {
        row.name.as_bytes()
    }
}

const fn column_len(desc: bool) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < TABLE_LEN {
        n += column(&TABLE[i], desc).len();
        i += 1;
    }
    n
}

const fn pack<const N: usize>(desc: bool) -> Packed<N> {
    let mut p = Packed {
        bytes: [0u8; N],
        ends: [0u16; TABLE_LEN],
    };
    let mut at = 0;
    let mut i = 0;
    while i < TABLE_LEN {
        let text = column(&TABLE[i], desc);
        let mut j = 0;
        while j < text.len() {
            p.bytes[at] = text[j];
            at += 1;
            j += 1;
        }
        assert!(at <= u16::MAX as usize);
        p.ends[i] = at as u16;
        i += 1;
    }
    p
}

/// A packed column's bytes as text, checked once at compile time (so a
/// lookup slices a `str` instead of validating UTF-8 at run time): text
/// that is not UTF-8 comes out empty, which the assertions after the
/// tables turn into a build error.
const fn text(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => "",
    }
}

/// Row `i`'s text in a column (`text`, `ends`).
fn row_text(text: &'static str, ends: &'static [u16; TABLE_LEN], i: usize) -> Option<&'static str> {
    let start = match i.checked_sub(1) {
        Some(prev) => usize::from(*ends.get(prev)?),
        None => 0,
    };
    text.get(start..usize::from(*ends.get(i)?))
}

const NAMES: Packed<{ column_len(false) }> = pack(false);
const NAME_BYTES: [u8; column_len(false)] = NAMES.bytes;
static NAME_TEXT: &str = NAME_STR;
const NAME_STR: &str = text(&NAME_BYTES);
static NAME_ENDS: [u16; TABLE_LEN] = NAMES.ends;
const DESCS: Packed<{ column_len(true) }> = pack(true);
const DESC_BYTES: [u8; column_len(true)] = DESCS.bytes;
static DESC_TEXT: &str = DESC_STR;
const DESC_STR: &str = text(&DESC_BYTES);

// Both columns are UTF-8: `text` kept every byte.
const _: () = assert!(NAME_STR.len() == NAME_BYTES.len() && DESC_STR.len() == DESC_BYTES.len());
static DESC_ENDS: [u16; TABLE_LEN] = DESCS.ends;

fn name_at(i: usize) -> Option<&'static str> {
    row_text(NAME_TEXT, &NAME_ENDS, i)
}

fn desc_at(i: usize) -> Option<&'static str> {
    row_text(DESC_TEXT, &DESC_ENDS, i)
}

/// The row of errno `e`'s canonical name.
fn row(e: Errno) -> Option<usize> {
    let n = usize::try_from(e.raw_os_error()).ok()?;
    usize::from(*INDEX.get(n)?).checked_sub(1)
}

/// The symbolic name of an errno: `ENOENT`.
///
/// Aliases resolve to the canonical name (`EAGAIN`, never `EWOULDBLOCK`).
/// `None` for a number Linux does not define.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::{errno, Errno};
/// assert_eq!(errno::name(Errno::NOENT), Some("ENOENT"));
/// assert_eq!(errno::name(Errno::WOULDBLOCK), Some("EAGAIN"));
/// assert_eq!(errno::name(Errno::from_raw_os_error(4000)), None);
/// ```
pub fn name(e: Errno) -> Option<&'static str> {
    name_at(row(e)?)
}

/// The description of an errno, as glibc's `strerror(3)` words it:
/// `"No such file or directory"`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics (unlike
/// `strerror`, which may allocate for unknown numbers and depends on the
/// locale).
///
/// # Examples
///
/// ```
/// use daemonry::{errno, Errno};
/// assert_eq!(errno::description(Errno::PERM), Some("Operation not permitted"));
/// ```
pub fn description(e: Errno) -> Option<&'static str> {
    desc_at(row(e)?)
}

/// The errno with this symbolic name, aliases included (`EWOULDBLOCK`,
/// `EDEADLOCK`, `ENOTSUP`).
///
/// Takes text or bytes (`&str`, `&[u8]`, …: input need not be UTF-8).
/// Names are matched exactly (errno names are C identifiers: upper case,
/// with the `E` prefix). celery's `get_errno_name` does this conversion
/// despite its name.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::{errno, Errno};
/// assert_eq!(errno::from_name("ENOENT"), Some(Errno::NOENT));
/// assert_eq!(errno::from_name(b"ENOTSUP"), Some(Errno::OPNOTSUPP));
/// assert_eq!(errno::from_name("enoent"), None);
/// ```
#[doc(alias = "get_errno_name")]
pub fn from_name(name: impl AsRef<[u8]>) -> Option<Errno> {
    lookup(name.as_ref())
}

fn lookup(name: &[u8]) -> Option<Errno> {
    // Every name starts with 'E' and is 3..=15 bytes: reject the rest early.
    if name.len() < 3 || name.len() > 15 || name.first() != Some(&b'E') {
        return None;
    }
    (0..TABLE_LEN)
        .find(|&i| name_at(i).map(str::as_bytes) == Some(name))
        .and_then(|i| NUMS.get(i))
        .map(|&num| Errno::from_raw_os_error(i32::from(num)))
}

/// An iterator over every errno Linux defines on this architecture, as
/// `(errno, canonical name, description)`, in the table's order (by number
/// on x86_64). Aliases are not repeated.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// let all: Vec<_> = daemonry::errno::all().collect();
/// assert!(all.iter().any(|&(_, n, _)| n == "EPERM"));
/// ```
pub fn all() -> impl Iterator<Item = (Errno, &'static str, &'static str)> {
    (0..TABLE_LEN).filter_map(|i| {
        let num = *NUMS.get(i)?;
        let canonical = INDEX.get(usize::from(num)) == Some(&((i + 1) as u8));
        let errno = Errno::from_raw_os_error(i32::from(num));
        canonical.then_some((errno, name_at(i)?, desc_at(i)?))
    })
}

/// An error type that may carry an errno: what [`ignore_errno`] needs.
///
/// Implemented for rustix's [`Errno`], [`crate::Error`] and, with `std`,
/// `std::io::Error`.
pub trait AsErrno {
    /// The errno this error carries, if any.
    fn as_errno(&self) -> Option<Errno>;
}

impl AsErrno for Errno {
    fn as_errno(&self) -> Option<Errno> {
        Some(*self)
    }
}

impl AsErrno for crate::Error {
    fn as_errno(&self) -> Option<Errno> {
        self.errno()
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl AsErrno for std::io::Error {
    fn as_errno(&self) -> Option<Errno> {
        if let Some(n) = self.raw_os_error() {
            return Some(Errno::from_raw_os_error(n));
        }
        // An `io::Error` made from a `daemonry::Error` keeps it inside.
        self.get_ref()
            .and_then(|inner| inner.downcast_ref::<crate::Error>())
            .and_then(|e| e.errno())
    }
}

/// Swallows the listed errnos: `Ok(v)` → `Ok(Some(v))`; an error whose
/// errno is in `errnos` → `Ok(None)`; any other error (including one with no
/// errno) is returned unchanged.
///
/// celery's `ignore_errno` is a context manager taking names; in Rust it is
/// a plain function over a `Result`. Use [`from_name`] for names.
///
/// # Async-signal safety
///
/// Safe between fork and exec for `Errno` and `daemonry::Error`: no
/// allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::{errno::ignore_errno, Errno};
/// let r: Result<(), Errno> = Err(Errno::NOENT);
/// assert_eq!(ignore_errno(r, &[Errno::NOENT]), Ok(None));
/// let r: Result<(), Errno> = Err(Errno::ACCESS);
/// assert_eq!(ignore_errno(r, &[Errno::NOENT]), Err(Errno::ACCESS));
/// ```
pub fn ignore_errno<T, E: AsErrno>(
    result: core::result::Result<T, E>,
    errnos: &[Errno],
) -> core::result::Result<Option<T>, E> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) => match e.as_errno() {
            Some(n) if errnos.contains(&n) => Ok(None),
            _ => Err(e),
        },
    }
}
