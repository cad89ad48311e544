//! The echo daemon of `examples/echo_daemon.rs` without std, an allocator
//! or threads: `no_std_echo PORT PIDFILE LOGFILE`, run as root, binds
//! 127.0.0.1:PORT, daemonizes holding PIDFILE locked with its output in
//! LOGFILE, runs as `nobody` under the title `[no_std_echo] 127.0.0.1:PORT`,
//! echoes what it is sent, and exits 0 on SIGTERM or SIGINT, removing its
//! pidfile (whose directory belongs to `nobody`, as in the std example).
//!
//! One `poll(2)` loop does everything: a `SignalFd` turns the shutdown
//! signals into a readable fd beside the sockets, so the daemon never
//! blocks where SIGTERM cannot reach it and never polls on a timer. It
//! serves one connection at a time (a server with many keeps them all in
//! the poll set). The C runtime starts the program and calls `main`;
//! nothing else of libc is used, except `signalfd(3)` by daemonry until its
//! own raw wrapper lands.

#![no_std]
#![no_main]

use core::ffi::{CStr, c_char, c_int};
use core::fmt::{self, Write};
use daemonry::daemon::{Daemon, Output};
use daemonry::process::{EX_FAILURE, EX_USAGE};
use daemonry::signal::{self, SigSet, SignalFd, SignalFdFlags};
use daemonry::{DaemonContext, Opened, Signal, set_process_title};
use rustix::event::{PollFd, PollFlags, poll};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::{
    self, AddressFamily, Ipv4Addr, SendFlags, SocketAddrV4, SocketFlags, SocketType,
};

// Link the C library: its start-up code calls `main` below.
#[link(name = "c")]
unsafe extern "C" {}

/// The program's entry, called by the C runtime's start-up code.
#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY: the C runtime passes `argc` valid pointers in `argv`, each to
    // a NUL-terminated string that lives as long as the process.
    let args = unsafe { core::slice::from_raw_parts(argv, argc as usize) };
    // SAFETY: as above.
    let arg = |i: usize| args.get(i).map(|&p| unsafe { CStr::from_ptr(p) });
    let result = match (arg(1), arg(2), arg(3)) {
        (Some(port), Some(pidfile), Some(log)) => start(port, pidfile, log)
            .and_then(|(daemon, listener, port)| serve(daemon, &listener, port)),
        _ => Err(Fail::Usage),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(Fd::stderr(), "no_std_echo: {e}");
            if matches!(e, Fail::Usage) {
                EX_USAGE
            } else {
                EX_FAILURE
            }
        }
    }
}

/// Binds the listener (as root), then daemonizes: only the daemon
/// returns. The launcher exits 0 once the daemon is ready, or prints the
/// daemon's error and exits non-zero.
fn start(port: &CStr, pidfile: &CStr, log: &CStr) -> Result<(Daemon, OwnedFd, u16), Fail> {
    let port: u16 = port
        .to_str()
        .ok()
        .and_then(|p| p.parse().ok())
        .ok_or(Fail::Usage)?;
    let listener = listen(port)?;
    let opened = DaemonContext::new()
        .pidfile(pidfile)
        .stdout(Output::append(log))
        .stderr(Output::append(log))
        .keep(&listener) // stays open (and owned) in the daemon
        .user("nobody") // after taking the pidfile; verified
        .ready_on_open(false) // ready once `serve` has set up
        .open()?;
    match opened {
        Opened::Daemon(daemon) => Ok((daemon, listener, port)),
        Opened::Original(_) => unreachable!("with OnReady::Exit the launcher exits in open()"),
    }
}

/// A listening TCP socket on 127.0.0.1:`port`.
fn listen(port: u16) -> Result<OwnedFd, Fail> {
    let fd = net::socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(Fail::net("socket"))?;
    net::sockopt::set_socket_reuseaddr(&fd, true).map_err(Fail::net("SO_REUSEADDR"))?;
    net::bind(&fd, &SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).map_err(Fail::net("bind"))?;
    net::listen(&fd, 16).map_err(Fail::net("listen"))?;
    Ok(fd)
}

/// The daemon: sets its title and signals up (a failure there still
/// reaches the launcher), reports ready, and echoes until a shutdown
/// signal arrives.
fn serve(mut daemon: Daemon, listener: &OwnedFd, port: u16) -> Result<(), Fail> {
    let signals = match set_up(port) {
        Ok(signals) => signals,
        Err(e) => daemon.fail(e), // the launcher prints it and exits 1
    };
    daemon.notify_ready();
    let mut buf = [0u8; 4096];
    'serve: while readable(&signals, listener)? {
        let Ok(conn) = net::accept_with(listener, SocketFlags::CLOEXEC) else {
            continue; // e.g. ECONNABORTED: the client gave up already
        };
        loop {
            if !readable(&signals, &conn)? {
                break 'serve;
            }
            match rustix::io::read(&conn, &mut buf) {
                Ok(0) | Err(_) => break, // the client is done
                Ok(n) => {
                    if send_all(&conn, &buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
    }
    Ok(()) // `daemon` drops: the pidfile is unlocked and removed
}

/// The title, the shutdown signals blocked, and a `SignalFd` for them.
fn set_up(port: u16) -> daemonry::Result<SignalFd> {
    // The title is built on the stack: the argv strings it overwrites must
    // not be borrowed any more (see `set_process_title`).
    let mut addr = StackStr::<24>::new();
    let _ = write!(addr, "127.0.0.1:{port}");
    set_process_title("no_std_echo", Some(addr.as_str()))?;
    let shutdown = SigSet::from_signals(&[Signal::TERM, Signal::INT]);
    signal::block(&shutdown)?;
    SignalFd::with_flags(&shutdown, SignalFdFlags::CLOEXEC | SignalFdFlags::NONBLOCK)
}

/// Waits until `fd` is readable (`true`) or a shutdown signal was taken
/// (`false`).
fn readable(signals: &SignalFd, fd: &impl AsFd) -> Result<bool, Fail> {
    loop {
        let mut fds = [
            PollFd::new(signals, PollFlags::IN),
            PollFd::new(fd, PollFlags::IN),
        ];
        match poll(&mut fds, None) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(Fail::Net("poll", e)),
        }
        if let Some(info) = signals.read()? {
            let _ = writeln!(Fd::stdout(), "{}: shutting down", info.signal());
            return Ok(false);
        }
        if !fds[1].revents().is_empty() {
            return Ok(true);
        }
    }
}

/// Sends all of `buf`; `MSG_NOSIGNAL`, because without std nothing ignores
/// SIGPIPE, and a client that went away must not kill the daemon.
fn send_all(conn: &OwnedFd, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        let n = net::send(conn, buf, SendFlags::NOSIGNAL)?;
        buf = buf.get(n..).unwrap_or_default();
    }
    Ok(())
}

/// Why the program failed.
enum Fail {
    Usage,
    Net(&'static str, Errno),
    Daemonry(daemonry::Error),
}

impl Fail {
    fn net(what: &'static str) -> impl FnOnce(Errno) -> Fail {
        move |e| Fail::Net(what, e)
    }
}

impl From<daemonry::Error> for Fail {
    fn from(e: daemonry::Error) -> Fail {
        Fail::Daemonry(e)
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fail::Usage => f.write_str("usage: no_std_echo PORT PIDFILE LOGFILE"),
            Fail::Net(what, e) => write!(f, "{what}: {}", daemonry::errno::name(*e).unwrap_or("?")),
            Fail::Daemonry(e) => e.fmt(f),
        }
    }
}

/// `write!` to stdout or stderr (the log, in the daemon).
struct Fd(BorrowedFd<'static>);

impl Fd {
    fn stdout() -> Fd {
        // SAFETY: fds 0, 1 and 2 are open for the whole program: the C
        // runtime's convention in the launcher; `DaemonContext` put the log
        // there in the daemon.
        Fd(unsafe { rustix::stdio::stdout() })
    }

    fn stderr() -> Fd {
        // SAFETY: as for `stdout`.
        Fd(unsafe { rustix::stdio::stderr() })
    }
}

impl Write for Fd {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut bytes = s.as_bytes();
        while !bytes.is_empty() {
            let n = rustix::io::write(self.0, bytes).map_err(|_| fmt::Error)?;
            bytes = bytes.get(n..).unwrap_or_default();
        }
        Ok(())
    }
}

/// A string formatted on the stack (there is no allocator).
struct StackStr<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackStr<N> {
    fn new() -> Self {
        StackStr {
            buf: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        let bytes = self.buf.get(..self.len).unwrap_or_default();
        core::str::from_utf8(bytes).unwrap_or_default()
    }
}

impl<const N: usize> Write for StackStr<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    daemonry::process::exit_immediately(101)
}

/// Never called (panics abort), but the precompiled `core` of an
/// unoptimised build still names it.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}
