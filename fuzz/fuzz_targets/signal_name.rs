//! signal::parse_signal_bytes over arbitrary bytes: never panics; whatever
//! it accepts is a signal 1..=64 whose canonical name (with and without
//! `SIG`, any case) parses back to the same number.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match daemonkit::signal::parse_signal_bytes(data) {
        Ok(n) => {
            assert!((1..=64).contains(&n));
            let name = daemonkit::signal_name(n).expect("a parsed signal has a name");
            assert_eq!(daemonkit::parse_signal(name.as_str()).ok(), Some(n));
            assert_eq!(daemonkit::parse_signal(name.short()).ok(), Some(n));
        }
        Err(e) => {
            assert_eq!(e.kind(), daemonkit::ErrorKind::InvalidInput);
            let shown = e.input().expect("the error names the input");
            let len = data.len().min(daemonkit::Name::CAPACITY);
            assert_eq!(shown.as_bytes(), &data[..len]);
        }
    }
});
