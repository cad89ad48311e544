//! aarch64 system-call instructions.
//!
//! # Safety
//!
//! Each function executes `svc 0` with the given number and arguments. The
//! kernel's aarch64 ABI: number in `x8`, arguments in `x0`..`x5`, the
//! result in `x0` (`-4095..=-1` meaning `-errno`); nothing else is
//! clobbered. Callers must pass arguments that are valid for the system
//! call they name (pointers to live, correctly sized memory, and so on).

#![allow(unsafe_code)] // This file is the raw system-call layer.

use core::arch::{asm, naked_asm};
use core::ffi::c_ulong;

use linux_raw_sys::general as g;

#[inline]
pub(super) unsafe fn syscall1(nr: u32, a0: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("svc 0", in("x8") nr as usize, inlateout("x0") a0 => r,
             options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall2(nr: u32, a0: usize, a1: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("svc 0", in("x8") nr as usize, inlateout("x0") a0 => r, in("x1") a1,
             options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall3(nr: u32, a0: usize, a1: usize, a2: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("svc 0", in("x8") nr as usize, inlateout("x0") a0 => r, in("x1") a1,
             in("x2") a2, options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall4(nr: u32, a0: usize, a1: usize, a2: usize, a3: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("svc 0", in("x8") nr as usize, inlateout("x0") a0 => r, in("x1") a1,
             in("x2") a2, in("x3") a3, options(nostack, preserves_flags));
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
        asm!("svc 0", in("x8") nr as usize, inlateout("x0") a0 => r, in("x1") a1,
             in("x2") a2, in("x3") a3, in("x4") a4, options(nostack, preserves_flags));
    }
    r
}

/// Terminates the process; never returns.
#[inline]
pub(super) fn exit_group(code: i32) -> ! {
    // SAFETY: `exit_group` takes an integer and does not return; it touches
    // no memory of ours.
    unsafe {
        asm!("svc 0", "brk #0x1", in("x8") g::__NR_exit_group as usize,
             in("x0") code as isize as usize, options(noreturn, nostack));
    }
}

/// Makes a handler return through [`restore_rt`]. aarch64 builds the same
/// (`rt_sigframe`) frame with or without `SA_SIGINFO`.
pub(super) fn set_restorer(act: &mut g::kernel_sigaction) {
    act.sa_flags |= g::SA_RESTORER as c_ulong;
    act.sa_restorer = Some(restore_rt);
}

/// The `SA_RESTORER` trampoline: the kernel makes a signal handler return
/// here (through `x30`), and this calls `rt_sigreturn`, which restores the
/// interrupted context from the frame at `sp`.
#[unsafe(naked)]
unsafe extern "C" fn restore_rt() {
    naked_asm!("mov x8, {nr}", "svc 0", "udf #16", nr = const g::__NR_rt_sigreturn);
}
