//! fd enumeration and closing, daemonry side by side with the
//! alternatives in the same criterion groups (SPEC §6):
//!
//! - `enumerate/N`: listing N open fds with daemonry's `open_fds`, with
//!   `std::fs::read_dir("/proc/self/fd")`, and with a bare getdents64 loop
//!   (rustix `RawDir` over a 4 KiB stack buffer: the kernel's own cost).
//! - `close_all_keep_stdio`: closing everything above 0,1,2 with ~20 open
//!   fds: daemonry `close_open_fds(&[0,1,2])`, one bare `close_range(3, ~0)`
//!   syscall (the floor), the `close_fds` crate, and the classic `close()`
//!   loop to 1,048,576 (a common container RLIMIT_NOFILE; the loop runs over
//!   the numbers even though this machine cannot raise its limit that high).
//!   Each measurement runs in a forked child, so the bench process keeps its
//!   own fds; the child reopens the fds before every timed call.
//! - `fd_by_path`: our fds open on one path, with 100 open fds: daemonry
//!   against `read_dir` + `metadata` of each entry (celery 5.7's method).
//!
//! Run: `cargo bench --bench fd`.

#![allow(missing_docs)] // criterion generates `main`.
#![allow(unsafe_code)] // fork, mmap, raw close loops through libc.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::{Duration, Instant};

fn open_devnull() -> i32 {
    // SAFETY: open with a valid C string; the fd is owned by this process.
    unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY) }
}

fn bare_getdents_count() -> usize {
    let dir = rustix::fs::open(
        c"/proc/self/fd",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
    let mut it = rustix::fs::RawDir::new(&dir, &mut buf);
    let mut n = 0;
    while let Some(e) = it.next() {
        let e = e.unwrap();
        if e.file_name().to_bytes()[0] != b'.' {
            n += 1;
        }
    }
    n - 1 // the directory's own fd
}

fn enumerate(c: &mut Criterion) {
    let mut g = c.benchmark_group("enumerate");
    for n in [10usize, 100, 1000] {
        let base = daemonry::open_fds().unwrap().count();
        let opened: Vec<i32> = (base..n).map(|_| open_devnull()).collect();
        assert_eq!(daemonry::open_fds().unwrap().count(), n.max(base));
        g.bench_with_input(BenchmarkId::new("daemonry_open_fds", n), &n, |b, _| {
            b.iter(|| black_box(daemonry::open_fds().unwrap().count()))
        });
        g.bench_with_input(BenchmarkId::new("bare_getdents64", n), &n, |b, _| {
            b.iter(|| black_box(bare_getdents_count()))
        });
        g.bench_with_input(BenchmarkId::new("std_read_dir", n), &n, |b, _| {
            b.iter(|| black_box(std::fs::read_dir("/proc/self/fd").unwrap().count()))
        });
        for fd in opened {
            // SAFETY: closes fds this bench opened.
            unsafe { libc::close(fd) };
        }
    }
    g.finish();
}

/// Runs `iters` timed calls of `close` in a forked child (each after
/// reopening fds so ~20 are open) and returns the summed time.
fn timed_in_child(iters: u64, close: fn()) -> Duration {
    // SAFETY: a shared anonymous page for the child's result.
    let shared = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    } as *mut u64;
    assert!(!shared.is_null());
    // SAFETY: the bench is single-threaded; the child only opens, closes,
    // reads the clock and writes the shared page before _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let mut fd = 0;
            while fd < 19 {
                fd = open_devnull();
            }
            let t = Instant::now();
            close();
            total += t.elapsed();
        }
        // SAFETY: the shared page is mapped and writable.
        unsafe {
            *shared = total.as_nanos() as u64;
            libc::_exit(0);
        }
    }
    let mut status = 0;
    // SAFETY: our child; then the page we mapped.
    let nanos = unsafe {
        libc::waitpid(pid, &mut status, 0);
        let v = *shared;
        libc::munmap(shared.cast(), 4096);
        v
    };
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    Duration::from_nanos(nanos)
}

fn close_daemonry() {
    daemonry::close_open_fds(&[0, 1, 2]).unwrap();
}

fn close_bare_close_range() {
    // SAFETY: closes every fd from 3 up in this disposable child.
    let r = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
    assert_eq!(r, 0);
}

fn close_fds_crate() {
    // SAFETY: as above; the crate's contract is that no fd above 2 is used.
    unsafe { close_fds::close_open_fds(3, &[]) };
}

fn close_loop_1m() {
    for fd in 3..1_048_576 {
        // SAFETY: closing numbers in a disposable child.
        unsafe { libc::close(fd) };
    }
}

fn close_all(c: &mut Criterion) {
    let mut g = c.benchmark_group("close_all_keep_stdio");
    g.bench_function("daemonry_close_open_fds", |b| {
        b.iter_custom(|n| timed_in_child(n, close_daemonry))
    });
    g.bench_function("bare_close_range", |b| {
        b.iter_custom(|n| timed_in_child(n, close_bare_close_range))
    });
    g.bench_function("close_fds_crate", |b| {
        b.iter_custom(|n| timed_in_child(n, close_fds_crate))
    });
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("close_loop_to_1048576", |b| {
        b.iter_custom(|n| timed_in_child(n, close_loop_1m))
    });
    g.finish();
}

/// celery 5.7's `fd_by_path` lists `/proc/self/fd` and `fstat`s each entry;
/// the same in Rust with std (`read_dir` + `metadata`) is the competitor
/// here. SPEC §6 compares with celery itself (142 µs for 100 open fds on
/// this machine).
fn std_fd_by_path(path: &str) -> Vec<i32> {
    use std::os::unix::fs::MetadataExt;
    let want = std::fs::metadata(path).map(|m| (m.dev(), m.ino())).ok();
    let mut out: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let fd: i32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let m = std::fs::metadata(format!("/proc/self/fd/{fd}")).ok()?;
            (Some((m.dev(), m.ino())) == want).then_some(fd)
        })
        .collect();
    out.sort_unstable();
    out
}

fn by_path(c: &mut Criterion) {
    let mut g = c.benchmark_group("fd_by_path");
    let base = daemonry::open_fds().unwrap().count();
    let opened: Vec<i32> = (base..100).map(|_| open_devnull()).collect();
    // SAFETY: a path literal; the fd is closed below.
    let target = unsafe { libc::open(c"/proc/self/status".as_ptr(), libc::O_RDONLY) };
    assert_eq!(daemonry::fd_by_path(&["/proc/self/status"]), vec![target]);
    g.bench_function("daemonry_fd_by_path/100", |b| {
        b.iter(|| black_box(daemonry::fd_by_path(&["/proc/self/status"])))
    });
    g.bench_function("daemonry_fds_for_path/100", |b| {
        b.iter(|| {
            let mut n = 0;
            daemonry::fds_for_path(c"/proc/self/status", |_| n += 1).unwrap();
            black_box(n)
        })
    });
    g.bench_function("std_read_dir_fstat/100", |b| {
        b.iter(|| black_box(std_fd_by_path("/proc/self/status")))
    });
    g.finish();
    for fd in opened.into_iter().chain([target]) {
        // SAFETY: closes fds this bench opened.
        unsafe { libc::close(fd) };
    }
}

criterion_group!(benches, enumerate, close_all, by_path);
criterion_main!(benches);
