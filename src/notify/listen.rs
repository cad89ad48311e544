//! Socket activation: [`Env::listen_fds`] and the [`ListenFds`] it returns.
//!
//! # Safety
//!
//! [`ListenFds`] lends the fds `3..3 + n` as [`BorrowedFd`]s, made with
//! `BorrowedFd::borrow_raw`. They were checked open (`fcntl(2)` succeeded on
//! each) when [`Env::listen_fds`] returned, and they belong to
//! the process the way standard input does: the service manager passed
//! them, and no Rust value owns them. Safe code cannot close them; only
//! `unsafe` code can (`OwnedFd::from_raw_fd`, a raw `close`), and such code
//! must not close one while a `ListenFds` lends it, as the docs say.

#![allow(unsafe_code)]

use core::fmt;
use core::ops::Range;

use rustix::fd::{BorrowedFd, RawFd};

use crate::error::{Error, Op, Result};
use crate::notify::Env;
use crate::notify::parse::{FdNames, LISTEN_FDS_START, fd_names, parse_env_pid, parse_listen_fds};

/// The most bytes of `$LISTEN_FDNAMES` a [`ListenFds`] keeps: 4096, room for
/// about a hundred names of typical length (systemd allows 255 bytes per
/// name).
pub const FDNAMES_MAX: usize = 4096;

/// The sockets a service manager passed, from fd 3 on, with their names:
/// what [`Env::listen_fds`] returns.
///
/// Iterating gives `(fd, name)` pairs in fd order; a name is `None` when
/// the manager passed no `$LISTEN_FDNAMES`. The names are copied (up to
/// [`FDNAMES_MAX`] bytes), so a `ListenFds` does not depend on the
/// environment staying as it was.
///
/// The fds are lent, not given: to keep one as an owned socket, take a
/// duplicate with `BorrowedFd::try_clone_to_owned` (or, knowing nothing
/// else will, claim the fd itself with the unsafe `OwnedFd::from_raw_fd`,
/// and then stop using this `ListenFds`).
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
///
/// # Examples
///
/// ```
/// use daemonry::notify::Env;
/// use daemonry::process::CStrArray;
/// let fds = Env::new(CStrArray::EMPTY).listen_fds()?;
/// assert!(fds.is_empty());
/// for (fd, name) in &fds {
///     println!("{fd:?} is {:?}", name.map(String::from_utf8_lossy));
/// }
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone)]
pub struct ListenFds {
    count: u32,
    /// Whether `$LISTEN_FDNAMES` was set.
    named: bool,
    names_len: usize,
    names: [u8; FDNAMES_MAX],
}

impl ListenFds {
    const EMPTY: ListenFds = ListenFds {
        count: 0,
        named: false,
        names_len: 0,
        names: [0; FDNAMES_MAX],
    };

    /// How many fds were passed ([`get`](Self::get) shows it in its example).
    pub const fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether none were ([`get`](Self::get)'s example holds no fds).
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The raw fds, `3..3 + len()` ([`get`](Self::get) shows it in its example).
    pub const fn raw_fds(&self) -> Range<RawFd> {
        // `count <= i32::MAX - 3` (parse_listen_fds).
        LISTEN_FDS_START..LISTEN_FDS_START + self.count as RawFd
    }

    /// The fd at `index` (fd `3 + index`) and its name.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::Env;
    /// use daemonry::process::CStrArray;
    /// let fds = Env::new(CStrArray::EMPTY).listen_fds()?;
    /// assert!(fds.get(0).is_none());
    /// assert_eq!(fds.raw_fds(), 3..3);
    /// assert_eq!(fds.len(), 0);
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn get(&self, index: usize) -> Option<(BorrowedFd<'_>, Option<&[u8]>)> {
        self.iter().nth(index)
    }

    /// The first fd named `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::Env;
    /// use daemonry::process::CStrArray;
    /// let fds = Env::new(CStrArray::EMPTY).listen_fds()?;
    /// assert!(fds.find("http").is_none());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn find(&self, name: impl AsRef<[u8]>) -> Option<BorrowedFd<'_>> {
        let name = name.as_ref();
        self.iter()
            .find(|(_, n)| *n == Some(name))
            .map(|(fd, _)| fd)
    }

    /// The fds and their names, in fd order.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::Env;
    /// use daemonry::process::CStrArray;
    /// for (fd, name) in &Env::new(CStrArray::EMPTY).listen_fds()? {
    ///     println!("{fd:?} {name:?}");
    /// }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub fn iter(&self) -> ListenFdsIter<'_> {
        ListenFdsIter {
            fds: self.raw_fds(),
            names: self
                .named
                .then(|| fd_names(self.names.get(..self.names_len).unwrap_or_default())),
            _owner: self,
        }
    }
}

impl fmt::Debug for ListenFds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Name<'a>(Option<&'a [u8]>);
        impl fmt::Debug for Name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0 {
                    Some(n) => {
                        f.write_str("\"")?;
                        crate::name::fmt_bytes(f, n, false)?;
                        f.write_str("\"")
                    }
                    None => f.write_str("None"),
                }
            }
        }
        f.debug_map()
            .entries(self.iter().map(|(fd, n)| (fd, Name(n))))
            .finish()
    }
}

impl<'a> IntoIterator for &'a ListenFds {
    type Item = (BorrowedFd<'a>, Option<&'a [u8]>);
    type IntoIter = ListenFdsIter<'a>;
    fn into_iter(self) -> ListenFdsIter<'a> {
        self.iter()
    }
}

/// The `(fd, name)` pairs of a [`ListenFds`], in fd order.
///
/// # Async-signal safety
///
/// Safe between fork and exec: no allocation, locks or panics.
#[derive(Clone, Debug)]
pub struct ListenFdsIter<'a> {
    fds: Range<RawFd>,
    names: Option<FdNames<'a>>,
    _owner: &'a ListenFds,
}

impl<'a> Iterator for ListenFdsIter<'a> {
    type Item = (BorrowedFd<'a>, Option<&'a [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        let raw = self.fds.next()?;
        let name = self.names.as_mut().and_then(Iterator::next);
        // SAFETY: `raw` is one of the fds `Env::listen_fds` checked open,
        // lent for as long as the `ListenFds` is borrowed (the module's
        // `# Safety`).
        let fd = unsafe { BorrowedFd::borrow_raw(raw) };
        Some((fd, name))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.fds.size_hint()
    }
}

impl ExactSizeIterator for ListenFdsIter<'_> {}

impl Env<'_> {
    /// `sd_listen_fds_with_names(3)`—Takes over the sockets a service
    /// manager passed from fd 3 on (socket activation), marking each
    /// close-on-exec.
    ///
    /// `$LISTEN_PID` must be this process's pid, else the variables were
    /// inherited from a parent and there is nothing for us (an empty
    /// result, as when `$LISTEN_PID` or `$LISTEN_FDS` is not set or
    /// `$LISTEN_FDS` is 0). `$LISTEN_FDS` is the count; `$LISTEN_FDNAMES`,
    /// when set, must name every fd (colon-separated). Every passed fd gets
    /// `FD_CLOEXEC`, so programs this one runs do not inherit them.
    ///
    /// The variables stay set: a `no_std` caller leaves them out of the
    /// environments it passes on; with `std`, see
    /// `notify::unset_listen_env`.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    ///   (operation [`Op::ListenFds`], with the value) when `$LISTEN_PID` is
    ///   not a pid, `$LISTEN_FDS` not a count (see
    ///   [`parse_listen_fds`](crate::notify::parse_listen_fds)), or
    ///   `$LISTEN_FDNAMES` names a different number of fds.
    /// - [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall)
    ///   when `$LISTEN_FDNAMES` is longer than [`FDNAMES_MAX`].
    /// - [`ErrorKind::Os`](crate::ErrorKind::Os) with `EBADF` when one of
    ///   the announced fds is not open.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`sd_listen_fds(3)`](https://man7.org/linux/man-pages/man3/sd_listen_fds.3.html),
    /// [`sd_listen_fds_with_names(3)`](https://man7.org/linux/man-pages/man3/sd_listen_fds_with_names.3.html),
    /// [freedesktop.org](https://www.freedesktop.org/software/systemd/man/latest/sd_listen_fds.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::notify::Env;
    /// use daemonry::process::CStrArrayBuf;
    /// let mut envp = CStrArrayBuf::<4>::new();
    /// envp.push(c"LISTEN_PID=1")?; // meant for pid 1, not for us
    /// envp.push(c"LISTEN_FDS=2")?;
    /// assert!(Env::new(envp.as_array()).listen_fds()?.is_empty());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "sd_listen_fds")]
    #[doc(alias = "sd_listen_fds_with_names")]
    pub fn listen_fds(&self) -> Result<ListenFds> {
        let mut fds = ListenFds::EMPTY;
        let bad = |v: &[u8]| Error::invalid(Op::ListenFds).with_input(v);
        let for_us = self.with_var(b"LISTEN_PID", |v| match v {
            None => Ok(false),
            Some(v) => match parse_env_pid(v.to_bytes()) {
                Some(pid) => Ok(pid == rustix::process::getpid()),
                None => Err(bad(v.to_bytes())),
            },
        })?;
        if !for_us {
            return Ok(fds);
        }
        let count = self.with_var(b"LISTEN_FDS", |v| match v {
            None => Ok(0),
            Some(v) => parse_listen_fds(v.to_bytes()),
        })?;
        if count == 0 {
            return Ok(fds);
        }
        self.with_var(b"LISTEN_FDNAMES", |v| {
            let Some(v) = v else {
                return Ok(());
            };
            let names = v.to_bytes();
            if fd_names(names).count() != count as usize {
                return Err(bad(names));
            }
            let Some(dst) = fds.names.get_mut(..names.len()) else {
                return Err(Error::buffer_too_small(Op::ListenFds, names.len()));
            };
            dst.copy_from_slice(names);
            fds.names_len = names.len();
            fds.named = true;
            Ok(())
        })?;
        fds.count = count;
        for fd in fds.raw_fds() {
            set_cloexec(fd).map_err(|e| Error::os(Op::ListenFds, e))?;
        }
        Ok(fds)
    }
}

/// Adds `FD_CLOEXEC` to `fd`'s flags (raw: the fd is not known to be open
/// yet, so no `BorrowedFd` may name it).
fn set_cloexec(fd: RawFd) -> core::result::Result<(), rustix::io::Errno> {
    let cloexec = linux_raw_sys::general::FD_CLOEXEC;
    let flags = crate::sys::fcntl_getfd(fd)?;
    if flags & cloexec == 0 {
        crate::sys::fcntl_setfd(fd, flags | cloexec)?;
    }
    Ok(())
}
