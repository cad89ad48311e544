//! Credentials: set user and group ids and supplementary groups, drop
//! privileges with verification, and read capabilities (celery's `setuid`,
//! `setgid`, `setgroups`, `initgroups`, `maybe_drop_privileges`,
//! `check_privileges`).
//!
//! # One API
//!
//! | checks the thread count, system databases | with a [`SingleThreaded`] proof, or another database |
//! |---|---|
//! | [`setuid`]`(uid)` | [`proof.setuid(uid)`](SingleThreaded::setuid) |
//! | [`setgid`]`(gid)` | [`proof.setgid(gid)`](SingleThreaded::setgid) |
//! | [`setgroups`]`(&groups)` | [`proof.setgroups(&groups)`](SingleThreaded::setgroups) |
//! | [`initgroups`]`(user, gid)` | [`proof.initgroups(&db, user, gid)`](SingleThreaded::initgroups), [`db.initgroups(user, gid)`](AccountDb::initgroups) |
//! | [`drop_privileges`]`(user, group)` | [`PrivilegeDrop`]: `.accounts(&db)`, `.no_new_privs(true)`, `.apply()` or `.apply_single_threaded(proof)` |
//! | [`check_privileges`]`(allow_root)` | [`db.check_privileges(allow_root)`](AccountDb::check_privileges) |
//! | [`CapabilitySets::current`], [`SecureBits::current`] | — |
//!
//! Users and groups are [`UserRef`](crate::account::UserRef) /
//! [`GroupRef`](crate::account::GroupRef): a name or an id
//! (`"nobody".into()`, `Uid::from_raw(65534).into()`).
//!
//! # The per-thread credential rule
//!
//! On Linux the credential system calls (`setresuid`, `setresgid`,
//! `setgroups`, `capset`, …) change **only the calling thread**. glibc and
//! musl hide this: their wrappers signal every other thread and make it
//! repeat the call (glibc's `SIGSETXID` broadcast). daemonry talks to the
//! kernel directly and cannot do that safely (it would need a reserved
//! signal and a handler in every thread, and threads can appear during the
//! broadcast). A process whose threads disagree about their credentials is
//! a security hole: the other threads would keep root.
//!
//! So every function here first checks that the process runs exactly one
//! thread ([`SingleThreaded::check`]: one `unshare(CLONE_THREAD)` call,
//! which changes nothing and fails with `EINVAL` when other threads exist;
//! the `Threads:` line of `/proc/self/status` where seccomp refuses it) and
//! otherwise returns [`ErrorKind::MultiThreaded`](crate::ErrorKind::MultiThreaded)
//! without changing anything. Drop privileges before starting threads or an
//! async runtime (right after daemonizing is the usual place). The methods
//! of a [`SingleThreaded`] proof skip the check for callers who already
//! hold one, or who know that no other thread exists or matters (a raw-fork
//! child, with [`SingleThreaded::assume`]). Skipping it is a policy risk,
//! not a memory-safety one, so nothing here is `unsafe`: see the `# Warning`
//! sections.
//!
//! Because libc is bypassed, libc's own view is not updated either; that is
//! harmless for ids (glibc asks the kernel each time).
//!
//! # Capabilities
//!
//! Root's power is its capabilities. A drop to a non-root user
//! ([`drop_privileges`], [`PrivilegeDrop`]) leaves none behind: it refuses,
//! before changing anything, when the securebits would let root's
//! capabilities survive the uid change (`SECBIT_NO_SETUID_FIXUP`, or a
//! locked-on `SECBIT_KEEP_CAPS`); it clears `PR_SET_KEEPCAPS`, the ambient
//! and the inheritable sets first; it empties the permitted and effective
//! sets after `setresuid` whatever the kernel's uid fix-up did; and it
//! verifies with `capget` that all four sets are empty. Anything left is
//! [`ErrorKind::Security`](crate::ErrorKind::Security). [`setuid`] alone
//! does none of this: it is the bare system call. A drop to uid 0 keeps the
//! capabilities (root keeps root's powers).
//!
//! # Parent-death signal
//!
//! The kernel clears `PR_SET_PDEATHSIG` whenever the effective uid or gid
//! changes: set it *after* [`drop_privileges`].

mod caps;
mod drop;
mod groups;
mod ids;
mod report;

pub use crate::process::SingleThreaded;
pub use caps::{Capabilities, CapabilitySets, SecureBits};
pub use drop::{PrivilegeDrop, drop_privileges};
pub use groups::{initgroups, ngroups_max, setgroups};
pub use ids::{setgid, setuid};
pub use report::{PrivilegeReport, check_privileges};

#[cfg(doc)]
use crate::account::AccountDb;

/// How many supplementary groups [`initgroups`] and [`drop_privileges`]
/// can handle: their group lists live in fixed stack arrays of this many
/// entries (4 KiB each). A user in more groups gets
/// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall), unless
/// the kernel's `ngroups_max` is smaller, in which case the list is
/// truncated as glibc does. Use [`AccountDb::group_list`] with a bigger
/// buffer and [`setgroups`] for such users.
pub const GROUPS_CAPACITY: usize = 1024;
