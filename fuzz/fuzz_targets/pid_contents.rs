//! parse_pid over arbitrary bytes: never panics; whatever it accepts is
//! ASCII digits and one trailing newline, in range, and prints back to the
//! same value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pid) = daemonry::parse_pid(data) {
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
});
