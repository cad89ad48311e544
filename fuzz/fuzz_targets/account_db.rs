//! Whole database contents → lookups. The first two bytes choose where the
//! passwd part ends and the group part starts. Lookups through AccountDb
//! (line reader, streaming membership scan) must agree with a plain
//! line-by-line reference built on the pure parsers, never panic, and do
//! work bounded by the input (a fixed number of lookups per input).
#![no_main]

use daemonry::account::{AccountDb, GroupRef, UserRef, parse_group_line, parse_passwd_line};
use daemonry::{ErrorKind, Gid};
use libfuzzer_sys::fuzz_target;

/// Lines the line reader hands out whole are at most this long.
const WHOLE: usize = 4095;

fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    data.split(|&b| b == b'\n').filter(move |_| !data.is_empty())
}

fuzz_target!(|data: &[u8]| {
    let (cut, rest) = match data {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => return,
    };
    let (passwd, group) = rest.split_at(cut.min(rest.len()));
    let db = AccountDb::from_bytes(passwd, group);

    // Users: the first whole line with the name (or uid) wins.
    let users: Vec<_> = lines(passwd)
        .filter(|l| l.len() <= WHOLE)
        .filter_map(parse_passwd_line)
        .collect();
    for e in users.iter().take(8) {
        let first = users.iter().find(|u| u.name == e.name).unwrap();
        let got = db.user_by_name(e.name).unwrap().expect("listed user");
        assert_eq!((got.uid, got.gid), (first.uid, first.gid));
        assert_eq!(got.name.as_bytes(), &e.name[..e.name.len().min(32)]);
        let first = users.iter().find(|u| u.uid == e.uid).unwrap();
        let got = db.user_by_uid(e.uid).unwrap().expect("listed uid");
        assert_eq!(got.gid, first.gid);
    }
    assert_eq!(db.user_by_name(b"\xff-not-a-user-\xff").unwrap(), None);

    // parse_uid: digits are the uid itself, anything else the lookup.
    for e in users.iter().take(8) {
        match UserRef::parse(e.name) {
            Ok(UserRef::Uid(u)) => assert_eq!(db.parse_uid(e.name).unwrap(), u),
            Ok(_) => assert_eq!(db.parse_uid(e.name).ok(), db.user_by_name(e.name).unwrap().map(|u| u.uid)),
            Err(err) => assert_eq!(err.kind(), ErrorKind::InvalidInput),
        }
    }
    // Arbitrary text as a user or group argument never panics, and a
    // name it keeps is the input itself.
    for arg in [passwd, group] {
        let arg = &arg[..arg.len().min(64)];
        if let Ok(UserRef::Name(n)) = UserRef::parse(arg) {
            assert_eq!(n, arg);
        }
        if let Ok(GroupRef::Name(n)) = GroupRef::parse(arg) {
            assert_eq!(n, arg);
        }
        let _ = db.parse_gid(arg);
    }

    // Groups by name and gid: whole lines, or the head of a longer one.
    let groups: Vec<_> = lines(group)
        .filter_map(|l| {
            if l.len() <= WHOLE {
                return parse_group_line(l).map(|g| (g.name, g.gid));
            }
            let head = &l[..WHOLE + 1];
            let third = head.iter().enumerate().filter(|(_, b)| **b == b':').nth(2)?.0;
            parse_group_line(&head[..=third]).map(|g| (g.name, g.gid))
        })
        .collect();
    for (name, gid) in groups.iter().take(8) {
        let first = groups.iter().find(|(n, _)| n == name).unwrap();
        assert_eq!(db.group_by_name(name).unwrap().map(|g| g.gid), Some(first.1));
        let first = groups.iter().find(|(_, g)| g == gid).unwrap();
        assert_eq!(db.group_by_gid(*gid).unwrap().map(|g| g.name.as_bytes().to_vec()), Some(first.0[..first.0.len().min(32)].to_vec()));
    }

    // group_list for a few member names (and one that is nobody's): lines
    // of any length count.
    let mut names: Vec<&[u8]> = lines(group)
        .filter_map(parse_group_line)
        .flat_map(|g| g.members().take(2).collect::<Vec<_>>())
        .filter(|m| !m.contains(&0))
        .take(4)
        .collect();
    names.push(b"x");
    for user in names {
        let primary = Gid::from_raw(7);
        let mut want = vec![primary];
        for g in lines(group).filter_map(parse_group_line) {
            if g.gid != primary && g.has_member(user) && !want.contains(&g.gid) {
                want.push(g.gid);
            }
        }
        let mut buf = [Gid::ROOT; 64];
        match db.group_list(user, primary, &mut buf) {
            Ok(got) => assert_eq!(got, &want[..]),
            Err(e) => {
                assert!(want.len() > 64);
                assert!(e.kind() == ErrorKind::BufferTooSmall && e.needed().is_some_and(|n| n >= want.len()));
                assert_eq!(&buf[..], &want[..64]);
            }
        }
    }
});
