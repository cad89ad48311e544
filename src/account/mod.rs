//! Users and groups from `/etc/passwd` and `/etc/group`, without libc or
//! NSS (celery's `parse_uid`, `parse_gid` and its `pwd`/`grp` lookups).
//!
//! # No NSS
//!
//! daemonry reads the two files itself, the way glibc's `files` module
//! does. Users and groups that only exist in other name services (LDAP,
//! sssd, NIS, systemd's dynamic users) are **not visible**: a name lookup
//! says "unknown". Numeric ids always work. This is what makes the lookups
//! usable in static binaries, in PID 1 and between `fork` and `exec`:
//! glibc's `getpwnam` may `dlopen` NSS modules, allocate and take locks.
//!
//! # Databases
//!
//! [`AccountDb`] names the two files (by default `/etc/passwd` and
//! `/etc/group`; another root such as a chroot or container image, or test
//! fixtures, can be given), or holds their contents in memory. Every lookup
//! opens, streams and closes the file through a 4 KiB stack buffer: no
//! allocation, no cache, no state. An absent file is an empty database.
//!
//! Lines are parsed by [`parse_passwd_line`] and [`parse_group_line`]:
//! blank lines, `#` comments, NIS `+`/`-` entries and malformed lines are
//! skipped, never fatal. The first matching entry wins (as in glibc).
//! A passwd line longer than 4095 bytes is skipped; a group line of any
//! length works for [`AccountDb::group_list`], and for the other group
//! lookups as long as its name, password and gid fit in the first 4 KiB.
//!
//! # Line rules
//!
//! [`parse_passwd_line`] and [`parse_group_line`] follow glibc's
//! `nss_files` (`files-parse.c`), except where noted:
//!
//! - One trailing `\n` is allowed; a `\n` anywhere else makes the line
//!   malformed.
//! - Leading white space (space, `\t`, `\v`, `\f`, `\r`) is skipped. Blank
//!   lines and lines starting with `#` are skipped.
//! - Lines whose name starts with `+` or `-` are NIS compat entries and are
//!   skipped (glibc's `files` module accepts a bare `+` line as uid 0; we
//!   never do).
//! - passwd: `name:passwd:uid:gid:gecos:dir:shell`; the shell runs to the end
//!   of the line (it may contain `:`). group: `name:passwd:gid:members`; the
//!   member list runs to the end of the line.
//! - The name must be non-empty and free of NUL bytes.
//! - **Stricter than glibc:** ids are plain ASCII digits that fit a `u32`
//!   and are not `4294967295` (which means "unchanged" to `setresuid(2)`).
//!   glibc's `strtoul` also takes leading blanks, a sign, and clamps
//!   overflow to `4294967295`; such lines are malformed here.
//! - Members are split on `,`; leading white space of each is skipped and
//!   empty members are dropped, as glibc does.
//! - Malformed lines are skipped by every caller, never fatal.
//!
//! Results are small `Copy` values with the name inline
//! ([`Name`], at most 32 bytes, flagged when a longer name was cut).
//!
//! # One API
//!
//! Functions use the system databases; the same operation against another
//! database is a method of [`AccountDb`]:
//!
//! | system databases | any [`AccountDb`] |
//! |---|---|
//! | [`parse_uid`]`(s)` | [`db.parse_uid(s)`](AccountDb::parse_uid) |
//! | [`parse_gid`]`(s)` | [`db.parse_gid(s)`](AccountDb::parse_gid) |
//! | [`initgroups`](crate::initgroups)`(user, gid)` | [`db.initgroups(user, gid)`](AccountDb::initgroups) |
//! | [`check_privileges`](crate::check_privileges)`(allow_root)` | [`db.check_privileges(allow_root)`](AccountDb::check_privileges) |
//! | [`drop_privileges`](crate::drop_privileges)`(user, group)` | [`PrivilegeDrop::new()…accounts(&db)`](crate::privilege::PrivilegeDrop::accounts) |
//!
//! Names are taken as `impl AsRef<[u8]>` (`&str`, `&[u8]`, `String`, …);
//! a user or group that may be a name or an id is a [`UserRef`] /
//! [`GroupRef`] (`"nobody".into()`, `Uid::from_raw(65534).into()`, or
//! [`UserRef::parse`] for command-line text where digits mean an id).

mod db;
mod ids;
mod parse;
pub(crate) mod reader;
mod refs;

pub use db::AccountDb;
pub use ids::{parse_gid, parse_uid};
pub(crate) use ids::{resolve_group, resolve_user, unknown_uid};

pub use parse::{GroupEntry, Members, PasswdEntry, parse_group_line, parse_passwd_line};
pub use refs::{GroupRef, UserRef};

use crate::name::Name;
use rustix::process::{Gid, Uid};

/// A user: what a passwd entry says, with the name inline.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct User {
    /// The login name (cut to 32 bytes, and flagged, if longer).
    pub name: Name,
    /// The user id.
    pub uid: Uid,
    /// The primary group id.
    pub gid: Gid,
}

impl User {
    pub(crate) fn from_entry(e: &PasswdEntry<'_>) -> User {
        User {
            name: Name::new(e.name),
            uid: e.uid,
            gid: e.gid,
        }
    }
}

/// A group: what a group entry says, with the name inline (members are
/// reached through [`AccountDb::group_list`] or [`AccountDb::for_each_group`]).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Group {
    /// The group name (cut to 32 bytes, and flagged, if longer).
    pub name: Name,
    /// The group id.
    pub gid: Gid,
}

impl Group {
    pub(crate) fn from_entry(e: &GroupEntry<'_>) -> Group {
        Group {
            name: Name::new(e.name),
            gid: e.gid,
        }
    }
}
