//! [`AccountDb`]: the two databases and their lookups, streamed through a
//! stack buffer.

use super::parse::{GroupEntry, MembershipScan, PasswdEntry, parse_group_line, parse_passwd_line};
use super::reader::{self, Line, LineReader, Source};
use super::{Group, User, parse};
#[cfg(doc)]
use crate::error::ErrorKind;
use crate::error::Op;
use crate::error::{Context, Error, Result};
use crate::path::PathArg;
use core::ops::ControlFlow;
use rustix::process::{Gid, Uid};

#[derive(Clone, Debug)]
enum Db<'a> {
    Files {
        passwd: PathArg<'a>,
        group: PathArg<'a>,
    },
    Bytes {
        passwd: &'a [u8],
        group: &'a [u8],
    },
}

/// The user and group databases: two files, or their contents in memory.
///
/// [`AccountDb::system()`] (also `Default`) reads `/etc/passwd` and
/// `/etc/group`; [`AccountDb::new`] reads other files (a chroot, a container
/// image, test fixtures); [`AccountDb::from_bytes`] parses contents already
/// in memory. See the [module docs](crate::account) for the rules and the no-NSS limit.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::{AccountDb, Gid};
/// let db = AccountDb::from_bytes(
///     b"alice:x:1000:1000::/home/alice:/bin/sh\n",
///     b"alice:x:1000:\nwheel:x:10:root,alice\n",
/// );
/// let alice = db.user_by_name("alice")?;
/// assert_eq!(alice.map(|u| u.uid.as_raw()), Some(1000));
/// let mut buf = [Gid::ROOT; 8];
/// let groups = db.group_list("alice", Gid::from_raw(1000), &mut buf)?;
/// assert_eq!(groups, [Gid::from_raw(1000), Gid::from_raw(10)]);
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct AccountDb<'a> {
    db: Db<'a>,
}

impl Default for AccountDb<'static> {
    fn default() -> Self {
        AccountDb::system()
    }
}

/// Parses a name argument: `Ok(None)` for an empty name (it matches
/// nothing), `InvalidInput` for a NUL inside.
pub(crate) fn check_name(name: &[u8], context: Op) -> Result<Option<&[u8]>> {
    if name.contains(&0) {
        return Err(Error::invalid(context).with_input(name));
    }
    Ok((!name.is_empty()).then_some(name))
}

impl AccountDb<'static> {
    /// The system databases, `/etc/passwd` and `/etc/group`.
    ///
    /// Nothing is opened until a lookup.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let db = daemonry::AccountDb::system();
    /// assert!(db.user_by_name("root")?.is_some());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn system() -> AccountDb<'static> {
        AccountDb {
            db: Db::Files {
                passwd: PathArg::from_c_str(c"/etc/passwd"),
                group: PathArg::from_c_str(c"/etc/group"),
            },
        }
    }
}

impl<'a> AccountDb<'a> {
    /// The databases in the files `passwd` and `group` (a chroot, a
    /// container image, test fixtures). Nothing is opened until a lookup;
    /// an absent file is an empty database.
    ///
    /// The paths are [`PathArg`]s: a `&CStr` is kept as it is (no
    /// allocation, usable after `fork`); with `std`, a `&Path`, `&str`,
    /// `PathBuf`, … is converted to a C string once, here. A path with a NUL
    /// byte inside makes every lookup in that file fail with
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) (of
    /// [`Op::OpenPasswd`] or [`Op::OpenGroup`]), never an empty database.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec with `&CStr` paths; converting a Rust path
    /// allocates.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::AccountDb;
    /// let db = AccountDb::new(c"/srv/jail/etc/passwd", c"/srv/jail/etc/group");
    /// // An absent file is an empty database.
    /// assert_eq!(db.user_by_name("root")?, None);
    /// # #[cfg(feature = "std")] {
    /// let dir = std::path::Path::new("/srv/jail/etc");
    /// let db = AccountDb::new(dir.join("passwd"), dir.join("group"));
    /// assert_eq!(db.group_by_name("root")?, None);
    /// # }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn new(passwd: impl Into<PathArg<'a>>, group: impl Into<PathArg<'a>>) -> AccountDb<'a> {
        AccountDb {
            db: Db::Files {
                passwd: passwd.into(),
                group: group.into(),
            },
        }
    }

    /// The databases whose contents are `passwd` and `group`, already in
    /// memory.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let db = daemonry::AccountDb::from_bytes(b"app:x:990:990::/:/bin/false\n", b"");
    /// assert_eq!(db.user_by_uid(daemonry::Uid::from_raw(990))?.map(|u| u.gid.as_raw()), Some(990));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn from_bytes(passwd: &'a [u8], group: &'a [u8]) -> AccountDb<'a> {
        AccountDb {
            db: Db::Bytes { passwd, group },
        }
    }

    fn source(&self, passwd: bool) -> Result<Option<Source<'a>>> {
        let (path, op) = match (&self.db, passwd) {
            (Db::Files { passwd, .. }, true) => (passwd, Op::OpenPasswd),
            (Db::Files { group, .. }, false) => (group, Op::OpenGroup),
            (Db::Bytes { passwd, .. }, true) => return Ok(Some(Source::Bytes(passwd))),
            (Db::Bytes { group, .. }, false) => return Ok(Some(Source::Bytes(group))),
        };
        // An empty path is a Rust path with a NUL inside (see `PathArg`):
        // never an absent, empty database.
        if path.is_empty() {
            return Err(Error::invalid(op));
        }
        Source::open(path.as_c_str()).ctx(op)
    }

    /// Calls `f` with each whole passwd line until it breaks.
    fn scan_passwd<T>(&self, mut f: impl FnMut(&[u8]) -> ControlFlow<T>) -> Result<Option<T>> {
        let Some(src) = self.source(true)? else {
            return Ok(None);
        };
        let mut r = LineReader::<{ reader::LINE_BUF }>::new(src);
        while let Some(line) = r.next_line().ctx(Op::ReadPasswd)? {
            // A cut passwd line has lost its shell at least: skip it.
            if let Line::Whole(l) = line
                && let ControlFlow::Break(t) = f(l)
            {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }

    /// Calls `f` with each group entry until it breaks. A cut line is
    /// passed on only if its first three fields are complete, with an empty
    /// member list. With `name`, only lines that may hold that name (they
    /// start with `name:` or with a blank) are parsed.
    fn scan_group<T>(
        &self,
        name: Option<&[u8]>,
        mut f: impl FnMut(&GroupEntry<'_>) -> ControlFlow<T>,
    ) -> Result<Option<T>> {
        let Some(src) = self.source(false)? else {
            return Ok(None);
        };
        let mut r = LineReader::<{ reader::LINE_BUF }>::new(src);
        while let Some(line) = r.next_line().ctx(Op::ReadGroup)? {
            let (Line::Whole(l) | Line::Head(l)) = line;
            if let Some(name) = name
                && !may_name(l, name)
            {
                continue;
            }
            let entry = match line {
                Line::Whole(l) => parse_group_line(l),
                Line::Head(h) => group_head(h),
            };
            if let Some(e) = entry
                && let ControlFlow::Break(t) = f(&e)
            {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }

    /// `getpwnam(3)`—The first user named `name`.
    ///
    /// Compares bytes exactly (case-sensitive). An empty name finds nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for a NUL inside `name`;
    /// [`ErrorKind::Os`] if the database cannot be opened (other than being
    /// absent) or read.
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
    /// let root = daemonry::AccountDb::system().user_by_name("root")?;
    /// assert_eq!(root.map(|u| u.uid.as_raw()), Some(0));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "getpwnam")]
    pub fn user_by_name(&self, name: impl AsRef<[u8]>) -> Result<Option<User>> {
        let Some(name) = check_name(name.as_ref(), Op::ParseUid)? else {
            return Ok(None);
        };
        self.scan_passwd(|line| {
            if !may_name(line, name) {
                return ControlFlow::Continue(());
            }
            match parse_passwd_line(line) {
                Some(e) if e.name == name => ControlFlow::Break(User::from_entry(&e)),
                _ => ControlFlow::Continue(()),
            }
        })
    }

    /// `getpwuid(3)`—The first user with id `uid`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`] if the database cannot be opened (other than being
    /// absent) or read.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`getpwuid(3)`](https://man7.org/linux/man-pages/man3/getpwuid.3.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{AccountDb, Uid};
    /// let root = AccountDb::system().user_by_uid(Uid::ROOT)?;
    /// assert_eq!(root.map(|u| u.name), Some(daemonry::Name::new(b"root")));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "getpwuid")]
    pub fn user_by_uid(&self, uid: Uid) -> Result<Option<User>> {
        self.scan_passwd(|line| match parse_passwd_line(line) {
            Some(e) if e.uid == uid => ControlFlow::Break(User::from_entry(&e)),
            _ => ControlFlow::Continue(()),
        })
    }

    /// `getgrnam(3)`—The first group named `name`.
    ///
    /// Compares bytes exactly (case-sensitive). An empty name finds nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for a NUL inside `name`;
    /// [`ErrorKind::Os`] if the database cannot be opened (other than being
    /// absent) or read.
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
    /// let root = daemonry::AccountDb::system().group_by_name("root")?;
    /// assert_eq!(root.map(|g| g.gid.as_raw()), Some(0));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "getgrnam")]
    pub fn group_by_name(&self, name: impl AsRef<[u8]>) -> Result<Option<Group>> {
        let Some(name) = check_name(name.as_ref(), Op::ParseGid)? else {
            return Ok(None);
        };
        self.scan_group(Some(name), |e| {
            if e.name == name {
                ControlFlow::Break(Group::from_entry(e))
            } else {
                ControlFlow::Continue(())
            }
        })
    }

    /// `getgrgid(3)`—The first group with id `gid`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`] if the database cannot be opened (other than being
    /// absent) or read.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`getgrgid(3)`](https://man7.org/linux/man-pages/man3/getgrgid.3.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{AccountDb, Gid};
    /// let root = AccountDb::system().group_by_gid(Gid::ROOT)?;
    /// assert_eq!(root.map(|g| g.name), Some(daemonry::Name::new(b"root")));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "getgrgid")]
    pub fn group_by_gid(&self, gid: Gid) -> Result<Option<Group>> {
        self.scan_group(None, |e| {
            if e.gid == gid {
                ControlFlow::Break(Group::from_entry(e))
            } else {
                ControlFlow::Continue(())
            }
        })
    }

    /// Calls `f` with every valid passwd entry, in file order, until it
    /// returns `ControlFlow::Break`.
    ///
    /// Lines longer than 4095 bytes are skipped.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`] if the database cannot be opened (other than being
    /// absent) or read.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics (as long
    /// as `f` is).
    ///
    /// # References
    ///
    /// [`getpwent(3)`](https://man7.org/linux/man-pages/man3/getpwent.3.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use core::ops::ControlFlow;
    /// let mut n = 0;
    /// daemonry::AccountDb::system().for_each_user(|_| {
    ///     n += 1;
    ///     ControlFlow::Continue(())
    /// })?;
    /// assert!(n >= 1);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "getpwent")]
    pub fn for_each_user(
        &self,
        mut f: impl FnMut(&PasswdEntry<'_>) -> ControlFlow<()>,
    ) -> Result<()> {
        self.scan_passwd(|line| match parse_passwd_line(line) {
            Some(e) => f(&e),
            None => ControlFlow::Continue(()),
        })
        .map(drop)
    }

    /// Calls `f` with every valid group entry, in file order, until it
    /// returns `ControlFlow::Break`.
    ///
    /// A line longer than 4095 bytes is passed with its name, password and
    /// gid (when they fit in its first 4 KiB) but an empty member list;
    /// [`AccountDb::group_list`] reads members of any length.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`] if the database cannot be opened (other than being
    /// absent) or read.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics (as long
    /// as `f` is).
    ///
    /// # References
    ///
    /// [`getgrent(3)`](https://man7.org/linux/man-pages/man3/getgrent.3.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use core::ops::ControlFlow;
    /// let mut root = None;
    /// daemonry::AccountDb::system().for_each_group(|g| {
    ///     if g.gid.as_raw() == 0 {
    ///         root = Some(daemonry::Name::new(g.name));
    ///         return ControlFlow::Break(());
    ///     }
    ///     ControlFlow::Continue(())
    /// })?;
    /// assert!(root.is_some());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "getgrent")]
    pub fn for_each_group(&self, f: impl FnMut(&GroupEntry<'_>) -> ControlFlow<()>) -> Result<()> {
        self.scan_group(None, f).map(drop)
    }

    /// `getgrouplist(3)`—The groups of `user`: `primary` first, then every
    /// group whose member list names `user`, in file order, without
    /// duplicates; filled into `buf`.
    ///
    /// The semantics are glibc's: `primary` is always first even if no group
    /// has that gid; a group with gid `primary` is not repeated; membership
    /// through another user's primary gid does not count. An empty `user`
    /// is listed in no group. One streaming pass over the group database,
    /// whose lines may be of any length.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::BufferTooSmall`] when `buf` cannot hold the list;
    ///   `needed` is then a size that is always enough (exact unless a group
    ///   is listed twice), and `buf` holds the first `buf.len()` entries.
    /// - [`ErrorKind::InvalidInput`] for a NUL inside `user`.
    /// - [`ErrorKind::Os`] if the database cannot be opened (other than being
    ///   absent) or read.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`getgrouplist(3)`](https://man7.org/linux/man-pages/man3/getgrouplist.3.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{AccountDb, Gid};
    /// let mut buf = [Gid::ROOT; 64];
    /// let groups = AccountDb::system().group_list("root", Gid::ROOT, &mut buf)?;
    /// assert_eq!(groups.first(), Some(&Gid::ROOT));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "getgrouplist")]
    pub fn group_list<'b>(
        &self,
        user: impl AsRef<[u8]>,
        primary: Gid,
        buf: &'b mut [Gid],
    ) -> Result<&'b [Gid]> {
        let (filled, total) = self.group_list_raw(user.as_ref(), primary, buf)?;
        if total > buf.len() {
            return Err(Error::buffer_too_small(Op::GroupList, total));
        }
        Ok(buf.get(..filled).unwrap_or(&[]))
    }

    /// The core of [`group_list`](Self::group_list): fills `buf` with the
    /// first entries and returns (entries filled, entries needed). `needed`
    /// counts an entry that did not fit without checking for duplicates.
    pub(crate) fn group_list_raw(
        &self,
        user: &[u8],
        primary: Gid,
        buf: &mut [Gid],
    ) -> Result<(usize, usize)> {
        let user = check_name(user, Op::GroupList)?.unwrap_or(&[]);
        let mut filled = 0;
        let mut total = 0;
        if user.is_empty() {
            // Listed nowhere: just the primary group.
            return Ok(match buf.first_mut() {
                Some(slot) => {
                    *slot = primary;
                    (1, 1)
                }
                None => (0, 1),
            });
        }
        let mut add = |gid: Gid| {
            let seen = buf.get(..filled).is_some_and(|s| s.contains(&gid));
            if seen {
                return;
            }
            match buf.get_mut(filled) {
                Some(slot) if filled == total => {
                    *slot = gid;
                    filled += 1;
                }
                _ => {}
            }
            total += 1;
        };
        add(primary);
        let Some(mut src) = self.source(false)? else {
            return Ok((filled, total));
        };
        let mut scan = MembershipScan::new(user);
        let mut found = |gid: Gid| {
            if gid != primary {
                add(gid);
            }
        };
        let mut buf = [core::mem::MaybeUninit::uninit(); reader::LINE_BUF];
        loop {
            let chunk = src.next_chunk(&mut buf).ctx(Op::ReadGroup)?;
            if chunk.is_empty() {
                break;
            }
            scan.feed(chunk, &mut found);
        }
        scan.finish(&mut found);
        Ok((filled, total))
    }
}

/// The cheap test before a full parse: can `line` be the entry of `name`?
/// It can if it starts with `name:`, or with a blank (leading blanks are
/// skipped by the parsers).
#[inline]
fn may_name(line: &[u8], name: &[u8]) -> bool {
    starts_with_field(line, name) || line.first().is_some_and(|&b| parse::is_blank(b))
}

/// Whether `line` starts with `name` followed by `:` (an inline loop: the
/// names are short and a `memcmp` call costs more).
#[inline]
fn starts_with_field(line: &[u8], name: &[u8]) -> bool {
    if line.len() <= name.len() {
        return false;
    }
    let mut i = 0;
    while let (Some(a), Some(b)) = (line.get(i), name.get(i)) {
        if a != b {
            return false;
        }
        i += 1;
    }
    line.get(name.len()) == Some(&b':')
}

/// The name, password and gid of a cut group line, when they are complete
/// within the head (the member list is dropped).
fn group_head(head: &[u8]) -> Option<GroupEntry<'_>> {
    let third_colon = head
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b':')
        .nth(2)
        .map(|(i, _)| i)?;
    parse_group_line(head.get(..=third_colon)?)
}
