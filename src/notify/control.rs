//! The control data of a received datagram (`cmsg(3)`), read by a pure
//! parser: the sender's credentials (`SCM_CREDENTIALS`) and the fds that
//! came with it (`SCM_RIGHTS`).
//!
//! [`NotifySocket`](super::NotifySocket) does not let rustix decode it:
//! rustix reads `SCM_CREDENTIALS` into a `UCred` whose `pid` is a
//! non-zero type, and the kernel writes pid 0 for a sender it cannot name
//! in our pid namespace (a process in a sibling or parent namespace that
//! shares our network namespace, which can reach an abstract socket).
//! Such a value is undefined behaviour in Rust; here it is `pid: None`.

use linux_raw_sys::net::{SCM_CREDENTIALS, SCM_RIGHTS, SOL_SOCKET, cmsghdr, ucred};
use rustix::fd::RawFd;
use rustix::process::{Gid, Pid, Uid};

use core::mem::{offset_of, size_of};

/// The sender's credentials, as the kernel reported them with a datagram
/// (`SCM_CREDENTIALS`, on a socket with `SO_PASSCRED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials {
    /// The sender's pid in our pid namespace; `None` when the kernel
    /// reported 0: the sender is in a pid namespace ours cannot see.
    pub pid: Option<Pid>,
    /// The sender's user id (in our user namespace).
    pub uid: Uid,
    /// The sender's group id (in our user namespace).
    pub gid: Gid,
}

/// `CMSG_ALIGN`: control messages start on `long` boundaries; `None`
/// past the address space.
const fn align(len: usize) -> Option<usize> {
    let a = size_of::<usize>();
    match len.checked_add(a - 1) {
        Some(v) => Some(v & !(a - 1)),
        None => None,
    }
}

/// The bytes of a header before the data (`CMSG_LEN(0)`): the header is
/// a whole number of `long`s already.
const HEADER: usize = size_of::<cmsghdr>();
const _: () = assert!(HEADER.is_multiple_of(size_of::<usize>()));

/// A native-endian `usize` at `at`, if `buf` holds one there.
fn read_usize(buf: &[u8], at: usize) -> Option<usize> {
    let bytes = buf.get(at..at.checked_add(size_of::<usize>())?)?;
    Some(usize::from_ne_bytes(bytes.try_into().ok()?))
}

/// A native-endian `u32` at `at`, if `buf` holds one there.
fn read_u32(buf: &[u8], at: usize) -> Option<u32> {
    let bytes = buf.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes(bytes.try_into().ok()?))
}

/// Walks the control messages in `control`—the control buffer of a
/// `recvmsg(2)`: its first `msg_controllen` bytes, or the whole of a
/// zero-filled buffer the kernel wrote into—and returns the credentials
/// of the last `SCM_CREDENTIALS` message, passing every fd of the
/// `SCM_RIGHTS` messages to `on_fd` (which owns it from then on: close
/// it, or keep it).
///
/// A pid of 0 (a sender outside our pid namespace) is `pid: None`, never
/// a [`Pid`]. The walk ends at the buffer's end, at a header whose length
/// is shorter than a header (a zeroed tail), or at one that claims more
/// bytes than remain (a truncated message: only its whole fds are
/// passed). Messages of other levels and types are skipped. Pure: no
/// system call, no allocation, no panic, whatever the bytes.
///
/// # Async-signal safety
///
/// Safe between fork and exec, as far as `on_fd` is.
///
/// # References
///
/// [`cmsg(3)`](https://man7.org/linux/man-pages/man3/cmsg.3.html),
/// [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html)
/// (`SCM_RIGHTS`, `SCM_CREDENTIALS`)
///
/// # Examples
///
/// ```
/// use daemonry::notify::parse_control;
/// // One SCM_CREDENTIALS message as a 64-bit kernel writes it: pid 0
/// // (a sender outside our pid namespace), uid 1000, gid 100.
/// # if cfg!(target_pointer_width = "64") {
/// let mut msg = Vec::new();
/// msg.extend_from_slice(&28usize.to_ne_bytes()); // cmsg_len: header + 12
/// msg.extend_from_slice(&1i32.to_ne_bytes()); // SOL_SOCKET
/// msg.extend_from_slice(&2i32.to_ne_bytes()); // SCM_CREDENTIALS
/// for v in [0u32, 1000, 100] {
///     msg.extend_from_slice(&v.to_ne_bytes());
/// }
/// let creds = parse_control(&msg, |_| {}).expect("credentials");
/// assert_eq!(creds.pid, None);
/// assert_eq!(creds.uid.as_raw(), 1000);
/// # }
/// ```
pub fn parse_control(control: &[u8], mut on_fd: impl FnMut(RawFd)) -> Option<Credentials> {
    let mut creds = None;
    let mut at = 0usize;
    while let Some(len) = read_usize(control, at + offset_of!(cmsghdr, cmsg_len)) {
        let (Some(level), Some(kind)) = (
            read_u32(control, at + offset_of!(cmsghdr, cmsg_level)),
            read_u32(control, at + offset_of!(cmsghdr, cmsg_type)),
        ) else {
            break;
        };
        if len < HEADER {
            break;
        }
        // What the message's data holds within the buffer.
        let end = at.saturating_add(len).min(control.len());
        let data = control.get(at + HEADER..end).unwrap_or(&[]);
        if level == SOL_SOCKET {
            if kind == SCM_RIGHTS {
                for fd in data.chunks_exact(size_of::<RawFd>()) {
                    if let Ok(fd) = fd.try_into() {
                        on_fd(RawFd::from_ne_bytes(fd));
                    }
                }
            } else if kind == SCM_CREDENTIALS && data.len() >= size_of::<ucred>() {
                let field = |offset| read_u32(data, offset);
                if let (Some(pid), Some(uid), Some(gid)) = (
                    field(offset_of!(ucred, pid)),
                    field(offset_of!(ucred, uid)),
                    field(offset_of!(ucred, gid)),
                ) {
                    creds = Some(Credentials {
                        pid: Pid::from_raw(pid as i32),
                        uid: Uid::from_raw(uid),
                        gid: Gid::from_raw(gid),
                    });
                }
            }
        }
        match align(len).and_then(|n| at.checked_add(n)) {
            Some(next) if next > at && next < control.len() => at = next,
            _ => break,
        }
    }
    creds
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn message(level: u32, kind: u32, data: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&(HEADER + data.len()).to_ne_bytes());
        m.extend_from_slice(&level.to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.resize(HEADER, 0);
        m.extend_from_slice(data);
        m.resize(align(m.len()).unwrap(), 0);
        m
    }

    fn creds(pid: i32, uid: u32, gid: u32) -> Vec<u8> {
        let mut d = Vec::new();
        for v in [pid as u32, uid, gid] {
            d.extend_from_slice(&v.to_ne_bytes());
        }
        message(SOL_SOCKET, SCM_CREDENTIALS, &d)
    }

    fn rights(fds: &[i32]) -> Vec<u8> {
        let d: Vec<u8> = fds.iter().flat_map(|f| f.to_ne_bytes()).collect();
        message(SOL_SOCKET, SCM_RIGHTS, &d)
    }

    fn parse(buf: &[u8]) -> (Option<Credentials>, Vec<i32>) {
        let mut fds = Vec::new();
        let c = parse_control(buf, |fd| fds.push(fd));
        (c, fds)
    }

    #[test]
    fn credentials_and_fds_in_either_order() {
        let want = Credentials {
            pid: Pid::from_raw(4242),
            uid: Uid::from_raw(1000),
            gid: Gid::from_raw(100),
        };
        let both = [creds(4242, 1000, 100), rights(&[7, 8, 9])].concat();
        assert_eq!(parse(&both), (Some(want), std::vec![7, 8, 9]));
        let mut swapped = [rights(&[5]), creds(4242, 1000, 100)].concat();
        assert_eq!(parse(&swapped), (Some(want), std::vec![5]));
        // A zeroed tail (a larger buffer than the kernel filled) ends it.
        swapped.resize(swapped.len() + 64, 0);
        assert_eq!(parse(&swapped), (Some(want), std::vec![5]));
    }

    #[test]
    fn pid_zero_is_none_not_a_pid() {
        let (c, _) = parse(&creds(0, 0, 0));
        let c = c.expect("credentials");
        assert_eq!(c.pid, None);
        assert_eq!(c.uid, Uid::ROOT);
        assert_eq!(c.gid, Gid::ROOT);
    }

    #[test]
    fn short_truncated_and_foreign_messages() {
        assert_eq!(parse(&[]), (None, std::vec![]));
        assert_eq!(parse(&[0u8; 64]), (None, std::vec![]));
        // A header alone, shorter than a header, or cut short.
        let full = creds(1, 2, 3);
        for cut in 0..full.len() {
            let (c, fds) = parse(&full[..cut]);
            assert!(fds.is_empty(), "{cut}");
            if cut < HEADER + 12 {
                assert_eq!(c, None, "{cut}");
            }
        }
        // A truncated SCM_RIGHTS passes its whole fds only.
        let r = rights(&[3, 4]);
        assert_eq!(parse(&r[..HEADER + 6]).1, std::vec![3]);
        // Other levels and types are skipped, the walk goes on.
        let other = [message(41, SCM_RIGHTS, &[1, 0, 0, 0]), rights(&[6])].concat();
        assert_eq!(parse(&other).1, std::vec![6]);
        let other = [message(SOL_SOCKET, 99, &[1, 2, 3]), creds(9, 9, 9)].concat();
        assert_eq!(parse(&other).0.and_then(|c| c.pid), Pid::from_raw(9));
        // A length that claims more than the buffer, or wraps.
        let mut huge = rights(&[3]);
        huge[..size_of::<usize>()].copy_from_slice(&usize::MAX.to_ne_bytes());
        huge.truncate(HEADER + 4);
        assert_eq!(parse(&huge).1, std::vec![3]);
    }
}
