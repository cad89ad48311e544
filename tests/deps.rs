//! The runtime dependency set is exactly rustix, linux-raw-sys and bitflags,
//! with and without the `std` feature (`cargo tree -e normal`).

use std::collections::BTreeSet;
use std::process::Command;

fn runtime_deps(extra: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args([
            "--format",
            "{p}",
            "-p",
            "daemonry",
            "--manifest-path",
            manifest,
        ])
        .args(extra)
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "daemonry")
        .map(str::to_string)
        .collect()
}

fn expected() -> BTreeSet<String> {
    ["bitflags", "linux-raw-sys", "rustix"]
        .map(String::from)
        .into()
}

#[test]
fn runtime_dependencies_with_std() {
    assert_eq!(runtime_deps(&[]), expected());
}

#[test]
fn runtime_dependencies_without_std() {
    assert_eq!(runtime_deps(&["--no-default-features"]), expected());
}

#[test]
fn rustix_uses_the_linux_raw_backend_without_libc() {
    // No `libc` or `errno` crate below rustix: it talks to the kernel itself.
    let all = runtime_deps(&["--all-features"]);
    assert!(!all.contains("libc") && !all.contains("errno"), "{all:?}");
}
