//! Supplementary groups: [`setgroups`] (with celery's rules, bounded),
//! [`initgroups`], their [`SingleThreaded`] and [`AccountDb`] methods, and
//! the kernel's `ngroups_max`.

use super::GROUPS_CAPACITY;
use crate::account::{AccountDb, UserRef, resolve_user, unknown_uid};
use crate::error::{Error, Op, Result};
use crate::process::{SingleThreaded, require_single_thread};
use crate::procfs;
use crate::sys;
use rustix::io::Errno;
use rustix::process::Gid;
use rustix::thread;

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

/// What [`apply_groups`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Applied {
    /// The first `n` requested groups are set.
    Set(usize),
    /// `EPERM`, but the current groups are a subset of the request.
    AlreadySubset,
}

/// setgroups with the ngroups_max cap, the EINVAL back-off and the EPERM
/// subset rule.
pub(super) fn apply_groups(groups: &[Gid], context: Op) -> Result<Applied> {
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
pub(super) fn current_groups(buf: &mut [u32]) -> Option<&[u32]> {
    let n = sys::getgroups(buf).ok()?;
    buf.get(..n)
}

/// The group list of `user` with primary group `gid` in `buf`, cut to
/// `ngroups_max` when it is longer.
pub(super) fn target_groups<'b>(
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
/// - [`ErrorKind::MultiThreaded`](crate::ErrorKind::MultiThreaded) if the
///   process has more than one thread.
/// - [`ErrorKind::Os`](crate::ErrorKind::Os): `EPERM` as above; `EINVAL`
///   when even a single group is refused (an id outside the user
///   namespace); `ENOMEM`.
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
/// // Needs root (CAP_SETGID).
/// daemonry::setgroups(&[Gid::from_raw(100), Gid::from_raw(104)])?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn setgroups(groups: &[Gid]) -> Result<()> {
    require_single_thread(Op::Setgroups)?.setgroups(groups)
}

/// `initgroups(3)`—Sets the supplementary groups to `gid` plus every group
/// that lists `user` as a member, from the system group database.
///
/// The list is [`AccountDb::group_list`]'s (glibc's `getgrouplist`), set
/// with [`setgroups`] (so cut to `ngroups_max`, with its `EINVAL` and
/// `EPERM` rules). A name is used as it is, with or without a passwd
/// entry (as glibc does); a user given by uid is looked up in the passwd
/// database for its name, so it needs an entry. [`AccountDb::initgroups`]
/// reads another database.
///
/// # Errors
///
/// - [`ErrorKind::MultiThreaded`](crate::ErrorKind::MultiThreaded) if the
///   process has more than one thread.
/// - [`ErrorKind::UnknownUser`](crate::ErrorKind::UnknownUser) for a uid
///   without a passwd entry.
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a NUL
///   inside the name, or a uid whose name is longer than 32 bytes (an
///   empty name is listed in no group: the list is just `gid`).
/// - [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) for a
///   user in more than [`GROUPS_CAPACITY`] groups (while `ngroups_max` is
///   larger).
/// - [`ErrorKind::Os`](crate::ErrorKind::Os) from reading the databases or
///   from `setgroups(2)`.
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
/// // Needs root (CAP_SETGID).
/// daemonry::initgroups("postgres", daemonry::parse_gid("postgres")?)?;
/// daemonry::initgroups(daemonry::Uid::from_raw(101), daemonry::Gid::from_raw(104))?;
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn initgroups<'u>(user: impl Into<UserRef<'u>>, gid: Gid) -> Result<()> {
    AccountDb::system().initgroups(user, gid)
}

impl AccountDb<'_> {
    /// [`initgroups`] against this database: `gid` plus every group of
    /// this group database that lists `user`.
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
    /// use daemonry::{AccountDb, Gid};
    /// // Needs root (CAP_SETGID).
    /// let db = AccountDb::new(c"/srv/jail/etc/passwd", c"/srv/jail/etc/group");
    /// db.initgroups("app", Gid::from_raw(990))?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn initgroups<'u>(&self, user: impl Into<UserRef<'u>>, gid: Gid) -> Result<()> {
        require_single_thread(Op::Initgroups)?.initgroups(self, user, gid)
    }
}

impl SingleThreaded {
    /// [`setgroups`] for a process already known to run one thread: no
    /// thread check.
    ///
    /// # Warning
    ///
    /// Only the calling thread changes; see [`SingleThreaded::setuid`].
    ///
    /// # Errors
    ///
    /// As [`setgroups`], without `MultiThreaded`.
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
    /// use daemonry::process::SingleThreaded;
    /// // Needs root; right after a raw fork the child has one thread.
    /// SingleThreaded::assume().setgroups(&[])?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn setgroups(self, groups: &[Gid]) -> Result<()> {
        apply_groups(groups, Op::Setgroups).map(drop)
    }

    /// [`initgroups`] against the database `db`, for a process already
    /// known to run one thread: no thread check.
    ///
    /// # Warning
    ///
    /// Only the calling thread changes; see [`SingleThreaded::setuid`].
    ///
    /// # Errors
    ///
    /// As [`initgroups`], without `MultiThreaded`.
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
    /// use daemonry::{AccountDb, Gid, Uid, process::SingleThreaded};
    /// // Needs root.
    /// let proof = SingleThreaded::check()?;
    /// proof.initgroups(&AccountDb::system(), Uid::from_raw(101), Gid::from_raw(104))?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn initgroups<'u>(
        self,
        db: &AccountDb<'_>,
        user: impl Into<UserRef<'u>>,
        gid: Gid,
    ) -> Result<()> {
        const CTX: Op = Op::Initgroups;
        let looked_up;
        // A name is used as it is (glibc's initgroups needs no passwd entry
        // for it either); a uid needs its entry for the name.
        let name = match user.into() {
            UserRef::Name(n) => n,
            UserRef::Uid(uid) => {
                let user = resolve_user(db, UserRef::Uid(uid)).map_err(|e| e.with_op(CTX))?;
                match user.entry {
                    Some(e) if e.name.is_truncated() => {
                        return Err(Error::invalid(CTX).with_input(e.name.as_bytes()));
                    }
                    Some(e) => {
                        looked_up = e.name;
                        looked_up.as_bytes()
                    }
                    None => return Err(unknown_uid(uid, CTX)),
                }
            }
        };
        let mut buf = [Gid::ROOT; GROUPS_CAPACITY];
        let list = target_groups(db, name, gid, &mut buf, CTX)?;
        apply_groups(list, CTX).map(drop)
    }
}
