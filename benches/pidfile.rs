//! Pidfile acquire + release, daemonry against the `pidlock` crate, on
//! tmpfs (`/dev/shm`; `/tmp` here is ext4, where fsync dominates).
//!
//! daemonry does more per cycle: an `O_TMPFILE` + `fsync` + `flock` +
//! `linkat` publish, a read-back through the path, and a release that
//! checks the path still names our file holding our pid. `pidlock` does a
//! stale check, an `O_EXCL` create + write (no fsync, no lock) and an
//! unlink.

#![allow(missing_docs)] // criterion generates `main`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::ffi::CString;
use std::hint::black_box;
use std::path::PathBuf;

fn bench_dir() -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let d = base.join(format!("daemonry-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("bench dir");
    d
}

fn acquire_release(c: &mut Criterion) {
    let dir = bench_dir();
    let path = dir.join("bench.pid");
    let cpath = CString::new(path.as_os_str().as_encoded_bytes()).expect("no NUL");

    let mut g = c.benchmark_group("pidfile acquire+release (tmpfs)");
    g.bench_function("daemonry create_pidlock + drop", |b| {
        b.iter(|| {
            let lock = daemonry::create_pidlock(cpath.as_c_str()).expect("lock");
            drop(black_box(lock));
        })
    });
    g.bench_function("daemonry Pidfile acquire + release", |b| {
        b.iter(|| {
            let mut pf = daemonry::Pidfile::new(cpath.as_c_str()).expect("path");
            pf.acquire().expect("acquire");
            pf.release().expect("release");
        })
    });
    g.bench_function("pidlock acquire + release", |b| {
        b.iter(|| {
            let mut l = pidlock::Pidlock::new_validated(&path).expect("path");
            l.acquire().expect("acquire");
            l.release().expect("release");
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, acquire_release);
criterion_main!(benches);
