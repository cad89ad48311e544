//! glibc's `strerror` texts for every errno, stored compressed (byte-pair
//! encoding, done by `build.rs` from daemonry's errno table: 1.8 KB instead
//! of 3.5 KB) and expanded into the message being built.

use crate::msg::Line;

include!(concat!(env!("OUT_DIR"), "/strerror.rs"));

/// Appends errno `n`'s description to `line`; `false` (and nothing
/// appended) when Linux has no errno `n`.
pub fn push(line: &mut Line, n: i32) -> bool {
    let Some(skip) = usize::try_from(n).ok().and_then(|n| n.checked_sub(1)) else {
        return false;
    };
    let Some(text) = STRERROR.split(|&b| b == 0).nth(skip) else {
        return false;
    };
    for &b in text {
        expand(line, b);
    }
    !text.is_empty()
}

/// Appends what byte `b` of the compressed text stands for.
fn expand(line: &mut Line, b: u8) {
    if (0x20..0x80).contains(&b) {
        line.push(&[b]);
    } else if let Some(&[first, second]) = PAIRS.get(usize::from(b ^ 0x80)) {
        expand(line, first);
        expand(line, second);
    }
}

#[cfg(test)]
mod tests {
    use daemonry::Errno;

    use super::*;

    #[test]
    fn every_errno_as_daemonry_describes_it() {
        for n in [i32::MIN, -1, 0, 4096] {
            let mut line = Line::new();
            assert!(
                !push(&mut line, n) && line.as_bytes().is_empty(),
                "errno {n}"
            );
        }
        for n in 1..=4095 {
            let mut line = Line::new();
            let found = push(&mut line, n);
            let want = daemonry::errno::description(Errno::from_raw_os_error(n));
            assert_eq!(found, want.is_some(), "errno {n}");
            assert_eq!(line.as_bytes(), want.unwrap_or("").as_bytes(), "errno {n}");
        }
    }
}
