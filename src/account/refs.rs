//! [`UserRef`] and [`GroupRef`]: a user or group given any way a caller
//! has one.

use super::{Group, User, parse};
use crate::error::{Error, Op, Result};
use rustix::process::{Gid, Uid};

/// What a user or group argument given as text looks like: celery's
/// `parse_uid`/`parse_gid` rule, without the lookup.
enum Arg<'s> {
    /// Plain decimal digits: the id itself.
    Id(u32),
    /// Anything else: a name.
    Name(&'s [u8]),
}

/// Classifies `s`; `InvalidInput` (naming `op`, with `s`) for `""`, a NUL
/// inside, a signed number, or a number that is no id.
fn classify(s: &[u8], op: Op) -> Result<Arg<'_>> {
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    if s.is_empty() || s.contains(&0) {
        return Err(Error::invalid(op).with_input(s));
    }
    if digits(s) {
        return parse::parse_id(s)
            .map(Arg::Id)
            .ok_or(Error::invalid(op).with_input(s));
    }
    if let [b'+' | b'-', rest @ ..] = s
        && digits(rest)
    {
        return Err(Error::invalid(op).with_input(s));
    }
    Ok(Arg::Name(s))
}

/// A user given by name, by uid, or as a [`User`] entry: what every
/// daemonry function that takes a user accepts, through `impl Into<UserRef>`.
///
/// Built with `From`: `"postgres".into()`, `b"postgres".into()`,
/// `Uid::from_raw(101).into()` or `(&user).into()`; from command-line text
/// where digits mean a uid, with [`UserRef::parse`]. A name is looked up in
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

impl<'a> UserRef<'a> {
    /// Reads a user argument given as text (a command line, a config
    /// file): plain decimal digits are a uid, anything else is a name
    /// (celery's `parse_uid` rule, without the lookup).
    ///
    /// Numbers are plain ASCII digits: no sign, no white space, at most
    /// `4294967294` (`4294967295` is the "unchanged" value of
    /// `setresuid(2)`). A number needs no passwd entry. `From<&str>`, by
    /// contrast, always makes a name: `UserRef::from("1000")` is the user
    /// *named* `1000`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) of
    /// [`Op::ParseUid`], with the input, for `""`, a NUL inside, a signed
    /// number (`"-1"`, `"+5"`) or a number too large for a uid.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{ErrorKind, Uid, account::UserRef};
    /// assert_eq!(UserRef::parse("1000")?, UserRef::Uid(Uid::from_raw(1000)));
    /// assert_eq!(UserRef::parse("nobody")?, UserRef::Name(b"nobody"));
    /// assert_eq!(UserRef::parse("-1").unwrap_err().kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn parse<S: AsRef<[u8]> + ?Sized>(s: &'a S) -> Result<UserRef<'a>> {
        Ok(match classify(s.as_ref(), Op::ParseUid)? {
            Arg::Id(id) => UserRef::Uid(Uid::from_raw(id)),
            Arg::Name(n) => UserRef::Name(n),
        })
    }
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

impl<'a, const N: usize> From<&'a [u8; N]> for UserRef<'a> {
    fn from(s: &'a [u8; N]) -> Self {
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
/// Built with `From`: `"daemon".into()`, `b"daemon".into()`,
/// `Gid::from_raw(1).into()` or `(&group).into()`; from command-line text
/// where digits mean a gid, with [`GroupRef::parse`]. A name is looked up
/// in the group database; a gid needs no entry.
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

impl<'a> GroupRef<'a> {
    /// Reads a group argument given as text: plain decimal digits are a
    /// gid, anything else is a name (celery's `parse_gid` rule, without the
    /// lookup). The rules are [`UserRef::parse`]'s.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) of
    /// [`Op::ParseGid`], with the input, for `""`, a NUL inside, a signed
    /// number or a number too large for a gid.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Gid, account::GroupRef};
    /// assert_eq!(GroupRef::parse("100")?, GroupRef::Gid(Gid::from_raw(100)));
    /// assert_eq!(GroupRef::parse(b"users")?, GroupRef::Name(b"users"));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn parse<S: AsRef<[u8]> + ?Sized>(s: &'a S) -> Result<GroupRef<'a>> {
        Ok(match classify(s.as_ref(), Op::ParseGid)? {
            Arg::Id(id) => GroupRef::Gid(Gid::from_raw(id)),
            Arg::Name(n) => GroupRef::Name(n),
        })
    }
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

impl<'a, const N: usize> From<&'a [u8; N]> for GroupRef<'a> {
    fn from(s: &'a [u8; N]) -> Self {
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
