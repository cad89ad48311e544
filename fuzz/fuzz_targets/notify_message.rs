//! The notify parsers over arbitrary bytes: never panic; what
//! parse_message yields rebuilds the datagram (empty lines aside) and
//! survives a trip through Message; the environment-variable parsers
//! accept only what their formats allow; parse_control walks any control
//! data without panicking and passes only whole fds that lie inside it.
#![no_main]

use daemonry::notify::{
    Message, NotifyAddr, fd_names, parse_control, parse_listen_fds, parse_message,
    parse_notify_socket, parse_watchdog_usec,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_message(data) {
        Err(_) => assert!(data.contains(&0)),
        Ok(fields) => {
            assert!(!data.contains(&0));
            let mut rebuilt = Vec::new();
            let mut message = Message::new();
            let mut fits = true;
            for f in fields.clone() {
                assert!(!f.key().contains(&b'\n') && !f.key().contains(&b'='));
                assert!(!f.value().contains(&b'\n'));
                assert!(f.has_value() || f.value().is_empty());
                if !rebuilt.is_empty() {
                    rebuilt.push(b'\n');
                }
                rebuilt.extend_from_slice(f.key());
                if f.has_value() {
                    rebuilt.push(b'=');
                    rebuilt.extend_from_slice(f.value());
                    if !f.key().is_empty() && fits {
                        fits = message.field(f.key(), f.value()).is_ok();
                    }
                }
            }
            let without_empty_lines: Vec<&[u8]> = data
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .collect();
            assert_eq!(rebuilt, without_empty_lines.join(&b'\n'));
            // Typed accessors agree with the first matching field.
            let first = fields
                .clone()
                .find(|f| f.has_value() && f.key() == b"READY")
                .map(|f| f.value());
            assert_eq!(fields.get("READY"), first);
            assert_eq!(fields.is_ready(), first == Some(b"1"));
            // What Message accepted parses back to the same fields.
            if fits {
                let again = parse_message(message.as_bytes()).expect("no NUL");
                let kept = fields.filter(|f| f.has_value() && !f.key().is_empty());
                assert!(
                    again
                        .map(|f| (f.key(), f.value()))
                        .eq(kept.map(|f| (f.key(), f.value())))
                );
            }
        }
    }

    if let Ok(addr) = parse_notify_socket(data) {
        assert!(!data.contains(&0) && data.len() <= 108);
        match addr {
            NotifyAddr::Path(p) => assert!(p == data && p.starts_with(b"/")),
            NotifyAddr::Abstract(n) => assert_eq!([&b"@"[..], n].concat(), data),
            _ => unreachable!("only two forms"),
        }
    }

    if let Ok(n) = parse_listen_fds(data) {
        assert!(!data.is_empty() && data.iter().all(u8::is_ascii_digit));
        assert!(n <= (i32::MAX - 3) as u32);
    }
    let names: Vec<&[u8]> = fd_names(data).collect();
    assert_eq!(names.len(), data.iter().filter(|&&b| b == b':').count() + 1);
    assert_eq!(names.join(&b':'), data);

    if let Ok(d) = parse_watchdog_usec(data) {
        assert!(data.iter().all(u8::is_ascii_digit));
        assert!(d.as_micros() > 0 && d.as_micros() < u128::from(u64::MAX));
    }

    let mut fds = 0usize;
    let creds = parse_control(data, |_| fds += 1);
    assert!(fds * 4 <= data.len());
    if let Some(c) = creds {
        assert!(c.pid.is_none_or(|p| p.as_raw_nonzero().get() != 0));
    }
});
