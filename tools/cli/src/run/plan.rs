//! The launcher's pre-flight: everything `start` and `supervise` can check
//! and resolve before anything changes — paths made absolute against the
//! caller's working directory, user and group resolved to ids (a uid
//! without a passwd entry gets gid = uid unless a group is given), the
//! account databases read while the host's `/etc` is still the root, the
//! environment CMD will get. `--test` runs only this (and the checks in
//! [`Plan::test`]) and changes nothing.

use super::{Failure, code, errno_text};
use daemonry::account::{GroupRef, UserRef};
use daemonry::{AccountDb, Errno, Gid, Uid};
use daemonry_cli::args::{Start, TypedPath, quote};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// A path as the user typed it and as it will be used (absolute).
#[derive(Debug, Clone)]
pub struct Resolved {
    /// As typed, for messages.
    pub typed: TypedPath,
    /// Absolute (against the caller's cwd), as a C string.
    pub c: CString,
}

impl Resolved {
    /// `typed`, made absolute against `cwd`.
    pub fn new(typed: &TypedPath, cwd: &Path) -> Resolved {
        let abs = typed.resolve(cwd);
        Resolved {
            typed: typed.clone(),
            // TypedPath refuses NUL bytes.
            c: CString::new(abs.into_os_string().into_vec()).unwrap_or_default(),
        }
    }

    /// The absolute path.
    pub fn path(&self) -> &Path {
        Path::new(OsStr::from_bytes(self.c.as_bytes()))
    }
}

/// The account databases, read in the launcher (the daemon may be in a
/// `--chroot` by the time it drops privileges).
#[derive(Debug, Default, Clone)]
pub struct Accounts {
    passwd: Vec<u8>,
    group: Vec<u8>,
}

impl Accounts {
    fn read() -> Result<Accounts, Failure> {
        let read = |p: &str| match std::fs::read(p) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(Failure::new(code::FAILURE, format!("read {p}: {e}"))),
        };
        Ok(Accounts {
            passwd: read("/etc/passwd")?,
            group: read("/etc/group")?,
        })
    }

    /// A database over the bytes read.
    pub fn db(&self) -> AccountDb<'_> {
        AccountDb::from_bytes(&self.passwd, &self.group)
    }
}

/// What the process that becomes CMD does before `exec` (see
/// [`child::prepare`](super::child::prepare)); cloned into the
/// supervisor's spawn hook.
#[derive(Debug, Clone)]
pub struct Steps {
    /// `--chroot`, absolute.
    pub chroot: Option<CString>,
    /// The directory to change to (inside the chroot): absolute.
    pub workdir: CString,
    /// `--nice`.
    pub nice: Option<i32>,
    /// The target uid.
    pub uid: Option<Uid>,
    /// The target gid.
    pub gid: Option<Gid>,
    /// The databases for the drop.
    pub accounts: Accounts,
    /// `--no-new-privs`.
    pub no_new_privs: bool,
}

/// Everything `start`/`supervise` needs, resolved.
#[derive(Debug)]
pub struct Plan {
    /// `--pidfile`.
    pub pidfile: Resolved,
    /// CMD's stdout log.
    pub stdout: Option<Resolved>,
    /// CMD's stderr log.
    pub stderr: Option<Resolved>,
    /// The target uid (`--user`).
    pub uid: Option<Uid>,
    /// The target gid (`--group`, `--user U:G`, the user's primary group,
    /// or the uid of a user without an entry).
    pub gid: Option<Gid>,
    /// `--umask`.
    pub umask: Option<u32>,
    /// `--chroot`, absolute.
    pub chroot: Option<Resolved>,
    /// The steps before `exec`.
    pub steps: Steps,
    /// CMD's environment (`--clear-env`, `--env`), without `NOTIFY_SOCKET`.
    pub env: Vec<(OsString, OsString)>,
    /// CMD and its arguments.
    pub argv: Vec<OsString>,
    /// The options as typed.
    pub start: Start,
}

/// Resolves a `--user`/`--group` pair to ids.
///
/// # Errors
///
/// Exit status 67 for an unknown name (or a malformed number), 1 when the
/// database cannot be read.
pub fn resolve_ids(
    user: Option<&OsStr>,
    group: Option<&OsStr>,
    db: &AccountDb<'_>,
) -> Result<(Option<Uid>, Option<Gid>), Failure> {
    let lookup_failed = |what: &str, e: daemonry::Error| {
        Failure::new(code::FAILURE, format!("look up {what}: {e}"))
    };
    let gid = match group {
        None => None,
        Some(g) => {
            let unknown = || Failure::new(code::NOUSER, format!("unknown group {}", quote(g)));
            Some(
                match GroupRef::parse(g.as_bytes()).map_err(|_| unknown())? {
                    GroupRef::Gid(gid) => gid,
                    GroupRef::Name(n) => match db.group_by_name(n) {
                        Ok(Some(gr)) => gr.gid,
                        Ok(None) => return Err(unknown()),
                        Err(e) => return Err(lookup_failed("group", e)),
                    },
                    _ => return Err(unknown()),
                },
            )
        }
    };
    let Some(u) = user else {
        return Ok((None, gid));
    };
    let unknown = || Failure::new(code::NOUSER, format!("unknown user {}", quote(u)));
    let (uid, primary) = match UserRef::parse(u.as_bytes()).map_err(|_| unknown())? {
        UserRef::Uid(uid) => match db.user_by_uid(uid) {
            Ok(Some(entry)) => (uid, entry.gid),
            // No entry: gid = uid (SPEC §4).
            Ok(None) => (uid, Gid::from_raw(uid.as_raw())),
            Err(e) => return Err(lookup_failed("user", e)),
        },
        UserRef::Name(n) => match db.user_by_name(n) {
            Ok(Some(entry)) => (entry.uid, entry.gid),
            Ok(None) => return Err(unknown()),
            Err(e) => return Err(lookup_failed("user", e)),
        },
        _ => return Err(unknown()),
    };
    Ok((Some(uid), Some(gid.unwrap_or(primary))))
}

impl Plan {
    /// Resolves `start`'s options against the caller's working directory
    /// `cwd`.
    ///
    /// # Errors
    ///
    /// 67 for an unknown user or group.
    pub fn new(start: &Start, cwd: &Path) -> Result<Plan, Failure> {
        // Read only when a drop needs them (and before any chroot).
        let accounts = if start.user.is_some() || start.group.is_some() {
            Accounts::read()?
        } else {
            Accounts::default()
        };
        let (uid, gid) = resolve_ids(
            start.user.as_deref(),
            start.group.as_deref(),
            &accounts.db(),
        )?;
        let chroot = start.chroot.as_ref().map(|c| Resolved::new(c, cwd));
        let workdir = match (&start.workdir, &chroot) {
            (None, _) => PathBuf::from("/"),
            // Inside the new root: relative means relative to it.
            (Some(w), Some(_)) => Path::new("/").join(w.as_path()),
            (Some(w), None) => w.resolve(cwd),
        };
        let mut env: Vec<(OsString, OsString)> = if start.clear_env {
            Vec::new()
        } else {
            std::env::vars_os().collect()
        };
        for e in &start.env {
            env.retain(|(k, _)| *k != e.name);
            env.push((e.name.clone(), e.value.clone()));
        }
        Ok(Plan {
            pidfile: Resolved::new(&start.pidfile, cwd),
            stdout: start.stdout.as_ref().map(|p| Resolved::new(p, cwd)),
            stderr: start.stderr.as_ref().map(|p| Resolved::new(p, cwd)),
            uid,
            gid,
            umask: start.umask,
            steps: Steps {
                chroot: chroot.as_ref().map(|r| r.c.clone()),
                workdir: CString::new(workdir.into_os_string().into_vec()).unwrap_or_default(),
                nice: start.nice,
                uid,
                gid,
                accounts,
                no_new_privs: start.no_new_privs,
            },
            chroot,
            env,
            argv: start.command.clone(),
            start: start.clone(),
        })
    }

    /// CMD's environment with `extra` (e.g. `NOTIFY_SOCKET`) set.
    pub fn env_with(&self, extra: Option<(&OsStr, &OsStr)>) -> Vec<(OsString, OsString)> {
        let mut env = self.env.clone();
        if let Some((k, v)) = extra {
            env.retain(|(name, _)| name.as_os_str() != k);
            env.push((k.to_os_string(), v.to_os_string()));
        }
        env
    }

    /// A path inside the chroot (or the path itself without one).
    pub fn in_root(&self, p: &Path) -> PathBuf {
        match &self.chroot {
            Some(root) => root.path().join(p.strip_prefix("/").unwrap_or(p)),
            None => p.to_path_buf(),
        }
    }

    /// `--test`: the checks that the real start makes later, made now
    /// without changing anything: the pidfile is free, the log files can
    /// be opened for appending, the chroot and working directory exist,
    /// CMD is found and executable.
    ///
    /// # Errors
    ///
    /// The status and message the real start would give.
    pub fn test(&self) -> Result<(), Failure> {
        check_pidfile(&self.pidfile)?;
        for log in [&self.stdout, &self.stderr].into_iter().flatten() {
            check_log(log)?;
        }
        if let Some(root) = &self.chroot {
            check_dir("chroot", &root.typed, root.path())?;
        }
        let wd = self.in_root(Path::new(OsStr::from_bytes(self.steps.workdir.as_bytes())));
        if let Some(typed) = &self.start.workdir {
            check_dir("chdir", typed, &wd)?;
        }
        self.find_command().map(|_| ())
    }

    /// Where CMD would be found, as execvp(3) looks: a name with a `/` as
    /// is, else the first executable match in CMD's `PATH` (the caller's
    /// when CMD's environment has none), inside the chroot.
    ///
    /// # Errors
    ///
    /// 127 when not found, 126 when not executable.
    pub fn find_command(&self) -> Result<PathBuf, Failure> {
        let cmd = self
            .argv
            .first()
            .map(OsString::as_os_str)
            .unwrap_or_default();
        let not_found = |e: Errno| {
            Failure::new(
                if e == Errno::NOENT || e == Errno::NOTDIR {
                    code::NOTFOUND
                } else {
                    code::NOEXEC
                },
                format!("execvpe: {}: {}", quote(cmd), errno_text(e)),
            )
        };
        if cmd.as_bytes().contains(&b'/') {
            let p = self.in_root(Path::new(cmd));
            return executable(&p).map(|()| p).map_err(not_found);
        }
        let path = self
            .env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var_os("PATH"))
            .unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
        let mut first_err = Errno::NOENT;
        for dir in path.as_bytes().split(|&b| b == b':') {
            let dir = if dir.is_empty() { &b"."[..] } else { dir };
            let p = self.in_root(&Path::new(OsStr::from_bytes(dir)).join(cmd));
            match executable(&p) {
                Ok(()) => return Ok(p),
                Err(e) if e == Errno::NOENT || e == Errno::NOTDIR => {}
                Err(e) => first_err = e,
            }
        }
        Err(not_found(first_err))
    }
}

/// A regular file with an execute bit.
fn executable(p: &Path) -> Result<(), Errno> {
    use std::os::unix::fs::PermissionsExt;
    let m = std::fs::metadata(p).map_err(|e| io_errno(&e))?;
    if m.is_dir() || m.permissions().mode() & 0o111 == 0 {
        return Err(Errno::ACCESS);
    }
    Ok(())
}

/// The errno inside an `io::Error` (EIO when there is none).
pub fn io_errno(e: &std::io::Error) -> Errno {
    Errno::from_raw_os_error(e.raw_os_error().unwrap_or(Errno::IO.raw_os_error()))
}

fn check_dir(step: &str, typed: &TypedPath, p: &Path) -> Result<(), Failure> {
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Failure::new(
            code::FAILURE,
            format!("{step}: {typed}: {}", errno_text(Errno::NOTDIR)),
        )),
        Err(e) => Err(Failure::new(
            code::FAILURE,
            format!("{step}: {typed}: {}", errno_text(io_errno(&e))),
        )),
    }
}

/// The pidfile is not held by a live process (side-effect free).
pub fn check_pidfile(p: &Resolved) -> Result<(), Failure> {
    daemonry::check_pidlock(p.c.as_c_str()).map_err(|e| start_failure(&e, Some(p)))
}

/// A log file can be opened for appending: it exists and is writable, or
/// its directory is (checked with access(2), which changes nothing).
fn check_log(log: &Resolved) -> Result<(), Failure> {
    use rustix::fs::{Access, AtFlags, CWD, accessat};
    let fail = |e: Errno| {
        Failure::new(
            code::CANTCREAT,
            format!("open log file: {}: {}", log.typed, errno_text(e)),
        )
    };
    match std::fs::metadata(log.path()) {
        Ok(m) if m.is_dir() => Err(fail(Errno::ISDIR)),
        Ok(_) => accessat(CWD, log.path(), Access::WRITE_OK, AtFlags::EACCESS).map_err(fail),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = log.path().parent().unwrap_or(Path::new("/"));
            accessat(
                CWD,
                dir,
                Access::WRITE_OK | Access::EXEC_OK,
                AtFlags::EACCESS,
            )
            .map_err(fail)
        }
        Err(e) => Err(fail(io_errno(&e))),
    }
}

/// The exit status and message for a library error during a start.
pub fn start_failure(e: &daemonry::Error, pidfile: Option<&Resolved>) -> Failure {
    use daemonry::{ErrorKind, Op};
    let code = match (e.kind(), e.op(), e.errno()) {
        (ErrorKind::LockFailed, _, _) => code::CANTCREAT,
        (_, Op::NotAPidfile | Op::UntrustedPidfile, _) => code::CANTCREAT,
        (ErrorKind::UnknownUser | ErrorKind::UnknownGroup, _, _) => code::NOUSER,
        (_, Op::OpenLog, _) => code::CANTCREAT,
        (_, Op::Execvpe | Op::Execve, Some(Errno::NOENT | Errno::NOTDIR)) => code::NOTFOUND,
        (_, Op::Execvpe | Op::Execve, Some(_)) => code::NOEXEC,
        _ => code::FAILURE,
    };
    let pidfile_op = matches!(
        e.op(),
        Op::PidfilePath
            | Op::PidfileDir
            | Op::OpenPidfile
            | Op::CreatePidfile
            | Op::ReadPidfile
            | Op::ParsePid
            | Op::WritePidfile
            | Op::LockPidfile
            | Op::StatPidfile
            | Op::PublishPidfile
            | Op::RemovePidfile
            | Op::AcquirePidfile
            | Op::NotAPidfile
            | Op::UntrustedPidfile
            | Op::PidfileHolders
            | Op::PidfdOpen
            | Op::SignalHolder
            | Op::WaitHolder
    );
    let message = match pidfile {
        Some(p) if e.op() == Op::NotAPidfile => {
            format!("pidfile {}: not a pidfile; refusing to replace it", p.typed)
        }
        Some(p) if e.op() == Op::UntrustedPidfile => format!(
            "pidfile {}: names a live process, but other users could have written it; \
             remove it or use a directory only root can write (/run)",
            p.typed
        ),
        Some(p) if pidfile_op || e.kind() == ErrorKind::LockFailed => {
            format!("pidfile {}: {e}", p.typed)
        }
        _ => e.to_string(),
    };
    Failure::new(code, message)
}
