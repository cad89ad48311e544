//! Whole-process time from launch to the daemon's pidfile being written,
//! daemonry's `DaemonContext` vs the `daemonize` crate vs the `fork`
//! crate's `checked_daemon`, each in a small program (benches/bin/*.rs,
//! built here in release mode). Each iteration spawns the program, polls
//! until the pidfile holds a pid, and (untimed) kills the daemon; the
//! pidfile on tmpfs (`/dev/shm`) and on a disk filesystem (`/var/tmp`).
//!
//! Run: `cargo bench --bench daemon`.

#![allow(missing_docs)] // criterion generates `main`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PROGRAMS: [(&str, &str); 3] = [
    ("daemonry_DaemonContext", "bench_daemonry_daemon"),
    ("daemonize_crate", "bench_daemonize_crate"),
    ("fork_checked_daemon", "bench_fork_checked_daemon"),
];

fn build() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "--release", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
    for (_, ex) in PROGRAMS {
        cmd.args(["--example", ex]);
    }
    assert!(cmd.status().expect("cargo build").success());
    let exe = std::env::current_exe().expect("bench exe");
    // <target>/release/deps/daemon-… → <target>/release/examples
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("examples")
}

/// Launch → pidfile holds a pid; returns the elapsed time and the pid.
fn launch(bin: &Path, pidfile: &Path) -> (Duration, i32) {
    let _ = std::fs::remove_file(pidfile);
    let t = Instant::now();
    let mut child = Command::new(bin).arg(pidfile).spawn().expect("spawn");
    let pid = loop {
        if let Ok(s) = std::fs::read_to_string(pidfile)
            && let Some(p) = s.strip_suffix('\n').and_then(|p| p.parse::<i32>().ok())
        {
            break p;
        }
        std::hint::spin_loop();
    };
    let elapsed = t.elapsed();
    let _ = child.wait();
    (elapsed, pid)
}

fn launch_to_pidfile(c: &mut Criterion) {
    let dir = build();
    // tmpfs, like /run, where pidfiles live; and a disk filesystem.
    for (fs, base) in [("tmpfs", "/dev/shm"), ("disk", "/var/tmp")] {
        let pidfile = Path::new(base).join(format!("daemonry-bench-{}.pid", std::process::id()));
        let mut g = c.benchmark_group(format!("launch_to_pidfile ({fs}, {base})"));
        g.sample_size(60);
        g.measurement_time(Duration::from_secs(10));
        for (name, ex) in PROGRAMS {
            let bin = dir.join(ex);
            g.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (t, pid) = launch(&bin, &pidfile);
                        total += t;
                        kill(pid);
                    }
                    total
                })
            });
        }
        g.finish();
        let _ = std::fs::remove_file(&pidfile);
    }
}

/// `kill(pid, SIGKILL)`: ends the daemon an iteration started.
fn kill(pid: i32) {
    let _ = rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid).expect("pid > 0"),
        rustix::process::Signal::KILL,
    );
}

criterion_group!(benches, launch_to_pidfile);
criterion_main!(benches);
