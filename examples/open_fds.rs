//! Lists this process's open fds (with what they point at) and, with
//! `--errno`, the errno table.
//!
//! ```text
//! cargo run --example open_fds
//! cargo run --example open_fds -- --errno
//! ```

fn main() -> Result<(), daemonkit::Error> {
    if std::env::args().any(|a| a == "--errno") {
        for (e, name, desc) in daemonkit::errno::all() {
            println!("{} {name} {desc}", e.raw_os_error());
        }
        return Ok(());
    }
    let fds = daemonkit::open_fds()?;
    let probing = fds.is_probing();
    for fd in fds {
        let target = std::fs::read_link(format!("/proc/self/fd/{fd}"))
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "?".into());
        println!("{fd} {target}");
    }
    if probing {
        eprintln!("(/proc/self/fd unavailable: probed fd numbers)");
    }
    println!("stdout is a tty: {}", daemonkit::isatty(std::io::stdout()));
    println!("soft RLIMIT_NOFILE: {}", daemonkit::fd_max(0));
    Ok(())
}
