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

/// The number of `rt_sigreturn`, used by the restorer trampoline below.
const RT_SIGRETURN: u32 = linux_raw_sys::general::__NR_rt_sigreturn;

#[inline]
pub(super) unsafe fn syscall0(nr: u32) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("syscall", inlateout("rax") nr as usize => r,
             lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
    }
    r
}

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
        asm!("syscall", in("rax") linux_raw_sys::general::__NR_exit_group as usize,
             in("rdi") code as isize as usize, options(noreturn, nostack));
    }
}

/// The `SA_RESTORER` trampoline: the kernel makes a signal handler return
/// here, and this calls `rt_sigreturn` to restore the interrupted context.
///
/// It must not touch the stack: on entry `rsp` points at the signal frame
/// the kernel built, which `rt_sigreturn` reads.
#[unsafe(naked)]
pub(super) unsafe extern "C" fn restore_rt() {
    naked_asm!("mov eax, {nr}", "syscall", "ud2", nr = const RT_SIGRETURN);
}
