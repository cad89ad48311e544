//! [`SingleThreaded`]: the proof that credential changes and a raw `fork`
//! need.
//!
//! # Safety
//!
//! One `unsafe` call: `unshare(CLONE_THREAD)` through rustix's
//! `unshare_unsafe`, whose hazard (unsharing the fd table with
//! `CLONE_FILES`) does not arise with `CLONE_THREAD` alone.

#![allow(unsafe_code)] // See "Safety" above.

use crate::error::{Error, ErrorKind, Op, Result};
use crate::procfs::{read_file, status_field};
use rustix::io::Errno;

/// Proof that the process ran exactly one thread when the proof was made.
///
/// Linux credential system calls (`setresuid(2)`, `setgroups(2)`, …)
/// change only the calling thread; glibc hides this by signalling every
/// other thread, daemonry does not. A raw `fork` in a multi-threaded
/// process leaves the child with locks held by threads that no longer
/// exist. So these operations check the thread count first, and the check
/// is this value: [`SingleThreaded::check`] makes one (or fails with
/// [`MultiThreaded`](ErrorKind::MultiThreaded)), and the operations take
/// it ([`PrivilegeDrop::apply_single_threaded`](crate::PrivilegeDrop::apply_single_threaded), [`SingleThreaded::setuid`] and friends)
/// or make one themselves (the free functions).
///
/// A proof describes the moment it was made: starting a thread afterwards
/// makes it stale. Make it right before the operation, as the free
/// functions do; keep one only across code you control.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::process::SingleThreaded;
/// // A test harness runs tests on several threads, so this may fail;
/// // either way it says so rather than guessing.
/// match SingleThreaded::check() {
///     Ok(_proof) => println!("one thread"),
///     Err(e) => assert_eq!(e.kind(), daemonry::ErrorKind::MultiThreaded),
/// }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SingleThreaded {
    _private: (),
}

impl SingleThreaded {
    /// `unshare(CLONE_THREAD)`—Checks that the process has exactly one
    /// thread.
    ///
    /// `unshare(CLONE_THREAD)` changes nothing and succeeds exactly when
    /// the thread group has no other thread (`EINVAL` otherwise,
    /// unshare(2)): one system call instead of reading `/proc/self/status`,
    /// and it works without `/proc`. When a seccomp filter refuses
    /// `unshare` (`EPERM`, `ENOSYS`), the `Threads:` count of
    /// `/proc/self/status` decides.
    ///
    /// # Errors
    ///
    /// [`MultiThreaded`](ErrorKind::MultiThreaded) when another thread
    /// runs; an [`Os`](ErrorKind::Os) error of
    /// [`Op::CountThreads`] when neither way could count.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [unshare(2)](https://man7.org/linux/man-pages/man2/unshare.2.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::process::SingleThreaded;
    /// // In a forked child (one thread) this is always Ok.
    /// if let Ok(proof) = SingleThreaded::check() {
    ///     let _ = proof;
    /// }
    /// ```
    pub fn check() -> Result<SingleThreaded> {
        check_for(Op::CountThreads)
    }

    /// A proof made without looking.
    ///
    /// # Warning
    ///
    /// This is not `unsafe` (a credential change on one thread of several
    /// breaks no memory-safety rule), but the operations that take the
    /// proof then change only the calling thread: other threads keep the
    /// old credentials, which is usually a security hole. Use it only when
    /// the count cannot be taken and you know the process is
    /// single-threaded (or mean to change one thread).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let _proof = daemonry::process::SingleThreaded::assume();
    /// ```
    pub const fn assume() -> SingleThreaded {
        SingleThreaded { _private: () }
    }
}

/// [`SingleThreaded::check`], with errors naming `op`.
pub(crate) fn check_for(op: Op) -> Result<SingleThreaded> {
    let flags =
        rustix::thread::UnshareFlags::from_bits_retain(linux_raw_sys::general::CLONE_THREAD);
    // SAFETY: `unshare_unsafe`'s hazard is unsharing the fd table
    // (`CLONE_FILES`); `CLONE_THREAD` alone unshares nothing: the kernel
    // only checks that the thread group is empty and returns.
    match unsafe { rustix::thread::unshare_unsafe(flags) } {
        Ok(()) => Ok(SingleThreaded::assume()),
        Err(Errno::INVAL) => Err(Error::new(ErrorKind::MultiThreaded, op)),
        Err(_) => match thread_count() {
            Ok(1) => Ok(SingleThreaded::assume()),
            Ok(_) => Err(Error::new(ErrorKind::MultiThreaded, op)),
            Err(e) => Err(e.with_op(op)),
        },
    }
}

/// The number of threads in this process (`Threads:` of
/// `/proc/self/status`).
pub(crate) fn thread_count() -> Result<usize> {
    let mut buf = [0u8; 4096];
    let status =
        read_file(c"/proc/self/status", &mut buf).map_err(|e| Error::os(Op::CountThreads, e))?;
    status_field(status, b"Threads")
        .and_then(crate::num::parse_u64)
        .map(|n| n as usize)
        .ok_or(Error::invalid(Op::CountThreads))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn counts_threads() {
        // Two more threads wait on a barrier with this one, so all three
        // are alive when counted.
        let start = std::sync::Arc::new(std::sync::Barrier::new(3));
        let end = std::sync::Arc::new(std::sync::Barrier::new(3));
        let threads: std::vec::Vec<_> = (0..2)
            .map(|_| {
                let (start, end) = (start.clone(), end.clone());
                std::thread::spawn(move || {
                    start.wait();
                    end.wait();
                })
            })
            .collect();
        start.wait();
        let counted = thread_count().unwrap();
        end.wait();
        for t in threads {
            t.join().unwrap();
        }
        // Other tests' threads may run too: at least ours.
        assert!(counted >= 3, "{counted} threads counted with 3 alive");
    }
}
