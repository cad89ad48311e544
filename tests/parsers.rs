//! Table tests for the pure `&[u8]` parsers: passwd and group lines, group
//! members, over hand-written cases and the fixtures in tests/fixtures/.

use daemonry::account::{parse_group_line, parse_passwd_line};

const PASSWD: &[u8] = include_bytes!("fixtures/passwd");
const GROUP: &[u8] = include_bytes!("fixtures/group");

#[test]
fn passwd_line_fields() {
    let e = parse_passwd_line(b"dkother:x:4243:4300:Some One,,,:/home/dk:/bin/sh:with:colons\n")
        .expect("valid line");
    assert_eq!(e.name, b"dkother");
    assert_eq!(e.passwd, b"x");
    assert_eq!(e.uid.as_raw(), 4243);
    assert_eq!(e.gid.as_raw(), 4300);
    assert_eq!(e.gecos, b"Some One,,,");
    assert_eq!(e.dir, b"/home/dk");
    // The last field runs to the end of the line, colons included.
    assert_eq!(e.shell, b"/bin/sh:with:colons");

    // Empty fields other than the name and ids are fine.
    let e = parse_passwd_line(b"a::0:0:::").expect("valid");
    assert_eq!(
        (e.name, e.passwd, e.gecos, e.dir, e.shell),
        (&b"a"[..], &b""[..], &b""[..], &b""[..], &b""[..])
    );
    // Leading blanks are skipped; a trailing \r stays in the shell (as glibc).
    let e = parse_passwd_line(b" \t a:x:1:2::/:/bin/sh\r").expect("valid");
    assert_eq!(e.name, b"a");
    assert_eq!(e.shell, b"/bin/sh\r");
    // Leading zeros, the largest id.
    let e = parse_passwd_line(b"z:x:007:4294967294::/:").expect("valid");
    assert_eq!((e.uid.as_raw(), e.gid.as_raw()), (7, u32::MAX - 1));
}

#[test]
fn passwd_lines_skipped() {
    let skipped: &[&[u8]] = &[
        b"",
        b"\n",
        b"   \t ",
        b"# comment:x:0:0::/:",
        b"  # indented comment",
        b"+",
        b"+nisuser::::::",
        b"-nisuser::::::",
        b"+@netgroup::::::",
        b"short:x:1:1",
        b"six:x:1:1:gecos:/home",
        b":x:1:1::/:/bin/sh",
        b"nul\0name:x:1:1::/:/bin/sh",
        b"a:x:-1:1::/:/bin/sh",
        b"a:x:+1:1::/:/bin/sh",
        b"a:x: 1:1::/:/bin/sh",
        b"a:x:1 :1::/:/bin/sh",
        b"a:x::1::/:/bin/sh",
        b"a:x:1:::/:/bin/sh",
        b"a:x:0x10:1::/:/bin/sh",
        b"a:x:4294967295:1::/:/bin/sh",
        b"a:x:1:4294967295::/:/bin/sh",
        b"a:x:4294967296:1::/:/bin/sh",
        b"a:x:99999999999999999999999:1::/:/bin/sh",
        b"a:x:1:1::/:/bin/sh\nb:x:2:2::/:/bin/sh",
    ];
    for line in skipped {
        assert!(
            parse_passwd_line(line).is_none(),
            "should skip {:?}",
            line.escape_ascii().to_string()
        );
    }
}

#[test]
fn group_line_fields_and_members() {
    let g = parse_group_line(b"dkgroup:x:4300:dkother, dkuser\n").expect("valid");
    assert_eq!(g.name, b"dkgroup");
    assert_eq!(g.passwd, b"x");
    assert_eq!(g.gid.as_raw(), 4300);
    assert!(g.members().eq([&b"dkother"[..], b"dkuser"]));
    assert!(g.has_member(b"dkuser"));
    assert!(!g.has_member(b"dkuse"));
    assert!(!g.has_member(b""));

    let cases: &[(&[u8], &[&[u8]])] = &[
        (b"g:x:1:", &[]),
        (b"g:x:1:,,,", &[]),
        (b"g:x:1: \t, ,", &[]),
        (b"g:x:1:a", &[b"a"]),
        (b"g:x:1:a,b,c", &[b"a", b"b", b"c"]),
        (b"g:x:1:\ta,  b", &[b"a", b"b"]),
        // Trailing blanks belong to the member (glibc trims only leading).
        (b"g:x:1:a ,b", &[b"a ", b"b"]),
        (b"g:x:1:a,b\r", &[b"a", b"b\r"]),
        // The member list runs to the end of the line.
        (b"g:x:1:a:b,c", &[b"a:b", b"c"]),
    ];
    for (line, want) in cases {
        let g = parse_group_line(line).expect("valid");
        let got: Vec<&[u8]> = g.members().collect();
        assert_eq!(&got, want, "{:?}", line.escape_ascii().to_string());
    }
    // Debug shows readable text.
    let g = parse_group_line(b"g:x:1:a,b").expect("valid");
    assert_eq!(
        format!("{g:?}"),
        r#"GroupEntry { name: "g", passwd: "x", gid: 1, members: ["a", "b"] }"#
    );
}

#[test]
fn group_lines_skipped() {
    let skipped: &[&[u8]] = &[
        b"",
        b"#g:x:1:a",
        b"+g:x:1:a",
        b"-g:x:1:a",
        b"+",
        b"g:x:1",
        b"g:x",
        b"g",
        b":x:1:a",
        b"g\0:x:1:a",
        b"g:x::a",
        b"g:x:-1:a",
        b"g:x:+1:a",
        b"g:x: 1:a",
        b"g:x:4294967295:a",
        b"g:x:4294967296:a",
        b"g:x:1:a\ng:x:2:b",
    ];
    for line in skipped {
        assert!(
            parse_group_line(line).is_none(),
            "should skip {:?}",
            line.escape_ascii().to_string()
        );
    }
}

#[test]
fn fixtures_parse_as_documented() {
    let users: Vec<(String, u32)> = PASSWD
        .split(|&b| b == b'\n')
        .filter_map(parse_passwd_line)
        .map(|e| (String::from_utf8_lossy(e.name).into_owned(), e.uid.as_raw()))
        .collect();
    let names: Vec<&str> = users.iter().map(|(n, _)| n.as_str()).collect();
    for bad in [
        "nisuser", "+nisuser", "badsign", "plussign", "spaceid", "overflow", "minus1", "emptyid",
        "short",
    ] {
        assert!(!names.contains(&bad), "{bad} should be skipped");
    }
    for good in [
        "root",
        "dkuser",
        "dkother",
        "indented",
        "longgecos",
        "afterlong",
        "nobody",
        "crlf",
        "lastline",
    ] {
        assert!(names.contains(&good), "{good} should parse");
    }
    assert!(names.iter().any(|n| n.len() == 300));

    let groups: Vec<(String, u32, usize)> = GROUP
        .split(|&b| b == b'\n')
        .filter_map(parse_group_line)
        .map(|g| {
            (
                String::from_utf8_lossy(g.name).into_owned(),
                g.gid.as_raw(),
                g.members().count(),
            )
        })
        .collect();
    let names: Vec<&str> = groups.iter().map(|(n, _, _)| n.as_str()).collect();
    for bad in [
        "+nisgroup",
        "-nisout",
        "badgid",
        "emptygid",
        "overgid",
        "shortgroup",
        "",
    ] {
        assert!(!names.contains(&bad), "{bad:?} should be skipped");
    }
    let long = groups
        .iter()
        .find(|(n, _, _)| n == "dklong")
        .expect("dklong");
    assert_eq!((long.1, long.2), (4306, 601));
    assert!(names.contains(&"dkindented"));
    assert!(names.contains(&"dklast"));
}
