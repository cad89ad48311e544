//! Bench competitor: daemonizes with daemonry's `DaemonContext`, holding
//! the pidfile given as the first argument, then idles until killed.
//! Built and run by `benches/daemon.rs`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        std::process::exit(64)
    };
    match daemonry::DaemonContext::new().pidfile(path.as_str()).open() {
        Ok(daemonry::Opened::Daemon(_d)) => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        Ok(daemonry::Opened::Original(_)) => {}
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1)
        }
    }
}
