//! 32-bit x86 (i686) system-call instructions.
//!
//! # Safety
//!
//! Each function executes `int 0x80` with the given number and arguments.
//! The kernel's i386 ABI: number in `eax`, arguments in `ebx`, `ecx`,
//! `edx`, `esi`, `edi`, `ebp`; the result in `eax` (`-4095..=-1` meaning
//! `-errno`); nothing else is clobbered. LLVM reserves `esi` and `ebp`, so
//! they cannot be named as `asm!` operands: the fourth argument is swapped
//! into `esi` and back around the instruction (rustix's `x86.rs` does the
//! same); no call here takes six arguments. `int 0x80` rather than the
//! vDSO's `__kernel_vsyscall`: it needs no auxv lookup and these calls are
//! not hot. Callers must pass arguments that are valid for the system call
//! they name (pointers to live, correctly sized memory, and so on).

#![allow(unsafe_code)] // This file is the raw system-call layer.

use core::arch::{asm, naked_asm};
use core::ffi::c_ulong;

use linux_raw_sys::general as g;

#[inline]
pub(super) unsafe fn syscall1(nr: u32, a0: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("int 0x80", inlateout("eax") nr as usize => r, in("ebx") a0,
             options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall2(nr: u32, a0: usize, a1: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("int 0x80", inlateout("eax") nr as usize => r, in("ebx") a0, in("ecx") a1,
             options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall3(nr: u32, a0: usize, a1: usize, a2: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`.
    unsafe {
        asm!("int 0x80", inlateout("eax") nr as usize => r, in("ebx") a0, in("ecx") a1,
             in("edx") a2, options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall4(nr: u32, a0: usize, a1: usize, a2: usize, a3: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`; `esi` is
    // swapped back before the block ends.
    unsafe {
        asm!("xchg esi, {a3}", "int 0x80", "xchg esi, {a3}",
             a3 = in(reg) a3, inlateout("eax") nr as usize => r, in("ebx") a0,
             in("ecx") a1, in("edx") a2, options(nostack, preserves_flags));
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
    // SAFETY: the caller upholds the contract of system call `nr`; `esi` is
    // swapped back before the block ends.
    unsafe {
        asm!("xchg esi, {a3}", "int 0x80", "xchg esi, {a3}",
             a3 = in(reg) a3, inlateout("eax") nr as usize => r, in("ebx") a0,
             in("ecx") a1, in("edx") a2, in("edi") a4, options(nostack, preserves_flags));
    }
    r
}

/// Terminates the process; never returns.
#[inline]
pub(super) fn exit_group(code: i32) -> ! {
    // SAFETY: `exit_group` takes an integer and does not return; it touches
    // no memory of ours.
    unsafe {
        asm!("int 0x80", "ud2", in("eax") g::__NR_exit_group as usize, in("ebx") code,
             options(noreturn, nostack));
    }
}

/// Makes a handler return through the trampoline the kernel's frame needs:
/// with `SA_SIGINFO` the kernel builds an `rt_sigframe` (undone by
/// `rt_sigreturn`), without it a `sigframe` (undone by `sigreturn`).
pub(super) fn set_restorer(act: &mut g::kernel_sigaction) {
    let siginfo = act.sa_flags & g::SA_SIGINFO as c_ulong != 0;
    act.sa_flags |= g::SA_RESTORER as c_ulong;
    act.sa_restorer = Some(if siginfo { restore_rt } else { restore });
}

/// The `SA_RESTORER` trampoline for `SA_SIGINFO` handlers: the handler's
/// `ret` pops the frame's return address and lands here; `rt_sigreturn`
/// reads the `rt_sigframe` just below `esp`. Must not touch the stack.
#[unsafe(naked)]
unsafe extern "C" fn restore_rt() {
    naked_asm!("mov eax, {nr}", "int 0x80", "ud2", nr = const g::__NR_rt_sigreturn);
}

/// The `SA_RESTORER` trampoline for handlers without `SA_SIGINFO`: a
/// `sigframe` still holds the signal number above the return address, and
/// `sigreturn` expects `esp` past it, so pop it first (glibc's `__restore`
/// does the same).
#[unsafe(naked)]
unsafe extern "C" fn restore() {
    naked_asm!("pop eax", "mov eax, {nr}", "int 0x80", "ud2", nr = const g::__NR_sigreturn);
}
