//! Pure parsers for `passwd(5)` and `group(5)` lines and for numeric ids,
//! over `&[u8]`: no I/O, no allocation, no panics.
//!
//! The rules are documented in the [account module](crate::account#line-rules).

use core::fmt;
use rustix::process::{Gid, Uid};

/// `isspace(3)` in the C locale, minus `\n` (which ends a line).
#[inline]
pub(crate) const fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x0b | 0x0c | b'\r')
}

/// A numeric id as the databases and [`parse_uid`](crate::parse_uid) accept
/// it: one or more ASCII digits, fitting `u32`, not `u32::MAX`.
pub(crate) fn parse_id(s: &[u8]) -> Option<u32> {
    crate::num::parse_u32(s).filter(|&v| v != u32::MAX)
}

/// The content of a line to parse: one trailing `\n` removed, leading blanks
/// skipped; `None` for blank lines, comments, NIS `+`/`-` lines and lines
/// with an inner `\n`.
fn content(line: &[u8]) -> Option<&[u8]> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let start = line.iter().position(|&b| !is_blank(b))?;
    let line = line.get(start..)?;
    match line.first() {
        None | Some(b'#' | b'+' | b'-') => None,
        _ if line.contains(&b'\n') => None,
        _ => Some(line),
    }
}

/// A valid entry name: non-empty, no NUL.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && !name.contains(&0)
}

/// Shows bytes as an escaped string in `Debug` output.
struct Bytes<'a>(&'a [u8]);

impl fmt::Debug for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

/// One `/etc/passwd` entry, borrowed from the line it was parsed from.
///
/// Built by [`parse_passwd_line`]; see the [line rules](crate::account#line-rules).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswdEntry<'a> {
    /// The login name.
    pub name: &'a [u8],
    /// The password field (usually `x`: the hash lives in `/etc/shadow`).
    pub passwd: &'a [u8],
    /// The numeric user id.
    pub uid: Uid,
    /// The primary group id.
    pub gid: Gid,
    /// The comment (GECOS) field.
    pub gecos: &'a [u8],
    /// The home directory.
    pub dir: &'a [u8],
    /// The login shell (the rest of the line).
    pub shell: &'a [u8],
}

impl fmt::Debug for PasswdEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswdEntry")
            .field("name", &Bytes(self.name))
            .field("passwd", &Bytes(self.passwd))
            .field("uid", &self.uid.as_raw())
            .field("gid", &self.gid.as_raw())
            .field("gecos", &Bytes(self.gecos))
            .field("dir", &Bytes(self.dir))
            .field("shell", &Bytes(self.shell))
            .finish()
    }
}

/// Parses one `/etc/passwd` line (`name:passwd:uid:gid:gecos:dir:shell`).
///
/// Returns `None` for lines to skip: blank lines, `#` comments, NIS `+`/`-`
/// entries and malformed lines (fewer than seven fields, an empty name or
/// one containing NUL, an id that is not plain digits, overflows `u32` or is
/// `4294967295`). The line may end with one `\n`. See the
/// [line rules](crate::account#line-rules) for how this differs from glibc.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`passwd(5)`](https://man7.org/linux/man-pages/man5/passwd.5.html)
///
/// # Examples
///
/// ```
/// use daemonry::account::parse_passwd_line;
/// let e = parse_passwd_line(b"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
///     .ok_or("malformed")?;
/// assert_eq!(e.name, b"nobody");
/// assert_eq!(e.uid.as_raw(), 65534);
/// assert_eq!(e.shell, b"/usr/sbin/nologin");
/// assert!(parse_passwd_line(b"# comment").is_none());
/// assert!(parse_passwd_line(b"+nisuser::::::").is_none());
/// assert!(parse_passwd_line(b"bad:x:-1:0::/:/bin/sh").is_none());
/// # Ok::<(), &str>(())
/// ```
pub fn parse_passwd_line(line: &[u8]) -> Option<PasswdEntry<'_>> {
    let mut f = content(line)?.splitn(7, |&b| b == b':');
    let name = f.next()?;
    let passwd = f.next()?;
    let uid = parse_id(f.next()?)?;
    let gid = parse_id(f.next()?)?;
    let gecos = f.next()?;
    let dir = f.next()?;
    let shell = f.next()?;
    if !valid_name(name) {
        return None;
    }
    Some(PasswdEntry {
        name,
        passwd,
        uid: Uid::from_raw(uid),
        gid: Gid::from_raw(gid),
        gecos,
        dir,
        shell,
    })
}

/// One `/etc/group` entry, borrowed from the line it was parsed from.
///
/// Built by [`parse_group_line`]; the members come from
/// [`GroupEntry::members`].
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupEntry<'a> {
    /// The group name.
    pub name: &'a [u8],
    /// The password field (usually `x` or empty).
    pub passwd: &'a [u8],
    /// The numeric group id.
    pub gid: Gid,
    /// The raw member list (the rest of the line).
    member_list: &'a [u8],
}

impl<'a> GroupEntry<'a> {
    /// The user names listed as members, in file order (leading white space
    /// of each removed, empty ones dropped).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = daemonry::account::parse_group_line(b"wheel:x:10:root, alice,,bob\n").unwrap();
    /// assert!(g.members().eq([&b"root"[..], b"alice", b"bob"]));
    /// ```
    pub fn members(&self) -> Members<'a> {
        Members {
            rest: Some(self.member_list),
        }
    }

    /// Whether `user` is listed as a member (exact, case-sensitive
    /// comparison, as glibc's). An empty `user` is never a member.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = daemonry::account::parse_group_line(b"wheel:x:10:root,alice\n").unwrap();
    /// assert!(g.has_member("alice"));
    /// assert!(!g.has_member(b"Alice"));
    /// ```
    pub fn has_member(&self, user: impl AsRef<[u8]>) -> bool {
        let user = user.as_ref();
        self.members().any(|m| m == user)
    }
}

impl fmt::Debug for GroupEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct List<'a>(Members<'a>);
        impl fmt::Debug for List<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.clone().map(Bytes)).finish()
            }
        }
        f.debug_struct("GroupEntry")
            .field("name", &Bytes(self.name))
            .field("passwd", &Bytes(self.passwd))
            .field("gid", &self.gid.as_raw())
            .field("members", &List(self.members()))
            .finish()
    }
}

/// The members of a [`GroupEntry`]: an iterator over the user names of its
/// comma-separated member list.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Clone, Debug)]
pub struct Members<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for Members<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let rest = self.rest?;
            let (item, tail) = match rest.iter().position(|&b| b == b',') {
                Some(i) => (rest.get(..i)?, rest.get(i + 1..)),
                None => (rest, None),
            };
            self.rest = tail;
            let start = item.iter().position(|&b| !is_blank(b));
            if let Some(m) = start.and_then(|s| item.get(s..)) {
                return Some(m);
            }
        }
    }
}

/// Parses one `/etc/group` line (`name:passwd:gid:member,member,…`).
///
/// Returns `None` for lines to skip: blank lines, `#` comments, NIS `+`/`-`
/// entries and malformed lines (fewer than four fields, an empty name or one
/// containing NUL, a gid that is not plain digits, overflows `u32` or is
/// `4294967295`). The line may end with one `\n`. See the
/// [line rules](crate::account#line-rules) for how this differs from glibc.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`group(5)`](https://man7.org/linux/man-pages/man5/group.5.html)
///
/// # Examples
///
/// ```
/// use daemonry::account::parse_group_line;
/// let g = parse_group_line(b"ssl-cert:x:103:postgres, www-data,,\n").ok_or("malformed")?;
/// assert_eq!(g.name, b"ssl-cert");
/// assert_eq!(g.gid.as_raw(), 103);
/// assert!(g.members().eq([&b"postgres"[..], b"www-data"]));
/// assert!(g.has_member(b"www-data"));
/// assert!(parse_group_line(b"nogid:x::").is_none());
/// # Ok::<(), &str>(())
/// ```
pub fn parse_group_line(line: &[u8]) -> Option<GroupEntry<'_>> {
    let mut f = content(line)?.splitn(4, |&b| b == b':');
    let name = f.next()?;
    let passwd = f.next()?;
    let gid = parse_id(f.next()?)?;
    let member_list = f.next()?;
    if !valid_name(name) {
        return None;
    }
    Some(GroupEntry {
        name,
        passwd,
        gid: Gid::from_raw(gid),
        member_list,
    })
}

/// Where a [`MembershipScan`] is within a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the first non-blank byte of a line.
    LineStart,
    /// In the name field.
    Name,
    /// In the password field.
    Passwd,
    /// In the gid field; `digits` read so far.
    Gid { digits: bool },
    /// In the member list.
    Members,
    /// In a line to ignore, up to its `\n`.
    Skip,
}

/// Where a [`MembershipScan`] is within one member name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Member {
    /// Skipping the member's leading blanks.
    Leading,
    /// The first `n` bytes matched the user name.
    Matching(usize),
    /// This member is not the user.
    Mismatch,
}

/// A push parser over the raw bytes of a group database that finds the
/// groups listing one user, for lines of any length.
///
/// It gives, line by line, exactly what [`parse_group_line`] and
/// [`GroupEntry::has_member`] give (a test and a fuzz target check this),
/// but needs no line buffer: group lines with thousands of members cost no
/// memory. The gid of a matching line is reported when its `\n` (or the end
/// of input) arrives.
#[derive(Clone, Debug)]
pub(crate) struct MembershipScan<'u> {
    user: &'u [u8],
    state: State,
    gid: u64,
    member: Member,
    matched: bool,
}

impl<'u> MembershipScan<'u> {
    /// A scanner looking for `user` (never matches when `user` is empty).
    pub(crate) fn new(user: &'u [u8]) -> Self {
        MembershipScan {
            user,
            state: State::LineStart,
            gid: 0,
            member: Member::Leading,
            matched: false,
        }
    }

    /// Ends the current member name.
    #[inline]
    fn end_member(&mut self) {
        if self.member == Member::Matching(self.user.len()) && !self.user.is_empty() {
            self.matched = true;
        }
        self.member = Member::Leading;
    }

    /// Ends the current line; reports the gid if the user was listed.
    #[inline]
    fn end_line(&mut self, found: &mut impl FnMut(Gid)) {
        if self.state == State::Members {
            self.end_member();
            if self.matched {
                // `gid` was checked to fit and not be u32::MAX.
                found(Gid::from_raw(self.gid as u32));
            }
        }
        self.state = State::LineStart;
        self.matched = false;
    }

    /// Feeds the next chunk of the file; `found` gets the gid of each group
    /// listing the user, in file order.
    pub(crate) fn feed(&mut self, chunk: &[u8], found: &mut impl FnMut(Gid)) {
        let mut i = 0;
        while let Some(&b) = chunk.get(i) {
            i += 1;
            if b == b'\n' {
                self.end_line(found);
                continue;
            }
            match self.state {
                State::LineStart => {
                    self.state = match b {
                        _ if is_blank(b) => State::LineStart,
                        b'#' | b'+' | b'-' | b':' | 0 => State::Skip,
                        _ => State::Name,
                    }
                }
                State::Name => match b {
                    b':' => self.state = State::Passwd,
                    0 => self.state = State::Skip,
                    _ => {}
                },
                State::Passwd => {
                    if b == b':' {
                        self.gid = 0;
                        self.state = State::Gid { digits: false };
                    }
                }
                State::Gid { digits } => match b {
                    b'0'..=b'9' => {
                        self.gid = self.gid * 10 + u64::from(b - b'0');
                        self.state = if self.gid >= u64::from(u32::MAX) {
                            State::Skip
                        } else {
                            State::Gid { digits: true }
                        };
                    }
                    b':' if digits => {
                        self.member = Member::Leading;
                        self.matched = false;
                        self.state = State::Members;
                    }
                    _ => self.state = State::Skip,
                },
                State::Members => {
                    if b == b',' {
                        self.end_member();
                    } else if self.member == Member::Leading && is_blank(b) {
                        // Leading blanks of a member are not part of it.
                    } else {
                        self.member = match self.member {
                            Member::Leading => self.step(0, b),
                            Member::Matching(n) => self.step(n, b),
                            Member::Mismatch => Member::Mismatch,
                        };
                    }
                }
                State::Skip => {
                    // A run of bytes up to the next newline: skip it at once.
                    match chunk
                        .get(i..)
                        .and_then(|r| r.iter().position(|&c| c == b'\n'))
                    {
                        Some(off) => i += off,
                        None => i = chunk.len(),
                    }
                }
            }
            // Within the member list, skip to the next separator as soon as
            // the current member cannot match.
            if self.state == State::Members && self.member == Member::Mismatch {
                match chunk
                    .get(i..)
                    .and_then(|r| r.iter().position(|&c| c == b',' || c == b'\n'))
                {
                    Some(off) => i += off,
                    None => i = chunk.len(),
                }
            }
        }
    }

    /// Compares byte `b` at position `n` of the user name.
    #[inline]
    fn step(&self, n: usize, b: u8) -> Member {
        match self.user.get(n) {
            Some(&u) if u == b => Member::Matching(n + 1),
            _ => Member::Mismatch,
        }
    }

    /// Ends the input (a last line without `\n` counts).
    pub(crate) fn finish(&mut self, found: &mut impl FnMut(Gid)) {
        self.end_line(found);
    }
}

#[cfg(test)]
mod tests {
    // The test harness links std even without the `std` feature.
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn ids() {
        assert_eq!(parse_id(b"0"), Some(0));
        assert_eq!(parse_id(b"0065534"), Some(65534));
        assert_eq!(parse_id(b"4294967294"), Some(u32::MAX - 1));
        assert_eq!(parse_id(b"4294967295"), None);
        assert_eq!(parse_id(b"4294967296"), None);
        assert_eq!(parse_id(b""), None);
        assert_eq!(parse_id(b"-1"), None);
        assert_eq!(parse_id(b"+1"), None);
        assert_eq!(parse_id(b" 1"), None);
        assert_eq!(parse_id(b"1 "), None);
    }

    fn scan_all(data: &[u8], user: &[u8], chunk: usize) -> Vec<u32> {
        let mut out = Vec::new();
        let mut s = MembershipScan::new(user);
        let mut f = |g: Gid| out.push(g.as_raw());
        for c in data.chunks(chunk.max(1)) {
            s.feed(c, &mut f);
        }
        s.finish(&mut f);
        out
    }

    fn reference(data: &[u8], user: &[u8]) -> Vec<u32> {
        data.split(|&b| b == b'\n')
            .filter_map(parse_group_line)
            .filter(|g| g.has_member(user))
            .map(|g| g.gid.as_raw())
            .collect()
    }

    #[test]
    fn scan_matches_line_parser() {
        let data: &[u8] = b"a:x:1:bob\n  b:x:2: bob ,al\n#c:x:3:bob\n+d:x:4:bob\n\
            e:x::bob\nf:x:4294967295:bob\ng:x:7:bobby,bo\nh:x:8:al,\tbob\n\
            i:x:9\n\0j:x:10:bob\nk\0:x:11:bob\n:x:12:bob\nl::13:,,bob,,\n\
            m:x:14:bob\rn\nn:x:015:bob\no:x: 16:bob\np:x:17:bob:extra\nq:x:18:bob";
        for user in [&b"bob"[..], b"al", b"bo", b"", b"bob:extra", b"bob\r"] {
            let want = reference(data, user);
            for chunk in 1..=data.len() {
                assert_eq!(
                    scan_all(data, user, chunk),
                    want,
                    "user {user:?} chunk {chunk}"
                );
            }
        }
        assert_eq!(reference(data, b"bob"), [1, 8, 13, 15, 18]);
        assert_eq!(reference(data, b"al"), [2, 8]);
    }

    #[test]
    fn members_split() {
        let g = parse_group_line(b"g:x:1: a, b ,,\t,c").unwrap();
        let v: Vec<&[u8]> = g.members().collect();
        assert_eq!(v, [&b"a"[..], b"b ", b"c"]);
        let g = parse_group_line(b"g:x:1:").unwrap();
        assert_eq!(g.members().count(), 0);
        assert!(!g.has_member(b""));
    }
}
