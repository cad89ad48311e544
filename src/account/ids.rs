//! [`parse_uid`] and [`parse_gid`]: a number, or a name to look up
//! (celery's `parse_uid`/`parse_gid`); their [`AccountDb`] methods; and the
//! resolution of a [`UserRef`] / [`GroupRef`] that every function taking a
//! user or group shares.

use super::{AccountDb, GroupRef, User, UserRef};
use crate::error::Op;
use crate::error::{Error, ErrorKind, Result};
use crate::num::Decimal;
use rustix::process::{Gid, Uid};

/// A user argument, resolved against a database.
pub(crate) struct UserArg<'s> {
    /// The uid.
    pub(crate) uid: Uid,
    /// Its passwd entry: by name when given a name, else by uid (if any).
    pub(crate) entry: Option<User>,
    /// The name, when the argument was one.
    pub(crate) name: Option<&'s [u8]>,
}

/// The error for a uid without a passwd entry where one is needed.
pub(crate) fn unknown_uid(uid: Uid, op: Op) -> Error {
    Error::new(ErrorKind::UnknownUser, op).with_input(Decimal::new(uid.as_raw().into()).as_bytes())
}

/// `InvalidInput` for the id `4294967295`, which the credential calls read
/// as "unchanged" (only `from_raw_unchecked` can make such a `Uid`/`Gid`).
fn check_id(raw: u32, op: Op) -> Result<()> {
    if raw == u32::MAX {
        return Err(Error::invalid(op).with_input(Decimal::new(raw.into()).as_bytes()));
    }
    Ok(())
}

/// Resolves a user: a name must have a passwd entry (`UnknownUser`
/// otherwise; `InvalidInput` for `""` or a NUL inside); a uid is taken as
/// it is, with its entry when there is one. Errors name [`Op::ParseUid`].
pub(crate) fn resolve_user<'s>(db: &AccountDb<'_>, user: UserRef<'s>) -> Result<UserArg<'s>> {
    const OP: Op = Op::ParseUid;
    match user {
        UserRef::Uid(uid) => {
            check_id(uid.as_raw(), OP)?;
            let entry = db.user_by_uid(uid).map_err(|e| e.with_op(OP))?;
            Ok(UserArg {
                uid,
                entry,
                name: None,
            })
        }
        UserRef::Name(name) => {
            if name.is_empty() {
                return Err(Error::invalid(OP).with_input(name));
            }
            match db.user_by_name(name).map_err(|e| e.with_op(OP))? {
                Some(u) => Ok(UserArg {
                    uid: u.uid,
                    entry: Some(u),
                    name: Some(name),
                }),
                None => Err(Error::new(ErrorKind::UnknownUser, OP).with_input(name)),
            }
        }
    }
}

/// Resolves a group: a name must have a group entry (`UnknownGroup`
/// otherwise; `InvalidInput` for `""` or a NUL inside); a gid is taken as
/// it is. Errors name [`Op::ParseGid`].
pub(crate) fn resolve_group(db: &AccountDb<'_>, group: GroupRef<'_>) -> Result<Gid> {
    const OP: Op = Op::ParseGid;
    match group {
        GroupRef::Gid(gid) => check_id(gid.as_raw(), OP).map(|()| gid),
        GroupRef::Name(name) => {
            if name.is_empty() {
                return Err(Error::invalid(OP).with_input(name));
            }
            match db.group_by_name(name).map_err(|e| e.with_op(OP))? {
                Some(g) => Ok(g.gid),
                None => Err(Error::new(ErrorKind::UnknownGroup, OP).with_input(name)),
            }
        }
    }
}

impl AccountDb<'_> {
    /// [`parse_uid`] against this database: decimal digits are the uid
    /// itself, anything else is a user name looked up here.
    ///
    /// # Errors
    ///
    /// As [`parse_uid`], for this database.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`getpwnam(3)`](https://man7.org/linux/man-pages/man3/getpwnam.3.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::AccountDb;
    /// let db = AccountDb::from_bytes(b"app:x:990:990::/srv/app:/bin/false\n", b"");
    /// assert_eq!(db.parse_uid("app")?.as_raw(), 990);
    /// assert_eq!(db.parse_uid(b"1234")?.as_raw(), 1234);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn parse_uid(&self, s: impl AsRef<[u8]>) -> Result<Uid> {
        match UserRef::parse(s.as_ref())? {
            UserRef::Uid(u) => Ok(u),
            user => resolve_user(self, user).map(|u| u.uid),
        }
    }

    /// [`parse_gid`] against this database: decimal digits are the gid
    /// itself, anything else is a group name looked up here.
    ///
    /// # Errors
    ///
    /// As [`parse_gid`], for this database.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`getgrnam(3)`](https://man7.org/linux/man-pages/man3/getgrnam.3.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::AccountDb;
    /// let db = AccountDb::from_bytes(b"", b"app:x:990:\n");
    /// assert_eq!(db.parse_gid("app")?.as_raw(), 990);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn parse_gid(&self, s: impl AsRef<[u8]>) -> Result<Gid> {
        match GroupRef::parse(s.as_ref())? {
            GroupRef::Gid(g) => Ok(g),
            group => resolve_group(self, group),
        }
    }
}

/// Resolves a user argument: decimal digits are the uid itself, anything
/// else is a user name looked up in the system passwd database (celery's
/// `parse_uid`).
///
/// Takes text or bytes (`&str`, `&[u8]`, `String`, …). Numbers are plain
/// ASCII digits: no sign, no white space, at most `4294967294`
/// (`4294967295` is the "unchanged" value of `setresuid(2)`). A number need
/// not have a passwd entry. [`AccountDb::parse_uid`] uses another
/// database; [`UserRef::parse`] classifies without looking up.
///
/// Deliberate differences from celery: `"-1"`, `"+5"`, `"4294967295"` and
/// larger numbers are errors, not ids; `""` is an error, not "no user".
///
/// # Errors
///
/// - [`ErrorKind::InvalidInput`] (with the input) for `""`, a NUL inside,
///   a signed number, or a number too large for a uid.
/// - [`ErrorKind::UnknownUser`] (with the name, up to 27 bytes) when no
///   user has that name. Users that only exist in NSS services (LDAP,
///   sssd) are unknown here.
/// - [`ErrorKind::Os`] if `/etc/passwd` exists but cannot be read.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`getpwnam(3)`](https://man7.org/linux/man-pages/man3/getpwnam.3.html)
///
/// # Examples
///
/// ```
/// use daemonry::{ErrorKind, parse_uid};
/// assert_eq!(parse_uid("1000")?.as_raw(), 1000);
/// assert_eq!(parse_uid("root")?.as_raw(), 0);
/// assert_eq!(parse_uid(b"root")?.as_raw(), 0);
/// assert_eq!(parse_uid("no-such-user").unwrap_err().kind(), ErrorKind::UnknownUser);
/// assert_eq!(parse_uid("-1").unwrap_err().kind(), ErrorKind::InvalidInput);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_uid(s: impl AsRef<[u8]>) -> Result<Uid> {
    AccountDb::system().parse_uid(s)
}

/// Resolves a group argument: decimal digits are the gid itself, anything
/// else is a group name looked up in the system group database (celery's
/// `parse_gid`).
///
/// The rules and differences from celery are those of [`parse_uid`].
/// [`AccountDb::parse_gid`] uses another database; [`GroupRef::parse`]
/// classifies without looking up.
///
/// # Errors
///
/// - [`ErrorKind::InvalidInput`] (with the input) for `""`, a NUL inside,
///   a signed number, or a number too large for a gid.
/// - [`ErrorKind::UnknownGroup`] (with the name, up to 27 bytes) when no
///   group has that name.
/// - [`ErrorKind::Os`] if `/etc/group` exists but cannot be read.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`getgrnam(3)`](https://man7.org/linux/man-pages/man3/getgrnam.3.html)
///
/// # Examples
///
/// ```
/// use daemonry::{ErrorKind, parse_gid};
/// assert_eq!(parse_gid("100")?.as_raw(), 100);
/// assert_eq!(parse_gid("root")?.as_raw(), 0);
/// assert_eq!(parse_gid("no-such-group").unwrap_err().kind(), ErrorKind::UnknownGroup);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_gid(s: impl AsRef<[u8]>) -> Result<Gid> {
    AccountDb::system().parse_gid(s)
}
