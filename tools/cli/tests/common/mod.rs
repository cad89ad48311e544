//! Test helpers for the tool's tests: the library's package-independent
//! helpers (`tests/common/harness.rs`: forked children, `require_root!`,
//! `/proc/<pid>` readers, temporary directories), and [`tool`], which runs
//! the built `daemonry` binary.
//!
//! These tests need the repository (the shared helpers, and the programs
//! `ci-deps.sh` installs), so the package ships without them.
#![allow(dead_code)] // Each test file uses a different subset.

#[path = "../../../../tests/common/harness.rs"]
mod harness;
pub mod tool;

pub use harness::*;
