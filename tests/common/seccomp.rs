//! A seccomp filter that makes one system call fail, as container
//! runtimes, old kernels or some filesystems do, to reach fallbacks.
#![allow(dead_code)] // Each test binary uses a different subset.

/// `AUDIT_ARCH_*` of this test's architecture (<linux/audit.h>).
const AUDIT_ARCH: u32 = if cfg!(target_arch = "aarch64") {
    0xc000_00b7
} else if cfg!(target_arch = "riscv64") {
    0xc000_00f3
} else if cfg!(target_arch = "arm") {
    0x4000_0028
} else if cfg!(target_arch = "x86") {
    0x4000_0003
} else {
    0xc000_003e // x86_64
};

fn bpf(code: u32, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// Installs a seccomp filter (and no_new_privs) in the calling process
/// that makes system call `nr` fail with `errno`; everything else, and
/// every call made under another architecture's ABI, is allowed.
pub fn deny_syscall(nr: u32, errno: u32) -> Result<(), String> {
    let filter = [
        // A = arch; if not ours, allow.
        bpf(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 4),
        bpf(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            1,
            0,
            AUDIT_ARCH,
        ),
        bpf(libc::BPF_RET | libc::BPF_K, 0, 0, libc::SECCOMP_RET_ALLOW),
        // A = syscall number.
        bpf(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 0),
        bpf(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, 0, 1, nr),
        bpf(
            libc::BPF_RET | libc::BPF_K,
            0,
            0,
            libc::SECCOMP_RET_ERRNO | errno,
        ),
        bpf(libc::BPF_RET | libc::BPF_K, 0, 0, libc::SECCOMP_RET_ALLOW),
    ];
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: prctl with a valid, live filter program; affects this process.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog) != 0
        {
            return Err(format!("seccomp: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}
