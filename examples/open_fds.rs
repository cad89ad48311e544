//! Lists this process's open fds (with what they point at) and, with
//! `--errno`, the errno table.
//!
//! ```text
//! cargo run --example open_fds
//! cargo run --example open_fds -- --errno
//! ```

fn main() -> Result<(), daemonry::Error> {
    if std::env::args().any(|a| a == "--errno") {
        for (e, name, desc) in daemonry::errno::all() {
            println!("{} {name} {desc}", e.raw_os_error());
        }
        return Ok(());
    }
    let fds = daemonry::open_fds()?;
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
    println!("stdout is a tty: {}", daemonry::isatty(std::io::stdout()));
    println!("soft RLIMIT_NOFILE: {}", daemonry::fd_max(0));
    Ok(())
}
