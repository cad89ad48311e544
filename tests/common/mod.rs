//! Test helpers shared by the integration tests.
//!
//! - [`in_child`] / [`spawn`]: run code in a forked child that reports
//!   through a pipe and its exit status, so the test runner's own state
//!   (uid, groups, dispositions, fds, session) never changes.
//! - [`require_root!`]: skip visibly when not root, or fail when
//!   `DAEMONRY_REQUIRE_ROOT=1`.
//! - `/proc/<pid>` readers: the kernel is the judge.
//! - [`emu`]: qemu-user detection and `skip_under_emulation!`.
//! - [`fixture_db`]: the account database of `tests/fixtures`.
//! - [`pidfile`]: helpers of the pidfile tests.
//! - [`seccomp`]: a filter that makes one system call fail.
//!
//! It calls libc (fork, pipes, waitpid): a test file that has `mod common;`
//! needs `#![allow(unsafe_code)]` at its top.
#![allow(dead_code)] // Each test binary uses a different subset.

pub mod emu;
mod harness;
pub mod pidfile;
pub mod seccomp;

pub use harness::*;

/// The account database of `tests/fixtures/{passwd,group}`.
pub fn fixture_db() -> daemonry::AccountDb<'static> {
    daemonry::AccountDb::new(
        c_path(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/passwd\0"
        )),
        c_path(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/group\0"
        )),
    )
}

fn c_path(s: &'static str) -> &'static std::ffi::CStr {
    std::ffi::CStr::from_bytes_with_nul(s.as_bytes()).expect("NUL-terminated")
}
