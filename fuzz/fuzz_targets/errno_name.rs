//! errno::from_name over arbitrary bytes: never panics, and whatever it
//! accepts maps back to a name that resolves to the same errno.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(e) = daemonry::errno::from_name(data) {
        let name = daemonry::errno::name(e).expect("a parsed errno has a name");
        assert_eq!(daemonry::errno::from_name(name), Some(e));
        assert!(daemonry::errno::description(e).is_some());
    }
});
