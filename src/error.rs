//! [`Error`]: a 32-byte `Copy` error value that keeps the errno, names the
//! failed operation as an [`Op`] callers can match, and remembers the
//! offending input; and the [`Result`] alias.

use core::fmt;
use rustix::io::Errno;
use rustix::process::Pid;

/// `Result<T, daemonry::Error>`.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// What went wrong, in categories a caller can act on.
///
/// The raw errno, when a system call failed, is in [`Error::errno`]; the
/// operation in [`Error::op`]; the offending input, when there is one, in
/// [`Error::input`]; the lock holder of a [`LockFailed`](ErrorKind::LockFailed)
/// in [`Error::pid`]; the size a [`BufferTooSmall`](ErrorKind::BufferTooSmall)
/// needed in [`Error::needed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum ErrorKind {
    /// A system call failed; [`Error::errno`] says why.
    Os,
    /// A pidfile lock is held by another live process ([`Error::pid`] is
    /// the holder, when it could be read).
    LockFailed,
    /// A user name did not resolve ([`Error::input`] holds it).
    UnknownUser,
    /// A group name did not resolve ([`Error::input`] holds it).
    UnknownGroup,
    /// Input was malformed: a bad umask, signal name, pidfile contents, a
    /// NUL inside a name, …
    InvalidInput,
    /// A privilege change could not be verified (for example root could be
    /// regained after a drop), or the starting state looks unsafe.
    Security,
    /// A per-thread system call (credentials, raw fork) was refused because
    /// the process runs more than one thread.
    MultiThreaded,
    /// A caller-provided or fixed-size buffer was too small;
    /// [`Error::needed`] is the size that would have been enough, when known.
    BufferTooSmall,
}

impl ErrorKind {
    const ALL: [ErrorKind; 8] = [
        ErrorKind::Os,
        ErrorKind::LockFailed,
        ErrorKind::UnknownUser,
        ErrorKind::UnknownGroup,
        ErrorKind::InvalidInput,
        ErrorKind::Security,
        ErrorKind::MultiThreaded,
        ErrorKind::BufferTooSmall,
    ];

    /// What the kind means, for messages (`"unknown user"`); empty for
    /// [`Os`](ErrorKind::Os), whose errno says it.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(daemonry::ErrorKind::UnknownUser.as_str(), "unknown user");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Os => "",
            ErrorKind::LockFailed => "lock held by another process",
            ErrorKind::UnknownUser => "unknown user",
            ErrorKind::UnknownGroup => "unknown group",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Security => "security check failed",
            ErrorKind::MultiThreaded => "refused in a multi-threaded process",
            ErrorKind::BufferTooSmall => "buffer too small",
        }
    }
}

macro_rules! ops {
    ($($(#[$m:meta])* $v:ident => $s:literal,)*) => {
        /// The operation that failed: data a caller can `match`, never a
        /// string to compare.
        ///
        /// [`Op::as_str`] (and `Display`) give the text used in messages,
        /// usually the system call or the function's name.
        ///
        /// # Examples
        ///
        /// ```
        /// use daemonry::{Op, parse_signal};
        /// let e = parse_signal("SIGNOPE").unwrap_err();
        /// assert_eq!(e.op(), Op::ParseSignal);
        /// assert_eq!(Op::ParseSignal.to_string(), "parse_signal");
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #[repr(u8)]
        pub enum Op {
            $($(#[$m])* $v,)*
        }

        impl Op {
            const ALL: &'static [Op] = &[$(Op::$v,)*];

            /// The operation's name in messages (`"setgroups"`,
            /// `"open pidfile"`).
            ///
            /// # Examples
            ///
            /// ```
            /// assert_eq!(daemonry::Op::OpenPidfile.as_str(), "open pidfile");
            /// ```
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Op::$v => $s,)*
                }
            }
        }
    };
}

ops! {
    // account
    /// Opening the passwd database.
    OpenPasswd => "open passwd database",
    /// Reading the passwd database.
    ReadPasswd => "read passwd database",
    /// Opening the group database.
    OpenGroup => "open group database",
    /// Reading the group database.
    ReadGroup => "read group database",
    /// Resolving a user ([`parse_uid`](crate::parse_uid) and every function
    /// taking a user).
    ParseUid => "parse_uid",
    /// Resolving a group ([`parse_gid`](crate::parse_gid) and every function
    /// taking a group).
    ParseGid => "parse_gid",
    /// Collecting a user's groups ([`AccountDb::group_list`](crate::AccountDb::group_list)).
    GroupList => "group_list",
    // privilege
    /// `setresuid(2)`.
    Setuid => "setuid",
    /// `setresgid(2)`.
    Setgid => "setgid",
    /// `setgroups(2)`.
    Setgroups => "setgroups",
    /// `initgroups(3)`'s work.
    Initgroups => "initgroups",
    /// Dropping privileges as a whole.
    DropPrivileges => "drop_privileges",
    /// Verifying a privilege drop (root must not be regainable).
    VerifyPrivileges => "verify dropped privileges",
    /// Checking the process's privileges.
    CheckPrivileges => "check_privileges",
    /// `capget(2)`: reading the capability sets.
    Capget => "capget",
    /// `capset(2)`: lowering the capability sets.
    Capset => "capset",
    /// `prctl(PR_GET_SECUREBITS)`, or securebits that keep root's
    /// capabilities across a drop (kind
    /// [`Security`](ErrorKind::Security)).
    Securebits => "securebits",
    /// `prctl(PR_SET_KEEPCAPS)`.
    KeepCaps => "keepcaps",
    /// `prctl(PR_CAP_AMBIENT)`: the ambient capability set.
    AmbientCaps => "ambient capabilities",
    /// `prctl(PR_SET_NO_NEW_PRIVS)`.
    NoNewPrivs => "no_new_privs",
    /// Counting the process's threads.
    CountThreads => "count threads",
    // fd
    /// `close_range(2)`.
    CloseRange => "close_range",
    /// Listing `/proc/self/fd`.
    ReadProcFd => "read /proc/self/fd",
    /// `fcntl(2)` on a descriptor's flags.
    Fcntl => "fcntl",
    /// `stat(2)` of a path.
    Stat => "stat",
    // signal
    /// `rt_sigaction(2)`: reading or changing a disposition.
    Sigaction => "sigaction",
    /// `rt_sigprocmask(2)`: the signal mask.
    Sigprocmask => "sigprocmask",
    /// Building a signal set.
    SigSet => "signal set",
    /// `rt_sigtimedwait(2)`.
    Sigtimedwait => "sigtimedwait",
    /// `kill(2)`.
    Kill => "kill",
    /// `setitimer(2)`: the alarm.
    Setitimer => "setitimer",
    /// Parsing a signal name or number.
    ParseSignal => "parse_signal",
    /// `signalfd4(2)`: creating a [`SignalFd`](crate::signal::SignalFd) or
    /// changing its signals.
    Signalfd => "signalfd",
    /// Reading a [`SignalFd`](crate::signal::SignalFd).
    ReadSignalfd => "read signalfd",
    // process
    /// `fork(2)`.
    Fork => "fork",
    /// `setsid(2)`.
    Setsid => "setsid",
    /// `execve(2)`.
    Execve => "execve",
    /// `execvpe(3)`'s `PATH` search.
    Execvpe => "execvpe",
    /// `waitpid(2)`.
    Waitpid => "waitpid",
    /// `setpgid(2)`.
    Setpgid => "setpgid",
    /// `tcsetpgrp(3)`.
    Tcsetpgrp => "tcsetpgrp",
    /// `tcgetpgrp(3)`.
    Tcgetpgrp => "tcgetpgrp",
    /// `prctl(PR_SET_CHILD_SUBREAPER)`.
    SetChildSubreaper => "set_child_subreaper",
    /// `prctl(PR_GET_CHILD_SUBREAPER)`.
    GetChildSubreaper => "get_child_subreaper",
    /// `prctl(PR_SET_PDEATHSIG)`.
    SetPdeathsig => "set_pdeathsig",
    /// `prctl(PR_GET_PDEATHSIG)`.
    GetPdeathsig => "get_pdeathsig",
    /// Parsing an octal umask.
    ParseUmask => "parse_umask",
    /// `pipe2(2)`.
    Pipe => "pipe",
    /// `setrlimit(2)`.
    Setrlimit => "setrlimit",
    /// `chroot(2)` (with the `chdir(2)` into the new root before it).
    Chroot => "chroot",
    /// `setpriority(2)`: a nice value.
    Setpriority => "setpriority",
    // title
    /// `prctl(PR_SET_NAME)`.
    SetName => "set_name",
    /// `prctl(PR_GET_NAME)`.
    GetName => "get_name",
    /// Rewriting the process title.
    SetProcessTitle => "set_process_title",
    /// Finding the argv area in `/proc/self/stat`.
    ReadArgv => "read argv bounds from /proc/self/stat",
    // pidfile
    /// Checking or resolving a pidfile's path.
    PidfilePath => "pidfile path",
    /// Checking a pidfile's directory.
    PidfileDir => "pidfile directory",
    /// Opening a pidfile.
    OpenPidfile => "open pidfile",
    /// Creating a pidfile.
    CreatePidfile => "create pidfile",
    /// Reading a pidfile.
    ReadPidfile => "read pidfile",
    /// Parsing a pidfile's contents.
    ParsePid => "parse pidfile",
    /// Writing a pidfile.
    WritePidfile => "write pidfile",
    /// `flock(2)` on a pidfile.
    LockPidfile => "flock pidfile",
    /// `fstat(2)` or `stat(2)` of a pidfile.
    StatPidfile => "stat pidfile",
    /// Publishing a pidfile under its name (link or rename).
    PublishPidfile => "publish pidfile",
    /// Removing a pidfile.
    RemovePidfile => "remove pidfile",
    /// Acquiring a pidfile lock.
    AcquirePidfile => "acquire pidfile",
    /// Refusing a file that is not a pidfile (text, binary, longer than 32
    /// bytes, or not a regular file): never removed or replaced (kind
    /// [`InvalidInput`](ErrorKind::InvalidInput)).
    NotAPidfile => "not a pidfile",
    /// Refusing a lock-less pidfile that other users could have written:
    /// owned by another user, writable by others, or in a directory others
    /// can write (kind [`Security`](ErrorKind::Security)).
    UntrustedPidfile => "untrusted pidfile",
    /// Inspecting a pidfile's holders through `/proc`.
    PidfileHolders => "verify pidfile holders",
    /// `pidfd_open(2)` of a pidfile's holder.
    PidfdOpen => "pidfd_open",
    /// `pidfd_send_signal(2)` to a pidfile's holder.
    SignalHolder => "pidfd_send_signal",
    /// `poll(2)` on a holder's pidfd: waiting for it to exit.
    WaitHolder => "wait for pidfile holder",
    // daemon
    /// Starting the daemon's double fork.
    Daemonize => "daemonize",
    /// `chdir(2)` to the working directory.
    Chdir => "chdir",
    /// Opening `/dev/null`.
    OpenDevNull => "open /dev/null",
    /// Opening a log file.
    OpenLog => "open log file",
    /// `dup2(2)`/`dup3(2)` onto standard input, output or error.
    Dup => "dup2",
    /// The daemon's readiness pipe.
    ReadyPipe => "daemon readiness",
    /// The daemon ended (exited, was killed or dropped its
    /// [`Daemon`](crate::daemon::Daemon) handle) before it reported ready
    /// or failed: `EPIPE`.
    NotReady => "the daemon ended before it reported ready",
    /// A caller's hook (for example
    /// [`DaemonContext::after_chdir`](crate::DaemonContext::after_chdir))
    /// failed; its error says more.
    Hook => "hook",
    // notify
    /// Reading `$NOTIFY_SOCKET` ([`parse_notify_socket`](crate::notify::parse_notify_socket)).
    ParseNotifySocket => "parse NOTIFY_SOCKET",
    /// Sending a notification to the service manager (`sd_notify(3)`).
    Notify => "notify",
    /// Waiting until the service manager has read earlier notifications
    /// (`sd_notify_barrier(3)`).
    NotifyBarrier => "notify barrier",
    /// Building or parsing a notification message.
    NotifyMessage => "notify message",
    /// Taking over the sockets a service manager passed (`sd_listen_fds(3)`).
    ListenFds => "listen_fds",
    /// Reading `$WATCHDOG_USEC` and `$WATCHDOG_PID`.
    WatchdogInterval => "watchdog_interval",
    /// Creating a socket that receives notifications.
    NotifySocket => "create notify socket",
    /// Receiving or waiting for notifications.
    NotifyRecv => "receive notification",
    /// Walking `/proc/<pid>/stat` parent links.
    IsDescendant => "is_descendant",
}

/// Most input bytes an [`Error`] keeps inline.
const INPUT_CAP: usize = 27;
/// `tag` values: nothing, a number (pid or size) in `buf[..4]`, or input.
const TAG_NONE: u8 = 0;
const TAG_NUM: u8 = 1;
const TAG_INPUT: u8 = 0x80;
const TAG_TRUNCATED: u8 = 0x40;
const TAG_LEN: u8 = 0x3f;

/// daemonry's error: a kind, the operation that failed, the raw errno when
/// a system call failed, and the offending input when there was one (its
/// first 27 bytes, inline), all in 32 bytes.
///
/// `Error` is `Copy` and never allocates, so it can be created, returned and
/// even formatted (into a stack buffer) between `fork` and `exec`. Match on
/// [`kind`](Error::kind) and [`op`](Error::op), never on the text.
///
/// `Display` renders the errno symbolically with the crate's own table, in
/// `no_std` too: `setgroups: EPERM (Operation not permitted)`.
///
/// # Examples
///
/// ```
/// use daemonry::{Errno, Error, ErrorKind, Op};
/// let e = Error::os(Op::Setgroups, Errno::PERM);
/// assert_eq!(e.kind(), ErrorKind::Os);
/// assert_eq!(e.op(), Op::Setgroups);
/// assert_eq!(e.errno(), Some(Errno::PERM));
/// assert_eq!(e.to_string(), "setgroups: EPERM (Operation not permitted)");
/// assert!(size_of::<Error>() <= 32);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    op: Op,
    /// The raw errno, 0 for none.
    errno: u16,
    tag: u8,
    buf: [u8; INPUT_CAP],
}

/// The offending input an [`Error`] remembers: up to 27 bytes, flagged when
/// the original was longer.
///
/// `Display` shows the bytes (invalid UTF-8 as `\xNN`, a cut input ending
/// in `…`); `Debug` adds quotes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ErrorInput<'a> {
    bytes: &'a [u8],
    truncated: bool,
}

impl<'a> ErrorInput<'a> {
    /// The kept bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Error, Op};
    /// let e = Error::invalid(Op::ParseUmask).with_input(b"999");
    /// assert_eq!(e.input().unwrap().as_bytes(), b"999");
    /// ```
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Whether the original input was longer than what is kept
    /// ([`Error::with_input`] shows it in its example).
    pub const fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for ErrorInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::name::fmt_bytes(f, self.bytes, self.truncated)
    }
}

impl fmt::Debug for ErrorInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl Error {
    /// An error of `kind` during `op`.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Error, ErrorKind, Op};
    /// let e = Error::new(ErrorKind::UnknownUser, Op::ParseUid).with_input(b"bob");
    /// assert_eq!(e.to_string(), "parse_uid: unknown user \"bob\"");
    /// ```
    pub const fn new(kind: ErrorKind, op: Op) -> Error {
        Error {
            kind,
            op,
            errno: 0,
            tag: TAG_NONE,
            buf: [0; INPUT_CAP],
        }
    }

    /// A failed system call: kind [`ErrorKind::Os`] with `errno`.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Errno, Error, Op};
    /// let e = Error::os(Op::Chdir, Errno::NOENT).with_input(b"/srv");
    /// assert_eq!(e.to_string(), "chdir: \"/srv\": ENOENT (No such file or directory)");
    /// ```
    pub const fn os(op: Op, errno: Errno) -> Error {
        Error::new(ErrorKind::Os, op).with_errno(errno)
    }

    /// Malformed input: kind [`ErrorKind::InvalidInput`].
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Error, ErrorKind, Op};
    /// assert_eq!(Error::invalid(Op::ParseUmask).kind(), ErrorKind::InvalidInput);
    /// ```
    pub const fn invalid(op: Op) -> Error {
        Error::new(ErrorKind::InvalidInput, op)
    }

    /// A held lock: kind [`ErrorKind::LockFailed`], with the holder when
    /// known.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Error, Op, Pid};
    /// let e = Error::lock_failed(Op::AcquirePidfile, Pid::from_raw(42));
    /// assert_eq!(e.pid(), Pid::from_raw(42));
    /// assert_eq!(e.to_string(), "acquire pidfile: lock held by pid 42");
    /// ```
    pub const fn lock_failed(op: Op, holder: Option<Pid>) -> Error {
        let e = Error::new(ErrorKind::LockFailed, op);
        match holder {
            Some(p) => e.with_number(p.as_raw_nonzero().get() as u32),
            None => e,
        }
    }

    /// A short buffer: kind [`ErrorKind::BufferTooSmall`], with the size
    /// that would have been enough (0 if unknown).
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Error, Op};
    /// let e = Error::buffer_too_small(Op::GroupList, 70);
    /// assert_eq!(e.needed(), Some(70));
    /// ```
    pub const fn buffer_too_small(op: Op, needed: usize) -> Error {
        let e = Error::new(ErrorKind::BufferTooSmall, op);
        if needed == 0 {
            e
        } else if needed > u32::MAX as usize {
            e.with_number(u32::MAX)
        } else {
            e.with_number(needed as u32)
        }
    }

    const fn with_number(mut self, n: u32) -> Error {
        let b = n.to_le_bytes();
        self.tag = TAG_NUM;
        self.buf = [0; INPUT_CAP];
        self.buf[0] = b[0];
        self.buf[1] = b[1];
        self.buf[2] = b[2];
        self.buf[3] = b[3];
        self
    }

    const fn number(&self) -> Option<u32> {
        if self.tag == TAG_NUM {
            Some(u32::from_le_bytes([
                self.buf[0],
                self.buf[1],
                self.buf[2],
                self.buf[3],
            ]))
        } else {
            None
        }
    }

    /// The same error, remembering the offending input (its first 27
    /// bytes).
    ///
    /// Input longer than 27 bytes keeps its first 27 and says so
    /// ([`ErrorInput::is_truncated`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Error, Op};
    /// let e = Error::invalid(Op::ParseSignal).with_input(&[b'x'; 40]);
    /// let kept = e.input().unwrap();
    /// assert_eq!(kept.as_bytes().len(), 27);
    /// assert!(kept.is_truncated());
    /// ```
    pub const fn with_input(mut self, input: &[u8]) -> Error {
        let (len, trunc) = if input.len() > INPUT_CAP {
            (INPUT_CAP, TAG_TRUNCATED)
        } else {
            (input.len(), 0)
        };
        self.buf = [0; INPUT_CAP];
        let mut i = 0;
        while i < len {
            self.buf[i] = input[i];
            i += 1;
        }
        self.tag = TAG_INPUT | trunc | len as u8;
        self
    }

    /// The same error, carrying `errno`.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Errno, Error, Op};
    /// let e = Error::invalid(Op::OpenLog).with_errno(Errno::ACCESS);
    /// assert_eq!(e.errno(), Some(Errno::ACCESS));
    /// ```
    pub const fn with_errno(mut self, errno: Errno) -> Error {
        let raw = errno.raw_os_error();
        self.errno = if raw > 0 && raw <= u16::MAX as i32 {
            raw as u16
        } else {
            0
        };
        self
    }

    /// The same error, for another operation.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Errno, Error, Op};
    /// let e = Error::os(Op::Stat, Errno::NOENT).with_op(Op::OpenPidfile);
    /// assert_eq!(e.op(), Op::OpenPidfile);
    /// ```
    pub const fn with_op(mut self, op: Op) -> Error {
        self.op = op;
        self
    }

    /// What went wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{ErrorKind, parse_umask};
    /// assert_eq!(parse_umask("9").unwrap_err().kind(), ErrorKind::InvalidInput);
    /// ```
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The operation that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Op, parse_umask};
    /// assert_eq!(parse_umask("9").unwrap_err().op(), Op::ParseUmask);
    /// ```
    pub const fn op(&self) -> Op {
        self.op
    }

    /// The raw errno, when a system call failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Errno, Error, Op};
    /// assert_eq!(Error::os(Op::Kill, Errno::SRCH).errno(), Some(Errno::SRCH));
    /// assert_eq!(Error::invalid(Op::ParseUmask).errno(), None);
    /// ```
    pub const fn errno(&self) -> Option<Errno> {
        if self.errno == 0 {
            None
        } else {
            Some(Errno::from_raw_os_error(self.errno as i32))
        }
    }

    /// The offending input (a user name, a signal name, …), when there was
    /// one.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::parse_umask;
    /// let e = parse_umask("0o1777").unwrap_err();
    /// assert_eq!(e.input().unwrap().as_bytes(), b"0o1777");
    /// ```
    pub fn input(&self) -> Option<ErrorInput<'_>> {
        if self.tag & TAG_INPUT == 0 {
            return None;
        }
        let len = usize::from(self.tag & TAG_LEN);
        Some(ErrorInput {
            bytes: self.buf.get(..len).unwrap_or(&self.buf),
            truncated: self.tag & TAG_TRUNCATED != 0,
        })
    }

    /// The lock holder of a [`LockFailed`](ErrorKind::LockFailed) error,
    /// when it was known.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Error, Op};
    /// assert_eq!(Error::lock_failed(Op::AcquirePidfile, None).pid(), None);
    /// ```
    pub const fn pid(&self) -> Option<Pid> {
        match (self.kind, self.number()) {
            (ErrorKind::LockFailed, Some(n)) if n <= i32::MAX as u32 => Pid::from_raw(n as i32),
            _ => None,
        }
    }

    /// The size that would have been enough, for a
    /// [`BufferTooSmall`](ErrorKind::BufferTooSmall) error, when known.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::{Error, Op};
    /// assert_eq!(Error::buffer_too_small(Op::CloseRange, 300).needed(), Some(300));
    /// ```
    pub const fn needed(&self) -> Option<usize> {
        match (self.kind, self.number()) {
            (ErrorKind::BufferTooSmall, Some(n)) => Some(n as usize),
            _ => None,
        }
    }

    /// The error as 32 bytes, for a pipe between processes (see
    /// [`Error::from_bytes`]).
    pub(crate) fn to_bytes(self) -> [u8; 32] {
        let mut w = [0u8; 32];
        w[0] = self.kind as u8;
        w[1] = self.op as u8;
        w[2..4].copy_from_slice(&self.errno.to_le_bytes());
        w[4] = self.tag;
        w[5..].copy_from_slice(&self.buf);
        w
    }

    /// The inverse of [`Error::to_bytes`]; `None` for bytes no `Error`
    /// produces.
    pub(crate) fn from_bytes(w: &[u8; 32]) -> Option<Error> {
        let kind = *ErrorKind::ALL.get(usize::from(w[0]))?;
        let op = *Op::ALL.get(usize::from(w[1]))?;
        let tag = w[4];
        let valid = tag == TAG_NONE
            || tag == TAG_NUM
            || (tag & TAG_INPUT != 0 && usize::from(tag & TAG_LEN) <= INPUT_CAP);
        if !valid {
            return None;
        }
        let mut buf = [0u8; INPUT_CAP];
        buf.copy_from_slice(&w[5..]);
        Some(Error {
            kind,
            op,
            errno: u16::from_le_bytes([w[2], w[3]]),
            tag,
            buf,
        })
    }
}

/// Writes `"EPERM (Operation not permitted)"`-style text for an errno.
pub(crate) fn fmt_errno(f: &mut fmt::Formatter<'_>, e: Errno) -> fmt::Result {
    match (crate::errno::name(e), crate::errno::description(e)) {
        (Some(n), Some(d)) => write!(f, "{n} ({d})"),
        _ => write!(f, "errno {}", e.raw_os_error()),
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Os => f.write_str("system call failed"),
            k => f.write_str(k.as_str()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.op.as_str())?;
        f.write_str(": ")?;
        if self.kind == ErrorKind::Os {
            if let Some(input) = self.input() {
                write!(f, "{input:?}: ")?;
            }
            return match self.errno() {
                Some(e) => fmt_errno(f, e),
                None => f.write_str("system call failed"),
            };
        }
        match self.pid() {
            Some(p) => write!(f, "lock held by pid {}", p.as_raw_nonzero())?,
            None => f.write_str(self.kind.as_str())?,
        }
        if let Some(n) = self.needed() {
            write!(f, " ({n} needed)")?;
        }
        if let Some(input) = self.input() {
            write!(f, " {input:?}")?;
        }
        if let Some(e) = self.errno() {
            f.write_str(": ")?;
            fmt_errno(f, e)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("op", &self.op);
        if let Some(e) = self.errno() {
            d.field("errno", &crate::errno::name(e).unwrap_or("?"));
        }
        if let Some(i) = self.input() {
            d.field("input", &i);
        }
        if let Some(p) = self.pid() {
            d.field("pid", &p.as_raw_nonzero());
        }
        if let Some(n) = self.needed() {
            d.field("needed", &n);
        }
        d.field("message", &format_args!("{self}"));
        d.finish()
    }
}

/// Attaches an [`Op`] to a bare `Errno` result (crate-internal).
pub(crate) trait Context<T> {
    /// `Err(errno)` becomes `Err(Error::os(op, errno))`.
    fn ctx(self, op: Op) -> Result<T>;
}

impl<T> Context<T> for core::result::Result<T, Errno> {
    #[inline]
    fn ctx(self, op: Op) -> Result<T> {
        self.map_err(|e| Error::os(op, e))
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl std::error::Error for Error {}

/// With `std`: wraps the error in an `io::Error` whose kind follows the
/// errno when there is one (so `ENOENT` is `NotFound`), and otherwise the
/// [`ErrorKind`]. The `daemonry::Error` stays reachable through
/// `get_ref()`/`into_inner()` and downcasting. This allocates.
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        use std::io::ErrorKind as K;
        let kind = match (e.errno(), e.kind) {
            (Some(errno), _) => std::io::Error::from_raw_os_error(errno.raw_os_error()).kind(),
            (None, ErrorKind::LockFailed) => K::ResourceBusy,
            (None, ErrorKind::UnknownUser | ErrorKind::UnknownGroup) => K::NotFound,
            (None, ErrorKind::InvalidInput) => K::InvalidInput,
            (None, ErrorKind::Security) => K::PermissionDenied,
            (None, ErrorKind::BufferTooSmall) => K::InvalidInput,
            (None, _) => K::Other,
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_in_32_bytes() {
        assert_eq!(size_of::<Error>(), 32);
        assert!(size_of::<Result<()>>() <= 32);
    }

    #[test]
    fn round_trips_through_bytes() {
        let samples = [
            Error::os(Op::Chdir, Errno::NOENT).with_input(b"/nonexistent"),
            Error::lock_failed(Op::AcquirePidfile, Pid::from_raw(42)),
            Error::buffer_too_small(Op::GroupList, 70_000),
            Error::new(ErrorKind::UnknownUser, Op::ParseUid)
                .with_input(b"a-user-name-longer-than-twenty-seven-bytes"),
            Error::invalid(Op::ReadyPipe),
        ];
        for e in samples {
            assert_eq!(Error::from_bytes(&e.to_bytes()), Some(e));
        }
        let mut bad = samples[0].to_bytes();
        bad[1] = 0xff;
        assert_eq!(Error::from_bytes(&bad), None);
    }

    #[test]
    fn keeps_pid_needed_and_input() {
        let e = Error::lock_failed(Op::AcquirePidfile, Pid::from_raw(7));
        assert_eq!(e.pid(), Pid::from_raw(7));
        assert_eq!(e.input(), None);
        let e = Error::buffer_too_small(Op::GroupList, 3);
        assert_eq!(e.needed(), Some(3));
        let long = [b'x'; 40];
        let e = Error::invalid(Op::ParseSignal).with_input(&long);
        let i = e.input().unwrap();
        assert_eq!(i.as_bytes(), &long[..27]);
        assert!(i.is_truncated());
    }
}
