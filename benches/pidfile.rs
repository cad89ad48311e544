//! Pidfile acquire + release, daemonry against the `pidlock` crate, on
//! tmpfs (`/dev/shm`) and on a disk filesystem (`/var/tmp`, ext4 here) in
//! the same run.
//!
//! daemonry does more per cycle: the pid is written under a temporary name,
//! opened again read-only and locked through that description, and renamed
//! onto the path with `RENAME_NOREPLACE` (atomic, locked, under its real
//! name, and the lock fd cannot write the file); the release checks that
//! the path still names our file holding our pid before unlinking it.
//! `pidlock` does a stale check, an `O_EXCL` create + write at the path (no
//! lock: the path names an empty file for a moment) and an unlink.

#![allow(missing_docs)] // criterion generates `main`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::ffi::CString;
use std::hint::black_box;
use std::path::{Path, PathBuf};

/// A fresh directory under `base`, or `None` if `base` is unusable.
fn bench_dir(base: &Path) -> Option<PathBuf> {
    let d = base.join(format!("daemonry-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).ok()?;
    Some(d)
}

fn acquire_release(c: &mut Criterion) {
    for (fs, base) in [("tmpfs", "/dev/shm"), ("disk", "/var/tmp")] {
        let Some(dir) = bench_dir(Path::new(base)) else {
            eprintln!("SKIP pidfile bench on {fs}: {base} unusable");
            continue;
        };
        let path = dir.join("bench.pid");
        let cpath = CString::new(path.as_os_str().as_encoded_bytes()).expect("no NUL");

        let mut g = c.benchmark_group(format!("pidfile acquire+release ({fs}, {base})"));
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
}

criterion_group!(benches, acquire_release);
criterion_main!(benches);
