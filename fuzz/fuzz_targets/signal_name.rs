//! signal::parse_signal_bytes over arbitrary bytes: never panics; whatever
//! it accepts is a signal 1..=64 whose canonical name (with and without
//! `SIG`, any case) parses back to the same number.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match daemonry::signal::parse_signal_bytes(data) {
        Ok(n) => {
            assert!((1..=64).contains(&n));
            let name = daemonry::signal_name(n).expect("a parsed signal has a name");
            assert_eq!(daemonry::parse_signal(name.as_str()).ok(), Some(n));
            assert_eq!(daemonry::parse_signal(name.short()).ok(), Some(n));
        }
        Err(e) => {
            assert_eq!(e.kind(), daemonry::ErrorKind::InvalidInput);
            let shown = e.input().expect("the error names the input");
            let len = data.len().min(daemonry::Name::CAPACITY);
            assert_eq!(shown.as_bytes(), &data[..len]);
        }
    }
});
