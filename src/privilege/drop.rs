//! [`PrivilegeDrop`]: the verified privilege drop, and [`drop_privileges`],
//! its thin wrapper (celery's `maybe_drop_privileges`).

use super::GROUPS_CAPACITY;
use super::caps;
use super::groups::{Applied, apply_groups, current_groups, target_groups};
use crate::account::{AccountDb, GroupRef, UserRef, resolve_group, resolve_user, unknown_uid};
use crate::error::{Error, ErrorKind, Op, Result};
use crate::process::{SingleThreaded, require_single_thread};
use crate::sys;
use rustix::io::Errno;
use rustix::process::{Gid, Uid};
use rustix::thread;

/// Drops root privileges to a user and/or group, and proves it worked: the
/// options of a drop, applied with [`apply`](PrivilegeDrop::apply).
///
/// [`drop_privileges`] is `PrivilegeDrop::new()` with a user and a group.
/// The builder adds another account database
/// ([`accounts`](PrivilegeDrop::accounts)), the `no_new_privs` flag
/// ([`no_new_privs`](PrivilegeDrop::no_new_privs)), and a drop without the
/// thread check for the holder of a [`SingleThreaded`] proof
/// ([`apply_single_threaded`](PrivilegeDrop::apply_single_threaded)).
///
/// # What a drop does
///
/// 1. Refuse (`Security`) when the real uid is 0 but the effective uid is
///    not: that half-dropped state is suspicious.
/// 2. Work out the target, resolving names in the account database:
///    - a **user** given by name needs a passwd entry; its uid is the
///      target uid, and the group is the given one or else the entry's
///      primary gid;
///    - a user given by **uid** needs no entry: with an entry the group is
///      the given one or else the entry's primary gid; **without an entry a
///      group must be given**, or the drop fails with
///      [`UnknownUser`](ErrorKind::UnknownUser) (naming the uid) before
///      changing anything. (A command-line tool that wants "gid = uid" for
///      such a user, as the `daemonry` tool does, passes that group.)
///    - the supplementary groups are the user's
///      ([`AccountDb::group_list`] of the given name, or of the entry's
///      name for a uid, cut to `ngroups_max`), or just `[group]` for a uid
///      without an entry;
///    - with only a **group**, the uid stays and the supplementary groups
///      become exactly `[group]`;
///    - with neither, no id changes (only `no_new_privs`, if asked for).
/// 3. When the target uid is not 0 and the process holds uid 0 (real,
///    effective or saved), refuse (`Security`, of [`Op::Securebits`])
///    **before changing anything** if the securebits would keep root's
///    capabilities across the uid change
///    ([`SecureBits::keeps_root_capabilities`](super::SecureBits::keeps_root_capabilities):
///    `SECBIT_NO_SETUID_FIXUP`, or `SECBIT_KEEP_CAPS` locked on).
/// 4. With [`no_new_privs`](PrivilegeDrop::no_new_privs):
///    `prctl(PR_SET_NO_NEW_PRIVS, 1)`.
/// 5. When the target uid is not 0: `PR_SET_KEEPCAPS` off, the ambient set
///    cleared, the inheritable set cleared.
/// 6. If the process already runs as exactly the target (all three uids,
///    all three gids, the same group set), skip the id changes: no system
///    call that could fail is made, so a second drop, or a drop by a
///    process that was started as the target user, works (celery#7200).
///    Otherwise `setresgid` → `setgroups` → `setresuid`, in that order
///    (groups need root, so they go before the uid).
/// 7. When the target uid is not 0: empty the permitted, effective and
///    inheritable sets (the kernel's uid fix-up does not run between two
///    non-root uids), and verify with `capget` that they are empty, that
///    the ambient set is clear and `PR_SET_KEEPCAPS` off (a
///    `SECBIT_KEEP_CAPS` locked on cannot be turned off; it can only be
///    met by a process without uid 0, where it grants nothing).
/// 8. Verify: `getresuid`/`getresgid` show the target in every slot;
///    `getgroups` shows the target set; and when the target uid is not 0
///    and the ids were changed, `setresuid(0, 0, 0)` fails with `EPERM`.
///    Any mismatch is `Security` (of [`Op::VerifyPrivileges`]); before
///    returning it, every capability set is emptied again, so a failed
///    drop never leaves the process more privileged than before the call.
///
/// Every refusal and every resolution error comes before step 4 and
/// changes nothing. A drop that fails later (a system call refused, a
/// failed verification) may already have taken something away (ambient or
/// inheritable capabilities, groups, ids); it never adds anything.
///
/// **A drop to uid 0 keeps the capabilities** (steps 3, 5 and 7 are
/// skipped): root stays root. A group-only drop leaves the uid, and so the
/// capabilities, alone.
///
/// Deliberate differences from celery: `"0"`/`"root"` mean root, not "not
/// given"; a group-only drop resets the supplementary groups to `[group]`
/// (celery keeps root's); all three ids are verified, not an AND of two; no
/// capability survives a drop to a non-root user; multi-threaded processes
/// are refused; the call is idempotent.
///
/// `PR_SET_PDEATHSIG` is cleared by the kernel when the effective ids
/// change: set the parent-death signal after the drop.
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
/// [`capabilities(7)`](https://man7.org/linux/man-pages/man7/capabilities.7.html),
/// CERT POS36-C, POS37-C
///
/// # Examples
///
/// ```no_run
/// use daemonry::{AccountDb, privilege::PrivilegeDrop};
/// // Needs root.
/// let db = AccountDb::new(c"/srv/jail/etc/passwd", c"/srv/jail/etc/group");
/// PrivilegeDrop::new()
///     .user("app")
///     .accounts(&db)
///     .no_new_privs(true)
///     .apply()?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[must_use = "a PrivilegeDrop does nothing until applied"]
pub struct PrivilegeDrop<'a> {
    user: Option<UserRef<'a>>,
    group: Option<GroupRef<'a>>,
    accounts: Option<&'a AccountDb<'a>>,
    no_new_privs: bool,
}

impl<'a> PrivilegeDrop<'a> {
    /// A drop with nothing to do yet: no user, no group, the system
    /// databases, `no_new_privs` off.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: a plain value.
    ///
    /// # Examples
    ///
    /// ```
    /// // Neither user nor group: applying it changes no id.
    /// daemonry::privilege::PrivilegeDrop::new().apply()?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn new() -> PrivilegeDrop<'a> {
        PrivilegeDrop {
            user: None,
            group: None,
            accounts: None,
            no_new_privs: false,
        }
    }

    /// The user to become: a name (`"nobody"`), a uid
    /// (`Uid::from_raw(65534)`), a [`User`](crate::User), or a
    /// [`UserRef`].
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: a plain value.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use daemonry::{Uid, privilege::PrivilegeDrop};
    /// // Needs root. uid 54321 has no passwd entry, so a group is needed.
    /// PrivilegeDrop::new().user(Uid::from_raw(54321)).group("nogroup").apply()?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn user(mut self, user: impl Into<UserRef<'a>>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// The group to become: a name, a gid, a [`Group`](crate::Group), or a
    /// [`GroupRef`]. Without it, a user's primary group from passwd.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: a plain value.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use daemonry::{Gid, privilege::PrivilegeDrop};
    /// // Needs root. Only the group: the uid stays.
    /// PrivilegeDrop::new().group(Gid::from_raw(65534)).apply()?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn group(mut self, group: impl Into<GroupRef<'a>>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Resolve names and supplementary groups in `db` instead of
    /// `/etc/passwd` and `/etc/group` (a chroot, a container image, test
    /// fixtures).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: a plain value.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use daemonry::{AccountDb, privilege::PrivilegeDrop};
    /// // Needs root.
    /// let db = AccountDb::new(c"/srv/jail/etc/passwd", c"/srv/jail/etc/group");
    /// PrivilegeDrop::new().user("app").accounts(&db).apply()?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn accounts(mut self, db: &'a AccountDb<'a>) -> Self {
        self.accounts = Some(db);
        self
    }

    /// Also set `no_new_privs` (`prctl(PR_SET_NO_NEW_PRIVS, 1)`): from then
    /// on `execve` grants nothing (set-user-ID and set-group-ID bits and
    /// file capabilities are ignored), for this process and every
    /// descendant, irreversibly. Off by default. It is set even when no id
    /// changes.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: a plain value.
    ///
    /// # References
    ///
    /// [`PR_SET_NO_NEW_PRIVS`](https://man7.org/linux/man-pages/man2/PR_SET_NO_NEW_PRIVS.2const.html)
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use daemonry::privilege::PrivilegeDrop;
    /// // Needs root.
    /// PrivilegeDrop::new().user("nobody").no_new_privs(true).apply()?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "PR_SET_NO_NEW_PRIVS")]
    pub const fn no_new_privs(mut self, on: bool) -> Self {
        self.no_new_privs = on;
        self
    }

    /// Checks that the process runs one thread, then drops (see
    /// [what a drop does](PrivilegeDrop#what-a-drop-does)).
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::MultiThreaded`] if the process has more than one
    ///   thread (nothing is changed).
    /// - [`ErrorKind::Security`]: the real-root/effective-non-root start
    ///   ([`Op::DropPrivileges`]); securebits that keep root's capabilities
    ///   ([`Op::Securebits`]; nothing is changed); or a failed verification
    ///   ([`Op::VerifyPrivileges`]).
    /// - [`ErrorKind::UnknownUser`] / [`ErrorKind::UnknownGroup`] for names
    ///   without an entry, or a uid without a passwd entry when no group is
    ///   given; [`ErrorKind::InvalidInput`] for an empty name, a NUL inside
    ///   one, or the id `4294967295`. These come before any change.
    /// - [`ErrorKind::BufferTooSmall`] for a user in more than
    ///   [`GROUPS_CAPACITY`] groups (while `ngroups_max` is larger).
    /// - [`ErrorKind::Os`] when a system call fails (`EPERM` without
    ///   privileges, unless already the target).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use daemonry::privilege::PrivilegeDrop;
    /// // Needs root.
    /// PrivilegeDrop::new().user("nobody").apply()?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn apply(&self) -> Result<()> {
        self.apply_single_threaded(require_single_thread(Op::DropPrivileges)?)
    }

    /// Drops without the thread check, for the holder of a
    /// [`SingleThreaded`] proof (see
    /// [what a drop does](PrivilegeDrop#what-a-drop-does)).
    ///
    /// # Warning
    ///
    /// Only the calling thread changes: with a stale proof (a thread was
    /// started after it was made) or an [`assume`](SingleThreaded::assume)d
    /// one that was wrong, the other threads keep root.
    ///
    /// # Errors
    ///
    /// As [`apply`](PrivilegeDrop::apply), without `MultiThreaded`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use daemonry::{privilege::PrivilegeDrop, process::SingleThreaded};
    /// // Needs root; in a raw-fork child, which has one thread.
    /// PrivilegeDrop::new()
    ///     .user("nobody")
    ///     .apply_single_threaded(SingleThreaded::assume())?;
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn apply_single_threaded(&self, proof: SingleThreaded) -> Result<()> {
        let _ = proof;
        match self.accounts {
            Some(db) => self.run(db),
            None => self.run(&AccountDb::system()),
        }
    }

    fn run(&self, db: &AccountDb<'_>) -> Result<()> {
        const CTX: Op = Op::DropPrivileges;
        let start_uid = sys::getresuid();
        if start_uid.0 == 0 && start_uid.1 != 0 {
            return Err(Error::new(ErrorKind::Security, CTX));
        }
        let gid = self.group.map(|g| resolve_group(db, g)).transpose()?;
        let user = self.user.map(|u| resolve_user(db, u)).transpose()?;
        let mut buf = [Gid::ROOT; GROUPS_CAPACITY];
        let single: [Gid; 1];
        let (target_uid, target_gid, groups): (Option<Uid>, Gid, &[Gid]) = match (user, gid) {
            (None, None) => return self.set_no_new_privs(),
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
                // The name as given, else the entry's (a uid).
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
        // Capabilities go with a move to a non-root uid.
        let drop_caps = target_uid.is_some_and(|u| !u.is_root());
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
        let already = want_uid(start_uid)
            && want_gid(sys::getresgid())
            && current_groups(&mut cur).is_some_and(|c| same_set(c, groups));

        // Refusals: nothing has changed yet.
        let holds_root = start_uid.0 == 0 || start_uid.1 == 0 || start_uid.2 == 0;
        if drop_caps && holds_root {
            caps::refuse_keeping_securebits()?;
        }
        // From here on, each step only takes away.
        self.set_no_new_privs()?;
        if drop_caps {
            caps::before_setuid()?;
        }
        let applied = if already {
            Applied::Set(groups.len())
        } else {
            thread::set_thread_res_gid(target_gid, target_gid, target_gid)
                .map_err(|e| Error::os(Op::Setgid, e))?;
            let applied = apply_groups(groups, Op::Setgroups)?;
            if let Some(u) = target_uid {
                thread::set_thread_res_uid(u, u, u).map_err(|e| Error::os(Op::Setuid, e))?;
            }
            applied
        };
        let checks = Checks {
            caps: drop_caps,
            // Already the target: no credential system call at all.
            regain_root: drop_caps && !already,
        };
        let verified = verify(checks, target_uid, &want_uid, &want_gid, groups, applied);
        if verified.is_err() && drop_caps {
            // Never leave more than the drop meant to leave.
            let _ = caps::clear_all();
        }
        verified
    }

    fn set_no_new_privs(&self) -> Result<()> {
        if self.no_new_privs {
            thread::set_no_new_privs(true).map_err(|e| Error::os(Op::NoNewPrivs, e))?;
        }
        Ok(())
    }
}

/// Which checks [`verify`] makes beyond ids and groups.
#[derive(Clone, Copy)]
struct Checks {
    /// Empty and check the capability sets (a non-root target).
    caps: bool,
    /// Try `setresuid(0, 0, 0)`, which must fail (a non-root target that
    /// the ids were changed to).
    regain_root: bool,
}

/// Steps 7 and 8 of a drop: capabilities emptied and checked (for a
/// non-root target), ids and groups checked, root not regainable.
fn verify(
    checks: Checks,
    target_uid: Option<Uid>,
    want_uid: &dyn Fn((u32, u32, u32)) -> bool,
    want_gid: &dyn Fn((u32, u32, u32)) -> bool,
    groups: &[Gid],
    applied: Applied,
) -> Result<()> {
    let security = Error::new(ErrorKind::Security, Op::VerifyPrivileges);
    if !want_uid(sys::getresuid()) || !want_gid(sys::getresgid()) {
        return Err(security);
    }
    let mut cur = [0u32; GROUPS_CAPACITY];
    let groups_ok = match (current_groups(&mut cur), applied) {
        (Some(c), Applied::Set(n)) => same_set(c, groups.get(..n).unwrap_or(groups)),
        (Some(c), Applied::AlreadySubset) => c.iter().all(|&g| groups.contains(&Gid::from_raw(g))),
        (None, _) => false,
    };
    if !groups_ok {
        return Err(security);
    }
    if checks.caps {
        caps::clear_all()?;
        caps::verify_none()?;
    }
    if !checks.regain_root {
        return Ok(());
    }
    // The last proof, once nothing could make it succeed: root cannot be
    // regained.
    match thread::set_thread_res_uid(Uid::ROOT, Uid::ROOT, Uid::ROOT) {
        Err(Errno::PERM) => Ok(()),
        Ok(()) => {
            // Regained all the same: go back to the target before saying so.
            if let Some(u) = target_uid {
                let _ = thread::set_thread_res_uid(u, u, u);
            }
            Err(security)
        }
        Err(e) => Err(Error::os(Op::VerifyPrivileges, e)),
    }
}

/// Whether `a` and `b` hold the same set of gids.
fn same_set(a: &[u32], b: &[Gid]) -> bool {
    a.iter().all(|&g| b.contains(&Gid::from_raw(g))) && b.iter().all(|g| a.contains(&g.as_raw()))
}

/// Drops root privileges to a user and/or group, and proves it worked
/// (celery's `maybe_drop_privileges`): `PrivilegeDrop::new()` with `user`
/// and `group`, against the system databases, applied after the thread
/// check. See [what a drop does](PrivilegeDrop#what-a-drop-does); in short:
///
/// - `user` is a name (`Some("nobody".into())`), a uid
///   (`Some(Uid::from_raw(65534).into())`) or a [`User`](crate::User);
///   `group` likewise. Command-line text where digits mean an id goes
///   through [`UserRef::parse`] / [`GroupRef::parse`].
/// - Without `group`, the group is the user's primary gid from passwd. A
///   uid **without a passwd entry** has none: give a group, or the drop
///   fails with [`UnknownUser`](ErrorKind::UnknownUser) and changes
///   nothing.
/// - A drop to a non-root user leaves no capability (permitted, effective,
///   inheritable, ambient) and no `PR_SET_KEEPCAPS`; securebits that would
///   keep root's capabilities make it refuse before changing anything.
///   A drop to uid 0 keeps the capabilities.
/// - Idempotent: already the target, it succeeds without a credential
///   system call.
///
/// `PR_SET_PDEATHSIG` is cleared by the kernel when the effective ids
/// change: set the parent-death signal after this call.
///
/// # Errors
///
/// As [`PrivilegeDrop::apply`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`credentials(7)`](https://man7.org/linux/man-pages/man7/credentials.7.html),
/// [`capabilities(7)`](https://man7.org/linux/man-pages/man7/capabilities.7.html),
/// CERT POS36-C, POS37-C
///
/// # Examples
///
/// ```no_run
/// use daemonry::{Gid, Uid, drop_privileges};
/// // Needs root.
/// drop_privileges(Some("nobody".into()), None)?;
/// // Now set the parent-death signal, if wanted: the drop cleared it.
/// # Ok::<(), daemonry::Error>(())
/// ```
///
/// A uid without a passwd entry, with its group:
///
/// ```no_run
/// use daemonry::{Gid, Uid, drop_privileges};
/// drop_privileges(Some(Uid::from_raw(54321).into()), Some(Gid::from_raw(54321).into()))?;
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "maybe_drop_privileges")]
pub fn drop_privileges(user: Option<UserRef<'_>>, group: Option<GroupRef<'_>>) -> Result<()> {
    PrivilegeDrop {
        user,
        group,
        ..PrivilegeDrop::new()
    }
    .apply()
}
