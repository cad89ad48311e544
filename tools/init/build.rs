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
//! The linker is the toolchain's rust-lld on every target, through the C
//! compiler driver (`-fuse-ld=lld` with the toolchain's `gcc-ld` wrapper
//! directory), as rustc already does by default for x86_64 Linux: GNU ld
//! pads segments to the maximum page size (64 KiB on aarch64), making the
//! same program up to 2.6 times larger. Without a rust-lld in the
//! toolchain the driver's default linker is used.
//!
//! Link arguments go to the binary only (`-bins`), not to build scripts or
//! the library's unit tests, which link normally. (`rustflags` in a
//! `.cargo/config.toml` would reach build scripts too.)

use std::path::PathBuf;
use std::process::Command;

/// The toolchain's `gcc-ld` directory (an `ld.lld` that runs rust-lld),
/// if it has one.
fn rust_lld_dir() -> Option<PathBuf> {
    let rustc = std::env::var_os("RUSTC")?;
    let host = std::env::var("HOST").ok()?;
    let out = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let sysroot = String::from_utf8(out.stdout).ok()?;
    let dir = PathBuf::from(sysroot.trim())
        .join("lib/rustlib")
        .join(host)
        .join("bin/gcc-ld");
    dir.join("ld.lld").is_file().then_some(dir)
}

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    println!("cargo:rustc-link-arg-bins=-nostartfiles");
    println!("cargo:rustc-link-arg-bins=-static");
    println!("cargo:rustc-link-arg-bins=-no-pie");
    // `-T` with a script that ends in INSERT augments the default layout;
    // GNU ld needs the `-T` for that (lld takes either form).
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{dir}/no-unwind-tables.ld");
    if let Some(lld) = rust_lld_dir() {
        println!("cargo:rustc-link-arg-bins=-fuse-ld=lld");
        println!("cargo:rustc-link-arg-bins=-B{}", lld.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=no-unwind-tables.ld");
}
