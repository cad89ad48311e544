//! riscv64 system-call instructions.
//!
//! # Safety
//!
//! Each function executes `ecall` with the given number and arguments. The
//! kernel's riscv64 ABI: number in `a7`, arguments in `a0`..`a5`, the
//! result in `a0` (`-4095..=-1` meaning `-errno`). The vector registers
//! (and with them the vector state) are not preserved across a system call
//! (Documentation/arch/riscv/vector.rst), so every call declares them
//! clobbered, as rustix does. Callers must pass arguments that are valid
//! for the system call they name (pointers to live, correctly sized memory,
//! and so on).

#![allow(unsafe_code)] // This file is the raw system-call layer.

use core::arch::asm;

use linux_raw_sys::general as g;

/// `ecall` with the vector registers declared clobbered.
macro_rules! ecall {
    ($($operands:tt)*) => {
        asm!(
            "ecall",
            $($operands)*
            lateout("v0") _, lateout("v1") _, lateout("v2") _, lateout("v3") _,
            lateout("v4") _, lateout("v5") _, lateout("v6") _, lateout("v7") _,
            lateout("v8") _, lateout("v9") _, lateout("v10") _, lateout("v11") _,
            lateout("v12") _, lateout("v13") _, lateout("v14") _, lateout("v15") _,
            lateout("v16") _, lateout("v17") _, lateout("v18") _, lateout("v19") _,
            lateout("v20") _, lateout("v21") _, lateout("v22") _, lateout("v23") _,
            lateout("v24") _, lateout("v25") _, lateout("v26") _, lateout("v27") _,
            lateout("v28") _, lateout("v29") _, lateout("v30") _, lateout("v31") _,
            options(nostack)
        )
    };
}

#[inline]
pub(super) unsafe fn syscall1(nr: u32, a0: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        ecall!(in("a7") nr as usize, inlateout("a0") a0 => r,);
    }
    r
}

#[inline]
pub(super) unsafe fn syscall2(nr: u32, a0: usize, a1: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        ecall!(in("a7") nr as usize, inlateout("a0") a0 => r, in("a1") a1,);
    }
    r
}

#[inline]
pub(super) unsafe fn syscall3(nr: u32, a0: usize, a1: usize, a2: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        ecall!(in("a7") nr as usize, inlateout("a0") a0 => r, in("a1") a1, in("a2") a2,);
    }
    r
}

#[inline]
pub(super) unsafe fn syscall4(nr: u32, a0: usize, a1: usize, a2: usize, a3: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        ecall!(in("a7") nr as usize, inlateout("a0") a0 => r, in("a1") a1, in("a2") a2,
               in("a3") a3,);
    }
    r
}

#[inline]
// Only the raw `fork` of `no_std` builds passes five arguments.
#[cfg_attr(feature = "std", allow(dead_code))]
pub(super) unsafe fn syscall5(
    nr: u32,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        ecall!(in("a7") nr as usize, inlateout("a0") a0 => r, in("a1") a1, in("a2") a2,
               in("a3") a3, in("a4") a4,);
    }
    r
}

/// Terminates the process; never returns.
#[inline]
pub(super) fn exit_group(code: i32) -> ! {
    // SAFETY: `exit_group` takes an integer and does not return; it touches
    // no memory of ours.
    unsafe {
        asm!("ecall", "unimp", in("a7") g::__NR_exit_group as usize,
             in("a0") code as isize as usize, options(noreturn, nostack));
    }
}

/// Nothing to do: riscv64 has no `SA_RESTORER` (the kernel's
/// `struct sigaction` there has no `sa_restorer` field). The kernel makes
/// every handler return to `__vdso_rt_sigreturn` in the vDSO, which calls
/// `rt_sigreturn`.
pub(super) fn set_restorer(_act: &mut g::kernel_sigaction) {}
