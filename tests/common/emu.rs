//! Is this test running under qemu-user?
//!
//! qemu-user runs a program of another architecture inside a host process
//! of its own. The kernel sees qemu's executable, qemu's helper thread (it
//! starts an RCU thread in every process, so daemonry's single-thread guard
//! refuses), qemu's host signal mask in `/proc/<pid>/status`, and qemu
//! translates or refuses what it does not know (seccomp filters, some
//! `prctl`s and real-time signals). It fakes `uname`, the auxv and
//! `/proc/self/{exe,maps,stat,cmdline,auxv}` (stat fields past 44 are
//! zeros), so none of those can tell. It does not rewrite
//! `/proc/<pid>/task/<tid>/exe`: the ELF header of that file names the
//! machine the kernel really runs, and when it is not the architecture
//! this test was compiled for, we are emulated.
//!
//! A 32-bit x86 test on an x86_64 kernel runs natively (the kernel's
//! compat mode): its executable is its own, and this reports no emulation.
//!
//! [`skip_under_emulation!`] prints `SKIP <test>: under qemu-user: <reason>`
//! and returns from the test; only under emulation, never natively.

use std::io::Read;
use std::sync::OnceLock;

/// qemu-user starts a helper (RCU) thread in every process, forked children
/// included: daemonry's single-thread guard then refuses to fork, change
/// credentials or daemonize.
pub const THREADS: &str =
    "its own helper thread runs in every process, so the single-thread guard refuses";
/// qemu-user 7.2 does not emulate `PR_SET_CHILD_SUBREAPER`.
pub const SUBREAPER: &str = "prctl(PR_SET_CHILD_SUBREAPER) answers EINVAL (not emulated)";
/// qemu-user cannot translate a seccomp filter for the host.
pub const SECCOMP: &str = "seccomp filters are refused (EINVAL)";
/// qemu-user rewrites `/proc/self/stat`.
pub const PROC_STAT: &str =
    "/proc/self/stat is rewritten: the argv bounds (fields 48, 49) and most others read 0";
/// qemu-user reports its own idea of the machine in `uname`.
pub const UNAME: &str = "uname reports qemu's name for the emulated machine (armv7l on arm)";
/// `/proc/<pid>/status` shows qemu's own signal state.
pub const SIGNAL_STATE: &str =
    "/proc/<pid>/status shows qemu's own host signal mask and dispositions";
/// qemu-user keeps some host real-time signals for itself.
pub const RT_SIGNALS: &str =
    "the highest real-time signals map to host signals qemu keeps for itself (EINVAL)";
/// binfmt_misc's open-binary flag leaves an fd open in emulated programs.
pub const BINFMT_FD: &str =
    "a program started through binfmt_misc gets the executable's fd (3) from the kernel";
/// Terminal ioctls on a pseudo-terminal master.
pub const PTY: &str = "TCGETS on a pseudo-terminal master is not translated";

/// ELF `e_machine` of the architecture this test was compiled for.
const EXPECTED_MACHINE: u16 = if cfg!(target_arch = "x86_64") {
    62 // EM_X86_64
} else if cfg!(target_arch = "aarch64") {
    183 // EM_AARCH64
} else if cfg!(target_arch = "riscv64") {
    243 // EM_RISCV
} else if cfg!(target_arch = "arm") {
    40 // EM_ARM
} else if cfg!(target_arch = "x86") {
    3 // EM_386
} else {
    0
};

/// A machine name for an ELF `e_machine`.
fn machine_name(machine: u16) -> String {
    match machine {
        62 => "x86_64".into(),
        183 => "aarch64".into(),
        243 => "riscv".into(),
        40 => "arm".into(),
        3 => "i386".into(),
        other => format!("ELF machine {other}"),
    }
}

/// The process's real executable, bypassing qemu's `/proc/self/exe`.
fn real_exe() -> Option<std::path::PathBuf> {
    // "<pid>/task/<tid>", a kernel symlink qemu does not rewrite.
    let me = std::fs::read_link("/proc/thread-self").ok()?;
    Some(std::path::Path::new("/proc").join(me).join("exe"))
}

/// `e_machine` from the ELF header of `path`.
fn elf_machine(path: &std::path::Path) -> Option<u16> {
    let mut header = [0u8; 20];
    std::fs::File::open(path)
        .ok()?
        .read_exact(&mut header)
        .ok()?;
    if header[..4] != *b"\x7fELF" {
        return None;
    }
    let bytes = [header[18], header[19]];
    Some(match header[5] {
        2 => u16::from_be_bytes(bytes), // ELFDATA2MSB
        _ => u16::from_le_bytes(bytes),
    })
}

fn detect() -> Option<String> {
    let exe = real_exe()?;
    let machine = elf_machine(&exe)?;
    if machine == EXPECTED_MACHINE {
        return None;
    }
    let host = std::fs::read_link(&exe).map_or_else(|_| "?".into(), |p| p.display().to_string());
    Some(format!(
        "a {} test inside a {} process ({host})",
        std::env::consts::ARCH,
        machine_name(machine)
    ))
}

/// `Some(description)` when this process runs under qemu-user (or another
/// user-mode emulator), `None` when it runs natively. Computed once.
pub fn under_emulation() -> Option<String> {
    static EMULATION: OnceLock<Option<String>> = OnceLock::new();
    EMULATION.get_or_init(detect).clone()
}

/// When emulated: prints `SKIP <name>: under qemu-user: <why>` (and what
/// gave the emulation away) and returns `true`; natively returns `false`.
pub fn skip(name: &str, why: &str) -> bool {
    match under_emulation() {
        Some(how) => {
            eprintln!("SKIP {name}: under qemu-user: {why} [{how}]");
            true
        }
        None => false,
    }
}

/// Skips the current test under qemu-user with the reason given (a string
/// literal saying what qemu-user does not emulate); does nothing natively.
#[macro_export]
macro_rules! skip_under_emulation {
    ($why:expr) => {
        if $crate::common::emu::skip(std::thread::current().name().unwrap_or("?"), $why) {
            return;
        }
    };
}
