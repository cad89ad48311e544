//! parse_umask over arbitrary bytes: never panics; whatever it accepts is
//! at most 0o777 and its octal rendering parses back to the same mode.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match daemonry::parse_umask(data) {
        Ok(mode) => {
            let bits = mode.bits();
            assert!(bits <= 0o777);
            let text = format!("{bits:o}");
            let again = daemonry::parse_umask(&text).expect("round trip");
            assert_eq!(again.bits(), bits);
            // Every accepted input is octal digits, optionally after 0o.
            let digits = data
                .strip_prefix(b"0o")
                .or_else(|| data.strip_prefix(b"0O"))
                .unwrap_or(data);
            assert!(!digits.is_empty() && digits.iter().all(|b| (b'0'..=b'7').contains(b)));
        }
        Err(e) => assert_eq!(e.kind(), daemonry::ErrorKind::InvalidInput),
    }
});
