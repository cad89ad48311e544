//! Setting the process title, daemonry side by side with the floor in one
//! criterion group (SPEC §6 target: `set_process_title` after the first
//! call ≤ 1.2× a bare `prctl(PR_SET_NAME)`):
//!
//! - `daemonry::set_process_title("worker", Some("-A app"))`: builds the
//!   title, sets the comm name (one prctl) and rewrites the argv area from
//!   the cached bounds (no /proc read after the first call);
//! - `daemonry::set_name` (the comm name alone);
//! - `libc::prctl(PR_SET_NAME)` with a fixed C string (the floor).
//!
//! This changes the bench process's own title, and with it what
//! `std::env::args()` returns: `main` reads criterion's options before the
//! first title (`criterion_main!` would read them again at the end).
//!
//! Run: `cargo bench --bench title`.

#![allow(missing_docs)] // criterion generates `main`.
#![allow(unsafe_code)] // prctl through libc.

use criterion::Criterion;
use std::hint::black_box;

fn set_title(c: &mut Criterion) {
    // The first call reads /proc/self/stat and fills the cache.
    daemonry::set_process_title("worker", Some("-A app")).expect("title");
    let mut g = c.benchmark_group("set_process_title");
    g.bench_function("daemonry::set_process_title", |b| {
        b.iter(|| daemonry::set_process_title(black_box("worker"), black_box(Some("-A app"))))
    });
    g.bench_function("daemonry::set_name", |b| {
        b.iter(|| daemonry::set_name(black_box(b"[worker] -A app")))
    });
    g.bench_function("prctl(PR_SET_NAME)", |b| {
        b.iter(|| {
            let name = black_box(c"[worker] -A app");
            // SAFETY: PR_SET_NAME reads a NUL-terminated string.
            unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr(), 0, 0, 0) }
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    set_title(&mut c);
    c.final_summary();
}
