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
//!
//! On 32-bit ARM it warns when a release build is not Thumb-2 code (see
//! [`thumb_check`]).
//!
//! It also writes two tables into `OUT_DIR` from daemonry's (built for the
//! host): `strerror.rs`, glibc's `strerror` texts compressed by byte-pair
//! encoding, which `src/strerror.rs` expands at print time (see
//! [`write_strerror`]), and `signames.rs`, the standard signals' names
//! packed without pointers (see [`write_signames`]).
//!
//! daemonry's numbers are the host's. daemonry builds only for
//! architectures that share the kernel's generic errno and signal numbers
//! (x86, x86_64, arm, aarch64, riscv64), so they are the target's too; the
//! unit tests compare every entry with daemonry's own lookups on the
//! target.

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
    // No build-id note, and no RELRO: a static program without dynamic
    // relocations has nothing to protect after start-up, and the RELRO
    // segment would cost program headers (and the note, a section).
    println!("cargo:rustc-link-arg-bins=-Wl,--build-id=none");
    println!("cargo:rustc-link-arg-bins=-Wl,-z,norelro");
    // `-T` with a script that ends in INSERT augments the default layout;
    // GNU ld needs the `-T` for that (lld takes either form).
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{dir}/no-unwind-tables.ld");
    if let Some(lld) = rust_lld_dir() {
        println!("cargo:rustc-link-arg-bins=-fuse-ld=lld");
        println!("cargo:rustc-link-arg-bins=-B{}", lld.display());
    }
    thumb_check();
    write_strerror();
    write_signames();
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=no-unwind-tables.ld");
}

/// Warns when a 32-bit ARM release build is not Thumb-2 code: cargo reads
/// `.cargo/config.toml` (which adds `-C target-feature=+thumb-mode`) only
/// when it runs in this directory, and `RUSTFLAGS` replaces it. ARM code
/// makes the binary about 4 KB larger, larger than Debian's armhf tini.
fn thumb_check() {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let thumb = var("CARGO_ENCODED_RUSTFLAGS").contains("thumb-mode")
        || var("CARGO_CFG_TARGET_FEATURE").contains("thumb-mode");
    if var("CARGO_CFG_TARGET_ARCH") == "arm" && var("PROFILE") == "release" && !thumb {
        println!(
            "cargo:warning=daemonry-init is built as ARM code, about 4 KB larger than \
             Thumb-2: run cargo in tools/init (its .cargo/config.toml selects Thumb-2), \
             or add -C target-feature=+thumb-mode to the target's rustflags"
        );
    }
}

/// Byte-pair-encoded text: `stream` holds bytes 0x20..=0x7f as themselves,
/// 0 as an entry's end, and every other byte `b` as the two bytes
/// `pairs[b ^ 0x80]` (each again a literal or a pair).
struct Bpe {
    stream: Vec<u8>,
    pairs: Vec<[u8; 2]>,
}

/// Compresses `entries` (printable ASCII each): repeatedly replaces the
/// most frequent pair of adjacent bytes with a new byte, while that saves
/// more than the pair's two bytes in the table. Ties go to the smallest
/// pair, so the output depends only on the input.
fn bpe(entries: &[&[u8]]) -> Bpe {
    let mut seqs: Vec<Vec<u8>> = entries.iter().map(|e| e.to_vec()).collect();
    for b in seqs.iter().flatten() {
        assert!((0x20..0x80).contains(b), "not printable ASCII: {b:#x}");
    }
    let mut pairs: Vec<[u8; 2]> = Vec::new();
    // Free byte values in table order: 0x80..=0xff, then 0x01..=0x1f
    // (index 0x80 is byte 0, the entries' end).
    for index in (0..0xa0usize).filter(|&i| i != 0x80) {
        let mut counts = std::collections::BTreeMap::<[u8; 2], usize>::new();
        for seq in &seqs {
            for w in seq.windows(2) {
                *counts.entry([w[0], w[1]]).or_default() += 1;
            }
        }
        let Some((pair, n)) = counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            break;
        };
        if n <= 2 {
            break;
        }
        let token = (index ^ 0x80) as u8;
        for seq in &mut seqs {
            let mut out = Vec::with_capacity(seq.len());
            let mut i = 0;
            while i < seq.len() {
                if seq.get(i..i + 2) == Some(&pair[..]) {
                    out.push(token);
                    i += 2;
                } else {
                    out.push(seq[i]);
                    i += 1;
                }
            }
            *seq = out;
        }
        pairs.resize(index, [0, 0]);
        pairs.push(pair);
    }
    let mut stream = Vec::new();
    for seq in seqs {
        stream.extend(seq);
        stream.push(0);
    }
    Bpe { stream, pairs }
}

/// Writes `OUT_DIR/strerror.rs`: `STRERROR`, the descriptions of errno 1,
/// 2, 3, … in turn (an empty entry for a number Linux does not use), and
/// `PAIRS`, compressed by [`bpe`].
///
/// The texts are daemonry's (`daemonry::errno::all`).
fn write_strerror() {
    let all: Vec<(i32, &str)> = daemonry::errno::all()
        .map(|(e, _, desc)| (e.raw_os_error(), desc))
        .collect();
    let max = all.iter().map(|&(n, _)| n).max().unwrap_or(0);
    let entries: Vec<&[u8]> = (1..=max)
        .map(|n| {
            all.iter()
                .find(|&&(m, _)| m == n)
                .map_or(&b""[..], |&(_, d)| d.as_bytes())
        })
        .collect();
    let Bpe { stream, pairs } = bpe(&entries);
    let mut out = String::new();
    out.push_str("/// The descriptions of errno 1, 2, 3, ..., each ended by 0.\n");
    out.push_str(&format!(
        "static STRERROR: [u8; {}] = {:?};\n",
        stream.len(),
        stream
    ));
    out.push_str("/// What byte `b` (not 0x20..=0x7f) stands for: `PAIRS[b ^ 0x80]`.\n");
    out.push_str(&format!(
        "static PAIRS: [[u8; 2]; {}] = {:?};\n",
        pairs.len(),
        pairs
    ));
    write_out("strerror.rs", &out);
}

/// Writes `OUT_DIR/signames.rs`: `SIGNALS`, each standard signal's
/// number (a byte below 0x20) followed by its name without `SIG` (upper
/// case letters and digits), in order, then the same for the aliases
/// daemonry's `parse_signal` accepts.
fn write_signames() {
    let mut table = Vec::new();
    let mut add = |n: i32, name: &str| {
        let n = u8::try_from(n).expect("a standard signal");
        assert!(
            n < 0x20
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        table.push(n);
        table.extend_from_slice(name.as_bytes());
    };
    for n in 1..daemonry::Signal::RTMIN.as_raw() {
        let name = daemonry::signal_name(n).expect("every standard signal has a name");
        add(n, name.short());
    }
    for alias in ["CLD", "IOT", "POLL"] {
        let sig = daemonry::parse_signal(alias).expect("an alias daemonry accepts");
        add(sig.as_raw(), alias);
    }
    let out = format!(
        "/// Number (below 0x20) then name, for every standard signal, then the aliases.\n\
         static SIGNALS: [u8; {}] = {:?};\n",
        table.len(),
        table
    );
    write_out("signames.rs", &out);
}

fn write_out(name: &str, text: &str) {
    let path = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join(name);
    std::fs::write(&path, text).expect("write a generated table");
}
