//! parse_passwd_line over arbitrary bytes: never panics; whatever it accepts
//! obeys the line rules and survives a round trip through its own fields.
#![no_main]

use daemonry::account::parse_passwd_line;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(e) = parse_passwd_line(data) else { return };
    assert!(!e.name.is_empty());
    assert!(!e.name.contains(&b':') && !e.name.contains(&0) && !e.name.contains(&b'\n'));
    assert!(!matches!(e.name[0], b'#' | b'+' | b'-' | b' ' | b'\t' | b'\r' | 0x0b | 0x0c));
    assert_ne!(e.uid.as_raw(), u32::MAX);
    assert_ne!(e.gid.as_raw(), u32::MAX);
    for f in [e.passwd, e.gecos, e.dir] {
        assert!(!f.contains(&b':') && !f.contains(&b'\n'));
    }
    assert!(!e.shell.contains(&b'\n'));
    // Rebuilt from its fields, the line parses to the same entry.
    let mut line = Vec::new();
    for (i, f) in [e.name, e.passwd, e.uid.as_raw().to_string().as_bytes(), e.gid.as_raw().to_string().as_bytes(), e.gecos, e.dir, e.shell]
        .iter()
        .enumerate()
    {
        if i > 0 {
            line.push(b':');
        }
        line.extend_from_slice(f);
    }
    assert_eq!(parse_passwd_line(&line), Some(e));
});
