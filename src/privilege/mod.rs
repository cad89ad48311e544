//! Credentials: set user and group ids and supplementary groups, and drop
//! privileges with verification (celery's `setuid`, `setgid`, `setgroups`,
//! `initgroups`, `maybe_drop_privileges`, `check_privileges`).
//!
//! # The per-thread credential rule
//!
//! On Linux the credential system calls (`setresuid`, `setresgid`,
//! `setgroups`, …) change **only the calling thread**. glibc and musl hide
//! this: their wrappers signal every other thread and make it repeat the
//! call (glibc's `SIGSETXID` broadcast). daemonry talks to the kernel
//! directly and cannot do that safely (it would need a reserved signal and a
//! handler in every thread, and threads can appear during the broadcast). A
//! process whose threads disagree about their credentials is a security
//! hole: the other threads would keep root.
//!
//! So every function here first checks that the process runs exactly one
//! thread (one `unshare(CLONE_THREAD)` call, which changes nothing and fails
//! with `EINVAL` when other threads exist; the `Threads:` line of
//! `/proc/self/status` where seccomp refuses it) and otherwise returns
//! [`ErrorKind::MultiThreaded`] without changing anything. Drop privileges
//! before starting threads or an async runtime (right after daemonizing is
//! the usual place). The `unsafe` `*_unchecked` variants skip the check for
//! callers who know that no other thread exists or matters (for instance
//! in a raw-fork child, which has one thread whatever `/proc` says).
//!
//! Because libc is bypassed, libc's own view is not updated either; that is
//! harmless for ids (glibc asks the kernel each time).
//!
//! # Parent-death signal
//!
//! The kernel clears `PR_SET_PDEATHSIG` whenever the effective uid or gid
//! changes: set it *after* [`drop_privileges`].
//!
//! # Safety
//!
//! This file declares the `unsafe` `*_unchecked` variants; their only
//! precondition is the single-thread rule above. It contains no unsafe
//! blocks.

#![allow(unsafe_code)]

mod report;

pub use report::{PrivilegeReport, check_privileges, check_privileges_in};

use crate::account::UserRef;
use crate::account::{AccountDb, parse_gid_in, resolve_user};
use crate::error::Op;
use crate::error::{Error, ErrorKind, Result};
use crate::name::Name;
use crate::num::Decimal;
use crate::procfs;
use crate::sys;
use rustix::io::Errno;
use rustix::process::{Gid, Uid};
use rustix::thread;

/// How many supplementary groups [`initgroups`] and [`drop_privileges`]
/// can handle: their group lists live in fixed stack arrays of this many
/// entries (4 KiB each). A user in more groups gets
/// [`ErrorKind::BufferTooSmall`], unless the kernel's `ngroups_max` is
/// smaller, in which case the list is truncated as glibc does. Use
/// [`AccountDb::group_list`] with a bigger buffer and [`setgroups`] for
/// such users.
pub const GROUPS_CAPACITY: usize = 1024;

/// The kernel's compile-time `NGROUPS_MAX` (`<linux/limits.h>`), the most
/// groups `setgroups(2)` ever accepts.
const KERNEL_NGROUPS_MAX: usize = 65536;

/// The kernel's limit on supplementary groups, from
/// `/proc/sys/kernel/ngroups_max` (65536 on Linux since 2.6.4).
///
/// `None` when the file cannot be read or parsed (no `/proc`): callers then
/// apply no cap, and [`setgroups`] relies on its `EINVAL` back-off.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`proc_sys_kernel(5)`](https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html)
///
/// # Examples
///
/// ```
/// assert!(daemonry::privilege::ngroups_max().unwrap_or(65536) >= 32);
/// ```
#[doc(alias = "NGROUPS_MAX")]
pub fn ngroups_max() -> Option<usize> {
    let mut buf = [0u8; 32];
    let text = procfs::read_file(c"/proc/sys/kernel/ngroups_max", &mut buf).ok()?;
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    crate::num::parse_u64(text).and_then(|v| usize::try_from(v).ok())
}

/// `setresuid(2)`—Sets the real, effective and saved user ids to `uid`.
///
/// With privilege (`CAP_SETUID`) any uid is allowed; without, only one of
/// the three current ids. Leaving uid 0 this way also clears the permitted
/// and effective capabilities (unless `SECBIT_NO_SETUID_FIXUP` is set).
/// Unlike glibc's `setuid(3)`, which changes only the effective id when
/// unprivileged, all three ids always change together.
///
/// # Errors
///
/// - [`ErrorKind::MultiThreaded`] if the process has more than one thread
///   (see the [per-thread rule](self#the-per-thread-credential-rule)).
/// - [`ErrorKind::Os`]: `EPERM` without the privilege; `EINVAL` for an id
///   outside the user namespace.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`setresuid(2)`](https://man7.org/linux/man-pages/man2/setresuid.2.html)
///
/// # Examples
///
/// ```no_run
/// daemonry::setuid(daemonry::Uid::from_raw(65534))?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "setresuid")]
pub fn setuid(uid: Uid) -> Result<()> {
    crate::process::require_single_thread(Op::Setuid)?;
    // SAFETY: the process has exactly one thread.
    unsafe { setuid_unchecked(uid) }
}

/// [`setuid`] without the single-thread check.
///
/// # Errors
///
/// [`ErrorKind::Os`] as for [`setuid`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Safety
///
/// Only the calling thread changes. The caller must make sure no other
/// thread of the process exists, or that leaving others with the old
/// credentials is acceptable.
///
/// # References
///
/// [`setresuid(2)`](https://man7.org/linux/man-pages/man2/setresuid.2.html)
///
/// # Examples
///
/// ```no_run
/// // SAFETY: a freshly forked child has one thread.
/// unsafe { daemonry::privilege::setuid_unchecked(daemonry::Uid::from_raw(65534))? };
/// # Ok::<(), daemonry::Error>(())
/// ```
pub unsafe fn setuid_unchecked(uid: Uid) -> Result<()> {
    thread::set_thread_res_uid(uid, uid, uid).map_err(|e| Error::os(Op::Setuid, e))
}

/// `setresgid(2)`—Sets the real, effective and saved group ids to `gid`.
///
/// Supplementary groups are not touched: see [`setgroups`],
/// [`initgroups`] and [`drop_privileges`].
///
/// # Errors
///
/// - [`ErrorKind::MultiThreaded`] if the process has more than one thread.
/// - [`ErrorKind::Os`]: `EPERM` without `CAP_SETGID` (unless `gid` is one
///   of the current three); `EINVAL` for an id outside the user namespace.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`setresgid(2)`](https://man7.org/linux/man-pages/man2/setresgid.2.html)
///
/// # Examples
///
/// ```no_run
/// daemonry::setgid(daemonry::Gid::from_raw(65534))?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "setresgid")]
pub fn setgid(gid: Gid) -> Result<()> {
    crate::process::require_single_thread(Op::Setgid)?;
    // SAFETY: the process has exactly one thread.
    unsafe { setgid_unchecked(gid) }
}

/// [`setgid`] without the single-thread check.
///
/// # Errors
///
/// [`ErrorKind::Os`] as for [`setgid`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Safety
///
/// Only the calling thread changes; see [`setuid_unchecked`].
///
/// # References
///
/// [`setresgid(2)`](https://man7.org/linux/man-pages/man2/setresgid.2.html)
///
/// # Examples
///
/// ```no_run
/// // SAFETY: a freshly forked child has one thread.
/// unsafe { daemonry::privilege::setgid_unchecked(daemonry::Gid::from_raw(65534))? };
/// # Ok::<(), daemonry::Error>(())
/// ```
pub unsafe fn setgid_unchecked(gid: Gid) -> Result<()> {
    thread::set_thread_res_gid(gid, gid, gid).map_err(|e| Error::os(Op::Setgid, e))
}

/// What [`apply_groups`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Applied {
    /// The first `n` requested groups are set.
    Set(usize),
    /// `EPERM`, but the current groups are a subset of the request.
    AlreadySubset,
}

/// setgroups with the ngroups_max cap, the EINVAL back-off and the EPERM
/// subset rule.
fn apply_groups(groups: &[Gid], context: Op) -> Result<Applied> {
    let mut n = groups.len();
    if let Some(max) = ngroups_max() {
        n = n.min(max);
    }
    loop {
        let list = groups.get(..n).unwrap_or(groups);
        match thread::set_thread_groups(list) {
            Ok(()) => return Ok(Applied::Set(n)),
            Err(Errno::INVAL) if n > 1 => {
                n = if n > KERNEL_NGROUPS_MAX {
                    KERNEL_NGROUPS_MAX
                } else {
                    n - 1
                };
            }
            Err(Errno::PERM) => {
                let mut buf = [0u32; GROUPS_CAPACITY];
                return match current_groups(&mut buf) {
                    Some(cur) if cur.iter().all(|&g| list.contains(&Gid::from_raw(g))) => {
                        Ok(Applied::AlreadySubset)
                    }
                    _ => Err(Error::os(context, Errno::PERM)),
                };
            }
            Err(e) => return Err(Error::os(context, e)),
        }
    }
}

/// The calling thread's supplementary groups, if they fit `buf`.
fn current_groups(buf: &mut [u32]) -> Option<&[u32]> {
    let n = sys::getgroups(buf).ok()?;
    buf.get(..n)
}

/// `setgroups(2)`—Sets the supplementary group list.
///
/// celery's rules, made bounded:
/// - the list is cut to the kernel's [`ngroups_max`] (as glibc's
///   `initgroups` does; more is not an error);
/// - on `EINVAL` (too many for the kernel) trailing groups are dropped
///   until it fits (straight to 65536 first, then one at a time);
/// - on `EPERM` (no `CAP_SETGID`) it succeeds only if the current list is
///   already a subset of the request: we then hold no more than was asked
///   for. A current list of more than [`GROUPS_CAPACITY`] groups cannot be
///   checked and the `EPERM` is returned.
///
/// The kernel keeps the list sorted: `getgroups(2)` and `/proc` show it in
/// ascending order, whatever order it was given in.
///
/// # Errors
///
/// - [`ErrorKind::MultiThreaded`] if the process has more than one thread.
/// - [`ErrorKind::Os`]: `EPERM` as above; `EINVAL` when even a single group
///   is refused (an id outside the user namespace); `ENOMEM`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`setgroups(2)`](https://man7.org/linux/man-pages/man2/setgroups.2.html)
///
/// # Examples
///
/// ```no_run
/// use daemonry::Gid;
/// daemonry::setgroups(&[Gid::from_raw(100), Gid::from_raw(104)])?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn setgroups(groups: &[Gid]) -> Result<()> {
    crate::process::require_single_thread(Op::Setgroups)?;
    // SAFETY: the process has exactly one thread.
    unsafe { setgroups_unchecked(groups) }
}

/// [`setgroups`] without the single-thread check.
///
/// # Errors
///
/// [`ErrorKind::Os`] as for [`setgroups`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Safety
///
/// Only the calling thread changes; see [`setuid_unchecked`].
///
/// # References
///
/// [`setgroups(2)`](https://man7.org/linux/man-pages/man2/setgroups.2.html)
///
/// # Examples
///
/// ```no_run
/// // SAFETY: a freshly forked child has one thread.
/// unsafe { daemonry::privilege::setgroups_unchecked(&[])? };
/// # Ok::<(), daemonry::Error>(())
/// ```
pub unsafe fn setgroups_unchecked(groups: &[Gid]) -> Result<()> {
    apply_groups(groups, Op::Setgroups).map(drop)
}

/// The error for a uid without a passwd entry.
fn unknown_uid(uid: Uid, context: Op) -> Error {
    Error::new(ErrorKind::UnknownUser, context)
        .with_input(Decimal::new(uid.as_raw().into()).as_bytes())
}

/// Looks up a user's name by uid; `None` if it has no entry.
fn name_of(db: &AccountDb<'_>, uid: Uid, context: Op) -> Result<Option<Name>> {
    match db.user_by_uid(uid).map_err(|e| e.with_op(context))? {
        Some(u) if u.name.is_truncated() => {
            Err(Error::invalid(context).with_input(u.name.as_bytes()))
        }
        Some(u) => Ok(Some(u.name)),
        None => Ok(None),
    }
}

/// The group list of `user` with primary group `gid` in `buf`, cut to
/// `ngroups_max` when it is longer.
fn target_groups<'b>(
    db: &AccountDb<'_>,
    user: &[u8],
    gid: Gid,
    buf: &'b mut [Gid],
    context: Op,
) -> Result<&'b [Gid]> {
    let (filled, total) = db
        .group_list_raw(user, gid, buf)
        .map_err(|e| e.with_op(context))?;
    let max = ngroups_max().unwrap_or(usize::MAX);
    let keep = filled.min(max);
    if total > filled && max > filled {
        return Err(Error::buffer_too_small(context, total));
    }
    Ok(buf.get(..keep).unwrap_or(&[]))
}

/// `initgroups(3)`—Sets the supplementary groups to `gid` plus every group
/// that lists `user` as a member, from the system group database.
///
/// The list is [`AccountDb::group_list`]'s (glibc's `getgrouplist`), set
/// with [`setgroups`] (so cut to `ngroups_max`, with its `EINVAL` and
/// `EPERM` rules). A user given by uid is looked up in the passwd database
/// first. See [`initgroups_in`] for another database.
///
/// # Errors
///
/// - [`ErrorKind::MultiThreaded`] if the process has more than one thread.
/// - [`ErrorKind::UnknownUser`] for a uid without a passwd entry.
/// - [`ErrorKind::InvalidInput`] for a NUL inside the name, or a uid whose
///   name is longer than 32 bytes.
/// - [`ErrorKind::BufferTooSmall`] for a user in more than
///   [`GROUPS_CAPACITY`] groups (while `ngroups_max` is larger).
/// - [`ErrorKind::Os`] from reading the databases or from `setgroups(2)`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`initgroups(3)`](https://man7.org/linux/man-pages/man3/initgroups.3.html)
///
/// # Examples
///
/// ```no_run
/// daemonry::initgroups("postgres", daemonry::parse_gid("postgres")?)?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn initgroups<'u>(user: impl Into<UserRef<'u>>, gid: Gid) -> Result<()> {
    initgroups_in(&AccountDb::system(), user, gid)
}

/// [`initgroups`] against the database `db`.
///
/// # Errors
///
/// As [`initgroups`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`initgroups(3)`](https://man7.org/linux/man-pages/man3/initgroups.3.html)
///
/// # Examples
///
/// ```no_run
/// use daemonry::{AccountDb, Gid, privilege::initgroups_in};
/// let db = AccountDb::new(c"/srv/jail/etc/passwd", c"/srv/jail/etc/group");
/// initgroups_in(&db, "app", Gid::from_raw(990))?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn initgroups_in<'u>(db: &AccountDb<'_>, user: impl Into<UserRef<'u>>, gid: Gid) -> Result<()> {
    crate::process::require_single_thread(Op::Initgroups)?;
    // SAFETY: the process has exactly one thread.
    unsafe { initgroups_unchecked(db, user, gid) }
}

/// [`initgroups_in`] without the single-thread check.
///
/// # Errors
///
/// As [`initgroups`], without `MultiThreaded`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Safety
///
/// Only the calling thread changes; see [`setuid_unchecked`].
///
/// # References
///
/// [`initgroups(3)`](https://man7.org/linux/man-pages/man3/initgroups.3.html)
///
/// # Examples
///
/// ```no_run
/// use daemonry::{AccountDb, Gid, Uid};
/// // SAFETY: a freshly forked child has one thread.
/// unsafe {
///     daemonry::privilege::initgroups_unchecked(&AccountDb::system(), Uid::from_raw(101), Gid::from_raw(104))?
/// };
/// # Ok::<(), daemonry::Error>(())
/// ```
pub unsafe fn initgroups_unchecked<'u>(
    db: &AccountDb<'_>,
    user: impl Into<UserRef<'u>>,
    gid: Gid,
) -> Result<()> {
    const CTX: Op = Op::Initgroups;
    let looked_up;
    let name = match user.into() {
        UserRef::Name(n) => n,
        UserRef::Uid(u) => {
            looked_up = name_of(db, u, CTX)?.ok_or_else(|| unknown_uid(u, CTX))?;
            looked_up.as_bytes()
        }
    };
    let mut buf = [Gid::ROOT; GROUPS_CAPACITY];
    let list = target_groups(db, name, gid, &mut buf, CTX)?;
    apply_groups(list, CTX).map(drop)
}

/// Drops root privileges to a user and/or group, and proves it worked
/// (celery's `maybe_drop_privileges`).
///
/// `uid` and `gid` are resolved with [`parse_uid`](crate::parse_uid) /
/// [`parse_gid`](crate::parse_gid) against the system databases (see
/// [`drop_privileges_in`] for others). Then:
///
/// 1. Refuse (`Security`) when the real uid is 0 but the effective uid is
///    not: that half-dropped state is suspicious.
/// 2. Work out the target: with `uid`, the group is `gid` or else the
///    user's primary gid from passwd, and the supplementary groups are the
///    user's ([`AccountDb::group_list`], cut to `ngroups_max`); a numeric
///    uid without a passwd entry gets just `[gid]`. With only `gid`, the
///    uid stays and the supplementary groups become exactly `[gid]`.
/// 3. If the process already runs as exactly the target (all three uids,
///    all three gids, the same group set), return `Ok` without any system
///    call that could fail: a second drop, or a drop by a process that was
///    started as the target user, works (celery#7200).
/// 4. `setresgid` → `setgroups` → `setresuid`, in that order (groups need
///    root, so they go before the uid).
/// 5. Verify: when the target uid is not 0, `setresuid(0, 0, 0)` must fail
///    with `EPERM`; `getresuid`/`getresgid` must show the target in every
///    slot; `getgroups` must show the target set. Any mismatch is
///    `Security`.
///
/// Deliberate differences from celery: `"0"`/`"root"` mean root, not "not
/// given"; a gid-only drop resets the supplementary groups to `[gid]`
/// (celery keeps root's); all three ids are verified, not an AND of two;
/// multi-threaded processes are refused; the call is idempotent.
///
/// `PR_SET_PDEATHSIG` is cleared by the kernel when the effective ids
/// change: set the parent-death signal after this call.
///
/// # Errors
///
/// - [`ErrorKind::MultiThreaded`] if the process has more than one thread
///   (nothing is changed).
/// - [`ErrorKind::Security`] for the real-root/effective-non-root start,
///   or when verification fails.
/// - [`ErrorKind::UnknownUser`] / [`ErrorKind::UnknownGroup`] for names
///   that do not resolve, or a numeric uid without a passwd entry when no
///   `gid` is given; [`ErrorKind::InvalidInput`] for malformed ids.
/// - [`ErrorKind::BufferTooSmall`] for a user in more than
///   [`GROUPS_CAPACITY`] groups (while `ngroups_max` is larger).
/// - [`ErrorKind::Os`] when a system call fails (`EPERM` without
///   privileges, unless already the target).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`setresuid(2)`](https://man7.org/linux/man-pages/man2/setresuid.2.html),
/// [`setgroups(2)`](https://man7.org/linux/man-pages/man2/setgroups.2.html),
/// [`credentials(7)`](https://man7.org/linux/man-pages/man7/credentials.7.html),
/// CERT POS36-C
///
/// # Examples
///
/// ```no_run
/// daemonry::drop_privileges(Some("nobody"), None)?;
/// // Now set the parent-death signal, if wanted: the drop cleared it.
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "maybe_drop_privileges")]
pub fn drop_privileges(uid: Option<&str>, gid: Option<&str>) -> Result<()> {
    drop_privileges_in(&AccountDb::system(), uid, gid)
}

/// [`drop_privileges`] resolving names against the database `db` (a
/// chroot, a container image, test fixtures).
///
/// # Errors
///
/// As [`drop_privileges`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`credentials(7)`](https://man7.org/linux/man-pages/man7/credentials.7.html)
///
/// # Examples
///
/// ```no_run
/// use daemonry::{AccountDb, privilege::drop_privileges_in};
/// let db = AccountDb::new(c"/srv/jail/etc/passwd", c"/srv/jail/etc/group");
/// drop_privileges_in(&db, Some("app"), None)?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn drop_privileges_in(db: &AccountDb<'_>, uid: Option<&str>, gid: Option<&str>) -> Result<()> {
    crate::process::require_single_thread(Op::DropPrivileges)?;
    // SAFETY: the process has exactly one thread.
    unsafe { drop_privileges_unchecked(db, uid, gid) }
}

/// Whether `a` and `b` hold the same set of gids.
fn same_set(a: &[u32], b: &[Gid]) -> bool {
    a.iter().all(|&g| b.contains(&Gid::from_raw(g))) && b.iter().all(|g| a.contains(&g.as_raw()))
}

/// [`drop_privileges_in`] without the single-thread check.
///
/// # Errors
///
/// As [`drop_privileges`], without `MultiThreaded`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Safety
///
/// Only the calling thread changes: other threads keep their privileges.
/// The caller must make sure no other thread exists (for instance right
/// after a raw fork).
///
/// # References
///
/// [`credentials(7)`](https://man7.org/linux/man-pages/man7/credentials.7.html)
///
/// # Examples
///
/// ```no_run
/// use daemonry::AccountDb;
/// // SAFETY: a freshly forked child has one thread.
/// unsafe { daemonry::privilege::drop_privileges_unchecked(&AccountDb::system(), Some("nobody"), None)? };
/// # Ok::<(), daemonry::Error>(())
/// ```
pub unsafe fn drop_privileges_unchecked(
    db: &AccountDb<'_>,
    uid: Option<&str>,
    gid: Option<&str>,
) -> Result<()> {
    const CTX: Op = Op::DropPrivileges;
    let start_uid = sys::getresuid();
    if start_uid.0 == 0 && start_uid.1 != 0 {
        return Err(Error::new(ErrorKind::Security, Op::DropPrivileges));
    }
    let gid = gid.map(|g| parse_gid_in(db, g)).transpose()?;
    let user = uid.map(|u| resolve_user(db, u)).transpose()?;
    let mut buf = [Gid::ROOT; GROUPS_CAPACITY];
    let single: [Gid; 1];
    let (target_uid, target_gid, groups): (Option<Uid>, Gid, &[Gid]) = match (user, gid) {
        (None, None) => return Ok(()),
        (None, Some(g)) => {
            single = [g];
            (None, g, &single)
        }
        (Some(user), g) => {
            let entry = user.entry;
            let g = match (g, entry) {
                (Some(g), _) => g,
                (None, Some(e)) => e.gid,
                (None, None) => return Err(unknown_uid(user.uid, CTX)),
            };
            // The name as given, else the entry's (a numeric uid).
            let name = match (user.name, &entry) {
                (Some(n), _) => Some(n),
                (None, Some(e)) if e.name.is_truncated() => {
                    return Err(Error::invalid(CTX).with_input(e.name.as_bytes()));
                }
                (None, Some(e)) => Some(e.name.as_bytes()),
                (None, None) => None,
            };
            let groups = match name {
                Some(n) => target_groups(db, n, g, &mut buf, CTX)?,
                None => {
                    single = [g];
                    &single
                }
            };
            (Some(user.uid), g, groups)
        }
    };
    let want_uid = |ids: (u32, u32, u32)| match target_uid {
        Some(u) => ids == (u.as_raw(), u.as_raw(), u.as_raw()),
        None => ids == start_uid,
    };
    let want_gid = |ids: (u32, u32, u32)| {
        ids == (
            target_gid.as_raw(),
            target_gid.as_raw(),
            target_gid.as_raw(),
        )
    };
    let mut cur = [0u32; GROUPS_CAPACITY];

    // Already there: nothing to do, and nothing that could fail.
    if want_uid(sys::getresuid())
        && want_gid(sys::getresgid())
        && current_groups(&mut cur).is_some_and(|c| same_set(c, groups))
    {
        return Ok(());
    }

    thread::set_thread_res_gid(target_gid, target_gid, target_gid)
        .map_err(|e| Error::os(Op::Setgid, e))?;
    let applied = apply_groups(groups, Op::Setgroups)?;
    if let Some(u) = target_uid {
        thread::set_thread_res_uid(u, u, u).map_err(|e| Error::os(Op::Setuid, e))?;
        if !u.is_root() {
            match thread::set_thread_res_uid(Uid::ROOT, Uid::ROOT, Uid::ROOT) {
                Ok(()) => {
                    return Err(Error::new(ErrorKind::Security, Op::VerifyPrivileges));
                }
                Err(Errno::PERM) => {}
                Err(e) => return Err(Error::os(Op::VerifyPrivileges, e)),
            }
        }
    }
    if !want_uid(sys::getresuid()) {
        return Err(Error::new(ErrorKind::Security, Op::VerifyPrivileges));
    }
    if !want_gid(sys::getresgid()) {
        return Err(Error::new(ErrorKind::Security, Op::VerifyPrivileges));
    }
    let groups_ok = match (current_groups(&mut cur), applied) {
        (Some(c), Applied::Set(n)) => same_set(c, groups.get(..n).unwrap_or(groups)),
        (Some(c), Applied::AlreadySubset) => c.iter().all(|&g| groups.contains(&Gid::from_raw(g))),
        (None, _) => false,
    };
    if !groups_ok {
        return Err(Error::new(ErrorKind::Security, Op::VerifyPrivileges));
    }
    Ok(())
}
