//! Test helpers for `tests/init.rs`, shared by path with the library's
//! tests: `harness` (forked children, `require_root!`, `/proc/<pid>`
//! readers, temporary directories) and [`emu`] (qemu-user detection and
//! `skip_under_emulation!`).

#[allow(dead_code)] // The reasons for the library's skips are unused here.
#[path = "../../../../tests/common/emu.rs"]
pub mod emu;
#[path = "../../../../tests/common/harness.rs"]
mod harness;

pub use harness::*;
