//! Small no-allocation readers for `/proc` files, shared by the modules
//! that judge processes (thread count, start times, argv bounds, ids).

use core::ffi::CStr;
use rustix::fd::AsFd;
use rustix::fs::{self, Mode, OFlags};
use rustix::io::{self, Errno};

/// Reads a whole (small) file into `buf`; `EOVERFLOW` if it does not fit.
pub(crate) fn read_file<'a>(
    path: &CStr,
    buf: &'a mut [u8],
) -> core::result::Result<&'a [u8], Errno> {
    let fd = fs::open(
        path,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )?;
    read_fd(fd.as_fd(), buf)
}

/// Reads from `fd` until EOF into `buf`; `EOVERFLOW` if it does not fit.
pub(crate) fn read_fd<Fd: AsFd>(fd: Fd, buf: &mut [u8]) -> core::result::Result<&[u8], Errno> {
    let mut len = 0;
    loop {
        let rest = buf.get_mut(len..).unwrap_or(&mut []);
        if rest.is_empty() {
            // Full: make sure there is nothing more.
            let mut probe = [0u8; 1];
            return match io::retry_on_intr(|| io::read(&fd, &mut probe))? {
                0 => Ok(buf.get(..len).unwrap_or(&[])),
                _ => Err(Errno::OVERFLOW),
            };
        }
        match io::retry_on_intr(|| io::read(&fd, &mut *rest))? {
            0 => return Ok(buf.get(..len).unwrap_or(&[])),
            n => len += n,
        }
    }
}

/// Field `n` of a `/proc/<pid>/stat` line, numbered as in proc(5): 1 is the
/// pid, 2 the comm (without parentheses), 3 the state, 22 the start time,
/// 48–51 arg_start, arg_end, env_start, env_end. The comm may hold spaces
/// and parentheses, so fields are counted from the last `)`.
pub(crate) fn stat_field(stat: &[u8], n: usize) -> Option<&[u8]> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    match n {
        0 => None,
        1 => Some(trim(stat.get(..open)?)),
        2 => stat.get(open + 1..close),
        _ => stat
            .get(close + 1..)?
            .split(|&b| b == b' ' || b == b'\n')
            .filter(|f| !f.is_empty())
            .nth(n - 3),
    }
}

/// The value of `Key:` in a `/proc/<pid>/status`-style file, trimmed.
pub(crate) fn status_field<'a>(status: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    status.split(|&b| b == b'\n').find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(b":")?;
        Some(trim(rest))
    })
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\n'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields() {
        let line = b"42 (a (b) c) S 1 42 42 0 -1 4194560 0\n";
        assert_eq!(stat_field(line, 1), Some(&b"42"[..]));
        assert_eq!(stat_field(line, 2), Some(&b"a (b) c"[..]));
        assert_eq!(stat_field(line, 3), Some(&b"S"[..]));
        assert_eq!(stat_field(line, 4), Some(&b"1"[..]));
        assert_eq!(stat_field(line, 9), Some(&b"4194560"[..]));
        assert_eq!(stat_field(line, 11), None);
        assert_eq!(stat_field(b"garbage", 3), None);
    }

    #[test]
    fn status_fields() {
        let s = b"Name:\tx\nThreads:\t3\nUid:\t0\t0\t0\t0\n";
        assert_eq!(status_field(s, b"Threads"), Some(&b"3"[..]));
        assert_eq!(status_field(s, b"Uid"), Some(&b"0\t0\t0\t0"[..]));
        assert_eq!(status_field(s, b"Gid"), None);
    }

    #[test]
    fn reads_self() {
        let mut buf = [0u8; 4096];
        let st = read_file(c"/proc/self/stat", &mut buf).unwrap();
        assert_eq!(stat_field(st, 3).map(|s| s.len()), Some(1));
        let mut tiny = [0u8; 4];
        assert_eq!(
            read_file(c"/proc/self/stat", &mut tiny),
            Err(Errno::OVERFLOW)
        );
    }
}
