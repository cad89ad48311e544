//! daemonry-init's entry point: origin starts the program (no libc, no C runtime)
//! and calls `origin_main`; everything else is in the library.
//!
//! # Safety
//!
//! `origin_main` is called once by origin's `_start` with the kernel's
//! `argc`, `argv` and `envp`: null-terminated arrays of NUL-terminated
//! strings that live, unchanged (daemonry-init never rewrites them), for the whole
//! run.

#![no_std]
#![no_main]
#![allow(unsafe_code)]

use daemonry::process::CStrArray;

/// Called by origin's `_start`.
///
/// # Safety
///
/// Only origin calls it, once, with the kernel's arguments.
#[unsafe(no_mangle)]
unsafe fn origin_main(_argc: usize, argv: *mut *mut u8, envp: *mut *mut u8) -> i32 {
    // SAFETY: the kernel's argv and envp (see the module's `# Safety`).
    let (argv, envp) = unsafe {
        (
            CStrArray::from_ptr(argv.cast_const().cast()),
            CStrArray::from_ptr(envp.cast_const().cast()),
        )
    };
    let status = daemonry_init::main(argv, envp);
    // Leave through origin (no at-exit work is registered); returning from
    // `origin_main` is avoided, as in origin's own examples.
    origin::program::exit(status)
}

// origin's panic handler (`panic-handler-trap`) and personality stub
// (`eh-personality-continue`) are left out on 32-bit ARM, where its
// `nightly` feature is needed (see Cargo.toml) and assumes the `unwinding`
// crate, which has no ARM port. Both again here; with `panic = "abort"`
// nothing unwinds.

/// Traps, as origin's `panic-handler-trap` does.
#[cfg(target_arch = "arm")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: a permanently undefined instruction: the kernel ends the
    // process with SIGILL, touching nothing of ours.
    unsafe { core::arch::asm!("udf #16", options(noreturn, nostack)) }
}

/// The personality routine compiler_builtins' ARM unwind tables name; never
/// called, since nothing unwinds. Answers `_URC_FAILURE`.
#[cfg(target_arch = "arm")]
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality(
    _state: core::ffi::c_int,
    _exception: *mut core::ffi::c_void,
    _context: *mut core::ffi::c_void,
) -> core::ffi::c_int {
    9
}
