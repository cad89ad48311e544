//! daemonry-init's command-line parser over arbitrary argument lists (the input
//! split at NUL bytes) and its number parsers: never panics; PROGRAM is
//! always a real, non-option position; accepted `-e` values round-trip.
#![no_main]

use daemonry_init::args::{Command, parse, parse_exit_code, parse_pdeathsig, parse_verbosity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let words: Vec<&[u8]> = data.split(|&b| b == 0).collect();
    if let Ok(Command::Run(opts)) = parse(words.iter().copied()) {
        // `program` indexes the full argv (argv[0] is not in `words`).
        assert!(opts.program >= 1 && opts.program <= words.len());
        assert!(opts.verbosity >= 1);
        if let Some(sig) = opts.pdeathsig {
            assert!((1..32).contains(&sig));
        }
    }
    for w in &words {
        if let Some(code) = parse_exit_code(w) {
            assert_eq!(parse_exit_code(code.to_string().as_bytes()), Some(code));
        }
        let _ = parse_verbosity(w);
        if let Some(sig) = parse_pdeathsig(w) {
            assert!((1..32).contains(&sig));
        }
    }
});
