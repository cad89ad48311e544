//! [`Name`], a short byte string stored inline (no allocation).

use core::fmt;

/// A name of up to [`Name::CAPACITY`] bytes stored inline, with no heap.
///
/// Used for user and group names in account lookups and for the offending
/// input carried by an [`Error`](crate::Error). Longer input is truncated
/// and remembered as such ([`Name::is_truncated`]); `Display` then ends with
/// `…`. Bytes need not be UTF-8: `Display` shows invalid bytes as `\xNN`.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::Name;
/// let n = Name::new(b"nobody");
/// assert_eq!(n.as_bytes(), b"nobody");
/// assert_eq!(n.to_string(), "nobody");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Name {
    len: u8,
    truncated: bool,
    buf: [u8; Name::CAPACITY],
}

impl Name {
    /// The most bytes a `Name` holds (Linux user names are at most 32
    /// bytes, as `useradd(8)` enforces).
    pub const CAPACITY: usize = 32;

    /// An empty name.
    pub const EMPTY: Name = Name {
        len: 0,
        truncated: false,
        buf: [0; Name::CAPACITY],
    };

    /// Copies up to [`Name::CAPACITY`] bytes of `bytes`; longer input is
    /// truncated and flagged.
    ///
    /// # Examples
    ///
    /// ```
    /// let n = daemonry::Name::new(&[b'x'; 40]);
    /// assert_eq!(n.as_bytes().len(), 32);
    /// assert!(n.is_truncated());
    /// ```
    pub const fn new(bytes: &[u8]) -> Name {
        let mut n = Name::EMPTY;
        let len = if bytes.len() > Name::CAPACITY {
            n.truncated = true;
            Name::CAPACITY
        } else {
            bytes.len()
        };
        let mut i = 0;
        while i < len {
            n.buf[i] = bytes[i];
            i += 1;
        }
        n.len = len as u8;
        n
    }

    /// Copies `bytes` only if it fits in [`Name::CAPACITY`] bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::Name;
    /// assert!(Name::new_exact(b"nobody").is_some());
    /// assert!(Name::new_exact(&[b'x'; 33]).is_none());
    /// ```
    pub const fn new_exact(bytes: &[u8]) -> Option<Name> {
        if bytes.len() > Name::CAPACITY {
            None
        } else {
            Some(Name::new(bytes))
        }
    }

    /// The stored bytes (see the type's example).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len as usize).unwrap_or(&[])
    }

    /// The stored bytes as `&str`, if they are UTF-8.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::Name;
    /// assert_eq!(Name::new(b"nobody").as_str(), Some("nobody"));
    /// assert_eq!(Name::new(b"\xff").as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        core::str::from_utf8(self.as_bytes()).ok()
    }

    /// Whether the original input was longer than [`Name::CAPACITY`]
    /// ([`Name::new`] shows it in its example).
    pub const fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Whether no bytes are stored.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(daemonry::Name::EMPTY.is_empty());
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_bytes(f, self.as_bytes(), self.truncated)
    }
}

/// Writes bytes as text: invalid UTF-8 as `\xNN`, and `…` after a cut.
pub(crate) fn fmt_bytes(f: &mut fmt::Formatter<'_>, bytes: &[u8], truncated: bool) -> fmt::Result {
    for chunk in bytes.utf8_chunks() {
        f.write_str(chunk.valid())?;
        for b in chunk.invalid() {
            write!(f, "\\x{b:02x}")?;
        }
    }
    if truncated {
        f.write_str("…")?;
    }
    Ok(())
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl PartialEq<[u8]> for Name {
    fn eq(&self, other: &[u8]) -> bool {
        !self.truncated && self.as_bytes() == other
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        *self == *other.as_bytes()
    }
}
