//! Graceful shutdown in a `poll(2)` loop: a `SignalFd` makes SIGTERM and
//! SIGINT a readable fd beside the listening socket. No thread, no
//! handler, no timer.
//!
//! ```text
//! cargo run --example shutdown_poll -- 127.0.0.1:7777
//! kill -TERM <pid>    # "SIGTERM from pid …: shutting down", exit 0
//! ```

use daemonry::Signal;
use daemonry::signal::{self, SigSet, SignalFd, SignalFdFlags};
use rustix::event::{PollFd, PollFlags, poll};
use std::io::{self, Read, Write};
use std::net::TcpListener;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shutdown = SigSet::from_signals(&[Signal::TERM, Signal::INT]);
    signal::block(&shutdown)?;
    let signals =
        SignalFd::with_flags(&shutdown, SignalFdFlags::CLOEXEC | SignalFdFlags::NONBLOCK)?;

    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:7777"))?;
    listener.set_nonblocking(true)?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let mut fds = [
            PollFd::new(&signals, PollFlags::IN),
            PollFd::new(&listener, PollFlags::IN),
        ];
        match poll(&mut fds, None) {
            Err(rustix::io::Errno::INTR) => continue,
            other => other?,
        };
        // Non-blocking: `None` when no signal is pending.
        if let Some(info) = signals.read()? {
            let pid = info.pid().map_or(0, |p| p.as_raw_nonzero().get());
            eprintln!("{} from pid {pid}: shutting down", info.signal());
            break;
        }
        if fds[1].revents().contains(PollFlags::IN) {
            match listener.accept() {
                Ok((mut conn, _)) => {
                    // (A real server keeps each connection in the poll set.)
                    conn.set_nonblocking(false)?;
                    let mut buf = [0u8; 4096];
                    let n = conn.read(&mut buf)?;
                    conn.write_all(&buf[..n])?;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}
