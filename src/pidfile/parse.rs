//! Pure parsing of pidfile contents: no I/O, no allocation, no panics.

use crate::error::Op;
use crate::error::{Error, Result};
use rustix::process::Pid;

/// The largest pid Linux can ever hand out: `PID_MAX_LIMIT` (2^22) on
/// 64-bit kernels. `/proc/sys/kernel/pid_max` may be set lower, never
/// higher; [`Pidfile::read_pid`](crate::Pidfile::read_pid) also checks the
/// live value.
pub const PID_MAX_LIMIT: u32 = 4_194_304;

/// The most bytes a pidfile may hold: [`Pidfile`](crate::Pidfile) reads at
/// most this much, and anything longer is invalid. A valid file is at most
/// eight bytes (`"4194304\n"`); the margin allows leading zeros.
pub const MAX_PIDFILE_LEN: usize = 32;

/// Parses pidfile contents—Strictly `<digits>\n`, the pid in `1..=`[`PID_MAX_LIMIT`].
///
/// The contents must be one or more ASCII digits followed by exactly one
/// `\n`, and nothing else: no sign, no spaces, no second line, no
/// underscores, no non-ASCII digits. Leading zeros are accepted (the value
/// is what counts). This is deliberately stricter than celery, whose
/// `int()` accepts `" 1816\n"`, `"+5\n"`, `"-1\n"` (a process *group*
/// probe) and `"0\n"`; and than BSD `pidfile(3)`, which writes no newline
/// (`"1816"` is rejected here: a file without its newline may be a write in
/// progress).
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) carrying the
/// first 32 bytes of the input, with a context naming the problem:
/// `"pidfile is empty"`, `"pidfile lacks its trailing newline"`,
/// `"pidfile holds more than a pid"`, `"pidfile pid is not decimal
/// digits"`, or `"pidfile pid out of range"`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`proc_sys_kernel(5)`](https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html)
/// (`pid_max`), [`pidfile(3)`](https://man.freebsd.org/cgi/man.cgi?query=pidfile&sektion=3)
///
/// # Examples
///
/// ```
/// use daemonry::{parse_pid, ErrorKind};
/// assert_eq!(parse_pid(b"1816\n")?.as_raw_nonzero().get(), 1816);
/// for bad in [&b""[..], b"1816", b" 1816\n", b"+5\n", b"-1\n", b"0\n", b"abc\n"] {
///     assert_eq!(parse_pid(bad).unwrap_err().kind(), ErrorKind::InvalidInput);
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_pid(contents: &[u8]) -> Result<Pid> {
    let bad = |op: Op| Error::invalid(op).with_input(contents);
    let digits = match contents {
        [] => return Err(bad(Op::ParsePid)),
        [digits @ .., b'\n'] => digits,
        _ if !contents.contains(&b'\n') => return Err(bad(Op::ParsePid)),
        _ => return Err(bad(Op::ParsePid)),
    };
    if digits.contains(&b'\n') {
        return Err(bad(Op::ParsePid));
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad(Op::ParsePid));
    }
    match crate::num::parse_u32(digits) {
        Some(v @ 1..=PID_MAX_LIMIT) => Pid::from_raw(v as i32).ok_or_else(|| bad(Op::ParsePid)),
        _ => Err(bad(Op::ParsePid)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn ok(s: &[u8]) -> i32 {
        parse_pid(s).unwrap().as_raw_nonzero().get()
    }

    /// Asserts that `s` is rejected as a pidfile's contents, keeping it.
    fn err(s: &[u8]) {
        let e = parse_pid(s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{s:?}");
        assert_eq!(e.op(), crate::Op::ParsePid, "{s:?}");
        let kept = &s[..s.len().min(27)];
        assert_eq!(e.input().map(|i| i.as_bytes()), Some(kept), "{s:?}");
    }

    #[test]
    fn accepts_digits_and_newline() {
        assert_eq!(ok(b"1\n"), 1);
        assert_eq!(ok(b"1816\n"), 1816);
        assert_eq!(ok(b"0001816\n"), 1816);
        assert_eq!(ok(b"4194304\n"), 4_194_304);
    }

    #[test]
    fn rejects_everything_else() {
        err(b"");
        err(b"1816");
        err(b"\n");
        err(b" 1816\n");
        err(b"1816 \n");
        err(b"+5\n");
        err(b"-1\n");
        err(b"1_816\n");
        err(b"abc\n");
        err("١٨١٦\n".as_bytes());
        err(b"0\n");
        err(b"4194305\n");
        err(b"99999999999\n");
        err(b"1816\n\n");
        err(b"1816\n17\n");
        err(b"1816\r\n");
        err(b"1816\nx");
        err(b"18\x0016\n");
    }

    #[test]
    fn error_keeps_the_input() {
        let e = parse_pid(b"abc\n").unwrap_err();
        assert_eq!(e.input().map(|n| n.as_bytes()), Some(&b"abc\n"[..]));
    }
}
