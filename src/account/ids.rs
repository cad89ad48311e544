//! [`parse_uid`] and [`parse_gid`]: a number, or a name to look up
//! (celery's `parse_uid`/`parse_gid`).

use super::{AccountDb, User, parse};
use crate::error::Op;
use crate::error::{Error, ErrorKind, Result};
use rustix::process::{Gid, Uid};

/// What a uid or gid argument looks like.
enum IdArg<'s> {
    /// A plain number.
    Id(u32),
    /// A name to look up.
    Name(&'s [u8]),
}

/// Classifies a [`parse_uid`]/[`parse_gid`] argument.
fn id_arg<'s>(s: &'s str, context: Op) -> Result<IdArg<'s>> {
    let b = s.as_bytes();
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    if b.is_empty() || b.contains(&0) {
        return Err(Error::invalid(context).with_input(b));
    }
    if digits(b) {
        return parse::parse_id(b)
            .map(IdArg::Id)
            .ok_or(Error::invalid(context).with_input(b));
    }
    if let [b'+' | b'-', rest @ ..] = b
        && digits(rest)
    {
        return Err(Error::invalid(context).with_input(b));
    }
    Ok(IdArg::Name(b))
}

/// A user argument of [`drop_privileges`](crate::drop_privileges),
/// resolved.
pub(crate) struct UserArg<'s> {
    /// The uid.
    pub(crate) uid: Uid,
    /// Its passwd entry: by name when given a name, else by uid (if any).
    pub(crate) entry: Option<User>,
    /// The name, when the argument was one.
    pub(crate) name: Option<&'s [u8]>,
}

/// Resolves a user argument as [`parse_uid_in`] does, keeping the entry.
pub(crate) fn resolve_user<'s>(db: &AccountDb<'_>, s: &'s str) -> Result<UserArg<'s>> {
    match id_arg(s, Op::ParseUid)? {
        IdArg::Id(id) => {
            let uid = Uid::from_raw(id);
            let entry = db.user_by_uid(uid).map_err(|e| e.with_op(Op::ParseUid))?;
            Ok(UserArg {
                uid,
                entry,
                name: None,
            })
        }
        IdArg::Name(name) => match db.user_by_name(name).map_err(|e| e.with_op(Op::ParseUid))? {
            Some(u) => Ok(UserArg {
                uid: u.uid,
                entry: Some(u),
                name: Some(name),
            }),
            None => Err(Error::new(ErrorKind::UnknownUser, Op::ParseUid).with_input(name)),
        },
    }
}

/// Resolves a user argument: decimal digits are the uid itself, anything
/// else is a user name looked up in the system passwd database (celery's
/// `parse_uid`).
///
/// Numbers are plain ASCII digits: no sign, no white space, at most
/// `4294967294` (`4294967295` is the "unchanged" value of `setresuid(2)`).
/// A number need not have a passwd entry. See [`parse_uid_in`] for another
/// database.
///
/// Deliberate differences from celery: `"-1"`, `"+5"`, `"4294967295"` and
/// larger numbers are errors, not ids; `""` is an error, not "no user".
///
/// # Errors
///
/// - [`ErrorKind::InvalidInput`] (with the input) for `""`, a NUL inside,
///   a signed number, or a number too large for a uid.
/// - [`ErrorKind::UnknownUser`] (with the name, up to 32 bytes) when no
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
/// assert_eq!(parse_uid("no-such-user").unwrap_err().kind(), ErrorKind::UnknownUser);
/// assert_eq!(parse_uid("-1").unwrap_err().kind(), ErrorKind::InvalidInput);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_uid(s: &str) -> Result<Uid> {
    parse_uid_in(&AccountDb::system(), s)
}

/// [`parse_uid`] against the database `db`.
///
/// # Errors
///
/// As [`parse_uid`], for `db`.
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
/// use daemonry::{AccountDb, account::parse_uid_in};
/// let db = AccountDb::from_bytes(b"app:x:990:990::/srv/app:/bin/false\n", b"");
/// assert_eq!(parse_uid_in(&db, "app")?.as_raw(), 990);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_uid_in(db: &AccountDb<'_>, s: &str) -> Result<Uid> {
    match id_arg(s, Op::ParseUid)? {
        IdArg::Id(id) => Ok(Uid::from_raw(id)),
        IdArg::Name(name) => match db.user_by_name(name).map_err(|e| e.with_op(Op::ParseUid))? {
            Some(u) => Ok(u.uid),
            None => Err(Error::new(ErrorKind::UnknownUser, Op::ParseUid).with_input(name)),
        },
    }
}

/// Resolves a group argument: decimal digits are the gid itself, anything
/// else is a group name looked up in the system group database (celery's
/// `parse_gid`).
///
/// The rules and differences from celery are those of [`parse_uid`]. See
/// [`parse_gid_in`] for another database.
///
/// # Errors
///
/// - [`ErrorKind::InvalidInput`] (with the input) for `""`, a NUL inside,
///   a signed number, or a number too large for a gid.
/// - [`ErrorKind::UnknownGroup`] (with the name, up to 32 bytes) when no
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
pub fn parse_gid(s: &str) -> Result<Gid> {
    parse_gid_in(&AccountDb::system(), s)
}

/// [`parse_gid`] against the database `db`.
///
/// # Errors
///
/// As [`parse_gid`], for `db`.
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
/// use daemonry::{AccountDb, account::parse_gid_in};
/// let db = AccountDb::from_bytes(b"", b"app:x:990:\n");
/// assert_eq!(parse_gid_in(&db, "app")?.as_raw(), 990);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn parse_gid_in(db: &AccountDb<'_>, s: &str) -> Result<Gid> {
    match id_arg(s, Op::ParseGid)? {
        IdArg::Id(id) => Ok(Gid::from_raw(id)),
        IdArg::Name(name) => match db
            .group_by_name(name)
            .map_err(|e| e.with_op(Op::ParseGid))?
        {
            Some(g) => Ok(g.gid),
            None => Err(Error::new(ErrorKind::UnknownGroup, Op::ParseGid).with_input(name)),
        },
    }
}
