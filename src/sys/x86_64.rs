//! x86_64 system-call instructions.
//!
//! # Safety
//!
//! Each function executes the `syscall` instruction with the given number
//! and arguments. The kernel's x86_64 ABI: number in `rax`, arguments in
//! `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`; `rcx` and `r11` are clobbered;
//! the result comes back in `rax`, with `-4095..=-1` meaning `-errno`.
//! Callers must pass arguments that are valid for the system call they name
//! (pointers to live, correctly sized memory, and so on).

#![allow(unsafe_code)] // This file is the raw system-call layer.

use core::arch::{asm, naked_asm};
use core::ffi::c_ulong;

use linux_raw_sys::general as g;

#[inline]
pub(super) unsafe fn syscall1(nr: u32, a0: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("syscall", inlateout("rax") nr as usize => r, in("rdi") a0,
             lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall2(nr: u32, a0: usize, a1: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("syscall", inlateout("rax") nr as usize => r, in("rdi") a0, in("rsi") a1,
             lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall3(nr: u32, a0: usize, a1: usize, a2: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("syscall", inlateout("rax") nr as usize => r, in("rdi") a0, in("rsi") a1,
             in("rdx") a2, lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall4(nr: u32, a0: usize, a1: usize, a2: usize, a3: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("syscall", inlateout("rax") nr as usize => r, in("rdi") a0, in("rsi") a1,
             in("rdx") a2, in("r10") a3, lateout("rcx") _, lateout("r11") _,
             options(nostack, preserves_flags));
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
        asm!("syscall", inlateout("rax") nr as usize => r, in("rdi") a0, in("rsi") a1,
             in("rdx") a2, in("r10") a3, in("r8") a4, lateout("rcx") _, lateout("r11") _,
             options(nostack, preserves_flags));
    }
    r
}

/// Terminates the process; never returns.
#[inline]
pub(super) fn exit_group(code: i32) -> ! {
    // SAFETY: `exit_group` takes an integer and does not return; it touches
    // no memory of ours.
    unsafe {
        asm!("syscall", in("rax") g::__NR_exit_group as usize,
             in("rdi") code as isize as usize, options(noreturn, nostack));
    }
}

/// Makes a handler return through [`restore_rt`]. x86_64 builds the same
/// (`rt_sigframe`) frame with or without `SA_SIGINFO`.
pub(super) fn set_restorer(act: &mut g::kernel_sigaction) {
    act.sa_flags |= g::SA_RESTORER as c_ulong;
    act.sa_restorer = Some(restore_rt);
}

/// The `SA_RESTORER` trampoline: the kernel makes a signal handler return
/// here, and this calls `rt_sigreturn` to restore the interrupted context.
///
/// It must not touch the stack: on entry `rsp` points at the signal frame
/// the kernel built, which `rt_sigreturn` reads.
#[unsafe(naked)]
unsafe extern "C" fn restore_rt() {
    naked_asm!("mov eax, {nr}", "syscall", "ud2", nr = const g::__NR_rt_sigreturn);
}
