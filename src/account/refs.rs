//! [`UserRef`] and [`GroupRef`]: a user or group given any way a caller
//! has one.

use super::{Group, User};
use rustix::process::{Gid, Uid};

/// A user given by name, by uid, or as a [`User`] entry: what every
/// daemonry function that takes a user accepts, through `impl Into<UserRef>`.
///
/// Built with `From`: `"postgres".into()`, `b"postgres"[..].into()`,
/// `Uid::from_raw(101).into()` or `(&user).into()`. A name is looked up in
/// the passwd database; a uid needs no entry unless the function needs the
/// user's name or primary group (and says so).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::{Uid, account::UserRef};
/// assert_eq!(UserRef::from("nobody"), UserRef::Name(b"nobody"));
/// assert_eq!(UserRef::from(Uid::from_raw(65534)), UserRef::Uid(Uid::from_raw(65534)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserRef<'a> {
    /// A user name.
    Name(&'a [u8]),
    /// A uid.
    Uid(Uid),
}

impl<'a> From<&'a str> for UserRef<'a> {
    fn from(s: &'a str) -> Self {
        UserRef::Name(s.as_bytes())
    }
}

impl<'a> From<&'a [u8]> for UserRef<'a> {
    fn from(s: &'a [u8]) -> Self {
        UserRef::Name(s)
    }
}

impl From<Uid> for UserRef<'_> {
    fn from(u: Uid) -> Self {
        UserRef::Uid(u)
    }
}

impl<'a> From<&'a User> for UserRef<'a> {
    /// The entry's name, or its uid when the name was too long to keep
    /// whole.
    fn from(u: &'a User) -> Self {
        match u.name.is_truncated() {
            false => UserRef::Name(u.name.as_bytes()),
            true => UserRef::Uid(u.uid),
        }
    }
}

/// A group given by name, by gid, or as a [`Group`] entry: what every
/// daemonry function that takes a group accepts, through
/// `impl Into<GroupRef>`.
///
/// Built with `From`: `"daemon".into()`, `Gid::from_raw(1).into()` or
/// `(&group).into()`. A name is looked up in the group database; a gid
/// needs no entry.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::{Gid, account::GroupRef};
/// assert_eq!(GroupRef::from("daemon"), GroupRef::Name(b"daemon"));
/// assert_eq!(GroupRef::from(Gid::from_raw(1)), GroupRef::Gid(Gid::from_raw(1)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupRef<'a> {
    /// A group name.
    Name(&'a [u8]),
    /// A gid.
    Gid(Gid),
}

impl<'a> From<&'a str> for GroupRef<'a> {
    fn from(s: &'a str) -> Self {
        GroupRef::Name(s.as_bytes())
    }
}

impl<'a> From<&'a [u8]> for GroupRef<'a> {
    fn from(s: &'a [u8]) -> Self {
        GroupRef::Name(s)
    }
}

impl From<Gid> for GroupRef<'_> {
    fn from(g: Gid) -> Self {
        GroupRef::Gid(g)
    }
}

impl<'a> From<&'a Group> for GroupRef<'a> {
    /// The entry's gid (a gid always names the group exactly).
    fn from(g: &'a Group) -> Self {
        GroupRef::Gid(g.gid)
    }
}
