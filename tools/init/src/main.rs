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
