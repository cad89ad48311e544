//! The sending side: [`Env::notify`] and [`Env::notify_barrier`].

use core::mem::MaybeUninit;
use core::time::Duration;

use rustix::event::PollFlags;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::io::{Errno, IoSlice, retry_on_intr};
use rustix::net::{
    AddressFamily, SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrUnix,
    SocketFlags, SocketType, sendmsg_addr, socket_with,
};
use rustix::pipe::{PipeFlags, pipe_with};

use crate::error::{Context, Error, Op, Result};
use crate::notify::Env;
use crate::notify::deadline::Deadline;
use crate::notify::parse::{NotifyAddr, parse_notify_socket};

impl Env<'_> {
    /// `sd_notify(3)`—Sends `state` to the service manager as one datagram
    /// on `$NOTIFY_SOCKET`.
    ///
    /// `state` is newline-separated `KEY=value` fields (`READY=1`,
    /// `STATUS=…`, `STOPPING=1`, `WATCHDOG=1`, …); build it with
    /// [`Message`](crate::notify::Message), or pass bytes. The datagram is
    /// exactly these bytes, sent from a fresh `AF_UNIX`
    /// `SOCK_DGRAM | SOCK_CLOEXEC` socket to the path, or to the abstract
    /// name when the value starts with `@` (which stands for the NUL
    /// byte). The kernel attaches our credentials, which is how the
    /// manager knows who spoke.
    ///
    /// Returns `Ok(false)`, sending nothing, when `$NOTIFY_SOCKET` is not
    /// set (not started by a service manager that listens), and `Ok(true)`
    /// once the datagram is sent. Like sd_notify, it blocks while the
    /// manager's receive queue is full.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    ///   (operation [`Op::ParseNotifySocket`]) when `$NOTIFY_SOCKET` is
    ///   neither an absolute path nor `@name` (see
    ///   [`parse_notify_socket`](crate::notify::parse_notify_socket)).
    /// - [`ErrorKind::Os`](crate::ErrorKind::Os) (operation [`Op::Notify`])
    ///   when the socket cannot be created or the datagram not sent:
    ///   `ECONNREFUSED` or `ENOENT` (nobody listens there), `EACCES`,
    ///   `EMSGSIZE`, ….
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`sd_notify(3)`](https://man7.org/linux/man-pages/man3/sd_notify.3.html),
    /// [freedesktop.org](https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::{Env, Message};
    /// use daemonry::process::CStrArrayBuf;
    /// # let dir = std::env::temp_dir().join(format!("daemonry-doc-notify-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("notify");
    /// # let _ = std::fs::remove_file(&path);
    /// # let manager = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    /// # let entry = std::ffi::CString::new(format!("NOTIFY_SOCKET={}", path.display())).unwrap();
    /// let mut envp = CStrArrayBuf::<4>::new();
    /// envp.push(&entry)?; // "NOTIFY_SOCKET=/run/…"
    /// let env = Env::new(envp.as_array());
    /// assert!(env.notify(Message::new().ready()?.status("up")?)?);
    /// # let mut buf = [0u8; 64];
    /// # let n = manager.recv(&mut buf).unwrap();
    /// # assert_eq!(&buf[..n], b"READY=1\nSTATUS=up");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "sd_notify")]
    pub fn notify(&self, state: impl AsRef<[u8]>) -> Result<bool> {
        let state = state.as_ref();
        self.with_var(b"NOTIFY_SOCKET", |value| match value {
            None => Ok(false),
            Some(value) => {
                let addr = socket_addr(value.to_bytes())?;
                send(&addr, state, None).ctx(Op::Notify)?;
                Ok(true)
            }
        })
    }

    /// `sd_notify_barrier(3)`—Waits until the service manager has read
    /// every notification sent before, or `timeout` passes.
    ///
    /// Sends `BARRIER=1` with the write end of a fresh pipe (`SCM_RIGHTS`),
    /// closes our copy, and waits until the read end reports hang-up: the
    /// manager closes the fd when it reaches the message, so everything
    /// queued before it has been processed. Use it before exiting right
    /// after a notification, so the manager can still attribute it to this
    /// process. `Ok(false)` when `$NOTIFY_SOCKET` is not set.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::Os`](crate::ErrorKind::Os) (operation
    ///   [`Op::NotifyBarrier`]) with `ETIMEDOUT` when the manager did not
    ///   close the fd within `timeout`; with the kernel's errno when the
    ///   pipe, the socket or the send fails.
    /// - As [`notify`](Env::notify) for a malformed `$NOTIFY_SOCKET`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`sd_notify_barrier(3)`](https://man7.org/linux/man-pages/man3/sd_notify_barrier.3.html),
    /// [freedesktop.org](https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use daemonry::notify::Env;
    /// use daemonry::process::CStrArray;
    /// // Without $NOTIFY_SOCKET there is nobody to wait for.
    /// assert!(!Env::new(CStrArray::EMPTY).notify_barrier(Duration::from_secs(5))?);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "sd_notify_barrier")]
    pub fn notify_barrier(&self, timeout: Duration) -> Result<bool> {
        self.with_var(b"NOTIFY_SOCKET", |value| {
            let Some(value) = value else {
                return Ok(false);
            };
            let addr = socket_addr(value.to_bytes())?;
            let deadline = Deadline::after(timeout).ctx(Op::NotifyBarrier)?;
            let (r, w) = pipe_with(PipeFlags::CLOEXEC).ctx(Op::NotifyBarrier)?;
            send(&addr, b"BARRIER=1", Some(w.as_fd())).ctx(Op::NotifyBarrier)?;
            drop(w);
            match deadline.poll(&r, PollFlags::empty()) {
                Ok(true) => Ok(true),
                Ok(false) => Err(Error::os(Op::NotifyBarrier, Errno::TIMEDOUT)),
                Err(e) => Err(Error::os(Op::NotifyBarrier, e)),
            }
        })
    }
}

/// The socket address a `$NOTIFY_SOCKET` value names.
fn socket_addr(value: &[u8]) -> Result<SocketAddrUnix> {
    let addr = match parse_notify_socket(value)? {
        // Below rustix's 256-byte stack buffer: no allocation.
        NotifyAddr::Path(path) => SocketAddrUnix::new(path),
        NotifyAddr::Abstract(name) => SocketAddrUnix::new_abstract_name(name),
    };
    // parse_notify_socket has checked the length and the NUL bytes.
    addr.map_err(|e| Error::os(Op::ParseNotifySocket, e).with_input(value))
}

/// Sends `state` (and `fd`, if any) to `addr` from a fresh socket.
fn send(addr: &SocketAddrUnix, state: &[u8], fd: Option<BorrowedFd<'_>>) -> Result<(), Errno> {
    let sock = socket_with(
        AddressFamily::UNIX,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    let iov = [IoSlice::new(state)];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds;
    if let Some(fd) = fd {
        fds = [fd];
        if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
            return Err(Errno::NOBUFS);
        }
    }
    retry_on_intr(|| sendmsg_addr(&sock, addr, &iov, &mut control, SendFlags::NOSIGNAL))?;
    Ok(())
}
