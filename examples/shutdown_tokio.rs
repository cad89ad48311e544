//! Graceful shutdown with tokio: the signals are blocked *before* the
//! runtime starts its threads (so not with `#[tokio::main]`), and a
//! non-blocking `SignalFd` is registered with the reactor as an `AsyncFd`.
//!
//! ```text
//! cargo run --example shutdown_tokio -- 127.0.0.1:7777
//! kill -TERM <pid>    # "SIGTERM from pid …: shutting down", exit 0
//! ```

#![allow(unsafe_code)] // tokio's `AsyncFd::register_with_interest` is `unsafe`.

use daemonry::Signal;
use daemonry::signal::{self, SigInfo, SigSet, SignalFd, SignalFdFlags};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::net::TcpListener;

/// The next signal the `SignalFd` has for us.
async fn next_signal(signals: &AsyncFd<SignalFd>) -> std::io::Result<SigInfo> {
    loop {
        let mut ready = signals.readable().await?;
        match ready.get_inner().read() {
            Ok(Some(info)) => return Ok(info),
            Ok(None) => ready.clear_ready(), // spurious wake-up
            Err(e) => return Err(e.into()),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shutdown = SigSet::from_signals(&[Signal::TERM, Signal::INT]);
    signal::block(&shutdown)?; // before the runtime's threads exist
    let addr = std::env::args().nth(1);
    let addr = addr.as_deref().unwrap_or("127.0.0.1:7777");
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let sfd =
            SignalFd::with_flags(&shutdown, SignalFdFlags::CLOEXEC | SignalFdFlags::NONBLOCK)?;
        // SAFETY: a SignalFd owns its fd, which stays open and the same
        // until it is dropped. (tokio before 1.54: `AsyncFd::new(sfd)?`.)
        let signals = unsafe { AsyncFd::register_with_interest(sfd, Interest::READABLE) }?;
        let listener = TcpListener::bind(addr).await?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (mut conn, _) = accepted?;
                    tokio::spawn(async move {
                        let (mut r, mut w) = conn.split();
                        tokio::io::copy(&mut r, &mut w).await
                    });
                }
                info = next_signal(&signals) => {
                    let info = info?;
                    let pid = info.pid().map_or(0, |p| p.as_raw_nonzero().get());
                    eprintln!("{} from pid {pid}: shutting down", info.signal());
                    break;
                }
            }
        }
        Ok(())
    })
}
