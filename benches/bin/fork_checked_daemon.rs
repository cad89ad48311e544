//! Bench competitor: daemonizes with the `fork` crate's `checked_daemon`
//! (0.11); the daemon writes the pidfile given as the first argument, then
//! reports ready and idles until killed. Built and run by
//! `benches/daemon.rs`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        std::process::exit(64)
    };
    let mut opts = fork::DaemonOptions::new();
    opts.current_directory("/").expect("cwd");
    opts.redirect_standard_io_to_null().expect("null");
    match fork::checked_daemon(opts, std::time::Duration::from_secs(5)) {
        Ok(fork::CheckedDaemon::Daemon(notifier)) => {
            let pid = std::process::id();
            std::fs::write(&path, format!("{pid}\n")).expect("write pidfile");
            notifier.notify_ready().expect("ready");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        Ok(fork::CheckedDaemon::Parent(_)) => {}
        Err(e) => {
            eprintln!("{e:?}");
            std::process::exit(1)
        }
    }
}
