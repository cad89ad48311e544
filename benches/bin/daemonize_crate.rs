//! Bench competitor: daemonizes with the `daemonize` crate (0.5), which
//! writes the pidfile given as the first argument, then idles until killed.
//! Built and run by `benches/daemon.rs`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        std::process::exit(64)
    };
    match daemonize::Daemonize::new().pid_file(path).start() {
        Ok(()) => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1)
        }
    }
}
