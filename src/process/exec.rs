//! Replacing the process image: `execve(2)` and a `PATH` search in the
//! manner of `execvp(3)`, over argument and environment arrays that never
//! touch the heap.
//!
//! # Safety
//!
//! [`CStrArray`] wraps a raw null-terminated array of C-string pointers
//! (what `execve(2)` takes and what the kernel hands a program at start).
//! Its only unsafe constructor, [`CStrArray::from_ptr`], makes the caller
//! vouch that the array and its strings are valid for the array's
//! lifetime; every other way to build one ([`CStrArrayBuf`],
//! [`CStrArray::skip`]) derives the pointers from Rust references or from
//! an already valid array. Reading the array then only follows those
//! pointers up to the null terminator, and `execve` passes them to the
//! kernel unchanged.

#![allow(unsafe_code)]

use crate::error::Op;
use core::ffi::{CStr, c_char};
use core::marker::PhantomData;

use rustix::io::Errno;

use crate::cstr::CStrBuf;
use crate::error::Error;

/// A null-terminated array of pointers to NUL-terminated strings, borrowed
/// for `'a`: an `argv` or `envp` as `execve(2)` takes it.
///
/// Build one from the raw arrays a program receives at start (unsafe
/// [`CStrArray::from_ptr`]; e.g. origin's `origin_main(argc, argv, envp)`)
/// or from Rust strings with a fixed-size [`CStrArrayBuf`]. Iterating,
/// [`len`](Self::len), [`get`](Self::get) and [`env_var`](Self::env_var)
/// walk the array; nothing is copied.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::process::CStrArrayBuf;
/// let mut buf = CStrArrayBuf::<4>::new();
/// buf.push(c"ls")?;
/// buf.push(c"-l")?;
/// let argv = buf.as_array();
/// assert_eq!(argv.len(), 2);
/// assert_eq!(argv.get(1), Some(c"-l"));
/// assert_eq!(argv.skip(1).iter().collect::<Vec<_>>(), [c"-l"]);
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct CStrArray<'a> {
    ptr: *const *const c_char,
    _strings: PhantomData<&'a CStr>,
}

/// The terminator alone: an empty array.
static EMPTY_ARRAY: [usize; 1] = [0];

impl<'a> CStrArray<'a> {
    /// An empty array (just the null terminator).
    pub const EMPTY: CStrArray<'static> = CStrArray {
        ptr: EMPTY_ARRAY.as_ptr().cast(),
        _strings: PhantomData,
    };

    /// Wraps a raw null-terminated array; a null `ptr` is an empty array.
    ///
    /// # Safety
    ///
    /// Unless `ptr` is null, it must point to an array of pointers ending
    /// with a null pointer, each non-null entry pointing to a NUL-terminated
    /// string; the array and the strings must stay valid and unchanged for
    /// `'a`. The `argv` and `envp` the kernel passes to a program's entry
    /// point qualify for `'static` as long as nothing rewrites them (a
    /// process title does: read what you need first).
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::process::CStrArray;
    /// let strings = [c"sh".as_ptr(), c"-c".as_ptr(), std::ptr::null()];
    /// // SAFETY: a null-terminated array of pointers to C strings, all
    /// // alive and unchanged while `argv` is used.
    /// let argv = unsafe { CStrArray::from_ptr(strings.as_ptr()) };
    /// assert_eq!(argv.len(), 2);
    /// ```
    pub const unsafe fn from_ptr(ptr: *const *const c_char) -> CStrArray<'a> {
        if ptr.is_null() {
            return CStrArray {
                ptr: EMPTY_ARRAY.as_ptr().cast(),
                _strings: PhantomData,
            };
        }
        CStrArray {
            ptr,
            _strings: PhantomData,
        }
    }

    /// The raw array, for passing to a system call.
    ///
    /// # Examples
    ///
    /// ```
    /// let empty = daemonry::process::CStrArray::EMPTY;
    /// // SAFETY: every array holds at least its terminator.
    /// assert!(unsafe { *empty.as_ptr() }.is_null());
    /// ```
    pub const fn as_ptr(&self) -> *const *const c_char {
        self.ptr
    }

    /// The strings, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = daemonry::process::CStrArrayBuf::<3>::new();
    /// b.push(c"a")?;
    /// b.push(c"b")?;
    /// assert_eq!(b.as_array().iter().collect::<Vec<_>>(), [c"a", c"b"]);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn iter(&self) -> CStrArrayIter<'a> {
        CStrArrayIter { array: *self }
    }

    /// The number of strings (walks the array).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(daemonry::process::CStrArray::EMPTY.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether the array holds no string.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(daemonry::process::CStrArray::EMPTY.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.first().is_none()
    }

    /// The first string, if any (`argv[0]`: the program name).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = daemonry::process::CStrArrayBuf::<2>::new();
    /// b.push(c"prog")?;
    /// assert_eq!(b.as_array().first(), Some(c"prog"));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn first(&self) -> Option<&'a CStr> {
        self.iter().next()
    }

    /// The string at `index`, if the array is that long.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = daemonry::process::CStrArrayBuf::<3>::new();
    /// b.push(c"prog")?;
    /// b.push(c"arg")?;
    /// assert_eq!((b.as_array().get(1), b.as_array().get(2)), (Some(c"arg"), None));
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn get(&self, index: usize) -> Option<&'a CStr> {
        self.iter().nth(index)
    }

    /// The array without its first `n` strings (empty when it holds `n`
    /// or fewer): `argv.skip(optind)` is the command to run after the
    /// options. Shares the same memory; the terminator is the original's.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = daemonry::process::CStrArrayBuf::<4>::new();
    /// for s in [c"init", c"--", c"sleep"] {
    ///     b.push(s)?;
    /// }
    /// assert_eq!(b.as_array().skip(2).first(), Some(c"sleep"));
    /// assert!(b.as_array().skip(9).is_empty());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn skip(&self, n: usize) -> CStrArray<'a> {
        let mut rest = *self;
        for _ in 0..n {
            match rest.split_first() {
                Some((_, tail)) => rest = tail,
                None => break,
            }
        }
        rest
    }

    /// The first string and the rest of the array.
    fn split_first(&self) -> Option<(&'a CStr, CStrArray<'a>)> {
        // SAFETY: `ptr` points to a valid entry of a null-terminated array
        // (the type's invariant); reading it is in bounds.
        let head = unsafe { *self.ptr };
        if head.is_null() {
            return None;
        }
        // SAFETY: a non-null entry points to a NUL-terminated string valid
        // for 'a (the invariant).
        let s = unsafe { CStr::from_ptr(head) };
        let tail = CStrArray {
            // SAFETY: the entry is not the terminator, so the next entry is
            // still within the array.
            ptr: unsafe { self.ptr.add(1) },
            _strings: PhantomData,
        };
        Some((s, tail))
    }

    /// In an environment array, the value of the first `NAME=value` entry
    /// whose name is `name` (`getenv(3)` over this array; `name` must not
    /// contain `=`).
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::process::CStrArrayBuf;
    /// let mut env = CStrArrayBuf::<4>::new();
    /// env.push(c"PATH=/bin")?;
    /// env.push(c"EMPTY=")?;
    /// let env = env.as_array();
    /// assert_eq!(env.env_var(b"PATH"), Some(c"/bin"));
    /// assert_eq!(env.env_var(b"EMPTY"), Some(c""));
    /// assert_eq!(env.env_var(b"PAT"), None);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "getenv")]
    pub fn env_var(&self, name: &[u8]) -> Option<&'a CStr> {
        if name.contains(&b'=') {
            return None;
        }
        self.iter().find_map(|entry| {
            let bytes = entry.to_bytes_with_nul();
            match bytes.strip_prefix(name) {
                Some([b'=', value @ ..]) => CStr::from_bytes_with_nul(value).ok(),
                _ => None,
            }
        })
    }
}

impl core::fmt::Debug for CStrArray<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for CStrArray<'a> {
    type Item = &'a CStr;
    type IntoIter = CStrArrayIter<'a>;
    fn into_iter(self) -> CStrArrayIter<'a> {
        self.iter()
    }
}

/// The strings of a [`CStrArray`], in order.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Clone, Debug)]
pub struct CStrArrayIter<'a> {
    array: CStrArray<'a>,
}

impl<'a> Iterator for CStrArrayIter<'a> {
    type Item = &'a CStr;
    fn next(&mut self) -> Option<&'a CStr> {
        let (head, tail) = self.array.split_first()?;
        self.array = tail;
        Some(head)
    }
}

/// A fixed-capacity builder for a [`CStrArray`]: up to `N - 1` strings
/// (one slot holds the terminator), borrowed for `'a`, on the stack.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::process::CStrArrayBuf;
/// let mut argv = CStrArrayBuf::<3>::new();
/// argv.push(c"true")?;
/// argv.push(c"x")?;
/// assert!(argv.push(c"full").is_err()); // N = 3: two strings and the null
/// assert_eq!(argv.as_array().len(), 2);
/// # Ok::<(), daemonry::Error>(())
/// ```
pub struct CStrArrayBuf<'a, const N: usize> {
    ptrs: [*const c_char; N],
    len: usize,
    _strings: PhantomData<&'a CStr>,
}

impl<'a, const N: usize> CStrArrayBuf<'a, N> {
    /// An empty array.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = daemonry::process::CStrArrayBuf::<8>::new();
    /// assert!(b.is_empty() && b.as_array().is_empty());
    /// ```
    pub const fn new() -> Self {
        CStrArrayBuf {
            ptrs: [core::ptr::null(); N],
            len: 0,
            _strings: PhantomData,
        }
    }

    /// Appends `s`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) (with `needed` the capacity that
    /// would have fit it) when `N - 1` strings are already there.
    ///
    /// # Examples
    ///
    /// See [`CStrArrayBuf`].
    pub fn push(&mut self, s: &'a CStr) -> crate::Result<()> {
        // Keep the last slot for the terminator.
        match self.ptrs.get_mut(self.len) {
            Some(slot) if self.len + 1 < N => {
                *slot = s.as_ptr();
                self.len += 1;
                Ok(())
            }
            _ => Err(Error::buffer_too_small(Op::Execve, self.len + 2)),
        }
    }

    /// How many strings were pushed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = daemonry::process::CStrArrayBuf::<4>::new();
    /// b.push(c"x")?;
    /// assert_eq!(b.len(), 1);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was pushed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(daemonry::process::CStrArrayBuf::<4>::new().is_empty());
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The null-terminated array of what was pushed, borrowing this
    /// buffer.
    ///
    /// # Examples
    ///
    /// See [`CStrArrayBuf`].
    pub fn as_array(&self) -> CStrArray<'_> {
        if N == 0 {
            return CStrArray::EMPTY;
        }
        // SAFETY: entries `..len` point to NUL-terminated strings borrowed
        // for 'a (which outlives the borrow of self), and entry `len` (< N)
        // is still null: `push` never fills the last slot, and slots are
        // only written below `len + 1 < N`.
        unsafe { CStrArray::from_ptr(self.ptrs.as_ptr()) }
    }
}

impl<const N: usize> Default for CStrArrayBuf<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::fmt::Debug for CStrArrayBuf<'_, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.as_array().fmt(f)
    }
}

/// `execve(2)`—Replaces this process's program with `path`, run with
/// `argv` and `envp`; returns only on failure.
///
/// The arguments go to the kernel as they are: `argv` should start with
/// the program's name. Signal dispositions set to a handler are reset to
/// the default, ignored signals stay ignored, the signal mask, pending
/// signals and (non-close-on-exec) fds are kept.
///
/// # Errors
///
/// Returns (never `Ok`) an [`ErrorKind::Os`](crate::ErrorKind::Os) error with context
/// `"execve"` and the kernel's errno: `ENOENT` (no such file), `EACCES`
/// (not executable, or a directory on the way is not searchable),
/// `ENOEXEC` (not a format the kernel runs; no shell fallback), `E2BIG`, …
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`execve(2)`](https://man7.org/linux/man-pages/man2/execve.2.html),
/// [POSIX `exec`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/exec.html)
///
/// # Examples
///
/// ```
/// use daemonry::process::{execve, CStrArray, CStrArrayBuf};
/// let mut argv = CStrArrayBuf::<2>::new();
/// argv.push(c"nothing-here")?;
/// let err = execve(c"/nonexistent/program", argv.as_array(), CStrArray::EMPTY);
/// assert_eq!(err.errno(), Some(daemonry::Errno::NOENT));
/// # Ok::<(), daemonry::Error>(())
/// ```
pub fn execve(path: &CStr, argv: CStrArray<'_>, envp: CStrArray<'_>) -> Error {
    // SAFETY: both arrays are null-terminated arrays of valid C strings
    // (the `CStrArray` invariant), alive for the call.
    let errno = unsafe { crate::sys::execve(path, argv.as_ptr(), envp.as_ptr()) };
    Error::os(Op::Execve, errno)
}

/// The search path `execvpe` uses when `envp` has no `PATH`: glibc's
/// `confstr(_CS_PATH)` default.
pub const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// `execvpe(3)`—Runs `file` as [`execve`] does, searching the directories
/// of `PATH` when `file` contains no `/`; returns only on failure.
///
/// `PATH` is read from `envp` (the environment the program will get; glibc
/// reads the caller's `environ`, which is the same thing when `envp` is
/// that), defaulting to [`DEFAULT_PATH`]. An empty `PATH` element means the
/// current directory. The search follows glibc: a directory where the file
/// is missing or not a directory (`ENOENT`, `ENOTDIR`, `ESTALE`, `ENODEV`,
/// `ETIMEDOUT`) or not permitted (`EACCES`, remembered) is skipped; any
/// other error stops the search. Candidate paths are built in a 4096-byte
/// stack buffer (`PATH_MAX`); a longer one is skipped.
///
/// Deliberate difference from glibc (same as musl): a file the kernel
/// refuses with `ENOEXEC` (a script without `#!`) is not retried with
/// `/bin/sh`; the error is returned.
///
/// # Errors
///
/// An [`ErrorKind::Os`](crate::ErrorKind::Os) error with context `"execvpe"`:
/// `ENOENT` for an empty `file` or when no directory has it; `EACCES` when
/// some candidate existed but could not be run and nothing better was
/// found; `ENAMETOOLONG` for a `file` longer than 255 bytes; otherwise the
/// error of the candidate that stopped the search (`ENOEXEC`, `E2BIG`, …).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # References
///
/// [`execvp(3)`](https://man7.org/linux/man-pages/man3/execvp.3.html),
/// [POSIX `exec`](https://pubs.opengroup.org/onlinepubs/9799919799/functions/exec.html)
///
/// # Examples
///
/// ```
/// use daemonry::process::{execvpe, CStrArrayBuf};
/// let mut argv = CStrArrayBuf::<2>::new();
/// argv.push(c"no-such-program-here")?;
/// let mut env = CStrArrayBuf::<2>::new();
/// env.push(c"PATH=/nonexistent:/also/not")?;
/// let err = execvpe(c"no-such-program-here", argv.as_array(), env.as_array());
/// assert_eq!(err.errno(), Some(daemonry::Errno::NOENT));
/// # Ok::<(), daemonry::Error>(())
/// ```
#[doc(alias = "execvp")]
pub fn execvpe(file: &CStr, argv: CStrArray<'_>, envp: CStrArray<'_>) -> Error {
    const CONTEXT: Op = Op::Execvpe;
    let name = file.to_bytes();
    if name.is_empty() {
        return Error::os(CONTEXT, Errno::NOENT);
    }
    if name.contains(&b'/') {
        return execve(file, argv, envp).with_op(CONTEXT);
    }
    if name.len() > 255 {
        return Error::os(CONTEXT, Errno::NAMETOOLONG);
    }
    let path = envp.env_var(b"PATH").map_or(DEFAULT_PATH, CStr::to_bytes);
    let mut eacces = false;
    let mut last = Errno::NOENT;
    for dir in path.split(|&b| b == b':') {
        let mut candidate = CStrBuf::<4096>::new();
        if !dir.is_empty() {
            candidate.push(dir).push(b"/");
        }
        candidate.push(name);
        let Ok(full) = candidate.as_cstr() else {
            continue;
        };
        let err = execve(full, argv, envp);
        let errno = err.errno().unwrap_or(Errno::NOENT);
        match errno {
            Errno::ACCESS => eacces = true,
            Errno::NOENT | Errno::NOTDIR | Errno::STALE | Errno::NODEV | Errno::TIMEDOUT => {}
            _ => return Error::os(CONTEXT, errno),
        }
        last = errno;
    }
    Error::os(CONTEXT, if eacces { Errno::ACCESS } else { last })
}
