//! A tiny TCP daemon that keeps what it owns: it binds a listener and opens
//! its log before daemonizing, hands both to `DaemonContext::keep`, and
//! uses (and finally drops) them in the daemon as ordinary Rust values.
//!
//! ```text
//! cargo run --example keep_listener -- /tmp/keep_listener.pid 127.0.0.1:7878 /tmp/keep_listener.log
//! nc 127.0.0.1 7878            # "hello from <pid>"; the daemon logs it
//! nc 127.0.0.1 7878 <<< quit   # the daemon drops its values and exits
//! ```
//!
//! Errors in the daemon's set-up (a held pidfile, an unwritable log)
//! are printed by the launcher, which exits non-zero.

use std::io::{BufRead, BufReader, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(pidfile), Some(addr), Some(log)) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: keep_listener PIDFILE ADDR LOGFILE");
        std::process::exit(64);
    };
    let listener = std::net::TcpListener::bind(&addr)?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;

    // The launcher exits 0 once the daemon is ready; only the daemon
    // returns from `open`.
    let _daemon = daemonry::DaemonContext::new()
        .pidfile(pidfile.as_str())
        .keep(&listener)
        .keep(&log)
        .open()?;

    writeln!(&log, "listening on {addr}")?;
    for conn in listener.incoming() {
        let mut conn = conn?;
        let mut line = String::new();
        conn.set_read_timeout(Some(std::time::Duration::from_millis(200)))?;
        let _ = BufReader::new(&conn).read_line(&mut line);
        writeln!(conn, "hello from {}", std::process::id())?;
        writeln!(&log, "served {:?}", conn.peer_addr()?)?;
        if line.trim() == "quit" {
            break;
        }
    }
    writeln!(&log, "bye")?;
    // `listener`, `log` and the pidfile lock in `_daemon` drop here, as in
    // any Rust program: their fds were kept open across `open`.
    Ok(())
}
