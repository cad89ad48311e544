//! The `daemonry` tool's command-line parser over arbitrary argument lists
//! (the input split at NUL bytes, so arguments may hold any other byte,
//! UTF-8 or not): never panics; what it accepts keeps SPEC §4's promises
//! (a command after the start options, a non-empty pidfile without NUL,
//! durations within the documented maximum, a niceness in -20..=19,
//! signals in 1..=64, schedules that end with a wait); every usage error
//! has a message; the duration and retry parsers alone never panic either.
#![no_main]

use daemonry_cli::args::{
    Command, MAX_SCHEDULE_ITEMS, MAX_SECONDS, Schedule, Start, Step, parse, parse_retry,
    parse_seconds,
};
use libfuzzer_sys::fuzz_target;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

fn max() -> Duration {
    Duration::from_secs(MAX_SECONDS)
}

fn check_start(s: &Start) {
    assert!(!s.command.is_empty());
    assert!(!s.pidfile.as_os_str().is_empty());
    assert!(!s.pidfile.as_os_str().as_bytes().contains(&0));
    assert!(s.ready_timeout <= max());
    if let Some(n) = s.nice {
        assert!((-20..=19).contains(&n));
    }
    if let Some(m) = s.umask {
        assert!(m <= 0o777);
    }
    for e in &s.env {
        assert!(!e.name.is_empty() && !e.name.as_bytes().contains(&b'='));
    }
}

fn check_schedule(s: &Schedule) {
    assert!(!s.steps.is_empty() && s.steps.len() <= MAX_SCHEDULE_ITEMS);
    assert!(matches!(s.steps.last(), Some(Step::Wait(_))));
    if let Some(i) = s.repeat_from {
        assert!(i < s.steps.len());
    }
    for step in &s.steps {
        match *step {
            Step::Signal(n) => assert!((1..=64).contains(&n.as_raw())),
            Step::Wait(d) => assert!(d <= max()),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let args: Vec<OsString> = data
        .split(|&b| b == 0)
        .map(|w| OsStr::from_bytes(w).to_os_string())
        .collect();
    match parse(&args) {
        Ok(cli) => match cli.command {
            Command::Start(s) => check_start(&s),
            Command::Supervise(s, r) => {
                check_start(&s);
                assert!(!r.period.is_zero() && r.period <= max());
            }
            Command::Restart(stop, start) => {
                check_start(&start);
                check_schedule(&stop.schedule);
            }
            Command::Stop(stop) => check_schedule(&stop.schedule),
            Command::Reload(r) => assert!((1..=64).contains(&r.signal.as_raw())),
            Command::Status(s) => assert!(!s.pidfile.as_os_str().is_empty()),
            Command::Names | Command::Help(_) | Command::Version => {}
        },
        Err(e) => assert!(!e.message().is_empty()),
    }
    if let Some(first) = args.first() {
        if let Ok(d) = parse_seconds("--timeout", first) {
            assert!(d <= max());
        }
        let _ = parse_retry(first);
    }
});
