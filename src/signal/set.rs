//! [`SigSet`]: a set of signals, as the kernel's 64-bit `sigset_t`.

use core::fmt;

use super::Signal;

/// A set of signals (the kernel's 64-bit `sigset_t`): bit `n - 1` stands
/// for signal `n`, as in the `SigBlk`/`SigIgn` masks of
/// `/proc/<pid>/status`.
///
/// Build one with [`SigSet::from_signals`] (usable in `const`), the
/// [`with`](SigSet::with)/[`without`](SigSet::without) chain,
/// [`add`](SigSet::add)/[`remove`](SigSet::remove), or by collecting
/// signals. It is what the mask functions ([`block`](super::block), …),
/// [`SigSet::wait`] and [`SignalFd`](super::SignalFd) take.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::{signal::SigSet, Signal};
/// const SHUTDOWN: SigSet = SigSet::from_signals(&[Signal::TERM, Signal::INT]);
/// assert!(SHUTDOWN.contains(Signal::TERM) && !SHUTDOWN.contains(Signal::HUP));
/// assert_eq!(SHUTDOWN.as_raw(), 1 << 1 | 1 << 14);
/// assert_eq!(SHUTDOWN.iter().collect::<Vec<_>>(), [Signal::INT, Signal::TERM]);
/// let more: SigSet = [Signal::HUP, Signal::RTMAX].into_iter().collect();
/// assert_eq!(format!("{more:?}"), "{SIGHUP, SIGRTMAX}");
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SigSet(u64);

/// `sig`'s bit: `sig` is 1..=64, so the shift is 0..=63.
const fn bit(sig: Signal) -> u64 {
    1u64 << (sig.as_raw() - 1)
}

impl SigSet {
    /// No signals.
    pub const EMPTY: SigSet = SigSet(0);
    /// Every signal 1..=64 (the kernel silently leaves SIGKILL and SIGSTOP
    /// unblocked).
    pub const FULL: SigSet = SigSet(u64::MAX);

    /// The set of `sigs`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::SigSet, Signal};
    /// let set = SigSet::from_signals(&[Signal::HUP, Signal::TERM]);
    /// assert_eq!(set.as_raw(), 0x4001);
    /// ```
    pub const fn from_signals(sigs: &[Signal]) -> SigSet {
        let mut bits = 0;
        let mut rest = sigs;
        while let Some((&sig, tail)) = rest.split_first() {
            bits |= bit(sig);
            rest = tail;
        }
        SigSet(bits)
    }

    /// A set from its raw mask (bit `n - 1` is signal `n`), e.g. a
    /// `SigBlk` field of `/proc/<pid>/status`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::SigSet, Signal};
    /// assert_eq!(SigSet::from_raw(1 << 63), SigSet::from_signals(&[Signal::RTMAX]));
    /// ```
    pub const fn from_raw(mask: u64) -> SigSet {
        SigSet(mask)
    }

    /// The raw mask (bit `n - 1` is signal `n`).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(daemonry::signal::SigSet::FULL.as_raw(), u64::MAX);
    /// ```
    pub const fn as_raw(&self) -> u64 {
        self.0
    }

    /// This set and `sig`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::SigSet, Signal};
    /// let set = SigSet::EMPTY.with(Signal::TERM).with(Signal::INT);
    /// assert_eq!(set, SigSet::from_signals(&[Signal::INT, Signal::TERM]));
    /// ```
    #[must_use]
    pub const fn with(self, sig: Signal) -> SigSet {
        SigSet(self.0 | bit(sig))
    }

    /// This set without `sig`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::SigSet, Signal};
    /// let all_but = SigSet::FULL.without(Signal::SEGV);
    /// assert!(!all_but.contains(Signal::SEGV) && all_but.contains(Signal::TERM));
    /// ```
    #[must_use]
    pub const fn without(self, sig: Signal) -> SigSet {
        SigSet(self.0 & !bit(sig))
    }

    /// Adds `sig`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::SigSet, Signal};
    /// let mut set = SigSet::EMPTY;
    /// set.add(Signal::USR1);
    /// assert!(set.contains(Signal::USR1));
    /// ```
    pub fn add(&mut self, sig: Signal) {
        self.0 |= bit(sig);
    }

    /// Removes `sig`.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::SigSet, Signal};
    /// let mut set = SigSet::FULL;
    /// set.remove(Signal::USR1);
    /// assert!(!set.contains(Signal::USR1));
    /// ```
    pub fn remove(&mut self, sig: Signal) {
        self.0 &= !bit(sig);
    }

    /// Whether `sig` is in the set.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{signal::SigSet, Signal};
    /// assert!(SigSet::FULL.contains(Signal::RTMIN));
    /// assert!(!SigSet::EMPTY.contains(Signal::RTMIN));
    /// ```
    pub const fn contains(&self, sig: Signal) -> bool {
        self.0 & bit(sig) != 0
    }

    /// Whether the set is empty.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(daemonry::signal::SigSet::EMPTY.is_empty());
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The signals in the set, ascending.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::signal::SigSet;
    /// assert_eq!(SigSet::FULL.iter().count(), 64);
    /// ```
    pub fn iter(&self) -> SigSetIter {
        SigSetIter(self.0)
    }
}

/// The signals of a [`SigSet`], ascending: what [`SigSet::iter`] returns.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Clone, Debug)]
pub struct SigSetIter(u64);

impl Iterator for SigSetIter {
    type Item = Signal;

    fn next(&mut self) -> Option<Signal> {
        while self.0 != 0 {
            let n = self.0.trailing_zeros();
            // Clear the lowest set bit.
            self.0 &= self.0 - 1;
            if let Some(sig) = Signal::from_raw(n as i32 + 1) {
                return Some(sig);
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.0.count_ones() as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for SigSetIter {}

impl core::iter::FusedIterator for SigSetIter {}

impl IntoIterator for SigSet {
    type Item = Signal;
    type IntoIter = SigSetIter;

    fn into_iter(self) -> SigSetIter {
        self.iter()
    }
}

impl FromIterator<Signal> for SigSet {
    fn from_iter<I: IntoIterator<Item = Signal>>(iter: I) -> SigSet {
        let mut set = SigSet::EMPTY;
        set.extend(iter);
        set
    }
}

impl Extend<Signal> for SigSet {
    fn extend<I: IntoIterator<Item = Signal>>(&mut self, iter: I) {
        for sig in iter {
            self.add(sig);
        }
    }
}

impl fmt::Debug for SigSet {
    /// The signals' names: `{SIGINT, SIGTERM}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_at_both_ends() {
        let mut s = SigSet::EMPTY;
        s.add(Signal::RTMAX);
        s.add(Signal::HUP);
        assert_eq!(s.as_raw(), 1 | 1 << 63);
        s.remove(Signal::RTMAX);
        let mut it = s.iter();
        assert_eq!((it.next(), it.next()), (Some(Signal::HUP), None));
        assert_eq!(SigSet::FULL.iter().len(), 64);
        assert_eq!(SigSet::FULL.iter().last(), Some(Signal::RTMAX));
        assert!(SigSet::EMPTY.iter().next().is_none());
    }
}
