//! parse_group_line over arbitrary bytes: never panics; accepted entries
//! obey the line rules, members are clean, and has_member agrees with the
//! member iterator.
#![no_main]

use daemonry::account::parse_group_line;
use libfuzzer_sys::fuzz_target;

const BLANKS: &[u8] = b" \t\r\x0b\x0c";

fuzz_target!(|data: &[u8]| {
    let Some(g) = parse_group_line(data) else { return };
    assert!(!g.name.is_empty());
    assert!(!g.name.contains(&b':') && !g.name.contains(&0) && !g.name.contains(&b'\n'));
    assert!(!matches!(g.name[0], b'#' | b'+' | b'-') && !BLANKS.contains(&g.name[0]));
    assert_ne!(g.gid.as_raw(), u32::MAX);
    assert!(!g.passwd.contains(&b':'));
    let mut n = 0;
    for m in g.members().take(10_000) {
        n += 1;
        assert!(!m.is_empty());
        assert!(!m.contains(&b',') && !m.contains(&b'\n'));
        assert!(!BLANKS.contains(&m[0]));
        assert!(g.has_member(m));
    }
    // Bounded: never more members than bytes.
    assert!(n <= data.len());
    assert!(!g.has_member(b""));
});
