//! A line reader over a fixed stack buffer (no heap), for the account
//! databases.
//!
//! Lines that fit the buffer come out whole. A longer line comes out once as
//! its first [`LINE_BUF`] bytes, flagged as cut ([`Line::Head`]); the reader
//! then discards the rest of that line, up to its `\n`, so the next line
//! starts exactly where it should, however long the cut one was.
//!
//! # Safety
//!
//! The buffer is left uninitialised (zeroing 4 KiB per lookup costs more
//! than parsing a small `/etc/passwd`). One invariant makes reading it
//! sound: `buf[..end]` has been written, either by `read(2)` (rustix
//! returns how many bytes it initialised) or by a copy from within
//! `buf[..end]`. [`LineReader::filled`] turns only bytes of `..end` into
//! `&[u8]`; [`Source::next_chunk`] only the bytes `read(2)` just wrote.

#![allow(unsafe_code)]

use core::ffi::CStr;
use core::mem::MaybeUninit;
use rustix::fd::OwnedFd;
use rustix::fs::{self, Mode, OFlags};
use rustix::io::{self, Errno};

/// Bytes in a [`LineReader`]'s buffer: lines of up to `LINE_BUF - 1` bytes
/// plus their `\n` come out whole.
pub(crate) const LINE_BUF: usize = 4096;

/// Where database bytes come from: a file, or memory.
pub(crate) enum Source<'a> {
    /// An open file.
    Fd(OwnedFd),
    /// Bytes in memory (the rest still to hand out).
    Bytes(&'a [u8]),
}

impl<'a> Source<'a> {
    /// Opens `path` read-only, close-on-exec. `Ok(None)` when it does not
    /// exist (an absent database is an empty one, as for glibc).
    pub(crate) fn open(path: &CStr) -> Result<Option<Source<'a>>, Errno> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
        match fs::open(path, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(Source::Fd(fd))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The next chunk of input: read into `buf`, or (from memory) the next
    /// `buf.len()` bytes directly. Empty at the end.
    pub(crate) fn next_chunk<'b>(
        &'b mut self,
        buf: &'b mut [MaybeUninit<u8>],
    ) -> Result<&'b [u8], Errno> {
        if let Source::Bytes(rest) = self {
            let (head, tail) = rest.split_at(buf.len().min(rest.len()));
            *rest = tail;
            return Ok(head);
        }
        let n = self.read_uninit(buf)?;
        let init = buf.get(..n).unwrap_or(&[]);
        // SAFETY: `read_uninit` initialised the first `n` bytes of `buf`;
        // `MaybeUninit<u8>` has `u8`'s layout.
        Ok(unsafe { core::slice::from_raw_parts(init.as_ptr().cast::<u8>(), init.len()) })
    }

    /// Reads into uninitialised memory; returns how many leading bytes of
    /// `buf` are now initialised (0 at the end).
    fn read_uninit(&mut self, buf: &mut [MaybeUninit<u8>]) -> Result<usize, Errno> {
        match self {
            Source::Fd(fd) => {
                io::retry_on_intr(|| io::read(&*fd, &mut *buf).map(|(init, _)| init.len()))
            }
            Source::Bytes(rest) => {
                let n = buf.len().min(rest.len());
                let (head, tail) = rest.split_at(n);
                for (d, s) in buf.iter_mut().zip(head) {
                    d.write(*s);
                }
                *rest = tail;
                Ok(n)
            }
        }
    }
}

/// One line from a [`LineReader`], without its `\n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// The whole line.
    Whole(&'a [u8]),
    /// The first `N` bytes of a line that did not fit the buffer; the rest
    /// was skipped.
    Head(&'a [u8]),
}

/// Reads lines from a [`Source`] through an inline `N`-byte buffer.
pub(crate) struct LineReader<'a, const N: usize = LINE_BUF> {
    src: Source<'a>,
    /// Invariant: `buf[..end]` is initialised.
    buf: [MaybeUninit<u8>; N],
    start: usize,
    end: usize,
    eof: bool,
    /// Discarding the tail of an over-long line.
    skipping: bool,
}

/// The index of the first `\n` in `s`, eight bytes at a time.
#[inline]
pub(crate) fn find_newline(s: &[u8]) -> Option<usize> {
    const LO: u64 = u64::from_ne_bytes([0x01; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    const NL: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut words = s.chunks_exact(8);
    let mut base = 0;
    for w in words.by_ref() {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        let x = u64::from_le_bytes(b) ^ NL;
        // The lowest set bit marks the first zero byte of `x` exactly
        // (borrows only cause false marks above a real zero byte).
        let z = x.wrapping_sub(LO) & !x & HI;
        if z != 0 {
            return Some(base + (z.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| base + p)
}

impl<'a, const N: usize> LineReader<'a, N> {
    /// A reader over `src`.
    pub(crate) fn new(src: Source<'a>) -> Self {
        LineReader {
            src,
            buf: [MaybeUninit::uninit(); N],
            start: 0,
            end: 0,
            eof: false,
            skipping: false,
        }
    }

    /// The initialised bytes `start..end` (clamped to `..self.end`).
    #[inline]
    fn filled(&self, start: usize, end: usize) -> &[u8] {
        let init = self.buf.get(..self.end).unwrap_or(&[]);
        let part = init.get(start..end).unwrap_or(&[]);
        // SAFETY: `part` lies within `buf[..end]`, which is initialised
        // (the type's invariant); `MaybeUninit<u8>` has `u8`'s layout.
        unsafe { core::slice::from_raw_parts(part.as_ptr().cast::<u8>(), part.len()) }
    }

    /// The next line, `Ok(None)` at the end of input. A last line without
    /// `\n` counts.
    #[inline]
    pub(crate) fn next_line(&mut self) -> Result<Option<Line<'_>>, Errno> {
        loop {
            let pending = self.filled(self.start, self.end);
            if let Some(i) = find_newline(pending) {
                let (s, e) = (self.start, self.start + i);
                self.start = e + 1;
                if self.skipping {
                    self.skipping = false;
                    continue;
                }
                return Ok(Some(Line::Whole(self.filled(s, e))));
            }
            if self.eof {
                let (s, e) = (self.start, self.end);
                self.start = self.end;
                if core::mem::take(&mut self.skipping) || s == e {
                    return Ok(None);
                }
                return Ok(Some(Line::Whole(self.filled(s, e))));
            }
            if self.skipping {
                // The tail of a cut line: drop what we have.
                self.start = 0;
                self.end = 0;
            } else if self.start == 0 && self.end == N {
                // A full buffer and no newline: hand out the head, then
                // skip to the end of this line.
                self.skipping = true;
                self.start = N;
                return Ok(Some(Line::Head(self.filled(0, N))));
            } else if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let free = self.buf.get_mut(self.end..).unwrap_or(&mut []);
            match self.src.read_uninit(free)? {
                0 => self.eof = true,
                n => self.end += n,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    // The test harness links std even without the `std` feature.
    extern crate std;
    use super::*;
    use std::{format, vec, vec::Vec};

    fn lines<const N: usize>(data: &[u8]) -> Vec<(bool, Vec<u8>)> {
        let mut r = LineReader::<N>::new(Source::Bytes(data));
        let mut v = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            v.push(match l {
                Line::Whole(s) => (true, s.to_vec()),
                Line::Head(s) => (false, s.to_vec()),
            });
        }
        v
    }

    #[test]
    fn short_and_long_lines() {
        let data = b"ab\n\ncdefgh\nijklmnopqrstuvwxyz\nxy\nlastline";
        let got = lines::<8>(data);
        let want: Vec<(bool, Vec<u8>)> = vec![
            (true, b"ab".to_vec()),
            (true, b"".to_vec()),
            (true, b"cdefgh".to_vec()),
            (false, b"ijklmnop".to_vec()),
            (true, b"xy".to_vec()),
            (false, b"lastline".to_vec()),
        ];
        assert_eq!(got, want);
        // With a big buffer every line is whole.
        let got = lines::<64>(data);
        assert!(got.iter().all(|(whole, _)| *whole));
        assert_eq!(got.len(), 6);
        assert_eq!(got[5].1, b"lastline");
    }

    #[test]
    fn every_split_stays_in_sync() {
        // Lines of every length around the buffer size, each tagged with its
        // index so a desynchronisation shows.
        let mut data = Vec::new();
        for len in 0..40usize {
            data.extend(std::iter::repeat_n(b'a' + (len % 26) as u8, len));
            data.extend(format!("#{len}\n").bytes());
        }
        let got = lines::<16>(&data);
        assert_eq!(got.len(), 40);
        for (len, (whole, line)) in got.iter().enumerate() {
            let full_len = len + format!("#{len}").len();
            if full_len < 16 {
                assert!(whole, "line {len}");
                assert!(line.ends_with(format!("#{len}").as_bytes()));
            } else {
                assert!(!whole, "line {len}");
                assert_eq!(line.len(), 16);
            }
        }
    }

    #[test]
    fn newline_search() {
        let mut buf = [b'a'; 40];
        assert_eq!(find_newline(&buf), None);
        for i in 0..40 {
            buf = [b'a'; 40];
            buf[i] = b'\n';
            for start in 0..=i {
                assert_eq!(find_newline(&buf[start..]), Some(i - start));
            }
            // A second newline later, and bytes that look like '\n' ± 1.
            buf[39] = b'\n';
            buf[0] = b'\n' + 1;
            buf[1] = b'\n' - 1;
            let want = if i <= 1 { 39 } else { i };
            assert_eq!(find_newline(&buf), Some(want));
        }
        for b in 0..=255u8 {
            let v = [b; 9];
            assert_eq!(find_newline(&v).is_some(), b == b'\n');
        }
    }

    #[test]
    fn file_source() {
        let mut r =
            LineReader::<LINE_BUF>::new(Source::open(c"/proc/self/status").unwrap().unwrap());
        let first = r.next_line().unwrap().unwrap();
        assert!(matches!(first, Line::Whole(l) if l.starts_with(b"Name:")));
        assert!(Source::open(c"/nonexistent/passwd").unwrap().is_none());
    }
}
