//! fork + exit + wait, daemonry side by side with libc in one criterion
//! group (SPEC §6 target: ≤ 1.0× libc fork):
//!
//! - `daemonry::fork` (checks that the process is single-threaded with one
//!   `unshare(CLONE_THREAD)`, then forks: libc's fork with `std`), the
//!   child leaving with
//!   `exit_immediately` (exit_group), the parent reaping it with waitpid;
//! - `SingleThreaded::fork` with an assumed proof (no thread check);
//! - `libc::fork` + `_exit` + `waitpid` (the baseline).
//!
//! Run: `cargo bench --bench process`.

#![allow(missing_docs)] // criterion generates `main`.
#![allow(unsafe_code)] // fork and waitpid through libc.

use criterion::{Criterion, criterion_group, criterion_main};

fn reap(pid: i32) {
    let mut status = 0;
    // SAFETY: our own child; `status` is writable.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
}

fn fork_exit_wait(c: &mut Criterion) {
    let mut g = c.benchmark_group("fork+exit+wait");
    g.bench_function("daemonry::fork", |b| {
        b.iter(|| {
            // SAFETY: the child only calls exit_group.
            match unsafe { daemonry::fork() }.expect("fork (single-threaded bench)") {
                daemonry::Fork::Child => daemonry::exit_immediately(0),
                daemonry::Fork::Parent(pid) => reap(pid.as_raw_nonzero().get()),
            }
        })
    });
    g.bench_function("daemonry::SingleThreaded::fork", |b| {
        let proof = daemonry::process::SingleThreaded::assume();
        b.iter(|| {
            // SAFETY: the child only calls exit_group.
            match unsafe { proof.fork() }.expect("fork") {
                daemonry::Fork::Child => daemonry::exit_immediately(0),
                daemonry::Fork::Parent(pid) => reap(pid.as_raw_nonzero().get()),
            }
        })
    });
    g.bench_function("libc::fork", |b| {
        b.iter(|| {
            // SAFETY: the child only calls _exit.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                // SAFETY: leaves the child at once.
                unsafe { libc::_exit(0) };
            }
            assert!(pid > 0);
            reap(pid);
        })
    });
    g.finish();
}

criterion_group!(benches, fork_exit_wait);
criterion_main!(benches);
