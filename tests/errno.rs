//! errno names, descriptions, aliases and `ignore_errno`.

#![allow(unsafe_code)] // strerror through libc, to compare with glibc.

use daemonry::{Errno, Error, ErrorKind, Op, errno};

/// Every errno constant linux-raw-sys exports, by name.
macro_rules! all_consts {
    ($($name:ident)*) => { &[$((stringify!($name), linux_raw_sys::errno::$name)),*] };
}

const ALL: &[(&str, u32)] = all_consts!(
    EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT
    ENOTBLK EBUSY EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG
    ENOSPC ESPIPE EROFS EMLINK EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY
    ELOOP EWOULDBLOCK ENOMSG EIDRM ECHRNG EL2NSYNC EL3HLT EL3RST ELNRNG EUNATCH ENOCSI EL2HLT
    EBADE EBADR EXFULL ENOANO EBADRQC EBADSLT EDEADLOCK EBFONT ENOSTR ENODATA ETIME ENOSR
    ENONET ENOPKG EREMOTE ENOLINK EADV ESRMNT ECOMM EPROTO EMULTIHOP EDOTDOT EBADMSG EOVERFLOW
    ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD ELIBSCN ELIBMAX ELIBEXEC EILSEQ ERESTART ESTRPIPE
    EUSERS ENOTSOCK EDESTADDRREQ EMSGSIZE EPROTOTYPE ENOPROTOOPT EPROTONOSUPPORT
    ESOCKTNOSUPPORT EOPNOTSUPP EPFNOSUPPORT EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN
    ENETUNREACH ENETRESET ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN
    ETOOMANYREFS ETIMEDOUT ECONNREFUSED EHOSTDOWN EHOSTUNREACH EALREADY EINPROGRESS ESTALE
    EUCLEAN ENOTNAM ENAVAIL EISNAM EREMOTEIO EDQUOT ENOMEDIUM EMEDIUMTYPE ECANCELED ENOKEY
    EKEYEXPIRED EKEYREVOKED EKEYREJECTED EOWNERDEAD ENOTRECOVERABLE ERFKILL EHWPOISON
);

#[test]
fn every_linux_raw_sys_errno_round_trips() {
    // 133 names on x86_64: every `pub const E*` of linux_raw_sys::errno.
    assert_eq!(ALL.len(), 133);
    for &(name, num) in ALL {
        let e = Errno::from_raw_os_error(num as i32);
        assert_eq!(errno::from_name(name), Some(e), "from_name({name})");
        let canonical = errno::name(e).unwrap_or_else(|| panic!("no name for {name}"));
        assert_eq!(errno::from_name(canonical), Some(e), "{canonical}");
        assert!(
            errno::description(e).is_some_and(|d| !d.is_empty()),
            "{name}"
        );
    }
}

#[test]
fn names_match_glibc_strerror_and_numbers() {
    // glibc's own view (through the libc crate): same numbers, same texts.
    for (e, name, desc) in errno::all() {
        let n = e.raw_os_error();
        // SAFETY: strerror returns a pointer to a NUL-terminated string.
        let glibc = unsafe { std::ffi::CStr::from_ptr(libc::strerror(n)) };
        assert_eq!(glibc.to_str().unwrap(), desc, "{name}");
    }
    assert_eq!(errno::all().count(), 131, "133 constants minus 2 aliases");
    assert_eq!(
        errno::from_name("EPERM").map(|e| e.raw_os_error()),
        Some(libc::EPERM)
    );
    assert_eq!(
        errno::from_name("EHWPOISON").map(|e| e.raw_os_error()),
        Some(libc::EHWPOISON)
    );
}

#[test]
fn aliases_parse_but_never_print() {
    assert_eq!(errno::from_name("EWOULDBLOCK"), Some(Errno::AGAIN));
    assert_eq!(errno::from_name("EDEADLOCK"), Some(Errno::DEADLK));
    assert_eq!(errno::from_name("ENOTSUP"), Some(Errno::OPNOTSUPP));
    assert_eq!(errno::name(Errno::AGAIN), Some("EAGAIN"));
    assert_eq!(errno::name(Errno::DEADLK), Some("EDEADLK"));
    assert_eq!(errno::name(Errno::OPNOTSUPP), Some("EOPNOTSUPP"));
}

#[test]
fn unknown_names_and_numbers() {
    for bad in [
        "", "E", "enoent", "ENOENT ", " ENOENT", "EFOO", "NOENT", "ENOENTX", "E\0",
    ] {
        assert_eq!(errno::from_name(bad), None, "{bad:?}");
    }
    for n in [41, 58, 134, 512, 4095] {
        let e = Errno::from_raw_os_error(n);
        assert_eq!(errno::name(e), None, "{n}");
        assert_eq!(errno::description(e), None, "{n}");
    }
}

#[test]
fn ignore_errno_for_each_error_type() {
    let list = [Errno::NOENT, Errno::BADF];
    // Errno
    assert_eq!(errno::ignore_errno(Ok::<_, Errno>(5), &list), Ok(Some(5)));
    assert_eq!(
        errno::ignore_errno(Err::<(), _>(Errno::BADF), &list),
        Ok(None)
    );
    assert_eq!(
        errno::ignore_errno(Err::<(), _>(Errno::PERM), &list),
        Err(Errno::PERM)
    );
    // daemonry::Error
    let e = Error::os(Op::OpenPidfile, Errno::NOENT);
    assert_eq!(errno::ignore_errno(Err::<(), _>(e), &list), Ok(None));
    let e = Error::os(Op::OpenPidfile, Errno::ACCESS);
    assert_eq!(errno::ignore_errno(Err::<(), _>(e), &list), Err(e));
    let no_errno = Error::invalid(Op::ParseUmask);
    assert_eq!(
        errno::ignore_errno(Err::<(), _>(no_errno), &list),
        Err(no_errno)
    );
    // std::io::Error, raw and wrapping a daemonry::Error
    #[cfg(feature = "std")]
    {
        let io = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert!(matches!(
            errno::ignore_errno(Err::<(), _>(io), &list),
            Ok(None)
        ));
        let io: std::io::Error = Error::os(Op::Stat, Errno::BADF).into();
        assert!(matches!(
            errno::ignore_errno(Err::<(), _>(io), &list),
            Ok(None)
        ));
        let io = std::io::Error::other("no errno");
        assert!(errno::ignore_errno(Err::<(), _>(io), &list).is_err());
    }
}

#[test]
fn error_display_is_symbolic() {
    assert_eq!(
        Error::os(Op::Setgroups, Errno::PERM).to_string(),
        "setgroups: EPERM (Operation not permitted)"
    );
    assert_eq!(
        Error::os(Op::Chdir, Errno::NOENT)
            .with_input(b"/nonexistent")
            .to_string(),
        "chdir: \"/nonexistent\": ENOENT (No such file or directory)"
    );
    assert_eq!(
        Error::new(ErrorKind::UnknownUser, Op::ParseUid)
            .with_input(b"bob")
            .to_string(),
        "parse_uid: unknown user \"bob\""
    );
    let long = Error::invalid(Op::ParseSignal).with_input(&[b'x'; 40]);
    assert_eq!(long.input().map(|n| n.is_truncated()), Some(true));
    assert!(long.to_string().ends_with("…\""), "{long}");
    let odd = Error::os(Op::Kill, Errno::from_raw_os_error(999));
    assert_eq!(odd.to_string(), "kill: errno 999");
    let pid = daemonry::Pid::from_raw(42);
    let lock = Error::lock_failed(Op::AcquirePidfile, pid);
    assert_eq!(lock.to_string(), "acquire pidfile: lock held by pid 42");
    let small = Error::buffer_too_small(Op::CloseRange, 300);
    assert_eq!(
        small.to_string(),
        "close_range: buffer too small (300 needed)"
    );
}

#[cfg(feature = "std")]
#[test]
fn error_into_io_error_keeps_kind_and_source() {
    let io: std::io::Error = Error::os(Op::OpenPidfile, Errno::NOENT).into();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    let inner = io
        .get_ref()
        .and_then(|e| e.downcast_ref::<Error>())
        .copied();
    assert_eq!(inner.and_then(|e| e.errno()), Some(Errno::NOENT));
    assert_eq!(
        io.to_string(),
        "open pidfile: ENOENT (No such file or directory)"
    );
    let io: std::io::Error = Error::invalid(Op::ParseUmask).into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
    let io: std::io::Error = Error::lock_failed(Op::AcquirePidfile, None).into();
    assert_eq!(io.kind(), std::io::ErrorKind::ResourceBusy);
    // Error is Copy and small enough to pass around freely.
    fn is_copy<T: Copy + std::error::Error + Send + Sync + 'static>() {}
    is_copy::<Error>();
    assert!(
        std::mem::size_of::<Error>() <= 128,
        "{}",
        std::mem::size_of::<Error>()
    );
}
