//! AccountDb lookups over the fixtures and the real databases,
//! `parse_uid`/`parse_gid`, and `group_list` against glibc's answer.
#![allow(unsafe_code)] // libc's getgrouplist/getpwnam_r as the reference.

mod common;

use common::fixture_db;
use daemonry::account::{AccountDb, GroupRef, UserRef};
use daemonry::{ErrorKind, Gid, Uid, parse_gid, parse_uid};
use std::collections::BTreeSet;
use std::ffi::CString;
use std::ops::ControlFlow;

const PASSWD: &[u8] = include_bytes!("fixtures/passwd");
const GROUP: &[u8] = include_bytes!("fixtures/group");

fn raw(v: &[Gid]) -> Vec<u32> {
    v.iter().map(|g| g.as_raw()).collect()
}

fn list(db: &AccountDb<'_>, user: &str, primary: u32) -> Vec<u32> {
    let mut buf = [Gid::ROOT; 256];
    raw(db
        .group_list(user, Gid::from_raw(primary), &mut buf)
        .expect("group_list"))
}

#[test]
fn fixture_user_lookups() {
    for db in [fixture_db(), AccountDb::from_bytes(PASSWD, GROUP)] {
        let u = db.user_by_name("dkuser").unwrap().expect("dkuser");
        // The first of two "dkuser" lines wins.
        assert_eq!((u.uid.as_raw(), u.gid.as_raw()), (4242, 4242));
        assert_eq!(u.name, *"dkuser");
        // The first of two uid-4242 lines wins.
        assert_eq!(
            db.user_by_uid(Uid::from_raw(4242)).unwrap().map(|u| u.name),
            Some(daemonry::Name::new(b"dkuser"))
        );
        assert_eq!(
            db.user_by_name("indented").unwrap().map(|u| u.uid.as_raw()),
            Some(4401)
        );
        assert_eq!(
            db.user_by_name("crlf").unwrap().map(|u| u.uid.as_raw()),
            Some(4504)
        );
        assert_eq!(
            db.user_by_name("lastline").unwrap().map(|u| u.uid.as_raw()),
            Some(4505)
        );
        // A passwd line over 4 KiB is skipped, and the next one still reads.
        assert_eq!(db.user_by_name("longgecos").unwrap(), None);
        assert_eq!(db.user_by_uid(Uid::from_raw(4402)).unwrap(), None);
        assert_eq!(
            db.user_by_name("afterlong")
                .unwrap()
                .map(|u| u.uid.as_raw()),
            Some(4403)
        );
        for skipped in [
            "nisuser",
            "+nisuser",
            "+",
            "-nisexcluded",
            "badsign",
            "overflow",
            "minus1",
            "short",
            "emptyid",
            "",
            "DKUSER",
            "dkuse",
        ] {
            assert_eq!(db.user_by_name(skipped).unwrap(), None, "{skipped:?}");
        }
        assert_eq!(db.user_by_uid(Uid::from_raw(4600)).unwrap(), None); // short line
        // A 300-byte name is found; the result's inline name is cut and says so.
        let long = "u".repeat(300);
        let u = db.user_by_name(&long).unwrap().expect("300-byte name");
        assert_eq!(u.uid.as_raw(), 4503);
        assert!(u.name.is_truncated());
        assert_eq!(u.name.as_bytes(), &long.as_bytes()[..32]);
        // NUL inside a name is an error, not "not found".
        let e = db.user_by_name("dk\0user").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}

#[test]
fn fixture_group_lookups() {
    for db in [fixture_db(), AccountDb::from_bytes(PASSWD, GROUP)] {
        assert_eq!(
            db.group_by_name("dkgroup").unwrap().map(|g| g.gid.as_raw()),
            Some(4300)
        );
        // First of two gid-4301 lines.
        assert_eq!(
            db.group_by_gid(Gid::from_raw(4301))
                .unwrap()
                .map(|g| g.name),
            Some(daemonry::Name::new(b"dkextra"))
        );
        // The >4 KiB line is found by name and gid from its head.
        assert_eq!(
            db.group_by_name("dklong").unwrap().map(|g| g.gid.as_raw()),
            Some(4306)
        );
        assert_eq!(
            db.group_by_gid(Gid::from_raw(4306))
                .unwrap()
                .map(|g| g.name),
            Some(daemonry::Name::new(b"dklong"))
        );
        assert_eq!(
            db.group_by_name("dkafterlong")
                .unwrap()
                .map(|g| g.gid.as_raw()),
            Some(4307)
        );
        assert_eq!(
            db.group_by_name("dkindented")
                .unwrap()
                .map(|g| g.gid.as_raw()),
            Some(4311)
        );
        assert_eq!(
            db.group_by_name("dklast").unwrap().map(|g| g.gid.as_raw()),
            Some(4309)
        );
        for skipped in [
            "+nisgroup",
            "nisgroup",
            "-nisout",
            "#dkcomment",
            "badgid",
            "emptygid",
            "overgid",
            "shortgroup",
            "",
        ] {
            assert_eq!(db.group_by_name(skipped).unwrap(), None, "{skipped:?}");
        }
        for gid in [4302, 4303, 4310, u32::MAX - 1] {
            assert_eq!(db.group_by_gid(Gid::from_raw(gid)).unwrap(), None, "{gid}");
        }
        assert_eq!(
            db.group_by_name("a\0b").unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
}

#[test]
fn for_each_visits_valid_entries_in_order() {
    let db = fixture_db();
    let mut users = Vec::new();
    db.for_each_user(|e| {
        users.push(String::from_utf8_lossy(e.name).into_owned());
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(users.first().map(String::as_str), Some("root"));
    assert_eq!(users.last().map(String::as_str), Some("lastline"));
    assert!(!users.iter().any(|u| u == "longgecos" || u.starts_with('+')));
    let mut seen = 0;
    db.for_each_user(|_| {
        seen += 1;
        if seen == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    assert_eq!(seen, 3);

    let mut groups = Vec::new();
    db.for_each_group(|g| {
        groups.push((
            String::from_utf8_lossy(g.name).into_owned(),
            g.gid.as_raw(),
            g.members().count(),
        ));
        ControlFlow::Continue(())
    })
    .unwrap();
    // 11 dk*/root groups, 40 many*, nogroup, dklast.
    assert_eq!(groups.len(), 11 + 40 + 2);
    // The cut line comes with its name and gid and no members.
    assert!(groups.contains(&("dklong".to_string(), 4306, 0)));
    assert!(groups.contains(&("dkgroup".to_string(), 4300, 2)));
}

#[test]
fn group_list_semantics() {
    for db in [fixture_db(), AccountDb::from_bytes(PASSWD, GROUP)] {
        // Primary first; its own group line not repeated; duplicates (4301
        // twice) once; the member at the end of a 6 KiB line found; NIS,
        // comment, malformed, case-different, prefix and trailing-blank
        // entries ignored; a last line without newline counts.
        assert_eq!(
            list(&db, "dkuser", 4242),
            [4242, 4300, 4301, 4306, 4307, 4311, 4309]
        );
        // Another primary: the user's own group (which lists it) now counts.
        assert_eq!(
            list(&db, "dkuser", 4300),
            [4300, 4242, 4301, 4306, 4307, 4311, 4309]
        );
        // A primary gid without a group entry is still first.
        assert_eq!(list(&db, "orphan", 4999), [4999]);
        assert_eq!(list(&db, "nogroups", 4500), [4500]);
        assert_eq!(list(&db, "dkother", 4300), [4300, 4308]);
        let many = list(&db, "many", 4502);
        assert_eq!(many.len(), 41);
        assert_eq!(many[0], 4502);
        assert_eq!(&many[1..], (4700..4740).collect::<Vec<u32>>());
        // Names compare exactly: case matters, prefixes do not match.
        assert_eq!(list(&db, "DKUSER", 1), [1, 4304]);
        assert_eq!(list(&db, "dkuse", 1), [1, 4305]);
        assert_eq!(list(&db, "dkus", 1), [1]);
        assert_eq!(list(&db, "", 7), [7]);
        // A member of the long line that sits before the 4 KiB mark.
        assert_eq!(list(&db, "member0001", 5), [5, 4306]);
        assert_eq!(list(&db, "member0599", 5), [5, 4306]);
    }
}

#[test]
fn group_list_buffer_too_small() {
    let db = fixture_db();
    let mut buf = [Gid::ROOT; 3];
    let e = db
        .group_list("dkuser", Gid::from_raw(4242), &mut buf)
        .unwrap_err();
    assert_eq!((e.kind(), e.needed()), (ErrorKind::BufferTooSmall, Some(7)));
    // The buffer holds the first entries, as getgrouplist leaves them.
    assert_eq!(raw(&buf), [4242, 4300, 4301]);
    let mut exact = [Gid::ROOT; 7];
    assert_eq!(
        db.group_list("dkuser", Gid::from_raw(4242), &mut exact)
            .unwrap()
            .len(),
        7
    );
    let mut none: [Gid; 0] = [];
    assert_eq!(
        db.group_list("nogroups", Gid::from_raw(4500), &mut none)
            .unwrap_err()
            .kind(),
        ErrorKind::BufferTooSmall
    );
    assert_eq!(
        db.group_list("a\0b", Gid::ROOT, &mut exact)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn missing_files_are_empty_databases() {
    let db = AccountDb::new(c"/nonexistent/passwd", c"/nonexistent/group");
    assert_eq!(db.user_by_name("root").unwrap(), None);
    assert_eq!(db.user_by_uid(Uid::ROOT).unwrap(), None);
    assert_eq!(db.group_by_gid(Gid::ROOT).unwrap(), None);
    assert_eq!(list(&db, "root", 0), [0]);
    assert_eq!(
        db.parse_uid("root").unwrap_err().kind(),
        ErrorKind::UnknownUser
    );
    assert_eq!(db.parse_uid("0").unwrap().as_raw(), 0);
    // Other open errors are reported (a directory reads as EISDIR).
    let dir = AccountDb::new(c"/", c"/");
    let e = dir.user_by_name("root").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Os);
    assert_eq!(e.errno(), Some(daemonry::Errno::ISDIR));
}

/// group_list over contents whose lines straddle every read boundary gives
/// what a line-by-line reference gives, from a file and from memory.
#[test]
fn group_list_across_read_boundaries() {
    let tmp = common::TempDir::new("account");
    let mut data = Vec::new();
    let mut want: Vec<u32> = vec![999_999];
    let mut state: u32 = 12345;
    for i in 0..3000u32 {
        // A cheap LCG picks line lengths and membership.
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let pad = (state >> 16) % 97;
        let member = (state >> 8).is_multiple_of(5);
        let filler: String = "m".repeat(pad as usize);
        let members = if member {
            format!("{filler},target")
        } else {
            format!("{filler},targetx")
        };
        data.extend(format!("g{i}:x:{}:{members}\n", 10_000 + i).bytes());
        if member {
            want.push(10_000 + i);
        }
    }
    assert!(data.len() > 5 * 4096);
    let path = tmp.path().join("group");
    std::fs::write(&path, &data).unwrap();
    let cpath = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let file_db = AccountDb::new(c"/nonexistent", cpath.as_c_str());
    let mem_db = AccountDb::from_bytes(b"", &data);
    for db in [file_db, mem_db] {
        let mut buf = vec![Gid::ROOT; 4000];
        let got = raw(db
            .group_list("target", Gid::from_raw(999_999), &mut buf)
            .unwrap());
        assert_eq!(got, want);
        // Every group is found by name and gid through the line reader.
        for i in (0..3000u32).step_by(97) {
            let g = db.group_by_name(format!("g{i}")).unwrap().expect("group");
            assert_eq!(g.gid.as_raw(), 10_000 + i);
            assert_eq!(
                db.group_by_gid(g.gid).unwrap().map(|g| g.name),
                Some(daemonry::Name::new(format!("g{i}").as_bytes()))
            );
        }
    }
}

#[test]
fn parse_uid_and_gid_table() {
    let db = fixture_db();
    // Numbers need no entry.
    assert_eq!(parse_uid("0").unwrap(), Uid::ROOT);
    assert_eq!(parse_uid("54321").unwrap().as_raw(), 54321);
    assert_eq!(parse_uid("007").unwrap().as_raw(), 7);
    assert_eq!(parse_uid("4294967294").unwrap().as_raw(), u32::MAX - 1);
    assert_eq!(parse_gid("54321").unwrap().as_raw(), 54321);
    // Names, from the system and from another database.
    assert_eq!(parse_uid("root").unwrap(), Uid::ROOT);
    assert_eq!(parse_uid("nobody").unwrap().as_raw(), 65534);
    assert_eq!(parse_gid("nogroup").unwrap().as_raw(), 65534);
    assert_eq!(parse_gid("root").unwrap(), Gid::ROOT);
    assert_eq!(db.parse_uid("dkuser").unwrap().as_raw(), 4242);
    assert_eq!(db.parse_gid("dkgroup").unwrap().as_raw(), 4300);
    assert_eq!(db.parse_uid("u".repeat(300)).unwrap().as_raw(), 4503);

    // Unknown names name themselves.
    let e = parse_uid("no-such-user-dk").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownUser);
    assert_eq!(
        e.input().map(|n| n.as_bytes()),
        Some(&b"no-such-user-dk"[..])
    );
    assert_eq!(e.to_string(), "parse_uid: unknown user \"no-such-user-dk\"");
    let e = parse_gid("no-such-group-dk").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownGroup);
    assert_eq!(
        e.to_string(),
        "parse_gid: unknown group \"no-such-group-dk\""
    );
    // "12a" is a name (and unknown), not 12.
    let e = parse_uid("12a").unwrap_err();
    assert_eq!(
        (e.kind(), e.input().map(|n| n.as_bytes())),
        (ErrorKind::UnknownUser, Some(&b"12a"[..]))
    );
    assert_eq!(
        parse_gid("12a").unwrap_err().kind(),
        ErrorKind::UnknownGroup
    );
    for s in [" 12", "12 ", "1_000", "0x10", "root ", "ROOT"] {
        assert_eq!(
            parse_uid(s).unwrap_err().kind(),
            ErrorKind::UnknownUser,
            "{s:?}"
        );
    }
    // A 300-byte unknown name: the error keeps its first 27 bytes.
    let long = "x".repeat(300);
    let e = parse_uid(&long).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownUser);
    let kept = e.input().expect("input");
    assert!(kept.is_truncated());
    assert_eq!(kept.as_bytes(), &long.as_bytes()[..27]);
    assert_eq!(
        parse_gid(&long).unwrap_err().kind(),
        ErrorKind::UnknownGroup
    );

    // Invalid input, with the input kept.
    for s in [
        "",
        "-1",
        "+5",
        "-0",
        "4294967295",
        "4294967296",
        "99999999999999999999",
        "ro\0ot",
        "\0",
        "1\0",
    ] {
        let e = parse_uid(s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "parse_uid({s:?})");
        assert_eq!(e.input().map(|n| n.as_bytes()), Some(s.as_bytes()));
        assert_eq!(e.op(), daemonry::Op::ParseUid);
        let e = parse_gid(s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "parse_gid({s:?})");
        assert_eq!(e.op(), daemonry::Op::ParseGid);
    }
    // Names that look signed but are not numbers are names.
    assert_eq!(parse_uid("-x").unwrap_err().kind(), ErrorKind::UnknownUser);
}

/// Text and bytes are the same argument: `parse_uid(&str)` and
/// `parse_uid(&[u8])` (no `_bytes` twin), and the same for the methods.
#[test]
fn parse_takes_text_and_bytes() {
    let db = fixture_db();
    assert_eq!(parse_uid(b"nobody").unwrap().as_raw(), 65534);
    assert_eq!(parse_uid(&b"65534"[..]).unwrap().as_raw(), 65534);
    assert_eq!(parse_uid(String::from("root")).unwrap(), Uid::ROOT);
    assert_eq!(
        parse_gid(Vec::from(&b"nogroup"[..])).unwrap().as_raw(),
        65534
    );
    assert_eq!(db.parse_uid(b"dkuser").unwrap().as_raw(), 4242);
    assert_eq!(db.parse_gid(&b"dkgroup"[..]).unwrap().as_raw(), 4300);
    // Non-UTF-8 names are names.
    let e = parse_uid(b"\xffuser").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownUser);
    assert_eq!(e.input().map(|i| i.as_bytes()), Some(&b"\xffuser"[..]));
    assert_eq!(
        parse_gid(b"1\0").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

/// `UserRef::parse` / `GroupRef::parse`: the classification of
/// `parse_uid` without the lookup; `From<&str>` is always a name.
#[test]
fn user_and_group_refs_from_text() {
    assert_eq!(
        UserRef::parse("54321").unwrap(),
        UserRef::Uid(Uid::from_raw(54321))
    );
    assert_eq!(UserRef::parse("nobody").unwrap(), UserRef::Name(b"nobody"));
    assert_eq!(UserRef::parse("12a").unwrap(), UserRef::Name(b"12a"));
    assert_eq!(UserRef::from("54321"), UserRef::Name(b"54321"));
    assert_eq!(UserRef::from(b"nobody"), UserRef::Name(b"nobody"));
    assert_eq!(
        GroupRef::parse(b"100").unwrap(),
        GroupRef::Gid(Gid::from_raw(100))
    );
    assert_eq!(GroupRef::parse("users").unwrap(), GroupRef::Name(b"users"));
    for s in ["", "-1", "+5", "4294967295", "99999999999", "a\0b"] {
        let e = UserRef::parse(s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{s:?}");
        assert_eq!(e.op(), daemonry::Op::ParseUid);
        assert_eq!(e.input().map(|i| i.as_bytes()), Some(s.as_bytes()));
        let e = GroupRef::parse(s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{s:?}");
        assert_eq!(e.op(), daemonry::Op::ParseGid);
    }
    // A User entry is its name; a Group entry its gid.
    let db = fixture_db();
    let u = db.user_by_name("dkuser").unwrap().unwrap();
    assert_eq!(UserRef::from(&u), UserRef::Name(b"dkuser"));
    let g = db.group_by_name("dkgroup").unwrap().unwrap();
    assert_eq!(GroupRef::from(&g), GroupRef::Gid(Gid::from_raw(4300)));
}

/// `AccountDb::new` takes any `PathArg`: `&CStr`, and with std `&Path`,
/// `PathBuf`, `&str`, `String`; a path with a NUL inside is an error on
/// every lookup, never an empty database.
#[cfg(feature = "std")]
#[test]
fn account_db_new_takes_paths() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let by_path = AccountDb::new(dir.join("passwd"), dir.join("group").as_path());
    let by_str = AccountDb::new(
        dir.join("passwd").to_str().unwrap(),
        dir.join("group").to_str().unwrap().to_string(),
    );
    for db in [&by_path, &by_str] {
        assert_eq!(db.parse_uid("dkuser").unwrap().as_raw(), 4242);
        assert_eq!(
            list(db, "dkuser", 4242),
            list(&fixture_db(), "dkuser", 4242)
        );
    }
    let nul = AccountDb::new("/etc/pass\0wd", c"/etc/group");
    let e = nul.user_by_name("root").unwrap_err();
    assert_eq!(
        (e.kind(), e.op()),
        (ErrorKind::InvalidInput, daemonry::Op::OpenPasswd)
    );
    assert_eq!(
        nul.parse_uid("root").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // The group file is still fine.
    assert_eq!(
        nul.group_by_gid(Gid::ROOT).unwrap().map(|g| g.gid),
        Some(Gid::ROOT)
    );
}

/// The real /etc/passwd, user by user: our lookups agree with glibc's
/// getpwnam_r, and group_list with getgrouplist and `id -G NAME`.
#[test]
fn group_list_matches_glibc_for_every_local_user() {
    let db = AccountDb::system();
    let passwd = std::fs::read("/etc/passwd").unwrap();
    let mut checked = 0;
    for line in passwd.split(|&b| b == b'\n') {
        let Some(entry) = daemonry::account::parse_passwd_line(line) else {
            continue;
        };
        let name = std::str::from_utf8(entry.name).unwrap();
        let cname = CString::new(name).unwrap();

        // getpwnam_r: same uid and gid.
        // SAFETY: `passwd` is plain old data; all-zero is a valid value.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut buf = vec![0 as libc::c_char; 16384];
        let mut res = std::ptr::null_mut();
        // SAFETY: valid pointers and buffer length.
        let r = unsafe {
            libc::getpwnam_r(
                cname.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut res,
            )
        };
        assert!(r == 0 && !res.is_null(), "glibc knows {name}");
        let ours = db.user_by_name(name).unwrap().expect("we know the user");
        assert_eq!(
            (ours.uid.as_raw(), ours.gid.as_raw()),
            (pwd.pw_uid, pwd.pw_gid),
            "{name}"
        );
        assert_eq!(parse_uid(name).unwrap().as_raw(), pwd.pw_uid);

        // getgrouplist: the same list, in the same order.
        let mut ours_buf = [Gid::ROOT; 1024];
        let ours = raw(db.group_list(name, ours.gid, &mut ours_buf).unwrap());
        let mut theirs = vec![0 as libc::gid_t; 1024];
        let mut n = theirs.len() as libc::c_int;
        // SAFETY: `theirs` has room for `n` gids.
        let r =
            unsafe { libc::getgrouplist(cname.as_ptr(), pwd.pw_gid, theirs.as_mut_ptr(), &mut n) };
        assert!(r >= 0);
        theirs.truncate(n as usize);
        assert_eq!(ours, theirs, "getgrouplist({name})");

        // `id -G NAME`: the same set, primary first.
        let out = std::process::Command::new("id")
            .arg("-G")
            .arg(name)
            .output()
            .unwrap();
        assert!(out.status.success(), "id -G {name}");
        let id: Vec<u32> = String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(id.first(), ours.first(), "id -G {name}: primary first");
        assert_eq!(
            id.iter().collect::<BTreeSet<_>>(),
            ours.iter().collect::<BTreeSet<_>>(),
            "id -G {name}"
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} users in /etc/passwd");
}

/// Every group of the real /etc/group resolves as glibc's getgrnam says.
#[test]
fn group_lookups_match_glibc() {
    let db = AccountDb::system();
    let group = std::fs::read("/etc/group").unwrap();
    for line in group.split(|&b| b == b'\n') {
        let Some(entry) = daemonry::account::parse_group_line(line) else {
            continue;
        };
        let name = std::str::from_utf8(entry.name).unwrap();
        let cname = CString::new(name).unwrap();
        // SAFETY: getgrnam returns a pointer into static storage or null;
        // this test thread reads it at once (other tests do not call it).
        let g = unsafe { libc::getgrnam(cname.as_ptr()) };
        assert!(!g.is_null(), "glibc knows {name}");
        // SAFETY: non-null result of getgrnam.
        let gid = unsafe { (*g).gr_gid };
        assert_eq!(parse_gid(name).unwrap().as_raw(), gid, "{name}");
        assert_eq!(
            db.group_by_gid(Gid::from_raw(gid))
                .unwrap()
                .map(|g| g.gid.as_raw()),
            Some(gid)
        );
    }
}
