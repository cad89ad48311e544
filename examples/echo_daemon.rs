//! A TCP line-echo daemon: binds 127.0.0.1:PORT while still root,
//! daemonizes holding PIDFILE locked with its output in LOGFILE, runs as
//! `nobody` under the title `[echo_daemon] 127.0.0.1:PORT`, echoes every
//! line it is sent, and exits 0 on SIGTERM or SIGINT, removing its pidfile.
//!
//! ```text
//! sudo install -d -o nobody /run/echo        # the daemon's own directory
//! sudo target/debug/examples/echo_daemon 7777 /run/echo/echo.pid /tmp/echo.log
//! echo hello | nc -q1 127.0.0.1 7777         # hello
//! sudo kill $(cat /run/echo/echo.pid)        # the pidfile goes with it
//! ```
//!
//! The launcher exits 0 once the daemon is ready, or prints why it is not
//! (a held pidfile: exit 73; any other failure, such as a missing log
//! directory: 1).
//! The pidfile's directory belongs to the daemon's user (systemd:
//! `RuntimeDirectory=` with `User=`), so that the daemon, no longer root,
//! can remove the file when it stops.

use daemonry::signal::{self, SigSet};
use daemonry::{DaemonContext, Opened, Signal, daemon::Output, set_process_title};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, port, pidfile, log] = &args[..] else {
        return Err("usage: echo_daemon PORT PIDFILE LOGFILE".into());
    };
    let addr = format!("127.0.0.1:{port}");
    let listener = TcpListener::bind(&addr)?; // as root: any port
    set_process_title("echo_daemon", Some(&addr))?; // the daemon inherits it
    let Opened::Daemon(mut daemon) = DaemonContext::new()
        .pidfile(pidfile.as_str())
        .stdout(Output::append(log.as_str()))
        .stderr(Output::append(log.as_str()))
        .keep(&listener) // the listener stays valid in the daemon
        .user("nobody") // after taking the pidfile; verified
        .ready_on_open(false)
        .open()?
    else {
        unreachable!("with OnReady::Exit only the daemon returns");
    };
    // Take SIGTERM and SIGINT as events, not deaths: block them before
    // any thread exists, then tell the launcher to exit 0.
    let shutdown = SigSet::from_signals(&[Signal::TERM, Signal::INT]);
    signal::block(&shutdown)?;
    daemon.notify_ready();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || echo(conn));
        }
    });
    let info = shutdown.wait()?;
    println!("{}: shutting down", info.signal());
    Ok(()) // `daemon` drops: the pidfile is unlocked and removed
}

fn echo(conn: TcpStream) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    for line in BufReader::new(conn).lines() {
        writeln!(out, "{}", line?)?;
    }
    Ok(())
}
