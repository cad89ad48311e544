//! 32-bit ARM (EABI) system-call instructions, for code compiled in ARM or
//! Thumb mode alike.
//!
//! # Safety
//!
//! Each function executes `svc 0` with the given number and arguments. The
//! kernel's EABI: number in `r7`, arguments in `r0`..`r5`, the result in
//! `r0` (`-4095..=-1` meaning `-errno`); nothing else is clobbered. In
//! Thumb mode `r7` is the frame pointer and cannot be named as an `asm!`
//! operand, so every call saves it in a scratch register, loads the number
//! into it and restores it after `svc` (rustix's `thumb.rs` and origin do
//! the same); one sequence serves both modes. Callers must pass arguments
//! that are valid for the system call they name (pointers to live,
//! correctly sized memory, and so on).

#![allow(unsafe_code)] // This file is the raw system-call layer.

use core::arch::{asm, naked_asm};
use core::ffi::c_ulong;

use linux_raw_sys::general as g;

#[inline]
pub(super) unsafe fn syscall1(nr: u32, a0: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`; `r7` is
    // restored before the block ends.
    unsafe {
        asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}",
             nr = in(reg) nr, tmp = out(reg) _,
             inlateout("r0") a0 => r, options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall2(nr: u32, a0: usize, a1: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`; `r7` is
    // restored before the block ends.
    unsafe {
        asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}",
             nr = in(reg) nr, tmp = out(reg) _,
             inlateout("r0") a0 => r, in("r1") a1, options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall3(nr: u32, a0: usize, a1: usize, a2: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`; `r7` is
    // restored before the block ends.
    unsafe {
        asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}",
             nr = in(reg) nr, tmp = out(reg) _,
             inlateout("r0") a0 => r, in("r1") a1, in("r2") a2,
             options(nostack, preserves_flags));
    }
    r
}

#[inline]
pub(super) unsafe fn syscall4(nr: u32, a0: usize, a1: usize, a2: usize, a3: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the contract of system call `nr`; `r7` is
    // restored before the block ends.
    unsafe {
        asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}",
             nr = in(reg) nr, tmp = out(reg) _,
             inlateout("r0") a0 => r, in("r1") a1, in("r2") a2, in("r3") a3,
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
    // SAFETY: the caller upholds the contract of system call `nr`; `r7` is
    // restored before the block ends.
    unsafe {
        asm!("mov {tmp}, r7", "mov r7, {nr}", "svc 0", "mov r7, {tmp}",
             nr = in(reg) nr, tmp = out(reg) _,
             inlateout("r0") a0 => r, in("r1") a1, in("r2") a2, in("r3") a3, in("r4") a4,
             options(nostack, preserves_flags));
    }
    r
}

/// Terminates the process; never returns.
#[inline]
pub(super) fn exit_group(code: i32) -> ! {
    // SAFETY: `exit_group` takes an integer and does not return; it touches
    // no memory of ours (nor needs `r7` back).
    unsafe {
        asm!("mov r7, {nr}", "svc 0", "udf #16", nr = in(reg) g::__NR_exit_group,
             in("r0") code, options(noreturn, nostack));
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

/// The `SA_RESTORER` trampoline for `SA_SIGINFO` handlers: the handler
/// returns here (through `lr`) and this calls `rt_sigreturn`, which reads
/// the `rt_sigframe` at `sp`.
#[unsafe(naked)]
unsafe extern "C" fn restore_rt() {
    naked_asm!("mov r7, #{nr}", "svc 0", "udf #16", nr = const g::__NR_rt_sigreturn);
}

/// The `SA_RESTORER` trampoline for handlers without `SA_SIGINFO`: calls
/// `sigreturn`, which reads the `sigframe` at `sp`.
#[unsafe(naked)]
unsafe extern "C" fn restore() {
    naked_asm!("mov r7, #{nr}", "svc 0", "udf #16", nr = const g::__NR_sigreturn);
}
