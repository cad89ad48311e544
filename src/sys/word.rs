//! The calls whose number depends on the word size, not on the
//! architecture, and the kernel's `struct stat` for [`nr::FSTAT`].
//!
//! On 64-bit architectures the plain names of linux-raw-sys are already the
//! 32-bit-id and 64-bit-time calls. On 32-bit ones (arm, x86) the plain
//! names are the 16-bit-id (`getresuid`), 32-bit-time (`clock_gettime`) and
//! 32-bit-`ino_t` (`fstat`) variants: use the 32-bit-id and 64-bit-time
//! ones, and fall back to the 32-bit-time ones only on kernels before 5.1,
//! which lack the latter.

#[cfg(target_pointer_width = "64")]
pub(super) mod nr {
    use linux_raw_sys::general as g;

    pub(crate) const GETRESUID: u32 = g::__NR_getresuid;
    pub(crate) const GETRESGID: u32 = g::__NR_getresgid;
    pub(crate) const GETGROUPS: u32 = g::__NR_getgroups;
    pub(crate) const FSTAT: u32 = g::__NR_fstat;
    pub(crate) const CLOCK_GETTIME: u32 = g::__NR_clock_gettime;
    pub(crate) const RT_SIGTIMEDWAIT: u32 = g::__NR_rt_sigtimedwait;
    /// No older variant with a 32-bit `time_t` to fall back on.
    pub(crate) const CLOCK_GETTIME_TIME32: Option<u32> = None;
    /// No older variant with a 32-bit `time_t` to fall back on.
    pub(crate) const RT_SIGTIMEDWAIT_TIME32: Option<u32> = None;
}

#[cfg(target_pointer_width = "32")]
pub(super) mod nr {
    use linux_raw_sys::general as g;

    pub(crate) const GETRESUID: u32 = g::__NR_getresuid32;
    pub(crate) const GETRESGID: u32 = g::__NR_getresgid32;
    pub(crate) const GETGROUPS: u32 = g::__NR_getgroups32;
    pub(crate) const FSTAT: u32 = g::__NR_fstat64;
    pub(crate) const CLOCK_GETTIME: u32 = g::__NR_clock_gettime64;
    pub(crate) const RT_SIGTIMEDWAIT: u32 = g::__NR_rt_sigtimedwait_time64;
    pub(crate) const CLOCK_GETTIME_TIME32: Option<u32> = Some(g::__NR_clock_gettime);
    pub(crate) const RT_SIGTIMEDWAIT_TIME32: Option<u32> = Some(g::__NR_rt_sigtimedwait);
}

/// The kernel's `struct stat` for [`nr::FSTAT`].
#[cfg(target_pointer_width = "64")]
pub(super) type KernelStat = linux_raw_sys::general::stat;

/// The kernel's `struct stat64` for [`nr::FSTAT`] (64-bit `st_dev`,
/// `st_ino` and `st_size`).
#[cfg(target_pointer_width = "32")]
pub(super) type KernelStat = linux_raw_sys::general::stat64;
