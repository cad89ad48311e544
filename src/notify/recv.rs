//! The receiving side, for supervisors: [`NotifySocket`], the
//! [`Notification`]s it receives, and [`is_descendant`] to judge senders.
//!
//! # Safety
//!
//! A received datagram's control data is read from the buffer the kernel
//! wrote it into, which is zero-filled first so that every byte read is
//! initialised, and the fds it names (`SCM_RIGHTS`) are taken as owned:
//! the kernel installed them in our fd table for that one `recvmsg` and
//! nothing else has their numbers. rustix's own decoder is not used (see
//! [`parse_control`]).

#![allow(unsafe_code)]

use core::ffi::CStr;
use core::fmt;
use core::mem::MaybeUninit;
use core::time::Duration;

use rustix::event::PollFlags;
use rustix::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use rustix::io::{Errno, IoSliceMut};
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvFlags, ReturnFlags, SocketAddrUnix, SocketFlags,
    SocketType, bind, getsockname, recvmsg, socket_with, sockopt,
};
use rustix::process::{Gid, Pid, Uid};

use crate::error::{Context, Error, Op, Result};
use crate::notify::control::parse_control;
use crate::notify::deadline::Deadline;
use crate::notify::parse::{Fields, SUN_PATH_MAX, parse_message};

/// `NOTIFY_SOCKET=`, the start of [`NotifySocket::env_entry`].
const ENTRY_PREFIX: &[u8] = b"NOTIFY_SOCKET=";
/// Room for the entry: the prefix, `@` or the path's first byte, the rest
/// of `sun_path`, and a NUL.
const ENTRY_CAP: usize = ENTRY_PREFIX.len() + 1 + SUN_PATH_MAX + 1;
/// The most fds one received datagram may carry before the kernel drops
/// (closes) the rest; a barrier carries one.
const FDS_PER_MESSAGE: usize = 8;
/// Room for a datagram's control data: its credentials and
/// [`FDS_PER_MESSAGE`] fds.
const CONTROL_SPACE: usize = rustix::cmsg_space!(ScmCredentials(1), ScmRights(FDS_PER_MESSAGE));

/// The control buffer of a `recvmsg`, aligned for a `cmsghdr` on every
/// architecture (`size_t`, at most 8 bytes).
#[repr(C, align(8))]
struct ControlSpace([MaybeUninit<u8>; CONTROL_SPACE]);
const _: () = assert!(align_of::<linux_raw_sys::net::cmsghdr>() <= align_of::<ControlSpace>());

/// A private socket that receives service notifications (`sd_notify(3)`'s
/// protocol): the receiving side of `daemonry start --notify`.
///
/// It is an `AF_UNIX` `SOCK_DGRAM` socket, close-on-exec and non-blocking,
/// with `SO_PASSCRED` on, so every datagram arrives with its sender's
/// credentials (the pid is the kernel's word, not the sender's claim,
/// unless the sender holds `CAP_SYS_ADMIN`). Give the service
/// [`env_entry`](NotifySocket::env_entry) in its environment, then
/// [`wait_ready`](NotifySocket::wait_ready) for its `READY=1`.
///
/// [`new`](NotifySocket::new) binds an abstract socket with a name the
/// kernel picks (autobind): nothing on disk to clean up, reachable after a
/// `chroot` and after dropping privileges; reachable also by any other
/// process in the same network namespace, which is why senders are judged
/// by their credentials. [`bind`](NotifySocket::bind) uses a filesystem
/// path instead, removed again when the socket is dropped.
///
/// Fds that arrive with a datagram (`BARRIER=1`'s pipe, `FDSTORE=1`) are
/// closed at once: that answers a barrier, and no fd store is kept.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`sd_notify(3)`](https://man7.org/linux/man-pages/man3/sd_notify.3.html),
/// [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html)
/// (`SO_PASSCRED`, `SCM_CREDENTIALS`, autobind)
///
/// # Examples
///
/// ```
/// use core::time::Duration;
/// use daemonry::notify::{Env, MESSAGE_MAX, NotifySocket, Readiness};
/// use daemonry::process::CStrArrayBuf;
///
/// let sock = NotifySocket::new()?;
/// // What the service would see in its environment:
/// let mut envp = CStrArrayBuf::<2>::new();
/// envp.push(sock.env_entry())?;
/// Env::new(envp.as_array()).notify("READY=1\nSTATUS=listening")?;
///
/// let me = rustix::process::getpid();
/// let mut buf = [0u8; MESSAGE_MAX];
/// match sock.wait_ready(&mut buf, Duration::from_secs(5), |pid| pid == me)? {
///     Readiness::Ready(n) => assert_eq!(n.fields()?.status(), Some(&b"listening"[..])),
///     _ => panic!("not ready"),
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
pub struct NotifySocket {
    fd: OwnedFd,
    /// `NOTIFY_SOCKET=<value>` and a NUL.
    entry: [u8; ENTRY_CAP],
    entry_len: usize,
    /// The process that bound a path socket, which alone removes it.
    unlink_by: Option<Pid>,
}

impl NotifySocket {
    /// `bind(2)`—Creates a notification socket with an abstract name the
    /// kernel picks (five hex digits, unique in the network namespace).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) (operation
    /// [`Op::NotifySocket`]) when `socket(2)`, `setsockopt(SO_PASSCRED)`,
    /// `bind(2)` or `getsockname(2)` fails (`EMFILE`, `ENOMEM`, …).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html)
    /// ("Autobind feature")
    ///
    /// # Examples
    ///
    /// ```
    /// let sock = daemonry::notify::NotifySocket::new()?;
    /// assert!(sock.env_value().to_bytes().starts_with(b"@"));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn new() -> Result<NotifySocket> {
        let fd = socket().ctx(Op::NotifySocket)?;
        bind(&fd, &SocketAddrUnix::new_unnamed()).ctx(Op::NotifySocket)?;
        let any = getsockname(&fd).ctx(Op::NotifySocket)?;
        let addr = SocketAddrUnix::try_from(any).ctx(Op::NotifySocket)?;
        let name = addr
            .abstract_name()
            .ok_or(Error::os(Op::NotifySocket, Errno::AFNOSUPPORT))?;
        NotifySocket::with_value(fd, b"@", name, None)
    }

    /// `bind(2)`—Creates a notification socket at `path`, an absolute path
    /// that must not exist yet; the socket file is removed when the
    /// `NotifySocket` is dropped by the process that created it.
    ///
    /// Choose a directory only the supervisor can write to. The socket
    /// file's mode follows the umask: a service that drops privileges needs
    /// write permission on it and search permission on the directories
    /// above (an abstract socket, [`new`](NotifySocket::new), needs
    /// neither).
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    ///   (operation [`Op::NotifySocket`], with the path) when the path is
    ///   not absolute.
    /// - [`ErrorKind::Os`](crate::ErrorKind::Os) (operation
    ///   [`Op::NotifySocket`]): `EADDRINUSE` when the path exists,
    ///   `ENAMETOOLONG` past 108 bytes, `EACCES`, `ENOENT`, ….
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics (a path
    /// of 256 bytes or more, too long for `sun_path` anyway, may be copied
    /// to the heap first unless it is a `&CStr`: pass `&CStr` after fork).
    ///
    /// # References
    ///
    /// [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html),
    /// [`bind(2)`](https://man7.org/linux/man-pages/man2/bind.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::NotifySocket;
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-bind-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("notify");
    /// let sock = NotifySocket::bind(&path)?;
    /// assert_eq!(sock.env_value().to_bytes(), path.as_os_str().as_encoded_bytes());
    /// drop(sock);
    /// assert!(!path.exists());
    /// # std::fs::remove_dir(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn bind(path: impl rustix::path::Arg) -> Result<NotifySocket> {
        let addr = SocketAddrUnix::new(path).ctx(Op::NotifySocket)?;
        let path = addr.path_bytes().unwrap_or_default();
        if !path.starts_with(b"/") {
            return Err(Error::invalid(Op::NotifySocket).with_input(path));
        }
        let fd = socket().ctx(Op::NotifySocket)?;
        bind(&fd, &addr).map_err(|e| Error::os(Op::NotifySocket, e).with_input(path))?;
        NotifySocket::with_value(fd, b"", path, Some(rustix::process::getpid()))
    }

    /// Builds the environment entry; a bound path is removed on failure.
    fn with_value(
        fd: OwnedFd,
        lead: &[u8],
        name: &[u8],
        unlink_by: Option<Pid>,
    ) -> Result<NotifySocket> {
        let mut sock = NotifySocket {
            fd,
            entry: [0; ENTRY_CAP],
            entry_len: 0,
            unlink_by,
        };
        let parts = [ENTRY_PREFIX, lead, name];
        let len: usize = parts.iter().map(|p| p.len()).sum();
        // Keep room for the NUL; `name` comes from the kernel's sun_path.
        if name.contains(&0) || len >= ENTRY_CAP {
            return Err(Error::invalid(Op::NotifySocket).with_input(name));
        }
        let mut at = 0;
        for part in parts {
            if let Some(dst) = sock.entry.get_mut(at..at + part.len()) {
                dst.copy_from_slice(part);
            }
            at += part.len();
        }
        sock.entry_len = len + 1; // the NUL is already there
        Ok(sock)
    }

    /// The entry to put in the service's environment:
    /// `NOTIFY_SOCKET=@name` or `NOTIFY_SOCKET=/path`.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::NotifySocket;
    /// use daemonry::process::CStrArrayBuf;
    /// let sock = NotifySocket::new()?;
    /// let mut child_env = CStrArrayBuf::<4>::new();
    /// child_env.push(c"PATH=/usr/bin:/bin")?;
    /// child_env.push(sock.env_entry())?;
    /// let value = child_env.as_array().env_var(b"NOTIFY_SOCKET");
    /// assert_eq!(value, Some(sock.env_value()));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn env_entry(&self) -> &CStr {
        let bytes = self.entry.get(..self.entry_len).unwrap_or_default();
        CStr::from_bytes_with_nul(bytes).unwrap_or_default()
    }

    /// The value of `$NOTIFY_SOCKET` for the service: `@name` for an
    /// abstract socket (`@` stands for the leading NUL byte), or the path.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "std")] {
    /// let sock = daemonry::notify::NotifySocket::new()?;
    /// let child = std::process::Command::new("true")
    ///     .env("NOTIFY_SOCKET", sock.env_value().to_str().unwrap())
    ///     .status()
    ///     .unwrap();
    /// assert!(child.success());
    /// # }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn env_value(&self) -> &CStr {
        let bytes = self
            .entry
            .get(ENTRY_PREFIX.len()..self.entry_len)
            .unwrap_or_default();
        CStr::from_bytes_with_nul(bytes).unwrap_or_default()
    }

    /// `recvmsg(2)`—Receives one queued notification into `buf`, without
    /// waiting: `Ok(None)` when none is queued.
    ///
    /// Pass a buffer of [`MESSAGE_MAX`](crate::notify::MESSAGE_MAX) bytes; a
    /// longer datagram is cut and marked
    /// ([`is_truncated`](Notification::is_truncated)). Fds that came with
    /// it are closed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) (operation
    /// [`Op::NotifyRecv`]) when `recvmsg(2)` fails other than with `EAGAIN`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`recvmsg(2)`](https://man7.org/linux/man-pages/man2/recvmsg.2.html),
    /// [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html)
    /// (`SCM_CREDENTIALS`)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::NotifySocket;
    /// let sock = NotifySocket::new()?;
    /// let mut buf = [0u8; 64];
    /// assert!(sock.recv(&mut buf)?.is_none());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn recv<'b>(&self, buf: &'b mut [u8]) -> Result<Option<Notification<'b>>> {
        let Some(meta) = self.recv_meta(buf)? else {
            return Ok(None);
        };
        Ok(Some(meta.over(buf)))
    }

    /// [`recv`](NotifySocket::recv) without the borrow of `buf` in the result.
    fn recv_meta(&self, buf: &mut [u8]) -> Result<Option<Meta>> {
        let mut space = ControlSpace([MaybeUninit::new(0); CONTROL_SPACE]);
        let mut control = RecvAncillaryBuffer::new(&mut space.0);
        let mut iov = [IoSliceMut::new(buf)];
        let flags = RecvFlags::DONTWAIT | RecvFlags::CMSG_CLOEXEC | RecvFlags::TRUNC;
        let msg = loop {
            match recvmsg(&self.fd, &mut iov, &mut control, flags) {
                Ok(msg) => break msg,
                Err(Errno::INTR) => continue,
                // Nothing was received: `control` is empty, and its drop
                // decodes nothing.
                Err(Errno::AGAIN) => return Ok(None),
                Err(e) => return Err(Error::os(Op::NotifyRecv, e)),
            }
        };
        // Never let rustix decode what the kernel wrote (its drop would):
        // it reads SCM_CREDENTIALS into a non-zero pid type, and the kernel
        // writes pid 0 for a sender outside our pid namespace.
        core::mem::forget(control);
        // SAFETY: every byte of `space` was initialised (to 0) above, and
        // the kernel stores only plain bytes into it; `space` is no longer
        // borrowed (`control` was consumed).
        let bytes: &[u8] =
            unsafe { core::slice::from_raw_parts(space.0.as_ptr().cast::<u8>(), CONTROL_SPACE) };
        // rustix starts the messages at the buffer's first `cmsghdr`
        // boundary, its very start (`ControlSpace` is aligned for one).
        let creds = parse_control(bytes, |fd| {
            // SAFETY: the kernel installed this fd in our table for this
            // `recvmsg` (the control data is the kernel's, not the
            // sender's); nothing else knows it, so we own it. Closing it
            // answers a barrier; no fd store is kept.
            drop(unsafe { OwnedFd::from_raw_fd(fd) });
        });
        Ok(Some(Meta {
            pid: creds.and_then(|c| c.pid),
            uid: creds.map(|c| c.uid),
            gid: creds.map(|c| c.gid),
            size: msg.bytes,
            truncated: msg.flags.contains(ReturnFlags::TRUNC),
        }))
    }

    /// `poll(2)`, `recvmsg(2)`—Waits up to `timeout` for a `READY=1`
    /// notification from a sender `accept` approves.
    ///
    /// Every queued and arriving datagram is read (and its fds closed, which
    /// answers barriers). One that says `READY=1` (see
    /// [`Fields::is_ready`]) counts when it carries the sender's pid and
    /// `accept(pid)` returns `true`; the usual `accept` approves the
    /// service's pid and its descendants ([`is_descendant`]). Datagrams
    /// from other senders, without `READY=1`, truncated, or holding a NUL
    /// byte are skipped. Returns the accepted notification, in `buf`, or
    /// [`Readiness::TimedOut`] once `timeout` has passed without one.
    ///
    /// Only the `READY=1` datagram is returned: `STATUS=` or `MAINPID=` sent
    /// in an earlier datagram are skipped with it. To watch something else
    /// at the same time (the service's exit), poll
    /// [`as_fd`](AsFd::as_fd) yourself and call
    /// [`recv`](NotifySocket::recv).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) (operation
    /// [`Op::NotifyRecv`]) when `poll(2)` or `recvmsg(2)` fails.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics, provided
    /// `accept` has none either ([`is_descendant`] has none).
    ///
    /// # References
    ///
    /// [`sd_notify(3)`](https://man7.org/linux/man-pages/man3/sd_notify.3.html),
    /// [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use daemonry::notify::{NotifySocket, Readiness};
    /// let sock = NotifySocket::new()?;
    /// let mut buf = [0u8; daemonry::notify::MESSAGE_MAX];
    /// let r = sock.wait_ready(&mut buf, Duration::from_millis(10), |_| true)?;
    /// assert!(matches!(r, Readiness::TimedOut));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn wait_ready<'b>(
        &self,
        buf: &'b mut [u8],
        timeout: Duration,
        mut accept: impl FnMut(Pid) -> bool,
    ) -> Result<Readiness<'b>> {
        let deadline = Deadline::after(timeout).ctx(Op::NotifyRecv)?;
        loop {
            while let Some(meta) = self.recv_meta(buf)? {
                let n = meta.over(buf);
                let ready = n.fields().is_ok_and(|f| f.is_ready());
                if ready && n.pid().is_some_and(&mut accept) {
                    return Ok(Readiness::Ready(meta.over(buf)));
                }
            }
            if !deadline.poll(&self.fd, PollFlags::IN).ctx(Op::NotifyRecv)? {
                return Ok(Readiness::TimedOut);
            }
        }
    }
}

/// A `CLOEXEC | NONBLOCK` datagram socket with `SO_PASSCRED` on.
fn socket() -> core::result::Result<OwnedFd, Errno> {
    let fd = socket_with(
        AddressFamily::UNIX,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )?;
    sockopt::set_socket_passcred(&fd, true)?;
    Ok(fd)
}

impl AsFd for NotifySocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Drop for NotifySocket {
    fn drop(&mut self) {
        // Only the creator: a forked child that drops its copy must not
        // remove the parent's socket.
        if self.unlink_by == Some(rustix::process::getpid()) {
            let _ = rustix::fs::unlink(self.env_value());
        }
    }
}

impl fmt::Debug for NotifySocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifySocket")
            .field("fd", &self.fd)
            .field("env_value", &self.env_value())
            .finish()
    }
}

/// What [`NotifySocket::wait_ready`] saw.
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
#[must_use]
pub enum Readiness<'b> {
    /// An accepted sender said `READY=1`; this is its notification.
    Ready(Notification<'b>),
    /// The timeout passed first.
    TimedOut,
}

/// A received notification datagram and its sender's credentials.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::notify::{Env, NotifySocket};
/// use daemonry::process::CStrArrayBuf;
/// let sock = NotifySocket::new()?;
/// let mut envp = CStrArrayBuf::<2>::new();
/// envp.push(sock.env_entry())?;
/// Env::new(envp.as_array()).notify("STATUS=warming up")?;
///
/// let mut buf = [0u8; daemonry::notify::MESSAGE_MAX];
/// let n = sock.recv(&mut buf)?.expect("queued");
/// assert_eq!(n.pid(), Some(rustix::process::getpid()));
/// assert_eq!(n.uid(), Some(rustix::process::getuid()));
/// assert_eq!(n.as_bytes(), b"STATUS=warming up");
/// assert!(!n.is_truncated());
/// assert_eq!(n.fields()?.status(), Some(&b"warming up"[..]));
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Notification<'b> {
    meta: Meta,
    bytes: &'b [u8],
}

/// A [`Notification`] without its bytes.
#[derive(Clone, Copy, Debug)]
struct Meta {
    pid: Option<Pid>,
    uid: Option<Uid>,
    gid: Option<Gid>,
    /// The datagram's full size.
    size: usize,
    truncated: bool,
}

impl Meta {
    fn over(self, buf: &[u8]) -> Notification<'_> {
        Notification {
            meta: self,
            bytes: buf.get(..self.size).unwrap_or(buf),
        }
    }
}

impl<'b> Notification<'b> {
    /// The sender's pid (`SCM_CREDENTIALS`), as seen from this pid
    /// namespace; `None` when the kernel cannot name the sender here (it
    /// runs in a sibling or parent pid namespace), so such a notification
    /// never counts in [`wait_ready`](NotifySocket::wait_ready).
    ///
    /// [`Notification`]'s example reads it.
    pub const fn pid(&self) -> Option<Pid> {
        self.meta.pid
    }

    /// The sender's user id.
    ///
    /// [`Notification`]'s example reads it.
    pub const fn uid(&self) -> Option<Uid> {
        self.meta.uid
    }

    /// The sender's group id.
    ///
    /// [`Notification`]'s example reads it.
    pub const fn gid(&self) -> Option<Gid> {
        self.meta.gid
    }

    /// The received bytes (cut at the buffer's end when truncated).
    ///
    /// [`Notification`]'s example reads it.
    pub const fn as_bytes(&self) -> &'b [u8] {
        self.bytes
    }

    /// Whether the datagram was longer than the buffer.
    ///
    /// [`Notification`]'s example reads it.
    pub const fn is_truncated(&self) -> bool {
        self.meta.truncated
    }

    /// The datagram's fields ([`parse_message`](crate::notify::parse_message)).
    /// [`Notification`]'s example reads them.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall)
    ///   (with the datagram's size) when it was truncated.
    /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when it
    ///   holds a NUL byte.
    pub fn fields(&self) -> Result<Fields<'b>> {
        if self.meta.truncated {
            return Err(Error::buffer_too_small(Op::NotifyMessage, self.meta.size));
        }
        parse_message(self.bytes)
    }
}

/// The deepest process tree [`is_descendant`] climbs.
const MAX_DEPTH: usize = 4096;

/// Reads `/proc/<pid>/stat`—Whether `pid` is `ancestor` or descends from
/// it, following parent pids.
///
/// Climbs from `pid` through each process's parent (field 4 of
/// `/proc/<pid>/stat`) until it meets `ancestor` (`true`) or runs out: pid
/// 1 or 0 as parent, a process that is gone, or 4096 levels (`false`). A
/// process whose parent died has been re-parented to a subreaper or pid 1,
/// so it no longer counts as a descendant of its original ancestor; and,
/// as with every pid, one that died may be reused meanwhile.
///
/// # Errors
///
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) (operation
///   [`Op::IsDescendant`]) when `/proc/<pid>/stat` cannot be read for a
///   reason other than the process being gone (`EACCES`, no `/proc`).
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when its
///   contents cannot be parsed.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`proc_pid_stat(5)`](https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html)
///
/// # Examples
///
/// ```
/// use daemonry::notify::is_descendant;
/// let me = rustix::process::getpid();
/// let parent = rustix::process::getppid().unwrap();
/// assert!(is_descendant(me, me)?);
/// assert!(is_descendant(me, parent)?);
/// assert!(!is_descendant(parent, me)?);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn is_descendant(pid: Pid, ancestor: Pid) -> Result<bool> {
    let mut p = pid;
    for _ in 0..MAX_DEPTH {
        if p == ancestor {
            return Ok(true);
        }
        let raw = p.as_raw_nonzero().get().unsigned_abs();
        let mut buf = [0u8; 1024];
        let path = crate::cstr::proc_path(Some(raw), b"stat");
        let path = path.as_cstr().map_err(|e| Error::os(Op::IsDescendant, e))?;
        let stat = match crate::procfs::read_file(path, &mut buf) {
            Ok(s) => s,
            Err(Errno::NOENT | Errno::SRCH) => return Ok(false),
            Err(e) => return Err(Error::os(Op::IsDescendant, e).with_input(path.to_bytes())),
        };
        let ppid = crate::procfs::stat_field(stat, 4)
            .and_then(crate::num::parse_u32)
            .ok_or_else(|| Error::invalid(Op::IsDescendant).with_input(path.to_bytes()))?;
        match i32::try_from(ppid).ok().and_then(Pid::from_raw) {
            Some(parent) => p = parent,
            None => return Ok(false), // pid 1 and kernel threads have parent 0
        }
    }
    Ok(false)
}
