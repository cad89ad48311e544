//! No-allocation decimal parsing and formatting shared by several modules
//! (pids, fd names, uids, `/proc` fields).

/// Parses a non-empty run of ASCII digits as `u64`: no sign, no whitespace,
/// no overflow. `None` for anything else.
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// [`parse_u64`] narrowed to `u32`.
pub(crate) fn parse_u32(s: &[u8]) -> Option<u32> {
    parse_u64(s).and_then(|v| u32::try_from(v).ok())
}

/// A decimal rendering of an integer in an inline buffer.
#[derive(Clone, Copy)]
pub(crate) struct Decimal {
    buf: [u8; 20],
    start: u8,
}

impl Decimal {
    /// Formats `v` in decimal.
    pub(crate) fn new(mut v: u64) -> Decimal {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        loop {
            i -= 1;
            if let Some(slot) = buf.get_mut(i) {
                *slot = b'0' + (v % 10) as u8;
            }
            v /= 10;
            if v == 0 || i == 0 {
                break;
            }
        }
        Decimal {
            buf,
            start: i as u8,
        }
    }

    /// The digits.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(usize::from(self.start)..).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"+1"), None);
        assert_eq!(parse_u64(b" 1"), None);
        assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32(b"4294967296"), None);
    }

    #[test]
    fn format() {
        for v in [0u64, 7, 10, 1234567890, u64::MAX] {
            let d = Decimal::new(v);
            assert_eq!(parse_u64(d.as_bytes()), Some(v));
        }
    }
}
