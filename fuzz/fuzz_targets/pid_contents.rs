//! parse_pid over arbitrary bytes: never panics; whatever it accepts is
//! ASCII digits and one trailing newline, in range, and prints back to the
//! same value; whatever it rejects is classified as the pidfile rules say:
//! `NotAPidfile` (never removed) exactly for more than 32 bytes or a byte
//! other than digits, blanks, signs and line ends, `ParsePid` (a broken
//! pidfile, removable) otherwise.
#![no_main]

use daemonry::{ErrorKind, Op};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let shaped = data.len() <= daemonry::pidfile::MAX_PIDFILE_LEN
        && data
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b' ' | b'\t' | b'+' | b'-' | b'\n' | b'\r'));
    match daemonry::parse_pid(data) {
        Ok(pid) => {
            assert!(shaped);
            let (digits, nl) = data.split_at(data.len() - 1);
            assert_eq!(nl, b"\n");
            assert!(!digits.is_empty() && digits.iter().all(u8::is_ascii_digit));
            let v = pid.as_raw_nonzero().get();
            assert!((1..=daemonry::pidfile::PID_MAX_LIMIT as i32).contains(&v));
            let trimmed = match digits.iter().position(|&b| b != b'0') {
                Some(i) => &digits[i..],
                None => &digits[digits.len() - 1..],
            };
            assert_eq!(trimmed, v.to_string().as_bytes());
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            let want = if shaped { Op::ParsePid } else { Op::NotAPidfile };
            assert_eq!(e.op(), want);
        }
    }
});
