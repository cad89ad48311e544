//! Pure parsing of pidfile contents: no I/O, no allocation, no panics.

use crate::error::{Error, Op, Result};
use rustix::process::Pid;

/// The largest pid Linux can ever hand out: `PID_MAX_LIMIT` (2^22) on
/// 64-bit kernels. `/proc/sys/kernel/pid_max` may be set lower, never
/// higher; [`Pidfile::read_pid`](crate::Pidfile::read_pid) also checks the
/// live value.
pub const PID_MAX_LIMIT: u32 = 4_194_304;

/// The most bytes a pidfile may hold: [`Pidfile`](crate::Pidfile) reads at
/// most this much plus one, and anything longer is not a pidfile at all
/// (see [`parse_pid`]). A valid file is at most eight bytes
/// (`"4194304\n"`); the margin allows leading zeros.
pub const MAX_PIDFILE_LEN: usize = 32;

/// Whether `b` may appear in something pidfile-shaped: ASCII digits,
/// blanks, signs and line ends.
const fn pidfile_byte(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b' ' | b'\t' | b'+' | b'-' | b'\n' | b'\r')
}

/// Parses pidfile contents—Strictly `<digits>\n`, the pid in `1..=`[`PID_MAX_LIMIT`],
/// and tells a broken pidfile from something that is not a pidfile at all.
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
/// Rejected contents fall in two classes, told apart by
/// [`Error::op`](crate::Error::op):
///
/// - [`Op::ParsePid`]: *pidfile-shaped but broken*—empty, or at most
///   [`MAX_PIDFILE_LEN`] (32) bytes of ASCII digits, blanks, signs and line
///   ends (`"1816"`, `" 1816\n"`, `"-1\n"`, `"0\n"`, `"99999999999\n"`).
///   A [`Pidfile`](crate::Pidfile) calls such a file
///   [`Invalid`](crate::PidStatus::Invalid) and removes it when nobody
///   holds its lock.
/// - [`Op::NotAPidfile`]: anything else—text, binary, or more than 32
///   bytes (`"worker_processes 4;\n"`, `"abc\n"`, a 5 MB file). A
///   [`Pidfile`](crate::Pidfile) calls such a file
///   [`NotAPidfile`](crate::PidStatus::NotAPidfile) and never removes or
///   replaces it: the path is a configuration mistake, and the file is
///   someone's data.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) carrying the
/// first 27 bytes of the input, with [`Op::ParsePid`] or
/// [`Op::NotAPidfile`] as above.
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
/// use daemonry::{parse_pid, ErrorKind, Op};
/// assert_eq!(parse_pid(b"1816\n")?.as_raw_nonzero().get(), 1816);
/// for broken in [&b""[..], b"1816", b" 1816\n", b"+5\n", b"-1\n", b"0\n"] {
///     let e = parse_pid(broken).unwrap_err();
///     assert_eq!((e.kind(), e.op()), (ErrorKind::InvalidInput, Op::ParsePid));
/// }
/// for foreign in [&b"abc\n"[..], b"worker_processes 4;\n", &[b'1'; 33]] {
///     assert_eq!(parse_pid(foreign).unwrap_err().op(), Op::NotAPidfile);
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_pid(contents: &[u8]) -> Result<Pid> {
    if contents.len() > MAX_PIDFILE_LEN || !contents.iter().all(|&b| pidfile_byte(b)) {
        return Err(Error::invalid(Op::NotAPidfile).with_input(contents));
    }
    let bad = || Error::invalid(Op::ParsePid).with_input(contents);
    let Some((b'\n', digits)) = contents.split_last() else {
        return Err(bad());
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    match crate::num::parse_u32(digits) {
        Some(v @ 1..=PID_MAX_LIMIT) => Pid::from_raw(v as i32).ok_or_else(bad),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn ok(s: &[u8]) -> i32 {
        parse_pid(s).unwrap().as_raw_nonzero().get()
    }

    /// Asserts that `s` is rejected with `op`, keeping it.
    fn err(s: &[u8], op: Op) {
        let e = parse_pid(s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{s:?}");
        assert_eq!(e.op(), op, "{s:?}");
        let kept = &s[..s.len().min(27)];
        assert_eq!(e.input().map(|i| i.as_bytes()), Some(kept), "{s:?}");
    }

    #[test]
    fn accepts_digits_and_newline() {
        assert_eq!(ok(b"1\n"), 1);
        assert_eq!(ok(b"1816\n"), 1816);
        assert_eq!(ok(b"0001816\n"), 1816);
        assert_eq!(ok(b"4194304\n"), 4_194_304);
        let mut zeros = [b'0'; 32];
        zeros[30] = b'7';
        zeros[31] = b'\n';
        assert_eq!(ok(&zeros), 7);
    }

    #[test]
    fn pidfile_shaped_but_broken_is_parse_pid() {
        for s in [
            &b""[..],
            b"1816",
            b"\n",
            b" 1816\n",
            b"1816 \n",
            b"+5\n",
            b"-1\n",
            b"0\n",
            b"4194305\n",
            b"99999999999\n",
            b"1816\n\n",
            b"1816\n17\n",
            b"1816\r\n",
            b"\t\t\n",
            &[b'1'; 32],
        ] {
            err(s, Op::ParsePid);
        }
    }

    #[test]
    fn anything_else_is_not_a_pidfile() {
        for s in [
            &b"1_816\n"[..],
            b"abc\n",
            "\u{661}\u{668}\u{661}\u{666}\n".as_bytes(),
            b"1816\nx",
            b"18\x0016\n",
            b"worker_processes 4;\n",
            &[b'1'; 33],
            &[0u8; 4],
        ] {
            err(s, Op::NotAPidfile);
        }
    }

    #[test]
    fn error_keeps_the_input() {
        let e = parse_pid(b"-1\n").unwrap_err();
        assert_eq!(e.input().map(|n| n.as_bytes()), Some(&b"-1\n"[..]));
    }
}
