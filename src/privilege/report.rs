//! [`check_privileges`]: what the process's credentials say about the
//! risk of running as it is (celery's `check_privileges`).

use crate::account::AccountDb;
use crate::error::Op;
use crate::error::{Error, ErrorKind, Result};
use crate::sys;
use rustix::process::{Gid, Uid};

/// What [`check_privileges`] found about the process's credentials.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrivilegeReport {
    /// Real user id.
    pub uid: Uid,
    /// Effective user id.
    pub euid: Uid,
    /// Real group id.
    pub gid: Gid,
    /// Effective group id.
    pub egid: Gid,
    /// The real or effective uid is 0.
    pub root: bool,
    /// The real or effective group is named `sudo` or `wheel`.
    pub admin_group: bool,
    /// The real or effective gid has no entry in the group database (an
    /// arbitrary-uid container, for instance).
    pub unknown_group: bool,
}

impl PrivilegeReport {
    /// Whether any of the three warnings applies (celery's condition for
    /// its root warning or error).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let report = daemonry::check_privileges(true)?;
    /// if report.is_privileged() {
    ///     eprintln!("warning: running with root-like credentials: {report:?}");
    /// }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn is_privileged(&self) -> bool {
        self.root || self.admin_group || self.unknown_group
    }
}

/// Reports whether the process runs with root-like credentials, and refuses
/// root unless `allow_root` (celery's `check_privileges`).
///
/// Looks at the real and effective ids and at the names of the real and
/// effective groups in the system group database
/// ([`AccountDb::check_privileges`] reads another). gid 0 alone is not root
/// (celery#6579); supplementary groups are not considered.
///
/// Difference from celery: only uid/euid 0 is an error; a `sudo`/`wheel`
/// group or a gid without a group entry is reported in the
/// [`PrivilegeReport`] for the caller to act on ([`PrivilegeReport::is_privileged`]
/// gives celery's stricter condition). Environment variables such as
/// `C_FORCE_ROOT` are the caller's business: pass the result as
/// `allow_root`.
///
/// # Errors
///
/// - [`ErrorKind::Security`] when running as root and `allow_root` is false.
/// - [`ErrorKind::Os`] if the group database exists but cannot be read.
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
/// ```
/// let report = daemonry::check_privileges(true)?;
/// assert_eq!(report.root, report.uid.is_root() || report.euid.is_root());
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn check_privileges(allow_root: bool) -> Result<PrivilegeReport> {
    AccountDb::system().check_privileges(allow_root)
}

impl AccountDb<'_> {
    /// [`check_privileges`] against this group database.
    ///
    /// # Errors
    ///
    /// As [`check_privileges`].
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
    /// ```
    /// use daemonry::AccountDb;
    /// let db = AccountDb::from_bytes(b"", b"wheel:x:0:\n");
    /// let report = db.check_privileges(true)?;
    /// assert_eq!(report.admin_group, report.gid.as_raw() == 0 || report.egid.as_raw() == 0);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn check_privileges(&self, allow_root: bool) -> Result<PrivilegeReport> {
        const CTX: Op = Op::CheckPrivileges;
        let (uid, euid, _) = sys::getresuid();
        let (gid, egid, _) = sys::getresgid();
        let (uid, euid) = (Uid::from_raw_unchecked(uid), Uid::from_raw_unchecked(euid));
        let (gid, egid) = (Gid::from_raw_unchecked(gid), Gid::from_raw_unchecked(egid));
        let mut admin_group = false;
        let mut unknown_group = false;
        for g in [gid, egid] {
            match self.group_by_gid(g).map_err(|e| e.with_op(CTX))? {
                Some(grp) => admin_group |= grp.name == *"sudo" || grp.name == *"wheel",
                None => unknown_group = true,
            }
        }
        let report = PrivilegeReport {
            uid,
            euid,
            gid,
            egid,
            root: uid.is_root() || euid.is_root(),
            admin_group,
            unknown_group,
        };
        if report.root && !allow_root {
            return Err(Error::new(ErrorKind::Security, Op::CheckPrivileges));
        }
        Ok(report)
    }
}
