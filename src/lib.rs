//! # daemonry
//!
//! The process-platform toolkit that Python's `celery.platforms` gives
//! Celery, for Rust programs on Linux: pidfile locks, daemonization, user
//! and group lookup and privilege dropping, process titles, signal and errno
//! names, signal dispositions, and open-fd enumeration and closing.
//!
//! ```no_run
//! use daemonry::{DaemonContext, daemon::Output, set_process_title};
//!
//! fn main() -> Result<(), daemonry::Error> {
//!     let _daemon = DaemonContext::new() // the launcher exits 0 once we are ready,
//!         .pidfile(c"/run/myd.pid") //      or prints why not and exits non-zero
//!         .stdout(Output::append(c"/var/log/myd.log"))
//!         .user("nobody") // verified drop, after the pidfile is locked
//!         .open()?;
//!     set_process_title("myd", Some("serving"))?;
//!     loop { /* serve; the pidfile stays locked while `_daemon` lives */ }
//! }
//! ```
//!
//! That program double-forks into a new session, holds `/run/myd.pid`
//! locked for its whole life (taken while still root), drops to `nobody`
//! (groups, gids, uids and capabilities, verified), closes every other fd,
//! puts `/dev/null` and the log on stdio, resets signals, and shows
//! `[myd] serving` in `ps`. Any failure on the way reaches the shell that
//! started it.
//!
//! It differs from the alternatives in three ways:
//!
//! - **Raw syscalls, no libc.** It talks to the kernel through
//!   [rustix](https://docs.rs/rustix) (linux_raw backend) and a small
//!   private `asm!` layer for the calls rustix keeps private. No NSS: user
//!   and group names come from `/etc/passwd` and `/etc/group`.
//! - **`no_std` core, zero allocation.** With `default-features = false`
//!   the crate is `#![no_std]` and never allocates, so its core is safe to
//!   call between `fork` and `exec` of a multi-threaded parent, in PID 1 and
//!   in static binaries. A test with a counting global allocator proves it.
//! - **Safer than libc where libc is silent.** fd closing is O(open fds),
//!   not O(RLIMIT_NOFILE); keep lists accept fd 0; credential changes refuse
//!   a multi-threaded process (the raw syscalls change only the calling
//!   thread) and are verified, and a drop to a non-root user leaves no
//!   capability, keepcaps or securebits loophole; pidfiles are published atomically, held with
//!   `flock`, judged by start time against pid reuse, and never followed
//!   through symlinks; daemonization reports failures to the invoking
//!   process instead of losing them in `/dev/null`.
//!
//! ## Modules
//!
//! | module | celery equivalent | what |
//! |---|---|---|
//! | [`daemon`] | `DaemonContext`, `detached` | double-fork daemonization with a readiness pipe |
//! | [`pidfile`] | `Pidfile`, `create_pidlock` | atomic, `flock`-held pidfiles with stale detection |
//! | [`account`] | `parse_uid`, `parse_gid`, `pwd`/`grp` | `/etc/passwd` and `/etc/group` without NSS |
//! | [`privilege`] | `setuid`, `setgroups`, `initgroups`, `maybe_drop_privileges` | verified, thread-safe privilege dropping that leaves no capability |
//! | [`signal`] | `signals`, `signal_name` | one `Signal` type (real-time included), names, dispositions, masks, alarms, `SignalFd` and synchronous waits for graceful shutdown |
//! | [`process`] | `set_pdeathsig`, `EX_*` | fork, sessions, umask, parent-death signal, exec, waiting, process groups |
//! | [`title`] | `set_process_title` | process titles shown by `ps` |
//! | [`fd`] | `close_open_fds`, `fd_by_path`, `get_fdmax` | enumerate and close fds in O(open fds) |
//! | [`errno`] | `get_errno_name`, `ignore_errno` | errno names and descriptions |
//!
//! Every celery-named function and type is also re-exported at the crate
//! root (`daemonry::parse_uid`, `daemonry::Pidfile`, …).
//!
//! ## Features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | `std` | yes | `Path` helpers such as `fd_by_path`, `std::error::Error` and `From<Error> for std::io::Error`, conveniences that may allocate |
//!
//! ## Async-signal safety
//!
//! Every item of the `no_std` core is async-signal-safe unless its
//! documentation says otherwise: it does not allocate, take locks or panic.
//! Each function's doc has an `# Async-signal safety` line.
//!
//! ## Living beside libc
//!
//! When the program also links libc (every `std` program does), the raw
//! calls here bypass it: libc's caches are not updated. Functions whose
//! effect libc would otherwise track say so in their documentation.
//!
//! ## Minimum kernel
//!
//! Linux 3.5 for the `/proc` fields used; `close_range(2)` (5.9) and its
//! `CLOSE_RANGE_CLOEXEC` flag (5.11) are used when present, with fallbacks
//! to `/proc/self/fd` enumeration and a bounded probe.

#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate std;

#[cfg(not(target_os = "linux"))]
compile_error!("daemonry supports Linux only");

// Private building blocks.
mod cstr;
mod name;
mod num;
mod procfs;
mod sys;

// Errors and names.
pub mod errno;
mod error;
pub mod path;

// The modules, from the bottom of the dependency graph up.
pub mod account;
pub mod daemon;
pub mod fd;
pub mod notify;
pub mod pidfile;
pub mod privilege;
pub mod process;
pub mod signal;
pub mod title;

// celery-style names at the crate root, and the rustix types in signatures.
pub use error::{Error, ErrorInput, ErrorKind, Op, Result};
pub use name::Name;
pub use path::PathArg;

pub use account::{AccountDb, Group, GroupRef, User, UserRef, parse_gid, parse_uid};
pub use daemon::{Daemon, DaemonContext, DetachOptions, OnReady, Opened, Output, detached};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use fd::fd_by_path;
pub use fd::{OpenFds, cloexec_open_fds, close_open_fds, fd_max, fds_for_path, isatty, open_fds};
pub use notify::{ListenFds, NotifySocket};
pub use pidfile::{Holder, PidLock, PidStatus, Pidfile, check_pidlock, create_pidlock, parse_pid};
pub use privilege::{
    Capabilities, PrivilegeDrop, PrivilegeReport, check_privileges, drop_privileges, initgroups,
    setgid, setgroups, setuid,
};
pub use process::{
    EX_CANTCREAT, EX_FAILURE, EX_OK, EX_UNAVAILABLE, EX_USAGE, Fork, Implementation,
    exit_immediately, fork, implementation, parse_umask, set_pdeathsig, setsid, umask,
};
pub use signal::{Signal, SignalName, parse_signal, signal_name};
pub use title::{Title, set_mp_process_title, set_name, set_process_title, set_title};

pub use rustix::fd::RawFd;
pub use rustix::fs::Mode;
pub use rustix::io::Errno;
pub use rustix::process::{Gid, Pid, Uid};
