//! The standard signals' names, for messages and `-p`: a table packed
//! without pointers by `build.rs` from daemonry's (real-time signals are
//! named by [`Line::signal`](crate::msg::Line::signal) without a table).
//! daemonry's own lookups would bring its tables of `&str`, real-time
//! names included, into the binary.

include!(concat!(env!("OUT_DIR"), "/signames.rs"));

/// Every (number, name without `SIG`) of the table, aliases last.
fn entries() -> impl Iterator<Item = (i32, &'static [u8])> {
    let mut rest: &'static [u8] = &SIGNALS;
    core::iter::from_fn(move || {
        let (&n, tail) = rest.split_first()?;
        let len = tail.iter().position(|&b| b < 0x20).unwrap_or(tail.len());
        let (name, next) = tail.split_at_checked(len)?;
        rest = next;
        Some((i32::from(n), name))
    })
}

/// A standard signal's name without `SIG` ("TERM"), as daemonry's
/// `signal_name` gives it.
pub fn name(sig: i32) -> Option<&'static [u8]> {
    entries().find(|&(n, _)| n == sig).map(|(_, name)| name)
}

/// A standard signal (1..=31) by number or name, as daemonry's
/// `parse_signal` reads them ("15", "SIGTERM", "TERM", "term", the
/// aliases "SIGCLD", "SIGIOT", "SIGPOLL"); `None` for anything else, a
/// real-time signal included.
pub fn parse(value: &[u8]) -> Option<i32> {
    if value.first().is_some_and(u8::is_ascii_digit) {
        let mut n: u32 = 0;
        for &d in value {
            if !d.is_ascii_digit() {
                return None;
            }
            n = n.saturating_mul(10).saturating_add(u32::from(d - b'0'));
        }
        let n = i32::try_from(n).ok()?;
        return name(n).map(|_| n);
    }
    let body = match value.split_at_checked(3) {
        Some((sig, body)) if sig.eq_ignore_ascii_case(b"SIG") => body,
        _ => value,
    };
    entries()
        .find(|&(_, name)| name.eq_ignore_ascii_case(body))
        .map(|(n, _)| n)
}

#[cfg(test)]
mod tests {
    use std::format;
    use std::string::String;

    use super::*;

    /// daemonry's answer, as `-p` takes it: standard signals only.
    fn daemonry_parse(value: &[u8]) -> Option<i32> {
        let sig = daemonry::parse_signal(value).ok()?;
        (!sig.is_realtime()).then_some(sig.as_raw())
    }

    #[test]
    fn names_as_daemonry_gives_them() {
        for n in -1..=70 {
            let want = daemonry::signal_name(n)
                .filter(|s| !s.signal().is_realtime())
                .map(|s| s.short().as_bytes());
            assert_eq!(name(n), want, "signal {n}");
        }
    }

    #[test]
    fn parses_as_daemonry_does() {
        let mut words: std::vec::Vec<String> = std::vec::Vec::new();
        for n in 0..=70 {
            words.push(format!("{n}"));
            words.push(format!("0{n}"));
            if let Some(s) = daemonry::signal_name(n) {
                for w in [s.as_str(), s.short()] {
                    words.push(w.into());
                    words.push(w.to_lowercase());
                    words.push(format!("{w}X"));
                    words.push(format!("SIG{w}"));
                }
            }
        }
        let odd = "|S|SI|SIG|sig|SIGCLD|cld|SigIot|poll|SIGPOLLX|+9|-9| 9|9 |9x|4294967296|\
                   4294967311|99999999999999999999|000000000000000000000015|SIGRTMIN|\
                   RTMIN+1|SIGRTMAX-1|SIG15|SIGsigterm|TERM\0|ĉ";
        words.extend(odd.split('|').map(String::from));
        for w in &words {
            assert_eq!(parse(w.as_bytes()), daemonry_parse(w.as_bytes()), "{w:?}");
        }
    }
}
