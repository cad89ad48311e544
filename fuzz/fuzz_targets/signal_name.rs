//! parse_signal over arbitrary bytes: never panics; whatever it accepts is
//! a signal 1..=64 whose canonical name (with and without `SIG`) parses
//! back to the same signal.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match daemonry::parse_signal(data) {
        Ok(sig) => {
            assert!((1..=64).contains(&sig.as_raw()));
            let name = sig.name();
            assert_eq!(daemonry::signal_name(sig.as_raw()), Some(name));
            assert_eq!(daemonry::parse_signal(name.as_str()).ok(), Some(sig));
            assert_eq!(daemonry::parse_signal(name.short()).ok(), Some(sig));
            assert_eq!(name.as_str().parse::<daemonry::Signal>().ok(), Some(sig));
        }
        Err(e) => {
            assert_eq!(e.kind(), daemonry::ErrorKind::InvalidInput);
            assert_eq!(e.op(), daemonry::Op::ParseSignal);
            // The error keeps the input, or its start when it is long.
            let shown = e.input().expect("the error names the input");
            assert!(data.starts_with(shown.as_bytes()));
            assert_eq!(shown.is_truncated(), shown.as_bytes().len() < data.len());
        }
    }
});
