//! Graceful shutdown with threads: SIGTERM and SIGINT are blocked first
//! thing in `main` (threads inherit the mask), and one thread takes them
//! with `SigSet::wait`, stops the accept loop and wakes it.
//!
//! ```text
//! cargo run --example shutdown_threads -- 127.0.0.1:7777
//! kill -TERM <pid>    # "SIGTERM from pid …: shutting down", exit 0
//! ```

use daemonry::{
    Signal,
    signal::{self, SigSet},
};
use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shutdown = SigSet::from_signals(&[Signal::TERM, Signal::INT]);
    signal::block(&shutdown)?; // before any thread

    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:7777"))?;
    let addr = listener.local_addr()?;
    println!("listening on {addr}");
    let stop = Arc::new(AtomicBool::new(false));
    let waiter = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || -> daemonry::Result<()> {
            let info = shutdown.wait()?; // takes the signal: no handler
            let pid = info.pid().map_or(0, |p| p.as_raw_nonzero().get());
            eprintln!("{} from pid {pid}: shutting down", info.signal());
            stop.store(true, Ordering::SeqCst);
            let _ = TcpStream::connect(addr); // wake the accept() below
            Ok(())
        })
    };
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let mut conn = conn?;
        std::thread::spawn(move || -> io::Result<u64> {
            let mut reader = conn.try_clone()?;
            io::copy(&mut reader, &mut conn)
        });
    }
    waiter.join().map_err(|_| "the signal thread panicked")??;
    Ok(())
}
