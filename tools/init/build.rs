//! Links the `daemonry-init` binary as a static, non-PIE executable without the
//! C runtime's start files (origin provides `_start`), and without unwind
//! tables.
//!
//! Not static-pie: nothing would apply the binary's relative relocations
//! (glibc's start files do that; origin does it only with its nightly-only
//! `experimental-relocate` feature), so pointers in static tables (signal
//! names, for one) would be wrong at run time. A non-PIE static binary
//! needs no relocation at all, like Debian's `tini-static`.
//!
//! Link arguments go to the binary only (`-bins`), not to build scripts or
//! the library's unit tests, which link normally. (`rustflags` in a
//! `.cargo/config.toml` would reach build scripts too.)

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    println!("cargo:rustc-link-arg-bins=-nostartfiles");
    println!("cargo:rustc-link-arg-bins=-static");
    println!("cargo:rustc-link-arg-bins=-no-pie");
    println!("cargo:rustc-link-arg-bins={dir}/no-unwind-tables.ld");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=no-unwind-tables.ld");
}
